//! DeleteOptions as kube-apiserver reads them for delete and deletecollection: from the body
//! when the request has one (the query is then not read at all), else from the query; then
//! checked as `ValidateDeleteOptions` checks them.

use serde_json::Value;

use crate::api::ApiError;
use crate::validation::FieldError;

use super::{body, Call, Params};

/// The options a delete runs with, after validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// `preconditions.uid` (body only).
    pub precondition_uid: Option<String>,
    /// `preconditions.resourceVersion` (body only).
    pub precondition_rv: Option<String>,
    /// `propagationPolicy`, with `orphanDependents` folded in (true: Orphan, false: Background).
    pub propagation: Option<String>,
    /// `gracePeriodSeconds`.
    pub grace_period: Option<i64>,
    /// `dryRun: [All]`.
    pub dry_run: bool,
}

/// The fields of a DeleteOptions as given, before validation.
#[derive(Debug, Default)]
struct Given {
    grace_period: Option<i64>,
    precondition_uid: Option<String>,
    precondition_rv: Option<String>,
    orphan: Option<bool>,
    propagation: Option<String>,
    dry_run: Vec<String>,
}

impl DeleteOptions {
    /// Reads a delete's options from its body, or from its query when the body is empty.
    pub fn parse(call: &Call) -> Result<DeleteOptions, ApiError> {
        let given = if call.body.is_empty() {
            Given::from_query(&call.params)?
        } else {
            let v = body::decode_untyped(&call.content_type, &call.body)?;
            Given::from_body(&v)?
        };
        given.validate()
    }

    /// Reads the `deleteOptions` of an Eviction; `None` when it has none. The dry run is
    /// the caller's to merge with the query's (kube's propagateDryRun).
    pub fn from_value(v: Option<&Value>) -> Result<Option<DeleteOptions>, ApiError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Given::from_body(v)?.validate().map(Some),
        }
    }
}

impl Given {
    /// The query form: every field but the preconditions, which have no query form.
    fn from_query(params: &Params) -> Result<Given, ApiError> {
        let mut g = Given::default();
        for (k, v) in &params.0 {
            match k.as_str() {
                // The first value counts, as in kube's parameter codec.
                "gracePeriodSeconds" if g.grace_period.is_none() => {
                    g.grace_period = Some(v.parse().map_err(|_| {
                        ApiError::bad_request(format!(
                            "strconv.ParseInt: parsing {}: invalid syntax",
                            go_q(v)
                        ))
                    })?);
                }
                "orphanDependents" if g.orphan.is_none() => g.orphan = Some(go_query_bool(v)),
                "propagationPolicy" if g.propagation.is_none() => g.propagation = Some(v.clone()),
                // dryRun is a list: every value counts.
                "dryRun" => g.dry_run.push(v.clone()),
                _ => {}
            }
        }
        Ok(g)
    }

    /// The body form: a DeleteOptions of `meta.k8s.io/v1` or of any group version (kube
    /// registers it unversioned), or one without apiVersion and kind.
    fn from_body(v: &Value) -> Result<Given, ApiError> {
        let Some(m) = v.as_object() else {
            return Err(type_error("", v, "v1.DeleteOptions"));
        };
        let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
        if !kind.is_empty() && kind != "DeleteOptions" {
            let version = m.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            return Err(ApiError::bad_request(format!(
                "no kind {} is registered for version {} in scheme \"k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme/register.go:28\"",
                go_q(kind),
                go_q(version)
            )));
        }
        let mut g = Given::default();
        let field = |name: &str| m.get(name).filter(|v| !v.is_null());
        if let Some(x) = field("gracePeriodSeconds") {
            g.grace_period = Some(
                x.as_i64()
                    .ok_or_else(|| type_error("gracePeriodSeconds", x, "int64"))?,
            );
        }
        if let Some(p) = field("preconditions") {
            let Some(p) = p.as_object() else {
                return Err(type_error("preconditions", p, "v1.Preconditions"));
            };
            for (name, slot) in [
                ("uid", &mut g.precondition_uid),
                ("resourceVersion", &mut g.precondition_rv),
            ] {
                if let Some(x) = p.get(name).filter(|v| !v.is_null()) {
                    let s = x
                        .as_str()
                        .ok_or_else(|| type_error(&format!("preconditions.{name}"), x, "string"))?;
                    *slot = Some(s.to_string());
                }
            }
        }
        if let Some(x) = field("orphanDependents") {
            g.orphan = Some(
                x.as_bool()
                    .ok_or_else(|| type_error("orphanDependents", x, "bool"))?,
            );
        }
        if let Some(x) = field("propagationPolicy") {
            let s = x
                .as_str()
                .ok_or_else(|| type_error("propagationPolicy", x, "v1.DeletionPropagation"))?;
            g.propagation = Some(s.to_string());
        }
        if let Some(x) = field("dryRun") {
            let items = x.as_array().ok_or_else(|| type_error("dryRun", x, "[]string"))?;
            for item in items {
                let s = item
                    .as_str()
                    .ok_or_else(|| type_error("dryRun", item, "string"))?;
                g.dry_run.push(s.to_string());
            }
        }
        Ok(g)
    }

