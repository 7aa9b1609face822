//! Server-side printing: the columns and cells of a `meta.k8s.io/v1` Table.
//!
//! When `kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io`
//! the API server answers with a Table whose column definitions and row cells
//! come from per-kind printers. This module reproduces the printers of
//! kube-apiserver v1.32 for every served built-in kind that has one (plus the
//! APIService printer of the aggregator), and the default printer (Name and
//! "Created At") for every other kind, such as Role, ClusterRole, LimitRange
//! and CustomResourceDefinition. Building the Table itself (rows' `object`,
//! list metadata) is left to the caller.
//!
//! As in kube-apiserver, rows always carry the wide (`-o wide`, priority 1)
//! cells too; the client decides which columns to show.

mod admissionregistration;
mod apiregistration;
mod apps;
mod autoscaling;
mod batch;
mod certificates;
mod coordination;
mod core;
pub mod custom;
mod discovery;
mod duration;
mod event;
mod fields;
mod flowcontrol;
mod labels;
mod networking;
mod node;
mod pod;
mod policy;
mod quantity;
mod rbac;
mod runtime_class;
mod scheduling;
mod service;
mod storage;
mod timestamp;
mod volume;

use serde_json::{json, Value};

pub use duration::human_duration;
pub use timestamp::parse_rfc3339;

/// One column of a Table (`metav1.TableColumnDefinition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Header shown by kubectl (upper-cased by the client).
    pub name: &'static str,
    /// OpenAPI type of the cells: "string", "integer", "boolean", "date"...
    pub type_: &'static str,
    /// OpenAPI format: "name" for the object name column, else "".
    pub format: &'static str,
    /// Human-readable description of the column.
    pub description: &'static str,
    /// 0 for default columns, 1 for columns shown only with `-o wide`.
    pub priority: u32,
}

/// The columns the server prints for objects of `kind` in API `group`
/// (`""` for the core group).
pub fn columns(group: &str, kind: &str) -> &'static [Column] {
    match Printer::of(group, kind) {
        Printer::Namespace => self::core::NAMESPACE_COLUMNS,
        Printer::ConfigMap => self::core::CONFIG_MAP_COLUMNS,
        Printer::Secret => self::core::SECRET_COLUMNS,
        Printer::ServiceAccount => self::core::SERVICE_ACCOUNT_COLUMNS,
        Printer::Endpoints => self::core::ENDPOINTS_COLUMNS,
        Printer::Service => service::COLUMNS,
        Printer::Pod => pod::COLUMNS,
        Printer::Node => node::COLUMNS,
        Printer::Event(_) => event::COLUMNS,
        Printer::Deployment => apps::DEPLOYMENT_COLUMNS,
        Printer::ReplicaSet => apps::REPLICA_SET_COLUMNS,
        Printer::StatefulSet => apps::STATEFUL_SET_COLUMNS,
        Printer::DaemonSet => apps::DAEMON_SET_COLUMNS,
        Printer::Job => batch::JOB_COLUMNS,
        Printer::CronJob => batch::CRON_JOB_COLUMNS,
        Printer::Lease => coordination::LEASE_COLUMNS,
        Printer::ReplicationController => self::core::REPLICATION_CONTROLLER_COLUMNS,
        Printer::PodTemplate => self::core::POD_TEMPLATE_COLUMNS,
        Printer::ResourceQuota => self::core::RESOURCE_QUOTA_COLUMNS,
        Printer::ComponentStatus => self::core::COMPONENT_STATUS_COLUMNS,
        Printer::PersistentVolume => volume::PERSISTENT_VOLUME_COLUMNS,
        Printer::PersistentVolumeClaim => volume::PERSISTENT_VOLUME_CLAIM_COLUMNS,
        Printer::ControllerRevision => apps::CONTROLLER_REVISION_COLUMNS,
        Printer::HorizontalPodAutoscaler => autoscaling::HPA_COLUMNS,
        Printer::Ingress => networking::INGRESS_COLUMNS,
        Printer::IngressClass => networking::INGRESS_CLASS_COLUMNS,
        Printer::NetworkPolicy => networking::NETWORK_POLICY_COLUMNS,
        Printer::PodDisruptionBudget => policy::PDB_COLUMNS,
        Printer::RoleBinding => rbac::ROLE_BINDING_COLUMNS,
        Printer::ClusterRoleBinding => rbac::CLUSTER_ROLE_BINDING_COLUMNS,
        Printer::PriorityClass => scheduling::PRIORITY_CLASS_COLUMNS,
        Printer::StorageClass => storage::STORAGE_CLASS_COLUMNS,
        Printer::CsiDriver => storage::CSI_DRIVER_COLUMNS,
        Printer::CsiNode => storage::CSI_NODE_COLUMNS,
        Printer::CsiStorageCapacity => storage::CSI_STORAGE_CAPACITY_COLUMNS,
        Printer::VolumeAttachment => storage::VOLUME_ATTACHMENT_COLUMNS,
        Printer::RuntimeClass => runtime_class::COLUMNS,
        Printer::EndpointSlice => discovery::ENDPOINT_SLICE_COLUMNS,
        Printer::CertificateSigningRequest => certificates::CSR_COLUMNS,
        Printer::WebhookConfiguration => admissionregistration::WEBHOOK_CONFIGURATION_COLUMNS,
        Printer::ValidatingAdmissionPolicy => admissionregistration::POLICY_COLUMNS,
        Printer::ValidatingAdmissionPolicyBinding => admissionregistration::POLICY_BINDING_COLUMNS,
        Printer::FlowSchema => flowcontrol::FLOW_SCHEMA_COLUMNS,
        Printer::PriorityLevelConfiguration => flowcontrol::PRIORITY_LEVEL_COLUMNS,
        Printer::ApiService => apiregistration::API_SERVICE_COLUMNS,
        Printer::Default => DEFAULT_COLUMNS,
    }
}

