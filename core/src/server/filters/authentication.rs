//! Authentication (kube's `WithAuthentication`): who is asking, from the whole request head
//! (its headers and the connection's verified client certificate). The union: the client
//! certificate, then each configured authenticator in order; the first to recognise the
//! request wins. A credential that is presented and refused is 401, never downgraded to
//! anonymous; a request presenting none is anonymous when `--anonymous-auth` allows it.

use std::sync::Arc;

use crate::api::ApiError;
use crate::authn::{self, Authenticator, Authn, PeerCert, UserInfo};
use crate::http::Request;
use crate::server::effect::{Flow, Lookups};

/// What a request presents to prove who it is.
pub(in crate::server) struct Credentials<'a> {
    /// The request's head (the `Authorization` header, an authenticating proxy's headers).
    pub request: &'a Request,
    /// What the connection's client certificate established.
    pub peer: &'a PeerCert,
    /// The server's own request (kube's loopback client): it is `system:apiserver`. No
    /// network byte can make a request loopback.
    pub loopback: bool,
}

/// The user `credentials` establish, or kube's 401; now, or after an authenticator's effect.
pub(in crate::server) fn authenticate(
    credentials: &Credentials<'_>,
    authenticators: &[Arc<dyn Authenticator>],
    anonymous_auth: bool,
    cx: &Lookups<'_>,
) -> Flow<Result<UserInfo, ApiError>> {
    if credentials.loopback {
        return Flow::Ready(Ok(UserInfo::apiserver()));
    }
    match credentials.peer {
        PeerCert::Valid(user) => return Flow::Ready(Ok(user.clone())),
        PeerCert::Invalid(_) => return Flow::Ready(Err(ApiError::unauthorized())),
        PeerCert::None => {}
    }
    Union {
        authenticators: authenticators.to_vec(),
        refused: false,
        anonymous_auth,
    }
    .from(0, credentials.request, cx)
}

/// The walk through the configured authenticators.
struct Union {
    authenticators: Vec<Arc<dyn Authenticator>>,
    /// Whether one of them refused what the request presented.
    refused: bool,
    anonymous_auth: bool,
}

impl Union {
    fn from(mut self, i: usize, request: &Request, cx: &Lookups<'_>) -> Flow<Result<UserInfo, ApiError>> {
        let Some(authenticator) = self.authenticators.get(i).cloned() else {
            return Flow::Ready(self.nobody(request));
        };
        match authenticator.authenticate(request) {
            Flow::Ready(outcome) => match self.next(outcome) {
                Some(user) => Flow::Ready(Ok(user)),
                None => self.from(i + 1, request, cx),
            },
            waiting => {
                // The rest of the walk needs the request after this authenticator answers.
                let request = request.clone();
                waiting.and_then(cx, move |outcome, cx| match self.next(outcome) {
                    Some(user) => Flow::Ready(Ok(user)),
                    None => self.from(i + 1, &request, cx),
                })
            }
        }
    }

    /// The user one authenticator established, or `None` to ask the next.
    fn next(&mut self, outcome: Result<Option<UserInfo>, ApiError>) -> Option<UserInfo> {
        match outcome {
            Ok(Some(user)) => Some(user),
            Ok(None) => None,
            Err(_) => {
                self.refused = true;
                None
            }
        }
    }

    /// No authenticator recognised the request: anonymous, or 401.
    fn nobody(&self, request: &Request) -> Result<UserInfo, ApiError> {
        if self.refused {
            return Err(ApiError::unauthorized());
        }
        match authn::authenticate(
            &PeerCert::None,
            request.header("authorization"),
            self.anonymous_auth,
        ) {
            Authn::User(user) => Ok(user),
            Authn::Refused => Err(ApiError::unauthorized()),
        }
    }
}
