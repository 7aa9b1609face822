//! Watches: `kubectl get -w` printing events as they happen, a single-object JSON watch, and the
//! raw chunked watch stream over HTTP.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

fn has(out: &str, event: &str, name: &str) -> bool {
    watch_events(out).contains(&(event.to_string(), name.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_prints_added_modified_deleted_as_they_happen() {
    let server = SERVER.get().await;
    let dir = TempDir::new("watch");
    let k = server.kubectl(&dir);
    let ns = unique("watch");
    let other = unique("watch-other");
    k.ok(&["create", "namespace", &ns]).await;
    k.ok(&["create", "namespace", &other]).await;
    k.ok(&["create", "configmap", "before", "-n", &ns, "--from-literal=a=1"])
        .await;

    let mut watch = k.spawn(&[
        "get",
        "configmaps",
        "-n",
        &ns,
        "-w",
        "--output-watch-events",
        "--request-timeout=60s",
    ]);
    // Existing objects come first, as ADDED.
    let out = watch
        .wait_stdout("ADDED before", |out| has(out, "ADDED", "before"))
        .await;
    assert_eq!(table_rows(&out)[0], ["EVENT", "NAME", "DATA", "AGE"], "{out}");

    // Each change shows up before the next one is made.
    k.ok(&["create", "configmap", "live", "-n", &ns, "--from-literal=a=1"])
        .await;
    watch
        .wait_stdout("ADDED live", |out| has(out, "ADDED", "live"))
        .await;
    // A change in another namespace must not show up.
    k.ok(&[
        "create",
        "configmap",
        "elsewhere",
        "-n",
        &other,
        "--from-literal=a=1",
    ])
    .await;
    k.ok(&["label", "configmap", "live", "-n", &ns, "stage=one"])
        .await;
    watch
        .wait_stdout("MODIFIED live", |out| has(out, "MODIFIED", "live"))
        .await;
    k.ok(&[
        "patch",
        "configmap",
        "live",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"data":{"b":"2"}}"#,
    ])
    .await;
    watch
        .wait_stdout("a second MODIFIED live", |out| {
            watch_events(out)
                .iter()
                .filter(|(e, n)| e == "MODIFIED" && n == "live")
                .count()
                == 2
        })
        .await;
    k.ok(&["delete", "configmap", "live", "-n", &ns]).await;
    let out = watch
        .wait_stdout("DELETED live", |out| has(out, "DELETED", "live"))
        .await;
    let out_all = watch.stop().await;

    let events = watch_events(&out);
    assert_eq!(
        events,
        [
            ("ADDED", "before"),
            ("ADDED", "live"),
            ("MODIFIED", "live"),
            ("MODIFIED", "live"),
            ("DELETED", "live"),
        ]
        .map(|(e, n)| (e.to_string(), n.to_string())),
        "{out_all}"
    );
    // The DATA column follows the object: 1 key, then 2 after the patch.
    let rows = table_rows(&out);
    let live: Vec<&str> = rows
        .iter()
        .filter(|r| r.get(1).is_some_and(|n| n == "live"))
        .map(|r| r[2].as_str())
        .collect();
    assert_eq!(live, ["1", "1", "2", "2"], "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_one_object_as_json() {
    let server = SERVER.get().await;
    let dir = TempDir::new("watch-one");
    let k = server.kubectl(&dir);
    let ns = unique("watch-one");
    k.ok(&["create", "namespace", &ns]).await;
    k.ok(&["create", "configmap", "target", "-n", &ns, "--from-literal=v=1"])
        .await;
    k.ok(&[
        "create",
        "configmap",
        "bystander",
        "-n",
        &ns,
        "--from-literal=v=1",
    ])
    .await;

    let mut watch = k.spawn(&[
        "get",
        "configmap",
        "target",
        "-n",
        &ns,
        "-w",
        "--output-watch-events",
        "-o",
        "json",
        "--request-timeout=60s",
    ]);
    let events = |out: &str| -> Vec<Value> {
        serde_json::Deserializer::from_str(out)
            .into_iter::<Value>()
            .map_while(Result::ok)
            .collect()
    };
    watch
        .wait_stdout("the initial event", |out| !events(out).is_empty())
        .await;
    k.ok(&[
        "patch",
        "configmap",
        "bystander",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"data":{"v":"2"}}"#,
    ])
    .await;
    k.ok(&[
        "patch",
        "configmap",
        "target",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"data":{"v":"2"}}"#,
    ])
    .await;
    let out = watch
        .wait_stdout("MODIFIED target", |out| {
            events(out).iter().any(|e| e["type"] == "MODIFIED")
        })
        .await;
    watch.stop().await;

    let events = events(&out);
    assert_eq!(events.len(), 2, "{out}");
    assert_eq!(events[0]["type"], "ADDED", "{out}");
    assert_eq!(events[0]["object"]["metadata"]["name"], "target", "{out}");
    assert_eq!(events[0]["object"]["data"], json!({"v": "1"}), "{out}");
    assert_eq!(events[1]["type"], "MODIFIED", "{out}");
    assert_eq!(events[1]["object"]["kind"], "ConfigMap", "{out}");
    assert_eq!(events[1]["object"]["metadata"]["name"], "target", "{out}");
    assert_eq!(events[1]["object"]["data"], json!({"v": "2"}), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_watch_stream_from_a_resource_version() {
    let server = SERVER.get().await;
    let dir = TempDir::new("watch-raw");
    let http = server.http(&dir);
    let ns = unique("watch-raw");
    http.send_json("POST", "/api/v1/namespaces", &json!({"metadata": {"name": ns}}))
        .await
        .ok();
    let base = format!("/api/v1/namespaces/{ns}/configmaps");
    let list = http.get(&base).await.ok();
    let start_rv = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("list resourceVersion")
        .to_string();

    let created = http
        .send_json(
            "POST",
            &base,
            &json!({"metadata": {"name": "w"}, "data": {"k": "1"}}),
        )
        .await;
    assert_eq!(created.code, 201, "{created}");
    let mut obj = created.json();
    obj["data"]["k"] = json!("2");
    http.send_json("PUT", &format!("{base}/w"), &obj).await.ok();
    http.request(Request {
        method: "DELETE",
        path: &format!("{base}/w"),
        ..Request::default()
    })
    .await
    .ok();

    // Strictly after `start_rv`: exactly the three changes, then the server ends the stream.
    let resp = http
        .watch(
            &format!("{base}?watch=true&resourceVersion={start_rv}&timeoutSeconds=2"),
            30,
        )
        .await;
    assert_eq!(resp.code, 200, "{resp}");
    assert!(
        resp.header("Content-Type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "{resp}"
    );
    assert!(
        resp.header("Transfer-Encoding")
            .is_some_and(|te| te.eq_ignore_ascii_case("chunked")),
        "{resp}"
    );
    let mut events = resp.json_lines();
    events.retain(not_root_ca);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["ADDED", "MODIFIED", "DELETED"], "{resp}");
    let mut last = start_rv.parse::<u64>().expect("numeric resourceVersion");
    for e in &events {
        assert_eq!(e["object"]["kind"], "ConfigMap", "{resp}");
        assert_eq!(e["object"]["apiVersion"], "v1", "{resp}");
        assert_eq!(e["object"]["metadata"]["name"], "w", "{resp}");
        let rv: u64 = e["object"]["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|rv| rv.parse().ok())
            .unwrap_or_else(|| panic!("resourceVersion in {e}"));
        assert!(rv > last, "resourceVersions must increase: {resp}");
        last = rv;
    }
    assert_eq!(events[1]["object"]["data"], json!({"k": "2"}), "{resp}");

    // Without a resourceVersion: a synthetic ADDED for what exists, nothing else.
    http.send_json(
        "POST",
        &base,
        &json!({"metadata": {"name": "x"}, "data": {"k": "1"}}),
    )
    .await
    .ok();
    let resp = http
        .watch(&format!("{base}?watch=true&timeoutSeconds=1"), 30)
        .await;
    let mut events = resp.json_lines();
    events.retain(not_root_ca);
    assert_eq!(events.len(), 1, "{resp}");
    assert_eq!(events[0]["type"], "ADDED", "{resp}");
    assert_eq!(events[0]["object"]["metadata"]["name"], "x", "{resp}");
}
