//! Storage cases.

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use nimbus_core::storage::*;
use nimbus_core::{Capability, ErrorKind, ListOrdering, StorageExt};

use super::{case, Case};
use crate::ctx::{ctx_err as e, expect_kind, gated, portable_or_differs, undeclared, CaseResult, Observed};
use crate::{ensure, Ctx};

type R = CaseResult;

async fn put(c: &Ctx, b: &str, k: &str, data: impl Into<Bytes>) -> Result<ObjectMeta, String> {
    c.storage()
        .put(b, k, data.into(), &PutOptions::default())
        .await
        .map_err(|err| format!("put {k}: {err}"))
}

async fn get(c: &Ctx, b: &str, k: &str) -> Result<Bytes, String> {
    c.storage()
        .get_bytes(b, k)
        .await
        .map_err(|err| format!("get {k}: {err}"))
}

async fn keys(c: &Ctx, b: &str, o: ListOptions) -> Result<Vec<String>, String> {
    Ok(c.storage()
        .list_objects(b, o)
        .await
        .map_err(e("list"))?
        .into_iter()
        .map(|m| m.key)
        .collect())
}

fn pattern(n: usize, seed: u8) -> Bytes {
    Bytes::from(
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect::<Vec<u8>>(),
    )
}

/// Storage cases.
pub fn cases() -> Vec<Case> {
    vec![
        case!(
            storage,
            "a created bucket exists and is listed",
            bucket_create_and_exists
        ),
        case!(
            storage,
            "creating an existing bucket is AlreadyExists",
            bucket_create_duplicate
        ),
        case!(
            storage,
            "invalid bucket names are InvalidInput before any call",
            bucket_invalid_names
        ),
        case!(
            storage,
            "deleting a bucket with objects is Conflict",
            bucket_delete_non_empty
        ),
        case!(storage, "deleting a missing bucket is NotFound", bucket_delete_missing),
        case!(
            storage,
            "object calls on a missing bucket are NotFound",
            bucket_missing_object_ops
        ),
        case!(storage, "bytes put are the bytes got", put_get_round_trip),
        case!(storage, "a zero-byte object round-trips", put_empty_object),
        case!(storage, "every byte value 0..=255 round-trips", put_all_byte_values),
        case!(storage, "a second put replaces the object", put_overwrite_replaces),
        case!(storage, "head gives size, ETag, version and mtime", head_metadata),
        case!(storage, "head of a missing key is NotFound", head_missing),
        case!(storage, "get of a missing key is NotFound", get_missing),
        case!(storage, "the content type is kept", content_type_round_trip),
        case!(
            storage,
            "if-modified-since and if-unmodified-since follow HTTP on every provider",
            get_date_conditions
        ),
        case!(
            storage,
            "Cache-Control, Content-Disposition, Content-Encoding, Content-Language are kept by put, copy and multipart",
            http_attributes_round_trip
        ),
        case!(
            storage,
            "an HTTP attribute carrying a line break is refused before any request",
            http_attribute_injection_refused
        ),
        case!(
            storage,
            "a content type carrying a line break is refused before any request",
            content_type_injection_refused
        ),
        case!(
            storage,
            "user metadata is kept (names in their case where declared, else lower-case)",
            user_metadata_round_trip
        ),
        case!(
            storage,
            "metadata names keep their case exactly where the provider declares it",
            metadata_name_case
        ),
        case!(
            storage,
            "metadata names that differ only in case, or carry a line break, are refused",
            metadata_name_collision_refused
        ),
        case!(
            storage,
            "ETag and version change when content changes",
            etag_changes_with_content
        ),
        case!(storage, "create-only put of a new key succeeds", put_create_only_new),
        case!(
            storage,
            "create-only put of an existing key is AlreadyExists and keeps the object",
            put_create_only_existing
        ),
        case!(
            storage,
            "of 8 concurrent create-only puts exactly one wins",
            put_create_only_race
        ),
        case!(
            storage,
            "update-if-version with the current version succeeds",
            put_if_version_match
        ),
        case!(
            storage,
            "update-if-version with a stale version is PreconditionFailed",
            put_if_version_stale
        ),
        case!(
            storage,
            "get with a wrong if-match is PreconditionFailed, right one succeeds",
            get_if_match
        ),
        case!(
            storage,
            "get with a matching if-none-match is NotModified",
            get_if_none_match
        ),
        case!(
            storage,
            "a bounded range returns exactly those bytes",
            ranged_get_bounded
        ),
        case!(storage, "a suffix range returns the last bytes", ranged_get_suffix),
        case!(storage, "an open range returns the rest", ranged_get_from_offset),
        case!(
            storage,
            "a range starting past the end is InvalidInput",
            ranged_get_past_end
        ),
        case!(
            storage,
            "a 3 MiB object streams in several chunks, byte-exact",
            get_streams_large_object
        ),
        case!(
            storage,
            "a streamed put stores every chunk in order",
            put_stream_round_trip
        ),
        case!(storage, "a deleted object is gone", delete_removes),
        case!(
            storage,
            "deleting a missing key succeeds (idempotent)",
            delete_missing_is_ok
        ),
        case!(storage, "batch delete removes every key and reports each", delete_many),
        case!(
            storage,
            "listing a prefix returns exactly the keys under it",
            list_prefix
        ),
        case!(
            storage,
            "listing is in UTF-8 byte order where declared lexicographic",
            list_order
        ),
        case!(storage, "a delimiter groups keys into common prefixes", list_delimiter),
        case!(storage, "start-after is exclusive", list_start_after_exclusive),
        case!(
            storage,
            "small pages cover every key once, with tokens",
            list_pagination
        ),
        case!(storage, "an empty bucket lists nothing", list_empty_bucket),
        case!(storage, "copy duplicates content and metadata", copy_object),
        case!(
            storage,
            "copy if-not-exists onto an existing key is AlreadyExists",
            copy_if_not_exists
        ),
        case!(storage, "copying a missing key is NotFound", copy_missing_source),
        case!(storage, "parts assemble in order into one object", multipart_round_trip),
        case!(
            storage,
            "a non-last part below the minimum is rejected",
            multipart_part_too_small
        ),
        case!(storage, "an aborted upload leaves no object", multipart_abort),
        case!(
            storage,
            "completing an upload with no parts makes an empty object",
            multipart_zero_parts
        ),
        case!(
            storage,
            "the streaming writer uploads a multi-part object byte-exact",
            writer_streams_in_parts
        ),
        case!(storage, "a presigned GET URL returns the object", presign_get),
        case!(storage, "a presigned PUT URL stores the body", presign_put),
        case!(
            storage,
            "a presigned URL for another key is refused",
            presign_tampered_rejected
        ),
        case!(
            storage,
            "a zero expiry or one past the declared maximum is invalid input",
            presign_expiry_out_of_range
        ),
        case!(
            storage,
            "non-ASCII keys round-trip and list as written",
            key_unicode_round_trip
        ),
        case!(
            storage,
            "spaces, +, %, ?, #, = and & in keys round-trip",
            key_special_characters
        ),
        case!(
            storage,
            "traversal, NUL, control, bidi and backslash keys are InvalidInput",
            key_invalid_rejected
        ),
        case!(
            storage,
            "a key of the declared maximum length works; one byte more is InvalidInput",
            key_max_length
        ),
        case!(storage, "`a` and `a/b` can both be objects", key_and_prefix_coexist),
        case!(storage, "a key ending in `/` can be stored", directory_marker_key),
    ]
}

