//! Pieces of Gatehouse's high-availability and fault tests (`tests/tests/ha.rs`): every part is
//! a real process on loopback, killed with SIGKILL when the test is done with it or fails.
//!
//! * [`Etcd`] runs one etcd member or a cluster of several (`/usr/bin/etcd`, Debian
//!   `etcd-server`; `etcdctl` from `etcd-client` probes their health), on free loopback ports
//!   with data folders of their own. A member can be killed and started again on the same
//!   ports and data.
//! * [`SharedPki`] is one cluster CA, serving certificate and admin certificate shared by all
//!   replicas, so a client trusts and is trusted by every one of them.
//! * [`Replica`] runs the `gatehouse` binary on etcd with the shared certificates.
//! * [`Balancer`] runs HAProxy (Debian `haproxy`) in TCP mode in front of the replicas: TLS goes
//!   through untouched, so client certificates still authenticate. Its statistics page tells
//!   which backend got how many connections and which are up.
//! * [`Client`] sends requests with `curl` to any of these addresses; [`Stream`] keeps a watch
//!   open and parses its events as they come.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use gatehouse_host::kubeconfig::{Credential, Kubeconfig};
use gatehouse_host::pki::Pki;
use serde_json::Value;

use crate::packages::require;
use crate::{curl_command, kubectl_bin, run_command, Kubectl, Response, COMMAND_TIMEOUT};

/// How long a process may take to become healthy (etcd, a replica, HAProxy).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A free loopback port (bound, read and released; the caller retries when another process
/// takes it first).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding an ephemeral port")
}

fn unique_token(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// A child process writing to a log file; killed (SIGKILL) when dropped.
pub struct Proc {
    what: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Starts `cmd` with standard output and error appended to `log`.
    pub fn spawn(mut cmd: Command, what: &str, log: &Path) -> Proc {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("opening {}: {e}", log.display()));
        cmd.stdin(Stdio::null())
            .stdout(file.try_clone().expect("cloning a log handle"))
            .stderr(file);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("starting {what}: {e}"));
        Proc {
            what: what.to_string(),
            child,
            log: log.to_path_buf(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGKILL (no shutdown code runs) and reaps the process.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        let _ = self.child.kill();
        self.child.wait().ok()
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// What the process is, for messages.
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Runs `cmd` to completion, killing it after `timeout`; returns (success, stdout, stderr).
pub fn run_bounded(mut cmd: Command, timeout: Duration) -> (bool, String, String) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (false, String::new(), e.to_string()),
    };
    let out = read_in_background(child.stdout.take());
    let err = read_in_background(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let text = |h: JoinHandle<Vec<u8>>| String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned();
    (status.is_some_and(|s| s.success()), text(out), text(err))
}

fn read_in_background(source: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = source {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    })
}

// ---------------------------------------------------------------------------------------------
// The gatehouse binary
// ---------------------------------------------------------------------------------------------

/// The `gatehouse` binary (tokio runtime) of this build: `<target>/<profile>/gatehouse` beside
/// the test binary, built once per test process with `cargo build --bin gatehouse` when it is
/// missing or older than a source file of the crates it is made of. `GATEHOUSE_BIN` overrides
/// the path.
pub fn gatehouse_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("GATEHOUSE_BIN") {
            return PathBuf::from(p);
        }
        let exe = std::env::current_exe().expect("the test binary's path");
        // <target>/<profile>/deps/<test binary>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test binary lives in <target>/<profile>/deps")
            .to_path_buf();
        let bin = profile_dir.join("gatehouse");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace folder");
        let built = fs::metadata(&bin).and_then(|m| m.modified()).ok();
        let sources = ["core", "host", "runtime-tokio"]
            .iter()
            .filter_map(|c| newest_mtime(&workspace.join(c)))
            .chain(newest_mtime(&workspace.join("Cargo.lock")))
            .max();
        let stale = match (built, sources) {
            (None, _) => true,
            (Some(b), Some(s)) => s > b,
            (Some(_), None) => false,
        };
        if !stale {
            return bin;
        }
        let target_dir = profile_dir.parent().expect("<target>").to_path_buf();
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_string(),
            Some(other) => other.to_string(),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace)
            .args([
                "build",
                "-p",
                "gatehouse-tokio",
                "--bin",
                "gatehouse",
                "--profile",
            ])
            .arg(&profile)
            .arg("--target-dir")
            .arg(&target_dir);
        let (ok, _, err) = run_bounded(cmd, Duration::from_secs(900));
        if !ok {
            assert!(
                bin.is_file(),
                "building the gatehouse binary failed and there is none at {}:\n{err}",
                bin.display()
            );
            eprintln!(
                "warning: `cargo build --bin gatehouse` failed; testing the existing {}:\n{err}",
                bin.display()
            );
        }
        bin
    })
    .clone()
}

