//! `NodeRestriction`: a kubelet (user `system:node:<name>` in group `system:nodes`) may
//! write only what belongs to its own node: its Node (without steering labels, taints or a
//! config source), mirror pods bound to itself, the status and evictions of its pods, its
//! PVCs' status, tokens for its pods, its Lease, its CSINode, its ResourceSlices. Everyone
//! else passes untouched. A mutating plugin, as kube's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};
use crate::validation::go_quote;

/// The annotation that marks a mirror pod.
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";
/// The label namespace no kubelet may set on itself.
pub const NODE_RESTRICTION_NAMESPACE: &str = "node-restriction.kubernetes.io";
/// The namespace of the nodes' heartbeat Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// The `kubernetes.io`/`k8s.io` labels a kubelet may set on its own Node.
const KUBELET_LABELS: &[&str] = &[
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
];
/// Label namespaces (and their subdomains) a kubelet may set on its own Node.
const KUBELET_LABEL_NAMESPACES: &[&str] = &["kubelet.kubernetes.io", "node.kubernetes.io"];

type Outcome = Flow<Result<Request, ApiError>>;

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(NodeRestriction))
}

/// kube-apiserver's `NodeRestriction`.
#[derive(Debug)]
pub struct NodeRestriction;

impl Plugin for NodeRestriction {
    fn name(&self) -> &'static str {
        "NodeRestriction"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Outcome {
        if phase != Phase::Mutating || request.operation == Operation::Connect {
            return Flow::Ready(Ok(request));
        }
        let Some(node) = crate::authz::node::node_identity(&request.user).map(str::to_string) else {
            return Flow::Ready(Ok(request));
        };
        if node.is_empty() {
            let why = format!(
                "could not determine node from user {}",
                go_quote(&request.user.name)
            );
            return refuse(request, &why);
        }
        let group = request.group.to_string();
        match (group.as_str(), &*request.resource) {
            ("", "pods") => match request.subresource.as_str() {
                "" => admit_pod(node, request, cx),
                "status" => Flow::Ready(admit_pod_status(&node, request)),
                "eviction" => admit_pod_eviction(node, request, cx),
                other => {
                    let why = format!(
                        "unexpected pod subresource {}, only 'status' and 'eviction' are allowed",
                        go_quote(other)
                    );
                    refuse(request, &why)
                }
            },
            ("", "nodes") => Flow::Ready(admit_node(&node, request)),
            ("", "persistentvolumeclaims") => match request.subresource.as_str() {
                "status" => Flow::Ready(admit_pvc_status(&node, request)),
                _ => refuse(request, "may only update PVC status"),
            },
            ("", "serviceaccounts") => admit_service_account(node, request, cx),
            ("coordination.k8s.io", "leases") => Flow::Ready(admit_lease(&node, request)),
            ("storage.k8s.io", "csinodes") => Flow::Ready(admit_csi_node(&node, request)),
            ("resource.k8s.io", "resourceslices") => admit_resource_slice(node, request, cx),
            _ => Flow::Ready(Ok(request)),
        }
    }
}

fn refuse(request: Request, why: &str) -> Outcome {
    Flow::Ready(Err(request.forbidden(why)))
}

/// The object at `path` of `obj`, as a string ("" when absent).
fn text<'a>(obj: &'a Value, path: &str) -> &'a str {
    obj.pointer(path).and_then(Value::as_str).unwrap_or("")
}

/// A list that is absent, null or empty reads as none, as kube's semantic equality has it.
fn list(obj: &Value, path: &str) -> Value {
    match obj.pointer(path) {
        Some(Value::Array(l)) if !l.is_empty() => Value::Array(l.clone()),
        _ => Value::Null,
    }
}

/// The object stored at `key`, for the lookups kube makes through its informers; a missing
/// one is kube's lister NotFound (`<resource> "<name>" not found`).
fn lookup(
    cx: &Lookups<'_>,
    key: Vec<u8>,
    resource: &'static str,
    name: String,
) -> Flow<Result<Value, ApiError>> {
    cx.object(key).and_then(cx, move |found, _| {
        Flow::Ready(match found {
            Ok(Some(obj)) => Ok(obj),
            Ok(None) => Err(ApiError::not_found("", resource, &name)),
            Err(e) => Err(e),
        })
    })
}

