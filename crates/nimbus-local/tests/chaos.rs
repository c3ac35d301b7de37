//! Chaos: through the retry layer, with 20 % injected transient faults (some of them after
//! the call was applied, i.e. lost answers), 2,000 put/get pairs end with every object
//! present and byte-exact. The fault and jitter seeds are fixed, so the run is reproducible.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use nimbus_core::layers::{FaultConfig, FaultInjection, Layered, Retry};
use nimbus_core::storage::{ListOptions, PutOptions};
use nimbus_core::{Storage, StorageExt};

fn body(i: u32) -> Bytes {
    Bytes::from(format!("object {i} ").repeat((i % 50 + 1) as usize))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_put_get_pairs_survive_twenty_percent_faults() {
    let dir = tempfile::tempdir().unwrap();
    let raw = nimbus_local::open_fs(dir.path(), Default::default()).unwrap();
    raw.create_bucket("chaos", &Default::default()).await.unwrap();

    // Count what the faulty layer lets through, to prove faults really happened.
    let faulty: Arc<dyn Storage> = Arc::new(Layered::new(
        raw.clone() as Arc<dyn Storage>,
        FaultInjection::new(FaultConfig::error_rate(0.2).after_fraction(0.3).seed(42)),
    ));
    let retry = Retry::new(12, Duration::from_millis(1), Duration::from_millis(5)).seeded(7);
    let store: Arc<dyn Storage> = Arc::new(Layered::new(faulty.clone(), retry));

    let failures = AtomicU64::new(0);
    for i in 0..2000u32 {
        let key = format!("k/{i:05}");
        let want = body(i);
        if let Err(e) = store.put("chaos", &key, want.clone(), &PutOptions::default()).await {
            failures.fetch_add(1, Ordering::Relaxed);
            panic!("put {key} failed through retries: {e}");
        }
        let got = store
            .get_bytes("chaos", &key)
            .await
            .unwrap_or_else(|e| panic!("get {key}: {e}"));
        assert_eq!(got, want, "{key} differs");
    }
    // Every object is present and byte-exact when read without any layer.
    let all = raw.list_objects("chaos", ListOptions::default()).await.unwrap();
    assert_eq!(all.len(), 2000);
    for i in (0..2000u32).step_by(97) {
        assert_eq!(raw.get_bytes("chaos", &format!("k/{i:05}")).await.unwrap(), body(i));
    }
    // And faults did happen: the bare faulty layer fails about 20 % of 500 calls.
    let mut injected = 0;
    for _ in 0..500 {
        if faulty.head("chaos", "k/00000").await.is_err() {
            injected += 1;
        }
    }
    assert!((60..=140).contains(&injected), "{injected} of 500 calls faulted");
}
