//! The provider's settings: the keys a profile may set (with aliases and docs, checked by
//! `nimbus config check` with did-you-mean suggestions) and the resolved configuration.
//! Replace the example keys with the cloud's own, and read its standard environment
//! variables in `from_settings` the way its own CLI does.

use nimbus_core::config::{KeyDef, KeyKind, ProviderSchema, Settings};
use nimbus_core::Result;

const KEYS: &[KeyDef] = &[
    KeyDef {
        name: "endpoint",
        aliases: &["url"],
        kind: KeyKind::String,
        doc: "API endpoint (example key: replace with the cloud's own).",
    },
    KeyDef {
        name: "region",
        aliases: &["location"],
        kind: KeyKind::String,
        doc: "Region (example key).",
    },
];

/// The keys of the `template` provider.
pub const SCHEMA: ProviderSchema = ProviderSchema {
    provider: "template",
    storage: KEYS,
    compute: KEYS,
    network: KEYS,
};

/// A resolved target. Secrets belong in `nimbus_core::config::Secret` so that `Debug` never
/// shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateConfig {
    /// API endpoint.
    pub endpoint: Option<String>,
    /// Region.
    pub region: Option<String>,
}

impl TemplateConfig {
    /// From resolved settings.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Ok(TemplateConfig {
            endpoint: s.get("endpoint").map(str::to_string),
            region: s.get("region").map(str::to_string),
        })
    }
}
