//! `nimbus doctor` end to end: exit codes, fixes, sources, and planted secrets that must not
//! appear in any output.

mod support;

use std::process::{Command, Output};

fn doctor(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nimbus"));
    support::without_proxy_env(&mut c)
        .arg("doctor")
        .args(args)
        .env_remove("NIMBUS_PROFILE")
        .env_remove("NIMBUS_CONFIG")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
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

/// The values of the emulators' `vars`, or `None` when they were not started (a failure
/// instead when `NIMBUS_REQUIRE_EMULATORS` is set, as the test command sets it).
fn started<const N: usize>(vars: [&str; N]) -> Option<[String; N]> {
    let values: Vec<String> = vars.iter().filter_map(|v| std::env::var(v).ok()).collect();
    if values.len() < N {
        assert!(
            std::env::var("NIMBUS_REQUIRE_EMULATORS").is_err(),
            "not started: {}",
            vars.join(", ")
        );
        return None;
    }
    values.try_into().ok()
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
        // Offline: the profile names the public S3 endpoint, which tests never contact.
        let o = doctor(d.path(), &["--file", &f, "--offline", "--evidence", "--format", format]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}");
        assert!(!out.contains(PLANTED), "secret printed: {out}");
        assert!(!out.contains("planted-doctor"), "part of the secret printed: {out}");
        assert!(out.contains("****5566"), "{out}");
        assert!(out.contains("eu-west-1") && out.contains(&format!("file {f}")), "{out}");
    }
    let o = doctor(d.path(), &["--file", &f, "--offline", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "nimbus.doctor/v1");
    assert_eq!(v["profile"], "acme");
    assert_eq!(v["results"][0]["id"], "config.profile");
    assert_eq!(v["results"][0]["status"], "pass");
}

/// Keys the profile leaves unset come from the provider's own variables, shown with the
/// variable (secrets as hints); a variable the profile overrides is named as not used.
#[test]
fn provider_variables_are_shown_with_their_source_and_ignored_ones_named() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nendpoint = 'http://127.0.0.1:9'\n[profiles.default.compute]\nregion = 'us-west-2'\n",
    );
    let mut c = Command::new(env!("CARGO_BIN_EXE_nimbus"));
    let o = support::without_proxy_env(&mut c)
        .args([
            "doctor",
            "--file",
            &f,
            "--offline",
            "--evidence",
            "--services",
            "storage,compute",
        ])
        .env_remove("NIMBUS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_REGION", "eu-central-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDPLANTEDVAR0001")
        .env("AWS_SECRET_ACCESS_KEY", PLANTED)
        .current_dir(d.path())
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("1 setting(s) from the profile, 3 from its own variables"),
        "{out}"
    );
    assert!(
        out.contains("\"source\": \"env AWS_REGION (the provider's variable)\""),
        "{out}"
    );
    assert!(out.contains("\"value\": \"eu-central-1\""), "{out}");
    assert!(out.contains("****5566") && !out.contains(PLANTED), "{out}");
    assert!(
        out.contains("set but not used: AWS_REGION (the profile's `region` wins)"),
        "{out}"
    );
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

/// An S3 endpoint on loopback whose `Date` is `offset` seconds off and which, as S3 does,
/// rejects every request with `RequestTimeTooSkewed` (S3's error body, with the times).
fn http_server(offset: i64) -> u16 {
    support::serve(move |_| {
        let now = std::time::SystemTime::now();
        let date = if offset >= 0 {
            now + std::time::Duration::from_secs(offset as u64)
        } else {
            now - std::time::Duration::from_secs(offset.unsigned_abs())
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>{}</RequestTime><ServerTime>{}</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>R1</RequestId></Error>",
            httpdate::fmt_http_date(now),
            httpdate::fmt_http_date(date)
        );
        format!(
            "HTTP/1.1 403 Forbidden\r\nDate: {}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            httpdate::fmt_http_date(date),
            body.len()
        )
        .into_bytes()
    })
}

fn aws_profile(dir: &std::path::Path, endpoint: &str) -> String {
    write(
        dir,
        &format!(
            "[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nendpoint = '{endpoint}'\nregion = 'us-east-1'\naccess_key_id = 'AKIDPLANTED0001'\nsecret_access_key = '{PLANTED}'\n"
        ),
    )
}

