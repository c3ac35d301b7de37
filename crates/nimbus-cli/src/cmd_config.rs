//! `nimbus config …`

use anyhow::{bail, Result};
use clap::Subcommand;
use nimbus::config::{default_config_path, ConfigFile, ProfileResolver, SERVICES};

#[derive(Subcommand)]
pub enum ConfigCmd {
    /// Validate a profile file and the NIMBUS_* environment; print every problem.
    Check {
        /// File (default: NIMBUS_CONFIG or ./nimbus.toml).
        file: Option<std::path::PathBuf>,
    },
    /// Show the resolved profile: provider and every setting with where it came from
    /// (secrets shown as ***).
    Show {
        /// File (default: NIMBUS_CONFIG or ./nimbus.toml).
        file: Option<std::path::PathBuf>,
    },
}

fn resolver(file: Option<std::path::PathBuf>) -> Result<ProfileResolver> {
    let env: std::collections::BTreeMap<String, String> =
        std::env::vars().filter(|(k, _)| k.starts_with("NIMBUS_")).collect();
    let mut r = ProfileResolver::new(nimbus::schemas()).env(env.clone());
    if let Some(p) = file.or_else(|| default_config_path(&env)) {
        r = r.file(ConfigFile::load(&p)?);
    }
    Ok(r)
}

pub fn run(cmd: ConfigCmd, profile: Option<&str>) -> Result<()> {
    match cmd {
        ConfigCmd::Check { file } => {
            let r = resolver(file)?;
            let issues = r.check();
            if issues.is_empty() {
                println!("configuration is valid");
                return Ok(());
            }
            for i in &issues {
                println!("{i}");
            }
            bail!("{} configuration problem(s)", issues.len());
        }
        ConfigCmd::Show { file } => {
            let p = resolver(file)?.resolve(profile)?;
            println!("profile {}", p.name);
            for svc in SERVICES {
                let s = p.service(svc);
                println!("[{svc}] provider = {}", s.provider);
                for (k, v, src) in s.settings.describe() {
                    println!("  {k} = {v}    # from {src}");
                }
            }
        }
    }
    Ok(())
}
