//! Side-by-side storage benchmark on one server, one implementation per process (so peak RSS
//! is per implementation): Nimbus vs the raw SDK vs `object_store` vs `opendal`, on S3
//! (s3s-fs) or Azure Blob (Azurite, `--cloud azure`). Run by `scripts/bench`, which starts the
//! emulators and writes docs/benchmarks.md.
//!
//! `nimbus-bench [--cloud s3|azure] --impl nimbus|sdk|object_store|opendal|seed --endpoint URL`
//! prints one JSON line of measurements.

mod azure;
mod gcs;
mod swift;

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use nimbus_aws::{aws_sdk_s3, AwsConfig, S3Storage};
use nimbus_core::storage::{GetOptions, ListOptions, PutOptions, WriterOptions};
use nimbus_core::{Storage, StorageExt};

const AK: &str = "AKNIMBUSTEST";
const SK: &str = "SKNIMBUSTEST";
pub(crate) const PART: usize = 8 * 1024 * 1024;

struct Args {
    cloud: String,
    imp: String,
    endpoint: String,
    bucket: String,
    small: usize,
    big_mib: usize,
    round: usize,
    measure: Option<String>,
    n: usize,
    /// Keys seeded for, and expected by, a listing (10,000 under `listing/`; any other count
    /// under `listing-N/`).
    keys: usize,
}

impl Args {
    fn listing_prefix(&self) -> String {
        if self.keys == 10_000 {
            "listing/".into()
        } else {
            format!("listing-{}/", self.keys)
        }
    }
}

fn args() -> Result<Args> {
    let mut a = Args {
        cloud: "s3".into(),
        imp: String::new(),
        endpoint: String::new(),
        bucket: "bench".into(),
        small: 1000,
        big_mib: 256,
        round: 0,
        measure: None,
        n: 200,
        keys: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--cloud" => a.cloud = v,
            "--impl" => a.imp = v,
            "--endpoint" => a.endpoint = v,
            "--bucket" => a.bucket = v,
            "--small" => a.small = v.parse()?,
            "--big-mib" => a.big_mib = v.parse()?,
            "--round" => a.round = v.parse()?,
            "--measure" => a.measure = Some(v),
            "--n" => a.n = v.parse()?,
            "--keys" => a.keys = v.parse()?,
            _ => bail!("unknown argument {k}"),
        }
    }
    // Swift takes its Keystone credentials from the OS_* variables, not an endpoint.
    if a.imp.is_empty() || (a.endpoint.is_empty() && a.cloud != "swift") {
        bail!("usage: nimbus-bench --impl nimbus|sdk|object_store|opendal --endpoint URL [--bucket B]");
    }
    Ok(a)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// A deterministic chunk stream of `total` bytes.
pub(crate) fn chunks(total: usize) -> impl futures::Stream<Item = Bytes> {
    let chunk = Bytes::from(vec![0x5a_u8; 256 * 1024]);
    let n = total / chunk.len();
    futures::stream::iter((0..n).map(move |_| chunk.clone()))
}

#[async_trait::async_trait]
pub(crate) trait Bench: Send + Sync {
    async fn put(&self, key: &str, body: Bytes) -> Result<()>;
    async fn get(&self, key: &str) -> Result<usize>;
    async fn put_stream(&self, key: &str, total: usize) -> Result<()>;
    async fn get_stream(&self, key: &str) -> Result<usize>;
    async fn list(&self, prefix: &str) -> Result<usize>;
    /// The Nimbus storage inside, for the measure mode to put the standard layers on.
    fn nimbus(&self) -> Option<Arc<dyn Storage>> {
        None
    }
}

