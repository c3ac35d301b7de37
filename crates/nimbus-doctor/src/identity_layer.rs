//! Layer 6, identity: *whose* credentials these are, compared with what the profile's
//! `expect` table says they must be.
//!
//! Why a layer after access: "the credentials work" is not "the right credentials work". The
//! most expensive support case is a deployment that writes into the wrong customer's account
//! because an environment variable from another profile leaked in; only comparing the answer
//! of the cloud's who-am-i call with `expect.account` / `expect.principal` /
//! `expect.project` catches it. Each provider answers through its `Diag.identity` hook (STS
//! `GetCallerIdentity`, the Keystone token, token claims, or facts read from the settings,
//! marked as not proven); this layer only compares and words the verdict, once for every
//! provider.

use std::time::{Duration, Instant, SystemTime};

use nimbus_core::config::Profile;
use nimbus_core::diag::Identity;
use nimbus_core::ErrorKind;
use serde_json::json;

use crate::access_layer::{explain, holders, hooked, within, Hooked};
use crate::endpoints::Target;
use crate::report::{CheckResult, Layer, Status};
use crate::Inputs;

/// Deadline of one who-am-i call.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// Whether `got` names `want`: equal, or `want` is one of its parts (`alice` in
/// `arn:aws:iam::123456789012:user/alice`, `demo` in `user demo (8c1f…)`).
pub fn names(got: &str, want: &str) -> bool {
    got == want || got.split(|c: char| " /:()@".contains(c)).any(|part| part == want)
}

/// The comparisons with `expect`: `(key, expected, what the identity says)`.
fn compare<'a>(
    id: &'a Identity,
    expect: &'a std::collections::BTreeMap<String, String>,
) -> Vec<(&'a str, &'a str, Option<&'a str>)> {
    let mut out = Vec::new();
    for (key, want) in expect {
        let got = match key.as_str() {
            "account" => id.account.as_deref(),
            "principal" => Some(id.principal.as_str()),
            "project" => id.project.as_deref(),
            _ => continue,
        };
        out.push((key.as_str(), want.as_str(), got));
    }
    out
}

fn describe(id: &Identity) -> String {
    let mut s = id.principal.clone();
    let mut extra = Vec::new();
    if let Some(a) = &id.account {
        extra.push(format!("account {a}"));
    }
    if let Some(p) = &id.project {
        extra.push(format!("project {p}"));
    }
    if !id.roles.is_empty() {
        extra.push(format!("grants {}", id.roles.join(", ")));
    }
    if let Some(t) = id.expires {
        extra.push(format!("expires {}", nimbus_core::time::format_rfc3339(t)));
    }
    if !extra.is_empty() {
        s = format!("{s} ({})", extra.join("; "));
    }
    s
}

