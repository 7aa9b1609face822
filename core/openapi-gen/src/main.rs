//! Writes `schemas.json`, the OpenAPI schema data that Gatehouse embeds.
//!
//! The definitions come from the `schemars` implementations of the
//! Kubernetes 1.32 API types, keyed by their Kubernetes definition names and
//! written in OpenAPI v3 form (`$ref: "#/components/schemas/..."`). On top of
//! that the generator adds the Kubernetes vendor extensions:
//!
//! * `x-kubernetes-group-version-kind` on every kind and its list kind;
//! * `x-kubernetes-list-type` / `x-kubernetes-list-map-keys` /
//!   `x-kubernetes-map-type`, recovered from the merge strategies the
//!   Kubernetes type crate records for every list and map field;
//! * `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` for the
//!   keyed lists, plus the hand-written corrections in [`PATCH_OVERRIDES`]
//!   taken from the upstream struct tags;
//! * the upstream markers the type crate loses: [`FIELD_EXTENSIONS`],
//!   [`ATOMIC_STRUCTS`], [`EXTRA_REQUIRED`] and the untyped JSON holders in
//!   [`UNTYPED`].
//!
//! Usage: `cargo run --release -- [OUT] [K8S_OPENAPI_SRC]` (defaults:
//! `core/src/openapi/schemas.json` and the registry copy of the crate), then
//! `python3 check.py OUT [PREVIOUS]` to check that every served kind is there
//! and to list what changed against a previous file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use k8s_openapi::api::{
    admissionregistration, apps, authentication, authorization, autoscaling, batch, certificates,
    coordination, core, discovery, events, flowcontrol, networking, node, policy, rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration;