pub(crate) struct NimbusB(pub Arc<dyn Storage>, pub String);
#[async_trait::async_trait]
impl Bench for NimbusB {
    fn nimbus(&self) -> Option<Arc<dyn Storage>> {
        Some(self.0.clone())
    }
    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.0.put(&self.1, key, body, &PutOptions::default()).await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<usize> {
        Ok(self.0.get_bytes(&self.1, key).await?.len())
    }
    async fn put_stream(&self, key: &str, total: usize) -> Result<()> {
        let s = Box::pin(chunks(total).map(Ok));
        let o = WriterOptions::default().part_size(PART as u64);
        self.0.upload_stream(&self.1, key, s, o).await?;
        Ok(())
    }
    async fn get_stream(&self, key: &str) -> Result<usize> {
        let mut r = self.0.get(&self.1, key, &GetOptions::default()).await?;
        let mut n = 0;
        while let Some(c) = r.body.next().await {
            n += c?.len();
        }
        Ok(n)
    }
    async fn list(&self, prefix: &str) -> Result<usize> {
        // Streamed and counted, as the other rows list: collecting every `ObjectMeta` into a
        // Vec first cost 18M instructions of reallocation and copying for 10,000 keys.
        let mut s = self.0.list(&self.1, ListOptions::prefix(prefix));
        let mut n = 0;
        while let Some(e) = s.next().await {
            if let nimbus_core::storage::ListEntry::Object(_) = e? {
                n += 1;
            }
        }
        Ok(n)
    }
}

struct SdkB(aws_sdk_s3::Client, String);
#[async_trait::async_trait]
impl Bench for SdkB {
    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.0
            .put_object()
            .bucket(&self.1)
            .key(key)
            .body(body.into())
            .send()
            .await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<usize> {
        let o = self.0.get_object().bucket(&self.1).key(key).send().await?;
        Ok(o.body.collect().await?.into_bytes().len())
    }
    async fn put_stream(&self, key: &str, total: usize) -> Result<()> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        let up = self.0.create_multipart_upload().bucket(&self.1).key(key).send().await?;
        let id = up.upload_id().context("upload id")?.to_string();
        let mut s = Box::pin(chunks(total));
        let mut buf = Vec::with_capacity(PART);
        let mut parts = Vec::new();
        loop {
            let next = s.next().await;
            if let Some(c) = &next {
                buf.extend_from_slice(c);
            }
            if buf.len() >= PART || (next.is_none() && !buf.is_empty()) {
                let n = parts.len() as i32 + 1;
                let body = Bytes::from(std::mem::replace(&mut buf, Vec::with_capacity(PART)));
                let r = self
                    .0
                    .upload_part()
                    .bucket(&self.1)
                    .key(key)
                    .upload_id(&id)
                    .part_number(n)
                    .body(body.into())
                    .send()
                    .await?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(n)
                        .set_e_tag(r.e_tag().map(str::to_string))
                        .build(),
                );
            }
            if next.is_none() {
                break;
            }
        }
        let done = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
        self.0
            .complete_multipart_upload()
            .bucket(&self.1)
            .key(key)
            .upload_id(id)
            .multipart_upload(done)
            .send()
            .await?;
        Ok(())
    }
    async fn get_stream(&self, key: &str) -> Result<usize> {
        let mut o = self.0.get_object().bucket(&self.1).key(key).send().await?;
        let mut n = 0;
        while let Some(c) = o.body.try_next().await? {
            n += c.len();
        }
        Ok(n)
    }
    async fn list(&self, prefix: &str) -> Result<usize> {
        let mut n = 0;
        let mut token = None;
        loop {
            let o = self
                .0
                .list_objects_v2()
                .bucket(&self.1)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await?;
            n += o.contents().len();
            token = o.next_continuation_token().map(str::to_string);
            if token.is_none() {
                return Ok(n);
            }
        }
    }
}

pub(crate) struct ObjB(pub Arc<dyn object_store::ObjectStore>);
#[async_trait::async_trait]
impl Bench for ObjB {
    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.0.put(&key.into(), body.into()).await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<usize> {
        Ok(self.0.get(&key.into()).await?.bytes().await?.len())
    }
    async fn put_stream(&self, key: &str, total: usize) -> Result<()> {
        let up = self.0.put_multipart(&key.into()).await?;
        let mut w = object_store::WriteMultipart::new_with_chunk_size(up, PART);
        let mut s = Box::pin(chunks(total));
        while let Some(c) = s.next().await {
            w.wait_for_capacity(1).await?;
            w.write(&c);
        }
        w.finish().await?;
        Ok(())
    }
    async fn get_stream(&self, key: &str) -> Result<usize> {
        let mut s = self.0.get(&key.into()).await?.into_stream();
        let mut n = 0;
        while let Some(c) = s.next().await {
            n += c?.len();
        }
        Ok(n)
    }
    async fn list(&self, prefix: &str) -> Result<usize> {
        let p: object_store::path::Path = prefix.trim_end_matches('/').into();
        let mut s = self.0.list(Some(&p));
        let mut n = 0;
        while let Some(m) = s.next().await {
            m?;
            n += 1;
        }
        Ok(n)
    }
}

