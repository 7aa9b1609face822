//! Strict field validation (`fieldValidation=Strict`/`Warn`): unknown and
//! duplicate fields of a JSON request body, checked against the kind's
//! schema.
//!
//! The body is scanned as raw bytes rather than through `serde_json::Value`
//! because a parsed map keeps only the last of two equal keys. Problems are
//! worded as kube-apiserver's strict decoder words them, in document order,
//! de-duplicated and capped at 100:
//!
//! * `unknown field "spec.template.spec.containers[0].foo"`
//! * `duplicate field "spec.replicas"`
//!
//! Fields under an unknown field, and inside opaque values (`RawExtension`,
//! `FieldsV1`, free-form objects), are not inspected, as upstream skips them.
//! Map keys (`labels`, `data`) are free-form but must not repeat.

use std::collections::HashSet;

use serde_json::Value;

use super::schema::{ref_target, Definitions};

/// Upstream stops collecting strict errors after this many.
const MAX_PROBLEMS: usize = 100;
/// Nesting beyond this is not inspected further (kube-apiserver itself
/// refuses JSON nested deeper than 10000 levels; real objects stay far below).
const MAX_DEPTH: usize = 256;

/// How the value at some position is checked.
#[derive(Clone, Copy)]
enum Expect<'a> {
    /// A struct with these properties.
    Struct(&'a serde_json::Map<String, Value>, bool),
    /// A map whose values follow this schema.
    Map(&'a Value),
    /// A list whose items follow this schema.
    List(&'a Value),
    /// Not inspected (scalars, opaque and unknown values).
    Skip,
}

fn classify<'a>(defs: &'a Definitions, schema: &'a Value) -> Expect<'a> {
    let mut s = schema;
    // Follow references; definitions do not refer to each other in loops at
    // the top level, but bound it anyway.
    for _ in 0..8 {
        match ref_target(s).and_then(|name| defs.get(name)) {
            Some(next) => s = next,
            None => break,
        }
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        return Expect::Struct(props, false);
    }
    match s.get("type").and_then(Value::as_str) {
        Some("array") => s.get("items").map_or(Expect::Skip, Expect::List),
        Some("object") => match s.get("additionalProperties") {
            Some(ap @ Value::Object(_)) => Expect::Map(ap),
            _ => Expect::Skip,
        },
        _ => Expect::Skip,
    }
}

/// See the module documentation; `definition` names the kind's schema.
pub fn problems(defs: &Definitions, definition: &str, raw: &[u8]) -> Vec<String> {
    let Some(root) = defs.get(definition) else {
        return Vec::new();
    };
    let expect = match classify(defs, root) {
        Expect::Struct(props, _) => Expect::Struct(props, true),
        other => other,
    };
    let mut scanner = Scanner {
        defs,
        raw,
        pos: 0,
        problems: Vec::new(),
        seen: HashSet::new(),
    };
    let mut path = String::new();
    scanner.skip_ws();
    // A syntax error ends the scan; the decoder proper reports it.
    let _ = scanner.value(expect, &mut path, 0);
    scanner.problems
}

/// Removes the fields `definition`'s schema does not know, as decoding into the typed
/// object drops them under `fieldValidation=Warn` and `Ignore`.
pub fn prune(defs: &Definitions, definition: &str, obj: &mut Value) {
    let Some(root) = defs.get(definition) else {
        return;
    };
    let expect = match classify(defs, root) {
        Expect::Struct(props, _) => Expect::Struct(props, true),
        other => other,
    };
    prune_value(defs, expect, obj, 0);
}

fn prune_value(defs: &Definitions, expect: Expect<'_>, v: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match (expect, v) {
        (Expect::Struct(props, top), Value::Object(m)) => {
            m.retain(|k, _| props.contains_key(k) || (top && (k == "apiVersion" || k == "kind")));
            for (k, child) in m.iter_mut() {
                if let Some(schema) = props.get(k) {
                    prune_value(defs, classify(defs, schema), child, depth + 1);
                }
            }
        }
        (Expect::Map(schema), Value::Object(m)) => {
            for child in m.values_mut() {
                prune_value(defs, classify(defs, schema), child, depth + 1);
            }
        }
        (Expect::List(schema), Value::Array(items)) => {
            for child in items {
                prune_value(defs, classify(defs, schema), child, depth + 1);
            }
        }
        _ => {}
    }
}

/// A malformed body; only used to stop the scan.
struct Malformed;

struct Scanner<'a> {
    defs: &'a Definitions,
    raw: &'a [u8],
    pos: usize,
    problems: Vec<String>,
    seen: HashSet<String>,
}

impl<'a> Scanner<'a> {
    fn report(&mut self, what: &str, path: &str) {
        if self.problems.len() >= MAX_PROBLEMS {
            return;
        }
        let msg = format!("{what} field {}", go_quote(path));
        if self.seen.insert(msg.clone()) {
            self.problems.push(msg);
        }
    }

