//! Container and object names in Swift URLs.
//!
//! Why one encoder: Swift takes the account, container and object from the raw path, split
//! on `/` after percent-decoding, so a key such as `ques?tion` or `per%cent` must reach it
//! percent-encoded, while the `/` inside a key must stay a literal `/` (Swift keeps it in
//! the object name, and TempURL signs the decoded path). The same encoding serves paths of
//! requests, `X-Copy-From`, bulk-delete bodies and SLO manifest entries.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters and `/` (what Python's `quote` keeps,
/// so the paths Swift echoes in bulk answers compare equal).
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Everything but the unreserved characters (a query value).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `name` percent-encoded for a path, `/` kept.
pub fn enc(name: &str) -> String {
    utf8_percent_encode(name, PATH).to_string()
}

/// `value` percent-encoded for a query string.
pub fn q(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

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
        assert_eq!(q("a/b c"), "a%2Fb%20c");
        assert_eq!(decode("/b/a%20b%2Bc"), "/b/a b+c");
    }
}
