//! `nimbus-fault-proxy --upstream 127.0.0.1:PORT [--rate 0.2] [--seed N] [--max-faults N]`:
//! runs the proxy until interrupted, prints its address first and its counts last.

use std::net::SocketAddr;

use clap::Parser;
use nimbus_fault_proxy::{Fault, FaultProxy, Plan};

/// An HTTP fault-injecting proxy on 127.0.0.1 in front of one loopback upstream.
#[derive(Parser)]
struct Args {
    /// The backend, e.g. 127.0.0.1:9000 (loopback only).
    #[arg(long)]
    upstream: SocketAddr,
    /// Share of requests faulted, 0 to 1.
    #[arg(long, default_value_t = 0.2)]
    rate: f64,
    /// Seed of the fault draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// No more faults than this.
    #[arg(long, default_value_t = 10_000)]
    max_faults: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let proxy = FaultProxy::start(a.upstream, Plan::new(a.rate, Fault::all(), a.max_faults, a.seed)).await?;
    println!("listening {}", proxy.url());
    tokio::signal::ctrl_c().await?;
    for (what, n) in proxy.stats().counts() {
        println!("{what}\t{n}");
    }
    Ok(())
}
