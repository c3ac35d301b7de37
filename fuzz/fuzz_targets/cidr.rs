//! CIDRs, as given for networks, subnets and firewall peers. Holds: parsing never panics; an
//! accepted CIDR has no host bits and prints back to itself; overlap is symmetric and agrees
//! with containment; the prefix check never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::network::validate::{check_prefix, overlaps, parse_cidr};

// Input: `CIDR [CIDR]`.
fuzz_target!(|s: &str| {
    let (a, b) = s.split_once(' ').unwrap_or((s, ""));
    let (lo, hi) = (16, 28);
    let (Ok(x), y) = (parse_cidr(a), parse_cidr(b)) else {
        return;
    };
    assert_eq!(x.trunc(), x, "{a:?} kept host bits");
    assert_eq!(parse_cidr(&x.to_string()).unwrap(), x, "{a:?} does not print back");
    let _ = check_prefix("fuzz", x, (lo, hi));
    if let Ok(y) = y {
        assert_eq!(overlaps(x, y), overlaps(y, x));
        let contains = x.contains(&y.network()) || y.contains(&x.network());
        assert_eq!(overlaps(x, y), contains, "{x} and {y}");
    }
});
