//! The hub form of a HorizontalPodAutoscaler and its `autoscaling/v2` wire form.
//!
//! kube-apiserver converts every HorizontalPodAutoscaler through its internal type,
//! which has exactly the shape of `autoscaling/v2`. Gatehouse does the same: these
//! structs are that internal type, decoded from and encoded to `autoscaling/v2` JSON
//! with the field order and `omitempty` rules of the Go types. Quantities and
//! timestamps are kept in their serialized text.

use serde_json::{Map, Value};

use super::decode::{Decoder, Malformed};

/// Resource name of the one metric `autoscaling/v1` can express.
pub(super) const CPU: &str = "cpu";
/// `MetricSourceType` of resource metrics.
pub(super) const RESOURCE: &str = "Resource";
/// `MetricTargetType` values.
pub(super) const UTILIZATION: &str = "Utilization";
pub(super) const VALUE: &str = "Value";
pub(super) const AVERAGE_VALUE: &str = "AverageValue";
/// Target utilization `autoscaling/v1` implies when it names no metric at all.
pub(super) const DEFAULT_CPU_UTILIZATION: i32 = 80;

type Object = Map<String, Value>;
type Decoded<T> = Result<T, Malformed>;

/// A nested struct field (Go value, not pointer): absent reads as the zero value.
pub(super) fn nested<T: Default>(
    d: Decoder,
    o: &Object,
    key: &str,
    f: fn(Decoder, &Object) -> Decoded<T>,
) -> Decoded<T> {
    Ok(optional(d, o, key, f)?.unwrap_or_default())
}

/// A pointer-to-struct field: absent or `null` reads as `None`.
pub(super) fn optional<T>(
    d: Decoder,
    o: &Object,
    key: &str,
    f: fn(Decoder, &Object) -> Decoded<T>,
) -> Decoded<Option<T>> {
    d.object(o, key)?.map(|m| f(d, m)).transpose()
}

/// A slice field; `null` elements decode as zero values, as Go does.
pub(super) fn list<T: Default>(
    d: Decoder,
    o: &Object,
    key: &str,
    f: fn(Decoder, &Object) -> Decoded<T>,
) -> Decoded<Option<Vec<T>>> {
    let Some(items) = d.array(o, key)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(match d.as_object(item)? {
            Some(m) => f(d, m)?,
            None => T::default(),
        });
    }
    Ok(Some(out))
}

/// Sets `key` only when `value` is present (`omitempty` on a pointer or slice).
pub(super) fn put_opt(o: &mut Object, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        o.insert(key.to_string(), v);
    }
}

/// Sets a string field carrying `omitempty`.
pub(super) fn put_nonempty(o: &mut Object, key: &str, value: &str) {
    if !value.is_empty() {
        o.insert(key.to_string(), Value::from(value));
    }
}

/// A `metav1.Time` that is a Go value: the zero time encodes as `null`.
pub(super) fn time_or_null(t: &Option<String>) -> Value {
    t.as_deref().map_or(Value::Null, Value::from)
}

/// `autoscaling.CrossVersionObjectReference` (the same in every autoscaling version).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct CrossVersionObjectReference {
    pub kind: String,
    pub name: String,
    pub api_version: String,
}

impl CrossVersionObjectReference {
    pub(super) fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        Ok(Self {
            kind: d.string_or_empty(o, "kind")?,
            name: d.string_or_empty(o, "name")?,
            api_version: d.string_or_empty(o, "apiVersion")?,
        })
    }

    pub(super) fn encode(&self) -> Value {
        let mut o = Object::new();
        o.insert("kind".into(), Value::from(self.kind.as_str()));
        o.insert("name".into(), Value::from(self.name.as_str()));
        put_nonempty(&mut o, "apiVersion", &self.api_version);
        Value::Object(o)
    }
}

/// `metav1.LabelSelectorRequirement`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

