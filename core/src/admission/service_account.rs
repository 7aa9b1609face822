//! The ServiceAccount plugin: a new pod runs as a service account that exists (`default`
//! when it names none), gets the projected `kube-api-access-<suffix>` volume (a bound token,
//! the cluster CA from `kube-root-ca.crt`, its namespace) mounted into every container and
//! init container unless automounting is off, and the service account's image pull secrets
//! when it has none. A service account annotated `kubernetes.io/enforce-mountable-secrets`
//! limits the secrets its pods may reference; mirror pods may reference none of this.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::rng::Rng;
use crate::server::effect::{Effect, Flow, Lookups};

/// The service account a pod that names none runs as.
pub const DEFAULT: &str = "default";
/// Where the token volume is mounted.
pub const MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The prefix of the token volume's name.
const VOLUME_PREFIX: &str = "kube-api-access-";
/// The annotation of static pods mirrored by a kubelet.
const MIRROR: &str = "kubernetes.io/config.mirror";
/// The annotation that makes a service account limit its pods' secrets.
const ENFORCE_MOUNTABLE: &str = "kubernetes.io/enforce-mountable-secrets";
/// The projected token's lifetime: kube's 3607 s, which kubelets recognise as a token they
/// may be given longer.
const TOKEN_SECONDS: i64 = 3607;
/// How often the `default` service account of a namespace just created is looked for, and
/// how long apart, before the pod is refused (kube waits for its controller the same way).
const DEFAULT_ATTEMPTS: u32 = 10;
const RETRY_MS: u64 = 100;

/// kube-apiserver's `ServiceAccount` plugin.
#[derive(Debug)]
pub struct ServiceAccount;

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(ServiceAccount))
}

impl Plugin for ServiceAccount {
    fn name(&self) -> &'static str {
        "ServiceAccount"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if ignores(&request) {
            return Flow::Ready(Ok(request));
        }
        if request.operation == Operation::Update && request.subresource == "ephemeralcontainers" {
            return match phase {
                Phase::Mutating => Flow::Ready(Ok(request)),
                Phase::Validating => limit_ephemeral(request, cx),
            };
        }
        if request.operation != Operation::Create {
            return Flow::Ready(Ok(request));
        }
        let pod = request.object.clone().unwrap_or_default();
        if is_mirror(&pod) {
            return Flow::Ready(check_mirror(&request, &pod).map(|()| request));
        }
        match phase {
            Phase::Mutating => mutate(request, cx),
            Phase::Validating => validate(request, cx),
        }
    }
}

/// Pods only, the object itself or its ephemeral containers, with an object.
fn ignores(r: &Request) -> bool {
    !(r.group.is_empty() && r.resource == "pods")
        || !(r.subresource.is_empty() || r.subresource == "ephemeralcontainers")
        || r.object.is_none()
}

fn is_mirror(pod: &Value) -> bool {
    pod.pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .is_some_and(|a| a.contains_key(MIRROR))
}

fn spec_str<'a>(pod: &'a Value, field: &str) -> &'a str {
    pod.get("spec").map(|s| spec_field(s, field)).unwrap_or("")
}

fn spec_field<'a>(spec: &'a Value, field: &str) -> &'a str {
    spec.get(field).and_then(Value::as_str).unwrap_or("")
}

/// A mirror pod may not run as a service account nor reach secrets or tokens.
fn check_mirror(request: &Request, pod: &Value) -> Result<(), ApiError> {
    if !spec_str(pod, "serviceAccountName").is_empty() {
        return Err(request.forbidden("a mirror pod may not reference service accounts"));
    }
    if !secret_names(pod).is_empty() {
        return Err(request.forbidden("a mirror pod may not reference secrets"));
    }
    let projects_token = volumes(pod).iter().any(|v| {
        v.pointer("/projected/sources")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|p| p.get("serviceAccountToken").is_some()))
    });
    if projects_token {
        return Err(request.forbidden("a mirror pod may not use ServiceAccountToken volume projections"));
    }
    Ok(())
}

