//! OpenAPI for Gatehouse: the schema documents kubectl reads and strict field
//! validation.
//!
//! * `/openapi/v3` and `/openapi/v3/<gv>?hash=`: [`OpenApi::v3_root`] and
//!   [`OpenApi::v3_group_version`]. kubectl reads them for `explain` and, on
//!   `create`/`apply`, probes each kind's PATCH operation for a
//!   `fieldValidation` parameter to decide on server-side validation.
//! * `/openapi/v2`: [`OpenApi::v2_protobuf`] (gnostic `openapi.v2.Document`,
//!   what kubectl asks for) and [`OpenApi::v2_json`]. Client-side apply reads
//!   the strategic-merge metadata of kinds from it.
//! * [`OpenApi::strict_problems`]: unknown and duplicate fields of a request
//!   body, worded as kube-apiserver's strict decoder words them.
//!
//! The schemas come from `schemas.json`, embedded at build time and written
//! by the generator in `core/openapi-gen/` (see its documentation for how to regenerate
//! and how to add kinds).

mod always_written;
mod paths;
mod schema;
mod strict;
mod v2;
mod v2_proto;
mod v3;

use serde_json::Value;

pub use schema::Definitions;

/// The schema data file (definitions keyed by Kubernetes definition name).
static SCHEMAS: &[u8] = include_bytes!("schemas.json");

/// The fields Go's encoding/json writes at their zero value (see [`always_written`]).
static ALWAYS_WRITTEN: &[u8] = include_bytes!("always_written.json");

/// The served resources of one group-version, as discovery lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVersionResources {
    /// API group; empty for the core group.
    pub group: String,
    /// API version, e.g. `v1`.
    pub version: String,
    /// Resources served in this group-version.
    pub resources: Vec<ResourceEntry>,
}

/// One resource of a group-version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceEntry {
    /// Plural resource name, e.g. `deployments`.
    pub plural: String,
    /// Kind of the resource's objects, e.g. `Deployment`.
    pub kind: String,
    /// Whether objects live in a namespace (false: cluster-scoped).
    pub namespaced: bool,
    /// Discovery verbs: `get`, `list`, `create`, `update`, `patch`,
    /// `delete`, `deletecollection`, `watch`.
    pub verbs: Vec<String>,
    /// Subresources: `status`, `ephemeralcontainers` and `resize` are
    /// described with the kind's own schema, `scale` with autoscaling/v1
    /// `Scale`; connect-style ones (`log`, `exec`, ...) are not described.
    pub subresources: Vec<String>,
    /// Definition name of the kind, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub definition: String,
}

/// The parsed schema data and everything served from it.
#[derive(Debug, Clone)]
pub struct OpenApi {
    defs: Definitions,
    always: always_written::AlwaysWritten,
}

impl OpenApi {
    /// Parses the embedded schema data. The data ships with the binary; if it
    /// were ever unreadable the documents would simply carry no schemas.
    pub fn load() -> OpenApi {
        OpenApi {
            defs: Definitions::parse(SCHEMAS),
            always: always_written::AlwaysWritten::parse(ALWAYS_WRITTEN),
        }
    }

    /// These schemas and `extra` ones (kinds served from run-time definitions).
    pub fn with_definitions(&self, extra: impl IntoIterator<Item = (String, Value)>) -> OpenApi {
        let mut merged = self.clone();
        for (name, schema) in extra {
            merged.defs.insert(name, schema);
        }
        merged
    }

    /// The schema definitions.
    pub fn definitions(&self) -> &Definitions {
        &self.defs
    }

    /// The `/openapi/v3` index: `{"paths": {"api/v1": {"serverRelativeURL":
    /// "/openapi/v3/api/v1?hash=<HEX>"}, "apis/apps/v1": ...}}`.
    pub fn v3_root(&self, group_versions: &[GroupVersionResources]) -> Value {
        v3::root(&self.defs, group_versions)
    }

    /// The OpenAPI 3.0 document of one group-version and its hash (the
    /// `hash=` of its URL in the index).
    pub fn v3_group_version(&self, gv: &GroupVersionResources) -> (Value, String) {
        v3::group_version(&self.defs, gv)
    }

