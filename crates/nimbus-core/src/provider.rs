//! Providers as plug-ins: each adapter crate exports one [`Provider`] descriptor, and the
//! facade, the CLI and the conformance suite look providers up in a [`Registry`] instead of
//! matching on their names.
//!
//! Why descriptors and not a `match` per caller: before this, adding a cloud touched about
//! ten places outside its crate (four feature-gated `match`es in the facade, an arm in the
//! CLI's conformance command, a feature and a module in the suite). A descriptor holds
//! everything those places needed: the profile name, the configuration schema, the URL
//! schemes served, how each service opens from settings, and the emulators the project
//! proves it on. The facade lists the descriptors of the crates compiled in (one line per
//! crate); nothing else names a provider. `docs/design/0014-contract-and-registry.md` has the
//! alternatives rejected (a global `inventory`-style registry, a trait object per provider).

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::config::{suggest, KeyDef, ProviderSchema, Settings, StorageUrl};
use crate::diag::Diag;
use crate::layers::ServiceDefaults;
use crate::{Compute, Error, NetworkService, Result, Storage};

/// Opens one service from resolved settings (the bare adapter; the caller adds the layers).
pub type Opener<T> = fn(Settings) -> BoxFuture<'static, Result<Arc<T>>>;

/// Makes a client for a store's presigned URLs (`None` when the store is not one it knows).
pub type PresignClientFor = fn(&Arc<dyn Storage>) -> Option<Arc<dyn PresignClient>>;

/// Opens the store a URL names, where the provider needs more than its storage opener (the
/// embedded store finds its root from the path).
pub type UrlOpener = fn(StorageUrl) -> BoxFuture<'static, Result<OpenedUrl>>;

/// A storage URL opened: the store, and the bucket and key it names.
#[derive(Debug, Clone)]
pub struct OpenedUrl {
    /// The store.
    pub storage: Arc<dyn Storage>,
    /// Bucket.
    pub bucket: String,
    /// Key (empty when the URL names only a bucket; may be a prefix ending in `/`).
    pub key: String,
}

/// Fetches presigned URLs the way a browser or `curl` holding the URL would (the
/// conformance suite's presign cases use one). HTTP(S) URLs need no provider help; a provider
/// whose URLs are not HTTP (the embedded store's `nimbus-local://`) supplies its own through
/// [`Provider::presign_client`].
pub trait PresignClient: Send + Sync {
    /// GETs the URL.
    fn get(&self, url: &str) -> BoxFuture<'_, Result<bytes::Bytes>>;
    /// PUTs the body to the URL.
    fn put(&self, url: &str, body: bytes::Bytes) -> BoxFuture<'_, Result<()>>;
}

/// An emulator (or other stand-in) the project runs a provider's conformance on, with the
/// differences registered for it (lists in `conformance/differences.toml`).
#[derive(Debug, Clone, Copy)]
pub struct Emulator {
    /// Name given to `nimbus conformance --emulator` (`moto`, `azurite`, …).
    pub name: &'static str,
    /// What the report says proved the rows (`emulator: moto 5.2.5`).
    pub proof: &'static str,
    /// The services it emulates (`storage`, `compute`, `network`).
    pub services: &'static [&'static str],
    /// The difference lists declared when running on it.
    pub differences: &'static [&'static str],
    /// The provider name its report carries (its column in the matrix): `aws` for moto,
    /// `s3-compatible` for s3s-fs.
    pub report_as: &'static str,
    /// Settings applied to every service on it; `{tmp}` becomes a fresh temporary directory
    /// (the embedded stand-ins keep their state there).
    pub settings: &'static [(&'static str, &'static str)],
    /// First poll interval of instance waits, in milliseconds (fast simulators poll fast).
    pub poll_ms: u64,
}

