//! Nova microversion negotiation.
//!
//! Why negotiate instead of pinning one version: OpenStack clouds in production run anything
//! from Train (max 2.79) to today's release, and a request with a microversion the server
//! does not know is refused with 406. Why not `latest`: the answer's shape would change under
//! Nimbus whenever the cloud is upgraded (2.47 moved the flavor inline into server bodies,
//! 2.75 made unknown query parameters errors); the adapter must only ever see shapes it was
//! written for. So the version is the highest that:
//! - the cloud serves (`version` of the v2.1 entry of Nova's version document),
//! - Nimbus was written and tested against ([`KNOWN_MAX`], Zed's 2.93),
//! - the profile allows (`max_microversion`, for clouds whose newest versions misbehave),
//!
//! and it must be at least the cloud's `min_version` and [`NEEDED_MIN`]. Everything above
//! 2.1 that the adapter uses is gated on the negotiated version (`networks: "auto"` needs
//! 2.37, the inline flavor appears at 2.47), so an older cloud gets older request shapes.

use nimbus_core::{Error, ErrorKind, Result};
use serde_json::Value;

/// The highest microversion this adapter was written and tested against (Zed).
pub const KNOWN_MAX: (u32, u32) = (2, 93);
/// The lowest microversion the adapter can work with: plain v2.1.
pub const NEEDED_MIN: (u32, u32) = (2, 1);
/// `networks: "auto"` / `"none"` in `POST /servers`.
pub const AUTO_NETWORKS: (u32, u32) = (2, 37);
/// Server bodies carry the flavor inline (`original_name`, `vcpus`, `ram`) instead of an id.
pub const INLINE_FLAVOR: (u32, u32) = (2, 47);

/// A negotiated microversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion(pub u32, pub u32);

impl Microversion {
    /// Whether this version is at least `v`.
    pub fn at_least(self, v: (u32, u32)) -> bool {
        (self.0, self.1) >= v
    }

    /// The value of `OpenStack-API-Version` (`compute 2.79`).
    pub fn header(self) -> String {
        format!("compute {self}")
    }
}

impl std::fmt::Display for Microversion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// The version document's URL for a compute endpoint: the endpoint with its version part
/// (`/v2.1`, `/v2.1/<project>`, `/v2/<project>`) cut off, so `https://nova:8774/v2.1` →
/// `https://nova:8774/` and `https://cloud/compute/v2.1/abc` → `https://cloud/compute/`.
pub fn versions_url(endpoint: &str) -> String {
    let e = endpoint.trim_end_matches('/');
    let segments: Vec<&str> = e.split('/').collect();
    // The last segment that looks like `v2`, `v2.1` (a project id never starts with `v2`).
    let cut = segments
        .iter()
        .rposition(|s| s.len() >= 2 && s.starts_with('v') && s[1..].split('.').all(|p| p.parse::<u32>().is_ok()));
    match cut {
        // Index 0..2 are `https:`, ``, host: never a version.
        Some(i) if i >= 3 => format!("{}/", segments[..i].join("/")),
        _ => format!("{e}/"),
    }
}

/// The `(min, max)` microversions of the v2.1 API in a version document: either the root
/// document (`{"versions": [...]}`) or the v2.1 document (`{"version": {...}}`). `None` when
/// the document has no v2.1 entry with microversions (a v2.0-only cloud).
pub fn server_range(doc: &Value) -> Option<((u32, u32), (u32, u32))> {
    let entry = match (doc.get("version"), doc.get("versions").and_then(Value::as_array)) {
        (Some(v), _) => v.clone(),
        (None, Some(list)) => list
            .iter()
            .find(|v| v.get("id").and_then(Value::as_str) == Some("v2.1"))
            .or_else(|| {
                list.iter()
                    .find(|v| v.get("status").and_then(Value::as_str) == Some("CURRENT"))
            })?
            .clone(),
        _ => return None,
    };
    let p = |k: &str| {
        entry
            .get(k)
            .and_then(Value::as_str)
            .and_then(crate::client::parse_microversion)
    };
    let max = p("version")?;
    let min = p("min_version").unwrap_or(NEEDED_MIN);
    Some((min, max))
}

