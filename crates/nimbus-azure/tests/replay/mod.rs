//! A local mock of Azure Resource Manager that replays Azure's own published examples
//! (`x-ms-examples` from Azure/azure-rest-api-specs, in `../shared/vendor-fixtures/azure/`).
//!
//! Each test scripts the exchanges it expects, in order. For every request the adapter
//! sends, the server checks the method, the path, the `api-version` and that every field of
//! the JSON body is a field Azure's examples show for that resource (the example request,
//! the example responses, and ARM's `TrackedResource` properties from the common types);
//! then it answers with the example's status, headers and body. Long-running-operation URLs
//! in the examples (`https://foo.com/operationstatus`, `https://management.azure.com/…`) are
//! pointed at this server, so polling is exercised too. The fixtures are read, never copied
//! or edited; variations (a 404, an operation status) are built here from the vendor schemas.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use nimbus_conformance::matrix::ReplayRow;
use nimbus_conformance::mock_http::{MockHttp, Request, Response};
use serde_json::Value;

/// Where the vendor fixtures are: `NIMBUS_VENDOR_FIXTURES`, else `../shared/vendor-fixtures`
/// beside the repository. `None` (with a note) when absent, unless
/// `NIMBUS_REQUIRE_EMULATORS=1`, where that is a failure.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NIMBUS_VENDOR_FIXTURES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vendor-fixtures"));
    if dir.join("azure").is_dir() {
        return Some(dir);
    }
    if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") {
        panic!(
            "vendor fixtures not found at {}: set NIMBUS_VENDOR_FIXTURES",
            dir.display()
        );
    }
    eprintln!("vendor fixtures not found at {}: skipping", dir.display());
    None
}

/// A parsed example file.
#[derive(Clone)]
pub struct Example {
    pub name: String,
    pub json: Value,
}

impl Example {
    pub fn load(dir: &std::path::Path, rel: &str) -> Example {
        let p = dir.join("azure").join(rel);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        Example {
            name: rel.to_string(),
            json: serde_json::from_str(&text).unwrap(),
        }
    }
    pub fn param(&self, k: &str) -> String {
        match &self.json["parameters"][k] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        }
    }
    pub fn api(&self) -> String {
        self.param("api-version")
    }
    /// The request body (the body parameter's value).
    pub fn request_body(&self, param: &str) -> Value {
        self.json["parameters"][param].clone()
    }
    pub fn response(&self, status: &str) -> (u16, Vec<(String, String)>, Value) {
        let r = &self.json["responses"][status];
        let headers = r["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        (status.parse().unwrap(), headers, r["body"].clone())
    }
}

