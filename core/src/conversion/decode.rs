//! Reading typed fields out of JSON objects the way Kubernetes decoders do.
//!
//! Two decoders matter for conversion:
//!
//! * objects coming from storage or a request body are read leniently: a field of the
//!   wrong JSON type is read as absent, so conversion never fails or panics on them;
//! * the JSON payloads kube-apiserver keeps in HorizontalPodAutoscaler annotations are
//!   read with Go's `encoding/json` rules: field names match case-insensitively, and any
//!   type mismatch makes the whole payload unusable (kube then ignores the annotation).

use serde_json::{Map, Value};

/// A payload did not have the Go type kube-apiserver decodes it into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Malformed;

/// Result of reading one field: `Ok(None)` when absent or `null`.
pub(super) type Field<T> = Result<Option<T>, Malformed>;

/// How to read fields: strictly or leniently, with exact or case-folded names.
#[derive(Clone, Copy, Debug)]
pub(super) struct Decoder {
    /// Wrong types are errors (Go `json.Unmarshal`) instead of absent fields.
    strict: bool,
    /// Field names match case-insensitively, as in Go's `encoding/json`.
    fold_case: bool,
}

impl Decoder {
    /// Objects on the wire and in storage (kube decodes them case-sensitively).
    pub(super) const WIRE: Decoder = Decoder {
        strict: false,
        fold_case: false,
    };

    /// JSON payloads kept in annotations, decoded with Go's `encoding/json`.
    pub(super) const ANNOTATION: Decoder = Decoder {
        strict: true,
        fold_case: true,
    };

    /// The raw value of a field; `null` counts as absent (Go leaves the field unset).
    pub(super) fn raw<'a>(&self, obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
        if self.fold_case {
            // Every key that folds onto the field name sets it in document order, and
            // `null` leaves it unchanged, so the last non-null match wins.
            obj.iter()
                .rev()
                .find(|(k, v)| !v.is_null() && fold_eq(k, key))
                .map(|(_, v)| v)
        } else {
            obj.get(key).filter(|v| !v.is_null())
        }
    }

    /// A value of the wrong type was met where no field result is returned: an error
    /// when strict, ignored when lenient.
    pub(super) fn wrong_type(&self) -> Result<(), Malformed> {
        if self.strict {
            Err(Malformed)
        } else {
            Ok(())
        }
    }

    fn mismatch<T>(&self) -> Field<T> {
        if self.strict {
            Err(Malformed)
        } else {
            Ok(None)
        }
    }

    /// Turns a non-object value (an array element, a nested struct) into an object.
    ///
    /// `null` reads as an empty object, as Go leaves the zero value in place.
    pub(super) fn as_object<'a>(&self, v: &'a Value) -> Result<Option<&'a Map<String, Value>>, Malformed> {
        match v {
            Value::Object(m) => Ok(Some(m)),
            Value::Null => Ok(None),
            _ => self.mismatch(),
        }
    }

    /// A nested object field.
    pub(super) fn object<'a>(&self, obj: &'a Map<String, Value>, key: &str) -> Field<&'a Map<String, Value>> {
        match self.raw(obj, key) {
            None => Ok(None),
            Some(v) => self.as_object(v),
        }
    }

    /// An array field.
    pub(super) fn array<'a>(&self, obj: &'a Map<String, Value>, key: &str) -> Field<&'a Vec<Value>> {
        match self.raw(obj, key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => self.mismatch(),
        }
    }

    /// A string field.
    pub(super) fn string(&self, obj: &Map<String, Value>, key: &str) -> Field<String> {
        match self.raw(obj, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => self.mismatch(),
        }
    }

    /// A string field whose absence means the empty string (a Go `string`).
    pub(super) fn string_or_empty(&self, obj: &Map<String, Value>, key: &str) -> Result<String, Malformed> {
        Ok(self.string(obj, key)?.unwrap_or_default())
    }

    /// An `int32` field; non-integers and out-of-range numbers are type mismatches.
    pub(super) fn int32(&self, obj: &Map<String, Value>, key: &str) -> Field<i32> {
        match self.raw(obj, key) {
            None => Ok(None),
            Some(v) => match v.as_i64().and_then(|n| i32::try_from(n).ok()) {
                Some(n) => Ok(Some(n)),
                None => self.mismatch(),
            },
        }
    }

    /// An `int64` field.
    pub(super) fn int64(&self, obj: &Map<String, Value>, key: &str) -> Field<i64> {
        match self.raw(obj, key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) => Ok(Some(n)),
                None => self.mismatch(),
            },
        }
    }

    /// A `resource.Quantity` field, kept in its serialized text.
    ///
    /// Quantities decode from strings and from bare JSON numbers.
    pub(super) fn quantity(&self, obj: &Map<String, Value>, key: &str) -> Field<String> {
        let text = match self.raw(obj, key) {
            None => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return self.mismatch(),
        };
        if is_quantity(&text) {
            Ok(Some(text))
        } else {
            self.mismatch()
        }
    }

    /// A `metav1.Time` or `metav1.MicroTime` field, kept in its serialized text.
    pub(super) fn time(&self, obj: &Map<String, Value>, key: &str) -> Field<String> {
        self.string(obj, key)
    }
}

