//! The Gatehouse API benchmark: `cargo bench -p gatehouse-tokio --bench api`.
//!
//! Starts a real etcd (`etcd` from PATH, or `ETCD_BIN`) on free loopback ports and two
//! `gatehouse` processes (the binary of this package, or `GATEHOUSE_BIN`): one on
//! `--storage-backend=etcd3`, one on `--storage-backend=embedded`. Clients are HTTP/1.1 over
//! TLS with the generated admin client certificate, one keep-alive connection per client.
//! Everything runs in one process on one machine, and the clients share its CPUs with etcd and
//! Gatehouse. It measures, and prints as Markdown tables on stdout:
//!
//! * create throughput of 1 KiB ConfigMaps (`data.payload` is 1024 bytes) at 1, 16 and 64
//!   concurrent clients, through Gatehouse on etcd and on the embedded store, next to raw etcd
//!   puts of the same value size (the byte length of the value Gatehouse stores for such a
//!   ConfigMap) at the same concurrency. The raw puts go through Gatehouse's own etcd client
//!   (`gatehouse_host::etcd`: gRPC `KV/Put` over one HTTP/2 connection, as Gatehouse itself
//!   talks to etcd), with one in-flight put per client;
//! * get throughput (one ConfigMap) and list throughput (a namespace of 100 such ConfigMaps);
//! * watch fan-out: `BENCH_WATCHERS` (1,000) watches of the ConfigMaps of one namespace, each
//!   on its own TLS connection, while one client creates `BENCH_EVENTS` (1,000) ConfigMaps
//!   there one after the other; the delivery latency of every event at every watcher is
//!   counted from just before its create was sent;
//! * admission: create latency of 1 KiB ConfigMaps on the embedded store at 1 and 16 clients
//!   with the default plugins only, with one ValidatingAdmissionPolicy (one CEL validation)
//!   bound to them, and with one validating admission webhook served by this process over
//!   HTTPS on loopback, side by side;
//! * the resident memory (`VmRSS` in `/proc/<pid>/status`) of a freshly started Gatehouse
//!   process before and after creating `BENCH_MEM_OBJECTS` (10,000) 1 KiB ConfigMaps, scaled
//!   per 10,000 objects.
//!
//! Each throughput point runs for a fixed time after a short warm-up; only requests completed
//! inside the window count. Nothing is asserted: the run reports what it saw and exits 0.
//!
//! Environment:
//!
//! * `BENCH_QUICK=1`: a short run (1 s per point, 100 watchers and events, 2,000 objects for
//!   memory);
//! * `BENCH_SECS`: seconds per throughput point (default 3, quick 1);
//! * `BENCH_CLIENTS`: concurrency levels, comma separated (default `1,16,64`);
//! * `BENCH_WATCHERS`, `BENCH_EVENTS`: watch fan-out size (default 1000 and 1000);
//! * `BENCH_WATCH_RATE`: creates per second during the fan-out (default: unpaced, each create
//!   is sent as soon as the previous one is answered);
//! * `BENCH_MEM_OBJECTS`: objects created for the memory figure (default 10000);
//! * `BENCH_ONLY`: the sections to run, comma separated, of `creates`, `reads`, `watch`,
//!   `admission` and `memory` (default: all);
//! * `GATEHOUSE_BIN`: the `gatehouse` binary to run (default: the one Cargo built for this
//!   bench, `target/release/gatehouse`);
//! * `ETCD_BIN`: the etcd binary (default `etcd` on PATH); without one the etcd columns are
//!   left out;
//! * `TMPDIR`: where the data directories go.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_executor::LocalExecutor;
use gatehouse_host::etcd::proto::{self, PutRequest, PutResponse, RangeRequest, RangeResponse};
use gatehouse_host::etcd::{Client as EtcdClient, EtcdOptions};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// The gRPC method of a plain etcd put.
const ETCD_PUT: &str = "/etcdserverpb.KV/Put";
/// Size of `data.payload` in every ConfigMap created.
const PAYLOAD: usize = 1024;
/// Objects in the listed namespace.
const LIST_SIZE: usize = 100;
/// How long a process may take to become ready.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long watchers may keep receiving after the last create was answered.
const WATCH_GRACE: Duration = Duration::from_secs(60);
/// Watch connections opened at the same time.
const WATCH_DIAL_PARALLELISM: usize = 32;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

struct Config {
    quick: bool,
    secs: Duration,
    warmup: Duration,
    clients: Vec<usize>,
    watchers: usize,
    events: usize,
    watch_rate: Option<f64>,
    mem_objects: usize,
    only: Option<Vec<String>>,
    gatehouse: PathBuf,
    etcd: Option<PathBuf>,
}

fn env_parse<T: FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn on_path(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

impl Config {
    /// Whether the section `name` runs.
    fn runs(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.iter().any(|s| s == name))
    }

    fn from_env() -> Config {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let secs: f64 = env_parse("BENCH_SECS").unwrap_or(if quick { 1.0 } else { 3.0 });
        let clients = std::env::var("BENCH_CLIENTS")
            .ok()
            .map(|v| {
                v.split(',')
                    .filter_map(|c| c.trim().parse().ok())
                    .filter(|&c| c > 0)
                    .collect()
            })
            .filter(|v: &Vec<usize>| !v.is_empty())
            .unwrap_or_else(|| vec![1, 16, 64]);
        let gatehouse = std::env::var_os("GATEHOUSE_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gatehouse")));
        let etcd = match std::env::var_os("ETCD_BIN") {
            Some(p) => Some(PathBuf::from(p)).filter(|p| p.is_file()),
            None => on_path("etcd"),
        };
        Config {
            quick,
            secs: Duration::from_secs_f64(secs.max(0.1)),
            warmup: Duration::from_millis(if quick { 200 } else { 500 }),
            clients,
            watchers: env_parse("BENCH_WATCHERS").unwrap_or(if quick { 100 } else { 1000 }),
            events: env_parse("BENCH_EVENTS").unwrap_or(if quick { 100 } else { 1000 }),
            watch_rate: env_parse("BENCH_WATCH_RATE").filter(|r: &f64| *r > 0.0),
            mem_objects: env_parse("BENCH_MEM_OBJECTS").unwrap_or(if quick { 2000 } else { 10_000 }),
            only: std::env::var("BENCH_ONLY")
                .ok()
                .map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()).collect()),
            gatehouse,
            etcd,
        }
    }
}

/// Raises the soft open-files limit to the hard one (children inherit it); returns the limit.
fn raise_nofile() -> u64 {
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return 1024;
        }
        let want = r.rlim_max.min(1 << 20);
        if r.rlim_cur < want {
            let raised = libc::rlimit {
                rlim_cur: want,
                rlim_max: r.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return want;
            }
        }
        r.rlim_cur
    }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// The numbers of `/proc/<pid>/stat` after the command name (field 3 of the line is index 0).
fn proc_stat_fields(pid: &str) -> Option<Vec<u64>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(
        text.rsplit_once(')')?
            .1
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0))
            .collect(),
    )
}

/// CPU time spent so far: by the whole machine, and by this process, its reaped children and
/// the live processes it started.
struct CpuMark {
    busy: f64,
    mine: f64,
    at: Instant,
}

