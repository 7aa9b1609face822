//! The decision of one write against a namespace's quotas (kube's `CheckRequest`): which
//! quotas count the object, what it adds to each, whether that stays within every hard
//! limit, and each quota's usage after it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::config::{go_format, Limited};
use super::evaluator::Evaluator;
use super::scopes::{self, Selector};
use crate::admission::resource_list::{self, ResourceList};
use crate::admission::{Operation, Request};
use crate::api::quantity::Quantity;
use crate::api::ApiError;

/// One ResourceQuota as admission reads it.
#[derive(Clone, Debug)]
pub struct Quota {
    /// Its name.
    pub name: String,
    /// The stored object (written back with the new usage).
    pub object: Value,
    /// `status.hard`: what the quota controller last saw of `spec.hard`.
    pub hard: ResourceList,
    /// `status.used`.
    pub used: ResourceList,
    /// Its scope selectors.
    pub selectors: Vec<Selector>,
}

impl Quota {
    /// Reads a ResourceQuota object.
    pub fn from_object(object: Value) -> Quota {
        Quota {
            name: crate::api::name(&object).to_string(),
            hard: resource_list::list(object.pointer("/status/hard")),
            used: resource_list::list(object.pointer("/status/used")),
            selectors: scopes::of_quota(&object),
            object,
        }
    }

    /// The quota's object with `used` as its `status.used`.
    pub fn with_used(&self, used: &ResourceList) -> Value {
        let mut o = self.object.clone();
        if let Some(m) = o.as_object_mut() {
            let status = m
                .entry("status")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(s) = status.as_object_mut() {
                s.insert("used".into(), resource_list::to_json(used));
            }
        }
        o
    }

    fn hard_names(&self) -> Vec<String> {
        self.hard.keys().cloned().collect()
    }
}

