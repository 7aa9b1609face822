//! RBAC: Roles, ClusterRoles and their bindings, as kube's RBAC authorizer decides with them.
//!
//! The four kinds are kept from the watch caches, and the bindings are indexed by the users
//! and groups they name, so a decision visits only the bindings of the requesting user and
//! its groups instead of every binding of the cluster. Cluster-wide bindings apply
//! everywhere; a RoleBinding applies to requests in its own namespace. RBAC never denies:
//! a request no rule allows gets no opinion, with the reasons kube gives (a binding whose
//! role is missing).

pub mod aggregation;
pub mod bootstrap;
pub mod covers;
pub mod escalation;
pub mod rule;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::api;
use crate::authn::UserInfo;
use crate::authz::Attributes;
use crate::validation::go_quote;
use crate::watch::{CacheEvent, EventType, WatchCaches};

pub use rule::PolicyRule;

/// The storage collections of the four kinds, under the storage prefix.
const CLUSTER_ROLES: &str = "clusterroles";
const ROLES: &str = "roles";
const CLUSTER_ROLE_BINDINGS: &str = "clusterrolebindings";
const ROLE_BINDINGS: &str = "rolebindings";

/// A binding's name; cluster-wide bindings order first, as kube visits them first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BindingKey {
    /// A ClusterRoleBinding.
    Cluster(String),
    /// A RoleBinding: namespace, name.
    Namespaced(String, String),
}

/// What a binding grants: the role it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RoleRef {
    ClusterRole(String),
    Role(String),
    /// A kind RBAC does not know: an evaluation error, as in kube.
    Unknown(String),
}

/// One binding: its role and the users and groups it names (service accounts as their
/// user names), with each subject as kube describes it (`User "alice"`).
#[derive(Clone, Debug)]
struct Binding {
    role: RoleRef,
    users: Vec<String>,
    groups: Vec<String>,
    /// In order: whether it is a group, the user or group name it matches, its description.
    subjects: Vec<(bool, String, String)>,
}

/// The RBAC state of one replica, from its watch caches.
#[derive(Debug, Default)]
pub struct Rbac {
    cluster_roles: HashMap<String, Arc<[PolicyRule]>>,
    roles: HashMap<(String, String), Arc<[PolicyRule]>>,
    bindings: HashMap<BindingKey, Binding>,
    by_user: HashMap<String, BTreeSet<BindingKey>>,
    by_group: HashMap<String, BTreeSet<BindingKey>>,
}

/// A service account's user name.
pub fn service_account_user(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

impl Binding {
    fn from_json(obj: &Value, namespace: &str) -> Binding {
        let kind = obj.pointer("/roleRef/kind").and_then(Value::as_str).unwrap_or("");
        let name = obj
            .pointer("/roleRef/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let role = match kind {
            "ClusterRole" => RoleRef::ClusterRole(name),
            "Role" => RoleRef::Role(name),
            other => RoleRef::Unknown(other.to_string()),
        };
        let mut users = Vec::new();
        let mut groups = Vec::new();
        let mut subjects = Vec::new();
        for s in obj
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let get = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
            let (kind, name) = (get("kind"), get("name"));
            match kind {
                "User" => {
                    users.push(name.to_string());
                    subjects.push((false, name.to_string(), format!("User {}", go_quote(name))));
                }
                "Group" => {
                    groups.push(name.to_string());
                    subjects.push((true, name.to_string(), format!("Group {}", go_quote(name))));
                }
                "ServiceAccount" => {
                    // A subject without a namespace means the binding's own.
                    let ns = match get("namespace") {
                        "" => namespace,
                        ns => ns,
                    };
                    if !ns.is_empty() {
                        let user = service_account_user(ns, name);
                        users.push(user.clone());
                        let shown = format!("ServiceAccount {}", go_quote(&format!("{name}/{ns}")));
                        subjects.push((false, user, shown));
                    }
                }
                _ => {}
            }
        }
        Binding {
            role,
            users,
            groups,
            subjects,
        }
    }
}

/// Where a stored key belongs among the four kinds.
#[derive(Clone, Copy)]
enum Kind {
    ClusterRole,
    Role,
    ClusterRoleBinding,
    RoleBinding,
}

fn kind_of(prefix: &str, key: &[u8]) -> Option<Kind> {
    let rest = key.strip_prefix(prefix.as_bytes())?.strip_prefix(b"/")?;
    let collection = rest.split(|b| *b == b'/').next()?;
    match collection {
        c if c == CLUSTER_ROLES.as_bytes() => Some(Kind::ClusterRole),
        c if c == ROLES.as_bytes() => Some(Kind::Role),
        c if c == CLUSTER_ROLE_BINDINGS.as_bytes() => Some(Kind::ClusterRoleBinding),
        c if c == ROLE_BINDINGS.as_bytes() => Some(Kind::RoleBinding),
        _ => None,
    }
}

