//! Printer for core/v1 Pod: readiness, the aggregate STATUS reason, and
//! restarts, computed the way kube-apiserver's `printPod` does.

use serde_json::Value;

use super::fields::{bool_at, int_at, items, name, obj_at, present, str_at};
use super::timestamp::{ago, time_of, Time};
use super::{age, col, wide, Column, AGE, NAME};

/// Columns of `kubectl get pods`.
pub(super) const COLUMNS: &[Column] = &[
    NAME,
    col(
        "Ready",
        "string",
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    col(
        "Status",
        "string",
        "The aggregate status of the containers in this pod.",
    ),
    col(
        "Restarts",
        "string",
        "How many times the containers in this pod have restarted, and how long ago the last restart was.",
    ),
    AGE,
    wide(col("IP", "string", "The IP address allocated to the pod.")),
    wide(col("Node", "string", "The node the pod is scheduled onto.")),
    wide(col(
        "Nominated Node",
        "string",
        "The node the scheduler nominated for the pod after preempting others.",
    )),
    wide(col(
        "Readiness Gates",
        "string",
        "How many of the pod's readiness gates are satisfied.",
    )),
];

/// The restart count and latest restart time of a group of containers.
#[derive(Default)]
struct Restarts {
    count: i64,
    last: Option<Time>,
}

impl Restarts {
    fn add(&mut self, status: &Value) {
        self.count = self.count.saturating_add(int_at(status, &["restartCount"]));
        if let Some(term) = obj_at(status, &["lastState", "terminated"]) {
            if let Some(t) = time_of(term.get("finishedAt")) {
                if self.last.is_none_or(|l| l < t) {
                    self.last = Some(t);
                }
            }
        }
    }
}

/// NAME, READY, STATUS, RESTARTS, AGE | IP, NODE, NOMINATED NODE, READINESS GATES.
pub(super) fn cells(pod: &Value, now: i64) -> Vec<Value> {
    let init_specs = items(pod, &["spec", "initContainers"]);
    let conditions = items(pod, &["status", "conditions"]);
    // Sidecars (restartable init containers) count as regular containers.
    let total =
        items(pod, &["spec", "containers"]).len() + init_specs.iter().filter(|c| is_sidecar(c)).count();
    let mut ready = 0usize;
    let mut restarts = Restarts::default();
    let mut sidecar_restarts = Restarts::default();

    let phase = str_at(pod, &["status", "phase"]);
    let mut reason = match str_at(pod, &["status", "reason"]) {
        "" => phase.to_owned(),
        r => r.to_owned(),
    };
    if conditions
        .iter()
        .any(|c| str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated")
    {
        reason = "SchedulingGated".to_owned();
    }

    let mut initializing = false;
    for (i, cs) in items(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        restarts.add(cs);
        let sidecar = sidecar_named(init_specs, str_at(cs, &["name"]));
        if sidecar {
            sidecar_restarts.add(cs);
        }
        let terminated = obj_at(cs, &["state", "terminated"]);
        let waiting_reason = obj_at(cs, &["state", "waiting"]).map(|w| str_at(w, &["reason"]));
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && bool_at(cs, &["started"]) {
            if bool_at(cs, &["ready"]) {
                ready += 1;
            }
            continue;
        }
        reason = if let Some(t) = terminated {
            // The init container failed.
            match str_at(t, &["reason"]) {
                "" => match int_at(t, &["signal"]) {
                    0 => format!("Init:ExitCode:{}", int_at(t, &["exitCode"])),
                    sig => format!("Init:Signal:{sig}"),
                },
                r => format!("Init:{r}"),
            }
        } else {
            match waiting_reason {
                Some(r) if !r.is_empty() && r != "PodInitializing" => format!("Init:{r}"),
                _ => format!("Init:{i}/{}", init_specs.len()),
            }
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true(conditions, "Initialized") {
        restarts = sidecar_restarts;
        let mut has_running = false;
        // In reverse, so the first container's state has the last word.
        for cs in items(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts.add(cs);
            let waiting = obj_at(cs, &["state", "waiting"]).map(|w| str_at(w, &["reason"]));
            let terminated = obj_at(cs, &["state", "terminated"]);
            if let Some(r) = waiting.filter(|r| !r.is_empty()) {
                reason = r.to_owned();
            } else if let Some(t) = terminated {
                reason = match (str_at(t, &["reason"]), int_at(t, &["signal"])) {
                    ("", 0) => format!("ExitCode:{}", int_at(t, &["exitCode"])),
                    ("", sig) => format!("Signal:{sig}"),
                    (r, _) => r.to_owned(),
                };
            } else if bool_at(cs, &["ready"]) && obj_at(cs, &["state", "running"]).is_some() {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose remaining containers still run is not "Completed".
        if reason == "Completed" && has_running {
            reason = if condition_true_any(conditions, "Ready") {
                "Running".to_owned()
            } else {
                "NotReady".to_owned()
            };
        }
    }

    if present(pod, &["metadata", "deletionTimestamp"]) {
        if str_at(pod, &["status", "reason"]) == "NodeLost" {
            reason = "Unknown".to_owned();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_owned();
        }
    }

    let restarts_cell = match restarts.last {
        Some(t) if restarts.count != 0 => {
            format!("{} ({} ago)", restarts.count, ago(t, now))
        }
        _ => restarts.count.to_string(),
    };

    vec![
        name(pod),
        Value::from(format!("{ready}/{total}")),
        Value::from(reason),
        Value::from(restarts_cell),
        age(pod, now),
        Value::from(or_none(pod_ip(pod))),
        Value::from(or_none(str_at(pod, &["spec", "nodeName"]))),
        Value::from(or_none(str_at(pod, &["status", "nominatedNodeName"]))),
        Value::from(readiness_gates(pod, conditions)),
    ]
}

fn is_sidecar(container: &Value) -> bool {
    str_at(container, &["restartPolicy"]) == "Always"
}

/// Whether the init container spec named `name` is a sidecar; with duplicate
/// names the last spec wins, as with a Go map built over the list.
fn sidecar_named(specs: &[Value], name: &str) -> bool {
    specs
        .iter()
        .rev()
        .find(|c| str_at(c, &["name"]) == name)
        .is_some_and(is_sidecar)
}

/// The status of the first condition of `type_` is "True".
fn condition_true(conditions: &[Value], type_: &str) -> bool {
    conditions
        .iter()
        .find(|c| str_at(c, &["type"]) == type_)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

/// Some condition of `type_` has status "True".
fn condition_true_any(conditions: &[Value], type_: &str) -> bool {
    conditions
        .iter()
        .any(|c| str_at(c, &["type"]) == type_ && str_at(c, &["status"]) == "True")
}

/// The primary pod IP: `podIP` wins over `podIPs[0]`, as in the v1-to-internal
/// conversion.
fn pod_ip(pod: &Value) -> &str {
    match str_at(pod, &["status", "podIP"]) {
        "" => items(pod, &["status", "podIPs"])
            .first()
            .map_or("", |p| str_at(p, &["ip"])),
        ip => ip,
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "<none>"
    } else {
        s
    }
}

/// "true/total" over the pod's readiness gates, `"<none>"` without gates.
fn readiness_gates(pod: &Value, conditions: &[Value]) -> String {
    let gates = items(pod, &["spec", "readinessGates"]);
    if gates.is_empty() {
        return "<none>".to_owned();
    }
    let satisfied = gates
        .iter()
        .filter(|g| condition_true(conditions, str_at(g, &["conditionType"])))
        .count();
    format!("{satisfied}/{}", gates.len())
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::{json, Value};

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    fn pod(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "p", "creationTimestamp": "2024-05-01T09:55:00Z"},
               "spec": spec, "status": status})
    }

    fn head(p: &Value) -> Vec<Value> {
        row_cells("", "Pod", p, NOW)[1..4].to_vec()
    }

    fn running(ready: bool, restarts: i64) -> Value {
        json!({"name": "c", "ready": ready, "restartCount": restarts, "state": {"running": {}}})
    }

    #[test]
    fn running_pod_full_row() {
        let p = json!({
            "metadata": {"name": "nginx", "creationTimestamp": "2024-05-01T09:55:00Z"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "nginx"}, {"name": "log"}]},
            "status": {"phase": "Running", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}],
                       "containerStatuses": [running(true, 0), running(false, 0)]}
        });
        assert_eq!(
            row_cells("", "Pod", &p, NOW),
            vec![
                json!("nginx"),
                json!("1/2"),
                json!("Running"),
                json!("0"),
                json!("5m"),
                json!("10.244.0.5"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn pending_and_container_creating() {
        let spec = json!({"containers": [{"name": "c"}]});
        assert_eq!(
            head(&pod(spec.clone(), json!({"phase": "Pending"}))),
            [json!("0/1"), json!("Pending"), json!("0")]
        );
        let waiting = json!({"phase": "Pending", "containerStatuses": [
            {"name": "c", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]});
        assert_eq!(
            head(&pod(spec.clone(), waiting)),
            [json!("0/1"), json!("ContainerCreating"), json!("0")]
        );
        let crash = json!({"phase": "Running", "containerStatuses": [
            {"name": "c", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-05-01T09:58:00Z"}}}]});
        assert_eq!(
            head(&pod(spec.clone(), crash)),
            [json!("0/1"), json!("CrashLoopBackOff"), json!("4 (2m ago)")]
        );
        let gated = json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]});
        assert_eq!(head(&pod(spec, gated))[1], json!("SchedulingGated"));
    }

    #[test]
    fn completed_and_terminated_reasons() {
        let spec = json!({"containers": [{"name": "a"}, {"name": "b"}]});
        let done = json!({"phase": "Succeeded", "containerStatuses": [
            {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
            {"name": "b", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]});
        assert_eq!(
            head(&pod(spec.clone(), done)),
            [json!("0/2"), json!("Completed"), json!("0")]
        );

        // One container finished, the other still runs: back to Running/NotReady.
        let mixed = |ready_cond: &str| {
            json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": ready_cond}],
            "containerStatuses": [
                {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                {"name": "b", "ready": true, "state": {"running": {}}}]})
        };
        assert_eq!(head(&pod(spec.clone(), mixed("True")))[1], json!("Running"));
        assert_eq!(head(&pod(spec.clone(), mixed("False")))[1], json!("NotReady"));

        let killed = json!({"phase": "Failed", "containerStatuses": [
            {"name": "a", "state": {"terminated": {"exitCode": 137, "signal": 9}}},
            {"name": "b", "state": {"terminated": {"exitCode": 2}}}]});
        // The first container's state is applied last and wins.
        assert_eq!(head(&pod(spec, killed))[1], json!("Signal:9"));
    }

    #[test]
    fn init_containers() {
        let spec = json!({"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "c"}]});
        let first_running = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "state": {"running": {}}}, {"name": "i2", "state": {"waiting": {"reason": "PodInitializing"}}}]});
        assert_eq!(head(&pod(spec.clone(), first_running))[1], json!("Init:0/2"));
        let second = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "state": {"terminated": {"exitCode": 0}}},
            {"name": "i2", "state": {"waiting": {"reason": "PodInitializing"}}}]});
        assert_eq!(head(&pod(spec.clone(), second))[1], json!("Init:1/2"));
        let failed = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "restartCount": 3, "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}],
            "containerStatuses": [{"name": "c", "restartCount": 9, "state": {"waiting": {"reason": "PodInitializing"}}}]});
        // Regular containers are ignored while initializing.
        assert_eq!(
            head(&pod(spec.clone(), failed)),
            [json!("0/1"), json!("Init:Error"), json!("3")]
        );
        let crash = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]});
        assert_eq!(head(&pod(spec.clone(), crash))[1], json!("Init:CrashLoopBackOff"));
        let exit = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "state": {"terminated": {"exitCode": 3}}}]});
        assert_eq!(head(&pod(spec.clone(), exit))[1], json!("Init:ExitCode:3"));
        let sig = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "state": {"terminated": {"exitCode": 3, "signal": 15}}}]});
        assert_eq!(head(&pod(spec, sig))[1], json!("Init:Signal:15"));
    }

    #[test]
    fn sidecars_count_as_containers() {
        let spec = json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
                          "containers": [{"name": "app"}]});
        let status = json!({"phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
            "initContainerStatuses": [{"name": "proxy", "started": true, "ready": true, "restartCount": 2,
                "state": {"running": {}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-05-01T07:00:00Z"}}}],
            "containerStatuses": [{"name": "app", "ready": true, "restartCount": 1, "state": {"running": {}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-05-01T09:00:00Z"}}}]});
        assert_eq!(
            head(&pod(spec, status)),
            [json!("2/2"), json!("Running"), json!("3 (60m ago)")]
        );
    }

    #[test]
    fn deletion() {
        let mut p = pod(
            json!({"containers": [{"name": "c"}]}),
            json!({"phase": "Running", "containerStatuses": [running(true, 0)]}),
        );
        p["metadata"]["deletionTimestamp"] = json!("2024-05-01T09:59:00Z");
        assert_eq!(head(&p)[1], json!("Terminating"));
        p["status"]["reason"] = json!("NodeLost");
        assert_eq!(head(&p)[1], json!("Unknown"));
        p["status"] = json!({"phase": "Succeeded"});
        assert_eq!(head(&p)[1], json!("Succeeded"));
    }

    #[test]
    fn wide_cells() {
        let p = pod(
            json!({"containers": [], "readinessGates": [{"conditionType": "a"}, {"conditionType": "b"}]}),
            json!({"podIPs": [{"ip": "fd00::5"}], "nominatedNodeName": "n2",
                   "conditions": [{"type": "a", "status": "True"}, {"type": "b", "status": "False"}]}),
        );
        assert_eq!(
            row_cells("", "Pod", &p, NOW)[5..],
            [json!("fd00::5"), json!("<none>"), json!("n2"), json!("1/2")]
        );
    }
}
