//! Printers for storage.k8s.io/v1: StorageClass, CSIDriver, CSINode,
//! CSIStorageCapacity and VolumeAttachment.

use serde_json::Value;

use super::fields::{at, bool_at, items, name, opt_bool_at, opt_str_at, str_at};
use super::quantity;
use super::{age, col, Column, AGE, NAME};

/// Annotations that mark the default storage class (GA and beta spelling).
const DEFAULT_CLASS_ANNOTATIONS: [&str; 2] = [
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

/// Columns of `kubectl get storageclasses`.
pub(super) const STORAGE_CLASS_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Provisioner",
        "string",
        "The volume plugin that provisions volumes of this class.",
    ),
    col(
        "ReclaimPolicy",
        "string",
        "What happens to volumes of this class when released.",
    ),
    col(
        "VolumeBindingMode",
        "string",
        "When claims of this class are provisioned and bound.",
    ),
    col(
        "AllowVolumeExpansion",
        "string",
        "Whether volumes of this class may be expanded.",
    ),
    AGE,
];

/// NAME (with " (default)" for the default class), PROVISIONER,
/// RECLAIMPOLICY, VOLUMEBINDINGMODE, ALLOWVOLUMEEXPANSION, AGE.
pub(super) fn storage_class_cells(sc: &Value, now: i64) -> Vec<Value> {
    let is_default = DEFAULT_CLASS_ANNOTATIONS
        .iter()
        .any(|a| str_at(sc, &["metadata", "annotations", a]) == "true");
    let mut display = str_at(sc, &["metadata", "name"]).to_owned();
    if is_default {
        display.push_str(" (default)");
    }
    vec![
        Value::from(display),
        Value::from(str_at(sc, &["provisioner"])),
        Value::from(opt_str_at(sc, &["reclaimPolicy"]).unwrap_or("Delete")),
        Value::from(opt_str_at(sc, &["volumeBindingMode"]).unwrap_or("Immediate")),
        Value::from(bool_at(sc, &["allowVolumeExpansion"])),
        age(sc, now),
    ]
}

/// Columns of `kubectl get csidrivers`.
pub(super) const CSI_DRIVER_COLUMNS: &[Column] = &[
    NAME,
    col(
        "AttachRequired",
        "boolean",
        "Whether volumes of the driver need an attach operation.",
    ),
    col(
        "PodInfoOnMount",
        "boolean",
        "Whether the driver wants pod information on mount.",
    ),
    col(
        "StorageCapacity",
        "boolean",
        "Whether the scheduler considers the driver's storage capacity.",
    ),
    col(
        "TokenRequests",
        "string",
        "Audiences of the service account tokens passed to the driver.",
    ),
    col(
        "RequiresRepublish",
        "boolean",
        "Whether the driver wants NodePublishVolume called periodically.",
    ),
    col(
        "Modes",
        "string",
        "The volume lifecycle modes the driver supports.",
    ),
    AGE,
];

/// NAME, ATTACHREQUIRED, PODINFOONMOUNT, STORAGECAPACITY, TOKENREQUESTS,
/// REQUIRESREPUBLISH, MODES, AGE.
pub(super) fn csi_driver_cells(d: &Value, now: i64) -> Vec<Value> {
    // Stored objects keep an empty list as unset, like a round trip through
    // protobuf does.
    let tokens = items(d, &["spec", "tokenRequests"]);
    let token_requests = if tokens.is_empty() {
        "<unset>".to_owned()
    } else {
        let audiences: Vec<&str> = tokens.iter().map(|t| str_at(t, &["audience"])).collect();
        audiences.join(",")
    };
    // v1 defaulting makes Persistent the only mode when none is listed.
    let modes: Vec<&str> = items(d, &["spec", "volumeLifecycleModes"])
        .iter()
        .map(|m| m.as_str().unwrap_or(""))
        .collect();
    let modes = if modes.is_empty() {
        "Persistent".to_owned()
    } else {
        modes.join(",")
    };
    vec![
        name(d),
        Value::from(opt_bool_at(d, &["spec", "attachRequired"]).unwrap_or(true)),
        Value::from(bool_at(d, &["spec", "podInfoOnMount"])),
        Value::from(bool_at(d, &["spec", "storageCapacity"])),
        Value::from(token_requests),
        Value::from(bool_at(d, &["spec", "requiresRepublish"])),
        Value::from(modes),
        age(d, now),
    ]
}

/// Columns of `kubectl get csinodes`.
pub(super) const CSI_NODE_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Drivers",
        "integer",
        "Drivers indicates the number of CSI drivers registered on the node",
    ),
    AGE,
];

/// NAME, DRIVERS (count), AGE.
pub(super) fn csi_node_cells(n: &Value, now: i64) -> Vec<Value> {
    vec![
        name(n),
        Value::from(items(n, &["spec", "drivers"]).len()),
        age(n, now),
    ]
}

/// Columns of `kubectl get csistoragecapacities` (no AGE column upstream).
pub(super) const CSI_STORAGE_CAPACITY_COLUMNS: &[Column] = &[
    NAME,
    col(
        "StorageClassName",
        "string",
        "The storage class the capacity applies to.",
    ),
    col(
        "Capacity",
        "string",
        "Capacity available for new volumes of that class.",
    ),
];

