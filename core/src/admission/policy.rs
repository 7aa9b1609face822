//! ValidatingAdmissionPolicy: policies and their bindings, kept in the watch caches, judge
//! each write in the validating phase with CEL. A binding that matches runs its policy once
//! per parameter object (or once without one): the policy's match conditions, then its
//! validations; a false validation is denied, warned or audited as the binding's
//! `validationActions` say, an expression that fails follows the policy's `failurePolicy`.
//! The first denial is the answer, in kube's words:
//! `ValidatingAdmissionPolicy 'p' with binding 'b' denied request: <message>`.
//!
//! Not built: the `authorizer` variable, cost limits, type checking (`status.typeChecking`),
//! and the audit annotations (Gatehouse writes no audit log yet): `auditAnnotations` are
//! evaluated only for their errors, which deny under `failurePolicy: Fail` as in kube.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::webhook::{matching::Invocation, review};
use super::{matching, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::cel::{self, Context, Program, Value as Cel};
use crate::server::effect::{Flow, Lookups};

const GROUP: &str = "admissionregistration.k8s.io";

/// kube-apiserver's `ValidatingAdmissionPolicy` plugin, with its compiled policies.
#[derive(Default)]
pub struct ValidatingAdmissionPolicy {
    compiled: Arc<Cache>,
}

/// Compiled policies by uid and resourceVersion: a changed policy compiles again.
type Cache = Mutex<HashMap<(String, String), Arc<Compiled>>>;

impl std::fmt::Debug for ValidatingAdmissionPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValidatingAdmissionPolicy")
    }
}

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(ValidatingAdmissionPolicy::default()))
}

/// An expression and what compiling it gave.
struct Expr {
    text: String,
    program: Result<Program, String>,
}

impl Expr {
    fn new(text: &str) -> Self {
        Expr {
            text: text.to_string(),
            program: cel::compile(text).map_err(|e| format!("compilation failed: ERROR: <input>: {e}")),
        }
    }
}

struct Validation {
    expr: Expr,
    message: String,
    message_expr: Option<Expr>,
    reason: Option<String>,
}

/// A policy's expressions, compiled once per version of the policy.
struct Compiled {
    fail: bool,
    match_conditions: Vec<Expr>,
    variables: Vec<(String, Expr)>,
    validations: Vec<Validation>,
    audit: Vec<Expr>,
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or("")
}

fn items<'a>(v: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    v.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

impl Compiled {
    fn new(policy: &Value) -> Self {
        Compiled {
            fail: policy.pointer("/spec/failurePolicy").and_then(Value::as_str) != Some("Ignore"),
            match_conditions: items(policy, "/spec/matchConditions")
                .map(|c| Expr::new(text(c, "expression")))
                .collect(),
            variables: items(policy, "/spec/variables")
                .map(|v| (text(v, "name").to_string(), Expr::new(text(v, "expression"))))
                .collect(),
            validations: items(policy, "/spec/validations")
                .map(|v| Validation {
                    expr: Expr::new(text(v, "expression")),
                    message: text(v, "message").trim().to_string(),
                    message_expr: v.get("messageExpression").and_then(Value::as_str).map(Expr::new),
                    reason: v.get("reason").and_then(Value::as_str).map(str::to_string),
                })
                .collect(),
            audit: items(policy, "/spec/auditAnnotations")
                .map(|a| Expr::new(text(a, "valueExpression")))
                .collect(),
        }
    }
}

/// The outcome of one expression.
fn run(expr: &Expr, cx: &Context<'_>) -> Result<Cel, String> {
    let program = expr.program.as_ref().map_err(Clone::clone)?;
    cel::execute(program, cx).map_err(|e| format!("expression '{}' resulted in error: {e}", expr.text))
}

/// A denial: which policy and binding, why, and with which reason.
struct Denial {
    policy: String,
    binding: Option<String>,
    message: String,
    reason: Option<String>,
}

