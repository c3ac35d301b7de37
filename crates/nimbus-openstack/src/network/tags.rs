//! What Nimbus keeps in Neutron tags: a network's portable range, a firewall's network, and
//! labels.
//!
//! Why tags: a Neutron network has no address range of its own (only its subnets do), and a
//! security group belongs to a project, not to a network, but the portable `Network` has a
//! range and the portable `Firewall` a network. Both are kept as tags of the resource:
//! - `nimbus-cidr=10.0.0.0/16` on a network: its portable range; the adapter checks that
//!   subnets are inside it (Neutron would accept any range);
//! - `nimbus-network=<network id>` on a security group: the firewall's network, so that
//!   `list_firewalls(Some(network))` is one server-side filtered request
//!   (`GET /v2.0/security-groups?tags=nimbus-network%3D<id>`) and deleting a network that
//!   still has firewalls can be refused;
//! - every label as `key=value` (a tag without `=` reads as a label with an empty value).
//!
//! Rejected alternatives: the `description` (free text users edit, one value per resource,
//! not filterable) and a name prefix (names are the user's). Tags are filterable, shown by
//! `openstack network show`, and any number of them fit.
//!
//! Limits (Neutron's `standard-attr-tag` extension): a tag is at most 255 characters, and the
//! tags of a resource are unique. Labels are therefore limited to `key=value` of at most 255
//! characters, keys not empty and without `=`, and neither key nor value may hold `,` (the
//! separator of Neutron's `tags=` filters, so that every label stays filterable). The keys
//! `nimbus-cidr` and `nimbus-network` are reserved.
//!
//! Zed has no `tags` in the create body (the `tag-creation` extension came later), so the
//! tags are set right after the create with one `PUT /v2.0/<resource>/<id>/tags` that
//! replaces them all; the adapter deletes the resource when that fails, so nothing is left
//! half-made.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use nimbus_core::{Error, Result};
use serde_json::Value;

/// The tag key of a network's portable range.
pub(crate) const CIDR_KEY: &str = "nimbus-cidr";
/// The tag key of a security group's network.
pub(crate) const NETWORK_KEY: &str = "nimbus-network";
/// Neutron's longest tag.
pub(crate) const MAX_TAG_LEN: usize = 255;

/// Checks that labels fit in tags (see the module docs).
pub(crate) fn check_labels(labels: &BTreeMap<String, String>) -> Result<()> {
    for (k, v) in labels {
        let bad = if k.is_empty() {
            Some("an empty key")
        } else if k.contains('=') || k.contains(',') || v.contains(',') {
            Some("`=` in the key or `,` anywhere")
        } else if k == CIDR_KEY || k == NETWORK_KEY {
            Some("a key Nimbus reserves")
        } else if k.len() + 1 + v.len() > MAX_TAG_LEN {
            Some("more than 255 characters as `key=value`")
        } else {
            None
        };
        if let Some(why) = bad {
            return Err(Error::invalid(format!(
                "label `{}` cannot be a Neutron tag: {why} (labels are tags `key=value` of at most {MAX_TAG_LEN} characters, keys without `=`, no `,`, not `{CIDR_KEY}` or `{NETWORK_KEY}`)",
                k.escape_debug()
            )));
        }
    }
    Ok(())
}

/// The tags of a network: its range and labels.
pub(crate) fn network_tags(cidr: Ipv4Net, labels: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = vec![format!("{CIDR_KEY}={cidr}")];
    out.extend(labels.iter().map(|(k, v)| format!("{k}={v}")));
    out
}

/// The tag of a firewall's network.
pub(crate) fn network_tag(network: &str) -> String {
    format!("{NETWORK_KEY}={network}")
}

/// The tags of a Neutron resource.
pub(crate) fn tags_of(resource: &Value) -> Vec<&str> {
    resource
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// What a network's tags say: its range (if tagged and valid) and labels.
pub(crate) fn read_network_tags(tags: &[&str]) -> (Option<Ipv4Net>, BTreeMap<String, String>) {
    let mut cidr = None;
    let mut labels = BTreeMap::new();
    for t in tags {
        let (k, v) = t.split_once('=').unwrap_or((t, ""));
        if k == CIDR_KEY {
            cidr = v.parse::<Ipv4Net>().ok().map(|n| n.trunc());
        } else if k != NETWORK_KEY {
            labels.insert(k.to_string(), v.to_string());
        }
    }
    (cidr, labels)
}

/// The network a security group's tags name, if any.
pub(crate) fn read_network_tag(tags: &[&str]) -> Option<String> {
    tags.iter()
        .find_map(|t| t.strip_prefix(NETWORK_KEY)?.strip_prefix('='))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_tags_round_trip() {
        let cidr: Ipv4Net = "10.0.0.0/16".parse().unwrap();
        let labels = BTreeMap::from([
            ("team".to_string(), "core".to_string()),
            ("empty".to_string(), String::new()),
            ("url".to_string(), "a=b".to_string()),
        ]);
        let tags = network_tags(cidr, &labels);
        assert_eq!(tags[0], "nimbus-cidr=10.0.0.0/16");
        assert!(tags.contains(&"url=a=b".to_string()));
        let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        assert_eq!(read_network_tags(&refs), (Some(cidr), labels));
    }

    #[test]
    fn foreign_tags_read_as_labels_and_a_bad_range_as_none() {
        let (cidr, labels) = read_network_tags(&["plain", "nimbus-cidr=banana"]);
        assert_eq!(cidr, None);
        assert_eq!(labels, BTreeMap::from([("plain".to_string(), String::new())]));
    }

    #[test]
    fn labels_that_cannot_be_tags_are_refused() {
        let ok = |k: &str, v: &str| check_labels(&BTreeMap::from([(k.to_string(), v.to_string())])).is_ok();
        assert!(ok("nimbus-conformance", "run-1"));
        assert!(ok("k", &"v".repeat(253)));
        assert!(!ok("k", &"v".repeat(254)));
        assert!(!ok("", "v"));
        assert!(!ok("a=b", "v"));
        assert!(!ok("a", "b,c"));
        assert!(!ok("nimbus-cidr", "10.0.0.0/8"));
        assert!(!ok("nimbus-network", "x"));
    }

    #[test]
    fn firewall_network_tag() {
        let t = network_tag("n-1");
        assert_eq!(read_network_tag(&["a=b", &t]), Some("n-1".to_string()));
        assert_eq!(read_network_tag(&["nimbus-networks=x"]), None);
        let v = serde_json::json!({"tags": ["x", t]});
        assert_eq!(tags_of(&v), vec!["x", "nimbus-network=n-1"]);
    }
}
