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
            json!({"namespace": "default", "verb": "get", "resource": "configmaps", "name": "cm"})
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
