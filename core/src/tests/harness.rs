//! A virtual world for one server: a clock, an in-memory store answered synchronously, and
//! connections whose written bytes are collected.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::storage::WatchId;
use crate::storage::{MemStore, StorageEvent, StorageRequest, WatchSet};
use crate::{Completion, Config, ConnId, Effect, EffectId, NetError, Now, Output, Peer, RelayEvent, Server};

/// What the world hands the server once its outputs are drained.
enum Input {
    Closed(ConnId),
    Events(WatchId, Vec<StorageEvent>),
    Done(EffectId, Completion),
}

/// A dial of `host:port` where nothing listens.
fn refused(host: &str, port: u16) -> NetError {
    NetError::Refused {
        addr: format!("{host}:{port}"),
    }
}

pub struct Harness {
    pub server: Server,
    /// Storage requests executed so far.
    pub storage_ops: usize,
    /// While set, every storage request fails as an unreachable store would.
    pub store_down: bool,
    admin_chain: Vec<Vec<u8>>,
    pub store: MemStore,
    pub now: Now,
    pub written: BTreeMap<ConnId, Vec<u8>>,
    pub closed: BTreeSet<ConnId>,
    pub watches: WatchSet,
    /// What relayed backends answer (whole, then they close); unset, nothing listens.
    pub backend_answer: Option<Vec<u8>>,
    /// While set, relays are left waiting for their backend.
    pub hold_relays: bool,
    /// Every relay asked for: host, port, TLS and the request sent.
    pub relayed: Vec<(String, u16, crate::RelayTls, Vec<u8>)>,
    /// Relays the server called off.
    pub ended_relays: Vec<u64>,
    /// Relays left waiting for their backend.
    held: Vec<EffectId>,
    /// Every HTTPS call asked for, in order.
    pub https: Vec<crate::server::HttpsCall>,
    /// What HTTPS calls get; `None` leaves them unanswered until [`Harness::answer_https`].
    pub https_answer: Option<Result<crate::server::HttpsResponse, NetError>>,
    /// HTTPS calls left unanswered.
    held_https: Vec<EffectId>,
    /// Timers running: when each is due (monotonic ms).
    pub timers: Vec<(u64, EffectId)>,
}

impl Harness {
    pub fn new() -> Self {
        Harness::with(|_| {})
    }

    /// A harness whose server configuration `tweak` adjusts first.
    pub fn with(tweak: impl FnOnce(&mut Config)) -> Self {
        let (ca, admin) = admin_identity();
        let mut cfg = Config {
            serve_openapi: false,
            client_ca_der: Some(vec![ca]),
            ..Config::default()
        };
        tweak(&mut cfg);
        let mut h = Harness {
            server: Server::new(cfg),
            storage_ops: 0,
            store_down: false,
            backend_answer: None,
            hold_relays: false,
            relayed: Vec::new(),
            ended_relays: Vec::new(),
            held: Vec::new(),
            https: Vec::new(),
            held_https: Vec::new(),
            timers: Vec::new(),
            https_answer: Some(Err(NetError::Refused {
                addr: "127.0.0.1:443".into(),
            })),
            admin_chain: vec![admin],
            store: MemStore::new(),
            now: Now {
                mono_ms: 1_000,
                wall_ms: 1_700_000_000_000,
            },
            written: BTreeMap::new(),
            closed: BTreeSet::new(),
            watches: WatchSet::default(),
        };
        h.server.start(h.now);
        h.run();
        assert!(
            h.server.is_ready(),
            "start-up finishes against an in-memory store"
        );
        h
    }