/// The latest modification time of what the binary is built from in crate folder `dir`: its
/// `Cargo.toml` and everything under `src/` (or of `dir` itself when it is a file).
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    fn walk(path: &Path) -> Option<SystemTime> {
        let meta = fs::metadata(path).ok()?;
        if !meta.is_dir() {
            return meta.modified().ok();
        }
        fs::read_dir(path)
            .ok()?
            .flatten()
            .filter_map(|e| walk(&e.path()))
            .max()
    }
    if dir.is_file() {
        return walk(dir);
    }
    walk(&dir.join("Cargo.toml")).max(walk(&dir.join("src")))
}

// ---------------------------------------------------------------------------------------------
// etcd
// ---------------------------------------------------------------------------------------------

/// One etcd member.
pub struct EtcdMember {
    /// `--name`.
    pub name: String,
    /// `http://127.0.0.1:<port>` clients use.
    pub client_url: String,
    /// `http://127.0.0.1:<port>` peers use.
    pub peer_url: String,
    data_dir: PathBuf,
    log: PathBuf,
    initial_cluster: String,
    token: String,
    proc: Option<Proc>,
}

impl EtcdMember {
    fn command(&self) -> Command {
        let mut cmd = Command::new("etcd");
        cmd.arg(format!("--name={}", self.name))
            .arg(format!("--data-dir={}", self.data_dir.display()))
            .arg(format!("--listen-client-urls={}", self.client_url))
            .arg(format!("--advertise-client-urls={}", self.client_url))
            .arg(format!("--listen-peer-urls={}", self.peer_url))
            .arg(format!("--initial-advertise-peer-urls={}", self.peer_url))
            .arg(format!("--initial-cluster={}", self.initial_cluster))
            .arg("--initial-cluster-state=new")
            .arg(format!("--initial-cluster-token={}", self.token))
            // Short raft timings: a new leader is elected within a second of losing one.
            .arg("--heartbeat-interval=50")
            .arg("--election-timeout=500")
            .env_remove("ETCDCTL_API");
        cmd
    }

    fn spawn(&mut self) {
        let what = format!("etcd member {} ({})", self.name, self.client_url);
        self.proc = Some(Proc::spawn(self.command(), &what, &self.log));
    }

    /// Whether the member's process runs.
    pub fn running(&mut self) -> bool {
        self.proc.as_mut().is_some_and(Proc::running)
    }

    /// The member's log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// etcd on loopback: one member or a cluster.
pub struct Etcd {
    /// The members, in `--initial-cluster` order.
    pub members: Vec<EtcdMember>,
}

impl Etcd {
    /// Starts a cluster of `n` members with data folders under `dir` and waits until every
    /// member is healthy. Ports are picked free; when one is taken before etcd binds it, the
    /// whole cluster starts again on other ports.
    pub fn start(dir: &Path, n: usize) -> Etcd {
        require("etcd", "etcd-server");
        require("etcdctl", "etcd-client");
        let mut last_logs = String::new();
        for attempt in 0..3 {
            let token = unique_token("gatehouse-ha");
            let mut members: Vec<EtcdMember> = (0..n)
                .map(|i| {
                    let name = format!("m{i}");
                    let base = dir.join(format!("etcd-{attempt}-{name}"));
                    fs::create_dir_all(&base).expect("creating an etcd folder");
                    EtcdMember {
                        client_url: format!("http://127.0.0.1:{}", free_port()),
                        peer_url: format!("http://127.0.0.1:{}", free_port()),
                        data_dir: base.join("data"),
                        log: base.join("etcd.log"),
                        initial_cluster: String::new(),
                        token: token.clone(),
                        proc: None,
                        name,
                    }
                })
                .collect();
            let initial = members
                .iter()
                .map(|m| format!("{}={}", m.name, m.peer_url))
                .collect::<Vec<_>>()
                .join(",");
            for m in &mut members {
                m.initial_cluster = initial.clone();
                m.spawn();
            }
            let mut etcd = Etcd { members };
            let all: Vec<usize> = (0..n).collect();
            if etcd.wait_healthy(&all) {
                return etcd;
            }
            last_logs = etcd
                .members
                .iter()
                .map(|m| format!("--- {} ---\n{}", m.name, m.log()))
                .collect();
        }
        panic!("etcd did not become healthy in three attempts; the last logs:\n{last_logs}");
    }

