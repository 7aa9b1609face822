//! Every admission plugin kube-apiserver v1.32 knows, in kube's fixed order, which of them
//! are on by default, and which Gatehouse has. `--enable-admission-plugins` and
//! `--disable-admission-plugins` pick from this table as kube's admission options do; the
//! order of a chain is always the table's, never the flags'.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::{
    always, always_pull_images, certificates, default_ingress_class, default_storage_class,
    default_toleration_seconds, deny_service_external_ips, event_rate_limit, extended_resource_toleration,
    gated, limit_pod_hard_anti_affinity_topology, limit_ranger, namespace_auto_provision, namespace_exists,
    namespace_lifecycle, node_restriction, owner_references, persistent_volume_claim_resize,
    pod_node_selector, pod_security, pod_toleration_restriction, policy, priority, resource_quota,
    runtime_class, service_account, storage_object_in_use_protection, taint_nodes_by_condition, webhook,
    Chain, Plugin,
};

/// Builds a plugin from its configuration (`Value::Null` when the AdmissionConfiguration has
/// none for it); `Err` is the reason the configuration is refused.
pub type Build = fn(&Value) -> Result<Arc<dyn Plugin>, String>;

/// One admission plugin of kube-apiserver.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Its name, as the flags spell it.
    pub name: &'static str,
    /// Whether kube-apiserver v1.32 runs it when the flags do not say.
    pub default_on: bool,
    /// How Gatehouse builds it; `None` while Gatehouse does not have it.
    pub build: Option<Build>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const fn on(name: &'static str, build: Option<Build>) -> Entry {
    Entry {
        name,
        default_on: true,
        build,
    }
}

const fn off(name: &'static str, build: Option<Build>) -> Entry {
    Entry {
        name,
        default_on: false,
        build,
    }
}

/// kube's `AllOrderedPlugins` of v1.32: the order every chain runs in.
pub const ALL: &[Entry] = &[
    off("AlwaysAdmit", Some(always::admit)),
    off("NamespaceAutoProvision", Some(namespace_auto_provision::build)),
    on("NamespaceLifecycle", Some(namespace_lifecycle::build)),
    off("NamespaceExists", Some(namespace_exists::build)),
    off(
        "LimitPodHardAntiAffinityTopology",
        Some(limit_pod_hard_anti_affinity_topology::build),
    ),
    on("LimitRanger", Some(limit_ranger::build)),
    on("ServiceAccount", Some(service_account::build)),
    off("NodeRestriction", Some(node_restriction::build)),
    on("TaintNodesByCondition", Some(taint_nodes_by_condition::build)),
    off("AlwaysPullImages", Some(always_pull_images::build)),
    off("ImagePolicyWebhook", None),
    on("PodSecurity", Some(pod_security::build)),
    off("PodNodeSelector", Some(pod_node_selector::build)),
    on("Priority", Some(priority::build)),
    on(
        "DefaultTolerationSeconds",
        Some(default_toleration_seconds::build),
    ),
    off(
        "PodTolerationRestriction",
        Some(pod_toleration_restriction::build),
    ),
    off("EventRateLimit", Some(event_rate_limit::build)),
    off(
        "ExtendedResourceToleration",
        Some(extended_resource_toleration::build),
    ),
    on("DefaultStorageClass", Some(default_storage_class::build)),
    on(
        "StorageObjectInUseProtection",
        Some(storage_object_in_use_protection::build),
    ),
    off(
        "OwnerReferencesPermissionEnforcement",
        Some(owner_references::build),
    ),
    on(
        "PersistentVolumeClaimResize",
        Some(persistent_volume_claim_resize::build),
    ),
    on("RuntimeClass", Some(runtime_class::build)),
    on("CertificateApproval", Some(certificates::approval::build)),
    on("CertificateSigning", Some(certificates::signing::build)),
    on(
        "ClusterTrustBundleAttest",
        Some(gated::cluster_trust_bundle_attest),
    ),
    on(
        "CertificateSubjectRestriction",
        Some(certificates::subject_restriction::build),
    ),
    on("DefaultIngressClass", Some(default_ingress_class::build)),
    off("DenyServiceExternalIPs", Some(deny_service_external_ips::build)),
    on("MutatingAdmissionPolicy", Some(gated::mutating_admission_policy)),
    on("MutatingAdmissionWebhook", Some(webhook::build_mutating)),
    on("ValidatingAdmissionPolicy", Some(policy::build)),
    on("ValidatingAdmissionWebhook", Some(webhook::build_validating)),
    on("ResourceQuota", Some(resource_quota::build)),
    off("AlwaysDeny", Some(always::deny)),
];

/// The plugin called `name`.
pub fn find(name: &str) -> Option<&'static Entry> {
    ALL.iter().find(|e| e.name == name)
}

