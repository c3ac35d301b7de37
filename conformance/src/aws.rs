//! Targets for AWS S3 and S3-compatible endpoints (emulators in CI, real accounts by profile).

use std::sync::Arc;

use nimbus_aws::{AwsConfig, Ec2Compute, S3Storage, VpcNetwork};
use nimbus_core::Result;

use crate::http::HttpPresign;
use crate::{Difference, Target};

/// S3 through `cfg`, storage rows proven by `proof` (e.g. `emulator: moto 5.2.5`).
pub async fn s3_target(provider: &str, cfg: &AwsConfig, proof: &str) -> Result<Target> {
    let s3 = S3Storage::connect(cfg).await?;
    let mut t = Target::new(provider);
    t.storage = Some(Arc::new(s3));
    t.presign = Some(Arc::new(HttpPresign::default()));
    t.proof.insert("storage".into(), proof.into());
    Ok(t)
}

/// Adds EC2 compute and VPC network through `cfg` to a target, rows proven by `proof`.
pub async fn add_ec2(t: &mut Target, cfg: &AwsConfig, proof: &str) {
    t.compute = Some(Arc::new(Ec2Compute::connect(cfg).await));
    t.network = Some(Arc::new(VpcNetwork::connect(cfg).await));
    t.proof.insert("compute".into(), proof.into());
    t.proof.insert("network".into(), proof.into());
}

/// Differences observed on moto 5.2.5 (emulator differences marked as such) and on S3 in
/// us-east-1.
pub fn moto_differences() -> Vec<Difference> {
    let d = Difference::new;
    vec![
        d(
            "create-bucket-owned-returns-ok",
            "storage.bucket_create_duplicate",
            "S3 in us-east-1 answers 200 OK when you re-create a bucket you already own (other regions: 409 BucketAlreadyOwnedByYou); moto copies this",
            "https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html#API_CreateBucket_Errors",
        ),
        d(
            "upload-part-after-abort-kind",
            "storage.multipart_abort",
            "emulator difference: moto answers HTTP 500 to UploadPart on an aborted upload where S3 answers 404 NoSuchUpload",
            "https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html#API_UploadPart_Errors",
        ),
        d(
            "presign-signature-not-verified",
            "storage.presign_tampered_rejected",
            "emulator difference: moto does not verify SigV4 signatures of presigned URLs, so a URL edited to another key still works; S3 answers 403 SignatureDoesNotMatch",
            "https://docs.getmoto.org/en/latest/docs/iam.html",
        ),
        Difference {
            id: "create-only-not-atomic".into(),
            case: "storage.put_create_only_race".into(),
            description: "emulator difference: moto checks If-None-Match: * and writes in separate steps of a threaded server, so concurrent create-only puts can several win; S3 lets exactly one succeed".into(),
            source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html".into(),
            intermittent: true,
        },
    ]
}

/// Differences of s3s-fs 0.14.1, a filesystem-backed sample S3 server that verifies SigV4
/// strictly but implements few preconditions. All are emulator differences.
pub fn s3s_differences() -> Vec<Difference> {
    let src = "https://github.com/Nugine/s3s/tree/main/crates/s3s-fs (sample filesystem implementation)";
    let d = |id: &str, case: &str, description: &str| Difference {
        id: id.into(),
        case: case.into(),
        description: format!("emulator difference: {description}"),
        source: src.into(),
        intermittent: id == "create-only-not-atomic",
    };
    vec![
        d(
            "delete-non-empty-bucket-succeeds",
            "storage.bucket_delete_non_empty",
            "DeleteBucket removes a bucket that still holds objects (S3: 409 BucketNotEmpty)",
        ),
        d(
            "put-into-missing-bucket-succeeds",
            "storage.bucket_missing_object_ops",
            "PutObject into a bucket that was never created succeeds (S3: 404 NoSuchBucket)",
        ),
        d(
            "create-only-not-atomic",
            "storage.put_create_only_race",
            "If-None-Match: * is not checked atomically: concurrent create-only puts all win",
        ),
        d(
            "get-if-match-ignored",
            "storage.get_if_match",
            "GET ignores If-Match (S3: 412)",
        ),
        d(
            "get-if-none-match-ignored",
            "storage.get_if_none_match",
            "GET ignores If-None-Match (S3: 304)",
        ),
        d(
            "upload-part-after-abort-kind",
            "storage.multipart_abort",
            "UploadPart on an aborted upload answers 403 AccessDenied (S3: 404 NoSuchUpload)",
        ),
        d(
            "max-key-length-rejected",
            "storage.key_max_length",
            "a 1,024-byte key fails with 500 because keys are file paths (S3 accepts 1,024 bytes)",
        ),
        d(
            "key-prefix-collision-server-error",
            "storage.key_and_prefix_coexist",
            "`a` and `a/b` cannot both exist (keys are file paths); the second put fails with 500",
        ),
        d(
            "directory-marker-not-listed",
            "storage.directory_marker_key",
            "a key ending in `/` is stored but never listed",
        ),
    ]
}

/// Differences of moto 5.2.5's EC2 and VPC emulation, all emulator differences: moto skips
/// the dependency and state checks EC2 makes, and its image catalogue is a fixed snapshot.
/// Each source is the EC2 API reference page that documents the real behaviour.
pub fn moto_ec2_differences() -> Vec<Difference> {
    let d = |id: &str, case: &str, description: &str, source: &str| {
        Difference::new(id, case, format!("emulator difference: {description}"), source)
    };
    vec![
        d(
            "image-alias-unavailable",
            "compute.image_aliases_resolve",
            "moto's AMI catalogue has no current Canonical Ubuntu or Debian images, so `ubuntu-22.04`, `ubuntu-24.04` and `debian-12` resolve to nothing (on AWS they are public AMIs of owners 099720109477 and 136693071363)",
            "https://documentation.ubuntu.com/aws/aws-how-to/instances/find-ubuntu-images/",
        ),
        d(
            "start-terminated-succeeds",
            "compute.start_terminated_is_conflict",
            "StartInstances brings a terminated instance back to running (EC2: IncorrectInstanceState)",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html",
        ),
        d(
            "firewall-in-missing-network-succeeds",
            "network.children_of_missing_network_not_found",
            "CreateSecurityGroup accepts a VPC id that does not exist (EC2: InvalidVpcID.NotFound)",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
        ),
        d(
            "delete-network-with-firewall-succeeds",
            "network.delete_network_with_firewall_is_conflict",
            "DeleteVpc deletes a VPC that still has a non-default security group (EC2: DependencyViolation)",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html",
        ),
        d(
            "delete-attached-firewall-succeeds",
            "network.firewall_attach_and_delete_attached_is_conflict",
            "DeleteSecurityGroup deletes a group attached to a running instance (EC2: DependencyViolation)",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html",
        ),
        d(
            "delete-launch-firewall-succeeds",
            "network.firewall_in_instance_spec",
            "DeleteSecurityGroup deletes a group an instance was launched with (EC2: DependencyViolation)",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html",
        ),
        d(
            "delete-subnet-in-use-succeeds",
            "network.delete_subnet_in_use_is_conflict",
            "DeleteSubnet deletes a subnet with a running instance (EC2: DependencyViolation)",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html",
        ),
    ]
}
