//! Layer 7, permissions: may the credentials do what the product does, checked without doing
//! it where the cloud allows (EC2 `DryRun`; the roles in a Keystone token; the letters of an
//! Azure SAS, or an account key's full access). Each provider answers through its
//! `Diag.permissions` hook; this layer words the verdicts once:
//!
//! - allowed: pass, saying how it was found;
//! - denied: fail, naming what to grant (`ec2:RunInstances`, role `member`, SAS `w`);
//! - the answer did not say (a placeholder argument rejected first, a custom role): skip,
//!   with the answer;
//! - no such check on this cloud (S3 has no dry run): one skip per service saying so; the
//!   data-plane probes test storage by doing.
//!
//! Why not harmless reads here as well: reads are what `auth.*` and `data.storage.*` already
//! do; repeating them would count one fact twice.

use std::time::{Duration, Instant};

use nimbus_core::config::Profile;
use nimbus_core::diag::Permission;
use nimbus_core::ErrorKind;
use serde_json::json;

use crate::access_layer::{explain, hooked, within, Hooked};
use crate::endpoints::Target;
use crate::report::{CheckResult, Layer, Status};
use crate::Inputs;

/// Deadline of one service's checks.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// One permission's verdict.
fn verdict(id: String, svc: &str, perm: &Permission, profile: &str) -> CheckResult {
    let ev = json!({"allowed": perm.allowed, "grant": perm.grant, "how": perm.how});
    let r = match perm.allowed {
        Some(true) => CheckResult::new(Layer::Permissions, id, Status::Pass, format!("allowed ({})", perm.how)),
        Some(false) => CheckResult::new(
            Layer::Permissions,
            id,
            Status::Fail,
            format!("denied: {} ({})", perm.need, perm.how),
        )
        .fix(format!(
            "grant {} to the credentials of `{profile}` (see identity.{svc} for whose they are)",
            perm.grant
        )),
        None => CheckResult::new(
            Layer::Permissions,
            id,
            Status::Skip,
            format!("skipped: the answer did not say ({})", perm.how),
        ),
    };
    r.evidence(ev)
}

/// The verdict again from a permission check's recorded evidence (`bundle analyze`).
pub fn rejudge(id: &str, evidence: &serde_json::Value, profile: &str) -> Option<CheckResult> {
    let need = id.strip_prefix("perm.")?;
    let svc = need.split('.').next()?;
    let perm = Permission {
        need: need.to_string(),
        allowed: evidence.get("allowed").and_then(|v| v.as_bool()),
        grant: evidence.get("grant")?.as_str()?.to_string(),
        how: evidence.get("how")?.as_str()?.to_string(),
    };
    Some(verdict(id.to_string(), svc, &perm, profile))
}

/// The permission checks (`results` holds every earlier check).
pub async fn run(inputs: &Inputs, profile: &Profile, targets: &[Target], results: &[CheckResult]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let run = hooked(
        inputs,
        profile,
        targets,
        results,
        Layer::Permissions,
        "perm",
        |d| d.permissions,
        "has no permission check that does not act",
        &mut out,
    );
    for Hooked {
        svc,
        provider: p,
        hook,
        settings,
        labels,
    } in run
    {
        let id = format!("perm.{svc}");
        let t = Instant::now();
        let answer = within(DEADLINE, hook(svc, settings)).await;
        match answer {
            Ok(perms) => {
                let ms = t.elapsed();
                for perm in perms {
                    let mut r = verdict(format!("perm.{}", perm.need), svc, &perm, &profile.name);
                    r.duration_ms = ms.as_millis() as u64;
                    out.push(r);
                }
            }
            Err(e) if e.kind() == ErrorKind::Unsupported => {
                out.push(CheckResult::new(
                    Layer::Permissions,
                    id,
                    Status::Skip,
                    format!("skipped: {e}"),
                ));
            }
            Err(e) => {
                let fix = explain(p, &e, results, &labels)
                    .unwrap_or_else(|| "see this service's access and network checks".to_string());
                out.push(
                    CheckResult::new(
                        Layer::Permissions,
                        id,
                        Status::Fail,
                        format!("`{}` could not check permissions: {e}", p.name),
                    )
                    .fix(fix)
                    .evidence(json!({"kind": format!("{:?}", e.kind()), "error": e.to_string()}))
                    .since(t),
                );
            }
        }
    }
    out
}
