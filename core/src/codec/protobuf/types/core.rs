//! `k8s.io/api/core/v1` messages.
//!
//! The deprecated in-tree volume plugins live in `volume_plugins`, persistent volumes in
//! `persistent_volume`.

use super::super::descriptor::{b, i32f, i64f, inline, map, msg, msgs, opt, rep, s, ss, time, Message, Ty};
use super::meta::{CONDITION, LABEL_SELECTOR, OBJECT_META};
use super::volume_plugins as plugins;

// ---- Namespace -------------------------------------------------------------------------

pub(crate) static NAMESPACE: Message = Message {
    name: "Namespace",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &NAMESPACE_SPEC),
        msg(3, "status", &NAMESPACE_STATUS),
    ],
};

static NAMESPACE_SPEC: Message = Message {
    name: "NamespaceSpec",
    fields: &[ss(1, "finalizers")],
};

static NAMESPACE_STATUS: Message = Message {
    name: "NamespaceStatus",
    fields: &[s(1, "phase"), msgs(2, "conditions", &NAMESPACE_CONDITION)],
};

static NAMESPACE_CONDITION: Message = Message {
    name: "NamespaceCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(4, "lastTransitionTime"),
        s(5, "reason"),
        s(6, "message"),
    ],
};

// ---- ConfigMap, Secret, ServiceAccount ----------------------------------------------------

pub(crate) static CONFIG_MAP: Message = Message {
    name: "ConfigMap",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        b(4, "immutable"),
        map(2, "data", Ty::String),
        map(3, "binaryData", Ty::Bytes),
    ],
};

pub(crate) static SECRET: Message = Message {
    name: "Secret",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        b(5, "immutable"),
        map(2, "data", Ty::Bytes),
        map(4, "stringData", Ty::String),
        s(3, "type"),
    ],
};

pub(crate) static SERVICE_ACCOUNT: Message = Message {
    name: "ServiceAccount",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msgs(2, "secrets", &OBJECT_REFERENCE),
        msgs(3, "imagePullSecrets", &LOCAL_OBJECT_REFERENCE),
        b(4, "automountServiceAccountToken"),
    ],
};

pub(crate) static OBJECT_REFERENCE: Message = Message {
    name: "ObjectReference",
    fields: &[
        s(1, "kind"),
        s(2, "namespace"),
        s(3, "name"),
        s(4, "uid"),
        s(5, "apiVersion"),
        s(6, "resourceVersion"),
        s(7, "fieldPath"),
    ],
};

pub(crate) static LOCAL_OBJECT_REFERENCE: Message = Message {
    name: "LocalObjectReference",
    fields: &[s(1, "name")],
};

pub(crate) static TYPED_LOCAL_OBJECT_REFERENCE: Message = Message {
    name: "TypedLocalObjectReference",
    fields: &[s(1, "apiGroup"), s(2, "kind"), s(3, "name")],
};

static TYPED_OBJECT_REFERENCE: Message = Message {
    name: "TypedObjectReference",
    fields: &[s(1, "apiGroup"), s(2, "kind"), s(3, "name"), s(4, "namespace")],
};

// ---- Service, Endpoints ----------------------------------------------------------------

pub(crate) static SERVICE: Message = Message {
    name: "Service",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &SERVICE_SPEC),
        msg(3, "status", &SERVICE_STATUS),
    ],
};

static SERVICE_SPEC: Message = Message {
    name: "ServiceSpec",
    fields: &[
        msgs(1, "ports", &SERVICE_PORT),
        map(2, "selector", Ty::String),
        s(3, "clusterIP"),
        ss(18, "clusterIPs"),
        s(4, "type"),
        ss(5, "externalIPs"),
        s(7, "sessionAffinity"),
        s(8, "loadBalancerIP"),
        ss(9, "loadBalancerSourceRanges"),
        s(10, "externalName"),
        s(11, "externalTrafficPolicy"),
        i32f(12, "healthCheckNodePort"),
        b(13, "publishNotReadyAddresses"),
        msg(14, "sessionAffinityConfig", &SESSION_AFFINITY_CONFIG),
        ss(19, "ipFamilies"),
        s(17, "ipFamilyPolicy"),
        b(20, "allocateLoadBalancerNodePorts"),
        s(21, "loadBalancerClass"),
        s(22, "internalTrafficPolicy"),
        s(23, "trafficDistribution"),
    ],
};

static SERVICE_PORT: Message = Message {
    name: "ServicePort",
    fields: &[
        s(1, "name"),
        s(2, "protocol"),
        s(6, "appProtocol"),
        i32f(3, "port"),
        opt(4, "targetPort", Ty::IntOrString),
        i32f(5, "nodePort"),
    ],
};

static SESSION_AFFINITY_CONFIG: Message = Message {
    name: "SessionAffinityConfig",
    fields: &[msg(1, "clientIP", &CLIENT_IP_CONFIG)],
};

static CLIENT_IP_CONFIG: Message = Message {
    name: "ClientIPConfig",
    fields: &[i32f(1, "timeoutSeconds")],
};

static SERVICE_STATUS: Message = Message {
    name: "ServiceStatus",
    fields: &[
        msg(1, "loadBalancer", &LOAD_BALANCER_STATUS),
        msgs(2, "conditions", &CONDITION),
    ],
};

static LOAD_BALANCER_STATUS: Message = Message {
    name: "LoadBalancerStatus",
    fields: &[msgs(1, "ingress", &LOAD_BALANCER_INGRESS)],
};

static LOAD_BALANCER_INGRESS: Message = Message {
    name: "LoadBalancerIngress",
    fields: &[
        s(1, "ip"),
        s(2, "hostname"),
        s(3, "ipMode"),
        msgs(4, "ports", &PORT_STATUS),
    ],
};

static PORT_STATUS: Message = Message {
    name: "PortStatus",
    fields: &[i32f(1, "port"), s(2, "protocol"), s(3, "error")],
};

pub(crate) static ENDPOINTS: Message = Message {
    name: "Endpoints",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msgs(2, "subsets", &ENDPOINT_SUBSET),
    ],
};

