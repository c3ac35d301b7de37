//! What the fault tests share: the backends, their profiles, opening a storage the normal way.
// Shared by two test binaries, each of which uses part of it.
#![allow(dead_code)]

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use nimbus::config::{ConfigFile, ProfileResolver};
use nimbus::storage::Storage;

/// A backend: its endpoint variable and its profile for an endpoint.
pub struct Backend {
    pub name: &'static str,
    pub var: &'static str,
    pub profile: fn(&str) -> String,
    /// Whether the backend keeps a put's content type: fake-gcs-server 1.54 loses it (the
    /// registered difference `content-type-not-stored`, conformance/differences.toml).
    pub keeps_content_type: bool,
}

pub const BACKENDS: &[Backend] = &[
    Backend {
        name: "moto",
        var: "NIMBUS_TEST_MOTO_ENDPOINT",
        profile: |ep| s3(ep, "testing", "testing"),
        keeps_content_type: true,
    },
    Backend {
        name: "s3s-fs",
        var: "NIMBUS_TEST_S3S_ENDPOINT",
        profile: |ep| s3(ep, "AKNIMBUSTEST", "SKNIMBUSTEST"),
        keeps_content_type: true,
    },
    Backend {
        name: "azurite",
        var: "NIMBUS_TEST_AZURITE_ENDPOINT",
        profile: |ep| {
            format!("provider = \"azure\"\n[storage]\nconnection_string = \"UseDevelopmentStorage=true;DevelopmentStorageProxyUri={ep}\"\n")
        },
        keeps_content_type: true,
    },
    Backend {
        name: "fake-gcs-server",
        var: "NIMBUS_TEST_GCS_ENDPOINT",
        profile: |ep| {
            format!(
                "provider = \"gcp\"\n[storage]\nendpoint = \"{ep}\"\nanonymous = true\nproject = \"test-project\"\n"
            )
        },
        keeps_content_type: false,
    },
    // Swift through its own API: Keystone stays direct (the token is not what is tested),
    // the object-store URL is overridden to go through the proxy, as a customer's egress
    // proxy would be set (`object_store_endpoint_override`). The variable is Swift's proxy
    // server, which serves s3api on the same port.
    Backend {
        name: "swift",
        var: "NIMBUS_TEST_OPENSTACK_S3_ENDPOINT",
        profile: |ep| {
            let v = |k: &str| std::env::var(k).unwrap_or_default();
            format!(
                "provider = \"openstack\"\n[storage]\nauth_url = \"{}\"\nregion = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\nproject_name = \"{}\"\nuser_domain_name = \"{d}\"\nproject_domain_name = \"{d}\"\nobject_store_endpoint_override = \"{ep}/v1/AUTH_%(project_id)s\"\n",
                v("NIMBUS_TEST_OPENSTACK_AUTH_URL"),
                v("NIMBUS_TEST_OPENSTACK_REGION"),
                v("NIMBUS_TEST_OPENSTACK_USERNAME"),
                v("NIMBUS_TEST_OPENSTACK_PASSWORD"),
                v("NIMBUS_TEST_OPENSTACK_PROJECT_NAME"),
                d = v("NIMBUS_TEST_OPENSTACK_DOMAIN_NAME"),
            )
        },
        keeps_content_type: true,
    },
    // Swift's S3 API (s3api middleware), the same cluster through the aws provider and its
    // `swift` preset (what s3api lacks of S3, declared).
    Backend {
        name: "swift-s3api",
        var: "NIMBUS_TEST_OPENSTACK_S3_ENDPOINT",
        profile: |ep| {
            let v = |k: &str| std::env::var(k).unwrap_or_default();
            let profile = s3(
                ep,
                &v("NIMBUS_TEST_OPENSTACK_S3_ACCESS_KEY"),
                &v("NIMBUS_TEST_OPENSTACK_S3_SECRET_KEY"),
            );
            format!("{profile}preset = \"swift\"\n")
        },
        keeps_content_type: true,
    },
];

fn s3(ep: &str, key: &str, secret: &str) -> String {
    format!(
        "provider = \"aws\"\n[storage]\nendpoint = \"{ep}\"\nregion = \"us-east-1\"\naccess_key_id = \"{key}\"\nsecret_access_key = \"{secret}\"\nforce_path_style = true\n"
    )
}

pub async fn open(profile: &str) -> Arc<dyn Storage> {
    clouds(profile).storage().await.expect("storage opens")
}

/// Compute from a profile, opened the normal way (contract, retry, timeout).
pub async fn open_compute(profile: &str) -> Arc<dyn nimbus::Compute> {
    clouds(profile).compute().await.expect("compute opens")
}

/// Network from a profile, opened the normal way (contract, retry, timeout).
pub async fn open_network(profile: &str) -> Arc<dyn nimbus::NetworkService> {
    clouds(profile).network().await.expect("network opens")
}

fn clouds(profile: &str) -> nimbus::Clouds {
    let indented: String = profile
        .lines()
        .map(|l| {
            if let Some(t) = l.strip_prefix('[') {
                format!("[profiles.p.{t}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let text = format!("[profiles.p]\n{indented}");
    let file = ConfigFile::parse(&text, "fault-test").expect("profile parses");
    let resolved = ProfileResolver::new(nimbus::schemas())
        .file(file)
        .resolve(Some("p"))
        .expect("profile resolves");
    nimbus::Clouds::from_resolved(resolved)
}

pub fn upstream(endpoint: &str) -> SocketAddr {
    let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let hostport = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    hostport
        .to_socket_addrs()
        .expect("endpoint resolves")
        .next()
        .expect("an address")
}

/// The backend's endpoint, or `None` (skipped) when its variable is unset; a missing
/// endpoint fails under `NIMBUS_REQUIRE_EMULATORS=1` (scripts/test).
pub fn endpoint(b: &Backend) -> Option<String> {
    match std::env::var(b.var) {
        Ok(ep) => Some(ep),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("{}: {} is unset and NIMBUS_REQUIRE_EMULATORS=1", b.name, b.var)
        }
        Err(_) => {
            eprintln!("{}: {} unset: skipped", b.name, b.var);
            None
        }
    }
}

/// The backend called `name`.
pub fn backend(name: &str) -> &'static Backend {
    BACKENDS.iter().find(|b| b.name == name).expect("a known backend")
}
