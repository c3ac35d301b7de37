//! Profiles (`nimbus.toml`) and `NIMBUS_*` variables. Holds: parsing, checking and resolving
//! never panic; a secret's value (a planted one, in the file or in a variable) never shows
//! in an error, an issue, or the resolved profile's `Debug`; nor does the value of an
//! unknown key, which may be a misspelt secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::config::{ConfigFile, KeyDef, KeyKind, ProfileResolver, ProviderSchema, COMMON_KEYS};

const PLANT: &str = "PLANTEDsecret0x5eed";

/// A provider with secrets, beside the local provider (whose keys hold none).
const VAULT: &[KeyDef] = &[
    KeyDef {
        name: "password",
        aliases: &["pass"],
        kind: KeyKind::Secret,
        doc: "a secret",
    },
    KeyDef {
        name: "user",
        aliases: &[],
        kind: KeyKind::String,
        doc: "not a secret",
    },
];
const VAULT_SCHEMA: ProviderSchema = ProviderSchema {
    provider: "vault",
    storage: VAULT,
    compute: VAULT,
    network: VAULT,
};

/// Whether a value under this key name may be printed: a known key that is not a secret.
fn printable(key: &str) -> bool {
    let key = key.trim().trim_matches('"').trim_matches('\'');
    let schemas = [nimbus_local::config::SCHEMA, VAULT_SCHEMA];
    key == "provider"
        || key == "default_profile"
        || schemas.iter().any(|s| {
            ["storage", "compute", "network"]
                .iter()
                .flat_map(|svc| s.keys(svc))
                .chain(COMMON_KEYS.iter().copied())
                .any(|k| k.kind != KeyKind::Secret && k.matches(key))
        })
}

/// In a `key = value` line, `$S` in the value becomes the plant where the key is a secret or
/// unknown; anywhere else (table names, keys, known plain keys, inline tables) `x`.
fn plant(line: &str) -> String {
    match line.split_once('=') {
        Some((k, v)) if !k.contains('[') && !v.contains(['{', '[']) => {
            let k = k.replace("$S", "x");
            let v = v.replace("$S", if printable(&k) { "x" } else { PLANT });
            format!("{k}={v}")
        }
        _ => line.replace("$S", "x"),
    }
}

// Input: the file's TOML, then optionally a line `--- env` and `NAME=value` lines (the
// `NIMBUS_` prefix is added), and a line `--- profile NAME` to ask for a profile.
fuzz_target!(|s: &str| {
    let (file, rest) = s.split_once("\n--- env\n").unwrap_or((s, ""));
    let (env_text, requested) = rest.split_once("\n--- profile ").unwrap_or((rest, ""));
    let requested = (!requested.is_empty()).then(|| requested.trim_end().to_string());
    let toml: String = file.lines().map(|l| plant(l) + "\n").collect();
    let env: Vec<(String, String)> = env_text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let k = format!("NIMBUS_{}", k.replace("$S", "x"));
            // NIMBUS_STORAGE_PASSWORD: the key is what follows the service; other variables
            // (NIMBUS_PROFILE, NIMBUS_PROVIDER, …) hold names, which may be printed.
            let parts: Vec<&str> = k.splitn(3, '_').collect();
            let secret_slot = parts.len() == 3
                && ["STORAGE", "COMPUTE", "NETWORK"].contains(&parts[1])
                && !printable(&parts[2].to_ascii_lowercase());
            let v = v.replace("$S", if secret_slot { PLANT } else { "x" });
            (k, v)
        })
        .collect();
    let mut r = ProfileResolver::new(vec![nimbus_local::config::SCHEMA, VAULT_SCHEMA]).env(env);
    match ConfigFile::parse(&toml, "fuzz.toml") {
        Ok(f) => r = r.file(f),
        Err(e) => {
            assert!(!e.to_string().contains(PLANT), "parse error shows a secret: {e}");
            return;
        }
    }
    for issue in r.check() {
        let shown = issue.to_string();
        assert!(!shown.contains(PLANT), "issue shows a secret: {shown}");
    }
    match r.resolve(requested.as_deref()) {
        Ok(p) => {
            let shown = format!("{p:?}");
            assert!(!shown.contains(PLANT), "resolved profile shows a secret: {shown}");
        }
        Err(e) => {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(PLANT), "resolve error shows a secret: {shown}");
        }
    }
});