use k8s_openapi::{ListableResource, Resource};
use schemars::gen::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// A root type to export: its definition name and GVK, if it is a kind.
struct Root {
    add: fn(&mut SchemaGenerator),
    name: String,
    gvk: Option<(&'static str, &'static str, &'static str)>,
    list_kind: Option<&'static str>,
}

fn kind<T: Resource + ListableResource + JsonSchema>() -> Root {
    Root {
        add: |gen| {
            gen.subschema_for::<T>();
        },
        name: T::schema_name(),
        gvk: Some((T::GROUP, T::VERSION, T::KIND)),
        list_kind: Some(T::LIST_KIND),
    }
}

/// A kind that is served only as a subresource (no list kind).
fn sub_kind<T: Resource + JsonSchema>() -> Root {
    Root {
        add: |gen| {
            gen.subschema_for::<T>();
        },
        name: T::schema_name(),
        gvk: Some((T::GROUP, T::VERSION, T::KIND)),
        list_kind: None,
    }
}

fn plain<T: JsonSchema>() -> Root {
    Root {
        add: |gen| {
            gen.subschema_for::<T>();
        },
        name: T::schema_name(),
        gvk: None,
        list_kind: None,
    }
}

/// Everything exported: every kind a default v1.32 API server serves, plus
/// the meta types the server answers with. Adding a kind is one line here.
fn roots() -> Vec<Root> {
    vec![
        // core/v1
        kind::<core::v1::Namespace>(),
        kind::<core::v1::ConfigMap>(),
        kind::<core::v1::Secret>(),
        kind::<core::v1::ServiceAccount>(),
        kind::<core::v1::Service>(),
        kind::<core::v1::Endpoints>(),
        kind::<core::v1::Pod>(),
        kind::<core::v1::Node>(),
        kind::<core::v1::Event>(),
        kind::<core::v1::ComponentStatus>(),
        kind::<core::v1::LimitRange>(),
        kind::<core::v1::PersistentVolume>(),
        kind::<core::v1::PersistentVolumeClaim>(),
        kind::<core::v1::PodTemplate>(),
        kind::<core::v1::ReplicationController>(),
        kind::<core::v1::ResourceQuota>(),
        sub_kind::<core::v1::Binding>(),
        // apps/v1
        kind::<apps::v1::Deployment>(),
        kind::<apps::v1::ReplicaSet>(),
        kind::<apps::v1::StatefulSet>(),
        kind::<apps::v1::DaemonSet>(),
        kind::<apps::v1::ControllerRevision>(),
        // batch/v1
        kind::<batch::v1::Job>(),
        kind::<batch::v1::CronJob>(),
        // coordination.k8s.io/v1
        kind::<coordination::v1::Lease>(),
        // autoscaling/v1 and autoscaling/v2
        sub_kind::<autoscaling::v1::Scale>(),
        kind::<autoscaling::v1::HorizontalPodAutoscaler>(),
        kind::<autoscaling::v2::HorizontalPodAutoscaler>(),
        // admissionregistration.k8s.io/v1
        kind::<admissionregistration::v1::MutatingWebhookConfiguration>(),
        kind::<admissionregistration::v1::ValidatingWebhookConfiguration>(),
        kind::<admissionregistration::v1::ValidatingAdmissionPolicy>(),
        kind::<admissionregistration::v1::ValidatingAdmissionPolicyBinding>(),
        // apiextensions.k8s.io/v1
        kind::<apiextensions::v1::CustomResourceDefinition>(),
        // apiregistration.k8s.io/v1
        kind::<apiregistration::v1::APIService>(),
        // authentication.k8s.io/v1: create-only reviews and the token subresource
        sub_kind::<authentication::v1::TokenReview>(),
        sub_kind::<authentication::v1::SelfSubjectReview>(),
        sub_kind::<authentication::v1::TokenRequest>(),
        // authorization.k8s.io/v1: create-only reviews
        sub_kind::<authorization::v1::LocalSubjectAccessReview>(),
        sub_kind::<authorization::v1::SelfSubjectAccessReview>(),
        sub_kind::<authorization::v1::SelfSubjectRulesReview>(),
        sub_kind::<authorization::v1::SubjectAccessReview>(),
        // certificates.k8s.io/v1
        kind::<certificates::v1::CertificateSigningRequest>(),
        // discovery.k8s.io/v1
        kind::<discovery::v1::EndpointSlice>(),
        // events.k8s.io/v1
        kind::<events::v1::Event>(),
        // flowcontrol.apiserver.k8s.io/v1
        kind::<flowcontrol::v1::FlowSchema>(),
        kind::<flowcontrol::v1::PriorityLevelConfiguration>(),
        // networking.k8s.io/v1
        kind::<networking::v1::Ingress>(),
        kind::<networking::v1::IngressClass>(),
        kind::<networking::v1::NetworkPolicy>(),
        // node.k8s.io/v1
        kind::<node::v1::RuntimeClass>(),
        // policy/v1
        kind::<policy::v1::PodDisruptionBudget>(),
        sub_kind::<policy::v1::Eviction>(),
        // rbac.authorization.k8s.io/v1
        kind::<rbac::v1::ClusterRole>(),
        kind::<rbac::v1::ClusterRoleBinding>(),
        kind::<rbac::v1::Role>(),
        kind::<rbac::v1::RoleBinding>(),
        // scheduling.k8s.io/v1
        kind::<scheduling::v1::PriorityClass>(),
        // storage.k8s.io/v1
        kind::<storage::v1::CSIDriver>(),
        kind::<storage::v1::CSINode>(),
        kind::<storage::v1::CSIStorageCapacity>(),
        kind::<storage::v1::StorageClass>(),
        kind::<storage::v1::VolumeAttachment>(),
        // meta
        plain::<meta::v1::Status>(),
        plain::<meta::v1::DeleteOptions>(),
        plain::<meta::v1::ListMeta>(),
        plain::<meta::v1::Patch>(),
        plain::<meta::v1::WatchEvent<core::v1::Pod>>(),
        plain::<meta::v1::APIVersions>(),
        plain::<meta::v1::APIGroupList>(),
        plain::<meta::v1::APIResourceList>(),
        plain::<k8s_openapi::apimachinery::pkg::version::Info>(),
    ]
}

/// Kinds whose `x-kubernetes-group-version-kind` also names other groups
/// that serve the same schema (upstream lists every GVK using a type).
const EXTRA_GVKS: &[(&str, [&str; 3])] = &[
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        ["", "v1", "Status"],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        ["", "v1", "DeleteOptions"],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        ["apps", "v1", "DeleteOptions"],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        ["batch", "v1", "DeleteOptions"],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        ["coordination.k8s.io", "v1", "DeleteOptions"],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        ["autoscaling", "v1", "DeleteOptions"],
    ),
];

