//! Printers for apps/v1: the workloads Deployment, ReplicaSet, StatefulSet
//! and DaemonSet, and ControllerRevision.

use serde_json::Value;

use super::fields::{at, bool_at, int_at, items, name, opt_int_at, str_at};
use super::labels::{format_label_selector, format_labels, selector_string};
use super::{age, col, container_cells, wide, Column, AGE, CONTAINERS, IMAGES, NAME};

const SELECTOR: Column = wide(col(
    "Selector",
    "string",
    "Label query over the pods the controller manages.",
));

/// `spec.replicas`, which defaults to 1 for all three replicated kinds.
fn desired_replicas(obj: &Value) -> i64 {
    opt_int_at(obj, &["spec", "replicas"]).unwrap_or(1)
}

fn template_spec(obj: &Value) -> Option<&Value> {
    at(obj, &["spec", "template", "spec"])
}

/// Columns of `kubectl get deployments`.
pub(super) const DEPLOYMENT_COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    col(
        "Up-to-date",
        "string",
        "Total number of pods targeted by the deployment that have the desired template.",
    ),
    col(
        "Available",
        "string",
        "Total number of available pods targeted by the deployment.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

/// NAME, READY ("ready/desired"), UP-TO-DATE, AVAILABLE, AGE | CONTAINERS,
/// IMAGES, SELECTOR.
pub(super) fn deployment_cells(obj: &Value, now: i64) -> Vec<Value> {
    let [names, images] = container_cells(template_spec(obj));
    // Unlike the other workloads, an empty selector prints as "" here and an
    // invalid one as "<invalid>".
    let selector = selector_string(at(obj, &["spec", "selector"])).unwrap_or_else(|_| "<invalid>".to_owned());
    vec![
        name(obj),
        Value::from(format!(
            "{}/{}",
            int_at(obj, &["status", "readyReplicas"]),
            desired_replicas(obj)
        )),
        Value::from(int_at(obj, &["status", "updatedReplicas"])),
        Value::from(int_at(obj, &["status", "availableReplicas"])),
        age(obj, now),
        names,
        images,
        Value::from(selector),
    ]
}

/// Columns of `kubectl get replicasets`.
pub(super) const REPLICA_SET_COLUMNS: &[Column] = &[
    NAME,
    col("Desired", "integer", "Number of desired pods."),
    col(
        "Current",
        "integer",
        "Number of pods the replica set currently has.",
    ),
    col(
        "Ready",
        "integer",
        "Number of pods of the replica set that are ready.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

/// NAME, DESIRED, CURRENT, READY, AGE | CONTAINERS, IMAGES, SELECTOR.
pub(super) fn replica_set_cells(obj: &Value, now: i64) -> Vec<Value> {
    let [names, images] = container_cells(template_spec(obj));
    vec![
        name(obj),
        Value::from(desired_replicas(obj)),
        Value::from(int_at(obj, &["status", "replicas"])),
        Value::from(int_at(obj, &["status", "readyReplicas"])),
        age(obj, now),
        names,
        images,
        Value::from(format_label_selector(at(obj, &["spec", "selector"]))),
    ]
}

/// Columns of `kubectl get statefulsets`.
pub(super) const STATEFUL_SET_COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    AGE,
    CONTAINERS,
    IMAGES,
];

/// NAME, READY ("ready/desired"), AGE | CONTAINERS, IMAGES.
pub(super) fn stateful_set_cells(obj: &Value, now: i64) -> Vec<Value> {
    let [names, images] = container_cells(template_spec(obj));
    vec![
        name(obj),
        Value::from(format!(
            "{}/{}",
            int_at(obj, &["status", "readyReplicas"]),
            desired_replicas(obj)
        )),
        age(obj, now),
        names,
        images,
    ]
}

/// Columns of `kubectl get daemonsets`.
pub(super) const DAEMON_SET_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Desired",
        "integer",
        "Number of nodes that should be running the daemon pod.",
    ),
    col(
        "Current",
        "integer",
        "Number of nodes running at least one daemon pod that should.",
    ),
    col("Ready", "integer", "Number of nodes whose daemon pod is ready."),
    col(
        "Up-to-date",
        "integer",
        "Number of nodes running the updated daemon pod.",
    ),
    col(
        "Available",
        "integer",
        "Number of nodes whose daemon pod is available.",
    ),
    col(
        "Node Selector",
        "string",
        "Labels a node must carry for the daemon pod to run on it.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

/// NAME, DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR, AGE |
/// CONTAINERS, IMAGES, SELECTOR.
pub(super) fn daemon_set_cells(obj: &Value, now: i64) -> Vec<Value> {
    let [names, images] = container_cells(template_spec(obj));
    let status = |field: &str| Value::from(int_at(obj, &["status", field]));
    vec![
        name(obj),
        status("desiredNumberScheduled"),
        status("currentNumberScheduled"),
        status("numberReady"),
        status("updatedNumberScheduled"),
        status("numberAvailable"),
        Value::from(format_labels(at(
            obj,
            &["spec", "template", "spec", "nodeSelector"],
        ))),
        age(obj, now),
        names,
        images,
        Value::from(format_label_selector(at(obj, &["spec", "selector"]))),
    ]
}

/// Columns of `kubectl get controllerrevisions`.
pub(super) const CONTROLLER_REVISION_COLUMNS: &[Column] = &[
    NAME,
    col("Controller", "string", "Controller of the object"),
    col("Revision", "string", "Revision the state represents."),
    AGE,
];

/// NAME, CONTROLLER ("kind.group/name" of the controlling owner, "<none>"),
/// REVISION, AGE.
pub(super) fn controller_revision_cells(obj: &Value, now: i64) -> Vec<Value> {
    let controller = items(obj, &["metadata", "ownerReferences"])
        .iter()
        .find(|r| bool_at(r, &["controller"]))
        .map_or_else(|| "<none>".to_owned(), controller_name);
    vec![
        name(obj),
        Value::from(controller),
        Value::from(int_at(obj, &["revision"])),
        age(obj, now),
    ]
}

/// "statefulset.apps/web" for an owner reference: the lower-cased group kind
/// and the name; just the name when neither group nor kind is known.
fn controller_name(owner: &Value) -> String {
    let api_version = str_at(owner, &["apiVersion"]);
    // Like schema.ParseGroupVersion: "v1" is the core group, "g/v" names the
    // group. Validation rejects anything with more slashes; keep no group.
    let group = match api_version.split_once('/') {
        Some((g, v)) if !v.contains('/') => g,
        _ => "",
    };
    let kind = str_at(owner, &["kind"]);
    let owner_name = str_at(owner, &["name"]);
    match (group, kind) {
        ("", "") => owner_name.to_owned(),
        ("", k) => format!("{}/{owner_name}", k.to_lowercase()),
        (g, k) => format!("{}/{owner_name}", format!("{k}.{g}").to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::{json, Value};

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    fn template() -> Value {
        json!({"metadata": {"labels": {"app": "web"}},
               "spec": {"containers": [{"name": "web", "image": "nginx:1.27"},
                                       {"name": "sidecar", "image": "busybox"}]}})
    }

    #[test]
    fn deployment() {
        let d = json!({
            "metadata": {"name": "web", "creationTimestamp": "2024-05-01T09:57:57Z"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
            "status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2}
        });
        assert_eq!(
            row_cells("apps", "Deployment", &d, NOW),
            vec![
                json!("web"),
                json!("2/3"),
                json!(3),
                json!(2),
                json!("2m3s"),
                json!("web,sidecar"),
                json!("nginx:1.27,busybox"),
                json!("app=web")
            ]
        );
        let bare = row_cells("apps", "Deployment", &json!({"metadata": {"name": "d"}}), NOW);
        assert_eq!(
            bare[1..],
            [
                json!("0/1"),
                json!(0),
                json!(0),
                json!("<unknown>"),
                json!(""),
                json!(""),
                json!("")
            ]
        );
        let bad = json!({"spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "Nope"}]}}});
        assert_eq!(row_cells("apps", "Deployment", &bad, NOW)[7], json!("<invalid>"));
    }

    #[test]
    fn replica_set() {
        let rs = json!({
            "metadata": {"name": "web-5d", "creationTimestamp": "2024-05-01T06:00:00Z"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d"}},
                     "template": template()},
            "status": {"replicas": 2, "readyReplicas": 1}
        });
        assert_eq!(
            row_cells("apps", "ReplicaSet", &rs, NOW),
            vec![
                json!("web-5d"),
                json!(2),
                json!(2),
                json!(1),
                json!("4h"),
                json!("web,sidecar"),
                json!("nginx:1.27,busybox"),
                json!("app=web,pod-template-hash=5d")
            ]
        );
        let scaled_down = json!({"spec": {"replicas": 0, "selector": {}}});
        let row = row_cells("apps", "ReplicaSet", &scaled_down, NOW);
        assert_eq!((row[1].clone(), row[7].clone()), (json!(0), json!("<none>")));
    }

    #[test]
    fn stateful_set() {
        let sts = json!({
            "metadata": {"name": "db", "creationTimestamp": "2024-04-01T10:00:00Z"},
            "spec": {"replicas": 3, "template": template()},
            "status": {"replicas": 3, "readyReplicas": 3}
        });
        assert_eq!(
            row_cells("apps", "StatefulSet", &sts, NOW),
            vec![
                json!("db"),
                json!("3/3"),
                json!("30d"),
                json!("web,sidecar"),
                json!("nginx:1.27,busybox")
            ]
        );
    }

    #[test]
    fn daemon_set() {
        let mut tpl = template();
        tpl["spec"]["nodeSelector"] = json!({"kubernetes.io/os": "linux"});
        let ds = json!({
            "metadata": {"name": "kube-proxy", "creationTimestamp": "2022-05-01T10:00:00Z"},
            "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}}, "template": tpl},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                       "updatedNumberScheduled": 3, "numberAvailable": 2}
        });
        assert_eq!(
            row_cells("apps", "DaemonSet", &ds, NOW),
            vec![
                json!("kube-proxy"),
                json!(3),
                json!(3),
                json!(2),
                json!(3),
                json!(2),
                json!("kubernetes.io/os=linux"),
                json!("2y1d"),
                json!("web,sidecar"),
                json!("nginx:1.27,busybox"),
                json!("k8s-app=kube-proxy")
            ]
        );
        let bare = row_cells("apps", "DaemonSet", &json!({}), NOW);
        assert_eq!(
            (bare[6].clone(), bare[10].clone()),
            (json!("<none>"), json!("<none>"))
        );
    }

    #[test]
    fn controller_revision() {
        let cr = json!({
            "metadata": {"name": "web-6d4f", "creationTimestamp": "2024-05-01T09:00:00Z",
                         "ownerReferences": [
                             {"apiVersion": "v1", "kind": "Pod", "name": "other"},
                             {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                              "controller": true}]},
            "revision": 2
        });
        assert_eq!(
            row_cells("apps", "ControllerRevision", &cr, NOW),
            vec![
                json!("web-6d4f"),
                json!("statefulset.apps/web"),
                json!(2),
                json!("60m")
            ]
        );
        let core_owner = json!({"metadata": {"ownerReferences": [
            {"apiVersion": "v1", "kind": "Node", "name": "n1", "controller": true}]}});
        assert_eq!(
            row_cells("apps", "ControllerRevision", &core_owner, NOW)[1],
            json!("node/n1")
        );
        let orphan = json!({"metadata": {"name": "x",
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                                 "name": "d", "controller": false}]}});
        assert_eq!(
            row_cells("apps", "ControllerRevision", &orphan, NOW)[1..3],
            [json!("<none>"), json!(0)]
        );
    }
}
