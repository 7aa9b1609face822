//! Per-connection state.

use crate::authn::request_header::ProxyCert;
use crate::authn::PeerCert;
use crate::http::{Limits, Parser};

use super::ReqId;

/// Identifies a connection; chosen by the runtime, unique while the connection lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// One client connection.
#[derive(Debug)]
pub(super) struct Conn {
    pub parser: Parser,
    /// The identity its client certificate established, decided at connect.
    pub cert: PeerCert,
    /// Whether that certificate is the authenticating front proxy's.
    pub proxy: ProxyCert,
    /// The certificate chain presented, judged again when the client CA changes or the
    /// leaf expires (kube judges it on every request).
    pub chain: Vec<Vec<u8>>,
    /// The client CA generation `cert` was judged against.
    pub judged: u64,
    /// When the leaf certificate expires (Unix seconds).
    pub valid_until: Option<i64>,
    /// The request being answered; HTTP/1.1 answers in order, so the next waits.
    pub busy: Option<ReqId>,
    pub last_activity_ms: u64,
    /// When the request being received began; a request must arrive whole within the
    /// header timeout, however slowly its bytes trickle in.
    pub request_started_ms: Option<u64>,
}

impl Conn {
    /// When this connection must be closed if nothing changes: a partial request that took
    /// too long, or an idle keep-alive connection. None while a request is being answered.
    pub fn deadline(&self, header_timeout_ms: u64, idle_timeout_ms: u64) -> Option<u64> {
        if self.busy.is_some() {
            return None;
        }
        Some(match self.request_started_ms {
            Some(t) if self.parser.is_mid_request() => t + header_timeout_ms,
            _ => self.last_activity_ms + idle_timeout_ms,
        })
    }

    pub fn new(cert: PeerCert, proxy: ProxyCert, limits: Limits, now_ms: u64) -> Self {
        Conn {
            parser: Parser::new(limits),
            cert,
            proxy,
            chain: Vec::new(),
            judged: 0,
            valid_until: None,
            busy: None,
            last_activity_ms: now_ms,
            request_started_ms: None,
        }
    }
}