/// The further served group-versions whose `DeleteOptions` GVK names the
/// shared meta definition (the ones above come first, as before).
const DELETE_OPTIONS_GROUP_VERSIONS: &[(&str, &str)] = &[
    ("admissionregistration.k8s.io", "v1"),
    ("apiextensions.k8s.io", "v1"),
    ("apiregistration.k8s.io", "v1"),
    ("authentication.k8s.io", "v1"),
    ("authorization.k8s.io", "v1"),
    ("autoscaling", "v2"),
    ("certificates.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
    ("events.k8s.io", "v1"),
    ("flowcontrol.apiserver.k8s.io", "v1"),
    ("networking.k8s.io", "v1"),
    ("node.k8s.io", "v1"),
    ("policy", "v1"),
    ("rbac.authorization.k8s.io", "v1"),
    ("scheduling.k8s.io", "v1"),
    ("storage.k8s.io", "v1"),
];

/// Patch metadata that the merge strategies do not carry, from the upstream
/// `patchStrategy`/`patchMergeKey`/`listMapKey` struct tags:
/// (definition, field, patch strategy, patch merge key, list map keys).
/// An empty strategy removes the patch extensions for that field.
const PATCH_OVERRIDES: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "finalizers",
        "merge",
        "",
        &[],
    ),
    ("io.k8s.api.core.v1.NodeSpec", "podCIDRs", "merge", "", &[]),
    (
        "io.k8s.api.core.v1.PodSpec",
        "volumes",
        "merge,retainKeys",
        "name",
        &["name"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "resourceClaims",
        "merge,retainKeys",
        "name",
        &["name"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "topologySpreadConstraints",
        "merge",
        "topologyKey",
        &["topologyKey", "whenUnsatisfiable"],
    ),
    (
        "io.k8s.api.core.v1.PodStatus",
        "resourceClaimStatuses",
        "merge,retainKeys",
        "name",
        &["name"],
    ),
    (
        "io.k8s.api.core.v1.Container",
        "ports",
        "merge",
        "containerPort",
        &["containerPort", "protocol"],
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "ports",
        "merge",
        "containerPort",
        &["containerPort", "protocol"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ports",
        "merge",
        "port",
        &["port", "protocol"],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentSpec",
        "strategy",
        "retainKeys",
        "",
        &[],
    ),
    (
        "io.k8s.api.core.v1.ResourceRequirements",
        "claims",
        "",
        "",
        &["name"],
    ),
    (
        "io.k8s.api.core.v1.ContainerStatus",
        "allocatedResourcesStatus",
        "",
        "",
        &["name"],
    ),
    (
        "io.k8s.api.core.v1.ResourceStatus",
        "resources",
        "",
        "",
        &["resourceID"],
    ),
    // Keyed condition lists that upstream leaves without a patch strategy.
    (
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyStatus",
        "conditions",
        "",
        "",
        &["type"],
    ),
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequestStatus",
        "conditions",
        "",
        "",
        &["type"],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus",
        "conditions",
        "",
        "",
        &["type"],
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetSpec",
        "selector",
        "replace",
        "",
        &[],
    ),
];

/// Other field extensions from upstream `+listType`/`+mapType`/`+structType`
/// markers that the merge strategies do not carry: byte strings marked as
/// atomic lists and references marked granular.
/// (definition, field, extension, value).
const FIELD_EXTENSIONS: &[(&str, &str, &str, &str)] = &[
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequestSpec",
        "request",
        "x-kubernetes-list-type",
        "atomic",
    ),
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequestStatus",
        "certificate",
        "x-kubernetes-list-type",
        "atomic",
    ),
    (
        "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec",
        "caBundle",
        "x-kubernetes-list-type",
        "atomic",
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeSpec",
        "claimRef",
        "x-kubernetes-map-type",
        "granular",
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimStatus",
        "allocatedResourceStatuses",
        "x-kubernetes-map-type",
        "granular",
    ),
];

/// Fields upstream requires that the type crate makes optional:
/// (definition, field).
const EXTRA_REQUIRED: &[(&str, &str)] = &[("io.k8s.api.events.v1.Event", "eventTime")];

/// Definitions that hold any JSON value; upstream publishes them untyped,
/// with only a description (CRD `default`, `enum`, `items`, ...).
const UNTYPED: &[&str] = &[
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
];

