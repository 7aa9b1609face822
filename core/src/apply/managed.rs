//! `metadata.managedFields`: decoding, encoding, manager identities, and the cap on the
//! number of Update entries.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fieldpath::Set;
use super::fieldsv1;
use crate::printers::parse_rfc3339 as unix_seconds;

/// Most Update entries kept; older ones are merged into `ancient-changes` buckets.
pub const MAX_UPDATE_MANAGERS: usize = 10;

/// Name of the bucket entries that absorb the oldest Update entries.
pub const ANCIENT_CHANGES: &str = "ancient-changes";

/// One entry of `metadata.managedFields`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The `manager` name.
    pub manager: String,
    /// `true` for `operation: Apply`, `false` for `Update`.
    pub apply: bool,
    /// The `apiVersion` the fields are expressed in.
    pub api_version: String,
    /// The subresource written through (`""` for the main resource).
    pub subresource: String,
    /// RFC 3339 time of the last change, if any.
    pub time: Option<String>,
    /// The fields owned.
    pub fields: Set,
}

impl Entry {
    /// The identity kube-apiserver keys entries by: the entry without its time and fields,
    /// and without apiVersion for appliers (an applier stays one manager across versions),
    /// as the JSON text Go would produce.
    pub fn identifier(&self) -> String {
        identifier(&self.manager, self.apply, &self.api_version, &self.subresource)
    }

    fn operation(&self) -> &'static str {
        if self.apply {
            "Apply"
        } else {
            "Update"
        }
    }

    /// The manager as conflict messages print it.
    pub fn describe(&self) -> String {
        let mut s = super::fieldpath::go_quote(&self.manager);
        if !self.subresource.is_empty() {
            s.push_str(" with subresource ");
            s.push_str(&super::fieldpath::go_quote(&self.subresource));
        }
        if !self.apply {
            s.push_str(" using ");
            s.push_str(&self.api_version);
        }
        s
    }
}

/// Identity of a manager (see [`Entry::identifier`]).
pub fn identifier(manager: &str, apply: bool, api_version: &str, subresource: &str) -> String {
    let mut s = String::from("{\"manager\":");
    fieldsv1::write_go_json_string(&mut s, manager);
    s.push_str(if apply {
        ",\"operation\":\"Apply\""
    } else {
        ",\"operation\":\"Update\""
    });
    if !apply && !api_version.is_empty() {
        s.push_str(",\"apiVersion\":");
        fieldsv1::write_go_json_string(&mut s, api_version);
    }
    if !subresource.is_empty() {
        s.push_str(",\"subresource\":");
        fieldsv1::write_go_json_string(&mut s, subresource);
    }
    s.push('}');
    s
}

/// All entries, keyed by identity.
pub type Managed = BTreeMap<String, Entry>;

/// Whether a client asked to clear managedFields: `[]` or `[{}]`.
pub fn is_reset(value: Option<&Value>) -> bool {
    match value.and_then(Value::as_array).map(Vec::as_slice) {
        Some([]) => true,
        Some([only]) => only.as_object().is_some_and(|m| m.is_empty()),
        _ => false,
    }
}

/// Decodes `metadata.managedFields` (absent or null is empty). Later entries with the
/// same identity replace earlier ones, as upstream's map assignment does.
pub fn decode(value: Option<&Value>) -> Result<Managed, String> {
    let mut out = Managed::new();
    let items = match value {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("managedFields must be a list".to_string()),
    };
    for (i, item) in items.iter().enumerate() {
        let entry = decode_entry(i, item)?;
        out.insert(entry.identifier(), entry);
    }
    Ok(out)
}

fn string_field(map: &Map<String, Value>, key: &str) -> Result<String, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn decode_entry(i: usize, item: &Value) -> Result<Entry, String> {
    let map = item
        .as_object()
        .ok_or_else(|| format!("managed fields entry {i} must be an object"))?;
    let apply = match string_field(map, "operation")?.as_str() {
        "Apply" => true,
        "Update" => false,
        _ => return Err("operation must be `Apply` or `Update`".to_string()),
    };
    let api_version = string_field(map, "apiVersion")?;
    if api_version.is_empty() {
        return Err("apiVersion must not be empty".to_string());
    }
    match string_field(map, "fieldsType")?.as_str() {
        "FieldsV1" => {}
        "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
        other => {
            return Err(format!(
                "invalid fieldsType {other:?} in managed fields entry {i}"
            ))
        }
    }
    let time = match map.get("time") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if unix_seconds(t).is_some() => Some(t.clone()),
        Some(_) => return Err(format!("invalid time in managed fields entry {i}")),
    };
    let fields = match map.get("fieldsV1") {
        None => Set::new(),
        Some(v) => fieldsv1::decode(v).map_err(|e| e.to_string())?,
    };
    Ok(Entry {
        manager: string_field(map, "manager")?,
        apply,
        api_version,
        subresource: string_field(map, "subresource")?,
        time,
        fields,
    })
}

