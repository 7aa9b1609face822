//! The request pipeline: a request paused on an outbound call in authentication, in
//! authorization and in admission, and resumed; an update admitted again after its first
//! write conflicted; a request whose call never comes back ended at its deadline; the
//! server's own writes passing the same admission. The plugins here are stand-ins for the
//! webhooks that will use these seams.

use std::sync::Arc;

use serde_json::{json, Value};

use super::harness::{body, statuses, Harness};
use crate::admission::{Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::{ClientTls, Completion, Effect, Flow, HttpsCall, HttpsResponse, Lookups, NetError};
use crate::storage::{StorageRequest, TxnOp};
use crate::Outstanding;

const CMS: &str = "/api/v1/namespaces/default/configmaps";

/// A stand-in for a mutating admission webhook: for every ConfigMap write it asks an HTTPS
/// endpoint, and labels the object with what the endpoint answers.
struct LabelWebhook;

impl Plugin for LabelWebhook {
    fn name(&self) -> &'static str {
        "LabelWebhook"
    }

    fn admit(&self, phase: Phase, request: Request, _cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Mutating || request.resource != "configmaps" {
            return Flow::Ready(Ok(request));
        }
        let body = serde_json::to_vec(&json!({"user": request.user.name, "object": request.object}));
        Flow::Wait(
            webhook_call("https://webhook.test:8443/mutate", body.unwrap_or_default()),
            Box::new(move |completion, _| {
                let mut request = request;
                match completion {
                    Completion::Https(Ok(r)) if r.status == 200 => {
                        let label = String::from_utf8_lossy(&r.body).into_owned();
                        if let Some(o) = request.object.as_mut() {
                            crate::api::meta_mut(o)
                                .entry("labels")
                                .or_insert_with(|| json!({}))["admitted-by"] = json!(label);
                        }
                        Flow::Ready(Ok(request))
                    }
                    Completion::Https(Ok(r)) => Flow::Ready(Err(ApiError::internal(format!(
                        "the webhook answered {}",
                        r.status
                    )))),
                    other => Flow::Ready(Err(ApiError::internal(format!("the webhook failed: {other:?}")))),
                }
            }),
        )
    }
}

/// The HTTPS call a stand-in webhook makes.
fn webhook_call(url: &str, body: Vec<u8>) -> Effect {
    Effect::Https(Box::new(HttpsCall {
        url: url.into(),
        method: "POST".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
        tls: ClientTls::default(),
        timeout_ms: 10_000,
    }))
}

fn answer(label: &str) -> Result<HttpsResponse, NetError> {
    Ok(HttpsResponse {
        status: 200,
        headers: Vec::new(),
        body: label.as_bytes().to_vec(),
    })
}

fn harness() -> Harness {
    let mut h = Harness::new();
    h.server.hub.admission.push(Arc::new(LabelWebhook));
    h
}

#[test]
fn a_create_waits_for_its_admission_call_and_goes_on_with_the_answer() {
    let mut h = harness();
    let c = h.connect_admin(1);
    h.https_answer = None;
    let cm = r#"{"metadata":{"name":"a"},"data":{"k":"v"}}"#;
    let r = h.request(c, "POST", CMS, cm);
    assert_eq!(r, "", "nothing is answered while admission waits");
    assert_eq!(h.https.len(), 1);
    let sent: Value = serde_json::from_slice(&h.https[0].body).expect("JSON");
    assert_eq!(sent["object"]["metadata"]["name"], "a");
    assert_eq!(sent["user"], "admin");
    assert_eq!(
        h.server.outstanding(),
        Outstanding {
            requests: 1,
            effects: 1
        }
    );
    h.answer_https(answer("hook-1"));
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(body(&r)["metadata"]["labels"]["admitted-by"], "hook-1");
    assert_eq!(h.server.outstanding(), Outstanding::default());
    let stored = body(&h.request(c, "GET", &format!("{CMS}/a"), ""));
    assert_eq!(stored["metadata"]["labels"]["admitted-by"], "hook-1");
}

