//! Event: core `v1` and `events.k8s.io/v1`.
//!
//! Both versions are views of the one internal Event (stored as core `v1`). The
//! events API renames several fields (`note` for `message`, `regarding` for
//! `involvedObject`, `reportingController` for `reportingComponent`) and marks the
//! old-style ones `deprecated*`; nothing is lost in either direction. Each side is
//! encoded with the field order and `omitempty` rules of its Go type.

use serde_json::{Map, Value};

use super::decode::Decoder;
use super::hpa::{put_nonempty, put_opt, time_or_null};

type Object = Map<String, Value>;

/// `corev1.ObjectReference`.
#[derive(Clone, Debug, Default, PartialEq)]
struct ObjectReference {
    kind: String,
    namespace: String,
    name: String,
    uid: String,
    api_version: String,
    resource_version: String,
    field_path: String,
}

const REFERENCE_FIELDS: [&str; 7] = [
    "kind",
    "namespace",
    "name",
    "uid",
    "apiVersion",
    "resourceVersion",
    "fieldPath",
];

impl ObjectReference {
    fn decode(o: &Object) -> Self {
        let s = |k: &str| Decoder::WIRE.string(o, k).ok().flatten().unwrap_or_default();
        ObjectReference {
            kind: s("kind"),
            namespace: s("namespace"),
            name: s("name"),
            uid: s("uid"),
            api_version: s("apiVersion"),
            resource_version: s("resourceVersion"),
            field_path: s("fieldPath"),
        }
    }

    fn encode(&self) -> Value {
        let values = [
            &self.kind,
            &self.namespace,
            &self.name,
            &self.uid,
            &self.api_version,
            &self.resource_version,
            &self.field_path,
        ];
        let mut o = Object::new();
        for (key, value) in REFERENCE_FIELDS.iter().zip(values) {
            put_nonempty(&mut o, key, value);
        }
        Value::Object(o)
    }
}

/// `corev1.EventSource`.
#[derive(Clone, Debug, Default, PartialEq)]
struct EventSource {
    component: String,
    host: String,
}

/// The internal `EventSeries`.
#[derive(Clone, Debug, Default, PartialEq)]
struct EventSeries {
    count: i32,
    last_observed_time: Option<String>,
}

/// The internal Event.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Event {
    metadata: Object,
    involved_object: ObjectReference,
    reason: String,
    message: String,
    source: EventSource,
    first_timestamp: Option<String>,
    last_timestamp: Option<String>,
    count: i32,
    type_: String,
    event_time: Option<String>,
    series: Option<EventSeries>,
    action: String,
    related: Option<ObjectReference>,
    reporting_controller: String,
    reporting_instance: String,
}

/// Field names that differ between the two versions, as (core v1, events.k8s.io/v1).
struct Names {
    involved_object: &'static str,
    message: &'static str,
    source: &'static str,
    first_timestamp: &'static str,
    last_timestamp: &'static str,
    count: &'static str,
    reporting_controller: &'static str,
}

const CORE: Names = Names {
    involved_object: "involvedObject",
    message: "message",
    source: "source",
    first_timestamp: "firstTimestamp",
    last_timestamp: "lastTimestamp",
    count: "count",
    reporting_controller: "reportingComponent",
};

const EVENTS: Names = Names {
    involved_object: "regarding",
    message: "note",
    source: "deprecatedSource",
    first_timestamp: "deprecatedFirstTimestamp",
    last_timestamp: "deprecatedLastTimestamp",
    count: "deprecatedCount",
    reporting_controller: "reportingController",
};

impl Event {
    /// Reads a core `v1` Event leniently.
    pub(super) fn from_core_v1(obj: &Object) -> Self {
        Self::decode(obj, &CORE)
    }

    /// Reads an `events.k8s.io/v1` Event leniently.
    pub(super) fn from_events_v1(obj: &Object) -> Self {
        Self::decode(obj, &EVENTS)
    }

    fn decode(obj: &Object, names: &Names) -> Self {
        let d = Decoder::WIRE;
        let string = |o: &Object, k: &str| d.string(o, k).ok().flatten().unwrap_or_default();
        let object = |o: &Object, k: &str| d.object(o, k).ok().flatten().cloned();
        let reference = |k: &str| object(obj, k).map(|o| ObjectReference::decode(&o));
        let source = object(obj, names.source).unwrap_or_default();
        Event {
            metadata: object(obj, "metadata").unwrap_or_default(),
            involved_object: reference(names.involved_object).unwrap_or_default(),
            reason: string(obj, "reason"),
            message: string(obj, names.message),
            source: EventSource {
                component: string(&source, "component"),
                host: string(&source, "host"),
            },
            first_timestamp: d.time(obj, names.first_timestamp).ok().flatten(),
            last_timestamp: d.time(obj, names.last_timestamp).ok().flatten(),
            count: d.int32(obj, names.count).ok().flatten().unwrap_or(0),
            type_: string(obj, "type"),
            event_time: d.time(obj, "eventTime").ok().flatten(),
            series: object(obj, "series").map(|s| EventSeries {
                count: d.int32(&s, "count").ok().flatten().unwrap_or(0),
                last_observed_time: d.time(&s, "lastObservedTime").ok().flatten(),
            }),
            action: string(obj, "action"),
            related: reference("related"),
            reporting_controller: string(obj, names.reporting_controller),
            reporting_instance: string(obj, "reportingInstance"),
        }
    }