    /// kube's ValidateDeleteOptions: a 422 naming every problem.
    fn validate(self) -> Result<DeleteOptions, ApiError> {
        let mut errs = Vec::new();
        if let (Some(_), Some(p)) = (self.orphan, &self.propagation) {
            errs.push(FieldError::invalid(
                "propagationPolicy",
                p.as_str(),
                "orphanDependents and deletionPropagation cannot be both set",
            ));
        }
        if let Some(p) = &self.propagation {
            if !matches!(p.as_str(), "Foreground" | "Background" | "Orphan") {
                errs.push(FieldError::not_supported(
                    "propagationPolicy",
                    p.as_str(),
                    &["Foreground", "Background", "Orphan", "nil"],
                ));
            }
        }
        let dry_run = dry_run_all(&self.dry_run, &mut errs);
        if !errs.is_empty() {
            return Err(options_invalid("DeleteOptions", &errs));
        }
        let propagation = self.propagation.or_else(|| {
            self.orphan
                .map(|o| if o { "Orphan" } else { "Background" }.to_string())
        });
        Ok(DeleteOptions {
            precondition_uid: self.precondition_uid,
            precondition_rv: self.precondition_rv,
            propagation,
            grace_period: self.grace_period,
            dry_run,
        })
    }
}

/// kube's ValidateDryRun: every value must be `All`. Returns whether the request is a dry run.
pub(super) fn dry_run_all(values: &[String], errs: &mut Vec<FieldError>) -> bool {
    if values.iter().any(|v| v != "All") {
        errs.push(FieldError::not_supported(
            "dryRun",
            Value::from(values.to_vec()),
            &["All"],
        ));
    }
    !values.is_empty()
}

/// The 422 kube answers for invalid request options: `DeleteOptions.meta.k8s.io "" is invalid: ...`.
pub(super) fn options_invalid(kind: &str, errs: &[FieldError]) -> ApiError {
    let message = crate::validation::aggregate_message(&format!("{kind}.meta.k8s.io"), "", errs);
    let causes = errs
        .iter()
        .map(|e| crate::api::Cause {
            reason: e.reason().to_string(),
            message: e.body(),
            field: e.field.clone(),
        })
        .collect();
    ApiError::invalid("meta.k8s.io", kind, "", message, causes)
}

/// A query boolean as kube's parameter codec reads it: only `0` and `false` (any case) are false.
fn go_query_bool(v: &str) -> bool {
    !(v == "0" || v.eq_ignore_ascii_case("false"))
}

fn go_q(s: &str) -> String {
    crate::validation::go_quote(s)
}

