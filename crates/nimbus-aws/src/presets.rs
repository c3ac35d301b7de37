//! Named S3-compatible clouds: endpoint pattern, region, addressing style, and the
//! capability differences their vendors document.
//!
//! "S3-compatible" is a spectrum. Each preset starts from S3's capabilities and changes only
//! what the vendor documents (every difference carries its source, also listed in
//! docs/s3-compatible.md). Where a vendor documents nothing about a feature (conditional
//! create on Backblaze B2 or Huawei OBS, say), the preset does not declare it: the call fails
//! with the typed unsupported error (from the contract, before any request) instead of
//! silently overwriting. Set [`crate::S3Storage::with_capabilities`] if your deployment is
//! known to do more.
//!
//! None of these clouds runs here: the presets are proven only as far as the generic S3 path
//! (moto, s3s-fs) and the unit tests below go. docs/s3-compatible.md says so per row.

use nimbus_core::config::suggest;
use nimbus_core::{Error, Result, StorageCapabilities};

use crate::capabilities::s3_capabilities;

/// How a cloud refuses to overwrite an existing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CreateOnly {
    /// `If-None-Match: *` (S3 since 2024, R2, MinIO).
    IfNoneMatch,
    /// A vendor header set to `true` (Aliyun OSS `x-oss-forbid-overwrite`, Tencent COS
    /// `x-cos-forbid-overwrite`).
    Header(&'static str),
    /// Not documented: create-only puts fail with the typed unsupported error.
    Unsupported,
}

/// One documented difference from S3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetDifference {
    /// What differs.
    pub what: &'static str,
    /// The vendor page that documents it.
    pub source: &'static str,
}

/// A named S3-compatible cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Preset {
    /// Name used in configuration (`preset = "r2"`).
    pub name: &'static str,
    /// Display name.
    pub title: &'static str,
    /// Endpoint pattern with `{region}` / `{account_id}` placeholders; empty for self-hosted
    /// servers, whose endpoint must be configured.
    pub endpoint: &'static str,
    /// Region used for signing when none is configured (`None`: a region must be set).
    pub default_region: Option<&'static str>,
    /// Path-style addressing by default.
    pub path_style: bool,
    /// How create-only puts are expressed.
    pub create_only: CreateOnly,
    /// `If-Match` on PUT (update-if-version) is documented.
    pub put_if_match: bool,
    /// Smallest part except the last, in bytes.
    pub min_part_size: u64,
    /// Every part but the last must have the same size.
    pub equal_parts: bool,
    /// Most parts in one upload.
    pub max_parts: u32,
    /// DeleteObjects usable through the AWS SDK.
    pub batch_delete: bool,
    /// Documented differences, with sources.
    pub differences: &'static [PresetDifference],
}

const MIB: u64 = 1024 * 1024;

