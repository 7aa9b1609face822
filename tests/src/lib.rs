//! Harness of Gatehouse's end-to-end tests.
//!
//! Every test talks to a real Gatehouse over TLS on loopback through real clients: the `kubectl`
//! binaries (1.32 on `PATH`, 1.27 and 1.33 beside it) and `curl`. The pieces:
//!
//! * [`Server`] starts Gatehouse in this process on the tokio or the smol runtime. The runtime
//!   lives on a thread of its own, so a server survives the test that started it and can be shared
//!   by all tests of a file through [`Shared`].
//! * [`Kubectl`] runs one kubectl binary with `--kubeconfig` and a private `--cache-dir`, bounded
//!   by a timeout; [`Background`] keeps one running (e.g. `get -w`) while the test makes changes.
//! * [`Http`] sends raw requests with `curl` and returns the status code, headers and body.
//! * [`wait_for`] polls a condition a bounded number of times; tests never assert on timing.
//! * [`TempDir`] makes folders under the system temp folder and removes them afterwards.
//! * [`flows`] holds scenarios several files run (the core subset, the cross-version smoke test).

use std::fmt;
use std::fs;
use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use clap::Parser;
use gatehouse_host::flags::Flags;
pub use gatehouse_host::kubeconfig::Credential;
use gatehouse_host::kubeconfig::Kubeconfig;
pub use gatehouse_host::pki::CertKeyPem;
use gatehouse_host::pki::Pki;
pub use serde_json::{json, Value};

/// The deterministic simulator: replicas, clients, a faulty store, checkers, one seed.
pub mod sim;

/// How long one kubectl or curl invocation may take before it is killed. A bound against hangs,
/// not an expectation: the commands normally finish well within a second.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How many times [`wait_for`] probes before giving up.
pub const WAIT_ATTEMPTS: u32 = 300;
/// The pause between two probes of [`wait_for`].
pub const WAIT_INTERVAL: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------------------------------------
// Temporary folders
// ---------------------------------------------------------------------------------------------

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);
static SWEEP: Once = Once::new();

fn temp_root() -> PathBuf {
    std::env::temp_dir().join("gatehouse-tests")
}

