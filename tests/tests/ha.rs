//! High availability and faults: the etcd v3 backend, the watch cache, and stateless replicas.
//!
//! Every test runs real processes on loopback (see `gatehouse_tests::ha`): etcd (Debian
//! `etcd-server`, with `etcdctl` from `etcd-client`), the `gatehouse` binary, HAProxy (Debian
//! `haproxy`) in TCP mode with TLS passed through, `curl` and `kubectl`. The tests:
//!
//! * three replicas, started at once, on one etcd behind the balancer: the default objects
//!   exist once; a write on one replica is read, listed and watched at once on the others,
//!   directly and through the balancer, which spreads connections over all three; a client
//!   carrying a resourceVersion from one replica to another gets answers not older than it;
//! * optimistic concurrency across replicas: writes with the same stale resourceVersion on
//!   different replicas, one after the other or at once, have exactly one winner and every other
//!   gets 409 Conflict; so does a delete with a stale precondition; creates of one name race to
//!   one 201;
//! * the replica serving a watch opened through the balancer is killed with SIGKILL: the client
//!   resumes from its last resourceVersion through the balancer (and another client directly
//!   on a survivor) and loses and repeats nothing; the replica restarted on the same port serves
//!   everything, and a watch from before its start gets the events or 410 Expired;
//! * etcd killed: requests end quickly with a Status error, `/readyz` reports the etcd check
//!   failing, and when etcd comes back on the same data Gatehouse recovers without a restart,
//!   losing no acknowledged write; a watch opened before the outage goes on or ends cleanly;
//! * a three-member etcd cluster loses first a follower (the member Gatehouse talks to: every
//!   write goes through at once), then, with that member back, the leader (writes failed during
//!   the election are retried): watches see every write once and nothing acknowledged is lost.
//!
//! What Gatehouse answered during the faults is printed (run with `--nocapture` to see it).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use gatehouse_tests::ha::*;
use gatehouse_tests::{
    json, not_root_ca, wait_for, watch_events, Response, TempDir, Value, ROOT_CA_CONFIGMAP,
};

fn cms(ns: &str) -> String {
    format!("/api/v1/namespaces/{ns}/configmaps")
}

fn cm(ns: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{ns}/configmaps/{name}")
}

/// Asserts `r` is 201 Created and returns the object.
fn created(r: &Response) -> Value {
    assert_eq!(r.code, 201, "expected 201 Created\n{r}");
    r.json()
}

/// The names of the items of a list answer, in list order.
fn item_names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list}"))
        .iter()
        .filter(|i| not_root_ca(i))
        .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Asserts the events are ADDED events of exactly `names`, in that order, with strictly
