//! storage.k8s.io/v1: StorageClass, CSIDriver, CSINode, CSIStorageCapacity
//! and VolumeAttachment.

use super::super::field_error::{go_label_selector, go_quote, FieldError};
use super::super::metadata::{validate_label_selector, IS_NEGATIVE};
use super::super::names::{dns1123_subdomain_errors, qualified_name_errors};
use super::super::quantity::Quantity;
use super::super::value::{arr_of, default_field, get, map_of, opt_str, str_of, Path};
use super::common::{child, go_typed_slice, invalid_each, is_set, same, subdomain};
use serde_json::{json, Map, Value};

const MAX_PARAMETERS: usize = 512;
const MAX_PARAMETERS_SIZE: usize = 256 * 1024;
const MAX_NODE_ID_LEN: usize = 192;
const MAX_LONG_NODE_ID_LEN: usize = 256;

// ---------------------------------------------------------------- StorageClass

/// StorageClass rules: provisioner, parameters size, reclaim and binding modes.
pub(super) fn validate_storage_class(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let provisioner = str_of(obj, "provisioner");
    let pp = Path::new("provisioner");
    if provisioner.is_empty() {
        errs.push(FieldError::required(pp.as_str(), ""));
    } else {
        let lower = provisioner.to_lowercase();
        errs.extend(invalid_each(&pp, &lower, qualified_name_errors(&lower)));
    }
    errs.extend(validate_parameters(map_of(obj, "parameters")));
    if let Some(rp) = opt_str(obj, "reclaimPolicy").filter(|s| !s.is_empty()) {
        if rp != "Delete" && rp != "Retain" {
            errs.push(FieldError::not_supported(
                "reclaimPolicy",
                rp,
                &["Delete", "Retain"],
            ));
        }
    }
    match opt_str(obj, "volumeBindingMode") {
        None => errs.push(FieldError::required("volumeBindingMode", "")),
        Some(m) if m == "Immediate" || m == "WaitForFirstConsumer" => {}
        Some(m) => errs.push(FieldError::not_supported(
            "volumeBindingMode",
            m,
            &["Immediate", "WaitForFirstConsumer"],
        )),
    }
    errs
}

fn validate_parameters(params: Option<&Map<String, Value>>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(params) = params else {
        return errs;
    };
    if params.len() > MAX_PARAMETERS {
        errs.push(FieldError::too_long("parameters", MAX_PARAMETERS));
        return errs;
    }
    let mut total = 0usize;
    for (k, v) in params {
        if k.is_empty() {
            errs.push(FieldError::invalid(
                "parameters",
                k.as_str(),
                "field can not be empty.",
            ));
        }
        total = total
            .saturating_add(k.len())
            .saturating_add(v.as_str().map_or(0, str::len));
    }
    if total > MAX_PARAMETERS_SIZE {
        errs.push(FieldError::too_long("parameters", MAX_PARAMETERS_SIZE));
    }
    errs
}

/// StorageClass update: parameters, provisioner, reclaimPolicy and
/// volumeBindingMode cannot change.
pub(super) fn validate_storage_class_update(
    new: &Value,
    old: &Value,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let params = |o: &Value| map_of(o, "parameters").filter(|m| !m.is_empty()).cloned();
    if params(new) != params(old) {
        errs.push(FieldError::forbidden(
            "parameters",
            "updates to parameters are forbidden.",
        ));
    }
    if str_of(new, "provisioner") != str_of(old, "provisioner") {
        errs.push(FieldError::forbidden(
            "provisioner",
            "updates to provisioner are forbidden.",
        ));
    }
    if str_of(new, "reclaimPolicy") != str_of(old, "reclaimPolicy") {
        errs.push(FieldError::forbidden(
            "reclaimPolicy",
            "updates to reclaimPolicy are forbidden.",
        ));
    }
    if !same(get(new, "volumeBindingMode"), get(old, "volumeBindingMode")) {
        let v = opt_str(new, "volumeBindingMode").map_or_else(|| json!("null"), |s| json!(s));
        errs.push(FieldError::invalid("volumeBindingMode", v, "field is immutable"));
    }
    errs
}

/// StorageClass defaults: Delete reclaim policy, Immediate binding.
pub(super) fn default_storage_class(obj: &mut Value) {
    default_field(obj, "reclaimPolicy", json!("Delete"));
    default_field(obj, "volumeBindingMode", json!("Immediate"));
}

// ---------------------------------------------------------------- CSIDriver

