//! Strategic merge patch metadata of every kind Gatehouse serves, generated from the
//! `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions of
//! `core/src/openapi/schemas.json` by `cargo run --release --bin merge_keys` in
//! `core/openapi-gen`. Do not edit: change the generator or schemas.json instead.
//!
//! One static per OpenAPI definition (named after its package, version and type) that
//! has metadata on a field or in a type it nests; fields without either are left out.

use super::{merge_by, merge_retain_by, merge_set, nested, retain_keys, Schema};

// io.k8s.api.admissionregistration.v1.MutatingWebhook
static ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK: Schema =
    Schema::fields(&[merge_by("matchConditions", "name", None)]);

// io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration
static ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK_CONFIGURATION: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    merge_by(
        "webhooks",
        "name",
        Some(&ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK),
    ),
]);

// io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy
static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_SPEC),
]);

// io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding
static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec
static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_SPEC: Schema = Schema::fields(&[
    merge_by("matchConditions", "name", None),
    merge_by("variables", "name", None),
]);

// io.k8s.api.admissionregistration.v1.ValidatingWebhook
static ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK: Schema =
    Schema::fields(&[merge_by("matchConditions", "name", None)]);

// io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration
static ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK_CONFIGURATION: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    merge_by(
        "webhooks",
        "name",
        Some(&ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK),
    ),
]);

// io.k8s.api.apps.v1.ControllerRevision
static APPS_V1_CONTROLLER_REVISION: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.apps.v1.DaemonSet
static APPS_V1_DAEMON_SET: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &APPS_V1_DAEMON_SET_SPEC),
    nested("status", &APPS_V1_DAEMON_SET_STATUS),
]);

// io.k8s.api.apps.v1.DaemonSetSpec
static APPS_V1_DAEMON_SET_SPEC: Schema = Schema::fields(&[nested("template", &CORE_V1_POD_TEMPLATE_SPEC)]);

// io.k8s.api.apps.v1.DaemonSetStatus
static APPS_V1_DAEMON_SET_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.apps.v1.Deployment
static APPS_V1_DEPLOYMENT: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &APPS_V1_DEPLOYMENT_SPEC),
    nested("status", &APPS_V1_DEPLOYMENT_STATUS),
]);

// io.k8s.api.apps.v1.DeploymentSpec
static APPS_V1_DEPLOYMENT_SPEC: Schema = Schema::fields(&[
    retain_keys("strategy", None),
    nested("template", &CORE_V1_POD_TEMPLATE_SPEC),
]);

// io.k8s.api.apps.v1.DeploymentStatus
static APPS_V1_DEPLOYMENT_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.apps.v1.ReplicaSet
static APPS_V1_REPLICA_SET: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &APPS_V1_REPLICA_SET_SPEC),
    nested("status", &APPS_V1_REPLICA_SET_STATUS),
]);

// io.k8s.api.apps.v1.ReplicaSetSpec
static APPS_V1_REPLICA_SET_SPEC: Schema = Schema::fields(&[nested("template", &CORE_V1_POD_TEMPLATE_SPEC)]);

// io.k8s.api.apps.v1.ReplicaSetStatus
static APPS_V1_REPLICA_SET_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.apps.v1.StatefulSet
static APPS_V1_STATEFUL_SET: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &APPS_V1_STATEFUL_SET_SPEC),
    nested("status", &APPS_V1_STATEFUL_SET_STATUS),
]);

// io.k8s.api.apps.v1.StatefulSetSpec
static APPS_V1_STATEFUL_SET_SPEC: Schema = Schema::fields(&[
    nested("template", &CORE_V1_POD_TEMPLATE_SPEC),
    nested("volumeClaimTemplates", &CORE_V1_PERSISTENT_VOLUME_CLAIM),
]);

