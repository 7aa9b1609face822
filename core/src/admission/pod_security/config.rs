//! The plugin's `PodSecurityConfiguration` (`pod-security.admission.config.k8s.io` v1,
//! v1beta1, v1alpha1): the defaults of namespaces without labels and the exemptions. An
//! absent configuration is every mode at `privileged:latest`, no exemptions. Decoding is
//! strict, as kube's scheme for it is, then kube's checks at start-up.

use serde_json::Value;

use super::level::{Level, LevelVersion, Policy, Version};
use crate::validation::{dns1123_label_errors, dns1123_subdomain_errors, go_quote, FieldError};

const GROUP: &str = "pod-security.admission.config.k8s.io";
const VERSIONS: &[&str] = &["v1", "v1beta1", "v1alpha1"];
const KIND: &str = "PodSecurityConfiguration";

/// The configuration the plugin runs with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Configuration {
    /// The policy of a namespace without labels.
    pub defaults: Policy,
    /// Requests by these users are not checked.
    pub usernames: Vec<String>,
    /// Pods in these namespaces are not checked.
    pub namespaces: Vec<String>,
    /// Pods with these runtime classes are not checked.
    pub runtime_classes: Vec<String>,
}

impl Configuration {
    /// Whether pods in `namespace` are exempt.
    pub fn exempt_namespace(&self, namespace: &str) -> bool {
        !namespace.is_empty() && self.namespaces.iter().any(|n| n == namespace)
    }

    /// Whether requests by `user` are exempt.
    pub fn exempt_user(&self, user: &str) -> bool {
        !user.is_empty() && self.usernames.iter().any(|n| n == user)
    }

    /// Whether pods of `runtime_class` are exempt.
    pub fn exempt_runtime_class(&self, runtime_class: &str) -> bool {
        !runtime_class.is_empty() && self.runtime_classes.iter().any(|n| n == runtime_class)
    }
}

/// Reads the plugin's configuration (`Value::Null`: none given). `Err` is kube's start-up
/// error for it.
pub fn load(config: &Value) -> Result<Configuration, String> {
    if config.is_null() {
        return Ok(Configuration::default());
    }
    let Some(top) = config.as_object() else {
        return Err("couldn't get version/kind; json parse error: expected an object".into());
    };
    let api_version = top.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = top.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.is_empty() {
        return Err(format!("Object 'Kind' is missing in '{config}'"));
    }
    let known_version = api_version
        .strip_prefix(GROUP)
        .and_then(|v| v.strip_prefix('/'))
        .is_some_and(|v| VERSIONS.contains(&v));
    if !known_version || kind != KIND {
        return Err(format!(
            "no kind {} is registered for version {} in scheme \"k8s.io/pod-security-admission/admission/api/scheme/scheme.go\"",
            go_quote(kind),
            go_quote(api_version)
        ));
    }
    let defaults = field_object(top.get("defaults"), "defaults")?;
    let exemptions = field_object(top.get("exemptions"), "exemptions")?;
    let mut unknown = unknown_fields("", top, &["apiVersion", "kind", "defaults", "exemptions"]);
    if let Some(d) = defaults {
        unknown.extend(unknown_fields("defaults.", d, &MODE_FIELDS));
    }
    if let Some(e) = exemptions {
        unknown.extend(unknown_fields(
            "exemptions.",
            e,
            &["usernames", "namespaces", "runtimeClasses"],
        ));
    }
    if !unknown.is_empty() {
        return Err(format!("strict decoding error: {}", unknown.join(", ")));
    }
    // Each mode defaults to privileged at latest.
    let text = |key: &str, default: &str| -> Result<String, String> {
        match defaults.and_then(|d| d.get(key)) {
            None | Some(Value::Null) => Ok(default.to_string()),
            Some(Value::String(s)) if s.is_empty() => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(type_error(other, "PodSecurityDefaults", key, "string")),
        }
    };
    let modes = [
        ("enforce", text("enforce", "privileged")?),
        ("enforce-version", text("enforce-version", "latest")?),
        ("audit", text("audit", "privileged")?),
        ("audit-version", text("audit-version", "latest")?),
        ("warn", text("warn", "privileged")?),
        ("warn-version", text("warn-version", "latest")?),
    ];
    let list = |key: &str| -> Result<Vec<String>, String> {
        match exemptions.and_then(|e| e.get(key)) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(type_error(other, "PodSecurityExemptions", key, "string")),
                })
                .collect(),
            Some(other) => Err(type_error(other, "PodSecurityExemptions", key, "[]string")),
        }
    };
    let config = Configuration {
        defaults: to_policy(&modes)?,
        usernames: list("usernames")?,
        namespaces: list("namespaces")?,
        runtime_classes: list("runtimeClasses")?,
    };
    let errs = validate_exemptions(&config);
    if !errs.is_empty() {
        return Err(format!("PodSecurity invalid: {}", aggregate(&errs)));
    }
    Ok(config)
}

