//! Support bundles: one `tar.gz` a customer's operator sends to support, with what doctor saw
//! and nothing secret (Replicated troubleshoot's support bundle, Vault's `debug` and `sos
//! report` are the anchors: collectors each with a status, a manifest with per-file hashes, a
//! redaction report that counts and never shows).
//!
//! ```text
//! nimbus-bundle/manifest.json           nimbus.bundle/v1: version, OS, redacted arguments,
//!                                       profile and the hash of its redacted effective config,
//!                                       collectors (status, duration, error), files (bytes, sha256)
//! nimbus-bundle/doctor/results.json     the doctor run (nimbus.doctor/v1), and results.txt
//! nimbus-bundle/config/effective.json   settings with sources and endpoints, secrets as hints
//! nimbus-bundle/env/audit.json          provider, proxy and CA variables (values redacted)
//! nimbus-bundle/network/<endpoint>.json network and clock evidence, certificate chains
//! nimbus-bundle/logs/<name>             the tail of each --logs file (1 MiB each by default)
//! nimbus-bundle/redaction-report.json   [{file, rule, count}]
//! ```
//!
//! Every member passes through [`redact::Redactor`] before it is written, and the assembled
//! members are searched again for every known secret in every encoding: a hit aborts.

pub mod anonymize;
pub mod capture;
pub mod redact;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::report::Report;
use crate::{diagnose, Inputs};
use redact::{Literal, Redactor};

/// Schema marker of the manifest.
pub const SCHEMA: &str = "nimbus.bundle/v1";

/// Prefixes of the variables the environment audit lists.
const ENV_PREFIXES: [&str; 10] = [
    "NIMBUS_",
    "AWS_",
    "AZURE_",
    "GOOGLE_",
    "CLOUDSDK_",
    "OS_",
    "LIBVIRT_",
    "SSL_CERT_",
    "STORAGE_EMULATOR_",
    "IDENTITY_",
];

/// Variables of other tools the audit lists too (besides the proxy variables).
const ENV_NAMES: [&str; 5] = [
    "REQUEST_METHOD",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "MSI_ENDPOINT",
];

/// Options of `bundle create`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Log files to include (their tails).
    pub logs: Vec<PathBuf>,
    /// Bytes kept from the end of each log (default 1 MiB).
    pub log_limit: Option<u64>,
    /// The command line, for the manifest (redacted there).
    pub args: Vec<String>,
    /// Also replace host names and IP addresses by consistent tokens ([`anonymize`]).
    pub anonymize: bool,
    /// Nimbus's own logs of this run ([`capture::LogCapture`], installed by the caller as a
    /// `tracing` writer), written as `logs/nimbus.log`.
    pub capture: Option<capture::LogCapture>,
}

/// One collector's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Collector {
    /// Name (`doctor`, `config`, `env`, `network`, `logs`).
    pub name: String,
    /// `ok` or `error`.
    pub status: &'static str,
    /// Duration.
    pub duration_ms: u64,
    /// What went wrong (redacted).
    pub error: Option<String>,
}

/// One member.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Path inside `nimbus-bundle/`.
    pub path: String,
    /// Size.
    pub bytes: usize,
    /// sha256, hex.
    pub sha256: String,
}

/// A bundle made in memory.
#[derive(Debug)]
pub struct Bundle {
    /// The `tar.gz`.
    pub archive: Vec<u8>,
    /// The manifest written into it.
    pub manifest: serde_json::Value,
    /// The doctor run it contains.
    pub report: Report,
    /// Count per (file, rule).
    pub redactions: Vec<(String, String, usize)>,
}

/// The manifest's entry of each member.
fn file_entries(members: &[(String, Vec<u8>)]) -> Vec<FileEntry> {
    members
        .iter()
        .map(|(p, data)| FileEntry {
            path: p.clone(),
            bytes: data.len(),
            sha256: hex(&Sha256::digest(data)),
        })
        .collect()
}