// io.k8s.api.apps.v1.StatefulSetStatus
static APPS_V1_STATEFUL_SET_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.authentication.v1.SelfSubjectReview
static AUTHENTICATION_V1_SELF_SUBJECT_REVIEW: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.authentication.v1.TokenRequest
static AUTHENTICATION_V1_TOKEN_REQUEST: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.authentication.v1.TokenReview
static AUTHENTICATION_V1_TOKEN_REVIEW: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.authorization.v1.LocalSubjectAccessReview
static AUTHORIZATION_V1_LOCAL_SUBJECT_ACCESS_REVIEW: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.authorization.v1.SelfSubjectAccessReview
static AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.authorization.v1.SelfSubjectRulesReview
static AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.authorization.v1.SubjectAccessReview
static AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.autoscaling.v1.Scale
static AUTOSCALING_V1_SCALE: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler
static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("status", &AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_STATUS),
]);

// io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus
static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_STATUS: Schema =
    Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.batch.v1.CronJob
static BATCH_V1_CRON_JOB: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &BATCH_V1_CRON_JOB_SPEC),
]);

// io.k8s.api.batch.v1.CronJobSpec
static BATCH_V1_CRON_JOB_SPEC: Schema = Schema::fields(&[nested("jobTemplate", &BATCH_V1_JOB_TEMPLATE_SPEC)]);

// io.k8s.api.batch.v1.Job
static BATCH_V1_JOB: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &BATCH_V1_JOB_SPEC),
    nested("status", &BATCH_V1_JOB_STATUS),
]);

// io.k8s.api.batch.v1.JobSpec
static BATCH_V1_JOB_SPEC: Schema = Schema::fields(&[nested("template", &CORE_V1_POD_TEMPLATE_SPEC)]);

// io.k8s.api.batch.v1.JobStatus
static BATCH_V1_JOB_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.batch.v1.JobTemplateSpec
static BATCH_V1_JOB_TEMPLATE_SPEC: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &BATCH_V1_JOB_SPEC),
]);

// io.k8s.api.certificates.v1.CertificateSigningRequest
static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.coordination.v1.Lease
static COORDINATION_V1_LEASE: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.Binding
static CORE_V1_BINDING: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.ComponentStatus
static CORE_V1_COMPONENT_STATUS: Schema = Schema::fields(&[
    merge_by("conditions", "type", None),
    nested("metadata", &META_V1_OBJECT_META),
]);

// io.k8s.api.core.v1.ConfigMap
static CORE_V1_CONFIG_MAP: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.Container
static CORE_V1_CONTAINER: Schema = Schema::fields(&[
    merge_by("env", "name", None),
    merge_by("ports", "containerPort", None),
    merge_by("volumeDevices", "devicePath", None),
    merge_by("volumeMounts", "mountPath", None),
]);

// io.k8s.api.core.v1.ContainerStatus
static CORE_V1_CONTAINER_STATUS: Schema = Schema::fields(&[merge_by("volumeMounts", "mountPath", None)]);

// io.k8s.api.core.v1.Endpoints
static CORE_V1_ENDPOINTS: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.EphemeralContainer
static CORE_V1_EPHEMERAL_CONTAINER: Schema = Schema::fields(&[
    merge_by("env", "name", None),
    merge_by("ports", "containerPort", None),
    merge_by("volumeDevices", "devicePath", None),
    merge_by("volumeMounts", "mountPath", None),
]);

// io.k8s.api.core.v1.EphemeralVolumeSource
static CORE_V1_EPHEMERAL_VOLUME_SOURCE: Schema = Schema::fields(&[nested(
    "volumeClaimTemplate",
    &CORE_V1_PERSISTENT_VOLUME_CLAIM_TEMPLATE,
)]);

// io.k8s.api.core.v1.Event
static CORE_V1_EVENT: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.LimitRange
static CORE_V1_LIMIT_RANGE: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.Namespace
static CORE_V1_NAMESPACE: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("status", &CORE_V1_NAMESPACE_STATUS),
]);

// io.k8s.api.core.v1.NamespaceStatus
static CORE_V1_NAMESPACE_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.core.v1.Node
static CORE_V1_NODE: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &CORE_V1_NODE_SPEC),
    nested("status", &CORE_V1_NODE_STATUS),
]);

