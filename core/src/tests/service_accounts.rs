//! Service-account tokens through the whole server: issued by `serviceaccounts/token` as
//! kube issues them (defaults, validation, bindings and their refusals, the expiration limit),
//! then presented as bearer tokens and checked (signature, audience, time, and the service
//! account and bound object still being there with the same uid); every refusal a 401.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::harness::{body, statuses, Harness};
use crate::authn::jwt::test_signer::TestSigner;
use crate::authn::jwt::{self, Signer};
use crate::authn::serviceaccount::{BoundTokens, Config, LegacyTokens};
use crate::authn::token::Tokens;
use crate::server::ConnId;

const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const SAS: &str = "/api/v1/namespaces/default/serviceaccounts";
const WHOAMI: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
const REVIEW: &str = r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#;

struct Cluster {
    h: Harness,
    admin: ConnId,
    /// The id of the next connection a token request is sent on.
    next_conn: u64,
    signer: Arc<TestSigner>,
}

fn cluster(tweak: impl FnOnce(&mut Config)) -> Cluster {
    let mut h = Harness::new();
    let signer = Arc::new(TestSigner::new());
    let mut config = Config {
        issuers: vec![ISSUER.into(), "https://old.issuer".into()],
        api_audiences: vec![ISSUER.into()],
        keys: vec![signer.public_key().clone()],
        signer: Some(signer.clone()),
        extend_expiration: true,
        ..Config::default()
    };
    tweak(&mut config);
    let config = Arc::new(config);
    let mut tokens = Tokens::default();
    tokens.set_audiences(config.api_audiences.clone());
    tokens.push(Arc::new(LegacyTokens::new(config.clone(), true)));
    tokens.push(Arc::new(BoundTokens::new(config.clone())));
    h.server.set_tokens(tokens);
    h.server.set_service_accounts(config);
    let admin = h.connect_admin(1);
    let mut c = Cluster {
        h,
        admin,
        next_conn: 100,
        signer,
    };
    let r = c.post(SAS, &json!({"metadata": {"name": "builder"}}));
    assert_eq!(statuses(&r), vec![201], "{r}");
    c
}

impl Cluster {
    fn post(&mut self, path: &str, obj: &Value) -> String {
        self.next_conn += 1;
        self.admin = self.h.connect_admin(self.next_conn);
        self.h.request(self.admin, "POST", path, &obj.to_string())
    }

    /// Asks for a token; the status code and the answer.
    fn token_request(&mut self, sa: &str, spec: Value) -> (u16, Value) {
        let r = self.post(
            &format!("{SAS}/{sa}/token"),
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}),
        );
        (statuses(&r)[0], body(&r))
    }

    fn token(&mut self, spec: Value) -> String {
        let (code, tr) = self.token_request("builder", spec);
        assert_eq!(code, 201, "{tr}");
        tr["status"]["token"].as_str().unwrap().to_string()
    }

    /// Who `token` authenticates as (its status code and review).
    fn whoami(&mut self, token: &str) -> (u16, Value) {
        let auth = format!("Bearer {token}");
        // A connection of its own: the clock may have moved past an idle one's timeout.
        self.next_conn += 1;
        let conn = self.h.connect(self.next_conn);
        let r = self.h.request_with(
            conn,
            "POST",
            WHOAMI,
            &[("Content-Type", "application/json"), ("Authorization", &auth)],
            REVIEW,
        );
        (statuses(&r)[0], body(&r))
    }

    fn assert_refused(&mut self, token: &str, what: &str) {
        let (code, status) = self.whoami(token);
        assert_eq!(code, 401, "{what}: {status}");
        assert_eq!(status["message"], "Unauthorized", "{what}");
    }

    /// Lets the token cache forget what it knew.
    fn forget(&mut self) {
        self.h.advance(crate::authn::token::SUCCESS_TTL_MS + 1);
    }
}

