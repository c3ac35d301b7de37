//! What each provider can do, declared as data.
//!
//! Why data and not "try it and see": a product team must be able to decide *before* promising
//! a feature to a customer whether that customer's cloud supports it, and the conformance suite
//! checks every declaration both ways (declared ⇒ it works; undeclared ⇒ the call fails with
//! [`crate::ErrorKind::Unsupported`] naming the [`Capability`]). Flags are named after
//! OpenDAL's `Capability`; limits carry the provider's documented numbers.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// A named capability, as carried by the typed unsupported error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Capability {
    /// Put with [`crate::storage::PutMode::Create`] (`If-None-Match: *`).
    PutCreateOnly,
    /// Put with [`crate::storage::PutMode::Update`] (compare-and-swap on the version token).
    PutIfVersion,
    /// Get with `if_match` / `if_none_match`.
    ConditionalGet,
    /// Ranged get.
    RangedGet,
    /// Server-side copy.
    Copy,
    /// Copy that fails when the destination exists.
    CopyIfNotExists,
    /// Multipart / block uploads.
    Multipart,
    /// Batch delete in one request.
    BatchDelete,
    /// Presigned GET URLs.
    PresignGet,
    /// Presigned PUT URLs.
    PresignPut,
    /// Listing with a delimiter (common prefixes).
    ListDelimiter,
    /// Listing that starts after a key.
    ListStartAfter,
    /// User-defined object metadata.
    UserMetadata,
    /// The standard HTTP attributes kept with an object and returned with it: Cache-Control,
    /// Content-Disposition, Content-Encoding, Content-Language
    /// ([`crate::storage::HttpAttributes`]).
    HttpAttributes,
    /// A portable storage class on put, multipart and copy, reported by head
    /// ([`crate::storage::StorageClass`]).
    StorageClass,
    /// Start a stopped instance.
    InstanceStart,
    /// Stop a running instance.
    InstanceStop,
    /// Stop and release the host so billing stops (Azure "deallocate").
    InstanceDeallocate,
    /// Reboot a running instance.
    InstanceReboot,
    /// User data / startup scripts.
    UserData,
    /// Firewalls at all (libvirt's test driver has none).
    Firewalls,
    /// Firewall rules that deny.
    FirewallDenyRules,
    /// Firewall rules with explicit priorities.
    FirewallPriorities,
    /// Egress firewall rules.
    FirewallEgressRules,
}

impl Capability {
    /// Every capability, for reports.
    pub const ALL: &'static [Capability] = &[
        Capability::PutCreateOnly,
        Capability::PutIfVersion,
        Capability::ConditionalGet,
        Capability::RangedGet,
        Capability::Copy,
        Capability::CopyIfNotExists,
        Capability::Multipart,
        Capability::BatchDelete,
        Capability::PresignGet,
        Capability::PresignPut,
        Capability::ListDelimiter,
        Capability::ListStartAfter,
        Capability::UserMetadata,
        Capability::HttpAttributes,
        Capability::StorageClass,
        Capability::InstanceStart,
        Capability::InstanceStop,
        Capability::InstanceDeallocate,
        Capability::InstanceReboot,
        Capability::UserData,
        Capability::Firewalls,
        Capability::FirewallDenyRules,
        Capability::FirewallPriorities,
        Capability::FirewallEgressRules,
    ];

    /// The stable dotted name: `service.flag`.
    pub fn name(self) -> &'static str {
        match self {
            Capability::PutCreateOnly => "storage.put_create_only",
            Capability::PutIfVersion => "storage.put_if_version",
            Capability::ConditionalGet => "storage.conditional_get",
            Capability::RangedGet => "storage.ranged_get",
            Capability::Copy => "storage.copy",
            Capability::CopyIfNotExists => "storage.copy_if_not_exists",
            Capability::Multipart => "storage.multipart",
            Capability::BatchDelete => "storage.batch_delete",
            Capability::PresignGet => "storage.presign_get",
            Capability::PresignPut => "storage.presign_put",
            Capability::ListDelimiter => "storage.list_delimiter",
            Capability::ListStartAfter => "storage.list_start_after",
            Capability::UserMetadata => "storage.user_metadata",
            Capability::HttpAttributes => "storage.http_attributes",
            Capability::StorageClass => "storage.storage_class",
            Capability::InstanceStart => "compute.start",
            Capability::InstanceStop => "compute.stop",
            Capability::InstanceDeallocate => "compute.deallocate",
            Capability::InstanceReboot => "compute.reboot",
            Capability::UserData => "compute.user_data",
            Capability::Firewalls => "network.firewalls",
            Capability::FirewallDenyRules => "network.firewall_deny_rules",
            Capability::FirewallPriorities => "network.firewall_priorities",
            Capability::FirewallEgressRules => "network.firewall_egress_rules",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Order in which a listing returns keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ListOrdering {
    /// By UTF-8 bytes of the key, as S3, GCS and Azure Blob do.
    Lexicographic,
    /// No promise.
    Unordered,
}

/// What a storage provider declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StorageCapabilities {
    /// Put that fails if the object exists.
    pub put_create_only: bool,
    /// Put that fails unless the current version token matches.
    pub put_if_version: bool,
    /// Conditional get (if-match / if-none-match).
    pub conditional_get: bool,
    /// Ranged get.
    pub ranged_get: bool,
    /// Server-side copy.
    pub copy: bool,
    /// Copy with if-not-exists.
    pub copy_if_not_exists: bool,
    /// Multipart uploads.
    pub multipart: bool,
    /// Smallest part size accepted, except for the last part.
    pub multipart_min_part_size: u64,
    /// Largest part size accepted.
    pub multipart_max_part_size: u64,
    /// Most parts in one upload.
    pub multipart_max_parts: u32,
    /// Every part but the last must have the same size (Cloudflare R2).
    pub multipart_equal_parts: bool,
    /// Batch delete.
    pub batch_delete: bool,
    /// Most keys in one batch delete request.
    pub batch_delete_max: usize,
    /// Presigned GET.
    pub presign_get: bool,
    /// Presigned PUT.
    pub presign_put: bool,
    /// Longest expiry of a presigned URL.
    pub presign_max_expiry: Duration,
    /// Listing order.
    pub list_ordering: ListOrdering,
    /// Listing with a delimiter.
    pub list_delimiter: bool,
    /// Listing from a start-after key (exclusive).
    pub list_start_after: bool,
    /// Largest page a single list call returns.
    pub list_max_page_size: usize,
    /// User metadata on objects.
    pub user_metadata: bool,
    /// User metadata names come back in the case they were put in (`BuildId` stays
    /// `BuildId`). Where this is not declared the provider (or its HTTP transport) does not
    /// keep case, and the portable contract lower-cases every name it returns, so a name reads
    /// back the same way on every such provider. Names are case-insensitively unique either
    /// way: a put whose names differ only in case is refused.
    pub metadata_case_preserved: bool,
    /// Cache-Control, Content-Disposition, Content-Encoding and Content-Language kept with
    /// objects (put, multipart create, copy) and returned by head and get.
    pub http_attributes: bool,
    /// The four portable storage classes on put, multipart and copy; head reports the class
    /// ([`crate::storage::StorageClass`]).
    pub storage_class: bool,
    /// Longest key in UTF-8 bytes.
    pub max_key_len: usize,
    /// `put_stream` sends the body as one native streamed request (a file, a resumable
    /// upload). Where it is not declared but `multipart` is, the portable contract writes a
    /// stream part by part, so every part goes through retry on its own.
    pub native_streamed_put: bool,
}