// io.k8s.api.core.v1.NodeSpec
static CORE_V1_NODE_SPEC: Schema = Schema::fields(&[merge_set("podCIDRs")]);

// io.k8s.api.core.v1.NodeStatus
static CORE_V1_NODE_STATUS: Schema = Schema::fields(&[
    merge_by("addresses", "type", None),
    merge_by("conditions", "type", None),
]);

// io.k8s.api.core.v1.PersistentVolume
static CORE_V1_PERSISTENT_VOLUME: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.PersistentVolumeClaim
static CORE_V1_PERSISTENT_VOLUME_CLAIM: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("status", &CORE_V1_PERSISTENT_VOLUME_CLAIM_STATUS),
]);

// io.k8s.api.core.v1.PersistentVolumeClaimStatus
static CORE_V1_PERSISTENT_VOLUME_CLAIM_STATUS: Schema =
    Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.core.v1.PersistentVolumeClaimTemplate
static CORE_V1_PERSISTENT_VOLUME_CLAIM_TEMPLATE: Schema =
    Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.Pod
static CORE_V1_POD: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &CORE_V1_POD_SPEC),
    nested("status", &CORE_V1_POD_STATUS),
]);

// io.k8s.api.core.v1.PodSpec
static CORE_V1_POD_SPEC: Schema = Schema::fields(&[
    merge_by("containers", "name", Some(&CORE_V1_CONTAINER)),
    merge_by("ephemeralContainers", "name", Some(&CORE_V1_EPHEMERAL_CONTAINER)),
    merge_by("hostAliases", "ip", None),
    merge_by("imagePullSecrets", "name", None),
    merge_by("initContainers", "name", Some(&CORE_V1_CONTAINER)),
    merge_retain_by("resourceClaims", "name", None),
    merge_by("schedulingGates", "name", None),
    merge_by("topologySpreadConstraints", "topologyKey", None),
    merge_retain_by("volumes", "name", Some(&CORE_V1_VOLUME)),
]);

// io.k8s.api.core.v1.PodStatus
static CORE_V1_POD_STATUS: Schema = Schema::fields(&[
    merge_by("conditions", "type", None),
    nested("containerStatuses", &CORE_V1_CONTAINER_STATUS),
    nested("ephemeralContainerStatuses", &CORE_V1_CONTAINER_STATUS),
    merge_by("hostIPs", "ip", None),
    nested("initContainerStatuses", &CORE_V1_CONTAINER_STATUS),
    merge_by("podIPs", "ip", None),
    merge_retain_by("resourceClaimStatuses", "name", None),
]);

// io.k8s.api.core.v1.PodTemplate
static CORE_V1_POD_TEMPLATE: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("template", &CORE_V1_POD_TEMPLATE_SPEC),
]);

// io.k8s.api.core.v1.PodTemplateSpec
static CORE_V1_POD_TEMPLATE_SPEC: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &CORE_V1_POD_SPEC),
]);

// io.k8s.api.core.v1.ReplicationController
static CORE_V1_REPLICATION_CONTROLLER: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &CORE_V1_REPLICATION_CONTROLLER_SPEC),
    nested("status", &CORE_V1_REPLICATION_CONTROLLER_STATUS),
]);

// io.k8s.api.core.v1.ReplicationControllerSpec
static CORE_V1_REPLICATION_CONTROLLER_SPEC: Schema =
    Schema::fields(&[nested("template", &CORE_V1_POD_TEMPLATE_SPEC)]);

// io.k8s.api.core.v1.ReplicationControllerStatus
static CORE_V1_REPLICATION_CONTROLLER_STATUS: Schema =
    Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.core.v1.ResourceQuota
static CORE_V1_RESOURCE_QUOTA: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.Secret
static CORE_V1_SECRET: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.core.v1.Service
static CORE_V1_SERVICE: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &CORE_V1_SERVICE_SPEC),
    nested("status", &CORE_V1_SERVICE_STATUS),
]);

