//! Strategic merge patch metadata: the `patchStrategy`/`patchMergeKey` struct tags of the
//! Kubernetes v1.32 Go types (k8s.io/api), for every kind Gatehouse serves.
//!
//! The metadata is a tree of [`Schema`] nodes that mirrors the JSON shape of each kind. A
//! list field's child schema describes its items, so a path such as
//! `spec.template.spec.containers` is a handful of short linear scans. The nodes live in
//! `merge_keys_gen.rs`, generated from the `x-kubernetes-patch-strategy` /
//! `x-kubernetes-patch-merge-key` extensions of the OpenAPI data Gatehouse serves: one
//! static per definition, so shared structs (ObjectMeta, PodSpec, Container, ...) and
//! recursive ones (a CRD's JSONSchemaProps) are single statics referenced from every
//! place that embeds them. Fields without tags are simply absent: lists there are replaced
//! whole and objects are merged key by key.
//!
//! Kubernetes' `patchStrategy:"replace"` (PodDisruptionBudget's `spec.selector`) is not
//! represented: Gatehouse merges that object key by key like an untagged one.

#[path = "merge_keys_gen.rs"]
mod generated;

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

/// Metadata of the fields of one struct, or of the values of one map; fields without tags
/// or nested tags are left out.
#[derive(Debug)]
pub(super) struct Schema {
    fields: &'static [Field],
    /// For a map (`additionalProperties`): the metadata of every value. Map keys are
    /// transparent to the merge, as in Kubernetes.
    values: Option<Field>,
}

impl Schema {
    /// A struct with these fields.
    const fn fields(fields: &'static [Field]) -> Schema {
        Schema { fields, values: None }
    }

    /// A map whose values are `child` objects.
    const fn map_of(child: &'static Schema) -> Schema {
        Schema {
            fields: &[],
            values: Some(nested("", child)),
        }
    }

