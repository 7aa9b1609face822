//! Authorization (kube's `WithAuthorization`): may this user do what the request asks.
//! `system:masters` first, then each configured authorizer in order (see [`authz::decide`]).
//! A denial is kube's 403, worded as kube words it for resources and for paths, with the
//! reason appended.

use crate::api::ApiError;
use crate::authn::UserInfo;
use crate::authz::{self, Attributes, Verdict};
use crate::request::info::RequestInfo;
use crate::server::effect::{Flow, Lookups};

/// Allows the request of `user` described by `info`, or answers kube's 403; now, or after an
/// authorizer's effect.
pub(in crate::server) fn authorize(
    user: &UserInfo,
    info: &RequestInfo,
    uri: &str,
    cx: &Lookups<'_>,
) -> Flow<Result<(), ApiError>> {
    authorize_attributes(user, &info.attributes(), Some(uri), cx)
}

/// Allows what `attrs` describe for `user` (a request, or one of impersonation's checks), or
/// answers kube's 403. An authorizer that failed to decide is kube's 500 for the request at
/// `uri`; impersonation (no `uri`) answers it with the 403, as kube's does.
pub(in crate::server) fn authorize_attributes(
    user: &UserInfo,
    attrs: &Attributes<'_>,
    uri: Option<&str>,
    cx: &Lookups<'_>,
) -> Flow<Result<(), ApiError>> {
    let (who, what, uri) = (user.clone(), attrs.owned(), uri.map(str::to_string));
    authz::decide(user, attrs, cx).and_then(cx, move |decision, _| {
        Flow::Ready(match decision {
            Verdict::Allow(_) => Ok(()),
            Verdict::Deny(why) | Verdict::NoOpinion(why) => Err(forbidden(&who, &what.borrowed(), &why)),
            // An authorizer that could not decide, and nobody allowed: kube's plain 500.
            Verdict::Error { error, reason, .. } => Err(match &uri {
                Some(uri) => ApiError::internal_text(uri, &error),
                None => forbidden(&who, &what.borrowed(), &reason),
            }),
        })
    })
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
