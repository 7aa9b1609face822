//! The official Python `kubernetes` client against Gatehouse on both runtimes: the typed APIs of
//! core, apps, batch, RBAC and networking, the three patch types, label selectors, a watch, the
//! status counters the client's models require (DaemonSet, ReplicationController), metadata-only
//! answers (PartialObjectMetadata), a dry-run delete, and the 404 and 409 errors
//! (tests/python/client_check.py, one line per check).
//!
//! The client lives in a virtualenv at `$GATEHOUSE_PYENV` (default `/var/tmp/gatehouse-pyenv`)
//! that `tests/python/setup.sh` prepares from PyPI; the tests run it first (it returns at once
//! when the pinned client is installed), and fail rather than skip when it cannot.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gatehouse_tests::*;

/// A bound on the whole Python run, not an expectation: it normally takes a few seconds.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

const DEFAULT_PYENV: &str = "/var/tmp/gatehouse-pyenv";

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

fn python_command(python: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("KUBECONFIG");
    cmd
}

/// The virtualenv's python with the `kubernetes` package importable; panics with how to prepare
/// it otherwise.
async fn venv_python() -> PathBuf {
    let pyenv = std::env::var_os("GATEHOUSE_PYENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PYENV));
    let setup = python_dir().join("setup.sh");
    // Once per test binary: the two tests would otherwise build the same virtualenv at once.
    static PREPARED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    PREPARED
        .get_or_init(|| async {
            let mut cmd = Command::new("bash");
            cmd.arg(&setup).env("GATEHOUSE_PYENV", &pyenv);
            let out = run_command(cmd, Duration::from_secs(600)).await;
            assert!(out.success(), "{} failed:\n{out}", setup.display());
        })
        .await;
    let python = pyenv.join("bin").join("python");
    assert!(
        python.is_file(),
        "no Python virtualenv at {} (GATEHOUSE_PYENV): run {} first",
        pyenv.display(),
        setup.display()
    );
    let mut cmd = python_command(&python);
    cmd.args(["-c", "import kubernetes; print(kubernetes.__version__)"]);
    let out = run_command(cmd, COMMAND_TIMEOUT).await;
    assert!(
        out.success(),
        "the virtualenv at {} cannot import the kubernetes package: run {} first\n{out}",
        pyenv.display(),
        setup.display()
    );
    python
}

async fn run_client_check(options: Options) {
    let python = venv_python().await;
    let server = Server::start(options).await;
    let script = python_dir().join("client_check.py");
    let mut cmd = python_command(&python);
    cmd.arg(&script).arg(&server.kubeconfig);
    let out = run_command(cmd, SCRIPT_TIMEOUT).await;
    assert!(
        out.success(),
        "the Python client checks failed against Gatehouse ({:?} runtime)\n{out}",
        server.runtime
    );
    assert!(out.stdout.lines().any(|l| l == "all checks passed"), "{out}");
    for check in [
        "list namespaces",
        "configmap create/read/patch/list/delete",
        "404 NotFound",
        "409 Conflict on a stale replace",
        "configmap dry-run delete",
        "secret",
        "deployment",
        "job",
        "daemonset",
        "replicationcontroller",
        "clusterrole",
        "ingress",
        "metadata-only nodes",
        "watch configmaps",
    ] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with(&format!("ok   {check}"))),
            "check {check:?} did not pass\n{out}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_tokio() {
    run_client_check(Options::tokio()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_smol() {
    run_client_check(Options::smol()).await;
}
