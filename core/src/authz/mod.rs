//! Authorization: may this user do this. `system:masters` may do anything, before any
//! authorizer is asked, as in kube-apiserver; then the configured authorizers
//! (`--authorization-mode`, in order) each allow, deny, or pass with no opinion. The first
//! to allow or deny decides; when none does, the request is denied with every reason given
//! on the way.

pub mod config;
pub mod match_conditions;
pub mod modes;
pub mod node;
pub mod rbac;
pub mod webhook;

use std::sync::Arc;

use crate::authn::UserInfo;
use crate::server::effect::{Flow, Lookups};

/// What is being asked, as kube's `authorizer.Attributes`.
#[derive(Clone, Debug, Default)]
pub struct Attributes<'a> {
    /// The verb (get, list, create, ...).
    pub verb: &'a str,
    /// Whether this is a resource request.
    pub resource_request: bool,
    /// API group.
    pub group: &'a str,
    /// Resource.
    pub resource: &'a str,
    /// Subresource.
    pub subresource: &'a str,
    /// Namespace.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// The path, for non-resource requests.
    pub path: &'a str,
    /// The raw `fieldSelector` of a list, watch or deletecollection, for authorizers that
    /// decide by it (the Node authorizer).
    pub field_selector: &'a str,
    /// The API version asked for (`*` for any), which webhooks are told.
    pub api_version: &'a str,
}

/// An authorizer's answer in the chain: the first that allows or denies decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, with the authorizer's reason (may be empty).
    Allow(String),
    /// Denied, with the authorizer's reason (may be empty).
    Deny(String),
    /// No opinion: the next authorizer decides.
    NoOpinion(String),
    /// Deciding failed (a webhook that did not answer). With `denied` (a webhook whose
    /// failure policy is Deny) the walk ends there; otherwise it is no opinion and the next
    /// authorizer decides. Unless one allows, the request ends in kube's 500.
    Error {
        /// The reasons given.
        reason: String,
        /// What failed.
        error: String,
        /// Whether the failure denies (ends the walk).
        denied: bool,
    },
}

/// One authorizer of the chain (RBAC, Node, a webhook).
pub trait Authorizer: Send + Sync {
    /// Its name, for logs.
    fn name(&self) -> &'static str;

    /// Decides what `user` asks (`attrs`), now or after an effect (a SubjectAccessReview),
    /// reading what it needs of the server's state from `cx`.
    fn authorize(&self, user: &UserInfo, attrs: &OwnedAttributes, cx: &Lookups<'_>) -> Flow<Verdict>;

    /// What `user` may do in `namespace`, for SelfSubjectRulesReview. An authorizer that
    /// cannot list its rules says the list is incomplete, as kube's webhook does.
    fn rules_for(&self, user: &UserInfo, namespace: &str, cx: &Lookups<'_>) -> Rules {
        let _ = (user, namespace, cx);
        Rules {
            incomplete: true,
            errors: vec![format!(
                "{} authorizer does not support user rule resolution",
                self.name()
            )],
            ..Rules::default()
        }
    }
}

/// The rules an authorizer grants a user in a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// The rules.
    pub rules: Vec<rbac::PolicyRule>,
    /// Whether there may be more than listed.
    pub incomplete: bool,
    /// What went wrong finding them.
    pub errors: Vec<String>,
}

/// What `user` may do in `namespace` as the whole chain says: every authorizer's rules.
pub fn rules_for(user: &UserInfo, namespace: &str, cx: &Lookups<'_>) -> Rules {
    let mut all = Rules::default();
    for a in cx.authorizers {
        let r = a.rules_for(user, namespace, cx);
        all.rules.extend(r.rules);
        all.incomplete |= r.incomplete;
        all.errors.extend(r.errors);
    }
    all
}

/// Several errors as one, as kube's aggregate error prints them: one alone as itself,
/// several (repeats dropped) as `[a, b]`.
pub fn aggregate(errors: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in errors {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    match seen.len() {
        0 => String::new(),
        1 => seen[0].to_string(),
        _ => format!("[{}]", seen.join(", ")),
    }
}

impl Attributes<'_> {
    /// A copy that owns its strings.
    pub fn owned(&self) -> OwnedAttributes {
        OwnedAttributes {
            verb: self.verb.to_string(),
            resource_request: self.resource_request,
            group: self.group.to_string(),
            resource: self.resource.to_string(),
            subresource: self.subresource.to_string(),
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            path: self.path.to_string(),
            field_selector: self.field_selector.to_string(),
            api_version: self.api_version.to_string(),
        }
    }
}

/// [`Attributes`] that own their strings, for decisions that outlive the request's borrow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnedAttributes {
    /// The verb.
    pub verb: String,
    /// Whether this is a resource request.
    pub resource_request: bool,
    /// API group.
    pub group: String,
    /// Resource.
    pub resource: String,
    /// Subresource.
    pub subresource: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The path, for non-resource requests.
    pub path: String,
    /// The raw `fieldSelector`.
    pub field_selector: String,
    /// The API version.
    pub api_version: String,
}

