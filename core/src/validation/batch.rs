//! batch/v1 Job and CronJob.

use super::cron::parse_schedule;
use super::field_error::{go_label_selector, go_string_map, FieldError};
use super::metadata::{
    selector_matches, selector_template_mismatch, validate_label_selector, FIELD_IMMUTABLE, IS_NEGATIVE,
};
use super::pod::validate_pod_template_spec;
use super::value::{get, get_path, map_of, opt_i64, opt_str, semantic_eq, str_of, Path};
use serde_json::{Map, Value};

/// Template label naming the Job (legacy form).
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";
/// Template label naming the Job.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
/// Template label carrying the Job's uid (legacy form).
pub const LEGACY_CONTROLLER_UID_LABEL: &str = "controller-uid";
/// Template label carrying the Job's uid; the generated selector matches it.
pub const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";

fn nonneg(obj: &Value, key: &str, path: &Path, errs: &mut Vec<FieldError>) {
    if let Some(n) = opt_i64(obj, key) {
        if n < 0 {
            errs.push(FieldError::invalid(path.child(key).as_str(), n, IS_NEGATIVE));
        }
    }
}

/// `validateJobSpec`: the parts shared by Jobs and CronJob job templates.
fn validate_job_spec_common(spec: &Value, sp: &Path, errs: &mut Vec<FieldError>) {
    for key in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ] {
        nonneg(spec, key, sp, errs);
    }
    if let Some(mode) = opt_str(spec, "completionMode") {
        if mode != "NonIndexed" && mode != "Indexed" {
            errs.push(FieldError::not_supported(
                sp.child("completionMode").as_str(),
                mode,
                &["NonIndexed", "Indexed"],
            ));
        }
        if mode == "Indexed" {
            if opt_i64(spec, "completions").is_none() {
                errs.push(FieldError::required(
                    sp.child("completions").as_str(),
                    "when completion mode is Indexed",
                ));
            }
            if let Some(p) = opt_i64(spec, "parallelism") {
                if p > 100_000 {
                    errs.push(FieldError::invalid(
                        sp.child("parallelism").as_str(),
                        p,
                        "must be less than or equal to 100000 when completion mode is Indexed",
                    ));
                }
            }
        }
    }
    let tp = sp.child("template");
    errs.extend(validate_pod_template_spec(get(spec, "template"), &tp));
    let rp = get_path(spec, &["template", "spec", "restartPolicy"])
        .and_then(Value::as_str)
        .unwrap_or("");
    let rp_path = tp.child("spec").child("restartPolicy");
    if rp == "Always" || rp.is_empty() {
        errs.push(FieldError::required(
            rp_path.as_str(),
            "valid values: \"OnFailure\", \"Never\"",
        ));
    } else if rp != "OnFailure" && rp != "Never" {
        errs.push(FieldError::not_supported(
            rp_path.as_str(),
            rp,
            &["OnFailure", "Never"],
        ));
    }
}

fn template_labels(spec: &Value) -> Option<&Map<String, Value>> {
    get_path(spec, &["template", "metadata"]).and_then(|m| map_of(m, "labels"))
}

fn has_label(spec: &Value, key: &str, expected: &str, errs: &mut Vec<FieldError>) {
    let path = Path::new("spec")
        .child("template")
        .child("metadata")
        .child("labels")
        .key(key);
    let labels = template_labels(spec);
    match labels.and_then(|l| l.get(key)).and_then(Value::as_str) {
        None => errs.push(FieldError::required(
            path.as_str(),
            &format!("must be '{expected}'"),
        )),
        Some(v) if v != expected => {
            let all = labels.map(|l| Value::Object(l.clone()));
            errs.push(FieldError::invalid_rendered(
                path.as_str(),
                go_string_map(all.as_ref()),
                &format!("must be '{expected}'"),
            ));
        }
        Some(_) => {}
    }
}

/// `ValidateGeneratedSelector`: unless `manualSelector` is set, the selector
/// and template labels must be the ones the server generated.
fn validate_generated_selector(obj: &Value, errs: &mut Vec<FieldError>) {
    let null = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&null);
    if get(spec, "manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    let Some(sel) = get(spec, "selector").filter(|s| !s.is_null()) else {
        return;
    };
    let meta = get(obj, "metadata").unwrap_or(&null);
    let uid = str_of(meta, "uid");
    let name = str_of(meta, "name");
    if uid.is_empty() {
        errs.push(FieldError::required("metadata.uid", ""));
    }
    has_label(spec, CONTROLLER_UID_LABEL, uid, errs);
    has_label(spec, JOB_NAME_LABEL, name, errs);
    has_label(spec, LEGACY_CONTROLLER_UID_LABEL, uid, errs);
    has_label(spec, LEGACY_JOB_NAME_LABEL, name, errs);
    let mut expected = Map::new();
    for (k, v) in [
        (LEGACY_CONTROLLER_UID_LABEL, uid),
        (CONTROLLER_UID_LABEL, uid),
        (LEGACY_JOB_NAME_LABEL, name),
        (JOB_NAME_LABEL, name),
    ] {
        expected.insert(k.to_string(), Value::from(v));
    }
    if validate_label_selector(Some(sel), &Path::new("spec").child("selector")).is_empty()
        && !selector_matches(Some(sel), Some(&expected))
    {
        errs.push(FieldError::invalid_rendered(
            "spec.selector",
            go_label_selector(Some(sel)),
            "`selector` not auto-generated",
        ));
    }
}