    fn source_json(&self) -> Value {
        let mut o = Object::new();
        put_nonempty(&mut o, "component", &self.source.component);
        put_nonempty(&mut o, "host", &self.source.host);
        Value::Object(o)
    }

    /// Writes the core `v1` wire form (without `kind`/`apiVersion`).
    pub(super) fn to_core_v1(&self, out: &mut Object) {
        out.insert("metadata".into(), Value::Object(self.metadata.clone()));
        out.insert(CORE.involved_object.into(), self.involved_object.encode());
        put_nonempty(out, "reason", &self.reason);
        put_nonempty(out, CORE.message, &self.message);
        out.insert(CORE.source.into(), self.source_json());
        out.insert(CORE.first_timestamp.into(), time_or_null(&self.first_timestamp));
        out.insert(CORE.last_timestamp.into(), time_or_null(&self.last_timestamp));
        if self.count != 0 {
            out.insert(CORE.count.into(), Value::from(self.count));
        }
        put_nonempty(out, "type", &self.type_);
        out.insert("eventTime".into(), time_or_null(&self.event_time));
        put_opt(
            out,
            "series",
            self.series.as_ref().map(|s| {
                // core/v1 EventSeries: count is omitempty, the MicroTime is not omittable.
                let mut o = Object::new();
                if s.count != 0 {
                    o.insert("count".into(), Value::from(s.count));
                }
                o.insert("lastObservedTime".into(), time_or_null(&s.last_observed_time));
                Value::Object(o)
            }),
        );
        put_nonempty(out, "action", &self.action);
        put_opt(out, "related", self.related.as_ref().map(ObjectReference::encode));
        out.insert(
            CORE.reporting_controller.into(),
            Value::from(self.reporting_controller.as_str()),
        );
        out.insert(
            "reportingInstance".into(),
            Value::from(self.reporting_instance.as_str()),
        );
    }

