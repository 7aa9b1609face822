//! Authentication and impersonation through the whole server: static tokens, kube's 401 for
//! a token nobody accepts (even with anonymous requests allowed), anonymous requests, and
//! impersonation checked part by part with kube's 403s, the impersonated user then
//! authorized for the request itself.

use std::sync::Arc;

use serde_json::Value;

use super::harness::{body, statuses, Harness};
use crate::authn::token::Tokens;
use crate::authn::token_file::TokenFile;
use crate::authz::{Authorizer, OwnedAttributes, Verdict};
use crate::server::{ConnId, Flow};

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const WHOAMI: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
const REVIEW: &str = r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#;

/// Tokens for an administrator, `jane` (may impersonate users and group `devs`, nothing
/// else) and `joe` (may do nothing).
const TOKENS: &str = "admin-token,admin,uid-admin,system:masters\n\
                      jane-token,jane,uid-jane,\"staff,impersonators\"\n\
                      joe-token,joe,uid-joe\n";

/// Stands in for RBAC: the `impersonators` group may impersonate any user, the group `devs`
/// and the `scopes` extra with value `view`; nothing else is decided here.
struct Impersonators;

impl Authorizer for Impersonators {
    fn name(&self) -> &'static str {
        "Impersonators"
    }

    fn authorize(
        &self,
        user: &crate::authn::UserInfo,
        a: &OwnedAttributes,
        _: &crate::server::effect::Lookups<'_>,
    ) -> Flow<Verdict> {
        let allowed = user.in_group("impersonators")
            && a.verb == "impersonate"
            && match a.resource.as_str() {
                "users" => true,
                "groups" => a.name == "devs",
                "userextras" => a.subresource == "scopes" && a.name == "view",
                _ => false,
            };
        Flow::Ready(if allowed {
            Verdict::Allow(String::new())
        } else {
            Verdict::NoOpinion(String::new())
        })
    }
}

