//! Strategic merge patch metadata: the `patchStrategy`/`patchMergeKey` struct tags of the
//! Kubernetes v1.32 Go types (k8s.io/api), for the kinds Gatehouse serves.
//!
//! The metadata is a tree of [`Schema`] nodes that mirrors the JSON shape of each kind. A
//! list field's child schema describes its items, so a path such as
//! `spec.template.spec.containers` is a handful of short linear scans. Shared structs
//! (ObjectMeta, PodSpec, Container, ...) are single statics referenced from every kind that
//! embeds them. Fields without tags are simply absent: lists there are replaced whole and
//! objects are merged key by key.

/// What a field's `patchStrategy` tag says, apart from `retainKeys`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Strategy {
    /// No strategy: lists are replaced, objects merged.
    Default,
    /// `merge`: lists are merged (by merge key for lists of objects, as sets otherwise).
    Merge,
}

/// Metadata of one JSON field of a struct.
#[derive(Debug)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) strategy: Strategy,
    /// `patchMergeKey`: the item field identifying list items.
    pub(super) merge_key: Option<&'static str>,
    /// `retainKeys` strategy (volumes' sources, a Deployment's strategy).
    pub(super) retain_keys: bool,
    /// Schema of the field's value, or of its items for a list.
    pub(super) child: Option<&'static Schema>,
}

/// Metadata of the fields of one struct; fields without tags or nested tags are left out.
#[derive(Debug)]
pub(super) struct Schema {
    fields: &'static [Field],
}

impl Schema {
    /// Metadata of the field named `name` (its JSON name), if it carries any.
    pub(super) fn field(&'static self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A plain struct-valued field whose own fields have tags.
const fn nested(name: &'static str, child: &'static Schema) -> Field {
    Field {
        name,
        strategy: Strategy::Default,
        merge_key: None,
        retain_keys: false,
        child: Some(child),
    }
}

/// A list of objects merged by `key`.
const fn merge_by(name: &'static str, key: &'static str, child: Option<&'static Schema>) -> Field {
    Field {
        name,
        strategy: Strategy::Merge,
        merge_key: Some(key),
        retain_keys: false,
        child,
    }
}

/// A list of objects merged by `key` whose items also have the `retainKeys` strategy.
const fn merge_retain_by(name: &'static str, key: &'static str) -> Field {
    Field {
        name,
        strategy: Strategy::Merge,
        merge_key: Some(key),
        retain_keys: true,
        child: None,
    }
}

/// A list of scalars merged as a set.
const fn merge_set(name: &'static str) -> Field {
    Field {
        name,
        strategy: Strategy::Merge,
        merge_key: None,
        retain_keys: false,
        child: None,
    }
}

/// `status.conditions` of most kinds: merged by `type`.
const CONDITIONS: Field = merge_by("conditions", "type", None);

// meta/v1 ObjectMeta.
static OBJECT_META: Schema = Schema {
    fields: &[merge_set("finalizers"), merge_by("ownerReferences", "uid", None)],
};

/// A kind that only has tagged fields in its metadata.
static METADATA_ONLY: Schema = Schema {
    fields: &[nested("metadata", &OBJECT_META)],
};

// core/v1 Container; EphemeralContainer inlines the same fields with the same tags.
static CONTAINER: Schema = Schema {
    fields: &[
        merge_by("ports", "containerPort", None),
        merge_by("env", "name", None),
        merge_by("volumeMounts", "mountPath", None),
        merge_by("volumeDevices", "devicePath", None),
    ],
};

// core/v1 PodSpec. `tolerations` and `readinessGates` have no strategy.
static POD_SPEC: Schema = Schema {
    fields: &[
        merge_retain_by("volumes", "name"),
        merge_by("initContainers", "name", Some(&CONTAINER)),
        merge_by("containers", "name", Some(&CONTAINER)),
        merge_by("ephemeralContainers", "name", Some(&CONTAINER)),
        merge_by("imagePullSecrets", "name", None),
        merge_by("hostAliases", "ip", None),
        merge_by("topologySpreadConstraints", "topologyKey", None),
        merge_by("schedulingGates", "name", None),
        merge_retain_by("resourceClaims", "name"),
    ],
};

// core/v1 PodStatus. Container statuses have no strategy.
static POD_STATUS: Schema = Schema {
    fields: &[
        CONDITIONS,
        merge_by("podIPs", "ip", None),
        merge_by("hostIPs", "ip", None),
        merge_retain_by("resourceClaimStatuses", "name"),
    ],
};

// core/v1 PodTemplateSpec, embedded by every workload.
static POD_TEMPLATE_SPEC: Schema = Schema {
    fields: &[nested("metadata", &OBJECT_META), nested("spec", &POD_SPEC)],
};

static POD: Schema = Schema {
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &POD_SPEC),
        nested("status", &POD_STATUS),
    ],
};

