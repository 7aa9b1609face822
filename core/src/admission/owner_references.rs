//! `OwnerReferencesPermissionEnforcement`: changing an object's ownerReferences needs
//! `delete` on the object (an owner reference can get it garbage collected), except when
//! creating it; and setting `blockOwnerDeletion` on a reference needs `update` on the
//! owner's `finalizers` subresource (it holds back the owner's foreground deletion).
//! Validating, as kube's.

use std::sync::Arc;

use serde_json::Value;

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::authz::{self, OwnedAttributes, Verdict};
use crate::server::effect::{Flow, Lookups};

type Outcome = Flow<Result<Request, ApiError>>;

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(OwnerReferencesPermissionEnforcement))
}

/// kube-apiserver's `OwnerReferencesPermissionEnforcement`.
#[derive(Debug)]
pub struct OwnerReferencesPermissionEnforcement;

impl Plugin for OwnerReferencesPermissionEnforcement {
    fn name(&self) -> &'static str {
        "OwnerReferencesPermissionEnforcement"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Outcome {
        let writes = matches!(request.operation, Operation::Create | Operation::Update);
        // A pod's status cannot change its owners (its strategy keeps them), and old
        // kubelets send stale ones: kube skips it.
        let pod_status =
            request.group.is_empty() && request.resource == "pods" && request.subresource == "status";
        if phase != Phase::Validating || !writes || pod_status {
            return Flow::Ready(Ok(request));
        }
        let new = owner_refs(request.object.as_ref());
        let old = request.old_object.as_ref().map(|o| owner_refs(Some(o)));
        let changing = match &old {
            None => !new.is_empty(),
            Some(old) => old != &new,
        };
        if !changing {
            return Flow::Ready(Ok(request));
        }
        let blocking = newly_blocking(&new, old.as_deref().unwrap_or(&[]));
        if request.operation == Operation::Create {
            // Whoever may create an object could have left it out: only blocking is asked.
            return check_blocking(request, blocking, cx);
        }
        let ask = OwnedAttributes {
            verb: "delete".into(),
            resource_request: true,
            group: request.group.to_string(),
            api_version: request.version.to_string(),
            resource: request.resource.to_string(),
            subresource: request.subresource.clone(),
            namespace: request.namespace.clone(),
            name: request.name.clone(),
            ..OwnedAttributes::default()
        };
        let user = request.user.clone();
        authz::decide(&user, &ask.borrowed(), cx).and_then(cx, move |verdict, cx| {
            if let Some(why) = refusal(verdict) {
                let why = format!("cannot set an ownerRef on a resource you can't delete: {why}");
                return Flow::Ready(Err(request.forbidden(&why)));
            }
            check_blocking(request, blocking, cx)
        })
    }
}

