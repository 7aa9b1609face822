//! The real kube-rs client (`kube` 5 over rustls, `k8s-openapi` models) against Gatehouse:
//! metadata-only get, list and watch (`PartialObjectMetadata`), a DaemonSet and a
//! ReplicationController whose statuses k8s-openapi models with non-optional counters, and a
//! dry-run delete carried in the `DeleteOptions` body.
//!
//! The client loads the admin kubeconfig the server wrote, the way a user's program does. Each
//! test works in a namespace of its own on one shared server, with a client of its own (a kube
//! `Client` belongs to the tokio runtime of the test that made it).

use std::collections::BTreeMap;
use std::time::Duration;

use either::Either;
use futures::{StreamExt, TryStreamExt};
use gatehouse_tests::{unique, Options, Server, Shared};
use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, Namespace, PodSpec, PodTemplateSpec, ReplicationController,
    ReplicationControllerSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::api::{Api, DeleteParams, GetParams, ListParams, PostParams, ResourceExt, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{Request, Status};
use kube::{Client, Config};
use serde_json::Value;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

/// A bound on each step that waits for the server, not an expectation.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the server keeps the metadata watch open at most.
const WATCH_SECONDS: u32 = 20;

/// A kube client built from the admin kubeconfig `server` wrote.
async fn client(server: &Server) -> Client {
    let kubeconfig = Kubeconfig::read_from(&server.kubeconfig)
        .unwrap_or_else(|e| panic!("kube reading {}: {e}", server.kubeconfig.display()));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("kube loading {}: {e}", server.kubeconfig.display()));
    assert_eq!(
        config.cluster_url.to_string().trim_end_matches('/'),
        server.url(),
        "the kubeconfig's server"
    );
    Client::try_from(config).expect("building a kube client")
}

/// The shared server, a client for it, and a fresh namespace named after `prefix`.
async fn setup(prefix: &str) -> (Client, String) {
    let server = SERVER.get().await;
    let client = client(server).await;
    let ns = unique(prefix);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let created = namespaces
        .create(&PostParams::default(), &namespace(&ns))
        .await
        .unwrap_or_else(|e| panic!("creating namespace {ns}: {e}"));
    assert_eq!(created.name_any(), ns);
    (client, ns)
}

fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config_map(name: &str, label_pairs: &[(&str, &str)], data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels(label_pairs)),
            ..ObjectMeta::default()
        },
        data: Some(labels(data)),
        ..ConfigMap::default()
    }
}

fn pod_template(app: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(&[("app", app)])),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "main".to_string(),
                image: Some("busybox:1.36".to_string()),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
    }
}

/// Runs `fut` within [`STEP_TIMEOUT`].
async fn step<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STEP_TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {STEP_TIMEOUT:?}"))
}

/// The JSON body of a GET of `path` (with `name`) sent as kube builds it, for what the typed
/// models cannot show (a field the model fills in when it is missing, a field it ignores).
async fn raw_get(client: &Client, path: &str, name: &str) -> Value {
    let req = Request::new(path)
        .get(name, &GetParams::default())
        .expect("building a GET");
    step(&format!("GET {path}/{name}"), client.request::<Value>(req))
        .await
        .unwrap_or_else(|e| panic!("GET {path}/{name}: {e}"))
}

