//! `object_store` attributes, modes and metadata to Nimbus options and back.
//!
//! Why refuse instead of drop: Nimbus's portable put carries a content type, user metadata,
//! the four HTTP attributes (on providers that declare `storage.http_attributes`) and a
//! portable storage class (`storage.storage_class`). Object tags, a class with no portable
//! name, or an attribute or class on a provider that cannot keep it make the put fail with
//! `NotImplemented` naming it, as `object_store` asks of a store that cannot keep them, so a
//! caller never believes a `Content-Encoding: gzip` was recorded when it was not.
//!
//! Storage classes: `object_store` passes the provider's own string. The bridge accepts the
//! portable names (`standard`, `infrequent`, `cold`, `archive`) and the exact provider names
//! that mean one of them (S3 `STANDARD_IA`, Azure `Cool`, Cloud Storage `NEARLINE`, …, see
//! [`CLASS_NAMES`]), so the same string stores the object in the same kind of class on every
//! cloud. S3's `GLACIER` is not among them: Nimbus's archive class is `DEEP_ARCHIVE` on S3, and
//! sending something other than what was asked would be a silent approximation. A get
//! reports the portable name of any class but the default one.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use nimbus_core::storage::{ObjectMeta as NimbusMeta, PutMode as NimbusMode, PutOptions as NimbusPut, StorageClass};
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectMeta, PutMode, TagSet};

/// Provider class names that mean one portable class exactly (S3, Azure, Cloud Storage).
pub const CLASS_NAMES: &[(&str, StorageClass)] = &[
    ("STANDARD", StorageClass::Standard),
    ("Hot", StorageClass::Standard),
    ("STANDARD_IA", StorageClass::Infrequent),
    ("Cool", StorageClass::Infrequent),
    ("NEARLINE", StorageClass::Infrequent),
    ("GLACIER_IR", StorageClass::Cold),
    ("COLDLINE", StorageClass::Cold),
    ("DEEP_ARCHIVE", StorageClass::Archive),
];

/// The portable class an `object_store` storage-class string asks for.
fn class_of(v: &str) -> object_store::Result<StorageClass> {
    if let Ok(c) = v.parse::<StorageClass>() {
        return Ok(c);
    }
    match StorageClass::from_provider(v.trim(), CLASS_NAMES) {
        StorageClass::Other(_) => Err(not_implemented(format!(
            "storage class `{v}` (not one of standard, infrequent, cold, archive or a provider name for one)"
        ))),
        c => Ok(c),
    }
}

/// Nimbus put options from `object_store`'s mode, tags and attributes.
pub(crate) fn put_options(
    mode: Option<&PutMode>,
    tags: &TagSet,
    attributes: &Attributes,
) -> object_store::Result<NimbusPut> {
    let mut out = NimbusPut::default();
    if let Some(mode) = mode {
        out.mode = match mode {
            PutMode::Overwrite => NimbusMode::Overwrite,
            PutMode::Create => NimbusMode::Create,
            // The caller resolves the token first (`store::update_token`).
            PutMode::Update(_) => NimbusMode::Overwrite,
        };
    }
    if !tags.encoded().is_empty() {
        return Err(not_implemented("object tags"));
    }
    for (k, v) in attributes {
        match k {
            Attribute::ContentType => out.content_type = Some(v.to_string()),
            Attribute::Metadata(name) => {
                out.user_metadata.insert(name.to_string(), v.to_string());
            }
            Attribute::CacheControl => out.attributes.cache_control = Some(v.to_string()),
            Attribute::ContentDisposition => out.attributes.content_disposition = Some(v.to_string()),
            Attribute::ContentEncoding => out.attributes.content_encoding = Some(v.to_string()),
            Attribute::ContentLanguage => out.attributes.content_language = Some(v.to_string()),
            Attribute::StorageClass => out.storage_class = Some(class_of(v)?),
            other => return Err(not_implemented(format!("the {other:?} attribute"))),
        }
    }
    Ok(out)
}

fn not_implemented(what: impl Into<String>) -> object_store::Error {
    object_store::Error::NotImplemented {
        operation: format!("put with {}", what.into()),
        implementer:
            "Nimbus (portable puts keep a content type, user metadata, HTTP attributes and a portable storage class)"
                .into(),
    }
}

