//! [`Compute`] on Azure virtual machines (ARM).
//!
//! A portable instance is a VM plus the network interface (and optional public IP) Nimbus
//! creates for it, named `VM-nic` / `VM-ip` and removed with it. Sizes come from Resource
//! SKUs of the configured location (restricted SKUs left out); images are marketplace URNs
//! (`publisher:offer:sku:version`), with portable aliases resolved to `latest`.
//!
//! User data is sent as `osProfile.customData` (base64, at most 65535 bytes decoded): that
//! is the payload the provisioning agent (cloud-init or the Linux agent) processes at first
//! boot, like EC2 user data and the Compute Engine `startup-script`
//! (<https://learn.microsoft.com/azure/virtual-machines/custom-data>). The VM property
//! `userData` is only served by the instance metadata service for the VM to fetch itself, so
//! a cloud-init script sent there would never run.
//!
//! Stop is explicit about billing: [`StopMode::Stop`] is Azure's *power off*, which keeps the
//! compute billed (`stop_keeps_billing`), and [`StopMode::Deallocate`] releases the host so
//! billing stops. Both are the portable `stopped`; the raw state (`PowerState/stopped` or
//! `PowerState/deallocated`) says which. A deleted VM is gone at once (AWS keeps terminated
//! instances listed for a while), so `get_instance` after `terminate_instance` is `NotFound`
//! (which `ComputeExt::wait_for_state` counts as terminated). Terminating a VM that is
//! already gone succeeds with state terminated (raw `not found`), as the portable trait
//! promises, so a retried terminate succeeds; it sends nothing but the read, because without
//! the VM Nimbus cannot tell which NIC was made for it.
//!
//! The portable contract (`nimbus_core::contract::Contract`) sits above this adapter: it
//! validates names and ids, gates the declared capabilities and fills the error context;
//! Azure's own rules (VM names, one NSG per NIC, the customData size) stay here.

mod convert;

use std::any::Any;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use nimbus_core::compute::*;
use nimbus_core::{Capability, ComputeCapabilities, Error, ErrorKind, Result};
use serde_json::{json, Value};

use crate::arm::{api, ArmClient, ArmConfig};
use crate::network::leaf;
use convert::{instance_of, size_of};

const PROVIDER: &str = "azure-vm";
const VM: &str = "Microsoft.Compute/virtualMachines";
const NIC: &str = "Microsoft.Network/networkInterfaces";
const PIP: &str = "Microsoft.Network/publicIPAddresses";
/// How long the size list is reused.
const SIZE_TTL: Duration = Duration::from_secs(900);

/// Portable image aliases → marketplace `publisher:offer:sku` (version `latest`), from
/// Azure's "Find Azure Marketplace image information" and the publishers' own listings.
pub const IMAGE_ALIASES: &[(&str, &str)] = &[
    ("ubuntu-22.04", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2"),
    ("ubuntu-24.04", "Canonical:ubuntu-24_04-lts:server"),
    ("debian-12", "Debian:debian-12:12-gen2"),
];

/// What Azure VMs declare.
pub fn azure_compute_capabilities() -> ComputeCapabilities {
    let mut c = ComputeCapabilities::none();
    c.start = true;
    c.stop = true;
    c.stop_keeps_billing = true;
    c.deallocate = true;
    c.reboot = true;
    c.user_data = true;
    c.server_side_label_filter = false;
    c.image_aliases = IMAGE_ALIASES.iter().map(|(a, _)| a.to_string()).collect();
    c
}

/// Sizes and when they were read.
type SizeCache = (Instant, Vec<Size>);

/// Azure VMs in one resource group and location.
#[derive(Debug, Clone)]
pub struct AzureCompute {
    arm: ArmClient,
    sizes: Arc<Mutex<Option<SizeCache>>>,
}

/// `imageReference` for an alias, a URN or an image resource id.
fn image_reference(choice: &ImageChoice) -> Result<Value> {
    let urn = match choice {
        ImageChoice::Alias(a) => {
            let (_, urn) = IMAGE_ALIASES.iter().find(|(x, _)| x == a).ok_or_else(|| {
                Error::invalid(format!(
                    "unknown image alias `{a}` on Azure (known: {})",
                    IMAGE_ALIASES.iter().map(|(x, _)| *x).collect::<Vec<_>>().join(", ")
                ))
            })?;
            format!("{urn}:latest")
        }
        ImageChoice::Id(id) if id.starts_with("/subscriptions/") => return Ok(json!({ "id": id })),
        ImageChoice::Id(id) => id.clone(),
        _ => return Err(Error::invalid("unknown image choice")),
    };
    let p: Vec<&str> = urn.split(':').collect();
    match p.as_slice() {
        [publisher, offer, sku, version] => Ok(json!({
            "publisher": publisher, "offer": offer, "sku": sku, "version": version
        })),
        [publisher, offer, sku] => Ok(json!({
            "publisher": publisher, "offer": offer, "sku": sku, "version": "latest"
        })),
        _ => Err(Error::invalid(format!(
            "image `{urn}` is neither an alias, a URN (publisher:offer:sku[:version]) nor an image resource id"
        ))),
    }
}

/// The most user data Azure takes: `osProfile.customData` decodes to at most 65535 bytes
/// (the `OSProfile.customData` definition of the Compute REST API).
const CUSTOM_DATA_MAX: usize = 65_535;

/// User data that fits `osProfile.customData`, checked before anything is created.
fn check_custom_data(user_data: Option<&str>) -> Result<()> {
    match user_data {
        Some(u) if u.len() > CUSTOM_DATA_MAX => Err(Error::invalid(format!(
            "user data of {} bytes: Azure's osProfile.customData takes at most {CUSTOM_DATA_MAX} bytes",
            u.len()
        ))),
        _ => Ok(()),
    }
}

/// Azure's rule for Linux VM names: 1–64 letters, digits, `-` and `.`, not starting with
/// `-` or `.` nor ending with `-` or `.`. The contract's portable name rule is stricter; this
/// one guards a bare adapter, whose name becomes part of three resource ids.
fn check_vm_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid instance name `{}`: Azure takes 1 to 64 letters, digits, - and ., starting and ending with a letter or digit",
            name.escape_debug()
        )))
    }
}

