//! API Priority and Fairness (kube's `WithPriorityAndFairness`): classify the request by its
//! user and attributes into a flow, and run it, queue it, or reject it with 429. Not built
//! yet: every request runs at once; the classifier and fair queues go here.

use crate::authn::UserInfo;
use crate::request::info::RequestInfo;

/// What APF decides for a request.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::server) enum Admit {
    /// Run it now.
    Run,
}

/// Decides whether the request of `user` runs now.
pub(in crate::server) fn admit(_user: &UserInfo, _info: &RequestInfo) -> Admit {
    Admit::Run
}
