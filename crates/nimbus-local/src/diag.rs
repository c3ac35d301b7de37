//! What `nimbus doctor` probes for a profile on this provider: nothing on the network. The
//! embedded store is a directory (or memory) in this process, so proxy and CA variables do
//! not apply and there is no endpoint; its problems (a root that is missing or not writable)
//! show in doctor's data-plane checks.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack, ProviderVariables};
use nimbus_core::Result;

fn endpoints(_service: &str, _s: &Settings) -> Result<Vec<Endpoint>> {
    Ok(Vec::new())
}

/// The embedded store reads no variable of its own.
fn variables(_service: &str) -> Vec<ProviderVariables> {
    Vec::new()
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::NotHttp,
    // No credentials: a directory or memory in this process.
    variables,
    identity: None,
    permissions: None,
    explain: None,
};
