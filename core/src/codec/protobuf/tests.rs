//! End-to-end tests of the envelope, the descriptor tables and the codec.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::decode::{decode_message, MAX_DEPTH};
use super::descriptor::{msg, opt, rep, Message, Ty};
use super::wire::{put_key, put_len, put_varint, FIXED64, VARINT};
use super::*;

// ---- byte builders -----------------------------------------------------------------------

fn ld(number: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_len(&mut out, number, bytes);
    out
}

fn st(number: u32, s: &str) -> Vec<u8> {
    ld(number, s.as_bytes())
}

fn vi(number: u32, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    put_key(&mut out, number, VARINT);
    put_varint(&mut out, v);
    out
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// A `map<string, string>` entry.
fn entry(number: u32, key: &str, value: &str) -> Vec<u8> {
    ld(number, &cat(&[st(1, key), st(2, value)]))
}

fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(ld(1, &cat(&[st(1, api_version), st(2, kind)])));
    out.extend(ld(2, raw));
    out.extend(st(3, ""));
    out.extend(st(4, ""));
    out
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

// ---- kubectl bodies ------------------------------------------------------------------------

/// `kubectl create configmap cmx --from-literal=a=b` as sent by kubectl 1.32.
const KUBECTL_CONFIGMAP: &str = "6b 38 73 00 \
    0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67 4d 61 70 \
    12 1d 0a 13 0a 03 63 6d 78 12 00 1a 00 22 00 2a 00 32 00 38 00 42 00 \
    12 06 0a 01 61 12 01 62 \
    1a 00 22 00";

#[test]
fn decodes_kubectl_create_configmap() {
    let body = hex(KUBECTL_CONFIGMAP);
    let decoded = decode(&body).unwrap();
    assert_eq!(decoded.api_version, "v1");
    assert_eq!(decoded.kind, "ConfigMap");
    assert_eq!(
        decoded.object,
        json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            // The explicit empty strings and zero generation kubectl writes are left out,
            // as the JSON form of the same object leaves them out.
            "metadata": {
                "name": "cmx",
                "creationTimestamp": null
            },
            "data": {"a": "b"}
        })
    );
    // JSON key order follows the Go structs.
    let keys: Vec<&String> = decoded.object.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["kind", "apiVersion", "metadata", "data"]);
    // Re-encoding yields an equivalent body (without the empty fields).
    assert_eq!(
        decode(&encode(&decoded.object).unwrap()).unwrap().object,
        decoded.object
    );
}

#[test]
fn decodes_deployment_with_container_and_labels() {
    let labels = entry(11, "app", "web");
    let container = cat(&[
        st(1, "nginx"),
        st(2, "nginx:1.27"),
        ld(6, &cat(&[vi(3, 80), st(4, "TCP")])),
        ld(8, &ld(1, &cat(&[st(1, "cpu"), ld(2, &st(1, "500m"))]))),
        st(14, "IfNotPresent"),
    ]);
    let pod_spec = cat(&[ld(2, &container), st(3, "Always")]);
    let spec = cat(&[
        vi(1, 3),
        ld(2, &entry(1, "app", "web")),
        ld(3, &cat(&[ld(1, &labels), ld(2, &pod_spec)])),
        ld(
            4,
            &cat(&[
                st(1, "RollingUpdate"),
                ld(
                    2,
                    &cat(&[
                        ld(1, &cat(&[vi(1, 0), vi(2, 1), st(3, "")])),
                        ld(2, &cat(&[vi(1, 1), vi(2, 0), st(3, "25%")])),
                    ]),
                ),
            ]),
        ),
    ]);
    let raw = cat(&[
        ld(1, &cat(&[st(1, "web"), st(3, "default"), labels.clone()])),
        ld(2, &spec),
    ]);
    let decoded = decode(&envelope("apps/v1", "Deployment", &raw)).unwrap();
    assert_eq!(
        decoded.object,
        json!({
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "resources": {"limits": {"cpu": "500m"}},
                            "imagePullPolicy": "IfNotPresent"
                        }],
                        "restartPolicy": "Always"
                    }
                },
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}
                }
            }
        })
    );
}

#[test]
fn secret_bytes_become_base64() {
    let raw = cat(&[
        ld(1, &st(1, "creds")),
        ld(2, &cat(&[st(1, "password"), ld(2, &[0x00, 0x01, 0xff])])),
        ld(2, &cat(&[st(1, "empty"), ld(2, &[])])),
        ld(2, &st(1, "novalue")),
        st(3, "Opaque"),
    ]);
    let decoded = decode(&envelope("v1", "Secret", &raw)).unwrap();
    assert_eq!(
        decoded.object,
        json!({
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {"name": "creds"},
            "data": {"password": "AAH/", "empty": "", "novalue": ""},
            "type": "Opaque"
        })
    );
    assert_eq!(decode(&encode(&decoded.object).unwrap()).unwrap(), decoded);
}