/// The cells of one row for `object` (of `kind` in `group`), one per entry of
/// [`columns`], as kube-apiserver computes them at `now_unix_secs`.
///
/// Missing or mistyped fields read as their zero values; this never panics.
pub fn row_cells(group: &str, kind: &str, object: &Value, now_unix_secs: i64) -> Vec<Value> {
    let now = now_unix_secs;
    match Printer::of(group, kind) {
        Printer::Namespace => self::core::namespace_cells(object, now),
        Printer::ConfigMap => self::core::config_map_cells(object, now),
        Printer::Secret => self::core::secret_cells(object, now),
        Printer::ServiceAccount => self::core::service_account_cells(object, now),
        Printer::Endpoints => self::core::endpoints_cells(object, now),
        Printer::Service => service::cells(object, now),
        Printer::Pod => pod::cells(object, now),
        Printer::Node => node::cells(object, now),
        Printer::Event(api) => event::cells(api, object, now),
        Printer::Deployment => apps::deployment_cells(object, now),
        Printer::ReplicaSet => apps::replica_set_cells(object, now),
        Printer::StatefulSet => apps::stateful_set_cells(object, now),
        Printer::DaemonSet => apps::daemon_set_cells(object, now),
        Printer::Job => batch::job_cells(object, now),
        Printer::CronJob => batch::cron_job_cells(object, now),
        Printer::Lease => coordination::lease_cells(object, now),
        Printer::ReplicationController => self::core::replication_controller_cells(object, now),
        Printer::PodTemplate => self::core::pod_template_cells(object),
        Printer::ResourceQuota => self::core::resource_quota_cells(object, now),
        Printer::ComponentStatus => self::core::component_status_cells(object),
        Printer::PersistentVolume => volume::persistent_volume_cells(object, now),
        Printer::PersistentVolumeClaim => volume::persistent_volume_claim_cells(object, now),
        Printer::ControllerRevision => apps::controller_revision_cells(object, now),
        Printer::HorizontalPodAutoscaler => autoscaling::hpa_cells(object, now),
        Printer::Ingress => networking::ingress_cells(object, now),
        Printer::IngressClass => networking::ingress_class_cells(object, now),
        Printer::NetworkPolicy => networking::network_policy_cells(object, now),
        Printer::PodDisruptionBudget => policy::pdb_cells(object, now),
        Printer::RoleBinding | Printer::ClusterRoleBinding => rbac::binding_cells(object, now),
        Printer::PriorityClass => scheduling::priority_class_cells(object, now),
        Printer::StorageClass => storage::storage_class_cells(object, now),
        Printer::CsiDriver => storage::csi_driver_cells(object, now),
        Printer::CsiNode => storage::csi_node_cells(object, now),
        Printer::CsiStorageCapacity => storage::csi_storage_capacity_cells(object),
        Printer::VolumeAttachment => storage::volume_attachment_cells(object, now),
        Printer::RuntimeClass => runtime_class::cells(object, now),
        Printer::EndpointSlice => discovery::endpoint_slice_cells(object, now),
        Printer::CertificateSigningRequest => certificates::csr_cells(object, now),
        Printer::WebhookConfiguration => admissionregistration::webhook_configuration_cells(object, now),
        Printer::ValidatingAdmissionPolicy => admissionregistration::policy_cells(object, now),
        Printer::ValidatingAdmissionPolicyBinding => admissionregistration::policy_binding_cells(object, now),
        Printer::FlowSchema => flowcontrol::flow_schema_cells(object, now),
        Printer::PriorityLevelConfiguration => flowcontrol::priority_level_cells(object, now),
        Printer::ApiService => apiregistration::api_service_cells(object, now),
        Printer::Default => default_cells(object),
    }
}

