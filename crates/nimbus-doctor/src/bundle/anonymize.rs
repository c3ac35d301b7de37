//! `--anonymize`: host names and IP addresses replaced by consistent tokens, so a bundle can
//! leave a customer whose network layout is itself confidential (`sos report --clean`'s
//! consistent host and address obfuscation is the anchor).
//!
//! Why two passes: a host name is only recognisably a host where it sits in a URL or before
//! a port (`https://s3.corp.example:9000`, `proxy.corp.example:3128`); elsewhere
//! (`CN=s3.corp.example`, a SAN list, a log line) it looks like any dotted word, and check ids
//! (`net.s3.tcp`) look the same. So the first pass collects the hosts from those unambiguous
//! places (plus this machine's name and every parent domain of each host, for wildcard
//! certificate names), and the second replaces every whole-word occurrence of a collected host
//! anywhere. IP addresses have a shape of their own and are replaced wherever they occur.
//!
//! What is kept: loopback and unspecified addresses and `localhost` (they identify nothing,
//! and support needs to see that an endpoint is local); for hosts under a public cloud's
//! domain, the cloud's own labels (`s3`, `blob.core.windows.net`, a region), so support still
//! sees *which service* was contacted, while the customer's labels in front (a bucket, a
//! storage account) become tokens.
//!
//! Tokens are `<anon:host:xxxxxxxx>`, `<anon:name:xxxxxxxx>` (one label) and
//! `<anon:ip:xxxxxxxx>`: the start of an HMAC-SHA256 under the bundle's random key, like the
//! redaction tokens, so two occurrences of one host get one token.

use std::collections::{BTreeMap, BTreeSet};

use aho_corasick::{AhoCorasick, MatchKind};
use regex_lite::Regex;

/// Public cloud domains whose own labels are kept.
const CLOUD_SUFFIXES: &[&str] = &[
    "amazonaws.com",
    "amazonaws.com.cn",
    "windows.net",
    "azure.com",
    "microsoftonline.com",
    "googleapis.com",
    "google.com",
    "cloudflarestorage.com",
    "digitaloceanspaces.com",
    "backblazeb2.com",
    "wasabisys.com",
    "linodeobjects.com",
];

/// The clouds' service labels in front of those domains.
const CLOUD_LABELS: &[&str] = &[
    "s3",
    "ec2",
    "sts",
    "iam",
    "s3-accelerate",
    "dualstack",
    "fips",
    "s3-website",
    "blob",
    "dfs",
    "queue",
    "table",
    "file",
    "core",
    "storage",
    "compute",
    "management",
    "login",
    "oauth2",
    "www",
    "accounts",
];

/// The collected hosts and the token function; apply with [`Anonymizer::apply`].
pub struct Anonymizer {
    /// Host → its replacement.
    map: BTreeMap<String, String>,
    matcher: Option<AhoCorasick>,
    hosts: Vec<String>,
    ip: Regex,
    token: TokenFn,
}

/// Makes a token from a kind (`host`, `name`, `ip`) and a value.
type TokenFn = Box<dyn Fn(&str, &str) -> String + Send + Sync>;

fn is_loopback(h: &str) -> bool {
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback() || a.is_unspecified())
}

/// An AWS region label (`eu-west-1`, `us-gov-west-1`) or a Google one (`europe-west4`),
/// by their vocabularies: a customer's label shaped alike (`acme-backup-2024`) is not one.
fn is_region(l: &str) -> bool {
    const AREAS: &[&str] = &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"];
    const GOOGLE_AREAS: &[&str] = &[
        "us",
        "europe",
        "asia",
        "australia",
        "northamerica",
        "southamerica",
        "me",
        "africa",
    ];
    const DIRECTIONS: &[&str] = &[
        "north",
        "south",
        "east",
        "west",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ];
    let number = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit());
    match l.split('-').collect::<Vec<_>>().as_slice() {
        [a, d, n] => AREAS.contains(a) && DIRECTIONS.contains(d) && number(n),
        [a, "gov" | "iso" | "isob", d, n] => AREAS.contains(a) && DIRECTIONS.contains(d) && number(n),
        [a, dn] => {
            let d = dn.trim_end_matches(|c: char| c.is_ascii_digit());
            GOOGLE_AREAS.contains(a) && DIRECTIONS.contains(&d) && d.len() < dn.len()
        }
        _ => false,
    }
}

/// Whether a name found in a URL or given as this machine's is worth replacing: a dotted name
/// whose last label starts with a letter (`1.2.3` is a version), or a single label with a
/// digit or a hyphen (`build-7`; a plain word such as `minio` or `storage` names a service and
/// appears in check ids too).
fn collectable(h: &str) -> bool {
    match h.rsplit_once('.') {
        Some((_, tld)) => tld.starts_with(|c: char| c.is_ascii_alphabetic()),
        None => {
            h.len() >= 3
                && h.chars().any(|c| c.is_ascii_alphabetic())
                && h.chars().any(|c| c.is_ascii_digit() || c == '-')
        }
    }
}

