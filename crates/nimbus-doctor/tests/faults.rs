//! Each fault planted on loopback, and what doctor must say about it: a port nothing listens
//! on, a CA the machine does not trust (directly and through a tunnelling proxy), a name
//! mismatch, an expired certificate, plain HTTP on a TLS URL, a port that never answers, a
//! proxy that wants credentials, a server clock 20 minutes ahead, and proxy/CA variables that
//! are set but ignored. Certificates are minted per test with rcgen.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use nimbus_core::diag::{Endpoint, HttpStack, S3_SKEW};
use nimbus_doctor::endpoints::Target;
use nimbus_doctor::net::tls::Roots;
use nimbus_doctor::{clock, env_layer, net, CheckResult, Status};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Ca {
    pem: String,
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = p.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        der: cert.der().clone(),
        issuer: Issuer::new(p, key),
    }
}

fn leaf(ca: &Ca, names: &[&str], expired: bool) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, names[0]);
    if expired {
        p.not_before = rcgen::date_time_ymd(2019, 1, 1);
        p.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    (cert.der().clone(), PrivatePkcs8KeyDer::from(key.serialize_der()).into())
}

fn answer(offset: i64) -> String {
    let now = SystemTime::now();
    let date = if offset >= 0 {
        now + Duration::from_secs(offset as u64)
    } else {
        now - Duration::from_secs(offset.unsigned_abs())
    };
    format!(
        "HTTP/1.1 403 Forbidden\r\nDate: {}\r\nServer: nimbus-test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        httpdate::fmt_http_date(date)
    )
}

async fn read_head(s: &mut (impl tokio::io::AsyncRead + Unpin)) -> String {
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).await.unwrap_or(0) == 0 {
            break;
        }
        buf.push(b[0]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A TLS server presenting `chain`, answering every request with a `Date` `offset` s off.
async fn tls_server(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(s).await {
                    read_head(&mut tls).await;
                    let _ = tls.write_all(answer(0).as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    port
}

/// A plain HTTP server whose `Date` is `offset` seconds off.
async fn http_server(offset: i64) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                // Like any HTTP server, answer 400 to bytes that are not HTTP (a TLS hello).
                let mut first = [0u8; 1];
                if s.peek(&mut first).await.is_ok() && !first[0].is_ascii_alphabetic() {
                    let _ = s
                        .write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                        .await;
                    return;
                }
                read_head(&mut s).await;
                let _ = s.write_all(answer(offset).as_bytes()).await;
            });
        }
    });
    port
}

/// Accepts connections and never says a word.
async fn silent_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    port
}

/// A CONNECT proxy: tunnels when `status` is 200, else answers `status`.
async fn connect_proxy(status: u16) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let head = read_head(&mut s).await;
                let authority = head.split(' ').nth(1).unwrap_or("").to_string();
                if status != 200 {
                    let _ = s
                        .write_all(format!("HTTP/1.1 {status} No\r\nContent-Length: 0\r\n\r\n").as_bytes())
                        .await;
                    return;
                }
                let Ok(mut up) = TcpStream::connect(&authority).await else {
                    return;
                };
                let _ = s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                let _ = tokio::io::copy_bidirectional(&mut s, &mut up).await;
            });
        }
    });
    port
}

fn target(url: &str, tolerance: bool) -> Target {
    let mut e = Endpoint::new("t", url, "test");
    if tolerance {
        e = e.tolerance(S3_SKEW.0, S3_SKEW.1);
    }
    Target {
        services: vec!["storage".into()],
        provider: "test".into(),
        endpoint: e,
        stack: HttpStack::Hyper {
            ca_setting: None,
            proven_by: "test",
        },
    }
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn probe(env: &BTreeMap<String, String>, t: &Target) -> Vec<CheckResult> {
    let p = net::probe(env, &Roots::load(env), t).await;
    let mut out = p.results.clone();
    out.extend(clock::run(&[p]));
    out
}

fn get<'a>(rs: &'a [CheckResult], id: &str) -> &'a CheckResult {
    rs.iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no {id} in {rs:#?}"))
}

fn pem_file(dir: &tempfile::TempDir, name: &str, pem: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, pem).unwrap();
    p.display().to_string()
}

