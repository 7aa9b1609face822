//! `k8s.io/api/apps/v1` messages.

use super::super::descriptor::{b, i32f, i64f, msg, msgs, opt, s, time, Message, Ty};
use super::core::{PERSISTENT_VOLUME_CLAIM, POD_TEMPLATE_SPEC};
use super::meta::{LABEL_SELECTOR, OBJECT_META};

pub(crate) static DEPLOYMENT: Message = Message {
    name: "Deployment",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &DEPLOYMENT_SPEC),
        msg(3, "status", &DEPLOYMENT_STATUS),
    ],
};

static DEPLOYMENT_SPEC: Message = Message {
    name: "DeploymentSpec",
    fields: &[
        i32f(1, "replicas"),
        msg(2, "selector", &LABEL_SELECTOR),
        msg(3, "template", &POD_TEMPLATE_SPEC),
        msg(4, "strategy", &DEPLOYMENT_STRATEGY),
        i32f(5, "minReadySeconds"),
        i32f(6, "revisionHistoryLimit"),
        b(7, "paused"),
        i32f(9, "progressDeadlineSeconds"),
        s(10, "podReplacementPolicy"),
    ],
};

static DEPLOYMENT_STRATEGY: Message = Message {
    name: "DeploymentStrategy",
    fields: &[s(1, "type"), msg(2, "rollingUpdate", &ROLLING_UPDATE)],
};

/// `RollingUpdateDeployment` and `RollingUpdateDaemonSet`.
static ROLLING_UPDATE: Message = Message {
    name: "RollingUpdateDeployment",
    fields: &[
        opt(1, "maxUnavailable", Ty::IntOrString),
        opt(2, "maxSurge", Ty::IntOrString),
    ],
};

static DEPLOYMENT_STATUS: Message = Message {
    name: "DeploymentStatus",
    fields: &[
        i64f(1, "observedGeneration"),
        i32f(2, "replicas"),
        i32f(3, "updatedReplicas"),
        i32f(7, "readyReplicas"),
        i32f(4, "availableReplicas"),
        i32f(5, "unavailableReplicas"),
        i32f(9, "terminatingReplicas"),
        msgs(6, "conditions", &DEPLOYMENT_CONDITION),
        i32f(8, "collisionCount"),
    ],
};

static DEPLOYMENT_CONDITION: Message = Message {
    name: "DeploymentCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(6, "lastUpdateTime"),
        time(7, "lastTransitionTime"),
        s(4, "reason"),
        s(5, "message"),
    ],
};

/// `ReplicaSetCondition`, `StatefulSetCondition` and `DaemonSetCondition`.
static APPS_CONDITION: Message = Message {
    name: "ReplicaSetCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastTransitionTime"),
        s(4, "reason"),
        s(5, "message"),
    ],
};

pub(crate) static REPLICA_SET: Message = Message {
    name: "ReplicaSet",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &REPLICA_SET_SPEC),
        msg(3, "status", &REPLICA_SET_STATUS),
    ],
};

static REPLICA_SET_SPEC: Message = Message {
    name: "ReplicaSetSpec",
    fields: &[
        i32f(1, "replicas"),
        i32f(4, "minReadySeconds"),
        msg(2, "selector", &LABEL_SELECTOR),
        msg(3, "template", &POD_TEMPLATE_SPEC),
    ],
};

static REPLICA_SET_STATUS: Message = Message {
    name: "ReplicaSetStatus",
    fields: &[
        i32f(1, "replicas"),
        i32f(2, "fullyLabeledReplicas"),
        i32f(4, "readyReplicas"),
        i32f(5, "availableReplicas"),
        i32f(7, "terminatingReplicas"),
        i64f(3, "observedGeneration"),
        msgs(6, "conditions", &APPS_CONDITION),
    ],
};

pub(crate) static STATEFUL_SET: Message = Message {
    name: "StatefulSet",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &STATEFUL_SET_SPEC),
        msg(3, "status", &STATEFUL_SET_STATUS),
    ],
};

