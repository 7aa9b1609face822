//! One call to one webhook, and what kube makes of how it went: a failure to call it
//! (which the webhook's failure policy decides), its refusal, or its answer.

use serde_json::Value;

use super::client;
use super::hooks::Hook;
use super::matching::Invocation;
use super::review::{self, Answer, Unreadable, Version};
use super::Inner;
use crate::admission::Request;
use crate::api::ApiError;
use crate::server::effect::{Completion, Effect, Flow, HttpsCall, Lookups};
use crate::server::{HttpsResponse, NetError};

/// How a call went wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// A `failurePolicy: Ignore` webhook was not called: its timeout reaches into the time
    /// the rest of the request needs. The warning for the client.
    Skipped(String),
    /// The webhook could not be called or answered nonsense (kube's `ErrCallingWebhook`):
    /// the reason, after `failed calling webhook "<name>": `.
    Calling(String),
    /// The request is refused whatever the failure policy (the webhook's denial, a dry run
    /// it cannot take).
    Refused(ApiError),
}

/// What a request keeps for itself after its admission webhooks: the rest of admission,
/// validation, the write and the answer.
pub const RESERVE_MS: u64 = 1_000;

/// Fail-open means fail-open: a webhook that may fail open is not called when a call that
/// runs to its timeout would end inside the request's reserve, so that several slow
/// `Ignore` webhooks can never together make the request time out (which kube lets them,
/// kubernetes/kubernetes#128162). `Fail` webhooks are always called, as in kube.
fn past_the_reserve(hook: &Hook, request: &Request, now_ms: u64) -> Option<CallError> {
    let deadline = request.deadline_ms.filter(|_| hook.fail_open)?;
    let ends = now_ms.saturating_add(hook.timeout_secs.saturating_mul(1000));
    (ends.saturating_add(RESERVE_MS) > deadline).then(|| {
        CallError::Skipped(format!(
            "admission webhook {} was not called: its timeout of {}s would outlast the request's deadline (failurePolicy Ignore)",
            crate::validation::go_quote(&hook.name),
            hook.timeout_secs
        ))
    })
}

/// kube's `ErrCallingWebhook` under `failurePolicy: Fail`: a 500.
pub fn fail_closed(hook: &Hook, reason: &str) -> ApiError {
    ApiError::internal(format!(
        "failed calling webhook {}: {reason}",
        crate::validation::go_quote(&hook.name)
    ))
}

/// The reasons of a `Status` kube knows, so that a webhook's reason is kept.
const REASONS: &[&str] = &[
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "AlreadyExists",
    "Conflict",
    "Gone",
    "Invalid",
    "ServerTimeout",
    "StoreReadError",
    "Timeout",
    "TooManyRequests",
    "BadRequest",
    "MethodNotAllowed",
    "NotAcceptable",
    "RequestEntityTooLarge",
    "UnsupportedMediaType",
    "InternalError",
    "Expired",
    "ServiceUnavailable",
];

/// A webhook's refusal as kube words it (`ToStatusErr`): its status, with a code of at
/// least 400 and the message prefixed with who refused.
pub fn denial(hook: &Hook, result: Option<&Value>) -> ApiError {
    let field = |f: &str| {
        result
            .and_then(|r| r.get(f))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let code = result
        .and_then(|r| r.get("code"))
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c))
        .unwrap_or(400);
    let denied_by = format!(
        "admission webhook {} denied the request",
        crate::validation::go_quote(&hook.name)
    );
    let message = match (field("message"), field("reason")) {
        ("", "") => format!("{denied_by} without explanation"),
        ("", reason) => format!("{denied_by}: {reason}"),
        (message, _) => format!("{denied_by}: {message}"),
    };
    let reason = REASONS
        .iter()
        .find(|r| **r == field("reason"))
        .copied()
        .unwrap_or("");
    ApiError::with_status(code, reason, message)
}

/// What a failed HTTP exchange reads as, in the words of kube's REST client.
fn http_failure(r: &HttpsResponse) -> String {
    let status: Option<Value> = serde_json::from_slice(&r.body).ok();
    let message = status
        .as_ref()
        .filter(|s| s.get("kind").and_then(Value::as_str) == Some("Status"))
        .and_then(|s| s.get("message"))
        .and_then(Value::as_str);
    if let Some(m) = message {
        return m.to_string();
    }
    let body = String::from_utf8_lossy(&r.body).trim().to_string();
    if r.status >= 500 && !body.is_empty() {
        return format!(
            "an error on the server ({}) has prevented the request from succeeding",
            crate::validation::go_quote(&body)
        );
    }
    format!(
        "the server responded with the status code {} but did not return more information",
        r.status
    )
}

