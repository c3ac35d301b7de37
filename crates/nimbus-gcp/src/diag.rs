//! What `nimbus doctor` probes for a profile on this provider: Cloud Storage for storage
//! (`endpoint`, `STORAGE_EMULATOR_HOST`, else `https://storage.googleapis.com`), the Compute
//! Engine API for compute and network, and Google's token endpoint when credentials are
//! exchanged for tokens. The adapter's own config types resolve them.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack, Identity, IdentityFuture, PermissionsFuture, ProviderVariables};
use nimbus_core::{Error, ErrorKind, Result};

use crate::config::{GceConfig, GcsAuth, GcsConfig};

const TOKEN: &str = "https://oauth2.googleapis.com";

fn endpoints(service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    let (label, url, auth, from) = if service == "storage" {
        let c = GcsConfig::from_settings(s)?;
        let from = if s.get("endpoint").is_some() {
            "setting `endpoint`"
        } else if std::env::var("STORAGE_EMULATOR_HOST").is_ok_and(|v| !v.is_empty()) {
            "env STORAGE_EMULATOR_HOST"
        } else {
            "default"
        };
        ("gcs", c.endpoint, c.auth, from)
    } else {
        let c = GceConfig::from_settings(s)?;
        let from = if s.get("compute_endpoint").is_some() {
            "setting `compute_endpoint`"
        } else {
            "default"
        };
        ("gce", c.endpoint, c.auth, from)
    };
    let mut out = vec![Endpoint::new(label, url, from)];
    if !matches!(auth, GcsAuth::Anonymous) {
        out.push(Endpoint::new(
            "oauth2",
            TOKEN,
            "Google's token endpoint (credentials are exchanged there)",
        ));
    }
    Ok(out)
}

/// What a Google credentials file says about its owner (`type`, `client_email`,
/// `project_id`), read offline: the file names whose key it is; `auth.<service>` proves
/// Google accepts it.
pub fn key_file_identity(path: &std::path::Path, project: Option<String>) -> Result<Identity> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(format!("credentials file `{}`: {e}", path.display())))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| Error::invalid(format!("credentials file `{}` is not JSON", path.display())))?;
    let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let principal = match get("type").as_deref() {
        Some("service_account") => format!(
            "service account {}",
            get("client_email").unwrap_or_else(|| "(no client_email)".into())
        ),
        Some("authorized_user") => "a user's credentials (gcloud auth application-default login)".into(),
        Some("external_account") => format!(
            "workload identity federation (audience {})",
            get("audience").unwrap_or_else(|| "?".into())
        ),
        Some(t) => format!("credentials of type {t}"),
        None => "credentials without a `type`".into(),
    };
    Ok(Identity {
        principal,
        project: project.or_else(|| get("project_id").or_else(|| get("quota_project_id"))),
        how: format!("the credentials file {}", path.display()),
        ..Default::default()
    })
}

/// Who the credentials are, from the settings alone: a key file names its service account,
/// anonymous access (an emulator) is nobody. Application Default Credentials without a file
/// (the metadata server, gcloud's own login) only say who they are after a token exchange and
/// Google's `tokeninfo`, which this hook does not make: it answers `Unsupported` saying so.
fn identity(service: &str, s: &Settings) -> IdentityFuture {
    let r = if service == "storage" {
        GcsConfig::from_settings(s).map(|c| (c.auth, c.project))
    } else {
        GceConfig::from_settings(s).map(|c| (c.auth, Some(c.project)))
    };
    Box::pin(async move {
        let (auth, project) = r?;
        match auth {
            GcsAuth::Anonymous => Ok(Identity {
                principal: "anonymous".into(),
                project,
                how: "the settings: anonymous access (an emulator)".into(),
                ..Default::default()
            }),
            GcsAuth::ServiceAccountFile(p) => key_file_identity(&p, project),
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                "Application Default Credentials without a key file (metadata server or gcloud login): who they are is known only from a token exchange, which doctor does not make",
            )),
        }
    })
}

/// Not checked yet, and why: Cloud Storage's `testIamPermissions` and Resource Manager's
/// project `testIamPermissions` need a real token exchange, and fake-gcs-server, the only
/// emulator here, has neither route. The data-plane probes test storage by doing.
fn permissions(_service: &str, _s: &Settings) -> PermissionsFuture {
    Box::pin(async {
        Err(Error::new(
            ErrorKind::Unsupported,
            "testIamPermissions is not called yet (no emulator offers it to prove the call): the data-plane probes test storage",
        ))
    })
}

/// What `GcsConfig` and `GceConfig` read when the profile is silent.
fn variables(service: &str) -> Vec<ProviderVariables> {
    let mut v: Vec<ProviderVariables> = vec![
        ("project", &["GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"]),
        ("credentials_file", &["GOOGLE_APPLICATION_CREDENTIALS"]),
    ];
    if service == "storage" {
        v.push(("endpoint", &["STORAGE_EMULATOR_HOST"]));
        v.push(("signing_key_file", &["NIMBUS_GCS_SIGNING_KEY_FILE"]));
    } else {
        v.push(("zone", &["CLOUDSDK_COMPUTE_ZONE"]));
        v.push(("region", &["CLOUDSDK_COMPUTE_REGION"]));
    }
    v
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: None,
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
    variables,
    identity: Some(identity),
    permissions: Some(permissions),
    explain: None,
};
