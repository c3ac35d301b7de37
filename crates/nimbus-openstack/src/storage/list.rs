//! Container and account listings (`format=json`).
//!
//! Swift pages by `marker` (exclusive: the names strictly after it), which is exactly the
//! portable `start_after`; the page token is the last name of a full page. There is no
//! "truncated" flag: a page shorter than the limit is the last, and a page exactly as long
//! as the limit is followed by one request that may find nothing. Entries with `subdir`
//! (instead of `name`) are the common prefixes of a delimiter listing. Order is by the
//! UTF-8 bytes of the names (SQLite's binary collation), i.e. lexicographic.

use nimbus_core::storage::{BucketInfo, ListPage, ObjectMeta};
use serde::Deserialize;
use serde_json::Value;

use super::meta::unquote;

/// One entry of a container listing, read into only the fields the portable model uses.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Entry {
    name: Option<String>,
    subdir: Option<String>,
    bytes: Option<u64>,
    hash: Option<String>,
    slo_etag: Option<String>,
    content_type: Option<String>,
    last_modified: Option<String>,
}

/// One page of a container listing. `limit` is what was asked (a full page has a next
/// token); `marker` is the marker sent: a common prefix equal to it is the one the previous
/// page ended with (Swift lists it again because its first key sorts after the marker),
/// and is dropped. The entries' strings are moved into the page, not copied.
pub fn object_page(entries: Vec<Entry>, limit: usize, marker: Option<&str>) -> ListPage {
    let full = entries.len() >= limit;
    let mut page = ListPage::default();
    page.objects.reserve(entries.len());
    let mut last: Option<String> = None;
    for e in entries {
        if let Some(dir) = e.subdir {
            if marker != Some(dir.as_str()) {
                page.common_prefixes.push(dir.clone());
            }
            last = Some(dir);
            continue;
        }
        let Some(name) = e.name else {
            continue;
        };
        let mut m = ObjectMeta::new(name, e.bytes.unwrap_or(0));
        // An SLO lists the manifest's own MD5 as `hash` and its ETag as `slo_etag`: the
        // latter is what HEAD and GET answer.
        m.etag = e
            .slo_etag
            .or(e.hash)
            .map(|h| unquote(h.split(';').next().unwrap_or(&h)));
        m.version = m.etag.clone();
        m.content_type = e.content_type.map(|mut c| {
            if let Some(i) = c.find(";swift_bytes=") {
                c.truncate(i);
            }
            c
        });
        m.last_modified = e.last_modified.as_deref().and_then(nimbus_core::time::parse_rfc3339);
        page.objects.push(m);
        last = None;
    }
    if full {
        page.next_token = last.or_else(|| page.objects.last().map(|o| o.key.clone()));
    }
    page
}

/// One page of an account listing: the containers and the marker of the next page.
pub fn bucket_page(v: &Value, limit: usize, region: Option<&str>) -> (Vec<BucketInfo>, Option<String>) {
    let entries = v.as_array().map(Vec::as_slice).unwrap_or_default();
    let out: Vec<BucketInfo> = entries
        .iter()
        .filter_map(|e| {
            let mut b = BucketInfo::new(e.get("name").and_then(Value::as_str)?);
            b.created = e
                .get("last_modified")
                .and_then(Value::as_str)
                .and_then(nimbus_core::time::parse_rfc3339);
            b.region = region.map(str::to_string);
            Some(b)
        })
        .collect();
    let next = if entries.len() >= limit {
        out.last().map(|b| b.name.clone())
    } else {
        None
    };
    (out, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_prefixes_and_slo_etags() {
        let v = json!([
            {"subdir": "a/"},
            {"bytes": 5, "hash": "5d41402abc4b2a76b9719d911017c592", "name": "k1", "content_type": "text/plain",
             "last_modified": "2026-12-01T12:40:46.592490"},
            {"bytes": 5, "hash": "b03473d4ce1a5ff6c8990ae1b6d97509", "name": "slo", "content_type": "text/x-a",
             "last_modified": "2026-12-01T12:41:59.973650", "slo_etag": "\"37072a0a56d45d7873fc4ad0c65aeb73\""},
            {"subdir": "b/"}
        ]);
        let page = |v: &serde_json::Value, limit, marker| {
            object_page(serde_json::from_value(v.clone()).unwrap(), limit, marker)
        };
        let p = page(&v, 4, Some("a/"));
        assert_eq!(p.common_prefixes, vec!["b/"]);
        assert_eq!(p.objects.len(), 2);
        assert_eq!(p.objects[0].etag.as_deref(), Some("5d41402abc4b2a76b9719d911017c592"));
        assert_eq!(p.objects[1].etag.as_deref(), Some("37072a0a56d45d7873fc4ad0c65aeb73"));
        assert!(p.objects[0].last_modified.is_some());
        assert_eq!(p.next_token.as_deref(), Some("b/"));
        assert_eq!(page(&v, 5, None).next_token, None);
        assert_eq!(page(&v, 5, None).common_prefixes, vec!["a/", "b/"]);
        let objects_last = json!([{"subdir": "a/"}, {"name": "k", "bytes": 1, "hash": "x"}]);
        assert_eq!(page(&objects_last, 2, None).next_token.as_deref(), Some("k"));
    }

    #[test]
    fn buckets_page_by_marker() {
        let v = json!([{"name": "a", "count": 0, "bytes": 0, "last_modified": "2026-12-01T12:40:46.571180"},
                       {"name": "b", "count": 1, "bytes": 3}]);
        let (b, next) = bucket_page(&v, 2, Some("RegionOne"));
        assert_eq!(b.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        assert!(b[0].created.is_some() && b[1].created.is_none());
        assert_eq!(next.as_deref(), Some("b"));
        assert_eq!(bucket_page(&v, 3, None).1, None);
    }
}