fn configmaps_path(ns: &str) -> String {
    format!("/api/v1/namespaces/{ns}/configmaps")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_get_and_list() {
    let (client, ns) = setup("kube-meta").await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let created = maps
        .create(
            &PostParams::default(),
            &config_map("settings", &[("app", "kube-rs"), ("tier", "one")], &[("a", "1")]),
        )
        .await
        .expect("creating a ConfigMap");
    maps.create(
        &PostParams::default(),
        &config_map("other", &[("app", "else")], &[("b", "2")]),
    )
    .await
    .expect("creating a second ConfigMap");

    // get_metadata
    let meta = maps
        .get_metadata("settings")
        .await
        .expect("get_metadata of the ConfigMap");
    let types = meta.types.as_ref().expect("the answer has no apiVersion/kind");
    assert_eq!(types.kind, "PartialObjectMetadata");
    assert_eq!(types.api_version, "meta.k8s.io/v1");
    assert_eq!(meta.metadata.name.as_deref(), Some("settings"));
    assert_eq!(meta.metadata.namespace.as_deref(), Some(ns.as_str()));
    assert_eq!(meta.metadata.uid, created.metadata.uid);
    assert_eq!(meta.metadata.resource_version, created.metadata.resource_version);
    assert!(meta.metadata.resource_version.is_some());
    assert_eq!(
        meta.metadata.labels,
        Some(labels(&[("app", "kube-rs"), ("tier", "one")]))
    );
    assert!(maps
        .get_metadata_opt("no-such-map")
        .await
        .expect("get_metadata_opt of a missing ConfigMap")
        .is_none());

    // list_metadata, all and by label
    let all = maps
        .list_metadata(&ListParams::default())
        .await
        .expect("list_metadata of the ConfigMaps");
    assert_eq!(all.types.kind, "PartialObjectMetadataList");
    assert_eq!(all.types.api_version, "meta.k8s.io/v1");
    assert!(
        all.metadata.resource_version.is_some(),
        "the list has no resourceVersion"
    );
    let mut names: Vec<String> = all.items.iter().map(|m| m.name_any()).collect();
    names.sort();
    // kube-root-ca.crt is published into each namespace by a controller Gatehouse may not run.
    names.retain(|n| n != "kube-root-ca.crt");
    assert_eq!(names, ["other", "settings"]);
    for item in &all.items {
        let types = item.types.as_ref().expect("a list item has no apiVersion/kind");
        assert_eq!(types.kind, "PartialObjectMetadata", "kind of {}", item.name_any());
        assert_eq!(types.api_version, "meta.k8s.io/v1");
        assert!(item.metadata.uid.is_some() && item.metadata.resource_version.is_some());
    }
    let selected = maps
        .list_metadata(&ListParams::default().labels("app=kube-rs"))
        .await
        .expect("list_metadata with a label selector");
    let selected: Vec<_> = selected.items.iter().map(|m| m.name_any()).collect();
    assert_eq!(selected, ["settings"]);

    // What kube received, as JSON: metadata and nothing else (no data), in the list and the get.
    let path = configmaps_path(&ns);
    let req = Request::new(&path)
        .list_metadata(&ListParams::default().labels("app=kube-rs"))
        .expect("building a metadata list");
    let text = step("raw metadata list", client.request_text(req))
        .await
        .expect("the raw metadata list");
    let list: Value = serde_json::from_str(&text).expect("the metadata list is JSON");
    assert_eq!(list["kind"], "PartialObjectMetadataList", "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    for item in items {
        assert_eq!(item["kind"], "PartialObjectMetadata", "{item}");
        let keys: Vec<&str> = item
            .as_object()
            .expect("an item is an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 3, "fields of a list item: {item}");
        assert!(
            ["apiVersion", "kind", "metadata"]
                .iter()
                .all(|k| keys.contains(k)),
            "{item}"
        );
    }
    let req = Request::new(&path)
        .get_metadata("settings", &GetParams::default())
        .expect("building a metadata get");
    let text = step("raw metadata get", client.request_text(req))
        .await
        .expect("the raw metadata get");
    let got: Value = serde_json::from_str(&text).expect("the metadata get is JSON");
    assert_eq!(got["kind"], "PartialObjectMetadata", "{got}");
    assert!(got.get("data").is_none(), "the metadata get carries data: {got}");
    assert_eq!(got["metadata"]["labels"]["app"], "kube-rs", "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_metadata_sees_added() {
    let (client, ns) = setup("kube-watch").await;
    let maps: Api<ConfigMap> = Api::namespaced(client, &ns);
    let listed = maps
        .list_metadata(&ListParams::default())
        .await
        .expect("list_metadata before the watch");
    let rv = listed
        .metadata
        .resource_version
        .expect("the list has no resourceVersion");

    // watch_metadata returns once the server has answered the watch's headers.
    let stream = step(
        "starting the metadata watch",
        maps.watch_metadata(&WatchParams::default().timeout(WATCH_SECONDS), &rv),
    )
    .await
    .expect("watch_metadata");
    let mut stream = stream.boxed();
    let created = maps
        .create(
            &PostParams::default(),
            &config_map("watched", &[("app", "watched")], &[("n", "1")]),
        )
        .await
        .expect("creating a ConfigMap while watching");

    let mut seen = Vec::new();
    let added = step("the ADDED event", async {
        while let Some(event) = stream.try_next().await.expect("a watch event") {
            match event {
                WatchEvent::Added(meta) if meta.name_any() == "watched" => return meta,
                WatchEvent::Error(status) => panic!("the watch failed: {status:?}"),
                other => seen.push(format!("{other:?}")),
            }
        }
        panic!("the watch ended without an ADDED event for watched; saw {seen:?}")
    })
    .await;
    let types = added
        .types
        .as_ref()
        .expect("the event object has no apiVersion/kind");
    assert_eq!(types.kind, "PartialObjectMetadata");
    assert_eq!(types.api_version, "meta.k8s.io/v1");
    assert_eq!(added.metadata.uid, created.metadata.uid);
    assert_eq!(added.metadata.resource_version, created.metadata.resource_version);
    assert_eq!(added.metadata.labels, Some(labels(&[("app", "watched")])));
    let added_rv: u64 = added
        .resource_version()
        .expect("the event object has no resourceVersion")
        .parse()
        .expect("a numeric resourceVersion");
    assert!(
        added_rv > rv.parse::<u64>().expect("a numeric list resourceVersion"),
        "ADDED at {added_rv}, not after the list's {rv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_set_and_replication_controller_statuses() {
    let (client, ns) = setup("kube-ds").await;

    let daemon_sets: Api<DaemonSet> = Api::namespaced(client.clone(), &ns);
    let ds = DaemonSet {
        metadata: ObjectMeta {
            name: Some("agent".to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(DaemonSetSpec {
            selector: LabelSelector {
                match_labels: Some(labels(&[("app", "agent")])),
                ..LabelSelector::default()
            },
            template: pod_template("agent"),
            ..DaemonSetSpec::default()
        }),
        ..DaemonSet::default()
    };
    let created = daemon_sets
        .create(&PostParams::default(), &ds)
        .await
        .expect("creating a DaemonSet");
    let read = daemon_sets.get("agent").await.expect("getting the DaemonSet");
    assert_eq!(read.metadata.uid, created.metadata.uid);
    for (what, ds) in [("created", &created), ("read", &read)] {
        let status = ds
            .status
            .as_ref()
            .unwrap_or_else(|| panic!("the {what} DaemonSet has no status"));
        assert_eq!(status.current_number_scheduled, 0, "{what}");
        assert_eq!(status.desired_number_scheduled, 0, "{what}");
        assert_eq!(status.number_misscheduled, 0, "{what}");
        assert_eq!(status.number_ready, 0, "{what}");
    }
    assert_eq!(
        read.spec
            .as_ref()
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.type_.as_deref()),
        Some("RollingUpdate"),
        "defaulted updateStrategy"
    );
    // k8s-openapi reads a missing counter as 0, so the answer itself must carry them.
    let raw = raw_get(
        &client,
        &format!("/apis/apps/v1/namespaces/{ns}/daemonsets"),
        "agent",
    )
    .await;
    for field in [
        "currentNumberScheduled",
        "desiredNumberScheduled",
        "numberMisscheduled",
        "numberReady",
    ] {
        assert_eq!(raw["status"][field], 0, "status.{field} in {raw}");
    }
    let listed = daemon_sets
        .list(&ListParams::default())
        .await
        .expect("listing DaemonSets");
    assert_eq!(
        listed.items.iter().map(|d| d.name_any()).collect::<Vec<_>>(),
        ["agent"]
    );

    let controllers: Api<ReplicationController> = Api::namespaced(client.clone(), &ns);
    let rc = ReplicationController {
        metadata: ObjectMeta {
            name: Some("legacy".to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicationControllerSpec {
            selector: Some(labels(&[("app", "legacy")])),
            template: Some(pod_template("legacy")),
            ..ReplicationControllerSpec::default()
        }),
        ..ReplicationController::default()
    };
    let created = controllers
        .create(&PostParams::default(), &rc)
        .await
        .expect("creating a ReplicationController");
    let read = controllers
        .get("legacy")
        .await
        .expect("getting the ReplicationController");
    for (what, rc) in [("created", &created), ("read", &read)] {
        let status = rc
            .status
            .as_ref()
            .unwrap_or_else(|| panic!("the {what} ReplicationController has no status"));
        assert_eq!(status.replicas, 0, "{what}");
    }
    assert_eq!(read.spec.as_ref().and_then(|s| s.replicas), Some(1));
    let raw = raw_get(
        &client,
        &format!("/api/v1/namespaces/{ns}/replicationcontrollers"),
        "legacy",
    )
    .await;
    assert_eq!(raw["status"]["replicas"], 0, "status.replicas in {raw}");
}

/// A ConfigMap's delete answers, as kube-apiserver's does for a kind deleted at once, a
/// Success `Status` naming the object rather than the object.
fn expect_deleted_status(answer: Either<ConfigMap, Status>, created: &ConfigMap, what: &str) {
    let status = match answer {
        Either::Right(status) => status,
        Either::Left(obj) => panic!("{what} answered the object, not a Status: {obj:?}"),
    };
    assert!(status.is_success(), "{what}: {status:?}");
    let details = status
        .details
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: the Status has no details: {status:?}"));
    assert_eq!(details.name, created.name_any(), "{what}: {status:?}");
    assert_eq!(details.kind, "configmaps", "{what}: {status:?}");
    assert_eq!(
        Some(&details.uid),
        created.metadata.uid.as_ref(),
        "{what}: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_delete_keeps_the_object() {
    let (client, ns) = setup("kube-dry").await;
    let maps: Api<ConfigMap> = Api::namespaced(client, &ns);
    let created = maps
        .create(
            &PostParams::default(),
            &config_map("kept", &[("app", "kept")], &[("k", "v")]),
        )
        .await
        .expect("creating a ConfigMap");

    // kube sends dryRun in the DeleteOptions body.
    let dry = DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    };
    let answer = maps.delete("kept", &dry).await.expect("the dry-run delete");
    expect_deleted_status(answer, &created, "the dry-run delete");
    let read = maps.get("kept").await.expect("the ConfigMap after the dry run");
    assert_eq!(read.metadata.uid, created.metadata.uid);
    assert_eq!(
        read.metadata.resource_version, created.metadata.resource_version,
        "the dry run changed the ConfigMap"
    );
    assert_eq!(read.data, Some(labels(&[("k", "v")])));

    let answer = maps
        .delete("kept", &DeleteParams::default())
        .await
        .expect("the real delete");
    expect_deleted_status(answer, &created, "the real delete");
    assert!(
        maps.get_opt("kept")
            .await
            .expect("get_opt after the delete")
            .is_none(),
        "the ConfigMap is still there after the real delete"
    );
}
