//! Container and object names in Swift URLs.
//!
//! Why `/` is kept (`crate::encode::path`): Swift takes the account, container and object
//! from the raw path, split on `/` after percent-decoding, so a key such as `ques?tion` or `per%cent` must reach it
//! percent-encoded, while the `/` inside a key must stay a literal `/` (Swift keeps it in
//! the object name, and TempURL signs the decoded path). The same encoding serves paths of
//! requests, `X-Copy-From`, bulk-delete bodies and SLO manifest entries.

use crate::encode::path as enc;

/// `/container` relative to the account endpoint.
pub fn container(c: &str) -> String {
    format!("/{}", enc(c))
}

/// `/container/object` relative to the account endpoint (also the form of `X-Copy-From`,
/// bulk-delete lines and manifest `path`s).
pub fn object(c: &str, key: &str) -> String {
    format!("/{}/{}", enc(c), enc(key))
}

/// Percent-decodes a path Swift echoed (bulk-delete errors).
pub fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_slashes_and_encode_the_rest() {
        assert_eq!(
            object("b", "dir/a b+c?d#e%f&g=h"),
            "/b/dir/a%20b%2Bc%3Fd%23e%25f%26g%3Dh"
        );
        assert_eq!(object("b", "tilde~quote'd"), "/b/tilde~quote%27d");
        assert_eq!(object("b", "ü/🦀"), "/b/%C3%BC/%F0%9F%A6%80");
        assert_eq!(decode("/b/a%20b%2Bc"), "/b/a b+c");
    }
}
