//! Storage-class cases: the portable class asked for is the class stored, everywhere that
//! declares `storage.storage_class`; where archived objects cannot be read at once, or a copy
//! keeps its source's class, it is a registered difference this file proves.
//!
//! A module of its own because the class touches put, multipart, head, listing, get and copy,
//! and `storage.rs` is long enough.

use bytes::Bytes;
use nimbus_core::storage::*;
use nimbus_core::{Capability, ErrorKind, StorageExt};

use super::{case, Case};
use crate::ctx::{ctx_err as e, expect_kind, portable_or_differs, undeclared, CaseResult, Observed};
use crate::{ensure, Ctx};

type R = CaseResult;

/// The storage-class cases.
pub fn cases() -> Vec<Case> {
    vec![
        case!(
            storage,
            "a put, a multipart upload and a head keep the portable storage class asked for",
            storage_class_round_trip
        ),
        case!(
            storage,
            "an archived object reports its class and reads back (or, where registered, needs a restore)",
            storage_class_archive_read
        ),
        case!(
            storage,
            "a copy is stored in the class asked for, and without one in the default class",
            storage_class_copy
        ),
    ]
}

/// A put in `class`; a provider (or emulator) that refuses the class itself is the
/// registered difference `refused`, and the case stops there.
async fn put_in(c: &Ctx, b: &str, key: &str, class: StorageClass, refused: &str) -> Result<Option<Observed>, String> {
    let o = PutOptions::default().storage_class(class.clone());
    match c.storage().put(b, key, Bytes::from_static(b"tiered"), &o).await {
        Ok(_) => Ok(None),
        Err(err) if err.kind() == ErrorKind::InvalidInput && err.raw_code().is_some() => Ok(Some(Observed::Differs {
            id: refused.to_string(),
            detail: format!("put in {class} refused by the service: {err}"),
        })),
        Err(err) => Err(format!("put in {class}: {err}")),
    }
}

async fn class_of(c: &Ctx, b: &str, key: &str) -> Result<Option<StorageClass>, String> {
    Ok(c.storage().head(b, key).await.map_err(e("head"))?.storage_class)
}

async fn storage_class_round_trip(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let caps = s.capabilities();
    let first = PutOptions::default().storage_class(StorageClass::Infrequent);
    let put = s.put(&b, "ia", Bytes::from_static(b"tiered"), &first).await;
    if !caps.storage_class {
        return undeclared(Capability::StorageClass, put);
    }
    if let Err(err) = put {
        if err.kind() == ErrorKind::InvalidInput && err.raw_code().is_some() {
            return Ok(Observed::Differs {
                id: "storage-class-refused".into(),
                detail: format!("put in infrequent refused by the service: {err}"),
            });
        }
        return Err(format!("put in infrequent: {err}"));
    }
    let got = class_of(&c, &b, "ia").await?;
    ensure!(
        got == Some(StorageClass::Infrequent),
        "head after a put in infrequent: {got:?}"
    );
    if put_in(&c, &b, "cold", StorageClass::Cold, "storage-class-refused")
        .await?
        .is_some()
    {
        return Err("infrequent was kept but cold was refused".into());
    }
    let got = class_of(&c, &b, "cold").await?;
    ensure!(got == Some(StorageClass::Cold), "head after a put in cold: {got:?}");
    ensure!(
        c.storage().get_bytes(&b, "cold").await.map_err(e("get cold"))?.as_ref() == b"tiered",
        "a cold object reads back other bytes"
    );
    s.put(&b, "plain", Bytes::from_static(b"x"), &PutOptions::default())
        .await
        .map_err(e("put without a class"))?;
    let got = class_of(&c, &b, "plain").await?;
    ensure!(
        matches!(got, None | Some(StorageClass::Standard)),
        "head after a put without a class: {got:?}"
    );
    // A listing that reports classes reports the same ones.
    let page = s
        .list_page(&b, &ListOptions::default(), None)
        .await
        .map_err(e("list"))?;
    for m in &page.objects {
        let want = match m.key.as_str() {
            "ia" => StorageClass::Infrequent,
            "cold" => StorageClass::Cold,
            _ => StorageClass::Standard,
        };
        ensure!(
            m.storage_class.is_none() || m.storage_class.as_ref() == Some(&want),
            "listing says {} is {:?}",
            m.key,
            m.storage_class
        );
    }
    // A provider's own class name is not portable: refused before any request.
    let other = PutOptions::default().storage_class(StorageClass::Other("GLACIER".into()));
    let put = s.put(&b, "other", Bytes::from_static(b"x"), &other).await;
    expect_kind("put in a non-portable class", put, ErrorKind::InvalidInput)?;
    expect_kind("nothing stored", s.head(&b, "other").await, ErrorKind::NotFound)?;
    if caps.multipart {
        let up = s.create_multipart(&b, "mp", &first).await.map_err(e("create"))?;
        let part = s
            .upload_part(&up, 1, Bytes::from_static(b"parted"))
            .await
            .map_err(e("part"))?;
        s.complete_multipart(&up, &[part]).await.map_err(e("complete"))?;
        let got = class_of(&c, &b, "mp").await?;
        ensure!(
            got == Some(StorageClass::Infrequent),
            "head after a multipart upload in infrequent: {got:?}"
        );
    }
    Ok(Observed::Pass)
}

