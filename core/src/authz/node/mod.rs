//! The Node authorizer (`--authorization-mode=Node`), as kube-apiserver v1.32's: a kubelet
//! (user `system:node:<name>` in group `system:nodes`) may read the Secrets, ConfigMaps,
//! PersistentVolumeClaims, PersistentVolumes, ResourceClaims and VolumeAttachments its
//! pods use, ask tokens for their service accounts, keep its own Lease and CSINode, list
//! and watch the pods bound to it (`spec.nodeName=<node>`) and read its own Node; anything
//! else it may do only as far as the static node rules (the `system:node` role) allow.
//!
//! It never denies: what it does not allow gets no opinion, with kube's reason, so RBAC
//! still decides. Users that are not nodes get no opinion without a reason.

pub mod graph;

use crate::authn::UserInfo;
use crate::authz::rbac::PolicyRule;
use crate::authz::{Attributes, Authorizer, OwnedAttributes, Rules, Verdict};
use crate::selectors::field::FieldOperator;
use crate::selectors::FieldSelector;
use crate::server::effect::{Flow, Lookups};
use crate::validation::go_quote;

use graph::{Graph, Kind};

const NODE_PREFIX: &str = "system:node:";
const NODES_GROUP: &str = "system:nodes";
const LEASE_NAMESPACE: &str = "kube-node-lease";

/// The node a user is, as kube's node identifier reads it: `Some("")` for a node whose name
/// is missing.
pub fn node_identity(user: &UserInfo) -> Option<&str> {
    let name = user.name.strip_prefix(NODE_PREFIX)?;
    user.in_group(NODES_GROUP).then_some(name)
}

/// The Node authorizer: the graph and static rules of the server's lookups.
#[derive(Debug)]
pub struct NodeAuthorizer {
    rules: Vec<PolicyRule>,
}

impl Default for NodeAuthorizer {
    fn default() -> Self {
        NodeAuthorizer::new()
    }
}

impl NodeAuthorizer {
    /// The authorizer with kube's static node rules (those of the `system:node` role).
    pub fn new() -> Self {
        let rules = crate::authz::rbac::bootstrap::policy()
            .cluster_roles
            .iter()
            .find(|r| crate::api::name(r) == "system:node")
            .map(PolicyRule::all_of)
            .unwrap_or_default();
        NodeAuthorizer { rules }
    }

    /// The decision for `node` asking `a`, with the graph.
    pub fn decide(&self, node: &str, a: &Attributes<'_>, g: &Graph) -> Verdict {
        if a.resource_request {
            let decided = match (a.group, a.resource) {
                ("", "secrets") => Some(read_namespaced(node, a, |n, ns, name| g.secret_on(n, ns, name))),
                ("", "configmaps") => Some(read_namespaced(node, a, |n, ns, name| {
                    g.used_on(n, Kind::ConfigMap, ns, name)
                })),
                ("", "persistentvolumeclaims") if a.subresource == "status" => {
                    Some(status_update(node, a, |n, ns, name| {
                        g.used_on(n, Kind::Pvc, ns, name)
                    }))
                }
                ("", "persistentvolumeclaims") => {
                    Some(get_only(node, a, |n, ns, name| g.used_on(n, Kind::Pvc, ns, name)))
                }
                ("", "persistentvolumes") => Some(get_only(node, a, |n, _, name| g.pv_on(n, name))),
                ("resource.k8s.io", "resourceclaims") => Some(get_only(node, a, |n, ns, name| {
                    g.used_on(n, Kind::ResourceClaim, ns, name)
                })),
                ("storage.k8s.io", "volumeattachments") => {
                    Some(get_only(node, a, |n, _, name| g.attachment_on(n, name)))
                }
                ("", "serviceaccounts") => Some(create_token(node, a, g)),
                ("coordination.k8s.io", "leases") => Some(lease(node, a)),
                ("storage.k8s.io", "csinodes") => Some(csi_node(node, a)),
                ("resource.k8s.io", "resourceslices") => Some(resource_slice(node, a)),
                ("", "nodes") => Some(own_node(node, a)),
                ("", "pods") => Some(pods(node, a, g)),
                _ => None,
            };
            if let Some(v) = decided {
                return v;
            }
        }
        if self.rules.iter().any(|r| r.allows(a)) {
            Verdict::Allow(String::new())
        } else {
            Verdict::NoOpinion(String::new())
        }
    }
}

fn no(why: &str) -> Verdict {
    Verdict::NoOpinion(why.to_string())
}

fn allow() -> Verdict {
    Verdict::Allow(String::new())
}

/// A path from the named object to the node, or kube's refusal.
fn related(node: &str, a: &Attributes<'_>, on: impl Fn(&str, &str, &str) -> bool) -> Verdict {
    if a.name.is_empty() {
        return no("No Object name found");
    }
    if on(node, a.namespace, a.name) {
        allow()
    } else {
        no(&format!(
            "no relationship found between node '{node}' and this object"
        ))
    }
}

fn read_namespaced(node: &str, a: &Attributes<'_>, on: impl Fn(&str, &str, &str) -> bool) -> Verdict {
    if !matches!(a.verb, "get" | "list" | "watch") {
        return no("can only read resources of this type");
    }
    if !a.subresource.is_empty() {
        return no("cannot read subresource");
    }
    if a.namespace.is_empty() {
        return no("can only read namespaced object of this type");
    }
    related(node, a, on)
}

