//! `k8s.io/api/autoscaling/v1` and `v2` messages: HorizontalPodAutoscaler and the `Scale`
//! subresource body.

use super::super::descriptor::{i32f, i64f, msg, msgs, opt, s, time, Message, Ty};
use super::meta::{LABEL_SELECTOR, OBJECT_META};

/// The body of every `scale` subresource (deployments, replicasets, statefulsets,
/// replicationcontrollers, and custom resources).
pub(crate) static SCALE: Message = Message {
    name: "Scale",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &SCALE_SPEC),
        msg(3, "status", &SCALE_STATUS),
    ],
};

static SCALE_SPEC: Message = Message {
    name: "ScaleSpec",
    fields: &[i32f(1, "replicas")],
};

static SCALE_STATUS: Message = Message {
    name: "ScaleStatus",
    fields: &[i32f(1, "replicas"), s(2, "selector")],
};

/// Identical in v1 and v2.
static CROSS_VERSION_OBJECT_REFERENCE: Message = Message {
    name: "CrossVersionObjectReference",
    fields: &[s(1, "kind"), s(2, "name"), s(3, "apiVersion")],
};

/// Identical in v1 and v2.
static HPA_CONDITION: Message = Message {
    name: "HorizontalPodAutoscalerCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastTransitionTime"),
        s(4, "reason"),
        s(5, "message"),
    ],
};

// ---- autoscaling/v1 ----------------------------------------------------------------------

pub(crate) static HPA_V1: Message = Message {
    name: "HorizontalPodAutoscaler",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &HPA_V1_SPEC),
        msg(3, "status", &HPA_V1_STATUS),
    ],
};

static HPA_V1_SPEC: Message = Message {
    name: "HorizontalPodAutoscalerSpec",
    fields: &[
        msg(1, "scaleTargetRef", &CROSS_VERSION_OBJECT_REFERENCE),
        i32f(2, "minReplicas"),
        i32f(3, "maxReplicas"),
        i32f(4, "targetCPUUtilizationPercentage"),
    ],
};

static HPA_V1_STATUS: Message = Message {
    name: "HorizontalPodAutoscalerStatus",
    fields: &[
        i64f(1, "observedGeneration"),
        time(2, "lastScaleTime"),
        i32f(3, "currentReplicas"),
        i32f(4, "desiredReplicas"),
        i32f(5, "currentCPUUtilizationPercentage"),
    ],
};

// ---- autoscaling/v2 ----------------------------------------------------------------------

pub(crate) static HPA_V2: Message = Message {
    name: "HorizontalPodAutoscaler",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &HPA_V2_SPEC),
        msg(3, "status", &HPA_V2_STATUS),
    ],
};

static HPA_V2_SPEC: Message = Message {
    name: "HorizontalPodAutoscalerSpec",
    fields: &[
        msg(1, "scaleTargetRef", &CROSS_VERSION_OBJECT_REFERENCE),
        i32f(2, "minReplicas"),
        i32f(3, "maxReplicas"),
        msgs(4, "metrics", &METRIC_SPEC),
        msg(5, "behavior", &HPA_BEHAVIOR),
    ],
};

static HPA_BEHAVIOR: Message = Message {
    name: "HorizontalPodAutoscalerBehavior",
    fields: &[
        msg(1, "scaleUp", &HPA_SCALING_RULES),
        msg(2, "scaleDown", &HPA_SCALING_RULES),
    ],
};

static HPA_SCALING_RULES: Message = Message {
    name: "HPAScalingRules",
    fields: &[
        i32f(3, "stabilizationWindowSeconds"),
        s(1, "selectPolicy"),
        msgs(2, "policies", &HPA_SCALING_POLICY),
        opt(4, "tolerance", Ty::Quantity),
    ],
};

static HPA_SCALING_POLICY: Message = Message {
    name: "HPAScalingPolicy",
    fields: &[s(1, "type"), i32f(2, "value"), i32f(3, "periodSeconds")],
};

static METRIC_SPEC: Message = Message {
    name: "MetricSpec",
    fields: &[
        s(1, "type"),
        msg(2, "object", &OBJECT_METRIC_SOURCE),
        msg(3, "pods", &PODS_METRIC_SOURCE),
        msg(4, "resource", &RESOURCE_METRIC_SOURCE),
        msg(7, "containerResource", &CONTAINER_RESOURCE_METRIC_SOURCE),
        msg(5, "external", &PODS_METRIC_SOURCE),
    ],
};

