//! Start-up shared by both runtimes: certificates, TLS, storage and the core configuration,
//! decided from flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::SystemTime;

use gatehouse_core::authn::bootstrap::BootstrapTokens;
use gatehouse_core::authn::oidc::{Oidc, OidcConfig};
use gatehouse_core::authn::request_header::RequestHeaderConfig;
use gatehouse_core::authn::serviceaccount::{BoundTokens, Config as ServiceAccounts, LegacyTokens};
use gatehouse_core::authn::token::Tokens;
use gatehouse_core::authn::token_file::TokenFile;
use gatehouse_core::authn::webhook;
use gatehouse_core::storage::MemStore;
use gatehouse_core::Config;

use crate::driver::Input;
use crate::error::HostError;
use crate::etcd::EtcdOptions;
use crate::flags::{parse_cidr, parse_duration_ms, parse_port_range, Flags};
use crate::pki::{self, Pki};
use crate::relay::RelayConfig;
use crate::store::{self, Durable, StoreCmd, StoreReport};
use crate::tls;

/// Everything a runtime needs to start serving.
pub struct Prepared {
    /// The core's configuration.
    pub config: Config,
    /// TLS for the listener.
    pub tls: Arc<tls::ServingTls>,
    /// Where to listen.
    pub bind: SocketAddr,
    /// The generated PKI, when Gatehouse made its own certificates.
    pub pki: Option<Pki>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// TLS toward kubelets and proxy backends.
    pub relays: RelayConfig,
    /// The token authenticators and API audiences.
    pub tokens: Tokens,
    /// The authorizer chain, and the configuration file to reload it from.
    pub authorization: crate::authorization::Chain,
    /// The admission chain.
    pub admission: gatehouse_core::admission::Chain,
    /// How service-account tokens are issued and checked.
    pub service_accounts: Arc<ServiceAccounts>,
    /// `--client-ca-file`, watched for changes once serving.
    client_ca_file: Option<PathBuf>,
    store: Option<Backend>,
}

/// What the storage thread serves.
enum Backend {
    /// The in-memory store, made durable by its log when it is the embedded store.
    Local(MemStore, Option<Durable>),
    /// An etcd cluster (`--storage-backend=etcd3`).
    Etcd(EtcdOptions),
}

fn invalid(what: &str, reason: impl Into<String>) -> HostError {
    HostError::Invalid {
        what: what.to_string(),
        reason: reason.into(),
    }
}

