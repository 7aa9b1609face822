//! Pod and PodSpec validation (also used for the pod templates of the
//! workload kinds), and the Pod update rules.

use super::core::{validate_ip, validate_port_num_or_name};
use super::field_error::{go_quote, FieldError};
use super::metadata::{validate_annotations, validate_label_key, validate_labels, IS_NEGATIVE};
use super::names::{
    config_map_key_errors, dns1123_label_errors, dns1123_subdomain_errors, env_var_name_errors,
    inclusive_range_error, label_value_errors, port_name_errors, qualified_name_errors,
};
use super::quantity::Quantity;
use super::value::{arr_of, get, has, map_of, opt_i64, opt_str, semantic_eq, str_of, Path};
use serde_json::{Map, Value};

const MAX_INT32: i64 = 2_147_483_647;

/// Whether the spec belongs to a Pod or to a template embedded elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpecOwner {
    Pod,
    Template,
}

fn inv(path: &Path, v: impl Into<Value>, detail: &str) -> FieldError {
    FieldError::invalid(path.as_str(), v, detail)
}

fn label_errs(path: &Path, v: &str) -> Vec<FieldError> {
    dns1123_label_errors(v)
        .into_iter()
        .map(|m| inv(path, v, &m))
        .collect()
}

fn subdomain_errs(path: &Path, v: &str) -> Vec<FieldError> {
    dns1123_subdomain_errors(v)
        .into_iter()
        .map(|m| inv(path, v, &m))
        .collect()
}

fn nonneg(path: &Path, obj: &Value, key: &str, errs: &mut Vec<FieldError>) {
    if let Some(n) = opt_i64(obj, key) {
        if n < 0 {
            errs.push(inv(&path.child(key), n, IS_NEGATIVE));
        }
    }
}

