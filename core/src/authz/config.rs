//! The structured authorization configuration (`--authorization-config`, kind
//! `AuthorizationConfiguration` of `apiserver.config.k8s.io` v1alpha1, v1beta1 and v1), read
//! and validated as kube-apiserver v1.32 reads it: strict decoding, its defaults (webhook
//! TTLs of 5m and 30s), and every check with kube's field paths and wording, gathered into
//! one aggregate. What needs the file system (a webhook's kubeconfig file) is asked of the
//! caller.

use std::collections::BTreeSet;

use serde_json::Value;

use super::match_conditions::MatchConditions;
use super::modes::Mode;
use super::webhook::Version;
use crate::codec::protobuf::time::{format_duration, parse_duration};
use crate::validation::{go_quote, FieldError};

const VERSIONS: [&str; 3] = [
    "apiserver.config.k8s.io/v1alpha1",
    "apiserver.config.k8s.io/v1beta1",
    "apiserver.config.k8s.io/v1",
];
const KIND: &str = "AuthorizationConfiguration";

/// What a webhook is denied or allowed when it cannot be asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePolicy {
    /// No opinion: the next authorizer decides.
    NoOpinion,
    /// Deny.
    Deny,
}

/// One webhook of the configuration.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// How long allowed answers are kept.
    pub authorized_ttl_ms: u64,
    /// How long other answers are kept.
    pub unauthorized_ttl_ms: u64,
    /// How long one call may take.
    pub timeout_ms: u64,
    /// The SubjectAccessReview version sent.
    pub version: Version,
    /// What a failed call decides.
    pub failure_policy: FailurePolicy,
    /// Where the webhook is (a kubeconfig file, absolute).
    pub kubeconfig_file: String,
    /// When to ask it at all.
    pub match_conditions: MatchConditions,
}

/// One authorizer of the chain.
#[derive(Clone, Debug)]
pub struct AuthorizerConfig {
    /// Its type.
    pub mode: Mode,
    /// Its name.
    pub name: String,
    /// For a webhook, how to ask it.
    pub webhook: Option<WebhookConfig>,
}

/// The configured chain, in order.
#[derive(Clone, Debug)]
pub struct AuthorizationConfig {
    /// The authorizers.
    pub authorizers: Vec<AuthorizerConfig>,
}

/// What the caller finds at a webhook's kubeconfig path: `Ok(true)` a regular file,
/// `Ok(false)` something else, `Err` why it could not be looked at (`stat /x: no such file
/// or directory`).
pub type Stat<'a> = &'a dyn Fn(&str) -> Result<bool, String>;

/// The field names each level of the document may have (kube decodes strictly).
fn unknown_fields(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |v: &Value, path: &str, allowed: &[&str]| {
        if let Some(m) = v.as_object() {
            for k in m.keys().filter(|k| !allowed.contains(&k.as_str())) {
                out.push(if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                });
            }
        }
    };
    check(doc, "", &["apiVersion", "kind", "authorizers"]);
    for (i, a) in doc["authorizers"].as_array().into_iter().flatten().enumerate() {
        let p = format!("authorizers[{i}]");
        check(a, &p, &["type", "name", "webhook"]);
        let w = &a["webhook"];
        let wp = format!("{p}.webhook");
        check(
            w,
            &wp,
            &[
                "authorizedTTL",
                "unauthorizedTTL",
                "timeout",
                "subjectAccessReviewVersion",
                "matchConditionSubjectAccessReviewVersion",
                "failurePolicy",
                "connectionInfo",
                "matchConditions",
            ],
        );
        check(
            &w["connectionInfo"],
            &format!("{wp}.connectionInfo"),
            &["type", "kubeConfigFile"],
        );
        for (j, c) in w["matchConditions"].as_array().into_iter().flatten().enumerate() {
            check(c, &format!("{wp}.matchConditions[{j}]"), &["expression"]);
        }
    }
    out
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A duration field: nanoseconds, 0 when absent.
fn duration(v: &Value, key: &str) -> Result<i64, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) => {
            parse_duration(s).ok_or_else(|| format!("time: invalid duration {}", go_quote(s)))
        }
        Some(other) => Err(format!(
            "json: cannot unmarshal {other} into Go value of type string"
        )),
    }
}