impl Plugin for ValidatingAdmissionPolicy {
    fn name(&self) -> &'static str {
        "ValidatingAdmissionPolicy"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating || matching::is_exempt(&request) {
            return Flow::Ready(Ok(request));
        }
        // From the watch caches, or storage while they (re)load.
        let read = list(cx, "validatingadmissionpolicies").and_then(cx, |policies, cx| match policies {
            Ok(p) if p.is_empty() => Flow::Ready(Ok((p, Vec::new()))),
            Ok(p) => list(cx, "validatingadmissionpolicybindings")
                .and_then(cx, move |b, _| Flow::Ready(b.map(|b| (p, b)))),
            Err(e) => Flow::Ready(Err(e)),
        });
        let this = self.compiled.clone();
        read.and_then(cx, move |read, cx| {
            let (policies, bindings) = match read {
                Ok(pb) if pb.0.is_empty() => return Flow::Ready(Ok(request)),
                Ok(pb) => pb,
                Err(e) => return Flow::Ready(Err(e)),
            };
            let compiled: Vec<(Arc<Value>, Arc<Compiled>)> = policies
                .into_iter()
                .map(|p| {
                    let c = compiled(&this, &p);
                    (p, c)
                })
                .collect();
            judge(request, compiled, bindings, cx)
        })
    }
}

/// Judges the request by every policy that matches it (its namespace read first).
fn judge(
    request: Request,
    compiled: Vec<(Arc<Value>, Arc<Compiled>)>,
    bindings: Vec<Arc<Value>>,
    cx: &Lookups<'_>,
) -> Flow<Result<Request, ApiError>> {
    // The namespace object: the selectors' labels and the `namespaceObject` variable.
    let ns = if request.kind == "Namespace" && request.group.is_empty() {
        String::new()
    } else {
        matching::namespace_of(&request).to_string()
    };
    let read = if ns.is_empty() {
        Flow::Ready(Ok(None))
    } else {
        cx.object(cx.core_key("namespaces", "", &ns))
    };
    read.and_then(cx, move |namespace, cx| {
        let namespace = match namespace {
            Ok(n) => n,
            Err(e) => return Flow::Ready(Err(e)),
        };
        let mut request = request;
        let outcome = dispatch(&mut request, &compiled, &bindings, namespace.as_ref(), cx);
        Flow::Ready(outcome.map(|()| request))
    })
}

/// The compiled form of `policy`, compiled once per version of it.
fn compiled(cache: &Cache, policy: &Value) -> Arc<Compiled> {
    let key = (
        policy
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        policy
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    );
    let Ok(mut cache) = cache.lock() else {
        return Arc::new(Compiled::new(policy));
    };
    if let Some(c) = cache.get(&key) {
        return c.clone();
    }
    // Versions of policies that are gone are dropped now and then.
    if cache.len() > 1024 {
        cache.clear();
    }
    let c = Arc::new(Compiled::new(policy));
    cache.insert(key, c.clone());
    c
}

/// The objects of a cluster-scoped admissionregistration resource, by name.
fn list(cx: &Lookups<'_>, resource: &str) -> Flow<Result<Vec<Arc<Value>>, ApiError>> {
    super::lookup::list(cx, (GROUP, "v1", resource), "").and_then(cx, |objects, _| {
        Flow::Ready(objects.map(|mut out| {
            out.sort_by(|a, b| crate::api::name(a).cmp(crate::api::name(b)));
            out
        }))
    })
}