    /// Metadata of the field named `name` (its JSON name), if it carries any.
    pub(super) fn field(&'static self, name: &str) -> Option<&'static Field> {
        match &self.values {
            Some(values) => Some(values),
            None => self.fields.iter().find(|f| f.name == name),
        }
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
const fn merge_retain_by(name: &'static str, key: &'static str, child: Option<&'static Schema>) -> Field {
    Field {
        name,
        strategy: Strategy::Merge,
        merge_key: Some(key),
        retain_keys: true,
        child,
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

/// An object with only the `retainKeys` strategy (a Deployment's `spec.strategy`).
const fn retain_keys(name: &'static str, child: Option<&'static Schema>) -> Field {
    Field {
        name,
        strategy: Strategy::Default,
        merge_key: None,
        retain_keys: true,
        child,
    }
}

/// The root of kinds Gatehouse has no OpenAPI definition for.
static METADATA_ONLY: Schema = Schema::fields(&[nested("metadata", &generated::META_V1_OBJECT_META)]);

/// The metadata root for a kind.
///
/// Kinds without a definition (custom resources, unknown kinds) still get ObjectMeta's
/// `finalizers`/`ownerReferences` merging, which every object embeds; all their other
/// lists are replaced whole.
pub(super) fn root(group: &str, kind: &str) -> &'static Schema {
    generated::root(group, kind).unwrap_or(&METADATA_ONLY)
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

    /// Every entry of the hand-written table Gatehouse used before the metadata was generated
    /// from OpenAPI; the generated data must agree with all of them.
    #[test]
    fn agrees_with_the_former_hand_written_table() {
        let meta: &[(&str, &str, Option<&str>)] = &[
            ("finalizers", "merge", None),
            ("ownerReferences", "merge", Some("uid")),
        ];
        let container: &[(&str, &str, Option<&str>)] = &[
            ("ports", "merge", Some("containerPort")),
            ("env", "merge", Some("name")),
            ("volumeMounts", "merge", Some("mountPath")),
            ("volumeDevices", "merge", Some("devicePath")),
        ];
        let pod_spec: &[(&str, &str, Option<&str>)] = &[
            ("volumes", "merge,retainKeys", Some("name")),
            ("initContainers", "merge", Some("name")),
            ("containers", "merge", Some("name")),
            ("ephemeralContainers", "merge", Some("name")),
            ("imagePullSecrets", "merge", Some("name")),
            ("hostAliases", "merge", Some("ip")),
            ("topologySpreadConstraints", "merge", Some("topologyKey")),
            ("schedulingGates", "merge", Some("name")),
            ("resourceClaims", "merge,retainKeys", Some("name")),
        ];
        let check = |group: &str, kind: &str, prefix: &str, entries: &[(&str, &str, Option<&str>)]| {
            for &(field, strategy, key) in entries {
                let path = format!("{prefix}{field}");
                assert_eq!(
                    lookup(group, kind, &path),
                    Some((strategy, key)),
                    "{group}/{kind} {path}"
                );
            }
        };
        let templates: &[(&str, &str, &str)] = &[
            ("", "Pod", ""),
            ("apps", "Deployment", "spec.template."),
            ("apps", "ReplicaSet", "spec.template."),
            ("apps", "StatefulSet", "spec.template."),
            ("apps", "DaemonSet", "spec.template."),
            ("batch", "Job", "spec.template."),
            ("batch", "CronJob", "spec.jobTemplate.spec.template."),
        ];
        for &(group, kind, prefix) in templates {
            check(group, kind, &format!("{prefix}spec."), pod_spec);
            for list in ["containers", "initContainers", "ephemeralContainers"] {
                check(group, kind, &format!("{prefix}spec.{list}."), container);
            }
            if !prefix.is_empty() {
                check(group, kind, &format!("{prefix}metadata."), meta);
            }
        }
        check("batch", "CronJob", "spec.jobTemplate.metadata.", meta);
        for (group, kind) in [
            ("", "Pod"),
            ("", "Namespace"),
            ("", "ServiceAccount"),
            ("", "Service"),
            ("", "Node"),
            ("", "ConfigMap"),
            ("", "Secret"),
            ("", "Endpoints"),
            ("", "Event"),
            ("coordination.k8s.io", "Lease"),
            ("apps", "Deployment"),
            ("apps", "ReplicaSet"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("batch", "Job"),
            ("batch", "CronJob"),
        ] {
            check(group, kind, "metadata.", meta);
        }
        let conditions: &[(&str, &str, Option<&str>)] = &[("conditions", "merge", Some("type"))];
        for (group, kind) in [
            ("", "Pod"),
            ("", "Namespace"),
            ("", "Service"),
            ("", "Node"),
            ("apps", "Deployment"),
            ("apps", "ReplicaSet"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("batch", "Job"),
        ] {
            check(group, kind, "status.", conditions);
        }
        check(
            "",
            "Pod",
            "status.",
            &[
                ("podIPs", "merge", Some("ip")),
                ("hostIPs", "merge", Some("ip")),
                ("resourceClaimStatuses", "merge,retainKeys", Some("name")),
            ],
        );
        check("", "ServiceAccount", "", &[("secrets", "merge", Some("name"))]);
        check("", "Service", "spec.", &[("ports", "merge", Some("port"))]);
        check("", "Node", "spec.", &[("podCIDRs", "merge", None)]);
        check("", "Node", "status.", &[("addresses", "merge", Some("type"))]);
        check("apps", "Deployment", "spec.", &[("strategy", "retainKeys", None)]);
    }

    #[test]
    fn every_served_kind_has_its_own_metadata() {
        let webhooks = Some(("merge", Some("name")));
        for kind in ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"] {
            assert_eq!(lookup("admissionregistration.k8s.io", kind, "webhooks"), webhooks);
            assert_eq!(
                lookup("admissionregistration.k8s.io", kind, "webhooks.matchConditions"),
                webhooks
            );
            assert_eq!(
                lookup("admissionregistration.k8s.io", kind, "webhooks.rules"),
                None
            );
        }
        let vap = "ValidatingAdmissionPolicy";
        assert_eq!(
            lookup("admissionregistration.k8s.io", vap, "spec.variables"),
            Some(("merge", Some("name")))
        );
        let conditions = Some(("merge", Some("type")));
        for (group, kind) in [
            ("", "PersistentVolumeClaim"),
            ("", "ReplicationController"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("policy", "PodDisruptionBudget"),
            ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
            ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
            ("apiregistration.k8s.io", "APIService"),
        ] {
            assert_eq!(lookup(group, kind, "status.conditions"), conditions, "{kind}");
        }
        assert_eq!(lookup("", "ComponentStatus", "conditions"), conditions);
        assert_eq!(
            lookup("", "ReplicationController", "spec.template.spec.containers.env"),
            Some(("merge", Some("name")))
        );
        assert_eq!(
            lookup("", "PodTemplate", "template.spec.volumes"),
            Some(("merge,retainKeys", Some("name")))
        );
        assert_eq!(
            lookup("storage.k8s.io", "CSINode", "spec.drivers"),
            Some(("merge", Some("name")))
        );
        // Kinds whose lists all lack a strategy.
        let rbac = "rbac.authorization.k8s.io";
        assert_eq!(lookup(rbac, "RoleBinding", "subjects"), None);
        assert_eq!(lookup(rbac, "ClusterRole", "rules"), None);
        assert_eq!(lookup("networking.k8s.io", "Ingress", "spec.rules"), None);
        assert_eq!(
            lookup(rbac, "RoleBinding", "metadata.ownerReferences"),
            Some(("merge", Some("uid")))
        );
        // `replace` is not represented: PodDisruptionBudget's selector merges like any object.
        assert_eq!(lookup("policy", "PodDisruptionBudget", "spec.selector"), None);
    }

    #[test]
    fn recursive_and_map_valued_definitions() {
        // A CRD's schema nests JSONSchemaProps in itself and in maps of them.
        let crd = |path: &str| lookup("apiextensions.k8s.io", "CustomResourceDefinition", path);
        let rule = Some(("merge", Some("rule")));
        let schema = "spec.versions.schema.openAPIV3Schema";
        assert_eq!(crd(&format!("{schema}.x-kubernetes-validations")), rule);
        assert_eq!(
            crd(&format!(
                "{schema}.properties.spec.properties.replicas.x-kubernetes-validations"
            )),
            rule
        );
        assert_eq!(crd(&format!("{schema}.allOf.not.x-kubernetes-validations")), rule);
        assert_eq!(crd(&format!("{schema}.properties.spec")), None);
        assert_eq!(crd(&format!("{schema}.required")), None);
        // Map keys are transparent, whatever they are called.
        assert_eq!(
            crd(&format!(
                "{schema}.definitions.finalizers.x-kubernetes-validations"
            )),
            rule
        );
    }
}
