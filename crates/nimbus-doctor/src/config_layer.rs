//! Layer 1, configuration: does the profile validate, and what are its effective settings
//! and where did each come from (the file, a `NIMBUS_*` variable, an explicit value), as
//! `aws configure list` shows value, type and location. Secrets are shown only as
//! [`Secret::hint`] (the last four characters), so a customer can paste the output into a
//! ticket.
//!
//! Keys a profile does not set are filled by the provider's own variables (`AWS_REGION`,
//! `OS_*`, `LIBVIRT_DEFAULT_URI`, …): each provider lists them in `Diag.variables`, in the
//! order its adapter reads them, and they are shown with the variable that supplied them. A
//! variable that is set but loses to the profile is named too (the classic "I exported
//! AWS_REGION and nothing changed").

use std::collections::BTreeMap;
use std::time::Instant;

use nimbus_core::config::{is_secret_key, KeyKind, Profile, ProfileResolver, Secret, SERVICES};
use serde_json::json;

use crate::report::{CheckResult, Layer, Status};
use crate::Inputs;

const DOCS: &str = "docs/operability.md#configuration";

fn resolver(inputs: &Inputs) -> ProfileResolver {
    let nimbus_env: BTreeMap<String, String> = inputs
        .env
        .iter()
        .filter(|(k, _)| k.starts_with("NIMBUS_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut r = ProfileResolver::new(inputs.schemas.clone()).env(nimbus_env);
    if let Some(f) = &inputs.file {
        r = r.file(f.clone());
    }
    r
}

/// The name of the profile the inputs select.
pub fn profile_name(inputs: &Inputs) -> String {
    resolver(inputs).profile_name(inputs.profile.as_deref())
}

fn result(
    id: String,
    status: Status,
    message: String,
    fix: Option<String>,
    evidence: serde_json::Value,
    t: Instant,
) -> CheckResult {
    CheckResult {
        id,
        layer: Layer::Configuration,
        status,
        message,
        fix,
        docs: DOCS.into(),
        evidence,
        duration_ms: t.elapsed().as_millis() as u64,
    }
}

/// The configuration checks, and the profile when it resolves.
pub fn run(inputs: &Inputs) -> (Vec<CheckResult>, Option<Profile>) {
    let t = Instant::now();
    let r = resolver(inputs);
    let name = r.profile_name(inputs.profile.as_deref());
    let origin = inputs
        .file
        .as_ref()
        .map_or("no file".to_string(), |f| f.origin().to_string());
    let issues: Vec<String> = r
        .check()
        .into_iter()
        .filter(|i| i.profile.as_deref().is_none_or(|p| p == name))
        .map(|i| i.to_string())
        .collect();
    // Every problem of the file at once; only a clean file is resolved (which can still fail,
    // e.g. for a profile that does not exist).
    let resolved = if issues.is_empty() {
        r.resolve(Some(&name)).map_err(|e| vec![e.to_string()])
    } else {
        Err(issues)
    };
    let mut out = Vec::new();
    let profile = match resolved {
        Ok(p) => {
            out.push(result(
                "config.profile".into(),
                Status::Pass,
                format!("profile `{name}` validates ({origin})"),
                None,
                json!({"file": origin}),
                t,
            ));
            Some(p)
        }
        Err(problems) => {
            out.push(result(
                "config.profile".into(),
                Status::Fail,
                format!("profile `{name}` has {} problem(s) ({origin})", problems.len()),
                Some(problems.join("\n")),
                json!({"file": origin, "problems": problems}),
                t,
            ));
            None
        }
    };
    for svc in SERVICES.into_iter().filter(|s| inputs.wants(s)) {
        let t = Instant::now();
        let id = format!("config.settings.{svc}");
        let Some(p) = &profile else {
            out.push(result(
                id,
                Status::Skip,
                "skipped: config.profile failed".into(),
                None,
                serde_json::Value::Null,
                t,
            ));
            continue;
        };
        let sc = p.service(svc);
        let secret_keys: Vec<String> = inputs
            .schemas
            .iter()
            .filter(|s| s.provider == sc.provider)
            .flat_map(|s| s.keys(svc))
            .filter(|k| k.kind == KeyKind::Secret)
            .map(|k| k.name.to_string())
            .collect();
        let shown = |k: &str, v: &str, fallback: String| {
            if secret_keys.iter().any(|s| s == k) || is_secret_key(k) {
                Secret::new(v).hint()
            } else {
                fallback
            }
        };
        let mut rows: Vec<serde_json::Value> = sc
            .settings
            .describe()
            .into_iter()
            .map(|(k, display, source)| {
                let value = shown(&k, sc.settings.get(&k).unwrap_or_default(), display);
                json!({"key": k, "value": value, "source": source})
            })
            .collect();
        let from_profile = rows.len();
        let variables = inputs
            .providers
            .iter()
            .find(|p| p.name == sc.provider)
            .and_then(|p| p.diag)
            .map(|d| (d.variables)(svc))
            .unwrap_or_default();
        let mut ignored = Vec::new();
        for (key, vars) in variables {
            let Some((var, v)) = vars
                .iter()
                .find_map(|n| inputs.env.get(*n).filter(|v| !v.is_empty()).map(|v| (*n, v)))
            else {
                continue;
            };
            if sc.settings.get(key).is_some() {
                ignored.push(format!("{var} (the profile's `{key}` wins)"));
            } else {
                rows.push(json!({"key": key, "value": shown(key, v, v.clone()), "source": format!("env {var} (the provider's variable)")}));
            }
        }
        let mut message = format!("provider `{}`, {from_profile} setting(s) from the profile", sc.provider);
        if rows.len() > from_profile {
            message.push_str(&format!(", {} from its own variables", rows.len() - from_profile));
        }
        if !ignored.is_empty() {
            message.push_str(&format!("; set but not used: {}", ignored.join(", ")));
        }
        out.push(result(
            id,
            Status::Pass,
            message,
            None,
            json!({"provider": sc.provider, "settings": rows, "ignored_variables": ignored}),
            t,
        ));
    }
    (out, profile)
}
