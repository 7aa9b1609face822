//! Printers for core/v1 PersistentVolume and PersistentVolumeClaim.

use serde_json::Value;

use super::fields::{at, items, name, opt_str_at, present, str_at};
use super::quantity;
use super::{age, col, wide, Column, AGE, NAME};

/// The storage class annotation that predates `storageClassName` and still
/// wins over it.
const BETA_STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// Columns of `kubectl get persistentvolumes`.
pub(super) const PERSISTENT_VOLUME_COLUMNS: &[Column] = &[
    NAME,
    col("Capacity", "string", "The storage capacity of the volume."),
    col("Access Modes", "string", "The ways the volume can be mounted."),
    col(
        "Reclaim Policy",
        "string",
        "What happens to the volume when it is released from its claim.",
    ),
    col("Status", "string", "The phase of the volume."),
    col("Claim", "string", "The claim bound to the volume."),
    col("StorageClass", "string", "StorageClass of the pv"),
    col(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pv",
    ),
    col(
        "Reason",
        "string",
        "A brief, machine-readable reason for the volume's phase.",
    ),
    AGE,
    wide(col(
        "VolumeMode",
        "string",
        "Whether the volume is used as a filesystem or a raw block device.",
    )),
];

/// NAME, CAPACITY, ACCESS MODES, RECLAIM POLICY, STATUS, CLAIM, STORAGECLASS,
/// VOLUMEATTRIBUTESCLASS, REASON, AGE | VOLUMEMODE.
pub(super) fn persistent_volume_cells(pv: &Value, now: i64) -> Vec<Value> {
    let claim = match at(pv, &["spec", "claimRef"]) {
        Some(r) if r.is_object() => {
            format!("{}/{}", str_at(r, &["namespace"]), str_at(r, &["name"]))
        }
        _ => String::new(),
    };
    // v1 defaulting: Retain, Pending, Filesystem.
    let reclaim = non_empty_or(str_at(pv, &["spec", "persistentVolumeReclaimPolicy"]), "Retain");
    let class = match annotation(pv) {
        Some(class) => class,
        None => str_at(pv, &["spec", "storageClassName"]),
    };
    vec![
        name(pv),
        Value::from(quantity::or_zero(at(pv, &["spec", "capacity", "storage"]))),
        Value::from(access_modes(items(pv, &["spec", "accessModes"]))),
        Value::from(reclaim),
        Value::from(phase(pv)),
        Value::from(claim),
        Value::from(class),
        Value::from(attributes_class(pv)),
        Value::from(str_at(pv, &["status", "reason"])),
        age(pv, now),
        Value::from(volume_mode(pv)),
    ]
}

/// Columns of `kubectl get persistentvolumeclaims`.
pub(super) const PERSISTENT_VOLUME_CLAIM_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "The phase of the claim."),
    col("Volume", "string", "The volume bound to the claim."),
    col("Capacity", "string", "The storage capacity of the bound volume."),
    col(
        "Access Modes",
        "string",
        "The ways the bound volume can be mounted.",
    ),
    col("StorageClass", "string", "StorageClass of the pvc"),
    col(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pvc",
    ),
    AGE,
    wide(col(
        "VolumeMode",
        "string",
        "Whether the claim wants a filesystem or a raw block device.",
    )),
];

/// NAME, STATUS, VOLUME, CAPACITY, ACCESS MODES, STORAGECLASS,
/// VOLUMEATTRIBUTESCLASS, AGE | VOLUMEMODE. Capacity and access modes come
/// from the status and only once the claim names a volume.
pub(super) fn persistent_volume_claim_cells(pvc: &Value, now: i64) -> Vec<Value> {
    let volume = str_at(pvc, &["spec", "volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity::or_zero(at(pvc, &["status", "capacity", "storage"])),
            access_modes(items(pvc, &["status", "accessModes"])),
        )
    };
    let class = match annotation(pvc) {
        Some(class) => class,
        None => str_at(pvc, &["spec", "storageClassName"]),
    };
    vec![
        name(pvc),
        Value::from(phase(pvc)),
        Value::from(volume),
        Value::from(capacity),
        Value::from(modes),
        Value::from(class),
        Value::from(attributes_class(pvc)),
        age(pvc, now),
        Value::from(volume_mode(pvc)),
    ]
}

