//! Request info (kube's `WithRequestInfo`): what a request asks for, read from its method,
//! path and query before anything else looks at it.

use crate::http::Request;
use crate::request::info::{self, RequestInfo};

/// The verb, group, version, resource, namespace, name and subresource of `req`.
pub(in crate::server) fn resolve(req: &Request) -> RequestInfo {
    info::resolve(&req.method, req.path(), req.query())
}
