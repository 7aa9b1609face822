//! Validation and defaulting of built-in Kubernetes objects, mirroring
//! kube-apiserver (v1.32): the `pkg/apis/*/validation` rules and the
//! `pkg/apis/*/v1/defaults.go` defaulters, applied to objects held as
//! `serde_json::Value` in their v1 JSON form.
//!
//! Entry points: [`default_object`], [`validate_create`], [`validate_update`]
//! and [`name_rule`]. Errors are [`FieldError`]s whose messages match
//! Kubernetes' `field.Error` text; [`aggregate_message`] builds the 422
//! Status message.

mod apps;
mod autoscaling;
mod batch;
mod coordination;
mod core;
mod cron;
pub mod defaults;
mod field_error;
mod groups;
mod metadata;
mod names;
pub(crate) mod net;
mod pod;
mod policy;
mod quantity;
mod quota;
mod replication;
mod value;
mod volume;

pub use defaults::{default_object, generate_job_selector};
pub use field_error::{aggregate_message, go_quote, qualified_kind, ErrorType, FieldError};
pub use metadata::{selector_matches, validate_label_selector};
pub use names::{
    config_map_key_errors, dns1035_label_errors, dns1123_label_errors, dns1123_subdomain_errors,
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, label_value_errors, path_segment_errors,
    qualified_name_errors, NameRule,
};
pub use quantity::Quantity;
pub use value::Path;

use metadata::MetaOptions;
use serde_json::Value;

/// Validate one label key; errors are reported at `path`.
pub fn validate_label_key(key: &str, path: &str) -> Vec<FieldError> {
    metadata::validate_label_key(key, &Path::new(path))
}

/// Validate one label value; errors are reported at `path`.
pub fn validate_label_value(value: &str, path: &str) -> Vec<FieldError> {
    metadata::validate_label_value(value, &Path::new(path))
}

/// The kinds this module knows, by API group and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Namespace,
    ConfigMap,
    Secret,
    ServiceAccount,
    Service,
    Endpoints,
    Pod,
    Node,
    Event,
    PersistentVolume,
    PersistentVolumeClaim,
    PodTemplate,
    ReplicationController,
    ResourceQuota,
    LimitRange,
    Binding,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Lease,
    ControllerRevision,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
}

fn kind_of(group: &str, kind: &str) -> Option<Kind> {
    Some(match (group, kind) {
        ("", "Namespace") => Kind::Namespace,
        ("", "ConfigMap") => Kind::ConfigMap,
        ("", "Secret") => Kind::Secret,
        ("", "ServiceAccount") => Kind::ServiceAccount,
        ("", "Service") => Kind::Service,
        ("", "Endpoints") => Kind::Endpoints,
        ("", "Pod") => Kind::Pod,
        ("", "Node") => Kind::Node,
        ("", "Event") => Kind::Event,
        ("", "PersistentVolume") => Kind::PersistentVolume,
        ("", "PersistentVolumeClaim") => Kind::PersistentVolumeClaim,
        ("", "PodTemplate") => Kind::PodTemplate,
        ("", "ReplicationController") => Kind::ReplicationController,
        ("", "ResourceQuota") => Kind::ResourceQuota,
        ("", "LimitRange") => Kind::LimitRange,
        ("", "Binding") => Kind::Binding,
        ("apps", "Deployment") => Kind::Deployment,
        ("apps", "ReplicaSet") => Kind::ReplicaSet,
        ("apps", "StatefulSet") => Kind::StatefulSet,
        ("apps", "DaemonSet") => Kind::DaemonSet,
        ("batch", "Job") => Kind::Job,
        ("batch", "CronJob") => Kind::CronJob,
        ("coordination.k8s.io", "Lease") => Kind::Lease,
        ("apps", "ControllerRevision") => Kind::ControllerRevision,
        ("autoscaling", "HorizontalPodAutoscaler") => Kind::HorizontalPodAutoscaler,
        ("policy", "PodDisruptionBudget") => Kind::PodDisruptionBudget,
        _ => return None,
    })
}

/// Which validator Kubernetes applies to `metadata.name` of a kind. Unknown
/// kinds get the DNS-1123 subdomain rule, Kubernetes' common default.
pub fn name_rule(group: &str, kind: &str) -> NameRule {
    match kind_of(group, kind) {
        Some(Kind::Namespace) | Some(Kind::StatefulSet) => NameRule::Dns1123Label,
        Some(Kind::Service) => NameRule::Dns1035Label,
        Some(Kind::Event) | Some(Kind::Binding) => NameRule::None,
        // Only the generic path-segment check runs on these names.
        Some(Kind::PodDisruptionBudget) => NameRule::PathSegment,
        _ => match (group, kind) {
            ("rbac.authorization.k8s.io", _) => NameRule::PathSegment,
            _ => groups::name_rule(group, kind).unwrap_or(NameRule::Dns1123Subdomain),
        },
    }
}