#[test]
fn service_target_port_int_or_string() {
    let port = |target: Vec<u8>| cat(&[st(1, "http"), st(2, "TCP"), vi(3, 80), ld(4, &target)]);
    let spec = cat(&[
        ld(1, &port(cat(&[vi(1, 0), vi(2, 8080), st(3, "")]))),
        ld(1, &port(cat(&[vi(1, 1), st(3, "web")]))),
        // An empty IntOrString is the integer 0.
        ld(1, &port(Vec::new())),
        entry(2, "app", "web"),
        st(4, "ClusterIP"),
    ]);
    let raw = cat(&[ld(1, &st(1, "svc")), ld(2, &spec)]);
    let decoded = decode(&envelope("v1", "Service", &raw)).unwrap();
    let p = |target: Value| json!({"name": "http", "protocol": "TCP", "port": 80, "targetPort": target});
    assert_eq!(
        decoded.object["spec"],
        json!({
            "ports": [p(json!(8080)), p(json!("web")), p(json!(0))],
            "selector": {"app": "web"},
            "type": "ClusterIP"
        })
    );
    // A type other than 0 or 1 cannot be represented in JSON.
    let bad = cat(&[ld(1, &st(1, "svc")), ld(2, &ld(1, &port(vi(1, 2))))]);
    assert!(matches!(
        decode(&envelope("v1", "Service", &bad)),
        Err(ProtobufError::InvalidValue {
            field: "targetPort",
            ..
        })
    ));
}

#[test]
fn pod_inline_structs_are_flattened() {
    let probe = cat(&[
        ld(
            1,
            &ld(
                2,
                &cat(&[st(1, "/healthz"), ld(2, &cat(&[vi(1, 1), st(3, "http")]))]),
            ),
        ),
        vi(2, 5),
    ]);
    let container = cat(&[
        st(1, "app"),
        ld(10, &probe),
        ld(
            7,
            &cat(&[
                st(1, "MODE"),
                ld(3, &ld(3, &cat(&[ld(1, &st(1, "cfg")), st(2, "mode")]))),
            ]),
        ),
    ]);
    let volumes = cat(&[
        ld(
            1,
            &cat(&[
                st(1, "cfg"),
                ld(2, &ld(19, &cat(&[ld(1, &st(1, "cfg")), vi(3, 420)]))),
            ]),
        ),
        ld(1, &cat(&[st(1, "scratch"), ld(2, &ld(2, &[]))])),
        ld(1, &cat(&[st(1, "data"), ld(2, &ld(10, &st(1, "pvc")))])),
        ld(
            1,
            &cat(&[
                st(1, "host"),
                ld(2, &ld(1, &cat(&[st(1, "/var/log"), st(2, "Directory")]))),
            ]),
        ),
    ]);
    let spec = cat(&[volumes, ld(2, &container)]);
    let raw = cat(&[ld(1, &st(1, "p")), ld(2, &spec)]);
    let decoded = decode(&envelope("v1", "Pod", &raw)).unwrap();
    assert_eq!(
        decoded.object["spec"],
        json!({
            "volumes": [
                {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}},
                {"name": "scratch", "emptyDir": {}},
                {"name": "data", "persistentVolumeClaim": {"claimName": "pvc"}},
                {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}}
            ],
            "containers": [{
                "name": "app",
                "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}}],
                "livenessProbe": {
                    "httpGet": {"path": "/healthz", "port": "http"},
                    "initialDelaySeconds": 5
                }
            }]
        })
    );
    assert_eq!(decode(&encode(&decoded.object).unwrap()).unwrap(), decoded);
}

#[test]
fn times_and_micro_times() {
    let ts = |s: u64, n: u64| cat(&[vi(1, s), vi(2, n)]);
    let raw = cat(&[
        ld(1, &cat(&[st(1, "ev"), ld(8, &ts(1_700_000_000, 5))])),
        ld(6, &ts(1_700_000_000, 0)),
        ld(10, &ts(1_700_000_000, 123_456_789)),
        ld(11, &cat(&[vi(1, 2), ld(2, &vi(1, 0))])),
    ]);
    let decoded = decode(&envelope("v1", "Event", &raw)).unwrap();
    assert_eq!(
        decoded.object,
        json!({
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"name": "ev", "creationTimestamp": "2023-11-14T22:13:20Z"},
            "firstTimestamp": "2023-11-14T22:13:20Z",
            "eventTime": "2023-11-14T22:13:20.123456Z",
            "series": {"count": 2, "lastObservedTime": "1970-01-01T00:00:00.000000Z"}
        })
    );
    assert_eq!(decode(&encode(&decoded.object).unwrap()).unwrap(), decoded);

    // Negative nanos are rejected rather than formatted.
    let bad = ld(6, &cat(&[vi(1, 0), vi(2, (-1i64) as u64)]));
    assert!(matches!(
        decode(&envelope("v1", "Event", &bad)),
        Err(ProtobufError::InvalidValue {
            field: "firstTimestamp",
            ..
        })
    ));
}

#[test]
fn managed_fields_embed_raw_json() {
    let mf = cat(&[
        st(1, "kubectl"),
        st(2, "Update"),
        st(3, "v1"),
        st(6, "FieldsV1"),
        ld(7, &st(1, r#"{"f:data":{"f:a":{}}}"#)),
    ]);
    let raw = ld(1, &cat(&[st(1, "cm"), ld(17, &mf)]));
    let decoded = decode(&envelope("v1", "ConfigMap", &raw)).unwrap();
    assert_eq!(
        decoded.object["metadata"]["managedFields"],
        json!([{
            "manager": "kubectl",
            "operation": "Update",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}}}
        }])
    );
    let broken = ld(1, &ld(17, &ld(7, &st(1, "{not json"))));
    assert!(matches!(
        decode(&envelope("v1", "ConfigMap", &broken)),
        Err(ProtobufError::InvalidValue {
            field: "fieldsV1",
            ..
        })
    ));
}

