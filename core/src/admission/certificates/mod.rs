//! The admission plugins of CertificateSigningRequests: who may approve a request for a
//! signer (`CertificateApproval`), who may sign one (`CertificateSigning`), and what a
//! request to the kube-apiserver client signer may ask for (`CertificateSubjectRestriction`).

pub mod approval;
pub mod signing;
pub mod subject_restriction;

use serde_json::Value;

use super::Request;
use crate::authn::UserInfo;
use crate::authz::{self, OwnedAttributes, Verdict};
use crate::server::effect::{Flow, Lookups};

/// The API group of CertificateSigningRequests and of the synthetic `signers` resource.
pub const GROUP: &str = "certificates.k8s.io";

/// Whether `request` is for CertificateSigningRequests with `subresource` ("" for the
/// object itself).
fn is_csr(request: &Request, subresource: &str) -> bool {
    request.group == GROUP
        && request.resource == "certificatesigningrequests"
        && request.subresource == subresource
}

/// The `spec.signerName` of a CertificateSigningRequest.
fn signer_name(csr: &Value) -> String {
    csr.pointer("/spec/signerName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Whether `user` may `verb` the signer `signer`: on that name, or on every signer of its
/// domain (`<domain>/*`), as kube asks the authorizer. A failed decision is no permission.
pub fn authorized_for_signer(user: &UserInfo, verb: &str, signer: &str, cx: &Lookups<'_>) -> Flow<bool> {
    let ask = |name: String| OwnedAttributes {
        verb: verb.to_string(),
        resource_request: true,
        group: GROUP.to_string(),
        resource: "signers".to_string(),
        name,
        api_version: "*".to_string(),
        ..OwnedAttributes::default()
    };
    let exact = ask(signer.to_string());
    let domain = signer.split('/').next().unwrap_or("");
    let wildcard = ask(format!("{domain}/*"));
    let user_again = user.clone();
    authz::decide(user, &exact.borrowed(), cx).and_then(cx, move |verdict, cx| {
        if matches!(verdict, Verdict::Allow(_)) {
            return Flow::Ready(true);
        }
        authz::decide(&user_again, &wildcard.borrowed(), cx)
            .and_then(cx, |verdict, _| Flow::Ready(matches!(verdict, Verdict::Allow(_))))
    })
}

/// kube's refusal when an attribute is not the object it should be (`%T` of a nil is
/// `<nil>`).
fn missing_object(request: &Request) -> crate::api::ApiError {
    request.forbidden("expected type CertificateSigningRequest, got: <nil>")
}