fn claims_of(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[test]
fn an_issued_token_carries_kubes_claims_and_authenticates_its_service_account() {
    let mut c = cluster(|_| {});
    let (code, tr) = c.token_request("builder", json!({}));
    assert_eq!(code, 201, "{tr}");
    assert_eq!(tr["kind"], "TokenRequest");
    assert_eq!(tr["metadata"]["name"], "builder");
    assert_eq!(tr["metadata"]["namespace"], "default");
    assert_eq!(tr["spec"]["audiences"], json!([ISSUER]));
    assert_eq!(tr["spec"]["expirationSeconds"], 3600);
    assert_eq!(tr["spec"]["boundObjectRef"], Value::Null);
    let now = c.h.now.wall_ms / 1000;
    assert_eq!(
        tr["status"]["expirationTimestamp"],
        crate::time::format_rfc3339(now + 3600)
    );
    let token = tr["status"]["token"].as_str().unwrap();
    let claims = claims_of(token);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], "system:serviceaccount:default:builder");
    assert_eq!(claims["aud"], json!([ISSUER]));
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["nbf"], now);
    assert_eq!(claims["exp"], now + 3600);
    let jti = claims["jti"].as_str().unwrap().to_string();
    assert_eq!(jti.len(), 36, "{claims}");
    let sa_uid = claims["kubernetes.io"]["serviceaccount"]["uid"].clone();
    assert!(sa_uid.as_str().is_some_and(|u| !u.is_empty()), "{claims}");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "ES256", "kid": c.signer.public_key().kid}));

    let (code, review) = c.whoami(token);
    assert_eq!(code, 201, "{review}");
    let user = &review["status"]["userInfo"];
    assert_eq!(user["username"], "system:serviceaccount:default:builder");
    assert_eq!(user["uid"], sa_uid);
    assert_eq!(
        user["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:default",
            "system:authenticated"
        ])
    );
    assert_eq!(
        user["extra"]["authentication.kubernetes.io/credential-id"],
        json!([format!("JTI={jti}")])
    );
}

