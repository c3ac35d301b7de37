//! Results, their rendering (text for people, JSON for machines) and the exit code.
//!
//! Exit codes are troubleshoot's, so scripts that already wrap its preflights read ours the
//! same way: 0 pass, 1 a check could not run (`error`), 2 configuration problem, 3 a check
//! failed, 4 warnings only (with `strict`, warnings fail: 3). `skip` never changes the code.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fine.
    Pass,
    /// Works, but something will bite.
    Warn,
    /// Broken: the fix says what to do.
    Fail,
    /// Not run: a precondition failed (the message says which).
    Skip,
    /// The check itself could not run.
    Error,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }
}

/// The layers, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The profile validates; effective settings and their sources.
    Configuration,
    /// Proxy and CA variables, and the route to each endpoint.
    Environment,
    /// DNS, TCP, TLS and HTTP per endpoint.
    Network,
    /// Skew from each server's `Date`.
    Clock,
    /// Whether the credentials are accepted.
    Access,
    /// Who the credentials belong to, against the profile's `expect` table.
    Identity,
    /// What the credentials may do, checked without doing it.
    Permissions,
    /// Read (and, with `--write-probe`, write) probes on the data the product uses.
    Data,
}

impl Layer {
    /// Title for text output.
    pub fn title(self) -> &'static str {
        match self {
            Layer::Configuration => "Configuration",
            Layer::Environment => "Environment",
            Layer::Network => "Network",
            Layer::Clock => "Clock",
            Layer::Access => "Access",
            Layer::Identity => "Identity",
            Layer::Permissions => "Permissions",
            Layer::Data => "Data plane",
        }
    }

    /// Where `docs/operability.md` explains the layer's checks.
    pub fn docs(self) -> &'static str {
        match self {
            Layer::Configuration => "docs/operability.md#configuration",
            Layer::Environment => "docs/operability.md#environment",
            Layer::Network => "docs/operability.md#network",
            Layer::Clock => "docs/operability.md#clock",
            Layer::Access => "docs/operability.md#access",
            Layer::Identity => "docs/operability.md#identity",
            Layer::Permissions => "docs/operability.md#permissions",
            Layer::Data => "docs/operability.md#data-plane",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable dotted id (`config.profile`, `config.settings.storage`).
    pub id: String,
    /// Layer.
    pub layer: Layer,
    /// Outcome.
    pub status: Status,
    /// One line.
    pub message: String,
    /// What to do, when something is wrong.
    pub fix: Option<String>,
    /// Where `docs/operability.md` explains it.
    pub docs: String,
    /// What was observed (never a secret value).
    pub evidence: serde_json::Value,
    /// How long it took.
    pub duration_ms: u64,
}

impl CheckResult {
    /// A result of `layer` with its docs anchor, no fix, no evidence, no duration.
    pub fn new(layer: Layer, id: impl Into<String>, status: Status, message: impl Into<String>) -> Self {
        CheckResult {
            id: id.into(),
            layer,
            status,
            message: message.into(),
            fix: None,
            docs: layer.docs().into(),
            evidence: serde_json::Value::Null,
            duration_ms: 0,
        }
    }

    /// `skip`, saying which precondition failed.
    pub fn skipped(layer: Layer, id: impl Into<String>, because: &str) -> Self {
        Self::new(layer, id, Status::Skip, format!("skipped: {because}"))
    }

    /// With the fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// With the evidence.
    pub fn evidence(mut self, evidence: serde_json::Value) -> Self {
        self.evidence = evidence;
        self
    }

    /// With the duration since `t`.
    pub fn since(mut self, t: std::time::Instant) -> Self {
        self.duration_ms = t.elapsed().as_millis() as u64;
        self
    }
}