async fn bucket_create_and_exists(c: Ctx) -> R {
    let b = c.bucket().await?;
    ensure!(
        c.storage().bucket_exists(&b).await.map_err(e("exists"))?,
        "bucket {b} does not exist after create"
    );
    let all = c.storage().list_buckets().await.map_err(e("list buckets"))?;
    ensure!(all.iter().any(|x| x.name == b), "bucket {b} not listed");
    ensure!(
        !c.storage().bucket_exists(&c.name()).await.map_err(e("exists"))?,
        "a never-created bucket exists"
    );
    Ok(Observed::Pass)
}

async fn bucket_create_duplicate(c: Ctx) -> R {
    let b = c.bucket().await?;
    match c.storage().create_bucket(&b, &Default::default()).await {
        // S3 in us-east-1 answers 200 to re-creating a bucket you own (legacy behaviour).
        Ok(()) => portable_or_differs(
            false,
            "create-bucket-owned-returns-ok",
            "re-creating an owned bucket succeeded",
        ),
        r => {
            expect_kind("create twice", r, ErrorKind::AlreadyExists)?;
            Ok(Observed::Pass)
        }
    }
}

async fn bucket_invalid_names(c: Ctx) -> R {
    for bad in [
        "ab",
        "UPPER-case",
        "under_score",
        "-dash",
        "dash-",
        "dot.ted",
        "a--b",
        "ünï",
    ] {
        expect_kind(
            bad,
            c.storage().create_bucket(bad, &Default::default()).await,
            ErrorKind::InvalidInput,
        )?;
    }
    Ok(Observed::Pass)
}

async fn bucket_delete_non_empty(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "k", "v").await?;
    let r = c.storage().delete_bucket(&b).await;
    if r.is_ok() {
        return portable_or_differs(
            false,
            "delete-non-empty-bucket-succeeds",
            "a bucket holding an object was deleted",
        );
    }
    if let Err(err) = &r {
        if err.kind() != ErrorKind::Conflict {
            ensure!(get(&c, &b, "k").await? == "v", "object lost");
            return portable_or_differs(
                false,
                "delete-non-empty-bucket-kind",
                format!("deleting a bucket with objects gave {} ({err})", err.kind()),
            );
        }
    }
    expect_kind("delete non-empty", r, ErrorKind::Conflict)?;
    ensure!(get(&c, &b, "k").await? == "v", "object lost");
    Ok(Observed::Pass)
}

async fn bucket_delete_missing(c: Ctx) -> R {
    expect_kind(
        "delete missing bucket",
        c.storage().delete_bucket(&c.name()).await,
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}

async fn bucket_missing_object_ops(c: Ctx) -> R {
    let b = c.name();
    let s = c.storage();
    let r = s.put(&b, "k", Bytes::from_static(b"x"), &PutOptions::default()).await;
    if r.is_ok() {
        return portable_or_differs(
            false,
            "put-into-missing-bucket-succeeds",
            "a put into a never-created bucket succeeded",
        );
    }
    expect_kind("put", r, ErrorKind::NotFound)?;
    expect_kind(
        "get",
        s.get(&b, "k", &GetOptions::default()).await.map(|_| ()),
        ErrorKind::NotFound,
    )?;
    expect_kind(
        "list",
        s.list_page(&b, &ListOptions::default(), None).await,
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}

async fn put_get_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let data = pattern(10_000, 7);
    let m = put(&c, &b, "dir/obj.bin", data.clone()).await?;
    ensure!(m.size == 10_000, "put reported size {}", m.size);
    ensure!(get(&c, &b, "dir/obj.bin").await? == data, "content differs");
    Ok(Observed::Pass)
}

async fn put_empty_object(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "empty", Bytes::new()).await?;
    ensure!(get(&c, &b, "empty").await?.is_empty(), "not empty");
    ensure!(
        c.storage().head(&b, "empty").await.map_err(e("head"))?.size == 0,
        "size not 0"
    );
    Ok(Observed::Pass)
}

async fn put_all_byte_values(c: Ctx) -> R {
    let b = c.bucket().await?;
    let data: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    put(&c, &b, "bytes", data.clone()).await?;
    ensure!(get(&c, &b, "bytes").await? == data, "content differs");
    Ok(Observed::Pass)
}

async fn put_overwrite_replaces(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "k", "first version, longer").await?;
    put(&c, &b, "k", "second").await?;
    ensure!(get(&c, &b, "k").await? == "second", "not replaced");
    Ok(Observed::Pass)
}

async fn head_metadata(c: Ctx) -> R {
    let b = c.bucket().await?;
    let before = std::time::SystemTime::now() - Duration::from_secs(300);
    let p = put(&c, &b, "k", "hello").await?;
    let h = c.storage().head(&b, "k").await.map_err(e("head"))?;
    ensure!(h.key == "k" && h.size == 5, "head: {h:?}");
    ensure!(
        h.etag.is_some() && h.etag == p.etag,
        "ETag of head {:?} differs from put {:?}",
        h.etag,
        p.etag
    );
    ensure!(h.version.is_some(), "no version token");
    ensure!(
        h.last_modified.is_some_and(|t| t > before),
        "mtime {:?}",
        h.last_modified
    );
    Ok(Observed::Pass)
}

async fn head_missing(c: Ctx) -> R {
    let b = c.bucket().await?;
    expect_kind("head", c.storage().head(&b, "nope").await, ErrorKind::NotFound)?;
    Ok(Observed::Pass)
}

async fn get_missing(c: Ctx) -> R {
    let b = c.bucket().await?;
    expect_kind(
        "get",
        c.storage().get(&b, "nope", &GetOptions::default()).await.map(|_| ()),
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}

async fn content_type_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let o = PutOptions::default().content_type("application/json");
    c.storage()
        .put(&b, "a.json", Bytes::from_static(b"{}"), &o)
        .await
        .map_err(e("put"))?;
    let h = c.storage().head(&b, "a.json").await.map_err(e("head"))?;
    if h.content_type.as_deref() != Some("application/json") {
        return portable_or_differs(
            false,
            "content-type-not-stored",
            format!("put with application/json, head says {:?}", h.content_type),
        );
    }
    Ok(Observed::Pass)
}

