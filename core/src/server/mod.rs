//! The server: one deterministic state machine for every connection, request and watch.
//!
//! # Run loop
//!
//! The runtime owns sockets, TLS, timers and storage, and drives the server like this (what
//! the server is asked to serve changes through [`Server::put_resource`],
//! [`Server::remove_resource`] and [`Server::add_resource_source`], and the admission chain
//! through [`Server::add_admission_plugin`]):
//!
//! 1. apply exactly one input, with the current [`Now`]:
//!    - [`Server::start`], once, first;
//!    - [`Server::handle_connect`]: a connection finished its TLS handshake;
//!    - [`Server::handle_bytes`]: bytes arrived on a connection;
//!    - [`Server::handle_closed`]: a connection is gone (also when a write to it failed);
//!    - [`Server::handle_effect`]: what came of an [`Output::Effect`] (a storage answer, a
//!      dial's outcome, a relay's bytes or end, an HTTPS answer, a timer that is due);
//!    - [`Server::handle_watch_events`], [`Server::handle_watch_progress`],
//!      [`Server::handle_watch_failed`]: news of the storage watches of
//!      [`Output::StartWatch`];
//!    - [`Server::handle_timeout`]: the time [`Server::poll_timeout`] asked for has come;
//! 2. drain [`Server::poll_output`] until it returns `None`, executing each [`Output`] in
//!    order (writes to one connection must be written in the order they were polled). What
//!    goes wrong while draining (a write that fails, an effect that cannot start) becomes
//!    an input of its own, applied after the drain, never in the middle of it;
//! 3. arm a timer for [`Server::poll_timeout`] and wait for the next input.
//!
//! Every effect ends with one final completion (see [`effect`]). Watch events
//! of a write must be handed in no later than that write's answer, so that the watch cache
//! is never behind an acknowledged write.

mod config;
mod conn;
mod default_service_account;
mod due;
pub mod effect;
mod encode;
mod filters;
mod handler;
mod hub;
mod kubelet;
mod loopback;
mod namespaces;
mod nonresource;
mod openapi_docs;
mod proxy;
mod quota_controller;
mod reviews;
mod role_aggregation;
mod root_ca;
mod token_controller;
mod token_request;
mod volume_protection;
mod watchers;

use std::collections::{BTreeMap, VecDeque};

pub use config::Config;
pub use conn::ConnId;
use effect::Continuation;
pub use effect::{
    ClientTls, Completion, Effect, EffectId, Flow, HttpsCall, HttpsResponse, IoFailure, Lookups, NetError,
    RelayEvent, RelayTls, TlsFailure,
};

use crate::admission;
use crate::api::ApiError;
use crate::authn::{self, PeerCert};
use crate::authz;
use crate::http::Parsed;
use crate::registry::{self, Machine, Step};
use crate::rng::Rng;
use crate::storage::{
    prefix_end, KeyValue, StorageError, StorageEvent, StorageRequest, StorageResponse, WatchId,
};
use crate::time::Now;

use conn::Conn;
use default_service_account::DefaultServiceAccounts;
use encode::Negotiated;
use namespaces::NamespaceController;
use quota_controller::QuotaController;
use role_aggregation::RoleAggregator;
use root_ca::RootCaPublisher;
use token_controller::TokenController;
use watchers::Watchers;

/// How long to wait before listing storage again after a failed cache fill.
const FILL_RETRY_MS: u64 = 1_000;

/// How often storage health is probed.
const HEALTH_PROBE_MS: u64 = 5_000;

/// Identifies one request in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId(pub u64);

/// What the server asks the runtime to do.
#[derive(Debug)]
pub enum Output {
    /// Write bytes to a connection.
    Write {
        /// The connection.
        conn: ConnId,
        /// What to write.
        bytes: Vec<u8>,
    },
    /// Close a connection once everything written before is flushed.
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Run an effect and hand what comes of it back through [`Server::handle_effect`]
    /// with this id (see [`effect`] for the contract).
    Effect {
        /// The id its completions carry.
        id: EffectId,
        /// What to do.
        effect: Effect,
    },
    /// Nobody waits for effect `id` any more (its client has gone): end it soon. Its final
    /// completion is still handed back.
    Cancel {
        /// The effect.
        id: EffectId,
    },
    /// Start (or restart) storage watch `watch` over the keys under `prefix` from
    /// `from_revision` (exclusive), delivering its events through
    /// [`Server::handle_watch_events`]. There is one watch per resource type; a new
    /// `StartWatch` with the same id replaces the old one.
    StartWatch {
        /// The watch (one per resource type).
        watch: WatchId,
        /// The keys it covers.
        prefix: Vec<u8>,
        /// Events after this revision are delivered.
        from_revision: i64,
    },
    /// A line for the server log.
    Log(String),
}

/// The peer of a new connection, as the runtime's TLS layer saw it.
#[derive(Clone, Debug, Default)]
pub struct Peer {
    /// Remote address, for logs.
    pub remote: String,
    /// The client certificate chain (DER), leaf first; empty when none was presented.
    pub cert_chain: Vec<Vec<u8>>,
}

/// Who started a request in flight.
#[derive(Debug)]
enum Origin {
    Client {
        conn: ConnId,
        negotiated: Negotiated,
        keep_alive: bool,
    },
    /// The server itself: a start-up object.
    Bootstrap(String),
    /// The server itself: finalizing a terminating namespace.
    NamespaceCleanup(String),
    /// A write of a namespace's `kube-root-ca.crt`.
    RootCa(String),
    /// A create of a namespace's `default` ServiceAccount.
    DefaultServiceAccount(String),
    /// A write filling a service-account token Secret (namespace, name).
    TokenSecret((String, String)),
    /// The server itself: publishing what changed while serving (`configmaps/kube-system/…`).
    Publish(String),
    /// An update of an aggregating ClusterRole's rules (its name).
    RoleAggregation(String),
    /// An update lifting a claim's or a volume's protection finalizer (namespace, name).
    VolumeProtection((String, String)),
    /// An update of a ResourceQuota's status (namespace, name).
    QuotaStatus((String, String)),
}

/// The User-Agent of the server's own writes (its field manager is `kube-apiserver`).
const APISERVER_AGENT: &str = "kube-apiserver/v1.32.0 (linux/amd64) kubernetes/gatehouse";

/// What a relay is for, which decides how its failure is answered.
#[derive(Debug)]
enum RelayFor {
    /// A container's log; `url` is where the request goes.
    Log { url: String },
    /// A proxy subresource's backend.
    Proxy,
}

/// Where a request in flight stands.
#[derive(Debug)]
enum Stage {
    /// In a filter (authentication, authorization), waiting on an effect.
    Filtering(Box<filters::Filtering>),
    /// In the registry: reading, deciding and writing storage.
    Registry(Box<Machine>),
    /// In admission, waiting on an effect a plugin asked for; the registry machine goes on
    /// with the chain's outcome.
    Admitting {
        machine: Box<Machine>,
        then: Pending<Result<admission::Request, ApiError>>,
    },
    /// A handler that decides from lookups rather than a registry machine (TokenRequest),
    /// waiting on an effect.
    Deciding(Pending<Result<registry::Reply, ApiError>>),
    /// Waiting for a kubelet dial (exec, attach, port-forward); `url` is where the request
    /// would go.
    Dial { url: String },
    /// Relaying a backend's answer.
    Relay {
        purpose: RelayFor,
        /// Whether response bytes have reached the client.
        started: bool,
    },
}

