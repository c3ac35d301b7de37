//! Compute cases.

use super::{case, Case};

/// Compute cases.
pub fn cases() -> Vec<Case> {
    vec![]
}

#[allow(unused)]
fn _m() -> Case {
    case!(Compute, "compute.none", "none", none)
}
async fn none(_c: crate::Ctx) -> crate::ctx::CaseResult {
    Ok(crate::Observed::Pass)
}
