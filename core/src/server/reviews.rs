//! Resources that are computed per request and never stored: the authentication and
//! authorization reviews (`kubectl auth whoami`, `kubectl auth can-i`) and component statuses.

use serde_json::{json, Map, Value};

use crate::api::ApiError;
use crate::authn::token::Tokens;
use crate::authn::UserInfo;
use crate::authz::{self, Attributes, Verdict};
use crate::registry::body::{decode_object, FieldValidation};
use crate::registry::{Reply, ResourceDef};
use crate::server::effect::{Flow, Lookups};
use crate::validation::FieldError;

/// One request for a computed resource.
pub(super) struct Ask<'a> {
    pub def: &'a ResourceDef,
    pub verb: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// The requesting user.
    pub user: &'a UserInfo,
    /// Whether storage answers, for the `etcd-0` component.
    pub storage_ok: bool,
}

/// Answers a request for a computed resource: at once, or once the authorizers have
/// decided an access review.
pub(super) fn serve(ask: &Ask<'_>, cx: &Lookups<'_>) -> Flow<Result<Reply, ApiError>> {
    let def = ask.def;
    if !def.allows(ask.verb) {
        return Flow::Ready(Err(ApiError::method_not_allowed()));
    }
    if def.kind == "ComponentStatus" {
        return Flow::Ready(component_statuses(ask));
    }
    if def.kind == "Binding" {
        // Binding a pod to a node goes with scheduling support, which Gatehouse does not
        // have yet; refuse rather than pretend.
        return Flow::Ready(Err(ApiError::method_not_allowed()));
    }
    let review = match decode_object(def, ask.content_type, ask.body, FieldValidation::Ignore, None) {
        Ok(d) => d.object,
        Err(e) => return Flow::Ready(Err(e)),
    };
    let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
    let user = match &*def.kind {
        "SelfSubjectReview" => {
            let status = json!({"userInfo": ask.user.to_json()});
            return Flow::Ready(Ok(reply(def, &review, spec, status)));
        }
        "SelfSubjectRulesReview" => {
            let namespace = spec.get("namespace").and_then(Value::as_str).unwrap_or("");
            if namespace.is_empty() {
                return Flow::Ready(Err(ApiError::bad_request("no namespace on request")));
            }
            let status = rules(&authz::rules_for(ask.user, namespace, cx));
            // kube answers with a new review: the request's metadata and spec are not kept.
            return Flow::Ready(Ok(reply(def, &json!({}), json!({}), status)));
        }
        "SelfSubjectAccessReview" => match check_attributes(def, &spec) {
            Ok(()) => ask.user.clone(),
            Err(e) => return Flow::Ready(Err(e)),
        },
        "LocalSubjectAccessReview" => {
            if let Err(e) = check_attributes(def, &spec) {
                return Flow::Ready(Err(e));
            }
            let ns = spec
                .pointer("/resourceAttributes/namespace")
                .and_then(Value::as_str);
            if ns != Some(ask.namespace) {
                return Flow::Ready(Err(invalid(
                    def,
                    vec![FieldError::invalid(
                        "spec.resourceAttributes.namespace",
                        ns.unwrap_or(""),
                        "must match metadata.namespace",
                    )],
                )));
            }
            subject(&spec)
        }
        "SubjectAccessReview" => {
            if let Err(e) = check_attributes(def, &spec) {
                return Flow::Ready(Err(e));
            }
            let user = subject(&spec);
            if user.name.is_empty() && user.groups.is_empty() {
                return Flow::Ready(Err(invalid(
                    def,
                    vec![FieldError::invalid(
                        "spec.user",
                        "",
                        "at least one of user or group must be specified",
                    )],
                )));
            }
            user
        }
        _ => return Flow::Ready(Err(ApiError::method_not_allowed())),
    };
    let def = def.clone();
    access(&user, &spec, cx).and_then(cx, move |status, _| {
        Flow::Ready(Ok(reply(&def, &review, spec, status)))
    })
}

