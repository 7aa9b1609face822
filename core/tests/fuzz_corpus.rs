//! Replays the fuzz corpus (`fuzz/corpus/<target>/*`) and any saved crash inputs
//! (`fuzz/artifacts/<target>/*`) through the fuzz harnesses, as ordinary tests on the stable
//! toolchain, so that an input that once broke a target keeps being checked.
//!
//! The harnesses are the very functions the libFuzzer targets call (`fuzz/src/lib.rs`).
//! Inputs that still fail are listed in [`KNOWN_FAILURES`]: the per-target replays skip them,
//! and each has its own ignored test below that names the problem.

// A test reads its corpus from files; the core's own code may not (core/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

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

fn harness_of(target: &str) -> harness::Harness {
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
        files
            .iter()
            .any(|p| p.components().any(|c| c.as_os_str() == "corpus")),
        "no seed corpus for {target} under {}",
        fuzz_dir().display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let known = KNOWN_FAILURES.iter().any(|(t, name)| {
            *t == target
                && path.file_name().is_some_and(|n| n == *name)
                && path.to_string_lossy().contains("artifacts")
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
    apply,
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
    http_response,
    authentication,
    authorization,
    cel,
);

/// A chunk-size line longer than 1024 bytes (`000…02`) is refused whether its CRLF arrives
/// in the same read or the line arrives in smaller reads (it was once accepted whole).
#[test]
fn http_request_split_long_chunk_size_line() {
    replay_artifact("http_request", "split-long-chunk-size-line");
}

/// The same for a trailer line longer than the head limit (here the small limits, 256 bytes).
#[test]
fn http_request_split_long_trailer_line() {
    replay_artifact("http_request", "split-long-trailer-line");
}

/// The certificates the `x509` and `server` targets rely on still verify at the harness's
/// fixed time, so the fuzzer starts from inputs that reach past signature checks.
#[test]
fn fixed_certificates_verify() {
    let id = gatehouse_core::authn::x509::verify_client_chain(
        &[harness::ADMIN_DER],
        &[harness::CA_DER],
        harness::WALL_SECS,
    )
    .expect("the admin certificate verifies")
    .expect("an identity");
    assert_eq!(id.user, "fuzz-admin");
    assert_eq!(id.groups, vec!["system:masters".to_string()]);
}

/// The hand-written seeds are what they claim to be, so fuzzing starts past the parsers.
#[test]
fn seeds_are_valid_inputs() {
    let seed = |target: &str, name: &str| {
        std::fs::read(fuzz_dir().join("corpus").join(target).join(name))
            .unwrap_or_else(|e| panic!("{target}/{name}: {e}"))
    };
    for name in ["configmap", "pod", "deployment", "namespace"] {
        let decoded = gatehouse_core::codec::protobuf::decode(&seed("protobuf", name))
            .unwrap_or_else(|e| panic!("protobuf/{name}: {e:?}"));
        assert!(
            decoded.object["metadata"]["name"].is_string(),
            "protobuf/{name}: {}",
            decoded.object
        );
    }
    for name in ["plain", "expired"] {
        let token = String::from_utf8(seed("continue_token", name)).unwrap();
        assert!(
            gatehouse_core::registry::list::Continue::decode(&token).is_ok(),
            "continue_token/{name}"
        );
    }
    for name in ["eq", "ops", "gt", "quoted", "exists", "empty-set"] {
        let text = String::from_utf8(seed("label_selector", name)).unwrap();
        assert!(
            gatehouse_core::selectors::LabelSelector::parse(&text).is_ok(),
            "label_selector/{name}"
        );
    }
    for name in ["name", "multi", "escaped", "empty"] {
        let text = String::from_utf8(seed("field_selector", name)).unwrap();
        assert!(
            gatehouse_core::selectors::FieldSelector::parse(&text).is_ok(),
            "field_selector/{name}"
        );
    }
    for name in ["admin.der", "jane.der", "nocn.der"] {
        let r = gatehouse_core::authn::x509::verify_client_chain(
            &[seed("x509", name)],
            &[harness::CA_DER],
            harness::WALL_SECS,
        );
        assert!(r.is_ok(), "x509/{name}: {r:?}");
    }
    let r = gatehouse_core::authn::x509::verify_client_chain(
        &[seed("x509", "expired-by-2030.der")],
        &[harness::CA_DER],
        harness::WALL_SECS,
    );
    assert!(r.is_err(), "x509/expired-by-2030.der verified");
}
