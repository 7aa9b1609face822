//! v1 defaulting (`pkg/apis/*/v1/defaults.go`) plus the few fields the
//! kube-apiserver registry fills before validation (Namespace finalizers,
//! Service IP family fields, Secret `stringData`, generated Job selectors).

use super::batch::{
    CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL,
};
use super::net::parse_ip;
use super::value::{default_field, each_mut, ensure_obj, get, get_path, has, str_of};
use base64::Engine;
use serde_json::{json, Map, Value};

/// Apply the v1 defaults of `group`/`kind` to `obj` in place. Unknown kinds
/// and non-object values are left unchanged.
pub fn default_object(group: &str, kind: &str, obj: &mut Value) {
    if !obj.is_object() {
        return;
    }
    match (group, kind) {
        ("", "Pod") => default_pod(obj),
        ("", "Namespace") => default_namespace(obj),
        ("", "Secret") => default_secret(obj),
        ("", "Service") => default_service(obj),
        ("", "Endpoints") => {
            for ss in each_mut(obj, "subsets") {
                for p in each_mut(ss, "ports") {
                    default_field(p, "protocol", json!("TCP"));
                }
            }
        }
        ("", "Node") => default_node(obj),
        ("", "ReplicationController") => default_replication_controller(obj),
        ("", "PodTemplate") => {
            if let Some(t) = obj.get_mut("template").filter(|t| t.is_object()) {
                default_pod_template(t);
            }
        }
        ("", "PersistentVolume") => default_persistent_volume(obj),
        ("", "PersistentVolumeClaim") => default_persistent_volume_claim(obj),
        ("", "LimitRange") => default_limit_range(obj),
        ("autoscaling", "HorizontalPodAutoscaler") => default_horizontal_pod_autoscaler(obj),
        ("apps", "Deployment") => default_deployment(obj),
        ("apps", "ReplicaSet") => {
            if let Some(spec) = ensure_obj(obj, "spec") {
                default_field(spec, "replicas", json!(1));
            }
            if let Some(t) = spec_template(obj) {
                default_pod_template(t);
            }
        }
        ("apps", "StatefulSet") => default_stateful_set(obj),
        ("apps", "DaemonSet") => default_daemon_set(obj),
        ("batch", "Job") => default_job(obj),
        ("batch", "CronJob") => default_cron_job(obj),
        _ => {
            super::groups::default_object(group, kind, obj);
        }
    }
}

fn spec_template(obj: &mut Value) -> Option<&mut Value> {
    ensure_obj(obj, "spec").and_then(|s| ensure_obj(s, "template"))
}

// ---------------------------------------------------------------- pods

/// The tag the kubelet would pull when none is given is `latest`; a digest
/// pins the image instead.
fn pull_policy_for(image: &str) -> &'static str {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map(|(_, t)| t);
    match tag {
        Some("latest") => "Always",
        Some(_) => "IfNotPresent",
        None if digest => "IfNotPresent",
        None => "Always",
    }
}

fn default_handler(h: &mut Value) {
    if let Some(hg) = h.get_mut("httpGet").filter(|v| v.is_object()) {
        default_field(hg, "path", json!("/"));
        default_field(hg, "scheme", json!("HTTP"));
    }
}

