//! `nimbus doctor` end to end: exit codes, fixes, sources, and planted secrets that must not
//! appear in any output.

use std::process::{Command, Output};

fn doctor(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nimbus"))
        .arg("doctor")
        .args(args)
        .env_remove("NIMBUS_PROFILE")
        .env_remove("NIMBUS_CONFIG")
        .env("NIMBUS_HOME", dir)
        .current_dir(dir)
        .output()
        .expect("run nimbus")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const PLANTED: &str = "planted-doctor-secret-key-5566";

fn write(dir: &std::path::Path, body: &str) -> String {
    let f = dir.join("nimbus.toml");
    std::fs::write(&f, body).unwrap();
    f.display().to_string()
}

#[test]
fn a_valid_profile_passes_with_sources_and_secrets_only_hinted() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        &format!(
            "default_profile = 'acme'\n[profiles.acme]\nprovider = 'aws'\n[profiles.acme.storage]\nregion = 'eu-west-1'\naccess_key_id = 'AKIDPLANTED0001'\nsecret_access_key = '{PLANTED}'\n"
        ),
    );
    for format in ["text", "json"] {
        let o = doctor(d.path(), &["--file", &f, "--evidence", "--format", format]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}");
        assert!(!out.contains(PLANTED), "secret printed: {out}");
        assert!(!out.contains("planted-doctor"), "part of the secret printed: {out}");
        assert!(out.contains("****5566"), "{out}");
        assert!(out.contains("eu-west-1") && out.contains(&format!("file {f}")), "{out}");
    }
    let o = doctor(d.path(), &["--file", &f, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "nimbus.doctor/v1");
    assert_eq!(v["profile"], "acme");
    assert_eq!(v["results"][0]["id"], "config.profile");
    assert_eq!(v["results"][0]["status"], "pass");
}

#[test]
fn a_broken_profile_exits_2_with_the_fix_and_skips_what_depends_on_it() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        &format!("[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nregoin = 'eu-west-1'\nsecret_access_key = '{PLANTED}'\n"),
    );
    let o = doctor(d.path(), &["--file", &f]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("[fail ] config.profile"), "{out}");
    assert!(
        out.contains("Try fixing it:") && out.contains("did you mean `region`"),
        "{out}"
    );
    assert!(
        out.contains("[skip ] config.settings.storage") && out.contains("skipped: config.profile failed"),
        "{out}"
    );
    assert!(!out.contains(PLANTED), "{out}");
    // A profile that does not exist is a configuration problem too.
    let o = doctor(d.path(), &["--file", &f, "--profile", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn all_profiles_gives_one_row_each_and_the_worst_exit() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "[profiles.good]\nprovider = 'local'\n[profiles.bad]\nprovider = 'local'\n[profiles.bad.storage]\nroot_dir = '/x'\n",
    );
    let o = doctor(d.path(), &["--file", &f, "--all-profiles"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    let good = out.lines().find(|l| l.starts_with("good")).expect(&out);
    let bad = out.lines().find(|l| l.starts_with("bad")).expect(&out);
    assert!(
        good.contains(" 0 ") && bad.contains(" 2 ") && bad.contains("config.profile"),
        "{out}"
    );
}
