//! Opening services from URLs and profiles, for the providers compiled in.

#[cfg(feature = "local")]
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nimbus_core::config::{default_config_path, ConfigFile, Profile, ProfileResolver, ProviderSchema, StorageUrl};
use nimbus_core::layers::{Layered, Retry, Trace};
use nimbus_core::{Compute, Error, NetworkService, Result, Storage};

/// The configuration schemas of every provider compiled in.
#[allow(clippy::vec_init_then_push)] // one cfg-gated push per provider feature
pub fn schemas() -> Vec<ProviderSchema> {
    #[allow(unused_mut)]
    let mut v = Vec::new();
    #[cfg(feature = "local")]
    v.push(nimbus_local::config::SCHEMA);
    #[cfg(any(feature = "aws-storage", feature = "aws-compute"))]
    v.push(nimbus_aws::config::SCHEMA);
    #[cfg(any(feature = "azure-storage", feature = "azure-compute"))]
    v.push(nimbus_azure::config::SCHEMA);
    #[cfg(any(feature = "gcp-storage", feature = "gcp-compute"))]
    v.push(nimbus_gcp::config::SCHEMA);
    v
}

/// Wraps storage in the standard layers: tracing outside, retry (4 attempts, jittered
/// backoff) inside.
pub fn with_standard_layers(s: Arc<dyn Storage>) -> Arc<dyn Storage> {
    let retry = Layered::new(s, Retry::new(4, Duration::from_millis(100), Duration::from_secs(5)));
    Arc::new(Layered::new(Arc::new(retry) as Arc<dyn Storage>, Trace))
}

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

/// Opens the store a URL names. `file:///ROOT/BUCKET/KEY` finds ROOT by its `.nimbus`
/// marker (or `?root=`); `memory://BUCKET/KEY` is one store per process.
pub async fn open_storage_url(url: &str) -> Result<OpenedUrl> {
    let u = StorageUrl::parse(url)?;
    match u.scheme.as_str() {
        #[cfg(feature = "local")]
        "file" => {
            // URL options are the provider's storage keys (aliases included).
            let mut settings = url_settings(&u, nimbus_local::config::SCHEMA.storage)?;
            let (root, rest) = match settings.get("root") {
                Some(r) => {
                    let root = PathBuf::from(r);
                    let rest = Path::new(&u.path)
                        .strip_prefix(&root)
                        .map_err(|_| Error::invalid(format!("path {} is not under root {}", u.path, root.display())))?
                        .to_string_lossy()
                        .into_owned();
                    (root, rest)
                }
                None => nimbus_local::storage::find_root(Path::new(&u.path))?,
            };
            let (bucket, key) = split_bucket(&rest)?;
            settings.set("root", root.to_string_lossy(), "url");
            Ok(OpenedUrl {
                storage: nimbus_local::config::storage_from_settings(&settings)?,
                bucket,
                key,
            })
        }
        #[cfg(feature = "local")]
        "memory" => {
            check_options(&u, &[])?;
            static MEMORY: std::sync::OnceLock<Arc<dyn Storage>> = std::sync::OnceLock::new();
            let s = MEMORY
                .get_or_init(|| nimbus_local::open_memory(Default::default()) as Arc<dyn Storage>)
                .clone();
            Ok(OpenedUrl {
                storage: s,
                bucket: u.bucket,
                key: u.key,
            })
        }
        #[cfg(feature = "aws-storage")]
        "s3" => {
            // URL options are the aws provider's storage keys (aliases included); the
            // standard AWS chain (AWS_REGION, AWS_ENDPOINT_URL, credentials, …) fills the rest.
            let settings = url_settings(&u, nimbus_aws::config::SCHEMA.storage)?;
            let cfg = nimbus_aws::AwsConfig::from_settings(&settings)?;
            Ok(OpenedUrl {
                storage: Arc::new(nimbus_aws::S3Storage::connect(&cfg).await?),
                bucket: u.bucket,
                key: u.key,
            })
        }
        #[cfg(feature = "azure-storage")]
        "az" | "azure" => {
            // URL options are the azure provider's storage keys; AZURE_STORAGE_CONNECTION_STRING,
            // AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN fill the rest.
            let settings = url_settings(&u, nimbus_azure::config::SCHEMA.storage)?;
            let cfg = nimbus_azure::AzureStorageConfig::from_settings(&settings)?;
            Ok(OpenedUrl {
                storage: Arc::new(nimbus_azure::AzureBlobStorage::connect(&cfg)?),
                bucket: u.bucket,
                key: u.key,
            })
        }
        #[cfg(feature = "gcp-storage")]
        "gs" => {
            // URL options are the gcp provider's storage keys; STORAGE_EMULATOR_HOST,
            // GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS fill the rest.
            let settings = url_settings(&u, nimbus_gcp::config::SCHEMA.storage)?;
            let cfg = nimbus_gcp::GcsConfig::from_settings(&settings)?;
            Ok(OpenedUrl {
                storage: Arc::new(nimbus_gcp::GcsStorage::connect(&cfg).await?),
                bucket: u.bucket,
                key: u.key,
            })
        }
        other => Err(Error::invalid(format!(
            "no provider for `{other}://` in this build: {}",
            match other {
                "s3" => "enable the `aws` feature",
                "gs" => "enable the `gcp` feature",
                "az" | "azure" => "enable the `azure` feature",
                "file" | "memory" => "enable the `local` feature",
                _ => "schemes known: file, memory (local); s3 (aws); gs (gcp); az (azure)",
            }
        ))),
    }
}

