//! A quota's usage counted from the objects of its namespace (kube's `CalculateUsage`), as
//! the quota controller writes it into `status.used`: each resource the quota limits and an
//! evaluator counts is summed over the objects its scopes select; what no evaluator counts
//! keeps the usage it had.

use std::sync::Arc;

use serde_json::Value;

use super::evaluator::{for_resource, Evaluator};
use super::scopes;
use crate::admission::resource_list::{self, ResourceList};
use crate::api::quantity::Quantity;

/// The `(group, resource)` whose objects `evaluator` counts.
fn counted(hard_name: &str) -> Option<(String, String)> {
    let rest = hard_name.strip_prefix("count/")?;
    Some(match rest.split_once('.') {
        Some((resource, group)) => (group.to_string(), resource.to_string()),
        None => (String::new(), rest.to_string()),
    })
}

/// The resources whose objects may count toward `hard`, each with its evaluator.
pub fn evaluators_for(hard: &[String]) -> Vec<((String, String), Evaluator)> {
    let mut out: Vec<((String, String), Evaluator)> = Vec::new();
    let mut add = |group: &str, resource: &str| {
        let key = (group.to_string(), resource.to_string());
        if out.iter().any(|(k, _)| *k == key) {
            return;
        }
        let ev = for_resource(group, resource);
        if !ev.matching_resources(hard).is_empty() {
            out.push((key, ev));
        }
    };
    for (g, r) in [
        ("", "pods"),
        ("", "services"),
        ("", "persistentvolumeclaims"),
        ("", "configmaps"),
        ("", "secrets"),
        ("", "replicationcontrollers"),
        ("", "resourcequotas"),
    ] {
        add(g, r);
    }
    for name in hard {
        if let Some((g, r)) = counted(name) {
            add(&g, &r);
        }
    }
    out
}

/// The usage `quota` should show, given the objects of each counted resource in its
/// namespace (`objects(group, resource)`).
pub fn calculate(
    quota: &Value,
    objects: impl Fn(&str, &str) -> Vec<Arc<Value>>,
    now_secs: i64,
) -> ResourceList {
    let hard = resource_list::list(quota.pointer("/spec/hard"));
    let names: Vec<String> = hard.keys().cloned().collect();
    let selectors = scopes::of_quota(quota);
    let mut used = resource_list::list(quota.pointer("/status/used"));
    for ((group, resource), ev) in evaluators_for(&names) {
        let counted = ev.matching_resources(&names);
        let mut sum: ResourceList = counted.iter().map(|n| (n.clone(), Quantity::zero())).collect();
        for obj in objects(&group, &resource) {
            if selectors.iter().all(|s| ev.matches_scope(s, &obj)) {
                let usage = ev.usage(&obj, now_secs);
                for n in &counted {
                    if let (Some(total), Some(q)) = (sum.get_mut(n), usage.get(n)) {
                        total.add(q);
                    }
                }
            }
        }
        used.extend(sum);
    }
    used.retain(|k, _| hard.contains_key(k));
    used
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_the_namespace_through_the_quota_scopes() {
        let quota = json!({"spec": {"hard": {"pods": "5", "requests.cpu": "2", "count/deployments.apps": "3",
            "example.com/foo": "1"}, "scopes": ["NotBestEffort"]},
            "status": {"used": {"example.com/foo": "1", "stale": "9"}}});
        let pods = vec![
            Arc::new(
                json!({"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "250m"}}}]}}),
            ),
            Arc::new(
                json!({"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}]}}),
            ),
            Arc::new(json!({"spec": {"containers": [{"name": "best-effort"}]}})),
        ];
        let used = calculate(
            &quota,
            |g, r| match (g, r) {
                ("", "pods") => pods.clone(),
                ("apps", "deployments") => vec![Arc::new(json!({}))],
                _ => Vec::new(),
            },
            0,
        );
        let shown: Vec<String> = used.iter().map(|(k, v)| format!("{k}={v}")).collect();
        // Deployments have no scopes, so a scoped quota counts none of them.
        assert_eq!(
            shown,
            [
                "count/deployments.apps=0",
                "example.com/foo=1",
                "pods=2",
                "requests.cpu=1250m"
            ]
        );
    }
}
