//! Layer 4, clock: how far this machine's clock is from each server's, from the `Date` of the
//! network layer's `HEAD`, as the AWS SDK estimates skew: the server's time against the
//! midpoint of the round trip, `skew = Date − (sent + rtt/2)`, uncertain by `rtt/2` plus the
//! second `Date` is truncated to (its middle is used, ± 0.5 s). An answer with `Age` came from a cache and says nothing about
//! the server's clock.
//!
//! Warn when the skew is surely over 60 s; fail when it is surely over the tolerance the
//! service documents (15 minutes on S3 and Azure Storage): signed requests are rejected then.

use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::net::Probe;
use crate::report::{CheckResult, Layer, Status};

/// Skew that is worth a warning anywhere.
pub const WARN_OVER: Duration = Duration::from_secs(60);

/// The skew and its uncertainty, in seconds (positive: the server is ahead). `Date` is
/// truncated to the second, so the server's time was in `[Date, Date + 1 s)`: its middle is
/// compared with the round trip's, and the uncertainty is half of each.
pub fn skew(date: SystemTime, sent: SystemTime, rtt: Duration) -> (f64, f64) {
    let mid = sent + rtt / 2;
    let s = match date.duration_since(mid) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    (s + 0.5, rtt.as_secs_f64() / 2.0 + 0.5)
}

/// `20 min 3 s`.
pub fn human(secs: f64) -> String {
    let s = secs.abs().round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// The verdict for a skew.
pub fn assess(skew: f64, uncertainty: f64, tolerance: Option<(Duration, &str)>) -> (Status, String, Option<String>) {
    let surely = (skew.abs() - uncertainty).max(0.0);
    let side = if skew >= 0.0 { "ahead of" } else { "behind" };
    let base = format!(
        "the server's clock is {} {side} this machine's (± {})",
        human(skew),
        human(uncertainty)
    );
    let fix = "synchronise this machine's clock: timedatectl set-ntp true (or chronyc makestep)".to_string();
    match tolerance {
        Some((limit, source)) if surely > limit.as_secs_f64() => (
            Status::Fail,
            format!(
                "{base}: over the {} the service accepts, so signed requests fail",
                human(limit.as_secs_f64())
            ),
            Some(format!("{fix}\n(limit: {source})")),
        ),
        _ if surely > WARN_OVER.as_secs_f64() => (Status::Warn, base, Some(fix)),
        _ => (Status::Pass, base, None),
    }
}

/// The verdict again from a clock check's recorded evidence (`bundle analyze`): the same
/// [`assess`] over `skew_s`, `uncertainty_s` and the tolerance recorded with its source.
pub fn reassess(evidence: &serde_json::Value) -> Option<(Status, String, Option<String>)> {
    let s = evidence.get("skew_s")?.as_f64()?;
    let u = evidence.get("uncertainty_s")?.as_f64()?;
    let tolerance = evidence.get("tolerance_s").and_then(|t| t.as_u64()).map(|t| {
        (
            Duration::from_secs(t),
            evidence
                .get("tolerance_source")
                .and_then(|s| s.as_str())
                .unwrap_or("the service's documented limit"),
        )
    });
    Some(assess(s, u, tolerance))
}

/// The clock checks, one per endpoint that answered HTTP.
pub fn run(probes: &[Probe]) -> Vec<CheckResult> {
    probes
        .iter()
        // Endpoints that have an HTTP step (answered or skipped): not libvirt's sockets.
        .filter(|p| p.results.iter().any(|r| r.id.ends_with(".http")))
        .map(|p| {
            let id = format!("clock.{}", p.label);
            let Some(a) = &p.answer else {
                return CheckResult::skipped(Layer::Clock, id, &format!("net.{}.http did not answer", p.label));
            };
            if a.head.header("age").is_some() {
                return CheckResult::skipped(Layer::Clock, id, "the answer came from a cache (Age header)");
            }
            let Some(date) = a.head.header("date").and_then(|d| httpdate::parse_http_date(d).ok()) else {
                return CheckResult::skipped(Layer::Clock, id, "the server sends no Date header");
            };
            let (s, u) = skew(date, a.sent, a.rtt);
            let (status, msg, fix) = assess(s, u, p.tolerance);
            let mut r = CheckResult::new(Layer::Clock, id, status, msg).evidence(json!({
                "server_date": a.head.header("date"),
                "sent": httpdate::fmt_http_date(a.sent),
                "rtt_ms": a.rtt.as_millis() as u64,
                "skew_s": (s * 10.0).round() / 10.0,
                "uncertainty_s": (u * 10.0).round() / 10.0,
                "tolerance_s": p.tolerance.map(|t| t.0.as_secs()),
                "tolerance_source": p.tolerance.map(|t| t.1),
            }));
            if let Some(f) = fix {
                r = r.fix(f);
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::diag::S3_SKEW;

    #[test]
    fn skew_is_measured_against_the_midpoint() {
        let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let date = sent + Duration::from_secs(1201);
        let (s, u) = skew(date, sent, Duration::from_secs(1));
        assert_eq!((s, u), (1201.0, 1.0));
        let (s, u) = skew(sent - Duration::from_secs(30), sent, Duration::ZERO);
        assert_eq!((s, u), (-29.5, 0.5));
    }

    #[test]
    fn verdicts_follow_the_tolerance_and_the_uncertainty() {
        assert_eq!(assess(30.0, 1.0, Some(S3_SKEW)).0, Status::Pass);
        assert_eq!(assess(-120.0, 1.0, Some(S3_SKEW)).0, Status::Warn);
        let (st, msg, fix) = assess(1200.0, 1.0, Some(S3_SKEW));
        assert_eq!(st, Status::Fail);
        assert!(
            msg.contains("20 min 0 s ahead of") && msg.contains("15 min 0 s"),
            "{msg}"
        );
        assert!(fix.unwrap().contains("timedatectl"));
        // Without a documented tolerance, 20 minutes is a warning only.
        assert_eq!(assess(1200.0, 1.0, None).0, Status::Warn);
        // A skew within the uncertainty of a slow round trip is not asserted.
        assert_eq!(assess(61.0, 5.0, None).0, Status::Pass);
    }
}