    /// The index key of a group-version (`api/v1`, `apis/apps/v1`), to match
    /// a `/openapi/v3/<key>` request against.
    pub fn v3_key(gv: &GroupVersionResources) -> String {
        v3::gv_key(gv)
    }

    /// The Swagger 2.0 document as JSON.
    pub fn v2_json(&self, gvs: &[GroupVersionResources]) -> Value {
        v2::document(&self.defs, gvs)
    }

    /// The Swagger 2.0 document as a gnostic `openapi.v2.Document` protobuf,
    /// served as `application/com.github.proto-openapi.spec.v2.v1.0+protobuf`.
    pub fn v2_protobuf(&self, gvs: &[GroupVersionResources]) -> Vec<u8> {
        v2_proto::encode_document(&self.v2_json(gvs))
    }

    /// Unknown and duplicate fields of a raw JSON body for the kind whose
    /// schema is `definition`, e.g. `unknown field "spec.foo"` or
    /// `duplicate field "spec.replicas"`, in document order. An unknown
    /// definition or malformed JSON yields what was found before the problem
    /// (the decoder reports malformed JSON itself).
    pub fn strict_problems(&self, definition: &str, raw_json: &[u8]) -> Vec<String> {
        strict::problems(&self.defs, definition, raw_json)
    }

    /// Drops the fields of `obj` that `definition`'s schema does not know.
    pub fn prune(&self, definition: &str, obj: &mut Value) {
        strict::prune(&self.defs, definition, obj)
    }

