//! Impersonation (kube's `WithImpersonation`): the `Impersonate-User`, `-Uid`, `-Group` and
//! `-Extra-<key>` headers make the request act as another user, once the caller may
//! `impersonate` each thing it asks for. Each is authorized on its own through the same
//! chain as every request (users, serviceaccounts and groups in the core group; uids and
//! `userextras/<key>` in `authentication.k8s.io`); the first refused is kube's 403 for it.

use std::collections::BTreeMap;

use crate::api::ApiError;
use crate::authn::UserInfo;
use crate::authz::{Attributes, OwnedAttributes};
use crate::http::Request;
use crate::server::effect::{Flow, Lookups};
use crate::validation::{is_dns1123_label, is_dns1123_subdomain};

use super::authorization::authorize_attributes;

const USER: &str = "impersonate-user";
const UID: &str = "impersonate-uid";
const GROUP: &str = "impersonate-group";
const EXTRA_PREFIX: &str = "impersonate-extra-";
const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

/// The user `request` acts as: `requestor` itself when it asks for no impersonation, else the
/// impersonated user once every part of it is allowed; now, or after an authorizer's effect.
pub(in crate::server) fn act_as(
    requestor: UserInfo,
    request: &Request,
    cx: &Lookups<'_>,
) -> Flow<Result<UserInfo, ApiError>> {
    let asked = match Asked::from_headers(request) {
        Ok(Some(asked)) => asked,
        Ok(None) => return Flow::Ready(Ok(requestor)),
        Err(e) => return Flow::Ready(Err(e)),
    };
    let checks = asked.checks();
    let acting = asked.user();
    Checks { requestor, checks }
        .from(0, cx)
        .and_then(cx, move |allowed, _| Flow::Ready(allowed.map(|()| acting)))
}

/// Whether `request` carries an impersonation header (which the chain strips once read).
pub(in crate::server) fn is_impersonation_header(name: &str) -> bool {
    name == USER || name == UID || name == GROUP || name.starts_with(EXTRA_PREFIX)
}

/// What the headers ask to act as.
#[derive(Debug, PartialEq, Eq)]
struct Asked {
    user: String,
    uid: Option<String>,
    groups: Vec<String>,
    extra: BTreeMap<String, Vec<String>>,
}

impl Asked {
    /// Reads the impersonation headers: none is `None`; groups, a uid or extras without a
    /// user is kube's error for it.
    fn from_headers(request: &Request) -> Result<Option<Asked>, ApiError> {
        let user = request.header(USER).unwrap_or("").to_string();
        let uid = request.header(UID).filter(|u| !u.is_empty()).map(str::to_string);
        let groups: Vec<String> = request.header_all(GROUP).map(str::to_string).collect();
        let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &request.headers {
            if let Some(key) = name.strip_prefix(EXTRA_PREFIX) {
                extra
                    .entry(crate::authn::unescape_extra_key(key))
                    .or_default()
                    .push(value.clone());
            }
        }
        if user.is_empty() {
            if groups.is_empty() && uid.is_none() && extra.is_empty() {
                return Ok(None);
            }
            // kube prints the requests as Go prints its object references (`%v`).
            let mut asked: Vec<String> = Vec::new();
            asked.extend(groups.iter().map(|g| format!("{{Group  {g}    }}")));
            for (key, values) in &extra {
                asked.extend(
                    values
                        .iter()
                        .map(|v| format!("{{UserExtra  {v}  authentication.k8s.io/v1  {key}}}")),
                );
            }
            asked.extend(
                uid.iter()
                    .map(|u| format!("{{UID  {u}  authentication.k8s.io/v1  }}")),
            );
            let why = format!("requested [{}] without impersonating a user", asked.join(" "));
            return Err(ApiError::internal_text(&request.target, &why));
        }
        Ok(Some(Asked {
            user,
            uid,
            groups,
            extra,
        }))
    }

    /// The access checks, in kube's order: the user (or service account), each group, each
    /// extra value, the uid.
    fn checks(&self) -> Vec<OwnedAttributes> {
        let check =
            |group: &str, resource: &str, subresource: &str, namespace: &str, name: &str| OwnedAttributes {
                verb: "impersonate".into(),
                resource_request: true,
                group: group.into(),
                resource: resource.into(),
                subresource: subresource.into(),
                namespace: namespace.into(),
                name: name.into(),
                path: String::new(),
                field_selector: String::new(),
                api_version: String::new(),
            };
        let mut checks = vec![match service_account(&self.user) {
            Some((ns, name)) => check("", "serviceaccounts", "", ns, name),
            None => check("", "users", "", "", &self.user),
        }];
        checks.extend(self.groups.iter().map(|g| check("", "groups", "", "", g)));
        for (key, values) in &self.extra {
            checks.extend(
                values
                    .iter()
                    .map(|v| check("authentication.k8s.io", "userextras", key, "", v)),
            );
        }
        if let Some(uid) = &self.uid {
            checks.push(check("authentication.k8s.io", "uids", "", "", uid));
        }
        checks
    }