async fn get_date_conditions(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "dated", "v1").await?;
    let s = c.storage();
    let h = s.head(&b, "dated").await.map_err(e("head"))?;
    let Some(lm) = h.last_modified else {
        return Err("head gave no last-modified time".into());
    };
    let hour = Duration::from_secs(3600);
    let with = |ims: Option<std::time::SystemTime>, ius: Option<std::time::SystemTime>| {
        let mut o = GetOptions::default();
        o.if_modified_since = ims;
        o.if_unmodified_since = ius;
        o
    };
    let b = b.as_str();
    let get = |o: GetOptions| async move { s.get(b, "dated", &o).await.map(|_| ()) };
    expect_kind(
        "if-modified-since = last-modified",
        get(with(Some(lm), None)).await,
        ErrorKind::NotModified,
    )?;
    get(with(Some(lm - hour), None))
        .await
        .map_err(e("if-modified-since an hour before"))?;
    get(with(None, Some(lm + hour)))
        .await
        .map_err(e("if-unmodified-since an hour after"))?;
    expect_kind(
        "if-unmodified-since an hour before",
        get(with(None, Some(lm - hour))).await,
        ErrorKind::PreconditionFailed,
    )?;
    // An ETag condition outranks its date twin (RFC 9110 §13.2.2).
    if s.capabilities().conditional_get {
        if let Some(etag) = h.etag.clone() {
            let mut o = with(None, Some(lm - hour));
            o.if_match = Some(etag);
            get(o).await.map_err(e("if-match with a failing if-unmodified-since"))?;
        }
    }
    Ok(Observed::Pass)
}

fn attributes() -> PutOptions {
    PutOptions::default()
        .content_type("text/csv")
        .attribute("cache-control", "max-age=60, public")
        .attribute("content-disposition", "attachment; filename=\"report.csv\"")
        // A coding no HTTP client decodes on its own, so the bytes read are the bytes stored
        // (a `gzip` body is transcoded by Cloud Storage for clients that do not accept it).
        .attribute("content-encoding", "x-nimbus-test")
        .attribute("content-language", "en-US")
}

async fn http_attributes_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let o = attributes();
    let body = Bytes::from_static(b"a,b\n1,2\n");
    let put = s.put(&b, "attrs.csv", body.clone(), &o).await;
    if !s.capabilities().http_attributes {
        return undeclared(Capability::HttpAttributes, put);
    }
    put.map_err(e("put"))?;
    let h = s.head(&b, "attrs.csv").await.map_err(e("head"))?;
    ensure!(h.attributes == o.attributes, "head: {:?}", h.attributes);
    let g = s.get(&b, "attrs.csv", &GetOptions::default()).await.map_err(e("get"))?;
    ensure!(g.meta.attributes == o.attributes, "get: {:?}", g.meta.attributes);
    ensure!(g.bytes().await.map_err(e("body"))? == body, "the body changed");
    if s.capabilities().copy {
        s.copy(&b, "attrs.csv", &b, "attrs-copy.csv", &CopyOptions::default())
            .await
            .map_err(e("copy"))?;
        let h = s.head(&b, "attrs-copy.csv").await.map_err(e("head copy"))?;
        ensure!(h.attributes == o.attributes, "copy: {:?}", h.attributes);
    }
    if s.capabilities().multipart {
        let up = s.create_multipart(&b, "attrs-mp.csv", &o).await.map_err(e("create"))?;
        let p = s.upload_part(&up, 1, body.clone()).await.map_err(e("part"))?;
        s.complete_multipart(&up, &[p]).await.map_err(e("complete"))?;
        let h = s.head(&b, "attrs-mp.csv").await.map_err(e("head multipart"))?;
        ensure!(h.attributes == o.attributes, "multipart: {:?}", h.attributes);
    }
    Ok(Observed::Pass)
}

async fn http_attribute_injection_refused(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let o = PutOptions::default().attribute("content-disposition", "inline\r\nx-amz-acl: public-read");
    let put = s.put(&b, "injected", Bytes::from_static(b"x"), &o).await;
    if !s.capabilities().http_attributes {
        return undeclared(Capability::HttpAttributes, put);
    }
    expect_kind("put with a line break in an attribute", put, ErrorKind::InvalidInput)?;
    expect_kind("nothing stored", s.head(&b, "injected").await, ErrorKind::NotFound)?;
    Ok(Observed::Pass)
}

/// Every provider sends the content type as a header; a line break in it would start a header
/// of the caller's choosing. The contract refuses it for put and for a multipart start alike.
async fn content_type_injection_refused(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let o = PutOptions::default().content_type("text/plain\r\nx-amz-acl: public-read");
    let put = s.put(&b, "injected", Bytes::from_static(b"x"), &o).await;
    expect_kind(
        "put with a line break in the content type",
        put,
        ErrorKind::InvalidInput,
    )?;
    if s.capabilities().multipart {
        let up = s.create_multipart(&b, "injected", &o).await;
        expect_kind(
            "multipart start with the same content type",
            up,
            ErrorKind::InvalidInput,
        )?;
    }
    expect_kind("nothing stored", s.head(&b, "injected").await, ErrorKind::NotFound)?;
    Ok(Observed::Pass)
}

async fn user_metadata_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let o = PutOptions::default()
        .metadata("owner", "team-a")
        .metadata("Build", "42");
    let declared = c.storage().capabilities().user_metadata;
    let s = c.storage().clone();
    let b2 = b.clone();
    gated(
        declared,
        Capability::UserMetadata,
        c.storage().put(&b, "m", Bytes::from_static(b"x"), &o),
        move |_| async move {
            let h = s.head(&b2, "m").await.map_err(e("head"))?;
            ensure!(
                h.user_metadata.get("owner").map(String::as_str) == Some("team-a"),
                "metadata {:?}",
                h.user_metadata
            );
            let build = if s.capabilities().metadata_case_preserved {
                "Build"
            } else {
                "build"
            };
            ensure!(
                h.user_metadata.get(build).map(String::as_str) == Some("42"),
                "expected the name `{build}`: {:?}",
                h.user_metadata
            );
            Ok(())
        },
    )
    .await
}

