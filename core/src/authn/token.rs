//! Bearer tokens: kube's `bearertoken` request authenticator over the union of token
//! authenticators (a token file, service-account tokens, bootstrap tokens, and later OIDC
//! and a webhook), behind a cache of successes keyed by a hash of the token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ring::digest;

use crate::api::ApiError;
use crate::http::Request;
use crate::server::effect::{Flow, Lookups};

use super::UserInfo;

/// How long a success is remembered (kube's `--authentication-token-success-cache-ttl`
/// default, 10 s).
pub const SUCCESS_TTL_MS: u64 = 10_000;

/// The most entries the cache holds before it forgets the oldest half.
const CACHE_CAP: usize = 4096;

/// One way of turning a token into a user.
pub trait TokenAuthenticator: Send + Sync {
    /// Its name, for logs.
    fn name(&self) -> &'static str;

    /// Whether its tokens carry no audience (a token file, bootstrap tokens): such a token
    /// is good for the API's own audiences only, as kube's audience-agnostic wrapper has it.
    fn audience_agnostic(&self) -> bool {
        true
    }

    /// Which of `requested` an accepted `token` is good for, for a TokenReview's
    /// `status.audiences`; `None` for an audience-agnostic token (then: those of `requested`
    /// that are the API's own).
    fn token_audiences(&self, _token: &str, _requested: &[String]) -> Option<Vec<String>> {
        None
    }

    /// The user `token` proves to be when presented to `audiences` (the server's API
    /// audiences, or a TokenReview's); `Ok(None)` when the token is not of its kind; an error
    /// when it is and is refused. Now, or after an effect (a JWKS fetch, a TokenReview).
    fn authenticate_token(
        &self,
        token: &str,
        audiences: &[String],
        cx: &Lookups<'_>,
    ) -> Flow<Result<Option<UserInfo>, ApiError>>;
}

/// The bearer token of `request` as kube's authenticator reads it: `Authorization`, trimmed,
/// split on single spaces, a case-insensitive `bearer` then a non-empty token. Anything
/// else is not a bearer token at all (the request may still be anonymous).
pub fn bearer_token(request: &Request) -> Option<&str> {
    let auth = request.header("authorization")?.trim();
    let mut parts = auth.splitn(3, ' ');
    let scheme = parts.next()?;
    let token = parts.next()?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The subprotocol prefix a WebSocket client (a browser cannot set `Authorization`) carries
/// its bearer token in, base64url-encoded.
pub const WEBSOCKET_PROTOCOL_PREFIX: &str = "base64url.bearer.authorization.k8s.io.";

/// The bearer token of a WebSocket request's subprotocols, as kube's protocol authenticator
/// reads it: `None` when the request is no WebSocket upgrade or carries none; an error (a
/// 401) for two tokens, a token that does not decode, or a token with no other subprotocol.
pub fn websocket_token(request: &Request) -> Option<Result<String, &'static str>> {
    let upgrade = request
        .header("connection")
        .is_some_and(|c| c.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")))
        && request
            .header("upgrade")
            .is_some_and(|u| u.trim().eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return None;
    }
    let mut token = None;
    let mut others = 0;
    for protocol in request
        .header_all("sec-websocket-protocol")
        .flat_map(|v| v.split(','))
        .map(str::trim)
    {
        match protocol.strip_prefix(WEBSOCKET_PROTOCOL_PREFIX) {
            Some(encoded) => {
                if token.is_some() {
                    return Some(Err("multiple base64.bearer.authorization tokens specified"));
                }
                token = Some(encoded);
            }
            None if !protocol.is_empty() => others += 1,
            None => {}
        }
    }
    let encoded = token?;
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded) else {
        return Some(Err("invalid base64.bearer.authorization token encoding"));
    };
    let Ok(token) = String::from_utf8(bytes) else {
        return Some(Err("invalid base64.bearer.authorization token"));
    };
    if others == 0 {
        return Some(Err("missing additional subprotocol"));
    }
    Some(Ok(token))
}

