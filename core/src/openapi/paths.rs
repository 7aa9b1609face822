//! The REST operations of a group-version, independent of the document
//! format that renders them (OpenAPI v3 or Swagger 2.0).

use super::schema::Definitions;
use super::{GroupVersionResources, ResourceEntry};

/// Definition of the `Status` kind.
pub const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
/// Definition of `DeleteOptions`.
pub const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
/// Definition of the free-form patch body.
pub const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
/// Definition of the autoscaling/v1 `Scale` kind.
pub const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";

/// Media types accepted by PATCH.
pub const PATCH_TYPES: [&str; 4] = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];
/// Media types of responses.
pub const RESPONSE_TYPES: [&str; 3] = [
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
/// Media types of create/update bodies.
pub const BODY_TYPES: [&str; 3] = RESPONSE_TYPES;

/// A query parameter: name, schema type, description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParam {
    pub name: &'static str,
    pub ty: &'static str,
    pub description: &'static str,
}

const fn q(name: &'static str, ty: &'static str, description: &'static str) -> QueryParam {
    QueryParam {
        name,
        ty,
        description,
    }
}

pub const PRETTY: QueryParam = q(
    "pretty",
    "string",
    "If 'true', then the output is pretty printed.",
);
const DRY_RUN: QueryParam = q(
    "dryRun",
    "string",
    "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
);
const FIELD_MANAGER: QueryParam = q(
    "fieldManager",
    "string",
    "fieldManager is a name associated with the actor or entity that is making these changes.",
);
const FIELD_VALIDATION: QueryParam = q(
    "fieldValidation",
    "string",
    "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict",
);
const FORCE: QueryParam = q(
    "force",
    "boolean",
    "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.",
);
const GRACE: QueryParam = q(
    "gracePeriodSeconds",
    "integer",
    "The duration in seconds before the object should be deleted. Zero means delete immediately.",
);
const ORPHAN: QueryParam = q(
    "orphanDependents",
    "boolean",
    "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.",
);
const PROPAGATION: QueryParam = q(
    "propagationPolicy",
    "string",
    "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
);
const LIST_PARAMS: [QueryParam; 10] = [
    q("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."),
    q("continue", "string", "The continue option should be set when retrieving more results from the server."),
    q("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields."),
    q("labelSelector", "string", "A selector to restrict the list of returned objects by their labels."),
    q("limit", "integer", "limit is a maximum number of responses to return for a list call."),
    q("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
    q("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
    q("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`."),
    q("timeoutSeconds", "integer", "Timeout for the list/watch call."),
    q("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."),
];

/// What a request body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// An object of this definition (may be absent from the data file).
    Object(String),
    /// A patch document in any of [`PATCH_TYPES`].
    Patch,
}

/// One operation on a path.
#[derive(Debug, Clone)]
pub struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// `x-kubernetes-action`.
    pub action: &'static str,
    pub operation_id: String,
    pub description: String,
    /// `x-kubernetes-group-version-kind` of the operation.
    pub gvk: (String, String, String),
    pub query: Vec<QueryParam>,
    pub body: Option<Body>,
    /// Response codes and the definition each returns.
    pub responses: Vec<(&'static str, String)>,
}

/// One path with its operations.
#[derive(Debug, Clone)]
pub struct PathItem {
    /// Absolute URL path, e.g. `/apis/apps/v1/namespaces/{namespace}/deployments`.
    pub path: String,
    /// Path parameters in order (`name`, `namespace`).
    pub path_params: Vec<&'static str>,
    pub operations: Vec<Operation>,
}

/// URL prefix of a group-version: `/api/v1` or `/apis/<group>/<version>`.
pub fn gv_prefix(gv: &GroupVersionResources) -> String {
    if gv.group.is_empty() {
        format!("/api/{}", gv.version)
    } else {
        format!("/apis/{}/{}", gv.group, gv.version)
    }
}

/// `CoreV1`, `AppsV1`, `CoordinationV1`, `RbacAuthorizationV1`: the word
/// operation ids and tags are built from.
pub fn gv_word(gv: &GroupVersionResources) -> String {
    let group = if gv.group.is_empty() {
        "core"
    } else {
        gv.group.trim_end_matches(".k8s.io")
    };
    let mut out = String::new();
    for part in group.split('.') {
        out.push_str(&capitalize(part));
    }
    out.push_str(&capitalize(&gv.version));
    out
}

/// Tag of a group-version's operations: `core_v1`, `apps_v1`,
/// `rbacAuthorization_v1`.
pub fn gv_tag(gv: &GroupVersionResources) -> String {
    let w = gv_word(gv);
    let group_word = w.strip_suffix(capitalize(&gv.version).as_str()).unwrap_or(&w);
    let mut chars = group_word.chars();
    let lower: String = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{lower}_{}", gv.version)
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn has(entry: &ResourceEntry, verb: &str) -> bool {
    entry.verbs.iter().any(|v| v == verb)
}

/// Every path of a group-version, in a stable order.
pub fn paths(defs: &Definitions, gv: &GroupVersionResources) -> Vec<PathItem> {
    let prefix = gv_prefix(gv);
    let word = gv_word(gv);
    let mut out = Vec::new();
    for entry in &gv.resources {
        // Subresource entries listed as "deployments/status" are folded into
        // their parent through `subresources`.
        if entry.plural.contains('/') {
            continue;
        }
        let gvk = (gv.group.clone(), gv.version.clone(), entry.kind.clone());
        let (scope_word, base, mut base_params) = if entry.namespaced {
            (
                format!("Namespaced{}", entry.kind),
                format!("{prefix}/namespaces/{{namespace}}/{}", entry.plural),
                vec!["namespace"],
            )
        } else {
            (
                entry.kind.clone(),
                format!("{prefix}/{}", entry.plural),
                Vec::new(),
            )
        };
        let kind = &entry.kind;
        let def = entry.definition.clone();
        let list_def = format!("{}List", entry.definition);

        let mut collection = Vec::new();
        if has(entry, "list") {
            collection.push(Operation {
                method: "get",
                action: "list",
                operation_id: format!("list{word}{scope_word}"),
                description: format!("list or watch objects of kind {kind}"),
                gvk: gvk.clone(),
                query: LIST_PARAMS.to_vec(),
                body: None,
                responses: vec![("200", list_def.clone())],
            });
        }
        if has(entry, "create") {
            collection.push(Operation {
                method: "post",
                action: "post",
                operation_id: format!("create{word}{scope_word}"),
                description: format!("create a {kind}"),
                gvk: gvk.clone(),
                query: vec![DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
                body: Some(Body::Object(def.clone())),
                responses: vec![("200", def.clone()), ("201", def.clone()), ("202", def.clone())],
            });
        }
        if has(entry, "deletecollection") {
            let mut query = vec![DRY_RUN, GRACE, ORPHAN, PROPAGATION];
            query.extend(
                LIST_PARAMS
                    .iter()
                    .copied()
                    .filter(|p| p.name != "watch" && p.name != "allowWatchBookmarks"),
            );
            collection.push(Operation {
                method: "delete",
                action: "deletecollection",
                operation_id: format!("deletecollection{word}{scope_word}"),
                description: format!("delete collection of {kind}"),
                gvk: gvk.clone(),
                query,
                body: Some(Body::Object(DELETE_OPTIONS.to_owned())),
                responses: vec![("200", STATUS.to_owned())],
            });
        }
        if !collection.is_empty() {
            out.push(PathItem {
                path: base.clone(),
                path_params: base_params.clone(),
                operations: collection,
            });
        }

        base_params.insert(0, "name");
        let item_path = format!("{base}/{{name}}");
        let mut item = Vec::new();
        if has(entry, "get") {
            item.push(Operation {
                method: "get",
                action: "get",
                operation_id: format!("read{word}{scope_word}"),
                description: format!("read the specified {kind}"),
                gvk: gvk.clone(),
                query: Vec::new(),
                body: None,
                responses: vec![("200", def.clone())],
            });
        }
        if has(entry, "update") {
            item.push(replace_op(&word, &scope_word, "", kind, &gvk, &def));
        }
        if has(entry, "patch") {
            item.push(patch_op(&word, &scope_word, "", kind, &gvk, &def));
        }
        if has(entry, "delete") {
            item.push(Operation {
                method: "delete",
                action: "delete",
                operation_id: format!("delete{word}{scope_word}"),
                description: format!("delete a {kind}"),
                gvk: gvk.clone(),
                query: vec![DRY_RUN, GRACE, ORPHAN, PROPAGATION],
                body: Some(Body::Object(DELETE_OPTIONS.to_owned())),
                responses: vec![("200", STATUS.to_owned()), ("202", STATUS.to_owned())],
            });
        }
        if !item.is_empty() {
            out.push(PathItem {
                path: item_path.clone(),
                path_params: base_params.clone(),
                operations: item,
            });
        }

        for sub in &entry.subresources {
            let (sub_gvk, sub_def) = match sub.as_str() {
                "status" | "ephemeralcontainers" | "resize" => (gvk.clone(), def.clone()),
                "scale" => {
                    let g =
                        defs.gvks(SCALE).into_iter().next().unwrap_or_else(|| {
                            ("autoscaling".to_owned(), "v1".to_owned(), "Scale".to_owned())
                        });
                    (g, SCALE.to_owned())
                }
                // Connect-style subresources (log, exec, proxy, ...) carry no
                // schema of their own and are not described.
                _ => continue,
            };
            let suffix = capitalize(sub);
            let label = format!("{sub} of the specified {kind}");
            let mut read = Operation {
                method: "get",
                action: "get",
                operation_id: format!("read{word}{scope_word}{suffix}"),
                description: format!("read {label}"),
                gvk: sub_gvk.clone(),
                query: Vec::new(),
                body: None,
                responses: vec![("200", sub_def.clone())],
            };
            let mut replace = replace_op(&word, &scope_word, &suffix, kind, &sub_gvk, &sub_def);
            let mut patch = patch_op(&word, &scope_word, &suffix, kind, &sub_gvk, &sub_def);
            replace.description = format!("replace {label}");
            patch.description = format!("partially update {label}");
            read.description = format!("read {label}");
            out.push(PathItem {
                path: format!("{item_path}/{sub}"),
                path_params: base_params.clone(),
                operations: vec![read, replace, patch],
            });
        }

        if entry.namespaced && has(entry, "list") {
            out.push(PathItem {
                path: format!("{prefix}/{}", entry.plural),
                path_params: Vec::new(),
                operations: vec![Operation {
                    method: "get",
                    action: "list",
                    operation_id: format!("list{word}{kind}ForAllNamespaces"),
                    description: format!("list or watch objects of kind {kind}"),
                    gvk: gvk.clone(),
                    query: LIST_PARAMS.to_vec(),
                    body: None,
                    responses: vec![("200", list_def.clone())],
                }],
            });
        }
    }
    out
}

fn replace_op(
    word: &str,
    scope_word: &str,
    suffix: &str,
    kind: &str,
    gvk: &(String, String, String),
    def: &str,
) -> Operation {
    Operation {
        method: "put",
        action: "put",
        operation_id: format!("replace{word}{scope_word}{suffix}"),
        description: format!("replace the specified {kind}"),
        gvk: gvk.clone(),
        query: vec![DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        body: Some(Body::Object(def.to_owned())),
        responses: vec![("200", def.to_owned()), ("201", def.to_owned())],
    }
}

fn patch_op(
    word: &str,
    scope_word: &str,
    suffix: &str,
    kind: &str,
    gvk: &(String, String, String),
    def: &str,
) -> Operation {
    Operation {
        method: "patch",
        action: "patch",
        operation_id: format!("patch{word}{scope_word}{suffix}"),
        description: format!("partially update the specified {kind}"),
        gvk: gvk.clone(),
        // kubectl's fieldValidation probe reads these on every PATCH
        // operation carrying the kind's GVK.
        query: vec![DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
        body: Some(Body::Patch),
        responses: vec![("200", def.to_owned()), ("201", def.to_owned())],
    }
}

/// Every definition the operations of `items` mention.
pub fn referenced_definitions(items: &[PathItem]) -> Vec<&str> {
    let mut out = Vec::new();
    for item in items {
        for op in &item.operations {
            if let Some(Body::Object(d)) = &op.body {
                out.push(d.as_str());
            }
            if matches!(op.body, Some(Body::Patch)) {
                out.push(PATCH);
            }
            for (_, d) in &op.responses {
                out.push(d.as_str());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_upstream_operation_ids() {
        let gv = |g: &str| GroupVersionResources {
            group: g.into(),
            version: "v1".into(),
            resources: vec![],
        };
        assert_eq!(gv_word(&gv("")), "CoreV1");
        assert_eq!(gv_word(&gv("apps")), "AppsV1");
        assert_eq!(gv_word(&gv("coordination.k8s.io")), "CoordinationV1");
        assert_eq!(gv_word(&gv("rbac.authorization.k8s.io")), "RbacAuthorizationV1");
        assert_eq!(gv_tag(&gv("apps")), "apps_v1");
        assert_eq!(gv_tag(&gv("rbac.authorization.k8s.io")), "rbacAuthorization_v1");
        assert_eq!(gv_prefix(&gv("")), "/api/v1");
        assert_eq!(gv_prefix(&gv("apps")), "/apis/apps/v1");
    }
}
