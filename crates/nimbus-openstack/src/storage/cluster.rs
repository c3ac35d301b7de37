//! What the cluster says about itself (`GET /info`), and the capabilities that follow.
//!
//! Why from `/info` and not fixed: a Swift cluster is assembled from middleware by its
//! operator. Static Large Objects (`slo`), bulk delete (`bulk`) and TempURL (`tempurl`) are
//! in Swift's sample pipeline but any of them may be missing (the Zed stack this crate is
//! tested on has no `tempurl`), and the limits (`max_file_size`, segment counts, page
//! sizes) are settings. Sending a request to middleware that is not there is not a clean
//! error: a `POST ?bulk-delete` without `bulk` is an account metadata update that deletes
//! nothing, and a `?multipart-manifest=put` without `slo` stores the JSON manifest as the
//! object. So a feature is declared only once `/info` has named it.
//!
//! Before `/info` has been read (the first call of a new client), only what Swift's core
//! API guarantees is declared; see [`Cluster::core`].

use std::time::Duration;

use nimbus_core::{ListOrdering, StorageCapabilities};
use serde_json::Value;

/// Swift's documented defaults (`swift/common/constraints.py`, `slo.py`, `bulk.py`), used
/// where `/info` is silent or disabled.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024 * 1024 + 2;
/// Default `max_object_name_length`.
pub const DEFAULT_MAX_OBJECT_NAME: usize = 1024;
/// Default `container_listing_limit`.
pub const DEFAULT_LISTING_LIMIT: usize = 10_000;
/// Swift puts no bound on a TempURL's lifetime; this adapter signs for at most 7 days, as
/// S3 and Cloud Storage allow, so that a leaked URL does not live for years.
pub const PRESIGN_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// Static Large Object limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slo {
    /// Smallest segment except the last (`min_segment_size`).
    pub min_segment_size: u64,
    /// Most segments in one manifest (`max_manifest_segments`).
    pub max_manifest_segments: u32,
    /// Largest manifest body in bytes (`max_manifest_size`).
    pub max_manifest_size: u64,
}

/// The features and limits of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Swift's version, when told.
    pub version: Option<String>,
    /// Largest single object (`swift.max_file_size`).
    pub max_file_size: u64,
    /// Longest object name in bytes (`swift.max_object_name_length`).
    pub max_object_name_length: usize,
    /// Largest listing page (`swift.container_listing_limit`).
    pub container_listing_limit: usize,
    /// SLO, when the `slo` middleware is in the pipeline.
    pub slo: Option<Slo>,
    /// Most paths per bulk delete, when the `bulk` middleware is in the pipeline.
    pub bulk_delete_max: Option<usize>,
    /// TempURL digests the cluster accepts, when the `tempurl` middleware is there.
    pub tempurl_digests: Option<Vec<String>>,
    /// Whether this value came from `/info` (else: the core defaults).
    pub discovered: bool,
}

impl Cluster {
    /// What every Swift cluster offers, before (or without) `/info`: no SLO, no bulk
    /// delete, no TempURL; the documented default limits.
    pub fn core() -> Cluster {
        Cluster {
            version: None,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_object_name_length: DEFAULT_MAX_OBJECT_NAME,
            container_listing_limit: DEFAULT_LISTING_LIMIT,
            slo: None,
            bulk_delete_max: None,
            tempurl_digests: None,
            discovered: false,
        }
    }

