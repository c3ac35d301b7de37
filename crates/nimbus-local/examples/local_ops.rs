//! A fixed amount of work on the embedded filesystem store, for counting instructions under
//! callgrind (`scripts/perf-guard`, `docs/benchmarks.md`): `OP N` runs N 4 KiB puts, N gets of
//! one 4 KiB object, or N listings of a 1,000-key page. Instruction counts are deterministic on
//! this machine where wall time is not; the work runs on tokio's blocking pool too, so the
//! count is of the whole process, and the cost of one operation is the difference between two
//! runs divided by the difference of N (setup cancels out).
//!
//! `cargo run --release -p nimbus-local --example local_ops -- put|get|list N`

use bytes::Bytes;
use nimbus_core::storage::{GetOptions, ListOptions, PutOptions};
use nimbus_core::Storage;
use nimbus_local::{open_fs, StorageOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_else(|| "put".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let d = tempfile::tempdir().unwrap();
    // Durability off: fsync costs time in the kernel, not instructions, and is not what a
    // regression in Nimbus's code would change.
    let mut o = StorageOptions::default();
    o.durable = false;
    let s = open_fs(d.path(), o).unwrap();
    s.create_bucket("ops", &Default::default()).await.unwrap();
    let body = Bytes::from(vec![7u8; 4096]);
    match op.as_str() {
        "put" => {
            for i in 0..n {
                s.put("ops", &format!("k{i:06}"), body.clone(), &PutOptions::default())
                    .await
                    .unwrap();
            }
        }
        "get" => {
            s.put("ops", "one", body.clone(), &PutOptions::default()).await.unwrap();
            for _ in 0..n {
                let r = s.get("ops", "one", &GetOptions::default()).await.unwrap();
                let b = r.bytes().await.unwrap();
                assert_eq!(b.len(), 4096);
            }
        }
        "list" => {
            for i in 0..1000 {
                s.put(
                    "ops",
                    &format!("k{i:06}"),
                    Bytes::from_static(b"x"),
                    &PutOptions::default(),
                )
                .await
                .unwrap();
            }
            let mut o = ListOptions::default();
            o.page_size = Some(1000);
            for _ in 0..n {
                let p = s.list_page("ops", &o, None).await.unwrap();
                assert_eq!(p.objects.len(), 1000);
            }
        }
        other => panic!("unknown op {other}: put, get or list"),
    }
}
