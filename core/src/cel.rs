//! CEL as kube-apiserver evaluates it, in one environment for every user of it (match
//! conditions of webhooks and authorizers, ValidatingAdmissionPolicy, and the structured
//! configurations): the CEL language with the Kubernetes libraries, values converted from
//! JSON as kube's unstructured objects convert, and a parser or interpreter that panics on
//! some input turned into an error, never a crash.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use kube_cel::cel::objects::{Key, Map};
use kube_cel::KubeCelExt;
use serde_json::Value as Json;

pub use kube_cel::cel::{Context, Program, Value};

/// Compiles `expr`; `Err` is the parser's message.
pub fn compile(expr: &str) -> Result<Program, String> {
    match catch_unwind(|| Program::compile(expr)) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("Syntax error: the expression does not parse".into()),
    }
}

/// An environment with the Kubernetes libraries and no variables yet.
pub fn context() -> Context<'static> {
    Context::default().with_all()
}

/// Runs `program` in `context`; `Err` is the interpreter's message.
pub fn execute(program: &Program, context: &Context<'_>) -> Result<Value, String> {
    match catch_unwind(AssertUnwindSafe(|| program.execute(context))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the expression could not be evaluated".into()),
    }
}

/// The variables an expression refers to.
pub fn variables(program: &Program) -> Vec<String> {
    program
        .references()
        .variables()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// A JSON value as CEL sees it: integers stay integers, other numbers are doubles.
pub fn value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(items.iter().map(value).collect())),
        Json::Object(fields) => {
            let map: HashMap<Key, Value> = fields
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), value(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// A CEL value as JSON, where it has a JSON form (a messageExpression's string, an
/// audit annotation's value); `None` for functions and opaque values.
pub fn to_json(v: &Value) -> Option<Json> {
    Some(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::UInt(u) => Json::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f).map(Json::Number)?,
        Value::String(s) => Json::String(s.to_string()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.map.iter() {
                let key = match k {
                    Key::String(s) => s.to_string(),
                    Key::Int(i) => i.to_string(),
                    Key::Uint(u) => u.to_string(),
                    Key::Bool(b) => b.to_string(),
                };
                out.insert(key, to_json(v)?);
            }
            Json::Object(out)
        }
        _ => return None,
    })
}

/// kube's name of a value's type, for "eval result type should be bool but got ..." texts.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Int(_) => "int",
        Value::UInt(_) => "uint",
        Value::Float(_) => "double",
        Value::String(_) => "string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "bool",
        Value::Null => "null_type",
        Value::Duration(_) => "google.protobuf.Duration",
        Value::Timestamp(_) => "google.protobuf.Timestamp",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: &str, vars: &[(&str, Json)]) -> Result<Value, String> {
        let p = compile(expr)?;
        let mut cx = context();
        for (k, v) in vars {
            cx.add_variable_from_value(*k, value(v));
        }
        execute(&p, &cx)
    }

    #[test]
    fn kubernetes_libraries_are_there() {
        let obj = json!({"metadata": {"name": "web-1", "labels": {"app": "web"}}, "spec": {"replicas": 3, "cpu": "500m"}});
        let t = |e: &str| eval(e, &[("object", obj.clone())]);
        assert!(matches!(t("object.spec.replicas <= 5"), Ok(Value::Bool(true))));
        assert!(matches!(
            t("object.metadata.name.startsWith('web')"),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            t("'app' in object.metadata.labels"),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            t("quantity(object.spec.cpu).isLessThan(quantity('1'))"),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            t("object.metadata.name.matches('^web-[0-9]+$')"),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(t("isURL('https://example.com')"), Ok(Value::Bool(true))));
        assert!(t("object.spec.missing == 1").is_err());
    }

    #[test]
    fn bad_input_is_an_error_not_a_crash() {
        for e in ["", "(((", "a.b.", "1 +", "'unterminated", "}{", "[1,2"] {
            assert!(compile(e).is_err(), "{e}");
        }
        assert_eq!(
            to_json(&value(&json!({"a": [1, "x", null, true, 1.5]}))),
            Some(json!({"a": [1, "x", null, true, 1.5]}))
        );
    }
}
