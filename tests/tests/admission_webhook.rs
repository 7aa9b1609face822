//! Admission webhooks end to end: MutatingWebhookConfiguration and
//! ValidatingWebhookConfiguration objects created with kubectl send AdmissionReviews to a
//! real HTTPS webhook (trusted through its caBundle, with the credentials of the
//! WebhookAdmissionConfiguration kubeconfig); a JSON patch changes what is stored, a denial
//! reaches kubectl in kube's words, and failures follow each webhook's failure policy.

use base64::Engine as _;
use gatehouse_tests::webhook_server::{Received, WebhookServer};
use gatehouse_tests::*;

/// The review's request and a response to it.
fn respond(r: &Received, response: Value) -> (u16, String) {
    let review: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    let mut response = response;
    response["uid"] = review["request"]["uid"].clone();
    let answer =
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response});
    (200, answer.to_string())
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// What the webhook does at each path.
fn answer(r: &Received) -> (u16, String) {
    let review: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    let object = &review["request"]["object"];
    let labels = &object["metadata"]["labels"];
    let path = r.path.split('?').next().unwrap_or("");
    match path {
        "/mutate" => {
            let patch = json!([
                {"op": "add", "path": "/metadata/labels/mutated", "value": "yes"},
                {"op": "add", "path": "/spec/containers/0/env", "value": [{"name": "INJECTED", "value": "by-webhook"}]},
            ]);
            respond(
                r,
                json!({"allowed": true, "patchType": "JSONPatch", "patch": b64(&patch.to_string())}),
            )
        }
        "/validate" => {
            // It must see what the mutating webhook made, unless that one was told to skip.
            let opted_out = labels["no-mutate"].is_string();
            if !opted_out
                && (labels["mutated"] != "yes"
                    || object["spec"]["containers"][0]["env"][0]["name"] != "INJECTED")
            {
                return respond(r, json!({"allowed": false, "status": {"message": "not mutated"}}));
            }
            if labels["deny"] == "yes" {
                return respond(
                    r,
                    json!({"allowed": false, "status": {"code": 403, "reason": "Forbidden", "message": "pods labelled deny are refused"}}),
                );
            }
            respond(
                r,
                json!({"allowed": true, "warnings": ["seen by validate.gatehouse.test"]}),
            )
        }
        "/slow" => {
            std::thread::sleep(std::time::Duration::from_secs(3));
            respond(r, json!({"allowed": true}))
        }
        "/badpatch" => {
            let patch = json!([{"op": "replace", "path": "/spec/nothing/here", "value": 1}]);
            respond(
                r,
                json!({"allowed": true, "patchType": "JSONPatch", "patch": b64(&patch.to_string())}),
            )
        }
        _ => (404, "{}".into()),
    }
}

/// A webhook entry for pods in namespaces labelled `scenario=<scenario>`.
fn webhook(name: &str, url: &str, ca: &str, scenario: &str, extra: Value) -> Value {
    let mut w = json!({
        "name": name,
        "clientConfig": {"url": url, "caBundle": ca},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "namespaceSelector": {"matchLabels": {"scenario": scenario}},
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    });
    if let (Some(w), Value::Object(extra)) = (w.as_object_mut(), extra) {
        w.extend(extra);
    }
    w
}

