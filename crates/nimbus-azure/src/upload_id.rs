//! The multipart upload handle: Azure keeps no upload object, so the block-id prefix and the
//! put options travel in the handle the caller holds (`az1.` + base64url JSON).
//!
//! Why it is checked when read back: the handle comes from outside (a caller may build a
//! `MultipartUpload` by hand, and through the object_store bridge it is a plain string), so
//! a tampered or foreign handle must not smuggle what the contract would refuse on
//! `create_multipart`: a block-id prefix of another length (Azure wants every block id of a
//! blob the same length), metadata or attributes with control characters, a compare-and-swap
//! without its version, an unknown storage class. It is a module of its own, built without
//! the Azure SDK (feature `upload-id`), so that `fuzz/fuzz_targets/azure_upload_id.rs` can hold
//! it to that cheaply.

use std::collections::BTreeMap;

use base64::Engine;
use nimbus_core::storage::validate::{validate_attributes, validate_content_type, validate_metadata};
use nimbus_core::storage::{HttpAttributes, StorageClass};
use nimbus_core::{Error, Result};

/// What a handle carries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadState {
    /// Block-id prefix: 16 lower-case hex digits.
    pub nonce: String,
    /// `create` (create-only), `update` (compare-and-swap on `version`) or none (overwrite).
    pub mode: Option<String>,
    /// The ETag an `update` commits against.
    pub version: Option<String>,
    /// Content type set at commit.
    pub content_type: Option<String>,
    /// User metadata set at commit.
    pub metadata: BTreeMap<String, String>,
    /// Cache-Control (absent in handles made before the HTTP attributes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// Content-Disposition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// Content-Encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// Content-Language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// The portable storage class, set at commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

impl UploadState {
    /// The HTTP attributes set at commit.
    pub fn attributes(&self) -> HttpAttributes {
        HttpAttributes::new(
            self.cache_control.clone(),
            self.content_disposition.clone(),
            self.content_encoding.clone(),
            self.content_language.clone(),
        )
    }

    /// The handle's text.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("az1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
    }

    /// Reads a handle back; `InvalidInput` unless it is one this adapter made, whole.
    pub fn decode(id: &str) -> Result<UploadState> {
        let foreign = || Error::invalid("not an upload id of this adapter");
        let json = id
            .strip_prefix("az1.")
            .and_then(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b).ok())
            .ok_or_else(foreign)?;
        let s: UploadState = serde_json::from_slice(&json).map_err(|_| foreign())?;
        s.check()
            .map_err(|e| Error::invalid(format!("upload id: {}", e.message())))?;
        Ok(s)
    }

    fn check(&self) -> Result<()> {
        if self.nonce.len() != 16 || !self.nonce.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::invalid("the block-id prefix is not 16 hex digits"));
        }
        match (self.mode.as_deref(), &self.version) {
            (None | Some("create"), None) => {}
            (Some("update"), Some(v)) if !v.is_empty() && !v.chars().any(char::is_control) => {}
            _ => return Err(Error::invalid("the put mode and its version do not agree")),
        }
        if let Some(t) = &self.content_type {
            validate_content_type(t)?;
        }
        validate_metadata(&self.metadata)?;
        validate_attributes(&self.attributes())?;
        if let Some(c) = &self.class {
            c.parse::<StorageClass>()?;
        }
        Ok(())
    }
}

/// A block id: the handle's prefix and the part number, the same length for every part.
pub fn block_id(nonce: &str, part: u32) -> Vec<u8> {
    format!("{nonce}{part:05}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> UploadState {
        UploadState {
            nonce: "00000000deadbeef".into(),
            mode: Some("create".into()),
            version: None,
            content_type: Some("text/plain".into()),
            metadata: [("k".to_string(), "v".to_string())].into(),
            cache_control: Some("no-cache".into()),
            content_disposition: None,
            content_encoding: None,
            content_language: None,
            class: Some("cold".into()),
        }
    }

    #[test]
    fn handles_round_trip_and_block_ids_have_one_length() {
        let s = state();
        assert_eq!(UploadState::decode(&s.encode()).unwrap(), s);
        assert_eq!(
            block_id("00000000deadbeef", 1).len(),
            block_id("00000000deadbeef", 50_000).len()
        );
        assert!(UploadState::decode("someone-elses-id").is_err());
    }

    #[test]
    fn tampered_handles_are_refused() {
        let tampered = [
            UploadState {
                nonce: "abc".into(),
                ..state()
            },
            UploadState {
                nonce: "00000000DEADBEEF".into(),
                ..state()
            },
            UploadState {
                mode: Some("update".into()),
                ..state()
            },
            UploadState {
                mode: Some("append".into()),
                ..state()
            },
            UploadState {
                version: Some("\"e1\"".into()),
                ..state()
            },
            UploadState {
                content_type: Some("text/plain\r\nx-ms-meta-a: b".into()),
                ..state()
            },
            UploadState {
                metadata: [("a b".to_string(), "v".to_string())].into(),
                ..state()
            },
            UploadState {
                metadata: [("k".to_string(), "v\nw".to_string())].into(),
                ..state()
            },
            UploadState {
                cache_control: Some("\u{7}".into()),
                ..state()
            },
            UploadState {
                class: Some("GLACIER".into()),
                ..state()
            },
        ];
        for t in tampered {
            let e = UploadState::decode(&t.encode()).unwrap_err();
            assert_eq!(e.kind(), nimbus_core::ErrorKind::InvalidInput, "{t:?}");
        }
        let unknown = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            br#"{"nonce":"00000000deadbeef","mode":null,"version":null,"content_type":null,"metadata":{},"extra":1}"#,
        );
        assert!(UploadState::decode(&format!("az1.{unknown}")).is_err());
    }
}