/// A variable whose value is a secret: its name says so, or it is a connection string.
fn is_secret_var(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    nimbus_core::config::is_secret_key(&lower) || lower.contains("connection_string")
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every secret Nimbus can know from the inputs: values of secret keys in every profile of
/// the file (by the schemas' `Secret` kind or the name heuristic), secret-named variables,
/// passwords in proxy variables.
pub fn known_secrets(inputs: &Inputs) -> Vec<Literal> {
    let secret_keys: Vec<&str> = inputs
        .schemas
        .iter()
        .flat_map(|s| ["storage", "compute", "network"].map(|svc| s.keys(svc)))
        .flatten()
        .filter(|k| k.kind == nimbus_core::config::KeyKind::Secret)
        .flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied()))
        .collect();
    let mut out = Vec::new();
    if let Some(f) = &inputs.file {
        for (k, v) in f.string_values() {
            if secret_keys.contains(&k.as_str()) || nimbus_core::config::is_secret_key(&k) {
                out.push(Literal {
                    source: format!("profile key {k}"),
                    value: v,
                });
            }
        }
    }
    for (k, v) in &inputs.env {
        let lower = k.to_ascii_lowercase();
        if is_secret_var(k) {
            out.push(Literal {
                source: format!("env {k}"),
                value: v.clone(),
            });
        }
        if lower.ends_with("_proxy") {
            if let Some(pw) = v
                .split_once("://")
                .map_or(v.as_str(), |(_, r)| r)
                .rsplit_once('@')
                .and_then(|(ui, _)| ui.split_once(':').map(|(_, p)| p))
            {
                out.push(Literal {
                    source: format!("env {k} password"),
                    value: pw.to_string(),
                });
            }
        }
    }
    out
}

struct Builder {
    redactor: Redactor,
    members: Vec<(String, Vec<u8>)>,
    redactions: Vec<(String, String, usize)>,
    collectors: Vec<Collector>,
}

impl Builder {
    fn add(&mut self, path: &str, text: &str) {
        let (out, hits) = self.redactor.redact(text);
        for (rule, n) in hits {
            self.redactions.push((path.to_string(), rule, n));
        }
        self.members.push((path.to_string(), out.into_bytes()));
    }

    /// Replaces host names and addresses in every member (see [`anonymize`]); the counts go
    /// to the redaction report. Returns the anonymizer, for the manifest's arguments.
    fn anonymize(&mut self) -> anonymize::Anonymizer {
        let texts: Vec<String> = self
            .members
            .iter()
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let a = anonymize::Anonymizer::new(&refs, &this_host(), self.redactor.anon_tokens());
        // Names too: a member named after a log file (`logs/00-s3.corp.example.log`), the
        // rows already counted for it, and the collectors' errors.
        for (path, _, _) in &mut self.redactions {
            *path = a.apply(path).0;
        }
        for c in &mut self.collectors {
            if let Some(e) = &mut c.error {
                *e = a.apply(e).0;
            }
        }
        for ((path, data), text) in self.members.iter_mut().zip(&texts) {
            *path = a.apply(path).0;
            let (out, hits) = a.apply(text);
            for (rule, n) in hits {
                self.redactions.push((path.clone(), rule, n));
            }
            *data = out.into_bytes();
        }
        a
    }

    fn collected(&mut self, name: &str, t: Instant, error: Option<String>) {
        let error = error.map(|e| self.redactor.redact(&e).0);
        self.collectors.push(Collector {
            name: name.into(),
            status: if error.is_some() { "error" } else { "ok" },
            duration_ms: t.elapsed().as_millis() as u64,
            error,
        });
    }
}

/// This machine's names (the kernel's and `HOSTNAME`): a customer's host names identify it.
fn this_host() -> Vec<String> {
    let mut v: Vec<String> = [
        std::fs::read_to_string("/proc/sys/kernel/hostname").ok(),
        std::env::var("HOSTNAME").ok(),
    ]
    .into_iter()
    .flatten()
    .map(|h| h.trim().to_string())
    .filter(|h| h.len() >= 3 && h != "localhost")
    .collect();
    v.dedup();
    v
}

fn os_release() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
}

fn tail(path: &PathBuf, limit: u64) -> std::io::Result<String> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len > limit {
        f.seek(SeekFrom::Start(len - limit))?;
    }
    let mut buf = Vec::new();
    f.take(limit).read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Runs doctor and the collectors and assembles the redacted bundle; `Err` when the final
