//! ClusterRole aggregation: the rules an aggregating ClusterRole holds are those of every
//! ClusterRole its selectors match, in selector order, then by role name, then in rule
//! order, exact repeats dropped, as kube's aggregation controller gathers them.

use serde_json::Value;

use crate::api;
use crate::selectors::label::LabelSelector;

/// Whether `role` has an `aggregationRule`.
pub fn is_aggregating(role: &Value) -> bool {
    role.get("aggregationRule").is_some_and(|a| !a.is_null())
}

/// The rules `role` aggregates from the ClusterRoles in `all`, as kube's controller orders
/// them; `None` when a selector is not valid.
pub fn aggregated_rules(role: &Value, all: &[&Value]) -> Option<Vec<Value>> {
    let name = api::name(role);
    let mut rules: Vec<Value> = Vec::new();
    let selectors = role
        .pointer("/aggregationRule/clusterRoleSelectors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for s in &selectors {
        let selector = LabelSelector::from_label_selector_json(s).ok()?;
        let mut matching: Vec<&Value> = all
            .iter()
            .copied()
            .filter(|r| api::name(r) != name)
            .filter(|r| selector.matches(r.pointer("/metadata/labels")))
            .collect();
        matching.sort_by(|a, b| api::name(a).cmp(api::name(b)));
        for r in matching {
            for rule in r.get("rules").and_then(Value::as_array).into_iter().flatten() {
                if !rules.contains(rule) {
                    rules.push(rule.clone());
                }
            }
        }
    }
    Some(rules)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn selectors_in_order_then_names_repeats_dropped() {
        let view = json!({"metadata": {"name": "view"}, "aggregationRule": {"clusterRoleSelectors": [
            {"matchLabels": {"to-view": "true"}},
            {"matchLabels": {"extra": "true"}},
        ]}});
        let r = |v: &str, res: &str| json!({"verbs": [v], "apiGroups": [""], "resources": [res]});
        let b = json!({"metadata": {"name": "b", "labels": {"to-view": "true"}}, "rules": [r("get", "pods"), r("list", "pods")]});
        let a = json!({"metadata": {"name": "a", "labels": {"to-view": "true", "extra": "true"}}, "rules": [r("get", "pods"), r("get", "nodes")]});
        let c =
            json!({"metadata": {"name": "c", "labels": {"extra": "true"}}, "rules": [r("get", "secrets")]});
        let other = json!({"metadata": {"name": "d"}, "rules": [r("*", "*")]});
        let all = [view.clone(), b, a, c, other];
        let all: Vec<&Value> = all.iter().collect();
        let rules = aggregated_rules(&view, &all).unwrap();
        assert_eq!(
            rules,
            vec![
                r("get", "pods"),
                r("get", "nodes"),
                r("list", "pods"),
                r("get", "secrets")
            ]
        );
    }
}
