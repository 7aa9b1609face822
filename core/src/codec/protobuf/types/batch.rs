//! `k8s.io/api/batch/v1` messages.

use super::super::descriptor::{b, i32f, i64f, msg, msgs, rep, s, ss, time, Message, Ty};
use super::core::{OBJECT_REFERENCE, POD_TEMPLATE_SPEC};
use super::meta::{LABEL_SELECTOR, OBJECT_META};

pub(crate) static JOB: Message = Message {
    name: "Job",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &JOB_SPEC),
        msg(3, "status", &JOB_STATUS),
    ],
};

static JOB_SPEC: Message = Message {
    name: "JobSpec",
    fields: &[
        i32f(1, "parallelism"),
        i32f(2, "completions"),
        i64f(3, "activeDeadlineSeconds"),
        msg(11, "podFailurePolicy", &POD_FAILURE_POLICY),
        msg(16, "successPolicy", &SUCCESS_POLICY),
        i32f(7, "backoffLimit"),
        i32f(12, "backoffLimitPerIndex"),
        i32f(13, "maxFailedIndexes"),
        msg(4, "selector", &LABEL_SELECTOR),
        b(5, "manualSelector"),
        msg(6, "template", &POD_TEMPLATE_SPEC),
        i32f(8, "ttlSecondsAfterFinished"),
        s(9, "completionMode"),
        b(10, "suspend"),
        s(14, "podReplacementPolicy"),
        s(15, "managedBy"),
    ],
};

static POD_FAILURE_POLICY: Message = Message {
    name: "PodFailurePolicy",
    fields: &[msgs(1, "rules", &POD_FAILURE_POLICY_RULE)],
};

static POD_FAILURE_POLICY_RULE: Message = Message {
    name: "PodFailurePolicyRule",
    fields: &[
        s(1, "action"),
        msg(2, "onExitCodes", &ON_EXIT_CODES),
        msgs(3, "onPodConditions", &ON_POD_CONDITIONS),
    ],
};

static ON_EXIT_CODES: Message = Message {
    name: "PodFailurePolicyOnExitCodesRequirement",
    fields: &[
        s(1, "containerName"),
        s(2, "operator"),
        rep(3, "values", Ty::Int32),
    ],
};

static ON_POD_CONDITIONS: Message = Message {
    name: "PodFailurePolicyOnPodConditionsPattern",
    fields: &[s(1, "type"), s(2, "status")],
};

static SUCCESS_POLICY: Message = Message {
    name: "SuccessPolicy",
    fields: &[msgs(1, "rules", &SUCCESS_POLICY_RULE)],
};

static SUCCESS_POLICY_RULE: Message = Message {
    name: "SuccessPolicyRule",
    fields: &[s(1, "succeededIndexes"), i32f(2, "succeededCount")],
};

static JOB_STATUS: Message = Message {
    name: "JobStatus",
    fields: &[
        msgs(1, "conditions", &JOB_CONDITION),
        time(2, "startTime"),
        time(3, "completionTime"),
        i32f(4, "active"),
        i32f(5, "succeeded"),
        i32f(6, "failed"),
        i32f(11, "terminating"),
        s(7, "completedIndexes"),
        s(10, "failedIndexes"),
        msg(8, "uncountedTerminatedPods", &UNCOUNTED_TERMINATED_PODS),
        i32f(9, "ready"),
    ],
};

static JOB_CONDITION: Message = Message {
    name: "JobCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastProbeTime"),
        time(4, "lastTransitionTime"),
        s(5, "reason"),
        s(6, "message"),
    ],
};

static UNCOUNTED_TERMINATED_PODS: Message = Message {
    name: "UncountedTerminatedPods",
    fields: &[ss(1, "succeeded"), ss(2, "failed")],
};

pub(crate) static CRON_JOB: Message = Message {
    name: "CronJob",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &CRON_JOB_SPEC),
        msg(3, "status", &CRON_JOB_STATUS),
    ],
};

static CRON_JOB_SPEC: Message = Message {
    name: "CronJobSpec",
    fields: &[
        s(1, "schedule"),
        s(8, "timeZone"),
        i64f(2, "startingDeadlineSeconds"),
        s(3, "concurrencyPolicy"),
        b(4, "suspend"),
        msg(5, "jobTemplate", &JOB_TEMPLATE_SPEC),
        i32f(6, "successfulJobsHistoryLimit"),
        i32f(7, "failedJobsHistoryLimit"),
    ],
};

static JOB_TEMPLATE_SPEC: Message = Message {
    name: "JobTemplateSpec",
    fields: &[msg(1, "metadata", &OBJECT_META), msg(2, "spec", &JOB_SPEC)],
};

static CRON_JOB_STATUS: Message = Message {
    name: "CronJobStatus",
    fields: &[
        msgs(1, "active", &OBJECT_REFERENCE),
        time(4, "lastScheduleTime"),
        time(5, "lastSuccessfulTime"),
    ],
};
