//! Layer 5, access: do the credentials work? Each wanted service is opened the way the
//! facade opens it (the provider's registered opener, with the profile's settings) and makes
//! one harmless authenticated read: list buckets, list instances, list networks. The portable
//! error kinds the adapters already map (design record 0014) say what happened, so this layer
//! is written once for every provider:
//!
//! - answered: the credentials are accepted;
//! - `Unauthenticated`: rejected (wrong key, secret, password or token), with the settings
//!   that hold them and, when the clock layer found a skew over the limit, that first;
//! - `PermissionDenied`: refused (usually credentials without this permission, common for
//!   roles scoped to one bucket; some stores, Azurite among them, also answer so for a wrong
//!   key): a warning, since the product's own calls may still be allowed;
//! - `Unsupported`: the provider does not offer the read: skip.
//!
//! Who the credentials belong to (STS caller identity, the Keystone token's user and roles,
//! token claims) needs per-provider hooks and is the next slice.

use std::time::{Duration, Instant};

use nimbus_core::config::Profile;
use nimbus_core::ErrorKind;
use serde_json::json;

use crate::endpoints::Target;
use crate::report::{CheckResult, Layer, Status};
use crate::Inputs;

/// Deadline of one service's open and read.
pub const DEADLINE: Duration = Duration::from_secs(20);

async fn read(
    p: &nimbus_core::provider::Provider,
    svc: &str,
    s: nimbus_core::config::Settings,
) -> nimbus_core::Result<String> {
    match svc {
        "storage" => {
            let st = p.open_storage(s).await?;
            st.list_buckets()
                .await
                .map(|b| format!("list buckets answered ({} bucket(s))", b.len()))
        }
        "compute" => {
            let c = p.open_compute(s).await?;
            c.list_instances(&Default::default())
                .await
                .map(|i| format!("list instances answered ({} instance(s))", i.len()))
        }
        _ => {
            let n = p.open_network(s).await?;
            n.list_networks()
                .await
                .map(|v| format!("list networks answered ({} network(s))", v.len()))
        }
    }
}

/// `f` under `deadline`: a `Timeout` error saying how long was waited, never a hang.
pub(crate) async fn within<T>(
    deadline: Duration,
    f: impl std::future::Future<Output = nimbus_core::Result<T>>,
) -> nimbus_core::Result<T> {
    match tokio::time::timeout(deadline, f).await {
        Ok(r) => r,
        Err(_) => Err(nimbus_core::Error::new(
            ErrorKind::Timeout,
            format!("no answer in {} s", deadline.as_secs()),
        )),
    }
}

/// A wanted service whose provider has the hook a layer calls, and whose endpoints and access
/// check passed.
pub(crate) struct Hooked<'a, H> {
    /// The service.
    pub svc: &'static str,
    /// Its provider.
    pub provider: &'a nimbus_core::provider::Provider,
    /// The provider's hook.
    pub hook: H,
    /// Its settings.
    pub settings: &'a nimbus_core::config::Settings,
    /// The labels of its endpoints.
    pub labels: Vec<&'a str>,
}

/// The services a layer after access runs its provider hook for (identity, permissions). For
/// the others it pushes a skip to `out`, id `FAMILY.SERVICE`: the provider has no such hook
/// (`none` says what it lacks), or the service's endpoint or access check failed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn hooked<'a, H>(
    inputs: &'a Inputs,
    profile: &'a Profile,
    targets: &'a [Target],
    results: &[CheckResult],
    layer: crate::report::Layer,
    family: &str,
    hook: impl Fn(&nimbus_core::diag::Diag) -> Option<H>,
    none: &str,
    out: &mut Vec<CheckResult>,
) -> Vec<Hooked<'a, H>> {
    let mut run = Vec::new();
    for svc in nimbus_core::config::SERVICES.into_iter().filter(|s| inputs.wants(s)) {
        let id = format!("{family}.{svc}");
        let sc = profile.service(svc);
        let Some(p) = inputs.providers.iter().find(|p| p.name == sc.provider) else {
            continue;
        };
        let Some(h) = p.diag.and_then(&hook) else {
            out.push(CheckResult::skipped(
                layer,
                id,
                &format!("provider `{}` {none}", p.name),
            ));
            continue;
        };
        let labels = labels(targets, svc);
        if let Some(b) = failed(results, svc, &labels, &[format!("auth.{svc}")]) {
            out.push(CheckResult::skipped(layer, id, &format!("{} failed", b.id)));
            continue;
        }
        run.push(Hooked {
            svc,
            provider: p,
            hook: h,
            settings: &sc.settings,
            labels,
        });
    }
    run
}

/// The labels of the endpoints `svc` contacts.
pub(crate) fn labels<'a>(targets: &'a [Target], svc: &str) -> Vec<&'a str> {
    targets
        .iter()
        .filter(|t| t.services.iter().any(|s| s == svc))
        .map(|t| t.endpoint.label.as_str())
        .collect()
}

/// The first failed check that makes a later check of `svc` pointless: its endpoints'
/// resolution or network checks, or one of `also` (`auth.storage`).
pub(crate) fn failed<'a>(
    results: &'a [CheckResult],
    svc: &str,
    labels: &[&str],
    also: &[String],
) -> Option<&'a CheckResult> {
    results.iter().find(|r| {
        (r.status == Status::Fail || r.status == Status::Error)
            && (r.id == format!("config.endpoints.{svc}")
                || also.contains(&r.id)
                || labels.iter().any(|l| r.id.starts_with(&format!("net.{l}."))))
    })
}

