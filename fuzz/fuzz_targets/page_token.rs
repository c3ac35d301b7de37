//! List page tokens (and prefixes, delimiters, start-after keys, page sizes), which callers
//! hand back and the object_store bridge passes through as plain strings: on the local
//! filesystem and memory stores, through the portable contract. Holds: a listing never
//! panics; every page's keys and common prefixes start with the prefix, come after the
//! token and the start-after key, and strictly ascend across pages; following the tokens ends.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use nimbus_core::storage::{ListOptions, PutOptions};
use nimbus_core::Storage;

const KEYS: &[&str] = &[
    "a",
    "a/",
    "a/b",
    "a/b/c",
    "a/b/d",
    "a/c",
    "a!",
    "a.",
    "a0",
    "ab/",
    "ab/x",
    "b",
    "b/",
    "b//c",
    "b/~",
    "c/é",
    "c/ü/x",
    "d/-",
    "d/.",
    "d/a b",
    "e/1/2/3/4",
    "e/1/2/5",
    "e/10",
    "e/2",
    "z",
    "zz/z/z",
];

struct Env {
    rt: tokio::runtime::Runtime,
    _tmp: tempfile::TempDir,
    stores: Vec<Arc<dyn Storage>>,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let stores = vec![common::fs_store(tmp.path()), common::memory_store()];
        let rt = common::runtime();
        rt.block_on(async {
            for s in &stores {
                s.create_bucket("ptk", &Default::default()).await.unwrap();
                // The filesystem store refuses directory-marker keys (`a/`); the rest go in.
                for k in KEYS {
                    let _ = s.put("ptk", k, Bytes::from_static(b"x"), &PutOptions::default()).await;
                }
            }
        });
        Env { rt, _tmp: tmp, stores }
    })
}

#[derive(Debug, Default)]
struct Input {
    token: Option<String>,
    prefix: Option<String>,
    delimiter: Option<String>,
    start_after: Option<String>,
    page_size: u8,
}

/// Input: lines `token=…`, `prefix=…`, `delimiter=…`, `start_after=…`, `page_size=N`, in
/// any order (a value is the rest of its line).
fn input(s: &str) -> Input {
    let mut i = Input::default();
    for l in s.split('\n') {
        match l.split_once('=') {
            Some(("token", v)) => i.token = Some(v.into()),
            Some(("prefix", v)) => i.prefix = Some(v.into()),
            Some(("delimiter", v)) => i.delimiter = Some(v.into()),
            Some(("start_after", v)) => i.start_after = Some(v.into()),
            Some(("page_size", v)) => i.page_size = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    i
}

fuzz_target!(|s: &str| {
    let i = input(s);
    let e = env();
    let mut o = ListOptions::default();
    o.prefix = i.prefix.clone();
    o.delimiter = i.delimiter.clone();
    o.start_after = i.start_after.clone();
    o.page_size = Some(i.page_size as usize);
    let prefix = i.prefix.clone().unwrap_or_default();
    e.rt.block_on(async {
        for s in &e.stores {
            let mut token = i.token.clone();
            let mut last: Option<String> = None;
            for page_no in 0.. {
                assert!(page_no <= KEYS.len() + 2, "the listing does not end: {i:?}");
                let Ok(page) = s.list_page("ptk", &o, token.clone()).await else {
                    break;
                };
                let mut names: Vec<&String> = page.objects.iter().map(|m| &m.key).collect();
                names.extend(page.common_prefixes.iter());
                names.sort();
                for n in names {
                    assert!(n.starts_with(&prefix), "{n:?} outside prefix {prefix:?}: {i:?}");
                    // A token takes over from start-after (as in S3's ListObjectsV2).
                    if page_no == 0 {
                        if let Some(after) = i.token.as_ref().or(i.start_after.as_ref()) {
                            assert!(
                                n.as_str() > after.as_str() || after.starts_with(n.as_str()),
                                "{n:?} not after {after:?}: {i:?}"
                            );
                        }
                    }
                    if let Some(l) = &last {
                        assert!(n > l, "{n:?} after {l:?} in a later page: {i:?}");
                    }
                    last = Some(n.clone());
                }
                match page.next_token {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
    });
});
