//! A local mock of the Compute Engine v1 API, held to Google's own material in
//! `../shared/vendor-fixtures/gcp/` (read, never copied or edited):
//!
//! - **the discovery document** (`compute-v1-discovery.json`): every request the adapter
//!   sends must be a documented method (HTTP method and path template), its JSON body must
//!   use only the fields of the method's request schema with the right types and include the
//!   fields the document marks required for that method; every answer the mock gives is
//!   validated against the method's response schema before it is sent, so a test cannot
//!   answer with a shape Google never returns;
//! - **the recorded HTTP logs** (`http-logs/`, real Compute Engine traffic recorded by
//!   Config Connector's mockgcp suite): exchanges taken from a log must match the logged
//!   method and path, and every top-level field the adapter sends that the logged request
//!   also carries must have the logged value; the answer is the logged answer, with the
//!   log's placeholders replaced. Logged answers may carry fields newer than the discovery
//!   revision; for those only the known fields are type-checked.
//!
//! Each test scripts the exchanges it expects, in order, and the mock fails the test on any
//! mismatch or on an exchange never made.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nimbus_conformance::matrix::ReplayRow;
use nimbus_conformance::mock_http::{MockHttp, Request, Response};
use serde_json::Value;

/// `NIMBUS_VENDOR_FIXTURES`, else `../shared/vendor-fixtures` beside the repository. `None`
/// (with a note) when absent, unless `NIMBUS_REQUIRE_EMULATORS=1`, where that is a failure.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NIMBUS_VENDOR_FIXTURES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vendor-fixtures"));
    if dir.join("gcp/compute-v1-discovery.json").is_file() {
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

/// The discovery document and checks against it.
#[derive(Clone)]
pub struct Discovery {
    doc: Arc<Value>,
}

/// A documented method: its id (`compute.instances.insert`) and definition.
pub struct Method<'a> {
    pub id: String,
    pub def: &'a Value,
}

impl Discovery {
    pub fn load(dir: &Path) -> Discovery {
        let p = dir.join("gcp/compute-v1-discovery.json");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        Discovery {
            doc: Arc::new(serde_json::from_str(&text).unwrap()),
        }
    }

    pub fn schema(&self, name: &str) -> &Value {
        &self.doc["schemas"][name]
    }

    /// The method answering `http_method` on `path` (relative to `compute/v1/`).
    pub fn method(&self, http_method: &str, path: &str) -> Option<Method<'_>> {
        fn walk<'a>(res: &'a Value, out: &mut Vec<&'a Value>) {
            if let Some(rs) = res["resources"].as_object() {
                for r in rs.values() {
                    if let Some(ms) = r["methods"].as_object() {
                        out.extend(ms.values());
                    }
                    walk(r, out);
                }
            }
        }
        let mut all = Vec::new();
        walk(&self.doc, &mut all);
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        // Literal segments beat parameters (`images/family/{family}` over `images/{image}`).
        all.into_iter()
            .filter(|m| m["httpMethod"] == http_method)
            .filter_map(|m| {
                let tpl: Vec<&str> = m["path"].as_str()?.split('/').collect();
                if tpl.len() != segs.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in tpl.iter().zip(&segs) {
                    if t.starts_with('{') {
                        if s.is_empty() {
                            return None;
                        }
                    } else if t != s {
                        return None;
                    } else {
                        literal += 1;
                    }
                }
                Some((literal, m))
            })
            .max_by_key(|(l, _)| *l)
            .map(|(_, m)| Method {
                id: m["id"].as_str().unwrap_or_default().to_string(),
                def: m,
            })
    }

    /// Problems of `v` against schema `$ref` name (`strict`: unknown fields and enum values
    /// are problems; otherwise only the types of known fields are checked).
    pub fn validate(&self, schema: &str, v: &Value, strict: bool) -> Vec<String> {
        let mut out = Vec::new();
        self.check(&serde_json::json!({ "$ref": schema }), v, "", strict, &mut out);
        out
    }

    fn check(&self, s: &Value, v: &Value, at: &str, strict: bool, out: &mut Vec<String>) {
        if let Some(r) = s["$ref"].as_str() {
            return self.check(self.schema(r), v, at, strict, out);
        }
        let ty = s["type"].as_str().unwrap_or("any");
        let ok = match ty {
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: {v} is not {ty}"));
            return;
        }
        // Recorded answers may use values added after the discovery revision.
        if let (true, Some(e), Some(x)) = (strict, s["enum"].as_array(), v.as_str()) {
            if !e.iter().any(|y| y == x) {
                out.push(format!("{at}: `{x}` is not one of the documented values"));
            }
        }
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.check(&s["items"], x, &format!("{at}[{i}]"), strict, out);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    let p = format!("{at}/{k}");
                    if let Some(ps) = s["properties"].get(k) {
                        self.check(ps, x, &p, strict, out);
                    } else if s.get("additionalProperties").is_some() {
                        self.check(&s["additionalProperties"], x, &p, strict, out);
                    } else if strict {
                        out.push(format!("{p}: not a field of the documented schema"));
                    }
                }
            }
            _ => {}
        }
    }

    /// Problems of a request against its method: body schema, required fields.
    pub fn check_request(&self, m: &Method<'_>, body: &Value) -> Vec<String> {
        let mut out = Vec::new();
        match m.def["request"]["$ref"].as_str() {
            Some(schema) => {
                if !body.is_object() {
                    out.push(format!("{} takes a {schema} body; none was sent", m.id));
                    return out;
                }
                out.extend(self.validate(schema, body, true));
                if let Some(props) = self.schema(schema)["properties"].as_object() {
                    for (k, p) in props {
                        let required = p["annotations"]["required"]
                            .as_array()
                            .is_some_and(|r| r.iter().any(|x| x == m.id.as_str()));
                        if required && body.get(k).is_none() {
                            out.push(format!("{}: required field `{k}` is missing", m.id));
                        }
                    }
                }
            }
            None if !body.is_null() => out.push(format!("{} takes no body; one was sent", m.id)),
            None => {}
        }
        out
    }
}

