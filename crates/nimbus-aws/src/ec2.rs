//! What the EC2 compute and VPC network adapters share: the client, tags and zones.
//!
//! EC2 has no names: a resource's portable name is its `Name` tag and its labels are its
//! other tags (tags under the reserved `aws:` prefix are not labels). Uniqueness of names is
//! therefore the adapter's job, checked with a tag filter before creating; two clients racing
//! to create the same name can both win (documented in docs/differences.md).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use aws_sdk_ec2::Client;
use nimbus_core::{Error, Result};

use crate::error::from_sdk;
use crate::AwsConfig;

/// The tag that carries a resource's portable name.
pub(crate) const NAME_TAG: &str = "Name";

/// An EC2 client and its region.
#[derive(Debug, Clone)]
pub(crate) struct Ec2 {
    pub client: Client,
    pub region: String,
}

impl Ec2 {
    /// From the configuration (standard AWS chain unless static keys are set).
    pub async fn connect(cfg: &AwsConfig) -> Self {
        let sdk = cfg.sdk_config().await;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        Ec2 {
            client: Client::new(&sdk),
            region,
        }
    }

    /// Names of the zones of the region that are available.
    pub async fn zones(&self) -> Result<Vec<String>> {
        let out = self
            .client
            .describe_availability_zones()
            .filters(filter("state", ["available"]))
            .send()
            .await
            .map_err(from_sdk)?;
        let mut zones: Vec<String> = out
            .availability_zones()
            .iter()
            .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
            .filter_map(|z| z.zone_name().map(str::to_string))
            .collect();
        zones.sort();
        zones.dedup();
        Ok(zones)
    }

    /// `InvalidInput` unless `zone` is a zone of the region (checked here because the message
    /// then lists the zones that exist).
    pub async fn check_zone(&self, zone: &str) -> Result<()> {
        let zones = self.zones().await?;
        if zones.iter().any(|z| z == zone) {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "unknown zone `{zone}` in region {}; zones: {}",
                self.region,
                zones.join(", ")
            )))
        }
    }
}

/// A filter with values.
pub(crate) fn filter<I, S>(name: &str, values: I) -> Filter
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut b = Filter::builder().name(name);
    for v in values {
        b = b.values(v);
    }
    b.build()
}

/// Tags for a new resource: its name and labels.
pub(crate) fn tag_spec(kind: ResourceType, name: &str, labels: &BTreeMap<String, String>) -> TagSpecification {
    let mut b = TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key(NAME_TAG).value(name).build());
    for (k, v) in labels {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

/// The name and labels carried by tags.
pub(crate) fn name_and_labels(tags: &[Tag]) -> (Option<String>, BTreeMap<String, String>) {
    let mut name = None;
    let mut labels = BTreeMap::new();
    for t in tags {
        match (t.key(), t.value()) {
            (Some(NAME_TAG), Some(v)) => name = Some(v.to_string()),
            (Some(k), v) if !k.starts_with("aws:") => {
                labels.insert(k.to_string(), v.unwrap_or_default().to_string());
            }
            _ => {}
        }
    }
    (name, labels)
}

/// Portable label keys and values are checked before they become tags: EC2 allows 128/256
/// characters and reserves the `aws:` prefix.
pub(crate) fn check_labels(labels: &BTreeMap<String, String>) -> Result<()> {
    for (k, v) in labels {
        if k.is_empty() || k.len() > 128 || v.len() > 256 || k.starts_with("aws:") || k == NAME_TAG {
            return Err(Error::invalid(format!(
                "label `{}` cannot be an EC2 tag (keys 1-128 characters, not `Name`, not starting with `aws:`; values up to 256)",
                k.escape_debug()
            )));
        }
    }
    Ok(())
}
