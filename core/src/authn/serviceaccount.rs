//! Service-account tokens: the claims kube writes into a bound token, and kube's
//! authenticator of them (signature by a verification key, issuer, audience, time with kube's
//! one-minute leeway, then the service account and the bound object looked up by uid).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::api::{self, ApiError};
use crate::server::effect::{Flow, Lookups};

use super::jwt::{Jwt, Signer};
use super::keys::PublicKey;
use super::token::TokenAuthenticator;
use super::{UserInfo, CREDENTIAL_ID};

/// How far token times may be off (go-jose's default leeway, which kube uses).
pub const LEEWAY_SECS: i64 = 60;
/// The expiration asked for by kubelets that opt into kube's extension (1 h 7 s).
pub const WARN_ONLY_EXPIRATION_SECS: i64 = 3607;
/// How long an extended token lives (one year).
pub const EXTENDED_EXPIRATION_SECS: i64 = 365 * 24 * 3600;
/// The private claim kube keeps its bindings in.
const PRIVATE_CLAIM: &str = "kubernetes.io";
const USER_PREFIX: &str = "system:serviceaccount:";

/// How service-account tokens are issued and checked.
#[derive(Clone, Default)]
pub struct Config {
    /// `--service-account-issuer`: the first signs, every one is accepted.
    pub issuers: Vec<String>,
    /// `--api-audiences` (the issuers when unset): what a token presented here must be for,
    /// and what a TokenRequest without audiences is for.
    pub api_audiences: Vec<String>,
    /// The keys that verify tokens (`--service-account-key-file`).
    pub keys: Vec<PublicKey>,
    /// The key that signs issued tokens (`--service-account-signing-key-file`).
    pub signer: Option<Arc<dyn Signer>>,
    /// `--service-account-max-token-expiration` in seconds; 0: no limit.
    pub max_expiration_secs: i64,
    /// `--service-account-extend-token-expiration`.
    pub extend_expiration: bool,
    /// `--service-account-jwks-uri`: the JWKS address discovery names, when set.
    pub jwks_uri: Option<String>,
}

/// An object a token is bound to, as the claim names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ref {
    /// Its name.
    pub name: String,
    /// Its uid.
    pub uid: String,
}

impl Ref {
    fn json(&self) -> Value {
        json!({"name": self.name, "uid": self.uid})
    }

    fn from_claim(v: Option<&Value>) -> Option<Ref> {
        let v = v?;
        Some(Ref {
            name: v.get("name")?.as_str()?.to_string(),
            uid: v.get("uid").and_then(Value::as_str).unwrap_or("").to_string(),
        })
    }
}

/// What a bound token says of its service account and binding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Binding {
    /// The service account's namespace.
    pub namespace: String,
    /// The service account.
    pub service_account: Ref,
    /// A pod it is bound to.
    pub pod: Option<Ref>,
    /// A secret it is bound to.
    pub secret: Option<Ref>,
    /// A node it is bound to (or the node of its pod).
    pub node: Option<Ref>,
}

/// The claims of a token issued at `now` (seconds) for `audiences`, living until `exp`, as
/// kube writes them (`warnafter` when the expiration was extended).
pub fn claims(
    issuer: &str,
    binding: &Binding,
    audiences: &[String],
    now: i64,
    exp: i64,
    warn_after: Option<i64>,
    jti: &str,
) -> Value {
    let mut private = Map::new();
    private.insert("namespace".into(), json!(binding.namespace));
    if let Some(node) = &binding.node {
        private.insert("node".into(), node.json());
    }
    if let Some(pod) = &binding.pod {
        private.insert("pod".into(), pod.json());
    }
    if let Some(secret) = &binding.secret {
        private.insert("secret".into(), secret.json());
    }
    private.insert("serviceaccount".into(), binding.service_account.json());
    if let Some(w) = warn_after {
        private.insert("warnafter".into(), json!(w));
    }
    json!({
        "aud": audiences,
        "exp": exp,
        "iat": now,
        "iss": issuer,
        "jti": jti,
        PRIVATE_CLAIM: Value::Object(private),
        "nbf": now,
        "sub": format!("{USER_PREFIX}{}:{}", binding.namespace, binding.service_account.name),
    })
}