fn get_only(node: &str, a: &Attributes<'_>, on: impl Fn(&str, &str, &str) -> bool) -> Verdict {
    if a.verb != "get" {
        return no("can only get individual resources of this type");
    }
    if !a.subresource.is_empty() {
        return no("cannot get subresource");
    }
    related(node, a, on)
}

fn status_update(node: &str, a: &Attributes<'_>, on: impl Fn(&str, &str, &str) -> bool) -> Verdict {
    if !matches!(a.verb, "update" | "patch") {
        return no("can only get/update/patch this type");
    }
    related(node, a, on)
}

fn create_token(node: &str, a: &Attributes<'_>, g: &Graph) -> Verdict {
    if a.verb != "create" || a.name.is_empty() {
        return no("can only create tokens for individual service accounts");
    }
    if a.subresource != "token" {
        return no("can only create token subresource of serviceaccount");
    }
    related(node, a, |n, ns, name| {
        g.used_on(n, Kind::ServiceAccount, ns, name)
    })
}

fn lease(node: &str, a: &Attributes<'_>) -> Verdict {
    if !matches!(a.verb, "get" | "create" | "update" | "patch" | "delete") {
        return no("can only get, create, update, patch, or delete a node lease");
    }
    if a.namespace != LEASE_NAMESPACE {
        return no(&format!(
            "can only access leases in the {} system namespace",
            go_quote(LEASE_NAMESPACE)
        ));
    }
    if a.verb != "create" && a.name != node {
        return no("can only access node lease with the same name as the requesting node");
    }
    allow()
}

fn csi_node(node: &str, a: &Attributes<'_>) -> Verdict {
    if !matches!(a.verb, "get" | "create" | "update" | "patch" | "delete") {
        return no("can only get, create, update, patch, or delete a CSINode");
    }
    if !a.subresource.is_empty() {
        return no("cannot authorize CSINode subresources");
    }
    if a.verb != "create" && a.name != node {
        return no("can only access CSINode with the same name as the requesting node");
    }
    allow()
}

/// Whether the field selector asks for exactly `spec.nodeName=<node>`.
fn selects_node(a: &Attributes<'_>, node: &str) -> bool {
    FieldSelector::parse(a.field_selector).is_ok_and(|s| {
        s.requirements()
            .iter()
            .any(|r| r.field == "spec.nodeName" && r.operator == FieldOperator::Equals && r.value == node)
    })
}

fn resource_slice(node: &str, a: &Attributes<'_>) -> Verdict {
    if !a.subresource.is_empty() {
        return no("cannot authorize ResourceSlice subresources");
    }
    match a.verb {
        "create" => allow(),
        // Dynamic resource allocation is off, so no slice is in the graph.
        "get" | "update" | "patch" | "delete" => related(node, a, |_, _, _| false),
        "watch" | "list" | "deletecollection" if selects_node(a, node) => allow(),
        "watch" | "list" | "deletecollection" => {
            no("can only list/watch/deletecollection resourceslices with nodeName field selector")
        }
        _ => no(
            "only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection",
        ),
    }
}

fn own_node(node: &str, a: &Attributes<'_>) -> Verdict {
    match (a.subresource, a.verb) {
        ("", "create" | "update" | "patch") | ("status", "update" | "patch") => allow(),
        ("", "get" | "list" | "watch") if a.name == node => allow(),
        ("", "get" | "list" | "watch") if a.name.is_empty() => no(&format!(
            "node '{node}' cannot read all nodes, only its own Node object"
        )),
        ("", "get" | "list" | "watch") => no(&format!(
            "node '{node}' cannot read '{}', only its own Node object",
            a.name
        )),
        _ => no(""),
    }
}

fn pods(node: &str, a: &Attributes<'_>, g: &Graph) -> Verdict {
    let on = |n: &str, ns: &str, name: &str| g.pod_on(n, ns, name);
    match (a.subresource, a.verb) {
        ("", "get") => get_only(node, a, on),
        ("", "list" | "watch") if selects_node(a, node) => allow(),
        ("", "list" | "watch") if !a.name.is_empty() => related(node, a, on),
        ("", "list" | "watch") => no("can only list/watch pods with spec.nodeName field selector"),
        ("", "create" | "delete") | ("status", "update" | "patch") | ("eviction", "create") => allow(),
        _ => no(""),
    }
}

impl Authorizer for NodeAuthorizer {
    fn name(&self) -> &'static str {
        "Node"
    }

    fn authorize(&self, user: &UserInfo, attrs: &OwnedAttributes, cx: &Lookups<'_>) -> Flow<Verdict> {
        Flow::Ready(match node_identity(user) {
            None => Verdict::NoOpinion(String::new()),
            Some("") => Verdict::NoOpinion(format!("unknown node for user {}", go_quote(&user.name))),
            Some(node) => self.decide(node, &attrs.borrowed(), cx.node_graph),
        })
    }

    fn rules_for(&self, user: &UserInfo, _: &str, _: &Lookups<'_>) -> Rules {
        match node_identity(user) {
            None => Rules::default(),
            Some(_) => Rules {
                incomplete: true,
                errors: vec!["node authorizer does not support user rule resolution".into()],
                ..Rules::default()
            },
        }
    }
}

#[cfg(test)]
mod tests;