/// `ValidateCSIDriverName` of core validation (driver names in specs).
fn csi_driver_name(p: &Path, name: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if name.is_empty() {
        errs.push(FieldError::required(p.as_str(), ""));
    }
    if name.len() > 63 {
        errs.push(FieldError::too_long(p.as_str(), 63));
    }
    errs.extend(invalid_each(
        p,
        name,
        dns1123_subdomain_errors(&name.to_lowercase()),
    ));
    errs
}

/// CSIDriver rules: the defaulted booleans must be present, enums valid.
pub(super) fn validate_csi_driver(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    for (key, path) in [
        ("attachRequired", "attachedRequired"),
        ("podInfoOnMount", "podInfoOnMount"),
        ("storageCapacity", "storageCapacity"),
    ] {
        if !is_set(spec, key) {
            errs.push(FieldError::required(sp.child(path).as_str(), ""));
        }
    }
    if let Some(p) = opt_str(spec, "fsGroupPolicy") {
        let ok = ["File", "None", "ReadWriteOnceWithFSType"];
        if !ok.contains(&p) {
            errs.push(FieldError::not_supported(
                sp.child("fsGroupPolicy").as_str(),
                p,
                &ok,
            ));
        }
    }
    let mut audiences: Vec<&str> = Vec::new();
    for (i, tr) in arr_of(spec, "tokenRequests").iter().enumerate() {
        let tp = sp.child("tokenRequests").index(i);
        let audience = str_of(tr, "audience");
        if audiences.contains(&audience) {
            errs.push(FieldError::duplicate(tp.child("audience").as_str(), audience));
            continue;
        }
        audiences.push(audience);
        if let Some(secs) = get(tr, "expirationSeconds").and_then(Value::as_i64) {
            let ep = tp.child("expirationSeconds");
            if secs < 600 {
                errs.push(FieldError::invalid(
                    ep.as_str(),
                    secs,
                    "may not specify a duration less than 10 minutes",
                ));
            }
            if secs > 1 << 32 {
                errs.push(FieldError::invalid(
                    ep.as_str(),
                    secs,
                    "may not specify a duration larger than 2^32 seconds",
                ));
            }
        }
    }
    for mode in arr_of(spec, "volumeLifecycleModes") {
        let m = mode.as_str().unwrap_or("");
        if m != "Persistent" && m != "Ephemeral" {
            errs.push(FieldError::not_supported(
                sp.child("volumeLifecycleModes").as_str(),
                m,
                &["Persistent", "Ephemeral"],
            ));
        }
    }
    if !is_set(spec, "seLinuxMount") {
        errs.push(FieldError::required(sp.child("seLinuxMount").as_str(), ""));
    }
    errs
}

/// CSIDriver update: attachRequired and volumeLifecycleModes are immutable.
pub(super) fn validate_csi_driver_update(new: &Value, old: &Value, errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut errs = validate_csi_driver(new, errs);
    let (n, o) = (child(new, "spec"), child(old, "spec"));
    if !same(get(n, "attachRequired"), get(o, "attachRequired")) {
        let v = get(n, "attachRequired")
            .and_then(Value::as_bool)
            .map_or_else(|| json!("null"), Value::from);
        errs.push(FieldError::invalid(
            "spec.attachedRequired",
            v,
            "field is immutable",
        ));
    }
    if arr_of(n, "volumeLifecycleModes") != arr_of(o, "volumeLifecycleModes") {
        errs.push(FieldError::invalid_rendered(
            "spec.volumeLifecycleModes",
            go_typed_slice("storage.VolumeLifecycleMode", get(n, "volumeLifecycleModes")),
            "field is immutable",
        ));
    }
    errs
}

/// CSIDriver defaults (v1, with SELinuxMountReadWriteOncePod enabled).
pub(super) fn default_csi_driver(obj: &mut Value) {
    let Some(spec) = super::super::value::ensure_obj(obj, "spec") else {
        return;
    };
    default_field(spec, "attachRequired", json!(true));
    default_field(spec, "podInfoOnMount", json!(false));
    default_field(spec, "storageCapacity", json!(false));
    default_field(spec, "fsGroupPolicy", json!("ReadWriteOnceWithFSType"));
    if arr_of(spec, "volumeLifecycleModes").is_empty() {
        if let Some(m) = spec.as_object_mut() {
            m.insert("volumeLifecycleModes".to_string(), json!(["Persistent"]));
        }
    }
    default_field(spec, "requiresRepublish", json!(false));
    default_field(spec, "seLinuxMount", json!(false));
}