/// The verdict again from an identity check's recorded evidence (`bundle analyze`), as of
/// `at` (when the bundle was made: an expiry is judged against that moment).
pub fn rejudge(id: &str, evidence: &serde_json::Value, profile: &str, at: SystemTime) -> Option<CheckResult> {
    let svc = id.strip_prefix("identity.")?;
    let s = |k: &str| evidence.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let identity = Identity {
        principal: s("principal")?,
        account: s("account"),
        project: s("project"),
        roles: evidence
            .get("roles")
            .and_then(|r| r.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
        expires: s("expires").and_then(|t| nimbus_core::time::parse_rfc3339(&t)),
        how: s("how").unwrap_or_default(),
        proven: evidence.get("proven").and_then(|v| v.as_bool()).unwrap_or(false),
    };
    let expect = evidence
        .get("expect")
        .and_then(|e| e.as_object())
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let p = Profile {
        name: profile.to_string(),
        expect,
        ..Default::default()
    };
    Some(judge(id.to_string(), svc, &identity, &p, at))
}

/// The verdict on one answer.
fn judge(id: String, svc: &str, identity: &Identity, profile: &Profile, now: SystemTime) -> CheckResult {
    let ev = json!({
        "principal": identity.principal,
        "account": identity.account,
        "project": identity.project,
        "roles": identity.roles,
        "expires": identity.expires.map(nimbus_core::time::format_rfc3339),
        "how": identity.how,
        "proven": identity.proven,
        "expect": profile.expect.iter().filter(|(k, _)| *k != "bucket").collect::<std::collections::BTreeMap<_, _>>(),
    });
    let who = describe(identity);
    let via = if identity.proven {
        format!("answered by {}", identity.how)
    } else {
        format!(
            "from {}; not proven by a round trip (auth.{svc} proves the credentials are accepted)",
            identity.how
        )
    };
    if let Some(t) = identity.expires.filter(|t| *t <= now) {
        let ago = now.duration_since(t).unwrap_or_default().as_secs();
        return CheckResult::new(
            Layer::Identity,
            id,
            Status::Fail,
            format!(
                "the credentials expired at {} ({ago} s ago by the local clock): {who}",
                nimbus_core::time::format_rfc3339(t)
            ),
        )
        .fix("issue new credentials; if they should still be valid, check the local clock (see the clock checks)")
        .evidence(ev);
    }
    let cmp = compare(identity, &profile.expect);
    let wrong: Vec<String> = cmp
        .iter()
        .filter_map(|(k, want, got)| match got {
            Some(g) if !names(g, want) => Some(format!("expect.{k} is `{want}`, the credentials say `{g}`")),
            _ => None,
        })
        .collect();
    if !wrong.is_empty() {
        return CheckResult::new(
            Layer::Identity,
            id,
            Status::Fail,
            format!("wrong credentials: {} ({who}, {via})", wrong.join("; ")),
        )
        .fix(format!(
            "give profile `{}` the credentials of the expected {}; if the customer really moved, correct its [profiles.{}.expect] table",
            profile.name,
            cmp.iter().map(|(k, _, _)| *k).collect::<Vec<_>>().join("/"),
            profile.name
        ))
        .evidence(ev);
    }
    let unknown: Vec<String> = cmp
        .iter()
        .filter(|(_, _, got)| got.is_none())
        .map(|(k, _, _)| format!("expect.{k}"))
        .collect();
    if !unknown.is_empty() {
        return CheckResult::new(
            Layer::Identity,
            id,
            Status::Warn,
            format!(
                "{who}, {via}; cannot compare {}: the answer does not carry it",
                unknown.join(", ")
            ),
        )
        .fix("remove the key from the expect table for this provider, or compare by hand")
        .evidence(ev);
    }
    let matched = if cmp.is_empty() {
        String::new()
    } else {
        format!(
            "; matches {}",
            cmp.iter()
                .map(|(k, _, _)| format!("expect.{k}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    CheckResult::new(Layer::Identity, id, Status::Pass, format!("{who}, {via}{matched}")).evidence(ev)
}

/// The identity checks, after the access layer (`results` holds every earlier check).
pub async fn run(inputs: &Inputs, profile: &Profile, targets: &[Target], results: &[CheckResult]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let run = hooked(
        inputs,
        profile,
        targets,
        results,
        Layer::Identity,
        "identity",
        |d| d.identity,
        "has no credentials to identify",
        &mut out,
    );
    for Hooked {
        svc,
        provider: p,
        hook,
        settings,
        labels,
    } in run
    {
        let id = format!("identity.{svc}");
        let t = Instant::now();
        let answer = within(DEADLINE, hook(svc, settings)).await;
        let r = match answer {
            Ok(identity) => judge(id, svc, &identity, profile, SystemTime::now()),
            Err(e) if e.kind() == ErrorKind::Unsupported => {
                CheckResult::new(Layer::Identity, id, Status::Skip, format!("skipped: {e}"))
            }
            Err(e) => {
                let ev = json!({"kind": format!("{:?}", e.kind()), "error": e.to_string()});
                let fix = explain(p, &e, results, &labels).unwrap_or_else(|| match e.kind() {
                    ErrorKind::Unauthenticated => format!("check {}", holders(p, settings)),
                    _ => "run with --evidence and see this service's network checks".into(),
                });
                CheckResult::new(
                    Layer::Identity,
                    id,
                    Status::Fail,
                    format!("`{}` could not say who the credentials are: {e}", p.name),
                )
                .fix(fix)
                .evidence(ev)
            }
        };
        out.push(r.since(t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(expect: &[(&str, &str)]) -> Profile {
        Profile {
            name: "acme".into(),
            expect: expect.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        }
    }

    fn sts() -> Identity {
        Identity {
            principal: "arn:aws:iam::123456789012:user/alice".into(),
            account: Some("123456789012".into()),
            how: "STS GetCallerIdentity".into(),
            proven: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_matching_identity_passes_and_names_what_matched() {
        let r = judge(
            "identity.storage".into(),
            "storage",
            &sts(),
            &profile(&[("account", "123456789012"), ("principal", "alice")]),
            SystemTime::now(),
        );
        assert_eq!(r.status, Status::Pass, "{}", r.message);
        assert!(
            r.message.contains("matches expect.account, expect.principal"),
            "{}",
            r.message
        );
    }

    #[test]
    fn another_account_fails_naming_both() {
        let r = judge(
            "identity.storage".into(),
            "storage",
            &sts(),
            &profile(&[("account", "999999999999")]),
            SystemTime::now(),
        );
        assert_eq!(r.status, Status::Fail);
        assert!(
            r.message.contains("`999999999999`") && r.message.contains("`123456789012`"),
            "{}",
            r.message
        );
        assert!(r.fix.as_deref().unwrap_or("").contains("[profiles.acme.expect]"));
    }

    #[test]
    fn a_part_of_a_principal_is_not_a_prefix_match() {
        assert!(names("arn:aws:iam::123456789012:user/alice", "alice"));
        assert!(!names("arn:aws:iam::123456789012:user/alice", "ali"));
        assert!(names("user demo (8c1f)", "demo"));
    }

    #[test]
    fn expired_credentials_fail_and_point_at_the_clock() {
        let mut id = sts();
        id.expires = Some(SystemTime::now() - Duration::from_secs(120));
        let r = judge(
            "identity.storage".into(),
            "storage",
            &id,
            &profile(&[]),
            SystemTime::now(),
        );
        assert_eq!(r.status, Status::Fail);
        assert!(r.message.contains("expired"), "{}", r.message);
        assert!(r.fix.unwrap().contains("clock"));
    }

    #[test]
    fn an_expectation_the_answer_cannot_carry_warns() {
        let r = judge(
            "identity.storage".into(),
            "storage",
            &sts(),
            &profile(&[("project", "p1")]),
            SystemTime::now(),
        );
        assert_eq!(r.status, Status::Warn, "{}", r.message);
        assert!(r.message.contains("cannot compare expect.project"));
    }

    #[test]
    fn facts_from_the_settings_say_they_are_not_proven() {
        let id = Identity {
            principal: "access key …1234".into(),
            how: "the settings only".into(),
            ..Default::default()
        };
        let r = judge(
            "identity.storage".into(),
            "storage",
            &id,
            &profile(&[]),
            SystemTime::now(),
        );
        assert_eq!(r.status, Status::Pass);
        assert!(r.message.contains("not proven"), "{}", r.message);
    }
}
