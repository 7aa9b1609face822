//! Replays the fuzz corpus (`fuzz/corpus/<target>/*`) and any saved crash inputs
//! (`fuzz/artifacts/<target>/*`) through the fuzz harnesses, as ordinary tests on the stable
//! toolchain, so that an input that once broke a target keeps being checked.
//!
//! The harnesses are the very functions the libFuzzer targets call (`fuzz/src/lib.rs`).
//! Inputs that still fail are listed in [`KNOWN_FAILURES`]: the per-target replays skip them,
//! and each has its own ignored test below that names the problem.

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Inputs that still fail: (target, file name under `fuzz/artifacts/<target>/`).
const KNOWN_FAILURES: &[(&str, &str)] = &[];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["corpus", "artifacts"] {
        let dir = fuzz_dir().join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn harness_of(target: &str) -> fn(&[u8]) {
    harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no harness {target}"))
}

fn run_one(target: &str, path: &Path) -> Result<(), String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let f = harness_of(target);
    catch_unwind(AssertUnwindSafe(|| f(&data))).map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{}: {msg}", path.display())
    })
}

fn replay(target: &str) {
    let files = inputs(target);
    assert!(
        files.iter().any(|p| p.components().any(|c| c.as_os_str() == "corpus")),
        "no seed corpus for {target} under {}",
        fuzz_dir().display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let known = KNOWN_FAILURES.iter().any(|(t, name)| {
            *t == target && path.file_name().is_some_and(|n| n == *name) && path.to_string_lossy().contains("artifacts")
        });
        if known {
            continue;
        }
        if let Err(e) = run_one(target, path) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs of {target} fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Runs one saved artifact; for the ignored tests of known failures.
#[allow(dead_code)]
fn replay_artifact(target: &str, name: &str) {
    let path = fuzz_dir().join("artifacts").join(target).join(name);
    if let Err(e) = run_one(target, &path) {
        panic!("{e}");
    }
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        #[test]
        fn every_target_is_replayed() {
            let mut names: Vec<&str> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
            names.sort();
            let mut tested = vec![$(stringify!($target)),*];
            tested.sort();
            assert_eq!(names, tested);
        }
    };
}

replay_tests!(
    http_request,
    request_info,
    label_selector,
    field_selector,
    patch,
    protobuf,
    continue_token,
    x509,
    object_validation,
    server,
);

/// The certificates the `x509` and `server` targets rely on still verify at the harness's
/// fixed time, so the fuzzer starts from inputs that reach past signature checks.
#[test]
fn fixed_certificates_verify() {
    let id = gatehouse_core::authn::x509::verify_client_chain(&[harness::ADMIN_DER], &[harness::CA_DER], harness::WALL_SECS)
        .expect("the admin certificate verifies")
        .expect("an identity");
    assert_eq!(id.user, "fuzz-admin");
    assert_eq!(id.groups, vec!["system:masters".to_string()]);
}
