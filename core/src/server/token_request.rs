//! `serviceaccounts/token` (TokenRequest, `kubectl create token`): a token for a service
//! account, optionally bound to a Pod, Secret or Node, issued as kube's TokenRequest REST
//! storage issues it (defaults, validation, the binding's checks, the expiration limit and
//! extension), signed by the server's key. Nothing is stored.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::admission;
use crate::api::{self, ApiError};
use crate::authn::jwt;
use crate::authn::serviceaccount::{self, Binding, Config, Ref};
use crate::registry::body::decode_untyped;
use crate::registry::Reply;
use crate::server::effect::{Flow, Lookups};
use crate::time::format_rfc3339;
use crate::validation::FieldError;

const GROUP: &str = "authentication.k8s.io";
const KIND: &str = "TokenRequest";
const DEFAULT_EXPIRATION_SECS: i64 = 3600;
const MIN_EXPIRATION_SECS: i64 = 600;
const MAX_EXPIRATION_SECS: i64 = 1 << 32;

/// One TokenRequest.
pub(super) struct Ask<'a> {
    pub namespace: &'a str,
    /// The service account (the URL's name).
    pub name: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// The token's `jti`, drawn by the caller from the request's generator.
    pub jti: String,
}

/// Runs the admission chain over the TokenRequest, as kube's create handler does before its
/// storage issues the token (NodeRestriction holds a kubelet to tokens for its own pods),
/// then issues it. A body that does not decode is left for [`issue`] to refuse.
pub(super) fn admit_then_issue(
    ask: Ask<'_>,
    (user, seed): (&crate::authn::UserInfo, u64),
    chain: admission::Chain,
    config: &Arc<Config>,
    cx: &Lookups<'_>,
) -> Flow<Result<Reply, ApiError>> {
    let Ok(object) = decode_untyped(ask.content_type, ask.body) else {
        return issue(ask, config, cx);
    };
    let request = admission::Request {
        operation: admission::Operation::Create,
        group: "".into(),
        version: "v1".into(),
        resource: "serviceaccounts".into(),
        kind: KIND.into(),
        namespaced: true,
        namespace: ask.namespace.to_string(),
        name: ask.name.to_string(),
        subresource: "token".into(),
        user: user.clone(),
        dry_run: false,
        object: Some(object),
        old_object: None,
        options: json!({"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}),
        warnings: Vec::new(),
        deadline_ms: None,
        seed,
    };
    let (namespace, name, jti) = (ask.namespace.to_string(), ask.name.to_string(), ask.jti);
    let config = config.clone();
    let validating = chain.clone();
    chain
        .run(admission::Phase::Mutating, request, cx)
        .and_then(cx, move |admitted, cx| match admitted {
            Ok(request) => validating.run(admission::Phase::Validating, request, cx),
            Err(e) => Flow::Ready(Err(e)),
        })
        .and_then(cx, move |admitted, cx| {
            let request = match admitted {
                Ok(request) => request,
                Err(e) => return Flow::Ready(Err(e)),
            };
            let body = serde_json::to_vec(&request.object.unwrap_or(Value::Null)).unwrap_or_default();
            let ask = Ask {
                namespace: &namespace,
                name: &name,
                content_type: "application/json",
                body: &body,
                jti,
            };
            issue(ask, &config, cx)
        })
}

/// Issues the token `ask` requests under `config`: now, or after reading the service account
/// and the bound object.
pub(super) fn issue(ask: Ask<'_>, config: &Arc<Config>, cx: &Lookups<'_>) -> Flow<Result<Reply, ApiError>> {
    let Some(signer) = config.signer.clone() else {
        // Without a signing key kube serves no token subresource.
        return Flow::Ready(Err(ApiError::path_not_found()));
    };
    let mut request = match prepare(&ask, config) {
        Ok(r) => r,
        Err(e) => return Flow::Ready(Err(e)),
    };
    let namespace = ask.namespace.to_string();
    let name = ask.name.to_string();
    let jti = ask.jti;
    let config = config.clone();
    let sa_key = cx.core_key("serviceaccounts", &namespace, &name);
    cx.object(sa_key).and_then(cx, move |sa, cx| {
        let sa = match sa {
            Ok(Some(sa)) => sa,
            Ok(None) => return Flow::Ready(Err(ApiError::not_found("", "serviceaccounts", &name))),
            Err(e) => return Flow::Ready(Err(e)),
        };
        let binding = Binding {
            namespace: namespace.clone(),
            service_account: Ref {
                name: name.clone(),
                uid: api::uid(&sa).to_string(),
            },
            ..Binding::default()
        };
        bind(&mut request, binding, cx).and_then(cx, move |bound, cx| {
            let binding = match bound {
                Ok(b) => b,
                Err(e) => return Flow::Ready(Err(e)),
            };
            Flow::Ready(sign(
                request,
                &binding,
                &config,
                &*signer,
                &jti,
                cx.now.wall_secs(),
            ))
        })
    })
}

/// The request as decoded, defaulted and validated, before any lookup.
struct Prepared {
    object: Map<String, Value>,
    audiences: Vec<String>,
    expiration: i64,
    bound: Option<(String, String, String)>,
}

fn prepare(ask: &Ask<'_>, config: &Config) -> Result<Prepared, ApiError> {
    let decoded = if ask.body.is_empty() {
        json!({})
    } else {
        decode_untyped(ask.content_type, ask.body)?
    };
    let Value::Object(mut object) = decoded else {
        return Err(ApiError::bad_request("the body is not a TokenRequest object"));
    };
    let api_version = format!("{GROUP}/v1");
    if let Some(av) = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
    {
        if av != api_version {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({api_version})"
            )));
        }
    }
    if let Some(kind) = object
        .get("kind")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
    {
        if kind != KIND {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({KIND})"
            )));
        }
    }
    let meta = object
        .entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
    for (field, want, what) in [
        (
            "name",
            ask.name,
            "must match the service account name if specified",
        ),
        (
            "namespace",
            ask.namespace,
            "must match the service account namespace if specified",
        ),
    ] {
        let given = meta.get(field).and_then(Value::as_str).unwrap_or("");
        if !given.is_empty() && given != want {
            let err = FieldError::invalid(&format!("metadata.{field}"), given, what);
            return Err(invalid(ask.name, vec![err]));
        }
        meta.insert(field.into(), json!(want));
    }
    // Read in place: the spec stays in the object, which the answer echoes.
    let spec = object
        .get("spec")
        .filter(|s| s.is_object())
        .unwrap_or(&Value::Null);
    let audiences = crate::authn::token::requested_audiences(spec, &config.api_audiences);
    let expiration = match spec.get("expirationSeconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRATION_SECS,
        Some(v) => v.as_i64().ok_or_else(|| {
            // What decoding into kube's int64 field says of anything else.
            let what = match v {
                Value::Number(n) => format!("number {n}"),
                Value::String(_) => "string".to_string(),
                Value::Bool(_) => "bool".to_string(),
                Value::Array(_) => "array".to_string(),
                _ => "object".to_string(),
            };
            ApiError::bad_request(format!(
                "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: json: cannot unmarshal {what} into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64"
            ))
        })?,
    };
    let mut errs = Vec::new();
    if expiration < MIN_EXPIRATION_SECS {
        errs.push(FieldError::invalid(
            "spec.expirationSeconds",
            expiration,
            "may not specify a duration less than 10 minutes",
        ));
    }
    if expiration > MAX_EXPIRATION_SECS {
        errs.push(FieldError::invalid(
            "spec.expirationSeconds",
            expiration,
            "may not specify a duration larger than 2^32 seconds",
        ));
    }
    if !errs.is_empty() {
        return Err(invalid("", errs));
    }
    let bound = match spec.get("boundObjectRef").filter(|v| !v.is_null()) {
        None => None,
        Some(r) => {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let (api_version, kind) = (s("apiVersion"), s("kind"));
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
            let supported = group.is_empty() && matches!(kind.as_str(), "Pod" | "Secret" | "Node");
            if !supported {
                return Err(ApiError::bad_request(format!(
                    "cannot bind token to object of type {group}/{version}, Kind={kind}"
                )));
            }
            Some((kind, s("name"), s("uid")))
        }
    };
    Ok(Prepared {
        object,
        audiences,
        expiration,
        bound,
    })
}

