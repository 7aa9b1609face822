//! Non-resource endpoints: version, health checks, discovery and OpenAPI, plus the objects
//! created at start-up.

use serde_json::{json, Value};

use crate::discovery;
use crate::http::Request;
use crate::openapi::{GroupVersionResources, ResourceEntry};
use crate::registry::Resources;
use crate::request::info::RequestInfo;

use super::encode::{json_response, raw_response, Negotiated};
use super::{Config, Server};

/// The Kubernetes version Gatehouse serves.
pub const VERSION: (&str, &str, &str) = ("1", "32", "v1.32.0");

/// Answers one non-resource request.
pub(super) fn serve(server: &Server, req: &Request, info: &RequestInfo, n: &Negotiated) -> Vec<u8> {
    let path = info.path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    if req.method != "GET" && req.method != "HEAD" {
        return super::encode::error(&crate::api::ApiError::method_not_allowed());
    }
    if let Some(resp) = health(server, path, req.query()) {
        return resp;
    }
    match path {
        "/version" => json_response(200, "application/json", &version(), &[]),
        "/.well-known/openid-configuration" => issuer_discovery(server, false),
        "/openid/v1/jwks" => issuer_discovery(server, true),
        "/api" => match &n.discovery {
            Some(v) => discovery_response(&discovery::aggregated(&server.hub.resources, true, v), v),
            None => json_response(
                200,
                "application/json",
                &discovery::api_versions(&server_address(server)),
                &[],
            ),
        },
        "/apis" => match &n.discovery {
            Some(v) => discovery_response(&discovery::aggregated(&server.hub.resources, false, v), v),
            None => json_response(
                200,
                "application/json",
                &discovery::api_group_list(&server.hub.resources),
                &[],
            ),
        },
        "/openapi/v2" => match &server.hub.openapi {
            Some(d) => d.v2(&server.hub.resources, n.openapi_proto).to_vec(),
            None => not_found(),
        },
        "/openapi/v3" => match &server.hub.openapi {
            Some(d) => d.v3_root(&server.hub.resources).to_vec(),
            None => not_found(),
        },
        p if p.starts_with("/openapi/v3/") => openapi_v3(server, p.trim_start_matches("/openapi/v3/")),
        p => {
            let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            let doc = match parts.as_slice() {
                ["api", v] => discovery::api_resource_list(&server.hub.resources, "", v),
                ["apis", g] => discovery::api_group_doc(&server.hub.resources, g),
                ["apis", g, v] => discovery::api_resource_list(&server.hub.resources, g, v),
                _ => None,
            };
            match doc {
                Some(d) => json_response(200, "application/json", &d, &[]),
                None => not_found(),
            }
        }
    }
}

fn not_found() -> Vec<u8> {
    super::encode::error(&crate::api::ApiError::path_not_found())
}

/// Service-account issuer discovery, as kube serves it: the OpenID configuration naming the
/// issuer and where its keys are, and the keys as a JWK set (cacheable for an hour).
fn issuer_discovery(server: &Server, keys: bool) -> Vec<u8> {
    let sa = &server.hub.service_accounts;
    let Some(issuer) = sa.issuers.first() else {
        return not_found();
    };
    let (content_type, doc) = if keys {
        let keys: Vec<Value> = sa.keys.iter().map(|k| k.jwk()).collect();
        ("application/jwk-set+json", serde_json::json!({ "keys": keys }))
    } else {
        let jwks_uri = sa
            .jwks_uri
            .clone()
            .unwrap_or_else(|| format!("https://{}/openid/v1/jwks", server_address(server)));
        let mut algs: Vec<&str> = sa.keys.iter().map(|k| k.algorithm()).collect();
        algs.sort_unstable();
        algs.dedup();
        (
            "application/json",
            serde_json::json!({
                "issuer": issuer,
                "jwks_uri": jwks_uri,
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": algs,
            }),
        )
    };
    let body = serde_json::to_vec(&doc).unwrap_or_default();
    raw_response(
        200,
        vec![
            ("Cache-Control".into(), "public, max-age=3600".into()),
            ("Content-Type".into(), content_type.into()),
        ],
        &body,
    )
}

