//! Portable rules for bucket names and object keys.
//!
//! Why the rules are the *intersection* of the clouds: a name accepted on one cloud and rejected
//! on another breaks "write once, run in every customer's cloud" at the worst moment — in a
//! customer's account. So every adapter checks the same rules up front and fails with
//! `InvalidInput` before anything is sent. Keys follow object_store's `Path` rules: no empty,
//! `.` or `..` segments (they are path traversal on any filesystem-backed store), no control
//! characters, no backslashes, no bidirectional-override characters (they make a key display
//! as a different key).

use crate::{Error, Result};

/// Longest key, in UTF-8 bytes, accepted on every provider (S3 and GCS: 1024).
pub const MAX_KEY_LEN: usize = 1024;
/// Longest segment between `/`, in UTF-8 bytes (filesystem name limit).
pub const MAX_SEGMENT_LEN: usize = 255;

/// Checks a bucket name against the portable rules: 3–63 characters of `a-z`, `0-9` and
/// `-`, starting and ending with a letter or digit, no `--` (Azure), no dots (Azure; and dotted
/// names break virtual-hosted TLS on S3).
pub fn validate_bucket_name(name: &str) -> Result<()> {
    let fail = |why: &str| {
        Err(
            Error::invalid(format!("invalid bucket name `{}`: {why}", name.escape_debug()))
                .with_resource(name.escape_debug().to_string()),
        )
    };
    if name.len() < 3 || name.len() > 63 {
        return fail("must be 3 to 63 characters long");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return fail(&format!(
            "character `{}` is not allowed (use a-z, 0-9 and -)",
            c.escape_debug()
        ));
    }
    let first = name.as_bytes()[0];
    let last = name.as_bytes()[name.len() - 1];
    if first == b'-' || last == b'-' {
        return fail("must start and end with a letter or digit");
    }
    if name.contains("--") {
        return fail("must not contain `--`");
    }
    Ok(())
}

/// Whether `c` is a character that makes a key display as something it is not.
fn is_deceptive(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' // zero-width and direction marks
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2066}'..='\u{2069}' // bidi isolates
        | '\u{FEFF}' // byte-order mark
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
    )
}

/// Checks a bucket name and an object key (what every object call checks first).
pub fn validate_object(bucket: &str, key: &str) -> Result<()> {
    validate_bucket_name(bucket)?;
    validate_key(key)
}

