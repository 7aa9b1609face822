//! Webhook configuration files: kube-apiserver reads where a webhook is and how to reach it
//! (`--authentication-token-webhook-config-file`, `--authorization-webhook-config-file`,
//! admission webhooks' kubeconfigs) from a file in kubeconfig format. The current context
//! names the cluster (the webhook's URL and how to trust it) and the user (how the API server
//! proves itself to the webhook). File paths inside are relative to the file's folder.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use gatehouse_core::ClientTls;
use serde_yaml::Value;

use crate::error::HostError;

/// How to call one webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookClient {
    /// The webhook's URL (the cluster's `server`).
    pub url: String,
    /// TLS toward it.
    pub tls: ClientTls,
    /// Headers every call carries (`Authorization` for a user's token or basic credentials).
    pub headers: Vec<(String, String)>,
}

/// Reads the webhook kubeconfig at `path`.
pub fn load(path: &Path) -> Result<WebhookClient, HostError> {
    let text = std::fs::read(path).map_err(|e| HostError::io(path, e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, base).map_err(|reason| HostError::Invalid {
        what: format!("webhook configuration {}", path.display()),
        reason,
    })
}

/// Reads a webhook kubeconfig whose relative paths start at `base`.
pub fn parse(text: &[u8], base: &Path) -> Result<WebhookClient, String> {
    let doc: Value = serde_yaml::from_slice(text).map_err(|e| e.to_string())?;
    let current = str_of(&doc, "current-context").ok_or("no current-context is set")?;
    let context = named(&doc, "contexts", current, "context")
        .ok_or_else(|| format!("context {current:?} not found"))?;
    let cluster_name = str_of(context, "cluster").unwrap_or("");
    let cluster = named(&doc, "clusters", cluster_name, "cluster")
        .ok_or_else(|| format!("cluster {cluster_name:?} not found"))?;
    let url = str_of(cluster, "server")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("cluster {cluster_name:?} has no server"))?
        .to_string();
    if !url.starts_with("https://") {
        return Err(format!("server {url:?}: only https webhooks are supported"));
    }
    let mut tls = ClientTls {
        ca_pem: data(cluster, "certificate-authority", base)?.unwrap_or_default(),
        insecure: cluster
            .get("insecure-skip-tls-verify")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        server_name: str_of(cluster, "tls-server-name").map(str::to_string),
        ..ClientTls::default()
    };
    if tls.insecure && !tls.ca_pem.is_empty() {
        // As client-go refuses it.
        return Err("specifying a root certificates file with the insecure flag is not allowed".into());
    }
    let mut headers = Vec::new();
    let user_name = str_of(context, "user").unwrap_or("");
    if let Some(user) = named(&doc, "users", user_name, "user") {
        for unsupported in ["exec", "auth-provider"] {
            if user.get(unsupported).is_some_and(|v| !v.is_null()) {
                return Err(format!(
                    "user {user_name:?}: {unsupported} credentials are not supported"
                ));
            }
        }
        tls.client_cert_pem = data(user, "client-certificate", base)?.unwrap_or_default();
        tls.client_key_pem = data(user, "client-key", base)?.unwrap_or_default();
        if tls.client_cert_pem.is_empty() != tls.client_key_pem.is_empty() {
            return Err(format!(
                "user {user_name:?}: a client certificate needs its key and a key its certificate"
            ));
        }
        // client-go takes the token file over the inline token when both are set.
        let token = match (str_of(user, "tokenFile"), str_of(user, "token")) {
            (Some(file), _) if !file.is_empty() => {
                let path = resolve(base, file);
                let t = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                Some(t.trim().to_string())
            }
            (_, Some(t)) if !t.is_empty() => Some(t.to_string()),
            _ => None,
        };
        let basic = match (str_of(user, "username"), str_of(user, "password")) {
            (Some(u), p) if !u.is_empty() => Some(STANDARD.encode(format!("{u}:{}", p.unwrap_or("")))),
            _ => None,
        };
        match (token, basic) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "user {user_name:?}: more than one authentication method found: token and basic"
                ))
            }
            (Some(token), None) => headers.push(("Authorization".to_string(), format!("Bearer {token}"))),
            (None, Some(basic)) => headers.push(("Authorization".to_string(), format!("Basic {basic}"))),
            (None, None) => {}
        }
    }
    check_pem(&tls)?;
    Ok(WebhookClient { url, tls, headers })
}