// ---------------------------------------------------------------- CSINode

/// CSINode rules; on update, existing drivers may not change and node IDs
/// longer than 192 characters stay allowed when `old` already had one.
pub(super) fn validate_csi_node(
    obj: &Value,
    old: Option<&Value>,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let long_ids = old.is_some_and(|o| {
        arr_of(child(o, "spec"), "drivers")
            .iter()
            .any(|d| str_of(d, "nodeID").len() > MAX_NODE_ID_LEN)
    });
    let max = if long_ids {
        MAX_LONG_NODE_ID_LEN
    } else {
        MAX_NODE_ID_LEN
    };
    let dp = Path::new("spec").child("drivers");
    let mut seen: Vec<&str> = Vec::new();
    let drivers = arr_of(child(obj, "spec"), "drivers");
    for (i, d) in drivers.iter().enumerate() {
        let p = dp.index(i);
        let name = str_of(d, "name");
        errs.extend(csi_driver_name(&p.child("name"), name));
        let id = str_of(d, "nodeID");
        if id.is_empty() {
            errs.push(FieldError::required(p.child("nodeID").as_str(), ""));
        }
        if id.len() > max {
            errs.push(FieldError::invalid(
                p.child("nodeID").as_str(),
                id,
                &format!("must be {max} characters or less"),
            ));
        }
        if let Some(c) = get(d, "allocatable")
            .and_then(|a| get(a, "count"))
            .and_then(Value::as_i64)
        {
            if c < 0 {
                errs.push(FieldError::invalid(
                    p.child("allocatable").child("count").as_str(),
                    c,
                    IS_NEGATIVE,
                ));
            }
        }
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name").as_str(), name));
        }
        seen.push(name);
        let mut keys: Vec<&str> = Vec::new();
        for key in arr_of(d, "topologyKeys") {
            let key = key.as_str().unwrap_or("");
            if key.is_empty() {
                errs.push(FieldError::required(p.as_str(), ""));
            }
            if keys.contains(&key) {
                errs.push(FieldError::duplicate(p.as_str(), key));
            }
            keys.push(key);
            errs.extend(invalid_each(&p, key, qualified_name_errors(key)));
        }
    }
    if let Some(old) = old {
        for od in arr_of(child(old, "spec"), "drivers") {
            for nd in drivers {
                if str_of(od, "name") == str_of(nd, "name") && od != nd {
                    errs.push(FieldError::invalid_rendered(
                        dp.as_str(),
                        go_csi_node_driver(nd),
                        "field is immutable",
                    ));
                }
            }
        }
    }
    errs
}

fn go_csi_node_driver(d: &Value) -> String {
    let alloc = match get(d, "allocatable").filter(|a| a.is_object()) {
        Some(a) => match get(a, "count").and_then(Value::as_i64) {
            Some(c) => format!("&storage.VolumeNodeResources{{Count:(*int32)({c})}}"),
            None => "&storage.VolumeNodeResources{Count:(*int32)(nil)}".to_string(),
        },
        None => "(*storage.VolumeNodeResources)(nil)".to_string(),
    };
    format!(
        "storage.CSINodeDriver{{Name:{}, NodeID:{}, TopologyKeys:{}, Allocatable:{}}}",
        go_quote(str_of(d, "name")),
        go_quote(str_of(d, "nodeID")),
        super::super::field_error::go_string_slice(get(d, "topologyKeys")),
        alloc
    )
}

// ---------------------------------------------------------------- CSIStorageCapacity

/// CSIStorageCapacity rules: selector, class name and a non-negative capacity.
pub(super) fn validate_csi_storage_capacity(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    errs.extend(validate_label_selector(
        get(obj, "nodeTopology"),
        &Path::new("nodeTopology"),
    ));
    errs.extend(subdomain(
        &Path::new("storageClassName"),
        str_of(obj, "storageClassName"),
    ));
    if let Some(c) = opt_str(obj, "capacity") {
        if Quantity::parse(c).is_ok_and(|q| q.is_negative()) {
            errs.push(FieldError::invalid("capacity", c, IS_NEGATIVE));
        }
    }
    errs
}