/// Every key path of a JSON value (`/properties/x`, arrays as `[]`).
pub fn key_paths(v: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, at: String, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = format!("{at}/{k}");
                    out.insert(p.clone());
                    walk(x, p, out);
                }
            }
            Value::Array(a) => {
                for x in a {
                    walk(x, format!("{at}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(v, String::new(), &mut out);
    out
}

/// One expected request and the answer to it.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub fixture: String,
    pub method: String,
    pub path: String,
    pub api_version: Option<String>,
    /// Key paths the body may use; `None`: no body expected.
    pub allowed: Option<BTreeSet<String>>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Exchange {
    pub fn new(fixture: &Example, method: &str, path: impl Into<String>, status: &str) -> Exchange {
        let (status, headers, body) = fixture.response(status);
        Exchange {
            fixture: fixture.name.clone(),
            method: method.into(),
            path: path.into(),
            api_version: Some(fixture.api()),
            allowed: None,
            status,
            headers,
            body,
        }
    }
    /// Expects a JSON body whose fields all appear in these examples' request bodies or
    /// responses (plus ARM's tracked-resource `tags` and `location`).
    pub fn body_fields_from(mut self, sources: &[&Value]) -> Exchange {
        let mut allowed: BTreeSet<String> = ["/tags", "/location"].iter().map(|s| s.to_string()).collect();
        for s in sources {
            allowed.extend(key_paths(s));
        }
        self.allowed = Some(allowed);
        self
    }
    /// Also allows body fields that Azure's REST definitions document but none of the
    /// fixture examples happens to show, each with the definition that documents it; the
    /// definition is named in the report row next to the example.
    pub fn documented_beyond_examples(mut self, fields: &[(&str, &str)]) -> Exchange {
        let allowed = self.allowed.get_or_insert_with(BTreeSet::new);
        for (path, definition) in fields {
            allowed.insert(path.to_string());
            self.fixture.push_str(&format!(" + {path} ({definition})"));
        }
        self
    }
    pub fn with_body(mut self, body: Value) -> Exchange {
        self.body = body;
        self
    }
    pub fn with_status(mut self, status: u16) -> Exchange {
        self.status = status;
        self
    }
}

/// The server and what it saw.
pub struct Replay {
    pub base: String,
    script: Arc<Mutex<Vec<Exchange>>>,
    problems: Arc<Mutex<Vec<String>>>,
    pub seen: Arc<Mutex<Vec<(String, String, Value)>>>,
    used: Arc<Mutex<Vec<String>>>,
    /// Held for the test's length: dropping it stops the server.
    server: MockHttp,
}

impl Replay {
    /// Serves the scripted exchanges on the shared loopback server
    /// (`nimbus_conformance::mock_http`), judging each request with [`judge`].
    pub async fn start() -> Replay {
        let script: Arc<Mutex<Vec<Exchange>>> = Arc::default();
        let problems: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen: Arc<Mutex<Vec<(String, String, Value)>>> = Arc::default();
        let used: Arc<Mutex<Vec<String>>> = Arc::default();
        let (s, p, sn, u) = (script.clone(), problems.clone(), seen.clone(), used.clone());
        let server = MockHttp::start(move |r: &Request| judge(&s, &p, &sn, &u, r)).await;
        Replay {
            base: server.base.clone(),
            script,
            problems,
            seen,
            used,
            server,
        }
    }

    /// Points an example's absolute URL (operation status, Location) at this server.
    pub fn local_url(&self, url: &str) -> String {
        let rest = url.splitn(4, '/').nth(3).unwrap_or_default();
        format!("{}/{rest}", self.base)
    }

    pub fn expect(&self, e: Exchange) {
        self.script.lock().unwrap().push(e);
    }

    /// Fails the test on any mismatch or any exchange the adapter never made.
    pub fn verify(&self) {
        let problems = self.problems.lock().unwrap().clone();
        let left = self.script.lock().unwrap().clone();
        assert!(
            problems.is_empty(),
            "requests that did not match the vendor examples:\n{}",
            problems.join("\n")
        );
        assert!(
            left.is_empty(),
            "expected requests that never came: {:?}",
            left.iter()
                .map(|e| format!("{} {} ({})", e.method, e.path, e.fixture))
                .collect::<Vec<_>>()
        );
    }

    /// [`Replay::verify`], then the report row: the case, its service and the vendor
    /// examples that proved it, recorded in `target/conformance/azure-arm-replay.jsonl`.
    pub fn verify_as(&self, case: &str, service: &str) -> ReplayRow {
        self.verify();
        let mut fixtures = self.used.lock().unwrap().clone();
        fixtures.sort();
        fixtures.dedup();
        let requests = self.seen.lock().unwrap().len();
        let row = ReplayRow {
            fixtures,
            ..ReplayRow::pass(case, service, "vendor-example replay", requests)
        };
        row.record("azure-arm").expect("recording the replay row");
        row
    }
}

fn judge(
    script: &Mutex<Vec<Exchange>>,
    problems: &Mutex<Vec<String>>,
    seen: &Mutex<Vec<(String, String, Value)>>,
    used: &Mutex<Vec<String>>,
    request: &Request,
) -> Response {
    let (method, target, body) = (request.method.as_str(), request.target.as_str(), &request.body);
    let (path, query) = (request.path(), request.query());
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned();
    let api = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v.into_owned());
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    seen.lock()
        .unwrap()
        .push((method.to_string(), target.to_string(), json.clone()));
    let next = {
        let mut s = script.lock().unwrap();
        if s.is_empty() {
            None
        } else {
            Some(s.remove(0))
        }
    };
    let Some(x) = next else {
        problems.lock().unwrap().push(format!("unexpected {method} {target}"));
        return Response::json(
            500,
            &serde_json::json!({"error": {"code": "Unexpected", "message": "not scripted"}}),
        );
    };
    let mut wrong = Vec::new();
    if x.method != method {
        wrong.push(format!("method {method}, example {}", x.method));
    }
    if !x.path.eq_ignore_ascii_case(&path) {
        wrong.push(format!("path {path}, example {}", x.path));
    }
    if let Some(v) = &x.api_version {
        if api.as_deref() != Some(v.as_str()) {
            wrong.push(format!("api-version {api:?}, example {v}"));
        }
    }
    if let Some(allowed) = &x.allowed {
        if json.is_null() {
            wrong.push("no JSON body".into());
        }
        for k in key_paths(&json) {
            let free = k.starts_with("/tags/");
            if !free && !allowed.contains(&k) {
                wrong.push(format!("body field {k} is not in Azure's examples"));
            }
        }
    }
    used.lock().unwrap().push(x.fixture.clone());
    if !wrong.is_empty() {
        problems
            .lock()
            .unwrap()
            .push(format!("{method} {target} vs {}: {}", x.fixture, wrong.join("; ")));
    }
    Response::json(x.status, &x.body).headers(&x.headers)
}
