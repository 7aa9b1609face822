//! The filter chain: every request, the server's own included, passes kube-apiserver's
//! filters in kube's order before its handler runs.
//!
//! ```text
//!  bytes ─► parse ─► request info ─► authentication ─► audit: RequestReceived
//!        ─► impersonation ─► priority and fairness ─► authorization ─► handler
//!                                                                       │
//!     (decode, default, mutating admission, validation, validating      │
//!      admission, storage: the registry's machines; kubelet and proxy   ▼
//!      relays; reviews; non-resource paths)           encode ─► audit: ResponseComplete
//! ```
//!
//! A filter that refuses answers the request with kube's status for it (401 from
//! authentication, 403 from authorization) and nothing after it runs. Authentication and
//! authorization may wait on an effect (a token review, an access review): the request is
//! parked as data in [`Filtering`] and goes on from the same filter when the completion
//! comes. Audit, impersonation and priority and fairness are seams: each is the one place
//! its feature goes, and passes every request through until it is built.

mod audit;
mod authentication;
mod authorization;
mod impersonation;
mod priority_and_fairness;
mod request_info;

pub(super) use audit::response_complete;

use crate::api::ApiError;
use crate::authn::request_header::ProxyCert;
use crate::authn::{self, PeerCert, UserInfo};
use crate::http::Request;
use crate::request::info::RequestInfo;

use super::effect::{Completion, Effect, Flow};
use super::{InFlight, Origin, Pending, ReqId, Server, Stage, Waiter};
use authentication::Credentials;
use priority_and_fairness::Admit;

/// A request that has passed the filters, on its way to its handler.
#[derive(Debug)]
pub(super) struct Filtered {
    /// The id it has carried since it was parsed.
    pub id: ReqId,
    /// Who asked, and where the answer goes.
    pub origin: Origin,
    /// The request as received.
    pub request: Request,
    /// What it asks for.
    pub info: RequestInfo,
    /// Who it acts as.
    pub user: UserInfo,
    /// When it times out (monotonic ms), set once as it entered the chain.
    pub deadline_ms: u64,
}

impl Server {
    /// Runs request `id` through the filter chain; the handler takes it from there.
    pub(super) fn serve(&mut self, id: ReqId, origin: Origin, request: Request) {
        if let Origin::Client { conn, .. } = &origin {
            self.rejudge(*conn);
        }
        let info = request_info::resolve(&request);
        let conn = match &origin {
            Origin::Client { conn, .. } => self.conns.get(conn),
            _ => None,
        };
        let credentials = Credentials {
            request: &request,
            peer: conn.map_or(&PeerCert::None, |c| &c.cert),
            proxy: conn.map_or(&ProxyCert::None, |c| &c.proxy),
            request_header: self.cfg.request_header.as_ref(),
            loopback: !matches!(origin, Origin::Client { .. }),
        };
        let flow = authentication::authenticate(
            &credentials,
            &self.hub.authenticators,
            &self.hub.tokens,
            self.cfg.anonymous_auth,
            &self.lookups(),
        );
        // One deadline for the whole request, however many times it waits.
        let deadline_ms = self.now.mono_ms + self.cfg.request_timeout_ms;
        let w = Waiting {
            id,
            origin,
            request,
            info,
            deadline_ms,
        };
        self.authenticated(w, flow);
    }

