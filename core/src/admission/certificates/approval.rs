//! `CertificateApproval`: approving or denying a CertificateSigningRequest (its `approval`
//! subresource) needs `approve` on the request's signer, as the stored request names it.

use std::sync::Arc;

use serde_json::Value;

use super::{authorized_for_signer, is_csr, missing_object, signer_name};
use crate::admission::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(CertificateApproval))
}

/// kube-apiserver's `CertificateApproval` (validating).
#[derive(Debug)]
pub struct CertificateApproval;

impl Plugin for CertificateApproval {
    fn name(&self) -> &'static str {
        "CertificateApproval"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating
            || request.operation != Operation::Update
            || !is_csr(&request, "approval")
        {
            return Flow::Ready(Ok(request));
        }
        // The old object's signer: a request that also tries to change the signer is
        // judged by the one it has.
        let Some(old) = request.old_object.as_ref() else {
            return Flow::Ready(Err(missing_object(&request)));
        };
        let signer = signer_name(old);
        authorized_for_signer(&request.user, "approve", &signer, cx).and_then(cx, move |allowed, _| {
            Flow::Ready(if allowed {
                Ok(request)
            } else {
                Err(request.forbidden(&format!(
                    "user not permitted to approve requests with signerName {}",
                    crate::validation::go_quote(&signer)
                )))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{request, user, Fixture};
    use serde_json::json;

    fn csr(signer: &str) -> Value {
        json!({"metadata": {"name": "c1"}, "spec": {"signerName": signer}})
    }

    fn approve(f: &Fixture, who: &str, old_signer: &str, new_signer: &str) -> Result<Request, ApiError> {
        let r = request(
            Operation::Update,
            "certificates.k8s.io",
            "certificatesigningrequests",
            "approval",
            "",
            "c1",
            user(who, &[]),
            Some(csr(new_signer)),
            Some(csr(old_signer)),
        );
        f.admit(&CertificateApproval, r)
    }

    #[test]
    fn approving_needs_approve_on_the_signer_or_its_domain() {
        let f = Fixture::new(vec![
            (
                "exact",
                "approve",
                "certificates.k8s.io",
                "signers",
                "",
                "example.com/a",
            ),
            (
                "domain",
                "approve",
                "certificates.k8s.io",
                "signers",
                "",
                "example.com/*",
            ),
            ("signer", "sign", "certificates.k8s.io", "signers", "", "*"),
        ]);
        assert!(approve(&f, "exact", "example.com/a", "example.com/a").is_ok());
        assert!(approve(&f, "domain", "example.com/b", "example.com/b").is_ok());
        for who in ["exact", "signer", "nobody"] {
            let e = approve(&f, who, "example.com/b", "example.com/b").unwrap_err();
            assert_eq!(e.code, 403);
            assert_eq!(
                e.message,
                "certificatesigningrequests.certificates.k8s.io \"c1\" is forbidden: user not permitted to approve requests with signerName \"example.com/b\""
            );
        }
    }

    #[test]
    fn the_stored_signer_is_what_is_judged() {
        let f = Fixture::new(vec![(
            "u",
            "approve",
            "certificates.k8s.io",
            "signers",
            "",
            "example.com/mine",
        )]);
        let e = approve(&f, "u", "kubernetes.io/kube-apiserver-client", "example.com/mine").unwrap_err();
        assert!(
            e.message
                .ends_with("signerName \"kubernetes.io/kube-apiserver-client\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn masters_may_and_other_writes_pass() {
        let f = Fixture::new(vec![]);
        let r = request(
            Operation::Update,
            "certificates.k8s.io",
            "certificatesigningrequests",
            "approval",
            "",
            "c1",
            user("admin", &["system:masters"]),
            Some(csr("x.io/y")),
            Some(csr("x.io/y")),
        );
        assert!(f.admit(&CertificateApproval, r).is_ok());
        // The object itself, or its status, is not this plugin's business.
        for sub in ["", "status"] {
            let r = request(
                Operation::Update,
                "certificates.k8s.io",
                "certificatesigningrequests",
                sub,
                "",
                "c1",
                user("u", &[]),
                Some(csr("x.io/y")),
                Some(csr("x.io/y")),
            );
            assert!(f.admit(&CertificateApproval, r).is_ok());
        }
    }
}
