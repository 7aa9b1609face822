//! A webhook's `matchConditions`: CEL expressions over `object`, `oldObject` and `request`
//! (the AdmissionRequest) that must all be true for the webhook to be called. As kube's
//! matcher: a false condition skips the webhook even when another failed; failures with
//! none false follow the webhook's failure policy (Fail refuses the request, Ignore skips
//! the webhook). Compiled programs are kept by expression, as configurations are read
//! from the cache at every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::cel::{self, Program, Value as Cel};
use serde_json::Value;

use super::hooks::Hook;
use super::matching::{self, Invocation};
use super::review;
use crate::admission::Request;

/// Most programs kept; past it the store starts over.
const MAX_KEPT: usize = 1024;

/// Compiled expressions, by expression.
#[derive(Default)]
pub struct Programs {
    compiled: Mutex<HashMap<String, Arc<Program>>>,
}

impl Programs {
    fn get(&self, expr: &str) -> Result<Arc<Program>, String> {
        let mut compiled = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = compiled.get(expr) {
            return Ok(p.clone());
        }
        let program = Arc::new(cel::compile(expr)?);
        if compiled.len() >= MAX_KEPT {
            compiled.clear();
        }
        compiled.insert(expr.to_string(), program.clone());
        Ok(program)
    }
}

/// What the conditions say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Call the webhook.
    Match,
    /// Do not.
    Skip,
    /// Refuse the request with this error (failure policy Fail).
    Failed(String),
}

/// Judges `hook`'s conditions on `request` as `invocation` sees it.
pub fn matches(hook: &Hook, request: &Request, invocation: &Invocation, programs: &Programs) -> Outcome {
    let convert = |o: &Option<Value>| -> Result<Value, String> {
        match o {
            Some(o) => matching::convert(request, invocation, o).map_err(|e| e.message),
            None => Ok(Value::Null),
        }
    };
    let vars = convert(&request.object).and_then(|object| {
        let old = convert(&request.old_object)?;
        let ar = review::admission_request("", request, invocation, None, None);
        Ok((object, old, ar))
    });
    let outcome = match vars {
        Ok((object, old, ar)) => evaluate(&hook.conditions, &object, &old, &ar, programs),
        Err(e) => Err(vec![e]),
    };
    match outcome {
        Ok(true) => Outcome::Match,
        Ok(false) => Outcome::Skip,
        Err(_) if hook.fail_open => Outcome::Skip,
        Err(errors) => Outcome::Failed(crate::authz::aggregate(&errors)),
    }
}

/// `Ok(false)` when a condition is false, `Ok(true)` when all are true, else the errors.
fn evaluate(
    conditions: &[(String, String)],
    object: &Value,
    old: &Value,
    request: &Value,
    programs: &Programs,
) -> Result<bool, Vec<String>> {
    let mut context = cel::context();
    for (name, value) in [("object", object), ("oldObject", old), ("request", request)] {
        context.add_variable_from_value(name, cel::value(value));
    }
    let mut errors = Vec::new();
    for (_, expr) in conditions {
        let program = match programs.get(expr) {
            Ok(p) => p,
            Err(e) => {
                errors.push(format!("compilation failed: {e}"));
                continue;
            }
        };
        match cel::execute(&program, &context) {
            Ok(Cel::Bool(true)) => {}
            Ok(Cel::Bool(false)) => return Ok(false),
            Ok(other) => errors.push(format!(
                "expression '{expr}' resulted in error: no such overload: {} is not a bool",
                cel::type_name(&other)
            )),
            Err(e) => errors.push(format!("expression '{expr}' resulted in error: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(true)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(exprs: &[&str], object: Value) -> Result<bool, Vec<String>> {
        let conditions: Vec<(String, String)> =
            exprs.iter().map(|e| (String::new(), e.to_string())).collect();
        let request = json!({"operation": "CREATE", "namespace": "ns", "userInfo": {"username": "jane"}});
        evaluate(&conditions, &object, &Value::Null, &request, &Programs::default())
    }

    #[test]
    fn conditions_over_object_and_request() {
        let pod = json!({"metadata": {"name": "p", "labels": {"skip": "yes"}}});
        assert_eq!(eval(&["request.operation == 'CREATE'"], pod.clone()), Ok(true));
        assert_eq!(
            eval(
                &["!has(object.metadata.labels) || !('skip' in object.metadata.labels)"],
                pod.clone()
            ),
            Ok(false)
        );
        assert_eq!(
            eval(
                &["oldObject == null", "request.userInfo.username == 'jane'"],
                pod.clone()
            ),
            Ok(true)
        );
        // A false condition wins over an error.
        assert_eq!(eval(&["object.spec.x == 1", "false"], pod.clone()), Ok(false));
        let e = eval(&["object.spec.x == 1"], pod).unwrap_err();
        assert!(
            e[0].starts_with("expression 'object.spec.x == 1' resulted in error"),
            "{e:?}"
        );
    }

    #[test]
    fn programs_are_kept_by_expression() {
        let programs = Programs::default();
        let a = programs.get("true").unwrap();
        let b = programs.get("true").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(programs.get("1 +").is_err());
    }
}