/// The user of a service account, with kube's groups and the extras of its binding.
pub fn user(binding: &Binding, jti: Option<&str>) -> UserInfo {
    let ns = &binding.namespace;
    let mut user = UserInfo {
        name: format!("{USER_PREFIX}{ns}:{}", binding.service_account.name),
        uid: binding.service_account.uid.clone(),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
        ],
        ..UserInfo::default()
    };
    let mut extra = |k: &str, v: &str| {
        user.extra
            .insert(format!("authentication.kubernetes.io/{k}"), vec![v.to_string()]);
    };
    if let Some(pod) = binding
        .pod
        .as_ref()
        .filter(|p| !p.name.is_empty() && !p.uid.is_empty())
    {
        extra("pod-name", &pod.name);
        extra("pod-uid", &pod.uid);
    }
    if let Some(jti) = jti.filter(|j| !j.is_empty()) {
        user.extra
            .insert(CREDENTIAL_ID.into(), vec![format!("JTI={jti}")]);
    }
    if let Some(node) = binding.node.as_ref().filter(|n| !n.name.is_empty()) {
        user.extra.insert(
            "authentication.kubernetes.io/node-name".into(),
            vec![node.name.clone()],
        );
        if !node.uid.is_empty() {
            user.extra.insert(
                "authentication.kubernetes.io/node-uid".into(),
                vec![node.uid.clone()],
            );
        }
    }
    user
}

/// Why a token is refused: the reason a TokenReview reports. A request presenting it sees
/// kube's plain 401 without it.
fn refuse(why: impl Into<String>) -> ApiError {
    ApiError::unauthenticated(why)
}

/// kube's authenticator of bound service-account tokens.
pub struct BoundTokens {
    config: Arc<Config>,
}

impl BoundTokens {
    /// Checks tokens issued under `config`.
    pub fn new(config: Arc<Config>) -> Self {
        BoundTokens { config }
    }

    /// Everything that can be checked without lookups: the token's binding and jti.
    fn check(&self, jwt: &Jwt, requested: &[String], now: i64) -> Result<(Binding, String), ApiError> {
        if !jwt.verify(&self.config.keys) {
            return Err(refuse(if self.config.keys.is_empty() {
                "invalid signature, no keys found"
            } else {
                "invalid signature"
            }));
        }
        let auds = jwt.audiences();
        let implicit = &self.config.api_audiences;
        let requested = if requested.is_empty() { implicit } else { requested };
        if !requested.is_empty() && !auds.iter().any(|a| requested.contains(a)) {
            return Err(refuse(format!(
                "token audiences {auds:?} is invalid for the target audiences {requested:?}"
            )));
        }
        if jwt.claim_time("nbf").is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
            return Err(refuse("service account token is not valid yet"));
        }
        if jwt.claim_time("exp").is_some_and(|exp| exp < now - LEEWAY_SECS) {
            return Err(refuse("service account token has expired"));
        }
        if jwt.claim_time("iat").is_some_and(|iat| iat > now + LEEWAY_SECS) {
            return Err(refuse("service account token is issued in the future"));
        }
        let private = jwt
            .claims
            .get(PRIVATE_CLAIM)
            .ok_or_else(|| refuse("token has no kubernetes.io claim"))?;
        let namespace = private
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let service_account = Ref::from_claim(private.get("serviceaccount"))
            .ok_or_else(|| refuse("token names no service account"))?;
        let binding = Binding {
            namespace,
            service_account,
            pod: Ref::from_claim(private.get("pod")),
            secret: Ref::from_claim(private.get("secret")),
            node: Ref::from_claim(private.get("node")),
        };
        let sub = format!(
            "{USER_PREFIX}{}:{}",
            binding.namespace, binding.service_account.name
        );
        if binding.namespace.is_empty() || jwt.claim_str("sub") != Some(sub.as_str()) {
            return Err(refuse("sub claim is invalid"));
        }
        let jti = jwt.claim_str("jti").unwrap_or("").to_string();
        Ok((binding, jti))
    }
}

