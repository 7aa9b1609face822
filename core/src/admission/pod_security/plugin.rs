//! The `PodSecurity` admission plugin (validating): pods are refused when they violate
//! their namespace's enforce level and warned about at its warn level; pod controllers
//! (and pod templates) are only warned about; a namespace's new labels must be valid, and
//! raising its enforce level warns about the pods already there.
//!
//! Audit annotations (kube's `pod-security.kubernetes.io/audit-violations` and friends) are
//! not produced: Gatehouse has no audit log for them to go to.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::checks::{evaluate, forbidden_detail, forbidden_reason};
use super::config::{self, Configuration};
use super::labels::{self, policy_to_evaluate};
use super::level::{Level, LevelVersion, Policy};
use crate::admission::{Operation, Phase, Plugin, Request};
use crate::api::{self, ApiError};
use crate::server::effect::{Flow, Lookups};
use crate::validation::go_quote;

/// Pod subresources that cannot change what the checks read.
const IGNORED_POD_SUBRESOURCES: &[&str] = &[
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// At most this many existing pods are checked when a namespace's enforce level rises.
const MAX_PODS_TO_CHECK: usize = 3000;

/// Builds the plugin from its `PodSecurityConfiguration` (or none).
pub fn build(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(PodSecurity {
        config: Arc::new(config::load(config)?),
    }))
}

/// kube-apiserver's `PodSecurity`.
#[derive(Debug)]
pub struct PodSecurity {
    config: Arc<Configuration>,
}

impl Plugin for PodSecurity {
    fn name(&self) -> &'static str {
        "PodSecurity"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating || !matches!(request.operation, Operation::Create | Operation::Update) {
            return Flow::Ready(Ok(request));
        }
        match (&*request.group, &*request.resource) {
            ("", "namespaces") => self.namespace(request, cx),
            ("", "pods") => self.pod(request, cx),
            (group, resource) if template_path(group, resource).is_some() => self.controller(request, cx),
            _ => Flow::Ready(Ok(request)),
        }
    }
}