fn server_address(server: &Server) -> String {
    format!("{}:{}", server.cfg.advertise_address, server.cfg.secure_port)
}

fn discovery_response(doc: &Value, version: &str) -> Vec<u8> {
    let body = serde_json::to_vec(doc).unwrap_or_default();
    let ct = format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList");
    let etag = format!("\"{:016X}\"", crate::discovery::fnv64(&body));
    raw_response(
        200,
        vec![
            ("Cache-Control".into(), "no-cache, private".into()),
            ("Content-Type".into(), ct),
            ("Etag".into(), etag),
            ("Vary".into(), "Accept".into()),
        ],
        &body,
    )
}

/// The version document.
pub fn version() -> Value {
    json!({
        "major": VERSION.0,
        "minor": VERSION.1,
        "gitVersion": VERSION.2,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// Health endpoints: `/healthz`, `/livez`, `/readyz`, each with per-check paths, `verbose`
/// and `exclude`, as kube-apiserver's healthz package answers them.
fn health(server: &Server, path: &str, query: &str) -> Option<Vec<u8>> {
    let (endpoint, single) = ["/healthz", "/livez", "/readyz"].iter().find_map(|e| {
        if path == *e {
            Some((*e, None))
        } else {
            path.strip_prefix(&format!("{e}/"))
                .map(|rest| (*e, Some(rest.to_string())))
        }
    })?;
    let storage = server.storage_ok();
    let ready = server.is_ready();
    let mut checks: Vec<(&str, bool)> = vec![("ping", true), ("log", true), ("etcd", storage)];
    if endpoint == "/readyz" {
        checks.push(("etcd-readiness", storage));
        checks.push(("informer-sync", server.hub.caches.all_ready()));
    }
    checks.push(("poststarthook/start-system-namespaces-controller", ready));
    checks.push(("poststarthook/bootstrap-controller", ready));
    if endpoint == "/readyz" {
        checks.push(("shutdown", true));
    }
    let text = |status: u16, body: String| {
        raw_response(
            status,
            vec![
                ("Cache-Control".into(), "no-cache, private".into()),
                ("Content-Type".into(), "text/plain; charset=utf-8".into()),
                ("X-Content-Type-Options".into(), "nosniff".into()),
            ],
            body.as_bytes(),
        )
    };
    let name = endpoint.trim_start_matches('/');
    if let Some(check) = single {
        return Some(match checks.iter().find(|(n, _)| *n == check) {
            Some((_, true)) => text(200, "ok".into()),
            Some((n, false)) => text(500, format!("internal server error: {n} check failed\n")),
            None => not_found(),
        });
    }
    let params = crate::request::info::parse_query(query);
    let verbose = params.iter().any(|(k, _)| k == "verbose");
    let excluded: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "exclude")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut failed = false;
    let mut body = String::new();
    for (n, ok) in &checks {
        if excluded.contains(n) {
            body.push_str(&format!("[+]{n} excluded: ok\n"));
            continue;
        }
        if *ok {
            body.push_str(&format!("[+]{n} ok\n"));
        } else {
            failed = true;
            body.push_str(&format!("[-]{n} failed: reason withheld\n"));
        }
    }
    if failed {
        body.push_str(&format!("{name} check failed\n"));
        return Some(text(500, body));
    }
    if verbose {
        body.push_str(&format!("{name} check passed\n"));
        Some(text(200, body))
    } else {
        Some(text(200, "ok".into()))
    }
}

/// The group-versions and resources the OpenAPI documents describe.
pub fn openapi_gvs(resources: &Resources) -> Vec<GroupVersionResources> {
    let mut out: Vec<GroupVersionResources> = Vec::new();
    for r in resources.iter() {
        let entry = ResourceEntry {
            plural: r.resource.to_string(),
            kind: r.kind.to_string(),
            namespaced: r.namespaced,
            verbs: r.verbs.iter().map(|s| s.to_string()).collect(),
            subresources: r.subresources.iter().map(|s| s.name.to_string()).collect(),
            definition: r.definition.to_string(),
        };
        match out
            .iter_mut()
            .find(|g| g.group == r.group && g.version == r.version)
        {
            Some(g) => g.resources.push(entry),
            None => out.push(GroupVersionResources {
                group: r.group.to_string(),
                version: r.version.to_string(),
                resources: vec![entry],
            }),
        }
    }
    out
}

fn openapi_v3(server: &Server, gv_path: &str) -> Vec<u8> {
    let Some(o) = &server.hub.openapi else {
        return not_found();
    };
    let parts: Vec<&str> = gv_path.split('/').collect();
    let (group, version) = match parts.as_slice() {
        ["api", v] => ("", *v),
        ["apis", g, v] => (*g, *v),
        _ => return not_found(),
    };
    o.v3(&server.hub.resources, group, version)
        .map_or_else(not_found, <[u8]>::to_vec)
}

/// One object start-up writes: created (kept when it exists) or, for `update`, written over.
pub type StartupObject = (&'static str, &'static str, Value);

/// The objects every start makes sure exist, in stages: the system namespaces, then the
/// `kubernetes` Service in `default` and the `extension-apiserver-authentication`
/// ConfigMap, which is then brought up to date with this server's settings.
pub fn bootstrap_objects(cfg: &Config) -> Vec<Vec<StartupObject>> {
    let namespaces: Vec<StartupObject> = ["default", "kube-system", "kube-public", "kube-node-lease"]
        .iter()
        .map(|ns| {
            (
                "create",
                "namespaces",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            )
        })
        .collect();
    let ip = crate::registry::strategy::ipv4_string(cfg.services.cluster_ip_base + 1);
    let authentication = extension_apiserver_authentication(cfg);
    let objects = vec![
        (
            "create",
            "services",
            json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": ip,
                "clusterIPs": [ip],
                "sessionAffinity": "None",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": cfg.secure_port}],
            },
            }),
        ),
        ("create", "configmaps", authentication.clone()),
    ];
    // The system priority classes, as kube's scheduling bootstrap creates them.
    let objects = objects
        .into_iter()
        .chain(
            crate::admission::priority::system_classes()
                .into_iter()
                .map(|c| ("create", "priorityclasses", c)),
        )
        .collect();
    vec![
        namespaces,
        objects,
        vec![("update", "configmaps", authentication)],
    ]
}