/// Removes folders left behind by earlier test processes that are gone (a server shared by a test
/// file lives until its process exits, so its folder cannot be removed by the process itself).
fn sweep_stale_dirs() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = fs::read_dir(temp_root()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A folder under `<temp>/gatehouse-tests/`, removed with its contents when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh, empty folder whose name contains `label`.
    pub fn new(label: &str) -> TempDir {
        SWEEP.call_once(sweep_stale_dirs);
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let path = temp_root().join(format!("{}-{n}-{label}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the folder.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `contents` to `name` inside the folder and returns the file's path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path.join(name);
        fs::write(&path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A name unique within this process, for namespaces and objects of tests sharing a server.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

// ---------------------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------------------

/// Probes `probe` until it returns `Some`, at most [`WAIT_ATTEMPTS`] times with [`WAIT_INTERVAL`]
/// between attempts, and returns the value. Panics naming `what` when it never comes.
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..WAIT_ATTEMPTS {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(WAIT_INTERVAL).await;
    }
    panic!("gave up waiting for {what} after {WAIT_ATTEMPTS} attempts");
}

// ---------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------

/// Which async runtime serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// `gatehouse_tokio::start`.
    Tokio,
    /// `gatehouse_smol::start` on a smol executor.
    Smol,
}

/// Which storage backend the server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// The durable store in the data folder.
    Embedded,
    /// In memory only.
    Memory,
}

/// How to start a [`Server`].
#[derive(Clone, Debug)]
pub struct Options {
    /// The runtime.
    pub runtime: Runtime,
    /// The storage backend.
    pub storage: Storage,
    /// `--anonymous-auth`.
    pub anonymous_auth: bool,
    /// `--data-dir`; `None` gives the server a temporary folder of its own.
    pub data_dir: Option<PathBuf>,
    /// More flags, e.g. `--kubelet-client-certificate=...`.
    pub extra_args: Vec<String>,
}

impl Options {
    /// Tokio runtime, embedded store, anonymous requests allowed, a fresh data folder.
    pub fn tokio() -> Options {
        Options {
            runtime: Runtime::Tokio,
            storage: Storage::Embedded,
            anonymous_auth: true,
            data_dir: None,
            extra_args: Vec::new(),
        }
    }

    /// Like [`Options::tokio`] on the smol runtime.
    pub fn smol() -> Options {
        Options {
            runtime: Runtime::Smol,
            ..Options::tokio()
        }
    }

    /// Keeps the data in memory.
    pub fn memory(mut self) -> Options {
        self.storage = Storage::Memory;
        self
    }

    /// Sets `--anonymous-auth`.
    pub fn anonymous_auth(mut self, enabled: bool) -> Options {
        self.anonymous_auth = enabled;
        self
    }

    /// Adds a flag.
    pub fn arg(mut self, flag: impl Into<String>) -> Options {
        self.extra_args.push(flag.into());
        self
    }

    /// Uses `dir` as the data folder (it outlives the server, e.g. for restarts).
    pub fn data_dir(mut self, dir: &Path) -> Options {
        self.data_dir = Some(dir.to_path_buf());
        self
    }
}

struct Started {
    addr: SocketAddr,
    kubeconfig: Option<PathBuf>,
    data_dir: PathBuf,
    pki: Option<Pki>,
}

/// A Gatehouse running in this process on a thread of its own; stopped when dropped.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The admin kubeconfig Gatehouse wrote.
    pub kubeconfig: PathBuf,
    /// The data folder.
    pub data_dir: PathBuf,
    /// The cluster CA and admin credentials.
    pub pki: Pki,
    /// The runtime serving.
    pub runtime: Runtime,
    stop: Mutex<Option<smol::channel::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    _own_dir: Option<TempDir>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("runtime", &self.runtime)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl Server {
    /// Starts Gatehouse on `127.0.0.1`, an ephemeral port, and returns once it is ready.
    pub async fn start(options: Options) -> Server {
        let own_dir = match options.data_dir {
            Some(_) => None,
            None => Some(TempDir::new("server")),
        };
        let dir = match (&options.data_dir, &own_dir) {
            (Some(dir), _) => dir.clone(),
            (None, Some(own)) => own.path().to_path_buf(),
            (None, None) => unreachable!(),
        };
        let mut args = vec![
            "gatehouse".to_string(),
            "--secure-port=0".to_string(),
            "--bind-address=127.0.0.1".to_string(),
            "--data-dir".to_string(),
            dir.display().to_string(),
            match options.storage {
                Storage::Embedded => "--storage-backend=embedded".to_string(),
                Storage::Memory => "--storage-backend=memory".to_string(),
            },
        ];
        if !options.anonymous_auth {
            args.push("--anonymous-auth=false".to_string());
        }
        args.extend(options.extra_args.iter().cloned());
        let flags = Flags::try_parse_from(&args).unwrap_or_else(|e| panic!("flags {args:?}: {e}"));
        let (ready_tx, ready_rx) = smol::channel::bounded::<Result<Started, String>>(1);
        let (stop_tx, stop_rx) = smol::channel::bounded::<()>(1);
        let thread = match options.runtime {
            Runtime::Tokio => std::thread::Builder::new()
                .name("gatehouse-tokio".into())
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .expect("building a tokio runtime");
                    rt.block_on(async move {
                        match gatehouse_tokio::start(flags).await {
                            Ok(running) => {
                                let started = Started {
                                    addr: running.addr,
                                    kubeconfig: running.kubeconfig.clone(),
                                    data_dir: running.data_dir.clone(),
                                    pki: running.pki.clone(),
                                };
                                let _ = ready_tx.send(Ok(started)).await;
                                let _ = stop_rx.recv().await;
                                running.stop().await;
                            }
                            Err(e) => {
                                let _ = ready_tx.send(Err(e.to_string())).await;
                            }
                        }
                    });
                }),
            Runtime::Smol => std::thread::Builder::new()
                .name("gatehouse-smol".into())
                .spawn(move || {
                    let ex = Arc::new(smol::Executor::new());
                    let ex2 = ex.clone();
                    smol::block_on(ex.run(async move {
                        match gatehouse_smol::start(ex2, flags).await {
                            Ok(running) => {
                                let started = Started {
                                    addr: running.addr,
                                    kubeconfig: running.kubeconfig.clone(),
                                    data_dir: running.data_dir.clone(),
                                    pki: running.pki.clone(),
                                };
                                let _ = ready_tx.send(Ok(started)).await;
                                let _ = stop_rx.recv().await;
                                running.stop().await;
                            }
                            Err(e) => {
                                let _ = ready_tx.send(Err(e.to_string())).await;
                            }
                        }
                    }));
                }),
        }
        .expect("spawning the server thread");
        let started = match ready_rx.recv().await {
            Ok(Ok(started)) => started,
            Ok(Err(e)) => panic!("Gatehouse did not start: {e}"),
            Err(_) => panic!("the server thread ended before Gatehouse was ready"),
        };
        Server {
            addr: started.addr,
            kubeconfig: started.kubeconfig.expect("Gatehouse wrote no admin kubeconfig"),
            data_dir: started.data_dir,
            pki: started.pki.expect("Gatehouse generated no PKI"),
            runtime: options.runtime,
            stop: Mutex::new(Some(stop_tx)),
            thread: Mutex::new(Some(thread)),
            _own_dir: own_dir,
        }
    }

    /// Stops the server and waits until its thread has ended.
    pub async fn stop(self) {
        tokio::task::spawn_blocking(move || drop(self))
            .await
            .expect("stopping the server");
    }

    fn shutdown(&self) {
        drop(self.stop.lock().unwrap_or_else(|e| e.into_inner()).take());
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// kubectl 1.32 with the admin kubeconfig and a fresh cache folder inside `dir`.
    pub fn kubectl(&self, dir: &TempDir) -> Kubectl {
        Kubectl::new(kubectl_bin(None), self.kubeconfig.clone(), fresh_cache(dir))
    }

    /// kubectl `1.<minor>` (e.g. "1.27") with the admin kubeconfig and a fresh cache folder.
    pub fn kubectl_release(&self, dir: &TempDir, release: &str) -> Kubectl {
        Kubectl::new(
            kubectl_bin(Some(release)),
            self.kubeconfig.clone(),
            fresh_cache(dir),
        )
    }

    /// kubectl 1.32 as `user` with `credential`, through a kubeconfig and a fresh cache folder
    /// written into `dir`.
    pub fn kubectl_as(&self, dir: &TempDir, user: &str, credential: Credential<'_>) -> Kubectl {
        let path = dir.join(format!("{}.kubeconfig", unique(user)));
        let url = self.url();
        let context = format!("{user}@gatehouse");
        Kubeconfig {
            cluster_name: "gatehouse",
            user_name: user,
            context_name: &context,
            server: &url,
            ca_pem: Some(&self.pki.ca.cert_pem),
            credential,
            namespace: None,
        }
        .write(&path)
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        Kubectl::new(kubectl_bin(None), path, fresh_cache(dir))
    }

    /// An HTTP client with the admin certificate, keeping its files in `dir`.
    pub fn http(&self, dir: &TempDir) -> Http {
        Http::new(self, dir, Some(&self.pki.admin))
    }

    /// An HTTP client presenting `cert`, or no certificate at all (anonymous) with `None`.
    pub fn http_as(&self, dir: &TempDir, cert: Option<&CertKeyPem>) -> Http {
        Http::new(self, dir, cert)
    }

    /// A client certificate for `user` in `groups` from the cluster CA, valid for the next hour.
    pub fn client_cert(&self, user: &str, groups: &[&str]) -> CertKeyPem {
        let now = SystemTime::now();
        gatehouse_host::pki::issue_client_cert(
            &self.pki.ca,
            user,
            groups,
            now - Duration::from_secs(3600),
            now + Duration::from_secs(3600),
        )
        .expect("issuing a client certificate")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A server shared by the tests of one file, started by the first test that asks for it and
/// running until the test process exits.
///
/// ```text
/// static SERVER: Shared = Shared::new(|| Options::tokio().memory());
/// let server = SERVER.get().await;
/// ```
pub struct Shared {
    cell: tokio::sync::OnceCell<Server>,
    options: fn() -> Options,
}

impl Shared {
    /// A shared server to be started with `options()`.
    pub const fn new(options: fn() -> Options) -> Shared {
        Shared {
            cell: tokio::sync::OnceCell::const_new(),
            options,
        }
    }

    /// The server, started on first use.
    pub async fn get(&'static self) -> &'static Server {
        self.cell.get_or_init(|| Server::start((self.options)())).await
    }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// What a finished command did.
#[derive(Clone, Debug)]
pub struct Output {
    /// The command line, for messages.
    pub command: String,
    /// The exit code; `None` when killed (by a signal or at the timeout).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command: {}\nexit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

fn spawn_reader(mut source: impl Read + Send + 'static, sink: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
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

fn text(buf: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// A child process whose output is collected as it comes; killed when dropped.
pub struct Background {
    command: String,
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl Background {
    /// Starts `cmd` with piped output.
    pub fn spawn(mut cmd: Command) -> Background {
        let command = describe(&cmd);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting {command}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            spawn_reader(child.stdout.take().expect("piped stdout"), stdout.clone()),
            spawn_reader(child.stderr.take().expect("piped stderr"), stderr.clone()),
        ];
        Background {
            command,
            child,
            stdout,
            stderr,
            readers,
        }
    }

    /// The standard output so far.
    pub fn stdout(&self) -> String {
        text(&self.stdout)
    }

    /// The standard error so far.
    pub fn stderr(&self) -> String {
        text(&self.stderr)
    }

    /// Waits (bounded, see [`wait_for`]) until the output so far satisfies `done`, and returns it.
    /// Panics with everything the process printed when it never does or when the process exits
    /// first.
    pub async fn wait_stdout(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        for _ in 0..WAIT_ATTEMPTS {
            let out = self.stdout();
            if done(&out) {
                return out;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Output may still be in the pipe: give the readers a moment by joining them.
                for r in self.readers.drain(..) {
                    let _ = r.join();
                }
                let out = self.stdout();
                if done(&out) {
                    return out;
                }
                panic!(
                    "{} exited ({status}) before {what}\n--- stdout ---\n{out}\n--- stderr ---\n{}",
                    self.command,
                    self.stderr()
                );
            }
            tokio::time::sleep(WAIT_INTERVAL).await;
        }
        panic!(
            "gave up waiting for {what} from {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.stdout(),
            self.stderr()
        );
    }

    /// Waits for the process to end by itself (bounded by [`COMMAND_TIMEOUT`], then killed).
    pub async fn finish(self) -> Output {
        tokio::task::spawn_blocking(move || self.finish_blocking(COMMAND_TIMEOUT))
            .await
            .expect("waiting for a background command")
    }

    /// Kills the process and returns what it printed.
    pub async fn stop(self) -> Output {
        tokio::task::spawn_blocking(move || self.finish_blocking(Duration::ZERO))
            .await
            .expect("stopping a background command")
    }

    fn finish_blocking(mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
            }
        };
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        Output {
            command: self.command.clone(),
            code: status.and_then(|s| s.code()),
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Runs `cmd` to completion (killed after `timeout`), off the async worker threads.
pub async fn run_command(cmd: Command, timeout: Duration) -> Output {
    let bg = Background::spawn(cmd);
    tokio::task::spawn_blocking(move || bg.finish_blocking(timeout))
        .await
        .expect("running a command")
}

// ---------------------------------------------------------------------------------------------
// kubectl
// ---------------------------------------------------------------------------------------------

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The kubectl binary: `kubectl` on `PATH` for `None`, else `kubectl.<release>` (e.g.
/// `kubectl.1.27`) in the folder the `kubectl` on `PATH` really lives in.
pub fn kubectl_bin(release: Option<&str>) -> PathBuf {
    let on_path = find_on_path("kubectl").expect("kubectl must be on PATH");
    let Some(release) = release else {
        return on_path;
    };
    let real = fs::canonicalize(&on_path).unwrap_or(on_path);
    let bin = real
        .parent()
        .expect("kubectl has a parent folder")
        .join(format!("kubectl.{release}"));
    assert!(bin.is_file(), "{} is missing", bin.display());
    bin
}

fn fresh_cache(dir: &TempDir) -> PathBuf {
    let path = dir.join(unique("kube-cache"));
    fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    path
}

/// One kubectl binary bound to a kubeconfig and a private discovery cache.
#[derive(Clone, Debug)]
pub struct Kubectl {
    /// The binary.
    pub bin: PathBuf,
    /// `--kubeconfig`.
    pub kubeconfig: PathBuf,
    /// `--cache-dir`.
    pub cache_dir: PathBuf,
}

impl Kubectl {
    /// kubectl `bin` with `--kubeconfig kubeconfig --cache-dir cache_dir`.
    pub fn new(bin: PathBuf, kubeconfig: PathBuf, cache_dir: PathBuf) -> Kubectl {
        Kubectl {
            bin,
            kubeconfig,
            cache_dir,
        }
    }

    /// The command line for `args`, with the kubeconfig and cache folder set.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache_dir)
            .args(args)
            .env_remove("KUBECONFIG")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env("NO_PROXY", "127.0.0.1,localhost");
        cmd
    }

    /// Runs kubectl with `args` and returns what happened, whatever the exit code.
    pub async fn run(&self, args: &[&str]) -> Output {
        run_command(self.command(args), COMMAND_TIMEOUT).await
    }

    /// Runs kubectl with `args`, asserts it succeeded and returns its standard output.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.success(), "kubectl failed\n{out}");
        out.stdout
    }

    /// Runs kubectl with `args`, asserts it failed (non-zero exit) and returns what it printed.
    pub async fn fails(&self, args: &[&str]) -> Output {
        let out = self.run(args).await;
        assert!(
            out.code.is_some() && !out.success(),
            "kubectl should have failed\n{out}"
        );
        out
    }

    /// Runs kubectl with `args`, asserts success and parses standard output as JSON.
    pub async fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args).await;
        parse_json(&out)
    }

    /// Starts kubectl with `args` in the background (e.g. `get -w`).
    pub fn spawn(&self, args: &[&str]) -> Background {
        Background::spawn(self.command(args))
    }
}

/// Parses `text` as JSON, panicking with the text when it is not.
pub fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The rows of a kubectl table (header first), each split on whitespace.
pub fn table_rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// The `(EVENT, NAME)` pairs of `kubectl get -w --output-watch-events` table output.
pub fn watch_events(out: &str) -> Vec<(String, String)> {
    table_rows(out)
        .into_iter()
        .filter(|row| row.len() >= 2 && row[0] != "EVENT" && row[1] != ROOT_CA_CONFIGMAP)
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect()
}

/// The ConfigMap Gatehouse, as a kube cluster, keeps in every namespace; tests that count a
/// namespace's ConfigMaps or watch them leave it out ([`watch_events`] does).
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";

/// Whether a listed object, or a watch event's object, is anything but [`ROOT_CA_CONFIGMAP`].
pub fn not_root_ca(item: &Value) -> bool {
    let name = |v: &Value| v["metadata"]["name"] == ROOT_CA_CONFIGMAP;
    !name(item) && !name(&item["object"])
}

// ---------------------------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------------------------

/// A raw HTTP client: the `curl` binary with the cluster CA and an optional client certificate.
#[derive(Debug)]
pub struct Http {
    base: String,
    dir: PathBuf,
    cacert: PathBuf,
    cert: Option<(PathBuf, PathBuf)>,
}

/// One HTTP request for [`Http::request`].
#[derive(Clone, Debug, Default)]
pub struct Request<'a> {
    /// The method (GET when empty).
    pub method: &'a str,
    /// Path and query, e.g. `/api/v1/namespaces/default/configmaps?limit=2`.
    pub path: &'a str,
    /// The `Content-Type` of the body.
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// Extra headers, `Name: value`.
    pub headers: Vec<String>,
    /// Stop reading after this many seconds (for watches); [`COMMAND_TIMEOUT`] when `None`.
    pub max_secs: Option<u64>,
}

/// What the server answered.
#[derive(Clone, Debug)]
pub struct Response {
    /// The request, for messages.
    pub request: String,
    /// The HTTP status code; 0 when no response came (e.g. the TLS handshake failed).
    pub code: u16,
    /// The raw response headers.
    pub headers: String,
    /// The body, as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body's bytes, for binary answers (protobuf).
    pub raw: Vec<u8>,
    /// curl's exit code and error output.
    pub curl: Output,
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request: {}\nstatus: {}\n--- headers ---\n{}--- body ---\n{}\n--- curl stderr ---\n{}",
            self.request, self.code, self.headers, self.body, self.curl.stderr
        )
    }
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e})\n{self}"))
    }

    /// Asserts a 2xx answer and returns the body as JSON.
    pub fn ok(&self) -> Value {
        assert!((200..300).contains(&self.code), "expected success\n{self}");
        self.json()
    }

    /// Asserts that the answer is HTTP `code` with a `Status` body of that code and `reason`,
    /// and returns the Status.
    pub fn status(&self, code: u16, reason: &str) -> Value {
        assert_eq!(self.code, code, "HTTP status\n{self}");
        let status = self.json();
        assert_eq!(status["kind"], "Status", "kind\n{self}");
        assert_eq!(status["apiVersion"], "v1", "apiVersion\n{self}");
        assert_eq!(status["status"], "Failure", "status\n{self}");
        assert_eq!(status["code"], code, "code in the Status\n{self}");
        assert_eq!(status["reason"], reason, "reason\n{self}");
        assert!(
            status["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message\n{self}"
        );
        status
    }

    /// The body split into JSON lines (watch events).
    pub fn json_lines(&self) -> Vec<Value> {
        self.body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("watch line is not JSON ({e}): {l}\n{self}"))
            })
            .collect()
    }

    /// The value of the first response header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

