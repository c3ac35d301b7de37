//! The soak: many mixed operations from concurrent tasks through the fault proxy, then an
//! independent check that nothing was lost, corrupted or read short (issue 17).
//!
//! Each task owns its keys, so the expected state of every key is known exactly: after a
//! failed write or delete, a clean client (straight at the backend, no proxy) reads the key at
//! once, and it must hold the old object or the new one, whole; that becomes the expectation.
//! At the end the clean client reads every key again and compares bytes (SHA-256), content
//! type and metadata. Pass: zero lost, zero corrupted, zero short or wrong reads, zero ghosts,
//! every failure a typed error of the right kind, memory and open files flat.
//!
//! `NIMBUS_SOAK_OPS` (default 300), `NIMBUS_SOAK_TASKS` (8), `NIMBUS_SOAK_RATE` (0.2),
//! `NIMBUS_SOAK_BACKENDS` (all six: the four emulators, Swift and Swift's s3api). The full soak (10,000 operations, 32 tasks) is
//! `scripts/soak`; each run appends its figures to `target/reliability/soak.tsv`.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use common::{backend, endpoint, open, upstream};
use futures::StreamExt;
use nimbus::storage::{CopyOptions, GetOptions, GetRange, ListOptions, PutMode, PutOptions, Storage};
use nimbus::{Error, ErrorKind, StorageExt};
use nimbus_fault_proxy::{Fault, FaultProxy, Plan};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const KEYS_PER_TASK: usize = 6;
/// The soaked backend keeps content types (one backend per test process at a time).
static KEEPS_CT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
const BIG: usize = 6 << 20;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Deterministic, non-periodic bytes: any offset or version mix-up changes the digest.
fn content(seed: u64, len: usize) -> Bytes {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    Bytes::from(v)
}

/// What a key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Obj {
    seed: u64,
    len: usize,
    content_type: String,
    seq: String,
}

impl Obj {
    fn bytes(&self) -> Bytes {
        content(self.seed, self.len)
    }
    fn options(&self) -> PutOptions {
        PutOptions::default()
            .content_type(self.content_type.clone())
            .metadata("seq", self.seq.clone())
    }
}

#[derive(Default)]
struct Tally {
    ops: AtomicU64,
    failed: Mutex<BTreeMap<String, u64>>,
    wrong: Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, op: &str, e: &Error) {
        *self
            .failed
            .lock()
            .unwrap()
            .entry(format!("{op}:{}", e.kind()))
            .or_default() += 1;
    }
    fn wrong(&self, what: String) {
        eprintln!("WRONG: {what}");
        self.wrong.lock().unwrap().push(what);
    }
}

/// A failure is typed when its kind says what happened: transient (retryable) after a fault,
/// or the condition the call itself stated.
fn typed(e: &Error, allowed: &[ErrorKind]) -> bool {
    e.is_retryable() || allowed.contains(&e.kind())
}

