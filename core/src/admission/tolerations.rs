//! Pod tolerations as the admission plugins compare them: whether one tolerates everything
//! another does, merging two lists without redundant entries (kube's
//! `tolerations.MergeTolerations`), and adding one in place of an equal one.

use serde_json::Value;

/// One toleration, its fields as Go's zero values fill them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toleration {
    /// The taint key ("" with `Exists`: every key).
    pub key: String,
    /// `Equal` ("" means the same) or `Exists`.
    pub operator: String,
    /// The value for `Equal`.
    pub value: String,
    /// The effect ("" means every effect).
    pub effect: String,
    /// How long a NoExecute taint is tolerated.
    pub seconds: Option<i64>,
}

impl Toleration {
    /// Reads a toleration from its JSON.
    pub fn of(v: &Value) -> Toleration {
        let s = |f: &str| v.get(f).and_then(Value::as_str).unwrap_or("").to_string();
        Toleration {
            key: s("key"),
            operator: s("operator"),
            value: s("value"),
            effect: s("effect"),
            seconds: v.get("tolerationSeconds").and_then(Value::as_i64),
        }
    }

    /// Whether `self` tolerates every taint `t` tolerates.
    pub fn is_superset_of(&self, t: &Toleration) -> bool {
        if self == t {
            return true;
        }
        let all_keys = self.key.is_empty() && self.operator == "Exists";
        if t.key != self.key && !all_keys {
            return false;
        }
        if t.effect != self.effect && !self.effect.is_empty() {
            return false;
        }
        if self.effect == "NoExecute" {
            if let Some(limit) = self.seconds {
                if t.seconds.is_none_or(|s| s > limit) {
                    return false;
                }
            }
        }
        match self.operator.as_str() {
            "Equal" | "" => t.operator == "Equal" && t.value == self.value,
            "Exists" => true,
            _ => false,
        }
    }
}

/// `first` then `second`, less every toleration another one covers (of equal ones, the
/// first is kept).
pub fn merge(first: &[Value], second: &[Value]) -> Vec<Value> {
    let all: Vec<(&Value, Toleration)> = first
        .iter()
        .chain(second)
        .map(|v| (v, Toleration::of(v)))
        .collect();
    let mut merged: Vec<(&Value, Toleration)> = Vec::new();
    for (i, (v, t)) in all.iter().enumerate() {
        if merged.iter().any(|(_, m)| m.is_superset_of(t)) {
            continue;
        }
        let later_covers = all
            .iter()
            .skip(i + 1)
            .any(|(_, t2)| t2 != t && t2.is_superset_of(t));
        if later_covers {
            continue;
        }
        merged.push((v, t.clone()));
    }
    merged.into_iter().map(|(v, _)| v.clone()).collect()
}

/// Whether two tolerations are the same one for updating (kube's `MatchToleration`: key,
/// operator, value and effect).
pub fn same_toleration(a: &Toleration, b: &Toleration) -> bool {
    a.key == b.key && a.operator == b.operator && a.value == b.value && a.effect == b.effect
}

/// A pod's tolerations, or an empty list.
pub fn of_pod(pod: &Value) -> Vec<Value> {
    pod.pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Sets a pod's tolerations (removing the field when there are none and it had none).
pub fn set_on_pod(pod: &mut Value, list: Vec<Value>) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if list.is_empty() && spec.get("tolerations").is_none_or(Value::is_null) {
        return;
    }
    spec.insert("tolerations".into(), Value::Array(list));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merging_drops_what_another_covers() {
        let first = vec![json!({"key":"a","operator":"Equal","value":"1","effect":"NoSchedule"})];
        let second = vec![
            json!({"key":"a","operator":"Exists"}),
            json!({"key":"b","operator":"Exists","effect":"NoExecute","tolerationSeconds":5}),
            json!({"key":"b","operator":"Exists","effect":"NoExecute","tolerationSeconds":5}),
        ];
        assert_eq!(merge(&first, &second), vec![second[0].clone(), second[1].clone()]);
        // A longer toleration covers a shorter one, not the other way round.
        let long = json!({"key":"b","operator":"Exists","effect":"NoExecute","tolerationSeconds":50});
        assert_eq!(
            merge(&second[1..2], std::slice::from_ref(&long)),
            vec![long.clone()]
        );
        assert_eq!(merge(std::slice::from_ref(&long), &second[1..2]), vec![long]);
        // Everything is covered by the toleration of all taints.
        let all = json!({"operator":"Exists"});
        assert_eq!(merge(&first, std::slice::from_ref(&all)), vec![all]);
    }
}
