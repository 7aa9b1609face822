//! Label maps and label selectors rendered as Kubernetes prints them
//! (`labels.FormatLabels`, `LabelSelectorAsSelector(..).String()`,
//! `metav1.FormatLabelSelector`).

use std::fmt;

use serde_json::Value;

/// Why a `metav1.LabelSelector` cannot be turned into a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SelectorError {
    /// A `matchExpressions` operator other than In, NotIn, Exists, DoesNotExist.
    UnknownOperator(String),
    /// Values do not fit the operator (In/NotIn need some, Exists/DoesNotExist none).
    BadValues(String),
    /// A selector, label value or expression that is not of the expected JSON shape.
    Malformed,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOperator(op) => write!(f, "{op:?} is not a valid label selector operator"),
            Self::BadValues(key) => write!(f, "values do not fit the operator for key {key:?}"),
            Self::Malformed => f.write_str("malformed label selector"),
        }
    }
}

/// A label map as "k1=v1,k2=v2" sorted by key; `"<none>"` when empty.
pub(super) fn format_labels(map: Option<&Value>) -> String {
    let mut pairs: Vec<(&str, &str)> = map
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    if pairs.is_empty() {
        return "<none>".to_owned();
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(",")
}

/// `metav1.FormatLabelSelector`: the selector string, `"<none>"` when it
/// selects everything or nothing, `"<error>"` when invalid.
pub(super) fn format_label_selector(sel: Option<&Value>) -> String {
    match selector_string(sel) {
        Ok(s) if s.is_empty() => "<none>".to_owned(),
        Ok(s) => s,
        Err(_) => "<error>".to_owned(),
    }
}

enum Op {
    Equals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

struct Requirement<'a> {
    key: &'a str,
    op: Op,
    values: Vec<&'a str>,
}

impl fmt::Display for Requirement<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(self.op, Op::DoesNotExist) {
            f.write_str("!")?;
        }
        f.write_str(self.key)?;
        let (open, close) = match self.op {
            Op::Exists | Op::DoesNotExist => return Ok(()),
            Op::Equals => ("=", ""),
            Op::In => (" in (", ")"),
            Op::NotIn => (" notin (", ")"),
        };
        // Values are shown sorted so equal selectors print alike.
        let mut values = self.values.clone();
        values.sort_unstable();
        write!(f, "{open}{}{close}", values.join(","))
    }
}

/// `LabelSelectorAsSelector(sel).String()`: requirements sorted by key,
/// joined with ","; empty for a missing (selects nothing) or empty (selects
/// everything) selector.
pub(super) fn selector_string(sel: Option<&Value>) -> Result<String, SelectorError> {
    let Some(sel) = sel.filter(|s| !s.is_null()) else {
        return Ok(String::new());
    };
    let sel = sel.as_object().ok_or(SelectorError::Malformed)?;
    let mut reqs = Vec::new();
    match sel.get("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = v.as_str().ok_or(SelectorError::Malformed)?;
                reqs.push(Requirement {
                    key: k,
                    op: Op::Equals,
                    values: vec![v],
                });
            }
        }
        Some(_) => return Err(SelectorError::Malformed),
    }
    match sel.get("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(exprs)) => {
            for e in exprs {
                reqs.push(expression(e)?);
            }
        }
        Some(_) => return Err(SelectorError::Malformed),
    }
    // Stable, like Go's insertion sort for the small slices selectors have.
    reqs.sort_by(|a, b| a.key.cmp(b.key));
    let parts: Vec<String> = reqs.iter().map(ToString::to_string).collect();
    Ok(parts.join(","))
}

fn expression(e: &Value) -> Result<Requirement<'_>, SelectorError> {
    let key = e
        .get("key")
        .and_then(Value::as_str)
        .ok_or(SelectorError::Malformed)?;
    let operator = e.get("operator").and_then(Value::as_str).unwrap_or("");
    let values = match e.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(vs)) => vs
            .iter()
            .map(|v| v.as_str().ok_or(SelectorError::Malformed))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(SelectorError::Malformed),
    };
    let op = match operator {
        "In" => Op::In,
        "NotIn" => Op::NotIn,
        "Exists" => Op::Exists,
        "DoesNotExist" => Op::DoesNotExist,
        other => return Err(SelectorError::UnknownOperator(other.to_owned())),
    };
    let values_fit = match op {
        Op::In | Op::NotIn => !values.is_empty(),
        Op::Exists | Op::DoesNotExist => values.is_empty(),
        Op::Equals => values.len() == 1,
    };
    if !values_fit {
        return Err(SelectorError::BadValues(key.to_owned()));
    }
    Ok(Requirement { key, op, values })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_maps() {
        assert_eq!(format_labels(None), "<none>");
        assert_eq!(format_labels(Some(&json!({}))), "<none>");
        assert_eq!(
            format_labels(Some(&json!({"tier": "web", "app": "nginx"}))),
            "app=nginx,tier=web"
        );
    }

    #[test]
    fn selectors() {
        assert_eq!(selector_string(None), Ok(String::new()));
        assert_eq!(selector_string(Some(&json!({}))), Ok(String::new()));
        let sel = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "zone", "operator": "NotIn", "values": ["a"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "b", "operator": "Exists"}
            ]
        });
        assert_eq!(
            selector_string(Some(&sel)),
            Ok("app=web,b,!canary,env in (dev,prod),zone notin (a)".to_owned())
        );
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
        assert_eq!(
            format_label_selector(Some(&json!({"matchLabels": {"app": "x"}}))),
            "app=x"
        );
    }

    #[test]
    fn invalid_selectors() {
        let bad_op = json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]});
        assert!(matches!(
            selector_string(Some(&bad_op)),
            Err(SelectorError::UnknownOperator(_))
        ));
        let no_values = json!({"matchExpressions": [{"key": "a", "operator": "In"}]});
        assert_eq!(format_label_selector(Some(&no_values)), "<error>");
        let extra = json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]});
        assert_eq!(format_label_selector(Some(&extra)), "<error>");
        assert_eq!(format_label_selector(Some(&json!("x"))), "<error>");
    }
}