/// A URL's options as settings of the provider's storage keys (aliases accepted); an
/// unknown option is `InvalidInput` with a did-you-mean.
#[allow(dead_code)] // used by whichever providers are compiled in
fn url_settings(u: &StorageUrl, keys: &[nimbus_core::config::KeyDef]) -> Result<nimbus_core::config::Settings> {
    let mut settings = nimbus_core::config::Settings::default();
    for (k, v) in &u.options {
        match keys.iter().find(|d| d.matches(k)) {
            Some(d) => {
                d.kind
                    .check(v)
                    .map_err(|why| Error::invalid(format!("URL option `{k}`: {why}")))?;
                settings.set(d.name, v, "url");
            }
            None => check_options(u, &keys.iter().map(|d| d.name).collect::<Vec<_>>())?,
        }
    }
    Ok(settings)
}

#[allow(dead_code)] // used by whichever providers are compiled in
fn check_options(u: &StorageUrl, known: &[&str]) -> Result<()> {
    for k in u.options.keys() {
        if !known.contains(&k.as_str()) {
            let hint = nimbus_core::config::suggest::did_you_mean(k, known.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "; known: {}",
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    )
                });
            return Err(Error::invalid(format!(
                "unknown option `{k}` for {}:// URLs{hint}",
                u.scheme
            )));
        }
    }
    Ok(())
}

#[cfg_attr(not(feature = "local"), allow(dead_code))]
fn split_bucket(rest: &str) -> Result<(String, String)> {
    let rest = rest.trim_start_matches('/');
    let (b, k) = rest.split_once('/').unwrap_or((rest, ""));
    if b.is_empty() {
        return Err(Error::invalid("the URL names no bucket below the store root"));
    }
    Ok((b.to_string(), k.to_string()))
}

