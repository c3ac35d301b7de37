//! Redaction for support bundles, in three nets (troubleshoot's redactors and `sos report`'s
//! consistent obfuscation are the anchors):
//!
//! 1. **Known literals**: every secret value Nimbus can know (secret keys of every profile in
//!    the file, secret provider variables, proxy passwords), each also percent-encoded,
//!    JSON-escaped and base64-encoded, matched with Aho-Corasick. Values shorter than
//!    [`MIN_LITERAL`] are not searched as literals (they would match everywhere); the shape
//!    rules still catch them in `key=value` form, and the report counts them.
//! 2. **Shape rules**: known secret shapes wherever they occur (private-key PEM blocks,
//!    `Authorization` headers keeping the scheme, AWS key ids, signed-URL parameters, URL
//!    passwords, connection-string keys, `secret=…`-style assignments, JWTs, Google tokens).
//! 3. **Fail closed**: after assembly every byte of every member is searched for every literal
//!    form again ([`Redactor::leaks`]); a hit aborts the bundle, naming the file and the
//!    secret's source, never its value.
//!
//! A secret becomes `<redacted:RULE:xxxxxxxx>`, where `xxxxxxxx` is the start of an
//! HMAC-SHA256 of the value under a random key made for this bundle and never written: the
//! same value gets the same token everywhere in one bundle (support can see that two values
//! are equal), and tokens are useless for guessing short passwords offline, which a plain hash
//! would not be.

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use regex_lite::{Captures, Regex};
use sha2::Sha256;

/// Literals shorter than this are not searched for (they would match ordinary text).
pub const MIN_LITERAL: usize = 6;

/// Version of the rule set, written into the manifest.
pub const RULES_VERSION: &str = "1";

struct Rule {
    name: &'static str,
    re: Regex,
    /// The capture group holding the secret (the rest of the match is kept).
    group: usize,
}

/// A known secret: its value and where it came from (shown; the value never is).
#[derive(Clone)]
pub struct Literal {
    /// `profile key secret_access_key`, `env AWS_SECRET_ACCESS_KEY`.
    pub source: String,
    /// The value.
    pub value: String,
}

impl std::fmt::Debug for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Literal({}, ***)", self.source)
    }
}

/// Redacts text with the literals it was given and the shape rules.
pub struct Redactor {
    key: [u8; 32],
    /// Each searched form, with the index of its literal.
    forms: Vec<(String, usize)>,
    literals: Vec<Literal>,
    matcher: Option<AhoCorasick>,
    rules: Vec<Rule>,
    /// Literals too short to search, by source.
    pub too_short: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} literals)", self.literals.len())
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn forms(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut v = vec![
        value.to_string(),
        percent(value),
        percent(value).to_lowercase(),
        json[1..json.len().saturating_sub(1)].to_string(),
        base64::engine::general_purpose::STANDARD.encode(value),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value),
    ];
    v.sort();
    v.dedup();
    v
}

fn rules() -> Vec<Rule> {
    let r = |name, re: &str, group| Rule {
        name,
        re: Regex::new(re).expect("redaction rule compiles"),
        group,
    };
    vec![
        r(
            "private-key",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
            0,
        ),
        r(
            "authorization",
            r#"(?i)\b(proxy-authorization|authorization|x-auth-token|x-subject-token|x-amz-security-token)("?\s*[:=]\s*"?)((?:AWS4-HMAC-SHA256|Basic|Bearer|Negotiate|SharedKey|Digest) )?([^"\r\n<][^"\r\n]*)"#,
            4,
        ),
        r("aws-access-key-id", r"\b((?:AKIA|ASIA)[A-Z0-9]{16})\b", 1),
        r(
            "signed-url",
            r#"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|sig|signature|temp_url_sig|access_token|token)=)([^&\s"'<]+)"#,
            2,
        ),
        r(
            "url-password",
            r#"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s"'<]+:)([^@\s"'/<]+)@"#,
            2,
        ),
        r(
            "connection-string",
            r#"(?i)\b(AccountKey|SharedAccessSignature|SharedAccessKey|Password|Pwd)=([^;"'\s<]+)"#,
            2,
        ),
        r(
            "secret-assignment",
            r#"(?i)\b([a-z0-9_.-]*(?:secret|password|passwd|token|api_key|apikey|account_key|private_key)[a-z0-9_]*)("?'?\s*[=:]\s*"?'?)([^\s"',;&<}\]]+)"#,
            3,
        ),
        r(
            "jwt",
            r"\b(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
            1,
        ),
        r("google-token", r"\b(ya29\.[A-Za-z0-9_-]{20,})", 1),
    ]
}

