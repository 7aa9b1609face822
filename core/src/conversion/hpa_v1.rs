//! `autoscaling/v1` HorizontalPodAutoscaler: to and from the hub form.
//!
//! v1 carries only a CPU utilization target and the current CPU utilization. Going
//! from the hub to v1, everything else is serialized into annotations using the
//! v2beta1-shaped metric types v1 still defines; coming back, the annotations are
//! decoded (a payload that does not decode is ignored, as kube-apiserver does) and
//! removed.

use serde_json::{Map, Value};

use super::annotations::{self, BEHAVIOR, CONDITIONS, METRIC_SPECS, METRIC_STATUSES};
use super::decode::{Decoder, Malformed};
use super::hpa::{
    nested, optional, put_opt, Behavior, Condition, CrossVersionObjectReference, HorizontalPodAutoscaler,
    LabelSelector, MetricIdentifier, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus,
    NamedMetricSource, NamedMetricStatus, ObjectMetricSource, ObjectMetricStatus, ResourceMetricSource,
    ResourceMetricStatus, Spec, Status, AVERAGE_VALUE, CPU, DEFAULT_CPU_UTILIZATION, RESOURCE, UTILIZATION,
    VALUE,
};

type Object = Map<String, Value>;
type Decoded<T> = Result<T, Malformed>;

/// The zero `resource.Quantity`, which is how Go encodes a quantity that is not a pointer.
const ZERO: &str = "0";

impl HorizontalPodAutoscaler {
    /// Reads an `autoscaling/v1` object leniently, restoring fields kept in annotations.
    pub(super) fn from_v1(obj: &Object) -> Self {
        let d = Decoder::WIRE;
        let empty = Object::new();
        let spec = d.object(obj, "spec").ok().flatten().unwrap_or(&empty);
        let status = d.object(obj, "status").ok().flatten().unwrap_or(&empty);
        let int32 = |o: &Object, k: &str| d.int32(o, k).ok().flatten();

        let mut hpa = HorizontalPodAutoscaler {
            metadata: d
                .object(obj, "metadata")
                .ok()
                .flatten()
                .cloned()
                .unwrap_or_default(),
            spec: Spec {
                scale_target_ref: nested(d, spec, "scaleTargetRef", CrossVersionObjectReference::decode)
                    .unwrap_or_default(),
                min_replicas: int32(spec, "minReplicas"),
                max_replicas: int32(spec, "maxReplicas").unwrap_or(0),
                metrics: int32(spec, "targetCPUUtilizationPercentage")
                    .map(MetricSpec::cpu_utilization)
                    .into_iter()
                    .collect(),
                behavior: None,
            },
            status: Status {
                observed_generation: d.int64(status, "observedGeneration").ok().flatten(),
                last_scale_time: d.time(status, "lastScaleTime").ok().flatten(),
                current_replicas: int32(status, "currentReplicas").unwrap_or(0),
                desired_replicas: int32(status, "desiredReplicas").unwrap_or(0),
                current_metrics: int32(status, "currentCPUUtilizationPercentage").map(|p| {
                    vec![MetricStatus {
                        type_: RESOURCE.into(),
                        resource: Some(ResourceMetricStatus {
                            name: CPU.into(),
                            current: MetricValueStatus {
                                average_utilization: Some(p),
                                ..MetricValueStatus::default()
                            },
                            container: String::new(),
                        }),
                        ..MetricStatus::default()
                    }]
                }),
                conditions: Vec::new(),
            },
        };
        hpa.restore_from_annotations();
        hpa
    }

    fn restore_from_annotations(&mut self) {
        let meta = &self.metadata;
        if let Some(Ok(mut others)) =
            annotations::get(meta, METRIC_SPECS).map(|t| parse_list(t, v1_metric_spec))
        {
            // The CPU target from the v1 field goes after the other metrics.
            others.extend(self.spec.metrics.first().cloned());
            self.spec.metrics = others;
        }
        if let Some(Ok(Some(behavior))) = annotations::get(meta, BEHAVIOR).map(parse_behavior) {
            // Only well-formed, non-empty data moves from the annotation to the field.
            if behavior != Behavior::default() {
                self.spec.behavior = Some(behavior);
            }
        }
        if let Some(Ok(current)) =
            annotations::get(meta, METRIC_STATUSES).map(|t| parse_list(t, v1_metric_status))
        {
            // These carry more than the CPU utilization field.
            self.status.current_metrics = Some(current);
        }
        // v1 once defaulted the CPU target in the controller; the hub makes it explicit.
        if self.spec.metrics.is_empty() {
            self.spec.metrics = vec![MetricSpec::cpu_utilization(DEFAULT_CPU_UTILIZATION)];
        }
        if let Some(Ok(conditions)) =
            annotations::get(meta, CONDITIONS).map(|t| parse_list(t, Condition::decode))
        {
            self.status.conditions = conditions;
        }
        annotations::drop_round_trip(&mut self.metadata);
    }

