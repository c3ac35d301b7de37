//! Cloud Storage classes ↔ the portable [`StorageClass`].
//!
//! An object's class is `storageClass` in its resource: sent on upload and as the rewrite's
//! destination, reported by every read of the resource and by listings. Every class is read at
//! once (`ARCHIVE` included). `MULTI_REGIONAL`, `REGIONAL` and `DURABLE_REDUCED_AVAILABILITY`
//! are legacy names that Google bills as Standard, so they read back as
//! [`StorageClass::Standard`]. Reference: <https://cloud.google.com/storage/docs/storage-classes>.

use nimbus_core::storage::StorageClass;

/// The first name of a class is the one sent.
const TABLE: &[(&str, StorageClass)] = &[
    ("STANDARD", StorageClass::Standard),
    ("NEARLINE", StorageClass::Infrequent),
    ("COLDLINE", StorageClass::Cold),
    ("ARCHIVE", StorageClass::Archive),
    ("MULTI_REGIONAL", StorageClass::Standard),
    ("REGIONAL", StorageClass::Standard),
    ("DURABLE_REDUCED_AVAILABILITY", StorageClass::Standard),
];

/// The class name to send for a portable class (the contract has refused any other).
pub(super) fn to_gcs(class: Option<&StorageClass>) -> Option<&'static str> {
    class.and_then(|c| c.to_provider(TABLE))
}

/// The portable class of a reported `storageClass`; `None` when the resource has none.
pub(super) fn from_gcs(name: &str) -> Option<StorageClass> {
    (!name.is_empty()).then(|| StorageClass::from_provider(name, TABLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_map_both_ways() {
        for c in StorageClass::PORTABLE {
            assert_eq!(from_gcs(to_gcs(Some(&c)).unwrap()), Some(c));
        }
        assert_eq!(from_gcs("REGIONAL"), Some(StorageClass::Standard));
        assert_eq!(from_gcs(""), None);
    }
}
