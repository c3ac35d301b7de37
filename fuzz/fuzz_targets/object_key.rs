//! Bucket names and object keys, through the portable contract into the local filesystem
//! store (the one store where a key becomes a path). Holds: the checks never panic; a key
//! or bucket the contract accepts is written, read back and deleted inside the store's root,
//! and nothing appears outside it (the root sits four directories deep in a temporary
//! directory, and every level above it must keep its one entry).
#![no_main]

#[path = "common.rs"]
mod common;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use nimbus_core::storage::validate::{validate_bucket_name, validate_key, validate_prefix};
use nimbus_core::storage::{GetOptions, ListOptions, PutOptions};
use nimbus_core::{Storage, StorageExt};

struct Env {
    rt: tokio::runtime::Runtime,
    _tmp: tempfile::TempDir,
    top: PathBuf,
    root: PathBuf,
    store: Arc<dyn Storage>,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().to_path_buf();
        let root = top.join("l1/l2/l3/root");
        std::fs::create_dir_all(&root).unwrap();
        let store = common::fs_store(&root);
        let rt = common::runtime();
        rt.block_on(store.create_bucket("fzz", &Default::default())).unwrap();
        Env {
            rt,
            _tmp: tmp,
            top,
            root,
            store,
        }
    })
}

/// Every directory from the temporary top to the root's parent still has exactly its one
/// child, and the root has no new entry beside its buckets and the store's own files.
fn nothing_escaped(e: &Env, before: &[String]) {
    let mut dir = e.top.clone();
    for child in ["l1", "l2", "l3", "root"] {
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [child], "something was written in {}", dir.display());
        dir = dir.join(child);
    }
    assert_eq!(root_entries(e), before, "the root's entries changed");
}

fn root_entries(e: &Env) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(&e.root)
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

struct Input {
    bucket: String,
    key: String,
}

// Input: the bucket name, a newline, the key (which may hold further newlines).
fuzz_target!(|s: &str| {
    let (bucket, key) = s.split_once('\n').unwrap_or(("fzz", s));
    let i = Input {
        bucket: bucket.to_string(),
        key: key.to_string(),
    };
    let _ = (
        validate_bucket_name(&i.bucket),
        validate_key(&i.key),
        validate_prefix(&i.key),
    );
    let e = env();
    let before = root_entries(e);
    e.rt.block_on(async {
        let body = Bytes::from_static(b"fuzz");
        if e.store
            .put("fzz", &i.key, body.clone(), &PutOptions::default())
            .await
            .is_ok()
        {
            assert!(
                validate_key(&i.key).is_ok(),
                "the contract took a key its check refuses: {:?}",
                i.key
            );
            let got = e.store.get("fzz", &i.key, &GetOptions::default()).await.unwrap();
            assert_eq!(got.bytes().await.unwrap(), body, "{:?}", i.key);
            let listed = e
                .store
                .list_objects("fzz", ListOptions::prefix(i.key.clone()))
                .await
                .unwrap();
            assert!(
                listed.iter().any(|o| o.key == i.key),
                "{:?} not listed under itself",
                i.key
            );
            e.store.delete("fzz", &i.key).await.unwrap();
            nothing_escaped(e, &before);
        }
        if e.store.create_bucket(&i.bucket, &Default::default()).await.is_ok() {
            assert!(validate_bucket_name(&i.bucket).is_ok());
            assert!(
                e.root.join(&i.bucket).is_dir(),
                "bucket {:?} is not a directory of the root",
                i.bucket
            );
            e.store.delete_bucket(&i.bucket).await.unwrap();
            nothing_escaped(e, &before);
        }
    });
});
