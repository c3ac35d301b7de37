//! The providers compiled into this build: the one list in the facade that names them.
//!
//! Adding a cloud is its crate, its cargo feature in `Cargo.toml` and one line here (see
//! `docs/adding-a-cloud.md`). Nothing else in the facade, the CLI or the suite names a
//! provider: they all look providers up in [`registry()`].

use std::sync::OnceLock;

use nimbus_core::provider::{Provider, Registry};

/// Every provider compiled in, in a fixed order (the CLI lists them in this order).
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::new(compiled_in()))
}

#[allow(clippy::vec_init_then_push, unused_mut)] // one cfg-gated line per provider
fn compiled_in() -> Vec<Provider> {
    let mut v = Vec::new();
    #[cfg(feature = "local")]
    v.push(nimbus_local::PROVIDER);
    #[cfg(any(feature = "aws-storage", feature = "aws-compute"))]
    v.push(nimbus_aws::PROVIDER);
    #[cfg(any(feature = "azure-storage", feature = "azure-compute"))]
    v.push(nimbus_azure::PROVIDER);
    #[cfg(any(feature = "gcp-storage", feature = "gcp-compute"))]
    v.push(nimbus_gcp::PROVIDER);
    #[cfg(feature = "openstack")]
    v.push(nimbus_openstack::PROVIDER);
    #[cfg(feature = "libvirt")]
    v.push(nimbus_libvirt::PROVIDER);
    #[cfg(feature = "template")]
    v.push(nimbus_template::PROVIDER);
    v
}
