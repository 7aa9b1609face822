//! The table of served resources: what discovery lists and what the REST handlers dispatch on.

/// A subresource of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subresource {
    /// Path segment, e.g. `status`.
    pub name: &'static str,
    /// Group of the kind the subresource speaks ("" for the parent's own group).
    pub group: &'static str,
    /// Version of that kind.
    pub version: &'static str,
    /// The kind it speaks.
    pub kind: &'static str,
    /// Verbs it allows.
    pub verbs: &'static [&'static str],
}

/// One served resource of one group-version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceDef {
    /// API group ("" for core).
    pub group: &'static str,
    /// Version.
    pub version: &'static str,
    /// Plural resource name, the URL segment.
    pub resource: &'static str,
    /// Singular name.
    pub singular: &'static str,
    /// The kind.
    pub kind: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names kubectl resolves.
    pub short_names: &'static [&'static str],
    /// Categories, e.g. `all`.
    pub categories: &'static [&'static str],
    /// Verbs on the resource itself.
    pub verbs: &'static [&'static str],
    /// Subresources.
    pub subresources: &'static [Subresource],
    /// The storage path segment under the prefix, e.g. `services/specs`.
    pub storage: &'static str,
    /// Whether `metadata.generation` tracks spec changes.
    pub tracks_generation: bool,
    /// Whether PUT of a missing object creates it.
    pub create_on_update: bool,
    /// Whether DELETE answers with the object rather than a success Status.
    pub returns_deleted_object: bool,
    /// OpenAPI definition name of the kind.
    pub definition: &'static str,
}

impl ResourceDef {
    /// `apiVersion` of the kind, e.g. `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The list kind, e.g. `ConfigMapList`.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// The subresource called `name`.
    pub fn subresource(&self, name: &str) -> Option<&'static Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// Whether the resource has a status subresource (spec and status are written apart).
    pub fn has_status(&self) -> bool {
        self.subresource("status").is_some()
    }

    /// Whether `verb` is allowed on the resource itself.
    pub fn allows(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }
}

const FULL: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

const fn status(kind: &'static str) -> Subresource {
    Subresource {
        name: "status",
        group: "",
        version: "",
        kind,
        verbs: STATUS_VERBS,
    }
}

const SCALE: Subresource = Subresource {
    name: "scale",
    group: "autoscaling",
    version: "v1",
    kind: "Scale",
    verbs: STATUS_VERBS,
};

#[allow(clippy::too_many_arguments)]
const fn def(
    group: &'static str,
    resource: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [Subresource],
    storage: &'static str,
    definition: &'static str,
) -> ResourceDef {
    ResourceDef {
        group,
        version: "v1",
        resource,
        singular,
        kind,
        namespaced,
        short_names,
        categories,
        verbs: FULL,
        subresources,
        storage,
        tracks_generation: false,
        create_on_update: false,
        returns_deleted_object: false,
        definition,
    }
}

