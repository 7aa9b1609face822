//! The in-memory network between simulated clients and Gatehouse replicas.
//!
//! Every connection is a pair of ordered pipes. A packet's delay is drawn per packet, but a
//! pipe never lets a packet overtake an earlier one, so bytes within one connection arrive in
//! order while independent connections reorder freely. Connections can be dropped (both ends
//! see a reset, bytes on the way are lost) and half-closed (a FIN after the data).

use std::collections::BTreeMap;

use gatehouse_core::ConnId;

use super::rng::SimRng;

/// What travels on a pipe.
#[derive(Clone, Debug)]
pub enum Packet {
    /// The connection is established (first thing on the way to the server).
    Connect,
    /// Bytes.
    Data(Vec<u8>),
    /// The sender closed its side.
    Fin,
}

/// Direction of a pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
}

/// One connection.
#[derive(Debug)]
pub struct Link {
    /// The client that opened it.
    pub client: usize,
    /// The replica it reaches.
    pub replica: usize,
    /// False once dropped: nothing more is delivered.
    pub alive: bool,
    /// The client sent its FIN.
    pub up_closed: bool,
    /// The server closed its side.
    pub down_closed: bool,
    base_ms: u64,
    last_up_ms: u64,
    last_down_ms: u64,
}

/// Latency settings.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Base latency of a connection, drawn once per connection, in ms.
    pub base_ms: (u64, u64),
    /// Jitter added per packet, in ms.
    pub jitter_ms: u64,
}

/// Every connection of a run.
#[derive(Debug)]
pub struct Network {
    links: BTreeMap<ConnId, Link>,
    next: u64,
    /// Latency settings.
    pub cfg: NetConfig,
}

impl Network {
    /// An empty network.
    pub fn new(cfg: NetConfig) -> Self {
        Network {
            links: BTreeMap::new(),
            next: 1,
            cfg,
        }
    }

    /// Opens a connection from `client` to `replica`.
    pub fn open(&mut self, client: usize, replica: usize, rng: &mut SimRng) -> ConnId {
        let id = ConnId(self.next);
        self.next += 1;
        let base_ms = rng.between(self.cfg.base_ms.0, self.cfg.base_ms.1);
        self.links.insert(
            id,
            Link {
                client,
                replica,
                alive: true,
                up_closed: false,
                down_closed: false,
                base_ms,
                last_up_ms: 0,
                last_down_ms: 0,
            },
        );
        id
    }

    /// The connection `conn`.
    pub fn link(&self, conn: ConnId) -> Option<&Link> {
        self.links.get(&conn)
    }

    /// The connection `conn`, mutably.
    pub fn link_mut(&mut self, conn: ConnId) -> Option<&mut Link> {
        self.links.get_mut(&conn)
    }

    /// When a packet sent now on `conn` in direction `dir` arrives; `None` when the pipe is
    /// gone. Arrival times on one pipe never decrease, so packets keep their order (the event
    /// queue breaks ties in sending order).
    pub fn send(&mut self, conn: ConnId, dir: Dir, now_ms: u64, rng: &mut SimRng) -> Option<u64> {
        let jitter = rng.below(self.cfg.jitter_ms + 1);
        let link = self.links.get_mut(&conn)?;
        if !link.alive {
            return None;
        }
        let at = now_ms + link.base_ms + jitter;
        let last = match dir {
            Dir::Up => &mut link.last_up_ms,
            Dir::Down => &mut link.last_down_ms,
        };
        let at = at.max(*last);
        *last = at;
        Some(at)
    }

    /// Drops `conn`: it delivers nothing more. Returns whether it was alive.
    pub fn kill(&mut self, conn: ConnId) -> bool {
        match self.links.get_mut(&conn) {
            Some(l) if l.alive => {
                l.alive = false;
                true
            }
            _ => false,
        }
    }

    /// Whether `conn` still delivers.
    pub fn alive(&self, conn: ConnId) -> bool {
        self.links.get(&conn).is_some_and(|l| l.alive)
    }

    /// Live connections, in id order.
    pub fn live(&self) -> Vec<ConnId> {
        self.links
            .iter()
            .filter(|(_, l)| l.alive)
            .map(|(id, _)| *id)
            .collect()
    }
}