impl TokenAuthenticator for BoundTokens {
    fn name(&self) -> &'static str {
        "ServiceAccountToken"
    }

    fn audience_agnostic(&self) -> bool {
        false
    }

    fn token_audiences(&self, token: &str, requested: &[String]) -> Option<Vec<String>> {
        let requested = if requested.is_empty() {
            &self.config.api_audiences
        } else {
            requested
        };
        let auds = Jwt::parse(token)?.audiences();
        Some(requested.iter().filter(|a| auds.contains(a)).cloned().collect())
    }

    fn authenticate_token(
        &self,
        token: &str,
        audiences: &[String],
        cx: &Lookups<'_>,
    ) -> Flow<Result<Option<UserInfo>, ApiError>> {
        // Not a JWT, or not from one of our issuers: some other authenticator's business.
        let Some(jwt) = Jwt::parse(token) else {
            return Flow::Ready(Ok(None));
        };
        if !jwt
            .claim_str("iss")
            .is_some_and(|iss| self.config.issuers.iter().any(|i| i == iss))
        {
            return Flow::Ready(Ok(None));
        }
        let (binding, jti) = match self.check(&jwt, audiences, cx.now.wall_secs()) {
            Ok(checked) => checked,
            Err(e) => return Flow::Ready(Err(e)),
        };
        still_bound(binding, cx).and_then(cx, move |checked, _| {
            Flow::Ready(checked.map(|binding| Some(user(&binding, Some(&jti)))))
        })
    }
}

/// The issuer of legacy (Secret-based) service-account tokens.
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";
const LEGACY_NAMESPACE: &str = "kubernetes.io/serviceaccount/namespace";
const LEGACY_SECRET: &str = "kubernetes.io/serviceaccount/secret.name";
const LEGACY_SA_NAME: &str = "kubernetes.io/serviceaccount/service-account.name";
const LEGACY_SA_UID: &str = "kubernetes.io/serviceaccount/service-account.uid";
/// The label that marks a legacy token invalid.
pub const LEGACY_INVALID_LABEL: &str = "kubernetes.io/legacy-token-invalid-since";

/// The claims of a legacy token for the Secret `secret` of `binding`'s service account, as
/// kube's token controller writes them (no audience, no expiry).
pub fn legacy_claims(binding: &Binding, secret: &str) -> Value {
    json!({
        "iss": LEGACY_ISSUER,
        LEGACY_NAMESPACE: binding.namespace,
        LEGACY_SECRET: secret,
        LEGACY_SA_NAME: binding.service_account.name,
        LEGACY_SA_UID: binding.service_account.uid,
        "sub": format!("{USER_PREFIX}{}:{}", binding.namespace, binding.service_account.name),
    })
}

/// kube's authenticator of legacy service-account tokens: signed by a verification key, and
/// (with `--service-account-lookup`) still the token of its Secret, which still names the
/// service account, which is still there with its uid.
pub struct LegacyTokens {
    config: Arc<Config>,
    lookup: bool,
}

impl LegacyTokens {
    /// Checks legacy tokens signed by `config`'s keys; `lookup` looks the Secret and the
    /// service account up.
    pub fn new(config: Arc<Config>, lookup: bool) -> Self {
        LegacyTokens { config, lookup }
    }
}