// io.k8s.api.core.v1.ServiceAccount
static CORE_V1_SERVICE_ACCOUNT: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    merge_by("secrets", "name", None),
]);

// io.k8s.api.core.v1.ServiceSpec
static CORE_V1_SERVICE_SPEC: Schema = Schema::fields(&[merge_by("ports", "port", None)]);

// io.k8s.api.core.v1.ServiceStatus
static CORE_V1_SERVICE_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.core.v1.Volume
static CORE_V1_VOLUME: Schema = Schema::fields(&[nested("ephemeral", &CORE_V1_EPHEMERAL_VOLUME_SOURCE)]);

// io.k8s.api.discovery.v1.EndpointSlice
static DISCOVERY_V1_ENDPOINT_SLICE: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.events.v1.Event
static EVENTS_V1_EVENT: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.flowcontrol.v1.FlowSchema
static FLOWCONTROL_V1_FLOW_SCHEMA: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("status", &FLOWCONTROL_V1_FLOW_SCHEMA_STATUS),
]);

// io.k8s.api.flowcontrol.v1.FlowSchemaStatus
static FLOWCONTROL_V1_FLOW_SCHEMA_STATUS: Schema = Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration
static FLOWCONTROL_V1_PRIORITY_LEVEL_CONFIGURATION: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("status", &FLOWCONTROL_V1_PRIORITY_LEVEL_CONFIGURATION_STATUS),
]);

// io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationStatus
static FLOWCONTROL_V1_PRIORITY_LEVEL_CONFIGURATION_STATUS: Schema =
    Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.networking.v1.Ingress
static NETWORKING_V1_INGRESS: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.networking.v1.IngressClass
static NETWORKING_V1_INGRESS_CLASS: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.networking.v1.NetworkPolicy
static NETWORKING_V1_NETWORK_POLICY: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.node.v1.RuntimeClass
static NODE_V1_RUNTIME_CLASS: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.policy.v1.Eviction
static POLICY_V1_EVICTION: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.policy.v1.PodDisruptionBudget
static POLICY_V1_POD_DISRUPTION_BUDGET: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("status", &POLICY_V1_POD_DISRUPTION_BUDGET_STATUS),
]);

// io.k8s.api.policy.v1.PodDisruptionBudgetStatus
static POLICY_V1_POD_DISRUPTION_BUDGET_STATUS: Schema =
    Schema::fields(&[merge_by("conditions", "type", None)]);

// io.k8s.api.rbac.v1.ClusterRole
static RBAC_V1_CLUSTER_ROLE: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.rbac.v1.ClusterRoleBinding
static RBAC_V1_CLUSTER_ROLE_BINDING: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.rbac.v1.Role
static RBAC_V1_ROLE: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.rbac.v1.RoleBinding
static RBAC_V1_ROLE_BINDING: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.scheduling.v1.PriorityClass
static SCHEDULING_V1_PRIORITY_CLASS: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.storage.v1.CSIDriver
static STORAGE_V1_CSI_DRIVER: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.storage.v1.CSINode
static STORAGE_V1_CSI_NODE: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &STORAGE_V1_CSI_NODE_SPEC),
]);

// io.k8s.api.storage.v1.CSINodeSpec
static STORAGE_V1_CSI_NODE_SPEC: Schema = Schema::fields(&[merge_by("drivers", "name", None)]);

// io.k8s.api.storage.v1.CSIStorageCapacity
static STORAGE_V1_CSI_STORAGE_CAPACITY: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.storage.v1.StorageClass
static STORAGE_V1_STORAGE_CLASS: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.api.storage.v1.VolumeAttachment
static STORAGE_V1_VOLUME_ATTACHMENT: Schema = Schema::fields(&[nested("metadata", &META_V1_OBJECT_META)]);

// io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition
static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("spec", &APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_SPEC),
]);

// io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec
static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_SPEC: Schema = Schema::fields(&[nested(
    "versions",
    &APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_VERSION,
)]);