/// The users of the admission webhooks' kubeconfig at `path` (kube's
/// WebhookAdmissionConfiguration `kubeConfigFile`), each named for the webhook hosts it is
/// for (`host:port`, `*.domain`, `*`), with its credentials read: `token` (or `tokenFile`),
/// `username`/`password`, `clientCertificatePem`/`clientKeyPem`.
pub fn admission_users(path: &Path) -> Result<Vec<serde_json::Value>, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let doc: Value = serde_yaml::from_slice(&text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for entry in doc
        .get("users")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = str_of(entry, "name").unwrap_or("");
        let Some(user) = entry.get("user") else {
            continue;
        };
        let token = match (str_of(user, "tokenFile"), str_of(user, "token")) {
            (Some(file), _) if !file.is_empty() => {
                let p = resolve(base, file);
                let t = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                t.trim().to_string()
            }
            (_, Some(t)) => t.to_string(),
            _ => String::new(),
        };
        let pem = |key: &str| -> Result<String, String> {
            let bytes = data(user, key, base)?.unwrap_or_default();
            String::from_utf8(bytes).map_err(|_| format!("user {name:?}: {key} is not PEM"))
        };
        let tls = ClientTls {
            client_cert_pem: pem("client-certificate")?.into_bytes(),
            client_key_pem: pem("client-key")?.into_bytes(),
            ..ClientTls::default()
        };
        check_pem(&tls)?;
        out.push(serde_json::json!({
            "name": name,
            "token": token,
            "username": str_of(user, "username").unwrap_or(""),
            "password": str_of(user, "password").unwrap_or(""),
            "clientCertificatePem": String::from_utf8_lossy(&tls.client_cert_pem),
            "clientKeyPem": String::from_utf8_lossy(&tls.client_key_pem),
        }));
    }
    Ok(out)
}

/// Certificates and keys that do not parse are refused when the file is read, not at the
/// first call.
fn check_pem(tls: &ClientTls) -> Result<(), String> {
    if !tls.ca_pem.is_empty() {
        crate::tls::certs_from_pem(&tls.ca_pem, "certificate authority").map_err(|e| e.to_string())?;
    }
    if !tls.client_cert_pem.is_empty() {
        crate::tls::certs_from_pem(&tls.client_cert_pem, "client certificate").map_err(|e| e.to_string())?;
        crate::tls::key_from_pem(&tls.client_key_pem, "client key").map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The `inner` map of the entry called `name` in the list `list`.
fn named<'a>(doc: &'a Value, list: &str, name: &str, inner: &str) -> Option<&'a Value> {
    doc.get(list)?
        .as_sequence()?
        .iter()
        .find(|e| str_of(e, "name") == Some(name))?
        .get(inner)
}

/// `<key>-data` (base64 of PEM) or `<key>` (a file), read.
fn data(v: &Value, key: &str, base: &Path) -> Result<Option<Vec<u8>>, String> {
    if let Some(d) = str_of(v, &format!("{key}-data")).filter(|d| !d.is_empty()) {
        // As Go's decoder, line breaks inside the data are skipped.
        let compact: String = d.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let pem = STANDARD
            .decode(compact)
            .map_err(|e| format!("{key}-data is not base64: {e}"))?;
        return Ok(Some(pem));
    }
    match str_of(v, key).filter(|p| !p.is_empty()) {
        Some(file) => {
            let path = resolve(base, file);
            std::fs::read(&path)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display()))
        }
        None => Ok(None),
    }
}

