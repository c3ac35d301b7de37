//! The `libvirt` provider's descriptor: how the facade, the CLI and the suite find it.
//!
//! Two "emulators", both real libvirt:
//! - `test-driver`: libvirt's built-in `test:///default` driver, in process, no daemon. It
//!   keeps domains, networks and volumes but has no network filters, no uploads and no DHCP
//!   leases: it declares the capability `network.firewalls` off (so the firewall cases are
//!   typed `unsupported`) and `compute.user_data` off; addresses are reserved at create, so
//!   the missing leases change nothing the suite sees.
//! - `qemu-tcg`: a real `libvirtd` with QEMU guests under TCG that `scripts/libvirt` starts in
//!   a network namespace, booting a tiny Linux guest built from Debian's packages.

use std::sync::Arc;

use nimbus_core::provider::{always, Emulator, Provider};
use nimbus_core::{Compute, NetworkService};

use crate::{LibvirtCompute, LibvirtConfig, LibvirtNetwork, SCHEMA};

/// The `libvirt` provider.
pub const PROVIDER: Provider = Provider {
    name: "libvirt",
    summary: "plain KVM/QEMU hosts managed with libvirt: domains, networks, nwfilter firewalls (loads libvirt.so.0 at run time)",
    schema: SCHEMA,
    url_schemes: &[],
    storage: None,
    compute: Some(|s| {
        Box::pin(async move {
            let cfg = LibvirtConfig::from_settings(&s)?;
            Ok(Arc::new(LibvirtCompute::connect(&cfg).await?) as Arc<dyn Compute>)
        })
    }),
    network: Some(|s| {
        Box::pin(async move {
            let cfg = LibvirtConfig::from_settings(&s)?;
            Ok(Arc::new(LibvirtNetwork::connect(&cfg).await?) as Arc<dyn NetworkService>)
        })
    }),
    url_opener: None,
    emulators: &[
        Emulator {
            name: "test-driver",
            proof: "libvirt 9.0 built-in test driver (test:///default, in process: definitions only, no nwfilter, no uploads, no DHCP leases)",
            services: &["compute", "network"],
            differences: &["libvirt-test-driver"],
            report_as: "libvirt-test",
            settings: &[
                ("uri", "test:///default"),
                ("pool", "default-pool"),
                ("network", "default"),
                ("test_seed_image", "nimbus-tiny.qcow2"),
            ],
            poll_ms: 50,
        },
        Emulator {
            name: "qemu-tcg",
            proof: "real libvirtd 9.0 + QEMU (TCG) in a network namespace, tiny Linux guest from Debian packages, nwfilter enforced by the host",
            services: &["compute", "network"],
            differences: &["libvirt"],
            report_as: "libvirt",
            // The URI comes from LIBVIRT_DEFAULT_URI (scripts/libvirt: qemu:///system); the
            // pool is the one scripts/libvirt fills; instances without a subnet get no NIC.
            settings: &[
                ("pool", "nimbus"),
                ("accelerator", "tcg"),
                ("network", "none"),
                ("shutdown_timeout", "15s"),
            ],
            poll_ms: 500,
        },
    ],
    live_proof: "live: libvirt host",
    live_differences_apply: always,
    default_emulator: None,
    presign_client: None,
    diag: Some(&crate::diag::DIAG),
};
