//! perfguard: instructions per storage operation under callgrind (issue 13's guard).
//!
//! `perfguard MODE OP N ENDPOINT`
//!   MODE: raw (aws-sdk-s3 alone) | nimbus (S3Storage through ServiceDefaults::STORAGE; the
//!         "after" build only) | nimbus-bare (S3Storage alone) | seed (create buckets and
//!         objects; run natively, not under valgrind)
//!   OP:   put (4 KiB) | get (4 KiB) | list (bucket of 1,000 keys, every page)
//!
//! Everything but the N measured operations (client construction, warm-up, key formatting)
//! runs outside `pg_measured_region`, the one function callgrind collects
//! (`--collect-atstart=no --toggle-collect=pg_measured_region`). One current-thread tokio
//! runtime, so the connection tasks run on the thread callgrind is collecting.

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region};
use bytes::Bytes;
use nimbus_aws::{aws_sdk_s3, AwsConfig, S3Storage};
use nimbus_core::storage::{ListOptions, PutOptions};
use nimbus_core::{Storage, StorageExt};

const PUT_BUCKET: &str = "pg-put";
const GET_BUCKET: &str = "pg-get";
const LIST_BUCKET: &str = "pg-list";
const GET_KEY: &str = "obj-4k";
const LIST_KEYS: usize = 1000;
const SMALL: usize = 4096;
const WARMUP: usize = 3;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Put,
    Get,
    List,
}

enum Cl {
    Raw(aws_sdk_s3::Client),
    Nimbus(Arc<dyn Storage>),
}

async fn raw_client(endpoint: &str) -> aws_sdk_s3::Client {
    // The same settings S3Storage::connect gives the SDK (AwsConfig::sdk_config + path style).
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "static");
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .load()
        .await;
    let conf = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn nimbus_bare(endpoint: &str) -> Arc<dyn Storage> {
    let mut cfg = AwsConfig::with_static(endpoint, "us-east-1", "testing", "testing");
    cfg.force_path_style = Some(true);
    Arc::new(S3Storage::connect(&cfg).await.expect("connect"))
}

#[cfg(feature = "after")]
async fn nimbus_std(endpoint: &str) -> Arc<dyn Storage> {
    nimbus_core::layers::ServiceDefaults::STORAGE.storage(nimbus_bare(endpoint).await)
}

#[cfg(not(feature = "after"))]
async fn nimbus_std(_endpoint: &str) -> Arc<dyn Storage> {
    panic!("mode `nimbus` (standard stack) exists only in the `after` build; use nimbus-bare")
}

async fn one(c: &Cl, op: Op, key: &str, body: &Bytes) -> usize {
    match (c, op) {
        (Cl::Raw(s3), Op::Put) => {
            s3.put_object()
                .bucket(PUT_BUCKET)
                .key(key)
                .body(body.clone().into())
                .send()
                .await
                .expect("put");
            body.len()
        }
        (Cl::Raw(s3), Op::Get) => {
            let o = s3.get_object().bucket(GET_BUCKET).key(GET_KEY).send().await.expect("get");
            o.body.collect().await.expect("body").into_bytes().len()
        }
        (Cl::Raw(s3), Op::List) => {
            let mut n = 0;
            let mut token: Option<String> = None;
            loop {
                let o = s3
                    .list_objects_v2()
                    .bucket(LIST_BUCKET)
                    .set_continuation_token(token)
                    .send()
                    .await
                    .expect("list");
                n += o.contents().len();
                token = o.next_continuation_token().map(str::to_string);
                if token.is_none() {
                    break n;
                }
            }
        }
        (Cl::Nimbus(s), Op::Put) => {
            s.put(PUT_BUCKET, key, body.clone(), &PutOptions::default()).await.expect("put");
            body.len()
        }
        (Cl::Nimbus(s), Op::Get) => s.get_bytes(GET_BUCKET, GET_KEY).await.expect("get").len(),
        (Cl::Nimbus(s), Op::List) => s
            .list_objects(LIST_BUCKET, ListOptions::default())
            .await
            .expect("list")
            .len(),
    }
}

/// The only function callgrind collects: N operations, nothing else.
#[inline(never)]
#[no_mangle]
pub fn pg_measured_region(rt: &tokio::runtime::Runtime, c: &Cl, op: Op, keys: &[String], body: &Bytes) -> usize {
    rt.block_on(async {
        let mut total = 0;
        for k in keys {
            total += one(c, op, k, body).await;
        }
        total
    })
}

async fn seed(endpoint: &str) {
    let s3 = raw_client(endpoint).await;
    for b in [PUT_BUCKET, GET_BUCKET, LIST_BUCKET] {
        let _ = s3.create_bucket().bucket(b).send().await; // exists from an earlier seed: fine
    }
    let body = Bytes::from(vec![0x5a_u8; SMALL]);
    s3.put_object().bucket(GET_BUCKET).key(GET_KEY).body(body.clone().into()).send().await.expect("seed get");
    for i in 0..LIST_KEYS {
        s3.put_object()
            .bucket(LIST_BUCKET)
            .key(format!("k/{i:05}"))
            .body(Bytes::from_static(b"x").into())
            .send()
            .await
            .expect("seed list");
    }
    let n = s3.list_objects_v2().bucket(LIST_BUCKET).send().await.expect("list").key_count();
    eprintln!("seeded: {GET_BUCKET}/{GET_KEY} ({SMALL} B), {LIST_BUCKET}: {n:?} keys");
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 && !(a.len() == 3 && a[1] == "seed") {
        eprintln!("usage: perfguard raw|nimbus|nimbus-bare put|get|list N ENDPOINT | perfguard seed ENDPOINT");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if a[1] == "seed" {
        rt.block_on(seed(&a[2]));
        return;
    }
    let (mode, op, n, endpoint) = (a[1].as_str(), a[2].as_str(), a[3].parse::<usize>().unwrap(), a[4].as_str());
    let op = match op {
        "put" => Op::Put,
        "get" => Op::Get,
        "list" => Op::List,
        o => panic!("unknown op {o}"),
    };
    let c = rt.block_on(async {
        match mode {
            "raw" => Cl::Raw(raw_client(endpoint).await),
            "nimbus" => Cl::Nimbus(nimbus_std(endpoint).await),
            "nimbus-bare" => Cl::Nimbus(nimbus_bare(endpoint).await),
            m => panic!("unknown mode {m}"),
        }
    });
    let body = Bytes::from(vec![0x5a_u8; SMALL]);
    let tag = if cfg!(feature = "after") { "after" } else { "before" };
    let keys: Vec<String> = (0..n).map(|i| format!("put/{tag}-{mode}/{i:05}")).collect();
    let warm: Vec<String> = (0..WARMUP).map(|i| format!("put/{tag}-{mode}/warm{i}")).collect();
    // Warm-up outside the measured region: connection, credentials, endpoint caches.
    let w = rt.block_on(async {
        let mut t = 0;
        for k in &warm {
            t += one(&c, op, k, &body).await;
        }
        t
    });
    let expect = match op {
        Op::List => LIST_KEYS,
        _ => SMALL,
    };
    assert_eq!(w, WARMUP * expect, "warm-up result");
    let t0 = std::time::Instant::now();
    let total = pg_measured_region(&rt, &c, op, &keys, &body);
    let dt = t0.elapsed();
    assert_eq!(total, n * expect, "measured result");
    println!("{tag} {mode} {:?} n={n} ok ({:.1} µs/op wall, not the measure)", op_name(op), dt.as_secs_f64() * 1e6 / n as f64);
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Put => "put",
        Op::Get => "get",
        Op::List => "list",
    }
}