/// `metav1.LabelSelector`, as used to scope a metric.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct LabelSelector {
    /// `map[string]string`, kept sorted because Go encodes map keys in order.
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    pub(super) fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        let mut match_labels = Vec::new();
        if let Some(labels) = d.object(o, "matchLabels")? {
            for (k, v) in labels {
                match v {
                    Value::String(s) => match_labels.push((k.clone(), s.clone())),
                    Value::Null => match_labels.push((k.clone(), String::new())),
                    _ => d.wrong_type()?,
                }
            }
        }
        match_labels.sort();
        let match_expressions = list(d, o, "matchExpressions", |d, o| {
            let mut values = Vec::new();
            if let Some(items) = d.array(o, "values")? {
                for item in items {
                    match item {
                        Value::String(s) => values.push(s.clone()),
                        Value::Null => values.push(String::new()),
                        _ => d.wrong_type()?,
                    }
                }
            }
            Ok(LabelSelectorRequirement {
                key: d.string_or_empty(o, "key")?,
                operator: d.string_or_empty(o, "operator")?,
                values,
            })
        })?
        .unwrap_or_default();
        Ok(Self {
            match_labels,
            match_expressions,
        })
    }

    pub(super) fn encode(&self) -> Value {
        let mut o = Object::new();
        if !self.match_labels.is_empty() {
            let labels = self
                .match_labels
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            o.insert("matchLabels".into(), Value::Object(labels));
        }
        if !self.match_expressions.is_empty() {
            let exprs = self
                .match_expressions
                .iter()
                .map(|r| {
                    let mut e = Object::new();
                    e.insert("key".into(), Value::from(r.key.as_str()));
                    e.insert("operator".into(), Value::from(r.operator.as_str()));
                    if !r.values.is_empty() {
                        e.insert("values".into(), Value::from(r.values.clone()));
                    }
                    Value::Object(e)
                })
                .collect();
            o.insert("matchExpressions".into(), Value::Array(exprs));
        }
        Value::Object(o)
    }
}

/// `autoscaling.MetricIdentifier`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct MetricIdentifier {
    pub name: String,
    pub selector: Option<LabelSelector>,
}

impl MetricIdentifier {
    fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        Ok(Self {
            name: d.string_or_empty(o, "name")?,
            selector: optional(d, o, "selector", LabelSelector::decode)?,
        })
    }

    fn encode(&self) -> Value {
        let mut o = Object::new();
        o.insert("name".into(), Value::from(self.name.as_str()));
        put_opt(
            &mut o,
            "selector",
            self.selector.as_ref().map(LabelSelector::encode),
        );
        Value::Object(o)
    }
}

/// `autoscaling.MetricTarget`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct MetricTarget {
    pub type_: String,
    pub value: Option<String>,
    pub average_value: Option<String>,
    pub average_utilization: Option<i32>,
}

impl MetricTarget {
    fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        Ok(Self {
            type_: d.string_or_empty(o, "type")?,
            value: d.quantity(o, "value")?,
            average_value: d.quantity(o, "averageValue")?,
            average_utilization: d.int32(o, "averageUtilization")?,
        })
    }

    fn encode(&self) -> Value {
        let mut o = Object::new();
        o.insert("type".into(), Value::from(self.type_.as_str()));
        put_opt(&mut o, "value", self.value.clone().map(Value::from));
        put_opt(
            &mut o,
            "averageValue",
            self.average_value.clone().map(Value::from),
        );
        put_opt(
            &mut o,
            "averageUtilization",
            self.average_utilization.map(Value::from),
        );
        Value::Object(o)
    }
}

/// `autoscaling.MetricValueStatus`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct MetricValueStatus {
    pub value: Option<String>,
    pub average_value: Option<String>,
    pub average_utilization: Option<i32>,
}

impl MetricValueStatus {
    fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        Ok(Self {
            value: d.quantity(o, "value")?,
            average_value: d.quantity(o, "averageValue")?,
            average_utilization: d.int32(o, "averageUtilization")?,
        })
    }

    fn encode(&self) -> Value {
        let mut o = Object::new();
        put_opt(&mut o, "value", self.value.clone().map(Value::from));
        put_opt(
            &mut o,
            "averageValue",
            self.average_value.clone().map(Value::from),
        );
        put_opt(
            &mut o,
            "averageUtilization",
            self.average_utilization.map(Value::from),
        );
        Value::Object(o)
    }
}

/// `autoscaling.ObjectMetricSource`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ObjectMetricSource {
    pub described_object: CrossVersionObjectReference,
    pub target: MetricTarget,
    pub metric: MetricIdentifier,
}

/// `autoscaling.PodsMetricSource` and `autoscaling.ExternalMetricSource` (same shape).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct NamedMetricSource {
    pub metric: MetricIdentifier,
    pub target: MetricTarget,
}