/// The audiences a review asks about (`spec.audiences`), or `default` when it names none.
pub fn requested_audiences(spec: &serde_json::Value, default: &[String]) -> Vec<String> {
    let asked: Vec<String> = spec
        .get("audiences")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if asked.is_empty() {
        default.to_vec()
    } else {
        asked
    }
}

/// An accepted token's user, and which of the asked-for audiences it is good for.
pub type Reviewed = (UserInfo, Vec<String>);

/// The token authenticators, in kube's order, the audiences a request's token must be for,
/// and their cache.
#[derive(Clone, Default)]
pub struct Tokens {
    authenticators: Vec<Arc<dyn TokenAuthenticator>>,
    audiences: Vec<String>,
    cache: Arc<TokenCache<Reviewed>>,
}

impl Tokens {
    /// The audiences a token presented to this server must be for (`--api-audiences`).
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Sets them.
    pub fn set_audiences(&mut self, audiences: Vec<String>) {
        self.audiences = audiences;
    }

    /// Adds an authenticator after those already there.
    pub fn push(&mut self, authenticator: Arc<dyn TokenAuthenticator>) {
        self.authenticators.push(authenticator);
    }

    /// The user `token` proves to be for `audiences`: the first authenticator to accept it
    /// wins; `Ok(None)` when none does and none refused it, an error when one refused it.
    pub fn authenticate(
        &self,
        token: &str,
        audiences: &[String],
        cx: &Lookups<'_>,
    ) -> Flow<Result<Option<UserInfo>, ApiError>> {
        self.review(token, audiences, cx).and_then(cx, |outcome, _| {
            Flow::Ready(outcome.map(|o| o.map(|(user, _)| user)))
        })
    }

    /// [`Tokens::authenticate`], with which of `audiences` the token is good for (a
    /// TokenReview's `status.audiences`).
    pub fn review(
        &self,
        token: &str,
        audiences: &[String],
        cx: &Lookups<'_>,
    ) -> Flow<Result<Option<Reviewed>, ApiError>> {
        let key = token_digest(token, audiences);
        if let Some(hit) = self.cache.get(&key, cx.now.mono_ms) {
            return Flow::Ready(Ok(Some(hit)));
        }
        let cache = self.cache.clone();
        // Tokens without an audience are for the API only: asked for other audiences (a
        // TokenReview's), their authenticators are skipped.
        let for_api = audiences.is_empty() || audiences.iter().any(|a| self.audiences.contains(a));
        Walk {
            authenticators: self
                .authenticators
                .iter()
                .filter(|a| for_api || !a.audience_agnostic())
                .cloned()
                .collect(),
            token: token.to_string(),
            audiences: audiences.to_vec(),
            api_audiences: self.audiences.clone(),
            refused: None,
        }
        .from(0, cx)
        .and_then(cx, move |outcome, cx| {
            if let Ok(Some(hit)) = &outcome {
                cache.put(key, hit.clone(), cx.now.mono_ms, SUCCESS_TTL_MS);
            }
            Flow::Ready(outcome)
        })
    }
}

/// The walk through the token authenticators.
struct Walk {
    authenticators: Vec<Arc<dyn TokenAuthenticator>>,
    token: String,
    audiences: Vec<String>,
    api_audiences: Vec<String>,
    /// The first refusal, answered when nobody accepts the token.
    refused: Option<ApiError>,
}

impl Walk {
    fn from(mut self, i: usize, cx: &Lookups<'_>) -> Flow<Result<Option<Reviewed>, ApiError>> {
        let Some(authenticator) = self.authenticators.get(i).cloned() else {
            return Flow::Ready(match self.refused {
                Some(e) => Err(e),
                None => Ok(None),
            });
        };
        authenticator
            .authenticate_token(&self.token, &self.audiences, cx)
            .and_then(cx, move |outcome, cx| match outcome {
                Ok(Some(user)) => {
                    let audiences = authenticator
                        .token_audiences(&self.token, &self.audiences)
                        .unwrap_or_else(|| {
                            self.audiences
                                .iter()
                                .filter(|a| self.api_audiences.contains(a))
                                .cloned()
                                .collect()
                        });
                    Flow::Ready(Ok(Some((user, audiences))))
                }
                Ok(None) => self.from(i + 1, cx),
                Err(e) => {
                    self.refused.get_or_insert(e);
                    self.from(i + 1, cx)
                }
            })
    }
}

