//! The webhooks of the MutatingWebhookConfiguration and ValidatingWebhookConfiguration
//! objects, read from the watch cache at each request, ordered as kube orders them: by
//! configuration name, then in each configuration's order. The objects were defaulted and
//! validated when written; a field still missing reads as kube's default.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

const GROUP: &str = "admissionregistration.k8s.io";

/// Which configurations a plugin reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// MutatingWebhookConfiguration.
    Mutating,
    /// ValidatingWebhookConfiguration.
    Validating,
}

impl Kind {
    fn resource(self) -> &'static str {
        match self {
            Kind::Mutating => "mutatingwebhookconfigurations",
            Kind::Validating => "validatingwebhookconfigurations",
        }
    }
}

/// One rule of a webhook (`RuleWithOperations`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT` or `*`.
    pub operations: Vec<String>,
    /// API groups or `*`.
    pub api_groups: Vec<String>,
    /// API versions or `*`.
    pub api_versions: Vec<String>,
    /// `pods`, `pods/status`, `*`, `*/*`, `pods/*`, `*/scale`.
    pub resources: Vec<String>,
    /// `Cluster`, `Namespaced` or `*`.
    pub scope: String,
}

/// Where the webhook is (`clientConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// `url`, when given.
    pub url: Option<String>,
    /// `service`, when given.
    pub service: Option<ServiceRef>,
    /// `caBundle`, decoded (PEM); empty: the system's roots.
    pub ca_bundle: Vec<u8>,
}

/// A webhook reached through a Service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceRef {
    /// The Service's namespace.
    pub namespace: String,
    /// The Service's name.
    pub name: String,
    /// The path, when given.
    pub path: String,
    /// The Service's port (443 by default).
    pub port: u16,
}

/// One webhook as the dispatchers use it.
#[derive(Clone, Debug, Default)]
pub struct Hook {
    /// Its configuration's name.
    pub configuration: String,
    /// Its name.
    pub name: String,
    /// Which one of its configuration it is (identifies it for reinvocation).
    pub index: usize,
    /// Its rules.
    pub rules: Vec<Rule>,
    /// `namespaceSelector` (a metav1.LabelSelector).
    pub namespace_selector: Value,
    /// `objectSelector`.
    pub object_selector: Value,
    /// `matchPolicy: Equivalent` (the default).
    pub equivalent: bool,
    /// `matchConditions`: (name, expression).
    pub conditions: Vec<(String, String)>,
    /// `failurePolicy: Ignore`.
    pub fail_open: bool,
    /// `sideEffects`, when set.
    pub side_effects: Option<String>,
    /// `timeoutSeconds` (10 by default).
    pub timeout_secs: u64,
    /// `admissionReviewVersions`, in order of preference.
    pub review_versions: Vec<String>,
    /// Where it is.
    pub client: ClientConfig,
    /// `reinvocationPolicy: IfNeeded` (mutating only).
    pub reinvoke_if_needed: bool,
}

impl Hook {
    /// What identifies this webhook for reinvocation: its configuration and place there.
    pub fn id(&self) -> (String, usize) {
        (self.configuration.clone(), self.index)
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn text<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v.get(field).and_then(Value::as_str)
}

/// A `RuleWithOperations` object (scope `*` when it names none).
pub(crate) fn rule(v: &Value) -> Rule {
    Rule {
        operations: strings(v.get("operations")),
        api_groups: strings(v.get("apiGroups")),
        api_versions: strings(v.get("apiVersions")),
        resources: strings(v.get("resources")),
        scope: text(v, "scope").unwrap_or("*").to_string(),
    }
}

fn client_config(v: Option<&Value>) -> ClientConfig {
    let Some(v) = v else {
        return ClientConfig::default();
    };
    let ca_bundle = text(v, "caBundle")
        .and_then(|b| STANDARD.decode(b).ok())
        .unwrap_or_default();
    let service = v.get("service").filter(|s| s.is_object()).map(|s| ServiceRef {
        namespace: text(s, "namespace").unwrap_or("").to_string(),
        name: text(s, "name").unwrap_or("").to_string(),
        path: text(s, "path").unwrap_or("").to_string(),
        port: s
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(443),
    });
    ClientConfig {
        url: text(v, "url").map(str::to_string),
        service,
        ca_bundle,
    }
}

/// The webhooks of one configuration object, in its order.
pub fn of_configuration(config: &Value, kind: Kind) -> Vec<Hook> {
    let configuration = crate::api::name(config).to_string();
    let list = config.get("webhooks").and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .enumerate()
        .map(|(index, w)| Hook {
            configuration: configuration.clone(),
            name: text(w, "name").unwrap_or("").to_string(),
            index,
            rules: w
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(rule)
                .collect(),
            namespace_selector: w.get("namespaceSelector").cloned().unwrap_or(Value::Null),
            object_selector: w.get("objectSelector").cloned().unwrap_or(Value::Null),
            equivalent: text(w, "matchPolicy") != Some("Exact"),
            conditions: w
                .get("matchConditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| {
                    (
                        text(c, "name").unwrap_or("").to_string(),
                        text(c, "expression").unwrap_or("").to_string(),
                    )
                })
                .collect(),
            fail_open: text(w, "failurePolicy") == Some("Ignore"),
            side_effects: text(w, "sideEffects").map(str::to_string),
            timeout_secs: w.get("timeoutSeconds").and_then(Value::as_u64).unwrap_or(10),
            review_versions: strings(w.get("admissionReviewVersions")),
            client: client_config(w.get("clientConfig")),
            reinvoke_if_needed: kind == Kind::Mutating && text(w, "reinvocationPolicy") == Some("IfNeeded"),
        })
        .collect()
}

