//! Quota evaluators: for each kind of object, which quota resources it counts toward, how
//! much one object uses, and which writes change that (kube's pod, service and
//! PersistentVolumeClaim evaluators, and the object count evaluator of every other
//! resource, with the legacy names `configmaps`, `secrets`, `replicationcontrollers` and
//! `resourcequotas`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::scopes::{self, Selector};
use crate::admission::resource_list::{container_resources, pod_resources, quantity, ResourceList};
use crate::admission::Operation;
use crate::api::quantity::{Format, Quantity};

/// The suffix naming a storage class's share of a claim resource.
const STORAGE_CLASS_SUFFIX: &str = ".storageclass.storage.k8s.io/";

/// The quota resources of cpu and memory every container must name once a quota limits
/// them (kube keeps this for compatibility and for these six only).
const MUST_NAME: [&str; 6] = [
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

/// How objects of one resource are counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evaluator {
    /// Pods: count, compute requests and limits, scopes.
    Pods,
    /// Services: count, load balancers, node ports.
    Services,
    /// PersistentVolumeClaims: count and storage, per storage class too.
    Claims,
    /// Any other resource: one per object, as `count/<resource>[.<group>]` (and its
    /// legacy name, for the four core resources that have one).
    Count {
        /// `count/<resource>[.<group>]`.
        name: String,
        /// The legacy name (`configmaps`, ...).
        alias: Option<&'static str>,
    },
}

/// `count/<resource>` for the core group, `count/<resource>.<group>` otherwise.
pub fn count_name(group: &str, resource: &str) -> String {
    if group.is_empty() {
        format!("count/{resource}")
    } else {
        format!("count/{resource}.{group}")
    }
}

/// The evaluator of `group`/`resource`.
pub fn for_resource(group: &str, resource: &str) -> Evaluator {
    let alias = match (group, resource) {
        ("", "pods") => return Evaluator::Pods,
        ("", "services") => return Evaluator::Services,
        ("", "persistentvolumeclaims") => return Evaluator::Claims,
        ("", "configmaps") => Some("configmaps"),
        ("", "secrets") => Some("secrets"),
        ("", "replicationcontrollers") => Some("replicationcontrollers"),
        ("", "resourcequotas") => Some("resourcequotas"),
        _ => None,
    };
    Evaluator::Count {
        name: count_name(group, resource),
        alias,
    }
}

fn one() -> Quantity {
    Quantity::from_units(1, Format::DecimalSI)
}

/// Whether a resource name is an extended resource (outside `kubernetes.io`, with a
/// domain) that quota counts as `requests.<name>`.
fn is_extended(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

/// What a set of requests and limits uses, in quota's names (one pod or one container).
fn compute_usage(requests: &ResourceList, limits: &ResourceList) -> ResourceList {
    let mut out = ResourceList::new();
    out.insert("pods".into(), one());
    for r in ["cpu", "memory", "ephemeral-storage"] {
        if let Some(q) = requests.get(r) {
            out.insert(r.into(), *q);
            out.insert(format!("requests.{r}"), *q);
        }
        if let Some(q) = limits.get(r) {
            out.insert(format!("limits.{r}"), *q);
        }
    }
    for (r, q) in requests {
        if r.starts_with("hugepages-") {
            out.insert(r.clone(), *q);
            out.insert(format!("requests.{r}"), *q);
        }
        if is_extended(r) {
            out.insert(format!("requests.{r}"), *q);
        }
    }
    out
}

/// Whether a pod still holds what it asked for: not finished, and not past the grace
/// period of its deletion.
fn pod_is_charged(pod: &Value, now_secs: i64) -> bool {
    let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
    if phase == "Succeeded" || phase == "Failed" {
        return false;
    }
    let deleted = pod
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(crate::printers::parse_rfc3339);
    let grace = pod
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64);
    match (deleted, grace) {
        (Some(at), Some(grace)) => now_secs <= at.saturating_add(grace),
        _ => true,
    }
}

