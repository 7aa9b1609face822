//! The built-in resources: what a fresh server serves before anything is added at run time
//! (see [`super::table::Resources`]), and the shape every served resource has.

use std::borrow::Cow;

/// A name in a resource definition: static for the built-in resources, owned for those
/// added at run time.
pub type Name = Cow<'static, str>;

/// A list of names (short names, categories, verbs): static or owned, as [`Name`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Names {
    /// Names fixed at compile time.
    Static(&'static [&'static str]),
    /// Names known at run time.
    Owned(Vec<String>),
}

impl Names {
    /// The names, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let (a, b) = match self {
            Names::Static(s) => (Some(s.iter().copied()), None),
            Names::Owned(v) => (None, Some(v.iter().map(String::as_str))),
        };
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }

    /// Whether `name` is among them.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        match self {
            Names::Static(s) => s.is_empty(),
            Names::Owned(v) => v.is_empty(),
        }
    }
}

/// A list of names is written as a JSON array of strings.
impl serde::Serialize for Names {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A subresource of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subresource {
    /// Path segment, e.g. `status`.
    pub name: &'static str,
    /// Group of the kind the subresource speaks ("" for the parent's own group).
    pub group: &'static str,
    /// Version of that kind ("" for the parent's own version).
    pub version: &'static str,
    /// The kind it speaks ("" for the parent's own kind).
    pub kind: &'static str,
    /// Verbs it allows.
    pub verbs: &'static [&'static str],
}

/// One served resource of one group-version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceDef {
    /// API group ("" for core).
    pub group: Name,
    /// Version.
    pub version: Name,
    /// Plural resource name, the URL segment.
    pub resource: Name,
    /// Singular name.
    pub singular: Name,
    /// The kind.
    pub kind: Name,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names kubectl resolves.
    pub short_names: Names,
    /// Categories, e.g. `all`.
    pub categories: Names,
    /// Verbs on the resource itself.
    pub verbs: Names,
    /// Subresources.
    pub subresources: Cow<'static, [Subresource]>,
    /// The storage path segment under the prefix, e.g. `services/specs`; empty for resources
    /// that are computed per request and never stored (reviews, component statuses).
    pub storage: Name,
    /// Whether `metadata.generation` tracks spec changes.
    pub tracks_generation: bool,
    /// Whether PUT of a missing object creates it.
    pub create_on_update: bool,
    /// Whether DELETE answers with the object rather than a success Status.
    pub returns_deleted_object: bool,
    /// OpenAPI definition name of the kind.
    pub definition: Name,
    /// For a resource served in another version than it is stored in: the (group, version,
    /// resource) of the stored form. Requests are converted to it and answers back, as
    /// kube-apiserver converts through its internal version.
    pub stored_as: Option<(&'static str, &'static str, &'static str)>,
    /// Whether the resource was built in (its kind has Gatehouse's own strategy, validation,
    /// printer and protobuf form) rather than added at run time.
    pub builtin: bool,
    /// The kind's OpenAPI schema, for a resource added at run time (built-in kinds' schemas
    /// are in the embedded data, under [`ResourceDef::definition`]).
    pub schema: Option<std::sync::Arc<serde_json::Value>>,
    /// The printer columns of a resource added at run time (built-in kinds have their own
    /// printers); `None` there prints Name and Age.
    pub columns: Option<Vec<crate::printers::custom::PrinterColumn>>,
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
    pub fn subresource(&self, name: &str) -> Option<&Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// `apiVersion` of the stored form: its own, or that of the version it is stored as.
    pub fn storage_api_version(&self) -> String {
        match self.stored_as {
            Some(("", v, _)) => v.to_string(),
            Some((g, v, _)) => format!("{g}/{v}"),
            None => self.api_version(),
        }
    }

    /// Whether objects of the resource are kept in storage.
    pub fn is_stored(&self) -> bool {
        !self.storage.is_empty()
    }

    /// How the watch caches know the resource.
    pub fn cached_type(&self) -> crate::watch::CachedType {
        let name = if self.group.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}.{}", self.resource, self.group)
        };
        crate::watch::CachedType {
            name,
            storage_path: self.storage.to_string(),
        }
    }

    /// Whether the resource has a status subresource (spec and status are written apart).
    pub fn has_status(&self) -> bool {
        self.subresource("status").is_some()
    }

    /// Whether `verb` is allowed on the resource itself.
    pub fn allows(&self, verb: &str) -> bool {
        self.verbs.contains(verb)
    }

    /// Whether the resource's kind is `group`'s `kind`.
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }

    /// Whether `self` and `other` are the same group, version and resource.
    pub fn same(&self, other: &ResourceDef) -> bool {
        self.group == other.group && self.version == other.version && self.resource == other.resource
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

const FINALIZE: Subresource = Subresource {
    name: "finalize",
    group: "",
    version: "",
    kind: "Namespace",
    verbs: &["update"],
};

/// A subresource a kubelet serves through the API server (`create` and `get`).
const fn kubelet_sub(name: &'static str, kind: &'static str) -> Subresource {
    Subresource {
        name,
        group: "",
        version: "",
        kind,
        verbs: &["create", "get"],
    }
}

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

/// A built-in resource as the table writes it; [`ResourceDef`] is its served form.
#[derive(Clone, Copy, Debug)]
struct Builtin {
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    verbs: &'static [&'static str],
    subresources: &'static [Subresource],
    storage: &'static str,
    tracks_generation: bool,
    create_on_update: bool,
    returns_deleted_object: bool,
    definition: &'static str,
    stored_as: Option<(&'static str, &'static str, &'static str)>,
}

impl From<&Builtin> for ResourceDef {
    fn from(b: &Builtin) -> Self {
        ResourceDef {
            group: Cow::Borrowed(b.group),
            version: Cow::Borrowed(b.version),
            resource: Cow::Borrowed(b.resource),
            singular: Cow::Borrowed(b.singular),
            kind: Cow::Borrowed(b.kind),
            namespaced: b.namespaced,
            short_names: Names::Static(b.short_names),
            categories: Names::Static(b.categories),
            verbs: Names::Static(b.verbs),
            subresources: Cow::Borrowed(b.subresources),
            storage: Cow::Borrowed(b.storage),
            tracks_generation: b.tracks_generation,
            create_on_update: b.create_on_update,
            returns_deleted_object: b.returns_deleted_object,
            definition: Cow::Borrowed(b.definition),
            stored_as: b.stored_as,
            builtin: true,
            schema: None,
            columns: None,
        }
    }
}

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
) -> Builtin {
    Builtin {
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
        stored_as: None,
    }
}

