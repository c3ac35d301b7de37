//! A product's installer running Nimbus's preflight before it installs anything: the checks of
//! `nimbus doctor` (configuration, proxy and CA variables, DNS/TCP/TLS/HTTP per endpoint, clock
//! skew, credentials and whose they are, and, when the profile names the product's bucket in
//! `[profiles.NAME.expect]`, a write probe there) through the library, with the installer's own
//! policy (`nimbus_examples::preflight`): stop on a configuration problem or a failed check, go
//! on with warnings shown.
//!
//! Run: `cargo run -p nimbus-examples --example preflight -- [PROFILE]`
//! (the profile file is NIMBUS_CONFIG or ./nimbus.toml; without one, the `default` profile is
//! the embedded `local` provider, which has no endpoint to probe).

use std::collections::BTreeMap;

use nimbus::config::{default_config_path, ConfigFile};
use nimbus_doctor::Inputs;

#[tokio::main]
async fn main() {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let file = match default_config_path(&env).map(|p| ConfigFile::load(&p)).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot read the profile file: {e}");
            std::process::exit(2);
        }
    };
    let inputs = Inputs {
        schemas: nimbus::schemas(),
        providers: nimbus::registry().all().to_vec(),
        file,
        env,
        profile: std::env::args().nth(1),
        services: Vec::new(),
        offline: false,
        // The bucket named by the profile's `expect.bucket`; an installer wants to know it can
        // write there before it installs.
        bucket: None,
        write_probe: true,
    };
    match nimbus_examples::preflight(&inputs).await {
        Ok(warnings) => {
            for w in &warnings {
                println!("warning: {w}");
            }
            println!("preflight passed: installing");
        }
        Err(why) => {
            eprintln!("{why}\nrun `nimbus doctor` for the fixes");
            std::process::exit(3);
        }
    }
}
