//! One row of the embedded-store table (issue 19): one store, one operation, one process, so
//! that peak RSS belongs to that row and no store warms the page cache or allocator for
//! another. `run.sh` rotates the rows over rounds and takes medians.
//!
//! `nimbus-local-bench STORE OP [N]` prints `STORE OP VALUE UNIT peak_rss_kib=K`.
//!
//! Stores (durability stated, because it is most of the small-put cost):
//! - `nimbus-fs`: the local provider opened the normal way (contract and standard layers),
//!   `durability = "fsync"` (the default: fdatasync, then an atomic rename);
//! - `nimbus-fs-none`: the same with `durability = "none"` (atomic rename, no fsync);
//! - `nimbus-mem`: the memory store, the normal way;
//! - `os-fs`: object_store's `LocalFileSystem` as it comes (atomic rename, no fsync);
//! - `os-fs-fsync`: the same `with_fsync(true)` (file and parent directory synced);
//! - `os-mem`: object_store's `InMemory`;
//! - `od-fs`: OpenDAL's `fs` with `atomic_write_dir` (OpenDAL always `sync_all`s a written
//!   file; the temp directory gives the atomic rename the others have);
//! - `od-mem`: OpenDAL's `memory`.
//!
//! Operations: `put4k N` and `get4k N` (µs per op), `write MiB` and `read MiB` (a streamed
//! object in 1 MiB chunks, MiB/s; the body is never held whole by the harness), `list N`
//! (ms for a whole listing of N keys, just written and then again after 1.1 s).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use nimbus_core::layers::ServiceDefaults;
use nimbus_core::storage::{GetOptions, ListOptions, PutOptions, StorageExt, WriterOptions};
use nimbus_core::Storage;
use object_store::path::Path as OsPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use opendal::Operator;

const BUCKET: &str = "bench";
const CHUNK: usize = 1 << 20;

enum Store {
    Nimbus(Arc<dyn Storage>),
    Os(Arc<dyn ObjectStore>),
    Od(Operator),
}

fn open(name: &str, dir: &std::path::Path) -> Store {
    let nimbus_fs = |durable: bool| {
        let mut o = nimbus_local::StorageOptions::default();
        o.durable = durable;
        let s: Arc<dyn Storage> = nimbus_local::open_fs(dir, o).unwrap();
        Store::Nimbus(ServiceDefaults::STORAGE.storage(s))
    };
    match name {
        "nimbus-fs" => nimbus_fs(true),
        "nimbus-fs-none" => nimbus_fs(false),
        "nimbus-mem" => {
            let s: Arc<dyn Storage> = nimbus_local::open_memory(Default::default());
            Store::Nimbus(ServiceDefaults::STORAGE.storage(s))
        }
        "os-fs" | "os-fs-fsync" => {
            let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                .unwrap()
                .with_fsync(name == "os-fs-fsync");
            Store::Os(Arc::new(fs))
        }
        "os-mem" => Store::Os(Arc::new(object_store::memory::InMemory::new())),
        "od-fs" => {
            let tmp = dir.join(".odtmp");
            std::fs::create_dir_all(&tmp).unwrap();
            let b = opendal::services::Fs::default()
                .root(dir.to_str().unwrap())
                .atomic_write_dir(tmp.to_str().unwrap());
            Store::Od(Operator::new(b).unwrap())
        }
        "od-mem" => Store::Od(Operator::new(opendal::services::Memory::default()).unwrap()),
        other => panic!("unknown store {other}"),
    }
}

impl Store {
    async fn prepare(&self) {
        if let Store::Nimbus(s) = self {
            s.create_bucket(BUCKET, &Default::default()).await.unwrap();
        }
    }

    async fn put(&self, key: &str, body: Bytes) {
        match self {
            Store::Nimbus(s) => {
                s.put(BUCKET, key, body, &PutOptions::default()).await.unwrap();
            }
            Store::Os(s) => {
                s.put(&OsPath::from(key), body.into()).await.unwrap();
            }
            Store::Od(o) => {
                o.write(key, body).await.unwrap();
            }
        }
    }

    async fn get(&self, key: &str) -> usize {
        match self {
            Store::Nimbus(s) => s.get_bytes(BUCKET, key).await.unwrap().len(),
            Store::Os(s) => s.get(&OsPath::from(key)).await.unwrap().bytes().await.unwrap().len(),
            Store::Od(o) => o.read(key).await.unwrap().len(),
        }
    }

    /// Writes `mib` MiB in 1 MiB chunks through each library's streaming writer.
    async fn write(&self, key: &str, mib: usize) {
        // Each chunk is a new buffer, as data arriving from elsewhere would be: no library
        // gets one cache-hot chunk written over and over (or kept by reference).
        let chunk = |i: usize| Bytes::from(vec![i as u8; CHUNK]);
        match self {
            Store::Nimbus(s) => {
                let mut w = s.writer(BUCKET, key, WriterOptions::default());
                for i in 0..mib {
                    w.write(chunk(i)).await.unwrap();
                }
                w.finish().await.unwrap();
            }
            Store::Os(s) => {
                let up = s.put_multipart(&OsPath::from(key)).await.unwrap();
                let mut w = WriteMultipart::new(up);
                for i in 0..mib {
                    w.wait_for_capacity(8).await.unwrap();
                    w.write(&chunk(i));
                }
                w.finish().await.unwrap();
            }
            Store::Od(o) => {
                let mut w = o.writer(key).await.unwrap();
                for i in 0..mib {
                    w.write(chunk(i)).await.unwrap();
                }
                w.close().await.unwrap();
            }
        }
    }

