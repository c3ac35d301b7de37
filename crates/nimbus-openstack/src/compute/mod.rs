//! [`Compute`] on Nova servers, with flavors as sizes and Glance images.
//!
//! Layout: `microversion.rs` (negotiation, cached per client), `convert.rs` (server JSON →
//! [`Instance`], statuses), `flavors.rs`, `images.rs` (Glance and the portable aliases),
//! `create.rs` (the create flow and its wait for placement), `servers.rs` (the create body
//! and its checks), `ports.rs` (the Neutron calls compute needs). The portable contract (`nimbus_core::contract::Contract`) sits above: names,
//! ids, capability gates, error context.
//!
//! Decisions, and why:
//! - **Names are unique among live servers**, as the portable contract says (the suite's
//!   `duplicate_name_rejected`; EC2 and Azure adapters check the same way), although Nova
//!   allows duplicates: create first asks Nova for a live server of that name
//!   (`GET /servers?name=^…$`, a regex in Nova) and answers `AlreadyExists`. Two creates
//!   racing can both pass the check; Nova offers no way to close that race.
//! - **Network**: with a subnet, Nimbus creates a Neutron port in it (carrying the
//!   firewalls, which are security-group ids) and boots the server on that port; the port is
//!   deleted with the server (see `ports.rs`). Without a subnet, the `network` setting (an id
//!   or name; `auto` and `none` are passed to Nova as such) decides; without it the server
//!   gets no interface (`"none"`; why not Nova's `"auto"`: [`servers::default_nics`]). The
//!   firewalls then go in `security_groups` (Nova accepts group ids there).
//! - **Create returns once Nova has placed the server, or refused it.** A server Nova cannot
//!   place goes to `ERROR` a second or two after the 202 ("No valid host was found"), where
//!   EC2 or Azure refuse the call itself. So create polls while the server is being
//!   scheduled (at most `create::PLACEMENT_WAIT`); a server that ends in `ERROR` there is deleted
//!   and reported as the typed error of its fault (`CapacityUnavailable` for no valid host,
//!   `QuotaExceeded`, …). A server failing later (while spawning) shows as the portable
//!   `stopped` with raw state `ERROR` (see `convert.rs`), so waits end instead of timing out.
//! - **Terminate** of a server Nova no longer knows succeeds with state terminated (raw
//!   `not found`), as on the other providers; Nova forgets deleted servers for non-admin
//!   users, so `get_instance` after it is `NotFound`.
//! - **Stop keeps billing**: a `SHUTOFF` server keeps its host allocation (Placement), and
//!   public OpenStack clouds bill it. The portable `Deallocate` stop is Nova's *shelve*: the
//!   server is snapshotted and offloaded from its host (`SHELVED_OFFLOADED`, at once with
//!   Nova's default `shelved_offload_time = 0`; a cloud that sets -1 keeps it `SHELVED` on
//!   the host until offloaded), so compute is no longer reserved for it; the snapshot is
//!   deleted again by Nova on unshelve or delete. `start_instance` of a shelved server is
//!   *unshelve* (Nova refuses `os-start` there), so start reads the status first.
//! - **Labels** are server metadata (limits in `servers.rs`); listing filters them
//!   client-side (Nova has no metadata filter for non-admin users).

mod convert;
mod create;
pub mod flavors;
pub mod images;
pub mod microversion;
mod ports;
pub mod servers;

use std::any::Any;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nimbus_core::compute::*;
use nimbus_core::{Capability, ComputeCapabilities, Error, ErrorKind, Result};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use crate::client::{json_of, Service, Session};
use crate::config::OpenStackConfig;
use flavors::Flavor;
use microversion::Microversion;

const PROVIDER: &str = "openstack-nova";
/// How long terminate waits for Nova to release a server before removing the ports Nimbus
/// made for it.
const PORT_RELEASE_WAIT: Duration = Duration::from_secs(120);
/// How long the flavor list is reused (flavors change when an operator edits them, rarely).
const FLAVOR_TTL: Duration = Duration::from_secs(300);
/// Page size of server listings (Nova's default `max_limit` is 1000).
const PAGE: usize = 200;

