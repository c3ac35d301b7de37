//! Nova flavors as portable sizes.
//!
//! Why the flavor *name* is the size id: flavor ids are UUIDs on most clouds (`m1.tiny` is
//! `57127e6f-…` here) and differ between clouds and regions, while names are what users,
//! docs and `openstack server create --flavor` use, and Nova keeps them unique. From
//! microversion 2.47 a server body names its flavor only by `original_name`, so the name is
//! also the only id that round-trips through `get_instance` without another call. A flavor
//! id is accepted too when creating (`SizeChoice::Id("57127e6f-…")`).

use nimbus_core::compute::{pick_size, Size, SizeChoice};
use nimbus_core::{Error, Result};
use serde_json::Value;

/// A flavor, as much as Nimbus needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    /// Nova id (what `flavorRef` takes).
    pub id: String,
    /// Name (the portable size id).
    pub name: String,
    /// vCPUs.
    pub vcpus: u32,
    /// RAM in MiB.
    pub ram_mib: u64,
}

/// The usable flavors of a `GET /flavors/detail` answer: disabled ones are left out.
pub fn flavors_of(body: &Value) -> Vec<Flavor> {
    let mut out: Vec<Flavor> = body
        .get("flavors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.get("OS-FLV-DISABLED:disabled").and_then(Value::as_bool) != Some(true))
        .filter_map(|f| {
            Some(Flavor {
                id: f.get("id")?.as_str()?.to_string(),
                name: f.get("name")?.as_str()?.to_string(),
                vcpus: u32::try_from(f.get("vcpus")?.as_u64()?).ok()?,
                ram_mib: f.get("ram")?.as_u64()?,
            })
        })
        .filter(|f| f.vcpus > 0 && f.ram_mib > 0)
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Portable sizes of flavors.
pub fn sizes_of(flavors: &[Flavor]) -> Vec<Size> {
    flavors.iter().map(|f| Size::new(&f.name, f.vcpus, f.ram_mib)).collect()
}

/// The flavor a choice means: by name or id; requirements pick the smallest fitting
/// (`pick_size`: `CapacityUnavailable` when none fits, `InvalidInput` for an unknown id).
pub fn resolve<'a>(flavors: &'a [Flavor], choice: &SizeChoice) -> Result<&'a Flavor> {
    if let SizeChoice::Id(id) = choice {
        if let Some(f) = flavors.iter().find(|f| &f.id == id) {
            return Ok(f);
        }
    }
    let size = pick_size(&sizes_of(flavors), choice).map_err(|e| match choice {
        SizeChoice::Id(id) => Error::invalid(format!(
            "unknown size `{id}`: no flavor of that name or id (flavors: {})",
            flavors.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        ))
        .with_resource(id.clone()),
        _ => e,
    })?;
    flavors
        .iter()
        .find(|f| f.name == size.id)
        .ok_or_else(|| Error::internal(format!("flavor `{}` vanished from the list", size.id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::ErrorKind;
    use serde_json::json;

    fn body() -> Value {
        json!({"flavors": [
            {"id": "57127e6f", "name": "m1.tiny", "vcpus": 1, "ram": 512, "OS-FLV-DISABLED:disabled": false},
            {"id": "967c9837", "name": "m1.small", "vcpus": 1, "ram": 2048},
            {"id": "3", "name": "m1.medium", "vcpus": 2, "ram": 4096},
            {"id": "old", "name": "m1.retired", "vcpus": 1, "ram": 256, "OS-FLV-DISABLED:disabled": true}
        ]})
    }

    #[test]
    fn flavors_become_sizes_named_by_flavor_name() {
        let f = flavors_of(&body());
        let names: Vec<&str> = f.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["m1.medium", "m1.small", "m1.tiny"]);
        assert_eq!(sizes_of(&f)[2], Size::new("m1.tiny", 1, 512));
    }

    #[test]
    fn choices_resolve_by_name_id_or_requirements() {
        let f = flavors_of(&body());
        assert_eq!(resolve(&f, &SizeChoice::Id("m1.small".into())).unwrap().id, "967c9837");
        assert_eq!(resolve(&f, &SizeChoice::Id("57127e6f".into())).unwrap().name, "m1.tiny");
        let req = |c, m| SizeChoice::Requirements {
            min_vcpus: c,
            min_memory_mib: m,
        };
        assert_eq!(resolve(&f, &req(1, 600)).unwrap().name, "m1.small");
        assert_eq!(resolve(&f, &req(2, 0)).unwrap().name, "m1.medium");
        assert_eq!(
            resolve(&f, &req(3, 0)).unwrap_err().kind(),
            ErrorKind::CapacityUnavailable
        );
        assert_eq!(
            resolve(&f, &req(1, 5000)).unwrap_err().kind(),
            ErrorKind::CapacityUnavailable
        );
        let e = resolve(&f, &SizeChoice::Id("m1.retired".into())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("m1.tiny"), "{e}");
    }
}
