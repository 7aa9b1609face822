//! `CertificateSigning`: changing a CertificateSigningRequest's issued certificate or its
//! conditions through the `status` subresource needs `sign` on the request's signer.

use std::sync::Arc;

use serde_json::Value;

use super::{authorized_for_signer, is_csr, missing_object, signer_name};
use crate::admission::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(CertificateSigning))
}

/// kube-apiserver's `CertificateSigning` (validating).
#[derive(Debug)]
pub struct CertificateSigning;

impl Plugin for CertificateSigning {
    fn name(&self) -> &'static str {
        "CertificateSigning"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating || request.operation != Operation::Update || !is_csr(&request, "status")
        {
            return Flow::Ready(Ok(request));
        }
        let (Some(old), Some(new)) = (request.old_object.as_ref(), request.object.as_ref()) else {
            return Flow::Ready(Err(missing_object(&request)));
        };
        if !signs(old, new) {
            return Flow::Ready(Ok(request));
        }
        let signer = signer_name(old);
        authorized_for_signer(&request.user, "sign", &signer, cx).and_then(cx, move |allowed, _| {
            Flow::Ready(if allowed {
                Ok(request)
            } else {
                Err(request.forbidden(&format!(
                    "user not permitted to sign requests with signerName {}",
                    crate::validation::go_quote(&signer)
                )))
            })
        })
    }
}

/// Whether a status update changes the certificate or the conditions (an absent list and
/// an empty one are the same, as kube's semantic equality has it).
fn signs(old: &Value, new: &Value) -> bool {
    let certificate = |v: &Value| v.pointer("/status/certificate").cloned().unwrap_or(Value::Null);
    let conditions = |v: &Value| match v.pointer("/status/conditions") {
        Some(Value::Array(list)) if !list.is_empty() => Value::Array(list.clone()),
        _ => Value::Null,
    };
    certificate(old) != certificate(new) || conditions(old) != conditions(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{request, user, Fixture};
    use serde_json::json;

    fn csr(status: Value) -> Value {
        json!({"metadata": {"name": "c1"}, "spec": {"signerName": "example.com/a"}, "status": status})
    }

    fn update(f: &Fixture, who: &str, old: Value, new: Value) -> Result<Request, ApiError> {
        let r = request(
            Operation::Update,
            "certificates.k8s.io",
            "certificatesigningrequests",
            "status",
            "",
            "c1",
            user(who, &[]),
            Some(new),
            Some(old),
        );
        f.admit(&CertificateSigning, r)
    }

    #[test]
    fn issuing_a_certificate_needs_sign_on_the_signer() {
        let f = Fixture::new(vec![(
            "signer",
            "sign",
            "certificates.k8s.io",
            "signers",
            "",
            "example.com/*",
        )]);
        let before = csr(json!({}));
        let after = csr(json!({"certificate": "Y2VydA=="}));
        assert!(update(&f, "signer", before.clone(), after.clone()).is_ok());
        let e = update(&f, "someone", before, after).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "certificatesigningrequests.certificates.k8s.io \"c1\" is forbidden: user not permitted to sign requests with signerName \"example.com/a\""
        );
    }

    #[test]
    fn a_status_update_that_changes_neither_passes() {
        let f = Fixture::new(vec![]);
        let old = csr(json!({"conditions": []}));
        let new = csr(json!({}));
        assert!(update(&f, "someone", old, new).is_ok());
        let cond = json!({"conditions": [{"type": "Failed", "status": "True"}]});
        let e = update(&f, "someone", csr(json!({})), csr(cond)).unwrap_err();
        assert_eq!(e.code, 403);
    }
}
