//! Reaching a guest's TCP service, for the cases that prove firewall rules by packets.
//!
//! Every other network case checks what the API *says* the rules are; these connect to a
//! guest. That needs a target whose guests the suite can reach and whose image serves two
//! known ports: the target declares it with [`GuestAccess`] (the libvirt target: a network
//! namespace holding the host's bridges, and a test image serving 8080 and 8081). Targets
//! without it (the local simulator, clouds we cannot run guests in) report the cases as
//! unsupported, so the matrix shows where enforcement is unproven.
//!
//! Connections from inside a network namespace are made on a thread of their own that
//! enters the namespace (`setns`) and ends with the probe, so no pooled thread of the
//! runtime is ever left in another namespace.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How the suite reaches guests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestAccess {
    /// Network namespace to connect from (`/run/netns/NAME`); `None`: this process's network.
    pub netns: Option<String>,
    /// Two TCP ports the default image serves as soon as it has booted.
    pub ports: [u16; 2],
}

/// What a connection attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The port accepted a connection.
    Open,
    /// Refused (RST): the host answered, nothing listens or a reject rule.
    Refused,
    /// No answer within the timeout: dropped.
    TimedOut,
    /// The probe itself failed (namespace missing, no permission).
    Broken(String),
}

fn connect(netns: Option<&str>, ip: Ipv4Addr, port: u16, timeout: Duration) -> Reach {
    if let Some(ns) = netns {
        let path = format!("/run/netns/{ns}");
        let f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => return Reach::Broken(format!("open {path}: {e}")),
        };
        // SAFETY: a valid namespace fd; only this short-lived thread changes namespace.
        let rc = unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&f), libc::CLONE_NEWNET) };
        if rc != 0 {
            return Reach::Broken(format!("setns {path}: {}", std::io::Error::last_os_error()));
        }
    }
    match TcpStream::connect_timeout(&SocketAddr::from((ip, port)), timeout) {
        Ok(_) => Reach::Open,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Reach::Refused,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => Reach::TimedOut,
        // No route / host unreachable (ICMP from the bridge): not reachable.
        Err(e) if e.raw_os_error() == Some(libc::EHOSTUNREACH) || e.raw_os_error() == Some(libc::ENETUNREACH) => {
            Reach::TimedOut
        }
        Err(e) => Reach::Broken(e.to_string()),
    }
}

impl GuestAccess {
    /// One TCP connection attempt to `ip:port`, bounded by `timeout`.
    pub async fn probe(&self, ip: Ipv4Addr, port: u16, timeout: Duration) -> Reach {
        let ns = self.netns.clone();
        let (tx, rx) = futures::channel::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(connect(ns.as_deref(), ip, port, timeout));
        });
        rx.await.unwrap_or_else(|_| Reach::Broken("probe thread died".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_and_refused_ports_are_told_apart() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let g = GuestAccess {
            netns: None,
            ports: [port, port],
        };
        assert_eq!(
            g.probe(Ipv4Addr::LOCALHOST, port, Duration::from_secs(2)).await,
            Reach::Open
        );
        drop(l);
        assert_eq!(
            g.probe(Ipv4Addr::LOCALHOST, port, Duration::from_secs(2)).await,
            Reach::Refused
        );
        let missing = GuestAccess {
            netns: Some("nimbus-no-such-namespace".into()),
            ports: [1, 2],
        };
        assert!(matches!(
            missing.probe(Ipv4Addr::LOCALHOST, 1, Duration::from_secs(1)).await,
            Reach::Broken(_)
        ));
    }
}
