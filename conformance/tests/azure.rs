//! The suite against Azurite (Azure Blob), started by `scripts/emulators`.
//! Without `NIMBUS_TEST_AZURITE_ENDPOINT` the test says so and passes, unless
//! `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test), where a missing emulator fails.
#![cfg(feature = "azure")]

use nimbus_azure::AzureStorageConfig;
use nimbus_conformance::{azure, run, Outcome};

fn azurite() -> Option<AzureStorageConfig> {
    match std::env::var("NIMBUS_TEST_AZURITE_ENDPOINT") {
        Ok(ep) => Some(
            AzureStorageConfig::from_connection_string(&format!(
                "UseDevelopmentStorage=true;DevelopmentStorageProxyUri={ep}"
            ))
            .unwrap(),
        ),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("NIMBUS_TEST_AZURITE_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
        }
        Err(_) => {
            eprintln!("NIMBUS_TEST_AZURITE_ENDPOINT not set: not running the Azure suite (scripts/test runs it)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_storage_on_azurite_passes_the_suite() {
    let Some(cfg) = azurite() else { return };
    let mut t = azure::blob_target("azure", &cfg, "emulator: Azurite 3.35.0").unwrap();
    t.differences = azure::azurite_differences();
    let r = run(&t, None).await;
    std::fs::create_dir_all("../target/conformance").ok();
    std::fs::write("../target/conformance/azure.md", r.to_markdown()).ok();
    let fails = r.failures();
    assert!(
        fails.is_empty(),
        "{} failing case(s):\n{}",
        fails.len(),
        fails.join("\n")
    );
    let passed = r.cases.iter().filter(|c| c.outcome == Outcome::Pass).count();
    assert!(
        passed >= 40,
        "only {passed} storage cases passed on Azurite: {:?}",
        r.summary
    );
}
