//! `nimbus bundle`: secrets planted in the profile, the environment and a log file must not
//! appear anywhere in the archive (raw tar stream included, in raw, percent-encoded, base64
//! and JSON-escaped forms), the manifest's hashes must match every member, one secret must get
//! one token, and `analyze` must notice an edited member.

mod support;

use std::io::Read;
use std::process::{Command, Output};

use base64::Engine as _;

const PROFILE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/planted-profile-1";
const ENV_SECRET: &str = "planted-env-secret-key-2";
const SAS_SIG: &str = "planted0sas0signature0333";
const PROXY_PASSWORD: &str = "planted-proxy-pw-4";
const DB_PASSWORD: &str = "planted-db-pw-5";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.planted6signature6jwt";
const PEM_BODY: &str = "MIIEplantedPrivateKeyBody7";
const AWS_SIGNATURE: &str = "planted8aws8signature8hex";
const DSN_PASSWORD: &str = "planted-dsn-pw-9";

fn nimbus(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nimbus"));
    support::without_proxy_env(&mut c).env_remove("NIMBUS_PROFILE");
    c.env("NIMBUS_CONFIG", dir.join("nimbus.toml"))
        .env("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
        .env("AZURE_STORAGE_SAS_TOKEN", format!("sv=2021-10-04&ss=b&sig={SAS_SIG}"))
        .env("HTTPS_PROXY", format!("http://ops:{PROXY_PASSWORD}@proxy.invalid:3128"))
        .env("NO_PROXY", "*")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run nimbus")
}

/// `nimbus bundle create -o b.tar.gz --logs LOG ARGS…` in `dir`.
fn create(dir: &std::path::Path, log: &std::path::Path, args: &[&str]) -> Output {
    let mut all = vec!["bundle", "create", "-o", "b.tar.gz", "--logs", log.to_str().unwrap()];
    all.extend_from_slice(args);
    nimbus(dir, &all)
}

/// A profile file and an application log in a fresh directory, for `create`.
fn setup(profile: &str, log: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("nimbus.toml"), profile).unwrap();
    let path = d.path().join("app.log");
    std::fs::write(&path, log).unwrap();
    (d, path)
}

/// The uncompressed tar stream of the bundle `name` in `dir`, as text.
fn raw_tar(dir: &std::path::Path, name: &str) -> String {
    let mut v = Vec::new();
    flate2::read::GzDecoder::new(std::fs::read(dir.join(name)).unwrap().as_slice())
        .read_to_end(&mut v)
        .unwrap();
    String::from_utf8_lossy(&v).into_owned()
}

fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    vec![
        secret.to_string(),
        secret.replace('/', "%2F"),
        base64::engine::general_purpose::STANDARD.encode(secret),
        json[1..json.len() - 1].to_string(),
    ]
}

fn members(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut t = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    t.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let p = e.path().unwrap().to_string_lossy().into_owned();
            let mut d = Vec::new();
            e.read_to_end(&mut d).unwrap();
            (p, d)
        })
        .collect()
}

