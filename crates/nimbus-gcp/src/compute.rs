//! [`Compute`] on Compute Engine instances.
//!
//! How the portable model maps:
//! - an instance id is `zone/name` (a bare name means the configured zone): names are unique
//!   per zone, and every instance call needs the zone;
//! - sizes are the zone's machine types; requirements pick the smallest that fits;
//! - images are image links; portable aliases resolve through **image families**
//!   (`getFromFamily`: the newest non-deprecated image of the family);
//! - a subnet id (`region/name`) becomes the network interface's subnetwork; without one the
//!   interface joins the configured network (`default`);
//! - firewalls attach through **network tags**: a portable firewall id is also the tag its
//!   rules target (see [`crate::network`]), so `firewalls` become `tags.items`;
//! - labels are instance labels, filtered server side; user data is the `startup-script`
//!   metadata item;
//! - `stop` ends compute billing already (Compute Engine's `TERMINATED` state, which is the
//!   portable `stopped`, keeping the raw state), so [`StopMode::Deallocate`] is a plain stop;
//! - `reboot` is `instances.reset`, a **hard reset**: like pressing a reset button, the
//!   guest gets no ACPI shutdown, so unflushed writes and running services are cut off
//!   (<https://cloud.google.com/compute/docs/reference/rest/v1/instances/reset>), while
//!   EC2's `RebootInstances` asks the guest to shut down first (and hard-reboots only if it
//!   does not within minutes). Compute Engine has no soft-reboot call; a clean restart is
//!   `stop` then `start`. No capability or registered difference says so yet
//!   (`NOTES-gcp-reset.md` at the repository root proposes the entry);
//! - a deleted instance is gone at once, as on Azure: `get_instance` after
//!   `terminate_instance` is `NotFound` (which `ComputeExt::wait_for_state` counts as
//!   terminated), and terminating an instance that is already gone succeeds with state
//!   terminated (raw `not found`), as the portable trait promises, so a retried terminate
//!   succeeds.
//!
//! `nimbus_core::contract::Contract` is above it: validation, capability gates, error context.
//! What stays here is Compute Engine's own: ids, zones, machine types and firewall names as
//! path segments (RFC 1035 names, see `gce::scoped_id`), label syntax (also a list filter).

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nimbus_core::compute::*;
use nimbus_core::network::validate::validate_name;
use nimbus_core::{ComputeCapabilities, Error, ErrorKind, Result};
use reqwest::Method;
use serde_json::{json, Value};

use crate::config::{region_of_zone, GceConfig};
use crate::gce::{leaf, q, scoped_id, GceClient};

const PROVIDER: &str = "gcp-compute";
/// How long the machine-type list is reused.
const SIZE_TTL: Duration = Duration::from_secs(900);

/// Portable image aliases → `project/family`, from Google's public image list
/// (<https://cloud.google.com/compute/docs/images/os-details>).
pub const IMAGE_FAMILIES: &[(&str, &str)] = &[
    ("ubuntu-22.04", "ubuntu-os-cloud/ubuntu-2204-lts"),
    ("ubuntu-24.04", "ubuntu-os-cloud/ubuntu-2404-lts-amd64"),
    ("debian-12", "debian-cloud/debian-12"),
];

/// What Compute Engine declares.
pub fn gce_compute_capabilities() -> ComputeCapabilities {
    let mut c = ComputeCapabilities::none();
    c.start = true;
    c.stop = true;
    c.stop_keeps_billing = false;
    c.deallocate = true;
    c.reboot = true;
    c.user_data = true;
    c.server_side_label_filter = true;
    c.image_aliases = IMAGE_FAMILIES.iter().map(|(a, _)| a.to_string()).collect();
    // One project addresses every region's zones; `regions.list` returns them all.
    c.region_scope = nimbus_core::Scope::Global;
    // https://cloud.google.com/compute/docs/reference/rest/v1/instances/reset
    c.reboot_is_hard_reset = true;
    c
}

/// Machine types and when they were read.
type SizeCache = (Instant, Vec<Size>);

/// Compute Engine instances of one project, created in the configured zone.
#[derive(Debug, Clone)]
pub struct GceCompute {
    gce: GceClient,
    sizes: Arc<Mutex<Option<SizeCache>>>,
}

