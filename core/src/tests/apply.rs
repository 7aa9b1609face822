//! Server-side apply and managedFields through the whole server.

use serde_json::{json, Value};

use super::harness::{body, statuses, Harness};

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const APPLY: (&str, &str) = ("Content-Type", "application/apply-patch+yaml");
const KUBECTL: (&str, &str) = ("User-Agent", "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07");

/// The managedFields entries of an object as (manager, operation, fieldsV1).
fn managers(obj: &Value) -> Vec<(String, String, Value)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or("").to_string(),
                e["operation"].as_str().unwrap_or("").to_string(),
                e["fieldsV1"].clone(),
            )
        })
        .collect()
}

/// A server with its schemas, which field tracking and apply work from.
fn harness() -> Harness {
    Harness::with(|c| c.serve_openapi = true)
}

#[test]
fn writes_record_their_managers() {
    let mut h = harness();
    let c = h.connect_admin(1);
    let cm = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"1"}}"#;
    let r = h.request_with(
        c,
        "POST",
        &format!("{CMS}?fieldManager=kubectl-create"),
        &[("Content-Type", "application/json"), KUBECTL],
        cm,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let created = body(&r);
    let m = managers(&created);
    assert_eq!(m.len(), 1, "{created}");
    assert_eq!((m[0].0.as_str(), m[0].1.as_str()), ("kubectl-create", "Update"));
    assert_eq!(m[0].2, json!({"f:data": {".": {}, "f:k": {}}}));
    let entry = &created["metadata"]["managedFields"][0];
    assert_eq!(entry["apiVersion"], "v1");
    assert_eq!(entry["fieldsType"], "FieldsV1");
    assert!(
        entry["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{entry}"
    );

    // Without fieldManager the manager is the User-Agent's product; it takes the key it
    // changed from the creator.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{CMS}/a"),
        &[("Content-Type", "application/merge-patch+json"), KUBECTL],
        r#"{"data":{"k":"2","l":"3"}}"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    let m = managers(&body(&r));
    assert_eq!(m.len(), 2, "{m:?}");
    let kubectl = m.iter().find(|e| e.0 == "kubectl").expect("kubectl's entry");
    assert_eq!(kubectl.2, json!({"f:data": {"f:k": {}, "f:l": {}}}));
    let creator = m
        .iter()
        .find(|e| e.0 == "kubectl-create")
        .expect("the creator's entry");
    // The creator keeps only the map itself, written as kube-apiserver writes a bare member.
    assert_eq!(creator.2, json!({"f:data": {}}));

    // An unchanged write changes nothing, managedFields included.
    let before = body(&h.request(c, "GET", &format!("{CMS}/a"), ""));
    h.advance(5_000);
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{CMS}/a"),
        &[("Content-Type", "application/merge-patch+json"), KUBECTL],
        r#"{"data":{"k":"2"}}"#,
    );
    assert_eq!(body(&r)["metadata"], before["metadata"]);
    // Clients may clear managedFields with [{}].
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{CMS}/a"),
        &[("Content-Type", "application/merge-patch+json"), KUBECTL],
        r#"{"metadata":{"managedFields":[{}]}}"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(body(&r)["metadata"].get("managedFields").is_none(), "{r}");
}