    /// The client URLs of all members, comma separated (for `--etcd-servers`).
    pub fn endpoints(&self) -> String {
        self.endpoints_in(&(0..self.members.len()).collect::<Vec<_>>())
    }

    /// The client URLs of the members `order`, in that order, for `--etcd-servers`.
    pub fn endpoints_in(&self, order: &[usize]) -> String {
        order
            .iter()
            .map(|&i| self.members[i].client_url.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Runs `etcdctl` (API v3) against `endpoints`.
    pub fn etcdctl(endpoints: &str, args: &[&str]) -> (bool, String, String) {
        let mut cmd = Command::new("etcdctl");
        cmd.env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={endpoints}"))
            .arg("--command-timeout=5s")
            .arg("--dial-timeout=2s")
            .args(args);
        run_bounded(cmd, Duration::from_secs(15))
    }

    /// Waits (at most [`START_TIMEOUT`]) until the members `which` answer `endpoint health`;
    /// `false` when one of them exits or the time runs out.
    pub fn wait_healthy(&mut self, which: &[usize]) -> bool {
        let start = Instant::now();
        while start.elapsed() < START_TIMEOUT {
            let healthy = which
                .iter()
                .all(|&i| Etcd::etcdctl(&self.members[i].client_url, &["endpoint", "health"]).0);
            if healthy {
                return true;
            }
            if which.iter().any(|&i| !self.members[i].running()) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Kills member `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(p) = self.members[i].proc.as_mut() {
            p.kill();
        }
        self.members[i].proc = None;
    }

    /// Starts member `i` again on the same ports and data folder and waits until it is healthy.
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.members[i].spawn();
        assert!(
            self.wait_healthy(&[i]),
            "etcd member {} did not come back; its log:\n{}",
            self.members[i].name,
            self.members[i].log()
        );
    }

    /// The index of the member that is the raft leader now, as the first running member that
    /// answers `endpoint status` reports it.
    pub fn leader(&mut self) -> Option<usize> {
        for i in 0..self.members.len() {
            if !self.members[i].running() {
                continue;
            }
            let (ok, out, _) =
                Etcd::etcdctl(&self.members[i].client_url, &["endpoint", "status", "-w", "json"]);
            let Some(status) = ok.then(|| serde_json::from_str::<Value>(&out).ok()).flatten() else {
                continue;
            };
            let leader = status[0]["Status"]["leader"].as_u64()?;
            if leader == 0 {
                return None;
            }
            return self.member_ids().iter().position(|&id| id == leader);
        }
        None
    }

    /// The raft ids of the members, in order (0 for one the running members do not list).
    fn member_ids(&mut self) -> Vec<u64> {
        let mut live: Vec<String> = Vec::new();
        for m in &mut self.members {
            if m.running() {
                live.push(m.client_url.clone());
            }
        }
        let (ok, out, err) = Etcd::etcdctl(&live.join(","), &["member", "list", "-w", "json"]);
        assert!(ok, "etcdctl member list: {err}");
        let list: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("member list ({e}): {out}"));
        let listed = list["members"].as_array().cloned().unwrap_or_default();
        self.members
            .iter()
            .map(|m| {
                listed
                    .iter()
                    .find(|l| l["name"] == m.name.as_str())
                    .and_then(|l| l["ID"].as_u64())
                    .unwrap_or(0)
            })
            .collect()
    }

    /// The index of the raft leader, waiting (at most [`START_TIMEOUT`]) until there is one.
    pub fn wait_leader(&mut self) -> usize {
        let start = Instant::now();
        loop {
            if let Some(l) = self.leader() {
                return l;
            }
            assert!(
                start.elapsed() < START_TIMEOUT,
                "no etcd member became the leader"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The keys under `prefix` as member `which` (it must be running) has them.
    pub fn keys(&self, which: usize, prefix: &str) -> Vec<String> {
        let (ok, out, err) = Etcd::etcdctl(
            &self.members[which].client_url,
            &["get", "--prefix", "--keys-only", prefix],
        );
        assert!(ok, "etcdctl get --prefix {prefix}: {err}");
        out.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// One CA, serving certificate and admin certificate for all replicas, as files.
pub struct SharedPki {
    /// The certificates and keys.
    pub pki: Pki,
    /// `ca.crt` (`--client-ca-file`, and what clients trust).
    pub ca_file: PathBuf,
    /// `apiserver.crt` (`--tls-cert-file`).
    pub serving_cert: PathBuf,
    /// `apiserver.key` (`--tls-private-key-file`).
    pub serving_key: PathBuf,
    /// `admin.crt`, a `system:masters` client certificate.
    pub admin_cert: PathBuf,
    /// `admin.key`.
    pub admin_key: PathBuf,
}

impl SharedPki {
    /// Generates the certificates under `<dir>/pki/` (the serving certificate names
    /// `127.0.0.1` and `localhost`, which every replica and the balancer listen on).
    pub fn new(dir: &Path) -> SharedPki {
        let pki = gatehouse_host::pki::ensure_pki(dir, &[], SystemTime::now()).expect("generating a PKI");
        let d = pki.dir.clone();
        SharedPki {
            ca_file: d.join("ca.crt"),
            serving_cert: d.join("apiserver.crt"),
            serving_key: d.join("apiserver.key"),
            admin_cert: d.join("admin.crt"),
            admin_key: d.join("admin.key"),
            pki,
        }
    }

    /// kubectl 1.32 as the admin at `url`, with a kubeconfig and cache folder under `dir`.
    pub fn kubectl(&self, url: &str, dir: &Path) -> Kubectl {
        let name = unique_token("kubectl");
        let kubeconfig = dir.join(format!("{name}.kubeconfig"));
        Kubeconfig {
            cluster_name: "gatehouse",
            user_name: "kubernetes-admin",
            context_name: "kubernetes-admin@gatehouse",
            server: url,
            ca_pem: Some(&self.pki.ca.cert_pem),
            credential: Credential::ClientCert {
                cert_pem: &self.pki.admin.cert_pem,
                key_pem: &self.pki.admin.key_pem,
            },
            namespace: None,
        }
        .write(&kubeconfig)
        .unwrap_or_else(|e| panic!("writing {}: {e}", kubeconfig.display()));
        let cache = dir.join(format!("{name}-cache"));
        fs::create_dir_all(&cache).expect("creating a kubectl cache folder");
        Kubectl::new(kubectl_bin(None), kubeconfig, cache)
    }

    /// A curl client as the admin at `url`.
    pub fn client(&self, url: &str) -> Client {
        Client {
            base: url.to_string(),
            cacert: self.ca_file.clone(),
            cert: Some((self.admin_cert.clone(), self.admin_key.clone())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gatehouse replicas
// ---------------------------------------------------------------------------------------------

/// A `gatehouse` process on etcd with the shared certificates.
pub struct Replica {
    /// A short name for messages (`a`, `b`, …).
    pub name: String,
    /// The port it serves on.
    pub port: u16,
    args: Vec<String>,
    log: PathBuf,
    ca_file: PathBuf,
    proc: Option<Proc>,
}

impl Replica {
    /// Starts `gatehouse` with `--etcd-servers=<etcd_servers>`, data folder `<dir>/<name>`, the
    /// certificates of `pki`, on `port` (0: any free port), and waits until `/readyz` is ok.
    pub fn start(name: &str, dir: &Path, pki: &SharedPki, etcd_servers: &str, port: u16) -> Replica {
        let mut r = Replica::spawn(name, dir, pki, etcd_servers, port);
        r.wait_ready();
        r
    }

    /// Like [`Replica::start`] without waiting: several replicas start at once, then
    /// [`Replica::wait_ready`] waits for each.
    pub fn spawn(name: &str, dir: &Path, pki: &SharedPki, etcd_servers: &str, port: u16) -> Replica {
        let data = dir.join(format!("replica-{name}"));
        fs::create_dir_all(&data).expect("creating a replica's data folder");
        let args = vec![
            "--bind-address=127.0.0.1".to_string(),
            format!("--data-dir={}", data.display()),
            format!("--etcd-servers={etcd_servers}"),
            format!("--tls-cert-file={}", pki.serving_cert.display()),
            format!("--tls-private-key-file={}", pki.serving_key.display()),
            format!("--client-ca-file={}", pki.ca_file.display()),
        ];
        let mut r = Replica {
            name: name.to_string(),
            port,
            args,
            log: dir.join(format!("replica-{name}.log")),
            ca_file: pki.ca_file.clone(),
            proc: None,
        };
        r.spawn_process();
        r
    }

    fn spawn_process(&mut self) {
        let _ = fs::write(&self.log, "");
        let mut cmd = Command::new(gatehouse_bin());
        cmd.arg(format!("--secure-port={}", self.port))
            .args(&self.args)
            .env("RUST_BACKTRACE", "1");
        let what = format!("gatehouse replica {}", self.name);
        self.proc = Some(Proc::spawn(cmd, &what, &self.log));
    }

    /// Waits (at most [`START_TIMEOUT`]) until the replica has announced its port and its
    /// `/readyz` answers ok.
    pub fn wait_ready(&mut self) {
        let what = format!("gatehouse replica {}", self.name);
        let start = Instant::now();
        // The port it announces (the one asked for, or the one the system gave for 0).
        let needle = "serving the Kubernetes API on https://127.0.0.1:";
        let port = loop {
            let log = self.log();
            if let Some(rest) = log.split(needle).nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                break digits.parse::<u16>().expect("the announced port");
            }
            assert!(self.running(), "{what} exited during start-up; its log:\n{log}");
            assert!(
                start.elapsed() < START_TIMEOUT,
                "{what} did not announce its port; its log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        self.port = port;
        while !self.probe_ready() {
            assert!(
                self.running(),
                "{what} exited during start-up; its log:\n{}",
                self.log()
            );
            assert!(
                start.elapsed() < START_TIMEOUT,
                "{what} did not become ready; its log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether `GET /readyz` answers `ok` now.
    pub fn probe_ready(&self) -> bool {
        let mut cmd = curl_command();
        cmd.args(["-sS", "--max-time", "5", "--cacert"])
            .arg(&self.ca_file)
            .arg(format!("{}/readyz", self.url()));
        let (ok, out, _) = run_bounded(cmd, Duration::from_secs(10));
        ok && out == "ok"
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Whether the process runs.
    pub fn running(&mut self) -> bool {
        self.proc.as_mut().is_some_and(Proc::running)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.proc.as_ref().map(Proc::pid)
    }

    /// Kills the process with SIGKILL (as a crash or an OOM kill would).
    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            let status = p.kill();
            assert!(
                !status.is_some_and(|s| s.success()),
                "replica {} exited cleanly before it was killed",
                self.name
            );
        }
    }

    /// Starts the replica again on the same port and data folder (after [`Replica::kill`]).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn_process();
        self.wait_ready();
    }

    /// What the replica wrote to standard error since it last started.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asserts the replica runs and never panicked.
    pub fn assert_healthy_process(&mut self) {
        let log = self.log();
        assert!(
            !log.contains("panicked"),
            "replica {} panicked:\n{log}",
            self.name
        );
        assert!(
            self.running(),
            "replica {} is not running; its log:\n{log}",
            self.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// HAProxy
// ---------------------------------------------------------------------------------------------

/// One backend server's line of HAProxy's statistics.
#[derive(Clone, Debug)]
pub struct ServerStat {
    /// The server's name in the configuration.
    pub name: String,
    /// Connections open now.
    pub current: u64,
    /// Connections forwarded in total.
    pub total: u64,
    /// `UP`, `DOWN`, …
    pub status: String,
}

/// HAProxy balancing TCP connections round robin over replicas; killed when dropped.
pub struct Balancer {
    /// The port clients connect to.
    pub port: u16,
    /// The port of the statistics page (HTTP).
    pub stats_port: u16,
    proc: Proc,
}

impl Balancer {
    /// Starts `haproxy -f <cfg> -db` in front of `backends` (name, port) with its files in `dir`
    /// and waits until it listens and sees every backend up.
    pub fn start(dir: &Path, backends: &[(&str, u16)]) -> Balancer {
        require("haproxy", "haproxy");
        let mut last_log = String::new();
        for attempt in 0..3 {
            let port = free_port();
            let stats_port = free_port();
            let mut servers = String::new();
            for (name, p) in backends {
                // A health check (TCP connect) every 200 ms: a killed replica is taken out at
                // the first failed check and put back at the first good one.
                servers.push_str(&format!(
                    "  server {name} 127.0.0.1:{p} check inter 200ms fall 1 rise 1\n"
                ));
            }
            let cfg = format!(
                "global\n  maxconn 512\n\n\
                 defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5m\n  timeout server 5m\n  \
                 timeout check 1s\n  retries 3\n  option redispatch\n\n\
                 frontend gatehouse\n  bind 127.0.0.1:{port}\n  default_backend replicas\n\n\
                 backend replicas\n  balance roundrobin\n{servers}\n\
                 listen stats\n  mode http\n  bind 127.0.0.1:{stats_port}\n  stats enable\n  stats uri /stats\n"
            );
            let cfg_path = dir.join(format!("haproxy-{attempt}.cfg"));
            fs::write(&cfg_path, cfg).expect("writing the HAProxy configuration");
            let mut cmd = Command::new("haproxy");
            cmd.arg("-f").arg(&cfg_path).arg("-db");
            let log = dir.join(format!("haproxy-{attempt}.log"));
            let proc = Proc::spawn(cmd, "haproxy", &log);
            let mut b = Balancer {
                port,
                stats_port,
                proc,
            };
            let start = Instant::now();
            while start.elapsed() < START_TIMEOUT && b.proc.running() {
                let stats = b.stats();
                if stats.len() == backends.len() && stats.iter().all(|s| s.status == "UP") {
                    return b;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            last_log = b.proc.log();
        }
        panic!("HAProxy did not start; its last log:\n{last_log}");
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The backend servers' statistics (empty when the page does not answer).
    pub fn stats(&self) -> Vec<ServerStat> {
        let mut cmd = curl_command();
        cmd.args(["-sS", "--max-time", "5"])
            .arg(format!("http://127.0.0.1:{}/stats;csv", self.stats_port));
        let (ok, out, _) = run_bounded(cmd, Duration::from_secs(10));
        if !ok {
            return Vec::new();
        }
        let mut lines = out.lines();
        let Some(header) = lines.next() else {
            return Vec::new();
        };
        let cols: Vec<&str> = header.trim_start_matches("# ").split(',').collect();
        let col = |name: &str| cols.iter().position(|c| *c == name);
        let (Some(px), Some(sv), Some(scur), Some(stot), Some(status)) = (
            col("pxname"),
            col("svname"),
            col("scur"),
            col("stot"),
            col("status"),
        ) else {
            return Vec::new();
        };
        lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f.len() > status && f[px] == "replicas" && f[sv] != "BACKEND")
            .map(|f| ServerStat {
                name: f[sv].to_string(),
                current: f[scur].parse().unwrap_or(0),
                total: f[stot].parse().unwrap_or(0),
                status: f[status].to_string(),
            })
            .collect()
    }

    /// Waits (bounded) until backend `name` has `status` (`UP` or `DOWN`).
    pub async fn wait_status(&self, name: &str, status: &str) {
        let start = Instant::now();
        loop {
            let stats = self.stats();
            if stats
                .iter()
                .any(|s| s.name == name && s.status.starts_with(status))
            {
                return;
            }
            assert!(
                start.elapsed() < START_TIMEOUT,
                "HAProxy never reported {name} {status}: {stats:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// HAProxy's log.
    pub fn log(&self) -> String {
        self.proc.log()
    }
}

// ---------------------------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------------------------

/// A `curl` client of one address (a replica or the balancer).
#[derive(Clone, Debug)]
pub struct Client {
    /// `https://127.0.0.1:<port>`.
    pub base: String,
    cacert: PathBuf,
    cert: Option<(PathBuf, PathBuf)>,
}

impl Client {
    fn command(&self, method: &str, path: &str, max_secs: u64) -> Command {
        let mut cmd = curl_command();
        cmd.args(["-sS", "--http1.1", "-N", "-X", method])
            .arg("--cacert")
            .arg(&self.cacert)
            .arg("--max-time")
            .arg(max_secs.to_string())
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy");
        if let Some((crt, key)) = &self.cert {
            cmd.arg("--cert").arg(crt).arg("--key").arg(key);
        }
        cmd.arg(format!("{}{path}", self.base));
        cmd
    }

    /// Sends `method path` with an optional JSON body, reading for at most `max_secs`.
    pub async fn request(&self, method: &str, path: &str, body: Option<&Value>, max_secs: u64) -> Response {
        let mut cmd = self.command(method, path, max_secs);
        // Headers and body both go to standard output: the headers first (-D -), then a blank
        // line, then the body.
        cmd.args(["-D", "-"]);
        if let Some(b) = body {
            cmd.args(["-H", "Content-Type: application/json", "--data-binary"])
                .arg(b.to_string());
        }
        let out = run_command(cmd, Duration::from_secs(max_secs + 10)).await;
        let mut headers = String::new();
        let mut rest = out.stdout.as_str();
        // Skip interim answers (100 Continue) and keep the last head.
        while rest.starts_with("HTTP/") {
            let (head, body) = match rest.find("\r\n\r\n") {
                Some(i) => (&rest[..i + 2], &rest[i + 4..]),
                None => (rest, ""),
            };
            headers = head.to_string();
            rest = body;
        }
        let code = headers
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Response {
            request: format!("{method} {}{path}", self.base),
            code,
            headers,
            body: rest.to_string(),
            raw: rest.as_bytes().to_vec(),
            curl: out,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, COMMAND_TIMEOUT.as_secs()).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request("POST", path, Some(body), COMMAND_TIMEOUT.as_secs())
            .await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.request("PUT", path, Some(body), COMMAND_TIMEOUT.as_secs())
            .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Response {
        self.request("DELETE", path, None, COMMAND_TIMEOUT.as_secs())
            .await
    }

    /// Opens a watch (`path` with `watch=true` in its query) that stays open for at most
    /// `max_secs`, collecting its events as they come.
    pub fn watch(&self, path: &str, max_secs: u64) -> Stream {
        Stream::spawn(self.command("GET", path, max_secs), path)
    }
}

/// One event of a watch stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
    pub kind: String,
    /// The object's name (empty for `ERROR`).
    pub name: String,
    /// The object's resourceVersion (0 for `ERROR`).
    pub rv: u64,
    /// The whole event.
    pub raw: Value,
}

/// A watch kept open by a `curl` process; killed when dropped.
pub struct Stream {
    what: String,
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

fn collect(source: impl Read + Send + 'static, sink: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut source = source;
        let mut buf = [0u8; 8192];
        loop {
            match source.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&buf[..n]),
            }
        }
    })
}

impl Stream {
    fn spawn(mut cmd: Command, what: &str) -> Stream {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting curl");
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().expect("piped stdout"), out.clone()),
            collect(child.stderr.take().expect("piped stderr"), err.clone()),
        ];
        Stream {
            what: what.to_string(),
            child,
            out,
            err,
            readers,
        }
    }

