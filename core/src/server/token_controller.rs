//! Service-account token Secrets: a Secret of type `kubernetes.io/service-account-token`
//! annotated with `kubernetes.io/service-account.name` gets its `token` (a legacy token,
//! signed by the server's key), `ca.crt` and `namespace` filled, and the service account's
//! uid annotated, as kube-controller-manager's token controller fills it; this is the
//! documented way to get a long-lived token.
//!
//! Gatehouse runs without a controller manager, so every replica does this from its own
//! watch; writes are updates at the resourceVersion the replica saw, so two replicas never
//! both write (the loser gets a Conflict and then sees the winner's Secret, already filled).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::api;
use crate::authn::jwt;
use crate::authn::serviceaccount::{legacy_claims, Binding, Config, Ref};
use crate::http::Request;
use crate::watch::{CacheEvent, EventType, WatchCaches};

use super::due::{DueSet, Look};

/// The Secret type it fills.
pub const SECRET_TYPE: &str = "kubernetes.io/service-account-token";
/// The annotation naming the service account.
pub const NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// The annotation carrying its uid.
pub const UID_ANNOTATION: &str = "kubernetes.io/service-account.uid";
/// How long to wait before looking at a Secret again after a write that failed, or while its
/// service account is not there (yet).
const RETRY_MS: u64 = 1000;
/// The User-Agent of its writes, as kube-controller-manager's.
const CONTROLLER_AGENT: &str = "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/gatehouse";

/// The Secrets (namespace, name) to look at.
#[derive(Debug, Default)]
pub(super) struct TokenController {
    due: DueSet<(String, String)>,
}

fn is_token_secret(obj: &Value) -> bool {
    obj.get("type").and_then(Value::as_str) == Some(SECRET_TYPE)
}

impl TokenController {
    fn mark(&mut self, ns: &str, name: &str, now_ms: u64) {
        self.due.mark((ns.to_string(), name.to_string()), now_ms);
    }

