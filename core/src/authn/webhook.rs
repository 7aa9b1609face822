//! Webhook token authentication (`--authentication-token-webhook-config-file`): a token no
//! other authenticator knows is sent to a remote service as a TokenReview, whose answer
//! names the user. As in kube, answers (yes and no) are cached for
//! `--authentication-token-webhook-cache-ttl`, keyed by a hash of the token; a call that
//! fails (no connection, a 5xx or 429) is retried with backoff, then counts as an error.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::api::ApiError;
use crate::server::effect::{Completion, Effect, Flow, HttpsCall, Lookups};
use crate::server::{ClientTls, HttpsResponse};

use super::token::{TokenAuthenticator, TokenCache};
use super::UserInfo;

/// How long one call may take (kube's webhook client timeout).
pub const CALL_TIMEOUT_MS: u64 = 30_000;
/// The waits before each retry (kube's default webhook backoff: 500 ms, times 1.5).
pub const RETRY_WAITS_MS: [u64; 4] = [500, 750, 1_125, 1_688];

/// The TokenReview version spoken (`--authentication-token-webhook-version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `authentication.k8s.io/v1`.
    V1,
    /// `authentication.k8s.io/v1beta1` (kube's default).
    V1beta1,
}

impl Version {
    fn api_version(self) -> &'static str {
        match self {
            Version::V1 => "authentication.k8s.io/v1",
            Version::V1beta1 => "authentication.k8s.io/v1beta1",
        }
    }
}

/// Where the webhook is and how to reach it.
#[derive(Clone, Debug)]
pub struct Target {
    /// Its URL.
    pub url: String,
    /// TLS toward it.
    pub tls: ClientTls,
    /// Headers every call carries (the API server's credentials toward it).
    pub headers: Vec<(String, String)>,
}

impl Target {
    /// A JSON POST of `body` to the webhook, with its credentials, taking at most
    /// `timeout_ms`.
    pub fn call(&self, body: Vec<u8>, timeout_ms: u64) -> HttpsCall {
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("Accept".to_string(), "application/json, */*".to_string()),
        ];
        headers.extend(self.headers.iter().cloned());
        HttpsCall {
            url: self.url.clone(),
            method: "POST".into(),
            headers,
            body,
            tls: self.tls.clone(),
            timeout_ms,
        }
    }
}

/// What to do with a review's outcome once decided (remember it), given the time.
type Remember = Box<dyn FnOnce(&Result<Option<UserInfo>, ApiError>, u64) + Send>;

/// kube's webhook token authenticator.
pub struct TokenWebhook {
    target: Target,
    /// The API's audiences, which an answer naming no audience holds for.
    implicit: Vec<String>,
    version: Version,
    cache_ttl_ms: u64,
    cache: std::sync::Arc<TokenCache<Option<UserInfo>>>,
}

impl TokenWebhook {
    /// Asks `target` in `version`, caching answers for `cache_ttl_ms`; `implicit` are the
    /// API's audiences.
    pub fn new(target: Target, version: Version, cache_ttl_ms: u64, implicit: Vec<String>) -> Self {
        TokenWebhook {
            target,
            implicit,
            version,
            cache_ttl_ms,
            cache: Default::default(),
        }
    }

    fn call(&self, body: &[u8]) -> HttpsCall {
        self.target.call(body.to_vec(), CALL_TIMEOUT_MS)
    }
}

/// What one call came to: an answer (a user or not), or a failure worth retrying.
enum Answer {
    Decided(Result<Option<UserInfo>, ApiError>),
    Retry(String),
}