/// Definitions of structs marked `+structType=atomic` upstream: apply and
/// strategic merge replace them whole (`x-kubernetes-map-type: atomic`).
const ATOMIC_STRUCTS: &[&str] = &[
    "io.k8s.api.admissionregistration.v1.MatchResources",
    "io.k8s.api.admissionregistration.v1.NamedRuleWithOperations",
    "io.k8s.api.admissionregistration.v1.ParamKind",
    "io.k8s.api.admissionregistration.v1.ParamRef",
    "io.k8s.api.admissionregistration.v1.Variable",
    "io.k8s.api.autoscaling.v1.CrossVersionObjectReference",
    "io.k8s.api.core.v1.ConfigMapKeySelector",
    "io.k8s.api.core.v1.EndpointAddress",
    "io.k8s.api.core.v1.EndpointPort",
    "io.k8s.api.core.v1.LocalObjectReference",
    "io.k8s.api.core.v1.NodeSelector",
    "io.k8s.api.core.v1.NodeSelectorTerm",
    "io.k8s.api.core.v1.ObjectFieldSelector",
    "io.k8s.api.core.v1.ObjectReference",
    "io.k8s.api.core.v1.ResourceFieldSelector",
    "io.k8s.api.core.v1.ScopeSelector",
    "io.k8s.api.core.v1.SecretKeySelector",
    "io.k8s.api.core.v1.SecretReference",
    "io.k8s.api.core.v1.TopologySelectorTerm",
    "io.k8s.api.core.v1.TypedLocalObjectReference",
    "io.k8s.api.discovery.v1.EndpointPort",
    "io.k8s.api.networking.v1.ServiceBackendPort",
    "io.k8s.api.rbac.v1.RoleRef",
    "io.k8s.api.rbac.v1.Subject",
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/openapi/schemas.json"));
    let src = args.next().map(PathBuf::from).unwrap_or_else(find_crate_source);

    let mut settings = SchemaSettings::openapi3();
    settings.visitors.clear();
    settings.meta_schema = None;
    let mut gen = settings.into_generator();
    let roots = roots();
    for root in &roots {
        (root.add)(&mut gen);
    }
    let mut defs: BTreeMap<String, Value> = gen
        .take_definitions()
        .into_iter()
        .map(|(k, v)| (k, serde_json::to_value(v).expect("schema serializes")))
        .collect();

    let strategies = merge_strategies(&src.join("src/v1_32"));
    let names: Vec<String> = defs.keys().cloned().collect();
    for name in &names {
        let Some(fields) = strategies.get(name) else {
            continue;
        };
        for (field, strategy) in fields {
            apply_strategy(&mut defs, name, field, strategy);
        }
    }
    for (def, field, strategy, key, map_keys) in PATCH_OVERRIDES {
        let Some(prop) = defs
            .get_mut(*def)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*field))
            .and_then(Value::as_object_mut)
        else {
            eprintln!("warning: patch override: no property {def}.{field}");
            continue;
        };
        prop.remove("x-kubernetes-patch-strategy");
        prop.remove("x-kubernetes-patch-merge-key");
        if !strategy.is_empty() {
            prop.insert("x-kubernetes-patch-strategy".into(), json!(strategy));
        }
        if !key.is_empty() {
            prop.insert("x-kubernetes-patch-merge-key".into(), json!(key));
        }
        if !map_keys.is_empty() {
            prop.insert("x-kubernetes-list-type".into(), json!("map"));
            prop.insert("x-kubernetes-list-map-keys".into(), json!(map_keys));
        }
    }

    for (def, field, extension, value) in FIELD_EXTENSIONS {
        let Some(prop) = defs
            .get_mut(*def)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*field))
            .and_then(Value::as_object_mut)
        else {
            eprintln!("warning: field extension: no property {def}.{field}");
            continue;
        };
        prop.insert((*extension).into(), json!(value));
    }
    for def in ATOMIC_STRUCTS {
        match defs.get_mut(*def).and_then(Value::as_object_mut) {
            Some(obj) => {
                obj.insert("x-kubernetes-map-type".into(), json!("atomic"));
            }
            None => eprintln!("warning: atomic struct: no definition {def}"),
        }
    }

    for (def, field) in EXTRA_REQUIRED {
        let Some(obj) = defs.get_mut(*def).and_then(Value::as_object_mut) else {
            eprintln!("warning: extra required: no definition {def}");
            continue;
        };
        let req = obj.entry("required").or_insert_with(|| json!([]));
        if let Some(req) = req.as_array_mut() {
            if !req.iter().any(|r| r == field) {
                req.push(json!(field));
            }
        }
    }
    for def in UNTYPED {
        match defs.get_mut(*def).and_then(Value::as_object_mut) {
            Some(obj) => obj.retain(|k, _| k == "description"),
            None => eprintln!("warning: untyped: no definition {def}"),
        }
    }

    let mut gvks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for root in &roots {
        let Some((group, version, kind)) = root.gvk else {
            continue;
        };
        // The typed crate makes `metadata` mandatory; the API does not.
        if let Some(Value::Array(req)) = defs.get_mut(&root.name).and_then(|d| d.get_mut("required")) {
            req.retain(|r| r != "metadata");
        }
        gvks.entry(root.name.clone())
            .or_default()
            .push(json!({"group": group, "kind": kind, "version": version}));
        if let Some(list_kind) = root.list_kind {
            let list_name = format!("{}List", root.name);
            defs.insert(list_name.clone(), list_schema(&root.name, kind));
            gvks.entry(list_name)
                .or_default()
                .push(json!({"group": group, "kind": list_kind, "version": version}));
        }
    }
    for (def, [group, version, kind]) in EXTRA_GVKS {
        gvks.entry((*def).to_owned())
            .or_default()
            .push(json!({"group": group, "kind": kind, "version": version}));
    }
    for (group, version) in DELETE_OPTIONS_GROUP_VERSIONS {
        gvks.entry("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions".to_owned())
            .or_default()
            .push(json!({"group": group, "kind": "DeleteOptions", "version": version}));
    }

    let mut out_defs = Map::new();
    for (name, mut schema) in defs {
        normalize(&mut schema, &name);
        if let (Some(list), Some(obj)) = (gvks.get(&name), schema.as_object_mut()) {
            obj.insert(
                "x-kubernetes-group-version-kind".into(),
                Value::Array(list.clone()),
            );
        }
        out_defs.insert(name, schema);
    }
    let text = serde_json::to_string(&Value::Object(out_defs)).expect("json");
    std::fs::write(&out, text.as_bytes()).expect("write schemas.json");
    eprintln!("wrote {} ({} bytes)", out.display(), text.len());
}