fn pod(ns: &str, name: &str, labels: Value) -> String {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_mutate_validate_and_fail_as_kube_does() {
    let hook = WebhookServer::start(Box::new(answer));
    let dir = TempDir::new("admission-webhook");
    let port = hook.url.rsplit(':').next().unwrap_or("").to_string();
    // The API server's credentials toward the webhook, by its host:port.
    let users = dir.write(
        "webhook-users.yaml",
        format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: 127.0.0.1:{port}\n  user:\n    token: admission-secret\n"
        ),
    );
    let plugin_config = format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: WebhookAdmissionConfiguration\nkubeConfigFile: {}\n",
        users.display()
    );
    dir.write("webhook-admission.yaml", plugin_config);
    let admission = dir.write(
        "admission.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: MutatingAdmissionWebhook\n  path: webhook-admission.yaml\n- name: ValidatingAdmissionWebhook\n  path: webhook-admission.yaml\n",
    );
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--admission-control-config-file={}", admission.display())),
    )
    .await;
    let k = server.kubectl(&dir);

    for scenario in ["main", "down-fail", "down-ignore", "slow", "badpatch"] {
        k.ok(&["create", "namespace", scenario]).await;
        k.ok(&["label", "namespace", scenario, &format!("scenario={scenario}")])
            .await;
    }
    k.ok(&["create", "namespace", "plain"]).await;

    let ca = b64(&hook.ca.cert_pem);
    let url = |path: &str| format!("{}{path}", hook.url);
    let mutating = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "gatehouse-test"},
        "webhooks": [
            webhook("mutate.gatehouse.test", &url("/mutate"), &ca, "main", json!({
                "matchConditions": [{"name": "not-opted-out",
                    "expression": "!has(object.metadata.labels) || !('no-mutate' in object.metadata.labels)"}],
            })),
            webhook("badpatch.gatehouse.test", &url("/badpatch"), &ca, "badpatch", json!({"failurePolicy": "Ignore"})),
        ],
    });
    let closed = "https://127.0.0.1:1/down";
    let validating = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "gatehouse-test"},
        "webhooks": [
            webhook("validate.gatehouse.test", &url("/validate"), &ca, "main", json!({
                "objectSelector": {"matchExpressions": [{"key": "skip-validation", "operator": "DoesNotExist"}]},
            })),
            webhook("down-fail.gatehouse.test", closed, &ca, "down-fail", json!({"failurePolicy": "Fail"})),
            webhook("down-ignore.gatehouse.test", closed, &ca, "down-ignore", json!({"failurePolicy": "Ignore"})),
            webhook("slow.gatehouse.test", &url("/slow"), &ca, "slow", json!({"timeoutSeconds": 1})),
        ],
    });
    let m = dir.write("mutating.json", mutating.to_string());
    let v = dir.write("validating.json", validating.to_string());
    k.ok(&["create", "-f", &m.to_string_lossy()]).await;
    k.ok(&["create", "-f", &v.to_string_lossy()]).await;

    let create = |file: &str, manifest: String| {
        let path = dir.write(file, manifest);
        path.to_string_lossy().into_owned()
    };

    // Mutated (a label and a container's env by JSON patch), then validated, with a warning.
    let p = create("ok.json", pod("main", "ok", json!({"app": "demo"})));
    let out = k.run(&["create", "-f", &p]).await;
    assert!(out.success(), "{out}");
    assert!(
        out.stderr.contains("Warning: seen by validate.gatehouse.test"),
        "{out}"
    );
    let stored = k.json(&["get", "pod", "ok", "-n", "main", "-o", "json"]).await;
    assert_eq!(stored["metadata"]["labels"]["mutated"], "yes");
    assert_eq!(stored["spec"]["containers"][0]["env"][0]["value"], "by-webhook");
    {
        let seen = hook.received.lock().unwrap();
        let first = seen
            .iter()
            .find(|r| r.path.starts_with("/mutate"))
            .expect("the mutating webhook was called");
        assert_eq!(first.path, "/mutate?timeout=10s");
        assert_eq!(first.header("authorization"), Some("Bearer admission-secret"));
        let review: Value = serde_json::from_slice(&first.body).unwrap();
        assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(review["request"]["operation"], "CREATE");
        assert_eq!(review["request"]["namespace"], "main");
        assert_eq!(review["request"]["resource"]["resource"], "pods");
        assert_eq!(review["request"]["userInfo"]["groups"][0], "system:masters");
    }

    // Denied in kube's words; nothing stored.
    let p = create(
        "deny.json",
        pod("main", "denied", json!({"app": "demo", "deny": "yes"})),
    );
    let out = k.fails(&["create", "-f", &p]).await;
    assert!(
        out.stderr.contains(
            "Error from server (Forbidden): error when creating \"".to_string().as_str()
        ) && out.stderr.contains(
            "admission webhook \"validate.gatehouse.test\" denied the request: pods labelled deny are refused"
        ),
        "{out}"
    );
    k.fails(&["get", "pod", "denied", "-n", "main"]).await;

    // The object selector skips the validating webhook; match conditions skip the mutating one.
    let p = create(
        "skip.json",
        pod(
            "main",
            "skipped",
            json!({"deny": "yes", "skip-validation": "1", "no-mutate": "1"}),
        ),
    );
    k.ok(&["create", "-f", &p]).await;
    let stored = k
        .json(&["get", "pod", "skipped", "-n", "main", "-o", "json"])
        .await;
    assert!(stored["metadata"]["labels"]["mutated"].is_null(), "{stored}");
    // A namespace the selectors do not select: no webhook at all.
    let p = create(
        "plain.json",
        pod("plain", "denied-elsewhere", json!({"deny": "yes"})),
    );
    k.ok(&["create", "-f", &p]).await;

    // A server-side dry run reaches webhooks without side effects; nothing is stored.
    let p = create("dry.json", pod("main", "dry", json!({"app": "demo"})));
    let out = k.ok(&["create", "-f", &p, "--dry-run=server"]).await;
    assert!(out.contains("created (server dry run)"), "{out}");
    k.fails(&["get", "pod", "dry", "-n", "main"]).await;
    {
        let seen = hook.received.lock().unwrap();
        let dry = seen
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .find(|r| r["request"]["name"] == "dry")
            .expect("the dry run was reviewed");
        assert_eq!(dry["request"]["dryRun"], true);
    }

    // A webhook nobody answers: Fail refuses with kube's 500, Ignore lets the pod in.
    let p = create("down.json", pod("down-fail", "down", json!({"app": "demo"})));
    let out = k.fails(&["create", "-f", &p]).await;
    assert!(
        out.stderr.contains("Internal error occurred: failed calling webhook \"down-fail.gatehouse.test\": failed to call webhook: Post \"https://127.0.0.1:1/down?timeout=10s\": dial tcp 127.0.0.1:1: connect: connection refused"),
        "{out}"
    );
    k.fails(&["get", "pod", "down", "-n", "down-fail"]).await;
    let p = create(
        "ignored.json",
        pod("down-ignore", "ignored", json!({"app": "demo"})),
    );
    k.ok(&["create", "-f", &p]).await;

    // Slower than its timeoutSeconds: a failure to call it.
    let p = create("slow.json", pod("slow", "slow", json!({"app": "demo"})));
    let out = k.fails(&["create", "-f", &p]).await;
    assert!(
        out.stderr.contains(&format!(
            "failed calling webhook \"slow.gatehouse.test\": failed to call webhook: Post \"{}/slow?timeout=1s\": context deadline exceeded",
            hook.url
        )),
        "{out}"
    );
    k.fails(&["get", "pod", "slow", "-n", "slow"]).await;

    // A patch that does not apply is a 500 even under Ignore.
    let p = create(
        "badpatch.json",
        pod("badpatch", "patched", json!({"app": "demo"})),
    );
    let out = k.fails(&["create", "-f", &p]).await;
    assert!(
        out.stderr
            .contains("Internal error occurred: replace operation does not apply"),
        "{out}"
    );
    k.fails(&["get", "pod", "patched", "-n", "badpatch"]).await;

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_behind_a_service_is_reached_at_its_endpoint() {
    let ip = routable_ip();
    let hook = WebhookServer::start_at(
        Box::new(|r| {
            respond(
                r,
                json!({"allowed": false, "status": {"code": 403, "reason": "Forbidden", "message": "reached through the service"}}),
            )
        }),
        ip,
        &["hooks.webhooks.svc"],
    );
    let port = hook.url.rsplit(':').next().unwrap_or("").to_string();
    let dir = TempDir::new("admission-webhook-service");
    let server = Server::start(Options::tokio().memory()).await;
    let k = server.kubectl(&dir);
    k.ok(&["create", "namespace", "webhooks"]).await;
    k.ok(&["create", "namespace", "guarded"]).await;
    k.ok(&["label", "namespace", "guarded", "scenario=svc"]).await;
    let objects = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hooks", "namespace": "webhooks"},
         "spec": {"ports": [{"name": "https", "port": 443, "targetPort": 8443}]}},
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "hooks", "namespace": "webhooks"},
         "subsets": [{"addresses": [{"ip": ip.to_string()}], "ports": [{"name": "https", "port": port.parse::<u16>().unwrap_or(0)}]}]},
    ]});
    let f = dir.write("service.json", objects.to_string());
    k.ok(&["create", "-f", &f.to_string_lossy()]).await;
    let config = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "by-service"},
        "webhooks": [{
            "name": "service.gatehouse.test",
            "clientConfig": {"service": {"namespace": "webhooks", "name": "hooks", "path": "/validate"},
                             "caBundle": b64(&hook.ca.cert_pem)},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"]}],
            "namespaceSelector": {"matchLabels": {"scenario": "svc"}},
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
        }],
    });
    let f = dir.write("config.json", config.to_string());
    k.ok(&["create", "-f", &f.to_string_lossy()]).await;

    let out = k
        .fails(&["create", "configmap", "c", "-n", "guarded", "--from-literal=a=b"])
        .await;
    assert!(
        out.stderr.contains(
            "admission webhook \"service.gatehouse.test\" denied the request: reached through the service"
        ),
        "{out}"
    );
    k.fails(&["get", "configmap", "c", "-n", "guarded"]).await;
    assert_eq!(
        hook.received
            .lock()
            .unwrap()
            .first()
            .map(|r| r.path.clone())
            .as_deref(),
        Some("/validate?timeout=10s")
    );
    // Elsewhere the webhook is not asked.
    k.ok(&["create", "configmap", "c", "-n", "webhooks", "--from-literal=a=b"])
        .await;
    server.stop().await;
}