/// Declared both ways: with `metadata_case_preserved` a mixed-case name comes back exactly
/// (from head, get and a listing entry that carries metadata); without it, lower-cased, never
/// in some third spelling (Swift's title case) and never in two spellings at once.
async fn metadata_name_case(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let caps = s.capabilities();
    let o = PutOptions::default().metadata("BuildId", "7").metadata("team", "a");
    let put = s.put(&b, "case", Bytes::from_static(b"x"), &o).await;
    if !caps.user_metadata {
        return undeclared(Capability::UserMetadata, put);
    }
    put.map_err(e("put"))?;
    let want: std::collections::BTreeMap<String, String> = if caps.metadata_case_preserved {
        [("BuildId", "7"), ("team", "a")]
    } else {
        [("buildid", "7"), ("team", "a")]
    }
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let h = s.head(&b, "case").await.map_err(e("head"))?;
    ensure!(
        h.user_metadata == want,
        "head: {:?}, expected {want:?}",
        h.user_metadata
    );
    let g = s.get(&b, "case", &GetOptions::default()).await.map_err(e("get"))?;
    ensure!(
        g.meta.user_metadata == want,
        "get: {:?}, expected {want:?}",
        g.meta.user_metadata
    );
    let page = s
        .list_page(&b, &ListOptions::prefix("case"), None)
        .await
        .map_err(e("list"))?;
    for m in page.objects.iter().filter(|m| !m.user_metadata.is_empty()) {
        ensure!(
            m.user_metadata == want,
            "listing: {:?}, expected {want:?}",
            m.user_metadata
        );
    }
    Ok(Observed::Pass)
}

/// Names that differ only in case would become one entry on every provider that folds case
/// (one value silently lost), and a line break in a value would let it add headers of its own:
/// both are refused before any request, and nothing is stored.
async fn metadata_name_collision_refused(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let twins = PutOptions::default().metadata("Owner", "a").metadata("owner", "b");
    let put = s.put(&b, "twins", Bytes::from_static(b"x"), &twins).await;
    if !s.capabilities().user_metadata {
        return undeclared(Capability::UserMetadata, put);
    }
    expect_kind("put with `Owner` and `owner`", put, ErrorKind::InvalidInput)?;
    let injected = PutOptions::default().metadata("owner", "a\r\nx-amz-acl: public-read");
    let put = s.put(&b, "twins", Bytes::from_static(b"x"), &injected).await;
    expect_kind("put with a line break in a value", put, ErrorKind::InvalidInput)?;
    expect_kind("nothing stored", s.head(&b, "twins").await, ErrorKind::NotFound)?;
    Ok(Observed::Pass)
}

async fn etag_changes_with_content(c: Ctx) -> R {
    let b = c.bucket().await?;
    let a = put(&c, &b, "k", "one").await?;
    let a2 = put(&c, &b, "k2", "one").await?;
    let z = put(&c, &b, "k", "two").await?;
    ensure!(a.etag != z.etag, "ETag unchanged after new content");
    ensure!(a.version != z.version, "version unchanged after new content");
    if a.etag != a2.etag {
        return portable_or_differs(
            false,
            "etag-not-content-hash",
            format!(
                "same content under two keys, different ETags: {:?} {:?}",
                a.etag, a2.etag
            ),
        );
    }
    Ok(Observed::Pass)
}

async fn put_create_only_new(c: Ctx) -> R {
    let b = c.bucket().await?;
    let declared = c.storage().capabilities().put_create_only;
    let o = PutOptions::with_mode(PutMode::Create);
    gated(
        declared,
        Capability::PutCreateOnly,
        c.storage().put(&b, "new", Bytes::from_static(b"x"), &o),
        |_| async { Ok(()) },
    )
    .await
}

async fn put_create_only_existing(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "k", "original").await?;
    let o = PutOptions::with_mode(PutMode::Create);
    let r = c.storage().put(&b, "k", Bytes::from_static(b"intruder"), &o).await;
    if !c.storage().capabilities().put_create_only {
        return undeclared(Capability::PutCreateOnly, r);
    }
    expect_kind("create-only onto existing", r, ErrorKind::AlreadyExists)?;
    ensure!(get(&c, &b, "k").await? == "original", "object was overwritten");
    Ok(Observed::Pass)
}

async fn put_create_only_race(c: Ctx) -> R {
    let b = c.bucket().await?;
    if !c.storage().capabilities().put_create_only {
        let r = c
            .storage()
            .put(&b, "race", Bytes::new(), &PutOptions::with_mode(PutMode::Create))
            .await;
        return undeclared(Capability::PutCreateOnly, r);
    }
    let futs = (0..8).map(|i| {
        let s = c.storage().clone();
        let b = b.clone();
        async move {
            s.put(
                &b,
                "race",
                Bytes::from(format!("writer-{i}")),
                &PutOptions::with_mode(PutMode::Create),
            )
            .await
        }
    });
    let results = futures::future::join_all(futs).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    if wins > 1 {
        return portable_or_differs(
            false,
            "create-only-not-atomic",
            format!("{wins} of 8 concurrent create-only puts won"),
        );
    }
    ensure!(wins == 1, "{wins} writers won the create-only race");
    for r in &results {
        if let Err(err) = r {
            ensure!(err.kind() == ErrorKind::AlreadyExists, "loser got {err}");
        }
    }
    Ok(Observed::Pass)
}

async fn put_if_version_match(c: Ctx) -> R {
    let b = c.bucket().await?;
    let m = put(&c, &b, "k", "v1").await?;
    let v = m.version.clone().unwrap_or_default();
    let declared = c.storage().capabilities().put_if_version;
    let o = PutOptions::with_mode(PutMode::Update(v));
    let (s, b2) = (c.storage().clone(), b.clone());
    gated(
        declared,
        Capability::PutIfVersion,
        c.storage().put(&b, "k", Bytes::from_static(b"v2"), &o),
        move |_| async move {
            ensure!(s.get_bytes(&b2, "k").await.map_err(e("get"))? == "v2", "not updated");
            Ok(())
        },
    )
    .await
}

async fn put_if_version_stale(c: Ctx) -> R {
    let b = c.bucket().await?;
    let m = put(&c, &b, "k", "v1").await?;
    put(&c, &b, "k", "v2").await?;
    let o = PutOptions::with_mode(PutMode::Update(m.version.unwrap_or_default()));
    let r = c.storage().put(&b, "k", Bytes::from_static(b"v3"), &o).await;
    if !c.storage().capabilities().put_if_version {
        return undeclared(Capability::PutIfVersion, r);
    }
    expect_kind("stale update", r, ErrorKind::PreconditionFailed)?;
    ensure!(get(&c, &b, "k").await? == "v2", "stale writer overwrote");
    Ok(Observed::Pass)
}

