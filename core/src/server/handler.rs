//! The handler: where a request that passed the filters goes. Non-resource paths are
//! answered at once; kubelet subresources and proxies become dials and relays; reviews are
//! decided without storage; everything else becomes a registry call (decode and default,
//! admission, validation, storage).

use crate::api::ApiError;
use crate::http::Request;
use crate::registry::{self, Call, Machine, Params, ResourceDef};
use crate::request::info::RequestInfo;

use super::filters::Filtered;
use super::{encode, kubelet, nonresource, proxy, reviews, token_request};
use super::{Effect, InFlight, Origin, RelayFor, RelayTls, ReqId, Server, Stage, Waiter};

impl Server {
    /// Dispatches a request that passed the filter chain.
    pub(super) fn handle(&mut self, f: Filtered) {
        let Filtered {
            id,
            origin,
            request: req,
            info,
            user,
            deadline_ms,
        } = f;
        let negotiated = match &origin {
            Origin::Client { negotiated, .. } => negotiated.clone(),
            // The server's own requests speak JSON.
            _ => encode::negotiate("application/json"),
        };
        if !info.is_resource_request {
            let bytes = nonresource::serve(self, &req, &info, &negotiated);
            return self.answer_raw(id, origin, bytes);
        }
        let Some(def) = self
            .hub
            .resources
            .find(&info.api_group, &info.api_version, &info.resource)
            .cloned()
        else {
            return self.finish(id, origin, Err(ApiError::path_not_found()));
        };
        if kubelet::is_kubelet_subresource(&info.resource, &info.subresource) {
            return self.serve_kubelet(id, origin, &info, &req);
        }
        if proxy::is_proxy_subresource(&info.resource, &info.subresource) && info.api_group.is_empty() {
            return self.serve_proxy(id, origin, &info, &req);
        }
        if def.namespaced && info.namespace.is_empty() && !matches!(info.verb.as_str(), "list" | "watch") {
            return self.finish(id, origin, Err(ApiError::path_not_found()));
        }
        if !def.namespaced && !info.namespace.is_empty() && def.kind != "Namespace" {
            return self.finish(id, origin, Err(ApiError::path_not_found()));
        }
        if !negotiated.acceptable {
            return self.finish(id, origin, Err(encode::not_acceptable()));
        }
        if def.resource == "bindings" && def.group.is_empty() && info.verb == "create" {
            // The legacy bindings collection: the pod named by the Binding gets bound.
            let Some(call) = binding_call(&self.hub.resources, &info, req, user) else {
                return self.finish(id, origin, Err(ApiError::path_not_found()));
            };
            return self.start_call(id, origin, call, deadline_ms);
        }
        if def.group.is_empty() && def.resource == "serviceaccounts" && info.subresource == "token" {
            if info.verb != "create" {
                return self.finish(id, origin, Err(ApiError::method_not_allowed()));
            }
            // One generator for the token's id and for what admission makes up.
            let mut rng = self.request_rng(id);
            let ask = token_request::Ask {
                namespace: &info.namespace,
                name: &info.name,
                content_type: req.header("content-type").unwrap_or(""),
                body: &req.body,
                jti: rng.uuid_v4(),
            };
            let chain = self.hub.admission.clone();
            let seed = rng.next_u64();
            let flow = token_request::admit_then_issue(
                ask,
                (&user, seed),
                chain,
                &self.hub.service_accounts,
                &self.lookups(),
            );
            return self.decided(id, origin, Some(deadline_ms), flow);
        }
        if !def.is_stored() {
            let ask = reviews::Ask {
                def: &def,
                verb: &info.verb,
                namespace: &info.namespace,
                name: &info.name,
                content_type: req.header("content-type").unwrap_or(""),
                body: &req.body,
                user: &user,
                storage_ok: self.storage_ok(),
            };
            if def.kind == "TokenReview" {
                let flow = reviews::token_review(&ask, &self.hub.tokens, &self.lookups());
                return self.decided(id, origin, Some(deadline_ms), flow);
            }
            let flow = reviews::serve(&ask, &self.lookups());
            return self.decided(id, origin, Some(deadline_ms), flow);
        }
        let namespace = if def.kind == "Namespace" && def.group.is_empty() {
            String::new()
        } else {
            info.namespace.clone()
        };
        let served = def;
        let def = self.hub.resources.storage_def(&served);
        let mut req = req;
        let mut content_type = req.header("content-type").unwrap_or("").to_string();
        if registry::rest::converts(&served)
            && matches!(info.verb.as_str(), "create" | "update")
            && info.subresource != "scale"
            && !req.body.is_empty()
        {
            // The machine works on the stored form: convert the client's object first.
            match self.stored_body(&served, &req) {
                Ok(body) => {
                    req.body = body;
                    content_type = "application/json".into();
                }
                Err(e) => return self.finish(id, origin, Err(e)),
            }
        }
        let call = Call {
            def,
            served,
            verb: info.verb.clone(),
            namespace,
            name: info.name.clone(),
            subresource: info.subresource.clone(),
            params: Params::parse(req.query()),
            content_type,
            user_agent: req.header("user-agent").unwrap_or("").to_string(),
            body: req.body,
            user,
        };
        self.start_call(id, origin, call, deadline_ms);
    }

    /// Answers once a deciding handler has decided, or parks the request on its effect.
    pub(super) fn decided(
        &mut self,
        id: ReqId,
        origin: Origin,
        deadline_ms: Option<u64>,
        flow: crate::server::Flow<Result<registry::Reply, ApiError>>,
    ) {
        match flow {
            crate::server::Flow::Ready(result) => self.finish(id, origin, result),
            crate::server::Flow::Wait(effect, then) => {
                let inflight = InFlight {
                    origin,
                    stage: Stage::Deciding(super::Pending(then)),
                    deadline_ms,
                    rng: self.request_rng(id),
                };
                self.reqs.insert(id, inflight);
                self.effect(Waiter::Request(id), effect);
            }
        }
    }