    /// Writes the `autoscaling/v1` wire form (without `kind`/`apiVersion`).
    pub(super) fn to_v1(&self, out: &mut Object) {
        let mut metadata = self.metadata.clone();
        // Only annotations produced by this conversion may appear in the result.
        annotations::drop_round_trip(&mut metadata);
        let others: Vec<Value> = self
            .spec
            .metrics
            .iter()
            .filter(|m| !m.is_cpu_utilization())
            .map(v1_metric_spec_json)
            .collect();
        if !others.is_empty() {
            annotations::set_json(&mut metadata, METRIC_SPECS, &Value::Array(others));
        }
        // Saved even when only CPU, to keep the raw values beside the utilization.
        if let Some(current) = self.status.current_metrics.as_ref().filter(|c| !c.is_empty()) {
            let current = current.iter().map(v1_metric_status_json).collect();
            annotations::set_json(&mut metadata, METRIC_STATUSES, &Value::Array(current));
        }
        if !self.status.conditions.is_empty() {
            let conditions = self.status.conditions.iter().map(Condition::encode).collect();
            annotations::set_json(&mut metadata, CONDITIONS, &Value::Array(conditions));
        }
        if let Some(behavior) = &self.spec.behavior {
            annotations::set_json(&mut metadata, BEHAVIOR, &behavior.encode_internal());
        }
        out.insert("metadata".into(), Value::Object(metadata));

        let mut spec = Object::new();
        spec.insert("scaleTargetRef".into(), self.spec.scale_target_ref.encode());
        put_opt(&mut spec, "minReplicas", self.spec.min_replicas.map(Value::from));
        spec.insert("maxReplicas".into(), Value::from(self.spec.max_replicas));
        // The first CPU resource metric decides, even when it is not a utilization.
        let cpu_target = self
            .spec
            .metrics
            .iter()
            .find(|m| m.type_ == RESOURCE && m.resource.as_ref().is_some_and(|r| r.name == CPU))
            .and_then(|m| m.resource.as_ref())
            .and_then(|r| r.target.average_utilization);
        put_opt(
            &mut spec,
            "targetCPUUtilizationPercentage",
            cpu_target.map(Value::from),
        );
        out.insert("spec".into(), Value::Object(spec));

        let s = &self.status;
        let mut status = Object::new();
        put_opt(
            &mut status,
            "observedGeneration",
            s.observed_generation.map(Value::from),
        );
        put_opt(
            &mut status,
            "lastScaleTime",
            s.last_scale_time.clone().map(Value::from),
        );
        status.insert("currentReplicas".into(), Value::from(s.current_replicas));
        status.insert("desiredReplicas".into(), Value::from(s.desired_replicas));
        // The last CPU utilization reported wins.
        let cpu_current = s
            .current_metrics
            .iter()
            .flatten()
            .filter(|m| m.type_ == RESOURCE)
            .filter_map(|m| m.resource.as_ref())
            .filter(|r| r.name == CPU)
            .filter_map(|r| r.current.average_utilization)
            .next_back();
        put_opt(
            &mut status,
            "currentCPUUtilizationPercentage",
            cpu_current.map(Value::from),
        );
        out.insert("status".into(), Value::Object(status));
    }
}

/// Decodes an annotation holding a JSON array, as Go's `json.Unmarshal` into a slice.
fn parse_list<T: Default>(text: &str, f: fn(Decoder, &Object) -> Decoded<T>) -> Decoded<Vec<T>> {
    let d = Decoder::ANNOTATION;
    match serde_json::from_str::<Value>(text).map_err(|_| Malformed)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|item| match d.as_object(item)? {
                Some(o) => f(d, o),
                None => Ok(T::default()),
            })
            .collect(),
        _ => Err(Malformed),
    }
}

/// Decodes the behavior annotation (the internal type's Go field names).
fn parse_behavior(text: &str) -> Decoded<Option<Behavior>> {
    let d = Decoder::ANNOTATION;
    let v = serde_json::from_str::<Value>(text).map_err(|_| Malformed)?;
    d.as_object(&v)?.map(|o| Behavior::decode(d, o)).transpose()
}

/// A v1 `metricName` + selector pair as the hub's metric identifier.
fn identifier(d: Decoder, o: &Object, selector_key: &str) -> Decoded<MetricIdentifier> {
    Ok(MetricIdentifier {
        name: d.string_or_empty(o, "metricName")?,
        selector: optional(d, o, selector_key, LabelSelector::decode)?,
    })
}

