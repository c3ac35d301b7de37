//! What `nimbus doctor` probes for a profile on this provider: the endpoints its services
//! contact, resolved by the same config code the adapter uses (so doctor probes exactly the
//! host the adapter would), and how its HTTP stack treats proxy and CA variables. Replace
//! the example with the cloud's endpoints (one per API host, each with a short label used in
//! check ids) and give the documented clock tolerance of signed requests where there is one.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack, IdentityFuture, ProviderVariables};
use nimbus_core::{Error, ErrorKind, Result};

use crate::TemplateConfig;

fn endpoints(_service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    let c = TemplateConfig::from_settings(s)?;
    Ok(c.endpoint
        .map(|url| Endpoint::new("api", url, "setting `endpoint`"))
        .into_iter()
        .collect())
}

/// Who the credentials belong to. Replace with the cloud's cheapest who-am-i call that changes
/// nothing (AWS STS `GetCallerIdentity`, the Keystone token), mapped through the adapter's
/// own error mapping; set `proven: false` for facts read from the settings only.
fn identity(_service: &str, _s: &Settings) -> IdentityFuture {
    Box::pin(async {
        Err(Error::new(
            ErrorKind::Unsupported,
            "the template cloud has no who-am-i call (replace this hook)",
        ))
    })
}

/// The cloud's own variables that fill keys a profile leaves unset, in the order the adapter
/// reads them: list exactly the ones `config.rs` reads (`("region", &["ACME_REGION"])`); the
/// template reads none.
fn variables(_service: &str) -> Vec<ProviderVariables> {
    Vec::new()
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    // A hyper-based client (reqwest 0.13, the AWS SDK) honours the proxy variables; say so
    // only once a test has proven it by traffic, and name that test.
    stack: HttpStack::NotHttp,
    variables,
    identity: Some(identity),
    permissions: None,
    explain: None,
};
