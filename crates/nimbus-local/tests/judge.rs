//! The harness judges both ways: an undeclared capability that fails with the typed error is
//! `unsupported`; one that works anyway, or fails with another error, is `fail`; a declared
//! difference that is not observed is a stale `fail`; an observed but undeclared difference is
//! a `fail`.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use nimbus_conformance::registry::declared;
use nimbus_conformance::{open_target, run, Outcome, Report, Target, TargetSpec};
use nimbus_core::storage::*;
use nimbus_core::{async_trait, Capability, Error, Result, Storage, StorageCapabilities};

/// Wraps a store, hides copy from the declared capabilities and either refuses copies with
/// the typed error (`honest`) or performs them anyway (a lying adapter).
#[derive(Debug)]
struct NoCopy {
    inner: Arc<dyn Storage>,
    honest: bool,
}

#[async_trait]
impl Storage for NoCopy {
    fn provider(&self) -> &'static str {
        "no-copy"
    }
    fn capabilities(&self) -> StorageCapabilities {
        let mut c = self.inner.capabilities();
        c.copy = false;
        c.copy_if_not_exists = false;
        c
    }
    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        None
    }
    async fn create_bucket(&self, b: &str, o: &CreateBucketOptions) -> Result<()> {
        self.inner.create_bucket(b, o).await
    }
    async fn delete_bucket(&self, b: &str) -> Result<()> {
        self.inner.delete_bucket(b).await
    }
    async fn bucket_exists(&self, b: &str) -> Result<bool> {
        self.inner.bucket_exists(b).await
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        self.inner.list_buckets().await
    }
    async fn put(&self, b: &str, k: &str, body: Bytes, o: &PutOptions) -> Result<ObjectMeta> {
        self.inner.put(b, k, body, o).await
    }
    async fn put_stream(&self, b: &str, k: &str, body: ByteStream, o: &PutOptions) -> Result<ObjectMeta> {
        self.inner.put_stream(b, k, body, o).await
    }
    async fn get(&self, b: &str, k: &str, o: &GetOptions) -> Result<GetResult> {
        self.inner.get(b, k, o).await
    }
    async fn head(&self, b: &str, k: &str) -> Result<ObjectMeta> {
        self.inner.head(b, k).await
    }
    async fn delete(&self, b: &str, k: &str) -> Result<()> {
        self.inner.delete(b, k).await
    }
    async fn delete_many(&self, b: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        self.inner.delete_many(b, keys).await
    }
    async fn list_page(&self, b: &str, o: &ListOptions, t: Option<String>) -> Result<ListPage> {
        self.inner.list_page(b, o, t).await
    }
    async fn copy(&self, sb: &str, sk: &str, db: &str, dk: &str, o: &CopyOptions) -> Result<ObjectMeta> {
        if self.honest {
            let cap = if o.if_not_exists {
                Capability::CopyIfNotExists
            } else {
                Capability::Copy
            };
            return Err(Error::unsupported(cap));
        }
        self.inner.copy(sb, sk, db, dk, o).await
    }
    async fn create_multipart(&self, b: &str, k: &str, o: &PutOptions) -> Result<MultipartUpload> {
        self.inner.create_multipart(b, k, o).await
    }
    async fn upload_part(&self, u: &MultipartUpload, n: u32, body: Bytes) -> Result<CompletedPart> {
        self.inner.upload_part(u, n, body).await
    }
    async fn complete_multipart(&self, u: &MultipartUpload, p: &[CompletedPart]) -> Result<ObjectMeta> {
        self.inner.complete_multipart(u, p).await
    }
    async fn abort_multipart(&self, u: &MultipartUpload) -> Result<()> {
        self.inner.abort_multipart(u).await
    }
    async fn presign(&self, b: &str, k: &str, m: PresignMethod, e: Duration) -> Result<String> {
        self.inner.presign(b, k, m, e).await
    }
}

