//! ObjectMeta validation (name, generateName, namespace, labels,
//! annotations, finalizers, ownerReferences) on create and update, plus label
//! selector validation and matching.

use super::field_error::{go_quote, go_string_map, go_string_slice, FieldError};
use super::names::{dns1123_label_errors, label_value_errors, qualified_name_errors, NameRule};
use super::value::{arr_of, get, map_of, opt_i64, opt_str, str_of, Path};
use serde_json::{Map, Value};

/// Total size limit of all annotation keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;
/// `field is immutable`.
pub const FIELD_IMMUTABLE: &str = "field is immutable";
/// `must be greater than or equal to 0`.
pub const IS_NEGATIVE: &str = "must be greater than or equal to 0";

/// Which extra ObjectMeta checks a kind gets.
#[derive(Debug, Clone, Copy)]
pub struct MetaOptions {
    /// The kind lives in a namespace.
    pub namespaced: bool,
    /// Validator for `metadata.name`.
    pub name_rule: NameRule,
}

/// Validate a label map (`ValidateLabels`).
pub fn validate_labels(labels: Option<&Map<String, Value>>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(labels) = labels else {
        return errs;
    };
    for (k, v) in labels {
        errs.extend(validate_label_key(k, path));
        let val = v.as_str().unwrap_or("");
        errs.extend(validate_label_value(val, path));
    }
    errs
}

/// Validate one label key (a qualified name).
pub fn validate_label_key(key: &str, path: &Path) -> Vec<FieldError> {
    qualified_name_errors(key)
        .into_iter()
        .map(|m| FieldError::invalid(path.as_str(), key, &m))
        .collect()
}

/// Validate one label value.
pub fn validate_label_value(value: &str, path: &Path) -> Vec<FieldError> {
    label_value_errors(value)
        .into_iter()
        .map(|m| FieldError::invalid(path.as_str(), value, &m))
        .collect()
}

/// Validate annotations: keys are case-insensitive qualified names and the
/// total size is capped at 256 KiB.
pub fn validate_annotations(ann: Option<&Map<String, Value>>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(ann) = ann else {
        return errs;
    };
    let mut total = 0usize;
    for (k, v) in ann {
        for m in qualified_name_errors(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path.as_str(), k.as_str(), &m));
        }
        total = total
            .saturating_add(k.len())
            .saturating_add(v.as_str().map_or(0, str::len));
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path.as_str(), TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