async fn get_if_match(c: Ctx) -> R {
    let b = c.bucket().await?;
    let m = put(&c, &b, "k", "v").await?;
    let mut wrong = GetOptions::default();
    wrong.if_match = Some("0123456789abcdef0123456789abcdef".into());
    let r = c.storage().get(&b, "k", &wrong).await.map(|_| ());
    if !c.storage().capabilities().conditional_get {
        return undeclared(Capability::ConditionalGet, r);
    }
    if r.is_ok() {
        return portable_or_differs(false, "get-if-match-ignored", "a get with a wrong if-match succeeded");
    }
    expect_kind("wrong if-match", r, ErrorKind::PreconditionFailed)?;
    let mut right = GetOptions::default();
    right.if_match = m.etag.clone();
    let got = c
        .storage()
        .get(&b, "k", &right)
        .await
        .map_err(e("right if-match"))?
        .bytes()
        .await
        .map_err(e("body"))?;
    ensure!(got == "v", "body {got:?}");
    Ok(Observed::Pass)
}

async fn get_if_none_match(c: Ctx) -> R {
    let b = c.bucket().await?;
    let m = put(&c, &b, "k", "v").await?;
    let mut o = GetOptions::default();
    o.if_none_match = m.etag.clone();
    let r = c.storage().get(&b, "k", &o).await.map(|_| ());
    if !c.storage().capabilities().conditional_get {
        return undeclared(Capability::ConditionalGet, r);
    }
    if r.is_ok() {
        return portable_or_differs(
            false,
            "get-if-none-match-ignored",
            "a get with a matching if-none-match succeeded",
        );
    }
    expect_kind("matching if-none-match", r, ErrorKind::NotModified)?;
    o.if_none_match = Some("0123456789abcdef0123456789abcdef".into());
    c.storage().get(&b, "k", &o).await.map_err(e("other if-none-match"))?;
    Ok(Observed::Pass)
}

async fn ranged(c: &Ctx, range: GetRange, expect: std::ops::Range<usize>) -> R {
    let b = c.bucket().await?;
    let data = pattern(1000, 3);
    put(c, &b, "r", data.clone()).await?;
    let declared = c.storage().capabilities().ranged_get;
    let want = data.slice(expect);
    gated(
        declared,
        Capability::RangedGet,
        c.storage().get_range(&b, "r", range),
        move |got: Bytes| async move {
            ensure!(got == want, "got {} bytes, want {}", got.len(), want.len());
            Ok(())
        },
    )
    .await
}

async fn ranged_get_bounded(c: Ctx) -> R {
    ranged(&c, GetRange::Bounded(100..250), 100..250).await
}

async fn ranged_get_suffix(c: Ctx) -> R {
    ranged(&c, GetRange::Suffix(10), 990..1000).await
}

async fn ranged_get_from_offset(c: Ctx) -> R {
    ranged(&c, GetRange::From(900), 900..1000).await
}

async fn ranged_get_past_end(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "r", "short").await?;
    let r = c.storage().get_range(&b, "r", GetRange::From(100)).await;
    if !c.storage().capabilities().ranged_get {
        return undeclared(Capability::RangedGet, r);
    }
    expect_kind("range past end", r, ErrorKind::InvalidInput)?;
    Ok(Observed::Pass)
}

async fn get_streams_large_object(c: Ctx) -> R {
    let b = c.bucket().await?;
    let data = pattern(3 * 1024 * 1024 + 17, 9);
    put(&c, &b, "big", data.clone()).await?;
    let mut res = c
        .storage()
        .get(&b, "big", &GetOptions::default())
        .await
        .map_err(e("get"))?;
    let mut chunks = 0;
    let mut got = Vec::with_capacity(data.len());
    while let Some(ch) = res.body.next().await {
        got.extend_from_slice(&ch.map_err(e("chunk"))?);
        chunks += 1;
    }
    ensure!(got == data, "content differs ({} vs {} bytes)", got.len(), data.len());
    ensure!(
        chunks > 1,
        "body came as one chunk: the object was buffered, not streamed"
    );
    Ok(Observed::Pass)
}

async fn put_stream_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let parts: Vec<Bytes> = (0..20).map(|i| pattern(4096 + i, i as u8)).collect();
    let all: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    let stream: ByteStream = Box::pin(futures::stream::iter(parts.into_iter().map(Ok)));
    let m = c
        .storage()
        .put_stream(&b, "s", stream, &PutOptions::default())
        .await
        .map_err(e("put_stream"))?;
    ensure!(m.size == all.len() as u64, "size {}", m.size);
    ensure!(get(&c, &b, "s").await? == all, "content differs");
    Ok(Observed::Pass)
}

async fn delete_removes(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "a/b", "x").await?;
    c.storage().delete(&b, "a/b").await.map_err(e("delete"))?;
    expect_kind(
        "head after delete",
        c.storage().head(&b, "a/b").await,
        ErrorKind::NotFound,
    )?;
    ensure!(keys(&c, &b, ListOptions::default()).await?.is_empty(), "still listed");
    Ok(Observed::Pass)
}

async fn delete_missing_is_ok(c: Ctx) -> R {
    let b = c.bucket().await?;
    c.storage().delete(&b, "never-was").await.map_err(e("delete missing"))?;
    Ok(Observed::Pass)
}

async fn delete_many(c: Ctx) -> R {
    let b = c.bucket().await?;
    let ks: Vec<String> = (0..25).map(|i| format!("k{i:02}")).collect();
    for k in &ks {
        put(&c, &b, k, "x").await?;
    }
    let mut batch = ks[..20].to_vec();
    batch.push("missing".into());
    let declared = c.storage().capabilities().batch_delete;
    let (s, b2) = (c.storage().clone(), b.clone());
    gated(
        declared,
        Capability::BatchDelete,
        c.storage().delete_many(&b, &batch),
        move |out: Vec<DeleteOutcome>| async move {
            ensure!(out.len() == 21, "{} outcomes for 21 keys", out.len());
            for o in &out {
                ensure!(o.result.is_ok(), "{}: {:?}", o.key, o.result);
            }
            let left: Vec<String> = s
                .list_objects(&b2, ListOptions::default())
                .await
                .map_err(e("list"))?
                .into_iter()
                .map(|m| m.key)
                .collect();
            ensure!(left == vec!["k20", "k21", "k22", "k23", "k24"], "left: {left:?}");
            Ok(())
        },
    )
    .await
}

async fn list_prefix(c: Ctx) -> R {
    let b = c.bucket().await?;
    for k in [
        "photos/a.jpg",
        "photos/b.jpg",
        "photosynthesis.txt",
        "docs/a.txt",
        "photos/2024/c.jpg",
    ] {
        put(&c, &b, k, "x").await?;
    }
    let got = keys(&c, &b, ListOptions::prefix("photos/")).await?;
    ensure!(
        got == vec!["photos/2024/c.jpg", "photos/a.jpg", "photos/b.jpg"],
        "got {got:?}"
    );
    Ok(Observed::Pass)
}