/// A put refused because the provider cannot keep HTTP attributes or a storage class is
/// `NotImplemented` for `object_store` (its answer for attributes a store cannot keep); other
/// errors map as usual.
pub(crate) fn refused_attributes(e: &nimbus_core::Error) -> Option<object_store::Error> {
    use nimbus_core::Capability;
    let what = if e.is_unsupported(Capability::HttpAttributes) {
        "HTTP attributes (Cache-Control, Content-Disposition, Content-Encoding, Content-Language)"
    } else if e.is_unsupported(Capability::StorageClass) {
        "a storage class"
    } else {
        return None;
    };
    let cap = e.capability().map(|c| c.name()).unwrap_or_default();
    Some(object_store::Error::NotImplemented {
        operation: format!("put with {what}"),
        implementer: format!("Nimbus on {} (capability {cap})", e.provider()),
    })
}

/// The attributes a get returns: the content type and the user metadata.
pub(crate) fn attributes_of(meta: &NimbusMeta) -> Attributes {
    let mut a = Attributes::new();
    if let Some(ct) = &meta.content_type {
        a.insert(Attribute::ContentType, ct.clone().into());
    }
    for (k, v) in &meta.user_metadata {
        a.insert(Attribute::Metadata(k.clone().into()), v.clone().into());
    }
    let h = &meta.attributes;
    for (attr, value) in [
        (Attribute::CacheControl, &h.cache_control),
        (Attribute::ContentDisposition, &h.content_disposition),
        (Attribute::ContentEncoding, &h.content_encoding),
        (Attribute::ContentLanguage, &h.content_language),
    ] {
        if let Some(v) = value {
            a.insert(attr, v.clone().into());
        }
    }
    // The default class is left out, as S3 leaves it out of its answers: a get then returns
    // exactly the attributes that were put (object_store's `put_get_attributes` compares them).
    if let Some(c) = meta.storage_class.as_ref().filter(|c| **c != StorageClass::Standard) {
        a.insert(Attribute::StorageClass, c.as_str().to_string().into());
    }
    a
}

/// `object_store` metadata of a Nimbus object at `location`.
///
/// `version` stays `None`: `object_store` uses it for reads of an older version, which Nimbus
/// has no portable call for (the Nimbus version token is for compare-and-swap only). A
/// provider that reports no modification time gets the Unix epoch, because `object_store`
/// needs a value.
pub(crate) fn meta_of(location: Path, meta: &NimbusMeta) -> ObjectMeta {
    ObjectMeta {
        location,
        last_modified: time(meta.last_modified),
        size: meta.size,
        e_tag: meta.etag.clone(),
        version: None,
    }
}

fn time(t: Option<SystemTime>) -> DateTime<Utc> {
    DateTime::<Utc>::from(t.unwrap_or(SystemTime::UNIX_EPOCH))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_nimbus_cannot_keep_are_refused_by_name() {
        let a = Attributes::from_iter([(Attribute::StorageClass, "GLACIER")]);
        let e = put_options(None, &TagSet::default(), &a).unwrap_err();
        assert!(matches!(e, object_store::Error::NotImplemented { .. }));
        assert!(e.to_string().contains("storage class `GLACIER`"), "{e}");
        for (name, class) in [
            ("STANDARD_IA", StorageClass::Infrequent),
            ("cold", StorageClass::Cold),
            ("Cool", StorageClass::Infrequent),
        ] {
            let a = Attributes::from_iter([(Attribute::StorageClass, name)]);
            assert_eq!(
                put_options(None, &TagSet::default(), &a).unwrap().storage_class,
                Some(class)
            );
        }
        let mut tags = TagSet::default();
        tags.push("team", "data");
        let e = put_options(None, &tags, &Attributes::new()).unwrap_err();
        assert!(e.to_string().contains("tags"), "{e}");
    }

    #[test]
    fn content_type_and_metadata_round_trip() {
        let a = Attributes::from_iter([
            (Attribute::ContentType, "text/csv"),
            (Attribute::Metadata("owner".into()), "data team"),
            (Attribute::CacheControl, "no-cache"),
            (Attribute::ContentDisposition, "inline"),
            (Attribute::ContentEncoding, "gzip"),
            (Attribute::ContentLanguage, "de"),
        ]);
        let p = put_options(Some(&PutMode::Create), &TagSet::default(), &a).unwrap();
        assert_eq!(p.mode, NimbusMode::Create);
        let mut m = NimbusMeta::new("k", 3);
        m.content_type = p.content_type.clone();
        m.user_metadata = p.user_metadata.clone();
        m.attributes = p.attributes.clone();
        assert_eq!(attributes_of(&m), a);
    }
}
