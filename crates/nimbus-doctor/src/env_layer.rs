//! Layer 2, environment: the proxy and CA variables that are set, whether the providers'
//! HTTP stacks honour each (a variable set but ignored is a warning naming why), and the
//! route each endpoint takes. The rules are hyper-util's (see [`crate::proxy`]); the claim
//! that a provider's stack follows them is data in its hook, proven by traffic through a
//! loopback proxy in the test the hook names.
//!
//! CA variables: the stacks verify with the system store (rustls-native-certs), which
//! `SSL_CERT_FILE` / `SSL_CERT_DIR` **replace**, not extend, so the fix for a company CA is
//! a bundle of the system roots plus that CA. Variables other tools read
//! (`AWS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`) are read
//! by no Nimbus stack.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use nimbus_core::diag::HttpStack;
use serde_json::json;

use crate::endpoints::Target;
use crate::net::tls::Roots;
use crate::proxy::{self, Route, PAIRS};
use crate::report::{CheckResult, Layer, Status};

/// CA variables of other tools that no Nimbus HTTP stack reads.
const IGNORED_CA: [&str; 4] = [
    "AWS_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

fn http_targets(targets: &[Target]) -> impl Iterator<Item = &Target> {
    targets
        .iter()
        .filter(|t| matches!(t.stack, HttpStack::Hyper { .. }) && t.endpoint.url.starts_with("http"))
}

/// The environment checks.
pub fn run(env: &BTreeMap<String, String>, roots: &Roots, targets: &[Target]) -> Vec<CheckResult> {
    let mut out = vec![proxy_vars(env, targets), ca_vars(env, roots, targets)];
    out.extend(routes(env, targets));
    out
}

fn proxy_vars(env: &BTreeMap<String, String>, targets: &[Target]) -> CheckResult {
    let t = Instant::now();
    let id = "env.proxy";
    let set: Vec<serde_json::Value> = PAIRS
        .iter()
        .flatten()
        .filter_map(|n| env.get(*n).map(|v| json!({"name": n, "value": proxy::shown(v)})))
        .collect();
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    for pair in PAIRS {
        if let (Some(""), Some(lower)) = (env.get(pair[0]).map(String::as_str), env.get(pair[1])) {
            if !lower.is_empty() {
                problems.push(format!(
                    "{} is set but empty, which hides {}={} (the upper-case name is read first)",
                    pair[0],
                    pair[1],
                    proxy::shown(lower)
                ));
                fixes.push(format!("unset {} (or give it the proxy's URL)", pair[0]));
            }
        }
    }
    let any_proxy = PAIRS[..3]
        .iter()
        .any(|p| proxy::effective(env, *p).is_some_and(|(_, v)| !v.is_empty()));
    if proxy::is_cgi(env) && any_proxy {
        problems.push("REQUEST_METHOD is set (a CGI environment): every proxy variable is ignored".into());
        fixes.push("unset REQUEST_METHOD in the environment nimbus runs in".into());
    }
    let https_proxied = [PAIRS[0], PAIRS[2]]
        .iter()
        .any(|p| proxy::effective(env, *p).is_some_and(|(_, v)| !v.is_empty()));
    let http_only = proxy::effective(env, PAIRS[1]).is_some_and(|(_, v)| !v.is_empty()) && !https_proxied;
    let https_eps: Vec<&str> = http_targets(targets)
        .filter(|t| t.endpoint.url.starts_with("https://"))
        .map(|t| t.endpoint.label.as_str())
        .collect();
    if http_only && !https_eps.is_empty() {
        problems.push(format!(
            "only HTTP_PROXY is set, which applies to http:// URLs: {} go direct",
            https_eps.join(", ")
        ));
        fixes.push("export HTTPS_PROXY with the same proxy URL".into());
    }
    let not_http: Vec<&str> = targets
        .iter()
        .filter(|t| t.stack == HttpStack::NotHttp)
        .map(|t| t.endpoint.label.as_str())
        .collect();
    let mut ev = json!({"set": set, "cgi": proxy::is_cgi(env)});
    if !not_http.is_empty() {
        ev["not_http"] = json!(not_http);
    }
    let r = if problems.is_empty() {
        let msg = if set.is_empty() {
            "no proxy variable is set".to_string()
        } else {
            format!("{} proxy variable(s) set, all honoured", set.len())
        };
        CheckResult::new(Layer::Environment, id, Status::Pass, msg)
    } else {
        CheckResult::new(Layer::Environment, id, Status::Warn, problems.join("; ")).fix(fixes.join("\n"))
    };
    r.evidence(ev).since(t)
}

fn ca_vars(env: &BTreeMap<String, String>, roots: &Roots, targets: &[Target]) -> CheckResult {
    let t = Instant::now();
    let id = "env.ca";
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let mut fail = false;
    let mut ev = serde_json::Map::new();
    if roots.from_env {
        let n = roots.certs.len();
        ev.insert("SSL_CERT_FILE".into(), json!(env.get("SSL_CERT_FILE")));
        ev.insert("SSL_CERT_DIR".into(), json!(env.get("SSL_CERT_DIR")));
        ev.insert("certificates".into(), json!(n));
        ev.insert("errors".into(), json!(roots.errors));
        if n == 0 {
            fail = true;
            problems.push(format!(
                "SSL_CERT_FILE/SSL_CERT_DIR replace the system roots but hold no certificate{}: every TLS connection will fail",
                roots.errors.first().map(|e| format!(" ({e})")).unwrap_or_default()
            ));
            fixes.push("point SSL_CERT_FILE at a PEM bundle (the system roots, e.g. /etc/ssl/certs/ca-certificates.crt, plus your company CA), or unset it".into());
        } else if n < 20 {
            problems.push(format!(
                "SSL_CERT_FILE/SSL_CERT_DIR replace the system roots and hold only {n} certificate(s): public endpoints will not verify"
            ));
            fixes.push("use a bundle of the system roots plus your CA: cat /etc/ssl/certs/ca-certificates.crt company-ca.pem > bundle.pem; export SSL_CERT_FILE=bundle.pem".into());
        }
    }
    // A variable of another tool matters only when it holds a CA the stacks do not trust
    // (it often points at the system bundle itself).
    let set: Vec<&str> = IGNORED_CA.iter().copied().filter(|n| env.contains_key(*n)).collect();
    let trusted: std::collections::HashSet<&[u8]> = roots.certs.iter().map(|c| c.as_ref()).collect();
    let mut ignored = Vec::new();
    for n in &set {
        let path = Path::new(&env[*n]);
        let certs = rustls_native_certs::load_certs_from_paths(Some(path), None).certs;
        let untrusted = certs.iter().filter(|c| !trusted.contains(c.as_ref())).count();
        ev.insert(
            n.to_string(),
            json!({"certificates": certs.len(), "not_trusted_by_nimbus": untrusted}),
        );
        if untrusted > 0 {
            ignored.push(format!("{n} ({untrusted} certificate(s) Nimbus does not trust)"));
        }
    }
    if !ignored.is_empty() && http_targets(targets).next().is_some() {
        problems.push(format!("{} set, but no Nimbus HTTP stack reads it", ignored.join(", ")));
        fixes.push(format!(
            "put that CA into a bundle with the system roots and export SSL_CERT_FILE=bundle.pem{}",
            if targets.iter().any(|t| matches!(
                t.stack,
                HttpStack::Hyper {
                    ca_setting: Some(_),
                    ..
                }
            )) {
                " (OpenStack profiles can set `cacert` instead)"
            } else {
                ""
            }
        ));
    }
    ev.insert("ignored".into(), json!(ignored));
    let status = if fail {
        Status::Fail
    } else if problems.is_empty() {
        Status::Pass
    } else {
        Status::Warn
    };
    let msg = if problems.is_empty() {
        match ev.get("certificates") {
            Some(n) => format!("SSL_CERT_FILE/SSL_CERT_DIR: {n} certificates"),
            None => "system root store (no CA variable set)".into(),
        }
    } else {
        problems.join("; ")
    };
    let mut r = CheckResult::new(Layer::Environment, id, status, msg).evidence(ev.into());
    if !fixes.is_empty() {
        r = r.fix(fixes.join("\n"));
    }
    r.since(t)
}

fn is_loopback(url: &str) -> bool {
    url.parse::<http::Uri>()
        .ok()
        .and_then(|u| u.host().map(|h| h.trim_matches(['[', ']']).to_string()))
        .is_some_and(|h| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

fn routes(env: &BTreeMap<String, String>, targets: &[Target]) -> Vec<CheckResult> {
    http_targets(targets)
        .map(|tg| {
            let t = Instant::now();
            let id = format!("env.route.{}", tg.endpoint.label);
            let url = nimbus_core::config::redact_url(&tg.endpoint.url);
            let route = proxy::route(env, &tg.endpoint.url);
            let ev = match &route {
                Route::Direct => json!({"url": url, "provider": tg.provider, "route": "direct"}),
                Route::Bypassed => json!({"url": url, "provider": tg.provider, "route": "no_proxy"}),
                Route::Proxy { url: p, .. } => {
                    json!({"url": url, "provider": tg.provider, "route": "proxy", "proxy": p})
                }
            };
            let r = match route {
                Route::Direct => CheckResult::new(Layer::Environment, id, Status::Pass, format!("{url}: direct")),
                Route::Bypassed => CheckResult::new(
                    Layer::Environment,
                    id,
                    Status::Pass,
                    format!("{url}: direct (NO_PROXY covers it)"),
                ),
                Route::Proxy { url: p, .. } if is_loopback(&tg.endpoint.url) => CheckResult::new(
                    Layer::Environment,
                    id,
                    Status::Warn,
                    format!("{url}: through proxy {p}, although it is a loopback address (no implicit bypass)"),
                )
                .fix("export NO_PROXY=127.0.0.1,localhost (and the other hosts that must go direct)"),
                Route::Proxy { url: p, .. } => CheckResult::new(
                    Layer::Environment,
                    id,
                    Status::Pass,
                    format!("{url}: through proxy {p}"),
                ),
            };
            r.evidence(ev).since(t)
        })
        .collect()
}