static ENDPOINT_SUBSET: Message = Message {
    name: "EndpointSubset",
    fields: &[
        msgs(1, "addresses", &ENDPOINT_ADDRESS),
        msgs(2, "notReadyAddresses", &ENDPOINT_ADDRESS),
        msgs(3, "ports", &ENDPOINT_PORT),
    ],
};

static ENDPOINT_ADDRESS: Message = Message {
    name: "EndpointAddress",
    fields: &[
        s(1, "ip"),
        s(3, "hostname"),
        s(4, "nodeName"),
        msg(2, "targetRef", &OBJECT_REFERENCE),
    ],
};

static ENDPOINT_PORT: Message = Message {
    name: "EndpointPort",
    fields: &[
        s(1, "name"),
        i32f(2, "port"),
        s(3, "protocol"),
        s(4, "appProtocol"),
    ],
};

// ---- Pod -------------------------------------------------------------------------------

pub(crate) static POD: Message = Message {
    name: "Pod",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &POD_SPEC),
        msg(3, "status", &POD_STATUS),
    ],
};

pub(crate) static POD_TEMPLATE_SPEC: Message = Message {
    name: "PodTemplateSpec",
    fields: &[msg(1, "metadata", &OBJECT_META), msg(2, "spec", &POD_SPEC)],
};

static POD_SPEC: Message = Message {
    name: "PodSpec",
    fields: &[
        msgs(1, "volumes", &VOLUME),
        msgs(20, "initContainers", &CONTAINER),
        msgs(2, "containers", &CONTAINER),
        msgs(34, "ephemeralContainers", &EPHEMERAL_CONTAINER),
        s(3, "restartPolicy"),
        i64f(4, "terminationGracePeriodSeconds"),
        i64f(5, "activeDeadlineSeconds"),
        s(6, "dnsPolicy"),
        map(7, "nodeSelector", Ty::String),
        s(8, "serviceAccountName"),
        s(9, "serviceAccount"),
        b(21, "automountServiceAccountToken"),
        s(10, "nodeName"),
        b(11, "hostNetwork"),
        b(12, "hostPID"),
        b(13, "hostIPC"),
        b(27, "shareProcessNamespace"),
        msg(14, "securityContext", &POD_SECURITY_CONTEXT),
        msgs(15, "imagePullSecrets", &LOCAL_OBJECT_REFERENCE),
        s(16, "hostname"),
        s(17, "subdomain"),
        msg(18, "affinity", &AFFINITY),
        s(19, "schedulerName"),
        msgs(22, "tolerations", &TOLERATION),
        msgs(23, "hostAliases", &HOST_ALIAS),
        s(24, "priorityClassName"),
        i32f(25, "priority"),
        msg(26, "dnsConfig", &POD_DNS_CONFIG),
        msgs(28, "readinessGates", &POD_READINESS_GATE),
        s(29, "runtimeClassName"),
        b(30, "enableServiceLinks"),
        s(31, "preemptionPolicy"),
        map(32, "overhead", Ty::Quantity),
        msgs(33, "topologySpreadConstraints", &TOPOLOGY_SPREAD_CONSTRAINT),
        b(35, "setHostnameAsFQDN"),
        msg(36, "os", &NAME_ONLY),
        b(37, "hostUsers"),
        msgs(38, "schedulingGates", &NAME_ONLY),
        msgs(39, "resourceClaims", &POD_RESOURCE_CLAIM),
        msg(40, "resources", &RESOURCE_REQUIREMENTS),
        s(41, "hostnameOverride"),
    ],
};

/// Shared by every message whose only field is `name = 1` (PodOS, PodSchedulingGate).
static NAME_ONLY: Message = Message {
    name: "PodOS",
    fields: &[s(1, "name")],
};

static CONTAINER: Message = Message {
    name: "Container",
    fields: &[
        s(1, "name"),
        s(2, "image"),
        ss(3, "command"),
        ss(4, "args"),
        s(5, "workingDir"),
        msgs(6, "ports", &CONTAINER_PORT),
        msgs(19, "envFrom", &ENV_FROM_SOURCE),
        msgs(7, "env", &ENV_VAR),
        msg(8, "resources", &RESOURCE_REQUIREMENTS),
        msgs(23, "resizePolicy", &CONTAINER_RESIZE_POLICY),
        s(24, "restartPolicy"),
        msgs(9, "volumeMounts", &VOLUME_MOUNT),
        msgs(21, "volumeDevices", &VOLUME_DEVICE),
        msg(10, "livenessProbe", &PROBE),
        msg(11, "readinessProbe", &PROBE),
        msg(22, "startupProbe", &PROBE),
        msg(12, "lifecycle", &LIFECYCLE),
        s(13, "terminationMessagePath"),
        s(20, "terminationMessagePolicy"),
        s(14, "imagePullPolicy"),
        msg(15, "securityContext", &SECURITY_CONTEXT),
        b(16, "stdin"),
        b(17, "stdinOnce"),
        b(18, "tty"),
    ],
};

/// `EphemeralContainerCommon` has exactly the fields (and numbers) of `Container`.
static EPHEMERAL_CONTAINER: Message = Message {
    name: "EphemeralContainer",
    fields: &[
        inline(1, "ephemeralContainerCommon", &CONTAINER),
        s(2, "targetContainerName"),
    ],
};

static CONTAINER_PORT: Message = Message {
    name: "ContainerPort",
    fields: &[
        s(1, "name"),
        i32f(2, "hostPort"),
        i32f(3, "containerPort"),
        s(4, "protocol"),
        s(5, "hostIP"),
    ],
};

static ENV_FROM_SOURCE: Message = Message {
    name: "EnvFromSource",
    fields: &[
        s(1, "prefix"),
        msg(2, "configMapRef", &OPTIONAL_LOCAL_REFERENCE),
        msg(3, "secretRef", &OPTIONAL_LOCAL_REFERENCE),
    ],
};

/// `ConfigMapEnvSource` and `SecretEnvSource`.
static OPTIONAL_LOCAL_REFERENCE: Message = Message {
    name: "ConfigMapEnvSource",
    fields: &[
        inline(1, "localObjectReference", &LOCAL_OBJECT_REFERENCE),
        b(2, "optional"),
    ],
};

