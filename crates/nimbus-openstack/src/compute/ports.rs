//! The few Neutron calls compute needs: the subnet's network, a port in the subnet, the
//! server's ports, the networks Nova could pick.
//!
//! Why a port of our own for a subnet: Nova's `networks` takes a network (and at most a
//! fixed address), not a subnet; on a network with several subnets Neutron would pick the
//! subnet. A port created with `fixed_ips: [{"subnet_id": …}]` puts the address in the
//! subnet asked for, and carries the security groups (ids, as the portable firewalls are).
//! Nova never deletes a port it was given, so the port is marked with [`PORT_MARK`] in its
//! description and `terminate_instance` deletes the marked ports of the server after the
//! server. Nova binds the port (sets its `device_id`) only when the compute host allocates
//! the network, asynchronously and after `create_instance` has returned, so right after
//! `POST /servers` the port is renamed after the server id ([`port_name`]): a server's ports are
//! those bound to it or so named, and a server terminated before the binding does not leave
//! its port behind. (Kept here rather than in the network adapter: these are compute's own details,
//! and the network module is written separately.)

use std::net::Ipv4Addr;

use nimbus_core::{Error, ErrorKind, Result};
use reqwest::Method;
use serde_json::{json, Value};

use super::convert::PortInfo;
use crate::client::{Service, Session};

/// The description of ports Nimbus creates for a server (deleted with it).
pub const PORT_MARK: &str = "nimbus: port of one server, deleted with it";

fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The name of the port Nimbus made for `server`.
pub fn port_name(server: &str) -> String {
    format!("nimbus-server-{server}")
}

/// The network id of `subnet`; an unknown subnet is bad input to create (`InvalidInput`).
pub async fn network_of_subnet(session: &Session, subnet: &str) -> Result<String> {
    let path = format!("/v2.0/subnets/{}", crate::encode::segment(subnet));
    match session.get_json(Service::Network, &path, |r| r).await {
        Ok(v) => v
            .pointer("/subnet/network_id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Error::internal(format!("subnet `{subnet}` without a network_id"))),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::invalid(format!("subnet `{subnet}` does not exist"))
            .with_resource(subnet.to_string())
            .with_raw_code(e.raw_code().unwrap_or("SubnetNotFound").to_string())),
        Err(e) => Err(e),
    }
}

