//! The Pod Security Standards' checks at every policy version kube v1.32 knows, each with
//! kube's reasons and details, and the registry that picks the checks of a level at a
//! version (a restricted check may replace a baseline one from its version on).
//!
//! Checks read the pod's metadata and spec as JSON (the external v1 shape). A field that is
//! absent or `null` is unset, as a nil pointer is in kube.

use std::collections::BTreeSet;

use serde_json::Value;

use super::level::{Level, LevelVersion, Version};
use crate::validation::go_quote;

/// The newest policy version with checks of its own; newer versions and `latest` evaluate
/// as this one.
pub const MAX_VERSION: u64 = 32;

/// Why a check refuses a pod: a short reason and, optionally, the specifics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// E.g. `host namespaces`.
    pub reason: String,
    /// E.g. `hostNetwork=true`; may be empty.
    pub detail: String,
}

/// One revision of a check.
type CheckFn = fn(&Value, &Value) -> Option<Violation>;

struct Revision {
    /// The first policy minor version (of v1) this revision applies to.
    since: u64,
    check: CheckFn,
    /// Baseline checks this (restricted) revision replaces.
    overrides: &'static [&'static str],
}

/// A check: its id, its level, and its revisions in increasing version order.
pub struct Check {
    /// kube's check id.
    pub id: &'static str,
    /// The level it belongs to.
    pub level: Level,
    revisions: &'static [Revision],
}

const fn rev(since: u64, check: CheckFn) -> Revision {
    Revision {
        since,
        check,
        overrides: &[],
    }
}

const fn rev_over(since: u64, check: CheckFn, overrides: &'static [&'static str]) -> Revision {
    Revision {
        since,
        check,
        overrides,
    }
}

/// Every check, baseline ones then restricted ones, each group in id order: the order
/// kube reports violations in.
pub const CHECKS: &[Check] = &[
    Check {
        id: "appArmorProfile",
        level: Level::Baseline,
        revisions: &[rev(0, app_armor_profile)],
    },
    Check {
        id: "capabilities_baseline",
        level: Level::Baseline,
        revisions: &[rev(0, capabilities_baseline)],
    },
    Check {
        id: "hostNamespaces",
        level: Level::Baseline,
        revisions: &[rev(0, host_namespaces)],
    },
    Check {
        id: "hostPathVolumes",
        level: Level::Baseline,
        revisions: &[rev(0, host_path_volumes)],
    },
    Check {
        id: "hostPorts",
        level: Level::Baseline,
        revisions: &[rev(0, host_ports)],
    },
    Check {
        id: "privileged",
        level: Level::Baseline,
        revisions: &[rev(0, privileged)],
    },
    Check {
        id: "procMount",
        level: Level::Baseline,
        revisions: &[rev(0, proc_mount)],
    },
    Check {
        id: "seLinuxOptions",
        level: Level::Baseline,
        revisions: &[rev(0, se_linux_options_1_0), rev(31, se_linux_options_1_31)],
    },
    Check {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        revisions: &[
            rev(0, seccomp_baseline_annotations),
            rev(19, seccomp_baseline_fields),
        ],
    },
    Check {
        id: "sysctls",
        level: Level::Baseline,
        revisions: &[
            rev(0, sysctls_1_0),
            rev(27, sysctls_1_27),
            rev(29, sysctls_1_29),
            rev(32, sysctls_1_32),
        ],
    },
    Check {
        id: "windowsHostProcess",
        level: Level::Baseline,
        revisions: &[rev(0, windows_host_process)],
    },
    Check {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        revisions: &[
            rev(8, allow_privilege_escalation),
            rev(25, allow_privilege_escalation_1_25),
        ],
    },
    Check {
        id: "capabilities_restricted",
        level: Level::Restricted,
        revisions: &[
            rev_over(22, capabilities_restricted, &["capabilities_baseline"]),
            rev_over(25, capabilities_restricted_1_25, &["capabilities_baseline"]),
        ],
    },
    Check {
        id: "restrictedVolumes",
        level: Level::Restricted,
        revisions: &[rev_over(0, restricted_volumes, &["hostPathVolumes"])],
    },
    Check {
        id: "runAsNonRoot",
        level: Level::Restricted,
        revisions: &[rev(0, run_as_non_root)],
    },
    Check {
        id: "runAsUser",
        level: Level::Restricted,
        revisions: &[rev(23, run_as_user)],
    },
    Check {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        revisions: &[
            rev_over(19, seccomp_restricted, &["seccompProfile_baseline"]),
            rev_over(25, seccomp_restricted_1_25, &["seccompProfile_baseline"]),
        ],
    },
];

impl Check {
    /// The revision in force at minor version `v`, if the check exists there yet.
    fn at(&self, v: u64) -> Option<&Revision> {
        self.revisions.iter().rev().find(|r| r.since <= v)
    }
}

