//! Loopback servers shared by the CLI's integration tests: each accepts connections on
//! 127.0.0.1, reads one request head and answers with what the test gives it.

use std::io::{Read, Write};
use std::net::TcpListener;

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
