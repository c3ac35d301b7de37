//! HTTP, tokens, errors and long-running-operation polling for ARM.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use nimbus_core::{Error, ErrorKind, Result};
use serde_json::Value;

use super::config::{ArmAuth, ArmConfig};
use crate::error::{from_azure, kind_for};
use crate::identity;

/// How long a long-running operation may take before Nimbus gives up waiting.
const LRO_DEADLINE: Duration = Duration::from_secs(1800);

/// An answer: status, the headers that matter, and the JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct ArmResponse {
    /// HTTP status.
    pub status: u16,
    /// `Azure-AsyncOperation` header.
    pub async_operation: Option<String>,
    /// `Location` header.
    pub location: Option<String>,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u64>,
    /// Body.
    pub body: Value,
}

enum Token {
    Entra(Arc<dyn TokenCredential>),
    Static(nimbus_core::config::Secret),
}

/// ARM over reqwest. Cheap to clone.
#[derive(Clone)]
pub struct ArmClient {
    cfg: Arc<ArmConfig>,
    token: Arc<Token>,
    http: reqwest::Client,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.cfg.endpoint)
            .field("subscription", &self.cfg.subscription)
            .field("resource_group", &self.cfg.resource_group)
            .finish_non_exhaustive()
    }
}

impl ArmClient {
    /// A client for `cfg`; with Entra ID the credential is chosen from the environment now.
    pub fn new(cfg: &ArmConfig) -> Result<Self> {
        let token = match &cfg.auth {
            ArmAuth::EntraId => Token::Entra(identity::credential_from_env()?),
            ArmAuth::Token(t) => Token::Static(t.clone()),
        };
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| Error::internal(format!("HTTP client: {e}")))?;
        Ok(ArmClient {
            cfg: Arc::new(cfg.clone()),
            token: Arc::new(token),
            http,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ArmConfig {
        &self.cfg
    }

    /// The HTTP client (the escape hatch for ARM calls Nimbus does not make).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A bearer token for `https://management.azure.com/.default`.
    pub async fn bearer(&self) -> Result<String> {
        match &*self.token {
            Token::Static(t) => Ok(t.expose().to_string()),
            Token::Entra(c) => c
                .get_token(&[identity::ARM_SCOPE], None)
                .await
                .map(|t| t.token.secret().to_string())
                .map_err(from_azure),
        }
    }

    fn url(&self, path_or_url: &str, api: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            return path_or_url.to_string();
        }
        let sep = if path_or_url.contains('?') { '&' } else { '?' };
        format!("{}{path_or_url}{sep}api-version={api}", self.cfg.endpoint)
    }

    /// One request; a non-2xx answer becomes the portable error (ARM `CloudError` code kept).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<ArmResponse> {
        let url = self.url(path, api);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(self.bearer().await?);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(serde_json::to_vec(b).map_err(|e| Error::internal(format!("request body: {e}")))?);
        } else if method == reqwest::Method::POST {
            req = req.header("content-length", "0");
        }
        let resp = req.send().await.map_err(|e| {
            let kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Unavailable
            };
            Error::new(kind, format!("{method} {path}: {}", e.without_url()))
        })?;
        let status = resp.status().as_u16();
        let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
        let async_operation = header("azure-asyncoperation");
        let location = header("location");
        let retry_after = header("retry-after").and_then(|s| s.trim().parse::<u64>().ok());
        let request_id = header("x-ms-request-id").or_else(|| header("x-ms-correlation-request-id"));
        let text = resp
            .text()
            .await
            .map_err(|e| Error::new(ErrorKind::Unavailable, format!("{method} {path}: {}", e.without_url())))?;
        let body: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status >= 300 {
            return Err(cloud_error(status, &body, request_id, retry_after));
        }
        Ok(ArmResponse {
            status,
            async_operation,
            location,
            retry_after,
            body,
        })
    }

    /// GET as JSON.
    pub async fn get(&self, path: &str, api: &str) -> Result<Value> {
        Ok(self.send(reqwest::Method::GET, path, api, None).await?.body)
    }

    /// GET every page of a `{ value: [...], nextLink }` list.
    pub async fn list(&self, path: &str, api: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut next = Some(path.to_string());
        while let Some(p) = next.take() {
            let page = self.get(&p, api).await?;
            if let Some(v) = page.get("value").and_then(Value::as_array) {
                out.extend(v.iter().cloned());
            }
            next = page.get("nextLink").and_then(Value::as_str).map(str::to_string);
        }
        Ok(out)
    }

    /// PUT; when the answer is a long-running operation (an `Azure-AsyncOperation` URL, or a
    /// 201 still provisioning), waits for it and returns the resource as read afterwards.
    /// Without an operation URL that read is one GET, which may still show a transitional
    /// `provisioningState`.
    pub async fn put(&self, path: &str, api: &str, body: &Value) -> Result<Value> {
        let r = self.send(reqwest::Method::PUT, path, api, Some(body)).await?;
        let pending = r.async_operation.is_some()
            || (r.status == 201 && !terminal(r.body.pointer("/properties/provisioningState")));
        if pending {
            self.wait(&r).await?;
            return self.get(path, api).await;
        }
        Ok(r.body)
    }

    /// POST an action (start, powerOff, …) and wait for it.
    pub async fn action(&self, path: &str, api: &str) -> Result<()> {
        let r = self.send(reqwest::Method::POST, path, api, None).await?;
        self.wait(&r).await
    }

    /// DELETE and wait; a resource already gone (404) counts as deleted.
    pub async fn delete(&self, path: &str, api: &str) -> Result<()> {
        match self.send(reqwest::Method::DELETE, path, api, None).await {
            Ok(r) => self.wait(&r).await,
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Follows a long-running operation to its end (no-op for a synchronous answer).
    pub async fn wait(&self, first: &ArmResponse) -> Result<()> {
        let started = std::time::Instant::now();
        let mut retry = first.retry_after;
        if let Some(op) = &first.async_operation {
            loop {
                self.pause(retry, started).await?;
                let r = self.send(reqwest::Method::GET, op, "", None).await?;
                retry = r.retry_after;
                match r.body.get("status").and_then(Value::as_str).unwrap_or("InProgress") {
                    "Succeeded" => return Ok(()),
                    s @ ("Failed" | "Canceled" | "Cancelled") => return Err(operation_error(s, &r.body)),
                    _ => {}
                }
            }
        }
        if first.status == 202 {
            if let Some(loc) = &first.location {
                loop {
                    self.pause(retry, started).await?;
                    let r = self.send(reqwest::Method::GET, loc, "", None).await?;
                    if r.status != 202 {
                        return Ok(());
                    }
                    retry = r.retry_after;
                }
            }
        }
        Ok(())
    }

    async fn pause(&self, retry_after: Option<u64>, started: std::time::Instant) -> Result<()> {
        if started.elapsed() > LRO_DEADLINE {
            return Err(Error::new(
                ErrorKind::Timeout,
                "the Azure operation did not finish in 30 minutes",
            ));
        }
        let d = retry_after.map_or(self.cfg.poll_interval, Duration::from_secs);
        tokio::time::sleep(d.min(Duration::from_secs(60))).await;
        Ok(())
    }
}

fn terminal(state: Option<&Value>) -> bool {
    matches!(
        state.and_then(Value::as_str),
        None | Some("Succeeded" | "Failed" | "Canceled")
    )
}

/// ARM's `CloudError` (`{ "error": { "code", "message", "details" } }`) as a portable error.
pub(crate) fn cloud_error(status: u16, body: &Value, request_id: Option<String>, retry_after: Option<u64>) -> Error {
    let err = body.get("error").unwrap_or(body);
    let code = err.get("code").and_then(Value::as_str).map(str::to_string);
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .map(identity::redact)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let mut e = Error::new(kind_for(code.as_deref(), Some(status)), message);
    if let Some(c) = code {
        e = e.with_raw_code(c);
    }
    if let Some(r) = request_id {
        e = e.with_request_id(r);
    }
    if let Some(s) = retry_after {
        e = e.with_retry_after(Duration::from_secs(s));
    }
    e
}

fn operation_error(status: &str, body: &Value) -> Error {
    match body.get("error") {
        Some(_) => cloud_error(500, body, None, None),
        None => Error::new(ErrorKind::Internal, format!("the Azure operation ended as {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_errors_keep_code_and_map_kind() {
        let body =
            serde_json::json!({"error": {"code": "SkuNotAvailable", "message": "The requested size is not available"}});
        let e = cloud_error(409, &body, Some("rid".into()), None);
        assert_eq!(e.kind(), ErrorKind::CapacityUnavailable);
        assert_eq!(e.raw_code(), Some("SkuNotAvailable"));
        assert_eq!(e.request_id(), Some("rid"));
        let e = cloud_error(429, &Value::Null, None, Some(7));
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    }
}