static ENV_VAR: Message = Message {
    name: "EnvVar",
    fields: &[s(1, "name"), s(2, "value"), msg(3, "valueFrom", &ENV_VAR_SOURCE)],
};

static ENV_VAR_SOURCE: Message = Message {
    name: "EnvVarSource",
    fields: &[
        msg(1, "fieldRef", &OBJECT_FIELD_SELECTOR),
        msg(2, "resourceFieldRef", &RESOURCE_FIELD_SELECTOR),
        msg(3, "configMapKeyRef", &KEY_SELECTOR),
        msg(4, "secretKeyRef", &KEY_SELECTOR),
    ],
};

static OBJECT_FIELD_SELECTOR: Message = Message {
    name: "ObjectFieldSelector",
    fields: &[s(1, "apiVersion"), s(2, "fieldPath")],
};

static RESOURCE_FIELD_SELECTOR: Message = Message {
    name: "ResourceFieldSelector",
    fields: &[
        s(1, "containerName"),
        s(2, "resource"),
        opt(3, "divisor", Ty::Quantity),
    ],
};

/// `ConfigMapKeySelector` and `SecretKeySelector`.
static KEY_SELECTOR: Message = Message {
    name: "ConfigMapKeySelector",
    fields: &[
        inline(1, "localObjectReference", &LOCAL_OBJECT_REFERENCE),
        s(2, "key"),
        b(3, "optional"),
    ],
};

static RESOURCE_REQUIREMENTS: Message = Message {
    name: "ResourceRequirements",
    fields: &[
        map(1, "limits", Ty::Quantity),
        map(2, "requests", Ty::Quantity),
        msgs(3, "claims", &RESOURCE_CLAIM),
    ],
};

static RESOURCE_CLAIM: Message = Message {
    name: "ResourceClaim",
    fields: &[s(1, "name"), s(2, "request")],
};

static CONTAINER_RESIZE_POLICY: Message = Message {
    name: "ContainerResizePolicy",
    fields: &[s(1, "resourceName"), s(2, "restartPolicy")],
};

static VOLUME_MOUNT: Message = Message {
    name: "VolumeMount",
    fields: &[
        s(1, "name"),
        b(2, "readOnly"),
        s(7, "recursiveReadOnly"),
        s(3, "mountPath"),
        s(4, "subPath"),
        s(5, "mountPropagation"),
        s(6, "subPathExpr"),
    ],
};

static VOLUME_DEVICE: Message = Message {
    name: "VolumeDevice",
    fields: &[s(1, "name"), s(2, "devicePath")],
};

static PROBE: Message = Message {
    name: "Probe",
    fields: &[
        inline(1, "handler", &PROBE_HANDLER),
        i32f(2, "initialDelaySeconds"),
        i32f(3, "timeoutSeconds"),
        i32f(4, "periodSeconds"),
        i32f(5, "successThreshold"),
        i32f(6, "failureThreshold"),
        i64f(7, "terminationGracePeriodSeconds"),
    ],
};

static PROBE_HANDLER: Message = Message {
    name: "ProbeHandler",
    fields: &[
        msg(1, "exec", &EXEC_ACTION),
        msg(2, "httpGet", &HTTP_GET_ACTION),
        msg(3, "tcpSocket", &TCP_SOCKET_ACTION),
        msg(4, "grpc", &GRPC_ACTION),
    ],
};

static EXEC_ACTION: Message = Message {
    name: "ExecAction",
    fields: &[ss(1, "command")],
};

static HTTP_GET_ACTION: Message = Message {
    name: "HTTPGetAction",
    fields: &[
        s(1, "path"),
        opt(2, "port", Ty::IntOrString),
        s(3, "host"),
        s(4, "scheme"),
        msgs(5, "httpHeaders", &HTTP_HEADER),
    ],
};

static HTTP_HEADER: Message = Message {
    name: "HTTPHeader",
    fields: &[s(1, "name"), s(2, "value")],
};

static TCP_SOCKET_ACTION: Message = Message {
    name: "TCPSocketAction",
    fields: &[opt(1, "port", Ty::IntOrString), s(2, "host")],
};

static GRPC_ACTION: Message = Message {
    name: "GRPCAction",
    fields: &[i32f(1, "port"), s(2, "service")],
};

static LIFECYCLE: Message = Message {
    name: "Lifecycle",
    fields: &[
        msg(1, "postStart", &LIFECYCLE_HANDLER),
        msg(2, "preStop", &LIFECYCLE_HANDLER),
        s(3, "stopSignal"),
    ],
};

static LIFECYCLE_HANDLER: Message = Message {
    name: "LifecycleHandler",
    fields: &[
        msg(1, "exec", &EXEC_ACTION),
        msg(2, "httpGet", &HTTP_GET_ACTION),
        msg(3, "tcpSocket", &TCP_SOCKET_ACTION),
        msg(4, "sleep", &SLEEP_ACTION),
    ],
};

static SLEEP_ACTION: Message = Message {
    name: "SleepAction",
    fields: &[i64f(1, "seconds")],
};

static SECURITY_CONTEXT: Message = Message {
    name: "SecurityContext",
    fields: &[
        msg(1, "capabilities", &CAPABILITIES),
        b(2, "privileged"),
        msg(3, "seLinuxOptions", &SELINUX_OPTIONS),
        msg(10, "windowsOptions", &WINDOWS_SECURITY_CONTEXT_OPTIONS),
        i64f(4, "runAsUser"),
        i64f(8, "runAsGroup"),
        b(5, "runAsNonRoot"),
        b(6, "readOnlyRootFilesystem"),
        b(7, "allowPrivilegeEscalation"),
        s(9, "procMount"),
        msg(11, "seccompProfile", &PROFILE),
        msg(12, "appArmorProfile", &PROFILE),
    ],
};

static CAPABILITIES: Message = Message {
    name: "Capabilities",
    fields: &[ss(1, "add"), ss(2, "drop")],
};

