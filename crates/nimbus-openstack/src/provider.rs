//! The `openstack` provider's descriptor: how the facade, the CLI and the suite find it.
//!
//! Its one "emulator" is not an emulator: `scripts/openstack` starts a real single-node
//! OpenStack Zed (Debian's packages) on loopback, and the suite runs against its real APIs.
//! What that stack cannot show (Nova's fake virt driver boots nothing; Neutron has no data
//! plane, so security groups are stored, not enforced) is declared in its difference list.

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
        proof: "real OpenStack Zed, single node (Debian 12 packages; Nova fake virt driver, Neutron without data plane, Swift 2.30)",
        services: &["storage", "compute", "network"],
        differences: &["openstack", "openstack-zed-aio"],
        report_as: "openstack",
        settings: &[],
        poll_ms: 500,
    }],
    live_proof: "live: OpenStack",
    live_differences_apply: always,
    default_emulator: None,
    presign_client: None,
};
