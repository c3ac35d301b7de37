//! The template passes the whole suite on day one: every case is `unsupported` (with the
//! service named as not implemented, or the capability it lacks), none fails. Keep this test
//! in the new adapter (every case is a named test: `template::storage.put_get_round_trip`)
//! and point it at an emulator as soon as one call works.

use nimbus_conformance::{open_target, TargetSpec, Trials};

fn main() {
    Trials::new()
        .target("template", || async {
            let opened = open_target(TargetSpec {
                provider: &nimbus_template::PROVIDER,
                emulator: None,
                services: Vec::new(),
                settings: Default::default(),
            })
            .await
            .unwrap();
            Some(opened.target)
        })
        .main()
}