async fn list_order(c: Ctx) -> R {
    let b = c.bucket().await?;
    let ks = ["b", "a0", "B", "a-b", "a/b", "a.b", "é", "z", "0", "aa"];
    for k in ks {
        put(&c, &b, k, "x").await?;
    }
    let got = keys(&c, &b, ListOptions::default()).await?;
    let mut want: Vec<String> = ks.iter().map(|s| s.to_string()).collect();
    want.sort();
    ensure!(
        got.iter().collect::<BTreeSet<_>>() == want.iter().collect::<BTreeSet<_>>(),
        "key set differs: {got:?}"
    );
    if c.storage().capabilities().list_ordering == ListOrdering::Lexicographic {
        ensure!(got == want, "declared lexicographic, got {got:?}");
    }
    Ok(Observed::Pass)
}

async fn list_delimiter(c: Ctx) -> R {
    let b = c.bucket().await?;
    for k in ["a/1", "a/2", "b/1", "c", "d/e/f"] {
        put(&c, &b, k, "x").await?;
    }
    let declared = c.storage().capabilities().list_delimiter;
    let o = ListOptions::default().delimiter("/");
    gated(
        declared,
        Capability::ListDelimiter,
        c.storage().list_page(&b, &o, None),
        |p: ListPage| async move {
            let objs: Vec<&str> = p.objects.iter().map(|o| o.key.as_str()).collect();
            ensure!(objs == vec!["c"], "objects {objs:?}");
            ensure!(
                p.common_prefixes == vec!["a/", "b/", "d/"],
                "prefixes {:?}",
                p.common_prefixes
            );
            Ok(())
        },
    )
    .await
}

async fn list_start_after_exclusive(c: Ctx) -> R {
    let b = c.bucket().await?;
    for k in ["k1", "k2", "k3", "k4"] {
        put(&c, &b, k, "x").await?;
    }
    let declared = c.storage().capabilities().list_start_after;
    let o = ListOptions::default().start_after("k2");
    gated(
        declared,
        Capability::ListStartAfter,
        c.storage().list_page(&b, &o, None),
        |p: ListPage| async move {
            let got: Vec<&str> = p.objects.iter().map(|o| o.key.as_str()).collect();
            ensure!(got == vec!["k3", "k4"], "got {got:?} (start-after must be exclusive)");
            Ok(())
        },
    )
    .await
}

async fn list_pagination(c: Ctx) -> R {
    let b = c.bucket().await?;
    let ks: Vec<String> = (0..7).map(|i| format!("p/{i}")).collect();
    for k in &ks {
        put(&c, &b, k, "x").await?;
    }
    let o = ListOptions::prefix("p/").page_size(2);
    let mut token = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let p = c.storage().list_page(&b, &o, token.take()).await.map_err(e("page"))?;
        pages += 1;
        ensure!(p.objects.len() <= 2, "page of {} with page size 2", p.objects.len());
        seen.extend(p.objects.into_iter().map(|m| m.key));
        match p.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
        ensure!(pages < 20, "pagination does not end");
    }
    ensure!(pages >= 4, "{pages} pages for 7 keys of page size 2");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    ensure!(sorted == ks, "seen {seen:?}");
    let streamed = keys(&c, &b, o).await?;
    ensure!(streamed.len() == 7, "the list stream gave {} keys", streamed.len());
    Ok(Observed::Pass)
}

async fn list_empty_bucket(c: Ctx) -> R {
    let b = c.bucket().await?;
    let p = c
        .storage()
        .list_page(&b, &ListOptions::default(), None)
        .await
        .map_err(e("list"))?;
    ensure!(
        p.objects.is_empty() && p.common_prefixes.is_empty() && p.next_token.is_none(),
        "{p:?}"
    );
    Ok(Observed::Pass)
}

async fn copy_object(c: Ctx) -> R {
    let b = c.bucket().await?;
    let b2 = c.bucket().await?;
    let o = PutOptions::default().content_type("text/plain");
    c.storage()
        .put(&b, "src", Bytes::from_static(b"payload"), &o)
        .await
        .map_err(e("put"))?;
    let r = c.storage().copy(&b, "src", &b2, "dst", &CopyOptions::default()).await;
    if !c.storage().capabilities().copy {
        return undeclared(Capability::Copy, r);
    }
    r.map_err(|err| format!("declares {} but the call failed: {err}", Capability::Copy))?;
    ensure!(get(&c, &b2, "dst").await? == "payload", "content differs");
    let h = c.storage().head(&b2, "dst").await.map_err(e("head"))?;
    if h.content_type.as_deref() != Some("text/plain") {
        return portable_or_differs(
            false,
            "copy-content-type-not-stored",
            format!("copied an object put as text/plain, head says {:?}", h.content_type),
        );
    }
    Ok(Observed::Pass)
}

async fn copy_if_not_exists(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "src", "new").await?;
    put(&c, &b, "dst", "old").await?;
    let mut o = CopyOptions::default();
    o.if_not_exists = true;
    let r = c.storage().copy(&b, "src", &b, "dst", &o).await;
    if !c.storage().capabilities().copy_if_not_exists {
        return undeclared(Capability::CopyIfNotExists, r);
    }
    if r.is_ok() {
        return portable_or_differs(
            false,
            "copy-if-not-exists-ignored",
            "a copy with if-not-exists replaced an existing destination",
        );
    }
    expect_kind("copy onto existing", r, ErrorKind::AlreadyExists)?;
    ensure!(get(&c, &b, "dst").await? == "old", "destination overwritten");
    c.storage()
        .copy(&b, "src", &b, "fresh", &o)
        .await
        .map_err(e("copy to new key"))?;
    ensure!(get(&c, &b, "fresh").await? == "new", "the copy's content differs");
    Ok(Observed::Pass)
}

async fn copy_missing_source(c: Ctx) -> R {
    let b = c.bucket().await?;
    if !c.storage().capabilities().copy {
        return Ok(Observed::Unsupported(
            Some(Capability::Copy),
            "copy not declared".into(),
        ));
    }
    expect_kind(
        "copy missing",
        c.storage().copy(&b, "nope", &b, "dst", &CopyOptions::default()).await,
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}

fn part_size(c: &Ctx) -> usize {
    c.storage().capabilities().multipart_min_part_size.max(1) as usize
}

async fn multipart_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let up = s.create_multipart(&b, "mp", &PutOptions::default()).await;
    if !s.capabilities().multipart {
        return undeclared(Capability::Multipart, up);
    }
    let up = up.map_err(e("create"))?;
    let ps = part_size(&c);
    let bodies = [pattern(ps, 1), pattern(ps, 2), pattern(1234, 3)];
    // Upload out of order: completion must follow part numbers.
    let mut parts = vec![
        s.upload_part(&up, 2, bodies[1].clone()).await.map_err(e("part 2"))?,
        s.upload_part(&up, 1, bodies[0].clone()).await.map_err(e("part 1"))?,
        s.upload_part(&up, 3, bodies[2].clone()).await.map_err(e("part 3"))?,
    ];
    parts.sort_by_key(|p| p.part_number);
    let m = s.complete_multipart(&up, &parts).await.map_err(e("complete"))?;
    let want: Vec<u8> = bodies.iter().flat_map(|b| b.iter().copied()).collect();
    ensure!(m.size == want.len() as u64, "size {}", m.size);
    ensure!(get(&c, &b, "mp").await? == want, "content differs");
    Ok(Observed::Pass)
}

