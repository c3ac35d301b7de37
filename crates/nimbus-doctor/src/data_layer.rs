//! Layer 7, data plane: can the product do with its bucket what it will do?
//!
//! Why after access and identity: listing buckets (access) needs an account-wide permission
//! many roles lack, and a role scoped to one bucket is the norm in a customer's cloud. So the
//! checks here name the bucket the product uses (`expect.bucket`, or `--bucket`) and ask
//! what matters for it:
//!
//! - `data.storage.list`: one page of one key (`s3:ListBucket`, SAS `l`, `storage.objects.list`);
//! - `data.storage.read`: `head` of a key that cannot exist: "not found" proves reads are
//!   allowed, "permission denied" that they are not (S3 answers 403 for a missing key to a
//!   caller without `s3:ListBucket`: the message says so);
//! - `data.storage.write`, only with `--write-probe`: put, read back, compare and delete one
//!   sentinel object under `.nimbus-doctor/`. This is what catches a store that rejects the
//!   SDK's default request checksums, a SAS without `w`, a policy without `s3:PutObject`, a
//!   read-only local root. It is never attempted when the identity check failed: a probe must
//!   not write into the wrong customer's bucket.
//!
//! The store is opened through the provider's registered opener and wrapped in the standard
//! layers (contract, tracing, timeout) with one attempt per call and a 10 s timeout, so a
//! failure is reported as it happened instead of after the retry budget; the provider's
//! `explain` hook supplies fixes the portable error kind does not carry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use nimbus_core::config::Profile;
use nimbus_core::layers::ServiceDefaults;
use nimbus_core::storage::{ListOptions, PutOptions};
use nimbus_core::{Error, ErrorKind, Storage, StorageExt};
use serde_json::json;

use crate::access_layer::{explain, failed, labels};
use crate::endpoints::Target;
use crate::report::{CheckResult, Layer, Status};
use crate::Inputs;

/// Deadline of each probe.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The prefix under which the write probe puts its sentinel.
pub const PREFIX: &str = ".nimbus-doctor/";

async fn within<T>(f: impl std::future::Future<Output = nimbus_core::Result<T>>) -> nimbus_core::Result<T> {
    crate::access_layer::within(DEADLINE, f).await
}

fn random_name() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// What a probe's verdict needs from the run: the provider (for its `explain` hook), the
/// earlier results and the storage endpoints' labels (for the clock's measurement).
struct Cx<'a> {
    p: &'a nimbus_core::provider::Provider,
    results: &'a [CheckResult],
    labels: Vec<&'a str>,
}

/// A failed probe: the provider's fix if it knows one, else one by kind.
fn failure(cx: &Cx, id: &str, what: &str, e: &Error, by_kind: &str) -> CheckResult {
    let fix = explain(cx.p, e, cx.results, &cx.labels).unwrap_or_else(|| by_kind.to_string());
    CheckResult::new(Layer::Data, id, Status::Fail, format!("{what}: {e}"))
        .fix(fix)
        .evidence(json!({"kind": format!("{:?}", e.kind()), "code": e.raw_code(), "error": e.to_string()}))
}

async fn list(cx: &Cx<'_>, s: &dyn Storage, bucket: &str) -> CheckResult {
    let id = "data.storage.list";
    let mut opts = ListOptions::default();
    opts.page_size = Some(1);
    match within(s.list_page(bucket, &opts, None)).await {
        Ok(page) => CheckResult::new(
            Layer::Data,
            id,
            Status::Pass,
            format!(
                "bucket `{bucket}` answers listings ({})",
                if page.objects.is_empty() { "empty" } else { "not empty" }
            ),
        ),
        Err(e) => {
            let fix = match e.kind() {
                ErrorKind::NotFound => format!("create bucket `{bucket}`, or correct expect.bucket / --bucket (the credentials may also not see it)"),
                ErrorKind::PermissionDenied => "grant listing on this bucket (s3:ListBucket, SAS `l`, storage.objects.list, Swift read ACL)".into(),
                _ => "see this service's network and access checks".into(),
            };
            failure(cx, id, &format!("cannot list bucket `{bucket}`"), &e, &fix)
        }
    }
}

async fn read(cx: &Cx<'_>, s: &dyn Storage, bucket: &str) -> CheckResult {
    let id = "data.storage.read";
    let key = format!("{PREFIX}absent-{}", random_name());
    match within(s.head(bucket, &key)).await {
        Err(e) if e.kind() == ErrorKind::NotFound => CheckResult::new(
            Layer::Data,
            id,
            Status::Pass,
            format!("reads allowed in `{bucket}` (a key that does not exist answers not-found)"),
        ),
        Ok(_) => CheckResult::new(
            Layer::Data,
            id,
            Status::Pass,
            format!("reads allowed in `{bucket}` (`{key}` unexpectedly exists)"),
        ),
        Err(e) => {
            let fix = match e.kind() {
                ErrorKind::PermissionDenied => "grant reads on this bucket (s3:GetObject, and s3:ListBucket so a missing key answers 404 rather than 403; SAS `r`; storage.objects.get)",
                _ => "see this service's network and access checks",
            };
            failure(cx, id, &format!("cannot read in bucket `{bucket}`"), &e, fix)
        }
    }
}

