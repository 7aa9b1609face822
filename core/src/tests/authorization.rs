//! Authorization through the whole server: RBAC from the bootstrap policy and bindings
//! written as requests, and a webhook authorizer that fails or never answers, on virtual
//! time, leaving nothing behind.

use std::sync::Arc;

use super::harness::{statuses, Harness};
use crate::authn::token::Tokens;
use crate::authn::token_file::TokenFile;
use crate::authn::webhook::Target;
use crate::authz::modes::Mode;
use crate::authz::webhook::{AuthzWebhook, Version};
use crate::server::{NetError, Outstanding};

const TOKENS: &str = "jane-token,jane,uid-jane\n";
const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn harness(modes: Vec<Mode>) -> Harness {
    let mut h = Harness::with(|c| c.authorization_modes = modes);
    let (file, _) = TokenFile::parse("tokens.csv", TOKENS).unwrap();
    let mut tokens = Tokens::default();
    tokens.push(Arc::new(file));
    h.server.set_tokens(tokens);
    h
}

fn as_jane(h: &mut Harness, conn: crate::server::ConnId, method: &str, target: &str, body: &str) -> String {
    h.request_with(
        conn,
        method,
        target,
        &[
            ("Authorization", "Bearer jane-token"),
            ("Content-Type", "application/json"),
        ],
        body,
    )
}

#[test]
fn rbac_follows_bindings_written_through_the_api() {
    let mut h = harness(vec![Mode::Node, Mode::Rbac]);
    let admin = h.connect_admin(1);
    let jane = h.connect(2);
    let out = as_jane(&mut h, jane, "GET", CMS, "");
    assert_eq!(statuses(&out), vec![403], "{out}");
    assert!(
        out.contains(r#"User \"jane\" cannot list resource \"configmaps\""#),
        "{out}"
    );
    // The bootstrap policy is there: discovery is open to her, as system:discovery opens it.
    assert_eq!(statuses(&as_jane(&mut h, jane, "GET", "/api", "")), vec![200]);
    let binding = r#"{"metadata":{"name":"jane-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"jane"}]}"#;
    let out = h.request(
        admin,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
        binding,
    );
    assert_eq!(statuses(&out), vec![201], "{out}");
    assert_eq!(statuses(&as_jane(&mut h, jane, "GET", CMS, "")), vec![200]);
    let out = as_jane(
        &mut h,
        jane,
        "GET",
        "/api/v1/namespaces/kube-system/configmaps",
        "",
    );
    assert_eq!(statuses(&out), vec![403], "only the binding's namespace");
    // She may not grant herself more than view.
    let role =
        r#"{"metadata":{"name":"mine"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}"#;
    let out = as_jane(
        &mut h,
        jane,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
        role,
    );
    assert_eq!(statuses(&out), vec![403], "{out}");
}

fn webhooked(h: &mut Harness) {
    let target = Target {
        url: "https://authz.test/authorize".into(),
        tls: Default::default(),
        headers: Vec::new(),
    };
    let webhook = Arc::new(AuthzWebhook::new(target, Version::V1, 300_000, 30_000));
    let rbac = Mode::Rbac.authorizer().expect("RBAC needs nothing from outside");
    h.server.set_authorizers(vec![webhook, rbac]);
}

#[test]
fn a_webhook_that_keeps_failing_is_a_500_after_its_retries() {
    let mut h = harness(vec![Mode::Webhook, Mode::Rbac]);
    webhooked(&mut h);
    h.https_answer = Some(Err(NetError::TimedOut {
        addr: "authz.test:443".into(),
    }));
    let jane = h.connect(2);
    let out = as_jane(&mut h, jane, "GET", CMS, "");
    assert_eq!(out, "", "waiting between retries");
    h.advance(5_000);
    let out = h.take(jane);
    assert_eq!(statuses(&out), vec![500], "{out}");
    assert!(
        out.contains("Internal Server Error: \"/api/v1/namespaces/default/configmaps\""),
        "{out}"
    );
    assert_eq!(h.https.len(), 5, "one call and four retries");
    assert_eq!(
        h.server.outstanding(),
        Outstanding {
            requests: 0,
            effects: 0
        }
    );
}

#[test]
fn a_webhook_that_never_answers_ends_in_the_request_timeout() {
    let mut h = harness(vec![Mode::Webhook, Mode::Rbac]);
    webhooked(&mut h);
    h.https_answer = None;
    let jane = h.connect(2);
    assert_eq!(as_jane(&mut h, jane, "GET", CMS, ""), "");
    h.advance(61_000);
    let out = h.take(jane);
    assert_eq!(statuses(&out), vec![504], "{out}");
    assert_eq!(h.server.outstanding().requests, 0);
}

#[test]
fn an_unconfigured_webhook_lets_nothing_by() {
    let mut h = harness(vec![Mode::Webhook]);
    let jane = h.connect(2);
    let out = as_jane(&mut h, jane, "GET", CMS, "");
    assert_eq!(statuses(&out), vec![500], "{out}");
}

#[test]
fn a_webhook_answering_garbage_refuses_a_write_and_nothing_is_stored() {
    let mut h = harness(vec![Mode::Webhook, Mode::Rbac]);
    webhooked(&mut h);
    h.https_answer = Some(Ok(crate::server::HttpsResponse {
        status: 200,
        headers: Vec::new(),
        body: b"<html>not a review</html>".to_vec(),
    }));
    let jane = h.connect(2);
    let out = as_jane(&mut h, jane, "POST", CMS, r#"{"metadata":{"name":"sneaky"}}"#);
    assert_eq!(statuses(&out), vec![500], "{out}");
    assert!(
        out.contains("webhook answered something that is not a SubjectAccessReview"),
        "{out}"
    );
    let admin = h.connect_admin(1);
    let out = h.request(admin, "GET", &format!("{CMS}/sneaky"), "");
    assert_eq!(statuses(&out), vec![404], "{out}");
}