/// `kube-system/extension-apiserver-authentication`: how this server authenticates, for
/// extension API servers to trust its client CA and front proxy as kube publishes them (lists
/// as JSON arrays in strings).
pub fn extension_apiserver_authentication(cfg: &Config) -> Value {
    let mut data = serde_json::Map::new();
    if let Some(ca) = &cfg.client_ca_der {
        data.insert("client-ca-file".into(), json!(pem_bundle(ca)));
    }
    if let Some(rh) = cfg.request_header.as_ref().filter(|rh| !rh.ca_der.is_empty()) {
        let list = |v: &[String]| Value::String(serde_json::to_string(v).unwrap_or_default());
        data.insert(
            "requestheader-client-ca-file".into(),
            json!(pem_bundle(&rh.ca_der)),
        );
        data.insert(
            "requestheader-username-headers".into(),
            list(&rh.username_headers),
        );
        data.insert("requestheader-uid-headers".into(), list(&rh.uid_headers));
        data.insert("requestheader-group-headers".into(), list(&rh.group_headers));
        data.insert(
            "requestheader-extra-headers-prefix".into(),
            list(&rh.extra_prefixes),
        );
        data.insert("requestheader-allowed-names".into(), list(&rh.allowed_names));
    }
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "extension-apiserver-authentication", "namespace": "kube-system"},
        "data": data,
    })
}

/// DER certificates as one PEM bundle.
fn pem_bundle(certs: &[Vec<u8>]) -> String {
    use base64::Engine;
    let mut out = String::new();
    for der in certs {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}