fn admit_pod(node: String, request: Request, cx: &Lookups<'_>) -> Outcome {
    match request.operation {
        Operation::Create => admit_mirror_pod(node, request, cx),
        Operation::Delete => {
            let key = cx.core_key("pods", &request.namespace, &request.name);
            lookup(cx, key, "pod", request.name.clone()).and_then(cx, move |pod, _| {
                Flow::Ready(match pod {
                    Err(e) if e.code == 404 => Err(e),
                    Err(e) => Err(request.forbidden(&e.message)),
                    Ok(pod) if text(&pod, "/spec/nodeName") != node => Err(request.forbidden(&format!(
                        "node {} can only delete pods with spec.nodeName set to itself",
                        go_quote(&node)
                    ))),
                    Ok(_) => Ok(request),
                })
            })
        }
        op => {
            let why = format!(
                "unexpected operation {}, node {} can only create and delete mirror pods",
                go_quote(op.as_str()),
                go_quote(&node)
            );
            refuse(request, &why)
        }
    }
}

fn admit_mirror_pod(node: String, request: Request, cx: &Lookups<'_>) -> Outcome {
    let Some(pod) = request.object.clone() else {
        return refuse(request, "unexpected type <nil>");
    };
    let q = go_quote(&node);
    if pod
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(MIRROR_POD_ANNOTATION))
        .is_none()
    {
        let why = format!(
            "pod does not have {} annotation, node {q} can only create mirror pods",
            go_quote(MIRROR_POD_ANNOTATION)
        );
        return refuse(request, &why);
    }
    if text(&pod, "/spec/nodeName") != node {
        return refuse(
            request,
            &format!("node {q} can only create pods with spec.nodeName set to itself"),
        );
    }
    let owners = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let owner = match owners.as_slice() {
        [one] => one.clone(),
        [] => {
            let why = format!("node {q} can only create pods with an owner reference set to itself");
            return refuse(request, &why);
        }
        _ => {
            let why = format!("node {q} can only create pods with a single owner reference set to itself");
            return refuse(request, &why);
        }
    };
    if text(&owner, "/apiVersion") != "v1" || text(&owner, "/kind") != "Node" || text(&owner, "/name") != node
    {
        return refuse(
            request,
            &format!("node {q} can only create pods with an owner reference set to itself"),
        );
    }
    if owner.get("controller").and_then(Value::as_bool) != Some(true) {
        let why = format!("node {q} can only create pods with a controller owner reference set to itself");
        return refuse(request, &why);
    }
    if owner.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true) {
        return refuse(
            request,
            &format!("node {q} must not set blockOwnerDeletion on an owner reference"),
        );
    }
    let key = cx.core_key("nodes", "", &node);
    lookup(cx, key, "node", node.clone()).and_then(cx, move |found, _| {
        let stored = match found {
            Err(e) if e.code == 404 => return Flow::Ready(Err(e)),
            Err(e) => {
                let why = format!("error looking up node {node} to verify uid: {}", e.message);
                return refuse(request, &why);
            }
            Ok(stored) => stored,
        };
        let (want, have) = (text(&owner, "/uid"), text(&stored, "/metadata/uid"));
        if want != have {
            return refuse(
                request,
                &format!("node {node} UID mismatch: expected {want} got {have}"),
            );
        }
        Flow::Ready(match mirror_pod_references(&node, &pod) {
            Some(why) => Err(request.forbidden(&why)),
            None => Ok(request),
        })
    })
}

/// Why a mirror pod may not be created for what it references: a mirror pod may not use
/// API objects the node could not otherwise read.
fn mirror_pod_references(node: &str, pod: &Value) -> Option<String> {
    let q = go_quote(node);
    if !text(pod, "/spec/serviceAccountName").is_empty() {
        return Some(format!(
            "node {q} can not create pods that reference a service account"
        ));
    }
    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
    if references_secrets(&spec) {
        return Some(format!("node {q} can not create pods that reference secrets"));
    }
    if references_config_maps(&spec) {
        return Some(format!("node {q} can not create pods that reference configmaps"));
    }
    let volumes = spec
        .get("volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let projected = |v: &Value| {
        v.pointer("/projected/sources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    if volumes
        .iter()
        .any(|v| projected(v).iter().any(|s| is_set(s.get("clusterTrustBundle"))))
    {
        return Some(format!(
            "node {q} can not create pods that reference clustertrustbundles"
        ));
    }
    if volumes.iter().any(|v| is_set(v.get("persistentVolumeClaim"))) {
        return Some(format!(
            "node {q} can not create pods that reference persistentvolumeclaims"
        ));
    }
    None
}

fn is_set(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !v.is_null())
}

/// Every container of the pod: init, regular and ephemeral.
fn containers(spec: &Value) -> Vec<Value> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect()
}

