//! The template passes the whole suite on day one: every case is `unsupported` (with the
//! service named as not implemented, or the capability it lacks), none fails. Keep this test
//! in the new adapter and point it at an emulator as soon as one call works.

use std::sync::Arc;

use nimbus_conformance::{Outcome, Target};
use nimbus_template::{TemplateCompute, TemplateConfig, TemplateNetwork, TemplateStorage};

#[tokio::test]
async fn the_template_passes_the_suite_with_typed_unsupported_errors() {
    let cfg = TemplateConfig::default();
    let mut t = Target::new("template");
    t.storage = Some(Arc::new(TemplateStorage::connect(&cfg).unwrap()));
    t.compute = Some(Arc::new(TemplateCompute::connect(&cfg).unwrap()));
    t.network = Some(Arc::new(TemplateNetwork::connect(&cfg).unwrap()));
    for s in ["storage", "compute", "network"] {
        t.proof.insert(s.into(), "template (no cloud)".into());
    }
    let report = nimbus_conformance::run(&t, None).await;
    assert_eq!(report.summary.fail, 0, "{}", report.to_markdown());
    assert!(report.summary.total >= 100, "{:?}", report.summary);
    assert_eq!(report.summary.unsupported, report.summary.total);
    let storage_case = report.cases.iter().find(|c| c.service == "storage").unwrap();
    assert_eq!(storage_case.outcome, Outcome::Unsupported);
    assert!(
        storage_case.detail.contains("not implemented"),
        "{}",
        storage_case.detail
    );
}