/// Every result of one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Format marker for machines.
    pub schema: &'static str,
    /// Profile diagnosed.
    pub profile: String,
    /// Results, layer by layer.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// An empty report of a profile.
    pub fn new(profile: impl Into<String>) -> Self {
        Report {
            schema: "nimbus.doctor/v1",
            profile: profile.into(),
            results: Vec::new(),
        }
    }

    /// A report read back from its JSON ([`Report::to_json`]), e.g. from a support bundle.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if v["schema"] != "nimbus.doctor/v1" {
            return Err(format!("schema {} is not nimbus.doctor/v1", v["schema"]));
        }
        Ok(Report {
            schema: "nimbus.doctor/v1",
            profile: v["profile"].as_str().unwrap_or("").to_string(),
            results: serde_json::from_value(v["results"].clone()).map_err(|e| e.to_string())?,
        })
    }

    /// The exit code (module docs).
    pub fn exit_code(&self, strict: bool) -> i32 {
        let any = |s: Status| self.results.iter().any(|r| r.status == s);
        let config_failed = self
            .results
            .iter()
            .any(|r| r.layer == Layer::Configuration && r.status == Status::Fail);
        if config_failed {
            2
        } else if any(Status::Fail) || (strict && any(Status::Warn)) {
            3
        } else if any(Status::Error) {
            1
        } else if any(Status::Warn) {
            4
        } else {
            0
        }
    }

    /// "N/M passed" of a layer (skipped checks are not counted).
    pub fn layer_summary(&self, layer: Layer) -> (usize, usize) {
        let ran: Vec<&CheckResult> = self
            .results
            .iter()
            .filter(|r| r.layer == layer && r.status != Status::Skip)
            .collect();
        (ran.iter().filter(|r| r.status == Status::Pass).count(), ran.len())
    }

    /// JSON for machines.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises")
    }

    /// Text for people: grouped by layer, each check with its status, id and message, then
    /// the fix and the docs anchor of what is not fine; `verbose` adds the evidence.
    pub fn render_text(&self, verbose: bool) -> String {
        let mut out = format!("nimbus doctor: profile `{}`\n", self.profile);
        let mut layers: Vec<Layer> = self.results.iter().map(|r| r.layer).collect();
        layers.dedup();
        for layer in layers {
            let (ok, ran) = self.layer_summary(layer);
            let _ = writeln!(out, "\n{} ({ok}/{ran} passed)", layer.title());
            for r in self.results.iter().filter(|r| r.layer == layer) {
                let _ = writeln!(
                    out,
                    "  [{:<5}] {:<28} {} ({} ms)",
                    r.status.as_str(),
                    r.id,
                    r.message,
                    r.duration_ms
                );
                if r.status != Status::Pass && r.status != Status::Skip {
                    if let Some(f) = &r.fix {
                        for (i, line) in f.lines().enumerate() {
                            let lead = if i == 0 { "Try fixing it:" } else { "              " };
                            let _ = writeln!(out, "          {lead} {line}");
                        }
                    }
                    let _ = writeln!(out, "          Docs: {}", r.docs);
                }
                if verbose && !r.evidence.is_null() {
                    let ev = serde_json::to_string_pretty(&r.evidence).unwrap_or_default();
                    for line in ev.lines() {
                        let _ = writeln!(out, "          | {line}");
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(layer: Layer, status: Status) -> CheckResult {
        CheckResult {
            id: "x".into(),
            layer,
            status,
            message: "m".into(),
            fix: Some("do this".into()),
            docs: "docs/operability.md#x".into(),
            evidence: serde_json::Value::Null,
            duration_ms: 0,
        }
    }

    #[test]
    fn exit_codes_follow_the_worst_status() {
        let mut r = Report::new("p");
        assert_eq!(r.exit_code(false), 0);
        r.results.push(result(Layer::Configuration, Status::Skip));
        assert_eq!(r.exit_code(true), 0);
        r.results.push(result(Layer::Configuration, Status::Warn));
        assert_eq!((r.exit_code(false), r.exit_code(true)), (4, 3));
        r.results.push(result(Layer::Configuration, Status::Error));
        assert_eq!(r.exit_code(false), 1);
        r.results.push(result(Layer::Configuration, Status::Fail));
        assert_eq!(r.exit_code(false), 2);
        assert_eq!(r.layer_summary(Layer::Configuration), (0, 3));
        let text = r.render_text(false);
        assert!(
            text.contains("Configuration (0/3 passed)") && text.contains("Try fixing it: do this"),
            "{text}"
        );
    }
}