impl AzureCompute {
    /// VMs through `cfg` (no request is made yet).
    pub fn connect(cfg: &ArmConfig) -> Result<Self> {
        Ok(Self::with_client(ArmClient::new(cfg)?))
    }

    /// From an ARM client shared with networking.
    pub fn with_client(arm: ArmClient) -> Self {
        AzureCompute {
            arm,
            sizes: Arc::new(Mutex::new(None)),
        }
    }

    /// The ARM client (escape hatch).
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    fn vm_id(&self, id_or_name: &str) -> String {
        if id_or_name.starts_with("/subscriptions/") {
            id_or_name.to_string()
        } else {
            self.arm.config().resource_id(VM, id_or_name)
        }
    }

    /// The Resource SKUs of the configured location.
    async fn skus(&self) -> Result<Vec<Value>> {
        let c = self.arm.config();
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.Compute/skus?$filter=location eq '{}'",
            c.subscription, c.location
        );
        self.arm.list(&path, api::SKUS).await
    }

    async fn resolve_size(&self, choice: &SizeChoice) -> Result<String> {
        match choice {
            SizeChoice::Id(id) => Ok(id.clone()),
            SizeChoice::Requirements {
                min_vcpus,
                min_memory_mib,
            } => {
                let mut fit: Vec<Size> = self
                    .list_sizes()
                    .await?
                    .into_iter()
                    .filter(|s| s.vcpus >= *min_vcpus && s.memory_mib >= *min_memory_mib)
                    .collect();
                fit.sort_by(|a, b| (a.vcpus, a.memory_mib, &a.id).cmp(&(b.vcpus, b.memory_mib, &b.id)));
                fit.into_iter().next().map(|s| s.id).ok_or_else(|| {
                    Error::new(
                        ErrorKind::CapacityUnavailable,
                        format!(
                            "no VM size in {} has {min_vcpus} vCPUs and {min_memory_mib} MiB",
                            self.arm.config().location
                        ),
                    )
                })
            }
            _ => Err(Error::invalid("unknown size choice")),
        }
    }

    /// The instance behind a VM resource: instance view, NIC and public IP.
    async fn describe(&self, vm: &Value) -> Result<Instance> {
        let id = vm.get("id").and_then(Value::as_str).unwrap_or_default();
        let view = self.arm.get(&format!("{id}/instanceView"), api::INSTANCE_VIEW).await?;
        let nic_id = vm
            .pointer("/properties/networkProfile/networkInterfaces/0/id")
            .and_then(Value::as_str);
        let nic = match nic_id {
            Some(n) => self.arm.get(n, api::NETWORK).await.ok(),
            None => None,
        };
        let pip_id = nic
            .as_ref()
            .and_then(|n| n.pointer("/properties/ipConfigurations/0/properties/publicIPAddress/id"))
            .and_then(Value::as_str);
        let pip = match pip_id {
            Some(p) => self.arm.get(p, api::NETWORK).await.ok(),
            None => None,
        };
        Ok(instance_of(vm, &view, nic.as_ref(), pip.as_ref()))
    }

    /// A VM Azure no longer knows, as a terminate answers it: the id as given, the VM name,
    /// state terminated (raw `not found`).
    fn gone(&self, id: &str) -> Instance {
        let mut i = Instance::new(
            id,
            leaf(&self.vm_id(id)),
            InstanceState::new(State::Terminated, "not found"),
        );
        i.region = self.arm.config().location.clone();
        i
    }

    async fn power(&self, id: &str, action: &str) -> Result<Instance> {
        let vm = self.vm_id(id);
        self.arm.action(&format!("{vm}/{action}"), api::COMPUTE).await?;
        self.get_instance(&vm).await
    }
}

