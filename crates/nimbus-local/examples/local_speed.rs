//! Wall time of the embedded store's hot paths, for `docs/benchmarks.md` (issue 19): 4 KiB
//! puts on the filesystem store durable and not, and on the memory store; and a whole listing
//! of 20,000 keys page by page (1,000 a page), where the cost of resuming each page shows.
//!
//! `cargo run --release -p nimbus-local --example local_speed [PUTS] [KEYS]`
//! Wall time on a shared 2-core machine: compare rows of one run, not runs.

use std::time::Instant;

use bytes::Bytes;
use nimbus_core::storage::{ListOptions, PutOptions};
use nimbus_core::Storage;
use nimbus_local::{open_fs, open_memory, StorageOptions};

async fn puts(s: &dyn Storage, n: usize) -> f64 {
    s.create_bucket("bench", &Default::default()).await.unwrap();
    let body = Bytes::from(vec![7u8; 4096]);
    let t = Instant::now();
    for i in 0..n {
        s.put("bench", &format!("p/{i:06}"), body.clone(), &PutOptions::default())
            .await
            .unwrap();
    }
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

async fn listing(s: &dyn Storage, keys: usize) -> (f64, usize) {
    s.create_bucket("list", &Default::default()).await.unwrap();
    for i in 0..keys {
        s.put(
            "list",
            &format!("k{i:06}"),
            Bytes::from_static(b"x"),
            &PutOptions::default(),
        )
        .await
        .unwrap();
    }
    let t = Instant::now();
    let mut token = None;
    let mut n = 0;
    loop {
        let mut o = ListOptions::default();
        o.page_size = Some(1000);
        let p = s.list_page("list", &o, token.take()).await.unwrap();
        n += p.objects.len();
        match p.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    (t.elapsed().as_secs_f64() * 1e3, n)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(2000);
    let keys = args.get(1).copied().unwrap_or(20_000);
    let d = tempfile::tempdir().unwrap();
    let durable = open_fs(d.path().join("durable"), StorageOptions::default()).unwrap();
    let mut o = StorageOptions::default();
    o.durable = false;
    let fast = open_fs(d.path().join("none"), o).unwrap();
    let mem = open_memory(StorageOptions::default());
    println!("4 KiB put, µs/op ({n} puts):");
    println!("  fs, durability fsync   {:>9.1}", puts(&*durable, n).await);
    println!("  fs, durability none    {:>9.1}", puts(&*fast, n).await);
    println!("  memory                 {:>9.1}", puts(&*mem, n).await);
    println!("list {keys} keys, 1,000 a page, ms for the whole listing:");
    let o = {
        let mut o = StorageOptions::default();
        o.durable = false;
        o
    };
    let lfs = open_fs(d.path().join("list"), o).unwrap();
    let (ms, got) = listing(&*lfs, keys).await;
    println!("  fs (just written)      {ms:>9.1}  ({got} keys)");
    // Once the directory has settled, its sorted entries are cached between pages.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let t = Instant::now();
    let mut token = None;
    loop {
        let mut o = ListOptions::default();
        o.page_size = Some(1000);
        let p = lfs.list_page("list", &o, token.take()).await.unwrap();
        match p.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    println!("  fs (settled, cached)   {:>9.1}", t.elapsed().as_secs_f64() * 1e3);
    let (ms, got) = listing(&*mem, keys).await;
    println!("  memory                 {ms:>9.1}  ({got} keys)");
}