#[test]
fn an_update_whose_write_conflicts_is_admitted_again() {
    let mut h = harness();
    let c = h.connect_admin(1);
    h.https_answer = Some(answer("create"));
    let r = h.request(c, "POST", CMS, r#"{"metadata":{"name":"a"},"data":{"k":"v"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");

    // The patch reads the object and waits in admission...
    h.https_answer = None;
    let patch = r#"{"data":{"mine":"1"}}"#;
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{CMS}/a"),
        &[("Content-Type", "application/merge-patch+json")],
        patch,
    );
    assert_eq!(r, "");
    assert_eq!(h.https.len(), 2);
    // ...while another writer changes it underneath.
    let key = b"/registry/configmaps/default/a".to_vec();
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "default", "uid": "u-1", "labels": {"admitted-by": "create"}},
        "data": {"k": "v", "theirs": "2"}});
    let put = StorageRequest::Txn {
        compare: Vec::new(),
        success: vec![TxnOp::Put {
            key,
            value: serde_json::to_vec(&theirs).expect("JSON"),
            ttl_secs: None,
        }],
        failure: Vec::new(),
    };
    h.store.execute(&put).expect("the other write");

    // The first write conflicts: the patch is applied to the new state and admitted again.
    h.https_answer = Some(answer("retry"));
    h.answer_https(answer("first"));
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert_eq!(h.https.len(), 3, "admission was called again for the retry");
    let retried: Value = serde_json::from_slice(&h.https[2].body).expect("JSON");
    assert_eq!(
        retried["object"]["data"],
        json!({"k": "v", "theirs": "2", "mine": "1"})
    );
    let got = body(&r);
    assert_eq!(got["data"], json!({"k": "v", "theirs": "2", "mine": "1"}));
    assert_eq!(got["metadata"]["labels"]["admitted-by"], "retry");
    assert_eq!(h.server.outstanding(), Outstanding::default());
}

#[test]
fn a_call_that_never_comes_back_ends_the_request_at_its_deadline() {
    let mut h = harness();
    let c = h.connect_admin(1);
    h.https_answer = None;
    let r = h.request(c, "POST", CMS, r#"{"metadata":{"name":"late"}}"#);
    assert_eq!(r, "");
    h.advance(h.server.config().request_timeout_ms + 1);
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![504], "{r}");
    assert_eq!(body(&r)["reason"], "Timeout");
    // The call it waited on is still out; its answer, when it comes, changes nothing.
    assert_eq!(
        h.server.outstanding(),
        Outstanding {
            requests: 0,
            effects: 1
        }
    );
    h.answer_https(answer("too-late"));
    assert_eq!(h.server.outstanding(), Outstanding::default());
    assert_eq!(h.take(c), "");
    let r = h.request(c, "GET", &format!("{CMS}/late"), "");
    assert_eq!(statuses(&r), vec![404], "{r}");
}