#[test]
fn self_subject_access_review_and_review_kinds() {
    // kubectl auth can-i create pods -n default
    let ra = cat(&[st(1, "default"), st(2, "create"), st(3, ""), st(5, "pods")]);
    let raw = cat(&[ld(1, &[]), ld(2, &ld(1, &ra))]);
    let decoded = decode(&envelope(
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        &raw,
    ))
    .unwrap();
    assert_eq!(
        decoded.object,
        json!({
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {},
            "spec": {"resourceAttributes": {
                "namespace": "default", "verb": "create", "resource": "pods"
            }}
        })
    );

    // SubjectAccessReview extra values are ExtraValue messages, lists in JSON.
    let spec = cat(&[
        st(3, "alice"),
        ld(
            5,
            &cat(&[st(1, "scopes"), ld(2, &cat(&[st(1, "a"), st(1, "b")]))]),
        ),
    ]);
    let decoded = decode(&envelope(
        "authorization.k8s.io/v1",
        "SubjectAccessReview",
        &ld(2, &spec),
    ))
    .unwrap();
    assert_eq!(
        decoded.object["spec"],
        json!({"user": "alice", "extra": {"scopes": ["a", "b"]}})
    );

    // kubectl auth whoami sends an empty SelfSubjectReview.
    let decoded = decode(&envelope(
        "authentication.k8s.io/v1",
        "SelfSubjectReview",
        &ld(1, &[]),
    ))
    .unwrap();
    assert_eq!(
        decoded.object,
        json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1", "metadata": {}})
    );

    // TokenRequest: the bound object reference uses JSON names, not proto names.
    let spec = cat(&[
        st(1, "https://kubernetes.default.svc"),
        ld(3, &cat(&[st(1, "Pod"), st(2, "v1"), st(3, "p"), st(4, "123")])),
        vi(4, 600),
    ]);
    let decoded = decode(&envelope(
        "authentication.k8s.io/v1",
        "TokenRequest",
        &ld(2, &spec),
    ))
    .unwrap();
    assert_eq!(
        decoded.object["spec"],
        json!({
            "audiences": ["https://kubernetes.default.svc"],
            "expirationSeconds": 600,
            "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p", "uid": "123"}
        })
    );
}

#[test]
fn repeated_scalars_accept_packed_and_unpacked() {
    let mut packed = Vec::new();
    for v in [1000u64, 2000] {
        put_varint(&mut packed, v);
    }
    let sc = cat(&[ld(4, &packed), vi(4, 3000), vi(2, (-1i64) as u64)]);
    let raw = ld(2, &ld(14, &sc));
    let decoded = decode(&envelope("v1", "Pod", &raw)).unwrap();
    assert_eq!(
        decoded.object["spec"]["securityContext"],
        json!({"runAsUser": -1, "supplementalGroups": [1000, 2000, 3000]})
    );
}

#[test]
fn repeated_embedded_messages_merge_and_scalars_take_the_last_value() {
    let raw = cat(&[
        ld(1, &cat(&[st(1, "first"), entry(11, "a", "1")])),
        ld(1, &cat(&[st(1, "second"), entry(11, "b", "2")])),
        vi(4, 0),
        vi(4, 1),
    ]);
    let decoded = decode(&envelope("v1", "ConfigMap", &raw)).unwrap();
    assert_eq!(
        decoded.object,
        json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "second", "labels": {"a": "1", "b": "2"}},
            "immutable": true
        })
    );
}

#[test]
fn unknown_fields_are_skipped() {
    let mut fixed64 = Vec::new();
    put_key(&mut fixed64, 98, FIXED64);
    fixed64.extend_from_slice(&[0; 8]);
    let raw = cat(&[
        ld(1, &cat(&[st(1, "cm"), st(99, "future")])),
        vi(77, 5),
        fixed64,
        ld(3000, b"anything"),
    ]);
    let decoded = decode(&envelope("v1", "ConfigMap", &raw)).unwrap();
    assert_eq!(
        decoded.object,
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm"}})
    );
}

#[test]
fn wire_type_mismatch_is_an_error() {
    let raw = vi(1, 5); // metadata must be length-delimited
    assert_eq!(
        decode(&envelope("v1", "ConfigMap", &raw)),
        Err(ProtobufError::WireTypeMismatch {
            message: "ConfigMap",
            field: "metadata",
            expected: 2,
            actual: 0
        })
    );
    let raw = st(4, "yes"); // immutable is a bool
    assert!(matches!(
        decode(&envelope("v1", "ConfigMap", &raw)),
        Err(ProtobufError::WireTypeMismatch {
            field: "immutable",
            ..
        })
    ));
    let raw = ld(2, &cat(&[st(1, "k"), vi(2, 1)])); // map value must be a string
    assert!(matches!(
        decode(&envelope("v1", "ConfigMap", &raw)),
        Err(ProtobufError::WireTypeMismatch { field: "data", .. })
    ));
}

