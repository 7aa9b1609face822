//! OpenID Connect tokens (`--oidc-*`): ID tokens of one issuer, verified with the keys its
//! discovery document points to. Discovery and the key set are fetched through the HTTPS
//! effect, kept, and fetched again when a token names a key not known yet (at most once per
//! [`REFRESH_EVERY_MS`]). Checked as kube checks them: the issuer, the client id among the
//! audiences, the algorithm allowed, the signature, expiry (`nbf` with go-oidc's leeway),
//! required claims, and an e-mail used as user name only when verified.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::api::ApiError;
use crate::server::effect::{Completion, Effect, Flow, HttpsCall, Lookups};
use crate::server::ClientTls;

use super::jwt::Jwt;
use super::keys::PublicKey;
use super::token::TokenAuthenticator;
use super::UserInfo;

/// The least time between two fetches of the key set for unknown key ids.
pub const REFRESH_EVERY_MS: u64 = 10_000;
/// How long one fetch may take.
const FETCH_TIMEOUT_MS: u64 = 10_000;
/// How far in the future `nbf` may be (go-oidc's leeway).
const NBF_LEEWAY_SECS: i64 = 300;

/// The `--oidc-*` flags.
#[derive(Clone, Debug, Default)]
pub struct OidcConfig {
    /// `--oidc-issuer-url` (https).
    pub issuer_url: String,
    /// `--oidc-client-id`: must be among the token's audiences.
    pub client_id: String,
    /// `--oidc-username-claim` (default `sub`).
    pub username_claim: String,
    /// `--oidc-username-prefix`; `None` for kube's default (the issuer and `#`, unless the
    /// claim is `email`), `-` for none.
    pub username_prefix: Option<String>,
    /// `--oidc-groups-claim`.
    pub groups_claim: Option<String>,
    /// `--oidc-groups-prefix`.
    pub groups_prefix: String,
    /// `--oidc-required-claim`: each must be present with this value.
    pub required_claims: BTreeMap<String, String>,
    /// `--oidc-signing-algs` (default RS256).
    pub signing_algs: Vec<String>,
    /// Trust toward the issuer (`--oidc-ca-file`; the system's roots when empty).
    pub tls: ClientTls,
}

/// The keys last fetched, and when.
#[derive(Default)]
struct KeySet {
    keys: Vec<PublicKey>,
    fetched_ms: Option<u64>,
}

/// kube's OIDC token authenticator for one issuer.
pub struct Oidc {
    config: Arc<OidcConfig>,
    keys: Arc<Mutex<KeySet>>,
}

impl Oidc {
    /// An authenticator of `config`'s issuer; keys are fetched when first needed.
    pub fn new(config: OidcConfig) -> Self {
        Oidc {
            config: Arc::new(config),
            keys: Arc::default(),
        }
    }
}

fn refuse(why: impl Into<String>) -> ApiError {
    ApiError::unauthenticated(format!("oidc: {}", why.into()))
}

fn get(url: &str, tls: &ClientTls) -> Effect {
    Effect::Https(Box::new(HttpsCall {
        url: url.to_string(),
        method: "GET".into(),
        headers: vec![("Accept".into(), "application/json".into())],
        body: Vec::new(),
        tls: tls.clone(),
        timeout_ms: FETCH_TIMEOUT_MS,
    }))
}

/// The JSON body of a successful fetch.
fn fetched(completion: Completion, what: &str) -> Result<Value, ApiError> {
    match completion {
        Completion::Https(Ok(r)) if r.status == 200 => {
            serde_json::from_slice(&r.body).map_err(|e| refuse(format!("{what}: {e}")))
        }
        Completion::Https(Ok(r)) => Err(refuse(format!("{what}: status {}", r.status))),
        Completion::Https(Err(e)) => Err(refuse(format!("{what}: {e}"))),
        other => Err(refuse(format!("{what}: unexpected {other:?}"))),
    }
}