#[test]
fn the_servers_own_writes_pass_admission_as_system_apiserver() {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let mut h = Harness::with(|c| c.root_ca_pem = Some(pem.into()));
    h.server.hub.admission.push(Arc::new(LabelWebhook));
    h.https_answer = Some(answer("loopback"));
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", "/api/v1/namespaces", r#"{"metadata":{"name":"team"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    h.advance(1_000);
    let seen: Vec<Value> = h
        .https
        .iter()
        .map(|c| serde_json::from_slice(&c.body).expect("JSON"))
        .collect();
    let own = seen
        .iter()
        .find(|s| s["object"]["metadata"]["namespace"] == "team")
        .expect("the kube-root-ca.crt write of the new namespace went through admission");
    assert_eq!(own["user"], "system:apiserver");
    assert_eq!(own["object"]["metadata"]["name"], "kube-root-ca.crt");
    let cm = body(&h.request(
        c,
        "GET",
        "/api/v1/namespaces/team/configmaps/kube-root-ca.crt",
        "",
    ));
    assert_eq!(cm["metadata"]["labels"]["admitted-by"], "loopback");
}

#[test]
fn namespace_lifecycle_reads_a_namespace_the_cache_does_not_have() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    // A namespace written straight to storage, which the cache has not seen yet.
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh", "uid": "u-2"},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    let put = StorageRequest::Txn {
        compare: Vec::new(),
        success: vec![TxnOp::Put {
            key: b"/registry/namespaces/fresh".to_vec(),
            value: serde_json::to_vec(&ns).expect("JSON"),
            ttl_secs: None,
        }],
        failure: Vec::new(),
    };
    h.store.execute(&put).expect("the namespace");
    let _ = h.store.take_events();
    let before = h.storage_ops;
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/fresh/configmaps",
        r#"{"metadata":{"name":"x"}}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert!(
        h.storage_ops >= before + 2,
        "the namespace was read, then the object written"
    );
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/nowhere/configmaps",
        r#"{"metadata":{"name":"x"}}"#,
    );
    assert_eq!(statuses(&r), vec![404], "{r}");
    assert_eq!(body(&r)["message"], "namespaces \"nowhere\" not found");
}

/// A stand-in for a token webhook: a `Bearer hooked` token is reviewed by an HTTPS call whose
/// answer is the user's name (401: refused); other tokens are not its business.
struct TokenHook;

impl crate::authn::Authenticator for TokenHook {
    fn name(&self) -> &'static str {
        "TokenHook"
    }

    fn authenticate(
        &self,
        request: &crate::http::Request,
        _cx: &Lookups<'_>,
    ) -> Flow<Result<Option<crate::authn::UserInfo>, ApiError>> {
        if request.header("authorization") != Some("Bearer hooked") {
            return Flow::Ready(Ok(None));
        }
        Flow::Wait(
            webhook_call("https://authn.test/review", b"hooked".to_vec()),
            Box::new(|completion, _| {
                Flow::Ready(match completion {
                    Completion::Https(Ok(r)) if r.status == 200 => Ok(Some(crate::authn::user_from_cert(
                        &String::from_utf8_lossy(&r.body),
                        &[],
                    ))),
                    _ => Err(ApiError::unauthorized()),
                })
            }),
        )
    }
}

/// A stand-in for a webhook authorizer: asks an HTTPS endpoint, which answers `allow`,
/// `deny:<reason>` or anything else (no opinion).
struct AskHook;

impl crate::authz::Authorizer for AskHook {
    fn name(&self) -> &'static str {
        "AskHook"
    }

    fn authorize(
        &self,
        user: &crate::authn::UserInfo,
        attrs: &crate::authz::OwnedAttributes,
        _: &crate::server::effect::Lookups<'_>,
    ) -> Flow<crate::authz::Verdict> {
        use crate::authz::Verdict;
        let body = format!("{} {} {}", user.name, attrs.verb, attrs.resource);
        Flow::Wait(
            webhook_call("https://authz.test/review", body.into_bytes()),
            Box::new(|completion, _| {
                Flow::Ready(match completion {
                    Completion::Https(Ok(r)) => {
                        let text = String::from_utf8_lossy(&r.body).into_owned();
                        match text.strip_prefix("deny:") {
                            Some(why) => Verdict::Deny(why.to_string()),
                            None if text == "allow" => Verdict::Allow(String::new()),
                            None => Verdict::NoOpinion(String::new()),
                        }
                    }
                    _ => Verdict::NoOpinion(String::new()),
                })
            }),
        )
    }
}

fn hooked() -> Harness {
    let mut h = Harness::new();
    h.server.hub.authenticators.push(Arc::new(TokenHook));
    h.server.hub.authorizers.push(Arc::new(AskHook));
    h
}