#[test]
fn envelope_errors() {
    assert_eq!(decode(b""), Err(ProtobufError::MissingMagic));
    assert_eq!(decode(b"{\"kind\":\"Pod\"}"), Err(ProtobufError::MissingMagic));
    assert_eq!(decode(&MAGIC), Err(ProtobufError::MissingTypeMeta));
    assert_eq!(
        decode(&envelope("v1", "Widget", &[])),
        Err(ProtobufError::UnknownKind {
            api_version: "v1".into(),
            kind: "Widget".into()
        })
    );
    assert!(matches!(
        decode(&envelope("apps/v1beta2", "Deployment", &[])),
        Err(ProtobufError::UnknownKind { .. })
    ));
    let mut gzip = MAGIC.to_vec();
    gzip.extend(ld(1, &cat(&[st(1, "v1"), st(2, "ConfigMap")])));
    gzip.extend(st(3, "gzip"));
    assert!(matches!(
        decode(&gzip),
        Err(ProtobufError::UnsupportedEncoding(_))
    ));
    let mut json_ct = MAGIC.to_vec();
    json_ct.extend(ld(1, &cat(&[st(1, "v1"), st(2, "ConfigMap")])));
    json_ct.extend(st(4, "application/json"));
    assert!(matches!(
        decode(&json_ct),
        Err(ProtobufError::UnsupportedEncoding(_))
    ));
    // Messages are suitable for a 400 response.
    assert_eq!(
        ProtobufError::UnknownKind {
            api_version: "v1".into(),
            kind: "Widget".into()
        }
        .to_string(),
        "no protobuf serialization is available for Widget in v1"
    );
}

#[test]
fn truncated_bodies_are_errors_not_panics() {
    let body = hex(KUBECTL_CONFIGMAP);
    for len in 4..body.len() - 4 {
        let result = decode(&body[..len]);
        // Cutting the envelope between fields may still leave a well-formed prefix.
        if let Ok(d) = result {
            assert!(d.object.is_object());
        }
    }
    assert_eq!(decode(&body[..20]), Err(ProtobufError::Truncated));
    assert_eq!(decode(&body[..30]), Err(ProtobufError::Truncated));
    // The raw object itself truncated inside a valid envelope.
    let raw_len = 0x1d;
    let raw = &body[23..23 + raw_len];
    for len in 1..raw.len() {
        let _ = decode(&envelope("v1", "ConfigMap", &raw[..len]));
    }
    assert_eq!(
        decode(&envelope("v1", "ConfigMap", &raw[..10])),
        Err(ProtobufError::Truncated)
    );
}

#[test]
fn garbage_is_rejected() {
    let mut body = MAGIC.to_vec();
    body.extend_from_slice(&[0xff; 16]);
    assert!(decode(&body).is_err());
    let raw = [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
    assert_eq!(
        decode(&envelope("v1", "Pod", &raw)),
        Err(ProtobufError::Truncated)
    );
    // A start-group key inside the object.
    assert!(matches!(
        decode(&envelope("v1", "Pod", &[0x0b, 0x0c])),
        Err(ProtobufError::InvalidKey { .. })
    ));
}

/// A self-recursive message: nothing in Kubernetes' tables is recursive today, but the
/// decoder must stay bounded if one ever is.
static CHAIN: Message = Message {
    name: "Chain",
    fields: &[msg(1, "next", &CHAIN)],
};

#[test]
fn nesting_depth_is_bounded() {
    let mut bytes = Vec::new();
    for _ in 0..MAX_DEPTH {
        bytes = ld(1, &bytes);
    }
    assert!(decode_message(&CHAIN, &bytes, 0).is_ok());
    let deeper = ld(1, &bytes);
    assert_eq!(decode_message(&CHAIN, &deeper, 0), Err(ProtobufError::TooDeep));
    let mut huge = Vec::new();
    for _ in 0..10_000 {
        huge = ld(1, &huge);
    }
    assert_eq!(decode_message(&CHAIN, &huge, 0), Err(ProtobufError::TooDeep));
    let mut nested = json!({});
    for _ in 0..100 {
        nested = json!({ "next": nested });
    }
    assert_eq!(
        super::encode::encode_message(&CHAIN, nested.as_object().unwrap(), 0),
        Err(ProtobufError::TooDeep)
    );
}

/// Exercises the value types no described kind uses today.
static SAMPLE: Message = Message {
    name: "Sample",
    fields: &[
        opt(1, "ratio", Ty::Double),
        opt(2, "timeout", Ty::Duration),
        rep(3, "weights", Ty::Double),
        rep(4, "counts", Ty::Int32),
    ],
};

#[test]
fn doubles_durations_and_empty_packed_lists() {
    let mut bytes = Vec::new();
    put_key(&mut bytes, 1, FIXED64);
    bytes.extend_from_slice(&0.25f64.to_le_bytes());
    bytes.extend(ld(2, &vi(1, 90_000_000_000)));
    bytes.extend(ld(3, &[1.5f64.to_le_bytes(), 2.5f64.to_le_bytes()].concat()));
    bytes.extend(ld(4, &[]));
    let decoded = Value::Object(decode_message(&SAMPLE, &bytes, 0).unwrap());
    assert_eq!(
        decoded,
        json!({"ratio": 0.25, "timeout": "1m30s", "weights": [1.5, 2.5]})
    );
    let encoded = super::encode::encode_message(&SAMPLE, decoded.as_object().unwrap(), 0).unwrap();
    assert_eq!(
        Value::Object(decode_message(&SAMPLE, &encoded, 0).unwrap()),
        decoded
    );

    let mut nan = Vec::new();
    put_key(&mut nan, 1, FIXED64);
    nan.extend_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(
        decode_message(&SAMPLE, &nan, 0),
        Err(ProtobufError::InvalidValue { field: "ratio", .. })
    ));
    // int32 keeps protobuf's truncation of wider varints.
    assert_eq!(
        decode_message(&SAMPLE, &vi(4, 0x1_0000_0005), 0).unwrap()["counts"],
        json!([5])
    );
}

