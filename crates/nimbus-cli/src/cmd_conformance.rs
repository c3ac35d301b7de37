//! `nimbus conformance …`

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Md,
    Junit,
}

#[derive(Args)]
pub struct ConformanceArgs {
    /// Provider: local (filesystem + simulator), local-memory, aws (S3, EC2 and VPC from the
    /// profile's settings, else the standard AWS variables such as AWS_ENDPOINT_URL), or
    /// s3-compatible (S3 only, any S3 endpoint), or azure (Blob storage from the profile,
    /// else AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_ACCOUNT …), or gcp (Cloud Storage
    /// from the profile, else STORAGE_EMULATOR_HOST / GOOGLE_CLOUD_PROJECT …).
    #[arg(long, default_value = "local")]
    provider: String,
    /// Report format.
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Write the report in every format at once into this directory: NAME.json, NAME.md and
    /// NAME.junit (NAME from --name, else the provider). `scripts/conformance-matrix` uses it.
    #[arg(long, conflicts_with = "out")]
    out_dir: Option<std::path::PathBuf>,
    /// File name stem for --out-dir.
    #[arg(long, requires = "out_dir")]
    name: Option<String>,
    /// The endpoint is this emulator (`moto`, `s3s-fs`, `azurite`, `fake-gcs-server`): its known differences are declared
    /// and the report says the rows were proven against it.
    #[arg(long)]
    emulator: Option<String>,
    /// Only cases whose id contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Services to test (comma-separated: storage, compute, network); default: all the
    /// provider has. Compute and network cases create real instances on a live account.
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
}

/// A service's settings when the profile gives it to `provider`, else none (the adapter then
/// reads the provider's standard environment variables).
#[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
fn settings_of(svc: &nimbus::config::ServiceConfig, provider: &str) -> nimbus::config::Settings {
    if svc.provider == provider {
        svc.settings.clone()
    } else {
        Default::default()
    }
}

impl ConformanceArgs {
    /// Whether `service` is asked for (all are, without --services).
    fn wants(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }
}

/// Live compute and network of `provider` from the profile, when the profile names that
/// provider for them and they are asked for. Emulated runs never get them: Azure and
/// Google compute have no emulator, and their vendor-material rows come from the adapter
/// tests (docs/conformance/matrix.md).
#[cfg(any(feature = "azure", feature = "gcp"))]
async fn add_live_vms(
    t: &mut nimbus_conformance::Target,
    a: &ConformanceArgs,
    clouds: &nimbus::Clouds,
    provider: &str,
    proof: &str,
) -> Result<()> {
    let mut added = false;
    if a.wants("compute") && clouds.profile.compute.provider == provider {
        t.compute = Some(clouds.compute().await?);
        t.proof.insert("compute".into(), proof.into());
        added = true;
    }
    if a.wants("network") && clouds.profile.network.provider == provider {
        t.network = Some(clouds.network().await?);
        t.proof.insert("network".into(), proof.into());
        added = true;
    }
    if added {
        // Real instances take minutes to boot, stop and delete.
        t.wait_timeout = std::time::Duration::from_secs(900);
    } else if a.services.iter().any(|s| s == "compute" || s == "network") {
        bail!(
            "--services asks for compute/network, but the profile's compute and network provider is not `{provider}` \
             (set `[profiles.NAME.compute] provider = \"{provider}\"`, see docs/live-conformance.md)"
        );
    }
    Ok(())
}