/// The ids of the checks `lv` runs, in the order they report.
pub fn checks_for(lv: LevelVersion) -> Vec<&'static Check> {
    let v = match lv.version {
        Version::Minor(m) => m.min(MAX_VERSION),
        Version::Latest => MAX_VERSION,
    };
    match lv.level {
        Level::Privileged => Vec::new(),
        Level::Baseline => CHECKS
            .iter()
            .filter(|c| c.level == Level::Baseline && c.at(v).is_some())
            .collect(),
        Level::Restricted => {
            let overridden: Vec<&str> = CHECKS
                .iter()
                .filter(|c| c.level == Level::Restricted)
                .filter_map(|c| c.at(v))
                .flat_map(|r| r.overrides.iter().copied())
                .collect();
            CHECKS
                .iter()
                .filter(|c| c.at(v).is_some())
                .filter(|c| c.level == Level::Restricted || !overridden.contains(&c.id))
                .collect()
        }
    }
}

/// Every violation of `lv` by a pod with `meta` and `spec`, in kube's order.
pub fn evaluate(lv: LevelVersion, meta: &Value, spec: &Value) -> Vec<Violation> {
    let v = match lv.version {
        Version::Minor(m) => m.min(MAX_VERSION),
        Version::Latest => MAX_VERSION,
    };
    checks_for(lv)
        .into_iter()
        .filter_map(|c| c.at(v))
        .filter_map(|r| (r.check)(meta, spec))
        .collect()
}

/// The reasons alone, comma-separated (how pods of a namespace are summarized).
pub fn forbidden_reason(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| v.reason.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each reason with its detail in parentheses, comma-separated (how one pod is told).
pub fn forbidden_detail(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            if v.detail.is_empty() {
                v.reason.clone()
            } else {
                format!("{} ({})", v.reason, v.detail)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// ---- reading the pod ----

/// `v` at `path`, unless absent or null.
fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(true)
}

fn text(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or("")
}

fn items<'a>(v: &'a Value, path: &[&str]) -> impl Iterator<Item = &'a Value> {
    at(v, path).and_then(Value::as_array).into_iter().flatten()
}

/// Init containers, containers, then ephemeral containers.
fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    items(spec, &["initContainers"])
        .chain(items(spec, &["containers"]))
        .chain(items(spec, &["ephemeralContainers"]))
}

fn name(c: &Value) -> &str {
    text(c.get("name"))
}

fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("\"{}\"", inner.join("\", \""))
}

fn plural(singular: &'static str, plural: &'static str, n: usize) -> &'static str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

/// `container "a"` / `containers "a", "b"`.
fn containers_phrase(names: &[String]) -> String {
    format!(
        "{} {}",
        plural("container", "containers", names.len()),
        join_quote(names)
    )
}

fn violation(reason: &str, detail: String) -> Option<Violation> {
    Some(Violation {
        reason: reason.to_string(),
        detail,
    })
}

fn is_windows(spec: &Value) -> bool {
    text(at(spec, &["os", "name"])) == "windows"
}

// ---- baseline ----

fn host_namespaces(_: &Value, spec: &Value) -> Option<Violation> {
    let set: Vec<&str> = [
        ("hostNetwork", "hostNetwork=true"),
        ("hostPID", "hostPID=true"),
        ("hostIPC", "hostIPC=true"),
    ]
    .iter()
    .filter(|(field, _)| is_true(at(spec, &[field])))
    .map(|(_, shown)| *shown)
    .collect();
    if set.is_empty() {
        return None;
    }
    violation("host namespaces", set.join(", "))
}

fn privileged(_: &Value, spec: &Value) -> Option<Violation> {
    let bad: Vec<String> = containers(spec)
        .filter(|c| is_true(at(c, &["securityContext", "privileged"])))
        .map(|c| name(c).to_string())
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation(
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&bad)
        ),
    )
}

const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities_baseline(_: &Value, spec: &Value) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut caps = BTreeSet::new();
    for c in containers(spec) {
        let mut valid = true;
        for cap in items(c, &["securityContext", "capabilities", "add"]) {
            let cap = text(Some(cap));
            if !DEFAULT_CAPABILITIES.contains(&cap) {
                valid = false;
                caps.insert(cap.to_string());
            }
        }
        if !valid {
            bad.push(name(c).to_string());
        }
    }
    if bad.is_empty() {
        return None;
    }
    let caps: Vec<String> = caps.into_iter().collect();
    violation(
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad),
            join_quote(&caps)
        ),
    )
}

fn host_path_volumes(_: &Value, spec: &Value) -> Option<Violation> {
    let bad: Vec<String> = items(spec, &["volumes"])
        .filter(|v| at(v, &["hostPath"]).is_some())
        .map(|v| name(v).to_string())
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation(
        "hostPath volumes",
        format!("{} {}", plural("volume", "volumes", bad.len()), join_quote(&bad)),
    )
}

