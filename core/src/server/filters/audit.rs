//! Audit (kube's `WithAudit`): the record of each request, from `RequestReceived` to
//! `ResponseComplete`. No audit backend is built yet, so both stages record nothing; the
//! audit policy and log writer plug in here.

use crate::authn::UserInfo;
use crate::request::info::RequestInfo;
use crate::server::ReqId;

/// Request `id` has been authenticated as `user` and is about to be served.
pub(in crate::server) fn request_received(_id: ReqId, _user: &UserInfo, _info: &RequestInfo) {}

/// Request `id` has been answered (or has ended) with HTTP status `code`.
pub(in crate::server) fn response_complete(_id: ReqId, _code: u16) {}
