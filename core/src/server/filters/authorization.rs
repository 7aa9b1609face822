//! Authorization (kube's `WithAuthorization`): may this user do what the request asks. The
//! built-in rules first (`system:masters`, the public-info and discovery paths), then each
//! configured authorizer in order: the first to allow or deny decides. A denial is kube's
//! 403, worded as kube words it for resources and for paths, with the deciding authorizer's
//! reason appended.

use std::sync::Arc;

use crate::api::ApiError;
use crate::authn::UserInfo;
use crate::authz::{self, Attributes, Authorizer, Decision, OwnedAttributes, Verdict};
use crate::request::info::RequestInfo;
use crate::server::effect::{Flow, Lookups};

/// Allows the request of `user` described by `info`, or answers kube's 403; now, or after an
/// authorizer's effect.
pub(in crate::server) fn authorize(
    user: &UserInfo,
    info: &RequestInfo,
    authorizers: &[Arc<dyn Authorizer>],
    cx: &Lookups<'_>,
) -> Flow<Result<(), ApiError>> {
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
    authorize_attributes(user, &attrs, authorizers, cx)
}

/// Allows what `attrs` describe for `user` (a request, or one of impersonation's checks), or
/// answers kube's 403.
pub(in crate::server) fn authorize_attributes(
    user: &UserInfo,
    attrs: &Attributes<'_>,
    authorizers: &[Arc<dyn Authorizer>],
    cx: &Lookups<'_>,
) -> Flow<Result<(), ApiError>> {
    let why = match authz::authorize(user, attrs) {
        Decision::Allow => return Flow::Ready(Ok(())),
        Decision::Deny(why) => why,
    };
    if authorizers.is_empty() {
        return Flow::Ready(Err(forbidden(user, attrs, &why)));
    }
    Chain {
        authorizers: authorizers.to_vec(),
        user: user.clone(),
        attrs: attrs.owned(),
        why,
    }
    .from(0, cx)
}

/// The walk through the configured authorizers.
struct Chain {
    authorizers: Vec<Arc<dyn Authorizer>>,
    user: UserInfo,
    attrs: OwnedAttributes,
    /// The reason of the last authorizer without an opinion.
    why: String,
}

impl Chain {
    fn from(self, i: usize, cx: &Lookups<'_>) -> Flow<Result<(), ApiError>> {
        let Some(authorizer) = self.authorizers.get(i).cloned() else {
            let why = self.why.clone();
            return Flow::Ready(Err(self.forbidden(&why)));
        };
        authorizer
            .authorize(&self.user, &self.attrs)
            .and_then(cx, move |verdict, cx| match verdict {
                Verdict::Allow => Flow::Ready(Ok(())),
                Verdict::Deny(why) => Flow::Ready(Err(self.forbidden(&why))),
                Verdict::NoOpinion(why) => {
                    let mut next = self;
                    if !why.is_empty() {
                        next.why = why;
                    }
                    next.from(i + 1, cx)
                }
            })
    }

    fn forbidden(&self, why: &str) -> ApiError {
        forbidden(&self.user, &self.attrs.borrowed(), why)
    }
}

/// kube's 403 for what `user` asked, with the deciding reason.
fn forbidden(user: &UserInfo, attrs: &Attributes<'_>, why: &str) -> ApiError {
    let reason = authz::forbidden_reason(user, attrs, why);
    if attrs.resource_request {
        // The Status names the resource without its subresource (the message names both).
        ApiError::forbidden(attrs.group, attrs.resource, attrs.name, &reason)
    } else {
        ApiError::forbidden_path(&reason)
    }
}
