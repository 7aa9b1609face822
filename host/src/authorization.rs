//! The authorizer chain from the flags: `--authorization-mode` with the
//! `--authorization-webhook-*` flags, or the structured `--authorization-config` file (the
//! two are exclusive, as in kube-apiserver), and the file watched and reloaded as
//! kube-apiserver reloads it: a new file that does not load is logged and the running chain
//! kept; a reload may change webhooks, not drop or add Node or RBAC.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::authn::webhook::Target;
use gatehouse_core::authz::config::{self, AuthorizationConfig};
use gatehouse_core::authz::modes::Mode;
use gatehouse_core::authz::webhook::{AuthzWebhook, Version};
use gatehouse_core::authz::Authorizer;

use crate::driver::Input;
use crate::error::HostError;
use crate::flags::{parse_duration_ms, Flags};

/// How often the configuration file is looked at.
const RELOAD_POLL: Duration = Duration::from_secs(5);

/// The chain the server starts with: its modes (for the core's defaults) and authorizers,
/// and the configuration file to watch, when there is one.
pub struct Chain {
    /// The modes, in order.
    pub modes: Vec<Mode>,
    /// The authorizers, in order.
    pub authorizers: Vec<Arc<dyn Authorizer>>,
    /// `--authorization-config`, and the modes other than Webhook it started with.
    pub reload: Option<(PathBuf, Vec<Mode>, Vec<u8>)>,
}

fn invalid(what: &str, reason: impl Into<String>) -> HostError {
    HostError::Invalid {
        what: what.to_string(),
        reason: reason.into(),
    }
}

/// The chain the flags describe.
pub fn chain(flags: &Flags) -> Result<Chain, HostError> {
    let Some(path) = &flags.authorization_config else {
        return legacy(flags);
    };
    let legacy_flags = flags.authorization_mode.is_some()
        || flags.authorization_webhook_config_file.is_some()
        || flags.authorization_webhook_version.is_some()
        || flags.authorization_webhook_cache_authorized_ttl.is_some()
        || flags.authorization_webhook_cache_unauthorized_ttl.is_some();
    if legacy_flags {
        return Err(invalid(
            "--authorization-config",
            "--authorization-config can not be specified when --authorization-mode or --authorization-webhook-* flags are defined",
        ));
    }
    let data = std::fs::read(path).map_err(|e| HostError::io(path, e))?;
    let loaded = load(&data).map_err(|e| invalid("--authorization-config", e))?;
    let authorizers = build(&loaded).map_err(|e| invalid("--authorization-config", e))?;
    let modes: Vec<Mode> = loaded.authorizers.iter().map(|a| a.mode).collect();
    let fixed = modes.iter().copied().filter(|m| *m != Mode::Webhook).collect();
    Ok(Chain {
        modes,
        authorizers,
        reload: Some((path.clone(), fixed, data)),
    })
}

/// `--authorization-mode` (Gatehouse's default `Node,RBAC`), refused as kube refuses it (a
/// Webhook mode without its file, a webhook file without the mode), and refused by name for
/// ABAC, which Gatehouse does not have, rather than dropped.
fn legacy(flags: &Flags) -> Result<Chain, HostError> {
    let flag = flags.authorization_mode.as_deref().unwrap_or("Node,RBAC");
    let modes = Mode::parse_list(flag).map_err(|e| invalid("--authorization-mode", e))?;
    if let Some(m) = modes.iter().find(|m| m.authorizer().is_none()) {
        return Err(invalid(
            "--authorization-mode",
            format!(
                "authorization-mode {:?} is not supported by Gatehouse yet (supported: AlwaysAllow, AlwaysDeny, Node, RBAC, Webhook)",
                m.as_str()
            ),
        ));
    }
    let webhook = match (
        modes.contains(&Mode::Webhook),
        &flags.authorization_webhook_config_file,
    ) {
        (true, None) => {
            return Err(invalid(
                "--authorization-mode",
                "authorization-mode Webhook's authorization config file not passed",
            ))
        }
        (false, Some(_)) => {
            return Err(invalid(
                "--authorization-webhook-config-file",
                "cannot specify --authorization-webhook-config-file without mode Webhook",
            ))
        }
        (true, Some(path)) => Some(legacy_webhook(flags, path)?),
        (false, None) => None,
    };
    let authorizers = modes
        .iter()
        .filter_map(|m| match (m, &webhook) {
            (Mode::Webhook, Some(w)) => Some(w.clone()),
            _ => m.authorizer(),
        })
        .collect();
    Ok(Chain {
        modes,
        authorizers,
        reload: None,
    })
}