/// `autoscalingv1.MetricSpec` (from an annotation) to the hub metric.
fn v1_metric_spec(d: Decoder, o: &Object) -> Decoded<MetricSpec> {
    fn resource(d: Decoder, o: &Object) -> Decoded<ResourceMetricSource> {
        let utilization = d.int32(o, "targetAverageUtilization")?;
        Ok(ResourceMetricSource {
            name: d.string_or_empty(o, "name")?,
            target: MetricTarget {
                type_: if utilization.is_some() {
                    UTILIZATION
                } else {
                    AVERAGE_VALUE
                }
                .into(),
                value: None,
                average_value: d.quantity(o, "targetAverageValue")?,
                average_utilization: utilization,
            },
            container: d.string_or_empty(o, "container")?,
        })
    }
    Ok(MetricSpec {
        type_: d.string_or_empty(o, "type")?,
        object: optional(d, o, "object", |d, o| {
            let average = d.quantity(o, "averageValue")?;
            Ok(ObjectMetricSource {
                described_object: nested(d, o, "target", CrossVersionObjectReference::decode)?,
                target: MetricTarget {
                    type_: if average.is_none() { VALUE } else { AVERAGE_VALUE }.into(),
                    value: Some(d.quantity(o, "targetValue")?.unwrap_or_else(|| ZERO.into())),
                    average_value: average,
                    average_utilization: None,
                },
                metric: identifier(d, o, "selector")?,
            })
        })?,
        pods: optional(d, o, "pods", |d, o| {
            Ok(NamedMetricSource {
                metric: identifier(d, o, "selector")?,
                target: MetricTarget {
                    type_: AVERAGE_VALUE.into(),
                    average_value: Some(
                        d.quantity(o, "targetAverageValue")?
                            .unwrap_or_else(|| ZERO.into()),
                    ),
                    ..MetricTarget::default()
                },
            })
        })?,
        resource: optional(d, o, "resource", resource)?,
        container_resource: optional(d, o, "containerResource", resource)?,
        external: optional(d, o, "external", |d, o| {
            let value = d.quantity(o, "targetValue")?;
            Ok(NamedMetricSource {
                metric: identifier(d, o, "metricSelector")?,
                target: MetricTarget {
                    type_: if value.is_none() { AVERAGE_VALUE } else { VALUE }.into(),
                    value,
                    average_value: d.quantity(o, "targetAverageValue")?,
                    average_utilization: None,
                },
            })
        })?,
    })
}

/// The hub metric as an `autoscalingv1.MetricSpec` for the metrics annotation.
fn v1_metric_spec_json(m: &MetricSpec) -> Value {
    fn resource(r: &ResourceMetricSource, container: bool) -> Value {
        let mut o = Object::new();
        o.insert("name".into(), Value::from(r.name.as_str()));
        put_opt(
            &mut o,
            "targetAverageUtilization",
            r.target.average_utilization.map(Value::from),
        );
        put_opt(
            &mut o,
            "targetAverageValue",
            r.target.average_value.clone().map(Value::from),
        );
        if container {
            o.insert("container".into(), Value::from(r.container.as_str()));
        }
        Value::Object(o)
    }
    let mut o = Object::new();
    o.insert("type".into(), Value::from(m.type_.as_str()));
    put_opt(
        &mut o,
        "object",
        m.object.as_ref().map(|s| {
            let mut v = Object::new();
            v.insert("target".into(), s.described_object.encode());
            v.insert("metricName".into(), Value::from(s.metric.name.as_str()));
            v.insert("targetValue".into(), quantity_or_zero(&s.target.value));
            put_opt(
                &mut v,
                "selector",
                s.metric.selector.as_ref().map(LabelSelector::encode),
            );
            put_opt(
                &mut v,
                "averageValue",
                s.target.average_value.clone().map(Value::from),
            );
            Value::Object(v)
        }),
    );
    put_opt(
        &mut o,
        "pods",
        m.pods.as_ref().map(|s| {
            let mut v = Object::new();
            v.insert("metricName".into(), Value::from(s.metric.name.as_str()));
            v.insert(
                "targetAverageValue".into(),
                quantity_or_zero(&s.target.average_value),
            );
            put_opt(
                &mut v,
                "selector",
                s.metric.selector.as_ref().map(LabelSelector::encode),
            );
            Value::Object(v)
        }),
    );
    put_opt(
        &mut o,
        "resource",
        m.resource.as_ref().map(|r| resource(r, false)),
    );
    put_opt(
        &mut o,
        "containerResource",
        m.container_resource.as_ref().map(|r| resource(r, true)),
    );
    put_opt(
        &mut o,
        "external",
        m.external.as_ref().map(|s| {
            let mut v = Object::new();
            v.insert("metricName".into(), Value::from(s.metric.name.as_str()));
            put_opt(
                &mut v,
                "metricSelector",
                s.metric.selector.as_ref().map(LabelSelector::encode),
            );
            put_opt(&mut v, "targetValue", s.target.value.clone().map(Value::from));
            put_opt(
                &mut v,
                "targetAverageValue",
                s.target.average_value.clone().map(Value::from),
            );
            Value::Object(v)
        }),
    );
    Value::Object(o)
}