/// A body field of the wrong JSON type, worded as Go's JSON decoder words it.
fn type_error(field: &str, got: &Value, go_type: &str) -> ApiError {
    let what = crate::patch::json_kind(got);
    let place = if field.is_empty() {
        format!("Go value of type {go_type}")
    } else {
        format!("Go struct field DeleteOptions.{field} of type {go_type}")
    };
    ApiError::bad_request(format!("json: cannot unmarshal {what} into {place}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::find;

    fn call(query: &str, content_type: &str, body: &[u8]) -> Call {
        Call {
            def: find("", "v1", "configmaps").unwrap().clone().into(),
            served: find("", "v1", "configmaps").unwrap().clone().into(),
            verb: "delete".into(),
            namespace: "default".into(),
            name: "x".into(),
            subresource: String::new(),
            params: Params::parse(query),
            content_type: content_type.into(),
            body: body.to_vec(),
            user: Default::default(),
            user_agent: String::new(),
        }
    }

    fn parse(query: &str, body: &str) -> Result<DeleteOptions, ApiError> {
        DeleteOptions::parse(&call(query, "application/json", body.as_bytes()))
    }

    #[test]
    fn the_body_counts_as_the_query_does() {
        let from_body = parse(
            "",
            r#"{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":5,"propagationPolicy":"Foreground","dryRun":["All"]}"#,
        )
        .unwrap();
        let from_query = parse("gracePeriodSeconds=5&propagationPolicy=Foreground&dryRun=All", "").unwrap();
        assert_eq!(from_body, from_query);
        assert!(from_body.dry_run);
        let meta = parse(
            "",
            r#"{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","dryRun":["All"]}"#,
        )
        .unwrap();
        assert!(meta.dry_run);
        let bare = parse(
            "",
            r#"{"dryRun":["All"],"preconditions":{"uid":"u","resourceVersion":"7"}}"#,
        )
        .unwrap();
        assert!(bare.dry_run);
        assert_eq!(bare.precondition_uid.as_deref(), Some("u"));
        assert_eq!(bare.precondition_rv.as_deref(), Some("7"));
    }

    #[test]
    fn a_body_hides_the_query_as_in_kube() {
        // kube reads the query only when the body is empty.
        let o = parse(
            "dryRun=All&gracePeriodSeconds=3",
            r#"{"propagationPolicy":"Orphan"}"#,
        )
        .unwrap();
        assert!(!o.dry_run);
        assert_eq!(o.grace_period, None);
        assert_eq!(o.propagation.as_deref(), Some("Orphan"));
    }

    #[test]
    fn yaml_and_protobuf_bodies() {
        let yaml = DeleteOptions::parse(&call(
            "",
            "application/yaml",
            b"kind: DeleteOptions\napiVersion: meta.k8s.io/v1\ndryRun: [All]\ngracePeriodSeconds: 0\n",
        ))
        .unwrap();
        assert!(yaml.dry_run);
        assert_eq!(yaml.grace_period, Some(0));
        let pb = crate::codec::protobuf::encode(&serde_json::json!({
            "kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1", "dryRun": ["All"],
            "preconditions": {"uid": "u"}, "orphanDependents": true
        }))
        .unwrap();
        let o = DeleteOptions::parse(&call("", "application/vnd.kubernetes.protobuf", &pb)).unwrap();
        assert!(o.dry_run);
        assert_eq!(o.precondition_uid.as_deref(), Some("u"));
        assert_eq!(o.propagation.as_deref(), Some("Orphan"));
    }

    #[test]
    fn orphan_dependents_folds_into_propagation() {
        assert_eq!(
            parse("orphanDependents=true", "").unwrap().propagation.as_deref(),
            Some("Orphan")
        );
        assert_eq!(
            parse("orphanDependents=0", "").unwrap().propagation.as_deref(),
            Some("Background")
        );
        assert_eq!(
            parse("", r#"{"orphanDependents":false}"#)
                .unwrap()
                .propagation
                .as_deref(),
            Some("Background")
        );
    }

    #[test]
    fn invalid_options_answer_422_as_kube() {
        let e = parse(
            "",
            r#"{"orphanDependents":true,"propagationPolicy":"Foreground"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Foreground\": orphanDependents and deletionPropagation cannot be both set"
        );
        let e = parse("propagationPolicy=Sideways", "").unwrap_err();
        assert_eq!(
            e.message,
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
        );
        let e = parse("", r#"{"dryRun":["Some"]}"#).unwrap_err();
        assert_eq!(
            e.message,
            "DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\""
        );
        assert_eq!(e.causes.len(), 1);
        assert_eq!(e.causes[0].field, "dryRun");
    }

    #[test]
    fn malformed_bodies_answer_400() {
        for body in [
            "{",
            "[]",
            r#"{"dryRun":"All"}"#,
            r#"{"dryRun":[1]}"#,
            r#"{"gracePeriodSeconds":"5"}"#,
            r#"{"preconditions":"u"}"#,
            r#"{"preconditions":{"uid":5}}"#,
            r#"{"orphanDependents":"yes"}"#,
            r#"{"kind":"Pod","apiVersion":"v1"}"#,
            "   ",
        ] {
            let e = parse("", body).unwrap_err();
            assert_eq!(e.code, 400, "{body}: {}", e.message);
        }
        assert_eq!(parse("gracePeriodSeconds=soon", "").unwrap_err().code, 400);
        let e = DeleteOptions::parse(&call("", "text/plain", b"{}")).unwrap_err();
        assert_eq!(e.code, 415);
    }
}
