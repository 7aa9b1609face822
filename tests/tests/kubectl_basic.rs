//! kubectl 1.32 against one shared Gatehouse (tokio runtime, embedded store): generators with
//! protobuf bodies, output formats, label/annotate, patch, scale, delete, discovery, explain and
//! paging. Every test works in a namespace of its own.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(Options::tokio);

async fn setup(label: &str) -> (&'static Server, TempDir, Kubectl, String) {
    let server = SERVER.get().await;
    let dir = TempDir::new(label);
    let k = server.kubectl(&dir);
    let ns = unique(label);
    assert_eq!(
        k.ok(&["create", "namespace", &ns]).await.trim(),
        format!("namespace/{ns} created")
    );
    (server, dir, k, ns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_namespace_is_listed_active() {
    let (_server, _dir, k, ns) = setup("ns").await;
    let out = k.ok(&["get", "namespace", &ns]).await;
    let rows = table_rows(&out);
    assert_eq!(rows[0], ["NAME", "STATUS", "AGE"], "{out}");
    assert_eq!(rows[1][..2], [ns.as_str(), "Active"], "{out}");
    let obj = k.json(&["get", "namespace", &ns, "-o", "json"]).await;
    assert_eq!(obj["kind"], "Namespace");
    assert_eq!(obj["status"]["phase"], "Active");
    assert_eq!(
        obj["metadata"]["labels"]["kubernetes.io/metadata.name"],
        ns.as_str()
    );
    let out = k.fails(&["create", "namespace", &ns]).await;
    assert!(
        out.stderr.contains(&format!(
            "Error from server (AlreadyExists): namespaces \"{ns}\" already exists"
        )),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_configmap_from_literal() {
    let (_server, _dir, k, ns) = setup("cm-literal").await;
    let out = k
        .ok(&[
            "create",
            "configmap",
            "settings",
            "-n",
            &ns,
            "--from-literal=mode=fast",
            "--from-literal=level=3",
        ])
        .await;
    assert_eq!(out.trim(), "configmap/settings created");
    let cm = k
        .json(&["get", "configmap", "settings", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["apiVersion"], "v1");
    assert_eq!(cm["metadata"]["name"], "settings");
    assert_eq!(cm["metadata"]["namespace"], ns.as_str());
    assert_eq!(cm["data"], json!({"mode": "fast", "level": "3"}));
    assert!(
        cm["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36),
        "{cm}"
    );
    assert!(cm["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|rv| !rv.is_empty()));
    assert!(cm["metadata"]["creationTimestamp"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    let out = k
        .fails(&["create", "configmap", "settings", "-n", &ns, "--from-literal=a=b"])
        .await;
    // kubectl words generator failures itself: `error: failed to create configmap: <message>`.
    assert!(
        out.stderr.contains("configmaps \"settings\" already exists"),
        "{out}"
    );
}

/// kubectl 1.32 sends generator objects as protobuf; what is stored must read back exactly like
/// an object created from JSON, without the empty fields the protobuf encoding spells out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_created_objects_have_no_empty_fields() {
    let (_server, _dir, k, ns) = setup("pb-empty").await;
    k.ok(&["create", "configmap", "pb", "-n", &ns, "--from-literal=a=b"])
        .await;
    let cm = k.json(&["get", "configmap", "pb", "-n", &ns, "-o", "json"]).await;
    let meta = cm["metadata"].as_object().expect("metadata");
    let mut keys: Vec<&str> = meta.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["creationTimestamp", "name", "namespace", "resourceVersion", "uid"],
        "{cm}"
    );

    k.ok(&["create", "deployment", "pb", "-n", &ns, "--image=nginx:1.27"])
        .await;
    let d = k
        .json(&["get", "deployment", "pb", "-n", &ns, "-o", "json"])
        .await;
    assert!(d["metadata"].get("generateName").is_none(), "{d}");
    let template_meta = d["spec"]["template"]["metadata"]
        .as_object()
        .expect("template metadata");
    for key in [
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
    ] {
        assert!(
            template_meta.get(key).is_none(),
            "template metadata has {key}: {d}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_deployment_and_get_wide() {
    let (_server, _dir, k, ns) = setup("deploy").await;
    let out = k
        .ok(&[
            "create",
            "deployment",
            "web",
            "-n",
            &ns,
            "--image=nginx:1.27",
            "--replicas=2",
        ])
        .await;
    assert_eq!(out.trim(), "deployment.apps/web created");
    let d = k
        .json(&["get", "deployment", "web", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(d["kind"], "Deployment");
    assert_eq!(d["apiVersion"], "apps/v1");
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["selector"]["matchLabels"], json!({"app": "web"}));
    assert_eq!(d["spec"]["template"]["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["name"], "nginx");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
    assert_eq!(d["metadata"]["generation"], 1);

    let out = k.ok(&["get", "deployments", "-n", &ns]).await;
    let rows = table_rows(&out);
    assert_eq!(
        rows[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        "{out}"
    );
    assert_eq!(rows[1][..2], ["web", "0/2"], "{out}");

    let out = k.ok(&["get", "deployments", "-n", &ns, "-o", "wide"]).await;
    let rows = table_rows(&out);
    assert_eq!(
        rows[0],
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ],
        "{out}"
    );
    assert_eq!(rows[1][0], "web", "{out}");
    assert_eq!(rows[1][5..], ["nginx", "nginx:1.27", "app=web"], "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_table_wide_yaml_json() {
    let (_server, _dir, k, ns) = setup("formats").await;
    k.ok(&[
        "create",
        "configmap",
        "alpha",
        "-n",
        &ns,
        "--from-literal=a=1",
        "--from-literal=b=2",
    ])
    .await;
    k.ok(&["create", "configmap", "beta", "-n", &ns, "--from-literal=c=3"])
        .await;

    let out = k.ok(&["get", "configmaps", "-n", &ns]).await;
    let rows = table_rows(&out);
    assert_eq!(rows[0], ["NAME", "DATA", "AGE"], "{out}");
    let named: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert!(named.contains(&("alpha", "2")), "{out}");
    assert!(named.contains(&("beta", "1")), "{out}");

    let out = k.ok(&["get", "configmaps", "-n", &ns, "-o", "wide"]).await;
    assert_eq!(table_rows(&out)[0], ["NAME", "DATA", "AGE"], "{out}");

    let yaml = k
        .ok(&["get", "configmap", "alpha", "-n", &ns, "-o", "yaml"])
        .await;
    for line in [
        "apiVersion: v1",
        "kind: ConfigMap",
        "data:",
        "  a: \"1\"",
        "  b: \"2\"",
        "metadata:",
        "  name: alpha",
        &format!("  namespace: {ns}"),
    ] {
        assert!(yaml.lines().any(|l| l == line), "missing line {line:?}\n{yaml}");
    }

    let list = k.json(&["get", "configmaps", "-n", &ns, "-o", "json"]).await;
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    let alpha = items
        .iter()
        .find(|i| i["metadata"]["name"] == "alpha")
        .unwrap_or_else(|| panic!("alpha missing: {list}"));
    assert_eq!(alpha["kind"], "ConfigMap");
    assert_eq!(alpha["data"], json!({"a": "1", "b": "2"}));

    let out = k.ok(&["get", "configmap", "beta", "-n", &ns, "-o", "name"]).await;
    assert_eq!(out.trim(), "configmap/beta");

    let out = k.fails(&["get", "configmap", "gamma", "-n", &ns]).await;
    assert!(
        out.stderr
            .contains("Error from server (NotFound): configmaps \"gamma\" not found"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_annotate_with_stale_resource_version() {
    let (_server, _dir, k, ns) = setup("label").await;
    k.ok(&["create", "configmap", "tagged", "-n", &ns, "--from-literal=a=b"])
        .await;
    let rv0 = k
        .ok(&[
            "get",
            "configmap",
            "tagged",
            "-n",
            &ns,
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .await;

    let out = k
        .ok(&["label", "configmap", "tagged", "-n", &ns, "tier=backend"])
        .await;
    assert_eq!(out.trim(), "configmap/tagged labeled");
    let out = k
        .ok(&["annotate", "configmap", "tagged", "-n", &ns, "owner=team-a"])
        .await;
    assert_eq!(out.trim(), "configmap/tagged annotated");
    let cm = k
        .json(&["get", "configmap", "tagged", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(cm["metadata"]["labels"]["tier"], "backend");
    assert_eq!(cm["metadata"]["annotations"]["owner"], "team-a");
    let rv2 = cm["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    assert_ne!(rv0, rv2);

    // `rv0` is stale now: both commands must be refused with 409 and leave the object alone.
    let out = k
        .fails(&[
            "label",
            "configmap",
            "tagged",
            "-n",
            &ns,
            "stale=yes",
            "--resource-version",
            &rv0,
        ])
        .await;
    assert!(
        out.stderr.contains(
            "Error from server (Conflict): Operation cannot be fulfilled on configmaps \"tagged\": \
             the object has been modified; please apply your changes to the latest version and try again"
        ),
        "{out}"
    );
    let out = k
        .fails(&[
            "annotate",
            "configmap",
            "tagged",
            "-n",
            &ns,
            "stale=yes",
            "--resource-version",
            &rv0,
        ])
        .await;
    assert!(out.stderr.contains("Error from server (Conflict)"), "{out}");
    let cm = k
        .json(&["get", "configmap", "tagged", "-n", &ns, "-o", "json"])
        .await;
    assert!(cm["metadata"]["labels"].get("stale").is_none(), "{cm}");
    assert!(cm["metadata"]["annotations"].get("stale").is_none(), "{cm}");
    assert_eq!(cm["metadata"]["resourceVersion"], rv2.as_str());

    // The current resourceVersion is accepted.
    let out = k
        .ok(&[
            "label",
            "configmap",
            "tagged",
            "-n",
            &ns,
            "fresh=yes",
            "--resource-version",
            &rv2,
        ])
        .await;
    assert_eq!(out.trim(), "configmap/tagged labeled");

    // Removing a label and overwriting an annotation.
    k.ok(&["label", "configmap", "tagged", "-n", &ns, "tier-"]).await;
    k.ok(&[
        "annotate",
        "configmap",
        "tagged",
        "-n",
        &ns,
        "--overwrite",
        "owner=team-b",
    ])
    .await;
    let cm = k
        .json(&["get", "configmap", "tagged", "-n", &ns, "-o", "json"])
        .await;
    assert_eq!(cm["metadata"]["labels"], json!({"fresh": "yes"}));
    assert_eq!(cm["metadata"]["annotations"]["owner"], "team-b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_json_merge_strategic() {
    let (_server, _dir, k, ns) = setup("patch").await;
    k.ok(&[
        "create",
        "configmap",
        "p",
        "-n",
        &ns,
        "--from-literal=a=1",
        "--from-literal=b=2",
    ])
    .await;

    let out = k
        .ok(&[
            "patch",
            "configmap",
            "p",
            "-n",
            &ns,
            "--type",
            "json",
            "-p",
            r#"[{"op":"replace","path":"/data/a","value":"10"},{"op":"remove","path":"/data/b"},{"op":"add","path":"/data/c","value":"3"}]"#,
        ])
        .await;
    assert_eq!(out.trim(), "configmap/p patched");
    let cm = k.json(&["get", "configmap", "p", "-n", &ns, "-o", "json"]).await;
    assert_eq!(cm["data"], json!({"a": "10", "c": "3"}));

    let out = k
        .ok(&[
            "patch",
            "configmap",
            "p",
            "-n",
            &ns,
            "--type",
            "merge",
            "-p",
            r#"{"data":{"a":null,"d":"4"}}"#,
        ])
        .await;
    assert_eq!(out.trim(), "configmap/p patched");
    let cm = k.json(&["get", "configmap", "p", "-n", &ns, "-o", "json"]).await;
    assert_eq!(cm["data"], json!({"c": "3", "d": "4"}));

    // Strategic merge: containers merge by name, so the sidecar is added and the first one kept.
    k.ok(&["create", "deployment", "app", "-n", &ns, "--image=nginx:1.27"])
        .await;
    let out = k
        .ok(&[
            "patch",
            "deployment",
            "app",
            "-n",
            &ns,
            "--type",
            "strategic",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}"#,
        ])
        .await;
    assert_eq!(out.trim(), "deployment.apps/app patched");
    // The default patch type is strategic too.
    k.ok(&[
        "patch",
        "deployment",
        "app",
        "-n",
        &ns,
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}"#,
    ])
    .await;
    let d = k
        .json(&["get", "deployment", "app", "-n", &ns, "-o", "json"])
        .await;
    let containers: Vec<(String, String)> = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["image"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // Without `$setElementOrder`, kube-apiserver puts an item only the patch has before the
    // live items that the patch does not mention.
    assert_eq!(
        containers,
        [
            ("sidecar".to_string(), "busybox:1.36".to_string()),
            ("nginx".to_string(), "nginx:1.28".to_string())
        ],
        "{d}"
    );
    assert_eq!(d["metadata"]["generation"], 3, "{d}");

    // A JSON patch whose `test` fails is refused and changes nothing.
    let out = k
        .fails(&[
            "patch",
            "configmap",
            "p",
            "-n",
            &ns,
            "--type",
            "json",
            "-p",
            r#"[{"op":"test","path":"/data/c","value":"999"},{"op":"add","path":"/data/e","value":"5"}]"#,
        ])
        .await;
    assert!(out.stderr.contains("is invalid"), "{out}");
    let cm = k.json(&["get", "configmap", "p", "-n", &ns, "-o", "json"]).await;
    assert_eq!(cm["data"], json!({"c": "3", "d": "4"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_deployment() {
    let (_server, _dir, k, ns) = setup("scale").await;
    k.ok(&["create", "deployment", "s", "-n", &ns, "--image=nginx:1.27"])
        .await;
    let out = k
        .ok(&["scale", "deployment", "s", "-n", &ns, "--replicas=4"])
        .await;
    assert_eq!(out.trim(), "deployment.apps/s scaled");
    let replicas = k
        .ok(&[
            "get",
            "deployment",
            "s",
            "-n",
            &ns,
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(replicas, "4");
    let out = k.ok(&["get", "deployment", "s", "-n", &ns]).await;
    assert_eq!(table_rows(&out)[1][..2], ["s", "0/4"], "{out}");

    // With a precondition on the current size.
    let out = k
        .ok(&[
            "scale",
            "deployment",
            "s",
            "-n",
            &ns,
            "--current-replicas=4",
            "--replicas=1",
        ])
        .await;
    assert_eq!(out.trim(), "deployment.apps/s scaled");
    let out = k
        .fails(&[
            "scale",
            "deployment",
            "s",
            "-n",
            &ns,
            "--current-replicas=3",
            "--replicas=2",
        ])
        .await;
    assert!(out.stderr.contains("Expected replicas to be 3, was 1"), "{out}");
    let replicas = k
        .ok(&[
            "get",
            "deployment",
            "s",
            "-n",
            &ns,
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(replicas, "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_objects() {
    let (_server, _dir, k, ns) = setup("delete").await;
    k.ok(&["create", "configmap", "gone", "-n", &ns, "--from-literal=a=b"])
        .await;
    k.ok(&["create", "configmap", "kept", "-n", &ns, "--from-literal=a=b"])
        .await;
    k.ok(&["create", "deployment", "d", "-n", &ns, "--image=nginx:1.27"])
        .await;

    let out = k.ok(&["delete", "configmap", "gone", "-n", &ns]).await;
    assert_eq!(out.trim(), "configmap \"gone\" deleted");
    let out = k.ok(&["delete", "deployment", "d", "-n", &ns]).await;
    assert_eq!(out.trim(), "deployment.apps \"d\" deleted");

    let out = k.fails(&["get", "configmap", "gone", "-n", &ns]).await;
    assert!(
        out.stderr
            .contains("Error from server (NotFound): configmaps \"gone\" not found"),
        "{out}"
    );
    let out = k.fails(&["get", "deployment", "d", "-n", &ns]).await;
    assert!(
        out.stderr
            .contains("Error from server (NotFound): deployments.apps \"d\" not found"),
        "{out}"
    );
    let out = k.fails(&["delete", "configmap", "gone", "-n", &ns]).await;
    assert!(
        out.stderr
            .contains("Error from server (NotFound): configmaps \"gone\" not found"),
        "{out}"
    );
    let names = k.ok(&["get", "configmaps", "-n", &ns, "-o", "name"]).await;
    assert!(names.lines().any(|l| l == "configmap/kept"), "{names}");
    assert!(!names.lines().any(|l| l == "configmap/gone"), "{names}");

    // By label selector.
    k.ok(&["label", "configmap", "kept", "-n", &ns, "sweep=yes"])
        .await;
    let out = k
        .ok(&["delete", "configmaps", "-n", &ns, "-l", "sweep=yes"])
        .await;
    assert_eq!(out.trim(), "configmap \"kept\" deleted");
    let out = k
        .ok(&["get", "configmaps", "-n", &ns, "-l", "sweep=yes", "-o", "name"])
        .await;
    assert_eq!(out.trim(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_resources_and_api_versions() {
    let server = SERVER.get().await;
    let dir = TempDir::new("discovery");
    let k = server.kubectl(&dir);

    let out = k.ok(&["api-resources"]).await;
    let rows = table_rows(&out);
    assert_eq!(
        rows[0],
        ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
        "{out}"
    );
    for expected in [
        &["configmaps", "cm", "v1", "true", "ConfigMap"][..],
        &["namespaces", "ns", "v1", "false", "Namespace"],
        &["services", "svc", "v1", "true", "Service"],
        &["deployments", "deploy", "apps/v1", "true", "Deployment"],
        &["secrets", "v1", "true", "Secret"],
    ] {
        assert!(rows.iter().any(|r| r == expected), "missing {expected:?}\n{out}");
    }

    let out = k.ok(&["api-resources", "--api-group=apps", "-o", "name"]).await;
    assert!(out.lines().any(|l| l == "deployments.apps"), "{out}");
    assert!(!out.lines().any(|l| l == "configmaps"), "{out}");

    let out = k.ok(&["api-versions"]).await;
    let versions: Vec<&str> = out.lines().collect();
    for gv in ["v1", "apps/v1"] {
        assert!(versions.contains(&gv), "missing {gv}\n{out}");
    }
    let mut sorted = versions.clone();
    sorted.sort_unstable();
    assert_eq!(versions, sorted, "kubectl sorts api-versions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_deployment_replicas() {
    let server = SERVER.get().await;
    let dir = TempDir::new("explain");
    let k = server.kubectl(&dir);
    let out = k.ok(&["explain", "deployment.spec.replicas"]).await;
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    assert!(lines.contains(&"GROUP:      apps"), "{out}");
    assert!(lines.contains(&"KIND:       Deployment"), "{out}");
    assert!(lines.contains(&"VERSION:    v1"), "{out}");
    assert!(lines.contains(&"FIELD: replicas <integer>"), "{out}");
    assert!(out.contains("Number of desired pods"), "{out}");

    let out = k.fails(&["explain", "deployment.spec.nosuchfield"]).await;
    assert!(out.stderr.contains("nosuchfield"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_in_chunks_returns_everything() {
    let (server, dir, k, ns) = setup("chunks").await;
    let mut expected = Vec::new();
    for i in 0..10 {
        let name = format!("chunk-{i:02}");
        k.ok(&[
            "create",
            "configmap",
            &name,
            "-n",
            &ns,
            &format!("--from-literal=i={i}"),
        ])
        .await;
        expected.push(format!("configmap/{name}"));
    }

    let out = k
        .run(&[
            "get",
            "configmaps",
            "-n",
            &ns,
            "--chunk-size=2",
            "-o",
            "name",
            "-v=6",
        ])
        .await;
    assert!(out.success(), "{out}");
    let names: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("configmap/chunk-"))
        .collect();
    assert_eq!(names, expected, "{out}");
    // kubectl really paged: one request per 2 items, each after the first with a continue token.
    let continued = out
        .stderr
        .lines()
        .filter(|l| l.contains("/configmaps?") && l.contains("limit=2") && l.contains("continue="))
        .count();
    assert!(continued >= 4, "expected at least 4 continued requests\n{out}");

    // The table printer pages too.
    let out = k.ok(&["get", "configmaps", "-n", &ns, "--chunk-size=2"]).await;
    let rows = table_rows(&out);
    assert_eq!(
        rows.iter().filter(|r| r[0].starts_with("chunk-")).count(),
        10,
        "{out}"
    );
    assert_eq!(
        rows.iter().filter(|r| r[0] == "NAME").count(),
        1,
        "one header\n{out}"
    );

    // The same on the wire: pages of 2 with continue tokens and a remaining count.
    let http = server.http(&dir);
    let path = format!("/api/v1/namespaces/{ns}/configmaps?limit=2");
    let first = http.get(&path).await.ok();
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2), "{first}");
    let token = first["metadata"]["continue"]
        .as_str()
        .expect("continue token")
        .to_string();
    assert!(!token.is_empty());
    let mut seen = 2;
    let mut token = Some(token);
    let mut pages = 1;
    while let Some(t) = token.take() {
        let page = http
            .get(&format!(
                "/api/v1/namespaces/{ns}/configmaps?limit=2&continue={}",
                query_escape(&t)
            ))
            .await
            .ok();
        seen += page["items"].as_array().map_or(0, Vec::len);
        pages += 1;
        token = page["metadata"]["continue"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        assert!(pages <= 10, "paging does not end: {page}");
    }
    let all = http
        .get(&format!("/api/v1/namespaces/{ns}/configmaps"))
        .await
        .ok();
    assert_eq!(seen, all["items"].as_array().map_or(0, Vec::len));
    assert!(seen >= 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_across_namespaces_with_selectors() {
    let (_server, _dir, k, ns) = setup("select").await;
    let other = unique("select-other");
    k.ok(&["create", "namespace", &other]).await;
    let team = unique("team");
    for (namespace, name, label) in [
        (&ns, "one", Some(team.as_str())),
        (&ns, "two", None),
        (&other, "three", Some(team.as_str())),
    ] {
        k.ok(&["create", "configmap", name, "-n", namespace, "--from-literal=a=b"])
            .await;
        if let Some(t) = label {
            k.ok(&["label", "configmap", name, "-n", namespace, &format!("team={t}")])
                .await;
        }
    }

    let out = k
        .ok(&["get", "configmaps", "-A", "-l", &format!("team={team}")])
        .await;
    let rows = table_rows(&out);
    assert_eq!(rows[0], ["NAMESPACE", "NAME", "DATA", "AGE"], "{out}");
    let mut found: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    found.sort_unstable();
    let mut expected = vec![(ns.as_str(), "one"), (other.as_str(), "three")];
    expected.sort_unstable();
    assert_eq!(found, expected, "{out}");

    let out = k
        .ok(&["get", "configmaps", "-n", &ns, "-l", "!team", "-o", "name"])
        .await;
    let names: Vec<&str> = out.lines().filter(|l| !l.ends_with(ROOT_CA_CONFIGMAP)).collect();
    assert_eq!(names, ["configmap/two"], "{out}");
    let out = k
        .ok(&[
            "get",
            "configmaps",
            "-A",
            "--field-selector",
            "metadata.name=three",
            "-o",
            "name",
        ])
        .await;
    assert_eq!(out.trim(), "configmap/three", "{out}");

    // ConfigMaps only know the generic fields (kube's DefaultMetaV1FieldSelectorConversion).
    let out = k
        .fails(&["get", "configmaps", "-n", &ns, "--field-selector", "data.a=b"])
        .await;
    assert!(
        out.stderr
            .contains("Error from server (BadRequest): Unable to find \"/v1, Resource=configmaps\" that match label selector \"\", field selector \"data.a=b\": \"data.a\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""),
        "{out}"
    );
}