    /// Goes on once authentication has decided, or waits for the effect it asked for.
    pub(super) fn authenticated(&mut self, mut w: Waiting, flow: Flow<Result<UserInfo, ApiError>>) {
        let user = match flow {
            Flow::Ready(Ok(user)) => user,
            Flow::Ready(Err(e)) => return self.finish(w.id, w.origin, Err(e)),
            Flow::Wait(effect, then) => {
                return self.park(w, FilterWait::Authentication(Pending(then)), effect);
            }
        };
        // The credentials have done their work: nothing after this filter sees them.
        let proxy = self.cfg.request_header.as_ref();
        w.request
            .headers
            .retain(|(name, _)| name != "authorization" && !proxy.is_some_and(|p| p.is_proxy_header(name)));
        // A WebSocket client's token subprotocol goes too; its other subprotocols stay.
        for (name, value) in w.request.headers.iter_mut() {
            if name == "sec-websocket-protocol" && value.contains(authn::token::WEBSOCKET_PROTOCOL_PREFIX) {
                *value = value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.starts_with(authn::token::WEBSOCKET_PROTOCOL_PREFIX))
                    .collect::<Vec<_>>()
                    .join(",");
            }
        }
        audit::request_received(w.id, &user, &w.info);
        let flow = impersonation::act_as(user, &w.request, &self.lookups());
        self.impersonated(w, flow);
    }

    /// Goes on once impersonation has decided who the request acts as, or waits for the
    /// access review it asked for.
    pub(super) fn impersonated(&mut self, mut w: Waiting, flow: Flow<Result<UserInfo, ApiError>>) {
        let user = match flow {
            Flow::Ready(Ok(user)) => user,
            Flow::Ready(Err(e)) => return self.finish(w.id, w.origin, Err(e)),
            Flow::Wait(effect, then) => {
                return self.park(w, FilterWait::Impersonation(Pending(then)), effect);
            }
        };
        // Nothing after this filter (handlers, proxied backends) sees the headers, as in kube.
        w.request
            .headers
            .retain(|(name, _)| !impersonation::is_impersonation_header(name));
        match priority_and_fairness::admit(&user, &w.info) {
            Admit::Run => {}
        }
        let flow = authorization::authorize(&user, &w.info, &w.request.target, &self.lookups());
        self.authorized(w, user, flow);
    }

    /// Goes on once authorization has decided, or waits for the effect it asked for.
    pub(super) fn authorized(&mut self, w: Waiting, user: UserInfo, flow: Flow<Result<(), ApiError>>) {
        match flow {
            Flow::Ready(Ok(())) => self.handle(Filtered {
                id: w.id,
                origin: w.origin,
                request: w.request,
                info: w.info,
                user,
                deadline_ms: w.deadline_ms,
            }),
            Flow::Ready(Err(e)) => self.finish(w.id, w.origin, Err(e)),
            Flow::Wait(effect, then) => self.park(w, FilterWait::Authorization(user, Pending(then)), effect),
        }
    }

    /// Parks request `w` in a filter until `effect` completes.
    fn park(&mut self, w: Waiting, wait: FilterWait, effect: Effect) {
        let Waiting {
            id,
            origin,
            request,
            info,
            deadline_ms,
        } = w;
        let inflight = InFlight {
            origin,
            stage: Stage::Filtering(Box::new(Filtering { request, info, wait })),
            deadline_ms: Some(deadline_ms),
            rng: self.request_rng(id),
        };
        self.reqs.insert(id, inflight);
        self.effect(Waiter::Request(id), effect);
    }

    /// Hands a request parked in a filter what came of its effect.
    pub(super) fn resume_filter(
        &mut self,
        (id, origin, deadline_ms): (ReqId, Origin, u64),
        parked: Filtering,
        completion: Completion,
    ) {
        let Filtering { request, info, wait } = parked;
        let w = Waiting {
            id,
            origin,
            request,
            info,
            deadline_ms,
        };
        match wait {
            FilterWait::Authentication(then) => {
                let flow = (then.0)(completion, &self.lookups());
                self.authenticated(w, flow);
            }
            FilterWait::Impersonation(then) => {
                let flow = (then.0)(completion, &self.lookups());
                self.impersonated(w, flow);
            }
            FilterWait::Authorization(user, then) => {
                let flow = (then.0)(completion, &self.lookups());
                self.authorized(w, user, flow);
            }
        }
    }
}

/// A request between filters.
pub(super) struct Waiting {
    id: ReqId,
    origin: Origin,
    request: Request,
    info: RequestInfo,
    /// When the request times out (monotonic ms).
    deadline_ms: u64,
}

/// A request parked in a filter, waiting on an effect.
#[derive(Debug)]
pub(super) struct Filtering {
    request: Request,
    info: RequestInfo,
    wait: FilterWait,
}

/// Which filter waits, and what it goes on with.
#[derive(Debug)]
enum FilterWait {
    Authentication(Pending<Result<UserInfo, ApiError>>),
    Impersonation(Pending<Result<UserInfo, ApiError>>),
    Authorization(UserInfo, Pending<Result<(), ApiError>>),
}