fn volumes(pod: &Value) -> Vec<Value> {
    pod.pointer("/spec/volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The containers of every kind, with the name of their kind as kube's messages give it.
fn containers(pod: &Value) -> Vec<(&'static str, &Value)> {
    let mut out = Vec::new();
    for (field, what) in [
        ("initContainers", "init container"),
        ("containers", "container"),
        ("ephemeralContainers", "ephemeral container"),
    ] {
        if let Some(list) = pod
            .get("spec")
            .and_then(|s| s.get(field))
            .and_then(Value::as_array)
        {
            out.extend(list.iter().map(|c| (what, c)));
        }
    }
    out
}

/// Every secret a pod names: volumes (secret, projected secrets, and the volume plugins'
/// secret references), env and envFrom of every container, image pull secrets.
fn secret_names(pod: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(n) = v.and_then(Value::as_str).filter(|n| !n.is_empty()) {
            names.push(n.to_string());
        }
    };
    for s in pod
        .pointer("/spec/imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(s.get("name"));
    }
    for (_, c) in containers(pod) {
        for e in c.get("envFrom").and_then(Value::as_array).into_iter().flatten() {
            push(e.pointer("/secretRef/name"));
        }
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            push(e.pointer("/valueFrom/secretKeyRef/name"));
        }
    }
    for v in volumes(pod) {
        push(v.pointer("/secret/secretName"));
        for p in v
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            push(p.pointer("/secret/name"));
        }
        for plugin in [
            "azureFile",
            "cephfs",
            "cinder",
            "flexVolume",
            "rbd",
            "scaleIO",
            "iscsi",
            "storageos",
            "csi",
        ] {
            let Some(source) = v.get(plugin) else { continue };
            push(source.get("secretName"));
            push(source.pointer("/secretRef/name"));
            push(source.pointer("/nodePublishSecretRef/name"));
        }
    }
    names
}

/// The service account `name` of `namespace`, from the cache or storage. The `default`
/// account of a namespace created a moment ago may not be written yet: it is looked for
/// again a few times before the pod is refused.
fn lookup(namespace: String, name: String, attempt: u32, cx: &Lookups<'_>) -> Flow<Result<Value, ApiError>> {
    let key = cx.core_key("serviceaccounts", &namespace, &name);
    cx.object(key).and_then(cx, move |found, _| match found {
        Ok(Some(sa)) => Flow::Ready(Ok(sa)),
        Ok(None) if name == DEFAULT && attempt + 1 < DEFAULT_ATTEMPTS => Flow::Wait(
            Effect::Timer { after_ms: RETRY_MS },
            Box::new(move |_, cx| lookup(namespace, name, attempt + 1, cx)),
        ),
        Ok(None) => Flow::Ready(Err(ApiError::not_found("", "serviceaccount", &name))),
        Err(e) => Flow::Ready(Err(e)),
    })
}

fn lookup_error(request: &Request, sa: &str, e: &ApiError) -> ApiError {
    request.forbidden(&format!(
        "error looking up service account {}/{sa}: {}",
        request.namespace, e.message
    ))
}

/// Mutating: the default account, the token volume, the pull secrets; then the checks.
fn mutate(request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
    let mut request = request;
    let Some(pod) = request.object.as_mut() else {
        return Flow::Ready(Ok(request));
    };
    if let Some(spec) = pod.get_mut("spec").filter(|s| s.is_object()) {
        if spec_field(spec, "serviceAccountName").is_empty() {
            spec["serviceAccountName"] = json!(DEFAULT);
        }
        crate::validation::defaults::sync_service_account(spec);
    }
    let name = spec_str(pod, "serviceAccountName").to_string();
    lookup(request.namespace.clone(), name.clone(), 0, cx).and_then(cx, move |sa, _| {
        let sa = match sa {
            Ok(sa) => sa,
            Err(e) => return Flow::Ready(Err(lookup_error(&request, &name, &e))),
        };
        let seed = request.seed;
        if let Some(pod) = request.object.as_mut() {
            if automounts(&sa, pod) {
                mount_token(pod, &mut Rng::new(seed));
            }
            copy_pull_secrets(&sa, pod);
        }
        Flow::Ready(limit(&request, &sa).map(|()| request))
    })
}