/// increasing resourceVersions.
fn assert_added_exactly_once(events: &[Event], names: &[String], context: &str) {
    let events: Vec<&Event> = events.iter().filter(|e| e.name != ROOT_CA_CONFIGMAP).collect();
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.name.as_str()))
        .collect();
    let want: Vec<(&str, &str)> = names.iter().map(|n| ("ADDED", n.as_str())).collect();
    assert_eq!(got, want, "events in order, each name exactly once\n{context}");
    for pair in events.windows(2) {
        assert!(
            pair[0].rv < pair[1].rv,
            "resourceVersions must increase: {} ({}) then {} ({})\n{context}",
            pair[0].name,
            pair[0].rv,
            pair[1].name,
            pair[1].rv
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Three replicas behind HAProxy
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_one_replica_are_read_and_watched_on_the_others() {
    let mut cl = HaCluster::start("ha-spread", 3);
    let (a, b, c) = (cl.client(0), cl.client(1), cl.client(2));
    let ns = "spread";

    // The replicas started at once and raced to create the default objects: each exists once,
    // and every replica serves the same one.
    let service = a.get("/api/v1/namespaces/default/services/kubernetes").await.ok();
    for client in [&b, &c] {
        let other = client
            .get("/api/v1/namespaces/default/services/kubernetes")
            .await
            .ok();
        assert_eq!(other["metadata"]["uid"], service["metadata"]["uid"], "{other}");
        assert_eq!(
            other["spec"]["clusterIP"], service["spec"]["clusterIP"],
            "{other}"
        );
        let names = item_names(&client.get("/api/v1/namespaces").await.ok());
        assert_eq!(
            names,
            ["default", "kube-node-lease", "kube-public", "kube-system"],
            "at {}",
            client.base
        );
    }

    // Each replica keeps kube-root-ca.crt in every namespace. Started at once, they raced to
    // create each one: a single ConfigMap won per namespace, every replica serves it, and a
    // while later none has rewritten what another wrote (no replica fights the others).
    let mut published = Vec::new();
    for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        let path = cm(ns, ROOT_CA_CONFIGMAP);
        let got = wait_for(&format!("{path} published"), || async {
            let r = a.get(&path).await;
            (r.code == 200).then(|| r.json())
        })
        .await;
        assert!(got["data"]["ca.crt"]
            .as_str()
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE")));
        for client in [&b, &c] {
            let other = client.get(&path).await.ok();
            assert_eq!(other["metadata"]["uid"], got["metadata"]["uid"], "{other}");
        }
        published.push((path, got));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (path, got) in &published {
        let now = a.get(path).await.ok();
        assert_eq!(
            now["metadata"]["resourceVersion"], got["metadata"]["resourceVersion"],
            "{path} was rewritten: {now}"
        );
    }

    assert_eq!(a.post("/api/v1/namespaces", &namespace(ns)).await.code, 201);
    // A replica serves a write made on another at once: reads are consistent, never answered
    // from a cache that lags.
    b.get(&format!("/api/v1/namespaces/{ns}")).await.ok();
    c.get(&format!("/api/v1/namespaces/{ns}")).await.ok();

    // kubectl watches on b, curl watches on c.
    let kb = cl.kubectl(&cl.replicas[1].url());
    let mut kwatch = kb.spawn(&[
        "get",
        "configmaps",
        "-n",
        ns,
        "-w",
        "--output-watch-events",
        "--request-timeout=90s",
    ]);
    let from = rv_of(&c.get(&cms(ns)).await.ok());
    let mut cwatch = c.watch(&format!("{}?watch=true&resourceVersion={from}", cms(ns)), 90);

    // Create on a; read at once on b and c with the same resourceVersion.
    let obj = created(
        &a.post(&cms(ns), &configmap(ns, "from-a", json!({"step": "1"})))
            .await,
    );
    let rv_added = rv_of(&obj);
    for (name, client) in [("b", &b), ("c", &c)] {
        let got = client.get(&cm(ns, "from-a")).await.ok();
        assert_eq!(rv_of(&got), rv_added, "replica {name} reads what a wrote\n{got}");
        assert_eq!(got["data"], json!({"step": "1"}));
    }
    kwatch
        .wait_stdout("kubectl on b: ADDED from-a", |out| {
            watch_events(out).contains(&("ADDED".into(), "from-a".into()))
        })
        .await;

    // Update on c, delete on b: both watches see all three changes.
    let mut update = obj.clone();
    update["data"] = json!({"step": "2"});
    let updated = c.put(&cm(ns, "from-a"), &update).await.ok();
    let rv_modified = rv_of(&updated);
    assert!(rv_modified > rv_added);
    b.delete(&cm(ns, "from-a")).await.ok();
    kwatch
        .wait_stdout("kubectl on b: MODIFIED and DELETED from-a", |out| {
            let ev = watch_events(out);
            ev.contains(&("MODIFIED".into(), "from-a".into()))
                && ev.contains(&("DELETED".into(), "from-a".into()))
        })
        .await;
    let done = cwatch
        .wait_until(Duration::from_secs(30), |s| {
            s.events().iter().any(|e| e.kind == "DELETED")
        })
        .await;
    assert!(done, "curl on c never saw DELETED\n{}", cwatch.describe());
    let events = cwatch.stop();
    let seen: Vec<(&str, &str, u64)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.name.as_str(), e.rv))
        .collect();
    assert_eq!(seen.len(), 3, "{}", cwatch.describe());
    assert_eq!(seen[0], ("ADDED", "from-a", rv_added), "{}", cwatch.describe());
    assert_eq!(
        seen[1],
        ("MODIFIED", "from-a", rv_modified),
        "{}",
        cwatch.describe()
    );
    assert_eq!((seen[2].0, seen[2].1), ("DELETED", "from-a"));
    assert!(seen[2].2 > rv_modified, "{}", cwatch.describe());
    assert_eq!(events[1].raw["object"]["data"], json!({"step": "2"}));
    // A list on another replica right after a write includes it (lists are consistent, not
    // served from a cache that may lag).
    for i in 0..5 {
        let name = format!("listed-{i}");
        created(&a.post(&cms(ns), &configmap(ns, &name, json!({}))).await);
        for client in [&b, &c] {
            let names = item_names(&client.get(&cms(ns)).await.ok());
            assert!(
                names.contains(&name),
                "{name} missing from the list at {}: {names:?}",
                client.base
            );
        }
        b.delete(&cm(ns, &name)).await.ok();
        let names = item_names(&c.get(&cms(ns)).await.ok());
        assert!(
            !names.contains(&name),
            "{name} still listed at {} after its delete",
            c.base
        );
    }
    // A client moving between replicas carries its resourceVersion along: right after a write
    // on a, b answers reads "not older than" that version with the write, and a watch on b from
    // it starts after the write (b's cache waits to catch up rather than answering too early
    // or refusing the version).
    for i in 0..5 {
        let name = format!("carried-{i}");
        let obj = created(&a.post(&cms(ns), &configmap(ns, &name, json!({}))).await);
        let rv = rv_of(&obj);
        let got = b
            .get(&format!("{}?resourceVersion={rv}", cm(ns, &name)))
            .await
            .ok();
        assert!(rv_of(&got) >= rv, "{got}");
        let list = c
            .get(&format!(
                "{}?resourceVersion={rv}&resourceVersionMatch=NotOlderThan",
                cms(ns)
            ))
            .await
            .ok();
        assert!(rv_of(&list) >= rv, "{list}");
        assert!(item_names(&list).contains(&name), "{name} missing from {list}");
        let mut w = b.watch(&format!("{}?watch=true&resourceVersion={rv}", cms(ns)), 60);
        b.delete(&cm(ns, &name)).await.ok();
        let seen = w
            .wait_until(Duration::from_secs(30), |s| !s.events().is_empty())
            .await;
        assert!(seen, "{}", w.describe());
        let events = w.stop();
        assert_eq!(events.len(), 1, "{}", w.describe());
        assert_eq!(
            (events[0].kind.as_str(), events[0].name.as_str()),
            ("DELETED", name.as_str())
        );
        assert!(events[0].rv > rv, "{}", w.describe());
    }
    let kout = kwatch.stop().await;
    let kev: Vec<(String, String)> = watch_events(&kout.stdout)
        .into_iter()
        .filter(|(_, name)| name == "from-a")
        .collect();
    assert_eq!(
        kev,
        [("ADDED", "from-a"), ("MODIFIED", "from-a"), ("DELETED", "from-a")]
            .map(|(k, n)| (k.to_string(), n.to_string())),
        "{kout}"
    );

    // Through the balancer: kubectl connects anew for every command, so round robin sends the
    // commands to all three replicas; a watch through the balancer sees every create.
    let before = cl.balancer.stats();
    let klb = cl.kubectl(&cl.balancer.url());
    let mut lwatch = klb.spawn(&[
        "get",
        "configmaps",
        "-n",
        ns,
        "-w",
        "--output-watch-events",
        "--request-timeout=90s",
    ]);
    let names: Vec<String> = (0..6).map(|i| format!("via-lb-{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let out = klb
            .ok(&[
                "create",
                "configmap",
                name,
                "-n",
                ns,
                &format!("--from-literal=i={i}"),
            ])
            .await;
        assert_eq!(out.trim(), format!("configmap/{name} created"));
    }
    lwatch
        .wait_stdout("the balancer's watch: ADDED via-lb-*", |out| {
            let ev = watch_events(out);
            names
                .iter()
                .all(|n| ev.contains(&("ADDED".to_string(), n.clone())))
        })
        .await;
    let after = cl.balancer.stats();
    for s in &after {
        let was = before.iter().find(|b| b.name == s.name).map_or(0, |b| b.total);
        assert!(
            s.total > was,
            "HAProxy sent no connection to replica {}: before {before:?}, after {after:?}",
            s.name
        );
    }
    // Every replica lists all of them; so do three lists through the balancer (three replicas).
    let want: BTreeSet<String> = names.iter().cloned().collect();
    for client in [&a, &b, &c, &cl.lb(), &cl.lb(), &cl.lb()] {
        let list = client.get(&cms(ns)).await.ok();
        let got: BTreeSet<String> = item_names(&list).into_iter().collect();
        assert_eq!(got, want, "list at {}", client.base);
    }
    let lout = lwatch.stop().await;
    let lev = watch_events(&lout.stdout);
    for n in &names {
        assert_eq!(
            lev.iter().filter(|(k, m)| k == "ADDED" && m == n).count(),
            1,
            "ADDED {n} exactly once through the balancer\n{lout}"
        );
    }
    cl.assert_replicas_healthy();
}

/// PUTs `bodies` concurrently, each through its client; returns the answers in order.
async fn put_all(path: &str, puts: Vec<(Client, Value)>) -> Vec<Response> {
    let handles: Vec<_> = puts
        .into_iter()
        .map(|(client, body)| {
            let path = path.to_string();
            tokio::spawn(async move { client.put(&path, &body).await })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("a PUT task"));
    }
    out
}

/// Asserts exactly one of `answers` is 200 and every other a 409 Conflict Status; returns the
/// index of the winner.
fn one_winner(answers: &[Response]) -> usize {
    let winners: Vec<usize> = (0..answers.len()).filter(|&i| answers[i].code == 200).collect();
    let all: String = answers.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(winners.len(), 1, "exactly one write wins\n{all}");
    for (i, r) in answers.iter().enumerate() {
        if i != winners[0] {
            let status = r.status(409, "Conflict");
            let message = status["message"].as_str().unwrap_or("");
            assert!(
                message.contains("the object has been modified; please apply your changes to the latest version and try again"),
                "{r}"
            );
        }
    }
    winners[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_resource_version_conflicts_on_every_replica() {
    let mut cl = HaCluster::start("ha-conflict", 3);
    let clients = [cl.client(0), cl.client(1), cl.client(2)];
    let ns = "occ";
    assert_eq!(
        clients[0].post("/api/v1/namespaces", &namespace(ns)).await.code,
        201
    );
    let path = cm(ns, "shared");
    let mut current = created(
        &clients[0]
            .post(&cms(ns), &configmap(ns, "shared", json!({"writer": "none"})))
            .await,
    );

    // One after the other: the same resourceVersion on a then b, then b then c, then c then a.
    for (first, second) in [(0, 1), (1, 2), (2, 0)] {
        let stale = current.clone();
        let mut body = stale.clone();
        body["data"] = json!({"writer": first.to_string()});
        let won = clients[first].put(&path, &body).await;
        assert_eq!(
            won.code,
            200,
            "the first write with resourceVersion {}\n{won}",
            rv_of(&stale)
        );
        body["data"] = json!({"writer": second.to_string()});
        let lost = clients[second].put(&path, &body).await;
        one_winner(&[won.clone(), lost]);
        current = won.json();
        assert!(rv_of(&current) > rv_of(&stale));
    }

    // At once on all three replicas, then six at once through the balancer.
    for round in 0..2 {
        let writers: Vec<Client> = if round == 0 {
            clients.to_vec()
        } else {
            (0..6).map(|_| cl.lb()).collect()
        };
        let puts: Vec<(Client, Value)> = writers
            .into_iter()
            .enumerate()
            .map(|(i, client)| {
                let mut body = current.clone();
                body["data"] = json!({"writer": format!("round{round}-{i}")});
                (client, body)
            })
            .collect();
        let answers = put_all(&path, puts).await;
        let w = one_winner(&answers);
        let winner = answers[w].json();
        assert_eq!(winner["data"], json!({"writer": format!("round{round}-{w}")}));
        // Every replica has the winner's write.
        for client in &clients {
            let got = client.get(&path).await.ok();
            assert_eq!(got["data"], winner["data"], "at {}", client.base);
            assert_eq!(rv_of(&got), rv_of(&winner), "at {}", client.base);
        }
        current = winner;
    }

    // A delete with a stale resourceVersion precondition fails on another replica; with the
    // current one it succeeds.
    let stale = rv_of(&current);
    let mut body = current.clone();
    body["data"] = json!({"writer": "before-delete"});
    current = clients[0].put(&path, &body).await.ok();
    let precondition = |rv: u64| json!({"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"resourceVersion": rv.to_string()}});
    let r = clients[1]
        .request("DELETE", &path, Some(&precondition(stale)), 60)
        .await;
    let status = r.status(409, "Conflict");
    assert_eq!(
        status["message"],
        format!(
            "Operation cannot be fulfilled on configmaps \"shared\": Precondition failed: \
             ResourceVersion in precondition: {stale}, ResourceVersion in object meta: {}",
            rv_of(&current)
        ),
        "{r}"
    );
    clients[2]
        .request("DELETE", &path, Some(&precondition(rv_of(&current))), 60)
        .await
        .ok();
    clients[0].get(&path).await.status(404, "NotFound");

    // Creates of one name on all three replicas at once: one 201, two 409 AlreadyExists.
    let handles: Vec<_> = clients
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, client)| {
            let path = cms(ns);
            let body = configmap(ns, "raced", json!({"creator": i.to_string()}));
            tokio::spawn(async move { client.post(&path, &body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for h in handles {
        answers.push(h.await.expect("a POST task"));
    }
    let all: String = answers.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(answers.iter().filter(|r| r.code == 201).count(), 1, "{all}");
    for r in answers.iter().filter(|r| r.code != 201) {
        let status = r.status(409, "AlreadyExists");
        assert_eq!(status["message"], "configmaps \"raced\" already exists", "{r}");
    }
    cl.assert_replicas_healthy();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_resumes_on_another_replica_after_its_replica_is_killed() {
    let mut cl = HaCluster::start("ha-resume", 3);
    let lb = cl.lb();
    let ns = "resume";
    assert_eq!(lb.post("/api/v1/namespaces", &namespace(ns)).await.code, 201);

    // A client watches through the balancer.
    let from = rv_of(&lb.get(&cms(ns)).await.ok());
    let mut first = lb.watch(&format!("{}?watch=true&resourceVersion={from}", cms(ns)), 120);
    let names: Vec<String> = (0..20).map(|i| format!("item-{i:02}")).collect();
    for n in &names[..5] {
        created(&lb.post(&cms(ns), &configmap(ns, n, json!({"n": n}))).await);
    }
    first.wait_added(&names[..5]).await;

    // The replica serving it (the one backend with a connection open) dies by SIGKILL, and the
    // client's stream breaks.
    let mut stats = cl.balancer.stats();
    for _ in 0..100 {
        if stats.iter().filter(|s| s.current > 0).count() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        stats = cl.balancer.stats();
    }
    let serving: Vec<&ServerStat> = stats.iter().filter(|s| s.current > 0).collect();
    assert_eq!(serving.len(), 1, "one backend serves the watch: {stats:?}");
    let victim = cl
        .replicas
        .iter()
        .position(|r| r.name == serving[0].name)
        .expect("the serving replica");
    let survivor = (victim + 1) % 3;
    let (writer, other) = (cl.client((victim + 2) % 3), cl.client(survivor));
    let victim_name = cl.replicas[victim].name.clone();
    let pid = cl.replicas[victim].pid();
    cl.replicas[victim].kill();
    let status = first.wait_exit().await;
    assert!(
        !status.success(),
        "the watch should end with an error when its replica is killed ({status})"
    );
    let before = first.events();
    let last = before.last().expect("events before the kill").rv;
    eprintln!(
        "replica {victim_name} (pid {pid:?}) served the watch and was killed; the watch ended with \
         curl {status}; last resourceVersion seen {last}"
    );

    // Writes go on through the balancer while the replica is down (HAProxy routes around it).
    for n in &names[5..] {
        created(&lb.post(&cms(ns), &configmap(ns, n, json!({"n": n}))).await);
    }
    cl.balancer.wait_status(&victim_name, "DOWN").await;

    // The client resumes from its last resourceVersion through the balancer; another does the
    // same directly on a surviving replica. A sentinel created afterwards marks the end of what
    // they must see.
    let resume = format!("{}?watch=true&resourceVersion={last}", cms(ns));
    let mut via_lb = lb.watch(&resume, 120);
    let mut direct_watch = other.watch(&resume, 120);
    created(&writer.post(&cms(ns), &configmap(ns, "sentinel", json!({}))).await);
    let mut rest: Vec<String> = names[5..].to_vec();
    rest.push("sentinel".into());
    via_lb.wait_added(&rest).await;
    direct_watch.wait_added(&rest).await;
    let resumed = via_lb.stop();
    let direct = direct_watch.stop();

    let mut all_names = names.clone();
    all_names.push("sentinel".into());
    let mut stream = before.clone();
    stream.extend(resumed.iter().cloned());
    let context = format!(
        "--- before the kill ---\n{}\n--- resumed through the balancer ---\n{}",
        first.describe(),
        via_lb.describe()
    );
    assert_added_exactly_once(&stream, &all_names, &context);
    let key = |e: &Event| (e.kind.clone(), e.name.clone(), e.rv);
    assert_eq!(
        resumed.iter().map(key).collect::<Vec<_>>(),
        direct.iter().map(key).collect::<Vec<_>>(),
        "the same events through the balancer and directly\n{}",
        direct_watch.describe()
    );

    // The replica comes back on the same port (it keeps no state of its own), serves
    // everything, and the balancer takes it back.
    cl.replicas[victim].restart();
    cl.balancer.wait_status(&victim_name, "UP").await;
    let back = cl.client(victim);
    let list = back.get(&cms(ns)).await.ok();
    let got: BTreeSet<String> = item_names(&list).into_iter().collect();
    assert_eq!(got, all_names.iter().cloned().collect::<BTreeSet<_>>());
    // A watch on the restarted replica from the resourceVersion the client saw before the
    // kill: the events after it (as the survivor sent them), or 410 Expired when that version
    // is older than what the new process keeps, so the client lists afresh. Never a silent gap.
    let mut on_new = back.watch(&resume, 60);
    let settled = on_new
        .wait_until(Duration::from_secs(30), |s| {
            let ev = s.events();
            ev.iter().any(|e| e.kind == "ERROR") || ev.iter().any(|e| e.name == "sentinel")
        })
        .await;
    assert!(settled, "{}", on_new.describe());
    let replay = on_new.stop();
    match replay.iter().find(|e| e.kind == "ERROR") {
        Some(error) => {
            assert_eq!(replay.len(), 1, "{}", on_new.describe());
            assert_eq!(error.raw["object"]["code"], 410, "{}", on_new.describe());
            assert_eq!(error.raw["object"]["reason"], "Expired", "{}", on_new.describe());
            eprintln!(
                "the restarted replica answers a watch from before its start with {}",
                error.raw
            );
        }
        None => {
            assert_eq!(
                replay.iter().map(key).collect::<Vec<_>>(),
                direct.iter().map(key).collect::<Vec<_>>(),
                "{}",
                on_new.describe()
            );
            eprintln!("the restarted replica replays a watch from before its start");
        }
    }
    cl.assert_replicas_healthy();
}

// ---------------------------------------------------------------------------------------------
// etcd faults
// ---------------------------------------------------------------------------------------------

/// The longest a request may take while etcd is down (the request timeout is 60 s).
const FAIL_FAST: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_fast_while_etcd_is_down_and_gatehouse_recovers_when_it_returns() {
    let dir = TempDir::new("ha-etcd-outage");
    let mut etcd = Etcd::start(dir.path(), 1);
    let pki = SharedPki::new(dir.path());
    let mut g = Replica::start("a", dir.path(), &pki, &etcd.endpoints(), 0);
    let cli = pki.client(&g.url());
    let ns = "outage";
    assert_eq!(cli.post("/api/v1/namespaces", &namespace(ns)).await.code, 201);

    // Acknowledged writes before the outage.
    let mut acked: Vec<String> = Vec::new();
    for i in 0..10 {
        let name = format!("before-{i}");
        created(
            &cli.post(&cms(ns), &configmap(ns, &name, json!({"i": i.to_string()})))
                .await,
        );
        acked.push(name);
    }
    let victim = created(
        &cli.post(&cms(ns), &configmap(ns, "victim", json!({"v": "1"})))
            .await,
    );
    let from = rv_of(&cli.get(&cms(ns)).await.ok());
    let mut watch = cli.watch(&format!("{}?watch=true&resourceVersion={from}", cms(ns)), 150);
    created(&cli.post(&cms(ns), &configmap(ns, "watched", json!({}))).await);
    acked.push("watched".into());
    watch.wait_added(&["watched".to_string()]).await;

    // etcd dies.
    etcd.kill(0);
    let mut report = String::new();
    let mut update = victim.clone();
    update["data"] = json!({"v": "2"});
    let probes: Vec<(&str, &str, String, Option<Value>)> = vec![
        ("get", "GET", cm(ns, "before-0"), None),
        ("list", "GET", cms(ns), None),
        (
            "create",
            "POST",
            cms(ns),
            Some(configmap(ns, "during", json!({}))),
        ),
        ("update", "PUT", cm(ns, "victim"), Some(update)),
        ("delete", "DELETE", cm(ns, "victim"), None),
        ("get namespace", "GET", format!("/api/v1/namespaces/{ns}"), None),
    ];
    for (what, method, path, body) in &probes {
        let start = Instant::now();
        let r = cli.request(method, path, body.as_ref(), 90).await;
        let took = start.elapsed();
        assert!(took < FAIL_FAST, "{what} took {took:?} with etcd down\n{r}");
        assert!(
            [500, 503, 504].contains(&r.code),
            "{what} with etcd down: expected a 500/503/504 Status\n{r}"
        );
        let status = r.json();
        assert_eq!(status["kind"], "Status", "{r}");
        assert_eq!(status["status"], "Failure", "{r}");
        assert_eq!(status["code"], r.code, "{r}");
        report.push_str(&format!("{what}: {} in {took:?}: {}\n", r.code, r.body.trim()));
    }
    // A list at resourceVersion=0 may come from the watch cache (as kube-apiserver's does);
    // either way it ends quickly.
    let start = Instant::now();
    let r = cli.get(&format!("{}?resourceVersion=0", cms(ns))).await;
    let took = start.elapsed();
    assert!(took < FAIL_FAST, "list at resourceVersion=0 took {took:?}\n{r}");
    assert!(r.code == 200 || [500, 503, 504].contains(&r.code), "{r}");
    report.push_str(&format!("list ?resourceVersion=0: {} in {took:?}\n", r.code));
    // kubectl gets an error from the server, not a hang.
    let k = pki.kubectl(&g.url(), dir.path());
    let start = Instant::now();
    let out = k.fails(&["create", "configmap", "by-kubectl", "-n", ns]).await;
    let took = start.elapsed();
    assert!(took < FAIL_FAST, "kubectl create took {took:?}\n{out}");
    // A Status without a reason (as kube-apiserver sends for a raw storage error) makes
    // kubectl print `error: failed to create configmap: <message>`; one with a reason,
    // `Error from server (<reason>): <message>`.
    assert!(
        out.stderr.contains("Error from server") || out.stderr.contains("error: failed to create configmap"),
        "{out}"
    );
    report.push_str(&format!("kubectl create: {took:?}: {}", out.stderr));

    // /readyz reports the etcd check failing (polled: it reflects storage answers).
    let mut readyz = None;
    for _ in 0..60 {
        let r = cli.get("/readyz?verbose").await;
        if r.code == 500 && r.body.contains("[-]etcd failed") {
            readyz = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let readyz = readyz.expect("/readyz never reported [-]etcd failed while etcd was down");
    assert!(readyz.body.contains("readyz check failed"), "{readyz}");
    report.push_str(&format!("/readyz?verbose: {}\n{}", readyz.code, readyz.body));
    g.assert_healthy_process();

    // etcd comes back on the same port and data; Gatehouse recovers without a restart.
    etcd.restart(0);
    let start = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let r = cli
            .post(&cms(ns), &configmap(ns, "after-outage", json!({})))
            .await;
        if r.code == 201 {
            break;
        }
        assert!(
            start.elapsed() < FAIL_FAST,
            "no create succeeded within {FAIL_FAST:?} of etcd's return\n{r}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    acked.push("after-outage".into());
    report.push_str(&format!(
        "recovered: create succeeded {:?} after etcd's restart, attempt {attempts}\n",
        start.elapsed()
    ));
    let mut ready = false;
    for _ in 0..120 {
        let r = cli.get("/readyz").await;
        if r.code == 200 && r.body == "ok" {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        ready,
        "/readyz never became ok again:\n{}",
        cli.get("/readyz?verbose").await
    );

    // The watch opened before the outage either goes on (and shows the new create) or ends
    // cleanly; either way nothing it showed is out of order, and a client resuming from its
    // last resourceVersion misses nothing.
    let settled = watch
        .wait_until(FAIL_FAST, |s| {
            s.exited().is_some() || s.events().iter().any(|e| e.name == "after-outage")
        })
        .await;
    assert!(
        settled,
        "the watch neither ended nor showed the write after the outage\n{}",
        watch.describe()
    );
    let ended = watch.exited();
    let events = watch.stop();
    let objects: Vec<&Event> = events.iter().filter(|e| e.kind != "ERROR").collect();
    for pair in objects.windows(2) {
        assert!(pair[0].rv < pair[1].rv, "{}", watch.describe());
    }
    match ended {
        None => {
            let names: Vec<&str> = objects.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names, ["watched", "after-outage"], "{}", watch.describe());
            report.push_str("the watch opened before the outage went on and showed the new create\n");
        }
        Some(status) => {
            let last = objects.last().map_or(from, |e| e.rv);
            let mut resumed = cli.watch(&format!("{}?watch=true&resourceVersion={last}", cms(ns)), 60);
            resumed.wait_added(&["after-outage".to_string()]).await;
            report.push_str(&format!(
                "the watch opened before the outage ended (curl {status}); its events: {:?}\n",
                events.iter().map(|e| (&e.kind, &e.name)).collect::<Vec<_>>()
            ));
        }
    }

    // No acknowledged write is lost.
    let list = cli.get(&cms(ns)).await.ok();
    let names: BTreeSet<String> = item_names(&list).into_iter().collect();
    for n in &acked {
        assert!(
            names.contains(n),
            "acknowledged {n} is missing after the outage: {names:?}"
        );
    }
    let keys = etcd.keys(0, &format!("/registry/configmaps/{ns}/"));
    for n in &acked {
        assert!(
            keys.contains(&format!("/registry/configmaps/{ns}/{n}")),
            "acknowledged {n} is not in etcd: {keys:?}"
        );
    }
    report.push_str(&format!(
        "after the outage: victim is {}; during is {}\n",
        if names.contains("victim") {
            "present"
        } else {
            "gone"
        },
        if names.contains("during") {
            "present"
        } else {
            "absent"
        }
    ));
    g.assert_healthy_process();
    eprintln!("--- what Gatehouse answered during the etcd outage ---\n{report}");
}

/// Creates configmap `name`; with `retry`, a failed attempt (5xx) is repeated (within
/// [`FAIL_FAST`]) and 409 AlreadyExists on a repeat counts as done (the failed attempt was
/// applied after all). Returns the failed attempts.
async fn create_acked(cli: &Client, ns: &str, name: &str, retry: bool) -> Vec<String> {
    let start = Instant::now();
    let mut failed = Vec::new();
    loop {
        let r = cli.post(&cms(ns), &configmap(ns, name, json!({}))).await;
        if r.code == 201 || (!failed.is_empty() && r.code == 409) {
            if !failed.is_empty() {
                failed.push(format!(
                    "{name} at {:?}: retried: {}",
                    start.elapsed(),
                    if r.code == 201 {
                        "201 Created"
                    } else {
                        "409 AlreadyExists (the failed attempt was applied)"
                    }
                ));
            }
            return failed;
        }
        assert!(
            retry && r.code >= 500 && start.elapsed() < FAIL_FAST,
            "creating {name}: {failed:?}\n{r}"
        );
        failed.push(format!(
            "{name} at {:?}: {} {}",
            start.elapsed(),
            r.code,
            r.body.trim()
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_watches_go_on_when_one_of_three_etcd_members_dies() {
    let dir = TempDir::new("ha-etcd-member");
    let mut etcd = Etcd::start(dir.path(), 3);
    let pki = SharedPki::new(dir.path());
    // Gatehouse talks to the first endpoint that answers: a follower, listed before the
    // leader, so the follower's death costs Gatehouse its connection but the cluster no
    // election. (Whoever leads is taken as it is: a forced leader transfer can time out on a
    // loaded machine.)
    let leader = etcd.wait_leader();
    let (follower, other) = ((leader + 1) % 3, (leader + 2) % 3);
    let endpoints = etcd.endpoints_in(&[follower, leader, other]);
    let mut g = Replica::start("a", dir.path(), &pki, &endpoints, 0);
    let cli = pki.client(&g.url());
    let ns = "quorum";
    assert_eq!(cli.post("/api/v1/namespaces", &namespace(ns)).await.code, 201);

    let from = rv_of(&cli.get(&cms(ns)).await.ok());
    let path = format!("{}?watch=true&resourceVersion={from}", cms(ns));
    let mut watch = cli.watch(&path, 120);
    let mut acked: Vec<String> = Vec::new();
    for i in 0..5 {
        let name = format!("a-before-{i}");
        create_acked(&cli, ns, &name, false).await;
        acked.push(name);
    }
    watch.wait_added(&acked).await;

    // The follower, Gatehouse's endpoint, dies: every write goes through at once.
    etcd.kill(follower);
    let start = Instant::now();
    for i in 0..10 {
        let name = format!("b-follower-gone-{i}");
        create_acked(&cli, ns, &name, false).await;
        acked.push(name);
    }
    let follower_took = start.elapsed();
    watch.wait_added(&acked).await;

    // The follower comes back; then the leader, Gatehouse's endpoint now, dies. Until the
    // other two elect a new leader etcd fails proposals ("etcdserver: request timed out"), so
    // a write may fail then and is retried; every acknowledged one stays.
    etcd.restart(follower);
    etcd.kill(leader);
    let start = Instant::now();
    let mut failures = Vec::new();
    for i in 0..10 {
        let name = format!("c-leader-gone-{i}");
        failures.extend(create_acked(&cli, ns, &name, true).await);
        acked.push(name);
    }
    let leader_took = start.elapsed();
    let new_leader = etcd.leader();
    assert!(
        new_leader == Some(follower) || new_leader == Some(other),
        "leader now {new_leader:?}, m{leader} was killed"
    );

    // The watch opened at the start shows every write, each once, in order.
    watch.wait_added(&acked).await;
    let events = watch.stop();
    assert_added_exactly_once(&events, &acked, &watch.describe());
    // A watch opened now from the start replays the same.
    let mut again = cli.watch(&path, 60);
    let replayed = again.wait_added(&acked).await;
    again.stop();
    assert_added_exactly_once(&replayed, &acked, &again.describe());

    // Nothing acknowledged is lost: Gatehouse lists it, and both surviving members have it.
    let list = cli.get(&cms(ns)).await.ok();
    assert_eq!(item_names(&list), acked, "{list}");
    let want: Vec<String> = acked
        .iter()
        .map(|n| format!("/registry/configmaps/{ns}/{n}"))
        .collect();
    for member in [follower, other] {
        let mut keys = etcd.keys(member, &format!("/registry/configmaps/{ns}/"));
        keys.retain(|k| !k.ends_with(ROOT_CA_CONFIGMAP));
        assert_eq!(keys, want, "keys on m{member}");
    }
    g.assert_healthy_process();
    eprintln!(
        "ten writes after a follower died took {follower_took:?}; ten after the leader died took \
         {leader_took:?}; failed attempts and their retries:\n{}",
        failures.join("\n")
    );
}