/// CSIStorageCapacity update: nodeTopology and storageClassName are immutable.
pub(super) fn validate_csi_storage_capacity_update(
    new: &Value,
    old: &Value,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    if !super::super::value::semantic_eq(get(new, "nodeTopology"), get(old, "nodeTopology")) {
        let rendered = match get(new, "nodeTopology").filter(|v| v.is_object()) {
            Some(v) => format!("&{}", go_label_selector(Some(v))),
            None => "\"null\"".to_string(),
        };
        errs.push(FieldError::invalid_rendered(
            "nodeTopology",
            rendered,
            "field is immutable",
        ));
    }
    let name = str_of(new, "storageClassName");
    if name != str_of(old, "storageClassName") {
        errs.push(FieldError::invalid(
            "storageClassName",
            name,
            "field is immutable",
        ));
    }
    errs
}

// ---------------------------------------------------------------- VolumeAttachment

/// VolumeAttachment rules (including the extra v1 checks).
pub(super) fn validate_volume_attachment(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    let attacher = str_of(spec, "attacher");
    if attacher.is_empty() {
        errs.push(FieldError::required(sp.child("attacher").as_str(), ""));
    }
    let source = child(spec, "source");
    let srcp = sp.child("source");
    const ONE_OF: &str = "must specify exactly one of inlineVolumeSpec and persistentVolumeName";
    match (
        is_set(source, "inlineVolumeSpec"),
        opt_str(source, "persistentVolumeName"),
    ) {
        (false, None) => errs.push(FieldError::required(srcp.as_str(), ONE_OF)),
        (true, Some(_)) => errs.push(FieldError::forbidden(srcp.as_str(), ONE_OF)),
        (false, Some("")) => errs.push(FieldError::required(
            srcp.child("persistentVolumeName").as_str(),
            "must specify non empty persistentVolumeName",
        )),
        _ => {}
    }
    errs.extend(subdomain(&sp.child("nodeName"), str_of(spec, "nodeName")));
    let status = child(obj, "status");
    if let Some(md) = map_of(status, "attachmentMetadata") {
        let size = md.iter().fold(0usize, |n, (k, v)| {
            n.saturating_add(k.len())
                .saturating_add(v.as_str().map_or(0, str::len))
        });
        if size > MAX_PARAMETERS_SIZE {
            errs.push(FieldError::too_long(
                "status.attachmentMetadata",
                MAX_PARAMETERS_SIZE,
            ));
        }
    }
    for key in ["attachError", "detachError"] {
        let e = child(status, key);
        let p = Path::new("status").child(key);
        if str_of(e, "message").len() > 1024 {
            errs.push(FieldError::too_long(
                p.child("message").as_str(),
                MAX_PARAMETERS_SIZE,
            ));
        }
        if let Some(code) = get(e, "errorCode").and_then(Value::as_i64).filter(|c| *c < 0) {
            errs.push(FieldError::invalid(
                p.child("errorCode").as_str(),
                code,
                "must be between 0 and 2147483647, inclusive",
            ));
        }
    }
    // The v1 API additionally checks the attacher and volume names.
    errs.extend(csi_driver_name(&Path::new("spec.attacher"), attacher));
    if let Some(pv) = opt_str(source, "persistentVolumeName") {
        errs.extend(subdomain(&Path::new("spec.source.persistentVolumeName"), pv));
    }
    errs
}

