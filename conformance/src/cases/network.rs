//! Network cases.
//!
//! Ranges are derived from the declared prefix limits: networks are `10.X.0.0/P` with `X`
//! taken from the run id and `P` the declared network prefix closest to 16; subnets are the
//! first ranges of the declared subnet prefix closest to `P + 8` inside them. Every resource
//! is tracked for cleanup right after it is created.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use nimbus_core::network::{
    Action, Direction, Firewall, FirewallRule, FirewallSpec, Network, NetworkSpec, PortRange, Protocol, Subnet,
    SubnetSpec,
};
use nimbus_core::request_id::{new_request_id, REQUEST_ID_LABEL};
use nimbus_core::{Capability, ErrorKind, Ipv4Net, Scope};

use super::instances::{base_spec, launch, launch_running, missing_id, wait_gone, LABEL};
use super::networks::*;
use super::{case, Case};
use crate::ctx::{ctx_err as e, expect_kind, gated, portable_or_differs, undeclared, CaseResult, Observed};
use crate::{ensure, Ctx};

type R = CaseResult;

/// Network cases.
pub fn cases() -> Vec<Case> {
    vec![
        case!(
            network,
            "a created network has its name and range, and is got and listed",
            create_get_list_network
        ),
        case!(
            network,
            "a network create repeated with its request id returns the first network, and the token names one network",
            create_network_repeated_with_request_id
        ),
        case!(
            network,
            "a network has a region exactly where the declared network scope is regional",
            network_scope_matches_capability
        ),
        case!(
            network,
            "a network range with host bits set is InvalidInput",
            network_cidr_host_bits_rejected
        ),
        case!(
            network,
            "networks of the smallest and largest declared prefix are created",
            network_prefix_bounds_accepted
        ),
        case!(
            network,
            "a network prefix outside the declared range is InvalidInput",
            network_prefix_out_of_range_rejected
        ),
        case!(
            network,
            "a second network with the same name is AlreadyExists",
            network_duplicate_name_rejected
        ),
        case!(
            network,
            "invalid network names are InvalidInput",
            network_invalid_name_rejected
        ),
        case!(
            network,
            "a deleted network is NotFound and no longer listed",
            delete_network_then_not_found
        ),
        case!(
            network,
            "a subnet inside its network round-trips and is listed",
            subnet_inside_network
        ),
        case!(
            network,
            "a subnet range outside the network's is InvalidInput",
            subnet_outside_network_rejected
        ),
        case!(
            network,
            "a subnet overlapping a sibling is Conflict",
            subnet_overlap_rejected
        ),
        case!(
            network,
            "a subnet prefix outside the declared range is InvalidInput",
            subnet_prefix_out_of_range_rejected
        ),
        case!(
            network,
            "a subnet range with host bits set is InvalidInput",
            subnet_host_bits_rejected
        ),
        case!(
            network,
            "zonal subnets have a zone (explicit ones round-trip); regional ones refuse a zone",
            subnet_scope_matches_capability
        ),
        case!(
            network,
            "a subnet or firewall in a missing network is NotFound",
            children_of_missing_network_not_found
        ),
        case!(
            network,
            "deleting a network with a subnet is Conflict; without, it works",
            delete_network_with_subnet_is_conflict
        ),
        case!(
            network,
            "deleting a network with a firewall is Conflict; without, it works",
            delete_network_with_firewall_is_conflict
        ),
        case!(
            network,
            "listing subnets of a network returns only that network's",
            list_subnets_filters_by_network
        ),
        case!(
            network,
            "allow rules (tcp, port range, udp, icmp, all) round-trip",
            firewall_allow_rules_round_trip
        ),
        case!(
            network,
            "deny rules are kept, on create and on replace",
            firewall_deny_rule
        ),
        case!(
            network,
            "rule priorities round-trip; one outside the declared range is InvalidInput",
            firewall_priorities
        ),
        case!(network, "egress rules round-trip", firewall_egress),
        case!(
            network,
            "port ranges with from > to or port 0 are InvalidInput",
            firewall_bad_port_range_rejected
        ),
        case!(
            network,
            "ports on icmp or all-protocol rules are InvalidInput",
            firewall_ports_on_icmp_rejected
        ),
        case!(
            network,
            "a rule peer with host bits set is InvalidInput",
            firewall_peer_host_bits_rejected
        ),
        case!(
            network,
            "setting rules replaces all of them, down to none",
            firewall_set_rules_replaces
        ),
        case!(
            network,
            "listing firewalls of a network returns only that network's",
            list_firewalls_filters_by_network
        ),
        case!(
            network,
            "get of a missing network, subnet or firewall is NotFound",
            get_missing_is_not_found
        ),
        case!(
            network,
            "an attached firewall shows on the instance and cannot be deleted until detached",
            firewall_attach_and_delete_attached_is_conflict
        ),
        case!(
            network,
            "a firewall given at creation is attached; it is deletable once the instance is gone",
            firewall_in_instance_spec
        ),
        case!(
            network,
            "a subnet with an instance cannot be deleted until the instance is gone",
            delete_subnet_in_use_is_conflict
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Helpers (shared with the compute cases).

/// Creates a firewall and tracks it.
async fn make_firewall(c: &Ctx, network: &str, rules: Vec<FirewallRule>) -> Result<Firewall, String> {
    let name = c.name();
    let f = c
        .network()
        .create_firewall(&FirewallSpec::new(network, name.clone(), rules))
        .await
        .map_err(|err| format!("create firewall `{name}` in `{network}`: {err}"))?;
    c.track_firewall(&f.id);
    ensure!(!f.id.trim().is_empty(), "create_firewall returned an empty id");
    Ok(f)
}

async fn create_network_result(c: &Ctx, spec: &NetworkSpec) -> nimbus_core::Result<Network> {
    let r = c.network().create_network(spec).await;
    if let Ok(n) = &r {
        c.track_network(&n.id);
    }
    r
}

async fn expect_network_err(c: &Ctx, what: &str, name: &str, cidr: Ipv4Net, kind: ErrorKind) -> Result<(), String> {
    let mut spec = NetworkSpec::new(name, cidr);
    spec.labels.insert(LABEL.into(), c.run.clone());
    expect_kind(what, create_network_result(c, &spec).await, kind)
}

async fn create_subnet_result(c: &Ctx, spec: &SubnetSpec) -> nimbus_core::Result<Subnet> {
    let r = c.network().create_subnet(spec).await;
    if let Ok(s) = &r {
        c.track_subnet(&s.id);
    }
    r
}

async fn expect_subnet_err(c: &Ctx, what: &str, network: &str, cidr: Ipv4Net, kind: ErrorKind) -> Result<(), String> {
    let spec = SubnetSpec::new(network, c.name(), cidr);
    expect_kind(what, create_subnet_result(c, &spec).await, kind)
}

async fn create_firewall_result(c: &Ctx, network: &str, rules: Vec<FirewallRule>) -> nimbus_core::Result<Firewall> {
    let r = c
        .network()
        .create_firewall(&FirewallSpec::new(network, c.name(), rules))
        .await;
    if let Ok(f) = &r {
        c.track_firewall(&f.id);
    }
    r
}

/// Expects both creating a firewall with `rules` and setting them on `existing` to fail
/// with `kind`, and `existing` to keep its rules.
async fn expect_rules_err(
    c: &Ctx,
    what: &str,
    existing: &Firewall,
    rules: Vec<FirewallRule>,
    kind: ErrorKind,
) -> Result<(), String> {
    expect_kind(
        &format!("create firewall with {what}"),
        create_firewall_result(c, &existing.network, rules.clone()).await,
        kind,
    )?;
    expect_kind(
        &format!("set rules with {what}"),
        c.network().set_firewall_rules(&existing.id, &rules).await,
        kind,
    )?;
    let after = c
        .network()
        .get_firewall(&existing.id)
        .await
        .map_err(e("get firewall"))?;
    rules_match(&existing.rules, &after.rules)
        .map_err(|m| format!("a refused set_firewall_rules changed the rules: {m}"))
}

fn cidr(a: u8, b: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::new(a, b, 0, 0), prefix)
        .expect("static range")
        .trunc()
}

fn ssh_rule() -> FirewallRule {
    FirewallRule::allow_tcp_in(22, cidr(10, 0, 8))
}

/// Whether the rules are the same set; a priority is compared only where one was asked for
/// (providers may give unprioritised rules their default priority).
fn rules_match(want: &[FirewallRule], got: &[FirewallRule]) -> Result<(), String> {
    ensure!(
        want.len() == got.len(),
        "expected {} rules, got {}: {got:?}",
        want.len(),
        got.len()
    );
    for w in want {
        ensure!(
            got.iter().any(|g| g.direction == w.direction
                && g.protocol == w.protocol
                && g.ports == w.ports
                && g.peer == w.peer
                && g.action == w.action
                && (w.priority.is_none() || g.priority == w.priority)),
            "rule {w:?} is missing from {got:?}"
        );
    }
    Ok(())
}

/// Checks the rules of a returned firewall and of a fresh `get`.
async fn check_rules(c: &Ctx, fw: &Firewall, want: &[FirewallRule]) -> Result<(), String> {
    rules_match(want, &fw.rules).map_err(|m| format!("returned firewall: {m}"))?;
    let got = c.network().get_firewall(&fw.id).await.map_err(e("get firewall"))?;
    rules_match(want, &got.rules).map_err(|m| format!("get_firewall: {m}"))
}

/// The outcome of a firewall case on a target that declares no firewalls: creating one must
/// be the typed unsupported error naming `network.firewalls` (checked before any network is
/// looked up). `None` where firewalls are declared: the case runs.
async fn without_firewalls(c: &Ctx) -> Option<R> {
    if c.network().capabilities().firewalls {
        return None;
    }
    let spec = FirewallSpec::new("nc-any-network", c.name(), vec![ssh_rule()]);
    Some(undeclared(
        Capability::Firewalls,
        c.network().create_firewall(&spec).await,
    ))
}

fn needs_compute(c: &Ctx) -> Option<Observed> {
    c.target
        .compute
        .is_none()
        .then(|| Observed::Unsupported(None, "the target has no compute service".into()))
}

// ---------------------------------------------------------------------------------------------
// Networks.

async fn create_get_list_network(c: Ctx) -> R {
    let name = c.name();
    let cidr = net_cidr(&c, 0)?;
    let n = make_network_named(&c, &name, cidr).await?;
    ensure!(n.name == name, "created network is named `{}`, not `{name}`", n.name);
    if let Some(got) = n.cidr {
        ensure!(got == cidr, "created network has range {got}, not {cidr}");
    }
    let g = c.network().get_network(&n.id).await.map_err(e("get network"))?;
    ensure!(g.id == n.id, "get returned id `{}` for `{}`", g.id, n.id);
    ensure!(g.name == name, "get says name `{}`, not `{name}`", g.name);
    ensure!(
        g.cidr == n.cidr,
        "get says range {:?}, create said {:?}",
        g.cidr,
        n.cidr
    );
    ensure!(
        g.region == n.region,
        "get says region {:?}, create said {:?}",
        g.region,
        n.region
    );
    let all = c.network().list_networks().await.map_err(e("list networks"))?;
    ensure!(
        all.iter().any(|x| x.id == n.id && x.name == name),
        "network `{}` is not listed",
        n.id
    );
    Ok(Observed::Pass)
}

/// Idempotent network creates (ADR 0021): the token is kept as a label, and a create that
/// carries a token already on a network returns that network.
async fn create_network_repeated_with_request_id(c: Ctx) -> R {
    let token = new_request_id();
    let spec = NetworkSpec::new(c.name(), net_cidr(&c, 0)?)
        .label(LABEL, c.run.clone())
        .request_id(token.clone());
    let first = create_network_result(&c, &spec).await.map_err(e("create network"))?;
    ensure!(
        first.labels.get(REQUEST_ID_LABEL) == Some(&token),
        "the network does not carry its request id as label `{REQUEST_ID_LABEL}`: {:?}",
        first.labels
    );
    let again = create_network_result(&c, &spec)
        .await
        .map_err(e("create network again"))?;
    ensure!(
        again.id == first.id,
        "the repeated create made `{}` beside `{}`",
        again.id,
        first.id
    );
    let all = c.network().list_networks().await.map_err(e("list networks"))?;
    let with_token: Vec<&str> = all
        .iter()
        .filter(|n| n.labels.get(REQUEST_ID_LABEL) == Some(&token))
        .map(|n| n.id.as_str())
        .collect();
    ensure!(
        with_token == [first.id.as_str()],
        "networks with the token: {with_token:?}, expected only `{}`",
        first.id
    );
    let other = NetworkSpec::new(c.name(), net_cidr(&c, 1)?)
        .label(LABEL, c.run.clone())
        .request_id(token.clone());
    expect_kind(
        "the request id on another name",
        create_network_result(&c, &other).await,
        ErrorKind::Conflict,
    )?;
    let bad = NetworkSpec::new(c.name(), net_cidr(&c, 1)?)
        .label(LABEL, c.run.clone())
        .request_id("not-a-uuid");
    expect_kind(
        "a malformed request id",
        create_network_result(&c, &bad).await,
        ErrorKind::InvalidInput,
    )?;
    Ok(Observed::Pass)
}

async fn network_scope_matches_capability(c: Ctx) -> R {
    let scope = c.network().capabilities().network_scope;
    let (n, _) = make_network(&c, 0).await?;
    match scope {
        Scope::Global => ensure!(n.region.is_none(), "global networks have no region, got {:?}", n.region),
        Scope::Regional => {
            let r = n
                .region
                .as_ref()
                .ok_or("the declared network scope is regional, yet the network has no region")?;
            ensure!(!r.trim().is_empty(), "network region is empty");
            if let Some(comp) = &c.target.compute {
                let regions = comp.list_regions().await.map_err(e("list regions"))?;
                ensure!(
                    regions.iter().any(|x| &x.id == r),
                    "network region `{r}` is not a listed region"
                );
            }
        }
        _ => {}
    }
    Ok(Observed::Pass)
}

async fn network_cidr_host_bits_rejected(c: Ctx) -> R {
    let good = net_cidr(&c, 0)?;
    ensure!(good.prefix_len() < 32, "a /32 network has no host bits to set");
    let bad = Ipv4Net::new(Ipv4Addr::from(u32::from(good.network()) | 1), good.prefix_len())
        .map_err(|err| err.to_string())?;
    expect_network_err(
        &c,
        &format!("create network {bad}"),
        &c.name(),
        bad,
        ErrorKind::InvalidInput,
    )
    .await?;
    Ok(Observed::Pass)
}

async fn network_prefix_bounds_accepted(c: Ctx) -> R {
    let (lo, hi) = c.network().capabilities().network_prefix_range;
    ensure!(
        lo <= hi && hi <= 32,
        "declared network prefix range /{lo}../{hi} is not valid"
    );
    let second = seed(&c.run);
    for p in BTreeSet::from([lo, hi]) {
        let cidr = net_at(second, p)?;
        let n = make_network_named(&c, &c.name(), cidr).await?;
        if let Some(got) = n.cidr {
            ensure!(got == cidr, "network created as {cidr} has range {got}");
        }
    }
    Ok(Observed::Pass)
}

async fn network_prefix_out_of_range_rejected(c: Ctx) -> R {
    let (lo, hi) = c.network().capabilities().network_prefix_range;
    let second = seed(&c.run);
    let mut tried = 0;
    if lo > 0 {
        let cidr = net_at(second, lo - 1)?;
        expect_network_err(
            &c,
            &format!("create network {cidr}"),
            &c.name(),
            cidr,
            ErrorKind::InvalidInput,
        )
        .await?;
        tried += 1;
    }
    if hi < 32 {
        let cidr = net_at(second, hi + 1)?;
        expect_network_err(
            &c,
            &format!("create network {cidr}"),
            &c.name(),
            cidr,
            ErrorKind::InvalidInput,
        )
        .await?;
        tried += 1;
    }
    if tried == 0 {
        return Ok(Observed::Unsupported(
            None,
            "every prefix /0../32 is declared valid".into(),
        ));
    }
    Ok(Observed::Pass)
}

async fn network_duplicate_name_rejected(c: Ctx) -> R {
    let (n, _) = make_network(&c, 0).await?;
    let other = net_cidr(&c, 1)?;
    expect_network_err(
        &c,
        "create a second network of the same name",
        &n.name,
        other,
        ErrorKind::AlreadyExists,
    )
    .await?;
    let same: Vec<Network> = c
        .network()
        .list_networks()
        .await
        .map_err(e("list networks"))?
        .into_iter()
        .filter(|x| x.name == n.name)
        .collect();
    ensure!(same.len() == 1, "{} networks are named `{}`", same.len(), n.name);
    Ok(Observed::Pass)
}

async fn network_invalid_name_rejected(c: Ctx) -> R {
    let cidr = net_cidr(&c, 0)?;
    let long = "a".repeat(64);
    for bad in [
        "Bad_Name!",
        "UPPER-case",
        "-leading-dash",
        "trailing-dash-",
        "has space",
        "",
        long.as_str(),
    ] {
        expect_network_err(
            &c,
            &format!("create network named {bad:?}"),
            bad,
            cidr,
            ErrorKind::InvalidInput,
        )
        .await?;
    }
    Ok(Observed::Pass)
}

async fn delete_network_then_not_found(c: Ctx) -> R {
    let (n, _) = make_network(&c, 0).await?;
    c.network().delete_network(&n.id).await.map_err(e("delete network"))?;
    expect_kind(
        "get deleted network",
        c.network().get_network(&n.id).await,
        ErrorKind::NotFound,
    )?;
    let all = c.network().list_networks().await.map_err(e("list networks"))?;
    ensure!(
        !all.iter().any(|x| x.id == n.id),
        "deleted network `{}` is still listed",
        n.id
    );
    Ok(Observed::Pass)
}

// ---------------------------------------------------------------------------------------------
// Subnets.

async fn subnet_inside_network(c: Ctx) -> R {
    let (n, ncidr) = make_network(&c, 0).await?;
    let cidr = sub_cidr(&c, ncidr, 0)?;
    let name = c.name();
    let s = c
        .network()
        .create_subnet(&SubnetSpec::new(n.id.clone(), name.clone(), cidr))
        .await
        .map_err(e("create subnet"))?;
    c.track_subnet(&s.id);
    ensure!(!s.id.trim().is_empty(), "create_subnet returned an empty id");
    ensure!(s.name == name, "subnet is named `{}`, not `{name}`", s.name);
    ensure!(s.network == n.id, "subnet belongs to `{}`, not `{}`", s.network, n.id);
    ensure!(s.cidr == cidr, "subnet has range {}, not {cidr}", s.cidr);
    if let (Some(a), Some(b)) = (&s.region, &n.region) {
        ensure!(a == b, "subnet is in region `{a}`, its network in `{b}`");
    }
    let g = c.network().get_subnet(&s.id).await.map_err(e("get subnet"))?;
    ensure!(g == s, "get_subnet returned {g:?}, create returned {s:?}");
    let listed = c
        .network()
        .list_subnets(Some(n.id.clone()))
        .await
        .map_err(e("list subnets"))?;
    ensure!(
        listed.iter().any(|x| x.id == s.id),
        "subnet `{}` is not listed in its network",
        s.id
    );
    Ok(Observed::Pass)
}

async fn subnet_outside_network_rejected(c: Ctx) -> R {
    let (n, ncidr) = make_network(&c, 0).await?;
    if n.cidr.is_none() {
        return Ok(Observed::Unsupported(
            None,
            "networks have no address range here; subnets cannot be outside one".into(),
        ));
    }
    let p = sub_prefix(&c, ncidr)?;
    let outside = Ipv4Net::new(Ipv4Addr::new(172, 16, 0, 0), p)
        .map_err(|err| err.to_string())?
        .trunc();
    ensure!(
        !ncidr.contains(&outside.network()),
        "test range {outside} is inside {ncidr}"
    );
    expect_subnet_err(
        &c,
        &format!("create subnet {outside} in {ncidr}"),
        &n.id,
        outside,
        ErrorKind::InvalidInput,
    )
    .await?;
    // A range that contains the whole network and more.
    let (lo, _) = c.network().capabilities().subnet_prefix_range;
    if ncidr.prefix_len() > lo.max(1) {
        let wider = ncidr.supernet().ok_or("network has no supernet")?;
        expect_subnet_err(
            &c,
            &format!("create subnet {wider} in {ncidr}"),
            &n.id,
            wider,
            ErrorKind::InvalidInput,
        )
        .await?;
    }
    let listed = c
        .network()
        .list_subnets(Some(n.id.clone()))
        .await
        .map_err(e("list subnets"))?;
    ensure!(listed.is_empty(), "refused subnets were created: {listed:?}");
    Ok(Observed::Pass)
}

async fn subnet_overlap_rejected(c: Ctx) -> R {
    let (n, ncidr) = make_network(&c, 0).await?;
    let first = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    expect_subnet_err(
        &c,
        &format!("create a second subnet {}", first.cidr),
        &n.id,
        first.cidr,
        ErrorKind::Conflict,
    )
    .await?;
    let (lo, _) = c.network().capabilities().subnet_prefix_range;
    let p = first.cidr.prefix_len();
    if p > lo && p - 1 > ncidr.prefix_len() {
        let wider = first.cidr.supernet().ok_or("subnet has no supernet")?;
        expect_subnet_err(
            &c,
            &format!("create subnet {wider} around {}", first.cidr),
            &n.id,
            wider,
            ErrorKind::Conflict,
        )
        .await?;
    }
    // A sibling that does not overlap is fine, where a network holds several subnets.
    let sibling = sub_cidr(&c, ncidr, 1)?;
    match create_subnet_result(&c, &SubnetSpec::new(n.id.clone(), c.name(), sibling)).await {
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::Conflict => {
            return portable_or_differs(
                false,
                "one-subnet-per-network",
                format!("a second subnet {sibling} that overlaps nothing was refused: {err}"),
            )
        }
        Err(err) => return Err(format!("create sibling subnet {sibling}: {err}")),
    }
    let listed = c
        .network()
        .list_subnets(Some(n.id.clone()))
        .await
        .map_err(e("list subnets"))?;
    ensure!(listed.len() == 2, "expected 2 subnets, found {listed:?}");
    Ok(Observed::Pass)
}

async fn subnet_prefix_out_of_range_rejected(c: Ctx) -> R {
    let (lo, hi) = c.network().capabilities().subnet_prefix_range;
    let (n, ncidr) = make_network(&c, 0).await?;
    let mut tried = 0;
    if hi < 32 {
        let narrow = Ipv4Net::new(ncidr.network(), hi + 1).map_err(|err| err.to_string())?;
        expect_subnet_err(
            &c,
            &format!("create subnet {narrow}"),
            &n.id,
            narrow,
            ErrorKind::InvalidInput,
        )
        .await?;
        tried += 1;
    }
    if lo > ncidr.prefix_len() {
        // Wider than allowed but still inside the network.
        let wide = Ipv4Net::new(ncidr.network(), lo - 1).map_err(|err| err.to_string())?;
        expect_subnet_err(
            &c,
            &format!("create subnet {wide}"),
            &n.id,
            wide,
            ErrorKind::InvalidInput,
        )
        .await?;
        tried += 1;
    }
    if tried == 0 {
        return Ok(Observed::Unsupported(
            None,
            "no subnet prefix inside the network is outside the declared range".into(),
        ));
    }
    Ok(Observed::Pass)
}

async fn subnet_host_bits_rejected(c: Ctx) -> R {
    let (n, ncidr) = make_network(&c, 0).await?;
    let good = sub_cidr(&c, ncidr, 0)?;
    ensure!(good.prefix_len() < 32, "a /32 subnet has no host bits to set");
    let bad = Ipv4Net::new(Ipv4Addr::from(u32::from(good.network()) | 1), good.prefix_len())
        .map_err(|err| err.to_string())?;
    expect_subnet_err(&c, &format!("create subnet {bad}"), &n.id, bad, ErrorKind::InvalidInput).await?;
    Ok(Observed::Pass)
}

async fn subnet_scope_matches_capability(c: Ctx) -> R {
    let scope = c.network().capabilities().subnet_scope;
    let (n, ncidr) = make_network(&c, 0).await?;
    let first = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    match scope {
        Scope::Zonal => {
            let z = first
                .zone
                .clone()
                .ok_or("the declared subnet scope is zonal, yet a subnet created without a zone has none")?;
            ensure!(!z.trim().is_empty(), "subnet zone is empty");
            let Some(comp) = &c.target.compute else {
                return Ok(Observed::Pass);
            };
            let regions = comp.list_regions().await.map_err(e("list regions"))?;
            let region = match &first.region {
                Some(r) => regions.iter().find(|x| &x.id == r),
                None => regions.iter().find(|x| x.zones.contains(&z)),
            }
            .ok_or_else(|| format!("subnet region {:?} / zone `{z}` is not listed", first.region))?;
            ensure!(
                region.zones.contains(&z),
                "subnet zone `{z}` is not a zone of `{}`",
                region.id
            );
            let explicit = region.zones.iter().rev().find(|x| **x != z).unwrap_or(&z).clone();
            let mut spec = SubnetSpec::new(n.id.clone(), c.name(), sub_cidr(&c, ncidr, 1)?);
            spec.zone = Some(explicit.clone());
            let s = create_subnet_result(&c, &spec)
                .await
                .map_err(e("create subnet in an explicit zone"))?;
            ensure!(
                s.zone.as_ref() == Some(&explicit),
                "subnet created in zone `{explicit}` is in {:?}",
                s.zone
            );
        }
        Scope::Regional => {
            let mut spec = SubnetSpec::new(n.id.clone(), c.name(), sub_cidr(&c, ncidr, 1)?);
            spec.zone = Some(match &c.target.compute {
                Some(comp) => comp
                    .list_regions()
                    .await
                    .map_err(e("list regions"))?
                    .into_iter()
                    .flat_map(|r| r.zones)
                    .next()
                    .unwrap_or_else(|| "nc-zone-1a".into()),
                None => "nc-zone-1a".into(),
            });
            expect_kind(
                "create a regional subnet with a zone",
                create_subnet_result(&c, &spec).await,
                ErrorKind::InvalidInput,
            )?;
        }
        _ => {}
    }
    Ok(Observed::Pass)
}

async fn children_of_missing_network_not_found(c: Ctx) -> R {
    let (n, ncidr) = make_network(&c, 0).await?;
    let missing = missing_id(&n.id);
    expect_subnet_err(
        &c,
        "create subnet in a missing network",
        &missing,
        sub_cidr(&c, ncidr, 0)?,
        ErrorKind::NotFound,
    )
    .await?;
    if !c.network().capabilities().firewalls {
        return Ok(Observed::Pass);
    }
    let fw = create_firewall_result(&c, &missing, vec![ssh_rule()]).await;
    if let Ok(f) = &fw {
        return portable_or_differs(
            false,
            "firewall-in-missing-network-succeeds",
            format!("a firewall was created in the missing network `{missing}`: `{}`", f.id),
        );
    }
    expect_kind("create firewall in a missing network", fw, ErrorKind::NotFound)?;
    Ok(Observed::Pass)
}

async fn delete_network_with_subnet_is_conflict(c: Ctx) -> R {
    let (n, ncidr) = make_network(&c, 0).await?;
    let s = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    expect_kind(
        "delete network with a subnet",
        c.network().delete_network(&n.id).await,
        ErrorKind::Conflict,
    )?;
    c.network()
        .get_network(&n.id)
        .await
        .map_err(e("get network after refused delete"))?;
    c.network().delete_subnet(&s.id).await.map_err(e("delete subnet"))?;
    expect_kind(
        "get deleted subnet",
        c.network().get_subnet(&s.id).await,
        ErrorKind::NotFound,
    )?;
    c.network()
        .delete_network(&n.id)
        .await
        .map_err(e("delete empty network"))?;
    expect_kind(
        "get deleted network",
        c.network().get_network(&n.id).await,
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}

async fn delete_network_with_firewall_is_conflict(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let (n, _) = make_network(&c, 0).await?;
    let f = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    let r = c.network().delete_network(&n.id).await;
    if r.is_ok() {
        return portable_or_differs(
            false,
            "delete-network-with-firewall-succeeds",
            format!("network `{}` was deleted while firewall `{}` was in it", n.id, f.id),
        );
    }
    expect_kind("delete network with a firewall", r, ErrorKind::Conflict)?;
    c.network()
        .get_network(&n.id)
        .await
        .map_err(e("get network after refused delete"))?;
    c.network().delete_firewall(&f.id).await.map_err(e("delete firewall"))?;
    expect_kind(
        "get deleted firewall",
        c.network().get_firewall(&f.id).await,
        ErrorKind::NotFound,
    )?;
    c.network()
        .delete_network(&n.id)
        .await
        .map_err(e("delete empty network"))?;
    Ok(Observed::Pass)
}

async fn list_subnets_filters_by_network(c: Ctx) -> R {
    let (n1, c1) = make_network(&c, 0).await?;
    let (n2, c2) = make_network(&c, 1).await?;
    let s1 = make_subnet(&c, &n1.id, sub_cidr(&c, c1, 0)?).await?;
    let s2 = make_subnet(&c, &n2.id, sub_cidr(&c, c2, 0)?).await?;
    let of1 = c
        .network()
        .list_subnets(Some(n1.id.clone()))
        .await
        .map_err(e("list subnets"))?;
    ensure!(
        of1.iter().any(|x| x.id == s1.id),
        "subnet `{}` is not listed in its network",
        s1.id
    );
    ensure!(
        !of1.iter().any(|x| x.id == s2.id),
        "subnet `{}` of another network is listed",
        s2.id
    );
    ensure!(
        of1.iter().all(|x| x.network == n1.id),
        "listing of `{}` returned {of1:?}",
        n1.id
    );
    let all = c.network().list_subnets(None).await.map_err(e("list all subnets"))?;
    ensure!(
        all.iter().any(|x| x.id == s1.id) && all.iter().any(|x| x.id == s2.id),
        "listing every subnet misses `{}` or `{}`",
        s1.id,
        s2.id
    );
    Ok(Observed::Pass)
}

// ---------------------------------------------------------------------------------------------
// Firewalls.

async fn firewall_allow_rules_round_trip(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let (n, _) = make_network(&c, 0).await?;
    let rules = vec![
        ssh_rule(),
        FirewallRule::allow_tcp_in(8000, cidr(192, 168, 16)).ports(Some(PortRange { from: 8000, to: 8080 })),
        FirewallRule::allow_tcp_in(53, cidr(172, 16, 12)).protocol(Protocol::Udp),
        FirewallRule::allow_tcp_in(0, cidr(10, 0, 8))
            .protocol(Protocol::Icmp)
            .ports(None),
        FirewallRule::allow_tcp_in(0, cidr(10, 1, 16))
            .protocol(Protocol::All)
            .ports(None),
    ];
    let name = c.name();
    let f = c
        .network()
        .create_firewall(&FirewallSpec::new(n.id.clone(), name.clone(), rules.clone()))
        .await
        .map_err(e("create firewall"))?;
    c.track_firewall(&f.id);
    ensure!(f.name == name, "firewall is named `{}`, not `{name}`", f.name);
    ensure!(f.network == n.id, "firewall belongs to `{}`, not `{}`", f.network, n.id);
    check_rules(&c, &f, &rules).await?;
    let listed = c
        .network()
        .list_firewalls(Some(n.id.clone()))
        .await
        .map_err(e("list firewalls"))?;
    ensure!(
        listed.iter().any(|x| x.id == f.id),
        "firewall `{}` is not listed in its network",
        f.id
    );
    Ok(Observed::Pass)
}

async fn firewall_deny_rule(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let declared = c.network().capabilities().firewall_deny_rules;
    let (n, _) = make_network(&c, 0).await?;
    let rules = vec![
        ssh_rule(),
        FirewallRule::allow_tcp_in(23, any_v4()).action(Action::Deny),
    ];
    let r = create_firewall_result(&c, &n.id, rules.clone()).await;
    let (c2, want) = (c.clone(), rules.clone());
    gated(
        declared,
        Capability::FirewallDenyRules,
        async { r },
        move |f: Firewall| async move { check_rules(&c2, &f, &want).await },
    )
    .await?;
    // Replacing the rules of an allow-only firewall.
    let plain = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    let (c2, want, id) = (c.clone(), rules.clone(), plain.id.clone());
    let out = gated(
        declared,
        Capability::FirewallDenyRules,
        c.network().set_firewall_rules(&plain.id, &rules),
        move |f: Firewall| async move {
            ensure!(f.id == id, "set_firewall_rules returned firewall `{}`", f.id);
            check_rules(&c2, &f, &want).await
        },
    )
    .await?;
    if !declared {
        let after = c.network().get_firewall(&plain.id).await.map_err(e("get firewall"))?;
        rules_match(&[ssh_rule()], &after.rules).map_err(|m| format!("a refused deny rule changed the rules: {m}"))?;
    }
    Ok(out)
}

async fn firewall_priorities(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let caps = c.network().capabilities();
    let (n, _) = make_network(&c, 0).await?;
    let (p1, p2) = match caps.firewall_priority_range {
        Some((lo, hi)) => {
            let p1 = lo.saturating_add(10).min(hi);
            (p1, p1.saturating_add(10).min(hi))
        }
        None => (100, 200),
    };
    let mut rules = vec![ssh_rule().priority(p1)];
    if p2 != p1 {
        rules.push(FirewallRule::allow_tcp_in(443, cidr(10, 0, 8)).priority(p2));
    }
    let r = create_firewall_result(&c, &n.id, rules.clone()).await;
    let (c2, want) = (c.clone(), rules.clone());
    let out = gated(
        caps.firewall_priorities,
        Capability::FirewallPriorities,
        async { r },
        move |f: Firewall| async move { check_rules(&c2, &f, &want).await },
    )
    .await?;
    if caps.firewall_priorities {
        if let Some((lo, hi)) = caps.firewall_priority_range {
            let existing = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
            if hi < u32::MAX {
                expect_rules_err(
                    &c,
                    &format!("priority {}", hi + 1),
                    &existing,
                    vec![ssh_rule().priority(hi + 1)],
                    ErrorKind::InvalidInput,
                )
                .await?;
            }
            if lo > 0 {
                expect_rules_err(
                    &c,
                    &format!("priority {}", lo - 1),
                    &existing,
                    vec![ssh_rule().priority(lo - 1)],
                    ErrorKind::InvalidInput,
                )
                .await?;
            }
        }
    }
    Ok(out)
}

async fn firewall_egress(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let declared = c.network().capabilities().firewall_egress_rules;
    let (n, _) = make_network(&c, 0).await?;
    let rules = vec![
        ssh_rule(),
        FirewallRule::allow_tcp_in(443, any_v4()).direction(Direction::Egress),
    ];
    let r = create_firewall_result(&c, &n.id, rules.clone()).await;
    let (c2, want) = (c.clone(), rules.clone());
    gated(
        declared,
        Capability::FirewallEgressRules,
        async { r },
        move |f: Firewall| async move {
            check_rules(&c2, &f, &want).await?;
            ensure!(
                f.rules
                    .iter()
                    .any(|x| x.direction == Direction::Egress && x.ports == Some(PortRange::single(443))),
                "the egress rule came back as {:?}",
                f.rules
            );
            Ok(())
        },
    )
    .await
}

async fn firewall_bad_port_range_rejected(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let (n, _) = make_network(&c, 0).await?;
    let existing = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    let reversed = ssh_rule().ports(Some(PortRange { from: 100, to: 99 }));
    expect_rules_err(&c, "ports 100-99", &existing, vec![reversed], ErrorKind::InvalidInput).await?;
    let zero = ssh_rule().ports(Some(PortRange { from: 0, to: 10 }));
    expect_rules_err(&c, "ports 0-10", &existing, vec![zero], ErrorKind::InvalidInput).await?;
    Ok(Observed::Pass)
}

async fn firewall_ports_on_icmp_rejected(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let (n, _) = make_network(&c, 0).await?;
    let existing = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    for p in [Protocol::Icmp, Protocol::All] {
        let rule = ssh_rule().protocol(p).ports(Some(PortRange::single(8)));
        expect_rules_err(
            &c,
            &format!("ports on {p:?}"),
            &existing,
            vec![rule],
            ErrorKind::InvalidInput,
        )
        .await?;
    }
    Ok(Observed::Pass)
}

async fn firewall_peer_host_bits_rejected(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let (n, _) = make_network(&c, 0).await?;
    let existing = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    let peer = Ipv4Net::new(Ipv4Addr::new(10, 0, 0, 1), 8).map_err(|err| err.to_string())?;
    expect_rules_err(
        &c,
        "peer 10.0.0.1/8",
        &existing,
        vec![FirewallRule::allow_tcp_in(22, peer)],
        ErrorKind::InvalidInput,
    )
    .await?;
    Ok(Observed::Pass)
}

async fn firewall_set_rules_replaces(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let (n, _) = make_network(&c, 0).await?;
    let f = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    check_rules(&c, &f, &[ssh_rule()]).await?;
    let next = vec![
        FirewallRule::allow_tcp_in(443, any_v4()),
        FirewallRule::allow_tcp_in(53, cidr(10, 0, 8)).protocol(Protocol::Udp),
    ];
    let got = c
        .network()
        .set_firewall_rules(&f.id, &next)
        .await
        .map_err(e("set rules"))?;
    ensure!(got.id == f.id, "set_firewall_rules returned firewall `{}`", got.id);
    check_rules(&c, &got, &next).await?;
    let empty = c
        .network()
        .set_firewall_rules(&f.id, &[])
        .await
        .map_err(e("set no rules"))?;
    check_rules(&c, &empty, &[]).await?;
    let again = c
        .network()
        .set_firewall_rules(&f.id, &[ssh_rule()])
        .await
        .map_err(e("set rules again"))?;
    check_rules(&c, &again, &[ssh_rule()]).await?;
    Ok(Observed::Pass)
}

async fn list_firewalls_filters_by_network(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    let (n1, _) = make_network(&c, 0).await?;
    let (n2, _) = make_network(&c, 1).await?;
    let f1 = make_firewall(&c, &n1.id, vec![ssh_rule()]).await?;
    let f2 = make_firewall(&c, &n2.id, vec![ssh_rule()]).await?;
    let of1 = c
        .network()
        .list_firewalls(Some(n1.id.clone()))
        .await
        .map_err(e("list firewalls"))?;
    ensure!(
        of1.iter().any(|x| x.id == f1.id),
        "firewall `{}` is not listed in its network",
        f1.id
    );
    ensure!(
        !of1.iter().any(|x| x.id == f2.id),
        "firewall `{}` of another network is listed",
        f2.id
    );
    ensure!(
        of1.iter().all(|x| x.network == n1.id),
        "listing of `{}` returned {of1:?}",
        n1.id
    );
    let all = c
        .network()
        .list_firewalls(None)
        .await
        .map_err(e("list all firewalls"))?;
    ensure!(
        all.iter().any(|x| x.id == f1.id) && all.iter().any(|x| x.id == f2.id),
        "listing every firewall misses `{}` or `{}`",
        f1.id,
        f2.id
    );
    Ok(Observed::Pass)
}

async fn get_missing_is_not_found(c: Ctx) -> R {
    let (n, ncidr) = make_network(&c, 0).await?;
    let s = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    expect_kind(
        "get missing network",
        c.network().get_network(&missing_id(&n.id)).await,
        ErrorKind::NotFound,
    )?;
    expect_kind(
        "get missing subnet",
        c.network().get_subnet(&missing_id(&s.id)).await,
        ErrorKind::NotFound,
    )?;
    if !c.network().capabilities().firewalls {
        return Ok(Observed::Pass);
    }
    let f = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    expect_kind(
        "get missing firewall",
        c.network().get_firewall(&missing_id(&f.id)).await,
        ErrorKind::NotFound,
    )?;
    expect_kind(
        "set rules of a missing firewall",
        c.network().set_firewall_rules(&missing_id(&f.id), &[ssh_rule()]).await,
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}

async fn firewall_attach_and_delete_attached_is_conflict(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    if let Some(o) = needs_compute(&c) {
        return Ok(o);
    }
    let (n, ncidr) = make_network(&c, 0).await?;
    let s = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    let f = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    let i = launch_running(&c, &base_spec(&c).await?.subnet(s.id.clone())).await?;
    c.network()
        .attach_firewall(&f.id, &i.id)
        .await
        .map_err(e("attach firewall"))?;
    let got = c.compute().get_instance(&i.id).await.map_err(e("get instance"))?;
    ensure!(
        got.firewalls.contains(&f.id),
        "attached firewall `{}` is not on the instance: {:?}",
        f.id,
        got.firewalls
    );
    let r = c.network().delete_firewall(&f.id).await;
    if r.is_ok() {
        return portable_or_differs(
            false,
            "delete-attached-firewall-succeeds",
            format!("firewall `{}` attached to `{}` was deleted", f.id, i.id),
        );
    }
    expect_kind("delete an attached firewall", r, ErrorKind::Conflict)?;
    c.network()
        .get_firewall(&f.id)
        .await
        .map_err(e("get firewall after refused delete"))?;
    c.network()
        .detach_firewall(&f.id, &i.id)
        .await
        .map_err(e("detach firewall"))?;
    let got = c.compute().get_instance(&i.id).await.map_err(e("get instance"))?;
    ensure!(
        !got.firewalls.contains(&f.id),
        "detached firewall `{}` is still on the instance",
        f.id
    );
    c.network()
        .delete_firewall(&f.id)
        .await
        .map_err(e("delete detached firewall"))?;
    expect_kind(
        "get deleted firewall",
        c.network().get_firewall(&f.id).await,
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}

async fn firewall_in_instance_spec(c: Ctx) -> R {
    if let Some(r) = without_firewalls(&c).await {
        return r;
    }
    if let Some(o) = needs_compute(&c) {
        return Ok(o);
    }
    let (n, ncidr) = make_network(&c, 0).await?;
    let s = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    let f = make_firewall(&c, &n.id, vec![ssh_rule()]).await?;
    let i = launch(&c, &base_spec(&c).await?.subnet(s.id.clone()).firewall(f.id.clone())).await?;
    ensure!(
        i.firewalls.contains(&f.id),
        "firewall `{}` given at creation is not on the instance: {:?}",
        f.id,
        i.firewalls
    );
    let got = c.compute().get_instance(&i.id).await.map_err(e("get instance"))?;
    ensure!(
        got.firewalls.contains(&f.id),
        "get_instance does not show firewall `{}`: {:?}",
        f.id,
        got.firewalls
    );
    let r = c.network().delete_firewall(&f.id).await;
    if r.is_ok() {
        return portable_or_differs(
            false,
            "delete-launch-firewall-succeeds",
            format!("firewall `{}` that `{}` was launched with was deleted", f.id, i.id),
        );
    }
    expect_kind("delete a firewall in use", r, ErrorKind::Conflict)?;
    c.compute().terminate_instance(&i.id).await.map_err(e("terminate"))?;
    wait_gone(&c, &i.id).await?;
    c.network()
        .delete_firewall(&f.id)
        .await
        .map_err(e("delete the firewall of a terminated instance"))?;
    Ok(Observed::Pass)
}

async fn delete_subnet_in_use_is_conflict(c: Ctx) -> R {
    if let Some(o) = needs_compute(&c) {
        return Ok(o);
    }
    let (n, ncidr) = make_network(&c, 0).await?;
    let s = make_subnet(&c, &n.id, sub_cidr(&c, ncidr, 0)?).await?;
    let i = launch(&c, &base_spec(&c).await?.subnet(s.id.clone())).await?;
    let r = c.network().delete_subnet(&s.id).await;
    if r.is_ok() {
        return portable_or_differs(
            false,
            "delete-subnet-in-use-succeeds",
            format!("subnet `{}` was deleted while `{}` was in it", s.id, i.id),
        );
    }
    expect_kind("delete a subnet in use", r, ErrorKind::Conflict)?;
    c.network()
        .get_subnet(&s.id)
        .await
        .map_err(e("get subnet after refused delete"))?;
    c.compute().terminate_instance(&i.id).await.map_err(e("terminate"))?;
    wait_gone(&c, &i.id).await?;
    c.network()
        .delete_subnet(&s.id)
        .await
        .map_err(e("delete the subnet of a terminated instance"))?;
    expect_kind(
        "get deleted subnet",
        c.network().get_subnet(&s.id).await,
        ErrorKind::NotFound,
    )?;
    Ok(Observed::Pass)
}
