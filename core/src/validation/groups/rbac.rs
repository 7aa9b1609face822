//! rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding and
//! ClusterRoleBinding.

use super::super::field_error::{go_quote, FieldError};
use super::super::names::{dns1123_subdomain_errors, path_segment_errors};
use super::super::value::{arr_of, default_field, each_mut, ensure_obj, str_of, Path};
use super::common::{child, invalid_each};
use serde_json::{json, Value};

const GROUP: &str = "rbac.authorization.k8s.io";

/// Role and ClusterRole rules: every policy rule needs verbs and targets.
pub(super) fn validate_role(obj: &Value, namespaced: bool, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    for (i, rule) in arr_of(obj, "rules").iter().enumerate() {
        errs.extend(validate_policy_rule(
            rule,
            namespaced,
            &Path::new("rules").index(i),
        ));
    }
    errs
}

fn validate_policy_rule(rule: &Value, namespaced: bool, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if arr_of(rule, "verbs").is_empty() {
        errs.push(FieldError::required(
            p.child("verbs").as_str(),
            "verbs must contain at least one value",
        ));
    }
    let urls = arr_of(rule, "nonResourceURLs");
    let (groups, resources, names) = (
        arr_of(rule, "apiGroups"),
        arr_of(rule, "resources"),
        arr_of(rule, "resourceNames"),
    );
    if !urls.is_empty() {
        let up = p.child("nonResourceURLs");
        let v = Value::Array(urls.to_vec());
        if namespaced {
            errs.push(FieldError::invalid(
                up.as_str(),
                v.clone(),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if !groups.is_empty() || !resources.is_empty() || !names.is_empty() {
            errs.push(FieldError::invalid(
                up.as_str(),
                v,
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return errs;
    }
    if groups.is_empty() {
        errs.push(FieldError::required(
            p.child("apiGroups").as_str(),
            "resource rules must supply at least one api group",
        ));
    }
    if resources.is_empty() {
        errs.push(FieldError::required(
            p.child("resources").as_str(),
            "resource rules must supply at least one resource",
        ));
    }
    if !names.is_empty() && resources.len() > 1 {
        errs.push(FieldError::required(
            p.child("resourceNames").as_str(),
            "resource names cannot apply to multiple resources",
        ));
    }
    errs
}

/// RoleBinding and ClusterRoleBinding rules: a supported roleRef and subjects.
pub(super) fn validate_binding(obj: &Value, namespaced: bool, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let rr = child(obj, "roleRef");
    let rp = Path::new("roleRef");
    let api_group = str_of(rr, "apiGroup");
    if api_group != GROUP {
        errs.push(FieldError::not_supported(
            rp.child("apiGroup").as_str(),
            api_group,
            &[GROUP],
        ));
    }
    let kind = str_of(rr, "kind");
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        errs.push(FieldError::not_supported(rp.child("kind").as_str(), kind, kinds));
    }
    let name = str_of(rr, "name");
    if name.is_empty() {
        errs.push(FieldError::required(rp.child("name").as_str(), ""));
    } else {
        errs.extend(invalid_each(&rp.child("name"), name, path_segment_errors(name)));
    }
    for (i, s) in arr_of(obj, "subjects").iter().enumerate() {
        errs.extend(validate_subject(s, namespaced, &Path::new("subjects").index(i)));
    }
    errs
}

fn validate_subject(s: &Value, namespaced: bool, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(s, "name");
    let np = p.child("name");
    if name.is_empty() {
        errs.push(FieldError::required(np.as_str(), ""));
    }
    let api_group = str_of(s, "apiGroup");
    match str_of(s, "kind") {
        "ServiceAccount" => {
            if !name.is_empty() {
                errs.extend(invalid_each(&np, name, dns1123_subdomain_errors(name)));
            }
            if !api_group.is_empty() {
                errs.push(FieldError::not_supported(
                    p.child("apiGroup").as_str(),
                    api_group,
                    &[""],
                ));
            }
            if !namespaced && str_of(s, "namespace").is_empty() {
                errs.push(FieldError::required(p.child("namespace").as_str(), ""));
            }
        }
        k @ ("User" | "Group") => {
            if name.is_empty() {
                let what = if k == "User" { "user" } else { "group" };
                errs.push(FieldError::invalid(
                    np.as_str(),
                    name,
                    &format!("{what} name cannot be empty"),
                ));
            }
            if api_group != GROUP {
                errs.push(FieldError::not_supported(
                    p.child("apiGroup").as_str(),
                    api_group,
                    &[GROUP],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            p.child("kind").as_str(),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
    errs
}

/// Binding update: the create rules plus an immutable roleRef.
pub(super) fn validate_binding_update(
    new: &Value,
    old: &Value,
    namespaced: bool,
    meta: Vec<FieldError>,
) -> Vec<FieldError> {
    let mut errs = validate_binding(new, namespaced, Vec::new());
    errs.extend(meta);
    let (n, o) = (child(new, "roleRef"), child(old, "roleRef"));
    let changed = ["apiGroup", "kind", "name"]
        .iter()
        .any(|k| str_of(n, k) != str_of(o, k));
    if changed {
        errs.push(FieldError::invalid_rendered(
            "roleRef",
            format!(
                "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
                go_quote(str_of(n, "apiGroup")),
                go_quote(str_of(n, "kind")),
                go_quote(str_of(n, "name"))
            ),
            "cannot change roleRef",
        ));
    }
    errs
}

/// Binding defaults: the RBAC group on roleRef and on User/Group subjects.
pub(super) fn default_binding(obj: &mut Value) {
    if let Some(rr) = ensure_obj(obj, "roleRef") {
        default_field(rr, "apiGroup", json!(GROUP));
    }
    for s in each_mut(obj, "subjects") {
        if matches!(str_of(s, "kind"), "User" | "Group") {
            default_field(s, "apiGroup", json!(GROUP));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create, validate_update};
    use serde_json::{json, Value};

    const G: &str = "rbac.authorization.k8s.io";

    fn msgs(kind: &str, obj: &Value) -> Vec<String> {
        validate_create(G, kind, obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    #[test]
    fn roles() {
        let ok = json!({"metadata": {"name": "system:reader"}, "rules": [
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]});
        assert!(msgs("ClusterRole", &ok).is_empty());
        let bad = json!({"metadata": {"name": "r", "namespace": "n"}, "rules": [
            {"apiGroups": [""], "resources": ["pods", "secrets"], "resourceNames": ["x"]},
            {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}, {"verbs": ["get"]}]});
        assert_eq!(
            msgs("Role", &bad),
            vec![
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].resourceNames: Required value: resource names cannot apply to multiple resources",
                "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
                "rules[2].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[2].resources: Required value: resource rules must supply at least one resource",
            ]
        );
    }

    #[test]
    fn bindings() {
        let mut ok = json!({"metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}]});
        default_object(G, "ClusterRoleBinding", &mut ok);
        assert_eq!(ok["roleRef"]["apiGroup"], G);
        assert_eq!(ok["subjects"][0]["apiGroup"], G);
        assert!(msgs("ClusterRoleBinding", &ok).is_empty());
        let bad = json!({"metadata": {"name": "b"}, "roleRef": {"apiGroup": G, "kind": "Role"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa"}, {"kind": "Robot", "name": "r"}]});
        assert_eq!(
            msgs("ClusterRoleBinding", &bad),
            vec![
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "roleRef.name: Required value",
                "subjects[0].namespace: Required value",
                "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
            ]
        );
        let old = json!({"metadata": {"name": "b", "namespace": "n"}, "roleRef": {"apiGroup": G, "kind": "Role", "name": "a"}});
        let new = json!({"metadata": {"name": "b", "namespace": "n"}, "roleRef": {"apiGroup": G, "kind": "Role", "name": "b"}});
        let errs = validate_update(G, "RoleBinding", &new, &old);
        assert_eq!(
            errs[0].message(),
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"b\"}: cannot change roleRef"
        );
    }
}