/// Go's `encoding/json` field-name folding: ASCII case-insensitive, plus the two
/// non-ASCII runes that fold onto ASCII letters (KELVIN SIGN and LONG S).
fn fold_eq(a: &str, b: &str) -> bool {
    fn fold(c: char) -> char {
        match c {
            '\u{212A}' => 'k',
            '\u{17F}' => 's',
            c => c.to_ascii_lowercase(),
        }
    }
    a.chars().map(fold).eq(b.chars().map(fold))
}

/// Whether `s` parses as a `resource.Quantity`: an optionally signed decimal number
/// followed by an optional suffix (binary SI, decimal SI, or a decimal exponent).
pub(super) fn is_quantity(s: &str) -> bool {
    let s = s.trim();
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(digits_end);
    let dots = number.matches('.').count();
    if number.is_empty() || number == "." || dots > 1 {
        return false;
    }
    match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => true,
        _ => {
            let Some(exp) = suffix.strip_prefix(['e', 'E']) else {
                return false;
            };
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && exp.chars().all(|c| c.is_ascii_digit())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn wire_reads_wrong_types_as_absent() {
        let o = obj(json!({"a": 5, "b": "x", "c": 1.5, "d": 3_000_000_000i64}));
        let d = Decoder::WIRE;
        assert_eq!(d.string(&o, "a"), Ok(None));
        assert_eq!(d.string(&o, "b"), Ok(Some("x".into())));
        assert_eq!(d.int32(&o, "c"), Ok(None));
        assert_eq!(d.int32(&o, "d"), Ok(None));
        assert_eq!(d.int64(&o, "d"), Ok(Some(3_000_000_000)));
        // Wire names are case-sensitive.
        assert_eq!(d.string(&o, "B"), Ok(None));
    }

    #[test]
    fn annotation_is_strict_and_case_insensitive() {
        let o = obj(json!({"MetricName": "qps", "value": "x1", "n": null}));
        let d = Decoder::ANNOTATION;
        assert_eq!(d.string(&o, "metricName"), Ok(Some("qps".into())));
        assert_eq!(d.int32(&o, "metricName"), Err(Malformed));
        assert_eq!(d.quantity(&o, "value"), Err(Malformed));
        assert_eq!(d.int32(&o, "n"), Ok(None));
        // The last of several case-folded matches wins.
        let o = obj(json!({"Name": "a", "NAME": "b"}));
        assert_eq!(d.string(&o, "name"), Ok(Some("b".into())));
        let o = obj(json!({"name": "a", "Name": null}));
        assert_eq!(d.string(&o, "name"), Ok(Some("a".into())));
        assert!(fold_eq("\u{212A}ind", "kind"));
    }

    #[test]
    fn quantities() {
        for ok in [
            "1", "100m", "1.5", ".5", "5.", "-1Gi", "+2Ki", "1e3", "1E-3", "12M", " 7 ",
        ] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "m", ".", "1..2", "1x", "1e", "Gi", "1Gb", "1e+"] {
            assert!(!is_quantity(bad), "{bad}");
        }
        let o = obj(json!({"q": 3}));
        assert_eq!(Decoder::ANNOTATION.quantity(&o, "q"), Ok(Some("3".into())));
    }
}