/// Checks an object key against the portable rules.
pub fn validate_key(key: &str) -> Result<()> {
    let fail = |why: String| {
        Err(Error::invalid(format!("invalid key `{}`: {why}", key.escape_debug()))
            .with_resource(key.escape_debug().to_string()))
    };
    if key.is_empty() {
        return fail("must not be empty".into());
    }
    if key.len() > MAX_KEY_LEN {
        return fail(format!("is {} bytes long; the limit is {MAX_KEY_LEN}", key.len()));
    }
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return fail(format!("control character U+{:04X} is not allowed", c as u32));
    }
    if let Some(c) = key.chars().find(|c| is_deceptive(*c)) {
        return fail(format!(
            "invisible or direction-changing character U+{:04X} is not allowed",
            c as u32
        ));
    }
    if key.contains('\\') {
        return fail("backslash is not allowed (it is a path separator on Windows)".into());
    }
    if key.starts_with('/') {
        return fail("must not start with `/`".into());
    }
    let segments: Vec<&str> = key.split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.into_iter().enumerate() {
        match seg {
            // A trailing `/` ("directory marker" keys) is allowed.
            "" if i == last && i > 0 => {}
            "" => return fail("must not contain empty segments (`//`)".into()),
            "." | ".." => return fail(format!("segment `{seg}` is not allowed")),
            s if s.len() > MAX_SEGMENT_LEN => {
                return fail(format!(
                    "a segment is {} bytes long; the limit is {MAX_SEGMENT_LEN}",
                    s.len()
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks a key prefix (may be empty, may end with `/`).
pub fn validate_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Ok(());
    }
    // A prefix may end in the middle of a segment; `a/..` would still escape, so check the
    // prefix as a key (trailing `/` allowed).
    validate_key(prefix)
}

/// Longest HTTP attribute value accepted (header values this long are already unusual; the
/// clouds' own limits on all headers together are 8 KiB and up).
pub const MAX_ATTRIBUTE_LEN: usize = 1024;

/// Checks [`crate::storage::HttpAttributes`] values: non-empty, at most
/// [`MAX_ATTRIBUTE_LEN`] bytes, printable US-ASCII (spaces and tabs allowed). A CR or LF would
/// let a value add headers of its own to the request, and non-ASCII is refused or mangled
/// differently by each cloud, so both are refused everywhere.
pub fn validate_attributes(a: &crate::storage::HttpAttributes) -> Result<()> {
    for (name, value) in a.fields() {
        if let Some(v) = value {
            check_header_value(name, v)?;
        }
    }
    Ok(())
}

/// A content type as every provider sends it: a header value, so the same rules as the HTTP
/// attributes (non-empty, printable US-ASCII, at most [`MAX_ATTRIBUTE_LEN`] bytes). A
/// control character would end the header and start another on the providers that send it
/// raw; checked here so it fails the same way everywhere, before anything is sent.
pub fn validate_content_type(content_type: &str) -> Result<()> {
    check_header_value("content-type", content_type)
}

fn check_header_value(name: &str, v: &str) -> Result<()> {
    let fail = |why: &str| Err(Error::invalid(format!("invalid {name} `{}`: {why}", v.escape_debug())));
    if v.trim().is_empty() {
        return fail("must not be empty");
    }
    if v.len() > MAX_ATTRIBUTE_LEN {
        return fail(&format!("is {} bytes long; the limit is {MAX_ATTRIBUTE_LEN}", v.len()));
    }
    if let Some(c) = v.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ' || *c == '\t')) {
        return fail(&format!(
            "character U+{:04X} is not allowed (printable US-ASCII only)",
            c as u32
        ));
    }
    Ok(())
}

/// Longest user metadata name the portable rules accept (Azure's limit for a name; S3 and
/// Cloud Storage only bound the total size).
pub const MAX_METADATA_NAME_LEN: usize = 128;

/// Portable user metadata: names are non-empty HTTP tokens (every provider but Cloud Storage
/// sends them as header names) of at most [`MAX_METADATA_NAME_LEN`] bytes, unique ignoring
/// ASCII case (S3, Swift and Azure fold case, so `Owner` and `owner` would silently become
/// one entry there); values hold no control character, so none can end its header and start
/// another. What a provider adds on top (Azure wants C# identifiers, Swift turns `_` into
/// `-`) is its own, registered difference.
pub fn validate_metadata(metadata: &std::collections::BTreeMap<String, String>) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for (name, value) in metadata {
        let bad = |why: String| {
            Err(Error::invalid(format!(
                "invalid metadata name `{}`: {why}",
                name.escape_debug()
            )))
        };
        if name.is_empty() {
            return bad("must not be empty".into());
        }
        if name.len() > MAX_METADATA_NAME_LEN {
            return bad(format!(
                "is {} bytes long; the limit is {MAX_METADATA_NAME_LEN}",
                name.len()
            ));
        }
        if let Some(c) = name.chars().find(|c| !is_token_char(*c)) {
            return bad(format!(
                "character U+{:04X} is not allowed (letters, digits and !#$%&'*+-.^_`|~)",
                c as u32
            ));
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            return bad("another name differs from it only in case".into());
        }
        if let Some(c) = value.chars().find(|c| c.is_control() && *c != '\t') {
            return Err(Error::invalid(format!(
                "invalid value of metadata `{name}`: control character U+{:04X}",
                c as u32
            )));
        }
    }
    Ok(())
}

/// An HTTP `tchar` (RFC 9110, 5.6.2).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn good_bucket_names() {
        for n in ["abc", "my-bucket-1", "0aa", &"a".repeat(63)] {
            validate_bucket_name(n).unwrap();
        }
    }

    #[test]
    fn bad_bucket_names() {
        for n in [
            "",
            "ab",
            "Abc",
            "a_b",
            "a.b",
            "-ab",
            "ab-",
            "a--b",
            "ünï",
            "a b",
            &"a".repeat(64),
        ] {
            let e = validate_bucket_name(n).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{n}");
        }
    }

    #[test]
    fn good_keys() {
        for k in [
            "a",
            "a/b/c",
            "dir/",
            "ünïcödé/ファイル.txt",
            "a b+c=d",
            "x..y",
            ".hidden",
        ] {
            validate_key(k).unwrap();
        }
    }

    #[test]
    fn bad_keys() {
        let long = "a".repeat(MAX_KEY_LEN + 1);
        let long_seg = format!("{}/b", "a".repeat(256));
        for k in [
            "",
            "..",
            "../etc/passwd",
            "a/../../b",
            "a/./b",
            "/abs",
            "a//b",
            "a//b/",
            "a//",
            "a\\b",
            "nul\0byte",
            "tab\there",
            "bidi\u{202E}txt",
            "zero\u{200B}width",
            "bom\u{FEFF}",
            "del\u{7F}",
            long.as_str(),
            long_seg.as_str(),
        ] {
            let e = validate_key(k).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", k.escape_debug());
            assert!(!e.message().contains('\0'));
        }
    }

    #[test]
    fn attribute_values_are_printable_ascii() {
        use crate::storage::HttpAttributes;
        let mut ok = HttpAttributes::default();
        ok.set("Cache-Control", "max-age=60, public");
        ok.set("content-disposition", "attachment; filename=\"r.csv\"");
        validate_attributes(&ok).unwrap();
        for bad in [
            "gzip\r\nx-amz-acl: public-read",
            "",
            "  ",
            "caf\u{e9}",
            &"a".repeat(MAX_ATTRIBUTE_LEN + 1),
        ] {
            let mut a = HttpAttributes::default();
            a.set("content-encoding", bad);
            let e = validate_attributes(&a).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(!HttpAttributes::default().set("x-amz-acl", "public-read"));
    }

    #[test]
    fn content_types_are_header_values() {
        for ok in [
            "text/plain",
            "application/json; charset=utf-8",
            "multipart/form-data; boundary=\"a b\"",
        ] {
            validate_content_type(ok).unwrap();
        }
        for bad in [
            "text/plain\r\nx-amz-acl: public-read",
            "text/plain\n",
            "",
            " ",
            "t\u{e9}xt/plain",
            "a\0b",
        ] {
            let e = validate_content_type(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.message().contains("content-type"), "{}", e.message());
        }
    }

    #[test]
    fn metadata_rules() {
        let m = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        validate_metadata(&m(&[("BuildId", "7"), ("owner_x", "bläu"), ("a.b-c", "tab\tok")])).unwrap();
        for bad in [
            m(&[("", "x")]),
            m(&[("has space", "x")]),
            m(&[("line\r\nx-amz-acl", "x")]),
            m(&[("ü", "x")]),
            m(&[(&"n".repeat(MAX_METADATA_NAME_LEN + 1), "x")]),
            m(&[("Owner", "a"), ("owner", "b")]),
            m(&[("owner", "a\r\nx-amz-acl: public-read")]),
            m(&[("owner", "nul\0")]),
        ] {
            let e = validate_metadata(&bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        let e = validate_metadata(&m(&[("Owner", "a"), ("owner", "b")])).unwrap_err();
        assert!(e.to_string().contains("only in case"), "{e}");
    }
}