/// Everything the facade, the CLI and the suite need to know about one provider.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    /// Name as written in profiles (`provider = "aws"`) and on the command line.
    pub name: &'static str,
    /// One line for `--help` and error messages.
    pub summary: &'static str,
    /// Configuration keys per service.
    pub schema: ProviderSchema,
    /// URL schemes served (`s3`, `gs`, …).
    pub url_schemes: &'static [&'static str],
    /// Opens storage, if this build of the crate has it.
    pub storage: Option<Opener<dyn Storage>>,
    /// Opens compute, if this build of the crate has it.
    pub compute: Option<Opener<dyn Compute>>,
    /// Opens network, if this build of the crate has it.
    pub network: Option<Opener<dyn NetworkService>>,
    /// Opens a storage URL of one of `url_schemes` when the default does not fit. The default
    /// ([`Provider::open_url`]): the URL's options as storage settings, the storage opener,
    /// the URL's bucket and key.
    pub url_opener: Option<UrlOpener>,
    /// Emulators the project proves this provider on.
    pub emulators: &'static [Emulator],
    /// What a live run (no emulator) of each service says proved it.
    pub live_proof: &'static str,
    /// Whether the provider-kind differences registered for this provider apply to a live
    /// run with these (storage) settings; e.g. an S3 difference seen only in us-east-1.
    pub live_differences_apply: fn(&Settings) -> bool,
    /// The emulator a conformance run uses when none is named (the embedded provider's own
    /// stand-in); `None`: a run without `--emulator` is live.
    pub default_emulator: Option<&'static str>,
    /// A client for this provider's presigned URLs, when they are not plain HTTP(S).
    pub presign_client: Option<PresignClientFor>,
    /// What `nimbus doctor` probes: the endpoints a profile implies and the HTTP stack's
    /// treatment of proxy and CA variables; `None`: doctor checks configuration only.
    pub diag: Option<&'static Diag>,
}

/// For [`Provider::live_differences_apply`]: every live run shows them.
pub fn always(_: &Settings) -> bool {
    true
}

impl Provider {
    /// Opens `service` from settings; the typed error names the cargo feature when the crate
    /// was built without it.
    pub async fn open_storage(&self, settings: Settings) -> Result<Arc<dyn Storage>> {
        match self.storage {
            Some(open) => open(settings).await,
            None => Err(self.missing("storage")),
        }
    }

    /// Opens compute.
    pub async fn open_compute(&self, settings: Settings) -> Result<Arc<dyn Compute>> {
        match self.compute {
            Some(open) => open(settings).await,
            None => Err(self.missing("compute")),
        }
    }

    /// Opens network.
    pub async fn open_network(&self, settings: Settings) -> Result<Arc<dyn NetworkService>> {
        match self.network {
            Some(open) => open(settings).await,
            None => Err(self.missing("network")),
        }
    }

    /// Storage with the safe defaults its settings ask for (`layers::ServiceDefaults`).
    pub async fn storage_with_defaults(&self, settings: Settings) -> Result<Arc<dyn Storage>> {
        let d = ServiceDefaults::from_settings("storage", &settings)?;
        Ok(d.storage(self.open_storage(settings).await?))
    }

    /// Compute with the safe defaults.
    pub async fn compute_with_defaults(&self, settings: Settings) -> Result<Arc<dyn Compute>> {
        let d = ServiceDefaults::from_settings("compute", &settings)?;
        Ok(d.compute(self.open_compute(settings).await?))
    }

    /// Network with the safe defaults.
    pub async fn network_with_defaults(&self, settings: Settings) -> Result<Arc<dyn NetworkService>> {
        let d = ServiceDefaults::from_settings("network", &settings)?;
        Ok(d.network(self.open_network(settings).await?))
    }

    /// Opens the store a URL of one of [`Provider::url_schemes`] names (the bare adapter).
    pub async fn open_url(&self, u: StorageUrl) -> Result<OpenedUrl> {
        if let Some(open) = self.url_opener {
            return open(u).await;
        }
        let settings = url_settings(&u, self.schema.storage)?;
        Ok(OpenedUrl {
            storage: self.open_storage(settings).await?,
            bucket: u.bucket,
            key: u.key,
        })
    }

    /// Whether this build can open URLs of `scheme`.
    fn serves(&self, scheme: &str) -> bool {
        self.url_schemes.contains(&scheme) && (self.url_opener.is_some() || self.storage.is_some())
    }