fn list_as_hooked(h: &mut Harness, c: crate::server::ConnId) -> String {
    h.request_with(c, "GET", CMS, &[("Authorization", "Bearer hooked")], "")
}

#[test]
fn a_request_waits_in_authentication_then_in_authorization() {
    let mut h = hooked();
    let c = h.connect(7);
    h.https_answer = None;
    assert_eq!(list_as_hooked(&mut h, c), "", "paused in authentication");
    assert_eq!(h.https.len(), 1);
    assert_eq!(h.https[0].url, "https://authn.test/review");
    assert_eq!(
        h.server.outstanding(),
        Outstanding {
            requests: 1,
            effects: 1
        }
    );
    h.answer_https(answer("jane"));
    assert_eq!(h.take(c), "", "paused in authorization");
    assert_eq!(h.https.len(), 2);
    assert_eq!(h.https[1].body, b"jane list configmaps");
    h.answer_https(answer("allow"));
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert_eq!(body(&r)["kind"], "ConfigMapList");
    assert_eq!(h.server.outstanding(), Outstanding::default());
}

#[test]
fn the_deciding_authorizer_words_the_denial() {
    let mut h = hooked();
    let c = h.connect(7);
    h.https_answer = None;
    let _ = list_as_hooked(&mut h, c);
    h.answer_https(answer("jane"));
    h.answer_https(answer("deny:not on weekends"));
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert_eq!(
        body(&r)["message"],
        "configmaps is forbidden: User \"jane\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\": not on weekends"
    );
    // No opinion from anyone: the built-in rules' denial stands.
    let _ = list_as_hooked(&mut h, c);
    h.answer_https(answer("jane"));
    h.answer_https(answer("maybe"));
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![403], "{r}");
}

#[test]
fn a_refused_token_is_401_even_when_anonymous_requests_are_allowed() {
    let mut h = hooked();
    let c = h.connect(7);
    h.https_answer = Some(Ok(HttpsResponse {
        status: 401,
        headers: Vec::new(),
        body: Vec::new(),
    }));
    let r = list_as_hooked(&mut h, c);
    assert_eq!(statuses(&r), vec![401], "{r}");
    // A token no authenticator reads is refused too; no token at all is anonymous.
    let r = h.request_with(c, "GET", CMS, &[("Authorization", "Bearer other")], "");
    assert_eq!(statuses(&r), vec![401], "{r}");
    h.https_answer = Some(answer("deny:anonymous"));
    let r = h.request(c, "GET", CMS, "");
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert!(
        body(&r)["message"]
            .as_str()
            .unwrap_or("")
            .contains("system:anonymous"),
        "{r}"
    );
}

#[test]
fn a_request_parked_in_a_filter_ends_at_its_deadline() {
    let mut h = hooked();
    let c = h.connect(7);
    h.https_answer = None;
    let _ = list_as_hooked(&mut h, c);
    h.advance(h.server.config().request_timeout_ms + 1);
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![504], "{r}");
    h.answer_https(answer("jane"));
    assert_eq!(h.server.outstanding(), Outstanding::default());
    assert_eq!(h.take(c), "");
}

/// A validating stand-in: refuses ConfigMaps labelled `forbidden`, and records what it saw.
struct Refuser(std::sync::Mutex<Vec<(crate::admission::Operation, Value)>>);

impl Plugin for Refuser {
    fn name(&self) -> &'static str {
        "Refuser"
    }

    fn admit(&self, phase: Phase, request: Request, _cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating || request.resource != "configmaps" {
            return Flow::Ready(Ok(request));
        }
        let object = request.object.clone().unwrap_or_default();
        if let Ok(mut seen) = self.0.lock() {
            seen.push((request.operation, object.clone()));
        }
        if object.pointer("/metadata/labels/forbidden").is_some() {
            return Flow::Ready(Err(ApiError::forbidden(
                "",
                "configmaps",
                &request.name,
                "admission webhook \"refuser.test\" denied the request: labelled forbidden",
            )));
        }
        Flow::Ready(Ok(request))
    }
}

