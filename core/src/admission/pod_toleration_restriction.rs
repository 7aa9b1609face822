//! The PodTolerationRestriction plugin: a new pod gets its namespace's default tolerations
//! (the `scheduler.alpha.kubernetes.io/defaultTolerations` annotation, else the
//! configuration's `default`), a pod that is not BestEffort tolerates memory pressure, and
//! a pod's tolerations must all be covered by its namespace's whitelist (the
//! `scheduler.alpha.kubernetes.io/tolerationsWhitelist` annotation, else the
//! configuration's `whitelist`). The configuration is a
//! `podtolerationrestriction.admission.k8s.io/v1alpha1` `Configuration`.

use std::sync::Arc;

use serde_json::{json, Value};

use super::lookup::{annotation, plain_error};
use super::tolerations::{merge, of_pod, set_on_pod, Toleration};
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};
use crate::validation::Quantity;

/// The namespace annotation with its default tolerations (a JSON list).
pub const DEFAULTS: &str = "scheduler.alpha.kubernetes.io/defaultTolerations";
/// The namespace annotation with its whitelist of tolerations (a JSON list).
pub const WHITELIST: &str = "scheduler.alpha.kubernetes.io/tolerationsWhitelist";
const CONFIG_VERSION: &str = "podtolerationrestriction.admission.k8s.io/v1alpha1";

/// kube-apiserver's `PodTolerationRestriction` (mutating and validating).
#[derive(Debug, Default, Clone)]
pub struct PodTolerationRestriction {
    /// The cluster's default tolerations.
    default: Vec<Value>,
    /// The cluster's whitelist.
    whitelist: Vec<Value>,
}

/// Builds the plugin from its `Configuration` (absent: no defaults, no whitelist).
pub fn build(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    if config.is_null() {
        return Ok(Arc::new(PodTolerationRestriction::default()));
    }
    let api_version = config.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = config.get("kind").and_then(Value::as_str).unwrap_or("");
    if api_version != CONFIG_VERSION || kind != "Configuration" {
        return Err(format!(
            "no kind \"{kind}\" is registered for version \"{api_version}\""
        ));
    }
    let list = |field: &str| -> Result<Vec<Value>, String> {
        match config.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(_) => Err(format!("{field}: expected a list of tolerations")),
        }
    };
    Ok(Arc::new(PodTolerationRestriction {
        default: list("default")?,
        whitelist: list("whitelist")?,
    }))
}