impl Http {
    fn new(server: &Server, dir: &TempDir, cert: Option<&CertKeyPem>) -> Http {
        let sub = dir.join(unique("http"));
        fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("creating {}: {e}", sub.display()));
        let cacert = sub.join("ca.crt");
        fs::write(&cacert, &server.pki.ca.cert_pem).expect("writing ca.crt");
        let cert = cert.map(|c| {
            let crt = sub.join("client.crt");
            let key = sub.join("client.key");
            fs::write(&crt, &c.cert_pem).expect("writing client.crt");
            fs::write(&key, &c.key_pem).expect("writing client.key");
            (crt, key)
        });
        Http {
            base: server.url(),
            dir: sub,
            cacert,
            cert,
        }
    }

    /// Sends `req` and returns the answer.
    pub async fn request(&self, req: Request<'_>) -> Response {
        let n = unique("req");
        let head_file = self.dir.join(format!("{n}.head"));
        let body_file = self.dir.join(format!("{n}.body"));
        let method = if req.method.is_empty() { "GET" } else { req.method };
        let max_secs = req.max_secs.unwrap_or(COMMAND_TIMEOUT.as_secs());
        let mut cmd = curl_command();
        cmd.args(["-sS", "--http1.1", "-N", "-X", method])
            .arg("--cacert")
            .arg(&self.cacert)
            .arg("-D")
            .arg(&head_file)
            .arg("-o")
            .arg(&body_file)
            .arg("--max-time")
            .arg(max_secs.to_string())
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy");
        if let Some((crt, key)) = &self.cert {
            cmd.arg("--cert").arg(crt).arg("--key").arg(key);
        }
        if let Some(ct) = req.content_type {
            cmd.arg("-H").arg(format!("Content-Type: {ct}"));
        }
        for h in &req.headers {
            cmd.arg("-H").arg(h);
        }
        if let Some(body) = &req.body {
            let file = self.dir.join(format!("{n}.send"));
            fs::write(&file, body).expect("writing a request body");
            let mut at = std::ffi::OsString::from("@");
            at.push(&file);
            cmd.arg("--data-binary").arg(at);
        }
        cmd.arg(format!("{}{}", self.base, req.path));
        let request = format!("{method} {}", req.path);
        let curl = run_command(cmd, Duration::from_secs(max_secs + 10)).await;
        let headers = fs::read_to_string(&head_file).unwrap_or_default();
        let raw = fs::read(&body_file).unwrap_or_default();
        let body = String::from_utf8_lossy(&raw).into_owned();
        for f in [&head_file, &body_file] {
            let _ = fs::remove_file(f);
        }
        let _ = fs::remove_file(self.dir.join(format!("{n}.send")));
        // The last status line wins (a `100 Continue` comes first for large bodies).
        let code = headers
            .lines()
            .filter(|l| l.starts_with("HTTP/"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u16>().ok())
            .next_back()
            .unwrap_or(0);
        Response {
            request,
            code,
            headers,
            body,
            raw,
            curl,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Request {
            path,
            ..Request::default()
        })
        .await
    }

    /// `method path` with a body of type `content_type`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        self.request(Request {
            method,
            path,
            content_type: Some(content_type),
            body: Some(body.into()),
            ..Request::default()
        })
        .await
    }

    /// `method path` with a JSON body.
    pub async fn send_json(&self, method: &str, path: &str, body: &Value) -> Response {
        self.send(method, path, "application/json", body.to_string())
            .await
    }

    /// A watch request: reads until the server closes the stream or `max_secs` pass.
    pub async fn watch(&self, path: &str, max_secs: u64) -> Response {
        self.request(Request {
            path,
            max_secs: Some(max_secs),
            ..Request::default()
        })
        .await
    }

    /// The items of the list at `path`, sorted by namespace and name (for before/after checks).
    pub async fn items(&self, path: &str) -> Vec<Value> {
        let list = self.get(path).await.ok();
        let mut items = list["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items in {list}"))
            .clone();
        items.sort_by_key(|i| {
            (
                i["metadata"]["namespace"].as_str().unwrap_or("").to_string(),
                i["metadata"]["name"].as_str().unwrap_or("").to_string(),
            )
        });
        items
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// `cert` as a kubeconfig credential.
pub fn cert_credential(cert: &CertKeyPem) -> Credential<'_> {
    Credential::ClientCert {
        cert_pem: &cert.cert_pem,
        key_pem: &cert.key_pem,
    }
}

