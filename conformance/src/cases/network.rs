//! Network cases.

use super::{case, Case};

/// Network cases.
pub fn cases() -> Vec<Case> {
    vec![]
}

#[allow(unused)]
fn _m() -> Case {
    case!(Network, "network.none", "none", none)
}
async fn none(_c: crate::Ctx) -> crate::ctx::CaseResult {
    Ok(crate::Observed::Pass)
}
