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

/// `program` (`openstack`, `swift`) as the stack's test user: Debian's Python first on
/// `PATH` (a pyenv `python3` cannot import Debian's packages), the `OS_*` variables from the
/// stack's `NIMBUS_TEST_OPENSTACK_*`, and no `OS_CLOUD` that would override them.
pub fn os_cli(program: &str) -> std::process::Command {
    let v = |k: &str| var(k).unwrap_or_default();
    let path = format!("/usr/sbin:/usr/bin:{}", std::env::var("PATH").unwrap_or_default());
    let mut c = std::process::Command::new(program);
    c.env("PATH", path)
        .env_remove("OS_CLOUD")
        .env("OS_AUTH_URL", v("AUTH_URL"))
        .env("OS_IDENTITY_API_VERSION", "3")
        .env("OS_REGION_NAME", v("REGION"))
        .env("OS_USERNAME", v("USERNAME"))
        .env("OS_PASSWORD", v("PASSWORD"))
        .env("OS_PROJECT_NAME", v("PROJECT_NAME"))
        .env("OS_USER_DOMAIN_NAME", v("DOMAIN_NAME"))
        .env("OS_PROJECT_DOMAIN_NAME", v("DOMAIN_NAME"));
    c
}
