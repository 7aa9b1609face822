//! Protobuf against JSON: encoding and decoding a PodList of 1,000 realistic pods, side by
//! side in one run. Prints a Markdown table; checks nothing.
//!
//! `cargo bench -p gatehouse-core --bench codec`

// A benchmark reads the clock; the core's own code may not (core/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use gatehouse_core::codec::protobuf;
use serde_json::{json, Value};

fn pod(i: usize) -> Value {
    json!({
        "metadata": {
            "name": format!("web-7c9f8d6b5-{i:05}"),
            "generateName": "web-7c9f8d6b5-",
            "namespace": "default",
            "uid": format!("4f2d8a1e-0000-4000-8000-{i:012}"),
            "resourceVersion": (100_000 + i).to_string(),
            "creationTimestamp": "2026-11-29T10:00:00Z",
            "labels": {"app": "web", "pod-template-hash": "7c9f8d6b5", "tier": "frontend"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-29T09:59:00Z"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7c9f8d6b5",
                "uid": "9a1b2c3d-0000-4000-8000-000000000001", "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "containers": [{
                "name": "web", "image": "registry.example/web:1.4.2",
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "MODE", "value": "production"}, {"name": "POD_NAME",
                    "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                    "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent"
            }],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "serviceAccount": "default",
            "nodeName": format!("node-{}", i % 50), "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                "effect": "NoExecute", "tolerationSeconds": 300}],
            "priority": 0, "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority"
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-29T10:00:05Z"}],
            "hostIP": "10.0.0.7", "podIP": format!("10.244.{}.{}", i / 250, i % 250),
            "podIPs": [{"ip": format!("10.244.{}.{}", i / 250, i % 250)}],
            "startTime": "2026-11-29T10:00:01Z", "qosClass": "Burstable",
            "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0, "started": true,
                "image": "registry.example/web:1.4.2", "imageID": "registry.example/web@sha256:0123",
                "containerID": format!("containerd://{i:064}"),
                "state": {"running": {"startedAt": "2026-11-29T10:00:03Z"}}, "lastState": {}}]
        }
    })
}

/// Runs `f` repeatedly for about `budget` and returns the mean time per run.
fn time(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < budget || runs < 5 {
        f();
        runs += 1;
    }
    start.elapsed() / runs
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let budget = Duration::from_millis(if quick { 300 } else { 3000 });
    let items: Vec<Value> = (0..1000).map(pod).collect();
    let list = json!({"kind": "PodList", "apiVersion": "v1",
        "metadata": {"resourceVersion": "200000"}, "items": items});

    let json_bytes = serde_json::to_vec(&list).expect("JSON encodes");
    let pb_bytes = protobuf::encode(&list).expect("protobuf encodes");
    // Both forms carry the same pods.
    let back = protobuf::decode(&pb_bytes).expect("protobuf decodes");
    assert_eq!(back.object["items"].as_array().map(Vec::len), Some(1000));
    assert_eq!(
        back.object["items"][999]["status"]["podIP"],
        list["items"][999]["status"]["podIP"]
    );

    let json_enc = time(budget, || {
        black_box(serde_json::to_vec(black_box(&list)).ok());
    });
    let pb_enc = time(budget, || {
        black_box(protobuf::encode(black_box(&list)).ok());
    });
    let json_dec = time(budget, || {
        black_box(serde_json::from_slice::<Value>(black_box(&json_bytes)).ok());
    });
    let pb_dec = time(budget, || {
        black_box(protobuf::decode(black_box(&pb_bytes)).ok());
    });
    let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
    println!("| PodList of 1,000 pods | JSON | protobuf | protobuf / JSON |");
    println!("|---|---:|---:|---:|");
    println!(
        "| size (KiB) | {:.1} | {:.1} | {:.2} |",
        json_bytes.len() as f64 / 1024.0,
        pb_bytes.len() as f64 / 1024.0,
        pb_bytes.len() as f64 / json_bytes.len() as f64
    );
    println!(
        "| encode (ms) | {} | {} | {:.2} |",
        ms(json_enc),
        ms(pb_enc),
        pb_enc.as_secs_f64() / json_enc.as_secs_f64()
    );
    println!(
        "| decode (ms) | {} | {} | {:.2} |",
        ms(json_dec),
        ms(pb_dec),
        pb_dec.as_secs_f64() / json_dec.as_secs_f64()
    );
}
