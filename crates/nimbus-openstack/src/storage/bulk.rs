//! Bulk delete (`POST /?bulk-delete`, the `bulk` middleware).
//!
//! The request body is one URL-encoded `/container/object` per line; the answer (with
//! `Accept: application/json`) is a summary whose `Errors` lists `[path, status]` of each
//! path that could not be deleted. A path not found counts as deleted for the portable
//! contract (deleting a missing key succeeds), and Swift counts it apart
//! (`Number Not Found`), not as an error. The HTTP status is 200 even when the summary's
//! `Response Status` is not: the summary is what counts.

use nimbus_core::{Error, ErrorKind};
use serde_json::Value;

use super::path;

/// The request body for `keys` of `container`.
pub fn body(container: &str, keys: &[String]) -> String {
    let mut s = String::new();
    for k in keys {
        s.push_str(&path::object(container, k));
        s.push('\n');
    }
    s
}

/// The failed paths of a summary (decoded `/container/object`) with their error, or the
/// error of the whole request when its `Response Status` failed and no path is named.
pub fn failures(summary: &Value) -> Result<Vec<(String, Error)>, Error> {
    let status = summary
        .get("Response Status")
        .and_then(Value::as_str)
        .unwrap_or("200 OK");
    let code: u16 = status
        .split_whitespace()
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or(500);
    let errors: Vec<(String, Error)> = summary
        .get("Errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let p = e.get(0)?.as_str()?;
            let why = e.get(1).and_then(Value::as_str).unwrap_or("failed");
            let c: u16 = why
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(code);
            let kind = crate::error::kind_for(None, c, why);
            Some((
                path::decode(p),
                Error::new(kind, format!("bulk delete: {why}")).with_raw_code(why.to_string()),
            ))
        })
        .collect();
    if errors.is_empty() && !(200..300).contains(&code) {
        let body = summary.get("Response Body").and_then(Value::as_str).unwrap_or_default();
        let kind = crate::error::kind_for(None, code, body);
        let kind = if kind == ErrorKind::Internal {
            ErrorKind::Unavailable
        } else {
            kind
        };
        return Err(
            Error::new(kind, format!("bulk delete answered {status}: {body}")).with_raw_code(status.to_string())
        );
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn body_is_encoded_paths_per_line() {
        assert_eq!(body("b", &["a b".into(), "x/y?".into()]), "/b/a%20b\n/b/x/y%3F\n");
    }

    #[test]
    fn summaries() {
        let ok = json!({"Response Status": "200 OK", "Number Deleted": 1, "Number Not Found": 2, "Errors": []});
        assert!(failures(&ok).unwrap().is_empty());
        let some = json!({"Response Status": "400 Bad Request", "Errors": [["/b/a%20b", "409 Conflict"]]});
        let f = failures(&some).unwrap();
        assert_eq!(f[0].0, "/b/a b");
        assert_eq!(f[0].1.kind(), ErrorKind::Conflict);
        let whole = json!({"Response Status": "502 Bad Gateway", "Response Body": "x", "Errors": []});
        assert_eq!(failures(&whole).unwrap_err().kind(), ErrorKind::Unavailable);
    }
}
