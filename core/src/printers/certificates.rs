//! Printer for certificates.k8s.io/v1 CertificateSigningRequest.

use serde_json::Value;

use super::duration::human_duration;
use super::fields::{items, name, opt_int_at, str_at};
use super::{age, col, Column, AGE, NAME};

/// Columns of `kubectl get certificatesigningrequests`: AGE comes second.
pub(super) const CSR_COLUMNS: &[Column] = &[
    NAME,
    AGE,
    col("SignerName", "string", "The signer the request is addressed to."),
    col("Requestor", "string", "The user who created the request."),
    col(
        "RequestedDuration",
        "string",
        "The validity duration asked for the certificate.",
    ),
    col(
        "Condition",
        "string",
        "Approval state of the request, and whether it failed or was issued.",
    ),
];

/// NAME, AGE, SIGNERNAME, REQUESTOR, REQUESTEDDURATION, CONDITION.
pub(super) fn csr_cells(csr: &Value, now: i64) -> Vec<Value> {
    let signer = match str_at(csr, &["spec", "signerName"]) {
        "" => "<none>",
        s => s,
    };
    let duration =
        opt_int_at(csr, &["spec", "expirationSeconds"]).map_or_else(|| "<none>".to_owned(), human_duration);
    vec![
        name(csr),
        age(csr, now),
        Value::from(signer),
        Value::from(str_at(csr, &["spec", "username"])),
        Value::from(duration),
        Value::from(condition(csr)),
    ]
}

/// "Denied" over "Approved" over "Pending", then ",Failed" and ",Issued".
fn condition(csr: &Value) -> String {
    let conditions = items(csr, &["status", "conditions"]);
    let has = |t: &str| conditions.iter().any(|c| str_at(c, &["type"]) == t);
    let mut status = if has("Denied") {
        "Denied".to_owned()
    } else if has("Approved") {
        "Approved".to_owned()
    } else {
        "Pending".to_owned()
    };
    if has("Failed") {
        status.push_str(",Failed");
    }
    if !str_at(csr, &["status", "certificate"]).is_empty() {
        status.push_str(",Issued");
    }
    status
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const G: &str = "certificates.k8s.io";

    #[test]
    fn certificate_signing_request() {
        let csr = json!({
            "metadata": {"name": "csr-abc", "creationTimestamp": "2024-05-01T09:59:00Z"},
            "spec": {"signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                     "username": "system:node:n1", "expirationSeconds": 86400, "request": "LS0t"},
            "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0t"}
        });
        assert_eq!(
            row_cells(G, "CertificateSigningRequest", &csr, 1_714_557_600),
            vec![
                json!("csr-abc"),
                json!("60s"),
                json!("kubernetes.io/kube-apiserver-client-kubelet"),
                json!("system:node:n1"),
                json!("24h"),
                json!("Approved,Issued")
            ]
        );
        let denied = json!({"status": {"conditions": [{"type": "Approved"}, {"type": "Failed"},
                                                      {"type": "Denied"}]}});
        assert_eq!(
            row_cells(G, "CertificateSigningRequest", &denied, 0)[2..],
            [
                json!("<none>"),
                json!(""),
                json!("<none>"),
                json!("Denied,Failed")
            ]
        );
        assert_eq!(
            row_cells(G, "CertificateSigningRequest", &json!({}), 0)[5],
            json!("Pending")
        );
    }
}