static SELINUX_OPTIONS: Message = Message {
    name: "SELinuxOptions",
    fields: &[s(1, "user"), s(2, "role"), s(3, "type"), s(4, "level")],
};

static WINDOWS_SECURITY_CONTEXT_OPTIONS: Message = Message {
    name: "WindowsSecurityContextOptions",
    fields: &[
        s(1, "gmsaCredentialSpecName"),
        s(2, "gmsaCredentialSpec"),
        s(3, "runAsUserName"),
        b(4, "hostProcess"),
    ],
};

/// `SeccompProfile` and `AppArmorProfile`.
static PROFILE: Message = Message {
    name: "SeccompProfile",
    fields: &[s(1, "type"), s(2, "localhostProfile")],
};

static POD_SECURITY_CONTEXT: Message = Message {
    name: "PodSecurityContext",
    fields: &[
        msg(1, "seLinuxOptions", &SELINUX_OPTIONS),
        msg(8, "windowsOptions", &WINDOWS_SECURITY_CONTEXT_OPTIONS),
        i64f(2, "runAsUser"),
        i64f(6, "runAsGroup"),
        b(3, "runAsNonRoot"),
        rep(4, "supplementalGroups", Ty::Int64),
        s(12, "supplementalGroupsPolicy"),
        i64f(5, "fsGroup"),
        msgs(7, "sysctls", &NAME_VALUE),
        s(9, "fsGroupChangePolicy"),
        msg(10, "seccompProfile", &PROFILE),
        msg(11, "appArmorProfile", &PROFILE),
        s(13, "seLinuxChangePolicy"),
    ],
};

/// `Sysctl` and `PodDNSConfigOption`.
static NAME_VALUE: Message = Message {
    name: "Sysctl",
    fields: &[s(1, "name"), s(2, "value")],
};

static AFFINITY: Message = Message {
    name: "Affinity",
    fields: &[
        msg(1, "nodeAffinity", &NODE_AFFINITY),
        msg(2, "podAffinity", &POD_AFFINITY),
        msg(3, "podAntiAffinity", &POD_AFFINITY),
    ],
};

static NODE_AFFINITY: Message = Message {
    name: "NodeAffinity",
    fields: &[
        msg(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            &NODE_SELECTOR,
        ),
        msgs(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &PREFERRED_SCHEDULING_TERM,
        ),
    ],
};

pub(crate) static NODE_SELECTOR: Message = Message {
    name: "NodeSelector",
    fields: &[msgs(1, "nodeSelectorTerms", &NODE_SELECTOR_TERM)],
};

static NODE_SELECTOR_TERM: Message = Message {
    name: "NodeSelectorTerm",
    fields: &[
        msgs(1, "matchExpressions", &NODE_SELECTOR_REQUIREMENT),
        msgs(2, "matchFields", &NODE_SELECTOR_REQUIREMENT),
    ],
};

static NODE_SELECTOR_REQUIREMENT: Message = Message {
    name: "NodeSelectorRequirement",
    fields: &[s(1, "key"), s(2, "operator"), ss(3, "values")],
};

static PREFERRED_SCHEDULING_TERM: Message = Message {
    name: "PreferredSchedulingTerm",
    fields: &[i32f(1, "weight"), msg(2, "preference", &NODE_SELECTOR_TERM)],
};

/// `PodAffinity` and `PodAntiAffinity`.
static POD_AFFINITY: Message = Message {
    name: "PodAffinity",
    fields: &[
        msgs(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            &POD_AFFINITY_TERM,
        ),
        msgs(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &WEIGHTED_POD_AFFINITY_TERM,
        ),
    ],
};

static POD_AFFINITY_TERM: Message = Message {
    name: "PodAffinityTerm",
    fields: &[
        msg(1, "labelSelector", &LABEL_SELECTOR),
        ss(2, "namespaces"),
        s(3, "topologyKey"),
        msg(4, "namespaceSelector", &LABEL_SELECTOR),
        ss(5, "matchLabelKeys"),
        ss(6, "mismatchLabelKeys"),
    ],
};

static WEIGHTED_POD_AFFINITY_TERM: Message = Message {
    name: "WeightedPodAffinityTerm",
    fields: &[i32f(1, "weight"), msg(2, "podAffinityTerm", &POD_AFFINITY_TERM)],
};

pub(crate) static TOLERATION: Message = Message {
    name: "Toleration",
    fields: &[
        s(1, "key"),
        s(2, "operator"),
        s(3, "value"),
        s(4, "effect"),
        i64f(5, "tolerationSeconds"),
    ],
};

static HOST_ALIAS: Message = Message {
    name: "HostAlias",
    fields: &[s(1, "ip"), ss(2, "hostnames")],
};

static POD_DNS_CONFIG: Message = Message {
    name: "PodDNSConfig",
    fields: &[
        ss(1, "nameservers"),
        ss(2, "searches"),
        msgs(3, "options", &NAME_VALUE),
    ],
};

static POD_READINESS_GATE: Message = Message {
    name: "PodReadinessGate",
    fields: &[s(1, "conditionType")],
};

static TOPOLOGY_SPREAD_CONSTRAINT: Message = Message {
    name: "TopologySpreadConstraint",
    fields: &[
        i32f(1, "maxSkew"),
        s(2, "topologyKey"),
        s(3, "whenUnsatisfiable"),
        msg(4, "labelSelector", &LABEL_SELECTOR),
        i32f(5, "minDomains"),
        s(6, "nodeAffinityPolicy"),
        s(7, "nodeTaintsPolicy"),
        ss(8, "matchLabelKeys"),
    ],
};

static POD_RESOURCE_CLAIM: Message = Message {
    name: "PodResourceClaim",
    fields: &[
        s(1, "name"),
        s(3, "resourceClaimName"),
        s(4, "resourceClaimTemplateName"),
    ],
};

// ---- Volumes ---------------------------------------------------------------------------

static VOLUME: Message = Message {
    name: "Volume",
    fields: &[s(1, "name"), inline(2, "volumeSource", &VOLUME_SOURCE)],
};

