//! Which fields each resource can be selected on, and how their values are
//! read out of a stored object.
//!
//! Built-in resources follow the field label conversion functions of
//! Kubernetes v1.32 (`AddFieldLabelConversionFunc` in `pkg/apis/*/v1`) and the
//! `ToSelectableFields` functions of their registries. Resources without a
//! conversion function accept exactly `metadata.name` and
//! `metadata.namespace` (even when cluster-scoped: the namespace then reads
//! as `""`). Notably that includes `apps/v1` ReplicaSets: their registry
//! knows `status.replicas`, but v1.32 rejects it at conversion time.
//! Custom resources use [`check_supported_custom`] and
//! [`custom_field_value`].

use serde_json::Value;

use super::field::{FieldRequirement, FieldSelector};
use super::{SelectorError, UnsupportedFieldStyle};

const DEFAULT_FIELDS: &[&str] = &["metadata.name", "metadata.namespace"];

const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
];

const NODE_FIELDS: &[&str] = &["metadata.name", "spec.unschedulable"];

const REPLICATION_CONTROLLER_FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "status.replicas"];

const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];

const NAMESPACE_FIELDS: &[&str] = &["status.phase", "metadata.name"];

const SECRET_FIELDS: &[&str] = &["type", "metadata.namespace", "metadata.name"];

const SERVICE_FIELDS: &[&str] = &[
    "metadata.namespace",
    "metadata.name",
    "spec.clusterIP",
    "spec.type",
];

const JOB_FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "status.successful"];

const CSR_FIELDS: &[&str] = &["metadata.name", "spec.signerName"];

const RESOURCE_SLICE_FIELDS: &[&str] = &["metadata.name", "spec.nodeName", "spec.driver"];

/// The selectable fields of a built-in resource and the wording of its
/// "unsupported" error.
fn table(group: &str, resource: &str) -> (&'static [&'static str], UnsupportedFieldStyle) {
    use UnsupportedFieldStyle::*;
    match (group, resource) {
        ("", "pods") => (POD_FIELDS, NotSupported),
        ("", "nodes") => (NODE_FIELDS, NotSupported),
        ("", "replicationcontrollers") => (REPLICATION_CONTROLLER_FIELDS, NotSupported),
        ("", "events") => (EVENT_FIELDS, NotSupported),
        ("", "namespaces") => (NAMESPACE_FIELDS, NotSupported),
        ("", "secrets") => (SECRET_FIELDS, NotSupported),
        ("", "services") => (SERVICE_FIELDS, NotSupported),
        ("batch", "jobs") => (JOB_FIELDS, BatchJob),
        ("certificates.k8s.io", "certificatesigningrequests") => (CSR_FIELDS, NotSupported),
        ("resource.k8s.io", "resourceslices") => (RESOURCE_SLICE_FIELDS, ResourceSlice),
        _ => (DEFAULT_FIELDS, Default),
    }
}

/// The fields a built-in resource accepts in `fieldSelector` (aliases such
/// as the pods' legacy `spec.host` are not listed).
pub fn supported_fields(group: &str, resource: &str) -> &'static [&'static str] {
    table(group, resource).0
}

/// Maps a selector field to the name the resource knows it by, or rejects it
/// with Kubernetes' message. Pods still accept `spec.host` for
/// `spec.nodeName`.
pub fn convert_field_label(group: &str, resource: &str, field: &str) -> Result<&'static str, SelectorError> {
    if (group, resource) == ("", "pods") && field == "spec.host" {
        return Ok("spec.nodeName");
    }
    let (fields, style) = table(group, resource);
    fields
        .iter()
        .find(|f| **f == field)
        .copied()
        .ok_or_else(|| SelectorError::UnsupportedField {
            field: field.to_string(),
            style,
        })
}

/// Checks that a built-in resource supports selecting on `field`.
pub fn check_supported(group: &str, resource: &str, field: &str) -> Result<(), SelectorError> {
    convert_field_label(group, resource, field).map(|_| ())
}

/// Checks and canonicalises every term of a selector for a built-in
/// resource; the first unsupported field (in selector order) is reported.
pub fn convert_selector(
    group: &str,
    resource: &str,
    selector: &FieldSelector,
) -> Result<FieldSelector, SelectorError> {
    let mut out = Vec::with_capacity(selector.requirements().len());
    for r in selector.requirements() {
        out.push(FieldRequirement {
            field: convert_field_label(group, resource, &r.field)?.to_string(),
            operator: r.operator,
            value: r.value.clone(),
        });
    }
    Ok(FieldSelector::from_requirements(out))
}

