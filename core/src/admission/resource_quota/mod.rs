//! The ResourceQuota plugin: a write that would take a namespace past one of its
//! ResourceQuotas is refused, and a write that is admitted is first charged to the quotas
//! that count it, by an update of each quota's `status.used` in storage at the
//! resourceVersion read (on a conflict, the quota is read again and the write checked
//! against it again, at most three more times), before the object itself is written, as
//! kube's quota evaluator does. Dry runs are checked but not charged.
//!
//! What is freed (deleted objects, finished pods) is given back by the quota controller
//! (`server::quota_controller`), which recounts a namespace's usage from the watch cache.

pub mod check;
pub mod config;
pub mod evaluator;
pub mod scopes;
pub mod usage;

use std::sync::Arc;

use serde_json::Value;

use self::check::{check_request, Quota};
use self::config::Limited;
use self::evaluator::Evaluator;
use super::resource_list::ResourceList;
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Completion, Effect, Flow, Lookups};
use crate::storage::{Compare, StorageRequest, StorageResponse, TxnOp};

/// How many times a quota is read again after a conflicting update.
const RETRIES: u32 = 3;

/// Builds the plugin from its `ResourceQuotaConfiguration` (or none).
pub fn build(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(ResourceQuota {
        limited: config::parse(config)?,
    }))
}

/// kube-apiserver's `ResourceQuota` (a validating plugin).
#[derive(Debug, Default)]
pub struct ResourceQuota {
    /// Resources that may only be consumed where a quota covers them.
    limited: Vec<Limited>,
}

/// The evaluator of the request's resource.
pub fn evaluator_for(request: &Request) -> Evaluator {
    evaluator::for_resource(&request.group, &request.resource)
}

/// The ResourceQuotas of `namespace`, from the watch cache.
pub fn quotas_in(cx: &Lookups<'_>, namespace: &str) -> Vec<Quota> {
    let p = format!("{}/resourcequotas/{namespace}/", cx.prefix);
    cx.caches
        .for_key(p.as_bytes())
        .list(p.as_bytes())
        .map(|(_, v)| Quota::from_object(Value::clone(v)))
        .collect()
}

impl Plugin for ResourceQuota {
    fn name(&self) -> &'static str {
        "ResourceQuota"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating
            || request.namespace.is_empty()
            || (request.operation == Operation::Create && request.is("", "namespaces"))
            || (request.group.is_empty() && request.resource == "events")
        {
            return Flow::Ready(Ok(request));
        }
        let ev = evaluator_for(&request);
        if !ev.handles(
            request.operation,
            &request.subresource,
            request.object.as_ref(),
            request.old_object.as_ref(),
        ) {
            return Flow::Ready(Ok(request));
        }
        let quotas = quotas_in(cx, &request.namespace);
        if quotas.is_empty() && self.limited.is_empty() {
            return Flow::Ready(Ok(request));
        }
        let used = match check_request(&quotas, &self.limited, &request, &ev, cx.now.wall_secs()) {
            Ok(used) => used,
            Err(e) => return Flow::Ready(Err(e)),
        };
        if request.dry_run {
            return Flow::Ready(Ok(request));
        }
        let changed: Vec<(Quota, ResourceList)> = quotas
            .into_iter()
            .zip(used)
            .filter(|(q, used)| q.used != *used)
            .collect();
        let limited = self.limited.clone();
        charge(Charge { request, ev, limited }, changed, RETRIES, cx)
    }
}

fn resource_version(q: &Quota) -> i64 {
    q.object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The write being charged and what it is checked with.
struct Charge {
    request: Request,
    ev: Evaluator,
    limited: Vec<Limited>,
}

/// Writes the next quota's new usage at the resourceVersion it was read at; on a conflict
/// checks the write again against the quota as it now is.
fn charge(
    c: Charge,
    mut todo: Vec<(Quota, ResourceList)>,
    retries: u32,
    cx: &Lookups<'_>,
) -> Flow<Result<Request, ApiError>> {
    let Some((quota, used)) = todo.pop() else {
        return Flow::Ready(Ok(c.request));
    };
    let key = cx.core_key("resourcequotas", &c.request.namespace, &quota.name);
    let value = cx.storage.encode(&key, &quota.with_used(&used));
    let txn = StorageRequest::Txn {
        compare: vec![Compare::ModRevision(key.clone(), resource_version(&quota))],
        success: vec![TxnOp::Put {
            key: key.clone(),
            value,
            ttl_secs: None,
        }],
        failure: vec![TxnOp::Get { key }],
    };
    Flow::Wait(
        Effect::Storage(txn),
        Box::new(move |completion, cx| match completion {
            Completion::Storage(Ok(StorageResponse::Txn { succeeded: true, .. })) => {
                charge(c, todo, RETRIES, cx)
            }
            Completion::Storage(Ok(StorageResponse::Txn { gets, .. })) => {
                let current = gets
                    .into_iter()
                    .flatten()
                    .next()
                    .and_then(|kv| cx.storage.decode(&kv));
                let Some(current) = current else {
                    // The quota is gone: nothing left to charge to it.
                    return charge(c, todo, RETRIES, cx);
                };
                if retries == 0 {
                    return Flow::Ready(Err(ApiError::conflict(
                        "",
                        "resourcequotas",
                        &quota.name,
                        "the object has been modified; please apply your changes to the latest version and try again",
                    )));
                }
                let fresh = Quota::from_object(current);
                match check_request(
                    std::slice::from_ref(&fresh),
                    &c.limited,
                    &c.request,
                    &c.ev,
                    cx.now.wall_secs(),
                ) {
                    Err(e) => Flow::Ready(Err(e)),
                    Ok(mut used) => {
                        let used = used.pop().unwrap_or_default();
                        if used != fresh.used {
                            todo.push((fresh, used));
                        }
                        charge(c, todo, retries - 1, cx)
                    }
                }
            }
            Completion::Storage(Err(e)) => Flow::Ready(Err(crate::registry::rest::storage_error(&e))),
            other => Flow::Ready(Err(ApiError::internal(format!(
                "unexpected answer to a quota update: {other:?}"
            )))),
        }),
    )
}
