//! Command-line flags, spelled and defaulted as kube-apiserver's.

use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// Flags of the `gatehouse` binary (a subset of kube-apiserver's, same names and defaults).
#[derive(Clone, Debug, Parser)]
#[command(name = "gatehouse", about = "Gatehouse: a Kubernetes API server", version)]
pub struct Flags {
    /// The port on which to serve HTTPS with authentication and authorization.
    #[arg(long, default_value_t = 6443)]
    pub secure_port: u16,

    /// The IP address on which to listen for the --secure-port port.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind_address: String,

    /// File containing the default x509 certificate for HTTPS (CA cert, if any, concatenated
    /// after server cert). When unset, a serving certificate signed by a generated cluster CA
    /// is created under --data-dir.
    #[arg(long)]
    pub tls_cert_file: Option<PathBuf>,

    /// File containing the default x509 private key matching --tls-cert-file.
    #[arg(long)]
    pub tls_private_key_file: Option<PathBuf>,

    /// Any request presenting a client certificate signed by one of the authorities in this
    /// file is authenticated with an identity corresponding to the CommonName of the client
    /// certificate. When unset, the generated cluster CA is used.
    #[arg(long)]
    pub client_ca_file: Option<PathBuf>,

    /// Where Gatehouse keeps its embedded store, certificates and admin kubeconfig.
    #[arg(long, default_value = "/var/lib/gatehouse")]
    pub data_dir: PathBuf,

    /// Enables anonymous requests to the secure port.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true")]
    pub anonymous_auth: bool,

    /// If set, the file used to secure the secure port of the API server via token
    /// authentication: CSV lines of `token,user,uid[,"group1,group2"]`.
    #[arg(long)]
    pub token_auth_file: Option<PathBuf>,

    /// Identifiers of the API. Tokens presented to the server must be for at least one of
    /// them. Defaults to the first --service-account-issuer, when given.
    #[arg(long, value_delimiter = ',')]
    pub api_audiences: Vec<String>,

    /// The URL of the OpenID issuer, only HTTPS scheme will be accepted. If set, it will be
    /// used to verify the OIDC JSON Web Token (JWT).
    #[arg(long)]
    pub oidc_issuer_url: Option<String>,

    /// The client ID for the OpenID Connect client, must be set if oidc-issuer-url is set.
    #[arg(long)]
    pub oidc_client_id: Option<String>,

    /// The OpenID claim to use as the user name.
    #[arg(long, default_value = "sub")]
    pub oidc_username_claim: String,

    /// If provided, all usernames will be prefixed with this value. If not provided, username
    /// claims other than 'email' are prefixed by the issuer URL to avoid clashes. To skip any
    /// prefixing, provide the value '-'.
    #[arg(long)]
    pub oidc_username_prefix: Option<String>,

    /// If provided, the name of a custom OpenID Connect claim for specifying user groups.
    #[arg(long)]
    pub oidc_groups_claim: Option<String>,

    /// If provided, all groups will be prefixed with this value to prevent conflicts.
    #[arg(long, default_value = "")]
    pub oidc_groups_prefix: String,

    /// A key=value pair that describes a required claim in the ID Token. Repeatable.
    #[arg(long, value_delimiter = ',', action = ArgAction::Append)]
    pub oidc_required_claim: Vec<String>,

    /// If set, the OpenID server's certificate will be verified by one of the authorities in
    /// the oidc-ca-file, otherwise the host's root CA set will be used.
    #[arg(long)]
    pub oidc_ca_file: Option<PathBuf>,

    /// Comma-separated list of allowed JOSE asymmetric signing algorithms.
    #[arg(long, value_delimiter = ',', default_value = "RS256")]
    pub oidc_signing_algs: Vec<String>,

    /// File with webhook configuration for token authentication in kubeconfig format. The API
    /// server will query the remote service to determine authentication for bearer tokens.
    #[arg(long)]
    pub authentication_token_webhook_config_file: Option<PathBuf>,

    /// The API version of the authentication.k8s.io TokenReview to send to and expect from
    /// the webhook (v1 or v1beta1).
    #[arg(long, default_value = "v1beta1")]
    pub authentication_token_webhook_version: String,

    /// The duration to cache responses from the webhook token authenticator.
    #[arg(long, default_value = "2m0s")]
    pub authentication_token_webhook_cache_ttl: String,