/// VolumeAttachment update: the whole spec is read-only.
pub(super) fn validate_volume_attachment_update(
    new: &Value,
    old: &Value,
    errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let mut errs = validate_volume_attachment(new, errs);
    if !super::super::value::semantic_eq(get(new, "spec"), get(old, "spec")) {
        let spec = child(new, "spec");
        let source = child(spec, "source");
        let pv = match opt_str(source, "persistentVolumeName") {
            Some(s) => format!("(*string)({})", go_quote(s)),
            None => "(*string)(nil)".to_string(),
        };
        errs.push(FieldError::invalid_rendered(
            "spec",
            format!(
                "storage.VolumeAttachmentSpec{{Attacher:{}, Source:storage.VolumeAttachmentSource{{PersistentVolumeName:{}, InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}}, NodeName:{}}}",
                go_quote(str_of(spec, "attacher")),
                pv,
                go_quote(str_of(spec, "nodeName"))
            ),
            "field is immutable",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create, validate_update};
    use serde_json::{json, Value};

    const G: &str = "storage.k8s.io";

    fn msgs(kind: &str, obj: &Value) -> Vec<String> {
        validate_create(G, kind, obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    #[test]
    fn storage_class() {
        let mut sc = json!({"metadata": {"name": "fast"}, "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}});
        default_object(G, "StorageClass", &mut sc);
        assert_eq!(sc["reclaimPolicy"], "Delete");
        assert_eq!(sc["volumeBindingMode"], "Immediate");
        assert!(msgs("StorageClass", &sc).is_empty());
        let bad =
            json!({"metadata": {"name": "s"}, "reclaimPolicy": "Recycle", "volumeBindingMode": "Later"});
        assert_eq!(
            msgs("StorageClass", &bad),
            vec![
                "provisioner: Required value",
                "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"",
                "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"",
            ]
        );
        let mut new = sc.clone();
        new["parameters"]["type"] = json!("io2");
        new["reclaimPolicy"] = json!("Retain");
        let errs: Vec<String> = validate_update(G, "StorageClass", &new, &sc)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(
            errs,
            vec![
                "parameters: Forbidden: updates to parameters are forbidden.",
                "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
            ]
        );
    }

    #[test]
    fn csi_driver_and_node() {
        let mut d = json!({"metadata": {"name": "ebs.csi.aws.com"}, "spec": {}});
        default_object(G, "CSIDriver", &mut d);
        assert_eq!(d["spec"]["volumeLifecycleModes"], json!(["Persistent"]));
        assert!(msgs("CSIDriver", &d).is_empty());
        let bad = json!({"metadata": {"name": "d"}, "spec": {"attachRequired": true, "podInfoOnMount": false,
            "storageCapacity": false, "seLinuxMount": false, "fsGroupPolicy": "Any", "volumeLifecycleModes": ["Forever"]}});
        assert_eq!(
            msgs("CSIDriver", &bad),
            vec![
                "spec.fsGroupPolicy: Unsupported value: \"Any\": supported values: \"File\", \"None\", \"ReadWriteOnceWithFSType\"",
                "spec.volumeLifecycleModes: Unsupported value: \"Forever\": supported values: \"Persistent\", \"Ephemeral\"",
            ]
        );
        let mut changed = d.clone();
        changed["spec"]["attachRequired"] = json!(false);
        assert_eq!(
            validate_update(G, "CSIDriver", &changed, &d)[0].message(),
            "spec.attachedRequired: Invalid value: false: field is immutable"
        );
        let node = json!({"metadata": {"name": "node-1"}, "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "i-1", "topologyKeys": ["topology.ebs.csi.aws.com/zone"]}]}});
        assert!(msgs("CSINode", &node).is_empty());
        let bad = json!({"metadata": {"name": "node-1"}, "spec": {"drivers": [{"name": "d.io", "nodeID": ""}, {"name": "d.io", "nodeID": "x"}]}});
        assert_eq!(
            msgs("CSINode", &bad),
            vec![
                "spec.drivers[0].nodeID: Required value",
                "spec.drivers[1].name: Duplicate value: \"d.io\"",
            ]
        );
    }

    #[test]
    fn capacity_and_attachment() {
        let cap = json!({"metadata": {"name": "c", "namespace": "n"}, "storageClassName": "fast", "capacity": "10Gi"});
        assert!(msgs("CSIStorageCapacity", &cap).is_empty());
        let neg = json!({"metadata": {"name": "c", "namespace": "n"}, "storageClassName": "fast", "capacity": "-1"});
        assert_eq!(
            msgs("CSIStorageCapacity", &neg),
            vec!["capacity: Invalid value: \"-1\": must be greater than or equal to 0"]
        );
        let mut moved = cap.clone();
        moved["storageClassName"] = json!("slow");
        assert_eq!(
            validate_update(G, "CSIStorageCapacity", &moved, &cap)[0].message(),
            "storageClassName: Invalid value: \"slow\": field is immutable"
        );
        let va = json!({"metadata": {"name": "va"}, "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "node-1", "source": {"persistentVolumeName": "pv-1"}}});
        assert!(msgs("VolumeAttachment", &va).is_empty());
        let bad =
            json!({"metadata": {"name": "va"}, "spec": {"attacher": "a.io", "nodeName": "n", "source": {}}});
        assert_eq!(
            msgs("VolumeAttachment", &bad),
            vec!["spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName"]
        );
        let mut other = va.clone();
        other["spec"]["nodeName"] = json!("node-2");
        let errs = validate_update(G, "VolumeAttachment", &other, &va);
        assert_eq!(errs.len(), 1);
        assert!(errs[0]
            .message()
            .starts_with("spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:\"ebs.csi.aws.com\""));
    }
}
