//! How a webhook is reached: `clientConfig.url`, or `clientConfig.service` resolved through
//! the Service's Endpoints in the watch cache (kube-apiserver's endpoint service resolver)
//! with the TLS server name `<service>.<namespace>.svc`; `caBundle` as the trusted CA; and
//! the API server's credentials toward it from the plugin's WebhookAdmissionConfiguration
//! kubeconfig, picked by host as kube's authentication info resolver picks them.
//!
//! The host reads the kubeconfig; the plugin's configuration then carries its users under
//! `resolvedUsers` (name, and `token`, `username`/`password`, `clientCertificatePem` and
//! `clientKeyPem`), so the core reads no file.

use serde_json::Value;

use super::hooks::Hook;
use crate::server::effect::{ClientTls, Lookups};

/// The configuration kinds kube decodes for the webhook plugins.
const CONFIG_KINDS: &[(&str, &str)] = &[
    ("apiserver.config.k8s.io/v1", "WebhookAdmissionConfiguration"),
    ("apiserver.config.k8s.io/v1alpha1", "WebhookAdmission"),
];

/// The API server's credentials toward one webhook host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credential {
    /// `Authorization` and such.
    pub headers: Vec<(String, String)>,
    /// PEM client certificate.
    pub client_cert_pem: Vec<u8>,
    /// PEM key of the client certificate.
    pub client_key_pem: Vec<u8>,
}

/// The kubeconfig's users, by name (a host, `host:port`, `*.domain`, or `*`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    users: Vec<(String, Credential)>,
}

impl Credentials {
    /// Reads the plugin's configuration (`Null`: none), refused as kube refuses it.
    pub fn from_config(config: &Value) -> Result<Credentials, String> {
        if config.is_null() {
            return Ok(Credentials::default());
        }
        let api_version = config.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = config.get("kind").and_then(Value::as_str).unwrap_or("");
        if !CONFIG_KINDS.contains(&(api_version, kind)) {
            return Err(format!(
                "no kind \"{kind}\" is registered for version \"{api_version}\" in scheme \"pkg/admission/plugin/webhook/config/kubeconfig.go\""
            ));
        }
        let file = config.get("kubeConfigFile").and_then(Value::as_str).unwrap_or("");
        if !file.starts_with('/') {
            return Err(format!(
                "kubeConfigFile: Invalid value: {}: must be an absolute file path",
                crate::validation::go_quote(file)
            ));
        }
        let users = config
            .get("resolvedUsers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|u| {
                let s = |f: &str| u.get(f).and_then(Value::as_str).unwrap_or("");
                let mut headers = Vec::new();
                if !s("token").is_empty() {
                    headers.push(("Authorization".to_string(), format!("Bearer {}", s("token"))));
                } else if !s("username").is_empty() {
                    use base64::Engine as _;
                    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        s("username"),
                        s("password")
                    ));
                    headers.push(("Authorization".to_string(), format!("Basic {basic}")));
                }
                let credential = Credential {
                    headers,
                    client_cert_pem: s("clientCertificatePem").as_bytes().to_vec(),
                    client_key_pem: s("clientKeyPem").as_bytes().to_vec(),
                };
                (s("name").to_string(), credential)
            })
            .collect();
        Ok(Credentials { users })
    }

    fn named(&self, name: &str) -> Option<&Credential> {
        self.users.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// The credentials for `host:port`: that exact name, else the closest `*.domain`, then
    /// the same without a port of 443, else `*`; none when nothing names it.
    pub fn for_target(&self, host_port: &str) -> Option<&Credential> {
        let by_name = |target: &str| {
            self.named(target).or_else(|| {
                let steps: Vec<&str> = target.split('.').collect();
                (1..steps.len()).find_map(|i| {
                    let rest: Vec<&str> = steps.iter().skip(i).copied().collect();
                    self.named(&format!("*.{}", rest.join(".")))
                })
            })
        };
        if let Some(c) = by_name(host_port) {
            return Some(c);
        }
        if let Some(host) = host_port.strip_suffix(":443") {
            if let Some(c) = by_name(host) {
                return Some(c);
            }
        }
        self.named("*")
    }
}

