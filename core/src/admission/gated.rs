//! Plugins on by default in kube-apiserver v1.32 whose feature gate is off there
//! (`MutatingAdmissionPolicy`, `ClusterTrustBundle`, both alpha): kube registers them and
//! they admit everything, and so do Gatehouse's. Gatehouse serves neither API.

use std::sync::Arc;

use serde_json::Value;

use super::{Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// A plugin whose feature is off: it admits every request.
#[derive(Debug)]
pub struct Gated(&'static str);

/// Builds `MutatingAdmissionPolicy` (gate `MutatingAdmissionPolicy`, off in v1.32).
pub fn mutating_admission_policy(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(Gated("MutatingAdmissionPolicy")))
}

/// Builds `ClusterTrustBundleAttest` (gate `ClusterTrustBundle`, off in v1.32).
pub fn cluster_trust_bundle_attest(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(Gated("ClusterTrustBundleAttest")))
}

impl Plugin for Gated {
    fn name(&self) -> &'static str {
        self.0
    }

    fn admit(&self, _: Phase, request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        Flow::Ready(Ok(request))
    }
}