fn claim_class(claim: &Value) -> Option<&str> {
    claim
        .pointer("/metadata/annotations/volume.beta.kubernetes.io~1storage-class")
        .or_else(|| claim.pointer("/spec/storageClassName"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
}

/// The storage a claim is charged: its request in whole bytes, or what was allocated to it
/// when that is more.
fn claim_storage(claim: &Value) -> Option<Quantity> {
    let requested = claim
        .pointer("/spec/resources/requests/storage")
        .and_then(quantity)?;
    let mut charged = requested.round_up_units();
    if let Some(allocated) = claim
        .pointer("/status/allocatedResources/storage")
        .and_then(quantity)
    {
        if allocated > charged {
            charged = allocated.round_up_units();
        }
    }
    Some(charged)
}

impl Evaluator {
    /// Whether this write changes usage (kube's `Handles`).
    pub fn handles(
        &self,
        op: Operation,
        subresource: &str,
        object: Option<&Value>,
        old: Option<&Value>,
    ) -> bool {
        match self {
            Evaluator::Pods => {
                if !subresource.is_empty() {
                    return false;
                }
                if op == Operation::Update {
                    // A pod moves between Terminating and NotTerminating quotas.
                    if let (Some(new), Some(old)) = (object, old) {
                        return scopes::is_terminating(new) != scopes::is_terminating(old);
                    }
                }
                op == Operation::Create
            }
            Evaluator::Services | Evaluator::Claims => matches!(op, Operation::Create | Operation::Update),
            // A subresource's create (a TokenRequest, a binding) makes no new object.
            Evaluator::Count { .. } => op == Operation::Create && subresource.is_empty(),
        }
    }

    /// The quota resources among `names` this evaluator counts.
    pub fn matching_resources(&self, names: &[String]) -> Vec<String> {
        names.iter().filter(|n| self.counts(n)).cloned().collect()
    }

    fn counts(&self, n: &str) -> bool {
        match self {
            Evaluator::Pods => {
                matches!(
                    n,
                    "count/pods"
                        | "cpu"
                        | "memory"
                        | "ephemeral-storage"
                        | "requests.cpu"
                        | "requests.memory"
                        | "requests.ephemeral-storage"
                        | "limits.cpu"
                        | "limits.memory"
                        | "limits.ephemeral-storage"
                        | "pods"
                ) || n.starts_with("hugepages-")
                    || n.starts_with("requests.hugepages-")
                    || n.strip_prefix("requests.").is_some_and(is_extended)
            }
            Evaluator::Services => matches!(
                n,
                "count/services" | "services" | "services.nodeports" | "services.loadbalancers"
            ),
            Evaluator::Claims => {
                matches!(
                    n,
                    "count/persistentvolumeclaims" | "persistentvolumeclaims" | "requests.storage"
                ) || ["persistentvolumeclaims", "requests.storage"]
                    .iter()
                    .any(|r| n.ends_with(&format!("{STORAGE_CLASS_SUFFIX}{r}")))
            }
            Evaluator::Count { name, alias } => n == name || alias.is_some_and(|a| a == n),
        }
    }

    /// Whether `object` falls in the scope of `selector` (only pods have scopes).
    pub fn matches_scope(&self, selector: &Selector, object: &Value) -> bool {
        match self {
            Evaluator::Pods => scopes::pod_matches(selector, object),
            _ => false,
        }
    }

    /// Whether a quota with `hard` and `selectors` counts `object`: it limits something
    /// this evaluator counts, and every selector matches.
    pub fn matches(&self, hard: &[String], selectors: &[Selector], object: &Value) -> bool {
        !self.matching_resources(hard).is_empty() && selectors.iter().all(|s| self.matches_scope(s, object))
    }

    /// What one object uses.
    pub fn usage(&self, object: &Value, now_secs: i64) -> ResourceList {
        let mut out = ResourceList::new();
        match self {
            Evaluator::Pods => {
                out.insert("count/pods".into(), one());
                if pod_is_charged(object, now_secs) {
                    let requests = pod_resources(object, "requests", true);
                    let limits = pod_resources(object, "limits", true);
                    out.extend(compute_usage(&requests, &limits));
                }
            }
            Evaluator::Services => {
                let ports = object
                    .pointer("/spec/ports")
                    .and_then(Value::as_array)
                    .map_or(0, |p| p.len() as i64);
                out.insert("count/services".into(), one());
                out.insert("services".into(), one());
                // A load balancer without node ports allocated counts only the node ports
                // it names itself.
                let named_node_ports = object
                    .pointer("/spec/ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|p| p.get("nodePort").and_then(Value::as_i64).is_some_and(|n| n != 0))
                    .count() as i64;
                let no_allocation =
                    object.pointer("/spec/allocateLoadBalancerNodePorts") == Some(&Value::Bool(false));
                let (lbs, node_ports) = match object.pointer("/spec/type").and_then(Value::as_str) {
                    Some("NodePort") => (0, ports),
                    Some("LoadBalancer") if no_allocation => (1, named_node_ports),
                    Some("LoadBalancer") => (1, ports),
                    _ => (0, 0),
                };
                out.insert(
                    "services.loadbalancers".into(),
                    Quantity::from_units(lbs, Format::DecimalSI),
                );
                out.insert(
                    "services.nodeports".into(),
                    Quantity::from_units(node_ports, Format::DecimalSI),
                );
            }
            Evaluator::Claims => {
                out.insert("count/persistentvolumeclaims".into(), one());
                out.insert("persistentvolumeclaims".into(), one());
                let class = claim_class(object);
                if let Some(c) = class {
                    out.insert(format!("{c}{STORAGE_CLASS_SUFFIX}persistentvolumeclaims"), one());
                }
                if let Some(storage) = claim_storage(object) {
                    out.insert("requests.storage".into(), storage);
                    if let Some(c) = class {
                        out.insert(format!("{c}{STORAGE_CLASS_SUFFIX}requests.storage"), storage);
                    }
                }
            }
            Evaluator::Count { name, alias } => {
                out.insert(name.clone(), one());
                if let Some(a) = alias {
                    out.insert((*a).to_string(), one());
                }
            }
        }
        out
    }

    /// What `object` must carry for a quota limiting `required` to admit it: every
    /// container of a pod names the cpu and memory the quota limits.
    pub fn constraints(&self, required: &[String], object: &Value) -> Result<(), String> {
        if *self != Evaluator::Pods {
            return Ok(());
        }
        let required: BTreeSet<&str> = required
            .iter()
            .map(String::as_str)
            .filter(|r| MUST_NAME.contains(r))
            .collect();
        let mut missing: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for field in ["containers", "initContainers"] {
            let list = object
                .pointer(&format!("/spec/{field}"))
                .and_then(Value::as_array);
            for c in list.into_iter().flatten() {
                let usage = compute_usage(
                    &container_resources(c, "requests"),
                    &container_resources(c, "limits"),
                );
                let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                for r in required.iter().filter(|r| !usage.contains_key(**r)) {
                    missing.entry(r).or_default().insert(name.to_string());
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let parts: Vec<String> = missing
            .iter()
            .map(|(r, names)| format!("{r} for: {}", names.iter().cloned().collect::<Vec<_>>().join(",")))
            .collect();
        Err(format!("must specify {}", parts.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn show(list: &ResourceList) -> Vec<String> {
        list.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn a_pod_uses_its_requests_and_limits() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m"}}},
            {"name": "b", "resources": {"requests": {"cpu": "250m", "hugepages-2Mi": "2Mi", "example.com/gpu": "1"}}},
        ]}});
        assert_eq!(
            show(&Evaluator::Pods.usage(&pod, 0)),
            [
                "count/pods=1",
                "cpu=500m",
                "hugepages-2Mi=2Mi",
                "limits.cpu=500m",
                "memory=64Mi",
                "pods=1",
                "requests.cpu=500m",
                "requests.example.com/gpu=1",
                "requests.hugepages-2Mi=2Mi",
                "requests.memory=64Mi",
            ]
        );
        let done = json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Succeeded"}});
        assert_eq!(show(&Evaluator::Pods.usage(&done, 0)), ["count/pods=1"]);
        assert_eq!(
            Evaluator::Pods.constraints(
                &["limits.cpu".into(), "requests.memory".into(), "pods".into()],
                &pod
            ),
            Err("must specify limits.cpu for: b; requests.memory for: b".into())
        );
    }

    #[test]
    fn services_claims_and_counts() {
        let lb = json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(
            show(&Evaluator::Services.usage(&lb, 0)),
            [
                "count/services=1",
                "services=1",
                "services.loadbalancers=1",
                "services.nodeports=2"
            ]
        );
        let lb_own = json!({"spec": {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": false,
            "ports": [{"port": 80, "nodePort": 30080}, {"port": 443}]}});
        assert_eq!(
            Evaluator::Services.usage(&lb_own, 0)["services.nodeports"].to_string(),
            "1"
        );
        let claim =
            json!({"spec": {"storageClassName": "gold", "resources": {"requests": {"storage": "1.5Gi"}}}});
        assert_eq!(
            show(&Evaluator::Claims.usage(&claim, 0)),
            [
                "count/persistentvolumeclaims=1",
                "gold.storageclass.storage.k8s.io/persistentvolumeclaims=1",
                "gold.storageclass.storage.k8s.io/requests.storage=1536Mi",
                "persistentvolumeclaims=1",
                "requests.storage=1536Mi",
            ]
        );
        assert!(Evaluator::Claims.counts("gold.storageclass.storage.k8s.io/requests.storage"));
        let cm = for_resource("", "configmaps");
        assert_eq!(
            show(&cm.usage(&json!({}), 0)),
            ["configmaps=1", "count/configmaps=1"]
        );
        let deploy = for_resource("apps", "deployments");
        assert_eq!(
            deploy.matching_resources(&["count/deployments.apps".into(), "pods".into()]),
            ["count/deployments.apps"]
        );
        assert!(deploy.handles(Operation::Create, "", None, None));
        assert!(!deploy.handles(Operation::Update, "", None, None));
        let sa = for_resource("", "serviceaccounts");
        assert!(!sa.handles(Operation::Create, "token", None, None));
    }
}
