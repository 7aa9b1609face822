//! Tables of resources added at run time, from the printer columns their definition gives (a
//! custom resource's `additionalPrinterColumns`), as kube's custom resource table convertor
//! prints them: a Name column first, then each column's JSONPath read from the object and
//! typed by the column's type.

use serde_json::{json, Value};

use super::timestamp;

/// One printer column of a resource added at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrinterColumn {
    /// Header.
    pub name: String,
    /// `integer`, `number`, `string`, `boolean` or `date`.
    pub type_: String,
    /// OpenAPI format, passed on to the client.
    pub format: String,
    /// Description.
    pub description: String,
    /// 0 for default columns, more for `-o wide` only.
    pub priority: u32,
    /// Where the value is, e.g. `.spec.replicas` (field names and list indexes).
    pub json_path: String,
}

impl PrinterColumn {
    /// The column kube gives a custom resource whose definition names none.
    pub fn age() -> Self {
        PrinterColumn {
            name: "Age".into(),
            type_: "date".into(),
            format: String::new(),
            description: String::new(),
            priority: 0,
            json_path: ".metadata.creationTimestamp".into(),
        }
    }
}

/// The column definitions of a Table: Name, then `cols`.
pub fn column_definitions_json(cols: &[PrinterColumn]) -> Value {
    let n = super::NAME;
    let name = super::column_json(n.name, n.type_, n.format, n.description, n.priority);
    let rest = cols
        .iter()
        .map(|c| super::column_json(&c.name, &c.type_, &c.format, &c.description, c.priority));
    Value::Array(std::iter::once(name).chain(rest).collect())
}

/// The cells of one row: the object's name, then each column's value (null where the path
/// finds nothing or the value is not of the column's type).
pub fn row_cells(cols: &[PrinterColumn], obj: &Value, now_unix_secs: i64) -> Vec<Value> {
    let name = obj
        .pointer("/metadata/name")
        .cloned()
        .unwrap_or_else(|| json!(""));
    std::iter::once(name)
        .chain(cols.iter().map(|c| match find(obj, &c.json_path) {
            Some(v) => cell(&c.type_, v, now_unix_secs),
            None => Value::Null,
        }))
        .collect()
}

/// The value at `path`: `.a.b`, `.a[0].b`, `{.a.b}`; `None` for what is not there or a path
/// beyond that subset (filters, wildcards).
fn find<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim();
    let path = path
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(path);
    let mut at = obj;
    for segment in path.strip_prefix('.')?.split('.') {
        let (field, mut rest) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if !field.is_empty() {
            at = at.get(field)?;
        }
        while let Some(tail) = rest.strip_prefix('[') {
            let end = tail.find(']')?;
            let index: usize = tail[..end].parse().ok()?;
            at = at.get(index)?;
            rest = &tail[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(at)
}

/// A value as the column's type shows it (kube's `cellForJSONValue`; strings print any value).
fn cell(type_: &str, v: &Value, now: i64) -> Value {
    match (type_, v) {
        (_, Value::Null) => Value::Null,
        ("integer", Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map_or(Value::Null, Value::from),
        ("number", Value::Number(n)) => n.as_f64().map_or(Value::Null, Value::from),
        ("boolean", Value::Bool(b)) => Value::Bool(*b),
        ("string", Value::String(s)) => Value::String(s.clone()),
        ("string", other) => Value::String(other.to_string()),
        ("date", Value::String(_)) => match timestamp::time_of(Some(v)) {
            Some(t) => Value::String(timestamp::ago(t, now)),
            None => Value::String("<invalid>".into()),
        },
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, type_: &str, path: &str) -> PrinterColumn {
        PrinterColumn {
            name: name.into(),
            type_: type_.into(),
            format: String::new(),
            description: String::new(),
            priority: 0,
            json_path: path.into(),
        }
    }

    #[test]
    fn cells_follow_the_columns() {
        let obj = json!({
            "metadata": {"name": "w", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "spec": {"replicas": 3, "ratio": 0.5, "on": true, "ports": [{"port": 80}], "tags": ["a"]},
        });
        let cols = [
            col("Replicas", "integer", ".spec.replicas"),
            col("Ratio", "number", "{.spec.ratio}"),
            col("On", "boolean", ".spec.on"),
            col("Port", "integer", ".spec.ports[0].port"),
            col("Tags", "string", ".spec.tags"),
            col("Missing", "string", ".spec.nothing"),
            col("Mistyped", "integer", ".spec.on"),
            col("Filter", "string", ".spec.ports[?(@.port==80)].port"),
            PrinterColumn::age(),
        ];
        let now = timestamp::parse_rfc3339("2024-05-01T10:05:00Z").expect("time");
        let cells = row_cells(&cols, &obj, now);
        assert_eq!(
            cells,
            vec![
                json!("w"),
                json!(3),
                json!(0.5),
                json!(true),
                json!(80),
                json!("[\"a\"]"),
                Value::Null,
                Value::Null,
                Value::Null,
                json!("5m"),
            ]
        );
        let defs = column_definitions_json(&cols);
        assert_eq!(defs[0]["name"], "Name");
        assert_eq!(defs[0]["format"], "name");
        assert_eq!(defs[1]["name"], "Replicas");
        assert_eq!(defs.as_array().map(Vec::len), Some(cols.len() + 1));
    }

    #[test]
    fn odd_paths_find_nothing_and_never_panic() {
        let obj = json!({"a": [{"b": 1}], "c": {"d": "x"}});
        for path in [
            "",
            ".",
            "a",
            "[",
            ".a[",
            ".a[x]",
            ".a]",
            ".a[0",
            ".a[99].b",
            "{",
            "{.c.d",
            ".c..d",
            ".c.d.e",
            ".a[0][0]",
            ".a[-1]",
            ".\u{1F600}",
        ] {
            let _ = find(&obj, path);
        }
        assert_eq!(find(&obj, ".a[0].b"), Some(&json!(1)));
        assert_eq!(find(&obj, "{.c.d}"), Some(&json!("x")));
        assert_eq!(find(&obj, ".a[x]"), None);
        assert_eq!(find(&obj, "c.d"), None);
    }
}