#[derive(Debug)]
struct InFlight {
    origin: Origin,
    stage: Stage,
    /// When the request times out; `None` for long-running requests (relays).
    deadline_ms: Option<u64>,
    /// The request's own generator (names, uids, allocations), seeded from its id, so its
    /// steps need nothing mutable of the hub.
    rng: Rng,
}

/// A stage's continuation, waiting for its effect's completion.
pub(crate) struct Pending<T>(Continuation<T>);

impl<T> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

/// Who waits for an effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiter {
    /// A request in flight.
    Request(ReqId),
    /// The list filling every cache (`None`) or one type's.
    Fill(Option<WatchId>),
    /// The storage health probe.
    HealthProbe,
    /// A request that has ended (its client left, or it timed out); the final completion
    /// is dropped when it comes.
    Abandoned,
}

/// What a server has in flight (see [`Server::outstanding`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outstanding {
    /// Requests started and not yet answered (watches once started are not counted).
    pub requests: usize,
    /// Effects asked for whose final completion has not come.
    pub effects: usize,
}

/// Progress of start-up.
#[derive(Debug, Default)]
struct Startup {
    pending_bootstrap: usize,
    /// Start-up objects not yet created, in stages: a stage starts once the previous one is
    /// stored (namespaces before the objects that live in them).
    stages: VecDeque<Vec<nonresource::StartupObject>>,
    bootstrapped: bool,
    /// Fills to ask for again, and when, after they failed.
    retry_fill: Vec<(u64, Option<WatchId>)>,
}

/// The Gatehouse API server state machine.
pub struct Server {
    cfg: Config,
    /// What every request shares (see [`hub`]).
    pub(crate) hub: hub::Hub,
    /// The hub's own generator (watch timeouts); each request has its own.
    rng: Rng,
    now: Now,
    conns: BTreeMap<ConnId, Conn>,
    reqs: BTreeMap<ReqId, InFlight>,
    /// Effects in flight, and who waits for each.
    effects: BTreeMap<EffectId, Waiter>,
    next_effect: u64,
    watchers: Watchers,
    out: VecDeque<Output>,
    next_req: u64,
    startup: Startup,
    storage_healthy: bool,
    namespaces: NamespaceController,
    root_ca: RootCaPublisher,
    volumes: volume_protection::VolumeProtection,
    default_accounts: DefaultServiceAccounts,
    aggregation: RoleAggregator,
    /// ResourceQuota statuses to recount.
    quotas: QuotaController,
    /// Service-account token Secrets to fill.
    tokens: TokenController,
    /// Bumped whenever the client CA changes, so connections' certificates are judged again.
    ca_generation: u64,
    /// The storage health probe in flight, and when the next one is due: /readyz and the
    /// `etcd` check must notice an outage (and its end) even when no client is writing.
    health_op: Option<EffectId>,
    next_health_ms: u64,
}

impl Server {
    /// A server with `cfg`. Call [`Server::start`] before any other input.
    pub fn new(cfg: Config) -> Self {
        let root_ca = RootCaPublisher::new(cfg.root_ca_pem.clone());
        Server {
            hub: hub::Hub::new(&cfg),
            rng: Rng::new(cfg.seed),
            cfg,
            now: Now::default(),
            conns: BTreeMap::new(),
            reqs: BTreeMap::new(),
            effects: BTreeMap::new(),
            next_effect: 1,
            watchers: Watchers::default(),
            out: VecDeque::new(),
            next_req: 1,
            startup: Startup::default(),
            storage_healthy: true,
            namespaces: NamespaceController::default(),
            root_ca,
            volumes: Default::default(),
            default_accounts: DefaultServiceAccounts::default(),
            aggregation: RoleAggregator::default(),
            quotas: QuotaController::default(),
            tokens: TokenController::default(),
            ca_generation: 0,
            health_op: None,
            next_health_ms: 0,
        }
    }

