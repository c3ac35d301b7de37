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
        bucket: None,
        write_probe: true,
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

#[tokio::test]
async fn the_products_bucket_is_probed_by_a_write_and_a_missing_one_is_named() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("store");
    let body = |bucket: &str| {
        format!(
            "[profiles.default]\nprovider = 'local'\n[profiles.default.storage]\nroot = '{}'\n[profiles.default.expect]\nbucket = '{bucket}'\n",
            root.display()
        )
    };
    let missing = inputs(d.path(), &body("acme-data"));
    let why = nimbus_examples::preflight(&missing).await.unwrap_err();
    assert!(
        why.contains("data.storage.list") && why.contains("create bucket `acme-data`"),
        "{why}"
    );

    let clouds = nimbus::Clouds::from_resolved(
        nimbus::config::ProfileResolver::new(nimbus::schemas())
            .file(missing.file.clone().unwrap())
            .resolve(None)
            .unwrap(),
    );
    let s = clouds.storage().await.unwrap();
    s.create_bucket("acme-data", &Default::default()).await.unwrap();
    let ok = inputs(d.path(), &body("acme-data"));
    assert_eq!(nimbus_examples::preflight(&ok).await, Ok(Vec::new()));
    let report = nimbus_doctor::diagnose(&ok).await;
    let write = report.results.iter().find(|r| r.id == "data.storage.write").unwrap();
    assert_eq!(write.status, nimbus_doctor::Status::Pass, "{}", write.message);
    // The sentinel is gone: nothing of the probe is left in the customer's bucket.
    let left = s.list_page("acme-data", &Default::default(), None).await.unwrap();
    assert!(left.objects.is_empty(), "{:?}", left.objects);
}
