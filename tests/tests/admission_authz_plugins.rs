//! The admission plugins that ask authorization, end to end with real kubectl and HTTP
//! clients: approving a CertificateSigningRequest needs `approve` on its signer, the
//! kube-apiserver client signer is never asked for `system:masters`, a kubelet under
//! NodeRestriction writes only its own Node without restricted labels, and EventRateLimit
//! answers kube's 429 past its burst.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

/// A certificate request for CN=jane, O=dev (base64 of its PEM, as `spec.request` holds it).
const JANE_CSR: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIWU1IOENBUUF3SFRFTk1Bc0dBMVVFQXd3RWFtRnVaVEVNTUFvR0ExVUVDZ3dEWkdWMk1Ga3dFd1lIS29aSQp6ajBDQVFZSUtvWkl6ajBEQVFjRFFnQUVtSmZkbjcxTHMxSGV1cWl3U1RqaHhWZ2xHQkcva1ZPaEZWRGI1dS8wCmRWMExUVzVyajVqUHNvcER5YlJkdSszcDN1MEtEOVhscjAyWnJTaXhyZUlxTWFBQU1Bb0dDQ3FHU000OUJBTUMKQTBrQU1FWUNJUUR5Qjd0K3Y3ZmJadW1wUmtsTUplWjJOSGRYcEtIbWtkRXhwcTFYVURxOVV3SWhBTDl2K0hBWApPeWVYWmZWRGhlNkI0YlNZaThwSTBKeTFGOHZTQ0s4encrbVUKLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0tCg==";
/// A certificate request for CN=eve, O=system:masters.
const MASTERS_CSR: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIak1JR0pBZ0VBTUNjeEREQUtCZ05WQkFNTUEyVjJaVEVYTUJVR0ExVUVDZ3dPYzNsemRHVnRPbTFoYzNSbApjbk13V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNBQVJkRUFBWWJNbCs2VWg5QmdkanlXc2pRMU9SClB1UGdwekVEYnRGYW1rZDVNKytwYmE2K2NpUWY1dnRlTFYrd1N2RTh4K21Ua251WWRWTHdRa0FvU1N5d29BQXcKQ2dZSUtvWkl6ajBFQXdJRFNRQXdSZ0loQUlYTENPZ1ZTSWR2aWJTUU9JUm1mVFFjWmRDVlZ2Zi9oSG5raks3YwpKYytrQWlFQXBiY1lrempOSTVLMGRBdE5qbUJQc1VOZ0JlcHozWjl3aEtYTHp3K3QxS3M9Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo=";

fn csr_manifest(name: &str, signer: &str, request: &str) -> String {
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\nspec:\n  request: {request}\n  signerName: {signer}\n  usages: [\"client auth\"]\n"
    )
}

/// kubectl as `name` (in `groups`) with a client certificate from the cluster CA.
fn as_user(server: &Server, dir: &TempDir, name: &str, groups: &[&str]) -> Kubectl {
    let cert = server.client_cert(name, groups);
    let cert: &'static CertKeyPem = Box::leak(Box::new(cert));
    server.kubectl_as(dir, name, cert_credential(cert))
}