/// The `<Kind>List` definition, shaped like the upstream list types.
fn list_schema(item: &str, kind: &str) -> Value {
    json!({
        "description": format!("{kind}List is a list of {kind} objects."),
        "type": "object",
        "properties": {
            "apiVersion": {
                "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                "type": "string"
            },
            "items": {
                "description": format!("Items is the list of {kind} objects."),
                "type": "array",
                "items": {"$ref": format!("#/components/schemas/{item}")}
            },
            "kind": {
                "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                "type": "string"
            },
            "metadata": {
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
                "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
            }
        },
        "required": ["items"]
    })
}

/// Brings one schema into the upstream v3 shape.
fn normalize(schema: &mut Value, name: &str) {
    if name == "io.k8s.apimachinery.pkg.util.intstr.IntOrString" {
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("type".into(), json!("string"));
            obj.insert("format".into(), json!("int-or-string"));
        }
    }
    normalize_node(schema, true);
}

fn normalize_node(schema: &mut Value, top: bool) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    // A reference with siblings (a field description) becomes allOf, as in
    // the upstream v3 documents.
    if !top && obj.contains_key("$ref") && obj.len() > 1 {
        if let Some(r) = obj.remove("$ref") {
            obj.insert("allOf".into(), json!([{"$ref": r}]));
        }
    }
    for key in ["properties"] {
        if let Some(Value::Object(props)) = obj.get_mut(key) {
            for (_, p) in props.iter_mut() {
                normalize_node(p, false);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v) = obj.get_mut(key) {
            normalize_node(v, false);
        }
    }
    if let Some(Value::Array(req)) = obj.get("required") {
        if req.is_empty() {
            obj.remove("required");
        }
    }
}

/// Merge strategy of one field, as the type crate records it.
enum Strategy {
    ListAtomic,
    ListSet,
    ListMap(Vec<String>),
    MapAtomic,
    MapGranular,
}