pub(crate) struct DalB(pub opendal::Operator);
#[async_trait::async_trait]
impl Bench for DalB {
    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.0.write(key, body).await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<usize> {
        Ok(self.0.read(key).await?.len())
    }
    async fn put_stream(&self, key: &str, total: usize) -> Result<()> {
        let mut w = self.0.writer_with(key).chunk(PART).await?;
        let mut s = Box::pin(chunks(total));
        while let Some(c) = s.next().await {
            w.write(c).await?;
        }
        w.close().await?;
        Ok(())
    }
    async fn get_stream(&self, key: &str) -> Result<usize> {
        let r = self.0.reader_with(key).chunk(PART).await?;
        let mut s = r.into_bytes_stream(..).await?;
        let mut n = 0;
        while let Some(c) = s.next().await {
            n += c?.len();
        }
        Ok(n)
    }
    async fn list(&self, prefix: &str) -> Result<usize> {
        Ok(self
            .0
            .list_with(prefix)
            .recursive(true)
            .await?
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .count())
    }
}

async fn s3_bench(a: &Args, cfg: &AwsConfig) -> Result<Box<dyn Bench>> {
    Ok(match a.imp.as_str() {
        "nimbus" => Box::new(NimbusB(Arc::new(S3Storage::connect(cfg).await?), a.bucket.clone())),
        "sdk" => Box::new(SdkB(S3Storage::connect(cfg).await?.client().clone(), a.bucket.clone())),
        "object_store" => Box::new(ObjB(Arc::new(
            object_store::aws::AmazonS3Builder::new()
                .with_endpoint(&a.endpoint)
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false)
                .with_region("us-east-1")
                .with_bucket_name(&a.bucket)
                .with_access_key_id(AK)
                .with_secret_access_key(SK)
                .build()?,
        ))),
        "opendal" => Box::new(DalB(
            opendal::Operator::new(
                opendal::services::S3::default()
                    .endpoint(&a.endpoint)
                    .region("us-east-1")
                    .bucket(&a.bucket)
                    .access_key_id(AK)
                    .secret_access_key(SK),
            )?
            .finish(),
        )),
        other => bail!("unknown implementation {other}"),
    })
}

fn main() -> Result<()> {
    let a = args()?;
    if let Some(op) = &a.measure {
        return measure(&a, op);
    }
    tokio::runtime::Runtime::new()?.block_on(run(a))
}

/// The implementation named by `--impl` on `--cloud`. With `standard`, Nimbus is opened the
/// way a product gets it (contract, tracing, retry, timeout: `ServiceDefaults::STORAGE`); the
/// wall-time table keeps the adapter bare, as it was first measured.
async fn implementation(a: &Args, standard: bool) -> Result<Box<dyn Bench>> {
    let cfg = AwsConfig::with_static(&a.endpoint, "us-east-1", AK, SK);
    let b: Box<dyn Bench> = match a.cloud.as_str() {
        "azure" => azure::bench(&a.imp, &a.endpoint, &a.bucket).await?,
        "gcs" => gcs::bench(&a.imp, &a.endpoint, &a.bucket).await?,
        // Already the standard stack (opened through the provider).
        "swift" => return swift::bench(&a.imp, &a.bucket).await,
        _ => s3_bench(a, &cfg).await?,
    };
    if standard && a.imp == "nimbus" {
        if let Some(n) = b.nimbus() {
            let layered = nimbus_core::layers::ServiceDefaults::STORAGE.storage(n);
            return Ok(Box::new(NimbusB(layered, a.bucket.clone())));
        }
    }
    Ok(b)
}