/// Reads the value a built-in object exposes for a selectable field, as its
/// registry's `ToSelectableFields` would. `None` means the field is not in
/// the object's field set; selectors treat that as `""`.
pub fn field_value(
    group: &str,
    resource: &str,
    namespaced: bool,
    obj: &Value,
    field: &str,
) -> Option<String> {
    match field {
        "metadata.name" => return text(obj, &["metadata", "name"]),
        "metadata.namespace" if namespaced => return text(obj, &["metadata", "namespace"]),
        _ => {}
    }
    match (group, resource) {
        ("", "pods") => pod_field(obj, field),
        ("", "nodes") => match field {
            "spec.unschedulable" => Some(flag(obj, &["spec", "unschedulable"])),
            _ => None,
        },
        ("", "replicationcontrollers") => match field {
            "status.replicas" => Some(count(obj, &["status", "replicas"])),
            _ => None,
        },
        ("", "events") => event_field(obj, field),
        ("", "namespaces") => match field {
            "status.phase" => text(obj, &["status", "phase"]),
            _ => None,
        },
        ("", "secrets") => match field {
            "type" => text(obj, &["type"]),
            _ => None,
        },
        ("", "services") => match field {
            "spec.clusterIP" => text(obj, &["spec", "clusterIP"]),
            "spec.type" => text(obj, &["spec", "type"]),
            _ => None,
        },
        ("batch", "jobs") => match field {
            "status.successful" => Some(count(obj, &["status", "succeeded"])),
            _ => None,
        },
        ("certificates.k8s.io", "certificatesigningrequests") => match field {
            "spec.signerName" => text(obj, &["spec", "signerName"]),
            _ => None,
        },
        ("resource.k8s.io", "resourceslices") => match field {
            "spec.nodeName" => text(obj, &["spec", "nodeName"]),
            "spec.driver" => text(obj, &["spec", "driver"]),
            _ => None,
        },
        _ => None,
    }
}