/// Fetches discovery, then the key set it names, and keeps the keys.
fn fetch_keys(config: Arc<OidcConfig>, keys: Arc<Mutex<KeySet>>, now_ms: u64) -> Flow<Result<(), ApiError>> {
    {
        let mut set = keys.lock().unwrap_or_else(|p| p.into_inner());
        set.fetched_ms = Some(now_ms);
    }
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        config.issuer_url.trim_end_matches('/')
    );
    Flow::Wait(
        get(&discovery, &config.tls),
        Box::new(move |completion, _| {
            let doc = match fetched(completion, "discovery") {
                Ok(doc) => doc,
                Err(e) => return Flow::Ready(Err(e)),
            };
            // The document must be the issuer's own.
            if doc.get("issuer").and_then(Value::as_str) != Some(config.issuer_url.as_str()) {
                return Flow::Ready(Err(refuse("discovery names another issuer")));
            }
            let Some(jwks_uri) = doc.get("jwks_uri").and_then(Value::as_str) else {
                return Flow::Ready(Err(refuse("discovery names no jwks_uri")));
            };
            Flow::Wait(
                get(jwks_uri, &config.tls),
                Box::new(move |completion, _| {
                    let jwks = match fetched(completion, "jwks") {
                        Ok(j) => j,
                        Err(e) => return Flow::Ready(Err(e)),
                    };
                    let found: Vec<PublicKey> = jwks["keys"]
                        .as_array()
                        .map(|a| a.iter().filter_map(PublicKey::from_jwk).collect())
                        .unwrap_or_default();
                    keys.lock().unwrap_or_else(|p| p.into_inner()).keys = found;
                    Flow::Ready(Ok(()))
                }),
            )
        }),
    )
}

/// The claim `name` as strings (a string is a list of one).
fn strings(claims: &serde_json::Map<String, Value>, name: &str) -> Option<Vec<String>> {
    match claims.get(name)? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()),
        _ => None,
    }
}

/// The user a verified token names, or why not.
fn user_of(config: &OidcConfig, jwt: &Jwt, now: i64) -> Result<UserInfo, ApiError> {
    if !jwt.audiences().contains(&config.client_id) {
        return Err(refuse(format!("expected audience {:?}", config.client_id)));
    }
    match jwt.claim_time("exp") {
        Some(exp) if exp > now => {}
        Some(_) => return Err(refuse("token is expired")),
        None => return Err(refuse("token has no expiry")),
    }
    if jwt
        .claim_time("nbf")
        .is_some_and(|nbf| nbf > now + NBF_LEEWAY_SECS)
    {
        return Err(refuse("token is not valid yet"));
    }
    for (claim, want) in &config.required_claims {
        if jwt.claim_str(claim) != Some(want.as_str()) {
            return Err(refuse(format!(
                "required claim {claim} not present or not {want:?}"
            )));
        }
    }
    let claim = config.username_claim.as_str();
    let name = jwt
        .claim_str(claim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| refuse(format!("claim {claim} not present")))?;
    if claim == "email"
        && jwt
            .claims
            .get("email_verified")
            .is_some_and(|v| v != &Value::Bool(true))
    {
        return Err(refuse("email not verified"));
    }
    let prefix = match config.username_prefix.as_deref() {
        Some("-") => String::new(),
        Some(p) => p.to_string(),
        None if claim == "email" => String::new(),
        None => format!("{}#", config.issuer_url),
    };
    let groups = match &config.groups_claim {
        Some(g) => strings(&jwt.claims, g)
            .unwrap_or_default()
            .into_iter()
            .map(|g| format!("{}{g}", config.groups_prefix))
            .collect(),
        None => Vec::new(),
    };
    Ok(UserInfo {
        name: format!("{prefix}{name}"),
        groups,
        ..UserInfo::default()
    })
}

/// Verifies `jwt` with the keys held, then names its user.
fn check(config: &OidcConfig, keys: &Mutex<KeySet>, jwt: &Jwt, now: i64) -> Result<UserInfo, ApiError> {
    let verified = {
        let set = keys.lock().unwrap_or_else(|p| p.into_inner());
        jwt.verify(&set.keys)
    };
    if !verified {
        return Err(refuse("failed to verify signature"));
    }
    user_of(config, jwt, now)
}

