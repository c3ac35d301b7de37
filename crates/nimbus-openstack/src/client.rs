//! The session every OpenStack service shares: one HTTP client, one Keystone token
//! (re-issued before it expires, and once more on a 401), endpoints from the catalog, and
//! every non-2xx answer mapped once to the portable error.
//!
//! Why one token per configuration and not per service: Keystone tokens are per user and
//! project, not per service, and issuing one costs a password hash on the server. The
//! services opened for one profile share it through [`Session::shared`]. They do not share
//! the HTTP client: reqwest's pooled connections belong to the tokio runtime that opened
//! them and die with it ("dispatch task is gone"), and a process may open services in
//! several runtimes (every test does).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use nimbus_core::config::Secret;
use nimbus_core::{Error, ErrorKind, Result};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

use crate::config::OpenStackConfig;
use crate::error::{from_fault, Fault};
use crate::identity::{auth_body, Token};

/// An OpenStack service type in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Nova.
    Compute,
    /// Neutron.
    Network,
    /// Glance.
    Image,
    /// Swift.
    ObjectStore,
}

impl Service {
    /// The catalog's service type.
    pub fn catalog_type(self) -> &'static str {
        match self {
            Service::Compute => "compute",
            Service::Network => "network",
            Service::Image => "image",
            Service::ObjectStore => "object-store",
        }
    }
}

/// Keystone session plus HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

/// The current token of one configuration, shared by its sessions.
type TokenSlot = tokio::sync::Mutex<Option<Arc<Token>>>;

/// Every configuration's token slot in this process.
type TokenSlots = Mutex<Vec<(OpenStackConfig, Arc<TokenSlot>)>>;

struct Inner {
    cfg: OpenStackConfig,
    http: reqwest::Client,
    token: Arc<TokenSlot>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("auth_url", &self.inner.cfg.auth_url)
            .field("region", &self.inner.cfg.region)
            .field("interface", &self.inner.cfg.interface)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session for `cfg` with a token of its own; makes no request (the token is issued
    /// on first use).
    pub fn new(cfg: &OpenStackConfig) -> Result<Session> {
        Self::with_token_slot(cfg, Arc::default())
    }

    fn with_token_slot(cfg: &OpenStackConfig, token: Arc<TokenSlot>) -> Result<Session> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(30))
            .pool_idle_timeout(std::time::Duration::from_secs(50));
        if let Some(path) = &cfg.cacert {
            let pem = std::fs::read(path).map_err(|e| Error::invalid(format!("cacert `{}`: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::invalid(format!("cacert `{}`: not a PEM bundle: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(Error::invalid(format!(
                    "cacert `{}`: no certificate in it",
                    path.display()
                )));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        if cfg.insecure {
            tracing::warn!("openstack: TLS verification is off (`insecure`)");
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b.build().map_err(|e| Error::internal(format!("HTTP client: {e}")))?;
        Ok(Session {
            inner: Arc::new(Inner {
                cfg: cfg.clone(),
                http,
                token,
            }),
        })
    }

    /// A session for `cfg` whose token is shared with every other session of the same
    /// configuration in this process (one token for storage, compute and network of one
    /// profile). The HTTP client is its own (see the module docs).
    pub fn shared(cfg: &OpenStackConfig) -> Result<Session> {
        static SLOTS: OnceLock<TokenSlots> = OnceLock::new();
        let slot = {
            let mut all = SLOTS
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match all.iter().find(|(c, _)| c == cfg) {
                Some((_, slot)) => slot.clone(),
                None => {
                    let slot = Arc::<TokenSlot>::default();
                    all.push((cfg.clone(), slot.clone()));
                    slot
                }
            }
        };
        Self::with_token_slot(cfg, slot)
    }

    /// The configuration.
    pub fn config(&self) -> &OpenStackConfig {
        &self.inner.cfg
    }

    /// The HTTP client (the escape hatch for calls Nimbus does not make).
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// A valid token, issued or re-issued as needed.
    pub async fn token(&self) -> Result<Arc<Token>> {
        let mut slot = self.inner.token.lock().await;
        if let Some(t) = slot.as_ref() {
            if !t.needs_refresh(SystemTime::now()) {
                return Ok(t.clone());
            }
        }
        let t = Arc::new(self.issue().await?);
        *slot = Some(t.clone());
        Ok(t)
    }

    /// Forgets `stale` (after a 401) so that the next call issues a new token.
    async fn forget(&self, stale: &Arc<Token>) {
        let mut slot = self.inner.token.lock().await;
        if slot.as_ref().is_some_and(|t| Arc::ptr_eq(t, stale)) {
            *slot = None;
        }
    }

    async fn issue(&self) -> Result<Token> {
        let url = format!("{}/auth/tokens", self.inner.cfg.auth_url);
        let resp = self
            .inner
            .http
            .post(&url)
            .json(&auth_body(&self.inner.cfg))
            .send()
            .await
            .map_err(|e| transport("POST /v3/auth/tokens", e))?;
        let status = resp.status().as_u16();
        let subject = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(Secret::new);
        let request_id = request_id(&resp);
        let text = resp.text().await.map_err(|e| transport("POST /v3/auth/tokens", e))?;
        if status >= 300 {
            let mut e = from_fault(&Fault {
                status,
                body: &text,
                request_id,
                retry_after: None,
            });
            if status == 401 {
                e = Error::new(
                    ErrorKind::Unauthenticated,
                    format!(
                        "Keystone at {} refused the credentials ({}): {}",
                        self.inner.cfg.auth_url,
                        self.inner.cfg.origin,
                        e.message()
                    ),
                )
                .with_raw_code(e.raw_code().unwrap_or("Unauthorized").to_string());
            }
            return Err(e);
        }
        let subject =
            subject.ok_or_else(|| Error::new(ErrorKind::Internal, "Keystone answered without X-Subject-Token"))?;
        let body: Value = serde_json::from_str(&text)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("Keystone token body: {e}")))?;
        Token::parse(subject, &body)
    }

    /// The base URL of `service` for the configured region and interface.
    pub async fn endpoint(&self, service: Service) -> Result<String> {
        let token = self.token().await?;
        self.base(&token, service)
    }

    /// The profile's override for `service`, else the catalog's URL.
    fn base(&self, token: &Token, service: Service) -> Result<String> {
        let cfg = &self.inner.cfg;
        match cfg.endpoint_overrides.get(service.catalog_type()) {
            Some(url) => crate::endpoint_override::expand(service.catalog_type(), url, token.project_id.as_deref()),
            None => token.endpoint(service.catalog_type(), cfg.interface, cfg.region.as_deref()),
        }
    }

    /// One attempt with `token` (`path` relative to the service's endpoint, or an absolute
    /// URL such as a `next` link): the answer whatever its status, or the transport error.
    async fn attempt(
        &self,
        token: &Token,
        service: Service,
        method: &Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base(token, service)?)
        };
        let req = self
            .inner
            .http
            .request(method.clone(), url)
            .header("x-auth-token", token.value.expose());
        build(req)
            .send()
            .await
            .map_err(|e| transport(&format!("{method} {}", short(path)), e))
    }