// ---- round trips ---------------------------------------------------------------------------

fn round_trip(object: Value) {
    let body = encode(&object).unwrap_or_else(|e| panic!("encode {object}: {e}"));
    let decoded = decode(&body).unwrap_or_else(|e| panic!("decode {object}: {e}"));
    assert_eq!(decoded.object, object);
}

#[test]
fn round_trips_every_kind() {
    let meta = json!({
        "name": "x",
        "namespace": "ns",
        "uid": "u-1",
        "resourceVersion": "7",
        "generation": 2,
        "creationTimestamp": "2024-05-06T07:08:09Z",
        "deletionTimestamp": null,
        "labels": {"a": "b", "": ""},
        "annotations": {"note": "hi"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u-0", "controller": true, "blockOwnerDeletion": false}],
        "finalizers": ["f"],
        "managedFields": [{"manager": "m", "operation": "Apply", "apiVersion": "v1", "time": "2024-05-06T07:08:09Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]
    });
    let selector = json!({"matchLabels": {"app": "x"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]});
    let pod_spec = json!({
        "volumes": [
            {"name": "s", "secret": {"secretName": "s", "items": [{"key": "k", "path": "p", "mode": 256}], "optional": true}},
            {"name": "proj", "projected": {"sources": [
                {"serviceAccountToken": {"audience": "api", "expirationSeconds": 3600, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
            ], "defaultMode": 420}},
            {"name": "e", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}}
        ],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["sh", "-c", "true"], "restartPolicy": "Always"}],
        "containers": [{
            "name": "c",
            "image": "img",
            "args": ["--v=2"],
            "workingDir": "/w",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP", "hostPort": 0}],
            "envFrom": [{"prefix": "P_", "configMapRef": {"name": "cm", "optional": false}}, {"secretRef": {"name": "s"}}],
            "env": [
                {"name": "A"},
                {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "C", "valueFrom": {"resourceFieldRef": {"containerName": "c", "resource": "limits.cpu", "divisor": "1m"}}},
                {"name": "D", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": true}}}
            ],
            "resources": {"limits": {"cpu": "1", "memory": "128Mi"}, "requests": {"cpu": "100m"}},
            "volumeMounts": [{"name": "s", "readOnly": true, "mountPath": "/s"}],
            "livenessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 10},
            "readinessProbe": {"tcpSocket": {"port": 8080}, "failureThreshold": 3},
            "startupProbe": {"grpc": {"port": 9000}, "terminationGracePeriodSeconds": 5},
            "lifecycle": {"preStop": {"sleep": {"seconds": 3}}, "postStart": {"httpGet": {"port": "http", "httpHeaders": [{"name": "X", "value": "y"}]}}},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "imagePullPolicy": "Always",
            "securityContext": {"capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true, "runAsUser": 1000, "allowPrivilegeEscalation": false, "seccompProfile": {"type": "RuntimeDefault"}},
            "stdin": false,
            "tty": false
        }],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "serviceAccountName": "default",
        "automountServiceAccountToken": false,
        "hostNetwork": false,
        "securityContext": {"fsGroup": 2000, "supplementalGroups": [1, 2], "sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]},
        "imagePullSecrets": [{"name": "regcred"}],
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]},
                             "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n"]}]}}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}}]}
        },
        "schedulerName": "default-scheduler",
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
        "hostAliases": [{"ip": "127.0.0.1", "hostnames": ["foo"]}],
        "priorityClassName": "high",
        "priority": 1000,
        "dnsConfig": {"nameservers": ["1.1.1.1"], "options": [{"name": "ndots", "value": "2"}]},
        "readinessGates": [{"conditionType": "Ready2"}],
        "enableServiceLinks": true,
        "preemptionPolicy": "PreemptLowerPriority",
        "overhead": {"cpu": "10m"},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "x"}}}],
        "os": {"name": "linux"},
        "schedulingGates": [{"name": "gate"}],
        "ephemeralContainers": [{"name": "debug", "image": "busybox", "stdin": true, "targetContainerName": "c"}]
    });
    let template = json!({"metadata": {"labels": {"app": "x"}, "creationTimestamp": null}, "spec": pod_spec});
    let condition = json!({"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "R", "message": "M"});

    let objects = [
        json!({"kind": "Namespace", "apiVersion": "v1", "metadata": meta, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active", "conditions": [{"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "lastTransitionTime": "2024-05-06T07:08:09Z"}]}}),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta, "immutable": false, "data": {"a": "b", "empty": ""}, "binaryData": {"bin": "AAEC"}}),
        json!({"kind": "Secret", "apiVersion": "v1", "metadata": meta, "data": {"k": "dmFsdWU="}, "stringData": {"s": "v"}, "type": "kubernetes.io/tls"}),
        json!({"kind": "ServiceAccount", "apiVersion": "v1", "metadata": meta, "secrets": [{"name": "tok"}], "imagePullSecrets": [{"name": "reg"}], "automountServiceAccountToken": true}),
        json!({"kind": "Service", "apiVersion": "v1", "metadata": meta,
               "spec": {"ports": [{"name": "h", "protocol": "TCP", "appProtocol": "http", "port": 80, "targetPort": "http", "nodePort": 30080}], "selector": {"app": "x"}, "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "type": "NodePort", "sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}, "externalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"},
               "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4", "ipMode": "VIP", "ports": [{"port": 80, "protocol": "TCP"}]}]}, "conditions": [condition]}}),
        json!({"kind": "Endpoints", "apiVersion": "v1", "metadata": meta, "subsets": [{"addresses": [{"ip": "10.1.0.5", "nodeName": "n1", "targetRef": {"kind": "Pod", "namespace": "ns", "name": "p", "uid": "u"}}], "notReadyAddresses": [{"ip": "10.1.0.6"}], "ports": [{"name": "h", "port": 8080, "protocol": "TCP"}]}]}),
        json!({"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": pod_spec,
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2024-05-06T07:08:09Z"}], "hostIP": "192.168.0.2", "hostIPs": [{"ip": "192.168.0.2"}], "podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}], "startTime": "2024-05-06T07:08:09Z",
                          "containerStatuses": [{"name": "c", "state": {"running": {"startedAt": "2024-05-06T07:08:10Z"}}, "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2024-05-06T07:00:00Z", "finishedAt": "2024-05-06T07:08:00Z", "containerID": "containerd://1"}}, "ready": true, "restartCount": 1, "image": "img", "imageID": "sha256:1", "containerID": "containerd://2", "started": true}],
                          "qosClass": "Burstable"}}),
        json!({"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta, "spec": {"accessModes": ["ReadWriteOnce"], "selector": selector, "resources": {"requests": {"storage": "5Gi"}}, "storageClassName": "standard", "volumeMode": "Filesystem", "dataSource": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "snap"}}, "status": {"phase": "Bound", "capacity": {"storage": "5Gi"}}}),
        json!({"kind": "Node", "apiVersion": "v1", "metadata": meta,
               "spec": {"podCIDR": "10.1.0.0/24", "podCIDRs": ["10.1.0.0/24"], "providerID": "kind://n1", "unschedulable": true, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule", "timeAdded": "2024-05-06T07:08:09Z"}]},
               "status": {"capacity": {"cpu": "4", "pods": "110"}, "allocatable": {"cpu": "3800m"}, "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-05-06T07:08:09Z", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "KubeletReady", "message": "ok"}], "addresses": [{"type": "InternalIP", "address": "192.168.0.2"}], "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}, "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1", "osImage": "Debian", "containerRuntimeVersion": "containerd://1.7", "kubeletVersion": "v1.32.0", "operatingSystem": "linux", "architecture": "amd64"}, "images": [{"names": ["img"], "sizeBytes": 123_456_789_012i64}], "volumesInUse": ["v"], "volumesAttached": [{"name": "v", "devicePath": "/dev/sda"}]}}),
        json!({"kind": "Event", "apiVersion": "v1", "metadata": meta, "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "p", "uid": "u", "apiVersion": "v1", "resourceVersion": "1", "fieldPath": "spec.containers{c}"}, "reason": "Pulled", "message": "pulled", "source": {"component": "kubelet", "host": "n1"}, "firstTimestamp": "2024-05-06T07:08:09Z", "lastTimestamp": "2024-05-06T07:08:09Z", "count": 1, "type": "Normal", "eventTime": null, "reportingComponent": "kubelet", "reportingInstance": "n1"}),
        json!({"kind": "ResourceQuota", "apiVersion": "v1", "metadata": meta, "spec": {"hard": {"pods": "10"}, "scopes": ["NotTerminating"], "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}, "status": {"hard": {"pods": "10"}, "used": {"pods": "1"}}}),
        json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta,
               "spec": {"replicas": 0, "selector": selector, "template": template, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}}, "minReadySeconds": 0, "revisionHistoryLimit": 10, "paused": false, "progressDeadlineSeconds": 600},
               "status": {"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1, "conditions": [{"type": "Available", "status": "True", "lastUpdateTime": "2024-05-06T07:08:09Z", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "MinimumReplicasAvailable", "message": "ok"}]}}),
        json!({"kind": "ReplicaSet", "apiVersion": "apps/v1", "metadata": meta, "spec": {"replicas": 2, "minReadySeconds": 1, "selector": selector, "template": template}, "status": {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 1, "conditions": [{"type": "ReplicaFailure", "status": "False", "lastTransitionTime": null}]}}),
        json!({"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": meta, "spec": {"replicas": 3, "selector": selector, "template": template, "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}], "serviceName": "svc", "podManagementPolicy": "Parallel", "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}}, "revisionHistoryLimit": 10, "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"}, "ordinals": {"start": 1}}, "status": {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "currentReplicas": 3, "updatedReplicas": 3, "currentRevision": "r1", "updateRevision": "r1", "collisionCount": 0, "availableReplicas": 3}}),
        json!({"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": meta, "spec": {"selector": selector, "template": template, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}, "revisionHistoryLimit": 10}, "status": {"currentNumberScheduled": 1, "numberMisscheduled": 0, "desiredNumberScheduled": 1, "numberReady": 1, "observedGeneration": 1, "updatedNumberScheduled": 1, "numberAvailable": 1}}),
        json!({"kind": "Job", "apiVersion": "batch/v1", "metadata": meta,
               "spec": {"parallelism": 1, "completions": 1, "activeDeadlineSeconds": 60, "podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In", "values": [1, 2]}}, {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]}, "successPolicy": {"rules": [{"succeededIndexes": "0-2", "succeededCount": 1}]}, "backoffLimit": 6, "selector": selector, "manualSelector": false, "template": template, "ttlSecondsAfterFinished": 100, "completionMode": "Indexed", "suspend": false, "podReplacementPolicy": "Failed"},
               "status": {"conditions": [{"type": "Complete", "status": "True", "lastProbeTime": "2024-05-06T07:08:09Z", "lastTransitionTime": "2024-05-06T07:08:09Z"}], "startTime": "2024-05-06T07:08:09Z", "completionTime": "2024-05-06T07:09:09Z", "succeeded": 1, "completedIndexes": "0", "uncountedTerminatedPods": {}, "ready": 0, "terminating": 0}}),
        json!({"kind": "CronJob", "apiVersion": "batch/v1", "metadata": meta, "spec": {"schedule": "*/5 * * * *", "timeZone": "Etc/UTC", "startingDeadlineSeconds": 30, "concurrencyPolicy": "Forbid", "suspend": false, "jobTemplate": {"metadata": {"creationTimestamp": null}, "spec": {"template": template}}, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}, "status": {"active": [{"kind": "Job", "name": "j"}], "lastScheduleTime": "2024-05-06T07:08:09Z"}}),
        json!({"kind": "Lease", "apiVersion": "coordination.k8s.io/v1", "metadata": meta, "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40, "acquireTime": "2024-05-06T07:08:09.000000Z", "renewTime": "2024-05-06T07:08:09.123456Z", "leaseTransitions": 0}}),
        json!({"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta, "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["p"]}]}),
        json!({"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}], "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]}}),
        json!({"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta, "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "ns"}, {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}}),
        json!({"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta, "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}}),
        json!({"kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1", "metadata": meta, "value": -5, "globalDefault": false, "description": "low", "preemptionPolicy": "Never"}),
        json!({"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": meta, "spec": {"minAvailable": "50%", "selector": selector, "unhealthyPodEvictionPolicy": "AlwaysAllow"}, "status": {"observedGeneration": 1, "disruptedPods": {"p1": "2024-05-06T07:08:09Z", "p2": null}, "disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 2, "conditions": [condition]}}),
        json!({"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": meta, "spec": {"ingressClassName": "nginx", "defaultBackend": {"resource": {"apiGroup": "example.com", "kind": "Bucket", "name": "b"}}, "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}], "rules": [{"host": "a.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "svc", "port": {"number": 80}}}}, {"path": "/api", "pathType": "Exact", "backend": {"service": {"name": "api", "port": {"name": "http"}}}}]}}, {"host": "b.example.com"}]}, "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com", "ports": [{"port": 443, "protocol": "TCP", "error": "Pending"}]}]}}}),
        json!({"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "metadata": meta, "spec": {"audiences": ["api"], "expirationSeconds": 3600, "boundObjectRef": {"kind": "Secret", "apiVersion": "v1", "name": "s", "uid": "u"}}, "status": {"token": "eyJ...", "expirationTimestamp": "2024-05-06T08:08:09Z"}}),
        json!({"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1", "metadata": meta, "spec": {"token": "t", "audiences": ["api"]}, "status": {"authenticated": true, "user": {"username": "alice", "uid": "1", "groups": ["system:authenticated"], "extra": {"scopes": ["a"], "empty": []}}, "audiences": ["api"]}}),
        json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1", "metadata": {"creationTimestamp": null}, "status": {"userInfo": {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]}}}),
        json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {"creationTimestamp": null}, "spec": {"resourceAttributes": {"namespace": "ns", "verb": "list", "group": "apps", "version": "v1", "resource": "deployments", "subresource": "scale", "name": "d", "fieldSelector": {"requirements": [{"key": "metadata.name", "operator": "In", "values": ["d"]}]}, "labelSelector": {"rawSelector": "app=x"}}}, "status": {"allowed": true, "denied": false, "reason": "RBAC: allowed"}}),
        json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {}, "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}}}),
        json!({"kind": "SubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {}, "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}, "user": "bob", "groups": ["g"], "extra": {"k": ["v"]}, "uid": "2"}}),
        json!({"kind": "LocalSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {"namespace": "ns"}, "spec": {"resourceAttributes": {"namespace": "ns", "verb": "get", "resource": "pods"}, "user": "bob"}}),
        json!({"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {}, "spec": {"namespace": "ns"}, "status": {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}], "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": false}}),
        json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0, "preconditions": {"uid": "u", "resourceVersion": "5"}, "orphanDependents": false, "propagationPolicy": "Foreground", "dryRun": ["All"]}),
        json!({"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1", "propagationPolicy": "Background"}),
        json!({"kind": "DeleteOptions", "apiVersion": "apps/v1", "gracePeriodSeconds": 30}),
    ];
    for object in objects {
        round_trip(object);
    }
}