/// The order kube-apiserver gives the rows of a Table listing objects of
/// `kind` in `group`. Most lists keep their storage order (this returns
/// `Equal`); FlowSchemas are listed by matching precedence, then name. Use
/// with a stable sort.
pub fn row_order(group: &str, kind: &str, a: &Value, b: &Value) -> std::cmp::Ordering {
    match Printer::of(group, kind) {
        Printer::FlowSchema => flowcontrol::flow_schema_order(a, b),
        _ => std::cmp::Ordering::Equal,
    }
}

/// The `columnDefinitions` array of a Table, each entry carrying all of
/// name, type, format, description and priority as kube-apiserver sends them.
pub fn column_definitions_json(cols: &[Column]) -> Value {
    Value::Array(
        cols.iter()
            .map(|c| column_json(c.name, c.type_, c.format, c.description, c.priority))
            .collect(),
    )
}

/// One entry of a Table's `columnDefinitions`.
fn column_json(name: &str, type_: &str, format: &str, description: &str, priority: u32) -> Value {
    json!({
        "name": name,
        "type": type_,
        "format": format,
        "description": description,
        "priority": priority,
    })
}

/// Which printer handles a group/kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Printer {
    Namespace,
    ConfigMap,
    Secret,
    ServiceAccount,
    Endpoints,
    Service,
    Pod,
    Node,
    /// Core and events.k8s.io events share storage and printer; only the
    /// field names of the serialized object differ.
    Event(event::Api),
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Lease,
    ReplicationController,
    PodTemplate,
    ResourceQuota,
    ComponentStatus,
    PersistentVolume,
    PersistentVolumeClaim,
    ControllerRevision,
    /// autoscaling/v2 and autoscaling/v1 objects alike.
    HorizontalPodAutoscaler,
    Ingress,
    IngressClass,
    NetworkPolicy,
    PodDisruptionBudget,
    RoleBinding,
    ClusterRoleBinding,
    PriorityClass,
    StorageClass,
    CsiDriver,
    CsiNode,
    CsiStorageCapacity,
    VolumeAttachment,
    RuntimeClass,
    EndpointSlice,
    CertificateSigningRequest,
    /// Mutating and validating webhook configurations print alike.
    WebhookConfiguration,
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
    FlowSchema,
    PriorityLevelConfiguration,
    /// Served by the aggregator, which has its own table converter.
    ApiService,
    Default,
}