/// A TokenReview: the token authenticators (and their cache) decide the token for the
/// review's audiences (the API's when it names none), as they would for a request.
pub(super) fn token_review(
    ask: &Ask<'_>,
    tokens: &Tokens,
    cx: &Lookups<'_>,
) -> Flow<Result<Reply, ApiError>> {
    let def = ask.def;
    if !def.allows(ask.verb) {
        return Flow::Ready(Err(ApiError::method_not_allowed()));
    }
    let review = match decode_object(def, ask.content_type, ask.body, FieldValidation::Ignore, None) {
        Ok(d) => d.object,
        Err(e) => return Flow::Ready(Err(e)),
    };
    let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
    let token = spec
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if token.is_empty() {
        return Flow::Ready(Err(invalid(def, vec![FieldError::required("spec.token", "")])));
    }
    let audiences = crate::authn::token::requested_audiences(&spec, tokens.audiences());
    let def = ask.def.clone();
    tokens
        .review(&token, &audiences, cx)
        .and_then(cx, move |outcome, _| {
            let status = match outcome {
                Ok(Some((user, good_for))) => json!({
                    "authenticated": true,
                    "user": user.authenticated().to_json(),
                    "audiences": good_for,
                }),
                // As kube's bearer-token authenticator words a token nobody accepts.
                Ok(None) => json!({"user": {}, "error": "invalid bearer token"}),
                Err(e) => json!({"user": {}, "error": e.message}),
            };
            Flow::Ready(Ok(reply(&def, &review, spec, status)))
        })
}

/// The review as answered: its metadata, its spec (but for SelfSubjectReview), the status.
fn reply(def: &ResourceDef, review: &Value, spec: Value, status: Value) -> Reply {
    let mut meta = review
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    meta.insert("creationTimestamp".into(), Value::Null);
    let mut out = Map::new();
    out.insert("kind".into(), json!(def.kind));
    out.insert("apiVersion".into(), json!(def.api_version()));
    out.insert("metadata".into(), Value::Object(meta));
    if def.kind != "SelfSubjectReview" {
        out.insert("spec".into(), spec);
    }
    out.insert("status".into(), status);
    Reply {
        code: 201,
        object: Value::Object(out),
        warnings: Vec::new(),
    }
}

fn invalid(def: &ResourceDef, errs: Vec<FieldError>) -> ApiError {
    match crate::registry::strategy::invalid_if_any(def, &Value::Null, errs) {
        Err(e) => e,
        Ok(()) => ApiError::internal("a refused review without a cause"),
    }
}

/// Exactly one of resourceAttributes and nonResourceAttributes, as kube-apiserver checks.
fn check_attributes(def: &ResourceDef, spec: &Value) -> Result<(), ApiError> {
    let r = spec.get("resourceAttributes").is_some_and(|v| !v.is_null());
    let n = spec.get("nonResourceAttributes").is_some_and(|v| !v.is_null());
    if r == n {
        let msg = if r {
            "cannot be specified in combination with resourceAttributes"
        } else {
            "exactly one of nonResourceAttributes or resourceAttributes must be specified"
        };
        let field = if r {
            "spec.nonResourceAttributes"
        } else {
            "spec.resourceAttributes"
        };
        let value = spec.get("nonResourceAttributes").cloned().unwrap_or(Value::Null);
        return Err(invalid(def, vec![FieldError::invalid(field, value, msg)]));
    }
    Ok(())
}

/// The user a SubjectAccessReview asks about.
fn subject(spec: &Value) -> UserInfo {
    let s = |k: &str| spec.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let groups = spec
        .get("groups")
        .and_then(Value::as_array)
        .map(|g| g.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let extra = spec
        .get("extra")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let values = v.as_array().into_iter().flatten().filter_map(Value::as_str);
                    (k.clone(), values.map(str::to_string).collect())
                })
                .collect()
        })
        .unwrap_or_default();
    UserInfo {
        name: s("user"),
        uid: s("uid"),
        groups,
        extra,
    }
}

