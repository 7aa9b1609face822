//! `--admission-control-config-file`: an `AdmissionConfiguration`
//! (`apiserver.config.k8s.io/v1`, also `v1alpha1` and the older `apiserver.k8s.io/v1alpha1`)
//! naming each plugin's configuration, embedded (`configuration`) or in a file of its own
//! (`path`, relative to the configuration file's directory). Decoding is strict, as kube's.
//! The caller reads files; this module only says which.

use std::collections::BTreeMap;

use serde_json::Value;

/// The API versions kube-apiserver decodes an AdmissionConfiguration from.
const VERSIONS: &[&str] = &[
    "apiserver.config.k8s.io/v1",
    "apiserver.config.k8s.io/v1alpha1",
    "apiserver.k8s.io/v1alpha1",
];

/// Reads a file a plugin entry's `path` names (already made absolute).
pub type Read<'a> = &'a dyn Fn(&str) -> Result<Vec<u8>, String>;

/// Parses YAML or JSON into a value.
pub fn parse_document(data: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
    serde_yaml::from_str::<Value>(text).map_err(|e| e.to_string())
}

/// The configuration of each plugin the file at `path` (whose contents are `data`) names, by
/// plugin name. Plugin files are read through `read`.
pub fn load(path: &str, data: &[u8], read: Read<'_>) -> Result<BTreeMap<String, Value>, String> {
    let doc = parse_document(data)?;
    let Value::Object(top) = &doc else {
        return Err("couldn't get version/kind; json parse error: not an object".into());
    };
    let api_version = top.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = top.get("kind").and_then(Value::as_str).unwrap_or("");
    if api_version.is_empty() || kind.is_empty() {
        return legacy(&doc, path);
    }
    if kind != "AdmissionConfiguration" || !VERSIONS.contains(&api_version) {
        return Err(format!(
            "no kind \"{kind}\" is registered for version \"{api_version}\" in scheme \"k8s.io/apiserver/pkg/admission/config.go\""
        ));
    }
    for key in top.keys() {
        if !["apiVersion", "kind", "plugins"].contains(&key.as_str()) {
            return Err(format!("strict decoding error: unknown field \"{key}\""));
        }
    }
    let base = match path.rfind('/') {
        Some(i) => &path[..i],
        None => ".",
    };
    let mut out = BTreeMap::new();
    let plugins = match top.get("plugins") {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Array(p)) => p,
        Some(_) => return Err("strict decoding error: plugins: expected an array".into()),
    };
    for (i, plugin) in plugins.iter().enumerate() {
        let Value::Object(entry) = plugin else {
            return Err(format!("strict decoding error: plugins[{i}]: expected an object"));
        };
        for key in entry.keys() {
            if !["name", "path", "configuration"].contains(&key.as_str()) {
                return Err(format!(
                    "strict decoding error: unknown field \"plugins[{i}].{key}\""
                ));
            }
        }
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
        let config = match (
            entry.get("configuration"),
            entry.get("path").and_then(Value::as_str),
        ) {
            (Some(c), _) if !c.is_null() => c.clone(),
            (_, Some(p)) if !p.is_empty() => {
                let abs = if p.starts_with('/') {
                    p.to_string()
                } else {
                    format!("{base}/{p}")
                };
                let bytes = read(&abs)
                    .map_err(|e| format!("couldn't open admission plugin configuration {abs}: {e}"))?;
                parse_document(&bytes).map_err(|e| format!("admission plugin configuration {abs}: {e}"))?
            }
            _ => Value::Null,
        };
        // kube takes the first entry for a name.
        out.entry(name.to_string()).or_insert(config);
    }
    Ok(out)
}

/// A file without apiVersion or kind: kube still takes it when it is one of the two
/// configurations that used to be opaque files (ImagePolicyWebhook's `imagePolicy`,
/// PodNodeSelector's `podNodeSelectorPluginConfig`), for those plugins.
fn legacy(doc: &Value, _path: &str) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    if doc.get("imagePolicy").is_some() {
        out.insert("ImagePolicyWebhook".to_string(), doc.clone());
    }
    if doc.get("podNodeSelectorPluginConfig").is_some() {
        out.insert("PodNodeSelector".to_string(), doc.clone());
    }
    if out.is_empty() {
        return Err("Object 'Kind' is missing in the admission configuration".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(p: &str) -> Result<Vec<u8>, String> {
        Err(format!("open {p}: no such file or directory"))
    }

    #[test]
    fn embedded_and_referenced_configurations() {
        let data = br#"
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: baseline}
- name: EventRateLimit
  path: eventconfig.yaml
"#;
        let read = |p: &str| -> Result<Vec<u8>, String> {
            assert_eq!(p, "/etc/kube/eventconfig.yaml");
            Ok(b"kind: Configuration\nlimits: []\n".to_vec())
        };
        let got = load("/etc/kube/admission.yaml", data, &read).unwrap();
        assert_eq!(got["PodSecurity"]["defaults"]["enforce"], "baseline");
        assert_eq!(got["EventRateLimit"]["kind"], "Configuration");
    }

    #[test]
    fn refusals() {
        let e = load(
            "/a.yaml",
            b"apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugin: []\n",
            &no_files,
        )
        .unwrap_err();
        assert_eq!(e, "strict decoding error: unknown field \"plugin\"");
        let e = load(
            "/a.yaml",
            b"apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: X\n  path: missing.yaml\n",
            &no_files,
        )
        .unwrap_err();
        assert!(
            e.starts_with("couldn't open admission plugin configuration /missing.yaml"),
            "{e}"
        );
        let e = load("/a.yaml", b"foo: bar\n", &no_files).unwrap_err();
        assert!(e.contains("Kind"), "{e}");
        let legacy = load(
            "/a.yaml",
            b"podNodeSelectorPluginConfig:\n  clusterDefaultNodeSelector: a=b\n",
            &no_files,
        )
        .unwrap();
        assert!(legacy.contains_key("PodNodeSelector"));
    }
}