/// The 422 of a TokenRequest named `name`.
fn invalid(name: &str, errs: Vec<FieldError>) -> ApiError {
    crate::registry::strategy::invalid_error(GROUP, KIND, name, &errs)
}

/// Reads the bound object (and a pod's node) into the binding, with kube's refusals.
fn bind(request: &mut Prepared, mut binding: Binding, cx: &Lookups<'_>) -> Flow<Result<Binding, ApiError>> {
    let Some((kind, name, want_uid)) = request.bound.clone() else {
        return Flow::Ready(Ok(binding));
    };
    let (resource, ns) = match kind.as_str() {
        "Pod" => ("pods", binding.namespace.as_str()),
        "Secret" => ("secrets", binding.namespace.as_str()),
        _ => ("nodes", ""),
    };
    cx.object(cx.core_key(resource, ns, &name)).and_then(cx, move |obj, cx| {
        let obj = match obj {
            Ok(Some(obj)) => obj,
            Ok(None) => return Flow::Ready(Err(ApiError::not_found("", resource, &name))),
            Err(e) => return Flow::Ready(Err(e)),
        };
        let uid = api::uid(&obj).to_string();
        if !want_uid.is_empty() && uid != want_uid {
            return Flow::Ready(Err(ApiError::conflict(
                "",
                &kind,
                &name,
                &format!(
                    "the UID in the bound object reference ({want_uid}) does not match the UID in record. The object might have been deleted and then recreated"
                ),
            )));
        }
        let bound = Ref { name: name.clone(), uid };
        match kind.as_str() {
            "Secret" => binding.secret = Some(bound),
            "Node" => binding.node = Some(bound),
            _ => {
                let sa = obj
                    .pointer("/spec/serviceAccountName")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if sa != binding.service_account.name {
                    return Flow::Ready(Err(ApiError::bad_request(format!(
                        "cannot bind token for serviceaccount {:?} to pod running with different serviceaccount name.",
                        binding.service_account.name
                    ))));
                }
                binding.pod = Some(bound);
                let node = obj.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("");
                if !node.is_empty() {
                    // The pod's node goes into the token too; one that is gone still names it.
                    let node = node.to_string();
                    return cx.object(cx.core_key("nodes", "", &node)).and_then(cx, move |n, _| {
                        let uid = n.ok().flatten().map(|n| api::uid(&n).to_string()).unwrap_or_default();
                        binding.node = Some(Ref { name: node, uid });
                        Flow::Ready(Ok(binding))
                    });
                }
            }
        }
        Flow::Ready(Ok(binding))
    })
}