    /// The services this build can open.
    pub fn services(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.storage.is_some() {
            v.push("storage");
        }
        if self.compute.is_some() {
            v.push("compute");
        }
        if self.network.is_some() {
            v.push("network");
        }
        v
    }

    /// The emulator called `name`.
    pub fn emulator(&self, name: &str) -> Result<&'static Emulator> {
        self.emulators.iter().find(|e| e.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.emulators.iter().map(|e| e.name).collect();
            Error::invalid(format!(
                "unknown emulator `{name}` for provider `{}`{}",
                self.name,
                hint(name, &known)
            ))
        })
    }

    fn missing(&self, service: &str) -> Error {
        Error::invalid(format!(
            "provider `{}` has no {service} service in this build: enable the cargo feature `{}-{service}` (or `{}`)",
            self.name, self.name, self.name
        ))
    }
}

fn hint(name: &str, known: &[&str]) -> String {
    match suggest::did_you_mean(name, known.iter().copied()) {
        Some(s) => format!("; did you mean `{s}`?"),
        None if known.is_empty() => "; none are known".into(),
        None => format!("; known: {}", known.join(", ")),
    }
}

/// The providers compiled into a build.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    providers: Vec<Provider>,
}

impl Registry {
    /// A registry of these providers.
    pub fn new(providers: Vec<Provider>) -> Self {
        Registry { providers }
    }

    /// Every provider, in registration order.
    pub fn all(&self) -> &[Provider] {
        &self.providers
    }

    /// The configuration schemas of every provider.
    pub fn schemas(&self) -> Vec<ProviderSchema> {
        self.providers.iter().map(|p| p.schema).collect()
    }

    /// The provider called `name`; `InvalidInput` with a did-you-mean otherwise.
    pub fn get(&self, name: &str) -> Result<&Provider> {
        self.providers.iter().find(|p| p.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.providers.iter().map(|p| p.name).collect();
            Error::invalid(format!(
                "provider `{name}` is not compiled into this build{}",
                hint(name, &known)
            ))
        })
    }

    /// The provider serving URL scheme `scheme`.
    pub fn for_scheme(&self, scheme: &str) -> Result<&Provider> {
        self.providers.iter().find(|p| p.serves(scheme)).ok_or_else(|| {
            let known: Vec<String> = self
                .providers
                .iter()
                .filter(|p| p.url_schemes.iter().any(|s| p.serves(s)))
                .map(|p| format!("{} ({})", p.url_schemes.join(", "), p.name))
                .collect();
            Error::invalid(format!(
                "no provider for `{scheme}://` in this build (schemes known: {}); enable the provider's cargo feature",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join("; ")
                }
            ))
        })
    }
}

/// A URL's options as settings of the provider's storage keys (aliases and the common keys
/// accepted); an unknown option is `InvalidInput` with a did-you-mean.
pub fn url_settings(u: &StorageUrl, keys: &[KeyDef]) -> Result<Settings> {
    options_as_settings(u, keys, true)
}

/// The common keys (`config::COMMON_KEYS`: retry, timeouts) among a URL's options, for the
/// layers; the provider's opener checks the rest.
pub fn url_common_settings(u: &StorageUrl) -> Result<Settings> {
    options_as_settings(u, &[], false)
}

/// The URL's options that are `keys` or common keys, checked by kind; other options are
/// `InvalidInput` when `strict`, else left out.
fn options_as_settings(u: &StorageUrl, keys: &[KeyDef], strict: bool) -> Result<Settings> {
    let keys: Vec<KeyDef> = keys.iter().chain(crate::config::COMMON_KEYS).copied().collect();
    let mut settings = Settings::default();
    for (k, v) in &u.options {
        let Some(d) = keys.iter().find(|d| d.matches(k)) else {
            if !strict {
                continue;
            }
            let names: Vec<&str> = keys.iter().map(|d| d.name).collect();
            return Err(Error::invalid(format!(
                "unknown option `{k}` for {}:// URLs{}",
                u.scheme,
                hint(k, &names)
            )));
        };
        d.kind
            .check(v)
            .map_err(|why| Error::invalid(format!("URL option `{k}`: {why}")))?;
        settings.set(d.name, v, "url");
    }
    Ok(settings)
}