fn pod_field(obj: &Value, field: &str) -> Option<String> {
    match field {
        "spec.nodeName" | "spec.host" => text(obj, &["spec", "nodeName"]),
        "spec.restartPolicy" => text(obj, &["spec", "restartPolicy"]),
        "spec.schedulerName" => text(obj, &["spec", "schedulerName"]),
        "spec.serviceAccountName" => text(obj, &["spec", "serviceAccountName"]),
        "spec.hostNetwork" => Some(flag(obj, &["spec", "hostNetwork"])),
        "status.phase" => text(obj, &["status", "phase"]),
        "status.podIP" => {
            // The singular field wins when set (v1 to internal conversion),
            // otherwise the first entry of podIPs.
            match text(obj, &["status", "podIP"]).filter(|ip| !ip.is_empty()) {
                Some(ip) => Some(ip),
                None => Some(
                    lookup(obj, &["status", "podIPs"])
                        .and_then(Value::as_array)
                        .and_then(|ips| ips.first())
                        .and_then(|ip| ip.get("ip"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
            }
        }
        // Accepted by the conversion function but never put in the field
        // set, so it always reads as "".
        "status.podIPs" => None,
        "status.nominatedNodeName" => text(obj, &["status", "nominatedNodeName"]),
        _ => None,
    }
}

fn event_field(obj: &Value, field: &str) -> Option<String> {
    let involved = |name: &str| text(obj, &["involvedObject", name]);
    match field {
        "involvedObject.kind" => involved("kind"),
        "involvedObject.namespace" => involved("namespace"),
        "involvedObject.name" => involved("name"),
        "involvedObject.uid" => involved("uid"),
        "involvedObject.apiVersion" => involved("apiVersion"),
        "involvedObject.resourceVersion" => involved("resourceVersion"),
        "involvedObject.fieldPath" => involved("fieldPath"),
        "reason" => text(obj, &["reason"]),
        "reportingComponent" => text(obj, &["reportingComponent"]),
        // Falls back to the reporting controller when source.component is empty.
        "source" => text(obj, &["source", "component"])
            .filter(|s| !s.is_empty())
            .or_else(|| text(obj, &["reportingComponent"])),
        "type" => text(obj, &["type"]),
        _ => None,
    }
}

/// Checks a field against a custom resource's `selectableFields` (given as
/// their `jsonPath`s, e.g. `.spec.color`). Custom resources accept
/// `metadata.namespace` only when namespaced.
pub fn check_supported_custom(
    namespaced: bool,
    selectable_json_paths: &[&str],
    field: &str,
) -> Result<(), SelectorError> {
    let ok = field == "metadata.name"
        || (namespaced && field == "metadata.namespace")
        || selectable_json_paths
            .iter()
            .any(|p| p.strip_prefix('.').unwrap_or(p) == field);
    if ok {
        Ok(())
    } else {
        Err(SelectorError::UnsupportedField {
            field: field.to_string(),
            style: UnsupportedFieldStyle::NotSupported,
        })
    }
}

/// Reads a custom resource field named by a dotted path (`spec.color`, or
/// the jsonPath form `.spec.color`). Strings are taken as is, integers in
/// decimal, booleans as `true`/`false`; anything else is absent.
pub fn custom_field_value(obj: &Value, field: &str) -> Option<String> {
    let path = field.strip_prefix('.').unwrap_or(field);
    let mut cur = obj;
    for seg in path.split('.') {
        cur = cur.as_object()?.get(seg)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn lookup<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |cur, seg| cur.as_object()?.get(*seg))
}

/// A string field; missing or non-string reads as "" like a Go zero value.
fn text(obj: &Value, path: &[&str]) -> Option<String> {
    Some(
        lookup(obj, path)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    )
}

/// A boolean field formatted with Go's `strconv.FormatBool`, default false.
fn flag(obj: &Value, path: &[&str]) -> String {
    let b = lookup(obj, path).and_then(Value::as_bool).unwrap_or(false);
    b.to_string()
}

/// An integer field formatted in decimal, default 0.
fn count(obj: &Value, path: &[&str]) -> String {
    match lookup(obj, path) {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        _ => "0".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_fields_use_the_resources_wording() {
        let msg = |g: &str, r: &str, f: &str| check_supported(g, r, f).unwrap_err().to_string();
        assert_eq!(msg("", "pods", "spec.foo"), "field label not supported: spec.foo");
        assert_eq!(
            msg("", "configmaps", "data.x"),
            "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
        assert_eq!(
            msg("apps", "replicasets", "status.replicas"),
            "\"status.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
        assert_eq!(
            msg("batch", "jobs", "status.succeeded"),
            "field label \"status.succeeded\" not supported for batchv1.Job"
        );
        assert_eq!(
            msg("", "nodes", "metadata.namespace"),
            "field label not supported: metadata.namespace"
        );
        assert_eq!(
            msg("", "namespaces", "metadata.namespace"),
            "field label not supported: metadata.namespace"
        );
        assert_eq!(
            msg(
                "certificates.k8s.io",
                "certificatesigningrequests",
                "metadata.namespace"
            ),
            "field label not supported: metadata.namespace"
        );
    }

    #[test]
    fn supported_lists() {
        for f in POD_FIELDS {
            assert!(check_supported("", "pods", f).is_ok());
        }
        assert!(check_supported("", "services", "spec.clusterIP").is_ok());
        assert!(check_supported("", "services", "spec.type").is_ok());
        assert!(check_supported("", "events", "involvedObject.uid").is_ok());
        assert!(check_supported("events.k8s.io", "events", "reason").is_err());
        assert!(check_supported("rbac.authorization.k8s.io", "clusterroles", "metadata.namespace").is_ok());
        assert!(check_supported("", "secrets", "type").is_ok());
        assert!(check_supported("", "replicationcontrollers", "status.replicas").is_ok());
        assert!(check_supported("batch", "jobs", "status.successful").is_ok());
        assert_eq!(supported_fields("apps", "deployments"), DEFAULT_FIELDS);
        assert_eq!(
            convert_field_label("", "pods", "spec.host").unwrap(),
            "spec.nodeName"
        );
        assert!(check_supported("", "nodes", "spec.host").is_err());
    }

    #[test]
    fn selector_conversion() {
        let sel = FieldSelector::parse("spec.host=n1,status.phase=Running").unwrap();
        let conv = convert_selector("", "pods", &sel).unwrap();
        assert_eq!(conv.to_string(), "spec.nodeName=n1,status.phase=Running");
        let bad = FieldSelector::parse("a=1,status.phase=Running").unwrap();
        assert_eq!(
            convert_selector("", "pods", &bad).unwrap_err().to_string(),
            "field label not supported: a"
        );
    }

    #[test]
    fn pod_values() {
        let pod = json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"nodeName": "n1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                     "serviceAccountName": "sa"},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.2"}, {"ip": "fd00::2"}]}
        });
        let v = |f: &str| field_value("", "pods", true, &pod, f);
        assert_eq!(v("metadata.name").as_deref(), Some("p"));
        assert_eq!(v("metadata.namespace").as_deref(), Some("ns"));
        assert_eq!(v("spec.nodeName").as_deref(), Some("n1"));
        assert_eq!(v("spec.host").as_deref(), Some("n1"));
        assert_eq!(v("spec.hostNetwork").as_deref(), Some("false"));
        assert_eq!(v("status.podIP").as_deref(), Some("10.0.0.2"));
        assert_eq!(v("status.podIPs"), None);
        assert_eq!(v("status.nominatedNodeName").as_deref(), Some(""));
        let sel = FieldSelector::parse("status.podIPs=10.0.0.2").unwrap();
        assert!(!sel.matches(|f| field_value("", "pods", true, &pod, f)));
        let sel = FieldSelector::parse("spec.nodeName=n1,spec.hostNetwork=false").unwrap();
        assert!(sel.matches(|f| field_value("", "pods", true, &pod, f)));

        let host = json!({"spec": {"hostNetwork": true}, "status": {"podIP": "1.2.3.4", "podIPs": [{"ip": "5.6.7.8"}]}});
        assert_eq!(
            field_value("", "pods", true, &host, "spec.hostNetwork").as_deref(),
            Some("true")
        );
        assert_eq!(
            field_value("", "pods", true, &host, "status.podIP").as_deref(),
            Some("1.2.3.4")
        );
    }

    #[test]
    fn other_builtin_values() {
        let node = json!({"metadata": {"name": "n"}, "spec": {"unschedulable": true}});
        assert_eq!(
            field_value("", "nodes", false, &node, "spec.unschedulable").as_deref(),
            Some("true")
        );
        assert_eq!(field_value("", "nodes", false, &node, "metadata.namespace"), None);
        let rc = json!({"status": {"replicas": 3}});
        assert_eq!(
            field_value("", "replicationcontrollers", true, &rc, "status.replicas").as_deref(),
            Some("3")
        );
        assert_eq!(
            field_value("", "replicationcontrollers", true, &json!({}), "status.replicas").as_deref(),
            Some("0")
        );
        let job = json!({"status": {"succeeded": 1}});
        assert_eq!(
            field_value("batch", "jobs", true, &job, "status.successful").as_deref(),
            Some("1")
        );
        let ev = json!({
            "involvedObject": {"kind": "Pod", "name": "p", "uid": "u1"},
            "reason": "Started", "type": "Normal", "reportingComponent": "kubelet",
            "source": {}
        });
        let e = |f: &str| field_value("", "events", true, &ev, f);
        assert_eq!(e("involvedObject.kind").as_deref(), Some("Pod"));
        assert_eq!(e("involvedObject.fieldPath").as_deref(), Some(""));
        assert_eq!(e("source").as_deref(), Some("kubelet"));
        assert_eq!(e("reportingComponent").as_deref(), Some("kubelet"));
        let ev2 = json!({"source": {"component": "scheduler"}, "reportingComponent": "x"});
        assert_eq!(
            field_value("", "events", true, &ev2, "source").as_deref(),
            Some("scheduler")
        );
        let svc = json!({"spec": {"clusterIP": "None", "type": "ClusterIP"}});
        assert_eq!(
            field_value("", "services", true, &svc, "spec.clusterIP").as_deref(),
            Some("None")
        );
        let secret = json!({"type": "Opaque"});
        assert_eq!(
            field_value("", "secrets", true, &secret, "type").as_deref(),
            Some("Opaque")
        );
        let ns = json!({"status": {"phase": "Terminating"}});
        assert_eq!(
            field_value("", "namespaces", false, &ns, "status.phase").as_deref(),
            Some("Terminating")
        );
        let csr = json!({"spec": {"signerName": "kubernetes.io/kubelet-serving"}});
        assert_eq!(
            field_value(
                "certificates.k8s.io",
                "certificatesigningrequests",
                false,
                &csr,
                "spec.signerName"
            )
            .as_deref(),
            Some("kubernetes.io/kubelet-serving")
        );
        let cm = json!({"metadata": {"name": "c", "namespace": "d"}});
        assert_eq!(
            field_value("", "configmaps", true, &cm, "metadata.namespace").as_deref(),
            Some("d")
        );
        assert_eq!(field_value("", "configmaps", true, &cm, "data.x"), None);
    }

    #[test]
    fn custom_resources() {
        assert!(check_supported_custom(true, &[".spec.color"], "spec.color").is_ok());
        assert!(check_supported_custom(true, &[], "metadata.namespace").is_ok());
        assert_eq!(
            check_supported_custom(false, &[], "metadata.namespace")
                .unwrap_err()
                .to_string(),
            "field label not supported: metadata.namespace"
        );
        let obj = json!({"spec": {"color": "red", "size": 3, "on": true, "list": [1]}});
        assert_eq!(custom_field_value(&obj, ".spec.color").as_deref(), Some("red"));
        assert_eq!(custom_field_value(&obj, "spec.size").as_deref(), Some("3"));
        assert_eq!(custom_field_value(&obj, "spec.on").as_deref(), Some("true"));
        assert_eq!(custom_field_value(&obj, "spec.list"), None);
        assert_eq!(custom_field_value(&obj, "spec.missing"), None);
    }
}