    /// The user acted as: a service account brings its groups when none are asked for, and a
    /// named user is `system:authenticated` unless asked to be unauthenticated, as in kube.
    fn user(self) -> UserInfo {
        let mut groups = self.groups;
        if groups.is_empty() {
            if let Some((ns, _)) = service_account(&self.user) {
                groups = vec![
                    "system:serviceaccounts".to_string(),
                    format!("system:serviceaccounts:{ns}"),
                ];
            }
        }
        let virtual_group = if self.user == "system:anonymous" {
            (!groups.iter().any(|g| g == "system:unauthenticated")).then_some("system:unauthenticated")
        } else {
            (!groups
                .iter()
                .any(|g| g == "system:authenticated" || g == "system:unauthenticated"))
            .then_some("system:authenticated")
        };
        groups.extend(virtual_group.map(str::to_string));
        UserInfo {
            name: self.user,
            uid: self.uid.unwrap_or_default(),
            groups,
            extra: self.extra,
        }
    }
}

/// The namespace and name of a service account's user name (both valid names, as kube
/// checks them; anything else is an ordinary user name).
fn service_account(user: &str) -> Option<(&str, &str)> {
    let (ns, name) = user.strip_prefix(SERVICE_ACCOUNT_PREFIX)?.split_once(':')?;
    (is_dns1123_label(ns) && is_dns1123_subdomain(name)).then_some((ns, name))
}

/// The walk through the access checks; the first refused ends it.
struct Checks {
    requestor: UserInfo,
    checks: Vec<OwnedAttributes>,
}

impl Checks {
    fn from(self, i: usize, cx: &Lookups<'_>) -> Flow<Result<(), ApiError>> {
        let Some(attrs) = self.checks.get(i) else {
            return Flow::Ready(Ok(()));
        };
        let attrs: Attributes<'_> = attrs.borrowed();
        authorize_attributes(&self.requestor, &attrs, None, cx).and_then(cx, move |allowed, cx| match allowed
        {
            Ok(()) => self.from(i + 1, cx),
            Err(e) => Flow::Ready(Err(e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        Request::get_with("/api/v1/namespaces/default/pods", headers)
    }

    #[test]
    fn no_headers_is_no_impersonation() {
        assert_eq!(Asked::from_headers(&request(&[])).unwrap(), None);
    }

    #[test]
    fn groups_without_a_user_are_refused() {
        let e = Asked::from_headers(&request(&[(GROUP, "devs"), (UID, "u<1>")])).unwrap_err();
        assert_eq!(e.code, 500);
        assert!(e.plain_text);
        assert_eq!(
            e.message,
            "Internal Server Error: \"/api/v1/namespaces/default/pods\": requested [{Group  devs    } {UID  u&lt;1&gt;  authentication.k8s.io/v1  }] without impersonating a user"
        );
    }

    #[test]
    fn checks_follow_kube_order_and_resources() {
        let r = request(&[
            (USER, "system:serviceaccount:ns1:builder"),
            (GROUP, "a"),
            (GROUP, "b"),
            ("impersonate-extra-scopes.example.com%2fteam", "x"),
            (UID, "1234"),
        ]);
        let asked = Asked::from_headers(&r).unwrap().unwrap();
        let got: Vec<(String, String, String, String, String)> = asked
            .checks()
            .into_iter()
            .map(|c| (c.group, c.resource, c.subresource, c.namespace, c.name))
            .collect();
        let s = |a: &str| a.to_string();
        assert_eq!(
            got,
            vec![
                (s(""), s("serviceaccounts"), s(""), s("ns1"), s("builder")),
                (s(""), s("groups"), s(""), s(""), s("a")),
                (s(""), s("groups"), s(""), s(""), s("b")),
                (
                    s("authentication.k8s.io"),
                    s("userextras"),
                    s("scopes.example.com/team"),
                    s(""),
                    s("x")
                ),
                (s("authentication.k8s.io"), s("uids"), s(""), s(""), s("1234")),
            ]
        );
    }

    #[test]
    fn acting_user_gets_kube_groups() {
        let user = |h: &[(&str, &str)]| Asked::from_headers(&request(h)).unwrap().unwrap().user();
        assert_eq!(
            user(&[(USER, "system:serviceaccount:ns1:builder")]).groups,
            vec![
                "system:serviceaccounts",
                "system:serviceaccounts:ns1",
                "system:authenticated"
            ]
        );
        assert_eq!(
            user(&[(USER, "system:serviceaccount:ns1:builder"), (GROUP, "g")]).groups,
            vec!["g", "system:authenticated"]
        );
        assert_eq!(user(&[(USER, "alice")]).groups, vec!["system:authenticated"]);
        assert_eq!(
            user(&[(USER, "alice"), (GROUP, "system:unauthenticated")]).groups,
            vec!["system:unauthenticated"]
        );
        assert_eq!(
            user(&[(USER, "system:anonymous")]).groups,
            vec!["system:unauthenticated"]
        );
        let u = user(&[(USER, "alice"), (UID, "u-1"), ("impersonate-extra-scopes", "s")]);
        assert_eq!(u.uid, "u-1");
        assert_eq!(u.extra["scopes"], vec!["s"]);
    }

    #[test]
    fn malformed_service_account_names_are_users() {
        assert_eq!(service_account("system:serviceaccount:ns"), None);
        assert_eq!(service_account("system:serviceaccount::x"), None);
        assert_eq!(service_account("system:serviceaccount:ns:a:b"), None);
        assert_eq!(service_account("system:serviceaccount:ns:a"), Some(("ns", "a")));
    }
}