const MODE_FIELDS: [&str; 6] = [
    "enforce",
    "enforce-version",
    "audit",
    "audit-version",
    "warn",
    "warn-version",
];

/// `unknown field "<prefix><key>"` for each key of `m` not in `known`.
fn unknown_fields(prefix: &str, m: &serde_json::Map<String, Value>, known: &[&str]) -> Vec<String> {
    m.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| format!("unknown field {}", go_quote(&format!("{prefix}{k}"))))
        .collect()
}

fn field_object<'a>(
    v: Option<&'a Value>,
    name: &str,
) -> Result<Option<&'a serde_json::Map<String, Value>>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(type_error(other, "PodSecurityConfiguration", name, "object")),
    }
}

fn type_error(v: &Value, go_type: &str, field: &str, want: &str) -> String {
    let got = match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    format!("json: cannot unmarshal {got} into Go struct field {go_type}.{field} of type {want}")
}

/// The defaults as a policy: each value must parse, as kube's completion of the
/// configuration requires.
fn to_policy(modes: &[(&str, String); 6]) -> Result<Policy, String> {
    let mut errs = Vec::new();
    let mut levels = [Level::Privileged; 3];
    let mut versions = [Version::Latest; 3];
    for (i, (field, value)) in modes.iter().enumerate() {
        let slot = i / 2;
        let parsed = if i % 2 == 0 {
            Level::parse(value).map(|l| {
                if let Some(s) = levels.get_mut(slot) {
                    *s = l;
                }
            })
        } else {
            Version::parse(value).map(|v| {
                if let Some(s) = versions.get_mut(slot) {
                    *s = v;
                }
            })
        };
        if let Err(why) = parsed {
            errs.push(format!("{field}: {why}"));
        }
    }
    if !errs.is_empty() {
        let joined = if errs.len() == 1 {
            errs.join("")
        } else {
            format!("[{}]", errs.join(", "))
        };
        return Err(format!("PodSecurity configuration error: {joined}"));
    }
    let [el, al, wl] = levels;
    let [ev, av, wv] = versions;
    Ok(Policy {
        enforce: LevelVersion {
            level: el,
            version: ev,
        },
        audit: LevelVersion {
            level: al,
            version: av,
        },
        warn: LevelVersion {
            level: wl,
            version: wv,
        },
    })
}

fn validate_exemptions(config: &Configuration) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut check = |path: &str, values: &[String], problems: &dyn Fn(&str) -> Vec<String>| {
        let mut seen: Vec<&str> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let field = format!("exemptions.{path}[{i}]");
            let found = problems(v);
            if !found.is_empty() {
                errs.push(FieldError::invalid(&field, v.as_str(), &found.join(", ")));
            } else if seen.contains(&v.as_str()) {
                errs.push(FieldError::duplicate(&field, v.as_str()));
            } else {
                seen.push(v);
            }
        }
    };
    check("namespaces", &config.namespaces, &|v| dns1123_label_errors(v));
    check("runtimeClasses", &config.runtime_classes, &|v| {
        dns1123_subdomain_errors(v)
    });
    check("usernames", &config.usernames, &|v| {
        if v.is_empty() {
            vec!["username must not be empty".to_string()]
        } else {
            Vec::new()
        }
    });
    errs
}