/// The portable state of a Compute Engine status (`Instance.status` in the discovery
/// document), keeping the raw one.
pub fn state_of(status: &str) -> InstanceState {
    let s = match status {
        "PROVISIONING" | "STAGING" => State::Pending,
        "RUNNING" => State::Running,
        "STOPPING" | "SUSPENDING" => State::Stopping,
        // TERMINATED is Compute Engine's stopped: the instance still exists, unbilled.
        "STOPPED" | "TERMINATED" | "SUSPENDED" => State::Stopped,
        "DEPROVISIONING" => State::Terminating,
        _ => State::Unknown,
    };
    InstanceState::new(s, status)
}

/// An instance resource as a portable instance.
pub fn instance_of(v: &Value) -> Instance {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str);
    let zone = s("/zone").map(leaf).unwrap_or_default().to_string();
    let name = s("/name").unwrap_or_default();
    let mut i = Instance::new(
        format!("{zone}/{name}"),
        name,
        state_of(s("/status").unwrap_or_default()),
    );
    i.size = s("/machineType").map(leaf).unwrap_or_default().to_string();
    i.region = region_of_zone(&zone).to_string();
    i.zone = Some(zone);
    i.subnet = s("/networkInterfaces/0/subnetwork").map(subnet_id);
    i.firewalls = v
        .pointer("/tags/items")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    i.private_ip = s("/networkInterfaces/0/networkIP").map(str::to_string);
    i.public_ip = s("/networkInterfaces/0/accessConfigs/0/natIP").map(str::to_string);
    i.labels = labels_of(v);
    i.created = s("/creationTimestamp").and_then(nimbus_core::time::parse_rfc3339);
    i
}

/// `labels` of a resource.
fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, x)| Some((k.clone(), x.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// `…/regions/R/subnetworks/N` → `R/N`.
pub(crate) fn subnet_id(link: &str) -> String {
    let parts: Vec<&str> = link.rsplit('/').take(3).collect();
    match parts.as_slice() {
        [name, "subnetworks", region] => format!("{region}/{name}"),
        _ => leaf(link).to_string(),
    }
}

/// Label keys and values as Compute Engine takes them: keys 1–63 of lowercase letters,
/// digits, `_` and `-`, starting with a letter; values 0–63 of the same.
fn check_labels(labels: &BTreeMap<String, String>) -> Result<()> {
    let ok = |s: &str| {
        s.len() <= 63
            && s.chars().all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || c == '_'
                    || c == '-'
                    || (c.is_alphabetic() && c.is_lowercase())
            })
    };
    for (k, v) in labels {
        if k.is_empty() || !k.starts_with(|c: char| c.is_ascii_lowercase()) || !ok(k) || !ok(v) {
            return Err(Error::invalid(format!(
                "label `{}`=`{}`: Compute Engine takes lowercase letters, digits, _ and - (keys start with a letter, both at most 63)",
                k.escape_debug(),
                v.escape_debug()
            )));
        }
    }
    Ok(())
}

impl GceCompute {
    /// Instances through `cfg` (no request is made yet).
    pub fn connect(cfg: &GceConfig) -> Result<Self> {
        Ok(Self::with_client(GceClient::new(cfg)?))
    }

    /// From a client shared with networking.
    pub fn with_client(gce: GceClient) -> Self {
        GceCompute {
            gce,
            sizes: Arc::new(Mutex::new(None)),
        }
    }

    /// The REST client (escape hatch).
    pub fn client(&self) -> &GceClient {
        &self.gce
    }

    /// `zone/name` (or a bare name in the configured zone) → its path; a malformed id is
    /// `InvalidInput` before any request.
    fn instance_path(&self, id: &str) -> Result<String> {
        let (zone, name) = scoped_id("instance", id, &self.gce.config().zone)?;
        Ok(format!("zones/{zone}/instances/{name}"))
    }

