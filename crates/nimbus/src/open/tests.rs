//! Opening through the registry: URLs, and the safe defaults of every service `Clouds` opens.

use super::*;
use futures::future::join_all;
use nimbus_core::config::ConfigFile;
use nimbus_core::storage::{PutOptions, StorageExt};

#[tokio::test]
async fn file_url_finds_root_by_marker_and_rejects_unknown_options() {
    let dir = tempfile::tempdir().unwrap();
    nimbus_local::open_fs(dir.path(), Default::default()).unwrap();
    let root = dir.path().display();
    let o = open_storage_url(&format!("file://{root}/bkt/a/b.txt")).await.unwrap();
    assert_eq!((o.bucket.as_str(), o.key.as_str()), ("bkt", "a/b.txt"));
    let e = open_storage_url(&format!("file://{root}/bkt/k?rot=/x"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("did you mean `root`"), "{e}");
    // The common keys are URL options too, checked like any other.
    assert!(open_storage_url(&format!("file://{root}/bkt/k?retry_attempts=2"))
        .await
        .is_ok());
    let e = open_storage_url(&format!("file://{root}/bkt/k?timeout=soon"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("timeout"), "{e}");
    let e = open_storage_url("file:///definitely/not/a/store/bkt/k")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no local store root"), "{e}");
    let e = open_storage_url("nope://bucket/key").await.unwrap_err();
    assert!(e.to_string().contains("no provider for `nope://`"), "{e}");
}

/// A profile whose every service fails half of its calls with a transient error (the
/// `local` provider's fault injection, beneath the layers).
fn flaky_profile(dir: &std::path::Path) -> Clouds {
    let text = format!(
        r#"
[profiles.flaky]
provider = "local"
[profiles.flaky.storage]
memory = true
error_rate = 0.5
retry_attempts = 40
retry_base_delay = "1ms"
retry_max_delay = "2ms"
[profiles.flaky.compute]
state_dir = "{d}"
error_rate = 0.5
retry_attempts = 40
retry_base_delay = "1ms"
retry_max_delay = "2ms"
[profiles.flaky.network]
state_dir = "{d}"
error_rate = 0.5
retry_attempts = 40
retry_base_delay = "1ms"
retry_max_delay = "2ms"
"#,
        d = dir.display()
    );
    let file = ConfigFile::parse(&text, "test").unwrap();
    let p = ProfileResolver::new(schemas())
        .file(file)
        .resolve(Some("flaky"))
        .unwrap();
    Clouds::from_resolved(p)
}

#[tokio::test]
async fn every_service_opened_by_clouds_retries_transient_faults() {
    let dir = tempfile::tempdir().unwrap();
    let clouds = flaky_profile(dir.path());
    // The bare adapters fail: with 20 calls at a 50 % fault rate, all succeeding by luck
    // has a chance of one in a million.
    let raw = clouds.raw();
    let raw_compute = raw.compute().await.unwrap();
    let failures = join_all((0..20).map(|_| raw_compute.list_sizes())).await;
    assert!(failures.iter().any(|r| r.is_err()), "no fault was injected");

    // Through `Clouds`, every call succeeds: each fault is retried.
    let storage = clouds.storage().await.unwrap();
    let compute = clouds.compute().await.unwrap();
    let network = clouds.network().await.unwrap();
    for _ in 0..20 {
        compute.list_sizes().await.unwrap();
        compute.list_regions().await.unwrap();
        network.list_networks().await.unwrap();
        storage.list_buckets().await.unwrap();
    }
    // And the opened services are cached, not reopened per call.
    assert!(Arc::ptr_eq(&storage, &clouds.storage().await.unwrap()));
    assert!(Arc::ptr_eq(&compute, &clouds.compute().await.unwrap()));
}

#[tokio::test]
async fn storage_from_clouds_retries_object_calls() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[profiles.s]\nprovider = \"local\"\n[profiles.s.storage]\nroot = \"{}\"\nerror_rate = 0.3\nretry_attempts = 40\nretry_budget = 0\nretry_base_delay = \"1ms\"\nretry_max_delay = \"2ms\"\n",
        dir.path().display()
    );
    let p = ProfileResolver::new(schemas())
        .file(ConfigFile::parse(&text, "test").unwrap())
        .resolve(Some("s"))
        .unwrap();
    let clouds = Clouds::from_resolved(p);
    // Bucket creation through the bare store (not idempotent, so not retried).
    let bare = nimbus_local::open_fs(dir.path(), Default::default()).unwrap();
    bare.create_bucket("bkt", &Default::default()).await.unwrap();
    let s = clouds.storage().await.unwrap();
    for i in 0..30 {
        let key = format!("k{i}");
        s.put("bkt", &key, format!("v{i}").into(), &PutOptions::default())
            .await
            .unwrap();
        assert_eq!(s.get_bytes("bkt", &key).await.unwrap(), format!("v{i}").as_bytes());
    }
}

#[tokio::test]
async fn the_contract_refuses_before_the_adapter_and_names_the_call() {
    let o = open_storage_url("memory://bkt/k").await.unwrap();
    let e = o
        .storage
        .put("bkt", "a/../b", "x".into(), &PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), nimbus_core::ErrorKind::InvalidInput);
    assert_eq!((e.provider(), e.operation()), ("local-memory", "put"));
}