    /// Executes outputs until the server has nothing more to do. What comes of them is
    /// handed in only once the outputs are drained, as a runtime must.
    pub fn run(&mut self) {
        let mut storage: VecDeque<(EffectId, StorageRequest)> = VecDeque::new();
        let mut inputs: VecDeque<Input> = VecDeque::new();
        loop {
            while let Some(out) = self.server.poll_output() {
                match out {
                    Output::Write { conn, bytes } => self.written.entry(conn).or_default().extend(bytes),
                    Output::Close { conn } => {
                        self.closed.insert(conn);
                        inputs.push_back(Input::Closed(conn));
                    }
                    Output::Effect {
                        id,
                        effect: Effect::Storage(request),
                    } => storage.push_back((id, request)),
                    Output::StartWatch {
                        watch,
                        prefix,
                        from_revision,
                    } => {
                        let events = self.store.events_after(from_revision).unwrap_or_default();
                        let events = WatchSet::under(&prefix, &events);
                        self.watches.start(watch, prefix);
                        if !events.is_empty() {
                            inputs.push_back(Input::Events(watch, events));
                        }
                    }
                    // No kubelet listens anywhere in this world.
                    Output::Effect {
                        id,
                        effect: Effect::Dial { host, port },
                    } => inputs.push_back(Input::Done(id, Completion::Dial(Err(refused(&host, port))))),
                    Output::Effect {
                        id,
                        effect:
                            Effect::Relay {
                                host,
                                port,
                                tls,
                                request,
                            },
                    } => {
                        self.relayed.push((host.clone(), port, tls, request));
                        if self.hold_relays {
                            self.held.push(id);
                            continue;
                        }
                        match self.backend_answer.clone() {
                            Some(answer) => {
                                inputs
                                    .push_back(Input::Done(id, Completion::Relay(RelayEvent::Data(answer))));
                                inputs.push_back(Input::Done(id, Completion::Relay(RelayEvent::End(Ok(())))));
                            }
                            None => {
                                let end = RelayEvent::End(Err(refused(&host, port)));
                                inputs.push_back(Input::Done(id, Completion::Relay(end)));
                            }
                        }
                    }
                    Output::Effect {
                        id,
                        effect: Effect::Https(call),
                    } => {
                        self.https.push(*call);
                        match self.https_answer.clone() {
                            Some(answer) => inputs.push_back(Input::Done(id, Completion::Https(answer))),
                            None => self.held_https.push(id),
                        }
                    }
                    Output::Effect {
                        id,
                        effect: Effect::Timer { after_ms },
                    } => self.timers.push((self.now.mono_ms + after_ms, id)),
                    Output::Cancel { id } => {
                        self.ended_relays.push(id.0);
                        if let Some(i) = self.held.iter().position(|h| *h == id) {
                            self.held.remove(i);
                            inputs.push_back(Input::Done(id, Completion::Relay(RelayEvent::End(Ok(())))));
                        }
                    }
                    Output::Log(_) => {}
                }
            }
            if let Some(input) = inputs.pop_front() {
                match input {
                    Input::Closed(conn) => self.server.handle_closed(self.now, conn),
                    Input::Events(watch, events) => self.server.handle_watch_events(self.now, watch, events),
                    Input::Done(id, completion) => self.server.handle_effect(self.now, id, completion),
                }
                continue;
            }
            let Some((id, request)) = storage.pop_front() else {
                return;
            };
            self.storage_ops += 1;
            let result = if self.store_down {
                Err(crate::storage::StorageError::Unavailable(
                    "connection refused".into(),
                ))
            } else {
                self.store.execute(&request)
            };
            // Events of a write reach the server before the write's answer, and so does the
            // news that every watch is current.
            let events = self.store.take_events();
            self.deliver(events);
            if !self.watches.is_empty() {
                self.server.handle_watch_progress(self.now, self.store.revision());
            }
            self.server
                .handle_effect(self.now, id, Completion::Storage(result));
        }
    }

    /// Answers every HTTPS call left unanswered with `answer`.
    pub fn answer_https(&mut self, answer: Result<crate::server::HttpsResponse, NetError>) {
        for id in std::mem::take(&mut self.held_https) {
            self.server
                .handle_effect(self.now, id, Completion::Https(answer.clone()));
            self.run();
        }
    }

    pub fn connect(&mut self, id: u64) -> ConnId {
        let conn = ConnId(id);
        self.server.handle_connect(self.now, conn, Peer::default());
        self.run();
        conn
    }

    /// Lets the store's clock reach `unix_secs` (it starts at 0) and expires what is due,
    /// handing the deletions to the server as a storage watch would.
    pub fn expire_at(&mut self, unix_secs: i64) {
        self.store.set_clock(unix_secs);
        self.store.expire_due();
        let events = self.store.take_events();
        self.deliver(events);
        self.run();
    }

