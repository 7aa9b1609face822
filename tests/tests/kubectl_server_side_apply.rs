//! `kubectl apply --server-side` against a shared Gatehouse: creation, field ownership in
//! managedFields, conflicts with other managers and `--force-conflicts`, fields dropped
//! from the manifest, lists merged by their keys, and the move from client-side apply.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

/// The managers of an object as (manager, operation).
fn managers(obj: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = obj["metadata"]["managedFields"]
        .as_array()
        .unwrap_or_else(|| panic!("no managedFields in {obj}"))
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or("").to_string(),
                e["operation"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(m: &str, op: &str) -> (String, String) {
    (m.to_string(), op.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_owns_fields_and_reports_conflicts() {
    let server = SERVER.get().await;
    let dir = TempDir::new("ssa");
    let k = server.kubectl(&dir);
    let ns = unique("ssa");
    k.ok(&["create", "namespace", &ns]).await;
    let path = dir.write(
        "cm.yaml",
        configmap_manifest(&ns, "cfg", &[("a", "1"), ("b", "2")]),
    );
    let file = path.to_str().expect("UTF-8 path");

    let out = k.ok(&["apply", "--server-side", "-f", file]).await;
    assert_eq!(out.trim(), "configmap/cfg serverside-applied");
    let get = [
        "get",
        "configmap",
        "cfg",
        "-n",
        &ns,
        "-o",
        "json",
        "--show-managed-fields",
    ];
    let cm = k.json(&get).await;
    assert_eq!(managers(&cm), [pair("kubectl", "Apply")], "{cm}");
    assert_eq!(
        cm["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:data": {"f:a": {}, "f:b": {}}})
    );
    // kubectl hides managedFields unless asked.
    let plain = k
        .json(&["get", "configmap", "cfg", "-n", &ns, "-o", "json"])
        .await;
    assert!(plain["metadata"].get("managedFields").is_none(), "{plain}");

    // Another manager changes a and adds c.
    k.ok(&[
        "patch",
        "configmap",
        "cfg",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"data":{"a":"patched","c":"3"}}"#,
    ])
    .await;
    let cm = k.json(&get).await;
    assert_eq!(
        managers(&cm),
        [pair("kubectl", "Apply"), pair("kubectl-patch", "Update")],
        "{cm}"
    );

    // Applying another value for a conflicts, and changes nothing.
    dir.write("cm.yaml", configmap_manifest(&ns, "cfg", &[("a", "10")]));
    let out = k.fails(&["apply", "--server-side", "-f", file]).await;
    assert!(
        out.stderr
            .contains(r#"Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.a"#),
        "{out}"
    );
    let cm = k.json(&get).await;
    assert_eq!(cm["data"], json!({"a": "patched", "b": "2", "c": "3"}));

    // Forced, kubectl takes a back; b, dropped from the manifest, goes; c is not kubectl's.
    let out = k
        .ok(&["apply", "--server-side", "--force-conflicts", "-f", file])
        .await;
    assert_eq!(out.trim(), "configmap/cfg serverside-applied");
    let cm = k.json(&get).await;
    assert_eq!(cm["data"], json!({"a": "10", "c": "3"}), "{cm}");
    let patch_entry = cm["metadata"]["managedFields"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["manager"] == "kubectl-patch"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(patch_entry["fieldsV1"], json!({"f:data": {"f:c": {}}}), "{cm}");

    // A dry run shows the result and stores nothing.
    dir.write("cm.yaml", configmap_manifest(&ns, "cfg", &[("a", "11")]));
    let out = k
        .ok(&[
            "apply",
            "--server-side",
            "--dry-run=server",
            "-f",
            file,
            "-o",
            "json",
        ])
        .await;
    assert_eq!(parse_json(&out)["data"]["a"], "11");
    assert_eq!(k.json(&get).await["data"]["a"], "10");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_merges_containers_and_keeps_the_scale() {
    let server = SERVER.get().await;
    let dir = TempDir::new("ssa-deploy");
    let k = server.kubectl(&dir);
    let ns = unique("ssa-deploy");
    k.ok(&["create", "namespace", &ns]).await;
    let path = dir.write("app.yaml", app_manifest(&ns, "shop", "blue", 2, "nginx:1.26"));
    let file = path.to_str().expect("UTF-8 path");
    k.ok(&["apply", "--server-side", "-f", file]).await;

    // A sidecar added by another manager stays through the owner's re-apply, which
    // changes its own container's image.
    k.ok(&[
        "patch", "deployment", "shop", "-n", &ns, "--type", "json", "-p",
        r#"[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"sidecar","image":"envoy:1.30"}}]"#,
    ])
    .await;
    dir.write("app.yaml", app_manifest(&ns, "shop", "blue", 2, "nginx:1.27"));
    k.ok(&["apply", "--server-side", "-f", file]).await;
    let dep = k
        .json(&["get", "deployment", "shop", "-n", &ns, "-o", "json"])
        .await;
    let containers: Vec<(String, String)> = dep["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["image"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        containers[1],
        ("sidecar".to_string(), "envoy:1.30".to_string()),
        "{dep}"
    );
    assert_eq!(containers[0].1, "nginx:1.27", "{dep}");

    // `kubectl scale` writes through the scale subresource, as its own manager; the
    // manifest's replicas then conflict with it.
    k.ok(&["scale", "deployment", "shop", "-n", &ns, "--replicas=5"])
        .await;
    let dep = k
        .json(&[
            "get",
            "deployment",
            "shop",
            "-n",
            &ns,
            "-o",
            "json",
            "--show-managed-fields",
        ])
        .await;
    assert_eq!(dep["spec"]["replicas"], 5);
    let scale = dep["metadata"]["managedFields"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["subresource"] == "scale"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(scale["operation"], "Update", "{dep}");
    assert_eq!(scale["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}), "{dep}");
    let out = k.fails(&["apply", "--server-side", "-f", file]).await;
    assert!(out.stderr.contains(".spec.replicas"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_side_apply_moves_to_server_side_apply() {
    let server = SERVER.get().await;
    let dir = TempDir::new("ssa-migrate");
    let k = server.kubectl(&dir);
    let ns = unique("ssa-migrate");
    k.ok(&["create", "namespace", &ns]).await;
    let path = dir.write(
        "cm.yaml",
        configmap_manifest(&ns, "cfg", &[("a", "1"), ("b", "2")]),
    );
    let file = path.to_str().expect("UTF-8 path");
    assert_eq!(k.ok(&["apply", "-f", file]).await.trim(), "configmap/cfg created");
    let get = [
        "get",
        "configmap",
        "cfg",
        "-n",
        &ns,
        "-o",
        "json",
        "--show-managed-fields",
    ];
    assert_eq!(
        managers(&k.json(&get).await),
        [pair("kubectl-client-side-apply", "Update")]
    );
    // The same manifest applied server-side takes the fields over without conflicts
    // (kubectl moves the client-side manager's fields to its own).
    let out = k.ok(&["apply", "--server-side", "-f", file]).await;
    assert_eq!(out.trim(), "configmap/cfg serverside-applied");
    dir.write("cm.yaml", configmap_manifest(&ns, "cfg", &[("a", "1")]));
    k.ok(&["apply", "--server-side", "-f", file]).await;
    let cm = k.json(&get).await;
    assert_eq!(cm["data"], json!({"a": "1"}), "{cm}");
}