#[test]
fn apply_creates_merges_and_refuses_conflicts() {
    let mut h = harness();
    let c = h.connect_admin(1);
    let item = format!("{CMS}/web");
    // fieldManager is required; force belongs to apply only.
    let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: \"1\"\n  b: \"2\"\n";
    let r = h.request_with(c, "PATCH", &item, &[APPLY], config);
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert_eq!(
        body(&r)["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?force=true"),
        &[("Content-Type", "application/merge-patch+json")],
        "{}",
    );
    assert_eq!(statuses(&r), vec![422], "{r}");

    // The first apply creates the object.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=alice"),
        &[APPLY],
        config,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let obj = body(&r);
    assert_eq!(obj["data"], json!({"a": "1", "b": "2"}));
    assert!(obj["metadata"]["uid"].is_string());
    let m = managers(&obj);
    assert_eq!(
        m,
        vec![(
            "alice".to_string(),
            "Apply".to_string(),
            json!({"f:data": {"f:a": {}, "f:b": {}}})
        )]
    );

    // Another manager changes a key alice applied: alice's next apply of another value
    // for it conflicts, naming the field and the manager.
    let r = h.request_with(
        c,
        "PATCH",
        &item,
        &[("Content-Type", "application/merge-patch+json"), KUBECTL],
        r#"{"data":{"a":"changed"}}"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    let config2 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: \"10\"\n";
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=alice"),
        &[APPLY],
        config2,
    );
    assert_eq!(statuses(&r), vec![409], "{r}");
    let status = body(&r);
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl\" using v1: .data.a"
    );
    assert_eq!(
        status["details"]["causes"],
        json!([{"reason": "FieldManagerConflict", "message": "conflict with \"kubectl\" using v1", "field": ".data.a"}])
    );
    assert_eq!(body(&h.request(c, "GET", &item, ""))["data"]["a"], "changed");

    // Forced, alice takes the field back; b, which her configuration dropped, goes.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=alice&force=true"),
        &[APPLY],
        config2,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    let obj = body(&r);
    assert_eq!(obj["data"], json!({"a": "10"}));
    let m = managers(&obj);
    assert_eq!(m.len(), 1, "kubectl owns nothing any more: {m:?}");
    assert_eq!(m[0].2, json!({"f:data": {"f:a": {}}}));

    // A stale resourceVersion in the configuration is a conflict like in any patch.
    let stale = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  resourceVersion: \"1\"\ndata:\n  a: \"10\"\n";
    let r = h.request_with(c, "PATCH", &format!("{item}?fieldManager=alice"), &[APPLY], stale);
    assert_eq!(statuses(&r), vec![409], "{stale}\n{r}");
    // Fields the kind does not have cannot be applied.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=alice"),
        &[APPLY],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\nspec:\n  x: 1\n",
    );
    assert_eq!(statuses(&r), vec![500], "{r}");
    assert_eq!(
        body(&r)["message"],
        "failed to create typed patch object (/v1, Kind=ConfigMap): .spec: field not declared in schema"
    );
}

#[test]
fn apply_merges_lists_by_their_keys() {
    let mut h = harness();
    let c = h.connect_admin(1);
    let item = "/apis/apps/v1/namespaces/default/deployments/web";
    let config = |image: &str, extra: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80}]}]}}}})
        .to_string()
        .replace("\"ports\"", &format!("{extra}\"ports\""))
    };
    // JSON is YAML too, as kubectl sends it.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=kubectl"),
        &[APPLY],
        &config("nginx:1.27", ""),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(body(&r)["spec"]["replicas"], 1, "defaults still apply");
    // A sidecar added by another manager survives the owner's re-apply.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=injector"),
        &[("Content-Type", "application/json-patch+json")],
        r#"[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"sidecar","image":"envoy:1"}}]"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=kubectl"),
        &[APPLY],
        &config("nginx:1.28", ""),
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    let obj = body(&r);
    let containers: Vec<(&str, &str)> = obj["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or(""),
                c["image"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(containers, [("app", "nginx:1.28"), ("sidecar", "envoy:1")]);
    let apply = managers(&obj)
        .into_iter()
        .find(|e| e.1 == "Apply")
        .expect("the Apply entry");
    let app = &apply.2["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"];
    assert!(app["f:image"].is_object(), "{}", apply.2);
    assert!(
        app["f:ports"]["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"].is_object(),
        "{}",
        apply.2
    );
    // The status is not the main resource's to own.
    assert!(apply.2.get("f:status").is_none());
}

#[test]
fn fields_an_update_manager_also_owns_survive_the_appliers_removal() {
    let mut h = harness();
    let c = h.connect_admin(1);
    let item = format!("{CMS}/shared");
    let config =
        |keys: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n{keys}");
    let r = h.request_with(
        c,
        "POST",
        &format!("{CMS}?fieldManager=creator"),
        &[("Content-Type", "application/json")],
        r#"{"metadata":{"name":"shared"},"data":{"a":"1","b":"2"}}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    // Same values: the applier shares a and b with the creator, without conflicts.
    let both = config("  a: \"1\"\n  b: \"2\"\n");
    let r = h.request_with(c, "PATCH", &format!("{item}?fieldManager=alice"), &[APPLY], &both);
    assert_eq!(statuses(&r), vec![200], "{r}");
    // Dropping b from the configuration leaves it to the creator, who still owns it.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{item}?fieldManager=alice"),
        &[APPLY],
        &config("  a: \"1\"\n"),
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert_eq!(body(&r)["data"], json!({"a": "1", "b": "2"}));
}