/// `autoscaling.ResourceMetricSource` and `ContainerResourceMetricSource`
/// (`container` is empty for the former).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ResourceMetricSource {
    pub name: String,
    pub target: MetricTarget,
    pub container: String,
}

/// `autoscaling.MetricSpec`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct MetricSpec {
    pub type_: String,
    pub object: Option<ObjectMetricSource>,
    pub pods: Option<NamedMetricSource>,
    pub resource: Option<ResourceMetricSource>,
    pub container_resource: Option<ResourceMetricSource>,
    pub external: Option<NamedMetricSource>,
}

impl MetricSpec {
    /// Whether this is the CPU utilization target `autoscaling/v1` carries natively.
    pub(super) fn is_cpu_utilization(&self) -> bool {
        self.type_ == RESOURCE
            && self
                .resource
                .as_ref()
                .is_some_and(|r| r.name == CPU && r.target.average_utilization.is_some())
    }

    /// The metric `autoscaling/v1` produces for a CPU utilization percentage.
    pub(super) fn cpu_utilization(percent: i32) -> Self {
        MetricSpec {
            type_: RESOURCE.into(),
            resource: Some(ResourceMetricSource {
                name: CPU.into(),
                target: MetricTarget {
                    type_: UTILIZATION.into(),
                    average_utilization: Some(percent),
                    ..MetricTarget::default()
                },
                container: String::new(),
            }),
            ..MetricSpec::default()
        }
    }

    pub(super) fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        fn named(d: Decoder, o: &Object) -> Decoded<NamedMetricSource> {
            Ok(NamedMetricSource {
                metric: nested(d, o, "metric", MetricIdentifier::decode)?,
                target: nested(d, o, "target", MetricTarget::decode)?,
            })
        }
        fn resource(d: Decoder, o: &Object) -> Decoded<ResourceMetricSource> {
            Ok(ResourceMetricSource {
                name: d.string_or_empty(o, "name")?,
                target: nested(d, o, "target", MetricTarget::decode)?,
                container: d.string_or_empty(o, "container")?,
            })
        }
        Ok(Self {
            type_: d.string_or_empty(o, "type")?,
            object: optional(d, o, "object", |d, o| {
                Ok(ObjectMetricSource {
                    described_object: nested(d, o, "describedObject", CrossVersionObjectReference::decode)?,
                    target: nested(d, o, "target", MetricTarget::decode)?,
                    metric: nested(d, o, "metric", MetricIdentifier::decode)?,
                })
            })?,
            pods: optional(d, o, "pods", named)?,
            resource: optional(d, o, "resource", resource)?,
            container_resource: optional(d, o, "containerResource", resource)?,
            external: optional(d, o, "external", named)?,
        })
    }

    pub(super) fn encode(&self) -> Value {
        fn named(s: &NamedMetricSource) -> Value {
            let mut o = Object::new();
            o.insert("metric".into(), s.metric.encode());
            o.insert("target".into(), s.target.encode());
            Value::Object(o)
        }
        fn resource(s: &ResourceMetricSource, container: bool) -> Value {
            let mut o = Object::new();
            o.insert("name".into(), Value::from(s.name.as_str()));
            o.insert("target".into(), s.target.encode());
            if container {
                o.insert("container".into(), Value::from(s.container.as_str()));
            }
            Value::Object(o)
        }
        let mut o = Object::new();
        o.insert("type".into(), Value::from(self.type_.as_str()));
        put_opt(
            &mut o,
            "object",
            self.object.as_ref().map(|s| {
                let mut m = Object::new();
                m.insert("describedObject".into(), s.described_object.encode());
                m.insert("target".into(), s.target.encode());
                m.insert("metric".into(), s.metric.encode());
                Value::Object(m)
            }),
        );
        put_opt(&mut o, "pods", self.pods.as_ref().map(named));
        put_opt(
            &mut o,
            "resource",
            self.resource.as_ref().map(|s| resource(s, false)),
        );
        put_opt(
            &mut o,
            "containerResource",
            self.container_resource.as_ref().map(|s| resource(s, true)),
        );
        put_opt(&mut o, "external", self.external.as_ref().map(named));
        Value::Object(o)
    }
}

/// `autoscaling.ObjectMetricStatus`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ObjectMetricStatus {
    pub metric: MetricIdentifier,
    pub current: MetricValueStatus,
    pub described_object: CrossVersionObjectReference,
}

