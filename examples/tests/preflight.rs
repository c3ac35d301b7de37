//! The installer's preflight policy (`nimbus_examples::preflight`) on a healthy embedded
//! profile and on a broken one.

use std::collections::BTreeMap;

use nimbus::config::ConfigFile;
use nimbus_doctor::Inputs;

fn inputs(dir: &std::path::Path, body: &str) -> Inputs {
    let f = dir.join("nimbus.toml");
    std::fs::write(&f, body).unwrap();
    Inputs {
        schemas: nimbus::schemas(),
        providers: nimbus::registry().all().to_vec(),
        file: Some(ConfigFile::load(&f).unwrap()),
        env: BTreeMap::new(),
        profile: None,
        services: Vec::new(),
        offline: false,
    }
}

#[tokio::test]
async fn a_healthy_profile_installs_and_a_broken_one_is_refused_with_the_reason() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("store");
    let ok = inputs(
        d.path(),
        &format!(
            "[profiles.default]\nprovider = 'local'\n[profiles.default.storage]\nroot = '{}'\n",
            root.display()
        ),
    );
    assert_eq!(nimbus_examples::preflight(&ok).await, Ok(Vec::new()));
    let broken = inputs(
        d.path(),
        "[profiles.default]\nprovider = 'local'\n[profiles.default.storage]\nroto = '/x'\n",
    );
    let why = nimbus_examples::preflight(&broken).await.unwrap_err();
    assert!(why.contains("exit 2") && why.contains("config.profile"), "{why}");
}
