//! Validating webhooks: which ones a request calls is decided first (a refusal there ends
//! it at once, as in kube); then each is called, one after the other, and the first
//! refusal (in the configurations' order) is the answer. They see the object as the
//! mutating webhooks left it and cannot change it.

use std::sync::Arc;

use serde_json::Value;

use super::call::{self, CallError};
use super::hooks::Hook;
use super::matching::{self, Invocation};
use super::Inner;
use crate::admission::Request;
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// One webhook to call, with the objects in its version.
struct Planned {
    hook: Hook,
    invocation: Invocation,
    object: Option<Value>,
    old: Option<Value>,
}

/// Runs `hooks` over `request`.
pub fn dispatch(
    inner: Arc<Inner>,
    hooks: Vec<Hook>,
    request: Request,
    cx: &Lookups<'_>,
) -> Flow<Result<Request, ApiError>> {
    let mut planned = Vec::new();
    for hook in hooks {
        let invocation = match matching::should_call(&hook, &request, cx, &inner.programs) {
            Ok(Some(i)) => i,
            Ok(None) => continue,
            Err(e) => return Flow::Ready(Err(e)),
        };
        let convert = |o: &Option<Value>| {
            o.as_ref()
                .map(|o| matching::convert(&request, &invocation, o))
                .transpose()
        };
        let (object, old) = match (convert(&request.object), convert(&request.old_object)) {
            (Ok(o), Ok(old)) => (o, old),
            (Err(e), _) | (_, Err(e)) => return Flow::Ready(Err(e)),
        };
        planned.push(Planned {
            hook,
            invocation,
            object,
            old,
        });
    }
    run(inner, Arc::new(planned), 0, request, None, cx)
}

fn run(
    inner: Arc<Inner>,
    planned: Arc<Vec<Planned>>,
    next: usize,
    request: Request,
    first_error: Option<ApiError>,
    cx: &Lookups<'_>,
) -> Flow<Result<Request, ApiError>> {
    let Some(p) = planned.get(next) else {
        return Flow::Ready(match first_error {
            Some(e) => Err(e),
            None => Ok(request),
        });
    };
    let objects = (p.object.as_ref(), p.old.as_ref());
    let flow = call::call(&inner, &p.hook, &request, &p.invocation, objects, false, cx);
    flow.and_then(cx, move |outcome, cx| {
        let mut request = request;
        let Some(p) = planned.get(next) else {
            return Flow::Ready(Err(ApiError::internal("validating webhook lost")));
        };
        let error = match outcome {
            Ok(answer) => {
                request.warnings.extend(answer.warnings.iter().cloned());
                (!answer.allowed).then(|| call::denial(&p.hook, answer.result.as_ref()))
            }
            Err(CallError::Calling(_)) if p.hook.fail_open => None,
            Err(CallError::Skipped(warning)) => {
                request.warnings.push(warning);
                None
            }
            Err(CallError::Calling(why)) => Some(call::fail_closed(&p.hook, &why)),
            Err(CallError::Refused(e)) => Some(e),
        };
        let first_error = first_error.or(error);
        run(inner, planned, next + 1, request, first_error, cx)
    })
}