/// Every preset.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "minio",
        title: "MinIO",
        endpoint: "",
        default_region: Some("us-east-1"),
        path_style: true,
        create_only: CreateOnly::IfNoneMatch,
        put_if_match: true,
        min_part_size: 5 * MIB,
        equal_parts: false,
        max_parts: 10_000,
        batch_delete: true,
        differences: &[
            PresetDifference {
                what: "self-hosted: the endpoint is yours; virtual-hosted addressing only when the server sets MINIO_DOMAIN, so path-style is the default",
                source: "https://min.io/docs/minio/linux/reference/minio-server/settings/core.html",
            },
            PresetDifference {
                what: "If-Match / If-None-Match on PutObject are a MinIO extension (conditional create works)",
                source: "https://github.com/minio/minio/pull/16551",
            },
            PresetDifference {
                what: "the signing region is the server's MINIO_SITE_REGION (set `region` if it is not us-east-1)",
                source: "https://github.com/minio/minio/tree/master/docs/config",
            },
            PresetDifference {
                what: "ListMultipartUploads needs the exact object name as prefix; no AbortIncompleteMultipartUpload lifecycle action",
                source: "https://min.io/docs/minio/linux/reference/s3-api-compatibility.html",
            },
        ],
    },
    Preset {
        name: "ceph-rgw",
        title: "Ceph RADOS Gateway",
        endpoint: "",
        default_region: Some("us-east-1"),
        path_style: true,
        create_only: CreateOnly::Unsupported,
        put_if_match: false,
        min_part_size: 5 * MIB,
        equal_parts: false,
        max_parts: 10_000,
        batch_delete: true,
        differences: &[
            PresetDifference {
                what: "self-hosted: virtual-hosted addressing needs rgw_dns_name and wildcard certificates, so path-style is the default",
                source: "https://docs.ceph.com/en/latest/radosgw/s3/commons/",
            },
            PresetDifference {
                what: "Put Object documents no If-None-Match / If-Match: create-only and update-if-version puts are not declared",
                source: "https://docs.ceph.com/en/latest/radosgw/s3/objectops/",
            },
            PresetDifference {
                what: "part size minimum, part count and DeleteObjects limit are server options (rgw_multipart_min_part_size 5 MiB, rgw_multipart_part_upload_limit 10000, rgw_delete_multi_obj_max_num 1000 by default)",
                source: "https://github.com/ceph/ceph/blob/main/src/common/options/rgw.yaml.in",
            },
        ],
    },
    Preset {
        name: "r2",
        title: "Cloudflare R2",
        endpoint: "https://{account_id}.r2.cloudflarestorage.com",
        default_region: Some("auto"),
        path_style: false,
        create_only: CreateOnly::IfNoneMatch,
        put_if_match: true,
        min_part_size: 5 * MIB,
        equal_parts: true,
        max_parts: 10_000,
        batch_delete: true,
        differences: &[
            PresetDifference {
                what: "region is `auto` (empty and us-east-1 are treated as auto)",
                source: "https://developers.cloudflare.com/r2/api/s3/api/",
            },
            PresetDifference {
                what: "every multipart part but the last must have the same size (the last may be smaller)",
                source: "https://developers.cloudflare.com/r2/objects/multipart-objects",
            },
            PresetDifference {
                what: "no object versioning (PutBucketVersioning is not implemented)",
                source: "https://developers.cloudflare.com/r2/api/s3/api/",
            },
            PresetDifference {
                what: "at most one write per second to the same key (429 beyond)",
                source: "https://developers.cloudflare.com/r2/platform/limits",
            },
            PresetDifference {
                what: "conditional copy uses cf-copy-destination-if-* headers (not declared here: copy if-not-exists stays unsupported)",
                source: "https://developers.cloudflare.com/r2/api/s3/conditional-operations/",
            },
        ],
    },
    Preset {
        name: "oss",
        title: "Alibaba Cloud OSS",
        endpoint: "https://s3.oss-{region}.aliyuncs.com",
        default_region: None,
        path_style: false,
        create_only: CreateOnly::Header("x-oss-forbid-overwrite"),
        put_if_match: false,
        min_part_size: 100 * 1024,
        equal_parts: false,
        max_parts: 10_000,
        batch_delete: true,
        differences: &[
            PresetDifference {
                what: "virtual-hosted addressing only: path-style requests are denied",
                source: "https://www.alibabacloud.com/help/en/oss/developer-reference/compatibility-with-amazon-s3",
            },
            PresetDifference {
                what: "create-only is the x-oss-forbid-overwrite: true header; an existing object gives 409 FileAlreadyExists",
                source: "https://www.alibabacloud.com/help/en/object-storage-service/latest/disable-overwriting-object-with-the-same-name",
            },
            PresetDifference {
                what: "multipart parts from 100 KB (S3: 5 MiB), at most 10,000",
                source: "https://help.aliyun.com/en/oss/user-guide/0042-00000213",
            },
            PresetDifference {
                what: "new accounts must use a custom domain for data calls on buckets in mainland China regions",
                source: "https://www.alibabacloud.com/help/en/oss/developer-reference/use-amazon-s3-sdks-to-access-oss",
            },
        ],
    },
    Preset {
        name: "cos",
        title: "Tencent Cloud COS",
        endpoint: "https://cos.{region}.myqcloud.com",
        default_region: None,
        path_style: false,
        create_only: CreateOnly::Header("x-cos-forbid-overwrite"),
        put_if_match: false,
        min_part_size: MIB,
        equal_parts: false,
        max_parts: 10_000,
        batch_delete: true,
        differences: &[
            PresetDifference {
                what: "bucket names carry the account's APPID suffix (`name-1250000000`)",
                source: "https://www.tencentcloud.com/document/product/436/7749",
            },
            PresetDifference {
                what: "create-only is the x-cos-forbid-overwrite: true header (documented on multipart initiation; on simple PUT not proven here)",
                source: "https://www.tencentcloud.com/document/api/436/7746",
            },
            PresetDifference {
                what: "multipart parts from 1 MB, at most 10,000",
                source: "https://www.tencentcloud.com/document/product/436/7750",
            },
            PresetDifference {
                what: "a failed copy can answer HTTP 200 with the error in the body",
                source: "https://intl.cloud.tencent.com/document/api/436/10881",
            },
        ],
    },
    Preset {
        name: "obs",
        title: "Huawei Cloud OBS",
        endpoint: "https://obs.{region}.myhuaweicloud.com",
        default_region: None,
        path_style: false,
        create_only: CreateOnly::Unsupported,
        put_if_match: false,
        min_part_size: 100 * 1024,
        equal_parts: false,
        max_parts: 10_000,
        batch_delete: false,
        differences: &[
            PresetDifference {
                what: "virtual-hosted addressing required (path-style can fail with VirtualHostDomainRequired)",
                source: "https://support.huaweicloud.com/intl/en-us/api-obs/obs_errorcode_0014.html",
            },
            PresetDifference {
                what: "no documented conditional create: create-only puts are not declared",
                source: "https://support.huaweicloud.com/intl/en-us/api-obs/obs_04_0080.html",
            },
            PresetDifference {
                what: "batch delete requires Content-MD5, which current AWS SDKs replace by CRC32 checksums: batch delete is not declared (delete keys one by one)",
                source: "https://support.huaweicloud.com/intl/en-us/tr-central-201-api-obs/obs_04_0086.html",
            },
            PresetDifference {
                what: "multipart parts from 100 KB",
                source: "https://support.huaweicloud.com/intl/en-us/tr-central-201-api-obs/obs_04_0099.html",
            },
        ],
    },
    Preset {
        name: "b2",
        title: "Backblaze B2",
        endpoint: "https://s3.{region}.backblazeb2.com",
        default_region: None,
        path_style: false,
        create_only: CreateOnly::Unsupported,
        put_if_match: false,
        min_part_size: 5 * MIB,
        equal_parts: false,
        max_parts: 10_000,
        batch_delete: true,
        differences: &[
            PresetDifference {
                what: "HTTPS and SigV4 only; an account lives in one region (e.g. us-west-004)",
                source: "https://www.backblaze.com/docs/cloud-storage-call-the-s3-compatible-api",
            },
            PresetDifference {
                what: "Put Object documents no If-None-Match / If-Match: conditional puts are not declared",
                source: "https://www.backblaze.com/apidocs/s3-put-object",
            },
        ],
    },
    Preset {
        name: "spaces",
        title: "DigitalOcean Spaces",
        endpoint: "https://{region}.digitaloceanspaces.com",
        default_region: None,
        path_style: false,
        create_only: CreateOnly::Unsupported,
        put_if_match: false,
        min_part_size: 5 * MIB,
        equal_parts: false,
        max_parts: 10_000,
        batch_delete: false,
        differences: &[
            PresetDifference {
                what: "endpoint `{region}.digitaloceanspaces.com`, signing region the datacenter code (e.g. nyc3); virtual-hosted addressing as on S3",
                source: "https://docs.digitalocean.com/reference/api/spaces-api/",
            },
            PresetDifference {
                what: "the S3 compatibility table documents no conditional PutObject (If-None-Match / If-Match): create-only and update-if-version puts are not declared",
                source: "https://docs.digitalocean.com/products/spaces/reference/s3-compatibility/",
            },
            PresetDifference {
                what: "copies stay within one region and cluster (CopyObject, UploadPartCopy)",
                source: "https://docs.digitalocean.com/products/spaces/reference/s3-compatibility/",
            },
            PresetDifference {
                what: "the compatibility table does not list DeleteObjects (multi-object delete), so batch delete is not declared; `delete_many` is the typed unsupported error",
                source: "https://docs.digitalocean.com/products/spaces/reference/s3-compatibility/",
            },
            PresetDifference {
                what: "parts 5 MiB to 5 GiB except the last, at most 10,000; PUT and parts sent through the Spaces CDN with a presigned URL carry at most 8,100 KiB",
                source: "https://docs.digitalocean.com/products/spaces/details/limits/",
            },
        ],
    },
    Preset {
        name: "swift",
        title: "OpenStack Swift (s3api)",
        endpoint: "",
        default_region: Some("us-east-1"),
        path_style: true,
        create_only: CreateOnly::Unsupported,
        put_if_match: false,
        min_part_size: 5 * MIB,
        equal_parts: false,
        max_parts: 1000,
        batch_delete: false,
        differences: &[
            PresetDifference {
                what: "self-hosted: the endpoint is the Swift proxy with the `s3api` middleware; virtual-hosted addressing needs `storage_domain` set by the operator, so path-style is the default; the signing region is the middleware's `location` (us-east-1 unless configured)",
                source: "https://docs.openstack.org/swift/latest/middleware.html#module-swift.common.middleware.s3api.s3api",
            },
            PresetDifference {
                what: "conditional PUTs (If-None-Match, If-Match) are refused with 501 NotImplemented: create-only and update-if-version puts are not declared (Swift's own API has create-only: use the `openstack` provider)",
                source: "https://docs.openstack.org/swift/latest/s3_compat.html",
            },
            PresetDifference {
                what: "multipart uploads are Static Large Objects: at most `max_upload_part_num` parts (1,000 by default), parts from `min_segment_size` (5 MiB by default); the segments live in the `<bucket>+segments` container",
                source: "https://docs.openstack.org/swift/latest/middleware.html#module-swift.common.middleware.s3api.s3api",
            },
            PresetDifference {
                what: "DeleteObjects requires Content-MD5 (Swift 2.30 s3api), which current AWS SDKs replace by CRC32 checksums: batch delete is not declared (keys are deleted one by one; Swift's own bulk delete is in the `openstack` provider)",
                source: "https://github.com/openstack/swift/blob/2.30.0/swift/common/middleware/s3api/controllers/multi_delete.py",
            },
            PresetDifference {
                what: "credentials are EC2 credentials of Keystone (`openstack ec2 credentials create`, with `s3token`) or tempauth users, not the Keystone password",
                source: "https://docs.openstack.org/swift/latest/s3_compat.html",
            },
        ],
    },
];

