//! Media types over real HTTP. Kubernetes protobuf: a client that prefers `application/vnd.kubernetes.protobuf`
//! (as client-go's core clients do) gets objects and lists in the `k8s\0` envelope, decodable
//! to the same data the JSON answer carries; a client that prefers JSON keeps JSON; a kind or
//! answer without a protobuf form (a Status error) falls back to JSON. YAML: request bodies in
//! `application/yaml` are accepted, and answers are YAML when the client prefers it.

use gatehouse_core::codec::protobuf;
use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

const PROTOBUF_FIRST: &str = "Accept: application/vnd.kubernetes.protobuf, application/json";

async fn get_as(http: &Http, path: &str, accept: &str) -> Response {
    http.request(Request {
        path,
        headers: vec![accept.to_string()],
        ..Default::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_and_lists_answer_in_protobuf_when_preferred() {
    let server = SERVER.get().await;
    let dir = TempDir::new("protobuf");
    let http = server.http(&dir);
    let ns = unique("pb");
    let r = http
        .send_json("POST", "/api/v1/namespaces", &json!({"metadata": {"name": ns}}))
        .await;
    assert_eq!(r.code, 201, "{r}");
    for name in ["a", "b"] {
        let r = http
            .send_json(
                "POST",
                &format!("/api/v1/namespaces/{ns}/configmaps"),
                &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}}),
            )
            .await;
        assert_eq!(r.code, 201, "{r}");
    }
    let r = http
        .send_json(
            "POST",
            &format!("/apis/apps/v1/namespaces/{ns}/deployments"),
            &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}),
        )
        .await;
    assert_eq!(r.code, 201, "{r}");

    // One object.
    let path = format!("/api/v1/namespaces/{ns}/configmaps/a");
    let pb = get_as(&http, &path, PROTOBUF_FIRST).await;
    assert_eq!(pb.code, 200, "{pb}");
    assert_eq!(
        pb.header("content-type").as_deref(),
        Some("application/vnd.kubernetes.protobuf")
    );
    assert!(pb.raw.starts_with(b"k8s\0"), "the k8s envelope: {pb}");
    let decoded = protobuf::decode(&pb.raw).expect("the answer decodes");
    assert_eq!(decoded.kind, "ConfigMap");
    let js = http.get(&path).await.ok();
    assert_eq!(decoded.object["data"], js["data"]);
    assert_eq!(decoded.object["metadata"]["uid"], js["metadata"]["uid"]);
    assert_eq!(
        decoded.object["metadata"]["resourceVersion"],
        js["metadata"]["resourceVersion"]
    );

    // A list, and a kind from a named group.
    let list = get_as(
        &http,
        &format!("/api/v1/namespaces/{ns}/configmaps"),
        PROTOBUF_FIRST,
    )
    .await;
    assert_eq!(list.code, 200, "{list}");
    let decoded = protobuf::decode(&list.raw).expect("the list decodes");
    assert_eq!(decoded.kind, "ConfigMapList");
    let names: Vec<&str> = decoded.object["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| not_root_ca(i))
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert!(decoded.object["metadata"]["resourceVersion"].is_string());
    let dep = get_as(
        &http,
        &format!("/apis/apps/v1/namespaces/{ns}/deployments/web"),
        PROTOBUF_FIRST,
    )
    .await;
    let decoded = protobuf::decode(&dep.raw).expect("the deployment decodes");
    assert_eq!(decoded.object["spec"]["replicas"], 1);
    assert_eq!(decoded.object["spec"]["strategy"]["type"], "RollingUpdate");

    // JSON first keeps JSON; errors stay JSON Status.
    let js = get_as(
        &http,
        &path,
        "Accept: application/json, application/vnd.kubernetes.protobuf",
    )
    .await;
    assert_eq!(js.header("content-type").as_deref(), Some("application/json"));
    js.ok();
    let missing = get_as(
        &http,
        &format!("/api/v1/namespaces/{ns}/configmaps/none"),
        PROTOBUF_FIRST,
    )
    .await;
    missing.status(404, "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaml_bodies_and_answers() {
    let server = SERVER.get().await;
    let dir = TempDir::new("yaml");
    let http = server.http(&dir);
    let ns = unique("yaml");
    let r = http
        .send_json("POST", "/api/v1/namespaces", &json!({"metadata": {"name": ns}}))
        .await;
    assert_eq!(r.code, 201, "{r}");
    let body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  labels:\n    tier: web\ndata:\n  answer: \"42\"\n";
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    let r = http.send("POST", &path, "application/yaml", body).await;
    assert_eq!(r.code, 201, "{r}");
    assert_eq!(r.json()["data"]["answer"], "42");
    let got = get_as(&http, &format!("{path}/from-yaml"), "Accept: application/yaml").await;
    assert_eq!(got.code, 200, "{got}");
    assert_eq!(got.header("content-type").as_deref(), Some("application/yaml"));
    assert!(
        got.body.starts_with("apiVersion: v1\ndata:\n"),
        "keys sorted as kube writes them: {got}"
    );
    assert!(
        got.body.contains("  answer: '42'\n") || got.body.contains("  answer: \"42\"\n"),
        "{got}"
    );
    // Malformed YAML is a 400, and nothing is stored.
    let r = http
        .send("POST", &path, "application/yaml", "metadata: [unclosed")
        .await;
    assert_eq!(r.code, 400, "{r}");
}

/// Every protobuf frame of a watch response, decoded.
fn watch_frames(r: &Response) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut rest = &r.raw[..];
    while !rest.is_empty() {
        let (ev, after) = protobuf::decode_watch_event(rest)
            .unwrap_or_else(|e| panic!("a bad frame ({e})\n{r}"))
            .unwrap_or_else(|| panic!("a partial frame at the end\n{r}"));
        out.push((ev.event_type, ev.object.object));
        rest = after;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_stream_protobuf_frames_when_preferred() {
    let server = SERVER.get().await;
    let dir = TempDir::new("protobuf-watch");
    let http = server.http(&dir);
    let ns = unique("pbw");
    let r = http
        .send_json("POST", "/api/v1/namespaces", &json!({"metadata": {"name": ns}}))
        .await;
    assert_eq!(r.code, 201, "{r}");
    let cms = format!("/api/v1/namespaces/{ns}/configmaps");
    let created = http
        .send_json(
            "POST",
            &cms,
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "1"}}),
        )
        .await
        .ok();
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // A watch list: the ADDED object, then the bookmark that ends the initial events, as
    // client-go's protobuf clients (Accept `application/vnd.kubernetes.protobuf;stream=watch`
    // or the plain media type) read them.
    for accept in [
        "Accept: application/vnd.kubernetes.protobuf;stream=watch, application/json",
        PROTOBUF_FIRST,
    ] {
        let r = http
            .request(Request {
                path: &format!(
                    "{cms}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2"
                ),
                headers: vec![accept.to_string()],
                max_secs: Some(10),
                ..Default::default()
            })
            .await;
        assert_eq!(r.code, 200, "{r}");
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/vnd.kubernetes.protobuf;stream=watch")
        );
        let mut frames = watch_frames(&r);
        frames.retain(|(_, object)| not_root_ca(object));
        assert!(frames.len() >= 2, "{frames:?}");
        assert_eq!(frames[0].0, "ADDED");
        assert_eq!(frames[0].1["data"]["k"], "1");
        assert_eq!(
            frames[0].1["metadata"]["resourceVersion"].as_str(),
            Some(rv.as_str())
        );
        assert_eq!(frames[1].0, "BOOKMARK");
        assert_eq!(frames[1].1["kind"], "ConfigMap");
        assert_eq!(
            frames[1].1["metadata"]["annotations"]["k8s.io/initial-events-end"],
            "true"
        );
    }

    // Changes after the watch starts arrive as frames too.
    let watch = {
        let http = server.http(&dir);
        let path = format!("{cms}?watch=1&resourceVersion={rv}&timeoutSeconds=4");
        tokio::spawn(async move {
            http.request(Request {
                path: &path,
                headers: vec![PROTOBUF_FIRST.to_string()],
                max_secs: Some(15),
                ..Default::default()
            })
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let r = http
        .send(
            "PATCH",
            &format!("{cms}/a"),
            "application/merge-patch+json",
            r#"{"data":{"k":"2"}}"#,
        )
        .await;
    assert_eq!(r.code, 200, "{r}");
    let r = http
        .request(Request {
            method: "DELETE",
            path: &format!("{cms}/a"),
            ..Default::default()
        })
        .await;
    assert_eq!(r.code, 200, "{r}");
    let r = watch.await.expect("the watch task");
    let frames = watch_frames(&r);
    let seen: Vec<(&str, &Value)> = frames
        .iter()
        .map(|(t, o)| (t.as_str(), &o["data"]["k"]))
        .collect();
    assert_eq!(seen, [("MODIFIED", &json!("2")), ("DELETED", &json!("2"))], "{r}");
}

/// kubectl 1.32's typed clients list and watch in protobuf: `kubectl run -i` waits on a
/// protobuf watch of its pod and goes on once the pod has finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_waits_on_a_protobuf_watch() {
    let server = SERVER.get().await;
    let dir = TempDir::new("protobuf-kubectl");
    let kubectl = server.kubectl(&dir);
    let http = server.http(&dir);
    let ns = unique("pbk");
    kubectl.ok(&["create", "namespace", &ns]).await;
    let run = kubectl.spawn(&[
        "run",
        "job",
        "-n",
        &ns,
        "--image=busybox",
        "--restart=Never",
        "-i",
        "-v=8",
        "--",
        "true",
    ]);
    // Once kubectl's watch of the pod is open, the pod finishes.
    wait_for("kubectl's watch of its pod", || {
        let seen = run.stderr().contains("&watch=true");
        async move { seen.then_some(()) }
    })
    .await;
    let pod = format!("/api/v1/namespaces/{ns}/pods/job");
    let mut live = http.get(&pod).await.ok();
    live["status"]["phase"] = "Succeeded".into();
    let r = http.send_json("PUT", &format!("{pod}/status"), &live).await;
    assert_eq!(r.code, 200, "{r}");
    let out = run.finish().await;
    assert!(out.success(), "{out}");
    assert!(
        out.stderr
            .contains("Content-Type: application/vnd.kubernetes.protobuf;stream=watch"),
        "the watch was answered in protobuf: {out}"
    );
}