#[test]
fn encode_rejects_values_of_the_wrong_type() {
    let bad = [
        json!({"kind": "ConfigMap", "apiVersion": "v1", "data": {"a": 1}}),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "data": ["a"]}),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "immutable": "yes"}),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "binaryData": {"a": "not base64!"}}),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"creationTimestamp": "yesterday"}}),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"finalizers": "f"}}),
        json!({"kind": "Deployment", "apiVersion": "apps/v1", "spec": {"replicas": 4_294_967_296i64}}),
        json!({"kind": "Service", "apiVersion": "v1", "spec": {"ports": [{"targetPort": true}]}}),
    ];
    for object in bad {
        assert!(
            matches!(encode(&object), Err(ProtobufError::InvalidValue { .. })),
            "{object}"
        );
    }
    assert_eq!(
        encode(&json!({"kind": "ConfigMap"})),
        Err(ProtobufError::MissingTypeMeta)
    );
    assert_eq!(encode(&json!("x")), Err(ProtobufError::MissingTypeMeta));
    assert!(matches!(
        encode(&json!({"kind": "Widget", "apiVersion": "v1"})),
        Err(ProtobufError::UnknownKind { .. })
    ));
    // Unknown JSON fields are dropped, numeric quantities become strings.
    let body = encode(
        &json!({"kind": "ResourceQuota", "apiVersion": "v1", "bogus": 1, "spec": {"hard": {"pods": 10}}}),
    )
    .unwrap();
    assert_eq!(
        decode(&body).unwrap().object,
        json!({"kind": "ResourceQuota", "apiVersion": "v1", "spec": {"hard": {"pods": "10"}}})
    );
}