    /// Root certificate bundle to use to verify client certificates on incoming requests
    /// before trusting usernames in headers specified by --requestheader-username-headers.
    #[arg(long)]
    pub requestheader_client_ca_file: Option<PathBuf>,

    /// List of client certificate common names to allow to provide usernames in headers
    /// specified by --requestheader-username-headers. If empty, any client certificate
    /// validated by the authorities in --requestheader-client-ca-file is allowed.
    #[arg(long, value_delimiter = ',')]
    pub requestheader_allowed_names: Vec<String>,

    /// List of request headers to inspect for usernames. X-Remote-User is common.
    #[arg(long, value_delimiter = ',')]
    pub requestheader_username_headers: Vec<String>,

    /// List of request headers to inspect for UIDs. X-Remote-Uid is suggested.
    #[arg(long, value_delimiter = ',')]
    pub requestheader_uid_headers: Vec<String>,

    /// List of request headers to inspect for groups. X-Remote-Group is suggested.
    #[arg(long, value_delimiter = ',')]
    pub requestheader_group_headers: Vec<String>,

    /// List of request header prefixes to inspect. X-Remote-Extra- is suggested.
    #[arg(long, value_delimiter = ',')]
    pub requestheader_extra_headers_prefix: Vec<String>,

    /// Ordered list of plug-ins to do authorization on secure port. Comma-delimited list of:
    /// AlwaysAllow,AlwaysDeny,Node,RBAC,Webhook. Gatehouse's default is Node,RBAC (kube-apiserver's
    /// is AlwaysAllow, which would leave a fresh server open to every signed-in user).
    #[arg(long)]
    pub authorization_mode: Option<String>,

    /// File with Authorization Configuration to configure the authorizer chain. This flag is
    /// mutually exclusive with the other --authorization-mode and --authorization-webhook-*
    /// flags.
    #[arg(long)]
    pub authorization_config: Option<PathBuf>,

    /// File with webhook configuration in kubeconfig format, used with
    /// --authorization-mode=Webhook. The API server will query the remote service to
    /// determine access on the API server's secure port.
    #[arg(long)]
    pub authorization_webhook_config_file: Option<PathBuf>,

    /// The API version of the authorization.k8s.io SubjectAccessReview to send to and expect
    /// from the webhook (default v1beta1).
    #[arg(long)]
    pub authorization_webhook_version: Option<String>,

    /// The duration to cache 'authorized' responses from the webhook authorizer (default 5m0s).
    #[arg(long)]
    pub authorization_webhook_cache_authorized_ttl: Option<String>,

    /// The duration to cache 'unauthorized' responses from the webhook authorizer (default
    /// 30s).
    #[arg(long)]
    pub authorization_webhook_cache_unauthorized_ttl: Option<String>,

    /// Admission plugins that should be enabled in addition to the default ones
    /// (NamespaceLifecycle, LimitRanger, ServiceAccount, TaintNodesByCondition, PodSecurity,
    /// Priority, DefaultTolerationSeconds, DefaultStorageClass, StorageObjectInUseProtection,
    /// PersistentVolumeClaimResize, RuntimeClass, CertificateApproval, CertificateSigning,
    /// ClusterTrustBundleAttest, CertificateSubjectRestriction, DefaultIngressClass,
    /// MutatingAdmissionWebhook, ValidatingAdmissionPolicy, ValidatingAdmissionWebhook,
    /// ResourceQuota). The order of plugins in this flag does not matter.
    #[arg(long, value_delimiter = ',')]
    pub enable_admission_plugins: Vec<String>,

    /// Admission plugins that should be disabled although they are in the default enabled
    /// plugins list. The order of plugins in this flag does not matter.
    #[arg(long, value_delimiter = ',')]
    pub disable_admission_plugins: Vec<String>,

    /// File with admission control configuration (an AdmissionConfiguration).
    #[arg(long)]
    pub admission_control_config_file: Option<PathBuf>,

    /// Indicates the tolerationSeconds of the toleration for notReady:NoExecute that is added
    /// by default to every pod that does not already have such a toleration.
    #[arg(long, default_value_t = 300)]
    pub default_not_ready_toleration_seconds: i64,

    /// Indicates the tolerationSeconds of the toleration for unreachable:NoExecute that is
    /// added by default to every pod that does not already have such a toleration.
    #[arg(long, default_value_t = 300)]
    pub default_unreachable_toleration_seconds: i64,

