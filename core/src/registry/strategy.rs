//! Per-kind rules around writes: what the server sets on create, what it keeps on update,
//! how spec and status are split, and the bridge to validation.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::api::{self, ApiError, Cause};
use crate::rng::Rng;
use crate::time::{format_rfc3339, Now};

use super::ResourceDef;

/// Server-side fields of a new object: identity, timestamps, generation, reset status.
pub fn prepare_for_create(def: &ResourceDef, obj: &mut Value, now: Now, rng: &mut Rng) {
    let m = api::meta_mut(obj);
    m.insert("uid".into(), json!(rng.uuid_v4()));
    m.insert("creationTimestamp".into(), json!(format_rfc3339(now.wall_secs())));
    for k in [
        "resourceVersion",
        "selfLink",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        m.shift_remove(k);
    }
    if def.tracks_generation {
        m.insert("generation".into(), json!(1));
    } else {
        m.shift_remove("generation");
    }
    crate::validation::default_object(&def.group, &def.kind, obj);
    if def.is("apps", "DaemonSet") {
        let given = template_generation(obj);
        set_template_generation(obj, given.max(1));
    }
    let Value::Object(o) = obj else { return };
    match (&*def.group, &*def.kind) {
        ("", "Namespace") => {
            let spec = o.entry("spec").or_insert_with(|| json!({}));
            if let Value::Object(s) = spec {
                s.insert("finalizers".into(), json!(["kubernetes"]));
            }
            o.insert("status".into(), json!({"phase": "Active"}));
        }
        ("", "Pod") => {
            let qos = qos_class(o.get("spec"));
            o.insert("status".into(), json!({"phase": "Pending", "qosClass": qos}));
        }
        ("", "Service") => {
            o.insert("status".into(), json!({"loadBalancer": {}}));
        }
        ("", "Node") => {}
        // Claims and volumes start Pending (a volume also records when it got there).
        ("", "PersistentVolumeClaim") => {
            o.insert("status".into(), json!({"phase": "Pending"}));
        }
        ("", "PersistentVolume") => {
            let at = o
                .get("metadata")
                .and_then(|m| m.get("creationTimestamp"))
                .cloned()
                .unwrap_or(Value::Null);
            o.insert(
                "status".into(),
                json!({"phase": "Pending", "lastPhaseTransitionTime": at}),
            );
        }
        // A new definition has stored only its storage version so far.
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            let storage: Vec<Value> = o
                .get("spec")
                .and_then(|s| s.get("versions"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect();
            o.insert(
                "status".into(),
                json!({"acceptedNames": {"plural": "", "kind": ""}, "storedVersions": storage}),
            );
        }
        _ if def.has_status() => {
            o.insert("status".into(), json!({}));
        }
        _ => {}
    }
}

/// A DaemonSet's template generation, which apps/v1 keeps in this annotation.
const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

fn template_generation(ds: &Value) -> i64 {
    ds.pointer("/metadata/annotations")
        .and_then(|a| a.get(TEMPLATE_GENERATION))
        .and_then(Value::as_str)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn set_template_generation(ds: &mut Value, generation: i64) {
    let meta = api::meta_mut(ds);
    let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
    if !annotations.is_object() {
        *annotations = json!({});
    }
    annotations[TEMPLATE_GENERATION] = json!(generation.to_string());
}

/// Records who asks for a CertificateSigningRequest in its spec, whatever the body said, as
/// kube-apiserver does: signers and approvers rely on it.
pub fn record_requester(obj: &mut Value, user: &crate::authn::UserInfo) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    spec.insert("username".into(), json!(user.name));
    if user.uid.is_empty() {
        spec.shift_remove("uid");
    } else {
        spec.insert("uid".into(), json!(user.uid));
    }
    if user.groups.is_empty() {
        spec.shift_remove("groups");
    } else {
        spec.insert("groups".into(), json!(user.groups));
    }
    if user.extra.is_empty() {
        spec.shift_remove("extra");
    } else {
        spec.insert("extra".into(), json!(user.extra));
    }
}

/// Carries server-owned fields from `old` into `new` and splits spec from status.
pub fn prepare_for_update(def: &ResourceDef, subresource: &str, new: &mut Value, old: &Value) {
    if subresource == "binding" {
        // Made by the server from the stored pod: nothing to carry over.
        return;
    }
    if subresource == "status" {
        // The status endpoint changes status only.
        let status = new.get("status").cloned();
        let rv = api::meta_str(new, "resourceVersion").to_string();
        *new = old.clone();
        if let Value::Object(o) = &mut *new {
            match status {
                Some(s) => {
                    o.insert("status".into(), s);
                }
                None => {
                    o.shift_remove("status");
                }
            }
        }
        api::set_meta(new, "resourceVersion", json!(rv));
        return;
    }
    // Subresources that change one field of the object and nothing else.
    let only = match subresource {
        "ephemeralcontainers" => Some(["spec", "ephemeralContainers"]),
        "approval" => Some(["status", "conditions"]),
        _ => None,
    };
    if let Some([parent, field]) = only {
        let value = new.get(parent).and_then(|p| p.get(field)).cloned();
        let rv = api::meta_str(new, "resourceVersion").to_string();
        *new = old.clone();
        if let Value::Object(o) = &mut *new {
            let p = o.entry(parent).or_insert_with(|| json!({}));
            if let Value::Object(p) = p {
                match value {
                    Some(v) => {
                        p.insert(field.into(), v);
                    }
                    None => {
                        p.shift_remove(field);
                    }
                }
            }
        }
        api::set_meta(new, "resourceVersion", json!(rv));
        return;
    }
    if subresource == "finalize" {
        let spec = new.get("spec").cloned();
        let rv = api::meta_str(new, "resourceVersion").to_string();
        *new = old.clone();
        if let (Some(s), Value::Object(o)) = (spec, &mut *new) {
            o.insert("spec".into(), s);
        }
        api::set_meta(new, "resourceVersion", json!(rv));
        return;
    }
    crate::validation::default_object(&def.group, &def.kind, new);
    let old_meta = api::meta(old).cloned().unwrap_or_default();
    let m = api::meta_mut(new);
    for k in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match old_meta.get(k) {
            Some(v) => {
                m.insert(k.into(), v.clone());
            }
            None => {
                m.shift_remove(k);
            }
        }
    }
    m.shift_remove("selfLink");
    if let Value::Object(o) = new {
        if def.has_status() {
            match old.get("status") {
                Some(s) => {
                    o.insert("status".into(), s.clone());
                }
                None => {
                    o.shift_remove("status");
                }
            }
        }
        if def.is("", "Namespace") {
            let fins = old.pointer("/spec/finalizers").cloned();
            if let Some(Value::Object(spec)) = o.get_mut("spec") {
                match fins {
                    Some(f) => {
                        spec.insert("finalizers".into(), f);
                    }
                    None => {
                        spec.shift_remove("finalizers");
                    }
                }
            }
        }
    }
    if def.is("", "Service") {
        drop_type_dependent_fields(new, old);
    }
    if def.is("apps", "DaemonSet") {
        // Clients cannot set it; a changed pod template moves it on.
        let changed = new.pointer("/spec/template") != old.pointer("/spec/template");
        set_template_generation(new, template_generation(old) + i64::from(changed));
    }
    if def.tracks_generation && spec_changed(new, old) {
        let g = old
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        api::set_meta(new, "generation", json!(g + 1));
    }
}

