//! The plugin's configuration (kube's `ResourceQuotaConfiguration`): limited resources,
//! which may only be consumed where a quota covers them. An object of a limited resource
//! whose usage names one of `matchContains` is refused unless a quota limits that usage;
//! a pod in one of `matchScopes` is refused unless a quota has that scope.

use serde_json::Value;

use super::scopes::Selector;

/// One limited resource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limited {
    /// The API group of the resource.
    pub group: String,
    /// The resource.
    pub resource: String,
    /// Substrings of usage names that must be covered by a quota.
    pub match_contains: Vec<String>,
    /// Scopes that must be covered by a quota.
    pub match_scopes: Vec<Selector>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

/// Reads the configuration (`Null`: none); `Err` in kube's words when a limited resource
/// names no resource.
pub fn parse(config: &Value) -> Result<Vec<Limited>, String> {
    let items = config.get("limitedResources").and_then(Value::as_array);
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, item) in items.into_iter().flatten().enumerate() {
        let field = |f: &str| item.get(f).and_then(Value::as_str).unwrap_or("").to_string();
        let limited = Limited {
            group: field("apiGroup"),
            resource: field("resource"),
            match_contains: strings(item.get("matchContains")),
            match_scopes: item
                .get("matchScopes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|s| Selector {
                    scope: s.get("scopeName").and_then(Value::as_str).unwrap_or("").into(),
                    operator: s.get("operator").and_then(Value::as_str).unwrap_or("").into(),
                    values: strings(s.get("values")),
                })
                .collect(),
        };
        if limited.resource.is_empty() {
            errs.push(format!("limitedResources[{i}].resource: Required value"));
        }
        out.push(limited);
    }
    match errs.as_slice() {
        [] => Ok(out),
        [one] => Err(one.clone()),
        many => Err(format!("[{}]", many.join(", "))),
    }
}

/// A selector as Go's `%v` prints one: `{PriorityClass In [a b]}`.
pub fn go_format(s: &Selector) -> String {
    format!("{{{} {} [{}]}}", s.scope, s.operator, s.values.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_limited_resources_and_refuses_one_without_a_resource() {
        let c = json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "ResourceQuotaConfiguration",
            "limitedResources": [{"resource": "pods", "matchContains": ["cpu"],
                "matchScopes": [{"scopeName": "PriorityClass", "operator": "In", "values": ["a", "b"]}]}]});
        let got = parse(&c).unwrap();
        assert_eq!(got[0].resource, "pods");
        assert_eq!(got[0].match_contains, ["cpu"]);
        assert_eq!(go_format(&got[0].match_scopes[0]), "{PriorityClass In [a b]}");
        assert_eq!(parse(&Value::Null).unwrap(), Vec::new());
        assert_eq!(
            parse(&json!({"limitedResources": [{"apiGroup": "apps"}]})).unwrap_err(),
            "limitedResources[0].resource: Required value"
        );
    }
}