    /// Notes token Secrets that appeared or changed, and those of service accounts that
    /// appeared (a Secret may come before its service account).
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent], caches: &WatchCaches, now_ms: u64) {
        let secrets = format!("{prefix}/secrets/");
        let accounts = format!("{prefix}/serviceaccounts/");
        for ev in events {
            if ev.key.starts_with(accounts.as_bytes()) && ev.kind == EventType::Added {
                let ns = api::namespace(&ev.object);
                let p = format!("{secrets}{ns}/");
                let waiting: Vec<String> = caches
                    .for_key(p.as_bytes())
                    .list(p.as_bytes())
                    .filter(|(_, s)| {
                        is_token_secret(s)
                            && s.pointer("/metadata/annotations")
                                .and_then(|a| a.get(NAME_ANNOTATION))
                                .and_then(Value::as_str)
                                == Some(api::name(&ev.object))
                    })
                    .map(|(_, s)| api::name(s).to_string())
                    .collect();
                for name in waiting {
                    self.mark(ns, &name, now_ms);
                }
                continue;
            }
            if !ev.key.starts_with(secrets.as_bytes()) || !is_token_secret(&ev.object) {
                continue;
            }
            let key = (
                api::namespace(&ev.object).to_string(),
                api::name(&ev.object).to_string(),
            );
            if ev.kind == EventType::Deleted {
                self.due.remove(&key);
            } else {
                self.mark(&key.0, &key.1, now_ms);
            }
        }
    }

    /// Looks at every token Secret of a freshly loaded cache.
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches, now_ms: u64) {
        let p = format!("{prefix}/secrets/");
        let found: Vec<(String, String)> = caches
            .for_key(p.as_bytes())
            .list(p.as_bytes())
            .filter(|(_, s)| is_token_secret(s))
            .map(|(_, s)| (api::namespace(s).to_string(), api::name(s).to_string()))
            .collect();
        for (ns, name) in found {
            self.mark(&ns, &name, now_ms);
        }
    }

    /// A write for a Secret finished; it is looked at again (after a pause when `backoff`).
    pub fn done(&mut self, key: &(String, String), backoff: bool, now_ms: u64) {
        self.due.done(key, backoff, RETRY_MS, now_ms);
    }

    /// When the next Secret is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due.next_deadline()
    }

    /// The updates to issue now: a token Secret whose service account is there and whose
    /// token, CA bundle, namespace or uid annotation is missing gets them, at the
    /// resourceVersion seen.
    pub fn due_calls(
        &mut self,
        prefix: &str,
        resources: &crate::registry::Resources,
        caches: &WatchCaches,
        config: &Config,
        root_ca_pem: Option<&str>,
        now_ms: u64,
    ) -> Vec<((String, String), Request)> {
        let Some(signer) = config.signer.clone() else {
            self.due.clear();
            return Vec::new();
        };
        let Some(secrets) = resources.find("", "v1", "secrets").cloned() else {
            return Vec::new();
        };
        self.due.look_at(now_ms, |key| {
            let (ns, name) = key;
            let secret_key = format!("{prefix}/secrets/{ns}/{name}");
            let Some(secret) = caches.for_key(secret_key.as_bytes()).get(secret_key.as_bytes()) else {
                return Look::Settled;
            };
            let annotations = secret.pointer("/metadata/annotations");
            let sa_name = annotations
                .and_then(|a| a.get(NAME_ANNOTATION))
                .and_then(Value::as_str)
                .unwrap_or("");
            if sa_name.is_empty() || api::is_terminating(secret) {
                return Look::Settled;
            }
            let sa_key = format!("{prefix}/serviceaccounts/{ns}/{sa_name}");
            let Some(sa) = caches.for_key(sa_key.as_bytes()).get(sa_key.as_bytes()) else {
                // Looked at again when the service account appears.
                return Look::Settled;
            };
            let sa_uid = api::uid(sa);
            let named_uid = annotations
                .and_then(|a| a.get(UID_ANNOTATION))
                .and_then(Value::as_str)
                .unwrap_or("");
            if !named_uid.is_empty() && named_uid != sa_uid {
                // A Secret of an earlier service account of that name: not this one's.
                return Look::Settled;
            }
            let data = secret.get("data").and_then(Value::as_object);
            let has = |k: &str| {
                data.is_some_and(|d| d.get(k).and_then(Value::as_str).is_some_and(|v| !v.is_empty()))
            };
            let complete = has("token")
                && has("namespace")
                && (root_ca_pem.is_none() || has("ca.crt"))
                && named_uid == sa_uid;
            if complete {
                return Look::Settled;
            }
            let mut updated = (**secret).clone();
            if !has("token") {
                let binding = Binding {
                    namespace: ns.clone(),
                    service_account: Ref {
                        name: sa_name.to_string(),
                        uid: sa_uid.to_string(),
                    },
                    ..Binding::default()
                };
                let Ok(token) = jwt::encode(&legacy_claims(&binding, name), &*signer) else {
                    return Look::Later(now_ms + RETRY_MS);
                };
                set_data(&mut updated, "token", &token);
            }
            if let Some(ca) = root_ca_pem.filter(|_| !has("ca.crt")) {
                set_data(&mut updated, "ca.crt", ca);
            }
            if !has("namespace") {
                set_data(&mut updated, "namespace", ns);
            }
            api::set_annotation(&mut updated, UID_ANNOTATION, sa_uid);
            Look::Write(super::loopback::write(
                &secrets,
                "update",
                &updated,
                CONTROLLER_AGENT,
            ))
        })
    }
}

fn set_data(secret: &mut Value, key: &str, value: &str) {
    if !secret.get("data").is_some_and(Value::is_object) {
        secret["data"] = json!({});
    }
    secret["data"][key] = json!(STANDARD.encode(value));
}
