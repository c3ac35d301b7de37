//! `nimbus matrix …`: renders the conformance matrix from the reports of one run.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use nimbus_conformance::matrix::{Matrix, ReplayRow};
use nimbus_conformance::Report;

#[derive(Args)]
pub struct MatrixArgs {
    /// The columns, in order: the report names (`DIR/NAME.json`, as `nimbus conformance
    /// --out-dir DIR` wrote them).
    #[arg(required = true)]
    columns: Vec<String>,
    /// Where the reports and the vendor-replay rows (`PROVIDER-…-replay.jsonl`) are.
    #[arg(long, default_value = "target/conformance")]
    reports: PathBuf,
    /// Where to write `conformance/matrix.md`, `conformance/NAME.md` and `differences.md`.
    #[arg(long, default_value = "docs")]
    docs: PathBuf,
    /// The hand-written notes appended to the differences page.
    #[arg(long, default_value = "conformance/differences-notes.md")]
    notes: PathBuf,
    /// A column must have run at least this many cases: `NAME=MIN` (repeatable).
    #[arg(long, value_parser = parse_expect)]
    expect: Vec<(String, usize)>,
}

fn parse_expect(s: &str) -> Result<(String, usize), String> {
    let (name, n) = s.split_once('=').ok_or("expected NAME=MIN")?;
    Ok((
        name.to_string(),
        n.parse().map_err(|_| format!("`{n}` is not a number"))?,
    ))
}

pub fn run(a: MatrixArgs) -> Result<()> {
    let mut m = Matrix::default();
    for name in &a.columns {
        let path = a.reports.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: run scripts/conformance-matrix first", path.display()))?;
        m.columns.push(
            Report::from_json(&text)
                .map_err(anyhow::Error::msg)
                .with_context(|| path.display().to_string())?,
        );
    }
    for entry in std::fs::read_dir(&a.reports)? {
        let path = entry?.path();
        let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let Some(stem) = file.strip_suffix("-replay.jsonl") else {
            continue;
        };
        let provider = stem.split('-').next().unwrap_or(stem).to_string();
        let rows = m.replays.entry(provider).or_default();
        for line in std::fs::read_to_string(&path)?.lines().filter(|l| !l.trim().is_empty()) {
            rows.push(serde_json::from_str::<ReplayRow>(line).with_context(|| path.display().to_string())?);
        }
    }
    let notes = std::fs::read_to_string(&a.notes).with_context(|| a.notes.display().to_string())?;
    let expect: BTreeMap<String, usize> = a.expect.into_iter().collect();
    let r = m.render(&notes, &expect);
    let dir = a.docs.join("conformance");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("matrix.md"), &r.matrix)?;
    for (name, page) in &r.pages {
        std::fs::write(dir.join(format!("{name}.md")), page)?;
    }
    std::fs::write(a.docs.join("differences.md"), &r.differences)?;
    for c in &m.columns {
        let s = &c.summary;
        eprintln!(
            "{}: {} cases, {} pass, {} unsupported, {} differs, {} fail",
            c.provider, s.total, s.pass, s.unsupported, s.differs, s.fail
        );
    }
    if !r.problems.is_empty() {
        bail!("matrix problems:\n  {}", r.problems.join("\n  "));
    }
    Ok(())
}
