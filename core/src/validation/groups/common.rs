//! Small helpers shared by the group validators: string-rule adapters,
//! immutability checks, Go-style value rendering and the webhook client
//! checks that several groups reuse.

use super::super::field_error::{go_quote, FieldError};
use super::super::names::{dns1123_label_errors, dns1123_subdomain_errors, path_segment_errors};
use super::super::value::{get, str_of, Path};
use serde_json::Value;

/// A JSON `null` to stand in for absent objects.
pub(super) static NULL: Value = Value::Null;

/// `obj[key]`, or `null` when absent.
pub(super) fn child<'a>(obj: &'a Value, key: &str) -> &'a Value {
    get(obj, key).unwrap_or(&NULL)
}

/// True when `obj[key]` is present and not null (a set Go pointer).
pub(super) fn is_set(obj: &Value, key: &str) -> bool {
    matches!(get(obj, key), Some(v) if !v.is_null())
}

/// Turn the messages of a string rule into `Invalid` errors at `path`.
pub(super) fn invalid_each(path: &Path, value: &str, msgs: Vec<String>) -> Vec<FieldError> {
    msgs.into_iter()
        .map(|m| FieldError::invalid(path.as_str(), value, &m))
        .collect()
}

/// `IsDNS1123Subdomain` as field errors.
pub(super) fn subdomain(path: &Path, value: &str) -> Vec<FieldError> {
    invalid_each(path, value, dns1123_subdomain_errors(value))
}

/// `IsDNS1123Label` as field errors.
pub(super) fn label(path: &Path, value: &str) -> Vec<FieldError> {
    invalid_each(path, value, dns1123_label_errors(value))
}

/// `IsPathSegmentName` as field errors.
pub(super) fn path_segment(path: &Path, value: &str) -> Vec<FieldError> {
    invalid_each(path, value, path_segment_errors(value))
}

/// `IsValidPortNum` as field errors.
pub(super) fn port_num(path: &Path, port: i64) -> Vec<FieldError> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            path.as_str(),
            port,
            "must be between 1 and 65535, inclusive",
        )]
    }
}

/// Nulls and absent values compare equal, the way two nil Go pointers do.
pub(super) fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    a.filter(|x| !x.is_null()) == b.filter(|x| !x.is_null())
}

/// `ValidateImmutableField` for a string field (absent reads as `""`).
pub(super) fn immutable_str(errs: &mut Vec<FieldError>, path: &Path, new: &Value, old: &Value, key: &str) {
    let n = str_of(new, key);
    if n != str_of(old, key) {
        errs.push(FieldError::invalid(path.as_str(), n, "field is immutable"));
    }
}

/// Insert ObjectMeta name errors a kind adds on top of its name rule right
/// after the name errors already found, where Kubernetes reports them.
pub(super) fn insert_name_errors(meta: &mut Vec<FieldError>, extra: Vec<FieldError>) {
    let at = meta
        .iter()
        .rposition(|e| e.field == "metadata.name" || e.field == "metadata.generateName")
        .map_or(0, |i| i + 1);
    for (k, e) in extra.into_iter().enumerate() {
        meta.insert(at + k, e);
    }
}

/// `%#v` of a Go slice of a named string type, e.g. `[]rbac.Verb{"get"}`.
pub(super) fn go_typed_slice(ty: &str, v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(a)) => {
            let inner: Vec<String> = a.iter().map(|s| go_quote(s.as_str().unwrap_or(""))).collect();
            format!("[]{ty}{{{}}}", inner.join(", "))
        }
        _ => format!("[]{ty}(nil)"),
    }
}

/// `%#v` of a `[]byte`.
pub(super) fn go_bytes(b: Option<&[u8]>) -> String {
    match b {
        None => "[]byte(nil)".to_string(),
        Some(b) => {
            let inner: Vec<String> = b.iter().map(|x| format!("{x:#x}")).collect();
            format!("[]byte{{{}}}", inner.join(", "))
        }
    }
}

