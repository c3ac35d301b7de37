//! The conformance suite on Azure Blob storage against Azurite, every case a named test
//! (`azurite::storage.put_get_round_trip`, …). Compute and network have no emulator: their
//! rows come from `tests/arm_replay.rs`. Without `NIMBUS_TEST_AZURITE_ENDPOINT` the trials
//! pass with a note, unless `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test).

use std::sync::Arc;

use nimbus_azure::{AzureBlobStorage, AzureStorageConfig};
use nimbus_conformance::{registry, HttpPresign, Target, Trials};

fn main() {
    Trials::new()
        .target("azurite", || async {
            let ep = match std::env::var("NIMBUS_TEST_AZURITE_ENDPOINT") {
                Ok(ep) => ep,
                Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
                    panic!("NIMBUS_TEST_AZURITE_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
                }
                Err(_) => return None,
            };
            let cs = format!("UseDevelopmentStorage=true;DevelopmentStorageProxyUri={ep}");
            let cfg = AzureStorageConfig::from_connection_string(&cs).unwrap();
            let mut t = Target::new("azure");
            t.storage = Some(Arc::new(AzureBlobStorage::connect(&cfg).unwrap()));
            t.presign = Some(Arc::new(HttpPresign::default()));
            t.proof.insert("storage".into(), "emulator: Azurite 3.35.0".into());
            t.differences = registry::declared("azurite");
            Some(t)
        })
        .main()
}
