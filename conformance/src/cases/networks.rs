//! Networks and subnets the compute and network cases create: ranges derived from the
//! declared prefix limits, the run label, tracking for cleanup.
//!
//! A module of its own so that the compute and network cases both use it without importing
//! each other (they used to, in a cycle).

use std::net::Ipv4Addr;

use nimbus_core::network::{Network, NetworkSpec, Subnet, SubnetSpec};
use nimbus_core::Ipv4Net;

use super::instances::LABEL;
use crate::{ensure, Ctx};

/// The `k`-th network range of this case: `10.X.0.0/P`, `P` the declared prefix closest to 16.
pub(super) fn net_cidr(c: &Ctx, k: u8) -> Result<Ipv4Net, String> {
    let (lo, hi) = c.network().capabilities().network_prefix_range;
    ensure!(
        lo <= hi && hi <= 32,
        "declared network prefix range /{lo}../{hi} is not valid"
    );
    net_at(seed(&c.run).wrapping_add(k.wrapping_mul(37)), 16u8.clamp(lo, hi))
}

/// The subnet prefix used inside `net`: the declared one closest to `net + 8`, longer than
/// the network's.
pub(super) fn sub_prefix(c: &Ctx, net: Ipv4Net) -> Result<u8, String> {
    let (lo, hi) = c.network().capabilities().subnet_prefix_range;
    ensure!(
        lo <= hi && hi <= 32,
        "declared subnet prefix range /{lo}../{hi} is not valid"
    );
    let p = (net.prefix_len() + 8).min(32).clamp(lo, hi).max(net.prefix_len() + 1);
    ensure!(
        p <= hi && p <= 32,
        "the declared subnet prefixes /{lo}../{hi} allow no subnet inside a /{} network",
        net.prefix_len()
    );
    Ok(p)
}

/// The `k`-th subnet range inside `net`.
pub(super) fn sub_cidr(c: &Ctx, net: Ipv4Net, k: usize) -> Result<Ipv4Net, String> {
    let p = sub_prefix(c, net)?;
    net.subnets(p)
        .map_err(|err| format!("subnets /{p} of {net}: {err}"))?
        .nth(k)
        .ok_or_else(|| format!("{net} has no subnet number {k} of /{p}"))
}

/// Creates a named network with the run label and tracks it.
pub(super) async fn make_network_named(c: &Ctx, name: &str, cidr: Ipv4Net) -> Result<Network, String> {
    let mut spec = NetworkSpec::new(name, cidr);
    spec.labels.insert(LABEL.into(), c.run.clone());
    let n = c
        .network()
        .create_network(&spec)
        .await
        .map_err(|err| format!("create network `{name}` {cidr}: {err}"))?;
    c.track_network(&n.id);
    ensure!(!n.id.trim().is_empty(), "create_network returned an empty id");
    Ok(n)
}

/// Creates the `k`-th network of the case; returns it and the range asked for.
pub(super) async fn make_network(c: &Ctx, k: u8) -> Result<(Network, Ipv4Net), String> {
    let cidr = net_cidr(c, k)?;
    Ok((make_network_named(c, &c.name(), cidr).await?, cidr))
}

/// Creates a subnet and tracks it.
pub(super) async fn make_subnet(c: &Ctx, network: &str, cidr: Ipv4Net) -> Result<Subnet, String> {
    let name = c.name();
    let s = c
        .network()
        .create_subnet(&SubnetSpec::new(network, name.clone(), cidr))
        .await
        .map_err(|err| format!("create subnet `{name}` {cidr} in `{network}`: {err}"))?;
    c.track_subnet(&s.id);
    ensure!(!s.id.trim().is_empty(), "create_subnet returned an empty id");
    Ok(s)
}

pub(super) fn net_at(second: u8, prefix: u8) -> Result<Ipv4Net, String> {
    Ipv4Net::new(Ipv4Addr::new(10, second, 0, 0), prefix)
        .map(|n| n.trunc())
        .map_err(|err| format!("prefix /{prefix}: {err}"))
}

/// A byte derived from the run id (FNV-1a), so that runs use different ranges.
pub(super) fn seed(run: &str) -> u8 {
    let h = run
        .bytes()
        .fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    (h % 200) as u8 + 20
}

/// Every IPv4 address, `0.0.0.0/0`.
pub(super) fn any_v4() -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::UNSPECIFIED, 0).expect("/0 is valid")
}
