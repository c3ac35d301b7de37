//! The `nimbus` binary end to end, as a user runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn nimbus(home: &std::path::Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nimbus"));
    c.args(args)
        .env("NIMBUS_HOME", home)
        .env_remove("NIMBUS_PROFILE")
        .env_remove("NIMBUS_CONFIG")
        .current_dir(home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run nimbus");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn storage_round_trip_through_stdin_and_stdout() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("store");
    let r = root.display().to_string();
    assert!(nimbus(home.path(), &["storage", "init", &r], None).status.success());
    assert!(
        nimbus(home.path(), &["storage", "mb", &format!("file://{r}/bkt")], None)
            .status
            .success()
    );
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let put = nimbus(
        home.path(),
        &["storage", "put", "-", &format!("file://{r}/bkt/dir/data.bin")],
        Some(&data),
    );
    assert!(put.status.success(), "{}", text(&put.stderr));
    let got = nimbus(
        home.path(),
        &["storage", "get", &format!("file://{r}/bkt/dir/data.bin"), "-"],
        None,
    );
    assert!(got.status.success(), "{}", text(&got.stderr));
    assert_eq!(got.stdout, data);
    let ls = nimbus(home.path(), &["storage", "ls", "-r", &format!("file://{r}/bkt")], None);
    assert!(
        text(&ls.stdout).contains("300000  dir/data.bin"),
        "{}",
        text(&ls.stdout)
    );
}