impl CpuMark {
    fn read(live: &[u32]) -> Option<(f64, f64)> {
        let hz = clock_ticks();
        let stat = fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
        let busy: u64 = cpu
            .iter()
            .take(8)
            .enumerate()
            .filter(|(i, _)| *i != 3 && *i != 4)
            .map(|(_, v)| v)
            .sum();
        // utime, stime, cutime, cstime are fields 14 to 17 of the line.
        let own: u64 = proc_stat_fields("self")?.get(11..15)?.iter().sum();
        let children: u64 = live
            .iter()
            .filter_map(|pid| proc_stat_fields(&pid.to_string()))
            .filter_map(|f| f.get(11..13).map(|t| t.iter().sum::<u64>()))
            .sum();
        Some((busy as f64 / hz, (own + children) as f64 / hz))
    }

    fn take(live: &[u32]) -> Option<CpuMark> {
        let (busy, mine) = CpuMark::read(live)?;
        Some(CpuMark {
            busy,
            mine,
            at: Instant::now(),
        })
    }
}

trait OthersSince {
    /// The share (0 to 1) of the machine's CPU time that other processes used since the mark.
    fn others_since(&self, live: &[u32]) -> Option<f64>;
}

impl OthersSince for Option<CpuMark> {
    fn others_since(&self, live: &[u32]) -> Option<f64> {
        let m = self.as_ref()?;
        let (busy, mine) = CpuMark::read(live)?;
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let span = m.at.elapsed().as_secs_f64() * cpus;
        (span > 0.0).then(|| (((busy - m.busy) - (mine - m.mine)) / span).clamp(0.0, 1.0))
    }
}

// ---------------------------------------------------------------------------------------------
// Scratch folders, processes
// ---------------------------------------------------------------------------------------------

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> io::Result<TempDir> {
        let p = std::env::temp_dir().join(format!("gatehouse-bench-{}-{label}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }

    fn sub(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        let _ = fs::create_dir_all(&p);
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> io::Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
}

fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A field (in kB) of `/proc/<pid>/status`, such as `VmRSS`.
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One plain-HTTP GET on loopback (etcd's `/health`); the whole answer.
fn plain_get(port: u16, path: &str) -> io::Result<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// An etcd member on loopback with its own data folder; killed when dropped.
struct Etcd {
    child: Child,
    url: String,
    version: String,
}

impl Etcd {
    fn start(bin: &Path, dir: &Path) -> Result<Etcd, String> {
        let version = Command::new(bin)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.lines().next().map(|l| l.trim().to_string()))
            .unwrap_or_default();
        let log_path = dir.join("etcd.log");
        let mut last = String::new();
        // A port picked as free may be taken before etcd binds it: then try other ports.
        for attempt in 0..3 {
            let port = free_port().map_err(|e| e.to_string())?;
            let peer = free_port().map_err(|e| e.to_string())?;
            let url = format!("http://127.0.0.1:{port}");
            let peer_url = format!("http://127.0.0.1:{peer}");
            let log = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .map_err(|e| e.to_string())?;
            let child = Command::new(bin)
                .arg("--name=gatehouse-bench")
                .arg(format!(
                    "--data-dir={}",
                    dir.join(format!("data-{attempt}")).display()
                ))
                .arg(format!("--listen-client-urls={url}"))
                .arg(format!("--advertise-client-urls={url}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=gatehouse-bench={peer_url}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log)
                .spawn()
                .map_err(|e| format!("starting {}: {e}", bin.display()))?;
            let mut etcd = Etcd {
                child,
                url,
                version: version.clone(),
            };
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if plain_get(port, "/health").is_ok_and(|b| b.contains("\"health\":\"true\"")) {
                    return Ok(etcd);
                }
                if !matches!(etcd.child.try_wait(), Ok(None)) || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            last = tail(&log_path);
            drop(etcd);
        }
        Err(format!("etcd did not become healthy; its log:\n{last}"))
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone)]
enum Backend {
    Etcd { url: String, prefix: String },
    Embedded,
}

/// A `gatehouse` child process; killed when dropped.
struct Gatehouse {
    child: Child,
    target: Target,
    /// Its data directory (its PKI is under `pki/`).
    data: PathBuf,
}

impl Gatehouse {
    async fn start(bin: &Path, dir: &Path, backend: &Backend) -> Result<Gatehouse, String> {
        let log_path = dir.join("gatehouse.log");
        let mut last = String::new();
        for attempt in 0..3 {
            let port = free_port().map_err(|e| e.to_string())?;
            let data = dir.join(format!("data-{attempt}"));
            let log = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .map_err(|e| e.to_string())?;
            let mut cmd = Command::new(bin);
            cmd.arg(format!("--secure-port={port}"))
                .arg("--bind-address=127.0.0.1")
                .arg(format!("--data-dir={}", data.display()));
            match backend {
                Backend::Etcd { url, prefix } => {
                    cmd.arg("--storage-backend=etcd3")
                        .arg(format!("--etcd-servers={url}"))
                        .arg(format!("--etcd-prefix={prefix}"));
                }
                Backend::Embedded => {
                    cmd.arg("--storage-backend=embedded");
                }
            }
            let mut child = cmd
                .stdin(Stdio::null())
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log)
                .spawn()
                .map_err(|e| format!("starting {}: {e}", bin.display()))?;
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                if let Ok(target) = Target::load(&data, addr) {
                    if let Ok(mut h) = Http::connect(&target).await {
                        if let Ok((200, _)) = h.call("GET", "/readyz", b"").await {
                            return Ok(Gatehouse { child, target, data });
                        }
                    }
                }
                if Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
            last = tail(&log_path);
        }
        Err(format!("gatehouse did not become ready; its log:\n{last}"))
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Gatehouse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1-over-TLS client
// ---------------------------------------------------------------------------------------------

/// Where and how to connect to one Gatehouse.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    connector: TlsConnector,
}

impl Target {
    /// Trusts the cluster CA under `<data_dir>/pki` and presents the admin certificate.
    fn load(data_dir: &Path, addr: SocketAddr) -> Result<Target, String> {
        let pki = data_dir.join("pki");
        let read = |name: &str| fs::read(pki.join(name)).map_err(|e| format!("{name}: {e}"));
        let (ca, cert, key) = (read("ca.crt")?, read("admin.crt")?, read("admin.key")?);
        let config =
            gatehouse_host::tls::client_config(&ca, Some((&cert, &key))).map_err(|e| e.to_string())?;
        Ok(Target {
            addr,
            connector: TlsConnector::from(config),
        })
    }
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

struct Head {
    status: u16,
    length: Option<usize>,
    chunked: bool,
}

/// One keep-alive connection.
struct Http {
    io: TlsStream<TcpStream>,
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
}

impl Http {
    async fn connect(t: &Target) -> io::Result<Http> {
        let tcp = TcpStream::connect(t.addr).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from("127.0.0.1").map_err(|e| bad(e.to_string()))?;
        let io = t.connector.connect(name, tcp).await?;
        Ok(Http {
            io,
            buf: Vec::with_capacity(32 * 1024),
            start: 0,
        })
    }

    async fn send(&mut self, method: &str, path: &str, body: &[u8]) -> io::Result<()> {
        let mut req = Vec::with_capacity(256 + body.len());
        write!(
            req,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
        )?;
        if !body.is_empty() {
            write!(
                req,
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            )?;
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body);
        self.io.write_all(&req).await?;
        self.io.flush().await
    }

    /// Reads more bytes (at least one) into the buffer.
    async fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(32 * 1024);
        if self.io.read_buf(&mut self.buf).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    async fn head(&mut self) -> io::Result<Head> {
        loop {
            if let Some(p) = find(&self.buf[self.start..], b"\r\n\r\n") {
                let text = std::str::from_utf8(&self.buf[self.start..self.start + p])
                    .map_err(|_| bad("response head is not UTF-8"))?;
                let mut lines = text.split("\r\n");
                let status = lines
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("bad status line"))?;
                let mut head = Head {
                    status,
                    length: None,
                    chunked: false,
                };
                for l in lines {
                    let Some((n, v)) = l.split_once(':') else { continue };
                    let v = v.trim();
                    if n.eq_ignore_ascii_case("content-length") {
                        head.length = v.parse().ok();
                    } else if n.eq_ignore_ascii_case("transfer-encoding") {
                        head.chunked = v.to_ascii_lowercase().contains("chunked");
                    }
                }
                self.start += p + 4;
                return Ok(head);
            }
            self.fill().await?;
        }
    }

    /// Makes sure `n` unread bytes are buffered.
    async fn want(&mut self, n: usize) -> io::Result<()> {
        while self.buf.len() - self.start < n {
            self.fill().await?;
        }
        Ok(())
    }

    /// The next CRLF-terminated line (without the CRLF).
    async fn crlf_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(p) = find(&self.buf[self.start..], b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.start..self.start + p]).into_owned();
                self.start += p + 2;
                return Ok(line);
            }
            self.fill().await?;
        }
    }

    /// The next chunk of a chunked body as a range of `buf`; `None` at the last chunk.
    async fn chunk(&mut self) -> io::Result<Option<std::ops::Range<usize>>> {
        let size_line = self.crlf_line().await?;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| bad(format!("bad chunk size {size_line:?}")))?;
        if size == 0 {
            while !self.crlf_line().await?.is_empty() {}
            return Ok(None);
        }
        self.want(size + 2).await?;
        let range = self.start..self.start + size;
        self.start += size + 2;
        Ok(Some(range))
    }

    async fn body(&mut self, head: &Head) -> io::Result<Vec<u8>> {
        if head.chunked {
            let mut out = Vec::new();
            while let Some(r) = self.chunk().await? {
                out.extend_from_slice(&self.buf[r]);
            }
            return Ok(out);
        }
        let n = head.length.unwrap_or(0);
        self.want(n).await?;
        let out = self.buf[self.start..self.start + n].to_vec();
        self.start += n;
        Ok(out)
    }

    async fn call(&mut self, method: &str, path: &str, body: &[u8]) -> io::Result<(u16, Vec<u8>)> {
        self.send(method, path, body).await?;
        let head = self.head().await?;
        let body = self.body(&head).await?;
        Ok((head.status, body))
    }
}