/// kube-apiserver's rules for an `ephemeralcontainers` update: containers already there stay
/// as they are; new ones need a unique name and an image.
pub fn validate_ephemeral_containers(def: &ResourceDef, new: &Value, old: &Value) -> Result<(), ApiError> {
    let list = |v: &Value| -> Vec<Value> {
        v.pointer("/spec/ephemeralContainers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (now, before) = (list(new), list(old));
    let mut errs = Vec::new();
    for (i, was) in before.iter().enumerate() {
        let name = was.get("name").and_then(Value::as_str).unwrap_or("");
        match now
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        {
            Some(c) if c == was => {}
            _ => errs.push(crate::validation::FieldError::forbidden(
                &format!("spec.ephemeralContainers[{i}]"),
                "existing ephemeral containers may not be changed",
            )),
        }
    }
    let taken: Vec<String> = ["containers", "initContainers"]
        .iter()
        .flat_map(|f| {
            old.pointer(&format!("/spec/{f}"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let mut seen: Vec<String> = Vec::new();
    for (i, c) in now.iter().enumerate() {
        let path = format!("spec.ephemeralContainers[{i}]");
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            errs.push(crate::validation::FieldError::required(
                &format!("{path}.name"),
                "",
            ));
        } else if taken.iter().any(|t| t == name) || seen.iter().any(|s| s == name) {
            errs.push(crate::validation::FieldError::duplicate(
                &format!("{path}.name"),
                name,
            ));
        }
        if c.get("image").and_then(Value::as_str).unwrap_or("").is_empty() {
            errs.push(crate::validation::FieldError::required(
                &format!("{path}.image"),
                "",
            ));
        }
        seen.push(name.to_string());
    }
    invalid_if_any(def, new, errs)
}

/// A Service leaving NodePort/LoadBalancer loses the fields only those types have, where the
/// client left them as they were (kube-apiserver's dropTypeDependentFields).
fn drop_type_dependent_fields(new: &mut Value, old: &Value) {
    let external = |v: &Value| {
        matches!(
            v.pointer("/spec/type").and_then(Value::as_str),
            Some("NodePort" | "LoadBalancer")
        )
    };
    if !external(old) || external(new) {
        return;
    }
    let old_spec = old.get("spec").cloned().unwrap_or_default();
    let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    for field in ["externalTrafficPolicy", "healthCheckNodePort"] {
        if spec.get(field) == old_spec.get(field) {
            spec.shift_remove(field);
        }
    }
    let old_ports = old_spec
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(Value::Array(ports)) = spec.get_mut("ports") {
        for (i, p) in ports.iter_mut().enumerate() {
            let was = old_ports.get(i).and_then(|o| o.get("nodePort")).cloned();
            if let Some(m) = p.as_object_mut() {
                if m.get("nodePort").is_some() && m.get("nodePort").cloned() == was {
                    m.shift_remove("nodePort");
                }
            }
        }
    }
}

/// Whether anything outside metadata and status differs.
fn spec_changed(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| -> Map<String, Value> {
        let mut m = v.as_object().cloned().unwrap_or_default();
        for k in ["metadata", "status", "apiVersion", "kind"] {
            m.shift_remove(k);
        }
        m
    };
    strip(a) != strip(b)
}

/// Whether two objects are equal apart from resourceVersion (a no-op write).
pub fn same_object(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        api::meta_mut(&mut v).shift_remove("resourceVersion");
        v
    };
    strip(a) == strip(b)
}

fn qos_class(spec: Option<&Value>) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.and_then(|s| s.get(*k)).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in &containers {
        let req = c.pointer("/resources/requests").and_then(Value::as_object);
        let lim = c.pointer("/resources/limits").and_then(Value::as_object);
        if req.is_some_and(|r| !r.is_empty()) || lim.is_some_and(|l| !l.is_empty()) {
            any = true;
        }
        for res in ["cpu", "memory"] {
            let l = lim.and_then(|l| l.get(res));
            let r = req.and_then(|r| r.get(res)).or(l);
            if l.is_none() || r != l {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Validates a new object; 422 with one cause per bad field.
pub fn validate_create(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    invalid_if_any(
        def,
        obj,
        crate::validation::validate_create(&def.group, &def.kind, obj),
    )
}

/// Validates an update against the stored object.
pub fn validate_update(def: &ResourceDef, new: &Value, old: &Value) -> Result<(), ApiError> {
    invalid_if_any(
        def,
        new,
        crate::validation::validate_update(&def.group, &def.kind, new, old),
    )
}

pub(crate) fn invalid_if_any(
    def: &ResourceDef,
    obj: &Value,
    errs: Vec<crate::validation::FieldError>,
) -> Result<(), ApiError> {
    if errs.is_empty() {
        return Ok(());
    }
    Err(invalid_error(&def.group, &def.kind, api::name(obj), &errs))
}

/// kube's 422 for `group`'s `kind` named `name`: the aggregate message, one cause per error.
pub(crate) fn invalid_error(
    group: &str,
    kind: &str,
    name: &str,
    errs: &[crate::validation::FieldError],
) -> ApiError {
    let qualified_kind = crate::api::qualified_kind(group, kind);
    let message = crate::validation::aggregate_message(&qualified_kind, name, errs);
    let causes = errs
        .iter()
        .map(|e| Cause {
            reason: e.reason().to_string(),
            message: e.body(),
            field: e.field.clone(),
        })
        .collect();
    ApiError::invalid(group, kind, name, message, causes)
}

/// Picks a free cluster IP in `cidr` (base address, prefix length) not in `used`.
pub fn allocate_cluster_ip(base: u32, prefix_len: u8, used: &BTreeSet<u32>, rng: &mut Rng) -> Option<u32> {
    let size: u64 = 1u64 << (32 - u32::from(prefix_len.min(30)));
    // Skip the network address and the broadcast address.
    let usable = size.saturating_sub(2);
    if usable == 0 {
        return None;
    }
    let start = rng.below(usable);
    (0..usable)
        .map(|i| base + 1 + ((start + i) % usable) as u32)
        .find(|ip| !used.contains(ip))
}

/// Formats an IPv4 address held as a number.
pub fn ipv4_string(ip: u32) -> String {
    let b = ip.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// Parses an IPv4 address.
pub fn parse_ipv4(s: &str) -> Option<u32> {
    let mut parts = s.split('.');
    let mut out = 0u32;
    for _ in 0..4 {
        let p: u8 = parts.next()?.parse().ok()?;
        out = (out << 8) | u32::from(p);
    }
    parts.next().is_none().then_some(out)
}
