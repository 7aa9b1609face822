//! Bootstrap tokens (`--enable-bootstrap-token-auth`): `<id>.<secret>` tokens backed by
//! Secrets of type `bootstrap.kubernetes.io/token` named `bootstrap-token-<id>` in
//! `kube-system`, as kube's bootstrap authenticator reads them (from the watch cache; the
//! secret compared in constant time, expiration, usage, extra groups).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

use super::token::TokenAuthenticator;
use super::UserInfo;

const SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";
const GROUP: &str = "system:bootstrappers";

/// kube's bootstrap token authenticator.
#[derive(Debug, Default)]
pub struct BootstrapTokens;

/// The id and secret of a token shaped as a bootstrap token (`[a-z0-9]{6}.[a-z0-9]{16}`).
fn parse(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let ok = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    (ok(id, 6) && ok(secret, 16)).then_some((id, secret))
}

/// Whether `group` may be added by a token (`system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]`).
fn valid_group(group: &str) -> bool {
    let Some(rest) = group.strip_prefix("system:bootstrappers:") else {
        return false;
    };
    let Some(last) = rest.bytes().last() else {
        return false;
    };
    rest.len() <= 256
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b':' || b == b'-')
}

/// The user the Secret makes of the token `id`.`secret` at `now` (Unix seconds), or `None`
/// when the Secret does not vouch for it.
fn user_of(secret_obj: &Value, id: &str, secret: &str, now: i64) -> Option<UserInfo> {
    if crate::api::is_terminating(secret_obj) {
        return None;
    }
    if secret_obj.get("type").and_then(Value::as_str) != Some(SECRET_TYPE) {
        return None;
    }
    let data = secret_obj.get("data")?.as_object()?;
    let field = |k: &str| -> Option<String> {
        let b = STANDARD.decode(data.get(k)?.as_str()?).ok()?;
        String::from_utf8(b).ok()
    };
    let stored = field("token-secret").unwrap_or_default();
    if !super::constant_time_eq(stored.as_bytes(), secret.as_bytes()) {
        return None;
    }
    if field("token-id").as_deref() != Some(id) {
        return None;
    }
    if let Some(exp) = field("expiration") {
        match crate::printers::parse_rfc3339(&exp) {
            Some(t) if t > now => {}
            _ => return None,
        }
    }
    if field("usage-bootstrap-authentication").as_deref() != Some("true") {
        return None;
    }
    let mut groups = vec![GROUP.to_string()];
    if let Some(extra) = field("auth-extra-groups") {
        for g in extra.split(',') {
            if !valid_group(g) {
                return None;
            }
            groups.push(g.to_string());
        }
    }
    groups.sort();
    groups.dedup();
    Some(UserInfo {
        name: format!("system:bootstrap:{id}"),
        groups,
        ..UserInfo::default()
    })
}

impl TokenAuthenticator for BootstrapTokens {
    fn name(&self) -> &'static str {
        "BootstrapToken"
    }

    fn authenticate_token(
        &self,
        token: &str,
        _audiences: &[String],
        cx: &Lookups<'_>,
    ) -> Flow<Result<Option<UserInfo>, ApiError>> {
        let Some((id, secret)) = parse(token) else {
            return Flow::Ready(Ok(None));
        };
        // Read from the watch cache only, as kube reads its informer: a token anyone can make
        // up must not cost a storage read.
        let key = cx.core_key("secrets", "kube-system", &format!("bootstrap-token-{id}"));
        let obj = cx.caches.for_key(&key).get(&key);
        Flow::Ready(Ok(
            obj.and_then(|obj| user_of(obj, id, secret, cx.now.wall_secs()))
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(fields: &[(&str, &str)]) -> Value {
        let data: serde_json::Map<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), json!(STANDARD.encode(v))))
            .collect();
        json!({"metadata": {"name": "bootstrap-token-abcdef", "namespace": "kube-system"},
               "type": SECRET_TYPE, "data": data})
    }

    const GOOD: &[(&str, &str)] = &[
        ("token-id", "abcdef"),
        ("token-secret", "0123456789abcdef"),
        ("usage-bootstrap-authentication", "true"),
        ("expiration", "2030-01-01T00:00:00Z"),
        (
            "auth-extra-groups",
            "system:bootstrappers:kubeadm:default-node-token",
        ),
    ];

    #[test]
    fn only_bootstrap_shaped_tokens_are_read() {
        assert_eq!(
            parse("abcdef.0123456789abcdef"),
            Some(("abcdef", "0123456789abcdef"))
        );
        for t in [
            "abcdef.0123456789abcde",
            "ABCDEF.0123456789abcdef",
            "abcdef0123456789abcdef",
            "abcdef.0123456789abcdef.",
        ] {
            assert_eq!(parse(t), None, "{t}");
        }
    }

    #[test]
    fn a_valid_secret_makes_the_bootstrap_user() {
        let u = user_of(&secret(GOOD), "abcdef", "0123456789abcdef", 1_700_000_000).unwrap();
        assert_eq!(u.name, "system:bootstrap:abcdef");
        assert_eq!(
            u.groups,
            vec![
                "system:bootstrappers",
                "system:bootstrappers:kubeadm:default-node-token"
            ]
        );
    }

    #[test]
    fn every_broken_condition_refuses() {
        let now = 1_700_000_000;
        assert!(user_of(&secret(GOOD), "abcdef", "0123456789abcdeX", now).is_none());
        assert!(user_of(&secret(GOOD), "abcdef", "0123456789abcdef", 1_900_000_000).is_none());
        let with = |k: &str, v: &str| {
            let mut f: Vec<(&str, &str)> = GOOD.iter().filter(|(n, _)| *n != k).cloned().collect();
            f.push((k, v));
            user_of(&secret(&f), "abcdef", "0123456789abcdef", now)
        };
        assert!(with("usage-bootstrap-authentication", "false").is_none());
        assert!(with("usage-bootstrap-authentication", "True").is_none());
        assert!(with("expiration", "not a time").is_none());
        assert!(with("token-id", "zzzzzz").is_none());
        assert!(with("auth-extra-groups", "system:masters").is_none());
        assert!(with(
            "auth-extra-groups",
            "system:bootstrappers:ok,system:bootstrappers:"
        )
        .is_none());
        let mut wrong_type = secret(GOOD);
        wrong_type["type"] = json!("Opaque");
        assert!(user_of(&wrong_type, "abcdef", "0123456789abcdef", now).is_none());
        let mut deleting = secret(GOOD);
        deleting["metadata"]["deletionTimestamp"] = json!("2023-01-01T00:00:00Z");
        assert!(user_of(&deleting, "abcdef", "0123456789abcdef", now).is_none());
        // No expiration never expires.
        let f: Vec<(&str, &str)> = GOOD.iter().filter(|(n, _)| *n != "expiration").cloned().collect();
        assert!(user_of(&secret(&f), "abcdef", "0123456789abcdef", i64::MAX / 2).is_some());
    }
}