/// What Nova declares.
pub fn compute_capabilities() -> ComputeCapabilities {
    let mut c = ComputeCapabilities::none();
    c.start = true;
    c.stop = true;
    c.stop_keeps_billing = true;
    c.deallocate = true;
    c.reboot = true;
    c.user_data = true;
    c.server_side_label_filter = false;
    c.image_aliases = images::alias_names();
    c
}

/// Nova servers of one project and region. The native client is the [`Session`].
#[derive(Debug, Clone)]
pub struct NovaCompute {
    session: Session,
    microversion: Arc<OnceCell<Microversion>>,
    flavors: Arc<Mutex<Option<CachedFlavors>>>,
}

/// The flavor list and when it was read.
type CachedFlavors = (Instant, Vec<Flavor>);

impl NovaCompute {
    /// From a resolved config (no request yet; the microversion is negotiated on first use).
    pub fn connect(cfg: &OpenStackConfig) -> Result<Self> {
        Ok(Self::with_session(Session::shared(cfg)?))
    }

    /// On a session of the caller's (e.g. `Session::new` for a token of its own instead of
    /// the one shared per configuration).
    pub fn with_session(session: Session) -> Self {
        NovaCompute {
            session,
            microversion: Arc::default(),
            flavors: Arc::default(),
        }
    }

    /// The Keystone session (the escape hatch: token, catalog, HTTP client).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The compute microversion in use with this cloud, negotiated once per client from
    /// Nova's version document (see `microversion.rs`).
    pub async fn microversion(&self) -> Result<Microversion> {
        self.microversion
            .get_or_try_init(|| async {
                let endpoint = self.session.endpoint(Service::Compute).await?;
                let max = self.session.config().max_microversion;
                let root = microversion::versions_url(&endpoint);
                let doc = match self.session.get_json(Service::Compute, &root, |r| r).await {
                    Ok(d) if microversion::server_range(&d).is_some() => d,
                    // A root that is not Nova's (a shared proxy): the v2.1 document.
                    _ => {
                        let v21 = format!("{}/", endpoint.trim_end_matches('/'));
                        self.session.get_json(Service::Compute, &v21, |r| r).await?
                    }
                };
                let mv = microversion::choose(&doc, max)?;
                tracing::debug!(%mv, "openstack: compute microversion");
                Ok(mv)
            })
            .await
            .copied()
    }

    /// One Nova request with the negotiated microversion headers.
    async fn nova(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let mv = self.microversion().await?;
        let (h, legacy) = (mv.header(), mv.to_string());
        let build = |r: RequestBuilder| {
            let r = r
                .header("OpenStack-API-Version", h.as_str())
                .header("X-OpenStack-Nova-API-Version", legacy.as_str());
            match body {
                Some(b) => r.json(b),
                None => r,
            }
        };
        json_of(self.session.send(Service::Compute, method, path, build).await?).await
    }

    /// The region instances are reported in: the configured one, else the compute
    /// endpoint's only region.
    async fn region(&self) -> Result<String> {
        if let Some(r) = &self.session.config().region {
            return Ok(r.clone());
        }
        let token = self.session.token().await?;
        let mut regions: Vec<&str> = token
            .catalog
            .iter()
            .filter(|e| e.service_type == "compute")
            .map(|e| e.region.as_str())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        match regions.as_slice() {
            [one] => Ok(one.to_string()),
            _ => Err(Error::invalid(format!(
                "compute is offered in several regions ({}): set `region`",
                regions.join(", ")
            ))),
        }
    }

