//! Validation and defaulting of the kinds of the named API groups other than
//! apps, batch and coordination (networking, rbac, storage, scheduling, node,
//! discovery, certificates, admissionregistration, flowcontrol,
//! apiregistration, apiextensions and events).
//!
//! For a kind it does not know, every function answers `None` or hands back
//! the ObjectMeta errors unchanged, so such kinds get the generic rules only.

mod admissionregistration;
mod apiextensions;
mod apiregistration;
mod certificates;
mod common;
mod discovery;
mod events;
mod flowcontrol;
mod networking;
mod node;
mod rbac;
mod scheduling;
mod storage;

use super::field_error::FieldError;
use super::names::NameRule;
use serde_json::Value;

/// The kinds this module knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ingress,
    IngressClass,
    NetworkPolicy,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    StorageClass,
    CsiDriver,
    CsiNode,
    CsiStorageCapacity,
    VolumeAttachment,
    PriorityClass,
    RuntimeClass,
    EndpointSlice,
    CertificateSigningRequest,
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
    FlowSchema,
    PriorityLevelConfiguration,
    ApiService,
    CustomResourceDefinition,
    Event,
}

fn kind_of(group: &str, kind: &str) -> Option<Kind> {
    use Kind::*;
    Some(match (group, kind) {
        ("networking.k8s.io", "Ingress") => Ingress,
        ("networking.k8s.io", "IngressClass") => IngressClass,
        ("networking.k8s.io", "NetworkPolicy") => NetworkPolicy,
        ("rbac.authorization.k8s.io", "Role") => Role,
        ("rbac.authorization.k8s.io", "ClusterRole") => ClusterRole,
        ("rbac.authorization.k8s.io", "RoleBinding") => RoleBinding,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => ClusterRoleBinding,
        ("storage.k8s.io", "StorageClass") => StorageClass,
        ("storage.k8s.io", "CSIDriver") => CsiDriver,
        ("storage.k8s.io", "CSINode") => CsiNode,
        ("storage.k8s.io", "CSIStorageCapacity") => CsiStorageCapacity,
        ("storage.k8s.io", "VolumeAttachment") => VolumeAttachment,
        ("scheduling.k8s.io", "PriorityClass") => PriorityClass,
        ("node.k8s.io", "RuntimeClass") => RuntimeClass,
        ("discovery.k8s.io", "EndpointSlice") => EndpointSlice,
        ("certificates.k8s.io", "CertificateSigningRequest") => CertificateSigningRequest,
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => MutatingWebhookConfiguration,
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => ValidatingWebhookConfiguration,
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => ValidatingAdmissionPolicy,
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
            ValidatingAdmissionPolicyBinding
        }
        ("flowcontrol.apiserver.k8s.io", "FlowSchema") => FlowSchema,
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration") => PriorityLevelConfiguration,
        ("apiregistration.k8s.io", "APIService") => ApiService,
        ("apiextensions.k8s.io", "CustomResourceDefinition") => CustomResourceDefinition,
        ("events.k8s.io", "Event") => Event,
        _ => return None,
    })
}

/// Whether objects of a known kind live in namespaces.
pub(super) fn namespaced(group: &str, kind: &str) -> Option<bool> {
    use Kind::*;
    kind_of(group, kind).map(|k| {
        matches!(
            k,
            Ingress | NetworkPolicy | Role | RoleBinding | CsiStorageCapacity | EndpointSlice | Event
        )
    })
}

/// The `metadata.name` rule of a known kind, where it is not the DNS-1123 subdomain default.
pub(super) fn name_rule(group: &str, kind: &str) -> Option<NameRule> {
    use Kind::*;
    match kind_of(group, kind)? {
        Role | ClusterRole | RoleBinding | ClusterRoleBinding | ApiService => Some(NameRule::PathSegment),
        // Kubernetes does not care what certificate requests are called.
        CertificateSigningRequest => Some(NameRule::None),
        _ => None,
    }
}