/// Whether the text before `at` ends a word: a host or an address must not continue one. An
/// escape such as JSON's `\n` before it counts as a boundary (multi-line messages inside JSON).
fn starts_word(text: &str, at: usize, dot_is_word: bool) -> bool {
    let mut it = text[..at].chars().rev();
    match it.next() {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '_' || (dot_is_word && c == '.') => {
            "ntrbf".contains(c) && it.next() == Some('\\')
        }
        Some(_) => true,
    }
}

impl Anonymizer {
    /// Collects the hosts in `texts` (URLs and `host:port`), plus `extra` (this machine's
    /// name), with `token(kind, value)` making the replacements.
    pub fn new(texts: &[&str], extra: &[String], token: impl Fn(&str, &str) -> String + Send + Sync + 'static) -> Self {
        let url = Regex::new(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^/@\s<>]*@)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)")
            .expect("url rule");
        let hostport =
            Regex::new(r"(?i)\b([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+):\d{1,5}\b")
                .expect("host:port rule");
        let mut found: BTreeSet<String> = BTreeSet::new();
        for t in texts {
            for c in url.captures_iter(t).chain(hostport.captures_iter(t)) {
                if let Some(h) = c.get(1) {
                    found.insert(h.as_str().to_ascii_lowercase());
                }
            }
        }
        found.extend(extra.iter().map(|h| h.to_ascii_lowercase()));
        let mut hosts: BTreeSet<String> = BTreeSet::new();
        for h in found {
            if is_loopback(&h) || h.parse::<std::net::IpAddr>().is_ok() || !collectable(&h) {
                continue;
            }
            // Parent domains too (`corp.example` of `s3.corp.example`: wildcard certificate
            // names), down to two labels, except the clouds' own.
            let labels: Vec<&str> = h.split('.').collect();
            for i in 0..labels.len().saturating_sub(1).max(1) {
                let d = labels[i..].join(".");
                if CLOUD_SUFFIXES.iter().any(|s| s == &d || s.ends_with(&format!(".{d}"))) {
                    break;
                }
                hosts.insert(d);
            }
        }
        let mut me = Anonymizer {
            map: BTreeMap::new(),
            matcher: None,
            hosts: Vec::new(),
            ip: Regex::new(
                r"(?i)(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?",
            )
            .expect("ip rule"),
            token: Box::new(token),
        };
        for h in &hosts {
            let r = me.replacement(h);
            if &r != h {
                me.map.insert(h.clone(), r);
            }
        }
        me.hosts = me.map.keys().cloned().collect();
        me.matcher = (!me.hosts.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .ascii_case_insensitive(true)
                .build(&me.hosts)
                .expect("host matcher builds")
        });
        me
    }

    /// How `host` is written: under a cloud's domain its own labels are kept and the others
    /// become `<anon:name:…>`; any other host becomes one `<anon:host:…>`.
    fn replacement(&self, host: &str) -> String {
        match CLOUD_SUFFIXES
            .iter()
            .find(|s| host.ends_with(&format!(".{s}")) || host == **s)
        {
            Some(s) => {
                let front = host[..host.len() - s.len()].trim_end_matches('.');
                let mut labels: Vec<String> = front
                    .split('.')
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        if CLOUD_LABELS.contains(&l) || is_region(l) {
                            l.to_string()
                        } else {
                            (self.token)("name", l)
                        }
                    })
                    .collect();
                labels.push(s.to_string());
                labels.join(".")
            }
            None => (self.token)("host", host),
        }
    }

    /// How many hosts were collected (for the report).
    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    /// `text` with every collected host (whole words only) and every IP address but loopback
    /// replaced, and the counts (`anonymize-host`, `anonymize-ip`).
    pub fn apply(&self, text: &str) -> (String, BTreeMap<String, usize>) {
        let mut hits: BTreeMap<String, usize> = BTreeMap::new();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        if let Some(m) = &self.matcher {
            let mut pos = 0;
            while pos < text.len() {
                let Some(mt) = m.find(aho_corasick::Input::new(text).span(pos..text.len())) else {
                    break;
                };
                let after = text[mt.end()..].chars().next();
                // `.` after a host ends a sentence as often as it continues a name: a
                // continuing name has a letter or digit after the dot.
                let continues = after == Some('.')
                    && text[mt.end() + 1..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric());
                // A dot before is fine: `x.corp.example` with only `corp.example` collected
                // still loses the customer's domain.
                if !starts_word(text, mt.start(), false) || word(after) || continues {
                    // Not a whole word here; a shorter host may start inside it (the
                    // parent domain of a name glued to other text).
                    pos = mt.start() + text[mt.start()..].chars().next().map_or(1, char::len_utf8);
                    continue;
                }
                out.push_str(&text[last..mt.start()]);
                let host = self.hosts[mt.pattern().as_usize()].as_str();
                out.push_str(&self.map[host]);
                *hits.entry("anonymize-host".into()).or_default() += 1;
                last = mt.end();
                pos = mt.end();
            }
        }
        out.push_str(&text[last..]);
        let mut n = 0;
        let replaced = self.ip.replace_all(&out, |c: &regex_lite::Captures<'_>| {
            let m = c.get(0).expect("the whole match");
            let s = m.as_str();
            // The pattern has no leading `\b` (it would fail after an escape such as `\n`):
            // the start is checked here instead.
            if !starts_word(&out, m.start(), true) {
                return s.to_string();
            }
            match s.parse::<std::net::IpAddr>() {
                Ok(a) if a.is_loopback() || a.is_unspecified() => s.to_string(),
                Ok(_) => {
                    n += 1;
                    (self.token)("ip", &s.to_ascii_lowercase())
                }
                // Shaped like an address but not one (`abc::def` in a type path).
                Err(_) => s.to_string(),
            }
        });
        let out = replaced.into_owned();
        if n > 0 {
            *hits.entry("anonymize-ip".into()).or_default() += n;
        }
        (out, hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(texts: &[&str]) -> Anonymizer {
        Anonymizer::new(texts, &["build-host-7.corp.example".into()], |kind, v| {
            format!("<anon:{kind}:{}>", v.len())
        })
    }

    #[test]
    fn hosts_from_urls_are_replaced_everywhere_as_whole_words_only() {
        let text = "endpoint https://s3.corp.example:9000/x; CN=s3.corp.example, SAN *.corp.example; check net.s3.tcp and s3.corp.example.\nproxy proxy.corp.example:3128";
        let a = anon(&[text]);
        let (out, hits) = a.apply(text);
        assert!(!out.contains("corp.example"), "{out}");
        assert!(out.contains("net.s3.tcp"), "{out}");
        assert!(out.contains("https://<anon:host:15>:9000/x"), "{out}");
        assert!(
            out.contains("CN=<anon:host:15>,") && out.contains("*.<anon:host:12>"),
            "{out}"
        );
        assert!(out.ends_with("proxy <anon:host:18>:3128"), "{out}");
        assert!(hits["anonymize-host"] >= 5);
    }

    #[test]
    fn cloud_labels_stay_and_the_customers_become_tokens() {
        let text = "https://acme-data.s3.eu-west-1.amazonaws.com and https://acmestore.blob.core.windows.net/c and https://login.microsoftonline.com";
        let (out, _) = anon(&[text]).apply(text);
        assert!(
            out.contains("https://<anon:name:9>.s3.eu-west-1.amazonaws.com"),
            "{out}"
        );
        assert!(out.contains("https://<anon:name:9>.blob.core.windows.net/c"), "{out}");
        assert!(out.contains("https://login.microsoftonline.com"), "{out}");
    }

    #[test]
    fn addresses_but_loopback_are_replaced_and_times_are_not() {
        let text = "dns 10.20.30.40 and 2001:db8::7 via 127.0.0.1 and ::1 at 21:22:57, core::diag, 1.2.3";
        let (out, hits) = anon(&[text]).apply(text);
        assert!(!out.contains("10.20.30.40") && !out.contains("2001:db8::7"), "{out}");
        assert!(
            out.contains("127.0.0.1") && out.contains("::1") && out.contains("21:22:57"),
            "{out}"
        );
        assert!(out.contains("core::diag") && out.contains("1.2.3"), "{out}");
        assert_eq!(hits["anonymize-ip"], 2);
    }

    #[test]
    fn review_cases_region_lookalikes_escapes_versions_and_words() {
        // A bucket shaped like a region is the customer's, not the cloud's.
        let text = "https://acme-backup-2024.s3.eu-west-1.amazonaws.com/x";
        let (out, _) = anon(&[text]).apply(text);
        assert!(
            !out.contains("acme-backup-2024") && out.contains(".s3.eu-west-1.amazonaws.com"),
            "{out}"
        );
        // After a JSON escape (`\n` inside a string) a host and an address are still words.
        let url = "https://proxy.corp.example:3128";
        let json = r#"{"error": "line one\nproxy.corp.example refused\n10.1.2.3 too"}"#;
        let (out, _) = anon(&[url]).apply(json);
        assert!(!out.contains("corp.example") && !out.contains("10.1.2.3"), "{out}");
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "{out}");
        // A version before a port is not a host; a plain word is not either.
        let text = "version 1.2.3:45 and http://storage:9000 and identity.storage and 2.3";
        let a = anon(&[text]);
        let (out, _) = a.apply(text);
        assert!(
            out.contains("1.2.3:45") && out.contains("identity.storage") && out.ends_with("2.3"),
            "{out}"
        );
    }

    #[test]
    fn this_machines_name_is_replaced_though_no_url_names_it() {
        let text = "collected on build-host-7.corp.example";
        let (out, _) = anon(&[]).apply(text);
        assert_eq!(out, "collected on <anon:host:25>");
    }
}
