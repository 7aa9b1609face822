//! The DenyServiceExternalIPs plugin: no Service may gain an external IP (a create with
//! any, or an update adding one); those it already has may stay or go.

use std::sync::Arc;

use serde_json::Value;

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(DenyServiceExternalIPs))
}

/// kube-apiserver's `DenyServiceExternalIPs` (validating).
#[derive(Debug)]
pub struct DenyServiceExternalIPs;

fn external_ips(svc: Option<&Value>) -> Vec<&str> {
    svc.and_then(|s| s.pointer("/spec/externalIPs"))
        .and_then(Value::as_array)
        .map(|ips| ips.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

impl Plugin for DenyServiceExternalIPs {
    fn name(&self) -> &'static str {
        "DenyServiceExternalIPs"
    }

    fn admit(&self, phase: Phase, request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating
            || !matches!(request.operation, Operation::Create | Operation::Update)
            || !request.is("", "services")
        {
            return Flow::Ready(Ok(request));
        }
        let new = external_ips(request.object.as_ref());
        let old = external_ips(request.old_object.as_ref());
        let subset =
            new.is_empty() || (request.old_object.is_some() && new.iter().all(|ip| old.contains(ip)));
        Flow::Ready(if subset {
            Ok(request)
        } else {
            Err(request.forbidden("use of external IPs is denied by admission control"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};
    use serde_json::json;

    fn svc(ips: Value) -> Value {
        json!({"metadata":{"name":"s","namespace":"default"},"spec":{"externalIPs":ips,"ports":[{"port":80}]}})
    }

    fn admit(op: Operation, new: Value, old: Option<Value>) -> Result<Request, ApiError> {
        World::with(&[]).admit(
            &DenyServiceExternalIPs,
            request(op, ("", "v1", "services"), new, old),
        )
    }

    #[test]
    fn new_external_ips_are_refused_and_old_ones_may_stay() {
        let e = admit(Operation::Create, svc(json!(["1.2.3.4"])), None).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "services \"s\" is forbidden: use of external IPs is denied by admission control"
        );
        assert!(admit(Operation::Create, svc(json!([])), None).is_ok());
        let old = svc(json!(["1.2.3.4", "5.6.7.8"]));
        assert!(admit(Operation::Update, svc(json!(["5.6.7.8"])), Some(old.clone())).is_ok());
        assert!(admit(Operation::Update, svc(json!(["9.9.9.9"])), Some(old)).is_err());
    }
}
