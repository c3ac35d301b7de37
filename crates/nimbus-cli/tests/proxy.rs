//! The proof behind every provider hook that claims `HttpStack::Hyper` (proxy variables
//! honoured): each HTTP provider's real stack is pointed at a loopback endpoint with
//! `HTTP_PROXY` set to a recording proxy, and the proxy must see the request for that
//! endpoint; with `NO_PROXY` covering the endpoint it must see nothing. `nimbus doctor`
//! states the claim only because this test holds.

mod support;

use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// A proxy that records each request line and answers 502.
fn recording_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rec = seen.clone();
    let port = support::serve(move |head| {
        rec.lock().unwrap().push(head.lines().next().unwrap_or("").to_string());
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
    });
    (port, seen)
}

fn profile(provider: &str, dead: u16) -> String {
    let e = format!("http://127.0.0.1:{dead}");
    let storage = match provider {
        "aws" => format!("endpoint = '{e}'\nregion = 'us-east-1'\naccess_key_id = 'AKIDPROXYTEST'\nsecret_access_key = 'proxy-test-secret'"),
        "azure" => format!("endpoint = '{e}/devstoreaccount1'\naccount = 'devstoreaccount1'\naccount_key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='"),
        "gcp" => format!("endpoint = '{e}'\nanonymous = true\nproject = 'proxy-test'"),
        "openstack" => format!("auth_url = '{e}/v3'\nusername = 'u'\npassword = 'proxy-test-password'\nproject_name = 'p'\nuser_domain_name = 'Default'\nproject_domain_name = 'Default'"),
        other => panic!("no profile for {other}"),
    };
    format!("[profiles.default]\nprovider = '{provider}'\n[profiles.default.storage]\n{storage}\nretry_attempts = 1\ntimeout = '10s'\n")
}

fn ls_through(provider: &str, no_proxy: bool) -> (Vec<String>, u16, String) {
    let d = tempfile::tempdir().unwrap();
    let dead = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let f = d.path().join("nimbus.toml");
    std::fs::write(&f, profile(provider, dead)).unwrap();
    let (port, seen) = recording_proxy();
    let mut c = Command::new(env!("CARGO_BIN_EXE_nimbus"));
    support::without_proxy_env(&mut c);
    c.env("NIMBUS_CONFIG", &f)
        .env_remove("NIMBUS_PROFILE")
        .env("HTTP_PROXY", format!("http://127.0.0.1:{port}"))
        .env("NIMBUS_HOME", d.path())
        .current_dir(d.path())
        .args(["storage", "ls", "proxy-test-bucket"]);
    if no_proxy {
        c.env("NO_PROXY", "127.0.0.1");
    }
    let o = c.output().unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let lines = seen.lock().unwrap().clone();
    (lines, dead, out)
}

fn proves(provider: &str) {
    let (seen, dead, out) = ls_through(provider, false);
    assert!(
        seen.iter().any(|l| l.contains(&format!("http://127.0.0.1:{dead}/"))),
        "{provider}: the proxy saw no request for the endpoint: {seen:?}\n{out}"
    );
    let (seen, _, out) = ls_through(provider, true);
    assert!(
        seen.is_empty(),
        "{provider}: NO_PROXY=127.0.0.1 ignored: {seen:?}\n{out}"
    );
}

#[test]
fn aws_honours_http_proxy_and_no_proxy() {
    proves("aws");
}

#[test]
fn azure_honours_http_proxy_and_no_proxy() {
    proves("azure");
}

#[test]
fn gcp_honours_http_proxy_and_no_proxy() {
    proves("gcp");
}

#[test]
fn openstack_honours_http_proxy_and_no_proxy() {
    proves("openstack");
}