/// A client certificate for `user` in `system:masters` from a CA the server does not know.
pub fn foreign_cert(user: &str) -> CertKeyPem {
    let ca = gatehouse_host::pki::new_ca("not-the-cluster-ca").expect("generating a CA");
    let now = SystemTime::now();
    gatehouse_host::pki::issue_client_cert(
        &ca,
        user,
        &["system:masters"],
        now - Duration::from_secs(3600),
        now + Duration::from_secs(3600),
    )
    .expect("issuing a client certificate")
}

/// A client certificate for `user` in `system:masters` from the cluster CA that expired a day ago.
pub fn expired_cert(server: &Server, user: &str) -> CertKeyPem {
    let now = SystemTime::now();
    gatehouse_host::pki::issue_client_cert(
        &server.pki.ca,
        user,
        &["system:masters"],
        now - Duration::from_secs(2 * 86400),
        now - Duration::from_secs(86400),
    )
    .expect("issuing a client certificate")
}

// ---------------------------------------------------------------------------------------------
// Manifests and scenarios
// ---------------------------------------------------------------------------------------------

/// A manifest with a ConfigMap `<name>-config` (data `color`), a Deployment `<name>` (`replicas`,
/// image `image`) and a Service `<name>` in namespace `ns`.
pub fn app_manifest(ns: &str, name: &str, color: &str, replicas: u32, image: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {ns}
data:
  color: {color}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: main
        image: {image}
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    app: {name}
  ports:
  - name: http
    port: 80
    targetPort: 8080
"#
    )
}

