//! Opening services from URLs and profiles through the [registry](crate::registry()), with
//! the safe defaults (`layers::ServiceDefaults`: contract, tracing, retry, timeout).

use std::sync::Arc;

use nimbus_core::config::{default_config_path, ConfigFile, Profile, ProfileResolver, ProviderSchema, StorageUrl};
use nimbus_core::layers::ServiceDefaults;
use nimbus_core::provider::OpenedUrl;
use nimbus_core::{Compute, NetworkService, Result, Storage};
use tokio::sync::OnceCell;

use crate::registry::registry;

/// The configuration schemas of every provider compiled in.
pub fn schemas() -> Vec<ProviderSchema> {
    registry().schemas()
}

/// Wraps storage in the standard stack with the default settings (for a store opened some
/// other way; services opened by [`Clouds`] and [`open_storage_url`] already carry it).
pub fn with_standard_layers(s: Arc<dyn Storage>) -> Arc<dyn Storage> {
    ServiceDefaults::STORAGE.storage(s)
}

/// Opens the store a URL names, with the safe defaults (URL options may set the common keys
/// such as `retry_attempts` and `timeout`). `file:///ROOT/BUCKET/KEY` finds ROOT by its
/// `.nimbus` marker (or `?root=`); `memory://BUCKET/KEY` is one store per process.
pub async fn open_storage_url(url: &str) -> Result<OpenedUrl> {
    let u = StorageUrl::parse(url)?;
    let defaults = ServiceDefaults::from_settings("storage", &nimbus_core::provider::url_common_settings(&u)?)?;
    let mut opened = open_storage_url_raw_parsed(u).await?;
    opened.storage = defaults.storage(opened.storage);
    Ok(opened)
}

/// Opens the store a URL names without any layer: the bare adapter (tests, benchmarks).
pub async fn open_storage_url_raw(url: &str) -> Result<OpenedUrl> {
    open_storage_url_raw_parsed(StorageUrl::parse(url)?).await
}

async fn open_storage_url_raw_parsed(u: StorageUrl) -> Result<OpenedUrl> {
    registry().for_scheme(&u.scheme)?.open_url(u).await
}

/// The services of one resolved profile, opened on first use and then shared (clones of a
/// `Clouds` share them too). Every service carries the safe defaults; [`Clouds::raw`] opens
/// the bare adapters.
#[derive(Debug, Clone)]
pub struct Clouds {
    /// The resolved profile (secrets stay redacted in its `Debug`).
    pub profile: Profile,
    opened: Arc<Opened>,
}

#[derive(Debug, Default)]
struct Opened {
    storage: OnceCell<Arc<dyn Storage>>,
    compute: OnceCell<Arc<dyn Compute>>,
    network: OnceCell<Arc<dyn NetworkService>>,
}

impl Clouds {
    /// Resolves a profile from `NIMBUS_CONFIG` or `./nimbus.toml` (if present), the
    /// environment, and provider defaults. `name` overrides `NIMBUS_PROFILE`.
    pub fn from_profile(name: Option<&str>) -> Result<Self> {
        let env: std::collections::BTreeMap<String, String> =
            std::env::vars().filter(|(k, _)| k.starts_with("NIMBUS_")).collect();
        let mut r = ProfileResolver::new(schemas()).env(env.clone());
        if let Some(p) = default_config_path(&env) {
            r = r.file(ConfigFile::load(&p)?);
        }
        Ok(Self::from_resolved(r.resolve(name)?))
    }

    /// From an already-resolved profile.
    pub fn from_resolved(profile: Profile) -> Self {
        Clouds {
            profile,
            opened: Arc::default(),
        }
    }

    /// Storage, with the safe defaults (opened once).
    pub async fn storage(&self) -> Result<Arc<dyn Storage>> {
        let c = &self.profile.storage;
        once(&self.opened.storage, || async {
            registry()
                .get(&c.provider)?
                .storage_with_defaults(c.settings.clone())
                .await
        })
        .await
    }

    /// Compute, with the safe defaults (opened once).
    pub async fn compute(&self) -> Result<Arc<dyn Compute>> {
        let c = &self.profile.compute;
        once(&self.opened.compute, || async {
            registry()
                .get(&c.provider)?
                .compute_with_defaults(c.settings.clone())
                .await
        })
        .await
    }

    /// Network, with the safe defaults (opened once).
    pub async fn network(&self) -> Result<Arc<dyn NetworkService>> {
        let c = &self.profile.network;
        once(&self.opened.network, || async {
            registry()
                .get(&c.provider)?
                .network_with_defaults(c.settings.clone())
                .await
        })
        .await
    }

    /// The bare adapters, without contract, tracing, retry or timeout: opened anew on each
    /// call. For tests and for callers that bring their own layers.
    pub fn raw(&self) -> RawClouds<'_> {
        RawClouds(&self.profile)
    }
}

/// The service in `cell`, opened by `open` the first time.
async fn once<T: ?Sized, F, Fut>(cell: &OnceCell<Arc<T>>, open: F) -> Result<Arc<T>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Arc<T>>>,
{
    cell.get_or_try_init(open).await.cloned()
}

/// The bare adapters of a profile ([`Clouds::raw`]).
#[derive(Debug, Clone, Copy)]
pub struct RawClouds<'a>(&'a Profile);

impl RawClouds<'_> {
    /// Opens storage.
    pub async fn storage(&self) -> Result<Arc<dyn Storage>> {
        let c = &self.0.storage;
        registry().get(&c.provider)?.open_storage(c.settings.clone()).await
    }

    /// Opens compute.
    pub async fn compute(&self) -> Result<Arc<dyn Compute>> {
        let c = &self.0.compute;
        registry().get(&c.provider)?.open_compute(c.settings.clone()).await
    }

    /// Opens network.
    pub async fn network(&self) -> Result<Arc<dyn NetworkService>> {
        let c = &self.0.network;
        registry().get(&c.provider)?.open_network(c.settings.clone()).await
    }
}

#[cfg(all(test, feature = "local"))]
mod tests;