fn sha256_hex(d: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(d).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_bundle_holds_no_planted_secret_and_its_manifest_matches() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("nimbus.toml"),
        format!(
            "[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nendpoint = 'http://127.0.0.1:9'\nregion = 'us-east-1'\naccess_key_id = 'AKIAPLANTED000000009'\nsecret_access_key = '{PROFILE_SECRET}'\n[profiles.other]\nprovider = 'openstack'\n[profiles.other.storage]\nauth_url = 'http://127.0.0.1:9/v3'\nusername = 'u'\npassword = '{DB_PASSWORD}'\n"
        ),
    )
    .unwrap();
    let log = d.path().join("app.log");
    std::fs::write(
        &log,
        format!(
            "first={PROFILE_SECRET}\nagain={PROFILE_SECRET}\nother={ENV_SECRET}\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIAPLANTED000000009/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={AWS_SIGNATURE}\n\
             GET https://b.s3.amazonaws.com/k?X-Amz-Signature={AWS_SIGNATURE}&X-Amz-Expires=60\n\
             dsn=postgres://app:{DSN_PASSWORD}@db.internal:5432/app\n\
             bearer {JWT}\n\
             -----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n\
             encoded={}\n",
            base64::engine::general_purpose::STANDARD.encode(PROFILE_SECRET)
        ),
    )
    .unwrap();
    let o = create(d.path(), &log, &["--services", "storage"]);
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{out}");
    let archive = std::fs::read(d.path().join("b.tar.gz")).unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(archive.as_slice())
        .read_to_end(&mut raw)
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    for s in [
        PROFILE_SECRET,
        ENV_SECRET,
        SAS_SIG,
        PROXY_PASSWORD,
        DB_PASSWORD,
        JWT,
        PEM_BODY,
        AWS_SIGNATURE,
    ] {
        for f in forms(s) {
            assert!(!text.contains(&f), "planted secret found in the bundle ({f})");
            assert!(!out.contains(&f), "planted secret printed ({f})");
        }
    }
    assert!(!text.contains("planted"), "part of a planted secret survived");

    let ms = members(&archive);
    let get = |p: &str| {
        ms.iter()
            .find(|(n, _)| n == &format!("nimbus-bundle/{p}"))
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .unwrap_or_else(|| panic!("no {p}"))
    };
    let manifest: serde_json::Value = serde_json::from_str(&get("manifest.json")).unwrap();
    assert_eq!(manifest["schema"], "nimbus.bundle/v1");
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len() + 1, ms.len(), "every member but the manifest is listed");
    for f in listed {
        let p = f["path"].as_str().unwrap();
        let data = &ms.iter().find(|(n, _)| n == &format!("nimbus-bundle/{p}")).unwrap().1;
        assert_eq!(f["sha256"].as_str().unwrap(), sha256_hex(data), "{p}");
    }
    for c in ["doctor", "config", "env", "network", "logs"] {
        assert!(
            manifest["collectors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["name"] == c && x["status"] == "ok"),
            "{c}: {manifest}"
        );
    }

    // One secret, one token: the profile secret twice in the log gets the same token.
    let app = get("logs/00-app.log");
    let token = |line: &str| {
        app.lines()
            .find(|l| l.starts_with(line))
            .and_then(|l| l.split_once('='))
            .map(|(_, v)| v.to_string())
            .unwrap()
    };
    assert!(token("first").starts_with("<redacted:"), "{app}");
    assert_eq!(token("first"), token("again"));
    assert_ne!(token("first"), token("other"));
    assert!(
        app.contains("Authorization: AWS4-HMAC-SHA256 <redacted:"),
        "the scheme is kept: {app}"
    );
    let report: serde_json::Value = serde_json::from_str(&get("redaction-report.json")).unwrap();
    for rule in ["literal", "private-key", "url-password", "authorization", "signed-url"] {
        assert!(
            report["redactions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["rule"] == rule),
            "{rule}: {report}"
        );
    }
    assert!(
        get("env/audit.json").contains("AWS_SECRET_ACCESS_KEY"),
        "the variable is named, not shown"
    );
    assert!(get("network/s3.json").contains("net.s3.tcp"));
    // Nimbus's own logs of the run, captured in memory whatever the terminal showed.
    let own = get("logs/nimbus.log");
    assert!(own.contains("net.s3.tcp") && own.contains("DEBUG"), "{own}");
    assert!(!manifest["redaction"]["anonymized"].as_bool().unwrap());

    // Offline analysis: the stored run and its exit code; an edited member is caught.
    let a = nimbus(d.path(), &["bundle", "analyze", "b.tar.gz"]);
    let a_out = String::from_utf8_lossy(&a.stdout);
    assert_eq!(a.status.code(), Some(3), "{a_out}");
    assert!(
        a_out.contains("every file matches") && a_out.contains("[fail ] net.s3.tcp"),
        "{a_out}"
    );
    assert!(a_out.contains("analysis: this build's rules agree"), "{a_out}");

    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (p, data) in &ms {
        let mut data = data.clone();
        if p.ends_with("logs/00-app.log") {
            data.extend_from_slice(b"edited\n");
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, p, data.as_slice()).unwrap();
    }
    std::fs::write(
        d.path().join("edited.tar.gz"),
        b.into_inner().unwrap().finish().unwrap(),
    )
    .unwrap();
    let a = nimbus(d.path(), &["bundle", "analyze", "edited.tar.gz"]);
    let a_out = String::from_utf8_lossy(&a.stdout);
    assert_eq!(a.status.code(), Some(1), "{a_out}");
    assert!(a_out.contains("logs/00-app.log: sha256 differs"), "{a_out}");
}

#[test]
fn redact_removes_what_nimbus_could_not_know_and_is_a_fixed_point() {
    let (d, log) = setup(
        "[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nendpoint = 'http://127.0.0.1:9'\nregion = 'us-east-1'\n",
        "connected to vault.customer-internal.example as svc-planted-name\n",
    );
    let o = create(d.path(), &log, &["--offline"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let raw = |name: &str| raw_tar(d.path(), name);
    assert!(
        raw("b.tar.gz").contains("vault.customer-internal.example"),
        "not a known secret: kept by create"
    );

    std::fs::write(
        d.path().join("lits.txt"),
        "# internal names\nvault.customer-internal.example\nsvc-planted-name\n",
    )
    .unwrap();
    for (src, dst) in [("b.tar.gz", "c.tar.gz"), ("c.tar.gz", "e.tar.gz")] {
        let o = nimbus(
            d.path(),
            &["bundle", "redact", src, "-o", dst, "--literals", "lits.txt"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let a = nimbus(d.path(), &["bundle", "analyze", dst]);
        assert!(
            String::from_utf8_lossy(&a.stdout).contains("every file matches"),
            "{dst}"
        );
    }
    let c = raw("c.tar.gz");
    assert!(!c.contains("customer-internal") && !c.contains("svc-planted"), "{c}");
    let log_of = |name: &str| {
        members(&std::fs::read(d.path().join(name)).unwrap())
            .into_iter()
            .find(|(p, _)| p.ends_with("logs/00-app.log"))
            .unwrap()
            .1
    };
    assert_eq!(
        log_of("c.tar.gz"),
        log_of("e.tar.gz"),
        "a second redaction changes nothing"
    );
    let manifest = |name: &str| -> serde_json::Value {
        let m = members(&std::fs::read(d.path().join(name)).unwrap());
        serde_json::from_slice(&m.iter().find(|(p, _)| p.ends_with("manifest.json")).unwrap().1).unwrap()
    };
    assert_eq!(manifest("e.tar.gz")["redaction"]["rounds"], 3);
}

/// `--anonymize`: the customer's host names and addresses become consistent tokens wherever
/// they occur (the profile's endpoint, a log, the manifest's arguments), the public cloud's
/// own service names and loopback stay, and the hashes still match; `bundle redact
/// --anonymize` does the same to a bundle made without it.
#[test]
fn anonymize_replaces_hosts_and_addresses_consistently_and_keeps_the_clouds_names() {
    let (d, log) = setup(
        "[profiles.default]\nprovider = 'aws'\n[profiles.default.storage]\nendpoint = 'https://s3.customer-internal.example:9000'\nregion = 'us-east-1'\n",
        "resolved s3.customer-internal.example to 10.20.30.40\ncert CN=*.customer-internal.example\nmirror https://acme-data.s3.eu-west-1.amazonaws.com/k\nlocal 127.0.0.1\n",
    );
    let raw = |name: &str| raw_tar(d.path(), name);
    let o = create(d.path(), &log, &["--offline", "--anonymize"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = raw("b.tar.gz");
    for gone in ["customer-internal", "10.20.30.40", "acme-data"] {
        assert!(!text.contains(gone), "{gone} survived --anonymize");
    }
    assert!(text.contains(".s3.eu-west-1.amazonaws.com/k") && text.contains("127.0.0.1"));
    let ms = members(&std::fs::read(d.path().join("b.tar.gz")).unwrap());
    let app = ms
        .iter()
        .find(|(n, _)| n.ends_with("logs/00-app.log"))
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
        .unwrap();
    let host = app.lines().next().unwrap().split(' ').nth(1).unwrap().to_string();
    assert!(host.starts_with("<anon:host:"), "{app}");
    // One host, one token: the endpoint in the doctor run carries the log's token.
    let results = ms
        .iter()
        .find(|(n, _)| n.ends_with("doctor/results.json"))
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
        .unwrap();
    assert!(results.contains(&format!("https://{host}:9000")), "{results}");
    let a = nimbus(d.path(), &["bundle", "analyze", "b.tar.gz"]);
    assert_eq!(a.status.code(), Some(0), "{}", String::from_utf8_lossy(&a.stdout));

    // A bundle made without it, anonymized afterwards.
    let o = create(d.path(), &log, &["--offline"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(raw("b.tar.gz").contains("customer-internal"));
    let o = nimbus(
        d.path(),
        &["bundle", "redact", "b.tar.gz", "-o", "c.tar.gz", "--anonymize"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = raw("c.tar.gz");
    assert!(!text.contains("customer-internal") && !text.contains("10.20.30.40"));
    assert!(text.contains("\"anonymized\": true"));
    let a = nimbus(d.path(), &["bundle", "analyze", "c.tar.gz"]);
    assert_eq!(a.status.code(), Some(0), "{}", String::from_utf8_lossy(&a.stdout));
}
