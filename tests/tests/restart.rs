//! Stopping and starting Gatehouse on the same data folder: with the embedded store everything is
//! still there (objects byte for byte, resourceVersions going on upwards, the same cluster CA),
//! also when the next start uses the other runtime; the memory store starts empty.

use gatehouse_tests::*;

/// What a restart must preserve: the test namespace, its objects, and the list of namespaces.
async fn snapshot(http: &Http, ns: &str) -> Vec<Value> {
    let mut all = vec![http.get(&format!("/api/v1/namespaces/{ns}")).await.ok()];
    for path in [
        format!("/api/v1/namespaces/{ns}/configmaps"),
        format!("/apis/apps/v1/namespaces/{ns}/deployments"),
        format!("/api/v1/namespaces/{ns}/services"),
    ] {
        all.extend(http.items(&path).await);
    }
    let names: Vec<Value> = http
        .items("/api/v1/namespaces")
        .await
        .iter()
        .map(|n| n["metadata"]["name"].clone())
        .collect();
    all.push(Value::Array(names));
    all
}

fn list_rv(list: &Value) -> u64 {
    list["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|rv| rv.parse().ok())
        .unwrap_or_else(|| panic!("list resourceVersion in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_restarts_on_both_runtimes() {
    let data = TempDir::new("restart-data");
    let dir = TempDir::new("restart");
    let ns = "persist";

    // First life, tokio: create a little of everything.
    let server = Server::start(Options::tokio().data_dir(data.path())).await;
    let first_ca = server.pki.ca.clone();
    let jane = server.client_cert("jane", &["system:masters"]);
    let k = server.kubectl(&dir);
    k.ok(&["create", "namespace", ns]).await;
    k.ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        ns,
        "--from-literal=mode=fast",
    ])
    .await;
    k.ok(&[
        "create",
        "deployment",
        "web",
        "-n",
        ns,
        "--image=nginx:1.27",
        "--replicas=2",
    ])
    .await;
    let manifest = dir.write("app.yaml", app_manifest(ns, "shop", "blue", 3, "nginx:1.26"));
    k.ok(&["apply", "-f", manifest.to_str().expect("UTF-8 path")])
        .await;
    k.ok(&["label", "configmap", "settings", "-n", ns, "tier=gold"])
        .await;
    k.ok(&["create", "configmap", "doomed", "-n", ns, "--from-literal=a=b"])
        .await;
    k.ok(&["delete", "configmap", "doomed", "-n", ns]).await;
    let http = server.http(&dir);
    let before = snapshot(&http, ns).await;
    let rv_before = list_rv(
        &http
            .get(&format!("/api/v1/namespaces/{ns}/configmaps"))
            .await
            .ok(),
    );
    server.stop().await;

    // Second life, tokio again.
    let server = Server::start(Options::tokio().data_dir(data.path())).await;
    assert_eq!(server.pki.ca, first_ca, "the cluster CA is reused");
    let http = server.http(&dir);
    assert_eq!(snapshot(&http, ns).await, before);
    let k = server.kubectl(&dir);
    let out = k.ok(&["get", "configmaps", "-n", ns, "-o", "name"]).await;
    assert!(out.lines().any(|l| l == "configmap/settings"), "{out}");
    assert!(!out.lines().any(|l| l == "configmap/doomed"), "{out}");
    let out = k.ok(&["get", "deployment", "web", "-n", ns]).await;
    assert_eq!(table_rows(&out)[1][..2], ["web", "0/2"], "{out}");
    // A certificate issued before the restart is still good.
    let as_jane = server.kubectl_as(&dir, "jane", cert_credential(&jane));
    as_jane.ok(&["get", "configmap", "settings", "-n", ns]).await;
    // New writes continue the revision sequence, names stay taken.
    let created = http
        .send_json(
            "POST",
            &format!("/api/v1/namespaces/{ns}/configmaps"),
            &json!({"metadata": {"name": "after-restart"}, "data": {"k": "v"}}),
        )
        .await
        .ok();
    let rv: u64 = created["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|rv| rv.parse().ok())
        .expect("resourceVersion");
    assert!(rv > rv_before, "{rv} must be above {rv_before}");
    let out = k
        .fails(&["create", "configmap", "settings", "-n", ns, "--from-literal=a=b"])
        .await;
    assert!(
        out.stderr.contains("configmaps \"settings\" already exists"),
        "{out}"
    );
    // Applying the unchanged manifest is a no-op: the last-applied state survived.
    let out = k
        .ok(&["apply", "-f", manifest.to_str().expect("UTF-8 path")])
        .await;
    assert!(out.lines().all(|l| l.ends_with(" unchanged")), "{out}");
    let before = snapshot(&http, ns).await;
    server.stop().await;

    // Third life, smol.
    let server = Server::start(Options::smol().data_dir(data.path())).await;
    let http = server.http(&dir);
    assert_eq!(snapshot(&http, ns).await, before);
    let k = server.kubectl(&dir);
    let cm = k
        .json(&["get", "configmap", "settings", "-n", ns, "-o", "json"])
        .await;
    assert_eq!(cm["data"], json!({"mode": "fast"}));
    assert_eq!(cm["metadata"]["labels"], json!({"tier": "gold"}));
    k.ok(&["delete", "namespace", ns, "--wait=false"]).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_starts_empty_after_a_restart() {
    let data = TempDir::new("restart-memory-data");
    let dir = TempDir::new("restart-memory");
    let server = Server::start(Options::tokio().memory().data_dir(data.path())).await;
    let k = server.kubectl(&dir);
    k.ok(&["create", "namespace", "ephemeral"]).await;
    server.stop().await;

    let server = Server::start(Options::tokio().memory().data_dir(data.path())).await;
    let k = server.kubectl(&dir);
    let out = k.fails(&["get", "namespace", "ephemeral"]).await;
    assert!(
        out.stderr
            .contains("Error from server (NotFound): namespaces \"ephemeral\" not found"),
        "{out}"
    );
    // The system namespaces are back.
    let out = k.ok(&["get", "namespaces", "-o", "name"]).await;
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(out.lines().any(|l| l == format!("namespace/{ns}")), "{out}");
    }
    server.stop().await;
}