/// Where one call goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The URL dialed (a Service's endpoint address in place of its name).
    pub url: String,
    /// The URL as kube names it in errors (`https://<svc>.<ns>.svc:<port><path>`).
    pub shown: String,
    /// TLS toward it.
    pub tls: ClientTls,
    /// Headers every call carries.
    pub headers: Vec<(String, String)>,
}

/// `host:port` of an `https://` URL (port 443 when not given), and the rest of it.
fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = match host.rfind(']') {
        Some(i) => host[i..].contains(':'),
        None => host.contains(':'),
    };
    let host_port = if has_port {
        host.to_string()
    } else {
        format!("{host}:443")
    };
    (host_port, tail.to_string())
}

/// Appends kube's `timeout` query parameter to `url`.
fn with_timeout(url: &str, secs: u64) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}timeout={secs}s")
}

/// The target of a call to `hook`: `Err` is why it cannot be reached (in Go's words, as
/// the dial would fail), with the URL shown. `pick` chooses among endpoint addresses.
pub fn target(
    hook: &Hook,
    credentials: &Credentials,
    cx: &Lookups<'_>,
    pick: &mut dyn FnMut(usize) -> usize,
) -> Result<Target, (String, String)> {
    let client = &hook.client;
    let tls = |server_name: Option<String>, cred: Option<&Credential>| ClientTls {
        ca_pem: client.ca_bundle.clone(),
        client_cert_pem: cred.map(|c| c.client_cert_pem.clone()).unwrap_or_default(),
        client_key_pem: cred.map(|c| c.client_key_pem.clone()).unwrap_or_default(),
        server_name,
        insecure: false,
    };
    let headers = |cred: Option<&Credential>| cred.map(|c| c.headers.clone()).unwrap_or_default();
    if let Some(url) = &client.url {
        let (host_port, _) = split_url(url);
        let cred = credentials.for_target(&host_port);
        let url = with_timeout(url, hook.timeout_secs);
        return Ok(Target {
            url: url.clone(),
            shown: url,
            tls: tls(None, cred),
            headers: headers(cred),
        });
    }
    let Some(svc) = &client.service else {
        return Err((
            String::new(),
            "webhook has no clientConfig.url or clientConfig.service".into(),
        ));
    };
    let server_name = format!("{}.{}.svc", svc.name, svc.namespace);
    let path = if svc.path.is_empty() {
        "/"
    } else {
        svc.path.as_str()
    };
    let shown = with_timeout(
        &format!("https://{server_name}:{}{path}", svc.port),
        hook.timeout_secs,
    );
    let address = resolve(cx, &svc.namespace, &svc.name, svc.port, pick).map_err(|e| (shown.clone(), e))?;
    let cred = credentials.for_target(&format!("{server_name}:{}", svc.port));
    Ok(Target {
        url: with_timeout(&format!("https://{address}{path}"), hook.timeout_secs),
        shown,
        tls: tls(Some(server_name), cred),
        headers: headers(cred),
    })
}