#[test]
fn token_requests_are_validated_as_kube_validates_them() {
    let mut c = cluster(|_| {});
    let (code, status) = c.token_request("builder", json!({"expirationSeconds": 599}));
    assert_eq!(code, 422, "{status}");
    assert_eq!(
        status["message"],
        "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"
    );
    let (code, status) = c.token_request("builder", json!({"expirationSeconds": 5_000_000_000i64}));
    assert_eq!(code, 422, "{status}");
    assert!(status["message"]
        .as_str()
        .unwrap()
        .ends_with("may not specify a duration larger than 2^32 seconds"));
    let (code, status) = c.token_request("nobody", json!({}));
    assert_eq!(code, 404, "{status}");
    assert_eq!(status["message"], "serviceaccounts \"nobody\" not found");
    let (code, status) = c.token_request(
        "builder",
        json!({"boundObjectRef": {"kind": "Deployment", "apiVersion": "apps/v1", "name": "d"}}),
    );
    assert_eq!(code, 400, "{status}");
    assert_eq!(
        status["message"],
        "cannot bind token to object of type apps/v1, Kind=Deployment"
    );
    let (code, status) = c.token_request(
        "builder",
        json!({"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "missing"}}),
    );
    assert_eq!(code, 404, "{status}");
    assert_eq!(status["message"], "pods \"missing\" not found");
    let r = c.post(
        &format!("{SAS}/builder/token"),
        &json!({"metadata": {"name": "other"}, "spec": {}}),
    );
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert_eq!(
        body(&r)["message"],
        "TokenRequest.authentication.k8s.io \"builder\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified"
    );
    // Only create.
    let r = c.h.request(c.admin, "GET", &format!("{SAS}/builder/token"), "");
    assert_eq!(statuses(&r), vec![405], "{r}");
}

#[test]
fn a_pod_bound_token_names_its_pod_and_node_and_dies_with_the_pod() {
    let mut c = cluster(|_| {});
    let r = c.post("/api/v1/nodes", &json!({"metadata": {"name": "n1"}}));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let node_uid = body(&r)["metadata"]["uid"].clone();
    let pod = |name: &str, sa: &str| {
        json!({"metadata": {"name": name}, "spec": {"serviceAccountName": sa, "nodeName": "n1",
            "containers": [{"name": "c", "image": "busybox"}]}})
    };
    let r = c.post("/api/v1/namespaces/default/pods", &pod("p", "builder"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let pod_uid = body(&r)["metadata"]["uid"].as_str().unwrap().to_string();
    let r = c.post("/api/v1/namespaces/default/pods", &pod("other", "default"));
    assert_eq!(statuses(&r), vec![201], "{r}");

    let bound = |name: &str, uid: &str| json!({"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": name, "uid": uid}});
    let (code, status) = c.token_request("builder", bound("other", ""));
    assert_eq!(code, 400, "{status}");
    assert_eq!(
        status["message"],
        "cannot bind token for serviceaccount \"builder\" to pod running with different serviceaccount name."
    );
    let (code, status) = c.token_request("builder", bound("p", "not-its-uid"));
    assert_eq!(code, 409, "{status}");
    assert_eq!(
        status["message"],
        "Operation cannot be fulfilled on Pod \"p\": the UID in the bound object reference (not-its-uid) does not match the UID in record. The object might have been deleted and then recreated"
    );

    let token = c.token(bound("p", &pod_uid));
    let claims = claims_of(&token);
    assert_eq!(
        claims["kubernetes.io"]["pod"],
        json!({"name": "p", "uid": pod_uid})
    );
    assert_eq!(
        claims["kubernetes.io"]["node"],
        json!({"name": "n1", "uid": node_uid})
    );
    let (code, review) = c.whoami(&token);
    assert_eq!(code, 201, "{review}");
    let extra = &review["status"]["userInfo"]["extra"];
    assert_eq!(extra["authentication.kubernetes.io/pod-name"], json!(["p"]));
    assert_eq!(extra["authentication.kubernetes.io/pod-uid"], json!([pod_uid]));
    assert_eq!(extra["authentication.kubernetes.io/node-name"], json!(["n1"]));
    assert_eq!(extra["authentication.kubernetes.io/node-uid"], json!([node_uid]));

    let r = c.h.request(
        c.admin,
        "DELETE",
        "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0",
        "",
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    c.forget();
    c.assert_refused(&token, "a token of a deleted pod");
}

#[test]
fn a_token_outlives_neither_its_service_account_nor_its_expiry() {
    let mut c = cluster(|_| {});
    let token = c.token(json!({"expirationSeconds": 600}));
    assert_eq!(c.whoami(&token).0, 201);
    // Expired, past kube's minute of leeway.
    c.h.advance(661_000);
    c.assert_refused(&token, "an expired token");

    // The service account deleted and made again: a new uid, the old tokens refused.
    let token = c.token(json!({}));
    assert_eq!(c.whoami(&token).0, 201);
    let r = c.h.request(c.admin, "DELETE", &format!("{SAS}/builder"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    c.forget();
    c.assert_refused(&token, "a token of a deleted service account");
    let r = c.post(SAS, &json!({"metadata": {"name": "builder"}}));
    assert_eq!(statuses(&r), vec![201], "{r}");
    c.assert_refused(&token, "a token of a service account made again");
}

#[test]
fn forged_unsigned_foreign_and_misaddressed_tokens_are_refused() {
    let mut c = cluster(|_| {});
    let good = c.token(json!({}));
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims = claims_of(&good);

    // Claims changed under the original signature.
    claims["sub"] = json!("system:serviceaccount:kube-system:admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    c.assert_refused(&forged, "changed claims");
    // alg none, no signature.
    let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    c.assert_refused(&format!("{none}.{}.", parts[1]), "alg none");
    // Signed by a key the server does not trust.
    let foreign = TestSigner::new();
    let claims = claims_of(&good);
    c.assert_refused(&jwt::encode(&claims, &foreign).unwrap(), "a foreign key");
    // Signed by the server's key but for another audience, or not yet valid, or from an
    // issuer it does not know.
    let mut other_aud = claims.clone();
    other_aud["aud"] = json!(["https://elsewhere"]);
    c.assert_refused(&jwt::encode(&other_aud, &*c.signer).unwrap(), "another audience");
    let mut future = claims.clone();
    let now = c.h.now.wall_ms / 1000;
    future["nbf"] = json!(now + 3600);
    future["iat"] = json!(now + 3600);
    c.assert_refused(&jwt::encode(&future, &*c.signer).unwrap(), "not yet valid");
    let mut unknown_issuer = claims.clone();
    unknown_issuer["iss"] = json!("https://attacker");
    c.assert_refused(
        &jwt::encode(&unknown_issuer, &*c.signer).unwrap(),
        "an unknown issuer",
    );
    // A token claiming another service account than its sub.
    let mut mismatched = claims.clone();
    mismatched["sub"] = json!("system:serviceaccount:default:other");
    c.assert_refused(&jwt::encode(&mismatched, &*c.signer).unwrap(), "sub differs");
    // Garbage.
    for junk in ["a.b.c", "not-a-jwt", "e30.e30.e30"] {
        c.assert_refused(junk, junk);
    }
    // A token from the second issuer the server accepts verifies.
    let mut old = claims;
    old["iss"] = json!("https://old.issuer");
    let token = jwt::encode(&old, &*c.signer).unwrap();
    assert_eq!(c.whoami(&token).0, 201);
}

#[test]
fn the_expiration_limit_shortens_and_the_kubelet_extension_lengthens() {
    let mut c = cluster(|cfg| cfg.max_expiration_secs = 7200);
    let r = c.post(
        &format!("{SAS}/builder/token"),
        &json!({"spec": {"expirationSeconds": 10_000}}),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert!(
        r.contains("Warning: 299 - \"requested expiration of 10000 seconds shortened to 7200 seconds\""),
        "{r}"
    );
    assert_eq!(body(&r)["spec"]["expirationSeconds"], 7200);

    let r = c.post(
        "/api/v1/namespaces/default/pods",
        &json!({"metadata": {"name": "p"}, "spec": {"serviceAccountName": "builder",
            "containers": [{"name": "c", "image": "busybox"}]}}),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let now = c.h.now.wall_ms / 1000;
    let (code, tr) = c.token_request(
        "builder",
        json!({"expirationSeconds": 3607, "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p"}}),
    );
    assert_eq!(code, 201, "{tr}");
    let claims = claims_of(tr["status"]["token"].as_str().unwrap());
    assert_eq!(claims["exp"], now + 365 * 24 * 3600);
    assert_eq!(claims["kubernetes.io"]["warnafter"], now + 3607);
    assert_eq!(
        tr["status"]["expirationTimestamp"],
        crate::time::format_rfc3339(now + 3607)
    );
}

#[test]
fn issuer_discovery_publishes_keys_that_verify_issued_tokens() {
    let mut c = cluster(|_| {});
    let token = c.token(json!({}));
    let auth = format!("Bearer {token}");
    c.next_conn += 1;
    let conn = c.h.connect(c.next_conn);
    let r = c.h.request_with(
        conn,
        "GET",
        "/.well-known/openid-configuration",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(r.contains("Cache-Control: public, max-age=3600"), "{r}");
    let doc = body(&r);
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["jwks_uri"], "https://127.0.0.1:6443/openid/v1/jwks");
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["ES256"]));
    assert_eq!(doc["response_types_supported"], json!(["id_token"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    let r =
        c.h.request_with(conn, "GET", "/openid/v1/jwks", &[("Authorization", &auth)], "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(r.contains("Content-Type: application/jwk-set+json"), "{r}");
    let keys: Vec<crate::authn::keys::PublicKey> = body(&r)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(crate::authn::keys::PublicKey::from_jwk)
        .collect();
    assert_eq!(keys.len(), 1);
    assert!(jwt::Jwt::parse(&token).unwrap().verify(&keys));
    // Readable by service accounts (system:service-account-issuer-discovery), not by anyone.
    c.next_conn += 1;
    let anon = c.h.connect(c.next_conn);
    let r = c.h.request(anon, "GET", "/openid/v1/jwks", "");
    assert_eq!(statuses(&r), vec![403], "{r}");
}

#[test]
fn a_token_review_reports_what_the_token_authenticators_decide() {
    let mut c = cluster(|_| {});
    let token = c.token(json!({"audiences": [ISSUER, "vault"]}));
    let review = |c: &mut Cluster, token: &str, audiences: Value| {
        let r = c.post(
            "/apis/authentication.k8s.io/v1/tokenreviews",
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                    "spec": {"token": token, "audiences": audiences}}),
        );
        assert_eq!(statuses(&r), vec![201], "{r}");
        body(&r)["status"].clone()
    };
    let status = review(&mut c, &token, json!([]));
    assert_eq!(status["authenticated"], true, "{status}");
    assert_eq!(
        status["user"]["username"],
        "system:serviceaccount:default:builder"
    );
    assert_eq!(status["audiences"], json!([ISSUER]));
    let status = review(&mut c, &token, json!(["vault"]));
    assert_eq!(status["authenticated"], true, "{status}");
    assert_eq!(status["audiences"], json!(["vault"]));
    // Only the audiences the token holds are reported, never one it was not issued for.
    let status = review(&mut c, &token, json!(["vault", "bank"]));
    assert_eq!(status["authenticated"], true, "{status}");
    assert_eq!(status["audiences"], json!(["vault"]));
    let api_only = c.token(json!({}));
    let status = review(&mut c, &api_only, json!([ISSUER, "vault"]));
    assert_eq!(status["audiences"], json!([ISSUER]), "{status}");
    let status = review(&mut c, &token, json!(["elsewhere"]));
    assert_eq!(status.get("authenticated"), None, "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("is invalid for the target audiences"),
        "{status}"
    );
    let status = review(&mut c, "no-such-token", json!([]));
    assert_eq!(status, json!({"user": {}, "error": "invalid bearer token"}));
    let r = c.post(
        "/apis/authentication.k8s.io/v1/tokenreviews",
        &json!({"spec": {}}),
    );
    assert_eq!(statuses(&r), vec![422], "{r}");
}

#[test]
fn a_token_secret_is_filled_and_its_legacy_token_lives_as_long_as_it_does() {
    use base64::engine::general_purpose::STANDARD;
    let mut c = cluster(|_| {});
    let secrets = "/api/v1/namespaces/default/secrets";
    let r = c.post(
        secrets,
        &json!({"metadata": {"name": "builder-token", "annotations": {"kubernetes.io/service-account.name": "builder"}},
                "type": "kubernetes.io/service-account-token"}),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    c.h.advance(1);
    let admin = c.admin;
    let secret = body(&c.h.request(admin, "GET", &format!("{secrets}/builder-token"), ""));
    let sa = body(&c.h.request(admin, "GET", &format!("{SAS}/builder"), ""));
    assert_eq!(
        secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"], sa["metadata"]["uid"],
        "{secret}"
    );
    let field = |s: &Value, k: &str| {
        String::from_utf8(STANDARD.decode(s["data"][k].as_str().unwrap_or("")).unwrap()).unwrap()
    };
    assert_eq!(field(&secret, "namespace"), "default");
    let token = field(&secret, "token");
    let claims = claims_of(&token);
    assert_eq!(claims["iss"], "kubernetes/serviceaccount");
    assert_eq!(claims["sub"], "system:serviceaccount:default:builder");
    assert_eq!(
        claims["kubernetes.io/serviceaccount/secret.name"],
        "builder-token"
    );
    assert!(claims.get("exp").is_none(), "{claims}");

    let (code, review) = c.whoami(&token);
    assert_eq!(code, 201, "{review}");
    let user = &review["status"]["userInfo"];
    assert_eq!(user["username"], "system:serviceaccount:default:builder");
    assert_eq!(user["uid"], sa["metadata"]["uid"]);
    assert!(user.get("extra").is_none(), "{review}");

    // Marked invalid: refused.
    let mut marked = secret.clone();
    marked["metadata"]["labels"] = json!({"kubernetes.io/legacy-token-invalid-since": "2026-01-01"});
    let r = c.h.request(
        admin,
        "PUT",
        &format!("{secrets}/builder-token"),
        &marked.to_string(),
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    c.forget();
    c.assert_refused(&token, "a token marked invalid");
    // The token in the Secret replaced: the old one no longer matches.
    let mut replaced = body(&c.h.request(admin, "GET", &format!("{secrets}/builder-token"), ""));
    replaced["metadata"]["labels"] = json!({});
    replaced["data"]["token"] = json!(STANDARD.encode("something-else"));
    let r = c.h.request(
        admin,
        "PUT",
        &format!("{secrets}/builder-token"),
        &replaced.to_string(),
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    c.assert_refused(&token, "a token its Secret no longer holds");
    // A legacy token signed by another key, or for a Secret that is not there.
    let foreign = TestSigner::new();
    c.assert_refused(&jwt::encode(&claims, &foreign).unwrap(), "a foreign key");
    let mut other = claims.clone();
    other["kubernetes.io/serviceaccount/secret.name"] = json!("no-such-secret");
    c.assert_refused(&jwt::encode(&other, &*c.signer).unwrap(), "no such Secret");
}

#[test]
fn a_token_secret_made_before_its_service_account_is_filled_when_it_comes() {
    let mut c = cluster(|_| {});
    let secrets = "/api/v1/namespaces/default/secrets";
    let r = c.post(
        secrets,
        &json!({"metadata": {"name": "later-token", "annotations": {"kubernetes.io/service-account.name": "later"}},
                "type": "kubernetes.io/service-account-token"}),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    c.h.advance(5_000);
    let admin = c.admin;
    let secret = body(&c.h.request(admin, "GET", &format!("{secrets}/later-token"), ""));
    assert!(secret["data"].get("token").is_none(), "{secret}");
    let r = c.post(SAS, &json!({"metadata": {"name": "later"}}));
    assert_eq!(statuses(&r), vec![201], "{r}");
    c.h.advance(1);
    let admin = c.admin;
    let secret = body(&c.h.request(admin, "GET", &format!("{secrets}/later-token"), ""));
    assert!(
        secret["data"]["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{secret}"
    );
}

#[test]
fn an_expiration_that_is_not_a_whole_number_is_a_bad_request() {
    let mut c = cluster(|_| {});
    for bad in [json!("3600"), json!(3600.5), json!(true)] {
        let (code, status) = c.token_request("builder", json!({"expirationSeconds": bad}));
        assert_eq!(code, 400, "{bad}: {status}");
        assert!(
            status["message"].as_str().unwrap().contains("cannot unmarshal"),
            "{status}"
        );
    }
}