fn configmap(name: &str, payload: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}"}},"data":{{"payload":"{payload}"}}}}"#
    )
    .into_bytes()
}

fn configmaps_path(ns: &str) -> String {
    format!("/api/v1/namespaces/{ns}/configmaps")
}

fn short(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    s.chars().take(200).collect()
}

async fn ensure_namespace(h: &mut Http, ns: &str) -> Result<(), String> {
    let body = format!(r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{ns}"}}}}"#);
    match h.call("POST", "/api/v1/namespaces", body.as_bytes()).await {
        Ok((201 | 409, _)) => Ok(()),
        Ok((s, b)) => Err(format!("creating namespace {ns}: HTTP {s}: {}", short(&b))),
        Err(e) => Err(format!("creating namespace {ns}: {e}")),
    }
}

async fn create_configmap(h: &mut Http, ns: &str, name: &str, payload: &str) -> Result<(), String> {
    match h
        .call("POST", &configmaps_path(ns), &configmap(name, payload))
        .await
    {
        Ok((201 | 409, _)) => Ok(()),
        Ok((s, b)) => Err(format!("creating {ns}/{name}: HTTP {s}: {}", short(&b))),
        Err(e) => Err(format!("creating {ns}/{name}: {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

/// One throughput point.
#[derive(Default)]
struct Point {
    ok: u64,
    errors: u64,
    window: Duration,
    /// Latencies of the counted requests, in microseconds, sorted.
    lat_us: Vec<u32>,
    first_error: Option<String>,
}

impl Point {
    fn failed(why: String) -> Point {
        Point {
            errors: 1,
            first_error: Some(why),
            ..Point::default()
        }
    }

    fn rate(&self) -> f64 {
        if self.window.is_zero() {
            return 0.0;
        }
        self.ok as f64 / self.window.as_secs_f64()
    }

    fn merge(parts: Vec<Point>, window: Duration) -> Point {
        let mut p = Point {
            window,
            ..Point::default()
        };
        for part in parts {
            p.ok += part.ok;
            p.errors += part.errors;
            p.lat_us.extend(part.lat_us);
            if p.first_error.is_none() {
                p.first_error = part.first_error;
            }
        }
        p.lat_us.sort_unstable();
        p
    }

    fn cell(&self) -> String {
        if self.ok == 0 {
            return "n/a".into();
        }
        let mut s = format!(
            "{} ({} / {})",
            thousands(self.rate()),
            ms(percentile(&self.lat_us, 0.50)),
            ms(percentile(&self.lat_us, 0.99))
        );
        if self.errors > 0 {
            let _ = write!(s, " [{} errors]", self.errors);
        }
        s
    }
}

/// The q-quantile of sorted microsecond values, in microseconds.
fn percentile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[i])
}

fn ms(us: Option<u32>) -> String {
    match us {
        Some(us) if us >= 100_000 => format!("{:.0}", f64::from(us) / 1000.0),
        Some(us) if us >= 10_000 => format!("{:.1}", f64::from(us) / 1000.0),
        Some(us) => format!("{:.2}", f64::from(us) / 1000.0),
        None => "n/a".into(),
    }
}

fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let digits = n.to_string();
    let first = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    let mut out = digits[..first].to_string();
    for group in digits.as_bytes()[first..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or(""));
    }
    out
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

#[derive(Clone)]
enum Op {
    /// Creates ConfigMaps named `<tag>-<client>-<seq>` in a namespace.
    Create { ns: String, tag: String },
    /// GETs one path over and over.
    Read(String),
}

/// Runs `clients` connections doing `op` back to back for warm-up plus `window`; counts the
/// requests answered inside the window.
async fn drive(
    t: &Target,
    op: Op,
    clients: usize,
    warmup: Duration,
    window: Duration,
    payload: Arc<str>,
) -> Point {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        match Http::connect(t).await {
            Ok(h) => conns.push(h),
            Err(e) => return Point::failed(format!("connecting: {e}")),
        }
    }
    let begin = Instant::now() + warmup;
    let end = begin + window;
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(client, mut h)| {
            let op = op.clone();
            let payload = payload.clone();
            let t = t.clone();
            tokio::spawn(async move {
                let mut p = Point::default();
                let mut seq = 0u64;
                loop {
                    let started = Instant::now();
                    if started >= end {
                        break;
                    }
                    let answer = match &op {
                        Op::Create { ns, tag } => {
                            let body = configmap(&format!("{tag}-{client}-{seq}"), &payload);
                            h.call("POST", &configmaps_path(ns), &body)
                                .await
                                .map(|r| (r, 201))
                        }
                        Op::Read(path) => h.call("GET", path, b"").await.map(|r| (r, 200)),
                    };
                    seq += 1;
                    let done = Instant::now();
                    match answer {
                        Ok(((status, _), want)) if status == want => {
                            if done >= begin && done <= end {
                                p.ok += 1;
                                p.lat_us.push(micros(done - started));
                            }
                        }
                        Ok(((status, body), _)) => {
                            p.errors += 1;
                            p.first_error
                                .get_or_insert_with(|| format!("HTTP {status}: {}", short(&body)));
                        }
                        Err(e) => {
                            p.errors += 1;
                            p.first_error.get_or_insert_with(|| e.to_string());
                            match Http::connect(&t).await {
                                Ok(n) => h = n,
                                Err(_) => break,
                            }
                        }
                    }
                }
                p
            })
        })
        .collect();
    let mut parts = Vec::new();
    for task in tasks {
        match task.await {
            Ok(p) => parts.push(p),
            Err(e) => parts.push(Point::failed(e.to_string())),
        }
    }
    Point::merge(parts, window)
}