impl TokenAuthenticator for LegacyTokens {
    fn name(&self) -> &'static str {
        "LegacyServiceAccountToken"
    }

    fn authenticate_token(
        &self,
        token: &str,
        _audiences: &[String],
        cx: &Lookups<'_>,
    ) -> Flow<Result<Option<UserInfo>, ApiError>> {
        let Some(jwt) = Jwt::parse(token) else {
            return Flow::Ready(Ok(None));
        };
        if jwt.claim_str("iss") != Some(LEGACY_ISSUER) {
            return Flow::Ready(Ok(None));
        }
        if !jwt.verify(&self.config.keys) {
            return Flow::Ready(Err(refuse("invalid signature")));
        }
        let claim = |name: &str, what: &str| {
            jwt.claim_str(name)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| refuse(format!("{what} claim is missing")))
        };
        let checked = (|| {
            let sub = claim("sub", "sub")?;
            let namespace = claim(LEGACY_NAMESPACE, "namespace")?;
            let secret = claim(LEGACY_SECRET, "secretName")?;
            let name = claim(LEGACY_SA_NAME, "serviceAccountName")?;
            let uid = claim(LEGACY_SA_UID, "serviceAccountUID")?;
            if sub != format!("{USER_PREFIX}{namespace}:{name}") {
                return Err(refuse("sub claim is invalid"));
            }
            Ok((
                Binding {
                    namespace,
                    service_account: Ref { name, uid },
                    ..Binding::default()
                },
                secret,
            ))
        })();
        let (binding, secret) = match checked {
            Ok(c) => c,
            Err(e) => return Flow::Ready(Err(e)),
        };
        if !self.lookup {
            return Flow::Ready(Ok(Some(user(&binding, None))));
        }
        let token = token.to_string();
        let secret_key = cx.core_key("secrets", &binding.namespace, &secret);
        cx.object(secret_key).and_then(cx, move |obj, cx| {
            let obj = match obj {
                Ok(Some(o)) if !api::is_terminating(&o) => o,
                Ok(_) => return Flow::Ready(Err(refuse("Token has been invalidated"))),
                Err(e) => return Flow::Ready(Err(e)),
            };
            let stored = obj
                .pointer("/data/token")
                .and_then(Value::as_str)
                .and_then(|b| {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD.decode(b).ok()
                })
                .unwrap_or_default();
            if !super::constant_time_eq(&stored, token.as_bytes()) {
                return Flow::Ready(Err(refuse("Token does not match server's copy")));
            }
            if obj
                .pointer("/metadata/labels")
                .and_then(|l| l.get(LEGACY_INVALID_LABEL))
                .is_some()
            {
                return Flow::Ready(Err(refuse(format!(
                    "the token in secret {}/{secret} for service account {}/{} has been marked invalid",
                    binding.namespace, binding.namespace, binding.service_account.name
                ))));
            }
            let sa_key = cx.core_key(
                "serviceaccounts",
                &binding.namespace,
                &binding.service_account.name,
            );
            cx.object(sa_key).and_then(cx, move |sa, _| {
                Flow::Ready(match sa {
                    Err(e) => Err(e),
                    Ok(None) => Err(refuse("serviceaccount not found")),
                    Ok(Some(sa)) => {
                        let uid = api::uid(&sa);
                        if api::is_terminating(&sa) {
                            Err(refuse("ServiceAccount has been deleted"))
                        } else if uid != binding.service_account.uid {
                            Err(refuse(format!(
                                "ServiceAccount UID ({uid}) does not match claim ({})",
                                binding.service_account.uid
                            )))
                        } else {
                            Ok(Some(user(&binding, None)))
                        }
                    }
                })
            })
        })
    }
}

/// Whether an object a token names is still the one it was issued for: present, with the
/// same uid, and not deleted more than the leeway ago.
fn current(obj: Option<Value>, want_uid: &str, now: i64) -> Result<Value, &'static str> {
    let obj = obj.ok_or("not found")?;
    if !want_uid.is_empty() && api::uid(&obj) != want_uid {
        return Err("uid differs");
    }
    let deleted = obj
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(crate::printers::parse_rfc3339);
    if deleted.is_some_and(|d| d < now - LEEWAY_SECS) {
        return Err("deleted");
    }
    Ok(obj)
}

