//! Authorization (kube's `WithAuthorization`): may this user do what the request asks. A
//! denial is kube's 403, worded as kube words it for resources and for paths.

use crate::api::ApiError;
use crate::authn::UserInfo;
use crate::authz::{self, Attributes, Decision};
use crate::request::info::RequestInfo;

/// Allows the request of `user` described by `info`, or answers kube's 403.
pub(in crate::server) fn authorize(user: &UserInfo, info: &RequestInfo) -> Result<(), ApiError> {
    let attrs = Attributes {
        verb: &info.verb,
        resource_request: info.is_resource_request,
        group: &info.api_group,
        resource: &info.resource,
        subresource: &info.subresource,
        namespace: &info.namespace,
        name: &info.name,
        path: &info.path,
    };
    match authz::authorize(user, &attrs) {
        Decision::Allow => Ok(()),
        Decision::Deny(why) => {
            let reason = authz::forbidden_reason(user, &attrs, &why);
            Err(if info.is_resource_request {
                let resource = if info.subresource.is_empty() {
                    info.resource.clone()
                } else {
                    format!("{}/{}", info.resource, info.subresource)
                };
                ApiError::forbidden(&info.api_group, &resource, &info.name, &reason)
            } else {
                ApiError::forbidden_path(&reason)
            })
        }
    }
}
