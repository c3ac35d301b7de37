//! Swift (OpenStack object storage) through Nimbus against the raw client Nimbus builds on:
//! reqwest with the same Keystone session, making the plain Swift calls by hand. There is no
//! Rust Swift SDK to compare with (`openstack_sdk` is rejected in docs/design/0015), so the
//! "SDK" row is the thinnest correct client: one request per operation, no layers.
//!
//! Credentials come from the `OS_*` variables (`scripts/openstack env`), for both rows.
//! `--measure OP --n N` (main.rs) runs N operations of one kind for callgrind.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use futures::StreamExt;
use nimbus_core::config::Settings;
use nimbus_core::Storage;
use nimbus_openstack::encode::segment;
use nimbus_openstack::{OpenStackConfig, Service, Session};
use reqwest::Method;

use crate::{chunks, Bench, NimbusB};

/// The raw client: the adapter's own session (token, catalog) and plain Swift requests.
pub struct RawB {
    session: Session,
    container: String,
}

impl RawB {
    fn path(&self, key: &str) -> String {
        format!("/{}/{}", self.container, key)
    }
    async fn send(&self, method: Method, path: &str, body: Option<Bytes>) -> Result<reqwest::Response> {
        Ok(self
            .session
            .send(Service::ObjectStore, method, path, |r| match &body {
                Some(b) => r.body(b.clone()),
                None => r,
            })
            .await?)
    }
}

#[async_trait::async_trait]
impl Bench for RawB {
    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.send(Method::PUT, &self.path(key), Some(body)).await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<usize> {
        Ok(self
            .send(Method::GET, &self.path(key), None)
            .await?
            .bytes()
            .await?
            .len())
    }
    async fn put_stream(&self, key: &str, total: usize) -> Result<()> {
        // One chunked PUT (Swift takes up to 5 GiB in one object).
        let body = reqwest::Body::wrap_stream(chunks(total).map(Ok::<_, std::io::Error>));
        self.session
            .send_once(Service::ObjectStore, Method::PUT, &self.path(key), |r| r.body(body))
            .await?;
        Ok(())
    }
    async fn get_stream(&self, key: &str) -> Result<usize> {
        let mut s = self.send(Method::GET, &self.path(key), None).await?.bytes_stream();
        let mut n = 0;
        while let Some(c) = s.next().await {
            n += c?.len();
        }
        Ok(n)
    }
    async fn list(&self, prefix: &str) -> Result<usize> {
        let mut n = 0;
        let mut marker = String::new();
        loop {
            // Pages of 1,000, as Nimbus and the other providers' rows list.
            let q = format!(
                "/{}?format=json&limit=1000&prefix={}&marker={}",
                self.container,
                segment(prefix),
                segment(&marker)
            );
            let page: serde_json::Value = self.send(Method::GET, &q, None).await?.json().await?;
            let items = page.as_array().context("listing is not an array")?;
            if items.is_empty() {
                return Ok(n);
            }
            n += items.len();
            marker = items[items.len() - 1]["name"].as_str().context("name")?.to_string();
        }
    }
}

/// Nimbus opened the normal way: the provider's storage with the safe defaults (contract,
/// tracing, retry, timeout), from the `OS_*` variables.
pub async fn nimbus_store() -> Result<Arc<dyn Storage>> {
    Ok(nimbus_openstack::PROVIDER
        .storage_with_defaults(Settings::default())
        .await?)
}

/// One implementation, by name.
pub async fn bench(imp: &str, container: &str) -> Result<Box<dyn Bench>> {
    Ok(match imp {
        "nimbus" => Box::new(NimbusB(nimbus_store().await?, container.to_string())),
        "sdk" => Box::new(RawB {
            session: Session::new(&OpenStackConfig::from_settings(&Settings::default())?)?,
            container: container.to_string(),
        }),
        other => bail!("unknown implementation {other} for swift (nimbus, sdk)"),
    })
}