/// Looks the service account and the bound object up; the binding as the token has it, or
/// why it no longer holds.
fn still_bound(binding: Binding, cx: &Lookups<'_>) -> Flow<Result<Binding, ApiError>> {
    let ns = binding.namespace.as_str();
    let sa_key = cx.core_key("serviceaccounts", ns, &binding.service_account.name);
    let bound = if let Some(pod) = &binding.pod {
        Some(("pod", cx.core_key("pods", ns, &pod.name), pod.uid.clone()))
    } else if let Some(secret) = &binding.secret {
        Some((
            "secret",
            cx.core_key("secrets", ns, &secret.name),
            secret.uid.clone(),
        ))
    } else {
        binding
            .node
            .as_ref()
            .map(|node| ("node", cx.core_key("nodes", "", &node.name), node.uid.clone()))
    };
    cx.object(sa_key).and_then(cx, move |sa, cx| {
        let now = cx.now.wall_secs();
        let sa = match sa {
            Ok(sa) => sa,
            Err(e) => return Flow::Ready(Err(e)),
        };
        if let Err(why) = current(sa, &binding.service_account.uid, now) {
            return Flow::Ready(Err(refuse(format!(
                "service account {}/{}: {why}",
                binding.namespace, binding.service_account.name
            ))));
        }
        let Some((what, key, uid)) = bound else {
            return Flow::Ready(Ok(binding));
        };
        cx.object(key).and_then(cx, move |obj, cx| {
            Flow::Ready(match obj {
                Err(e) => Err(e),
                Ok(obj) => match current(obj, &uid, cx.now.wall_secs()) {
                    Ok(_) => Ok(binding),
                    Err(why) => Err(refuse(format!(
                        "service account token has been invalidated ({what} {why})"
                    ))),
                },
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> Binding {
        Binding {
            namespace: "ci".into(),
            service_account: Ref {
                name: "builder".into(),
                uid: "sa-uid".into(),
            },
            pod: Some(Ref {
                name: "p".into(),
                uid: "pod-uid".into(),
            }),
            secret: None,
            node: Some(Ref {
                name: "n1".into(),
                uid: String::new(),
            }),
        }
    }

    #[test]
    fn claims_are_kubes() {
        let c = claims(
            "https://issuer",
            &binding(),
            &["a".into()],
            100,
            3700,
            None,
            "j-1",
        );
        assert_eq!(
            c,
            json!({
                "aud": ["a"], "exp": 3700, "iat": 100, "nbf": 100, "iss": "https://issuer",
                "jti": "j-1", "sub": "system:serviceaccount:ci:builder",
                "kubernetes.io": {
                    "namespace": "ci",
                    "node": {"name": "n1", "uid": ""},
                    "pod": {"name": "p", "uid": "pod-uid"},
                    "serviceaccount": {"name": "builder", "uid": "sa-uid"}
                }
            })
        );
    }

    #[test]
    fn the_user_carries_kubes_groups_and_extras() {
        let u = user(&binding(), Some("j-1"));
        assert_eq!(u.name, "system:serviceaccount:ci:builder");
        assert_eq!(u.uid, "sa-uid");
        assert_eq!(
            u.groups,
            vec!["system:serviceaccounts", "system:serviceaccounts:ci"]
        );
        assert_eq!(u.extra["authentication.kubernetes.io/pod-name"], vec!["p"]);
        assert_eq!(u.extra["authentication.kubernetes.io/pod-uid"], vec!["pod-uid"]);
        assert_eq!(u.extra[CREDENTIAL_ID], vec!["JTI=j-1"]);
        assert_eq!(u.extra["authentication.kubernetes.io/node-name"], vec!["n1"]);
        assert!(!u.extra.contains_key("authentication.kubernetes.io/node-uid"));
    }

    #[test]
    fn deleted_or_replaced_objects_no_longer_hold() {
        let obj = json!({"metadata": {"uid": "u1"}});
        assert!(current(Some(obj.clone()), "u1", 0).is_ok());
        assert_eq!(current(Some(obj), "u2", 0).unwrap_err(), "uid differs");
        assert_eq!(current(None, "u1", 0).unwrap_err(), "not found");
        let going = json!({"metadata": {"uid": "u1", "deletionTimestamp": "1970-01-01T00:01:40Z"}});
        assert!(current(Some(going.clone()), "u1", 150).is_ok());
        assert_eq!(current(Some(going), "u1", 200).unwrap_err(), "deleted");
    }
}
