//! The Compute Engine v1 REST client shared by [`crate::GceCompute`] and
//! [`crate::GceNetwork`]: project-relative paths, paged and aggregated lists, and operations.
//!
//! Every mutation returns an `Operation`; the client then calls `POST …/operations/{name}/wait`
//! (global, regional or zonal, taken from the operation's own `selfLink`) until it is `DONE`,
//! which is what `gcloud` does in Google's recorded logs, and turns `error.errors[0]` into a
//! typed error. `wait` returns after at most about two minutes even when the operation is
//! still running, so it is called again until done.

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

/// Percent-encodes a query value.
pub(crate) fn q(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

impl GceClient {
    /// A client for `cfg` (no request is made yet).
    pub fn new(cfg: &GceConfig) -> Result<Self> {
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
    pub(crate) async fn aggregated(&self, rest: &str, field: &str) -> Result<Vec<Value>> {
        self.pages(rest, |page, out| {
            for scoped in page["items"].as_object().into_iter().flat_map(|m| m.values()) {
                if let Some(items) = scoped[field].as_array() {
                    out.extend(items.iter().cloned());
                }
            }
        })
        .await
    }

    /// Follows `nextPageToken`, letting `take` collect the items of each page.
    async fn pages(&self, rest: &str, take: impl Fn(&Value, &mut Vec<Value>)) -> Result<Vec<Value>> {
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

    /// Sends a mutation and waits for its operation; the finished operation.
    pub(crate) async fn operate(&self, method: Method, rest: &str, body: Option<&Value>) -> Result<Value> {
        let mut op = self.api.call(method, &self.path(rest), body).await?;
        loop {
            if op["status"] == "DONE" {
                return match from_operation(&op) {
                    Some(e) => Err(e),
                    None => Ok(op),
                };
            }
            let wait = op_wait_path(&op)?;
            let next = self.api.call(Method::POST, &wait, None).await?;
            if next["status"] != "DONE" {
                tokio::time::sleep(self.cfg.poll_interval).await;
            }
            op = next;
        }
    }
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
}