// io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionVersion
static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_VERSION: Schema =
    Schema::fields(&[nested("schema", &APIEXTENSIONS_V1_CUSTOM_RESOURCE_VALIDATION)]);

// io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceValidation
static APIEXTENSIONS_V1_CUSTOM_RESOURCE_VALIDATION: Schema =
    Schema::fields(&[nested("openAPIV3Schema", &APIEXTENSIONS_V1_JSON_SCHEMA_PROPS)]);

// io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps
static APIEXTENSIONS_V1_JSON_SCHEMA_PROPS: Schema = Schema::fields(&[
    nested("allOf", &APIEXTENSIONS_V1_JSON_SCHEMA_PROPS),
    nested("anyOf", &APIEXTENSIONS_V1_JSON_SCHEMA_PROPS),
    nested("definitions", &MAP_OF_APIEXTENSIONS_V1_JSON_SCHEMA_PROPS),
    nested("not", &APIEXTENSIONS_V1_JSON_SCHEMA_PROPS),
    nested("oneOf", &APIEXTENSIONS_V1_JSON_SCHEMA_PROPS),
    nested("patternProperties", &MAP_OF_APIEXTENSIONS_V1_JSON_SCHEMA_PROPS),
    nested("properties", &MAP_OF_APIEXTENSIONS_V1_JSON_SCHEMA_PROPS),
    merge_by("x-kubernetes-validations", "rule", None),
]);

static MAP_OF_APIEXTENSIONS_V1_JSON_SCHEMA_PROPS: Schema =
    Schema::map_of(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS);

// io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
pub(super) static META_V1_OBJECT_META: Schema =
    Schema::fields(&[merge_set("finalizers"), merge_by("ownerReferences", "uid", None)]);

// io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService
static APIREGISTRATION_V1_API_SERVICE: Schema = Schema::fields(&[
    nested("metadata", &META_V1_OBJECT_META),
    nested("status", &APIREGISTRATION_V1_API_SERVICE_STATUS),
]);

// io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus
static APIREGISTRATION_V1_API_SERVICE_STATUS: Schema =
    Schema::fields(&[merge_by("conditions", "type", None)]);