/// `autoscalingv1.MetricStatus` (from an annotation) to the hub metric status.
fn v1_metric_status(d: Decoder, o: &Object) -> Decoded<MetricStatus> {
    fn resource(d: Decoder, o: &Object) -> Decoded<ResourceMetricStatus> {
        Ok(ResourceMetricStatus {
            name: d.string_or_empty(o, "name")?,
            current: MetricValueStatus {
                value: None,
                average_value: Some(
                    d.quantity(o, "currentAverageValue")?
                        .unwrap_or_else(|| ZERO.into()),
                ),
                average_utilization: d.int32(o, "currentAverageUtilization")?,
            },
            container: d.string_or_empty(o, "container")?,
        })
    }
    Ok(MetricStatus {
        type_: d.string_or_empty(o, "type")?,
        object: optional(d, o, "object", |d, o| {
            Ok(ObjectMetricStatus {
                metric: identifier(d, o, "selector")?,
                current: MetricValueStatus {
                    value: Some(d.quantity(o, "currentValue")?.unwrap_or_else(|| ZERO.into())),
                    average_value: d.quantity(o, "averageValue")?,
                    average_utilization: None,
                },
                described_object: nested(d, o, "target", CrossVersionObjectReference::decode)?,
            })
        })?,
        pods: optional(d, o, "pods", |d, o| {
            Ok(NamedMetricStatus {
                metric: identifier(d, o, "selector")?,
                current: MetricValueStatus {
                    average_value: Some(
                        d.quantity(o, "currentAverageValue")?
                            .unwrap_or_else(|| ZERO.into()),
                    ),
                    ..MetricValueStatus::default()
                },
            })
        })?,
        resource: optional(d, o, "resource", resource)?,
        container_resource: optional(d, o, "containerResource", resource)?,
        external: optional(d, o, "external", |d, o| {
            Ok(NamedMetricStatus {
                metric: identifier(d, o, "metricSelector")?,
                current: MetricValueStatus {
                    value: Some(d.quantity(o, "currentValue")?.unwrap_or_else(|| ZERO.into())),
                    average_value: d.quantity(o, "currentAverageValue")?,
                    average_utilization: None,
                },
            })
        })?,
    })
}

/// The hub metric status as an `autoscalingv1.MetricStatus` for the annotation.
fn v1_metric_status_json(m: &MetricStatus) -> Value {
    fn resource(r: &ResourceMetricStatus, container: bool) -> Value {
        let mut o = Object::new();
        o.insert("name".into(), Value::from(r.name.as_str()));
        put_opt(
            &mut o,
            "currentAverageUtilization",
            r.current.average_utilization.map(Value::from),
        );
        o.insert(
            "currentAverageValue".into(),
            quantity_or_zero(&r.current.average_value),
        );
        if container {
            o.insert("container".into(), Value::from(r.container.as_str()));
        }
        Value::Object(o)
    }
    let mut o = Object::new();
    o.insert("type".into(), Value::from(m.type_.as_str()));
    put_opt(
        &mut o,
        "object",
        m.object.as_ref().map(|s| {
            let mut v = Object::new();
            v.insert("target".into(), s.described_object.encode());
            v.insert("metricName".into(), Value::from(s.metric.name.as_str()));
            v.insert("currentValue".into(), quantity_or_zero(&s.current.value));
            put_opt(
                &mut v,
                "selector",
                s.metric.selector.as_ref().map(LabelSelector::encode),
            );
            put_opt(
                &mut v,
                "averageValue",
                s.current.average_value.clone().map(Value::from),
            );
            Value::Object(v)
        }),
    );
    put_opt(
        &mut o,
        "pods",
        m.pods.as_ref().map(|s| {
            let mut v = Object::new();
            v.insert("metricName".into(), Value::from(s.metric.name.as_str()));
            v.insert(
                "currentAverageValue".into(),
                quantity_or_zero(&s.current.average_value),
            );
            put_opt(
                &mut v,
                "selector",
                s.metric.selector.as_ref().map(LabelSelector::encode),
            );
            Value::Object(v)
        }),
    );
    put_opt(
        &mut o,
        "resource",
        m.resource.as_ref().map(|r| resource(r, false)),
    );
    put_opt(
        &mut o,
        "containerResource",
        m.container_resource.as_ref().map(|r| resource(r, true)),
    );
    put_opt(
        &mut o,
        "external",
        m.external.as_ref().map(|s| {
            let mut v = Object::new();
            v.insert("metricName".into(), Value::from(s.metric.name.as_str()));
            put_opt(
                &mut v,
                "metricSelector",
                s.metric.selector.as_ref().map(LabelSelector::encode),
            );
            v.insert("currentValue".into(), quantity_or_zero(&s.current.value));
            put_opt(
                &mut v,
                "currentAverageValue",
                s.current.average_value.clone().map(Value::from),
            );
            Value::Object(v)
        }),
    );
    Value::Object(o)
}

