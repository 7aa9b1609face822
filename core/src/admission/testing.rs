//! What the plugins' unit tests share: a server's lookups with a chosen authorizer, a store
//! that answers the plugins' reads, and requests built in a line.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::authn::UserInfo;
use crate::authz::{Authorizer, OwnedAttributes, Verdict};
use crate::server::effect::{Completion, Effect, Flow, Lookups};
use crate::server::{Config, Server};
use crate::storage::{KeyValue, StorageRequest, StorageResponse};
use crate::time::Now;

/// An authorizer that allows what its grants list (`*` matches anything), and has no
/// opinion on the rest.
pub struct Grants(pub Vec<Grant>);

/// One grant: user, verb, group, resource, subresource, name.
pub type Grant = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

impl Authorizer for Grants {
    fn name(&self) -> &'static str {
        "Grants"
    }

    fn authorize(&self, user: &UserInfo, a: &OwnedAttributes, _: &Lookups<'_>) -> Flow<Verdict> {
        let m = |want: &str, got: &str| want == "*" || want == got;
        let allowed = self.0.iter().any(|(u, verb, group, resource, sub, name)| {
            m(u, &user.name)
                && m(verb, &a.verb)
                && m(group, &a.group)
                && m(resource, &a.resource)
                && m(sub, &a.subresource)
                && m(name, &a.name)
        });
        Flow::Ready(if allowed {
            Verdict::Allow(String::new())
        } else {
            Verdict::NoOpinion(String::new())
        })
    }
}

/// A server to take lookups from, and the objects storage reads answer with.
pub struct Fixture {
    server: Server,
    /// Stored objects by key.
    pub store: BTreeMap<Vec<u8>, Value>,
    /// The time plugins see.
    pub now: Now,
}

impl Fixture {
    /// A fixture whose authorizer chain is `grants`.
    pub fn new(grants: Vec<Grant>) -> Self {
        let cfg = Config {
            serve_openapi: false,
            ..Config::default()
        };
        let mut server = Server::new(cfg);
        server.set_authorizers(vec![Arc::new(Grants(grants))]);
        Fixture {
            server,
            store: BTreeMap::new(),
            now: Now::default(),
        }
    }

    /// Stores `obj` as the core object `resource` `ns`/`name`.
    pub fn put_core(&mut self, resource: &str, ns: &str, name: &str, obj: Value) {
        let key = self.server.lookups().core_key(resource, ns, name);
        self.store.insert(key, obj);
    }

    /// Runs `plugin` over `request` in `phase` to its end, answering reads from the store.
    pub fn run(&self, plugin: &dyn Plugin, phase: Phase, request: Request) -> Result<Request, ApiError> {
        let mut cx = self.server.lookups();
        cx.now = self.now;
        let mut flow = plugin.admit(phase, request, &cx);
        loop {
            match flow {
                Flow::Ready(outcome) => return outcome,
                Flow::Wait(Effect::Storage(StorageRequest::Range { key, .. }), then) => {
                    let kvs: Vec<KeyValue> = self
                        .store
                        .get(&key)
                        .map(|obj| KeyValue {
                            key: key.clone(),
                            value: serde_json::to_vec(obj).unwrap_or_default(),
                            create_revision: 1,
                            mod_revision: 1,
                            version: 1,
                        })
                        .into_iter()
                        .collect();
                    let count = kvs.len() as i64;
                    let answer = StorageResponse::Range {
                        revision: 1,
                        kvs,
                        more: false,
                        count,
                    };
                    flow = then(Completion::Storage(Ok(answer)), &cx);
                }
                Flow::Wait(other, _) => panic!("unexpected effect {other:?}"),
            }
        }
    }

    /// Runs both phases, as the chain does.
    pub fn admit(&self, plugin: &dyn Plugin, request: Request) -> Result<Request, ApiError> {
        let request = self.run(plugin, Phase::Mutating, request)?;
        self.run(plugin, Phase::Validating, request)
    }
}

/// A user with `groups`.
pub fn user(name: &str, groups: &[&str]) -> UserInfo {
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    crate::authn::user_from_cert(name, &groups)
}

/// A request for `operation` on `group`/`resource`[/`sub`] `ns`/`name` by `user`.
#[allow(clippy::too_many_arguments)]
pub fn request(
    operation: Operation,
    group: &'static str,
    resource: &'static str,
    sub: &str,
    ns: &str,
    name: &str,
    user: UserInfo,
    object: Option<Value>,
    old: Option<Value>,
) -> Request {
    let kind = crate::registry::builtin()
        .iter()
        .find(|d| d.group == group && d.resource == resource)
        .map(|d| d.kind.clone())
        .unwrap_or_default();
    Request {
        operation,
        group: group.into(),
        version: "v1".into(),
        resource: resource.into(),
        kind,
        namespaced: !ns.is_empty(),
        namespace: ns.into(),
        name: name.into(),
        subresource: sub.into(),
        user,
        dry_run: false,
        object,
        old_object: old,
        options: Value::Null,
        warnings: Vec::new(),
        deadline_ms: None,
        seed: 0,
    }
}
