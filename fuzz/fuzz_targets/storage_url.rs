//! Storage URLs (`s3://bucket/key?…`, `file:///…`, `memory://…`), as typed by users and put
//! in profiles. Holds: parsing never panics; an accepted URL's key and path have no `.` or
//! `..` segment once decoded (no traversal out of a local root, no silent normalising); a
//! secret option's value never shows in `Debug` or in an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::config::StorageUrl;

const PLANT: &str = "PLANTEDsecret0x5eed";

fuzz_target!(|s: &str| {
    // `$S` in the input becomes the value of a secret option.
    let s = s.replace("$S", PLANT);
    match StorageUrl::parse(&s) {
        Ok(u) => {
            for part in [&u.key, &u.path] {
                assert!(
                    !part.split('/').any(|seg| seg == "." || seg == ".."),
                    "a dot segment survived: {s:?} -> {part:?}"
                );
            }
            // The plant may also sit in the bucket or key, which are printed; only the
            // options' part of `Debug` must not show it.
            let debug = format!("{u:?}");
            let shown = debug.rsplit_once("options:").map_or("", |(_, o)| o);
            // Option names and plain values are printed; a plant there proves nothing.
            let elsewhere = u
                .options
                .iter()
                .any(|(k, v)| k.contains(PLANT) || (!nimbus_core::config::is_secret_key(k) && v.contains(PLANT)));
            if !elsewhere {
                assert!(!shown.contains(PLANT), "a secret option's value printed: {debug}");
            }
        }
        Err(e) => {
            if only_in_secret_values(&s) {
                assert!(!e.to_string().contains(PLANT), "secret echoed: {e}");
            }
        }
    }
});

/// Whether the plant is in the query, and only in values of secret-looking options (the
/// only places a message must redact; a plant in the path or a plain option may be echoed).
fn only_in_secret_values(s: &str) -> bool {
    use nimbus_core::config::is_secret_key;
    let Some((base, q)) = s.split_once('?') else {
        return false;
    };
    if base.contains(PLANT) {
        return false;
    }
    let mut seen = false;
    for kv in q.split('&') {
        match kv.split_once('=') {
            Some((k, v)) if !k.contains(PLANT) && is_secret_key(k) => seen |= v.contains(PLANT),
            _ if kv.contains(PLANT) => return false,
            _ => {}
        }
    }
    seen
}