fn seconds(e: &Entry) -> i64 {
    e.time.as_deref().and_then(unix_seconds).unwrap_or(0)
}

/// Encodes entries in kube-apiserver's order: by operation, time, manager, apiVersion,
/// subresource. `None` when there are none (the field is then omitted).
pub fn encode(managed: &Managed) -> Option<Value> {
    if managed.is_empty() {
        return None;
    }
    let mut entries: Vec<&Entry> = managed.values().collect();
    entries.sort_by(|p, q| {
        p.operation()
            .cmp(q.operation())
            .then_with(|| seconds(p).cmp(&seconds(q)))
            .then_with(|| p.manager.cmp(&q.manager))
            .then_with(|| p.api_version.cmp(&q.api_version))
            .then_with(|| p.subresource.cmp(&q.subresource))
    });
    let list = entries
        .into_iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("manager".into(), Value::String(e.manager.clone()));
            m.insert("operation".into(), Value::String(e.operation().into()));
            m.insert("apiVersion".into(), Value::String(e.api_version.clone()));
            if let Some(t) = &e.time {
                m.insert("time".into(), Value::String(t.clone()));
            }
            m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
            m.insert("fieldsV1".into(), fieldsv1::encode(&e.fields));
            if !e.subresource.is_empty() {
                m.insert("subresource".into(), Value::String(e.subresource.clone()));
            }
            Value::Object(m)
        })
        .collect();
    Some(Value::Array(list))
}

/// Merges the oldest Update entries into per-apiVersion `ancient-changes` buckets until at
/// most [`MAX_UPDATE_MANAGERS`] Update entries remain.
pub fn cap_update_managers(managed: &mut Managed) {
    let mut updaters: Vec<(i64, String)> = managed
        .iter()
        .filter(|(_, e)| !e.apply)
        .map(|(id, e)| (seconds(e), id.clone()))
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort();
    let mut length = updaters.len();
    let mut first_of_version: BTreeMap<String, String> = BTreeMap::new();
    for (_, id) in updaters {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(entry) = managed.get(&id).cloned() else {
            continue;
        };
        let bucket = identifier(ANCIENT_CHANGES, false, &entry.api_version, "");
        let Some(first) = first_of_version.get(&entry.api_version).cloned() else {
            first_of_version.insert(entry.api_version.clone(), id);
            continue;
        };
        if !managed.contains_key(&bucket) {
            // The first entry of this version becomes the bucket.
            if let Some(mut moved) = managed.remove(&first) {
                moved.manager = ANCIENT_CHANGES.to_string();
                moved.subresource = String::new();
                managed.insert(bucket.clone(), moved);
            }
        }
        if let Some(b) = managed.get_mut(&bucket) {
            b.fields = entry.fields.union(&b.fields);
            b.api_version = entry.api_version.clone();
            // The merged entry is the newer one, so its time wins.
            b.time = entry.time.clone();
        }
        managed.remove(&id);
        length -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers_match_go_json() {
        assert_eq!(
            identifier("kubectl", false, "v1", ""),
            "{\"manager\":\"kubectl\",\"operation\":\"Update\",\"apiVersion\":\"v1\"}"
        );
        assert_eq!(
            identifier("kubectl", true, "v1", "status"),
            "{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"subresource\":\"status\"}"
        );
    }

    #[test]
    fn decode_validates_like_kube() {
        let ok = json!([{"manager": "m", "operation": "Update", "apiVersion": "v1",
            "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}}]);
        let m = decode(Some(&ok)).unwrap();
        assert_eq!(encode(&m), Some(ok));
        for (bad, msg) in [
            (
                json!([{"operation": "Patch", "apiVersion": "v1", "fieldsType": "FieldsV1"}]),
                "operation must be `Apply` or `Update`",
            ),
            (
                json!([{"operation": "Apply", "fieldsType": "FieldsV1"}]),
                "apiVersion must not be empty",
            ),
            (
                json!([{"operation": "Apply", "apiVersion": "v1"}]),
                "missing fieldsType in managed fields entry 0",
            ),
            (
                json!([{"operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV2"}]),
                "invalid fieldsType \"FieldsV2\" in managed fields entry 0",
            ),
        ] {
            assert_eq!(decode(Some(&bad)).unwrap_err(), msg);
        }
        assert!(decode(Some(&json!([{"operation": "Apply", "apiVersion": "v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"bad": {}}}])))
        .is_err());
        assert!(is_reset(Some(&json!([{}]))));
        assert!(is_reset(Some(&json!([]))));
        assert!(!is_reset(None));
    }

    #[test]
    fn describe_for_conflicts() {
        let e = Entry {
            manager: "m".into(),
            apply: false,
            api_version: "apps/v1".into(),
            subresource: "status".into(),
            time: None,
            fields: Set::new(),
        };
        assert_eq!(e.describe(), "\"m\" with subresource \"status\" using apps/v1");
    }
}
