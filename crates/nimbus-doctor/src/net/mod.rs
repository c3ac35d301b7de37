//! Layer 3, network: per endpoint, each step the providers' stacks take, observed on its own
//! with its own deadline: DNS, TCP, the proxy's `CONNECT` when the endpoint goes through one,
//! the TLS handshake (classified when it fails), and one unauthenticated `HTTP HEAD`. A step
//! whose predecessor failed is `skip` naming it, so a dead endpoint costs one deadline, not
//! one per step. Through a proxy, name resolution is the proxy's job: DNS and TCP are then
//! checked for the proxy, as the stacks connect to it.
//!
//! A network timeout is an observation (`fail`: "no answer in 5 s", a firewall dropping
//! packets), not an error of doctor. Non-HTTP endpoints (libvirt) get DNS and TCP, or a
//! UNIX-socket connect.

pub mod cert;
pub mod http;
pub mod tls;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::endpoints::Target;
use crate::proxy::{self, Route};
use crate::report::{CheckResult, Layer, Status};

/// Deadline of a name lookup.
pub const DNS_DEADLINE: Duration = Duration::from_secs(3);
/// Deadline of a TCP connect (per address).
pub const TCP_DEADLINE: Duration = Duration::from_secs(5);
/// Deadline of a TLS handshake (or a proxy's `CONNECT` answer).
pub const TLS_DEADLINE: Duration = Duration::from_secs(5);
/// Deadline of an HTTP answer.
pub const HTTP_DEADLINE: Duration = Duration::from_secs(10);

/// One endpoint's network results, and its HTTP answer for the clock layer.
#[derive(Debug)]
pub struct Probe {
    /// The endpoint's label.
    pub label: String,
    /// Results, in step order.
    pub results: Vec<CheckResult>,
    /// The `HEAD` answer, when the endpoint answered one.
    pub answer: Option<http::Answer>,
    /// The clock tolerance the endpoint's service documents.
    pub tolerance: Option<(Duration, &'static str)>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn deadline<T>(d: Duration, f: impl Future<Output = std::io::Result<T>>) -> std::io::Result<T> {
    match tokio::time::timeout(d, f).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer in {} s", d.as_secs()),
        )),
    }
}

struct Steps {
    label: String,
    results: Vec<CheckResult>,
    failed: Option<String>,
}

impl Steps {
    fn id(&self, step: &str) -> String {
        format!("net.{}.{step}", self.label)
    }

    /// Records `step`; returns `false` (and records `skip`) when an earlier step failed.
    fn ready(&mut self, step: &str) -> bool {
        if let Some(f) = &self.failed {
            let r = CheckResult::skipped(Layer::Network, self.id(step), &format!("{f} failed"));
            self.results.push(r);
            return false;
        }
        true
    }

    fn pass(&mut self, step: &str, msg: String, ev: serde_json::Value, t: Instant) {
        let r = CheckResult::new(Layer::Network, self.id(step), Status::Pass, msg)
            .evidence(ev)
            .since(t);
        self.results.push(r);
    }

    fn fail(&mut self, step: &str, msg: String, fix: String, ev: serde_json::Value, t: Instant) {
        let id = self.id(step);
        self.failed = Some(id.clone());
        let r = CheckResult::new(Layer::Network, id, Status::Fail, msg)
            .fix(fix)
            .evidence(ev)
            .since(t);
        self.results.push(r);
    }
}

struct Dest {
    scheme: String,
    host: String,
    port: u16,
    target: String,
}

fn dest(url: &str) -> Option<Dest> {
    let u: ::http::Uri = url.parse().ok()?;
    let scheme = u.scheme_str()?.to_string();
    let host = u.host()?.trim_matches(['[', ']']).to_string();
    let port = u.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
    let target = u.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
    Some(Dest {
        scheme,
        host,
        port,
        target: if target.is_empty() { "/".into() } else { target },
    })
}

