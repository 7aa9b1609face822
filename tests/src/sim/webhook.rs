//! An admission webhook in the simulated cluster: a plugin every replica runs for ConfigMap
//! creates and updates, in both phases, that calls an HTTPS endpoint the harness answers
//! with the seed's latency, refusals, timeouts and wrong answers.
//!
//! The plugin is what the core's admission seam will carry for real webhooks: it waits on
//! an [`Effect::Https`] and decides from its completion, failing open or closed as the
//! run's failure policy says. The harness records every call it receives, so the checkers
//! can tell that each committed update was admitted against the very object it replaced
//! (kube runs mutating admission inside the update's retry loop, once per attempt).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gatehouse_core::admission::{Operation, Phase, Plugin, Request};
use gatehouse_core::api::ApiError;
use gatehouse_core::server::{Flow, Lookups};
use gatehouse_core::{ClientTls, Completion, Effect, HttpsCall, HttpsResponse, NetError};
use serde_json::{json, Value};

use super::rng::SimRng;

/// The webhook's name, as kube's error messages quote it.
pub const NAME: &str = "sim.gatehouse.test";
const HOST: &str = "webhook.sim:8443";
/// The webhook's timeout (kube's `timeoutSeconds`), shorter than the request's.
const TIMEOUT_MS: u64 = 1_500;

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

/// The plugin each replica runs.
pub struct Webhook {
    fail_closed: bool,
    /// Numbers the reviews: each call's uid is its own.
    calls: AtomicU64,
}

impl Webhook {
    /// The plugin for `weather`.
    pub fn new(weather: &Weather) -> Arc<Webhook> {
        Arc::new(Webhook {
            fail_closed: weather.fail_closed,
            calls: AtomicU64::new(0),
        })
    }
}

impl Plugin for Webhook {
    fn name(&self) -> &'static str {
        "SimWebhook"
    }

    fn admit(&self, phase: Phase, request: Request, _cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if request.resource != "configmaps" || request.operation == Operation::Delete {
            return Flow::Ready(Ok(request));
        }
        let path = match phase {
            Phase::Mutating => "mutate",
            Phase::Validating => "validate",
        };
        let uid = format!("review-{}", self.calls.fetch_add(1, Ordering::Relaxed) + 1);
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": uid,
                "operation": format!("{:?}", request.operation).to_uppercase(),
                "namespace": request.namespace,
                "name": request.name,
                "resource": {"group": request.group, "version": request.version, "resource": request.resource},
                "userInfo": {"username": request.user.name},
                "dryRun": request.dry_run,
                "object": request.object,
                "oldObject": request.old_object,
            }
        });
        let call = HttpsCall {
            url: format!("https://{HOST}/{path}"),
            method: "POST".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(&review).unwrap_or_default(),
            tls: ClientTls::default(),
            timeout_ms: TIMEOUT_MS,
        };
        let fail_closed = self.fail_closed;
        Flow::Wait(
            Effect::Https(Box::new(call)),
            Box::new(move |completion, _| {
                let outcome = match completion {
                    Completion::Https(Ok(answer)) => allowed(&answer, &uid),
                    Completion::Https(Err(e)) => Err(format!("failed to call webhook: {}", describe(&e))),
                    other => Err(format!("unexpected completion {other:?}")),
                };
                Flow::Ready(match outcome {
                    Ok(()) => Ok(request),
                    // failurePolicy: Ignore admits what the webhook could not judge.
                    Err(_) if !fail_closed => Ok(request),
                    Err(why) => Err(ApiError::internal(format!(
                        "failed calling webhook \"{NAME}\": {why}"
                    ))),
                })
            }),
        )
    }
}

/// Whether an answer is an AdmissionReview allowing the request `uid`.
fn allowed(answer: &HttpsResponse, uid: &str) -> Result<(), String> {
    if answer.status != 200 {
        return Err(format!(
            "received invalid webhook response: status {}",
            answer.status
        ));
    }
    let review: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("received invalid webhook response: {e}"))?;
    let response = &review["response"];
    if response["uid"].as_str() != Some(uid) {
        return Err(format!(
            "expected response.uid=\"{uid}\", got \"{}\"",
            response["uid"].as_str().unwrap_or("")
        ));
    }
    match response["allowed"].as_bool() {
        Some(true) => Ok(()),
        _ => Err("received invalid webhook response: not allowed".into()),
    }
}

fn describe(e: &NetError) -> String {
    match e {
        NetError::Refused { addr } => {
            format!("Post \"https://{addr}\": dial tcp {addr}: connect: connection refused")
        }
        NetError::TimedOut { addr } => {
            format!("Post \"https://{addr}\": context deadline exceeded")
        }
        other => format!("{other:?}"),
    }
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
    let phase = if call.url.ends_with("/validate") {
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
