//! The PodNodeSelector plugin: a new pod gets its namespace's node selector (the
//! namespace's `scheduler.alpha.kubernetes.io/node-selector` annotation, else the
//! configuration's `clusterDefaultNodeSelector`) merged into its own, and is refused when the
//! two disagree on a label or when its selector leaves the namespace's whitelist (the
//! configuration's entry for the namespace). The configuration is the legacy file format:
//! `podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: "k=v", <namespace>: "k=v"}`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::lookup::{annotation, plain_error};
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// The namespace annotation holding its node selector.
pub const ANNOTATION: &str = "scheduler.alpha.kubernetes.io/node-selector";
const CLUSTER_DEFAULT: &str = "clusterDefaultNodeSelector";

/// A set of labels.
pub type Labels = BTreeMap<String, String>;

/// kube-apiserver's `PodNodeSelector` (mutating and validating).
#[derive(Debug, Default)]
pub struct PodNodeSelector {
    /// Selectors by namespace, and the cluster default under `clusterDefaultNodeSelector`.
    selectors: BTreeMap<String, String>,
}

/// Builds the plugin from its configuration (absent: no default, no whitelists).
pub fn build(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    // Go's JSON decoding matches the field name regardless of case.
    let section = config.as_object().and_then(|o| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("podNodeSelectorPluginConfig"))
            .map(|(_, v)| v)
    });
    let mut selectors = BTreeMap::new();
    for (k, v) in section.and_then(Value::as_object).into_iter().flatten() {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        selectors.insert(k.clone(), text);
    }
    Ok(Arc::new(PodNodeSelector { selectors }))
}

/// Parses `k=v,k2=v2` into labels, as kube's `ConvertSelectorToLabelsMap`.
pub fn parse_selector(selector: &str) -> Result<Labels, String> {
    let mut labels = Labels::new();
    if selector.is_empty() {
        return Ok(labels);
    }
    for label in selector.split(',') {
        let parts: Vec<&str> = label.split('=').collect();
        let [key, value] = parts.as_slice() else {
            return Err(format!("invalid selector: [{}]", parts.join(" ")));
        };
        let (key, value) = (key.trim(), value.trim());
        if let Some(e) = crate::validation::qualified_name_errors(key).first() {
            return Err(format!(
                "{key}: Invalid value: {}: {e}",
                crate::validation::go_quote(key)
            ));
        }
        if let Some(e) = crate::validation::label_value_errors(value).first() {
            return Err(format!(
                "{value}: Invalid value: {}: {e}",
                crate::validation::go_quote(value)
            ));
        }
        labels.insert(key.to_string(), value.to_string());
    }
    Ok(labels)
}

/// Whether two label sets give one key different values.
pub fn conflicts(a: &Labels, b: &Labels) -> bool {
    a.iter().any(|(k, v)| b.get(k).is_some_and(|w| w != v))
}

fn pod_selector(pod: &Value) -> Labels {
    pod.pointer("/spec/nodeSelector")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect()
}

impl PodNodeSelector {
    /// The node selector of `namespace`: its annotation's, else the cluster default.
    fn namespace_selector(&self, namespace: &Value) -> Result<Labels, String> {
        if let Some(text) = annotation(namespace, ANNOTATION) {
            return parse_selector(text);
        }
        parse_selector(self.selectors.get(CLUSTER_DEFAULT).map_or("", String::as_str))
    }

    fn decide(&self, phase: Phase, mut request: Request, namespace: &Value) -> Result<Request, ApiError> {
        let wanted = self.namespace_selector(namespace).map_err(plain_error)?;
        let Some(pod) = request.object.as_mut() else {
            return Ok(request);
        };
        let name = crate::api::name(pod).to_string();
        let refuse = |why: &str| ApiError::forbidden("", "pods", &name, why);
        let own = pod_selector(pod);
        if conflicts(&wanted, &own) {
            return Err(refuse(
                "pod node label selector conflicts with its namespace node label selector",
            ));
        }
        let merged = if phase == Phase::Mutating {
            let mut merged = wanted;
            merged.extend(own);
            if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("nodeSelector".into(), json!(merged));
            }
            merged
        } else {
            own
        };
        let whitelist = parse_selector(self.selectors.get(&request.namespace).map_or("", String::as_str))
            .map_err(plain_error)?;
        let within = whitelist.is_empty() || merged.iter().all(|(k, v)| whitelist.get(k) == Some(v));
        if !within {
            return Err(refuse(
                "pod node label selector labels conflict with its namespace whitelist",
            ));
        }
        Ok(request)
    }
}

impl Plugin for PodNodeSelector {
    fn name(&self) -> &'static str {
        "PodNodeSelector"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if request.operation != Operation::Create || !request.is("", "pods") || request.object.is_none() {
            return Flow::Ready(Ok(request));
        }
        let this = PodNodeSelector {
            selectors: self.selectors.clone(),
        };
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
        World::with(&[
            ("", "v1", "namespaces", json!({"metadata":{"name":"plain"}})),
            (
                "",
                "v1",
                "namespaces",
                json!({"metadata":{"name":"gpu","annotations":{ANNOTATION:"accel=gpu"}}}),
            ),
            ("", "v1", "namespaces", json!({"metadata":{"name":"listed"}})),
        ])
    }

    fn plugin() -> Arc<dyn Plugin> {
        build(&json!({"podNodeSelectorPluginConfig": {
            "clusterDefaultNodeSelector": "env=prod",
            "listed": "env=prod,zone=a",
        }}))
        .unwrap()
    }

    fn create(ns: &str, selector: Value) -> Result<Value, ApiError> {
        let pod =
            json!({"metadata":{"name":"p","namespace":ns},"spec":{"containers":[],"nodeSelector":selector}});
        let r = request(Operation::Create, ("", "v1", "pods"), pod, None);
        world()
            .admit(&*plugin(), r)
            .map(|r| r.object.unwrap()["spec"]["nodeSelector"].clone())
    }

    #[test]
    fn the_namespace_or_cluster_selector_is_merged_in() {
        assert_eq!(
            create("gpu", json!({"disk":"ssd"})).unwrap(),
            json!({"accel":"gpu","disk":"ssd"})
        );
        assert_eq!(create("plain", json!({})).unwrap(), json!({"env":"prod"}));
    }

    #[test]
    fn conflicts_and_leaving_the_whitelist_are_refused() {
        let e = create("gpu", json!({"accel":"tpu"})).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: pod node label selector conflicts with its namespace node label selector"
        );
        assert!(create("listed", json!({"zone":"a"})).is_ok());
        let e = create("listed", json!({"zone":"b"})).unwrap_err();
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: pod node label selector labels conflict with its namespace whitelist"
        );
        let e = create("missing", json!({})).unwrap_err();
        assert_eq!(e.code, 404);
    }

    #[test]
    fn selectors_parse_as_kube_parses_them() {
        let l = parse_selector("a=1, b = 2").unwrap();
        assert_eq!(l.get("b").map(String::as_str), Some("2"));
        assert_eq!(parse_selector("a").unwrap_err(), "invalid selector: [a]");
        assert!(parse_selector("").unwrap().is_empty());
    }
}
