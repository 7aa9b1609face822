//! The hub: what every request shares, kept apart from what one request needs.
//!
//! The split is quinn-proto's `Endpoint` and `Connection`: the hub holds the served
//! resources, the watch caches, the storage transformer, the authenticators, authorizers
//! and admission plugins, and the OpenAPI documents; a request in flight is a value of its
//! own (its stage, its registry machine, its own seeded generator) that reads the hub only
//! through shared references ([`Hub::env`], [`Hub::lookups`]) and says what it wants done
//! as values (storage requests, admission steps, answers). Only hub inputs (storage watch
//! events, resources coming and going) change the hub. So request steps could run on
//! several cores against one `&Hub`, while the simulator still runs everything on one
//! thread from one seed.

use std::sync::Arc;

use crate::admission;
use crate::authn;
use crate::authz;
use crate::registry::{self, Env};
use crate::rng::Rng;
use crate::storage::Transformer;
use crate::time::Now;
use crate::watch::WatchCaches;

use super::effect::Lookups;
use super::openapi_docs::Documents;
use super::Config;

/// A resource's group, version and plural name.
pub(crate) type Gvr = (String, String, String);

/// The state every request shares.
pub(crate) struct Hub {
    /// What is served: the built-in resources and those added at run time.
    pub resources: registry::Resources,
    /// One watch cache per stored resource type.
    pub caches: WatchCaches,
    /// How objects are written to storage and read back, everywhere.
    pub storage: Transformer,
    /// The authenticators of the union beyond client certificates and anonymous access.
    pub authenticators: Vec<Arc<dyn authn::Authenticator>>,
    /// The token authenticators behind the bearer step of the union.
    pub tokens: Arc<authn::token::Tokens>,
    /// How service-account tokens are issued (TokenRequest) and published (discovery).
    pub service_accounts: Arc<authn::serviceaccount::Config>,
    /// The authorizers of the chain (`--authorization-mode`), in order.
    pub authorizers: Vec<Arc<dyn authz::Authorizer>>,
    /// The RBAC roles and bindings, kept from the watch caches.
    pub rbac: authz::rbac::Rbac,
    /// What each node's pods use, kept from the watch caches for the Node authorizer.
    pub node_graph: authz::node::graph::Graph,
    /// The admission plugins every write passes.
    pub admission: admission::Chain,
    /// The OpenAPI documents, when served.
    pub openapi: Option<Documents>,
    /// Where resources added at run time come from, and what each serves now.
    pub sources: Vec<(Arc<dyn registry::Source>, Vec<Gvr>)>,
    /// The storage key prefix (`/registry`).
    pub prefix: String,
    services: registry::rest::ServiceRanges,
    read_from_cache: bool,
    event_ttl_secs: u32,
}

impl Hub {
    /// The hub of a server configured with `cfg`: the built-in resources, a watch cache for
    /// each stored one, the built-in admission plugins.
    pub fn new(cfg: &Config) -> Hub {
        let storage = Transformer::default();
        let resources = registry::Resources::builtin();
        let caches = WatchCaches::new(
            &cfg.storage_prefix,
            resources
                .iter()
                .filter(|d| d.is_stored())
                .map(|d| d.cached_type()),
            cfg.watch_window,
            &cfg.watch_cache_sizes,
            &storage,
        );
        Hub {
            resources,
            caches,
            storage,
            authenticators: Vec::new(),
            tokens: Arc::default(),
            service_accounts: Arc::default(),
            authorizers: cfg
                .authorization_modes
                .iter()
                .filter_map(|m| m.authorizer())
                .collect(),
            rbac: authz::rbac::Rbac::default(),
            node_graph: authz::node::graph::Graph::default(),
            admission: admission::Chain::builtin(),
            openapi: cfg.serve_openapi.then(Documents::load),
            sources: Vec::new(),
            prefix: cfg.storage_prefix.clone(),
            services: cfg.services,
            read_from_cache: cfg.watch_cache,
            event_ttl_secs: cfg.event_ttl_secs,
        }
    }

    /// What a registry machine reads while it takes a step, with the request's own
    /// generator.
    pub fn env<'a>(&'a self, now: Now, rng: &'a mut Rng) -> Env<'a> {
        Env {
            now,
            rng,
            prefix: &self.prefix,
            caches: &self.caches,
            openapi: self.openapi.as_ref().map(|d| d.api()),
            services: self.services,
            read_from_cache: self.read_from_cache,
            event_ttl_secs: self.event_ttl_secs,
            storage: &self.storage,
        }
    }

    /// What a filter or admission plugin may look up while it decides.
    pub fn lookups(&self, now: crate::time::Now) -> Lookups<'_> {
        Lookups {
            caches: &self.caches,
            prefix: &self.prefix,
            storage: &self.storage,
            now,
            rbac: &self.rbac,
            node_graph: &self.node_graph,
            authorizers: &self.authorizers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Request steps may run on several threads against one hub.
    #[test]
    fn the_hub_is_shared_between_threads() {
        fn shared<T: Sync>() {}
        shared::<Hub>();
    }
}