    /// The schema data parsed once for the whole process, for the work every write does
    /// (completing objects) whether or not the documents are served.
    pub fn shared() -> &'static OpenApi {
        static SHARED: std::sync::OnceLock<OpenApi> = std::sync::OnceLock::new();
        SHARED.get_or_init(OpenApi::load)
    }

    /// Adds the fields kube-apiserver writes even at their zero value (`"replicas": 0`,
    /// `"resources": {}`) that `obj`, an object of `definition`, lacks.
    pub fn complete(&self, definition: &str, obj: &mut Value) {
        self.always.complete(&self.defs, definition, obj)
    }

    /// A hash of the v2 document, for its `ETag`.
    pub fn v2_etag(&self, gvs: &[GroupVersionResources]) -> String {
        v3::content_hash(&self.v2_protobuf(gvs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(plural: &str, kind: &str, namespaced: bool, subs: &[&str], def: &str) -> ResourceEntry {
        ResourceEntry {
            plural: plural.into(),
            kind: kind.into(),
            namespaced,
            verbs: [
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            subresources: subs.iter().map(|s| s.to_string()).collect(),
            definition: def.into(),
        }
    }

    fn apps() -> GroupVersionResources {
        GroupVersionResources {
            group: "apps".into(),
            version: "v1".into(),
            resources: vec![
                entry(
                    "deployments",
                    "Deployment",
                    true,
                    &["scale", "status"],
                    "io.k8s.api.apps.v1.Deployment",
                ),
                entry(
                    "replicasets",
                    "ReplicaSet",
                    true,
                    &["scale", "status"],
                    "io.k8s.api.apps.v1.ReplicaSet",
                ),
            ],
        }
    }

    fn core() -> GroupVersionResources {
        GroupVersionResources {
            group: String::new(),
            version: "v1".into(),
            resources: vec![
                entry(
                    "namespaces",
                    "Namespace",
                    false,
                    &["status"],
                    "io.k8s.api.core.v1.Namespace",
                ),
                entry("pods", "Pod", true, &["status", "log"], "io.k8s.api.core.v1.Pod"),
                entry(
                    "configmaps",
                    "ConfigMap",
                    true,
                    &[],
                    "io.k8s.api.core.v1.ConfigMap",
                ),
            ],
        }
    }

    #[test]
    fn embedded_data_parses() {
        let api = OpenApi::load();
        assert!(api.definitions().len() > 200, "{}", api.definitions().len());
        for name in [
            "io.k8s.api.core.v1.Namespace",
            "io.k8s.api.core.v1.ConfigMap",
            "io.k8s.api.core.v1.Secret",
            "io.k8s.api.core.v1.ServiceAccount",
            "io.k8s.api.core.v1.Service",
            "io.k8s.api.core.v1.Endpoints",
            "io.k8s.api.core.v1.Pod",
            "io.k8s.api.core.v1.Node",
            "io.k8s.api.core.v1.Event",
            "io.k8s.api.apps.v1.Deployment",
            "io.k8s.api.apps.v1.ReplicaSet",
            "io.k8s.api.apps.v1.StatefulSet",
            "io.k8s.api.apps.v1.DaemonSet",
            "io.k8s.api.batch.v1.Job",
            "io.k8s.api.batch.v1.CronJob",
            "io.k8s.api.coordination.v1.Lease",
            "io.k8s.api.autoscaling.v1.Scale",
        ] {
            assert!(!api.definitions().gvks(name).is_empty(), "{name} lacks a GVK");
            assert!(!api.definitions().gvks(&format!("{name}List")).is_empty() || name.ends_with("Scale"));
        }
        for name in [
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
            "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
            "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
            "io.k8s.apimachinery.pkg.runtime.RawExtension",
        ] {
            assert!(api.definitions().get(name).is_some(), "{name}");
        }
    }

    #[test]
    fn special_types_look_like_upstream() {
        let api = OpenApi::load();
        let d = |n: &str| api.definitions().get(n).cloned().unwrap_or_default();
        let ios = d("io.k8s.apimachinery.pkg.util.intstr.IntOrString");
        assert_eq!(ios["x-kubernetes-int-or-string"], json!(true));
        assert_eq!(ios["format"], json!("int-or-string"));
        assert_eq!(
            d("io.k8s.apimachinery.pkg.apis.meta.v1.Time")["format"],
            json!("date-time")
        );
        assert_eq!(
            d("io.k8s.apimachinery.pkg.api.resource.Quantity")["type"],
            json!("string")
        );
        let containers = &d("io.k8s.api.core.v1.PodSpec")["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], json!("name"));
        assert_eq!(containers["x-kubernetes-patch-strategy"], json!("merge"));
        assert_eq!(containers["x-kubernetes-list-type"], json!("map"));
        let ports = &d("io.k8s.api.core.v1.Container")["properties"]["ports"];
        assert_eq!(
            ports["x-kubernetes-list-map-keys"],
            json!(["containerPort", "protocol"])
        );
        let volumes = &d("io.k8s.api.core.v1.PodSpec")["properties"]["volumes"];
        assert_eq!(volumes["x-kubernetes-patch-strategy"], json!("merge,retainKeys"));
        let finalizers = &d("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")["properties"]["finalizers"];
        assert_eq!(finalizers["x-kubernetes-patch-strategy"], json!("merge"));
    }

    #[test]
    fn deployment_definition_is_described() {
        let api = OpenApi::load();
        let dep = api
            .definitions()
            .get("io.k8s.api.apps.v1.Deployment")
            .cloned()
            .unwrap_or_default();
        assert!(dep["description"].as_str().unwrap_or("").contains("Deployment"));
        assert_eq!(
            dep["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );
        let spec = &dep["properties"]["spec"];
        assert!(spec["description"].is_string());
        assert_eq!(
            spec["allOf"][0]["$ref"],
            json!("#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec")
        );
        // The API does not require metadata although the typed model does.
        assert!(dep.get("required").is_none());
        let replicas = &api
            .definitions()
            .get("io.k8s.api.apps.v1.DeploymentSpec")
            .cloned()
            .unwrap_or_default()["properties"]["replicas"];
        assert_eq!(replicas["type"], json!("integer"));
        assert!(replicas["description"].is_string());
    }

    #[test]
    fn v3_root_points_at_hashed_group_version_urls() {
        let api = OpenApi::load();
        let root = api.v3_root(&[core(), apps()]);
        let url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap_or("");
        let (_, hash) = api.v3_group_version(&apps());
        assert_eq!(url, format!("/openapi/v3/apis/apps/v1?hash={hash}"));
        assert!(root["paths"]["api/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap_or("")
            .starts_with("/openapi/v3/api/v1?hash="));
        assert_eq!(OpenApi::v3_key(&core()), "api/v1");
    }

    #[test]
    fn v3_apps_document_supports_field_validation_probe() {
        let api = OpenApi::load();
        let (doc, hash) = api.v3_group_version(&apps());
        assert_eq!(doc["openapi"], json!("3.0.0"));
        assert_eq!(
            (doc.clone(), hash.clone()),
            api.v3_group_version(&apps()),
            "stable"
        );
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        // Like cli-runtime's probe: every PATCH with the Deployment GVK must
        // list fieldValidation.
        let gvk = json!({"group": "apps", "version": "v1", "kind": "Deployment"});
        let mut found = 0;
        for (_, item) in &paths {
            let Some(op) = item.get("patch") else {
                continue;
            };
            if op["x-kubernetes-group-version-kind"] != gvk {
                continue;
            }
            found += 1;
            let names: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(names, ["dryRun", "fieldManager", "fieldValidation", "force"]);
            let content = op["requestBody"]["content"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for t in [
                "application/json-patch+json",
                "application/merge-patch+json",
                "application/strategic-merge-patch+json",
                "application/apply-patch+yaml",
            ] {
                assert!(content.contains_key(t), "{t}");
            }
            assert_eq!(op["x-kubernetes-action"], json!("patch"));
        }
        assert_eq!(found, 2, "item and status PATCH");
        let item = &paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
        assert_eq!(
            item["get"]["operationId"],
            json!("readAppsV1NamespacedDeployment")
        );
        assert_eq!(item["put"]["x-kubernetes-action"], json!("put"));
        assert_eq!(item["delete"]["x-kubernetes-action"], json!("delete"));
        let coll = &paths["/apis/apps/v1/namespaces/{namespace}/deployments"];
        assert_eq!(coll["get"]["x-kubernetes-action"], json!("list"));
        assert_eq!(coll["post"]["x-kubernetes-action"], json!("post"));
        assert_eq!(coll["delete"]["x-kubernetes-action"], json!("deletecollection"));
        let scale = &paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
        assert_eq!(
            scale["patch"]["x-kubernetes-group-version-kind"]["kind"],
            json!("Scale")
        );
        assert!(paths.contains_key("/apis/apps/v1/deployments"));

        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for name in [
            "io.k8s.api.apps.v1.Deployment",
            "io.k8s.api.apps.v1.DeploymentList",
            "io.k8s.api.core.v1.PodSpec",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "io.k8s.api.autoscaling.v1.Scale",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
        ] {
            assert!(schemas.contains_key(name), "{name}");
        }
        assert!(!schemas.contains_key("io.k8s.api.batch.v1.Job"));
        // Every reference resolves inside the document.
        let text = doc.to_string();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or("");
            assert!(schemas.contains_key(name), "dangling {name}");
        }
    }

    #[test]
    fn v3_core_document_has_cluster_and_namespaced_paths() {
        let api = OpenApi::load();
        let (doc, _) = api.v3_group_version(&core());
        let paths = &doc["paths"];
        assert_eq!(
            paths["/api/v1/namespaces/{name}"]["patch"]["operationId"],
            json!("patchCoreV1Namespace")
        );
        assert_eq!(
            paths["/api/v1/namespaces/{namespace}/pods/{name}"]["get"]["operationId"],
            json!("readCoreV1NamespacedPod")
        );
        assert!(paths
            .get("/api/v1/namespaces/{namespace}/pods/{name}/log")
            .is_none());
        assert_eq!(
            paths["/api/v1/namespaces/{namespace}/pods/{name}/status"]["put"]["operationId"],
            json!("replaceCoreV1NamespacedPodStatus")
        );
        assert_eq!(
            paths["/api/v1/pods"]["get"]["operationId"],
            json!("listCoreV1PodForAllNamespaces")
        );
    }

    #[test]
    fn unknown_definitions_still_get_operations() {
        let api = OpenApi::load();
        let gv = GroupVersionResources {
            group: "rbac.authorization.k8s.io".into(),
            version: "v1".into(),
            resources: vec![entry("roles", "Role", true, &[], "io.k8s.api.rbac.v1.Role")],
        };
        let (doc, _) = api.v3_group_version(&gv);
        let op =
            &doc["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], json!("Role"));
        assert_eq!(op["operationId"], json!("patchRbacAuthorizationV1NamespacedRole"));
    }

    #[test]
    fn v2_json_uses_definitions_refs() {
        let api = OpenApi::load();
        let doc = api.v2_json(&[core(), apps()]);
        assert_eq!(doc["swagger"], json!("2.0"));
        let spec = &doc["definitions"]["io.k8s.api.apps.v1.Deployment"]["properties"]["spec"];
        assert_eq!(
            spec["$ref"],
            json!("#/definitions/io.k8s.api.apps.v1.DeploymentSpec")
        );
        assert!(spec.get("allOf").is_none());
        let text = doc.to_string();
        assert!(!text.contains("#/components/schemas/"));
        let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        let names: Vec<&str> = patch["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["body", "dryRun", "fieldManager", "fieldValidation", "force"]
        );
    }

    #[test]
    fn v2_protobuf_decodes_structurally() {
        use v2_proto::tests::{fields, sub};
        let api = OpenApi::load();
        let bytes = api.v2_protobuf(&[core(), apps()]);
        assert!(fields(&bytes).is_some(), "well-formed at the top level");
        assert_eq!(sub(&bytes, 1), [b"2.0".to_vec()]);
        let info = &sub(&bytes, 2)[0];
        assert_eq!(sub(info, 1)[0], b"Kubernetes");

        // definitions: find Deployment and its GVK extension.
        let defs = &sub(&bytes, 9)[0];
        let named = sub(defs, 1);
        assert_eq!(named.len(), api.definitions().len());
        let dep = named
            .iter()
            .find(|n| {
                sub(n, 1).first().map(Vec::as_slice) == Some(b"io.k8s.api.apps.v1.Deployment".as_slice())
            })
            .expect("Deployment definition");
        let schema = &sub(dep, 2)[0];
        assert!(!sub(schema, 4)[0].is_empty(), "description");
        let props = &sub(schema, 25)[0];
        let prop_names: Vec<Vec<u8>> = sub(props, 1).iter().map(|p| sub(p, 1)[0].clone()).collect();
        assert!(prop_names.contains(&b"spec".to_vec()));
        let exts: Vec<(Vec<u8>, Vec<u8>)> = sub(schema, 31)
            .iter()
            .map(|e| (sub(e, 1)[0].clone(), sub(&sub(e, 2)[0], 2)[0].clone()))
            .collect();
        assert_eq!(exts[0].0, b"x-kubernetes-group-version-kind");
        let yaml: Value = serde_json::from_slice(&exts[0].1).unwrap_or_default();
        assert_eq!(
            yaml,
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );

        // paths: the Deployment item path has a PATCH with fieldValidation.
        let paths = &sub(&bytes, 8)[0];
        let item = sub(paths, 2)
            .into_iter()
            .find(|n| sub(n, 1)[0] == b"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
            .expect("path");
        let path_item = &sub(&item, 2)[0];
        let patch = &sub(path_item, 8)[0];
        let params = sub(patch, 8);
        let names: Vec<Vec<u8>> = params
            .iter()
            .map(|p| {
                let param = &sub(p, 1)[0];
                match sub(param, 1).first() {
                    Some(body) => sub(body, 2)[0].clone(),
                    None => sub(&sub(&sub(param, 2)[0], 3)[0], 4)[0].clone(),
                }
            })
            .collect();
        assert!(names.contains(&b"fieldValidation".to_vec()), "{names:?}");
        assert!(names.contains(&b"body".to_vec()));
    }

    #[test]
    fn load_is_fast_enough() {
        // Parsing is done once at startup; it must not be a noticeable delay
        // even in an unoptimised test build.
        for _ in 0..3 {
            assert!(!OpenApi::load().definitions().is_empty());
        }
    }
}
