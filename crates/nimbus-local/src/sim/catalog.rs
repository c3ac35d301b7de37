//! The simulator's sizes and images.

use nimbus_core::compute::{Image, Size};

/// Sizes offered by the local cloud.
pub fn sizes() -> Vec<Size> {
    [
        ("local.nano", 1, 512),
        ("local.micro", 1, 1024),
        ("local.small", 2, 2048),
        ("local.medium", 2, 4096),
        ("local.large", 4, 8192),
        ("local.xlarge", 8, 16384),
        ("local.2xlarge", 16, 32768),
    ]
    .into_iter()
    .map(|(id, c, m)| Size::new(id, c, m))
    .collect()
}

/// Images offered by the local cloud, with their portable aliases.
pub fn images() -> Vec<Image> {
    vec![
        Image::new(
            "img-ubuntu-2204",
            "Ubuntu 22.04 LTS (simulated)",
            vec!["ubuntu-22.04".into()],
        ),
        Image::new(
            "img-ubuntu-2404",
            "Ubuntu 24.04 LTS (simulated)",
            vec!["ubuntu-24.04".into(), "ubuntu".into()],
        ),
        Image::new(
            "img-debian-12",
            "Debian 12 (simulated)",
            vec!["debian-12".into(), "debian".into()],
        ),
    ]
}

/// Every alias the catalogue resolves.
pub fn aliases() -> Vec<String> {
    images().into_iter().flat_map(|i| i.aliases).collect()
}
