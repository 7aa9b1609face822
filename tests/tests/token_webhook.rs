//! Webhook token authentication end to end: Gatehouse sends a token no other authenticator
//! knows to a real HTTPS webhook as a TokenReview (in the configured version, with the
//! kubeconfig's credentials), and the webhook's answer is the user; a webhook that says no,
//! answers nonsense or is gone is kube's 401.

use gatehouse_tests::webhook_server::WebhookServer;
use gatehouse_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_names_the_user_of_a_token() {
    let hook = WebhookServer::start(Box::new(|r| {
        let review: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let status = match review["spec"]["token"].as_str() {
            Some("remote-token") => json!({"authenticated": true, "user": {
                "username": "remote-jane", "uid": "r-1", "groups": ["remote-devs"],
                "extra": {"team": ["blue"]}}}),
            Some("garbage-token") => return (200, "<html>not a review</html>".into()),
            Some("broken-token") => return (500, "{}".into()),
            _ => json!({"authenticated": false, "error": "unknown token"}),
        };
        let answer = json!({"apiVersion": review["apiVersion"], "kind": "TokenReview", "status": status});
        (200, answer.to_string())
    }));
    let dir = TempDir::new("token-webhook");
    let config = dir.write(
        "authn-webhook.kubeconfig",
        hook.kubeconfig("/review", "apiserver-secret"),
    );
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!(
                "--authentication-token-webhook-config-file={}",
                config.display()
            ))
            .arg("--authentication-token-webhook-version=v1"),
    )
    .await;

    let k = server.kubectl_as(&dir, "remote", Credential::Token("remote-token"));
    let me = parse_json(&k.ok(&["auth", "whoami", "-o", "json"]).await)["status"]["userInfo"].clone();
    assert_eq!(me["username"], "remote-jane", "{me}");
    assert_eq!(me["uid"], "r-1", "{me}");
    assert_eq!(
        me["groups"],
        json!(["remote-devs", "system:authenticated"]),
        "{me}"
    );
    assert_eq!(me["extra"]["team"], json!(["blue"]), "{me}");
    {
        let seen = hook.received.lock().unwrap();
        let first = seen.first().expect("the webhook was called");
        assert_eq!(first.path, "/review");
        assert_eq!(first.header("authorization"), Some("Bearer apiserver-secret"));
        let review: Value = serde_json::from_slice(&first.body).unwrap();
        assert_eq!(review["apiVersion"], "authentication.k8s.io/v1");
        assert_eq!(review["kind"], "TokenReview");
        assert_eq!(review["spec"]["token"], "remote-token");
        assert_eq!(
            review["spec"]["audiences"],
            json!(["https://kubernetes.default.svc.cluster.local"])
        );
    }

    // No, nonsense, or a failing webhook: 401, never anonymous.
    for token in ["someone-elses-token", "garbage-token", "broken-token"] {
        let k = server.kubectl_as(&dir, "x", Credential::Token(token));
        let out = k.fails(&["auth", "whoami"]).await;
        assert!(
            out.stderr.contains("You must be logged in to the server"),
            "{token}: {out}"
        );
    }
    // Gone: 401 as well (after the retries).
    drop(hook);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let k = server.kubectl_as(&dir, "y", Credential::Token("new-token"));
    let out = k.fails(&["auth", "whoami"]).await;
    assert!(
        out.stderr.contains("You must be logged in to the server"),
        "{out}"
    );
    server.stop().await;
}

#[test]
fn an_unknown_webhook_version_is_refused_at_start_up() {
    use clap::Parser;
    let dir = TempDir::new("token-webhook-version");
    let hook = WebhookServer::start(Box::new(|_| (200, "{}".into())));
    let config = dir.write("authn-webhook.kubeconfig", hook.kubeconfig("/", "t"));
    let args = [
        "gatehouse".to_string(),
        "--storage-backend=memory".into(),
        format!("--data-dir={}", dir.path().display()),
        format!("--authentication-token-webhook-config-file={}", config.display()),
        "--authentication-token-webhook-version=v2".into(),
    ];
    let flags = gatehouse_host::flags::Flags::try_parse_from(args).unwrap();
    let err = match gatehouse_host::launch::prepare(&flags) {
        Ok(_) => panic!("version v2 was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("--authentication-token-webhook-version"), "{err}");
}
