//! The whole suite against the embedded provider, filesystem and memory flavours.

use nimbus_conformance::{local, run, Report};

fn assert_clean(r: &Report) {
    let fails = r.failures();
    assert!(
        fails.is_empty(),
        "{} failing case(s):\n{}",
        fails.len(),
        fails.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_filesystem_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let t = local::fs_target(dir.path()).unwrap();
    let r = run(&t, None).await;
    assert_clean(&r);
    let count = |svc: &str| r.cases.iter().filter(|c| c.service == svc).count();
    assert!(count("storage") >= 40, "storage cases: {}", count("storage"));
    assert!(count("compute") >= 15, "compute cases: {}", count("compute"));
    assert!(count("network") >= 15, "network cases: {}", count("network"));
    // The two filesystem differences are proven, not skipped.
    assert_eq!(r.summary.differs, 2, "{}", r.to_markdown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_memory_passes_the_suite_without_differences() {
    let t = local::memory_target();
    let r = run(&t, None).await;
    assert_clean(&r);
    assert_eq!(r.summary.differs, 0);
}