impl StorageCapabilities {
    /// Nothing supported; a starting point for a new adapter: take it and set the fields the
    /// provider supports (the struct is `#[non_exhaustive]`, so other crates cannot use a
    /// struct literal).
    pub fn none() -> Self {
        StorageCapabilities {
            put_create_only: false,
            put_if_version: false,
            conditional_get: false,
            ranged_get: false,
            copy: false,
            copy_if_not_exists: false,
            multipart: false,
            multipart_min_part_size: 0,
            multipart_max_part_size: 0,
            multipart_max_parts: 0,
            multipart_equal_parts: false,
            batch_delete: false,
            batch_delete_max: 0,
            presign_get: false,
            presign_put: false,
            presign_max_expiry: Duration::ZERO,
            list_ordering: ListOrdering::Unordered,
            list_delimiter: false,
            list_start_after: false,
            list_max_page_size: 1000,
            user_metadata: false,
            metadata_case_preserved: false,
            http_attributes: false,
            storage_class: false,
            max_key_len: 1024,
            native_streamed_put: false,
        }
    }

    /// Whether the flag behind `cap` is declared. Non-storage capabilities are `false`.
    pub fn supports(&self, cap: Capability) -> bool {
        match cap {
            Capability::PutCreateOnly => self.put_create_only,
            Capability::PutIfVersion => self.put_if_version,
            Capability::ConditionalGet => self.conditional_get,
            Capability::RangedGet => self.ranged_get,
            Capability::Copy => self.copy,
            Capability::CopyIfNotExists => self.copy_if_not_exists,
            Capability::Multipart => self.multipart,
            Capability::BatchDelete => self.batch_delete,
            Capability::PresignGet => self.presign_get,
            Capability::PresignPut => self.presign_put,
            Capability::ListDelimiter => self.list_delimiter,
            Capability::ListStartAfter => self.list_start_after,
            Capability::UserMetadata => self.user_metadata,
            Capability::HttpAttributes => self.http_attributes,
            Capability::StorageClass => self.storage_class,
            _ => false,
        }
    }
}

/// Whether a network or subnet belongs to the whole account, a region or a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// Spans every region (GCP VPC networks).
    Global,
    /// One region (AWS VPCs, Azure VNets and subnets, GCP subnetworks).
    Regional,
    /// One zone (AWS subnets).
    Zonal,
}