    /// Usable flavors, cached for [`FLAVOR_TTL`].
    async fn flavors(&self) -> Result<Vec<Flavor>> {
        if let Some((at, f)) = &*self.flavors.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < FLAVOR_TTL {
                return Ok(f.clone());
            }
        }
        let body = self.nova(Method::GET, "/flavors/detail", None).await?;
        let f = flavors::flavors_of(&body);
        *self.flavors.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), f.clone()));
        Ok(f)
    }

    /// Instances of server bodies, with the subnet and security groups of their ports
    /// (asked from Neutron: the server's own ports for one, the project's for several).
    async fn instances_of(&self, servers: &[Value]) -> Result<Vec<Instance>> {
        let region = self.region().await?;
        let inline = self.microversion().await?.at_least(microversion::INLINE_FLAVOR);
        let flavors = if inline { Vec::new() } else { self.flavors().await? };
        let name_of = |id: &str| flavors.iter().find(|f| f.id == id).map(|f| f.name.clone());
        let ports = if !self.has_neutron().await? {
            Vec::new()
        } else {
            match servers {
                [] => Vec::new(),
                [one] => ports::server_ports(&self.session, one["id"].as_str().unwrap_or_default()).await?,
                _ => ports::all_ports(&self.session).await?,
            }
        };
        Ok(servers
            .iter()
            .map(|s| {
                let id = s.get("id").and_then(Value::as_str).unwrap_or_default();
                let info = ports::port_info(&ports, id);
                convert::instance_of(s, &region, &name_of, info.as_ref())
            })
            .collect())
    }

    /// Whether the catalog has Neutron (every cloud since nova-network was removed, Ussuri).
    async fn has_neutron(&self) -> Result<bool> {
        match self.session.endpoint(Service::Network).await {
            Ok(_) => Ok(true),
            Err(e) if e.raw_code() == Some("EndpointNotFound") => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn server(&self, id: &str) -> Result<Value> {
        let v = self
            .nova(Method::GET, &format!("/servers/{}", crate::encode::segment(id)), None)
            .await?;
        v.get("server")
            .cloned()
            .ok_or_else(|| Error::internal("Nova answered without a `server`"))
    }

    async fn describe(&self, id: &str) -> Result<Instance> {
        let s = self.server(id).await?;
        Ok(self.instances_of(std::slice::from_ref(&s)).await?.remove(0))
    }

    async fn action(&self, id: &str, body: Value) -> Result<Instance> {
        self.nova(
            Method::POST,
            &format!("/servers/{}/action", crate::encode::segment(id)),
            Some(&body),
        )
        .await?;
        self.describe(id).await
    }

    /// A hard reboot (power cycle without asking the guest), which the portable
    /// `reboot_instance` (a soft reboot) does not do.
    pub async fn hard_reboot_instance(&self, id: &str) -> Result<Instance> {
        self.action(id, json!({ "reboot": { "type": "HARD" } })).await
    }

    /// Deletes a server and the ports Nimbus made for it.
    async fn delete_server(&self, id: &str) -> Result<()> {
        let mine = if self.has_neutron().await? {
            ports::marked(&ports::server_ports(&self.session, id).await?, id)
        } else {
            Vec::new()
        };
        self.request_delete(id).await?;
        if mine.is_empty() {
            return Ok(());
        }
        // Our ports go only once Nova has let go of the server: a port deleted while the
        // compute host tears the server down can fail that teardown, and Nova then reverts
        // the server to `ACTIVE` with no task (seen once in a CI run: the wait for
        // `terminated` ended on a running server). Bounded; a server still there keeps its
        // ports, which are named after it, so the next terminate (which succeeds on a gone
        // server) removes them.
        let deadline = Instant::now() + PORT_RELEASE_WAIT;
        let mut pause = Duration::from_millis(250);
        loop {
            match self.server(id).await {
                Err(e) if e.kind() == ErrorKind::NotFound => break,
                Err(e) => return Err(e),
                Ok(s) => {
                    let status = s.get("status").and_then(Value::as_str).unwrap_or_default();
                    let task = s.get("OS-EXT-STS:task_state").and_then(Value::as_str);
                    if matches!(status, "DELETED" | "SOFT_DELETED") {
                        break;
                    }
                    if task != Some("deleting") && status != "BUILD" {
                        // Nova reverted a failed delete: ask again (DELETE is idempotent).
                        tracing::debug!(server = %id, status, "delete reverted by Nova; deleting again");
                        self.request_delete(id).await?;
                    }
                }
            }
            if Instant::now() >= deadline {
                tracing::warn!(server = %id, "the server is still being deleted; its ports are left for the next terminate");
                return Ok(());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
        for p in mine {
            ports::delete_port(&self.session, &p).await?;
        }
        Ok(())
    }

    /// `DELETE /servers/{id}`; a server already gone counts as deleted.
    async fn request_delete(&self, id: &str) -> Result<()> {
        match self
            .nova(
                Method::DELETE,
                &format!("/servers/{}", crate::encode::segment(id)),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Available zones of the region.
    async fn zones(&self) -> Result<Vec<String>> {
        let v = self.nova(Method::GET, "/os-availability-zone", None).await?;
        let mut zones: Vec<String> = v
            .get("availabilityZoneInfo")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|z| z.pointer("/zoneState/available").and_then(Value::as_bool) != Some(false))
            .filter_map(|z| z.get("zoneName").and_then(Value::as_str).map(str::to_string))
            .collect();
        zones.sort();
        zones.dedup();
        Ok(zones)
    }
}

#[async_trait]
impl Compute for NovaCompute {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        compute_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.session.clone()))
    }

    /// The configured region (Keystone's catalog names it) and its availability zones.
    async fn list_regions(&self) -> Result<Vec<Region>> {
        Ok(vec![Region::new(self.region().await?, self.zones().await?)])
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        Ok(flavors::sizes_of(&self.flavors().await?))
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        Ok(images::images_of(&self.glance_images().await?))
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        self.create(spec).await
    }

    async fn get_instance(&self, id: &str) -> Result<Instance> {
        self.describe(id).await
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        let mut servers: Vec<Value> = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut path = format!("/servers/detail?limit={PAGE}");
            if let Some(m) = &marker {
                path.push_str(&format!("&marker={}", crate::encode::segment(m)));
            }
            let v = self.nova(Method::GET, &path, None).await?;
            let page = v.get("servers").and_then(Value::as_array).cloned().unwrap_or_default();
            let more = v
                .get("servers_links")
                .and_then(Value::as_array)
                .is_some_and(|l| l.iter().any(|x| x.get("rel").and_then(Value::as_str) == Some("next")));
            marker = page
                .last()
                .and_then(|s| s.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let n = page.len();
            // Only the servers that can pass the label filter need their ports looked up.
            servers.extend(page.into_iter().filter(|s| {
                filter.labels.iter().all(|(k, want)| {
                    s.pointer(&format!("/metadata/{}", k.replace('~', "~0").replace('/', "~1")))
                        .and_then(Value::as_str)
                        == Some(want)
                })
            }));
            if !more || n == 0 || marker.is_none() {
                break;
            }
        }
        Ok(self
            .instances_of(&servers)
            .await?
            .into_iter()
            .filter(|i| filter.matches(i))
            .collect())
    }

    async fn start_instance(&self, id: &str) -> Result<Instance> {
        let server = self.server(id).await?;
        let shelved = matches!(
            server.get("status").and_then(Value::as_str),
            Some("SHELVED" | "SHELVED_OFFLOADED")
        );
        let body = if shelved {
            json!({ "unshelve": null })
        } else {
            json!({ "os-start": null })
        };
        self.action(id, body).await
    }

    async fn stop_instance(&self, id: &str, mode: StopMode) -> Result<Instance> {
        match mode {
            StopMode::Stop => self.action(id, json!({ "os-stop": null })).await,
            StopMode::Deallocate => self.action(id, json!({ "shelve": null })).await,
            _ => Err(Error::unsupported(Capability::InstanceStop)),
        }
    }

    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        self.action(id, json!({ "reboot": { "type": "SOFT" } })).await
    }

    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        let mut last = match self.describe(id).await {
            Ok(i) => i,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // Gone already; ports an earlier terminate had to leave are removed now.
                self.delete_server(id).await?;
                let mut i = Instance::new(id, id, InstanceState::new(State::Terminated, "not found"));
                i.region = self.region().await.unwrap_or_default();
                return Ok(i);
            }
            Err(e) => return Err(e),
        };
        self.delete_server(id).await?;
        last.state = match self.server(id).await {
            Ok(s) => convert::state_of(
                s.get("status").and_then(Value::as_str).unwrap_or("UNKNOWN"),
                s.get("OS-EXT-STS:task_state").and_then(Value::as_str),
            ),
            Err(e) if e.kind() == ErrorKind::NotFound => InstanceState::new(State::Terminated, "not found"),
            Err(e) => return Err(e),
        };
        // A server Nova still shows as, say, `ACTIVE` for a moment after the 204 is on its way out.
        if !matches!(last.state.state, State::Terminated | State::Terminating) {
            last.state = InstanceState::new(State::Terminating, format!("{}/deleting", last.state.raw));
        }
        Ok(last)
    }
}