fn validate_job_spec(spec: &Value, errs: &mut Vec<FieldError>) {
    let sp = Path::new("spec");
    validate_job_spec_common(spec, &sp, errs);
    let sel = get(spec, "selector").filter(|s| !s.is_null());
    let sel_ok = match sel {
        None => {
            errs.push(FieldError::required(sp.child("selector").as_str(), ""));
            true
        }
        Some(s) => {
            let e = validate_label_selector(Some(s), &sp.child("selector"));
            let ok = e.is_empty();
            errs.extend(e);
            ok
        }
    };
    if sel_ok {
        errs.extend(selector_template_mismatch(
            sel,
            get(spec, "template"),
            &sp.child("template"),
        ));
    }
}

/// Job create rules.
pub fn validate_job(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_generated_selector(obj, &mut errs);
    let null = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&null);
    validate_job_spec(spec, &mut errs);
    if opt_str(spec, "completionMode") == Some("Indexed") {
        if let Some(c) = opt_i64(spec, "completions").filter(|c| *c > 0) {
            let name = get(obj, "metadata").map(|m| str_of(m, "name")).unwrap_or("");
            let host = format!("{name}-{}", c - 1);
            if !super::names::is_dns1123_label(&host) {
                errs.push(FieldError::invalid(
                    "metadata.name",
                    name,
                    &format!("will not able to create pod with invalid DNS label: {host}"),
                ));
            }
        }
    }
    errs
}

/// Job update rules: selector, template, completions and completionMode are frozen.
pub fn validate_job_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    let ns = get(new, "spec").unwrap_or(&null);
    let os = get(old, "spec").unwrap_or(&null);
    validate_job_spec(ns, &mut errs);
    if !semantic_eq(get(ns, "completions"), get(os, "completions")) {
        let v = get(ns, "completions")
            .cloned()
            .unwrap_or_else(|| Value::from("null"));
        errs.push(FieldError::invalid("spec.completions", v, FIELD_IMMUTABLE));
    }
    if !semantic_eq(get(ns, "selector"), get(os, "selector")) {
        errs.push(FieldError::invalid_rendered(
            "spec.selector",
            go_label_selector(get(ns, "selector")),
            FIELD_IMMUTABLE,
        ));
    }
    if !semantic_eq(get(ns, "template"), get(os, "template")) {
        errs.push(FieldError::invalid_rendered(
            "spec.template",
            "core.PodTemplateSpec{...}".to_string(),
            FIELD_IMMUTABLE,
        ));
    }
    if !semantic_eq(get(ns, "completionMode"), get(os, "completionMode")) {
        errs.push(FieldError::invalid(
            "spec.completionMode",
            opt_str(ns, "completionMode").unwrap_or("null"),
            FIELD_IMMUTABLE,
        ));
    }
    errs
}

fn validate_cron_job_spec(spec: &Value, errs: &mut Vec<FieldError>) {
    let sp = Path::new("spec");
    let schedule = str_of(spec, "schedule");
    let time_zone = get(spec, "timeZone").filter(|v| !v.is_null());
    if schedule.is_empty() {
        errs.push(FieldError::required(sp.child("schedule").as_str(), ""));
    } else {
        if let Err(e) = parse_schedule(schedule) {
            errs.push(FieldError::invalid(sp.child("schedule").as_str(), schedule, &e));
        }
        if schedule.contains("TZ") && time_zone.is_some() {
            errs.push(FieldError::invalid(
                sp.child("schedule").as_str(),
                schedule,
                "cannot use both timeZone field and TZ or CRON_TZ in schedule",
            ));
        }
    }
    nonneg(spec, "startingDeadlineSeconds", &sp, errs);
    if let Some(tz) = time_zone.and_then(Value::as_str) {
        if tz.is_empty() {
            errs.push(FieldError::invalid(
                sp.child("timeZone").as_str(),
                tz,
                "timeZone must be nil or non-empty string",
            ));
        } else if tz.eq_ignore_ascii_case("local") {
            errs.push(FieldError::invalid(
                sp.child("timeZone").as_str(),
                tz,
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            ));
        } else if !tz
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-' | b'+'))
        {
            errs.push(FieldError::invalid(
                sp.child("timeZone").as_str(),
                tz,
                &format!("unknown time zone {tz}"),
            ));
        }
    }
    match str_of(spec, "concurrencyPolicy") {
        "Allow" | "Forbid" | "Replace" => {}
        "" => errs.push(FieldError::required(sp.child("concurrencyPolicy").as_str(), "")),
        other => errs.push(FieldError::not_supported(
            sp.child("concurrencyPolicy").as_str(),
            other,
            &["Allow", "Forbid", "Replace"],
        )),
    }
    let null = Value::Null;
    let jt_spec = get_path(spec, &["jobTemplate", "spec"]).unwrap_or(&null);
    let jp = sp.child("jobTemplate").child("spec");
    validate_job_spec_common(jt_spec, &jp, errs);
    if let Some(sel) = get(jt_spec, "selector").filter(|s| !s.is_null()) {
        errs.push(FieldError::invalid_rendered(
            jp.child("selector").as_str(),
            go_label_selector(Some(sel)),
            "`selector` will be auto-generated",
        ));
    }
    if get(jt_spec, "manualSelector").and_then(Value::as_bool) == Some(true) {
        errs.push(FieldError::not_supported(
            jp.child("manualSelector").as_str(),
            true,
            &["nil", "false"],
        ));
    }
    nonneg(spec, "successfulJobsHistoryLimit", &sp, errs);
    nonneg(spec, "failedJobsHistoryLimit", &sp, errs);
}