    fn peek(&self) -> Option<u8> {
        self.raw.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), Malformed> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    fn value(&mut self, expect: Expect<'a>, path: &mut String, depth: usize) -> Result<(), Malformed> {
        if depth > MAX_DEPTH {
            return Err(Malformed);
        }
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(expect, path, depth),
            Some(b'[') => self.array(expect, path, depth),
            Some(b'"') => self.string().map(drop),
            Some(_) => self.literal(),
            None => Err(Malformed),
        }
    }

    fn object(&mut self, expect: Expect<'a>, path: &mut String, depth: usize) -> Result<(), Malformed> {
        self.pos += 1;
        let mut keys: HashSet<String> = HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.eat(b':')?;
            let base = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key);
            let child = match expect {
                Expect::Struct(props, top) => {
                    // Type metadata is inline in every top-level kind.
                    let type_meta = top && (key == "apiVersion" || key == "kind");
                    let known = props.get(&key);
                    if known.is_none() && !type_meta {
                        // Upstream checks repeats only of known fields.
                        self.report("unknown", path);
                    } else if !keys.insert(key.clone()) {
                        self.report("duplicate", path);
                    }
                    known.map_or(Expect::Skip, |schema| classify(self.defs, schema))
                }
                Expect::Map(schema) => {
                    if !keys.insert(key.clone()) {
                        self.report("duplicate", path);
                    }
                    classify(self.defs, schema)
                }
                Expect::List(_) | Expect::Skip => Expect::Skip,
            };
            let res = self.value(child, path, depth + 1);
            path.truncate(base);
            res?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Malformed),
            }
        }
    }

    fn array(&mut self, expect: Expect<'a>, path: &mut String, depth: usize) -> Result<(), Malformed> {
        self.pos += 1;
        let items = match expect {
            Expect::List(items) => Some(items),
            _ => None,
        };
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            let base = path.len();
            let child = match items {
                Some(schema) => {
                    path.push('[');
                    path.push_str(&index.to_string());
                    path.push(']');
                    classify(self.defs, schema)
                }
                None => Expect::Skip,
            };
            let res = self.value(child, path, depth + 1);
            path.truncate(base);
            res?;
            index += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Malformed),
            }
        }
    }

    /// Reads a JSON string (the cursor is on its opening quote), unescaped.
    fn string(&mut self) -> Result<String, Malformed> {
        if self.peek() != Some(b'"') {
            return Err(Malformed);
        }
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = self.peek().ok_or(Malformed)?;
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|_| Malformed),
                b'\\' => {
                    let e = self.peek().ok_or(Malformed)?;
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(Malformed),
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
                0..=0x1f => return Err(Malformed),
                _ => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Malformed> {
        let digits = self.raw.get(self.pos..self.pos + 4).ok_or(Malformed)?;
        let s = std::str::from_utf8(digits).map_err(|_| Malformed)?;
        let v = u32::from_str_radix(s, 16).map_err(|_| Malformed)?;
        self.pos += 4;
        Ok(v)
    }

    /// The code point after `\u`; lone surrogates become U+FFFD as in Go.
    fn unicode_escape(&mut self) -> Result<char, Malformed> {
        let first = self.hex4()?;
        if (0xd800..0xdc00).contains(&first) && self.raw.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xdc00..0xe000).contains(&second) {
                let c = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{fffd}'))
    }

    /// A number, `true`, `false` or `null`: consumed without checking its
    /// exact syntax, which the decoder proper does.
    fn literal(&mut self) -> Result<(), Malformed> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start {
            Err(Malformed)
        } else {
            Ok(())
        }
    }
}

