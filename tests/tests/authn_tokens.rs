//! Static bearer tokens (`--token-auth-file`) and impersonation, end to end with kubectl and
//! raw HTTPS: a token's user and groups, kube's 401 for a token nobody issued (anonymous
//! allowed or not), kube's start-up errors for a bad token file, and `--as`/`--as-group`
//! acting as another user only with the right to, each refused part with kube's 403 and
//! nothing stored.

use clap::Parser;
use gatehouse_tests::*;

/// admin may do anything; jane may do nothing (and impersonate nobody).
const TOKENS: &str = "admin-token,admin,uid-admin,system:masters\n\
                      jane-token,jane,uid-jane,\"staff,devs\"\n";

async fn start(runtime: Options, dir: &TempDir) -> Server {
    let file = dir.write("tokens.csv", TOKENS);
    Server::start(
        runtime
            .memory()
            .arg(format!("--token-auth-file={}", file.display())),
    )
    .await
}

fn whoami_user(out: &str) -> Value {
    parse_json(out)["status"]["userInfo"].clone()
}

async fn tokens_authenticate_and_a_wrong_token_is_401(runtime: Options) {
    let dir = TempDir::new("authn-tokens");
    let server = start(runtime, &dir).await;

    let jane = server.kubectl_as(&dir, "jane", Credential::Token("jane-token"));
    let me = whoami_user(&jane.ok(&["auth", "whoami", "-o", "json"]).await);
    assert_eq!(me["username"], "jane", "{me}");
    assert_eq!(me["uid"], "uid-jane", "{me}");
    assert_eq!(
        me["groups"],
        json!(["staff", "devs", "system:authenticated"]),
        "{me}"
    );
    let out = jane.fails(&["get", "configmaps", "-n", "default"]).await;
    assert!(
        out.stderr.contains(
            "configmaps is forbidden: User \"jane\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
        ),
        "{out}"
    );

    let admin = server.kubectl_as(&dir, "admin", Credential::Token("admin-token"));
    admin
        .ok(&[
            "create",
            "configmap",
            "by-token",
            "-n",
            "default",
            "--from-literal=a=b",
        ])
        .await;

    // A token nobody issued, or one off by a character: 401, never anonymous.
    for token in ["nobody-issued-this", "admin-token2", "admin-toke"] {
        let k = server.kubectl_as(&dir, "guess", Credential::Token(token));
        let out = k.fails(&["get", "configmaps", "-n", "default"]).await;
        assert!(
            out.stderr.contains("You must be logged in to the server"),
            "{out}"
        );
        let http = server.http_as(&dir, None);
        let resp = http
            .request(Request {
                method: "POST",
                path: "/api/v1/namespaces/default/configmaps",
                headers: vec![
                    format!("Authorization: Bearer {token}"),
                    "Content-Type: application/json".into(),
                ],
                body: Some(br#"{"metadata":{"name":"guessed"}}"#.to_vec()),
                ..Request::default()
            })
            .await;
        let status = resp.status(401, "Unauthorized");
        assert_eq!(status["message"], "Unauthorized", "{resp}");
        assert!(status.get("details").is_none(), "{resp}");
    }
    let names: Vec<String> = server
        .http(&dir)
        .get("/api/v1/namespaces/default/configmaps")
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
        .filter(|n| n != "kube-root-ca.crt")
        .collect();
    assert_eq!(names, vec!["by-token"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_authenticate_and_a_wrong_token_is_401_on_tokio() {
    tokens_authenticate_and_a_wrong_token_is_401(Options::tokio()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_authenticate_and_a_wrong_token_is_401_on_smol() {
    tokens_authenticate_and_a_wrong_token_is_401(Options::smol()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_needs_the_right_and_acts_as_the_user() {
    let dir = TempDir::new("authn-impersonate");
    let server = start(Options::tokio(), &dir).await;
    let admin = server.kubectl(&dir);

    // The administrator acting as alice has alice's rights: none.
    let me = whoami_user(
        &admin
            .ok(&["auth", "whoami", "-o", "json", "--as=alice", "--as-group=devs"])
            .await,
    );
    assert_eq!(me["username"], "alice", "{me}");
    assert_eq!(me["groups"], json!(["devs", "system:authenticated"]), "{me}");
    let out = admin
        .fails(&["create", "configmap", "as-alice", "-n", "default", "--as=alice"])
        .await;
    assert!(
        out.stderr.contains(
            "configmaps is forbidden: User \"alice\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\""
        ),
        "{out}"
    );
    let me = whoami_user(
        &admin
            .ok(&[
                "auth",
                "whoami",
                "-o",
                "json",
                "--as=system:serviceaccount:ci:builder",
            ])
            .await,
    );
    assert_eq!(
        me["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:ci",
            "system:authenticated"
        ]),
        "{me}"
    );

    // jane may impersonate nobody: not a user, not a service account, not system:masters.
    let jane = server.kubectl_as(&dir, "jane", Credential::Token("jane-token"));
    let cases = [
        (
            vec!["--as=admin"],
            "users \"admin\" is forbidden: User \"jane\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
        ),
        (
            vec!["--as=system:serviceaccount:kube-system:default"],
            "serviceaccounts \"default\" is forbidden: User \"jane\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"kube-system\"",
        ),
    ];
    for (flags, message) in cases {
        let mut args = vec!["create", "configmap", "as-admin", "-n", "default"];
        args.extend(flags.iter().copied());
        let out = jane.fails(&args).await;
        assert!(out.stderr.contains(message), "{out}");
    }
    // Asking for a group without a user is kube's plain-text 500, and stores nothing.
    let resp = server
        .http(&dir)
        .request(Request {
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            headers: vec![
                "Impersonate-Group: system:masters".into(),
                "Content-Type: application/json".into(),
            ],
            body: Some(br#"{"metadata":{"name":"groupless"}}"#.to_vec()),
            ..Request::default()
        })
        .await;
    assert_eq!(resp.code, 500, "{resp}");
    assert_eq!(
        resp.body,
        "Internal Server Error: \"/api/v1/namespaces/default/configmaps\": requested [{Group  system:masters    }] without impersonating a user\n"
    );
    let list = server
        .http(&dir)
        .get("/api/v1/namespaces/default/configmaps")
        .await
        .ok();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .filter(|n| *n != "kube-root-ca.crt")
        .collect();
    assert!(names.is_empty(), "{list}");
    server.stop().await;
}

#[test]
fn a_bad_token_file_is_refused_at_start_up_with_kubes_message() {
    let dir = TempDir::new("authn-bad-file");
    let cases = [
        (
            "t1,alice,u1\nt2,bob\n",
            "must have at least 3 columns (token, user name, user uid), found 2",
        ),
        (
            "t1,al\"ice,u1\n",
            "parse error on line 1, column 6: bare \" in non-quoted-field",
        ),
    ];
    for (text, message) in cases {
        let file = dir.write("bad.csv", text);
        let args = [
            "gatehouse".to_string(),
            "--storage-backend=memory".into(),
            format!("--data-dir={}", dir.path().display()),
            format!("--token-auth-file={}", file.display()),
        ];
        let flags = gatehouse_host::flags::Flags::try_parse_from(args).unwrap();
        let err = match gatehouse_host::launch::prepare(&flags) {
            Ok(_) => panic!("a token file of {text:?} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("--token-auth-file"), "{err}");
        assert!(err.contains(message), "{err}");
    }
    // A file that is not there is refused too.
    let args = [
        "gatehouse".to_string(),
        "--storage-backend=memory".into(),
        format!("--data-dir={}", dir.path().display()),
        format!("--token-auth-file={}", dir.join("missing.csv").display()),
    ];
    let flags = gatehouse_host::flags::Flags::try_parse_from(args).unwrap();
    assert!(gatehouse_host::launch::prepare(&flags).is_err());
}