/// `autoscaling.PodsMetricStatus` and `autoscaling.ExternalMetricStatus`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct NamedMetricStatus {
    pub metric: MetricIdentifier,
    pub current: MetricValueStatus,
}

/// `autoscaling.ResourceMetricStatus` and `ContainerResourceMetricStatus`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ResourceMetricStatus {
    pub name: String,
    pub current: MetricValueStatus,
    pub container: String,
}

/// `autoscaling.MetricStatus`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct MetricStatus {
    pub type_: String,
    pub object: Option<ObjectMetricStatus>,
    pub pods: Option<NamedMetricStatus>,
    pub resource: Option<ResourceMetricStatus>,
    pub container_resource: Option<ResourceMetricStatus>,
    pub external: Option<NamedMetricStatus>,
}

impl MetricStatus {
    pub(super) fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        fn named(d: Decoder, o: &Object) -> Decoded<NamedMetricStatus> {
            Ok(NamedMetricStatus {
                metric: nested(d, o, "metric", MetricIdentifier::decode)?,
                current: nested(d, o, "current", MetricValueStatus::decode)?,
            })
        }
        fn resource(d: Decoder, o: &Object) -> Decoded<ResourceMetricStatus> {
            Ok(ResourceMetricStatus {
                name: d.string_or_empty(o, "name")?,
                current: nested(d, o, "current", MetricValueStatus::decode)?,
                container: d.string_or_empty(o, "container")?,
            })
        }
        Ok(Self {
            type_: d.string_or_empty(o, "type")?,
            object: optional(d, o, "object", |d, o| {
                Ok(ObjectMetricStatus {
                    metric: nested(d, o, "metric", MetricIdentifier::decode)?,
                    current: nested(d, o, "current", MetricValueStatus::decode)?,
                    described_object: nested(d, o, "describedObject", CrossVersionObjectReference::decode)?,
                })
            })?,
            pods: optional(d, o, "pods", named)?,
            resource: optional(d, o, "resource", resource)?,
            container_resource: optional(d, o, "containerResource", resource)?,
            external: optional(d, o, "external", named)?,
        })
    }

    pub(super) fn encode(&self) -> Value {
        fn named(s: &NamedMetricStatus) -> Value {
            let mut o = Object::new();
            o.insert("metric".into(), s.metric.encode());
            o.insert("current".into(), s.current.encode());
            Value::Object(o)
        }
        fn resource(s: &ResourceMetricStatus, container: bool) -> Value {
            let mut o = Object::new();
            o.insert("name".into(), Value::from(s.name.as_str()));
            o.insert("current".into(), s.current.encode());
            if container {
                o.insert("container".into(), Value::from(s.container.as_str()));
            }
            Value::Object(o)
        }
        let mut o = Object::new();
        o.insert("type".into(), Value::from(self.type_.as_str()));
        put_opt(
            &mut o,
            "object",
            self.object.as_ref().map(|s| {
                let mut m = Object::new();
                m.insert("metric".into(), s.metric.encode());
                m.insert("current".into(), s.current.encode());
                m.insert("describedObject".into(), s.described_object.encode());
                Value::Object(m)
            }),
        );
        put_opt(&mut o, "pods", self.pods.as_ref().map(named));
        put_opt(
            &mut o,
            "resource",
            self.resource.as_ref().map(|s| resource(s, false)),
        );
        put_opt(
            &mut o,
            "containerResource",
            self.container_resource.as_ref().map(|s| resource(s, true)),
        );
        put_opt(&mut o, "external", self.external.as_ref().map(named));
        Value::Object(o)
    }
}

/// `autoscaling.HorizontalPodAutoscalerCondition` (identical in v1 and v2 in 1.32).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Condition {
    pub type_: String,
    pub status: String,
    pub last_transition_time: Option<String>,
    pub reason: String,
    pub message: String,
}

impl Condition {
    pub(super) fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        Ok(Self {
            type_: d.string_or_empty(o, "type")?,
            status: d.string_or_empty(o, "status")?,
            last_transition_time: d.time(o, "lastTransitionTime")?,
            reason: d.string_or_empty(o, "reason")?,
            message: d.string_or_empty(o, "message")?,
        })
    }

    pub(super) fn encode(&self) -> Value {
        let mut o = Object::new();
        o.insert("type".into(), Value::from(self.type_.as_str()));
        o.insert("status".into(), Value::from(self.status.as_str()));
        o.insert(
            "lastTransitionTime".into(),
            time_or_null(&self.last_transition_time),
        );
        put_nonempty(&mut o, "reason", &self.reason);
        put_nonempty(&mut o, "message", &self.message);
        Value::Object(o)
    }
}