    /// The body so far.
    pub fn body(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// curl's error output so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// The complete events so far (a line cut short by a dropped connection is left out).
    pub fn events(&self) -> Vec<Event> {
        let body = self.body();
        let complete = match body.rfind('\n') {
            Some(i) => &body[..i],
            None => "",
        };
        complete
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let raw: Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("a watch line is not JSON ({e}): {l}\n{}", self.describe()));
                let meta = &raw["object"]["metadata"];
                Event {
                    kind: raw["type"].as_str().unwrap_or("").to_string(),
                    name: meta["name"].as_str().unwrap_or("").to_string(),
                    rv: meta["resourceVersion"]
                        .as_str()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                    raw,
                }
            })
            .collect()
    }

    /// curl's exit status once it has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits until `done(self)` holds (true) or `timeout` passes (false).
    pub async fn wait_until(&mut self, timeout: Duration, done: impl Fn(&mut Stream) -> bool) -> bool {
        let start = Instant::now();
        loop {
            if done(self) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits (at most 30 s) until the stream holds an `ADDED` event of every name in `names`;
    /// panics with the stream otherwise.
    pub async fn wait_added(&mut self, names: &[String]) -> Vec<Event> {
        let ok = self
            .wait_until(Duration::from_secs(30), |s| {
                let ev = s.events();
                names
                    .iter()
                    .all(|n| ev.iter().any(|e| e.kind == "ADDED" && &e.name == n))
            })
            .await;
        assert!(
            ok,
            "the watch never showed ADDED for all of {names:?}\n{}",
            self.describe()
        );
        self.events()
    }

    /// Waits (at most 30 s) until curl has ended, and returns its status.
    pub async fn wait_exit(&mut self) -> ExitStatus {
        let ok = self
            .wait_until(Duration::from_secs(30), |s| s.exited().is_some())
            .await;
        assert!(ok, "the watch did not end\n{}", self.describe());
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        self.exited().expect("curl has ended")
    }

    /// Ends the watch (kills curl) and returns its events.
    pub fn stop(&mut self) -> Vec<Event> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        self.events()
    }

    /// The watch and everything it received, for messages.
    pub fn describe(&self) -> String {
        format!(
            "watch: {}\n--- body ---\n{}\n--- curl stderr ---\n{}",
            self.what,
            self.body(),
            self.stderr()
        )
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A ConfigMap `name` in `ns` with `data`.
pub fn configmap(ns: &str, name: &str, data: Value) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    })
}

