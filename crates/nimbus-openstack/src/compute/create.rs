//! Creating a server: the checks, the interface, `POST /servers`, and the wait for Nova to
//! place it.
//!
//! Why create waits (at most [`PLACEMENT_WAIT`]): Nova answers `POST /servers` with 202
//! before the scheduler has looked for a host; "No valid host was found" (or a quota the
//! conductor checks again) turns the server to `ERROR` a second or two later. EC2 and Azure
//! refuse such a create in the call itself, and the portable contract reports it as the
//! call's typed error, so create polls while the server is `BUILD/scheduling`, and a server
//! that ends in `ERROR` there is deleted (with its port) and reported by its fault.
//!
//! Why the name check: names are unique among live instances in the portable contract
//! (Nova allows duplicates); see `compute/mod.rs`.

use std::time::{Duration, Instant};

use nimbus_core::compute::{Instance, InstanceSpec};
use nimbus_core::{Error, ErrorKind, Result};
use reqwest::Method;
use serde_json::Value;

use super::servers::{self, DefaultNics, Nics, ServerRequest};
use super::{convert, flavors, ports, NovaCompute};

/// The longest create waits for Nova to place a server (scheduling takes seconds).
pub const PLACEMENT_WAIT: Duration = Duration::from_secs(60);

impl NovaCompute {
    /// Ids of live servers named exactly `name`.
    async fn live_named(&self, name: &str) -> Result<Vec<String>> {
        let path = format!(
            "/servers?name={}",
            crate::encode::segment(&format!("^{}$", regex_escape(name)))
        );
        let v = self.nova(Method::GET, &path, None).await?;
        Ok(v.get("servers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|s| s.get("name").and_then(Value::as_str) == Some(name))
            .filter_map(|s| s.get("id").and_then(Value::as_str).map(str::to_string))
            .collect())
    }

    /// Where the server's interface comes from when no subnet is given.
    async fn default_nics(&self) -> Result<Nics> {
        match servers::default_nics(self.session.config().network.as_deref()) {
            DefaultNics::Nics(n) => Ok(n),
            DefaultNics::Lookup(n) => Ok(Nics::Network(ports::network_id(&self.session, n).await?)),
        }
    }

    pub(super) async fn create(&self, spec: &InstanceSpec) -> Result<Instance> {
        servers::check_labels(&spec.labels)?;
        let user_data = spec.user_data.as_deref().map(servers::encode_user_data).transpose()?;
        let flavors = self.flavors().await?;
        let flavor = flavors::resolve(&flavors, &spec.size)?.clone();
        let image = self.resolve_image(&spec.image).await?;
        if let Some(z) = &spec.zone {
            let zones = self.zones().await?;
            if !zones.contains(z) {
                return Err(
                    Error::invalid(format!("unknown availability zone `{z}` (zones: {})", zones.join(", ")))
                        .with_resource(z.clone()),
                );
            }
        }
        if let Some(existing) = self.live_named(&spec.name).await?.first() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("a live server named `{}` exists: {existing}", spec.name),
            )
            .with_resource(spec.name.clone()));
        }
        let mv = self.microversion().await?;
        let nics = match &spec.subnet {
            Some(subnet) => {
                let network = ports::network_of_subnet(&self.session, subnet).await?;
                Nics::Port(ports::create_port(&self.session, &network, subnet, &spec.firewalls, &spec.name).await?)
            }
            None => self.default_nics().await?,
        };
        servers::check_firewalls(&nics, &spec.firewalls)?;
        let body = servers::create_body(
            &ServerRequest {
                name: &spec.name,
                flavor_id: &flavor.id,
                image_id: &image,
                nics: &nics,
                security_groups: &spec.firewalls,
                zone: spec.zone.as_deref(),
                labels: &spec.labels,
                user_data: user_data.as_deref(),
                key_name: self.session.config().key_name.as_deref(),
            },
            mv,
        );
        let created = match self.nova(Method::POST, "/servers", Some(&body)).await {
            Ok(v) => v,
            Err(e) => {
                if let Nics::Port(p) = &nics {
                    let _ = ports::delete_port(&self.session, p).await;
                }
                return Err(explain_create_error(e));
            }
        };
        let id = created
            .pointer("/server/id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::internal("Nova accepted the server without an id"))?
            .to_string();
        let claimed = match &nics {
            Nics::Port(p) => ports::claim_port(&self.session, p, &id).await,
            _ => Ok(()),
        };
        if let Err(e) = claimed {
            let _ = self.delete_server(&id).await;
            if let Nics::Port(p) = &nics {
                let _ = ports::delete_port(&self.session, p).await;
            }
            return Err(e);
        }
        match self.placed(&id).await {
            Ok(server) => Ok(self.instances_of(std::slice::from_ref(&server)).await?.remove(0)),
            Err(e) => {
                // Leave nothing behind: the server in ERROR and the port made for it.
                let _ = self.delete_server(&id).await;
                Err(e)
            }
        }
    }

    /// Polls a new server until Nova has placed it (or [`PLACEMENT_WAIT`] passed); a server
    /// that went to `ERROR` is the typed error of its fault.
    async fn placed(&self, id: &str) -> Result<Value> {
        let deadline = Instant::now() + PLACEMENT_WAIT;
        let mut pause = Duration::from_millis(500);
        loop {
            let s = match self.server(id).await {
                Ok(s) => s,
                // Visible after the 202 on every Nova; a replica lag is retried.
                Err(e) if e.kind() == ErrorKind::NotFound && Instant::now() < deadline => {
                    tokio::time::sleep(pause).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = s.get("status").and_then(Value::as_str).unwrap_or_default();
            let task = s
                .get("OS-EXT-STS:task_state")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if status == "ERROR" {
                return Err(fault_error(id, &s));
            }
            let scheduling = status == "BUILD" && matches!(task, "" | "scheduling");
            if !scheduling || Instant::now() >= deadline {
                return Ok(s);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(Duration::from_secs(3));
        }
    }
}

/// Escapes a name for Nova's `name` filter, which is a regular expression.
fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The typed error of a server that went to `ERROR`: its fault, kind from the message.
fn fault_error(id: &str, server: &Value) -> Error {
    let (code, message) = convert::fault_of(server).unwrap_or((500, "no fault recorded".into()));
    let lower = message.to_ascii_lowercase();
    let (kind, raw) = if lower.contains("no valid host") {
        (ErrorKind::CapacityUnavailable, "NoValidHost")
    } else {
        match crate::error::kind_for(None, 0, &message) {
            ErrorKind::QuotaExceeded => (ErrorKind::QuotaExceeded, "QuotaExceeded"),
            _ if (400..500).contains(&code) => (ErrorKind::InvalidInput, "ServerFault"),
            _ => (ErrorKind::Internal, "ServerFault"),
        }
    };
    Error::new(
        kind,
        format!(
            "server {id} went to ERROR while Nova placed it (deleted): {}",
            message.trim()
        ),
    )
    .with_raw_code(raw)
    .with_resource(id.to_string())
}

/// Nova's refusals of `POST /servers` that are bad input rather than what their status says.
fn explain_create_error(e: Error) -> Error {
    let m = e.message().to_ascii_lowercase();
    if e.kind() == ErrorKind::Conflict && m.contains("multiple possible networks") {
        let msg = format!(
            "{}: the project has several networks; pass a subnet or set `network`",
            e.message()
        );
        return Error::invalid(msg).with_raw_code(e.raw_code().unwrap_or("NetworkAmbiguous").to_string());
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_escaped_for_novas_regex_filter() {
        assert_eq!(regex_escape("web-1.a"), "web-1\\.a");
        assert_eq!(regex_escape("a(b)*"), "a\\(b\\)\\*");
    }

    #[test]
    fn faults_become_typed_errors() {
        let s = |m: &str, c: u64| json!({"status": "ERROR", "fault": {"code": c, "message": m}});
        let e = fault_error(
            "x",
            &s("No valid host was found. There are not enough hosts available.", 500),
        );
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::CapacityUnavailable, Some("NoValidHost"))
        );
        let e = fault_error(
            "x",
            &s(
                "Quota exceeded for cores: Requested 32, but already used 0 of 20 cores",
                403,
            ),
        );
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
        assert_eq!(
            fault_error("x", &s("Image is unacceptable", 400)).kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(fault_error("x", &s("Build aborted", 500)).kind(), ErrorKind::Internal);
        let e = explain_create_error(
            Error::new(
                ErrorKind::Conflict,
                "Multiple possible networks found, use a Network ID to be more specific.",
            )
            .with_raw_code("conflictingRequest"),
        );
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
