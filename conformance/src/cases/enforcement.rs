//! Firewall rules proven by packets: a guest serves two ports, and what a client can reach
//! must follow the rules. Runs only where the target declares how to reach guests
//! ([`crate::GuestAccess`]); elsewhere the case is unsupported, with the reason, so the
//! matrix shows where enforcement is unproven. Bounded: a boot deadline, short connection
//! timeouts, and a convergence deadline after each change.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use nimbus_core::network::{FirewallRule, FirewallSpec};

use super::instances::{base_spec, launch_running};
use super::networks::{any_v4, make_network, make_subnet, sub_cidr};
use super::{case, Case};
use crate::ctx::{ctx_err as e, CaseResult, Observed};
use crate::{Ctx, GuestAccess, Reach};

type R = CaseResult;

/// How long a booting guest may take to answer on the allowed port (TCG guests are slow).
const BOOT: Duration = Duration::from_secs(180);
/// How long a rule change may take to reach the host's packet filter.
const CONVERGE: Duration = Duration::from_secs(30);
/// One connection attempt.
const TRY: Duration = Duration::from_secs(2);

/// The enforcement cases.
pub fn cases() -> Vec<Case> {
    vec![case!(
        network,
        "rules decide which guest ports answer: the allowed port answers and the other does not; swapped rules swap them; after detach the default policy applies",
        firewall_rules_enforced
    )]
}

fn allow(port: u16) -> Vec<FirewallRule> {
    vec![FirewallRule::allow_tcp_in(port, any_v4())]
}

/// Polls until `want` holds for every (port, reachable?) pair, or the deadline passes.
async fn until(
    g: &GuestAccess,
    ip: Ipv4Addr,
    want: &[(u16, bool)],
    deadline: Duration,
    what: &str,
) -> Result<(), String> {
    let end = Instant::now() + deadline;
    loop {
        let mut last = Vec::new();
        let mut ok = true;
        for (port, open) in want {
            let r = g.probe(ip, *port, TRY).await;
            if let Reach::Broken(why) = &r {
                return Err(format!("cannot probe {ip}:{port}: {why}"));
            }
            ok &= (r == Reach::Open) == *open;
            last.push(format!("{port}: {r:?}"));
        }
        if ok {
            return Ok(());
        }
        if Instant::now() >= end {
            return Err(format!(
                "{what}: after {}s, {ip} gives {}",
                deadline.as_secs(),
                last.join(", ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn firewall_rules_enforced(c: Ctx) -> R {
    let Some(g) = c.target.guest_access.clone() else {
        return Ok(Observed::Unsupported(
            None,
            "the target declares no way to reach its guests (GuestAccess): enforcement is unproven here".into(),
        ));
    };
    if c.target.compute.is_none() || !c.network().capabilities().firewalls {
        return Ok(Observed::Unsupported(None, "needs compute and firewalls".into()));
    }
    let [a, b] = g.ports;
    let (n, ncidr) = make_network(&c, 0).await?;
    let s = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    let fw = c
        .network()
        .create_firewall(&FirewallSpec::new(n.id.clone(), c.name(), allow(a)))
        .await
        .map_err(e("create firewall"))?;
    c.track_firewall(&fw.id);
    let i = launch_running(&c, &base_spec(&c).await?.subnet(s.id.clone()).firewall(fw.id.clone())).await?;
    let ip: Ipv4Addr = i
        .private_ip
        .as_deref()
        .ok_or_else(|| format!("instance `{}` has no private address to probe", i.id))?
        .parse()
        .map_err(|_| format!("instance `{}` has a private address that is not IPv4", i.id))?;
    until(&g, ip, &[(a, true), (b, false)], BOOT, &format!("only {a} allowed")).await?;
    c.network()
        .set_firewall_rules(&fw.id, &allow(b))
        .await
        .map_err(e("set firewall rules"))?;
    until(
        &g,
        ip,
        &[(b, true), (a, false)],
        CONVERGE,
        &format!("rules swapped to {b}"),
    )
    .await?;
    c.network()
        .detach_firewall(&fw.id, &i.id)
        .await
        .map_err(e("detach firewall"))?;
    until(
        &g,
        ip,
        &[(a, true), (b, true)],
        CONVERGE,
        "firewall detached (default policy)",
    )
    .await?;
    Ok(Observed::Pass)
}
