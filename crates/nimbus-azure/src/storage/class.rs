//! Azure access tiers ↔ the portable [`StorageClass`].
//!
//! A block blob's tier is set on Put Blob, Put Block List and Copy Blob (`x-ms-access-tier`)
//! and reported by Get Blob Properties and List Blobs (`AccessTier`); a blob without one has
//! the account's default tier, reported as inferred. An `Archive` blob cannot be read until it
//! is rehydrated (409 `BlobArchived`, `Conflict`). Premium page-blob tiers (`P10` …) have no
//! portable name and read back as [`StorageClass::Other`]. Reference:
//! <https://learn.microsoft.com/azure/storage/blobs/access-tiers-overview>.

use azure_storage_blob::models::AccessTier;
use nimbus_core::storage::StorageClass;

const TABLE: &[(&str, StorageClass)] = &[
    ("Hot", StorageClass::Standard),
    ("Cool", StorageClass::Infrequent),
    ("Cold", StorageClass::Cold),
    ("Archive", StorageClass::Archive),
];

/// The tier to send for a portable class (the contract has refused any other).
pub(super) fn to_tier(class: Option<&StorageClass>) -> Option<AccessTier> {
    match class?.to_provider(TABLE)? {
        "Hot" => Some(AccessTier::Hot),
        "Cool" => Some(AccessTier::Cool),
        "Cold" => Some(AccessTier::Cold),
        _ => Some(AccessTier::Archive),
    }
}

/// The portable class of a reported tier.
pub(super) fn from_tier(tier: &str) -> StorageClass {
    StorageClass::from_provider(tier, TABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_map_both_ways() {
        for c in StorageClass::PORTABLE {
            let tier = to_tier(Some(&c)).unwrap();
            assert_eq!(from_tier(tier.as_ref()), c);
        }
        assert_eq!(from_tier("P10"), StorageClass::Other("P10".into()));
        assert_eq!(to_tier(None), None);
    }
}
