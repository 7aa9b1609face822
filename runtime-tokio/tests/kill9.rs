//! Durability under `kill -9`: every create the `gatehouse` binary acknowledged with 201 must
//! still be there, with its data, after the process is killed mid-load and started again on
//! the same data directory.
//!
//! Needs `kubectl` and `curl` on the PATH; the test is skipped (with a message) when either is
//! missing.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Concurrent clients creating configmaps.
const WORKERS: usize = 4;
/// How long the load runs before the process is killed.
const LOAD: Duration = Duration::from_secs(2);
/// How long a start may take before the test gives up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A scratch data directory, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `gatehouse` process, killed when dropped (so a failing test leaves none behind).
struct Gatehouse {
    child: Child,
    port: u16,
}

impl Gatehouse {
    fn start(data_dir: &Path, log: &Path) -> Gatehouse {
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the server log");
        let child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg(format!("--data-dir={}", data_dir.display()))
            .arg(format!("--secure-port={port}"))
            .arg("--bind-address=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn gatehouse");
        Gatehouse { child, port }
    }

    /// Sends SIGKILL and reaps the process.
    fn kill9(&mut self) {
        // `Child::kill` is SIGKILL on unix: no shutdown code runs.
        self.child.kill().expect("SIGKILL gatehouse");
        let status = self.child.wait().expect("reap gatehouse");
        assert!(!status.success(), "gatehouse exited cleanly: {status}");
    }
}

impl Drop for Gatehouse {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn kubectl(data_dir: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("kubectl")
        .arg(format!(
            "--kubeconfig={}",
            data_dir.join("admin.kubeconfig").display()
        ))
        .arg("--request-timeout=10s")
        .args(args)
        .stdin(Stdio::null())
        .output()
}

/// Waits until `kubectl get ns` succeeds, or fails the test with the server's log.
fn wait_ready(g: &mut Gatehouse, data_dir: &Path, log: &Path) {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = g.child.try_wait() {
            panic!(
                "gatehouse exited during start-up ({status}); log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        // The kubeconfig names the port of this start; an older one may still be on disk.
        let kubeconfig = std::fs::read_to_string(data_dir.join("admin.kubeconfig")).unwrap_or_default();
        if kubeconfig.contains(&format!(":{}", g.port)) {
            if let Ok(out) = kubectl(data_dir, &["get", "ns"]) {
                if out.status.success() {
                    return;
                }
            }
        }
        if Instant::now() > deadline {
            panic!(
                "gatehouse not ready after {START_TIMEOUT:?}; log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(200));
    }
}

fn configmap_data(worker: usize, index: usize) -> Value {
    json!({
        "worker": worker.to_string(),
        "index": index.to_string(),
        // Enough bytes that a record of the log is more than a few sectors' worth.
        "payload": format!("{worker}:{index}:").repeat(200),
    })
}

/// Creates configmaps `c-<worker>-<i>` until `stop`, returning those answered with 201.
fn create_load(worker: usize, data_dir: PathBuf, port: u16, stop: Arc<AtomicBool>) -> Vec<String> {
    let pki = data_dir.join("pki");
    let url = format!("https://127.0.0.1:{port}/api/v1/namespaces/default/configmaps");
    let mut acked = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let name = format!("c-{worker}-{i}");
        let body = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": configmap_data(worker, i),
        });
        let out = Command::new("curl")
            .args(["--silent", "--output", "/dev/null", "--write-out", "%{http_code}"])
            .args(["--max-time", "10"])
            .arg("--cacert")
            .arg(pki.join("ca.crt"))
            .arg("--cert")
            .arg(pki.join("admin.crt"))
            .arg("--key")
            .arg(pki.join("admin.key"))
            .args(["-H", "Content-Type: application/json", "-X", "POST"])
            .arg("--data-binary")
            .arg(body.to_string())
            .arg(&url)
            .stdin(Stdio::null())
            .output();
        if let Ok(out) = out {
            if out.stdout == b"201" {
                acked.push(name);
            }
        }
        i += 1;
    }
    acked
}

#[test]
fn acknowledged_creates_survive_kill_9() {
    if !have("kubectl") || !have("curl") {
        eprintln!("kill9: kubectl or curl not found on PATH; skipping");
        return;
    }
    let scratch = Scratch(std::env::temp_dir().join(format!("gatehouse-kill9-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&scratch.0);
    std::fs::create_dir_all(&scratch.0).expect("create the scratch directory");
    let data_dir = scratch.0.join("data");
    let log = scratch.0.join("gatehouse.log");

    let mut first = Gatehouse::start(&data_dir, &log);
    wait_ready(&mut first, &data_dir, &log);

    // Load, then SIGKILL while the workers are still sending.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (data_dir, stop, acked) = (data_dir.clone(), stop.clone(), acked.clone());
            let port = first.port;
            thread::spawn(move || {
                let names = create_load(w, data_dir, port, stop);
                acked.lock().unwrap().extend(names);
            })
        })
        .collect();
    thread::sleep(LOAD);
    first.kill9();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("load worker");
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    println!("kill9: {} creates acknowledged before SIGKILL", acked.len());
    assert!(
        !acked.is_empty(),
        "no create was acknowledged: the load never ran"
    );

    // Start again on the same data directory; everything acknowledged must be there.
    let mut second = Gatehouse::start(&data_dir, &log);
    wait_ready(&mut second, &data_dir, &log);
    let out = kubectl(&data_dir, &["get", "configmaps", "-n", "default", "-o", "json"]).expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl get configmaps failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).expect("kubectl printed JSON");
    let stored: BTreeMap<String, Value> = list["items"]
        .as_array()
        .expect("a list of items")
        .iter()
        .filter_map(|item| {
            Some((
                item["metadata"]["name"].as_str()?.to_string(),
                item["data"].clone(),
            ))
        })
        .collect();
    println!(
        "kill9: {} configmaps present after restart ({} acknowledged)",
        stored.len(),
        acked.len()
    );
    let mut missing = Vec::new();
    for name in &acked {
        let mut parts = name.trim_start_matches("c-").split('-');
        let worker: usize = parts.next().and_then(|p| p.parse().ok()).expect("worker in name");
        let index: usize = parts.next().and_then(|p| p.parse().ok()).expect("index in name");
        match stored.get(name) {
            None => missing.push(name.clone()),
            Some(data) => assert_eq!(data, &configmap_data(worker, index), "data of {name}"),
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged configmaps lost after kill -9: {:?}",
        missing.len(),
        acked.len(),
        missing
    );
    // A write after the restart works too (the log is appendable after replay).
    let out = kubectl(
        &data_dir,
        &["create", "configmap", "after-restart", "-n", "default"],
    )
    .expect("run kubectl");
    assert!(
        out.status.success(),
        "create after restart failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(second);
}
