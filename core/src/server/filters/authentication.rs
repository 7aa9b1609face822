//! Authentication (kube's `WithAuthentication`): who is asking, from the whole request head
//! (its headers and the connection's verified client certificate). The union: the client
//! certificate, then each configured authenticator in order; the first to recognise the
//! request wins. A credential that is presented and refused is 401, never downgraded to
//! anonymous; a request presenting none is anonymous when `--anonymous-auth` allows it.

use std::sync::Arc;

use crate::api::ApiError;
use crate::authn::request_header::{ProxyCert, RequestHeaderConfig};
use crate::authn::token::{self, Tokens};
use crate::authn::{Authenticator, PeerCert, UserInfo};
use crate::http::Request;
use crate::server::effect::{Flow, Lookups};

/// What a request presents to prove who it is.
pub(in crate::server) struct Credentials<'a> {
    /// The request's head (the `Authorization` header, an authenticating proxy's headers).
    pub request: &'a Request,
    /// What the connection's client certificate established.
    pub peer: &'a PeerCert,
    /// Whether the connection is the authenticating front proxy's.
    pub proxy: &'a ProxyCert,
    /// The front proxy's configuration, when there is one.
    pub request_header: Option<&'a RequestHeaderConfig>,
    /// The server's own request (kube's loopback client): it is `system:apiserver`. No
    /// network byte can make a request loopback.
    pub loopback: bool,
}

/// The user `credentials` establish, or kube's 401; now, or after an authenticator's effect.
pub(in crate::server) fn authenticate(
    credentials: &Credentials<'_>,
    authenticators: &[Arc<dyn Authenticator>],
    tokens: &Arc<Tokens>,
    anonymous_auth: bool,
    cx: &Lookups<'_>,
) -> Flow<Result<UserInfo, ApiError>> {
    if credentials.loopback {
        return Flow::Ready(Ok(UserInfo::apiserver()));
    }
    let request = credentials.request;
    // kube's order: the front proxy, the client certificate, then the rest. A refusal of
    // either certificate is an error the rest may still overcome (a valid token), never
    // anonymous.
    let mut refused = false;
    match (credentials.proxy, credentials.request_header) {
        (ProxyCert::Trusted, Some(rh)) => {
            if let Some(user) = rh.user(request) {
                return Flow::Ready(Ok(user.authenticated()));
            }
        }
        (ProxyCert::NotAllowed(_), _) => refused = true,
        _ => {}
    }
    match credentials.peer {
        PeerCert::Valid(user) => return Flow::Ready(Ok(user.clone())),
        PeerCert::Invalid(_) => refused = true,
        PeerCert::None => {}
    }
    // The bearer step goes last, as kube's union orders it; its token is read once here. It
    // is always there (service-account tokens are always read), so a bearer token nobody
    // accepts is refused, never taken for anonymous.
    let mut candidates: Vec<String> = token::bearer_token(request)
        .map(str::to_string)
        .into_iter()
        .collect();
    // Then a WebSocket client's token subprotocol; one that is malformed is refused.
    match token::websocket_token(request) {
        Some(Ok(t)) => candidates.push(t),
        Some(Err(_)) => refused = true,
        None => {}
    }
    let bearer = (!candidates.is_empty()).then(|| (candidates, tokens.clone()));
    Union {
        authenticators: authenticators.to_vec(),
        bearer,
        refused,
        anonymous_auth,
    }
    .from(0, request, cx)
    .and_then(cx, |outcome, _| Flow::Ready(outcome.map(UserInfo::authenticated)))
}

/// The walk through the configured authenticators, then the bearer token.
struct Union {
    authenticators: Vec<Arc<dyn Authenticator>>,
    /// The request's bearer tokens (its `Authorization`, then its WebSocket subprotocol)
    /// and the authenticators that read them, when it has any.
    bearer: Option<(Vec<String>, Arc<Tokens>)>,
    /// Whether one of them refused what the request presented.
    refused: bool,
    anonymous_auth: bool,
}

impl Union {
    fn from(mut self, i: usize, request: &Request, cx: &Lookups<'_>) -> Flow<Result<UserInfo, ApiError>> {
        let Some(authenticator) = self.authenticators.get(i).cloned() else {
            return self.bearer(cx);
        };
        match authenticator.authenticate(request, cx) {
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

    /// The bearer step: a token nobody accepts is kube's "invalid bearer token", a 401
    /// unless a later token is accepted.
    fn bearer(mut self, cx: &Lookups<'_>) -> Flow<Result<UserInfo, ApiError>> {
        let Some((mut candidates, tokens)) = self.bearer.take() else {
            return Flow::Ready(self.nobody());
        };
        if candidates.is_empty() {
            return Flow::Ready(Err(ApiError::unauthorized()));
        }
        let token = candidates.remove(0);
        tokens
            .authenticate(&token, tokens.audiences(), cx)
            .and_then(cx, move |outcome, cx| match outcome {
                Ok(Some(user)) => Flow::Ready(Ok(user)),
                Ok(None) | Err(_) => {
                    self.bearer = Some((candidates, tokens));
                    self.bearer(cx)
                }
            })
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
    fn nobody(&self) -> Result<UserInfo, ApiError> {
        if self.refused || !self.anonymous_auth {
            return Err(ApiError::unauthorized());
        }
        Ok(UserInfo::anonymous())
    }
}