/// scan finds a known secret (the message names the file and the secret's source).
pub async fn create(inputs: &Inputs, opts: &Options) -> Result<Bundle, String> {
    let redactor = Redactor::new(known_secrets(inputs));
    let mut b = Builder {
        redactor,
        members: Vec::new(),
        redactions: Vec::new(),
        collectors: Vec::new(),
    };
    let created = SystemTime::now();

    let t = Instant::now();
    let report = diagnose(inputs).await;
    b.add("doctor/results.json", &report.to_json());
    b.add("doctor/results.txt", &report.render_text(true));
    b.collected("doctor", t, None);

    let t = Instant::now();
    let rows: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.id.starts_with("config."))
        .map(|r| json!({"id": r.id, "status": r.status, "evidence": r.evidence}))
        .collect();
    let effective =
        serde_json::to_string_pretty(&json!({"profile": report.profile, "checks": rows})).unwrap_or_default();
    b.add("config/effective.json", &effective);
    b.collected("config", t, None);

    let t = Instant::now();
    let mut vars = BTreeMap::new();
    for (k, v) in &inputs.env {
        let proxy_var = crate::proxy::PAIRS.iter().flatten().any(|n| n == k);
        if ENV_PREFIXES.iter().any(|p| k.starts_with(p)) || ENV_NAMES.contains(&k.as_str()) || proxy_var {
            let shown = if is_secret_var(k) {
                b.redactor.token("env-secret", v)
            } else {
                crate::proxy::shown(v)
            };
            vars.insert(k.clone(), shown);
        }
    }
    let env_checks: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.id.starts_with("env."))
        .map(|r| json!({"id": r.id, "status": r.status, "message": r.message, "evidence": r.evidence}))
        .collect();
    b.add(
        "env/audit.json",
        &serde_json::to_string_pretty(&json!({"variables": vars, "checks": env_checks})).unwrap_or_default(),
    );
    b.collected("env", t, None);

    let t = Instant::now();
    let mut per: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for r in &report.results {
        let label = match r.id.split('.').collect::<Vec<_>>()[..] {
            ["net", label, _] | ["clock", label] => label.to_string(),
            _ => continue,
        };
        per.entry(label).or_default().push(json!({
            "id": r.id, "status": r.status, "message": r.message, "duration_ms": r.duration_ms, "evidence": r.evidence,
        }));
    }
    for (label, checks) in per {
        let safe: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        b.add(
            &format!("network/{safe}.json"),
            &serde_json::to_string_pretty(&checks).unwrap_or_default(),
        );
    }
    b.collected("network", t, None);

    let t = Instant::now();
    let mut errors = Vec::new();
    for (i, path) in opts.logs.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("log-{i}"));
        match tail(path, opts.log_limit.unwrap_or(1 << 20)) {
            Ok(text) => b.add(&format!("logs/{i:02}-{name}"), &text),
            Err(e) => errors.push(format!("{}: {e}", path.display())),
        }
    }
    if let Some(c) = &opts.capture {
        b.add("logs/nimbus.log", &c.contents());
    }
    b.collected("logs", t, (!errors.is_empty()).then(|| errors.join("; ")));
    let anonymizer = opts.anonymize.then(|| b.anonymize());

    let report_rows: Vec<_> = b
        .redactions
        .iter()
        .map(|(f, r, n)| json!({"file": f, "rule": r, "count": n}))
        .collect();
    let too_short = b.redactor.too_short.clone();
    b.add(
        "redaction-report.json",
        &serde_json::to_string_pretty(&json!({"rules_version": redact::RULES_VERSION, "redactions": report_rows, "too_short_to_search": too_short}))
            .unwrap_or_default(),
    );

    let files = file_entries(&b.members);
    let config_hash = files
        .iter()
        .find(|f| f.path == "config/effective.json")
        .map(|f| f.sha256.clone());
    let manifest = json!({
        "schema": SCHEMA,
        "nimbus_version": env!("CARGO_PKG_VERSION"),
        "providers": inputs.providers.iter().map(|p| p.name).collect::<Vec<_>>(),
        "os": {"family": std::env::consts::OS, "arch": std::env::consts::ARCH, "release": os_release()},
        "created_at": httpdate::fmt_http_date(created),
        // Redacted here, so the manifest returned is the one written.
        "args": opts.args.iter().map(|a| {
            let r = b.redactor.redact(a).0;
            match &anonymizer {
                Some(an) => an.apply(&r).0,
                None => r,
            }
        }).collect::<Vec<_>>(),
        "profile": report.profile,
        "effective_config_sha256": config_hash,
        "collectors": b.collectors,
        "files": files,
        "redaction": {"rules_version": redact::RULES_VERSION, "anonymized": opts.anonymize, "rounds": 1},
    });
    let manifest_text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    b.add("manifest.json", &manifest_text);

    no_leaks(&b.redactor, &b.members)?;
    let archive = write_archive(&b.members, created).map_err(|e| format!("cannot write the archive: {e}"))?;
    Ok(Bundle {
        archive,
        manifest,
        report,
        redactions: b.redactions,
    })
}