    /// Hands each watch the events under its prefix.
    /// A write by another replica: straight to storage, its events delivered by the watches.
    pub fn write_elsewhere(&mut self, request: &StorageRequest) {
        self.store.execute(request).expect("the write of another replica");
        let events = self.store.take_events();
        self.deliver(events);
        self.run();
    }

    fn deliver(&mut self, events: Vec<StorageEvent>) {
        for (watch, evs) in self.watches.split(&events) {
            self.server.handle_watch_events(self.now, watch, evs);
        }
    }

    /// A connection authenticated as a `system:masters` administrator.
    pub fn connect_admin(&mut self, id: u64) -> ConnId {
        let conn = ConnId(id);
        let peer = Peer {
            remote: "test".into(),
            cert_chain: self.admin_chain.clone(),
        };
        self.server.handle_connect(self.now, conn, peer);
        self.run();
        conn
    }

    /// Sends one request and returns the whole response written for it.
    pub fn request(&mut self, conn: ConnId, method: &str, target: &str, body: &str) -> String {
        let head = format!(
            "{method} {target} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.send(conn, head.as_bytes());
        self.send(conn, body.as_bytes());
        self.take(conn)
    }

    /// Sends one request with the given headers (Content-Type among them) and returns the
    /// whole response written for it.
    pub fn request_with(
        &mut self,
        conn: ConnId,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> String {
        let mut head = format!("{method} {target} HTTP/1.1\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        self.send(conn, head.as_bytes());
        self.send(conn, body.as_bytes());
        self.take(conn)
    }

    pub fn send(&mut self, conn: ConnId, bytes: &[u8]) {
        self.server.handle_bytes(self.now, conn, bytes);
        self.run();
    }

    /// Moves the clock forward, firing timeouts and timer effects that fall due on the way.
    pub fn advance(&mut self, ms: u64) {
        let until = self.now.mono_ms + ms;
        loop {
            let timer = self.timers.iter().map(|(at, _)| *at).min();
            let next = self
                .server
                .poll_timeout()
                .into_iter()
                .chain(timer)
                .min()
                .filter(|t| *t <= until);
            let t = next.unwrap_or(until).max(self.now.mono_ms);
            self.now.wall_ms += (t - self.now.mono_ms) as i64;
            self.now.mono_ms = t;
            let (due, later) = std::mem::take(&mut self.timers)
                .into_iter()
                .partition(|(at, _)| *at <= t);
            self.timers = later;
            for (_, id) in due {
                self.server.handle_effect(self.now, id, Completion::Timer);
            }
            self.server.handle_timeout(self.now);
            self.run();
            if next.is_none() {
                return;
            }
        }
    }

    /// Everything written to `conn` so far, as text, and clears it.
    pub fn take(&mut self, conn: ConnId) -> String {
        String::from_utf8_lossy(&self.take_bytes(conn)).into_owned()
    }

    /// Everything written to `conn` so far, and clears it.
    pub fn take_bytes(&mut self, conn: ConnId) -> Vec<u8> {
        self.written.remove(&conn).unwrap_or_default()
    }
}

/// The status codes of the responses in `text`, in order.
pub fn statuses(text: &str) -> Vec<u16> {
    text.match_indices("HTTP/1.1 ")
        .filter_map(|(i, _)| text.get(i + 9..i + 12)?.parse().ok())
        .collect()
}

/// A client CA and an administrator certificate (CN=admin, O=system:masters) signed by it,
/// both DER.
fn admin_identity() -> (Vec<u8>, Vec<u8>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "test-ca");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, &ca_key);
    let key = KeyPair::generate().expect("client key");
    let mut leaf = CertificateParams::new(Vec::<String>::new()).expect("client params");
    leaf.distinguished_name.push(DnType::CommonName, "admin");
    leaf.distinguished_name
        .push(DnType::OrganizationName, "system:masters");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &issuer).expect("client certificate");
    (ca_cert.der().to_vec(), cert.der().to_vec())
}

/// The JSON body of the last response in `text`.
pub fn body(text: &str) -> serde_json::Value {
    let start = text.rfind("\r\n\r\n").map_or(0, |i| i + 4);
    serde_json::from_str(text[start..].trim()).unwrap_or(serde_json::Value::Null)
}
