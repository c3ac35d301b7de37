//! Judging observations and rendering reports (JSON, Markdown, JUnit XML).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cases::Case;
use crate::ctx::Observed;
use crate::Target;

/// The verdict of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Portable behaviour.
    Pass,
    /// Not the portable behaviour and not a declared difference, or a stale declaration.
    Fail,
    /// Capability not declared, and the typed unsupported error came back.
    Unsupported,
    /// A declared, observed difference.
    Differs,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// `storage`, `compute` or `network`.
    pub service: String,
    /// Verdict.
    pub outcome: Outcome,
    /// Reason, capability or difference id and what was seen.
    pub detail: String,
    /// Capability name for `unsupported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// Difference id for `differs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
    /// What proved the row (emulator, vendor-example replay, embedded, live).
    pub proof: String,
    /// Milliseconds taken.
    pub millis: u64,
}

/// Counts per outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Cases run.
    pub total: usize,
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Unsupported.
    pub unsupported: usize,
    /// Declared differences.
    pub differs: usize,
}

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Provider.
    pub provider: String,
    /// Rows.
    pub cases: Vec<CaseResult>,
    /// Counts.
    pub summary: Summary,
}

pub(crate) fn judge(target: &Target, case: &Case, observed: Result<Observed, String>, took: Duration) -> CaseResult {
    let declared: Vec<&crate::Difference> = target.differences.iter().filter(|d| d.case == case.id).collect();
    let service = case.service.as_str();
    let (outcome, detail, capability, difference) = match observed {
        Err(reason) => (Outcome::Fail, reason, None, None),
        Ok(Observed::Pass) if declared.iter().any(|d| d.intermittent) => (
            Outcome::Pass,
            format!("{} (intermittent difference `{}` not observed this run)", case.description, declared[0].id),
            None,
            None,
        ),
        Ok(Observed::Pass) if !declared.is_empty() => (
            Outcome::Fail,
            format!(
                "stale difference: `{}` is declared for this case but the portable behaviour was observed; remove the declaration",
                declared[0].id
            ),
            None,
            None,
        ),
        Ok(Observed::Pass) => (Outcome::Pass, case.description.to_string(), None, None),
        Ok(Observed::Unsupported(cap, why)) => (
            Outcome::Unsupported,
            match cap {
                Some(c) => format!("{c}: {why}"),
                None => why,
            },
            cap.map(|c| c.name().to_string()),
            None,
        ),
        Ok(Observed::Differs { id, detail }) => match target.difference(&id) {
            Some(d) if d.case == case.id => (
                Outcome::Differs,
                format!("{id}: {detail} — {} ({})", d.description, d.source),
                None,
                Some(id),
            ),
            _ => (
                Outcome::Fail,
                format!("undeclared difference `{id}`: {detail}"),
                None,
                None,
            ),
        },
    };
    CaseResult {
        id: case.id.to_string(),
        service: service.to_string(),
        outcome,
        detail,
        capability,
        difference,
        proof: target
            .proof
            .get(service)
            .cloned()
            .unwrap_or_else(|| "unspecified".into()),
        millis: took.as_millis() as u64,
    }
}

/// The row of a case whose whole service is not implemented by the adapter.
pub(crate) fn not_implemented(target: &Target, case: &Case, why: &str) -> CaseResult {
    let service = case.service.as_str();
    CaseResult {
        id: case.id.to_string(),
        service: service.to_string(),
        outcome: Outcome::Unsupported,
        detail: format!("{service} is not implemented by this adapter: {why}"),
        capability: None,
        difference: None,
        proof: target
            .proof
            .get(service)
            .cloned()
            .unwrap_or_else(|| "unspecified".into()),
        millis: 0,
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Report {
    pub(crate) fn new(target: &Target, cases: Vec<CaseResult>) -> Self {
        let mut summary = Summary {
            total: cases.len(),
            ..Default::default()
        };
        for c in &cases {
            match c.outcome {
                Outcome::Pass => summary.pass += 1,
                Outcome::Fail => summary.fail += 1,
                Outcome::Unsupported => summary.unsupported += 1,
                Outcome::Differs => summary.differs += 1,
            }
        }
        Report {
            provider: target.provider.clone(),
            cases,
            summary,
        }
    }

    /// `id: reason` of every failed case.
    pub fn failures(&self) -> Vec<String> {
        self.cases
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .map(|c| format!("{}: {}", c.id, c.detail))
            .collect()
    }

    /// Whether no case failed.
    pub fn ok(&self) -> bool {
        self.summary.fail == 0
    }

    /// Reads a report written by [`Report::to_json`].
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The JSON report: `{provider, cases: [{id, service, outcome, detail, …}], summary}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serialises")
    }

    /// A Markdown table.
    pub fn to_markdown(&self) -> String {
        let s = &self.summary;
        let mut out = format!(
            "# Conformance: `{}`\n\n{} cases: {} pass, {} unsupported, {} differs, {} fail.\n\n| case | service | outcome | proof | detail |\n|---|---|---|---|---|\n",
            self.provider, s.total, s.pass, s.unsupported, s.differs, s.fail
        );
        for c in &self.cases {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                c.id,
                c.service,
                match c.outcome {
                    Outcome::Pass => "pass",
                    Outcome::Fail => "**FAIL**",
                    Outcome::Unsupported => "unsupported",
                    Outcome::Differs => "differs",
                },
                c.proof,
                c.detail.replace('|', "\\|").replace('\n', " ")
            ));
        }
        out
    }

    /// JUnit XML: one testsuite per service; unsupported and differs are skipped tests with
    /// their reason, failures are failures.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<testsuites name=\"nimbus-conformance-{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
            xml(&self.provider),
            self.summary.total,
            self.summary.fail,
            self.summary.unsupported + self.summary.differs
        ));
        for svc in ["storage", "compute", "network"] {
            let rows: Vec<&CaseResult> = self.cases.iter().filter(|c| c.service == svc).collect();
            if rows.is_empty() {
                continue;
            }
            let fails = rows.iter().filter(|c| c.outcome == Outcome::Fail).count();
            let skips = rows
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Unsupported | Outcome::Differs))
                .count();
            out.push_str(&format!(
                "  <testsuite name=\"{}.{svc}\" tests=\"{}\" failures=\"{fails}\" skipped=\"{skips}\">\n",
                xml(&self.provider),
                rows.len()
            ));
            for c in rows {
                out.push_str(&format!(
                    "    <testcase classname=\"{}.{svc}\" name=\"{}\" time=\"{:.3}\">",
                    xml(&self.provider),
                    xml(&c.id),
                    c.millis as f64 / 1000.0
                ));
                match c.outcome {
                    Outcome::Pass => {}
                    Outcome::Fail => out.push_str(&format!("<failure message=\"{}\"/>", xml(&c.detail))),
                    Outcome::Unsupported => {
                        out.push_str(&format!("<skipped message=\"unsupported: {}\"/>", xml(&c.detail)))
                    }
                    Outcome::Differs => out.push_str(&format!("<skipped message=\"differs: {}\"/>", xml(&c.detail))),
                }
                out.push_str("</testcase>\n");
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}