/// Validate a new object of a known kind; `meta` holds the ObjectMeta errors already found.
pub(super) fn validate_create(
    group: &str,
    kind: &str,
    obj: &Value,
    meta: Vec<FieldError>,
) -> Vec<FieldError> {
    use Kind::*;
    let Some(k) = kind_of(group, kind) else {
        return meta;
    };
    match k {
        Ingress => networking::validate_ingress(obj, None, meta),
        IngressClass => networking::validate_ingress_class(obj, meta),
        NetworkPolicy => networking::validate_network_policy(obj, None, meta),
        Role => rbac::validate_role(obj, true, meta),
        ClusterRole => rbac::validate_role(obj, false, meta),
        RoleBinding => rbac::validate_binding(obj, true, meta),
        ClusterRoleBinding => rbac::validate_binding(obj, false, meta),
        StorageClass => storage::validate_storage_class(obj, meta),
        CsiDriver => storage::validate_csi_driver(obj, meta),
        CsiNode => storage::validate_csi_node(obj, None, meta),
        CsiStorageCapacity => storage::validate_csi_storage_capacity(obj, meta),
        VolumeAttachment => storage::validate_volume_attachment(obj, meta),
        PriorityClass => scheduling::validate_priority_class(obj, meta),
        RuntimeClass => node::validate_runtime_class(obj, meta),
        EndpointSlice => discovery::validate_endpoint_slice(obj, false, meta),
        CertificateSigningRequest => certificates::validate_csr(obj, None, meta),
        MutatingWebhookConfiguration => {
            admissionregistration::validate_webhook_configuration(obj, true, None, meta)
        }
        ValidatingWebhookConfiguration => {
            admissionregistration::validate_webhook_configuration(obj, false, None, meta)
        }
        ValidatingAdmissionPolicy => admissionregistration::validate_policy(obj, meta),
        ValidatingAdmissionPolicyBinding => admissionregistration::validate_binding(obj, meta),
        FlowSchema => flowcontrol::validate_flow_schema(obj, meta),
        PriorityLevelConfiguration => flowcontrol::validate_priority_level(obj, meta),
        ApiService => apiregistration::validate_api_service(obj, meta),
        CustomResourceDefinition => apiextensions::validate_crd(obj, meta),
        Event => events::validate_event(obj, meta),
    }
}

/// Validate an update of a known kind; `meta` holds the ObjectMeta update errors already found.
pub(super) fn validate_update(
    group: &str,
    kind: &str,
    new: &Value,
    old: &Value,
    meta: Vec<FieldError>,
) -> Vec<FieldError> {
    use Kind::*;
    let Some(k) = kind_of(group, kind) else {
        return meta;
    };
    match k {
        Ingress => networking::validate_ingress(new, Some(old), meta),
        IngressClass => networking::validate_ingress_class_update(new, old, meta),
        NetworkPolicy => networking::validate_network_policy(new, Some(old), meta),
        // Kubernetes re-runs the create rules first, then the ObjectMeta update rules.
        Role | ClusterRole => {
            let mut errs = rbac::validate_role(new, k == Role, Vec::new());
            errs.extend(meta);
            errs
        }
        RoleBinding => rbac::validate_binding_update(new, old, true, meta),
        ClusterRoleBinding => rbac::validate_binding_update(new, old, false, meta),
        StorageClass => storage::validate_storage_class_update(new, old, meta),
        CsiDriver => storage::validate_csi_driver_update(new, old, meta),
        CsiNode => storage::validate_csi_node(new, Some(old), meta),
        CsiStorageCapacity => storage::validate_csi_storage_capacity_update(new, old, meta),
        VolumeAttachment => storage::validate_volume_attachment_update(new, old, meta),
        PriorityClass => scheduling::validate_priority_class_update(new, old, meta),
        RuntimeClass => node::validate_runtime_class_update(new, old, meta),
        EndpointSlice => discovery::validate_endpoint_slice_update(new, old, meta),
        CertificateSigningRequest => certificates::validate_csr(new, Some(old), meta),
        MutatingWebhookConfiguration => {
            admissionregistration::validate_webhook_configuration(new, true, Some(old), meta)
        }
        ValidatingWebhookConfiguration => {
            admissionregistration::validate_webhook_configuration(new, false, Some(old), meta)
        }
        ValidatingAdmissionPolicy => admissionregistration::validate_policy(new, meta),
        ValidatingAdmissionPolicyBinding => admissionregistration::validate_binding(new, meta),
        FlowSchema => flowcontrol::validate_flow_schema(new, meta),
        PriorityLevelConfiguration => flowcontrol::validate_priority_level(new, meta),
        ApiService => apiregistration::validate_api_service(new, meta),
        CustomResourceDefinition => apiextensions::validate_crd_update(new, old, meta),
        Event => events::validate_event_update(new, old, meta),
    }
}

