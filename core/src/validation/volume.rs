//! core/v1 PersistentVolume and PersistentVolumeClaim, including the claim
//! update rules (a claim's spec is frozen once created, except for growing
//! the storage request of a bound claim and binding its volume once).

use super::apps::spec_of;
use super::field_error::{go_quote, FieldError};
use super::metadata::{validate_label_selector, FIELD_IMMUTABLE};
use super::names::dns1123_subdomain_errors;
use super::pod::{parse_quantity, struct_diff};
use super::quantity::Quantity;
use super::value::{get, get_path, has, map_of, opt_str, semantic_eq, str_of, Path};
use serde_json::{Map, Value};
use std::cmp::Ordering;

const ACCESS_MODES: [&str; 4] = [
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
const RECLAIM_POLICIES: [&str; 3] = ["Delete", "Recycle", "Retain"];
const VOLUME_MODES: [&str; 2] = ["Block", "Filesystem"];
const HOST_PATH_TYPES: [&str; 8] = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
];
const NOT_POSITIVE: &str = "must be greater than zero";
const BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";

/// PersistentVolume sources in the order Kubernetes checks them, with the
/// path segment it reports for a second source (`cephFS` is Kubernetes' own
/// spelling there). `flexVolume` is counted but never reported.
const PV_SOURCES: [(&str, &str); 22] = [
    ("hostPath", "hostPath"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("nfs", "nfs"),
    ("rbd", "rbd"),
    ("quobyte", "quobyte"),
    ("cephfs", "cephFS"),
    ("iscsi", "iscsi"),
    ("cinder", "cinder"),
    ("fc", "fc"),
    ("flexVolume", ""),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("scaleIO", "scaleIO"),
    ("local", "local"),
    ("storageos", "storageos"),
    ("csi", "csi"),
];

fn subdomain(path: &Path, v: &str, errs: &mut Vec<FieldError>) {
    for m in dns1123_subdomain_errors(v) {
        errs.push(FieldError::invalid(path.as_str(), v, &m));
    }
}

/// Access modes: required, each supported, and ReadWriteOncePod alone.
fn validate_access_modes(spec: &Value, sp: &Path, required_detail: &str, errs: &mut Vec<FieldError>) {
    let path = sp.child("accessModes");
    let modes: Vec<&str> = super::value::arr_of(spec, "accessModes")
        .iter()
        .map(|m| m.as_str().unwrap_or(""))
        .collect();
    if modes.is_empty() {
        errs.push(FieldError::required(path.as_str(), required_detail));
    }
    let (mut rwop, mut other) = (false, false);
    for m in &modes {
        if !ACCESS_MODES.contains(m) {
            errs.push(FieldError::not_supported(path.as_str(), *m, &ACCESS_MODES));
        } else if *m == "ReadWriteOncePod" {
            rwop = true;
        } else {
            other = true;
        }
    }
    if rwop && other {
        errs.push(FieldError::forbidden(
            path.as_str(),
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
}

/// `ValidatePositiveQuantityValue`.
fn positive_quantity(path: &Path, v: &Value, errs: &mut Vec<FieldError>) {
    match parse_quantity(v) {
        Some(q) if q.value() > 0.0 => {}
        Some(q) => errs.push(FieldError::invalid(path.as_str(), q.text(), NOT_POSITIVE)),
        None => errs.push(FieldError::invalid(
            path.as_str(),
            v.as_str().unwrap_or(""),
            super::quantity::QUANTITY_FORMAT_ERROR,
        )),
    }
}

fn no_backsteps(path: &Path, p: &str, errs: &mut Vec<FieldError>) {
    if p.split('/').any(|seg| seg == "..") {
        errs.push(FieldError::invalid(path.as_str(), p, "must not contain '..'"));
    }
}

fn required(src: &Value, key: &str, path: &Path, errs: &mut Vec<FieldError>) -> bool {
    if str_of(src, key).is_empty() {
        errs.push(FieldError::required(path.child(key).as_str(), ""));
        false
    } else {
        true
    }
}

fn validate_host_path(src: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    if !required(src, "path", path, errs) {
        return;
    }
    no_backsteps(&path.child("path"), str_of(src, "path"), errs);
    if let Some(t) = opt_str(src, "type") {
        if !HOST_PATH_TYPES.contains(&t) {
            errs.push(FieldError::not_supported(
                path.child("type").as_str(),
                t,
                &HOST_PATH_TYPES,
            ));
        }
    }
}

fn validate_local_path(src: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    if required(src, "path", path, errs) {
        no_backsteps(&path.child("path"), str_of(src, "path"), errs);
    }
}

/// Checks of the sources Gatehouse knows in detail; the others only count.
fn validate_pv_source(key: &str, src: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    match key {
        "hostPath" => validate_host_path(src, path, errs),
        "nfs" => {
            required(src, "server", path, errs);
            required(src, "path", path, errs);
            if !str_of(src, "path").starts_with('/') {
                errs.push(FieldError::invalid(
                    path.child("path").as_str(),
                    str_of(src, "path"),
                    "must be an absolute path",
                ));
            }
        }
        "local" => validate_local_path(src, path, errs),
        "csi" => {
            let driver = str_of(src, "driver");
            let dp = path.child("driver");
            if driver.is_empty() {
                errs.push(FieldError::required(dp.as_str(), ""));
            }
            if driver.len() > 63 {
                errs.push(FieldError::too_long(dp.as_str(), 63));
            }
            for m in dns1123_subdomain_errors(&driver.to_lowercase()) {
                errs.push(FieldError::invalid(dp.as_str(), driver, &m));
            }
            required(src, "volumeHandle", path, errs);
        }
        _ => {}
    }
}

fn validate_pv_spec(spec: &Value, errs: &mut Vec<FieldError>) {
    let sp = Path::new("spec");
    validate_access_modes(spec, &sp, "", errs);

    let cap_path = sp.child("capacity");
    let capacity = map_of(spec, "capacity").filter(|c| !c.is_empty());
    match capacity {
        None => errs.push(FieldError::required(cap_path.as_str(), "")),
        Some(cap) => {
            if !cap.contains_key("storage") || cap.len() > 1 {
                let mut e = FieldError::not_supported(cap_path.as_str(), Value::Null, &["storage"]);
                e.bad_value = None;
                e.rendered = Some(go_resource_list(cap));
                errs.push(e);
            }
            for (k, v) in cap {
                let kp = cap_path.key(k);
                if let Some(q) = parse_quantity(v) {
                    if q.is_negative() {
                        errs.push(FieldError::invalid(
                            kp.as_str(),
                            q.value().floor() as i64,
                            "must be a valid resource quantity",
                        ));
                    }
                }
                positive_quantity(&kp, v, errs);
            }
        }
    }

    let policy = str_of(spec, "persistentVolumeReclaimPolicy");
    if !policy.is_empty() && !RECLAIM_POLICIES.contains(&policy) {
        errs.push(FieldError::not_supported(
            sp.child("persistentVolumeReclaimPolicy").as_str(),
            policy,
            &RECLAIM_POLICIES,
        ));
    }

    let affinity = get(spec, "nodeAffinity").filter(|a| !a.is_null());
    if let Some(a) = affinity {
        let rp = sp.child("nodeAffinity").child("required");
        match get(a, "required").filter(|r| !r.is_null()) {
            None => errs.push(FieldError::required(
                rp.as_str(),
                "must specify required node constraints",
            )),
            Some(r) if super::value::arr_of(r, "nodeSelectorTerms").is_empty() => {
                errs.push(FieldError::required(
                    rp.child("nodeSelectorTerms").as_str(),
                    "must have at least one node selector term",
                ));
            }
            Some(_) => {}
        }
    }

    let mut count = 0;
    for (key, report) in PV_SOURCES {
        let Some(src) = get(spec, key).filter(|v| !v.is_null()) else {
            continue;
        };
        if count > 0 && !report.is_empty() {
            errs.push(FieldError::forbidden(
                sp.child(report).as_str(),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        count += 1;
        validate_pv_source(key, src, &sp.child(key), errs);
        if key == "local" && affinity.is_none() {
            errs.push(FieldError::required(
                sp.child("nodeAffinity").as_str(),
                "Local volume requires node affinity",
            ));
        }
    }
    if count == 0 {
        errs.push(FieldError::required(sp.as_str(), "must specify a volume type"));
    }

    let host_root = get(spec, "hostPath")
        .map(|h| str_of(h, "path").trim_end_matches('/').is_empty() && str_of(h, "path").starts_with('/'))
        .unwrap_or(false);
    if host_root && policy == "Recycle" {
        errs.push(FieldError::forbidden(
            sp.child("persistentVolumeReclaimPolicy").as_str(),
            "may not be 'recycle' for a hostPath mount of '/'",
        ));
    }
    let class = str_of(spec, "storageClassName");
    if !class.is_empty() {
        subdomain(&sp.child("storageClassName"), class, errs);
    }
    if let Some(mode) = opt_str(spec, "volumeMode") {
        if !VOLUME_MODES.contains(&mode) {
            errs.push(FieldError::not_supported(
                sp.child("volumeMode").as_str(),
                mode,
                &VOLUME_MODES,
            ));
        }
    }
}

/// `%#v`-like rendering of a ResourceList (Kubernetes prints Go structs for
/// the quantities; Gatehouse prints their text).
fn go_resource_list(m: &Map<String, Value>) -> String {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    let inner: Vec<String> = keys
        .iter()
        .map(|k| {
            let v = m.get(*k).map(quantity_text).unwrap_or_default();
            format!("{}:{}", go_quote(k), go_quote(&v))
        })
        .collect();
    format!("core.ResourceList{{{}}}", inner.join(", "))
}

fn quantity_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// PersistentVolume create rules.
pub fn validate_persistent_volume(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_pv_spec(spec_of(obj), &mut errs);
    errs
}

/// The `PersistentVolumeSource` part of a PV spec (the volume-type fields).
fn pv_source(spec: &Value) -> Value {
    let mut out = Map::new();
    for (key, _) in PV_SOURCES {
        if let Some(v) = get(spec, key).filter(|v| !v.is_null()) {
            out.insert(key.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// PersistentVolume update rules: the volume source and mode are frozen, and
/// a set node affinity may not change. A CSI `controllerExpandSecretRef`
/// may be added once.
pub fn validate_persistent_volume_update(new: &Value, old: &Value, errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut errs = validate_persistent_volume(new, errs);
    let (ns, os) = (spec_of(new), spec_of(old));
    let mut new_src = pv_source(ns);
    let old_src = pv_source(os);
    let old_has_ref = get_path(&old_src, &["csi", "controllerExpandSecretRef"]).is_some_and(|v| !v.is_null());
    if has(&old_src, "csi") && !old_has_ref {
        if let Some(csi) = new_src.get_mut("csi").and_then(Value::as_object_mut) {
            csi.remove("controllerExpandSecretRef");
        }
    }
    if !semantic_eq(Some(&new_src), Some(&old_src)) {
        errs.push(FieldError::forbidden(
            "spec.persistentvolumesource",
            &format!(
                "spec.persistentvolumesource is immutable after creation\n{}",
                struct_diff("core.PersistentVolumeSource", &old_src, &new_src)
            ),
        ));
    }
    immutable_mode(ns, os, &mut errs);
    let old_aff = get(os, "nodeAffinity").filter(|v| !v.is_null());
    if old_aff.is_some() && !semantic_eq(get(ns, "nodeAffinity"), old_aff) {
        errs.push(FieldError::invalid_rendered(
            "nodeAffinity",
            get(ns, "nodeAffinity").map_or_else(|| "null".to_string(), Value::to_string),
            FIELD_IMMUTABLE,
        ));
    }
    errs
}

/// `volumeMode` may not change; Kubernetes reports it at the bare path `volumeMode`.
fn immutable_mode(ns: &Value, os: &Value, errs: &mut Vec<FieldError>) {
    let (nm, om) = (opt_str(ns, "volumeMode"), opt_str(os, "volumeMode"));
    if nm != om {
        errs.push(FieldError::invalid(
            "volumeMode",
            nm.unwrap_or("null"),
            FIELD_IMMUTABLE,
        ));
    }
}

// ---------------------------------------------------------------- claims

fn storage_request(spec: &Value) -> Option<&Value> {
    get_path(spec, &["resources", "requests", "storage"])
}

fn validate_pvc_spec(spec: &Value, sp: &Path, errs: &mut Vec<FieldError>) {
    if super::value::arr_of(spec, "accessModes").is_empty() {
        errs.push(FieldError::required(
            sp.child("accessModes").as_str(),
            "at least 1 access mode is required",
        ));
    }
    if let Some(sel) = get(spec, "selector").filter(|s| !s.is_null()) {
        errs.extend(validate_label_selector(Some(sel), &sp.child("selector")));
    }
    // Required-ness was reported above with Kubernetes' own wording.
    let mut mode_errs = Vec::new();
    validate_access_modes(spec, sp, "", &mut mode_errs);
    errs.extend(
        mode_errs
            .into_iter()
            .filter(|e| e.type_ != super::ErrorType::Required),
    );

    // Kubernetes reports the storage request at `spec.resources[storage]`.
    let rp = sp.child("resources").key("storage");
    match storage_request(spec) {
        None => errs.push(FieldError::required(rp.as_str(), "")),
        Some(v) => {
            let mut pe = Vec::new();
            positive_quantity(&rp, v, &mut pe);
            errs.extend(pe);
        }
    }
    if let Some(class) = opt_str(spec, "storageClassName").filter(|c| !c.is_empty()) {
        subdomain(&sp.child("storageClassName"), class, errs);
    }
    if let Some(mode) = opt_str(spec, "volumeMode") {
        if !VOLUME_MODES.contains(&mode) {
            errs.push(FieldError::not_supported(
                sp.child("volumeMode").as_str(),
                mode,
                &VOLUME_MODES,
            ));
        }
    }
    let ds = get(spec, "dataSource").filter(|v| !v.is_null());
    let dsr = get(spec, "dataSourceRef").filter(|v| !v.is_null());
    if let Some(d) = ds {
        validate_data_source(d, &sp.child("dataSource"), errs);
    }
    if let Some(d) = dsr {
        validate_data_source(d, &sp.child("dataSourceRef"), errs);
        if let Some(ns) = opt_str(d, "namespace").filter(|n| !n.is_empty()) {
            for m in super::names::dns1123_label_errors(ns) {
                errs.push(FieldError::invalid(
                    sp.child("dataSourceRef").child("namespace").as_str(),
                    ns,
                    &m,
                ));
            }
        }
    }
    let ref_ns = dsr
        .and_then(|d| opt_str(d, "namespace"))
        .is_some_and(|n| !n.is_empty());
    if ref_ns {
        if ds.is_some() {
            errs.push(FieldError::invalid(
                sp.as_str(),
                sp.child("dataSource").as_str(),
                "may not be specified when dataSourceRef.namespace is specified",
            ));
        }
    } else if let (Some(d), Some(r)) = (ds, dsr) {
        let same = get(d, "apiGroup") == get(r, "apiGroup")
            && str_of(d, "kind") == str_of(r, "kind")
            && str_of(d, "name") == str_of(r, "name");
        if !same {
            errs.push(FieldError::invalid(
                sp.as_str(),
                sp.child("dataSource").as_str(),
                "must match dataSourceRef",
            ));
        }
    }
}

fn validate_data_source(d: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    required(d, "name", path, errs);
    required(d, "kind", path, errs);
    let group = str_of(d, "apiGroup");
    let kind = str_of(d, "kind");
    if group.is_empty() && kind != "PersistentVolumeClaim" {
        errs.push(FieldError::invalid(
            path.as_str(),
            kind,
            "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
        ));
    }
    if !group.is_empty() {
        subdomain(&path.child("apiGroup"), group, errs);
    }
}

/// PersistentVolumeClaim create rules.
pub fn validate_persistent_volume_claim(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_pvc_spec(spec_of(obj), &Path::new("spec"), &mut errs);
    errs
}

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    get_path(obj, &["metadata", "annotations", key]).and_then(Value::as_str)
}

fn cmp_quantities(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let qa = a.and_then(parse_quantity);
    let qb = b.and_then(parse_quantity);
    let zero = Quantity::parse("0").ok();
    match (qa.or_else(|| zero.clone()), qb.or(zero)) {
        (Some(x), Some(y)) => x.cmp_value(&y),
        _ => Ordering::Equal,
    }
}

/// PersistentVolumeClaim update rules. `old`'s status decides whether the
/// claim is bound (the server carries the stored status over on updates).
pub fn validate_persistent_volume_claim_update(
    new: &Value,
    old: &Value,
    errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let mut errs = validate_persistent_volume_claim(new, errs);
    let (ns, os) = (spec_of(new), spec_of(old));
    let mut new_clone = ns.clone();
    let mut old_clone = os.clone();
    let set = |v: &mut Value, key: &str, val: Option<&Value>| {
        if let Some(m) = v.as_object_mut() {
            match val {
                Some(x) => m.insert(key.to_string(), x.clone()),
                None => m.remove(key),
            };
        }
    };
    // volumeName may be set once (the binder does it).
    if str_of(os, "volumeName").is_empty() {
        set(&mut old_clone, "volumeName", get(ns, "volumeName"));
    }
    let old_ann = annotation(old, BETA_STORAGE_CLASS);
    let new_ann = annotation(new, BETA_STORAGE_CLASS);
    let old_class = get(os, "storageClassName").filter(|v| !v.is_null());
    let new_class = opt_str(ns, "storageClassName");
    // The class may move from the beta annotation to the field, or be set
    // once where it was nil.
    let from_annotation = old_ann.is_some()
        && old_class.is_none()
        && new_class.is_some_and(|c| Some(c) == old_ann)
        && new_ann.is_none_or(|a| Some(a) == old_ann);
    if from_annotation {
        set(&mut new_clone, "storageClassName", None);
    } else {
        if new_ann != old_ann {
            errs.push(FieldError::invalid(
                Path::new("metadata")
                    .child("annotations")
                    .key(BETA_STORAGE_CLASS)
                    .as_str(),
                new_ann.unwrap_or(""),
                FIELD_IMMUTABLE,
            ));
        }
        if new_class.is_some() && old_class.is_none() && old_ann.is_none_or(|a| new_class == Some(a)) {
            set(&mut new_clone, "storageClassName", None);
        }
    }
    let bound = get_path(old, &["status", "phase"]).and_then(Value::as_str) == Some("Bound");
    if bound {
        let old_storage = storage_request(os).cloned();
        if let Some(req) = new_clone
            .get_mut("resources")
            .and_then(|r| r.get_mut("requests"))
            .and_then(Value::as_object_mut)
        {
            match old_storage {
                Some(v) => req.insert("storage".to_string(), v),
                None => req.remove("storage"),
            };
        }
        let old_vac = get(&old_clone, "volumeAttributesClassName").cloned();
        if has(&new_clone, "volumeAttributesClassName") {
            set(&mut new_clone, "volumeAttributesClassName", old_vac.as_ref());
        }
    }
    if !semantic_eq(Some(&new_clone), Some(&old_clone)) {
        errs.push(FieldError::forbidden(
            "spec",
            &format!(
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n{}",
                struct_diff("core.PersistentVolumeClaimSpec", &old_clone, &new_clone)
            ),
        ));
    }
    if cmp_quantities(storage_request(ns), storage_request(os)) == Ordering::Less {
        errs.push(FieldError::forbidden(
            "spec.resources.requests.storage",
            "field can not be less than previous value",
        ));
    }
    immutable_mode(ns, os, &mut errs);
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{default_object, validate_create, validate_update, FieldError};
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    fn pv(spec: Value) -> Value {
        let mut o = json!({"metadata": {"name": "pv1"}, "spec": spec});
        default_object("", "PersistentVolume", &mut o);
        o
    }

    fn good_pv() -> Value {
        pv(
            json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}}),
        )
    }

    #[test]
    fn pv_defaults_and_valid() {
        let o = good_pv();
        assert_eq!(o["spec"]["persistentVolumeReclaimPolicy"], "Retain");
        assert_eq!(o["spec"]["volumeMode"], "Filesystem");
        assert_eq!(o["spec"]["hostPath"]["type"], "");
        assert_eq!(o["status"]["phase"], "Pending");
        let errs = validate_create("", "PersistentVolume", &o);
        assert!(errs.is_empty(), "{:?}", msgs(&errs));
    }

    #[test]
    fn pv_required_fields() {
        let o = pv(json!({}));
        assert_eq!(
            msgs(&validate_create("", "PersistentVolume", &o)),
            vec![
                "spec.accessModes: Required value".to_string(),
                "spec.capacity: Required value".to_string(),
                "spec: Required value: must specify a volume type".to_string(),
            ]
        );
    }

    #[test]
    fn pv_access_modes_and_capacity() {
        let o = pv(
            json!({"capacity": {"storage": "0"}, "accessModes": ["ReadWriteOncePod", "ReadWriteMany"], "nfs": {"server": "s", "path": "/x"}}),
        );
        assert_eq!(
            msgs(&validate_create("", "PersistentVolume", &o)),
            vec![
                "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"
                    .to_string(),
                "spec.capacity[storage]: Invalid value: \"0\": must be greater than zero".to_string(),
            ]
        );
        let o = pv(
            json!({"capacity": {"storage": "1Gi"}, "accessModes": ["Sometimes"], "nfs": {"server": "s", "path": "/x"}}),
        );
        assert_eq!(
            msgs(&validate_create("", "PersistentVolume", &o)),
            vec!["spec.accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"".to_string()]
        );
        let o = pv(
            json!({"capacity": {"storage": "1Gi", "cpu": "1"}, "accessModes": ["ReadWriteOnce"], "nfs": {"server": "s", "path": "/x"}}),
        );
        assert_eq!(
            msgs(&validate_create("", "PersistentVolume", &o)),
            vec!["spec.capacity: Unsupported value: core.ResourceList{\"cpu\":\"1\", \"storage\":\"1Gi\"}: supported values: \"storage\"".to_string()]
        );
    }

    #[test]
    fn pv_sources_and_policies() {
        let o = pv(
            json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/"}, "nfs": {"server": "s", "path": "/x"}, "persistentVolumeReclaimPolicy": "Recycle"}),
        );
        assert_eq!(
            msgs(&validate_create("", "PersistentVolume", &o)),
            vec![
                "spec.nfs: Forbidden: may not specify more than 1 volume type".to_string(),
                "spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'".to_string(),
            ]
        );
        let o = pv(
            json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "local": {"path": "/mnt/disk"}, "persistentVolumeReclaimPolicy": "Keep"}),
        );
        assert_eq!(
            msgs(&validate_create("", "PersistentVolume", &o)),
            vec![
                "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\"".to_string(),
                "spec.nodeAffinity: Required value: Local volume requires node affinity".to_string(),
            ]
        );
    }

    #[test]
    fn pv_source_is_immutable() {
        let old = good_pv();
        let mut new = old.clone();
        new["spec"]["hostPath"]["path"] = json!("/other");
        new["spec"]["capacity"]["storage"] = json!("2Gi");
        let errs = validate_update("", "PersistentVolume", &new, &old);
        assert_eq!(errs.len(), 1, "{:?}", msgs(&errs));
        assert_eq!(errs[0].field, "spec.persistentvolumesource");
        assert!(errs[0]
            .message()
            .starts_with("spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n"));
        let mut new = old.clone();
        new["spec"]["volumeMode"] = json!("Block");
        assert_eq!(
            msgs(&validate_update("", "PersistentVolume", &new, &old)),
            vec!["volumeMode: Invalid value: \"Block\": field is immutable".to_string()]
        );
    }

    fn pvc(spec: Value) -> Value {
        let mut o = json!({"metadata": {"name": "data", "namespace": "ns"}, "spec": spec});
        default_object("", "PersistentVolumeClaim", &mut o);
        o
    }

    fn good_pvc() -> Value {
        pvc(json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}))
    }

    #[test]
    fn pvc_defaults_and_create_rules() {
        let o = good_pvc();
        assert_eq!(o["spec"]["volumeMode"], "Filesystem");
        assert_eq!(o["status"]["phase"], "Pending");
        assert!(validate_create("", "PersistentVolumeClaim", &o).is_empty());
        let o = pvc(json!({}));
        assert_eq!(
            msgs(&validate_create("", "PersistentVolumeClaim", &o)),
            vec![
                "spec.accessModes: Required value: at least 1 access mode is required".to_string(),
                "spec.resources[storage]: Required value".to_string(),
            ]
        );
        let o = pvc(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "-1Gi"}}, "storageClassName": "Fast_SSD"}),
        );
        let errs = msgs(&validate_create("", "PersistentVolumeClaim", &o));
        assert_eq!(
            errs.first().map(String::as_str),
            Some("spec.resources[storage]: Invalid value: \"-1Gi\": must be greater than zero")
        );
        assert!(errs.get(1).is_some_and(|m| m.starts_with(
            "spec.storageClassName: Invalid value: \"Fast_SSD\": a lowercase RFC 1123 subdomain"
        )));
        let o = pvc(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "dataSource": {"kind": "Snapshot", "name": "s"}}),
        );
        assert_eq!(
            msgs(&validate_create("", "PersistentVolumeClaim", &o)),
            vec!["spec.dataSource: Invalid value: \"Snapshot\": must be 'PersistentVolumeClaim' when referencing the default apiGroup".to_string()]
        );
    }

    #[test]
    fn pvc_spec_is_immutable() {
        let old = good_pvc();
        let mut new = old.clone();
        new["spec"]["accessModes"] = json!(["ReadWriteMany"]);
        let errs = validate_update("", "PersistentVolumeClaim", &new, &old);
        assert_eq!(errs.len(), 1, "{:?}", msgs(&errs));
        assert!(errs[0].message().starts_with("spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"));
        // Binding the volume once is allowed.
        let mut new = old.clone();
        new["spec"]["volumeName"] = json!("pv1");
        assert!(validate_update("", "PersistentVolumeClaim", &new, &old).is_empty());
    }

    #[test]
    fn pvc_bound_claims_may_grow_not_shrink() {
        let mut old = good_pvc();
        old["status"]["phase"] = json!("Bound");
        let mut grow = old.clone();
        grow["spec"]["resources"]["requests"]["storage"] = json!("2Gi");
        assert!(validate_update("", "PersistentVolumeClaim", &grow, &old).is_empty());
        let mut shrink = old.clone();
        shrink["spec"]["resources"]["requests"]["storage"] = json!("512Mi");
        assert_eq!(
            msgs(&validate_update("", "PersistentVolumeClaim", &shrink, &old)),
            vec![
                "spec.resources.requests.storage: Forbidden: field can not be less than previous value"
                    .to_string()
            ]
        );
    }

    #[test]
    fn pvc_storage_class_may_be_set_once() {
        let old = good_pvc();
        let mut new = old.clone();
        new["spec"]["storageClassName"] = json!("fast");
        assert!(validate_update("", "PersistentVolumeClaim", &new, &old).is_empty());
        let mut changed = new.clone();
        changed["spec"]["storageClassName"] = json!("slow");
        let errs = validate_update("", "PersistentVolumeClaim", &changed, &new);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "spec");
    }
}