impl OwnedAttributes {
    /// The borrowed form.
    pub fn borrowed(&self) -> Attributes<'_> {
        Attributes {
            verb: &self.verb,
            resource_request: self.resource_request,
            group: &self.group,
            resource: &self.resource,
            subresource: &self.subresource,
            namespace: &self.namespace,
            name: &self.name,
            path: &self.path,
            field_selector: &self.field_selector,
            api_version: &self.api_version,
        }
    }
}

/// The group whose members may do anything (kube's privileged group).
pub const PRIVILEGED_GROUP: &str = "system:masters";

/// Decides what `user` asks: `system:masters` at once, else the configured authorizers of
/// `cx` in order. A denial carries the deciding authorizer's reason; when nobody had an
/// opinion, the reasons of all of them, one per line, as kube's union joins them.
pub fn decide(user: &UserInfo, attrs: &Attributes<'_>, cx: &Lookups<'_>) -> Flow<Verdict> {
    if user.in_group(PRIVILEGED_GROUP) {
        return Flow::Ready(Verdict::Allow(String::new()));
    }
    walk(
        cx.authorizers.to_vec(),
        0,
        user.clone(),
        attrs.owned(),
        Passed::default(),
        cx,
    )
}

/// What the authorizers without an opinion said so far: their reasons, and what failed.
#[derive(Default)]
struct Passed {
    reasons: Vec<String>,
    errors: Vec<String>,
}

fn walk(
    authorizers: Vec<Arc<dyn Authorizer>>,
    i: usize,
    user: UserInfo,
    attrs: OwnedAttributes,
    mut passed: Passed,
    cx: &Lookups<'_>,
) -> Flow<Verdict> {
    let Some(authorizer) = authorizers.get(i).cloned() else {
        let reason = passed.reasons.join("\n");
        return Flow::Ready(if passed.errors.is_empty() {
            Verdict::NoOpinion(reason)
        } else {
            Verdict::Error {
                reason,
                error: aggregate(&passed.errors),
                denied: false,
            }
        });
    };
    authorizer
        .authorize(&user, &attrs, cx)
        .and_then(cx, move |verdict, cx| {
            let (why, error) = match verdict {
                decided @ (Verdict::Allow(_) | Verdict::Deny(_) | Verdict::Error { denied: true, .. }) => {
                    return Flow::Ready(decided)
                }
                Verdict::NoOpinion(why) => (why, None),
                Verdict::Error { reason, error, .. } => (reason, Some(error)),
            };
            if !why.is_empty() {
                passed.reasons.push(why);
            }
            passed.errors.extend(error);
            walk(authorizers, i + 1, user, attrs, passed, cx)
        })
}

/// The forbidden message kube-apiserver writes for a denied request, without the
/// `<resource> is forbidden: ` prefix the Status adds.
pub fn forbidden_reason(user: &UserInfo, attrs: &Attributes<'_>, why: &str) -> String {
    let mut s = if attrs.resource_request {
        let resource = if attrs.subresource.is_empty() {
            attrs.resource.to_string()
        } else {
            format!("{}/{}", attrs.resource, attrs.subresource)
        };
        let mut s = format!(
            "User \"{}\" cannot {} resource \"{}\" in API group \"{}\"",
            user.name, attrs.verb, resource, attrs.group
        );
        if !attrs.namespace.is_empty() {
            s.push_str(&format!(" in the namespace \"{}\"", attrs.namespace));
        } else {
            s.push_str(" at the cluster scope");
        }
        s
    } else {
        format!(
            "User \"{}\" cannot {} path \"{}\"",
            user.name, attrs.verb, attrs.path
        )
    };
    if !why.is_empty() {
        s.push_str(": ");
        s.push_str(why);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_wording_of_a_denial() {
        let jane = crate::authn::user_from_cert("jane", &[]);
        let a = Attributes {
            verb: "list",
            resource_request: true,
            resource: "configmaps",
            namespace: "default",
            ..Default::default()
        };
        assert_eq!(
            forbidden_reason(&jane, &a, ""),
            "User \"jane\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
        );
        let cluster = Attributes {
            namespace: "",
            verb: "watch",
            resource: "nodes",
            subresource: "status",
            ..a
        };
        assert_eq!(
            forbidden_reason(&jane, &cluster, "RBAC: x"),
            "User \"jane\" cannot watch resource \"nodes/status\" in API group \"\" at the cluster scope: RBAC: x"
        );
        let path = Attributes {
            verb: "get",
            path: "/metrics",
            ..Default::default()
        };
        assert_eq!(
            forbidden_reason(&jane, &path, ""),
            "User \"jane\" cannot get path \"/metrics\""
        );
    }
}