async fn wait_allowed(k: &Kubectl, args: &[&str]) {
    let mut full = vec!["auth", "can-i"];
    full.extend_from_slice(args);
    wait_for(&format!("{args:?} allowed"), || async {
        let out = k.run(&full).await;
        (out.stdout.trim() == "yes").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_a_csr_needs_approve_on_its_signer() {
    let server = SERVER.get().await;
    let dir = TempDir::new("csr-approve");
    let admin = server.kubectl(&dir);
    let (csr, who, signer) = (unique("csr"), unique("approver"), "example.com/signer");
    let file = dir.write("csr.yaml", csr_manifest(&csr, signer, JANE_CSR));
    admin.ok(&["create", "-f", &file.display().to_string()]).await;

    // Everything kubectl needs to approve, except the signer.
    let role = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {who}\nrules:\n- apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests]\n  verbs: [get, list]\n- apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests/approval]\n  verbs: [update]\n"
    );
    let role_file = dir.write("role.yaml", role);
    admin
        .ok(&["create", "-f", &role_file.display().to_string()])
        .await;
    admin
        .ok(&[
            "create",
            "clusterrolebinding",
            &who,
            &format!("--clusterrole={who}"),
            &format!("--user={who}"),
        ])
        .await;
    let k = as_user(server, &dir, &who, &[]);
    wait_allowed(
        &k,
        &["update", "certificatesigningrequests", "--subresource=approval"],
    )
    .await;

    let out = k.fails(&["certificate", "approve", &csr]).await;
    let want = format!(
        "certificatesigningrequests.certificates.k8s.io \"{csr}\" is forbidden: user not permitted to approve requests with signerName \"{signer}\""
    );
    assert!(out.stderr.contains(&want), "{out}");
    let stored = admin.json(&["get", "csr", &csr, "-o", "json"]).await;
    assert!(stored["status"]["conditions"].is_null(), "not approved: {stored}");

    // `approve` on the signer's domain is enough.
    let signers = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {who}-signer\nrules:\n- apiGroups: [certificates.k8s.io]\n  resources: [signers]\n  resourceNames: [\"example.com/*\"]\n  verbs: [approve]\n"
    );
    let signers_file = dir.write("signers.yaml", signers);
    admin
        .ok(&["create", "-f", &signers_file.display().to_string()])
        .await;
    admin
        .ok(&[
            "create",
            "clusterrolebinding",
            &format!("{who}-signer"),
            &format!("--clusterrole={who}-signer"),
            &format!("--user={who}"),
        ])
        .await;
    // RBAC follows its watch: the approval goes through once the binding is seen.
    wait_for("the approval", || async {
        k.run(&["certificate", "approve", &csr])
            .await
            .success()
            .then_some(())
    })
    .await;
    let stored = admin.json(&["get", "csr", &csr, "-o", "json"]).await;
    assert_eq!(stored["status"]["conditions"][0]["type"], "Approved", "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_signer_is_never_asked_for_system_masters() {
    let server = SERVER.get().await;
    let dir = TempDir::new("csr-masters");
    let admin = server.kubectl(&dir);
    let csr = unique("masters");
    let file = dir.write(
        "csr.yaml",
        csr_manifest(&csr, "kubernetes.io/kube-apiserver-client", MASTERS_CSR),
    );
    let out = admin.fails(&["create", "-f", &file.display().to_string()]).await;
    let want = format!(
        "certificatesigningrequests.certificates.k8s.io \"{csr}\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"
    );
    assert!(out.stderr.contains(&want), "{out}");
    let out = admin.fails(&["get", "csr", &csr]).await;
    assert!(
        out.stderr.contains("NotFound") || out.stderr.contains("not found"),
        "{out}"
    );

    // The same signer for another group is admitted.
    let ok = unique("dev");
    let file = dir.write(
        "ok.yaml",
        csr_manifest(&ok, "kubernetes.io/kube-apiserver-client", JANE_CSR),
    );
    admin.ok(&["create", "-f", &file.display().to_string()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_writes_only_itself_without_restricted_labels() {
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--enable-admission-plugins=NodeRestriction"),
    )
    .await;
    let dir = TempDir::new("node-restriction");
    let admin = server.kubectl(&dir);
    for n in ["n1", "n2"] {
        let node = format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {n}\n");
        let file = dir.write(&format!("{n}.yaml"), node);
        admin.ok(&["create", "-f", &file.display().to_string()]).await;
    }
    let kubelet = as_user(&server, &dir, "system:node:n1", &["system:nodes"]);

    // Over HTTP, not kubectl: kubectl reads the Node first, and the Node authorizer lets a
    // kubelet read only its own; writing another is NodeRestriction's to refuse.
    let node_cert = server.client_cert("system:node:n1", &["system:nodes"]);
    let http = server.http_as(&dir, Some(&node_cert));
    let r = http
        .send(
            "PATCH",
            "/api/v1/nodes/n2",
            "application/merge-patch+json",
            r#"{"metadata":{"labels":{"team":"a"}}}"#,
        )
        .await;
    let status = r.status(403, "Forbidden");
    assert_eq!(
        status["message"],
        "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\""
    );
    let out = kubelet
        .fails(&["label", "node", "n1", "node-restriction.kubernetes.io/pool=gold"])
        .await;
    assert!(
        out.stderr.contains(
            "nodes \"n1\" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool"
        ),
        "{out}"
    );
    let labels = admin.json(&["get", "node", "n1", "-o", "json"]).await;
    assert!(
        labels["metadata"]["labels"]["node-restriction.kubernetes.io/pool"].is_null(),
        "{labels}"
    );
    let other = admin.json(&["get", "node", "n2", "-o", "json"]).await;
    assert!(other["metadata"]["labels"]["team"].is_null(), "{other}");

    // Its own, unrestricted labels it may set; an administrator may set any.
    kubelet.ok(&["label", "node", "n1", "team=a"]).await;
    admin
        .ok(&["label", "node", "n1", "node-restriction.kubernetes.io/pool=gold"])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_gets_tokens_only_for_its_own_pods() {
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--enable-admission-plugins=NodeRestriction"),
    )
    .await;
    let dir = TempDir::new("node-tokens");
    let admin = server.kubectl(&dir);
    let ns = unique("tokens");
    admin.ok(&["create", "namespace", &ns]).await;
    admin.ok(&["create", "serviceaccount", "runner", "-n", &ns]).await;
    for (pod, node) in [("p1", "n1"), ("p2", "n2")] {
        let manifest = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\n  namespace: {ns}\nspec:\n  nodeName: {node}\n  serviceAccountName: runner\n  containers:\n  - name: c\n    image: busybox:1.36\n"
        );
        let file = dir.write(&format!("{pod}.yaml"), manifest);
        admin.ok(&["create", "-f", &file.display().to_string()]).await;
    }
    let uid = |pod: &'static str| {
        let admin = &admin;
        let ns = &ns;
        async move {
            let p = admin.json(&["get", "pod", pod, "-n", ns, "-o", "json"]).await;
            p["metadata"]["uid"].as_str().unwrap_or_default().to_string()
        }
    };
    let (uid1, uid2) = (uid("p1").await, uid("p2").await);
    let kubelet = as_user(&server, &dir, "system:node:n1", &["system:nodes"]);
    let token_for = |pod: &'static str, uid: String| {
        let kubelet = &kubelet;
        let ns = ns.clone();
        async move {
            kubelet
                .run(&[
                    "create",
                    "token",
                    "runner",
                    "-n",
                    &ns,
                    "--bound-object-kind=Pod",
                    &format!("--bound-object-name={pod}"),
                    &format!("--bound-object-uid={uid}"),
                ])
                .await
        }
    };
    // The Node authorizer lets n1 ask for runner's tokens once it sees p1 bound to n1.
    wait_for("a token for the node's own pod", || async {
        token_for("p1", uid1.clone()).await.success().then_some(())
    })
    .await;
    // A token bound to a pod of another node is NodeRestriction's to refuse.
    let out = token_for("p2", uid2).await;
    assert!(!out.success(), "{out}");
    assert!(
        out.stderr.contains("serviceaccounts \"runner\" is forbidden: node requested token bound to a pod scheduled on a different node"),
        "{out}"
    );
    let out = kubelet.fails(&["create", "token", "runner", "-n", &ns]).await;
    assert!(
        out.stderr
            .contains("serviceaccounts \"runner\" is forbidden: node requested token not bound to a pod"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_rate_limit_answers_429_past_the_burst() {
    let dir = TempDir::new("event-rate-limit");
    let config = dir.write(
        "admission.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  configuration:\n    apiVersion: eventratelimit.admission.k8s.io/v1alpha1\n    kind: Configuration\n    limits:\n    - type: Namespace\n      qps: 1\n      burst: 2\n",
    );
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--enable-admission-plugins=EventRateLimit")
            .arg(format!("--admission-control-config-file={}", config.display())),
    )
    .await;
    let admin = server.kubectl(&dir);
    let ns = unique("events");
    admin.ok(&["create", "namespace", &ns]).await;
    let cert = server.client_cert("admin", &["system:masters"]);
    let http = server.http_as(&dir, Some(&cert));
    let path = format!("/api/v1/namespaces/{ns}/events");
    let mut refused = None;
    let mut created = 0;
    for i in 0..6 {
        let event = json!({
            "metadata": {"name": format!("e{i}")},
            "involvedObject": {"kind": "ConfigMap", "name": "cm", "namespace": ns},
            "reason": "Test", "message": "m", "type": "Normal"
        });
        let r = http.send_json("POST", &path, &event).await;
        if r.code == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.code, 201, "{r}");
        created += 1;
    }
    let r = refused.expect("an event past the burst is refused");
    assert!(created >= 2, "the burst is admitted");
    let status = r.status(429, "TooManyRequests");
    assert_eq!(
        status["message"],
        format!("Too many requests: limit reached on type Namespace for key {ns}")
    );
    let list = admin.json(&["get", "events", "-n", &ns, "-o", "json"]).await;
    let stored = list["items"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(stored, created, "nothing refused is stored: {list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_references_need_delete_and_blocking_needs_the_owners_finalizers() {
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--enable-admission-plugins=OwnerReferencesPermissionEnforcement"),
    )
    .await;
    let dir = TempDir::new("owner-references");
    let admin = server.kubectl(&dir);
    let ns = unique("owners");
    admin.ok(&["create", "namespace", &ns]).await;
    // Configmaps, but not their delete, and nothing of deployments.
    admin
        .ok(&[
            "create",
            "role",
            "writer",
            "-n",
            &ns,
            "--verb=create,get,update,patch",
            "--resource=configmaps",
        ])
        .await;
    admin
        .ok(&[
            "create",
            "rolebinding",
            "writer",
            "-n",
            &ns,
            "--role=writer",
            "--user=olivia",
        ])
        .await;
    let k = as_user(&server, &dir, "olivia", &[]);
    wait_allowed(&k, &["create", "configmaps", "-n", &ns]).await;

    let cm = |name: &str, block: bool| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: Deployment\n    name: web\n    uid: 6f1c2a10-0000-4000-8000-000000000001\n    blockOwnerDeletion: {block}\n"
        )
    };
    // Creating with an owner needs no delete; a blocking one needs the owner's finalizers.
    let plain = dir.write("plain.yaml", cm("plain", false));
    k.ok(&["create", "-f", &plain.display().to_string()]).await;
    let blocking = dir.write("blocking.yaml", cm("blocking", true));
    let out = k.fails(&["create", "-f", &blocking.display().to_string()]).await;
    assert!(
        out.stderr.contains("configmaps \"blocking\" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: , <nil>"),
        "{out}"
    );
    admin.fails(&["get", "configmap", "blocking", "-n", &ns]).await;

    // Changing the owners of an object needs delete on it.
    let out = k
        .fails(&[
            "patch",
            "configmap",
            "plain",
            "-n",
            &ns,
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/ownerReferences"}]"#,
        ])
        .await;
    assert!(
        out.stderr.contains("configmaps \"plain\" is forbidden: cannot set an ownerRef on a resource you can't delete: , <nil>"),
        "{out}"
    );

    admin
        .ok(&[
            "create",
            "role",
            "finalizer",
            "-n",
            &ns,
            "--verb=update",
            "--resource=deployments.apps/finalizers",
            "--resource-name=web",
        ])
        .await;
    admin
        .ok(&[
            "create",
            "rolebinding",
            "finalizer",
            "-n",
            &ns,
            "--role=finalizer",
            "--user=olivia",
        ])
        .await;
    wait_for("the blocking reference admitted", || async {
        k.run(&["create", "-f", &blocking.display().to_string()])
            .await
            .success()
            .then_some(())
    })
    .await;
}