/// Quotes like Go's `%q`: printable characters as-is, the rest escaped.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests_support {
    use super::super::OpenApi;
    use std::sync::OnceLock;

    /// The embedded data, parsed once for all tests.
    pub fn api() -> &'static OpenApi {
        static API: OnceLock<OpenApi> = OnceLock::new();
        API.get_or_init(OpenApi::load)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::api;
    use super::*;

    const DEPLOYMENT: &str = "io.k8s.api.apps.v1.Deployment";
    const POD: &str = "io.k8s.api.core.v1.Pod";

    fn check(def: &str, body: &str) -> Vec<String> {
        api().strict_problems(def, body.as_bytes())
    }

    const VALID_DEPLOYMENT: &str = r#"{
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"},
                     "annotations": {"a": "b"}, "finalizers": ["x"],
                     "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "o", "uid": "u"}]},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "c", "image": "nginx",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                        "readinessProbe": {"httpGet": {"path": "/", "port": 80}}
                    }],
                    "volumes": [{"name": "v", "configMap": {"name": "cm", "items": [{"key": "k", "path": "p"}]}}],
                    "tolerations": [{"key": "k", "operator": "Exists"}]
                }
            }
        },
        "status": {"replicas": 1, "conditions": [{"type": "Available", "status": "True"}]}
    }"#;

    #[test]
    fn prune_drops_unknown_fields_at_every_depth() {
        let mut v: Value = serde_json::from_str(
            r#"{"apiVersion":"v1","kind":"ConfigMap","zzz":1,"metadata":{"name":"a","bogus":2,"labels":{"k":"v"}},"data":{"x":"y"}}"#,
        )
        .unwrap();
        prune(&api().defs, "io.k8s.api.core.v1.ConfigMap", &mut v);
        assert_eq!(
            v,
            serde_json::json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"k":"v"}},"data":{"x":"y"}})
        );
    }

    #[test]
    fn valid_manifests_have_no_problems() {
        assert_eq!(check(DEPLOYMENT, VALID_DEPLOYMENT), Vec::<String>::new());
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":null,
            "managedFields":[{"manager":"m","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:x":{}}}}]},
            "spec":{"containers":[{"name":"c","image":"busybox","command":["sh"],"securityContext":{"runAsUser":1}}],
            "nodeSelector":{"disk":"ssd"},"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
            {"nodeSelectorTerms":[{"matchExpressions":[{"key":"a","operator":"In","values":["b"]}]}]}}}}}"#;
        assert_eq!(check(POD, pod), Vec::<String>::new());
    }

    #[test]
    fn unknown_fields_are_reported_with_their_path() {
        let body = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","nmae":"y"},
            "spec":{"foo":1,"template":{"spec":{"containers":[{"name":"a"},{"name":"b","imagePullPolicyx":"y",
            "ports":[{"containerPort":1,"bogus":{"deep":1}}]}]}}},"extra":true}"#;
        assert_eq!(
            check(DEPLOYMENT, body),
            [
                r#"unknown field "metadata.nmae""#,
                r#"unknown field "spec.foo""#,
                r#"unknown field "spec.template.spec.containers[1].imagePullPolicyx""#,
                r#"unknown field "spec.template.spec.containers[1].ports[0].bogus""#,
                r#"unknown field "extra""#,
            ]
        );
    }

    #[test]
    fn duplicates_are_reported_in_order() {
        let body = r#"{"metadata":{"name":"a","name":"b","labels":{"k":"1","k":"2"}},
            "spec":{"replicas":1,"unknownField":1,"replicas":2}}"#;
        assert_eq!(
            check(DEPLOYMENT, body),
            [
                r#"duplicate field "metadata.name""#,
                r#"duplicate field "metadata.labels.k""#,
                r#"unknown field "spec.unknownField""#,
                r#"duplicate field "spec.replicas""#,
            ]
        );
    }

    #[test]
    fn repeated_problems_are_reported_once_and_capped() {
        // A repeated unknown field is reported once, and not as a duplicate.
        let body = r#"{"spec":{"x":1,"x":2},"kind":"Deployment","kind":"Deployment"}"#;
        assert_eq!(
            check(DEPLOYMENT, body),
            [r#"unknown field "spec.x""#, r#"duplicate field "kind""#]
        );
        let mut many = String::from("{\"spec\":{");
        for i in 0..300 {
            many.push_str(&format!("\"f{i}\":1,"));
        }
        many.push_str("\"replicas\":1}}");
        assert_eq!(check(DEPLOYMENT, &many).len(), MAX_PROBLEMS);
    }

    #[test]
    fn kind_metadata_is_known_only_at_the_top() {
        let body = r#"{"apiVersion":"v1","kind":"Pod","spec":{"kind":"x"}}"#;
        assert_eq!(check(POD, body), [r#"unknown field "spec.kind""#]);
    }

    #[test]
    fn escaped_keys_and_quoting() {
        let body = r#"{"sp\u0065c":{"a\"b":1}}"#;
        assert_eq!(check(DEPLOYMENT, body), [r#"unknown field "spec.a\"b""#]);
        assert_eq!(go_quote("a\u{1}b"), r#""a\x01b""#);
    }

    #[test]
    fn unknown_definition_or_garbage_reports_nothing() {
        assert!(check("no.such.Kind", "{\"a\":1}").is_empty());
        assert!(check(DEPLOYMENT, "").is_empty());
        assert!(check(DEPLOYMENT, "[[[[").is_empty());
        // Problems before a syntax error are still reported.
        assert_eq!(check(DEPLOYMENT, r#"{"zz":1, "#), [r#"unknown field "zz""#]);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut body = String::from("{\"metadata\":{\"annotations\":");
        body.push_str(&"[".repeat(100_000));
        assert!(check(DEPLOYMENT, &body).is_empty());
    }
}

#[cfg(test)]
mod proptests {
    use super::tests_support::api;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = api().strict_problems("io.k8s.api.apps.v1.Deployment", &bytes);
        }

        #[test]
        fn json_like_noise_never_panics(s in "[{}\\[\\]\",:a-z0-9\\\\u ]{0,200}") {
            let _ = api().strict_problems("io.k8s.api.core.v1.Pod", s.as_bytes());
        }
    }
}
