//! `k8s.io/api/authorization/v1` messages.

use super::super::descriptor::{b, map, msg, msgs, s, ss, Message, Ty};
use super::meta::{LABEL_SELECTOR_REQUIREMENT, OBJECT_META};

pub(crate) static SELF_SUBJECT_ACCESS_REVIEW: Message = Message {
    name: "SelfSubjectAccessReview",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &SELF_SUBJECT_ACCESS_REVIEW_SPEC),
        msg(3, "status", &SUBJECT_ACCESS_REVIEW_STATUS),
    ],
};

static SELF_SUBJECT_ACCESS_REVIEW_SPEC: Message = Message {
    name: "SelfSubjectAccessReviewSpec",
    fields: &[
        msg(1, "resourceAttributes", &RESOURCE_ATTRIBUTES),
        msg(2, "nonResourceAttributes", &NON_RESOURCE_ATTRIBUTES),
    ],
};

/// `SubjectAccessReview` and `LocalSubjectAccessReview`.
pub(crate) static SUBJECT_ACCESS_REVIEW: Message = Message {
    name: "SubjectAccessReview",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &SUBJECT_ACCESS_REVIEW_SPEC),
        msg(3, "status", &SUBJECT_ACCESS_REVIEW_STATUS),
    ],
};

static SUBJECT_ACCESS_REVIEW_SPEC: Message = Message {
    name: "SubjectAccessReviewSpec",
    fields: &[
        msg(1, "resourceAttributes", &RESOURCE_ATTRIBUTES),
        msg(2, "nonResourceAttributes", &NON_RESOURCE_ATTRIBUTES),
        s(3, "user"),
        ss(4, "groups"),
        map(5, "extra", Ty::StringList),
        s(6, "uid"),
    ],
};

static RESOURCE_ATTRIBUTES: Message = Message {
    name: "ResourceAttributes",
    fields: &[
        s(1, "namespace"),
        s(2, "verb"),
        s(3, "group"),
        s(4, "version"),
        s(5, "resource"),
        s(6, "subresource"),
        s(7, "name"),
        msg(8, "fieldSelector", &FIELD_SELECTOR_ATTRIBUTES),
        msg(9, "labelSelector", &LABEL_SELECTOR_ATTRIBUTES),
    ],
};

static FIELD_SELECTOR_ATTRIBUTES: Message = Message {
    name: "FieldSelectorAttributes",
    fields: &[
        s(1, "rawSelector"),
        msgs(2, "requirements", &FIELD_SELECTOR_REQUIREMENT),
    ],
};

static FIELD_SELECTOR_REQUIREMENT: Message = Message {
    name: "FieldSelectorRequirement",
    fields: &[s(1, "key"), s(2, "operator"), ss(3, "values")],
};

static LABEL_SELECTOR_ATTRIBUTES: Message = Message {
    name: "LabelSelectorAttributes",
    fields: &[
        s(1, "rawSelector"),
        msgs(2, "requirements", &LABEL_SELECTOR_REQUIREMENT),
    ],
};

static NON_RESOURCE_ATTRIBUTES: Message = Message {
    name: "NonResourceAttributes",
    fields: &[s(1, "path"), s(2, "verb")],
};

static SUBJECT_ACCESS_REVIEW_STATUS: Message = Message {
    name: "SubjectAccessReviewStatus",
    fields: &[
        b(1, "allowed"),
        b(4, "denied"),
        s(2, "reason"),
        s(3, "evaluationError"),
    ],
};

pub(crate) static SELF_SUBJECT_RULES_REVIEW: Message = Message {
    name: "SelfSubjectRulesReview",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &SELF_SUBJECT_RULES_REVIEW_SPEC),
        msg(3, "status", &SUBJECT_RULES_REVIEW_STATUS),
    ],
};

static SELF_SUBJECT_RULES_REVIEW_SPEC: Message = Message {
    name: "SelfSubjectRulesReviewSpec",
    fields: &[s(1, "namespace")],
};

static SUBJECT_RULES_REVIEW_STATUS: Message = Message {
    name: "SubjectRulesReviewStatus",
    fields: &[
        msgs(1, "resourceRules", &RESOURCE_RULE),
        msgs(2, "nonResourceRules", &NON_RESOURCE_RULE),
        b(3, "incomplete"),
        s(4, "evaluationError"),
    ],
};

static RESOURCE_RULE: Message = Message {
    name: "ResourceRule",
    fields: &[
        ss(1, "verbs"),
        ss(2, "apiGroups"),
        ss(3, "resources"),
        ss(4, "resourceNames"),
    ],
};

static NON_RESOURCE_RULE: Message = Message {
    name: "NonResourceRule",
    fields: &[ss(1, "verbs"), ss(2, "nonResourceURLs")],
};
