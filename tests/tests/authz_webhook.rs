//! Webhook authorization end to end: Gatehouse asks a real HTTPS webhook with a
//! SubjectAccessReview (in the configured version, with the kubeconfig's credentials); an
//! allow is final, a deny ends the chain before RBAC, no opinion goes on to RBAC, answers are
//! cached, and a webhook that keeps failing ends the request in kube's 500 unless a later
//! authorizer allows it.

use clap::Parser;
use gatehouse_tests::webhook_server::WebhookServer;
use gatehouse_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_allows_denies_or_passes_to_rbac() {
    let hook = WebhookServer::start(Box::new(|r| {
        let review: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        // Paths (discovery) are RBAC's business; resources are the webhook's.
        let resource = review["spec"]["resourceAttributes"].is_object();
        let status = match review["spec"]["user"].as_str() {
            Some("wendy") => json!({"allowed": true, "reason": "wendy may"}),
            Some("dave") if resource => json!({"allowed": false, "denied": true, "reason": "dave is banned"}),
            Some("erin") if resource => return (500, "{}".into()),
            _ => json!({"allowed": false, "reason": "not my business"}),
        };
        let answer =
            json!({"apiVersion": review["apiVersion"], "kind": "SubjectAccessReview", "status": status});
        (200, answer.to_string())
    }));
    let dir = TempDir::new("authz-webhook");
    let config = dir.write(
        "authz.kubeconfig",
        hook.kubeconfig("/authorize", "apiserver-secret"),
    );
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--authorization-mode=Node,Webhook,RBAC")
            .arg(format!(
                "--authorization-webhook-config-file={}",
                config.display()
            ))
            .arg("--authorization-webhook-version=v1"),
    )
    .await;
    let admin = server.kubectl(&dir);
    admin
        .ok(&["create", "configmap", "cm", "-n", "default", "--from-literal=a=b"])
        .await;
    // RBAC would let dave and erin read configmaps; the webhook is asked first.
    for who in ["dave", "erin", "carol"] {
        admin
            .ok(&[
                "create",
                "rolebinding",
                &format!("view-{who}"),
                "-n",
                "default",
                "--clusterrole=view",
                &format!("--user={who}"),
            ])
            .await;
    }
    let as_user = |name: &str| {
        let cert: &'static CertKeyPem = Box::leak(Box::new(server.client_cert(name, &[])));
        server.kubectl_as(&dir, name, cert_credential(cert))
    };

    // Allowed by the webhook, though RBAC grants wendy nothing.
    let wendy = as_user("wendy");
    wendy.ok(&["get", "configmap", "cm", "-n", "default"]).await;
    {
        let seen = hook.received.lock().unwrap();
        let asked = seen
            .iter()
            .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
            .find(|r| {
                r["spec"]["user"] == "wendy" && r["spec"]["resourceAttributes"]["resource"] == "configmaps"
            })
            .expect("wendy's request was reviewed");
        assert_eq!(asked["apiVersion"], "authorization.k8s.io/v1");
        assert_eq!(asked["kind"], "SubjectAccessReview");
        assert_eq!(asked["spec"]["groups"], json!(["system:authenticated"]));
        assert_eq!(
            asked["spec"]["resourceAttributes"],
            json!({"namespace": "default", "verb": "get", "version": "v1", "resource": "configmaps", "name": "cm"})
        );
        assert_eq!(seen[0].path, "/authorize");
        assert_eq!(seen[0].header("authorization"), Some("Bearer apiserver-secret"));
    }
    // The answer is cached: the same request again asks nobody.
    let calls = hook.received.lock().unwrap().len();
    wendy.ok(&["get", "configmap", "cm", "-n", "default"]).await;
    let wendy_calls = |seen: &[gatehouse_tests::webhook_server::Received]| {
        seen.iter()
            .filter(|r| {
                let v: Value = serde_json::from_slice(&r.body).unwrap();
                v["spec"]["user"] == "wendy" && v["spec"]["resourceAttributes"]["name"] == "cm"
            })
            .count()
    };
    assert_eq!(wendy_calls(&hook.received.lock().unwrap()), 1);
    assert!(hook.received.lock().unwrap().len() >= calls);

    // Denied: the chain ends there, with the webhook's reason.
    let dave = as_user("dave");
    let out = dave.fails(&["get", "configmap", "cm", "-n", "default"]).await;
    assert!(
        out.stderr.contains(
            "configmaps \"cm\" is forbidden: User \"dave\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"default\": dave is banned"
        ),
        "{out}"
    );
    // No opinion: RBAC decides, and its view binding allows carol.
    let carol = as_user("carol");
    carol.ok(&["get", "configmap", "cm", "-n", "default"]).await;
    let out = carol.fails(&["get", "secrets", "-n", "default"]).await;
    assert!(out.stderr.contains("cannot list resource \"secrets\""), "{out}");
    assert!(out.stderr.contains("not my business"), "{out}");

    // A webhook that keeps failing: RBAC still allows what it allows, anything else is 500.
    let erin = as_user("erin");
    erin.ok(&["get", "configmap", "cm", "-n", "default"]).await;
    let cert = server.client_cert("erin", &[]);
    let http = server.http_as(&dir, Some(&cert));
    let r = http.get("/api/v1/namespaces/default/secrets").await;
    assert_eq!(r.code, 500, "{r}");
    assert!(
        r.body.starts_with(
            "Internal Server Error: \"/api/v1/namespaces/default/secrets\": webhook answered 500"
        ),
        "{r}"
    );
    // The access review says the same, with the error.
    let review = admin
        .json(&["create", "-f", &dir.write("sar.json", json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": "erin", "resourceAttributes": {"verb": "list", "resource": "secrets", "namespace": "default"}},
        }).to_string()).display().to_string(), "-o", "json"])
        .await;
    assert_eq!(review["status"]["allowed"], false, "{review}");
    assert_eq!(
        review["status"]["evaluationError"], "webhook answered 500",
        "{review}"
    );
    server.stop().await;
}

