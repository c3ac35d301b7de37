//! `nimbus doctor`: diagnose a profile from the outside (library: `nimbus-doctor`).

use anyhow::Result;
use clap::{Args, ValueEnum};
use nimbus::config::{default_config_path, ConfigFile};
use nimbus_doctor::{diagnose, Inputs, Report};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub struct DoctorArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Warnings fail (exit 3).
    #[arg(long)]
    strict: bool,
    /// Every profile of the file, one row each.
    #[arg(long)]
    all_profiles: bool,
    /// Profile file (default: NIMBUS_CONFIG or ./nimbus.toml).
    #[arg(long)]
    file: Option<std::path::PathBuf>,
    /// Show each check's evidence.
    #[arg(long)]
    evidence: bool,
    /// Services to diagnose (default: all).
    #[arg(long, value_delimiter = ',', value_parser = ["storage", "compute", "network"])]
    services: Vec<String>,
    /// Configuration and environment only: no connection is made.
    #[arg(long)]
    offline: bool,
    /// The bucket the data-plane probes use (default: the profile's `expect.bucket`).
    #[arg(long)]
    bucket: Option<String>,
    /// Also put, read back and delete one object under `.nimbus-doctor/` in that bucket.
    #[arg(long)]
    write_probe: bool,
}

/// The inputs of a diagnosis from this process: its environment, the profile file (`file`,
/// else NIMBUS_CONFIG or ./nimbus.toml) and the providers of this build.
pub fn inputs(
    file: Option<std::path::PathBuf>,
    profile: Option<&str>,
    services: Vec<String>,
    offline: bool,
) -> Result<Inputs> {
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let file = match file.or_else(|| default_config_path(&env)) {
        Some(p) => Some(ConfigFile::load(&p)?),
        None => None,
    };
    Ok(Inputs {
        schemas: nimbus::schemas(),
        providers: nimbus::registry().all().to_vec(),
        file,
        env,
        profile: profile.map(str::to_string),
        services,
        offline,
        bucket: None,
        write_probe: false,
    })
}

/// Runs the checks and returns the exit code: 0 pass, 1 a check could not run, 2
/// configuration problem, 3 a check failed, 4 warnings only (`--strict`: 3).
pub async fn run(a: DoctorArgs, profile: Option<&str>) -> Result<i32> {
    let base = Inputs {
        bucket: a.bucket.clone(),
        write_probe: a.write_probe,
        ..inputs(a.file.clone(), None, a.services.clone(), a.offline)?
    };
    let file = base.file.clone();
    let inputs = |p: Option<String>| Inputs {
        profile: p,
        ..base.clone()
    };
    if a.all_profiles {
        let names = file.as_ref().map(|f| f.profiles()).unwrap_or_default();
        let mut reports: Vec<Report> = Vec::new();
        for n in names {
            reports.push(diagnose(&inputs(Some(n))).await);
        }
        match a.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
            Format::Text => {
                println!("{:<24} {:<6} first problem", "profile", "exit");
                for r in &reports {
                    let first = r
                        .results
                        .iter()
                        .find(|c| !matches!(c.status, nimbus_doctor::Status::Pass | nimbus_doctor::Status::Skip))
                        .map_or("—".to_string(), |c| {
                            format!("{} ({}): {}", c.id, c.status.as_str(), c.message)
                        });
                    println!("{:<24} {:<6} {first}", r.profile, r.exit_code(a.strict));
                }
            }
        }
        return Ok(reports.iter().map(|r| r.exit_code(a.strict)).max().unwrap_or(0));
    }
    let report = diagnose(&inputs(profile.map(str::to_string))).await;
    match a.format {
        Format::Json => println!("{}", report.to_json()),
        Format::Text => print!("{}", report.render_text(a.evidence)),
    }
    Ok(report.exit_code(a.strict))
}