// ---- property tests ------------------------------------------------------------------------

const FUZZ_KINDS: &[(&str, &str)] = &[
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Node"),
    ("v1", "Event"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "CronJob"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
    ("authorization.k8s.io/v1", "SubjectAccessReview"),
    ("coordination.k8s.io/v1", "Lease"),
];

/// Random but mostly well-formed protobuf: nested length-delimited fields and varints with
/// small field numbers, so the fuzzer reaches deep into the descriptor tables.
fn arb_message() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        (1u32..45, any::<u64>()).prop_map(|(n, v)| vi(n, v)),
        (1u32..45, proptest::collection::vec(any::<u8>(), 0..12)).prop_map(|(n, b)| ld(n, &b)),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        (1u32..45, proptest::collection::vec(inner, 0..6)).prop_map(|(n, parts)| ld(n, &cat(&parts)))
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
        let mut body = MAGIC.to_vec();
        body.extend_from_slice(&bytes);
        let _ = decode(&body);
    }

    #[test]
    fn random_objects_never_panic(
        kind in 0..FUZZ_KINDS.len(),
        parts in proptest::collection::vec(arb_message(), 0..8),
    ) {
        let (api_version, kind) = FUZZ_KINDS[kind];
        let raw = cat(&parts);
        if let Ok(decoded) = decode(&envelope(api_version, kind, &raw)) {
            // Whatever decodes must re-encode, and decode back to the same JSON.
            let body = encode(&decoded.object).unwrap();
            prop_assert_eq!(decode(&body).unwrap(), decoded);
        }
    }
}