/// The preset called `name`; an unknown name lists the presets and suggests the nearest.
pub fn preset(name: &str) -> Result<&'static Preset> {
    let name = name.trim().to_ascii_lowercase();
    if let Some(p) = PRESETS.iter().find(|p| p.name == name) {
        return Ok(p);
    }
    let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
    let hint = suggest::did_you_mean(&name, names.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    Err(Error::invalid(format!(
        "unknown S3-compatible preset `{name}`: {hint}presets: {}",
        names.join(", ")
    )))
}

impl Preset {
    /// S3's capabilities with this cloud's documented differences applied.
    pub fn capabilities(&self) -> StorageCapabilities {
        let mut c = s3_capabilities();
        c.put_create_only = self.create_only != CreateOnly::Unsupported;
        // Create-only copies complete a multipart upload under `If-None-Match: *`, which no
        // preset's vendor documents for CompleteMultipartUpload: not declared.
        c.copy_if_not_exists = false;
        // Each vendor has its own classes (R2 Standard/InfrequentAccess, Wasabi none, MinIO
        // STANDARD/REDUCED_REDUNDANCY as parity settings): none documents S3's four.
        c.storage_class = false;
        c.put_if_version = self.put_if_match;
        c.multipart_min_part_size = self.min_part_size;
        c.multipart_equal_parts = self.equal_parts;
        c.multipart_max_parts = self.max_parts;
        c.batch_delete = self.batch_delete;
        if !self.batch_delete {
            c.batch_delete_max = 0;
        }
        c
    }