fn harness(anonymous_auth: bool) -> Harness {
    let mut h = Harness::with(|c| c.anonymous_auth = anonymous_auth);
    let (file, _) = TokenFile::parse("tokens.csv", TOKENS).unwrap();
    let mut tokens = Tokens::default();
    tokens.push(Arc::new(file));
    h.server.set_tokens(tokens);
    h.server.hub.authorizers.push(Arc::new(Impersonators));
    h
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn whoami(h: &mut Harness, c: ConnId, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    let r = h.request_with(c, "POST", WHOAMI, &all, REVIEW);
    (statuses(&r)[0], body(&r))
}

fn list_configmaps(h: &mut Harness, c: ConnId, headers: &[(&str, &str)]) -> (u16, Value) {
    let r = h.request_with(c, "GET", CMS, headers, "");
    (statuses(&r)[0], body(&r))
}

fn user_of(review: &Value) -> (String, Vec<String>) {
    let info = &review["status"]["userInfo"];
    let groups = info["groups"]
        .as_array()
        .map(|g| g.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    (info["username"].as_str().unwrap_or("").to_string(), groups)
}

fn assert_unauthorized(code: u16, status: &Value) {
    assert_eq!(code, 401, "{status}");
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "Unauthorized");
    assert_eq!(status["message"], "Unauthorized");
    assert_eq!(status["code"], 401);
    assert!(status.get("details").is_none(), "{status}");
}

#[test]
fn a_static_token_authenticates_its_user_with_the_authenticated_group() {
    let mut h = harness(true);
    let c = h.connect(1);
    let auth = bearer("jane-token");
    let (code, review) = whoami(&mut h, c, &[("Authorization", &auth)]);
    assert_eq!(code, 201, "{review}");
    assert_eq!(
        user_of(&review),
        (
            "jane".to_string(),
            vec![
                "staff".into(),
                "impersonators".into(),
                "system:authenticated".into()
            ]
        )
    );
    assert_eq!(review["status"]["userInfo"]["uid"], "uid-jane");
    let auth = bearer("admin-token");
    let (code, list) = list_configmaps(&mut h, c, &[("Authorization", &auth)]);
    assert_eq!(code, 200, "{list}");
}

#[test]
fn a_token_nobody_accepts_is_401_even_with_anonymous_allowed() {
    let mut h = harness(true);
    let c = h.connect(1);
    for auth in ["Bearer wrong-token", "bearer jane-tokenx", "Bearer jane-token-"] {
        let (code, status) = whoami(&mut h, c, &[("Authorization", auth)]);
        assert_unauthorized(code, &status);
    }
    // Not a bearer token at all (kube reads none from these): anonymous.
    for auth in ["Basic amFuZTpwdw==", "Bearer  jane-token", "Bearer"] {
        let (code, status) = list_configmaps(&mut h, c, &[("Authorization", auth)]);
        assert_eq!(code, 403, "{auth}: {status}");
        assert!(
            status["message"]
                .as_str()
                .unwrap()
                .contains("User \"system:anonymous\""),
            "{status}"
        );
    }
}

#[test]
fn without_anonymous_auth_a_request_without_credentials_is_401() {
    let mut h = harness(false);
    let c = h.connect(1);
    let (code, status) = list_configmaps(&mut h, c, &[]);
    assert_unauthorized(code, &status);
    let auth = bearer("joe-token");
    let (code, status) = list_configmaps(&mut h, c, &[("Authorization", &auth)]);
    assert_eq!(code, 403, "{status}");
}

#[test]
fn impersonation_acts_as_the_named_user_and_is_authorized_as_them() {
    let mut h = harness(true);
    let admin = h.connect_admin(1);
    let (code, review) = whoami(&mut h, admin, &[("Impersonate-User", "alice")]);
    assert_eq!(code, 201, "{review}");
    assert_eq!(
        user_of(&review),
        ("alice".to_string(), vec!["system:authenticated".into()])
    );
    // The administrator acting as alice has alice's rights, not its own.
    let (code, status) = list_configmaps(&mut h, admin, &[("Impersonate-User", "alice")]);
    assert_eq!(code, 403, "{status}");
    assert_eq!(
        status["message"],
        "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
    );
    let r = h.request_with(
        admin,
        "POST",
        CMS,
        &[
            ("Content-Type", "application/json"),
            ("Impersonate-User", "alice"),
        ],
        r#"{"metadata":{"name":"as-alice"}}"#,
    );
    assert_eq!(statuses(&r), vec![403], "{r}");
    let (_, list) = list_configmaps(&mut h, admin, &[]);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

#[test]
fn impersonating_a_service_account_brings_its_groups_and_extras_are_kept() {
    let mut h = harness(true);
    let admin = h.connect_admin(1);
    let (_, review) = whoami(
        &mut h,
        admin,
        &[
            ("Impersonate-User", "system:serviceaccount:ci:builder"),
            ("Impersonate-Uid", "u-42"),
            ("Impersonate-Extra-Scopes", "view"),
            ("Impersonate-Extra-Scopes", "edit"),
        ],
    );
    assert_eq!(
        user_of(&review),
        (
            "system:serviceaccount:ci:builder".to_string(),
            vec![
                "system:serviceaccounts".into(),
                "system:serviceaccounts:ci".into(),
                "system:authenticated".into()
            ]
        )
    );
    let info = &review["status"]["userInfo"];
    assert_eq!(info["uid"], "u-42");
    assert_eq!(info["extra"]["scopes"], serde_json::json!(["view", "edit"]));
}

#[test]
fn each_impersonated_part_needs_its_own_right() {
    let mut h = harness(true);
    let c = h.connect(1);
    let jane = bearer("jane-token");
    let joe = bearer("joe-token");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (
            &joe,
            &[("Impersonate-User", "alice")],
            "users \"alice\" is forbidden: User \"joe\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
        ),
        (
            &joe,
            &[("Impersonate-User", "system:serviceaccount:ci:builder")],
            "serviceaccounts \"builder\" is forbidden: User \"joe\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"ci\"",
        ),
        (
            &jane,
            &[("Impersonate-User", "alice"), ("Impersonate-Group", "system:masters")],
            "groups \"system:masters\" is forbidden: User \"jane\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope",
        ),
        (
            &jane,
            &[("Impersonate-User", "alice"), ("Impersonate-Extra-Scopes", "admin")],
            "userextras.authentication.k8s.io \"admin\" is forbidden: User \"jane\" cannot impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" at the cluster scope",
        ),
        (
            &jane,
            &[("Impersonate-User", "alice"), ("Impersonate-Uid", "u-1")],
            "uids.authentication.k8s.io \"u-1\" is forbidden: User \"jane\" cannot impersonate resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope",
        ),
    ];
    for (auth, headers, message) in cases {
        let mut all = vec![("Authorization", *auth)];
        all.extend_from_slice(headers);
        let (code, status) = whoami(&mut h, c, &all);
        assert_eq!(code, 403, "{headers:?}: {status}");
        assert_eq!(status["reason"], "Forbidden");
        assert_eq!(status["message"], *message, "{headers:?}");
    }
    // What jane may impersonate, she gets.
    let (code, review) = whoami(
        &mut h,
        c,
        &[
            ("Authorization", &jane),
            ("Impersonate-User", "alice"),
            ("Impersonate-Group", "devs"),
            ("Impersonate-Extra-Scopes", "view"),
        ],
    );
    assert_eq!(code, 201, "{review}");
    assert_eq!(
        user_of(&review),
        (
            "alice".to_string(),
            vec!["devs".into(), "system:authenticated".into()]
        )
    );
}

#[test]
fn impersonating_groups_without_a_user_is_refused() {
    let mut h = harness(true);
    let admin = h.connect_admin(1);
    let r = h.request_with(
        admin,
        "POST",
        WHOAMI,
        &[
            ("Content-Type", "application/json"),
            ("Impersonate-Group", "system:masters"),
        ],
        REVIEW,
    );
    assert_eq!(statuses(&r), vec![500], "{r}");
    assert!(r.contains("Content-Type: text/plain; charset=utf-8\r\n"), "{r}");
    assert!(
        r.ends_with(
            "\r\n\r\nInternal Server Error: \"/apis/authentication.k8s.io/v1/selfsubjectreviews\": requested [{Group  system:masters    }] without impersonating a user\n"
        ),
        "{r}"
    );
}

#[test]
fn anonymous_requests_cannot_impersonate() {
    let mut h = harness(true);
    let c = h.connect(1);
    let (code, status) = list_configmaps(&mut h, c, &[("Impersonate-User", "admin")]);
    assert_eq!(code, 403, "{status}");
    assert_eq!(
        status["message"],
        "users \"admin\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
    );
}

#[test]
fn a_bootstrap_token_authenticates_while_its_secret_vouches_for_it() {
    let mut h = harness(true);
    let mut tokens = Tokens::default();
    tokens.push(Arc::new(crate::authn::bootstrap::BootstrapTokens));
    h.server.set_tokens(tokens);
    let admin = h.connect_admin(1);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let secret = serde_json::json!({
        "metadata": {"name": "bootstrap-token-abcdef", "namespace": "kube-system"},
        "type": "bootstrap.kubernetes.io/token",
        "data": {
            "token-id": b64("abcdef"),
            "token-secret": b64("0123456789abcdef"),
            "usage-bootstrap-authentication": b64("true"),
            "auth-extra-groups": b64("system:bootstrappers:kubeadm:default-node-token"),
        }
    });
    let r = h.request(
        admin,
        "POST",
        "/api/v1/namespaces/kube-system/secrets",
        &secret.to_string(),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let c = h.connect(2);
    let (code, review) = whoami(&mut h, c, &[("Authorization", "Bearer abcdef.0123456789abcdef")]);
    assert_eq!(code, 201, "{review}");
    assert_eq!(
        user_of(&review),
        (
            "system:bootstrap:abcdef".to_string(),
            vec![
                "system:bootstrappers".into(),
                "system:bootstrappers:kubeadm:default-node-token".into(),
                "system:authenticated".into()
            ]
        )
    );
    // The wrong secret, or an id without a Secret: 401.
    for token in ["abcdef.0123456789abcdeX", "zzzzzz.0123456789abcdef"] {
        let auth = bearer(token);
        let (code, status) = whoami(&mut h, c, &[("Authorization", &auth)]);
        assert_unauthorized(code, &status);
    }
    // Deleted, it no longer authenticates (once the cache forgets it).
    let r = h.request(
        admin,
        "DELETE",
        "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef",
        "",
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    h.advance(crate::authn::token::SUCCESS_TTL_MS + 1);
    let c = h.connect(3);
    let (code, status) = whoami(&mut h, c, &[("Authorization", "Bearer abcdef.0123456789abcdef")]);
    assert_unauthorized(code, &status);
}

#[test]
fn credentials_and_impersonation_headers_go_no_further_than_the_filters() {
    let mut h = harness(true);
    let admin = h.connect_admin(1);
    let pods = "/api/v1/namespaces/default/pods";
    let r = h.request(
        admin,
        "POST",
        pods,
        r#"{"metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let mut pod = body(&h.request(admin, "GET", &format!("{pods}/web"), ""));
    pod["status"] = serde_json::json!({"podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}]});
    let r = h.request(admin, "PUT", &format!("{pods}/web/status"), &pod.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    h.backend_answer = Some(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec());
    let c = h.connect(2);
    let auth = bearer("admin-token");
    let r = h.request_with(
        c,
        "GET",
        &format!("{pods}/web:8080/proxy/x"),
        &[
            ("Authorization", &auth),
            ("Impersonate-User", "someone"),
            ("Impersonate-Group", "system:masters"),
            ("X-Custom", "kept"),
        ],
        "",
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let (_, _, _, relayed) = h.relayed.last().cloned().expect("a relay");
    let relayed = String::from_utf8(relayed).unwrap().to_ascii_lowercase();
    assert!(relayed.contains("x-custom: kept"), "{relayed}");
    assert!(!relayed.contains("authorization"), "{relayed}");
    assert!(!relayed.contains("impersonate-"), "{relayed}");
    assert!(!relayed.contains("admin-token"), "{relayed}");
}

#[test]
fn a_websocket_client_may_carry_its_token_in_a_subprotocol() {
    use base64::Engine;
    let mut h = harness(true);
    let c = h.connect(1);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("jane-token");
    let token_protocol =
        format!("base64.bearer.authorization.k8s.io.{encoded}").replacen("base64.", "base64url.", 1);
    let ws = |protocols: String| {
        vec![
            ("Connection".to_string(), "Upgrade".to_string()),
            ("Upgrade".to_string(), "websocket".to_string()),
            ("Sec-WebSocket-Protocol".to_string(), protocols),
        ]
    };
    let list = |h: &mut Harness, headers: Vec<(String, String)>| {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let r = h.request_with(c, "GET", CMS, &headers, "");
        (statuses(&r)[0], body(&r))
    };
    let (code, status) = list(&mut h, ws(format!("v4.channel.k8s.io, {token_protocol}")));
    assert_eq!(code, 403, "{status}");
    assert!(
        status["message"].as_str().unwrap().contains("User \"jane\""),
        "{status}"
    );
    // Alone (no real subprotocol), twice, or not base64url: 401.
    for protocols in [
        token_protocol.clone(),
        format!("v4.channel.k8s.io, {token_protocol}, {token_protocol}"),
        "v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.!!".to_string(),
    ] {
        let (code, status) = list(&mut h, ws(protocols.clone()));
        assert_unauthorized(code, &status);
    }
    // A token nobody issued: 401.
    let unknown = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("nobody");
    let (code, status) = list(
        &mut h,
        ws(format!(
            "v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.{unknown}"
        )),
    );
    assert_unauthorized(code, &status);
}

fn webhook_harness() -> Harness {
    use crate::authn::webhook::{Target, TokenWebhook, Version};
    let mut h = harness(true);
    let (file, _) = TokenFile::parse("tokens.csv", TOKENS).unwrap();
    let mut tokens = Tokens::default();
    tokens.push(Arc::new(file));
    let target = Target {
        url: "https://authn.example/review".into(),
        tls: crate::server::ClientTls::default(),
        headers: vec![("Authorization".into(), "Bearer apiserver-credential".into())],
    };
    tokens.push(Arc::new(TokenWebhook::new(
        target,
        Version::V1,
        120_000,
        Vec::new(),
    )));
    h.server.set_tokens(tokens);
    h
}

fn webhook_says(
    body: serde_json::Value,
) -> Option<Result<crate::server::HttpsResponse, crate::server::NetError>> {
    Some(Ok(crate::server::HttpsResponse {
        status: 200,
        headers: Vec::new(),
        body: body.to_string().into_bytes(),
    }))
}

#[test]
fn a_token_webhook_reviews_tokens_and_its_answers_are_cached() {
    let mut h = webhook_harness();
    h.https_answer = webhook_says(serde_json::json!({
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
        "status": {"authenticated": true, "user": {"username": "remote-jane", "groups": ["remote"]}}
    }));
    let c = h.connect(1);
    let (code, review) = whoami(&mut h, c, &[("Authorization", "Bearer remote-token")]);
    assert_eq!(code, 201, "{review}");
    assert_eq!(
        user_of(&review),
        (
            "remote-jane".to_string(),
            vec!["remote".into(), "system:authenticated".into()]
        )
    );
    assert_eq!(h.https.len(), 1);
    let call = &h.https[0];
    assert_eq!(
        (call.method.as_str(), call.url.as_str()),
        ("POST", "https://authn.example/review")
    );
    assert!(call
        .headers
        .contains(&("Authorization".into(), "Bearer apiserver-credential".into())));
    let sent: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(sent["apiVersion"], "authentication.k8s.io/v1");
    assert_eq!(sent["spec"]["token"], "remote-token");
    // A static token never reaches the webhook.
    let auth = bearer("jane-token");
    assert_eq!(whoami(&mut h, c, &[("Authorization", &auth)]).0, 201);
    assert_eq!(h.https.len(), 1);
    // Within the cache's time the answer is remembered: no second call, even past the token
    // cache's 10 s.
    h.advance(30_000);
    let c = h.connect(2);
    assert_eq!(
        whoami(&mut h, c, &[("Authorization", "Bearer remote-token")]).0,
        201
    );
    assert_eq!(h.https.len(), 1);
}

#[test]
fn a_token_webhook_that_says_no_fails_or_says_nonsense_is_401() {
    let mut h = webhook_harness();
    let c = h.connect(1);
    let bodies = [
        serde_json::json!({"status": {"authenticated": false}}),
        serde_json::json!({"status": {"authenticated": false, "error": "revoked"}}),
        serde_json::json!({"status": {"authenticated": true, "user": {}}}),
        serde_json::json!("not a review"),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        h.https_answer = webhook_says(body);
        let auth = format!("Bearer t-{i}");
        let (code, status) = whoami(&mut h, c, &[("Authorization", &auth)]);
        assert_unauthorized(code, &status);
        assert_eq!(h.https.len(), i + 1, "each token is asked about once");
    }
    // Down: the call is made again with backoff, then the request is refused, and nothing
    // is left waiting.
    h.https_answer = Some(Err(crate::server::NetError::Refused {
        addr: "10.0.0.1:443".into(),
    }));
    let calls = h.https.len();
    let c = h.connect(2);
    let auth = "Bearer t-down".to_string();
    let _ = h.request_with(
        c,
        "POST",
        WHOAMI,
        &[("Content-Type", "application/json"), ("Authorization", &auth)],
        REVIEW,
    );
    h.advance(10_000);
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![401], "{r}");
    assert_eq!(h.https.len() - calls, 5, "one call and four retries");
    assert_eq!(h.server.outstanding(), crate::Outstanding::default());
    // Never answering: the request ends at its deadline, and the late answer finds nothing.
    h.https_answer = None;
    let c = h.connect(3);
    let _ = h.request_with(
        c,
        "POST",
        WHOAMI,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer t-slow"),
        ],
        REVIEW,
    );
    h.advance(h.server.config().request_timeout_ms + 1);
    assert_eq!(statuses(&h.take(c)), vec![504]);
    h.answer_https(Err(crate::server::NetError::Refused {
        addr: "10.0.0.1:443".into(),
    }));
    assert_eq!(h.server.outstanding(), crate::Outstanding::default());
}

#[test]
fn a_connections_certificate_is_judged_again_when_the_client_ca_changes() {
    let mut h = harness(true);
    let admin = h.connect_admin(1);
    let (code, _) = list_configmaps(&mut h, admin, &[]);
    assert_eq!(code, 200);
    // Another CA replaces the one that signed the admin certificate: the same connection's
    // next request is refused, as kube judges the certificate on every request.
    let other = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = params.self_signed(&other).unwrap();
    h.server.set_client_ca(vec![ca.der().to_vec()]);
    h.run();
    let (code, status) = list_configmaps(&mut h, admin, &[]);
    assert_unauthorized(code, &status);
    // Extension API servers find the new CA where kube publishes it.
    let c = h.connect(2);
    let auth = bearer("admin-token");
    let r = h.request_with(
        c,
        "GET",
        "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    let published = body(&r)["data"]["client-ca-file"]
        .as_str()
        .unwrap_or("")
        .to_string();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(ca.der());
    assert!(published.replace('\n', "").contains(&b64), "{published}");
}