/// The webhook of `--authorization-webhook-config-file`, with kube's defaults for the other
/// flags (v1beta1, 5m, 30s).
fn legacy_webhook(flags: &Flags, path: &Path) -> Result<Arc<dyn Authorizer>, HostError> {
    let version = match flags
        .authorization_webhook_version
        .as_deref()
        .unwrap_or("v1beta1")
    {
        "v1" => Version::V1,
        "v1beta1" => Version::V1beta1,
        other => {
            return Err(invalid(
                "--authorization-webhook-version",
                format!("unsupported authorization webhook version {other:?} (supported: v1, v1beta1)"),
            ))
        }
    };
    let ttl = |flag: &str, value: &Option<String>, default: &str| {
        let value = value.as_deref().unwrap_or(default);
        parse_duration_ms(value).ok_or_else(|| invalid(flag, value))
    };
    let authorized = ttl(
        "--authorization-webhook-cache-authorized-ttl",
        &flags.authorization_webhook_cache_authorized_ttl,
        "5m",
    )?;
    let unauthorized = ttl(
        "--authorization-webhook-cache-unauthorized-ttl",
        &flags.authorization_webhook_cache_unauthorized_ttl,
        "30s",
    )?;
    let target = target(path)?;
    Ok(Arc::new(AuthzWebhook::new(
        target,
        version,
        authorized,
        unauthorized,
    )))
}

fn target(kubeconfig: &Path) -> Result<Target, HostError> {
    let client = crate::webhook::load(kubeconfig)?;
    Ok(Target {
        url: client.url,
        tls: client.tls,
        headers: client.headers,
    })
}

/// Reads an AuthorizationConfiguration file's bytes (YAML or JSON), with kube's checks.
fn load(data: &[u8]) -> Result<AuthorizationConfig, String> {
    let doc: serde_json::Value = if data.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_yaml::from_slice(data).map_err(|e| e.to_string())?
    };
    let stat = |path: &str| match std::fs::metadata(path) {
        Ok(m) => Ok(m.is_file()),
        Err(e) => Err(format!("stat {path}: {}", io_text(&e))),
    };
    config::load(&doc, &stat)
}

/// An I/O error as Go prints it (`no such file or directory`).
fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text,
    }
}

/// The authorizers of a loaded configuration.
fn build(c: &AuthorizationConfig) -> Result<Vec<Arc<dyn Authorizer>>, String> {
    c.authorizers
        .iter()
        .map(|a| match (&a.webhook, a.mode) {
            (Some(w), _) => {
                let target = target(Path::new(&w.kubeconfig_file))
                    .map_err(|e| format!("invalid authorization config: {e}"))?;
                Ok(Arc::new(AuthzWebhook::configured(target, w)) as Arc<dyn Authorizer>)
            }
            (None, mode) => mode
                .authorizer()
                .ok_or_else(|| format!("authorizer type {} is not supported by Gatehouse", mode.as_str())),
        })
        .collect()
}

/// A changed file's chain, or why it is not taken: it does not load, drops a type the
/// server started with, or adds Node, RBAC or ABAC.
fn reloaded(data: &[u8], fixed: &[Mode]) -> Result<Vec<Arc<dyn Authorizer>>, String> {
    let c = load(data)?;
    let present: Vec<Mode> = c.authorizers.iter().map(|a| a.mode).collect();
    let missing: Vec<&str> = fixed
        .iter()
        .filter(|m| !present.contains(m))
        .map(|m| m.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing required types: [{}]", missing.join(" ")));
    }
    if let Some(m) = present
        .iter()
        .find(|m| matches!(m, Mode::Node | Mode::Rbac | Mode::Abac) && !fixed.contains(m))
    {
        return Err(format!(
            "authorizer type {} is not allowed if it was not enabled at initial server startup",
            m.as_str()
        ));
    }
    build(&c)
}

/// Watches the configuration file and hands each new chain to the server.
pub fn watch(
    path: PathBuf,
    fixed: Vec<Mode>,
    mut last: Vec<u8>,
    inputs: async_channel::Sender<Input>,
) -> Result<(), HostError> {
    std::thread::Builder::new()
        .name("gatehouse-authz-config".into())
        .spawn(move || loop {
            std::thread::sleep(RELOAD_POLL);
            let data = match std::fs::read(&path) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!(
                        "gatehouse: reloading authorization config: {}: {e}",
                        path.display()
                    );
                    continue;
                }
            };
            if data == last {
                continue;
            }
            // Remembered first: a file that does not load is tried again only once it changes.
            last = data.clone();
            eprintln!(
                "gatehouse: found new authorization config data in {}",
                path.display()
            );
            match reloaded(&data, &fixed) {
                Ok(chain) => {
                    if inputs.send_blocking(Input::Authorizers(chain)).is_err() {
                        return;
                    }
                    eprintln!("gatehouse: reloaded authz config");
                }
                Err(e) => {
                    eprintln!("gatehouse: reloading authorization config: {e}; keeping the running chain")
                }
            }
        })
        .map_err(|e| HostError::io("authorization config watcher", e))?;
    Ok(())
}
