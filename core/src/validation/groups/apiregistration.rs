//! apiregistration.k8s.io/v1 APIService.

use super::super::field_error::FieldError;
use super::super::names::{dns1035_label_errors, dns1123_subdomain_errors, path_segment_errors};
use super::super::value::{get, str_of, Path};
use super::common::{child, insert_name_errors, invalid_each, is_set};
use serde_json::{json, Value};

/// APIService rules: the name is `version.group`, priorities in range and a
/// consistent service/TLS configuration.
pub(super) fn validate_api_service(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let (group, version) = (str_of(spec, "group"), str_of(spec, "version"));
    let required = format!("{version}.{group}");
    let meta = child(obj, "metadata");
    let detail = format!("must be `spec.version+\".\"+spec.group`: \"{required}\"");
    let mut extra = Vec::new();
    // The path-segment rule already ran; the name must also equal version.group.
    for key in ["generateName", "name"] {
        let n = str_of(meta, key);
        if !n.is_empty() && path_segment_errors(n).is_empty() && n != required {
            extra.push(FieldError::invalid(
                Path::new("metadata").child(key).as_str(),
                n,
                &detail,
            ));
        }
    }
    insert_name_errors(&mut errs, extra);
    let sp = Path::new("spec");
    if group.is_empty() && version != "v1" {
        errs.push(FieldError::required(
            sp.child("group").as_str(),
            "only v1 may have an empty group and it better be legacy kube",
        ));
    }
    if !group.is_empty() {
        errs.extend(invalid_each(
            &sp.child("group"),
            group,
            dns1123_subdomain_errors(group),
        ));
    }
    errs.extend(invalid_each(
        &sp.child("version"),
        version,
        dns1035_label_errors(version),
    ));
    let n = |k: &str| get(spec, k).and_then(Value::as_i64).unwrap_or(0);
    let gpm = n("groupPriorityMinimum");
    if gpm <= 0 || gpm > 20000 {
        errs.push(FieldError::invalid(
            sp.child("groupPriorityMinimum").as_str(),
            gpm,
            "must be positive and less than 20000",
        ));
    }
    let vp = n("versionPriority");
    if vp <= 0 || vp > 1000 {
        errs.push(FieldError::invalid(
            sp.child("versionPriority").as_str(),
            vp,
            "must be positive and less than 1000",
        ));
    }
    let ca_len = super::common::base64_len(str_of(spec, "caBundle"));
    let insecure = get(spec, "insecureSkipTLSVerify")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !is_set(spec, "service") {
        if ca_len != 0 {
            errs.push(FieldError::invalid(
                sp.child("caBundle").as_str(),
                format!("{ca_len} bytes"),
                "local APIServices may not have a caBundle",
            ));
        }
        if insecure {
            errs.push(FieldError::invalid(
                sp.child("insecureSkipTLSVerify").as_str(),
                true,
                "local APIServices may not have insecureSkipTLSVerify",
            ));
        }
        return errs;
    }
    let svc = child(spec, "service");
    for key in ["namespace", "name"] {
        if str_of(svc, key).is_empty() {
            errs.push(FieldError::required(sp.child("service").child(key).as_str(), ""));
        }
    }
    if insecure && ca_len > 0 {
        errs.push(FieldError::invalid(
            sp.child("insecureSkipTLSVerify").as_str(),
            true,
            "may not be true if caBundle is present",
        ));
    }
    errs
}

/// APIService defaults: service port 443.
pub(super) fn default_api_service(obj: &mut Value) {
    if let Some(svc) = obj
        .get_mut("spec")
        .and_then(|s| s.get_mut("service"))
        .filter(|s| s.is_object())
    {
        super::super::value::default_field(svc, "port", json!(443));
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::validate_create;
    use serde_json::json;

    const G: &str = "apiregistration.k8s.io";

    #[test]
    fn api_service() {
        let ok = json!({"metadata": {"name": "v1beta1.metrics.k8s.io"}, "spec": {"group": "metrics.k8s.io", "version": "v1beta1",
            "groupPriorityMinimum": 100, "versionPriority": 100, "service": {"name": "metrics-server", "namespace": "kube-system"}}});
        assert!(validate_create(G, "APIService", &ok).is_empty());
        let local = json!({"metadata": {"name": "v1.apps"}, "spec": {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800, "versionPriority": 15}});
        assert!(validate_create(G, "APIService", &local).is_empty());
        let bad = json!({"metadata": {"name": "wrong"}, "spec": {"group": "g.io", "version": "V1", "groupPriorityMinimum": 0, "versionPriority": 1001,
            "caBundle": "AAAA"}});
        let msgs: Vec<String> = validate_create(G, "APIService", &bad)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(
            msgs[0],
            "metadata.name: Invalid value: \"wrong\": must be `spec.version+\".\"+spec.group`: \"V1.g.io\""
        );
        assert!(msgs[1].starts_with("spec.version: Invalid value: \"V1\": a DNS-1035 label"));
        assert_eq!(
            &msgs[2..],
            &[
                "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
                "spec.versionPriority: Invalid value: 1001: must be positive and less than 1000",
                "spec.caBundle: Invalid value: \"3 bytes\": local APIServices may not have a caBundle",
            ]
        );
    }
}