/// Creates a port in `subnet` of `network` with the security groups; its id. Named after
/// the server's name until [`claim_port`] names it after the server's id.
pub async fn create_port(
    session: &Session,
    network: &str,
    subnet: &str,
    security_groups: &[String],
    server_name: &str,
) -> Result<String> {
    let mut port = json!({
        "network_id": network,
        "fixed_ips": [{ "subnet_id": subnet }],
        "name": format!("nimbus-server-{server_name}"),
        "description": PORT_MARK,
    });
    if !security_groups.is_empty() {
        port["security_groups"] = json!(security_groups);
    }
    let v = session
        .send_json(
            Service::Network,
            Method::POST,
            "/v2.0/ports",
            &json!({ "port": port }),
            |r| r,
        )
        .await
        .map_err(|e| match e.kind() {
            // A security group that does not exist: bad input to create.
            ErrorKind::NotFound => Error::invalid(format!("creating the server's port: {}", e.message()))
                .with_raw_code(e.raw_code().unwrap_or_default().to_string()),
            _ => e,
        })?;
    v.pointer("/port/id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::internal("Neutron created a port without an id"))
}

/// Names the port after the server it was made for (see the module docs).
pub async fn claim_port(session: &Session, port: &str, server: &str) -> Result<()> {
    let body = json!({ "port": { "name": port_name(server) } });
    let path = format!("/v2.0/ports/{}", crate::encode::segment(port));
    session
        .send_json(Service::Network, Method::PUT, &path, &body, |r| r)
        .await?;
    Ok(())
}

/// Deletes a port; one already gone is fine.
pub async fn delete_port(session: &Session, id: &str) -> Result<()> {
    match session
        .send(
            Service::Network,
            Method::DELETE,
            &format!("/v2.0/ports/{}", crate::encode::segment(id)),
            |r| r,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

const FIELDS: &str =
    "fields=id&fields=name&fields=device_id&fields=fixed_ips&fields=security_groups&fields=description";

async fn list(session: &Session, filter: &str) -> Result<Vec<Value>> {
    let path = format!("/v2.0/ports?{FIELDS}{filter}");
    let v = session.get_json(Service::Network, &path, |r| r).await?;
    Ok(v.get("ports").and_then(Value::as_array).cloned().unwrap_or_default())
}

/// Every port of the project (for listings).
pub async fn all_ports(session: &Session) -> Result<Vec<Value>> {
    list(session, "").await
}

/// The ports of one server: bound to it, or made for it and not bound yet.
pub async fn server_ports(session: &Session, server: &str) -> Result<Vec<Value>> {
    let mut out = list(session, &format!("&device_id={}", crate::encode::segment(server))).await?;
    for p in list(
        session,
        &format!("&name={}", crate::encode::segment(&port_name(server))),
    )
    .await?
    {
        if !out.iter().any(|o| o.get("id") == p.get("id")) {
            out.push(p);
        }
    }
    Ok(out)
}

fn of_server<'a>(ports: &'a [Value], server: &str) -> Vec<&'a Value> {
    let name = port_name(server);
    ports
        .iter()
        .filter(|p| text(p, "device_id") == Some(server) || text(p, "name") == Some(name.as_str()))
        .collect()
}

/// The ports of `server` that Nimbus created.
pub fn marked(ports: &[Value], server: &str) -> Vec<String> {
    of_server(ports, server)
        .into_iter()
        .filter(|p| text(p, "description") == Some(PORT_MARK))
        .filter_map(|p| text(p, "id").map(str::to_string))
        .collect()
}

/// Subnet, address and security groups of `server` from its ports (`None`: no port).
pub fn port_info(ports: &[Value], server: &str) -> Option<PortInfo> {
    let mine = of_server(ports, server);
    if mine.is_empty() {
        return None;
    }
    let mut info = PortInfo::default();
    for p in &mine {
        for ip in p.get("fixed_ips").and_then(Value::as_array).into_iter().flatten() {
            let addr = text(ip, "ip_address").unwrap_or_default();
            if info.ip.is_none() && addr.parse::<Ipv4Addr>().is_ok() {
                info.ip = Some(addr.to_string());
                info.subnet = text(ip, "subnet_id").map(str::to_string);
            }
        }
        for g in p.get("security_groups").and_then(Value::as_array).into_iter().flatten() {
            if let Some(g) = g.as_str() {
                if !info.security_groups.iter().any(|x| x == g) {
                    info.security_groups.push(g.to_string());
                }
            }
        }
    }
    Some(info)
}

/// The id of the network the `network` setting names (an id or a unique name).
pub async fn network_id(session: &Session, name_or_id: &str) -> Result<String> {
    let by_id = session
        .get_json(
            Service::Network,
            &format!("/v2.0/networks/{}", crate::encode::segment(name_or_id)),
            |r| r,
        )
        .await;
    match by_id {
        Ok(v) => {
            if let Some(id) = v.pointer("/network/id").and_then(Value::as_str) {
                return Ok(id.to_string());
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let v = session
        .get_json(
            Service::Network,
            &format!("/v2.0/networks?fields=id&name={}", crate::encode::segment(name_or_id)),
            |r| r,
        )
        .await?;
    let ids: Vec<&str> = v
        .get("networks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| text(n, "id"))
        .collect();
    match ids.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Error::invalid(format!(
            "`network` = `{name_or_id}`: no such network id or name"
        ))),
        many => Err(Error::invalid(format!(
            "`network` = `{name_or_id}`: {} networks have that name; use the id",
            many.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ports_give_subnet_address_groups_and_our_marks() {
        let ports = vec![
            json!({"id": "p1", "device_id": "s1", "description": PORT_MARK, "security_groups": ["sg-a", "sg-b"],
                   "fixed_ips": [{"subnet_id": "v6", "ip_address": "fd00::4"}, {"subnet_id": "sub-1", "ip_address": "10.0.0.4"}]}),
            json!({"id": "p2", "device_id": "s1", "description": "", "security_groups": ["sg-b"], "fixed_ips": []}),
            json!({"id": "p3", "device_id": "s2", "description": PORT_MARK, "security_groups": [], "fixed_ips": []}),
            // Made for s3, not bound yet.
            json!({"id": "p4", "device_id": "", "name": port_name("s3"), "description": PORT_MARK,
                   "security_groups": ["sg-c"], "fixed_ips": [{"subnet_id": "sub-2", "ip_address": "10.1.0.9"}]}),
        ];
        let info = port_info(&ports, "s1").unwrap();
        assert_eq!(info.subnet.as_deref(), Some("sub-1"));
        assert_eq!(info.ip.as_deref(), Some("10.0.0.4"));
        assert_eq!(info.security_groups, ["sg-a", "sg-b"]);
        assert_eq!(marked(&ports, "s1"), ["p1"]);
        assert!(port_info(&ports, "s9").is_none());
        let unbound = port_info(&ports, "s3").unwrap();
        assert_eq!(
            (unbound.subnet.as_deref(), unbound.security_groups.clone()),
            (Some("sub-2"), vec!["sg-c".to_string()])
        );
        assert_eq!(marked(&ports, "s3"), ["p4"]);
    }
}