/// Fail-open means fail-open: four `Ignore` webhooks that each hang for their whole 10 s
/// would together outlast a 30 s request (kube answers 504, kubernetes/kubernetes#128162).
/// Gatehouse calls the first two, leaves out those whose call would end inside the time the
/// request keeps for itself, warns about them, and the pod is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_ignore_webhooks_never_fail_the_request() {
    let hook = WebhookServer::start(Box::new(|r| {
        std::thread::sleep(std::time::Duration::from_secs(12));
        respond(r, json!({"allowed": true}))
    }));
    let dir = TempDir::new("admission-fail-open");
    let server = Server::start(Options::tokio().memory().arg("--request-timeout=30s")).await;
    let k = server.kubectl(&dir);
    k.ok(&["create", "namespace", "fail-open"]).await;
    k.ok(&["label", "namespace", "fail-open", "scenario=fail-open"])
        .await;
    let ca = b64(&hook.ca.cert_pem);
    let hooks: Vec<Value> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| {
            webhook(
                &format!("{n}.slow.gatehouse.test"),
                &format!("{}/{n}", hook.url),
                &ca,
                "fail-open",
                json!({"failurePolicy": "Ignore", "timeoutSeconds": 10}),
            )
        })
        .collect();
    let config = json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "slow-ignore"}, "webhooks": hooks});
    let file = dir.write("slow.json", config.to_string());
    k.ok(&["create", "-f", &file.display().to_string()]).await;
    // The configuration reaches the watch cache.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let p = dir.write("pod.json", pod("fail-open", "patient", json!({})));
    let started = std::time::Instant::now();
    let out = k.run(&["create", "-f", &p.display().to_string()]).await;
    let took = started.elapsed();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for skipped in ["c", "d"] {
        assert!(
            out.stderr.contains(&format!(
                "Warning: admission webhook \"{skipped}.slow.gatehouse.test\" was not called: its timeout of 10s would outlast the request's deadline (failurePolicy Ignore)"
            )),
            "{}",
            out.stderr
        );
    }
    assert!(took < std::time::Duration::from_secs(29), "{took:?}");
    k.ok(&["get", "pod", "patient", "-n", "fail-open"]).await;
    let paths: Vec<String> = hook
        .received
        .lock()
        .map(|seen| seen.iter().map(|r| r.path.clone()).collect())
        .unwrap_or_default();
    assert_eq!(paths.len(), 2, "only the first two are called: {paths:?}");
}