/// Reads flags, loads or creates certificates, opens storage.
pub fn prepare(flags: &Flags) -> Result<Prepared, HostError> {
    let authorization = crate::authorization::chain(flags)?;
    let admission = crate::admission::chain(flags)?;
    let bind: SocketAddr = format!("{}:{}", bracket(&flags.bind_address), flags.secure_port)
        .parse()
        .map_err(|_| {
            invalid(
                "--bind-address",
                format!("not an IP address: {}", flags.bind_address),
            )
        })?;
    let data_dir = flags.data_dir.clone();
    let advertise = flags
        .advertise_address
        .clone()
        .unwrap_or_else(|| "127.0.0.1".into());
    let (serving_cert, serving_key, client_ca, pki) =
        match (&flags.tls_cert_file, &flags.tls_private_key_file) {
            (Some(c), Some(k)) => {
                let (cert, key) = tls::load_pem_files(c, k)?;
                let ca = match &flags.client_ca_file {
                    Some(p) => Some(std::fs::read(p).map_err(|e| HostError::io(p, e))?),
                    None => None,
                };
                (cert, key, ca, None)
            }
            (None, None) => {
                let mut sans = vec![advertise.clone()];
                if flags.bind_address != "0.0.0.0" && flags.bind_address != "::" {
                    sans.push(flags.bind_address.clone());
                }
                let p = pki::ensure_pki(&data_dir, &sans, SystemTime::now())?;
                let ca = match &flags.client_ca_file {
                    Some(path) => std::fs::read(path).map_err(|e| HostError::io(path, e))?,
                    None => p.ca.cert_pem.clone().into_bytes(),
                };
                (
                    p.serving.cert_pem.clone().into_bytes(),
                    p.serving.key_pem.clone().into_bytes(),
                    Some(ca),
                    Some(p),
                )
            }
            _ => {
                return Err(invalid(
                    "--tls-cert-file",
                    "--tls-cert-file and --tls-private-key-file go together",
                ))
            }
        };
    let request_header = request_header(flags, client_ca.as_deref())?;
    let tls = Arc::new(tls::ServingTls::new(
        serving_cert,
        serving_key,
        client_ca.as_deref(),
        request_header.as_ref().map(|(_, proxy_ca)| proxy_ca.clone()),
    )?);
    // What pods verify the API server with (kube-root-ca.crt): the CA that signed the serving
    // certificate Gatehouse made, or else the client CA, which clusters set up as kubeadm
    // does share with the serving certificate.
    let root_ca_pem = match &pki {
        Some(p) => Some(p.ca.cert_pem.clone()),
        None => client_ca
            .as_deref()
            .map(|pem| String::from_utf8_lossy(pem).into_owned()),
    };
    let client_ca_der = match &client_ca {
        Some(pem) => Some(
            tls::certs_from_pem(pem, "client CA")?
                .into_iter()
                .map(|c| c.to_vec())
                .collect(),
        ),
        None => None,
    };
    let (ip_base, ip_prefix) = parse_cidr(&flags.service_cluster_ip_range).ok_or_else(|| {
        invalid(
            "--service-cluster-ip-range",
            flags.service_cluster_ip_range.clone(),
        )
    })?;
    let (np_min, np_max) = parse_port_range(&flags.service_node_port_range)
        .ok_or_else(|| invalid("--service-node-port-range", flags.service_node_port_range.clone()))?;
    let request_timeout_ms = parse_duration_ms(&flags.request_timeout)
        .ok_or_else(|| invalid("--request-timeout", flags.request_timeout.clone()))?;
    let seed = if flags.seed != 0 {
        flags.seed
    } else {
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        t ^ (u64::from(std::process::id()) << 32)
    };
    let mut config = Config {
        seed,
        authorization_modes: authorization.modes.clone(),
        client_ca_der,
        anonymous_auth: flags.anonymous_auth,
        request_header: request_header.map(|(rh, _)| rh),
        storage_prefix: flags.etcd_prefix.trim_end_matches('/').to_string(),
        secure_port: flags.secure_port,
        request_timeout_ms,
        min_request_timeout_s: flags.min_request_timeout,
        watch_cache: flags.watch_cache,
        event_ttl_secs: parse_duration_ms(&flags.event_ttl)
            .map(|ms| u32::try_from(ms / 1000).unwrap_or(u32::MAX))
            .ok_or_else(|| invalid("--event-ttl", flags.event_ttl.clone()))?,
        watch_cache_sizes: crate::flags::watch_cache_sizes(&flags.watch_cache_sizes)
            .map_err(|e| invalid("--watch-cache-sizes", e))?,
        advertise_address: advertise,
        root_ca_pem,
        ..Config::default()
    };
    config.services.cluster_ip_base = ip_base;
    config.services.cluster_ip_prefix = ip_prefix;
    config.services.node_port_min = np_min;
    config.services.node_port_max = np_max;
    let store = match flags.backend() {
        "embedded" => {
            let (d, s) = Durable::open(&data_dir.join("store"))?;
            Backend::Local(s, Some(d))
        }
        "memory" => Backend::Local(MemStore::new(), None),
        "etcd3" => Backend::Etcd(EtcdOptions::from_flags(flags)?),
        other => {
            return Err(invalid(
                "--storage-backend",
                format!("unsupported storage backend {other:?} (supported: embedded, memory, etcd3)"),
            ))
        }
    };
    let kubelet_client = match (&flags.kubelet_client_certificate, &flags.kubelet_client_key) {
        (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "--kubelet-client-certificate",
                "--kubelet-client-certificate and --kubelet-client-key go together",
            ))
        }
    };
    let relays = RelayConfig::new(kubelet_client, flags.kubelet_certificate_authority.as_deref())?;
    let service_accounts = Arc::new(crate::service_accounts::config(flags, &data_dir)?);
    let tokens = token_authenticators(flags, &service_accounts)?;
    Ok(Prepared {
        config,
        tls,
        bind,
        pki,
        data_dir,
        relays,
        tokens,
        authorization,
        admission,
        service_accounts,
        client_ca_file: flags.client_ca_file.clone(),
        store: Some(store),
    })
}