/// Recent answers, keyed by a SHA-256 of the audiences and the token (never the token),
/// capped at [`CACHE_CAP`] entries.
pub struct TokenCache<V> {
    entries: Mutex<HashMap<[u8; 32], (V, u64)>>,
}

impl<V> Default for TokenCache<V> {
    fn default() -> Self {
        TokenCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

/// What token caches key an answer by: a SHA-256 of the audiences and the token, so that no
/// cache holds a token.
pub fn token_digest(token: &str, audiences: &[String]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for a in audiences {
        ctx.update(&(a.len() as u64).to_be_bytes());
        ctx.update(a.as_bytes());
    }
    ctx.update(token.as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(ctx.finish().as_ref());
    key
}

impl<V: Clone> TokenCache<V> {
    /// The answer kept for `key`, while it lasts.
    pub fn get(&self, key: &[u8; 32], now_ms: u64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(_, until)| now_ms < *until)
            .map(|(v, _)| v.clone())
    }

    /// Keeps `value` for `key` for `ttl_ms`; a full cache first forgets what has lapsed, and
    /// everything if that is not enough.
    pub fn put(&self, key: [u8; 32], value: V, now_ms: u64, ttl_ms: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CACHE_CAP {
            entries.retain(|_, (_, until)| *until > now_ms);
            if entries.len() >= CACHE_CAP {
                entries.clear();
            }
        }
        entries.insert(key, (value, now_ms + ttl_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> Request {
        Request::get_with("/", &[("authorization", value)])
    }

    #[test]
    fn bearer_tokens_are_read_as_kube_reads_them() {
        assert_eq!(bearer_token(&with_auth("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with_auth("  bearer abc  ")), Some("abc"));
        assert_eq!(bearer_token(&with_auth("BEARER abc extra")), Some("abc"));
        // A second space is an empty token: not a bearer token at all.
        assert_eq!(bearer_token(&with_auth("Bearer  abc")), None);
        assert_eq!(bearer_token(&with_auth("Bearer")), None);
        assert_eq!(bearer_token(&with_auth("Basic abc")), None);
    }

    #[test]
    fn websocket_tokens_are_read_as_kube_reads_them() {
        let ws = |protocols: &str| {
            Request::get_with(
                "/",
                &[
                    ("connection", "Upgrade"),
                    ("upgrade", "websocket"),
                    ("sec-websocket-protocol", protocols),
                ],
            )
        };
        let t = "base64url.bearer.authorization.k8s.io.YWJj"; // "abc"
        assert_eq!(
            websocket_token(&ws(&format!("v4.channel.k8s.io, {t}"))),
            Some(Ok("abc".into()))
        );
        assert_eq!(websocket_token(&ws("v4.channel.k8s.io")), None);
        assert_eq!(
            websocket_token(&ws(t)),
            Some(Err("missing additional subprotocol"))
        );
        assert!(websocket_token(&ws(&format!("x, {t}, {t}"))).unwrap().is_err());
        assert!(
            websocket_token(&ws("x, base64url.bearer.authorization.k8s.io.!!"))
                .unwrap()
                .is_err()
        );
        let mut plain = ws(&format!("x, {t}"));
        plain.headers.remove(0);
        assert_eq!(websocket_token(&plain), None);
    }

    #[test]
    fn cache_keys_hash_token_and_audiences() {
        let a = token_digest("t", &["x".into()]);
        assert_ne!(a, token_digest("t", &["y".into()]));
        assert_ne!(a, token_digest("u", &["x".into()]));
        assert_ne!(
            token_digest("t", &["ab".into(), "c".into()]),
            token_digest("t", &["a".into(), "bc".into()])
        );
        let cache: TokenCache<Reviewed> = TokenCache::default();
        cache.put(a, (UserInfo::anonymous(), Vec::new()), 0, 100);
        assert!(cache.get(&a, 99).is_some());
        assert!(cache.get(&a, 100).is_none());
    }
}
