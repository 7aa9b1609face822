//! `k8s.io/api/authentication/v1` messages.

use super::super::descriptor::{b, i64f, map, msg, s, ss, time, Message, Ty};
use super::meta::OBJECT_META;

pub(crate) static TOKEN_REQUEST: Message = Message {
    name: "TokenRequest",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &TOKEN_REQUEST_SPEC),
        msg(3, "status", &TOKEN_REQUEST_STATUS),
    ],
};

static TOKEN_REQUEST_SPEC: Message = Message {
    name: "TokenRequestSpec",
    fields: &[
        ss(1, "audiences"),
        i64f(4, "expirationSeconds"),
        msg(3, "boundObjectRef", &BOUND_OBJECT_REFERENCE),
    ],
};

/// The proto field names are `aPIVersion` and `uID`; the JSON names differ.
static BOUND_OBJECT_REFERENCE: Message = Message {
    name: "BoundObjectReference",
    fields: &[s(1, "kind"), s(2, "apiVersion"), s(3, "name"), s(4, "uid")],
};

static TOKEN_REQUEST_STATUS: Message = Message {
    name: "TokenRequestStatus",
    fields: &[s(1, "token"), time(2, "expirationTimestamp")],
};

pub(crate) static TOKEN_REVIEW: Message = Message {
    name: "TokenReview",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &TOKEN_REVIEW_SPEC),
        msg(3, "status", &TOKEN_REVIEW_STATUS),
    ],
};

static TOKEN_REVIEW_SPEC: Message = Message {
    name: "TokenReviewSpec",
    fields: &[s(1, "token"), ss(2, "audiences")],
};

static TOKEN_REVIEW_STATUS: Message = Message {
    name: "TokenReviewStatus",
    fields: &[
        b(1, "authenticated"),
        msg(2, "user", &USER_INFO),
        ss(4, "audiences"),
        s(3, "error"),
    ],
};

pub(crate) static SELF_SUBJECT_REVIEW: Message = Message {
    name: "SelfSubjectReview",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "status", &SELF_SUBJECT_REVIEW_STATUS),
    ],
};

static SELF_SUBJECT_REVIEW_STATUS: Message = Message {
    name: "SelfSubjectReviewStatus",
    fields: &[msg(1, "userInfo", &USER_INFO)],
};

static USER_INFO: Message = Message {
    name: "UserInfo",
    fields: &[
        s(1, "username"),
        s(2, "uid"),
        ss(3, "groups"),
        map(4, "extra", Ty::StringList),
    ],
};