    /// From the `/info` document.
    pub fn from_info(v: &Value) -> Cluster {
        let u = |o: Option<&Value>, k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_u64);
        let swift = v.get("swift");
        let slo = v.get("slo").map(|s| Slo {
            min_segment_size: u(Some(s), "min_segment_size").unwrap_or(1),
            max_manifest_segments: u(Some(s), "max_manifest_segments").unwrap_or(1000) as u32,
            max_manifest_size: u(Some(s), "max_manifest_size").unwrap_or(8 * 1024 * 1024),
        });
        let bulk_delete_max = v
            .get("bulk_delete")
            .map(|b| u(Some(b), "max_deletes_per_request").unwrap_or(10_000) as usize);
        let tempurl_digests = v.get("tempurl").map(|t| {
            t.get("allowed_digests")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                // Before Swift 2.22 `/info` listed no digests: SHA-1 only.
                .unwrap_or_else(|| vec!["sha1".to_string()])
        });
        Cluster {
            version: swift
                .and_then(|s| s.get("version"))
                .and_then(Value::as_str)
                .map(str::to_string),
            max_file_size: u(swift, "max_file_size").unwrap_or(DEFAULT_MAX_FILE_SIZE),
            max_object_name_length: u(swift, "max_object_name_length")
                .map(|n| n as usize)
                .unwrap_or(DEFAULT_MAX_OBJECT_NAME),
            container_listing_limit: u(swift, "container_listing_limit")
                .map(|n| n as usize)
                .unwrap_or(DEFAULT_LISTING_LIMIT),
            slo,
            bulk_delete_max,
            tempurl_digests,
            discovered: true,
        }
    }

    /// The digest TempURLs are signed with: SHA-256 where allowed, else SHA-1 (SHA-512 is
    /// not needed: SHA-256 is allowed by default since Swift 2.22).
    pub fn tempurl_digest(&self) -> Option<Digest> {
        let d = self.tempurl_digests.as_ref()?;
        if d.iter().any(|x| x == "sha256") {
            Some(Digest::Sha256)
        } else if d.iter().any(|x| x == "sha1") {
            Some(Digest::Sha1)
        } else {
            None
        }
    }

    /// The capabilities of this cluster; presign needs a TempURL key as well.
    pub fn capabilities(&self, has_temp_url_key: bool) -> StorageCapabilities {
        let mut c = StorageCapabilities::none();
        // `If-None-Match: *` on PUT (412 when the object exists), since Swift 2.0.
        c.put_create_only = true;
        // No `If-Match` on PUT in Swift: a versioned update cannot be conditional.
        c.put_if_version = false;
        c.conditional_get = true;
        c.ranged_get = true;
        // `X-Copy-From` (the `copy` middleware is always in the pipeline since 2.9). Its
        // `If-None-Match` applies to the *source* read (a 304), so there is no create-only
        // copy.
        c.copy = true;
        c.copy_if_not_exists = false;
        if let Some(slo) = &self.slo {
            c.multipart = true;
            c.multipart_min_part_size = slo.min_segment_size;
            c.multipart_max_part_size = self.max_file_size;
            c.multipart_max_parts = slo.max_manifest_segments;
        }
        if let Some(n) = self.bulk_delete_max {
            c.batch_delete = n > 0;
            c.batch_delete_max = n;
        }
        let presign = has_temp_url_key && self.tempurl_digest().is_some();
        c.presign_get = presign;
        c.presign_put = presign;
        c.presign_max_expiry = if presign { PRESIGN_MAX } else { Duration::ZERO };
        c.list_ordering = ListOrdering::Lexicographic;
        c.list_delimiter = true;
        c.list_start_after = true;
        c.list_max_page_size = self.container_listing_limit;
        c.user_metadata = true;
        // Swift keeps these four by its default `allowed_headers` (object-server.conf); an
        // operator who removed them makes the conformance case fail, which is how it shows.
        c.http_attributes = true;
        c.max_key_len = self.max_object_name_length;
        // The contract writes streams as SLO segments (each retried on its own, objects
        // above `max_file_size` possible); `put_stream` itself is one chunked PUT, used where
        // SLO is not (yet) known.
        c.native_streamed_put = false;
        c
    }
}

/// A TempURL digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// HMAC-SHA1 (every TempURL cluster).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn info_of_the_zed_stack() {
        let info = json!({
            "swift": {"version": "2.30.1", "max_file_size": 5368709122u64, "max_object_name_length": 1024,
                      "container_listing_limit": 10000},
            "slo": {"max_manifest_segments": 1000, "max_manifest_size": 8388608, "min_segment_size": 1},
            "bulk_delete": {"max_deletes_per_request": 10000, "max_failed_deletes": 1000},
            "s3api": {"max_upload_part_num": 1000}
        });
        let c = Cluster::from_info(&info);
        assert_eq!(c.version.as_deref(), Some("2.30.1"));
        assert_eq!(c.tempurl_digest(), None);
        let caps = c.capabilities(true);
        assert!(caps.multipart && caps.batch_delete && !caps.presign_get && !caps.copy_if_not_exists);
        assert_eq!(
            (caps.multipart_max_parts, caps.batch_delete_max, caps.list_max_page_size),
            (1000, 10_000, 10_000)
        );
        assert_eq!(caps.multipart_max_part_size, 5368709122);
    }

    #[test]
    fn tempurl_digest_and_core() {
        let c = Cluster::from_info(&json!({"tempurl": {"allowed_digests": ["sha1", "sha256", "sha512"]}}));
        assert_eq!(c.tempurl_digest(), Some(Digest::Sha256));
        assert!(c.capabilities(true).presign_put);
        assert!(!c.capabilities(false).presign_get);
        let old = Cluster::from_info(&json!({"tempurl": {"methods": ["GET"]}}));
        assert_eq!(old.tempurl_digest(), Some(Digest::Sha1));
        let core = Cluster::core().capabilities(true);
        assert!(!core.multipart && !core.batch_delete && !core.presign_get && core.copy);
    }
}