static VOLUME_SOURCE: Message = Message {
    name: "VolumeSource",
    fields: &[
        msg(1, "hostPath", &HOST_PATH_VOLUME_SOURCE),
        msg(2, "emptyDir", &EMPTY_DIR_VOLUME_SOURCE),
        msg(3, "gcePersistentDisk", &plugins::GCE_PERSISTENT_DISK),
        msg(4, "awsElasticBlockStore", &plugins::AWS_ELASTIC_BLOCK_STORE),
        msg(5, "gitRepo", &plugins::GIT_REPO),
        msg(6, "secret", &SECRET_VOLUME_SOURCE),
        msg(7, "nfs", &NFS_VOLUME_SOURCE),
        msg(8, "iscsi", &plugins::ISCSI),
        msg(9, "glusterfs", &plugins::GLUSTERFS),
        msg(10, "persistentVolumeClaim", &PVC_VOLUME_SOURCE),
        msg(11, "rbd", &plugins::RBD),
        msg(12, "flexVolume", &plugins::FLEX),
        msg(13, "cinder", &plugins::CINDER),
        msg(14, "cephfs", &plugins::CEPHFS),
        msg(15, "flocker", &plugins::FLOCKER),
        msg(16, "downwardAPI", &DOWNWARD_API_VOLUME_SOURCE),
        msg(17, "fc", &plugins::FC),
        msg(18, "azureFile", &plugins::AZURE_FILE),
        msg(19, "configMap", &CONFIG_MAP_VOLUME_SOURCE),
        msg(20, "vsphereVolume", &plugins::VSPHERE_VIRTUAL_DISK),
        msg(21, "quobyte", &plugins::QUOBYTE),
        msg(22, "azureDisk", &plugins::AZURE_DISK),
        msg(23, "photonPersistentDisk", &plugins::PHOTON_PERSISTENT_DISK),
        msg(26, "projected", &PROJECTED_VOLUME_SOURCE),
        msg(24, "portworxVolume", &plugins::PORTWORX),
        msg(25, "scaleIO", &plugins::SCALE_IO),
        msg(27, "storageos", &plugins::STORAGE_OS),
        msg(28, "csi", &CSI_VOLUME_SOURCE),
        msg(29, "ephemeral", &EPHEMERAL_VOLUME_SOURCE),
        msg(30, "image", &IMAGE_VOLUME_SOURCE),
    ],
};

pub(crate) static HOST_PATH_VOLUME_SOURCE: Message = Message {
    name: "HostPathVolumeSource",
    fields: &[s(1, "path"), s(2, "type")],
};

static EMPTY_DIR_VOLUME_SOURCE: Message = Message {
    name: "EmptyDirVolumeSource",
    fields: &[s(1, "medium"), opt(2, "sizeLimit", Ty::Quantity)],
};

static SECRET_VOLUME_SOURCE: Message = Message {
    name: "SecretVolumeSource",
    fields: &[
        s(1, "secretName"),
        msgs(2, "items", &KEY_TO_PATH),
        i32f(3, "defaultMode"),
        b(4, "optional"),
    ],
};

static KEY_TO_PATH: Message = Message {
    name: "KeyToPath",
    fields: &[s(1, "key"), s(2, "path"), i32f(3, "mode")],
};

pub(crate) static NFS_VOLUME_SOURCE: Message = Message {
    name: "NFSVolumeSource",
    fields: &[s(1, "server"), s(2, "path"), b(3, "readOnly")],
};

static PVC_VOLUME_SOURCE: Message = Message {
    name: "PersistentVolumeClaimVolumeSource",
    fields: &[s(1, "claimName"), b(2, "readOnly")],
};

static DOWNWARD_API_VOLUME_SOURCE: Message = Message {
    name: "DownwardAPIVolumeSource",
    fields: &[
        msgs(1, "items", &DOWNWARD_API_VOLUME_FILE),
        i32f(2, "defaultMode"),
    ],
};

static DOWNWARD_API_VOLUME_FILE: Message = Message {
    name: "DownwardAPIVolumeFile",
    fields: &[
        s(1, "path"),
        msg(2, "fieldRef", &OBJECT_FIELD_SELECTOR),
        msg(3, "resourceFieldRef", &RESOURCE_FIELD_SELECTOR),
        i32f(4, "mode"),
    ],
};

static CONFIG_MAP_VOLUME_SOURCE: Message = Message {
    name: "ConfigMapVolumeSource",
    fields: &[
        inline(1, "localObjectReference", &LOCAL_OBJECT_REFERENCE),
        msgs(2, "items", &KEY_TO_PATH),
        i32f(3, "defaultMode"),
        b(4, "optional"),
    ],
};

static PROJECTED_VOLUME_SOURCE: Message = Message {
    name: "ProjectedVolumeSource",
    fields: &[msgs(1, "sources", &VOLUME_PROJECTION), i32f(2, "defaultMode")],
};

static VOLUME_PROJECTION: Message = Message {
    name: "VolumeProjection",
    fields: &[
        msg(1, "secret", &KEY_PROJECTION),
        msg(2, "downwardAPI", &DOWNWARD_API_PROJECTION),
        msg(3, "configMap", &KEY_PROJECTION),
        msg(4, "serviceAccountToken", &SERVICE_ACCOUNT_TOKEN_PROJECTION),
        msg(5, "clusterTrustBundle", &CLUSTER_TRUST_BUNDLE_PROJECTION),
    ],
};

/// `SecretProjection` and `ConfigMapProjection`.
static KEY_PROJECTION: Message = Message {
    name: "SecretProjection",
    fields: &[
        inline(1, "localObjectReference", &LOCAL_OBJECT_REFERENCE),
        msgs(2, "items", &KEY_TO_PATH),
        b(4, "optional"),
    ],
};

static DOWNWARD_API_PROJECTION: Message = Message {
    name: "DownwardAPIProjection",
    fields: &[msgs(1, "items", &DOWNWARD_API_VOLUME_FILE)],
};