/// Runs `f` on a thread of its own with a connected etcd client (Gatehouse's gRPC client on a
/// single-threaded executor, as Gatehouse runs it).
fn with_etcd_client<T: Send + 'static>(
    url: &str,
    f: impl FnOnce(
            Rc<LocalExecutor<'static>>,
            EtcdClient,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>>
        + Send
        + 'static,
) -> Result<T, String> {
    let url = url.to_string();
    std::thread::spawn(move || {
        let ex: Rc<LocalExecutor<'static>> = Rc::new(LocalExecutor::new());
        let opts = EtcdOptions::new(&[url]).map_err(|e| e.to_string())?;
        let client = EtcdClient::new(&ex, opts.client);
        let fut = {
            let ex = ex.clone();
            let client = client.clone();
            async move {
                client.conn().await.map_err(|e| e.to_string())?;
                Ok::<T, String>(f(ex, client).await)
            }
        };
        async_io::block_on(ex.run(fut))
    })
    .join()
    .map_err(|_| "the etcd client thread panicked".to_string())?
}

/// The length of the value etcd holds under `key`.
fn etcd_value_len(url: &str, key: &str) -> Result<usize, String> {
    let key = key.as_bytes().to_vec();
    with_etcd_client(url, move |_, client| {
        Box::pin(async move {
            let req = RangeRequest {
                key,
                ..Default::default()
            };
            client
                .call::<RangeRequest, RangeResponse>(proto::method::RANGE, &req, true)
                .await
                .map_err(|e| format!("{e:?}"))
                .and_then(|r| {
                    r.kvs
                        .first()
                        .map(|kv| kv.value.len())
                        .ok_or_else(|| "no such key".into())
                })
        })
    })?
}

/// Raw etcd puts of `value_len`-byte values under unique keys, `clients` in flight at a time.
fn raw_etcd_puts(
    url: &str,
    clients: usize,
    warmup: Duration,
    window: Duration,
    value_len: usize,
    tag: String,
) -> Point {
    let run = with_etcd_client(url, move |ex, client| {
        Box::pin(async move {
            let value = Rc::new(vec![b'x'; value_len]);
            let begin = Instant::now() + warmup;
            let end = begin + window;
            let tasks: Vec<_> = (0..clients)
                .map(|c| {
                    let client = client.clone();
                    let value = value.clone();
                    let tag = tag.clone();
                    ex.spawn(async move {
                        let mut p = Point::default();
                        let mut seq = 0u64;
                        loop {
                            let started = Instant::now();
                            if started >= end {
                                break;
                            }
                            let req = PutRequest {
                                key: format!("/bench-raw/{tag}-{c}-{seq}").into_bytes(),
                                value: value.as_ref().clone(),
                                ..Default::default()
                            };
                            seq += 1;
                            let r = client
                                .call::<PutRequest, PutResponse>(ETCD_PUT, &req, false)
                                .await;
                            let done = Instant::now();
                            match r {
                                Ok(_) => {
                                    if done >= begin && done <= end {
                                        p.ok += 1;
                                        p.lat_us.push(micros(done - started));
                                    }
                                }
                                Err(e) => {
                                    p.errors += 1;
                                    p.first_error.get_or_insert_with(|| format!("{e:?}"));
                                }
                            }
                        }
                        p
                    })
                })
                .collect();
            let mut parts = Vec::new();
            for t in tasks {
                parts.push(t.await);
            }
            Point::merge(parts, window)
        })
    });
    run.unwrap_or_else(Point::failed)
}

/// What the watch fan-out saw.
struct WatchResult {
    watchers: usize,
    events: usize,
    delivered: u64,
    error_events: u64,
    /// Watch connections that ended early.
    broken: usize,
    /// Delivery latencies in microseconds, sorted.
    lat_us: Vec<u32>,
    /// Acknowledgement latencies of the creates, sorted.
    create_us: Vec<u32>,
    /// From the first create sent to the last event received.
    wall: Duration,
    /// From the first create sent to the last create answered.
    create_wall: Duration,
    dial: Duration,
}