/// Whether any container's environment refers to a source of kind `from` (`secretRef`,
/// `configMapRef`) or a key of kind `key` (`secretKeyRef`, `configMapKeyRef`).
fn env_refers(spec: &Value, from: &str, key: &str) -> bool {
    containers(spec).iter().any(|c| {
        let env_from = c
            .get("envFrom")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let env = c
            .get("env")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        env_from.iter().any(|e| is_set(e.get(from)))
            || env
                .iter()
                .any(|e| is_set(e.pointer(&format!("/valueFrom/{key}"))))
    })
}

/// kube's `VisitPodSecretNames` finding anything.
fn references_secrets(spec: &Value) -> bool {
    let pull = spec
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty());
    if pull || env_refers(spec, "secretRef", "secretKeyRef") {
        return true;
    }
    let volumes = spec
        .get("volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    volumes.iter().any(|v| {
        [
            "/azureFile",
            "/cephfs/secretRef",
            "/cinder/secretRef",
            "/flexVolume/secretRef",
            "/rbd/secretRef",
            "/secret",
            "/scaleIO/secretRef",
            "/iscsi/secretRef",
            "/storageos/secretRef",
            "/csi/nodePublishSecretRef",
        ]
        .iter()
        .any(|p| is_set(v.pointer(p)))
            || v.pointer("/projected/sources")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|s| is_set(s.get("secret"))))
    })
}

/// kube's `VisitPodConfigmapNames` finding anything.
fn references_config_maps(spec: &Value) -> bool {
    if env_refers(spec, "configMapRef", "configMapKeyRef") {
        return true;
    }
    let volumes = spec
        .get("volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    volumes.iter().any(|v| {
        is_set(v.get("configMap"))
            || v.pointer("/projected/sources")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|s| is_set(s.get("configMap"))))
    })
}

