//! Targets for Azure Blob storage (Azurite in CI, real accounts by profile).

use std::sync::Arc;

use nimbus_azure::{AzureBlobStorage, AzureStorageConfig};
use nimbus_core::Result;

use crate::http::HttpPresign;
use crate::{Difference, Target};

/// Blob storage of the account `cfg` names, storage rows proven by `proof`
/// (e.g. `emulator: Azurite 3.35.0`).
pub fn blob_target(provider: &str, cfg: &AzureStorageConfig, proof: &str) -> Result<Target> {
    let mut t = Target::new(provider);
    t.storage = Some(Arc::new(AzureBlobStorage::connect(cfg)?));
    t.presign = Some(Arc::new(HttpPresign::default()));
    t.proof.insert("storage".into(), proof.into());
    Ok(t)
}

/// Differences of Azure Blob storage and of Azurite 3.35.0 (emulator differences marked).
pub fn azurite_differences() -> Vec<Difference> {
    let d = Difference::new;
    vec![
        d(
            "etag-not-content-hash",
            "storage.etag_changes_with_content",
            "Azure ETags are opaque version stamps (0x8D…), not the MD5 of the content: the same bytes under two names have different ETags. Compare content with Content-MD5, not the ETag",
            "https://learn.microsoft.com/rest/api/storageservices/get-blob-properties#response-headers",
        ),
        d(
            "upload-part-after-abort-accepted",
            "storage.multipart_abort",
            "Azure has no multipart upload object to cancel: after an abort, Put Block still accepts blocks for the blob; uncommitted blocks are discarded after 7 days or at the blob's next commit",
            "https://learn.microsoft.com/rest/api/storageservices/put-block#remarks",
        ),
        d(
            "presign-put-needs-header",
            "storage.presign_put",
            "a PUT to a SAS URL must also send `x-ms-blob-type: BlockBlob` (Azure: 400 MissingRequiredHeader; Azurite: a bare 400); browsers and curl uploading to the URL have to add it",
            "https://learn.microsoft.com/rest/api/storageservices/put-blob#request-headers-all-blob-types",
        ),
    ]
}
