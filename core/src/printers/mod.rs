//! Server-side printing: the columns and cells of a `meta.k8s.io/v1` Table.
//!
//! When `kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io`
//! the API server answers with a Table whose column definitions and row cells
//! come from per-kind printers. This module reproduces the printers of
//! kube-apiserver v1.32 for the common kinds, and its default printer (Name
//! and "Created At") for every other kind. Building the Table itself (rows'
//! `object`, list metadata) is left to the caller.
//!
//! As in kube-apiserver, rows always carry the wide (`-o wide`, priority 1)
//! cells too; the client decides which columns to show.

mod apps;
mod batch;
mod coordination;
mod core;
mod duration;
mod event;
mod fields;
mod labels;
mod node;
mod pod;
mod service;
mod timestamp;

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
        Printer::Default => default_cells(object),
    }
}

/// The `columnDefinitions` array of a Table, each entry carrying all of
/// name, type, format, description and priority as kube-apiserver sends them.
pub fn column_definitions_json(cols: &[Column]) -> Value {
    Value::Array(
        cols.iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "type": c.type_,
                    "format": c.format,
                    "description": c.description,
                    "priority": c.priority,
                })
            })
            .collect(),
    )
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
        ("rbac.authorization.k8s.io", "Role"),
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
            assert_eq!(cols.iter().filter(|c| c.format == "name").count(), 1);
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
