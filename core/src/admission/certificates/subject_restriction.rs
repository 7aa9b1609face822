//! `CertificateSubjectRestriction`: a CertificateSigningRequest for the
//! `kubernetes.io/kube-apiserver-client` signer may not ask for the `system:masters` group,
//! whoever approves it.

use std::sync::Arc;

use base64::Engine;
use serde_json::Value;
use x509_parser::prelude::FromDer;

use super::{is_csr, missing_object, signer_name};
use crate::admission::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// The signer whose certificates authenticate to kube-apiserver.
pub const KUBE_APISERVER_CLIENT: &str = "kubernetes.io/kube-apiserver-client";

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(CertificateSubjectRestriction))
}

/// kube-apiserver's `CertificateSubjectRestriction` (validating).
#[derive(Debug)]
pub struct CertificateSubjectRestriction;

impl Plugin for CertificateSubjectRestriction {
    fn name(&self) -> &'static str {
        "CertificateSubjectRestriction"
    }

    fn admit(&self, phase: Phase, request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating || request.operation != Operation::Create || !is_csr(&request, "") {
            return Flow::Ready(Ok(request));
        }
        Flow::Ready(check(&request).map(|()| request))
    }
}

fn check(request: &Request) -> Result<(), ApiError> {
    let Some(csr) = request.object.as_ref() else {
        return Err(missing_object(request));
    };
    if signer_name(csr) != KUBE_APISERVER_CLIENT {
        return Ok(());
    }
    let organizations =
        organizations(csr).map_err(|why| request.forbidden(&format!("failed to parse CSR: {why}")))?;
    if organizations.iter().any(|o| o == crate::authz::PRIVILEGED_GROUP) {
        return Err(request.forbidden(&format!(
            "use of {KUBE_APISERVER_CLIENT} signer with system:masters group is not allowed"
        )));
    }
    Ok(())
}

/// The subject's organizations (the groups a client certificate would carry) of the PEM
/// certificate request in `spec.request`.
fn organizations(csr: &Value) -> Result<Vec<String>, String> {
    let encoded = csr.pointer("/spec/request").and_then(Value::as_str).unwrap_or("");
    let pem = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| e.to_string())?;
    let block = x509_parser::pem::Pem::iter_from_buffer(&pem)
        .next()
        .and_then(Result::ok)
        .filter(|b| b.label == "CERTIFICATE REQUEST")
        .ok_or_else(|| "PEM block type must be CERTIFICATE REQUEST".to_string())?;
    let (_, request) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&block.contents)
            .map_err(|e| format!("asn1: {e}"))?;
    Ok(request
        .certification_request_info
        .subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok())
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{request, user, Fixture};
    use serde_json::json;

    fn pem_request(cn: &str, orgs: &[&str]) -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        for o in orgs {
            params
                .distinguished_name
                .push(rcgen::DnType::OrganizationName, *o);
        }
        let pem = params.serialize_request(&key).unwrap().pem().unwrap();
        base64::engine::general_purpose::STANDARD.encode(pem)
    }

    fn create(signer: &str, req: String) -> Result<Request, ApiError> {
        let obj = json!({"metadata": {"name": "c1"}, "spec": {"signerName": signer, "request": req}});
        let r = request(
            Operation::Create,
            "certificates.k8s.io",
            "certificatesigningrequests",
            "",
            "",
            "c1",
            user("admin", &["system:masters"]),
            Some(obj),
            None,
        );
        Fixture::new(vec![]).admit(&CertificateSubjectRestriction, r)
    }

    #[test]
    fn the_client_signer_may_not_be_asked_for_masters() {
        let e = create(
            KUBE_APISERVER_CLIENT,
            pem_request("eve", &["dev", "system:masters"]),
        )
        .unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "certificatesigningrequests.certificates.k8s.io \"c1\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"
        );
    }

    #[test]
    fn other_groups_and_other_signers_pass() {
        assert!(create(KUBE_APISERVER_CLIENT, pem_request("eve", &["dev"])).is_ok());
        assert!(create("example.com/x", pem_request("eve", &["system:masters"])).is_ok());
    }

    #[test]
    fn an_unreadable_request_is_refused() {
        let bad = base64::engine::general_purpose::STANDARD
            .encode("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n");
        let e = create(KUBE_APISERVER_CLIENT, bad).unwrap_err();
        assert_eq!(e.code, 403);
        assert!(
            e.message.contains("is forbidden: failed to parse CSR: "),
            "{}",
            e.message
        );
    }
}