static SERVICE_ACCOUNT_TOKEN_PROJECTION: Message = Message {
    name: "ServiceAccountTokenProjection",
    fields: &[s(1, "audience"), i64f(2, "expirationSeconds"), s(3, "path")],
};

static CLUSTER_TRUST_BUNDLE_PROJECTION: Message = Message {
    name: "ClusterTrustBundleProjection",
    fields: &[
        s(1, "name"),
        s(2, "signerName"),
        msg(3, "labelSelector", &LABEL_SELECTOR),
        b(5, "optional"),
        s(4, "path"),
    ],
};

static CSI_VOLUME_SOURCE: Message = Message {
    name: "CSIVolumeSource",
    fields: &[
        s(1, "driver"),
        b(2, "readOnly"),
        s(3, "fsType"),
        map(4, "volumeAttributes", Ty::String),
        msg(5, "nodePublishSecretRef", &LOCAL_OBJECT_REFERENCE),
    ],
};

static EPHEMERAL_VOLUME_SOURCE: Message = Message {
    name: "EphemeralVolumeSource",
    fields: &[msg(1, "volumeClaimTemplate", &PVC_TEMPLATE)],
};

static PVC_TEMPLATE: Message = Message {
    name: "PersistentVolumeClaimTemplate",
    fields: &[msg(1, "metadata", &OBJECT_META), msg(2, "spec", &PVC_SPEC)],
};

static IMAGE_VOLUME_SOURCE: Message = Message {
    name: "ImageVolumeSource",
    fields: &[s(1, "reference"), s(2, "pullPolicy")],
};

pub(crate) static PERSISTENT_VOLUME_CLAIM: Message = Message {
    name: "PersistentVolumeClaim",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &PVC_SPEC),
        msg(3, "status", &PVC_STATUS),
    ],
};

static PVC_SPEC: Message = Message {
    name: "PersistentVolumeClaimSpec",
    fields: &[
        ss(1, "accessModes"),
        msg(4, "selector", &LABEL_SELECTOR),
        msg(2, "resources", &VOLUME_RESOURCE_REQUIREMENTS),
        s(3, "volumeName"),
        s(5, "storageClassName"),
        s(6, "volumeMode"),
        msg(7, "dataSource", &TYPED_LOCAL_OBJECT_REFERENCE),
        msg(8, "dataSourceRef", &TYPED_OBJECT_REFERENCE),
        s(9, "volumeAttributesClassName"),
    ],
};

static VOLUME_RESOURCE_REQUIREMENTS: Message = Message {
    name: "VolumeResourceRequirements",
    fields: &[map(1, "limits", Ty::Quantity), map(2, "requests", Ty::Quantity)],
};

static PVC_STATUS: Message = Message {
    name: "PersistentVolumeClaimStatus",
    fields: &[
        s(1, "phase"),
        ss(2, "accessModes"),
        map(3, "capacity", Ty::Quantity),
        msgs(4, "conditions", &PVC_CONDITION),
        map(5, "allocatedResources", Ty::Quantity),
        map(7, "allocatedResourceStatuses", Ty::String),
        s(8, "currentVolumeAttributesClassName"),
        msg(9, "modifyVolumeStatus", &MODIFY_VOLUME_STATUS),
    ],
};

static PVC_CONDITION: Message = Message {
    name: "PersistentVolumeClaimCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastProbeTime"),
        time(4, "lastTransitionTime"),
        s(5, "reason"),
        s(6, "message"),
    ],
};

static MODIFY_VOLUME_STATUS: Message = Message {
    name: "ModifyVolumeStatus",
    fields: &[s(1, "targetVolumeAttributesClassName"), s(2, "status")],
};

// ---- Pod status ------------------------------------------------------------------------

static POD_STATUS: Message = Message {
    name: "PodStatus",
    fields: &[
        i64f(17, "observedGeneration"),
        s(1, "phase"),
        msgs(2, "conditions", &POD_CONDITION),
        s(3, "message"),
        s(4, "reason"),
        s(11, "nominatedNodeName"),
        s(5, "hostIP"),
        msgs(16, "hostIPs", &IP_ONLY),
        s(6, "podIP"),
        msgs(12, "podIPs", &IP_ONLY),
        time(7, "startTime"),
        msgs(10, "initContainerStatuses", &CONTAINER_STATUS),
        msgs(8, "containerStatuses", &CONTAINER_STATUS),
        s(9, "qosClass"),
        msgs(13, "ephemeralContainerStatuses", &CONTAINER_STATUS),
        s(14, "resize"),
        msgs(15, "resourceClaimStatuses", &POD_RESOURCE_CLAIM_STATUS),
    ],
};

static POD_CONDITION: Message = Message {
    name: "PodCondition",
    fields: &[
        s(1, "type"),
        i64f(7, "observedGeneration"),
        s(2, "status"),
        time(3, "lastProbeTime"),
        time(4, "lastTransitionTime"),
        s(5, "reason"),
        s(6, "message"),
    ],
};

/// `HostIP` and `PodIP`.
static IP_ONLY: Message = Message {
    name: "PodIP",
    fields: &[s(1, "ip")],
};

static POD_RESOURCE_CLAIM_STATUS: Message = Message {
    name: "PodResourceClaimStatus",
    fields: &[s(1, "name"), s(2, "resourceClaimName")],
};

static CONTAINER_STATUS: Message = Message {
    name: "ContainerStatus",
    fields: &[
        s(1, "name"),
        msg(2, "state", &CONTAINER_STATE),
        msg(3, "lastState", &CONTAINER_STATE),
        b(4, "ready"),
        i32f(5, "restartCount"),
        s(6, "image"),
        s(7, "imageID"),
        s(8, "containerID"),
        b(9, "started"),
        map(10, "allocatedResources", Ty::Quantity),
        msg(11, "resources", &RESOURCE_REQUIREMENTS),
        msgs(12, "volumeMounts", &VOLUME_MOUNT_STATUS),
        msg(13, "user", &CONTAINER_USER),
        msgs(14, "allocatedResourcesStatus", &RESOURCE_STATUS),
        s(15, "stopSignal"),
    ],
};