fn meta_options(k: Kind, group: &str, kind: &str) -> MetaOptions {
    let namespaced = !matches!(k, Kind::Namespace | Kind::Node | Kind::PersistentVolume);
    MetaOptions {
        namespaced,
        name_rule: name_rule(group, kind),
    }
}

/// ObjectMeta options of a kind outside [`Kind`]: the groups module's scope
/// and name rule where it knows the kind, else namespaced with the default rule.
fn other_meta_options(group: &str, kind: &str) -> MetaOptions {
    MetaOptions {
        namespaced: groups::namespaced(group, kind).unwrap_or(true),
        name_rule: name_rule(group, kind),
    }
}

/// Validate a new object. Unknown kinds get only the ObjectMeta rules
/// (namespaced, DNS-1123 subdomain name).
pub fn validate_create(group: &str, kind: &str, obj: &Value) -> Vec<FieldError> {
    let Some(k) = kind_of(group, kind) else {
        let opts = other_meta_options(group, kind);
        let meta = metadata::validate_object_meta(obj, opts);
        return groups::validate_create(group, kind, obj, meta);
    };
    let opts = meta_options(k, group, kind);
    let meta = || metadata::validate_object_meta(obj, opts);
    match k {
        Kind::Namespace => core::validate_namespace(obj, meta()),
        Kind::ConfigMap => core::validate_config_map(obj, meta()),
        Kind::Secret => core::validate_secret(obj, meta()),
        Kind::ServiceAccount => meta(),
        Kind::Service => core::validate_service(obj, meta()),
        Kind::Endpoints => core::validate_endpoints(obj, meta()),
        Kind::Pod => pod::validate_pod(obj, meta()),
        Kind::Node => core::validate_node(obj, meta()),
        Kind::Event => core::validate_event(obj),
        Kind::Deployment => apps::validate_deployment(obj, meta()),
        Kind::ReplicaSet => apps::validate_replica_set(obj, meta()),
        Kind::StatefulSet => apps::validate_stateful_set(obj, meta()),
        Kind::DaemonSet => apps::validate_daemon_set(obj, meta()),
        Kind::Job => batch::validate_job(obj, meta()),
        Kind::CronJob => batch::validate_cron_job(obj, meta()),
        Kind::Lease => coordination::validate_lease(obj, meta()),
        Kind::PersistentVolume => volume::validate_persistent_volume(obj, meta()),
        Kind::PersistentVolumeClaim => volume::validate_persistent_volume_claim(obj, meta()),
        Kind::PodTemplate => replication::validate_pod_template(obj, meta()),
        Kind::ReplicationController => replication::validate_replication_controller(obj, meta()),
        Kind::ResourceQuota => quota::validate_resource_quota(obj, meta()),
        Kind::LimitRange => quota::validate_limit_range(obj, meta()),
        Kind::Binding => replication::validate_binding(obj),
        Kind::ControllerRevision => apps::validate_controller_revision(obj, meta()),
        Kind::HorizontalPodAutoscaler => autoscaling::validate_horizontal_pod_autoscaler(obj, meta()),
        Kind::PodDisruptionBudget => policy::validate_pod_disruption_budget(obj, meta()),
    }
}

