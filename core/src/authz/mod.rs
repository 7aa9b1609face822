//! Authorization: may this user do this. Until RBAC is configured, the rules are those of
//! kube-apiserver's built-in bindings that matter before RBAC: `system:masters` may do
//! anything, and the public-info and discovery paths are open as the bootstrap roles
//! `system:public-info-viewer` and `system:discovery` open them.

use crate::authn::UserInfo;

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
}

/// An authorizer's answer in the chain: the first that allows or denies decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed.
    Allow,
    /// Denied, with the authorizer's reason (may be empty).
    Deny(String),
    /// No opinion: the next authorizer decides.
    NoOpinion(String),
}

/// One authorizer of the chain beyond the built-in rules (RBAC, Node, a webhook).
pub trait Authorizer: Send + Sync {
    /// Its name, for logs.
    fn name(&self) -> &'static str;

    /// Decides what `user` asks (`attrs`), now or after an effect (a SubjectAccessReview).
    fn authorize(&self, user: &UserInfo, attrs: &OwnedAttributes) -> crate::server::Flow<Verdict>;
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
        }
    }
}

/// An authorization decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied; the text is the authorizer's reason (may be empty).
    Deny(String),
}

const PUBLIC_INFO: &[&str] = &["/healthz", "/livez", "/readyz", "/version", "/version/"];
const ISSUER_DISCOVERY: &[&str] = &["/.well-known/openid-configuration", "/openid/v1/jwks"];
const DISCOVERY_PREFIXES: &[&str] = &["/api", "/apis", "/openapi"];

/// Decides one request.
pub fn authorize(user: &UserInfo, attrs: &Attributes<'_>) -> Decision {
    if user.in_group("system:masters") {
        return Decision::Allow;
    }
    // kube's system:basic-user: any signed-in user may ask what it may do and who it is.
    if attrs.resource_request
        && attrs.verb == "create"
        && user.in_group("system:authenticated")
        && matches!(
            (attrs.group, attrs.resource),
            (
                "authorization.k8s.io",
                "selfsubjectaccessreviews" | "selfsubjectrulesreviews"
            ) | ("authentication.k8s.io", "selfsubjectreviews")
        )
    {
        return Decision::Allow;
    }
    if !attrs.resource_request && attrs.verb == "get" {
        let p = attrs.path;
        // system:public-info-viewer names these exact paths (its rules have no `/*`): the
        // individual checks (`/readyz/etcd`) are for system:monitoring, not everyone.
        if PUBLIC_INFO.contains(&p) {
            return Decision::Allow;
        }
        // system:service-account-issuer-discovery, bound to every service account.
        if ISSUER_DISCOVERY.contains(&p) && user.in_group("system:serviceaccounts") {
            return Decision::Allow;
        }
        if user.in_group("system:authenticated")
            && DISCOVERY_PREFIXES
                .iter()
                .any(|x| p == *x || p.starts_with(&format!("{x}/")))
        {
            return Decision::Allow;
        }
    }
    Decision::Deny(String::new())
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

    fn attrs<'a>(verb: &'a str, resource: &'a str, ns: &'a str) -> Attributes<'a> {
        Attributes {
            verb,
            resource_request: true,
            resource,
            namespace: ns,
            ..Default::default()
        }
    }

    #[test]
    fn masters_allowed_others_denied_with_kube_wording() {
        let admin = crate::authn::user_from_cert("kubernetes-admin", &["system:masters".into()]);
        assert_eq!(
            authorize(&admin, &attrs("list", "configmaps", "default")),
            Decision::Allow
        );
        let jane = crate::authn::user_from_cert("jane", &[]);
        let a = attrs("list", "configmaps", "default");
        assert!(matches!(authorize(&jane, &a), Decision::Deny(_)));
        assert_eq!(
            forbidden_reason(&jane, &a, ""),
            "User \"jane\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
        );
    }

    #[test]
    fn public_info_is_open_discovery_needs_authentication() {
        let anon = UserInfo::anonymous();
        let get = |path| Attributes {
            verb: "get",
            path,
            ..Default::default()
        };
        assert_eq!(authorize(&anon, &get("/healthz")), Decision::Allow);
        assert_eq!(authorize(&anon, &get("/version/")), Decision::Allow);
        // The individual checks are system:monitoring's, not public.
        assert!(matches!(
            authorize(&anon, &get("/readyz/ping")),
            Decision::Deny(_)
        ));
        assert!(matches!(
            authorize(&anon, &get("/healthz/etcd")),
            Decision::Deny(_)
        ));
        assert!(matches!(authorize(&anon, &get("/api")), Decision::Deny(_)));
        let jane = crate::authn::user_from_cert("jane", &[]);
        assert_eq!(authorize(&jane, &get("/apis/apps/v1")), Decision::Allow);
    }
}
