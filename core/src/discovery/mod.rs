//! Discovery documents: the legacy `APIVersions`/`APIGroupList`/`APIResourceList` and the
//! aggregated `APIGroupDiscoveryList` (v2 and v2beta1), all derived from the resource table.

use serde_json::{json, Value};

use crate::registry::resources::{ResourceDef, GROUP_ORDER, RESOURCES};

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Versions of a group, preferred first.
fn versions_of(group: &str) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group) {
        if !v.contains(&r.version) {
            v.push(r.version);
        }
    }
    v
}

/// `GET /api`: the legacy core versions.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn api_group(group: &str) -> Value {
    let versions: Vec<Value> = versions_of(group)
        .iter()
        .map(|v| json!({"groupVersion": group_version(group, v), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": versions, "preferredVersion": preferred})
}

/// `GET /apis`: every named group.
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = GROUP_ORDER.iter().map(|g| api_group(g)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`, if served.
pub fn api_group_doc(group: &str) -> Option<Value> {
    if !GROUP_ORDER.contains(&group) {
        return None;
    }
    let mut g = api_group(group);
    if let Value::Object(m) = &mut g {
        let rest = std::mem::take(m);
        m.insert("kind".into(), json!("APIGroup"));
        m.insert("apiVersion".into(), json!("v1"));
        m.extend(rest);
    }
    Some(g)
}

fn sub_group_version(r: &ResourceDef, s: &crate::registry::resources::Subresource) -> (String, String) {
    if s.group.is_empty() && s.version.is_empty() {
        (r.group.to_string(), r.version.to_string())
    } else {
        (s.group.to_string(), s.version.to_string())
    }
}

/// `GET /api/v1` or `/apis/<group>/<version>`, if served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if defs.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for r in &defs {
        let mut e = json!({
            "name": r.resource,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            e["categories"] = json!(r.categories);
        }
        resources.push(e);
        for s in r.subresources {
            let mut e = json!({
                "name": format!("{}/{}", r.resource, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind,
                "verbs": s.verbs,
            });
            if !s.group.is_empty() || !s.version.is_empty() {
                e["group"] = json!(s.group);
                e["version"] = json!(s.version);
            }
            resources.push(e);
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": resources,
    }))
}

fn discovery_group(group: &str) -> Value {
    let versions: Vec<Value> = versions_of(group)
        .iter()
        .map(|v| {
            let resources: Vec<Value> = RESOURCES
                .iter()
                .filter(|r| r.group == group && r.version == *v)
                .map(|r| {
                    let mut e = json!({
                        "resource": r.resource,
                        "responseKind": {"group": "", "version": "", "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.singular,
                        "verbs": r.verbs,
                    });
                    if !r.short_names.is_empty() {
                        e["shortNames"] = json!(r.short_names);
                    }
                    if !r.categories.is_empty() {
                        e["categories"] = json!(r.categories);
                    }
                    if !r.subresources.is_empty() {
                        let subs: Vec<Value> = r
                            .subresources
                            .iter()
                            .map(|s| {
                                let (g, ver) = if s.group.is_empty() && s.version.is_empty() {
                                    (String::new(), String::new())
                                } else {
                                    sub_group_version(r, s)
                                };
                                json!({
                                    "subresource": s.name,
                                    "responseKind": {"group": g, "version": ver, "kind": s.kind},
                                    "verbs": s.verbs,
                                })
                            })
                            .collect();
                        e["subresources"] = json!(subs);
                    }
                    e
                })
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
}

/// Aggregated discovery for `/api` (`legacy` true) or `/apis`, in `version` (v2 or v2beta1).
pub fn aggregated(legacy: bool, version: &str) -> Value {
    let items: Vec<Value> = if legacy {
        vec![discovery_group("")]
    } else {
        GROUP_ORDER.iter().map(|g| discovery_group(g)).collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}

/// A stable 64-bit FNV-1a digest, for ETags.
pub fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_have_kubectl_shapes() {
        let l = api_resource_list("apps", "v1").unwrap();
        let names: Vec<&str> = l["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"deployments/scale"));
        let scale = l["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .unwrap();
        assert_eq!(scale["group"], "autoscaling");
        let a = aggregated(false, "v2");
        assert_eq!(a["items"][0]["metadata"]["name"], "apiregistration.k8s.io");
        assert_eq!(
            aggregated(true, "v2beta1")["apiVersion"],
            "apidiscovery.k8s.io/v2beta1"
        );
        assert!(api_group_doc("nope").is_none());
    }
}
