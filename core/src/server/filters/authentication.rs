//! Authentication (kube's `WithAuthentication`): who is asking, from the whole request head
//! (its headers and the connection's verified client certificate). A credential that is
//! presented and refused is 401, never downgraded to anonymous.

use crate::api::ApiError;
use crate::authn::{self, Authn, PeerCert, UserInfo};
use crate::http::Request;

/// What a request presents to prove who it is.
pub(in crate::server) struct Credentials<'a> {
    /// The request's head (the `Authorization` header, later the authenticating proxy's).
    pub request: &'a Request,
    /// What the connection's client certificate established.
    pub peer: &'a PeerCert,
    /// The server's own request (kube's loopback client): it is `system:apiserver`. No
    /// network byte can make a request loopback.
    pub loopback: bool,
}

/// The user `credentials` establish, or kube's 401.
pub(in crate::server) fn authenticate(
    credentials: &Credentials<'_>,
    anonymous_auth: bool,
) -> Result<UserInfo, ApiError> {
    if credentials.loopback {
        return Ok(UserInfo::apiserver());
    }
    let authorization = credentials.request.header("authorization");
    match authn::authenticate(credentials.peer, authorization, anonymous_auth) {
        Authn::User(user) => Ok(user),
        Authn::Refused => Err(ApiError::unauthorized()),
    }
}