fn host_ports(_: &Value, spec: &Value) -> Option<Violation> {
    let mut bad = Vec::new();
    // kube lists the ports as a sorted set of strings.
    let mut ports = BTreeSet::new();
    for c in containers(spec) {
        let mut valid = true;
        for port in items(c, &["ports"]) {
            let host_port = at(port, &["hostPort"]).and_then(Value::as_i64).unwrap_or(0);
            if host_port != 0 {
                valid = false;
                ports.insert(host_port.to_string());
            }
        }
        if !valid {
            bad.push(name(c).to_string());
        }
    }
    if bad.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.into_iter().collect();
    violation(
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            plural("uses", "use", bad.len()),
            plural("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
    )
}

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn app_armor_profile(meta: &Value, spec: &Value) -> Option<Violation> {
    let allowed_type = |p: &Value| matches!(text(p.get("type")), "RuntimeDefault" | "Localhost");
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    if let Some(p) = at(spec, &["securityContext", "appArmorProfile"]) {
        if !allowed_type(p) {
            setters.push("pod".to_string());
            values.insert(text(p.get("type")).to_string());
        }
    }
    let mut bad = Vec::new();
    for c in containers(spec) {
        if let Some(p) = at(c, &["securityContext", "appArmorProfile"]) {
            if !allowed_type(p) {
                bad.push(name(c).to_string());
                values.insert(text(p.get("type")).to_string());
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    let mut annotations: Vec<String> = at(meta, &["annotations"])
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with(APPARMOR_ANNOTATION_PREFIX))
        .filter_map(|(k, v)| {
            let v = text(Some(v));
            let allowed = v.is_empty() || v == "runtime/default" || v.starts_with("localhost/");
            (!allowed).then(|| format!("{k}={}", go_quote(v)))
        })
        .collect();
    let mut values: Vec<String> = values.into_iter().collect();
    if !annotations.is_empty() {
        annotations.sort();
        setters.push(plural("annotation", "annotations", annotations.len()).to_string());
        values.extend(annotations);
    }
    if setters.is_empty() {
        return None;
    }
    violation(
        plural(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            values.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
    )
}

fn proc_mount(_: &Value, spec: &Value) -> Option<Violation> {
    // kube relaxes this for pods in user namespaces only behind the alpha
    // UserNamespacesPodSecurityStandards gate, which is off by default.
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    for c in containers(spec) {
        if let Some(pm) = at(c, &["securityContext", "procMount"]) {
            let pm = text(Some(pm));
            if pm != "Default" {
                bad.push(name(c).to_string());
                types.insert(pm.to_string());
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<String> = types.into_iter().collect();
    violation(
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&bad),
            join_quote(&types)
        ),
    )
}

const SELINUX_TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const SELINUX_TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn se_linux_options_1_0(meta: &Value, spec: &Value) -> Option<Violation> {
    se_linux_options(meta, spec, SELINUX_TYPES_1_0)
}

fn se_linux_options_1_31(meta: &Value, spec: &Value) -> Option<Violation> {
    se_linux_options(meta, spec, SELINUX_TYPES_1_31)
}

fn se_linux_options(_: &Value, spec: &Value, allowed: &[&str]) -> Option<Violation> {
    let mut bad_types = BTreeSet::new();
    let (mut set_user, mut set_role) = (false, false);
    let mut valid = |opts: &Value| {
        let mut ok = true;
        let t = text(opts.get("type"));
        if !allowed.contains(&t) {
            ok = false;
            bad_types.insert(t.to_string());
        }
        if !text(opts.get("user")).is_empty() {
            ok = false;
            set_user = true;
        }
        if !text(opts.get("role")).is_empty() {
            ok = false;
            set_role = true;
        }
        ok
    };
    let mut setters = Vec::new();
    if let Some(opts) = at(spec, &["securityContext", "seLinuxOptions"]) {
        if !valid(opts) {
            setters.push("pod".to_string());
        }
    }
    let mut bad = Vec::new();
    for c in containers(spec) {
        if let Some(opts) = at(c, &["securityContext", "seLinuxOptions"]) {
            if !valid(opts) {
                bad.push(name(c).to_string());
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        let types: Vec<String> = bad_types.into_iter().collect();
        data.push(format!(
            "{} {}",
            plural("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    violation(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
    )
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// Before v1.19, seccomp was set by annotations.
fn seccomp_baseline_annotations(meta: &Value, spec: &Value) -> Option<Violation> {
    let annotations = at(meta, &["annotations"]);
    let get = |k: &str| annotations.and_then(|a| a.get(k)).map(|v| text(Some(v)));
    let valid = |v: &str| v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
    let mut forbidden = BTreeSet::new();
    if let Some(v) = get(SECCOMP_POD_ANNOTATION) {
        if !valid(v) {
            forbidden.insert(format!("{SECCOMP_POD_ANNOTATION}={}", go_quote(v)));
        }
    }
    for c in containers(spec) {
        let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", name(c));
        if let Some(v) = get(&key) {
            if !valid(v) {
                forbidden.insert(format!("{key}={}", go_quote(v)));
            }
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    let list: Vec<String> = forbidden.into_iter().collect();
    violation(
        "seccompProfile",
        format!(
            "forbidden {} {}",
            plural("annotation", "annotations", list.len()),
            list.join(", ")
        ),
    )
}

fn valid_seccomp(profile: &Value) -> bool {
    matches!(text(profile.get("type")), "RuntimeDefault" | "Localhost")
}

/// Who sets seccomp explicitly to a bad type, the bad types, and the containers that set
/// nothing themselves.
struct SeccompSetters {
    setters: Vec<String>,
    values: Vec<String>,
    pod_set_valid: bool,
    unset: Vec<String>,
}

fn seccomp_setters(spec: &Value) -> SeccompSetters {
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut pod_set_valid = false;
    if let Some(p) = at(spec, &["securityContext", "seccompProfile"]) {
        if valid_seccomp(p) {
            pod_set_valid = true;
        } else {
            setters.push("pod".to_string());
            values.insert(text(p.get("type")).to_string());
        }
    }
    let mut bad = Vec::new();
    let mut unset = Vec::new();
    for c in containers(spec) {
        match at(c, &["securityContext", "seccompProfile"]) {
            Some(p) if !valid_seccomp(p) => {
                bad.push(name(c).to_string());
                values.insert(text(p.get("type")).to_string());
            }
            Some(_) => {}
            None => unset.push(name(c).to_string()),
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    SeccompSetters {
        setters,
        values: values.into_iter().collect(),
        pod_set_valid,
        unset,
    }
}

fn seccomp_bad_type(s: &SeccompSetters) -> Option<Violation> {
    if s.setters.is_empty() {
        return None;
    }
    violation(
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            s.setters.join(" and "),
            join_quote(&s.values)
        ),
    )
}

fn seccomp_baseline_fields(_: &Value, spec: &Value) -> Option<Violation> {
    seccomp_bad_type(&seccomp_setters(spec))
}

fn sysctls_with(spec: &Value, allowed: &[&str]) -> Option<Violation> {
    let bad: Vec<&str> = items(spec, &["securityContext", "sysctls"])
        .map(|s| text(s.get("name")))
        .filter(|n| !allowed.contains(n))
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation("forbidden sysctls", bad.join(", "))
}

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_ADDED_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_ADDED_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_ADDED_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

/// The sysctls allowed at a version: v1.0's plus every later addition up to it.
fn sysctls_allowed(additions: &[&'static [&'static str]]) -> Vec<&'static str> {
    SYSCTLS_1_0
        .iter()
        .chain(additions.iter().flat_map(|a| a.iter()))
        .copied()
        .collect()
}

fn sysctls_1_0(_: &Value, spec: &Value) -> Option<Violation> {
    sysctls_with(spec, &sysctls_allowed(&[]))
}

fn sysctls_1_27(_: &Value, spec: &Value) -> Option<Violation> {
    sysctls_with(spec, &sysctls_allowed(&[SYSCTLS_ADDED_1_27]))
}

fn sysctls_1_29(_: &Value, spec: &Value) -> Option<Violation> {
    sysctls_with(spec, &sysctls_allowed(&[SYSCTLS_ADDED_1_27, SYSCTLS_ADDED_1_29]))
}

fn sysctls_1_32(_: &Value, spec: &Value) -> Option<Violation> {
    sysctls_with(
        spec,
        &sysctls_allowed(&[SYSCTLS_ADDED_1_27, SYSCTLS_ADDED_1_29, SYSCTLS_ADDED_1_32]),
    )
}

fn windows_host_process(_: &Value, spec: &Value) -> Option<Violation> {
    let host_process = |sc: &Value| is_true(at(sc, &["windowsOptions", "hostProcess"]));
    let mut setters = Vec::new();
    if at(spec, &["securityContext"]).is_some_and(host_process) {
        setters.push("pod".to_string());
    }
    let bad: Vec<String> = containers(spec)
        .filter(|c| at(c, &["securityContext"]).is_some_and(host_process))
        .map(|c| name(c).to_string())
        .collect();
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    violation(
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters.join(" and ")
        ),
    )
}

// ---- restricted ----

fn allow_privilege_escalation(_: &Value, spec: &Value) -> Option<Violation> {
    let bad: Vec<String> = containers(spec)
        .filter(|c| {
            at(c, &["securityContext", "allowPrivilegeEscalation"]).and_then(Value::as_bool) != Some(false)
        })
        .map(|c| name(c).to_string())
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation(
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&bad)
        ),
    )
}

/// From v1.25 on, a pod declaring `spec.os.name: windows` passes (the field is Linux-only).
fn allow_privilege_escalation_1_25(meta: &Value, spec: &Value) -> Option<Violation> {
    if is_windows(spec) {
        return None;
    }
    allow_privilege_escalation(meta, spec)
}

fn capabilities_restricted(_: &Value, spec: &Value) -> Option<Violation> {
    let mut missing_drop_all = Vec::new();
    let mut adding = Vec::new();
    let mut forbidden = BTreeSet::new();
    for c in containers(spec) {
        let Some(caps) = at(c, &["securityContext", "capabilities"]) else {
            missing_drop_all.push(name(c).to_string());
            continue;
        };
        if !items(caps, &["drop"]).any(|d| d.as_str() == Some("ALL")) {
            missing_drop_all.push(name(c).to_string());
        }
        let mut added_forbidden = false;
        for cap in items(caps, &["add"]) {
            let cap = text(Some(cap));
            if cap != "NET_BIND_SERVICE" {
                added_forbidden = true;
                forbidden.insert(cap.to_string());
            }
        }
        if added_forbidden {
            adding.push(name(c).to_string());
        }
    }
    let mut details = Vec::new();
    if !missing_drop_all.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop_all)
        ));
    }
    if !adding.is_empty() {
        let caps: Vec<String> = forbidden.into_iter().collect();
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&caps)
        ));
    }
    if details.is_empty() {
        return None;
    }
    violation("unrestricted capabilities", details.join("; "))
}

/// From v1.25 on, a pod declaring `spec.os.name: windows` passes (the field is Linux-only).
fn capabilities_restricted_1_25(meta: &Value, spec: &Value) -> Option<Violation> {
    if is_windows(spec) {
        return None;
    }
    capabilities_restricted(meta, spec)
}

/// The inline volume sources the restricted level allows.
const ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The sources kube names when refusing, in the order it looks for them.
const NAMED_VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn restricted_volumes(_: &Value, spec: &Value) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    for v in items(spec, &["volumes"]) {
        // A volume naming no source at all is an emptyDir, as kube's defaulting makes it.
        let no_source = v
            .as_object()
            .is_some_and(|m| m.iter().all(|(k, val)| k == "name" || val.is_null()));
        if no_source || ALLOWED_VOLUME_SOURCES.iter().any(|s| at(v, &[s]).is_some()) {
            continue;
        }
        bad.push(name(v).to_string());
        let kind = NAMED_VOLUME_SOURCES
            .iter()
            .find(|s| at(v, &[s]).is_some())
            .copied()
            .unwrap_or("unknown");
        types.insert(kind.to_string());
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<String> = types.into_iter().collect();
    violation(
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            plural("volume", "volumes", bad.len()),
            join_quote(&bad),
            plural("uses", "use", bad.len()),
            plural("restricted volume type", "restricted volume types", types.len()),
            join_quote(&types)
        ),
    )
}

fn run_as_non_root(_: &Value, spec: &Value) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut pod_non_root = false;
    match at(spec, &["securityContext", "runAsNonRoot"]).and_then(Value::as_bool) {
        Some(false) => setters.push("pod".to_string()),
        Some(true) => pod_non_root = true,
        None => {}
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    for c in containers(spec) {
        match at(c, &["securityContext", "runAsNonRoot"]).and_then(Value::as_bool) {
            Some(false) => explicit.push(name(c).to_string()),
            Some(true) => {}
            None if !pod_non_root => implicit.push(name(c).to_string()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return violation(
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
        );
    }
    if !implicit.is_empty() {
        return violation(
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit)
            ),
        );
    }
    None
}

fn run_as_user(_: &Value, spec: &Value) -> Option<Violation> {
    let is_root = |v: Option<&Value>| v.and_then(Value::as_i64) == Some(0);
    let mut setters = Vec::new();
    if is_root(at(spec, &["securityContext", "runAsUser"])) {
        setters.push("pod".to_string());
    }
    let bad: Vec<String> = containers(spec)
        .filter(|c| is_root(at(c, &["securityContext", "runAsUser"])))
        .map(|c| name(c).to_string())
        .collect();
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    violation(
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters.join(" and ")),
    )
}

