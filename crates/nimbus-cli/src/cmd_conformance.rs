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
    /// Provider, as registered in this build (`nimbus conformance --provider help` lists
    /// them): services open from the profile's settings when the profile names this provider
    /// for them, else from the provider's standard environment variables.
    #[arg(long, default_value = "local")]
    provider: String,
    /// Report format.
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Write the report in every format at once into this directory: NAME.json, NAME.md and
    /// NAME.junit (NAME from --name, else the report's provider). `scripts/conformance-matrix` uses it.
    #[arg(long, conflicts_with = "out")]
    out_dir: Option<std::path::PathBuf>,
    /// File name stem for --out-dir.
    #[arg(long, requires = "out_dir")]
    name: Option<String>,
    /// Run on this emulator or stand-in, as the provider declares it (aws: moto, s3s-fs;
    /// azure: azurite; gcp: fake-gcs-server; local: fs (the default), memory): its registered
    /// differences are declared and the report says the rows were proven against it.
    /// Without it, a cloud provider's run is live.
    #[arg(long)]
    emulator: Option<String>,
    /// Only cases whose id contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Services to test (comma-separated: storage, compute, network); default: all the
    /// provider has. Compute and network cases create real instances on a live account.
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    /// Two TCP ports the default image serves once booted (e.g. `8080,8081`): turns on the
    /// case that proves firewall rules by connecting to a guest
    /// (`network.firewall_rules_enforced`).
    #[arg(long, value_delimiter = ',')]
    guest_ports: Vec<u16>,
    /// Network namespace the guests are reachable from (`/run/netns/NAME`; needs root), for
    /// `--guest-ports`. Without it, this process's own network.
    #[arg(long, requires = "guest_ports")]
    guest_netns: Option<String>,
}

pub async fn run(a: ConformanceArgs, profile_name: Option<&str>) -> Result<()> {
    let registry = nimbus::registry();
    if a.provider == "help" {
        for p in registry.all() {
            let emulators: Vec<&str> = p.emulators.iter().map(|e| e.name).collect();
            println!("{:<10} {} (emulators: {})", p.name, p.summary, emulators.join(", "));
        }
        return Ok(());
    }
    let provider = registry.get(&a.provider)?;
    // A profile's settings apply to the services it gives this provider; other services
    // read the provider's standard environment variables.
    let profile = nimbus::Clouds::from_profile(profile_name)?.profile;
    let mut settings = std::collections::BTreeMap::new();
    for svc in ["storage", "compute", "network"] {
        let c = profile.service(svc);
        if c.provider == provider.name {
            settings.insert(svc.to_string(), c.settings.clone());
        }
    }
    // A live run of a service the profile gives to another provider would test whatever the
    // environment happens to point at: refuse it, saying what to set.
    let live = a.emulator.is_none() && provider.default_emulator.is_none();
    for svc in a.services.iter().filter(|s| *s != "storage") {
        if live && !settings.contains_key(svc.as_str()) {
            bail!(
                "--services asks for {svc}, but the profile's {svc} provider is not `{p}` \
                 (set `[profiles.NAME.{svc}] provider = \"{p}\"`, see docs/live-conformance.md)",
                p = provider.name
            );
        }
    }
    let opened = nimbus_conformance::open_target(nimbus_conformance::TargetSpec {
        provider,
        emulator: a.emulator.clone(),
        services: a.services.clone(),
        settings,
    })
    .await?;
    let mut target = opened.target.clone();
    if !a.guest_ports.is_empty() && a.guest_ports.len() != 2 {
        bail!(
            "--guest-ports takes two ports, e.g. 8080,8081 (got {:?})",
            a.guest_ports
        );
    }
    if let [p1, p2] = a.guest_ports[..] {
        target.guest_access = Some(nimbus_conformance::GuestAccess {
            netns: a.guest_netns.clone(),
            ports: [p1, p2],
        });
    }
    let target = &target;
    let report = nimbus_conformance::run(target, a.filter.as_deref()).await;
    if let Some(dir) = &a.out_dir {
        std::fs::create_dir_all(dir)?;
        let stem = a.name.clone().unwrap_or_else(|| report.provider.clone());
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
