//! kube's own pass/fail pods for every Pod Security level and version (`test/testdata` of
//! kubernetes/pod-security-admission at release-1.32) against Gatehouse's checks, when
//! `PSA_TESTDATA` names a copy of that directory: each `pass` pod must pass and each
//! `fail` pod must fail. The fixtures are not vendored, so the test is ignored by default:
//! `PSA_TESTDATA=<pod-security-admission>/test/testdata cargo test -p gatehouse-host --test
//! pod_security_testdata -- --ignored`.

use std::path::{Path, PathBuf};

use gatehouse_core::admission::pod_security::checks::evaluate;
use gatehouse_core::admission::pod_security::level::{Level, LevelVersion, Version};
use serde_json::Value;

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

#[test]
#[ignore = "needs kube's Pod Security fixtures in PSA_TESTDATA"]
fn kubes_fixtures_pass_and_fail_as_in_kube() {
    let root = std::env::var("PSA_TESTDATA").expect("PSA_TESTDATA names kube's test/testdata");
    let mut wrong = Vec::new();
    let mut seen = 0;
    for (dir, level) in [("baseline", Level::Baseline), ("restricted", Level::Restricted)] {
        for vdir in files(&Path::new(&root).join(dir)) {
            let name = vdir.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let version = Version::parse(name).expect("a version directory");
            let lv = LevelVersion { level, version };
            for outcome in ["pass", "fail"] {
                for file in files(&vdir.join(outcome)) {
                    let text = std::fs::read_to_string(&file).expect("readable");
                    let pod: Value = serde_yaml::from_str(&text).expect("YAML");
                    let violations = evaluate(lv, &pod["metadata"], &pod["spec"]);
                    seen += 1;
                    if (outcome == "pass") != violations.is_empty() {
                        wrong.push(format!("{}: {violations:?}", file.display()));
                    }
                }
            }
        }
    }
    assert!(seen > 3000, "only {seen} fixtures under {root}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
