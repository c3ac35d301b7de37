//! The `local` provider's configuration keys and constructors from settings.

use std::path::PathBuf;
use std::sync::Arc;

use nimbus_core::config::{KeyDef, KeyKind, ProviderSchema, Settings};
use nimbus_core::layers::{FaultConfig, FaultInjection, Layered};
use nimbus_core::{Compute, NetworkService, Result, Storage};

use crate::sim::{SimCloud, SimOptions};
use crate::storage::{open_fs, open_memory, StorageOptions};

/// Fault injection, accepted by every service of the provider.
const LATENCY: KeyDef = KeyDef {
    name: "latency",
    aliases: &[],
    kind: KeyKind::Duration,
    doc: "Added latency per call (fault injection).",
};
const ERROR_RATE: KeyDef = KeyDef {
    name: "error_rate",
    aliases: &["fault_rate"],
    kind: KeyKind::Fraction,
    doc: "Fraction of calls failing with a transient error (fault injection).",
};

const STORAGE_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "root",
        aliases: &["path", "dir"],
        kind: KeyKind::Path,
        doc: "Directory holding the buckets (filesystem store).",
    },
    KeyDef {
        name: "memory",
        aliases: &["in_memory"],
        kind: KeyKind::Bool,
        doc: "Keep objects in memory instead of on disk.",
    },
    KeyDef {
        name: "min_part_size",
        aliases: &[],
        kind: KeyKind::Integer,
        doc: "Smallest multipart part in bytes (default 5 MiB, as S3).",
    },
    KeyDef {
        name: "durability",
        aliases: &[],
        kind: KeyKind::String,
        doc: "`fsync` (default): a write is on disk before it returns; `none`: the OS flushes when it likes (test suites: faster, lost on a power cut, still atomic).",
    },
    LATENCY,
    ERROR_RATE,
];

const SIM_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "state_dir",
        aliases: &["dir"],
        kind: KeyKind::Path,
        doc: "Directory of the simulator's state (shared by processes).",
    },
    KeyDef {
        name: "region",
        aliases: &[],
        kind: KeyKind::String,
        doc: "Region name (default local-1).",
    },
    KeyDef {
        name: "transition_time",
        aliases: &["boot_time"],
        kind: KeyKind::Duration,
        doc: "How long each state transition takes.",
    },
    KeyDef {
        name: "max_instances",
        aliases: &[],
        kind: KeyKind::Integer,
        doc: "Instance quota.",
    },
    KeyDef {
        name: "max_vcpus",
        aliases: &[],
        kind: KeyKind::Integer,
        doc: "vCPU quota.",
    },
    LATENCY,
    ERROR_RATE,
];

/// The keys of the `local` provider.
pub const SCHEMA: ProviderSchema = ProviderSchema {
    provider: "local",
    storage: STORAGE_KEYS,
    compute: SIM_KEYS,
    network: SIM_KEYS,
};

/// Where local state lives when no directory is configured: `$NIMBUS_HOME`, else
/// `$XDG_DATA_HOME/nimbus`, else `~/.local/share/nimbus`, else `./.nimbus-data`.
pub fn default_home() -> PathBuf {
    if let Some(h) = std::env::var_os("NIMBUS_HOME") {
        return PathBuf::from(h);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(x).join("nimbus");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".local/share/nimbus");
    }
    PathBuf::from(".nimbus-data")
}

/// Storage from resolved settings, wrapped in fault injection when `latency`/`error_rate`
/// are set.
pub fn storage_from_settings(s: &Settings) -> Result<Arc<dyn Storage>> {
    let mut o = StorageOptions::default();
    if let Some(n) = s.get_u64("min_part_size")? {
        o.min_part_size = n;
    }
    o.durable = match s.get("durability") {
        None | Some("fsync") => true,
        Some("none") => false,
        Some(other) => {
            return Err(nimbus_core::Error::invalid(format!(
                "durability `{other}`: expected `fsync` (the default) or `none`"
            )))
        }
    };
    let store: Arc<dyn Storage> = if s.get_bool("memory")?.unwrap_or(false) {
        open_memory(o)
    } else {
        let root = s
            .get("root")
            .map(PathBuf::from)
            .unwrap_or_else(|| default_home().join("storage"));
        open_fs(root, o)?
    };
    Ok(match faults(s)? {
        Some(f) => Arc::new(Layered::new(store, FaultInjection::new(f))),
        None => store,
    })
}

/// Opens the simulator from resolved settings (compute's or network's; they share keys).
pub fn sim_from_settings(s: &Settings) -> Result<Arc<SimCloud>> {
    let mut o = SimOptions::default();
    if let Some(r) = s.get("region") {
        o.region = r.to_string();
        o.zones = ["a", "b", "c"].iter().map(|z| format!("{r}{z}")).collect();
    }
    if let Some(d) = s.get_duration("transition_time")? {
        o = o.with_transition_time(d);
    }
    if let Some(n) = s.get_u64("max_instances")? {
        o.max_instances = n as u32;
    }
    if let Some(n) = s.get_u64("max_vcpus")? {
        o.max_vcpus = n as u32;
    }
    let dir = s
        .get("state_dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_home().join("sim"));
    SimCloud::open(dir, o)
}

fn faults(s: &Settings) -> Result<Option<FaultConfig>> {
    let rate = s.get_fraction("error_rate")?.unwrap_or(0.0);
    let latency = s.get_duration("latency")?.unwrap_or_default();
    Ok((rate > 0.0 || !latency.is_zero()).then(|| FaultConfig::error_rate(rate).latency(latency)))
}

/// Compute from settings, wrapped in fault injection when `latency`/`error_rate` are set.
pub fn compute_from_settings(s: &Settings) -> Result<Arc<dyn Compute>> {
    let c = sim_from_settings(s)?.compute();
    Ok(match faults(s)? {
        Some(f) => Arc::new(Layered::new(c, FaultInjection::new(f))),
        None => c,
    })
}

/// Network from settings, wrapped in fault injection when `latency`/`error_rate` are set.
pub fn network_from_settings(s: &Settings) -> Result<Arc<dyn NetworkService>> {
    let n = sim_from_settings(s)?.network();
    Ok(match faults(s)? {
        Some(f) => Arc::new(Layered::new(n, FaultInjection::new(f))),
        None => n,
    })
}
