//! `k8s.io/api/flowcontrol/v1` messages (API Priority and Fairness).

use super::super::descriptor::{b, i32f, msg, msgs, s, ss, time, Message};
use super::meta::OBJECT_META;

pub(crate) static FLOW_SCHEMA: Message = Message {
    name: "FlowSchema",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &FLOW_SCHEMA_SPEC),
        msg(3, "status", &FLOW_SCHEMA_STATUS),
    ],
};

static FLOW_SCHEMA_SPEC: Message = Message {
    name: "FlowSchemaSpec",
    fields: &[
        msg(1, "priorityLevelConfiguration", &NAME_ONLY),
        i32f(2, "matchingPrecedence"),
        msg(3, "distinguisherMethod", &FLOW_DISTINGUISHER_METHOD),
        msgs(4, "rules", &POLICY_RULES_WITH_SUBJECTS),
    ],
};

/// `PriorityLevelConfigurationReference`, `UserSubject` and `GroupSubject`.
static NAME_ONLY: Message = Message {
    name: "PriorityLevelConfigurationReference",
    fields: &[s(1, "name")],
};

static FLOW_DISTINGUISHER_METHOD: Message = Message {
    name: "FlowDistinguisherMethod",
    fields: &[s(1, "type")],
};

static POLICY_RULES_WITH_SUBJECTS: Message = Message {
    name: "PolicyRulesWithSubjects",
    fields: &[
        msgs(1, "subjects", &SUBJECT),
        msgs(2, "resourceRules", &RESOURCE_POLICY_RULE),
        msgs(3, "nonResourceRules", &NON_RESOURCE_POLICY_RULE),
    ],
};

static SUBJECT: Message = Message {
    name: "Subject",
    fields: &[
        s(1, "kind"),
        msg(2, "user", &NAME_ONLY),
        msg(3, "group", &NAME_ONLY),
        msg(4, "serviceAccount", &SERVICE_ACCOUNT_SUBJECT),
    ],
};

static SERVICE_ACCOUNT_SUBJECT: Message = Message {
    name: "ServiceAccountSubject",
    fields: &[s(1, "namespace"), s(2, "name")],
};

static RESOURCE_POLICY_RULE: Message = Message {
    name: "ResourcePolicyRule",
    fields: &[
        ss(1, "verbs"),
        ss(2, "apiGroups"),
        ss(3, "resources"),
        b(4, "clusterScope"),
        ss(5, "namespaces"),
    ],
};

static NON_RESOURCE_POLICY_RULE: Message = Message {
    name: "NonResourcePolicyRule",
    fields: &[ss(1, "verbs"), ss(6, "nonResourceURLs")],
};

static FLOW_SCHEMA_STATUS: Message = Message {
    name: "FlowSchemaStatus",
    fields: &[msgs(1, "conditions", &APF_CONDITION)],
};

/// `FlowSchemaCondition` and `PriorityLevelConfigurationCondition`.
static APF_CONDITION: Message = Message {
    name: "FlowSchemaCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastTransitionTime"),
        s(4, "reason"),
        s(5, "message"),
    ],
};

pub(crate) static PRIORITY_LEVEL_CONFIGURATION: Message = Message {
    name: "PriorityLevelConfiguration",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &PRIORITY_LEVEL_CONFIGURATION_SPEC),
        msg(3, "status", &PRIORITY_LEVEL_CONFIGURATION_STATUS),
    ],
};

static PRIORITY_LEVEL_CONFIGURATION_SPEC: Message = Message {
    name: "PriorityLevelConfigurationSpec",
    fields: &[
        s(1, "type"),
        msg(2, "limited", &LIMITED_PRIORITY_LEVEL_CONFIGURATION),
        msg(3, "exempt", &EXEMPT_PRIORITY_LEVEL_CONFIGURATION),
    ],
};

static LIMITED_PRIORITY_LEVEL_CONFIGURATION: Message = Message {
    name: "LimitedPriorityLevelConfiguration",
    fields: &[
        i32f(1, "nominalConcurrencyShares"),
        msg(2, "limitResponse", &LIMIT_RESPONSE),
        i32f(3, "lendablePercent"),
        i32f(4, "borrowingLimitPercent"),
    ],
};

static LIMIT_RESPONSE: Message = Message {
    name: "LimitResponse",
    fields: &[s(1, "type"), msg(2, "queuing", &QUEUING_CONFIGURATION)],
};

static QUEUING_CONFIGURATION: Message = Message {
    name: "QueuingConfiguration",
    fields: &[
        i32f(1, "queues"),
        i32f(2, "handSize"),
        i32f(3, "queueLengthLimit"),
    ],
};

static EXEMPT_PRIORITY_LEVEL_CONFIGURATION: Message = Message {
    name: "ExemptPriorityLevelConfiguration",
    fields: &[i32f(1, "nominalConcurrencyShares"), i32f(2, "lendablePercent")],
};

static PRIORITY_LEVEL_CONFIGURATION_STATUS: Message = Message {
    name: "PriorityLevelConfigurationStatus",
    fields: &[msgs(1, "conditions", &APF_CONDITION)],
};