/// Probes one endpoint.
pub async fn probe(env: &BTreeMap<String, String>, roots: &tls::Roots, tg: &Target) -> Probe {
    let url = &tg.endpoint.url;
    let mut st = Steps {
        label: tg.endpoint.label.clone(),
        results: Vec::new(),
        failed: None,
    };
    let mut answer = None;
    if let Some(path) = url.strip_prefix("unix://") {
        let t = Instant::now();
        match deadline(TCP_DEADLINE, tokio::net::UnixStream::connect(path)).await {
            Ok(_) => st.pass("socket", format!("{path} accepts connections"), json!({"socket": path}), t),
            Err(e) => st.fail(
                "socket",
                format!("cannot connect to {path}: {e}"),
                format!("start the daemon that serves {path} (for libvirt: systemctl start libvirtd), or set the profile's URI"),
                json!({"socket": path, "error": e.to_string()}),
                t,
            ),
        }
    } else if let Some(d) = dest(url) {
        let route = if d.scheme.starts_with("http") && matches!(tg.stack, nimbus_core::diag::HttpStack::Hyper { .. }) {
            proxy::route(env, url)
        } else {
            Route::Direct
        };
        let via = match &route {
            Route::Proxy { url, .. } => dest(url).map(|p| (url.clone(), p)),
            _ => None,
        };
        let (conn_host, conn_port, whom) = match &via {
            Some((purl, p)) => (p.host.clone(), p.port, format!("proxy {purl}")),
            None => (d.host.clone(), d.port, d.host.clone()),
        };
        // DNS
        let mut addrs: Vec<SocketAddr> = Vec::new();
        if st.ready("dns") {
            let t = Instant::now();
            match conn_host.parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    addrs.push(SocketAddr::new(ip, conn_port));
                    st.pass(
                        "dns",
                        format!("{whom}: an IP address, no lookup"),
                        json!({"addresses": [ip.to_string()]}),
                        t,
                    );
                }
                Err(_) => match deadline(DNS_DEADLINE, async {
                    tokio::net::lookup_host((conn_host.as_str(), conn_port))
                        .await
                        .map(|a| a.collect::<Vec<_>>())
                })
                .await
                {
                    Ok(a) if !a.is_empty() => {
                        addrs = a;
                        let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                        st.pass(
                            "dns",
                            format!("{whom} resolves to {}", shown.join(", ")),
                            json!({"addresses": shown}),
                            t,
                        );
                    }
                    other => {
                        let e = match other {
                            Err(e) => e.to_string(),
                            Ok(_) => "no address".into(),
                        };
                        st.fail(
                            "dns",
                            format!("{whom} does not resolve: {e}"),
                            format!("check the host name in the profile and this machine's resolver (/etc/resolv.conf); from here: getent hosts {conn_host}"),
                            json!({"host": conn_host, "error": e}),
                            t,
                        );
                    }
                },
            }
        }
        // TCP
        let mut stream: Option<Box<dyn Io>> = None;
        if st.ready("tcp") {
            let t = Instant::now();
            let mut errors = Vec::new();
            for a in &addrs {
                match deadline(TCP_DEADLINE, TcpStream::connect(a)).await {
                    Ok(s) => {
                        stream = Some(Box::new(s));
                        st.pass(
                            "tcp",
                            format!("{whom}: connected to {a}"),
                            json!({"address": a.to_string(), "failed": errors}),
                            t,
                        );
                        break;
                    }
                    Err(e) => errors.push(format!("{a}: {e}")),
                }
            }
            if stream.is_none() {
                let refused = errors.iter().all(|e| e.contains("refused"));
                let (msg, fix) = if refused {
                    (
                        format!("{whom}: connection refused on port {conn_port}: nothing listens there"),
                        "check the port in the endpoint and that the service runs".to_string(),
                    )
                } else {
                    (
                        format!("{whom}: no TCP connection on port {conn_port} ({})", errors.join("; ")),
                        "a firewall may drop the packets: ask the network team to allow this machine to reach it"
                            .to_string(),
                    )
                };
                st.fail("tcp", msg, fix, json!({"errors": errors}), t);
            }
        }
        // The proxy tunnel, for https through a proxy.
        if let (Some((purl, _)), true) = (&via, d.scheme == "https") {
            if st.ready("proxy") {
                let t = Instant::now();
                let authority = format!("{}:{}", d.host, d.port);
                let auth = proxy::authorization(env, url);
                let s = stream.as_mut().expect("tcp passed");
                match deadline(TLS_DEADLINE, http::connect(s, &authority, auth.as_deref())).await {
                    Ok(h) if h.status == 200 => st.pass(
                        "proxy",
                        format!("proxy {purl} opened a tunnel to {authority}"),
                        json!({"status": h.status}),
                        t,
                    ),
                    Ok(h) => {
                        let fix = if h.status == 407 {
                            "the proxy wants credentials: put them in the proxy variable's URL (http://user:password@proxy:port)".to_string()
                        } else {
                            format!("ask the proxy's operators to allow CONNECT to {authority}")
                        };
                        st.fail(
                            "proxy",
                            format!(
                                "proxy {purl} refused a tunnel to {authority}: {} {}",
                                h.status, h.reason
                            ),
                            fix,
                            json!({"status": h.status, "reason": h.reason}),
                            t,
                        );
                    }
                    Err(e) => st.fail(
                        "proxy",
                        format!("proxy {purl} did not open a tunnel to {authority}: {e}"),
                        "check the proxy URL in HTTPS_PROXY".into(),
                        json!({"error": e.to_string()}),
                        t,
                    ),
                }
            }
        }
        // TLS
        if d.scheme == "https" && st.ready("tls") {
            let t = Instant::now();
            let s = stream.take().expect("tcp passed");
            match handshake(roots, tg, &d.host, via.as_ref().map(|v| v.0.as_str()), s).await {
                Ok((tls, chain, version)) => {
                    let leaf = chain.first();
                    st.pass(
                        "tls",
                        format!(
                            "{version}, certificate for {} issued by `{}`, valid until {}",
                            d.host,
                            leaf.map_or("?", |c| c.issuer.as_str()),
                            leaf.map_or("?", |c| c.not_after.as_str())
                        ),
                        json!({"chain": chain}),
                        t,
                    );
                    stream = Some(tls);
                }
                Err((msg, fix, chain)) => st.fail("tls", msg, fix, json!({"chain": chain}), t),
            }
        }
        // HTTP
        if d.scheme.starts_with("http") && st.ready("http") {
            let t = Instant::now();
            let s = stream.as_mut().expect("earlier steps passed");
            let target = match (&via, d.scheme.as_str()) {
                (Some(_), "http") => url.clone(),
                _ => d.target.clone(),
            };
            let host = if d.port == 443 || d.port == 80 {
                d.host.clone()
            } else {
                format!("{}:{}", d.host, d.port)
            };
            match deadline(HTTP_DEADLINE, http::head(s, &host, &target)).await {
                Ok(a) => {
                    let ev = json!({
                        "status": a.head.status,
                        "date": a.head.header("date"),
                        "server": a.head.header("server"),
                        "rtt_ms": a.rtt.as_millis() as u64,
                    });
                    let msg = format!(
                        "HEAD {} answered {} {} in {} ms",
                        nimbus_core::config::redact_url(url),
                        a.head.status,
                        a.head.reason,
                        a.rtt.as_millis()
                    );
                    // 501: the service is there and does not serve HEAD on this path (s3s).
                    if a.head.status >= 500 && a.head.status != 501 {
                        let r = CheckResult::new(Layer::Network, st.id("http"), Status::Warn, msg)
                            .fix("the endpoint answers but reports a server error: ask its operators")
                            .evidence(ev)
                            .since(t);
                        st.results.push(r);
                    } else {
                        st.pass("http", msg, ev, t);
                    }
                    answer = Some(a);
                }
                Err(e) => st.fail(
                    "http",
                    format!("no HTTP answer from {}: {e}", nimbus_core::config::redact_url(url)),
                    "the port accepts connections but does not answer HTTP: check the endpoint's scheme and port"
                        .into(),
                    json!({"error": e.to_string()}),
                    t,
                ),
            }
        }
    } else {
        let t = Instant::now();
        st.fail(
            "url",
            format!(
                "`{}` is not a URL doctor can probe",
                nimbus_core::config::redact_url(url)
            ),
            "check the endpoint setting".into(),
            serde_json::Value::Null,
            t,
        );
    }
    Probe {
        label: tg.endpoint.label.clone(),
        results: st.results,
        answer,
        tolerance: tg.endpoint.clock_tolerance,
    }
}

