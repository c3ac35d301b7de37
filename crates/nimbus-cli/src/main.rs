//! The `nimbus` command.

mod cmd_bundle;
mod cmd_compute;
mod cmd_config;
mod cmd_conformance;
mod cmd_doctor;
mod cmd_matrix;
mod cmd_network;
mod cmd_storage;
mod progress;

use clap::{Parser, Subcommand};

/// Nimbus: one CLI for storage, compute and network in every customer's cloud.
#[derive(Parser)]
#[command(name = "nimbus", version, about)]
struct Cli {
    /// Profile in nimbus.toml (default: NIMBUS_PROFILE, the file's default_profile, `default`).
    #[arg(long, global = true, env = "NIMBUS_PROFILE")]
    profile: Option<String>,
    /// Print the cause chain of errors and debug logs.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Buckets and objects by URL (file:///ROOT/BUCKET/KEY, memory://BUCKET/KEY, …).
    #[command(subcommand)]
    Storage(cmd_storage::StorageCmd),
    /// Virtual machines.
    #[command(subcommand)]
    Compute(cmd_compute::ComputeCmd),
    /// Networks, subnets and firewalls.
    #[command(subcommand)]
    Network(cmd_network::NetworkCmd),
    /// Run the conformance suite against a provider.
    Conformance(cmd_conformance::ConformanceArgs),
    /// Render the conformance matrix, the report pages and the differences page from a run.
    Matrix(cmd_matrix::MatrixArgs),
    /// Validate and show configuration.
    #[command(subcommand)]
    Config(cmd_config::ConfigCmd),
    /// Diagnose a profile from the outside: layered checks with fixes (exit 0 pass, 1 error,
    /// 2 configuration, 3 fail, 4 warnings).
    Doctor(cmd_doctor::DoctorArgs),
    /// Support bundles: `create` a redacted tar.gz with doctor's results, configuration
    /// sources, environment audit, network evidence and logs; `analyze` one offline.
    #[command(subcommand)]
    Bundle(cmd_bundle::BundleCmd),
}

fn main() {
    let cli = Cli::parse();
    // Errors reach the user once, as the final line; logs appear with -v or NIMBUS_LOG.
    let filter = if cli.verbose { "nimbus_core=debug,info" } else { "off" };
    use tracing_subscriber::prelude::*;
    let terminal = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_env("NIMBUS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        );
    // `bundle create` also keeps Nimbus's own logs of the run (debug, each call's span with
    // its duration), whatever the terminal shows: the bundle's logs/nimbus.log.
    let capture = match &cli.cmd {
        Cmd::Bundle(c) => cmd_bundle::capture_limit(c).map(nimbus_doctor::bundle::capture::LogCapture::new),
        _ => None,
    };
    let captured = capture.clone().map(|c| {
        tracing_subscriber::fmt::layer()
            .with_writer(c)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_filter(tracing_subscriber::EnvFilter::new("info,nimbus=debug"))
    });
    tracing_subscriber::registry().with(terminal).with(captured).init();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let profile = cli.profile.clone();
    let result = rt.block_on(async move {
        match cli.cmd {
            Cmd::Storage(c) => cmd_storage::run(c, profile.as_deref()).await,
            Cmd::Compute(c) => cmd_compute::run(c, profile.as_deref()).await,
            Cmd::Network(c) => cmd_network::run(c, profile.as_deref()).await,
            Cmd::Conformance(a) => cmd_conformance::run(a, profile.as_deref()).await,
            Cmd::Config(c) => cmd_config::run(c, profile.as_deref()),
            Cmd::Matrix(a) => cmd_matrix::run(a),
            Cmd::Bundle(c) => match cmd_bundle::run(c, profile.as_deref(), capture).await {
                Ok(code) => std::process::exit(code),
                Err(e) => Err(e),
            },
            Cmd::Doctor(a) => match cmd_doctor::run(a, profile.as_deref()).await {
                // Its own exit codes; an error before any check ran is 1 like every command.
                Ok(code) => std::process::exit(code),
                Err(e) => Err(e),
            },
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        if cli.verbose {
            let mut src = e.source();
            while let Some(s) = src {
                eprintln!("  caused by: {s}");
                src = s.source();
            }
        }
        std::process::exit(1);
    }
}