/// Reads the webhook's answer to a review for `audiences`.
fn read_answer(
    result: Result<HttpsResponse, crate::server::NetError>,
    audiences: &[String],
    implicit: &[String],
) -> Answer {
    let r = match result {
        Ok(r) => r,
        Err(e) => return Answer::Retry(format!("webhook call failed: {e}")),
    };
    if r.status == 429 || r.status >= 500 {
        return Answer::Retry(format!("webhook answered {}", r.status));
    }
    if !(200..300).contains(&r.status) {
        return Answer::Decided(Err(ApiError::unauthenticated(format!(
            "webhook answered {}",
            r.status
        ))));
    }
    let Ok(review) = serde_json::from_slice::<Value>(&r.body) else {
        return Answer::Decided(Err(ApiError::unauthenticated(
            "webhook answered something that is not a TokenReview",
        )));
    };
    let status = &review["status"];
    if status.get("authenticated").and_then(Value::as_bool) != Some(true) {
        return Answer::Decided(match status.get("error").and_then(Value::as_str) {
            Some(e) if !e.is_empty() => Err(ApiError::unauthenticated(e.to_string())),
            _ => Ok(None),
        });
    }
    // Asked for audiences, the answer must name one of them; an answer naming none holds
    // for the API's own audiences (kube's implicit ones) only.
    if !audiences.is_empty() {
        let named: Vec<&str> = status["audiences"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let fits = if named.is_empty() {
            audiences.iter().any(|a| implicit.contains(a))
        } else {
            named.iter().any(|a| audiences.iter().any(|w| w == a))
        };
        if !fits {
            return Answer::Decided(Ok(None));
        }
    }
    let user = &status["user"];
    let s = |k: &str| user.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let name = s("username");
    if name.is_empty() {
        return Answer::Decided(Err(ApiError::unauthenticated("webhook named no user")));
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let extra: BTreeMap<String, Vec<String>> = user["extra"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
        .unwrap_or_default();
    Answer::Decided(Ok(Some(UserInfo {
        name,
        uid: s("uid"),
        groups: strings(&user["groups"]),
        extra,
    })))
}

/// One review: its call, and what to do with the answer (retry, then decide).
fn review(
    call: HttpsCall,
    audiences: Vec<String>,
    implicit: Vec<String>,
    attempt: usize,
    done: Remember,
) -> Flow<Result<Option<UserInfo>, ApiError>> {
    let again = call.clone();
    Flow::Wait(
        Effect::Https(Box::new(call)),
        Box::new(move |completion, cx| {
            let result = match completion {
                Completion::Https(r) => r,
                other => {
                    return Flow::Ready(Err(ApiError::internal(format!(
                        "unexpected answer to a webhook call: {other:?}"
                    ))))
                }
            };
            match read_answer(result, &audiences, &implicit) {
                Answer::Decided(outcome) => {
                    done(&outcome, cx.now.mono_ms);
                    Flow::Ready(outcome)
                }
                Answer::Retry(why) => match RETRY_WAITS_MS.get(attempt) {
                    None => Flow::Ready(Err(ApiError::unauthenticated(why))),
                    Some(&after_ms) => Flow::Wait(
                        Effect::Timer { after_ms },
                        Box::new(move |_, _| review(again, audiences, implicit, attempt + 1, done)),
                    ),
                },
            }
        }),
    )
}

impl TokenAuthenticator for TokenWebhook {
    fn name(&self) -> &'static str {
        "TokenWebhook"
    }

    fn audience_agnostic(&self) -> bool {
        false
    }

    fn authenticate_token(
        &self,
        token: &str,
        audiences: &[String],
        cx: &Lookups<'_>,
    ) -> Flow<Result<Option<UserInfo>, ApiError>> {
        let key = super::token::token_digest(token, audiences);
        if let Some(answer) = self.cache.get(&key, cx.now.mono_ms) {
            return Flow::Ready(Ok(answer));
        }
        let mut spec = json!({"token": token});
        if !audiences.is_empty() {
            spec["audiences"] = json!(audiences);
        }
        let body = json!({
            "apiVersion": self.version.api_version(),
            "kind": "TokenReview",
            "metadata": {"creationTimestamp": null},
            "spec": spec,
            "status": {"user": {}},
        });
        let call = self.call(&serde_json::to_vec(&body).unwrap_or_default());
        let cache = self.cache.clone();
        let ttl = self.cache_ttl_ms;
        // Answers are remembered, yes and no alike; errors are not.
        let done = Box::new(move |outcome: &Result<Option<UserInfo>, ApiError>, now_ms: u64| {
            if let (Ok(answer), true) = (outcome, ttl > 0) {
                cache.put(key, answer.clone(), now_ms, ttl);
            }
        });
        review(call, audiences.to_vec(), self.implicit.clone(), 0, done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: Value) -> Result<HttpsResponse, crate::server::NetError> {
        Ok(HttpsResponse {
            status,
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        })
    }

    fn decided(a: Answer) -> Result<Option<UserInfo>, ApiError> {
        match a {
            Answer::Decided(d) => d,
            Answer::Retry(why) => panic!("retry: {why}"),
        }
    }

    #[test]
    fn answers_read_as_kube_reads_them() {
        let yes = json!({"status": {"authenticated": true, "user": {"username": "jane", "uid": "1",
            "groups": ["devs"], "extra": {"scopes": ["a"]}}, "audiences": ["api"]}});
        let u = decided(read_answer(answer(200, yes.clone()), &[], &[]))
            .unwrap()
            .unwrap();
        assert_eq!((u.name.as_str(), u.uid.as_str()), ("jane", "1"));
        assert_eq!(u.groups, vec!["devs"]);
        assert_eq!(u.extra["scopes"], vec!["a"]);
        assert!(
            decided(read_answer(answer(200, yes.clone()), &["api".into()], &[]))
                .unwrap()
                .is_some()
        );
        assert!(decided(read_answer(answer(200, yes), &["other".into()], &[]))
            .unwrap()
            .is_none());
        // No audiences named: good for the API's own only.
        let plain = json!({"status": {"authenticated": true, "user": {"username": "jane"}}});
        let api = vec!["api".to_string()];
        assert!(decided(read_answer(answer(200, plain.clone()), &api, &api))
            .unwrap()
            .is_some());
        assert!(decided(read_answer(answer(200, plain), &["vault".into()], &api))
            .unwrap()
            .is_none());
        let no = json!({"status": {"authenticated": false}});
        assert!(decided(read_answer(answer(200, no), &[], &[])).unwrap().is_none());
        let err = json!({"status": {"authenticated": false, "error": "token revoked"}});
        assert_eq!(
            decided(read_answer(answer(200, err), &[], &[]))
                .unwrap_err()
                .message,
            "token revoked"
        );
        assert!(decided(read_answer(answer(403, json!({})), &[], &[])).is_err());
        let garbage = Ok(HttpsResponse {
            status: 200,
            headers: Vec::new(),
            body: b"<html>".to_vec(),
        });
        assert!(decided(read_answer(garbage, &[], &[])).is_err());
        let nameless = json!({"status": {"authenticated": true, "user": {}}});
        assert!(decided(read_answer(answer(200, nameless), &[], &[])).is_err());
        assert!(matches!(
            read_answer(answer(503, json!({})), &[], &[]),
            Answer::Retry(_)
        ));
        assert!(matches!(
            read_answer(answer(429, json!({})), &[], &[]),
            Answer::Retry(_)
        ));
    }
}
