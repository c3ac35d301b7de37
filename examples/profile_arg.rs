//! The clouds an example runs on, shared by the data examples (`parquet_query.rs` and
//! `datafusion/src/main.rs`, which include this file with `#[path]`): the profile named by the
//! first argument, else the default profile of `NIMBUS_CONFIG`, else the embedded store in
//! `scratch`, so an example runs with no account and no configuration.

use std::path::Path;

/// The clouds of the first command-line argument's profile (see the module docs).
pub fn clouds(scratch: &Path) -> nimbus::Result<nimbus::Clouds> {
    Ok(match std::env::args().nth(1) {
        Some(profile) => nimbus::Clouds::from_profile(Some(&profile))?,
        None if std::env::var_os("NIMBUS_CONFIG").is_some() => nimbus::Clouds::from_profile(None)?,
        None => {
            let root = scratch.to_string_lossy().replace('\\', "/");
            let text = format!("[profiles.demo]\nprovider = \"local\"\n[profiles.demo.storage]\nroot = \"{root}\"\n");
            let file = nimbus::config::ConfigFile::parse(&text, "example")?;
            let profile = nimbus::config::ProfileResolver::new(nimbus::schemas())
                .file(file)
                .resolve(Some("demo"))?;
            nimbus::Clouds::from_resolved(profile)
        }
    })
}