    /// Starts `call` in the registry, to end by `deadline_ms`.
    fn start_call(&mut self, id: ReqId, origin: Origin, call: Call, deadline_ms: u64) {
        match Machine::new(call) {
            Ok(machine) => self.launch(id, origin, machine, deadline_ms),
            Err(e) => self.finish(id, origin, Err(e)),
        }
    }

    /// `pods/log`, `exec`, `attach`, `portforward`: kube-apiserver's checks, then a dial of
    /// the kubelet.
    fn serve_kubelet(&mut self, id: ReqId, origin: Origin, info: &RequestInfo, req: &Request) {
        let allowed = match info.subresource.as_str() {
            "log" => info.verb == "get",
            _ => matches!(info.verb.as_str(), "get" | "create"),
        };
        if !allowed {
            return self.finish(id, origin, Err(ApiError::method_not_allowed()));
        }
        let params = Params::parse(req.query());
        let plan = kubelet::plan(
            &self.hub.caches,
            &self.cfg.storage_prefix,
            &info.namespace,
            &info.name,
            &info.subresource,
            &params,
        );
        match plan {
            Err(e) => self.finish(id, origin, Err(e)),
            Ok(kubelet::Plan::EmptyLog) => {
                let head = crate::http::response_head(
                    200,
                    &[("Content-Type".to_string(), "text/plain".to_string())],
                    Some(0),
                );
                self.answer_raw(id, origin, head);
            }
            Ok(kubelet::Plan::Dial {
                host,
                port,
                url,
                path,
                log: true,
            }) => {
                // Logs are a plain GET: the kubelet's answer is relayed as it comes.
                let request = kubelet::log_request(&host, port, &path);
                let effect = Effect::Relay {
                    host,
                    port,
                    tls: RelayTls::Kubelet,
                    request,
                };
                self.start_relay(id, origin, RelayFor::Log { url }, effect);
            }
            Ok(kubelet::Plan::Dial { host, port, url, .. }) => {
                let inflight = InFlight {
                    origin,
                    stage: Stage::Dial { url },
                    deadline_ms: None,
                    rng: self.request_rng(id),
                };
                self.reqs.insert(id, inflight);
                self.effect(Waiter::Request(id), Effect::Dial { host, port });
            }
        }
    }

    /// A proxy subresource: locate the backend, then relay the request there.
    fn serve_proxy(&mut self, id: ReqId, origin: Origin, info: &RequestInfo, req: &Request) {
        let target = proxy::locate(
            &self.hub.caches,
            &self.cfg.storage_prefix,
            &info.resource,
            &info.namespace,
            &info.name,
        );
        let target = match target {
            Ok(t) => t,
            Err(e) => return self.finish(id, origin, Err(e)),
        };
        // The backend's path is what follows `/<resource>/<id>/proxy` in the request's.
        let marker = format!("/{}/{}/proxy", info.resource, info.name);
        let path = req
            .path()
            .find(&marker)
            .map(|i| &req.path()[i + marker.len()..])
            .unwrap_or("");
        let request =
            proxy::relayed_request(&target, &req.method, path, req.query(), &req.headers, &req.body);
        let proxy::Target { host, port, tls } = target;
        let effect = Effect::Relay {
            host,
            port,
            tls,
            request,
        };
        self.start_relay(id, origin, RelayFor::Proxy, effect);
    }

    /// Relays request `id` to a backend: long-running, it has no deadline.
    fn start_relay(&mut self, id: ReqId, origin: Origin, purpose: RelayFor, relay: Effect) {
        let inflight = InFlight {
            origin,
            stage: Stage::Relay {
                purpose,
                started: false,
            },
            deadline_ms: None,
            rng: self.request_rng(id),
        };
        self.reqs.insert(id, inflight);
        self.effect(Waiter::Request(id), relay);
    }

    /// A create or update body of `served`'s version, in its stored form (JSON).
    fn stored_body(&self, served: &ResourceDef, req: &Request) -> Result<Vec<u8>, ApiError> {
        let decoded = registry::body::decode_object(
            served,
            req.header("content-type").unwrap_or(""),
            &req.body,
            registry::body::FieldValidation::Ignore,
            self.hub.openapi.as_ref().map(|d| d.api()),
        )?;
        let stored = registry::rest::to_stored(served, &decoded.object)?;
        Ok(serde_json::to_vec(&stored).unwrap_or_default())
    }
}

/// `POST .../bindings`: `pods/<name>/binding` for the pod the Binding names.
fn binding_call(
    resources: &registry::Resources,
    info: &RequestInfo,
    req: Request,
    user: crate::authn::UserInfo,
) -> Option<Call> {
    let pods = resources.find("", "v1", "pods")?;
    let content_type = req.header("content-type").unwrap_or("").to_string();
    let named = registry::body::decode_untyped(&content_type, &req.body).ok();
    let name = named
        .as_ref()
        .map(|b| crate::api::name(b).to_string())
        .unwrap_or_default();
    Some(Call {
        def: pods.clone(),
        served: pods.clone(),
        verb: "create".into(),
        namespace: info.namespace.clone(),
        name,
        subresource: "binding".into(),
        params: Params::parse(req.query()),
        content_type,
        user_agent: req.header("user-agent").unwrap_or("").to_string(),
        body: req.body,
        user,
    })
}