/// The plugins `--enable-admission-plugins` and `--disable-admission-plugins` select, in
/// kube's order: the default ones and those enabled, less those disabled. Refused with
/// kube's messages, all of them: a name kube does not know, a name in both lists.
pub fn enabled(enable: &[String], disable: &[String]) -> Result<Vec<&'static Entry>, Vec<String>> {
    let mut errors = Vec::new();
    for (flag, names) in [("enable", enable), ("disable", disable)] {
        for name in names.iter().filter(|n| find(n).is_none()) {
            errors.push(format!(
                "{flag}-admission-plugins plugin {} is unknown",
                crate::validation::go_quote(name)
            ));
        }
    }
    let mut both: Vec<&str> = enable
        .iter()
        .filter(|n| disable.contains(n))
        .map(String::as_str)
        .collect();
    both.sort_unstable();
    both.dedup();
    if !both.is_empty() {
        errors.push(format!(
            "[{}] in enable-admission-plugins and disable-admission-plugins overlapped",
            both.join(" ")
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ALL
        .iter()
        .filter(|e| {
            (e.default_on || enable.iter().any(|n| n == e.name)) && !disable.iter().any(|n| n == e.name)
        })
        .collect())
}

/// A chain built from a selection.
#[derive(Debug)]
pub struct Built {
    /// The chain, in kube's order.
    pub chain: Chain,
    /// Default plugins Gatehouse does not have yet, left out (the caller logs them).
    pub missing: Vec<&'static str>,
}

/// Builds the chain of `enabled` plugins, each with its configuration from `configs`
/// (by plugin name). A plugin asked for by name that Gatehouse does not have is refused by
/// name; `explicit` says which were. A configuration for a plugin that is not enabled is
/// ignored, as kube ignores it.
pub fn build_selected(
    enabled: &[&'static Entry],
    explicit: &[String],
    configs: &BTreeMap<String, Value>,
) -> Result<Built, String> {
    let mut plugins = Vec::new();
    let mut missing = Vec::new();
    for entry in enabled {
        let Some(build) = entry.build else {
            if explicit.iter().any(|n| n == entry.name) {
                return Err(format!(
                    "admission plugin {:?} is not supported by Gatehouse yet",
                    entry.name
                ));
            }
            missing.push(entry.name);
            continue;
        };
        let config = configs.get(entry.name).unwrap_or(&Value::Null);
        let plugin = build(config).map_err(|e| format!("admission plugin {:?}: {e}", entry.name))?;
        plugins.push(plugin);
    }
    Ok(Built {
        chain: Chain::of(plugins),
        missing,
    })
}

/// [`build_selected`] with no plugin named explicitly.
pub fn build(enabled: &[&'static Entry], configs: &BTreeMap<String, Value>) -> Result<Built, String> {
    build_selected(enabled, &[], configs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&Entry]) -> Vec<&'static str> {
        v.iter().map(|e| e.name).collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_default_set_is_kubes_in_kubes_order() {
        let on = names(&enabled(&[], &[]).unwrap());
        assert_eq!(on.len(), 21);
        assert_eq!(on.first(), Some(&"NamespaceLifecycle"));
        assert_eq!(on.last(), Some(&"ResourceQuota"));
        assert!(!on.contains(&"NodeRestriction"));
    }

    #[test]
    fn flags_add_and_remove_without_changing_the_order() {
        let on = names(&enabled(&s(&["AlwaysDeny", "NodeRestriction"]), &s(&["LimitRanger"])).unwrap());
        let i = |n| on.iter().position(|x| *x == n).unwrap();
        assert!(i("NamespaceLifecycle") < i("NodeRestriction"));
        assert!(i("ResourceQuota") < i("AlwaysDeny"));
        assert!(!on.contains(&"LimitRanger"));
    }

    #[test]
    fn unknown_and_overlapping_names_are_refused_with_kubes_messages() {
        let e = enabled(&s(&["Foo", "AlwaysDeny"]), &s(&["Bar", "AlwaysDeny"])).unwrap_err();
        assert_eq!(
            e,
            vec![
                "enable-admission-plugins plugin \"Foo\" is unknown",
                "disable-admission-plugins plugin \"Bar\" is unknown",
                "[AlwaysDeny] in enable-admission-plugins and disable-admission-plugins overlapped",
            ]
        );
    }

    #[test]
    fn a_plugin_asked_for_that_is_not_built_is_refused_by_name() {
        let Some(unbuilt) = ALL.iter().find(|e| e.build.is_none() && !e.default_on) else {
            return;
        };
        let explicit = s(&[unbuilt.name]);
        let on = enabled(&explicit, &[]).unwrap();
        let e = build_selected(&on, &explicit, &BTreeMap::new()).unwrap_err();
        assert!(e.contains(unbuilt.name), "{e}");
    }
}
