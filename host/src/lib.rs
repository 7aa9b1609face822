//! gatehouse-host: what both runtimes share outside the pure core.
//!
//! Flags, certificates and TLS configuration, the embedded durable store and its storage
//! thread, and the driver loop that owns the core [`gatehouse_core::Server`]. Nothing here
//! depends on an async runtime: the runtimes hand in their tasks, timers and sockets
//! ([`net::Net`]).

pub mod admission;
pub mod authorization;
pub mod driver;
pub mod error;
pub mod etcd;
pub mod flags;
pub mod https;
pub mod kubeconfig;
pub mod kubelet;
pub mod launch;
pub mod net;
pub mod pki;
pub mod relay;
pub mod service_accounts;
pub mod store;
pub mod tls;
pub mod webhook;

#[cfg(test)]
mod x509_tests;

pub use error::HostError;
