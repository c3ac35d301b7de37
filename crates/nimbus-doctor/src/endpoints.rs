//! The endpoints a profile implies, asked of each provider's diagnosis hook
//! ([`nimbus_core::diag::Diag`]): the adapter's own resolution, so doctor probes the host
//! the adapter would contact. A service whose endpoints cannot be resolved (an Azure profile
//! with no account, an OpenStack one with no `auth_url`) is a configuration failure here,
//! with the adapter's message, because opening the service would fail the same way.
//!
//! The hooks read the process environment for the provider variables (`AWS_ENDPOINT_URL_S3`,
//! `OS_AUTH_URL`, …), as the adapters do.

use std::time::Instant;

use nimbus_core::config::Profile;
use nimbus_core::diag::{Endpoint, HttpStack};
use serde_json::json;

use crate::report::{CheckResult, Layer, Status};
use crate::Inputs;

/// One endpoint to probe, with the services that contact it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Services contacting it (`storage`, `compute`).
    pub services: Vec<String>,
    /// Provider name.
    pub provider: String,
    /// The endpoint.
    pub endpoint: Endpoint,
    /// How the provider's HTTP stack treats proxy and CA variables.
    pub stack: HttpStack,
}

/// `config.endpoints.<service>` per wanted service, and the endpoints to probe (one per URL).
pub fn resolve(inputs: &Inputs, profile: &Profile) -> (Vec<CheckResult>, Vec<Target>) {
    let mut checks = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    for svc in nimbus_core::config::SERVICES.into_iter().filter(|s| inputs.wants(s)) {
        let t = Instant::now();
        let id = format!("config.endpoints.{svc}");
        let sc = profile.service(svc);
        let Some(p) = inputs.providers.iter().find(|p| p.name == sc.provider) else {
            checks.push(
                CheckResult::new(
                    Layer::Configuration,
                    id,
                    Status::Fail,
                    format!("provider `{}` is not compiled into this build", sc.provider),
                )
                .fix("build nimbus with the provider's cargo feature, or choose another provider")
                .since(t),
            );
            continue;
        };
        let Some(diag) = p.diag else {
            checks.push(
                CheckResult::new(
                    Layer::Configuration,
                    id,
                    Status::Skip,
                    format!("skipped: provider `{}` has no diagnosis hooks", p.name),
                )
                .since(t),
            );
            continue;
        };
        match (diag.endpoints)(svc, &sc.settings) {
            Ok(eps) => {
                let rows: Vec<_> = eps
                    .iter()
                    .map(|e| json!({"label": e.label, "url": nimbus_core::config::redact_url(&e.url), "from": e.from}))
                    .collect();
                let msg = if eps.is_empty() {
                    format!("provider `{}`: no network endpoint", p.name)
                } else {
                    let list: Vec<String> = eps
                        .iter()
                        .map(|e| format!("{} ({})", nimbus_core::config::redact_url(&e.url), e.from))
                        .collect();
                    format!("provider `{}`: {}", p.name, list.join(", "))
                };
                checks.push(
                    CheckResult::new(Layer::Configuration, id, Status::Pass, msg)
                        .evidence(json!({"provider": p.name, "endpoints": rows}))
                        .since(t),
                );
                for e in eps {
                    match targets.iter_mut().find(|x| x.endpoint.url == e.url) {
                        Some(x) => x.services.push(svc.to_string()),
                        None => targets.push(Target {
                            services: vec![svc.to_string()],
                            provider: p.name.to_string(),
                            endpoint: e,
                            stack: diag.stack,
                        }),
                    }
                }
            }
            Err(e) => checks.push(
                CheckResult::new(
                    Layer::Configuration,
                    id,
                    Status::Fail,
                    format!("provider `{}` cannot resolve its {svc} endpoint", p.name),
                )
                .fix(e.to_string())
                .evidence(json!({"provider": p.name, "error": e.to_string()}))
                .since(t),
            ),
        }
    }
    (checks, targets)
}
