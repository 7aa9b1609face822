//! gatehouse-core: the deterministic, sans-IO state machine of the Gatehouse Kubernetes API
//! server.
//!
//! The core opens no socket and no file, starts no thread, reads no clock and draws no
//! randomness it was not seeded with. It turns inputs (connection bytes, the peer's
//! certificate chain, storage answers, storage watch events, the current time) into outputs
//! (bytes to write, storage requests, watches to start). See [`server::Server`] for the run
//! loop a runtime follows.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// `ApiError` carries a whole `Status` (message, details, causes); it travels only on the
// failure path, where its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod admission;
pub mod api;
pub mod apply;
pub mod authn;
pub mod authz;
pub mod codec;
pub mod conversion;
pub mod discovery;
pub mod http;
pub mod openapi;
pub mod patch;
pub mod printers;
pub mod registry;
pub mod request;
pub mod rng;
pub mod selectors;
pub mod server;
#[cfg(feature = "sim-bugs")]
pub mod sim_bugs;
pub mod storage;
pub mod time;
pub mod validation;
pub mod watch;

pub use server::{
    Completion, Config, ConnId, Effect, EffectId, NetError, Output, Outstanding, Peer, RelayEvent, RelayTls,
    Server,
};

#[cfg(test)]
mod tests;
pub use time::Now;
