//! `AlwaysAdmit` and `AlwaysDeny`: kube's two deprecated plugins that decide without
//! looking, kept because clusters still name them in their flags.

use std::sync::Arc;

use serde_json::Value;

use super::{Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// `AlwaysAdmit`: admits everything.
#[derive(Debug)]
pub struct AlwaysAdmit;

/// `AlwaysDeny`: refuses every write, in the mutating phase, as kube's does.
#[derive(Debug)]
pub struct AlwaysDeny;

/// Builds `AlwaysAdmit`.
pub fn admit(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(AlwaysAdmit))
}

/// Builds `AlwaysDeny`.
pub fn deny(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(AlwaysDeny))
}

impl Plugin for AlwaysAdmit {
    fn name(&self) -> &'static str {
        "AlwaysAdmit"
    }

    fn admit(&self, _: Phase, request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        Flow::Ready(Ok(request))
    }
}

impl Plugin for AlwaysDeny {
    fn name(&self) -> &'static str {
        "AlwaysDeny"
    }

    fn admit(&self, phase: Phase, request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase == Phase::Validating {
            return Flow::Ready(Ok(request));
        }
        Flow::Ready(Err(
            request.forbidden("admission control is denying all modifications")
        ))
    }
}