/// The metadata root of `kind` in API group `group` (`""` for the core group), for every
/// kind with ObjectMeta; a kind served in several versions gets its newest one's.
pub(super) fn root(group: &str, kind: &str) -> Option<&'static Schema> {
    let schema = match (group, kind) {
        ("", "Binding") => &CORE_V1_BINDING,
        ("", "ComponentStatus") => &CORE_V1_COMPONENT_STATUS,
        ("", "ConfigMap") => &CORE_V1_CONFIG_MAP,
        ("", "Endpoints") => &CORE_V1_ENDPOINTS,
        ("", "Event") => &CORE_V1_EVENT,
        ("", "LimitRange") => &CORE_V1_LIMIT_RANGE,
        ("", "Namespace") => &CORE_V1_NAMESPACE,
        ("", "Node") => &CORE_V1_NODE,
        ("", "PersistentVolume") => &CORE_V1_PERSISTENT_VOLUME,
        ("", "PersistentVolumeClaim") => &CORE_V1_PERSISTENT_VOLUME_CLAIM,
        ("", "Pod") => &CORE_V1_POD,
        ("", "PodTemplate") => &CORE_V1_POD_TEMPLATE,
        ("", "ReplicationController") => &CORE_V1_REPLICATION_CONTROLLER,
        ("", "ResourceQuota") => &CORE_V1_RESOURCE_QUOTA,
        ("", "Secret") => &CORE_V1_SECRET,
        ("", "Service") => &CORE_V1_SERVICE,
        ("", "ServiceAccount") => &CORE_V1_SERVICE_ACCOUNT,
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
            &ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK_CONFIGURATION
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
            &ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY
        }
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
            &ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING
        }
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
            &ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK_CONFIGURATION
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => &APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION,
        ("apiregistration.k8s.io", "APIService") => &APIREGISTRATION_V1_API_SERVICE,
        ("apps", "ControllerRevision") => &APPS_V1_CONTROLLER_REVISION,
        ("apps", "DaemonSet") => &APPS_V1_DAEMON_SET,
        ("apps", "Deployment") => &APPS_V1_DEPLOYMENT,
        ("apps", "ReplicaSet") => &APPS_V1_REPLICA_SET,
        ("apps", "StatefulSet") => &APPS_V1_STATEFUL_SET,
        ("authentication.k8s.io", "SelfSubjectReview") => &AUTHENTICATION_V1_SELF_SUBJECT_REVIEW,
        ("authentication.k8s.io", "TokenRequest") => &AUTHENTICATION_V1_TOKEN_REQUEST,
        ("authentication.k8s.io", "TokenReview") => &AUTHENTICATION_V1_TOKEN_REVIEW,
        ("authorization.k8s.io", "LocalSubjectAccessReview") => &AUTHORIZATION_V1_LOCAL_SUBJECT_ACCESS_REVIEW,
        ("authorization.k8s.io", "SelfSubjectAccessReview") => &AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW,
        ("authorization.k8s.io", "SelfSubjectRulesReview") => &AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW,
        ("authorization.k8s.io", "SubjectAccessReview") => &AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW,
        ("autoscaling", "HorizontalPodAutoscaler") => &AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER,
        ("autoscaling", "Scale") => &AUTOSCALING_V1_SCALE,
        ("batch", "CronJob") => &BATCH_V1_CRON_JOB,
        ("batch", "Job") => &BATCH_V1_JOB,
        ("certificates.k8s.io", "CertificateSigningRequest") => &CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST,
        ("coordination.k8s.io", "Lease") => &COORDINATION_V1_LEASE,
        ("discovery.k8s.io", "EndpointSlice") => &DISCOVERY_V1_ENDPOINT_SLICE,
        ("events.k8s.io", "Event") => &EVENTS_V1_EVENT,
        ("flowcontrol.apiserver.k8s.io", "FlowSchema") => &FLOWCONTROL_V1_FLOW_SCHEMA,
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration") => {
            &FLOWCONTROL_V1_PRIORITY_LEVEL_CONFIGURATION
        }
        ("networking.k8s.io", "Ingress") => &NETWORKING_V1_INGRESS,
        ("networking.k8s.io", "IngressClass") => &NETWORKING_V1_INGRESS_CLASS,
        ("networking.k8s.io", "NetworkPolicy") => &NETWORKING_V1_NETWORK_POLICY,
        ("node.k8s.io", "RuntimeClass") => &NODE_V1_RUNTIME_CLASS,
        ("policy", "Eviction") => &POLICY_V1_EVICTION,
        ("policy", "PodDisruptionBudget") => &POLICY_V1_POD_DISRUPTION_BUDGET,
        ("rbac.authorization.k8s.io", "ClusterRole") => &RBAC_V1_CLUSTER_ROLE,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => &RBAC_V1_CLUSTER_ROLE_BINDING,
        ("rbac.authorization.k8s.io", "Role") => &RBAC_V1_ROLE,
        ("rbac.authorization.k8s.io", "RoleBinding") => &RBAC_V1_ROLE_BINDING,
        ("scheduling.k8s.io", "PriorityClass") => &SCHEDULING_V1_PRIORITY_CLASS,
        ("storage.k8s.io", "CSIDriver") => &STORAGE_V1_CSI_DRIVER,
        ("storage.k8s.io", "CSINode") => &STORAGE_V1_CSI_NODE,
        ("storage.k8s.io", "CSIStorageCapacity") => &STORAGE_V1_CSI_STORAGE_CAPACITY,
        ("storage.k8s.io", "StorageClass") => &STORAGE_V1_STORAGE_CLASS,
        ("storage.k8s.io", "VolumeAttachment") => &STORAGE_V1_VOLUME_ATTACHMENT,
        _ => return None,
    };
    Some(schema)
}
