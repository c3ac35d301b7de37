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
}

/// Runs the checks and returns the exit code: 0 pass, 1 a check could not run, 2
/// configuration problem, 3 a check failed, 4 warnings only (`--strict`: 3).
pub async fn run(a: DoctorArgs, profile: Option<&str>) -> Result<i32> {
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let file = match a.file.clone().or_else(|| default_config_path(&env)) {
        Some(p) => Some(ConfigFile::load(&p)?),
        None => None,
    };
    let inputs = |p: Option<String>| Inputs {
        schemas: nimbus::schemas(),
        providers: nimbus::registry().all().to_vec(),
        file: file.clone(),
        env: env.clone(),
        profile: p,
        services: a.services.clone(),
        offline: a.offline,
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
