//! The one seam to the outside world.
//!
//! Whatever the server needs from outside itself (a storage operation, a kubelet dial, a
//! relay to a backend) it asks for as an [`Effect`] with an [`EffectId`], emitted through
//! [`Output::Effect`](super::Output::Effect). The runtime runs it and hands back what came
//! of it as a [`Completion`] with the same id through
//! [`Server::handle_effect`](super::Server::handle_effect).
//!
//! The contract: every effect ends with exactly one *final* completion (a storage answer,
//! a dial's outcome, a relay's [`RelayEvent::End`]); a relay may report data before it.
//! [`Output::Cancel`](super::Output::Cancel) asks the runtime to hurry an effect nobody
//! waits for any more to its end; its final completion still comes, and the server drops
//! it. A completion for an id the server never issued, or after the final one, is a
//! runtime bug, caught by a debug assertion.

use std::fmt;

use serde_json::Value;

use crate::api::ApiError;
use crate::storage::{StorageError, StorageRequest, StorageResponse};

/// Identifies one effect; the server never reuses one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EffectId(pub u64);

/// What the server asks of the outside world.
#[derive(Debug)]
pub enum Effect {
    /// Run a storage operation.
    Storage(StorageRequest),
    /// Open a TCP connection to `host:port` (a kubelet), then close it.
    Dial {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// Open a connection to `host:port` (a kubelet, or a proxy backend) with `tls`, send
    /// `request` (one HTTP/1.1 request asking to close the connection after it), and report
    /// what comes back as it comes, then the end.
    Relay {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
        /// TLS toward the backend.
        tls: RelayTls,
        /// The request's bytes.
        request: Vec<u8>,
    },
    /// One HTTPS request and its whole answer: a webhook (TokenReview, SubjectAccessReview,
    /// AdmissionReview), an OIDC discovery document or JWKS.
    Https(Box<HttpsCall>),
    /// Complete after `after_ms` milliseconds: a stage that must wait (a backoff before
    /// asking again, a queue's wait) waits on a timer like on any other effect. The
    /// server's own deadlines (request timeouts, watch bookmarks) stay on
    /// [`super::Server::poll_timeout`].
    Timer {
        /// How long to wait, from when the effect is emitted.
        after_ms: u64,
    },
}

/// An outbound HTTPS request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpsCall {
    /// `https://host[:port]/path[?query]`.
    pub url: String,
    /// `GET`, `POST`, ...
    pub method: String,
    /// Headers to send besides `Host`, `Content-Length` and `Connection`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Who the server trusts and who it says it is.
    pub tls: ClientTls,
    /// How long the whole call may take; past it, the call ends with
    /// [`NetError::TimedOut`].
    pub timeout_ms: u64,
}

/// The TLS side of an outbound HTTPS call, as a kubeconfig's cluster and user give it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientTls {
    /// PEM certificates the server's chain must reach; empty: the system's roots.
    pub ca_pem: Vec<u8>,
    /// PEM client certificate chain and key, when the server asks for one.
    pub client_cert_pem: Vec<u8>,
    /// PEM private key of `client_cert_pem`.
    pub client_key_pem: Vec<u8>,
    /// The name to check the server's certificate against, when not the URL's host.
    pub server_name: Option<String>,
    /// Skip checking the server's certificate (a kubeconfig's `insecure-skip-tls-verify`).
    pub insecure: bool,
}

/// The answer to an [`HttpsCall`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpsResponse {
    /// The status code.
    pub status: u16,
    /// Header names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
    /// The whole body (de-chunked).
    pub body: Vec<u8>,
}

/// What came of an effect.
#[derive(Debug)]
pub enum Completion {
    /// A storage operation's answer (final).
    Storage(Result<StorageResponse, StorageError>),
    /// A dial's outcome (final).
    Dial(Result<(), NetError>),
    /// A relay's bytes, or its end (final).
    Relay(RelayEvent),
    /// An HTTPS call's answer (final).
    Https(Result<HttpsResponse, NetError>),
    /// A timer's time has come (final).
    Timer,
}

impl Completion {
    /// Whether nothing more comes for this effect after this completion.
    pub fn is_final(&self) -> bool {
        !matches!(self, Completion::Relay(RelayEvent::Data(_)))
    }
}

