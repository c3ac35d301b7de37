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
    /// Provider: local (filesystem + simulator) or local-memory.
    #[arg(long, default_value = "local")]
    provider: String,
    /// Report format.
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Only cases whose id contains this.
    #[arg(long)]
    filter: Option<String>,
}

pub async fn run(a: ConformanceArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let target = match a.provider.as_str() {
        "local" => nimbus_conformance::local::fs_target(dir.path())?,
        "local-memory" => nimbus_conformance::local::memory_target(),
        other => bail!("provider `{other}` is not compiled into this build (known: local, local-memory)"),
    };
    let report = nimbus_conformance::run(&target, a.filter.as_deref()).await;
    let text = match a.format {
        Format::Json => report.to_json(),
        Format::Md => report.to_markdown(),
        Format::Junit => report.to_junit(),
    };
    match &a.out {
        Some(p) => std::fs::write(p, text)?,
        None => println!("{text}"),
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
