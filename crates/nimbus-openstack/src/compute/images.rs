//! Glance images and the portable image aliases.
//!
//! Why from Glance and not Nova's `/images` proxy: the proxy was deprecated at microversion
//! 2.36 (404 above it) and never showed image properties. Only `active` images are listed:
//! a `queued`, `saving`, `deactivated` or `deleted` image cannot boot.
//!
//! Why aliases come from `os_distro` + `os_version`: OpenStack has no curated publisher like
//! EC2's Canonical account; each cloud uploads its own images. The Glance "common image
//! properties" (`os_distro`, `os_version`, documented for exactly this purpose) are what
//! operators set and what clients such as Horizon show; the image name is the fallback when
//! they are missing (`Ubuntu 22.04 LTS`, `ubuntu-22.04-jammy`). When several images qualify
//! for one alias (clouds keep older builds around), the property match wins over a name
//! match, then the newest `created_at`, so that every alias names exactly one image.

use nimbus_core::compute::{Image, ImageChoice};
use nimbus_core::{Error, ErrorKind, Result};
use serde_json::Value;

use super::NovaCompute;
use crate::client::Service;

/// Aliases Nimbus resolves on OpenStack, in preference order (the first is the suite's
/// default image): `os_distro`, `os_version` and the alias.
pub const ALIASES: &[(&str, &str, &str)] = &[
    ("ubuntu", "22.04", "ubuntu-22.04"),
    ("ubuntu", "24.04", "ubuntu-24.04"),
    ("debian", "12", "debian-12"),
];

/// The alias names.
pub fn alias_names() -> Vec<String> {
    ALIASES.iter().map(|(_, _, a)| a.to_string()).collect()
}

/// How strongly an image claims an alias: by its properties (2) or only by its name (1).
fn claim(img: &Value, distro: &str, version: &str) -> u8 {
    let prop = |k: &str| {
        img.get(k)
            .and_then(Value::as_str)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    // An image for another architecture never carries a portable alias.
    if prop("architecture").is_some_and(|a| !matches!(a.as_str(), "x86_64" | "amd64" | "x86-64")) {
        return 0;
    }
    match (prop("os_distro"), prop("os_version")) {
        (Some(d), Some(v)) => {
            let v = v.trim_end_matches(" lts").to_string();
            u8::from(d == distro && (v == version || v.starts_with(&format!("{version}.")))) * 2
        }
        // Properties say another distribution: the name must not override them.
        (Some(d), None) if d != distro => 0,
        _ => {
            let name = prop("name").unwrap_or_default();
            let tokens: Vec<&str> = name
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
                .filter(|t| !t.is_empty())
                .collect();
            let arm = tokens.iter().any(|t| matches!(*t, "arm64" | "aarch64"));
            u8::from(!arm && tokens.contains(&distro) && tokens.contains(&version))
        }
    }
}

/// Portable images of Glance image bodies: active ones only, each declared alias on the one
/// image that carries it best.
pub fn images_of(raw: &[Value]) -> Vec<Image> {
    let active: Vec<&Value> = raw
        .iter()
        .filter(|i| i.get("status").and_then(Value::as_str) == Some("active"))
        .collect();
    let text = |i: &Value, k: &str| i.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let mut out: Vec<Image> = active
        .iter()
        .map(|i| Image::new(text(i, "id"), text(i, "name"), Vec::new()))
        .collect();
    for (distro, version, alias) in ALIASES {
        let best = active
            .iter()
            .enumerate()
            .map(|(n, i)| (claim(i, distro, version), text(i, "created_at"), text(i, "id"), n))
            .filter(|(c, ..)| *c > 0)
            .max();
        if let Some((.., n)) = best {
            out[n].aliases.push(alias.to_string());
        }
    }
    out
}

impl NovaCompute {
    /// Glance images (active), every page.
    pub(super) async fn glance_images(&self) -> Result<Vec<Value>> {
        let base = image_base(&self.session.endpoint(Service::Image).await?);
        let mut next = Some("/v2/images?status=active&limit=200".to_string());
        let mut out = Vec::new();
        while let Some(path) = next.take() {
            let v = self
                .session
                .get_json(Service::Image, &format!("{base}{path}"), |r| r)
                .await?;
            out.extend(v.get("images").and_then(Value::as_array).cloned().unwrap_or_default());
            next = v.get("next").and_then(Value::as_str).map(str::to_string);
        }
        Ok(out)
    }

    /// The image id a choice means: an alias carried by a listed image, or the id of an
    /// active image. A missing or inactive image is bad input to create.
    pub(super) async fn resolve_image(&self, choice: &ImageChoice) -> Result<String> {
        match choice {
            ImageChoice::Alias(a) => {
                let listed = images_of(&self.glance_images().await?);
                listed
                    .iter()
                    .find(|i| i.aliases.contains(a))
                    .map(|i| i.id.clone())
                    .ok_or_else(|| {
                        let known = alias_names();
                        let why = if known.contains(a) {
                            "no active image of this cloud carries it (os_distro/os_version or name)".to_string()
                        } else {
                            format!("aliases on OpenStack: {}", known.join(", "))
                        };
                        Error::invalid(format!("unknown image alias `{a}`: {why}")).with_resource(a.clone())
                    })
            }
            ImageChoice::Id(id) => {
                let base = image_base(&self.session.endpoint(Service::Image).await?);
                let url = format!("{base}/v2/images/{}", crate::encode::segment(id));
                match self.session.get_json(Service::Image, &url, |r| r).await {
                    Ok(img) => match img.get("status").and_then(Value::as_str) {
                        Some("active") => Ok(id.clone()),
                        other => Err(Error::invalid(format!(
                            "image `{id}` is {}, not active: it cannot boot",
                            other.unwrap_or("in an unknown state")
                        ))
                        .with_resource(id.clone())
                        .with_raw_code("ImageNotActive")),
                    },
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        Err(Error::invalid(format!("image `{id}` does not exist (or was deleted)"))
                            .with_resource(id.clone())
                            .with_raw_code("ImageNotFound"))
                    }
                    Err(e) => Err(e),
                }
            }
            other => Err(Error::invalid(format!("unsupported image choice {other:?}"))),
        }
    }
}