    /// Enable to allow secrets of type 'bootstrap.kubernetes.io/token' in the 'kube-system'
    /// namespace to be used for TLS bootstrapping authentication.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true")]
    pub enable_bootstrap_token_auth: bool,

    /// Identifier of the service account token issuer: the `iss` of issued tokens. Repeat
    /// it to accept tokens of earlier issuers too (the first one signs). Defaults to
    /// https://kubernetes.default.svc.cluster.local.
    #[arg(long, action = ArgAction::Append)]
    pub service_account_issuer: Vec<String>,

    /// File containing PEM-encoded public keys (or certificates, or private keys) used to
    /// verify service account tokens. Repeatable. Defaults to the signing key's public key.
    #[arg(long, action = ArgAction::Append)]
    pub service_account_key_file: Vec<PathBuf>,

    /// If true, validate ServiceAccount tokens exist in etcd as part of authentication.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true")]
    pub service_account_lookup: bool,

    /// Path to the file that contains the current private key of the service account token
    /// issuer. When unset, a key is generated as <data-dir>/pki/sa.key.
    #[arg(long)]
    pub service_account_signing_key_file: Option<PathBuf>,

    /// The maximum validity duration of a token created by the service account token issuer;
    /// a TokenRequest asking for longer is shortened to it. 0 means no limit.
    #[arg(long, default_value = "0s")]
    pub service_account_max_token_expiration: String,

    /// Turns on projected service account expiration extension during token generation,
    /// which helps safe transition from legacy token to bound service account token feature.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true")]
    pub service_account_extend_token_expiration: bool,

    /// Overrides the URI for the JSON Web Key Set in the discovery doc served at
    /// /.well-known/openid-configuration.
    #[arg(long)]
    pub service_account_jwks_uri: Option<String>,

    /// The prefix to prepend to all resource paths in storage.
    #[arg(long, default_value = "/registry")]
    pub etcd_prefix: String,

    /// A CIDR notation IP range from which to assign service cluster IPs.
    #[arg(long, default_value = "10.0.0.0/24")]
    pub service_cluster_ip_range: String,

    /// A port range to reserve for services with NodePort visibility.
    #[arg(long, default_value = "30000-32767")]
    pub service_node_port_range: String,

    /// The address advertised to clients in discovery.
    #[arg(long)]
    pub advertise_address: Option<String>,

    /// The duration a handler must keep a request open before timing it out (e.g. 60s, 1m0s).
    #[arg(long, default_value = "1m0s")]
    pub request_timeout: String,

    /// The minimum number of seconds a watch stays open; each watch lasts between this and
    /// twice this.
    #[arg(long, default_value_t = 1800)]
    pub min_request_timeout: u64,

    /// The storage backend: `embedded` keeps data in --data-dir; `memory` keeps it in memory
    /// only (lost on exit); `etcd3` keeps it in the etcd cluster of --etcd-servers. Defaults to
    /// `etcd3` when --etcd-servers is given, else `embedded`.
    #[arg(long)]
    pub storage_backend: Option<String>,

    // ---- etcd3 storage backend (begin) ----
    /// List of etcd servers to connect with (scheme://ip:port), comma separated. On a
    /// connection failure the next server is tried.
    #[arg(long, value_delimiter = ',')]
    pub etcd_servers: Vec<String>,

    /// SSL Certificate Authority file used to secure etcd communication.
    #[arg(long)]
    pub etcd_cafile: Option<PathBuf>,

    /// SSL certification file used to secure etcd communication.
    #[arg(long)]
    pub etcd_certfile: Option<PathBuf>,

    /// SSL key file used to secure etcd communication.
    #[arg(long)]
    pub etcd_keyfile: Option<PathBuf>,

    /// The interval of compaction requests. If 0, the compaction request from the apiserver is
    /// disabled.
    #[arg(long, default_value = "5m0s")]
    pub etcd_compaction_interval: String,
    // ---- etcd3 storage backend (end) ----
    /// Amount of time to retain events (a Go duration such as 1h0m0s).
    #[arg(long, default_value = "1h0m0s")]
    pub event_ttl: String,

    /// Serve reads that allow it (resourceVersion "0", or one the cache has reached) from the
    /// watch cache.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true")]
    pub watch_cache: bool,

