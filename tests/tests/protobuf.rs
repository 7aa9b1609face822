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