    /// The endpoint for a region and account; `InvalidInput` naming what is missing.
    pub fn endpoint_for(&self, region: Option<&str>, account_id: Option<&str>) -> Result<String> {
        if self.endpoint.is_empty() {
            return Err(Error::invalid(format!(
                "{} is self-hosted: set `endpoint` to your server's URL",
                self.title
            )));
        }
        let mut e = self.endpoint.to_string();
        if e.contains("{region}") {
            let r = region.ok_or_else(|| {
                Error::invalid(format!(
                    "{} needs `region` to build its endpoint {}",
                    self.title, self.endpoint
                ))
            })?;
            e = e.replace("{region}", r);
        }
        if e.contains("{account_id}") {
            let a = account_id.ok_or_else(|| {
                Error::invalid(format!(
                    "{} needs `account_id` to build its endpoint {}",
                    self.title, self.endpoint
                ))
            })?;
            e = e.replace("{account_id}", a);
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_sourced_differences_and_a_usable_endpoint_rule() {
        for p in PRESETS {
            assert!(!p.differences.is_empty(), "{}", p.name);
            for d in p.differences {
                assert!(d.source.starts_with("https://"), "{}: {}", p.name, d.source);
            }
            let e = p.endpoint_for(Some("r1"), Some("acct"));
            assert_eq!(e.is_ok(), !p.endpoint.is_empty(), "{}", p.name);
        }
    }

    #[test]
    fn endpoints_are_built_from_region_and_account() {
        assert_eq!(
            preset("r2").unwrap().endpoint_for(None, Some("abc123")).unwrap(),
            "https://abc123.r2.cloudflarestorage.com"
        );
        assert_eq!(
            preset("oss").unwrap().endpoint_for(Some("cn-hangzhou"), None).unwrap(),
            "https://s3.oss-cn-hangzhou.aliyuncs.com"
        );
        let e = preset("r2").unwrap().endpoint_for(None, None).unwrap_err();
        assert!(e.to_string().contains("account_id"), "{e}");
        let e = preset("minio").unwrap().endpoint_for(None, None).unwrap_err();
        assert!(e.to_string().contains("set `endpoint`"), "{e}");
    }

    #[test]
    fn unknown_preset_suggests() {
        let e = preset("mino").unwrap_err();
        assert!(e.to_string().contains("did you mean `minio`"), "{e}");
    }

    #[test]
    fn capabilities_follow_the_documentation() {
        let r2 = preset("r2").unwrap().capabilities();
        assert!(r2.multipart_equal_parts && r2.put_create_only);
        let b2 = preset("b2").unwrap().capabilities();
        assert!(!b2.put_create_only && !b2.put_if_version);
        let oss = preset("oss").unwrap().capabilities();
        assert!(oss.put_create_only && oss.multipart_min_part_size == 100 * 1024);
        assert!(!preset("obs").unwrap().capabilities().batch_delete);
        let spaces = preset("spaces").unwrap();
        assert!(!spaces.capabilities().put_create_only && !spaces.capabilities().batch_delete);
        assert_eq!(
            spaces.endpoint_for(Some("nyc3"), None).unwrap(),
            "https://nyc3.digitaloceanspaces.com"
        );
        let e = spaces.endpoint_for(None, None).unwrap_err();
        assert!(e.to_string().contains("region"), "{e}");
        let swift = preset("swift").unwrap();
        let c = swift.capabilities();
        assert!(swift.path_style && !c.put_create_only && !c.put_if_version && !c.batch_delete);
        assert_eq!((c.multipart_max_parts, c.multipart_min_part_size), (1000, 5 * MIB));
        let e = swift.endpoint_for(Some("us-east-1"), None).unwrap_err();
        assert!(e.to_string().contains("set `endpoint`"), "{e}");
        assert_eq!(preset("r2").unwrap().capabilities().multipart_max_parts, 10_000);
    }
}