/// A decision that may first need the outside world: ready now, or waiting on one effect
/// whose completion the continuation turns into the next step. Stages written this way (an
/// admission plugin, later authenticators and authorizers) suspend a request as data; the
/// server runs the effect and resumes the request with its completion.
pub enum Flow<T> {
    /// Decided.
    Ready(T),
    /// Run `effect`, then continue with its final completion.
    Wait(Effect, Continuation<T>),
}

/// What a waiting [`Flow`] does with its effect's completion, given what the hub can look
/// up at that time.
pub type Continuation<T> = Box<dyn FnOnce(Completion, &Lookups<'_>) -> Flow<T> + Send>;

/// What a stage may read of the server's shared state while it decides.
#[derive(Clone, Copy)]
pub struct Lookups<'a> {
    /// The watch caches.
    pub caches: &'a crate::watch::WatchCaches,
    /// The storage key prefix (`/registry`).
    pub prefix: &'a str,
    /// How stored objects read back.
    pub storage: &'a crate::storage::Transformer,
    /// The time of the input being handled (token expiry, bootstrap token expiration).
    pub now: crate::time::Now,
    /// The RBAC roles and bindings, from the watch caches.
    pub rbac: &'a crate::authz::rbac::Rbac,
    /// The Node authorizer's graph, from the watch caches.
    pub node_graph: &'a crate::authz::node::graph::Graph,
    /// The authorizers of the chain, in order.
    pub authorizers: &'a [std::sync::Arc<dyn crate::authz::Authorizer>],
}

impl Lookups<'_> {
    /// The storage key of the built-in core (`v1`) object `resource` `namespace`/`name`
    /// (`nodes` live under `minions`, as in kube).
    pub fn core_key(&self, resource: &str, namespace: &str, name: &str) -> Vec<u8> {
        match crate::registry::find("", "v1", resource) {
            Some(def) => crate::registry::object_key(self.prefix, def, namespace, name),
            None => format!("{}/{resource}/{namespace}/{name}", self.prefix).into_bytes(),
        }
    }

    /// The object stored at `key`: from the watch cache when it has it, else read from
    /// storage (an object written through another replica may not have reached this one's
    /// cache yet). `None` when there is none.
    pub fn object(&self, key: Vec<u8>) -> Flow<Result<Option<Value>, ApiError>> {
        if let Some(obj) = self.caches.for_key(&key).get(&key) {
            return Flow::Ready(Ok(Some(Value::clone(obj))));
        }
        let read = StorageRequest::Range {
            key,
            range_end: Vec::new(),
            revision: 0,
            limit: 0,
        };
        Flow::Wait(
            Effect::Storage(read),
            Box::new(|completion, cx| {
                Flow::Ready(match completion {
                    Completion::Storage(Ok(StorageResponse::Range { kvs, .. })) => {
                        Ok(kvs.first().and_then(|kv| cx.storage.decode(kv)))
                    }
                    Completion::Storage(Err(e)) => Err(crate::registry::rest::storage_error(&e)),
                    other => Err(ApiError::internal(format!(
                        "unexpected answer to a read: {other:?}"
                    ))),
                })
            }),
        )
    }
}

impl<T: Send + 'static> Flow<T> {
    /// Continues with `next` once this flow is ready (at once when it already is).
    pub fn and_then<U: 'static>(
        self,
        cx: &Lookups<'_>,
        next: impl FnOnce(T, &Lookups<'_>) -> Flow<U> + Send + 'static,
    ) -> Flow<U> {
        match self {
            Flow::Ready(v) => next(v, cx),
            Flow::Wait(effect, then) => Flow::Wait(
                effect,
                Box::new(move |completion, cx| then(completion, cx).and_then(cx, next)),
            ),
        }
    }
}

impl<T> fmt::Debug for Flow<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Flow::Ready(_) => f.write_str("Flow::Ready"),
            Flow::Wait(effect, _) => write!(f, "Flow::Wait({effect:?})"),
        }
    }
}

/// TLS toward a relay's backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayTls {
    /// Plain TCP (`http` backends).
    Plain,
    /// TLS without verifying the backend, as kube-apiserver's proxy transport reaches
    /// `https` pods and services.
    Insecure,
    /// TLS to a kubelet: the `--kubelet-client-certificate`/`-key` credentials, and the
    /// kubelet's certificate checked against `--kubelet-certificate-authority` when set.
    Kubelet,
}

