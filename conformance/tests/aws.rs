//! The suite against S3 emulators started by `scripts/emulators` (moto; s3s-fs planned).
//! Without `NIMBUS_TEST_MOTO_ENDPOINT` the test says so and passes, unless
//! `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test), where a missing emulator fails.
#![cfg(feature = "aws")]

use nimbus_aws::AwsConfig;
use nimbus_conformance::{aws, run, Outcome};

fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("{var} is not set but NIMBUS_REQUIRE_EMULATORS=1: start the emulators with scripts/emulators")
        }
        Err(_) => {
            eprintln!("{var} not set: not running the AWS conformance suite (scripts/test runs it)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_on_moto_passes_the_suite() {
    let Some(ep) = endpoint("NIMBUS_TEST_MOTO_ENDPOINT") else {
        return;
    };
    let cfg = AwsConfig::with_static(&ep, "us-east-1", "testing", "testing");
    let mut t = aws::s3_target("aws", &cfg, "emulator: moto 5.2.5").await;
    t.differences = aws::moto_differences();
    let r = run(&t, None).await;
    std::fs::create_dir_all("../target/conformance").ok();
    std::fs::write("../target/conformance/aws.md", r.to_markdown()).ok();
    let fails: Vec<String> = r
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect();
    assert!(
        fails.is_empty(),
        "{} failing case(s):\n{}",
        fails.len(),
        fails.join("\n")
    );
    assert!(r.summary.total >= 50, "{:?}", r.summary);
}
