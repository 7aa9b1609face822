//! gatehouse-core: the deterministic, sans-IO state machine of the Gatehouse Kubernetes API
//! server.
//!
//! The core opens no socket and no file, starts no thread, reads no clock and draws no
//! randomness it was not seeded with (core/clippy.toml refuses them). It turns inputs into
//! outputs; a runtime carries them. See [`server::Server`] for the run loop a runtime follows.
//!
//! # The shape
//!
//! ```text
//!              runtime (tokio, smol, the simulator)
//!   ┌──────────────────────────────────────────────────────────────────┐
//!   │ sockets + TLS     timers        storage, kubelets, webhooks      │
//!   └──┬──────────────────┬──────────────────▲────────────┬────────────┘
//!      │ handle_bytes     │ handle_timeout   │ Output::   │ handle_effect
//!      │ handle_connect   │                  │ Effect{id} │ (id, Completion)
//!      ▼                  ▼                  │            ▼
//!   ┌──────────────────────────────────────────────────────────────────┐
//!   │ Server: connections, effects in flight, watchers, and            │
//!   │ ┌ Hub (shared, read by every request) ─────────────────────────┐ │
//!   │ │ resource registry, watch caches, storage transformer,        │ │
//!   │ │ authenticators, authorizers, admission chain, OpenAPI        │ │
//!   │ └──────────────────────────────────────────────────────────────┘ │
//!   │ requests in flight: each its own stage, machine and generator    │
//!   │                                                                  │
//!   │  request ──► request info ─► authentication ─► audit ─►          │
//!   │  (one id     impersonation ─► priority and fairness ─►           │
//!   │   from parse authorization ─► handler ─┬─► registry machine      │
//!   │   to answer)                           │   (decode, mutating     │
//!   │                                        │    admission, validate, │
//!   │                                        │    storage txn, retry)  │
//!   │                                        ├─► dial / relay          │
//!   │                                        └─► reviews, non-resource │
//!   │            ◄── encode ◄── audit: ResponseComplete ◄──            │
//!   └──────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Every call to the outside world is one [`Effect`] with an [`EffectId`], answered by one
//! [`Completion`]. A stage that needs one (a storage read, an admission plugin's webhook,
//! a timer to back off on) does not call it: it returns a [`server::Flow`] that waits on the effect, the server
//! parks the request as data, and the completion resumes it, at whatever stage it was,
//! including inside the registry's read-modify-write retry loop. Shared state (the served
//! resources, the watch caches, the admission chain) lives in the hub, which a request's
//! steps only read; what one request needs (its stage, its registry machine, its own seeded
//! generator) lives in its own record, keyed by its id, and it says what it wants done as
//! values. So request steps could run on several cores against one `&Hub` while the
//! simulator runs everything on one thread from one seed. The server's own writes (start-up
//! objects, namespace finalization, `kube-root-ca.crt`) enter as loopback requests and pass
//! the same stages.
//!
//! What is served is a run-time registry ([`registry::Resources`]), not a static table:
//! [`Server::put_resource`] and [`Server::remove_resource`] add, change and remove a resource
//! while serving, and routing, discovery, the OpenAPI documents, namespace deletion and the
//! watch caches follow. A request keeps the definition it was routed to until it ends. A
//! [`registry::Source`] ([`Server::add_resource_source`]) derives resources from objects in
//! storage (custom resource definitions will be one), so every replica, watching the same
//! objects, serves the same resources whichever replica wrote them.

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
pub mod cel;
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
    ClientTls, Completion, Config, ConnId, Effect, EffectId, HttpsCall, HttpsResponse, NetError, Output,
    Outstanding, Peer, RelayEvent, RelayTls, Server,
};

#[cfg(test)]
mod tests;
pub use time::Now;
