//! The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins: every write is sent
//! to the webhooks of the MutatingWebhookConfiguration and ValidatingWebhookConfiguration
//! objects whose rules, selectors and match conditions select it, as an AdmissionReview;
//! mutating webhooks may patch the object, both may refuse it.
//!
//! Modules: [`hooks`] reads the configurations from the watch cache, [`matching`] decides
//! which webhooks a request calls, [`conditions`] evaluates `matchConditions`, [`review`]
//! builds the AdmissionReview and verifies the answer, [`client`] finds where a webhook is
//! and with which credentials, [`call`] makes one call, [`mutating`] and [`validating`]
//! run the webhooks of each kind.
//!
//! Validating webhooks are called one after the other (kube calls them at once): the
//! request waits on one effect at a time. All are called, and the first refusal in the
//! configurations' order is the answer.

pub mod call;
pub mod client;
pub mod conditions;
pub mod hooks;
pub mod matching;
pub mod mutating;
pub mod review;
pub mod validating;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;

use super::{Phase, Plugin, Request};
use crate::api::ApiError;
use crate::rng::Rng;
use crate::server::effect::{Flow, Lookups};

use hooks::Kind;

/// What both plugins share with the calls they make.
pub struct Inner {
    /// The API server's credentials toward webhooks.
    pub credentials: client::Credentials,
    /// Compiled match conditions.
    pub programs: conditions::Programs,
    /// Calls made so far (seeds each call's uid with the time).
    calls: AtomicU64,
}

impl Inner {
    fn new(credentials: client::Credentials) -> Self {
        Inner {
            credentials,
            programs: Default::default(),
            calls: AtomicU64::new(0),
        }
    }

    /// A generator for one call: its uid, the endpoint it picks.
    pub fn rng(&self, cx: &Lookups<'_>) -> Rng {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let seed =
            (cx.now.wall_ms as u64).rotate_left(17) ^ cx.now.mono_ms ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng::new(seed)
    }
}

/// One of the two plugins.
pub struct Webhooks {
    kind: Kind,
    inner: Arc<Inner>,
}

fn build(kind: Kind, config: &Value) -> Result<Arc<dyn Plugin>, String> {
    let credentials = client::Credentials::from_config(config)?;
    Ok(Arc::new(Webhooks {
        kind,
        inner: Arc::new(Inner::new(credentials)),
    }))
}

/// Builds MutatingAdmissionWebhook from its WebhookAdmissionConfiguration (or none).
pub fn build_mutating(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    build(Kind::Mutating, config)
}

/// Builds ValidatingAdmissionWebhook from its WebhookAdmissionConfiguration (or none).
pub fn build_validating(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    build(Kind::Validating, config)
}

impl Plugin for Webhooks {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Mutating => "MutatingAdmissionWebhook",
            Kind::Validating => "ValidatingAdmissionWebhook",
        }
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let acts = match self.kind {
            Kind::Mutating => phase == Phase::Mutating,
            Kind::Validating => phase == Phase::Validating,
        };
        if !acts || hooks::is_exempt(&request.group, &request.kind) {
            return Flow::Ready(Ok(request));
        }
        let (inner, kind) = (self.inner.clone(), self.kind);
        hooks::load(cx, kind).and_then(cx, move |hooks, cx| match hooks {
            Err(e) => Flow::Ready(Err(e)),
            Ok(hooks) if hooks.is_empty() => Flow::Ready(Ok(request)),
            Ok(hooks) => match kind {
                Kind::Mutating => mutating::dispatch(inner, Arc::new(hooks), request, cx),
                Kind::Validating => validating::dispatch(inner, hooks, request, cx),
            },
        })
    }
}
