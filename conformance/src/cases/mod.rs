//! The cases, by service.

mod compute;
mod enforcement;
mod instances;
mod network;
mod networks;
mod storage;
mod storage_class;

use futures::future::BoxFuture;

use crate::ctx::{CaseResult, Ctx};

/// Which service a case tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Storage.
    Storage,
    /// Compute.
    Compute,
    /// Network.
    Network,
}

impl Service {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Storage => "storage",
            Service::Compute => "compute",
            Service::Network => "network",
        }
    }
}

/// A named case.
#[derive(Clone, Copy)]
pub struct Case {
    /// Stable id, `service.what` (e.g. `storage.put_create_only_existing`).
    pub id: &'static str,
    /// Service.
    pub service: Service,
    /// What the portable behaviour is.
    pub description: &'static str,
    /// The body.
    pub run: fn(Ctx) -> BoxFuture<'static, CaseResult>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("id", &self.id).finish()
    }
}

/// Declares a case: `case!(storage, "what the portable behaviour is", fn_name)`. The id is
/// `service.fn_name`, taken from the function itself, so an id can never drift from the
/// code it names (and nextest lists the case under it).
macro_rules! case {
    (storage, $desc:literal, $f:ident) => {
        $crate::cases::case!(@ Storage, "storage.", $desc, $f)
    };
    (compute, $desc:literal, $f:ident) => {
        $crate::cases::case!(@ Compute, "compute.", $desc, $f)
    };
    (network, $desc:literal, $f:ident) => {
        $crate::cases::case!(@ Network, "network.", $desc, $f)
    };
    (@ $svc:ident, $prefix:literal, $desc:literal, $f:ident) => {
        $crate::cases::Case {
            id: concat!($prefix, stringify!($f)),
            service: $crate::cases::Service::$svc,
            description: $desc,
            run: |c| Box::pin($f(c)),
        }
    };
}
pub(crate) use case;

/// Every case, storage first.
pub fn all_cases() -> Vec<Case> {
    let mut v = storage::cases();
    v.extend(storage_class::cases());
    v.extend(compute::cases());
    v.extend(network::cases());
    v.extend(enforcement::cases());
    v
}
