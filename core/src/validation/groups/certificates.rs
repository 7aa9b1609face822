//! certificates.k8s.io/v1 CertificateSigningRequest.
//!
//! The request must hold a PEM block of type `CERTIFICATE REQUEST`; its
//! PKCS#10 content and signature are not parsed here.

use super::super::field_error::FieldError;
use super::super::names::{dns1123_label_errors, dns1123_subdomain_errors};
use super::super::value::{arr_of, default_field, each_mut, ensure_obj, get, opt_str, str_of, Path};
use super::common::{child, go_bytes};
use base64::Engine;
use serde_json::{json, Value};

const LEGACY_SIGNER: &str = "kubernetes.io/legacy-unknown";

const USAGES: [&str; 23] = [
    "any",
    "cert sign",
    "client auth",
    "code signing",
    "content commitment",
    "crl sign",
    "data encipherment",
    "decipher only",
    "digital signature",
    "email protection",
    "encipher only",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "key agreement",
    "key encipherment",
    "microsoft sgc",
    "netscape sgc",
    "ocsp signing",
    "s/mime",
    "server auth",
    "signing",
    "timestamping",
];

/// The type of the first PEM block in `data`, the way Go's `pem.Decode`
/// finds it (a BEGIN line with a matching END line).
fn first_pem_type(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let mut rest: &str = &text;
    while let Some(i) = rest.find("-----BEGIN ") {
        let after = rest.get(i + 11..)?;
        let end = after.find("-----")?;
        let ty = after.get(..end)?;
        let body = after.get(end + 5..)?;
        if !ty.contains('\n') && body.contains(&format!("-----END {ty}-----")) {
            return Some(ty.to_string());
        }
        rest = after;
    }
    None
}

/// `ValidateSignerName`: `example.com/signer-name`.
fn validate_signer_name(p: &Path, name: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if name.is_empty() {
        errs.push(FieldError::required(p.as_str(), ""));
        return errs;
    }
    let segs: Vec<&str> = name.split('/').collect();
    let [domain, path] = segs.as_slice() else {
        errs.push(FieldError::invalid(
            p.as_str(),
            name,
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        ));
        return errs;
    };
    if domain.len() > 253 {
        errs.push(FieldError::too_long(p.as_str(), 253));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for l in &labels {
        let e = dns1123_label_errors(l);
        if !e.is_empty() {
            for m in e {
                errs.push(FieldError::invalid(
                    p.as_str(),
                    *domain,
                    &format!("validating label \"{l}\": {m}"),
                ));
            }
            break;
        }
    }
    if labels.len() < 2 {
        errs.push(FieldError::invalid(
            p.as_str(),
            *domain,
            "should be a domain with at least two segments separated by dots",
        ));
    }
    for l in path.split('.') {
        let e = dns1123_subdomain_errors(l);
        if !e.is_empty() {
            for m in e {
                errs.push(FieldError::invalid(
                    p.as_str(),
                    *path,
                    &format!("validating label \"{l}\": {m}"),
                ));
            }
            break;
        }
    }
    let max = 253 + (253 + 63 + 1) + 1;
    if name.len() > max {
        errs.push(FieldError::too_long(p.as_str(), max));
    }
    errs
}

/// CSR rules; on update, problems already present in `old` stay tolerated.
pub(super) fn validate_csr(obj: &Value, old: Option<&Value>, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    let raw = get(spec, "request").filter(|v| !v.is_null());
    let bytes = raw.map(|v| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .unwrap_or_default()
    });
    if first_pem_type(bytes.as_deref().unwrap_or(&[])).as_deref() != Some("CERTIFICATE REQUEST") {
        errs.push(FieldError::invalid_rendered(
            sp.child("request").as_str(),
            go_bytes(bytes.as_deref()),
            "PEM block type must be CERTIFICATE REQUEST",
        ));
    }
    let usages = arr_of(spec, "usages");
    let up = sp.child("usages");
    if usages.is_empty() {
        errs.push(FieldError::required(up.as_str(), ""));
    }
    let old_spec = old.map(|o| child(o, "spec"));
    let old_usages = old_spec.map_or(&[][..], |s| arr_of(s, "usages"));
    let tolerate_unknown = old_usages
        .iter()
        .any(|u| !USAGES.contains(&u.as_str().unwrap_or("")));
    if !tolerate_unknown {
        for (i, u) in usages.iter().enumerate() {
            let u = u.as_str().unwrap_or("");
            if !USAGES.contains(&u) {
                errs.push(FieldError::not_supported(up.index(i).as_str(), u, &USAGES));
            }
        }
    }
    let has_dup = |list: &[Value]| {
        list.iter()
            .enumerate()
            .any(|(i, u)| list.get(..i).is_some_and(|h| h.contains(u)))
    };
    if !has_dup(old_usages) {
        for (i, u) in usages.iter().enumerate() {
            if usages.get(..i).is_some_and(|h| h.contains(u)) {
                errs.push(FieldError::duplicate(
                    up.index(i).as_str(),
                    u.as_str().unwrap_or(""),
                ));
            }
        }
    }
    let signer = str_of(spec, "signerName");
    let allow_legacy = old_spec.is_some_and(|s| str_of(s, "signerName") == LEGACY_SIGNER);
    if !allow_legacy && signer == LEGACY_SIGNER {
        errs.push(FieldError::invalid(
            sp.child("signerName").as_str(),
            signer,
            "the legacy signerName is not allowed via this API version",
        ));
    } else {
        errs.extend(validate_signer_name(&sp.child("signerName"), signer));
    }
    if let Some(secs) = get(spec, "expirationSeconds").and_then(Value::as_i64) {
        if secs < 600 {
            errs.push(FieldError::invalid(
                sp.child("expirationSeconds").as_str(),
                secs,
                "may not specify a duration less than 600 seconds (10 minutes)",
            ));
        }
    }
    errs.extend(validate_conditions(obj));
    errs
}