fn quantity_or_zero(q: &Option<String>) -> Value {
    Value::from(q.as_deref().unwrap_or(ZERO))
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{annotations, convert};
    use serde_json::{json, Value};

    fn to_v1(obj: &Value) -> Value {
        convert("autoscaling", "HorizontalPodAutoscaler", "v2", "v1", obj).unwrap_or(Value::Null)
    }

    fn to_v2(obj: &Value) -> Value {
        convert("autoscaling", "HorizontalPodAutoscaler", "v1", "v2", obj).unwrap_or(Value::Null)
    }

    /// Compares values including the order of object keys.
    fn assert_same(actual: &Value, expected: &Value) {
        assert_eq!(actual.to_string(), expected.to_string());
    }

    fn annotation(obj: &Value, key: &str) -> String {
        obj["metadata"]["annotations"][key]
            .as_str()
            .unwrap_or("<absent>")
            .to_string()
    }

    /// A stored HorizontalPodAutoscaler using every kind of metric, a behavior, and a
    /// status as the controller writes it. Metrics are ordered with the CPU
    /// utilization last so that a round trip through v1 reproduces it exactly.
    pub(in super::super) fn full_v2() -> Value {
        json!({
            "kind": "HorizontalPodAutoscaler",
            "apiVersion": "autoscaling/v2",
            "metadata": {
                "name": "web", "namespace": "default", "uid": "6f1c", "resourceVersion": "42",
                "generation": 2, "creationTimestamp": "2024-05-01T10:00:00Z",
                "labels": {"app": "web"}, "annotations": {"team": "a&b"}
            },
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
                    {"type": "Pods", "pods": {"metric": {"name": "packets-per-second", "selector": {"matchLabels": {"a": "2", "z": "1"}}}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
                    {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"}, "target": {"type": "Value", "value": "10k"}, "metric": {"name": "requests-per-second"}}},
                    {"type": "External", "external": {"metric": {"name": "queue_messages", "selector": {"matchExpressions": [{"key": "queue", "operator": "In", "values": ["worker"]}]}}, "target": {"type": "AverageValue", "averageValue": "30"}}},
                    {"type": "ContainerResource", "containerResource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}, "container": "app"}},
                    {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}
                ],
                "behavior": {
                    "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                        {"type": "Pods", "value": 4, "periodSeconds": 15},
                        {"type": "Percent", "value": 100, "periodSeconds": 15}
                    ]},
                    "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max", "policies": [
                        {"type": "Percent", "value": 100, "periodSeconds": 15}
                    ]}
                }
            },
            "status": {
                "observedGeneration": 2,
                "lastScaleTime": "2024-05-01T10:05:00Z",
                "currentReplicas": 3,
                "desiredReplicas": 4,
                "currentMetrics": [
                    {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "400Mi", "averageUtilization": 40}}},
                    {"type": "Pods", "pods": {"metric": {"name": "packets-per-second"}, "current": {"averageValue": "900"}}},
                    {"type": "Object", "object": {"metric": {"name": "requests-per-second"}, "current": {"value": "12k"}, "describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"}}},
                    {"type": "External", "external": {"metric": {"name": "queue_messages"}, "current": {"value": "0", "averageValue": "25"}}},
                    {"type": "ContainerResource", "containerResource": {"name": "cpu", "current": {"averageValue": "120m", "averageUtilization": 55}, "container": "app"}},
                    {"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "250m", "averageUtilization": 70}}}
                ],
                "conditions": [
                    {"type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-05-01T10:00:15Z", "reason": "ReadyForNewScale", "message": "recommended size matches current size"},
                    {"type": "ScalingActive", "status": "True", "lastTransitionTime": "2024-05-01T10:00:15Z", "reason": "ValidMetricFound", "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"}
                ]
            }
        })
    }

    /// [`full_v2`] as served in `autoscaling/v1`.
    pub(in super::super) fn full_v1() -> Value {
        to_v1(&full_v2())
    }

    #[test]
    fn kubectl_autoscale_reads_back_as_v1() {
        let stored = json!({
            "kind": "HorizontalPodAutoscaler",
            "apiVersion": "autoscaling/v2",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "minReplicas": 1,
                "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]
            },
            "status": {"desiredReplicas": 0, "currentMetrics": null}
        });
        let expected = json!({
            "kind": "HorizontalPodAutoscaler",
            "apiVersion": "autoscaling/v1",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "minReplicas": 1,
                "maxReplicas": 5,
                "targetCPUUtilizationPercentage": 50
            },
            "status": {"currentReplicas": 0, "desiredReplicas": 0}
        });
        assert_same(&to_v1(&stored), &expected);
        // And a v1 create of the same HPA is stored as exactly that v2 object.
        assert_same(&to_v2(&expected), &stored);
    }

    #[test]
    fn v1_without_target_gets_the_default_cpu_metric() {
        let v1 = json!({
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3}
        });
        let expected = json!({
            "kind": "HorizontalPodAutoscaler",
            "apiVersion": "autoscaling/v2",
            "metadata": {"name": "h"},
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "d"},
                "maxReplicas": 3,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
            },
            "status": {"desiredReplicas": 0, "currentMetrics": null}
        });
        assert_same(&to_v2(&v1), &expected);
    }

    #[test]
    fn v2_to_v1_annotations_are_exact() {
        let v1 = full_v1();
        assert_eq!(
            annotation(&v1, annotations::METRIC_SPECS),
            concat!(
                r#"[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"500Mi"}},"#,
                r#"{"type":"Pods","pods":{"metricName":"packets-per-second","targetAverageValue":"1k","selector":{"matchLabels":{"a":"2","z":"1"}}}},"#,
                r#"{"type":"Object","object":{"target":{"kind":"Ingress","name":"main","apiVersion":"networking.k8s.io/v1"},"metricName":"requests-per-second","targetValue":"10k"}},"#,
                r#"{"type":"External","external":{"metricName":"queue_messages","metricSelector":{"matchExpressions":[{"key":"queue","operator":"In","values":["worker"]}]},"targetAverageValue":"30"}},"#,
                r#"{"type":"ContainerResource","containerResource":{"name":"cpu","targetAverageUtilization":60,"container":"app"}}]"#
            )
        );
        assert_eq!(
            annotation(&v1, annotations::METRIC_STATUSES),
            concat!(
                r#"[{"type":"Resource","resource":{"name":"memory","currentAverageUtilization":40,"currentAverageValue":"400Mi"}},"#,
                r#"{"type":"Pods","pods":{"metricName":"packets-per-second","currentAverageValue":"900"}},"#,
                r#"{"type":"Object","object":{"target":{"kind":"Ingress","name":"main","apiVersion":"networking.k8s.io/v1"},"metricName":"requests-per-second","currentValue":"12k"}},"#,
                r#"{"type":"External","external":{"metricName":"queue_messages","currentValue":"0","currentAverageValue":"25"}},"#,
                r#"{"type":"ContainerResource","containerResource":{"name":"cpu","currentAverageUtilization":55,"currentAverageValue":"120m","container":"app"}},"#,
                r#"{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":70,"currentAverageValue":"250m"}}]"#
            )
        );
        assert_eq!(
            annotation(&v1, annotations::BEHAVIOR),
            concat!(
                r#"{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15},{"Type":"Percent","Value":100,"PeriodSeconds":15}]},"#,
                r#""ScaleDown":{"StabilizationWindowSeconds":300,"SelectPolicy":"Max","Policies":[{"Type":"Percent","Value":100,"PeriodSeconds":15}]}}"#
            )
        );
        assert_eq!(
            annotation(&v1, annotations::CONDITIONS),
            concat!(
                r#"[{"type":"AbleToScale","status":"True","lastTransitionTime":"2024-05-01T10:00:15Z","reason":"ReadyForNewScale","message":"recommended size matches current size"},"#,
                r#"{"type":"ScalingActive","status":"True","lastTransitionTime":"2024-05-01T10:00:15Z","reason":"ValidMetricFound","message":"the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"}]"#
            )
        );
        let keys: Vec<&str> = v1["metadata"]["annotations"]
            .as_object()
            .map(|a| a.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            vec![
                annotations::BEHAVIOR,
                annotations::CONDITIONS,
                annotations::METRIC_STATUSES,
                annotations::METRIC_SPECS,
                "team"
            ]
        );
        assert_same(
            &v1["spec"],
            &json!({
                "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "minReplicas": 2, "maxReplicas": 10, "targetCPUUtilizationPercentage": 50
            }),
        );
        assert_same(
            &v1["status"],
            &json!({
                "observedGeneration": 2, "lastScaleTime": "2024-05-01T10:05:00Z",
                "currentReplicas": 3, "desiredReplicas": 4, "currentCPUUtilizationPercentage": 70
            }),
        );
    }

    #[test]
    fn v2_v1_v2_round_trip() {
        let v2 = full_v2();
        assert_same(&to_v2(&to_v1(&v2)), &v2);
    }

    #[test]
    fn v1_v2_v1_round_trip() {
        let v1 = full_v1();
        assert_same(&to_v1(&to_v2(&v1)), &v1);
        // A plain v1 object comes back with the current CPU saved in an annotation,
        // as kube-apiserver does: the hub keeps it as a metric status.
        let plain = json!({
            "kind": "HorizontalPodAutoscaler",
            "apiVersion": "autoscaling/v1",
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "minReplicas": 1, "maxReplicas": 3, "targetCPUUtilizationPercentage": 75},
            "status": {"currentReplicas": 2, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 30}
        });
        let v2 = to_v2(&plain);
        assert_same(
            &v2["status"],
            &json!({"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 30}}}
            ]}),
        );
        let back = to_v1(&v2);
        assert_same(&back["spec"], &plain["spec"]);
        assert_same(&back["status"], &plain["status"]);
        assert_eq!(
            annotation(&back, annotations::METRIC_STATUSES),
            r#"[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":30,"currentAverageValue":"0"}}]"#
        );
    }

    #[test]
    fn cpu_utilization_moves_after_other_metrics() {
        let mut v2 = full_v2();
        if let Some(metrics) = v2["spec"]["metrics"].as_array_mut() {
            metrics.rotate_right(1); // CPU utilization first
        }
        let back = to_v2(&to_v1(&v2));
        assert_same(&back["spec"]["metrics"], &full_v2()["spec"]["metrics"]);
    }

    #[test]
    fn first_cpu_metric_decides_the_v1_target() {
        let v2 = json!({
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3, "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "500m"}}},
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
            ]}
        });
        let v1 = to_v1(&v2);
        assert_eq!(v1["spec"].get("targetCPUUtilizationPercentage"), None);
        // Every CPU utilization metric is left out of the annotation, so it is lost.
        assert_eq!(
            annotation(&v1, annotations::METRIC_SPECS),
            r#"[{"type":"Resource","resource":{"name":"cpu","targetAverageValue":"500m"}}]"#
        );
        assert_same(
            &to_v2(&v1)["spec"]["metrics"],
            &json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "500m"}}}]),
        );
    }

    #[test]
    fn stale_round_trip_annotations_are_replaced() {
        let mut v2 = json!({
            "metadata": {"name": "h", "annotations": {
                (annotations::METRIC_SPECS): "[{\"type\":\"Pods\"}]",
                (annotations::BEHAVIOR): "{}",
                (annotations::CONDITIONS): "[]"
            }},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3, "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
            ]}
        });
        let v1 = to_v1(&v2);
        assert_same(&v1["metadata"], &json!({"name": "h"}));
        // v1 -> v2 never lets them through either.
        if let Some(spec) = v2["spec"].as_object_mut() {
            spec.remove("metrics");
        }
        let back = to_v2(&v1);
        assert_same(&back["metadata"], &json!({"name": "h"}));
    }

    #[test]
    fn malformed_annotations_are_ignored_and_dropped() {
        let base = |annotations: Value| {
            json!({
                "metadata": {"name": "h", "annotations": annotations},
                "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3, "targetCPUUtilizationPercentage": 60}
            })
        };
        let cpu60 = json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]);
        for bad in [
            "not json",
            "{}",
            r#"[{"type": 5}]"#,
            r#"[{"type":"Pods","pods":{"metricName":"m","targetAverageValue":"12 apples"}}]"#,
            r#"[{"type":"Resource","resource":{"name":"memory","targetAverageUtilization":1.5}}]"#,
            r#"[1]"#,
        ] {
            let v2 = to_v2(&base(json!({(annotations::METRIC_SPECS): bad, "keep": "me"})));
            assert_same(&v2["spec"]["metrics"], &cpu60);
            assert_same(&v2["metadata"]["annotations"], &json!({"keep": "me"}));
        }
        // A non-string annotation value is ignored too.
        let v2 = to_v2(&base(json!({(annotations::METRIC_SPECS): 7})));
        assert_same(&v2["spec"]["metrics"], &cpu60);
        assert_eq!(v2["metadata"].get("annotations"), None);
        // Empty or malformed behavior stays unset.
        for bad in [
            "{}",
            "null",
            r#"{"ScaleUp":null}"#,
            r#"{"ScaleUp":{"Policies":"x"}}"#,
            "[]",
        ] {
            let v2 = to_v2(&base(json!({(annotations::BEHAVIOR): bad})));
            assert_eq!(v2["spec"].get("behavior"), None, "{bad}");
        }
    }

    #[test]
    fn annotations_decode_like_go() {
        // Field names match case-insensitively, numbers are accepted as quantities,
        // null list entries are zero values, and unknown fields are ignored.
        let v1 = json!({
            "metadata": {"annotations": {
                (annotations::METRIC_SPECS): r#"[{"TYPE":"Pods","pods":{"MetricName":"m","targetAverageValue":5,"extra":true}}]"#,
                (annotations::BEHAVIOR): r#"{"scaleDown":{"selectPolicy":"Min","policies":null}}"#,
                (annotations::METRIC_STATUSES): "null",
                (annotations::CONDITIONS): r#"[null]"#
            }},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3}
        });
        let v2 = to_v2(&v1);
        assert_same(
            &v2["spec"],
            &json!({
                "scaleTargetRef": {"kind": "Deployment", "name": "d"},
                "maxReplicas": 3,
                "metrics": [{"type": "Pods", "pods": {"metric": {"name": "m"}, "target": {"type": "AverageValue", "averageValue": "5"}}}],
                "behavior": {"scaleDown": {"selectPolicy": "Min"}}
            }),
        );
        assert_same(
            &v2["status"],
            &json!({"desiredReplicas": 0, "currentMetrics": [], "conditions": [
                {"type": "", "status": "", "lastTransitionTime": null}
            ]}),
        );
        assert_eq!(v2["metadata"], json!({}));
    }

    #[test]
    fn go_escaping_in_payloads() {
        let v2 = json!({
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3, "metrics": [
                {"type": "External", "external": {"metric": {"name": "a<b>&c"}, "target": {"type": "Value", "value": "1"}}}
            ]}
        });
        let v1 = to_v1(&v2);
        assert_eq!(
            annotation(&v1, annotations::METRIC_SPECS),
            r#"[{"type":"External","external":{"metricName":"a\u003cb\u003e\u0026c","targetValue":"1"}}]"#
        );
        assert_same(&to_v2(&v1)["spec"], &v2["spec"]);
    }

    fn set_at(v: &mut Value, path: &[Value], with: Value) {
        let Some((step, rest)) = path.split_first() else {
            *v = with;
            return;
        };
        let next = match (v, step) {
            (Value::Object(m), Value::String(k)) => m.get_mut(k),
            (Value::Array(a), Value::Number(i)) => i
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| a.get_mut(i)),
            _ => None,
        };
        if let Some(n) = next {
            set_at(n, rest, with);
        }
    }

    /// Every field inside every annotation payload replaced by every JSON type.
    #[test]
    fn malformed_payload_fields_never_panic() {
        let v1 = full_v1();
        let junk = [
            json!(null),
            json!(-1),
            json!(2.5),
            json!("x"),
            json!([]),
            json!({}),
            json!(true),
        ];
        for key in [
            annotations::METRIC_SPECS,
            annotations::METRIC_STATUSES,
            annotations::CONDITIONS,
            annotations::BEHAVIOR,
        ] {
            let payload: Value = serde_json::from_str(&annotation(&v1, key)).unwrap_or(Value::Null);
            let mut stack = vec![(payload.clone(), Vec::<Value>::new())];
            let mut variants = Vec::new();
            // Collect one variant per (path, junk) by walking the payload.
            while let Some((node, path)) = stack.pop() {
                let children: Vec<(Value, Value)> = match &node {
                    Value::Object(m) => m.iter().map(|(k, v)| (json!(k), v.clone())).collect(),
                    Value::Array(a) => a.iter().enumerate().map(|(i, v)| (json!(i), v.clone())).collect(),
                    _ => Vec::new(),
                };
                for (k, child) in children {
                    let mut p = path.clone();
                    p.push(k);
                    for j in &junk {
                        variants.push((p.clone(), j.clone()));
                    }
                    stack.push((child, p));
                }
            }
            for (path, j) in variants {
                let mut broken = payload.clone();
                set_at(&mut broken, &path, j);
                let mut obj = v1.clone();
                obj["metadata"]["annotations"][key] = Value::String(broken.to_string());
                let v2 = to_v2(&obj);
                assert!(v2.is_object());
                assert!(to_v1(&v2).is_object());
            }
        }
    }
}
