//! The admission chain from the flags: `--enable-admission-plugins`,
//! `--disable-admission-plugins` and `--admission-control-config-file`, refused at start-up
//! as kube-apiserver refuses them, and a plugin asked for by name that Gatehouse does not
//! have refused by name.

use std::path::Path;

use gatehouse_core::admission::{config, plugins, Chain};

use crate::error::HostError;
use crate::flags::Flags;

fn invalid(what: &str, reason: impl Into<String>) -> HostError {
    HostError::Invalid {
        what: what.to_string(),
        reason: reason.into(),
    }
}

/// The chain the flags select, built with the configuration file's plugin configurations.
pub fn chain(flags: &Flags) -> Result<Chain, HostError> {
    let enable: Vec<String> = nonempty(&flags.enable_admission_plugins);
    let disable: Vec<String> = nonempty(&flags.disable_admission_plugins);
    let enabled = plugins::enabled(&enable, &disable)
        .map_err(|errors| invalid("--enable-admission-plugins", errors.join(", ")))?;
    let mut configs = match &flags.admission_control_config_file {
        Some(path) => read_config(path)?,
        None => Default::default(),
    };
    // kube configures DefaultTolerationSeconds by flags, not by its configuration.
    configs.insert(
        "DefaultTolerationSeconds".into(),
        serde_json::json!({
            "notReadySeconds": flags.default_not_ready_toleration_seconds,
            "unreachableSeconds": flags.default_unreachable_toleration_seconds,
        }),
    );
    for plugin in ["MutatingAdmissionWebhook", "ValidatingAdmissionWebhook"] {
        if let Some(config) = configs.get_mut(plugin) {
            resolve_webhook_kubeconfig(config)?;
        }
    }
    let built = plugins::build_selected(&enabled, &enable, &configs)
        .map_err(|e| invalid("--admission-control-config-file", e))?;
    if !built.missing.is_empty() {
        eprintln!(
            "admission: default plugins Gatehouse does not have yet, not run: {}",
            built.missing.join(", ")
        );
    }
    eprintln!("admission: plugins in order: {}", built.chain.names().join(", "));
    Ok(built.chain)
}

fn nonempty(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

fn read_config(path: &Path) -> Result<std::collections::BTreeMap<String, serde_json::Value>, HostError> {
    let data = std::fs::read(path).map_err(|e| {
        invalid(
            "--admission-control-config-file",
            format!("unable to read admission control configuration from {path:?} [{e}]"),
        )
    })?;
    let read = |p: &str| std::fs::read(p).map_err(|e| e.to_string());
    let shown = path.to_string_lossy();
    config::load(&shown, &data, &read).map_err(|e| {
        invalid(
            "--admission-control-config-file",
            format!("failed to read plugin config: {e}"),
        )
    })
}

/// The admission webhooks' WebhookAdmissionConfiguration names a kubeconfig whose users are
/// the API server's credentials toward webhooks: read here, handed to the plugin as the
/// configuration's `resolvedUsers` (the core reads no file). A relative path is left for
/// the plugin to refuse as kube does.
fn resolve_webhook_kubeconfig(config: &mut serde_json::Value) -> Result<(), HostError> {
    let Some(file) = config.get("kubeConfigFile").and_then(serde_json::Value::as_str) else {
        return Ok(());
    };
    if !file.starts_with('/') {
        return Ok(());
    }
    let users = crate::webhook::admission_users(Path::new(file)).map_err(|e| {
        invalid(
            "--admission-control-config-file",
            format!("failed to read plugin config: {e}"),
        )
    })?;
    if let Some(map) = config.as_object_mut() {
        map.insert("resolvedUsers".into(), serde_json::Value::Array(users));
    }
    Ok(())
}