/// A target of the embedded provider on one of its stand-ins (`fs`, `memory`); the scratch
/// directory is kept for the test process.
async fn local(stand_in: &str) -> Target {
    let opened = open_target(TargetSpec {
        provider: &nimbus_local::PROVIDER,
        emulator: Some(stand_in.into()),
        services: Vec::new(),
        settings: Default::default(),
    })
    .await
    .unwrap();
    std::mem::forget(opened.scratch);
    opened.target
}

/// The raw memory store (the judge's tests wrap it in a dishonest adapter).
fn memory_store() -> Arc<dyn Storage> {
    nimbus_local::open_memory(Default::default())
}

async fn storage_only(honest: bool) -> Target {
    let mut t = local("memory").await;
    t.compute = None;
    t.network = None;
    t.storage = Some(Arc::new(NoCopy {
        inner: memory_store(),
        honest,
    }));
    t
}

fn outcome(r: &Report, id: &str) -> (Outcome, String) {
    let c = r
        .cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id}"));
    (c.outcome.clone(), c.detail.clone())
}

#[tokio::test]
async fn undeclared_capability_with_typed_error_is_unsupported() {
    let r = run(&storage_only(true).await, Some("storage.copy")).await;
    let (o, d) = outcome(&r, "storage.copy_object");
    assert_eq!(o, Outcome::Unsupported, "{d}");
    assert_eq!(
        r.cases
            .iter()
            .find(|c| c.id == "storage.copy_object")
            .unwrap()
            .capability
            .as_deref(),
        Some("storage.copy")
    );
    assert_eq!(outcome(&r, "storage.copy_if_not_exists").0, Outcome::Unsupported);
    assert!(r.ok(), "{}", r.to_markdown());
}

/// An adapter that performs a call it does not declare cannot mislead a user: the contract
/// every target runs under refuses the call with the typed error before it reaches the
/// adapter, so the case is `unsupported`, exactly as for an honest adapter.
#[tokio::test]
async fn undeclared_capability_that_works_anyway_is_held_to_its_declaration() {
    let r = run(&storage_only(false).await, Some("storage.copy_object")).await;
    let (o, d) = outcome(&r, "storage.copy_object");
    assert_eq!(o, Outcome::Unsupported, "{d}");
    assert!(r.ok());
}

/// An unsupported error that names no capability fails its case: only an adapter that says
/// a whole service is not implemented (`Error::not_implemented`, nothing declared) is
/// reported `unsupported` wholesale.
#[tokio::test]
async fn unsupported_without_a_capability_fails_unless_the_service_says_not_implemented() {
    let mut t = local("memory").await;
    t.compute = None;
    t.network = None;
    t.storage = Some(Arc::new(Vague(memory_store())));
    let r = run(&t, Some("storage.put_get_round_trip")).await;
    let (o, d) = outcome(&r, "storage.put_get_round_trip");
    assert_eq!(o, Outcome::Fail, "{d}");
}

/// Answers every put with an unsupported error that names no capability.
#[derive(Debug)]
struct Vague(Arc<dyn Storage>);

