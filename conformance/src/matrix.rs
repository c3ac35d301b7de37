//! The conformance matrix and the differences page, rendered from the suite's own
//! [`Report`]s (one per column) and the registry: one renderer, in the crate that defines the
//! report, instead of a second one re-reading its JSON.
//!
//! `nimbus matrix` (the CLI) reads the reports `scripts/conformance-matrix` wrote and the rows
//! the vendor-replay tests wrote, and writes `docs/conformance/matrix.md`,
//! `docs/differences.md` and one report page per column. A `fail` cell, a `differs` cell
//! without a registry entry with a source, a failed replay row, or a column below its
//! expected number of cases is a problem: the command then fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::registry::{entries, Entry};
use crate::{CaseResult, Outcome, Report};

/// One row proven against vendor material. The Azure ARM and Compute Engine replay tests
/// build one per test ([`ReplayRow::pass`]) and [`record`](ReplayRow::record) it as a JSON
/// line, one file per provider (`target/conformance/PROVIDER-…-replay.jsonl`); `nimbus
/// matrix` reads them back. Written and read here, so the format is defined once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayRow {
    /// Test name.
    pub case: String,
    /// `compute` or `network`.
    pub service: String,
    /// `pass` or `fail`.
    pub outcome: String,
    /// What proved it.
    pub proof: String,
    /// Requests the mock checked.
    pub requests: serde_json::Value,
    /// The API methods exercised (Compute Engine: the discovery ids), when the test names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    /// The vendor material that proved it (example files, recorded logs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixtures: Vec<String>,
}

impl ReplayRow {
    /// A passed row: `requests` checked by the mock, proven by `proof`; no methods or
    /// fixtures named yet (set the fields).
    pub fn pass(case: &str, service: &str, proof: &str, requests: usize) -> ReplayRow {
        ReplayRow {
            case: case.to_string(),
            service: service.to_string(),
            outcome: "pass".into(),
            proof: proof.to_string(),
            requests: requests.into(),
            methods: Vec::new(),
            fixtures: Vec::new(),
        }
    }

    /// Where the replay tests write their rows: the workspace's `target/conformance`, which
    /// `nimbus matrix` reads by default.
    pub fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/conformance")
    }

    /// Appends the row to `STEM-replay.jsonl` in [`ReplayRow::dir`] (`STEM` is
    /// `PROVIDER-…`, e.g. `azure-arm`: the matrix files it under `PROVIDER`).
    pub fn record(&self, stem: &str) -> std::io::Result<PathBuf> {
        self.record_in(&Self::dir(), stem)
    }

    /// [`ReplayRow::record`] into another directory (created if missing). The line is
    /// written in one call, so tests running in parallel do not interleave rows.
    pub fn record_in(&self, dir: &Path, stem: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{stem}-replay.jsonl"));
        let line = serde_json::to_string(self)? + "\n";
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
        f.write_all(line.as_bytes())?;
        Ok(path)
    }
}

/// Everything one matrix is rendered from.
#[derive(Debug, Clone, Default)]
pub struct Matrix {
    /// The columns, in order: each a report of one target.
    pub columns: Vec<Report>,
    /// Replay rows per provider.
    pub replays: BTreeMap<String, Vec<ReplayRow>>,
}

/// What [`Matrix::render`] produces.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `docs/conformance/matrix.md`.
    pub matrix: String,
    /// `docs/differences.md`.
    pub differences: String,
    /// One page per column (`docs/conformance/NAME.md`): the report, then its replay rows.
    pub pages: Vec<(String, String)>,
    /// Why the matrix is not green (empty when it is).
    pub problems: Vec<String>,
}