async fn multipart_part_too_small(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    if !s.capabilities().multipart {
        return Ok(Observed::Unsupported(
            Some(Capability::Multipart),
            "multipart not declared".into(),
        ));
    }
    let min = s.capabilities().multipart_min_part_size;
    if min < 2 {
        return Ok(Observed::Unsupported(None, "no minimum part size declared".into()));
    }
    let up = s
        .create_multipart(&b, "small", &PutOptions::default())
        .await
        .map_err(e("create"))?;
    let p1 = s.upload_part(&up, 1, pattern(min as usize - 1, 1)).await;
    let p2 = s.upload_part(&up, 2, pattern(10, 2)).await;
    let r = match (p1, p2) {
        (Ok(a), Ok(b2)) => s.complete_multipart(&up, &[a, b2]).await.map(|_| ()),
        (Err(err), _) | (_, Err(err)) => Err(err),
    };
    let _ = s.abort_multipart(&up).await;
    expect_kind("part below minimum", r, ErrorKind::InvalidInput)?;
    expect_kind("object must not exist", s.head(&b, "small").await, ErrorKind::NotFound)?;
    Ok(Observed::Pass)
}

async fn multipart_zero_parts(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let options = PutOptions::default().content_type("text/csv");
    let up = s.create_multipart(&b, "empty-mp", &options).await;
    if !s.capabilities().multipart {
        return undeclared(Capability::Multipart, up);
    }
    let up = up.map_err(e("create"))?;
    let m = s
        .complete_multipart(&up, &[])
        .await
        .map_err(e("complete with no parts"))?;
    ensure!(m.size == 0, "completed size {}", m.size);
    let head = s.head(&b, "empty-mp").await.map_err(e("head"))?;
    ensure!(head.size == 0, "stored size {}", head.size);
    ensure!(
        head.content_type.as_deref() == Some("text/csv"),
        "content type given at create: {:?}",
        head.content_type
    );
    ensure!(get(&c, &b, "empty-mp").await?.is_empty(), "body is not empty");
    Ok(Observed::Pass)
}

async fn multipart_abort(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    if !s.capabilities().multipart {
        return Ok(Observed::Unsupported(
            Some(Capability::Multipart),
            "multipart not declared".into(),
        ));
    }
    let up = s
        .create_multipart(&b, "aborted", &PutOptions::default())
        .await
        .map_err(e("create"))?;
    s.upload_part(&up, 1, pattern(100, 1)).await.map_err(e("part"))?;
    s.abort_multipart(&up).await.map_err(e("abort"))?;
    expect_kind("head after abort", s.head(&b, "aborted").await, ErrorKind::NotFound)?;
    match s.upload_part(&up, 2, pattern(10, 1)).await {
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(Observed::Pass),
        Err(err) => portable_or_differs(
            false,
            "upload-part-after-abort-kind",
            format!("got {} ({err})", err.kind()),
        ),
        Ok(_) => portable_or_differs(
            false,
            "upload-part-after-abort-accepted",
            "a part was accepted for an aborted upload",
        ),
    }
}

async fn writer_streams_in_parts(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let ps = part_size(&c).max(1024 * 1024);
    let total = ps * 2 + 4321;
    let data = pattern(total, 5);
    let chunks: Vec<nimbus_core::Result<Bytes>> = (0..total)
        .step_by(100_000)
        .map(|i| Ok(data.slice(i..(i + 100_000).min(total))))
        .collect();
    let stream: ByteStream = Box::pin(futures::stream::iter(chunks));
    let opts = WriterOptions::default().part_size(ps as u64);
    let m = s
        .upload_stream(&b, "w", stream, opts)
        .await
        .map_err(e("upload_stream"))?;
    ensure!(m.size == total as u64, "size {}", m.size);
    ensure!(get(&c, &b, "w").await? == data, "content differs");
    Ok(Observed::Pass)
}

async fn presign_get(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "p k", "secret payload").await?;
    let declared = c.storage().capabilities().presign_get;
    let client = c.target.presign.clone();
    gated(
        declared,
        Capability::PresignGet,
        c.storage()
            .presign(&b, "p k", PresignMethod::Get, Duration::from_secs(300)),
        move |url: String| async move {
            let client = client.ok_or("presign declared but the target has no presign client")?;
            let got = client.get(&url).await.map_err(e("fetch"))?;
            ensure!(got == "secret payload", "got {got:?}");
            Ok(())
        },
    )
    .await
}

async fn presign_put(c: Ctx) -> R {
    let b = c.bucket().await?;
    let declared = c.storage().capabilities().presign_put;
    let url = c
        .storage()
        .presign(&b, "up", PresignMethod::Put, Duration::from_secs(300))
        .await;
    if !declared {
        return undeclared(Capability::PresignPut, url);
    }
    let url = url.map_err(|err| format!("declares {} but the call failed: {err}", Capability::PresignPut))?;
    let client = c
        .target
        .presign
        .clone()
        .ok_or("presign declared but the target has no presign client")?;
    match client.put(&url, Bytes::from_static(b"uploaded")).await {
        // Azure: a presigned PUT must also send `x-ms-blob-type: BlockBlob`; Azure says
        // MissingRequiredHeader, Azurite a bare 400.
        Err(err)
            if err.raw_code() == Some("MissingRequiredHeader")
                || (err.kind() == ErrorKind::InvalidInput && err.raw_code().is_none()) =>
        {
            return portable_or_differs(
                false,
                "presign-put-needs-header",
                format!("a plain PUT to the URL was refused: {err}"),
            );
        }
        r => r.map_err(e("upload"))?,
    }
    ensure!(get(&c, &b, "up").await? == "uploaded", "content differs");
    Ok(Observed::Pass)
}

