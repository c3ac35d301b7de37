//! The suite against fake-gcs-server (Cloud Storage JSON API), started by `scripts/emulators`.
//! Without `NIMBUS_TEST_GCS_ENDPOINT` the test says so and passes, unless
//! `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test), where a missing emulator fails.
#![cfg(feature = "gcp")]

use nimbus_conformance::{gcp, run, Outcome};
use nimbus_gcp::GcsConfig;

fn fake_gcs() -> Option<GcsConfig> {
    match std::env::var("NIMBUS_TEST_GCS_ENDPOINT") {
        Ok(ep) => {
            let mut cfg = GcsConfig::emulator(&ep);
            // The throwaway key scripts/emulators makes: V4 signed URLs are then declared.
            cfg.signing_key_file = std::env::var_os("NIMBUS_TEST_GCS_SIGNING_KEY").map(Into::into);
            Some(cfg)
        }
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("NIMBUS_TEST_GCS_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
        }
        Err(_) => {
            eprintln!("NIMBUS_TEST_GCS_ENDPOINT not set: not running the GCS suite (scripts/test runs it)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_storage_on_fake_gcs_passes_the_suite() {
    let Some(cfg) = fake_gcs() else { return };
    let mut t = gcp::gcs_target("gcp", &cfg, "emulator: fake-gcs-server 1.54.0")
        .await
        .unwrap();
    t.differences = gcp::fake_gcs_differences();
    let r = run(&t, None).await;
    std::fs::create_dir_all("../target/conformance").ok();
    std::fs::write("../target/conformance/gcp.md", r.to_markdown()).ok();
    let fails = r.failures();
    assert!(
        fails.is_empty(),
        "{} failing case(s):\n{}",
        fails.len(),
        fails.join("\n")
    );
    let passed = r.cases.iter().filter(|c| c.outcome == Outcome::Pass).count();
    assert!(
        passed >= 30,
        "only {passed} storage cases passed on fake-gcs-server: {:?}",
        r.summary
    );
}
