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
//! authentication, 403 from authorization) and nothing after it runs. Audit, impersonation
//! and priority and fairness are seams: each is the one place its feature goes, and passes
//! every request through until it is built.

mod audit;
mod authentication;
mod authorization;
mod impersonation;
mod priority_and_fairness;
mod request_info;

pub(super) use audit::response_complete;

use crate::authn::{PeerCert, UserInfo};
use crate::http::Request;
use crate::request::info::RequestInfo;

use super::{Origin, ReqId, Server};
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
}

impl Server {
    /// Runs request `id` through the filter chain; the handler takes it from there.
    pub(super) fn serve(&mut self, id: ReqId, origin: Origin, request: Request) {
        let info = request_info::resolve(&request);
        let peer = match &origin {
            Origin::Client { conn, .. } => self.conns.get(conn).map(|c| c.cert.clone()),
            _ => None,
        }
        .unwrap_or(PeerCert::None);
        let credentials = Credentials {
            request: &request,
            peer: &peer,
            loopback: !matches!(origin, Origin::Client { .. }),
        };
        let user = match authentication::authenticate(&credentials, self.cfg.anonymous_auth) {
            Ok(user) => user,
            Err(e) => return self.finish(id, origin, Err(e)),
        };
        audit::request_received(id, &user, &info);
        let user = impersonation::act_as(user, &request);
        match priority_and_fairness::admit(&user, &info) {
            Admit::Run => {}
        }
        if let Err(e) = authorization::authorize(&user, &info) {
            return self.finish(id, origin, Err(e));
        }
        self.handle(Filtered {
            id,
            origin,
            request,
            info,
            user,
        });
    }
}