/// Opens `watchers` watches on one namespace, creates `events` ConfigMaps there, and times
/// every delivery from just before its create was sent.
async fn watch_fanout(
    t: &Target,
    watchers: usize,
    events: usize,
    rate: Option<f64>,
    payload: Arc<str>,
) -> Result<WatchResult, String> {
    let ns = "bench-watch";
    let mut h = Http::connect(t).await.map_err(|e| e.to_string())?;
    ensure_namespace(&mut h, ns).await?;
    let (status, body) = h
        .call("GET", &configmaps_path(ns), b"")
        .await
        .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("listing {ns}: HTTP {status}: {}", short(&body)));
    }
    let list: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .ok_or("the list has no resourceVersion")?
        .to_string();
    let path = format!("{}?watch=true&resourceVersion={rv}", configmaps_path(ns));

    // Open every watch and wait for its response head: from then on it is registered.
    let dial_start = Instant::now();
    let gate = Arc::new(Semaphore::new(WATCH_DIAL_PARALLELISM));
    let dials: Vec<_> = (0..watchers)
        .map(|_| {
            let (t, gate, path) = (t.clone(), gate.clone(), path.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
                let mut w = Http::connect(&t).await.map_err(|e| e.to_string())?;
                w.send("GET", &path, b"").await.map_err(|e| e.to_string())?;
                let head = w.head().await.map_err(|e| e.to_string())?;
                if head.status != 200 || !head.chunked {
                    return Err(format!("watch answered HTTP {}", head.status));
                }
                Ok::<Http, String>(w)
            })
        })
        .collect();
    let mut conns = Vec::with_capacity(watchers);
    for d in dials {
        match d.await {
            Ok(Ok(w)) => conns.push(w),
            Ok(Err(e)) => return Err(format!("opening watch {}: {e}", conns.len())),
            Err(e) => return Err(e.to_string()),
        }
    }
    let dial = dial_start.elapsed();

    let base = Instant::now();
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..events).map(|_| AtomicU64::new(0)).collect());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let readers: Vec<_> = conns
        .into_iter()
        .map(|mut w| {
            let sent = sent.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let mut lats: Vec<u32> = Vec::with_capacity(sent.len());
                let mut errors = 0u64;
                let mut last = 0u64;
                let mut partial: Vec<u8> = Vec::new();
                let mut broken = false;
                'read: while lats.len() < sent.len() {
                    let chunk = tokio::select! {
                        c = w.chunk() => c,
                        _ = stop.changed() => break 'read,
                    };
                    let range = match chunk {
                        Ok(Some(r)) => r,
                        Ok(None) | Err(_) => {
                            broken = true;
                            break;
                        }
                    };
                    let now = base.elapsed().as_nanos() as u64;
                    let mut rest = &w.buf[range];
                    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
                        let line: &[u8] = if partial.is_empty() {
                            &rest[..nl]
                        } else {
                            partial.extend_from_slice(&rest[..nl]);
                            &partial
                        };
                        match event_index(line) {
                            Some(i) if i < sent.len() => {
                                let s = sent[i].load(Ordering::Acquire);
                                if s > 0 {
                                    lats.push(
                                        u32::try_from(now.saturating_sub(s - 1) / 1000).unwrap_or(u32::MAX),
                                    );
                                    last = now;
                                }
                            }
                            _ if find(line, b"\"type\":\"ERROR\"").is_some() => errors += 1,
                            _ => {}
                        }
                        partial.clear();
                        rest = &rest[nl + 1..];
                    }
                    partial.extend_from_slice(rest);
                }
                (lats, errors, last, broken, w)
            })
        })
        .collect();

    let mut create_us = Vec::with_capacity(events);
    let mut create_error = None;
    for (i, slot) in sent.iter().enumerate() {
        if let Some(r) = rate {
            tokio::time::sleep_until((base + Duration::from_secs_f64(i as f64 / r)).into()).await;
        }
        let body = configmap(&format!("w-{i}"), &payload);
        slot.store(base.elapsed().as_nanos() as u64 + 1, Ordering::Release);
        let started = Instant::now();
        match h.call("POST", &configmaps_path(ns), &body).await {
            Ok((201, _)) => create_us.push(micros(started.elapsed())),
            Ok((s, b)) => {
                create_error = Some(format!("create w-{i}: HTTP {s}: {}", short(&b)));
                break;
            }
            Err(e) => {
                create_error = Some(format!("create w-{i}: {e}"));
                break;
            }
        }
    }
    let create_wall = base.elapsed();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(WATCH_GRACE).await;
        let _ = stop_tx.send(true);
    });
    let mut lat_us = Vec::with_capacity(watchers * events);
    let (mut delivered, mut error_events, mut broken, mut last) = (0u64, 0u64, 0usize, 0u64);
    let mut keep = Vec::with_capacity(watchers);
    for r in readers {
        let (lats, errors, l, b, w) = r.await.map_err(|e| e.to_string())?;
        delivered += lats.len() as u64;
        lat_us.extend(lats);
        error_events += errors;
        broken += usize::from(b);
        last = last.max(l);
        keep.push(w);
    }
    stopper.abort();
    drop(keep);
    if let Some(e) = create_error {
        return Err(e);
    }
    lat_us.sort_unstable();
    create_us.sort_unstable();
    Ok(WatchResult {
        watchers,
        events,
        delivered,
        error_events,
        broken,
        lat_us,
        create_us,
        wall: Duration::from_nanos(last),
        create_wall,
        dial,
    })
}

/// The index `i` of a watch event line about ConfigMap `w-<i>`.
fn event_index(line: &[u8]) -> Option<usize> {
    const NAME: &[u8] = b"\"name\":\"w-";
    let p = find(line, NAME)? + NAME.len();
    let digits = line[p..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&line[p..p + digits]).ok()?.parse().ok()
}

/// Resident memory of a fresh Gatehouse before and after creating objects.
struct MemResult {
    objects: usize,
    created: usize,
    before_kb: u64,
    after_kb: u64,
    peak_kb: u64,
    secs: f64,
}

