//! kubectl delete against Gatehouse: a server-side dry run (sent in the DeleteOptions body)
//! deletes nothing, for one object, for `--all`, and for a deletecollection; and the
//! `kube-root-ca.crt` ConfigMap every namespace holds comes back after a delete.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(Options::tokio);

async fn setup(label: &str) -> (&'static Server, TempDir, Kubectl, String) {
    let server = SERVER.get().await;
    let dir = TempDir::new(label);
    let k = server.kubectl(&dir);
    let ns = unique(label);
    k.ok(&["create", "namespace", &ns]).await;
    for name in ["one", "two"] {
        k.ok(&["create", "configmap", name, "-n", &ns, "--from-literal=k=v"])
            .await;
    }
    (server, dir, k, ns)
}

async fn names(k: &Kubectl, ns: &str) -> Vec<String> {
    let list = k.json(&["get", "configmaps", "-n", ns, "-o", "json"]).await;
    let mut names: Vec<String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string))
        .filter(|n| n != "kube-root-ca.crt")
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_dry_run_delete_deletes_nothing() {
    let (_server, _dir, k, ns) = setup("dry-delete").await;
    let out = k
        .ok(&["delete", "configmap", "one", "-n", &ns, "--dry-run=server"])
        .await;
    assert_eq!(out.trim(), "configmap \"one\" deleted (server dry run)");
    assert_eq!(names(&k, &ns).await, ["one", "two"]);

    let out = k
        .ok(&["delete", "configmaps", "--all", "-n", &ns, "--dry-run=server"])
        .await;
    assert!(out.contains("(server dry run)"), "{out}");
    assert_eq!(
        names(&k, &ns).await,
        ["one", "two"],
        "--all --dry-run=server deleted: {out}"
    );

    // The real thing still deletes.
    k.ok(&["delete", "configmap", "one", "-n", &ns]).await;
    assert_eq!(names(&k, &ns).await, ["two"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_deletecollection_deletes_nothing() {
    let (server, dir, k, ns) = setup("dry-collection").await;
    let http = server.http(&dir);
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    for (ct, body) in [
        (
            "application/json",
            r#"{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}"#,
        ),
        (
            "application/yaml",
            "kind: DeleteOptions\napiVersion: meta.k8s.io/v1\ndryRun: [All]\n",
        ),
    ] {
        let r = http.send("DELETE", &path, ct, body).await;
        assert_eq!(r.code, 200, "{ct}: {}", r.body);
        assert_eq!(names(&k, &ns).await, ["one", "two"], "{ct} dry run deleted");
    }
    // A malformed body is a 400 and deletes nothing.
    let r = http
        .send("DELETE", &path, "application/json", "{\"dryRun\":")
        .await;
    assert_eq!(r.code, 400, "{}", r.body);
    assert_eq!(names(&k, &ns).await, ["one", "two"]);
    let r = http.send("DELETE", &path, "application/json", "{}").await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert!(names(&k, &ns).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_namespace_holds_the_cluster_ca() {
    let (server, _dir, k, ns) = setup("root-ca").await;
    let ca = std::fs::read_to_string(server.data_dir.join("pki/ca.crt")).expect("the cluster CA");
    let read = || async {
        k.run(&["get", "configmap", "kube-root-ca.crt", "-n", &ns, "-o", "json"])
            .await
    };
    let cm = wait_for("kube-root-ca.crt in a new namespace", || async {
        let out = read().await;
        out.success().then(|| parse_json(&out.stdout))
    })
    .await;
    assert_eq!(cm["data"]["ca.crt"], ca.as_str());
    k.ok(&["delete", "configmap", "kube-root-ca.crt", "-n", &ns])
        .await;
    let back = wait_for("kube-root-ca.crt back after a delete", || async {
        let out = read().await;
        out.success().then(|| parse_json(&out.stdout))
    })
    .await;
    assert_eq!(back["data"]["ca.crt"], ca.as_str());
    assert_ne!(back["metadata"]["uid"], cm["metadata"]["uid"]);
}