fn admit_pod_status(node: &str, request: Request) -> Result<Request, ApiError> {
    if request.operation != Operation::Update {
        let why = format!("unexpected operation {}", go_quote(request.operation.as_str()));
        return Err(request.forbidden(&why));
    }
    let (Some(old), Some(new)) = (request.old_object.as_ref(), request.object.as_ref()) else {
        return Err(request.forbidden("unexpected type <nil>"));
    };
    let q = go_quote(node);
    if text(old, "/spec/nodeName") != node {
        let why = format!("node {q} can only update pod status for pods with spec.nodeName set to itself");
        return Err(request.forbidden(&why));
    }
    if labels(old) != labels(new) {
        return Err(request.forbidden(&format!("node {q} cannot update labels through pod status")));
    }
    let claims = |pod: &Value| -> Vec<(String, Option<String>)> {
        pod.pointer("/status/resourceClaimStatuses")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .map(|s| {
                        let name = text(s, "/name").to_string();
                        (
                            name,
                            s.get("resourceClaimName")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    if claims(old) != claims(new) {
        return Err(request.forbidden(&format!("node {q} cannot update resource claim statues")));
    }
    Ok(request)
}

fn labels(obj: &Value) -> BTreeMap<String, String> {
    obj.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// An eviction of a pod bound to this node. kube admits it as a create of `pods/eviction`;
/// Gatehouse's eviction reaches admission as the pod's delete, so both are read alike.
fn admit_pod_eviction(node: String, request: Request, cx: &Lookups<'_>) -> Outcome {
    if !matches!(request.operation, Operation::Create | Operation::Delete) {
        let why = format!("unexpected operation {}", request.operation.as_str());
        return refuse(request, &why);
    }
    let mut pod = request.name.clone();
    if pod.is_empty() {
        pod = request
            .object
            .as_ref()
            .map(|e| text(e, "/metadata/name").to_string())
            .unwrap_or_default();
        if pod.is_empty() {
            return refuse(request, "could not determine pod from request data");
        }
    }
    let key = cx.core_key("pods", &request.namespace, &pod);
    lookup(cx, key, "pod", pod).and_then(cx, move |found, _| {
        Flow::Ready(match found {
            Err(e) if e.code == 404 => Err(e),
            Err(e) => Err(request.forbidden(&e.message)),
            Ok(pod) if text(&pod, "/spec/nodeName") != node => Err(request.forbidden(&format!(
                "node {node} can only evict pods with spec.nodeName set to itself"
            ))),
            Ok(_) => Ok(request),
        })
    })
}

fn admit_pvc_status(node: &str, request: Request) -> Result<Request, ApiError> {
    if request.operation != Operation::Update {
        let why = format!("unexpected operation {}", go_quote(request.operation.as_str()));
        return Err(request.forbidden(&why));
    }
    let (Some(old), Some(new)) = (request.old_object.as_ref(), request.object.as_ref()) else {
        return Err(request.forbidden("unexpected type <nil>"));
    };
    // What a kubelet may change: the capacity and conditions, and (volume expansion
    // recovery, on in v1.32) the allocated resources and their statuses.
    let comparable = |pvc: &Value| {
        let mut pvc = pvc.clone();
        if let Some(meta) = pvc.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
            meta.remove("managedFields");
        }
        if let Some(status) = pvc.get_mut("status").and_then(Value::as_object_mut) {
            for f in [
                "capacity",
                "conditions",
                "allocatedResourceStatuses",
                "allocatedResources",
            ] {
                status.remove(f);
            }
        }
        pvc
    };
    let (old, new) = (comparable(old), comparable(new));
    if old != new {
        let why = format!(
            "node {} is not allowed to update fields other than status.quantity and status.conditions: {}",
            go_quote(node),
            changed_fields(&old, &new).join(", ")
        );
        return Err(request.forbidden(&why));
    }
    Ok(request)
}

/// The paths at which two objects differ, for a refusal to name.
fn changed_fields(old: &Value, new: &Value) -> Vec<String> {
    fn walk(path: String, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                let none = Value::Null;
                for k in keys {
                    walk(
                        format!("{path}.{k}"),
                        a.get(k).unwrap_or(&none),
                        b.get(k).unwrap_or(&none),
                        out,
                    );
                }
            }
            _ if a != b => out.push(path.trim_start_matches('.').to_string()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(String::new(), old, new, &mut out);
    out
}

fn admit_node(node: &str, request: Request) -> Result<Request, ApiError> {
    let q = go_quote(node);
    if request.name != node {
        let why = format!(
            "node {q} is not allowed to modify node {}",
            go_quote(&request.name)
        );
        return Err(request.forbidden(&why));
    }
    match request.operation {
        Operation::Create => {
            let Some(new) = request.object.as_ref() else {
                return Err(request.forbidden("unexpected type <nil>"));
            };
            if is_set(new.pointer("/spec/configSource")) {
                let why = format!("node {q} is not allowed to create pods with a non-nil configSource");
                return Err(request.forbidden(&why));
            }
            let forbidden = forbidden_labels(&modified_labels(&labels(new), &BTreeMap::new()));
            if !forbidden.is_empty() {
                let why = format!(
                    "node {q} is not allowed to set the following labels: {}",
                    forbidden.join(", ")
                );
                return Err(request.forbidden(&why));
            }
        }
        Operation::Update => {
            let (Some(new), Some(old)) = (request.object.as_ref(), request.old_object.as_ref()) else {
                return Err(request.forbidden("unexpected type <nil>"));
            };
            let config = new.pointer("/spec/configSource");
            if is_set(config) && config != old.pointer("/spec/configSource") {
                let why =
                    format!("node {q} is not allowed to update configSource to a new non-nil configSource");
                return Err(request.forbidden(&why));
            }
            if list(new, "/spec/taints") != list(old, "/spec/taints") {
                return Err(request.forbidden(&format!("node {q} is not allowed to modify taints")));
            }
            let forbidden = forbidden_labels(&modified_labels(&labels(new), &labels(old)));
            if !forbidden.is_empty() {
                let why = format!("is not allowed to modify labels: {}", forbidden.join(", "));
                return Err(request.forbidden(&why));
            }
        }
        _ => {}
    }
    Ok(request)
}

/// The keys whose values differ between `a` and `b` (added, removed or changed).
fn modified_labels(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for (k, v) in a {
        if b.get(k) != Some(v) {
            keys.insert(k.clone());
        }
    }
    for (k, v) in b {
        if a.get(k) != Some(v) {
            keys.insert(k.clone());
        }
    }
    keys
}

/// The label key's namespace (its prefix before `/`), "" when it has none.
fn label_namespace(key: &str) -> &str {
    key.split_once('/').map(|(ns, _)| ns).unwrap_or("")
}

fn in_domain(namespace: &str, domain: &str) -> bool {
    namespace == domain
        || namespace
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

fn is_kubelet_label(key: &str) -> bool {
    KUBELET_LABELS.contains(&key)
        || KUBELET_LABEL_NAMESPACES
            .iter()
            .any(|d| in_domain(label_namespace(key), d))
}

/// Of `modified`, sorted, those a kubelet may not set, add or remove: the node-restriction
/// namespace, and `kubernetes.io`/`k8s.io` labels outside the kubelet's own.
fn forbidden_labels(modified: &BTreeSet<String>) -> Vec<String> {
    modified
        .iter()
        .filter(|key| {
            let ns = label_namespace(key);
            let restricted = in_domain(ns, NODE_RESTRICTION_NAMESPACE);
            let kubernetes = in_domain(ns, "kubernetes.io") || in_domain(ns, "k8s.io");
            restricted || (kubernetes && !is_kubelet_label(key))
        })
        .cloned()
        .collect()
}

fn admit_service_account(node: String, request: Request, cx: &Lookups<'_>) -> Outcome {
    if request.operation != Operation::Create || request.subresource != "token" {
        return Flow::Ready(Ok(request));
    }
    let reference = request
        .object
        .as_ref()
        .and_then(|tr| tr.pointer("/spec/boundObjectRef"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    let field = |f: &str| reference.get(f).and_then(Value::as_str).unwrap_or("").to_string();
    let (pod, uid) = (field("name"), field("uid"));
    if reference.is_empty() || field("apiVersion") != "v1" || field("kind") != "Pod" || pod.is_empty() {
        return refuse(request, "node requested token not bound to a pod");
    }
    if uid.is_empty() {
        return refuse(request, "node requested token with a pod binding without a uid");
    }
    let key = cx.core_key("pods", &request.namespace, &pod);
    lookup(cx, key, "pod", pod).and_then(cx, move |found, _| {
        Flow::Ready(match found {
            Err(e) if e.code == 404 => Err(e),
            Err(e) => Err(request.forbidden(&e.message)),
            Ok(p) if text(&p, "/metadata/uid") != uid => Err(request.forbidden(&format!(
                "the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated"
            ))),
            Ok(p) if text(&p, "/spec/nodeName") != node => {
                Err(request.forbidden("node requested token bound to a pod scheduled on a different node"))
            }
            Ok(_) => Ok(request),
        })
    })
}

/// The name a create carries in its object (the request's own on other operations).
fn target_name(request: &Request) -> String {
    if request.operation == Operation::Create {
        request
            .object
            .as_ref()
            .map(|o| text(o, "/metadata/name").to_string())
            .unwrap_or_default()
    } else {
        request.name.clone()
    }
}

fn admit_lease(node: &str, request: Request) -> Result<Request, ApiError> {
    if request.namespace != NODE_LEASE_NAMESPACE {
        let why = format!(
            "can only access leases in the {} system namespace",
            go_quote(NODE_LEASE_NAMESPACE)
        );
        return Err(request.forbidden(&why));
    }
    if target_name(&request) != node {
        return Err(request.forbidden("can only access node lease with the same name as the requesting node"));
    }
    Ok(request)
}

fn admit_csi_node(node: &str, request: Request) -> Result<Request, ApiError> {
    if target_name(&request) != node {
        return Err(request.forbidden("can only access CSINode with the same name as the requesting node"));
    }
    Ok(request)
}

fn admit_resource_slice(node: String, request: Request, cx: &Lookups<'_>) -> Outcome {
    match request.operation {
        Operation::Create => {
            let owner = request
                .object
                .as_ref()
                .map(|o| text(o, "/spec/nodeName"))
                .unwrap_or("");
            if owner != node {
                return refuse(
                    request,
                    "can only create ResourceSlice with the same NodeName as the requesting node",
                );
            }
            Flow::Ready(Ok(request))
        }
        Operation::Delete => {
            // Gatehouse admits a delete before reading the object: read it here.
            let Some(def) = crate::registry::builtin()
                .iter()
                .find(|d| d.group == "resource.k8s.io" && d.resource == "resourceslices")
            else {
                return Flow::Ready(Ok(request));
            };
            let key = crate::registry::object_key(cx.prefix, def, "", &request.name);
            cx.object(key).and_then(cx, move |found, _| {
                Flow::Ready(match found {
                    Ok(Some(slice)) if text(&slice, "/spec/nodeName") != node => Err(request.forbidden(
                        "can only delete ResourceSlice with the same NodeName as the requesting node",
                    )),
                    Ok(_) => Ok(request),
                    Err(e) => Err(e),
                })
            })
        }
        _ => Flow::Ready(Ok(request)),
    }
}

#[cfg(test)]
mod tests;
