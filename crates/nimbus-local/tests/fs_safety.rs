//! The filesystem store keeps every key inside its root, writes atomically and shares state
//! safely between handles; the simulator's state survives concurrent writers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use nimbus_core::network::{NetworkService, NetworkSpec};
use nimbus_core::storage::{GetOptions, PutOptions};
use nimbus_core::{ErrorKind, Storage};
use nimbus_local::sim::{SimCloud, SimOptions};

#[tokio::test]
async fn traversal_keys_never_touch_the_filesystem_outside_the_root() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    let s = nimbus_local::open_fs(&root, Default::default()).unwrap();
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    let evil = [
        "../escape",
        "../../escape",
        "a/../../../escape",
        "/etc/passwd",
        "a\\..\\..\\escape",
        "nul\0",
        "..",
        ".",
        "a/./b",
        "bidi\u{202E}txt",
    ];
    for k in evil {
        let e = s
            .put("bkt", k, Bytes::from_static(b"x"), &PutOptions::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", k.escape_debug());
        let e = s.get("bkt", k, &GetOptions::default()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", k.escape_debug());
        assert_eq!(s.delete("bkt", k).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
    // Bucket names cannot traverse either.
    for b in ["..", "../x", ".nimbus", "a/b"] {
        assert_eq!(
            s.create_bucket(b, &Default::default()).await.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{b}"
        );
    }
    // Nothing was created outside the root.
    let outside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("root")]);
}

#[tokio::test]
async fn objects_are_plain_files_and_temp_files_do_not_linger() {
    let dir = tempfile::tempdir().unwrap();
    let s = nimbus_local::open_fs(dir.path(), Default::default()).unwrap();
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    s.put("bkt", "a/b.txt", Bytes::from_static(b"hello"), &PutOptions::default())
        .await
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("bkt/a/b.txt")).unwrap(), b"hello");
    let tmp = std::fs::read_dir(dir.path().join(".nimbus/tmp")).unwrap().count();
    assert_eq!(tmp, 0, "temp files left behind");
    // A second handle on the same root sees the object and can serve presigned URLs of the first.
    let s2 = nimbus_local::open_fs(dir.path(), Default::default()).unwrap();
    let url = s
        .presign(
            "bkt",
            "a/b.txt",
            nimbus_core::storage::PresignMethod::Get,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(s2.fetch_presigned(&url).await.unwrap(), "hello");
    s.delete("bkt", "a/b.txt").await.unwrap();
    assert!(!dir.path().join("bkt/a").exists(), "empty directories are pruned");
}

#[tokio::test]
async fn expired_presigned_url_is_refused() {
    let s = nimbus_local::open_memory(Default::default());
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    s.put("bkt", "k", Bytes::from_static(b"v"), &PutOptions::default())
        .await
        .unwrap();
    let url = s
        .presign(
            "bkt",
            "k",
            nimbus_core::storage::PresignMethod::Get,
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        s.fetch_presigned(&url).await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
}

#[test]
fn concurrent_simulator_handles_do_not_lose_writes() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let d = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                // A separate SimCloud per thread stands for a separate process: only the
                // file lock serialises them.
                let sim = SimCloud::open(&d, SimOptions::default()).unwrap();
                let net: Arc<dyn NetworkService> = sim.network();
                rt.block_on(async {
                    for i in 0..10 {
                        let cidr = format!("10.{}.0.0/16", t * 10 + i).parse().unwrap();
                        net.create_network(&NetworkSpec::new(format!("n-{t}-{i}"), cidr))
                            .await
                            .unwrap();
                    }
                });
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let sim = SimCloud::open(dir.path(), SimOptions::default()).unwrap();
    let nets = rt.block_on(sim.network().list_networks()).unwrap();
    assert_eq!(nets.len(), 40);
    let mut ids: Vec<_> = nets.iter().map(|n| n.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 40, "ids are unique");
}