/// The settings that hold `svc`'s secrets, with where each came from (what to check when
/// credentials are rejected), else the provider's own chain.
pub(crate) fn holders(p: &nimbus_core::provider::Provider, settings: &nimbus_core::config::Settings) -> String {
    let secrets: Vec<String> = settings
        .describe()
        .into_iter()
        .filter(|(k, _, _)| nimbus_core::config::is_secret_key(k))
        .map(|(k, _, src)| format!("`{k}` ({src})"))
        .collect();
    if secrets.is_empty() {
        format!(
            "the credentials provider `{}` finds in its own variables and files",
            p.name
        )
    } else {
        secrets.join(", ")
    }
}

/// The provider's own fix for an error, if its `explain` hook knows one. When the service
/// rejected the request's time, the fix starts with how far off the clock is, from the clock
/// check of one of `labels` (the translation of a signature or expiry error into "your clock
/// is off by N").
pub(crate) fn explain(
    p: &nimbus_core::provider::Provider,
    e: &nimbus_core::Error,
    results: &[CheckResult],
    labels: &[&str],
) -> Option<String> {
    let x = p.diag.and_then(|d| d.explain).and_then(|f| f(e))?;
    if !x.clock {
        return Some(x.fix);
    }
    let measured = results.iter().find_map(|r| {
        let label = labels.iter().find(|l| r.id == format!("clock.{l}"))?;
        Some((label, r.evidence.get("skew_s")?.as_f64()?, &r.id))
    });
    Some(match measured {
        Some((label, s, id)) => format!(
            "your clock is off by {}: {} the `{label}` server's ({id}); {}",
            crate::clock::human(s.abs()),
            if s > 0.0 { "behind" } else { "ahead of" },
            x.fix
        ),
        None => x.fix,
    })
}

/// The access checks. `results` are the earlier layers' (a service whose endpoint failed the
/// network layer is skipped, naming the check).
pub async fn run(inputs: &Inputs, profile: &Profile, targets: &[Target], results: &[CheckResult]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for svc in nimbus_core::config::SERVICES.into_iter().filter(|s| inputs.wants(s)) {
        let id = format!("auth.{svc}");
        let sc = profile.service(svc);
        let Some(p) = inputs.providers.iter().find(|p| p.name == sc.provider) else {
            continue;
        };
        let labels = labels(targets, svc);
        let blocked = failed(results, svc, &labels, &[]);
        if let Some(b) = blocked {
            out.push(CheckResult::skipped(Layer::Access, id, &format!("{} failed", b.id)));
            continue;
        }
        if labels.is_empty() {
            // The embedded store, libvirt's test driver: no remote end, no credentials (and
            // opening them could create state on this machine).
            out.push(CheckResult::skipped(
                Layer::Access,
                id,
                "no remote endpoint, no credentials",
            ));
            continue;
        }
        let skew = results
            .iter()
            .find(|r| r.status == Status::Fail && labels.iter().any(|l| r.id == format!("clock.{l}")));
        let t = Instant::now();
        let outcome = within(DEADLINE, read(p, svc, sc.settings.clone())).await;
        let holders = holders(p, &sc.settings);
        let explained = outcome.as_ref().err().and_then(|e| explain(p, e, results, &labels));
        let r = match outcome {
            Ok(msg) => CheckResult::new(Layer::Access, id, Status::Pass, format!("credentials accepted: {msg}")),
            Err(e) => {
                let ev = json!({"kind": format!("{:?}", e.kind()), "error": e.to_string()});
                match e.kind() {
                    ErrorKind::Unauthenticated => {
                        // The provider's translation already names the clock when the service
                        // rejected the time; otherwise a failed clock check comes first.
                        let fix = match (explained, skew) {
                            (Some(x), _) => x,
                            (None, Some(c)) => {
                                format!("first fix the clock ({}: {}); then check {holders}", c.id, c.message)
                            }
                            (None, None) => format!("check {holders}"),
                        };
                        CheckResult::new(Layer::Access, id, Status::Fail, format!("credentials rejected by `{}`: {e}", p.name))
                            .fix(fix)
                            .evidence(ev)
                    }
                    // Usually the credentials work and lack this permission (a role scoped to one
                    // bucket); but some stores answer 403 for a bad signature too (Azurite's
                    // AuthorizationFailure where Azure says AuthenticationFailed), so the message
                    // does not claim the credentials were accepted.
                    ErrorKind::PermissionDenied => CheckResult::new(
                        Layer::Access,
                        id,
                        Status::Warn,
                        format!("`{}` refused this read (permission denied): {e}", p.name),
                    )
                    .fix(explained.unwrap_or_else(|| format!(
                        "if the credentials are right, grant the listing permission (a role scoped to one bucket or project is fine when the product uses only that); some stores and emulators (Azurite) also answer so for a wrong key: check {holders}"
                    )))
                    .evidence(ev),
                    ErrorKind::Unsupported => CheckResult::new(
                        Layer::Access,
                        id,
                        Status::Skip,
                        format!("skipped: `{}` does not offer this read ({e})", p.name),
                    ),
                    ErrorKind::InvalidInput => CheckResult::new(
                        Layer::Access,
                        id,
                        Status::Fail,
                        format!("`{}` cannot open {svc} with this profile: {e}", p.name),
                    )
                    .fix("set the setting the message names (nimbus config show lists the effective ones)")
                    .evidence(ev),
                    _ => CheckResult::new(Layer::Access, id, Status::Fail, format!("the read failed: {e}"))
                        .fix("run with --evidence and see the network checks of this service's endpoints")
                        .evidence(ev),
                }
            }
        };
        out.push(r.since(t));
    }
    out
}
