//! The registry of known differences, as data: `conformance/differences.toml`.
//!
//! Why data and not code: the same entries drive three things that must never disagree:
//! - the suite's declarations, where a declared difference no longer observed fails as stale
//!   and an undeclared one fails;
//! - the matrix (`scripts/conformance-matrix`), whose `differs` cells link to their entry;
//! - `docs/differences.md`, generated from the registry and the last run.
//!
//! A contributor adds a difference by adding a TOML entry with its vendor source, not by
//! editing Rust. Entries are grouped in *lists*, one per target flavour (`aws-moto-s3`,
//! `azurite`, …); a target declares the lists that apply to what it runs against.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::Difference;

/// The registry file, compiled in.
pub const REGISTRY_TOML: &str = include_str!("../differences.toml");

/// One registry entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable id; the anchor of its row in `docs/differences.md`.
    pub id: String,
    /// The declaration list it belongs to (`aws-moto-s3`, `azurite`, …).
    pub list: String,
    /// The provider the report names (`aws`, `azure`, …).
    pub provider: String,
    /// `provider` (how the real service behaves) or `emulator` (an emulator's gap).
    pub kind: String,
    /// The case that proves it.
    pub case: String,
    /// What differs.
    pub description: String,
    /// The vendor's documentation of it.
    pub source: String,
    /// Only sometimes observable.
    #[serde(default)]
    pub intermittent: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    difference: Vec<Entry>,
}

/// Every entry, parsed once. Panics on a malformed registry (a build-time asset; the unit
/// test below parses it in CI).
pub fn entries() -> &'static [Entry] {
    static ALL: OnceLock<Vec<Entry>> = OnceLock::new();
    ALL.get_or_init(|| {
        toml::from_str::<File>(REGISTRY_TOML)
            .unwrap_or_else(|e| panic!("conformance/differences.toml: {e}"))
            .difference
    })
}

/// The declarations of one list, in registry order.
pub fn declared(list: &str) -> Vec<Difference> {
    entries()
        .iter()
        .filter(|e| e.list == list)
        .map(|e| Difference {
            id: e.id.clone(),
            case: e.case.clone(),
            description: e.description.clone(),
            source: e.source.clone(),
            intermittent: e.intermittent,
        })
        .collect()
}

/// What a live run of `provider` declares: its entries of kind `provider` (how the real
/// service behaves), once per id, without any emulator's gaps.
pub fn live(provider: &str) -> Vec<Difference> {
    let mut out: Vec<Difference> = Vec::new();
    for e in entries()
        .iter()
        .filter(|e| e.provider == provider && e.kind == "provider")
    {
        if !out.iter().any(|d| d.id == e.id) {
            out.extend(declared(&e.list).into_iter().filter(|d| d.id == e.id));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Which providers and lists an entry may name is the provider registry's business (the
    /// suite knows no provider): `crates/nimbus/tests/registry.rs` checks those.
    #[test]
    fn the_registry_is_well_formed() {
        let all = entries();
        assert!(!all.is_empty());
        let cases: BTreeSet<&str> = crate::cases::all_cases().iter().map(|c| c.id).collect();
        let mut seen = BTreeSet::new();
        for e in all {
            assert!(
                seen.insert((e.list.as_str(), e.id.as_str())),
                "duplicate {} in {}",
                e.id,
                e.list
            );
            assert!(cases.contains(e.case.as_str()), "{}: no case `{}`", e.id, e.case);
            assert!(
                matches!(e.kind.as_str(), "provider" | "emulator"),
                "{}: kind {}",
                e.id,
                e.kind
            );
            assert!(
                e.source.starts_with("https://") || e.source.starts_with("docs/"),
                "{}: a difference needs its source, got `{}`",
                e.id,
                e.source
            );
        }
    }
}