impl Printer {
    fn of(group: &str, kind: &str) -> Self {
        match (group, kind) {
            ("", "Namespace") => Self::Namespace,
            ("", "ConfigMap") => Self::ConfigMap,
            ("", "Secret") => Self::Secret,
            ("", "ServiceAccount") => Self::ServiceAccount,
            ("", "Endpoints") => Self::Endpoints,
            ("", "Service") => Self::Service,
            ("", "Pod") => Self::Pod,
            ("", "Node") => Self::Node,
            ("", "Event") => Self::Event(event::Api::Core),
            ("events.k8s.io", "Event") => Self::Event(event::Api::Events),
            ("apps", "Deployment") => Self::Deployment,
            ("apps", "ReplicaSet") => Self::ReplicaSet,
            ("apps", "StatefulSet") => Self::StatefulSet,
            ("apps", "DaemonSet") => Self::DaemonSet,
            ("batch", "Job") => Self::Job,
            ("batch", "CronJob") => Self::CronJob,
            ("coordination.k8s.io", "Lease") => Self::Lease,
            ("", "ReplicationController") => Self::ReplicationController,
            ("", "PodTemplate") => Self::PodTemplate,
            ("", "ResourceQuota") => Self::ResourceQuota,
            ("", "ComponentStatus") => Self::ComponentStatus,
            ("", "PersistentVolume") => Self::PersistentVolume,
            ("", "PersistentVolumeClaim") => Self::PersistentVolumeClaim,
            ("apps", "ControllerRevision") => Self::ControllerRevision,
            ("autoscaling", "HorizontalPodAutoscaler") => Self::HorizontalPodAutoscaler,
            ("networking.k8s.io", "Ingress") => Self::Ingress,
            ("networking.k8s.io", "IngressClass") => Self::IngressClass,
            ("networking.k8s.io", "NetworkPolicy") => Self::NetworkPolicy,
            ("policy", "PodDisruptionBudget") => Self::PodDisruptionBudget,
            ("rbac.authorization.k8s.io", "RoleBinding") => Self::RoleBinding,
            ("rbac.authorization.k8s.io", "ClusterRoleBinding") => Self::ClusterRoleBinding,
            ("scheduling.k8s.io", "PriorityClass") => Self::PriorityClass,
            ("storage.k8s.io", "StorageClass") => Self::StorageClass,
            ("storage.k8s.io", "CSIDriver") => Self::CsiDriver,
            ("storage.k8s.io", "CSINode") => Self::CsiNode,
            ("storage.k8s.io", "CSIStorageCapacity") => Self::CsiStorageCapacity,
            ("storage.k8s.io", "VolumeAttachment") => Self::VolumeAttachment,
            ("node.k8s.io", "RuntimeClass") => Self::RuntimeClass,
            ("discovery.k8s.io", "EndpointSlice") => Self::EndpointSlice,
            ("certificates.k8s.io", "CertificateSigningRequest") => Self::CertificateSigningRequest,
            (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration",
            ) => Self::WebhookConfiguration,
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => Self::ValidatingAdmissionPolicy,
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
                Self::ValidatingAdmissionPolicyBinding
            }
            ("flowcontrol.apiserver.k8s.io", "FlowSchema") => Self::FlowSchema,
            ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration") => {
                Self::PriorityLevelConfiguration
            }
            ("apiregistration.k8s.io", "APIService") => Self::ApiService,
            _ => Self::Default,
        }
    }
}

// Columns shared by most printers.

const NAME: Column = Column {
    name: "Name",
    type_: "string",
    format: "name",
    description: "Name must be unique within a namespace; it identifies the object.",
    priority: 0,
};

const AGE: Column = col(
    "Age",
    "string",
    "Time since the object was created (its creationTimestamp).",
);

const CONTAINERS: Column = wide(col(
    "Containers",
    "string",
    "Names of each container in the template.",
));

const IMAGES: Column = wide(col(
    "Images",
    "string",
    "Images referenced by each container in the template.",
));

/// A default-priority column without format.
const fn col(name: &'static str, type_: &'static str, description: &'static str) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 0,
    }
}

/// The same column, shown only with `-o wide`.
const fn wide(mut c: Column) -> Column {
    c.priority = 1;
    c
}

