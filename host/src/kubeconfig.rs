//! Writing kubeconfig files (`apiVersion: v1`, `kind: Config`) for Gatehouse clients.
//!
//! The YAML is formatted by hand: a kubeconfig with one cluster, one user and one context is a
//! fixed shape, and every value is either emitted plain when that is unambiguous or
//! double-quoted with escapes otherwise.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::HostError;

/// How the kubeconfig's user proves its identity.
#[derive(Clone, Copy, Debug)]
pub enum Credential<'a> {
    /// An X.509 client certificate and its private key, both PEM.
    ClientCert {
        /// The certificate (chain), PEM.
        cert_pem: &'a str,
        /// The private key, PEM.
        key_pem: &'a str,
    },
    /// A bearer token sent in the `Authorization` header.
    Token(&'a str),
}

/// A kubeconfig with a single cluster, user and context, which is also the current context.
#[derive(Clone, Copy, Debug)]
pub struct Kubeconfig<'a> {
    /// Name of the cluster entry (e.g. `gatehouse`).
    pub cluster_name: &'a str,
    /// Name of the user entry (e.g. `kubernetes-admin`).
    pub user_name: &'a str,
    /// Name of the context entry (e.g. `kubernetes-admin@gatehouse`).
    pub context_name: &'a str,
    /// The API server URL (e.g. `https://127.0.0.1:6443`).
    pub server: &'a str,
    /// The CA bundle (PEM) that verifies the serving certificate; `None` uses the system roots.
    pub ca_pem: Option<&'a str>,
    /// The user's credential.
    pub credential: Credential<'a>,
    /// The context's default namespace, if any.
    pub namespace: Option<&'a str>,
}

impl Kubeconfig<'_> {
    /// Renders the kubeconfig as YAML; certificate and key data are inlined as base64 of the PEM.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n");
        if let Some(ca) = self.ca_pem {
            push_field(&mut out, 4, "certificate-authority-data", &STANDARD.encode(ca));
        }
        push_field(&mut out, 4, "server", self.server);
        push_field(&mut out, 2, "name", self.cluster_name);

        out.push_str("contexts:\n- context:\n");
        push_field(&mut out, 4, "cluster", self.cluster_name);
        if let Some(namespace) = self.namespace {
            push_field(&mut out, 4, "namespace", namespace);
        }
        push_field(&mut out, 4, "user", self.user_name);
        push_field(&mut out, 2, "name", self.context_name);

        push_field(&mut out, 0, "current-context", self.context_name);
        out.push_str("preferences: {}\nusers:\n");
        push_field(&mut out, 0, "- name", self.user_name);
        out.push_str("  user:\n");
        match self.credential {
            Credential::ClientCert { cert_pem, key_pem } => {
                push_field(&mut out, 4, "client-certificate-data", &STANDARD.encode(cert_pem));
                push_field(&mut out, 4, "client-key-data", &STANDARD.encode(key_pem));
            }
            Credential::Token(token) => push_field(&mut out, 4, "token", token),
        }
        out
    }

    /// Writes the kubeconfig to `path`, readable by its owner only since it holds a credential.
    ///
    /// The file is written beside its final name and then renamed, so readers never see half a
    /// kubeconfig.
    pub fn write(&self, path: &Path) -> Result<(), HostError> {
        write_private_file(path, self.render().as_bytes())
    }
}

/// Writes `contents` to `path` with mode 0600 (on Unix) through a temporary file and a rename.
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), HostError> {
    write_file_atomically(path, contents, 0o600)
}

/// Writes `contents` to `path` with the given Unix mode through a temporary file and a rename.
pub(crate) fn write_file_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<(), HostError> {
    use std::io::Write as _;

    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);

    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;

    // A leftover temporary file may carry another mode; start afresh so `mode` applies.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(HostError::io(&tmp, e)),
    }
    let mut file = options.open(&tmp).map_err(|e| HostError::io(&tmp, e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| HostError::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| HostError::io(path, e))
}

