//! Example code of the Nimbus facade. The interesting parts are `quickstart.rs` (the main
//! job on the embedded cloud) and `tests/mock_usage.rs` (unit-testing product code with the
//! mockall mocks).

use nimbus::prelude::*;

/// Product code of the kind a team writes once: archive a report unless one exists already.
/// Returns whether it wrote.
pub async fn archive_report(storage: &dyn Storage, bucket: &str, name: &str, body: &str) -> Result<bool> {
    let key = format!("reports/{name}.csv");
    let opts = PutOptions::with_mode(PutMode::Create).content_type("text/csv");
    match storage.put(bucket, &key, body.to_string().into(), &opts).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// An installer's preflight policy over `nimbus doctor`'s checks (run through the library,
/// `examples/preflight.rs`): refuse to install on a configuration problem, a failed check or a
/// check that could not run; install with warnings, listing them.
pub async fn preflight(inputs: &nimbus_doctor::Inputs) -> std::result::Result<Vec<String>, String> {
    let report = nimbus_doctor::diagnose(inputs).await;
    let problems = |statuses: &[nimbus_doctor::Status]| -> Vec<String> {
        report
            .results
            .iter()
            .filter(|r| statuses.contains(&r.status))
            .map(|r| match &r.fix {
                Some(f) => format!("{}: {} (fix: {f})", r.id, r.message),
                None => format!("{}: {}", r.id, r.message),
            })
            .collect()
    };
    match report.exit_code(false) {
        0 | 4 => Ok(problems(&[nimbus_doctor::Status::Warn])),
        code => Err(format!(
            "preflight failed (exit {code}):\n{}",
            problems(&[nimbus_doctor::Status::Fail, nimbus_doctor::Status::Error]).join("\n")
        )),
    }
}
