//! apiextensions.k8s.io/v1 CustomResourceDefinition: the structural rules
//! (name, group, scope, names, versions, conversion, stored versions).
//! OpenAPI schemas are only required to be present, not checked for
//! structural soundness.

use super::super::field_error::{go_quote, FieldError};
use super::super::names::{dns1035_label_errors, dns1123_subdomain_errors};
use super::super::value::{arr_of, default_field, each_mut, ensure_obj, get, opt_str, str_of, Path};
use super::common::{child, client_config, immutable_str, insert_name_errors, is_set};
use serde_json::{json, Value};

/// `%#v`-like rendering of the versions list (Kubernetes prints pointer
/// addresses here, which cannot be reproduced; names and flags are kept).
fn go_versions(versions: &[Value]) -> String {
    let inner: Vec<String> = versions
        .iter()
        .map(|v| {
            format!(
                "apiextensions.CustomResourceDefinitionVersion{{Name:{}, Served:{}, Storage:{}}}",
                go_quote(str_of(v, "name")),
                get(v, "served").and_then(Value::as_bool).unwrap_or(false),
                get(v, "storage").and_then(Value::as_bool).unwrap_or(false),
            )
        })
        .collect();
    format!(
        "[]apiextensions.CustomResourceDefinitionVersion{{{}}}",
        inner.join(", ")
    )
}

fn dns1035_joined(p: &Path, value: &str, lower: bool, mixed_case: bool) -> Vec<FieldError> {
    let checked = if lower {
        value.to_lowercase()
    } else {
        value.to_string()
    };
    let e = dns1035_label_errors(&checked);
    if value.is_empty() || e.is_empty() {
        return Vec::new();
    }
    let detail = if mixed_case {
        format!("may have mixed case, but should otherwise match: {}", e.join(","))
    } else {
        e.join(",")
    };
    vec![FieldError::invalid(p.as_str(), value, &detail)]
}

fn validate_names(names: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(dns1035_joined(
        &p.child("plural"),
        str_of(names, "plural"),
        false,
        false,
    ));
    errs.extend(dns1035_joined(
        &p.child("singular"),
        str_of(names, "singular"),
        false,
        false,
    ));
    errs.extend(dns1035_joined(
        &p.child("kind"),
        str_of(names, "kind"),
        true,
        true,
    ));
    errs.extend(dns1035_joined(
        &p.child("listKind"),
        str_of(names, "listKind"),
        true,
        true,
    ));
    for (i, s) in arr_of(names, "shortNames").iter().enumerate() {
        let s = s.as_str().unwrap_or("");
        let e = dns1035_label_errors(s);
        if !e.is_empty() {
            errs.push(FieldError::invalid(
                p.child("shortNames").index(i).as_str(),
                s,
                &e.join(","),
            ));
        }
    }
    let (kind, list_kind) = (str_of(names, "kind"), str_of(names, "listKind"));
    if !kind.is_empty() && kind == list_kind {
        errs.push(FieldError::invalid(
            p.child("listKind").as_str(),
            list_kind,
            "kind and listKind may not be the same",
        ));
    }
    for (i, c) in arr_of(names, "categories").iter().enumerate() {
        let c = c.as_str().unwrap_or("");
        let e = dns1035_label_errors(c);
        if !e.is_empty() {
            errs.push(FieldError::invalid(
                p.child("categories").index(i).as_str(),
                c,
                &e.join(","),
            ));
        }
    }
    errs
}

/// CRD create rules.
pub(super) fn validate_crd(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let names = child(spec, "names");
    let required = format!("{}.{}", str_of(names, "plural"), str_of(spec, "group"));
    let meta = child(obj, "metadata");
    let mut extra = Vec::new();
    for key in ["generateName", "name"] {
        let n = str_of(meta, key);
        if !n.is_empty() && n != required {
            extra.push(FieldError::invalid(
                Path::new("metadata").child(key).as_str(),
                n,
                "must be spec.names.plural+\".\"+spec.group",
            ));
        }
    }
    insert_name_errors(&mut errs, extra);
    errs.extend(validate_spec(spec));
    let status = child(obj, "status");
    errs.extend(validate_names(
        child(status, "acceptedNames"),
        &Path::new("status").child("acceptedNames"),
    ));
    errs.extend(validate_stored_versions(
        arr_of(status, "storedVersions"),
        arr_of(spec, "versions"),
    ));
    errs
}

