//! The emulator endpoints `scripts/emulators` exports.

/// The endpoint in `var`; `None` (the test then passes with a note) unless
/// `NIMBUS_REQUIRE_EMULATORS=1`, where a missing emulator is a failure.
pub fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("{var} is not set but NIMBUS_REQUIRE_EMULATORS=1: start the emulators with scripts/emulators")
        }
        Err(_) => {
            eprintln!("{var} not set: not running against the emulator (scripts/test runs it)");
            None
        }
    }
}