/// The AGE cell of an object.
fn age(obj: &Value, now: i64) -> Value {
    Value::from(timestamp::since(
        fields::at(obj, &["metadata", "creationTimestamp"]),
        now,
    ))
}

/// Container names and images of a pod spec, each joined with ",".
fn container_cells(pod_spec: Option<&Value>) -> [Value; 2] {
    let containers = pod_spec.map_or(&[][..], |s| fields::items(s, &["containers"]));
    let names: Vec<&str> = containers.iter().map(|c| fields::str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| fields::str_at(c, &["image"])).collect();
    [Value::from(names.join(",")), Value::from(images.join(","))]
}

/// Columns of kinds without a dedicated printer.
const DEFAULT_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Created At",
        "date",
        "Time the object was created (its creationTimestamp).",
    ),
];

/// The default printer: the name and the creation time in RFC 3339 (UTC).
fn default_cells(obj: &Value) -> Vec<Value> {
    vec![
        fields::name(obj),
        Value::from(timestamp::created_at(fields::at(
            obj,
            &["metadata", "creationTimestamp"],
        ))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind with a dedicated printer, plus some that fall back.
    const KINDS: &[(&str, &str)] = &[
        ("", "Namespace"),
        ("", "ConfigMap"),
        ("", "Secret"),
        ("", "ServiceAccount"),
        ("", "Service"),
        ("", "Endpoints"),
        ("", "Pod"),
        ("", "Node"),
        ("", "Event"),
        ("events.k8s.io", "Event"),
        ("apps", "Deployment"),
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("coordination.k8s.io", "Lease"),
        ("", "ReplicationController"),
        ("", "PodTemplate"),
        ("", "ResourceQuota"),
        ("", "ComponentStatus"),
        ("", "PersistentVolume"),
        ("", "PersistentVolumeClaim"),
        ("apps", "ControllerRevision"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("networking.k8s.io", "Ingress"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("policy", "PodDisruptionBudget"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "CSIStorageCapacity"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("node.k8s.io", "RuntimeClass"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("apiregistration.k8s.io", "APIService"),
        ("rbac.authorization.k8s.io", "Role"),
        ("", "LimitRange"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("example.com", "Widget"),
        ("apps", "Pod"),
    ];

    #[test]
    fn empty_and_odd_objects_give_full_rows() {
        let odd = [
            json!({}),
            json!(null),
            json!([1, 2]),
            json!("pod"),
            json!({"metadata": 5, "spec": [], "status": "x"}),
            json!({"metadata": {"name": 3, "creationTimestamp": "yesterday"},
                   "spec": {"containers": "c", "ports": [null, 1], "selector": 7},
                   "status": {"conditions": [null, "Ready"], "containerStatuses": [{}, 3]}}),
        ];
        for (g, k) in KINDS {
            let width = columns(g, k).len();
            assert!(width >= 2, "{g}/{k}");
            for obj in &odd {
                assert_eq!(row_cells(g, k, obj, 0).len(), width, "{g}/{k} {obj}");
            }
        }
    }

    #[test]
    fn every_table_starts_sensibly() {
        for (g, k) in KINDS {
            let cols = columns(g, k);
            // VolumeAttachment marks its Attacher column as a name too.
            let names = if *k == "VolumeAttachment" { 2 } else { 1 };
            assert_eq!(cols.iter().filter(|c| c.format == "name").count(), names);
            // Only Events do not lead with the name.
            if *k != "Event" {
                assert_eq!(cols.first().map(|c| c.name), Some("Name"), "{g}/{k}");
            }
        }
    }

    /// Arbitrary JSON built from the field names printers look at.
    fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        const KEYS: &[&str] = &[
            "metadata",
            "name",
            "creationTimestamp",
            "deletionTimestamp",
            "labels",
            "spec",
            "status",
            "containers",
            "initContainers",
            "containerStatuses",
            "initContainerStatuses",
            "state",
            "lastState",
            "terminated",
            "waiting",
            "running",
            "finishedAt",
            "restartCount",
            "ready",
            "started",
            "restartPolicy",
            "conditions",
            "type",
            "reason",
            "phase",
            "ports",
            "port",
            "nodePort",
            "selector",
            "matchLabels",
            "matchExpressions",
            "key",
            "operator",
            "values",
            "subsets",
            "addresses",
            "ip",
            "replicas",
            "template",
            "completions",
            "parallelism",
            "startTime",
            "series",
            "lastObservedTime",
            "involvedObject",
            "count",
            "eventTime",
            "loadBalancer",
            "ingress",
            "clusterIPs",
            "podIPs",
            "readinessGates",
            "conditionType",
            "metrics",
            "currentMetrics",
            "resource",
            "target",
            "current",
            "averageValue",
            "averageUtilization",
            "hard",
            "used",
            "capacity",
            "storage",
            "accessModes",
            "claimRef",
            "ownerReferences",
            "controller",
            "rules",
            "host",
            "tls",
            "subjects",
            "roleRef",
            "kind",
            "paramRef",
            "endpoints",
            "tokenRequests",
            "limited",
            "queuing",
            "limitResponse",
            "annotations",
            "parameters",
            "apiGroup",
            "minAvailable",
            "expirationSeconds",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            prop_oneof![
                Just("2024-05-01T10:00:00Z".to_owned()),
                Just("0001-01-01T00:00:00Z".to_owned()),
                Just("9999-12-31T23:59:59.999999999-23:59".to_owned()),
                Just("Always".to_owned()),
                Just("True".to_owned()),
                Just("In".to_owned()),
                ".{0,12}",
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 96, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(|kvs| {
                    Value::Object(kvs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_objects_never_panic(obj in arb_json(), now in proptest::num::i64::ANY) {
            for (g, k) in KINDS {
                proptest::prop_assert_eq!(row_cells(g, k, &obj, now).len(), columns(g, k).len());
            }
        }
    }

    #[test]
    fn default_printer() {
        let obj = json!({"metadata": {"name": "admin", "creationTimestamp": "2024-05-01T12:00:00+02:00"}});
        assert_eq!(
            row_cells("rbac.authorization.k8s.io", "ClusterRole", &obj, 0),
            vec![json!("admin"), json!("2024-05-01T10:00:00Z")]
        );
        assert_eq!(
            column_definitions_json(columns("example.com", "Widget")),
            json!([
                {"name": "Name", "type": "string", "format": "name",
                 "description": NAME.description, "priority": 0},
                {"name": "Created At", "type": "date", "format": "",
                 "description": "Time the object was created (its creationTimestamp).", "priority": 0}
            ])
        );
    }

    #[test]
    fn kinds_without_an_upstream_printer_keep_the_default() {
        for (g, k) in [
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("", "LimitRange"),
            ("", "Binding"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ] {
            assert_eq!(columns(g, k), DEFAULT_COLUMNS, "{g}/{k}");
        }
        let crd = json!({"metadata": {"name": "widgets.example.com",
                                      "creationTimestamp": "2024-05-01T10:00:00Z"}});
        assert_eq!(
            row_cells("apiextensions.k8s.io", "CustomResourceDefinition", &crd, 0),
            vec![json!("widgets.example.com"), json!("2024-05-01T10:00:00Z")]
        );
    }

    #[test]
    fn row_order_sorts_flow_schemas_only() {
        use std::cmp::Ordering;
        let a = json!({"metadata": {"name": "a"}, "spec": {"matchingPrecedence": 9000}});
        let b = json!({"metadata": {"name": "b"}, "spec": {"matchingPrecedence": 100}});
        let g = "flowcontrol.apiserver.k8s.io";
        assert_eq!(row_order(g, "FlowSchema", &a, &b), Ordering::Greater);
        assert_eq!(row_order("", "Pod", &a, &b), Ordering::Equal);
    }

    #[test]
    fn definitions_carry_priority() {
        let defs = column_definitions_json(columns("", "Pod"));
        let wide: Vec<&str> = defs
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|d| d["priority"] == 1)
                    .filter_map(|d| d["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(wide, ["IP", "Node", "Nominated Node", "Readiness Gates"]);
    }
}
