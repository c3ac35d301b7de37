//! Sizes: libvirt has no flavours, so the adapter declares a catalogue (the profile's
//! `sizes`, else a default one shaped like the clouds' small families) and offers only the
//! sizes this host can hold: no more vCPUs than it has, no more memory than it has.

use nimbus_core::compute::Size;
use nimbus_core::{Error, Result};

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeDef {
    /// Size id.
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub memory_mib: u64,
}

const DEFAULT: &[(&str, u32, u64)] = &[
    ("nano", 1, 128),
    ("micro", 1, 256),
    ("small", 1, 512),
    ("medium", 2, 1024),
    ("large", 2, 4096),
    ("xlarge", 8, 16384),
];

/// Parses `name=vcpus/MiB,…`; `None` gives the default catalogue.
pub fn parse_catalogue(spec: Option<&str>) -> Result<Vec<SizeDef>> {
    let Some(spec) = spec else {
        return Ok(DEFAULT
            .iter()
            .map(|(n, c, m)| SizeDef {
                name: (*n).into(),
                vcpus: *c,
                memory_mib: *m,
            })
            .collect());
    };
    let mut out: Vec<SizeDef> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = || {
            Error::invalid(format!(
                "size `{item}`: expected NAME=VCPUS/MiB with both above 0, e.g. small=1/512"
            ))
        };
        let (name, rest) = item.split_once('=').ok_or_else(bad)?;
        let (c, m) = rest.split_once('/').ok_or_else(bad)?;
        let vcpus: u32 = c.trim().parse().map_err(|_| bad())?;
        let memory_mib: u64 = m.trim().parse().map_err(|_| bad())?;
        let name = name.trim();
        if name.is_empty() || vcpus == 0 || memory_mib == 0 {
            return Err(bad());
        }
        if out.iter().any(|s| s.name == name) {
            return Err(Error::invalid(format!("size `{name}` is declared twice")));
        }
        out.push(SizeDef {
            name: name.into(),
            vcpus,
            memory_mib,
        });
    }
    if out.is_empty() {
        return Err(Error::invalid("`sizes` declares no size"));
    }
    Ok(out)
}

/// The catalogue entries this host can hold.
pub fn fitting(catalogue: &[SizeDef], host_cpus: u32, host_mib: u64) -> Vec<Size> {
    catalogue
        .iter()
        .filter(|s| s.vcpus <= host_cpus && s.memory_mib <= host_mib)
        .map(|s| Size::new(s.name.clone(), s.vcpus, s.memory_mib))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_bounds_the_catalogue() {
        let all = parse_catalogue(None).unwrap();
        let ids: Vec<String> = fitting(&all, 2, 8000).into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["nano", "micro", "small", "medium", "large"]);
        assert!(fitting(&all, 1, 200)
            .iter()
            .all(|s| s.vcpus == 1 && s.memory_mib <= 200));
    }

    #[test]
    fn custom_catalogues_parse_and_bad_ones_are_refused() {
        let c = parse_catalogue(Some("a=1/64, b=2/2048")).unwrap();
        assert_eq!((c[1].name.as_str(), c[1].vcpus, c[1].memory_mib), ("b", 2, 2048));
        for bad in ["a", "a=1", "a=0/64", "a=1/x", "a=1/64,a=2/64", " , "] {
            assert!(parse_catalogue(Some(bad)).is_err(), "{bad}");
        }
    }
}
