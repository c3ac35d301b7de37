//! What the suite runs against.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub use nimbus_core::provider::PresignClient;
use nimbus_core::{Compute, NetworkService, Storage};

/// A known, documented difference of one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Stable id, e.g. `local-fs-key-prefix-collision`.
    pub id: String,
    /// The case that proves it.
    pub case: String,
    /// What differs.
    pub description: String,
    /// Where the vendor documents it.
    pub source: String,
    /// Only sometimes observable (a race in a non-atomic implementation): a run that sees the
    /// portable behaviour passes instead of failing the declaration as stale.
    pub intermittent: bool,
}

impl Difference {
    /// A difference that every run shows.
    pub fn new(
        id: impl Into<String>,
        case: impl Into<String>,
        description: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Difference {
            id: id.into(),
            case: case.into(),
            description: description.into(),
            source: source.into(),
            intermittent: false,
        }
    }
}

/// A provider under test.
#[derive(Clone)]
pub struct Target {
    /// Provider name as reported (`local`, `aws`, …).
    pub provider: String,
    /// Storage, if tested.
    pub storage: Option<Arc<dyn Storage>>,
    /// Compute, if tested.
    pub compute: Option<Arc<dyn Compute>>,
    /// Network, if tested.
    pub network: Option<Arc<dyn NetworkService>>,
    /// Presigned URL client, if the provider presigns.
    pub presign: Option<Arc<dyn PresignClient>>,
    /// Declared differences.
    pub differences: Vec<Difference>,
    /// What proves each service's rows: `embedded`, `emulator: moto 5.2.5`,
    /// `vendor-example replay`, `live`.
    pub proof: BTreeMap<String, String>,
    /// How long to wait for instance transitions.
    pub wait_timeout: Duration,
    /// First poll interval of waits.
    pub poll_interval: Duration,
    /// How the suite reaches guests' TCP services (firewall enforcement); `None`: it cannot.
    pub guest_access: Option<crate::GuestAccess>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("provider", &self.provider)
            .field("storage", &self.storage.as_ref().map(|s| s.provider()))
            .field("compute", &self.compute.as_ref().map(|s| s.provider()))
            .field("network", &self.network.as_ref().map(|s| s.provider()))
            .field("differences", &self.differences.len())
            .finish()
    }
}

impl Target {
    /// An empty target; add services with the fields.
    pub fn new(provider: impl Into<String>) -> Self {
        Target {
            provider: provider.into(),
            storage: None,
            compute: None,
            network: None,
            presign: None,
            differences: Vec::new(),
            proof: BTreeMap::new(),
            wait_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_millis(200),
            guest_access: None,
        }
    }

    /// The declared difference with this id.
    pub fn difference(&self, id: &str) -> Option<&Difference> {
        self.differences.iter().find(|d| d.id == id)
    }
}