#[tokio::test]
async fn a_port_nothing_listens_on_fails_tcp_and_skips_the_rest() {
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rs = probe(&env(&[]), &target(&format!("http://127.0.0.1:{port}"), true)).await;
    let tcp = get(&rs, "net.t.tcp");
    assert_eq!(tcp.status, Status::Fail, "{tcp:#?}");
    assert!(tcp.message.contains("refused") && tcp.fix.is_some(), "{tcp:#?}");
    assert_eq!(get(&rs, "net.t.http").status, Status::Skip);
    assert!(get(&rs, "net.t.http").message.contains("net.t.tcp failed"));
    assert_eq!(get(&rs, "clock.t").status, Status::Skip);
}

#[tokio::test]
async fn an_untrusted_ca_is_named_with_the_fix_and_trusting_it_passes() {
    let dir = tempfile::tempdir().unwrap();
    let private = ca("Nimbus Test Private CA");
    let other = ca("Some Other CA");
    let (cert, key) = leaf(&private, &["localhost", "127.0.0.1"], false);
    let port = tls_server(vec![cert, private.der.clone()], key).await;
    let t = target(&format!("https://127.0.0.1:{port}/bucket"), true);

    let untrusting = env(&[("SSL_CERT_FILE", &pem_file(&dir, "other.pem", &other.pem))]);
    let rs = probe(&untrusting, &t).await;
    let tls = get(&rs, "net.t.tls");
    assert_eq!(tls.status, Status::Fail, "{tls:#?}");
    assert!(
        tls.message.contains("unknown root") && tls.message.contains("Nimbus Test Private CA"),
        "{tls:#?}"
    );
    assert!(tls.fix.as_deref().unwrap().contains("SSL_CERT_FILE"), "{tls:#?}");
    assert_eq!(
        tls.evidence["chain"].as_array().unwrap().len(),
        2,
        "the presented chain is evidence"
    );
    assert_eq!(get(&rs, "net.t.http").status, Status::Skip);

    let trusting = env(&[("SSL_CERT_FILE", &pem_file(&dir, "private.pem", &private.pem))]);
    let rs = probe(&trusting, &t).await;
    for id in ["net.t.tcp", "net.t.tls", "net.t.http", "clock.t"] {
        assert_eq!(get(&rs, id).status, Status::Pass, "{:#?}", get(&rs, id));
    }
    assert!(get(&rs, "net.t.tls").message.contains("Nimbus Test Private CA"));
    assert!(get(&rs, "net.t.http").message.contains("403"));
}

#[tokio::test]
async fn an_interception_through_a_proxy_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let interceptor = ca("Nimbus Test Interception CA");
    let trusted = ca("Trusted CA");
    let (cert, key) = leaf(&interceptor, &["127.0.0.1"], false);
    let port = tls_server(vec![cert], key).await;
    let proxy = connect_proxy(200).await;
    let e = env(&[
        ("HTTPS_PROXY", &format!("http://127.0.0.1:{proxy}")),
        ("SSL_CERT_FILE", &pem_file(&dir, "trusted.pem", &trusted.pem)),
    ]);
    let rs = probe(&e, &target(&format!("https://127.0.0.1:{port}"), false)).await;
    assert_eq!(get(&rs, "net.t.proxy").status, Status::Pass, "{rs:#?}");
    assert!(get(&rs, "net.t.tcp")
        .message
        .contains(&format!("proxy http://127.0.0.1:{proxy}")));
    let tls = get(&rs, "net.t.tls");
    assert_eq!(tls.status, Status::Fail);
    assert!(
        tls.message
            .contains(&format!("likely TLS interception by proxy http://127.0.0.1:{proxy}"))
            && tls.message.contains("Nimbus Test Interception CA"),
        "{tls:#?}"
    );
}

#[tokio::test]
async fn a_proxy_that_wants_credentials_says_so() {
    let proxy = connect_proxy(407).await;
    let e = env(&[("HTTPS_PROXY", &format!("http://127.0.0.1:{proxy}"))]);
    let rs = probe(&e, &target("https://127.0.0.1:9/", false)).await;
    let p = get(&rs, "net.t.proxy");
    assert_eq!(p.status, Status::Fail);
    assert!(
        p.message.contains("407") && p.fix.as_deref().unwrap().contains("user:password"),
        "{p:#?}"
    );
    assert_eq!(get(&rs, "net.t.tls").status, Status::Skip);
}

