//! The conformance suite on Cloud Storage against fake-gcs-server, every case a named test
//! (`fake-gcs-server::storage.put_get_round_trip`, …). Compute Engine has no emulator: its
//! rows come from `tests/gce_replay.rs`. Without `NIMBUS_TEST_GCS_ENDPOINT` the trials pass
//! with a note, unless `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test).

use std::sync::Arc;

use nimbus_conformance::{registry, HttpPresign, Target, Trials};
use nimbus_gcp::{GcsConfig, GcsStorage};

fn main() {
    Trials::new()
        .target("fake-gcs-server", || async {
            let ep = match std::env::var("NIMBUS_TEST_GCS_ENDPOINT") {
                Ok(ep) => ep,
                Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
                    panic!("NIMBUS_TEST_GCS_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
                }
                Err(_) => return None,
            };
            let mut cfg = GcsConfig::emulator(&ep);
            // The throwaway key scripts/emulators makes: V4 signed URLs are then declared.
            cfg.signing_key_file = std::env::var_os("NIMBUS_TEST_GCS_SIGNING_KEY").map(Into::into);
            let mut t = Target::new("gcp");
            t.storage = Some(Arc::new(GcsStorage::connect(&cfg).await.unwrap()));
            t.presign = Some(Arc::new(HttpPresign::default()));
            t.proof
                .insert("storage".into(), "emulator: fake-gcs-server 1.54.0".into());
            t.differences = registry::declared("fake-gcs-server");
            Some(t)
        })
        .main()
}
