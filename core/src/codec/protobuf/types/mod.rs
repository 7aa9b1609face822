//! The descriptor tables, one module per API group, and the (apiVersion, kind) registry.

mod admissionregistration;
mod apiextensions;
mod apiregistration;
mod apps;
mod authentication;
mod authorization;
mod autoscaling;
mod batch;
mod certificates;
mod coordination;
pub(crate) mod core;
mod discovery;
mod events;
mod flowcontrol;
pub(crate) mod meta;
mod networking;
mod node;
mod persistent_volume;
mod policy;
mod rbac;
mod scheduling;
mod storage;
mod volume_plugins;

use super::descriptor::Message;

/// Every group/version that has at least one described kind. `DeleteOptions` is accepted
/// under each of them (and `meta.k8s.io/v1`), as upstream registers it in every group.
const GROUP_VERSIONS: &[&str] = &[
    "v1",
    "apps/v1",
    "batch/v1",
    "coordination.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "policy/v1",
    "networking.k8s.io/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "certificates.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "node.k8s.io/v1",
    "storage.k8s.io/v1",
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "meta.k8s.io/v1",
];

/// The root message for an object of `kind` in `api_version` (`"v1"`, `"apps/v1"`...).
pub(crate) fn root_message(api_version: &str, kind: &str) -> Option<&'static Message> {
    let m: &'static Message = match (api_version, kind) {
        (gv, "DeleteOptions") if GROUP_VERSIONS.contains(&gv) => &meta::DELETE_OPTIONS,
        ("v1", "Status") => &meta::STATUS,
        ("meta.k8s.io/v1" | "meta.k8s.io/v1beta1", "PartialObjectMetadata") => &meta::PARTIAL_OBJECT_METADATA,
        ("meta.k8s.io/v1", "PartialObjectMetadataList") => &meta::PARTIAL_OBJECT_METADATA_LIST,
        ("meta.k8s.io/v1beta1", "PartialObjectMetadataList") => &meta::PARTIAL_OBJECT_METADATA_LIST_V1BETA1,
        ("v1", "Namespace") => &core::NAMESPACE,
        ("v1", "ConfigMap") => &core::CONFIG_MAP,
        ("v1", "Secret") => &core::SECRET,
        ("v1", "ServiceAccount") => &core::SERVICE_ACCOUNT,
        ("v1", "Service") => &core::SERVICE,
        ("v1", "Endpoints") => &core::ENDPOINTS,
        ("v1", "Pod") => &core::POD,
        ("v1", "PersistentVolumeClaim") => &core::PERSISTENT_VOLUME_CLAIM,
        ("v1", "Node") => &core::NODE,
        ("v1", "Event") => &core::EVENT,
        ("v1", "ResourceQuota") => &core::RESOURCE_QUOTA,
        ("v1", "PersistentVolume") => &persistent_volume::PERSISTENT_VOLUME,
        ("v1", "PodTemplate") => &core::POD_TEMPLATE,
        ("v1", "ReplicationController") => &core::REPLICATION_CONTROLLER,
        ("v1", "LimitRange") => &core::LIMIT_RANGE,
        ("v1", "ComponentStatus") => &core::COMPONENT_STATUS,
        ("v1", "Binding") => &core::BINDING,
        ("apps/v1", "Deployment") => &apps::DEPLOYMENT,
        ("apps/v1", "ReplicaSet") => &apps::REPLICA_SET,
        ("apps/v1", "StatefulSet") => &apps::STATEFUL_SET,
        ("apps/v1", "DaemonSet") => &apps::DAEMON_SET,
        ("apps/v1", "ControllerRevision") => &apps::CONTROLLER_REVISION,
        ("autoscaling/v1", "Scale") => &autoscaling::SCALE,
        ("autoscaling/v1", "HorizontalPodAutoscaler") => &autoscaling::HPA_V1,
        ("autoscaling/v2", "HorizontalPodAutoscaler") => &autoscaling::HPA_V2,
        ("batch/v1", "Job") => &batch::JOB,
        ("batch/v1", "CronJob") => &batch::CRON_JOB,
        ("coordination.k8s.io/v1", "Lease") => &coordination::LEASE,
        ("rbac.authorization.k8s.io/v1", "Role") => &rbac::ROLE,
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => &rbac::CLUSTER_ROLE,
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => &rbac::ROLE_BINDING,
        ("scheduling.k8s.io/v1", "PriorityClass") => &scheduling::PRIORITY_CLASS,
        ("policy/v1", "PodDisruptionBudget") => &policy::POD_DISRUPTION_BUDGET,
        ("policy/v1", "Eviction") => &policy::EVICTION,
        ("networking.k8s.io/v1", "Ingress") => &networking::INGRESS,
        ("networking.k8s.io/v1", "IngressClass") => &networking::INGRESS_CLASS,
        ("networking.k8s.io/v1", "NetworkPolicy") => &networking::NETWORK_POLICY,
        ("certificates.k8s.io/v1", "CertificateSigningRequest") => &certificates::CERTIFICATE_SIGNING_REQUEST,
        ("discovery.k8s.io/v1", "EndpointSlice") => &discovery::ENDPOINT_SLICE,
        ("events.k8s.io/v1", "Event") => &events::EVENT,
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema") => &flowcontrol::FLOW_SCHEMA,
        ("flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration") => {
            &flowcontrol::PRIORITY_LEVEL_CONFIGURATION
        }
        ("node.k8s.io/v1", "RuntimeClass") => &node::RUNTIME_CLASS,
        ("storage.k8s.io/v1", "StorageClass") => &storage::STORAGE_CLASS,
        ("storage.k8s.io/v1", "CSIDriver") => &storage::CSI_DRIVER,
        ("storage.k8s.io/v1", "CSINode") => &storage::CSI_NODE,
        ("storage.k8s.io/v1", "CSIStorageCapacity") => &storage::CSI_STORAGE_CAPACITY,
        ("storage.k8s.io/v1", "VolumeAttachment") => &storage::VOLUME_ATTACHMENT,
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => {
            &admissionregistration::VALIDATING_WEBHOOK_CONFIGURATION
        }
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => {
            &admissionregistration::MUTATING_WEBHOOK_CONFIGURATION
        }
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy") => {
            &admissionregistration::VALIDATING_ADMISSION_POLICY
        }
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding") => {
            &admissionregistration::VALIDATING_ADMISSION_POLICY_BINDING
        }
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => &apiextensions::CUSTOM_RESOURCE_DEFINITION,
        ("apiregistration.k8s.io/v1", "APIService") => &apiregistration::API_SERVICE,
        ("authentication.k8s.io/v1", "TokenRequest") => &authentication::TOKEN_REQUEST,
        ("authentication.k8s.io/v1", "TokenReview") => &authentication::TOKEN_REVIEW,
        ("authentication.k8s.io/v1", "SelfSubjectReview") => &authentication::SELF_SUBJECT_REVIEW,
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => &authorization::SELF_SUBJECT_ACCESS_REVIEW,
        ("authorization.k8s.io/v1", "SubjectAccessReview" | "LocalSubjectAccessReview") => {
            &authorization::SUBJECT_ACCESS_REVIEW
        }
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview") => &authorization::SELF_SUBJECT_RULES_REVIEW,
        _ => return None,
    };
    Some(m)
}

