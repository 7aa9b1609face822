//! `k8s.io/api/admissionregistration/v1` messages.
//!
//! Several proto field names are capitalised (`Webhooks`, `Expression`, `Name`); the JSON
//! names used here are the lower-case ones of the Go struct tags.

use super::super::descriptor::{i32f, i64f, inline, msg, msgs, opt, s, ss, Message, Ty};
use super::meta::{CONDITION, LABEL_SELECTOR, OBJECT_META};

pub(crate) static VALIDATING_WEBHOOK_CONFIGURATION: Message = Message {
    name: "ValidatingWebhookConfiguration",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msgs(2, "webhooks", &VALIDATING_WEBHOOK),
    ],
};

pub(crate) static MUTATING_WEBHOOK_CONFIGURATION: Message = Message {
    name: "MutatingWebhookConfiguration",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msgs(2, "webhooks", &MUTATING_WEBHOOK),
    ],
};

static VALIDATING_WEBHOOK: Message = Message {
    name: "ValidatingWebhook",
    fields: &[
        s(1, "name"),
        msg(2, "clientConfig", &WEBHOOK_CLIENT_CONFIG),
        msgs(3, "rules", &RULE_WITH_OPERATIONS),
        s(4, "failurePolicy"),
        s(9, "matchPolicy"),
        msg(5, "namespaceSelector", &LABEL_SELECTOR),
        msg(10, "objectSelector", &LABEL_SELECTOR),
        s(6, "sideEffects"),
        i32f(7, "timeoutSeconds"),
        ss(8, "admissionReviewVersions"),
        msgs(11, "matchConditions", &MATCH_CONDITION),
    ],
};

static MUTATING_WEBHOOK: Message = Message {
    name: "MutatingWebhook",
    fields: &[
        s(1, "name"),
        msg(2, "clientConfig", &WEBHOOK_CLIENT_CONFIG),
        msgs(3, "rules", &RULE_WITH_OPERATIONS),
        s(4, "failurePolicy"),
        s(9, "matchPolicy"),
        msg(5, "namespaceSelector", &LABEL_SELECTOR),
        msg(11, "objectSelector", &LABEL_SELECTOR),
        s(6, "sideEffects"),
        i32f(7, "timeoutSeconds"),
        ss(8, "admissionReviewVersions"),
        s(10, "reinvocationPolicy"),
        msgs(12, "matchConditions", &MATCH_CONDITION),
    ],
};

static WEBHOOK_CLIENT_CONFIG: Message = Message {
    name: "WebhookClientConfig",
    fields: &[
        s(3, "url"),
        msg(1, "service", &SERVICE_REFERENCE),
        opt(2, "caBundle", Ty::Bytes),
    ],
};

static SERVICE_REFERENCE: Message = Message {
    name: "ServiceReference",
    fields: &[s(1, "namespace"), s(2, "name"), s(3, "path"), i32f(4, "port")],
};

/// `Rule` is embedded (inlined in JSON) in `RuleWithOperations`.
static RULE_WITH_OPERATIONS: Message = Message {
    name: "RuleWithOperations",
    fields: &[ss(1, "operations"), inline(2, "rule", &RULE)],
};

static RULE: Message = Message {
    name: "Rule",
    fields: &[
        ss(1, "apiGroups"),
        ss(2, "apiVersions"),
        ss(3, "resources"),
        s(4, "scope"),
    ],
};

static MATCH_CONDITION: Message = Message {
    name: "MatchCondition",
    fields: &[s(1, "name"), s(2, "expression")],
};

pub(crate) static VALIDATING_ADMISSION_POLICY: Message = Message {
    name: "ValidatingAdmissionPolicy",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &VALIDATING_ADMISSION_POLICY_SPEC),
        msg(3, "status", &VALIDATING_ADMISSION_POLICY_STATUS),
    ],
};

static VALIDATING_ADMISSION_POLICY_SPEC: Message = Message {
    name: "ValidatingAdmissionPolicySpec",
    fields: &[
        msg(1, "paramKind", &PARAM_KIND),
        msg(2, "matchConstraints", &MATCH_RESOURCES),
        msgs(3, "validations", &VALIDATION),
        s(4, "failurePolicy"),
        msgs(5, "auditAnnotations", &AUDIT_ANNOTATION),
        msgs(6, "matchConditions", &MATCH_CONDITION),
        msgs(7, "variables", &VARIABLE),
    ],
};

static PARAM_KIND: Message = Message {
    name: "ParamKind",
    fields: &[s(1, "apiVersion"), s(2, "kind")],
};

static MATCH_RESOURCES: Message = Message {
    name: "MatchResources",
    fields: &[
        msg(1, "namespaceSelector", &LABEL_SELECTOR),
        msg(2, "objectSelector", &LABEL_SELECTOR),
        msgs(3, "resourceRules", &NAMED_RULE_WITH_OPERATIONS),
        msgs(4, "excludeResourceRules", &NAMED_RULE_WITH_OPERATIONS),
        s(7, "matchPolicy"),
    ],
};

/// `RuleWithOperations` is embedded (inlined in JSON).
static NAMED_RULE_WITH_OPERATIONS: Message = Message {
    name: "NamedRuleWithOperations",
    fields: &[
        ss(1, "resourceNames"),
        inline(2, "ruleWithOperations", &RULE_WITH_OPERATIONS),
    ],
};

static VALIDATION: Message = Message {
    name: "Validation",
    fields: &[
        s(1, "expression"),
        s(2, "message"),
        s(3, "reason"),
        s(4, "messageExpression"),
    ],
};

static AUDIT_ANNOTATION: Message = Message {
    name: "AuditAnnotation",
    fields: &[s(1, "key"), s(2, "valueExpression")],
};

static VARIABLE: Message = Message {
    name: "Variable",
    fields: &[s(1, "name"), s(2, "expression")],
};

static VALIDATING_ADMISSION_POLICY_STATUS: Message = Message {
    name: "ValidatingAdmissionPolicyStatus",
    fields: &[
        i64f(1, "observedGeneration"),
        msg(2, "typeChecking", &TYPE_CHECKING),
        msgs(3, "conditions", &CONDITION),
    ],
};

static TYPE_CHECKING: Message = Message {
    name: "TypeChecking",
    fields: &[msgs(1, "expressionWarnings", &EXPRESSION_WARNING)],
};

static EXPRESSION_WARNING: Message = Message {
    name: "ExpressionWarning",
    fields: &[s(2, "fieldRef"), s(3, "warning")],
};

pub(crate) static VALIDATING_ADMISSION_POLICY_BINDING: Message = Message {
    name: "ValidatingAdmissionPolicyBinding",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &VALIDATING_ADMISSION_POLICY_BINDING_SPEC),
    ],
};

static VALIDATING_ADMISSION_POLICY_BINDING_SPEC: Message = Message {
    name: "ValidatingAdmissionPolicyBindingSpec",
    fields: &[
        s(1, "policyName"),
        msg(2, "paramRef", &PARAM_REF),
        msg(3, "matchResources", &MATCH_RESOURCES),
        ss(4, "validationActions"),
    ],
};

static PARAM_REF: Message = Message {
    name: "ParamRef",
    fields: &[
        s(1, "name"),
        s(2, "namespace"),
        msg(3, "selector", &LABEL_SELECTOR),
        s(4, "parameterNotFoundAction"),
    ],
};