/// `IsFullyQualifiedName`: a DNS subdomain of at least three labels.
pub(super) fn fully_qualified_name(path: &Path, name: &str) -> Vec<FieldError> {
    if name.is_empty() {
        return vec![FieldError::required(path.as_str(), "")];
    }
    let errs = dns1123_subdomain_errors(name);
    if !errs.is_empty() {
        return vec![FieldError::invalid(path.as_str(), name, &errs.join(","))];
    }
    if name.split('.').count() < 3 {
        return vec![FieldError::invalid(
            path.as_str(),
            name,
            "should be a domain with at least three segments separated by dots",
        )];
    }
    Vec::new()
}

/// `IsFullyQualifiedDomainName`: a DNS subdomain of at least two labels,
/// optionally ending in a dot.
pub(super) fn fully_qualified_domain_name(path: &Path, name: &str) -> Vec<FieldError> {
    if name.is_empty() {
        return vec![FieldError::required(path.as_str(), "")];
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    let errs = dns1123_subdomain_errors(name);
    if !errs.is_empty() {
        return vec![FieldError::invalid(path.as_str(), name, &errs.join(","))];
    }
    if name.split('.').count() < 2 {
        return vec![FieldError::invalid(
            path.as_str(),
            name,
            "should be a domain with at least two segments separated by dots",
        )];
    }
    for l in name.split('.') {
        let errs = dns1123_label_errors(l);
        if !errs.is_empty() {
            return vec![FieldError::invalid(path.as_str(), l, &errs.join(","))];
        }
    }
    Vec::new()
}

/// The parts of a URL the webhook rules look at, split the way Go's
/// `url.Parse` does for absolute URLs.
struct UrlParts<'a> {
    scheme: &'a str,
    user: Option<&'a str>,
    host: &'a str,
    query: &'a str,
    fragment: &'a str,
}

fn split_url(s: &str) -> UrlParts<'_> {
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let scheme_end = rest.find(':').filter(|&i| {
        let b = rest.as_bytes();
        i > 0
            && b.first().is_some_and(u8::is_ascii_alphabetic)
            && b.iter()
                .take(i)
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    });
    let (scheme, rest) = match scheme_end {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i + 1..).unwrap_or("")),
        None => ("", rest),
    };
    let (user, host) = match rest.strip_prefix("//") {
        Some(auth) => {
            let auth = auth.split('/').next().unwrap_or("");
            match auth.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, auth),
            }
        }
        None => (None, ""),
    };
    UrlParts {
        scheme: scheme_lower(scheme),
        user,
        host,
        query,
        fragment,
    }
}

fn scheme_lower(s: &str) -> &str {
    // Go lower-cases the scheme; only the literal `https` matters here.
    if s.eq_ignore_ascii_case("https") {
        "https"
    } else {
        s
    }
}

/// `ValidateWebhookURL` with https enforced.
pub(super) fn webhook_url(path: &Path, url: &str) -> Vec<FieldError> {
    const FORM: &str = "; desired format: https://host[/path]";
    let u = split_url(url);
    let p = path.as_str();
    let mut errs = Vec::new();
    if u.scheme != "https" {
        errs.push(FieldError::invalid(
            p,
            u.scheme,
            &format!("'https' is the only allowed URL scheme{FORM}"),
        ));
    }
    if u.host.is_empty() {
        errs.push(FieldError::invalid(
            p,
            u.host,
            &format!("host must be provided{FORM}"),
        ));
    }
    if let Some(user) = u.user {
        errs.push(FieldError::invalid(
            p,
            user,
            "user information is not permitted in the URL",
        ));
    }
    if !u.fragment.is_empty() {
        errs.push(FieldError::invalid(
            p,
            u.fragment,
            "fragments are not permitted in the URL",
        ));
    }
    if !u.query.is_empty() {
        errs.push(FieldError::invalid(
            p,
            u.query,
            "query parameters are not permitted in the URL",
        ));
    }
    errs
}