    /// Watch cache sizes, `resource[.group]#size`, comma separated: how many recent events the
    /// watch cache of that resource keeps (others keep the default of 10000).
    #[arg(long, value_delimiter = ',')]
    pub watch_cache_sizes: Vec<String>,

    /// Path to a client cert file for TLS to kubelets.
    #[arg(long)]
    pub kubelet_client_certificate: Option<PathBuf>,

    /// Path to a client key file for TLS to kubelets.
    #[arg(long)]
    pub kubelet_client_key: Option<PathBuf>,

    /// Path to a cert file for the certificate authority of kubelets' serving certificates;
    /// when unset, kubelets' serving certificates are not verified.
    #[arg(long)]
    pub kubelet_certificate_authority: Option<PathBuf>,

    /// Seed for the server's random choices (UIDs, generated names); 0 draws one at start.
    #[arg(long, default_value_t = 0, hide = true)]
    pub seed: u64,
}

impl Flags {
    /// The storage backend in force: --storage-backend, else `etcd3` when --etcd-servers is
    /// given, else `embedded`.
    pub fn backend(&self) -> &str {
        match &self.storage_backend {
            Some(b) => b,
            None if !self.etcd_servers.is_empty() => "etcd3",
            None => "embedded",
        }
    }
}

/// Parses a Go duration such as `60s`, `1m0s`, `1h30m`, `500ms` into milliseconds.
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let v: f64 = num.parse().ok()?;
        num.clear();
        total += v * match unit.as_str() {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    Some(total as u64)
}

/// The per-resource event windows of `--watch-cache-sizes` (`resource[.group]#size`).
pub fn watch_cache_sizes(sizes: &[String]) -> Result<Vec<(String, usize)>, String> {
    let mut out = Vec::new();
    for entry in sizes.iter().filter(|s| !s.is_empty()) {
        let (name, size) = entry
            .rsplit_once('#')
            .ok_or_else(|| format!("invalid value of watch cache size: {entry}"))?;
        let size: usize = size
            .trim()
            .parse()
            .map_err(|_| format!("invalid size of watch cache: {entry}"))?;
        out.push((name.trim().to_string(), size));
    }
    Ok(out)
}

/// Parses an IPv4 CIDR such as `10.96.0.0/12` into (network address, prefix length).
pub fn parse_cidr(s: &str) -> Option<(u32, u8)> {
    let (ip, len) = s.split_once('/')?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 30)?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((u32::from(ip) & mask, len))
}

/// Parses a port range such as `30000-32767`.
pub fn parse_port_range(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-')?;
    let (a, b): (u16, u16) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a <= b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_cidrs_ports() {
        assert_eq!(parse_duration_ms("1m0s"), Some(60_000));
        assert_eq!(parse_duration_ms("90s"), Some(90_000));
        assert_eq!(parse_duration_ms("1h30m"), Some(5_400_000));
        assert_eq!(parse_duration_ms("abc"), None);
        assert_eq!(parse_cidr("10.96.0.0/12"), Some((0x0a60_0000, 12)));
        assert_eq!(parse_port_range("30000-32767"), Some((30000, 32767)));
    }

    #[test]
    fn kube_style_flags() {
        let f = Flags::parse_from([
            "gatehouse",
            "--secure-port=7443",
            "--anonymous-auth=false",
            "--data-dir",
            "/tmp/x",
        ]);
        assert_eq!(f.secure_port, 7443);
        assert!(!f.anonymous_auth);
        let f = Flags::parse_from(["gatehouse", "--anonymous-auth"]);
        assert!(f.anonymous_auth);
    }

    #[test]
    fn etcd_flags() {
        let f = Flags::parse_from([
            "gatehouse",
            "--etcd-servers=http://127.0.0.1:2379,http://127.0.0.1:22379",
            "--etcd-cafile=/etc/ca.crt",
        ]);
        assert_eq!(f.etcd_servers.len(), 2);
        assert_eq!(f.storage_backend, None);
        assert_eq!(f.etcd_compaction_interval, "5m0s");
        assert_eq!(f.backend(), "etcd3");
        let f = Flags::parse_from(["gatehouse"]);
        assert_eq!(f.backend(), "embedded");
        let f = Flags::parse_from([
            "gatehouse",
            "--storage-backend=memory",
            "--etcd-servers=http://e:1",
        ]);
        assert_eq!(f.backend(), "memory");
    }
}