static RESOURCE_STATUS: Message = Message {
    name: "ResourceStatus",
    fields: &[s(1, "name"), msgs(2, "resources", &RESOURCE_HEALTH)],
};

static RESOURCE_HEALTH: Message = Message {
    name: "ResourceHealth",
    fields: &[s(1, "resourceID"), s(2, "health")],
};

static CONTAINER_STATE: Message = Message {
    name: "ContainerState",
    fields: &[
        msg(1, "waiting", &CONTAINER_STATE_WAITING),
        msg(2, "running", &CONTAINER_STATE_RUNNING),
        msg(3, "terminated", &CONTAINER_STATE_TERMINATED),
    ],
};

static CONTAINER_STATE_WAITING: Message = Message {
    name: "ContainerStateWaiting",
    fields: &[s(1, "reason"), s(2, "message")],
};

static CONTAINER_STATE_RUNNING: Message = Message {
    name: "ContainerStateRunning",
    fields: &[time(1, "startedAt")],
};

static CONTAINER_STATE_TERMINATED: Message = Message {
    name: "ContainerStateTerminated",
    fields: &[
        i32f(1, "exitCode"),
        i32f(2, "signal"),
        s(3, "reason"),
        s(4, "message"),
        time(5, "startedAt"),
        time(6, "finishedAt"),
        s(7, "containerID"),
    ],
};

static VOLUME_MOUNT_STATUS: Message = Message {
    name: "VolumeMountStatus",
    fields: &[
        s(1, "name"),
        s(2, "mountPath"),
        b(3, "readOnly"),
        s(4, "recursiveReadOnly"),
    ],
};

static CONTAINER_USER: Message = Message {
    name: "ContainerUser",
    fields: &[msg(1, "linux", &LINUX_CONTAINER_USER)],
};

static LINUX_CONTAINER_USER: Message = Message {
    name: "LinuxContainerUser",
    fields: &[
        i64f(1, "uid"),
        i64f(2, "gid"),
        rep(3, "supplementalGroups", Ty::Int64),
    ],
};

// ---- Node ------------------------------------------------------------------------------

pub(crate) static NODE: Message = Message {
    name: "Node",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &NODE_SPEC),
        msg(3, "status", &NODE_STATUS),
    ],
};

static NODE_SPEC: Message = Message {
    name: "NodeSpec",
    fields: &[
        s(1, "podCIDR"),
        ss(7, "podCIDRs"),
        s(3, "providerID"),
        b(4, "unschedulable"),
        msgs(5, "taints", &TAINT),
        msg(6, "configSource", &NODE_CONFIG_SOURCE),
        s(2, "externalID"),
    ],
};

static TAINT: Message = Message {
    name: "Taint",
    fields: &[s(1, "key"), s(2, "value"), s(3, "effect"), time(4, "timeAdded")],
};

static NODE_STATUS: Message = Message {
    name: "NodeStatus",
    fields: &[
        map(1, "capacity", Ty::Quantity),
        map(2, "allocatable", Ty::Quantity),
        s(3, "phase"),
        msgs(4, "conditions", &NODE_CONDITION),
        msgs(5, "addresses", &NODE_ADDRESS),
        msg(6, "daemonEndpoints", &NODE_DAEMON_ENDPOINTS),
        msg(7, "nodeInfo", &NODE_SYSTEM_INFO),
        msgs(8, "images", &CONTAINER_IMAGE),
        ss(9, "volumesInUse"),
        msgs(10, "volumesAttached", &ATTACHED_VOLUME),
        msg(11, "config", &NODE_CONFIG_STATUS),
        msgs(12, "runtimeHandlers", &NODE_RUNTIME_HANDLER),
        msg(13, "features", &NODE_FEATURES),
    ],
};

/// Dynamic kubelet configuration (removed, but its fields are still served).
static NODE_CONFIG_SOURCE: Message = Message {
    name: "NodeConfigSource",
    fields: &[msg(2, "configMap", &CONFIG_MAP_NODE_CONFIG_SOURCE)],
};

static CONFIG_MAP_NODE_CONFIG_SOURCE: Message = Message {
    name: "ConfigMapNodeConfigSource",
    fields: &[
        s(1, "namespace"),
        s(2, "name"),
        s(3, "uid"),
        s(4, "resourceVersion"),
        s(5, "kubeletConfigKey"),
    ],
};

static NODE_CONFIG_STATUS: Message = Message {
    name: "NodeConfigStatus",
    fields: &[
        msg(1, "assigned", &NODE_CONFIG_SOURCE),
        msg(2, "active", &NODE_CONFIG_SOURCE),
        msg(3, "lastKnownGood", &NODE_CONFIG_SOURCE),
        s(4, "error"),
    ],
};

static NODE_CONDITION: Message = Message {
    name: "NodeCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastHeartbeatTime"),
        time(4, "lastTransitionTime"),
        s(5, "reason"),
        s(6, "message"),
    ],
};

static NODE_ADDRESS: Message = Message {
    name: "NodeAddress",
    fields: &[s(1, "type"), s(2, "address")],
};

static NODE_DAEMON_ENDPOINTS: Message = Message {
    name: "NodeDaemonEndpoints",
    fields: &[msg(1, "kubeletEndpoint", &DAEMON_ENDPOINT)],
};

static DAEMON_ENDPOINT: Message = Message {
    name: "DaemonEndpoint",
    // Upstream's JSON name really is capitalised.
    fields: &[i32f(1, "Port")],
};

static NODE_SYSTEM_INFO: Message = Message {
    name: "NodeSystemInfo",
    fields: &[
        s(1, "machineID"),
        s(2, "systemUUID"),
        s(3, "bootID"),
        s(4, "kernelVersion"),
        s(5, "osImage"),
        s(6, "containerRuntimeVersion"),
        s(7, "kubeletVersion"),
        s(8, "kubeProxyVersion"),
        s(9, "operatingSystem"),
        s(10, "architecture"),
        msg(11, "swap", &NODE_SWAP_STATUS),
    ],
};

static NODE_SWAP_STATUS: Message = Message {
    name: "NodeSwapStatus",
    fields: &[i64f(1, "capacity")],
};