/// The microversion to use against a cloud whose version document is `doc`, capped by the
/// profile's `max_microversion`.
pub fn choose(doc: &Value, configured_max: Option<(u32, u32)>) -> Result<Microversion> {
    let (server_min, server_max) = server_range(doc).ok_or_else(|| {
        Error::new(
            ErrorKind::Unsupported,
            "Nova's version document has no v2.1 API with microversions (a v2.0-only cloud, older than Kilo): not supported",
        )
        .with_raw_code("NoMicroversions")
    })?;
    let mut chosen = server_max.min(KNOWN_MAX);
    if let Some(cap) = configured_max {
        chosen = chosen.min(cap);
    }
    let floor = server_min.max(NEEDED_MIN);
    if chosen < floor {
        let (a, b) = chosen;
        let (c, d) = floor;
        let why = match configured_max {
            Some((x, y)) if (x, y) < floor => format!("`max_microversion` = {x}.{y} is below"),
            _ => "the cloud's newest version is below".to_string(),
        };
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "no compute microversion both sides accept: {why} the minimum {c}.{d} (server {}.{} to {}.{}, Nimbus {}.{} to {}.{}; would choose {a}.{b})",
                server_min.0, server_min.1, server_max.0, server_max.1, NEEDED_MIN.0, NEEDED_MIN.1, KNOWN_MAX.0, KNOWN_MAX.1
            ),
        )
        .with_raw_code("NoCommonMicroversion"));
    }
    Ok(Microversion(chosen.0, chosen.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root(min: &str, max: &str) -> Value {
        json!({"versions": [
            {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": ""},
            {"id": "v2.1", "status": "CURRENT", "version": max, "min_version": min}
        ]})
    }

    #[test]
    fn highest_common_version_capped_by_ours_and_the_profile() {
        // Zed as this stack reports it.
        assert_eq!(choose(&root("2.1", "2.93"), None).unwrap(), Microversion(2, 93));
        // A newer cloud: never above what Nimbus knows.
        assert_eq!(choose(&root("2.1", "2.100"), None).unwrap(), Microversion(2, 93));
        // Train.
        assert_eq!(choose(&root("2.1", "2.79"), None).unwrap(), Microversion(2, 79));
        // The profile's cap wins when lower, not when higher.
        assert_eq!(
            choose(&root("2.1", "2.93"), Some((2, 60))).unwrap(),
            Microversion(2, 60)
        );
        assert_eq!(
            choose(&root("2.1", "2.79"), Some((2, 90))).unwrap(),
            Microversion(2, 79)
        );
        // Minor versions compare as numbers, not strings (2.9 < 2.10).
        assert_eq!(choose(&root("2.1", "2.9"), Some((2, 10))).unwrap(), Microversion(2, 9));
        // The v2.1 document (GET on the endpoint itself) works too.
        let doc = json!({"version": {"id": "v2.1", "version": "2.88", "min_version": "2.1"}});
        assert_eq!(choose(&doc, None).unwrap(), Microversion(2, 88));
    }

    #[test]
    fn impossible_ranges_are_typed() {
        let e = choose(&root("2.50", "2.93"), Some((2, 40))).unwrap_err();
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::Unsupported, Some("NoCommonMicroversion"))
        );
        assert!(e.message().contains("max_microversion"), "{e}");
        let v20 = json!({"versions": [{"id": "v2.0", "status": "CURRENT", "version": "", "min_version": ""}]});
        assert_eq!(choose(&v20, None).unwrap_err().raw_code(), Some("NoMicroversions"));
    }

    #[test]
    fn features_and_headers() {
        let v = Microversion(2, 79);
        assert!(v.at_least(AUTO_NETWORKS) && v.at_least(INLINE_FLAVOR) && !v.at_least((2, 80)));
        assert!(!Microversion(2, 36).at_least(AUTO_NETWORKS));
        assert_eq!(v.header(), "compute 2.79");
        assert_eq!(v.to_string(), "2.79");
    }

    #[test]
    fn version_document_url() {
        assert_eq!(versions_url("http://127.0.0.1:28774/v2.1"), "http://127.0.0.1:28774/");
        assert_eq!(
            versions_url("https://nova.example:8774/v2.1/0123abcd/"),
            "https://nova.example:8774/"
        );
        assert_eq!(
            versions_url("https://cloud.example/compute/v2/0123abcd"),
            "https://cloud.example/compute/"
        );
        assert_eq!(
            versions_url("https://cloud.example/compute"),
            "https://cloud.example/compute/"
        );
    }
}