#[test]
fn webhook_flags_are_checked_at_start_up() {
    let dir = TempDir::new("authz-webhook-flags");
    let config = dir.write("x.kubeconfig", "");
    for (args, message) in [
        (
            vec!["--authorization-mode=Webhook".to_string()],
            "authorization-mode Webhook's authorization config file not passed",
        ),
        (
            vec![format!(
                "--authorization-webhook-config-file={}",
                config.display()
            )],
            "cannot specify --authorization-webhook-config-file without mode Webhook",
        ),
    ] {
        let mut all = vec![
            "gatehouse".to_string(),
            format!("--data-dir={}", dir.path().display()),
        ];
        all.extend(args);
        let flags = gatehouse_host::flags::Flags::try_parse_from(all).expect("flags parse");
        let err = gatehouse_host::launch::prepare(&flags)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(message), "{err}");
    }
}

/// An AuthorizationConfiguration: Node, a webhook asked only for resources in namespace
/// `guarded` (or everywhere with `everywhere`), then RBAC.
fn structured(kubeconfig: &std::path::Path, everywhere: bool, policy: &str) -> String {
    let mut conditions = vec![json!({"expression": "has(request.resourceAttributes)"})];
    if !everywhere {
        conditions.push(json!({"expression": "request.resourceAttributes.namespace == 'guarded'"}));
    }
    json!({
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthorizationConfiguration",
        "authorizers": [
            {"type": "Node", "name": "node"},
            {"type": "Webhook", "name": "guard.example.com", "webhook": {
                "timeout": "3s",
                "subjectAccessReviewVersion": "v1",
                "matchConditionSubjectAccessReviewVersion": "v1",
                "failurePolicy": policy,
                "connectionInfo": {"type": "KubeConfigFile", "kubeConfigFile": kubeconfig.display().to_string()},
                "matchConditions": conditions,
            }},
            {"type": "RBAC", "name": "rbac"},
        ],
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_structured_configuration_with_match_conditions_and_reload() {
    let hook = WebhookServer::start(Box::new(|r| {
        let review: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        if review["spec"]["user"] == "fran" {
            return (500, "{}".into());
        }
        let status = json!({"allowed": false, "denied": true, "reason": "guarded by the webhook"});
        (
            200,
            json!({"apiVersion": review["apiVersion"], "kind": "SubjectAccessReview", "status": status})
                .to_string(),
        )
    }));
    let dir = TempDir::new("authz-config");
    let kubeconfig = dir.write("guard.kubeconfig", hook.kubeconfig("/", "secret"));
    let config = dir.write("authz.yaml", structured(&kubeconfig, false, "Deny"));
    let server = Server::start(
        Options::smol()
            .memory()
            .arg(format!("--authorization-config={}", config.display())),
    )
    .await;
    let admin = server.kubectl(&dir);
    for ns in ["guarded", "open"] {
        admin.ok(&["create", "namespace", ns]).await;
        for who in ["gina", "fran"] {
            admin
                .ok(&[
                    "create",
                    "rolebinding",
                    who,
                    "-n",
                    ns,
                    "--clusterrole=edit",
                    &format!("--user={who}"),
                ])
                .await;
        }
    }
    let as_user = |name: &str| {
        let cert: &'static CertKeyPem = Box::leak(Box::new(server.client_cert(name, &[])));
        server.kubectl_as(&dir, name, cert_credential(cert))
    };
    let gina = as_user("gina");
    // Outside `guarded` the conditions do not hold: the webhook is not asked, RBAC allows.
    wait_for("gina's binding", || async {
        gina.run(&["get", "configmaps", "-n", "open"])
            .await
            .success()
            .then_some(())
    })
    .await;
    let out = gina.fails(&["get", "configmaps", "-n", "guarded"]).await;
    assert!(out.stderr.contains(": guarded by the webhook"), "{out}");
    assert!(hook
        .received
        .lock()
        .unwrap()
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.body).contains("\"namespace\":\"open\"")));
    // A failing webhook with failurePolicy Deny: kube's 500, though RBAC would allow.
    let cert = server.client_cert("fran", &[]);
    let r = server
        .http_as(&dir, Some(&cert))
        .get("/api/v1/namespaces/guarded/configmaps")
        .await;
    assert_eq!(r.code, 500, "{r}");

    // Reloaded: the webhook guards every namespace now.
    dir.write("authz.yaml", structured(&kubeconfig, true, "Deny"));
    wait_for("the new chain", || async {
        (!gina.run(&["get", "configmaps", "-n", "open"]).await.success()).then_some(())
    })
    .await;
    // A file that drops RBAC is not taken: the running chain stays.
    let broken = json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthorizationConfiguration",
        "authorizers": [{"type": "Node", "name": "node"}]});
    dir.write("authz.yaml", broken.to_string());
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let out = gina.fails(&["get", "configmaps", "-n", "open"]).await;
    assert!(out.stderr.contains(": guarded by the webhook"), "{out}");
    admin.ok(&["get", "namespaces"]).await;
    server.stop().await;
}