/// Validate an update from `old` to `new`: the create rules (re-checked on
/// the new object, except names which cannot change) plus immutability.
pub fn validate_update(group: &str, kind: &str, new: &Value, old: &Value) -> Vec<FieldError> {
    let Some(k) = kind_of(group, kind) else {
        let opts = other_meta_options(group, kind);
        let meta = metadata::validate_object_meta_update(new, old, opts);
        return groups::validate_update(group, kind, new, old, meta);
    };
    let opts = meta_options(k, group, kind);
    let meta = metadata::validate_object_meta_update(new, old, opts);
    match k {
        Kind::Namespace => core::validate_namespace_update(new, old, meta),
        Kind::ConfigMap => core::validate_config_map_update(new, old, meta),
        Kind::Secret => core::validate_secret_update(new, old, meta),
        Kind::ServiceAccount => meta,
        Kind::Service => core::validate_service_update(new, old, meta),
        Kind::Endpoints => core::validate_endpoints(new, meta),
        Kind::Pod => pod::validate_pod_update(new, old, meta),
        Kind::Node => core::validate_node_update(new, old, meta),
        Kind::Event => core::validate_event(new),
        Kind::Deployment => apps::validate_deployment_update(new, old, meta),
        Kind::ReplicaSet => apps::validate_replica_set_update(new, old, meta),
        Kind::StatefulSet => apps::validate_stateful_set_update(new, old, meta),
        Kind::DaemonSet => apps::validate_daemon_set_update(new, old, meta),
        Kind::Job => batch::validate_job_update(new, old, meta),
        Kind::CronJob => batch::validate_cron_job_update(new, meta),
        Kind::Lease => coordination::validate_lease(new, meta),
        Kind::PersistentVolume => volume::validate_persistent_volume_update(new, old, meta),
        Kind::PersistentVolumeClaim => volume::validate_persistent_volume_claim_update(new, old, meta),
        Kind::PodTemplate => replication::validate_pod_template(new, meta),
        Kind::ReplicationController => replication::validate_replication_controller_update(new, old, meta),
        Kind::ResourceQuota => quota::validate_resource_quota_update(new, old, meta),
        Kind::LimitRange => quota::validate_limit_range(new, meta),
        Kind::Binding => replication::validate_binding(new),
        Kind::ControllerRevision => apps::validate_controller_revision_update(new, old, meta),
        Kind::HorizontalPodAutoscaler => {
            autoscaling::validate_horizontal_pod_autoscaler_update(new, old, meta)
        }
        Kind::PodDisruptionBudget => policy::validate_pod_disruption_budget(new, meta),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn name_rules_per_kind() {
        assert_eq!(name_rule("", "Namespace"), NameRule::Dns1123Label);
        assert_eq!(name_rule("", "Service"), NameRule::Dns1035Label);
        assert_eq!(name_rule("", "ConfigMap"), NameRule::Dns1123Subdomain);
        assert_eq!(name_rule("", "Node"), NameRule::Dns1123Subdomain);
        assert_eq!(
            name_rule("rbac.authorization.k8s.io", "ClusterRole"),
            NameRule::PathSegment
        );
    }

    #[test]
    fn invalid_name_message_and_aggregate() {
        let cm = json!({"metadata": {"name": "Bad_Name", "namespace": "default"}});
        let errs = validate_create("", "ConfigMap", &cm);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].reason(), "FieldValueInvalid");
        assert_eq!(
            aggregate_message("ConfigMap", "Bad_Name", &errs),
            "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
    }

    #[test]
    fn service_account_and_unknown_kinds() {
        let sa = json!({"metadata": {"name": "default", "namespace": "ns"}});
        assert!(validate_create("", "ServiceAccount", &sa).is_empty());
        assert!(validate_create("example.com", "Widget", &sa).is_empty());
        let old = json!({"metadata": {"name": "default", "namespace": "ns", "uid": "a"}});
        let new = json!({"metadata": {"name": "default", "namespace": "ns", "uid": "b"}});
        assert_eq!(
            validate_update("", "ServiceAccount", &new, &old)[0].message(),
            "metadata.uid: Invalid value: \"b\": field is immutable"
        );
    }

    const KINDS: [(&str, &str); 26] = [
        ("", "Namespace"),
        ("", "ConfigMap"),
        ("", "Secret"),
        ("", "ServiceAccount"),
        ("", "Service"),
        ("", "Endpoints"),
        ("", "Pod"),
        ("", "Node"),
        ("", "Event"),
        ("apps", "Deployment"),
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("coordination.k8s.io", "Lease"),
        ("", "PersistentVolume"),
        ("", "PersistentVolumeClaim"),
        ("", "PodTemplate"),
        ("", "ReplicationController"),
        ("", "ResourceQuota"),
        ("", "LimitRange"),
        ("", "Binding"),
        ("apps", "ControllerRevision"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("policy", "PodDisruptionBudget"),
    ];

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-zA-Z0-9:/%._@ -]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            let keys = prop_oneof![
                Just("metadata".to_string()),
                Just("spec".to_string()),
                Just("name".to_string()),
                Just("containers".to_string()),
                Just("template".to_string()),
                Just("selector".to_string()),
                Just("ports".to_string()),
                Just("labels".to_string()),
                Just("data".to_string()),
                Just("type".to_string()),
                Just("image".to_string()),
                Just("matchLabels".to_string()),
                Just("resources".to_string()),
                Just("limits".to_string()),
                Just("volumes".to_string()),
                "[a-z]{1,6}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((keys, inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn random_json_never_panics(a in arb_json(), b in arb_json()) {
            for (g, k) in KINDS {
                let mut x = a.clone();
                default_object(g, k, &mut x);
                let _ = validate_create(g, k, &x).iter().map(FieldError::message).count();
                let _ = validate_create(g, k, &a);
                let _ = validate_update(g, k, &a, &b).iter().map(FieldError::message).count();
            }
        }

        #[test]
        fn random_strings_never_panic(s in "\\PC{0,40}") {
            let _ = qualified_name_errors(&s);
            let _ = label_value_errors(&s);
            let _ = dns1123_subdomain_errors(&s);
            let _ = Quantity::parse(&s);
            let _ = cron::parse_schedule(&s);
            let _ = net::parse_cidr(&s);
            let _ = NameRule::Dns1123Label.errors(&s, true);
        }
    }
}