/// How often `--client-ca-file` is looked at for changes.
const CLIENT_CA_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// Watches `path` and hands the driver its certificates whenever its contents change, and
/// names them in the TLS handshake from then on; a change that does not read as
/// certificates keeps the last good bundle, as kube does.
fn watch_client_ca(
    path: PathBuf,
    inputs: async_channel::Sender<Input>,
    serving: Arc<tls::ServingTls>,
) -> Result<(), HostError> {
    let mut last = std::fs::read(&path).map_err(|e| HostError::io(&path, e))?;
    std::thread::Builder::new()
        .name("gatehouse-client-ca".into())
        .spawn(move || loop {
            std::thread::sleep(CLIENT_CA_POLL);
            let Ok(now) = std::fs::read(&path) else {
                continue;
            };
            if now == last {
                continue;
            }
            match tls::certs_from_pem(&now, "client CA") {
                Ok(certs) if !certs.is_empty() => {
                    if let Err(e) = serving.set_client_ca(&now) {
                        eprintln!("gatehouse: naming the new client CA in TLS handshakes: {e}");
                    }
                    let der = certs.into_iter().map(|c| c.to_vec()).collect();
                    if inputs.send_blocking(Input::ClientCa(der)).is_err() {
                        return;
                    }
                }
                _ => eprintln!(
                    "gatehouse: {} changed but holds no certificate; keeping the last client CA",
                    path.display()
                ),
            }
            last = now;
        })
        .map_err(|e| HostError::io("client CA watcher", e))?;
    Ok(())
}

/// The authenticating front proxy the `--requestheader-*` flags describe, and its CA's PEM;
/// kube's start-up check that client certificates cannot pose as the proxy.
fn request_header(
    flags: &Flags,
    client_ca_pem: Option<&[u8]>,
) -> Result<Option<(RequestHeaderConfig, Vec<u8>)>, HostError> {
    let Some(path) = &flags.requestheader_client_ca_file else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| HostError::io(path, e))?;
    let ca_der: Vec<Vec<u8>> = tls::certs_from_pem(&pem, "request-header CA")?
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    let names = |v: &[String], flag: &str| -> Result<Vec<String>, HostError> {
        v.iter()
            .map(|h| {
                let h = h.trim();
                if h.is_empty() {
                    Err(invalid(flag, format!("empty header {h:?}")))
                } else {
                    Ok(h.to_string())
                }
            })
            .collect()
    };
    let allowed_names: Vec<String> = flags
        .requestheader_allowed_names
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if allowed_names.is_empty() {
        if let Some(client) = client_ca_pem {
            let client: Vec<Vec<u8>> = tls::certs_from_pem(client, "client CA")?
                .into_iter()
                .map(|c| c.to_vec())
                .collect();
            if ca_der.iter().any(|c| client.contains(c)) {
                return Err(invalid(
                    "--requestheader-client-ca-file",
                    "--requestheader-client-ca-file and --client-ca-file contain overlapping certificates; --requestheader-allowed-names must be specified to ensure regular client certificates cannot set authenticating proxy headers for arbitrary users",
                ));
            }
        }
    }
    let config = RequestHeaderConfig {
        ca_der,
        allowed_names,
        username_headers: names(
            &flags.requestheader_username_headers,
            "--requestheader-username-headers",
        )?,
        uid_headers: names(&flags.requestheader_uid_headers, "--requestheader-uid-headers")?,
        group_headers: names(
            &flags.requestheader_group_headers,
            "--requestheader-group-headers",
        )?,
        extra_prefixes: names(
            &flags.requestheader_extra_headers_prefix,
            "--requestheader-extra-headers-prefix",
        )?,
    };
    Ok(Some((config, pem)))
}

