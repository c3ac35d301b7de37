//! `nimbus network …`

use anyhow::{anyhow, Result};
use clap::Subcommand;
use nimbus::network::validate::parse_cidr;
use nimbus::prelude::*;
use nimbus::Clouds;

#[derive(Subcommand)]
pub enum NetworkCmd {
    /// List networks, their subnets and firewalls.
    Ls,
    /// Create a network.
    Create {
        /// Name.
        name: String,
        /// CIDR, e.g. 10.0.0.0/16.
        cidr: String,
        /// Idempotency token (a UUID): running the command again with the same token prints
        /// the network the first run made instead of making another.
        #[arg(long)]
        request_id: Option<String>,
    },
    /// Delete a network (fails while it has subnets or firewalls).
    Delete {
        /// Network id.
        id: String,
    },
    /// Create a subnet.
    SubnetCreate {
        /// Network id.
        network: String,
        /// Name.
        name: String,
        /// CIDR inside the network's.
        cidr: String,
        /// Zone (zonal providers).
        #[arg(long)]
        zone: Option<String>,
    },
    /// Delete a subnet.
    SubnetDelete {
        /// Subnet id.
        id: String,
    },
    /// Create a firewall. Rules: `DIRECTION PROTO PORTS PEER ACTION [PRIORITY]`, e.g.
    /// `ingress tcp 22 0.0.0.0/0 allow` or `ingress tcp 8000-8080 10.0.0.0/8 deny 200`.
    FirewallCreate {
        /// Network id.
        network: String,
        /// Name.
        name: String,
        /// Rule, repeatable.
        #[arg(long = "rule", value_parser = parse_rule)]
        rules: Vec<FirewallRule>,
    },
    /// Delete a firewall.
    FirewallDelete {
        /// Firewall id.
        id: String,
    },
}

/// Parses `DIRECTION PROTO PORTS PEER ACTION [PRIORITY]` (the core's rule syntax).
pub fn parse_rule(s: &str) -> std::result::Result<FirewallRule, String> {
    s.parse::<FirewallRule>().map_err(|e| e.message().to_string())
}

pub async fn run(cmd: NetworkCmd, profile: Option<&str>) -> Result<()> {
    let n = Clouds::from_profile(profile)?.network().await?;
    match cmd {
        NetworkCmd::Ls => {
            for net in n.list_networks().await? {
                println!(
                    "{:<14} {:<20} {}",
                    net.id,
                    net.name,
                    net.cidr.map(|c| c.to_string()).unwrap_or_default()
                );
                for s in n.list_subnets(Some(net.id.clone())).await? {
                    println!(
                        "  subnet   {:<14} {:<18} {:<16} {}",
                        s.id,
                        s.name,
                        s.cidr,
                        s.zone.unwrap_or_default()
                    );
                }
                for f in n.list_firewalls(Some(net.id.clone())).await? {
                    println!("  firewall {:<14} {:<18} {} rule(s)", f.id, f.name, f.rules.len());
                }
            }
        }
        NetworkCmd::Create { name, cidr, request_id } => {
            let mut spec = NetworkSpec::new(name, parse_cidr(&cidr)?);
            spec.request_id = request_id;
            let net = n.create_network(&spec).await?;
            println!("{} {} {}", net.id, net.name, cidr);
        }
        NetworkCmd::Delete { id } => {
            n.delete_network(&id).await?;
            println!("deleted {id}");
        }
        NetworkCmd::SubnetCreate {
            network,
            name,
            cidr,
            zone,
        } => {
            let mut spec = SubnetSpec::new(network, name, parse_cidr(&cidr)?);
            spec.zone = zone;
            let s = n.create_subnet(&spec).await?;
            println!("{} {} {} {}", s.id, s.name, s.cidr, s.zone.unwrap_or_default());
        }
        NetworkCmd::SubnetDelete { id } => {
            n.delete_subnet(&id).await?;
            println!("deleted {id}");
        }
        NetworkCmd::FirewallCreate { network, name, rules } => {
            if rules.is_empty() {
                return Err(anyhow!("give at least one --rule"));
            }
            let f = n.create_firewall(&FirewallSpec::new(network, name, rules)).await?;
            println!("{} {} {} rule(s)", f.id, f.name, f.rules.len());
        }
        NetworkCmd::FirewallDelete { id } => {
            n.delete_firewall(&id).await?;
            println!("deleted {id}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_errors_are_clear() {
        let r = parse_rule("ingress tcp 8000-8080 10.0.0.0/8 deny 200").unwrap();
        assert_eq!(r.ports, Some(PortRange { from: 8000, to: 8080 }));
        assert_eq!(r.action, Action::Deny);
        assert_eq!(r.priority, Some(200));
        assert!(parse_rule("sideways tcp 22 0.0.0.0/0 allow")
            .unwrap_err()
            .contains("direction"));
        assert!(parse_rule("ingress tcp 22 10.0.0.1/8 allow")
            .unwrap_err()
            .contains("did you mean 10.0.0.0/8"));
    }
}
