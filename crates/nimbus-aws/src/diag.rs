//! What `nimbus doctor` probes for a profile on this provider: S3 for storage, EC2 for
//! compute and network, found by the adapter's own resolution ([`AwsConfig`]: the
//! `endpoint` setting, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, a preset, else the
//! region's public endpoint), so doctor contacts the host the adapter would.

use nimbus_core::config::Settings;
use nimbus_core::diag::{
    Diag, Endpoint, Explained, HttpStack, Identity, IdentityFuture, PermissionsFuture, ProviderVariables, S3_SKEW,
};
use nimbus_core::{ErrorKind, Result};

use crate::config::AwsConfig;
use crate::error::from_sdk;
use crate::Service;

fn endpoints(service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    let (svc, label, host) = match service {
        "storage" => (Service::S3, "s3", "s3"),
        _ => (Service::Ec2, "ec2", "ec2"),
    };
    let cfg = config(service, s)?;
    let from = if s.get("endpoint").is_some() {
        "setting `endpoint`".to_string()
    } else if s.get("preset").is_some() {
        "the preset".to_string()
    } else if cfg.endpoint.is_some() {
        "AWS_ENDPOINT_URL variables".to_string()
    } else {
        format!("default for region {}", cfg.region.as_deref().unwrap_or("us-east-1"))
    };
    let url = cfg.endpoint.clone().unwrap_or_else(|| {
        format!(
            "https://{host}.{}.amazonaws.com",
            cfg.region.as_deref().unwrap_or("us-east-1")
        )
    });
    let e = Endpoint::new(label, url, from);
    // EC2's tolerance is not documented where we could cite it: doctor then only warns.
    Ok(vec![if svc == Service::S3 {
        e.tolerance(S3_SKEW.0, S3_SKEW.1)
    } else {
        e
    }])
}

fn config(service: &str, s: &Settings) -> Result<AwsConfig> {
    let svc = if service == "storage" {
        Service::S3
    } else {
        Service::Ec2
    };
    #[allow(unused_mut)]
    let mut cfg = AwsConfig::from_settings_for(s, svc)?;
    #[cfg(feature = "storage")]
    if svc == Service::S3 {
        cfg = cfg.resolved()?;
    }
    Ok(cfg)
}

/// The static key, when the store has no caller-identity API to ask (an S3-compatible store).
fn key_only(cfg: &AwsConfig, why: &str) -> Identity {
    Identity {
        principal: match &cfg.access_key_id {
            Some(k) => format!("access key {}", k.hint()),
            None => "the credentials the AWS chain finds".into(),
        },
        how: format!("the settings only: {why}"),
        ..Default::default()
    }
}

/// STS `GetCallerIdentity` with the credentials and endpoint the service uses: it needs no
/// permission ("No permissions are required to perform this operation", STS API reference),
/// so it answers for any valid key. Its endpoint is `AWS_ENDPOINT_URL_STS`, else the
/// service's custom endpoint (moto and LocalStack serve every API on one port), else the
/// regional default. A custom endpoint that does not answer STS is an S3-compatible store:
/// the key is all there is to say, and `auth.storage` proves it is accepted.
fn identity(service: &str, s: &Settings) -> IdentityFuture {
    let cfg = config(service, s);
    Box::pin(async move {
        let cfg = cfg?;
        if let Some(p) = &cfg.preset {
            return Ok(key_only(
                &cfg,
                &format!("preset `{p}` names an S3-compatible store, which has no STS"),
            ));
        }
        let sdk = cfg.sdk_config().await;
        let mut b = aws_sdk_sts::config::Builder::from(&sdk);
        if let Some(e) = std::env::var("AWS_ENDPOINT_URL_STS").ok().filter(|v| !v.is_empty()) {
            b = b.endpoint_url(e);
        }
        let client = aws_sdk_sts::Client::from_conf(b.build());
        match client.get_caller_identity().send().await {
            Ok(o) => Ok(Identity {
                principal: o.arn().unwrap_or("(no ARN in the answer)").to_string(),
                account: o.account().map(str::to_string),
                how: "STS GetCallerIdentity".into(),
                proven: true,
                ..Default::default()
            }),
            Err(e) => {
                let e = from_sdk(e);
                let transport = matches!(
                    e.kind(),
                    ErrorKind::Unauthenticated | ErrorKind::Timeout | ErrorKind::Unavailable
                );
                match &cfg.endpoint {
                    Some(url) if !transport => Ok(key_only(
                        &cfg,
                        &format!(
                            "{url} does not answer STS GetCallerIdentity ({}), as S3-compatible stores do not",
                            e.raw_code().unwrap_or("no code")
                        ),
                    )),
                    _ => Err(e),
                }
            }
        }
    })
}