#[tokio::test]
async fn a_name_mismatch_and_an_expired_certificate_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let private = ca("Nimbus Test Private CA");
    let trusting = env(&[("SSL_CERT_FILE", &pem_file(&dir, "private.pem", &private.pem))]);

    let (cert, key) = leaf(&private, &["other.example"], false);
    let port = tls_server(vec![cert], key).await;
    let rs = probe(&trusting, &target(&format!("https://127.0.0.1:{port}"), false)).await;
    let tls = get(&rs, "net.t.tls");
    assert!(
        tls.status == Status::Fail && tls.message.contains("name mismatch") && tls.message.contains("other.example"),
        "{tls:#?}"
    );

    let (cert, key) = leaf(&private, &["127.0.0.1"], true);
    let port = tls_server(vec![cert], key).await;
    let rs = probe(&trusting, &target(&format!("https://127.0.0.1:{port}"), false)).await;
    let tls = get(&rs, "net.t.tls");
    assert!(
        tls.status == Status::Fail && tls.message.contains("expired on") && tls.message.contains("2020"),
        "{tls:#?}"
    );
}

#[tokio::test]
async fn plain_http_on_a_tls_url_and_a_silent_port_are_named() {
    let port = http_server(0).await;
    let rs = probe(&env(&[]), &target(&format!("https://127.0.0.1:{port}"), false)).await;
    let tls = get(&rs, "net.t.tls");
    assert!(
        tls.status == Status::Fail && tls.message.contains("does not speak TLS"),
        "{tls:#?}"
    );

    let port = silent_server().await;
    let t0 = Instant::now();
    let rs = probe(&env(&[]), &target(&format!("https://127.0.0.1:{port}"), false)).await;
    let tls = get(&rs, "net.t.tls");
    assert!(
        tls.status == Status::Fail && tls.message.contains("no TLS answer in 5 s"),
        "{tls:#?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(10), "one deadline, not one per step");
}

#[tokio::test]
async fn a_server_clock_20_minutes_ahead_fails_against_the_s3_tolerance() {
    let port = http_server(1200).await;
    let rs = probe(&env(&[]), &target(&format!("http://127.0.0.1:{port}"), true)).await;
    assert_eq!(get(&rs, "net.t.http").status, Status::Pass);
    let c = get(&rs, "clock.t");
    assert_eq!(c.status, Status::Fail, "{c:#?}");
    assert!(
        c.evidence["skew_s"].as_f64().unwrap() > 1190.0 && c.message.contains("ahead of"),
        "{c:#?}"
    );
    assert!(c.fix.as_deref().unwrap().contains("15 minutes"), "{c:#?}");
    // Without a documented tolerance the same skew is a warning.
    let rs = probe(&env(&[]), &target(&format!("http://127.0.0.1:{port}"), false)).await;
    assert_eq!(get(&rs, "clock.t").status, Status::Warn);
}

#[tokio::test]
async fn proxy_and_ca_variables_set_but_ignored_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let targets = [
        target("https://s3.example.com", false),
        target("http://127.0.0.1:9000", false),
    ];
    let e = env(&[
        ("HTTPS_PROXY", ""),
        ("https_proxy", "http://user:pw-planted@proxy.example:3128"),
        ("AWS_CA_BUNDLE", &pem_file(&dir, "company.pem", &ca("Company CA").pem)),
        ("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem"),
    ]);
    let rs = env_layer::run(&e, &Roots::load(&e), &targets);
    let p = get(&rs, "env.proxy");
    assert_eq!(p.status, Status::Warn);
    assert!(p.message.contains("HTTPS_PROXY is set but empty"), "{p:#?}");
    let ca = get(&rs, "env.ca");
    assert!(
        ca.status == Status::Warn
            && ca.message.contains("AWS_CA_BUNDLE (1 certificate(s)")
            && !ca.message.contains("REQUESTS"),
        "{ca:#?}"
    );

    let e = env(&[
        ("HTTP_PROXY", "http://user:pw-planted@proxy.example:3128"),
        ("SSL_CERT_FILE", &pem_file(&dir, "empty.pem", "")),
    ]);
    let rs = env_layer::run(&e, &Roots::load(&e), &targets);
    let p = get(&rs, "env.proxy");
    assert!(
        p.status == Status::Warn && p.message.contains("only HTTP_PROXY"),
        "{p:#?}"
    );
    assert_eq!(get(&rs, "env.ca").status, Status::Fail);
    // The loopback endpoint goes through the proxy: hyper-util has no implicit bypass.
    let r = rs.iter().find(|r| r.message.contains("127.0.0.1:9000")).unwrap();
    assert!(
        r.status == Status::Warn && r.fix.as_deref().unwrap().contains("NO_PROXY"),
        "{r:#?}"
    );
    let all = format!("{rs:?}");
    assert!(!all.contains("pw-planted"), "a proxy password was printed: {all}");
}