/// Where a pod controller keeps its pod template; `None` for other resources.
fn template_path(group: &str, resource: &str) -> Option<&'static [&'static str]> {
    match (group, resource) {
        ("", "podtemplates") => Some(&["template"]),
        ("", "replicationcontrollers") => Some(&["spec", "template"]),
        ("apps", "replicasets" | "deployments" | "statefulsets" | "daemonsets") => {
            Some(&["spec", "template"])
        }
        ("batch", "jobs") => Some(&["spec", "template"]),
        ("batch", "cronjobs") => Some(&["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

impl PodSecurity {
    fn pod(&self, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if IGNORED_POD_SUBRESOURCES.contains(&request.subresource.as_str())
            || self.config.exempt_namespace(&request.namespace)
            || self.config.exempt_user(&request.user.name)
        {
            return Flow::Ready(Ok(request));
        }
        let config = self.config.clone();
        let key = cx.core_key("namespaces", "", &request.namespace);
        cx.object(key).and_then(cx, move |namespace, _| {
            Flow::Ready(match namespace {
                Ok(Some(ns)) => admit_pod(&config, &ns, request),
                _ => Err(ApiError::internal(format!(
                    "failed to lookup namespace {}",
                    go_quote(&request.namespace)
                ))),
            })
        })
    }

    fn controller(&self, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if !request.subresource.is_empty()
            || self.config.exempt_namespace(&request.namespace)
            || self.config.exempt_user(&request.user.name)
        {
            return Flow::Ready(Ok(request));
        }
        let config = self.config.clone();
        let key = cx.core_key("namespaces", "", &request.namespace);
        cx.object(key).and_then(cx, move |namespace, _| {
            // Controllers are never refused: without their namespace they pass unchecked.
            Flow::Ready(Ok(match namespace {
                Ok(Some(ns)) => admit_controller(&config, &ns, request),
                _ => request,
            }))
        })
    }

    fn namespace(&self, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if !request.subresource.is_empty() {
            return Flow::Ready(Ok(request));
        }
        let name = request.name.clone();
        // The namespace's pods come from the watch cache, as kube's from its informer. kube
        // also stops after a second; evaluating cached pods in memory needs no such bound
        // beyond the number of pods checked.
        let pods = |enforce: LevelVersion| {
            let Some(def) = crate::registry::find("", "v1", "pods") else {
                return vec!["failed to list pods while checking new PodSecurity enforce level".to_string()];
            };
            let prefix = crate::registry::collection_prefix(cx.prefix, def, &name);
            let cache = cx.caches.for_key(&prefix);
            let pods: Vec<&Value> = cache.list(&prefix).map(|(_, p)| p.as_ref()).collect();
            evaluate_pods_in_namespace(&self.config, &name, enforce, &pods)
        };
        Flow::Ready(admit_namespace(&self.config, request, pods))
    }
}

/// The metadata and spec of a pod object.
fn meta_and_spec(pod: &Value) -> (&Value, &Value) {
    (
        pod.get("metadata").unwrap_or(&Value::Null),
        pod.get("spec").unwrap_or(&Value::Null),
    )
}

/// Admits a pod write given its namespace.
pub fn admit_pod(
    config: &Configuration,
    namespace: &Value,
    mut request: Request,
) -> Result<Request, ApiError> {
    let (policy, errs) = policy_to_evaluate(&api::labels(namespace), &config.defaults);
    if errs.is_empty() && policy.fully_privileged() {
        return Ok(request);
    }
    let Some(pod) = request.object.as_ref() else {
        return Err(ApiError::bad_request("failed to decode object"));
    };
    if request.operation == Operation::Update {
        let Some(old) = request.old_object.as_ref() else {
            return Err(ApiError::bad_request("failed to decode old object"));
        };
        if !significant_pod_update(pod, old) {
            return Ok(request);
        }
    }
    let (meta, spec) = meta_and_spec(pod);
    match evaluate_pod(config, &policy, meta, spec, true) {
        Ok(warnings) => {
            request.warnings.extend(warnings);
            Ok(request)
        }
        Err(why) => Err(ApiError::forbidden(
            &request.group,
            &request.resource,
            &request.name,
            &why,
        )),
    }
}

/// Warns about a pod controller's template given its namespace; never refuses.
pub fn admit_controller(config: &Configuration, namespace: &Value, mut request: Request) -> Request {
    let (policy, errs) = policy_to_evaluate(&api::labels(namespace), &config.defaults);
    if errs.is_empty() && policy.warn.level == Level::Privileged && policy.audit.level == Level::Privileged {
        return request;
    }
    let Some(path) = template_path(&request.group, &request.resource) else {
        return request;
    };
    let template = request.object.as_ref().and_then(|o| {
        let mut cur = o;
        for p in path {
            cur = cur.get(p)?;
        }
        Some(cur)
    });
    // A ReplicationController's template is optional; the others always have one.
    let template = match template {
        Some(t) if !t.is_null() => t,
        _ if request.resource == "replicationcontrollers" => return request,
        _ => &Value::Null,
    };
    let (meta, spec) = meta_and_spec(template);
    if let Ok(warnings) = evaluate_pod(config, &policy, meta, spec, false) {
        request.warnings.extend(warnings);
    }
    request
}

/// Evaluates a pod (or template): `Err` with the refusal's reason when `enforce` is asked
/// for and violated, else the warnings.
fn evaluate_pod(
    config: &Configuration,
    policy: &Policy,
    meta: &Value,
    spec: &Value,
    enforce: bool,
) -> Result<Vec<String>, String> {
    let runtime_class = spec.get("runtimeClassName").and_then(Value::as_str).unwrap_or("");
    if config.exempt_runtime_class(runtime_class) {
        return Ok(Vec::new());
    }
    if enforce {
        let violations = evaluate(policy.enforce, meta, spec);
        if !violations.is_empty() {
            return Err(format!(
                "violates PodSecurity {}: {}",
                go_quote(&policy.enforce.to_string()),
                forbidden_detail(&violations)
            ));
        }
    }
    let violations = evaluate(policy.warn, meta, spec);
    if violations.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "would violate PodSecurity {}: {}",
        go_quote(&policy.warn.to_string()),
        forbidden_detail(&violations)
    )])
}

/// Whether a pod update changes anything the checks could newly refuse: the containers
/// (their number or images) or an ephemeral container added or changed. Other fields of a
/// pod cannot change once it exists.
fn significant_pod_update(pod: &Value, old: &Value) -> bool {
    let list = |p: &Value, f: &str| -> Vec<Value> {
        p.pointer(&format!("/spec/{f}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let image = |c: &Value| c.get("image").and_then(Value::as_str).unwrap_or("").to_string();
    for field in ["containers", "initContainers"] {
        let (new, old) = (list(pod, field), list(old, field));
        if new.len() != old.len() || new.iter().zip(&old).any(|(a, b)| image(a) != image(b)) {
            return true;
        }
    }
    let old_ephemeral = list(old, "ephemeralContainers");
    list(pod, "ephemeralContainers").iter().any(|c| {
        let name = c.get("name");
        match old_ephemeral.iter().find(|o| o.get("name") == name) {
            None => true,
            Some(o) => image(o) != image(c),
        }
    })
}

/// Admits a namespace create or update: its Pod Security labels must be valid (on update,
/// unless they were already invalid the same way), and a stricter enforce level warns
/// about the namespace's pods, listed by `pods`.
pub fn admit_namespace(
    config: &Configuration,
    mut request: Request,
    pods: impl FnOnce(LevelVersion) -> Vec<String>,
) -> Result<Request, ApiError> {
    let Some(ns) = request.object.as_ref() else {
        return Err(ApiError::bad_request("failed to decode object"));
    };
    let labels = api::labels(ns);
    let ns_name = api::name(ns).to_string();
    let (policy, errs) = policy_to_evaluate(&labels, &config.defaults);
    let invalid = |request: &Request, errs: &[crate::validation::FieldError]| {
        crate::registry::strategy::invalid_error(&request.group, &request.kind, &request.name, errs)
    };
    match request.operation {
        Operation::Create => {
            if !errs.is_empty() {
                return Err(invalid(&request, &errs));
            }
            // kube names the request's namespace here, which a create of a namespace has
            // not got; it is kept for the same outcome.
            if config.exempt_namespace(&request.namespace) {
                if let Some(w) = exempt_namespace_warning(config, &ns_name, &policy, &labels) {
                    request.warnings.push(w);
                }
            }
            Ok(request)
        }
        Operation::Update => {
            let Some(old) = request.old_object.as_ref() else {
                return Err(ApiError::bad_request("failed to decode  old object"));
            };
            let (old_policy, old_errs) = policy_to_evaluate(&api::labels(old), &config.defaults);
            if !errs.is_empty() && (old_errs.is_empty() || errs != old_errs) {
                return Err(invalid(&request, &errs));
            }
            let (new, old) = (policy.enforce, old_policy.enforce);
            let relaxed_or_same = new.version == old.version && new.level.compare(old.level).is_le();
            if new == old || new.level == Level::Privileged || relaxed_or_same {
                return Ok(request);
            }
            // An update names the namespace in its path: that is the namespace kube checks.
            if config.exempt_namespace(&request.name) {
                if let Some(w) = exempt_namespace_warning(config, &ns_name, &policy, &labels) {
                    request.warnings.push(w);
                }
                return Ok(request);
            }
            request.warnings.extend(pods(policy.enforce));
            Ok(request)
        }
        _ => Ok(request),
    }
}

/// The warning for labels asking for checks in an exempt namespace.
fn exempt_namespace_warning(
    config: &Configuration,
    namespace: &str,
    policy: &Policy,
    labels: &Map<String, Value>,
) -> Option<String> {
    if policy.fully_privileged() || policy.equivalent(&config.defaults) {
        return None;
    }
    let has = |a: &str, b: &str| labels.contains_key(a) || labels.contains_key(b);
    let mut modes = Vec::new();
    for (name, lv, level_label, version_label) in [
        (
            "enforce",
            policy.enforce,
            labels::ENFORCE,
            labels::ENFORCE_VERSION,
        ),
        ("audit", policy.audit, labels::AUDIT, labels::AUDIT_VERSION),
        ("warn", policy.warn, labels::WARN, labels::WARN_VERSION),
    ] {
        if lv.level != Level::Privileged && has(level_label, version_label) {
            modes.push(format!("{name}={lv}"));
        }
    }
    Some(format!(
        "namespace {} is exempt from Pod Security, and the policy ({}) will be ignored",
        go_quote(namespace),
        modes.join(", ")
    ))
}

/// The UID of the controller owning `pod`, if any.
fn controller_uid(pod: &Value) -> Option<&str> {
    pod.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| r.get("uid").and_then(Value::as_str).unwrap_or(""))
}

/// Warnings for the pods of `namespace` that violate `enforce`: pods of exempt runtime
/// classes skipped, one pod per controller first, at most [`MAX_PODS_TO_CHECK`], pods with
/// the same reasons grouped under the lexically first name.
pub fn evaluate_pods_in_namespace(
    config: &Configuration,
    namespace: &str,
    enforce: LevelVersion,
    pods: &[&Value],
) -> Vec<String> {
    let mut prioritized = Vec::new();
    let mut duplicates = Vec::new();
    let mut controllers = Vec::new();
    for pod in pods {
        let runtime_class = pod
            .pointer("/spec/runtimeClassName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if config.exempt_runtime_class(runtime_class) {
            continue;
        }
        match controller_uid(pod) {
            None => prioritized.push(*pod),
            Some(uid) if controllers.contains(&uid) => duplicates.push(*pod),
            Some(uid) => {
                controllers.push(uid);
                prioritized.push(*pod);
            }
        }
    }
    prioritized.extend(duplicates);
    let total = prioritized.len();
    prioritized.truncate(MAX_PODS_TO_CHECK);
    // Per distinct reason: the first pod name and how many pods share it.
    let mut order: Vec<String> = Vec::new();
    let mut counts: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for pod in &prioritized {
        let (meta, spec) = meta_and_spec(pod);
        let violations = evaluate(enforce, meta, spec);
        if violations.is_empty() {
            continue;
        }
        let reason = forbidden_reason(&violations);
        let name = api::name(pod).to_string();
        match counts.get_mut(&reason) {
            Some((first, n)) => {
                if name < *first {
                    *first = name;
                }
                *n += 1;
            }
            None => {
                order.push(reason.clone());
                counts.insert(reason, (name, 1));
            }
        }
    }
    let mut warnings = Vec::new();
    if prioritized.len() < total {
        warnings.push(format!(
            "new PodSecurity enforce level only checked against the first {} of {total} existing pods",
            prioritized.len()
        ));
    }
    if !order.is_empty() {
        warnings.push(format!(
            "existing pods in namespace {} violate the new PodSecurity enforce level {}",
            go_quote(namespace),
            go_quote(&enforce.to_string())
        ));
    }
    let mut pod_warnings: Vec<String> = order
        .into_iter()
        .map(|reason| match counts.get(&reason) {
            Some((name, 1)) => format!("{name}: {reason}"),
            Some((name, 2)) => format!("{name} (and 1 other pod): {reason}"),
            Some((name, n)) => format!("{name} (and {} other pods): {reason}", n - 1),
            None => reason,
        })
        .collect();
    pod_warnings.sort();
    warnings.extend(pod_warnings);
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::UserInfo;
    use proptest::prelude::*;
    use serde_json::json;

    fn request(
        op: Operation,
        group: &'static str,
        resource: &'static str,
        kind: &'static str,
        object: Value,
    ) -> Request {
        Request {
            operation: op,
            group: group.into(),
            version: "v1".into(),
            resource: resource.into(),
            kind: kind.into(),
            namespaced: resource != "namespaces",
            namespace: if resource == "namespaces" {
                String::new()
            } else {
                "ns".into()
            },
            name: api::name(&object).to_string(),
            subresource: String::new(),
            user: UserInfo {
                name: "alice".into(),
                ..Default::default()
            },
            dry_run: false,
            object: Some(object),
            old_object: None,
            options: Value::Null,
            warnings: Vec::new(),
            deadline_ms: None,
            seed: 0,
        }
    }

    fn pod_request(pod: Value) -> Request {
        request(Operation::Create, "", "pods", "Pod", pod)
    }

    fn namespace(labels: Value) -> Value {
        json!({"metadata": {"name": "ns", "labels": labels}})
    }

    fn privileged_pod() -> Value {
        json!({"metadata": {"name": "x"}, "spec": {"containers": [
            {"name": "c", "image": "i", "securityContext": {"privileged": true}}]}})
    }

    /// A pod every level allows, with containers named `names`.
    fn compliant_pod(names: &[String]) -> Value {
        let containers: Vec<Value> = names
            .iter()
            .map(|n| {
                json!({"name": n, "image": "i", "securityContext": {
                "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}})
            })
            .collect();
        json!({"metadata": {"name": "p"}, "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": containers}})
    }

    const RESTRICTED_PRIVILEGED_MESSAGE: &str = "pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\": \
        privileged (container \"c\" must not set securityContext.privileged=true), \
        allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), \
        unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), \
        runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), \
        seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

    #[test]
    fn enforce_refuses_with_kubes_message() {
        let cfg = Configuration::default();
        let ns = namespace(json!({labels::ENFORCE: "restricted"}));
        let e = admit_pod(&cfg, &ns, pod_request(privileged_pod())).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(e.message, RESTRICTED_PRIVILEGED_MESSAGE);
    }

    #[test]
    fn warn_only_warns_and_enforce_implies_warn() {
        let cfg = Configuration::default();
        let ns = namespace(json!({labels::WARN: "baseline", labels::WARN_VERSION: "v1.30"}));
        let r = admit_pod(&cfg, &ns, pod_request(privileged_pod())).unwrap();
        assert_eq!(
            r.warnings,
            vec!["would violate PodSecurity \"baseline:v1.30\": privileged (container \"c\" must not set securityContext.privileged=true)"]
        );
        // enforce=baseline passes a pod that restricted warns about.
        let ns = namespace(json!({labels::ENFORCE: "baseline", labels::WARN: "restricted"}));
        let pod = json!({"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let r = admit_pod(&cfg, &ns, pod_request(pod)).unwrap();
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].starts_with(
            "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false"
        ));
    }

    #[test]
    fn exemptions_and_defaults() {
        let cfg = Configuration {
            defaults: Policy {
                enforce: LevelVersion {
                    level: Level::Baseline,
                    version: super::super::level::Version::Latest,
                },
                ..Policy::default()
            },
            usernames: vec!["admin".into()],
            namespaces: vec![],
            runtime_classes: vec!["kata".into()],
        };
        let plain = namespace(json!({}));
        let e = admit_pod(&cfg, &plain, pod_request(privileged_pod())).unwrap_err();
        assert!(
            e.message.contains("violates PodSecurity \"baseline:latest\""),
            "{}",
            e.message
        );
        let mut pod = privileged_pod();
        pod["spec"]["runtimeClassName"] = json!("kata");
        assert!(admit_pod(&cfg, &plain, pod_request(pod)).is_ok());
        // A label overrides the default.
        let open = namespace(json!({labels::ENFORCE: "privileged"}));
        assert!(admit_pod(&cfg, &open, pod_request(privileged_pod())).is_ok());
        // Users and namespaces are exempt before the namespace is read: see the plugin.
        assert!(cfg.exempt_user("admin"));
    }

    #[test]
    fn an_invalid_enforce_label_enforces_restricted() {
        let cfg = Configuration::default();
        let ns = namespace(json!({labels::ENFORCE: "bogus"}));
        let e = admit_pod(&cfg, &ns, pod_request(privileged_pod())).unwrap_err();
        assert!(
            e.message.contains("violates PodSecurity \"restricted:latest\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn updates_that_change_no_image_are_not_checked() {
        let cfg = Configuration::default();
        let ns = namespace(json!({labels::ENFORCE: "baseline"}));
        let old = privileged_pod();
        let mut new = old.clone();
        new["metadata"]["labels"] = json!({"a": "b"});
        let mut r = pod_request(new.clone());
        r.operation = Operation::Update;
        r.old_object = Some(old.clone());
        assert!(admit_pod(&cfg, &ns, r.clone()).is_ok());
        new["spec"]["containers"][0]["image"] = json!("j");
        r.object = Some(new.clone());
        assert_eq!(admit_pod(&cfg, &ns, r.clone()).unwrap_err().code, 403);
        // An ephemeral container added is checked.
        let mut eph = old.clone();
        eph["spec"]["ephemeralContainers"] = json!([{"name": "d", "image": "i"}]);
        assert!(significant_pod_update(&eph, &old));
        assert!(!significant_pod_update(&eph, &eph));
    }

    #[test]
    fn controllers_are_warned_about_never_refused() {
        let cfg = Configuration::default();
        let ns = namespace(json!({labels::ENFORCE: "baseline"}));
        let template = json!({"metadata": {"labels": {"a": "b"}}, "spec": privileged_pod()["spec"]});
        let cases = [
            (
                "apps",
                "deployments",
                json!({"metadata": {"name": "d"}, "spec": {"template": template}}),
            ),
            (
                "batch",
                "cronjobs",
                json!({"metadata": {"name": "d"}, "spec": {"jobTemplate": {"spec": {"template": template}}}}),
            ),
            (
                "",
                "podtemplates",
                json!({"metadata": {"name": "d"}, "template": template}),
            ),
        ];
        for (group, resource, obj) in cases {
            let r = admit_controller(&cfg, &ns, request(Operation::Create, group, resource, "X", obj));
            assert_eq!(
                r.warnings,
                vec!["would violate PodSecurity \"baseline:latest\": privileged (container \"c\" must not set securityContext.privileged=true)"],
                "{resource}"
            );
        }
        // A ReplicationController without a template has nothing to check.
        let rc = json!({"metadata": {"name": "r"}, "spec": {}});
        let r = admit_controller(
            &cfg,
            &ns,
            request(
                Operation::Create,
                "",
                "replicationcontrollers",
                "ReplicationController",
                rc,
            ),
        );
        assert!(r.warnings.is_empty());
        assert!(template_path("apps", "controllerrevisions").is_none());
    }

    fn ns_update(old_labels: Value, new_labels: Value) -> Request {
        let mut r = request(
            Operation::Update,
            "",
            "namespaces",
            "Namespace",
            namespace(new_labels),
        );
        r.old_object = Some(namespace(old_labels));
        r
    }

    #[test]
    fn invalid_labels_are_refused_with_kubes_422() {
        let cfg = Configuration::default();
        let create = request(
            Operation::Create,
            "",
            "namespaces",
            "Namespace",
            namespace(json!({labels::ENFORCE: "bogus"})),
        );
        let e = admit_namespace(&cfg, create, |_| Vec::new()).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "Namespace \"ns\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"bogus\": must be one of privileged, baseline, restricted"
        );
        let e = admit_namespace(
            &cfg,
            ns_update(json!({}), json!({labels::WARN_VERSION: "v2"})),
            |_| Vec::new(),
        )
        .unwrap_err();
        assert_eq!(e.code, 422);
        // Left invalid as it was: allowed.
        let same = json!({labels::ENFORCE: "bogus"});
        assert!(admit_namespace(&cfg, ns_update(same.clone(), same), |_| Vec::new()).is_ok());
    }

    #[test]
    fn a_stricter_enforce_level_lists_violating_pods() {
        let cfg = Configuration::default();
        let mut asked = None;
        let r = admit_namespace(
            &cfg,
            ns_update(json!({}), json!({labels::ENFORCE: "baseline"})),
            |lv| {
                asked = Some(lv);
                vec!["w".to_string()]
            },
        )
        .unwrap();
        assert_eq!(r.warnings, vec!["w"]);
        assert_eq!(asked.map(|lv| lv.to_string()).as_deref(), Some("baseline:latest"));
        // Relaxing, or keeping the level, checks nothing.
        for (old, new) in [
            (
                json!({labels::ENFORCE: "restricted"}),
                json!({labels::ENFORCE: "baseline"}),
            ),
            (
                json!({labels::ENFORCE: "baseline"}),
                json!({labels::ENFORCE: "baseline", "x": "y"}),
            ),
            (
                json!({labels::ENFORCE: "baseline"}),
                json!({labels::ENFORCE: "privileged"}),
            ),
        ] {
            let r = admit_namespace(&cfg, ns_update(old, new), |_| vec!["w".to_string()]).unwrap();
            assert!(r.warnings.is_empty());
        }
    }

    #[test]
    fn existing_pods_are_grouped_by_reason() {
        let cfg = Configuration {
            runtime_classes: vec!["kata".into()],
            ..Default::default()
        };
        let bad = |name: &str| json!({"metadata": {"name": name}, "spec": privileged_pod()["spec"]});
        let host = |name: &str| json!({"metadata": {"name": name}, "spec": {"hostNetwork": true}});
        let mut exempt = bad("a-exempt");
        exempt["spec"]["runtimeClassName"] = json!("kata");
        let pods = [
            bad("p3"),
            bad("p1"),
            bad("p2"),
            host("h1"),
            host("h0"),
            exempt,
            json!({"metadata": {"name": "ok"}}),
        ];
        let refs: Vec<&Value> = pods.iter().collect();
        let lv = LevelVersion {
            level: Level::Baseline,
            version: super::super::level::Version::Latest,
        };
        assert_eq!(
            evaluate_pods_in_namespace(&cfg, "ns", lv, &refs),
            vec![
                "existing pods in namespace \"ns\" violate the new PodSecurity enforce level \"baseline:latest\"",
                "h0 (and 1 other pod): host namespaces",
                "p1 (and 2 other pods): privileged",
            ]
        );
        assert!(evaluate_pods_in_namespace(&cfg, "ns", lv, &[]).is_empty());
    }

    /// Only modes whose labels are set are named: the warn level enforce implies is not.
    #[test]
    fn an_exempt_namespace_with_labels_is_told_they_are_ignored() {
        let cfg = Configuration {
            namespaces: vec!["ns".into()],
            ..Default::default()
        };
        let r = admit_namespace(
            &cfg,
            ns_update(
                json!({}),
                json!({labels::ENFORCE: "restricted", labels::AUDIT: "baseline"}),
            ),
            |_| vec!["pods".to_string()],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            r.warnings,
            vec!["namespace \"ns\" is exempt from Pod Security, and the policy (enforce=restricted:latest, audit=baseline:latest) will be ignored"]
        );
    }

    /// One way to break exactly one check: the level it belongs to, how to break it, and
    /// the violation that level reports (given the pod's container names and the one
    /// broken).
    struct Breaker {
        level: Level,
        apply: fn(&mut Value, usize),
        expect: fn(&[String], usize) -> String,
    }

    fn q(s: &str) -> String {
        format!("\"{s}\"")
    }

    fn container_sc(pod: &mut Value, i: usize) -> &mut Value {
        &mut pod["spec"]["containers"][i]["securityContext"]
    }

    const BREAKERS: &[Breaker] = &[
        Breaker {
            level: Level::Baseline,
            apply: |p, i| container_sc(p, i)["privileged"] = json!(true),
            expect: |n, i| {
                format!(
                    "privileged (container {} must not set securityContext.privileged=true)",
                    q(&n[i])
                )
            },
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, _| p["spec"]["hostPID"] = json!(true),
            expect: |_, _| "host namespaces (hostPID=true)".into(),
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, i| {
                p["spec"]["containers"][i]["ports"] = json!([{"containerPort": 80, "hostPort": 8080}])
            },
            expect: |n, i| format!("hostPort (container {} uses hostPort 8080)", q(&n[i])),
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, i| container_sc(p, i)["procMount"] = json!("Unmasked"),
            expect: |n, i| {
                format!(
                    "procMount (container {} must not set securityContext.procMount to \"Unmasked\")",
                    q(&n[i])
                )
            },
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, _| {
                p["spec"]["securityContext"]["sysctls"] = json!([{"name": "kernel.msgmax", "value": "1"}])
            },
            expect: |_, _| "forbidden sysctls (kernel.msgmax)".into(),
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, i| container_sc(p, i)["seLinuxOptions"] = json!({"role": "r"}),
            expect: |n, i| {
                format!("seLinuxOptions (container {} set forbidden securityContext.seLinuxOptions: role may not be set)", q(&n[i]))
            },
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, _| p["spec"]["securityContext"]["windowsOptions"] = json!({"hostProcess": true}),
            expect: |_, _| {
                "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)".into()
            },
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, i| container_sc(p, i)["appArmorProfile"] = json!({"type": "Unconfined"}),
            expect: |n, i| {
                format!("forbidden AppArmor profile (container {} must not set AppArmor profile type to \"Unconfined\")", q(&n[i]))
            },
        },
        Breaker {
            level: Level::Baseline,
            apply: |p, i| container_sc(p, i)["seccompProfile"] = json!({"type": "Unconfined"}),
            expect: |n, i| {
                format!("seccompProfile (container {} must not set securityContext.seccompProfile.type to \"Unconfined\")", q(&n[i]))
            },
        },
        Breaker {
            level: Level::Restricted,
            apply: |p, i| container_sc(p, i)["allowPrivilegeEscalation"] = json!(true),
            expect: |n, i| {
                format!("allowPrivilegeEscalation != false (container {} must set securityContext.allowPrivilegeEscalation=false)", q(&n[i]))
            },
        },
        Breaker {
            level: Level::Restricted,
            apply: |p, i| container_sc(p, i)["capabilities"]["drop"] = json!(["NET_RAW"]),
            expect: |n, i| {
                format!("unrestricted capabilities (container {} must set securityContext.capabilities.drop=[\"ALL\"])", q(&n[i]))
            },
        },
        Breaker {
            level: Level::Restricted,
            apply: |p, _| p["spec"]["securityContext"]["runAsNonRoot"] = json!(false),
            expect: |_, _| {
                "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)".into()
            },
        },
        Breaker {
            level: Level::Restricted,
            apply: |p, i| container_sc(p, i)["runAsUser"] = json!(0),
            expect: |n, i| format!("runAsUser=0 (container {} must not set runAsUser=0)", q(&n[i])),
        },
        Breaker {
            level: Level::Restricted,
            apply: |p, _| {
                if let Some(sc) = p["spec"]["securityContext"].as_object_mut() {
                    sc.remove("seccompProfile");
                }
            },
            expect: |n, _| {
                let names: Vec<String> = n.iter().map(|s| q(s)).collect();
                let noun = if n.len() == 1 { "container" } else { "containers" };
                format!(
                    "seccompProfile (pod or {noun} {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
                    names.join(", ")
                )
            },
        },
        Breaker {
            level: Level::Restricted,
            apply: |p, _| p["spec"]["volumes"] = json!([{"name": "v", "nfs": {"server": "s", "path": "/"}}]),
            expect: |_, _| {
                "restricted volume types (volume \"v\" uses restricted volume type \"nfs\")".into()
            },
        },
    ];

    proptest! {
        #[test]
        fn one_broken_check_is_refused_by_its_level_and_allowed_below(
            breaker in 0..BREAKERS.len(),
            count in 1usize..4,
            pick in 0usize..4,
            minor in prop::option::of(25u64..40),
        ) {
            let names: Vec<String> = (0..count).map(|i| format!("c{i}")).collect();
            let i = pick % count;
            let b = &BREAKERS[breaker];
            let mut pod = compliant_pod(&names);
            (b.apply)(&mut pod, i);
            let version = minor.map_or("latest".to_string(), |m| format!("v1.{m}"));
            let (level, below) = match b.level {
                Level::Baseline => ("baseline", "privileged"),
                _ => ("restricted", "baseline"),
            };
            let cfg = Configuration::default();
            let ns = namespace(json!({labels::ENFORCE: level, labels::ENFORCE_VERSION: version}));
            let e = admit_pod(&cfg, &ns, pod_request(pod.clone())).unwrap_err();
            prop_assert_eq!(e.code, 403);
            prop_assert_eq!(
                e.message,
                format!("pods \"p\" is forbidden: violates PodSecurity \"{level}:{version}\": {}", (b.expect)(&names, i))
            );
            let ns = namespace(json!({labels::ENFORCE: below, labels::ENFORCE_VERSION: version}));
            let r = admit_pod(&cfg, &ns, pod_request(pod)).unwrap();
            prop_assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        }
    }
}