fn validate_conditions(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let cp = Path::new("status").child("conditions");
    let (mut approved, mut denied) = (false, false);
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in arr_of(child(obj, "status"), "conditions").iter().enumerate() {
        let p = cp.index(i);
        let ty = str_of(c, "type");
        if ty.is_empty() {
            errs.push(FieldError::required(p.child("type").as_str(), ""));
        }
        let allowed: &[&str] = if matches!(ty, "Approved" | "Denied" | "Failed") {
            &["True"]
        } else {
            &["False", "True", "Unknown"]
        };
        match opt_str(c, "status").unwrap_or("") {
            "" => errs.push(FieldError::required(p.child("status").as_str(), "")),
            s if !allowed.contains(&s) => {
                errs.push(FieldError::not_supported(p.child("status").as_str(), s, allowed));
            }
            _ => {}
        }
        let exclusive = match ty {
            "Approved" => {
                approved = true;
                denied
            }
            "Denied" => {
                denied = true;
                approved
            }
            _ => false,
        };
        if exclusive {
            errs.push(FieldError::invalid(
                p.child("type").as_str(),
                ty,
                "Approved and Denied conditions are mutually exclusive",
            ));
        }
        if seen.contains(&ty) {
            errs.push(FieldError::duplicate(p.child("type").as_str(), ty));
        }
        seen.push(ty);
    }
    errs
}

/// CSR defaults: conditions are True unless told.
pub(super) fn default_csr(obj: &mut Value) {
    if get(obj, "status").is_none() {
        return;
    }
    if let Some(status) = ensure_obj(obj, "status") {
        for c in each_mut(status, "conditions") {
            default_field(c, "status", json!("True"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create};
    use base64::Engine;
    use serde_json::{json, Value};

    const G: &str = "certificates.k8s.io";

    fn csr(request: &str, spec: Value) -> Value {
        let mut s = spec;
        s["request"] = json!(base64::engine::general_purpose::STANDARD.encode(request));
        json!({"metadata": {"name": "node-csr-abc"}, "spec": s})
    }

    fn msgs(obj: &Value) -> Vec<String> {
        validate_create(G, "CertificateSigningRequest", obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    const PEM: &str = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";

    #[test]
    fn valid_csr() {
        let ok = csr(
            PEM,
            json!({"signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"], "expirationSeconds": 3600}),
        );
        assert!(msgs(&ok).is_empty(), "{:?}", msgs(&ok));
        let mut with_status = ok.clone();
        with_status["status"] = json!({"conditions": [{"type": "Approved"}]});
        default_object(G, "CertificateSigningRequest", &mut with_status);
        assert_eq!(with_status["status"]["conditions"][0]["status"], "True");
    }

    #[test]
    fn refused_csr() {
        let bad = csr(
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
            json!({"signerName": "example", "usages": ["client auth", "client auth", "magic"], "expirationSeconds": 60}),
        );
        let m = msgs(&bad);
        assert!(m[0].starts_with("spec.request: Invalid value: []byte{0x2d, 0x2d"));
        assert!(m[0].ends_with("}: PEM block type must be CERTIFICATE REQUEST"));
        assert!(m[1].starts_with(
            "spec.usages[2]: Unsupported value: \"magic\": supported values: \"any\", \"cert sign\""
        ));
        assert_eq!(
            &m[2..],
            &[
                "spec.usages[1]: Duplicate value: \"client auth\"",
                "spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name'",
                "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)",
            ]
        );
        let empty =
            json!({"metadata": {"name": "x"}, "spec": {"signerName": "kubernetes.io/legacy-unknown"}});
        assert_eq!(
            msgs(&empty),
            vec![
                "spec.request: Invalid value: []byte(nil): PEM block type must be CERTIFICATE REQUEST",
                "spec.usages: Required value",
                "spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version",
            ]
        );
        let no_signer = csr(PEM, json!({"usages": ["any"]}));
        assert_eq!(msgs(&no_signer), vec!["spec.signerName: Required value"]);
    }
}