#[test]
fn the_structured_configuration_is_checked_at_start_up() {
    let dir = TempDir::new("authz-config-flags");
    let config = dir.write(
        "authz.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: RBAC\n  name: rbac\n",
    );
    let bad = dir.write(
        "bad.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  name: w\n  webhook:\n    timeout: 45s\n    subjectAccessReviewVersion: v1\n    failurePolicy: Deny\n    connectionInfo:\n      type: KubeConfigFile\n      kubeConfigFile: relative.kubeconfig\n",
    );
    for (args, message) in [
        (
            vec![format!("--authorization-config={}", config.display()), "--authorization-mode=RBAC".into()],
            "--authorization-config can not be specified when --authorization-mode or --authorization-webhook-* flags are defined",
        ),
        (
            vec![format!("--authorization-config={}", bad.display())],
            "[authorizers[0].timeout: Invalid value: \"45s\": must be > 0s and <= 30s, authorizers[0].connectionInfo.kubeConfigFile: Invalid value: \"relative.kubeconfig\": must be an absolute path]",
        ),
    ] {
        let mut all = vec!["gatehouse".to_string(), format!("--data-dir={}", dir.path().display())];
        all.extend(args);
        let flags = gatehouse_host::flags::Flags::try_parse_from(all).expect("flags parse");
        let err = gatehouse_host::launch::prepare(&flags)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(message), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_times_out_has_no_opinion_after_its_retries() {
    let hook = WebhookServer::start(Box::new(|r| {
        // Slower than the configured timeout, every time.
        std::thread::sleep(std::time::Duration::from_millis(2_500));
        let review: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        (200, json!({"apiVersion": review["apiVersion"], "kind": "SubjectAccessReview", "status": {"allowed": true}}).to_string())
    }));
    let dir = TempDir::new("authz-timeout");
    let kubeconfig = dir.write("slow.kubeconfig", hook.kubeconfig("/", "secret"));
    let config = json!({
        "apiVersion": "apiserver.config.k8s.io/v1beta1",
        "kind": "AuthorizationConfiguration",
        "authorizers": [
            {"type": "Webhook", "name": "slow", "webhook": {
                "timeout": "1s",
                "subjectAccessReviewVersion": "v1beta1",
                "matchConditionSubjectAccessReviewVersion": "v1",
                "failurePolicy": "NoOpinion",
                "connectionInfo": {"type": "KubeConfigFile", "kubeConfigFile": kubeconfig.display().to_string()},
                "matchConditions": [{"expression": "has(request.resourceAttributes) && request.user == 'tim'"}],
            }},
            {"type": "RBAC", "name": "rbac"},
        ],
    });
    let config = dir.write("authz.json", config.to_string());
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--authorization-config={}", config.display())),
    )
    .await;
    server
        .kubectl(&dir)
        .ok(&[
            "create",
            "rolebinding",
            "tim",
            "-n",
            "default",
            "--clusterrole=view",
            "--user=tim",
        ])
        .await;
    let cert = server.client_cert("tim", &[]);
    let http = server.http_as(&dir, Some(&cert));
    // Every call times out; after kube's retries the webhook has no opinion, so RBAC decides
    // what it allows...
    let ok = wait_for("tim's binding", || async {
        let r = http.get("/api/v1/namespaces/default/configmaps").await;
        (r.code == 200).then_some(r)
    })
    .await;
    assert_eq!(ok.code, 200);
    // ...and what nobody allows is kube's 500, naming the failure.
    let r = http.get("/api/v1/namespaces/default/secrets").await;
    assert_eq!(r.code, 500, "{r}");
    assert!(
        r.body
            .starts_with("Internal Server Error: \"/api/v1/namespaces/default/secrets\": "),
        "{r}"
    );
    let calls = hook.received.lock().unwrap().len();
    assert!(calls >= 10, "each request tried five times: {calls}");
    server.stop().await;
}
