//! Portable image aliases → public AMIs, found by owner and name pattern (the way the AWS
//! documentation tells you to find current AMIs), newest `CreationDate` first.
//!
//! A lookup table rather than SSM public parameters because SSM is another service, another
//! permission and another SDK crate; the owners and name patterns below are the publishers'
//! own documented ones.

use aws_sdk_ec2::types::Image as AwsImage;
use nimbus_core::compute::Image;
use nimbus_core::{Error, Result};

use crate::ec2::{filter, Ec2};
use crate::error::from_sdk;

/// One alias: who publishes the AMI and what its name looks like.
pub(crate) struct Alias {
    pub alias: &'static str,
    pub owner: &'static str,
    pub pattern: &'static str,
}

/// Aliases in preference order: the first is the default image of the conformance suite.
/// Amazon: <https://docs.aws.amazon.com/linux/al2023/ug/ec2.html> (owner `amazon` =
/// 137112412989); Canonical: <https://documentation.ubuntu.com/aws/aws-how-to/instances/find-ubuntu-images/>
/// (owner 099720109477); Debian: <https://wiki.debian.org/Cloud/AmazonEC2Image> (owner
/// 136693071363).
pub(crate) const ALIASES: &[Alias] = &[
    Alias {
        alias: "amazon-linux-2023",
        owner: "137112412989",
        pattern: "al2023-ami-2023.*-kernel-6.1-x86_64",
    },
    Alias {
        alias: "amazon-linux-2",
        owner: "137112412989",
        pattern: "amzn2-ami-hvm-2.0.*-x86_64-gp2",
    },
    Alias {
        alias: "ubuntu-22.04",
        owner: "099720109477",
        pattern: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*",
    },
    Alias {
        alias: "ubuntu-24.04",
        owner: "099720109477",
        pattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
    },
    Alias {
        alias: "debian-12",
        owner: "136693071363",
        pattern: "debian-12-amd64-*",
    },
];

/// The alias names.
pub(crate) fn alias_names() -> Vec<String> {
    ALIASES.iter().map(|a| a.alias.to_string()).collect()
}

/// `*` wildcard match, as EC2 filters do.
pub(crate) fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Public AMIs that carry an alias (newest per alias) plus the account's own AMIs.
pub(crate) async fn list(ec2: &Ec2) -> Result<Vec<Image>> {
    let mut owners: Vec<&str> = ALIASES.iter().map(|a| a.owner).collect();
    owners.sort();
    owners.dedup();
    let mut req = ec2
        .client
        .describe_images()
        .filters(filter("name", ALIASES.iter().map(|a| a.pattern)))
        .filters(filter("state", ["available"]))
        .filters(filter("architecture", ["x86_64"]));
    for o in owners {
        req = req.owners(o);
    }
    let public = req.send().await.map_err(from_sdk)?;
    let mut out: Vec<Image> = Vec::new();
    for a in ALIASES {
        if let Some(img) = newest(public.images(), a) {
            match out.iter_mut().find(|i| i.id == img.image_id().unwrap_or_default()) {
                Some(existing) => existing.aliases.push(a.alias.to_string()),
                None => out.push(portable(img, vec![a.alias.to_string()])),
            }
        }
    }
    let own = ec2
        .client
        .describe_images()
        .owners("self")
        .send()
        .await
        .map_err(from_sdk)?;
    for img in own.images() {
        if !out.iter().any(|i| Some(i.id.as_str()) == img.image_id()) {
            out.push(portable(img, Vec::new()));
        }
    }
    Ok(out)
}

/// The AMI id an alias stands for in this region.
pub(crate) async fn resolve(ec2: &Ec2, alias: &str) -> Result<String> {
    let Some(a) = ALIASES.iter().find(|a| a.alias == alias) else {
        return Err(Error::invalid(format!(
            "unknown image alias `{alias}`; aliases on AWS: {}",
            alias_names().join(", ")
        )));
    };
    let out = ec2
        .client
        .describe_images()
        .owners(a.owner)
        .filters(filter("name", [a.pattern]))
        .filters(filter("state", ["available"]))
        .filters(filter("architecture", ["x86_64"]))
        .send()
        .await
        .map_err(from_sdk)?;
    newest(out.images(), a)
        .and_then(|i| i.image_id().map(str::to_string))
        .ok_or_else(|| {
            Error::invalid(format!(
                "image alias `{alias}` matches no AMI of owner {} named `{}` in region {}",
                a.owner, a.pattern, ec2.region
            ))
        })
}

/// The newest image matching the alias (the filter is applied again client-side, because
/// one request serves every alias in [`list`]).
fn newest<'a>(images: &'a [AwsImage], a: &Alias) -> Option<&'a AwsImage> {
    images
        .iter()
        .filter(|i| i.owner_id() == Some(a.owner) && i.name().is_some_and(|n| glob(a.pattern, n)))
        .max_by(|x, y| {
            (x.creation_date().unwrap_or_default(), x.name()).cmp(&(y.creation_date().unwrap_or_default(), y.name()))
        })
}

fn portable(i: &AwsImage, aliases: Vec<String>) -> Image {
    Image::new(i.image_id().unwrap_or_default(), i.name().unwrap_or_default(), aliases)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn wildcards() {
        assert!(glob(
            "al2023-ami-2023.*-kernel-6.1-x86_64",
            "al2023-ami-2023.12.20260930.0-kernel-6.1-x86_64"
        ));
        assert!(!glob(
            "al2023-ami-2023.*-kernel-6.1-x86_64",
            "al2023-ami-2023.12.20260930.0-kernel-6.1-arm64"
        ));
        assert!(!glob(
            "al2023-ami-2023.*-kernel-6.1-x86_64",
            "al2023-ami-minimal-2023.1-kernel-6.1-x86_64"
        ));
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b*c", "axxc") && glob("exact", "exact"));
        assert!(!glob("ab*ba", "aba"));
    }
}