/// One exchange of a recorded log, placeholders replaced.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    /// Path from `/projects/…`, without the query.
    pub path: String,
    pub request: Value,
    pub status: u16,
    pub response: Value,
}

/// A recorded log, parsed.
pub struct Log {
    pub name: String,
    pub entries: Vec<Logged>,
}

impl Log {
    /// Loads `http-logs/NAME.http.log`, replacing each `${key}` by its value.
    pub fn load(dir: &Path, name: &str, subst: &[(&str, &str)]) -> Log {
        let p = dir.join(format!("gcp/http-logs/{name}.http.log"));
        let mut text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for (k, v) in subst {
            text = text.replace(&format!("${{{k}}}"), v);
        }
        let mut entries = Vec::new();
        for chunk in text.split("\n---\n") {
            let chunk = chunk.trim_matches('\n');
            if chunk.is_empty() {
                continue;
            }
            let mut lines = chunk.lines();
            let first = lines.next().unwrap();
            let (method, url) = first.split_once(' ').unwrap();
            let url = url.split('?').next().unwrap();
            let path = &url[url.find("/projects/").unwrap()..];
            // Request headers, a blank line, an optional body, a blank line, the status.
            let rest: Vec<&str> = lines.collect();
            let status_at = rest
                .iter()
                .position(|l| {
                    l.len() > 4 && l.as_bytes()[..3].iter().all(u8::is_ascii_digit) && l.as_bytes()[3] == b' '
                })
                .unwrap();
            let req_text = rest[..status_at]
                .iter()
                .skip_while(|l| !l.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            let status: u16 = rest[status_at][..3].parse().unwrap();
            let resp_text = rest[status_at + 1..]
                .iter()
                .skip_while(|l| !l.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            entries.push(Logged {
                method: method.to_string(),
                path: path.to_string(),
                request: serde_json::from_str(req_text.trim()).unwrap_or(Value::Null),
                status,
                response: serde_json::from_str(resp_text.trim()).unwrap_or(Value::Null),
            });
        }
        Log {
            name: name.to_string(),
            entries,
        }
    }

    /// The `n`th (from 0) entry with this method and path.
    pub fn nth(&self, method: &str, path: &str, n: usize) -> Logged {
        self.entries
            .iter()
            .filter(|e| e.method == method && e.path == path)
            .nth(n)
            .cloned()
            .unwrap_or_else(|| panic!("{}: no {method} {path} #{n}", self.name))
    }
}

/// One expected request and the answer to it.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Where the answer comes from, for the report (`http-log …` or `discovery …`).
    pub source: String,
    pub method: String,
    pub path: String,
    /// Query fragments the request must carry (`filter=`…).
    pub query_has: Vec<String>,
    /// A logged request to agree with on shared top-level fields.
    pub logged_request: Option<Value>,
    pub status: u16,
    pub body: Value,
    /// Logged answers may carry fields newer than the discovery revision.
    pub strict_response: bool,
    /// Extra answer headers (`Retry-After`, a request id), beside the content type.
    pub headers: Vec<(String, String)>,
}

impl Exchange {
    /// A logged exchange, replayed as recorded.
    pub fn logged(log: &Log, e: &Logged) -> Exchange {
        Exchange {
            source: format!("http-log {}", log.name),
            method: e.method.clone(),
            path: e.path.clone(),
            query_has: vec![],
            logged_request: (!e.request.is_null()).then(|| e.request.clone()),
            status: e.status,
            body: e.response.clone(),
            strict_response: false,
            headers: vec![],
        }
    }