/// Reads and validates the configuration document (already decoded from YAML or JSON).
pub fn load(doc: &Value, stat: Stat<'_>) -> Result<AuthorizationConfig, String> {
    if doc.is_null() || doc.as_object().is_some_and(|m| m.is_empty()) {
        return Err("authorizers: Required value: at least one authorization mode must be defined".into());
    }
    let api_version = str_at(doc, "apiVersion");
    let kind = str_at(doc, "kind");
    if api_version.is_empty() {
        return Err(format!("Object 'apiVersion' is missing in '{doc}'"));
    }
    if kind.is_empty() {
        return Err(format!("Object 'Kind' is missing in '{doc}'"));
    }
    if kind != KIND || !VERSIONS.contains(&api_version) {
        return Err(format!(
            "no kind {} is registered for version {} in scheme \"pkg/apis/apiserver/load/load.go:32\"",
            go_quote(kind),
            go_quote(api_version)
        ));
    }
    let unknown = unknown_fields(doc);
    if !unknown.is_empty() {
        let list: Vec<String> = unknown
            .iter()
            .map(|f| format!("unknown field {}", go_quote(f)))
            .collect();
        return Err(format!("strict decoding error: {}", list.join(", ")));
    }
    let mut errs: Vec<FieldError> = Vec::new();
    let mut authorizers = Vec::new();
    let list = doc["authorizers"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        errs.push(FieldError::required(
            "authorizers",
            "at least one authorization mode must be defined",
        ));
    }
    let mut types_seen = BTreeSet::new();
    let mut names_seen = BTreeSet::new();
    for (i, a) in list.iter().enumerate() {
        let p = format!("authorizers[{i}]");
        let type_ = str_at(a, "type");
        if type_.is_empty() {
            errs.push(FieldError::required(&format!("{p}.type"), ""));
            continue;
        }
        let Some(mode) = Mode::ALL.into_iter().find(|m| m.as_str() == type_) else {
            let mut supported: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
            supported.sort_unstable();
            errs.push(FieldError::not_supported(&format!("{p}.type"), type_, &supported));
            continue;
        };
        if mode != Mode::Webhook && !types_seen.insert(mode.as_str()) {
            errs.push(FieldError::duplicate(&format!("{p}.type"), type_));
            continue;
        }
        let name = str_at(a, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&format!("{p}.name"), ""));
        } else if names_seen.contains(name) {
            errs.push(FieldError::duplicate(&format!("{p}.name"), name));
        } else {
            let why = crate::validation::dns1123_subdomain_errors(name);
            if !why.is_empty() {
                errs.push(FieldError::invalid(
                    &format!("{p}.name"),
                    name,
                    &format!("authorizer name is invalid: {}", why.join(", ")),
                ));
            }
        }
        names_seen.insert(name.to_string());
        let w = a.get("webhook").filter(|w| !w.is_null());
        let webhook = match (mode, w) {
            (Mode::Webhook, None) => {
                errs.push(FieldError::required(
                    &format!("{p}.webhook"),
                    "required when type=Webhook",
                ));
                None
            }
            (Mode::Webhook, Some(w)) => webhook(w, &p, stat, &mut errs)?,
            (_, Some(_)) => {
                errs.push(FieldError::invalid(
                    &format!("{p}.webhook"),
                    "non-null",
                    "may only be specified when type=Webhook",
                ));
                None
            }
            (_, None) => None,
        };
        authorizers.push(AuthorizerConfig {
            mode,
            name: name.to_string(),
            webhook,
        });
    }
    if !errs.is_empty() {
        return Err(aggregate(&errs));
    }
    // kube-apiserver's own rule: an authorizer other than a webhook is named for its type.
    let misnamed: Vec<String> = authorizers
        .iter()
        .filter(|a| a.mode != Mode::Webhook && a.name != a.mode.as_str().to_lowercase())
        .map(|a| {
            format!(
                "expected name {} for authorizer {} instead of {}",
                a.mode.as_str().to_lowercase(),
                a.mode.as_str(),
                a.name
            )
        })
        .collect();
    if !misnamed.is_empty() {
        return Err(super::aggregate(&misnamed));
    }
    Ok(AuthorizationConfig { authorizers })
}

fn aggregate(errs: &[FieldError]) -> String {
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    super::aggregate(&texts)
}

