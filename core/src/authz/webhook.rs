//! Webhook authorization (`--authorization-mode=Webhook`,
//! `--authorization-webhook-config-file`): a request is sent to a remote service as a
//! SubjectAccessReview, as kube-apiserver sends it, and its answer allows, denies (which
//! ends the chain) or has no opinion (the next authorizer decides). Answers are cached by
//! the review they answer: allowed ones for `--authorization-webhook-cache-authorized-ttl`
//! (5m), others for `--authorization-webhook-cache-unauthorized-ttl` (30s). A call that
//! fails (no connection, a 5xx or 429) is retried with kube's backoff; one that still fails
//! has no opinion and an error, which ends the request in kube's 500 unless another
//! authorizer allows it.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::config::FailurePolicy;
use super::match_conditions::{MatchConditions, Matched};
use super::{Authorizer, OwnedAttributes, Verdict};
use crate::authn::token::TokenCache;
use crate::authn::webhook::{Target, CALL_TIMEOUT_MS, RETRY_WAITS_MS};
use crate::authn::UserInfo;
use crate::server::effect::{Completion, Effect, Flow, HttpsCall, Lookups};
use crate::server::{HttpsResponse, NetError};

/// The SubjectAccessReview version spoken (`--authorization-webhook-version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `authorization.k8s.io/v1`.
    V1,
    /// `authorization.k8s.io/v1beta1` (kube's default).
    V1beta1,
}

/// kube's webhook authorizer.
pub struct AuthzWebhook {
    target: Target,
    version: Version,
    authorized_ttl_ms: u64,
    unauthorized_ttl_ms: u64,
    timeout_ms: u64,
    failure_policy: FailurePolicy,
    conditions: MatchConditions,
    cache: Arc<TokenCache<Verdict>>,
}

impl AuthzWebhook {
    /// Asks `target` in `version`, caching answers for the two TTLs, as the legacy flags
    /// configure it: a 30 s timeout, no opinion when it fails, every request asked.
    pub fn new(target: Target, version: Version, authorized_ttl_ms: u64, unauthorized_ttl_ms: u64) -> Self {
        AuthzWebhook {
            target,
            version,
            authorized_ttl_ms,
            unauthorized_ttl_ms,
            timeout_ms: CALL_TIMEOUT_MS,
            failure_policy: FailurePolicy::NoOpinion,
            conditions: MatchConditions::default(),
            cache: Default::default(),
        }
    }

    /// The webhook as `--authorization-config` configures it.
    pub fn configured(target: Target, c: &super::config::WebhookConfig) -> Self {
        AuthzWebhook {
            timeout_ms: c.timeout_ms,
            failure_policy: c.failure_policy,
            conditions: c.match_conditions.clone(),
            ..AuthzWebhook::new(target, c.version, c.authorized_ttl_ms, c.unauthorized_ttl_ms)
        }
    }

    /// The review kube sends for `user` asking `a`.
    pub fn review(&self, user: &UserInfo, a: &OwnedAttributes) -> Value {
        let mut spec = Map::new();
        if a.resource_request {
            let mut r = Map::new();
            for (k, v) in [
                ("namespace", &a.namespace),
                ("verb", &a.verb),
                ("group", &a.group),
                ("version", &a.api_version),
                ("resource", &a.resource),
                ("subresource", &a.subresource),
                ("name", &a.name),
            ] {
                if !v.is_empty() {
                    r.insert(k.into(), json!(v));
                }
            }
            spec.insert("resourceAttributes".into(), Value::Object(r));
        } else {
            spec.insert(
                "nonResourceAttributes".into(),
                json!({"path": a.path, "verb": a.verb}),
            );
        }
        if !user.name.is_empty() {
            spec.insert("user".into(), json!(user.name));
        }
        if !user.groups.is_empty() {
            // v1beta1 names the list `group`.
            let key = match self.version {
                Version::V1 => "groups",
                Version::V1beta1 => "group",
            };
            spec.insert(key.into(), json!(user.groups));
        }
        if !user.extra.is_empty() {
            spec.insert("extra".into(), json!(user.extra));
        }
        if !user.uid.is_empty() {
            spec.insert("uid".into(), json!(user.uid));
        }
        let api_version = match self.version {
            Version::V1 => "authorization.k8s.io/v1",
            Version::V1beta1 => "authorization.k8s.io/v1beta1",
        };
        json!({
            "apiVersion": api_version,
            "kind": "SubjectAccessReview",
            "metadata": {"creationTimestamp": null},
            "spec": spec,
            "status": {"allowed": false},
        })
    }
}