type Handshake = Result<(Box<dyn Io>, Vec<cert::CertSummary>, String), (String, String, Vec<cert::CertSummary>)>;

/// The TLS handshake over `s`; `via` names the proxy the endpoint is reached through.
async fn handshake(roots: &tls::Roots, tg: &Target, host: &str, via: Option<&str>, s: Box<dyn Io>) -> Handshake {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let store = roots.store(tg.endpoint.ca_file.as_deref()).map_err(|e| {
        (
            e,
            "point SSL_CERT_FILE at a PEM bundle of the system roots (plus your CA), or unset it".to_string(),
            Vec::new(),
        )
    })?;
    let verifier = tls::Recording::new(store, provider.clone()).map_err(|e| (e, String::new(), Vec::new()))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| (e.to_string(), String::new(), Vec::new()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
        (
            format!("`{host}` is not a valid TLS server name: {e}"),
            String::new(),
            Vec::new(),
        )
    })?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match deadline(TLS_DEADLINE, connector.connect(name, s)).await {
        Ok(tls) => {
            let version = tls
                .get_ref()
                .1
                .protocol_version()
                .map_or("TLS".to_string(), |v| format!("{v:?}").replace("TLSv1_", "TLS 1."));
            Ok((Box::new(tls), verifier.chain(), version))
        }
        Err(e) => {
            let chain = verifier.chain();
            let tls_err = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()).cloned();
            let (msg, fix) = match tls_err {
                Some(te) => tls::classify(&te, host, &chain, via),
                None if e.kind() == std::io::ErrorKind::TimedOut => (
                    format!(
                        "{host}: no TLS answer in {} s (does the port serve TLS?)",
                        TLS_DEADLINE.as_secs()
                    ),
                    "check the endpoint's scheme and port".into(),
                ),
                None => (
                    format!("{host}: TLS handshake failed: {e}"),
                    "a proxy or firewall may be cutting TLS connections".into(),
                ),
            };
            Err((msg, fix, chain))
        }
    }
}
