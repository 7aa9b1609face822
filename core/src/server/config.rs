//! Server configuration, decided by the runtime from flags.

use crate::http::Limits;
use crate::registry::rest::ServiceRanges;

/// Everything the server state machine is configured with.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of the server's random choices (UIDs, generated names, allocations).
    pub seed: u64,
    /// DER certificates of the client CA (`--client-ca-file`); client certificates are
    /// refused when unset.
    pub client_ca_der: Option<Vec<Vec<u8>>>,
    /// `--anonymous-auth`.
    pub anonymous_auth: bool,
    /// The authenticating front proxy (`--requestheader-*`), when configured.
    pub request_header: Option<crate::authn::request_header::RequestHeaderConfig>,
    /// `--etcd-prefix` (default `/registry`), without a trailing slash.
    pub storage_prefix: String,
    /// Service address ranges (`--service-cluster-ip-range`, `--service-node-port-range`).
    pub services: ServiceRanges,
    /// The port clients reach the API on (published in the `kubernetes` Service).
    pub secure_port: u16,
    /// `--request-timeout` in milliseconds.
    pub request_timeout_ms: u64,
    /// `--min-request-timeout` in seconds: watches without timeoutSeconds last between one
    /// and two times this.
    pub min_request_timeout_s: u64,
    /// A connection with a partial request head is closed after this long.
    pub header_timeout_ms: u64,
    /// An idle keep-alive connection is closed after this long.
    pub idle_timeout_ms: u64,
    /// HTTP limits.
    pub limits: Limits,
    /// How many recent events each type's watch cache keeps.
    pub watch_window: usize,
    /// Per-resource sizes (`resource` or `resource.group`) from `--watch-cache-sizes`.
    pub watch_cache_sizes: Vec<(String, usize)>,
    /// `--watch-cache`: serve reads that allow it from the watch cache.
    pub watch_cache: bool,
    /// `--event-ttl` in seconds (default one hour).
    pub event_ttl_secs: u32,
    /// Whether to load and serve OpenAPI documents.
    pub serve_openapi: bool,
    /// The address clients use, for discovery's serverAddressByClientCIDRs.
    pub advertise_address: String,
    /// The CA bundle (PEM) published in every namespace as `kube-root-ca.crt`: the CA pods
    /// verify the API server with. `None` publishes nothing.
    pub root_ca_pem: Option<String>,
    /// `--authorization-mode`, in order (Gatehouse's default: Node, RBAC).
    pub authorization_modes: Vec<crate::authz::modes::Mode>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            client_ca_der: None,
            anonymous_auth: true,
            request_header: None,
            storage_prefix: "/registry".into(),
            services: ServiceRanges {
                cluster_ip_base: 0x0a00_0000,
                cluster_ip_prefix: 24,
                node_port_min: 30000,
                node_port_max: 32767,
            },
            secure_port: 6443,
            request_timeout_ms: 60_000,
            min_request_timeout_s: 1800,
            header_timeout_ms: 60_000,
            idle_timeout_ms: 120_000,
            limits: Limits::default(),
            watch_window: 10_000,
            watch_cache_sizes: Vec::new(),
            watch_cache: true,
            event_ttl_secs: 3600,
            serve_openapi: true,
            advertise_address: "127.0.0.1".into(),
            root_ca_pem: None,
            authorization_modes: vec![crate::authz::modes::Mode::Node, crate::authz::modes::Mode::Rbac],
        }
    }
}
