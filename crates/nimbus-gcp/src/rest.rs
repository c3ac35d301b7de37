//! JSON over HTTPS to Google APIs with Google credentials: the Cloud Storage JSON API (for
//! what google-cloud-storage 1.x offers only over gRPC) and Compute Engine v1 (whose REST
//! surface is what the vendor's discovery document and recorded logs describe).

use google_cloud_auth::credentials::{CacheableResource, Credentials};
use nimbus_core::{Error, ErrorKind, Result};
use serde_json::Value;

use crate::config::GcsAuth;
use crate::error::{from_json_response, ResponseHeaders};

/// google-cloud-storage opens its TLS (gRPC) channel with rustls's process-wide default
/// crypto provider. When another crate of the same build enables rustls's `ring` next to
/// `aws-lc-rs` (reqwest 0.12's rustls-tls does, e.g. with the Azure adapter or object_store
/// beside this one), rustls cannot choose one and panics on the first `https` endpoint. So
/// unless the application installed a provider itself, install aws-lc-rs, the one
/// google-cloud-auth uses anyway. Idempotent; losing a race to another installer is fine.
pub(crate) fn ensure_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}

/// Credentials for an auth choice (anonymous is `None`: no header is sent).
pub(crate) fn credentials(auth: &GcsAuth) -> Result<Option<Credentials>> {
    Ok(Some(match auth {
        GcsAuth::Anonymous => return Ok(None),
        GcsAuth::Adc => google_cloud_auth::credentials::Builder::default()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Unauthenticated,
                    format!("Application Default Credentials: {e}"),
                )
            })?,
        GcsAuth::ServiceAccountFile(p) => google_cloud_auth::credentials::service_account::Builder::new(key_json(p)?)
            .build()
            .map_err(|e| Error::new(ErrorKind::Unauthenticated, format!("service account: {e}")))?,
    }))
}

/// A key file's JSON. Errors name the file, never its content (it holds a private key).
fn key_json(p: &std::path::Path) -> Result<Value> {
    let text = std::fs::read_to_string(p).map_err(|e| Error::invalid(format!("key file {}: {e}", p.display())))?;
    serde_json::from_str(&text).map_err(|_| Error::invalid(format!("key file {} is not JSON", p.display())))
}

/// A local RSA signer from a service-account key file (for V4 signed URLs; no request is
/// made). The private key is checked now, so a bad key fails at connect, not at first use.
#[cfg(feature = "storage")]
pub(crate) fn signer(p: &std::path::Path) -> Result<google_cloud_auth::signer::Signer> {
    let key = key_json(p)?;
    if key.get("type").and_then(Value::as_str) != Some("service_account") {
        return Err(Error::invalid(format!(
            "signing key file {} is not a service-account key (`type` must be `service_account`)",
            p.display()
        )));
    }
    google_cloud_auth::credentials::service_account::Builder::new(key)
        .build_signer()
        .map_err(|e| Error::invalid(format!("signing key file {}: {e}", p.display())))
}

/// A JSON client of one Google API root with the adapter's credentials.
#[derive(Clone, Debug)]
pub struct JsonApi {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: String,
    pub(crate) creds: Option<Credentials>,
}

impl JsonApi {
    /// A client of `endpoint` (no trailing slash); `creds` `None` sends no credentials.
    pub(crate) fn new(http: reqwest::Client, endpoint: String, creds: Option<Credentials>) -> Self {
        JsonApi { http, endpoint, creds }
    }

    /// The HTTP client (escape hatch).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The API root every path is relative to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    async fn auth(&self, mut req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder> {
        if let Some(c) = &self.creds {
            match c.headers(http::Extensions::new()).await {
                Ok(CacheableResource::New { data, .. }) => {
                    for (k, v) in data.iter() {
                        req = req.header(k.as_str(), v.as_bytes());
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Unauthenticated,
                        format!("Google credentials: {e}"),
                    ))
                }
            }
        }
        Ok(req)
    }

    /// Sends `method path_and_query` with an optional JSON body; the JSON answer (`Null` when
    /// empty) or the portable error.
    pub async fn call(&self, method: reqwest::Method, path_and_query: &str, body: Option<&Value>) -> Result<Value> {
        let text = self.call_text(method, path_and_query, body).await?;
        Ok(if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        })
    }

    /// Like [`JsonApi::call`], with the answer read straight into `T` (no `Value` tree: an
    /// object listing of 1,000 full resources spent half its instructions building and
    /// dropping one). An empty answer is `T::default()`; an answer of another shape is an
    /// error naming the call.
    pub async fn call_as<T: serde::de::DeserializeOwned + Default>(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        let text = self.call_text(method.clone(), path_and_query, body).await?;
        if text.trim().is_empty() {
            return Ok(T::default());
        }
        serde_json::from_str(&text)
            .map_err(|e| Error::internal(format!("{method} {path_and_query}: unexpected answer: {e}")))
    }

    /// One call; the answer's text when its status is a success, its typed error otherwise.
    async fn call_text(&self, method: reqwest::Method, path_and_query: &str, body: Option<&Value>) -> Result<String> {
        let url = format!("{}{path_and_query}", self.endpoint);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(serde_json::to_vec(b).map_err(|e| Error::internal(e.to_string()))?);
        }
        let req = self.auth(req).await?;
        let resp = req.send().await.map_err(|e| {
            let kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Unavailable
            };
            Error::new(kind, format!("{method} {path_and_query}: {}", e.without_url()))
        })?;
        let status = resp.status().as_u16();
        let headers =
            ResponseHeaders::from_lookup(|n| resp.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string));
        let text = resp
            .text()
            .await
            .map_err(|e| Error::new(ErrorKind::Unavailable, e.without_url().to_string()))?;
        if status >= 300 {
            return Err(from_json_response(status, &text, &headers));
        }
        Ok(text)
    }
}