#[async_trait]
impl Compute for AzureCompute {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        azure_compute_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.arm.clone()))
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        // The configured location; zones as the VM SKUs there report them.
        let c = self.arm.config();
        let skus = self.skus().await?;
        let mut zones: Vec<String> = skus
            .iter()
            .flat_map(|s| {
                s.pointer("/locationInfo/0/zones")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|z| z.as_str().map(str::to_string))
            .collect();
        zones.sort();
        zones.dedup();
        Ok(vec![Region::new(c.location.clone(), zones)])
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        if let Some((at, s)) = &*self.sizes.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < SIZE_TTL {
                return Ok(s.clone());
            }
        }
        let c = self.arm.config();
        let skus = self.skus().await?;
        let mut sizes: Vec<Size> = skus.iter().filter_map(|s| size_of(s, &c.location)).collect();
        sizes.sort_by(|a, b| a.id.cmp(&b.id));
        *self.sizes.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), sizes.clone()));
        Ok(sizes)
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        Ok(IMAGE_ALIASES
            .iter()
            .map(|(alias, urn)| Image::new(format!("{urn}:latest"), *urn, vec![alias.to_string()]))
            .collect())
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        check_vm_name(&spec.name)?;
        let c = self.arm.config().clone();
        let key = c.ssh_public_key.clone().ok_or_else(|| {
            Error::invalid("Azure Linux VMs need an SSH public key: set `ssh_public_key` in the compute settings")
        })?;
        let subnet = spec.subnet.clone().or(c.subnet.clone()).ok_or_else(|| {
            Error::invalid("an Azure VM needs a subnet: pass one, or set `subnet` in the compute settings")
        })?;
        if spec.firewalls.len() > 1 {
            return Err(Error::invalid(
                "Azure binds one firewall (NSG) to a network interface; pass at most one",
            ));
        }
        check_custom_data(spec.user_data.as_deref())?;
        let image = image_reference(&spec.image)?;
        let size = self.resolve_size(&spec.size).await?;
        let vm_id = c.resource_id(VM, &spec.name);
        // PUT would update a VM of the same name: refuse instead.
        match self.arm.get(&vm_id, api::COMPUTE).await {
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("an instance named `{}` exists", spec.name),
                ))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let pip_id = c.resource_id(PIP, &format!("{}-ip", spec.name));
        if c.public_ip {
            let body = json!({
                "location": c.location,
                "sku": { "name": "Standard" },
                "properties": { "publicIPAllocationMethod": "Static" }
            });
            self.arm.put(&pip_id, api::NETWORK, &body).await?;
        }
        let nic_id = c.resource_id(NIC, &format!("{}-nic", spec.name));
        let mut ipc = json!({ "subnet": { "id": subnet } });
        if c.public_ip {
            ipc["publicIPAddress"] = json!({ "id": pip_id });
        }
        let mut nic = json!({
            "location": c.location,
            "properties": { "ipConfigurations": [ { "name": "ipconfig1", "properties": ipc } ] }
        });
        if let Some(f) = spec.firewalls.first() {
            nic["properties"]["networkSecurityGroup"] = json!({ "id": f });
        }
        self.arm.put(&nic_id, api::NETWORK, &nic).await?;
        let mut props = json!({
            "hardwareProfile": { "vmSize": size },
            "storageProfile": {
                "imageReference": image,
                "osDisk": {
                    "createOption": "FromImage",
                    "managedDisk": { "storageAccountType": "Standard_LRS" }
                }
            },
            "osProfile": {
                "computerName": spec.name,
                "adminUsername": c.admin_username,
                "linuxConfiguration": {
                    "disablePasswordAuthentication": true,
                    "ssh": { "publicKeys": [ {
                        "path": format!("/home/{}/.ssh/authorized_keys", c.admin_username),
                        "keyData": key
                    } ] }
                }
            },
            "networkProfile": { "networkInterfaces": [ { "id": nic_id, "properties": { "primary": true } } ] }
        });
        if let Some(u) = &spec.user_data {
            props["osProfile"]["customData"] = json!(base64::engine::general_purpose::STANDARD.encode(u));
        }
        let mut body = json!({ "location": c.location, "tags": spec.labels, "properties": props });
        if let Some(z) = &spec.zone {
            body["zones"] = json!([z]);
        }
        let created = match self.arm.put(&vm_id, api::COMPUTE, &body).await {
            Ok(v) => v,
            Err(e) => {
                // Leave nothing behind: the NIC and IP were made for this VM only.
                let _ = self.arm.delete(&nic_id, api::NETWORK).await;
                if c.public_ip {
                    let _ = self.arm.delete(&pip_id, api::NETWORK).await;
                }
                return Err(e);
            }
        };
        self.describe(&created).await
    }

    async fn get_instance(&self, id: &str) -> Result<Instance> {
        let vm = self.arm.get(&self.vm_id(id), api::COMPUTE).await?;
        self.describe(&vm).await
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        let c = self.arm.config();
        let path = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{VM}",
            c.subscription, c.resource_group
        );
        let vms = self.arm.list(&path, api::COMPUTE).await?;
        let mut out = Vec::new();
        for vm in vms {
            let tags = crate::network::tags_of(&vm);
            if !filter.labels.iter().all(|(k, v)| tags.get(k) == Some(v)) {
                continue;
            }
            match self.describe(&vm).await {
                Ok(i) => out.push(i),
                // Deleted between the list and the instance view.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn start_instance(&self, id: &str) -> Result<Instance> {
        self.power(id, "start").await
    }

    async fn stop_instance(&self, id: &str, mode: StopMode) -> Result<Instance> {
        match mode {
            StopMode::Deallocate => self.power(id, "deallocate").await,
            StopMode::Stop => self.power(id, "powerOff").await,
            // A mode added to the portable enum after this adapter: the contract's gate
            // (stop is declared) lets it through, so it is refused here.
            _ => Err(Error::unsupported(Capability::InstanceStop)),
        }
    }

    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        self.power(id, "restart").await
    }

    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        let vm_id = self.vm_id(id);
        let vm = match self.arm.get(&vm_id, api::COMPUTE).await {
            Ok(vm) => vm,
            // Already gone (deleted before, or by a terminate whose answer was lost): the
            // trait's contract is success, in state terminated.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(self.gone(id)),
            Err(e) => return Err(e),
        };
        let mut last = match self.describe(&vm).await {
            Ok(i) => i,
            // Deleted between the two reads.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(self.gone(id)),
            Err(e) => return Err(e),
        };
        let nic_id = vm
            .pointer("/properties/networkProfile/networkInterfaces/0/id")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.arm.delete(&vm_id, api::VM_DELETE).await?;
        // The NIC and public IP Nimbus made for this VM (named after it) go with it.
        let name = leaf(&vm_id).to_string();
        if let Some(nic) = nic_id.filter(|n| leaf(n) == format!("{name}-nic")) {
            self.arm.delete(&nic, api::NETWORK).await?;
        }
        if last.public_ip.is_some() {
            let pip = self.arm.config().resource_id(PIP, &format!("{name}-ip"));
            self.arm.delete(&pip, api::NETWORK).await?;
        }
        last.state = InstanceState::new(State::Terminated, "deleted");
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_resolve_from_alias_urn_or_id() {
        let r = image_reference(&ImageChoice::Alias("ubuntu-22.04".into())).unwrap();
        assert_eq!(r["publisher"], "Canonical");
        assert_eq!(r["version"], "latest");
        let r = image_reference(&ImageChoice::Id("Debian:debian-12:12-gen2:0.20240101.1".into())).unwrap();
        assert_eq!(r["version"], "0.20240101.1");
        let r = image_reference(&ImageChoice::Id(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/i".into(),
        ))
        .unwrap();
        assert!(r["id"].as_str().unwrap().ends_with("/images/i"));
        let e = image_reference(&ImageChoice::Alias("windows-95".into())).unwrap_err();
        assert!(e.to_string().contains("ubuntu-22.04"), "{e}");
    }
}
