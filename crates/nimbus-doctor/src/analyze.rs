//! Analyzers, separate from collectors: the verdicts that are a pure function of recorded
//! evidence are derived again from a bundle with *this* build's rules (Replicated
//! troubleshoot's split: collect once at the customer, analyze at the vendor with the latest
//! analyzers). A bundle made by an older Nimbus is thus judged by a newer one, and support sees
//! which verdicts the newer rules change.
//!
//! Which checks: clock (skew, uncertainty and the documented tolerance are recorded), identity
//! (the answer and the `expect` table are recorded; an expiry is judged as of the bundle's
//! creation) and permissions (the provider's answer is recorded). The others need the live
//! system (a TLS handshake, a DNS answer) and keep their stored verdict.

use std::time::SystemTime;

use crate::report::{CheckResult, Report, Status};

/// A verdict the current rules change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The check.
    pub id: String,
    /// The verdict stored in the bundle.
    pub stored: Status,
    /// The verdict of this build's rules.
    pub now: Status,
    /// This build's message.
    pub message: String,
}

/// The verdict of `r` derived again from its evidence, if it is one of the analyzable checks.
pub fn reanalyze(r: &CheckResult, profile: &str, at: SystemTime) -> Option<CheckResult> {
    let mut out = if r.id.starts_with("clock.") {
        let (status, message, fix) = crate::clock::reassess(&r.evidence)?;
        let mut c = CheckResult::new(r.layer, r.id.clone(), status, message);
        c.fix = fix;
        c
    } else if r.id.starts_with("identity.") {
        crate::identity_layer::rejudge(&r.id, &r.evidence, profile, at)?
    } else if r.id.starts_with("perm.") && r.evidence.get("how").is_some() {
        crate::perm_layer::rejudge(&r.id, &r.evidence, profile)?
    } else {
        return None;
    };
    out.evidence = r.evidence.clone();
    out.duration_ms = r.duration_ms;
    Some(out)
}

/// `report` with every analyzable verdict derived again as of `at`, and the verdicts that
/// changed.
pub fn reanalyze_report(report: &Report, at: SystemTime) -> (Report, Vec<Change>) {
    let mut now = report.clone();
    let mut changes = Vec::new();
    for r in &mut now.results {
        if let Some(n) = reanalyze(r, &report.profile, at) {
            if n.status != r.status {
                changes.push(Change {
                    id: r.id.clone(),
                    stored: r.status,
                    now: n.status,
                    message: n.message.clone(),
                });
            }
            *r = n;
        }
    }
    (now, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Layer;
    use serde_json::json;

    fn stored(id: &str, layer: Layer, status: Status, evidence: serde_json::Value) -> CheckResult {
        CheckResult::new(layer, id, status, "as stored").evidence(evidence)
    }

    #[test]
    fn evidence_is_judged_again_and_changed_verdicts_are_named() {
        let mut report = Report::new("acme");
        // An older build that let 20 minutes pass (the evidence says 1200 s over a 900 s limit).
        report.results.push(stored(
            "clock.s3",
            Layer::Clock,
            Status::Pass,
            json!({"skew_s": 1200.0, "uncertainty_s": 0.6, "tolerance_s": 900, "tolerance_source": "S3"}),
        ));
        report.results.push(stored(
            "identity.storage",
            Layer::Identity,
            Status::Pass,
            json!({"principal": "arn:aws:iam::1:user/a", "account": "111111111111", "how": "STS", "proven": true, "expect": {"account": "222222222222"}}),
        ));
        report.results.push(stored(
            "perm.compute.create_instance",
            Layer::Permissions,
            Status::Fail,
            json!({"allowed": false, "grant": "ec2:RunInstances", "how": "DryRun"}),
        ));
        report
            .results
            .push(stored("net.s3.tls", Layer::Network, Status::Pass, json!({})));
        let (now, changes) = reanalyze_report(&report, SystemTime::now());
        let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["clock.s3", "identity.storage"]);
        assert_eq!(now.results[0].status, Status::Fail);
        assert!(now.results[1].message.contains("`222222222222`"));
        assert_eq!(now.results[2].status, Status::Fail);
        assert!(now.results[2].fix.as_deref().unwrap().contains("ec2:RunInstances"));
        assert_eq!(now.results[3].message, "as stored", "a live check keeps its verdict");
    }
}
