//! `nimbus compute …`

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use clap::Subcommand;
use nimbus::prelude::*;
use nimbus::Clouds;

use crate::progress::spinner;

#[derive(Subcommand)]
pub enum ComputeCmd {
    /// List instances.
    Ls {
        /// Only instances with this label (k=v), repeatable.
        #[arg(long = "label", value_parser = parse_kv)]
        labels: Vec<(String, String)>,
        /// Include terminated instances.
        #[arg(long)]
        all: bool,
    },
    /// List sizes.
    Sizes,
    /// List images and their portable aliases.
    Images,
    /// List regions and zones.
    Regions,
    /// Create an instance.
    Create {
        /// Name.
        name: String,
        /// Size id; or give --min-vcpus/--min-memory-mib.
        #[arg(long)]
        size: Option<String>,
        /// Minimum vCPUs (size by requirements).
        #[arg(long, default_value_t = 1)]
        min_vcpus: u32,
        /// Minimum memory in MiB (size by requirements).
        #[arg(long, default_value_t = 512)]
        min_memory_mib: u64,
        /// Image alias (ubuntu-22.04 …) or provider id.
        #[arg(long, default_value = "ubuntu-22.04")]
        image: String,
        /// Subnet id.
        #[arg(long)]
        subnet: Option<String>,
        /// Firewall id, repeatable.
        #[arg(long = "firewall")]
        firewalls: Vec<String>,
        /// Label k=v, repeatable.
        #[arg(long = "label", value_parser = parse_kv)]
        labels: Vec<(String, String)>,
        /// Idempotency token (a UUID): running the command again with the same token prints
        /// the instance the first run made instead of making another.
        #[arg(long)]
        request_id: Option<String>,
        /// Wait until running.
        #[arg(long)]
        wait: bool,
    },
    /// Start an instance.
    Start {
        /// Instance id.
        id: String,
        /// Wait until running.
        #[arg(long)]
        wait: bool,
    },
    /// Stop an instance.
    Stop {
        /// Instance id.
        id: String,
        /// Release the host so billing ends (Azure deallocate).
        #[arg(long)]
        deallocate: bool,
        /// Wait until stopped.
        #[arg(long)]
        wait: bool,
    },
    /// Terminate an instance.
    Terminate {
        /// Instance id.
        id: String,
        /// Wait until terminated.
        #[arg(long)]
        wait: bool,
    },
}

pub fn parse_kv(s: &str) -> std::result::Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn print(i: &Instance) {
    println!(
        "{:<12} {:<20} {:<11} ({:<13}) {:<14} {:<10} {}",
        i.id,
        i.name,
        i.state.state,
        i.state.raw,
        i.size,
        i.zone.clone().unwrap_or_default(),
        i.private_ip.clone().unwrap_or_default()
    );
}

async fn wait(c: &dyn Compute, id: &str, target: State) -> Result<Instance> {
    let pb = spinner(&format!("waiting for {id} to be {target}"));
    let opts = WaitOptions::timeout(Duration::from_secs(600)).interval(Duration::from_millis(250));
    let r = c
        .wait_for_state_with(id, target, opts, |i| {
            pb.set_message(format!("{id}: {} ({})", i.state.state, i.state.raw))
        })
        .await;
    pb.finish_and_clear();
    Ok(r?)
}

pub async fn run(cmd: ComputeCmd, profile: Option<&str>) -> Result<()> {
    let c = Clouds::from_profile(profile)?.compute().await?;
    match cmd {
        ComputeCmd::Ls { labels, all } => {
            let mut f = InstanceFilter::default();
            f.labels = labels.into_iter().collect();
            f.include_terminated = all;
            for i in c.list_instances(&f).await? {
                print(&i);
            }
        }
        ComputeCmd::Sizes => {
            for s in c.list_sizes().await? {
                println!("{:<16} {:>3} vCPU {:>7} MiB", s.id, s.vcpus, s.memory_mib);
            }
        }
        ComputeCmd::Images => {
            for i in c.list_images().await? {
                println!("{:<20} {:<36} {}", i.id, i.name, i.aliases.join(", "));
            }
        }
        ComputeCmd::Regions => {
            for r in c.list_regions().await? {
                println!("{:<12} {}", r.id, r.zones.join(", "));
            }
        }
        ComputeCmd::Create {
            name,
            size,
            min_vcpus,
            min_memory_mib,
            image,
            subnet,
            firewalls,
            labels,
            request_id,
            wait: w,
        } => {
            let size = match size {
                Some(s) => SizeChoice::Id(s),
                None => SizeChoice::Requirements {
                    min_vcpus,
                    min_memory_mib,
                },
            };
            let image = if image.contains('.')
                || image.contains('-') && !image.starts_with("img-") && !image.starts_with("ami-")
            {
                ImageChoice::Alias(image)
            } else {
                ImageChoice::Id(image)
            };
            let mut spec = InstanceSpec::new(name, size, image);
            spec.subnet = subnet;
            spec.firewalls = firewalls;
            spec.labels = labels.into_iter().collect::<BTreeMap<_, _>>();
            spec.request_id = request_id;
            let mut i = c.create_instance(&spec).await?;
            if w {
                i = wait(c.as_ref(), &i.id, State::Running).await?;
            }
            print(&i);
        }
        ComputeCmd::Start { id, wait: w } => {
            let mut i = c.start_instance(&id).await?;
            if w {
                i = wait(c.as_ref(), &id, State::Running).await?;
            }
            print(&i);
        }
        ComputeCmd::Stop {
            id,
            deallocate,
            wait: w,
        } => {
            let caps = c.capabilities();
            if caps.stop_keeps_billing && !deallocate {
                eprintln!(
                    "note: on {} a stopped instance keeps billing until deallocated; pass --deallocate to stop billing",
                    c.provider()
                );
            }
            let mode = if deallocate {
                StopMode::Deallocate
            } else {
                StopMode::Stop
            };
            let mut i = c.stop_instance(&id, mode).await?;
            if w {
                i = wait(c.as_ref(), &id, State::Stopped).await?;
            }
            print(&i);
        }
        ComputeCmd::Terminate { id, wait: w } => {
            let mut i = c.terminate_instance(&id).await?;
            if w {
                i = wait(c.as_ref(), &id, State::Terminated).await?;
            }
            print(&i);
        }
    }
    Ok(())
}