    /// The image link for an alias (through its family) or an explicit image.
    async fn resolve_image(&self, choice: &ImageChoice) -> Result<String> {
        match choice {
            ImageChoice::Alias(a) => {
                let (_, fam) = IMAGE_FAMILIES.iter().find(|(x, _)| x == a).ok_or_else(|| {
                    Error::invalid(format!(
                        "unknown image alias `{a}` on Compute Engine (known: {})",
                        IMAGE_FAMILIES.iter().map(|(x, _)| *x).collect::<Vec<_>>().join(", ")
                    ))
                })?;
                let img = self.family_image(fam).await?;
                img["selfLink"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Error::internal(format!("image family {fam} answered without a selfLink")))
            }
            ImageChoice::Id(id) if id.is_empty() => Err(Error::invalid("an empty image id")),
            ImageChoice::Id(id) => Ok(id.clone()),
            _ => Err(Error::invalid("unknown image choice")),
        }
    }

    /// `GET projects/P/global/images/family/F` for `P/F`.
    async fn family_image(&self, project_family: &str) -> Result<Value> {
        let (project, family) = project_family.split_once('/').unwrap_or(("", project_family));
        self.gce
            .api()
            .call(
                Method::GET,
                &format!("/projects/{project}/global/images/family/{family}"),
                None,
            )
            .await
    }

    /// `networkInterfaces[0]` for a subnet id, or the configured network.
    fn interface(&self, subnet: Option<&str>) -> Result<Value> {
        let c = self.gce.config();
        let mut nic = match subnet {
            Some(s) => {
                let (region, name) = scoped_id("subnet", s, &c.region)?;
                json!({ "subnetwork": self.gce.link(&format!("regions/{region}/subnetworks/{name}")) })
            }
            None => json!({ "network": self.gce.link(&format!("global/networks/{}", c.network)) }),
        };
        if c.public_ip {
            nic["accessConfigs"] = json!([{ "name": "External NAT", "type": "ONE_TO_ONE_NAT" }]);
        }
        Ok(nic)
    }

    async fn action(&self, id: &str, verb: &str) -> Result<Instance> {
        let path = format!("{}/{verb}", self.instance_path(id)?);
        self.gce.operate(Method::POST, &path, None).await?;
        self.get_instance(id).await
    }
}

