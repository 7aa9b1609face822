//! A virtual world for one server: a clock, an in-memory store answered synchronously, and
//! connections whose written bytes are collected.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::storage::{MemStore, StorageRequest};
use crate::{Config, ConnId, Now, Output, Peer, Server};

pub struct Harness {
    pub server: Server,
    pub store: MemStore,
    pub now: Now,
    pub written: BTreeMap<ConnId, Vec<u8>>,
    pub closed: BTreeSet<ConnId>,
    watching: bool,
}

impl Harness {
    pub fn new() -> Self {
        let cfg = Config {
            serve_openapi: false,
            ..Config::default()
        };
        let mut h = Harness {
            server: Server::new(cfg),
            store: MemStore::new(),
            now: Now {
                mono_ms: 1_000,
                wall_ms: 1_700_000_000_000,
            },
            written: BTreeMap::new(),
            closed: BTreeSet::new(),
            watching: false,
        };
        h.server.start(h.now);
        h.run();
        assert!(
            h.server.is_ready(),
            "start-up finishes against an in-memory store"
        );
        h
    }

    /// Executes outputs until the server has nothing more to do.
    pub fn run(&mut self) {
        let mut pending: VecDeque<(crate::OpId, StorageRequest)> = VecDeque::new();
        loop {
            while let Some(out) = self.server.poll_output() {
                match out {
                    Output::Write { conn, bytes } => self.written.entry(conn).or_default().extend(bytes),
                    Output::Close { conn } => {
                        self.closed.insert(conn);
                        self.server.handle_closed(self.now, conn);
                    }
                    Output::Storage { op, request } => pending.push_back((op, request)),
                    Output::StartWatch { from_revision, .. } => {
                        self.watching = true;
                        let events = self.store.events_after(from_revision).unwrap_or_default();
                        self.store.take_events();
                        if !events.is_empty() {
                            self.server.handle_watch_events(self.now, events);
                        }
                    }
                    Output::Log(_) => {}
                }
            }
            let Some((op, request)) = pending.pop_front() else {
                return;
            };
            let result = self.store.execute(&request);
            // Events of a write reach the server before the write's answer.
            let events = self.store.take_events();
            if self.watching && !events.is_empty() {
                self.server.handle_watch_events(self.now, events);
            }
            self.server.handle_storage(self.now, op, result);
        }
    }

    pub fn connect(&mut self, id: u64) -> ConnId {
        let conn = ConnId(id);
        self.server.handle_connect(self.now, conn, Peer::default());
        self.run();
        conn
    }

    pub fn send(&mut self, conn: ConnId, bytes: &[u8]) {
        self.server.handle_bytes(self.now, conn, bytes);
        self.run();
    }

    /// Moves the clock forward, firing timeouts that fall due on the way.
    pub fn advance(&mut self, ms: u64) {
        let until = self.now.mono_ms + ms;
        loop {
            let next = self.server.poll_timeout().filter(|t| *t <= until);
            let t = next.unwrap_or(until).max(self.now.mono_ms);
            self.now.wall_ms += (t - self.now.mono_ms) as i64;
            self.now.mono_ms = t;
            self.server.handle_timeout(self.now);
            self.run();
            if next.is_none() {
                return;
            }
        }
    }

    /// Everything written to `conn` so far, as text, and clears it.
    pub fn take(&mut self, conn: ConnId) -> String {
        String::from_utf8_lossy(&self.written.remove(&conn).unwrap_or_default()).into_owned()
    }
}

/// The status codes of the responses in `text`, in order.
pub fn statuses(text: &str) -> Vec<u16> {
    text.match_indices("HTTP/1.1 ")
        .filter_map(|(i, _)| text.get(i + 9..i + 12)?.parse().ok())
        .collect()
}
