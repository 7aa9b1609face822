//! The built-in admission plugins end to end with real kubectl: the default chain gives pods
//! their default tolerations and priority, new nodes the not-ready taint, claims the default
//! StorageClass and their protection finalizer; a missing PriorityClass is refused with
//! kube's message and nothing stored; a deleted claim stays while a pod uses it, then goes;
//! `--enable-admission-plugins` and
//! `--disable-admission-plugins` change the chain, and an unknown plugin refuses start-up.

use clap::Parser;
use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

fn pod_manifest(ns: &str, name: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
spec:
  containers:
  - name: c
    image: registry.example/app:1
    imagePullPolicy: IfNotPresent
{extra_spec}"
    )
}

/// A new namespace, once its default service account (which the ServiceAccount plugin
/// requires of a pod) is there.
async fn namespace(k: &Kubectl, label: &str) -> String {
    let ns = unique(label);
    k.ok(&["create", "namespace", &ns]).await;
    wait_for("the default service account", || async {
        k.run(&["get", "serviceaccount", "default", "-n", &ns])
            .await
            .success()
            .then_some(())
    })
    .await;
    ns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_gets_the_default_tolerations_and_priority() {
    let server = SERVER.get().await;
    let dir = TempDir::new("admission-pod");
    let k = server.kubectl(&dir);
    let ns = namespace(&k, "adm-pod").await;
    let file = dir.write("pod.yaml", pod_manifest(&ns, "plain", ""));
    k.ok(&["create", "-f", file.to_str().unwrap()]).await;
    let pod = k.json(&["get", "pod", "plain", "-n", &ns, "-o", "json"]).await;
    assert_eq!(
        pod["spec"]["tolerations"],
        json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        ]),
        "{pod}"
    );
    // No class named and no global default: priority 0.
    assert_eq!(pod["spec"]["priority"], 0, "{pod}");
    assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_node_is_tainted_not_ready() {
    let server = SERVER.get().await;
    let dir = TempDir::new("admission-node");
    let k = server.kubectl(&dir);
    let name = unique("adm-node");
    let file = dir.write(
        "node.yaml",
        format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n"),
    );
    k.ok(&["create", "-f", file.to_str().unwrap()]).await;
    let node = k.json(&["get", "node", &name, "-o", "json"]).await;
    assert_eq!(
        node["spec"]["taints"],
        json!([{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]),
        "{node}"
    );
    k.ok(&["delete", "node", &name]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_priority_class_gives_its_priority_and_a_missing_one_is_refused() {
    let server = SERVER.get().await;
    let dir = TempDir::new("admission-priority");
    let k = server.kubectl(&dir);
    let ns = namespace(&k, "adm-prio").await;
    // The system classes exist from start-up, with kube's values.
    let system = k
        .json(&["get", "priorityclass", "system-node-critical", "-o", "json"])
        .await;
    assert_eq!(system["value"], 2_000_001_000i64);
    assert_eq!(
        system["description"],
        "Used for system critical pods that must not be moved from their current node."
    );
    let class = unique("adm-high");
    k.ok(&[
        "create",
        "priorityclass",
        &class,
        "--value=1000",
        "--preemption-policy=Never",
    ])
    .await;
    let file = dir.write(
        "high.yaml",
        pod_manifest(&ns, "high", &format!("  priorityClassName: {class}\n")),
    );
    k.ok(&["create", "-f", file.to_str().unwrap()]).await;
    let pod = k.json(&["get", "pod", "high", "-n", &ns, "-o", "json"]).await;
    assert_eq!(pod["spec"]["priority"], 1000, "{pod}");
    assert_eq!(pod["spec"]["preemptionPolicy"], "Never", "{pod}");

    let file = dir.write(
        "missing.yaml",
        pod_manifest(&ns, "missing", "  priorityClassName: no-such-class\n"),
    );
    let out = k.fails(&["create", "-f", file.to_str().unwrap()]).await;
    assert!(
        out.stderr
            .contains("Error from server (Forbidden): error when creating \"",)
            && out.stderr.contains(
                "pods \"missing\" is forbidden: no PriorityClass with name no-such-class was found"
            ),
        "{out}"
    );
    let out = k.fails(&["get", "pod", "missing", "-n", &ns]).await;
    assert!(out.stderr.contains("NotFound"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_gets_the_default_storage_class_and_its_finalizer() {
    let server = Server::start(Options::tokio().memory()).await;
    let dir = TempDir::new("admission-pvc");
    let k = server.kubectl(&dir);
    let ns = namespace(&k, "adm-pvc").await;
    let sc = dir.write(
        "sc.yaml",
        "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: \"true\"
provisioner: example.com/disk
",
    );
    k.ok(&["create", "-f", sc.to_str().unwrap()]).await;
    let pvc = dir.write(
        "pvc.yaml",
        format!(
            "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: {ns}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"
        ),
    );
    let pvc = pvc.to_str().unwrap();
    // The plugin reads classes as kube's does from its informer: wait until it sees this one.
    wait_for("the default class seen by admission", || async {
        let out = k
            .run(&["create", "-f", pvc, "--dry-run=server", "-o", "json"])
            .await;
        (out.success() && parse_json(&out.stdout)["spec"]["storageClassName"] == "standard").then_some(())
    })
    .await;
    k.ok(&["create", "-f", pvc]).await;
    let got = k.json(&["get", "pvc", "data", "-n", &ns, "-o", "json"]).await;
    assert_eq!(got["spec"]["storageClassName"], "standard", "{got}");
    assert_eq!(
        got["metadata"]["finalizers"],
        json!(["kubernetes.io/pvc-protection"]),
        "{got}"
    );
    // While a pod uses the claim, a delete leaves it terminating; once the pod is gone, the
    // finalizer is lifted and the claim goes.
    let pod = dir.write(
        "user.yaml",
        pod_manifest(
            &ns,
            "user",
            "  volumes:\n  - name: d\n    persistentVolumeClaim:\n      claimName: data\n",
        ),
    );
    k.ok(&["create", "-f", pod.to_str().unwrap()]).await;
    k.ok(&["delete", "pvc", "data", "-n", &ns, "--wait=false"]).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let held = k.json(&["get", "pvc", "data", "-n", &ns, "-o", "json"]).await;
    assert!(held["metadata"]["deletionTimestamp"].is_string(), "{held}");
    k.ok(&["delete", "pod", "user", "-n", &ns, "--grace-period=0", "--force"])
        .await;
    wait_for("the claim to go", || async {
        let out = k.run(&["get", "pvc", "data", "-n", &ns]).await;
        out.stderr.contains("NotFound").then_some(())
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flags_enable_and_disable_plugins() {
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--enable-admission-plugins=AlwaysPullImages,NamespaceAutoProvision")
            .arg("--disable-admission-plugins=DefaultTolerationSeconds"),
    )
    .await;
    let dir = TempDir::new("admission-flags");
    let k = server.kubectl(&dir);
    let ns = namespace(&k, "adm-flags").await;
    let file = dir.write("pod.yaml", pod_manifest(&ns, "p", ""));
    k.ok(&["create", "-f", file.to_str().unwrap()]).await;
    let pod = k.json(&["get", "pod", "p", "-n", &ns, "-o", "json"]).await;
    assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "Always", "{pod}");
    assert!(pod["spec"].get("tolerations").is_none(), "{pod}");
    // NamespaceAutoProvision: a create in a namespace nobody made makes it.
    let fresh = unique("adm-auto");
    k.ok(&["create", "configmap", "c", "-n", &fresh, "--from-literal=k=v"])
        .await;
    let ns = k.json(&["get", "namespace", &fresh, "-o", "json"]).await;
    assert_eq!(ns["status"]["phase"], "Active", "{ns}");
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        fresh.as_str(),
        "{ns}"
    );
    server.stop().await;
}

#[test]
fn an_unknown_plugin_refuses_start_up_with_kubes_message() {
    let dir = TempDir::new("admission-unknown");
    let flags = gatehouse_host::flags::Flags::try_parse_from([
        "gatehouse".to_string(),
        format!("--data-dir={}", dir.path().display()),
        "--enable-admission-plugins=AlwaysPullImages,NoSuchPlugin".to_string(),
    ])
    .expect("flags parse");
    let err = gatehouse_host::launch::prepare(&flags)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("enable-admission-plugins plugin \"NoSuchPlugin\" is unknown"),
        "{err}"
    );
}
