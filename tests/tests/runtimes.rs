//! The same core subset (create/get/apply/watch/delete) against both runtimes, and a few raw
//! HTTP answers from the smol runtime.

use gatehouse_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smol_runtime_core_subset() {
    let server = Server::start(Options::smol()).await;
    assert_eq!(server.runtime, Runtime::Smol);
    let dir = TempDir::new("core-smol");
    flows::core(&server.kubectl(&dir), &dir, "core-smol").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_runtime_core_subset() {
    let server = Server::start(Options::tokio()).await;
    assert_eq!(server.runtime, Runtime::Tokio);
    let dir = TempDir::new("core-tokio");
    flows::core(&server.kubectl(&dir), &dir, "core-tokio").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smol_runtime_raw_http() {
    let server = Server::start(Options::smol().memory()).await;
    let dir = TempDir::new("http-smol");
    let http = server.http(&dir);
    let path = "/api/v1/namespaces/default/configmaps";

    let created = http
        .send_json(
            "POST",
            path,
            &json!({"metadata": {"name": "s"}, "data": {"a": "1"}}),
        )
        .await;
    assert_eq!(created.code, 201, "{created}");
    let status = http.get(&format!("{path}/x")).await.status(404, "NotFound");
    assert_eq!(status["message"], "configmaps \"x\" not found");
    http.send("POST", path, "application/json", "{bad")
        .await
        .status(400, "BadRequest");
    let big = json!({"metadata": {"name": "big"}, "data": {"b": "x".repeat(3 * 1024 * 1024 + 16)}});
    http.send_json("POST", path, &big)
        .await
        .status(413, "RequestEntityTooLarge");
    let mut stale = created.json();
    let mut newer = stale.clone();
    newer["data"]["a"] = json!("2");
    http.send_json("PUT", &format!("{path}/s"), &newer).await.ok();
    stale["data"]["a"] = json!("3");
    http.send_json("PUT", &format!("{path}/s"), &stale)
        .await
        .status(409, "Conflict");
    let anonymous = server.http_as(&dir, None);
    let status = anonymous.get(path).await.status(403, "Forbidden");
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.contains("User \"system:anonymous\" cannot list resource \"configmaps\"")),
        "{status}"
    );

    // A bounded watch ends cleanly with the synthetic ADDED.
    let resp = http
        .watch(&format!("{path}?watch=true&timeoutSeconds=1"), 30)
        .await;
    assert_eq!(resp.code, 200, "{resp}");
    let mut events = resp.json_lines();
    events.retain(not_root_ca);
    assert_eq!(events.len(), 1, "{resp}");
    assert_eq!(events[0]["type"], "ADDED", "{resp}");
    assert_eq!(events[0]["object"]["data"], json!({"a": "2"}), "{resp}");
    server.stop().await;
}