/// `ValidateWebhookService`. Kubernetes passes the service's name and
/// namespace in swapped positions, so a missing namespace is reported on
/// `name` and vice versa; this mirrors that.
pub(super) fn webhook_service(path: &Path, svc: &Value, check_port: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if str_of(svc, "namespace").is_empty() {
        errs.push(FieldError::required(
            path.child("name").as_str(),
            "service name is required",
        ));
    }
    if str_of(svc, "name").is_empty() {
        errs.push(FieldError::required(
            path.child("namespace").as_str(),
            "service namespace is required",
        ));
    }
    if check_port {
        let port = get(svc, "port").and_then(Value::as_i64).unwrap_or(0);
        if !(1..=65535).contains(&port) {
            errs.push(FieldError::invalid(
                path.child("port").as_str(),
                port,
                "port is not valid: must be between 1 and 65535, inclusive",
            ));
        }
    }
    let Some(url_path) = get(svc, "path").and_then(Value::as_str) else {
        return errs;
    };
    let pp = path.child("path");
    if url_path == "/" || url_path.is_empty() {
        return errs;
    }
    if url_path == "//" {
        errs.push(FieldError::invalid(
            pp.as_str(),
            url_path,
            "segment[0] may not be empty",
        ));
        return errs;
    }
    if !url_path.starts_with('/') {
        errs.push(FieldError::invalid(
            pp.as_str(),
            url_path,
            "must start with a '/'",
        ));
    }
    let mut check = url_path.get(1..).unwrap_or("");
    check = check.strip_suffix('/').unwrap_or(check);
    for (i, step) in check.split('/').enumerate() {
        if step.is_empty() {
            errs.push(FieldError::invalid(
                pp.as_str(),
                url_path,
                &format!("segment[{i}] may not be empty"),
            ));
            continue;
        }
        for m in dns1123_subdomain_errors(step) {
            errs.push(FieldError::invalid(
                pp.as_str(),
                url_path,
                &format!("segment[{i}]: {m}"),
            ));
        }
    }
    errs
}

/// Validate a webhook `clientConfig` (exactly one of url or service).
pub(super) fn client_config(path: &Path, cc: &Value, check_port: bool) -> Vec<FieldError> {
    match (is_set(cc, "url"), is_set(cc, "service")) {
        (true, false) => webhook_url(&path.child("url"), str_of(cc, "url")),
        (false, true) => webhook_service(&path.child("service"), child(cc, "service"), check_port),
        _ => vec![FieldError::required(
            path.as_str(),
            "exactly one of url or service is required",
        )],
    }
}

/// Decoded length of a base64 (`[]byte`) field; undecodable text counts as
/// its raw length so a non-empty value never reads as empty.
pub(super) fn base64_len(s: &str) -> usize {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_or(s.len(), |b| b.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_rules() {
        assert!(webhook_url(&Path::new("u"), "https://a.example.com/x").is_empty());
        let msgs: Vec<String> = webhook_url(&Path::new("u"), "http://u:p@/x?q=1#f")
            .iter()
            .map(FieldError::message)
            .collect();
        assert_eq!(
            msgs,
            vec![
                "u: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
                "u: Invalid value: \"\": host must be provided; desired format: https://host[/path]",
                "u: Invalid value: \"u:p\": user information is not permitted in the URL",
                "u: Invalid value: \"f\": fragments are not permitted in the URL",
                "u: Invalid value: \"q=1\": query parameters are not permitted in the URL",
            ]
        );
    }

    #[test]
    fn service_rules() {
        let svc = json!({"name": "s", "namespace": "n", "port": 443, "path": "/a//B"});
        let msgs: Vec<String> = webhook_service(&Path::new("s"), &svc, true)
            .iter()
            .map(FieldError::message)
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0],
            "s.path: Invalid value: \"/a//B\": segment[1] may not be empty"
        );
        let e = webhook_service(&Path::new("s"), &json!({"name": "s"}), true);
        assert_eq!(e[0].message(), "s.name: Required value: service name is required");
        assert_eq!(
            e[1].message(),
            "s.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive"
        );
    }

    #[test]
    fn qualified_names() {
        assert!(fully_qualified_name(&Path::new("n"), "a.b.c").is_empty());
        assert_eq!(
            fully_qualified_name(&Path::new("n"), "a.b")[0].message(),
            "n: Invalid value: \"a.b\": should be a domain with at least three segments separated by dots"
        );
        assert!(fully_qualified_domain_name(&Path::new("n"), "a.b.").is_empty());
        assert_eq!(go_bytes(Some(&[0x2d, 0x0a])), "[]byte{0x2d, 0xa}");
    }
}
