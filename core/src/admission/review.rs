//! The admission request as kube hands it to webhooks (`AdmissionReview.request`) and to
//! policies (the CEL `request` variable): uid, kind and resource, what was asked for, the
//! user, dry run and options.

use serde_json::{json, Map, Value};

use super::Request;
use crate::rng::Rng;

/// The request's `userInfo`, with only the fields the user has.
pub fn user_info(r: &Request) -> Value {
    let mut u = Map::new();
    u.insert("username".into(), json!(r.user.name));
    if !r.user.uid.is_empty() {
        u.insert("uid".into(), json!(r.user.uid));
    }
    if !r.user.groups.is_empty() {
        u.insert("groups".into(), json!(r.user.groups));
    }
    if !r.user.extra.is_empty() {
        u.insert("extra".into(), json!(r.user.extra));
    }
    Value::Object(u)
}

/// A fresh uid for one review of the request, drawn from its seed (`salt` tells apart the
/// reviews of one request).
pub fn uid(r: &Request, salt: u64) -> String {
    Rng::new(r.seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)).uuid_v4()
}

/// `AdmissionRequest` without `object` and `oldObject` (which webhooks get besides, and
/// policies as variables of their own).
pub fn request(r: &Request, uid: &str) -> Value {
    let kind = json!({"group": r.group, "version": r.version, "kind": r.kind});
    let resource = json!({"group": r.group, "version": r.version, "resource": r.resource});
    let mut out = json!({
        "uid": uid,
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "name": r.name,
        "namespace": super::matching::namespace_of(r),
        "operation": r.operation.as_str(),
        "userInfo": user_info(r),
        "dryRun": r.dry_run,
    });
    if !r.subresource.is_empty() {
        out["subResource"] = json!(r.subresource);
        out["requestSubResource"] = json!(r.subresource);
    }
    if !r.options.is_null() {
        out["options"] = r.options.clone();
    }
    out
}
