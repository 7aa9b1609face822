//! Resources that come and go while serving: added to the run-time registry, a resource is in
//! discovery, has a watch cache and serves every verb; changed, its watches end and the new
//! definition serves; removed, it answers 404 and its watches end.

use serde_json::Value;

use super::harness::{body, statuses, Harness};
use crate::registry::{Names, ResourceDef};

const WIDGETS: &str = "/apis/example.com/v1/namespaces/default/widgets";

fn widgets() -> ResourceDef {
    crate::registry::table::tests::widgets("v1")
}

fn names(doc: &Value, list: &str, field: &str) -> Vec<String> {
    doc[list]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e[field].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn widget(name: &str) -> String {
    format!(
        r#"{{"apiVersion":"example.com/v1","kind":"Widget","metadata":{{"name":"{name}"}},"spec":{{"size":3}}}}"#
    )
}

#[test]
fn a_resource_added_while_serving_is_discovered_cached_and_served() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(c, "GET", WIDGETS, "");
    assert_eq!(statuses(&r), vec![404], "{r}");
    assert!(
        !names(&body(&h.request(c, "GET", "/apis", "")), "groups", "name").contains(&"example.com".into())
    );
    let watches_before = h.watches.len();

    h.server.put_resource(h.now, widgets()).expect("added");
    h.run();
    assert_eq!(h.watches.len(), watches_before + 1, "the new type is watched");
    assert!(h.watches.id_of(b"/registry/example.com/widgets/").is_some());

    // Discovery, legacy and aggregated.
    let groups = body(&h.request(c, "GET", "/apis", ""));
    assert_eq!(
        names(&groups, "groups", "name").last().map(String::as_str),
        Some("example.com")
    );
    let list = body(&h.request(c, "GET", "/apis/example.com/v1", ""));
    assert_eq!(names(&list, "resources", "name"), ["widgets"]);
    assert_eq!(list["resources"][0]["shortNames"], serde_json::json!(["wd"]));
    let aggregated = h.request_with(
        c,
        "GET",
        "/apis",
        &[(
            "Accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        )],
        "",
    );
    let items = body(&aggregated)["items"].clone();
    let last = items
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["metadata"]["name"], "example.com", "{aggregated}");
    assert_eq!(last["versions"][0]["resources"][0]["resource"], "widgets");

    // Every verb, and a watch fed by the new type's storage watch.
    let w = h.connect_admin(2);
    let watch = format!("GET {WIDGETS}?watch=true HTTP/1.1\r\nHost: x\r\n\r\n");
    h.send(w, watch.as_bytes());
    let r = h.request(c, "POST", WIDGETS, &widget("one"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let created = body(&r);
    assert_eq!(created["spec"]["size"], 3);
    assert_eq!(created["metadata"]["generation"], 1);
    let seen = h.take(w);
    assert!(
        seen.contains("\"type\":\"ADDED\"") && seen.contains("\"name\":\"one\""),
        "{seen}"
    );
    let got = body(&h.request(c, "GET", &format!("{WIDGETS}/one"), ""));
    assert_eq!(got["kind"], "Widget");
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{WIDGETS}/one"),
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"spec":{"size":4}}"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert_eq!(body(&r)["metadata"]["generation"], 2);
    assert!(h.take(w).contains("\"type\":\"MODIFIED\""));
    let listed = body(&h.request(c, "GET", &format!("{WIDGETS}?resourceVersion=0"), ""));
    assert_eq!(listed["kind"], "WidgetList");
    assert_eq!(listed["items"][0]["spec"]["size"], 4);

    // A changed definition: its watches end cleanly, and the new one serves.
    let mut changed = widgets();
    changed.short_names = Names::Owned(vec!["wd".into(), "wdg".into()]);
    h.server.put_resource(h.now, changed).expect("changed");
    h.run();
    let ended = h.take(w);
    assert!(ended.ends_with("0\r\n\r\n"), "the watch ended: {ended:?}");
    let list = body(&h.request(c, "GET", "/apis/example.com/v1", ""));
    assert_eq!(
        list["resources"][0]["shortNames"],
        serde_json::json!(["wd", "wdg"])
    );
    let got = body(&h.request(c, "GET", &format!("{WIDGETS}/one"), ""));
    assert_eq!(got["spec"]["size"], 4, "the objects stay");

    // Removed: 404, gone from discovery, its watch ended.
    let w2 = h.connect_admin(3);
    h.send(w2, watch.as_bytes());
    let _ = h.take(w2);
    assert!(h
        .server
        .remove_resource(h.now, "example.com", "v1", "widgets")
        .expect("removable"));
    h.run();
    assert!(h.take(w2).ends_with("0\r\n\r\n"));
    let r = h.request(c, "GET", &format!("{WIDGETS}/one"), "");
    assert_eq!(statuses(&r), vec![404], "{r}");
    let r = h.request(c, "GET", "/apis/example.com/v1", "");
    assert_eq!(statuses(&r), vec![404], "{r}");
    assert!(
        !names(&body(&h.request(c, "GET", "/apis", "")), "groups", "name").contains(&"example.com".into())
    );

    // Back again: its stored objects are served from a cache listed anew.
    h.server.put_resource(h.now, widgets()).expect("added again");
    h.run();
    let listed = body(&h.request(c, "GET", &format!("{WIDGETS}?resourceVersion=0"), ""));
    assert_eq!(listed["items"][0]["metadata"]["name"], "one", "{listed}");
}

#[test]
fn built_in_resources_cannot_be_removed_or_replaced() {
    let mut h = Harness::new();
    assert!(h.server.remove_resource(h.now, "", "v1", "pods").is_err());
    let pods = h
        .server
        .resources()
        .find("", "v1", "pods")
        .expect("pods")
        .as_ref()
        .clone();
    assert!(h.server.put_resource(h.now, pods).is_err());
    let c = h.connect_admin(1);
    let r = h.request(c, "GET", "/api/v1/namespaces/default/pods", "");
    assert_eq!(statuses(&r), vec![200], "{r}");
}

#[test]
fn a_namespace_deletion_removes_objects_of_resources_added_at_run_time() {
    let mut h = Harness::new();
    h.server.put_resource(h.now, widgets()).expect("added");
    h.run();
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", "/api/v1/namespaces", r#"{"metadata":{"name":"team"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let path = "/apis/example.com/v1/namespaces/team/widgets";
    let r = h.request(c, "POST", path, &widget("w"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = h.request(c, "DELETE", "/api/v1/namespaces/team", "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    h.advance(5_000);
    let r = h.request(c, "GET", &format!("{path}/w"), "");
    assert_eq!(statuses(&r), vec![404], "{r}");
    let r = h.request(c, "GET", "/api/v1/namespaces/team", "");
    assert_eq!(statuses(&r), vec![404], "the namespace is gone: {r}");
}

#[test]
fn the_openapi_documents_follow_the_served_resources() {
    let mut h = Harness::with(|c| c.serve_openapi = true);
    let c = h.connect_admin(1);
    let doc = "/openapi/v3/apis/example.com/v1";
    let r = h.request(c, "GET", doc, "");
    assert_eq!(statuses(&r), vec![404], "{r}");
    let v2 = body(&h.request(c, "GET", "/openapi/v2", ""));
    assert!(v2["paths"]
        .get("/api/v1/namespaces/{namespace}/configmaps")
        .is_some());
    assert!(v2["paths"]
        .get("/apis/example.com/v1/namespaces/{namespace}/widgets")
        .is_none());

    let mut def = widgets();
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}
    });
    def.schema = Some(std::sync::Arc::new(schema.clone()));
    h.server.put_resource(h.now, def).expect("added");
    h.run();
    let index = body(&h.request(c, "GET", "/openapi/v3", ""));
    assert!(index["paths"].get("apis/example.com/v1").is_some(), "{index}");
    let r = h.request(c, "GET", doc, "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    let v3 = body(&r);
    assert_eq!(v3["components"]["schemas"]["com.example.v1.Widget"], schema);
    assert!(v3["paths"]
        .get("/apis/example.com/v1/namespaces/{namespace}/widgets/{name}")
        .is_some());
    let v2 = body(&h.request(c, "GET", "/openapi/v2", ""));
    assert!(v2["paths"]
        .get("/apis/example.com/v1/namespaces/{namespace}/widgets")
        .is_some());

    h.server
        .remove_resource(h.now, "example.com", "v1", "widgets")
        .expect("removable");
    let r = h.request(c, "GET", doc, "");
    assert_eq!(statuses(&r), vec![404], "{r}");
}

/// A stand-in for the custom resource definitions: ConfigMaps labelled
/// `serves.gatehouse.test/kind` define a resource of `example.com/v1`.
struct DefiningConfigMaps;

impl crate::registry::Source for DefiningConfigMaps {
    fn storage_path(&self) -> &str {
        "configmaps"
    }

    fn resources(&self, objects: &mut dyn Iterator<Item = &Value>) -> Vec<ResourceDef> {
        objects
            .filter_map(|o| {
                let kind = o
                    .pointer("/metadata/labels/serves.gatehouse.test~1kind")?
                    .as_str()?;
                let data = o.get("data")?;
                let mut def = widgets();
                def.kind = kind.to_string().into();
                def.resource = data.get("plural")?.as_str()?.to_string().into();
                def.singular = kind.to_lowercase().into();
                def.storage = format!("example.com/{}", def.resource).into();
                def.short_names = Names::Owned(
                    data.get("shortNames")
                        .and_then(Value::as_str)
                        .map(|s| s.split(',').map(str::to_string).collect())
                        .unwrap_or_default(),
                );
                Some(def)
            })
            .collect()
    }
}

fn defining(rev_name: &str, short_names: &str) -> crate::storage::StorageRequest {
    let object = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": rev_name, "namespace": "default", "uid": "def-1",
            "labels": {"serves.gatehouse.test/kind": "Gadget"}},
        "data": {"plural": "gadgets", "shortNames": short_names}
    });
    crate::storage::StorageRequest::Txn {
        compare: Vec::new(),
        success: vec![crate::storage::TxnOp::Put {
            key: format!("/registry/configmaps/default/{rev_name}").into_bytes(),
            value: serde_json::to_vec(&object).expect("JSON"),
            ttl_secs: None,
        }],
        failure: Vec::new(),
    }
}

#[test]
fn resources_follow_their_defining_objects_whoever_writes_them() {
    let mut h = Harness::new();
    h.server
        .add_resource_source(h.now, std::sync::Arc::new(DefiningConfigMaps));
    h.run();
    let c = h.connect_admin(1);
    let gadgets = "/apis/example.com/v1/namespaces/default/gadgets";
    let r = h.request(c, "GET", gadgets, "");
    assert_eq!(statuses(&r), vec![404], "{r}");

    // Another replica writes the defining object: this one serves the resource too.
    h.write_elsewhere(&defining("gadget-def", "gd"));
    let r = h.request(c, "GET", gadgets, "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert_eq!(body(&r)["kind"], "GadgetList");
    let list = body(&h.request(c, "GET", "/apis/example.com/v1", ""));
    assert_eq!(list["resources"][0]["shortNames"], serde_json::json!(["gd"]));
    let r = h.request(
        c,
        "POST",
        gadgets,
        r#"{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"}}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");

    // Changed through this replica's own API: the definition follows.
    let r = h.request_with(
        c,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/gadget-def",
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"data":{"shortNames":"gd,gdg"}}"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    let list = body(&h.request(c, "GET", "/apis/example.com/v1", ""));
    assert_eq!(
        list["resources"][0]["shortNames"],
        serde_json::json!(["gd", "gdg"])
    );

    // Deleted by another replica: no longer served here.
    h.write_elsewhere(&crate::storage::StorageRequest::Txn {
        compare: Vec::new(),
        success: vec![crate::storage::TxnOp::Delete {
            key: b"/registry/configmaps/default/gadget-def".to_vec(),
        }],
        failure: Vec::new(),
    });
    let r = h.request(c, "GET", &format!("{gadgets}/g"), "");
    assert_eq!(statuses(&r), vec![404], "{r}");
    let r = h.request(c, "GET", "/apis/example.com/v1", "");
    assert_eq!(statuses(&r), vec![404], "{r}");
}

#[test]
fn a_replica_started_later_serves_what_is_already_defined() {
    let mut h = Harness::new();
    h.write_elsewhere(&defining("gadget-def", "gd"));
    // A source added once the definitions are stored (a replica starting) serves them at once.
    h.server
        .add_resource_source(h.now, std::sync::Arc::new(DefiningConfigMaps));
    h.run();
    let c = h.connect_admin(1);
    let r = h.request(c, "GET", "/apis/example.com/v1/namespaces/default/gadgets", "");
    assert_eq!(statuses(&r), vec![200], "{r}");
}

#[test]
fn tables_of_a_resource_added_at_run_time_print_its_columns() {
    let mut h = Harness::new();
    let mut def = widgets();
    def.columns = Some(vec![
        crate::printers::custom::PrinterColumn {
            name: "Size".into(),
            type_: "integer".into(),
            format: String::new(),
            description: "How big.".into(),
            priority: 0,
            json_path: ".spec.size".into(),
        },
        crate::printers::custom::PrinterColumn::age(),
    ]);
    h.server.put_resource(h.now, def).expect("added");
    h.run();
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", WIDGETS, &widget("one"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let r = h.request_with(c, "GET", WIDGETS, &[("Accept", table)], "");
    let t = body(&r);
    assert_eq!(t["kind"], "Table", "{r}");
    assert_eq!(names(&t, "columnDefinitions", "name"), ["Name", "Size", "Age"]);
    assert_eq!(t["rows"][0]["cells"][0], "one");
    assert_eq!(t["rows"][0]["cells"][1], 3);
    let r = h.request_with(c, "GET", &format!("{WIDGETS}/one"), &[("Accept", table)], "");
    assert_eq!(body(&r)["rows"][0]["cells"][1], 3, "{r}");

    // Without columns of its own, a resource prints Name and Age, as kube prints a custom
    // resource whose definition names none; so do its watch events.
    let plain = widgets();
    h.server.put_resource(h.now, plain).expect("changed");
    h.run();
    let r = h.request_with(c, "GET", WIDGETS, &[("Accept", table)], "");
    assert_eq!(
        names(&body(&r), "columnDefinitions", "name"),
        ["Name", "Age"],
        "{r}"
    );
    let w = h.connect_admin(2);
    let watch = format!("GET {WIDGETS}?watch=true HTTP/1.1\r\nHost: x\r\nAccept: {table}\r\n\r\n");
    h.send(w, watch.as_bytes());
    let seen = h.take(w);
    assert!(
        seen.contains("\"kind\":\"Table\"") && seen.contains("\"name\":\"Age\""),
        "{seen}"
    );
}