    /// Reads an object as a stream, chunk by chunk; returns its length.
    async fn read(&self, key: &str) -> u64 {
        let mut n = 0u64;
        match self {
            Store::Nimbus(s) => {
                let mut st = s.get(BUCKET, key, &GetOptions::default()).await.unwrap().body;
                while let Some(c) = st.next().await {
                    n += c.unwrap().len() as u64;
                }
            }
            Store::Os(s) => {
                let mut st = s.get(&OsPath::from(key)).await.unwrap().into_stream();
                while let Some(c) = st.next().await {
                    n += c.unwrap().len() as u64;
                }
            }
            Store::Od(o) => {
                let r = o.reader_with(key).chunk(CHUNK).await.unwrap();
                let mut st = r.into_bytes_stream(..).await.unwrap();
                while let Some(c) = st.next().await {
                    n += c.unwrap().len() as u64;
                }
            }
        }
        n
    }

    /// Lists every key under `prefix` as a stream; returns the count.
    async fn list(&self, prefix: &str) -> usize {
        match self {
            Store::Nimbus(s) => {
                let mut o = ListOptions::default();
                o.prefix = Some(prefix.to_string());
                s.list(BUCKET, o)
                    .filter(|e| futures::future::ready(e.is_ok()))
                    .count()
                    .await
            }
            Store::Os(s) => s.list(Some(&OsPath::from(prefix))).count().await,
            Store::Od(o) => {
                let mut l = o.lister_with(&format!("{prefix}/")).recursive(true).await.unwrap();
                let mut n = 0;
                while let Some(e) = l.next().await {
                    if e.unwrap().metadata().is_file() {
                        n += 1;
                    }
                }
                n
            }
        }
    }
}

fn peak_rss_kib() -> i64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    u.ru_maxrss
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (store, op) = (args[0].as_str(), args[1].as_str());
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let base = std::env::var("NIMBUS_BENCH_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    let dir = tempfile::tempdir_in(base).unwrap();
    let s = open(store, dir.path());
    s.prepare().await;
    let line = |value: f64, unit: &str| {
        println!("{store} {op} {value:.1} {unit} peak_rss_kib={}", peak_rss_kib());
    };
    let small = Bytes::from(vec![7u8; 4096]);
    match op {
        "put4k" => {
            for i in 0..3 {
                s.put(&format!("w/{i}"), small.clone()).await;
            }
            let t = Instant::now();
            for i in 0..n {
                s.put(&format!("p/{i:06}"), small.clone()).await;
            }
            line(t.elapsed().as_secs_f64() * 1e6 / n as f64, "us/op");
        }
        "get4k" => {
            for i in 0..n {
                s.put(&format!("p/{i:06}"), small.clone()).await;
            }
            let t = Instant::now();
            let mut total = 0;
            for i in 0..n {
                total += s.get(&format!("p/{i:06}")).await;
            }
            assert_eq!(total, n * 4096);
            line(t.elapsed().as_secs_f64() * 1e6 / n as f64, "us/op");
        }
        "write" => {
            let t = Instant::now();
            s.write("big", n).await;
            line(n as f64 / t.elapsed().as_secs_f64(), "MiB/s");
        }
        "read" => {
            s.write("big", n).await;
            let t = Instant::now();
            let got = s.read("big").await;
            assert_eq!(got, (n * CHUNK) as u64);
            line(n as f64 / t.elapsed().as_secs_f64(), "MiB/s");
        }
        "list" => {
            // Written through the store under test; for the durable Nimbus row through a
            // non-durable handle on the same root (fsync does not change what is listed).
            let writer = if store == "nimbus-fs" {
                open("nimbus-fs-none", dir.path())
            } else {
                s
            };
            let one = Bytes::from_static(b"x");
            for i in 0..n {
                writer.put(&format!("l/{i:06}"), one.clone()).await;
            }
            let s = if store == "nimbus-fs" {
                open(store, dir.path())
            } else {
                writer
            };
            let t = Instant::now();
            let got = s.list("l").await;
            assert_eq!(got, n, "{store} listed {got} of {n}");
            let fresh = t.elapsed().as_secs_f64() * 1e3;
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            // NIMBUS_BENCH_LISTS=K lists K times more (the last is timed), so that a profiler
            // attached to the whole process sees mostly listing.
            let extra: usize = std::env::var("NIMBUS_BENCH_LISTS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            for _ in 0..extra {
                assert_eq!(s.list("l").await, n);
            }
            let t = Instant::now();
            assert_eq!(s.list("l").await, n);
            let settled = t.elapsed().as_secs_f64() * 1e3;
            println!(
                "{store} list {fresh:.1} ms settled={settled:.1} peak_rss_kib={}",
                peak_rss_kib()
            );
        }
        other => panic!("unknown op {other}"),
    }
}