/// The tolerations a namespace annotation lists: `None` when it has no such annotation,
/// empty when it is empty.
pub fn annotated(namespace: &Value, key: &str) -> Result<Option<Vec<Value>>, String> {
    match annotation(namespace, key) {
        None => Ok(None),
        Some("") => Ok(Some(Vec::new())),
        Some(text) => serde_json::from_str::<Vec<Value>>(text)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

/// Whether every toleration is covered by one of the whitelist (an empty whitelist allows
/// all).
pub fn within_whitelist(tolerations: &[Value], whitelist: &[Value]) -> bool {
    let whitelist: Vec<Toleration> = whitelist.iter().map(Toleration::of).collect();
    whitelist.is_empty()
        || tolerations
            .iter()
            .map(Toleration::of)
            .all(|t| whitelist.iter().any(|w| w.is_superset_of(&t)))
}

/// Whether a pod is BestEffort: no container asks for or is limited in CPU or memory.
pub fn is_best_effort(pod: &Value) -> bool {
    let nonzero = |v: &Value| {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return false,
        };
        Quantity::parse(&text).is_ok_and(|q| q.value() != 0.0)
    };
    let lists = ["containers", "initContainers"];
    !lists.iter().any(|list| {
        let items = pod.pointer(&format!("/spec/{list}")).and_then(Value::as_array);
        items.into_iter().flatten().any(|c| {
            ["requests", "limits"].iter().any(|kind| {
                let res = c.get("resources").and_then(|r| r.get(kind));
                ["cpu", "memory"]
                    .iter()
                    .any(|name| res.and_then(|r| r.get(name)).is_some_and(nonzero))
            })
        })
    })
}

impl PodTolerationRestriction {
    fn decide(&self, phase: Phase, mut request: Request, namespace: &Value) -> Result<Request, ApiError> {
        let create = request.operation == Operation::Create;
        let Some(pod) = request.object.as_mut() else {
            return Ok(request);
        };
        if phase == Phase::Mutating {
            let mut extra = Vec::new();
            if create {
                extra = annotated(namespace, DEFAULTS)
                    .map_err(plain_error)?
                    .unwrap_or_else(|| self.default.clone());
            }
            if !is_best_effort(pod) {
                extra.push(json!({
                    "key": "node.kubernetes.io/memory-pressure",
                    "operator": "Exists",
                    "effect": "NoSchedule",
                }));
            }
            if !extra.is_empty() {
                let merged = merge(&of_pod(pod), &extra);
                set_on_pod(pod, merged);
            }
        }
        let tolerations = of_pod(pod);
        if tolerations.is_empty() {
            return Ok(request);
        }
        let (whitelist, scope) = match annotated(namespace, WHITELIST).map_err(plain_error)? {
            Some(list) => (list, "namespace"),
            None => (self.whitelist.clone(), "cluster"),
        };
        if !within_whitelist(&tolerations, &whitelist) {
            // kube answers this refusal as a plain error, hence a 500.
            return Err(plain_error(format!(
                "pod tolerations (possibly merged with namespace default tolerations) conflict with its {scope} whitelist"
            )));
        }
        Ok(request)
    }
}

impl Plugin for PodTolerationRestriction {
    fn name(&self) -> &'static str {
        "PodTolerationRestriction"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let applies = matches!(request.operation, Operation::Create | Operation::Update)
            && request.is("", "pods")
            && request.object.is_some();
        if !applies {
            return Flow::Ready(Ok(request));
        }
        let this = self.clone();
        let key = cx.core_key("namespaces", "", &request.namespace);
        cx.object(key).and_then(cx, move |ns, _| {
            Flow::Ready(match ns {
                Ok(Some(ns)) => this.decide(phase, request, &ns),
                Ok(None) => Err(ApiError::not_found("", "namespaces", &request.namespace)),
                Err(e) => Err(e),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn world() -> World {
        let ns = |name: &str, annotations: Value| {
            (
                "",
                "v1",
                "namespaces",
                json!({"metadata":{"name":name,"annotations":annotations}}),
            )
        };
        World::with(&[
            ns("plain", json!({})),
            ns(
                "tainted",
                json!({
                    DEFAULTS: r#"[{"key":"dedicated","operator":"Equal","value":"team","effect":"NoSchedule"}]"#,
                    WHITELIST: r#"[{"key":"dedicated","operator":"Exists"}]"#,
                }),
            ),
            ns("broken", json!({DEFAULTS: "not json"})),
        ])
    }

    fn plugin() -> Arc<dyn Plugin> {
        build(&json!({
            "apiVersion": CONFIG_VERSION,
            "kind": "Configuration",
            "default": [{"key":"cluster","operator":"Exists","effect":"NoSchedule"}],
            "whitelist": [{"key":"cluster","operator":"Exists"}],
        }))
        .unwrap()
    }

    fn create(ns: &str, tolerations: Value, requests: Value) -> Result<Value, ApiError> {
        let pod = json!({"metadata":{"name":"p","namespace":ns},"spec":{
            "containers":[{"name":"c","image":"x","resources":{"requests":requests}}],
            "tolerations":tolerations}});
        let r = request(Operation::Create, ("", "v1", "pods"), pod, None);
        world()
            .admit(&*plugin(), r)
            .map(|r| r.object.unwrap()["spec"]["tolerations"].clone())
    }

    #[test]
    fn defaults_come_from_the_namespace_or_the_cluster() {
        assert_eq!(
            create("tainted", json!([]), json!({})).unwrap(),
            json!([{"key":"dedicated","operator":"Equal","value":"team","effect":"NoSchedule"}])
        );
        assert_eq!(
            create("plain", json!([]), json!({})).unwrap(),
            json!([{"key":"cluster","operator":"Exists","effect":"NoSchedule"}])
        );
    }

    #[test]
    fn a_pod_that_is_not_best_effort_tolerates_memory_pressure() {
        let open = build(&Value::Null).unwrap();
        let pod = json!({"metadata":{"name":"p","namespace":"plain"},"spec":{
            "containers":[{"name":"c","image":"x","resources":{"requests":{"memory":"1Gi"}}}]}});
        let got = world()
            .admit(&*open, request(Operation::Create, ("", "v1", "pods"), pod, None))
            .unwrap()
            .object
            .unwrap();
        assert_eq!(
            got["spec"]["tolerations"],
            json!([{"key":"node.kubernetes.io/memory-pressure","operator":"Exists","effect":"NoSchedule"}])
        );
        // ... which the cluster whitelist does not cover, in a namespace without its own.
        let with_whitelist = build(&json!({"apiVersion": CONFIG_VERSION, "kind": "Configuration",
            "whitelist": [{"operator":"Exists","key":"cluster"}]}))
        .unwrap();
        let pod = json!({"metadata":{"name":"p","namespace":"plain"},"spec":{
            "containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"}}}]}});
        let e = world()
            .admit(
                &*with_whitelist,
                request(Operation::Create, ("", "v1", "pods"), pod, None),
            )
            .unwrap_err();
        assert_eq!(e.code, 500);
        assert_eq!(
            e.message,
            "pod tolerations (possibly merged with namespace default tolerations) conflict with its cluster whitelist"
        );
    }

    #[test]
    fn tolerations_outside_the_whitelist_are_refused() {
        let e = create("tainted", json!([{"key":"other","operator":"Exists"}]), json!({})).unwrap_err();
        assert_eq!(
            e.message,
            "pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist"
        );
        assert!(create("broken", json!([]), json!({})).is_err());
        assert_eq!(create("missing", json!([]), json!({})).unwrap_err().code, 404);
    }

    #[test]
    fn a_configuration_of_another_kind_is_refused() {
        assert!(build(&json!({"apiVersion":"v1","kind":"Pod"})).is_err());
        assert!(build(&Value::Null).is_ok());
    }
}
