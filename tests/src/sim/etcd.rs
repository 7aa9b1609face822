//! A simulated etcd cluster for the etcd backend's session
//! ([`gatehouse_host::etcd::session`]): several endpoints in front of the one simulated store
//! ([`SimStore`]), connections that refuse, hang or reset, calls answered in etcd's terms
//! (gRPC statuses, answers lost after etcd applied the call), and the watch streams of each
//! replica (one per watch of its core, each over its own prefix) with events in revision
//! order and progress notifications on request.
//!
//! Faults, all from the run's seed:
//!
//! * an endpoint refuses connections (its member is down; its connections reset) or hangs
//!   (dials get no answer, calls on its connections vanish until a keepalive gives them up);
//! * a connection resets: calls in flight on it are lost, applied or not;
//! * a call fails with `etcdserver: no leader` (not applied) or `etcdserver: request timed
//!   out` (applied or not), or its answer is lost with its connection after it was applied;
//! * leader loss (the store's pause): every call fails, watch streams are canceled;
//! * a watch stream breaks, and compaction may overtake that watch while it resumes.

use std::collections::BTreeMap;

use gatehouse_core::storage::{Compare, KeyValue, StorageError, StorageRequest, StorageResponse, TxnOp};
use gatehouse_host::etcd::grpc::CallError;
use gatehouse_host::etcd::session::{
    Answer, Call, ConnId, Outcome, StreamId, COMPACT_REV_KEY, OUT_OF_RANGE, UNAVAILABLE,
};

use super::rng::SimRng;
use super::store::SimStore;

/// The state of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Serving.
    Up,
    /// Its member is down: dials are refused.
    Refusing,
    /// Unreachable: dials and calls get no answer.
    Hanging,
}

/// One connection of one replica's session.
#[derive(Clone, Copy, Debug)]
pub struct Conn {
    /// The endpoint it goes to.
    pub endpoint: usize,
    /// Whether it still carries anything.
    pub alive: bool,
}

/// Open watch streams, by replica and the session's name for them: the connection each runs
/// on.
pub type Watches = BTreeMap<(usize, StreamId), ConnId>;

/// What became of one call.
#[derive(Debug)]
pub struct Served {
    /// The answer, unless it is lost.
    pub result: Result<Answer, CallError>,
    /// The revision the call wrote, if any.
    pub wrote: Option<i64>,
    /// The answer is lost with its connection (which resets).
    pub reset: bool,
    /// The fault injected, for the trace.
    pub fault: &'static str,
}

/// The simulated cluster in front of the store.
#[derive(Debug)]
pub struct SimEtcd {
    /// The endpoints.
    pub endpoints: Vec<Endpoint>,
    /// Connections, by replica and session name.
    pub conns: BTreeMap<(usize, ConnId), Conn>,
    /// Open watch streams.
    pub watches: Watches,
}

impl SimEtcd {
    /// A cluster of `endpoints` members.
    pub fn new(endpoints: usize) -> Self {
        SimEtcd {
            endpoints: vec![Endpoint::Up; endpoints],
            conns: BTreeMap::new(),
            watches: BTreeMap::new(),
        }
    }

    /// Whether replica `r`'s connection `conn` is alive.
    pub fn alive(&self, r: usize, conn: ConnId) -> bool {
        self.conns.get(&(r, conn)).is_some_and(|c| c.alive)
    }

    /// Whether replica `r`'s connection `conn` goes to a hanging endpoint.
    pub fn hanging(&self, r: usize, conn: ConnId) -> bool {
        self.conns
            .get(&(r, conn))
            .is_some_and(|c| self.endpoints.get(c.endpoint) == Some(&Endpoint::Hanging))
    }

    /// Forgets everything of replica `r` (it restarted).
    pub fn forget(&mut self, r: usize) {
        self.conns.retain(|(rr, _), _| *rr != r);
        self.watches.retain(|(rr, _), _| *rr != r);
    }

    /// Replica `r`'s open watch streams on connection `conn`, in order.
    pub fn watches_on(&self, r: usize, conn: ConnId) -> Vec<StreamId> {
        self.watches
            .iter()
            .filter(|((rr, _), c)| *rr == r && **c == conn)
            .map(|((_, s), _)| *s)
            .collect()
    }

    /// Replica `r`'s open watch streams.
    pub fn watches_of(&self, r: usize) -> usize {
        self.watches.keys().filter(|(rr, _)| *rr == r).count()
    }

