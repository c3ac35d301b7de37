//! The `openstack` provider's descriptor: how the facade, the CLI and the suite find it.
//!
//! Its one "emulator" is not an emulator: `scripts/openstack` starts a real single-node
//! OpenStack Zed (Debian's packages) on loopback, and the suite runs against its real APIs.
//! What that stack cannot show (Nova's fake virt driver boots nothing, so user data is stored
//! but never run; Neutron has no data plane, so security groups are stored, not enforced) is
//! said in every row's proof below and in `conformance/differences-notes.md`. No case observes
//! it (the suite checks what the APIs say, not packets), so it has no registry entry: an entry
//! never observed fails as stale. Observed differences of this stack alone would go in a list
//! `openstack-zed-aio` (kind `emulator`) added here.

use std::sync::Arc;

use nimbus_core::provider::{always, Emulator, Provider};
use nimbus_core::{Compute, NetworkService, Storage};

use crate::{NeutronNetwork, NovaCompute, OpenStackConfig, SwiftStorage, SCHEMA};

/// The `openstack` provider.
pub const PROVIDER: Provider = Provider {
    name: "openstack",
    summary: "OpenStack private and regional clouds: Swift storage, Nova compute, Neutron network (Keystone v3)",
    schema: SCHEMA,
    // swift://container/key?cloud=NAME: the URL's options are storage settings.
    url_schemes: &["swift"],
    storage: Some(|s| {
        Box::pin(async move {
            let cfg = OpenStackConfig::from_settings(&s)?;
            Ok(Arc::new(SwiftStorage::connect(&cfg)?) as Arc<dyn Storage>)
        })
    }),
    compute: Some(|s| {
        Box::pin(async move {
            let cfg = OpenStackConfig::from_settings(&s)?;
            Ok(Arc::new(NovaCompute::connect(&cfg)?) as Arc<dyn Compute>)
        })
    }),
    network: Some(|s| {
        Box::pin(async move {
            let cfg = OpenStackConfig::from_settings(&s)?;
            Ok(Arc::new(NeutronNetwork::connect(&cfg)?) as Arc<dyn NetworkService>)
        })
    }),
    url_opener: None,
    emulators: &[Emulator {
        name: "zed",
        proof: "real OpenStack Zed, single node (Debian 12 packages; Nova fake virt driver: nothing boots; Neutron without data plane: rules stored, not enforced; Swift 2.30)",
        services: &["storage", "compute", "network"],
        differences: &["openstack"],
        report_as: "openstack",
        settings: &[],
        poll_ms: 500,
    }],
    live_proof: "live: OpenStack",
    live_differences_apply: always,
    default_emulator: None,
    presign_client: None,
    diag: Some(&crate::diag::DIAG),
};
