//! The PodSecurity admission plugin end to end with real kubectl: a namespace's enforce
//! label refuses violating pods with kube's message and stores nothing, its warn label
//! gives kubectl's `Warning:` lines, pod controllers are only warned about, a
//! PodSecurityConfiguration given through `--admission-control-config-file` sets the
//! defaults and exemptions, and relabelling a namespace (also as a server dry run) warns
//! about the pods already there.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
const WARN: &str = "pod-security.kubernetes.io/warn";

/// A pod with one privileged container named `c`.
fn privileged_pod(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
spec:
  containers:
  - name: c
    image: registry.k8s.io/pause
    securityContext:
      privileged: true
"
    )
}

/// What `restricted` says of [`privileged_pod`], in kube's order (baseline checks first).
const RESTRICTED_VIOLATIONS: &str = "privileged (container \"c\" must not set securityContext.privileged=true), \
allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), \
unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), \
runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), \
seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

const BASELINE_VIOLATIONS: &str = "privileged (container \"c\" must not set securityContext.privileged=true)";

async fn labelled_namespace(k: &Kubectl, prefix: &str, label: &str) -> String {
    let ns = unique(prefix);
    k.ok(&["create", "namespace", &ns]).await;
    k.ok(&["label", "namespace", &ns, label]).await;
    ns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_restricted_refuses_a_privileged_pod_and_stores_nothing() {
    let server = SERVER.get().await;
    let dir = TempDir::new("psa-enforce");
    let k = server.kubectl(&dir);
    let ns = labelled_namespace(&k, "psa-enforce", &format!("{ENFORCE}=restricted")).await;
    let file = dir.write("pod.yaml", privileged_pod("x", &ns));
    let file = file.display().to_string();
    let out = k.fails(&["create", "-f", &file]).await;
    assert!(
        out.stderr.contains(&format!(
            "Error from server (Forbidden): error when creating \"{file}\": pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\": {RESTRICTED_VIOLATIONS}"
        )),
        "{out}"
    );
    let out = k.fails(&["get", "pod", "x", "-n", &ns]).await;
    assert!(out.stderr.contains("pods \"x\" not found"), "{out}");

    // A compliant pod is created; an update changing no image is not checked again.
    let good = format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: good
  namespace: {ns}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: c
    image: registry.k8s.io/pause
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
"
    );
    let good = dir.write("good.yaml", good);
    let out = k.run(&["create", "-f", &good.display().to_string()]).await;
    assert!(out.success() && !out.stderr.contains("Warning"), "{out}");
    k.ok(&["label", "pod", "good", "-n", &ns, "a=b"]).await;

    // An invalid level on the namespace is refused with kube's 422.
    let out = k
        .fails(&[
            "label",
            "namespace",
            &ns,
            &format!("{ENFORCE}=bogus"),
            "--overwrite",
        ])
        .await;
    assert!(
        out.stderr.contains(&format!(
            "The Namespace \"{ns}\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"bogus\": must be one of privileged, baseline, restricted"
        )),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_gives_kubectls_warning_and_the_pod_is_created() {
    let server = SERVER.get().await;
    let dir = TempDir::new("psa-warn");
    let k = server.kubectl(&dir);
    let ns = labelled_namespace(&k, "psa-warn", &format!("{WARN}=baseline")).await;
    let file = dir.write("pod.yaml", privileged_pod("w", &ns));
    let out = k.run(&["create", "-f", &file.display().to_string()]).await;
    assert!(out.success(), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "Warning: would violate PodSecurity \"baseline:latest\": {BASELINE_VIOLATIONS}"
        )),
        "{out}"
    );
    k.ok(&["get", "pod", "w", "-n", &ns]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_with_a_violating_template_is_warned_about_and_created() {
    let server = SERVER.get().await;
    let dir = TempDir::new("psa-deploy");
    let k = server.kubectl(&dir);
    let ns = labelled_namespace(&k, "psa-deploy", &format!("{ENFORCE}=restricted")).await;
    let deployment = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: {ns}
spec:
  selector:
    matchLabels: {{app: d}}
  template:
    metadata:
      labels: {{app: d}}
    spec:
      containers:
      - name: c
        image: registry.k8s.io/pause
        securityContext:
          privileged: true
"
    );
    let file = dir.write("deploy.yaml", deployment);
    let out = k.run(&["create", "-f", &file.display().to_string()]).await;
    assert!(out.success(), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "Warning: would violate PodSecurity \"restricted:latest\": {RESTRICTED_VIOLATIONS}"
        )),
        "{out}"
    );
    k.ok(&["get", "deployment", "d", "-n", &ns]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relabelling_a_namespace_warns_about_its_pods_also_on_a_dry_run() {
    let server = SERVER.get().await;
    let dir = TempDir::new("psa-relabel");
    let k = server.kubectl(&dir);
    let ns = unique("psa-relabel");
    k.ok(&["create", "namespace", &ns]).await;
    let file = dir.write("pod.yaml", privileged_pod("p", &ns));
    k.ok(&["create", "-f", &file.display().to_string()]).await;
    let label = format!("{ENFORCE}=restricted");
    // The pods are read from the watch cache, which follows storage.
    let out = wait_for("the dry run to name the existing pod", || async {
        let out = k
            .run(&["label", "namespace", &ns, &label, "--dry-run=server"])
            .await;
        (out.success() && out.stderr.contains("Warning: p: ")).then_some(out)
    })
    .await;
    assert!(
        out.stderr.contains(&format!(
            "Warning: existing pods in namespace \"{ns}\" violate the new PodSecurity enforce level \"restricted:latest\"\n\
             Warning: p: privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
        )),
        "{out}"
    );
    // The dry run changed nothing.
    let labels = k.json(&["get", "namespace", &ns, "-o", "json"]).await;
    assert!(labels["metadata"]["labels"].get(ENFORCE).is_none(), "{labels}");
    // The real relabel warns the same, and the namespace now refuses such pods.
    let out = k.run(&["label", "namespace", &ns, &label]).await;
    assert!(
        out.success() && out.stderr.contains("Warning: p: privileged"),
        "{out}"
    );
    let again = dir.write("pod2.yaml", privileged_pod("q", &ns));
    let out = k.fails(&["create", "-f", &again.display().to_string()]).await;
    assert!(
        out.stderr
            .contains("pods \"q\" is forbidden: violates PodSecurity"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_file_sets_defaults_and_exemptions() {
    let dir = TempDir::new("psa-config");
    let exempt = unique("psa-exempt");
    let config = format!(
        "apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
    exemptions:
      namespaces: [{exempt}]
"
    );
    let path = dir.write("admission.yaml", config);
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--admission-control-config-file={}", path.display())),
    )
    .await;
    let k = server.kubectl(&dir);
    let plain = unique("psa-plain");
    k.ok(&["create", "namespace", &plain]).await;
    k.ok(&["create", "namespace", &exempt]).await;

    // No label: the configured default enforces baseline.
    let file = dir.write("plain.yaml", privileged_pod("x", &plain));
    let out = k.fails(&["create", "-f", &file.display().to_string()]).await;
    assert!(
        out.stderr.contains(&format!(
            "pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": {BASELINE_VIOLATIONS}"
        )),
        "{out}"
    );
    k.fails(&["get", "pod", "x", "-n", &plain]).await;

    // The exempt namespace takes the same pod.
    let file = dir.write("exempt.yaml", privileged_pod("x", &exempt));
    let out = k.run(&["create", "-f", &file.display().to_string()]).await;
    assert!(out.success() && !out.stderr.contains("Warning"), "{out}");
    k.ok(&["get", "pod", "x", "-n", &exempt]).await;

    // A label still overrides the default.
    k.ok(&["label", "namespace", &plain, &format!("{ENFORCE}=privileged")])
        .await;
    let file = dir.write("plain2.yaml", privileged_pod("second", &plain));
    k.ok(&["create", "-f", &file.display().to_string()]).await;
    server.stop().await;
}