    /// Writes the `events.k8s.io/v1` wire form (without `kind`/`apiVersion`).
    pub(super) fn to_events_v1(&self, out: &mut Object) {
        out.insert("metadata".into(), Value::Object(self.metadata.clone()));
        out.insert("eventTime".into(), time_or_null(&self.event_time));
        put_opt(
            out,
            "series",
            self.series.as_ref().map(|s| {
                let mut o = Object::new();
                o.insert("count".into(), Value::from(s.count));
                o.insert("lastObservedTime".into(), time_or_null(&s.last_observed_time));
                Value::Object(o)
            }),
        );
        put_nonempty(out, EVENTS.reporting_controller, &self.reporting_controller);
        put_nonempty(out, "reportingInstance", &self.reporting_instance);
        put_nonempty(out, "action", &self.action);
        put_nonempty(out, "reason", &self.reason);
        out.insert(EVENTS.involved_object.into(), self.involved_object.encode());
        put_opt(out, "related", self.related.as_ref().map(ObjectReference::encode));
        put_nonempty(out, EVENTS.message, &self.message);
        put_nonempty(out, "type", &self.type_);
        out.insert(EVENTS.source.into(), self.source_json());
        out.insert(EVENTS.first_timestamp.into(), time_or_null(&self.first_timestamp));
        out.insert(EVENTS.last_timestamp.into(), time_or_null(&self.last_timestamp));
        if self.count != 0 {
            out.insert(EVENTS.count.into(), Value::from(self.count));
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::convert;
    use serde_json::{json, Value};

    fn to_events(obj: &Value) -> Value {
        convert("", "Event", "v1", "events.k8s.io/v1", obj).unwrap_or(Value::Null)
    }

    fn to_core(obj: &Value) -> Value {
        convert("", "Event", "events.k8s.io/v1", "v1", obj).unwrap_or(Value::Null)
    }

    fn assert_same(actual: &Value, expected: &Value) {
        assert_eq!(actual.to_string(), expected.to_string());
    }

    /// An Event as the kubelet records it through the core API.
    pub(in super::super) fn kubelet_core_event() -> Value {
        json!({
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"name": "web-1.17a", "namespace": "default", "uid": "e1", "resourceVersion": "7", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-1", "uid": "p1", "apiVersion": "v1", "resourceVersion": "5", "fieldPath": "spec.containers{app}"},
            "reason": "Pulled",
            "message": "Successfully pulled image \"nginx\"",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": "2024-05-01T10:00:00Z",
            "lastTimestamp": "2024-05-01T10:02:00Z",
            "count": 3,
            "type": "Normal",
            "eventTime": null,
            "reportingComponent": "kubelet",
            "reportingInstance": "node-1"
        })
    }

    /// An Event as a controller writes it through the events API.
    pub(in super::super) fn events_api_event() -> Value {
        json!({
            "kind": "Event",
            "apiVersion": "events.k8s.io/v1",
            "metadata": {"name": "rs.17b", "namespace": "default"},
            "eventTime": "2024-05-01T10:00:00.123456Z",
            "series": {"count": 2, "lastObservedTime": "2024-05-01T10:01:00.000000Z"},
            "reportingController": "kubernetes.io/replicaset-controller",
            "reportingInstance": "kcm-1",
            "action": "Create",
            "reason": "SuccessfulCreate",
            "regarding": {"kind": "ReplicaSet", "namespace": "default", "name": "rs", "uid": "r1", "apiVersion": "apps/v1"},
            "related": {"kind": "Pod", "namespace": "default", "name": "rs-x"},
            "note": "Created pod: rs-x",
            "type": "Normal",
            "deprecatedSource": {},
            "deprecatedFirstTimestamp": null,
            "deprecatedLastTimestamp": null
        })
    }

    #[test]
    fn core_event_read_through_events_api() {
        let expected = json!({
            "kind": "Event",
            "apiVersion": "events.k8s.io/v1",
            "metadata": {"name": "web-1.17a", "namespace": "default", "uid": "e1", "resourceVersion": "7", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "eventTime": null,
            "reportingController": "kubelet",
            "reportingInstance": "node-1",
            "reason": "Pulled",
            "regarding": {"kind": "Pod", "namespace": "default", "name": "web-1", "uid": "p1", "apiVersion": "v1", "resourceVersion": "5", "fieldPath": "spec.containers{app}"},
            "note": "Successfully pulled image \"nginx\"",
            "type": "Normal",
            "deprecatedSource": {"component": "kubelet", "host": "node-1"},
            "deprecatedFirstTimestamp": "2024-05-01T10:00:00Z",
            "deprecatedLastTimestamp": "2024-05-01T10:02:00Z",
            "deprecatedCount": 3
        });
        assert_same(&to_events(&kubelet_core_event()), &expected);
    }

    #[test]
    fn events_api_event_read_through_core() {
        let expected = json!({
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"name": "rs.17b", "namespace": "default"},
            "involvedObject": {"kind": "ReplicaSet", "namespace": "default", "name": "rs", "uid": "r1", "apiVersion": "apps/v1"},
            "reason": "SuccessfulCreate",
            "message": "Created pod: rs-x",
            "source": {},
            "firstTimestamp": null,
            "lastTimestamp": null,
            "type": "Normal",
            "eventTime": "2024-05-01T10:00:00.123456Z",
            "series": {"count": 2, "lastObservedTime": "2024-05-01T10:01:00.000000Z"},
            "action": "Create",
            "related": {"kind": "Pod", "namespace": "default", "name": "rs-x"},
            "reportingComponent": "kubernetes.io/replicaset-controller",
            "reportingInstance": "kcm-1"
        });
        assert_same(&to_core(&events_api_event()), &expected);
    }

    #[test]
    fn round_trips_lose_nothing() {
        let core = kubelet_core_event();
        assert_same(&to_core(&to_events(&core)), &core);
        let events = events_api_event();
        assert_same(&to_events(&to_core(&events)), &events);
    }

    #[test]
    fn minimal_and_malformed_events() {
        assert_same(
            &to_events(&json!({})),
            &json!({"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": {}, "eventTime": null,
                    "regarding": {}, "deprecatedSource": {}, "deprecatedFirstTimestamp": null, "deprecatedLastTimestamp": null}),
        );
        assert_same(
            &to_core(&json!({"note": 5, "regarding": "x", "deprecatedCount": "3", "series": {"count": "2"}})),
            &json!({"kind": "Event", "apiVersion": "v1", "metadata": {}, "involvedObject": {}, "source": {},
                    "firstTimestamp": null, "lastTimestamp": null, "eventTime": null,
                    "series": {"lastObservedTime": null}, "reportingComponent": "", "reportingInstance": ""}),
        );
    }
}
