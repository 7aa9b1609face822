//! apps/v1 Deployment, ReplicaSet, StatefulSet and DaemonSet.

use super::field_error::{go_int_or_string, go_label_selector, go_quote, FieldError};
use super::metadata::{
    selector_kind, selector_template_mismatch, validate_label_selector, validate_labels, SelectorKind,
    FIELD_IMMUTABLE, IS_NEGATIVE,
};
use super::names::percent_errors;
use super::pod::validate_pod_template_spec;
use super::value::{get, map_of, opt_i64, semantic_eq, str_of, Path};
use serde_json::Value;

pub(super) fn spec_of(obj: &Value) -> &Value {
    static NULL: Value = Value::Null;
    get(obj, "spec").unwrap_or(&NULL)
}

pub(super) fn nonneg(obj: &Value, key: &str, path: &Path, errs: &mut Vec<FieldError>) {
    if let Some(n) = opt_i64(obj, key) {
        if n < 0 {
            errs.push(FieldError::invalid(path.child(key).as_str(), n, IS_NEGATIVE));
        }
    }
}

/// Selector presence/emptiness checks shared by the workload kinds; returns
/// whether the selector is usable for matching.
fn validate_selector(
    spec: &Value,
    sp: &Path,
    kind_word: &str,
    required: bool,
    errs: &mut Vec<FieldError>,
) -> bool {
    let sel = get(spec, "selector").filter(|s| !s.is_null());
    let path = sp.child("selector");
    match sel {
        None => {
            if required {
                errs.push(FieldError::required(path.as_str(), ""));
            }
            true
        }
        Some(s) => {
            let sel_errs = validate_label_selector(Some(s), &path);
            let ok = sel_errs.is_empty();
            errs.extend(sel_errs);
            if selector_kind(Some(s)) == SelectorKind::Everything {
                errs.push(FieldError::invalid_rendered(
                    path.as_str(),
                    go_label_selector(Some(s)),
                    &format!("empty selector is invalid for {kind_word}"),
                ));
            }
            ok
        }
    }
}

/// The template checks of Deployments and ReplicaSets
/// (`ValidatePodTemplateSpecForReplicaSet`).
fn validate_rs_template(spec: &Value, sp: &Path, selector_ok: bool, kind: &str, errs: &mut Vec<FieldError>) {
    let tp = sp.child("template");
    let sel = get(spec, "selector").filter(|s| !s.is_null());
    if !selector_ok {
        errs.push(FieldError::invalid_rendered(
            sp.child("selector").as_str(),
            go_label_selector(sel),
            "invalid label selector",
        ));
        return;
    }
    let template = get(spec, "template");
    errs.extend(selector_template_mismatch(sel, template, &tp));
    errs.extend(validate_pod_template_spec(template, &tp));
    restart_and_deadline(template, &tp, kind, errs);
}

pub(super) fn restart_and_deadline(
    template: Option<&Value>,
    tp: &Path,
    kind: &str,
    errs: &mut Vec<FieldError>,
) {
    let null = Value::Null;
    let tspec = template.and_then(|t| get(t, "spec")).unwrap_or(&null);
    let rp = str_of(tspec, "restartPolicy");
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            tp.child("spec").child("restartPolicy").as_str(),
            rp,
            &["Always"],
        ));
    }
    if get(tspec, "activeDeadlineSeconds").is_some_and(|v| !v.is_null()) {
        errs.push(FieldError::forbidden(
            tp.child("spec").child("activeDeadlineSeconds").as_str(),
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
}

/// `getIntOrPercentValue`: percents count by their number, unparsable strings as 0.
fn int_or_percent_value(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::String(s)) => {
            let digits = s.strip_suffix('%').unwrap_or(s);
            digits.parse().unwrap_or(0)
        }
        Some(n) => n.as_i64().unwrap_or(0),
        None => 0,
    }
}

pub(super) fn validate_positive_int_or_percent(v: Option<&Value>, path: &Path, errs: &mut Vec<FieldError>) {
    match v {
        Some(Value::String(s)) => {
            for m in percent_errors(s) {
                errs.push(FieldError::invalid_rendered(
                    path.as_str(),
                    go_int_or_string(v),
                    &m,
                ));
            }
        }
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            if n < 0 {
                errs.push(FieldError::invalid(path.as_str(), n, IS_NEGATIVE));
            }
        }
        _ => {}
    }
}