/// `metadata.ownerReferences` of an object (none when absent).
fn owner_refs(obj: Option<&Value>) -> Vec<Value> {
    obj.and_then(|o| o.pointer("/metadata/ownerReferences"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn blocks(r: &Value) -> bool {
    r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true)
}

/// The references of `new` that block and did not before: new ones (by UID), or ones that
/// did not block.
fn newly_blocking(new: &[Value], old: &[Value]) -> Vec<Value> {
    let uid = |r: &Value| r.get("uid").and_then(Value::as_str).unwrap_or("").to_string();
    new.iter()
        .filter(|r| blocks(r))
        .filter(|r| match old.iter().rev().find(|o| uid(o) == uid(r)) {
            Some(before) => !blocks(before),
            None => true,
        })
        .cloned()
        .collect()
}

/// kube's `<reason>, <error>` of an authorization that did not allow; `None` when allowed.
fn refusal(verdict: Verdict) -> Option<String> {
    match verdict {
        Verdict::Allow(_) => None,
        Verdict::Deny(why) | Verdict::NoOpinion(why) => Some(format!("{why}, <nil>")),
        Verdict::Error { reason, error, .. } => Some(format!("{reason}, {error}")),
    }
}

fn check_blocking(request: Request, blocking: Vec<Value>, cx: &Lookups<'_>) -> Outcome {
    if blocking.is_empty() {
        return Flow::Ready(Ok(request));
    }
    // One question first: whoever may update every finalizer needs no other.
    let anything = OwnedAttributes {
        verb: "update".into(),
        resource_request: true,
        group: "*".into(),
        api_version: "*".into(),
        resource: "*".into(),
        subresource: "finalizers".into(),
        name: "*".into(),
        ..OwnedAttributes::default()
    };
    let user = request.user.clone();
    authz::decide(&user, &anything.borrowed(), cx).and_then(cx, move |verdict, cx| {
        if matches!(verdict, Verdict::Allow(_)) {
            return Flow::Ready(Ok(request));
        }
        check_owner(request, blocking, 0, cx)
    })
}

/// Asks for `update` on the `finalizers` of the owner of `refs[i]`, then the next.
fn check_owner(request: Request, refs: Vec<Value>, i: usize, cx: &Lookups<'_>) -> Outcome {
    let Some(owner) = refs.get(i) else {
        return Flow::Ready(Ok(request));
    };
    let field = |f: &str| owner.get(f).and_then(Value::as_str).unwrap_or("").to_string();
    let (api_version, kind, name) = (field("apiVersion"), field("kind"), field("name"));
    let resource = match owner_resource(&api_version, &kind) {
        Ok(found) => found,
        Err(why) => {
            let why = format!(
                "cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion {api_version} Kind {kind}: {why}"
            );
            return Flow::Ready(Err(request.forbidden(&why)));
        }
    };
    let (group, version, resource) = resource;
    let ask = OwnedAttributes {
        verb: "update".into(),
        resource_request: true,
        group,
        api_version: version,
        resource,
        subresource: "finalizers".into(),
        // An owner is always in the dependent's namespace.
        namespace: request.namespace.clone(),
        name,
        ..OwnedAttributes::default()
    };
    let user = request.user.clone();
    authz::decide(&user, &ask.borrowed(), cx).and_then(cx, move |verdict, cx| {
        if let Some(why) = refusal(verdict) {
            let why = format!(
                "cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: {why}"
            );
            return Flow::Ready(Err(request.forbidden(&why)));
        }
        check_owner(request, refs, i + 1, cx)
    })
}

/// The group, version and resource an owner reference's `apiVersion` and `kind` name, or
/// why there is none (in the words of kube's REST mapper).
fn owner_resource(api_version: &str, kind: &str) -> Result<(String, String, String), String> {
    let (group, version) = match api_version.split('/').collect::<Vec<_>>().as_slice() {
        [version] => (String::new(), version.to_string()),
        [group, version] => (group.to_string(), version.to_string()),
        _ => return Err(format!("unexpected GroupVersion string: {api_version}")),
    };
    match crate::registry::find_kind(&group, kind) {
        Some(def) => Ok((group, version, def.resource.to_string())),
        None => Err(format!(
            "no matches for kind {} in version {}",
            crate::validation::go_quote(kind),
            crate::validation::go_quote(api_version)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{request, user, Fixture};
    use serde_json::json;

    fn cm(refs: Value) -> Value {
        json!({"metadata": {"name": "cm", "namespace": "ns", "ownerReferences": refs}})
    }

    fn owner(uid: &str, block: bool) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": uid, "blockOwnerDeletion": block})
    }

    fn write(f: &Fixture, who: &str, new: Value, old: Option<Value>) -> Result<Request, ApiError> {
        let op = if old.is_some() {
            Operation::Update
        } else {
            Operation::Create
        };
        let r = request(
            op,
            "",
            "configmaps",
            "",
            "ns",
            "cm",
            user(who, &[]),
            Some(new),
            old,
        );
        f.admit(&OwnerReferencesPermissionEnforcement, r)
    }

    fn grants() -> Fixture {
        Fixture::new(vec![
            ("deleter", "delete", "", "configmaps", "", "cm"),
            ("finalizer", "delete", "", "configmaps", "", "cm"),
            ("finalizer", "update", "apps", "deployments", "finalizers", "web"),
            ("everything", "delete", "", "configmaps", "", "cm"),
            ("everything", "update", "*", "*", "finalizers", "*"),
        ])
    }

    #[test]
    fn changing_owners_needs_delete_on_the_object() {
        let f = grants();
        let e = write(&f, "nobody", cm(json!([owner("u1", false)])), Some(cm(json!([])))).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "configmaps \"cm\" is forbidden: cannot set an ownerRef on a resource you can't delete: , <nil>"
        );
        assert!(write(
            &f,
            "deleter",
            cm(json!([owner("u1", false)])),
            Some(cm(json!([])))
        )
        .is_ok());
        // Unchanged owners, or a create, need nothing.
        let same = cm(json!([owner("u1", false)]));
        assert!(write(&f, "nobody", same.clone(), Some(same.clone())).is_ok());
        assert!(write(&f, "nobody", same, None).is_ok());
    }

    #[test]
    fn blocking_needs_update_on_the_owners_finalizers() {
        let f = grants();
        let e = write(
            &f,
            "deleter",
            cm(json!([owner("u1", true)])),
            Some(cm(json!([owner("u1", false)]))),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "configmaps \"cm\" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: , <nil>"
        );
        let e = write(&f, "nobody", cm(json!([owner("u1", true)])), None).unwrap_err();
        assert!(e.message.contains("can't set finalizers on"), "{}", e.message);
        assert!(write(
            &f,
            "finalizer",
            cm(json!([owner("u1", true)])),
            Some(cm(json!([])))
        )
        .is_ok());
        assert!(write(
            &f,
            "everything",
            cm(json!([owner("u1", true)])),
            Some(cm(json!([])))
        )
        .is_ok());
        // A reference that already blocked is not asked about again.
        let both = cm(json!([owner("u1", true), owner("u2", false)]));
        let before = cm(json!([owner("u1", true)]));
        assert!(write(&f, "deleter", both, Some(before)).is_ok());
    }

    #[test]
    fn an_unknown_owner_kind_is_refused_by_its_mapping() {
        let f = grants();
        let odd = json!([{"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "u9", "blockOwnerDeletion": true}]);
        let e = write(&f, "finalizer", cm(odd), None).unwrap_err();
        assert_eq!(
            e.message,
            "configmaps \"cm\" is forbidden: cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion example.com/v1 Kind Widget: no matches for kind \"Widget\" in version \"example.com/v1\""
        );
    }

    #[test]
    fn pod_status_is_left_alone() {
        let f = grants();
        let pod = json!({"metadata": {"name": "p", "ownerReferences": [owner("u1", true)]}});
        let r = request(
            Operation::Update,
            "",
            "pods",
            "status",
            "ns",
            "p",
            user("nobody", &[]),
            Some(pod),
            Some(json!({})),
        );
        assert!(f.admit(&OwnerReferencesPermissionEnforcement, r).is_ok());
    }
}