/// The machine's own routable address (proxy backends may not be loopback addresses).
pub fn routable_ip() -> std::net::IpAddr {
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").expect("a UDP socket");
    // Connecting a UDP socket sends nothing; it picks the outgoing interface's address.
    probe.connect("192.0.2.1:9").expect("a route out");
    let ip = probe.local_addr().expect("its address").ip();
    assert!(
        !ip.is_loopback() && !ip.is_unspecified(),
        "a routable address: {ip}"
    );
    ip
}

/// Creates Node `name` whose kubelet is at `address:kubelet_port`, and pod `pod` on it in
/// `ns` (an nginx container named after the pod).
pub async fn node_with_pod(
    k: &Kubectl,
    dir: &TempDir,
    name: &str,
    address: &str,
    kubelet_port: u16,
    ns: &str,
    pod: &str,
) {
    let file = dir.write(
        &format!("{name}.yaml"),
        format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n"),
    );
    k.ok(&["create", "-f", &file.to_string_lossy()]).await;
    let status = format!(
        r#"{{"status":{{"addresses":[{{"type":"InternalIP","address":"{address}"}}],"daemonEndpoints":{{"kubeletEndpoint":{{"Port":{kubelet_port}}}}}}}}}"#
    );
    k.ok(&[
        "patch",
        "node",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &status,
    ])
    .await;
    if !pod.is_empty() {
        let bound = format!(r#"{{"spec":{{"nodeName":"{name}"}}}}"#);
        k.ok(&["run", pod, "--image=nginx:1.27", "-n", ns, "--overrides", &bound])
            .await;
    }
}

/// A manifest with one ConfigMap.
pub fn configmap_manifest(ns: &str, name: &str, data: &[(&str, &str)]) -> String {
    let mut out =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n");
    for (k, v) in data {
        out.push_str(&format!("  {k}: \"{v}\"\n"));
    }
    out
}

/// Scenarios run by several test files.
pub mod flows {
    use super::*;

    /// The core subset every runtime must pass: create a namespace and a ConfigMap, get it,
    /// apply and re-apply a manifest, watch ADDED/MODIFIED/DELETED, delete.
    pub async fn core(k: &Kubectl, dir: &TempDir, ns: &str) {
        assert_eq!(
            k.ok(&["create", "namespace", ns]).await.trim(),
            format!("namespace/{ns} created")
        );

        // create + get
        let out = k
            .ok(&[
                "create",
                "configmap",
                "core",
                "-n",
                ns,
                "--from-literal=greeting=hello",
            ])
            .await;
        assert_eq!(out.trim(), "configmap/core created");
        let cm = k
            .json(&["get", "configmap", "core", "-n", ns, "-o", "json"])
            .await;
        assert_eq!(cm["data"], json!({"greeting": "hello"}));
        let table = k.ok(&["get", "configmaps", "-n", ns]).await;
        let rows = table_rows(&table);
        assert_eq!(rows[0], ["NAME", "DATA", "AGE"], "{table}");
        assert!(rows.iter().any(|r| r[0] == "core" && r[1] == "1"), "{table}");

        // apply, change, apply again
        let file = dir.write(
            &format!("{ns}-applied.yaml"),
            configmap_manifest(ns, "applied", &[("size", "small")]),
        );
        let file = file.to_str().expect("UTF-8 path");
        assert_eq!(
            k.ok(&["apply", "-f", file]).await.trim(),
            "configmap/applied created"
        );
        dir.write(
            &format!("{ns}-applied.yaml"),
            configmap_manifest(ns, "applied", &[("size", "large")]),
        );
        assert_eq!(
            k.ok(&["apply", "-f", file]).await.trim(),
            "configmap/applied configured"
        );
        let cm = k
            .json(&["get", "configmap", "applied", "-n", ns, "-o", "json"])
            .await;
        assert_eq!(cm["data"], json!({"size": "large"}));

        // watch
        let mut watch = k.spawn(&[
            "get",
            "configmaps",
            "-n",
            ns,
            "-w",
            "--output-watch-events",
            "--request-timeout=60s",
        ]);
        watch
            .wait_stdout("the initial ADDED events", |out| {
                let ev = watch_events(out);
                ev.contains(&("ADDED".into(), "core".into()))
                    && ev.contains(&("ADDED".into(), "applied".into()))
            })
            .await;
        k.ok(&["create", "configmap", "watched", "-n", ns, "--from-literal=a=1"])
            .await;
        watch
            .wait_stdout("ADDED watched", |out| {
                watch_events(out).contains(&("ADDED".into(), "watched".into()))
            })
            .await;
        k.ok(&["label", "configmap", "watched", "-n", ns, "seen=yes"])
            .await;
        watch
            .wait_stdout("MODIFIED watched", |out| {
                watch_events(out).contains(&("MODIFIED".into(), "watched".into()))
            })
            .await;
        k.ok(&["delete", "configmap", "watched", "-n", ns]).await;
        let out = watch
            .wait_stdout("DELETED watched", |out| {
                watch_events(out).contains(&("DELETED".into(), "watched".into()))
            })
            .await;
        let watched: Vec<String> = watch_events(&out)
            .into_iter()
            .filter(|(_, name)| name == "watched")
            .map(|(event, _)| event)
            .collect();
        assert_eq!(watched, ["ADDED", "MODIFIED", "DELETED"], "{out}");
        watch.stop().await;

        // delete
        assert_eq!(
            k.ok(&["delete", "configmap", "core", "-n", ns]).await.trim(),
            "configmap \"core\" deleted"
        );
        let out = k.fails(&["get", "configmap", "core", "-n", ns]).await;
        assert!(
            out.stderr
                .contains("Error from server (NotFound): configmaps \"core\" not found"),
            "{out}"
        );
    }

    /// The cross-version smoke test: version, get ns, create configmap, apply, get -o yaml, delete.
    pub async fn smoke(k: &Kubectl, dir: &TempDir, ns: &str) {
        let out = k.ok(&["version"]).await;
        assert!(out.contains("Server Version"), "{out}");
        assert!(out.contains("v1.32"), "{out}");

        let out = k.ok(&["get", "namespaces"]).await;
        let rows = table_rows(&out);
        assert_eq!(rows[0], ["NAME", "STATUS", "AGE"], "{out}");
        for system in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            assert!(
                rows.iter().any(|r| r[0] == system && r[1] == "Active"),
                "{system} missing\n{out}"
            );
        }

        k.ok(&["create", "namespace", ns]).await;
        assert_eq!(
            k.ok(&["create", "configmap", "smoke", "-n", ns, "--from-literal=k=v"])
                .await
                .trim(),
            "configmap/smoke created"
        );

        let file = dir.write(
            &format!("{ns}.yaml"),
            configmap_manifest(ns, "smoke-applied", &[("mode", "fast")]),
        );
        let file = file.to_str().expect("UTF-8 path");
        assert_eq!(
            k.ok(&["apply", "-f", file]).await.trim(),
            "configmap/smoke-applied created"
        );
        dir.write(
            &format!("{ns}.yaml"),
            configmap_manifest(ns, "smoke-applied", &[("mode", "slow")]),
        );
        assert_eq!(
            k.ok(&["apply", "-f", file]).await.trim(),
            "configmap/smoke-applied configured"
        );

        let yaml = k.ok(&["get", "configmap", "smoke", "-n", ns, "-o", "yaml"]).await;
        for line in [
            "apiVersion: v1",
            "kind: ConfigMap",
            "  k: v",
            "  name: smoke",
            &format!("  namespace: {ns}"),
        ] {
            assert!(yaml.lines().any(|l| l == line), "missing line {line:?}\n{yaml}");
        }
        let yaml = k
            .ok(&["get", "configmap", "smoke-applied", "-n", ns, "-o", "yaml"])
            .await;
        assert!(yaml.lines().any(|l| l == "  mode: slow"), "{yaml}");
        assert!(
            yaml.contains("kubectl.kubernetes.io/last-applied-configuration"),
            "{yaml}"
        );

        for name in ["smoke", "smoke-applied"] {
            assert_eq!(
                k.ok(&["delete", "configmap", name, "-n", ns]).await.trim(),
                format!("configmap \"{name}\" deleted")
            );
        }
        let out = k.fails(&["get", "configmap", "smoke", "-n", ns]).await;
        assert!(
            out.stderr
                .contains("Error from server (NotFound): configmaps \"smoke\" not found"),
            "{out}"
        );
    }
}

/// Percent-encodes `value` for a URL query.
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// High-availability and fault helpers: etcd members, replica processes, HAProxy.
pub mod ha;

/// Debian tools the tests run, installed when missing and the tests run as root with apt.
pub mod packages;
pub mod webhook_server;

/// A `curl` command, with curl installed first when it is missing.
pub fn curl_command() -> Command {
    packages::require("curl", "curl");
    Command::new("curl")
}