/// Every webhook of `kind`, in kube's order: from the watch cache, or read from storage
/// while the cache is (re)loading, so that a replica that just started or lost its watch
/// neither refuses requests (as kube does until its informers sync) nor skips webhooks.
pub fn load(cx: &Lookups<'_>, kind: Kind) -> Flow<Result<Vec<Hook>, ApiError>> {
    crate::admission::lookup::list(cx, (GROUP, "v1", kind.resource()), "").and_then(cx, move |configs, _| {
        Flow::Ready(configs.map(|mut configs| {
            configs.sort_by(|a, b| crate::api::name(a).cmp(crate::api::name(b)));
            configs.iter().flat_map(|c| of_configuration(c, kind)).collect()
        }))
    })
}

/// Whether `kind` of `group` is one of the admission configuration kinds no webhook ever
/// sees (so that a broken webhook can always be removed).
pub fn is_exempt(group: &str, kind: &str) -> bool {
    group == GROUP
        && matches!(
            kind,
            "ValidatingWebhookConfiguration"
                | "MutatingWebhookConfiguration"
                | "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_and_defaults() {
        let cfg = json!({"metadata": {"name": "c"}, "webhooks": [
            {"name": "a.example.com", "rules": [{"operations": ["CREATE"], "apiGroups": [""],
              "apiVersions": ["v1"], "resources": ["pods"]}],
             "clientConfig": {"service": {"namespace": "ns", "name": "svc"}, "caBundle": "UEVN"},
             "sideEffects": "None", "admissionReviewVersions": ["v1beta1", "v1"],
             "reinvocationPolicy": "IfNeeded", "failurePolicy": "Ignore", "matchPolicy": "Exact"},
            {"name": "b.example.com", "clientConfig": {"url": "https://h/x"}}
        ]});
        let hooks = of_configuration(&cfg, Kind::Mutating);
        assert_eq!(hooks.len(), 2);
        let a = &hooks[0];
        assert_eq!(a.rules[0].scope, "*");
        assert_eq!(a.client.ca_bundle, b"PEM");
        let svc = a.client.service.as_ref().unwrap();
        assert_eq!((svc.port, svc.path.as_str()), (443, ""));
        assert!(a.fail_open && !a.equivalent && a.reinvoke_if_needed);
        assert_eq!(a.review_versions, ["v1beta1", "v1"]);
        let b = &hooks[1];
        assert_eq!((b.timeout_secs, b.fail_open, b.equivalent), (10, false, true));
        assert_eq!(b.client.url.as_deref(), Some("https://h/x"));
        assert_eq!(b.id(), ("c".to_string(), 1));
        assert!(!of_configuration(&cfg, Kind::Validating)[0].reinvoke_if_needed);
    }

    #[test]
    fn configurations_are_exempt() {
        assert!(is_exempt(GROUP, "MutatingWebhookConfiguration"));
        assert!(is_exempt(GROUP, "ValidatingAdmissionPolicyBinding"));
        assert!(!is_exempt("", "Pod"));
        assert!(!is_exempt("example.com", "MutatingWebhookConfiguration"));
    }
}
