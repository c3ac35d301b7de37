//! What `nimbus doctor` probes for a profile on this provider: S3 for storage, EC2 for
//! compute and network, found by the adapter's own resolution ([`AwsConfig`]: the
//! `endpoint` setting, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, a preset, else the
//! region's public endpoint), so doctor contacts the host the adapter would.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack, S3_SKEW};
use nimbus_core::Result;

use crate::config::AwsConfig;
use crate::Service;

fn endpoints(service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    let (svc, label, host) = match service {
        "storage" => (Service::S3, "s3", "s3"),
        _ => (Service::Ec2, "ec2", "ec2"),
    };
    #[allow(unused_mut)]
    let mut cfg = AwsConfig::from_settings_for(s, svc)?;
    #[cfg(feature = "storage")]
    if svc == Service::S3 {
        cfg = cfg.resolved()?;
    }
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

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: None,
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
};