/// kube's aggregate of field errors: one alone, several in brackets, repeats dropped.
fn aggregate(errs: &[FieldError]) -> String {
    let mut msgs: Vec<String> = Vec::new();
    for e in errs {
        let m = e.message();
        if !msgs.contains(&m) {
            msgs.push(m);
        }
    }
    if msgs.len() == 1 {
        msgs.join("")
    } else {
        format!("[{}]", msgs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(v: &str, body: Value) -> Value {
        let mut c = json!({"apiVersion": format!("{GROUP}/{v}"), "kind": KIND});
        if let (Some(c), Some(b)) = (c.as_object_mut(), body.as_object()) {
            c.extend(b.clone());
        }
        c
    }

    #[test]
    fn none_is_privileged_everywhere() {
        assert_eq!(load(&Value::Null).unwrap(), Configuration::default());
        assert!(Configuration::default().defaults.fully_privileged());
    }

    #[test]
    fn every_version_decodes_with_defaults() {
        for v in VERSIONS {
            let c = load(&cfg(
                v,
                json!({"defaults": {"enforce": "baseline", "warn-version": "v1.25"},
                       "exemptions": {"namespaces": ["kube-system"], "usernames": ["admin"],
                                      "runtimeClasses": ["kata"]}}),
            ))
            .unwrap();
            assert_eq!(c.defaults.enforce.level, Level::Baseline);
            assert_eq!(c.defaults.enforce.version, Version::Latest);
            assert_eq!(c.defaults.warn.version, Version::Minor(25));
            assert_eq!(c.defaults.audit, LevelVersion::PRIVILEGED);
            assert!(c.exempt_namespace("kube-system"));
            assert!(!c.exempt_namespace(""));
            assert!(c.exempt_user("admin"));
            assert!(c.exempt_runtime_class("kata"));
        }
    }

    #[test]
    fn refusals_are_kubes() {
        let e = load(&cfg("v1", json!({"defaults": {"enforce": "strict"}}))).unwrap_err();
        assert_eq!(
            e,
            "PodSecurity configuration error: enforce: must be one of privileged, baseline, restricted"
        );
        let e = load(&cfg(
            "v1",
            json!({"defaults": {"audit": "x", "warn-version": "v2"}}),
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "PodSecurity configuration error: [audit: must be one of privileged, baseline, restricted, warn-version: must be \"latest\" or \"v1.x\"]"
        );
        let e = load(&cfg(
            "v1",
            json!({"exemptions": {"namespaces": ["a", "a"], "usernames": [""]}}),
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "PodSecurity invalid: [exemptions.namespaces[1]: Duplicate value: \"a\", exemptions.usernames[0]: Invalid value: \"\": username must not be empty]"
        );
        let e = load(&cfg("v1", json!({"exemptions": {"namespaces": ["Bad"]}}))).unwrap_err();
        assert!(e.starts_with("PodSecurity invalid: exemptions.namespaces[0]: Invalid value: \"Bad\": a lowercase RFC 1123 label"), "{e}");
        let e = load(&json!({"apiVersion": "pod-security.admission.config.k8s.io/v2", "kind": KIND}))
            .unwrap_err();
        assert!(
            e.starts_with("no kind \"PodSecurityConfiguration\" is registered for version"),
            "{e}"
        );
        let e = load(&cfg(
            "v1",
            json!({"metadata": {}, "defaults": {"enforce": "baseline", "level": "x"}}),
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "strict decoding error: unknown field \"metadata\", unknown field \"defaults.level\""
        );
        let e = load(&cfg("v1", json!({"exemptions": {"usernames": "admin"}}))).unwrap_err();
        assert!(e.contains("cannot unmarshal string"), "{e}");
    }
}