/// kube's `name=value,...` in name order.
fn pretty(list: &ResourceList) -> String {
    list.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn mask(list: &ResourceList, names: &[String]) -> ResourceList {
    list.iter()
        .filter(|(k, _)| names.contains(k))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// `a - b`, no entry below zero, over the names of both.
fn subtract_non_negative(a: &ResourceList, b: &ResourceList) -> ResourceList {
    let mut out = ResourceList::new();
    for (k, v) in a {
        let mut q = *v;
        if let Some(o) = b.get(k) {
            q.sub(o);
        }
        out.insert(k.clone(), if q.signum() > 0 { q } else { Quantity::zero() });
    }
    for k in b.keys() {
        out.entry(k.clone()).or_insert_with(Quantity::zero);
    }
    out
}

fn remove_zeros(list: ResourceList) -> ResourceList {
    list.into_iter().filter(|(_, v)| !v.is_zero()).collect()
}

/// Checks `request` (its object as it would be written) against `quotas` and the limited
/// resources of the configuration; on success, the usage each quota has after it (the same
/// as before for quotas it does not change).
pub fn check_request(
    quotas: &[Quota],
    limited: &[Limited],
    request: &Request,
    evaluator: &Evaluator,
    now_secs: i64,
) -> Result<Vec<ResourceList>, ApiError> {
    let unchanged = || quotas.iter().map(|q| q.used.clone()).collect::<Vec<_>>();
    let Some(object) = request.object.as_ref() else {
        return Ok(unchanged());
    };
    if !evaluator.handles(
        request.operation,
        &request.subresource,
        Some(object),
        request.old_object.as_ref(),
    ) {
        return Ok(unchanged());
    }
    // What the configuration says must be covered by some quota.
    let limited_scopes: Vec<&Selector> = limited
        .iter()
        .flat_map(|l| l.match_scopes.iter())
        .filter(|s| evaluator.matches_scope(s, object))
        .collect();
    let mut limited_names = BTreeSet::new();
    let mine: Vec<&Limited> = limited
        .iter()
        .filter(|l| l.group == request.group.as_ref() && l.resource == request.resource.as_ref())
        .collect();
    if !mine.is_empty() {
        let usage = evaluator.usage(object, now_secs);
        for l in mine {
            for (k, v) in &usage {
                if v.signum() > 0 && l.match_contains.iter().any(|m| k.contains(m.as_str())) {
                    limited_names.insert(k.clone());
                }
            }
        }
    }
    let mut covered_names = BTreeSet::new();
    let mut covered_scopes: Vec<&Selector> = Vec::new();
    let mut interesting = Vec::new();
    for (i, q) in quotas.iter().enumerate() {
        covered_scopes.extend(q.selectors.iter().filter(|s| evaluator.matches_scope(s, object)));
        let hard = q.hard_names();
        if !evaluator.matches(&hard, &q.selectors, object) {
            continue;
        }
        let restricted = evaluator.matching_resources(&hard);
        if let Err(why) = evaluator.constraints(&restricted, object) {
            return Err(request.forbidden(&format!("failed quota: {}: {why}", q.name)));
        }
        if restricted.iter().any(|r| !q.used.contains_key(r)) {
            let mut names = restricted.clone();
            names.sort();
            return Err(request.forbidden(&format!(
                "status unknown for quota: {}, resources: {}",
                q.name,
                names.join(",")
            )));
        }
        interesting.push(i);
        covered_names.extend(restricted);
    }
    let input = evaluator.usage(object, now_secs);
    let negative: Vec<&str> = input
        .iter()
        .filter(|(_, v)| v.signum() < 0)
        .map(|(k, _)| k.as_str())
        .collect();
    if !negative.is_empty() {
        return Err(request.forbidden(&format!(
            "quota usage is negative for resource(s): {}",
            negative.join(",")
        )));
    }
    let mut deltas: Vec<(usize, ResourceList)> = interesting.iter().map(|&i| (i, input.clone())).collect();
    let mut uncounted = if request.operation == Operation::Create && interesting.is_empty() {
        input.clone()
    } else {
        ResourceList::new()
    };
    if request.operation == Operation::Update {
        let Some(old) = request.old_object.as_ref() else {
            return Err(
                request.forbidden("unable to get previous usage since prior version of object was not found")
            );
        };
        let has_version = old
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty());
        if !has_version && interesting.is_empty() {
            uncounted = input.clone();
        }
        if has_version {
            let delta = subtract_non_negative(&input, &evaluator.usage(old, now_secs));
            if interesting.is_empty() {
                uncounted = delta.clone();
            }
            for (i, d) in deltas.iter_mut() {
                let q = &quotas[*i];
                if evaluator.matches(&q.hard_names(), &q.selectors, old) {
                    *d = delta.clone();
                }
            }
        }
    }
    let deltas: Vec<(usize, ResourceList)> = deltas
        .into_iter()
        .map(|(i, d)| (i, remove_zeros(d)))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    let nothing_used = if interesting.is_empty() {
        remove_zeros(uncounted).is_empty()
    } else {
        deltas.is_empty()
    };
    if nothing_used {
        return Ok(unchanged());
    }
    let uncovered: Vec<&str> = limited_names
        .difference(&covered_names)
        .map(String::as_str)
        .collect();
    if !uncovered.is_empty() {
        return Err(request.forbidden(&format!("insufficient quota to consume: {}", uncovered.join(","))));
    }
    let uncovered_scopes: Vec<String> = limited_scopes
        .iter()
        .filter(|l| !covered_scopes.iter().any(|c| c.scope == l.scope))
        .map(|s| go_format(s))
        .collect();
    if !uncovered_scopes.is_empty() {
        // kube returns this one as a plain error, which its handlers answer with a 500.
        return Err(ApiError::unknown(format!(
            "insufficient quota to match these scopes: [{}]",
            uncovered_scopes.join(" ")
        )));
    }
    let mut out = unchanged();
    for (i, delta) in deltas {
        let Some(q) = quotas.get(i) else { continue };
        let requested = mask(&delta, &q.hard_names());
        let mut new_used = q.used.clone();
        resource_list::add(&mut new_used, &requested);
        if request.subresource != "status" {
            let exceeded: Vec<String> = requested
                .keys()
                .filter(|k| match (new_used.get(*k), q.hard.get(*k)) {
                    (Some(used), Some(hard)) => used > hard,
                    _ => false,
                })
                .cloned()
                .collect();
            if !exceeded.is_empty() {
                return Err(request.forbidden(&format!(
                    "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                    q.name,
                    pretty(&mask(&requested, &exceeded)),
                    pretty(&mask(&q.used, &exceeded)),
                    pretty(&mask(&q.hard, &exceeded)),
                )));
            }
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = new_used;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::resource_quota::evaluator_for;
    use serde_json::json;

    fn quota(name: &str, hard: Value, used: Value) -> Quota {
        Quota::from_object(
            json!({"metadata": {"name": name, "namespace": "ns", "resourceVersion": "5"},
            "spec": {"hard": hard.clone()}, "status": {"hard": hard, "used": used}}),
        )
    }

    pub(crate) fn create(resource: &'static str, kind: &'static str, object: Value) -> Request {
        Request {
            operation: Operation::Create,
            group: "".into(),
            version: "v1".into(),
            resource: resource.into(),
            kind: kind.into(),
            namespaced: true,
            namespace: "ns".into(),
            name: crate::api::name(&object).to_string(),
            subresource: String::new(),
            user: Default::default(),
            dry_run: false,
            object: Some(object),
            old_object: None,
            options: Value::Null,
            warnings: Vec::new(),
            deadline_ms: None,
            seed: 0,
        }
    }

    fn pod(name: &str, cpu: Option<&str>) -> Value {
        let resources = match cpu {
            Some(c) => json!({"requests": {"cpu": c}, "limits": {"cpu": c}}),
            None => json!({}),
        };
        json!({"metadata": {"name": name, "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "resources": resources}]}})
    }

    #[test]
    fn counts_a_pod_and_refuses_past_the_limit() {
        let q = quota("q", json!({"pods": "2"}), json!({"pods": "1"}));
        let req = create("pods", "Pod", pod("a", None));
        let used = check_request(&[q], &[], &req, &evaluator_for(&req), 0).unwrap();
        assert_eq!(pretty(&used[0]), "pods=2");
        let full = quota("q", json!({"pods": "2"}), json!({"pods": "2"}));
        let err = check_request(&[full], &[], &req, &evaluator_for(&req), 0).unwrap_err();
        assert_eq!(err.code, 403);
        assert_eq!(
            err.message,
            "pods \"a\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
        );
    }

    #[test]
    fn compute_resources_are_summed_exactly() {
        let q = quota(
            "compute",
            json!({"requests.cpu": "1", "limits.cpu": "2", "pods": "10"}),
            json!({"requests.cpu": "500m", "limits.cpu": "500m", "pods": "1"}),
        );
        let req = create("pods", "Pod", pod("a", Some("500m")));
        let used = check_request(std::slice::from_ref(&q), &[], &req, &evaluator_for(&req), 0).unwrap();
        assert_eq!(pretty(&used[0]), "limits.cpu=1,pods=2,requests.cpu=1");
        let big = create("pods", "Pod", pod("b", Some("600m")));
        let err = check_request(std::slice::from_ref(&q), &[], &big, &evaluator_for(&big), 0).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"b\" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1"
        );
        let bare = create("pods", "Pod", pod("c", None));
        let err = check_request(&[q], &[], &bare, &evaluator_for(&bare), 0).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"c\" is forbidden: failed quota: compute: must specify limits.cpu for: c; requests.cpu for: c"
        );
    }

    #[test]
    fn unknown_status_scopes_and_other_resources() {
        // Limits the controller has seen but not counted yet.
        let fresh = Quota::from_object(json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "1"}},
            "status": {"hard": {"pods": "1"}}}));
        let req = create("pods", "Pod", pod("a", None));
        let err = check_request(&[fresh], &[], &req, &evaluator_for(&req), 0).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"a\" is forbidden: status unknown for quota: q, resources: pods"
        );
        // A BestEffort quota does not count a pod that asks for cpu.
        let mut scoped = quota("be", json!({"pods": "0"}), json!({"pods": "0"}));
        scoped.selectors = scopes::of_quota(&json!({"spec": {"scopes": ["BestEffort"]}}));
        let burst = create("pods", "Pod", pod("b", Some("1")));
        assert!(check_request(
            std::slice::from_ref(&scoped),
            &[],
            &burst,
            &evaluator_for(&burst),
            0
        )
        .is_ok());
        assert!(check_request(&[scoped], &[], &req, &evaluator_for(&req), 0).is_err());
        // Object counts of any resource, and their legacy names.
        let q = quota(
            "objects",
            json!({"configmaps": "1", "count/secrets": "5"}),
            json!({"configmaps": "1", "count/secrets": "0"}),
        );
        let cm = create("configmaps", "ConfigMap", json!({"metadata": {"name": "x"}}));
        let err = check_request(std::slice::from_ref(&q), &[], &cm, &evaluator_for(&cm), 0).unwrap_err();
        assert_eq!(
            err.message,
            "configmaps \"x\" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps=1, limited: configmaps=1"
        );
        let secret = create("secrets", "Secret", json!({"metadata": {"name": "s"}}));
        let used = check_request(&[q], &[], &secret, &evaluator_for(&secret), 0).unwrap();
        assert_eq!(pretty(&used[0]), "configmaps=1,count/secrets=1");
    }

    #[test]
    fn an_update_is_charged_only_what_it_adds() {
        let q = quota(
            "st",
            json!({"requests.storage": "10Gi"}),
            json!({"requests.storage": "5Gi"}),
        );
        let claim = |size: &str| {
            json!({"metadata": {"name": "c", "resourceVersion": "3"},
            "spec": {"resources": {"requests": {"storage": size}}}})
        };
        let mut req = create("persistentvolumeclaims", "PersistentVolumeClaim", claim("8Gi"));
        req.operation = Operation::Update;
        req.old_object = Some(claim("5Gi"));
        let used = check_request(std::slice::from_ref(&q), &[], &req, &evaluator_for(&req), 0).unwrap();
        assert_eq!(pretty(&used[0]), "requests.storage=8Gi");
        req.object = Some(claim("11Gi"));
        let err = check_request(&[q], &[], &req, &evaluator_for(&req), 0).unwrap_err();
        assert_eq!(
            err.message,
            "persistentvolumeclaims \"c\" is forbidden: exceeded quota: st, requested: requests.storage=6Gi, used: requests.storage=5Gi, limited: requests.storage=10Gi"
        );
    }

    #[test]
    fn limited_resources_need_a_covering_quota() {
        let limited = super::super::config::parse(&json!({"limitedResources": [
            {"resource": "pods", "matchContains": ["cpu"],
             "matchScopes": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}]}))
        .unwrap();
        let p = json!({"metadata": {"name": "a"}, "spec": {"containers": [
            {"name": "c", "resources": {"requests": {"cpu": "1"}}}]}});
        let req = create("pods", "Pod", p);
        let err = check_request(&[], &limited, &req, &evaluator_for(&req), 0).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"a\" is forbidden: insufficient quota to consume: cpu,requests.cpu"
        );
        let q = quota(
            "compute",
            json!({"requests.cpu": "4"}),
            json!({"requests.cpu": "0"}),
        );
        let err =
            check_request(std::slice::from_ref(&q), &limited, &req, &evaluator_for(&req), 0).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"a\" is forbidden: insufficient quota to consume: cpu"
        );
        // A pod that uses no cpu needs no quota.
        let plain = create("pods", "Pod", pod("b", None));
        assert!(check_request(&[], &limited, &plain, &evaluator_for(&plain), 0).is_ok());
        // A pod in a limited scope needs a quota with that scope.
        let high = create(
            "pods",
            "Pod",
            json!({"metadata": {"name": "h"}, "spec": {"priorityClassName": "high", "containers": [{"name": "c"}]}}),
        );
        let err = check_request(&[], &limited, &high, &evaluator_for(&high), 0).unwrap_err();
        assert_eq!(err.code, 500);
        assert_eq!(
            err.message,
            "insufficient quota to match these scopes: [{PriorityClass In [high]}]"
        );
        let mut scoped = quota("high", json!({"pods": "10"}), json!({"pods": "0"}));
        scoped.selectors = scopes::of_quota(&json!({"spec": {"scopeSelector": {"matchExpressions": [
            {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}}));
        let used = check_request(&[scoped], &limited, &high, &evaluator_for(&high), 0).unwrap();
        assert_eq!(pretty(&used[0]), "pods=1");
    }
}