    /// An exchange whose answer is built in the test from the discovery schemas.
    pub fn schema(method: &str, path: impl Into<String>, body: Value) -> Exchange {
        Exchange {
            source: "discovery schema".into(),
            method: method.into(),
            path: path.into(),
            query_has: vec![],
            logged_request: None,
            status: 200,
            body,
            strict_response: true,
            headers: vec![],
        }
    }

    /// A Google API error (`{"error": {"code", "message", "errors": [{"reason"}]}}`).
    pub fn error(method: &str, path: impl Into<String>, status: u16, reason: &str) -> Exchange {
        let body = serde_json::json!({"error": {"code": status, "message": format!("The resource was {reason}"),
            "errors": [{"domain": "global", "reason": reason, "message": "x"}]}});
        Exchange {
            status,
            ..Exchange::schema(method, path, body)
        }
    }

    /// Adds an answer header.
    pub fn header(mut self, name: &str, value: &str) -> Exchange {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn query(mut self, fragment: &str) -> Exchange {
        self.query_has.push(fragment.to_string());
        self
    }

    /// Replaces the answer, keeping the logged source (the answer is still validated).
    pub fn answer(mut self, body: Value) -> Exchange {
        self.body = body;
        self
    }
}

/// The mock and what it saw.
pub struct Mock {
    /// `http://127.0.0.1:PORT/compute/v1` (the adapter's endpoint).
    pub endpoint: String,
    script: Arc<Mutex<Vec<Exchange>>>,
    problems: Arc<Mutex<Vec<String>>>,
    pub seen: Arc<Mutex<Vec<(String, String, Value)>>>,
    used: Arc<Mutex<BTreeSet<String>>>,
    methods: Arc<Mutex<BTreeSet<String>>>,
    /// Held for the test's length: dropping it stops the server.
    server: MockHttp,
}

impl Mock {
    /// Serves the scripted exchanges on the shared loopback server
    /// (`nimbus_conformance::mock_http`), judging each request with [`judge`].
    pub async fn start(d: &Discovery) -> Mock {
        let script: Arc<Mutex<Vec<Exchange>>> = Arc::default();
        let problems: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen: Arc<Mutex<Vec<(String, String, Value)>>> = Arc::default();
        let used: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let methods: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let (s, p, sn, u, ms, d) = (
            script.clone(),
            problems.clone(),
            seen.clone(),
            used.clone(),
            methods.clone(),
            d.clone(),
        );
        let server = MockHttp::start(move |r: &Request| judge(&d, &s, &p, &sn, &u, &ms, r)).await;
        Mock {
            endpoint: format!("{}/compute/v1", server.base),
            script,
            problems,
            seen,
            used,
            methods,
            server,
        }
    }

    pub fn expect(&self, e: Exchange) {
        self.script.lock().unwrap().push(e);
    }

    /// What disagreed so far.
    pub fn problems(&self) -> Vec<String> {
        self.problems.lock().unwrap().clone()
    }

    /// Fails the test on any mismatch or any exchange never made.
    pub fn verify(&self) {
        let problems = self.problems.lock().unwrap().clone();
        let left = self.script.lock().unwrap().clone();
        assert!(
            problems.is_empty(),
            "requests or answers that disagree with Google's material:\n{}",
            problems.join("\n")
        );
        assert!(
            left.is_empty(),
            "expected requests that never came: {:?}",
            left.iter()
                .map(|e| format!("{} {} ({})", e.method, e.path, e.source))
                .collect::<Vec<_>>()
        );
    }

