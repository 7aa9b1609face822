//! LimitRanger and ResourceQuota end to end with real kubectl: a LimitRange's defaults land
//! on a pod, a pod over its maximum is refused in kube's words and not stored, a quota
//! refuses what would take the namespace past it, and deleting frees the quota again.

use gatehouse_tests::*;
use serde_json::Value;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

fn pod_manifest(ns: &str, name: &str, resources: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: busybox\n    resources: {resources}\n"
    )
}

/// Waits until the quota's `status.used[resource]` is `want`.
async fn wait_used(k: &Kubectl, ns: &str, quota: &str, resource: &str, want: &str) -> Value {
    wait_for(&format!("{quota} used {resource}={want}"), || async {
        let out = k
            .run(&["get", "resourcequota", quota, "-n", ns, "-o", "json"])
            .await;
        if !out.success() {
            return None;
        }
        let q = parse_json(&out.stdout);
        (q["status"]["used"][resource] == want).then_some(q)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_range_defaults_pods_and_refuses_one_over_its_maximum() {
    let server = SERVER.get().await;
    let dir = TempDir::new("limit-range");
    let k = server.kubectl(&dir);
    let ns = unique("limits");
    k.ok(&["create", "namespace", &ns]).await;
    let range = dir.write(
        "range.yaml",
        format!(
            "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: lr\n  namespace: {ns}\nspec:\n  limits:\n  - type: Container\n    default: {{cpu: 500m, memory: 256Mi}}\n    defaultRequest: {{cpu: 250m}}\n    max: {{cpu: \"1\", memory: 1Gi}}\n"
        ),
    );
    k.ok(&["apply", "-f", range.to_str().unwrap()]).await;
    // The plugin reads the watch cache: wait until the range is there to be read.
    wait_for("the LimitRange", || async {
        k.run(&["get", "limitrange", "lr", "-n", &ns])
            .await
            .success()
            .then_some(())
    })
    .await;

    let plain = dir.write("plain.yaml", pod_manifest(&ns, "plain", "{}"));
    k.ok(&["apply", "-f", plain.to_str().unwrap()]).await;
    let pod = k.json(&["get", "pod", "plain", "-n", &ns, "-o", "json"]).await;
    assert_eq!(
        pod["spec"]["containers"][0]["resources"],
        serde_json::json!({"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}})
    );
    assert_eq!(
        pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"
    );

    let big = dir.write(
        "big.yaml",
        pod_manifest(&ns, "big", "{limits: {cpu: \"2\", memory: 2Gi}}"),
    );
    let out = k.fails(&["apply", "-f", big.to_str().unwrap()]).await;
    assert!(
        out.stderr.contains(
            "pods \"big\" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]"
        ),
        "{out}"
    );
    let gone = k.fails(&["get", "pod", "big", "-n", &ns]).await;
    assert!(gone.stderr.contains("NotFound"), "{gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_refuses_the_pod_too_many_and_is_freed_by_a_delete() {
    let server = SERVER.get().await;
    let dir = TempDir::new("quota");
    let k = server.kubectl(&dir);
    let ns = unique("quota");
    k.ok(&["create", "namespace", &ns]).await;
    k.ok(&["create", "quota", "q", "--hard=pods=1,configmaps=5", "-n", &ns])
        .await;
    // The controller counts what is there before anything is charged.
    let q = wait_used(&k, &ns, "q", "pods", "0").await;
    assert_eq!(
        q["status"]["hard"],
        serde_json::json!({"configmaps": "5", "pods": "1"})
    );

    k.ok(&["run", "one", "--image=busybox", "--restart=Never", "-n", &ns])
        .await;
    wait_used(&k, &ns, "q", "pods", "1").await;

    let out = k
        .fails(&["run", "two", "--image=busybox", "--restart=Never", "-n", &ns])
        .await;
    assert!(
        out.stderr.contains(
            "Error from server (Forbidden): pods \"two\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1"
        ),
        "{out}"
    );
    let gone = k.fails(&["get", "pod", "two", "-n", &ns]).await;
    assert!(gone.stderr.contains("NotFound"), "{gone}");

    // A dry run is checked but not charged (the namespace's kube-root-ca.crt counts, as
    // in kube).
    let q = wait_used(&k, &ns, "q", "configmaps", "1").await;
    k.ok(&["create", "configmap", "c", "-n", &ns, "--dry-run=server"])
        .await;
    assert_eq!(q["status"]["used"]["configmaps"], "1");
    let q = k
        .json(&["get", "resourcequota", "q", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(q["status"]["used"]["configmaps"], "1");

    let described = k.ok(&["describe", "quota", "q", "-n", &ns]).await;
    let rows: Vec<Vec<&str>> = described
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(rows.contains(&vec!["pods", "1", "1"]), "{described}");
    assert!(rows.contains(&vec!["configmaps", "1", "5"]), "{described}");

    k.ok(&["delete", "pod", "one", "-n", &ns, "--grace-period=0", "--force"])
        .await;
    wait_used(&k, &ns, "q", "pods", "0").await;
    k.ok(&["run", "two", "--image=busybox", "--restart=Never", "-n", &ns])
        .await;
    wait_used(&k, &ns, "q", "pods", "1").await;
}
