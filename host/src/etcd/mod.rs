//! The etcd v3 storage backend (`--storage-backend=etcd3`).
//!
//! Gatehouse keeps its objects in etcd exactly as kube-apiserver lays them out: the core
//! already produces the keys (`<--etcd-prefix>/<resource>/<namespace>/<name>`) and the JSON
//! values; this module carries the core's [`StorageRequest`](gatehouse_core::storage::StorageRequest)s
//! to etcd and its answers and watch events back, through the same [`StoreCmd`] /
//! [`StoreReport`] interface as the embedded store.
//!
//! The client is runtime-agnostic: it runs on a thread of its own with a small single-threaded
//! executor and `async-io` for the socket and timers, and speaks gRPC over HTTP/2 (the `h2`
//! crate, which borrows only tokio's I/O traits) with hand-written protobuf messages. Neither
//! runtime of Gatehouse needs to host it, and the smol runtime stays free of tokio.
//!
//! * [`proto`]: the etcd messages used (KV Range/Txn/Compact, Watch, Lease grant, Status).
//! * [`grpc`]: gRPC framing, unary calls and response streams over an HTTP/2 connection.
//! * [`transport`]: endpoint URLs, TCP, TLS (`--etcd-cafile`, `--etcd-certfile`,
//!   `--etcd-keyfile`) and the HTTP/2 handshake.
//! * [`client`]: connections (handshakes, keepalive), the calls in etcd's messages, and a
//!   standalone async client for tools and tests.
//! * [`session`]: every decision, without IO: endpoint failover, retries and deadlines, the
//!   mapping of etcd's errors onto the storage contract, the watches (one stream per resource
//!   type, each resumed from the last revision it saw; their events reach the core before the
//!   answer of the write that caused them), and the compactor. The simulator drives it too.
//! * [`backend`]: the storage thread, a thin async driver of the session.

pub mod backend;
pub mod client;
pub mod grpc;
pub mod proto;
pub mod session;
pub mod transport;

use std::path::Path;
use std::time::Duration;

pub use backend::{run, spawn, COMPACT_REV_KEY, HOLD_LIMIT};
pub use client::{Client, ClientOptions};
pub use transport::Endpoint;

use crate::error::HostError;
use crate::flags::{parse_duration_ms, Flags};
use crate::store::{StoreCmd, StoreReport};

/// Deadline of each etcd request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline of each connection attempt to one endpoint.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default of `--etcd-compaction-interval`, as kube-apiserver's.
pub const DEFAULT_COMPACTION_INTERVAL: Duration = Duration::from_secs(300);

/// Everything the etcd storage thread needs.
#[derive(Clone)]
pub struct EtcdOptions {
    /// How to reach etcd.
    pub client: ClientOptions,
    /// How often to compact etcd's history; zero turns compaction off.
    pub compaction_interval: Duration,
}

impl EtcdOptions {
    /// Plain-text (or, with [`EtcdOptions::with_tls`], TLS) access to `servers`, with the
    /// default deadlines and compaction interval. (The keys' prefix is the core's: its watches
    /// name theirs.)
    pub fn new(servers: &[String]) -> Result<EtcdOptions, HostError> {
        let endpoints = servers
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                Endpoint::parse(s).map_err(|reason| HostError::Invalid {
                    what: "--etcd-servers".into(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if endpoints.is_empty() {
            return Err(HostError::Invalid {
                what: "--etcd-servers".into(),
                reason: "the etcd3 storage backend needs at least one server".into(),
            });
        }
        Ok(EtcdOptions {
            client: ClientOptions {
                endpoints,
                tls: None,
                request_timeout: REQUEST_TIMEOUT,
                dial_timeout: DIAL_TIMEOUT,
            },
            compaction_interval: DEFAULT_COMPACTION_INTERVAL,
        })
    }

    /// Uses TLS for `https` endpoints: trust the CA bundle in `ca_file`, and present the
    /// certificate in `cert_file` with the key in `key_file` when both are given.
    pub fn with_tls(
        mut self,
        ca_file: &Path,
        cert_file: Option<&Path>,
        key_file: Option<&Path>,
    ) -> Result<EtcdOptions, HostError> {
        let ca = std::fs::read(ca_file).map_err(|e| HostError::io(ca_file, e))?;
        let client = match (cert_file, key_file) {
            (Some(c), Some(k)) => Some(crate::tls::load_pem_files(c, k)?),
            (None, None) => None,
            _ => {
                return Err(HostError::Invalid {
                    what: "--etcd-certfile".into(),
                    reason: "--etcd-certfile and --etcd-keyfile go together".into(),
                })
            }
        };
        let connector =
            transport::tls_connector(&ca, client.as_ref().map(|(c, k)| (c.as_slice(), k.as_slice())))?;
        self.client.tls = Some(connector);
        Ok(self)
    }

    /// The options the flags ask for (`--etcd-servers`, `--etcd-cafile`, `--etcd-certfile`,
    /// `--etcd-keyfile`, `--etcd-compaction-interval`).
    pub fn from_flags(flags: &Flags) -> Result<EtcdOptions, HostError> {
        let mut opts = EtcdOptions::new(&flags.etcd_servers)?;
        match &flags.etcd_cafile {
            Some(ca) => {
                opts = opts.with_tls(ca, flags.etcd_certfile.as_deref(), flags.etcd_keyfile.as_deref())?;
            }
            None if flags.etcd_certfile.is_some() || flags.etcd_keyfile.is_some() => {
                return Err(HostError::Invalid {
                    what: "--etcd-cafile".into(),
                    reason: "--etcd-certfile and --etcd-keyfile need --etcd-cafile".into(),
                })
            }
            None => {}
        }
        if opts.client.endpoints.iter().any(|e| e.tls) && opts.client.tls.is_none() {
            return Err(HostError::Invalid {
                what: "--etcd-servers".into(),
                reason: "https endpoints need --etcd-cafile".into(),
            });
        }
        let ms = parse_duration_ms(&flags.etcd_compaction_interval).ok_or_else(|| HostError::Invalid {
            what: "--etcd-compaction-interval".into(),
            reason: flags.etcd_compaction_interval.clone(),
        })?;
        opts.compaction_interval = Duration::from_millis(ms);
        Ok(opts)
    }

    /// Starts the storage thread (see [`backend::spawn`]).
    pub fn spawn(
        self,
        report: impl Fn(StoreReport) -> bool + Send + 'static,
    ) -> Result<(std::sync::mpsc::Sender<StoreCmd>, std::thread::JoinHandle<()>), HostError> {
        backend::spawn(self, report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn options_from_flags() {
        let f = Flags::parse_from([
            "gatehouse",
            "--etcd-servers=http://127.0.0.1:1,http://127.0.0.1:2",
            "--etcd-prefix=/kube/",
            "--etcd-compaction-interval=1m",
        ]);
        let o = EtcdOptions::from_flags(&f).unwrap();
        assert_eq!(o.client.endpoints.len(), 2);
        assert_eq!(o.compaction_interval, Duration::from_secs(60));
        let f = Flags::parse_from(["gatehouse", "--etcd-servers=https://127.0.0.1:1"]);
        assert!(EtcdOptions::from_flags(&f).is_err(), "https without a CA");
        let f = Flags::parse_from(["gatehouse", "--etcd-servers=http://127.0.0.1:1"]);
        assert_eq!(
            EtcdOptions::from_flags(&f).unwrap().compaction_interval,
            DEFAULT_COMPACTION_INTERVAL
        );
    }
}
