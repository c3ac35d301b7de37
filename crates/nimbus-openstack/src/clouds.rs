//! `clouds.yaml` and the `OS_*` variables, flattened to the provider's own key names.
//!
//! Why read them at all: they are how every OpenStack user already holds credentials
//! (Horizon hands out an `openrc` and a `clouds.yaml`). The lookup order and the file names
//! are those of openstacksdk (os-client-config): `OS_CLIENT_CONFIG_FILE`, then
//! `./clouds.yaml`, `~/.config/openstack/clouds.yaml`, `/etc/openstack/clouds.yaml`; a
//! `secure.yaml` next to it may hold the secrets of the same cloud.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nimbus_core::config::suggest::did_you_mean;
use nimbus_core::{Error, Result};
use serde_yaml::Value;

/// The values of cloud `name`, flattened (`auth.username` → `username`, `region_name` →
/// `region`, `verify: false` → `insecure = true`), and the file they came from.
pub fn load(name: &str, file: Option<&Path>) -> Result<(BTreeMap<String, String>, PathBuf)> {
    let path = match file {
        Some(f) => f.to_path_buf(),
        None => search_paths("clouds.yaml")
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "cloud `{name}` was asked for but no clouds.yaml exists (looked in ./, ~/.config/openstack/, /etc/openstack/; set `clouds_file` or OS_CLIENT_CONFIG_FILE)"
                ))
            })?,
    };
    let mut values = entry(&read(&path)?, name, &path)?;
    // secure.yaml beside it (or in the search path) adds what clouds.yaml left out.
    let secure = path.with_file_name("secure.yaml");
    if secure.is_file() {
        if let Ok(extra) = entry(&read(&secure)?, name, &secure) {
            for (k, v) in extra {
                values.entry(k).or_insert(v);
            }
        }
    }
    Ok((values, path))
}

fn search_paths(file: &str) -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from(file)];
    if let Some(home) = std::env::var_os("HOME") {
        v.push(PathBuf::from(home).join(".config/openstack").join(file));
    }
    v.push(PathBuf::from("/etc/openstack").join(file));
    v
}

fn read(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    serde_yaml::from_str(&text).map_err(|e| Error::invalid(format!("{}: not valid YAML: {e}", path.display())))
}

fn entry(doc: &Value, name: &str, path: &Path) -> Result<BTreeMap<String, String>> {
    let clouds = doc
        .get("clouds")
        .and_then(Value::as_mapping)
        .ok_or_else(|| Error::invalid(format!("{}: no `clouds:` section", path.display())))?;
    let cloud = clouds.get(name).ok_or_else(|| {
        let names: Vec<&str> = clouds.keys().filter_map(Value::as_str).collect();
        let hint = did_you_mean(name, names.iter().copied())
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        Error::not_found(format!("cloud `{name}` in {}{hint}", path.display()))
    })?;
    let mut out = BTreeMap::new();
    flatten(cloud, &mut out);
    if let Some(auth) = cloud.get("auth") {
        flatten(auth, &mut out);
    }
    if let Some(v) = cloud.get("verify").and_then(Value::as_bool) {
        out.insert("insecure".into(), (!v).to_string());
    }
    Ok(out)
}

fn flatten(map: &Value, out: &mut BTreeMap<String, String>) {
    let Some(m) = map.as_mapping() else { return };
    for (k, v) in m {
        let (Some(k), Some(v)) = (k.as_str(), scalar(v)) else {
            continue;
        };
        out.insert(canonical(k).to_string(), v);
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// clouds.yaml and openrc names → this provider's key names.
fn canonical(k: &str) -> &str {
    match k {
        "region_name" => "region",
        "endpoint_type" => "interface",
        "tenant_name" => "project_name",
        "tenant_id" => "project_id",
        "cacert" | "ca_bundle" => "cacert",
        other => other,
    }
}

/// The `OS_*` variables as key names (`OS_PROJECT_NAME` → `project_name`).
pub fn from_env(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("OS_")?.to_ascii_lowercase();
            Some((canonical(&key).to_string(), v.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cloud_entry_is_flattened_and_secure_yaml_fills_secrets() {
        let dir = std::env::temp_dir().join(format!("nimbus-clouds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let clouds = dir.join("clouds.yaml");
        std::fs::write(
            &clouds,
            "clouds:\n  acme:\n    auth:\n      auth_url: https://id.acme.example:5000\n      username: ops\n      project_name: shop\n      user_domain_name: Default\n    region_name: RegionTwo\n    interface: internal\n    verify: false\n    identity_api_version: 3\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("secure.yaml"),
            "clouds:\n  acme:\n    auth:\n      password: planted-secure-9876\n",
        )
        .unwrap();
        let (v, path) = load("acme", Some(&clouds)).unwrap();
        assert_eq!(path, clouds);
        assert_eq!(v["region"], "RegionTwo");
        assert_eq!(v["username"], "ops");
        assert_eq!(v["password"], "planted-secure-9876");
        assert_eq!(v["insecure"], "true");
        let err = load("acm", Some(&clouds)).unwrap_err();
        assert!(err.message().contains("did you mean `acme`"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn openrc_names_map_to_keys() {
        let env: BTreeMap<String, String> = [
            ("OS_TENANT_NAME", "t"),
            ("OS_REGION_NAME", "r"),
            ("OS_ENDPOINT_TYPE", "publicURL"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let v = from_env(&env);
        assert_eq!(
            (
                v["project_name"].as_str(),
                v["region"].as_str(),
                v["interface"].as_str()
            ),
            ("t", "r", "publicURL")
        );
    }
}