fn seccomp_restricted(_: &Value, spec: &Value) -> Option<Violation> {
    let s = seccomp_setters(spec);
    if let Some(v) = seccomp_bad_type(&s) {
        return Some(v);
    }
    if s.pod_set_valid || s.unset.is_empty() {
        return None;
    }
    violation(
        "seccompProfile",
        format!(
            "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
            containers_phrase(&s.unset)
        ),
    )
}

/// From v1.25 on, a pod declaring `spec.os.name: windows` passes (the field is Linux-only).
fn seccomp_restricted_1_25(meta: &Value, spec: &Value) -> Option<Violation> {
    if is_windows(spec) {
        return None;
    }
    seccomp_restricted(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lv(level: Level, minor: Option<u64>) -> LevelVersion {
        LevelVersion {
            level,
            version: minor.map_or(Version::Latest, Version::Minor),
        }
    }

    const BASELINE: LevelVersion = LevelVersion {
        level: Level::Baseline,
        version: Version::Latest,
    };
    const RESTRICTED: LevelVersion = LevelVersion {
        level: Level::Restricted,
        version: Version::Latest,
    };

    fn detail(level: LevelVersion, pod: Value) -> String {
        let (meta, spec) = (&pod["metadata"], &pod["spec"]);
        forbidden_detail(&evaluate(level, meta, spec))
    }

    /// A pod every level allows.
    fn restricted_pod() -> Value {
        json!({
            "metadata": {"name": "p"},
            "spec": {
                "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{"name": "c", "image": "i", "securityContext": {
                    "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
            }
        })
    }

    #[test]
    fn the_registry_is_in_kubes_order() {
        let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        let mut baseline: Vec<&str> = CHECKS
            .iter()
            .filter(|c| c.level == Level::Baseline)
            .map(|c| c.id)
            .collect();
        let mut restricted: Vec<&str> = CHECKS
            .iter()
            .filter(|c| c.level == Level::Restricted)
            .map(|c| c.id)
            .collect();
        baseline.sort_unstable();
        restricted.sort_unstable();
        assert_eq!(ids, [baseline, restricted].concat());
        for c in CHECKS {
            assert!(
                c.revisions.windows(2).all(|w| w[0].since < w[1].since),
                "{}",
                c.id
            );
            assert!(c.revisions.iter().all(|r| r.since <= MAX_VERSION));
        }
    }

    #[test]
    fn which_checks_run_at_which_version() {
        let ids = |l| checks_for(l).iter().map(|c| c.id).collect::<Vec<_>>();
        assert!(ids(lv(Level::Privileged, None)).is_empty());
        assert_eq!(ids(BASELINE).len(), 11);
        // restricted: the 11 baseline checks less the 3 replaced, plus the 6 of its own.
        assert_eq!(
            ids(RESTRICTED),
            vec![
                "appArmorProfile",
                "hostNamespaces",
                "hostPorts",
                "privileged",
                "procMount",
                "seLinuxOptions",
                "sysctls",
                "windowsHostProcess",
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "restrictedVolumes",
                "runAsNonRoot",
                "runAsUser",
                "seccompProfile_restricted",
            ]
        );
        let v1_0 = ids(lv(Level::Restricted, Some(0)));
        assert!(v1_0.contains(&"capabilities_baseline") && v1_0.contains(&"seccompProfile_baseline"));
        assert!(!v1_0.contains(&"allowPrivilegeEscalation") && !v1_0.contains(&"runAsUser"));
        assert!(ids(lv(Level::Restricted, Some(8))).contains(&"allowPrivilegeEscalation"));
        assert!(!ids(lv(Level::Restricted, Some(22))).contains(&"runAsUser"));
        assert!(ids(lv(Level::Restricted, Some(23))).contains(&"runAsUser"));
        assert!(ids(lv(Level::Restricted, Some(21))).contains(&"capabilities_baseline"));
        assert!(!ids(lv(Level::Restricted, Some(22))).contains(&"capabilities_baseline"));
    }

    #[test]
    fn a_compliant_pod_passes_every_level_and_version() {
        for minor in (0..=40).map(Some).chain([None]) {
            for level in [Level::Privileged, Level::Baseline, Level::Restricted] {
                assert_eq!(
                    detail(lv(level, minor), restricted_pod()),
                    "",
                    "{level:?} {minor:?}"
                );
            }
        }
        // Nothing at all is a pod the checks find nothing wrong with.
        assert!(evaluate(RESTRICTED, &Value::Null, &Value::Null).is_empty());
    }

    #[test]
    fn host_namespaces() {
        let pod = json!({"spec": {"hostNetwork": true, "hostPID": false, "hostIPC": true}});
        assert_eq!(
            detail(BASELINE, pod),
            "host namespaces (hostNetwork=true, hostIPC=true)"
        );
    }

    #[test]
    fn privileged_containers_of_every_kind() {
        let sc = json!({"privileged": true});
        let pod = json!({"spec": {
            "initContainers": [{"name": "i", "securityContext": sc}],
            "containers": [{"name": "a", "securityContext": sc}, {"name": "b", "securityContext": {"privileged": false}}],
            "ephemeralContainers": [{"name": "e", "securityContext": sc}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "privileged (containers \"i\", \"a\", \"e\" must not set securityContext.privileged=true)"
        );
    }

    #[test]
    fn baseline_capabilities() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "securityContext": {"capabilities": {"add": ["CHOWN", "SYS_ADMIN", "NET_RAW"]}}},
            {"name": "b", "securityContext": {"capabilities": {"add": ["KILL"]}}},
            {"name": "c", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "non-default capabilities (containers \"a\", \"c\" must not include \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add)"
        );
    }

    #[test]
    fn host_path_volumes_and_host_ports() {
        let pod = json!({"spec": {
            "volumes": [{"name": "a", "hostPath": {"path": "/"}}, {"name": "b", "emptyDir": {}}],
            "containers": [{"name": "b", "ports": [{"hostPort": 20}, {"containerPort": 80}]}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "hostPath volumes (volume \"a\"), hostPort (container \"b\" uses hostPort 20)"
        );
        let pod = json!({"spec": {"containers": [
            {"name": "b", "ports": [{"hostPort": 8080}, {"hostPort": 10000}]},
            {"name": "c", "ports": [{"hostPort": 8080}]}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "hostPort (containers \"b\", \"c\" use hostPorts 10000, 8080)"
        );
    }

    #[test]
    fn app_armor() {
        let pod = json!({"metadata": {"annotations": {
                "container.apparmor.security.beta.kubernetes.io/a": "unconfined",
                "container.apparmor.security.beta.kubernetes.io/b": "localhost/x",
                "other": "unconfined"}},
            "spec": {"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
                     "containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Localhost"}}}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/a=\"unconfined\"\")"
        );
        let pod = json!({"spec": {"containers": [{"name": "foo", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "forbidden AppArmor profile (container \"foo\" must not set AppArmor profile type to \"Unconfined\")"
        );
    }

    #[test]
    fn proc_mount() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "securityContext": {"procMount": "Unmasked"}},
            {"name": "b", "securityContext": {"procMount": "Default"}}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "procMount (container \"a\" must not set securityContext.procMount to \"Unmasked\")"
        );
    }

    #[test]
    fn se_linux_options_per_version() {
        let pod = json!({"spec": {
            "securityContext": {"seLinuxOptions": {"type": "foo", "user": "u", "role": "r"}},
            "containers": [{"name": "e", "securityContext": {"seLinuxOptions": {"type": "bar"}}},
                           {"name": "f", "securityContext": {"seLinuxOptions": {"type": "container_t"}}}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "seLinuxOptions (pod and container \"e\" set forbidden securityContext.seLinuxOptions: types \"bar\", \"foo\"; user may not be set; role may not be set)"
        );
        let engine = json!({"spec": {"securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}});
        assert_eq!(
            detail(lv(Level::Baseline, Some(30)), engine.clone()),
            "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type \"container_engine_t\")"
        );
        assert_eq!(detail(lv(Level::Baseline, Some(31)), engine), "");
    }

    #[test]
    fn seccomp_annotations_before_1_19_and_fields_after() {
        let pod = json!({"metadata": {"annotations": {
                "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
                "container.seccomp.security.alpha.kubernetes.io/a": "docker/default",
                "container.seccomp.security.alpha.kubernetes.io/b": ""}},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}],
                     "securityContext": {"seccompProfile": {"type": "Unconfined"}}}});
        assert_eq!(
            detail(lv(Level::Baseline, Some(18)), pod.clone()),
            "seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/b=\"\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"
        );
        assert_eq!(
            detail(lv(Level::Baseline, Some(19)), pod),
            "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")"
        );
    }

    #[test]
    fn sysctls_per_version() {
        let pod = |name: &str| json!({"spec": {"securityContext": {"sysctls": [{"name": name, "value": "1"}, {"name": "kernel.msgmax", "value": "1"}]}}});
        let cases = [
            ("net.ipv4.ip_local_reserved_ports", 27),
            ("net.ipv4.tcp_keepalive_time", 29),
            ("net.ipv4.tcp_fin_timeout", 29),
            ("net.ipv4.tcp_rmem", 32),
            ("net.ipv4.tcp_wmem", 32),
        ];
        for (name, since) in cases {
            assert_eq!(
                detail(lv(Level::Baseline, Some(since - 1)), pod(name)),
                format!("forbidden sysctls ({name}, kernel.msgmax)")
            );
            assert_eq!(
                detail(lv(Level::Baseline, Some(since)), pod(name)),
                "forbidden sysctls (kernel.msgmax)"
            );
        }
        assert_eq!(
            detail(lv(Level::Baseline, Some(0)), pod("kernel.shm_rmid_forced")),
            "forbidden sysctls (kernel.msgmax)"
        );
    }

    #[test]
    fn windows_host_process() {
        let pod = json!({"spec": {"securityContext": {"windowsOptions": {"hostProcess": true}},
            "containers": [{"name": "a", "securityContext": {"windowsOptions": {"hostProcess": true}}}]}});
        assert_eq!(
            detail(BASELINE, pod),
            "hostProcess (pod and container \"a\" must not set securityContext.windowsOptions.hostProcess=true)"
        );
    }

    #[test]
    fn an_empty_container_violates_each_restricted_check_once() {
        let pod = json!({"spec": {"containers": [{"name": "c"}]}});
        assert_eq!(
            detail(RESTRICTED, pod),
            "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), \
             unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), \
             runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), \
             seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
    }

    #[test]
    fn restricted_capabilities() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CHOWN"]}}},
            {"name": "b", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}});
        let (meta, spec) = (&pod["metadata"], &pod["spec"]);
        let got = evaluate(RESTRICTED, meta, spec);
        let caps = got
            .iter()
            .find(|v| v.reason == "unrestricted capabilities")
            .map(|v| v.detail.clone());
        assert_eq!(
            caps.as_deref(),
            Some("container \"b\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"a\", \"b\" must not include \"CHOWN\", \"SYS_ADMIN\" in securityContext.capabilities.add")
        );
        // Before v1.22, restricted checks capabilities as baseline does.
        let got = evaluate(lv(Level::Restricted, Some(21)), meta, spec);
        assert!(got.iter().any(|v| v.reason == "non-default capabilities"));
        assert!(!got.iter().any(|v| v.reason == "unrestricted capabilities"));
    }

    #[test]
    fn restricted_volumes() {
        let pod = json!({"spec": {"volumes": [
            {"name": "a", "hostPath": {"path": "/"}}, {"name": "b", "nfs": {}},
            {"name": "c", "configMap": {"name": "x"}}, {"name": "d", "image": {"reference": "x"}}]}});
        let (meta, spec) = (&pod["metadata"], &pod["spec"]);
        let got = evaluate(RESTRICTED, meta, spec);
        let vols = got
            .iter()
            .find(|v| v.reason == "restricted volume types")
            .map(|v| v.detail.clone());
        assert_eq!(
            vols.as_deref(),
            Some(
                "volumes \"a\", \"b\", \"d\" use restricted volume types \"hostPath\", \"nfs\", \"unknown\""
            )
        );
        assert!(!got.iter().any(|v| v.reason == "hostPath volumes"));
    }

    #[test]
    fn run_as_non_root_and_run_as_user() {
        let mut pod = restricted_pod();
        pod["spec"]["securityContext"]["runAsUser"] = json!(0);
        pod["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = json!(false);
        pod["spec"]["containers"][0]["securityContext"]["runAsUser"] = json!(0);
        assert_eq!(
            detail(RESTRICTED, pod.clone()),
            "runAsNonRoot != true (container \"c\" must not set securityContext.runAsNonRoot=false), \
             runAsUser=0 (pod and container \"c\" must not set runAsUser=0)"
        );
        // runAsUser is checked from v1.23 on.
        assert_eq!(
            detail(lv(Level::Restricted, Some(22)), pod),
            "runAsNonRoot != true (container \"c\" must not set securityContext.runAsNonRoot=false)"
        );
    }

    #[test]
    fn windows_pods_skip_linux_only_checks_from_1_25() {
        let pod = json!({"spec": {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "c"}]}});
        assert_eq!(detail(lv(Level::Restricted, Some(25)), pod.clone()), "");
        assert_eq!(
            detail(lv(Level::Restricted, Some(24)), pod),
            "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), \
             unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), \
             seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
    }

    #[test]
    fn seccomp_restricted() {
        let mut pod = restricted_pod();
        pod["spec"]["securityContext"] = json!({"runAsNonRoot": true});
        pod["spec"]["containers"][0]["securityContext"]["seccompProfile"] = json!({"type": "Localhost"});
        assert_eq!(detail(RESTRICTED, pod.clone()), "");
        pod["spec"]["initContainers"] = json!([{"name": "i", "securityContext": {
            "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]);
        assert_eq!(
            detail(RESTRICTED, pod.clone()),
            "seccompProfile (pod or container \"i\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
        pod["spec"]["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
        assert_eq!(
            detail(RESTRICTED, pod),
            "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")"
        );
    }

    #[test]
    fn versions_beyond_the_newest_evaluate_as_it() {
        let pod = json!({"spec": {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem"}]}}});
        assert_eq!(detail(lv(Level::Baseline, Some(99)), pod.clone()), "");
        assert_eq!(
            detail(lv(Level::Baseline, Some(31)), pod),
            "forbidden sysctls (net.ipv4.tcp_rmem)"
        );
    }
}