/// What the clean client sees at `key`: `None` when absent.
async fn observe(clean: &dyn Storage, bucket: &str, key: &str) -> Result<Option<(Bytes, String, String)>, Error> {
    match clean.get(bucket, key, &GetOptions::default()).await {
        Ok(g) => {
            let ct = g.meta.content_type.clone().unwrap_or_default();
            let seq = g.meta.user_metadata.get("seq").cloned().unwrap_or_default();
            Ok(Some((g.bytes().await?, ct, seq)))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the clean client's view is `want`; content types are compared where the backend
/// keeps them (`KEEPS_CT`, set once per soak).
fn matches(seen: &Option<(Bytes, String, String)>, want: &Option<Obj>) -> bool {
    let keeps_ct = KEEPS_CT.load(Ordering::Relaxed);
    match (seen, want) {
        (None, None) => true,
        (Some((b, ct, seq)), Some(o)) => {
            Sha256::digest(b) == Sha256::digest(o.bytes()) && (!keeps_ct || *ct == o.content_type) && *seq == o.seq
        }
        _ => false,
    }
}

/// After a failed write: the key holds `before` or `after`, whole; returns which.
async fn resolve(
    clean: &dyn Storage,
    tally: &Tally,
    bucket: &str,
    key: &str,
    before: Option<Obj>,
    after: Option<Obj>,
) -> Option<Obj> {
    let seen = observe(clean, bucket, key).await.expect("the clean client reads");
    if matches(&seen, &after) {
        after
    } else if matches(&seen, &before) {
        before
    } else {
        tally.wrong(format!(
            "{key}: after a failed write it holds neither the old nor the new object"
        ));
        before
    }
}

#[allow(clippy::too_many_arguments)]
async fn task(
    t: usize,
    ops: u64,
    faulty: Arc<dyn Storage>,
    clean: Arc<dyn Storage>,
    bucket: String,
    tally: Arc<Tally>,
    multipart: bool,
    create_only: bool,
) -> BTreeMap<String, Option<Obj>> {
    let mut rng = SmallRng::seed_from_u64(1000 + t as u64);
    let keys: Vec<String> = (0..KEYS_PER_TASK).map(|k| format!("t{t:02}/k{k}")).collect();
    let mut model: BTreeMap<String, Option<Obj>> = keys.iter().map(|k| (k.clone(), None)).collect();
    for n in 0..ops {
        tally.ops.fetch_add(1, Ordering::Relaxed);
        let key = keys[rng.gen_range(0..keys.len())].clone();
        let before = model[&key].clone();
        let new = |rng: &mut SmallRng, len: usize| Obj {
            seed: rng.gen(),
            len,
            content_type: format!("application/x-soak-{}", n % 3),
            seq: format!("{t}-{n}"),
        };
        let roll = rng.gen_range(0..100);
        match roll {
            // Small puts, overwrite.
            0..=29 => {
                let len = [0, 1, 777, 4096, 65_536, 200_000][rng.gen_range(0..6)];
                let o = new(&mut rng, len);
                match faulty.put(&bucket, &key, o.bytes(), &o.options()).await {
                    Ok(m) if m.size == len as u64 => {
                        model.insert(key, Some(o));
                    }
                    Ok(m) => tally.wrong(format!("{key}: put of {len} bytes answered size {}", m.size)),
                    Err(e) => {
                        if !typed(&e, &[]) {
                            tally.wrong(format!("{key}: put failed untyped: {e}"));
                        }
                        tally.fail("put", &e);
                        let now = resolve(&*clean, &tally, &bucket, &key, before, Some(o)).await;
                        model.insert(key, now);
                    }
                }
            }
            // Streamed (multi-part where the provider splits) puts.
            30..=34 if multipart => {
                let o = new(&mut rng, BIG);
                let body = futures::stream::iter(
                    o.bytes()
                        .chunks(256 * 1024)
                        .map(|c| Ok(Bytes::copy_from_slice(c)))
                        .collect::<Vec<_>>(),
                )
                .boxed();
                match faulty.put_stream(&bucket, &key, body, &o.options()).await {
                    Ok(_) => {
                        model.insert(key, Some(o));
                    }
                    Err(e) => {
                        if !typed(&e, &[]) {
                            tally.wrong(format!("{key}: streamed put failed untyped: {e}"));
                        }
                        tally.fail("put_stream", &e);
                        let now = resolve(&*clean, &tally, &bucket, &key, before, Some(o)).await;
                        model.insert(key, now);
                    }
                }
            }
            // Whole gets.
            30..=59 => match (faulty.get(&bucket, &key, &GetOptions::default()).await, &before) {
                (Ok(g), Some(o)) => match g.bytes().await {
                    Ok(b) if b == o.bytes() => {}
                    Ok(b) => tally.wrong(format!(
                        "{key}: read {} bytes that are not the object ({} bytes)",
                        b.len(),
                        o.len
                    )),
                    Err(e) => {
                        if !typed(&e, &[]) {
                            tally.wrong(format!("{key}: body failed untyped: {e}"));
                        }
                        tally.fail("get_body", &e);
                    }
                },
                (Ok(_), None) => tally.wrong(format!("{key}: an absent key was read")),
                (Err(e), None) if e.kind() == ErrorKind::NotFound => {}
                (Err(e), _) => {
                    if !typed(&e, &[]) {
                        tally.wrong(format!("{key}: get failed untyped: {e}"));
                    }
                    tally.fail("get", &e);
                }
            },
            // Ranged gets.
            60..=69 => {
                let Some(o) = before.filter(|o| o.len > 2) else {
                    continue;
                };
                let a = rng.gen_range(0..o.len - 1) as u64;
                let b = rng.gen_range(a + 1..=o.len as u64);
                let opts = GetOptions::range(GetRange::Bounded(a..b));
                match faulty.get(&bucket, &key, &opts).await {
                    Ok(g) => match g.bytes().await {
                        Ok(got) if got == o.bytes().slice(a as usize..b as usize) => {}
                        Ok(got) => tally.wrong(format!("{key}: range {a}..{b} read {} wrong bytes", got.len())),
                        Err(e) => tally.fail("get_range_body", &e),
                    },
                    Err(e) => {
                        if !typed(&e, &[]) {
                            tally.wrong(format!("{key}: ranged get failed untyped: {e}"));
                        }
                        tally.fail("get_range", &e);
                    }
                }
            }
            // Listings of the task's own keys.
            70..=79 => {
                let mut listed = Vec::new();
                let mut failed = None;
                let mut s = faulty.list(&bucket, ListOptions::prefix(format!("t{t:02}/")));
                while let Some(item) = s.next().await {
                    match item {
                        Ok(nimbus::storage::ListEntry::Object(m)) => listed.push(m.key),
                        Ok(_) => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match failed {
                    None => {
                        let want: Vec<&String> = model.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k).collect();
                        let got: Vec<&String> = listed.iter().collect();
                        if got != want {
                            tally.wrong(format!("t{t:02}: listed {got:?}, expected {want:?}"));
                        }
                    }
                    Some(e) => {
                        if !typed(&e, &[]) {
                            tally.wrong(format!("t{t:02}: list failed untyped: {e}"));
                        }
                        tally.fail("list", &e);
                    }
                }
            }
            // Copies between the task's keys.
            80..=86 => {
                let src = keys[rng.gen_range(0..keys.len())].clone();
                let Some(o) = model[&src].clone() else { continue };
                if src == key {
                    continue;
                }
                match faulty.copy(&bucket, &src, &bucket, &key, &CopyOptions::default()).await {
                    Ok(_) => {
                        model.insert(key, Some(o));
                    }
                    Err(e) => {
                        if !typed(&e, &[]) {
                            tally.wrong(format!("{key}: copy failed untyped: {e}"));
                        }
                        tally.fail("copy", &e);
                        let now = resolve(&*clean, &tally, &bucket, &key, before, Some(o)).await;
                        model.insert(key, now);
                    }
                }
            }
            // Deletes.
            87..=94 => match faulty.delete(&bucket, &key).await {
                Ok(()) => {
                    model.insert(key, None);
                }
                Err(e) => {
                    if !typed(&e, &[]) {
                        tally.wrong(format!("{key}: delete failed untyped: {e}"));
                    }
                    tally.fail("delete", &e);
                    let now = resolve(&*clean, &tally, &bucket, &key, before, None).await;
                    model.insert(key, now);
                }
            },
            // Create-only puts: a lost answer makes the retry's AlreadyExists ambiguous, so a
            // failure is resolved by reading.
            _ => {
                let o = new(&mut rng, 1024);
                let mut opts = o.options();
                opts.mode = PutMode::Create;
                if !create_only {
                    // Not declared (Swift's s3api): refused as Unsupported before any request,
                    // the key untouched; the model stays as it was.
                    match faulty.put(&bucket, &key, o.bytes(), &opts).await {
                        Err(e) if e.kind() == ErrorKind::Unsupported => {}
                        other => tally.wrong(format!("{key}: an undeclared create-only put gave {other:?}")),
                    }
                    continue;
                }
                match (faulty.put(&bucket, &key, o.bytes(), &opts).await, &before) {
                    (Ok(_), None) => {
                        model.insert(key, Some(o));
                    }
                    (Ok(_), Some(_)) => tally.wrong(format!("{key}: a create-only put replaced an object")),
                    (Err(e), _) => {
                        if !typed(&e, &[ErrorKind::AlreadyExists, ErrorKind::PreconditionFailed]) {
                            tally.wrong(format!("{key}: create-only put failed untyped: {e}"));
                        }
                        tally.fail("put_create", &e);
                        let after = if before.is_none() { Some(o) } else { before.clone() };
                        let now = resolve(&*clean, &tally, &bucket, &key, before, after).await;
                        model.insert(key, now);
                    }
                }
            }
        }
    }
    model
}

/// Resident memory (KiB) and open file descriptors of this process.
fn footprint() -> (u64, usize) {
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0);
    let fds = std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0);
    (rss, fds)
}

async fn soak(name: &str) {
    let b = backend(name);
    let Some(ep) = endpoint(b) else { return };
    KEEPS_CT.store(b.keeps_content_type, Ordering::Relaxed);
    let ops = env_num("NIMBUS_SOAK_OPS", 300);
    let tasks = env_num("NIMBUS_SOAK_TASKS", 8) as usize;
    let rate = std::env::var("NIMBUS_SOAK_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.2);
    let proxy = FaultProxy::start(upstream(&ep), Plan::none())
        .await
        .expect("proxy starts");
    let clean = open(&(b.profile)(&ep)).await;
    let faulty = open(&(b.profile)(&proxy.url())).await;
    let bucket = format!("soak-{}", std::process::id());
    if !clean.bucket_exists(&bucket).await.unwrap() {
        clean.create_bucket(&bucket, &Default::default()).await.unwrap();
    }
    // Multi-part puts only where the provider splits streams into parts of 5 MiB or less.
    let caps = faulty.capabilities();
    let multipart = caps.multipart && caps.multipart_min_part_size <= 5 << 20;
    proxy.set_plan(Plan::new(rate, Fault::all(), u64::MAX, 17));
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let (rss0, fds0) = footprint();
    let per_task = ops.div_ceil(tasks as u64);
    let mut handles = Vec::new();
    for t in 0..tasks {
        handles.push(tokio::spawn(task(
            t,
            per_task,
            faulty.clone(),
            clean.clone(),
            bucket.clone(),
            tally.clone(),
            multipart,
            caps.put_create_only,
        )));
    }
    let mut model = BTreeMap::new();
    for h in handles {
        model.extend(h.await.expect("a soak task panicked"));
    }
    let elapsed = start.elapsed();
    proxy.set_plan(Plan::none());
    let (rss1, fds1) = footprint();

    // The independent check.
    let (mut lost, mut corrupted, mut ghosts, mut present) = (0, 0, 0, 0);
    for (key, want) in &model {
        let seen = observe(&*clean, &bucket, key).await.expect("the clean client reads");
        match (&seen, want) {
            (None, Some(_)) => lost += 1,
            (Some(_), None) => ghosts += 1,
            _ if !matches(&seen, want) => corrupted += 1,
            _ => {}
        }
        if want.is_some() {
            present += 1;
        }
    }
    let keys: Vec<String> = model.keys().cloned().collect();
    clean.delete_all(&bucket, keys).await.ok();
    clean.delete_bucket(&bucket).await.ok();

    let failed = tally.failed.lock().unwrap().clone();
    let wrong = tally.wrong.lock().unwrap().clone();
    let counts = proxy.stats().counts();
    let requests: u64 = counts.values().sum();
    let line = format!(
        "{name}\t{ops}\t{tasks}\t{rate}\t{requests}\t{faults}\t{failed_ops}\t{present}\t{lost}\t{corrupted}\t{ghosts}\t{wrong}\t{rss0}\t{rss1}\t{fds0}\t{fds1}\t{secs:.1}\t{counts:?}\t{failed:?}",
        ops = tally.ops.load(Ordering::Relaxed),
        faults = proxy.stats().faults(),
        failed_ops = failed.values().sum::<u64>(),
        wrong = wrong.len(),
        secs = elapsed.as_secs_f64(),
    );
    eprintln!("{line}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/reliability");
    std::fs::create_dir_all(&dir).ok();
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("soak.tsv"))
    {
        let _ = writeln!(f, "{line}");
    }
    assert_eq!(
        (lost, corrupted, ghosts),
        (0, 0, 0),
        "{name}: lost, corrupted, ghost objects"
    );
    assert!(wrong.is_empty(), "{name}: {} wrong results: {wrong:?}", wrong.len());
    assert!(proxy.stats().faults() > 0, "{name}: no fault was injected");
    // Flat: the open connections of a pool come and go; leaked ones would grow with the ops.
    assert!(fds1 <= fds0 + 64, "{name}: open files grew from {fds0} to {fds1}");
    assert!(
        rss1 <= rss0 + 256 * 1024,
        "{name}: memory grew from {rss0} KiB to {rss1} KiB"
    );
}

fn wanted(name: &str) -> bool {
    std::env::var("NIMBUS_SOAK_BACKENDS").map_or(true, |v| v.split(',').any(|b| b.trim() == name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_moto() {
    if wanted("moto") {
        soak("moto").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_s3s_fs() {
    if wanted("s3s-fs") {
        soak("s3s-fs").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_azurite() {
    if wanted("azurite") {
        soak("azurite").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_fake_gcs_server() {
    if wanted("fake-gcs-server") {
        soak("fake-gcs-server").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_swift() {
    if wanted("swift") {
        soak("swift").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_swift_s3api() {
    if wanted("swift-s3api") {
        soak("swift-s3api").await
    }
}