fn validate_spec(spec: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let sp = Path::new("spec");
    let group = str_of(spec, "group");
    let gp = sp.child("group");
    if group.is_empty() {
        errs.push(FieldError::required(gp.as_str(), ""));
    } else {
        let e = dns1123_subdomain_errors(group);
        if !e.is_empty() {
            errs.push(FieldError::invalid(gp.as_str(), group, &e.join(",")));
        } else if !group.contains('.') {
            errs.push(FieldError::invalid(
                gp.as_str(),
                group,
                "should be a domain with at least one dot",
            ));
        }
    }
    match str_of(spec, "scope") {
        "" => errs.push(FieldError::required(sp.child("scope").as_str(), "")),
        "Cluster" | "Namespaced" => {}
        s => errs.push(FieldError::not_supported(
            sp.child("scope").as_str(),
            s,
            &["Cluster", "Namespaced"],
        )),
    }
    let versions = arr_of(spec, "versions");
    let vp = sp.child("versions");
    let mut storage = 0;
    let mut unique = true;
    let mut seen: Vec<&str> = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let name = str_of(v, "name");
        if get(v, "storage").and_then(Value::as_bool).unwrap_or(false) {
            storage += 1;
        }
        if seen.contains(&name) {
            unique = false;
        } else {
            seen.push(name);
        }
        let e = dns1035_label_errors(name);
        if !e.is_empty() {
            errs.push(FieldError::invalid(
                vp.index(i).child("name").as_str(),
                name,
                &e.join(","),
            ));
        }
        let has_schema = get(v, "schema").is_some_and(|s| is_set(s, "openAPIV3Schema"));
        if !has_schema {
            errs.push(FieldError::required(
                vp.index(i).child("schema").child("openAPIV3Schema").as_str(),
                "schemas are required",
            ));
        }
    }
    if !unique {
        errs.push(FieldError::invalid_rendered(
            vp.as_str(),
            go_versions(versions),
            "must contain unique version names",
        ));
    }
    if storage != 1 {
        errs.push(FieldError::invalid_rendered(
            vp.as_str(),
            go_versions(versions),
            "must have exactly one version marked as storage version",
        ));
    }
    let names = child(spec, "names");
    let np = sp.child("names");
    for key in ["plural", "singular", "kind", "listKind"] {
        if str_of(names, key).is_empty() {
            errs.push(FieldError::required(np.child(key).as_str(), ""));
        }
    }
    errs.extend(validate_names(names, &np));
    if let Some(conv) = get(spec, "conversion").filter(|c| c.is_object()) {
        let cp = sp.child("conversion");
        match str_of(conv, "strategy") {
            "" => errs.push(FieldError::required(cp.child("strategy").as_str(), "")),
            "None" => {
                if is_set(conv, "webhook") {
                    errs.push(FieldError::forbidden(
                        cp.child("webhookClientConfig").as_str(),
                        "should not be set when strategy is not set to Webhook",
                    ));
                }
            }
            "Webhook" => match get(conv, "webhook")
                .and_then(|w| get(w, "clientConfig"))
                .filter(|c| c.is_object())
            {
                None => errs.push(FieldError::required(
                    cp.child("webhookClientConfig").as_str(),
                    "required when strategy is set to Webhook",
                )),
                Some(cc) => errs.extend(client_config(&cp.child("webhookClientConfig"), cc, true)),
            },
            s => errs.push(FieldError::not_supported(
                cp.child("strategy").as_str(),
                s,
                &["None", "Webhook"],
            )),
        }
    }
    errs
}

fn validate_stored_versions(stored: &[Value], versions: &[Value]) -> Vec<FieldError> {
    let p = Path::new("status").child("storedVersions");
    if stored.is_empty() {
        return vec![FieldError::invalid_rendered(
            p.as_str(),
            "[]string(nil)".to_string(),
            "must have at least one stored version",
        )];
    }
    let mut errs = Vec::new();
    let stored: Vec<&str> = stored.iter().map(|v| v.as_str().unwrap_or("")).collect();
    for v in versions {
        let name = str_of(v, "name");
        if get(v, "storage").and_then(Value::as_bool).unwrap_or(false) && !stored.contains(&name) {
            errs.push(FieldError::invalid_rendered(
                p.as_str(),
                go_versions(std::slice::from_ref(v)),
                &format!("must have the storage version {name}"),
            ));
        }
    }
    for (i, s) in stored.iter().enumerate() {
        if !versions.iter().any(|v| str_of(v, "name") == *s) {
            errs.push(FieldError::invalid(
                p.index(i).as_str(),
                *s,
                "must appear in spec.versions",
            ));
        }
    }
    errs
}

