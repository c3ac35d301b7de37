//! The provider's settings: a libvirt URI per profile and the host-side names the adapter
//! needs (storage pool, default network), validated before any connection is made.
//!
//! The URI falls back to `LIBVIRT_DEFAULT_URI`, as `virsh` does, then to `qemu:///system`.
//! Only the hypervisor drivers the adapter is written for are accepted (`qemu` over every
//! transport, and libvirt's built-in `test` driver); a typo in the scheme is a typed error
//! here instead of a connection failure from deep inside libvirt.

use std::collections::BTreeMap;
use std::time::Duration;

use nimbus_core::config::{KeyDef, KeyKind, ProviderSchema, Settings};
use nimbus_core::{Error, Result};

use crate::compute::sizes::{parse_catalogue, SizeDef};

macro_rules! key {
    ($name:literal, [$($alias:literal),*], $kind:ident, $doc:literal) => {
        KeyDef { name: $name, aliases: &[$($alias),*], kind: KeyKind::$kind, doc: $doc }
    };
}

const KEYS: &[KeyDef] = &[
    key!("uri", ["url", "connection", "libvirt_uri"], String, "libvirt URI: qemu:///system, qemu+ssh://user@host/system, qemu+tls://host/system, test:///default (else LIBVIRT_DEFAULT_URI, else qemu:///system)."),
    key!("region", [], String, "Region name of this host (default: the hypervisor's host name)."),
    key!("pool", ["storage_pool"], String, "Storage pool holding images and instance disks (default `default`)."),
    key!("network", ["default_network"], String, "libvirt network for instances created without a subnet (default `default`; `none`: no interface)."),
    key!("accelerator", ["accel"], String, "auto (KVM when the host offers it), kvm, or tcg (software emulation)."),
    key!("forward", ["network_mode"], String, "Mode of networks Nimbus creates: nat (default) or isolated."),
    key!("shutdown_timeout", [], Duration, "How long a stop waits for the guest's ACPI shutdown before pulling the power (default 60s)."),
    key!("sizes", [], String, "Size catalogue, `name=vcpus/MiB,…` (default nano=1/128 … xlarge=8/16384), bounded by the host."),
    key!("machine", [], String, "QEMU machine type (default: libvirt's default for the architecture)."),
    key!("test_seed_image", [], String, "test:// URIs only: an empty image volume of this name is added to the pool when missing (the test driver's host starts with none)."),
];

/// The keys of the `libvirt` provider (compute and network; libvirt has no object storage).
pub const SCHEMA: ProviderSchema = ProviderSchema {
    provider: "libvirt",
    storage: &[],
    compute: KEYS,
    network: KEYS,
};

/// Hardware acceleration of new guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accelerator {
    /// KVM when the capabilities offer it, TCG otherwise.
    Auto,
    /// KVM only (an error where the host has none).
    Kvm,
    /// QEMU's software emulation.
    Tcg,
}

/// How networks Nimbus creates reach the outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forward {
    /// NAT through the host.
    Nat,
    /// No forwarding: guests reach only each other and the host.
    Isolated,
}

/// A resolved libvirt target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LibvirtConfig {
    /// The libvirt URI.
    pub uri: String,
    /// Region name (None: the host name).
    pub region: Option<String>,
    /// Storage pool name.
    pub pool: String,
    /// Default network name (None: no interface).
    pub network: Option<String>,
    /// Acceleration.
    pub accelerator: Accelerator,
    /// Mode of created networks.
    pub forward: Forward,
    /// ACPI shutdown deadline.
    pub shutdown_timeout: Duration,
    /// Size catalogue (before the host bound).
    pub sizes: Vec<SizeDef>,
    /// Machine type.
    pub machine: Option<String>,
    /// Test driver only: an image volume to add when missing.
    pub test_seed_image: Option<String>,
}

