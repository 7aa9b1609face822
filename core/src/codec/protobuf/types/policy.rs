//! `k8s.io/api/policy/v1` messages.

use super::super::descriptor::{i32f, i64f, map, msg, msgs, opt, s, Message, Ty};
use super::meta::{CONDITION, DELETE_OPTIONS, LABEL_SELECTOR, OBJECT_META};

pub(crate) static POD_DISRUPTION_BUDGET: Message = Message {
    name: "PodDisruptionBudget",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &POD_DISRUPTION_BUDGET_SPEC),
        msg(3, "status", &POD_DISRUPTION_BUDGET_STATUS),
    ],
};

static POD_DISRUPTION_BUDGET_SPEC: Message = Message {
    name: "PodDisruptionBudgetSpec",
    fields: &[
        opt(1, "minAvailable", Ty::IntOrString),
        msg(2, "selector", &LABEL_SELECTOR),
        opt(3, "maxUnavailable", Ty::IntOrString),
        s(4, "unhealthyPodEvictionPolicy"),
    ],
};

static POD_DISRUPTION_BUDGET_STATUS: Message = Message {
    name: "PodDisruptionBudgetStatus",
    fields: &[
        i64f(1, "observedGeneration"),
        map(2, "disruptedPods", Ty::Time),
        i32f(3, "disruptionsAllowed"),
        i32f(4, "currentHealthy"),
        i32f(5, "desiredHealthy"),
        i32f(6, "expectedPods"),
        msgs(7, "conditions", &CONDITION),
    ],
};

/// The body of `POST pods/<name>/eviction`.
pub(crate) static EVICTION: Message = Message {
    name: "Eviction",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "deleteOptions", &DELETE_OPTIONS),
    ],
};