fn is_token(s: &str) -> bool {
    s.starts_with("<redacted:") && s.ends_with('>') && s.matches('<').count() == 1
}

fn already_redacted(g: &str) -> bool {
    let g = g.trim();
    is_token(g) || matches!(g.split_once(' '), Some((scheme, rest)) if !scheme.contains('<') && is_token(rest))
}

impl Redactor {
    /// A redactor with a fresh random key for these literals.
    pub fn new(literals: Vec<Literal>) -> Self {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        let mut too_short = Vec::new();
        let mut all_forms = Vec::new();
        for (i, l) in literals.iter().enumerate() {
            if l.value.chars().count() < MIN_LITERAL {
                if !l.value.is_empty() {
                    too_short.push(l.source.clone());
                }
                continue;
            }
            for f in forms(&l.value) {
                all_forms.push((f, i));
            }
        }
        let matcher = (!all_forms.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(all_forms.iter().map(|(f, _)| f.as_str()))
                .expect("literal matcher builds")
        });
        Redactor {
            key,
            forms: all_forms,
            literals,
            matcher,
            rules: rules(),
            too_short,
        }
    }

    /// The token of `value` found by `rule`.
    pub fn token(&self, rule: &str, value: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(value.as_bytes());
        let d = mac.finalize().into_bytes();
        format!("<redacted:{rule}:{:02x}{:02x}{:02x}{:02x}>", d[0], d[1], d[2], d[3])
    }

    /// The token function of `--anonymize` (`<anon:KIND:xxxxxxxx>`), under this bundle's key.
    pub fn anon_tokens(&self) -> impl Fn(&str, &str) -> String + Send + Sync + 'static {
        let key = self.key;
        move |kind, value| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
            mac.update(b"anon\0");
            mac.update(value.as_bytes());
            let d = mac.finalize().into_bytes();
            format!("<anon:{kind}:{:02x}{:02x}{:02x}{:02x}>", d[0], d[1], d[2], d[3])
        }
    }

    /// `text` with every known literal and every secret shape replaced, and the count per rule.
    pub fn redact(&self, text: &str) -> (String, BTreeMap<String, usize>) {
        let mut hits: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = match &self.matcher {
            Some(m) => {
                let mut s = String::with_capacity(text.len());
                let mut last = 0;
                for mt in m.find_iter(text) {
                    s.push_str(&text[last..mt.start()]);
                    let lit = &self.literals[self.forms[mt.pattern().as_usize()].1];
                    s.push_str(&self.token("literal", &lit.value));
                    *hits.entry("literal".into()).or_default() += 1;
                    last = mt.end();
                }
                s.push_str(&text[last..]);
                s
            }
            None => text.to_string(),
        };
        for rule in &self.rules {
            let mut n = 0;
            let replaced = rule.re.replace_all(&out, |c: &Captures<'_>| {
                let whole = c.get(0).map_or("", |m| m.as_str());
                let Some(g) = c.get(rule.group) else {
                    return whole.to_string();
                };
                // Already a token (after a scheme word at most): redacting again must change
                // nothing. A value that merely *contains* a token (a literal inside a longer
                // secret) is still redacted whole.
                if g.as_str().is_empty() || already_redacted(g.as_str()) {
                    return whole.to_string();
                }
                n += 1;
                let start = g.start() - c.get(0).map_or(0, |m| m.start());
                format!(
                    "{}{}{}",
                    &whole[..start],
                    self.token(rule.name, g.as_str()),
                    &whole[start + g.as_str().len()..]
                )
            });
            if n > 0 {
                out = replaced.into_owned();
                *hits.entry(rule.name.into()).or_default() += n;
            }
        }
        (out, hits)
    }

    /// The sources of the literals whose value (in any form) occurs in `bytes`.
    pub fn leaks(&self, bytes: &[u8]) -> Vec<String> {
        let Some(m) = &self.matcher else {
            return Vec::new();
        };
        let mut found: Vec<String> = m
            .find_iter(bytes)
            .map(|mt| self.literals[self.forms[mt.pattern().as_usize()].1].source.clone())
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(source: &str, value: &str) -> Literal {
        Literal {
            source: source.into(),
            value: value.into(),
        }
    }

    #[test]
    fn literals_in_every_form_get_one_consistent_token() {
        let r = Redactor::new(vec![
            lit("profile key password", "s3cr3t/planted+x"),
            lit("env X", "abc"),
        ]);
        let b64 = base64::engine::general_purpose::STANDARD.encode("s3cr3t/planted+x");
        let text = format!("a=s3cr3t/planted+x b=s3cr3t%2Fplanted%2Bx c={b64} d=s3cr3t/planted+x");
        let (out, hits) = r.redact(&text);
        assert!(!out.contains("planted") && !out.contains(&b64), "{out}");
        let t = r.token("literal", "s3cr3t/planted+x");
        assert_eq!(out.matches(&t).count(), 4, "raw twice, percent-encoded, base64: {out}");
        assert_eq!(hits["literal"], 4);
        assert_eq!(r.too_short, vec!["env X".to_string()]);
        assert!(r.leaks(text.as_bytes()) == vec!["profile key password".to_string()]);
        assert!(r.leaks(out.as_bytes()).is_empty());
    }

    #[test]
    fn shape_rules_keep_the_context_and_hide_the_secret() {
        let r = Redactor::new(Vec::new());
        let cases = [
            (
                "Authorization: AWS4-HMAC-SHA256 Credential=<redacted:literal:0badf00d>/x, Signature=feedface99",
                "Authorization: AWS4-HMAC-SHA256 <redacted:authorization:",
                "feedface99",
            ),
            (
                "Authorization: AWS4-HMAC-SHA256 Credential=AKIDX/2026, Signature=abcdef0123",
                "Authorization: AWS4-HMAC-SHA256 <redacted:authorization:",
                "abcdef0123",
            ),
            (
                "GET /b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=deadbeefcafe HTTP/1.1",
                "X-Amz-Signature=<redacted:signed-url:",
                "deadbeefcafe",
            ),
            (
                "dsn=postgres://app:dbpass-x@db:5432/x",
                "postgres://app:<redacted:url-password:",
                "dbpass-x",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFyYmF6==;",
                "AccountKey=<redacted:connection-string:",
                "Zm9vYmFyYmF6",
            ),
            (
                "{\"secret_access_key\": \"wJalrXUtnFEMI\"}",
                "\"secret_access_key\": \"<redacted:secret-assignment:",
                "wJalrXUtnFEMI",
            ),
            (
                "key AKIAIOSFODNN7EXAMPLE used",
                "key <redacted:aws-access-key-id:",
                "AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "t=eyJhbGciOiJSUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4",
                "<redacted:",
                "SflKxwRJSMeKKF2QT4",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----",
                "<redacted:private-key:",
                "MIIEvQIBADAN",
            ),
        ];
        for (input, kept, gone) in cases {
            let (out, _) = r.redact(input);
            assert!(out.contains(kept) && !out.contains(gone), "{input} -> {out}");
            // Redacting again changes nothing: tokens are not secrets.
            assert_eq!(r.redact(&out).0, out, "{input}");
        }
    }
}