fn default_container(c: &mut Value) {
    if !c.is_object() {
        return;
    }
    default_field(c, "terminationMessagePath", json!("/dev/termination-log"));
    default_field(c, "terminationMessagePolicy", json!("File"));
    let policy = pull_policy_for(str_of(c, "image"));
    default_field(c, "imagePullPolicy", json!(policy));
    for p in each_mut(c, "ports") {
        default_field(p, "protocol", json!("TCP"));
    }
    for e in each_mut(c, "env") {
        if let Some(fr) = e
            .get_mut("valueFrom")
            .and_then(|v| v.get_mut("fieldRef"))
            .filter(|v| v.is_object())
        {
            default_field(fr, "apiVersion", json!("v1"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).filter(|v| v.is_object()) {
            default_field(p, "timeoutSeconds", json!(1));
            default_field(p, "periodSeconds", json!(10));
            default_field(p, "successThreshold", json!(1));
            default_field(p, "failureThreshold", json!(3));
            default_handler(p);
        }
    }
    if let Some(lc) = c.get_mut("lifecycle").filter(|v| v.is_object()) {
        for k in ["postStart", "preStop"] {
            if let Some(h) = lc.get_mut(k).filter(|v| v.is_object()) {
                default_handler(h);
            }
        }
    }
}

const VOLUME_SOURCE_KEYS: [&str; 30] = [
    "emptyDir",
    "hostPath",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "flexVolume",
    "configMap",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "storageos",
    "projected",
    "scaleIO",
    "csi",
    "ephemeral",
    "image",
];

fn default_volume(v: &mut Value) {
    if !v.is_object() {
        return;
    }
    if !VOLUME_SOURCE_KEYS.iter().any(|k| has(v, k)) {
        if let Some(m) = v.as_object_mut() {
            m.insert("emptyDir".to_string(), json!({}));
        }
        return;
    }
    for key in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(src) = v.get_mut(key).filter(|s| s.is_object()) {
            default_field(src, "defaultMode", json!(420));
            if key == "downwardAPI" {
                for item in each_mut(src, "items") {
                    if let Some(fr) = item.get_mut("fieldRef").filter(|f| f.is_object()) {
                        default_field(fr, "apiVersion", json!("v1"));
                    }
                }
            }
        }
    }
    if let Some(hp) = v.get_mut("hostPath").filter(|s| s.is_object()) {
        if !has(hp, "type") {
            if let Some(m) = hp.as_object_mut() {
                m.insert("type".to_string(), json!(""));
            }
        }
    }
}

/// `SetDefaults_PodSpec` and the nested container/volume defaults.
fn default_pod_spec(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    default_field(spec, "dnsPolicy", json!("ClusterFirst"));
    default_field(spec, "restartPolicy", json!("Always"));
    default_field(spec, "securityContext", json!({}));
    default_field(spec, "terminationGracePeriodSeconds", json!(30));
    default_field(spec, "schedulerName", json!("default-scheduler"));
    sync_service_account(spec);
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for c in each_mut(spec, key) {
            default_container(c);
        }
    }
    for v in each_mut(spec, "volumes") {
        default_volume(v);
    }
}

