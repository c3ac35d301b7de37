//! `object_store`'s own published test functions (its `integration` feature) against every
//! storage provider, through the bridge, every function a named test:
//! `cargo nextest run -p nimbus-object-store -E 'test(moto::)'`.
//!
//! Each target is opened the way a product team opens it: a Nimbus profile (TOML), resolved
//! and opened by the facade with the safe defaults. The suite imports no adapter. Each function
//! runs under its own key prefix of one bucket per target, so functions that expect an empty
//! store get one.
//!
//! A function that fails on a target must be a registered difference in
//! `crates/nimbus-object-store/differences.toml` (with its vendor source); a registered one
//! that passes fails as stale. Emulator targets are skipped when their endpoint variable is
//! unset, unless `NIMBUS_REQUIRE_EMULATORS=1` (as in `scripts/test`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use nimbus::config::{ConfigFile, ProfileResolver};
use nimbus::object_store::object_store::integration as it;
use nimbus::object_store::object_store::{DynObjectStore, ObjectStore};
use nimbus::object_store::NimbusStore;
use serde::Deserialize;
use tokio::sync::OnceCell;

type Fut = Pin<Box<dyn Future<Output = ()> + Send>>;
type Function = fn(Arc<NimbusStore>) -> Fut;
/// A target's storage and bucket, opened on first use (`None`: not available here).
type Opened = Option<(Arc<dyn nimbus::Storage>, String)>;

/// Every public test function of `object_store::integration` that a store without
/// provider-specific wiring can run (`signing`, `tagging` and `response_extensions` need
/// the store's own HTTP client and are not part of it).
fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("put_get_delete_list", |s| {
            Box::pin(async move { it::put_get_delete_list(&*s as &DynObjectStore).await })
        }),
        ("put_get_attributes", |s| {
            Box::pin(async move { it::put_get_attributes(&*s).await })
        }),
        ("get_opts", |s| Box::pin(async move { it::get_opts(&*s).await })),
        ("put_opts", |s| {
            Box::pin(async move {
                let update = s.storage().capabilities().put_if_version;
                it::put_opts(&*s, update).await
            })
        }),
        ("stream_get", |s| {
            Box::pin(async move { it::stream_get(&*s as &DynObjectStore).await })
        }),
        ("list_uses_directories_correctly", |s| {
            Box::pin(async move { it::list_uses_directories_correctly(&*s as &DynObjectStore).await })
        }),
        ("list_with_delimiter", |s| {
            Box::pin(async move { it::list_with_delimiter(&*s as &DynObjectStore).await })
        }),
        ("get_nonexistent_object", |s| {
            Box::pin(async move {
                let err = it::get_nonexistent_object(&*s as &DynObjectStore, None)
                    .await
                    .unwrap_err();
                assert!(
                    matches!(err, nimbus::object_store::object_store::Error::NotFound { .. }),
                    "{err}"
                );
            })
        }),
        ("rename_and_copy", |s| {
            Box::pin(async move { it::rename_and_copy(&*s as &DynObjectStore).await })
        }),
        ("copy_if_not_exists", |s| {
            Box::pin(async move { it::copy_if_not_exists(&*s as &DynObjectStore).await })
        }),
        ("copy_rename_nonexistent_object", |s| {
            Box::pin(async move { it::copy_rename_nonexistent_object(&*s as &DynObjectStore).await })
        }),
        ("multipart", |s| Box::pin(async move { it::multipart(&*s, &*s).await })),
        ("multipart_with_opts", |s| {
            Box::pin(async move { it::multipart_with_opts(&*s, &*s).await })
        }),
        ("multipart_put_part_out_of_order", |s| {
            Box::pin(async move { it::multipart_put_part_out_of_order(&*s, &*s).await })
        }),
        ("multipart_race_condition", |s| {
            Box::pin(async move { it::multipart_race_condition(&*s, true).await })
        }),
        ("multipart_out_of_order", |s| {
            Box::pin(async move { it::multipart_out_of_order(&*s).await })
        }),
        ("list_paginated", |s| {
            Box::pin(async move { it::list_paginated(&*s, &*s).await })
        }),
        ("list_with_offset_exclusivity", |s| {
            Box::pin(async move { it::list_with_offset_exclusivity(&*s as &DynObjectStore).await })
        }),
    ]
}

/// A provider to run against: its profile (TOML), what proves it, and whether it is here.
struct Target {
    name: &'static str,
    proof: &'static str,
    profile: fn() -> Option<String>,
}