fn cell(report: &Report, c: Option<&CaseResult>, problems: &mut Vec<String>) -> String {
    let Some(c) = c else { return "—".into() };
    match c.outcome {
        Outcome::Pass => "pass".into(),
        Outcome::Unsupported => match &c.capability {
            Some(cap) => format!("unsupported (`{cap}`)"),
            None => "unsupported".into(),
        },
        Outcome::Differs => {
            let d = c.difference.clone().unwrap_or_default();
            let entry = entries()
                .iter()
                .find(|e| e.id == d && e.provider == report.provider && !e.source.is_empty());
            if entry.is_none() {
                problems.push(format!(
                    "{}/{}: differs as `{d}`, which has no registry entry with a source",
                    report.provider, c.id
                ));
            }
            format!("differs: [{d}](../differences.md#{}-{d})", report.provider)
        }
        Outcome::Fail => {
            problems.push(format!("{}/{}: fail: {}", report.provider, c.id, c.detail));
            "**fail**".into()
        }
    }
}

fn proofs(r: &Report) -> String {
    let set: BTreeSet<&str> = r.cases.iter().map(|c| c.proof.as_str()).collect();
    set.into_iter().collect::<Vec<_>>().join("; ")
}

fn replay_table(provider: &str, rows: &[ReplayRow], problems: &mut Vec<String>) -> Vec<String> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| (&a.service, &a.case).cmp(&(&b.service, &b.case)));
    let proof: BTreeSet<&str> = rows.iter().map(|r| r.proof.as_str()).collect();
    let mut md = vec![
        String::new(),
        format!("## {provider}: compute and network, proven against vendor material"),
        String::new(),
        format!(
            "No emulator exists; each row is an adapter test against {}. These rows are not the \
             portable cases above: the mock is scripted, not stateful.",
            proof.into_iter().collect::<Vec<_>>().join("; ")
        ),
        String::new(),
        "| test | service | outcome | proof | requests |".into(),
        "|---|---|---|---|---|".into(),
    ];
    for x in &rows {
        if x.outcome != "pass" {
            problems.push(format!("{provider} replay {}: {}", x.case, x.outcome));
        }
        md.push(format!(
            "| `{}` | {} | {} | {} | {} |",
            x.case, x.service, x.outcome, x.proof, x.requests
        ));
    }
    md
}

impl Matrix {
    /// Renders the matrix, the differences page (with `notes`, the hand-written part) and a
    /// page per column; `expect` gives the least number of cases a column must have run.
    pub fn render(&self, notes: &str, expect: &BTreeMap<String, usize>) -> Rendered {
        let mut problems = Vec::new();
        let mut order: Vec<&str> = Vec::new();
        for r in &self.columns {
            for c in &r.cases {
                if !order.contains(&c.id.as_str()) {
                    order.push(&c.id);
                }
            }
        }
        for (name, least) in expect {
            match self.columns.iter().find(|r| &r.provider == name) {
                Some(r) if r.summary.total >= *least => {}
                Some(r) => problems.push(format!(
                    "{name}: only {} cases ran, at least {least} expected",
                    r.summary.total
                )),
                None => problems.push(format!("{name}: no report")),
            }
        }
        let mut md: Vec<String> = vec![
            "# Conformance matrix".into(),
            String::new(),
            "Generated by `nimbus matrix` (called by `scripts/conformance-matrix`, which `scripts/test` runs) from"
                .into(),
            "one run of the suite against every provider; do not edit. Cells: `pass`; `unsupported` (the".into(),
            "capability is not declared and the typed error named it); `differs` (a declared difference, linked".into(),
            "to its registry entry and vendor source); `fail`; `—` (the case's service is not run on that target)."
                .into(),
            String::new(),
            "| provider | proven against | total | pass | unsupported | differs | fail |".into(),
            "|---|---|---|---|---|---|---|".into(),
        ];
        for r in &self.columns {
            let s = &r.summary;
            md.push(format!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.provider,
                proofs(r),
                s.total,
                s.pass,
                s.unsupported,
                s.differs,
                s.fail
            ));
        }
        md.push(String::new());
        let titles: Vec<&str> = self.columns.iter().map(|r| r.provider.as_str()).collect();
        md.push(format!("| case | {} |", titles.join(" | ")));
        md.push(format!("|---|{}", "---|".repeat(titles.len())));
        for id in &order {
            let cells: Vec<String> = self
                .columns
                .iter()
                .map(|r| cell(r, r.cases.iter().find(|c| c.id == *id), &mut problems))
                .collect();
            md.push(format!("| `{id}` | {} |", cells.join(" | ")));
        }
        let replays: BTreeMap<&String, Vec<String>> = self
            .replays
            .iter()
            .map(|(provider, rows)| (provider, replay_table(provider, rows, &mut problems)))
            .collect();
        for table in replays.values() {
            md.extend(table.iter().cloned());
        }
        md.push(String::new());
        md.push("Not in the matrix: live accounts (see `docs/live-conformance.md`).".into());