    /// Live connections, in order.
    pub fn live(&self) -> Vec<(usize, ConnId)> {
        self.conns
            .iter()
            .filter(|(_, c)| c.alive)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Live connections to endpoint `e`.
    pub fn live_to(&self, e: usize) -> Vec<(usize, ConnId)> {
        self.conns
            .iter()
            .filter(|(_, c)| c.alive && c.endpoint == e)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Serves one call on `store` with the store's fault settings.
    pub fn serve(&mut self, store: &mut SimStore, now_ms: u64, call: &Call, rng: &mut SimRng) -> Served {
        let fail = |result: CallError, fault| Served {
            result: Err(result),
            wrote: None,
            reset: false,
            fault,
        };
        if store.paused {
            return fail(status(UNAVAILABLE, "etcdserver: no leader"), "etcd: no leader");
        }
        if rng.chance(store.faults.unavailable) {
            return fail(status(UNAVAILABLE, "etcdserver: no leader"), "etcd: no leader");
        }
        if rng.chance(store.faults.timeout_lost) {
            return fail(
                status(UNAVAILABLE, "etcdserver: request timed out"),
                "etcd: timed out, not applied",
            );
        }
        let lose = rng.chance(store.faults.timeout_applied);
        let (result, wrote) = match call {
            Call::Kv(req) => {
                let (r, wrote) = store.apply(now_ms, req, rng);
                let written = wrote
                    .and_then(|rev| store.truth.commit(rev))
                    .map(|c| c.events.iter().map(|e| e.kv.key.clone()).collect())
                    .unwrap_or_default();
                let r = r.map(|response| Answer::Kv(Outcome { response, written }));
                (r, wrote)
            }
            Call::Compact { revision } => {
                let req = StorageRequest::Compact { revision: *revision };
                let (r, _) = store.apply(now_ms, &req, rng);
                (r.map(|_| Answer::Revision(store.revision())), None)
            }
            Call::CurrentRevision => (Ok(Answer::Revision(store.revision())), None),
            Call::CompactRound { version, revision } => {
                // etcd compares the key's version; the store compares its modify revision,
                // which is the same test while nothing else writes the key in between (the
                // simulator runs one call at a time).
                let current = store.get(COMPACT_REV_KEY);
                let held = current.as_ref().map_or(0, |kv| kv.version) == *version;
                if held {
                    let req = StorageRequest::Txn {
                        compare: vec![Compare::ModRevision(
                            COMPACT_REV_KEY.to_vec(),
                            current.as_ref().map_or(0, |kv| kv.mod_revision),
                        )],
                        success: vec![TxnOp::Put {
                            key: COMPACT_REV_KEY.to_vec(),
                            value: revision.to_string().into_bytes(),
                            ttl_secs: None,
                        }],
                        failure: Vec::new(),
                    };
                    let (r, wrote) = store.apply(now_ms, &req, rng);
                    let r = r.map(|resp| Answer::CompactRound {
                        succeeded: matches!(resp, StorageResponse::Txn { succeeded: true, .. }),
                        version: 0,
                        revision: revision_of(&resp),
                    });
                    (r, wrote)
                } else {
                    let r = Answer::CompactRound {
                        succeeded: false,
                        version: current.as_ref().map_or(0, |kv: &KeyValue| kv.version),
                        revision: store.revision(),
                    };
                    (Ok(r), None)
                }
            }
        };
        let result = result.map_err(call_error);
        if lose {
            // Applied (or refused) by etcd, but the answer does not come back.
            let fault = if wrote.is_some() {
                "etcd: answer lost after apply"
            } else {
                "etcd: answer lost"
            };
            if rng.chance(0.5) {
                return Served {
                    result: Err(CallError::Lost("connection reset by peer".into())),
                    wrote,
                    reset: true,
                    fault,
                };
            }
            return Served {
                result: Err(status(UNAVAILABLE, "etcdserver: request timed out")),
                wrote,
                reset: false,
                fault,
            };
        }
        Served {
            result,
            wrote,
            reset: false,
            fault: "",
        }
    }
}

fn status(code: u32, message: &str) -> CallError {
    CallError::Status {
        code,
        message: message.into(),
    }
}

/// A store error as etcd's gRPC status.
fn call_error(e: StorageError) -> CallError {
    match e {
        StorageError::Compacted { .. } => status(
            OUT_OF_RANGE,
            "etcdserver: mvcc: required revision has been compacted",
        ),
        StorageError::FutureRevision { .. } => status(
            OUT_OF_RANGE,
            "etcdserver: mvcc: required revision is a future revision",
        ),
        StorageError::Unavailable(m) => status(UNAVAILABLE, &m),
        StorageError::Timeout => status(UNAVAILABLE, "etcdserver: request timed out"),
    }
}

fn revision_of(r: &StorageResponse) -> i64 {
    match r {
        StorageResponse::Range { revision, .. } | StorageResponse::Txn { revision, .. } => *revision,
        StorageResponse::Compacted { revision } => *revision,
    }
}
