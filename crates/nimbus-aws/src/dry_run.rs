//! EC2's `DryRun` for `nimbus doctor`: whether the credentials may create and delete what the
//! product creates, without creating anything.
//!
//! Why these calls: EC2 checks "whether you have the required permissions for the action,
//! without actually making the request": `DryRunOperation` when allowed,
//! `UnauthorizedOperation` when not (EC2 API reference, common parameter `DryRun`). moto
//! authorises first and answers `DryRunOperation` after, and denies with `AccessDenied`: both
//! denials are read as denied. The arguments are placeholders (an AMI id, an instance id, a
//! private range): EC2 may validate them after the permission check, and an answer that is
//! neither verdict is reported as "did not say", with its code, never as allowed.
//!
//! An endpoint that ignores `DryRun` (an EC2-compatible cloud, an emulator) performs the call:
//! the verdict says so, and what it made is deleted at once (the instance terminated, the
//! security group deleted).
//!
//! Only calls whose `DryRun` moto honours are made: moto 5.2 ignores it on `CreateVpc` and
//! `CreateSubnet` and creates the resource, and a check that may create is not a check. So
//! network is checked by `CreateSecurityGroup` (the firewall the product creates) alone.
//! S3 has no dry run: storage permissions are probed by doctor's data plane instead.

use aws_sdk_ec2::types::InstanceType;
use nimbus_core::diag::Permission;
use nimbus_core::Result;

use crate::ec2::Ec2;
use crate::error::from_sdk;
use crate::AwsConfig;

/// `r` is the call's answer with, when it succeeded anyway, the result of undoing it.
fn verdict(need: &str, grant: &str, call: &str, r: Result<Result<()>>) -> Permission {
    let (allowed, answer) = match r {
        // The endpoint ignored DryRun and did it: allowed, said loudly, and undone.
        Ok(undone) => (
            Some(true),
            match undone {
                Ok(()) => "succeeded: the endpoint ignored DryRun and performed the call (doctor deleted what it made)".to_string(),
                Err(e) => format!("succeeded: the endpoint ignored DryRun and performed the call, and deleting what it made failed ({e}): delete it by hand"),
            },
        ),
        Err(e) => match e.raw_code() {
            Some("DryRunOperation") => (Some(true), "answered DryRunOperation".into()),
            Some(c @ ("UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException")) => {
                (Some(false), format!("answered {c}"))
            }
            _ => (None, format!("answered neither verdict: {e}")),
        },
    };
    Permission {
        need: need.into(),
        allowed,
        grant: grant.into(),
        how: format!("{call} with DryRun {answer}"),
    }
}

/// The dry runs of `service` (`compute`: run and terminate instances; `network`: create a
/// security group).
pub(crate) async fn dry_runs(service: &str, cfg: AwsConfig) -> Result<Vec<Permission>> {
    let ec2 = Ec2::connect(&cfg).await;
    let c = &ec2.client;
    let mut out = Vec::new();
    if service == "compute" {
        let r = c
            .run_instances()
            .dry_run(true)
            .image_id("ami-00000000000000000")
            .instance_type(InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .map_err(from_sdk);
        let r = match r {
            Ok(o) => {
                let ids: Vec<String> = o
                    .instances()
                    .iter()
                    .filter_map(|i| i.instance_id().map(str::to_string))
                    .collect();
                Ok(if ids.is_empty() {
                    Ok(())
                } else {
                    c.terminate_instances()
                        .set_instance_ids(Some(ids))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(from_sdk)
                })
            }
            Err(e) => Err(e),
        };
        out.push(verdict(
            "compute.create_instance",
            "ec2:RunInstances",
            "RunInstances",
            r,
        ));
        // Terminating an instance that does not exist makes nothing to undo.
        let r = c
            .terminate_instances()
            .dry_run(true)
            .instance_ids("i-00000000000000000")
            .send()
            .await
            .map(|_| Ok(()))
            .map_err(from_sdk);
        out.push(verdict(
            "compute.delete_instance",
            "ec2:TerminateInstances",
            "TerminateInstances",
            r,
        ));
    } else {
        let r = c
            .create_security_group()
            .dry_run(true)
            .group_name("nimbus-doctor-dry-run")
            // No spaces: moto 5.2's signature check re-encodes a space in a form body
            // differently from the SDK and answers AuthFailure.
            .description("nimbus-doctor-permission-check")
            .send()
            .await
            .map_err(from_sdk);
        let r = match r {
            Ok(o) => Ok(match o.group_id() {
                Some(id) => c
                    .delete_security_group()
                    .group_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(from_sdk),
                None => Ok(()),
            }),
            Err(e) => Err(e),
        };
        out.push(verdict(
            "network.create_firewall",
            "ec2:CreateSecurityGroup",
            "CreateSecurityGroup",
            r,
        ));
    }
    Ok(out)
}