/// Calls `hook` for `request` as `invocation` names it, with the object (and old object)
/// already in the invocation's version.
pub fn call(
    inner: &Inner,
    hook: &Hook,
    request: &Request,
    invocation: &Invocation,
    (object, old_object): (Option<&Value>, Option<&Value>),
    mutating: bool,
    cx: &Lookups<'_>,
) -> Flow<Result<Answer, CallError>> {
    if request.dry_run {
        match hook.side_effects.as_deref() {
            None => return Flow::Ready(Err(CallError::Calling("Webhook SideEffects is nil".into()))),
            Some("None" | "NoneOnDryRun") => {}
            Some(_) => {
                return Flow::Ready(Err(CallError::Refused(ApiError::bad_request(format!(
                    "admission webhook {} does not support dry run",
                    crate::validation::go_quote(&hook.name)
                )))))
            }
        }
    }
    if let Some(skipped) = past_the_reserve(hook, request, cx.now.mono_ms) {
        return Flow::Ready(Err(skipped));
    }
    let Some(version) = Version::pick(&hook.review_versions) else {
        return Flow::Ready(Err(CallError::Calling(
            "could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)"
                .into(),
        )));
    };
    let mut rng = inner.rng(cx);
    let uid = rng.uuid_v4();
    let mut pick = |n: usize| usize::try_from(rng.below(n.max(1) as u64)).unwrap_or(0);
    let target = match client::target(hook, &inner.credentials, cx, &mut pick) {
        Ok(t) => t,
        Err((shown, why)) => {
            return Flow::Ready(Err(CallError::Calling(format!(
                "failed to call webhook: Post {}: {why}",
                crate::validation::go_quote(&shown)
            ))))
        }
    };
    let ar = review::admission_request(&uid, request, invocation, object, old_object);
    let body = serde_json::to_vec(&review::review(version, ar)).unwrap_or_default();
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("Accept".to_string(), "application/json, */*".to_string()),
    ];
    headers.extend(target.headers);
    let https = HttpsCall {
        url: target.url,
        method: "POST".into(),
        headers,
        body,
        tls: target.tls,
        timeout_ms: hook.timeout_secs.saturating_mul(1000),
    };
    let shown = target.shown;
    Flow::Wait(
        Effect::Https(Box::new(https)),
        Box::new(move |completion, _| Flow::Ready(read(completion, &shown, version, &uid, mutating))),
    )
}

fn read(
    completion: Completion,
    shown: &str,
    version: Version,
    uid: &str,
    mutating: bool,
) -> Result<Answer, CallError> {
    let post = format!("Post {}", crate::validation::go_quote(shown));
    let calling = |why: String| Err(CallError::Calling(format!("failed to call webhook: {why}")));
    let response = match completion {
        Completion::Https(Ok(r)) => r,
        Completion::Https(Err(NetError::TimedOut { .. })) => {
            return calling(format!("{post}: context deadline exceeded"))
        }
        Completion::Https(Err(e)) => return calling(format!("{post}: {e}")),
        other => return calling(format!("unexpected answer to a webhook call: {other:?}")),
    };
    if !(200..300).contains(&response.status) {
        return calling(http_failure(&response));
    }
    match review::verify(version, uid, mutating, &response.body) {
        Ok(answer) => Ok(answer),
        Err(Unreadable::Decode(why)) => calling(why),
        Err(Unreadable::Invalid(why)) => Err(CallError::Calling(format!(
            "received invalid webhook response: {why}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hook() -> Hook {
        Hook {
            name: "deny.example.com".into(),
            ..Default::default()
        }
    }

    #[test]
    fn denials_as_kube_words_them() {
        let e = denial(
            &hook(),
            Some(&json!({"code": 403, "reason": "Forbidden", "message": "no pods"})),
        );
        assert_eq!(
            (e.code, e.reason, e.message.as_str()),
            (
                403,
                "Forbidden",
                "admission webhook \"deny.example.com\" denied the request: no pods"
            )
        );
        let e = denial(&hook(), None);
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                400,
                "admission webhook \"deny.example.com\" denied the request without explanation"
            )
        );
        let e = denial(&hook(), Some(&json!({"code": 200, "reason": "Custom"})));
        assert_eq!(
            (e.code, e.reason, e.message.as_str()),
            (
                400,
                "",
                "admission webhook \"deny.example.com\" denied the request: Custom"
            )
        );
        let f = fail_closed(&hook(), "failed to call webhook: x");
        assert_eq!(f.code, 500);
        assert_eq!(
            f.message,
            "Internal error occurred: failed calling webhook \"deny.example.com\": failed to call webhook: x"
        );
    }

    #[test]
    fn failures_read_as_kubes_client_reads_them() {
        let timed_out = Completion::Https(Err(NetError::TimedOut {
            addr: "1.2.3.4:443".into(),
        }));
        assert_eq!(
            read(timed_out, "https://h/x?timeout=1s", Version::V1, "u", true),
            Err(CallError::Calling(
                "failed to call webhook: Post \"https://h/x?timeout=1s\": context deadline exceeded".into()
            ))
        );
        let refused = Completion::Https(Err(NetError::Refused {
            addr: "1.2.3.4:443".into(),
        }));
        assert_eq!(
            read(refused, "https://h/x", Version::V1, "u", true),
            Err(CallError::Calling(
                "failed to call webhook: Post \"https://h/x\": dial tcp 1.2.3.4:443: connect: connection refused"
                    .into()
            ))
        );
        let teapot = HttpsResponse {
            status: 500,
            headers: Vec::new(),
            body: b"boom".to_vec(),
        };
        assert_eq!(
            read(Completion::Https(Ok(teapot)), "https://h/x", Version::V1, "u", true),
            Err(CallError::Calling(
                "failed to call webhook: an error on the server (\"boom\") has prevented the request from succeeding"
                    .into()
            ))
        );
    }
}
