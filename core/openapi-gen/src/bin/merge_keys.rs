//! Writes `core/src/patch/merge_keys_gen.rs`, the strategic merge patch metadata of every
//! kind Gatehouse serves, from the OpenAPI data Gatehouse embeds (`schemas.json`).
//!
//! Every definition that carries `x-kubernetes-patch-strategy` /
//! `x-kubernetes-patch-merge-key` on a field, directly or through the types it nests,
//! becomes one `static` [`Schema`] node; nested types are references to other statics, so
//! recursive definitions (a CRD's JSONSchemaProps) are emitted once. `root(group, kind)`
//! maps every kind with ObjectMeta (its `x-kubernetes-group-version-kind`) to its node.
//!
//! Usage: `cargo run --release --bin merge_keys -- [SCHEMAS_JSON] [OUT]` (defaults:
//! `core/src/openapi/schemas.json` and `core/src/patch/merge_keys_gen.rs`). The output is
//! passed through `rustfmt` when it is installed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

const REF_PREFIX: &str = "#/components/schemas/";
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// The type a field's value (or, for a list, its items) has.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// Scalars, untyped values and anything without a definition.
    None,
    /// An object of the named definition.
    Def(String),
    /// A map (`additionalProperties`) whose values are of the named definition.
    MapOf(String),
}

/// The patch metadata of one property of a definition.
#[derive(Debug)]
struct Prop {
    name: String,
    merge: bool,
    retain_keys: bool,
    merge_key: Option<String>,
    target: Target,
}

impl Prop {
    fn has_metadata(&self) -> bool {
        self.merge || self.retain_keys
    }
}

fn ref_name(schema: &Value) -> Option<String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.strip_prefix(REF_PREFIX).map(str::to_string);
    }
    // `allOf: [{$ref}]` wraps a reference that carries its own description.
    match schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        Some([only]) => ref_name(only),
        _ => None,
    }
}

/// The type of a property value: list items are transparent, as in strategic merge patch.
fn target(schema: &Value) -> Target {
    if let Some(name) = ref_name(schema) {
        return Target::Def(name);
    }
    if let Some(items) = schema.get("items") {
        // Lists of lists cannot be merged; their items carry no metadata.
        return match target(items) {
            Target::Def(name) if items.get("items").is_none() => Target::Def(name),
            _ => Target::None,
        };
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        if let Some(name) = ref_name(values) {
            return Target::MapOf(name);
        }
    }
    Target::None
}

fn props(def_name: &str, def: &Value) -> Vec<Prop> {
    let Some(properties) = def.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, p)| {
            let strategy = p
                .get("x-kubernetes-patch-strategy")
                .and_then(Value::as_str)
                .unwrap_or("");
            let (mut merge, mut retain_keys) = (false, false);
            for part in strategy.split(',').filter(|s| !s.is_empty()) {
                match part {
                    "merge" => merge = true,
                    "retainKeys" => retain_keys = true,
                    // Gatehouse merges such objects key by key, as for fields without a
                    // strategy (PodDisruptionBudget's `spec.selector`).
                    "replace" => {
                        eprintln!("note: {def_name}.{name}: patch strategy `replace` is not represented")
                    }
                    other => panic!("{def_name}.{name}: unknown patch strategy {other:?}"),
                }
            }
            let merge_key = p
                .get("x-kubernetes-patch-merge-key")
                .and_then(Value::as_str)
                .map(str::to_string);
            if merge_key.is_some() && !merge {
                eprintln!("note: {def_name}.{name}: merge key without the merge strategy is ignored");
            }
            Prop {
                name: name.clone(),
                merge,
                retain_keys,
                merge_key: merge_key.filter(|_| merge),
                target: target(p),
            }
        })
        .collect()
}

/// `CORE_V1_POD_SPEC` for `io.k8s.api.core.v1.PodSpec`: package, version and type name.
fn static_name(def: &str) -> String {
    let parts: Vec<&str> = def.split('.').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().skip(parts.len().saturating_sub(3)).enumerate() {
        if i > 0 {
            out.push('_');
        }
        out.push_str(&screaming_snake(part));
    }
    out
}

fn screaming_snake(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' {
            out.push('_');
            continue;
        }
        if i > 0 && c.is_ascii_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn map_static_name(def: &str) -> String {
    format!("MAP_OF_{}", static_name(def))
}