#[test]
fn validating_admission_sees_the_prepared_object_and_may_refuse_it() {
    let mut h = Harness::new();
    let refuser = Arc::new(Refuser(std::sync::Mutex::new(Vec::new())));
    h.server.hub.admission.push(refuser.clone());
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", CMS, r#"{"metadata":{"name":"a"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = h.request(
        c,
        "POST",
        CMS,
        r#"{"metadata":{"name":"b","labels":{"forbidden":"yes"}}}"#,
    );
    assert_eq!(statuses(&r), vec![403], "{r}");
    let r = h.request(c, "GET", &format!("{CMS}/b"), "");
    assert_eq!(statuses(&r), vec![404], "a refused create stores nothing");
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{CMS}/a"),
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"metadata":{"labels":{"forbidden":"now"}}}"#,
    );
    assert_eq!(statuses(&r), vec![403], "{r}");
    let a = body(&h.request(c, "GET", &format!("{CMS}/a"), ""));
    assert!(
        a["metadata"]["labels"]["forbidden"].is_null(),
        "a refused update changes nothing"
    );
    let seen = refuser.0.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.len(), 3);
    // What validation saw was prepared: server fields are set.
    assert!(seen[0].1["metadata"]["uid"].is_string(), "{:?}", seen[0]);
    assert!(seen[0].1["metadata"]["creationTimestamp"].is_string());
    assert_eq!(seen[2].0, crate::admission::Operation::Update);
}

/// A stand-in for a webhook client that backs off: when the endpoint answers 503 it waits
/// on a timer, then asks once more.
struct RetryingWebhook;

impl Plugin for RetryingWebhook {
    fn name(&self) -> &'static str {
        "RetryingWebhook"
    }

    fn admit(&self, phase: Phase, request: Request, _cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Mutating || request.resource != "configmaps" {
            return Flow::Ready(Ok(request));
        }
        let ask = || webhook_call("https://webhook.test:8443/retry", Vec::new());
        Flow::Wait(
            ask(),
            Box::new(move |first, _| match first {
                Completion::Https(Ok(r)) if r.status == 503 => Flow::Wait(
                    Effect::Timer { after_ms: 250 },
                    Box::new(move |_, _| {
                        Flow::Wait(
                            ask(),
                            Box::new(move |second, _| match second {
                                Completion::Https(Ok(r)) if r.status == 200 => Flow::Ready(Ok(request)),
                                other => {
                                    Flow::Ready(Err(ApiError::internal(format!("still failing: {other:?}"))))
                                }
                            }),
                        )
                    }),
                ),
                Completion::Https(Ok(r)) if r.status == 200 => Flow::Ready(Ok(request)),
                other => Flow::Ready(Err(ApiError::internal(format!("failed: {other:?}")))),
            }),
        )
    }
}

#[test]
fn a_stage_waits_on_a_timer_like_on_any_other_effect() {
    let mut h = Harness::new();
    h.server.hub.admission.push(Arc::new(RetryingWebhook));
    let c = h.connect_admin(1);
    h.https_answer = None;
    let r = h.request(c, "POST", CMS, r#"{"metadata":{"name":"later"}}"#);
    assert_eq!(r, "");
    h.answer_https(Ok(HttpsResponse {
        status: 503,
        headers: Vec::new(),
        body: Vec::new(),
    }));
    assert_eq!(h.take(c), "", "the request waits out its backoff");
    assert_eq!(h.timers.len(), 1);
    assert_eq!(
        h.server.outstanding().effects,
        1,
        "the timer is an effect in flight"
    );
    h.advance(249);
    assert_eq!(h.https.len(), 1, "not asked again before the timer is due");
    h.advance(1);
    assert_eq!(h.https.len(), 2, "asked again once it is");
    h.answer_https(answer("ok"));
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(h.server.outstanding(), Outstanding::default());
}