async fn write(cx: &Cx<'_>, s: &dyn Storage, bucket: &str) -> CheckResult {
    let id = "data.storage.write";
    let key = format!("{PREFIX}probe-{}", random_name());
    let body = Bytes::from(format!("nimbus doctor write probe {key}\n"));
    let perm = "grant writes on this bucket (s3:PutObject and s3:DeleteObject; SAS `c`, `w` and `d`; storage.objects.create and delete; a writable local root)";
    // Whatever happens after the put was sent, the sentinel is deleted (a put that timed out
    // may still have been stored), and a sentinel that could not be deleted is named.
    let left = |deleted: &nimbus_core::Result<()>| match deleted {
        Ok(()) => String::new(),
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(_) => format!("; `{key}` may be left in `{bucket}`: delete it by hand"),
    };
    if let Err(e) = within(s.put(bucket, &key, body.clone(), &PutOptions::default())).await {
        let deleted = within(s.delete(bucket, &key)).await;
        let fix = if e.kind() == ErrorKind::PermissionDenied {
            perm
        } else {
            "see the error; the store refused a plain put of a few bytes"
        };
        return failure(
            cx,
            id,
            &format!("cannot write `{key}` in `{bucket}`{}", left(&deleted)),
            &e,
            fix,
        );
    }
    let back = within(s.get_bytes(bucket, &key)).await;
    let deleted = within(s.delete(bucket, &key)).await;
    let left = left(&deleted);
    let gone = match &deleted {
        Ok(()) => matches!(within(s.head(bucket, &key)).await, Err(e) if e.kind() == ErrorKind::NotFound),
        Err(_) => false,
    };
    let r = match back {
        Err(e) => failure(
            cx,
            id,
            &format!("wrote `{key}` in `{bucket}` but cannot read it back{left}"),
            &e,
            "grant reads on this bucket",
        ),
        Ok(b) if b != body => CheckResult::new(
            Layer::Data,
            id,
            Status::Fail,
            format!(
                "wrote {} bytes to `{key}` in `{bucket}` and read back {} different bytes{left}",
                body.len(),
                b.len()
            ),
        )
        .fix("the store or something on the way (a proxy) changes object bodies: see the network checks"),
        Ok(_) => match &deleted {
            Err(e) => failure(
                cx,
                id,
                &format!("wrote and read back `{key}` in `{bucket}`, but cannot delete it (delete it by hand)"),
                e,
                perm,
            ),
            Ok(()) if !gone => CheckResult::new(
                Layer::Data,
                id,
                Status::Warn,
                format!("wrote, read back and deleted `{key}` in `{bucket}`, but it is still visible (an eventually consistent store?)"),
            ),
            Ok(()) => CheckResult::new(
                Layer::Data,
                id,
                Status::Pass,
                format!("put, read back and deleted {} bytes at `{key}` in `{bucket}`", body.len()),
            ),
        },
    };
    r.evidence(json!({"key": key, "bytes": body.len(), "deleted": deleted.is_ok()}))
}

/// The data-plane checks (`results` holds every earlier check).
pub async fn run(inputs: &Inputs, profile: &Profile, targets: &[Target], results: &[CheckResult]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    if !inputs.wants("storage") {
        return out;
    }
    let sc = profile.service("storage");
    let Some(p) = inputs.providers.iter().find(|p| p.name == sc.provider) else {
        return out;
    };
    let Some(bucket) = inputs.bucket.clone().or_else(|| profile.expect.get("bucket").cloned()) else {
        out.push(CheckResult::skipped(
            Layer::Data,
            "data.storage",
            &format!(
                "no bucket named: set `bucket` in [profiles.{}.expect] or pass --bucket",
                profile.name
            ),
        ));
        return out;
    };
    let ids = ["data.storage.list", "data.storage.read", "data.storage.write"];
    if let Some(b) = failed(
        results,
        "storage",
        &labels(targets, "storage"),
        &["auth.storage".into()],
    ) {
        for id in ids {
            out.push(CheckResult::skipped(Layer::Data, id, &format!("{} failed", b.id)));
        }
        return out;
    }
    let t = Instant::now();
    let mut settings = sc.settings.clone();
    settings.set("retry_attempts", "1", "nimbus doctor (one attempt per probe)");
    settings.set("timeout", "10s", "nimbus doctor");
    let opened = async {
        let defaults = ServiceDefaults::from_settings("storage", &settings)?;
        Ok::<Arc<dyn Storage>, Error>(defaults.storage(within(p.open_storage(settings.clone())).await?))
    }
    .await;
    let s = match opened {
        Ok(s) => s,
        Err(e) => {
            for id in ids {
                out.push(
                    CheckResult::new(Layer::Data, id, Status::Fail, format!("cannot open storage: {e}"))
                        .fix("see config.settings.storage"),
                );
            }
            return out;
        }
    };
    let cx = Cx {
        p,
        results,
        labels: labels(targets, "storage"),
    };
    let listed = list(&cx, &*s, &bucket).await.since(t);
    // A bucket that is missing (or invisible) answers "not found" to every key too: the read
    // and write probes would only repeat it, or worse, read as "reads allowed".
    if listed.status == Status::Fail && listed.evidence["kind"] == "NotFound" {
        out.push(listed);
        for id in ["data.storage.read", "data.storage.write"] {
            out.push(CheckResult::skipped(
                Layer::Data,
                id,
                &format!("data.storage.list failed: bucket `{bucket}` not found"),
            ));
        }
        return out;
    }
    out.push(listed);
    let t = Instant::now();
    out.push(read(&cx, &*s, &bucket).await.since(t));
    let t = Instant::now();
    let identity_failed = results
        .iter()
        .find(|r| r.id == "identity.storage" && r.status == Status::Fail);
    out.push(if !inputs.write_probe {
        CheckResult::skipped(
            Layer::Data,
            "data.storage.write",
            &format!("writes are probed only with --write-probe (put, read back and delete one object under {PREFIX})"),
        )
    } else if let Some(f) = identity_failed {
        CheckResult::skipped(
            Layer::Data,
            "data.storage.write",
            &format!(
                "{} failed: never write into a bucket the credentials may not be meant for",
                f.id
            ),
        )
    } else {
        write(&cx, &*s, &bucket).await.since(t)
    });
    out
}