/// Appends `key: value` at the given indentation, quoting the value when it needs it.
fn push_field(out: &mut String, indent: usize, key: &str, value: &str) {
    out.extend(std::iter::repeat_n(' ', indent));
    out.push_str(key);
    out.push_str(": ");
    push_scalar(out, value);
    out.push('\n');
}

/// Appends a YAML scalar: plain when it cannot be read as anything but this string, otherwise
/// double-quoted.
fn push_scalar(out: &mut String, value: &str) {
    if is_plain_safe(value) {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether `value` reads back as the same string when written as a plain YAML scalar.
///
/// Deliberately conservative: letters first, a small character set (enough for URLs, names with
/// `@`, and base64), and none of the words YAML 1.1 reads as booleans or null.
fn is_plain_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    if !first.is_ascii_alphabetic() && first != '/' {
        return false;
    }
    let charset_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._@:/+=~".contains(c));
    let lower = value.to_ascii_lowercase();
    let keyword = matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null"
    );
    charset_ok && !keyword
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(credential: Credential<'_>) -> Kubeconfig<'_> {
        Kubeconfig {
            cluster_name: "gatehouse",
            user_name: "kubernetes-admin",
            context_name: "kubernetes-admin@gatehouse",
            server: "https://127.0.0.1:6443",
            ca_pem: Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            credential,
            namespace: None,
        }
    }

    #[test]
    fn client_cert_kubeconfig_has_expected_shape() {
        let text = sample(Credential::ClientCert {
            cert_pem: "CERT",
            key_pem: "KEY",
        })
        .render();
        let ca = STANDARD.encode("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        let expected = format!(
            "apiVersion: v1\n\
             kind: Config\n\
             clusters:\n\
             - cluster:\n    \
             certificate-authority-data: {ca}\n    \
             server: https://127.0.0.1:6443\n  \
             name: gatehouse\n\
             contexts:\n\
             - context:\n    \
             cluster: gatehouse\n    \
             user: kubernetes-admin\n  \
             name: kubernetes-admin@gatehouse\n\
             current-context: kubernetes-admin@gatehouse\n\
             preferences: {{}}\n\
             users:\n\
             - name: kubernetes-admin\n  \
             user:\n    \
             client-certificate-data: {}\n    \
             client-key-data: {}\n",
            STANDARD.encode("CERT"),
            STANDARD.encode("KEY"),
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn token_kubeconfig_without_ca_and_with_namespace() {
        let mut config = sample(Credential::Token("abc.def"));
        config.ca_pem = None;
        config.namespace = Some("team-a");
        let text = config.render();
        assert!(!text.contains("certificate-authority-data"));
        assert!(text.contains("\n    namespace: team-a\n"));
        assert!(text.ends_with("  user:\n    token: abc.def\n"));
    }

    #[test]
    fn ambiguous_values_are_quoted() {
        let mut out = String::new();
        for value in ["true", "123", "", "a b", "x\"y\\z", "No", "-dash", "tab\t"] {
            out.clear();
            push_scalar(&mut out, value);
            assert!(out.starts_with('"') && out.ends_with('"'), "{value:?} -> {out}");
        }
        push_scalar(&mut out, "x\"y\\z\u{1}");
        assert!(out.ends_with("\"x\\\"y\\\\z\\u0001\""));
        out.clear();
        push_scalar(&mut out, "https://[::1]:6443");
        assert_eq!(out, "\"https://[::1]:6443\"");
        out.clear();
        push_scalar(&mut out, "kubernetes-admin@gatehouse");
        assert_eq!(out, "kubernetes-admin@gatehouse");
    }

    #[test]
    fn write_is_private() {
        let dir = std::env::temp_dir().join(format!("gatehouse-kubeconfig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.kubeconfig");
        sample(Credential::Token("t")).write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("token: t\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