/// A Namespace `name`.
pub fn namespace(name: &str) -> Value {
    serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// The `metadata.resourceVersion` of `object` as a number.
pub fn rv_of(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric resourceVersion in {object}"))
}

// ---------------------------------------------------------------------------------------------
// Three replicas behind a balancer
// ---------------------------------------------------------------------------------------------

/// etcd, replicas `a`, `b`, `c` on it and HAProxy in front of them, with their files in one
/// temporary folder. Everything is killed when dropped: the balancer first, then the replicas,
/// then etcd, then the folder goes.
pub struct HaCluster {
    /// HAProxy; its backends are named after the replicas.
    pub balancer: Balancer,
    /// The replicas.
    pub replicas: Vec<Replica>,
    /// etcd.
    pub etcd: Etcd,
    /// The certificates all share.
    pub pki: SharedPki,
    /// The folder with every file of the cluster.
    pub dir: crate::TempDir,
}

impl HaCluster {
    /// Starts one etcd member, `replicas` Gatehouse replicas named `a`, `b`, … on it (all at
    /// once, as a deployment rolls them out; they race to create the default namespaces and
    /// services) and the balancer.
    pub fn start(label: &str, replicas: usize) -> HaCluster {
        let dir = crate::TempDir::new(label);
        let etcd = Etcd::start(dir.path(), 1);
        let pki = SharedPki::new(dir.path());
        let names = ["a", "b", "c", "d", "e"];
        let mut replicas: Vec<Replica> = names[..replicas]
            .iter()
            .map(|n| Replica::spawn(n, dir.path(), &pki, &etcd.endpoints(), 0))
            .collect();
        for r in &mut replicas {
            r.wait_ready();
        }
        let backends: Vec<(&str, u16)> = replicas.iter().map(|r| (r.name.as_str(), r.port)).collect();
        let balancer = Balancer::start(dir.path(), &backends);
        HaCluster {
            balancer,
            replicas,
            etcd,
            pki,
            dir,
        }
    }

    /// A curl client of replica `i`.
    pub fn client(&self, i: usize) -> Client {
        self.pki.client(&self.replicas[i].url())
    }

    /// A curl client of the balancer.
    pub fn lb(&self) -> Client {
        self.pki.client(&self.balancer.url())
    }

    /// kubectl at `url`.
    pub fn kubectl(&self, url: &str) -> Kubectl {
        self.pki.kubectl(url, self.dir.path())
    }

    /// Asserts every replica still runs and none panicked.
    pub fn assert_replicas_healthy(&mut self) {
        for r in &mut self.replicas {
            r.assert_healthy_process();
        }
    }
}