/// A `status` whose only tagged field is `conditions`.
static CONDITIONS_STATUS: Schema = Schema {
    fields: &[CONDITIONS],
};

// core/v1 Namespace: `spec.finalizers` has no strategy.
static NAMESPACE: Schema = Schema {
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("status", &CONDITIONS_STATUS),
    ],
};

// core/v1 ServiceAccount: `imagePullSecrets` has no strategy here, unlike PodSpec's.
static SERVICE_ACCOUNT: Schema = Schema {
    fields: &[
        nested("metadata", &OBJECT_META),
        merge_by("secrets", "name", None),
    ],
};

static SERVICE_SPEC: Schema = Schema {
    fields: &[merge_by("ports", "port", None)],
};

static SERVICE: Schema = Schema {
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &SERVICE_SPEC),
        nested("status", &CONDITIONS_STATUS),
    ],
};

// core/v1 NodeSpec: `taints` has no strategy.
static NODE_SPEC: Schema = Schema {
    fields: &[merge_set("podCIDRs")],
};

static NODE_STATUS: Schema = Schema {
    fields: &[CONDITIONS, merge_by("addresses", "type", None)],
};

static NODE: Schema = Schema {
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &NODE_SPEC),
        nested("status", &NODE_STATUS),
    ],
};

/// apps/v1 DeploymentStrategy carries `patchStrategy:"retainKeys"`.
const DEPLOYMENT_STRATEGY: Field = Field {
    name: "strategy",
    strategy: Strategy::Default,
    merge_key: None,
    retain_keys: true,
    child: None,
};

static DEPLOYMENT_SPEC: Schema = Schema {
    fields: &[nested("template", &POD_TEMPLATE_SPEC), DEPLOYMENT_STRATEGY],
};

/// Spec of ReplicaSet, StatefulSet, DaemonSet and Job: only the pod template is tagged
/// (update strategies and volume claim templates have no strategy).
static TEMPLATED_SPEC: Schema = Schema {
    fields: &[nested("template", &POD_TEMPLATE_SPEC)],
};

static DEPLOYMENT: Schema = Schema {
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &DEPLOYMENT_SPEC),
        nested("status", &CONDITIONS_STATUS),
    ],
};

/// ReplicaSet, StatefulSet, DaemonSet and Job.
static TEMPLATED_WORKLOAD: Schema = Schema {
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &TEMPLATED_SPEC),
        nested("status", &CONDITIONS_STATUS),
    ],
};

// batch/v1 JobTemplateSpec; CronJob's `status.active` has no strategy.
static JOB_TEMPLATE_SPEC: Schema = Schema {
    fields: &[nested("metadata", &OBJECT_META), nested("spec", &TEMPLATED_SPEC)],
};

static CRON_JOB_SPEC: Schema = Schema {
    fields: &[nested("jobTemplate", &JOB_TEMPLATE_SPEC)],
};

static CRON_JOB: Schema = Schema {
    fields: &[nested("metadata", &OBJECT_META), nested("spec", &CRON_JOB_SPEC)],
};

/// The metadata root for a kind.
///
/// Kinds without a table of their own (other built-ins) still get ObjectMeta's
/// `finalizers`/`ownerReferences` merging, which every built-in kind embeds; all their
/// other lists are replaced whole.
pub(super) fn root(group: &str, kind: &str) -> &'static Schema {
    match (group, kind) {
        ("", "Pod") => &POD,
        ("", "Namespace") => &NAMESPACE,
        ("", "ServiceAccount") => &SERVICE_ACCOUNT,
        ("", "Service") => &SERVICE,
        ("", "Node") => &NODE,
        // ConfigMap, Secret, Endpoints, Event, Lease and unknown kinds.
        ("apps", "Deployment") => &DEPLOYMENT,
        ("apps", "ReplicaSet" | "StatefulSet" | "DaemonSet") | ("batch", "Job") => &TEMPLATED_WORKLOAD,
        ("batch", "CronJob") => &CRON_JOB,
        _ => &METADATA_ONLY,
    }
}

/// The strategic merge patch metadata of one field, as published in OpenAPI
/// (`x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPatchStrategy {
    /// `"merge"`, `"retainKeys"` or `"merge,retainKeys"`.
    pub strategy: &'static str,
    /// The merge key of a merged list of objects.
    pub merge_key: Option<&'static str>,
}