fn dispatch(
    request: &mut Request,
    policies: &[(Arc<Value>, Arc<Compiled>)],
    bindings: &[Arc<Value>],
    namespace: Option<&Value>,
    cx: &Lookups<'_>,
) -> Result<(), ApiError> {
    let mut denials: Vec<Denial> = Vec::new();
    for (policy, compiled) in policies {
        let name = crate::api::name(policy).to_string();
        let config_error = |denials: &mut Vec<Denial>, binding: Option<&str>, e: String| {
            if compiled.fail {
                let what = if binding.is_some() { "binding" } else { "policy" };
                denials.push(Denial {
                    policy: name.clone(),
                    binding: binding.map(str::to_string),
                    message: format!("failed to configure {what}: {e}"),
                    reason: None,
                });
            }
        };
        match matching::resources_match(policy.pointer("/spec/matchConstraints"), request, namespace) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                config_error(&mut denials, None, e);
                continue;
            }
        }
        let own = bindings
            .iter()
            .filter(|b| b.pointer("/spec/policyName").and_then(Value::as_str) == Some(name.as_str()));
        for binding in own {
            let binding_name = crate::api::name(binding).to_string();
            match matching::resources_match(binding.pointer("/spec/matchResources"), request, namespace) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    config_error(&mut denials, Some(&binding_name), e);
                    continue;
                }
            }
            let params = match params(policy, binding, request, cx) {
                Ok(p) => p,
                Err(e) => {
                    config_error(&mut denials, Some(&binding_name), e);
                    continue;
                }
            };
            let actions: Vec<&str> = items(binding, "/spec/validationActions")
                .filter_map(Value::as_str)
                .collect();
            for param in params {
                for (message, reason) in evaluate(compiled, request, param.as_ref(), namespace) {
                    for action in &actions {
                        match *action {
                            "Deny" => denials.push(Denial {
                                policy: name.clone(),
                                binding: Some(binding_name.clone()),
                                message: message.clone(),
                                reason: reason.clone(),
                            }),
                            "Warn" => request.warnings.push(format!(
                                "Validation failed for ValidatingAdmissionPolicy '{name}' with binding '{binding_name}': {message}"
                            )),
                            // Audit: recorded in the audit log, which Gatehouse does not write yet.
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    let Some(first) = denials.into_iter().next() else {
        return Ok(());
    };
    let message = match &first.binding {
        Some(b) => format!(
            "ValidatingAdmissionPolicy '{}' with binding '{b}' denied request: {}",
            first.policy, first.message
        ),
        None => format!(
            "ValidatingAdmissionPolicy '{}' denied request: {}",
            first.policy, first.message
        ),
    };
    let mut e = request.forbidden(&message);
    // The reasons a policy may give (the API allows no others); none is Invalid.
    (e.code, e.reason) = match first.reason.as_deref() {
        Some("Forbidden") => (403, "Forbidden"),
        Some("Unauthorized") => (401, "Unauthorized"),
        Some("RequestEntityTooLarge") => (413, "RequestEntityTooLarge"),
        _ => (422, "Invalid"),
    };
    e.causes.push(crate::api::Cause {
        reason: String::new(),
        message,
        field: String::new(),
    });
    Err(e)
}

/// The parameter objects a binding names: none to run without (`[None]`), or those found.
fn params(
    policy: &Value,
    binding: &Value,
    request: &Request,
    cx: &Lookups<'_>,
) -> Result<Vec<Option<Value>>, String> {
    let (Some(kind), Some(param_ref)) = (
        policy.pointer("/spec/paramKind").filter(|k| k.is_object()),
        binding.pointer("/spec/paramRef").filter(|r| r.is_object()),
    ) else {
        return Ok(vec![None]);
    };
    let api_version = text(kind, "apiVersion");
    let (group, _) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let Some(def) = crate::registry::find_kind(group, text(kind, "kind")) else {
        return Err(format!(
            "paramKind kind `{}, Kind={}` not known",
            api_version,
            text(kind, "kind")
        ));
    };
    let explicit_ns = text(param_ref, "namespace");
    let ns = if !def.namespaced {
        if !explicit_ns.is_empty() {
            return Err("paramRef.namespace must not be provided for a cluster-scoped `paramKind`".into());
        }
        String::new()
    } else if !explicit_ns.is_empty() {
        explicit_ns.to_string()
    } else if !request.namespace.is_empty() {
        request.namespace.clone()
    } else {
        return Err(
            "cannot use namespaced paramRef in policy binding that matches cluster-scoped resources".into(),
        );
    };
    let name = text(param_ref, "name");
    let selector = param_ref.get("selector").filter(|s| !s.is_null());
    let found: Vec<Option<Value>> = match (name.is_empty(), selector) {
        (false, Some(_)) => return Err("paramRef.name and paramRef.selector are mutually exclusive".into()),
        (false, None) => {
            let key = crate::registry::object_key(cx.prefix, def, &ns, name);
            cx.caches
                .for_key(&key)
                .get(&key)
                .map(|v| Some(Value::clone(v)))
                .into_iter()
                .collect()
        }
        (true, Some(sel)) => {
            let sel = crate::selectors::label::LabelSelector::from_label_selector_json(sel)
                .map_err(|e| e.to_string())?;
            let prefix = crate::registry::collection_prefix(cx.prefix, def, &ns);
            cx.caches
                .for_key(&prefix)
                .list(&prefix)
                .filter(|(_, v)| sel.matches(v.pointer("/metadata/labels")))
                .map(|(_, v)| Some(Value::clone(v)))
                .collect()
        }
        (true, None) => return Err("one of name or selector must be provided".into()),
    };
    if found.is_empty() && text(param_ref, "parameterNotFoundAction") == "Deny" {
        return Err("no params found for policy binding with `Deny` parameterNotFoundAction".into());
    }
    Ok(found)
}

/// Runs a policy for one parameter: the failed validations' messages and reasons (failed
/// expressions among them under `failurePolicy: Fail`).
fn evaluate(
    c: &Compiled,
    request: &Request,
    param: Option<&Value>,
    namespace: Option<&Value>,
) -> Vec<(String, Option<String>)> {
    let mut context = cel::context();
    let object = request.object.as_ref().map(cel::value).unwrap_or(Cel::Null);
    let old = request.old_object.as_ref().map(cel::value).unwrap_or(Cel::Null);
    context.add_variable_from_value("object", object);
    context.add_variable_from_value("oldObject", old);
    // `request` is the webhooks' AdmissionRequest without the objects, which are variables
    // of their own.
    let uid = crate::rng::Rng::new(request.seed).uuid_v4();
    let mut attributes = review::admission_request(&uid, request, &Invocation::of(request), None, None);
    if let Some(a) = attributes.as_object_mut() {
        a.remove("object");
        a.remove("oldObject");
    }
    context.add_variable_from_value("request", cel::value(&attributes));
    context.add_variable_from_value("params", param.map(cel::value).unwrap_or(Cel::Null));
    let ns = namespace.map(namespace_object).unwrap_or(Value::Null);
    context.add_variable_from_value("namespaceObject", cel::value(&ns));
    // Variables in order, each seeing those before it; one that fails is left out, so an
    // expression using it fails in turn.
    let mut vars = serde_json::Map::new();
    context.add_variable_from_value("variables", cel::value(&Value::Object(vars.clone())));
    for (name, expr) in &c.variables {
        if let Some(v) = run(expr, &context).ok().and_then(|v| cel::to_json(&v)) {
            vars.insert(name.clone(), v);
            context.add_variable_from_value("variables", cel::value(&Value::Object(vars.clone())));
        }
    }
    let on_error = |e: String| if c.fail { vec![(e, None)] } else { Vec::new() };
    let mut errors = Vec::new();
    for m in &c.match_conditions {
        match run(m, &context) {
            Ok(Cel::Bool(true)) => {}
            Ok(Cel::Bool(false)) => return Vec::new(),
            Ok(other) => errors.push(format!(
                "expression '{}' resulted in error: no such overload: expected bool, got {}",
                m.text,
                cel::type_name(&other)
            )),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return on_error(errors.join(", "));
    }
    let mut out = Vec::new();
    for v in &c.validations {
        match run(&v.expr, &context) {
            Ok(Cel::Bool(true)) => {}
            Err(e) => out.extend(on_error(e)),
            Ok(_) => {
                let from_expr = v
                    .message_expr
                    .as_ref()
                    .and_then(|m| run(m, &context).ok())
                    .and_then(|m| match m {
                        Cel::String(s) => Some(s.trim().to_string()),
                        _ => None,
                    })
                    .filter(|m| !m.is_empty() && !m.contains('\n') && m.len() <= 5 * 1024);
                let message = from_expr
                    .or_else(|| (!v.message.is_empty()).then(|| v.message.clone()))
                    .unwrap_or_else(|| format!("failed expression: {}", v.expr.text.trim()));
                out.push((
                    message,
                    Some(v.reason.clone().unwrap_or_else(|| "Invalid".into())),
                ));
            }
        }
    }
    for a in &c.audit {
        match run(a, &context) {
            Ok(Cel::String(_)) | Ok(Cel::Null) => {}
            Ok(other) => out.extend(on_error(format!(
                "valueExpression '{}' resulted in unsupported return type: {}. Return type must be either string or null.",
                a.text,
                cel::type_name(&other)
            ))),
            Err(e) => out.extend(on_error(e)),
        }
    }
    out
}

/// What policies see of the namespace: its metadata (without managed fields), spec and
/// status, as kube's CreateNamespaceObject exposes it.
fn namespace_object(ns: &Value) -> Value {
    let mut meta: BTreeMap<String, Value> = ns
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    meta.remove("managedFields");
    json!({
        "metadata": meta,
        "spec": ns.get("spec").cloned().unwrap_or(json!({})),
        "status": ns.get("status").cloned().unwrap_or(json!({})),
    })
}
