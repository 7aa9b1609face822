//! An admission webhook in the simulated cluster: a mutating and a validating webhook
//! configuration for ConfigMap creates and updates, served by Gatehouse's own webhook
//! plugins on every replica, whose HTTPS calls the harness answers with the seed's latency,
//! refusals, timeouts and wrong answers, failing open or closed as the run's failure policy
//! says. The harness records every call it receives, so the checkers can tell that each
//! committed update was admitted against the very object it replaced (kube runs mutating
//! admission inside the update's retry loop, once per attempt).

use gatehouse_core::admission::Phase;
use gatehouse_core::storage::{Compare, StorageRequest, TxnOp};
use gatehouse_core::{Completion, HttpsCall, HttpsResponse, NetError};
use serde_json::{json, Value};

use super::rng::SimRng;

/// The webhook's name, as kube's error messages quote it.
pub const NAME: &str = "sim.gatehouse.test";
const HOST: &str = "webhook.sim:8443";
/// The webhook's timeout (kube's `timeoutSeconds`), shorter than the request's.
const TIMEOUT_MS: u64 = 1_000;

/// How the run's webhook behaves, drawn from the seed.
#[derive(Clone, Debug)]
pub struct Weather {
    /// A failed call refuses the write (`failurePolicy: Fail`) rather than admitting it.
    pub fail_closed: bool,
    /// Answer latency, in ms.
    pub latency_ms: (u64, u64),
    /// Chance a call is refused (nothing listens).
    pub refuse: f64,
    /// Chance a call gets no answer before the webhook's timeout.
    pub timeout: f64,
    /// Chance the answer is wrong: a 500, a body that is not an AdmissionReview, or one
    /// about another request.
    pub wrong: f64,
}

impl Weather {
    /// The webhook of a run, or none (`force` decides, else the seed); drawn from its own
    /// generator so that a run without one makes the same choices as before webhooks
    /// existed.
    pub fn draw(seed: u64, force: Option<bool>) -> Option<Weather> {
        let mut rng = SimRng::new(seed ^ 0x5745_4248_4f4f_4b21);
        let on = rng.chance(0.5);
        if !force.unwrap_or(on) {
            return None;
        }
        let flaky = rng.chance(0.5);
        Some(Weather {
            fail_closed: rng.chance(0.5),
            latency_ms: (1, rng.between(5, 400)),
            refuse: if flaky { 0.05 } else { 0.0 },
            timeout: if flaky { 0.03 } else { 0.0 },
            wrong: if flaky { 0.05 } else { 0.0 },
        })
    }
}

/// The run's webhook as configurations in storage, written before the replicas start: a
/// MutatingWebhookConfiguration and a ValidatingWebhookConfiguration for ConfigMap creates
/// and updates, which every replica's MutatingAdmissionWebhook and ValidatingAdmissionWebhook
/// plugins read from their watch caches.
pub fn configurations(weather: &Weather) -> Vec<StorageRequest> {
    let policy = if weather.fail_closed { "Fail" } else { "Ignore" };
    let hook = |path: &str| {
        let mut h = json!({
            "name": NAME,
            "clientConfig": {"url": format!("https://{HOST}/{path}")},
            "rules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["configmaps"]}],
            "failurePolicy": policy,
            "matchPolicy": "Equivalent",
            "namespaceSelector": {},
            "objectSelector": {},
            "sideEffects": "None",
            "timeoutSeconds": TIMEOUT_MS / 1000,
            "admissionReviewVersions": ["v1"],
        });
        if path == "mutate" {
            h["reinvocationPolicy"] = json!("Never");
        }
        h
    };
    [
        (
            "mutatingwebhookconfigurations",
            "MutatingWebhookConfiguration",
            "mutate",
        ),
        (
            "validatingwebhookconfigurations",
            "ValidatingWebhookConfiguration",
            "validate",
        ),
    ]
    .into_iter()
    .filter_map(|(resource, kind, path)| {
        let def = gatehouse_core::registry::find("admissionregistration.k8s.io", "v1", resource)?;
        let object = json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": kind,
            "metadata": {"name": "sim", "uid": format!("{path}-config-uid"), "generation": 1,
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "webhooks": [hook(path)],
        });
        let key = gatehouse_core::registry::object_key(super::client::PREFIX, def, "", "sim");
        Some(StorageRequest::Txn {
            compare: vec![Compare::CreateRevision(key.clone(), 0)],
            success: vec![TxnOp::Put {
                key,
                value: serde_json::to_vec(&object).unwrap_or_default(),
                ttl_secs: None,
            }],
            failure: Vec::new(),
        })
    })
    .collect()
}

/// One call the webhook received.
#[derive(Clone, Debug)]
pub struct Call {
    /// Which phase called.
    pub phase: Phase,
    /// The storage key of the object.
    pub key: Vec<u8>,
    /// The resourceVersion of the object the write would replace (none for a create).
    pub old_rv: Option<i64>,
}

/// What the harness does with a call: when its completion arrives, what it is, and the call
/// as the checkers record it (none when the body was not a review of a ConfigMap).
pub fn answer(call: &HttpsCall, weather: &Weather, rng: &mut SimRng) -> (u64, Completion, Option<Call>) {
    let review: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
    let req = &review["request"];
    let path = call.url.split('?').next().unwrap_or("");
    let phase = if path.ends_with("/validate") {
        Phase::Validating
    } else {
        Phase::Mutating
    };
    let seen = req["name"].as_str().map(|name| Call {
        phase,
        key: format!(
            "{}/configmaps/{}/{name}",
            super::client::PREFIX,
            req["namespace"].as_str().unwrap_or("")
        )
        .into_bytes(),
        old_rv: req
            .pointer("/oldObject/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|rv| rv.parse().ok()),
    });
    let latency = rng.between(weather.latency_ms.0, weather.latency_ms.1);
    if rng.chance(weather.refuse) {
        let err = NetError::Refused { addr: HOST.into() };
        return (rng.between(0, 3), Completion::Https(Err(err)), seen);
    }
    if rng.chance(weather.timeout) {
        let err = NetError::TimedOut { addr: HOST.into() };
        return (call.timeout_ms, Completion::Https(Err(err)), seen);
    }
    let uid = req["uid"].as_str().unwrap_or("");
    let (status, body) = if rng.chance(weather.wrong) {
        match rng.below(3) {
            0 => (500, b"internal error".to_vec()),
            1 => (200, b"<html>not a review</html>".to_vec()),
            _ => (200, reply(&format!("{uid}-other"))),
        }
    } else {
        (200, reply(uid))
    };
    let answer = HttpsResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
    };
    (latency, Completion::Https(Ok(answer)), seen)
}

fn reply(uid: &str) -> Vec<u8> {
    let review = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": uid, "allowed": true}
    });
    serde_json::to_vec(&review).unwrap_or_default()
}
