//! A namespace's `pod-security.kubernetes.io/*` labels read over the configured defaults,
//! as kube reads them: an invalid enforce level enforces `restricted` (fail closed), an
//! invalid audit or warn level is `privileged` (fail open), an invalid version is
//! `latest`; each invalid value is also reported as a field error on the label.

use serde_json::{Map, Value};

use super::level::{Level, Policy, Version};
use crate::validation::FieldError;

/// The label prefix of every Pod Security label.
pub const PREFIX: &str = "pod-security.kubernetes.io/";
/// `pod-security.kubernetes.io/enforce`.
pub const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
/// `pod-security.kubernetes.io/enforce-version`.
pub const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";
/// `pod-security.kubernetes.io/audit`.
pub const AUDIT: &str = "pod-security.kubernetes.io/audit";
/// `pod-security.kubernetes.io/audit-version`.
pub const AUDIT_VERSION: &str = "pod-security.kubernetes.io/audit-version";
/// `pod-security.kubernetes.io/warn`.
pub const WARN: &str = "pod-security.kubernetes.io/warn";
/// `pod-security.kubernetes.io/warn-version`.
pub const WARN_VERSION: &str = "pod-security.kubernetes.io/warn-version";

fn invalid(label: &str, value: &str, why: &str) -> FieldError {
    FieldError::invalid(&format!("metadata.labels[{label}]"), value, why)
}

/// The policy a namespace with `labels` has, given the configured `defaults`, and the
/// errors of its invalid label values.
pub fn policy_to_evaluate(labels: &Map<String, Value>, defaults: &Policy) -> (Policy, Vec<FieldError>) {
    let mut p = *defaults;
    let mut errs = Vec::new();
    let label = |k: &str| labels.get(k).map(|v| v.as_str().unwrap_or(""));
    let level = |key: &str, fail_to: Option<Level>, errs: &mut Vec<FieldError>| {
        label(key).map(|value| match Level::parse(value) {
            Ok(l) => (l, true),
            Err(why) => {
                errs.push(invalid(key, value, why));
                (fail_to.unwrap_or(Level::Restricted), false)
            }
        })
    };
    let version = |key: &str, errs: &mut Vec<FieldError>| {
        label(key).map(|value| {
            Version::parse(value).unwrap_or_else(|why| {
                errs.push(invalid(key, value, why));
                Version::Latest
            })
        })
    };
    let mut enforce_level_valid = false;
    if let Some((l, ok)) = level(ENFORCE, None, &mut errs) {
        p.enforce.level = l;
        enforce_level_valid = ok;
    }
    if let Some(v) = version(ENFORCE_VERSION, &mut errs) {
        p.enforce.version = v;
    }
    if let Some((l, _)) = level(AUDIT, Some(Level::Privileged), &mut errs) {
        p.audit.level = l;
    }
    if let Some(v) = version(AUDIT_VERSION, &mut errs) {
        p.audit.version = v;
    }
    let has_warn_level = labels.contains_key(WARN);
    let has_warn_version = labels.contains_key(WARN_VERSION);
    if let Some((l, _)) = level(WARN, Some(Level::Privileged), &mut errs) {
        p.warn.level = l;
    }
    if let Some(v) = version(WARN_VERSION, &mut errs) {
        p.warn.version = v;
    }
    // A valid enforce label with no warn label also warns at least at the enforce level,
    // so clients hear why a pod would be refused.
    if !has_warn_level && enforce_level_valid && p.enforce.level.compare(p.warn.level).is_gt() {
        p.warn.level = p.enforce.level;
        if !has_warn_version {
            p.warn.version = p.enforce.version;
        }
    }
    (p, errs)
}

#[cfg(test)]
mod tests {
    use super::super::level::LevelVersion;
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn lv(level: Level, version: Version) -> LevelVersion {
        LevelVersion { level, version }
    }

    #[test]
    fn no_labels_is_the_defaults() {
        let (p, errs) = policy_to_evaluate(&Map::new(), &Policy::default());
        assert_eq!(p, Policy::default());
        assert!(errs.is_empty());
    }

    #[test]
    fn enforce_also_warns_unless_warn_is_set() {
        let l = labels(json!({ENFORCE: "baseline", ENFORCE_VERSION: "v1.20"}));
        let (p, _) = policy_to_evaluate(&l, &Policy::default());
        assert_eq!(p.enforce, lv(Level::Baseline, Version::Minor(20)));
        assert_eq!(p.warn, lv(Level::Baseline, Version::Minor(20)));
        assert_eq!(p.audit, LevelVersion::PRIVILEGED);

        let l = labels(json!({ENFORCE: "restricted", WARN: "privileged"}));
        let (p, _) = policy_to_evaluate(&l, &Policy::default());
        assert_eq!(p.warn, LevelVersion::PRIVILEGED);

        let l = labels(json!({ENFORCE: "restricted", WARN_VERSION: "v1.3"}));
        let (p, _) = policy_to_evaluate(&l, &Policy::default());
        assert_eq!(p.warn, lv(Level::Restricted, Version::Minor(3)));
    }

    #[test]
    fn invalid_values_fail_closed_for_enforce_and_open_for_the_rest() {
        let l = labels(json!({ENFORCE: "bogus", AUDIT: "bogus", WARN: "x", WARN_VERSION: "1.2"}));
        let (p, errs) = policy_to_evaluate(&l, &Policy::default());
        assert_eq!(p.enforce.level, Level::Restricted);
        assert_eq!(p.audit.level, Level::Privileged);
        assert_eq!(p.warn, LevelVersion::PRIVILEGED);
        let msgs: Vec<String> = errs.iter().map(FieldError::message).collect();
        assert_eq!(
            msgs,
            vec![
                "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"bogus\": must be one of privileged, baseline, restricted",
                "metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"bogus\": must be one of privileged, baseline, restricted",
                "metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: \"x\": must be one of privileged, baseline, restricted",
                "metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: \"1.2\": must be \"latest\" or \"v1.x\"",
            ]
        );
        // An invalid enforce level does not raise warn.
        let l = labels(json!({ENFORCE: "bogus"}));
        let (p, _) = policy_to_evaluate(&l, &Policy::default());
        assert_eq!(p.warn, LevelVersion::PRIVILEGED);
    }
}
