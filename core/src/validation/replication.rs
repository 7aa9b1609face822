//! core/v1 ReplicationController, PodTemplate and Binding.

use super::apps::{nonneg, restart_and_deadline, spec_of};
use super::field_error::{go_string_map, FieldError};
use super::pod::validate_pod_template_spec;
use super::value::{get, map_of, str_of, Path};
use serde_json::{Map, Value};

/// True when every `key=value` of a map selector is among `labels`.
fn map_selector_matches(sel: &Map<String, Value>, labels: Option<&Map<String, Value>>) -> bool {
    sel.iter().all(|(k, v)| {
        labels
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .is_some_and(|l| Some(l) == v.as_str())
    })
}

/// `ValidateReplicationControllerSpec`: shared by create and update (an RC's
/// selector, unlike a ReplicaSet's, may change).
fn validate_rc_spec(spec: &Value, errs: &mut Vec<FieldError>) {
    let sp = Path::new("spec");
    nonneg(spec, "minReadySeconds", &sp, errs);
    let selector = map_of(spec, "selector").filter(|s| !s.is_empty());
    if selector.is_none() {
        errs.push(FieldError::required(sp.child("selector").as_str(), ""));
    }
    nonneg(spec, "replicas", &sp, errs);
    let tp = sp.child("template");
    let Some(template) = get(spec, "template").filter(|t| !t.is_null()) else {
        errs.push(FieldError::required(tp.as_str(), ""));
        return;
    };
    let labels = get(template, "metadata").and_then(|m| map_of(m, "labels"));
    if let Some(sel) = selector {
        if !map_selector_matches(sel, labels) {
            let shown = labels.map(|l| Value::Object(l.clone()));
            errs.push(FieldError::invalid_rendered(
                tp.child("metadata").child("labels").as_str(),
                go_string_map(shown.as_ref()),
                "`selector` does not match template `labels`",
            ));
        }
    }
    errs.extend(validate_pod_template_spec(Some(template), &tp));
    restart_and_deadline(Some(template), &tp, "ReplicationController", errs);
}

/// ReplicationController create rules.
pub fn validate_replication_controller(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_rc_spec(spec_of(obj), &mut errs);
    errs
}

/// ReplicationController update rules (the create rules on the new object).
pub fn validate_replication_controller_update(
    new: &Value,
    _old: &Value,
    errs: Vec<FieldError>,
) -> Vec<FieldError> {
    validate_replication_controller(new, errs)
}

/// PodTemplate rules (create and update): the top-level `template` is a
/// full pod template, reported under `template.*`.
pub fn validate_pod_template(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    errs.extend(validate_pod_template_spec(
        get(obj, "template"),
        &Path::new("template"),
    ));
    errs
}

/// `ValidatePodBinding`: a Binding names a target Node. Kubernetes runs no
/// ObjectMeta checks on Bindings.
pub fn validate_binding(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let null = Value::Null;
    let target = get(obj, "target").unwrap_or(&null);
    let kind = str_of(target, "kind");
    if !kind.is_empty() && kind != "Node" {
        errs.push(FieldError::not_supported(
            "target.kind",
            kind,
            &["Node", "<empty>"],
        ));
    }
    if str_of(target, "name").is_empty() {
        errs.push(FieldError::required("target.name", ""));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{default_object, validate_create, validate_update, FieldError};
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    fn rc(spec: Value) -> Value {
        let mut o = json!({"metadata": {"name": "web", "namespace": "ns"}, "spec": spec});
        default_object("", "ReplicationController", &mut o);
        o
    }

    fn template(labels: Value) -> Value {
        json!({"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}})
    }

    #[test]
    fn realistic_rc_is_valid_and_defaulted() {
        let o = rc(json!({"template": template(json!({"app": "web"}))}));
        assert_eq!(o["spec"]["replicas"], 1);
        assert_eq!(o["spec"]["selector"], json!({"app": "web"}));
        assert_eq!(o["metadata"]["labels"], json!({"app": "web"}));
        let errs = validate_create("", "ReplicationController", &o);
        assert!(errs.is_empty(), "{:?}", msgs(&errs));
    }

    #[test]
    fn rc_selector_must_match_template() {
        let o = rc(json!({"selector": {"app": "db"}, "template": template(json!({"app": "web"}))}));
        assert_eq!(
            msgs(&validate_create("", "ReplicationController", &o)),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`".to_string()]
        );
    }

    #[test]
    fn rc_replicas_non_negative() {
        let o = rc(json!({"replicas": -1, "template": template(json!({"app": "web"}))}));
        assert_eq!(
            msgs(&validate_create("", "ReplicationController", &o)),
            vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0".to_string()]
        );
    }

    #[test]
    fn rc_needs_selector_and_template() {
        let o = json!({"metadata": {"name": "web", "namespace": "ns"}, "spec": {"replicas": 1}});
        assert_eq!(
            msgs(&validate_create("", "ReplicationController", &o)),
            vec![
                "spec.selector: Required value".to_string(),
                "spec.template: Required value".to_string()
            ]
        );
    }

    #[test]
    fn rc_template_restart_policy_and_deadline() {
        let mut t = template(json!({"app": "web"}));
        t["spec"]["restartPolicy"] = json!("Never");
        t["spec"]["activeDeadlineSeconds"] = json!(5);
        let o = rc(json!({"template": t}));
        assert_eq!(
            msgs(&validate_update("", "ReplicationController", &o, &o)),
            vec![
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"".to_string(),
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported".to_string()
            ]
        );
    }

    #[test]
    fn pod_template_rules_and_defaults() {
        let mut pt = json!({"metadata": {"name": "pt", "namespace": "ns"},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}});
        default_object("", "PodTemplate", &mut pt);
        assert_eq!(pt["template"]["spec"]["restartPolicy"], "Always");
        assert_eq!(
            pt["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "Always"
        );
        assert!(pt.get("spec").is_none());
        assert!(validate_create("", "PodTemplate", &pt).is_empty());
        let mut bad = pt.clone();
        bad["template"]["spec"]["containers"] = json!([]);
        assert_eq!(
            msgs(&validate_update("", "PodTemplate", &bad, &pt)),
            vec!["template.spec.containers: Required value".to_string()]
        );
    }

    #[test]
    fn binding_target() {
        let b = json!({"metadata": {"name": "p", "namespace": "ns"}, "target": {"kind": "Pod", "name": ""}});
        assert_eq!(
            msgs(&validate_create("", "Binding", &b)),
            vec![
                "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\""
                    .to_string(),
                "target.name: Required value".to_string()
            ]
        );
        let ok = json!({"metadata": {"name": "p"}, "target": {"kind": "Node", "name": "n1"}});
        assert!(validate_create("", "Binding", &ok).is_empty());
    }
}