/// CRD update: the create rules plus immutable group and plural, and scope
/// and kind once the CRD is established.
pub(super) fn validate_crd_update(new: &Value, old: &Value, errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut errs = validate_crd(new, errs);
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    let established = arr_of(child(old, "status"), "conditions")
        .iter()
        .any(|c| str_of(c, "type") == "Established" && str_of(c, "status") == "True");
    let sp = Path::new("spec");
    if established {
        immutable_str(&mut errs, &sp.child("scope"), ns, os, "scope");
        immutable_str(
            &mut errs,
            &sp.child("names").child("kind"),
            child(ns, "names"),
            child(os, "names"),
            "kind",
        );
    }
    immutable_str(&mut errs, &sp.child("group"), ns, os, "group");
    immutable_str(
        &mut errs,
        &sp.child("names").child("plural"),
        child(ns, "names"),
        child(os, "names"),
        "plural",
    );
    errs
}

/// CRD defaults: conversion strategy, singular and list kind names, the
/// stored version, and webhook service ports.
pub(super) fn default_crd(obj: &mut Value) {
    let mut storage = None;
    if let Some(spec) = ensure_obj(obj, "spec") {
        if let Some(conv) = ensure_obj(spec, "conversion") {
            default_field(conv, "strategy", json!("None"));
            if let Some(svc) = conv
                .get_mut("webhook")
                .and_then(|w| w.get_mut("clientConfig"))
                .and_then(|c| c.get_mut("service"))
                .filter(|s| s.is_object())
            {
                default_field(svc, "port", json!(443));
            }
        }
        if let Some(names) = ensure_obj(spec, "names") {
            let kind = str_of(names, "kind").to_string();
            default_field(names, "singular", json!(kind.to_lowercase()));
            if !kind.is_empty() {
                default_field(names, "listKind", json!(format!("{kind}List")));
            }
        }
        for v in each_mut(spec, "versions") {
            if storage.is_none() && get(v, "storage").and_then(Value::as_bool) == Some(true) {
                storage = opt_str(v, "name").map(str::to_string);
            }
        }
    }
    let stored_empty = get(obj, "status").is_none_or(|s| arr_of(s, "storedVersions").is_empty());
    if let (Some(name), true) = (storage, stored_empty) {
        if let Some(status) = ensure_obj(obj, "status") {
            if let Some(m) = status.as_object_mut() {
                m.insert("storedVersions".to_string(), json!([name]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create, validate_update};
    use serde_json::{json, Value};

    const G: &str = "apiextensions.k8s.io";

    fn crd() -> Value {
        json!({"metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]}})
    }

    fn msgs(obj: &Value) -> Vec<String> {
        validate_create(G, "CustomResourceDefinition", obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    #[test]
    fn valid_crd() {
        let mut ok = crd();
        default_object(G, "CustomResourceDefinition", &mut ok);
        assert_eq!(ok["spec"]["names"]["singular"], "widget");
        assert_eq!(ok["spec"]["names"]["listKind"], "WidgetList");
        assert_eq!(ok["spec"]["conversion"]["strategy"], "None");
        assert_eq!(ok["status"]["storedVersions"], json!(["v1"]));
        assert!(msgs(&ok).is_empty(), "{:?}", msgs(&ok));
    }

    #[test]
    fn refused_crd() {
        let mut bad = crd();
        bad["metadata"]["name"] = json!("gadgets.example.com");
        bad["spec"]["group"] = json!("example");
        bad["spec"]["scope"] = json!("Global");
        bad["spec"]["versions"] = json!([{"name": "v1", "storage": false, "schema": {"openAPIV3Schema": {}}},
            {"name": "V2", "storage": false}]);
        default_object(G, "CustomResourceDefinition", &mut bad);
        let m = msgs(&bad);
        assert_eq!(m[0], "metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group");
        assert_eq!(
            m[1],
            "spec.group: Invalid value: \"example\": should be a domain with at least one dot"
        );
        assert_eq!(
            m[2],
            "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\""
        );
        assert!(m[3].starts_with("spec.versions[1].name: Invalid value: \"V2\": a DNS-1035 label"));
        assert_eq!(
            m[4],
            "spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required"
        );
        assert!(m[5].ends_with(": must have exactly one version marked as storage version"));
        assert_eq!(
            m[6],
            "status.storedVersions: Invalid value: []string(nil): must have at least one stored version"
        );
        let mut renamed = crd();
        renamed["spec"]["names"]["plural"] = json!("gizmos");
        renamed["metadata"]["name"] = json!("widgets.example.com");
        default_object(G, "CustomResourceDefinition", &mut renamed);
        let mut old = crd();
        default_object(G, "CustomResourceDefinition", &mut old);
        let errs: Vec<String> = validate_update(G, "CustomResourceDefinition", &renamed, &old)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(
            errs.last().map(String::as_str),
            Some("spec.names.plural: Invalid value: \"gizmos\": field is immutable")
        );
    }
}
