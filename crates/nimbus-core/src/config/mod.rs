//! Configuration: storage URLs, profiles per customer, typed keys, secrets.
//!
//! Each provider declares its keys once ([`ProviderSchema`]) and the same declarations serve
//! URL options, profile files and `NIMBUS_*` variables, so the three can never disagree.

mod profile;
mod schema;
mod secret;
pub mod suggest;
mod url;

pub use profile::{
    default_config_path, issues_to_error, ConfigFile, ConfigIssue, Profile, ProfileResolver, ServiceConfig,
    EXPECT_KEYS, SERVICES,
};
pub use schema::{parse_duration, KeyDef, KeyKind, ProviderSchema, Settings, COMMON_KEYS};
pub use secret::Secret;
pub use url::{is_secret_key, redact_url, StorageUrl};