/// The deprecated `serviceAccount` and `serviceAccountName` name one account, as kube's
/// conversion of a v1 PodSpec keeps them: the name wins, the old field fills a missing name.
pub fn sync_service_account(spec: &mut Value) {
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    let field = |f: &str| {
        spec.get(f)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match (field("serviceAccountName"), field("serviceAccount")) {
        (Some(name), _) => {
            spec.insert("serviceAccount".into(), json!(name));
        }
        (None, Some(old)) => {
            spec.insert("serviceAccountName".into(), json!(old));
        }
        (None, None) => {}
    }
}

/// Defaults of a `PodTemplateSpec` (no Pod-only defaults).
pub fn default_pod_template(t: &mut Value) {
    if let Some(spec) = ensure_obj(t, "spec") {
        default_pod_spec(spec);
    }
}

fn default_pod(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    default_pod_spec(spec);
    default_field(spec, "enableServiceLinks", json!(true));
    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    for key in ["containers", "initContainers"] {
        for c in each_mut(spec, key) {
            // Requests default to limits on Pods (not on templates).
            let limits = get_path(c, &["resources", "limits"])
                .and_then(Value::as_object)
                .cloned();
            if let Some(limits) = limits {
                if let Some(req) = ensure_obj(c, "resources").and_then(|r| ensure_obj(r, "requests")) {
                    if let Some(m) = req.as_object_mut() {
                        for (k, v) in limits {
                            m.entry(k).or_insert(v);
                        }
                    }
                }
            }
            if host_network {
                for p in each_mut(c, "ports") {
                    if p.get("hostPort").and_then(Value::as_i64).unwrap_or(0) == 0 {
                        if let Some(cp) = p.get("containerPort").cloned() {
                            if let Some(m) = p.as_object_mut() {
                                m.insert("hostPort".to_string(), cp);
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- core kinds

fn default_namespace(obj: &mut Value) {
    let name = get(obj, "metadata")
        .map(|m| str_of(m, "name").to_string())
        .unwrap_or_default();
    if !name.is_empty() {
        if let Some(labels) = ensure_obj(obj, "metadata").and_then(|m| ensure_obj(m, "labels")) {
            if let Some(m) = labels.as_object_mut() {
                m.insert("kubernetes.io/metadata.name".to_string(), Value::from(name));
            }
        }
    }
    if let Some(spec) = ensure_obj(obj, "spec") {
        let has_finalizers = spec
            .get("finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !has_finalizers {
            if let Some(m) = spec.as_object_mut() {
                m.insert("finalizers".to_string(), json!(["kubernetes"]));
            }
        }
    }
    if let Some(status) = ensure_obj(obj, "status") {
        default_field(status, "phase", json!("Active"));
    }
}

fn default_secret(obj: &mut Value) {
    default_field(obj, "type", json!("Opaque"));
    // stringData is write-only: fold it into data the way the server does.
    let string_data = obj.as_object_mut().and_then(|m| m.remove("stringData"));
    if let Some(Value::Object(sd)) = string_data {
        if let Some(data) = ensure_obj(obj, "data").and_then(Value::as_object_mut) {
            for (k, v) in sd {
                let text = v.as_str().unwrap_or("");
                let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                data.insert(k, Value::from(encoded));
            }
        }
    }
}

fn default_service(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    default_field(spec, "sessionAffinity", json!("None"));
    if str_of(spec, "sessionAffinity") == "None" {
        if let Some(m) = spec.as_object_mut() {
            m.remove("sessionAffinityConfig");
        }
    } else if str_of(spec, "sessionAffinity") == "ClientIP" {
        if let Some(cip) = ensure_obj(spec, "sessionAffinityConfig").and_then(|c| ensure_obj(c, "clientIP")) {
            default_field(cip, "timeoutSeconds", json!(10800));
        }
    }
    default_field(spec, "type", json!("ClusterIP"));
    for p in each_mut(spec, "ports") {
        default_field(p, "protocol", json!("TCP"));
        let unset = match p.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.is_empty(),
            _ => false,
        };
        if unset {
            if let Some(port) = p.get("port").cloned() {
                if let Some(m) = p.as_object_mut() {
                    m.insert("targetPort".to_string(), port);
                }
            }
        }
    }
    let stype = str_of(spec, "type").to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if stype == "NodePort" || stype == "LoadBalancer" || (stype == "ClusterIP" && has_external_ips) {
        default_field(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(stype.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        default_field(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if stype == "LoadBalancer" {
        default_field(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    if stype != "ExternalName" {
        // Mirror clusterIP into clusterIPs and settle the IP family fields,
        // as the Service registry does before validation.
        let cluster_ip = str_of(spec, "clusterIP").to_string();
        let has_ips = spec
            .get("clusterIPs")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !cluster_ip.is_empty() && !has_ips {
            if let Some(m) = spec.as_object_mut() {
                m.insert("clusterIPs".to_string(), json!([cluster_ip]));
            }
        }
        default_field(spec, "ipFamilyPolicy", json!("SingleStack"));
        let has_families = spec
            .get("ipFamilies")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !has_families {
            let family = match parse_ip(&cluster_ip) {
                Some(ip) if ip.is_ipv6() => "IPv6",
                _ => "IPv4",
            };
            if let Some(m) = spec.as_object_mut() {
                m.insert("ipFamilies".to_string(), json!([family]));
            }
        }
    }
}

fn default_node(obj: &mut Value) {
    let Some(status) = obj.get_mut("status").filter(|s| s.is_object()) else {
        return;
    };
    if !has(status, "allocatable") {
        if let Some(cap) = status.get("capacity").cloned() {
            if let Some(m) = status.as_object_mut() {
                m.insert("allocatable".to_string(), cap);
            }
        }
    }
}

fn default_replication_controller(obj: &mut Value) {
    // Selector and labels default to the template's labels, when it has some.
    let labels = get_path(obj, &["spec", "template", "metadata", "labels"])
        .and_then(Value::as_object)
        .cloned();
    if let Some(labels) = labels {
        if let Some(spec) = ensure_obj(obj, "spec") {
            let empty = spec
                .get("selector")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty);
            if empty {
                if let Some(m) = spec.as_object_mut() {
                    m.insert("selector".to_string(), Value::Object(labels.clone()));
                }
            }
        }
        if let Some(meta) = ensure_obj(obj, "metadata") {
            let empty = meta
                .get("labels")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty);
            if empty {
                if let Some(m) = meta.as_object_mut() {
                    m.insert("labels".to_string(), Value::Object(labels));
                }
            }
        }
    }
    if let Some(spec) = ensure_obj(obj, "spec") {
        if spec.get("replicas").is_none_or(Value::is_null) {
            if let Some(m) = spec.as_object_mut() {
                m.insert("replicas".to_string(), json!(1));
            }
        }
        // A missing template stays missing so validation can report it.
        if let Some(t) = spec.get_mut("template").filter(|t| t.is_object()) {
            default_pod_template(t);
        }
    }
}

fn default_persistent_volume(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        default_field(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
        default_field(spec, "volumeMode", json!("Filesystem"));
        if let Some(hp) = spec.get_mut("hostPath").filter(|h| h.is_object()) {
            if !has(hp, "type") {
                if let Some(m) = hp.as_object_mut() {
                    m.insert("type".to_string(), json!(""));
                }
            }
        }
    }
    if let Some(status) = ensure_obj(obj, "status") {
        default_field(status, "phase", json!("Pending"));
    }
}

fn default_persistent_volume_claim(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        default_field(spec, "volumeMode", json!("Filesystem"));
    }
    if let Some(status) = ensure_obj(obj, "status") {
        default_field(status, "phase", json!("Pending"));
    }
}

/// `SetDefaults_LimitRangeItem`: for Container items the default limit
/// falls back to max, the default request to the default limit, then to min.
fn default_limit_range(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) else {
        return;
    };
    for item in each_mut(spec, "limits") {
        if str_of(item, "type") != "Container" {
            continue;
        }
        let copy_into = |item: &mut Value, from: &str, to: &str| {
            let src = item.get(from).and_then(Value::as_object).cloned();
            if let Some(dst) = ensure_obj(item, to).and_then(Value::as_object_mut) {
                for (k, v) in src.into_iter().flatten() {
                    dst.entry(k).or_insert(v);
                }
            }
        };
        copy_into(item, "max", "default");
        copy_into(item, "default", "defaultRequest");
        copy_into(item, "min", "defaultRequest");
    }
}

fn hpa_policy(ty: &str, value: i64) -> Value {
    json!({"type": ty, "value": value, "periodSeconds": 15})
}

/// Fill the unset fields of one scaling-rules object from `defaults`.
fn default_scaling_rules(behavior: &mut Value, key: &str, defaults: Value) {
    let Some(m) = behavior.as_object_mut() else {
        return;
    };
    let slot = m.entry(key.to_string()).or_insert(Value::Null);
    if !slot.is_object() {
        *slot = defaults;
        return;
    }
    if let (Some(rules), Value::Object(d)) = (slot.as_object_mut(), defaults) {
        for (k, v) in d {
            if rules.get(&k).is_none_or(Value::is_null) {
                rules.insert(k, v);
            }
        }
    }
}

/// autoscaling/v2 `SetDefaults_HorizontalPodAutoscaler`.
fn default_horizontal_pod_autoscaler(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    if spec.get("minReplicas").is_none_or(Value::is_null) {
        if let Some(m) = spec.as_object_mut() {
            m.insert("minReplicas".to_string(), json!(1));
        }
    }
    let no_metrics = spec
        .get("metrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_metrics {
        if let Some(m) = spec.as_object_mut() {
            m.insert(
                "metrics".to_string(),
                json!([{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80}}}]),
            );
        }
    }
    // Behavior is only completed when the client gave one.
    if let Some(b) = spec.get_mut("behavior").filter(|b| b.is_object()) {
        default_scaling_rules(
            b,
            "scaleUp",
            json!({"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                   "policies": [hpa_policy("Pods", 4), hpa_policy("Percent", 100)]}),
        );
        // The scale-down window stays unset: the controller's flag decides it.
        default_scaling_rules(
            b,
            "scaleDown",
            json!({"selectPolicy": "Max", "policies": [hpa_policy("Percent", 100)]}),
        );
    }
}

// ---------------------------------------------------------------- apps

fn default_deployment(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        default_field(spec, "replicas", json!(1));
        if let Some(strategy) = ensure_obj(spec, "strategy") {
            default_field(strategy, "type", json!("RollingUpdate"));
            if str_of(strategy, "type") == "RollingUpdate" {
                if let Some(ru) = ensure_obj(strategy, "rollingUpdate") {
                    default_field(ru, "maxUnavailable", json!("25%"));
                    default_field(ru, "maxSurge", json!("25%"));
                }
            }
        }
        default_field(spec, "revisionHistoryLimit", json!(10));
        default_field(spec, "progressDeadlineSeconds", json!(600));
    }
    if let Some(t) = spec_template(obj) {
        default_pod_template(t);
    }
}

fn default_stateful_set(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        default_field(spec, "podManagementPolicy", json!("OrderedReady"));
        if let Some(us) = ensure_obj(spec, "updateStrategy") {
            if str_of(us, "type").is_empty() {
                if let Some(m) = us.as_object_mut() {
                    m.insert("type".to_string(), json!("RollingUpdate"));
                    m.entry("rollingUpdate").or_insert_with(|| json!({}));
                }
            }
            if str_of(us, "type") == "RollingUpdate" {
                if let Some(ru) = us.get_mut("rollingUpdate").filter(|r| r.is_object()) {
                    default_field(ru, "partition", json!(0));
                }
            }
        }
        if let Some(policy) = ensure_obj(spec, "persistentVolumeClaimRetentionPolicy") {
            default_field(policy, "whenDeleted", json!("Retain"));
            default_field(policy, "whenScaled", json!("Retain"));
        }
        default_field(spec, "replicas", json!(1));
        default_field(spec, "revisionHistoryLimit", json!(10));
        for pvc in each_mut(spec, "volumeClaimTemplates") {
            // The apps/v1 conversion types each claim template (kube issue 87583).
            if let Some(m) = pvc.as_object_mut() {
                m.insert("apiVersion".into(), json!("v1"));
                m.insert("kind".into(), json!("PersistentVolumeClaim"));
            }
            if let Some(s) = ensure_obj(pvc, "spec") {
                default_field(s, "volumeMode", json!("Filesystem"));
            }
            if let Some(st) = ensure_obj(pvc, "status") {
                default_field(st, "phase", json!("Pending"));
            }
        }
    }
    if let Some(t) = spec_template(obj) {
        default_pod_template(t);
    }
}

fn default_daemon_set(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        if let Some(us) = ensure_obj(spec, "updateStrategy") {
            default_field(us, "type", json!("RollingUpdate"));
            if str_of(us, "type") == "RollingUpdate" {
                if let Some(ru) = ensure_obj(us, "rollingUpdate") {
                    default_field(ru, "maxUnavailable", json!(1));
                    default_field(ru, "maxSurge", json!(0));
                }
            }
        }
        default_field(spec, "revisionHistoryLimit", json!(10));
    }
    if let Some(t) = spec_template(obj) {
        default_pod_template(t);
    }
}

// ---------------------------------------------------------------- batch

fn default_job_spec(spec: &mut Value) {
    if !has(spec, "completions") && !has(spec, "parallelism") {
        default_field(spec, "completions", json!(1));
    }
    default_field(spec, "parallelism", json!(1));
    let backoff = if has(spec, "backoffLimitPerIndex") {
        2_147_483_647
    } else {
        6
    };
    default_field(spec, "backoffLimit", json!(backoff));
    default_field(spec, "completionMode", json!("NonIndexed"));
    default_field(spec, "suspend", json!(false));
    let replacement = if has(spec, "podFailurePolicy") {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    default_field(spec, "podReplacementPolicy", json!(replacement));
    default_field(spec, "manualSelector", json!(false));
    if let Some(t) = ensure_obj(spec, "template") {
        default_pod_template(t);
    }
}

fn default_job(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        default_job_spec(spec);
    }
    // Job labels default to the template's: once as the request is decoded, and once more
    // as kube reads the stored Job back, when the template has the generated labels too.
    job_labels_from_template(obj);
    generate_job_selector(obj);
    job_labels_from_template(obj);
}

/// A Job without labels takes its pod template's (kube's SetDefaults_Job).
fn job_labels_from_template(obj: &mut Value) {
    let template_labels = get_path(obj, &["spec", "template", "metadata", "labels"])
        .and_then(Value::as_object)
        .filter(|l| !l.is_empty())
        .cloned();
    let job_labels_empty = get_path(obj, &["metadata", "labels"])
        .and_then(Value::as_object)
        .is_none_or(Map::is_empty);
    if let (Some(labels), true) = (template_labels, job_labels_empty) {
        if let Some(m) = ensure_obj(obj, "metadata").and_then(Value::as_object_mut) {
            m.insert("labels".to_string(), Value::Object(labels));
        }
    }
}

/// Generate a Job's selector and pod template labels from its uid, as the
/// server does on create unless `spec.manualSelector` is true. Does nothing
/// while `metadata.uid` is unset, so assign the uid first.
pub fn generate_job_selector(obj: &mut Value) {
    let uid = get_path(obj, &["metadata", "uid"])
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = get_path(obj, &["metadata", "name"])
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let manual = get_path(obj, &["spec", "manualSelector"]).and_then(Value::as_bool) == Some(true);
    if uid.is_empty() || manual {
        return;
    }
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    if let Some(labels) = ensure_obj(spec, "template")
        .and_then(|t| ensure_obj(t, "metadata"))
        .and_then(|m| ensure_obj(m, "labels"))
        .and_then(Value::as_object_mut)
    {
        for (k, v) in [
            (LEGACY_JOB_NAME_LABEL, &name),
            (JOB_NAME_LABEL, &name),
            (LEGACY_CONTROLLER_UID_LABEL, &uid),
            (CONTROLLER_UID_LABEL, &uid),
        ] {
            labels.entry(k).or_insert_with(|| Value::from(v.as_str()));
        }
    }
    if let Some(ml) = ensure_obj(spec, "selector")
        .and_then(|s| ensure_obj(s, "matchLabels"))
        .and_then(Value::as_object_mut)
    {
        ml.entry(CONTROLLER_UID_LABEL)
            .or_insert_with(|| Value::from(uid.as_str()));
    }
}

fn default_cron_job(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    default_field(spec, "concurrencyPolicy", json!("Allow"));
    default_field(spec, "suspend", json!(false));
    default_field(spec, "successfulJobsHistoryLimit", json!(3));
    default_field(spec, "failedJobsHistoryLimit", json!(1));
    if let Some(t) = ensure_obj(spec, "jobTemplate")
        .and_then(|jt| ensure_obj(jt, "spec"))
        .and_then(|s| ensure_obj(s, "template"))
    {
        default_pod_template(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_defaults() {
        let mut p = json!({"metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}], "resources": {"limits": {"cpu": "1"}}},
            {"name": "b", "image": "nginx:1.2"},
            {"name": "c", "image": "reg:5000/x@sha256:abc"}]}});
        default_object("", "Pod", &mut p);
        let s = &p["spec"];
        assert_eq!(s["restartPolicy"], "Always");
        assert_eq!(s["dnsPolicy"], "ClusterFirst");
        assert_eq!(s["terminationGracePeriodSeconds"], 30);
        assert_eq!(s["schedulerName"], "default-scheduler");
        assert_eq!(s["securityContext"], json!({}));
        assert_eq!(s["enableServiceLinks"], true);
        assert_eq!(s["containers"][0]["imagePullPolicy"], "Always");
        assert_eq!(s["containers"][1]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(s["containers"][2]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(
            s["containers"][0]["terminationMessagePath"],
            "/dev/termination-log"
        );
        assert_eq!(s["containers"][0]["terminationMessagePolicy"], "File");
        assert_eq!(s["containers"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(s["containers"][0]["resources"]["requests"]["cpu"], "1");
    }

    #[test]
    fn pull_policies() {
        assert_eq!(pull_policy_for("nginx:latest"), "Always");
        assert_eq!(pull_policy_for("localhost:5000/nginx"), "Always");
        assert_eq!(pull_policy_for("localhost:5000/nginx:1"), "IfNotPresent");
    }

    #[test]
    fn deployment_defaults() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}});
        default_object("apps", "Deployment", &mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(
            d["spec"]["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
        );
        assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
        assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
        assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
    }

    #[test]
    fn service_defaults() {
        let mut s = json!({"spec": {"ports": [{"port": 80}]}});
        default_object("", "Service", &mut s);
        let spec = &s["spec"];
        assert_eq!(spec["type"], "ClusterIP");
        assert_eq!(spec["sessionAffinity"], "None");
        assert_eq!(spec["ports"][0]["protocol"], "TCP");
        assert_eq!(spec["ports"][0]["targetPort"], 80);
        assert_eq!(spec["ipFamilyPolicy"], "SingleStack");
        assert_eq!(spec["ipFamilies"], json!(["IPv4"]));
        assert_eq!(spec["internalTrafficPolicy"], "Cluster");
        let mut lb = json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": "http"}]}});
        default_object("", "Service", &mut lb);
        assert_eq!(lb["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], true);
        assert_eq!(lb["spec"]["ports"][0]["targetPort"], "http");
    }

    #[test]
    fn namespace_secret_defaults() {
        let mut ns = json!({"metadata": {"name": "team"}});
        default_object("", "Namespace", &mut ns);
        assert_eq!(ns["status"]["phase"], "Active");
        assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "team");
        let mut s = json!({"stringData": {"a": "hi"}});
        default_object("", "Secret", &mut s);
        assert_eq!(s, json!({"type": "Opaque", "data": {"a": "aGk="}}));
    }

    #[test]
    fn workload_defaults() {
        let mut sts = json!({"spec": {}});
        default_object("apps", "StatefulSet", &mut sts);
        assert_eq!(
            sts["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        );
        assert_eq!(sts["spec"]["podManagementPolicy"], "OrderedReady");
        let mut ds = json!({"spec": {}});
        default_object("apps", "DaemonSet", &mut ds);
        assert_eq!(
            ds["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
        );
        let mut job =
            json!({"metadata": {"name": "j"}, "spec": {"template": {"metadata": {"labels": {"x": "y"}}}}});
        default_object("batch", "Job", &mut job);
        assert_eq!(job["spec"]["completions"], 1);
        assert_eq!(job["spec"]["parallelism"], 1);
        assert_eq!(job["spec"]["backoffLimit"], 6);
        assert_eq!(job["metadata"]["labels"], json!({"x": "y"}));
        assert!(job["spec"].get("selector").is_none());
        let mut cj = json!({"spec": {"schedule": "@daily"}});
        default_object("batch", "CronJob", &mut cj);
        assert_eq!(cj["spec"]["concurrencyPolicy"], "Allow");
        assert_eq!(cj["spec"]["successfulJobsHistoryLimit"], 3);
        assert_eq!(cj["spec"]["failedJobsHistoryLimit"], 1);
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for kind in [
            ("", "Pod"),
            ("", "Service"),
            ("apps", "Deployment"),
            ("batch", "Job"),
            ("", "Secret"),
        ] {
            for v in [
                json!(null),
                json!([]),
                json!({"spec": 5}),
                json!({"spec": {"containers": "x"}}),
            ] {
                let mut v = v;
                default_object(kind.0, kind.1, &mut v);
            }
        }
    }
}
