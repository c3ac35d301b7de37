//! Images and instance disks as volumes of one storage pool.
//!
//! An image is a volume the operator put in the pool (not made by Nimbus, not itself an
//! overlay); an
//! instance's disk is a qcow2 overlay whose backing store is the image, so the image is
//! never written and many instances share it. Nimbus names what it creates after the
//! instance's UUID (`<uuid>.nimbus-disk.qcow2`, `<uuid>.nimbus-seed.iso`), which is how a
//! terminate finds them again even after the domain is gone.

use nimbus_core::compute::{Image, ImageChoice};
use nimbus_core::{Error, ErrorKind, Result};

use crate::conn::{Conn, Handle};
use crate::error::map;
use crate::xml::{self, esc};

use super::PROVIDER;

const DISK_SUFFIX: &str = ".nimbus-disk.qcow2";
const SEED_SUFFIX: &str = ".nimbus-seed.iso";

/// The overlay volume name of an instance.
pub fn disk_name(uuid: &str) -> String {
    format!("{uuid}{DISK_SUFFIX}")
}

/// The NoCloud seed volume name of an instance.
pub fn seed_name(uuid: &str) -> String {
    format!("{uuid}{SEED_SUFFIX}")
}

/// The portable alias of an image volume: its name without the disk-format extension.
pub fn alias_of(name: &str) -> String {
    for ext in [".qcow2", ".img", ".raw"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    name.to_string()
}

/// The configured pool (`InvalidInput` naming it when it does not exist).
pub fn pool(conn: &Conn, name: &str, op: &'static str) -> Result<Handle> {
    conn.pool(name).map_err(|e| map(e, PROVIDER, op))?.ok_or_else(|| {
        Error::invalid(format!(
            "storage pool `{name}` does not exist on this host (set `pool` in the profile; `virsh pool-list --all` shows them)"
        ))
    })
}

/// The images of the pool (volumes Nimbus did not create), by name.
pub fn list_images(conn: &Conn, pool_name: &str) -> Result<Vec<Image>> {
    let p = pool(conn, pool_name, "list_images")?;
    // Picks up images copied into a directory pool from outside libvirt; the test
    // driver has no directory behind its pool and refuses, which changes nothing.
    let _ = conn.pool_refresh(&p);
    let mut out = Vec::new();
    for v in conn.volumes(&p).map_err(|e| map(e, PROVIDER, "list_images"))? {
        let name = conn.volume_name(&v).map_err(|e| map(e, PROVIDER, "list_images"))?;
        if name.ends_with(DISK_SUFFIX) || name.ends_with(SEED_SUFFIX) || name.ends_with(".iso") {
            continue;
        }
        // An overlay (a volume with a backing store) is some machine's disk, not an image.
        let vx = conn.volume_xml(&v).map_err(|e| map(e, PROVIDER, "list_images"))?;
        if xml::find(xml::parse(&vx)?.root_element(), "backingStore").is_some_and(|b| xml::child(b, "path").is_some()) {
            continue;
        }
        out.push(Image::new(name.clone(), name.clone(), vec![alias_of(&name)]));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The image a choice names (`InvalidInput` when none).
pub fn resolve(images: &[Image], choice: &ImageChoice) -> Result<Image> {
    let found = match choice {
        ImageChoice::Id(id) => images.iter().find(|i| &i.id == id),
        ImageChoice::Alias(a) => images.iter().find(|i| i.aliases.iter().any(|x| x == a)),
        _ => None,
    };
    found.cloned().ok_or_else(|| {
        let what = match choice {
            ImageChoice::Id(id) => format!("image `{id}`"),
            ImageChoice::Alias(a) => format!("image alias `{a}`"),
            other => format!("image {other:?}"),
        };
        let known: Vec<&str> = images.iter().map(|i| i.id.as_str()).collect();
        Error::invalid(format!(
            "unknown {what}: the pool holds {}",
            if known.is_empty() {
                "no image".to_string()
            } else {
                known.join(", ")
            }
        ))
    })
}

/// Creates the instance's qcow2 overlay on the image; returns its path.
pub fn create_overlay(conn: &Conn, pool: &Handle, image: &str, uuid: &str) -> Result<String> {
    let m = |e| map(e, PROVIDER, "create_instance");
    let base = conn
        .volume(pool, image)
        .map_err(m)?
        .ok_or_else(|| Error::invalid(format!("image `{image}` vanished from the pool")))?;
    let base_xml = conn.volume_xml(&base).map_err(m)?;
    let doc = xml::parse(&base_xml)?;
    let root = doc.root_element();
    let capacity = xml::child_text(root, "capacity")
        .and_then(|c| c.parse::<u64>().ok())
        .unwrap_or(1 << 30);
    let format = xml::child(root, "target")
        .and_then(|t| xml::child(t, "format"))
        .and_then(|f| f.attribute("type"))
        .unwrap_or("raw")
        .to_string();
    let base_path = conn.volume_path(&base).map_err(m)?;
    let vol_xml = format!(
        "<volume><name>{}</name><capacity unit=\"bytes\">{capacity}</capacity>\
<target><format type=\"qcow2\"/></target>\
<backingStore><path>{}</path><format type=\"{}\"/></backingStore></volume>",
        esc(&disk_name(uuid)),
        esc(&base_path),
        esc(&format)
    );
    let v = conn.create_volume(pool, &vol_xml).map_err(m)?;
    conn.volume_path(&v).map_err(m)
}

/// Creates and fills the instance's NoCloud seed volume; returns its path.
pub fn create_seed(conn: &Conn, pool: &Handle, uuid: &str, iso: &[u8]) -> Result<String> {
    let m = |e| map(e, PROVIDER, "create_instance");
    let vol_xml = format!(
        "<volume><name>{}</name><capacity unit=\"bytes\">{}</capacity><target><format type=\"raw\"/></target></volume>",
        esc(&seed_name(uuid)),
        iso.len()
    );
    let v = conn.create_volume(pool, &vol_xml).map_err(m)?;
    if let Err(e) = conn.upload(&v, iso) {
        let _ = conn.delete_volume(&v);
        return Err(m(e));
    }
    conn.volume_path(&v).map_err(m)
}

/// Deletes whatever volumes Nimbus made for an instance (absent ones are fine).
pub fn delete_instance_volumes(conn: &Conn, pool: &Handle, uuid: &str) -> Result<()> {
    for name in [disk_name(uuid), seed_name(uuid)] {
        if let Some(v) = conn
            .volume(pool, &name)
            .map_err(|e| map(e, PROVIDER, "terminate_instance"))?
        {
            conn.delete_volume(&v)
                .map_err(|e| map(e, PROVIDER, "terminate_instance"))?;
        }
    }
    Ok(())
}

/// Imports an image: a new volume in the pool, filled with `data` where the driver takes
/// uploads (the test driver does not: it gets an empty volume of `capacity` bytes).
pub fn import(
    conn: &Conn,
    pool: &Handle,
    name: &str,
    format: &str,
    capacity: u64,
    data: Option<&[u8]>,
) -> Result<Image> {
    let m = |e| map(e, PROVIDER, "import_image");
    if conn.volume(pool, name).map_err(m)?.is_some() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("volume `{name}` already exists"),
        ));
    }
    let vol_xml = format!(
        "<volume><name>{}</name><capacity unit=\"bytes\">{capacity}</capacity><target><format type=\"{}\"/></target></volume>",
        esc(name),
        esc(format)
    );
    let v = conn.create_volume(pool, &vol_xml).map_err(m)?;
    if let Some(d) = data {
        if let Err(e) = conn.upload(&v, d) {
            let _ = conn.delete_volume(&v);
            return Err(m(e));
        }
    }
    Ok(Image::new(name, name, vec![alias_of(name)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_resolution() {
        assert_eq!(alias_of("debian-12.qcow2"), "debian-12");
        assert_eq!(alias_of("x.img"), "x");
        let imgs = vec![Image::new(
            "debian-12.qcow2",
            "debian-12.qcow2",
            vec!["debian-12".into()],
        )];
        assert_eq!(
            resolve(&imgs, &ImageChoice::Alias("debian-12".into())).unwrap().id,
            "debian-12.qcow2"
        );
        assert_eq!(
            resolve(&imgs, &ImageChoice::Id("debian-12.qcow2".into())).unwrap().id,
            "debian-12.qcow2"
        );
        let e = resolve(&imgs, &ImageChoice::Alias("ubuntu-22.04".into())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("debian-12.qcow2"));
    }
}