fn env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!(
                "{var} is not set but NIMBUS_REQUIRE_EMULATORS=1: start it with scripts/emulators or scripts/openstack"
            )
        }
        Err(_) => None,
    }
}

fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a scratch directory"))
}

fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "local-fs",
            proof: "embedded (filesystem store)",
            profile: || {
                let root = scratch().path().join("fs");
                Some(format!(
                    "provider = \"local\"\n[storage]\nroot = {:?}\n",
                    root.display().to_string()
                ))
            },
        },
        Target {
            name: "local-memory",
            proof: "embedded (memory store)",
            profile: || Some("provider = \"local\"\n[storage]\nmemory = true\n".into()),
        },
        Target {
            name: "moto",
            proof: "emulator: moto 5.2.5 (S3)",
            profile: || {
                let ep = env("NIMBUS_TEST_MOTO_ENDPOINT")?;
                Some(s3_profile(&ep, "testing", "testing", "us-east-1", ""))
            },
        },
        Target {
            name: "s3s-fs",
            proof: "emulator: s3s-fs 0.14.1 (SigV4-strict S3)",
            profile: || {
                let ep = env("NIMBUS_TEST_S3S_ENDPOINT")?;
                Some(s3_profile(&ep, "AKNIMBUSTEST", "SKNIMBUSTEST", "us-east-1", ""))
            },
        },
        Target {
            name: "azurite",
            proof: "emulator: Azurite 3.35.0 (Blob)",
            profile: || {
                let ep = env("NIMBUS_TEST_AZURITE_ENDPOINT")?;
                Some(format!(
                    "provider = \"azure\"\n[storage]\nconnection_string = \"UseDevelopmentStorage=true;DevelopmentStorageProxyUri={ep}\"\n"
                ))
            },
        },
        Target {
            name: "fake-gcs-server",
            proof: "emulator: fake-gcs-server 1.54.0 (Cloud Storage JSON API)",
            profile: || {
                let ep = env("NIMBUS_TEST_GCS_ENDPOINT")?;
                Some(format!(
                    "provider = \"gcp\"\n[storage]\nendpoint = \"{ep}\"\nanonymous = true\nproject = \"test-project\"\n"
                ))
            },
        },
        Target {
            name: "swift",
            proof: "real OpenStack Swift 2.30.1 (Zed, scripts/openstack), Swift API",
            profile: || {
                let v = |n: &str| env(&format!("NIMBUS_TEST_OPENSTACK_{n}"));
                Some(format!(
                    "provider = \"openstack\"\n[storage]\nauth_url = \"{}\"\nregion = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\nproject_name = \"{}\"\nuser_domain_name = \"{d}\"\nproject_domain_name = \"{d}\"\n",
                    v("AUTH_URL")?,
                    v("REGION")?,
                    v("USERNAME")?,
                    v("PASSWORD")?,
                    v("PROJECT_NAME")?,
                    d = v("DOMAIN_NAME")?,
                ))
            },
        },
        Target {
            name: "swift-s3api",
            proof: "real OpenStack Swift 2.30.1 (Zed), s3api middleware, preset `swift`",
            profile: || {
                let v = |n: &str| env(&format!("NIMBUS_TEST_OPENSTACK_S3_{n}"));
                let extra = "preset = \"swift\"\nforce_path_style = true\n";
                Some(s3_profile(
                    &v("ENDPOINT")?,
                    &v("ACCESS_KEY")?,
                    &v("SECRET_KEY")?,
                    &v("REGION")?,
                    extra,
                ))
            },
        },
    ]
}

fn s3_profile(endpoint: &str, key: &str, secret: &str, region: &str, extra: &str) -> String {
    format!(
        "provider = \"aws\"\n[storage]\nendpoint = \"{endpoint}\"\nregion = \"{region}\"\naccess_key_id = \"{key}\"\nsecret_access_key = \"{secret}\"\n{extra}"
    )
}

/// A registered difference: a function that fails on a target for a documented reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Difference {
    id: String,
    target: String,
    function: String,
    kind: String,
    description: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registry {
    #[serde(default)]
    difference: Vec<Difference>,
}

