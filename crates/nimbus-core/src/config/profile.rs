//! Profiles: one section per customer in `nimbus.toml`, overridden by `NIMBUS_*` variables and
//! explicit values. Precedence: explicit > environment > file > provider defaults.
//!
//! ```toml
//! default_profile = "acme"
//!
//! [profiles.acme]
//! provider = "local"            # for every service unless a service names its own
//!
//! [profiles.acme.storage]
//! root = "/srv/nimbus/acme"
//!
//! [profiles.acme.compute]
//! boot_time = "2s"
//!
//! [profiles.acme.expect]          # what `nimbus doctor` checks the credentials against
//! account = "123456789012"
//! bucket = "acme-data"
//! ```
//!
//! Why validate everything up front: with one profile per customer, a typo in one section
//! otherwise surfaces weeks later as a wrong region in one customer's cloud. Validation
//! reports *every* problem at once with the file, profile, key, what was expected and a
//! did-you-mean, and never echoes secret values.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::schema::{ProviderSchema, Settings};
use super::suggest::did_you_mean;
use crate::{Error, Result};

/// The services a profile configures.
pub const SERVICES: [&str; 3] = ["storage", "compute", "network"];

/// One problem found in configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Where: a file path or `environment`.
    pub origin: String,
    /// Profile name, if the problem is inside one.
    pub profile: Option<String>,
    /// Dotted key (`storage.region`), if the problem is about one key.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(p) = &self.profile {
            write!(f, ": profile `{p}`")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Turns a list of issues into one `InvalidInput` error listing them all.
pub fn issues_to_error(issues: &[ConfigIssue]) -> Error {
    let lines: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    Error::invalid(format!(
        "{} configuration problem(s):\n  {}",
        issues.len(),
        lines.join("\n  ")
    ))
}

/// A parsed `nimbus.toml`.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    origin: String,
    doc: toml::Table,
}

