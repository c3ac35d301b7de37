//! Helpers shared by the CLI's integration tests: loopback servers that accept connections on
//! 127.0.0.1, read one request head and answer what the test gives them, and a clean proxy
//! environment. Not every test file uses every helper.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

/// Serves on a free loopback port: `answer` gets each request head and returns the bytes to
/// write back. Returns the port.
pub fn serve(answer: impl Fn(&str) -> Vec<u8> + Send + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = Vec::new();
            let mut b = [0u8; 1];
            while !buf.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                buf.push(b[0]);
            }
            let _ = s.write_all(&answer(&String::from_utf8_lossy(&buf)));
        }
    });
    port
}

/// Removes every proxy variable (and `REQUEST_METHOD`) the test machine may have set, so a
/// test decides the proxy environment itself.
pub fn without_proxy_env(c: &mut Command) -> &mut Command {
    for v in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "REQUEST_METHOD",
    ] {
        c.env_remove(v);
    }
    c
}
