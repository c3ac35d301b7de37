//! Firewall rules in their one-line syntax (`ingress tcp 22 10.0.0.0/8 allow 100`), as given
//! to the CLI and kept in scripts. Holds: parsing never panics; an accepted rule prints to a
//! line that parses back to the same rule; checking it against every capability set never
//! panics, and a rule that passes has ports only on TCP/UDP, in order, from 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::network::validate::validate_rules;
use nimbus_core::network::{FirewallRule, Protocol};
use nimbus_core::NetworkCapabilities;

fuzz_target!(|s: &str| {
    let Ok(rule) = s.parse::<FirewallRule>() else {
        return;
    };
    let line = rule.to_string();
    assert_eq!(
        line.parse::<FirewallRule>().ok().as_ref(),
        Some(&rule),
        "{s:?} -> {line:?}"
    );
    let mut all = NetworkCapabilities::none();
    all.firewall_deny_rules = true;
    all.firewall_egress_rules = true;
    all.firewall_priorities = true;
    all.firewall_priority_range = Some((100, 4096));
    for caps in [NetworkCapabilities::none(), all] {
        if validate_rules(std::slice::from_ref(&rule), &caps).is_ok() {
            if let Some(p) = rule.ports {
                assert!(matches!(rule.protocol, Protocol::Tcp | Protocol::Udp));
                assert!(p.from >= 1 && p.from <= p.to);
            }
        }
    }
});
