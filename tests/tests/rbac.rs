//! RBAC end to end with real kubectl: Roles grant exactly their namespace, resource names and
//! subresources and paths are matched as kube matches them, the bootstrap roles do what
//! kube's do (aggregation included), escalation is refused unless `escalate`/`bind` is
//! held, the access reviews answer as requests are answered, and `--authorization-mode`.

use clap::Parser;
use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

/// A user with a client certificate from the cluster CA.
fn user(server: &Server, dir: &TempDir, name: &str) -> Kubectl {
    let cert = server.client_cert(name, &[]);
    let cert: &'static CertKeyPem = Box::leak(Box::new(cert));
    server.kubectl_as(dir, name, cert_credential(cert))
}

/// Waits until `k` may `verb` `what` (RBAC follows the watch, as kube's informers do).
async fn wait_allowed(k: &Kubectl, args: &[&str]) {
    let mut full = vec!["auth", "can-i"];
    full.extend_from_slice(args);
    wait_for(&format!("{args:?} allowed"), || async {
        let out = k.run(&full).await;
        (out.stdout.trim() == "yes").then_some(())
    })
    .await;
}

async fn can_i(k: &Kubectl, args: &[&str]) -> String {
    let mut full = vec!["auth", "can-i"];
    full.extend_from_slice(args);
    k.run(&full).await.stdout.trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_grants_exactly_its_namespace_names_and_subresources() {
    let server = SERVER.get().await;
    let dir = TempDir::new("rbac-role");
    let admin = server.kubectl(&dir);
    let (a, b) = (unique("rbac-a"), unique("rbac-b"));
    admin.ok(&["create", "namespace", &a]).await;
    admin.ok(&["create", "namespace", &b]).await;
    for ns in [&a, &b] {
        admin
            .ok(&["create", "configmap", "one", "-n", ns, "--from-literal=k=v"])
            .await;
        admin
            .ok(&["create", "configmap", "two", "-n", ns, "--from-literal=k=v"])
            .await;
    }
    admin
        .ok(&[
            "create",
            "role",
            "reader",
            "-n",
            &a,
            "--verb=get,list",
            "--resource=configmaps",
        ])
        .await;
    admin
        .ok(&[
            "create",
            "role",
            "one-only",
            "-n",
            &b,
            "--verb=get",
            "--resource=configmaps",
            "--resource-name=one",
        ])
        .await;
    admin
        .ok(&[
            "create",
            "role",
            "scaler",
            "-n",
            &a,
            "--verb=get,update",
            "--resource=deployments/scale,pods/log",
        ])
        .await;
    let who = unique("alice");
    for (ns, role) in [(&a, "reader"), (&b, "one-only"), (&a, "scaler")] {
        admin
            .ok(&[
                "create",
                "rolebinding",
                &format!("{role}-{who}"),
                "-n",
                ns,
                &format!("--role={role}"),
                &format!("--user={who}"),
            ])
            .await;
    }
    let alice = user(server, &dir, &who);
    wait_allowed(&alice, &["list", "configmaps", "-n", &a]).await;
    wait_allowed(&alice, &["get", "configmaps/one", "-n", &b]).await;
    wait_allowed(
        &alice,
        &["get", "deployments.apps", "--subresource=scale", "-n", &a],
    )
    .await;

    let names = alice.ok(&["get", "configmaps", "-n", &a, "-o", "name"]).await;
    assert!(
        names.contains("configmap/one") && names.contains("configmap/two"),
        "{names}"
    );
    let out = alice.fails(&["get", "configmaps", "-n", &b]).await;
    assert!(
        out.stderr.contains(&format!(
            "Error from server (Forbidden): configmaps is forbidden: User \"{who}\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"{b}\""
        )),
        "{out}"
    );
    // resourceNames: only the named object, and never a list.
    alice.ok(&["get", "configmap", "one", "-n", &b]).await;
    let out = alice.fails(&["get", "configmap", "two", "-n", &b]).await;
    assert!(
        out.stderr.contains(&format!(
            "configmaps \"two\" is forbidden: User \"{who}\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"{b}\""
        )),
        "{out}"
    );
    assert_eq!(can_i(&alice, &["list", "configmaps", "-n", &b]).await, "no");
    // Subresources need their own rules.
    assert_eq!(
        can_i(&alice, &["get", "pods", "--subresource=log", "-n", &a]).await,
        "yes"
    );
    assert_eq!(can_i(&alice, &["get", "pods", "-n", &a]).await, "no");
    assert_eq!(
        can_i(&alice, &["update", "deployments.apps", "-n", &a]).await,
        "no"
    );
    // Cluster scope is nobody's namespace.
    let out = alice.fails(&["get", "namespaces"]).await;
    assert!(
        out.stderr.contains(&format!(
            "namespaces is forbidden: User \"{who}\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"
        )),
        "{out}"
    );
    // Writes are not granted by a reading role, and change nothing.
    let out = alice.fails(&["delete", "configmap", "one", "-n", &a]).await;
    assert!(
        out.stderr.contains("cannot delete resource \"configmaps\""),
        "{out}"
    );
    admin.ok(&["get", "configmap", "one", "-n", &a]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_service_accounts_and_missing_roles() {
    let server = SERVER.get().await;
    let dir = TempDir::new("rbac-paths");
    let admin = server.kubectl(&dir);
    let who = unique("paul");
    let paul = user(server, &dir, &who);
    // The individual health checks are system:monitoring's.
    let out = paul.fails(&["get", "--raw", "/readyz/ping"]).await;
    assert!(
        out.stderr.contains(&format!(
            "forbidden: User \"{who}\" cannot get path \"/readyz/ping\""
        )),
        "{out}"
    );
    paul.ok(&["get", "--raw", "/readyz"]).await;
    let role = unique("probes");
    admin
        .ok(&[
            "create",
            "clusterrole",
            &role,
            "--verb=get",
            "--non-resource-url=/readyz/*",
        ])
        .await;
    admin
        .ok(&[
            "create",
            "clusterrolebinding",
            &role,
            &format!("--clusterrole={role}"),
            &format!("--user={who}"),
        ])
        .await;
    wait_for("the path granted", || async {
        paul.run(&["get", "--raw", "/readyz/ping"])
            .await
            .success()
            .then_some(())
    })
    .await;

    // A binding to a role that is not there: the 403 says so, as kube's does.
    let ghost = unique("ghost");
    admin
        .ok(&[
            "create",
            "clusterrolebinding",
            &ghost,
            &format!("--clusterrole={ghost}"),
            &format!("--user={who}"),
        ])
        .await;
    let expected = format!(
        "secrets is forbidden: User \"{who}\" cannot list resource \"secrets\" in API group \"\" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io \"{ghost}\" not found"
    );
    let out = wait_for("the missing role named", || async {
        let out = paul.run(&["get", "secrets", "-A"]).await;
        out.stderr.contains(&expected).then_some(out)
    })
    .await;
    assert!(!out.success());

    // A service account's token, bound through a RoleBinding subject without a namespace.
    let ns = unique("rbac-sa");
    admin.ok(&["create", "namespace", &ns]).await;
    admin.ok(&["create", "serviceaccount", "bot", "-n", &ns]).await;
    admin
        .ok(&[
            "create",
            "rolebinding",
            "bot-edit",
            "-n",
            &ns,
            "--clusterrole=edit",
            &format!("--serviceaccount={ns}:bot"),
        ])
        .await;
    let token = admin.ok(&["create", "token", "bot", "-n", &ns]).await;
    let bot = server.kubectl_as(&dir, "bot", Credential::Token(token.trim()));
    wait_allowed(&bot, &["create", "configmaps", "-n", &ns]).await;
    bot.ok(&[
        "create",
        "configmap",
        "made-by-bot",
        "-n",
        &ns,
        "--from-literal=a=b",
    ])
    .await;
    let out = bot.fails(&["get", "configmaps", "-n", "default"]).await;
    assert!(
        out.stderr.contains(&format!(
            "User \"system:serviceaccount:{ns}:bot\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
        )),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_roles_do_what_kubes_do() {
    let server = SERVER.get().await;
    let dir = TempDir::new("rbac-bootstrap");
    let admin = server.kubectl(&dir);
    let roles = admin.ok(&["get", "clusterroles", "-o", "name"]).await;
    for want in [
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:discovery",
        "system:basic-user",
        "system:node",
        "system:controller:deployment-controller",
        "system:aggregate-to-edit",
    ] {
        assert!(
            roles.contains(&format!("clusterrole.rbac.authorization.k8s.io/{want}\n")),
            "{want}: {roles}"
        );
    }
    let kube_system_roles = admin
        .ok(&["get", "roles", "-n", "kube-system", "-o", "name"])
        .await;
    assert!(
        kube_system_roles.contains("extension-apiserver-authentication-reader"),
        "{kube_system_roles}"
    );
    // admin/edit/view hold what their aggregate-to roles hold.
    let view = admin.json(&["get", "clusterrole", "view", "-o", "json"]).await;
    assert_eq!(
        view["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"],
        "true"
    );
    assert!(view["rules"].as_array().is_some_and(|r| !r.is_empty()), "{view}");

    let ns = unique("rbac-roles");
    admin.ok(&["create", "namespace", &ns]).await;
    let (v, e, a) = (unique("viewer"), unique("editor"), unique("owner"));
    for (u, role) in [(&v, "view"), (&e, "edit"), (&a, "admin")] {
        admin
            .ok(&[
                "create",
                "rolebinding",
                &format!("{role}-{u}"),
                "-n",
                &ns,
                &format!("--clusterrole={role}"),
                &format!("--user={u}"),
            ])
            .await;
    }
    let viewer = user(server, &dir, &v);
    let editor = user(server, &dir, &e);
    let owner = user(server, &dir, &a);
    wait_allowed(&viewer, &["list", "pods", "-n", &ns]).await;
    wait_allowed(&editor, &["create", "deployments.apps", "-n", &ns]).await;
    wait_allowed(&owner, &["create", "roles.rbac.authorization.k8s.io", "-n", &ns]).await;
    let table = [
        // (verb resource, view, edit, admin), as kube's bootstrap roles answer.
        ("get pods", "yes", "yes", "yes"),
        ("get secrets", "no", "yes", "yes"),
        ("create configmaps", "no", "yes", "yes"),
        ("create pods/exec", "no", "yes", "yes"),
        ("create rolebindings.rbac.authorization.k8s.io", "no", "no", "yes"),
        ("create resourcequotas", "no", "no", "no"),
        ("update namespaces", "no", "no", "no"),
        (
            "create localsubjectaccessreviews.authorization.k8s.io",
            "no",
            "no",
            "yes",
        ),
        ("impersonate serviceaccounts", "no", "yes", "yes"),
    ];
    for (what, want_v, want_e, want_a) in table {
        let (verb, resource) = what.split_once(' ').unwrap();
        let (resource, sub) = match resource.split_once('/') {
            Some((r, s)) => (r, format!("--subresource={s}")),
            None => (resource, String::new()),
        };
        let mut args = vec![verb, resource, "-n", &ns];
        if !sub.is_empty() {
            args.push(&sub);
        }
        assert_eq!(can_i(&viewer, &args).await, want_v, "view: {what}");
        assert_eq!(can_i(&editor, &args).await, want_e, "edit: {what}");
        assert_eq!(can_i(&owner, &args).await, want_a, "admin: {what}");
    }
    // `auth can-i --list` is the rules review: the namespace's rules and the cluster's.
    let list = viewer.ok(&["auth", "can-i", "--list", "-n", &ns]).await;
    let pods = list
        .lines()
        .find(|l| l.starts_with("pods "))
        .unwrap_or_default()
        .to_string();
    assert!(pods.contains("[get list watch]"), "{list}");
    assert!(
        list.contains("selfsubjectaccessreviews.authorization.k8s.io"),
        "{list}"
    );

    // A ClusterRole labelled aggregate-to-view extends view, edit and admin.
    let extra = unique("secrets-view");
    assert_eq!(can_i(&viewer, &["list", "secrets", "-n", &ns]).await, "no");
    let manifest = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": extra, "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"]}],
    });
    let file = dir.write("aggregated.json", manifest.to_string());
    admin.ok(&["create", "-f", &file.display().to_string()]).await;
    wait_allowed(&viewer, &["list", "secrets", "-n", &ns]).await;
    let view = admin.json(&["get", "clusterrole", "view", "-o", "json"]).await;
    assert!(
        view["rules"]
            .as_array()
            .unwrap()
            .contains(&json!({"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"]})),
        "{view}"
    );
    // Deleting it takes the rules back out of the aggregate.
    admin.ok(&["delete", "clusterrole", &extra]).await;
    wait_for("aggregated rules removed", || async {
        (can_i(&viewer, &["list", "secrets", "-n", &ns]).await == "no").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_is_refused_unless_escalate_or_bind_is_held() {
    let server = SERVER.get().await;
    let dir = TempDir::new("rbac-escalation");
    let admin = server.kubectl(&dir);
    let ns = unique("rbac-esc");
    admin.ok(&["create", "namespace", &ns]).await;
    let who = unique("nadia");
    admin
        .ok(&[
            "create",
            "rolebinding",
            "owner",
            "-n",
            &ns,
            "--clusterrole=admin",
            &format!("--user={who}"),
        ])
        .await;
    let nadia = user(server, &dir, &who);
    wait_allowed(&nadia, &["create", "roles.rbac.authorization.k8s.io", "-n", &ns]).await;

    // What she holds she may grant.
    nadia
        .ok(&[
            "create",
            "role",
            "cm-reader",
            "-n",
            &ns,
            "--verb=get,list",
            "--resource=configmaps",
        ])
        .await;
    // What she does not hold she may not.
    let out = nadia
        .fails(&[
            "create",
            "role",
            "quota-writer",
            "-n",
            &ns,
            "--verb=create,delete",
            "--resource=resourcequotas,nodes",
        ])
        .await;
    let expected = format!(
        "Error from server (Forbidden): roles.rbac.authorization.k8s.io \"quota-writer\" is forbidden: user \"{who}\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"create\" \"delete\"]}}\n{{APIGroups:[\"\"], Resources:[\"resourcequotas\"], Verbs:[\"create\" \"delete\"]}}"
    );
    assert!(out.stderr.contains(&expected), "{out}\nwanted:\n{expected}");
    admin.fails(&["get", "role", "quota-writer", "-n", &ns]).await;
    // Binding cluster-admin in her namespace grants more than she holds.
    let out = nadia
        .fails(&[
            "create",
            "rolebinding",
            "root",
            "-n",
            &ns,
            "--clusterrole=cluster-admin",
            &format!("--user={who}"),
        ])
        .await;
    assert!(
        out.stderr.contains(&format!(
            "rolebindings.rbac.authorization.k8s.io \"root\" is forbidden: user \"{who}\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}}"
        )),
        "{out}"
    );
    // Binding a role she holds is fine.
    nadia
        .ok(&[
            "create",
            "rolebinding",
            "readers",
            "-n",
            &ns,
            "--role=cm-reader",
            "--user=someone",
        ])
        .await;

    // With `escalate` and `bind`, both go through.
    admin
        .ok(&[
            "create",
            "clusterrole",
            &format!("{who}-escalate"),
            "--verb=escalate,bind",
            "--resource=roles.rbac.authorization.k8s.io,clusterroles.rbac.authorization.k8s.io",
        ])
        .await;
    admin
        .ok(&[
            "create",
            "rolebinding",
            "escalate",
            "-n",
            &ns,
            &format!("--clusterrole={who}-escalate"),
            &format!("--user={who}"),
        ])
        .await;
    wait_allowed(
        &nadia,
        &["escalate", "roles.rbac.authorization.k8s.io", "-n", &ns],
    )
    .await;
    nadia
        .ok(&[
            "create",
            "role",
            "quota-writer",
            "-n",
            &ns,
            "--verb=create,delete",
            "--resource=resourcequotas",
        ])
        .await;
    nadia
        .ok(&[
            "create",
            "rolebinding",
            "root",
            "-n",
            &ns,
            "--clusterrole=cluster-admin",
            "--user=someone",
        ])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_reviews_answer_as_requests_are_answered() {
    let server = SERVER.get().await;
    let dir = TempDir::new("rbac-reviews");
    let admin = server.kubectl(&dir);
    let ns = unique("rbac-sar");
    admin.ok(&["create", "namespace", &ns]).await;
    let who = unique("rita");
    admin
        .ok(&[
            "create",
            "rolebinding",
            "view",
            "-n",
            &ns,
            "--clusterrole=view",
            &format!("--user={who}"),
        ])
        .await;
    let http = server.http(&dir);
    let sar = |verb: &str, resource: &str, namespace: &str| {
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": who, "groups": ["system:authenticated"], "resourceAttributes": {"verb": verb, "resource": resource, "namespace": namespace}},
        })
    };
    let status = wait_for("the binding seen", || async {
        let r = http
            .send_json(
                "POST",
                "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                &sar("list", "pods", &ns),
            )
            .await;
        let v = r.json();
        (v["status"]["allowed"] == true).then_some(v["status"].clone())
    })
    .await;
    assert_eq!(
        status["reason"],
        format!("RBAC: allowed by RoleBinding \"view/{ns}\" of ClusterRole \"view\" to User \"{who}\"")
    );
    let r = http
        .send_json(
            "POST",
            "/apis/authorization.k8s.io/v1/subjectaccessreviews",
            &sar("delete", "pods", &ns),
        )
        .await;
    assert_eq!(r.json()["status"], json!({"allowed": false}), "{r}");
    // A local review in another namespace is refused as kube refuses it.
    let mut local = sar("list", "pods", "elsewhere");
    local["kind"] = json!("LocalSubjectAccessReview");
    let r = http
        .send_json(
            "POST",
            &format!("/apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews"),
            &local,
        )
        .await;
    r.status(422, "Invalid");
    // The user's own view of the same thing.
    let rita = user(server, &dir, &who);
    assert_eq!(can_i(&rita, &["list", "pods", "-n", &ns]).await, "yes");
    let out = rita.run(&["auth", "can-i", "delete", "pods", "-n", &ns]).await;
    assert_eq!((out.stdout.trim(), out.code), ("no", Some(1)), "{out}");
    // A rules review needs a namespace.
    let r = rita_http(server, &dir, &who)
        .send_json(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            &json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {}}),
        )
        .await;
    assert_eq!(r.status(400, "BadRequest")["message"], "no namespace on request");
}

fn rita_http(server: &Server, dir: &TempDir, who: &str) -> Http {
    let cert: &'static CertKeyPem = Box::leak(Box::new(server.client_cert(who, &[])));
    server.http_as(dir, Some(cert))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_modes_always_deny_and_always_allow_on_smol() {
    let deny = Server::start(Options::smol().memory().arg("--authorization-mode=AlwaysDeny")).await;
    let dir = TempDir::new("rbac-modes");
    let jane = user(&deny, &dir, "jane");
    let out = jane.fails(&["get", "--raw", "/version"]).await;
    assert!(
        out.stderr
            .contains("forbidden: User \"jane\" cannot get path \"/version\": Everything is forbidden."),
        "{out}"
    );
    // system:masters is allowed before any mode is asked.
    deny.kubectl(&dir).ok(&["get", "namespaces"]).await;
    deny.stop().await;

    let allow = Server::start(Options::smol().memory().arg("--authorization-mode=AlwaysAllow")).await;
    let jane = user(&allow, &dir, "jane");
    jane.ok(&[
        "create",
        "configmap",
        "open",
        "-n",
        "default",
        "--from-literal=a=b",
    ])
    .await;
    allow.stop().await;
}

#[test]
fn unknown_and_unbuilt_modes_are_refused_at_start_up() {
    for (mode, message) in [
        ("RBAC,Foo", "authorization-mode \"Foo\" is not a valid mode"),
        (
            "RBAC,RBAC",
            "authorization-mode [\"RBAC\" \"RBAC\"] has mode specified more than once",
        ),
        (
            "ABAC,RBAC",
            "authorization-mode \"ABAC\" is not supported by Gatehouse yet",
        ),
    ] {
        let dir = TempDir::new("rbac-flags");
        let args = [
            "gatehouse".to_string(),
            format!("--authorization-mode={mode}"),
            format!("--data-dir={}", dir.path().display()),
        ];
        let flags = gatehouse_host::flags::Flags::try_parse_from(args).expect("flags parse");
        let err = gatehouse_host::launch::prepare(&flags)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(message), "{mode}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reads_only_what_its_pods_use() {
    let server = SERVER.get().await;
    let dir = TempDir::new("rbac-node");
    let admin = server.kubectl(&dir);
    let ns = unique("node-authz");
    admin.ok(&["create", "namespace", &ns]).await;
    for s in ["used", "unused"] {
        admin
            .ok(&["create", "secret", "generic", s, "-n", &ns, "--from-literal=k=v"])
            .await;
    }
    let node = unique("n");
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "c", "image": "nginx"}],
            "volumes": [{"name": "s", "secret": {"secretName": "used"}}],
        },
    });
    let file = dir.write("pod.json", pod.to_string());
    admin.ok(&["create", "-f", &file.display().to_string()]).await;

    let cert = server.client_cert(&format!("system:node:{node}"), &["system:nodes"]);
    let kubelet = server.kubectl_as(&dir, "kubelet", cert_credential(&cert));
    wait_for("the pod in the node graph", || async {
        kubelet
            .run(&["get", "secret", "used", "-n", &ns])
            .await
            .success()
            .then_some(())
    })
    .await;
    let out = kubelet.fails(&["get", "secret", "unused", "-n", &ns]).await;
    assert!(
        out.stderr.contains(&format!(
            "secrets \"unused\" is forbidden: User \"system:node:{node}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"{ns}\": no relationship found between node '{node}' and this object"
        )),
        "{out}"
    );
    // Its own pods by field selector, not everyone's.
    let mine = kubelet
        .ok(&[
            "get",
            "pods",
            "-A",
            "--field-selector",
            &format!("spec.nodeName={node}"),
            "-o",
            "name",
        ])
        .await;
    assert_eq!(mine.trim(), "pod/web");
    let out = kubelet.fails(&["get", "pods", "-A"]).await;
    assert!(
        out.stderr
            .contains("can only list/watch pods with spec.nodeName field selector"),
        "{out}"
    );
    // Another node sees none of it.
    let other = unique("n");
    let cert = server.client_cert(&format!("system:node:{other}"), &["system:nodes"]);
    let stranger = server.kubectl_as(&dir, "stranger", cert_credential(&cert));
    let out = stranger.fails(&["get", "secret", "used", "-n", &ns]).await;
    assert!(
        out.stderr.contains(&format!(
            "no relationship found between node '{other}' and this object"
        )),
        "{out}"
    );
    // The pod goes: so does the node's access.
    admin
        .ok(&["delete", "pod", "web", "-n", &ns, "--grace-period=0", "--force"])
        .await;
    wait_for("the pod out of the node graph", || async {
        (!kubelet.run(&["get", "secret", "used", "-n", &ns]).await.success()).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_auth_reconcile_creates_and_extends_roles_and_bindings() {
    let server = SERVER.get().await;
    let dir = TempDir::new("rbac-reconcile");
    let admin = server.kubectl(&dir);
    let ns = unique("rbac-reconcile");
    admin.ok(&["create", "namespace", &ns]).await;
    let manifest = |verbs: &[&str]| {
        let role = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "app", "namespace": ns},
            "rules": [{"verbs": verbs, "apiGroups": [""], "resources": ["configmaps"]}],
        });
        let binding = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "app", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "app"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "recon"}],
        });
        json!({"apiVersion": "v1", "kind": "List", "items": [role, binding]}).to_string()
    };
    let file = dir.write("rbac.json", manifest(&["get"]));
    let out = admin
        .ok(&["auth", "reconcile", "-f", &file.display().to_string()])
        .await;
    assert!(out.contains("reconciled"), "{out}");
    let file = dir.write("rbac.json", manifest(&["get", "list"]));
    admin
        .ok(&["auth", "reconcile", "-f", &file.display().to_string()])
        .await;
    let role = admin.json(&["get", "role", "app", "-n", &ns, "-o", "json"]).await;
    let verbs: Vec<&str> = role["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["verbs"].as_array().unwrap().iter().filter_map(|v| v.as_str()))
        .collect();
    assert!(verbs.contains(&"get") && verbs.contains(&"list"), "{role}");
    let recon = user(server, &dir, "recon");
    wait_allowed(&recon, &["list", "configmaps", "-n", &ns]).await;
}