/// The strategic merge patch metadata of the field at `path` (JSON field names; list items
/// are transparent, e.g. `["spec", "template", "spec", "containers", "ports"]`) of `kind` in
/// `group`, or `None` for a field without a patch strategy.
pub fn patch_strategy(group: &str, kind: &str, path: &[&str]) -> Option<FieldPatchStrategy> {
    let (last, parents) = path.split_last()?;
    let mut schema = root(group, kind);
    for name in parents {
        schema = schema.field(name)?.child?;
    }
    let field = schema.field(last)?;
    let strategy = match (field.strategy, field.retain_keys) {
        (Strategy::Merge, true) => "merge,retainKeys",
        (Strategy::Merge, false) => "merge",
        (Strategy::Default, true) => "retainKeys",
        (Strategy::Default, false) => return None,
    };
    Some(FieldPatchStrategy {
        strategy,
        merge_key: field.merge_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(group: &str, kind: &str, path: &str) -> Option<(&'static str, Option<&'static str>)> {
        let path: Vec<&str> = path.split('.').collect();
        patch_strategy(group, kind, &path).map(|s| (s.strategy, s.merge_key))
    }

    #[test]
    fn pod_spec_is_shared_by_every_template() {
        let containers = Some(("merge", Some("name")));
        assert_eq!(lookup("", "Pod", "spec.containers"), containers);
        assert_eq!(
            lookup("apps", "Deployment", "spec.template.spec.containers"),
            containers
        );
        assert_eq!(
            lookup("apps", "DaemonSet", "spec.template.spec.initContainers"),
            containers
        );
        assert_eq!(
            lookup("batch", "Job", "spec.template.spec.ephemeralContainers"),
            containers
        );
        assert_eq!(
            lookup(
                "batch",
                "CronJob",
                "spec.jobTemplate.spec.template.spec.containers.env"
            ),
            Some(("merge", Some("name")))
        );
        assert_eq!(
            lookup("apps", "StatefulSet", "spec.template.spec.containers.ports"),
            Some(("merge", Some("containerPort")))
        );
        assert_eq!(
            lookup("", "Pod", "spec.containers.volumeMounts"),
            Some(("merge", Some("mountPath")))
        );
        assert_eq!(
            lookup("", "Pod", "spec.initContainers.volumeDevices"),
            Some(("merge", Some("devicePath")))
        );
        assert_eq!(
            lookup("apps", "ReplicaSet", "spec.template.spec.volumes"),
            Some(("merge,retainKeys", Some("name")))
        );
        assert_eq!(lookup("", "Pod", "spec.hostAliases"), Some(("merge", Some("ip"))));
        assert_eq!(
            lookup("", "Pod", "spec.imagePullSecrets"),
            Some(("merge", Some("name")))
        );
    }

    #[test]
    fn untagged_fields_have_no_strategy() {
        assert_eq!(lookup("", "Pod", "spec.tolerations"), None);
        assert_eq!(lookup("", "Pod", "spec.containers.args"), None);
        assert_eq!(lookup("", "Node", "spec.taints"), None);
        assert_eq!(lookup("", "ServiceAccount", "imagePullSecrets"), None);
        assert_eq!(lookup("", "Namespace", "spec.finalizers"), None);
        assert_eq!(lookup("apps", "StatefulSet", "spec.volumeClaimTemplates"), None);
        assert_eq!(lookup("", "Pod", "spec"), None);
        assert_eq!(lookup("", "Pod", ""), None);
    }

    #[test]
    fn metadata_and_status_fields() {
        for (g, k) in [
            ("", "ConfigMap"),
            ("", "Secret"),
            ("coordination.k8s.io", "Lease"),
            ("x", "Y"),
        ] {
            assert_eq!(lookup(g, k, "metadata.finalizers"), Some(("merge", None)));
            assert_eq!(
                lookup(g, k, "metadata.ownerReferences"),
                Some(("merge", Some("uid")))
            );
        }
        assert_eq!(
            lookup("apps", "Deployment", "spec.template.metadata.finalizers"),
            Some(("merge", None))
        );
        assert_eq!(
            lookup("apps", "Deployment", "spec.strategy"),
            Some(("retainKeys", None))
        );
        assert_eq!(lookup("", "Service", "spec.ports"), Some(("merge", Some("port"))));
        assert_eq!(
            lookup("", "Node", "status.addresses"),
            Some(("merge", Some("type")))
        );
        assert_eq!(lookup("", "Node", "spec.podCIDRs"), Some(("merge", None)));
        assert_eq!(
            lookup("", "ServiceAccount", "secrets"),
            Some(("merge", Some("name")))
        );
        for (g, k) in [
            ("", "Pod"),
            ("", "Node"),
            ("", "Namespace"),
            ("", "Service"),
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("batch", "Job"),
        ] {
            assert_eq!(
                lookup(g, k, "status.conditions"),
                Some(("merge", Some("type"))),
                "{k}"
            );
        }
        assert_eq!(lookup("", "Pod", "status.podIPs"), Some(("merge", Some("ip"))));
    }
}