/// The OIDC issuer the `--oidc-*` flags describe, refused as kube refuses it.
fn oidc(flags: &Flags) -> Result<Option<OidcConfig>, HostError> {
    let Some(issuer_url) = flags.oidc_issuer_url.clone() else {
        return Ok(None);
    };
    if !issuer_url.starts_with("https://") {
        return Err(invalid(
            "--oidc-issuer-url",
            format!("{issuer_url:?}: only the https scheme is accepted"),
        ));
    }
    let client_id = flags
        .oidc_client_id
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            invalid(
                "--oidc-client-id",
                "oidc-client-id must be set when oidc-issuer-url is set",
            )
        })?;
    const ALLOWED: &[&str] = &[
        "RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "PS384", "PS512",
    ];
    for alg in &flags.oidc_signing_algs {
        if !ALLOWED.contains(&alg.as_str()) {
            return Err(invalid(
                "--oidc-signing-algs",
                format!(
                    "oidc-signing-algs: unsupported signing alg {alg:?} (supported: {})",
                    ALLOWED.join(", ")
                ),
            ));
        }
    }
    let mut required_claims = std::collections::BTreeMap::new();
    for pair in &flags.oidc_required_claim {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| invalid("--oidc-required-claim", format!("{pair:?} is not key=value")))?;
        required_claims.insert(k.trim().to_string(), v.trim().to_string());
    }
    let ca_pem = match &flags.oidc_ca_file {
        Some(p) => {
            let pem = std::fs::read(p).map_err(|e| HostError::io(p, e))?;
            tls::certs_from_pem(&pem, "OIDC CA")?;
            pem
        }
        None => Vec::new(),
    };
    Ok(Some(OidcConfig {
        issuer_url,
        client_id,
        username_claim: flags.oidc_username_claim.clone(),
        username_prefix: flags.oidc_username_prefix.clone(),
        groups_claim: flags.oidc_groups_claim.clone().filter(|g| !g.is_empty()),
        groups_prefix: flags.oidc_groups_prefix.clone(),
        required_claims,
        signing_algs: flags.oidc_signing_algs.clone(),
        tls: gatehouse_core::ClientTls {
            ca_pem,
            ..gatehouse_core::ClientTls::default()
        },
    }))
}

/// The token authenticators the flags configure, in kube's order (token file, legacy and
/// bound service-account tokens, bootstrap tokens, OIDC, a token webhook), and the API
/// audiences.
fn token_authenticators(flags: &Flags, service_accounts: &Arc<ServiceAccounts>) -> Result<Tokens, HostError> {
    let mut tokens = Tokens::default();
    tokens.set_audiences(service_accounts.api_audiences.clone());
    if let Some(path) = &flags.token_auth_file {
        let text = std::fs::read_to_string(path).map_err(|e| HostError::io(path, e))?;
        let (file, warnings) = TokenFile::parse(&path.display().to_string(), &text)
            .map_err(|e| invalid("--token-auth-file", e))?;
        for w in warnings {
            eprintln!("gatehouse: {w}");
        }
        tokens.push(Arc::new(file));
    }
    tokens.push(Arc::new(LegacyTokens::new(
        service_accounts.clone(),
        flags.service_account_lookup,
    )));
    tokens.push(Arc::new(BoundTokens::new(service_accounts.clone())));
    if flags.enable_bootstrap_token_auth {
        tokens.push(Arc::new(BootstrapTokens));
    }
    if let Some(oidc) = oidc(flags)? {
        tokens.push(Arc::new(Oidc::new(oidc)));
    }
    if let Some(path) = &flags.authentication_token_webhook_config_file {
        let version = match flags.authentication_token_webhook_version.as_str() {
            "v1" => webhook::Version::V1,
            "v1beta1" => webhook::Version::V1beta1,
            other => {
                return Err(invalid(
                    "--authentication-token-webhook-version",
                    format!("unsupported authentication webhook version {other:?} (supported: v1, v1beta1)"),
                ))
            }
        };
        let cache_ttl_ms =
            parse_duration_ms(&flags.authentication_token_webhook_cache_ttl).ok_or_else(|| {
                invalid(
                    "--authentication-token-webhook-cache-ttl",
                    flags.authentication_token_webhook_cache_ttl.clone(),
                )
            })?;
        let client = crate::webhook::load(path)?;
        let target = webhook::Target {
            url: client.url,
            tls: client.tls,
            headers: client.headers,
        };
        let implicit = service_accounts.api_audiences.clone();
        tokens.push(Arc::new(webhook::TokenWebhook::new(
            target,
            version,
            cache_ttl_ms,
            implicit,
        )));
    }
    Ok(tokens)
}