#[test]
fn a_dead_endpoint_fails_the_network_layer_with_exit_3_and_skips_the_clock() {
    let d = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = aws_profile(d.path(), &format!("http://127.0.0.1:{port}"));
    let o = doctor(d.path(), &["--file", &f, "--services", "storage"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("[pass ] config.endpoints.storage") && out.contains("setting `endpoint`"),
        "{out}"
    );
    assert!(
        out.contains("[fail ] net.s3.tcp") && out.contains("connection refused"),
        "{out}"
    );
    assert!(
        out.contains("[skip ] net.s3.http") && out.contains("[skip ] clock.s3"),
        "{out}"
    );
    assert!(out.contains("Network (1/2 passed)"), "{out}");
    assert!(!out.contains(PLANTED), "{out}");
}

#[test]
fn a_server_clock_20_minutes_ahead_is_named_with_the_s3_limit() {
    let d = tempfile::tempdir().unwrap();
    let port = http_server(1200);
    let f = aws_profile(d.path(), &format!("http://127.0.0.1:{port}"));
    let o = doctor(d.path(), &["--file", &f, "--services", "storage", "--format", "json"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let clock = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "clock.s3")
        .unwrap();
    assert_eq!(clock["status"], "fail", "{clock}");
    assert!(clock["evidence"]["skew_s"].as_f64().unwrap() > 1190.0, "{clock}");
    assert!(clock["message"].as_str().unwrap().contains("ahead of"), "{clock}");
    assert!(clock["fix"].as_str().unwrap().contains("15 minutes"), "{clock}");
    // The signature error is translated into the clock's error, measured.
    let auth = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "auth.storage")
        .unwrap();
    assert_eq!(auth["status"], "fail", "{auth}");
    assert_eq!(auth["evidence"]["kind"], "Unauthenticated", "{auth}");
    let fix = auth["fix"].as_str().unwrap();
    assert!(
        fix.contains("your clock is off by 20 min") && fix.contains("behind the `s3` server's (clock.s3)"),
        "{auth}"
    );
    assert!(!text(&o).contains(PLANTED));
}

/// Healthy profiles on the emulators the test command starts: every check passes or is
/// skipped with a reason (exit 0).
#[test]
fn healthy_profiles_on_the_emulators_pass() {
    let profiles = [
        ("NIMBUS_TEST_MOTO_ENDPOINT", "provider = 'aws'\n[profiles.default.storage]\nendpoint = '{E}'\nregion = 'us-east-1'\naccess_key_id = 'testing'\nsecret_access_key = 'testing'\n"),
        ("NIMBUS_TEST_S3S_ENDPOINT", "provider = 'aws'\n[profiles.default.storage]\nendpoint = '{E}'\nregion = 'us-east-1'\naccess_key_id = 'AKNIMBUSTEST'\nsecret_access_key = 'SKNIMBUSTEST'\n"),
        ("NIMBUS_TEST_AZURITE_ENDPOINT", "provider = 'azure'\n[profiles.default.storage]\nendpoint = '{E}/devstoreaccount1'\naccount = 'devstoreaccount1'\naccount_key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='\n"),
        ("NIMBUS_TEST_GCS_ENDPOINT", "provider = 'gcp'\n[profiles.default.storage]\nendpoint = '{E}'\nanonymous = true\nproject = 'test'\n"),
    ];
    let mut ran = 0;
    for (var, body) in profiles {
        let Ok(e) = std::env::var(var) else {
            assert!(std::env::var("NIMBUS_REQUIRE_EMULATORS").is_err(), "{var} is not set");
            continue;
        };
        let d = tempfile::tempdir().unwrap();
        let f = write(d.path(), &format!("[profiles.default]\n{}", body.replace("{E}", &e)));
        let o = doctor(d.path(), &["--file", &f, "--services", "storage"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "{var}: {out}");
        assert!(
            out.contains("Network (") && out.contains("[pass ] clock."),
            "{var}: {out}"
        );
        ran += 1;
    }
    eprintln!("{ran} emulator profile(s) diagnosed");
}

/// Wrong credentials: s3s-fs (SigV4-strict) with a wrong secret is rejected and doctor names
/// the settings that hold it; Azurite with a wrong key answers 403 AuthorizationFailure, which
/// doctor reports as a refusal that may be a wrong key.
#[test]
fn wrong_credentials_are_named_with_the_settings_that_hold_them() {
    let Some([s3s, azurite]) = started(["NIMBUS_TEST_S3S_ENDPOINT", "NIMBUS_TEST_AZURITE_ENDPOINT"]) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        &format!("[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nendpoint = '{s3s}'\nregion = 'us-east-1'\naccess_key_id = 'AKNIMBUSTEST'\nsecret_access_key = '{PLANTED}'\n"),
    );
    let o = doctor(d.path(), &["--file", &f, "--services", "storage"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("[fail ] auth.storage") && out.contains("credentials rejected"),
        "{out}"
    );
    assert!(out.contains("`secret_access_key` (file "), "{out}");
    assert!(!out.contains(PLANTED), "{out}");

    let f = write(
        d.path(),
        &format!("[profiles.default]\nprovider = 'azure'\n[profiles.default.storage]\nendpoint = '{azurite}/devstoreaccount1'\naccount = 'devstoreaccount1'\naccount_key = 'cGxhbnRlZCB3cm9uZyBrZXkgZm9yIGF6dXJpdGUgdGVzdHM='\n"),
    );
    let o = doctor(d.path(), &["--file", &f, "--services", "storage"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(4), "{out}");
    assert!(
        out.contains("[warn ] auth.storage") && out.contains("refused this read") && out.contains("`account_key`"),
        "{out}"
    );
    assert!(!out.contains("cGxhbnRlZCB3cm9uZ"), "{out}");
}

/// Creates `bucket` in the store a profile file names (the product's bucket exists before
/// doctor probes it).
fn create_bucket(file: &str, bucket: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let f = nimbus::config::ConfigFile::load(std::path::Path::new(file)).unwrap();
        let p = nimbus::config::ProfileResolver::new(nimbus::schemas())
            .file(f)
            .resolve(None)
            .unwrap();
        let s = nimbus::Clouds::from_resolved(p).storage().await.unwrap();
        match s.create_bucket(bucket, &Default::default()).await {
            Ok(()) => {}
            Err(e) if e.kind() == nimbus::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("create {bucket}: {e}"),
        }
    });
}

/// Identity (STS on moto, the key on s3s-fs, the SAS's own fields on Azurite, anonymous on
/// fake-gcs-server) compared with `expect`, and the data plane on the product's bucket: a
/// healthy write probe passes and leaves nothing; another account fails identity and the write
/// is never attempted; a read-only SAS fails the write with the letters it lacks.
#[test]
fn identity_and_the_write_probe_on_the_emulators() {
    let Some([moto, s3s, azurite, gcs]) = started([
        "NIMBUS_TEST_MOTO_ENDPOINT",
        "NIMBUS_TEST_S3S_ENDPOINT",
        "NIMBUS_TEST_AZURITE_ENDPOINT",
        "NIMBUS_TEST_GCS_ENDPOINT",
    ]) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let aws = |endpoint: &str, key: &str, secret: &str, expect: &str| {
        write(
            d.path(),
            &format!("[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nendpoint = '{endpoint}'\nregion = 'us-east-1'\naccess_key_id = '{key}'\nsecret_access_key = '{secret}'\n[profiles.default.expect]\nbucket = 'doctor-probe'\n{expect}"),
        )
    };
    // moto: STS answers with moto's account; the write probe passes.
    let f = aws(&moto, "testing", "testing", "account = '123456789012'\n");
    create_bucket(&f, "doctor-probe");
    let o = doctor(d.path(), &["--file", &f, "--services", "storage", "--write-probe"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("[pass ] identity.storage") && out.contains("account 123456789012"),
        "{out}"
    );
    assert!(
        out.contains("STS GetCallerIdentity") && out.contains("matches expect.account"),
        "{out}"
    );
    assert!(out.contains("[pass ] data.storage.write"), "{out}");
    // Another customer's account: identity fails, and the probe never writes there.
    let f = aws(&moto, "testing", "testing", "account = '999999999999'\n");
    let o = doctor(d.path(), &["--file", &f, "--services", "storage", "--write-probe"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("[fail ] identity.storage") && out.contains("expect.account is `999999999999`"),
        "{out}"
    );
    assert!(
        out.contains("[skip ] data.storage.write") && out.contains("never write"),
        "{out}"
    );

    // s3s-fs has no STS: the key, marked as not proven; the data plane works.
    let f = aws(&s3s, "AKNIMBUSTEST", "SKNIMBUSTEST", "");
    create_bucket(&f, "doctor-probe");
    let o = doctor(d.path(), &["--file", &f, "--services", "storage", "--write-probe"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("[pass ] identity.storage") && out.contains("not proven"),
        "{out}"
    );
    assert!(out.contains("[pass ] data.storage.write"), "{out}");

    // Azurite with a SAS granting read and list only: the write fails naming the letters.
    let key = nimbus::config::Secret::new(nimbus::azure::config::DEV_ACCOUNT_KEY);
    let f = write(
        d.path(),
        &format!("[profiles.default]\nprovider = 'azure'\n[profiles.default.storage]\nendpoint = '{azurite}/devstoreaccount1'\naccount = 'devstoreaccount1'\naccount_key = '{}'\n", nimbus::azure::config::DEV_ACCOUNT_KEY),
    );
    create_bucket(&f, "doctor-probe");
    let sas = nimbus::azure::sas::account_sas_granting(
        "devstoreaccount1",
        &key,
        "rl",
        std::time::Duration::from_secs(3600),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let sig = sas.split('&').find_map(|p| p.strip_prefix("sig=")).unwrap().to_string();
    let f = write(
        d.path(),
        &format!("[profiles.default]\nprovider = 'azure'\n[profiles.default.storage]\nendpoint = '{azurite}/devstoreaccount1'\naccount = 'devstoreaccount1'\nsas_token = '{sas}'\n[profiles.default.expect]\nbucket = 'doctor-probe'\naccount = 'devstoreaccount1'\n"),
    );
    let o = doctor(
        d.path(),
        &["--file", &f, "--services", "storage", "--write-probe", "--evidence"],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("[pass ] identity.storage") && out.contains("grants read, list"),
        "{out}"
    );
    assert!(out.contains("[pass ] data.storage.read"), "{out}");
    assert!(
        out.contains("[fail ] data.storage.write") && out.contains("`c` and `w` to write"),
        "{out}"
    );
    assert!(!out.contains(&sig), "the SAS signature was printed: {out}");

    // fake-gcs-server, anonymous.
    let f = write(
        d.path(),
        &format!("[profiles.default]\nprovider = 'gcp'\n[profiles.default.storage]\nendpoint = '{gcs}'\nanonymous = true\nproject = 'test'\n[profiles.default.expect]\nproject = 'test'\n"),
    );
    let o = doctor(d.path(), &["--file", &f, "--services", "storage"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("[pass ] identity.storage") && out.contains("anonymous (project test"),
        "{out}"
    );
    assert!(
        out.contains("[skip ] data.storage") && out.contains("no bucket named"),
        "{out}"
    );
}

/// A policy that allows reads only, on a moto with IAM enforcement on (started by
/// `scripts/emulators`): STS names the user, EC2's DryRun finds the missing `ec2:RunInstances`,
/// `ec2:TerminateInstances` and `ec2:CreateSecurityGroup`, and the write probe the missing
/// `s3:PutObject`, each with what to grant; reads pass. A wrong secret there is rejected. On
/// the shared moto, which authorises everything, the same dry runs pass.
#[test]
fn a_read_only_policy_is_found_by_dry_run_and_the_write_probe() {
    let Some([iam, key, secret, moto]) = started([
        "NIMBUS_TEST_MOTO_IAM_ENDPOINT",
        "NIMBUS_TEST_MOTO_IAM_KEY",
        "NIMBUS_TEST_MOTO_IAM_SECRET",
        "NIMBUS_TEST_MOTO_ENDPOINT",
    ]) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let profile = |endpoint: &str, key: &str, secret: &str| {
        let svc = format!(
            "endpoint = '{endpoint}'\nregion = 'us-east-1'\naccess_key_id = '{key}'\nsecret_access_key = '{secret}'\n"
        );
        write(
            d.path(),
            &format!("[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\n{svc}[profiles.default.compute]\n{svc}[profiles.default.network]\n{svc}[profiles.default.expect]\nbucket = 'doctor-reader'\nprincipal = 'nimbus-doctor-reader'\n"),
        )
    };
    let f = profile(&iam, &key, &secret);
    let o = doctor(d.path(), &["--file", &f, "--write-probe"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("[pass ] identity.storage") && out.contains("user/nimbus-doctor-reader"),
        "{out}"
    );
    for (id, grant) in [
        ("perm.compute.create_instance", "ec2:RunInstances"),
        ("perm.compute.delete_instance", "ec2:TerminateInstances"),
        ("perm.network.create_firewall", "ec2:CreateSecurityGroup"),
    ] {
        assert!(out.contains(&format!("[fail ] {id}")), "{id}: {out}");
        assert!(
            out.contains(&format!("grant {grant} to the credentials")),
            "{grant}: {out}"
        );
    }
    assert!(out.contains("[pass ] data.storage.read"), "{out}");
    assert!(
        out.contains("[fail ] data.storage.write") && out.contains("s3:PutObject"),
        "{out}"
    );
    assert!(!out.contains(&secret), "{out}");

    let f = profile(&iam, &key, "wrong-secret-for-the-reader");
    let o = doctor(d.path(), &["--file", &f, "--services", "storage"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("[fail ] auth.storage") && out.contains("credentials rejected"),
        "{out}"
    );
    assert!(
        out.contains("[skip ] identity.storage") && out.contains("auth.storage failed"),
        "{out}"
    );

    let f = profile(&moto, "testing", "testing");
    let o = doctor(d.path(), &["--file", &f, "--services", "compute,network"]);
    let out = text(&o);
    assert!(
        out.contains("[pass ] perm.compute.create_instance") && out.contains("[pass ] perm.network.create_firewall"),
        "{out}"
    );
}

/// The real OpenStack the test command starts: Keystone issues the token that names the user,
/// its project (compared with `expect.project`) and roles, which allow Swift writes (the
/// stack's operator roles include `member`); a wrong password is rejected by Keystone and
/// named, never printed.
#[test]
fn openstack_identity_and_roles_from_keystone_and_a_wrong_password() {
    let var = |k: &str| std::env::var(format!("NIMBUS_TEST_OPENSTACK_{k}")).ok();
    let (Some(url), Some(user), Some(password), Some(project), Some(region)) = (
        var("AUTH_URL"),
        var("USERNAME"),
        var("PASSWORD"),
        var("PROJECT_NAME"),
        var("REGION"),
    ) else {
        assert!(
            std::env::var("NIMBUS_REQUIRE_EMULATORS").is_err(),
            "OpenStack not started (scripts/openstack start)"
        );
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let profile = |password: &str| {
        write(
            d.path(),
            &format!("[profiles.default]\nprovider = 'openstack'\n[profiles.default.storage]\nauth_url = '{url}'\nregion = '{region}'\nusername = '{user}'\npassword = '{password}'\nproject_name = '{project}'\nuser_domain_name = 'Default'\nproject_domain_name = 'Default'\n[profiles.default.expect]\nproject = '{project}'\nprincipal = '{user}'\nbucket = 'doctor-probe'\n"),
        )
    };
    let f = profile(&password);
    create_bucket(&f, "doctor-probe");
    let o = doctor(d.path(), &["--file", &f, "--services", "storage", "--write-probe"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("[pass ] identity.storage")
            && out.contains(&format!("user {user} ("))
            && out.contains("Keystone token")
            && out.contains("matches expect.principal, expect.project"),
        "{out}"
    );
    assert!(
        out.contains("[pass ] perm.storage.write") && out.contains("roles in the Keystone token"),
        "{out}"
    );
    assert!(out.contains("[pass ] data.storage.write"), "Swift write probe: {out}");
    assert!(!out.contains(&password), "{out}");

    let f = profile("planted-wrong-keystone-password");
    let o = doctor(d.path(), &["--file", &f, "--services", "storage"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("[fail ] auth.storage") && out.contains("`password` (file "),
        "{out}"
    );
    assert!(!out.contains("planted-wrong-keystone-password"), "{out}");
}