/// What a relay reports.
#[derive(Debug)]
pub enum RelayEvent {
    /// Bytes of the backend's response, passed to the client as they are.
    Data(Vec<u8>),
    /// The backend connection ended, cleanly or not.
    End(Result<(), NetError>),
}

/// Why a connection to the outside world failed. Displayed in Go's words, because
/// kube-apiserver's answers quote its dialer and TLS client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// The name did not resolve.
    NoSuchHost {
        /// The name.
        host: String,
    },
    /// Nothing listens at `addr`.
    Refused {
        /// `ip:port`.
        addr: String,
    },
    /// The connection attempt took too long.
    TimedOut {
        /// `ip:port`.
        addr: String,
    },
    /// Another failure to connect to `addr`.
    Connect {
        /// `ip:port`.
        addr: String,
        /// The system's words.
        why: String,
    },
    /// An established connection failed while reading or writing.
    Io {
        /// `read` or `write`.
        op: &'static str,
        /// `ip:port`.
        peer: String,
        /// What failed.
        kind: IoFailure,
    },
    /// The TLS handshake or session failed.
    Tls(TlsFailure),
}

/// How an established connection failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IoFailure {
    /// The peer reset it.
    Reset,
    /// Writing to a connection the peer closed.
    BrokenPipe,
    /// Anything else, in the system's words.
    Other(String),
}

/// How TLS toward a backend failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsFailure {
    /// The backend's certificate does not chain to a trusted authority.
    UnknownAuthority,
    /// The backend's certificate has expired or is not valid yet.
    Expired,
    /// The backend's certificate does not name the host dialed.
    NameMismatch,
    /// The host is not a valid TLS server name.
    InvalidName(String),
    /// The backend sent an alert.
    Alert(String),
    /// Anything else, in the TLS library's words.
    Other(String),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::NoSuchHost { host } => write!(f, "dial tcp: lookup {host}: no such host"),
            NetError::Refused { addr } => write!(f, "dial tcp {addr}: connect: connection refused"),
            NetError::TimedOut { addr } => write!(f, "dial tcp {addr}: i/o timeout"),
            NetError::Connect { addr, why } => write!(f, "dial tcp {addr}: connect: {why}"),
            NetError::Io { op, peer, kind } => match kind {
                IoFailure::Reset => write!(f, "{op} tcp {peer}: connection reset by peer"),
                IoFailure::BrokenPipe => write!(f, "{op} tcp {peer}: broken pipe"),
                IoFailure::Other(why) => write!(f, "{op} tcp {peer}: {why}"),
            },
            NetError::Tls(t) => t.fmt(f),
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verify = "tls: failed to verify certificate: x509:";
        match self {
            TlsFailure::UnknownAuthority => write!(f, "{verify} certificate signed by unknown authority"),
            TlsFailure::Expired => write!(f, "{verify} certificate has expired or is not yet valid"),
            TlsFailure::NameMismatch => {
                write!(f, "{verify} certificate is not valid for the requested name")
            }
            TlsFailure::InvalidName(why) => write!(f, "tls: invalid server name: {why}"),
            TlsFailure::Alert(alert) => write!(f, "remote error: tls: {alert}"),
            TlsFailure::Other(why) => write!(f, "tls: {why}"),
        }
    }
}

impl std::error::Error for NetError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_read_as_go_words_them() {
        let refused = NetError::Refused {
            addr: "10.0.0.7:10250".into(),
        };
        assert_eq!(
            refused.to_string(),
            "dial tcp 10.0.0.7:10250: connect: connection refused"
        );
        let reset = NetError::Io {
            op: "read",
            peer: "10.0.0.7:10250".into(),
            kind: IoFailure::Reset,
        };
        assert_eq!(
            reset.to_string(),
            "read tcp 10.0.0.7:10250: connection reset by peer"
        );
        assert_eq!(
            NetError::Tls(TlsFailure::UnknownAuthority).to_string(),
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
        );
        assert_eq!(
            NetError::NoSuchHost {
                host: "node-1".into()
            }
            .to_string(),
            "dial tcp: lookup node-1: no such host"
        );
    }

    #[test]
    fn only_relay_data_leaves_an_effect_open() {
        assert!(!Completion::Relay(RelayEvent::Data(vec![1])).is_final());
        assert!(Completion::Relay(RelayEvent::End(Ok(()))).is_final());
        assert!(Completion::Dial(Ok(())).is_final());
    }
}
