//! The server's own requests (start-up objects, namespace finalization, each namespace's
//! `kube-root-ca.crt`), made as kube-apiserver's loopback client makes them: as HTTP
//! requests through the whole filter chain, so that authentication (as `system:apiserver`
//! in `system:masters`), audit, priority and fairness, authorization and admission see them
//! as they see any other.

use std::sync::Arc;

use serde_json::Value;

use crate::http::Request;
use crate::registry::{Call, Params, ResourceDef};

/// The server's own write of `body` into `def` (`create`, or `update` of the object it
/// names), sent as `user_agent`.
pub(super) fn write(def: &Arc<ResourceDef>, verb: &str, body: &Value, user_agent: &str) -> Request {
    let name = if verb == "create" {
        ""
    } else {
        crate::api::name(body)
    };
    let namespace = crate::api::namespace(body).to_string();
    // A delete removes exactly the object seen: a newer one of the same name stays.
    let delete_options;
    let body = if verb == "delete" {
        delete_options = serde_json::json!({
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "preconditions": {"uid": crate::api::uid(body)},
        });
        &delete_options
    } else {
        body
    };
    request(&Call {
        def: def.clone(),
        served: def.clone(),
        verb: verb.into(),
        namespace,
        name: name.to_string(),
        subresource: String::new(),
        params: Params::default(),
        content_type: "application/json".into(),
        body: body.to_string().into_bytes(),
        user: crate::authn::UserInfo::apiserver(),
        user_agent: user_agent.into(),
    })
}

/// The HTTP request that asks for what `call` describes.
pub(super) fn request(call: &Call) -> Request {
    let def = &*call.def;
    let mut path = if def.group.is_empty() {
        format!("/api/{}", def.version)
    } else {
        format!("/apis/{}/{}", def.group, def.version)
    };
    if def.namespaced && !call.namespace.is_empty() {
        path.push_str(&format!("/namespaces/{}", call.namespace));
    }
    for part in [&*def.resource, call.name.as_str(), call.subresource.as_str()] {
        if !part.is_empty() {
            path.push('/');
            path.push_str(part);
        }
    }
    let query: Vec<String> = call
        .params
        .0
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    let target = if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    };
    let method = match call.verb.as_str() {
        "create" => "POST",
        "update" => "PUT",
        "patch" => "PATCH",
        "delete" | "deletecollection" => "DELETE",
        _ => "GET",
    };
    let mut headers = vec![("user-agent".to_string(), call.user_agent.clone())];
    if !call.content_type.is_empty() {
        headers.push(("content-type".to_string(), call.content_type.clone()));
    }
    Request {
        method: method.to_string(),
        target,
        headers,
        body: call.body.clone(),
        keep_alive: true,
    }
}

/// Percent-encodes what a query value may not carry as is.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{self, Params};
    use crate::request::info;

    fn call(resource: &str, verb: &str, namespace: &str, name: &str, sub: &str) -> Call {
        let def = std::sync::Arc::new(
            registry::find("", "v1", resource)
                .expect("a core resource")
                .clone(),
        );
        Call {
            def: def.clone(),
            served: def,
            verb: verb.into(),
            namespace: namespace.into(),
            name: name.into(),
            subresource: sub.into(),
            params: Params(vec![("propagationPolicy".into(), "Background".into())]),
            content_type: String::new(),
            body: Vec::new(),
            user: crate::authn::UserInfo::default(),
            user_agent: "kube-apiserver".into(),
        }
    }

    /// What the filter chain reads back from the request is what the call said.
    #[test]
    fn requests_resolve_to_the_calls_they_were_made_from() {
        for (c, path) in [
            (
                call("configmaps", "deletecollection", "ns1", "", ""),
                "/api/v1/namespaces/ns1/configmaps",
            ),
            (
                call("namespaces", "update", "", "ns1", "finalize"),
                "/api/v1/namespaces/ns1/finalize",
            ),
            (
                call("services", "create", "default", "", ""),
                "/api/v1/namespaces/default/services",
            ),
            (
                call("configmaps", "update", "ns1", "kube-root-ca.crt", ""),
                "/api/v1/namespaces/ns1/configmaps/kube-root-ca.crt",
            ),
        ] {
            let req = request(&c);
            assert_eq!(req.path(), path);
            let info = info::resolve(&req.method, req.path(), req.query());
            assert_eq!(info.verb, c.verb, "{path}");
            assert_eq!(info.resource, c.def.resource, "{path}");
            assert_eq!(info.subresource, c.subresource, "{path}");
            assert_eq!(req.query(), "propagationPolicy=Background");
        }
        assert_eq!(escape("a b/c"), "a%20b%2Fc");
    }
}