        let pages = self
            .columns
            .iter()
            .map(|r| {
                let mut page = r.to_markdown().trim_end().to_string();
                if let Some(table) = replays.get(&r.provider) {
                    page.push('\n');
                    page.push_str(&table.join("\n"));
                }
                page.push('\n');
                (r.provider.clone(), page)
            })
            .collect();

        Rendered {
            matrix: md.join("\n") + "\n",
            differences: self.differences(notes),
            pages,
            problems,
        }
    }

    fn differences(&self, notes: &str) -> String {
        let mut observed: BTreeMap<(String, String), String> = BTreeMap::new();
        for r in &self.columns {
            for c in r.cases.iter().filter(|c| c.outcome == Outcome::Differs) {
                let d = c.difference.clone().unwrap_or_default();
                observed.insert((r.provider.clone(), d), c.proof.clone());
            }
        }
        let mut dd: Vec<String> = [
            "# Known differences",
            "",
            "What a product team must know before promising a feature to a customer on each cloud.",
            "The tables are generated by `nimbus matrix` from the registry (`conformance/differences.toml`:",
            "add entries there) and the last matrix run; the notes below them come from",
            "`conformance/differences-notes.md`. Every entry is proven by its case on every run: the suite",
            "fails when a declared difference is no longer observed, or an undeclared one appears. `kind`:",
            "`provider` is how the real service behaves; `emulator` is a gap of the emulator CI runs that",
            "provider on (the real service behaves portably there).",
            "",
        ]
        .map(String::from)
        .to_vec();
        let mut providers: Vec<&str> = Vec::new();
        for e in entries() {
            if !providers.contains(&e.provider.as_str()) {
                providers.push(&e.provider);
            }
        }
        for provider in providers {
            dd.push(format!("## {provider}"));
            dd.push(String::new());
            dd.push("| id | case | kind | what differs | source | last run |".into());
            dd.push("|---|---|---|---|---|---|".into());
            let mut seen_ids = BTreeSet::new();
            for e in entries().iter().filter(|e| e.provider == provider) {
                if !seen_ids.insert(&e.id) {
                    continue;
                }
                dd.push(difference_row(e, observed.get(&(provider.to_string(), e.id.clone()))));
            }
            dd.push(String::new());
        }
        let notes = match notes.strip_prefix("<!--") {
            Some(rest) => rest.split_once("-->").map_or(rest, |(_, n)| n).trim_start_matches('\n'),
            None => notes,
        };
        dd.push("# Notes and models".into());
        dd.push(String::new());
        dd.push(notes.to_string());
        dd.join("\n").trim_end().to_string() + "\n"
    }
}