/// Validate `metadata.finalizers`: qualified names, and not both `orphan`
/// and `foregroundDeletion`.
pub fn validate_finalizers(meta: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let list = arr_of(meta, "finalizers");
    let (mut orphan, mut foreground) = (false, false);
    for f in list {
        let f = f.as_str().unwrap_or("");
        for m in qualified_name_errors(f) {
            errs.push(FieldError::invalid(path.as_str(), f, &m));
        }
        orphan |= f == "orphan";
        foreground |= f == "foregroundDeletion";
    }
    if orphan && foreground {
        errs.push(FieldError::invalid_rendered(
            path.as_str(),
            go_string_slice(get(meta, "finalizers")),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

fn go_owner_reference(r: &Value) -> String {
    let ptr_bool = |k: &str| match get(r, k).and_then(Value::as_bool) {
        Some(b) => format!("(*bool)({b})"),
        None => "(*bool)(nil)".to_string(),
    };
    format!(
        "v1.OwnerReference{{APIVersion:{}, Kind:{}, Name:{}, UID:{}, Controller:{}, BlockOwnerDeletion:{}}}",
        go_quote(str_of(r, "apiVersion")),
        go_quote(str_of(r, "kind")),
        go_quote(str_of(r, "name")),
        go_quote(str_of(r, "uid")),
        ptr_bool("controller"),
        ptr_bool("blockOwnerDeletion"),
    )
}

/// Validate `metadata.ownerReferences`.
pub fn validate_owner_references(meta: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let refs = arr_of(meta, "ownerReferences");
    let mut first_controller: Option<String> = None;
    for r in refs {
        let api_version = str_of(r, "apiVersion");
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        if version.is_empty() {
            errs.push(FieldError::invalid(
                path.child("apiVersion").as_str(),
                api_version,
                "version must not be empty",
            ));
        }
        let kind = str_of(r, "kind");
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                path.child("kind").as_str(),
                kind,
                "must not be empty",
            ));
        }
        let name = str_of(r, "name");
        if name.is_empty() {
            errs.push(FieldError::invalid(
                path.child("name").as_str(),
                name,
                "must not be empty",
            ));
        }
        let uid = str_of(r, "uid");
        if uid.is_empty() {
            errs.push(FieldError::invalid(
                path.child("uid").as_str(),
                uid,
                "must not be empty",
            ));
        }
        if group.is_empty() && version == "v1" && kind == "Event" {
            errs.push(FieldError::invalid_rendered(
                path.as_str(),
                go_owner_reference(r),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if get(r, "controller").and_then(Value::as_bool) == Some(true) {
            let cur = format!("{kind}/{name}");
            match &first_controller {
                Some(first) => {
                    let rendered: Vec<String> = refs.iter().map(go_owner_reference).collect();
                    errs.push(FieldError::invalid_rendered(
                        path.as_str(),
                        format!("[]v1.OwnerReference{{{}}}", rendered.join(", ")),
                        &format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {cur}"),
                    ));
                }
                None => first_controller = Some(cur),
            }
        }
    }
    errs
}

/// Validate `metadata` of a new object.
pub fn validate_object_meta(obj: &Value, opts: MetaOptions) -> Vec<FieldError> {
    let path = Path::new("metadata");
    let empty = Value::Object(Map::new());
    let meta = get(obj, "metadata").unwrap_or(&empty);
    let mut errs = Vec::new();

    let generate_name = str_of(meta, "generateName");
    if !generate_name.is_empty() {
        for m in opts.name_rule.errors(generate_name, true) {
            errs.push(FieldError::invalid(
                path.child("generateName").as_str(),
                generate_name,
                &m,
            ));
        }
    }
    let name = str_of(meta, "name");
    if name.is_empty() {
        errs.push(FieldError::required(
            path.child("name").as_str(),
            "name or generateName is required",
        ));
    } else {
        for m in opts.name_rule.errors(name, false) {
            errs.push(FieldError::invalid(path.child("name").as_str(), name, &m));
        }
    }
    errs.extend(validate_meta_common(meta, opts.namespaced, &path));
    errs
}

fn validate_meta_common(meta: &Value, namespaced: bool, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let namespace = str_of(meta, "namespace");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required(path.child("namespace").as_str(), ""));
        } else {
            for m in dns1123_label_errors(namespace) {
                errs.push(FieldError::invalid(
                    path.child("namespace").as_str(),
                    namespace,
                    &m,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            path.child("namespace").as_str(),
            "not allowed on this type",
        ));
    }
    if let Some(g) = opt_i64(meta, "generation") {
        if g < 0 {
            errs.push(FieldError::invalid(
                path.child("generation").as_str(),
                g,
                IS_NEGATIVE,
            ));
        }
    }
    errs.extend(validate_labels(map_of(meta, "labels"), &path.child("labels")));
    errs.extend(validate_annotations(
        map_of(meta, "annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(meta, &path.child("ownerReferences")));
    errs.extend(validate_finalizers(meta, &path.child("finalizers")));
    errs
}

/// Render an RFC 3339 timestamp the way Go prints a `metav1.Time`
/// (`2024-05-01 10:00:00 +0000 UTC`).
fn go_time(v: Option<&Value>) -> String {
    let Some(s) = v.and_then(Value::as_str) else {
        return "0001-01-01 00:00:00 +0000 UTC".to_string();
    };
    let Some((date, rest)) = s.split_once('T') else {
        return s.to_string();
    };
    let time = rest.trim_end_matches('Z');
    format!("{date} {time} +0000 UTC")
}

fn immutable(
    errs: &mut Vec<FieldError>,
    path: &Path,
    new: Option<&Value>,
    old: Option<&Value>,
    render: fn(Option<&Value>) -> FieldError,
) {
    let norm = |v: Option<&Value>| v.filter(|x| !x.is_null() && x.as_str() != Some("")).cloned();
    if norm(new) != norm(old) {
        let mut e = render(new);
        e.field = path.as_str().to_string();
        errs.push(e);
    }
}

/// Validate `metadata` changes on update.
pub fn validate_object_meta_update(new: &Value, old: &Value, opts: MetaOptions) -> Vec<FieldError> {
    let path = Path::new("metadata");
    let empty = Value::Object(Map::new());
    let nm = get(new, "metadata").unwrap_or(&empty);
    let om = get(old, "metadata").unwrap_or(&empty);
    let mut errs = Vec::new();

    if opt_str(om, "deletionTimestamp").is_some() {
        let old_f: Vec<&str> = arr_of(om, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut extra: Vec<&str> = arr_of(nm, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .filter(|f| !old_f.contains(f))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        if !extra.is_empty() {
            let list: Vec<Value> = extra.iter().map(|s| Value::from(*s)).collect();
            errs.push(FieldError::forbidden(
                path.child("finalizers").as_str(),
                &format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers {}",
                    go_string_slice(Some(&Value::Array(list)))
                ),
            ));
        }
    }
    let new_gen = opt_i64(nm, "generation").unwrap_or(0);
    if new_gen < opt_i64(om, "generation").unwrap_or(0) {
        errs.push(FieldError::invalid(
            path.child("generation").as_str(),
            new_gen,
            "must not be decremented",
        ));
    }
    let as_string =
        |v: Option<&Value>| FieldError::invalid("", v.and_then(Value::as_str).unwrap_or(""), FIELD_IMMUTABLE);
    immutable(
        &mut errs,
        &path.child("name"),
        get(nm, "name"),
        get(om, "name"),
        as_string,
    );
    immutable(
        &mut errs,
        &path.child("namespace"),
        get(nm, "namespace"),
        get(om, "namespace"),
        as_string,
    );
    immutable(
        &mut errs,
        &path.child("uid"),
        get(nm, "uid"),
        get(om, "uid"),
        as_string,
    );
    immutable(
        &mut errs,
        &path.child("creationTimestamp"),
        get(nm, "creationTimestamp"),
        get(om, "creationTimestamp"),
        |v| FieldError::invalid_rendered("", go_time(v), FIELD_IMMUTABLE),
    );
    immutable(
        &mut errs,
        &path.child("deletionTimestamp"),
        get(nm, "deletionTimestamp"),
        get(om, "deletionTimestamp"),
        |v| match v {
            Some(t) if !t.is_null() => FieldError::invalid_rendered("", go_time(Some(t)), FIELD_IMMUTABLE),
            _ => FieldError::invalid("", "null", FIELD_IMMUTABLE),
        },
    );
    immutable(
        &mut errs,
        &path.child("deletionGracePeriodSeconds"),
        get(nm, "deletionGracePeriodSeconds"),
        get(om, "deletionGracePeriodSeconds"),
        |v| match v.and_then(Value::as_i64) {
            Some(n) => FieldError::invalid("", n, FIELD_IMMUTABLE),
            None => FieldError::invalid("", "null", FIELD_IMMUTABLE),
        },
    );
    errs.extend(validate_labels(map_of(nm, "labels"), &path.child("labels")));
    errs.extend(validate_annotations(
        map_of(nm, "annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(nm, &path.child("ownerReferences")));
    errs.extend(validate_finalizers(nm, &path.child("finalizers")));
    let _ = opts;
    errs
}

/// Validate a `metav1.LabelSelector` (matchLabels and matchExpressions).
pub fn validate_label_selector(sel: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(sel) = sel.filter(|s| s.is_object()) else {
        return errs;
    };
    errs.extend(validate_labels(
        map_of(sel, "matchLabels"),
        &path.child("matchLabels"),
    ));
    for (i, expr) in arr_of(sel, "matchExpressions").iter().enumerate() {
        let p = path.child("matchExpressions").index(i);
        let values = arr_of(expr, "values");
        let op = str_of(expr, "operator");
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        p.child("values").as_str(),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        p.child("values").as_str(),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                p.child("operator").as_str(),
                op,
                "not a valid selector operator",
            )),
        }
        errs.extend(validate_label_key(str_of(expr, "key"), &p.child("key")));
        for (j, v) in values.iter().enumerate() {
            let v = v.as_str().unwrap_or("");
            errs.extend(validate_label_value(v, &p.child("values").index(j)));
        }
    }
    errs
}

/// How a label selector behaves once converted for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorKind {
    /// A nil selector: matches nothing, and is not "empty".
    Nothing,
    /// `{}`: matches everything and counts as empty.
    Everything,
    /// A selector with requirements.
    Some,
}

/// Classify a selector the way `LabelSelectorAsSelector` would.
pub fn selector_kind(sel: Option<&Value>) -> SelectorKind {
    match sel {
        Some(s) if s.is_object() => {
            let n = map_of(s, "matchLabels").map_or(0, Map::len) + arr_of(s, "matchExpressions").len();
            if n == 0 {
                SelectorKind::Everything
            } else {
                SelectorKind::Some
            }
        }
        _ => SelectorKind::Nothing,
    }
}

/// True when `labels` satisfy the selector (a nil selector matches nothing).
pub fn selector_matches(sel: Option<&Value>, labels: Option<&Map<String, Value>>) -> bool {
    let Some(sel) = sel.filter(|s| s.is_object()) else {
        return false;
    };
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    if let Some(ml) = map_of(sel, "matchLabels") {
        for (k, v) in ml {
            if label(k) != v.as_str() {
                return false;
            }
        }
    }
    for expr in arr_of(sel, "matchExpressions") {
        let key = str_of(expr, "key");
        let values: Vec<&str> = arr_of(expr, "values").iter().filter_map(Value::as_str).collect();
        let ok = match str_of(expr, "operator") {
            "In" => label(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The shared "selector must match the pod template labels" check of the
/// workload kinds; `None` when the template matches.
pub fn selector_template_mismatch(
    sel: Option<&Value>,
    template: Option<&Value>,
    template_path: &Path,
) -> Option<FieldError> {
    let labels = template
        .and_then(|t| get(t, "metadata"))
        .and_then(|m| map_of(m, "labels"));
    if selector_kind(sel) == SelectorKind::Everything || selector_matches(sel, labels) {
        return None;
    }
    let label_value = labels.map(|l| Value::Object(l.clone()));
    Some(FieldError::invalid_rendered(
        template_path.child("metadata").child("labels").as_str(),
        go_string_map(label_value.as_ref()),
        "`selector` does not match template `labels`",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts() -> MetaOptions {
        MetaOptions {
            namespaced: true,
            name_rule: NameRule::Dns1123Subdomain,
        }
    }

    #[test]
    fn name_required_unless_generate_name() {
        let errs = validate_object_meta(&json!({"metadata": {"namespace": "ns"}}), opts());
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].message(),
            "metadata.name: Required value: name or generateName is required"
        );
    }

    #[test]
    fn bad_generate_name() {
        let errs = validate_object_meta(
            &json!({"metadata": {"namespace": "ns", "name": "ok", "generateName": "Bad_"}}),
            opts(),
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "metadata.generateName");
        assert!(errs[0]
            .message()
            .starts_with("metadata.generateName: Invalid value: \"Bad_\": a lowercase RFC 1123 subdomain"));
    }

    #[test]
    fn namespace_rules() {
        let errs = validate_object_meta(&json!({"metadata": {"name": "a"}}), opts());
        assert_eq!(errs[0].message(), "metadata.namespace: Required value");
        let cluster = MetaOptions {
            namespaced: false,
            name_rule: NameRule::Dns1123Subdomain,
        };
        let errs = validate_object_meta(&json!({"metadata": {"name": "a", "namespace": "x"}}), cluster);
        assert_eq!(
            errs[0].message(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
    }

    #[test]
    fn labels_and_annotations() {
        let obj = json!({"metadata": {"name": "a", "namespace": "n", "labels": {"bad key": "v", "k": "bad value"}}});
        let errs = validate_object_meta(&obj, opts());
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.field == "metadata.labels"));
        let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let obj = json!({"metadata": {"name": "a", "namespace": "n", "annotations": {"k": big}}});
        let errs = validate_object_meta(&obj, opts());
        assert_eq!(
            errs[0].message(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert_eq!(errs[0].reason(), "FieldValueTooLong");
    }

    #[test]
    fn finalizers_and_owners() {
        let obj = json!({"metadata": {"name": "a", "namespace": "n", "finalizers": ["orphan", "foregroundDeletion", "a/b/c"]}});
        let errs = validate_object_meta(&obj, opts());
        assert_eq!(errs.len(), 2);
        assert_eq!(
            errs[1].message(),
            "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\", \"a/b/c\"}: finalizer orphan and foregroundDeletion cannot be both set"
        );
        let obj = json!({"metadata": {"name": "a", "namespace": "n", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r"}]}});
        let errs = validate_object_meta(&obj, opts());
        assert_eq!(
            errs[0].message(),
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty"
        );
    }

    #[test]
    fn update_immutability() {
        let old = json!({"metadata": {"name": "a", "namespace": "n", "uid": "1", "creationTimestamp": "2024-05-01T10:00:00Z"}});
        let new = json!({"metadata": {"name": "b", "namespace": "n", "uid": "2", "creationTimestamp": "2024-05-01T10:00:01Z"}});
        let errs = validate_object_meta_update(&new, &old, opts());
        let msgs: Vec<String> = errs.iter().map(FieldError::message).collect();
        assert_eq!(msgs, vec![
            "metadata.name: Invalid value: \"b\": field is immutable".to_string(),
            "metadata.uid: Invalid value: \"2\": field is immutable".to_string(),
            "metadata.creationTimestamp: Invalid value: 2024-05-01 10:00:01 +0000 UTC: field is immutable".to_string(),
        ]);
    }

    #[test]
    fn no_new_finalizers_while_deleting() {
        let old = json!({"metadata": {"name": "a", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["x/a"]}});
        let new = json!({"metadata": {"name": "a", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["x/a", "x/b"]}});
        let errs = validate_object_meta_update(&new, &old, opts());
        assert_eq!(
            errs[0].message(),
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"x/b\"}"
        );
    }

    #[test]
    fn selectors() {
        let sel = json!({"matchLabels": {"app": "x"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]});
        assert!(selector_matches(
            Some(&sel),
            json!({"app": "x", "tier": "b"}).as_object()
        ));
        assert!(!selector_matches(Some(&sel), json!({"app": "x"}).as_object()));
        assert!(!selector_matches(None, None));
        let bad =
            json!({"matchExpressions": [{"key": "k", "operator": "Foo"}, {"key": "k", "operator": "In"}]});
        let errs = validate_label_selector(Some(&bad), &Path::new("spec").child("selector"));
        let msgs: Vec<String> = errs.iter().map(FieldError::message).collect();
        assert_eq!(msgs, vec![
            "spec.selector.matchExpressions[0].operator: Invalid value: \"Foo\": not a valid selector operator".to_string(),
            "spec.selector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'".to_string(),
        ]);
    }
}
