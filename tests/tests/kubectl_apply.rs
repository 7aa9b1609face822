//! `kubectl apply` (client-side, three-way merge through the last-applied annotation) against a
//! shared Gatehouse: create, change and re-apply a Deployment, a Service and a ConfigMap, keeping
//! fields apply does not own.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

fn apply_lines(out: &str) -> Vec<&str> {
    out.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_change_and_reapply_keeps_foreign_fields() {
    let server = SERVER.get().await;
    let dir = TempDir::new("apply");
    let k = server.kubectl(&dir);
    let ns = unique("apply");
    let namespace = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\n");
    let manifest = dir.join("app.yaml");
    let file = manifest.to_str().expect("UTF-8 path");

    // First apply creates everything, the namespace first.
    dir.write(
        "app.yaml",
        format!(
            "{namespace}{}",
            app_manifest(&ns, "shop", "blue", 2, "nginx:1.26")
        ),
    );
    let out = k.ok(&["apply", "-f", file]).await;
    assert_eq!(
        apply_lines(&out),
        [
            format!("namespace/{ns} created"),
            "configmap/shop-config created".to_string(),
            "deployment.apps/shop created".to_string(),
            "service/shop created".to_string(),
        ],
        "{out}"
    );
    let svc = k.json(&["get", "service", "shop", "-n", &ns, "-o", "json"]).await;
    let cluster_ip = svc["spec"]["clusterIP"].as_str().expect("clusterIP").to_string();
    assert!(cluster_ip.starts_with("10.0.0."), "{svc}");
    let svc_rv = svc["metadata"]["resourceVersion"].clone();

    // Fields apply does not own: labels and an annotation added by other commands.
    k.ok(&["label", "configmap", "shop-config", "-n", &ns, "team=payments"])
        .await;
    k.ok(&["label", "deployment", "shop", "-n", &ns, "team=payments"])
        .await;
    k.ok(&["annotate", "service", "shop", "-n", &ns, "oncall=alice"])
        .await;

    // Applying the same manifest again changes nothing.
    let out = k.ok(&["apply", "-f", file]).await;
    assert_eq!(
        apply_lines(&out),
        [
            format!("namespace/{ns} unchanged"),
            "configmap/shop-config unchanged".to_string(),
            "deployment.apps/shop unchanged".to_string(),
            "service/shop unchanged".to_string(),
        ],
        "{out}"
    );

    // Change the ConfigMap and the Deployment; the Service stays as it is.
    dir.write(
        "app.yaml",
        format!(
            "{namespace}{}",
            app_manifest(&ns, "shop", "green", 3, "nginx:1.27")
        ),
    );
    let out = k.ok(&["apply", "-f", file]).await;
    assert_eq!(
        apply_lines(&out),
        [
            format!("namespace/{ns} unchanged"),
            "configmap/shop-config configured".to_string(),
            "deployment.apps/shop configured".to_string(),
            "service/shop unchanged".to_string(),
        ],
        "{out}"
    );

    let cm = k
        .json(&["get", "configmap", "shop-config", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(cm["data"], json!({"color": "green"}), "{cm}");
    assert_eq!(cm["metadata"]["labels"], json!({"team": "payments"}), "{cm}");
    let last_applied: Value = parse_json(
        cm["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .expect("last-applied annotation"),
    );
    assert_eq!(last_applied["data"], json!({"color": "green"}));

    let d = k
        .json(&["get", "deployment", "shop", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(d["spec"]["replicas"], 3, "{d}");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27",
        "{d}"
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], 8080,
        "{d}"
    );
    assert_eq!(
        d["metadata"]["labels"],
        json!({"app": "shop", "team": "payments"}),
        "{d}"
    );
    assert_eq!(d["metadata"]["generation"], 2, "{d}");

    let svc = k.json(&["get", "service", "shop", "-n", &ns, "-o", "json"]).await;
    assert_eq!(svc["spec"]["clusterIP"], cluster_ip.as_str(), "{svc}");
    assert_eq!(svc["metadata"]["annotations"]["oncall"], "alice", "{svc}");
    assert_ne!(
        svc["metadata"]["resourceVersion"], svc_rv,
        "annotate changed the Service"
    );
    let port = &svc["spec"]["ports"][0];
    assert_eq!(port["port"], 80, "{svc}");
    assert_eq!(port["targetPort"], 8080, "{svc}");
    assert_eq!(port["protocol"], "TCP", "{svc}");
    assert_eq!(svc["spec"]["type"], "ClusterIP", "{svc}");

    // The tables show the applied state.
    let out = k
        .ok(&["get", "deployment", "shop", "-n", &ns, "-o", "wide"])
        .await;
    let rows = table_rows(&out);
    assert_eq!(rows[1][0], "shop", "{out}");
    assert_eq!(rows[1][1], "0/3", "{out}");
    assert_eq!(rows[1][5..], ["main", "nginx:1.27", "app=shop"], "{out}");
    let out = k.ok(&["get", "service", "shop", "-n", &ns]).await;
    let rows = table_rows(&out);
    assert_eq!(
        rows[0],
        ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
        "{out}"
    );
    assert_eq!(
        rows[1][..5],
        ["shop", "ClusterIP", cluster_ip.as_str(), "<none>", "80/TCP"],
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_removes_what_the_manifest_dropped() {
    let server = SERVER.get().await;
    let dir = TempDir::new("apply-prune");
    let k = server.kubectl(&dir);
    let ns = unique("apply-prune");
    k.ok(&["create", "namespace", &ns]).await;
    let path = dir.write(
        "cm.yaml",
        configmap_manifest(&ns, "cfg", &[("a", "1"), ("b", "2")]),
    );
    let file = path.to_str().expect("UTF-8 path");
    assert_eq!(k.ok(&["apply", "-f", file]).await.trim(), "configmap/cfg created");

    // A key added by someone else is not apply's: it survives the next apply.
    k.ok(&[
        "patch",
        "configmap",
        "cfg",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"data":{"extra":"x"}}"#,
    ])
    .await;
    k.ok(&["label", "configmap", "cfg", "-n", &ns, "keep=me"]).await;

    dir.write("cm.yaml", configmap_manifest(&ns, "cfg", &[("a", "10")]));
    assert_eq!(
        k.ok(&["apply", "-f", file]).await.trim(),
        "configmap/cfg configured"
    );
    let cm = k
        .json(&["get", "configmap", "cfg", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(cm["data"], json!({"a": "10", "extra": "x"}), "{cm}");
    assert_eq!(cm["metadata"]["labels"], json!({"keep": "me"}), "{cm}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_after_manual_scale_restores_the_manifest() {
    let server = SERVER.get().await;
    let dir = TempDir::new("apply-scale");
    let k = server.kubectl(&dir);
    let ns = unique("apply-scale");
    k.ok(&["create", "namespace", &ns]).await;
    let path = dir.write("app.yaml", app_manifest(&ns, "api", "red", 2, "nginx:1.27"));
    let file = path.to_str().expect("UTF-8 path");
    k.ok(&["apply", "-f", file]).await;
    assert_eq!(
        k.ok(&["scale", "deployment", "api", "-n", &ns, "--replicas=7"])
            .await
            .trim(),
        "deployment.apps/api scaled"
    );
    assert_eq!(
        k.ok(&[
            "get",
            "deployment",
            "api",
            "-n",
            &ns,
            "-o",
            "jsonpath={.spec.replicas}"
        ])
        .await,
        "7"
    );
    // replicas is in the manifest, so apply sets it back.
    let out = k.ok(&["apply", "-f", file]).await;
    assert!(
        out.lines().any(|l| l == "deployment.apps/api configured"),
        "{out}"
    );
    assert_eq!(
        k.ok(&[
            "get",
            "deployment",
            "api",
            "-n",
            &ns,
            "-o",
            "jsonpath={.spec.replicas}"
        ])
        .await,
        "2"
    );

    // Deleting by manifest removes all three objects.
    let out = k.ok(&["delete", "-f", file]).await;
    assert_eq!(
        apply_lines(&out),
        [
            "configmap \"api-config\" deleted",
            "deployment.apps \"api\" deleted",
            "service \"api\" deleted",
        ],
        "{out}"
    );
    let out = k
        .ok(&["get", "configmaps,deployments,services", "-n", &ns, "-o", "name"])
        .await;
    assert!(!out.contains("api"), "{out}");
}