/// Fill in the defaults of a known kind; answers whether the kind was known.
pub(super) fn default_object(group: &str, kind: &str, obj: &mut Value) -> bool {
    use Kind::*;
    let Some(k) = kind_of(group, kind) else {
        return false;
    };
    if !obj.is_object() {
        return true;
    }
    match k {
        IngressClass => networking::default_ingress_class(obj),
        NetworkPolicy => networking::default_network_policy(obj),
        RoleBinding | ClusterRoleBinding => rbac::default_binding(obj),
        StorageClass => storage::default_storage_class(obj),
        CsiDriver => storage::default_csi_driver(obj),
        PriorityClass => scheduling::default_priority_class(obj),
        EndpointSlice => discovery::default_endpoint_slice(obj),
        CertificateSigningRequest => certificates::default_csr(obj),
        MutatingWebhookConfiguration => admissionregistration::default_webhook_configuration(obj, true),
        ValidatingWebhookConfiguration => admissionregistration::default_webhook_configuration(obj, false),
        ValidatingAdmissionPolicy => admissionregistration::default_policy(obj),
        ValidatingAdmissionPolicyBinding => admissionregistration::default_binding(obj),
        FlowSchema => flowcontrol::default_flow_schema(obj),
        PriorityLevelConfiguration => flowcontrol::default_priority_level(obj),
        ApiService => apiregistration::default_api_service(obj),
        CustomResourceDefinition => apiextensions::default_crd(obj),
        Ingress | Role | ClusterRole | CsiNode | CsiStorageCapacity | VolumeAttachment | RuntimeClass
        | Event => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{default_object, validate_create, validate_update};
    use super::*;
    use proptest::prelude::*;

    const KINDS: [(&str, &str); 25] = [
        ("networking.k8s.io", "Ingress"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "CSIStorageCapacity"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("apiregistration.k8s.io", "APIService"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("events.k8s.io", "Event"),
    ];

    #[test]
    fn scopes() {
        let namespaced_kinds = [
            "Ingress",
            "NetworkPolicy",
            "Role",
            "RoleBinding",
            "CSIStorageCapacity",
            "EndpointSlice",
            "Event",
        ];
        for (g, k) in KINDS {
            assert_eq!(namespaced(g, k), Some(namespaced_kinds.contains(&k)), "{k}");
        }
        assert_eq!(namespaced("example.com", "Widget"), None);
        assert_eq!(
            name_rule("apiregistration.k8s.io", "APIService"),
            Some(NameRule::PathSegment)
        );
        assert_eq!(name_rule("storage.k8s.io", "StorageClass"), None);
    }

    #[test]
    fn cluster_scoped_kind_refuses_namespace() {
        let pc = serde_json::json!({"metadata": {"name": "p", "namespace": "x"}, "value": 1});
        let errs = validate_create("scheduling.k8s.io", "PriorityClass", &pc);
        assert_eq!(
            errs[0].message(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9:/%._@* -]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            let keys = prop_oneof![
                Just("metadata".to_string()),
                Just("spec".to_string()),
                Just("name".to_string()),
                Just("rules".to_string()),
                Just("webhooks".to_string()),
                Just("clientConfig".to_string()),
                Just("service".to_string()),
                Just("versions".to_string()),
                Just("names".to_string()),
                Just("endpoints".to_string()),
                Just("ports".to_string()),
                Just("port".to_string()),
                Just("ingress".to_string()),
                Just("from".to_string()),
                Just("ipBlock".to_string()),
                Just("http".to_string()),
                Just("paths".to_string()),
                Just("backend".to_string()),
                Just("limited".to_string()),
                Just("limitResponse".to_string()),
                Just("queuing".to_string()),
                Just("subjects".to_string()),
                Just("drivers".to_string()),
                Just("request".to_string()),
                "[a-zA-Z]{1,8}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((keys, inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
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
    }
}