impl LibvirtConfig {
    /// From resolved settings and the process environment.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Self::from_parts(s, &env)
    }

    /// From resolved settings and an environment (tests pass their own).
    pub fn from_parts(s: &Settings, env: &BTreeMap<String, String>) -> Result<Self> {
        let uri = s
            .get("uri")
            .map(str::to_string)
            .or_else(|| env.get("LIBVIRT_DEFAULT_URI").cloned())
            .unwrap_or_else(|| "qemu:///system".to_string());
        validate_uri(&uri)?;
        let accelerator = match s.get("accelerator").unwrap_or("auto") {
            "auto" => Accelerator::Auto,
            "kvm" => Accelerator::Kvm,
            "tcg" | "qemu" => Accelerator::Tcg,
            other => {
                return Err(Error::invalid(format!(
                    "accelerator `{other}`: expected auto, kvm or tcg"
                )))
            }
        };
        let forward = match s.get("forward").unwrap_or("nat") {
            "nat" => Forward::Nat,
            "isolated" | "none" => Forward::Isolated,
            other => return Err(Error::invalid(format!("forward `{other}`: expected nat or isolated"))),
        };
        let network = match s.get("network") {
            Some("none") => None,
            Some(n) => Some(n.to_string()),
            None => Some("default".to_string()),
        };
        let sizes = parse_catalogue(s.get("sizes"))?;
        Ok(LibvirtConfig {
            uri: uri.clone(),
            region: s.get("region").map(str::to_string),
            pool: s.get("pool").unwrap_or("default").to_string(),
            network,
            accelerator,
            forward,
            shutdown_timeout: s.get_duration("shutdown_timeout")?.unwrap_or(Duration::from_secs(60)),
            sizes,
            machine: s.get("machine").map(str::to_string),
            test_seed_image: match s.get("test_seed_image") {
                Some(_) if !uri.starts_with("test:") => {
                    return Err(Error::invalid(
                        "`test_seed_image` applies only to libvirt's test driver (test:// URIs)",
                    ))
                }
                v => v.map(str::to_string),
            },
        })
    }

    /// Whether the URI names libvirt's built-in test driver (no daemon, no nwfilter, no
    /// uploads, no DHCP leases).
    pub fn is_test_driver(&self) -> bool {
        self.uri.starts_with("test:")
    }
}

/// Checks a libvirt URI: a driver the adapter supports, a known transport, a path.
pub fn validate_uri(uri: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid(format!("libvirt URI `{uri}`: {why}"));
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| bad("expected DRIVER[+TRANSPORT]://[HOST]/PATH, e.g. qemu:///system"))?;
    let (driver, transport) = match scheme.split_once('+') {
        Some((d, t)) => (d, Some(t)),
        None => (scheme, None),
    };
    match driver {
        "qemu" | "test" => {}
        other => {
            return Err(bad(&format!(
                "driver `{other}` is not supported (qemu, or test for libvirt's built-in test driver)"
            )))
        }
    }
    if let Some(t) = transport {
        if !["ssh", "libssh", "libssh2", "tls", "tcp", "unix", "ext"].contains(&t) {
            return Err(bad(&format!(
                "transport `{t}` is unknown (ssh, libssh, libssh2, tls, tcp, unix, ext)"
            )));
        }
    }
    let path_start = rest
        .find('/')
        .ok_or_else(|| bad("missing path (/system, /session, /default)"))?;
    let host = &rest[..path_start];
    let path = rest[path_start..].split('?').next().unwrap_or("");
    if transport.is_some_and(|t| t != "unix") && host.is_empty() {
        return Err(bad("a remote transport needs a host"));
    }
    if host.chars().any(|c| c.is_whitespace()) {
        return Err(bad("white space in the host"));
    }
    match driver {
        "qemu" if !["/system", "/session"].contains(&path) => Err(bad("the qemu driver's path is /system or /session")),
        "test" if path.is_empty() || path == "/" => Err(bad("the test driver's path is /default or a definition file")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let mut s = Settings::default();
        for (k, v) in pairs {
            s.set(*k, *v, "test");
        }
        s
    }

    #[test]
    fn uris_are_validated() {
        for ok in [
            "qemu:///system",
            "qemu:///session",
            "qemu+ssh://root@kvm1.example/system",
            "qemu+ssh://root@kvm1.example/system?keyfile=/k",
            "qemu+tls://kvm1.example/system",
            "qemu+unix:///system?socket=/run/x.sock",
            "test:///default",
        ] {
            validate_uri(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "qemu:/system",
            "xen:///system",
            "qemu+ftp://h/system",
            "qemu+ssh:///system",
            "qemu:///sistem",
            "test:///",
            "system",
        ] {
            let e = validate_uri(bad).unwrap_err();
            assert_eq!(e.kind(), nimbus_core::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn uri_falls_back_to_the_libvirt_variable_then_system() {
        let env: BTreeMap<String, String> = [("LIBVIRT_DEFAULT_URI".to_string(), "test:///default".to_string())].into();
        assert_eq!(
            LibvirtConfig::from_parts(&settings(&[]), &env).unwrap().uri,
            "test:///default"
        );
        let c = LibvirtConfig::from_parts(&settings(&[]), &BTreeMap::new()).unwrap();
        assert_eq!((c.uri.as_str(), c.pool.as_str()), ("qemu:///system", "default"));
        assert_eq!(c.network.as_deref(), Some("default"));
        let c = LibvirtConfig::from_parts(&settings(&[("uri", "qemu:///session"), ("network", "none")]), &env).unwrap();
        assert_eq!((c.uri.as_str(), c.network), ("qemu:///session", None));
    }

    #[test]
    fn bad_values_are_typed_errors() {
        for pairs in [
            [("accelerator", "hyperv")],
            [("forward", "bridge")],
            [("sizes", "x=0/128")],
        ] {
            let e = LibvirtConfig::from_parts(&settings(&pairs), &BTreeMap::new()).unwrap_err();
            assert_eq!(e.kind(), nimbus_core::ErrorKind::InvalidInput, "{pairs:?}");
        }
    }
}
