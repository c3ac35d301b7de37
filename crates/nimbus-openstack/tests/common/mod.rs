//! The real OpenStack that `scripts/openstack start` runs on loopback, as the tests see it.
#![allow(dead_code)]

use nimbus_core::config::Settings;

/// The value of `NIMBUS_TEST_OPENSTACK_<NAME>`; `None` (the test passes with a note) unless
/// `NIMBUS_REQUIRE_EMULATORS=1`, where a stack that is not running is a failure.
pub fn var(name: &str) -> Option<String> {
    let full = format!("NIMBUS_TEST_OPENSTACK_{name}");
    match std::env::var(&full) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("{full} is not set but NIMBUS_REQUIRE_EMULATORS=1: start the stack with scripts/openstack start")
        }
        Err(_) => {
            eprintln!("{full} not set: not running against OpenStack (scripts/test starts it)");
            None
        }
    }
}

/// Settings for the test user of the stack, from its `NIMBUS_TEST_OPENSTACK_*` variables
/// (explicit keys, so the tests do not depend on `OS_*` being exported).
pub fn settings() -> Option<Settings> {
    let mut s = Settings::default();
    for (k, v) in [
        ("auth_url", "AUTH_URL"),
        ("region", "REGION"),
        ("username", "USERNAME"),
        ("password", "PASSWORD"),
        ("project_name", "PROJECT_NAME"),
        ("user_domain_name", "DOMAIN_NAME"),
        ("project_domain_name", "DOMAIN_NAME"),
    ] {
        s.set(k, var(v)?, "test");
    }
    Some(s)
}
