//! Whether one set of rules grants at least what another grants, as kube's escalation check
//! compares them: the granted rules are broken down into one verb, group, resource and name
//! each, and every piece must be covered by some rule the granter holds.

use std::collections::BTreeMap;

use super::PolicyRule;

fn has(set: &[String], x: &str) -> bool {
    set.iter().any(|s| s == x)
}

fn has_all(set: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| has(set, w))
}

/// The rule in pieces of at most one verb, group, resource and name (non-resource URLs
/// pair with verbs only).
pub fn breakdown(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    let one = |s: &String| vec![s.clone()];
    for group in &rule.api_groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                let piece = PolicyRule {
                    api_groups: one(group),
                    resources: one(resource),
                    verbs: one(verb),
                    ..Default::default()
                };
                if rule.resource_names.is_empty() {
                    out.push(piece);
                } else {
                    for name in &rule.resource_names {
                        out.push(PolicyRule {
                            resource_names: one(name),
                            ..piece.clone()
                        });
                    }
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        for verb in &rule.verbs {
            out.push(PolicyRule {
                non_resource_urls: one(url),
                verbs: one(verb),
                ..Default::default()
            });
        }
    }
    out
}

/// `*`, every resource listed, or each missing `res/sub` covered by `*/sub`.
fn resources_cover(owner: &[String], wanted: &[String]) -> bool {
    if has(owner, "*") || has_all(owner, wanted) {
        return true;
    }
    wanted.iter().all(|r| {
        has(owner, r)
            || r.split_once('/')
                .is_some_and(|(_, sub)| has(owner, &format!("*/{sub}")))
    })
}

fn url_covers(owner: &str, wanted: &str) -> bool {
    owner == wanted || (owner.ends_with('*') && wanted.starts_with(owner.trim_end_matches('*')))
}

fn urls_cover(owner: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| owner.iter().any(|o| url_covers(o, w)))
}

/// Whether `owner` covers the piece `sub`.
fn rule_covers(owner: &PolicyRule, sub: &PolicyRule) -> bool {
    let verbs = has(&owner.verbs, "*") || has_all(&owner.verbs, &sub.verbs);
    let groups = has(&owner.api_groups, "*") || has_all(&owner.api_groups, &sub.api_groups);
    let names = owner.resource_names.is_empty()
        || (!sub.resource_names.is_empty() && has_all(&owner.resource_names, &sub.resource_names));
    verbs
        && groups
        && resources_cover(&owner.resources, &sub.resources)
        && names
        && urls_cover(&owner.non_resource_urls, &sub.non_resource_urls)
}

/// The pieces of `wanted` no rule of `owner` covers; empty when `owner` covers it all.
pub fn uncovered(owner: &[PolicyRule], wanted: &[PolicyRule]) -> Vec<PolicyRule> {
    wanted
        .iter()
        .flat_map(breakdown)
        .filter(|piece| !owner.iter().any(|o| rule_covers(o, piece)))
        .collect()
}

/// Pieces of one group and resource (and at most one name) merged into one rule with all
/// their verbs, as kube lists missing permissions.
pub fn compact(rules: Vec<PolicyRule>) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    let mut simple: BTreeMap<(String, String, Option<String>), PolicyRule> = BTreeMap::new();
    for rule in rules {
        let is_simple = rule.resource_names.len() <= 1
            && rule.non_resource_urls.is_empty()
            && rule.api_groups.len() == 1
            && rule.resources.len() == 1;
        if !is_simple {
            out.push(rule);
            continue;
        }
        let key = (
            rule.api_groups[0].clone(),
            rule.resources[0].clone(),
            rule.resource_names.first().cloned(),
        );
        match simple.get_mut(&key) {
            Some(existing) => existing.verbs.extend(rule.verbs),
            None => {
                simple.insert(key, rule);
            }
        }
    }
    out.extend(simple.into_values());
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn rules(v: Value) -> Vec<PolicyRule> {
        v.as_array().unwrap().iter().map(PolicyRule::from_json).collect()
    }

    #[test]
    fn stars_subresources_names_and_urls() {
        let owner = rules(json!([
            {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "*/status"]},
            {"verbs": ["*"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]},
            {"verbs": ["get"], "nonResourceURLs": ["/logs/*"]},
        ]));
        let ok = rules(json!([
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods", "pods/status", "services/status"]},
            {"verbs": ["update"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]},
            {"verbs": ["get"], "nonResourceURLs": ["/logs/a", "/logs/*"]},
        ]));
        assert!(uncovered(&owner, &ok).is_empty());
        let too_much = rules(json!([
            {"verbs": ["get", "delete"], "apiGroups": [""], "resources": ["pods", "pods/log"]},
            {"verbs": ["update"], "apiGroups": ["apps"], "resources": ["deployments"]},
            {"verbs": ["get"], "nonResourceURLs": ["/logs"]},
        ]));
        let missing: Vec<String> = compact(uncovered(&owner, &too_much))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            missing,
            [
                r#"{NonResourceURLs:["/logs"], Verbs:["get"]}"#,
                r#"{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}"#,
                r#"{APIGroups:[""], Resources:["pods/log"], Verbs:["get" "delete"]}"#,
                r#"{APIGroups:["apps"], Resources:["deployments"], Verbs:["update"]}"#,
            ]
        );
    }
}
