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
