//! The Debian tools some tests run (etcd, etcdctl, HAProxy, curl). A missing one is installed
//! on the spot when the tests run as root with apt, so `cargo test --workspace` passes on a
//! fresh Debian machine; otherwise the test fails naming the package to install.
//!
//! `host/tests/etcd_contract.rs` compiles this file too, by path: this crate depends on
//! gatehouse-host, so host's tests cannot depend on it. Hence nothing but std here.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// Held around every install: test binaries run in parallel, and apt installs one at a time.
const APT_LOCK: &str = "/var/tmp/gatehouse-apt.lock";

/// Runs under [`APT_LOCK`] with the command as `$1` and the package as `$2`. It checks again
/// because another test binary may have installed the package while this one waited. The lists
/// are refreshed only when they do not know the package, or when installing from them fails
/// (stale lists name versions the mirror no longer has).
const INSTALL_SCRIPT: &str = r#"
command -v "$1" >/dev/null && exit 0
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$1"; }
apt-cache show "$2" >/dev/null 2>&1 || apt-get update -qq
apt_install "$2" || { apt-get update -qq && apt_install "$2"; }
"#;

/// Returns when `command` is on PATH. Otherwise installs the Debian `package` that provides it
/// when running as root with apt, and panics saying what to install when it cannot.
pub fn require(command: &str, package: &str) {
    if on_path(command) {
        return;
    }
    let missing = format!("{command} is not installed: apt-get install {package}");
    assert!(can_install(), "{missing}");
    if let Err(log) = install_once(command, package) {
        panic!("{missing} (installing it failed)\n{log}");
    }
    assert!(on_path(command), "{missing} (the package did not provide it)");
}

/// Whether an executable file named `command` is in a folder of PATH.
pub fn on_path(command: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(command).is_file()))
}

fn can_install() -> bool {
    is_root() && on_path("apt-get") && on_path("flock")
}

fn is_root() -> bool {
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Installs each package at most once per test binary: the tests of a binary wait for the first
/// attempt and share its outcome, so a failing install is not repeated by every test.
fn install_once(command: &str, package: &str) -> Result<(), String> {
    static OUTCOMES: Mutex<BTreeMap<String, Result<(), String>>> = Mutex::new(BTreeMap::new());
    let mut outcomes = OUTCOMES.lock().unwrap_or_else(PoisonError::into_inner);
    outcomes
        .entry(package.to_string())
        .or_insert_with(|| install(command, package))
        .clone()
}

fn install(command: &str, package: &str) -> Result<(), String> {
    eprintln!("{command} is not installed: installing Debian package {package} (apt-get)");
    let out = Command::new("flock")
        .arg(APT_LOCK)
        .args(["sh", "-c", INSTALL_SCRIPT, "sh", command, package])
        .output()
        .map_err(|e| format!("running flock: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}
