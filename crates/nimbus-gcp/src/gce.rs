//! The Compute Engine v1 REST client shared by [`crate::GceCompute`] and
//! [`crate::GceNetwork`]: project-relative paths, paged and aggregated lists, and operations.
//!
//! Every mutation returns an `Operation`; the client then calls `POST …/operations/{name}/wait`
//! (global, regional or zonal, taken from the operation's own `selfLink`) until it is `DONE`,
//! which is what `gcloud` does in Google's recorded logs, and turns `error.errors[0]` into a
//! typed error. `wait` returns after at most about two minutes even when the operation is
//! still running, so it is called again until done, but only until `operation_timeout`
//! (15 minutes by default): a stuck operation becomes `Timeout` naming it instead of an
//! endless wait.
//!
//! `nimbus_core::contract::Contract` is above the services that use it, but checks ids only
//! for emptiness and control characters: making them safe path segments is done here.

use nimbus_core::network::validate::validate_name;
use nimbus_core::{Error, ErrorKind, Result};
use reqwest::Method;
use serde_json::Value;

use crate::config::GceConfig;
use crate::error::from_operation;
use crate::rest::{credentials, JsonApi};

/// Page size asked of list calls (the API's maximum is 500).
const PAGE: u32 = 500;

/// A Compute Engine client for one project, region and zone.
#[derive(Debug, Clone)]
pub struct GceClient {
    api: JsonApi,
    cfg: GceConfig,
}

/// The last path segment of a resource URL (`…/zones/us-central1-a` → `us-central1-a`).
pub(crate) fn leaf(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// A caller's id → (scope, name): `scope/name`, where the scope (a zone or region) may be a
/// full resource URL whose last segment counts, or a bare name in `default_scope`. Both parts
/// must be Compute Engine names (RFC 1035: a-z, 0-9 and -), so an id can never reach another
/// path or add a query; a bad one is `InvalidInput` naming it.
pub(crate) fn scoped_id<'a>(what: &str, id: &'a str, default_scope: &'a str) -> Result<(&'a str, &'a str)> {
    if id.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(Error::invalid(format!(
            "invalid {what} id `{}`: `.` and `..` segments are not ids",
            id.escape_debug()
        )));
    }
    let (scope, name) = match id.rsplit_once('/') {
        Some((s, n)) => (leaf(s), n),
        None => (default_scope, id),
    };
    validate_name(what, name)?;
    validate_name(&format!("{what} id's zone or region"), scope)?;
    Ok((scope, name))
}