fn difference_row(e: &Entry, seen: Option<&String>) -> String {
    let last = match seen {
        Some(proof) => format!("observed ({proof})"),
        None if e.intermittent => "not observed this run (intermittent)".into(),
        None => "not run".into(),
    };
    let link = if e.source.starts_with("https://") {
        format!("<{}>", e.source)
    } else {
        format!("`{}`", e.source)
    };
    format!(
        "| <a id=\"{p}-{id}\"></a>`{id}` | `{case}` | {kind} | {desc} | {link} | {last} |",
        p = e.provider,
        id = e.id,
        case = e.case,
        kind = e.kind,
        desc = e.description.replace('|', "\\|"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Summary;

    fn report(provider: &str, rows: &[(&str, Outcome, Option<&str>)]) -> Report {
        let cases: Vec<CaseResult> = rows
            .iter()
            .map(|(id, o, d)| CaseResult {
                id: id.to_string(),
                service: "storage".into(),
                outcome: o.clone(),
                detail: "x".into(),
                capability: None,
                difference: d.map(str::to_string),
                proof: "embedded".into(),
                millis: 0,
            })
            .collect();
        Report {
            provider: provider.into(),
            summary: Summary {
                total: cases.len(),
                ..Default::default()
            },
            cases,
        }
    }

    #[test]
    fn fails_and_unregistered_differences_are_problems() {
        let m = Matrix {
            columns: vec![
                report("local", &[("storage.a", Outcome::Pass, None)]),
                report(
                    "aws",
                    &[
                        ("storage.a", Outcome::Fail, None),
                        ("storage.b", Outcome::Differs, Some("no-such-difference")),
                    ],
                ),
            ],
            replays: BTreeMap::new(),
        };
        let expect = BTreeMap::from([("local".to_string(), 5)]);
        let r = m.render("notes", &expect);
        assert_eq!(r.problems.len(), 3, "{:?}", r.problems);
        assert!(r.matrix.contains("| `storage.a` | pass | **fail** |"), "{}", r.matrix);
        assert!(r.matrix.contains("| `storage.b` | — | differs:"), "{}", r.matrix);
        assert!(r.differences.contains("local-fs-key-prefix-collision"));
        assert_eq!(r.pages.len(), 2);
    }

    #[test]
    fn a_registered_observed_difference_is_linked_and_marked_observed() {
        let m = Matrix {
            columns: vec![report(
                "local",
                &[(
                    "storage.key_and_prefix_coexist",
                    Outcome::Differs,
                    Some("local-fs-key-prefix-collision"),
                )],
            )],
            replays: BTreeMap::new(),
        };
        let r = m.render("<!-- hidden -->\nvisible", &BTreeMap::new());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.differences.contains("observed (embedded)"));
        assert!(r.differences.ends_with("visible\n"));
    }

    #[test]
    fn recorded_replay_rows_read_back_and_render() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = ReplayRow::pass("compute.list_sizes", "compute", "vendor-example replay", 2);
        a.fixtures = vec!["compute/examples/ListSizes.json".into()];
        let mut b = ReplayRow::pass("network.errors_typed", "network", "discovery schema", 3);
        b.methods = vec!["compute.networks.get".into()];
        a.record_in(dir.path(), "azure-arm").unwrap();
        let path = b.record_in(dir.path(), "azure-arm").unwrap();
        assert!(path.ends_with("azure-arm-replay.jsonl"));
        let rows: Vec<ReplayRow> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows, vec![a.clone(), b]);
        // A row without the optional fields (as older rows were) still reads.
        let old: ReplayRow =
            serde_json::from_str(r#"{"case":"c","service":"network","outcome":"pass","proof":"p","requests":1}"#)
                .unwrap();
        assert!(old.methods.is_empty() && old.fixtures.is_empty());

        let m = Matrix {
            columns: vec![report("azure", &[("storage.a", Outcome::Pass, None)])],
            replays: BTreeMap::from([("azure".to_string(), rows)]),
        };
        let r = m.render("notes", &BTreeMap::new());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(
            r.matrix
                .contains("| `compute.list_sizes` | compute | pass | vendor-example replay | 2 |"),
            "{}",
            r.matrix
        );
        assert!(r.pages[0].1.contains("`network.errors_typed`"));
    }
}
