//! Discovery documents: the legacy `APIVersions`/`APIGroupList`/`APIResourceList` and the
//! aggregated `APIGroupDiscoveryList` (v2 and v2beta1), all derived from the run-time
//! registry of served resources.

use std::cmp::Ordering;

use serde_json::{json, Value};

use crate::registry::resources::{ResourceDef, Subresource, GROUP_ORDER};
use crate::registry::Resources;

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Versions of a group, preferred first: the built-in groups' in their fixed order, other
/// groups' by kube's version priority (GA before beta before alpha, higher numbers first).
fn versions_of(resources: &Resources, group: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in resources.iter().filter(|r| r.group == group) {
        if !v.iter().any(|x| *x == r.version) {
            v.push(r.version.to_string());
        }
    }
    if !group.is_empty() && !GROUP_ORDER.contains(&group) {
        v.sort_by(|a, b| version_priority(a, b));
    }
    v
}

/// Named groups in the order `/apis` lists them: the built-in ones by kube's priorities, then
/// those added at run time by name (they share one priority, as custom resource groups do).
fn groups(resources: &Resources) -> Vec<String> {
    let mut added: Vec<String> = Vec::new();
    for r in resources.iter() {
        let g = r.group.as_ref();
        if !g.is_empty() && !GROUP_ORDER.contains(&g) && !added.iter().any(|a| a == g) {
            added.push(g.to_string());
        }
    }
    added.sort();
    GROUP_ORDER
        .iter()
        .filter(|g| resources.iter().any(|r| r.group == **g))
        .map(|g| g.to_string())
        .chain(added)
        .collect()
}

/// kube's ordering of version strings (`v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1` >
/// anything not shaped like a version, the latter by name).
fn version_priority(a: &str, b: &str) -> Ordering {
    fn parse(v: &str) -> Option<(u64, u8, u64)> {
        let rest = v.strip_prefix('v')?;
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let major = rest[..digits].parse().ok()?;
        let tail = &rest[digits..];
        let (level, minor) = if tail.is_empty() {
            (2, 0)
        } else if let Some(n) = tail.strip_prefix("beta") {
            (1, n.parse().ok()?)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (0, n.parse().ok()?)
        } else {
            return None;
        };
        Some((major, level, minor))
    }
    match (parse(a), parse(b)) {
        (Some((ma, la, na)), Some((mb, lb, nb))) => lb.cmp(&la).then(mb.cmp(&ma)).then(nb.cmp(&na)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The kind a subresource speaks ("" in its definition: its parent's).
fn sub_kind<'a>(r: &'a ResourceDef, s: &'a Subresource) -> &'a str {
    if s.kind.is_empty() {
        &r.kind
    } else {
        s.kind
    }
}

/// `GET /api`: the legacy core versions.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn api_group(resources: &Resources, group: &str) -> Value {
    let versions: Vec<Value> = versions_of(resources, group)
        .iter()
        .map(|v| json!({"groupVersion": group_version(group, v), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": versions, "preferredVersion": preferred})
}

/// `GET /apis`: every named group.
pub fn api_group_list(resources: &Resources) -> Value {
    let groups: Vec<Value> = groups(resources)
        .iter()
        .map(|g| api_group(resources, g))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`, if served.
pub fn api_group_doc(resources: &Resources, group: &str) -> Option<Value> {
    if group.is_empty() || !resources.iter().any(|r| r.group == group) {
        return None;
    }
    let mut g = api_group(resources, group);
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
pub fn api_resource_list(resources: &Resources, group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = resources
        .iter()
        .map(|r| &**r)
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
            "verbs": &r.verbs,
        });
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(&r.short_names);
        }
        if !r.categories.is_empty() {
            e["categories"] = json!(&r.categories);
        }
        resources.push(e);
        for s in r.subresources.iter() {
            let mut e = json!({
                "name": format!("{}/{}", r.resource, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": sub_kind(r, s),
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

fn discovery_group(served: &Resources, group: &str) -> Value {
    let versions: Vec<Value> = versions_of(served, group)
        .iter()
        .map(|v| {
            let resources: Vec<Value> = served
                .iter()
                .filter(|r| r.group == group && r.version == v.as_str())
                .map(|r| {
                    let mut e = json!({
                        "resource": r.resource,
                        "responseKind": {"group": "", "version": "", "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.singular,
                        "verbs": &r.verbs,
                    });
                    if !r.short_names.is_empty() {
                        e["shortNames"] = json!(&r.short_names);
                    }
                    if !r.categories.is_empty() {
                        e["categories"] = json!(&r.categories);
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
                                    "responseKind": {"group": g, "version": ver, "kind": sub_kind(r, s)},
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
pub fn aggregated(resources: &Resources, legacy: bool, version: &str) -> Value {
    let items: Vec<Value> = if legacy {
        vec![discovery_group(resources, "")]
    } else {
        groups(resources)
            .iter()
            .map(|g| discovery_group(resources, g))
            .collect()
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
        let served = Resources::builtin();
        let l = api_resource_list(&served, "apps", "v1").unwrap();
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
        let a = aggregated(&served, false, "v2");
        assert_eq!(a["items"][0]["metadata"]["name"], "apiregistration.k8s.io");
        assert_eq!(
            aggregated(&served, true, "v2beta1")["apiVersion"],
            "apidiscovery.k8s.io/v2beta1"
        );
        assert!(api_group_doc(&served, "nope").is_none());
    }

    #[test]
    fn versions_in_kube_priority() {
        let mut v = vec!["v1alpha1", "v1", "v2beta1", "foo", "v1beta2", "v2", "v10", "bar"];
        v.sort_by(|a, b| version_priority(a, b));
        assert_eq!(
            v,
            ["v10", "v2", "v1", "v2beta1", "v1beta2", "v1alpha1", "bar", "foo"]
        );
    }
}