async fn memory(
    bin: &Path,
    dir: &Path,
    backend: &Backend,
    objects: usize,
    payload: Arc<str>,
) -> Result<MemResult, String> {
    let g = Gatehouse::start(bin, dir, backend).await?;
    let ns = "bench-mem";
    let mut h = Http::connect(&g.target).await.map_err(|e| e.to_string())?;
    ensure_namespace(&mut h, ns).await?;
    let _ = h.call("GET", &configmaps_path(ns), b"").await;
    drop(h);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = |pid| proc_status_kb(pid, "VmRSS").ok_or_else(|| format!("no VmRSS for pid {pid}"));
    let before_kb = rss(g.pid())?;
    let next = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (t, next, created, payload) =
                (g.target.clone(), next.clone(), created.clone(), payload.clone());
            tokio::spawn(async move {
                let mut h = Http::connect(&t).await.map_err(|e| e.to_string())?;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= objects {
                        return Ok::<(), String>(());
                    }
                    create_configmap(&mut h, ns, &format!("m-{i}"), &payload).await?;
                    created.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => first_error = first_error.or(Some(e.to_string())),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let created = created.load(Ordering::Relaxed);
    if created < objects {
        return Err(first_error.unwrap_or_else(|| "creates failed".into()));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_kb = rss(g.pid())?;
    let peak_kb = proc_status_kb(g.pid(), "VmHWM").unwrap_or(after_kb);
    Ok(MemResult {
        objects,
        created,
        before_kb,
        after_kb,
        peak_kb,
        secs,
    })
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// One Gatehouse under test, with its fixtures in place.
struct Server {
    label: &'static str,
    g: Gatehouse,
}

async fn prepare(g: &Gatehouse, payload: &str) -> Result<(), String> {
    let mut h = Http::connect(&g.target).await.map_err(|e| e.to_string())?;
    for ns in ["bench-create", "bench-get", "bench-list"] {
        ensure_namespace(&mut h, ns).await?;
    }
    create_configmap(&mut h, "bench-get", "target", payload).await?;
    for i in 0..LIST_SIZE {
        create_configmap(&mut h, "bench-list", &format!("item-{i}"), payload).await?;
    }
    Ok(())
}

fn note(msg: impl AsRef<str>) {
    eprintln!("bench: {}", msg.as_ref());
}

fn main() {
    let mut cfg = Config::from_env();
    let nofile = raise_nofile();
    let mut notes: Vec<String> = Vec::new();
    // Each watcher is one descriptor here and one in Gatehouse; keep room for the rest.
    let room = usize::try_from(nofile.saturating_sub(256)).unwrap_or(usize::MAX);
    if cfg.watchers > room {
        notes.push(format!(
            "open-files limit {nofile}: watchers reduced from {} to {room} (raise it with `ulimit -n`)",
            cfg.watchers
        ));
        cfg.watchers = room;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench: no tokio runtime: {e}");
            return;
        }
    };
    let report = rt.block_on(run(&cfg, &mut notes));
    match report {
        Ok(text) => {
            print!("{text}");
            if !notes.is_empty() {
                println!("\nNotes:\n");
                for n in &notes {
                    println!("- {n}");
                }
            }
        }
        Err(e) => {
            // Still exit 0: the benchmark reports, it does not judge.
            println!("The benchmark could not run: {e}");
            for n in &notes {
                println!("- {n}");
            }
        }
    }
}

async fn run(cfg: &Config, notes: &mut Vec<String>) -> Result<String, String> {
    let payload: Arc<str> = "x".repeat(PAYLOAD).into();
    let tmp = TempDir::new("run").map_err(|e| e.to_string())?;
    let started = Instant::now();
    let run_mark = CpuMark::take(&[]);

    let etcd = match &cfg.etcd {
        Some(bin) => match Etcd::start(bin, &tmp.sub("etcd")) {
            Ok(e) => Some(e),
            Err(e) => {
                notes.push(format!("etcd columns not measured: {e}"));
                None
            }
        },
        None => {
            notes.push("etcd columns not measured: no etcd binary (set ETCD_BIN or put etcd on PATH)".into());
            None
        }
    };

    let mut servers: Vec<Server> = Vec::new();
    if let Some(e) = &etcd {
        let backend = Backend::Etcd {
            url: e.url.clone(),
            prefix: "/registry".into(),
        };
        note("starting Gatehouse on etcd3");
        servers.push(Server {
            label: "etcd3",
            g: Gatehouse::start(&cfg.gatehouse, &tmp.sub("gatehouse-etcd"), &backend).await?,
        });
    }
    note("starting Gatehouse on the embedded store");
    servers.push(Server {
        label: "embedded",
        g: Gatehouse::start(&cfg.gatehouse, &tmp.sub("gatehouse-embedded"), &Backend::Embedded).await?,
    });
    for s in &servers {
        prepare(&s.g, &payload).await?;
    }
    let labels: Vec<&'static str> = servers.iter().map(|s| s.label).collect();
    let col = |label: &str| labels.iter().position(|l| *l == label);

    // The byte size of what Gatehouse stores for one such ConfigMap: raw puts use it.
    let value_len = match &etcd {
        Some(e) => match etcd_value_len(&e.url, "/registry/configmaps/bench-get/target") {
            Ok(n) => n,
            Err(err) => {
                notes.push(format!(
                    "could not read a stored ConfigMap from etcd ({err}); raw puts use 1,280 bytes"
                ));
                1280
            }
        },
        None => 0,
    };

    let live = |servers: &[Server]| -> Vec<u32> {
        servers
            .iter()
            .map(|s| s.g.pid())
            .chain(etcd.as_ref().map(Etcd::pid))
            .collect()
    };
    let mut r = Report {
        creates: Vec::new(),
        reads: Vec::new(),
        watches: Vec::new(),
        mems: Vec::new(),
        admission: Vec::new(),
        others: Vec::new(),
    };

    // Creates, side by side per concurrency level.
    let mark = CpuMark::take(&live(&servers));
    for &c in cfg.clients.iter().filter(|_| cfg.runs("creates")) {
        let raw = match &etcd {
            Some(e) => {
                note(format!("raw etcd puts, {c} clients"));
                let (url, warm, secs) = (e.url.clone(), cfg.warmup, cfg.secs);
                let p = tokio::task::spawn_blocking(move || {
                    raw_etcd_puts(&url, c, warm, secs, value_len, format!("c{c}"))
                })
                .await
                .map_err(|e| e.to_string())?;
                Some(p)
            }
            None => None,
        };
        let mut cols = Vec::new();
        for s in &servers {
            note(format!("creates on Gatehouse/{}, {c} clients", s.label));
            let op = Op::Create {
                ns: "bench-create".into(),
                tag: format!("c{c}"),
            };
            cols.push(drive(&s.g.target, op, c, cfg.warmup, cfg.secs, payload.clone()).await);
        }
        r.creates.push((c, raw, cols));
    }
    r.others.push(("creates", mark.others_since(&live(&servers))));

    // Reads.
    let mark = CpuMark::take(&live(&servers));
    for (what, path) in [
        (
            "get",
            "/api/v1/namespaces/bench-get/configmaps/target".to_string(),
        ),
        ("list", configmaps_path("bench-list")),
    ] {
        for &c in cfg.clients.iter().filter(|_| cfg.runs("reads")) {
            let mut cols = Vec::new();
            for s in &servers {
                note(format!("{what} on Gatehouse/{}, {c} clients", s.label));
                let op = Op::Read(path.clone());
                cols.push(drive(&s.g.target, op, c, cfg.warmup, cfg.secs, payload.clone()).await);
            }
            r.reads.push((what, c, cols));
        }
    }
    r.others.push(("reads", mark.others_since(&live(&servers))));

    // Watch fan-out.
    let mark = CpuMark::take(&live(&servers));
    for s in servers.iter().filter(|_| cfg.runs("watch")) {
        note(format!(
            "watch fan-out on Gatehouse/{}: {} watchers, {} events",
            s.label, cfg.watchers, cfg.events
        ));
        let w = watch_fanout(
            &s.g.target,
            cfg.watchers,
            cfg.events,
            cfg.watch_rate,
            payload.clone(),
        )
        .await;
        if let Err(e) = &w {
            notes.push(format!("watch fan-out on Gatehouse/{} failed: {e}", s.label));
        }
        r.watches.push((s.label, w));
    }
    r.others.push(("watch", mark.others_since(&live(&servers))));

    // Admission, on the embedded store.
    let mark = CpuMark::take(&live(&servers));
    if let Some(s) = servers
        .iter()
        .find(|s| s.label == "embedded")
        .filter(|_| cfg.runs("admission"))
    {
        match admission(cfg, &s.g, payload.clone()).await {
            Ok(rows) => r.admission = rows,
            Err(e) => notes.push(format!("admission section failed: {e}")),
        }
    }
    r.others.push(("admission", mark.others_since(&live(&servers))));
    // Stopped processes are reaped: their CPU time counts as this process's from here on.
    drop(servers);

    // Memory, each on a freshly started Gatehouse (etcd: under a prefix of its own).
    let etcd_pids: Vec<u32> = etcd.as_ref().map(Etcd::pid).into_iter().collect();
    let mark = CpuMark::take(&etcd_pids);
    for label in labels.iter().filter(|_| cfg.runs("memory")) {
        let backend = match (*label, &etcd) {
            ("etcd3", Some(e)) => Backend::Etcd {
                url: e.url.clone(),
                prefix: "/registry-mem".into(),
            },
            _ => Backend::Embedded,
        };
        note(format!(
            "memory on a fresh Gatehouse/{label}: {} objects",
            cfg.mem_objects
        ));
        let dir = tmp.sub(&format!("mem-{label}"));
        let m = memory(&cfg.gatehouse, &dir, &backend, cfg.mem_objects, payload.clone()).await;
        if let Err(e) = &m {
            notes.push(format!("memory on Gatehouse/{label} failed: {e}"));
        }
        r.mems.push((label, m));
    }
    r.others.push(("memory", mark.others_since(&etcd_pids)));

    let etcd_version = etcd.as_ref().map_or("no etcd".to_string(), |e| e.version.clone());
    let have_etcd = etcd.is_some();
    drop(etcd);
    let elapsed = started.elapsed().as_secs_f64();
    let others = run_mark.others_since(&[]);

    // The report.
    let mut out = String::new();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let (_, v) = l.strip_prefix("model name")?.split_once(':')?;
                Some(v.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let _ = writeln!(out, "# Gatehouse API benchmark\n");
    let _ = writeln!(
        out,
        "{cpus} CPUs ({cpu}); {etcd_version}; gatehouse {}; {} s per point after {} ms warm-up{}; \
         clients, etcd and Gatehouse share the machine.\n",
        cfg.gatehouse.display(),
        cfg.secs.as_secs_f64(),
        cfg.warmup.as_millis(),
        if cfg.quick { " (BENCH_QUICK)" } else { "" }
    );
    let _ = writeln!(
        out,
        "Cells: requests/s (latency p50 / p99 in ms). One keep-alive TLS connection per client, \
         one request in flight per connection.\n"
    );
    if !r.creates.is_empty() {
        r.write_creates(&mut out, &labels, have_etcd.then_some(value_len), col("etcd3"));
    }
    if !r.reads.is_empty() {
        r.write_reads(&mut out, &labels);
    }
    if !r.watches.is_empty() {
        r.write_watches(&mut out, cfg);
    }
    if !r.admission.is_empty() {
        r.write_admission(&mut out);
    }
    if !r.mems.is_empty() {
        r.write_mems(&mut out, cfg);
    }
    r.errors(&labels, notes);
    let _ = write!(out, "\nTotal run time: {elapsed:.0} s.");
    if let Some(o) = others {
        let _ = write!(
            out,
            " Other processes on the machine used {:.0}% of its CPU time meanwhile.",
            100.0 * o
        );
    }
    let _ = writeln!(out);
    Ok(out)
}

/// Everything measured.
struct Report {
    creates: Vec<(usize, Option<Point>, Vec<Point>)>,
    reads: Vec<(&'static str, usize, Vec<Point>)>,
    watches: Vec<(&'static str, Result<WatchResult, String>)>,
    mems: Vec<(&'static str, Result<MemResult, String>)>,
    /// Per admission setup, a point per concurrency level (1, 16).
    admission: Vec<(&'static str, Vec<Point>)>,
    /// Per section, the share of the machine's CPU time other processes used meanwhile.
    others: Vec<(&'static str, Option<f64>)>,
}

impl Report {
    fn write_admission(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## Admission: creates of 1 KiB ConfigMaps (embedded store)\n"
        );
        let _ = writeln!(out, "| admission | 1 client | 16 clients |");
        let _ = writeln!(out, "|---|---|---|");
        for (what, points) in &self.admission {
            let cells: Vec<String> = points.iter().map(Point::cell).collect();
            let _ = writeln!(out, "| {what} | {} |", cells.join(" | "));
        }
        let _ = writeln!(out);
        self.interference(out, "admission");
    }

    fn interference(&self, out: &mut String, section: &str) {
        if let Some((_, Some(o))) = self.others.iter().find(|(s, _)| *s == section) {
            let _ = writeln!(
                out,
                "Other processes on the machine used {:.0}% of its CPU time during this section.\n",
                100.0 * o
            );
        }
    }

    fn write_creates(
        &self,
        out: &mut String,
        labels: &[&str],
        raw_len: Option<usize>,
        etcd_col: Option<usize>,
    ) {
        let _ = writeln!(out, "## Creates of 1 KiB ConfigMaps\n");
        if let Some(n) = raw_len {
            let _ = writeln!(
                out,
                "Raw etcd: gRPC KV/Put of {n}-byte values (the size of the value Gatehouse stores for \
                 one such ConfigMap) through Gatehouse's etcd client, one HTTP/2 connection.\n"
            );
        }
        self.interference(out, "creates");
        let mut header = "| clients |".to_string();
        let mut rule = "|--:|".to_string();
        if raw_len.is_some() {
            header.push_str(" raw etcd put |");
            rule.push_str("--:|");
        }
        for l in labels {
            let _ = write!(header, " Gatehouse on {l} |");
            rule.push_str("--:|");
        }
        if raw_len.is_some() && etcd_col.is_some() {
            header.push_str(" Gatehouse on etcd3 / raw etcd |");
            rule.push_str("--:|");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        for (c, raw, cols) in &self.creates {
            let mut row = format!("| {c} |");
            if let Some(r) = raw {
                let _ = write!(row, " {} |", r.cell());
            }
            for p in cols {
                let _ = write!(row, " {} |", p.cell());
            }
            if let (Some(r), Some(i)) = (raw, etcd_col) {
                let ratio = if r.rate() > 0.0 {
                    format!("{:.2}", cols[i].rate() / r.rate())
                } else {
                    "n/a".into()
                };
                let _ = write!(row, " {ratio} |");
            }
            let _ = writeln!(out, "{row}");
        }
    }

    fn write_reads(&self, out: &mut String, labels: &[&str]) {
        let _ = writeln!(
            out,
            "\n## Reads\n\nget: one ConfigMap; list: a namespace of {LIST_SIZE} 1 KiB ConfigMaps.\n"
        );
        self.interference(out, "reads");
        let mut header = "| operation | clients |".to_string();
        let mut rule = "|--|--:|".to_string();
        for l in labels {
            let _ = write!(header, " Gatehouse on {l} |");
            rule.push_str("--:|");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        for (what, c, cols) in &self.reads {
            let mut row = format!("| {what} | {c} |");
            for p in cols {
                let _ = write!(row, " {} |", p.cell());
            }
            let _ = writeln!(out, "{row}");
        }
    }

    fn write_watches(&self, out: &mut String, cfg: &Config) {
        let pace = match cfg.watch_rate {
            Some(r) => format!("at {r} per second"),
            None => "one after the other, each sent when the previous one is answered".into(),
        };
        let _ = writeln!(
            out,
            "\n## Watch fan-out\n\nEach watcher watches the ConfigMaps of one namespace on its own TLS \
             connection; one client creates 1 KiB ConfigMaps there {pace}. Latency: from just before \
             a create is sent to a watcher reading its event.\n"
        );
        self.interference(out, "watch");
        let _ = writeln!(
            out,
            "| backend | watchers | events | delivered | p50 ms | p99 ms | max ms | creates answered in \
             | last delivery after | deliveries/s | create p50 / p99 ms | watches opened in |"
        );
        let _ = writeln!(out, "|--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (label, r) in &self.watches {
            let Ok(w) = r else {
                let _ = writeln!(
                    out,
                    "| {label} | {} | {} | failed (see notes) | | | | | | | | |",
                    cfg.watchers, cfg.events
                );
                continue;
            };
            let mut delivered = format!(
                "{} of {}",
                thousands(w.delivered as f64),
                thousands((w.watchers * w.events) as f64)
            );
            if w.broken > 0 || w.error_events > 0 {
                let _ = write!(
                    delivered,
                    " ({} watches ended, {} error events)",
                    w.broken, w.error_events
                );
            }
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {delivered} | {} | {} | {} | {:.2} s | {:.2} s | {} | {} / {} | {:.2} s |",
                thousands(w.watchers as f64),
                thousands(w.events as f64),
                ms(percentile(&w.lat_us, 0.50)),
                ms(percentile(&w.lat_us, 0.99)),
                ms(w.lat_us.last().copied()),
                w.create_wall.as_secs_f64(),
                w.wall.as_secs_f64(),
                thousands(w.delivered as f64 / w.wall.as_secs_f64().max(1e-9)),
                ms(percentile(&w.create_us, 0.50)),
                ms(percentile(&w.create_us, 0.99)),
                w.dial.as_secs_f64(),
            );
        }
    }

    fn write_mems(&self, out: &mut String, cfg: &Config) {
        let _ = writeln!(
            out,
            "\n## Resident memory\n\nVmRSS of a freshly started Gatehouse process before and after \
             creating 1 KiB ConfigMaps (16 clients), read 2 s after the last create.\n"
        );
        self.interference(out, "memory");
        let _ = writeln!(
            out,
            "| backend | objects | RSS before | RSS after | growth | per 10,000 objects | peak RSS (VmHWM) \
             | creates/s |"
        );
        let _ = writeln!(out, "|--|--:|--:|--:|--:|--:|--:|--:|");
        let mib = |kb: f64| format!("{:.1} MiB", kb / 1024.0);
        for (label, r) in &self.mems {
            let Ok(m) = r else {
                let _ = writeln!(
                    out,
                    "| {label} | {} | failed (see notes) | | | | | |",
                    cfg.mem_objects
                );
                continue;
            };
            let growth = m.after_kb as f64 - m.before_kb as f64;
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} | {} | {} | {} | {} |",
                thousands(m.objects as f64),
                mib(m.before_kb as f64),
                mib(m.after_kb as f64),
                mib(growth),
                mib(growth * 10_000.0 / m.objects.max(1) as f64),
                mib(m.peak_kb as f64),
                thousands(m.created as f64 / m.secs.max(1e-9)),
            );
        }
    }

    /// Adds the first error of every point that had errors to `notes`.
    fn errors(&self, labels: &[&str], notes: &mut Vec<String>) {
        for (c, raw, cols) in &self.creates {
            let named = cols
                .iter()
                .zip(labels)
                .map(|(p, l)| (p, format!("Gatehouse on {l}")));
            for (p, who) in raw.iter().map(|p| (p, "raw etcd".to_string())).chain(named) {
                if let Some(e) = &p.first_error {
                    notes.push(format!(
                        "creates, {c} clients, {who}: {} errors, first: {e}",
                        p.errors
                    ));
                }
            }
        }
        for (what, c, cols) in &self.reads {
            for (p, l) in cols.iter().zip(labels) {
                if let Some(e) = &p.first_error {
                    notes.push(format!(
                        "{what}, {c} clients, Gatehouse on {l}: {} errors, first: {e}",
                        p.errors
                    ));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Admission
// ---------------------------------------------------------------------------------------------

/// Create latency with the default plugins, then with one policy, then with one webhook.
async fn admission(
    cfg: &Config,
    g: &Gatehouse,
    payload: Arc<str>,
) -> Result<Vec<(&'static str, Vec<Point>)>, String> {
    let mut h = Http::connect(&g.target).await.map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let measure = |label: &'static str, ns: &'static str| {
        let (t, payload) = (g.target.clone(), payload.clone());
        async move {
            let mut points = Vec::new();
            for c in [1, 16] {
                note(format!("admission: {label}, {c} clients"));
                let op = Op::Create {
                    ns: ns.into(),
                    tag: format!("c{c}"),
                };
                points.push(drive(&t, op, c, cfg.warmup, cfg.secs, payload.clone()).await);
            }
            (label, points)
        }
    };
    for ns in ["bench-adm-none", "bench-adm-policy", "bench-adm-webhook"] {
        ensure_namespace(&mut h, ns).await?;
    }
    rows.push(measure("default plugins", "bench-adm-none").await);

    let policy = br#"{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy",
        "metadata":{"name":"bench-size"},"spec":{"failurePolicy":"Fail","matchConstraints":{"resourceRules":[
        {"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["configmaps"]}]},
        "validations":[{"expression":"size(object.data.payload) <= 4096","message":"payload too big"}]}}"#;
    let binding =
        br#"{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding",
        "metadata":{"name":"bench-size"},"spec":{"policyName":"bench-size","validationActions":["Deny"]}}"#;
    const POLICIES: &str = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
    const BINDINGS: &str = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";
    expect_created(&mut h, POLICIES, policy).await?;
    expect_created(&mut h, BINDINGS, binding).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    rows.push(measure("+ 1 ValidatingAdmissionPolicy", "bench-adm-policy").await);
    let _ = h.call("DELETE", &format!("{BINDINGS}/bench-size"), b"").await;

    let port = serve_webhook(&g.data.join("pki")).await?;
    let ca = fs::read(g.data.join("pki/ca.crt")).map_err(|e| e.to_string())?;
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca);
    let hook = format!(
        r#"{{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
        "metadata":{{"name":"bench-hook"}},"webhooks":[{{"name":"bench.gatehouse.test",
        "clientConfig":{{"url":"https://127.0.0.1:{port}/validate","caBundle":"{ca}"}},
        "rules":[{{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["configmaps"]}}],
        "namespaceSelector":{{"matchLabels":{{"kubernetes.io/metadata.name":"bench-adm-webhook"}}}},
        "sideEffects":"None","admissionReviewVersions":["v1"],"failurePolicy":"Fail"}}]}}"#
    );
    expect_created(
        &mut h,
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
        hook.as_bytes(),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    rows.push(measure("+ 1 validating webhook (HTTPS, loopback)", "bench-adm-webhook").await);
    Ok(rows)
}

async fn expect_created(h: &mut Http, path: &str, body: &[u8]) -> Result<(), String> {
    match h.call("POST", path, body).await {
        Ok((201 | 409, _)) => Ok(()),
        Ok((s, b)) => Err(format!("POST {path}: HTTP {s}: {}", short(&b))),
        Err(e) => Err(format!("POST {path}: {e}")),
    }
}

/// A validating webhook that allows everything, over TLS with Gatehouse's own serving
/// certificate (valid for 127.0.0.1, signed by the cluster CA); returns its port.
async fn serve_webhook(pki: &Path) -> Result<u16, String> {
    let read = |name: &str| fs::read(pki.join(name)).map_err(|e| format!("{name}: {e}"));
    let config = gatehouse_host::tls::server_config(&read("apiserver.crt")?, &read("apiserver.key")?, None)
        .map_err(|e| e.to_string())?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let _ = answer_reviews(tls).await;
                }
            });
        }
    });
    Ok(port)
}

/// Answers each AdmissionReview on the connection with an allow for its uid.
async fn answer_reviews(mut io: tokio_rustls::server::TlsStream<TcpStream>) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = io.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 8192];
            let n = io.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let review: serde_json::Value =
            serde_json::from_slice(&buf[head_end..head_end + len]).unwrap_or_default();
        buf.drain(..head_end + len);
        let uid = review["request"]["uid"].as_str().unwrap_or("");
        let body = format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{{"uid":"{uid}","allowed":true}}}}"#
        );
        let close = head.contains("connection: close");
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{body}",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        io.write_all(answer.as_bytes()).await?;
        io.flush().await?;
        if close {
            let _ = io.shutdown().await;
            return Ok(());
        }
    }
}