#[test]
fn bad_input_is_one_clear_line_and_a_non_zero_exit() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("store");
    let r = root.display().to_string();
    nimbus(home.path(), &["storage", "init", &r], None);
    let out = nimbus(home.path(), &["storage", "mb", &format!("file://{r}/Bad_Bucket")], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("invalid bucket name"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = nimbus(home.path(), &["network", "create", "net", "10.0.0.1/16"], None);
    assert!(
        text(&out.stderr).contains("did you mean 10.0.0.0/16"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn config_check_prints_every_problem_and_never_a_secret() {
    let home = tempfile::tempdir().unwrap();
    let f = home.path().join("nimbus.toml");
    std::fs::write(
        &f,
        "[profiles.acme]\nprovder = 'local'\n[profiles.acme.storage]\nrot = '/x'\n[profiles.acme.compute]\nmax_instances = 'many'\n",
    )
    .unwrap();
    let out = nimbus(home.path(), &["config", "check", f.to_str().unwrap()], None);
    assert!(!out.status.success());
    let o = text(&out.stdout);
    assert!(o.contains("did you mean `provider`"), "{o}");
    assert!(o.contains("did you mean `root`"), "{o}");
    assert!(o.contains("`many`: expected a non-negative integer"), "{o}");
    assert_eq!(o.lines().count(), 3, "{o}");
}

#[test]
fn compute_lifecycle_with_profile_state_shared_between_processes() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(
        h.join("nimbus.toml"),
        "[profiles.fast.compute]\ntransition_time = '20ms'\n[profiles.fast.network]\ntransition_time = '20ms'\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut a = vec!["--profile", "fast"];
        a.extend_from_slice(args);
        let o = nimbus(h, &a, None);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        text(&o.stdout)
    };
    let created = run(&[
        "compute",
        "create",
        "vm-1",
        "--min-vcpus",
        "2",
        "--label",
        "team=a",
        "--wait",
    ]);
    assert!(created.contains("running"), "{created}");
    let id = created.split_whitespace().next().unwrap().to_string();
    assert!(run(&["compute", "ls", "--label", "team=a"]).contains(&id));
    assert!(run(&["compute", "ls", "--label", "team=b"]).trim().is_empty());
    assert!(run(&["compute", "stop", &id, "--wait"]).contains("stopped"));
    assert!(run(&["compute", "terminate", &id, "--wait"]).contains("terminated"));

    // A create run again with its request id (a job restarted after a crash) prints the
    // instance the first run made; there is one instance with that token.
    let token = "6f1c7a6e-3b0e-4c43-9c1e-2f7a0b5d9e11";
    let create = ["compute", "create", "vm-2", "--request-id", token, "--label", "team=c"];
    let first = run(&create);
    let second = run(&create);
    let id2 = first.split_whitespace().next().unwrap().to_string();
    assert_eq!(
        second.split_whitespace().next(),
        Some(id2.as_str()),
        "{first} / {second}"
    );
    assert_eq!(run(&["compute", "ls", "--label", "team=c"]).lines().count(), 1);

    // The same for a network.
    let token = "2b7e1f0c-8d4a-4e6b-9f3c-5a1d2e3f4b6c";
    let create = ["network", "create", "net-r", "10.9.0.0/16", "--request-id", token];
    let first = run(&create);
    let second = run(&create);
    assert_eq!(
        first.split_whitespace().next(),
        second.split_whitespace().next(),
        "{first} / {second}"
    );
    let listed = run(&["network", "ls"]);
    assert_eq!(listed.lines().filter(|l| l.contains("net-r")).count(), 1, "{listed}");
}

#[test]
fn storage_commands_use_the_profile_for_plain_bucket_paths() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let root = h.join("acme-store");
    std::fs::write(
        h.join("nimbus.toml"),
        format!(
            "[profiles.acme.storage]\nroot = '{}'\n[profiles.other.storage]\nroot = '{}'\n",
            root.display(),
            h.join("other-store").display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| nimbus(h, args, Some(b"from the profile"));
    for args in [
        &["--profile", "acme", "storage", "mb", "reports"][..],
        &["--profile", "acme", "storage", "put", "-", "reports/q4.txt"][..],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    }
    let got = run(&["--profile", "acme", "storage", "get", "reports/q4.txt", "-"]);
    assert_eq!(text(&got.stdout), "from the profile");
    // The object is a plain file under the profile's root, and another profile does not see it.
    assert_eq!(
        std::fs::read_to_string(root.join("reports/q4.txt")).unwrap(),
        "from the profile"
    );
    let other = run(&["--profile", "other", "storage", "get", "reports/q4.txt", "-"]);
    assert!(!other.status.success());
    assert!(text(&other.stderr).contains("not"), "{}", text(&other.stderr));
}

/// `nimbus conformance` against a live Compute Engine project comes from the profile: the
/// target's compute and network are the profile's (proof `live: Compute Engine`). Here the
/// API root is a closed port, so the run fails, visibly and without hanging; a profile
/// whose compute is not Google's is refused with what to set.
#[cfg(feature = "gcp")]
#[test]
fn live_compute_and_network_come_from_the_profile() {
    let home = tempfile::tempdir().unwrap();
    let svc =
        "project = 'p'\nzone = 'us-central1-a'\ncompute_endpoint = 'http://127.0.0.1:9/compute/v1'\nanonymous = true\n";
    std::fs::write(
        home.path().join("nimbus.toml"),
        format!(
            "[profiles.gce]\nprovider = 'gcp'\n[profiles.gce.storage]\nprovider = 'local'\n\
             [profiles.gce.compute]\n{svc}[profiles.gce.network]\n{svc}[profiles.onprem]\nprovider = 'local'\n"
        ),
    )
    .unwrap();
    let run = |profile: &str| {
        let args = [
            "--profile",
            profile,
            "conformance",
            "--provider",
            "gcp",
            "--services",
            "compute,network",
            "--filter",
            "regions",
            "--format",
            "json",
        ];
        nimbus(home.path(), &args, None)
    };
    let out = run("gce");
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &report["cases"][0];
    assert_eq!(row["outcome"], "fail", "{row}");
    assert_eq!(row["proof"], "live: Google Cloud", "{row}");
    assert!(row["detail"].as_str().unwrap().contains("unavailable"), "{row}");
    let out = run("onprem");
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(e.contains("compute provider is not `gcp`"), "{e}");
}

#[test]
fn the_openstack_profile_example_validates_and_typos_get_a_suggestion() {
    let home = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/profiles/openstack.toml");
    let out = nimbus(home.path(), &["config", "check", example], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let f = home.path().join("nimbus.toml");
    std::fs::write(
        &f,
        "[profiles.c]\nprovider = 'openstack'\n[profiles.c.compute]\nauth_ur = 'https://k/v3'\npassword = 'planted-os-password-7788'\ninsecure = 'maybe'\n",
    )
    .unwrap();
    let out = nimbus(home.path(), &["config", "check", f.to_str().unwrap()], None);
    assert!(!out.status.success());
    let o = text(&out.stdout);
    assert!(o.contains("did you mean `auth_url`"), "{o}");
    assert!(o.contains("`maybe`: expected"), "{o}");
    assert!(!o.contains("planted-os-password-7788"), "{o}");
}

#[test]
fn the_libvirt_profile_example_validates_and_bad_uris_are_named() {
    let home = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/profiles/libvirt.toml");
    let out = nimbus(home.path(), &["config", "check", example], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let f = home.path().join("nimbus.toml");
    std::fs::write(
        &f,
        "[profiles.c]\nprovider = 'libvirt'\n[profiles.c.compute]\nuir = 'qemu:///system'\nshutdown_timeout = 'soon'\n",
    )
    .unwrap();
    let out = nimbus(home.path(), &["config", "check", f.to_str().unwrap()], None);
    assert!(!out.status.success());
    let o = text(&out.stdout);
    assert!(o.contains("did you mean `uri`"), "{o}");
    assert!(o.contains("`soon`: expected"), "{o}");
}