/// `autoscaling.HPAScalingPolicy`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ScalingPolicy {
    pub type_: String,
    pub value: i32,
    pub period_seconds: i32,
}

/// `autoscaling.HPAScalingRules`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ScalingRules {
    pub stabilization_window_seconds: Option<i32>,
    pub select_policy: Option<String>,
    pub policies: Option<Vec<ScalingPolicy>>,
}

/// `autoscaling.HorizontalPodAutoscalerBehavior`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Behavior {
    pub scale_up: Option<ScalingRules>,
    pub scale_down: Option<ScalingRules>,
}

impl Behavior {
    /// Decodes the v2 wire form; with [`Decoder::ANNOTATION`] the same names also match
    /// the capitalised Go field names of the internal type kept in the annotation.
    pub(super) fn decode(d: Decoder, o: &Object) -> Decoded<Self> {
        fn rules(d: Decoder, o: &Object) -> Decoded<ScalingRules> {
            Ok(ScalingRules {
                stabilization_window_seconds: d.int32(o, "stabilizationWindowSeconds")?,
                select_policy: d.string(o, "selectPolicy")?,
                policies: list(d, o, "policies", |d, o| {
                    Ok(ScalingPolicy {
                        type_: d.string_or_empty(o, "type")?,
                        value: d.int32(o, "value")?.unwrap_or(0),
                        period_seconds: d.int32(o, "periodSeconds")?.unwrap_or(0),
                    })
                })?,
            })
        }
        Ok(Self {
            scale_up: optional(d, o, "scaleUp", rules)?,
            scale_down: optional(d, o, "scaleDown", rules)?,
        })
    }

    /// The `autoscaling/v2` wire form.
    pub(super) fn encode(&self) -> Value {
        fn rules(r: &ScalingRules) -> Value {
            let mut o = Object::new();
            put_opt(
                &mut o,
                "stabilizationWindowSeconds",
                r.stabilization_window_seconds.map(Value::from),
            );
            put_opt(&mut o, "selectPolicy", r.select_policy.clone().map(Value::from));
            if let Some(policies) = r.policies.as_ref().filter(|p| !p.is_empty()) {
                let items = policies
                    .iter()
                    .map(|p| {
                        let mut m = Object::new();
                        m.insert("type".into(), Value::from(p.type_.as_str()));
                        m.insert("value".into(), Value::from(p.value));
                        m.insert("periodSeconds".into(), Value::from(p.period_seconds));
                        Value::Object(m)
                    })
                    .collect();
                o.insert("policies".into(), Value::Array(items));
            }
            Value::Object(o)
        }
        let mut o = Object::new();
        put_opt(&mut o, "scaleUp", self.scale_up.as_ref().map(rules));
        put_opt(&mut o, "scaleDown", self.scale_down.as_ref().map(rules));
        Value::Object(o)
    }

    /// The internal Go type marshalled as is (no JSON tags, so Go field names and
    /// explicit `null`s), which is what kube-apiserver keeps in the behavior annotation.
    pub(super) fn encode_internal(&self) -> Value {
        fn rules(r: &ScalingRules) -> Value {
            let mut o = Object::new();
            o.insert(
                "StabilizationWindowSeconds".into(),
                r.stabilization_window_seconds.map_or(Value::Null, Value::from),
            );
            o.insert(
                "SelectPolicy".into(),
                r.select_policy.as_deref().map_or(Value::Null, Value::from),
            );
            let policies = r.policies.as_ref().map_or(Value::Null, |ps| {
                ps.iter()
                    .map(|p| {
                        let mut m = Object::new();
                        m.insert("Type".into(), Value::from(p.type_.as_str()));
                        m.insert("Value".into(), Value::from(p.value));
                        m.insert("PeriodSeconds".into(), Value::from(p.period_seconds));
                        Value::Object(m)
                    })
                    .collect()
            });
            o.insert("Policies".into(), policies);
            Value::Object(o)
        }
        let mut o = Object::new();
        o.insert(
            "ScaleUp".into(),
            self.scale_up.as_ref().map_or(Value::Null, rules),
        );
        o.insert(
            "ScaleDown".into(),
            self.scale_down.as_ref().map_or(Value::Null, rules),
        );
        Value::Object(o)
    }
}