impl Rbac {
    /// Whether a change to `key` concerns RBAC.
    pub fn concerns(prefix: &str, key: &[u8]) -> bool {
        kind_of(prefix, key).is_some()
    }

    /// Takes in the changes among the four kinds.
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent]) {
        for ev in events {
            let Some(kind) = kind_of(prefix, &ev.key) else {
                continue;
            };
            let gone = ev.kind == EventType::Deleted;
            self.put(kind, &ev.object, gone);
        }
    }

    /// Loads the four kinds afresh from the caches.
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches) {
        *self = Rbac::default();
        for (collection, kind) in [
            (CLUSTER_ROLES, Kind::ClusterRole),
            (ROLES, Kind::Role),
            (CLUSTER_ROLE_BINDINGS, Kind::ClusterRoleBinding),
            (ROLE_BINDINGS, Kind::RoleBinding),
        ] {
            let p = format!("{prefix}/{collection}/");
            let objects: Vec<Arc<Value>> = caches
                .for_key(p.as_bytes())
                .list(p.as_bytes())
                .map(|(_, o)| o.clone())
                .collect();
            for o in objects {
                self.put(kind, &o, false);
            }
        }
    }

    fn put(&mut self, kind: Kind, obj: &Value, gone: bool) {
        let name = api::name(obj).to_string();
        let namespace = api::namespace(obj).to_string();
        match kind {
            Kind::ClusterRole if gone => {
                self.cluster_roles.remove(&name);
            }
            Kind::ClusterRole => {
                self.cluster_roles.insert(name, PolicyRule::all_of(obj).into());
            }
            Kind::Role if gone => {
                self.roles.remove(&(namespace, name));
            }
            Kind::Role => {
                self.roles
                    .insert((namespace, name), PolicyRule::all_of(obj).into());
            }
            Kind::ClusterRoleBinding => {
                let b = (!gone).then(|| Binding::from_json(obj, ""));
                self.set_binding(BindingKey::Cluster(name), b);
            }
            Kind::RoleBinding => {
                let b = (!gone).then(|| Binding::from_json(obj, &namespace));
                self.set_binding(BindingKey::Namespaced(namespace, name), b);
            }
        }
    }

    fn set_binding(&mut self, key: BindingKey, binding: Option<Binding>) {
        if let Some(old) = self.bindings.remove(&key) {
            unindex(&mut self.by_user, &old.users, &key);
            unindex(&mut self.by_group, &old.groups, &key);
        }
        if let Some(b) = binding {
            for u in &b.users {
                self.by_user.entry(u.clone()).or_default().insert(key.clone());
            }
            for g in &b.groups {
                self.by_group.entry(g.clone()).or_default().insert(key.clone());
            }
            self.bindings.insert(key, b);
        }
    }

    /// The bindings that apply to `user` for a request in `namespace` ("" for cluster
    /// scope and paths), cluster-wide ones first, each once.
    fn bindings_of(&self, user: &UserInfo, namespace: &str) -> Vec<&BindingKey> {
        let mut keys: Vec<&BindingKey> = Vec::new();
        let named = std::iter::once(self.by_user.get(&user.name))
            .chain(user.groups.iter().map(|g| self.by_group.get(g)))
            .flatten();
        for set in named {
            keys.extend(set.iter().filter(|k| match k {
                BindingKey::Cluster(_) => true,
                BindingKey::Namespaced(ns, _) => !namespace.is_empty() && ns == namespace,
            }));
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// The rules a binding grants, or kube's error for a role that is not there.
    fn rules_of(&self, key: &BindingKey) -> Result<&[PolicyRule], Unresolved> {
        let Some(b) = self.bindings.get(key) else {
            return Ok(&[]);
        };
        match (&b.role, key) {
            (RoleRef::ClusterRole(name), _) => self
                .cluster_roles
                .get(name)
                .map(|r| &r[..])
                .ok_or_else(|| Unresolved::ClusterRole(name.clone())),
            (RoleRef::Role(name), BindingKey::Namespaced(ns, _)) => self
                .roles
                .get(&(ns.clone(), name.clone()))
                .map(|r| &r[..])
                .ok_or_else(|| Unresolved::Role(name.clone())),
            // A cluster-wide binding looks for the Role at cluster scope, where none is.
            (RoleRef::Role(name), BindingKey::Cluster(_)) => Err(Unresolved::Role(name.clone())),
            (RoleRef::Unknown(kind), _) => Err(Unresolved::Kind(kind.clone())),
        }
    }

    /// kube's RBAC decision: allowed when a rule of a binding of the user allows it (with
    /// kube's `RBAC: allowed by ...` reason), otherwise no opinion with the errors met on
    /// the way (`RBAC: ...`), or none.
    pub fn authorize(&self, user: &UserInfo, attrs: &Attributes<'_>) -> Result<String, String> {
        let mut errors = Vec::new();
        for key in self.bindings_of(user, attrs.namespace) {
            match self.rules_of(key) {
                Ok(rules) => {
                    if rules.iter().any(|r| r.allows(attrs)) {
                        return Ok(format!("RBAC: allowed by {}", self.describe(key, user)));
                    }
                }
                Err(e) => errors.push(e.message(false)),
            }
        }
        Err(if errors.is_empty() {
            String::new()
        } else {
            format!("RBAC: {}", crate::authz::aggregate(&errors))
        })
    }

    /// How kube names the binding that allowed a request, and the user's subject in it:
    /// `ClusterRoleBinding "b" of ClusterRole "view" to User "alice"`.
    fn describe(&self, key: &BindingKey, user: &UserInfo) -> String {
        let Some(b) = self.bindings.get(key) else {
            return String::new();
        };
        let (kind, name) = match key {
            BindingKey::Cluster(name) => ("ClusterRoleBinding", name.clone()),
            BindingKey::Namespaced(ns, name) => ("RoleBinding", format!("{name}/{ns}")),
        };
        let role = match &b.role {
            RoleRef::ClusterRole(r) => format!("ClusterRole {}", go_quote(r)),
            RoleRef::Role(r) => format!("Role {}", go_quote(r)),
            RoleRef::Unknown(k) => format!("{k} \"\""),
        };
        let subject = b
            .subjects
            .iter()
            .find(|(group, matched, _)| {
                if *group {
                    user.in_group(matched)
                } else {
                    *matched == user.name
                }
            })
            .map(|(_, _, shown)| shown.as_str())
            .unwrap_or("");
        format!("{kind} {} of {role} to {subject}", go_quote(&name))
    }

    /// Every rule that applies to `user` in `namespace` (kube's `RulesFor`), and the roles
    /// that could not be found. `plural` words those as kube's RBAC storage does
    /// (`clusterroles.rbac...`), else as its authorizer does (`clusterrole.rbac...`).
    pub fn rules_for(
        &self,
        user: &UserInfo,
        namespace: &str,
        plural: bool,
    ) -> (Vec<PolicyRule>, Vec<String>) {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for key in self.bindings_of(user, namespace) {
            match self.rules_of(key) {
                Ok(r) => rules.extend(r.iter().cloned()),
                Err(e) => errors.push(e.message(plural)),
            }
        }
        (rules, errors)
    }

    /// The rules of ClusterRole `name`, when it exists.
    pub fn cluster_role(&self, name: &str) -> Option<&[PolicyRule]> {
        self.cluster_roles.get(name).map(|r| &r[..])
    }

    /// The rules of Role `namespace`/`name`, when it exists.
    pub fn role(&self, namespace: &str, name: &str) -> Option<&[PolicyRule]> {
        self.roles
            .get(&(namespace.to_string(), name.to_string()))
            .map(|r| &r[..])
    }

    /// How many roles and bindings are held.
    pub fn len(&self) -> usize {
        self.cluster_roles.len() + self.roles.len() + self.bindings.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a binding grants nothing: its role is not there, or its kind is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// The ClusterRole is not there.
    ClusterRole(String),
    /// The Role is not there.
    Role(String),
    /// A roleRef kind RBAC does not know.
    Kind(String),
}

impl Unresolved {
    /// kube's text: its NotFound for a missing role, with the resource singular as its
    /// authorizer's caches name it or `plural` as its storage does.
    pub fn message(&self, plural: bool) -> String {
        let s = if plural { "s" } else { "" };
        match self {
            Unresolved::ClusterRole(name) => {
                format!(
                    "clusterrole{s}.rbac.authorization.k8s.io {} not found",
                    go_quote(name)
                )
            }
            Unresolved::Role(name) => {
                format!("role{s}.rbac.authorization.k8s.io {} not found", go_quote(name))
            }
            Unresolved::Kind(kind) => format!("unsupported role reference kind: {}", go_quote(kind)),
        }
    }
}

fn unindex(index: &mut HashMap<String, BTreeSet<BindingKey>>, names: &[String], key: &BindingKey) {
    for n in names {
        if let Some(set) = index.get_mut(n) {
            set.remove(key);
            if set.is_empty() {
                index.remove(n);
            }
        }
    }
}

#[cfg(test)]
mod tests;