/// Fails closed: `Err` naming the member and the secret's source (never its value) when any
/// known secret, in any form, is anywhere in the members.
fn no_leaks(redactor: &Redactor, members: &[(String, Vec<u8>)]) -> Result<(), String> {
    for (path, data) in members {
        let leaks = redactor.leaks(data);
        if !leaks.is_empty() {
            return Err(format!(
                "bundle not written: {path} still contains {} (a redaction gap: please report it)",
                leaks.join(", ")
            ));
        }
    }
    Ok(())
}

fn write_archive(members: &[(String, Vec<u8>)], created: SystemTime) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = created
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (path, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_cksum();
        tar.append_data(&mut h, format!("nimbus-bundle/{path}"), data.as_slice())?;
    }
    tar.into_inner()?.finish()
}

/// The members of a bundle (`nimbus-bundle/` removed from the paths).
pub fn read(archive: &[u8]) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut out = Vec::new();
    for e in tar.entries()? {
        let mut e = e?;
        let path = e.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data)?;
        out.push((path.strip_prefix("nimbus-bundle/").unwrap_or(&path).to_string(), data));
    }
    Ok(out)
}

/// Re-redacts a bundle (`nimbus bundle redact`): every member but the manifest passes through
/// a fresh [`Redactor`] holding `literals` (secrets Nimbus could not know: an internal host
/// name, a password in a product's own log), the manifest's file list and hashes are
/// rewritten, the new counts are appended to the redaction report, and the final scan runs
/// again. Redacting a redacted bundle with the same literals changes no member but the
/// manifest's round counter (tokens are not secrets).
pub fn redact_bundle(archive: &[u8], literals: Vec<Literal>, anonymize: bool) -> Result<Bundle, String> {
    let members = read(archive).map_err(|e| format!("not a Nimbus bundle (tar.gz): {e}"))?;
    let mut manifest: serde_json::Value = members
        .iter()
        .find(|(p, _)| p == "manifest.json")
        .and_then(|(_, d)| serde_json::from_slice(d).ok())
        .ok_or("the bundle has no readable manifest.json")?;
    if manifest["schema"] != SCHEMA {
        return Err(format!("manifest schema {} is not {SCHEMA}", manifest["schema"]));
    }
    let mut b = Builder {
        redactor: Redactor::new(literals),
        members: Vec::new(),
        redactions: Vec::new(),
        collectors: Vec::new(),
    };
    let mut dropped = Vec::new();
    let mut old_report = serde_json::Value::Null;
    for (path, data) in &members {
        match (path.as_str(), std::str::from_utf8(data)) {
            ("manifest.json", _) => {}
            ("redaction-report.json", Ok(t)) => old_report = serde_json::from_str(t).unwrap_or_default(),
            (_, Ok(t)) => b.add(path, t),
            (_, Err(_)) => dropped.push(path.clone()),
        }
    }
    let anon = anonymize.then(|| b.anonymize());
    if let Some(a) = &anon {
        for x in manifest["args"].as_array_mut().into_iter().flatten() {
            if let Some(s) = x.as_str() {
                *x = json!(a.apply(s).0);
            }
        }
        for c in manifest["collectors"].as_array_mut().into_iter().flatten() {
            if let Some(e) = c["error"].as_str() {
                c["error"] = json!(a.apply(e).0);
            }
        }
        manifest["redaction"]["anonymized"] = json!(true);
    }
    let round = manifest["redaction"]["rounds"].as_u64().unwrap_or(1) + 1;
    let mut rows = old_report["redactions"].as_array().cloned().unwrap_or_default();
    rows.extend(
        b.redactions
            .iter()
            .map(|(f, r, n)| json!({"file": f, "rule": r, "count": n, "round": round})),
    );
    let report = json!({
        "rules_version": redact::RULES_VERSION,
        "redactions": rows,
        "too_short_to_search": old_report["too_short_to_search"],
        "dropped_not_utf8": dropped,
    });
    // The earlier rounds' rows name files too.
    let report_text = serde_json::to_string_pretty(&report).unwrap_or_default();
    let report_text = match &anon {
        Some(a) => a.apply(&report_text).0,
        None => report_text,
    };
    b.add("redaction-report.json", &report_text);
    let files = file_entries(&b.members);
    manifest["files"] = json!(files);
    manifest["redaction"]["rounds"] = json!(round);
    b.members.push((
        "manifest.json".into(),
        serde_json::to_string_pretty(&manifest).unwrap_or_default().into_bytes(),
    ));
    no_leaks(&b.redactor, &b.members)?;
    let doctor = b
        .members
        .iter()
        .find(|(p, _)| p == "doctor/results.json")
        .ok_or("the bundle has no doctor/results.json")?;
    let report = Report::from_json(&doctor.1).map_err(|e| format!("doctor/results.json: {e}"))?;
    let archive = write_archive(&b.members, SystemTime::now()).map_err(|e| format!("cannot write the archive: {e}"))?;
    Ok(Bundle {
        archive,
        manifest,
        report,
        redactions: b.redactions,
    })
}