/// `--measure OP --n N` (any cloud): warm up (credentials, connection, caches), then N
/// operations of `op` inside the one function callgrind collects
/// (`--toggle-collect=measured_region`): instructions per operation of the client alone. One
/// current-thread runtime: `block_on` inside the measured function drives the connection tasks
/// too, so the client's whole work is counted and nothing of it runs on another thread.
/// `put_stream` and `get_stream` move `--big-mib` MiB once per operation.
fn measure(a: &Args, op: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let body = Bytes::from(vec![7u8; 4096]);
    let big = a.big_mib * 1024 * 1024;
    let b = rt.block_on(async {
        let b = implementation(a, true).await?;
        b.put("measure/get-me", body.clone()).await?;
        for i in 0..3 {
            b.put(&format!("measure/warm-{i}"), body.clone()).await?;
            b.get("measure/get-me").await?;
            // Only where measured: some clients cannot list here (google-cloud-storage lists
            // over gRPC only, which fake-gcs-server does not serve).
            // (Not for the large listings, which are measured natively for their memory.)
            if op == "list" && a.keys <= 10_000 {
                b.list(&a.listing_prefix()).await?;
            }
        }
        if op == "get_stream" {
            b.put_stream("measure/big.bin", big).await?;
        }
        anyhow::Ok(b)
    })?;
    let keys: Vec<String> = (0..a.n).map(|i| format!("measure/{}-{i:05}", a.imp)).collect();
    if op == "get_unseen" {
        // Objects another client wrote, each read once: what a client that keeps metadata
        // it has seen (Nimbus on Cloud Storage) cannot use it for.
        rt.block_on(async {
            let writer = implementation(a, true).await?;
            for k in &keys {
                writer.put(k, body.clone()).await?;
            }
            anyhow::Ok(())
        })?;
    }
    let listing = (a.listing_prefix(), a.keys);
    let started = std::time::Instant::now();
    measured_region(&rt, &*b, op, &keys, &body, big, (&listing.0, listing.1))?;
    println!(
        "{{\"impl\":\"{}\",\"op\":\"{op}\",\"n\":{},\"keys\":{},\"secs\":{:.3},\"peak_rss_mib\":{:.1}}}",
        a.imp,
        a.n,
        a.keys,
        started.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    Ok(())
}

/// The only function callgrind collects (`--toggle-collect=measured_region`).
#[inline(never)]
#[no_mangle]
fn measured_region(
    rt: &tokio::runtime::Runtime,
    b: &dyn Bench,
    op: &str,
    keys: &[String],
    body: &Bytes,
    big: usize,
    (prefix, listed): (&str, usize),
) -> Result<()> {
    rt.block_on(async {
        for k in keys {
            match op {
                "put" => b.put(k, body.clone()).await?,
                "get" => anyhow::ensure!(b.get("measure/get-me").await? == 4096, "short read"),
                "get_unseen" => anyhow::ensure!(b.get(k).await? == 4096, "short read"),
                "list" => {
                    let n = b.list(prefix).await?;
                    anyhow::ensure!(n == listed, "listed {n} keys of {listed}");
                }
                "put_stream" => b.put_stream(k, big).await?,
                "get_stream" => anyhow::ensure!(b.get_stream("measure/big.bin").await? == big, "short read"),
                other => bail!("unknown op {other} (put, get, get_unseen, list, put_stream, get_stream)"),
            }
        }
        Ok(())
    })
}

async fn run(a: Args) -> Result<()> {
    let cfg = AwsConfig::with_static(&a.endpoint, "us-east-1", AK, SK);
    if a.imp == "seed" {
        // The bucket and 10,000 listing keys every implementation lists.
        let store: Arc<dyn Storage> = match a.cloud.as_str() {
            "azure" => Arc::new(nimbus_azure::AzureBlobStorage::connect(&azure::config(&a.endpoint)?)?),
            "gcs" => Arc::new(nimbus_gcp::GcsStorage::connect(&nimbus_gcp::GcsConfig::emulator(&a.endpoint)).await?),
            "swift" => swift::nimbus_store().await?,
            _ => Arc::new(S3Storage::connect(&cfg).await?),
        };
        // With the standard layers: seeding 100,000 keys 64 at a time meets dropped
        // connections on the emulators, which the retry layer rides out.
        let store = nimbus_core::layers::ServiceDefaults::STORAGE.storage(store);
        // A server that keeps state (the OpenStack stack) may hold the bucket of an earlier run.
        match store.create_bucket(&a.bucket, &Default::default()).await {
            Err(e) if e.kind() == nimbus_core::ErrorKind::AlreadyExists => {}
            r => r?,
        }
        let prefix = a.listing_prefix();
        // Five digits for the 10,000 keys (as earlier runs seeded them on servers that keep state).
        let width = if a.keys == 10_000 { 5 } else { 6 };
        let keys: Vec<String> = (0..a.keys).map(|i| format!("{prefix}{i:0width$}")).collect();
        futures::stream::iter(keys)
            .map(|k| {
                let s = store.clone();
                let b = a.bucket.clone();
                async move { s.put(&b, &k, Bytes::from_static(b"x"), &PutOptions::default()).await }
            })
            .buffer_unordered(64)
            .try_for_each(|_| async { Ok(()) })
            .await?;
        println!("seeded");
        return Ok(());
    }
    let bench = implementation(&a, false).await?;

    // A fresh prefix per implementation and round: every run creates new objects (s3s-fs
    // creates files faster than it replaces them, which would favour whoever runs first).
    let prefix = format!("{}-r{}/", a.imp, a.round);
    let body = Bytes::from(vec![7u8; 4096]);
    // On fake-gcs-server some libraries' calls are not served (object_store writes through
    // the XML API, OpenDAL's chunked writer uses XML multipart): there a failed phase is
    // recorded as `null` with its error, so the table says why. Elsewhere any error aborts.
    let tolerant = a.cloud == "gcs";
    let mut errors = serde_json::Map::new();
    let mut phase = |name: &str, r: Result<f64>| -> Result<Option<f64>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if tolerant => {
                let msg: String = format!("{e:#}").chars().take(300).collect();
                eprintln!("{name}: {msg}");
                errors.insert(name.to_string(), msg.into());
                Ok(None)
            }
            Err(e) => Err(e),
        }
    };

    let t = Instant::now();
    let r = async {
        for i in 0..a.small {
            bench.put(&format!("{prefix}small/{i:05}"), body.clone()).await?;
        }
        Ok(a.small as f64 / t.elapsed().as_secs_f64())
    }
    .await;
    let put_ops = phase("put_ops", r)?;
    let t = Instant::now();
    let r = async {
        anyhow::ensure!(put_ops.is_some(), "nothing was put");
        for i in 0..a.small {
            let n = bench.get(&format!("{prefix}small/{i:05}")).await?;
            anyhow::ensure!(n == 4096, "short read");
        }
        Ok(a.small as f64 / t.elapsed().as_secs_f64())
    }
    .await;
    let get_ops = phase("get_ops", r)?;

    let total = a.big_mib * 1024 * 1024;
    let t = Instant::now();
    let r = async {
        bench.put_stream(&format!("{prefix}big.bin"), total).await?;
        Ok(a.big_mib as f64 / t.elapsed().as_secs_f64())
    }
    .await;
    let put_mbs = phase("put_mbs", r)?;
    let t = Instant::now();
    let r = async {
        anyhow::ensure!(put_mbs.is_some(), "nothing was streamed up");
        let n = bench.get_stream(&format!("{prefix}big.bin")).await?;
        anyhow::ensure!(n == total, "big read {n} != {total}");
        Ok(a.big_mib as f64 / t.elapsed().as_secs_f64())
    }
    .await;
    let get_mbs = phase("get_mbs", r)?;

    let t = Instant::now();
    let mut listed = None;
    let r = async {
        listed = Some(bench.list("listing/").await?);
        Ok(t.elapsed().as_secs_f64())
    }
    .await;
    let list_s = phase("list_s", r)?;

    let round1 = |v: Option<f64>| v.map(|x| (x * 10.0).round() / 10.0);
    let row = serde_json::json!({
        "impl": a.imp,
        "put_ops": round1(put_ops),
        "get_ops": round1(get_ops),
        "put_mbs": round1(put_mbs),
        "get_mbs": round1(get_mbs),
        "listed": listed,
        "list_s": list_s.map(|x| (x * 1000.0).round() / 1000.0),
        "peak_rss_mib": round1(Some(peak_rss_mib())),
        "errors": errors,
    });
    println!("{row}");
    Ok(())
}
