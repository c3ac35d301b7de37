//! `nimbus bundle`: a redacted support bundle around a doctor run, and its offline analysis
//! (library: `nimbus_doctor::bundle`).

use anyhow::{bail, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BundleCmd {
    /// Run doctor and the collectors; write a redacted tar.gz (secrets never written).
    Create {
        /// Output file (default: nimbus-bundle-PROFILE-UTC.tar.gz).
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
        /// Log files to include, redacted (their last --log-limit bytes).
        #[arg(long)]
        logs: Vec<std::path::PathBuf>,
        /// Bytes kept from the end of each log.
        #[arg(long, default_value_t = 1 << 20)]
        log_limit: u64,
        /// Profile file (default: NIMBUS_CONFIG or ./nimbus.toml).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Services to diagnose (default: all).
        #[arg(long, value_delimiter = ',', value_parser = ["storage", "compute", "network"])]
        services: Vec<String>,
        /// Configuration and environment only: no connection is made.
        #[arg(long)]
        offline: bool,
        /// Also replace host names and IP addresses by consistent tokens (loopback and the
        /// public clouds' own service names are kept).
        #[arg(long)]
        anonymize: bool,
    },
    /// Redact a bundle again, e.g. with secrets Nimbus could not know (one per line in
    /// --literals); the manifest's hashes are rewritten.
    Redact {
        /// The bundle.
        bundle: std::path::PathBuf,
        /// Output file.
        #[arg(short, long)]
        output: std::path::PathBuf,
        /// A file of secrets to remove, one per line (`#` comments).
        #[arg(long)]
        literals: Option<std::path::PathBuf>,
        /// Also replace host names and IP addresses by consistent tokens.
        #[arg(long)]
        anonymize: bool,
    },
    /// Check a bundle's hashes against its manifest and show its doctor run (exit: the
    /// run's code; 1 when the bundle was altered).
    Analyze {
        /// The bundle.
        bundle: std::path::PathBuf,
    },
}

/// `20261201T190512Z`: the UTC time in a file name.
fn stamp() -> String {
    nimbus::time::format_rfc3339(std::time::SystemTime::now()).replace(['-', ':'], "")
}

/// The bytes of Nimbus's own logs a bundle keeps when `cmd` creates one (`main` installs the
/// capture before anything logs).
pub fn capture_limit(cmd: &BundleCmd) -> Option<usize> {
    match cmd {
        BundleCmd::Create { log_limit, .. } => Some(*log_limit as usize),
        _ => None,
    }
}

/// Runs a bundle command; `capture` holds this run's own logs (see [`capture_limit`]).
pub async fn run(
    cmd: BundleCmd,
    profile: Option<&str>,
    capture: Option<nimbus_doctor::bundle::capture::LogCapture>,
) -> Result<i32> {
    match cmd {
        BundleCmd::Create {
            output,
            logs,
            log_limit,
            file,
            services,
            offline,
            anonymize,
        } => {
            let inputs = crate::cmd_doctor::inputs(file, profile, services, offline)?;
            let opts = nimbus_doctor::bundle::Options {
                logs,
                log_limit: Some(log_limit),
                args: std::env::args().collect(),
                anonymize,
                capture,
            };
            let b = match nimbus_doctor::bundle::create(&inputs, &opts).await {
                Ok(b) => b,
                Err(e) => bail!(e),
            };
            let out = output.unwrap_or_else(|| format!("nimbus-bundle-{}-{}.tar.gz", b.report.profile, stamp()).into());
            std::fs::write(&out, &b.archive)?;
            let redacted: usize = b.redactions.iter().map(|r| r.2).sum();
            println!("wrote {} ({} bytes)", out.display(), b.archive.len());
            for c in b.manifest["collectors"].as_array().into_iter().flatten() {
                println!(
                    "  collector {:<8} {:<5} {} ms{}",
                    c["name"].as_str().unwrap_or(""),
                    c["status"].as_str().unwrap_or(""),
                    c["duration_ms"],
                    c["error"].as_str().map(|e| format!(": {e}")).unwrap_or_default()
                );
            }
            println!("  {redacted} value(s) redacted (redaction-report.json says where, never what)");
            println!(
                "  doctor: exit {} (nimbus bundle analyze {} shows it)",
                b.report.exit_code(false),
                out.display()
            );
            Ok(0)
        }
        BundleCmd::Redact {
            bundle,
            output,
            literals,
            anonymize,
        } => {
            let lits = match &literals {
                Some(p) => {
                    nimbus_doctor::bundle::literals_from_lines(&std::fs::read_to_string(p)?, &p.display().to_string())
                }
                None => Vec::new(),
            };
            let b = match nimbus_doctor::bundle::redact_bundle(&std::fs::read(&bundle)?, lits, anonymize) {
                Ok(b) => b,
                Err(e) => bail!(e),
            };
            std::fs::write(&output, &b.archive)?;
            let n: usize = b.redactions.iter().map(|r| r.2).sum();
            println!(
                "wrote {} ({} bytes): {n} more value(s) redacted, hashes rewritten (round {})",
                output.display(),
                b.archive.len(),
                b.manifest["redaction"]["rounds"]
            );
            Ok(0)
        }
        BundleCmd::Analyze { bundle } => {
            let data = std::fs::read(&bundle)?;
            let a = match nimbus_doctor::bundle::analyze(&data) {
                Ok(a) => a,
                Err(e) => bail!(e),
            };
            print!("{}", a.report.render_text(false));
            if a.changes.is_empty() {
                println!("\nanalysis: this build's rules agree with every stored verdict (clock, identity, permissions re-derived from the evidence)");
            } else {
                println!("\nanalysis: this build's rules change {} verdict(s):", a.changes.len());
                for c in &a.changes {
                    println!("  {}: {} → {}: {}", c.id, c.stored.as_str(), c.now.as_str(), c.message);
                }
            }
            if a.integrity.is_empty() {
                println!("\nbundle integrity: every file matches the manifest's sha256");
                Ok(a.report.exit_code(false))
            } else {
                println!("\nbundle integrity: {} problem(s)", a.integrity.len());
                for p in &a.integrity {
                    println!("  {p}");
                }
                Ok(1)
            }
        }
    }
}