/// Signs the token and writes the TokenRequest kube answers with.
fn sign(
    mut request: Prepared,
    binding: &Binding,
    config: &Config,
    signer: &dyn jwt::Signer,
    jti: &str,
    now: i64,
) -> Result<Reply, ApiError> {
    let mut warnings = Vec::new();
    let mut expiration = request.expiration;
    if config.max_expiration_secs > 0 && expiration > config.max_expiration_secs {
        warnings.push(format!(
            "requested expiration of {expiration} seconds shortened to {} seconds",
            config.max_expiration_secs
        ));
        expiration = config.max_expiration_secs;
    }
    // kube's extension for kubelets that ask for exactly 1 h 7 s for the API's audiences:
    // the token lives a year, and says after when it should be refreshed.
    let extend = config.extend_expiration
        && binding.pod.is_some()
        && request.expiration == serviceaccount::WARN_ONLY_EXPIRATION_SECS
        && request.audiences.iter().all(|a| config.api_audiences.contains(a));
    let (exp, warn_after) = if extend {
        (
            now + serviceaccount::EXTENDED_EXPIRATION_SECS,
            Some(now + expiration),
        )
    } else {
        (now + expiration, None)
    };
    let issuer = config.issuers.first().map(String::as_str).unwrap_or("");
    let claims = serviceaccount::claims(issuer, binding, &request.audiences, now, exp, warn_after, jti);
    let token =
        jwt::encode(&claims, signer).map_err(|e| ApiError::internal(format!("failed to sign token: {e}")))?;
    let mut spec = request
        .object
        .remove("spec")
        .and_then(|s| match s {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    spec.insert("audiences".into(), json!(request.audiences));
    spec.insert("expirationSeconds".into(), json!(expiration));
    if !spec.contains_key("boundObjectRef") {
        spec.insert("boundObjectRef".into(), Value::Null);
    }
    let mut meta = request
        .object
        .remove("metadata")
        .and_then(|m| match m {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    meta.insert("creationTimestamp".into(), json!(format_rfc3339(now)));
    let object = json!({
        "kind": KIND,
        "apiVersion": format!("{GROUP}/v1"),
        "metadata": meta,
        "spec": spec,
        "status": {
            "token": token,
            "expirationTimestamp": format_rfc3339(now + expiration),
        },
    });
    Ok(Reply {
        code: 201,
        object,
        warnings,
    })
}