fn registry() -> &'static [Difference] {
    static R: OnceLock<Vec<Difference>> = OnceLock::new();
    R.get_or_init(|| {
        let text = include_str!("../differences.toml");
        let r: Registry = toml::from_str(text).expect("differences.toml parses");
        for d in &r.difference {
            assert!(
                functions().iter().any(|(f, _)| *f == d.function),
                "{}: unknown function {}",
                d.id,
                d.function
            );
            assert!(
                targets().iter().any(|t| t.name == d.target),
                "{}: unknown target {}",
                d.id,
                d.target
            );
            assert!(
                ["provider", "emulator", "nimbus"].contains(&d.kind.as_str()),
                "{}: kind",
                d.id
            );
            assert!(
                !d.description.is_empty() && !d.source.is_empty(),
                "{}: description and source",
                d.id
            );
        }
        r.difference
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// Opens the target's storage from its profile and makes its bucket (once per process).
async fn open(t: &Target) -> Opened {
    let profile = (t.profile)()?;
    let file = ConfigFile::parse(&format!("[profiles.{}]\n{}", "bridge", indent(&profile)), t.name)
        .unwrap_or_else(|e| panic!("{}: profile: {e}", t.name));
    let resolved = ProfileResolver::new(nimbus::schemas())
        .file(file)
        .resolve(Some("bridge"))
        .unwrap_or_else(|e| panic!("{}: profile: {e}", t.name));
    let storage = nimbus::Clouds::from_resolved(resolved)
        .storage()
        .await
        .unwrap_or_else(|e| panic!("{}: open: {e}", t.name));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let bucket = format!("nos-{}-{}", std::process::id(), nanos % 1_000_000_000);
    storage
        .create_bucket(&bucket, &Default::default())
        .await
        .unwrap_or_else(|e| panic!("{}: create bucket {bucket}: {e}", t.name));
    Some((storage, bucket))
}

/// `[storage]` tables of a profile body become `[profiles.bridge.storage]`.
fn indent(profile: &str) -> String {
    profile.replace("[storage]", "[profiles.bridge.storage]")
}

fn main() {
    let mut args = Arguments::from_args();
    if args.test_threads.is_none() {
        // Emulators are shared; the functions themselves run several requests at once.
        args.test_threads = Some(1);
    }
    let mut trials = Vec::new();
    for t in targets() {
        let t = Arc::new(t);
        let opened: Arc<OnceCell<Opened>> = Arc::new(OnceCell::new());
        for (n, (name, f)) in functions().into_iter().enumerate() {
            let (t, opened) = (t.clone(), opened.clone());
            trials.push(Trial::test(format!("{}::{name}", t.name), move || {
                let declared = registry().iter().find(|d| d.target == t.name && d.function == name);
                runtime().block_on(async move {
                    let Some((storage, bucket)) = opened.get_or_init(|| open(&t)).await.clone() else {
                        println!("{}: not available here (endpoint variable unset): not run", t.name);
                        return Ok(());
                    };
                    let store = Arc::new(NimbusStore::new(storage, bucket).with_prefix(&format!("f{n:02}-{name}")));
                    // Spawned, so a failed assertion is a panic we can name, not a crash.
                    let outcome = tokio::spawn(f(store.clone())).await;
                    report(&t, name, &outcome, declared);
                    match (outcome, declared) {
                        (Ok(()), None) => Ok(()),
                        (Err(e), Some(d)) if e.is_panic() => {
                            println!("differs, as registered: {} ({})", d.id, d.description);
                            Ok(())
                        }
                        (Ok(()), Some(d)) => Err(Failed::from(format!(
                            "registered difference {} no longer observed: remove it from differences.toml",
                            d.id
                        ))),
                        (Err(e), _) => Err(Failed::from(panic_message(e))),
                    }
                })
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit()
}

fn panic_message(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return e.to_string();
    }
    let p = e.into_panic();
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into())
}

/// One line per run function in `target/object-store/results.tsv` (read by
/// `docs/object-store-bridge.md`'s maintainer): target, function, outcome, proof.
fn report(t: &Target, function: &str, outcome: &Result<(), tokio::task::JoinError>, declared: Option<&Difference>) {
    use std::io::Write;
    let verdict = match (outcome.is_ok(), declared) {
        (true, None) => "pass".to_string(),
        (false, Some(d)) => format!("differs:{}", d.id),
        (true, Some(d)) => format!("stale:{}", d.id),
        (false, None) => "FAIL".to_string(),
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/object-store");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("results.tsv"))
    {
        let _ = writeln!(f, "{}\t{function}\t{verdict}\t{}", t.name, t.proof);
    }
}

#[allow(dead_code)]
fn assert_object_safe(s: NimbusStore) -> Arc<dyn ObjectStore> {
    Arc::new(s)
}