/// Every served resource, in discovery order (core first, then groups by kube's priority).
pub static RESOURCES: &[ResourceDef] = &[
    def(
        "",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        &[],
        &[],
        "configmaps",
        "io.k8s.api.core.v1.ConfigMap",
    ),
    ResourceDef {
        create_on_update: true,
        ..def(
            "",
            "endpoints",
            "endpoints",
            "Endpoints",
            true,
            &["ep"],
            &[],
            &[],
            "services/endpoints",
            "io.k8s.api.core.v1.Endpoints",
        )
    },
    def(
        "",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        &[],
        &[],
        "events",
        "io.k8s.api.core.v1.Event",
    ),
    ResourceDef {
        verbs: &["create", "delete", "get", "list", "patch", "update", "watch"],
        returns_deleted_object: true,
        ..def(
            "",
            "namespaces",
            "namespace",
            "Namespace",
            false,
            &["ns"],
            &[],
            &[
                Subresource {
                    name: "finalize",
                    group: "",
                    version: "",
                    kind: "Namespace",
                    verbs: &["update"],
                },
                status("Namespace"),
            ],
            "namespaces",
            "io.k8s.api.core.v1.Namespace",
        )
    },
    def(
        "",
        "nodes",
        "node",
        "Node",
        false,
        &["no"],
        &[],
        &[status("Node")],
        "minions",
        "io.k8s.api.core.v1.Node",
    ),
    ResourceDef {
        returns_deleted_object: true,
        ..def(
            "",
            "pods",
            "pod",
            "Pod",
            true,
            &["po"],
            &["all"],
            &[status("Pod")],
            "pods",
            "io.k8s.api.core.v1.Pod",
        )
    },
    def(
        "",
        "secrets",
        "secret",
        "Secret",
        true,
        &[],
        &[],
        &[],
        "secrets",
        "io.k8s.api.core.v1.Secret",
    ),
    def(
        "",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        &[],
        &[],
        "serviceaccounts",
        "io.k8s.api.core.v1.ServiceAccount",
    ),
    ResourceDef {
        returns_deleted_object: true,
        ..def(
            "",
            "services",
            "service",
            "Service",
            true,
            &["svc"],
            &["all"],
            &[status("Service")],
            "services/specs",
            "io.k8s.api.core.v1.Service",
        )
    },
    ResourceDef {
        tracks_generation: true,
        ..def(
            "apps",
            "daemonsets",
            "daemonset",
            "DaemonSet",
            true,
            &["ds"],
            &["all"],
            &[status("DaemonSet")],
            "daemonsets",
            "io.k8s.api.apps.v1.DaemonSet",
        )
    },
    ResourceDef {
        tracks_generation: true,
        ..def(
            "apps",
            "deployments",
            "deployment",
            "Deployment",
            true,
            &["deploy"],
            &["all"],
            &[SCALE, status("Deployment")],
            "deployments",
            "io.k8s.api.apps.v1.Deployment",
        )
    },
    ResourceDef {
        tracks_generation: true,
        ..def(
            "apps",
            "replicasets",
            "replicaset",
            "ReplicaSet",
            true,
            &["rs"],
            &["all"],
            &[SCALE, status("ReplicaSet")],
            "replicasets",
            "io.k8s.api.apps.v1.ReplicaSet",
        )
    },
    ResourceDef {
        tracks_generation: true,
        ..def(
            "apps",
            "statefulsets",
            "statefulset",
            "StatefulSet",
            true,
            &["sts"],
            &["all"],
            &[SCALE, status("StatefulSet")],
            "statefulsets",
            "io.k8s.api.apps.v1.StatefulSet",
        )
    },
    ResourceDef {
        tracks_generation: true,
        ..def(
            "batch",
            "cronjobs",
            "cronjob",
            "CronJob",
            true,
            &["cj"],
            &["all"],
            &[status("CronJob")],
            "cronjobs",
            "io.k8s.api.batch.v1.CronJob",
        )
    },
    ResourceDef {
        tracks_generation: true,
        ..def(
            "batch",
            "jobs",
            "job",
            "Job",
            true,
            &[],
            &["all"],
            &[status("Job")],
            "jobs",
            "io.k8s.api.batch.v1.Job",
        )
    },
    ResourceDef {
        create_on_update: true,
        ..def(
            "coordination.k8s.io",
            "leases",
            "lease",
            "Lease",
            true,
            &[],
            &[],
            &[],
            "leases",
            "io.k8s.api.coordination.v1.Lease",
        )
    },
];

/// Named groups in the order `/apis` lists them.
pub const GROUP_ORDER: &[&str] = &["apps", "batch", "coordination.k8s.io"];

/// Looks up a resource by group, version and plural name.
pub fn find(group: &str, version: &str, resource: &str) -> Option<&'static ResourceDef> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.resource == resource)
}

/// Looks up a resource by group and kind.
pub fn find_kind(group: &str, kind: &str) -> Option<&'static ResourceDef> {
    RESOURCES.iter().find(|r| r.group == group && r.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let d = find("apps", "v1", "deployments").unwrap();
        assert_eq!(d.api_version(), "apps/v1");
        assert!(d.subresource("scale").is_some());
        assert_eq!(find("", "v1", "services").unwrap().storage, "services/specs");
        assert!(!find("", "v1", "namespaces").unwrap().allows("deletecollection"));
        assert!(find_kind("", "Pod").is_some());
    }
}