fn bracket(addr: &str) -> String {
    if addr.contains(':') && !addr.starts_with('[') {
        format!("[{addr}]")
    } else {
        addr.to_string()
    }
}

impl Prepared {
    /// Writes the admin kubeconfig for `server_url`, when Gatehouse made its own PKI.
    pub fn write_kubeconfig(&self, server_url: &str) -> Result<Option<PathBuf>, HostError> {
        match &self.pki {
            Some(p) => pki::write_admin_kubeconfig(&self.data_dir, server_url, p).map(Some),
            None => Ok(None),
        }
    }

    /// Starts the storage thread, which reports into `inputs`.
    pub fn spawn_storage(
        &mut self,
        inputs: async_channel::Sender<Input>,
    ) -> Result<(mpsc::Sender<StoreCmd>, std::thread::JoinHandle<()>), HostError> {
        let (store, durable) = match self
            .store
            .take()
            .ok_or_else(|| invalid("storage", "already started"))?
        {
            Backend::Local(store, durable) => (store, durable),
            Backend::Etcd(opts) => {
                return opts.spawn(move |r: StoreReport| inputs.send_blocking(Input::Store(r)).is_ok())
            }
        };
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("gatehouse-store".into())
            .spawn(move || {
                store::run(store, durable, rx, move |r: StoreReport| {
                    inputs.send_blocking(Input::Store(r)).is_ok()
                })
            })
            .map_err(|e| HostError::io("storage thread", e))?;
        Ok((tx, handle))
    }
}

/// A server assembled around its bound address: the core, its running storage thread, and
/// the channels a runtime wires its tasks to.
pub struct Assembled {
    /// The core server, for [`crate::driver::run`].
    pub server: gatehouse_core::Server,
    /// Where connection tasks send their inputs.
    pub inputs: async_channel::Sender<Input>,
    /// The driver's end of `inputs`.
    pub inputs_rx: async_channel::Receiver<Input>,
    /// The storage thread's command channel.
    pub store: mpsc::Sender<StoreCmd>,
    /// Signalled once by the driver when start-up has finished.
    pub ready_tx: async_channel::Sender<()>,
    /// Receives that signal.
    pub ready_rx: async_channel::Receiver<()>,
    /// TLS for the listener.
    pub tls: Arc<tls::ServingTls>,
    /// The admin kubeconfig, when Gatehouse made its own certificates.
    pub kubeconfig: Option<PathBuf>,
    /// The generated PKI, if any.
    pub pki: Option<Pki>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// TLS toward kubelets and proxy backends, for [`crate::driver::run`].
    pub relays: RelayConfig,
}

impl Prepared {
    /// Finishes start-up once the listener is bound to `addr`: writes the admin kubeconfig
    /// for that address, starts storage and builds the core server.
    pub fn assemble(mut self, addr: SocketAddr) -> Result<Assembled, HostError> {
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let kubeconfig = self.write_kubeconfig(&format!("https://{host}:{}", addr.port()))?;
        self.config.secure_port = addr.port();
        let (inputs, inputs_rx) = async_channel::unbounded();
        let (store, _thread) = self.spawn_storage(inputs.clone())?;
        let (ready_tx, ready_rx) = async_channel::bounded(1);
        if let Some(path) = self.client_ca_file.take() {
            watch_client_ca(path, inputs.clone(), self.tls.clone())?;
        }
        let mut server = gatehouse_core::Server::new(self.config);
        server.set_tokens(self.tokens);
        server.set_authorizers(self.authorization.authorizers);
        server.set_admission(self.admission);
        if let Some((path, fixed, data)) = self.authorization.reload.take() {
            crate::authorization::watch(path, fixed, data, inputs.clone())?;
        }
        server.set_service_accounts(self.service_accounts);
        Ok(Assembled {
            server,
            inputs,
            inputs_rx,
            store,
            ready_tx,
            ready_rx,
            tls: self.tls,
            kubeconfig,
            pki: self.pki,
            data_dir: self.data_dir,
            relays: self.relays,
        })
    }
}