    /// [`Mock::verify`], then the report row: the case, the service, the methods exercised
    /// and the material that proved it, recorded in `target/conformance/gcp-gce-replay.jsonl`.
    pub fn verify_as(&self, case: &str, service: &str) -> ReplayRow {
        self.verify();
        let fixtures: Vec<String> = self.used.lock().unwrap().iter().cloned().collect();
        let proof = if fixtures.iter().any(|s| s.starts_with("http-log")) {
            "vendor-log replay + discovery schema"
        } else {
            "discovery schema"
        };
        let requests = self.seen.lock().unwrap().len();
        let row = ReplayRow {
            methods: self.methods.lock().unwrap().iter().cloned().collect(),
            fixtures,
            ..ReplayRow::pass(case, service, proof, requests)
        };
        row.record("gcp-gce").expect("recording the replay row");
        row
    }
}

/// Compares URL-valued strings from `/projects/` on (hosts differ between log and mock).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) if x.contains("/projects/") && y.contains("/projects/") => {
            x[x.find("/projects/").unwrap()..] == y[y.find("/projects/").unwrap()..]
        }
        _ => a == b,
    }
}

fn judge(
    d: &Discovery,
    script: &Mutex<Vec<Exchange>>,
    problems: &Mutex<Vec<String>>,
    seen: &Mutex<Vec<(String, String, Value)>>,
    used: &Mutex<BTreeSet<String>>,
    methods: &Mutex<BTreeSet<String>>,
    request: &Request,
) -> Response {
    let (method, target, body) = (request.method.as_str(), request.target.as_str(), &request.body);
    let (full, query) = (request.path(), request.query());
    // Form-encoded: `+` is a space.
    let query = percent_encoding::percent_decode_str(&query.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned();
    let path = full.strip_prefix("/compute/v1").unwrap_or(full).to_string();
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    seen.lock()
        .unwrap()
        .push((method.to_string(), target.to_string(), json.clone()));
    let mut wrong = Vec::new();
    let documented = d.method(method, &path);
    match &documented {
        None => wrong.push("not a documented Compute Engine v1 method".to_string()),
        Some(m) => {
            wrong.extend(d.check_request(m, &json));
            methods.lock().unwrap().insert(m.id.clone());
        }
    }
    let next = {
        let mut s = script.lock().unwrap();
        (!s.is_empty()).then(|| s.remove(0))
    };
    let Some(x) = next else {
        problems.lock().unwrap().push(format!("unexpected {method} {target}"));
        return answer(
            500,
            &[],
            &serde_json::json!({"error": {"code": 500, "message": "not scripted"}}),
        );
    };
    if x.method != method || x.path != path {
        wrong.push(format!("expected {} {}", x.method, x.path));
    }
    for q in &x.query_has {
        if !query.contains(q.as_str()) {
            wrong.push(format!("query lacks `{q}` (got `{query}`)"));
        }
    }
    if let (Some(logged), Some(sent)) = (&x.logged_request, json.as_object()) {
        for (k, v) in sent {
            if let Some(lv) = logged.get(k) {
                if k != "name" && k != "description" && !same_value(v, lv) {
                    wrong.push(format!("field `{k}` is {v}, the recorded request has {lv}"));
                }
            }
        }
    }
    if x.status < 300 {
        match documented.as_ref().and_then(|m| m.def["response"]["$ref"].as_str()) {
            Some(schema) => {
                for p in d.validate(schema, &x.body, x.strict_response) {
                    wrong.push(format!("the scripted answer is not a valid {schema}: {p}"));
                }
            }
            None if !x.body.is_null() => wrong.push("the method documents no response body".into()),
            None => {}
        }
    }
    used.lock().unwrap().insert(x.source.clone());
    if !wrong.is_empty() {
        problems
            .lock()
            .unwrap()
            .push(format!("{method} {target} ({}): {}", x.source, wrong.join("; ")));
    }
    answer(x.status, &x.headers, &x.body)
}

/// Google answers JSON as `application/json; charset=UTF-8`, with or without a body.
fn answer(status: u16, headers: &[(String, String)], body: &Value) -> Response {
    Response::json(status, body)
        .content_type("application/json; charset=UTF-8")
        .headers(headers)
}