    /// What a stage may look up while it decides, as of the input being handled.
    pub(crate) fn lookups(&self) -> effect::Lookups<'_> {
        self.hub.lookups(self.now)
    }

    /// Begins start-up: lists storage to fill the watch caches, then creates the system
    /// namespaces and the `kubernetes` Service.
    pub fn start(&mut self, now: Now) {
        self.now = now;
        self.fill(None);
    }

    /// Lists storage to fill one type's cache, or (`None`) every cache from one list.
    fn fill(&mut self, watch: Option<WatchId>) {
        let prefix = match watch.and_then(|w| self.hub.caches.prefix(w)) {
            Some(p) => p.to_vec(),
            None => format!("{}/", self.cfg.storage_prefix).into_bytes(),
        };
        let end = prefix_end(&prefix);
        let range = StorageRequest::Range {
            key: prefix,
            range_end: end,
            revision: 0,
            limit: 0,
        };
        self.effect(Waiter::Fill(watch), Effect::Storage(range));
    }

    /// Whether start-up (cache filled, system objects present) has finished.
    pub fn is_ready(&self) -> bool {
        self.startup.bootstrapped
    }

    /// The resources served now.
    pub fn resources(&self) -> &registry::Resources {
        &self.hub.resources
    }

    /// Serves `def` from now on, or changes how the resource it names is served (a custom
    /// resource's definition was created or changed). A new storage path gets a watch cache,
    /// listed and watched from storage. Watches opened on an older definition end, as kube
    /// ends them when a custom resource's storage is replaced; other requests already routed
    /// keep the definition they were routed to.
    pub fn put_resource(
        &mut self,
        now: Now,
        def: registry::ResourceDef,
    ) -> Result<registry::table::Changed, registry::table::RegistryError> {
        self.now = now;
        let before = self
            .hub
            .resources
            .find(&def.group, &def.version, &def.resource)
            .cloned();
        let changed = self.hub.resources.put(def)?;
        if changed == registry::table::Changed::Unchanged {
            return Ok(changed);
        }
        if let Some(before) = before {
            self.end_watches_of(&before);
            self.retire_unused_storage(&before);
        }
        self.cache_served();
        if let Some(docs) = self.hub.openapi.as_mut() {
            docs.invalidate(&self.hub.resources);
        }
        Ok(changed)
    }

    /// Verifies client certificates of connections made from now on against `ca_der` (the
    /// `--client-ca-file` bundle, reloaded when the file changes).
    pub fn set_client_ca(&mut self, ca_der: Vec<Vec<u8>>) {
        self.out.push_back(Output::Log(format!(
            "client CA reloaded: {} certificate(s)",
            ca_der.len()
        )));
        self.cfg.client_ca_der = Some(ca_der);
        self.ca_generation += 1;
        // Extension API servers read the client CA from kube-system: publish the new one
        // (start-up publishes it when it has not happened yet).
        if self.startup.bootstrapped {
            let body = nonresource::extension_apiserver_authentication(&self.cfg);
            if let Some((what, request)) = self.own_write("update", "configmaps", &body) {
                let id = self.req_id();
                self.serve(id, Origin::Publish(what), request);
            }
        }
    }

    /// Reads bearer tokens with `tokens` (and for their API audiences) from now on.
    pub fn set_tokens(&mut self, tokens: authn::token::Tokens) {
        self.hub.tokens = std::sync::Arc::new(tokens);
    }

    /// Replaces the authorizer chain (`--authorization-config`, read again).
    pub fn set_authorizers(&mut self, chain: Vec<std::sync::Arc<dyn authz::Authorizer>>) {
        self.hub.authorizers = chain;
    }

    /// Issues and checks service-account tokens under `config` from now on (the token
    /// authenticator itself goes in the [`Server::set_tokens`] union, in kube's order).
    pub fn set_service_accounts(&mut self, config: std::sync::Arc<authn::serviceaccount::Config>) {
        self.hub.service_accounts = config;
    }

    /// Serves, from now on and on every replica that has it too, the resources the objects
    /// `source` reads define, following them as they are written (through any replica) and
    /// deleted.
    pub fn add_resource_source(&mut self, now: Now, source: std::sync::Arc<dyn registry::Source>) {
        self.now = now;
        self.hub.sources.push((source, Vec::new()));
        self.sync_sources(None);
    }

    /// Brings the resources each source serves in line with its defining objects, for the
    /// sources stored under the cache `changed` (all when `None`) whose cache is filled.
    fn sync_sources(&mut self, changed: Option<WatchId>) {
        for i in 0..self.hub.sources.len() {
            let source = &self.hub.sources[i].0;
            let prefix = format!("{}/{}/", self.cfg.storage_prefix, source.storage_path()).into_bytes();
            let id = self.hub.caches.id_for_key(&prefix);
            if changed.is_some() && id != changed {
                continue;
            }
            let cache = self.hub.caches.for_key(&prefix);
            if !cache.is_ready() {
                continue;
            }
            let wanted = source.resources(&mut cache.list(&prefix).map(|(_, v)| &**v));
            let gone: Vec<_> = std::mem::take(&mut self.hub.sources[i].1)
                .into_iter()
                .filter(|(g, v, r)| {
                    !wanted
                        .iter()
                        .any(|d| d.group == *g && d.version == *v && d.resource == *r)
                })
                .collect();
            let now = self.now;
            let mut served = Vec::new();
            for def in wanted {
                let name = (
                    def.group.to_string(),
                    def.version.to_string(),
                    def.resource.to_string(),
                );
                match self.put_resource(now, def) {
                    Ok(_) => served.push(name),
                    Err(e) => self.out.push_back(Output::Log(format!(
                        "not serving {}/{}/{}: {e}",
                        name.0, name.1, name.2
                    ))),
                }
            }
            for (g, v, r) in gone {
                let _ = self.remove_resource(now, &g, &v, &r);
            }
            self.hub.sources[i].1 = served;
        }
    }

    /// Stops serving `group`/`version`/`resource` (a custom resource's definition went):
    /// its requests answer 404 from now on, its watches end, its cache is dropped unless
    /// another served resource keeps its objects in the same place. Whether it was served.
    pub fn remove_resource(
        &mut self,
        now: Now,
        group: &str,
        version: &str,
        resource: &str,
    ) -> Result<bool, registry::table::RegistryError> {
        self.now = now;
        let Some(gone) = self.hub.resources.remove(group, version, resource)? else {
            return Ok(false);
        };
        self.end_watches_of(&gone);
        self.retire_unused_storage(&gone);
        if let Some(docs) = self.hub.openapi.as_mut() {
            docs.invalidate(&self.hub.resources);
        }
        Ok(true)
    }

    fn end_watches_of(&mut self, def: &registry::ResourceDef) {
        let ended = self.watchers.end_resource(&mut self.out, def);
        self.watches_ended(ended);
    }

    /// Watches whose stream was ended cleanly: their requests are complete and their
    /// connections go on (or close) as their keep-alive says.
    fn watches_ended(&mut self, ended: Vec<(ReqId, ConnId, bool)>) {
        for (id, conn, keep_alive) in ended {
            filters::response_complete(id, 200);
            self.request_done(conn, keep_alive);
        }
    }

    fn retire_unused_storage(&mut self, def: &registry::ResourceDef) {
        if def.is_stored() && !self.hub.resources.stores_under(&def.storage) {
            self.hub.caches.retire(&def.storage);
        }
    }

    /// Gives every stored resource a watch cache: a new one is listed, then watched.
    fn cache_served(&mut self) {
        let types: Vec<_> = self
            .hub
            .resources
            .iter()
            .filter(|d| d.is_stored())
            .map(|d| d.cached_type())
            .collect();
        for t in types {
            let (id, fresh) = self.hub.caches.add(&t);
            if fresh {
                self.fill(Some(id));
            }
        }
    }

    /// Adds `plugin` at the end of the admission chain (after the built-in plugins), as an
    /// admission webhook configuration adds its hooks.
    pub fn add_admission_plugin(&mut self, plugin: std::sync::Arc<dyn admission::Plugin>) {
        self.hub.admission.push(plugin);
    }

    /// Replaces the admission chain (the flags' selection of plugins, built with their
    /// configuration).
    pub fn set_admission(&mut self, chain: admission::Chain) {
        self.hub.admission = chain;
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// A connection was accepted and its TLS handshake finished.
    pub fn handle_connect(&mut self, now: Now, conn: ConnId, peer: Peer) {
        self.now = now;
        let (cert, proxy) = self.judge_chain(&peer.cert_chain);
        // A front proxy's certificate is not a client certificate; it is not refused as one.
        if let (PeerCert::Invalid(why), false) = (&cert, proxy == authn::request_header::ProxyCert::Trusted) {
            self.out.push_back(Output::Log(format!(
                "client certificate from {} refused: {why}",
                peer.remote
            )));
        }
        let mut c = Conn::new(cert, proxy, self.cfg.limits, now.mono_ms);
        c.valid_until = peer
            .cert_chain
            .first()
            .and_then(|leaf| authn::x509::not_after(leaf));
        c.chain = peer.cert_chain;
        c.judged = self.ca_generation;
        self.conns.insert(conn, c);
    }

    /// What a certificate chain is: a client certificate's user (or refused), and whether
    /// it is the front proxy's.
    fn judge_chain(&self, chain: &[Vec<u8>]) -> (PeerCert, authn::request_header::ProxyCert) {
        let cert = self.verify_peer(chain);
        let proxy = match &self.cfg.request_header {
            Some(rh) => rh.judge(chain, self.now.wall_secs()),
            None => authn::request_header::ProxyCert::None,
        };
        (cert, proxy)
    }

    /// Judges connection `conn`'s certificate again if the client CA changed or the
    /// certificate expired since it was judged, as kube judges it on every request.
    pub(super) fn rejudge(&mut self, conn: ConnId) {
        let (generation, now) = (self.ca_generation, self.now.wall_secs());
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let stale = c.judged != generation || c.valid_until.is_some_and(|t| now > t);
        if c.chain.is_empty() || !stale {
            return;
        }
        let (cert, proxy) = self.judge_chain(&c.chain);
        if let Some(c) = self.conns.get_mut(&conn) {
            c.cert = cert;
            c.proxy = proxy;
            c.judged = generation;
        }
    }

    /// Bytes arrived on a connection.
    pub fn handle_bytes(&mut self, now: Now, conn: ConnId, bytes: &[u8]) {
        self.now = now;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.parser.push(bytes);
        c.last_activity_ms = now.mono_ms;
        if c.request_started_ms.is_none() && c.parser.is_mid_request() {
            c.request_started_ms = Some(now.mono_ms);
        }
        if c.parser.buffered() > self.cfg.limits.max_body + self.cfg.limits.max_head {
            // Pipelined input far beyond one request: the client is not waiting for answers.
            self.close(conn);
            return;
        }
        self.pump(conn);
    }

    /// The connection is gone (closed by the peer, reset, or a write failed).
    pub fn handle_closed(&mut self, now: Now, conn: ConnId) {
        self.now = now;
        self.conns.remove(&conn);
        self.watchers.remove_conn(conn);
        let gone: Vec<ReqId> = self
            .reqs
            .iter()
            .filter(|(_, r)| matches!(r.origin, Origin::Client { conn: c, .. } if c == conn))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.abandon(id);
        }
    }

    /// What came of effect `id` (see [`effect`] for the contract).
    pub fn handle_effect(&mut self, now: Now, id: EffectId, completion: Completion) {
        self.now = now;
        let waiter = if completion.is_final() {
            self.effects.remove(&id)
        } else {
            self.effects.get(&id).copied()
        };
        let Some(waiter) = waiter else {
            debug_assert!(
                false,
                "completion for unknown or finished effect {id:?}: {completion:?}"
            );
            return;
        };
        #[cfg(feature = "sim-bugs")]
        let waiter = self.planted_misdelivery(waiter, &completion);
        if let Completion::Storage(result) = &completion {
            self.storage_healthy = !matches!(
                result,
                Err(StorageError::Unavailable(_)) | Err(StorageError::Timeout)
            );
        }
        match (waiter, completion) {
            (Waiter::Abandoned, _) => {}
            (Waiter::HealthProbe, Completion::Storage(result)) => {
                self.health_op = None;
                self.storage_healthy = result.is_ok();
            }
            (Waiter::Fill(watch), Completion::Storage(result)) => self.finish_cache_fill(watch, result),
            (Waiter::Request(req), completion) => self.resume(req, id, completion),
            (waiter, completion) => {
                debug_assert!(false, "{completion:?} does not answer {waiter:?}");
            }
        }
    }

    /// Hands request `req` what came of its effect `id`.
    fn resume(&mut self, req: ReqId, id: EffectId, completion: Completion) {
        let Some(inflight) = self.reqs.remove(&req) else {
            debug_assert!(
                false,
                "effect {id:?} completed for request {req:?}, which is not in flight"
            );
            return;
        };
        let InFlight {
            origin,
            stage,
            deadline_ms,
            mut rng,
        } = inflight;
        match (stage, completion) {
            (Stage::Registry(mut machine), Completion::Storage(result)) => {
                let step = machine.resume(&mut self.hub.env(self.now, &mut rng), result);
                self.advance(
                    req,
                    InFlight {
                        origin,
                        stage: Stage::Registry(machine),
                        deadline_ms,
                        rng,
                    },
                    step,
                );
            }
            (Stage::Deciding(then), completion) => {
                let flow = (then.0)(completion, &self.lookups());
                self.decided(req, origin, deadline_ms, flow);
            }
            (Stage::Filtering(parked), completion) => {
                let deadline = deadline_ms.unwrap_or(self.now.mono_ms);
                self.resume_filter((req, origin, deadline), *parked, completion)
            }
            (Stage::Admitting { machine, then }, completion) => {
                let flow = (then.0)(completion, &self.lookups());
                self.follow_admission(
                    req,
                    InFlight {
                        origin,
                        stage: Stage::Registry(machine),
                        deadline_ms,
                        rng,
                    },
                    flow,
                );
            }
            (Stage::Dial { url }, Completion::Dial(result)) => {
                let e = kubelet::dial_outcome(&url, false, result);
                self.finish(req, origin, Err(e));
            }
            (Stage::Relay { purpose, .. }, Completion::Relay(RelayEvent::Data(bytes))) => {
                if let Origin::Client { conn, .. } = origin {
                    self.write(conn, bytes);
                }
                let started = Stage::Relay {
                    purpose,
                    started: true,
                };
                self.reqs.insert(
                    req,
                    InFlight {
                        origin,
                        stage: started,
                        deadline_ms,
                        rng,
                    },
                );
            }
            (Stage::Relay { purpose, started }, Completion::Relay(RelayEvent::End(result))) => {
                let Origin::Client { conn, keep_alive, .. } = origin else {
                    return;
                };
                if started {
                    // The backend was asked to close after its answer, which may be framed
                    // by that close: the client's connection ends with it.
                    return self.request_done(conn, false);
                }
                let e = match (purpose, result) {
                    (RelayFor::Log { url }, Err(reason)) => kubelet::dial_outcome(&url, true, Err(reason)),
                    (RelayFor::Log { url }, Ok(())) => ApiError::unknown(format!("Get \"{url}\": EOF")),
                    (RelayFor::Proxy, Err(reason)) => proxy::relay_failed(Some(&reason.to_string())),
                    (RelayFor::Proxy, Ok(())) => proxy::relay_failed(None),
                };
                // Nothing reached the client: it gets an answer and keeps its connection.
                self.reply_error(conn, keep_alive, e);
            }
            (stage, completion) => {
                debug_assert!(false, "{completion:?} does not answer a request at {stage:?}");
                self.reqs.insert(
                    req,
                    InFlight {
                        origin,
                        stage,
                        deadline_ms,
                        rng,
                    },
                );
            }
        }
    }

    /// What is in flight: requests not yet answered (long-running watches aside) and effects
    /// whose final completion has not come. Both are zero when the server is idle; anything
    /// else once every client has its answer and every effect has ended is a leak.
    pub fn outstanding(&self) -> Outstanding {
        Outstanding {
            requests: self.reqs.len(),
            effects: self.effects.len(),
        }
    }

    /// The planted defect [`crate::sim_bugs::EFFECT_TO_WRONG_REQUEST`]: a storage answer
    /// goes to another request waiting on storage, which in turn gets this one's.
    #[cfg(feature = "sim-bugs")]
    fn planted_misdelivery(&mut self, waiter: Waiter, completion: &Completion) -> Waiter {
        let Waiter::Request(mine) = waiter else {
            return waiter;
        };
        if !crate::sim_bugs::active(crate::sim_bugs::EFFECT_TO_WRONG_REQUEST)
            || !matches!(completion, Completion::Storage(_))
        {
            return waiter;
        }
        let reqs = &self.reqs;
        let other = self.effects.iter_mut().find(|(_, w)| {
            matches!(w, Waiter::Request(r) if *r != mine
                && matches!(reqs.get(r).map(|f| &f.stage), Some(Stage::Registry(_))))
        });
        match other {
            Some((_, w)) => std::mem::replace(w, waiter),
            None => waiter,
        }
    }

    /// Request `id` has ended without its answer (its client left, or it timed out): what it
    /// waited on is dropped when it comes, and relays are asked to stop.
    fn abandon(&mut self, id: ReqId) -> Option<InFlight> {
        let inflight = self.reqs.remove(&id)?;
        for (effect, waiter) in self.effects.iter_mut() {
            if *waiter == Waiter::Request(id) {
                *waiter = Waiter::Abandoned;
                if matches!(inflight.stage, Stage::Relay { .. }) {
                    self.out.push_back(Output::Cancel { id: *effect });
                }
            }
        }
        Some(inflight)
    }

    /// Events of one type's storage watch, in revision order.
    pub fn handle_watch_events(&mut self, now: Now, watch: WatchId, events: Vec<StorageEvent>) {
        self.now = now;
        let Some(cache) = self.hub.caches.get_mut(watch) else {
            return;
        };
        if !cache.is_ready() {
            // Being filled again; the new watch starts from the new list.
            return;
        }
        let decoded = cache.apply(&events);
        if decoded.is_empty() {
            return;
        }
        let prefix = self.cfg.storage_prefix.clone();
        if let Some(cache_prefix) = self.hub.caches.prefix(watch) {
            self.watchers.fan_out(&decoded, &mut self.out, cache_prefix, now);
        }
        self.sync_sources(Some(watch));
        self.hub.rbac.observe(&prefix, &decoded);
        self.hub.node_graph.observe(&prefix, &decoded);
        self.namespaces.observe(&prefix, &decoded, now.mono_ms);
        self.root_ca.observe(&prefix, &decoded, now.mono_ms);
        self.volumes.observe(&prefix, &decoded, now.mono_ms);
        self.default_accounts.observe(&prefix, &decoded, now.mono_ms);
        self.aggregation
            .observe(&prefix, &decoded, &self.hub.caches, now.mono_ms);
        self.tokens
            .observe(&prefix, &decoded, &self.hub.caches, now.mono_ms);
        self.quotas.observe(
            &prefix,
            &self.hub.resources,
            &decoded,
            &self.hub.caches,
            now.wall_secs(),
            now.mono_ms,
        );
        self.drive_namespaces();
    }

    /// Storage says every watch has delivered every event up to `revision`: each type's cache
    /// has reached it, changes or not.
    pub fn handle_watch_progress(&mut self, now: Now, revision: i64) {
        self.now = now;
        let ids: Vec<WatchId> = self.hub.caches.watches().map(|(id, _)| id).collect();
        for id in ids {
            let Some(cache) = self.hub.caches.get_mut(id) else {
                continue;
            };
            if !cache.is_ready() || cache.revision() >= revision {
                continue;
            }
            cache.progress(revision);
        }
    }

    /// One type's storage watch failed; with `compacted`, that type re-lists.
    pub fn handle_watch_failed(&mut self, now: Now, watch: WatchId, compacted: bool) {
        self.now = now;
        let (Some(prefix), Some(cache)) = (
            self.hub.caches.prefix(watch).map(<[u8]>::to_vec),
            self.hub.caches.get(watch),
        ) else {
            return;
        };
        let revision = cache.revision();
        if compacted {
            // The type's window no longer connects to storage: its watchers must re-list,
            // and nothing may start from its stale state until it is filled again.
            for id in self.watchers.expire(&mut self.out, &prefix, revision) {
                filters::response_complete(id, 410);
            }
            if let Some(cache) = self.hub.caches.get_mut(watch) {
                cache.invalidate();
            }
            self.fill(Some(watch));
        } else {
            self.out.push_back(Output::StartWatch {
                watch,
                prefix,
                from_revision: revision,
            });
        }
    }

    /// Time passed; expire what is due.
    pub fn handle_timeout(&mut self, now: Now) {
        self.now = now;
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.startup.retry_fill)
            .into_iter()
            .partition(|(t, _)| *t <= now.mono_ms);
        self.startup.retry_fill = later;
        for (_, watch) in due {
            self.fill(watch);
        }
        let expired: Vec<ReqId> = self
            .reqs
            .iter()
            .filter(|(_, r)| r.deadline_ms.is_some_and(|d| d <= now.mono_ms))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(r) = self.abandon(id) {
                self.finish(id, r.origin, Err(ApiError::timeout()));
            }
        }
        let ended = self.watchers.tick(&mut self.out, now, &self.hub.caches);
        self.watches_ended(ended);
        // Idle and stalled connections.
        let mut to_close = Vec::new();
        for (id, c) in &self.conns {
            let due = c.deadline(self.cfg.header_timeout_ms, self.cfg.idle_timeout_ms);
            if due.is_some_and(|d| d <= now.mono_ms) && !self.watchers.has_conn(*id) {
                to_close.push(*id);
            }
        }
        for id in to_close {
            self.close(id);
        }
        self.drive_namespaces();
        self.probe_storage();
    }

    /// Asks storage for one key every few seconds, so health follows the store's state.
    fn probe_storage(&mut self) {
        if !self.startup.bootstrapped || self.health_op.is_some() || self.now.mono_ms < self.next_health_ms {
            return;
        }
        self.next_health_ms = self.now.mono_ms + HEALTH_PROBE_MS;
        let key = format!("{}/", self.cfg.storage_prefix).into_bytes();
        let range_end = prefix_end(&key);
        let range = StorageRequest::Range {
            key,
            range_end,
            revision: 0,
            limit: 1,
        };
        self.health_op = Some(self.effect(Waiter::HealthProbe, Effect::Storage(range)));
    }

    /// Starts the namespace cleanup requests that are due.
    fn drive_namespaces(&mut self) {
        if !self.startup.bootstrapped {
            return;
        }
        let calls = self.namespaces.due_calls(
            &self.cfg.storage_prefix,
            &self.hub.resources,
            &self.hub.caches,
            self.now.mono_ms,
        );
        for (ns, call) in calls {
            let id = self.req_id();
            self.serve(id, Origin::NamespaceCleanup(ns), loopback::request(&call));
        }
        let calls = self.root_ca.due_calls(
            &self.cfg.storage_prefix,
            &self.hub.resources,
            &self.hub.caches,
            self.now.mono_ms,
        );
        self.serve_controller_calls(calls, Origin::RootCa);
        let calls = self.volumes.due_calls(
            &self.cfg.storage_prefix,
            &self.hub.resources,
            &self.hub.caches,
            self.now.mono_ms,
        );
        self.serve_controller_calls(calls, Origin::VolumeProtection);
        let calls = self.default_accounts.due_calls(
            &self.cfg.storage_prefix,
            &self.hub.resources,
            &self.hub.caches,
            self.now.mono_ms,
        );
        self.serve_controller_calls(calls, Origin::DefaultServiceAccount);
        let calls = self.aggregation.due_calls(
            &self.cfg.storage_prefix,
            &self.hub.resources,
            &self.hub.caches,
            self.now.mono_ms,
        );
        self.serve_controller_calls(calls, Origin::RoleAggregation);
        let calls = self.quotas.due_calls(
            &self.cfg.storage_prefix,
            &self.hub.resources,
            &self.hub.caches,
            self.now.wall_secs(),
            self.now.mono_ms,
        );
        self.serve_controller_calls(calls, Origin::QuotaStatus);
        let calls = self.tokens.due_calls(
            &self.cfg.storage_prefix,
            &self.hub.resources,
            &self.hub.caches,
            &self.hub.service_accounts,
            self.cfg.root_ca_pem.as_deref(),
            self.now.mono_ms,
        );
        self.serve_controller_calls(calls, Origin::TokenSecret);
    }

    /// Serves the writes a controller asked for, each as a request of its own.
    fn serve_controller_calls<K>(&mut self, calls: Vec<(K, crate::http::Request)>, origin: fn(K) -> Origin) {
        for (key, request) in calls {
            let id = self.req_id();
            self.serve(id, origin(key), request);
        }
    }

    /// The next output to execute.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Server::handle_timeout`] must next be called (monotonic milliseconds).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        let reqs = self.reqs.values().filter_map(|r| r.deadline_ms).min();
        let watches = self.watchers.next_deadline();
        // The controllers start once start-up is done: what they noticed before waits.
        let controllers = if self.startup.bootstrapped {
            [
                self.namespaces.next_deadline(),
                self.root_ca.next_deadline(),
                self.volumes.next_deadline(),
                self.default_accounts.next_deadline(),
                self.aggregation.next_deadline(),
                self.quotas.next_deadline(),
                self.tokens.next_deadline(),
            ]
            .into_iter()
            .flatten()
            .min()
        } else {
            None
        };
        let conns = self
            .conns
            .values()
            .filter_map(|c| c.deadline(self.cfg.header_timeout_ms, self.cfg.idle_timeout_ms))
            .min();
        let probe = (self.startup.bootstrapped && self.health_op.is_none()).then_some(self.next_health_ms);
        let refill = self.startup.retry_fill.iter().map(|(t, _)| *t).min();
        [reqs, watches, conns, controllers, probe, refill]
            .into_iter()
            .flatten()
            .min()
    }

    // ---- internals ----

    /// Asks for `effect` on behalf of `waiter`.
    fn effect(&mut self, waiter: Waiter, effect: Effect) -> EffectId {
        let id = EffectId(self.next_effect);
        self.next_effect += 1;
        self.effects.insert(id, waiter);
        self.out.push_back(Output::Effect { id, effect });
        id
    }

    fn req_id(&mut self) -> ReqId {
        let id = ReqId(self.next_req);
        self.next_req += 1;
        id
    }

    fn verify_peer(&self, chain: &[Vec<u8>]) -> PeerCert {
        if chain.is_empty() {
            return PeerCert::None;
        }
        let Some(cas) = &self.cfg.client_ca_der else {
            // Without --client-ca-file, client certificates are not an authentication method.
            return PeerCert::None;
        };
        match crate::authn::x509::verify_client_chain(chain, cas, self.now.wall_secs()) {
            Ok(Some(id)) => {
                let mut user = authn::user_from_cert(&id.user, &id.groups);
                if let Some(leaf) = chain.first() {
                    let id = crate::authn::x509::credential_id(leaf);
                    user.extra.insert(authn::CREDENTIAL_ID.into(), vec![id]);
                }
                PeerCert::Valid(user)
            }
            Ok(None) => PeerCert::None,
            Err(e) => PeerCert::Invalid(e.to_string()),
        }
    }

    fn finish_cache_fill(&mut self, watch: Option<WatchId>, result: Result<StorageResponse, StorageError>) {
        match result {
            Ok(StorageResponse::Range { revision, kvs, .. }) => {
                let ids: Vec<WatchId> = match watch {
                    Some(w) => vec![w],
                    None => self.hub.caches.watches().map(|(id, _)| id).collect(),
                };
                for id in ids {
                    let Some(prefix) = self.hub.caches.prefix(id).map(<[u8]>::to_vec) else {
                        continue;
                    };
                    let own: Vec<KeyValue> = kvs
                        .iter()
                        .filter(|kv| kv.key.starts_with(&prefix))
                        .cloned()
                        .collect();
                    if let Some(cache) = self.hub.caches.get_mut(id) {
                        cache.reset(revision, &own);
                    }
                    self.out.push_back(Output::StartWatch {
                        watch: id,
                        prefix,
                        from_revision: revision,
                    });
                }
                self.hub.rbac.resync(&self.cfg.storage_prefix, &self.hub.caches);
                self.hub
                    .node_graph
                    .resync(&self.cfg.storage_prefix, &self.hub.caches);
                self.namespaces
                    .resync(&self.cfg.storage_prefix, &self.hub.caches, self.now.mono_ms);
                self.root_ca
                    .resync(&self.cfg.storage_prefix, &self.hub.caches, self.now.mono_ms);
                self.volumes
                    .resync(&self.cfg.storage_prefix, &self.hub.caches, self.now.mono_ms);
                self.default_accounts
                    .resync(&self.cfg.storage_prefix, &self.hub.caches, self.now.mono_ms);
                self.aggregation
                    .resync(&self.cfg.storage_prefix, &self.hub.caches, self.now.mono_ms);
                self.tokens
                    .resync(&self.cfg.storage_prefix, &self.hub.caches, self.now.mono_ms);
                self.quotas
                    .resync(&self.cfg.storage_prefix, &self.hub.caches, self.now.mono_ms);
                self.sync_sources(watch);
                if !self.startup.bootstrapped && watch.is_none() {
                    self.bootstrap();
                }
            }
            other => {
                self.out.push_back(Output::Log(format!(
                    "list filling the watch cache failed: {other:?}; retrying in 1s"
                )));
                // Wait before asking again, so an unreachable store is not asked in a loop.
                self.startup
                    .retry_fill
                    .push((self.now.mono_ms + FILL_RETRY_MS, watch));
            }
        }
    }

    /// Creates the objects every cluster has, idempotently: an existing object is kept.
    fn bootstrap(&mut self) {
        if self.startup.stages.is_empty() && self.startup.pending_bootstrap == 0 {
            let mut stages: VecDeque<_> = nonresource::bootstrap_objects(&self.cfg).into();
            // The RBAC policy once the namespaces of its Roles exist.
            let (now, after) = self.rbac_policy_writes();
            let at = 1.min(stages.len());
            stages.insert(at, now);
            stages.insert(at + 1, after);
            self.startup.stages = stages;
        }
        self.next_bootstrap_stage();
    }

    /// The writes the bootstrap RBAC policy needs, from what the caches hold: now, and once
    /// those are done.
    fn rbac_policy_writes(&self) -> (Vec<nonresource::StartupObject>, Vec<nonresource::StartupObject>) {
        let prefix = &self.cfg.storage_prefix;
        let caches = &self.hub.caches;
        let stored = |resource: &str, ns: &str, name: &str| {
            let key = if ns.is_empty() {
                format!("{prefix}/{resource}/{name}")
            } else {
                format!("{prefix}/{resource}/{ns}/{name}")
            };
            let key = key.into_bytes();
            caches.for_key(&key).get(&key).map(|o| (**o).clone())
        };
        let (now, after) = authz::rbac::bootstrap::reconcile(stored);
        let startup = |w: authz::rbac::bootstrap::Write| (w.verb, w.resource, w.object);
        (
            now.into_iter().map(startup).collect(),
            after.into_iter().map(startup).collect(),
        )
    }

    /// The server's own write (`create`, `update` by name, or `delete` at its uid) of
    /// `body`, a `resource` of the body's `apiVersion`: what the log names it
    /// (`services/default/kubernetes`), and the request.
    fn own_write(
        &self,
        verb: &str,
        resource: &str,
        body: &serde_json::Value,
    ) -> Option<(String, crate::http::Request)> {
        let api_version = body
            .get("apiVersion")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("v1");
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let def = self.hub.resources.find(group, version, resource)?;
        let what = [resource, crate::api::namespace(body), crate::api::name(body)]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        Some((what, loopback::write(def, verb, body, APISERVER_AGENT)))
    }

    /// Launches the next stage of start-up objects, or finishes start-up.
    fn next_bootstrap_stage(&mut self) {
        let Some(stage) = self.startup.stages.pop_front() else {
            self.startup.bootstrapped = true;
            // What start-up noticed meanwhile (terminating namespaces, missing CA bundles).
            self.drive_namespaces();
            return;
        };
        let requests: Vec<(String, crate::http::Request)> = stage
            .iter()
            .filter_map(|(verb, resource, body)| self.own_write(verb, resource, body))
            .collect();
        // Counted before any is sent: one that fails at once must not end the stage early.
        self.startup.pending_bootstrap += requests.len();
        if requests.is_empty() {
            return self.next_bootstrap_stage();
        }
        for (what, request) in requests {
            let id = self.req_id();
            self.serve(id, Origin::Bootstrap(what), request);
        }
    }

    /// Hands the admission chain's outcome to the request's machine, or waits on the effect
    /// a plugin asked for.
    fn follow_admission(
        &mut self,
        id: ReqId,
        mut inflight: InFlight,
        flow: Flow<Result<admission::Request, ApiError>>,
    ) {
        match flow {
            Flow::Ready(outcome) => {
                let InFlight { stage, rng, .. } = &mut inflight;
                let Stage::Registry(machine) = stage else {
                    debug_assert!(false, "admission outcome for a request at {:?}", inflight.stage);
                    return self.finish(
                        id,
                        inflight.origin,
                        Err(ApiError::internal("admission lost its request")),
                    );
                };
                let step = machine.admitted(&mut self.hub.env(self.now, rng), outcome);
                self.advance(id, inflight, step);
            }
            Flow::Wait(effect, then) => {
                let InFlight {
                    origin,
                    stage,
                    deadline_ms,
                    rng,
                } = inflight;
                let Stage::Registry(machine) = stage else {
                    debug_assert!(false, "admission waits for a request at {stage:?}");
                    return self.finish(id, origin, Err(ApiError::internal("admission lost its request")));
                };
                let stage = Stage::Admitting {
                    machine,
                    then: Pending(then),
                };
                let inflight = InFlight {
                    origin,
                    stage,
                    deadline_ms,
                    rng,
                };
                self.reqs.insert(id, inflight);
                self.effect(Waiter::Request(id), effect);
            }
        }
    }

    /// Starts request `id` in the registry.
    fn launch(&mut self, id: ReqId, origin: Origin, mut machine: Machine, deadline_ms: u64) {
        let mut rng = self.request_rng(id);
        let step = machine.start(&mut self.hub.env(self.now, &mut rng));
        let inflight = InFlight {
            origin,
            stage: Stage::Registry(Box::new(machine)),
            deadline_ms: Some(deadline_ms),
            rng,
        };
        self.advance(id, inflight, step);
    }

    /// Request `id`'s own generator: drawn from the server's seed and the id alone, so a
    /// request's names and uids do not depend on what other requests drew before it.
    fn request_rng(&self, id: ReqId) -> Rng {
        Rng::new(self.cfg.seed ^ id.0.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn advance(&mut self, id: ReqId, inflight: InFlight, step: Step) {
        let Stage::Registry(machine) = &inflight.stage else {
            debug_assert!(false, "a registry step for a request at {:?}", inflight.stage);
            return self.finish(
                id,
                inflight.origin,
                Err(ApiError::internal("the registry lost its request")),
            );
        };
        let served = machine.call().served.clone();
        match step {
            Step::Storage(request) => {
                self.reqs.insert(id, inflight);
                self.effect(Waiter::Request(id), Effect::Storage(request));
            }
            Step::Admit(phase, mut request) => {
                request.seed = self.rng.next_u64();
                request.deadline_ms = inflight.deadline_ms;
                let flow = self.hub.admission.run(phase, *request, &self.lookups());
                self.follow_admission(id, inflight, flow);
            }
            Step::Done(result) => {
                // Tables print the stored form; everything else goes out in the client's version.
                let table = matches!(&inflight.origin, Origin::Client { negotiated, .. } if negotiated.table);
                let result = match result {
                    Ok(mut reply) if !table => match registry::rest::to_served(&served, reply.object) {
                        Ok(object) => {
                            reply.object = object;
                            Ok(reply)
                        }
                        Err(e) => Err(e),
                    },
                    other => other,
                };
                self.finish(id, inflight.origin, result)
            }
            Step::Watch(spec) => match inflight.origin {
                Origin::Client {
                    conn,
                    negotiated,
                    keep_alive,
                } => {
                    let def = served;
                    let cache = self.hub.caches.for_key(&spec.prefix);
                    let started = self.watchers.start(
                        &mut self.out,
                        cache,
                        id,
                        conn,
                        def,
                        spec,
                        negotiated,
                        keep_alive,
                        self.now,
                        &mut self.rng,
                        self.cfg.min_request_timeout_s,
                    );
                    if !started {
                        self.request_done(conn, keep_alive);
                    }
                }
                Origin::Bootstrap(_)
                | Origin::NamespaceCleanup(_)
                | Origin::RootCa(_)
                | Origin::DefaultServiceAccount(_)
                | Origin::TokenSecret(_)
                | Origin::Publish(_)
                | Origin::RoleAggregation(_)
                | Origin::VolumeProtection(_)
                | Origin::QuotaStatus(_) => {}
            },
        }
    }

    /// Request `id` has its answer.
    /// Whether a controller's write is to be looked at again after a pause: it lost a race
    /// (Conflict, AlreadyExists, or NotFound: another writer came first, or the object
    /// went), its namespace is being terminated, or it failed (logged as `what`).
    fn lost_or_failed(
        &mut self,
        result: &Result<registry::Reply, ApiError>,
        what: impl FnOnce() -> String,
    ) -> bool {
        match result {
            Ok(_) => false,
            Err(e) if matches!(e.code, 404 | 409) => true,
            Err(e) if e.code == 403 && e.message.contains("being terminated") => true,
            Err(e) => {
                let line = format!("{}: {}", what(), e.message);
                self.out.push_back(Output::Log(line));
                true
            }
        }
    }

    fn finish(&mut self, id: ReqId, origin: Origin, result: Result<registry::Reply, ApiError>) {
        let code = match &result {
            Ok(reply) => reply.code,
            Err(e) => e.code,
        };
        filters::response_complete(id, code);
        match origin {
            Origin::Client {
                conn,
                negotiated,
                keep_alive,
            } => {
                let bytes = match result {
                    Ok(reply) => encode::reply(&negotiated, reply, self.now, &self.hub.resources),
                    Err(e) => encode::error(&e),
                };
                self.write(conn, bytes);
                self.request_done(conn, keep_alive);
            }
            Origin::NamespaceCleanup(ns) => {
                if let Err(e) = result {
                    if e.code != 404 && e.code != 409 {
                        self.out
                            .push_back(Output::Log(format!("finalizing namespace {ns}: {}", e.message)));
                    }
                }
                self.namespaces.done(&ns);
            }
            Origin::RootCa(ns) => {
                let backoff = self.lost_or_failed(&result, || format!("publishing {ns}/{}", root_ca::NAME));
                self.root_ca.done(&ns, backoff, self.now.mono_ms);
            }
            Origin::DefaultServiceAccount(ns) => {
                let what = || format!("creating {ns}/{}", default_service_account::NAME);
                let backoff = self.lost_or_failed(&result, what);
                self.default_accounts.done(&ns, backoff, self.now.mono_ms);
            }
            Origin::VolumeProtection(key) => {
                let what = || format!("lifting the protection of {}/{}", key.0, key.1);
                let backoff = self.lost_or_failed(&result, what);
                self.volumes.done(&key, backoff, self.now.mono_ms);
            }
            Origin::RoleAggregation(name) => {
                let backoff = self.lost_or_failed(&result, || format!("aggregating clusterrole {name}"));
                self.aggregation.done(&name, backoff, self.now.mono_ms);
            }
            Origin::QuotaStatus(quota) => {
                let what = || format!("counting resourcequota {}/{}", quota.0, quota.1);
                let backoff = self.lost_or_failed(&result, what);
                self.quotas.done(&quota, backoff, self.now.mono_ms);
            }
            Origin::Publish(what) => {
                if let Err(e) = result {
                    self.out
                        .push_back(Output::Log(format!("publishing {what}: {}", e.message)));
                }
            }
            Origin::TokenSecret(secret) => {
                let what = || format!("filling token secret {}/{}", secret.0, secret.1);
                let backoff = self.lost_or_failed(&result, what);
                self.tokens.done(&secret, backoff, self.now.mono_ms);
            }
            Origin::Bootstrap(what) => {
                match result {
                    Ok(r) if r.code == 201 => self.out.push_back(Output::Log(format!("created {what}"))),
                    Ok(_) => {}
                    Err(e) if e.code == 409 => {}
                    Err(e) => self
                        .out
                        .push_back(Output::Log(format!("start-up {what}: {}", e.message))),
                }
                self.startup.pending_bootstrap = self.startup.pending_bootstrap.saturating_sub(1);
                if self.startup.pending_bootstrap == 0 {
                    self.next_bootstrap_stage();
                }
            }
        }
    }

    fn write(&mut self, conn: ConnId, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.out.push_back(Output::Write { conn, bytes });
        }
    }

    fn close(&mut self, conn: ConnId) {
        if self.conns.remove(&conn).is_some() {
            self.watchers.remove_conn(conn);
            self.out.push_back(Output::Close { conn });
        }
    }

    /// A response on `conn` is complete: close or take the next pipelined request.
    fn request_done(&mut self, conn: ConnId, keep_alive: bool) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.busy = None;
        c.last_activity_ms = self.now.mono_ms;
        if !keep_alive {
            self.close(conn);
            return;
        }
        self.pump(conn);
    }

    /// Parses and starts requests on `conn` while it is free.
    fn pump(&mut self, conn: ConnId) {
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            if c.busy.is_some() {
                return;
            }
            match c.parser.poll() {
                None => return,
                Some(Parsed::Continue) => self.write(conn, b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()),
                Some(Parsed::Error(e)) => {
                    let api = match e.status {
                        413 => ApiError::too_large(e.message.clone()),
                        _ => ApiError::bad_request(e.message.clone()),
                    };
                    let mut api = api;
                    api.code = e.status;
                    let bytes = encode::error_closing(&api);
                    self.write(conn, bytes);
                    self.close(conn);
                    return;
                }
                Some(Parsed::Request(req)) => {
                    let id = self.req_id();
                    let now_ms = self.now.mono_ms;
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.busy = Some(id);
                        // A pipelined follower that has already begun starts its clock now.
                        c.request_started_ms = c.parser.is_mid_request().then_some(now_ms);
                    }
                    let origin = Origin::Client {
                        conn,
                        negotiated: encode::negotiate(req.header("accept").unwrap_or("")),
                        keep_alive: req.keep_alive,
                    };
                    self.serve(id, origin, req);
                }
            }
        }
    }

    /// Request `id` is answered with bytes already encoded (non-resource paths, an empty
    /// log); only clients ask for those.
    fn answer_raw(&mut self, id: ReqId, origin: Origin, bytes: Vec<u8>) {
        match origin {
            Origin::Client { conn, keep_alive, .. } => {
                filters::response_complete(id, status_code(&bytes));
                self.write(conn, bytes);
                self.request_done(conn, keep_alive);
            }
            other => {
                let e = ApiError::internal("the server's own request asked for a raw answer");
                self.finish(id, other, Err(e));
            }
        }
    }

    fn reply_error(&mut self, conn: ConnId, keep_alive: bool, e: ApiError) {
        self.write(conn, encode::error(&e));
        self.request_done(conn, keep_alive);
    }

    /// Health of the storage, as the `etcd` check reports it.
    fn storage_ok(&self) -> bool {
        self.storage_healthy && self.hub.caches.all_ready()
    }
}

/// The status code of an encoded response (`HTTP/1.1 200 OK...`).
fn status_code(response: &[u8]) -> u16 {
    response
        .get(9..12)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    /// Requests in flight are plain values that can move between threads: nothing in them
    /// ties a request to the thread (or core) that started it.
    #[test]
    fn requests_in_flight_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<super::InFlight>();
        send::<crate::registry::Machine>();
        send::<super::Flow<Result<crate::admission::Request, crate::api::ApiError>>>();
        send::<super::Output>();
    }
}