    /// Sends one request to `service` (`path` relative to its endpoint, or an absolute URL).
    /// `build` adds headers and body; it is called again for the one retry after a 401 with
    /// a new token, so it must be cheap and repeatable. A non-2xx answer is the portable
    /// error.
    pub async fn send(
        &self,
        service: Service,
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let token = self.token().await?;
        let resp = self.attempt(&token, service, &method, path, &build).await?;
        if resp.status().as_u16() != 401 {
            return success(resp).await;
        }
        // Revoked or expired early (a Keystone restart with new Fernet keys): once more
        // with a new token.
        self.forget(&token).await;
        let token = self.token().await?;
        success(self.attempt(&token, service, &method, path, &build).await?).await
    }

    /// A request whose body cannot be rebuilt (a stream): no retry on 401, the token is
    /// fresh anyway (re-issued at a quarter of its lifetime).
    pub async fn send_once(
        &self,
        service: Service,
        method: Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let token = self.token().await?;
        success(self.attempt(&token, service, &method, path, build).await?).await
    }

    /// GET as JSON.
    pub async fn get_json(
        &self,
        service: Service,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Value> {
        json_of(self.send(service, Method::GET, path, build).await?).await
    }

    /// GET, with the JSON answer read straight into `T` (no `Value` tree; `T::default()`
    /// when empty).
    pub async fn get_as<T: serde::de::DeserializeOwned + Default>(
        &self,
        service: Service,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<T> {
        let text = text_of(self.send(service, Method::GET, path, build).await?).await?;
        if text.trim().is_empty() {
            return Ok(T::default());
        }
        serde_json::from_str(&text)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("answer is not as expected: {e}")))
    }

    /// Sends a JSON body, returns the JSON answer (`Null` when empty).
    pub async fn send_json(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: &Value,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Value> {
        json_of(self.send(service, method, path, |r| build(r.json(body))).await?).await
    }
}

/// The JSON body of an answer (`Null` when empty).
pub async fn json_of(resp: Response) -> Result<Value> {
    let text = text_of(resp).await?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| Error::new(ErrorKind::Internal, format!("answer is not JSON: {e}")))
}

/// The text of an answer.
async fn text_of(resp: Response) -> Result<String> {
    resp.text().await.map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!("reading the answer: {}", e.without_url()),
        )
    })
}

/// The answer when it is a 2xx, else its portable error.
async fn success(resp: Response) -> Result<Response> {
    if resp.status().is_success() {
        Ok(resp)
    } else {
        Err(fault_of(resp).await)
    }
}

/// The portable error of a non-2xx answer.
pub async fn fault_of(resp: Response) -> Error {
    let status = resp.status().as_u16();
    let request_id = request_id(&resp);
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok());
    let body = resp.text().await.unwrap_or_default();
    from_fault(&Fault {
        status,
        body: &body,
        request_id,
        retry_after,
    })
}

/// The request id of an answer (`X-Openstack-Request-Id`, Nova's `X-Compute-Request-Id`,
/// Swift's `X-Trans-Id`).
pub(crate) fn request_id(resp: &Response) -> Option<String> {
    ["x-openstack-request-id", "x-compute-request-id", "x-trans-id"]
        .iter()
        .find_map(|h| resp.headers().get(*h).and_then(|v| v.to_str().ok()).map(str::to_string))
}

/// A transport failure (no answer): unavailable, or timeout.
pub fn transport(what: &str, e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Unavailable
    };
    let e = e.without_url();
    let mut msg = format!("{what}: {e}");
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    Error::new(kind, msg)
}

fn short(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// `2.79` → `(2, 79)`.
pub fn parse_microversion(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microversions_parse() {
        assert_eq!(parse_microversion("2.93"), Some((2, 93)));
        assert_eq!(parse_microversion("2"), None);
        assert_eq!(parse_microversion("latest"), None);
    }
}