/// The Glance root of an image endpoint (some catalogs register it with `/v2`).
fn image_base(endpoint: &str) -> String {
    let e = endpoint.trim_end_matches('/');
    e.strip_suffix("/v2").unwrap_or(e).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn img(id: &str, name: &str, props: Value, created: &str) -> Value {
        let mut v = json!({"id": id, "name": name, "status": "active", "created_at": created});
        for (k, x) in props.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    #[test]
    fn aliases_from_properties_then_names_newest_first() {
        let raw = vec![
            img(
                "a",
                "nimbus-ubuntu-22.04",
                json!({"os_distro": "ubuntu", "os_version": "22.04"}),
                "2026-01-01T00:00:00Z",
            ),
            // Newer, but only a name match: the property match wins.
            img("b", "Ubuntu 22.04 LTS", json!({}), "2026-06-01T00:00:00Z"),
            img("c", "debian-12-genericcloud", json!({}), "2026-01-01T00:00:00Z"),
            img("d", "debian-12-genericcloud-new", json!({}), "2026-02-01T00:00:00Z"),
            img("e", "ubuntu-24.04-arm64", json!({}), "2026-01-01T00:00:00Z"),
            img(
                "f",
                "noble",
                json!({"os_distro": "ubuntu", "os_version": "24.04", "architecture": "aarch64"}),
                "2026-01-01T00:00:00Z",
            ),
            img(
                "g",
                "ubuntu-22.04-rescue",
                json!({"os_distro": "centos"}),
                "2027-01-01T00:00:00Z",
            ),
            json!({"id": "h", "name": "ubuntu-24.04", "status": "deactivated"}),
        ];
        let got = images_of(&raw);
        let aliases = |id: &str| {
            got.iter()
                .find(|i| i.id == id)
                .map(|i| i.aliases.clone())
                .unwrap_or_default()
        };
        assert_eq!(aliases("a"), vec!["ubuntu-22.04"]);
        assert!(aliases("b").is_empty() && aliases("c").is_empty() && aliases("g").is_empty());
        assert_eq!(aliases("d"), vec!["debian-12"]);
        // Arm images and inactive images carry no alias; the inactive one is not listed.
        assert!(aliases("e").is_empty() && aliases("f").is_empty());
        assert!(!got.iter().any(|i| i.id == "h"));
        assert_eq!(got.len(), 7);
    }

    #[test]
    fn glance_roots() {
        assert_eq!(image_base("http://g:9292/v2/"), "http://g:9292");
        assert_eq!(image_base("http://g:9292"), "http://g:9292");
    }
}
