//! One authorised `BlobServiceClient` per credential kind, and the same authorisation for
//! the few REST calls made without the SDK.
//!
//! - account key: a short-lived account SAS signed by [`crate::sas::account_sas`] rides in
//!   the client's URL (`azure_storage_blob` 1.x has no shared-key signing). The client is
//!   rebuilt with a fresh SAS when less than [`REFRESH_BEFORE`] of it is left, so a
//!   long-lived store never fails on an expired signature;
//! - SAS token: used as given (it expires when its issuer decided);
//! - Entra ID: the SDK's bearer-token policy (https only, enforced by the SDK).

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use azure_core::credentials::TokenCredential;
use azure_core::http::Url;
use azure_storage_blob::BlobServiceClient;
use nimbus_core::config::Secret;
use nimbus_core::{Error, ErrorKind, Result};

use crate::config::{AzureStorageConfig, Credential};
use crate::error::from_azure;
use crate::identity;

/// Lifetime of the account SAS Nimbus signs for its own client.
pub(crate) const SAS_TTL: Duration = Duration::from_secs(3600);
/// A client is rebuilt when less than this is left of its SAS.
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(600);

enum Auth {
    AccountKey(Secret),
    Sas(Secret),
    Entra(Arc<dyn TokenCredential>),
}

struct Current {
    svc: Arc<BlobServiceClient>,
    /// The SAS query in use (account key or SAS modes).
    query: Option<Secret>,
    /// When that SAS stops working (account key mode).
    expires: Option<SystemTime>,
}

/// The authorised clients of one storage account.
pub(crate) struct Clients {
    pub(crate) account: String,
    pub(crate) endpoint: String,
    auth: Auth,
    current: RwLock<Current>,
    pub(crate) http: reqwest::Client,
}

impl Clients {
    pub(crate) fn new(cfg: &AzureStorageConfig) -> Result<Self> {
        let auth = match &cfg.credential {
            Credential::AccountKey(k) => Auth::AccountKey(k.clone()),
            Credential::Sas(s) => Auth::Sas(s.clone()),
            Credential::EntraId => {
                if !cfg.endpoint.starts_with("https://") {
                    return Err(Error::invalid(format!(
                        "Entra ID needs an https blob endpoint, got `{}`: use an account key, a SAS or a connection string for http endpoints",
                        cfg.endpoint
                    )));
                }
                Auth::Entra(identity::credential_from_env()?)
            }
        };
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| Error::new(ErrorKind::Internal, format!("HTTP client: {e}")))?;
        let current = build(&cfg.account, &cfg.endpoint, &auth, SystemTime::now())?;
        Ok(Clients {
            account: cfg.account.clone(),
            endpoint: cfg.endpoint.clone(),
            auth,
            current: RwLock::new(current),
            http,
        })
    }

    /// The service client, re-signed first if its SAS is about to expire.
    pub(crate) fn service(&self) -> Result<Arc<BlobServiceClient>> {
        let now = SystemTime::now();
        {
            let cur = self.current.read().unwrap_or_else(|p| p.into_inner());
            if cur.expires.is_none_or(|e| e > now + REFRESH_BEFORE) {
                return Ok(cur.svc.clone());
            }
        }
        let fresh = build(&self.account, &self.endpoint, &self.auth, now)?;
        let svc = fresh.svc.clone();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(svc)
    }

    /// The account key, when presigning is possible.
    pub(crate) fn account_key(&self) -> Option<&Secret> {
        match &self.auth {
            Auth::AccountKey(k) => Some(k),
            _ => None,
        }
    }

    /// A REST request to `url` (relative to the endpoint, with its own query) carrying the
    /// same authorisation as the SDK client.
    pub(crate) async fn rest_get(&self, path_and_query: &str) -> Result<reqwest::RequestBuilder> {
        self.service()?; // refreshes the SAS if needed
        let query = self.current.read().unwrap_or_else(|p| p.into_inner()).query.clone();
        let mut url = format!("{}/{path_and_query}", self.endpoint);
        if let Some(q) = query {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(q.expose());
        }
        let mut req = self.http.get(url);
        if let Auth::Entra(c) = &self.auth {
            let t = c
                .get_token(&[identity::STORAGE_SCOPE], None)
                .await
                .map_err(from_azure)?;
            req = req.bearer_auth(t.token.secret());
        }
        Ok(req)
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self.auth {
            Auth::AccountKey(_) => "account key (signed SAS)",
            Auth::Sas(_) => "SAS token",
            Auth::Entra(_) => "Entra ID",
        }
    }
}

fn build(account: &str, endpoint: &str, auth: &Auth, now: SystemTime) -> Result<Current> {
    let mut url = Url::parse(endpoint).map_err(|e| Error::invalid(format!("blob endpoint `{endpoint}`: {e}")))?;
    let (query, expires, cred) = match auth {
        Auth::AccountKey(k) => {
            let sas = crate::sas::account_sas(account, k, SAS_TTL, now)?;
            (Some(Secret::new(sas)), Some(now + SAS_TTL), None)
        }
        Auth::Sas(s) => (Some(s.clone()), None, None),
        Auth::Entra(c) => (None, None, Some(c.clone())),
    };
    if let Some(q) = &query {
        url.set_query(Some(q.expose()));
    }
    // The client's own retries are off: the retry layer above every adapter is the one policy
    // (it honours `Retry-After` and knows which calls are idempotent; the SDK's would also
    // repeat a create-only put whose answer was lost, and report the retry's 409 instead).
    let mut options = azure_storage_blob::BlobServiceClientOptions::default();
    options.client_options.retry = azure_core::http::RetryOptions::none();
    let svc = BlobServiceClient::new(url, cred, Some(options)).map_err(|e| {
        let mut e = from_azure(e);
        if e.kind() == ErrorKind::Internal {
            e = Error::invalid(format!("blob endpoint `{endpoint}`: {}", e.message()));
        }
        e
    })?;
    Ok(Current {
        svc: Arc::new(svc),
        query,
        expires,
    })
}
