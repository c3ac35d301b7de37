//! What a provider tells `nimbus doctor` about itself: the endpoints a profile makes it
//! contact, and how its HTTP stack treats the proxy and CA variables.
//!
//! Why a hook on the [`Provider`](crate::provider::Provider) descriptor and not a list of
//! URLs inside the doctor: only the adapter knows its resolution (the `endpoint` setting,
//! then `AWS_ENDPOINT_URL_S3`, then a preset, then the region's default; an Azure connection
//! string's `BlobEndpoint`; `clouds.yaml`). The hook calls that same code, so doctor probes
//! exactly the host the adapter would, and adding a cloud adds its hook in its own crate.
//! Only data lives here; the probing (DNS, TCP, TLS, HTTP, clock) is in `nimbus-doctor`.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use crate::config::Settings;
use crate::Result;

/// One endpoint a service contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Short stable name used in check ids (`s3`, `ec2`, `blob`, `keystone`, `libvirtd`).
    pub label: String,
    /// `http(s)://host[:port]/…`, `tcp://host:port` (a non-HTTP daemon) or `unix:///path`.
    pub url: String,
    /// Where the adapter got it (`setting endpoint`, `env AWS_ENDPOINT_URL_S3`, `default for
    /// region eu-west-1`).
    pub from: String,
    /// The largest clock difference the service accepts on signed requests, with the vendor
    /// source that documents it; `None` when none is documented.
    pub clock_tolerance: Option<(Duration, &'static str)>,
    /// A CA file the adapter adds to the system roots for this endpoint (OpenStack `cacert`).
    pub ca_file: Option<String>,
}

impl Endpoint {
    /// An endpoint with no tolerance and no extra CA.
    pub fn new(label: impl Into<String>, url: impl Into<String>, from: impl Into<String>) -> Self {
        Endpoint {
            label: label.into(),
            url: url.into(),
            from: from.into(),
            clock_tolerance: None,
            ca_file: None,
        }
    }

    /// With the documented clock tolerance.
    pub fn tolerance(mut self, limit: Duration, source: &'static str) -> Self {
        self.clock_tolerance = Some((limit, source));
        self
    }
}

/// How a provider's HTTP stack treats the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpStack {
    /// A hyper-based stack (reqwest 0.13, the AWS SDK's default client): `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` honoured with hyper-util's matcher (upper case
    /// first; `REQUEST_METHOD` set disables them); roots from the system store, which
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` replace.
    Hyper {
        /// The profile key that adds a CA file, if the adapter has one (`cacert`).
        ca_setting: Option<&'static str>,
        /// The test that proves the proxy claim by traffic.
        proven_by: &'static str,
    },
    /// Not HTTP (libvirt's RPC, a local directory): proxy and CA variables do not apply.
    NotHttp,
}

/// Who a service's credentials belong to, as the provider knows it.
///
/// `proven` separates an answer from the cloud's own who-am-i call (STS `GetCallerIdentity`,
/// the Keystone token) from facts read offline out of the settings (an Azure account key
/// names its account; a Google key file names its service account): the second kind says
/// whose credentials these *claim* to be, and the access checks prove they are accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The principal: an ARN, `user NAME (ID)`, a service account's email, `anonymous`.
    pub principal: String,
    /// The account, tenant or subscription the principal belongs to, when the cloud has one.
    pub account: Option<String>,
    /// The project (OpenStack, Google Cloud), when the credentials are scoped to one.
    pub project: Option<String>,
    /// Roles or permissions the credentials carry, when the answer lists them (Keystone roles,
    /// a SAS token's `sp`).
    pub roles: Vec<String>,
    /// When the credentials stop working (a token's or SAS's expiry).
    pub expires: Option<SystemTime>,
    /// How it was found (`STS GetCallerIdentity`, `Keystone token`, `account key in the
    /// settings`).
    pub how: String,
    /// Whether a round trip to the cloud answered it (see the type's documentation).
    pub proven: bool,
}