fn resolve(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    /// A webhook kubeconfig whose CA is `ca_pem`, with `user` as the user's entry.
    fn config(ca_pem: &str, user: &str) -> String {
        // Line breaks in the data, as a YAML block scalar may leave them.
        let ca = STANDARD.encode(ca_pem);
        let (a, b) = ca.split_at(ca.len() / 2);
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example
- name: hook
  cluster:
    server: https://authn.example:8443/review
    certificate-authority-data: |
      {a}
      {b}
    tls-server-name: authn.internal
users:
- name: apiserver
  user:
{user}contexts:
- name: webhook
  context:
    cluster: hook
    user: apiserver
current-context: webhook
"
        )
    }

    fn ca() -> String {
        crate::pki::new_ca("webhook-ca").unwrap().cert_pem
    }

    #[test]
    fn the_current_context_names_the_webhook_and_its_credentials() {
        let ca_pem = ca();
        let now = SystemTime::now();
        let ca = crate::pki::new_ca("client-ca").unwrap();
        let client = crate::pki::issue_client_cert(
            &ca,
            "apiserver",
            &[],
            now - Duration::from_secs(60),
            now + Duration::from_secs(600),
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("gatehouse-webhook-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("certs")).unwrap();
        std::fs::write(dir.join("certs/client.crt"), &client.cert_pem).unwrap();
        std::fs::write(dir.join("certs/client.key"), &client.key_pem).unwrap();
        let path = dir.join("hook.yaml");
        let user = "    client-certificate: certs/client.crt\n    client-key: certs/client.key\n";
        std::fs::write(&path, config(&ca_pem, user)).unwrap();
        let c = load(&path).unwrap();
        assert_eq!(c.url, "https://authn.example:8443/review");
        assert_eq!(c.tls.ca_pem, ca_pem.as_bytes());
        assert_eq!(c.tls.client_cert_pem, client.cert_pem.as_bytes());
        assert_eq!(c.tls.client_key_pem, client.key_pem.as_bytes());
        assert_eq!(c.tls.server_name.as_deref(), Some("authn.internal"));
        assert!(!c.tls.insecure);
        assert!(c.headers.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tokens_basic_credentials_and_refusals() {
        let base = Path::new("/nonexistent");
        let ca_pem = ca();
        let token = config(&ca_pem, "    token: s3cret\n");
        let c = parse(token.as_bytes(), base).unwrap();
        assert_eq!(c.headers, vec![("Authorization".into(), "Bearer s3cret".into())]);
        let basic = config(&ca_pem, "    username: u\n    password: p\n");
        let c = parse(basic.as_bytes(), base).unwrap();
        assert_eq!(c.headers, vec![("Authorization".into(), "Basic dTpw".into())]);
        let both = config(&ca_pem, "    token: t\n    username: u\n    password: p\n");
        assert!(parse(both.as_bytes(), base)
            .unwrap_err()
            .contains("more than one authentication method"));

        let files = config(
            &ca_pem,
            "    client-certificate: certs/client.crt\n    client-key: certs/client.key\n",
        );
        let missing_file = parse(files.as_bytes(), base).unwrap_err();
        assert!(missing_file.contains("client.crt"), "{missing_file}");
        let no_context = token.replace("current-context: webhook\n", "");
        assert_eq!(
            parse(no_context.as_bytes(), base).unwrap_err(),
            "no current-context is set"
        );
        let plain = token.replace("https://authn.example:8443/review", "http://authn.example/review");
        assert!(parse(plain.as_bytes(), base).unwrap_err().contains("only https"));
        let insecure = token.replace(
            "    tls-server-name: authn.internal\n",
            "    insecure-skip-tls-verify: true\n",
        );
        assert!(parse(insecure.as_bytes(), base)
            .unwrap_err()
            .contains("insecure flag"));
        let exec = config(&ca_pem, "    exec:\n      command: get-token\n");
        assert!(parse(exec.as_bytes(), base)
            .unwrap_err()
            .contains("exec credentials"));
        let bad_ca = config("not a certificate", "    token: t\n");
        assert!(parse(bad_ca.as_bytes(), base)
            .unwrap_err()
            .contains("certificate authority"));
        assert!(parse(b"{not yaml", base).is_err());
    }

    #[test]
    fn admission_webhook_users_are_read_with_their_credentials() {
        let dir = std::env::temp_dir().join(format!("gatehouse-admission-users-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("token"), "from-file\n").unwrap();
        let path = dir.join("webhooks.yaml");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nusers:\n- name: '*.hooks.svc'\n  user:\n    token: t1\n- name: 127.0.0.1:8443\n  user:\n    tokenFile: token\n- name: '*'\n  user:\n    username: u\n    password: p\n",
        )
        .unwrap();
        let users = admission_users(&path).unwrap();
        assert_eq!(users.len(), 3);
        assert_eq!(
            (users[0]["name"].as_str(), users[0]["token"].as_str()),
            (Some("*.hooks.svc"), Some("t1"))
        );
        assert_eq!(users[1]["token"], "from-file");
        assert_eq!(
            (users[2]["username"].as_str(), users[2]["password"].as_str()),
            (Some("u"), Some("p"))
        );
        std::fs::write(
            &path,
            "users:\n- name: x\n  user:\n    client-certificate: missing.crt\n",
        )
        .unwrap();
        assert!(admission_users(&path).unwrap_err().contains("missing.crt"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
