//! The admission chain end to end with real kubectl: the plugins the flags select run in
//! kube's order and refuse with kube's messages, a pod runs as a service account that exists
//! with its token volume mounted, every namespace has its `default` account, and flags or
//! configuration files kube would refuse refuse start-up.

use clap::Parser;
use gatehouse_tests::*;

fn prepare_error(args: &[String]) -> String {
    let dir = TempDir::new("admission-flags");
    let mut all = vec![
        "gatehouse".to_string(),
        format!("--data-dir={}", dir.path().display()),
    ];
    all.extend(args.iter().cloned());
    let flags = gatehouse_host::flags::Flags::try_parse_from(all).expect("flags parse");
    gatehouse_host::launch::prepare(&flags)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn unknown_unbuilt_and_overlapping_plugins_refuse_start_up() {
    for (args, message) in [
        (
            vec!["--enable-admission-plugins=NodeRestriction,Foo".to_string()],
            "enable-admission-plugins plugin \"Foo\" is unknown",
        ),
        (
            vec!["--disable-admission-plugins=Bar".to_string()],
            "disable-admission-plugins plugin \"Bar\" is unknown",
        ),
        (
            vec![
                "--enable-admission-plugins=AlwaysDeny".to_string(),
                "--disable-admission-plugins=AlwaysDeny".to_string(),
            ],
            "[AlwaysDeny] in enable-admission-plugins and disable-admission-plugins overlapped",
        ),
        (
            vec!["--enable-admission-plugins=ImagePolicyWebhook".to_string()],
            "admission plugin \"ImagePolicyWebhook\" is not supported by Gatehouse yet",
        ),
    ] {
        let err = prepare_error(&args);
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn an_admission_configuration_kube_would_refuse_refuses_start_up() {
    let dir = TempDir::new("admission-config");
    let unknown = dir.write(
        "unknown.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugin: []\n",
    );
    let missing = dir.write(
        "missing.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: nowhere.yaml\n",
    );
    for (file, message) in [
        (&unknown, "strict decoding error: unknown field \"plugin\""),
        (&missing, "couldn't open admission plugin configuration"),
    ] {
        let err = prepare_error(&[format!("--admission-control-config-file={}", file.display())]);
        assert!(err.contains(message), "{}: {err}", file.display());
    }
    let err = prepare_error(&["--admission-control-config-file=/nonexistent/admission.yaml".into()]);
    assert!(
        err.contains("unable to read admission control configuration"),
        "{err}"
    );
}

async fn pods_run_as_their_service_account(options: Options) {
    let server = Server::start(options).await;
    let dir = TempDir::new("admission-sa");
    let k = server.kubectl(&dir);
    let ns = unique("sa-adm");
    k.ok(&["create", "namespace", &ns]).await;
    // The namespace's default account is created for it, and a pod may be created at once.
    k.ok(&["run", "web", "--image=nginx", "-n", &ns]).await;
    let pod = k.json(&["get", "pod", "web", "-n", &ns, "-o", "json"]).await;
    assert_eq!(pod["spec"]["serviceAccountName"], "default");
    let volume = &pod["spec"]["volumes"][0];
    assert!(
        volume["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("kube-api-access-")),
        "{pod}"
    );
    assert_eq!(
        volume["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
        3607
    );
    assert_eq!(
        pod["spec"]["containers"][0]["volumeMounts"][0]["mountPath"],
        "/var/run/secrets/kubernetes.io/serviceaccount"
    );
    k.ok(&["get", "serviceaccount", "default", "-n", &ns]).await;

    // A pod naming an account that does not exist: kube's 403, nothing stored.
    let out = k
        .fails(&[
            "run",
            "lost",
            "--image=nginx",
            "-n",
            &ns,
            "--overrides={\"spec\":{\"serviceAccountName\":\"ghost\"}}",
        ])
        .await;
    assert!(
        out.stderr.contains(&format!(
            "pods \"lost\" is forbidden: error looking up service account {ns}/ghost: serviceaccount \"ghost\" not found"
        )),
        "{}",
        out.stderr
    );
    assert!(k
        .fails(&["get", "pod", "lost", "-n", &ns])
        .await
        .stderr
        .contains("NotFound"));

    // The default account deleted: it comes back.
    k.ok(&["delete", "serviceaccount", "default", "-n", &ns]).await;
    wait_for("the default account back", || async {
        k.run(&["get", "serviceaccount", "default", "-n", &ns])
            .await
            .code
            .eq(&Some(0))
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_run_as_their_service_account_on_tokio() {
    pods_run_as_their_service_account(Options::tokio().memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_run_as_their_service_account_on_smol() {
    pods_run_as_their_service_account(Options::smol().memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flags_choose_the_plugins() {
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--enable-admission-plugins=AlwaysDeny")
            .arg("--disable-admission-plugins=ServiceAccount"),
    )
    .await;
    let dir = TempDir::new("admission-deny");
    let k = server.kubectl(&dir);
    // The server's own writes pass the chain too, as kube's loopback writes do: even its
    // start-up namespaces are refused, so what is left to try is cluster-scoped.
    let out = k.fails(&["create", "namespace", "denied"]).await;
    assert!(
        out.stderr
            .contains("namespaces \"denied\" is forbidden: admission control is denying all modifications"),
        "{}",
        out.stderr
    );
    assert!(k
        .fails(&["get", "namespace", "denied"])
        .await
        .stderr
        .contains("NotFound"));

    let server = Server::start(
        Options::tokio()
            .memory()
            .arg("--disable-admission-plugins=ServiceAccount"),
    )
    .await;
    let k = server.kubectl(&dir);
    k.ok(&["run", "p", "--image=nginx"]).await;
    let pod = k.json(&["get", "pod", "p", "-o", "json"]).await;
    assert!(pod["spec"]["volumes"].is_null(), "{pod}");
    assert!(pod["spec"]["serviceAccountName"].is_null(), "{pod}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validating_admission_policy_judges_writes_in_cel() {
    let server = Server::start(Options::tokio().memory()).await;
    let dir = TempDir::new("admission-vap");
    let k = server.kubectl(&dir);
    let ns = unique("vap");
    k.ok(&["create", "namespace", &ns]).await;
    k.ok(&["label", "namespace", &ns, "policed=yes"]).await;
    let manifest = dir.write(
        "policy.yaml",
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: max-replicas
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  variables:
  - name: replicas
    expression: "object.spec.replicas"
  validations:
  - expression: "variables.replicas <= 5"
  - expression: "!object.metadata.name.startsWith('bad')"
    messageExpression: "'the name ' + object.metadata.name + ' is not allowed'"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: max-replicas-binding
spec:
  policyName: max-replicas
  validationActions: ["Deny"]
  matchResources:
    namespaceSelector:
      matchLabels:
        policed: "yes"
"#,
    );
    k.ok(&["apply", "-f", &manifest.display().to_string()]).await;
    let out = k
        .fails(&[
            "create",
            "deployment",
            "big",
            "--image=nginx",
            "--replicas=7",
            "-n",
            &ns,
        ])
        .await;
    assert!(
        out.stderr.contains(
            "deployments.apps \"big\" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: failed expression: variables.replicas <= 5"
        ),
        "{}",
        out.stderr
    );
    assert!(k
        .fails(&["get", "deployment", "big", "-n", &ns])
        .await
        .stderr
        .contains("NotFound"));
    let out = k
        .fails(&["create", "deployment", "bad-name", "--image=nginx", "-n", &ns])
        .await;
    assert!(
        out.stderr
            .contains("denied request: the name bad-name is not allowed"),
        "{}",
        out.stderr
    );
    k.ok(&[
        "create",
        "deployment",
        "small",
        "--image=nginx",
        "--replicas=2",
        "-n",
        &ns,
    ])
    .await;
    // An update past the limit is refused too; `kubectl scale` writes the scale subresource,
    // which a rule for `deployments` alone does not match, as in kube.
    let out = k
        .fails(&[
            "patch",
            "deployment",
            "small",
            "-n",
            &ns,
            "-p",
            r#"{"spec":{"replicas":9}}"#,
        ])
        .await;
    assert!(
        out.stderr.contains("ValidatingAdmissionPolicy 'max-replicas'"),
        "{}",
        out.stderr
    );
    k.ok(&["scale", "deployment", "small", "--replicas=9", "-n", &ns])
        .await;
    // Outside the selected namespaces the policy does not apply.
    k.ok(&["create", "deployment", "big", "--image=nginx", "--replicas=7"])
        .await;

    // Warn instead of deny: kubectl shows the warning and the write goes through.
    k.ok(&[
        "patch",
        "validatingadmissionpolicybinding",
        "max-replicas-binding",
        "--type=merge",
        "-p",
        r#"{"spec":{"validationActions":["Warn"]}}"#,
    ])
    .await;
    let out = k
        .run(&[
            "create",
            "deployment",
            "huge",
            "--image=nginx",
            "--replicas=8",
            "-n",
            &ns,
        ])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("Warning: Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding': failed expression: variables.replicas <= 5"),
        "{}",
        out.stderr
    );

    // A policy whose CEL does not compile is refused where it is written.
    let bad = dir.write(
        "bad.yaml",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: broken\nspec:\n  matchConstraints:\n    resourceRules:\n    - apiGroups: [\"\"]\n      apiVersions: [\"v1\"]\n      operations: [\"CREATE\"]\n      resources: [\"pods\"]\n  validations:\n  - expression: \"object.spec.(\"\n",
    );
    let out = k.fails(&["apply", "-f", &bad.display().to_string()]).await;
    assert!(
        out.stderr
            .contains("spec.validations[0].expression: Invalid value: \"object.spec.(\": compilation failed"),
        "{}",
        out.stderr
    );
}
