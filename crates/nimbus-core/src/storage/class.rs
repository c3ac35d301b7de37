//! The portable storage class: how often an object is expected to be read.
//!
//! Why four names and not the providers' own strings: a product team picks "rarely read" once,
//! and every customer's cloud stores the object in its own class of that kind. The four tiers
//! are jclouds' (`Tier`: standard, infrequent, cold, archive), which every large object store
//! has an answer for:
//!
//! | tier | S3 | Azure Blob (access tier) | Cloud Storage |
//! |---|---|---|---|
//! | `Standard` | `STANDARD` | `Hot` | `STANDARD` |
//! | `Infrequent` | `STANDARD_IA` | `Cool` | `NEARLINE` |
//! | `Cold` | `GLACIER_IR` | `Cold` | `COLDLINE` |
//! | `Archive` | `DEEP_ARCHIVE` | `Archive` | `ARCHIVE` |
//!
//! `Cold` is read at once everywhere; `Archive` is not on S3 and Azure, where a get before a
//! restore fails with [`crate::ErrorKind::Conflict`] (a registered difference, proven by the
//! suite; Cloud Storage reads archived objects at once). A class a provider reports without a
//! portable name (S3 `INTELLIGENT_TIERING`, `ONEZONE_IA`) reads back as
//! [`StorageClass::Other`] with the provider's own string; a put refuses it, because it would
//! mean something else, or nothing, on the next customer's cloud.
//!
//! Rejected: the provider's string as is (object_store's `Attribute::StorageClass`), which makes
//! every caller carry a table per cloud; an S3-only enum, which has no honest answer on Azure.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A portable storage class (capability `storage.storage_class`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StorageClass {
    /// Read often: the provider's default class.
    Standard,
    /// Read about once a month or less; cheaper to store, a fee per read.
    Infrequent,
    /// Read about once a quarter or less, still at once.
    Cold,
    /// Kept for years; on some providers unreadable until restored.
    Archive,
    /// A class without a portable name, as the provider spelled it. Reported only: a put
    /// with it is `InvalidInput`.
    Other(String),
}

impl StorageClass {
    /// The four portable classes.
    pub const PORTABLE: [StorageClass; 4] = [
        StorageClass::Standard,
        StorageClass::Infrequent,
        StorageClass::Cold,
        StorageClass::Archive,
    ];

    /// The portable name (`standard`, `infrequent`, `cold`, `archive`), or the provider's own.
    pub fn as_str(&self) -> &str {
        match self {
            StorageClass::Standard => "standard",
            StorageClass::Infrequent => "infrequent",
            StorageClass::Cold => "cold",
            StorageClass::Archive => "archive",
            StorageClass::Other(s) => s,
        }
    }

    /// Whether this is one of the four portable classes.
    pub fn is_portable(&self) -> bool {
        !matches!(self, StorageClass::Other(_))
    }

    /// The class a provider name stands for, from a table of (provider name, class) pairs
    /// compared ignoring ASCII case; [`StorageClass::Other`] when the name is not in it. For
    /// adapters reading a class back.
    pub fn from_provider(name: &str, table: &[(&str, StorageClass)]) -> StorageClass {
        table
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| StorageClass::Other(name.to_string()))
    }

    /// The provider name of a portable class in such a table; `None` for a class the table
    /// does not name (the contract has refused [`StorageClass::Other`] before an adapter runs).
    pub fn to_provider<'a>(&self, table: &[(&'a str, StorageClass)]) -> Option<&'a str> {
        table.iter().find(|(_, c)| c == self).map(|(n, _)| *n)
    }
}

impl fmt::Display for StorageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a portable name (ignoring ASCII case), for configuration and the CLI.
impl FromStr for StorageClass {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        StorageClass::PORTABLE
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown storage class `{}`: expected standard, infrequent, cold or archive",
                    s.escape_debug()
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[(&str, StorageClass)] = &[
        ("STANDARD", StorageClass::Standard),
        ("STANDARD_IA", StorageClass::Infrequent),
        ("GLACIER", StorageClass::Archive),
        ("DEEP_ARCHIVE", StorageClass::Archive),
    ];

    #[test]
    fn provider_names_map_both_ways() {
        assert_eq!(
            StorageClass::from_provider("standard_ia", TABLE),
            StorageClass::Infrequent
        );
        assert_eq!(
            StorageClass::from_provider("INTELLIGENT_TIERING", TABLE),
            StorageClass::Other("INTELLIGENT_TIERING".into())
        );
        // The first name of a class is the one sent.
        assert_eq!(StorageClass::Archive.to_provider(TABLE), Some("GLACIER"));
        assert_eq!(StorageClass::Cold.to_provider(TABLE), None);
    }

    #[test]
    fn parses_portable_names_only() {
        assert_eq!("Cold".parse::<StorageClass>().unwrap(), StorageClass::Cold);
        let e = "GLACIER".parse::<StorageClass>().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(!StorageClass::Other("X".into()).is_portable());
    }
}