/// `ip:port` of one ready endpoint of Service `namespace`/`name` for its port `port`, as
/// kube's `ResolveEndpoint` picks it, or why there is none.
fn resolve(
    cx: &Lookups<'_>,
    namespace: &str,
    name: &str,
    port: u16,
    pick: &mut dyn FnMut(usize) -> usize,
) -> Result<String, String> {
    let get = |resource: &str| {
        let key = cx.core_key(resource, namespace, name);
        cx.caches.for_key(&key).get(&key).map(|v| Value::clone(v))
    };
    let Some(svc) = get("services") else {
        return Err(format!("service \"{name}\" not found"));
    };
    let kind = svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    if !matches!(kind, "ClusterIP" | "LoadBalancer" | "NodePort") {
        return Err(format!("unsupported service type \"{kind}\""));
    }
    let ports = svc.pointer("/spec/ports").and_then(Value::as_array);
    let Some(svc_port) = ports
        .into_iter()
        .flatten()
        .find(|p| p.get("port").and_then(Value::as_u64) == Some(u64::from(port)))
    else {
        return Err(format!("no service port {port} found for service \"{name}\""));
    };
    let port_name = svc_port.get("name").and_then(Value::as_str).unwrap_or("");
    let Some(eps) = get("endpoints") else {
        return Err(format!("endpoints \"{name}\" not found"));
    };
    let subsets: Vec<&Value> = eps
        .get("subsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let unavailable = || format!("no endpoints available for service \"{name}\"");
    if subsets.is_empty() {
        return Err(unavailable());
    }
    let start = pick(subsets.len());
    for i in 0..subsets.len() {
        let Some(ss) = subsets.get((start + i) % subsets.len()) else {
            continue;
        };
        let addresses: Vec<&str> = ss
            .get("addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("ip").and_then(Value::as_str))
            .collect();
        if addresses.is_empty() {
            continue;
        }
        let ss_ports = ss.get("ports").and_then(Value::as_array);
        let found = ss_ports
            .into_iter()
            .flatten()
            .find(|p| p.get("name").and_then(Value::as_str).unwrap_or("") == port_name);
        if let Some(p) = found.and_then(|p| p.get("port")).and_then(Value::as_u64) {
            let Some(ip) = addresses.get(pick(addresses.len())) else {
                continue;
            };
            return Ok(if ip.contains(':') {
                format!("[{ip}]:{p}")
            } else {
                format!("{ip}:{p}")
            });
        }
    }
    Err(unavailable())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn creds(names: &[&str]) -> Credentials {
        let users: Vec<Value> = names
            .iter()
            .map(|n| json!({"name": n, "token": format!("t-{n}")}))
            .collect();
        Credentials::from_config(&json!({
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "WebhookAdmissionConfiguration",
            "kubeConfigFile": "/etc/k/webhooks.yaml",
            "resolvedUsers": users,
        }))
        .unwrap()
    }

    fn token(c: &Credentials, target: &str) -> Option<String> {
        c.for_target(target).map(|c| c.headers[0].1.clone())
    }

    #[test]
    fn credentials_picked_as_kube_picks_them() {
        let c = creds(&["hook.ns.svc:8443", "*.ns.svc", "example.com", "*"]);
        assert_eq!(
            token(&c, "hook.ns.svc:8443").as_deref(),
            Some("Bearer t-hook.ns.svc:8443")
        );
        assert_eq!(
            token(&c, "other.ns.svc:443").as_deref(),
            Some("Bearer t-*.ns.svc")
        );
        assert_eq!(
            token(&c, "example.com:443").as_deref(),
            Some("Bearer t-example.com")
        );
        assert_eq!(token(&c, "example.com:8443").as_deref(), Some("Bearer t-*"));
        assert_eq!(creds(&["a"]).for_target("b:443"), None);
    }

    #[test]
    fn configurations_refused_as_kube_refuses_them() {
        assert_eq!(Credentials::from_config(&Value::Null), Ok(Credentials::default()));
        let relative = json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "WebhookAdmissionConfiguration", "kubeConfigFile": "k.yaml"});
        assert_eq!(
            Credentials::from_config(&relative).unwrap_err(),
            "kubeConfigFile: Invalid value: \"k.yaml\": must be an absolute file path"
        );
        let wrong = json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "Other"});
        assert!(Credentials::from_config(&wrong)
            .unwrap_err()
            .contains("no kind \"Other\""));
    }

    #[test]
    fn urls() {
        assert_eq!(split_url("https://h.example/x?y").0, "h.example:443");
        assert_eq!(split_url("https://127.0.0.1:8443/x").0, "127.0.0.1:8443");
        assert_eq!(split_url("https://[::1]/x").0, "[::1]:443");
        assert_eq!(with_timeout("https://h/x", 5), "https://h/x?timeout=5s");
        assert_eq!(with_timeout("https://h/x?a=b", 5), "https://h/x?a=b&timeout=5s");
    }
}
