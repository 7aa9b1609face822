//! Match conditions of an authorization webhook: CEL expressions over `request` (the
//! authorization.k8s.io/v1 SubjectAccessReviewSpec of the request) that must all hold for
//! the webhook to be asked. As in kube: the first condition that is false skips the webhook
//! (no opinion) even if an earlier one failed; failures with none false are an error, which
//! the webhook's failure policy turns into its decision.
//!
//! Expressions are compiled when the configuration is read, and may refer to `request`
//! alone.

use std::sync::Arc;

use crate::cel::{self, Program, Value as Cel};
use serde_json::Value;

use crate::validation::FieldError;

/// At most this many conditions per webhook.
pub const MAX: usize = 64;

/// A webhook's compiled conditions.
#[derive(Clone, Default)]
pub struct MatchConditions {
    programs: Vec<(String, Arc<Program>)>,
}

impl std::fmt::Debug for MatchConditions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.programs.iter().map(|(e, _)| e))
            .finish()
    }
}

/// What the conditions say of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matched {
    /// All hold: ask the webhook.
    Yes,
    /// One does not: skip it.
    No,
    /// None is false, but some could not be evaluated.
    Failed(String),
}

impl MatchConditions {
    /// Compiles `expressions`, refused as kube refuses them under `path`
    /// (`authorizers[0].matchConditions`).
    pub fn compile(expressions: &[String], path: &str) -> Result<MatchConditions, Vec<FieldError>> {
        if expressions.len() > MAX {
            return Err(vec![FieldError::too_many(path, expressions.len(), MAX)]);
        }
        let mut errs = Vec::new();
        let mut programs: Vec<(String, Arc<Program>)> = Vec::new();
        for (j, expr) in expressions.iter().enumerate() {
            let field = format!("{path}[{j}].expression");
            if expr.trim().is_empty() {
                errs.push(FieldError::required(&field, ""));
                continue;
            }
            if programs.iter().any(|(e, _)| e == expr) {
                errs.push(FieldError::duplicate(&field, expr.as_str()));
                continue;
            }
            match cel::compile(expr) {
                Err(e) => errs.push(FieldError::invalid(
                    &field,
                    expr.as_str(),
                    &format!("compilation failed: ERROR: <input>: {e}"),
                )),
                Ok(p) => {
                    if let Some(other) = cel::variables(&p).into_iter().find(|v| v != "request") {
                        errs.push(FieldError::invalid(
                            &field,
                            expr.as_str(),
                            &format!(
                                "compilation failed: ERROR: <input>: undeclared reference to '{other}' (in container '')"
                            ),
                        ));
                    } else {
                        programs.push((expr.clone(), Arc::new(p)));
                    }
                }
            }
        }
        if errs.is_empty() {
            Ok(MatchConditions { programs })
        } else {
            Err(errs)
        }
    }

    /// Whether there are none (every request matches).
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }

    /// Judges the request whose SubjectAccessReviewSpec (v1) is `spec`.
    pub fn matches(&self, spec: &Value) -> Matched {
        if self.programs.is_empty() {
            return Matched::Yes;
        }
        let mut context = cel::context();
        context.add_variable_from_value("request", cel::value(spec));
        let mut errors = Vec::new();
        for (expr, program) in &self.programs {
            match cel::execute(program, &context) {
                Ok(Cel::Bool(true)) => {}
                Ok(Cel::Bool(false)) => return Matched::No,
                Ok(other) => errors.push(format!(
                    "cel evaluation error: expression '{expr}' eval result type should be bool but got {}",
                    cel::type_name(&other)
                )),
                Err(e) => errors.push(format!(
                    "cel evaluation error: expression '{expr}' resulted in error: {e}"
                )),
            }
        }
        if errors.is_empty() {
            Matched::Yes
        } else {
            Matched::Failed(super::aggregate(&errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn compile(exprs: &[&str]) -> Result<MatchConditions, Vec<String>> {
        let exprs: Vec<String> = exprs.iter().map(|e| e.to_string()).collect();
        MatchConditions::compile(&exprs, "authorizers[0].matchConditions")
            .map_err(|e| e.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn conditions_as_kube_judges_them() {
        let m = compile(&[
            "has(request.resourceAttributes)",
            "request.resourceAttributes.namespace == 'kube-system'",
            "!('system:masters' in request.groups)",
        ])
        .unwrap();
        let spec = |ns: &str, groups: Value| {
            json!({"resourceAttributes": {"namespace": ns, "verb": "get", "group": "", "version": "v1",
                   "resource": "pods", "subresource": "", "name": ""},
                   "user": "u", "groups": groups, "extra": {}, "uid": ""})
        };
        assert_eq!(m.matches(&spec("kube-system", json!(["devs"]))), Matched::Yes);
        assert_eq!(m.matches(&spec("default", json!(["devs"]))), Matched::No);
        assert_eq!(
            m.matches(&spec("kube-system", json!(["system:masters"]))),
            Matched::No
        );
        // A path: the first condition is false, so the error of the second does not count.
        let path = json!({"nonResourceAttributes": {"path": "/healthz", "verb": "get"}, "user": "u", "groups": [], "extra": {}, "uid": ""});
        assert_eq!(m.matches(&path), Matched::No);
        // Without the has() guard, reading the missing field is an error.
        let unguarded = compile(&["request.resourceAttributes.namespace == 'x'"]).unwrap();
        assert!(matches!(unguarded.matches(&path), Matched::Failed(_)));
        let not_bool = compile(&["request.user"]).unwrap();
        assert!(matches!(not_bool.matches(&path), Matched::Failed(e) if e.contains("should be bool")));
    }

    #[test]
    fn bad_conditions_are_refused_at_load() {
        assert_eq!(
            compile(&["  "]).unwrap_err(),
            ["authorizers[0].matchConditions[0].expression: Required value"]
        );
        assert_eq!(
            compile(&["request.user == 'a'", "request.user == 'a'"]).unwrap_err(),
            ["authorizers[0].matchConditions[1].expression: Duplicate value: \"request.user == 'a'\""]
        );
        let e = compile(&["test"]).unwrap_err();
        assert!(e[0].contains("undeclared reference to 'test'"), "{e:?}");
        let e = compile(&["request.user =="]).unwrap_err();
        assert!(e[0].contains("compilation failed"), "{e:?}");
        let many: Vec<String> = (0..65).map(|i| format!("request.user != '{i}'")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            compile(&many).unwrap_err(),
            ["authorizers[0].matchConditions: Too many: 65: must have at most 64 items"]
        );
    }
}
