//! Mutating webhooks, called one after the other in order, each seeing the object as the
//! ones before it left it. A JSON Patch answer is applied to the object (in the version the
//! webhook was sent); a patch that does not apply is kube's 500 whatever the failure
//! policy. When a webhook changed the object, the earlier webhooks with
//! `reinvocationPolicy: IfNeeded` are called once more, in order (kube's second round;
//! Gatehouse re-runs only the webhooks, not the in-tree plugins).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use super::call::{self, CallError};
use super::hooks::Hook;
use super::matching::{self, Invocation};
use super::review::Answer;
use super::Inner;
use crate::admission::Request;
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// Where a run of the webhooks stands.
#[derive(Clone, Debug, Default)]
struct State {
    /// The next webhook.
    next: usize,
    /// 0, then 1 when reinvoking.
    round: u8,
    /// Whether a webhook changed the object.
    changed: bool,
    /// `IfNeeded` webhooks called since the object last changed.
    previously_invoked: BTreeSet<(String, usize)>,
    /// Webhooks to call again in round 1.
    to_reinvoke: BTreeSet<(String, usize)>,
}

/// Runs `hooks` over `request`.
pub fn dispatch(
    inner: Arc<Inner>,
    hooks: Arc<Vec<Hook>>,
    request: Request,
    cx: &Lookups<'_>,
) -> Flow<Result<Request, ApiError>> {
    run(inner, hooks, State::default(), request, cx)
}

fn run(
    inner: Arc<Inner>,
    hooks: Arc<Vec<Hook>>,
    mut st: State,
    request: Request,
    cx: &Lookups<'_>,
) -> Flow<Result<Request, ApiError>> {
    while let Some(hook) = hooks.get(st.next) {
        st.next += 1;
        let invocation = match matching::should_call(hook, &request, cx, &inner.programs) {
            Ok(Some(i)) => i,
            Ok(None) => continue,
            Err(e) => return Flow::Ready(Err(e)),
        };
        // A webhook not called in the first round is never called in the second.
        if st.round == 1 && !st.to_reinvoke.contains(&hook.id()) {
            continue;
        }
        let convert = |o: &Option<Value>| {
            o.as_ref()
                .map(|o| matching::convert(&request, &invocation, o))
                .transpose()
        };
        let (object, old) = match (convert(&request.object), convert(&request.old_object)) {
            (Ok(o), Ok(old)) => (o, old),
            (Err(e), _) | (_, Err(e)) => return Flow::Ready(Err(e)),
        };
        let flow = call::call(
            &inner,
            hook,
            &request,
            &invocation,
            (object.as_ref(), old.as_ref()),
            true,
            cx,
        );
        let hook = hook.clone();
        return flow.and_then(cx, move |outcome, cx| {
            let mut request = request;
            let applied = outcome.and_then(|answer| apply(&hook, &mut request, &invocation, object, answer));
            let changed = match applied {
                Ok(changed) => changed,
                // Failing open: the request goes on as if the webhook had not been there.
                Err(CallError::Calling(_)) if hook.fail_open => false,
                Err(CallError::Skipped(warning)) => {
                    request.warnings.push(warning);
                    false
                }
                Err(CallError::Calling(why)) => return Flow::Ready(Err(call::fail_closed(&hook, &why))),
                Err(CallError::Refused(e)) => return Flow::Ready(Err(e)),
            };
            if changed {
                st.changed = true;
                let earlier = std::mem::take(&mut st.previously_invoked);
                st.to_reinvoke.extend(earlier);
            }
            if hook.reinvoke_if_needed {
                st.previously_invoked.insert(hook.id());
            }
            run(inner, hooks, st, request, cx)
        });
    }
    if st.round == 0 && st.changed && !st.to_reinvoke.is_empty() {
        st.round = 1;
        st.next = 0;
        return run(inner, hooks, st, request, cx);
    }
    Flow::Ready(Ok(request))
}

/// Takes `answer` into `request`: its warnings, its refusal, its patch (applied to
/// `object`, the object in the invocation's version). Whether the object changed.
fn apply(
    hook: &Hook,
    request: &mut Request,
    invocation: &Invocation,
    object: Option<Value>,
    answer: Answer,
) -> Result<bool, CallError> {
    request.warnings.extend(answer.warnings.iter().cloned());
    if !answer.allowed {
        return Err(CallError::Refused(call::denial(hook, answer.result.as_ref())));
    }
    if answer.patch.is_empty() {
        return Ok(false);
    }
    let internal = |why: String| CallError::Refused(ApiError::internal(why));
    let operations: Value = serde_json::from_slice(&answer.patch).map_err(|e| internal(e.to_string()))?;
    let Value::Array(ops) = &operations else {
        return Err(internal(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch".into(),
        ));
    };
    if ops.is_empty() {
        return Ok(false);
    }
    let Some(object) = object else {
        return Err(internal(format!(
            "admission webhook {} attempted to modify the object, which is not supported for this operation",
            crate::validation::go_quote(&hook.name)
        )));
    };
    if answer.patch_type != "JSONPatch" {
        return Err(CallError::Calling(format!(
            "unsupported patch type {}",
            crate::validation::go_quote(&answer.patch_type)
        )));
    }
    let patched = crate::patch::apply(crate::patch::PatchType::Json, "", "", &object, &answer.patch)
        .map_err(|e| match e {
            crate::patch::PatchError::Unprocessable { detail, .. } => internal(detail),
            other => internal(other.message()),
        })?;
    let changed = patched != object;
    let back = matching::convert_between(
        &invocation.kind,
        &invocation.api_version(),
        &Invocation::of(request).api_version(),
        &patched,
    )
    .map_err(CallError::Refused)?;
    request.object = Some(back);
    Ok(changed)
}