/// The path part of a project-relative path must be plain segments (names, `:` of legacy
/// domain-scoped projects): no empty, `.` or `..` segment, no `%`, `?` or `#` from a caller.
/// The adapters check ids first (`scoped_id`, names) and the contract the names of new
/// resources; this is the last check before a URL is built.
fn check_path(rest: &str) -> Result<()> {
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    let bad = path.split('/').find(|seg| {
        seg.is_empty()
            || *seg == "."
            || *seg == ".."
            || !seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    match bad {
        Some(seg) => Err(Error::invalid(format!(
            "`{}` is not a Compute Engine resource path (segment `{}`)",
            rest.escape_debug(),
            seg.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// The query of an insert that carries a create's idempotency token: Compute Engine ignores a
/// repeated insert with the same `requestId` (a UUID) for at least 60 minutes and returns the
/// first call's operation. Empty without a token.
pub(crate) fn request_id_query(token: Option<&str>) -> String {
    token.map(|t| format!("?requestId={}", q(t))).unwrap_or_default()
}

/// Percent-encodes a query value.
pub(crate) fn q(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

impl GceClient {
    /// A client for `cfg` (no request is made yet).
    pub fn new(cfg: &GceConfig) -> Result<Self> {
        crate::rest::ensure_tls_provider();
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| Error::internal(format!("HTTP client: {e}")))?;
        Ok(GceClient {
            api: JsonApi::new(http, cfg.endpoint.clone(), credentials(&cfg.auth)?),
            cfg: cfg.clone(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &GceConfig {
        &self.cfg
    }

    /// The JSON client (escape hatch: its `http()` and `endpoint()`).
    pub fn api(&self) -> &JsonApi {
        &self.api
    }

    /// `/projects/{project}` followed by `rest`.
    pub(crate) fn path(&self, rest: &str) -> String {
        format!("/projects/{}/{rest}", self.cfg.project)
    }

    /// The full URL of a project resource, as Compute Engine writes references.
    pub(crate) fn link(&self, rest: &str) -> String {
        format!("{}{}", self.cfg.endpoint, self.path(rest))
    }

    /// GET of one resource.
    pub(crate) async fn get(&self, rest: &str) -> Result<Value> {
        check_path(rest)?;
        self.api.call(Method::GET, &self.path(rest), None).await
    }

    /// Every item of a paged list (`rest` may carry a query, e.g. `filter=`).
    pub(crate) async fn list(&self, rest: &str) -> Result<Vec<Value>> {
        self.pages(rest, |page, out| {
            if let Some(items) = page["items"].as_array() {
                out.extend(items.iter().cloned());
            }
        })
        .await
    }

    /// Every item of an aggregated list (`aggregated/instances` → `items.*.instances`).
    ///
    /// Asked with `returnPartialSuccess=true`, Compute Engine answers even when some zones or
    /// regions cannot be read, naming them in `unreachables` (and in an `UNREACHABLE`
    /// warning of the scope). A list missing whole zones is not the list the caller asked
    /// for, so that is `Unavailable` naming the scopes (retryable), never a short list.
    pub(crate) async fn aggregated(&self, rest: &str, field: &str) -> Result<Vec<Value>> {
        let mut unreachable = Vec::new();
        let items = self
            .pages(rest, |page, out| {
                unreachable.extend(unreachable_scopes(page));
                for scoped in page["items"].as_object().into_iter().flat_map(|m| m.values()) {
                    if let Some(items) = scoped[field].as_array() {
                        out.extend(items.iter().cloned());
                    }
                }
            })
            .await?;
        if unreachable.is_empty() {
            return Ok(items);
        }
        unreachable.sort();
        unreachable.dedup();
        Err(Error::new(
            ErrorKind::Unavailable,
            format!(
                "the {field} of {} could not be read (unreachable), so the list would be incomplete",
                unreachable.join(", ")
            ),
        )
        .with_raw_code("UNREACHABLE"))
    }

    /// Follows `nextPageToken`, letting `take` collect the items of each page.
    async fn pages(&self, rest: &str, mut take: impl FnMut(&Value, &mut Vec<Value>)) -> Result<Vec<Value>> {
        check_path(rest)?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .api
                .call(Method::GET, &self.page_url(rest, token.as_deref()), None)
                .await?;
            take(&page, &mut out);
            match page["nextPageToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    fn page_url(&self, rest: &str, token: Option<&str>) -> String {
        let sep = if rest.contains('?') { '&' } else { '?' };
        let mut url = format!("{}{sep}maxResults={PAGE}", self.path(rest));
        if let Some(t) = token {
            url.push_str(&format!("&pageToken={}", q(t)));
        }
        url
    }

    /// Sends a mutation and waits for its operation; the finished operation. The wait is
    /// bounded by `operation_timeout` (each `wait` call and pause included): past it, the
    /// error is `Timeout` naming the operation, which may still finish on its own.
    pub(crate) async fn operate(&self, method: Method, rest: &str, body: Option<&Value>) -> Result<Value> {
        check_path(rest)?;
        let mut op = self.api.call(method, &self.path(rest), body).await?;
        let deadline = tokio::time::Instant::now() + self.cfg.operation_timeout;
        loop {
            if op["status"] == "DONE" {
                return match from_operation(&op) {
                    Some(e) => Err(e),
                    None => Ok(op),
                };
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(self.overdue(&op));
            }
            let wait = op_wait_path(&op)?;
            let next = match tokio::time::timeout(left, self.api.call(Method::POST, &wait, None)).await {
                Ok(next) => next?,
                Err(_) => return Err(self.overdue(&op)),
            };
            if next["status"] != "DONE" {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                tokio::time::sleep(self.cfg.poll_interval.min(left)).await;
            }
            op = next;
        }
    }

    /// The `Timeout` of an operation still running at the deadline.
    fn overdue(&self, op: &Value) -> Error {
        let s = |k: &str| op[k].as_str().unwrap_or("?");
        Error::new(
            ErrorKind::Timeout,
            format!(
                "operation `{}` ({} of {}) still {} after {:?}; it may yet finish",
                s("name"),
                s("operationType"),
                s("targetLink"),
                s("status"),
                self.cfg.operation_timeout
            ),
        )
    }
}

/// The scopes (`zones/us-east1-d`) an aggregated-list page could not read: its
/// `unreachables`, and the scopes whose warning is `UNREACHABLE`.
fn unreachable_scopes(page: &Value) -> Vec<String> {
    let mut out: Vec<String> = page["unreachables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect();
    for (scope, v) in page["items"].as_object().into_iter().flatten() {
        if v.pointer("/warning/code").and_then(Value::as_str) == Some("UNREACHABLE") {
            out.push(scope.clone());
        }
    }
    out
}

/// `…/projects/P/zones/Z/operations/N` (from the operation's `selfLink`) + `/wait`.
fn op_wait_path(op: &Value) -> Result<String> {
    let link = op["selfLink"].as_str().unwrap_or_default();
    let at = link.find("/projects/").ok_or_else(|| {
        Error::new(
            ErrorKind::Internal,
            format!(
                "operation `{}` has no selfLink to wait on",
                op["name"].as_str().unwrap_or("?")
            ),
        )
    })?;
    Ok(format!("{}/wait", &link[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_waited_on_where_they_live() {
        let op = serde_json::json!({"name": "op-1", "status": "RUNNING",
            "selfLink": "https://www.googleapis.com/compute/v1/projects/p/regions/us-central1/operations/op-1"});
        assert_eq!(
            op_wait_path(&op).unwrap(),
            "/projects/p/regions/us-central1/operations/op-1/wait"
        );
        assert!(op_wait_path(&serde_json::json!({"name": "x"})).is_err());
        assert_eq!(leaf("https://x/projects/p/zones/us-central1-a"), "us-central1-a");
    }

    #[test]
    fn unreachable_scopes_come_from_the_list_and_the_scope_warnings() {
        let page = serde_json::json!({
            "items": {
                "zones/us-central1-a": {"instances": []},
                "zones/us-east1-d": {"warning": {"code": "UNREACHABLE", "message": "unreachable",
                    "data": [{"key": "scope", "value": "zones/us-east1-d"}]}},
                "zones/europe-west1-b": {"warning": {"code": "NO_RESULTS_ON_PAGE"}}
            },
            "unreachables": ["zones/asia-east1-a"]
        });
        assert_eq!(
            unreachable_scopes(&page),
            vec!["zones/asia-east1-a".to_string(), "zones/us-east1-d".to_string()]
        );
        assert!(unreachable_scopes(&serde_json::json!({"items": {}})).is_empty());
    }

    #[test]
    fn caller_ids_cannot_leave_their_resource() {
        assert_eq!(
            scoped_id("instance", "vm-1", "us-central1-a").unwrap(),
            ("us-central1-a", "vm-1")
        );
        assert_eq!(
            scoped_id("instance", "https://x/projects/p/zones/europe-west1-b/vm-1", "z").unwrap(),
            ("europe-west1-b", "vm-1")
        );
        for bad in [
            "../../global/firewalls/x",
            "vm-1?alt=media",
            "z/..",
            "VM",
            "z/vm%2F1",
            "",
            "z/",
            "a b",
        ] {
            let e = scoped_id("instance", bad, "us-central1-a").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        }
        assert!(check_path("zones/us-central1-a/instances/vm-1/start").is_ok());
        assert!(check_path("global/firewalls?filter=name%20eq%20%22x%22").is_ok());
        for bad in [
            "zones/../global",
            "global//networks",
            "global/networks/a%2Fb",
            "global/networks/a#b",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