/// NAME, STORAGECLASSNAME, CAPACITY ("<unset>" when not reported).
pub(super) fn csi_storage_capacity_cells(c: &Value) -> Vec<Value> {
    vec![
        name(c),
        Value::from(str_at(c, &["storageClassName"])),
        Value::from(quantity::opt(at(c, &["capacity"])).unwrap_or_else(|| "<unset>".to_owned())),
    ]
}

/// Columns of `kubectl get volumeattachments`. Upstream marks Attacher with
/// the "name" format too.
pub(super) const VOLUME_ATTACHMENT_COLUMNS: &[Column] = &[
    NAME,
    Column {
        format: "name",
        ..col(
            "Attacher",
            "string",
            "The volume driver that attaches the volume.",
        )
    },
    col("PV", "string", "The persistent volume being attached."),
    col("Node", "string", "The node the volume is attached to."),
    col("Attached", "boolean", "Whether the attach operation succeeded."),
    AGE,
];

/// NAME, ATTACHER, PV, NODE, ATTACHED, AGE.
pub(super) fn volume_attachment_cells(va: &Value, now: i64) -> Vec<Value> {
    vec![
        name(va),
        Value::from(str_at(va, &["spec", "attacher"])),
        Value::from(str_at(va, &["spec", "source", "persistentVolumeName"])),
        Value::from(str_at(va, &["spec", "nodeName"])),
        Value::from(bool_at(va, &["status", "attached"])),
        age(va, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::{columns, row_cells};
    use serde_json::json;

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z
    const G: &str = "storage.k8s.io";

    #[test]
    fn storage_class() {
        let sc = json!({
            "metadata": {"name": "standard", "creationTimestamp": "2024-04-30T10:00:00Z",
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer"
        });
        assert_eq!(
            row_cells(G, "StorageClass", &sc, NOW),
            vec![
                json!("standard (default)"),
                json!("rancher.io/local-path"),
                json!("Delete"),
                json!("WaitForFirstConsumer"),
                json!(false),
                json!("24h")
            ]
        );
        let beta = json!({"metadata": {"name": "gp2",
                          "annotations": {"storageclass.beta.kubernetes.io/is-default-class": "true"}},
                          "provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Retain",
                          "allowVolumeExpansion": true});
        assert_eq!(
            row_cells(G, "StorageClass", &beta, NOW)[..5],
            [
                json!("gp2 (default)"),
                json!("ebs.csi.aws.com"),
                json!("Retain"),
                json!("Immediate"),
                json!(true)
            ]
        );
        let not_default = json!({"metadata": {"name": "x",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "True"}}});
        assert_eq!(row_cells(G, "StorageClass", &not_default, NOW)[0], json!("x"));
    }

    #[test]
    fn csi_driver() {
        let d = json!({
            "metadata": {"name": "csi.example.com", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "spec": {"attachRequired": false, "podInfoOnMount": true, "storageCapacity": true,
                     "tokenRequests": [{"audience": "vault"}, {"audience": "gcp", "expirationSeconds": 3600}],
                     "requiresRepublish": true, "volumeLifecycleModes": ["Persistent", "Ephemeral"]}
        });
        assert_eq!(
            row_cells(G, "CSIDriver", &d, NOW),
            vec![
                json!("csi.example.com"),
                json!(false),
                json!(true),
                json!(true),
                json!("vault,gcp"),
                json!(true),
                json!("Persistent,Ephemeral"),
                json!("60m")
            ]
        );
        let bare = row_cells(G, "CSIDriver", &json!({"metadata": {"name": "b"}}), NOW);
        assert_eq!(
            bare[1..7],
            [
                json!(true),
                json!(false),
                json!(false),
                json!("<unset>"),
                json!(false),
                json!("Persistent")
            ]
        );
    }

    #[test]
    fn csi_node_and_capacity() {
        let n = json!({"metadata": {"name": "node-1", "creationTimestamp": "2024-05-01T09:59:00Z"},
                       "spec": {"drivers": [{"name": "a", "nodeID": "n"}, {"name": "b", "nodeID": "n"}]}});
        assert_eq!(
            row_cells(G, "CSINode", &n, NOW),
            vec![json!("node-1"), json!(2), json!("60s")]
        );
        let c = json!({"metadata": {"name": "csisc-x"}, "storageClassName": "fast",
                       "capacity": "2048Mi"});
        assert_eq!(
            row_cells(G, "CSIStorageCapacity", &c, NOW),
            vec![json!("csisc-x"), json!("fast"), json!("2Gi")]
        );
        assert_eq!(
            row_cells(G, "CSIStorageCapacity", &json!({}), NOW)[2],
            json!("<unset>")
        );
    }

    #[test]
    fn volume_attachment() {
        let va = json!({
            "metadata": {"name": "csi-123", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "spec": {"attacher": "csi.example.com", "nodeName": "node-1",
                     "source": {"persistentVolumeName": "pv-1"}},
            "status": {"attached": true}
        });
        assert_eq!(
            row_cells(G, "VolumeAttachment", &va, NOW),
            vec![
                json!("csi-123"),
                json!("csi.example.com"),
                json!("pv-1"),
                json!("node-1"),
                json!(true),
                json!("60m")
            ]
        );
        let formats: Vec<&str> = columns(G, "VolumeAttachment").iter().map(|c| c.format).collect();
        assert_eq!(formats, ["name", "name", "", "", "", ""]);
    }
}
