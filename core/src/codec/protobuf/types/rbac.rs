//! `k8s.io/api/rbac/v1` messages.

use super::super::descriptor::{msg, msgs, s, ss, Message};
use super::meta::{LABEL_SELECTOR, OBJECT_META};

pub(crate) static ROLE: Message = Message {
    name: "Role",
    fields: &[msg(1, "metadata", &OBJECT_META), msgs(2, "rules", &POLICY_RULE)],
};

pub(crate) static CLUSTER_ROLE: Message = Message {
    name: "ClusterRole",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msgs(2, "rules", &POLICY_RULE),
        msg(3, "aggregationRule", &AGGREGATION_RULE),
    ],
};

/// `RoleBinding` and `ClusterRoleBinding`.
pub(crate) static ROLE_BINDING: Message = Message {
    name: "RoleBinding",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msgs(2, "subjects", &SUBJECT),
        msg(3, "roleRef", &ROLE_REF),
    ],
};

static POLICY_RULE: Message = Message {
    name: "PolicyRule",
    fields: &[
        ss(1, "verbs"),
        ss(2, "apiGroups"),
        ss(3, "resources"),
        ss(4, "resourceNames"),
        ss(5, "nonResourceURLs"),
    ],
};

static AGGREGATION_RULE: Message = Message {
    name: "AggregationRule",
    fields: &[msgs(1, "clusterRoleSelectors", &LABEL_SELECTOR)],
};

static SUBJECT: Message = Message {
    name: "Subject",
    fields: &[s(1, "kind"), s(2, "apiGroup"), s(3, "name"), s(4, "namespace")],
};

static ROLE_REF: Message = Message {
    name: "RoleRef",
    fields: &[s(1, "apiGroup"), s(2, "kind"), s(3, "name")],
};