/// The decision of the authorizers on the review's attributes, as a review's status.
fn access(user: &UserInfo, spec: &Value, cx: &Lookups<'_>) -> Flow<Value> {
    let get = |path: &str| spec.pointer(path).and_then(Value::as_str).unwrap_or("");
    let attrs = if spec.get("resourceAttributes").is_some_and(|v| !v.is_null()) {
        Attributes {
            verb: get("/resourceAttributes/verb"),
            resource_request: true,
            group: get("/resourceAttributes/group"),
            resource: get("/resourceAttributes/resource"),
            subresource: get("/resourceAttributes/subresource"),
            namespace: get("/resourceAttributes/namespace"),
            name: get("/resourceAttributes/name"),
            path: "",
            field_selector: get("/resourceAttributes/fieldSelector/rawSelector"),
            api_version: match get("/resourceAttributes/version") {
                "" => "*",
                v => v,
            },
        }
    } else {
        Attributes {
            verb: get("/nonResourceAttributes/verb"),
            resource_request: false,
            path: get("/nonResourceAttributes/path"),
            ..Default::default()
        }
    };
    authz::decide(user, &attrs, cx).and_then(cx, |verdict, _| {
        let (allowed, denied, reason, error) = match verdict {
            Verdict::Allow(why) => (true, false, why, String::new()),
            Verdict::Deny(why) => (false, true, why, String::new()),
            Verdict::NoOpinion(why) => (false, false, why, String::new()),
            Verdict::Error {
                reason,
                error,
                denied,
            } => (false, denied, reason, error),
        };
        let mut status = json!({"allowed": allowed});
        if denied {
            status["denied"] = json!(true);
        }
        if !reason.is_empty() {
            status["reason"] = json!(reason);
        }
        if !error.is_empty() {
            status["evaluationError"] = json!(error);
        }
        Flow::Ready(status)
    })
}

/// A SelfSubjectRulesReview's status: the rules, split as kube splits them.
fn rules(found: &authz::Rules) -> Value {
    let mut resource_rules = Vec::new();
    let mut non_resource_rules = Vec::new();
    for r in &found.rules {
        if !r.resources.is_empty() {
            let mut rule = json!({"verbs": r.verbs, "apiGroups": r.api_groups, "resources": r.resources});
            if !r.resource_names.is_empty() {
                rule["resourceNames"] = json!(r.resource_names);
            }
            resource_rules.push(rule);
        }
        if !r.non_resource_urls.is_empty() {
            non_resource_rules.push(json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}));
        }
    }
    let mut status = json!({
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": found.incomplete,
    });
    if !found.errors.is_empty() {
        status["evaluationError"] = json!(authz::aggregate(&found.errors));
    }
    status
}

/// The legacy health view of the control plane's parts. Gatehouse checks its storage; it runs
/// no scheduler or controller manager and does not probe them.
fn component_statuses(ask: &Ask<'_>) -> Result<Reply, ApiError> {
    let item = |name: &str, healthy: bool, message: &str| {
        json!({
            "kind": "ComponentStatus",
            "apiVersion": "v1",
            "metadata": {"name": name},
            "conditions": [{
                "type": "Healthy",
                "status": if healthy { "True" } else { "False" },
                "message": message,
            }],
        })
    };
    let etcd = if ask.storage_ok {
        item("etcd-0", true, "ok")
    } else {
        item("etcd-0", false, "storage is not answering")
    };
    let items = vec![
        item(
            "controller-manager",
            false,
            "not probed: Gatehouse runs no controller manager",
        ),
        item("scheduler", false, "not probed: Gatehouse runs no scheduler"),
        etcd,
    ];
    let warnings = vec!["v1 ComponentStatus is deprecated in v1.19+".to_string()];
    let object = if ask.name.is_empty() {
        json!({"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": items})
    } else {
        match items.into_iter().find(|i| i["metadata"]["name"] == ask.name) {
            Some(i) => i,
            None => return Err(ApiError::not_found("", "componentstatuses", ask.name)),
        }
    };
    Ok(Reply {
        code: 200,
        object,
        warnings,
    })
}
