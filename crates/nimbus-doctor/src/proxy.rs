//! Which proxy, if any, each endpoint goes through: the decision the providers' HTTP stacks
//! make, made by the same code (hyper-util's proxy matcher, which reqwest 0.13 and the AWS
//! SDK's default client use), fed from the diagnosed environment instead of the process's.
//!
//! The matcher's rules, which is what surprises operators (read in hyper-util 0.1.21,
//! `client/proxy/matcher.rs`): each variable is read upper case first, and an upper-case
//! variable that is set but **empty** hides a lower-case one; `REQUEST_METHOD` set (a CGI
//! environment) disables every proxy variable; `HTTP_PROXY` applies only to `http://` URLs;
//! `NO_PROXY` matches the URL's host string (IPs, CIDRs, domains with their subdomains, `*`)
//! and has **no implicit loopback bypass** (curl's differs).

use std::collections::BTreeMap;

use hyper_util::client::proxy::matcher::Matcher;

/// The four variable pairs, upper case first as the matcher reads them.
pub const PAIRS: [[&str; 2]; 4] = [
    ["HTTPS_PROXY", "https_proxy"],
    ["HTTP_PROXY", "http_proxy"],
    ["ALL_PROXY", "all_proxy"],
    ["NO_PROXY", "no_proxy"],
];

/// The variable of a pair the matcher reads (the first that is set, even empty), with its
/// value.
pub fn effective<'a>(env: &'a BTreeMap<String, String>, pair: [&'static str; 2]) -> Option<(&'static str, &'a str)> {
    pair.iter().find_map(|n| env.get(*n).map(|v| (*n, v.as_str())))
}

/// Whether the environment is a CGI one (`REQUEST_METHOD` set): then no proxy is used.
pub fn is_cgi(env: &BTreeMap<String, String>) -> bool {
    env.contains_key("REQUEST_METHOD")
}

fn matcher(env: &BTreeMap<String, String>, with_no_proxy: bool) -> Matcher {
    let get = |pair| effective(env, pair).map(|(_, v)| v.to_string()).unwrap_or_default();
    if is_cgi(env) {
        return Matcher::builder().build();
    }
    let mut b = Matcher::builder()
        .https(get(PAIRS[0]))
        .http(get(PAIRS[1]))
        .all(get(PAIRS[2]));
    if with_no_proxy {
        b = b.no(get(PAIRS[3]));
    }
    b.build()
}

/// How an endpoint is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// No proxy applies.
    Direct,
    /// A proxy would apply but `NO_PROXY` covers the host.
    Bypassed,
    /// Through this proxy (`http://host:port`, credentials removed).
    Proxy {
        /// The proxy's URL without user information.
        url: String,
        /// Whether the proxy URL carries credentials (never shown).
        with_credentials: bool,
    },
}

/// The route the providers' HTTP stacks take to `url` in `env`; non-HTTP URLs are direct.
pub fn route(env: &BTreeMap<String, String>, url: &str) -> Route {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return Route::Direct;
    };
    let hit = |m: Matcher| {
        m.intercept(&uri).map(|i| {
            let p = i.uri();
            let url = format!(
                "{}://{}{}",
                p.scheme_str().unwrap_or("http"),
                p.host().unwrap_or(""),
                p.port_u16().map(|n| format!(":{n}")).unwrap_or_default()
            );
            Route::Proxy {
                url,
                with_credentials: i.raw_auth().is_some() || i.basic_auth().is_some(),
            }
        })
    };
    match (hit(matcher(env, true)), hit(matcher(env, false))) {
        (Some(p), _) => p,
        (None, Some(_)) => Route::Bypassed,
        (None, None) => Route::Direct,
    }
}

/// The `Proxy-Authorization` value for the proxy `url` goes through, when its variable
/// carries credentials (used on the wire only, never shown).
pub fn authorization(env: &BTreeMap<String, String>, url: &str) -> Option<String> {
    let uri = url.parse::<http::Uri>().ok()?;
    let i = matcher(env, true).intercept(&uri)?;
    i.basic_auth().and_then(|h| h.to_str().ok()).map(str::to_string)
}

/// A proxy variable's value fit to print: user information removed.
pub fn shown(value: &str) -> String {
    match (value.find("://"), value.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}****@{}", &value[..s + 3], &value[at + 1..]),
        (None, Some(at)) => format!("****@{}", &value[at + 1..]),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn upper_case_first_and_an_empty_one_hides_the_lower_case() {
        let e = env(&[("HTTPS_PROXY", ""), ("https_proxy", "http://p:3128")]);
        assert_eq!(route(&e, "https://s3.eu-west-1.amazonaws.com"), Route::Direct);
        let e = env(&[("https_proxy", "http://p:3128")]);
        assert!(
            matches!(route(&e, "https://s3.eu-west-1.amazonaws.com"), Route::Proxy { url, .. } if url == "http://p:3128")
        );
    }

    #[test]
    fn http_proxy_does_not_apply_to_https_and_cgi_disables_all() {
        let e = env(&[("HTTP_PROXY", "http://p:3128")]);
        assert_eq!(route(&e, "https://x.example"), Route::Direct);
        assert!(matches!(route(&e, "http://x.example"), Route::Proxy { .. }));
        let e = env(&[("ALL_PROXY", "http://p:3128"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(route(&e, "https://x.example"), Route::Direct);
    }

    #[test]
    fn no_proxy_covers_subdomains_but_not_loopback_implicitly() {
        let e = env(&[("HTTPS_PROXY", "http://u:pw@p:3128"), ("NO_PROXY", ".example.com")]);
        assert_eq!(route(&e, "https://a.b.example.com/x"), Route::Bypassed);
        assert_eq!(
            route(&e, "https://127.0.0.1:9000"),
            Route::Proxy {
                url: "http://p:3128".into(),
                with_credentials: true
            }
        );
        assert_eq!(shown("http://u:pw@p:3128"), "http://****@p:3128");
    }
}
