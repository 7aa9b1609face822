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
        let token = match (str_of(user, "token"), str_of(user, "tokenFile")) {
            (Some(t), _) if !t.is_empty() => Some(t.to_string()),
            (_, Some(file)) if !file.is_empty() => {
                let path = resolve(base, file);
                let t = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                Some(t.trim().to_string())
            }
            _ => None,
        };
        if let Some(token) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        } else if let (Some(u), Some(p)) = (str_of(user, "username"), str_of(user, "password")) {
            let basic = STANDARD.encode(format!("{u}:{p}"));
            headers.push(("Authorization".to_string(), format!("Basic {basic}")));
        }
    }
    Ok(WebhookClient { url, tls, headers })
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
        let pem = STANDARD
            .decode(d.trim())
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

    const CONFIG: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example
- name: hook
  cluster:
    server: https://authn.example:8443/review
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    tls-server-name: authn.internal
users:
- name: apiserver
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
contexts:
- name: webhook
  context:
    cluster: hook
    user: apiserver
current-context: webhook
"#;

    #[test]
    fn the_current_context_names_the_webhook_and_its_credentials() {
        let dir = std::env::temp_dir().join(format!("gatehouse-webhook-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("certs")).unwrap();
        std::fs::write(dir.join("certs/client.crt"), "CERT").unwrap();
        std::fs::write(dir.join("certs/client.key"), "KEY").unwrap();
        let path = dir.join("hook.yaml");
        std::fs::write(&path, CONFIG).unwrap();
        let c = load(&path).unwrap();
        assert_eq!(c.url, "https://authn.example:8443/review");
        assert_eq!(c.tls.ca_pem, b"-----BEGIN CERTIFICATE-----\n");
        assert_eq!(c.tls.client_cert_pem, b"CERT");
        assert_eq!(c.tls.client_key_pem, b"KEY");
        assert_eq!(c.tls.server_name.as_deref(), Some("authn.internal"));
        assert!(!c.tls.insecure);
        assert!(c.headers.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tokens_basic_credentials_and_refusals() {
        let base = Path::new("/nonexistent");
        let token = CONFIG.replace(
            "    client-certificate: certs/client.crt\n    client-key: certs/client.key\n",
            "    token: s3cret\n",
        );
        let c = parse(token.as_bytes(), base).unwrap();
        assert_eq!(c.headers, vec![("Authorization".into(), "Bearer s3cret".into())]);
        let basic = CONFIG.replace(
            "    client-certificate: certs/client.crt\n    client-key: certs/client.key\n",
            "    username: u\n    password: p\n",
        );
        let c = parse(basic.as_bytes(), base).unwrap();
        assert_eq!(c.headers, vec![("Authorization".into(), "Basic dTpw".into())]);

        let missing_file = parse(CONFIG.as_bytes(), base).unwrap_err();
        assert!(missing_file.contains("client.crt"), "{missing_file}");
        let no_context = CONFIG.replace("current-context: webhook\n", "");
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
        let exec = CONFIG.replace(
            "    client-certificate: certs/client.crt\n    client-key: certs/client.key\n",
            "    exec:\n      command: get-token\n",
        );
        assert!(parse(exec.as_bytes(), base)
            .unwrap_err()
            .contains("exec credentials"));
        assert!(parse(b"{not yaml", base).is_err());
    }
}