/// Secrets given one per line (a `--literals` file of `bundle redact`); blank lines and lines
/// starting with `#` are skipped.
pub fn literals_from_lines(text: &str, origin: &str) -> Vec<Literal> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| Literal {
            source: format!("{origin} line {}", i + 1),
            value: l.trim().to_string(),
        })
        .collect()
}

/// What `bundle analyze` finds: members whose hash differs from the manifest (or that the
/// manifest does not list, or that are missing), and the stored doctor run.
#[derive(Debug)]
pub struct Analysis {
    /// Problems with the bundle's integrity (empty: every hash matches).
    pub integrity: Vec<String>,
    /// The doctor run it holds, with the analyzable verdicts derived again by this build's
    /// rules ([`crate::analyze`]).
    pub report: Report,
    /// The verdicts this build's rules change (empty: they agree with the stored run).
    pub changes: Vec<crate::analyze::Change>,
}

/// Checks a bundle's hashes against its manifest and reads its doctor run back.
pub fn analyze(archive: &[u8]) -> Result<Analysis, String> {
    let members = read(archive).map_err(|e| format!("not a Nimbus bundle (tar.gz): {e}"))?;
    let get = |p: &str| members.iter().find(|(n, _)| n == p).map(|(_, d)| d);
    let manifest: serde_json::Value = get("manifest.json")
        .and_then(|d| serde_json::from_slice(d).ok())
        .ok_or("the bundle has no readable manifest.json")?;
    if manifest["schema"] != SCHEMA {
        return Err(format!("manifest schema {} is not {SCHEMA}", manifest["schema"]));
    }
    let mut integrity = Vec::new();
    let listed = manifest["files"].as_array().cloned().unwrap_or_default();
    for f in &listed {
        let path = f["path"].as_str().unwrap_or("");
        match get(path) {
            None => integrity.push(format!("{path}: listed in the manifest, missing from the bundle")),
            Some(d) if hex(&Sha256::digest(d)) != f["sha256"].as_str().unwrap_or("") => {
                integrity.push(format!("{path}: sha256 differs from the manifest (edited?)"))
            }
            Some(_) => {}
        }
    }
    for (p, _) in &members {
        if p != "manifest.json" && !listed.iter().any(|f| f["path"] == p.as_str()) {
            integrity.push(format!("{p}: not listed in the manifest"));
        }
    }
    let stored = get("doctor/results.json")
        .ok_or("the bundle has no doctor/results.json")
        .and_then(|d| Report::from_json(d).map_err(|_| "doctor/results.json does not parse"))?;
    // Expiries are judged as of the bundle's making, not of its analysis.
    let at = manifest["created_at"]
        .as_str()
        .and_then(|t| httpdate::parse_http_date(t).ok())
        .unwrap_or_else(SystemTime::now);
    let (report, changes) = crate::analyze::reanalyze_report(&stored, at);
    Ok(Analysis {
        integrity,
        report,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_scan_refuses_a_member_that_still_holds_a_secret() {
        let r = Redactor::new(vec![Literal {
            source: "profile key password".into(),
            value: "planted-value-77".into(),
        }]);
        let clean = vec![("a.txt".to_string(), r.redact("x planted-value-77 y").0.into_bytes())];
        assert_eq!(no_leaks(&r, &clean), Ok(()));
        // As if a collector had bypassed redaction: raw in one member, base64 in another.
        let leaked = vec![
            ("logs/x".to_string(), b"u=planted-value-77%21".to_vec()),
            ("b64".to_string(), b"cGxhbnRlZC12YWx1ZS03Nw==".to_vec()),
        ];
        let e = no_leaks(&r, &leaked).unwrap_err();
        assert!(
            e.contains("logs/x") && e.contains("profile key password") && !e.contains("planted"),
            "{e}"
        );
        let e = no_leaks(&r, &leaked[1..]).unwrap_err();
        assert!(e.contains("b64"), "{e}");
    }
}