#[cfg(test)]
mod round_trip_tests;

#[cfg(test)]
mod tests {
    use super::super::descriptor::{Label, Message, Ty};
    use super::*;

    /// Every (apiVersion, kind) the registry answers for.
    pub(crate) const KINDS: &[(&str, &str)] = &[
        ("v1", "Namespace"),
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("v1", "Service"),
        ("v1", "Endpoints"),
        ("v1", "Pod"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "Node"),
        ("v1", "Event"),
        ("v1", "ResourceQuota"),
        ("v1", "DeleteOptions"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "ReplicaSet"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("coordination.k8s.io/v1", "Lease"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("policy/v1", "PodDisruptionBudget"),
        ("networking.k8s.io/v1", "Ingress"),
        ("authentication.k8s.io/v1", "TokenRequest"),
        ("authentication.k8s.io/v1", "TokenReview"),
        ("authentication.k8s.io/v1", "SelfSubjectReview"),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
        ("authorization.k8s.io/v1", "SubjectAccessReview"),
        ("authorization.k8s.io/v1", "LocalSubjectAccessReview"),
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
        ("meta.k8s.io/v1", "DeleteOptions"),
        ("v1", "PersistentVolume"),
        ("v1", "PodTemplate"),
        ("v1", "ReplicationController"),
        ("v1", "LimitRange"),
        ("v1", "ComponentStatus"),
        ("v1", "Binding"),
        ("apps/v1", "ControllerRevision"),
        ("autoscaling/v1", "Scale"),
        ("autoscaling/v1", "HorizontalPodAutoscaler"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("policy/v1", "Eviction"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("events.k8s.io/v1", "Event"),
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("storage.k8s.io/v1", "CSIDriver"),
        ("storage.k8s.io/v1", "CSINode"),
        ("storage.k8s.io/v1", "CSIStorageCapacity"),
        ("storage.k8s.io/v1", "VolumeAttachment"),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        ),
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicyBinding",
        ),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("apiregistration.k8s.io/v1", "APIService"),
        ("storage.k8s.io/v1", "DeleteOptions"),
    ];

    /// Walks every reachable message checking table invariants.
    fn check(m: &'static Message, depth: usize, seen: &mut Vec<*const Message>) {
        assert!(depth < 32, "descriptor nesting too deep at {}", m.name);
        let ptr = m as *const Message;
        if seen.contains(&ptr) {
            return;
        }
        seen.push(ptr);
        for (i, f) in m.fields.iter().enumerate() {
            assert!(f.number > 0, "{}.{}", m.name, f.json);
            for g in m.fields.iter().skip(i + 1) {
                assert_ne!(f.number, g.number, "duplicate number in {}", m.name);
                assert_ne!(f.json, g.json, "duplicate JSON name in {}", m.name);
            }
            if matches!(f.label, Label::Inline) {
                assert!(matches!(f.ty, Ty::Message(_)), "{}.{}", m.name, f.json);
            }
            if let Ty::Message(inner) = f.ty {
                check(inner, depth + 1, seen);
            }
        }
    }

    #[test]
    fn registry_covers_all_kinds_and_tables_are_consistent() {
        let mut seen = Vec::new();
        for (gv, kind) in KINDS {
            let m = root_message(gv, kind).unwrap_or_else(|| panic!("{gv} {kind}"));
            check(m, 0, &mut seen);
        }
        assert!(root_message("apps/v1beta1", "Deployment").is_none());
        assert!(root_message("v1", "Widget").is_none());
        assert!(root_message("example.com/v1", "DeleteOptions").is_none());
    }
}
