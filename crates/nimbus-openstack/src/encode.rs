//! Percent-encoding of names in OpenStack URLs, once for every service.
//!
//! Why here: ids, names, keys and filter values all go into request paths and query strings
//! (Nova server ids, Glance filters, Swift container and object names), and one encoder
//! keeps them consistent: RFC 3986's unreserved characters stay, everything else is
//! percent-encoded (what Python's `quote` does, so the paths Swift echoes compare equal).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Also keeps `/`: Swift object names hold slashes that must stay literal.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// One path segment or query value (`a/b c` → `a%2Fb%20c`).
pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A path whose `/` stay separators (`dir/a b` → `dir/a%20b`).
pub fn path(s: &str) -> String {
    utf8_percent_encode(s, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_stay_the_rest_is_encoded() {
        assert_eq!(segment("a/b c-d.e_f~g+h"), "a%2Fb%20c-d.e_f~g%2Bh");
        assert_eq!(path("dir/a b?c"), "dir/a%20b%3Fc");
        assert_eq!(segment("ü"), "%C3%BC");
    }
}