impl TokenAuthenticator for Oidc {
    fn name(&self) -> &'static str {
        "OIDC"
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
        // Another issuer's token is another authenticator's business.
        if jwt.claim_str("iss") != Some(self.config.issuer_url.as_str()) {
            return Flow::Ready(Ok(None));
        }
        if !self.config.signing_algs.iter().any(|a| a == jwt.alg()) {
            return Flow::Ready(Err(refuse(format!("algorithm {:?} not allowed", jwt.alg()))));
        }
        let (known, may_fetch) = {
            let set = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            let known = match jwt.kid() {
                Some(kid) => set.keys.iter().any(|k| k.kid == kid),
                None => !set.keys.is_empty(),
            };
            let may_fetch = set
                .fetched_ms
                .is_none_or(|t| cx.now.mono_ms >= t + REFRESH_EVERY_MS);
            (known, may_fetch)
        };
        let now = cx.now.wall_secs();
        if known || !may_fetch {
            return Flow::Ready(check(&self.config, &self.keys, &jwt, now).map(Some));
        }
        let (config, keys) = (self.config.clone(), self.keys.clone());
        fetch_keys(config.clone(), keys.clone(), cx.now.mono_ms).and_then(cx, move |fetched, cx| {
            Flow::Ready(match fetched {
                Err(e) => Err(e),
                Ok(()) => check(&config, &keys, &jwt, cx.now.wall_secs()).map(Some),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::jwt::test_signer::TestSigner;
    use crate::authn::jwt::{encode, Signer};
    use serde_json::json;

    fn config() -> OidcConfig {
        OidcConfig {
            issuer_url: "https://issuer.example".into(),
            client_id: "kubernetes".into(),
            username_claim: "sub".into(),
            groups_claim: Some("groups".into()),
            groups_prefix: "oidc:".into(),
            signing_algs: vec!["ES256".into()],
            ..OidcConfig::default()
        }
    }

    fn token(signer: &TestSigner, claims: Value) -> Jwt {
        Jwt::parse(&encode(&claims, signer).unwrap()).unwrap()
    }

    #[test]
    fn claims_are_checked_as_kube_checks_them() {
        let signer = TestSigner::new();
        let keys = Mutex::new(KeySet {
            keys: vec![signer.public_key().clone()],
            fetched_ms: Some(0),
        });
        let base = json!({"iss": "https://issuer.example", "aud": "kubernetes", "sub": "jane",
            "exp": 2000, "groups": ["devs", "ops"], "email": "jane@example.com"});
        let with = |k: &str, v: Value| {
            let mut c = base.clone();
            c[k] = v;
            c
        };
        let c = config();
        let u = check(&c, &keys, &token(&signer, base.clone()), 1000).unwrap();
        assert_eq!(u.name, "https://issuer.example#jane");
        assert_eq!(u.groups, vec!["oidc:devs", "oidc:ops"]);
        assert!(
            check(&c, &keys, &token(&signer, base.clone()), 2000).is_err(),
            "expired"
        );
        assert!(check(&c, &keys, &token(&signer, with("aud", json!(["other"]))), 1000).is_err());
        assert!(check(&c, &keys, &token(&signer, with("nbf", json!(1400))), 1000).is_err());
        assert!(check(&c, &keys, &token(&signer, with("nbf", json!(1200))), 1000).is_ok());
        assert!(
            check(&c, &keys, &token(&TestSigner::new(), base.clone()), 1000).is_err(),
            "foreign key"
        );
        let mut required = c.clone();
        required.required_claims.insert("hd".into(), "example.com".into());
        assert!(check(&required, &keys, &token(&signer, base.clone()), 1000).is_err());
        assert!(check(
            &required,
            &keys,
            &token(&signer, with("hd", json!("example.com"))),
            1000
        )
        .is_ok());
        let mut by_email = c.clone();
        by_email.username_claim = "email".into();
        assert_eq!(
            check(&by_email, &keys, &token(&signer, base.clone()), 1000)
                .unwrap()
                .name,
            "jane@example.com"
        );
        assert!(check(
            &by_email,
            &keys,
            &token(&signer, with("email_verified", json!(false))),
            1000
        )
        .is_err());
        let mut no_prefix = c.clone();
        no_prefix.username_prefix = Some("-".into());
        assert_eq!(
            check(&no_prefix, &keys, &token(&signer, base), 1000)
                .unwrap()
                .name,
            "jane"
        );
    }
}