#[async_trait]
impl Storage for Vague {
    fn provider(&self) -> &'static str {
        "vague"
    }
    fn capabilities(&self) -> StorageCapabilities {
        self.0.capabilities()
    }
    async fn create_bucket(&self, b: &str, o: &CreateBucketOptions) -> Result<()> {
        self.0.create_bucket(b, o).await
    }
    async fn delete_bucket(&self, b: &str) -> Result<()> {
        self.0.delete_bucket(b).await
    }
    async fn bucket_exists(&self, b: &str) -> Result<bool> {
        self.0.bucket_exists(b).await
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        Err(Error::new(nimbus_core::ErrorKind::Unsupported, "no"))
    }
    async fn put(&self, _: &str, _: &str, _: Bytes, _: &PutOptions) -> Result<ObjectMeta> {
        Err(Error::new(nimbus_core::ErrorKind::Unsupported, "no"))
    }
    async fn put_stream(&self, b: &str, k: &str, body: ByteStream, o: &PutOptions) -> Result<ObjectMeta> {
        self.0.put_stream(b, k, body, o).await
    }
    async fn get(&self, b: &str, k: &str, o: &GetOptions) -> Result<GetResult> {
        self.0.get(b, k, o).await
    }
    async fn head(&self, b: &str, k: &str) -> Result<ObjectMeta> {
        self.0.head(b, k).await
    }
    async fn delete(&self, b: &str, k: &str) -> Result<()> {
        self.0.delete(b, k).await
    }
    async fn delete_many(&self, b: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        self.0.delete_many(b, keys).await
    }
    async fn list_page(&self, b: &str, o: &ListOptions, t: Option<String>) -> Result<ListPage> {
        self.0.list_page(b, o, t).await
    }
    async fn copy(&self, sb: &str, sk: &str, db: &str, dk: &str, o: &CopyOptions) -> Result<ObjectMeta> {
        self.0.copy(sb, sk, db, dk, o).await
    }
    async fn create_multipart(&self, b: &str, k: &str, o: &PutOptions) -> Result<MultipartUpload> {
        self.0.create_multipart(b, k, o).await
    }
    async fn upload_part(&self, u: &MultipartUpload, n: u32, body: Bytes) -> Result<CompletedPart> {
        self.0.upload_part(u, n, body).await
    }
    async fn complete_multipart(&self, u: &MultipartUpload, p: &[CompletedPart]) -> Result<ObjectMeta> {
        self.0.complete_multipart(u, p).await
    }
    async fn abort_multipart(&self, u: &MultipartUpload) -> Result<()> {
        self.0.abort_multipart(u).await
    }
    async fn presign(&self, b: &str, k: &str, m: PresignMethod, e: Duration) -> Result<String> {
        self.0.presign(b, k, m, e).await
    }
}

#[tokio::test]
async fn stale_and_undeclared_differences_fail() {
    // The memory store has no key/prefix collision: declaring one is stale.
    let mut t = local("memory").await;
    t.differences = declared("local-fs");
    let r = run(&t, Some("storage.key_and_prefix_coexist")).await;
    let (o, d) = outcome(&r, "storage.key_and_prefix_coexist");
    assert_eq!(o, Outcome::Fail);
    assert!(d.contains("stale difference"), "{d}");

    // Unless the declaration says the difference is intermittent (a race).
    let mut t = local("memory").await;
    t.differences = declared("local-fs");
    t.differences.iter_mut().for_each(|d| d.intermittent = true);
    let r = run(&t, Some("storage.key_and_prefix_coexist")).await;
    let (o, d) = outcome(&r, "storage.key_and_prefix_coexist");
    assert_eq!(o, Outcome::Pass, "{d}");
    assert!(d.contains("intermittent"), "{d}");

    // The filesystem store has it: not declaring it fails.
    let mut t = local("fs").await;
    t.differences.clear();
    let r = run(&t, Some("storage.key_and_prefix_coexist")).await;
    let (o, d) = outcome(&r, "storage.key_and_prefix_coexist");
    assert_eq!(o, Outcome::Fail);
    assert!(
        d.contains("undeclared difference `local-fs-key-prefix-collision`"),
        "{d}"
    );

    // Declared and observed: differs, with the source in the detail.
    let t = local("fs").await;
    let r = run(&t, Some("storage.key_and_prefix_coexist")).await;
    let (o, d) = outcome(&r, "storage.key_and_prefix_coexist");
    assert_eq!(o, Outcome::Differs, "{d}");
    assert!(d.contains("docs/design/0006-local-provider.md"), "{d}");
}

#[tokio::test]
async fn reports_render_in_every_format() {
    let r = run(&storage_only(true).await, Some("storage.copy")).await;
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["provider"], "local-memory");
    assert!(json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"].is_string() && c["outcome"].is_string()));
    // copy_object, copy_if_not_exists and copy_missing_source.
    assert_eq!(json["summary"]["unsupported"], 3);
    let junit = r.to_junit();
    assert!(
        junit.starts_with("<?xml") && junit.contains("<skipped message=\"unsupported: storage.copy"),
        "{junit}"
    );
    let md = r.to_markdown();
    assert!(md.contains("| `storage.copy_object` | storage | unsupported |"), "{md}");
}