/// Validating: the pod runs as an account that exists, within its mountable secrets.
fn validate(request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
    let pod = request.object.clone().unwrap_or_default();
    let name = spec_str(&pod, "serviceAccountName").to_string();
    if name.is_empty() {
        let pod_name = pod
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Flow::Ready(Err(request.forbidden(&format!(
            "no service account specified for pod {}/{pod_name}",
            request.namespace
        ))));
    }
    lookup(request.namespace.clone(), name.clone(), 0, cx).and_then(cx, move |sa, _| {
        Flow::Ready(match sa {
            Ok(sa) => limit(&request, &sa).map(|()| request),
            Err(e) => Err(lookup_error(&request, &name, &e)),
        })
    })
}

/// New ephemeral containers may reference only secrets the account lets its pods mount.
fn limit_ephemeral(request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
    let pod = request.object.clone().unwrap_or_default();
    let name = spec_str(&pod, "serviceAccountName").to_string();
    if name.is_empty() {
        return Flow::Ready(Ok(request));
    }
    lookup(request.namespace.clone(), name.clone(), DEFAULT_ATTEMPTS, cx).and_then(cx, move |sa, _| {
        let sa = match sa {
            Ok(sa) => sa,
            Err(e) => return Flow::Ready(Err(lookup_error(&request, &name, &e))),
        };
        if !enforces(&sa) {
            return Flow::Ready(Ok(request));
        }
        let mountable = mountable(&sa);
        let pod = request.object.clone().unwrap_or_default();
        for c in pod
            .pointer("/spec/ephemeralContainers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Err(e) = check_env(&sa, &mountable, "ephemeral container", c) {
                return Flow::Ready(Err(request.forbidden(&e)));
            }
        }
        Flow::Ready(Ok(request))
    })
}

/// The pod's own setting wins, then the account's; automounting is on by default.
fn automounts(sa: &Value, pod: &Value) -> bool {
    pod.pointer("/spec/automountServiceAccountToken")
        .and_then(Value::as_bool)
        .or_else(|| sa.get("automountServiceAccountToken").and_then(Value::as_bool))
        .unwrap_or(true)
}

/// The projected token volume kube adds, with its defaults written out.
pub fn token_volume(name: &str) -> Value {
    json!({
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": TOKEN_SECONDS}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
            ],
        },
    })
}

/// Mounts the token volume into every container and init container that does not mount
/// something at its path already, adding the volume when one of them needs it.
fn mount_token(pod: &mut Value, rng: &mut Rng) {
    let existing = volumes(pod)
        .iter()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .find(|n| n.starts_with(VOLUME_PREFIX))
        .map(str::to_string);
    let has_volume = existing.is_some();
    let volume = existing.unwrap_or_else(|| format!("{VOLUME_PREFIX}{}", rng.name_suffix()));
    let mount = json!({"name": volume, "readOnly": true, "mountPath": MOUNT_PATH});
    let mut needs_volume = false;
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    for field in ["initContainers", "containers"] {
        for c in spec
            .get_mut(field)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(c) = c.as_object_mut() else { continue };
            let mounts = c.entry("volumeMounts").or_insert_with(|| json!([]));
            let Some(mounts) = mounts.as_array_mut() else {
                continue;
            };
            if mounts
                .iter()
                .any(|m| m.get("mountPath").and_then(Value::as_str) == Some(MOUNT_PATH))
            {
                continue;
            }
            mounts.push(mount.clone());
            needs_volume = true;
        }
    }
    if needs_volume && !has_volume {
        if let Some(v) = spec.entry("volumes").or_insert_with(|| json!([])).as_array_mut() {
            v.push(token_volume(&volume));
        }
    }
}

/// A pod with no image pull secrets gets its account's.
fn copy_pull_secrets(sa: &Value, pod: &mut Value) {
    let own = pod.pointer("/spec/imagePullSecrets").and_then(Value::as_array);
    if own.is_some_and(|s| !s.is_empty()) {
        return;
    }
    let theirs: Vec<Value> = sa
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| json!({"name": s.get("name").cloned().unwrap_or(json!(""))}))
        .collect();
    if theirs.is_empty() {
        return;
    }
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("imagePullSecrets".into(), Value::Array(theirs));
    }
}