#[async_trait]
impl Compute for GceCompute {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        gce_compute_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.gce.clone()))
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        let regions = self.gce.list("regions").await?;
        Ok(regions
            .iter()
            .map(|r| {
                let mut zones: Vec<String> = r["zones"]
                    .as_array()
                    .map(|z| {
                        z.iter()
                            .filter_map(|x| x.as_str().map(|s| leaf(s).to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                zones.sort();
                Region::new(r["name"].as_str().unwrap_or_default(), zones)
            })
            .collect())
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        if let Some((at, s)) = &*self.sizes.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < SIZE_TTL {
                return Ok(s.clone());
            }
        }
        let zone = self.gce.config().zone.clone();
        let types = self
            .gce
            .list(&format!("zones/{zone}/machineTypes"))
            .await
            // The zone asked: the contract's context names no resource for a list.
            .map_err(|e| e.with_resource(zone.clone()))?;
        let mut sizes: Vec<Size> = types
            .iter()
            .filter(|t| t.pointer("/deprecated/state").is_none())
            .filter_map(|t| {
                Some(Size::new(
                    t["name"].as_str()?,
                    t["guestCpus"].as_u64()? as u32,
                    t["memoryMb"].as_u64()?,
                ))
            })
            .collect();
        sizes.sort_by(|a, b| a.id.cmp(&b.id));
        *self.sizes.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), sizes.clone()));
        Ok(sizes)
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        let mut out = Vec::new();
        for (alias, fam) in IMAGE_FAMILIES {
            // The family that failed: the contract's context names no resource for a list.
            let img = self.family_image(fam).await.map_err(|e| e.with_resource(*fam))?;
            out.push(Image::new(
                img["selfLink"].as_str().unwrap_or_default(),
                img["name"].as_str().unwrap_or_default(),
                vec![alias.to_string()],
            ));
        }
        Ok(out)
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        // The contract checked the instance name; the labels, firewall ids (names and tags
        // here, which become paths), zone and machine type are Compute Engine's to check.
        check_labels(&spec.labels)?;
        for f in &spec.firewalls {
            validate_name("firewall", f)?;
        }
        let c = self.gce.config().clone();
        let zone = spec.zone.clone().unwrap_or(c.zone.clone());
        validate_name("zone", &zone)?;
        let nic = self.interface(spec.subnet.as_deref())?;
        let size = match &spec.size {
            SizeChoice::Id(id) => {
                validate_name("machine type", id)?;
                id.clone()
            }
            other => pick_size(&self.list_sizes().await?, other)?.id,
        };
        let image = self.resolve_image(&spec.image).await?;
        // A firewall is attached by its tag; a tag without its firewall would attach nothing.
        for f in &spec.firewalls {
            self.gce
                .get(&format!("global/firewalls/{f}"))
                .await
                .map_err(|e| e.with_resource(f.clone()))?;
        }
        let mut body = json!({
            "name": spec.name,
            "machineType": format!("zones/{zone}/machineTypes/{size}"),
            "disks": [{
                "boot": true,
                "autoDelete": true,
                "initializeParams": { "sourceImage": image }
            }],
            "networkInterfaces": [nic],
            "labels": spec.labels,
        });
        if !spec.firewalls.is_empty() {
            body["tags"] = json!({ "items": spec.firewalls });
        }
        if let Some(u) = &spec.user_data {
            body["metadata"] = json!({ "items": [{ "key": "startup-script", "value": u }] });
        }
        let query = crate::gce::request_id_query(spec.request_id.as_deref());
        self.gce
            .operate(Method::POST, &format!("zones/{zone}/instances{query}"), Some(&body))
            .await?;
        let mut i = self.get_instance(&format!("{zone}/{}", spec.name)).await?;
        i.image = image;
        Ok(i)
    }

    async fn get_instance(&self, id: &str) -> Result<Instance> {
        let v = self.gce.get(&self.instance_path(id)?).await?;
        Ok(instance_of(&v))
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        // Labels go into the server-side filter expression: Compute Engine's syntax only.
        check_labels(&filter.labels)?;
        let expr: Vec<String> = filter
            .labels
            .iter()
            .map(|(k, v)| format!("(labels.{k} = \"{v}\")"))
            .collect();
        let mut rest = "aggregated/instances?returnPartialSuccess=true".to_string();
        if !expr.is_empty() {
            rest.push_str(&format!("&filter={}", q(&expr.join(" AND "))));
        }
        let items = self.gce.aggregated(&rest, "instances").await?;
        // The server filtered on labels; the portable filter also decides on state.
        Ok(items.iter().map(instance_of).filter(|i| filter.matches(i)).collect())
    }

    async fn start_instance(&self, id: &str) -> Result<Instance> {
        self.action(id, "start").await
    }

    async fn stop_instance(&self, id: &str, _mode: StopMode) -> Result<Instance> {
        // Both modes: a stopped instance is not billed for compute on Compute Engine.
        self.action(id, "stop").await
    }

    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        self.action(id, "reset").await
    }

    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        let path = self.instance_path(id)?;
        let mut last = match self.get_instance(id).await {
            Ok(i) => i,
            // Already gone (deleted before, or by a terminate whose answer was lost): the
            // trait's contract is success, in state terminated.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(gone(id)),
            Err(e) => return Err(e),
        };
        match self.gce.operate(Method::DELETE, &path, None).await {
            // Gone between the read and the delete (another terminate won the race).
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(gone(id)),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        last.state = InstanceState::new(State::Terminated, "deleted");
        Ok(last)
    }
}

/// An instance Compute Engine no longer knows, as a terminate answers it: the id as given,
/// its name part, state terminated (raw `not found`).
fn gone(id: &str) -> Instance {
    let name = id.rsplit('/').next().unwrap_or(id);
    Instance::new(id, name, InstanceState::new(State::Terminated, "not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_keep_the_raw_status() {
        assert_eq!(state_of("TERMINATED").state, State::Stopped);
        assert_eq!(state_of("TERMINATED").raw, "TERMINATED");
        assert_eq!(state_of("STAGING").state, State::Pending);
        assert_eq!(state_of("REPAIRING").state, State::Unknown);
    }

    #[test]
    fn ids_and_labels() {
        assert_eq!(
            subnet_id("https://www.googleapis.com/compute/v1/projects/p/regions/us-central1/subnetworks/s"),
            "us-central1/s"
        );
        let mut l = BTreeMap::new();
        l.insert("nimbus-run".to_string(), "abc_1".to_string());
        check_labels(&l).unwrap();
        l.insert("Bad".to_string(), "x".to_string());
        assert!(check_labels(&l).is_err());
    }
}
