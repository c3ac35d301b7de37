//! S3 storage classes ↔ the portable [`StorageClass`].
//!
//! S3 names a class on PutObject, CreateMultipartUpload and CopyObject
//! (`x-amz-storage-class`) and reports it on HEAD, GET and ListObjectsV2, except for
//! `STANDARD`, which HEAD and GET leave out: an absent header means `STANDARD`
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html>).

use aws_sdk_s3::types::StorageClass as S3Class;
use nimbus_core::storage::StorageClass;

/// The first name of a class is the one sent. `GLACIER` (Flexible Retrieval) also reads as
/// `Archive`: like `DEEP_ARCHIVE` it must be restored before a get.
const TABLE: &[(&str, StorageClass)] = &[
    ("STANDARD", StorageClass::Standard),
    ("STANDARD_IA", StorageClass::Infrequent),
    ("GLACIER_IR", StorageClass::Cold),
    ("DEEP_ARCHIVE", StorageClass::Archive),
    ("GLACIER", StorageClass::Archive),
];

/// The S3 class to send for a portable one (the contract has refused any other).
pub(super) fn to_s3(class: Option<&StorageClass>) -> Option<S3Class> {
    class.and_then(|c| c.to_provider(TABLE)).map(S3Class::from)
}

/// The portable class of a HEAD, GET or listing answer.
pub(super) fn from_s3(name: Option<&str>) -> StorageClass {
    name.map_or(StorageClass::Standard, |n| StorageClass::from_provider(n, TABLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_standard_and_unknown_is_kept() {
        assert_eq!(from_s3(None), StorageClass::Standard);
        assert_eq!(from_s3(Some("GLACIER")), StorageClass::Archive);
        assert_eq!(from_s3(Some("ONEZONE_IA")), StorageClass::Other("ONEZONE_IA".into()));
        assert_eq!(to_s3(Some(&StorageClass::Cold)), Some(S3Class::GlacierIr));
        assert_eq!(to_s3(Some(&StorageClass::Archive)), Some(S3Class::DeepArchive));
        assert_eq!(to_s3(None), None);
    }
}