async fn storage_class_archive_read(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    if !s.capabilities().storage_class {
        let o = PutOptions::default().storage_class(StorageClass::Archive);
        return undeclared(Capability::StorageClass, s.put(&b, "a", Bytes::new(), &o).await);
    }
    if let Some(refused) = put_in(
        &c,
        &b,
        "archived",
        StorageClass::Archive,
        "storage-class-refused-archive",
    )
    .await?
    {
        return Ok(refused);
    }
    let got = class_of(&c, &b, "archived").await?;
    ensure!(
        got == Some(StorageClass::Archive),
        "head after a put in archive: {got:?}"
    );
    match s.get_bytes(&b, "archived").await {
        Ok(bytes) => {
            ensure!(bytes.as_ref() == b"tiered", "an archived object reads back other bytes");
            Ok(Observed::Pass)
        }
        Err(err) if err.kind() == ErrorKind::Conflict => portable_or_differs(
            false,
            "archive-read-needs-restore",
            format!("get of an archived object: {err}"),
        ),
        Err(err) => Err(format!(
            "get of an archived object: expected the bytes or Conflict, got {err}"
        )),
    }
}

async fn storage_class_copy(c: Ctx) -> R {
    let b = c.bucket().await?;
    let s = c.storage();
    let caps = s.capabilities();
    if !caps.storage_class || !caps.copy {
        let o = CopyOptions::default().storage_class(StorageClass::Cold);
        let r = s.copy(&b, "src", &b, "dst", &o).await;
        let cap = if caps.copy {
            Capability::StorageClass
        } else {
            Capability::Copy
        };
        return undeclared(cap, r);
    }
    if let Some(refused) = put_in(&c, &b, "src", StorageClass::Infrequent, "storage-class-refused-copy").await? {
        return Ok(refused);
    }
    let into_cold = CopyOptions::default().storage_class(StorageClass::Cold);
    s.copy(&b, "src", &b, "to-cold", &into_cold)
        .await
        .map_err(e("copy into cold"))?;
    let got = class_of(&c, &b, "to-cold").await?;
    if got != Some(StorageClass::Cold) {
        return portable_or_differs(
            false,
            "copy-class-ignored",
            format!("a copy asked into cold is {got:?}"),
        );
    }
    ensure!(
        s.get_bytes(&b, "to-cold").await.map_err(e("get copy"))?.as_ref() == b"tiered",
        "the copy reads back other bytes"
    );
    s.copy(&b, "src", &b, "to-default", &CopyOptions::default())
        .await
        .map_err(e("copy without a class"))?;
    let got = class_of(&c, &b, "to-default").await?;
    portable_or_differs(
        matches!(got, None | Some(StorageClass::Standard)),
        "copy-keeps-source-class",
        format!("a copy of an infrequent object, no class asked, is {got:?}"),
    )
}
