//! Every stored kind, freshly created from its manifest in `tests/manifests/kinds/`, must read
//! back exactly as kube-apiserver v1.32 answers it: `tests/manifests/kinds/expected/<id>.json`
//! holds that answer (built from the v1.32 Go types and defaulting; see NOTES.md there), with
//! placeholders for what the server picks. Above all this checks the fields kube writes even
//! at their zero value (`status.replicas: 0`, `resources: {}`), which clients whose models
//! mark them required depend on.
//!
//! The manifest is posted by `kubectl create -f` (a plain POST, no annotations) into the test's
//! namespace, and read back with `kubectl get -o json`.

use std::path::{Path, PathBuf};

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(Options::tokio);

/// Kinds whose answer is known to differ from kube's: `(id, reason)`. Each must still differ
/// (so a fix is noticed and the entry removed).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Kinds whose status a controller fills right after the create (a ResourceQuota's, by the
/// quota controller that kube-controller-manager runs and Gatehouse runs itself): their
/// status is compared as the create answered it.
const CONTROLLER_STATUS: &[&str] = &["resourcequota"];

fn kinds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/kinds")
}

/// Every manifest id with an expected answer.
fn ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(kinds_dir().join("expected"))
        .expect("the expected answers")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    ids.sort();
    ids
}

/// Where `got` differs from `want`, as JSON pointers with both values. Placeholders in `want`:
/// `<uid>`, `<rv>`, `<time>` and `<any>` stand for a non-empty value the server chose.
fn differences(want: &Value, got: &Value, at: &str, out: &mut Vec<String>) {
    match (want, got) {
        (Value::String(w), g) if matches!(w.as_str(), "<uid>" | "<rv>" | "<time>" | "<any>") => {
            let empty = g.is_null() || g.as_str() == Some("");
            if empty {
                out.push(format!("{at}: want {w}, got {g}"));
            }
        }
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let path = format!("{at}/{k}");
                match g.get(k) {
                    Some(gv) => differences(wv, gv, &path, out),
                    None => out.push(format!("{path}: want {wv}, missing")),
                }
            }
            for (k, gv) in g {
                if !w.contains_key(k) && (at != "/metadata" || k != "managedFields") {
                    out.push(format!("{at}/{k}: not expected, got {gv}"));
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                differences(wv, gv, &format!("{at}/{i}"), out);
            }
        }
        (w, g) if w == g => {}
        (w, g) => out.push(format!("{at}: want {w}, got {g}")),
    }
}

/// Replaces the expected files' namespace `ns1` by the test's.
fn in_namespace(want: Value, ns: &str) -> Value {
    let text = want.to_string().replace("\"ns1\"", &format!("\"{ns}\""));
    parse_json(&text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_objects_read_back_as_kube_answers_them() {
    let server = SERVER.get().await;
    let dir = TempDir::new("fresh");
    let k = server.kubectl(&dir);
    let ns = unique("fresh");
    k.ok(&["create", "namespace", &ns]).await;
    let mut report = Vec::new();
    let mut checked = 0;
    for id in ids() {
        let manifest = std::fs::read_to_string(kinds_dir().join(format!("{id}.yaml")))
            .unwrap_or_else(|e| panic!("{id}.yaml: {e}"))
            .replace("${NAMESPACE}", &ns);
        let file = dir.write(&format!("{id}.yaml"), manifest);
        let file = file.to_str().expect("UTF-8 path");
        let created = k.run(&["create", "-n", &ns, "-f", file, "-o", "json"]).await;
        assert!(created.success(), "{id}: create failed: {created}");
        let mut got = k.json(&["get", "-n", &ns, "-f", file, "-o", "json"]).await;
        if CONTROLLER_STATUS.contains(&id.as_str()) {
            got["status"] = parse_json(&created.stdout)["status"].clone();
        }
        let want_text = std::fs::read_to_string(kinds_dir().join(format!("expected/{id}.json")))
            .unwrap_or_else(|e| panic!("expected/{id}.json: {e}"));
        let want = in_namespace(parse_json(&want_text), &ns);
        let mut diffs = Vec::new();
        differences(&want, &got, "", &mut diffs);
        checked += 1;
        let known = KNOWN_DIFFERENCES.iter().find(|(i, _)| *i == id);
        match (diffs.is_empty(), known) {
            (true, None) => {}
            (false, Some(_)) => {}
            (true, Some((_, why))) => report.push(format!(
                "{id}: now matches kube; remove it from KNOWN_DIFFERENCES ({why})"
            )),
            (false, None) => report.push(format!("{id}:\n    {}", diffs.join("\n    "))),
        }
        // Cluster-scoped objects would collide with a later run of the same server.
        let _ = k.run(&["delete", "-n", &ns, "-f", file, "--wait=false"]).await;
    }
    assert!(checked >= 49, "only {checked} kinds checked");
    assert!(
        report.is_empty(),
        "answers that differ from kube-apiserver's:\n{}",
        report.join("\n")
    );
}
