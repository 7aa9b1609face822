//! A PodSecurityConfiguration given through `--admission-control-config-file` is checked at
//! start-up: the chain is refused with kube's reason, and a valid one builds.

use clap::Parser;
use gatehouse_host::admission::chain;
use gatehouse_host::flags::Flags;

/// Builds the chain from an AdmissionConfiguration embedding `pod_security` (YAML lines
/// indented under `configuration:`).
fn chain_with(label: &str, pod_security: &str) -> Result<Vec<&'static str>, String> {
    let dir = std::env::temp_dir().join(format!("gatehouse-psa-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("admission.yaml");
    let text = format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1beta1\n    kind: PodSecurityConfiguration\n{pod_security}"
    );
    std::fs::write(&path, text).expect("writing the configuration");
    let flag = format!("--admission-control-config-file={}", path.display());
    let flags = Flags::try_parse_from(["gatehouse", flag.as_str()]).expect("flags");
    let built = chain(&flags).map(|c| c.names()).map_err(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    built
}

#[test]
fn an_invalid_configuration_is_refused_at_start_up() {
    let e = chain_with("level", "    defaults:\n      enforce: strict\n").unwrap_err();
    assert!(
        e.contains("admission plugin \"PodSecurity\": PodSecurity configuration error: enforce: must be one of privileged, baseline, restricted"),
        "{e}"
    );
    let e = chain_with("dup", "    exemptions:\n      usernames: [a, a]\n").unwrap_err();
    assert!(
        e.contains("PodSecurity invalid: exemptions.usernames[1]: Duplicate value: \"a\""),
        "{e}"
    );
}

#[test]
fn a_valid_configuration_builds_the_plugin() {
    let names = chain_with(
        "ok",
        "    defaults:\n      enforce: restricted\n      enforce-version: v1.30\n",
    )
    .unwrap();
    assert!(names.contains(&"PodSecurity"), "{names:?}");
}
