//! The `POST /servers` body and the checks made before sending it.
//!
//! Why check labels and user data here: Nova refuses bad metadata or oversized user data
//! with a 400 whose message names its JSON schema, not the label; checking first gives an
//! error that names the label, and nothing (a port) has been created yet.
//!
//! Limits, from Nova's API schema (`nova/api/validation/parameter_types.py`, `metadata` and
//! `servers.py` `user_data`): metadata keys match `^[a-zA-Z0-9-_:. ]{1,255}$`, values are at
//! most 255 characters; at most `maxServerMeta` items (default 128, a quota: exceeding it is
//! Nova's 403, `QuotaExceeded`); `user_data` is base64 of at most 65535 characters.

use std::collections::BTreeMap;

use base64::Engine;
use nimbus_core::{Error, Result};
use serde_json::{json, Value};

use super::microversion::{Microversion, AUTO_NETWORKS};

/// Longest metadata key and value.
pub const META_MAX: usize = 255;
/// Longest base64 `user_data`.
pub const USER_DATA_MAX_B64: usize = 65_535;

/// Labels Nova can store as server metadata.
pub fn check_labels(labels: &BTreeMap<String, String>) -> Result<()> {
    for (k, v) in labels {
        let key_ok = (1..=META_MAX).contains(&k.chars().count())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | ' '));
        if !key_ok {
            return Err(Error::invalid(format!(
                "label key `{}`: Nova metadata keys are 1 to {META_MAX} letters, digits, `-`, `_`, `:`, `.` or spaces",
                k.escape_debug()
            )));
        }
        if v.chars().count() > META_MAX {
            return Err(Error::invalid(format!(
                "label `{k}`: the value has {} characters, Nova metadata values at most {META_MAX}",
                v.chars().count()
            )));
        }
    }
    Ok(())
}

/// User data, base64-encoded, if it fits Nova's limit.
pub fn encode_user_data(user_data: &str) -> Result<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(user_data);
    if b64.len() > USER_DATA_MAX_B64 {
        return Err(Error::invalid(format!(
            "user data of {} bytes is {} characters in base64; Nova takes at most {USER_DATA_MAX_B64}",
            user_data.len(),
            b64.len()
        )));
    }
    Ok(b64)
}

/// Where the server's network interface comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nics {
    /// A port Nimbus created in the requested subnet.
    Port(String),
    /// A network by id (the `network` setting).
    Network(String),
    /// Nova's choice: the project's only network, or "get me a network" (2.37+ `"auto"`).
    Auto,
    /// No interface (2.37+ `"none"`).
    None,
}

/// Where a server goes when neither a subnet nor the `network` setting says: nowhere
/// (`"none"`). Why not Nova's `"auto"`: it attaches the server to whichever network the
/// project happens to have (a network another tool or person created, whose deletion the
/// server then blocks), refuses when there are several, and with none it runs "get me a
/// network", which creates a network, subnet and router that terminating the server never
/// removes. A profile opts in with `network = "auto"`, or names its default network.
pub fn default_nics(network_setting: Option<&str>) -> DefaultNics<'_> {
    match network_setting {
        None | Some("none") => DefaultNics::Nics(Nics::None),
        Some("auto") => DefaultNics::Nics(Nics::Auto),
        Some(n) => DefaultNics::Lookup(n),
    }
}

/// The default interface, or the network name or id to look up first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultNics<'a> {
    /// Decided.
    Nics(Nics),
    /// The `network` setting's network (an id or a name), looked up in Neutron.
    Lookup(&'a str),
}

/// Firewalls need an interface to go on: with [`Nics::None`] (no subnet, no `network`
/// setting) they are refused rather than silently dropped.
pub fn check_firewalls(nics: &Nics, firewalls: &[String]) -> Result<()> {
    if matches!(nics, Nics::None) && !firewalls.is_empty() {
        return Err(Error::invalid(
            "firewalls need a network interface: pass a subnet, or set `network` for servers created without one",
        ));
    }
    Ok(())
}

/// What goes into `POST /servers` besides the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRequest<'a> {
    /// Server name.
    pub name: &'a str,
    /// Flavor id.
    pub flavor_id: &'a str,
    /// Image id.
    pub image_id: &'a str,
    /// Interfaces.
    pub nics: &'a Nics,
    /// Security groups by id (Nova matches names and ids) for the interfaces Nova creates;
    /// empty with [`Nics::Port`], whose port carries them already.
    pub security_groups: &'a [String],
    /// Availability zone.
    pub zone: Option<&'a str>,
    /// Metadata (the portable labels).
    pub labels: &'a BTreeMap<String, String>,
    /// Base64 user data.
    pub user_data: Option<&'a str>,
    /// Keypair name.
    pub key_name: Option<&'a str>,
}

