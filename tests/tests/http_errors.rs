//! Error answers over raw HTTP (curl): status code and `Status` body (kind, reason, code,
//! message, details) as kube-apiserver gives them, and the stored data untouched by every
//! refused request.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

/// A namespace with two ConfigMaps for a test to aim bad requests at.
async fn fixture(label: &str) -> (&'static Server, TempDir, Http, String) {
    let server = SERVER.get().await;
    let dir = TempDir::new(label);
    let http = server.http(&dir);
    let ns = unique(label);
    let created = http
        .send_json("POST", "/api/v1/namespaces", &json!({"metadata": {"name": ns}}))
        .await;
    assert_eq!(created.code, 201, "{created}");
    for (name, value) in [("a", "1"), ("b", "2")] {
        let created = http
            .send_json(
                "POST",
                &format!("/api/v1/namespaces/{ns}/configmaps"),
                &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}),
            )
            .await;
        assert_eq!(created.code, 201, "{created}");
    }
    (server, dir, http, ns)
}

/// Everything stored in the fixture namespace (ConfigMaps) plus the namespace itself.
async fn snapshot(http: &Http, ns: &str) -> (Vec<Value>, Value) {
    let mut items = http.items(&format!("/api/v1/namespaces/{ns}/configmaps")).await;
    items.retain(not_root_ca);
    assert_eq!(items.len(), 2, "fixture: {items:?}");
    let namespace = http.get(&format!("/api/v1/namespaces/{ns}")).await.ok();
    (items, namespace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_bad_request() {
    let (_server, _dir, http, ns) = fixture("err-json").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    for body in [
        "{bad",
        "{\"metadata\": {\"name\": \"c\"}",
        "[1,2,3]",
        "\"just a string\"",
    ] {
        let resp = http.send("POST", &path, "application/json", body).await;
        resp.status(400, "BadRequest");
    }
    let resp = http
        .send("PUT", &format!("{path}/a"), "application/json", "{\"metadata\":")
        .await;
    resp.status(400, "BadRequest");
    let resp = http
        .send(
            "PATCH",
            &format!("{path}/a"),
            "application/merge-patch+json",
            "{nope",
        )
        .await;
    resp.status(400, "BadRequest");
    assert_eq!(snapshot(&http, &ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_resource_is_not_found() {
    let (_server, _dir, http, ns) = fixture("err-unknown").await;
    let before = snapshot(&http, &ns).await;
    for path in [
        format!("/api/v1/namespaces/{ns}/widgets"),
        format!("/api/v1/namespaces/{ns}/widgets/w"),
        "/apis/widgets.example.com/v1/widgets".to_string(),
        format!("/apis/apps/v1/namespaces/{ns}/configmaps"),
    ] {
        let status = http.get(&path).await.status(404, "NotFound");
        assert_eq!(
            status["message"], "the server could not find the requested resource",
            "{path}"
        );
    }
    let resp = http
        .send_json(
            "POST",
            &format!("/api/v1/namespaces/{ns}/widgets"),
            &json!({"metadata": {"name": "w"}}),
        )
        .await;
    resp.status(404, "NotFound");
    assert_eq!(snapshot(&http, &ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_kind_or_api_version_not_matching_the_url_is_bad_request() {
    let (_server, _dir, http, ns) = fixture("err-kind").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps");

    let status = http
        .send_json(
            "POST",
            &path,
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}}),
        )
        .await
        .status(400, "BadRequest");
    let message = status["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Secret") && message.contains("ConfigMap"),
        "{status}"
    );

    let status = http
        .send_json(
            "POST",
            &path,
            &json!({"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        )
        .await
        .status(400, "BadRequest");
    assert_eq!(
        status["message"],
        "the API version in the data (apps/v1) does not match the expected API version (v1)"
    );

    // On PUT too.
    let resp = http
        .send_json(
            "PUT",
            &format!("{path}/a"),
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}}),
        )
        .await;
    resp.status(400, "BadRequest");
    assert_eq!(snapshot(&http, &ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_with_another_name_than_the_url_is_bad_request() {
    let (_server, _dir, http, ns) = fixture("err-name").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps/a");
    let mut obj = http.get(&path).await.ok();
    obj["metadata"]["name"] = json!("b");
    obj["data"] = json!({"v": "changed"});
    let status = http.send_json("PUT", &path, &obj).await.status(400, "BadRequest");
    assert_eq!(
        status["message"],
        "the name of the object (b) does not match the name on the URL (a)"
    );

    // The namespace must match as well.
    let mut obj = http.get(&path).await.ok();
    obj["metadata"]["namespace"] = json!("default");
    let resp = http.send_json("PUT", &path, &obj).await;
    resp.status(400, "BadRequest");
    assert_eq!(snapshot(&http, &ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_name_is_invalid_with_a_cause_on_metadata_name() {
    let (_server, _dir, http, ns) = fixture("err-invalid").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    for bad in ["Bad_Name", "-leading-dash", "a/b"] {
        let status = http
            .send_json(
                "POST",
                &path,
                &json!({"metadata": {"name": bad}, "data": {"v": "1"}}),
            )
            .await
            .status(422, "Invalid");
        assert_eq!(status["details"]["name"], bad, "{status}");
        assert_eq!(status["details"]["kind"], "ConfigMap", "{status}");
        let message = status["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!(
                "ConfigMap \"{bad}\" is invalid: metadata.name: Invalid value: \"{bad}\""
            )),
            "{status}"
        );
        let causes = status["details"]["causes"].as_array().expect("causes");
        assert!(!causes.is_empty(), "{status}");
        assert!(
            causes
                .iter()
                .all(|c| c["field"] == "metadata.name" && c["reason"] == "FieldValueInvalid"),
            "{status}"
        );
    }
    // A name that is too long.
    let long = "x".repeat(254);
    let status = http
        .send_json("POST", &path, &json!({"metadata": {"name": long}}))
        .await
        .status(422, "Invalid");
    assert_eq!(
        status["details"]["causes"][0]["field"], "metadata.name",
        "{status}"
    );
    // Namespaces are DNS labels: no dots.
    let status = http
        .send_json(
            "POST",
            "/api/v1/namespaces",
            &json!({"metadata": {"name": "has.dot"}}),
        )
        .await
        .status(422, "Invalid");
    assert_eq!(status["details"]["kind"], "Namespace", "{status}");
    assert_eq!(
        status["details"]["causes"][0]["field"], "metadata.name",
        "{status}"
    );
    let resp = http.get("/api/v1/namespaces/has.dot").await;
    resp.status(404, "NotFound");
    assert_eq!(snapshot(&http, &ns).await, before);
}

/// kube-apiserver's causes carry the field in `field` and the rest in `message`
/// (`field.Error.ErrorBody()`): `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain ...`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_cause_message_leaves_the_field_out() {
    let (_server, _dir, http, ns) = fixture("err-cause").await;
    let status = http
        .send_json(
            "POST",
            &format!("/api/v1/namespaces/{ns}/configmaps"),
            &json!({"metadata": {"name": "Bad_Name"}}),
        )
        .await
        .status(422, "Invalid");
    let cause = &status["details"]["causes"][0];
    assert_eq!(cause["field"], "metadata.name", "{status}");
    assert!(
        cause["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain")),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_3_mib_is_too_large() {
    let (_server, _dir, http, ns) = fixture("err-large").await;
    let before = snapshot(&http, &ns).await;
    let big = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big"},
        "data": {"blob": "x".repeat(3 * 1024 * 1024 + 16)},
    });
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    let status = http
        .send_json("POST", &path, &big)
        .await
        .status(413, "RequestEntityTooLarge");
    assert_eq!(status["message"], "Request entity too large: limit is 3145728");
    let resp = http.send_json("PUT", &format!("{path}/a"), &big).await;
    resp.status(413, "RequestEntityTooLarge");
    http.get(&format!("{path}/big")).await.status(404, "NotFound");
    assert_eq!(snapshot(&http, &ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_object_is_not_found() {
    let (_server, _dir, http, ns) = fixture("err-missing").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps/x");
    let expect_not_found = |resp: Response| {
        let status = resp.status(404, "NotFound");
        assert_eq!(status["message"], "configmaps \"x\" not found", "{status}");
        assert_eq!(
            status["details"],
            json!({"name": "x", "kind": "configmaps"}),
            "{status}"
        );
    };
    expect_not_found(http.get(&path).await);
    expect_not_found(
        http.request(Request {
            method: "DELETE",
            path: &path,
            ..Request::default()
        })
        .await,
    );
    expect_not_found(
        http.send(
            "PATCH",
            &path,
            "application/merge-patch+json",
            r#"{"data":{"v":"1"}}"#,
        )
        .await,
    );
    expect_not_found(
        http.send_json(
            "PUT",
            &path,
            &json!({"metadata": {"name": "x", "resourceVersion": "1"}, "data": {"v": "1"}}),
        )
        .await,
    );
    // A missing namespace.
    let status = http
        .send_json(
            "POST",
            "/api/v1/namespaces/no-such-namespace/configmaps",
            &json!({"metadata": {"name": "x"}}),
        )
        .await
        .status(404, "NotFound");
    assert_eq!(status["message"], "namespaces \"no-such-namespace\" not found");
    assert_eq!(snapshot(&http, &ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_resource_version_on_put_is_conflict() {
    let (_server, _dir, http, ns) = fixture("err-stale").await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps/a");
    let old = http.get(&path).await.ok();
    let mut newer = old.clone();
    newer["data"]["v"] = json!("updated");
    let updated = http.send_json("PUT", &path, &newer).await.ok();
    assert_ne!(
        updated["metadata"]["resourceVersion"],
        old["metadata"]["resourceVersion"]
    );

    let before = snapshot(&http, &ns).await;
    let mut stale = old.clone();
    stale["data"]["v"] = json!("lost update");
    let status = http.send_json("PUT", &path, &stale).await.status(409, "Conflict");
    assert_eq!(
        status["message"],
        "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; \
         please apply your changes to the latest version and try again"
    );
    assert_eq!(status["details"]["name"], "a", "{status}");
    assert_eq!(status["details"]["kind"], "configmaps", "{status}");

    // The same in a merge patch body.
    let patch =
        json!({"metadata": {"resourceVersion": old["metadata"]["resourceVersion"]}, "data": {"v": "x"}});
    let resp = http
        .send("PATCH", &path, "application/merge-patch+json", patch.to_string())
        .await;
    resp.status(409, "Conflict");
    // Creating what exists.
    let status = http
        .send_json(
            "POST",
            &format!("/api/v1/namespaces/{ns}/configmaps"),
            &json!({"metadata": {"name": "a"}}),
        )
        .await
        .status(409, "AlreadyExists");
    assert_eq!(status["message"], "configmaps \"a\" already exists");
    assert_eq!(snapshot(&http, &ns).await, before);
    assert_eq!(http.get(&path).await.ok()["data"]["v"], "updated");
}

/// kube-apiserver answers a JSON patch that cannot be applied with
/// `NewGenericServerResponse(422, ...)`: reason Invalid, message exactly "the server rejected our
/// request due to an error in our request", empty details — kubectl prints
/// `The request is invalid: the server rejected our request due to an error in our request`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_patch_that_cannot_apply_is_invalid_like_kube() {
    let (_server, _dir, http, ns) = fixture("err-jsonpatch").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps/a");
    for patch in [
        r#"[{"op":"test","path":"/data/v","value":"999"}]"#,
        r#"[{"op":"remove","path":"/data/missing"}]"#,
    ] {
        let status = http
            .send("PATCH", &path, "application/json-patch+json", patch)
            .await
            .status(422, "Invalid");
        assert_eq!(
            status["message"], "the server rejected our request due to an error in our request",
            "{status}"
        );
        assert!(status["details"].get("name").is_none(), "{status}");
        assert!(status["details"].get("kind").is_none(), "{status}");
    }
    assert_eq!(snapshot(&http, &ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_media_type() {
    let (_server, _dir, http, ns) = fixture("err-media").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    let resp = http
        .send("POST", &path, "text/plain", "metadata: {name: t}")
        .await;
    resp.status(415, "UnsupportedMediaType");
    let resp = http
        .send("PATCH", &format!("{path}/a"), "application/xml", "<data/>")
        .await;
    resp.status(415, "UnsupportedMediaType");
    assert_eq!(snapshot(&http, &ns).await, before);
}

/// kube-apiserver registers no PUT on collections; its go-restful error handler answers
/// 405 MethodNotAllowed "the server does not allow this method on the requested resource".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_on_a_collection_is_method_not_allowed() {
    let (_server, _dir, http, ns) = fixture("err-method").await;
    let before = snapshot(&http, &ns).await;
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    let status = http
        .send_json("PUT", &path, &json!({"metadata": {"name": "a"}}))
        .await
        .status(405, "MethodNotAllowed");
    assert_eq!(
        status["message"],
        "the server does not allow this method on the requested resource"
    );
    assert_eq!(snapshot(&http, &ns).await, before);
}

/// A watch from a resourceVersion older than the watch window: 200, then one ERROR event whose
/// object is a Status 410 Expired, then the end of the stream. Right after a restart the window
/// starts at the current revision, so revision 1 is too old.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_a_too_old_resource_version_is_expired() {
    let data = TempDir::new("err-expired-data");
    let server = Server::start(Options::tokio().data_dir(data.path())).await;
    let dir = TempDir::new("err-expired");
    let k = server.kubectl(&dir);
    k.ok(&["create", "configmap", "old", "--from-literal=a=b"]).await;
    server.stop().await;

    let server = Server::start(Options::tokio().data_dir(data.path())).await;
    let http = server.http(&dir);
    let before = http.items("/api/v1/configmaps").await;
    let resp = http
        .watch(
            "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1",
            30,
        )
        .await;
    assert_eq!(resp.code, 200, "{resp}");
    let events = resp.json_lines();
    assert_eq!(events.len(), 1, "{resp}");
    assert_eq!(events[0]["type"], "ERROR", "{resp}");
    let status = &events[0]["object"];
    assert_eq!(status["kind"], "Status", "{resp}");
    assert_eq!(status["apiVersion"], "v1", "{resp}");
    assert_eq!(status["status"], "Failure", "{resp}");
    assert_eq!(status["reason"], "Expired", "{resp}");
    assert_eq!(status["code"], 410, "{resp}");
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("too old resource version: 1 (")),
        "{resp}"
    );

    // The refused watch changed nothing and the server goes on serving.
    let out = k.run(&["get", "configmap", "old", "-o", "name"]).await;
    assert!(out.success(), "{out}");
    assert_eq!(out.stdout.trim(), "configmap/old");
    assert_eq!(http.items("/api/v1/configmaps").await, before);
    server.stop().await;
}