/// EC2 `DryRun` for compute and network ([`crate::dry_run`]); S3 has no dry run.
fn permissions(service: &str, s: &Settings) -> PermissionsFuture {
    let cfg = config(service, s);
    let service = service.to_string();
    Box::pin(async move {
        let cfg = cfg?;
        if service == "storage" {
            return Err(nimbus_core::Error::new(
                ErrorKind::Unsupported,
                "S3 has no dry run: doctor's data-plane probes test reads, and writes with --write-probe",
            ));
        }
        dry_runs(&service, cfg).await
    })
}

#[cfg(feature = "compute")]
async fn dry_runs(service: &str, cfg: AwsConfig) -> Result<Vec<nimbus_core::diag::Permission>> {
    crate::dry_run::dry_runs(service, cfg).await
}

#[cfg(not(feature = "compute"))]
async fn dry_runs(_service: &str, _cfg: AwsConfig) -> Result<Vec<nimbus_core::diag::Permission>> {
    Err(nimbus_core::Error::new(
        ErrorKind::Unsupported,
        "EC2 needs the adapter's `compute` feature",
    ))
}

/// S3 and EC2 errors whose fix the portable kind does not say.
///
/// - A skewed clock: S3 `RequestTimeTooSkewed`, EC2 `RequestExpired`. (The SDK corrects its
///   signing time after such an error, so calls may recover while presigned URLs stay off.)
/// - Request checksums: since early 2025 the AWS SDKs send CRC32 checksums, in aws-chunked
///   trailers for streamed uploads, by default; many S3-compatible stores reject them
///   (`XAmzContentSHA256Mismatch`, `InvalidDigest`, `BadDigest`, or `InvalidArgument` /
///   `NotImplemented` naming a checksum header or `aws-chunked`). The SDK's configuration
///   loader reads `AWS_REQUEST_CHECKSUM_CALCULATION` and `AWS_RESPONSE_CHECKSUM_VALIDATION`
///   (`when_required` restores the old behaviour).
pub fn explain(e: &nimbus_core::Error) -> Option<Explained> {
    let code = e.raw_code().unwrap_or("");
    let msg = e.to_string().to_ascii_lowercase();
    match code {
        "RequestTimeTooSkewed" | "RequestExpired" => Some(Explained::clock(
            "the service rejected the request's time (S3 allows 15 minutes): set the clock (`timedatectl set-ntp true`)",
        )),
        "XAmzContentSHA256Mismatch" | "InvalidDigest" | "BadDigest" => Some(Explained::fix(CHECKSUM_FIX)),
        "InvalidArgument" | "NotImplemented" | "InvalidRequest"
            if ["checksum", "aws-chunked", "x-amz-trailer", "streaming-unsigned-payload-trailer"]
                .iter()
                .any(|w| msg.contains(w)) =>
        {
            Some(Explained::fix(CHECKSUM_FIX))
        }
        _ => None,
    }
}

const CHECKSUM_FIX: &str = "this store rejects the request checksums current AWS SDKs send by default (CRC32, aws-chunked trailers): set AWS_REQUEST_CHECKSUM_CALCULATION=when_required and AWS_RESPONSE_CHECKSUM_VALIDATION=when_required in the product's environment";

/// What `AwsConfig` and the SDK's credential chain read when the profile is silent.
fn variables(service: &str) -> Vec<ProviderVariables> {
    let endpoint: &'static [&'static str] = if service == "storage" {
        &["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
    } else {
        &["AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"]
    };
    vec![
        ("region", &["AWS_REGION", "AWS_DEFAULT_REGION"]),
        ("endpoint", endpoint),
        ("access_key_id", &["AWS_ACCESS_KEY_ID"]),
        ("secret_access_key", &["AWS_SECRET_ACCESS_KEY"]),
        ("session_token", &["AWS_SESSION_TOKEN"]),
        ("profile", &["AWS_PROFILE"]),
    ]
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: None,
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
    variables,
    identity: Some(identity),
    permissions: Some(permissions),
    explain: Some(explain),
};

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::Error;

    fn err(code: &str, msg: &str) -> Error {
        Error::new(ErrorKind::InvalidInput, msg).with_raw_code(code)
    }

    #[test]
    fn clock_and_checksum_rejections_get_their_fixes() {
        let x = explain(&err("RequestTimeTooSkewed", "too large")).unwrap();
        assert!(x.clock && x.fix.contains("timedatectl"));
        let x = explain(&err("XAmzContentSHA256Mismatch", "mismatch")).unwrap();
        assert!(!x.clock && x.fix.contains("AWS_REQUEST_CHECKSUM_CALCULATION=when_required"));
        let x = explain(&err("InvalidArgument", "x-amz-checksum-crc32 is not supported")).unwrap();
        assert!(x.fix.contains("when_required"));
        // An invalid argument about something else is not a checksum problem.
        assert!(explain(&err("InvalidArgument", "bad range")).is_none());
        assert!(explain(&err("NoSuchKey", "gone")).is_none());
    }
}