/// `autoscaling.HorizontalPodAutoscalerSpec`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Spec {
    pub scale_target_ref: CrossVersionObjectReference,
    pub min_replicas: Option<i32>,
    pub max_replicas: i32,
    pub metrics: Vec<MetricSpec>,
    pub behavior: Option<Behavior>,
}

/// `autoscaling.HorizontalPodAutoscalerStatus`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Status {
    pub observed_generation: Option<i64>,
    pub last_scale_time: Option<String>,
    pub current_replicas: i32,
    pub desired_replicas: i32,
    /// `None` is a nil slice, which v2 encodes as `null` (the field lacks `omitempty`).
    pub current_metrics: Option<Vec<MetricStatus>>,
    pub conditions: Vec<Condition>,
}

/// The internal HorizontalPodAutoscaler: object metadata plus the hub spec and status.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct HorizontalPodAutoscaler {
    /// `metadata`, carried through untouched apart from round-trip annotations.
    pub metadata: Object,
    pub spec: Spec,
    pub status: Status,
}

impl HorizontalPodAutoscaler {
    /// Reads an `autoscaling/v2` object leniently (wrong types read as absent).
    pub(super) fn from_v2(obj: &Object) -> Self {
        let d = Decoder::WIRE;
        let empty = Object::new();
        let spec = d.object(obj, "spec").ok().flatten().unwrap_or(&empty);
        let status = d.object(obj, "status").ok().flatten().unwrap_or(&empty);
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
                min_replicas: d.int32(spec, "minReplicas").ok().flatten(),
                max_replicas: d.int32(spec, "maxReplicas").ok().flatten().unwrap_or(0),
                metrics: list(d, spec, "metrics", MetricSpec::decode)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                behavior: optional(d, spec, "behavior", Behavior::decode).ok().flatten(),
            },
            status: Status {
                observed_generation: d.int64(status, "observedGeneration").ok().flatten(),
                last_scale_time: d.time(status, "lastScaleTime").ok().flatten(),
                current_replicas: d.int32(status, "currentReplicas").ok().flatten().unwrap_or(0),
                desired_replicas: d.int32(status, "desiredReplicas").ok().flatten().unwrap_or(0),
                current_metrics: list(d, status, "currentMetrics", MetricStatus::decode)
                    .ok()
                    .flatten(),
                conditions: list(d, status, "conditions", Condition::decode)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            },
        };
        // v2 round-trips without annotations; stale ones from v1 must not leak out.
        super::annotations::drop_round_trip(&mut hpa.metadata);
        hpa
    }

    /// Writes the `autoscaling/v2` wire form (without `kind`/`apiVersion`).
    pub(super) fn to_v2(&self, out: &mut Object) {
        let mut metadata = self.metadata.clone();
        super::annotations::drop_round_trip(&mut metadata);
        out.insert("metadata".into(), Value::Object(metadata));

        let mut spec = Object::new();
        spec.insert("scaleTargetRef".into(), self.spec.scale_target_ref.encode());
        put_opt(&mut spec, "minReplicas", self.spec.min_replicas.map(Value::from));
        spec.insert("maxReplicas".into(), Value::from(self.spec.max_replicas));
        if !self.spec.metrics.is_empty() {
            let metrics = self.spec.metrics.iter().map(MetricSpec::encode).collect();
            spec.insert("metrics".into(), Value::Array(metrics));
        }
        put_opt(
            &mut spec,
            "behavior",
            self.spec.behavior.as_ref().map(Behavior::encode),
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
        if s.current_replicas != 0 {
            status.insert("currentReplicas".into(), Value::from(s.current_replicas));
        }
        status.insert("desiredReplicas".into(), Value::from(s.desired_replicas));
        let current = s.current_metrics.as_ref().map_or(Value::Null, |m| {
            Value::Array(m.iter().map(MetricStatus::encode).collect())
        });
        status.insert("currentMetrics".into(), current);
        if !s.conditions.is_empty() {
            let conditions = s.conditions.iter().map(Condition::encode).collect();
            status.insert("conditions".into(), Value::Array(conditions));
        }
        out.insert("status".into(), Value::Object(status));
    }
}