pub(super) fn not_more_than_100(v: Option<&Value>, path: &Path, errs: &mut Vec<FieldError>) {
    if let Some(Value::String(s)) = v {
        if percent_errors(s).is_empty() && int_or_percent_value(v) > 100 {
            errs.push(FieldError::invalid_rendered(
                path.as_str(),
                go_int_or_string(v),
                "must not be greater than 100%",
            ));
        }
    }
}

fn validate_deployment_strategy(spec: &Value, sp: &Path, errs: &mut Vec<FieldError>) {
    let null = Value::Null;
    let strategy = get(spec, "strategy").unwrap_or(&null);
    let path = sp.child("strategy");
    let ru = get(strategy, "rollingUpdate").filter(|v| !v.is_null());
    match str_of(strategy, "type") {
        "Recreate" => {
            if ru.is_some() {
                errs.push(FieldError::forbidden(
                    path.child("rollingUpdate").as_str(),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match ru {
            None => errs.push(FieldError::required(
                path.child("rollingUpdate").as_str(),
                "this should be defaulted and never be nil",
            )),
            Some(ru) => {
                let rp = path.child("rollingUpdate");
                let mu = get(ru, "maxUnavailable");
                let ms = get(ru, "maxSurge");
                validate_positive_int_or_percent(mu, &rp.child("maxUnavailable"), errs);
                validate_positive_int_or_percent(ms, &rp.child("maxSurge"), errs);
                if int_or_percent_value(mu) == 0 && int_or_percent_value(ms) == 0 {
                    errs.push(FieldError::invalid_rendered(
                        rp.child("maxUnavailable").as_str(),
                        go_int_or_string(mu),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                not_more_than_100(mu, &rp.child("maxUnavailable"), errs);
            }
        },
        other => {
            let rendered = format!(
                "apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}}",
                go_quote(other)
            );
            let mut e = FieldError::not_supported(path.as_str(), Value::Null, &["Recreate", "RollingUpdate"]);
            e.bad_value = None;
            e.rendered = Some(rendered);
            errs.push(e);
        }
    }
}

fn validate_deployment_spec(spec: &Value, errs: &mut Vec<FieldError>) {
    let sp = Path::new("spec");
    nonneg(spec, "replicas", &sp, errs);
    let ok = validate_selector(spec, &sp, "deployment", true, errs);
    validate_rs_template(spec, &sp, ok, "ReplicaSet", errs);
    validate_deployment_strategy(spec, &sp, errs);
    nonneg(spec, "minReadySeconds", &sp, errs);
    nonneg(spec, "revisionHistoryLimit", &sp, errs);
    if let Some(pd) = opt_i64(spec, "progressDeadlineSeconds") {
        nonneg(spec, "progressDeadlineSeconds", &sp, errs);
        if pd <= opt_i64(spec, "minReadySeconds").unwrap_or(0) {
            errs.push(FieldError::invalid(
                sp.child("progressDeadlineSeconds").as_str(),
                pd,
                "must be greater than minReadySeconds",
            ));
        }
    }
}

/// Deployment create rules.
pub fn validate_deployment(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_deployment_spec(spec_of(obj), &mut errs);
    errs
}

fn selector_immutable(new: &Value, old: &Value, errs: &mut Vec<FieldError>) {
    let (ns, os) = (get(spec_of(new), "selector"), get(spec_of(old), "selector"));
    if !semantic_eq(ns, os) {
        errs.push(FieldError::invalid_rendered(
            "spec.selector",
            go_label_selector(ns),
            FIELD_IMMUTABLE,
        ));
    }
}

/// Deployment update rules: the create rules plus an immutable selector.
pub fn validate_deployment_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_deployment_spec(spec_of(new), &mut errs);
    selector_immutable(new, old, &mut errs);
    errs
}

/// ReplicaSet rules (create and update; apps/v1 also freezes the selector,
/// which the caller checks through [`validate_replica_set_update`]).
pub fn validate_replica_set(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = spec_of(obj);
    let sp = Path::new("spec");
    nonneg(spec, "replicas", &sp, &mut errs);
    nonneg(spec, "minReadySeconds", &sp, &mut errs);
    let ok = validate_selector(spec, &sp, "deployment", true, &mut errs);
    validate_rs_template(spec, &sp, ok, "ReplicaSet", &mut errs);
    errs
}

/// ReplicaSet update rules.
pub fn validate_replica_set_update(new: &Value, old: &Value, errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut errs = validate_replica_set(new, errs);
    selector_immutable(new, old, &mut errs);
    errs
}

fn validate_stateful_set_spec(spec: &Value, errs: &mut Vec<FieldError>) {
    let sp = Path::new("spec");
    match str_of(spec, "podManagementPolicy") {
        "" => errs.push(FieldError::required(sp.child("podManagementPolicy").as_str(), "")),
        "OrderedReady" | "Parallel" => {}
        other => errs.push(FieldError::invalid(
            sp.child("podManagementPolicy").as_str(),
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let null = Value::Null;
    let us = get(spec, "updateStrategy").unwrap_or(&null);
    let up = sp.child("updateStrategy");
    let ru = get(us, "rollingUpdate").filter(|v| !v.is_null());
    match str_of(us, "type") {
        "" => errs.push(FieldError::required(up.as_str(), "")),
        "OnDelete" => {
            if ru.is_some() {
                errs.push(FieldError::invalid_rendered(
                    up.child("rollingUpdate").as_str(),
                    "&apps.RollingUpdateStatefulSetStrategy{...}".to_string(),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = ru {
                let rp = up.child("rollingUpdate");
                nonneg(ru, "partition", &rp, errs);
                if let Some(mu) = get(ru, "maxUnavailable").filter(|v| !v.is_null()) {
                    let mp = rp.child("maxUnavailable");
                    validate_positive_int_or_percent(Some(mu), &mp, errs);
                    if int_or_percent_value(Some(mu)) == 0 {
                        errs.push(FieldError::invalid_rendered(mp.as_str(), go_int_or_string(Some(mu)), "cannot be 0"));
                    }
                    not_more_than_100(Some(mu), &mp, errs);
                }
            }
        }
        other => errs.push(FieldError::invalid_rendered(
            up.as_str(),
            format!(
                "apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}}",
                go_quote(other)
            ),
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    if let Some(policy) = get(spec, "persistentVolumeClaimRetentionPolicy").filter(|v| !v.is_null()) {
        let pp = sp.child("persistentVolumeClaimRetentionPolicy");
        for key in ["whenDeleted", "whenScaled"] {
            let v = str_of(policy, key);
            if v != "Retain" && v != "Delete" {
                errs.push(FieldError::not_supported(
                    pp.child(key).as_str(),
                    v,
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    nonneg(spec, "replicas", &sp, errs);
    nonneg(spec, "minReadySeconds", &sp, errs);
    if let Some(start) = get(spec, "ordinals").and_then(|o| opt_i64(o, "start")) {
        if start < 0 {
            errs.push(FieldError::invalid("spec.ordinals.start", start, IS_NEGATIVE));
        }
    }
    let ok = validate_selector(spec, &sp, "statefulset", true, errs);
    let sel = get(spec, "selector").filter(|s| !s.is_null());
    let tp = sp.child("template");
    let template = get(spec, "template");
    if !ok {
        errs.push(FieldError::invalid_rendered(
            sp.child("selector").as_str(),
            go_label_selector(sel),
            "",
        ));
    } else {
        errs.extend(selector_template_mismatch(sel, template, &tp));
        let meta = template.and_then(|t| get(t, "metadata")).unwrap_or(&null);
        errs.extend(validate_labels(map_of(meta, "labels"), &tp.child("labels")));
        errs.extend(super::metadata::validate_annotations(
            map_of(meta, "annotations"),
            &tp.child("annotations"),
        ));
    }
    restart_and_deadline(template, &tp, "StatefulSet", errs);
}

/// StatefulSet create rules.
pub fn validate_stateful_set(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_stateful_set_spec(spec_of(obj), &mut errs);
    errs
}

/// StatefulSet update rules: only some spec fields may change.
pub fn validate_stateful_set_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_stateful_set_spec(spec_of(new), &mut errs);
    let mutable = [
        "replicas",
        "template",
        "updateStrategy",
        "minReadySeconds",
        "ordinals",
        "persistentVolumeClaimRetentionPolicy",
    ];
    let strip = |spec: &Value| {
        let mut s = spec.clone();
        if let Some(m) = s.as_object_mut() {
            for k in mutable {
                m.remove(k);
            }
        }
        s
    };
    if !semantic_eq(Some(&strip(spec_of(new))), Some(&strip(spec_of(old)))) {
        errs.push(FieldError::forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ));
    }
    errs
}

/// DaemonSet rules (create and update).
pub fn validate_daemon_set(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = spec_of(obj);
    let sp = Path::new("spec");
    let sel = get(spec, "selector").filter(|s| !s.is_null());
    let sel_errs = validate_label_selector(sel, &sp.child("selector"));
    let ok = sel_errs.is_empty();
    errs.extend(sel_errs);
    let tp = sp.child("template");
    let template = get(spec, "template");
    if ok {
        let labels = template
            .and_then(|t| get(t, "metadata"))
            .and_then(|m| map_of(m, "labels"));
        if selector_kind(sel) != SelectorKind::Everything && !super::metadata::selector_matches(sel, labels) {
            errs.extend(selector_template_mismatch(sel, template, &tp));
        }
    }
    if sel.is_some() && selector_kind(sel) == SelectorKind::Everything {
        errs.push(FieldError::invalid_rendered(
            sp.child("selector").as_str(),
            go_label_selector(sel),
            "empty selector is invalid for daemonset",
        ));
    }
    errs.extend(validate_pod_template_spec(template, &tp));
    restart_and_deadline(template, &tp, "DaemonSet", &mut errs);
    nonneg(spec, "minReadySeconds", &sp, &mut errs);
    nonneg(spec, "templateGeneration", &sp, &mut errs);
    let null = Value::Null;
    let us = get(spec, "updateStrategy").unwrap_or(&null);
    let up = sp.child("updateStrategy");
    match str_of(us, "type") {
        "OnDelete" => {}
        "RollingUpdate" => match get(us, "rollingUpdate").filter(|v| !v.is_null()) {
            None => errs.push(FieldError::required(up.child("rollingUpdate").as_str(), "")),
            Some(ru) => {
                let rp = up.child("rollingUpdate");
                let (mu, ms) = (get(ru, "maxUnavailable"), get(ru, "maxSurge"));
                validate_positive_int_or_percent(mu, &rp.child("maxUnavailable"), &mut errs);
                validate_positive_int_or_percent(ms, &rp.child("maxSurge"), &mut errs);
                not_more_than_100(mu, &rp.child("maxUnavailable"), &mut errs);
                not_more_than_100(ms, &rp.child("maxSurge"), &mut errs);
                let (has_u, has_s) = (int_or_percent_value(mu) != 0, int_or_percent_value(ms) != 0);
                if has_u && has_s {
                    errs.push(FieldError::invalid_rendered(
                        rp.child("maxSurge").as_str(),
                        go_int_or_string(ms),
                        "may not be set when maxUnavailable is non-zero",
                    ));
                } else if !has_u && !has_s {
                    errs.push(FieldError::required(
                        rp.child("maxUnavailable").as_str(),
                        "cannot be 0 when maxSurge is 0",
                    ));
                }
            }
        },
        other => {
            let mut e = FieldError::not_supported(up.as_str(), Value::Null, &["RollingUpdate", "OnDelete"]);
            e.bad_value = None;
            e.rendered = Some(format!(
                "&apps.DaemonSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}}",
                go_quote(other)
            ));
            errs.push(e);
        }
    }
    nonneg(spec, "revisionHistoryLimit", &sp, &mut errs);
    errs
}

/// DaemonSet update rules: the create rules plus an immutable selector.
pub fn validate_daemon_set_update(new: &Value, old: &Value, errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut errs = validate_daemon_set(new, errs);
    selector_immutable(new, old, &mut errs);
    errs
}

// ---------------------------------------------------------------- ControllerRevision

/// ControllerRevision create rules: `data` is mandatory and `revision` is
/// not negative.
pub fn validate_controller_revision(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    if get(obj, "data").is_none_or(Value::is_null) {
        errs.push(FieldError::required("data", "data is mandatory"));
    }
    nonneg(obj, "revision", &Path::new(""), &mut errs);
    errs
}

/// ControllerRevision update rules: the create rules plus immutable `data`.
/// Kubernetes prints the stored `runtime.Unknown` here; Gatehouse prints
/// the new data as JSON.
pub fn validate_controller_revision_update(
    new: &Value,
    old: &Value,
    errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let mut errs = validate_controller_revision(new, errs);
    let (nd, od) = (get(new, "data"), get(old, "data"));
    if nd != od {
        errs.push(FieldError::invalid_rendered(
            "data",
            nd.map_or_else(|| "null".to_string(), Value::to_string),
            FIELD_IMMUTABLE,
        ));
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

    fn deployment() -> Value {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
        default_object("apps", "Deployment", &mut d);
        d
    }

    #[test]
    fn realistic_deployment_is_valid() {
        assert!(validate_create("apps", "Deployment", &deployment()).is_empty());
    }

    #[test]
    fn selector_must_match_template() {
        let mut d = deployment();
        d["spec"]["template"]["metadata"]["labels"] = json!({"app": "x"});
        let errs = validate_create("apps", "Deployment", &d);
        assert_eq!(msgs(&errs), vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`".to_string()]);
    }

    #[test]
    fn selector_required_and_non_empty() {
        let mut d = deployment();
        d["spec"].as_object_mut().map(|m| m.remove("selector"));
        let errs = validate_create("apps", "Deployment", &d);
        assert_eq!(msgs(&errs), vec![
            "spec.selector: Required value".to_string(),
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`".to_string(),
        ]);
        let mut d = deployment();
        d["spec"]["selector"] = json!({});
        let errs = validate_create("apps", "Deployment", &d);
        assert_eq!(msgs(&errs), vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment".to_string()]);
    }

    #[test]
    fn replicas_and_restart_policy() {
        let mut d = deployment();
        d["spec"]["replicas"] = json!(-1);
        assert_eq!(
            msgs(&validate_create("apps", "Deployment", &d)),
            vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0".to_string()]
        );
        let mut d = deployment();
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(
            msgs(&validate_create("apps", "Deployment", &d)),
            vec!["spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"".to_string()]
        );
    }

    #[test]
    fn strategy_rules() {
        let mut d = deployment();
        d["spec"]["strategy"] =
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}});
        assert_eq!(
            msgs(&validate_create("apps", "Deployment", &d)),
            vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0".to_string()]
        );
        let mut d = deployment();
        d["spec"]["strategy"] = json!({"type": "Blue"});
        let errs = validate_create("apps", "Deployment", &d);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].reason(), "FieldValueNotSupported");
        assert!(errs[0]
            .message()
            .ends_with("supported values: \"Recreate\", \"RollingUpdate\""));
        let mut d = deployment();
        d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = json!("120%");
        assert_eq!(
            msgs(&validate_create("apps", "Deployment", &d)),
            vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%".to_string()]
        );
    }

    #[test]
    fn deployment_selector_is_immutable() {
        let old = deployment();
        let mut new = deployment();
        new["spec"]["selector"] = json!({"matchLabels": {"app": "web", "tier": "x"}});
        new["spec"]["template"]["metadata"]["labels"] = json!({"app": "web", "tier": "x"});
        let errs = validate_update("apps", "Deployment", &new, &old);
        assert_eq!(msgs(&errs), vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable".to_string()]);
    }

    #[test]
    fn replica_set_stateful_set_daemon_set() {
        let mut rs = json!({"metadata": {"name": "rs", "namespace": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        default_object("apps", "ReplicaSet", &mut rs);
        assert!(validate_create("apps", "ReplicaSet", &rs).is_empty());

        let mut sts = rs.clone();
        sts["metadata"]["name"] = json!("db");
        default_object("apps", "StatefulSet", &mut sts);
        assert!(
            validate_create("apps", "StatefulSet", &sts).is_empty(),
            "{:?}",
            msgs(&validate_create("apps", "StatefulSet", &sts))
        );
        let mut bad = sts.clone();
        bad["spec"]["podManagementPolicy"] = json!("Random");
        assert_eq!(
            msgs(&validate_create("apps", "StatefulSet", &bad)),
            vec![
                "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"
                    .to_string()
            ]
        );
        let mut changed = sts.clone();
        changed["spec"]["serviceName"] = json!("other");
        let errs = validate_update("apps", "StatefulSet", &changed, &sts);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "spec");

        let mut ds = rs.clone();
        default_object("apps", "DaemonSet", &mut ds);
        assert!(validate_create("apps", "DaemonSet", &ds).is_empty());
        let mut bad = ds.clone();
        bad["spec"]["updateStrategy"]["rollingUpdate"] = json!({"maxUnavailable": 0, "maxSurge": 0});
        assert_eq!(
            msgs(&validate_create("apps", "DaemonSet", &bad)),
            vec!["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0".to_string()]
        );
    }

    #[test]
    fn controller_revision_rules() {
        let cr = json!({"metadata": {"name": "web-1", "namespace": "ns"}, "revision": -1});
        assert_eq!(
            msgs(&validate_create("apps", "ControllerRevision", &cr)),
            vec![
                "data: Required value: data is mandatory".to_string(),
                "revision: Invalid value: -1: must be greater than or equal to 0".to_string(),
            ]
        );
        let old = json!({"metadata": {"name": "web-1", "namespace": "ns"}, "revision": 1, "data": {"a": 1}});
        assert!(validate_create("apps", "ControllerRevision", &old).is_empty());
        let mut new = old.clone();
        new["data"] = json!({"a": 2});
        assert_eq!(
            msgs(&validate_update("apps", "ControllerRevision", &new, &old)),
            vec!["data: Invalid value: {\"a\":2}: field is immutable".to_string()]
        );
    }
}