static CONTAINER_IMAGE: Message = Message {
    name: "ContainerImage",
    fields: &[ss(1, "names"), i64f(2, "sizeBytes")],
};

static ATTACHED_VOLUME: Message = Message {
    name: "AttachedVolume",
    fields: &[s(1, "name"), s(2, "devicePath")],
};

static NODE_RUNTIME_HANDLER: Message = Message {
    name: "NodeRuntimeHandler",
    fields: &[s(1, "name"), msg(2, "features", &NODE_RUNTIME_HANDLER_FEATURES)],
};

static NODE_RUNTIME_HANDLER_FEATURES: Message = Message {
    name: "NodeRuntimeHandlerFeatures",
    fields: &[b(1, "recursiveReadOnlyMounts"), b(2, "userNamespaces")],
};

static NODE_FEATURES: Message = Message {
    name: "NodeFeatures",
    fields: &[b(1, "supplementalGroupsPolicy")],
};

// ---- Event, ResourceQuota ----------------------------------------------------------------

pub(crate) static EVENT: Message = Message {
    name: "Event",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "involvedObject", &OBJECT_REFERENCE),
        s(3, "reason"),
        s(4, "message"),
        msg(5, "source", &EVENT_SOURCE),
        time(6, "firstTimestamp"),
        time(7, "lastTimestamp"),
        i32f(8, "count"),
        s(9, "type"),
        opt(10, "eventTime", Ty::MicroTime),
        msg(11, "series", &EVENT_SERIES),
        s(12, "action"),
        msg(13, "related", &OBJECT_REFERENCE),
        s(14, "reportingComponent"),
        s(15, "reportingInstance"),
    ],
};

pub(crate) static EVENT_SOURCE: Message = Message {
    name: "EventSource",
    fields: &[s(1, "component"), s(2, "host")],
};

static EVENT_SERIES: Message = Message {
    name: "EventSeries",
    fields: &[i32f(1, "count"), opt(2, "lastObservedTime", Ty::MicroTime)],
};

pub(crate) static RESOURCE_QUOTA: Message = Message {
    name: "ResourceQuota",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &RESOURCE_QUOTA_SPEC),
        msg(3, "status", &RESOURCE_QUOTA_STATUS),
    ],
};

static RESOURCE_QUOTA_SPEC: Message = Message {
    name: "ResourceQuotaSpec",
    fields: &[
        map(1, "hard", Ty::Quantity),
        ss(2, "scopes"),
        msg(3, "scopeSelector", &SCOPE_SELECTOR),
    ],
};

static SCOPE_SELECTOR: Message = Message {
    name: "ScopeSelector",
    fields: &[msgs(1, "matchExpressions", &SCOPED_RESOURCE_SELECTOR_REQUIREMENT)],
};

static SCOPED_RESOURCE_SELECTOR_REQUIREMENT: Message = Message {
    name: "ScopedResourceSelectorRequirement",
    fields: &[s(1, "scopeName"), s(2, "operator"), ss(3, "values")],
};

static RESOURCE_QUOTA_STATUS: Message = Message {
    name: "ResourceQuotaStatus",
    fields: &[map(1, "hard", Ty::Quantity), map(2, "used", Ty::Quantity)],
};

// ---- PodTemplate, ReplicationController ------------------------------------------------

pub(crate) static POD_TEMPLATE: Message = Message {
    name: "PodTemplate",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "template", &POD_TEMPLATE_SPEC),
    ],
};

pub(crate) static REPLICATION_CONTROLLER: Message = Message {
    name: "ReplicationController",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &REPLICATION_CONTROLLER_SPEC),
        msg(3, "status", &REPLICATION_CONTROLLER_STATUS),
    ],
};

static REPLICATION_CONTROLLER_SPEC: Message = Message {
    name: "ReplicationControllerSpec",
    fields: &[
        i32f(1, "replicas"),
        i32f(4, "minReadySeconds"),
        map(2, "selector", Ty::String),
        msg(3, "template", &POD_TEMPLATE_SPEC),
    ],
};

static REPLICATION_CONTROLLER_STATUS: Message = Message {
    name: "ReplicationControllerStatus",
    fields: &[
        i32f(1, "replicas"),
        i32f(2, "fullyLabeledReplicas"),
        i32f(4, "readyReplicas"),
        i32f(5, "availableReplicas"),
        i64f(3, "observedGeneration"),
        msgs(6, "conditions", &REPLICATION_CONTROLLER_CONDITION),
    ],
};

static REPLICATION_CONTROLLER_CONDITION: Message = Message {
    name: "ReplicationControllerCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastTransitionTime"),
        s(4, "reason"),
        s(5, "message"),
    ],
};

// ---- LimitRange, ComponentStatus, Binding ------------------------------------------------

pub(crate) static LIMIT_RANGE: Message = Message {
    name: "LimitRange",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &LIMIT_RANGE_SPEC),
    ],
};

static LIMIT_RANGE_SPEC: Message = Message {
    name: "LimitRangeSpec",
    fields: &[msgs(1, "limits", &LIMIT_RANGE_ITEM)],
};

static LIMIT_RANGE_ITEM: Message = Message {
    name: "LimitRangeItem",
    fields: &[
        s(1, "type"),
        map(2, "max", Ty::Quantity),
        map(3, "min", Ty::Quantity),
        map(4, "default", Ty::Quantity),
        map(5, "defaultRequest", Ty::Quantity),
        map(6, "maxLimitRequestRatio", Ty::Quantity),
    ],
};

pub(crate) static COMPONENT_STATUS: Message = Message {
    name: "ComponentStatus",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msgs(2, "conditions", &COMPONENT_CONDITION),
    ],
};

static COMPONENT_CONDITION: Message = Message {
    name: "ComponentCondition",
    fields: &[s(1, "type"), s(2, "status"), s(3, "message"), s(4, "error")],
};

/// The body of `POST pods/<name>/binding` (and of the deprecated `bindings` resource).
pub(crate) static BINDING: Message = Message {
    name: "Binding",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "target", &OBJECT_REFERENCE),
    ],
};