/// A webhook's settings, checked in kube's order under the authorizer's path (kube's
/// messages name `authorizers[i].timeout`, not `authorizers[i].webhook.timeout`).
fn webhook(
    w: &Value,
    p: &str,
    stat: Stat<'_>,
    errs: &mut Vec<FieldError>,
) -> Result<Option<WebhookConfig>, String> {
    let timeout = duration(w, "timeout")?;
    let authorized = match duration(w, "authorizedTTL")? {
        0 => 300_000_000_000,
        d => d,
    };
    let unauthorized = match duration(w, "unauthorizedTTL")? {
        0 => 30_000_000_000,
        d => d,
    };
    let before = errs.len();
    if timeout == 0 {
        errs.push(FieldError::required(&format!("{p}.timeout"), ""));
    } else if !(1..=30_000_000_000).contains(&timeout) {
        errs.push(FieldError::invalid(
            &format!("{p}.timeout"),
            format_duration(timeout).as_str(),
            "must be > 0s and <= 30s",
        ));
    }
    for (key, d) in [("authorizedTTL", authorized), ("unauthorizedTTL", unauthorized)] {
        if d < 0 {
            errs.push(FieldError::invalid(
                &format!("{p}.{key}"),
                format_duration(d).as_str(),
                "must be > 0s",
            ));
        }
    }
    let version = match str_at(w, "subjectAccessReviewVersion") {
        "" => {
            errs.push(FieldError::required(
                &format!("{p}.subjectAccessReviewVersion"),
                "",
            ));
            None
        }
        "v1" => Some(Version::V1),
        "v1beta1" => Some(Version::V1beta1),
        other => {
            errs.push(FieldError::not_supported(
                &format!("{p}.subjectAccessReviewVersion"),
                other,
                &["v1", "v1beta1"],
            ));
            None
        }
    };
    let conditions: Vec<String> = w["matchConditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| str_at(c, "expression").to_string())
        .collect();
    match str_at(w, "matchConditionSubjectAccessReviewVersion") {
        "" if !conditions.is_empty() => errs.push(FieldError::required(
            &format!("{p}.matchConditionSubjectAccessReviewVersion"),
            "required if match conditions are specified",
        )),
        "" | "v1" => {}
        other => errs.push(FieldError::not_supported(
            &format!("{p}.matchConditionSubjectAccessReviewVersion"),
            other,
            &["v1"],
        )),
    }
    let failure_policy = match str_at(w, "failurePolicy") {
        "" => {
            errs.push(FieldError::required(&format!("{p}.failurePolicy"), ""));
            None
        }
        "NoOpinion" => Some(FailurePolicy::NoOpinion),
        "Deny" => Some(FailurePolicy::Deny),
        other => {
            errs.push(FieldError::not_supported(
                &format!("{p}.failurePolicy"),
                other,
                &["NoOpinion", "Deny"],
            ));
            None
        }
    };
    let info = &w["connectionInfo"];
    let file = info.get("kubeConfigFile").filter(|f| !f.is_null());
    let file_path = file.and_then(Value::as_str).unwrap_or("");
    let fp = format!("{p}.connectionInfo.kubeConfigFile");
    match str_at(info, "type") {
        "" => errs.push(FieldError::required(&format!("{p}.connectionInfo.type"), "")),
        "InClusterConfig" if file.is_some() => errs.push(FieldError::invalid(
            &fp,
            file_path,
            "can only be set when type=KubeConfigFile",
        )),
        // Accepted by kube's validation, but kube-apiserver itself cannot run it.
        "InClusterConfig" => errs.push(FieldError::invalid(
            &format!("{p}.connectionInfo.type"),
            "InClusterConfig",
            "is not supported by kube-apiserver: use KubeConfigFile",
        )),
        "KubeConfigFile" if file_path.is_empty() => errs.push(FieldError::required(&fp, "")),
        "KubeConfigFile" if !file_path.starts_with('/') => {
            errs.push(FieldError::invalid(&fp, file_path, "must be an absolute path"))
        }
        "KubeConfigFile" => match stat(file_path) {
            Err(e) => errs.push(FieldError::invalid(
                &fp,
                file_path,
                &format!("error loading file: {e}"),
            )),
            Ok(false) => errs.push(FieldError::invalid(&fp, file_path, "must be a regular file")),
            Ok(true) => {}
        },
        other => {
            let shown = format!(
                "apiserver.WebhookConnectionInfo{{Type:{}, KubeConfigFile:(*string)(nil)}}",
                go_quote(other)
            );
            let mut e = FieldError::not_supported(
                &format!("{p}.connectionInfo.type"),
                other,
                &["InClusterConfig", "KubeConfigFile"],
            );
            e.rendered = Some(shown);
            errs.push(e);
        }
    }
    let match_conditions = match MatchConditions::compile(&conditions, &format!("{p}.matchConditions")) {
        Ok(m) => Some(m),
        Err(mut e) => {
            errs.append(&mut e);
            None
        }
    };
    if errs.len() > before {
        return Ok(None);
    }
    let (Some(version), Some(failure_policy), Some(match_conditions)) =
        (version, failure_policy, match_conditions)
    else {
        return Ok(None);
    };
    let ms = |nanos: i64| u64::try_from(nanos / 1_000_000).unwrap_or(0);
    Ok(Some(WebhookConfig {
        authorized_ttl_ms: ms(authorized),
        unauthorized_ttl_ms: ms(unauthorized),
        timeout_ms: ms(timeout),
        version,
        failure_policy,
        kubeconfig_file: file_path.to_string(),
        match_conditions,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stat(path: &str) -> Result<bool, String> {
        match path {
            "/etc/authz.kubeconfig" => Ok(true),
            "/etc" => Ok(false),
            other => Err(format!("stat {other}: no such file or directory")),
        }
    }

    fn load_doc(authorizers: Value) -> Result<AuthorizationConfig, String> {
        let doc = json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthorizationConfiguration", "authorizers": authorizers});
        load(&doc, &stat)
    }

    fn hook(extra: Value) -> Value {
        let mut w = json!({
            "timeout": "3s",
            "subjectAccessReviewVersion": "v1",
            "failurePolicy": "Deny",
            "connectionInfo": {"type": "KubeConfigFile", "kubeConfigFile": "/etc/authz.kubeconfig"},
        });
        for (k, v) in extra.as_object().unwrap() {
            w[k] = v.clone();
        }
        json!({"type": "Webhook", "name": "hook", "webhook": w})
    }

    #[test]
    fn a_good_chain_with_kubes_defaults() {
        let c = load_doc(json!([
            {"type": "Node", "name": "node"},
            hook(json!({"matchConditionSubjectAccessReviewVersion": "v1", "matchConditions": [{"expression": "has(request.resourceAttributes)"}]})),
            {"type": "RBAC", "name": "rbac"},
        ]))
        .unwrap();
        let modes: Vec<Mode> = c.authorizers.iter().map(|a| a.mode).collect();
        assert_eq!(modes, [Mode::Node, Mode::Webhook, Mode::Rbac]);
        let w = c.authorizers[1].webhook.as_ref().unwrap();
        assert_eq!(
            (w.authorized_ttl_ms, w.unauthorized_ttl_ms, w.timeout_ms),
            (300_000, 30_000, 3_000)
        );
        assert_eq!(w.failure_policy, FailurePolicy::Deny);
        assert!(!w.match_conditions.is_empty());
    }

    #[test]
    fn kubes_refusals() {
        let err = |a: Value| load_doc(a).unwrap_err();
        assert_eq!(
            err(json!([])),
            "authorizers: Required value: at least one authorization mode must be defined"
        );
        assert_eq!(
            err(json!([{"type": "Foo", "name": "x"}])),
            "authorizers[0].type: Unsupported value: \"Foo\": supported values: \"ABAC\", \"AlwaysAllow\", \"AlwaysDeny\", \"Node\", \"RBAC\", \"Webhook\""
        );
        assert_eq!(
            err(json!([{"type": "RBAC", "name": "rbac"}, {"type": "RBAC", "name": "rbac2"}])),
            "authorizers[1].type: Duplicate value: \"RBAC\""
        );
        assert_eq!(
            err(json!([{"type": "RBAC", "name": "foo"}])),
            "expected name rbac for authorizer RBAC instead of foo"
        );
        assert_eq!(
            err(json!([{"type": "Webhook", "name": "w"}])),
            "authorizers[0].webhook: Required value: required when type=Webhook"
        );
        assert_eq!(
            err(json!([hook(json!({"timeout": "45s"}))])),
            "authorizers[0].timeout: Invalid value: \"45s\": must be > 0s and <= 30s"
        );
        assert_eq!(
            err(json!([hook(json!({"failurePolicy": "AlwaysAllow", "subjectAccessReviewVersion": "v2"}))])),
            "[authorizers[0].subjectAccessReviewVersion: Unsupported value: \"v2\": supported values: \"v1\", \"v1beta1\", authorizers[0].failurePolicy: Unsupported value: \"AlwaysAllow\": supported values: \"NoOpinion\", \"Deny\"]"
        );
        assert_eq!(
            err(json!([hook(json!({"connectionInfo": {"type": "KubeConfigFile", "kubeConfigFile": "rel/path"}}))])),
            "authorizers[0].connectionInfo.kubeConfigFile: Invalid value: \"rel/path\": must be an absolute path"
        );
        assert_eq!(
            err(json!([hook(json!({"connectionInfo": {"type": "KubeConfigFile", "kubeConfigFile": "/nope"}}))])),
            "authorizers[0].connectionInfo.kubeConfigFile: Invalid value: \"/nope\": error loading file: stat /nope: no such file or directory"
        );
        assert_eq!(
            err(json!([hook(json!({"matchConditions": [{"expression": "request.user == 'a'"}]}))])),
            "authorizers[0].matchConditionSubjectAccessReviewVersion: Required value: required if match conditions are specified"
        );
        assert_eq!(
            err(json!([{"type": "RBAC", "name": "rbac", "webhook": {"x": 1}}])),
            "strict decoding error: unknown field \"authorizers[0].webhook.x\""
        );
        let doc = json!({"apiVersion": "apiserver.config.k8s.io/v9", "kind": "AuthorizationConfiguration"});
        assert!(load(&doc, &stat)
            .unwrap_err()
            .contains("\"apiserver.config.k8s.io/v9\""));
    }
}
