//! What `nimbus doctor` probes for a profile on this provider: the libvirt daemon the URI
//! names. A remote URI is a TCP endpoint (`qemu+tls` 16514, `qemu+tcp` 16509, `qemu+ssh`
//! 22, or the URI's port); a local one is the daemon's UNIX socket; the test driver runs in
//! the process and has nothing to probe. libvirt's RPC is not HTTP: proxy and CA variables
//! do not apply (TLS uses libvirt's own PKI files).

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack, Identity, IdentityFuture, ProviderVariables};
use nimbus_core::Result;

use crate::config::LibvirtConfig;

fn endpoints(_service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    let c = LibvirtConfig::from_settings(s)?;
    let from = if s.get("uri").is_some() {
        "setting `uri`"
    } else {
        "LIBVIRT_DEFAULT_URI, else qemu:///system"
    };
    if c.is_test_driver() {
        return Ok(Vec::new());
    }
    let u = url::Url::parse(&c.uri).map_err(|e| nimbus_core::Error::invalid(format!("uri `{}`: {e}", c.uri)))?;
    let transport = u.scheme().split_once('+').map(|(_, t)| t);
    let url = match (transport, u.host_str().filter(|h| !h.is_empty())) {
        (Some(t @ ("tls" | "tcp" | "ssh" | "libssh" | "libssh2")), Some(host)) => {
            let default = match t {
                "tls" => 16514,
                "tcp" => 16509,
                _ => 22,
            };
            format!("tcp://{host}:{}", u.port().unwrap_or(default))
        }
        (Some("ext"), _) => return Ok(Vec::new()),
        _ => {
            let system = u.path() != "/session";
            let socket = u
                .query_pairs()
                .find(|(k, _)| k == "socket")
                .map(|(_, v)| v.to_string())
                .unwrap_or_else(|| {
                    if system {
                        // The monolithic daemon's socket, else the modular one's (virtqemud).
                        let mono = "/var/run/libvirt/libvirt-sock";
                        let modular = "/var/run/libvirt/virtqemud-sock";
                        if !std::path::Path::new(mono).exists() && std::path::Path::new(modular).exists() {
                            modular.to_string()
                        } else {
                            mono.to_string()
                        }
                    } else {
                        let run = std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/run/user/0".into());
                        format!("{run}/libvirt/libvirt-sock")
                    }
                });
            format!("unix://{socket}")
        }
    };
    Ok(vec![Endpoint::new("libvirtd", url, from)])
}

/// The host the URI reaches: libvirt authenticates the connection itself (UNIX socket
/// permissions, SSH keys, TLS client certificates, SASL), so an open connection is the proof,
/// and the host name says which hypervisor answered.
fn identity(_service: &str, s: &Settings) -> IdentityFuture {
    let cfg = LibvirtConfig::from_settings(s);
    Box::pin(async move {
        let cfg = cfg?;
        let uri = cfg.uri.clone();
        tokio::task::spawn_blocking(move || {
            let conn = crate::conn::Conn::open(&uri).map_err(|e| crate::error::map(e, "libvirt", "open"))?;
            let host = conn
                .hostname()
                .map_err(|e| crate::error::map(e, "libvirt", "hostname"))?;
            Ok(Identity {
                principal: format!("connection {uri}"),
                account: Some(host),
                how: "libvirt connection (the daemon authenticated it) and the host's name".into(),
                proven: true,
                ..Default::default()
            })
        })
        .await
        .map_err(|e| nimbus_core::Error::internal(format!("libvirt open task: {e}")))?
    })
}

/// libvirt's own default URI variable.
fn variables(_service: &str) -> Vec<ProviderVariables> {
    vec![("uri", &["LIBVIRT_DEFAULT_URI"])]
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::NotHttp,
    variables,
    identity: Some(identity),
    permissions: None,
    explain: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(uri: &str) -> Vec<String> {
        let mut s = Settings::default();
        s.set("uri", uri, "test");
        endpoints("compute", &s).unwrap().into_iter().map(|e| e.url).collect()
    }

    #[test]
    fn each_transport_maps_to_the_port_or_socket_libvirt_uses() {
        assert_eq!(probe("qemu+tls://kvm1.example/system"), ["tcp://kvm1.example:16514"]);
        assert_eq!(probe("qemu+tcp://kvm1.example/system"), ["tcp://kvm1.example:16509"]);
        assert_eq!(
            probe("qemu+ssh://ops@kvm1.example:2222/system"),
            ["tcp://kvm1.example:2222"]
        );
        assert_eq!(probe("qemu:///system?socket=/run/x.sock"), ["unix:///run/x.sock"]);
        assert!(probe("test:///default").is_empty());
    }
}
