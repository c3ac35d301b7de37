//! What S3 declares, in a module of its own: the presets start from it and the storage
//! adapter uses it, so neither imports the other (before, `config → presets → storage →
//! config` was a cycle).

use std::time::Duration;

use nimbus_core::{ListOrdering, StorageCapabilities};

/// What S3 declares (limits from the S3 user guide: 5 MiB–5 GiB parts, 10,000 parts,
/// 1,000 keys per DeleteObjects, 7-day presign, 1,024-byte keys).
pub fn s3_capabilities() -> StorageCapabilities {
    let mut c = StorageCapabilities::none();
    c.put_create_only = true;
    c.put_if_version = true;
    c.conditional_get = true;
    c.ranged_get = true;
    c.copy = true;
    // Through a multipart upload of copied parts, completed under `If-None-Match: *`
    // (storage/mod.rs `copy_create_only`; S3 conditional writes).
    c.copy_if_not_exists = true;
    c.multipart = true;
    c.multipart_min_part_size = 5 * 1024 * 1024;
    c.multipart_max_part_size = 5 * 1024 * 1024 * 1024;
    c.multipart_max_parts = 10_000;
    c.batch_delete = true;
    c.batch_delete_max = 1000;
    c.presign_get = true;
    c.presign_put = true;
    c.presign_max_expiry = Duration::from_secs(7 * 24 * 3600);
    c.list_ordering = ListOrdering::Lexicographic;
    c.list_delimiter = true;
    c.list_start_after = true;
    c.list_max_page_size = 1000;
    c.user_metadata = true;
    c.http_attributes = true;
    // STANDARD, STANDARD_IA, GLACIER_IR and DEEP_ARCHIVE (storage/class.rs).
    c.storage_class = true;
    c.max_key_len = 1024;
    c
}