pub async fn run(a: ConformanceArgs, profile_name: Option<&str>) -> Result<()> {
    // Only the cloud providers read a profile.
    #[cfg(not(any(feature = "aws", feature = "azure", feature = "gcp")))]
    let _ = profile_name;
    let dir = tempfile::tempdir()?;
    let target = match a.provider.as_str() {
        "local" => nimbus_conformance::local::fs_target(dir.path())?,
        "local-memory" => nimbus_conformance::local::memory_target(),
        #[cfg(feature = "aws")]
        p @ ("aws" | "s3-compatible") => {
            let profile = nimbus::Clouds::from_profile(profile_name)?.profile;
            let cfg = nimbus::aws::AwsConfig::from_settings(&settings_of(&profile.storage, "aws"))?;
            let proof = match (a.emulator.as_deref(), &cfg.endpoint) {
                (Some("moto"), _) => "emulator: moto 5.2.5".to_string(),
                (Some("s3s-fs"), _) => "emulator: s3s-fs 0.14.1 (SigV4-strict)".to_string(),
                (Some(other), _) => bail!("unknown emulator `{other}` (known: moto, s3s-fs)"),
                (None, Some(e)) => format!("endpoint {e}"),
                (None, None) => "live: AWS".to_string(),
            };
            let mut t = nimbus_conformance::aws::s3_target(p, &cfg, &proof).await?;
            match a.emulator.as_deref() {
                Some("moto") => t.differences = nimbus_conformance::aws::moto_differences(),
                Some("s3s-fs") => t.differences = nimbus_conformance::aws::s3s_differences(),
                // Live: how S3 itself differs (the owned-bucket 200 is us-east-1's alone).
                _ if p == "aws" && cfg.endpoint.is_none() && cfg.region.as_deref() == Some("us-east-1") => {
                    t.differences = nimbus_conformance::registry::live("aws")
                }
                _ => {}
            }
            if p == "aws" && a.emulator.as_deref() != Some("s3s-fs") {
                let ec2 = nimbus::aws::AwsConfig::from_settings_for(
                    &settings_of(&profile.compute, "aws"),
                    nimbus::aws::Service::Ec2,
                )?;
                nimbus_conformance::aws::add_ec2(&mut t, &ec2, &proof).await;
                if a.emulator.as_deref() == Some("moto") {
                    t.differences.extend(nimbus_conformance::aws::moto_ec2_differences());
                }
            }
            t
        }
        #[cfg(feature = "azure")]
        "azure" => {
            let clouds = nimbus::Clouds::from_profile(profile_name)?;
            let mut t = nimbus_conformance::Target::new("azure");
            if a.wants("storage") {
                let cfg =
                    nimbus::azure::AzureStorageConfig::from_settings(&settings_of(&clouds.profile.storage, "azure"))?;
                let proof = match a.emulator.as_deref() {
                    Some("azurite") => "emulator: Azurite 3.35.0".to_string(),
                    Some(other) => bail!("unknown emulator `{other}` for azure (known: azurite)"),
                    None => format!("live: Azure account {}", cfg.account),
                };
                t = nimbus_conformance::azure::blob_target("azure", &cfg, &proof)?;
            }
            t.differences = match a.emulator {
                Some(_) => nimbus_conformance::azure::azurite_differences(),
                None => {
                    add_live_vms(&mut t, &a, &clouds, "azure", "live: Azure Resource Manager").await?;
                    nimbus_conformance::registry::live("azure")
                }
            };
            t
        }
        #[cfg(feature = "gcp")]
        "gcp" => {
            let clouds = nimbus::Clouds::from_profile(profile_name)?;
            let mut t = nimbus_conformance::Target::new("gcp");
            if a.wants("storage") {
                let cfg = nimbus::gcp::GcsConfig::from_settings(&settings_of(&clouds.profile.storage, "gcp"))?;
                let proof = match a.emulator.as_deref() {
                    Some("fake-gcs-server") => "emulator: fake-gcs-server 1.54.0".to_string(),
                    Some(other) => bail!("unknown emulator `{other}` for gcp (known: fake-gcs-server)"),
                    None => format!("live: Cloud Storage at {}", cfg.endpoint),
                };
                t = nimbus_conformance::gcp::gcs_target("gcp", &cfg, &proof).await?;
            }
            t.differences = match a.emulator {
                Some(_) => nimbus_conformance::gcp::fake_gcs_differences(),
                None => {
                    add_live_vms(&mut t, &a, &clouds, "gcp", "live: Compute Engine").await?;
                    nimbus_conformance::registry::live("gcp")
                }
            };
            t
        }
        other => {
            bail!("provider `{other}` is not compiled into this build (known: local, local-memory, aws, s3-compatible, azure, gcp)")
        }
    };
    let mut target = target;
    if !a.services.is_empty() {
        for s in &a.services {
            if !["storage", "compute", "network"].contains(&s.as_str()) {
                bail!("unknown service `{s}` (known: storage, compute, network)");
            }
        }
        if !a.wants("storage") {
            target.storage = None;
        }
        if !a.wants("compute") {
            target.compute = None;
        }
        if !a.wants("network") {
            target.network = None;
        }
    }
    let report = nimbus_conformance::run(&target, a.filter.as_deref()).await;
    if let Some(dir) = &a.out_dir {
        std::fs::create_dir_all(dir)?;
        let stem = a.name.clone().unwrap_or_else(|| a.provider.clone());
        std::fs::write(dir.join(format!("{stem}.json")), report.to_json())?;
        std::fs::write(dir.join(format!("{stem}.md")), report.to_markdown())?;
        std::fs::write(dir.join(format!("{stem}.junit")), report.to_junit())?;
    } else {
        let text = match a.format {
            Format::Json => report.to_json(),
            Format::Md => report.to_markdown(),
            Format::Junit => report.to_junit(),
        };
        match &a.out {
            Some(p) => std::fs::write(p, text)?,
            None => println!("{text}"),
        }
    }
    let s = &report.summary;
    eprintln!(
        "{}: {} cases, {} pass, {} unsupported, {} differs, {} fail",
        report.provider, s.total, s.pass, s.unsupported, s.differs, s.fail
    );
    if !report.ok() {
        bail!("{} conformance case(s) failed", s.fail);
    }
    Ok(())
}