/// A profile key and the provider's variables that fill it, in the order the adapter reads
/// them (`("region", &["AWS_REGION", "AWS_DEFAULT_REGION"])`).
pub type ProviderVariables = (&'static str, &'static [&'static str]);

/// The future an identity hook returns.
pub type IdentityFuture = Pin<Box<dyn Future<Output = Result<Identity>> + Send>>;

/// Whether the credentials may do one thing the product does, found without doing it (an EC2
/// `DryRun`, the roles in a Keystone token, the letters of a SAS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// What the product would do: `compute.create_instance`, `storage.write`.
    pub need: String,
    /// `Some(true)` allowed, `Some(false)` denied, `None` the cloud's answer did not say.
    pub allowed: Option<bool>,
    /// The cloud's permission, role or letter that decides it (`ec2:RunInstances`, role
    /// `member`, SAS `w`): what to grant when it is missing.
    pub grant: String,
    /// How it was found, with the answer (`RunInstances with DryRun answered DryRunOperation`).
    pub how: String,
}

/// The future a permissions hook returns.
pub type PermissionsFuture = Pin<Box<dyn Future<Output = Result<Vec<Permission>>> + Send>>;

/// A provider's diagnosis hooks.
#[derive(Debug, Clone, Copy)]
pub struct Diag {
    /// The endpoints `service` contacts with these settings (the adapter's own resolution).
    pub endpoints: fn(service: &str, settings: &Settings) -> Result<Vec<Endpoint>>,
    /// The HTTP stack's treatment of proxy and CA variables.
    pub stack: HttpStack,
    /// The provider's own variables that fill `service`'s keys a profile leaves unset, in the
    /// order the adapter reads them (`region` ← `AWS_REGION`, `AWS_DEFAULT_REGION`): doctor
    /// shows which one supplied a value, as `aws configure list` does.
    pub variables: fn(service: &str) -> Vec<ProviderVariables>,
    /// Who `service`'s credentials belong to, by the cheapest call that says (never one that
    /// changes state). `None`, or an `Unsupported` error, when the provider cannot say.
    pub identity: Option<fn(service: &str, settings: &Settings) -> IdentityFuture>,
    /// Whether `service`'s credentials may do what the product does with it, checked without
    /// doing it. `None`, or an `Unsupported` error saying why, when the cloud offers no such
    /// check (doctor's data-plane probes then test storage by doing).
    pub permissions: Option<fn(service: &str, settings: &Settings) -> PermissionsFuture>,
    /// What to do about an error this provider's services returned, when the portable kind
    /// does not say: a store rejecting the SDK's default request checksums, a signature
    /// refused because the clock is off. Returns the fix, one line naming the exact setting
    /// or command.
    pub explain: Option<fn(error: &crate::Error) -> Option<Explained>>,
}

/// A provider's reading of an error (see [`Diag::explain`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// The fix: one line naming the exact setting or command.
    pub fix: String,
    /// The service rejected the request's time (a signature or token outside its window):
    /// doctor then says by how much the clock is off, from its own measurement.
    pub clock: bool,
}

impl Explained {
    /// A fix unrelated to the clock.
    pub fn fix(fix: impl Into<String>) -> Self {
        Explained {
            fix: fix.into(),
            clock: false,
        }
    }

    /// A rejection of the request's time.
    pub fn clock(fix: impl Into<String>) -> Self {
        Explained {
            fix: fix.into(),
            clock: true,
        }
    }
}

/// S3's documented limit on request time skew.
pub const S3_SKEW: (Duration, &str) = (
    Duration::from_secs(15 * 60),
    "S3: \"Authorization will fail if this timestamp is more than 15 minutes away from the clock on Amazon S3 servers\" (docs.amazonwebservices.com/AmazonS3/latest/dev/SOAPAuthentication.html; S3 error RequestTimeTooSkewed carries MaxAllowedSkewMilliseconds 900000)",
);

/// Azure Storage's documented limit on request age.
pub const AZURE_STORAGE_SKEW: (Duration, &str) = (
    Duration::from_secs(15 * 60),
    "Azure Storage: \"The storage services ensure that a request is no older than 15 minutes by the time it reaches the service\" (learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key)",
);