/// What one call came to: an answer, a failure, or a failure worth retrying.
enum Answer {
    Decided(Verdict),
    Failed(String),
    Retry(String),
}

/// Reads the webhook's answer as kube reads it.
fn read_answer(result: Result<HttpsResponse, NetError>) -> Answer {
    let r = match result {
        Ok(r) => r,
        Err(e) => return Answer::Retry(format!("webhook call failed: {e}")),
    };
    if r.status == 429 || r.status >= 500 {
        return Answer::Retry(format!("webhook answered {}", r.status));
    }
    let failed = |error: String| Answer::Failed(error);
    if !(200..300).contains(&r.status) {
        return failed(format!("webhook answered {}", r.status));
    }
    let Ok(review) = serde_json::from_slice::<Value>(&r.body) else {
        return failed("webhook answered something that is not a SubjectAccessReview".into());
    };
    let status = &review["status"];
    let reason = status["reason"].as_str().unwrap_or("").to_string();
    Answer::Decided(match (status["allowed"] == true, status["denied"] == true) {
        (true, true) => Verdict::Error {
            reason,
            error: "webhook subject access review returned both allow and deny response".into(),
            denied: true,
        },
        (true, false) => Verdict::Allow(reason),
        (false, true) => Verdict::Deny(reason),
        (false, false) => Verdict::NoOpinion(reason),
    })
}

/// What to do with an answer once it came (remember it), given the time.
type Remember = Box<dyn FnOnce(&Verdict, u64) + Send>;

/// One review: its call, retried on failure, its answer remembered, a failure decided by
/// `on_failure`.
fn ask(call: HttpsCall, attempt: usize, remember: Remember, on_failure: OnFailure) -> Flow<Verdict> {
    let again = call.clone();
    Flow::Wait(
        Effect::Https(Box::new(call)),
        Box::new(move |completion, cx| {
            let result = match completion {
                Completion::Https(r) => r,
                other => {
                    return Flow::Ready(on_failure(format!(
                        "unexpected answer to a webhook call: {other:?}"
                    )))
                }
            };
            match read_answer(result) {
                Answer::Decided(verdict) => {
                    remember(&verdict, cx.now.mono_ms);
                    Flow::Ready(verdict)
                }
                Answer::Failed(why) => Flow::Ready(on_failure(why)),
                Answer::Retry(why) => match RETRY_WAITS_MS.get(attempt) {
                    None => Flow::Ready(on_failure(why)),
                    Some(&after_ms) => Flow::Wait(
                        Effect::Timer { after_ms },
                        Box::new(move |_, _| ask(again, attempt + 1, remember, on_failure)),
                    ),
                },
            }
        }),
    )
}

/// What a failure decides under `policy`: an error that denies (ends the walk) or has no
/// opinion.
fn failure(policy: FailurePolicy, error: String) -> Verdict {
    Verdict::Error {
        reason: String::new(),
        error,
        denied: policy == FailurePolicy::Deny,
    }
}

/// What a failure decides.
type OnFailure = Box<dyn Fn(String) -> Verdict + Send>;

/// The v1 SubjectAccessReviewSpec match conditions see as `request`: every string of the
/// attributes present, an empty `extra` when there is none.
fn condition_request(user: &UserInfo, a: &OwnedAttributes) -> Value {
    let mut spec = json!({
        "user": user.name,
        "groups": user.groups,
        "extra": user.extra,
        "uid": user.uid,
    });
    if a.resource_request {
        spec["resourceAttributes"] = json!({
            "namespace": a.namespace,
            "verb": a.verb,
            "group": a.group,
            "version": a.api_version,
            "resource": a.resource,
            "subresource": a.subresource,
            "name": a.name,
        });
    } else {
        spec["nonResourceAttributes"] = json!({"path": a.path, "verb": a.verb});
    }
    spec
}