/// Orders versions as Kubernetes does: GA over beta over alpha, then by number.
fn version_priority(version: &str) -> (u32, u32, u32) {
    let rest = version.strip_prefix('v').unwrap_or(version);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (stability, minor) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n.parse().unwrap_or(0))
    } else {
        (2, 0)
    };
    (major, stability, minor)
}

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../src/openapi/schemas.json"));
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../src/patch/merge_keys_gen.rs"));

    let text = std::fs::read_to_string(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let defs: Map<String, Value> = serde_json::from_str(&text).expect("schemas.json is a JSON object");

    let all_props: BTreeMap<&str, Vec<Prop>> = defs
        .iter()
        .map(|(name, def)| (name.as_str(), props(name, def)))
        .collect();

    // A definition is relevant when a field has metadata or nests a relevant definition.
    // Iterated to a fixed point, which also settles recursive definitions.
    let mut relevant: BTreeSet<&str> = BTreeSet::new();
    loop {
        let before = relevant.len();
        for (name, props) in &all_props {
            let nests_relevant = |p: &Prop| match &p.target {
                Target::Def(d) | Target::MapOf(d) => relevant.contains(d.as_str()),
                Target::None => false,
            };
            if props.iter().any(|p| p.has_metadata() || nests_relevant(p)) {
                relevant.insert(name);
            }
        }
        if relevant.len() == before {
            break;
        }
    }

    // Every kind with ObjectMeta (not lists, options or statuses), newest version first.
    let mut kinds: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for (name, def) in &defs {
        let has_object_meta = def
            .pointer("/properties/metadata")
            .and_then(ref_name)
            .is_some_and(|r| r == OBJECT_META);
        if !has_object_meta {
            continue;
        }
        let Some(gvks) = def
            .get("x-kubernetes-group-version-kind")
            .and_then(Value::as_array)
        else {
            continue;
        };
        for gvk in gvks {
            let field = |k: &str| gvk.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let key = (field("group"), field("kind"));
            let version = field("version");
            let replace = match kinds.get(&key) {
                None => true,
                Some((v, _)) => version_priority(&version) > version_priority(v),
            };
            if kinds.contains_key(&key) {
                eprintln!(
                    "note: {}/{} has several versions; the newest is used",
                    key.0, key.1
                );
            }
            if replace {
                kinds.insert(key, (version, name.clone()));
            }
        }
    }

    // Only what some kind reaches is emitted.
    let mut reachable: BTreeSet<&str> = BTreeSet::new();
    let mut maps: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = kinds
        .values()
        .map(|(_, def)| def.as_str())
        .filter(|d| relevant.contains(d))
        .collect();
    while let Some(def) = stack.pop() {
        if !reachable.insert(def) {
            continue;
        }
        for p in all_props.get(def).into_iter().flatten() {
            match &p.target {
                Target::Def(d) if relevant.contains(d.as_str()) => stack.push(d),
                Target::MapOf(d) if relevant.contains(d.as_str()) => {
                    maps.insert(d);
                    stack.push(d);
                }
                _ => {}
            }
        }
    }

    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    for def in &reachable {
        if let Some(other) = names.insert(static_name(def), def) {
            panic!("{def} and {other} have the same static name");
        }
    }

    let mut src = String::new();
    src.push_str(
        "//! Strategic merge patch metadata of every kind Gatehouse serves, generated from the\n\
         //! `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions of\n\
         //! `core/src/openapi/schemas.json` by `cargo run --release --bin merge_keys` in\n\
         //! `core/openapi-gen`. Do not edit: change the generator or schemas.json instead.\n\
         //!\n\
         //! One static per OpenAPI definition (named after its package, version and type) that\n\
         //! has metadata on a field or in a type it nests; fields without either are left out.\n\n\
         use super::{merge_by, merge_retain_by, merge_set, nested, retain_keys, Schema};\n",
    );

    let child_expr = |t: &Target| -> Option<String> {
        match t {
            Target::Def(d) if reachable.contains(d.as_str()) => Some(format!("&{}", static_name(d))),
            Target::MapOf(d) if reachable.contains(d.as_str()) => Some(format!("&{}", map_static_name(d))),
            _ => None,
        }
    };
    let opt = |c: &Option<String>| match c {
        Some(c) => format!("Some({c})"),
        None => "None".to_string(),
    };

    for def in &reachable {
        let mut fields = Vec::new();
        for p in all_props.get(def).into_iter().flatten() {
            let child = child_expr(&p.target);
            let name = &p.name;
            let field = match (p.merge, p.retain_keys, &p.merge_key, &child) {
                (false, false, _, None) => continue,
                (false, false, _, Some(c)) => format!("nested({name:?}, {c})"),
                (false, true, _, c) => format!("retain_keys({name:?}, {})", opt(c)),
                (true, false, Some(k), c) => format!("merge_by({name:?}, {k:?}, {})", opt(c)),
                (true, true, Some(k), c) => format!("merge_retain_by({name:?}, {k:?}, {})", opt(c)),
                (true, false, None, None) => format!("merge_set({name:?})"),
                (true, _, None, _) => panic!("{def}.{name}: unsupported metadata {p:?}"),
            };
            fields.push(field);
        }
        let _ = writeln!(src, "\n// {def}");
        // ObjectMeta is also the root of kinds Gatehouse has no definition for.
        let vis = if *def == OBJECT_META { "pub(super) " } else { "" };
        let _ = writeln!(
            src,
            "{vis}static {}: Schema = Schema::fields(&[",
            static_name(def)
        );
        for f in fields {
            let _ = writeln!(src, "    {f},");
        }
        src.push_str("]);\n");
        if maps.contains(def) {
            let _ = writeln!(
                src,
                "\nstatic {}: Schema = Schema::map_of(&{});",
                map_static_name(def),
                static_name(def)
            );
        }
    }

    src.push_str(
        "\n/// The metadata root of `kind` in API group `group` (`\"\"` for the core group), for every\n\
         /// kind with ObjectMeta; a kind served in several versions gets its newest one's.\n\
         pub(super) fn root(group: &str, kind: &str) -> Option<&'static Schema> {\n\
         \x20   let schema = match (group, kind) {\n",
    );
    for ((group, kind), (_, def)) in &kinds {
        if reachable.contains(def.as_str()) {
            let _ = writeln!(src, "        ({group:?}, {kind:?}) => &{},", static_name(def));
        }
    }
    src.push_str("        _ => return None,\n    };\n    Some(schema)\n}\n");

    std::fs::write(&out, &src).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    match Command::new("rustfmt").arg("--edition=2021").arg(&out).status() {
        Ok(status) if status.success() => {}
        other => eprintln!("warning: rustfmt did not run cleanly ({other:?}); run cargo fmt"),
    }
    eprintln!(
        "wrote {}: {} kinds, {} definitions, {} map nodes",
        out.display(),
        kinds.len(),
        reachable.len(),
        maps.len()
    );
}