async fn presign_tampered_rejected(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "one", "1").await?;
    put(&c, &b, "two", "2").await?;
    if !c.storage().capabilities().presign_get {
        return Ok(Observed::Unsupported(
            Some(Capability::PresignGet),
            "presign not declared".into(),
        ));
    }
    let client = c
        .target
        .presign
        .clone()
        .ok_or("presign declared but the target has no presign client")?;
    let url = c
        .storage()
        .presign(&b, "one", PresignMethod::Get, Duration::from_secs(300))
        .await
        .map_err(e("presign"))?;
    let tampered = url.replacen("/one", "/two", 1);
    ensure!(tampered != url, "could not tamper {url}");
    let r = client.get(&tampered).await;
    if r.is_ok() {
        return portable_or_differs(
            false,
            "presign-signature-not-verified",
            "a URL signed for `one` read `two`",
        );
    }
    let err = r.err().map(|x| x.kind());
    ensure!(
        matches!(err, Some(ErrorKind::PermissionDenied | ErrorKind::Unauthenticated)),
        "tampered URL gave {err:?}"
    );
    Ok(Observed::Pass)
}

async fn presign_expiry_out_of_range(c: Ctx) -> R {
    let b = c.bucket().await?;
    let caps = c.storage().capabilities();
    if !caps.presign_get {
        return Ok(Observed::Unsupported(
            Some(Capability::PresignGet),
            "presign not declared".into(),
        ));
    }
    ensure!(
        !caps.presign_max_expiry.is_zero(),
        "presign declared with a zero maximum expiry"
    );
    for exp in [Duration::ZERO, caps.presign_max_expiry + Duration::from_secs(1)] {
        match c.storage().presign(&b, "k", PresignMethod::Get, exp).await {
            Err(err) if err.kind() == ErrorKind::InvalidInput => {}
            Err(err) => return Err(format!("expiry {exp:?} gave {err}")),
            Ok(_) => return Err(format!("expiry {exp:?} was signed")),
        }
    }
    Ok(Observed::Pass)
}

async fn key_unicode_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let ks = ["ünïcödé/ファイル.txt", "emoji/🦀.rs", "mixed/Ελληνικά και English"];
    for k in ks {
        put(&c, &b, k, k.as_bytes().to_vec()).await?;
        ensure!(get(&c, &b, k).await? == k.as_bytes(), "content of {k}");
    }
    let listed = keys(&c, &b, ListOptions::default()).await?;
    let mut want: Vec<String> = ks.iter().map(|s| s.to_string()).collect();
    want.sort();
    ensure!(listed == want, "listed {listed:?}");
    Ok(Observed::Pass)
}

async fn key_special_characters(c: Ctx) -> R {
    let b = c.bucket().await?;
    for k in [
        "with space",
        "plus+sign",
        "per%cent",
        "ques?tion",
        "hash#tag",
        "eq=amp&",
        "semi;colon",
        "tilde~",
        "quote'd",
    ] {
        put(&c, &b, k, k).await?;
        ensure!(get(&c, &b, k).await? == k, "content of {k}");
        ensure!(
            c.storage().head(&b, k).await.map_err(e("head"))?.key == k,
            "head key of {k}"
        );
    }
    Ok(Observed::Pass)
}

async fn key_invalid_rejected(c: Ctx) -> R {
    let b = c.bucket().await?;
    for k in [
        "../escape",
        "a/../../etc/passwd",
        "/abs",
        "a//b",
        "nul\0byte",
        "ctl\u{1}x",
        "bidi\u{202E}gpj.exe",
        "back\\slash",
        "./dot",
        "",
    ] {
        expect_kind(
            &format!("put {}", k.escape_debug()),
            c.storage()
                .put(&b, k, Bytes::from_static(b"x"), &PutOptions::default())
                .await,
            ErrorKind::InvalidInput,
        )?;
        expect_kind(
            &format!("get {}", k.escape_debug()),
            c.storage().get(&b, k, &GetOptions::default()).await.map(|_| ()),
            ErrorKind::InvalidInput,
        )?;
    }
    ensure!(
        keys(&c, &b, ListOptions::default()).await?.is_empty(),
        "a rejected key was stored"
    );
    Ok(Observed::Pass)
}

async fn key_max_length(c: Ctx) -> R {
    let b = c.bucket().await?;
    let max = c.storage().capabilities().max_key_len;
    // Segments of 200 bytes, so filesystem name limits do not interfere.
    let mut k = String::new();
    while k.len() + 201 <= max {
        k.push_str(&"a".repeat(200));
        k.push('/');
    }
    k.push_str(&"b".repeat(max - k.len()));
    ensure!(k.len() == max, "built {} bytes", k.len());
    if let Err(err) = c
        .storage()
        .put(&b, &k, Bytes::from_static(b"x"), &PutOptions::default())
        .await
    {
        return portable_or_differs(false, "max-key-length-rejected", format!("a {max}-byte key: {err}"));
    }
    ensure!(get(&c, &b, &k).await? == "x", "content");
    let long = format!("{k}c");
    expect_kind(
        "key one byte too long",
        c.storage()
            .put(&b, &long, Bytes::from_static(b"x"), &PutOptions::default())
            .await,
        ErrorKind::InvalidInput,
    )?;
    Ok(Observed::Pass)
}

async fn key_and_prefix_coexist(c: Ctx) -> R {
    let b = c.bucket().await?;
    put(&c, &b, "a", "file").await?;
    match c
        .storage()
        .put(&b, "a/b", Bytes::from_static(b"nested"), &PutOptions::default())
        .await
    {
        Ok(_) => {
            ensure!(
                get(&c, &b, "a").await? == "file" && get(&c, &b, "a/b").await? == "nested",
                "contents differ"
            );
            Ok(Observed::Pass)
        }
        Err(err) if err.kind() == ErrorKind::Conflict => {
            ensure!(get(&c, &b, "a").await? == "file", "the first object was damaged");
            portable_or_differs(
                false,
                "local-fs-key-prefix-collision",
                format!("put `a/b` after `a`: {err}"),
            )
        }
        Err(err) => {
            ensure!(get(&c, &b, "a").await? == "file", "the first object was damaged");
            portable_or_differs(
                false,
                "key-prefix-collision-server-error",
                format!("put `a/b` after `a`: {err}"),
            )
        }
    }
}

async fn directory_marker_key(c: Ctx) -> R {
    let b = c.bucket().await?;
    match c
        .storage()
        .put(&b, "folder/", Bytes::new(), &PutOptions::default())
        .await
    {
        Ok(_) => {
            let p = c
                .storage()
                .list_page(&b, &ListOptions::default(), None)
                .await
                .map_err(e("list"))?;
            if !p.objects.iter().any(|o| o.key == "folder/") {
                return portable_or_differs(
                    false,
                    "directory-marker-not-listed",
                    format!("stored but not listed: {p:?}"),
                );
            }
            Ok(Observed::Pass)
        }
        Err(err) if err.kind() == ErrorKind::InvalidInput => {
            portable_or_differs(false, "local-fs-no-directory-markers", format!("put `folder/`: {err}"))
        }
        Err(err) => Err(format!("put folder/: {err}")),
    }
}