static STATEFUL_SET_SPEC: Message = Message {
    name: "StatefulSetSpec",
    fields: &[
        i32f(1, "replicas"),
        msg(2, "selector", &LABEL_SELECTOR),
        msg(3, "template", &POD_TEMPLATE_SPEC),
        msgs(4, "volumeClaimTemplates", &PERSISTENT_VOLUME_CLAIM),
        s(5, "serviceName"),
        s(6, "podManagementPolicy"),
        msg(7, "updateStrategy", &STATEFUL_SET_UPDATE_STRATEGY),
        i32f(8, "revisionHistoryLimit"),
        i32f(9, "minReadySeconds"),
        msg(10, "persistentVolumeClaimRetentionPolicy", &PVC_RETENTION_POLICY),
        msg(11, "ordinals", &STATEFUL_SET_ORDINALS),
    ],
};

static STATEFUL_SET_UPDATE_STRATEGY: Message = Message {
    name: "StatefulSetUpdateStrategy",
    fields: &[
        s(1, "type"),
        msg(2, "rollingUpdate", &ROLLING_UPDATE_STATEFUL_SET),
    ],
};

static ROLLING_UPDATE_STATEFUL_SET: Message = Message {
    name: "RollingUpdateStatefulSetStrategy",
    fields: &[i32f(1, "partition"), opt(2, "maxUnavailable", Ty::IntOrString)],
};

static PVC_RETENTION_POLICY: Message = Message {
    name: "StatefulSetPersistentVolumeClaimRetentionPolicy",
    fields: &[s(1, "whenDeleted"), s(2, "whenScaled")],
};

static STATEFUL_SET_ORDINALS: Message = Message {
    name: "StatefulSetOrdinals",
    fields: &[i32f(1, "start")],
};

static STATEFUL_SET_STATUS: Message = Message {
    name: "StatefulSetStatus",
    fields: &[
        i64f(1, "observedGeneration"),
        i32f(2, "replicas"),
        i32f(3, "readyReplicas"),
        i32f(4, "currentReplicas"),
        i32f(5, "updatedReplicas"),
        s(6, "currentRevision"),
        s(7, "updateRevision"),
        i32f(9, "collisionCount"),
        msgs(10, "conditions", &APPS_CONDITION),
        i32f(11, "availableReplicas"),
    ],
};

pub(crate) static DAEMON_SET: Message = Message {
    name: "DaemonSet",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &DAEMON_SET_SPEC),
        msg(3, "status", &DAEMON_SET_STATUS),
    ],
};

static DAEMON_SET_SPEC: Message = Message {
    name: "DaemonSetSpec",
    fields: &[
        msg(1, "selector", &LABEL_SELECTOR),
        msg(2, "template", &POD_TEMPLATE_SPEC),
        msg(3, "updateStrategy", &DAEMON_SET_UPDATE_STRATEGY),
        i32f(4, "minReadySeconds"),
        i32f(6, "revisionHistoryLimit"),
    ],
};

static DAEMON_SET_UPDATE_STRATEGY: Message = Message {
    name: "DaemonSetUpdateStrategy",
    fields: &[s(1, "type"), msg(2, "rollingUpdate", &ROLLING_UPDATE)],
};

static DAEMON_SET_STATUS: Message = Message {
    name: "DaemonSetStatus",
    fields: &[
        i32f(1, "currentNumberScheduled"),
        i32f(2, "numberMisscheduled"),
        i32f(3, "desiredNumberScheduled"),
        i32f(4, "numberReady"),
        i64f(5, "observedGeneration"),
        i32f(6, "updatedNumberScheduled"),
        i32f(7, "numberAvailable"),
        i32f(8, "numberUnavailable"),
        i32f(9, "collisionCount"),
        msgs(10, "conditions", &APPS_CONDITION),
    ],
};

/// A snapshot of a DaemonSet's or StatefulSet's template; `data` is the embedded object.
pub(crate) static CONTROLLER_REVISION: Message = Message {
    name: "ControllerRevision",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        opt(2, "data", Ty::RawJson),
        i64f(3, "revision"),
    ],
};
