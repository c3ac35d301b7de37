//! Targets for Google Cloud Storage (fake-gcs-server in CI, real projects by profile).

use std::sync::Arc;

use nimbus_core::Result;
use nimbus_gcp::{GcsConfig, GcsStorage};

use crate::{Difference, Target};

/// Cloud Storage through `cfg`, storage rows proven by `proof`
/// (e.g. `emulator: fake-gcs-server 1.54.0`).
pub async fn gcs_target(provider: &str, cfg: &GcsConfig, proof: &str) -> Result<Target> {
    let mut t = Target::new(provider);
    t.storage = Some(Arc::new(GcsStorage::connect(cfg).await?));
    t.proof.insert("storage".into(), proof.into());
    Ok(t)
}

/// Differences of fake-gcs-server 1.54.0 (emulator differences: upstream fixed several
/// after that release) and of Cloud Storage itself.
pub fn fake_gcs_differences() -> Vec<Difference> {
    let d = Difference::new;
    vec![
        d(
            "delete-non-empty-bucket-kind",
            "storage.bucket_delete_non_empty",
            "emulator difference: fake-gcs-server refuses to delete a non-empty bucket with 412 Precondition Failed; Cloud Storage answers 409 Conflict",
            "https://cloud.google.com/storage/docs/json_api/v1/status-codes#409_Conflict",
        ),
        d(
            "content-type-not-stored",
            "storage.content_type_round_trip",
            "emulator difference: fake-gcs-server 1.54 takes the content type of a multipart upload from the media part, and google-cloud-storage sends it in the metadata part, so it is lost; Cloud Storage keeps it",
            "https://cloud.google.com/storage/docs/uploading-objects#uploading-an-object (contentType in the object resource)",
        ),
        d(
            "copy-content-type-not-stored",
            "storage.copy_object",
            "emulator difference: the same loss seen through a copy (the source had no content type stored)",
            "https://cloud.google.com/storage/docs/json_api/v1/objects/rewrite",
        ),
        d(
            "copy-if-not-exists-ignored",
            "storage.copy_if_not_exists",
            "emulator difference: fake-gcs-server 1.54 ignores ifGenerationMatch=0 on rewrite and replaces the destination (fixed upstream after 1.54: fsouza/fake-gcs-server#2343); Cloud Storage answers 412",
            "https://cloud.google.com/storage/docs/request-preconditions",
        ),
    ]
}
