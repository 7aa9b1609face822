//! A PolicyRule and how kube's RBAC matches a request against it: verbs, API groups,
//! `resource/subresource` and `*/subresource`, resource names, and non-resource URLs with a
//! trailing `*`.

use std::fmt;

use serde_json::{json, Value};

use crate::authz::Attributes;

/// One rule of a Role or ClusterRole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyRule {
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `resourceNames`.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`.
    pub non_resource_urls: Vec<String>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn has(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == want)
}

fn has_all(list: &[String]) -> bool {
    has(list, "*")
}

impl PolicyRule {
    /// The rule as stored (`rules[i]` of a role).
    pub fn from_json(v: &Value) -> Self {
        PolicyRule {
            verbs: strings(v, "verbs"),
            api_groups: strings(v, "apiGroups"),
            resources: strings(v, "resources"),
            resource_names: strings(v, "resourceNames"),
            non_resource_urls: strings(v, "nonResourceURLs"),
        }
    }

    /// The rules of a role object (`rules`), in order.
    pub fn all_of(role: &Value) -> Vec<PolicyRule> {
        role.get("rules")
            .and_then(Value::as_array)
            .map(|rules| rules.iter().map(PolicyRule::from_json).collect())
            .unwrap_or_default()
    }

    /// The rule as the API writes it: empty lists left out, as kube's `omitempty` does.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("verbs".into(), json!(self.verbs));
        for (key, list) in [
            ("apiGroups", &self.api_groups),
            ("resources", &self.resources),
            ("resourceNames", &self.resource_names),
            ("nonResourceURLs", &self.non_resource_urls),
        ] {
            if !list.is_empty() {
                m.insert(key.into(), json!(list));
            }
        }
        Value::Object(m)
    }

    /// Whether the rule allows what `attrs` ask (kube's `RuleAllows`).
    pub fn allows(&self, attrs: &Attributes<'_>) -> bool {
        if !self.verb_matches(attrs.verb) {
            return false;
        }
        if attrs.resource_request {
            self.api_group_matches(attrs.group)
                && self.resource_matches(attrs.resource, attrs.subresource)
                && self.resource_name_matches(attrs.name)
        } else {
            self.non_resource_url_matches(attrs.path)
        }
    }

    fn verb_matches(&self, verb: &str) -> bool {
        has_all(&self.verbs) || has(&self.verbs, verb)
    }

    fn api_group_matches(&self, group: &str) -> bool {
        has_all(&self.api_groups) || has(&self.api_groups, group)
    }

    /// `*`, the exact `resource` or `resource/subresource`, or `*/subresource`.
    fn resource_matches(&self, resource: &str, subresource: &str) -> bool {
        self.resources.iter().any(|r| {
            if r == "*" {
                return true;
            }
            if subresource.is_empty() {
                return r == resource;
            }
            match r.split_once('/') {
                Some((res, sub)) => sub == subresource && (res == resource || res == "*"),
                None => false,
            }
        })
    }

    /// No names allow every name; otherwise the request's name must be listed (a request
    /// without a name, a list, never matches a rule with names).
    fn resource_name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || has(&self.resource_names, name)
    }

    /// `*`, the exact path, or a prefix ending in `*`.
    fn non_resource_url_matches(&self, path: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            u == "*" || u == path || u.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix))
        })
    }
}

/// kube's compact form of a rule (`{APIGroups:["apps"], Resources:["deployments"],
/// Verbs:["get"]}`), which escalation refusals list.
impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |list: &[String]| {
            list.iter()
                .map(|s| crate::validation::go_quote(s))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut parts = Vec::new();
        for (name, list) in [
            ("APIGroups", &self.api_groups),
            ("Resources", &self.resources),
            ("NonResourceURLs", &self.non_resource_urls),
            ("ResourceNames", &self.resource_names),
            ("Verbs", &self.verbs),
        ] {
            if !list.is_empty() {
                parts.push(format!("{name}:[{}]", quoted(list)));
            }
        }
        write!(f, "{{{}}}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(v: Value) -> PolicyRule {
        PolicyRule::from_json(&v)
    }

    fn res<'a>(
        verb: &'a str,
        group: &'a str,
        resource: &'a str,
        sub: &'a str,
        name: &'a str,
    ) -> Attributes<'a> {
        Attributes {
            verb,
            resource_request: true,
            group,
            resource,
            subresource: sub,
            name,
            namespace: "ns",
            path: "",
            field_selector: "",
            api_version: "",
        }
    }

    fn path(verb: &str, p: &str) -> Attributes<'static> {
        Attributes {
            verb: Box::leak(verb.to_string().into_boxed_str()),
            path: Box::leak(p.to_string().into_boxed_str()),
            ..Default::default()
        }
    }

    #[test]
    fn resources_subresources_and_wildcards() {
        let pods = rule(json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}));
        assert!(pods.allows(&res("get", "", "pods", "", "p")));
        assert!(
            !pods.allows(&res("get", "", "pods", "log", "p")),
            "a subresource needs its own rule"
        );
        assert!(!pods.allows(&res("delete", "", "pods", "", "p")));
        assert!(!pods.allows(&res("get", "apps", "pods", "", "p")));

        let logs = rule(json!({"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]}));
        assert!(logs.allows(&res("get", "", "pods", "log", "p")));
        assert!(!logs.allows(&res("get", "", "pods", "", "p")));

        let any_status = rule(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*/status"]}));
        assert!(any_status.allows(&res("update", "apps", "deployments", "status", "d")));
        assert!(!any_status.allows(&res("update", "apps", "deployments", "", "d")));
        assert!(!any_status.allows(&res("update", "apps", "deployments", "scale", "d")));

        let all = rule(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}));
        assert!(all.allows(&res("patch", "x.io", "widgets", "status", "w")));
        assert!(
            !all.allows(&path("get", "/healthz")),
            "resource rules never open paths"
        );
    }

    #[test]
    fn resource_names_exclude_unnamed_requests() {
        let one = rule(
            json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}),
        );
        assert!(one.allows(&res("get", "", "configmaps", "", "a")));
        assert!(!one.allows(&res("get", "", "configmaps", "", "b")));
        assert!(!one.allows(&res("list", "", "configmaps", "", "")));
    }

    #[test]
    fn non_resource_urls_with_trailing_star() {
        let r = rule(json!({"verbs": ["get"], "nonResourceURLs": ["/healthz", "/apis/*"]}));
        assert!(r.allows(&path("get", "/healthz")));
        assert!(!r.allows(&path("get", "/healthz/etcd")));
        assert!(r.allows(&path("get", "/apis/apps")));
        assert!(!r.allows(&path("get", "/apis")), "the prefix keeps its slash");
        assert!(!r.allows(&path("post", "/healthz")));
        assert!(!r.allows(&res("get", "", "healthz", "", "")));
    }

    #[test]
    fn kube_string_form() {
        let r = rule(
            json!({"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["d"]}),
        );
        assert_eq!(
            r.to_string(),
            r#"{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["d"], Verbs:["get" "list"]}"#
        );
        let u = rule(json!({"verbs": ["get"], "nonResourceURLs": ["/metrics"]}));
        assert_eq!(u.to_string(), r#"{NonResourceURLs:["/metrics"], Verbs:["get"]}"#);
    }
}