/// How an instance is bound to a firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FirewallAttachment {
    /// The instance (its interface) lists the firewall (AWS security groups, local).
    Instance,
    /// Rules target instances by network tag (GCP).
    Tag,
    /// The firewall is attached to a network interface or subnet (Azure NSG).
    NetworkInterface,
}

/// What a compute provider declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ComputeCapabilities {
    /// Start a stopped instance.
    pub start: bool,
    /// Stop a running instance.
    pub stop: bool,
    /// A stopped (not deallocated) instance still bills for compute (Azure power-off).
    pub stop_keeps_billing: bool,
    /// Stop that releases the host and ends compute billing.
    pub deallocate: bool,
    /// Reboot.
    pub reboot: bool,
    /// User data / startup scripts.
    pub user_data: bool,
    /// Listing filtered by labels on the server side (otherwise filtered client-side).
    pub server_side_label_filter: bool,
    /// Portable image aliases the provider resolves (e.g. `ubuntu-22.04`).
    pub image_aliases: Vec<String>,
    /// Most instances the account may have (None: unknown / provider-enforced).
    pub max_instances: Option<u32>,
    /// Most vCPUs the account may use.
    pub max_vcpus: Option<u32>,
    /// Which regions `list_regions` returns and instances may be placed in: `Regional`, the
    /// configured region only (AWS, Azure, local: a client is bound to one region);
    /// `Global`, every region of the account (Compute Engine: one project addresses every
    /// zone). `Zonal` is not a region scope.
    pub region_scope: Scope,
    /// `reboot_instance` is a hard reset without a guest shutdown (Compute Engine's
    /// `instances.reset`); otherwise the guest is asked to restart. A registered difference
    /// where declared (`gce-reboot-is-hard-reset`).
    pub reboot_is_hard_reset: bool,
}

impl ComputeCapabilities {
    /// Nothing supported; set the fields that are.
    pub fn none() -> Self {
        ComputeCapabilities {
            start: false,
            stop: false,
            stop_keeps_billing: false,
            deallocate: false,
            reboot: false,
            user_data: false,
            server_side_label_filter: false,
            image_aliases: Vec::new(),
            max_instances: None,
            max_vcpus: None,
            region_scope: Scope::Regional,
            reboot_is_hard_reset: false,
        }
    }

    /// Whether the flag behind `cap` is declared.
    pub fn supports(&self, cap: Capability) -> bool {
        match cap {
            Capability::InstanceStart => self.start,
            Capability::InstanceStop => self.stop,
            Capability::InstanceDeallocate => self.deallocate,
            Capability::InstanceReboot => self.reboot,
            Capability::UserData => self.user_data,
            _ => false,
        }
    }
}

/// What a network provider declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NetworkCapabilities {
    /// Firewalls (create, rules, attach). Every cloud has them; a host without packet
    /// filtering (libvirt's test driver) does not, and every firewall call is then the typed
    /// unsupported error.
    pub firewalls: bool,
    /// Scope of a network.
    pub network_scope: Scope,
    /// Scope of a subnet.
    pub subnet_scope: Scope,
    /// Deny rules.
    pub firewall_deny_rules: bool,
    /// Rule priorities.
    pub firewall_priorities: bool,
    /// Inclusive range of accepted priorities (lower number wins).
    pub firewall_priority_range: Option<(u32, u32)>,
    /// Egress rules.
    pub firewall_egress_rules: bool,
    /// How firewalls bind to instances.
    pub firewall_attachment: FirewallAttachment,
    /// Smallest and largest prefix length of a network CIDR (e.g. 16..=28 on AWS).
    pub network_prefix_range: (u8, u8),
    /// Smallest and largest prefix length of a subnet CIDR.
    pub subnet_prefix_range: (u8, u8),
}

impl NetworkCapabilities {
    /// Regional networks and subnets, instance-attached allow-only ingress firewalls; set
    /// the fields that differ.
    pub fn none() -> Self {
        NetworkCapabilities {
            firewalls: true,
            network_scope: Scope::Regional,
            subnet_scope: Scope::Regional,
            firewall_deny_rules: false,
            firewall_priorities: false,
            firewall_priority_range: None,
            firewall_egress_rules: false,
            firewall_attachment: FirewallAttachment::Instance,
            network_prefix_range: (16, 28),
            subnet_prefix_range: (16, 28),
        }
    }

    /// Whether the flag behind `cap` is declared.
    pub fn supports(&self, cap: Capability) -> bool {
        match cap {
            Capability::Firewalls => self.firewalls,
            Capability::FirewallDenyRules => self.firewall_deny_rules,
            Capability::FirewallPriorities => self.firewall_priorities,
            Capability::FirewallEgressRules => self.firewall_egress_rules,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_dotted() {
        let mut seen = std::collections::HashSet::new();
        for c in Capability::ALL {
            assert!(c.name().contains('.'));
            assert!(seen.insert(c.name()), "duplicate {}", c.name());
        }
    }

    #[test]
    fn none_supports_nothing() {
        let caps = StorageCapabilities::none();
        assert!(Capability::ALL.iter().all(|c| !caps.supports(*c)));
    }
}
