//! Typed configuration keys that each provider declares.

use std::time::Duration;

use super::Secret;
use crate::{Error, Result};

/// What a key's value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Any string.
    String,
    /// `true` / `false`.
    Bool,
    /// A non-negative integer.
    Integer,
    /// A duration such as `250ms`, `2s`, `5m`.
    Duration,
    /// A fraction between 0 and 1.
    Fraction,
    /// A secret (never printed).
    Secret,
    /// A filesystem path.
    Path,
}

impl KeyKind {
    /// What a value of this kind looks like, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            KeyKind::String => "a string",
            KeyKind::Bool => "true or false",
            KeyKind::Integer => "a non-negative integer",
            KeyKind::Duration => "a duration such as 250ms, 2s or 5m",
            KeyKind::Fraction => "a number between 0 and 1",
            KeyKind::Secret => "a secret string",
            KeyKind::Path => "a path",
        }
    }

    /// Checks a raw value.
    pub fn check(self, raw: &str) -> std::result::Result<(), String> {
        let ok = match self {
            KeyKind::String | KeyKind::Secret | KeyKind::Path => true,
            KeyKind::Bool => matches!(raw, "true" | "false"),
            KeyKind::Integer => raw.parse::<u64>().is_ok(),
            KeyKind::Duration => parse_duration(raw).is_ok(),
            KeyKind::Fraction => raw.parse::<f64>().is_ok_and(|f| (0.0..=1.0).contains(&f)),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("expected {}", self.expected()))
        }
    }
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct KeyDef {
    /// Canonical name (snake_case).
    pub name: &'static str,
    /// Other names accepted for it (e.g. `aws_region` for `region`).
    pub aliases: &'static [&'static str],
    /// Value kind.
    pub kind: KeyKind,
    /// One-line documentation.
    pub doc: &'static str,
}

impl KeyDef {
    /// Whether `name` is this key or one of its aliases (case-insensitive).
    pub fn matches(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// The keys one provider accepts for each service.
#[derive(Debug, Clone, Copy)]
pub struct ProviderSchema {
    /// Provider name as written in profiles (`local`, `aws`, …).
    pub provider: &'static str,
    /// Storage keys.
    pub storage: &'static [KeyDef],
    /// Compute keys.
    pub compute: &'static [KeyDef],
    /// Network keys.
    pub network: &'static [KeyDef],
}

impl ProviderSchema {
    /// The keys of a service (`storage`, `compute`, `network`): the provider's own, then the
    /// [`COMMON_KEYS`] every service of every provider accepts.
    pub fn keys(&self, service: &str) -> Vec<KeyDef> {
        let own: &[KeyDef] = match service {
            "storage" => self.storage,
            "compute" => self.compute,
            "network" => self.network,
            _ => return Vec::new(),
        };
        own.iter().chain(COMMON_KEYS).copied().collect()
    }
}

/// Keys every service of every provider accepts: the safe defaults every service opened
/// through the facade carries (`layers::ServiceDefaults`). Validated like provider keys.
pub const COMMON_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "retry_attempts",
        aliases: &[],
        kind: KeyKind::Integer,
        doc: "attempts per call, the first included (default 4; 1 turns retry off)",
    },
    KeyDef {
        name: "retry_base_delay",
        aliases: &[],
        kind: KeyKind::Duration,
        doc: "first backoff delay before jitter (default 100ms)",
    },
    KeyDef {
        name: "retry_max_delay",
        aliases: &[],
        kind: KeyKind::Duration,
        doc: "longest backoff delay (default 5s)",
    },
    KeyDef {
        name: "retry_deadline",
        aliases: &[],
        kind: KeyKind::Duration,
        doc: "no retry starts after this long since the call began (default 10m)",
    },
    KeyDef {
        name: "retry_budget",
        aliases: &[],
        kind: KeyKind::Integer,
        doc: "tokens of the service's retry budget: a retry costs 5, a call that succeeds gives back what its retries cost (or 1 without retries), no retry without 5 tokens (default 500; 0 turns it off)",
    },
    KeyDef {
        name: "timeout",
        aliases: &["attempt_timeout"],
        kind: KeyKind::Duration,
        doc: "deadline of one attempt of one call (default 5m for storage, 15m for compute and network, whose calls wait for long-running operations)",
    },
    KeyDef {
        name: "read_idle_timeout",
        aliases: &[],
        kind: KeyKind::Duration,
        doc: "storage: a body read fails when no data arrives for this long (default 60s; noticed within twice that)",
    },
];

/// Parses `250ms`, `2s`, `5m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| Error::invalid(format!("`{s}` is not a duration such as 250ms, 2s or 5m")))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(Error::invalid(format!(
                "`{s}`: unknown duration unit `{unit}` (use ms, s, m or h)"
            )))
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

/// A resolved set of settings for one service, with typed getters.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Settings {
    values: std::collections::BTreeMap<String, (String, String)>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, (v, src)) in &self.values {
            let shown = if super::url::is_secret_key(k) {
                "***"
            } else {
                v.as_str()
            };
            m.entry(k, &format_args!("{shown} (from {src})"));
        }
        m.finish()
    }
}

impl Settings {
    /// Sets a value with its source (`file`, `env NIMBUS_…`, `explicit`, `url`).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>, source: impl Into<String>) {
        self.values.insert(key.into(), (value.into(), source.into()));
    }
    /// A raw value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }
    /// Where a value came from.
    pub fn source(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(_, s)| s.as_str())
    }
    /// Keys and sources, values of secret keys hidden, for `config show`.
    pub fn describe(&self) -> Vec<(String, String, String)> {
        self.values
            .iter()
            .map(|(k, (v, s))| {
                let shown = if super::url::is_secret_key(k) {
                    "***".to_string()
                } else {
                    v.clone()
                };
                (k.clone(), shown, s.clone())
            })
            .collect()
    }
    /// A boolean.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        self.typed(key, |v| v.parse::<bool>().ok(), KeyKind::Bool)
    }
    /// An integer.
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>> {
        self.typed(key, |v| v.parse::<u64>().ok(), KeyKind::Integer)
    }
    /// A duration.
    pub fn get_duration(&self, key: &str) -> Result<Option<Duration>> {
        self.typed(key, |v| parse_duration(v).ok(), KeyKind::Duration)
    }
    /// A fraction.
    pub fn get_fraction(&self, key: &str) -> Result<Option<f64>> {
        self.typed(
            key,
            |v| v.parse::<f64>().ok().filter(|f| (0.0..=1.0).contains(f)),
            KeyKind::Fraction,
        )
    }
    /// A secret.
    pub fn get_secret(&self, key: &str) -> Option<Secret> {
        self.get(key).map(Secret::new)
    }
    fn typed<T>(&self, key: &str, parse: impl Fn(&str) -> Option<T>, kind: KeyKind) -> Result<Option<T>> {
        match self.values.get(key) {
            None => Ok(None),
            Some((v, src)) => parse(v).map(Some).ok_or_else(|| {
                let shown = if super::url::is_secret_key(key) {
                    "***"
                } else {
                    v.as_str()
                };
                Error::invalid(format!(
                    "`{key}` = `{shown}` (from {src}): expected {}",
                    kind.expected()
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn typed_getters_name_key_and_source() {
        let mut s = Settings::default();
        s.set("latency", "fast", "file nimbus.toml");
        let e = s.get_duration("latency").unwrap_err();
        assert!(
            e.message().contains("`latency` = `fast` (from file nimbus.toml)"),
            "{e}"
        );
        s.set("secret_key", "hunter2", "env");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
