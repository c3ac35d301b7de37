//! An HTTP proxy on loopback that injects the faults real networks and overloaded services
//! produce, in front of a real backend (moto, s3s-fs, Azurite, fake-gcs-server, Swift).
//!
//! Why our own and not Toxiproxy (or its Rust port, `noxious`): Toxiproxy's toxics work on
//! TCP bytes (latency, bandwidth, a connection closed after N bytes, timeouts). The faults
//! that test an adapter's error mapping and a client's retry and resume semantics are HTTP
//! ones: a 503 with `Retry-After`, a 429, a response lost *after* the server did the work, a
//! body cut after N bytes of the body (not of the headers), a body that stalls. They need the
//! proxy to know where a request and a response begin and end, so this proxy speaks HTTP/1.1
//! (hyper) and covers the TCP faults too (a reset before the answer, a slow link).
//!
//! Every fault is drawn per request from a seeded random source with the plan's probability,
//! and the number of faults is capped (`Plan::max_faults`), so a run is bounded and can be
//! replayed. The proxy binds 127.0.0.1 only and forwards to the one upstream it was given,
//! keeping the `Host` header (signatures such as SigV4 cover it).

#![deny(missing_docs)]

mod faults;
mod serve;

pub use faults::{Fault, Plan, Stats};
pub use serve::FaultProxy;
