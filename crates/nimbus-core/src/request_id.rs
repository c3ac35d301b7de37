//! Idempotency tokens for creates (instances and networks).
//!
//! Why both a token and a label: a create whose answer is lost (a reset, a timeout after the
//! server acted) cannot be told apart from one that never arrived, so repeating it blindly
//! can make two resources. Some clouds deduplicate by a token the client sends (EC2
//! `ClientToken` on RunInstances, Compute Engine `requestId` on every insert; Azure's PUT by
//! name is idempotent by itself); Nova, Neutron, libvirt, EC2's VPC calls and several
//! emulators (moto ignores `ClientToken`) do not. So the token is also kept on the resource as
//! a label, and before a create is made again (a retry, or a caller repeating its own token)
//! the live resources carrying it are looked up: one found is the answer. This lives here,
//! above every adapter, once (the look-ups: `compute/request_id.rs`, `network/request_id.rs`).
//! ADR 0021 has the window that remains (a create not yet visible to a listing when the
//! look-up runs).

use std::collections::BTreeMap;

use rand::RngCore;

use crate::{Error, Result};

/// The label that records the idempotency token a resource was created with; a create whose
/// token is already on a live resource returns that resource instead of making another.
pub const REQUEST_ID_LABEL: &str = "nimbus-request-id";

/// A create spec that can carry a token: its token field and its labels.
pub(crate) trait Tokened: Clone {
    fn token(&self) -> Option<&String>;
    fn set_token(&mut self, token: String);
    fn labels(&self) -> &BTreeMap<String, String>;
    fn labels_mut(&mut self) -> &mut BTreeMap<String, String>;
}

/// A fresh token: a random (version 4) UUID in lower case, the form every cloud accepts
/// (Compute Engine requires a UUID; label values must be lower case there).
pub fn new_request_id() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The token in canonical form (lower case), or `InvalidInput` unless it is a UUID
/// (8-4-4-4-12 hexadecimal digits, not all zero).
pub fn check_request_id(token: &str) -> Result<String> {
    let groups: Vec<&str> = token.split('-').collect();
    let shape = groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n)
        && token.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit());
    if !shape {
        return Err(Error::invalid(format!(
            "request id `{}` is not a UUID (8-4-4-4-12 hexadecimal digits)",
            token.escape_debug()
        )));
    }
    if token.bytes().all(|b| b == b'-' || b == b'0') {
        return Err(Error::invalid("request id must not be the nil UUID"));
    }
    Ok(token.to_ascii_lowercase())
}

/// The spec with its token made (when absent), checked and copied into the labels.
pub(crate) fn with_token<S: Tokened>(spec: &S) -> Result<S> {
    let token = match spec.token() {
        Some(t) => check_request_id(t)?,
        None => new_request_id(),
    };
    if let Some(v) = spec.labels().get(REQUEST_ID_LABEL) {
        if !v.eq_ignore_ascii_case(&token) {
            return Err(Error::invalid(format!(
                "label `{REQUEST_ID_LABEL}` is the request id's: it must be unset or equal to it"
            )));
        }
    }
    let mut spec = spec.clone();
    spec.labels_mut().insert(REQUEST_ID_LABEL.into(), token.clone());
    spec.set_token(token);
    Ok(spec)
}

/// Whether the spec carries a token that is also its label (what [`with_token`] makes):
/// only then can a repeated create find the resource an earlier attempt made.
pub(crate) fn carries_token<S: Tokened>(spec: &S) -> bool {
    spec.token().is_some() && spec.labels().get(REQUEST_ID_LABEL) == spec.token()
}

/// Implements [`Tokened`] for a spec with `request_id` and `labels` fields.
macro_rules! tokened {
    ($t:ty) => {
        impl $crate::request_id::Tokened for $t {
            fn token(&self) -> Option<&String> {
                self.request_id.as_ref()
            }
            fn set_token(&mut self, token: String) {
                self.request_id = Some(token);
            }
            fn labels(&self) -> &std::collections::BTreeMap<String, String> {
                &self.labels
            }
            fn labels_mut(&mut self) -> &mut std::collections::BTreeMap<String, String> {
                &mut self.labels
            }
        }
    };
}
tokened!(crate::compute::InstanceSpec);
tokened!(crate::network::NetworkSpec);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::{ImageChoice, InstanceSpec, SizeChoice};
    use crate::network::NetworkSpec;
    use crate::ErrorKind;

    #[test]
    fn tokens_are_uuids_and_are_checked() {
        let t = new_request_id();
        assert_eq!(check_request_id(&t).unwrap(), t);
        assert_eq!(t.as_bytes()[14], b'4');
        assert_ne!(new_request_id(), t);
        assert_eq!(
            check_request_id("0F8FAD5B-D9CB-469F-A165-70867728950E").unwrap(),
            "0f8fad5b-d9cb-469f-a165-70867728950e"
        );
        for bad in [
            "",
            "x",
            "0f8fad5b-d9cb-469f-a165-70867728950",
            "0f8fad5bd9cb469fa16570867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950g",
            "00000000-0000-0000-0000-000000000000",
            "0f8fad5b-d9cb-469f-a165-7086772895\n0",
        ] {
            assert_eq!(
                check_request_id(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_token_becomes_a_label_and_a_clashing_label_is_refused() {
        let spec = InstanceSpec::new("vm", SizeChoice::Id("s".into()), ImageChoice::Id("i".into()));
        let s = with_token(&spec).unwrap();
        assert!(carries_token(&s));
        assert!(!carries_token(&spec));
        let again = with_token(&s).unwrap();
        assert_eq!(again.request_id, s.request_id, "an existing token is kept");
        let clash = spec
            .clone()
            .request_id(new_request_id())
            .label(REQUEST_ID_LABEL, new_request_id());
        assert_eq!(with_token(&clash).unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn network_specs_carry_tokens_the_same_way() {
        let spec = NetworkSpec::new("net", "10.0.0.0/16".parse().unwrap());
        let s = with_token(&spec).unwrap();
        assert!(carries_token(&s) && !carries_token(&spec));
        assert_eq!(s.labels.get(REQUEST_ID_LABEL), s.request_id.as_ref());
        let bad = spec.request_id("nope");
        assert_eq!(with_token(&bad).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