/// The services of one resolved profile, opened lazily.
#[derive(Debug, Clone)]
pub struct Clouds {
    /// The resolved profile (secrets stay redacted in its `Debug`).
    pub profile: Profile,
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
        Ok(Clouds {
            profile: r.resolve(name)?,
        })
    }

    /// From an already-resolved profile.
    pub fn from_resolved(profile: Profile) -> Self {
        Clouds { profile }
    }

    /// Opens storage.
    pub async fn storage(&self) -> Result<Arc<dyn Storage>> {
        let c = &self.profile.storage;
        match c.provider.as_str() {
            #[cfg(feature = "local")]
            "local" => nimbus_local::config::storage_from_settings(&c.settings),
            #[cfg(feature = "aws-storage")]
            "aws" => Ok(Arc::new(
                nimbus_aws::S3Storage::connect(&nimbus_aws::AwsConfig::from_settings(&c.settings)?).await?,
            )),
            #[cfg(feature = "azure-storage")]
            "azure" => Ok(Arc::new(nimbus_azure::AzureBlobStorage::connect(
                &nimbus_azure::AzureStorageConfig::from_settings(&c.settings)?,
            )?)),
            #[cfg(feature = "gcp-storage")]
            "gcp" => Ok(Arc::new(
                nimbus_gcp::GcsStorage::connect(&nimbus_gcp::GcsConfig::from_settings(&c.settings)?).await?,
            )),
            p => Err(no_provider(p)),
        }
    }

    /// Opens compute.
    pub async fn compute(&self) -> Result<Arc<dyn Compute>> {
        let c = &self.profile.compute;
        match c.provider.as_str() {
            #[cfg(feature = "local")]
            "local" => nimbus_local::config::compute_from_settings(&c.settings),
            #[cfg(feature = "aws-compute")]
            "aws" => Ok(Arc::new(
                nimbus_aws::Ec2Compute::connect(&nimbus_aws::AwsConfig::from_settings_for(
                    &c.settings,
                    nimbus_aws::Service::Ec2,
                )?)
                .await,
            )),
            #[cfg(feature = "azure-compute")]
            "azure" => Ok(Arc::new(nimbus_azure::AzureCompute::connect(
                &nimbus_azure::ArmConfig::from_settings(&c.settings)?,
            )?)),
            #[cfg(feature = "gcp-compute")]
            "gcp" => Ok(Arc::new(nimbus_gcp::GceCompute::connect(
                &nimbus_gcp::GceConfig::from_settings(&c.settings)?,
            )?)),
            p => Err(no_provider(p)),
        }
    }

    /// Opens network.
    pub async fn network(&self) -> Result<Arc<dyn NetworkService>> {
        let c = &self.profile.network;
        match c.provider.as_str() {
            #[cfg(feature = "local")]
            "local" => nimbus_local::config::network_from_settings(&c.settings),
            #[cfg(feature = "aws-compute")]
            "aws" => Ok(Arc::new(
                nimbus_aws::VpcNetwork::connect(&nimbus_aws::AwsConfig::from_settings_for(
                    &c.settings,
                    nimbus_aws::Service::Ec2,
                )?)
                .await,
            )),
            #[cfg(feature = "azure-compute")]
            "azure" => Ok(Arc::new(nimbus_azure::AzureNetwork::connect(
                &nimbus_azure::ArmConfig::from_settings(&c.settings)?,
            )?)),
            #[cfg(feature = "gcp-compute")]
            "gcp" => Ok(Arc::new(nimbus_gcp::GceNetwork::connect(
                &nimbus_gcp::GceConfig::from_settings(&c.settings)?,
            )?)),
            p => Err(no_provider(p)),
        }
    }
}

fn no_provider(p: &str) -> Error {
    Error::invalid(format!(
        "provider `{p}` is not compiled into this build; enable its cargo feature"
    ))
}

#[cfg(all(test, feature = "local"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_url_finds_root_by_marker_and_rejects_unknown_options() {
        let dir = std::env::temp_dir().join(format!("nimbus-url-{}", std::process::id()));
        nimbus_local::open_fs(&dir, Default::default()).unwrap();
        let o = open_storage_url(&format!("file://{}/bkt/a/b.txt", dir.display()))
            .await
            .unwrap();
        assert_eq!((o.bucket.as_str(), o.key.as_str()), ("bkt", "a/b.txt"));
        let e = open_storage_url(&format!("file://{}/bkt/k?rot=/x", dir.display()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("did you mean `root`"), "{e}");
        let e = open_storage_url("file:///definitely/not/a/store/bkt/k")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no local store root"), "{e}");
        #[cfg(not(feature = "aws-storage"))]
        {
            let e = open_storage_url("s3://bucket/key").await.unwrap_err();
            assert!(e.to_string().contains("enable the `aws` feature"), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