/// The JSON body for `POST /servers` at microversion `mv`.
pub fn create_body(r: &ServerRequest<'_>, mv: Microversion) -> Value {
    let mut s = json!({
        "name": r.name,
        "flavorRef": r.flavor_id,
        "imageRef": r.image_id,
        "metadata": r.labels,
    });
    let auto = mv.at_least(AUTO_NETWORKS);
    match r.nics {
        Nics::Port(p) => s["networks"] = json!([{ "port": p }]),
        Nics::Network(n) => s["networks"] = json!([{ "uuid": n }]),
        // Below 2.37 the field is optional and its absence means the same.
        Nics::Auto if auto => s["networks"] = json!("auto"),
        Nics::None if auto => s["networks"] = json!("none"),
        Nics::Auto | Nics::None => {}
    }
    if !r.security_groups.is_empty() && !matches!(r.nics, Nics::Port(_)) {
        s["security_groups"] = r.security_groups.iter().map(|g| json!({ "name": g })).collect();
    }
    if let Some(z) = r.zone {
        s["availability_zone"] = json!(z);
    }
    if let Some(u) = r.user_data {
        s["user_data"] = json!(u);
    }
    if let Some(k) = r.key_name {
        s["key_name"] = json!(k);
    }
    json!({ "server": s })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(nics: &'a Nics, sgs: &'a [String], labels: &'a BTreeMap<String, String>) -> ServerRequest<'a> {
        ServerRequest {
            name: "web-1",
            flavor_id: "f1",
            image_id: "i1",
            nics,
            security_groups: sgs,
            zone: Some("nova"),
            labels,
            user_data: None,
            key_name: Some("ops"),
        }
    }

    #[test]
    fn bodies_per_network_choice_and_microversion() {
        let labels = BTreeMap::from([("team".to_string(), "qa".to_string())]);
        let sgs = vec!["sg-1".to_string()];
        let new = Microversion(2, 93);
        let b = create_body(&req(&Nics::Port("p1".into()), &sgs, &labels), new);
        assert_eq!(b["server"]["networks"], json!([{"port": "p1"}]));
        assert!(b["server"].get("security_groups").is_none(), "the port carries them");
        let b = create_body(&req(&Nics::Network("n1".into()), &sgs, &labels), new);
        assert_eq!(b["server"]["networks"], json!([{"uuid": "n1"}]));
        assert_eq!(b["server"]["security_groups"], json!([{"name": "sg-1"}]));
        assert_eq!(b["server"]["metadata"]["team"], "qa");
        assert_eq!(
            (
                b["server"]["availability_zone"].as_str(),
                b["server"]["key_name"].as_str()
            ),
            (Some("nova"), Some("ops"))
        );
        assert_eq!(
            create_body(&req(&Nics::Auto, &[], &labels), new)["server"]["networks"],
            "auto"
        );
        assert_eq!(
            create_body(&req(&Nics::None, &[], &labels), new)["server"]["networks"],
            "none"
        );
        let old = Microversion(2, 36);
        assert!(create_body(&req(&Nics::Auto, &[], &labels), old)["server"]
            .get("networks")
            .is_none());
        assert!(create_body(&req(&Nics::None, &[], &labels), old)["server"]
            .get("networks")
            .is_none());
        assert!(check_firewalls(&Nics::None, &sgs).is_err());
        assert!(check_firewalls(&Nics::None, &[]).is_ok());
        assert!(check_firewalls(&Nics::Auto, &sgs).is_ok());
        assert_eq!(default_nics(None), DefaultNics::Nics(Nics::None));
        assert_eq!(default_nics(Some("none")), DefaultNics::Nics(Nics::None));
        assert_eq!(default_nics(Some("auto")), DefaultNics::Nics(Nics::Auto));
        assert_eq!(default_nics(Some("private")), DefaultNics::Lookup("private"));
    }

    #[test]
    fn labels_and_user_data_limits() {
        let ok = BTreeMap::from([
            ("nimbus-conformance".to_string(), "r1".to_string()),
            ("a:b.c d_e".into(), String::new()),
        ]);
        assert!(check_labels(&ok).is_ok());
        for bad in ["", "k/slash", "ключ", &"k".repeat(256)] {
            let l = BTreeMap::from([(bad.to_string(), "v".to_string())]);
            assert_eq!(
                check_labels(&l).unwrap_err().kind(),
                nimbus_core::ErrorKind::InvalidInput,
                "{bad}"
            );
        }
        let l = BTreeMap::from([("k".to_string(), "v".repeat(256))]);
        assert!(check_labels(&l).is_err());
        assert_eq!(encode_user_data("#!/bin/sh\n").unwrap(), "IyEvYmluL3NoCg==");
        assert!(encode_user_data(&"x".repeat(49_149)).is_ok());
        assert!(encode_user_data(&"x".repeat(49_152)).is_err());
    }
}
