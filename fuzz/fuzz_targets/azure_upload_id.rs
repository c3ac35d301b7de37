//! The Azure adapter's multipart upload handle (`az1.` + base64url JSON), which comes back
//! from callers and, through the object_store bridge, as a plain string. Holds: reading any
//! string never panics; a handle that is read back is well formed (so a tampered one cannot
//! smuggle what `create_multipart` would refuse) and encodes to a handle that reads back the
//! same; its block ids all have one length.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use nimbus_azure::upload_id::{block_id, UploadState};

fuzz_target!(|data: &[u8]| {
    // The bytes as a handle, and as the JSON inside one (so the fuzzer can reach the checks
    // behind the base64).
    let as_text = String::from_utf8_lossy(data).into_owned();
    let wrapped = format!("az1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data));
    for id in [as_text, wrapped] {
        let Ok(s) = UploadState::decode(&id) else {
            continue;
        };
        assert_eq!(UploadState::decode(&s.encode()).as_ref().ok(), Some(&s), "{id:?}");
        assert_eq!(s.nonce.len(), 16);
        assert_eq!(block_id(&s.nonce, 1).len(), block_id(&s.nonce, 10_000).len());
        for (k, v) in &s.metadata {
            assert!(
                !k.is_empty() && !v.chars().any(|c| c.is_control() && c != '\t'),
                "{k:?}: {v:?}"
            );
        }
        if let Some(t) = &s.content_type {
            assert!(!t.chars().any(char::is_control), "{t:?}");
        }
    }
});