static METRIC_TARGET: Message = Message {
    name: "MetricTarget",
    fields: &[
        s(1, "type"),
        opt(2, "value", Ty::Quantity),
        opt(3, "averageValue", Ty::Quantity),
        i32f(4, "averageUtilization"),
    ],
};

static METRIC_IDENTIFIER: Message = Message {
    name: "MetricIdentifier",
    fields: &[s(1, "name"), msg(2, "selector", &LABEL_SELECTOR)],
};

static OBJECT_METRIC_SOURCE: Message = Message {
    name: "ObjectMetricSource",
    fields: &[
        msg(1, "describedObject", &CROSS_VERSION_OBJECT_REFERENCE),
        msg(2, "target", &METRIC_TARGET),
        msg(3, "metric", &METRIC_IDENTIFIER),
    ],
};

/// `PodsMetricSource` and `ExternalMetricSource` (same fields and numbers).
static PODS_METRIC_SOURCE: Message = Message {
    name: "PodsMetricSource",
    fields: &[
        msg(1, "metric", &METRIC_IDENTIFIER),
        msg(2, "target", &METRIC_TARGET),
    ],
};

static RESOURCE_METRIC_SOURCE: Message = Message {
    name: "ResourceMetricSource",
    fields: &[s(1, "name"), msg(2, "target", &METRIC_TARGET)],
};

static CONTAINER_RESOURCE_METRIC_SOURCE: Message = Message {
    name: "ContainerResourceMetricSource",
    fields: &[s(1, "name"), msg(2, "target", &METRIC_TARGET), s(3, "container")],
};

static HPA_V2_STATUS: Message = Message {
    name: "HorizontalPodAutoscalerStatus",
    fields: &[
        i64f(1, "observedGeneration"),
        time(2, "lastScaleTime"),
        i32f(3, "currentReplicas"),
        i32f(4, "desiredReplicas"),
        msgs(5, "currentMetrics", &METRIC_STATUS),
        msgs(6, "conditions", &HPA_CONDITION),
    ],
};

static METRIC_STATUS: Message = Message {
    name: "MetricStatus",
    fields: &[
        s(1, "type"),
        msg(2, "object", &OBJECT_METRIC_STATUS),
        msg(3, "pods", &PODS_METRIC_STATUS),
        msg(4, "resource", &RESOURCE_METRIC_STATUS),
        msg(7, "containerResource", &CONTAINER_RESOURCE_METRIC_STATUS),
        msg(5, "external", &PODS_METRIC_STATUS),
    ],
};

static METRIC_VALUE_STATUS: Message = Message {
    name: "MetricValueStatus",
    fields: &[
        opt(1, "value", Ty::Quantity),
        opt(2, "averageValue", Ty::Quantity),
        i32f(3, "averageUtilization"),
    ],
};

static OBJECT_METRIC_STATUS: Message = Message {
    name: "ObjectMetricStatus",
    fields: &[
        msg(1, "metric", &METRIC_IDENTIFIER),
        msg(2, "current", &METRIC_VALUE_STATUS),
        msg(3, "describedObject", &CROSS_VERSION_OBJECT_REFERENCE),
    ],
};

/// `PodsMetricStatus` and `ExternalMetricStatus` (same fields and numbers).
static PODS_METRIC_STATUS: Message = Message {
    name: "PodsMetricStatus",
    fields: &[
        msg(1, "metric", &METRIC_IDENTIFIER),
        msg(2, "current", &METRIC_VALUE_STATUS),
    ],
};

static RESOURCE_METRIC_STATUS: Message = Message {
    name: "ResourceMetricStatus",
    fields: &[s(1, "name"), msg(2, "current", &METRIC_VALUE_STATUS)],
};

static CONTAINER_RESOURCE_METRIC_STATUS: Message = Message {
    name: "ContainerResourceMetricStatus",
    fields: &[
        s(1, "name"),
        msg(2, "current", &METRIC_VALUE_STATUS),
        s(3, "container"),
    ],
};
