//! Printers for batch/v1 Job and CronJob.

use serde_json::Value;

use super::duration::human_duration;
use super::fields::{at, int_at, items, name, opt_bool_at, opt_int_at, opt_str_at, present, str_at};
use super::labels::format_label_selector;
use super::timestamp::{since, time_of, Time};
use super::{age, col, container_cells, wide, Column, AGE, CONTAINERS, IMAGES, NAME};

const SELECTOR: Column = wide(col(
    "Selector",
    "string",
    "Label query over the pods the job runs.",
));

/// Columns of `kubectl get jobs`.
pub(super) const JOB_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "Status of the job."),
    col(
        "Completions",
        "string",
        "Succeeded pods out of the completions wanted.",
    ),
    col("Duration", "string", "Time required to complete the job."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

/// NAME, STATUS, COMPLETIONS, DURATION, AGE | CONTAINERS, IMAGES, SELECTOR.
pub(super) fn job_cells(job: &Value, now: i64) -> Vec<Value> {
    let [names, images] = container_cells(at(job, &["spec", "template", "spec"]));
    vec![
        name(job),
        Value::from(job_status(job)),
        Value::from(completions(job)),
        Value::from(job_duration(job, now)),
        age(job, now),
        names,
        images,
        Value::from(format_label_selector(at(job, &["spec", "selector"]))),
    ]
}

/// The first condition of a type decides whether the job has it.
fn has_condition(job: &Value, type_: &str) -> bool {
    items(job, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == type_)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

/// Complete, Failed, Terminating, Suspended, FailureTarget or Running, in
/// that order of precedence.
fn job_status(job: &Value) -> &'static str {
    if has_condition(job, "Complete") {
        "Complete"
    } else if has_condition(job, "Failed") {
        "Failed"
    } else if present(job, &["metadata", "deletionTimestamp"]) {
        "Terminating"
    } else if has_condition(job, "Suspended") {
        "Suspended"
    } else if has_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

/// "succeeded/completions"; a work queue job (no completions) shows "/1",
/// with " of N" when it runs N > 1 pods in parallel.
fn completions(job: &Value) -> String {
    let succeeded = int_at(job, &["status", "succeeded"]);
    if let Some(c) = opt_int_at(job, &["spec", "completions"]) {
        return format!("{succeeded}/{c}");
    }
    match int_at(job, &["spec", "parallelism"]) {
        p if p > 1 => format!("{succeeded}/1 of {p}"),
        _ => format!("{succeeded}/1"),
    }
}

/// Empty until started; then time since start, or start to completion.
fn job_duration(job: &Value, now: i64) -> String {
    let Some(start) = time_of(at(job, &["status", "startTime"])) else {
        return String::new();
    };
    let end = time_of(at(job, &["status", "completionTime"])).unwrap_or(Time::from_secs(now));
    human_duration(start.secs_until(end))
}

/// Columns of `kubectl get cronjobs`.
pub(super) const CRON_JOB_COLUMNS: &[Column] = &[
    NAME,
    col("Schedule", "string", "The schedule in Cron format."),
    col(
        "Timezone",
        "string",
        "The time zone the schedule is interpreted in.",
    ),
    col("Suspend", "boolean", "Whether subsequent runs are suspended."),
    col("Active", "integer", "Number of currently running jobs."),
    col("Last Schedule", "string", "When a job was last scheduled."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

/// NAME, SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE, AGE |
/// CONTAINERS, IMAGES, SELECTOR.
pub(super) fn cron_job_cells(cj: &Value, now: i64) -> Vec<Value> {
    let job_spec = at(cj, &["spec", "jobTemplate", "spec"]);
    let [names, images] = container_cells(job_spec.and_then(|s| at(s, &["template", "spec"])));
    let time_zone = opt_str_at(cj, &["spec", "timeZone"]).unwrap_or("<none>");
    // `suspend` defaults to false, so every stored CronJob has it set.
    let suspend = if opt_bool_at(cj, &["spec", "suspend"]).unwrap_or(false) {
        "True"
    } else {
        "False"
    };
    let last_schedule = if present(cj, &["status", "lastScheduleTime"]) {
        since(at(cj, &["status", "lastScheduleTime"]), now)
    } else {
        "<none>".to_owned()
    };
    vec![
        name(cj),
        Value::from(str_at(cj, &["spec", "schedule"])),
        Value::from(time_zone),
        Value::from(suspend),
        Value::from(items(cj, &["status", "active"]).len()),
        Value::from(last_schedule),
        age(cj, now),
        names,
        images,
        Value::from(format_label_selector(job_spec.and_then(|s| at(s, &["selector"])))),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::{json, Value};

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    fn job(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "pi", "creationTimestamp": "2024-05-01T09:50:00Z"},
               "spec": spec, "status": status})
    }

    fn head(j: &Value) -> Vec<Value> {
        row_cells("batch", "Job", j, NOW)[1..4].to_vec()
    }

    #[test]
    fn complete_job_full_row() {
        let j = json!({
            "metadata": {"name": "pi", "creationTimestamp": "2024-05-01T09:50:00Z"},
            "spec": {"completions": 1, "parallelism": 1,
                     "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}},
                     "template": {"spec": {"containers": [{"name": "pi", "image": "perl:5.34"}]}}},
            "status": {"succeeded": 1, "startTime": "2024-05-01T09:50:00Z",
                       "completionTime": "2024-05-01T09:50:42Z",
                       "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                      {"type": "Complete", "status": "True"}]}
        });
        assert_eq!(
            row_cells("batch", "Job", &j, NOW),
            vec![
                json!("pi"),
                json!("Complete"),
                json!("1/1"),
                json!("42s"),
                json!("10m"),
                json!("pi"),
                json!("perl:5.34"),
                json!("batch.kubernetes.io/controller-uid=abc")
            ]
        );
    }

    #[test]
    fn statuses() {
        let with = |conds: Value| job(json!({"completions": 3}), json!({"conditions": conds}));
        assert_eq!(head(&with(json!([])))[0], json!("Running"));
        assert_eq!(
            head(&with(json!([{"type": "Failed", "status": "True"}])))[0],
            json!("Failed")
        );
        assert_eq!(
            head(&with(json!([{"type": "Suspended", "status": "True"}])))[0],
            json!("Suspended")
        );
        assert_eq!(
            head(&with(json!([{"type": "Suspended", "status": "False"}])))[0],
            json!("Running")
        );
        assert_eq!(
            head(&with(json!([{"type": "FailureTarget", "status": "True"}])))[0],
            json!("FailureTarget")
        );
        // Only the first condition of a type counts.
        assert_eq!(
            head(&with(
                json!([{"type": "Complete", "status": "False"}, {"type": "Complete", "status": "True"}])
            ))[0],
            json!("Running")
        );
        let mut deleting = with(json!([{"type": "Suspended", "status": "True"}]));
        deleting["metadata"]["deletionTimestamp"] = json!("2024-05-01T09:59:00Z");
        assert_eq!(head(&deleting)[0], json!("Terminating"));
        let mut failed = with(json!([{"type": "Failed", "status": "True"}]));
        failed["metadata"]["deletionTimestamp"] = json!("2024-05-01T09:59:00Z");
        assert_eq!(head(&failed)[0], json!("Failed"));
    }

    #[test]
    fn completions_and_duration() {
        assert_eq!(
            head(&job(json!({"completions": 5}), json!({"succeeded": 2})))[1],
            json!("2/5")
        );
        assert_eq!(
            head(&job(json!({"parallelism": 4}), json!({"succeeded": 1})))[1],
            json!("1/1 of 4")
        );
        assert_eq!(head(&job(json!({"parallelism": 1}), json!({})))[1], json!("0/1"));
        assert_eq!(head(&job(json!({}), json!({})))[1..], [json!("0/1"), json!("")]);
        let running = job(json!({}), json!({"startTime": "2024-05-01T09:56:30Z"}));
        assert_eq!(head(&running)[2], json!("3m30s"));
    }

    #[test]
    fn cron_job() {
        let cj = json!({
            "metadata": {"name": "backup", "creationTimestamp": "2024-04-24T10:00:00Z"},
            "spec": {"schedule": "*/5 * * * *", "timeZone": "Etc/UTC", "suspend": true,
                     "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                         {"name": "backup", "image": "restic:0.16"}]}}}}},
            "status": {"active": [{"name": "backup-1"}], "lastScheduleTime": "2024-05-01T09:55:00Z"}
        });
        assert_eq!(
            row_cells("batch", "CronJob", &cj, NOW),
            vec![
                json!("backup"),
                json!("*/5 * * * *"),
                json!("Etc/UTC"),
                json!("True"),
                json!(1),
                json!("5m"),
                json!("7d"),
                json!("backup"),
                json!("restic:0.16"),
                json!("<none>")
            ]
        );
        let fresh = json!({"metadata": {"name": "c"}, "spec": {"schedule": "@hourly"}});
        assert_eq!(
            row_cells("batch", "CronJob", &fresh, NOW)[1..7],
            [
                json!("@hourly"),
                json!("<none>"),
                json!("False"),
                json!(0),
                json!("<none>"),
                json!("<unknown>")
            ]
        );
    }
}