fn enforces(sa: &Value) -> bool {
    sa.pointer(&format!(
        "/metadata/annotations/{}",
        ENFORCE_MOUNTABLE.replace('/', "~1")
    ))
    .and_then(Value::as_str)
    .is_some_and(|v| matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True"))
}

fn mountable(sa: &Value) -> Vec<String> {
    sa.get("secrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

fn sa_name(sa: &Value) -> &str {
    sa.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("")
}

fn check_env(sa: &Value, mountable: &[String], what: &str, c: &Value) -> Result<(), String> {
    let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
    for e in c.get("envFrom").and_then(Value::as_array).into_iter().flatten() {
        if let Some(n) = e.pointer("/secretRef/name").and_then(Value::as_str) {
            if !mountable.iter().any(|m| m == n) {
                return Err(format!(
                    "{what} {cname} with envFrom referencing secret.secretName=\"{n}\" is not allowed because service account {} does not reference that secret",
                    sa_name(sa)
                ));
            }
        }
    }
    for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
        if let Some(n) = e.pointer("/valueFrom/secretKeyRef/name").and_then(Value::as_str) {
            if !mountable.iter().any(|m| m == n) {
                let env = e.get("name").and_then(Value::as_str).unwrap_or("");
                return Err(format!(
                    "{what} {cname} with envVar {env} referencing secret.secretName=\"{n}\" is not allowed because service account {} does not reference that secret",
                    sa_name(sa)
                ));
            }
        }
    }
    Ok(())
}

/// With `kubernetes.io/enforce-mountable-secrets: "true"`, the pod may reference only the
/// account's secrets and image pull secrets.
fn limit(request: &Request, sa: &Value) -> Result<(), ApiError> {
    if !enforces(sa) {
        return Ok(());
    }
    let pod = request.object.clone().unwrap_or_default();
    let mountable = mountable(sa);
    for v in volumes(&pod) {
        if let Some(n) = v.pointer("/secret/secretName").and_then(Value::as_str) {
            if !mountable.iter().any(|m| m == n) {
                return Err(request.forbidden(&format!(
                    "volume with secret.secretName=\"{n}\" is not allowed because service account {} does not reference that secret",
                    sa_name(sa)
                )));
            }
        }
    }
    for (what, c) in containers(&pod)
        .into_iter()
        .filter(|(w, _)| *w != "ephemeral container")
    {
        check_env(sa, &mountable, what, c).map_err(|e| request.forbidden(&e))?;
    }
    let pull: Vec<&str> = sa
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .collect();
    for (i, s) in pod
        .pointer("/spec/imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let n = s.get("name").and_then(Value::as_str).unwrap_or("");
        if !pull.contains(&n) {
            return Err(request.forbidden(&format!(
                "imagePullSecrets[{i}].name=\"{n}\" is not allowed because service account {} does not reference that imagePullSecret",
                sa_name(sa)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Value {
        json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {
            "initContainers": [{"name": "i", "image": "busybox"}],
            "containers": [
                {"name": "a", "image": "nginx"},
                {"name": "b", "image": "nginx", "volumeMounts": [{"name": "own", "mountPath": MOUNT_PATH}]}
            ],
            "volumes": [{"name": "own", "emptyDir": {}}]
        }})
    }

    #[test]
    fn the_token_volume_goes_to_every_container_without_its_own_mount() {
        let mut p = pod();
        mount_token(&mut p, &mut Rng::new(7));
        let vols = p["spec"]["volumes"].as_array().unwrap();
        assert_eq!(vols.len(), 2);
        let name = vols[1]["name"].as_str().unwrap();
        assert!(name.starts_with("kube-api-access-") && name.len() == 21, "{name}");
        assert_eq!(
            vols[1]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
            3607
        );
        assert_eq!(p["spec"]["initContainers"][0]["volumeMounts"][0]["name"], name);
        assert_eq!(
            p["spec"]["containers"][0]["volumeMounts"][0]["mountPath"],
            MOUNT_PATH
        );
        assert_eq!(
            p["spec"]["containers"][1]["volumeMounts"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        // Admitted again (an update retried), the existing volume is reused.
        let again = p.clone();
        mount_token(&mut p, &mut Rng::new(8));
        assert_eq!(p, again);
    }

    #[test]
    fn automount_pod_wins_over_account() {
        let sa_off = json!({"automountServiceAccountToken": false});
        let mut p = pod();
        assert!(!automounts(&sa_off, &p));
        p["spec"]["automountServiceAccountToken"] = json!(true);
        assert!(automounts(&sa_off, &p));
        assert!(automounts(&json!({}), &pod()));
    }

    #[test]
    fn pull_secrets_are_copied_only_when_the_pod_has_none() {
        let sa = json!({"imagePullSecrets": [{"name": "reg"}]});
        let mut p = pod();
        copy_pull_secrets(&sa, &mut p);
        assert_eq!(p["spec"]["imagePullSecrets"], json!([{"name": "reg"}]));
        let mut q = pod();
        q["spec"]["imagePullSecrets"] = json!([{"name": "mine"}]);
        copy_pull_secrets(&sa, &mut q);
        assert_eq!(q["spec"]["imagePullSecrets"], json!([{"name": "mine"}]));
    }

    fn request(pod: Value) -> Request {
        Request {
            operation: Operation::Create,
            group: "".into(),
            version: "v1".into(),
            resource: "pods".into(),
            kind: "Pod".into(),
            namespaced: true,
            namespace: "ns".into(),
            name: "p".into(),
            subresource: String::new(),
            user: Default::default(),
            dry_run: false,
            object: Some(pod),
            old_object: None,
            options: Value::Null,
            warnings: Vec::new(),
            deadline_ms: None,
            seed: 1,
        }
    }

    #[test]
    fn enforced_mountable_secrets_are_refused_with_kubes_messages() {
        let sa = json!({"metadata": {"name": "builder", "annotations": {ENFORCE_MOUNTABLE: "true"}},
            "secrets": [{"name": "ok"}], "imagePullSecrets": [{"name": "reg"}]});
        let mut p = pod();
        p["spec"]["volumes"] = json!([{"name": "s", "secret": {"secretName": "nope"}}]);
        let e = limit(&request(p), &sa).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: volume with secret.secretName=\"nope\" is not allowed because service account builder does not reference that secret"
        );
        let mut p = pod();
        p["spec"]["containers"][0]["env"] =
            json!([{"name": "X", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]);
        let e = limit(&request(p), &sa).unwrap_err();
        assert!(e.message.ends_with("container a with envVar X referencing secret.secretName=\"nope\" is not allowed because service account builder does not reference that secret"), "{}", e.message);
        let mut p = pod();
        p["spec"]["imagePullSecrets"] = json!([{"name": "other"}]);
        let e = limit(&request(p), &sa).unwrap_err();
        assert!(e.message.ends_with("imagePullSecrets[0].name=\"other\" is not allowed because service account builder does not reference that imagePullSecret"), "{}", e.message);
        let mut p = pod();
        p["spec"]["volumes"] = json!([{"name": "s", "secret": {"secretName": "ok"}}]);
        assert!(limit(&request(p.clone()), &sa).is_ok());
        // Without the annotation nothing is limited.
        let open = json!({"metadata": {"name": "builder"}});
        p["spec"]["volumes"] = json!([{"name": "s", "secret": {"secretName": "nope"}}]);
        assert!(limit(&request(p), &open).is_ok());
    }

    #[test]
    fn mirror_pods_may_not_reference_accounts_secrets_or_tokens() {
        let mut p = pod();
        p["metadata"]["annotations"] = json!({MIRROR: "x"});
        assert!(check_mirror(&request(p.clone()), &p).is_ok());
        let mut q = p.clone();
        q["spec"]["serviceAccountName"] = json!("default");
        let e = check_mirror(&request(q.clone()), &q).unwrap_err();
        assert!(e
            .message
            .ends_with("a mirror pod may not reference service accounts"));
        let mut q = p.clone();
        q["spec"]["volumes"] = json!([{"name": "s", "secret": {"secretName": "x"}}]);
        let e = check_mirror(&request(q.clone()), &q).unwrap_err();
        assert!(e.message.ends_with("a mirror pod may not reference secrets"));
        let mut q = p;
        q["spec"]["volumes"] = json!([token_volume("kube-api-access-x")]);
        let e = check_mirror(&request(q.clone()), &q).unwrap_err();
        assert!(e
            .message
            .ends_with("a mirror pod may not use ServiceAccountToken volume projections"));
    }
}