/// The phase, "Terminating" once deletion started; both kinds default to
/// Pending.
fn phase(obj: &Value) -> &str {
    if present(obj, &["metadata", "deletionTimestamp"]) {
        return "Terminating";
    }
    non_empty_or(str_at(obj, &["status", "phase"]), "Pending")
}

/// The beta storage class annotation, if the object carries it (even empty).
fn annotation(obj: &Value) -> Option<&str> {
    opt_str_at(obj, &["metadata", "annotations", BETA_STORAGE_CLASS_ANNOTATION])
}

fn attributes_class(obj: &Value) -> &str {
    opt_str_at(obj, &["spec", "volumeAttributesClassName"]).unwrap_or("<unset>")
}

/// The volume mode, which defaults to Filesystem for both kinds.
fn volume_mode(obj: &Value) -> &str {
    non_empty_or(str_at(obj, &["spec", "volumeMode"]), "Filesystem")
}

/// "RWO,ROX,RWX,RWOP": the modes present, always in that order.
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    let mut out = Vec::new();
    for (mode, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if has(mode) {
            out.push(short);
        }
    }
    out.join(",")
}

fn non_empty_or<'a>(s: &'a str, fallback: &'a str) -> &'a str {
    if s.is_empty() {
        fallback
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    #[test]
    fn persistent_volume() {
        let pv = json!({
            "metadata": {"name": "pv-1", "creationTimestamp": "2024-04-30T10:00:00Z"},
            "spec": {"capacity": {"storage": "10Gi"},
                     "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Delete",
                     "claimRef": {"namespace": "default", "name": "data"},
                     "storageClassName": "standard", "volumeMode": "Block"},
            "status": {"phase": "Bound"}
        });
        assert_eq!(
            row_cells("", "PersistentVolume", &pv, NOW),
            vec![
                json!("pv-1"),
                json!("10Gi"),
                json!("RWO,RWX"),
                json!("Delete"),
                json!("Bound"),
                json!("default/data"),
                json!("standard"),
                json!("<unset>"),
                json!(""),
                json!("24h"),
                json!("Block")
            ]
        );
    }

    #[test]
    fn persistent_volume_defaults_and_overrides() {
        let pv = json!({
            "metadata": {"name": "old", "deletionTimestamp": "2024-05-01T09:00:00Z",
                         "annotations": {"volume.beta.kubernetes.io/storage-class": "slow"}},
            "spec": {"capacity": {"storage": "1024Mi"}, "storageClassName": "fast",
                     "volumeAttributesClassName": "gold"},
            "status": {"phase": "Released", "reason": "Gone"}
        });
        let row = row_cells("", "PersistentVolume", &pv, NOW);
        assert_eq!(
            row[1..9],
            [
                json!("1Gi"),
                json!(""),
                json!("Retain"),
                json!("Terminating"),
                json!(""),
                json!("slow"),
                json!("gold"),
                json!("Gone")
            ]
        );
        let bare = row_cells("", "PersistentVolume", &json!({}), NOW);
        assert_eq!(
            (bare[1].clone(), bare[4].clone(), bare[10].clone()),
            (json!("0"), json!("Pending"), json!("Filesystem"))
        );
    }

    #[test]
    fn persistent_volume_claim() {
        let pvc = json!({
            "metadata": {"name": "data", "creationTimestamp": "2024-05-01T09:58:00Z"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": "standard", "volumeName": "pvc-123", "volumeMode": "Filesystem"},
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOncePod", "ReadWriteOnce"],
                       "capacity": {"storage": "2Gi"}}
        });
        assert_eq!(
            row_cells("", "PersistentVolumeClaim", &pvc, NOW),
            vec![
                json!("data"),
                json!("Bound"),
                json!("pvc-123"),
                json!("2Gi"),
                json!("RWO,RWOP"),
                json!("standard"),
                json!("<unset>"),
                json!("2m"),
                json!("Filesystem")
            ]
        );
        // Unbound: the request is not shown as capacity.
        let pending = json!({"metadata": {"name": "p"},
                             "spec": {"resources": {"requests": {"storage": "1Gi"}}}});
        assert_eq!(
            row_cells("", "PersistentVolumeClaim", &pending, NOW)[1..6],
            [json!("Pending"), json!(""), json!(""), json!(""), json!("")]
        );
    }
}