#[test]
fn lists_round_trip_as_list_meta_and_items() {
    let list = serde_json::json!({
        "kind": "ConfigMapList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "42", "continue": "abc"},
        "items": [
            {"metadata": {"name": "a", "namespace": "default"}, "data": {"k": "v"}},
            {"metadata": {"name": "b", "namespace": "default"}},
        ],
    });
    let bytes = super::encode(&list).expect("a list encodes");
    let back = super::decode(&bytes).expect("and decodes");
    assert_eq!(back.kind, "ConfigMapList");
    assert_eq!(back.object["metadata"]["resourceVersion"], "42");
    assert_eq!(back.object["items"][0]["data"]["k"], "v");
    assert_eq!(back.object["items"][1]["metadata"]["name"], "b");
    // Not a list of a known kind.
    let odd = serde_json::json!({"kind": "NopeList", "apiVersion": "v1", "items": []});
    assert!(super::encode(&odd).is_err());
}

#[test]
fn watch_events_are_length_prefixed_watch_event_messages() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
    let frame = encode_watch_event("ADDED", &cm).unwrap();
    // WatchEvent{type: 1, object: RawExtension{raw: 1}} with the object's whole body as raw.
    let event = cat(&[st(1, "ADDED"), ld(2, &ld(1, &encode(&cm).unwrap()))]);
    let mut expected = (event.len() as u32).to_be_bytes().to_vec();
    expected.extend_from_slice(&event);
    assert_eq!(frame, expected);

    let status = json!({"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
        "message": "too old resource version: 1 (5)", "reason": "Expired", "code": 410});
    let mut stream = frame.clone();
    stream.extend(encode_watch_event("ERROR", &status).unwrap());
    let (ev, rest) = decode_watch_event(&stream).unwrap().unwrap();
    assert_eq!(
        (ev.event_type.as_str(), &ev.object.object["data"]["k"]),
        ("ADDED", &json!("v"))
    );
    let (ev, rest) = decode_watch_event(rest).unwrap().unwrap();
    assert_eq!(ev.event_type, "ERROR");
    assert_eq!(ev.object.object["code"], 410);
    assert_eq!(ev.object.object["reason"], "Expired");
    assert!(rest.is_empty());
    // A partial frame waits for more bytes.
    assert!(decode_watch_event(&frame[..frame.len() - 1]).unwrap().is_none());
    assert!(decode_watch_event(&frame[..3]).unwrap().is_none());
}