fn apply_strategy(defs: &mut BTreeMap<String, Value>, def: &str, rust_field: &str, strategy: &Strategy) {
    let Some(props) = defs
        .get(def)
        .and_then(|d| d.get("properties"))
        .and_then(Value::as_object)
    else {
        return;
    };
    let Some(field) = props.keys().find(|k| same_name(k, rust_field)).cloned() else {
        eprintln!("warning: {def}: no property for {rust_field}");
        return;
    };
    // Keys of a keyed list are named after the item type's properties.
    let item_props: Vec<String> = props
        .get(&field)
        .and_then(|p| p.get("items"))
        .and_then(|i| i.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|item| defs.get(item))
        .and_then(|d| d.get("properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let Some(prop) = defs
        .get_mut(def)
        .and_then(|d| d.get_mut("properties"))
        .and_then(|p| p.get_mut(&field))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    match strategy {
        Strategy::ListAtomic => {
            prop.insert("x-kubernetes-list-type".into(), json!("atomic"));
        }
        Strategy::ListSet => {
            prop.insert("x-kubernetes-list-type".into(), json!("set"));
        }
        Strategy::ListMap(keys) => {
            let keys: Vec<String> = keys
                .iter()
                .map(|k| {
                    item_props
                        .iter()
                        .find(|p| same_name(p, k))
                        .cloned()
                        .unwrap_or_else(|| k.clone())
                })
                .collect();
            prop.insert("x-kubernetes-list-type".into(), json!("map"));
            prop.insert("x-kubernetes-list-map-keys".into(), json!(keys));
            if let [key] = keys.as_slice() {
                prop.insert("x-kubernetes-patch-merge-key".into(), json!(key));
                prop.insert("x-kubernetes-patch-strategy".into(), json!("merge"));
            }
        }
        Strategy::MapAtomic => {
            prop.insert("x-kubernetes-map-type".into(), json!("atomic"));
        }
        Strategy::MapGranular => {}
    }
}

/// `pod_cidrs` names `podCIDRs`, `type_` names `type`,
/// `x_kubernetes_validations` names `x-kubernetes-validations`.
fn same_name(json_name: &str, rust_name: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    norm(json_name) == norm(rust_name)
}

/// Reads the `DeepMerge` implementations of the type crate's sources:
/// definition name -> [(rust field, strategy)].
fn merge_strategies(dir: &Path) -> BTreeMap<String, Vec<(String, Strategy)>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let Some(name) = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("// Generated from definition "))
                .map(|s| s.trim().to_owned())
            else {
                continue;
            };
            let fields = parse_deep_merge(&text);
            if !fields.is_empty() {
                out.insert(name, fields);
            }
        }
    }
    let mut seen = BTreeSet::new();
    for k in out.keys() {
        seen.insert(k.clone());
    }
    eprintln!("merge strategies for {} definitions", seen.len());
    out
}

fn parse_deep_merge(text: &str) -> Vec<(String, Strategy)> {
    let mut out = Vec::new();
    let Some(start) = text.find("impl crate::DeepMerge for") else {
        return out;
    };
    let body = &text[start..];
    let body = &body[..body.find("\n}\n").unwrap_or(body.len())];
    let calls = [
        ("merge_strategies::list::atomic(", 0),
        ("merge_strategies::list::set(", 1),
        ("merge_strategies::list::map(", 2),
        ("merge_strategies::map::atomic(", 3),
        ("merge_strategies::map::granular(", 4),
    ];
    let mut rest = body;
    while let Some(pos) = rest.find("merge_strategies::") {
        let here = &rest[pos..];
        let Some((pat, which)) = calls.iter().find(|(p, _)| here.starts_with(p)) else {
            rest = &here[1..];
            continue;
        };
        let args = &here[pat.len()..];
        let field = args
            .split("&mut self.")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap_or("")
            .trim()
            .to_owned();
        let strategy = match which {
            0 => Strategy::ListAtomic,
            1 => Strategy::ListSet,
            2 => {
                let keys_src = args
                    .split("&[")
                    .nth(1)
                    .and_then(|s| s.split("],").next())
                    .unwrap_or("");
                let keys = keys_src
                    .split("lhs.")
                    .skip(1)
                    .filter_map(|s| s.split(" ==").next())
                    .map(|s| s.trim().to_owned())
                    .collect();
                Strategy::ListMap(keys)
            }
            3 => Strategy::MapAtomic,
            _ => Strategy::MapGranular,
        };
        out.push((field, strategy));
        rest = &here[pat.len()..];
    }
    out
}

fn find_crate_source() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"));
    let reg = home.join("registry/src");
    for e in std::fs::read_dir(&reg).expect("cargo registry").flatten() {
        let p = e.path().join("k8s-openapi-0.24.0");
        if p.is_dir() {
            return p;
        }
    }
    panic!("k8s-openapi-0.24.0 source not found under {}", reg.display());
}