impl Authorizer for AuthzWebhook {
    fn name(&self) -> &'static str {
        "Webhook"
    }

    fn authorize(&self, user: &UserInfo, attrs: &OwnedAttributes, cx: &Lookups<'_>) -> Flow<Verdict> {
        match self.conditions.matches(&condition_request(user, attrs)) {
            Matched::Yes => {}
            Matched::No => return Flow::Ready(Verdict::NoOpinion(String::new())),
            Matched::Failed(e) => return Flow::Ready(failure(self.failure_policy, e)),
        }
        let review = self.review(user, attrs);
        let body = serde_json::to_vec(&review).unwrap_or_default();
        // Cached by the review itself (user and attributes), never by anything else.
        let key = crate::authn::token::token_digest(&review["spec"].to_string(), &[]);
        if let Some(v) = self.cache.get(&key, cx.now.mono_ms) {
            return Flow::Ready(v);
        }
        let cache = self.cache.clone();
        let (yes, no) = (self.authorized_ttl_ms, self.unauthorized_ttl_ms);
        let remember = Box::new(move |v: &Verdict, now_ms: u64| {
            let ttl = match v {
                Verdict::Allow(_) => yes,
                Verdict::Deny(_) | Verdict::NoOpinion(_) => no,
                // Errors are asked again.
                Verdict::Error { .. } => 0,
            };
            if ttl > 0 {
                cache.put(key, v.clone(), now_ms, ttl);
            }
        });
        let policy = self.failure_policy;
        let on_failure: OnFailure = Box::new(move |error| failure(policy, error));
        ask(self.target.call(body, self.timeout_ms), 0, remember, on_failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: Value) -> Result<HttpsResponse, NetError> {
        Ok(HttpsResponse {
            status,
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        })
    }

    fn decided(a: Answer) -> Verdict {
        match a {
            Answer::Decided(v) => v,
            Answer::Failed(why) => panic!("failed: {why}"),
            Answer::Retry(why) => panic!("retry: {why}"),
        }
    }

    #[test]
    fn answers_read_as_kube_reads_them() {
        let v = |s: Value| decided(read_answer(answer(200, json!({"status": s}))));
        assert_eq!(
            v(json!({"allowed": true, "reason": "ok"})),
            Verdict::Allow("ok".into())
        );
        assert_eq!(
            v(json!({"allowed": false, "denied": true, "reason": "no"})),
            Verdict::Deny("no".into())
        );
        assert_eq!(v(json!({"allowed": false})), Verdict::NoOpinion(String::new()));
        assert!(matches!(read_answer(answer(403, json!({}))), Answer::Failed(_)));
        assert!(matches!(
            v(json!({"allowed": true, "denied": true})),
            Verdict::Error { denied: true, .. }
        ));
        assert!(matches!(read_answer(answer(503, json!({}))), Answer::Retry(_)));
        assert!(matches!(read_answer(answer(429, json!({}))), Answer::Retry(_)));
    }

    #[test]
    fn reviews_as_kube_sends_them() {
        let target = Target {
            url: "https://authz.test/".into(),
            tls: Default::default(),
            headers: Vec::new(),
        };
        let user = UserInfo {
            name: "jane".into(),
            uid: "u1".into(),
            groups: vec!["devs".into()],
            ..Default::default()
        };
        let a = OwnedAttributes {
            verb: "list".into(),
            resource_request: true,
            group: "apps".into(),
            resource: "deployments".into(),
            namespace: "ns".into(),
            ..Default::default()
        };
        let beta = AuthzWebhook::new(target.clone(), Version::V1beta1, 1, 1).review(&user, &a);
        assert_eq!(beta["apiVersion"], "authorization.k8s.io/v1beta1");
        assert_eq!(beta["spec"]["group"], json!(["devs"]));
        assert_eq!(
            beta["spec"]["resourceAttributes"],
            json!({"namespace": "ns", "verb": "list", "group": "apps", "resource": "deployments"})
        );
        let path = OwnedAttributes {
            verb: "get".into(),
            path: "/healthz".into(),
            ..Default::default()
        };
        let v1 = AuthzWebhook::new(target, Version::V1, 1, 1).review(&user, &path);
        assert_eq!(v1["spec"]["groups"], json!(["devs"]));
        assert_eq!(v1["spec"]["uid"], "u1");
        assert_eq!(
            v1["spec"]["nonResourceAttributes"],
            json!({"path": "/healthz", "verb": "get"})
        );
    }
}
