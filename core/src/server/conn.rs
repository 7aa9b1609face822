//! Per-connection state.

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
    /// The request being answered; HTTP/1.1 answers in order, so the next waits.
    pub busy: Option<ReqId>,
    pub last_activity_ms: u64,
}

impl Conn {
    pub fn new(cert: PeerCert, limits: Limits, now_ms: u64) -> Self {
        Conn {
            parser: Parser::new(limits),
            cert,
            busy: None,
            last_activity_ms: now_ms,
        }
    }
}