/// Validate a Pod on create.
pub fn validate_pod(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&null);
    let sp = Path::new("spec");
    errs.extend(validate_pod_spec(spec, &sp, SpecOwner::Pod));
    for key in ["containers", "initContainers"] {
        for (i, c) in arr_of(spec, key).iter().enumerate() {
            let image = str_of(c, "image");
            if image.len() != image.trim().len() {
                errs.push(inv(
                    &sp.child(key).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    errs
}

/// Validate a pod template (`spec.template` of the workload kinds).
pub fn validate_pod_template_spec(template: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let null = Value::Null;
    let t = template.unwrap_or(&null);
    let meta = get(t, "metadata").unwrap_or(&null);
    let mut errs = validate_labels(map_of(meta, "labels"), &path.child("labels"));
    errs.extend(validate_annotations(
        map_of(meta, "annotations"),
        &path.child("annotations"),
    ));
    let spec = get(t, "spec").unwrap_or(&null);
    errs.extend(validate_pod_spec(spec, &path.child("spec"), SpecOwner::Template));
    if !arr_of(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            path.child("spec").child("ephemeralContainers").as_str(),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// Volume source keys in the order Kubernetes checks them, with the path
/// segment it uses when reporting a second source.
const VOLUME_SOURCES: [(&str, &str); 30] = [
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

fn required_field(errs: &mut Vec<FieldError>, src: &Value, path: &Path, key: &str) {
    if str_of(src, key).is_empty() {
        errs.push(FieldError::required(path.child(key).as_str(), ""));
    }
}

fn validate_volume_source(vol: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut count = 0;
    for (key, report) in VOLUME_SOURCES {
        let Some(src) = get(vol, key).filter(|v| !v.is_null()) else {
            continue;
        };
        if count > 0 {
            errs.push(FieldError::forbidden(
                path.child(report).as_str(),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        count += 1;
        let sp = path.child(key);
        match key {
            "hostPath" => required_field(&mut errs, src, &sp, "path"),
            "secret" => required_field(&mut errs, src, &sp, "secretName"),
            "configMap" => required_field(&mut errs, src, &sp, "name"),
            "persistentVolumeClaim" => required_field(&mut errs, src, &sp, "claimName"),
            "nfs" => {
                required_field(&mut errs, src, &sp, "server");
                required_field(&mut errs, src, &sp, "path");
                if !str_of(src, "path").starts_with('/') {
                    errs.push(inv(
                        &sp.child("path"),
                        str_of(src, "path"),
                        "must be an absolute path",
                    ));
                }
            }
            _ => {}
        }
        for mode_key in ["defaultMode"] {
            if let Some(m) = opt_i64(src, mode_key) {
                if !(0..=0o777).contains(&m) {
                    errs.push(inv(
                        &sp.child(mode_key),
                        m,
                        "must be a number between 0 and 0777 (octal), both inclusive",
                    ));
                }
            }
        }
    }
    if count == 0 {
        errs.push(FieldError::required(path.as_str(), "must specify a volume type"));
    }
    errs
}

/// Validate volumes; returns the names of the valid ones.
fn validate_volumes(spec: &Value, path: &Path, errs: &mut Vec<FieldError>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, vol) in arr_of(spec, "volumes").iter().enumerate() {
        let ip = path.index(i);
        let np = ip.child("name");
        let name = str_of(vol, "name");
        let mut el = validate_volume_source(vol, &ip);
        if name.is_empty() {
            el.push(FieldError::required(np.as_str(), ""));
        } else {
            el.extend(label_errs(&np, name));
        }
        if names.iter().any(|n| n == name) {
            el.push(FieldError::duplicate(np.as_str(), name));
        }
        if el.is_empty() {
            names.push(name.to_string());
        } else {
            errs.extend(el);
        }
    }
    names
}

fn validate_container_ports(c: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in arr_of(c, "ports").iter().enumerate() {
        let pp = path.index(i);
        let name = str_of(p, "name");
        if !name.is_empty() {
            let msgs = port_name_errors(name);
            if !msgs.is_empty() {
                for m in msgs {
                    errs.push(inv(&pp.child("name"), name, &m));
                }
            } else if names.contains(&name) {
                errs.push(FieldError::duplicate(pp.child("name").as_str(), name));
            } else {
                names.push(name);
            }
        }
        let cp = opt_i64(p, "containerPort").unwrap_or(0);
        if cp == 0 {
            errs.push(FieldError::required(pp.child("containerPort").as_str(), ""));
        } else if !(1..=65535).contains(&cp) {
            errs.push(inv(
                &pp.child("containerPort"),
                cp,
                &inclusive_range_error(1, 65535),
            ));
        }
        let hp = opt_i64(p, "hostPort").unwrap_or(0);
        if hp != 0 && !(1..=65535).contains(&hp) {
            errs.push(inv(&pp.child("hostPort"), hp, &inclusive_range_error(1, 65535)));
        }
        match str_of(p, "protocol") {
            "" => errs.push(FieldError::required(pp.child("protocol").as_str(), "")),
            "TCP" | "UDP" | "SCTP" => {}
            other => errs.push(FieldError::not_supported(
                pp.child("protocol").as_str(),
                other,
                &["SCTP", "TCP", "UDP"],
            )),
        }
    }
}

const ENV_FIELD_PATHS: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

const RESOURCE_FIELD_PATHS: [&str; 6] = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

fn validate_key_selector(sel: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let name = str_of(sel, "name");
    for m in dns1123_subdomain_errors(name) {
        errs.push(inv(&path.child("name"), name, &m));
    }
    let key = str_of(sel, "key");
    if key.is_empty() {
        errs.push(FieldError::required(path.child("key").as_str(), ""));
    } else {
        for m in config_map_key_errors(key) {
            errs.push(inv(&path.child("key"), key, &m));
        }
    }
}

fn validate_env_value_from(ev: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let Some(from) = get(ev, "valueFrom").filter(|v| !v.is_null()) else {
        return;
    };
    let mut n = 0;
    if let Some(fr) = get(from, "fieldRef").filter(|v| !v.is_null()) {
        n += 1;
        let fp = path.child("fieldRef");
        if str_of(fr, "apiVersion").is_empty() {
            errs.push(FieldError::required(fp.child("apiVersion").as_str(), ""));
        } else {
            let field_path = str_of(fr, "fieldPath");
            if field_path.is_empty() {
                errs.push(FieldError::required(fp.child("fieldPath").as_str(), ""));
            } else if let Some((base, sub)) = split_subscript(field_path) {
                match base {
                    "metadata.annotations" => {
                        for m in qualified_name_errors(&sub.to_lowercase()) {
                            errs.push(inv(&fp, sub.to_lowercase(), &m));
                        }
                    }
                    "metadata.labels" => {
                        for m in qualified_name_errors(sub) {
                            errs.push(inv(&fp, sub, &m));
                        }
                    }
                    other => errs.push(inv(&fp, other, "does not support subscript")),
                }
            } else if !ENV_FIELD_PATHS.contains(&field_path) {
                errs.push(FieldError::not_supported(
                    fp.child("fieldPath").as_str(),
                    field_path,
                    &ENV_FIELD_PATHS,
                ));
            }
        }
    }
    if let Some(rf) = get(from, "resourceFieldRef").filter(|v| !v.is_null()) {
        n += 1;
        let rp = path.child("resourceFieldRef");
        let res = str_of(rf, "resource");
        if res.is_empty() {
            errs.push(FieldError::required(rp.child("resource").as_str(), ""));
        } else if !RESOURCE_FIELD_PATHS.contains(&res)
            && !res.starts_with("requests.hugepages-")
            && !res.starts_with("limits.hugepages-")
        {
            errs.push(FieldError::not_supported(
                rp.child("resource").as_str(),
                res,
                &RESOURCE_FIELD_PATHS,
            ));
        }
    }
    for key in ["configMapKeyRef", "secretKeyRef"] {
        if let Some(sel) = get(from, key).filter(|v| !v.is_null()) {
            n += 1;
            validate_key_selector(sel, &path.child(key), errs);
        }
    }
    if n == 0 {
        errs.push(inv(
            path,
            "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ));
    } else if !str_of(ev, "value").is_empty() {
        errs.push(inv(path, "", "may not be specified when `value` is not empty"));
    } else if n > 1 {
        errs.push(inv(
            path,
            "",
            "may not have more than one field specified at a time",
        ));
    }
}

/// Split `metadata.labels['key']` into its base and subscript.
fn split_subscript(p: &str) -> Option<(&str, &str)> {
    let open = p.find("['")?;
    let inner = p.get(open + 2..)?.strip_suffix("']")?;
    Some((p.get(..open)?, inner))
}

fn validate_env(c: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    for (i, ev) in arr_of(c, "env").iter().enumerate() {
        let ep = path.child("env").index(i);
        let name = str_of(ev, "name");
        if name.is_empty() {
            errs.push(FieldError::required(ep.child("name").as_str(), ""));
        } else {
            for m in env_var_name_errors(name) {
                errs.push(inv(&ep.child("name"), name, &m));
            }
        }
        validate_env_value_from(ev, &ep.child("valueFrom"), errs);
    }
    let efp = path.child("envFrom");
    for (i, ef) in arr_of(c, "envFrom").iter().enumerate() {
        let ip = efp.index(i);
        let prefix = str_of(ef, "prefix");
        if !prefix.is_empty() {
            for m in env_var_name_errors(prefix) {
                errs.push(inv(&ip.child("prefix"), prefix, &m));
            }
        }
        let mut n = 0;
        for key in ["configMapRef", "secretRef"] {
            if let Some(r) = get(ef, key).filter(|v| !v.is_null()) {
                n += 1;
                let name = str_of(r, "name");
                if name.is_empty() {
                    errs.push(FieldError::required(ip.child(key).child("name").as_str(), ""));
                } else {
                    let masked = if name.len() > 1 && name.ends_with('-') {
                        format!("{}a", name.get(..name.len() - 2).unwrap_or(""))
                    } else {
                        name.to_string()
                    };
                    for m in dns1123_subdomain_errors(&masked) {
                        errs.push(inv(&ip.child(key).child("name"), name, &m));
                    }
                }
            }
        }
        if n == 0 {
            errs.push(inv(
                &efp,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if n > 1 {
            errs.push(inv(
                &efp,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
}

fn validate_volume_mounts(c: &Value, path: &Path, volumes: &[String], errs: &mut Vec<FieldError>) {
    let mut mount_points: Vec<&str> = Vec::new();
    for (i, m) in arr_of(c, "volumeMounts").iter().enumerate() {
        let mp = path.index(i);
        let name = str_of(m, "name");
        if name.is_empty() {
            errs.push(FieldError::required(mp.child("name").as_str(), ""));
        }
        if !volumes.iter().any(|v| v == name) {
            errs.push(FieldError::not_found(mp.child("name").as_str(), name));
        }
        let mount_path = str_of(m, "mountPath");
        if mount_path.is_empty() {
            errs.push(FieldError::required(mp.child("mountPath").as_str(), ""));
        }
        if mount_points.contains(&mount_path) {
            errs.push(inv(&mp.child("mountPath"), mount_path, "must be unique"));
        }
        mount_points.push(mount_path);
        let sub_path = str_of(m, "subPath");
        let sub_expr = str_of(m, "subPathExpr");
        if !sub_path.is_empty() {
            validate_local_descending_path(sub_path, &path.child("subPath"), errs);
        }
        if !sub_expr.is_empty() {
            if !sub_path.is_empty() {
                errs.push(inv(
                    &mp.child("subPathExpr"),
                    sub_expr,
                    "subPathExpr and subPath are mutually exclusive",
                ));
            }
            validate_local_descending_path(sub_expr, &path.child("subPathExpr"), errs);
        }
    }
}

fn validate_local_descending_path(p: &str, path: &Path, errs: &mut Vec<FieldError>) {
    if p.starts_with('/') {
        errs.push(inv(path, p, "must be a relative path"));
    }
    if p.split(['/', '\\']).any(|seg| seg == "..") {
        errs.push(inv(path, p, "must not contain '..'"));
    }
}

const STANDARD_RESOURCES: [&str; 22] = [
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
    "count/pods",
    "requests.hugepages",
];

fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

pub(super) fn validate_container_resource_name(name: &str, path: &Path, errs: &mut Vec<FieldError>) {
    let q = qualified_name_errors(name);
    if !q.is_empty() {
        for m in q {
            errs.push(inv(path, name, &m));
        }
    } else if !name.contains('/') && !STANDARD_RESOURCES.contains(&name) && !is_hugepages(name) {
        errs.push(inv(
            path,
            name,
            "must be a standard resource type or fully qualified",
        ));
    }
    if !name.contains('/') {
        if !matches!(name, "cpu" | "memory" | "ephemeral-storage") && !is_hugepages(name) {
            errs.push(inv(path, name, "must be a standard resource for containers"));
        }
    } else if !is_native_resource(name)
        && (name.starts_with("requests.") || !qualified_name_errors(&format!("requests.{name}")).is_empty())
    {
        errs.push(inv(path, name, "doesn't follow extended resource name standard"));
    }
}

/// `ValidateResourceQuantityValue`: the quantity parses and is not negative.
pub fn validate_quantity_value(path: &Path, v: &Value) -> Vec<FieldError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    match Quantity::parse(&text) {
        Err(e) => vec![inv(path, text.as_str(), e)],
        Ok(q) if q.is_negative() => vec![inv(path, q.text(), IS_NEGATIVE)],
        Ok(_) => Vec::new(),
    }
}

pub(super) fn parse_quantity(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

fn validate_resources(c: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let null = Value::Null;
    let res = get(c, "resources").unwrap_or(&null);
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let limits = map_of(res, "limits");
    let requests = map_of(res, "requests");
    let (mut lim_cpu_mem, mut req_cpu_mem, mut huge) = (false, false, false);
    for (name, q) in limits.into_iter().flatten() {
        let fp = lim_path.key(name);
        validate_container_resource_name(name, &fp, errs);
        errs.extend(validate_quantity_value(&fp, q));
        lim_cpu_mem |= name == "cpu" || name == "memory";
        huge |= is_hugepages(name);
    }
    for (name, q) in requests.into_iter().flatten() {
        let fp = req_path.key(name);
        validate_container_resource_name(name, &fp, errs);
        errs.extend(validate_quantity_value(&fp, q));
        let overcommit = is_native_resource(name) && !is_hugepages(name);
        match limits.and_then(|l| l.get(name)) {
            Some(lq) => {
                if let (Some(rq), Some(lq)) = (parse_quantity(q), parse_quantity(lq)) {
                    let ord = rq.cmp_value(&lq);
                    if ord != std::cmp::Ordering::Equal && !overcommit {
                        errs.push(inv(
                            &req_path,
                            rq.text(),
                            &format!("must be equal to {name} limit of {}", lq.text()),
                        ));
                    } else if ord == std::cmp::Ordering::Greater {
                        errs.push(inv(
                            &req_path,
                            rq.text(),
                            &format!("must be less than or equal to {name} limit of {}", lq.text()),
                        ));
                    }
                }
            }
            None if !overcommit => {
                errs.push(FieldError::required(
                    lim_path.as_str(),
                    "Limit must be set for non overcommitable resources",
                ));
            }
            None => {}
        }
        req_cpu_mem |= name == "cpu" || name == "memory";
        huge |= is_hugepages(name);
    }
    if huge && !lim_cpu_mem && !req_cpu_mem {
        errs.push(FieldError::forbidden(
            path.as_str(),
            "HugePages require cpu or memory",
        ));
    }
}

fn validate_handler(h: &Value, path: &Path, probe: bool, errs: &mut Vec<FieldError>) {
    let kinds: &[&str] = if probe {
        &["exec", "httpGet", "tcpSocket", "grpc"]
    } else {
        &["exec", "httpGet", "tcpSocket", "sleep"]
    };
    let mut n = 0;
    for k in kinds {
        let Some(a) = get(h, k).filter(|v| !v.is_null()) else {
            continue;
        };
        let ap = path.child(k);
        if n > 0 {
            errs.push(FieldError::forbidden(
                ap.as_str(),
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        n += 1;
        match *k {
            "exec" if arr_of(a, "command").is_empty() => {
                errs.push(FieldError::required(ap.child("command").as_str(), ""));
            }
            "httpGet" => {
                if str_of(a, "path").is_empty() {
                    errs.push(FieldError::required(ap.child("path").as_str(), ""));
                }
                errs.extend(validate_port_num_or_name(&ap.child("port"), get(a, "port")));
                let scheme = str_of(a, "scheme");
                if scheme != "HTTP" && scheme != "HTTPS" {
                    errs.push(FieldError::not_supported(
                        ap.child("scheme").as_str(),
                        scheme,
                        &["HTTP", "HTTPS"],
                    ));
                }
            }
            "tcpSocket" | "grpc" => errs.extend(validate_port_num_or_name(&ap.child("port"), get(a, "port"))),
            _ => {}
        }
    }
    if n == 0 {
        errs.push(FieldError::required(path.as_str(), "must specify a handler type"));
    }
}

fn validate_probe(c: &Value, key: &str, path: &Path, errs: &mut Vec<FieldError>) {
    let Some(p) = get(c, key).filter(|v| !v.is_null()) else {
        return;
    };
    let pp = path.child(key);
    validate_handler(p, &pp, true, errs);
    for k in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        nonneg(&pp, p, k, errs);
    }
    if let Some(t) = opt_i64(p, "terminationGracePeriodSeconds") {
        if key == "readinessProbe" {
            errs.push(inv(
                &pp.child("terminationGracePeriodSeconds"),
                t,
                "must not be set for readinessProbes",
            ));
        } else if t <= 0 {
            errs.push(inv(
                &pp.child("terminationGracePeriodSeconds"),
                t,
                "must be greater than 0",
            ));
        }
    }
    if key != "readinessProbe" {
        if let Some(s) = opt_i64(p, "successThreshold") {
            if s != 1 {
                errs.push(inv(&pp.child("successThreshold"), s, "must be 1"));
            }
        }
    }
}

fn validate_lifecycle_and_probes(c: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    if let Some(lc) = get(c, "lifecycle").filter(|v| !v.is_null()) {
        for k in ["postStart", "preStop"] {
            if let Some(h) = get(lc, k).filter(|v| !v.is_null()) {
                validate_handler(h, &path.child("lifecycle").child(k), false, errs);
            }
        }
    }
    for k in ["livenessProbe", "readinessProbe", "startupProbe"] {
        validate_probe(c, k, path, errs);
    }
}

fn validate_security_context(c: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let Some(sc) = get(c, "securityContext").filter(|v| !v.is_null()) else {
        return;
    };
    let sp = path.child("securityContext");
    for k in ["runAsUser", "runAsGroup"] {
        if let Some(n) = opt_i64(sc, k) {
            if !(0..=4_294_967_295).contains(&n) {
                errs.push(inv(&sp.child(k), n, &inclusive_range_error(0, 4_294_967_295)));
            }
        }
    }
    if let Some(pm) = opt_str(sc, "procMount") {
        if pm != "Default" && pm != "Unmasked" {
            errs.push(FieldError::not_supported(
                sp.child("procMount").as_str(),
                pm,
                &["Default", "Unmasked"],
            ));
        }
    }
    if get(sc, "allowPrivilegeEscalation").and_then(Value::as_bool) == Some(false)
        && get(sc, "privileged").and_then(Value::as_bool) == Some(true)
    {
        errs.push(FieldError::invalid_rendered(
            sp.as_str(),
            "&core.SecurityContext{...}".to_string(),
            "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
        ));
    }
}

fn validate_container_common(c: &Value, path: &Path, volumes: &[String], errs: &mut Vec<FieldError>) {
    let name = str_of(c, "name");
    if name.is_empty() {
        errs.push(FieldError::required(path.child("name").as_str(), ""));
    } else {
        errs.extend(label_errs(&path.child("name"), name));
    }
    if str_of(c, "image").is_empty() {
        errs.push(FieldError::required(path.child("image").as_str(), ""));
    }
    match str_of(c, "terminationMessagePolicy") {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(
            path.child("terminationMessagePolicy").as_str(),
            "",
        )),
        other => errs.push(FieldError::not_supported(
            path.child("terminationMessagePolicy").as_str(),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    validate_container_ports(c, &path.child("ports"), errs);
    validate_env(c, path, errs);
    validate_volume_mounts(c, &path.child("volumeMounts"), volumes, errs);
    match str_of(c, "imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.push(FieldError::required(path.child("imagePullPolicy").as_str(), "")),
        other => errs.push(FieldError::not_supported(
            path.child("imagePullPolicy").as_str(),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    validate_resources(c, &path.child("resources"), errs);
    validate_security_context(c, path, errs);
}

fn check_host_ports(containers: &[&Value], base: &Path, indexes: &[usize], errs: &mut Vec<FieldError>) {
    let mut seen: Vec<String> = Vec::new();
    for (c, ci) in containers.iter().zip(indexes) {
        for (pi, p) in arr_of(c, "ports").iter().enumerate() {
            let hp = opt_i64(p, "hostPort").unwrap_or(0);
            if hp == 0 {
                continue;
            }
            let key = format!("{}/{}/{}", str_of(p, "protocol"), str_of(p, "hostIP"), hp);
            if seen.contains(&key) {
                errs.push(FieldError::duplicate(
                    base.index(*ci)
                        .child("ports")
                        .index(pi)
                        .child("hostPort")
                        .as_str(),
                    key.as_str(),
                ));
            } else {
                seen.push(key);
            }
        }
    }
}

fn validate_containers(spec: &Value, path: &Path, volumes: &[String], errs: &mut Vec<FieldError>) {
    let containers = arr_of(spec, "containers");
    let cp = path.child("containers");
    if containers.is_empty() {
        errs.push(FieldError::required(cp.as_str(), ""));
        return;
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let p = cp.index(i);
        validate_container_common(c, &p, volumes, errs);
        let name = str_of(c, "name");
        if names.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name").as_str(), name));
        } else {
            names.push(name);
        }
        validate_lifecycle_and_probes(c, &p, errs);
        if has(c, "restartPolicy") {
            errs.push(FieldError::forbidden(
                p.child("restartPolicy").as_str(),
                "may not be set for non-init containers",
            ));
        }
    }
    let all: Vec<&Value> = containers.iter().collect();
    let idx: Vec<usize> = (0..containers.len()).collect();
    check_host_ports(&all, &cp, &idx, errs);
}

fn validate_init_containers(spec: &Value, path: &Path, volumes: &[String], errs: &mut Vec<FieldError>) {
    let ip = path.child("initContainers");
    let mut names: Vec<&str> = arr_of(spec, "containers")
        .iter()
        .map(|c| str_of(c, "name"))
        .collect();
    for (i, c) in arr_of(spec, "initContainers").iter().enumerate() {
        let p = ip.index(i);
        validate_container_common(c, &p, volumes, errs);
        let mut restart_always = false;
        if let Some(rp) = opt_str(c, "restartPolicy") {
            if rp == "Always" {
                restart_always = true;
            } else {
                errs.push(FieldError::not_supported(
                    p.child("restartPolicy").as_str(),
                    rp,
                    &["Always"],
                ));
            }
        }
        let name = str_of(c, "name");
        if names.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name").as_str(), name));
        } else if !name.is_empty() {
            names.push(name);
        }
        check_host_ports(&[c], &ip, &[i], errs);
        if restart_always {
            validate_lifecycle_and_probes(c, &p, errs);
        } else {
            for k in ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"] {
                if has(c, k) {
                    errs.push(FieldError::forbidden(
                        p.child(k).as_str(),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
}

fn validate_tolerations(spec: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    for (i, t) in arr_of(spec, "tolerations").iter().enumerate() {
        let p = path.index(i);
        let key = str_of(t, "key");
        let op = str_of(t, "operator");
        let effect = str_of(t, "effect");
        if !key.is_empty() {
            errs.extend(validate_label_key(key, &p.child("key")));
        }
        if key.is_empty() && op != "Exists" {
            errs.push(inv(
                &p.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if has(t, "tolerationSeconds") && effect != "NoExecute" {
            errs.push(inv(
                &p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        let value = str_of(t, "value");
        match op {
            "Equal" | "" => {
                let e = label_value_errors(value);
                if !e.is_empty() {
                    errs.push(inv(&p.child("operator"), value, &e.join(";")));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(inv(
                        &p.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                p.child("operator").as_str(),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            errs.push(FieldError::not_supported(
                p.child("effect").as_str(),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
}

fn validate_dns(spec: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let policy = str_of(spec, "dnsPolicy");
    match policy {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => errs.push(FieldError::required(path.child("dnsPolicy").as_str(), "")),
        other => errs.push(FieldError::not_supported(
            path.child("dnsPolicy").as_str(),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    let cp = path.child("dnsConfig");
    let cfg = get(spec, "dnsConfig").filter(|v| !v.is_null());
    if policy == "None" {
        match cfg {
            None => {
                errs.push(FieldError::required(
                    cp.as_str(),
                    "must provide `dnsConfig` when `dnsPolicy` is None",
                ));
                return;
            }
            Some(c) if arr_of(c, "nameservers").is_empty() => {
                errs.push(FieldError::required(
                    cp.child("nameservers").as_str(),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                ));
                return;
            }
            _ => {}
        }
    }
    let Some(cfg) = cfg else {
        return;
    };
    let ns = arr_of(cfg, "nameservers");
    if ns.len() > 3 {
        errs.push(FieldError::invalid(
            cp.child("nameservers").as_str(),
            Value::Array(ns.to_vec()),
            "must not have more than 3 nameservers",
        ));
    }
    for (i, n) in ns.iter().enumerate() {
        errs.extend(validate_ip(
            &cp.child("nameservers").index(i),
            n.as_str().unwrap_or(""),
        ));
    }
    for (i, s) in arr_of(cfg, "searches").iter().enumerate() {
        let s = s.as_str().unwrap_or("");
        if s != "." {
            let trimmed = s.strip_suffix('.').unwrap_or(s);
            let ok = !trimmed.is_empty()
                && trimmed.split('.').all(|l| {
                    let l = l.strip_prefix('_').unwrap_or(l);
                    !l.is_empty()
                        && l.bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
                        && l.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
                        && l.bytes().last().is_some_and(|c| c.is_ascii_alphanumeric())
                });
            if !ok {
                errs.push(inv(
                    &cp.child("searches").index(i),
                    trimmed,
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')",
                ));
            }
        }
    }
}

fn validate_pod_spec(spec: &Value, path: &Path, owner: SpecOwner) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if !has(spec, "terminationGracePeriodSeconds") {
        errs.push(FieldError::required(
            path.child("terminationGracePeriodSeconds").as_str(),
            "",
        ));
    }
    let volumes = validate_volumes(spec, &path.child("volumes"), &mut errs);
    validate_containers(spec, path, &volumes, &mut errs);
    validate_init_containers(spec, path, &volumes, &mut errs);

    if get(spec, "hostNetwork").and_then(Value::as_bool) == Some(true) {
        for (i, c) in arr_of(spec, "containers").iter().enumerate() {
            for (j, p) in arr_of(c, "ports").iter().enumerate() {
                let hp = opt_i64(p, "hostPort").unwrap_or(0);
                let cp = opt_i64(p, "containerPort").unwrap_or(0);
                if (owner == SpecOwner::Pod || hp != 0) && hp != cp {
                    errs.push(inv(
                        &path
                            .child("containers")
                            .index(i)
                            .child("ports")
                            .index(j)
                            .child("hostPort"),
                        hp,
                        "must match `containerPort` when `hostNetwork` is true",
                    ));
                }
            }
        }
    }
    match str_of(spec, "restartPolicy") {
        "Always" | "OnFailure" | "Never" => {}
        "" => errs.push(FieldError::required(path.child("restartPolicy").as_str(), "")),
        other => errs.push(FieldError::not_supported(
            path.child("restartPolicy").as_str(),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    validate_dns(spec, path, &mut errs);
    errs.extend(validate_labels(
        map_of(spec, "nodeSelector"),
        &path.child("nodeSelector"),
    ));
    for (key, sub) in [
        ("serviceAccountName", true),
        ("nodeName", true),
        ("priorityClassName", true),
    ] {
        let v = str_of(spec, key);
        if !v.is_empty() && sub {
            errs.extend(subdomain_errs(&path.child(key), v));
        }
    }
    if let Some(a) = get(spec, "activeDeadlineSeconds").filter(|v| !v.is_null()) {
        let n = a.as_i64().unwrap_or(0);
        if !(1..=MAX_INT32).contains(&n) {
            errs.push(inv(
                &path.child("activeDeadlineSeconds"),
                n,
                &inclusive_range_error(1, MAX_INT32),
            ));
        }
    }
    for key in ["hostname", "subdomain"] {
        let v = str_of(spec, key);
        if !v.is_empty() {
            errs.extend(label_errs(&path.child(key), v));
        }
    }
    validate_tolerations(spec, &path.child("tolerations"), &mut errs);
    for (i, ha) in arr_of(spec, "hostAliases").iter().enumerate() {
        let hp = path.child("hostAliases").index(i);
        errs.extend(validate_ip(&hp.child("ip"), str_of(ha, "ip")));
        for (j, h) in arr_of(ha, "hostnames").iter().enumerate() {
            errs.extend(subdomain_errs(
                &hp.child("hostnames").index(j),
                h.as_str().unwrap_or(""),
            ));
        }
    }
    if let Some(rc) = opt_str(spec, "runtimeClassName") {
        errs.extend(subdomain_errs(&path.child("runtimeClassName"), rc));
    }
    if let Some(pp) = opt_str(spec, "preemptionPolicy") {
        match pp {
            "PreemptLowerPriority" | "Never" => {}
            "" => errs.push(FieldError::required(path.child("preemptionPolicy").as_str(), "")),
            other => errs.push(FieldError::not_supported(
                path.child("preemptionPolicy").as_str(),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    if let Some(os) = get(spec, "os").filter(|v| !v.is_null()) {
        match str_of(os, "name") {
            "" => errs.push(FieldError::required(
                path.child("os").child("name").as_str(),
                "cannot be empty",
            )),
            "linux" | "windows" => {}
            other => errs.push(FieldError::not_supported(
                path.child("os").as_str(),
                other,
                &["linux", "windows"],
            )),
        }
    }
    for (i, g) in arr_of(spec, "readinessGates").iter().enumerate() {
        let p = path.child("readinessGates").index(i).child("conditionType");
        let ct = str_of(g, "conditionType");
        for m in qualified_name_errors(ct) {
            errs.push(inv(&p, ct, &m));
        }
    }
    errs
}

// ---------------------------------------------------------------- updates

const UPDATABLE_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

fn go_field_name(json_key: &str) -> String {
    let mut c = json_key.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn render_diff_value(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "nil".to_string(),
        Some(Value::String(s)) => go_quote(s),
        Some(other) => other.to_string(),
    }
}

fn spec_diff(old: &Value, new: &Value) -> String {
    struct_diff("core.PodSpec", old, new)
}

/// A compact field-level diff of two JSON objects, in the spirit of the
/// `cmp.Diff` text Kubernetes appends to "immutable" errors; `type_name` is
/// the Go type printed as the header (e.g. `core.PodSpec`).
pub(super) fn struct_diff(type_name: &str, old: &Value, new: &Value) -> String {
    let mut out = format!("  {type_name}{{\n");
    let empty = Map::new();
    let om = old.as_object().unwrap_or(&empty);
    let nm = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = om.keys().chain(nm.keys()).collect();
    keys.dedup();
    let mut seen: Vec<&String> = Vec::new();
    for k in keys {
        if seen.contains(&k) {
            continue;
        }
        seen.push(k);
        let (o, n) = (om.get(k), nm.get(k));
        if semantic_eq(o, n) {
            continue;
        }
        let name = go_field_name(k);
        out.push_str(&format!("- \t{name}: {},\n", render_diff_value(o)));
        out.push_str(&format!("+ \t{name}: {},\n", render_diff_value(n)));
    }
    out.push_str("  }\n");
    out
}

/// Validate a Pod update: only images, activeDeadlineSeconds, added
/// tolerations and removed scheduling gates may change in `spec`.
pub fn validate_pod_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    errs = validate_pod(new, errs);
    let ns = get(new, "spec").unwrap_or(&null);
    let os = get(old, "spec").unwrap_or(&null);
    let sp = Path::new("spec");
    for key in ["containers", "initContainers"] {
        let (nc, oc) = (arr_of(ns, key), arr_of(os, key));
        if nc.len() != oc.len() {
            errs.push(FieldError::forbidden(
                sp.child(key).as_str(),
                "pod updates may not add or remove containers",
            ));
            return errs;
        }
        for (i, c) in nc.iter().enumerate() {
            if str_of(c, "image").is_empty() {
                errs.push(FieldError::required(
                    sp.child(key).index(i).child("image").as_str(),
                    "",
                ));
            }
        }
    }
    let ad_path = sp.child("activeDeadlineSeconds");
    match (
        opt_i64(ns, "activeDeadlineSeconds"),
        opt_i64(os, "activeDeadlineSeconds"),
    ) {
        (Some(n), old_ad) => {
            if !(0..=MAX_INT32).contains(&n) {
                errs.push(inv(&ad_path, n, &inclusive_range_error(0, MAX_INT32)));
                return errs;
            }
            if old_ad.is_some_and(|o| o < n) {
                errs.push(inv(&ad_path, n, "must be less than or equal to previous value"));
                return errs;
            }
        }
        (None, Some(_)) => errs.push(inv(
            &ad_path,
            "null",
            "must not update from a positive integer to nil value",
        )),
        (None, None) => {}
    }
    // Tolerations may only be added (tolerationSeconds may change).
    let strip = |t: &Value| {
        let mut t = t.clone();
        if let Some(m) = t.as_object_mut() {
            m.remove("tolerationSeconds");
        }
        t
    };
    let new_tols: Vec<Value> = arr_of(ns, "tolerations").iter().map(strip).collect();
    for old_t in arr_of(os, "tolerations") {
        let o = strip(old_t);
        if !new_tols.iter().any(|n| semantic_eq(Some(n), Some(&o))) {
            errs.push(FieldError::forbidden(
                sp.child("tolerations").as_str(),
                "existing toleration can not be modified except its tolerationSeconds",
            ));
            break;
        }
    }
    let old_gates: Vec<&str> = arr_of(os, "schedulingGates")
        .iter()
        .map(|g| str_of(g, "name"))
        .collect();
    for (i, g) in arr_of(ns, "schedulingGates").iter().enumerate() {
        let name = str_of(g, "name");
        if !old_gates.contains(&name) {
            errs.push(FieldError::forbidden(
                sp.child("schedulingGates").index(i).child("name").as_str(),
                &format!("only deletion is allowed, but found new scheduling gate '{name}'"),
            ));
        }
    }
    if semantic_eq(Some(ns), Some(os)) {
        return errs;
    }
    let mut munged = ns.clone();
    for key in ["containers", "initContainers"] {
        let old_images: Vec<Value> = arr_of(os, key)
            .iter()
            .map(|c| get(c, "image").cloned().unwrap_or(Value::Null))
            .collect();
        if let Some(list) = munged.get_mut(key).and_then(Value::as_array_mut) {
            for (c, img) in list.iter_mut().zip(old_images) {
                if let Some(m) = c.as_object_mut() {
                    m.insert("image".to_string(), img);
                }
            }
        }
    }
    if let Some(m) = munged.as_object_mut() {
        for key in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
            match os.get(key) {
                Some(v) => m.insert(key.to_string(), v.clone()),
                None => m.remove(key),
            };
        }
        let old_grace = opt_i64(os, "terminationGracePeriodSeconds");
        if old_grace.is_some_and(|g| g < 0)
            && m.get("terminationGracePeriodSeconds").and_then(Value::as_i64) == Some(1)
        {
            if let Some(g) = old_grace {
                m.insert("terminationGracePeriodSeconds".to_string(), Value::from(g));
            }
        }
    }
    if !semantic_eq(Some(&munged), Some(os)) {
        errs.push(FieldError::forbidden(
            "spec",
            &format!(
                "pod updates may not change fields other than {UPDATABLE_FIELDS}\n{}",
                spec_diff(os, &munged)
            ),
        ));
    }
    errs
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{default_object, validate_create, validate_update, FieldError};
    use serde_json::{json, Value};

    pub fn pod(spec: Value) -> Value {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": spec});
        default_object("", "Pod", &mut p);
        p
    }

    fn nginx() -> Value {
        json!({"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "name": "http"}],
            "env": [{"name": "A", "value": "1"}, {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 80}}}],
            "volumes": [{"name": "data", "emptyDir": {}}]})
    }

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    fn single(spec: Value) -> FieldError {
        let errs = validate_create("", "Pod", &pod(spec));
        assert_eq!(errs.len(), 1, "{:?}", msgs(&errs));
        errs.into_iter().next().unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn realistic_pod_is_valid() {
        let errs = validate_create("", "Pod", &pod(nginx()));
        assert!(errs.is_empty(), "{:?}", msgs(&errs));
    }

    #[test]
    fn needs_a_container() {
        let e = single(json!({"containers": []}));
        assert_eq!(e.message(), "spec.containers: Required value");
    }

    #[test]
    fn container_names_and_images() {
        let e = single(json!({"containers": [{"name": "Web", "image": "x"}]}));
        assert_eq!(e.field, "spec.containers[0].name");
        assert!(e
            .message()
            .starts_with("spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label"));
        let e = single(
            json!({"containers": [{"name": "a", "image": "x"}], "initContainers": [{"name": "a", "image": "y"}]}),
        );
        assert_eq!(e.message(), "spec.initContainers[0].name: Duplicate value: \"a\"");
        let e = single(json!({"containers": [{"name": "a"}]}));
        assert_eq!(e.message(), "spec.containers[0].image: Required value");
        let e = single(json!({"containers": [{"name": "a", "image": " x"}]}));
        assert_eq!(
            e.message(),
            "spec.containers[0].image: Invalid value: \" x\": must not have leading or trailing whitespace"
        );
    }

    #[test]
    fn ports() {
        let e =
            single(json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 70000}]}]}));
        assert_eq!(e.message(), "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive");
        let e = single(
            json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "name": "web"}, {"containerPort": 81, "name": "web"}]}]}),
        );
        assert_eq!(
            e.message(),
            "spec.containers[0].ports[1].name: Duplicate value: \"web\""
        );
    }

    #[test]
    fn env_names() {
        let e = single(
            json!({"containers": [{"name": "a", "image": "x", "env": [{"name": "A=B", "value": "1"}]}]}),
        );
        assert_eq!(
            e.message(),
            "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"
        );
        let e = single(
            json!({"containers": [{"name": "a", "image": "x", "env": [{"name": "P", "valueFrom": {"fieldRef": {"fieldPath": "spec.bogus"}}}]}]}),
        );
        assert_eq!(e.field, "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath");
        assert_eq!(e.reason(), "FieldValueNotSupported");
    }

    #[test]
    fn resources() {
        let e = single(
            json!({"containers": [{"name": "a", "image": "x", "resources": {"requests": {"cpu": "abc"}}}]}),
        );
        assert_eq!(
            e.message(),
            "spec.containers[0].resources.requests[cpu]: Invalid value: \"abc\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
        let e = single(
            json!({"containers": [{"name": "a", "image": "x", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]}),
        );
        assert_eq!(e.message(), "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1");
        let e = single(
            json!({"containers": [{"name": "a", "image": "x", "resources": {"requests": {"memory": "-1Gi"}}}]}),
        );
        assert_eq!(e.message(), "spec.containers[0].resources.requests[memory]: Invalid value: \"-1Gi\": must be greater than or equal to 0");
        let errs = validate_create(
            "",
            "Pod",
            &pod(
                json!({"containers": [{"name": "a", "image": "x", "resources": {"requests": {"bogus": "1"}}}]}),
            ),
        );
        assert_eq!(msgs(&errs), vec![
            "spec.containers[0].resources.requests[bogus]: Invalid value: \"bogus\": must be a standard resource type or fully qualified".to_string(),
            "spec.containers[0].resources.requests[bogus]: Invalid value: \"bogus\": must be a standard resource for containers".to_string(),
        ]);
    }

    #[test]
    fn policies() {
        let e = single(json!({"restartPolicy": "Sometimes", "containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(
            e.message(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
        );
        let e = single(json!({"dnsPolicy": "Magic", "containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(
            e.message(),
            "spec.dnsPolicy: Unsupported value: \"Magic\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""
        );
    }

    #[test]
    fn volumes() {
        let e = single(
            json!({"containers": [{"name": "a", "image": "x"}], "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]}),
        );
        assert_eq!(e.message(), "spec.volumes[1].name: Duplicate value: \"v\"");
        let e = single(
            json!({"containers": [{"name": "a", "image": "x"}], "volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]}),
        );
        assert_eq!(
            e.message(),
            "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"
        );
        let e = single(
            json!({"containers": [{"name": "a", "image": "x", "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}]}),
        );
        assert_eq!(
            e.message(),
            "spec.containers[0].volumeMounts[0].name: Not found: \"nope\""
        );
    }

    #[test]
    fn pod_update_rules() {
        let old = pod(nginx());
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        assert!(validate_update("", "Pod", &new, &old).is_empty());
        let mut new = old.clone();
        new["spec"]["nodeName"] = json!("node-1");
        let errs = validate_update("", "Pod", &new, &old);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].reason(), "FieldValueForbidden");
        assert!(errs[0].message().starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"));
        assert!(errs[0].message().contains("+ \tNodeName: \"node-1\","));
        let mut new = old.clone();
        new["spec"]["tolerations"] = json!([{"key": "k", "operator": "Exists"}]);
        assert!(validate_update("", "Pod", &new, &old).is_empty());
    }
}