/// CronJob create rules (names are capped at 52 characters).
pub fn validate_cron_job(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    validate_cron_job_spec(get(obj, "spec").unwrap_or(&null), &mut errs);
    let name = get(obj, "metadata").map(|m| str_of(m, "name")).unwrap_or("");
    if name.len() > 52 {
        errs.push(FieldError::invalid(
            "metadata.name",
            name,
            "must be no more than 52 characters",
        ));
    }
    errs
}

/// CronJob update rules (no name length limit, so old objects stay editable).
pub fn validate_cron_job_update(new: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    validate_cron_job_spec(get(new, "spec").unwrap_or(&null), &mut errs);
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{default_object, validate_create, validate_update, FieldError};
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    fn job() -> Value {
        let mut j = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "pi", "namespace": "default", "uid": "u-1"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}}});
        default_object("batch", "Job", &mut j);
        j
    }

    #[test]
    fn realistic_job_is_valid_and_selector_generated() {
        let j = job();
        assert_eq!(
            j["spec"]["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}})
        );
        let errs = validate_create("batch", "Job", &j);
        assert!(errs.is_empty(), "{:?}", msgs(&errs));
    }

    #[test]
    fn job_restart_policy() {
        let mut j = job();
        j["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        assert_eq!(
            msgs(&validate_create("batch", "Job", &j)),
            vec![
                "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""
                    .to_string()
            ]
        );
    }

    #[test]
    fn job_counts_and_selector() {
        let mut j = job();
        j["spec"]["parallelism"] = json!(-1);
        assert_eq!(
            msgs(&validate_create("batch", "Job", &j)),
            vec!["spec.parallelism: Invalid value: -1: must be greater than or equal to 0".to_string()]
        );
        let mut j = job();
        j["spec"]["selector"] = json!({"matchLabels": {"a": "b"}});
        j["spec"]["template"]["metadata"]["labels"]["a"] = json!("b");
        assert_eq!(
            msgs(&validate_create("batch", "Job", &j)),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated".to_string()]
        );
    }

    #[test]
    fn job_template_is_immutable() {
        let old = job();
        let mut new = job();
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("perl:2");
        let errs = validate_update("batch", "Job", &new, &old);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "spec.template");
        assert!(errs[0].message().ends_with(": field is immutable"));
    }

    fn cron(schedule: &str) -> Value {
        let mut c = json!({"metadata": {"name": "hello", "namespace": "default"},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}});
        default_object("batch", "CronJob", &mut c);
        c
    }

    #[test]
    fn cron_job_rules() {
        assert!(validate_create("batch", "CronJob", &cron("*/1 * * * *")).is_empty());
        assert!(validate_create("batch", "CronJob", &cron("@hourly")).is_empty());
        assert_eq!(
            msgs(&validate_create("batch", "CronJob", &cron("61 * * * *"))),
            vec![
                "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"
                    .to_string()
            ]
        );
        assert_eq!(
            msgs(&validate_create("batch", "CronJob", &cron(""))),
            vec!["spec.schedule: Required value".to_string()]
        );
        let mut c = cron("@daily");
        c["spec"]["concurrencyPolicy"] = json!("Sometimes");
        assert_eq!(
            msgs(&validate_create("batch", "CronJob", &c)),
            vec!["spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"".to_string()]
        );
        let mut c = cron("@daily");
        c["metadata"]["name"] = json!("a".repeat(53));
        assert_eq!(
            validate_create("batch", "CronJob", &c)[0].detail,
            "must be no more than 52 characters"
        );
    }
}