impl ConfigFile {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid(format!("cannot read config file {}: {e}", path.display())).with_source(e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::invalid(format!("{origin}: not valid TOML: {}", e.message())))?;
        Ok(ConfigFile {
            origin: origin.to_string(),
            doc,
        })
    }

    /// Where it came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Profile names in the file.
    pub fn profiles(&self) -> Vec<String> {
        self.doc
            .get("profiles")
            .and_then(|p| p.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Every string value of the file with the name of its key, at any depth (what a support
    /// bundle must never contain when the key names a secret).
    pub fn string_values(&self) -> Vec<(String, String)> {
        fn walk(t: &toml::Table, out: &mut Vec<(String, String)>) {
            for (k, v) in t {
                match v {
                    toml::Value::String(s) => out.push((k.clone(), s.clone())),
                    toml::Value::Table(t) => walk(t, out),
                    toml::Value::Array(a) => {
                        for v in a {
                            match v {
                                toml::Value::String(s) => out.push((k.clone(), s.clone())),
                                toml::Value::Table(t) => walk(t, out),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.doc, &mut out);
        out
    }

    /// The `default_profile` the file names.
    pub fn default_profile(&self) -> Option<&str> {
        self.doc.get("default_profile").and_then(|v| v.as_str())
    }
}

/// Where to find the config file when none is given: `NIMBUS_CONFIG`, else `./nimbus.toml`
/// if it exists.
pub fn default_config_path(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    if let Some(p) = env.get("NIMBUS_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from("nimbus.toml");
    p.exists().then_some(p)
}

/// Keys of a profile's `expect` table: what `nimbus doctor` compares the credentials' identity
/// with, and the bucket its data-plane probes use. Provider-neutral, so one table per profile
/// and not per service.
pub const EXPECT_KEYS: &[(&str, &str)] = &[
    (
        "account",
        "the account, tenant or subscription the credentials must belong to",
    ),
    (
        "principal",
        "the principal (ARN, user, service account) the credentials must be",
    ),
    (
        "project",
        "the project the credentials must be scoped to (OpenStack, Google Cloud)",
    ),
    (
        "bucket",
        "the bucket doctor's data-plane probes read (and write with --write-probe)",
    ),
];

/// The configuration of one service in a resolved profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Provider name.
    pub provider: String,
    /// Settings after precedence.
    pub settings: Settings,
}

/// A resolved profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Name.
    pub name: String,
    /// Storage.
    pub storage: ServiceConfig,
    /// Compute.
    pub compute: ServiceConfig,
    /// Network.
    pub network: ServiceConfig,
    /// The `expect` table ([`EXPECT_KEYS`]): key to expected value.
    pub expect: BTreeMap<String, String>,
}

impl Profile {
    /// The config of a service by name.
    pub fn service(&self, service: &str) -> &ServiceConfig {
        match service {
            "compute" => &self.compute,
            "network" => &self.network,
            _ => &self.storage,
        }
    }
    fn service_mut(&mut self, service: &str) -> &mut ServiceConfig {
        match service {
            "compute" => &mut self.compute,
            "network" => &mut self.network,
            _ => &mut self.storage,
        }
    }
}

/// Resolves profiles from a file, the environment and explicit values against the schemas of
/// the providers compiled in.
#[derive(Debug, Clone)]
pub struct ProfileResolver {
    schemas: Vec<ProviderSchema>,
    file: Option<ConfigFile>,
    env: BTreeMap<String, String>,
    explicit: Vec<(String, String, String)>,
    default_provider: String,
}

impl ProfileResolver {
    /// A resolver knowing these providers; `local` is the default provider.
    pub fn new(schemas: Vec<ProviderSchema>) -> Self {
        ProfileResolver {
            schemas,
            file: None,
            env: BTreeMap::new(),
            explicit: Vec::new(),
            default_provider: "local".into(),
        }
    }
    /// Uses this file.
    pub fn file(mut self, file: ConfigFile) -> Self {
        self.file = Some(file);
        self
    }
    /// Uses these environment variables (only `NIMBUS_*` are read).
    pub fn env(mut self, env: impl IntoIterator<Item = (String, String)>) -> Self {
        self.env = env.into_iter().filter(|(k, _)| k.starts_with("NIMBUS_")).collect();
        self
    }
    /// Uses the process environment.
    pub fn process_env(self) -> Self {
        self.env(std::env::vars())
    }
    /// Sets an explicit value (`service` is `storage`/`compute`/`network`; key `provider`
    /// picks the provider).
    pub fn explicit(mut self, service: &str, key: &str, value: &str) -> Self {
        self.explicit.push((service.into(), key.into(), value.into()));
        self
    }

    /// The profile name to use: `requested`, else `NIMBUS_PROFILE`, else the file's
    /// `default_profile`, else `default`.
    pub fn profile_name(&self, requested: Option<&str>) -> String {
        requested
            .map(str::to_string)
            .or_else(|| self.env.get("NIMBUS_PROFILE").cloned())
            .or_else(|| self.file.as_ref().and_then(|f| f.default_profile().map(str::to_string)))
            .unwrap_or_else(|| "default".into())
    }

    fn schema(&self, provider: &str) -> Option<&ProviderSchema> {
        self.schemas.iter().find(|s| s.provider == provider)
    }

    /// Every problem in the file (all profiles) and the environment.
    pub fn check(&self) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        if let Some(f) = &self.file {
            for (k, _) in f.doc.iter() {
                if k != "profiles" && k != "default_profile" {
                    issues.push(ConfigIssue {
                        origin: f.origin.clone(),
                        profile: None,
                        key: Some(k.clone()),
                        message: unknown_msg(k, ["profiles", "default_profile"]),
                    });
                }
            }
            match f.doc.get("profiles") {
                None => {}
                Some(toml::Value::Table(t)) => {
                    for name in t.keys() {
                        issues.extend(self.resolve_inner(name).err().unwrap_or_default());
                    }
                }
                Some(_) => issues.push(ConfigIssue {
                    origin: f.origin.clone(),
                    profile: None,
                    key: Some("profiles".into()),
                    message: "expected a table of profiles ([profiles.NAME])".into(),
                }),
            }
            if let Some(d) = f.default_profile() {
                if !f.profiles().iter().any(|p| p == d) {
                    issues.push(ConfigIssue {
                        origin: f.origin.clone(),
                        profile: None,
                        key: Some("default_profile".into()),
                        message: format!("names profile `{d}`, which the file does not define"),
                    });
                }
            }
        }
        issues.extend(self.env_issues());
        issues.dedup();
        issues
    }

    fn env_issues(&self) -> Vec<ConfigIssue> {
        let mut out = Vec::new();
        let general = [
            "NIMBUS_PROFILE",
            "NIMBUS_CONFIG",
            "NIMBUS_PROVIDER",
            "NIMBUS_LOG",
            "NIMBUS_HOME",
            "NIMBUS_SHARED_DIR",
        ];
        for k in self.env.keys() {
            if general.contains(&k.as_str()) {
                continue;
            }
            let svc = SERVICES
                .iter()
                .find(|s| k.starts_with(&format!("NIMBUS_{}_", s.to_uppercase())));
            let known = match svc {
                Some(s) => {
                    let rest = &k[format!("NIMBUS_{}_", s.to_uppercase()).len()..];
                    rest == "PROVIDER"
                        || self
                            .schemas
                            .iter()
                            .any(|sc| sc.keys(s).iter().any(|d| d.matches(&rest.to_lowercase())))
                }
                None => false,
            };
            if !known {
                let mut candidates: Vec<String> = general.iter().map(|s| s.to_string()).collect();
                for sc in &self.schemas {
                    for s in SERVICES {
                        candidates.push(format!("NIMBUS_{}_PROVIDER", s.to_uppercase()));
                        for d in &sc.keys(s) {
                            candidates.push(format!("NIMBUS_{}_{}", s.to_uppercase(), d.name.to_uppercase()));
                        }
                    }
                }
                candidates.sort();
                candidates.dedup();
                let hint = did_you_mean(k, candidates.iter().map(String::as_str));
                // Other tools' NIMBUS_* variables (test harnesses, scripts) are not ours to
                // judge: only a service-prefixed name or a near-miss of a known name is an error.
                if svc.is_none() && hint.is_none() {
                    continue;
                }
                let message = match hint {
                    Some(h) => format!("unknown key; did you mean `{h}`?"),
                    None => "unknown key for every provider compiled in (see `nimbus config show`)".to_string(),
                };
                out.push(ConfigIssue {
                    origin: "environment".into(),
                    profile: None,
                    key: Some(k.clone()),
                    message,
                });
            }
        }
        out
    }

    /// Resolves one profile (see [`ProfileResolver::profile_name`]); fails listing every
    /// problem. A profile that is not in the file resolves to provider defaults only if it is
    /// `default`.
    pub fn resolve(&self, requested: Option<&str>) -> Result<Profile> {
        let name = self.profile_name(requested);
        let mut issues = self.env_issues();
        match self.resolve_inner(&name) {
            Ok(p) if issues.is_empty() => Ok(p),
            Ok(_) => Err(issues_to_error(&issues)),
            Err(mut e) => {
                issues.append(&mut e);
                Err(issues_to_error(&issues))
            }
        }
    }

    fn resolve_inner(&self, name: &str) -> std::result::Result<Profile, Vec<ConfigIssue>> {
        let mut issues = Vec::new();
        let origin = self
            .file
            .as_ref()
            .map(|f| f.origin.clone())
            .unwrap_or_else(|| "configuration".into());
        let issue = |key: Option<String>, message: String| ConfigIssue {
            origin: origin.clone(),
            profile: Some(name.to_string()),
            key,
            message,
        };
        let section = self
            .file
            .as_ref()
            .and_then(|f| f.doc.get("profiles"))
            .and_then(|p| p.as_table())
            .and_then(|t| t.get(name));
        let section = match section {
            Some(toml::Value::Table(t)) => Some(t.clone()),
            Some(_) => {
                return Err(vec![issue(None, "expected a table ([profiles.NAME])".into())]);
            }
            None if name == "default" => None,
            None => {
                let known = self.file.as_ref().map(|f| f.profiles()).unwrap_or_default();
                let hint = did_you_mean(name, known.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(vec![issue(
                    None,
                    format!(
                        "no such profile{hint} (known: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                )]);
            }
        };
        let section = section.unwrap_or_default();
        let mut profile = Profile {
            name: name.to_string(),
            ..Default::default()
        };
        // Provider for all services.
        let mut base_provider = self.default_provider.clone();
        for (k, v) in &section {
            match (k.as_str(), v) {
                ("provider", toml::Value::String(p)) => base_provider = p.clone(),
                ("provider", _) => issues.push(issue(Some("provider".into()), "expected a string".into())),
                (s, toml::Value::Table(_)) if SERVICES.contains(&s) => {}
                ("expect", toml::Value::Table(t)) => {
                    for (k, v) in t {
                        let known = EXPECT_KEYS.iter().any(|(n, _)| n == k);
                        match v.as_str() {
                            _ if !known => issues.push(issue(
                                Some(format!("expect.{k}")),
                                unknown_msg(k, EXPECT_KEYS.iter().map(|(n, _)| *n)),
                            )),
                            Some(v) => {
                                profile.expect.insert(k.clone(), v.to_string());
                            }
                            None => issues.push(issue(Some(format!("expect.{k}")), "expected a string".into())),
                        }
                    }
                }
                ("expect", _) => issues.push(issue(
                    Some("expect".into()),
                    format!("expected a table ([profiles.{name}.expect])"),
                )),
                (s, _) if SERVICES.contains(&s) => issues.push(issue(
                    Some(s.into()),
                    format!("expected a table ([profiles.{name}.{s}])"),
                )),
                (other, _) => issues.push(issue(
                    Some(other.into()),
                    unknown_msg(other, ["provider", "storage", "compute", "network", "expect"]),
                )),
            }
        }
        if let Some(p) = self.env.get("NIMBUS_PROVIDER") {
            base_provider = p.clone();
        }
        let known: Vec<&str> = self.schemas.iter().map(|s| s.provider).collect();
        let unknown_provider = |p: &str| {
            let hint = did_you_mean(p, known.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            format!(
                "unknown provider `{p}`; {hint}compiled in: {} (others need their cargo feature)",
                known.join(", ")
            )
        };
        let base_ok = self.schema(&base_provider).is_some();
        if !base_ok {
            issues.push(issue(Some("provider".into()), unknown_provider(&base_provider)));
        }
        for svc in SERVICES {
            let table = section.get(svc).and_then(|t| t.as_table()).cloned().unwrap_or_default();
            let mut provider = base_provider.clone();
            if let Some(v) = table.get("provider") {
                match v.as_str() {
                    Some(p) => provider = p.to_string(),
                    None => issues.push(issue(Some(format!("{svc}.provider")), "expected a string".into())),
                }
            }
            if let Some(p) = self.env.get(&format!("NIMBUS_{}_PROVIDER", svc.to_uppercase())) {
                provider = p.clone();
            }
            for (s, k, v) in &self.explicit {
                if s == svc && k == "provider" {
                    provider = v.clone();
                }
            }
            let Some(schema) = self.schema(&provider) else {
                if provider != base_provider {
                    issues.push(issue(Some(format!("{svc}.provider")), unknown_provider(&provider)));
                }
                continue;
            };
            let keys = schema.keys(svc);
            let cfg = profile.service_mut(svc);
            cfg.provider = provider.clone();
            let mut set = |key: &str, raw: String, source: String, issues: &mut Vec<ConfigIssue>| match keys
                .iter()
                .find(|d| d.matches(key))
            {
                None => issues.push(issue(
                    Some(format!("{svc}.{key}")),
                    unknown_msg(
                        key,
                        keys.iter()
                            .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied())),
                    )
                    .replacen("unknown key", &format!("unknown key for provider `{provider}`"), 1),
                )),
                Some(d) => match d.kind.check(&raw) {
                    Ok(()) => cfg.settings.set(d.name, raw, source),
                    Err(expected) => {
                        let shown = if d.kind == super::KeyKind::Secret {
                            "***".into()
                        } else {
                            raw
                        };
                        issues.push(issue(
                            Some(format!("{svc}.{}", d.name)),
                            format!("`{shown}`: {expected}"),
                        ))
                    }
                },
            };
            for (k, v) in &table {
                if k == "provider" {
                    continue;
                }
                let raw = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    _ => {
                        issues.push(issue(
                            Some(format!("{svc}.{k}")),
                            "expected a string, number or boolean".into(),
                        ));
                        continue;
                    }
                };
                set(k, raw, format!("file {origin}"), &mut issues);
            }
            let prefix = format!("NIMBUS_{}_", svc.to_uppercase());
            for (k, v) in &self.env {
                if let Some(rest) = k.strip_prefix(&prefix) {
                    let key = rest.to_lowercase();
                    if key != "provider" && keys.iter().any(|d| d.matches(&key)) {
                        set(&key, v.clone(), format!("env {k}"), &mut issues);
                    }
                }
            }
            for (s, k, v) in &self.explicit {
                if s == svc && k != "provider" {
                    set(k, v.clone(), "explicit".into(), &mut issues);
                }
            }
        }
        if issues.is_empty() {
            Ok(profile)
        } else {
            Err(issues)
        }
    }
}

fn unknown_msg<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    match did_you_mean(key, candidates.iter().copied()) {
        Some(s) => format!("unknown key; did you mean `{s}`?"),
        None => format!("unknown key; expected one of: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{KeyDef, KeyKind};

    const STORAGE: &[KeyDef] = &[
        KeyDef {
            name: "root",
            aliases: &["path"],
            kind: KeyKind::Path,
            doc: "root",
        },
        KeyDef {
            name: "access_key",
            aliases: &[],
            kind: KeyKind::Secret,
            doc: "key",
        },
    ];
    const COMPUTE: &[KeyDef] = &[KeyDef {
        name: "boot_time",
        aliases: &[],
        kind: KeyKind::Duration,
        doc: "boot",
    }];
    fn schemas() -> Vec<ProviderSchema> {
        vec![ProviderSchema {
            provider: "local",
            storage: STORAGE,
            compute: COMPUTE,
            network: &[],
        }]
    }

    #[test]
    fn expect_table_is_validated_with_did_you_mean() {
        let f = ConfigFile::parse(
            "[profiles.acme]\nprovider='local'\n[profiles.acme.expect]\naccount='123456789012'\nbucket='data'\n",
            "nimbus.toml",
        )
        .unwrap();
        let p = ProfileResolver::new(schemas()).file(f).resolve(Some("acme")).unwrap();
        assert_eq!(p.expect.get("account").map(String::as_str), Some("123456789012"));
        assert_eq!(p.expect.get("bucket").map(String::as_str), Some("data"));
        let f = ConfigFile::parse(
            "[profiles.acme]\nprovider='local'\nexpect={acount='1', project=3}\n",
            "nimbus.toml",
        )
        .unwrap();
        let e = ProfileResolver::new(schemas())
            .file(f)
            .resolve(Some("acme"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expect.acount") && e.contains("did you mean `account`"),
            "{e}"
        );
        assert!(e.contains("expect.project") && e.contains("expected a string"), "{e}");
    }

    #[test]
    fn precedence_explicit_env_file() {
        let f = ConfigFile::parse(
            "[profiles.acme]\nprovider='local'\n[profiles.acme.storage]\nroot='/file'\n[profiles.acme.compute]\nboot_time='1s'\n",
            "nimbus.toml",
        )
        .unwrap();
        let r = ProfileResolver::new(schemas()).file(f.clone());
        let p = r.resolve(Some("acme")).unwrap();
        assert_eq!(p.storage.settings.get("root"), Some("/file"));
        let r = r.env([("NIMBUS_STORAGE_ROOT".to_string(), "/env".to_string())]);
        let p = r.resolve(Some("acme")).unwrap();
        assert_eq!(p.storage.settings.get("root"), Some("/env"));
        assert_eq!(p.storage.settings.source("root"), Some("env NIMBUS_STORAGE_ROOT"));
        let p = r
            .clone()
            .explicit("storage", "root", "/x")
            .resolve(Some("acme"))
            .unwrap();
        assert_eq!(p.storage.settings.get("root"), Some("/x"));
        assert_eq!(
            p.compute.settings.get_duration("boot_time").unwrap(),
            Some(std::time::Duration::from_secs(1))
        );
    }

    #[test]
    fn every_problem_reported_with_did_you_mean_and_no_secret() {
        let f = ConfigFile::parse(
            "default_profile='acme'\n[profiles.acme]\nprovder='local'\n[profiles.acme.storage]\nrot='/x'\naccess_key=5\n[profiles.acme.compute]\nboot_time='soon'\n[profiles.b]\nprovider='lcoal'\n",
            "nimbus.toml",
        )
        .unwrap();
        let r = ProfileResolver::new(schemas())
            .file(f)
            .env([("NIMBUS_STORAGE_ROTO".to_string(), "x".to_string())]);
        let issues = r.check();
        let text: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        let all = text.join("\n");
        assert!(
            all.contains("profile `acme`: key `provder`: unknown key; did you mean `provider`?"),
            "{all}"
        );
        assert!(
            all.contains("key `storage.rot`: unknown key for provider `local`; did you mean `root`?"),
            "{all}"
        );
        assert!(
            all.contains("key `compute.boot_time`: `soon`: expected a duration"),
            "{all}"
        );
        assert!(all.contains("unknown provider `lcoal`; did you mean `local`?"), "{all}");
        assert!(all.contains("NIMBUS_STORAGE_ROTO"), "{all}");
        assert!(all.contains("nimbus.toml"), "{all}");
        assert_eq!(issues.len(), 5, "{all}");
    }

    #[test]
    fn env_typos_are_caught_but_foreign_variables_ignored() {
        let r = ProfileResolver::new(schemas()).env([
            ("NIMBUS_PROFLE".to_string(), "x".to_string()),
            ("NIMBUS_REQUIRE_EMULATORS".to_string(), "1".to_string()),
            ("NIMBUS_COMPUTE_BOOT".to_string(), "1s".to_string()),
        ]);
        let all: Vec<String> = r.check().iter().map(|i| i.to_string()).collect();
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(
            all[0].contains("NIMBUS_COMPUTE_BOOT") && all[0].contains("unknown key"),
            "{all:?}"
        );
        assert!(all[1].contains("did you mean `NIMBUS_PROFILE`"), "{all:?}");
    }

    #[test]
    fn unknown_profile_and_default() {
        let f = ConfigFile::parse("[profiles.acme]\n", "f.toml").unwrap();
        let r = ProfileResolver::new(schemas()).file(f);
        let e = r.resolve(Some("acmee")).unwrap_err();
        assert!(e.message().contains("did you mean `acme`"), "{e}");
        let p = ProfileResolver::new(schemas()).resolve(None).unwrap();
        assert_eq!(p.name, "default");
        assert_eq!(p.storage.provider, "local");
    }

    #[test]
    fn secret_values_not_echoed() {
        const S: &[KeyDef] = &[KeyDef {
            name: "n",
            aliases: &[],
            kind: KeyKind::Integer,
            doc: "",
        }];
        let _ = S;
        let f = ConfigFile::parse("[profiles.a.storage]\naccess_key='hunter2'\nroot=1\n", "f").unwrap();
        let r = ProfileResolver::new(schemas()).file(f);
        let p = r.resolve(Some("a")).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
