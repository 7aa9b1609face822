//! Admission: after authorization, a chain of plugins sees each write, first to mutate it,
//! then to validate it, in kube-apiserver's order and at kube-apiserver's points of the
//! request (create: before the object is prepared and validated; update: inside the
//! read-modify-write loop, so a retry after a conflict is admitted again; delete: before the
//! object is read).
//!
//! A plugin decides with a [`Flow`]: at once, or after an effect (a storage read, a webhook
//! call) whose completion it continues with. The server runs the effect and resumes the
//! request, so a plugin never blocks.

pub mod always;
pub mod always_pull_images;
pub mod certificates;
pub mod config;
pub mod default_ingress_class;
pub mod default_storage_class;
pub mod default_toleration_seconds;
pub mod deny_service_external_ips;
pub mod event_rate_limit;
pub mod extended_resource_toleration;
pub mod gated;
pub mod limit_pod_hard_anti_affinity_topology;
pub mod limit_ranger;
pub mod lookup;
pub mod matching;
pub mod namespace_auto_provision;
pub mod namespace_exists;
pub mod namespace_lifecycle;
pub mod node_restriction;
pub mod owner_references;
pub mod persistent_volume_claim_resize;
pub mod plugins;
pub mod pod_node_selector;
pub mod pod_security;
pub mod pod_toleration_restriction;
pub mod policy;
pub mod priority;
pub mod resource_list;
pub mod resource_quota;
pub mod runtime_class;
pub mod service_account;
pub mod storage_object_in_use_protection;
pub mod taint_nodes_by_condition;
#[cfg(test)]
pub(crate) mod testing;
pub mod tolerations;
pub mod webhook;

use std::sync::Arc;

use serde_json::Value;

use crate::api::ApiError;
use crate::authn::UserInfo;
use crate::server::effect::{Flow, Lookups};

/// What a request does, as admission names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A create (also an update or apply that creates).
    Create,
    /// An update or patch.
    Update,
    /// A delete.
    Delete,
    /// A connect (exec, attach, port-forward, proxy).
    Connect,
}

impl Operation {
    /// The operation as admission webhooks and policies spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

/// Which half of the chain runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Plugins may change the object.
    Mutating,
    /// Plugins may only refuse it.
    Validating,
}

/// One write as admission sees it (kube's `admission.Attributes`).
#[derive(Clone, Debug)]
pub struct Request {
    /// What the request does.
    pub operation: Operation,
    /// API group of the resource.
    pub group: crate::registry::Name,
    /// Version of the resource.
    pub version: crate::registry::Name,
    /// The resource (plural).
    pub resource: crate::registry::Name,
    /// The kind.
    pub kind: crate::registry::Name,
    /// Whether the resource lives in namespaces.
    pub namespaced: bool,
    /// The namespace ("" for cluster-scoped).
    pub namespace: String,
    /// The object's name ("" when it is yet to be generated).
    pub name: String,
    /// The subresource ("" for the object itself).
    pub subresource: String,
    /// Who asks.
    pub user: UserInfo,
    /// Whether the write is a dry run (plugins with side effects must not act).
    pub dry_run: bool,
    /// The object as it would be written (none for a delete).
    pub object: Option<Value>,
    /// The object as stored (updates and deletes).
    pub old_object: Option<Value>,
    /// The request's options (`CreateOptions`, `UpdateOptions`, `DeleteOptions`, or a
    /// connect's options), as kube's attributes carry them.
    pub options: Value,
    /// Warnings for the client (`Warning: 299` headers), added by plugins.
    pub warnings: Vec<String>,
    /// When the request must be answered (monotonic ms), if it has a deadline: what a
    /// plugin that waits on the outside may still spend.
    pub deadline_ms: Option<u64>,
    /// Random bits for what a plugin must make up (a generated volume name, a review's
    /// uid), drawn from the server's seeded generator so that runs replay.
    pub seed: u64,
}

impl Request {
    /// The name a refusal names: the object's, else its `generateName`, else `Unknown`, as
    /// kube's admission errors pick it.
    pub fn display_name(&self) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        let meta = self.object.as_ref().and_then(|o| o.get("metadata"));
        let field = |f: &str| meta.and_then(|m| m.get(f)).and_then(Value::as_str).unwrap_or("");
        match (field("name"), field("generateName")) {
            ("", "") => "Unknown".into(),
            ("", generate) => generate.into(),
            (name, _) => name.into(),
        }
    }

    /// kube's admission 403: `<resource> "<name>" is forbidden: <why>`.
    pub fn forbidden(&self, why: &str) -> ApiError {
        ApiError::forbidden(&self.group, &self.resource, &self.display_name(), why)
    }

    /// Whether this request is for the object itself of `group`/`resource` (no subresource).
    pub fn is(&self, group: &str, resource: &str) -> bool {
        self.group == group && self.resource == resource && self.subresource.is_empty()
    }
}

/// One admission plugin.
pub trait Plugin: Send + Sync {
    /// Its name, as `--enable-admission-plugins` spells it.
    fn name(&self) -> &'static str;

    /// Admits `request` in `phase`: returns it (changed, in the mutating phase) or refuses
    /// it, now or after an effect.
    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>>;
}

/// The plugins every write passes, in order.
#[derive(Clone, Default)]
pub struct Chain {
    plugins: Vec<Arc<dyn Plugin>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.plugins.iter().map(|p| p.name()))
            .finish()
    }
}

impl Chain {
    /// kube-apiserver's default plugins (those Gatehouse has), with no configuration.
    pub fn builtin() -> Self {
        let enabled = plugins::enabled(&[], &[]).unwrap_or_default();
        plugins::build(&enabled, &Default::default())
            .map(|built| built.chain)
            .unwrap_or_default()
    }

    /// A chain of `plugins`, in the order given.
    pub fn of(plugins: Vec<Arc<dyn Plugin>>) -> Self {
        Chain { plugins }
    }

    /// Adds `plugin` at the end of the chain.
    pub fn push(&mut self, plugin: Arc<dyn Plugin>) {
        self.plugins.push(plugin);
    }

    /// The plugins' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.plugins.iter().map(|p| p.name()).collect()
    }

    /// Runs every plugin over `request` in `phase`, in order; the first refusal ends it.
    pub fn run(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let plugins = run_from(self.plugins.clone(), 0, phase, request, cx);
        if phase == Phase::Validating {
            return plugins;
        }
        // After the mutating plugins, before validation: where kube's RBAC storage refuses
        // a write that would grant more than its writer holds.
        plugins.and_then(cx, |outcome, cx| match outcome {
            Ok(request) => crate::authz::rbac::escalation::check(request, cx),
            Err(e) => Flow::Ready(Err(e)),
        })
    }
}

fn run_from(
    plugins: Vec<Arc<dyn Plugin>>,
    i: usize,
    phase: Phase,
    request: Request,
    cx: &Lookups<'_>,
) -> Flow<Result<Request, ApiError>> {
    let Some(plugin) = plugins.get(i).cloned() else {
        return Flow::Ready(Ok(request));
    };
    plugin
        .admit(phase, request, cx)
        .and_then(cx, move |outcome, cx| match outcome {
            Ok(request) => run_from(plugins, i + 1, phase, request, cx),
            Err(e) => Flow::Ready(Err(e)),
        })
}