/// Every built-in resource, in discovery order (core first, then groups by kube's priority).
static TABLE: &[Builtin] = &[
    Builtin {
        verbs: &["create"],
        ..def(
            "",
            "bindings",
            "binding",
            "Binding",
            true,
            &[],
            &[],
            &[],
            "",
            "io.k8s.api.core.v1.Binding",
        )
    },
    Builtin {
        verbs: &["get", "list"],
        ..def(
            "",
            "componentstatuses",
            "componentstatus",
            "ComponentStatus",
            false,
            &["cs"],
            &[],
            &[],
            "",
            "io.k8s.api.core.v1.ComponentStatus",
        )
    },
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
    Builtin {
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
    Builtin {
        create_on_update: true,
        ..def(
            "",
            "limitranges",
            "limitrange",
            "LimitRange",
            true,
            &["limits"],
            &[],
            &[],
            "limitranges",
            "io.k8s.api.core.v1.LimitRange",
        )
    },
    Builtin {
        returns_deleted_object: true,
        verbs: &["create", "delete", "get", "list", "patch", "update", "watch"],
        ..def(
            "",
            "namespaces",
            "namespace",
            "Namespace",
            false,
            &["ns"],
            &[],
            &[FINALIZE, status("Namespace")],
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
    def(
        "",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        &[],
        &[status("PersistentVolumeClaim")],
        "persistentvolumeclaims",
        "io.k8s.api.core.v1.PersistentVolumeClaim",
    ),
    def(
        "",
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        false,
        &["pv"],
        &[],
        &[status("PersistentVolume")],
        "persistentvolumes",
        "io.k8s.api.core.v1.PersistentVolume",
    ),
    Builtin {
        returns_deleted_object: true,
        ..def(
            "",
            "pods",
            "pod",
            "Pod",
            true,
            &["po"],
            &["all"],
            &[
                kubelet_sub("attach", "PodAttachOptions"),
                Subresource {
                    name: "binding",
                    group: "",
                    version: "",
                    kind: "Binding",
                    verbs: &["create"],
                },
                Subresource {
                    name: "eviction",
                    group: "policy",
                    version: "v1",
                    kind: "Eviction",
                    verbs: &["create"],
                },
                Subresource {
                    name: "ephemeralcontainers",
                    group: "",
                    version: "",
                    kind: "Pod",
                    verbs: STATUS_VERBS,
                },
                kubelet_sub("exec", "PodExecOptions"),
                Subresource {
                    name: "log",
                    group: "",
                    version: "",
                    kind: "Pod",
                    verbs: &["get"],
                },
                kubelet_sub("portforward", "PodPortForwardOptions"),
                status("Pod"),
            ],
            "pods",
            "io.k8s.api.core.v1.Pod",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "",
            "podtemplates",
            "podtemplate",
            "PodTemplate",
            true,
            &[],
            &[],
            &[],
            "podtemplates",
            "io.k8s.api.core.v1.PodTemplate",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "",
            "replicationcontrollers",
            "replicationcontroller",
            "ReplicationController",
            true,
            &["rc"],
            &["all"],
            &[SCALE, status("ReplicationController")],
            "controllers",
            "io.k8s.api.core.v1.ReplicationController",
        )
    },
    def(
        "",
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        true,
        &["quota"],
        &[],
        &[status("ResourceQuota")],
        "resourcequotas",
        "io.k8s.api.core.v1.ResourceQuota",
    ),
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
        &[Subresource {
            name: "token",
            group: "authentication.k8s.io",
            version: "v1",
            kind: "TokenRequest",
            verbs: &["create"],
        }],
        "serviceaccounts",
        "io.k8s.api.core.v1.ServiceAccount",
    ),
    Builtin {
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
    def(
        "apiregistration.k8s.io",
        "apiservices",
        "apiservice",
        "APIService",
        false,
        &[],
        &["api-extensions"],
        &[status("APIService")],
        "apiregistration.k8s.io/apiservices",
        "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService",
    ),
    def(
        "apps",
        "controllerrevisions",
        "controllerrevision",
        "ControllerRevision",
        true,
        &[],
        &[],
        &[],
        "controllerrevisions",
        "io.k8s.api.apps.v1.ControllerRevision",
    ),
    Builtin {
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
    Builtin {
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
    Builtin {
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
    Builtin {
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
    Builtin {
        stored_as: Some(("", "v1", "events")),
        ..def(
            "events.k8s.io",
            "events",
            "event",
            "Event",
            true,
            &["ev"],
            &[],
            &[],
            "events",
            "io.k8s.api.events.v1.Event",
        )
    },
    Builtin {
        verbs: &["create"],
        ..def(
            "authentication.k8s.io",
            "selfsubjectreviews",
            "selfsubjectreview",
            "SelfSubjectReview",
            false,
            &[],
            &[],
            &[],
            "",
            "io.k8s.api.authentication.v1.SelfSubjectReview",
        )
    },
    Builtin {
        verbs: &["create"],
        ..def(
            "authentication.k8s.io",
            "tokenreviews",
            "tokenreview",
            "TokenReview",
            false,
            &[],
            &[],
            &[],
            "",
            "io.k8s.api.authentication.v1.TokenReview",
        )
    },
    Builtin {
        verbs: &["create"],
        ..def(
            "authorization.k8s.io",
            "localsubjectaccessreviews",
            "localsubjectaccessreview",
            "LocalSubjectAccessReview",
            true,
            &[],
            &[],
            &[],
            "",
            "io.k8s.api.authorization.v1.LocalSubjectAccessReview",
        )
    },
    Builtin {
        verbs: &["create"],
        ..def(
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
            "selfsubjectaccessreview",
            "SelfSubjectAccessReview",
            false,
            &[],
            &[],
            &[],
            "",
            "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
        )
    },
    Builtin {
        verbs: &["create"],
        ..def(
            "authorization.k8s.io",
            "selfsubjectrulesreviews",
            "selfsubjectrulesreview",
            "SelfSubjectRulesReview",
            false,
            &[],
            &[],
            &[],
            "",
            "io.k8s.api.authorization.v1.SelfSubjectRulesReview",
        )
    },
    Builtin {
        verbs: &["create"],
        ..def(
            "authorization.k8s.io",
            "subjectaccessreviews",
            "subjectaccessreview",
            "SubjectAccessReview",
            false,
            &[],
            &[],
            &[],
            "",
            "io.k8s.api.authorization.v1.SubjectAccessReview",
        )
    },
    // kube's HPA strategy sets no generation.
    Builtin {
        version: "v2",
        ..def(
            "autoscaling",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            "HorizontalPodAutoscaler",
            true,
            &["hpa"],
            &["all"],
            &[status("HorizontalPodAutoscaler")],
            "horizontalpodautoscalers",
            "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
        )
    },
    Builtin {
        stored_as: Some(("autoscaling", "v2", "horizontalpodautoscalers")),
        ..def(
            "autoscaling",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            "HorizontalPodAutoscaler",
            true,
            &["hpa"],
            &["all"],
            &[status("HorizontalPodAutoscaler")],
            "horizontalpodautoscalers",
            "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler",
        )
    },
    Builtin {
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
    Builtin {
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
    def(
        "certificates.k8s.io",
        "certificatesigningrequests",
        "certificatesigningrequest",
        "CertificateSigningRequest",
        false,
        &["csr"],
        &[],
        &[
            Subresource {
                name: "approval",
                group: "",
                version: "",
                kind: "CertificateSigningRequest",
                verbs: STATUS_VERBS,
            },
            status("CertificateSigningRequest"),
        ],
        "certificatesigningrequests",
        "io.k8s.api.certificates.v1.CertificateSigningRequest",
    ),
    Builtin {
        tracks_generation: true,
        ..def(
            "networking.k8s.io",
            "ingressclasses",
            "ingressclass",
            "IngressClass",
            false,
            &[],
            &[],
            &[],
            "ingressclasses",
            "io.k8s.api.networking.v1.IngressClass",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "networking.k8s.io",
            "ingresses",
            "ingress",
            "Ingress",
            true,
            &["ing"],
            &[],
            &[status("Ingress")],
            "ingress",
            "io.k8s.api.networking.v1.Ingress",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "networking.k8s.io",
            "networkpolicies",
            "networkpolicy",
            "NetworkPolicy",
            true,
            &["netpol"],
            &[],
            &[],
            "networkpolicies",
            "io.k8s.api.networking.v1.NetworkPolicy",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "policy",
            "poddisruptionbudgets",
            "poddisruptionbudget",
            "PodDisruptionBudget",
            true,
            &["pdb"],
            &[],
            &[status("PodDisruptionBudget")],
            "poddisruptionbudgets",
            "io.k8s.api.policy.v1.PodDisruptionBudget",
        )
    },
    Builtin {
        create_on_update: true,
        ..def(
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
            "clusterrolebinding",
            "ClusterRoleBinding",
            false,
            &[],
            &[],
            &[],
            "clusterrolebindings",
            "io.k8s.api.rbac.v1.ClusterRoleBinding",
        )
    },
    Builtin {
        create_on_update: true,
        ..def(
            "rbac.authorization.k8s.io",
            "clusterroles",
            "clusterrole",
            "ClusterRole",
            false,
            &[],
            &[],
            &[],
            "clusterroles",
            "io.k8s.api.rbac.v1.ClusterRole",
        )
    },
    Builtin {
        create_on_update: true,
        ..def(
            "rbac.authorization.k8s.io",
            "rolebindings",
            "rolebinding",
            "RoleBinding",
            true,
            &[],
            &[],
            &[],
            "rolebindings",
            "io.k8s.api.rbac.v1.RoleBinding",
        )
    },
    Builtin {
        create_on_update: true,
        ..def(
            "rbac.authorization.k8s.io",
            "roles",
            "role",
            "Role",
            true,
            &[],
            &[],
            &[],
            "roles",
            "io.k8s.api.rbac.v1.Role",
        )
    },
    def(
        "storage.k8s.io",
        "csidrivers",
        "csidriver",
        "CSIDriver",
        false,
        &[],
        &[],
        &[],
        "csidrivers",
        "io.k8s.api.storage.v1.CSIDriver",
    ),
    def(
        "storage.k8s.io",
        "csinodes",
        "csinode",
        "CSINode",
        false,
        &[],
        &[],
        &[],
        "csinodes",
        "io.k8s.api.storage.v1.CSINode",
    ),
    def(
        "storage.k8s.io",
        "csistoragecapacities",
        "csistoragecapacity",
        "CSIStorageCapacity",
        true,
        &[],
        &[],
        &[],
        "csistoragecapacities",
        "io.k8s.api.storage.v1.CSIStorageCapacity",
    ),
    def(
        "storage.k8s.io",
        "storageclasses",
        "storageclass",
        "StorageClass",
        false,
        &["sc"],
        &[],
        &[],
        "storageclasses",
        "io.k8s.api.storage.v1.StorageClass",
    ),
    def(
        "storage.k8s.io",
        "volumeattachments",
        "volumeattachment",
        "VolumeAttachment",
        false,
        &[],
        &[],
        &[status("VolumeAttachment")],
        "volumeattachments",
        "io.k8s.api.storage.v1.VolumeAttachment",
    ),
    Builtin {
        tracks_generation: true,
        ..def(
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "mutatingwebhookconfiguration",
            "MutatingWebhookConfiguration",
            false,
            &[],
            &["api-extensions"],
            &[],
            "mutatingwebhookconfigurations",
            "io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "admissionregistration.k8s.io",
            "validatingadmissionpolicies",
            "validatingadmissionpolicy",
            "ValidatingAdmissionPolicy",
            false,
            &[],
            &["api-extensions"],
            &[status("ValidatingAdmissionPolicy")],
            "validatingadmissionpolicies",
            "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "admissionregistration.k8s.io",
            "validatingadmissionpolicybindings",
            "validatingadmissionpolicybinding",
            "ValidatingAdmissionPolicyBinding",
            false,
            &[],
            &["api-extensions"],
            &[],
            "validatingadmissionpolicybindings",
            "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
            "validatingwebhookconfiguration",
            "ValidatingWebhookConfiguration",
            false,
            &[],
            &["api-extensions"],
            &[],
            "validatingwebhookconfigurations",
            "io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration",
        )
    },
    Builtin {
        tracks_generation: true,
        returns_deleted_object: true,
        ..def(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "customresourcedefinition",
            "CustomResourceDefinition",
            false,
            &["crd", "crds"],
            &["api-extensions"],
            &[status("CustomResourceDefinition")],
            "apiextensions.k8s.io/customresourcedefinitions",
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
        )
    },
    Builtin {
        tracks_generation: true,
        ..def(
            "scheduling.k8s.io",
            "priorityclasses",
            "priorityclass",
            "PriorityClass",
            false,
            &["pc"],
            &[],
            &[],
            "priorityclasses",
            "io.k8s.api.scheduling.v1.PriorityClass",
        )
    },
    Builtin {
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
    def(
        "node.k8s.io",
        "runtimeclasses",
        "runtimeclass",
        "RuntimeClass",
        false,
        &[],
        &[],
        &[],
        "runtimeclasses",
        "io.k8s.api.node.v1.RuntimeClass",
    ),
    Builtin {
        tracks_generation: true,
        ..def(
            "discovery.k8s.io",
            "endpointslices",
            "endpointslice",
            "EndpointSlice",
            true,
            &[],
            &[],
            &[],
            "endpointslices",
            "io.k8s.api.discovery.v1.EndpointSlice",
        )
    },
    Builtin {
        tracks_generation: true,
        create_on_update: true,
        ..def(
            "flowcontrol.apiserver.k8s.io",
            "flowschemas",
            "flowschema",
            "FlowSchema",
            false,
            &[],
            &[],
            &[status("FlowSchema")],
            "flowschemas",
            "io.k8s.api.flowcontrol.v1.FlowSchema",
        )
    },
    Builtin {
        tracks_generation: true,
        create_on_update: true,
        ..def(
            "flowcontrol.apiserver.k8s.io",
            "prioritylevelconfigurations",
            "prioritylevelconfiguration",
            "PriorityLevelConfiguration",
            false,
            &[],
            &[],
            &[status("PriorityLevelConfiguration")],
            "prioritylevelconfigurations",
            "io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration",
        )
    },
];

/// Named groups in the order `/apis` lists them.
pub const GROUP_ORDER: &[&str] = &[
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
];

/// The built-in resources, in discovery order (what a fresh [`super::Resources`] serves).
pub fn builtin() -> &'static [ResourceDef] {
    static BUILTIN: std::sync::LazyLock<Vec<ResourceDef>> =
        std::sync::LazyLock::new(|| TABLE.iter().map(ResourceDef::from).collect());
    &BUILTIN
}

/// Looks up a built-in resource by group, version and plural name (requests are routed by
/// the run-time registry, [`super::Resources`], instead).
pub fn find(group: &str, version: &str, resource: &str) -> Option<&'static ResourceDef> {
    builtin()
        .iter()
        .find(|r| r.group == group && r.version == version && r.resource == resource)
}

/// Looks up a built-in resource by group and kind.
pub fn find_kind(group: &str, kind: &str) -> Option<&'static ResourceDef> {
    builtin().iter().find(|r| r.group == group && r.kind == kind)
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
