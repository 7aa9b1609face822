//! Request classification: turning an HTTP method, path and query into the
//! `RequestInfo` that authorization, admission, audit and routing work from.
//!
//! This is kube-apiserver's `RequestInfoFactory.NewRequestInfo` with API
//! prefixes `api` and `apis` (`api` being the groupless one):
//!
//! ```text
//! /api/{version}/{resource}[/{name}[/{subresource}[/...]]]
//! /api/{version}/namespaces/{namespace}/{resource}[/{name}[/{subresource}...]]
//! /apis/{group}/{version}/...                      (same shapes)
//! /api/{version}/watch/...  /api/{version}/proxy/...  (legacy verb prefixes)
//! ```
//!
//! Anything shorter or under another prefix is a non-resource request whose
//! verb is the lowercased HTTP method. The path is classified after
//! percent-decoding, as Go's `URL.Path` is.

use std::fmt;

/// What a request is about, in Kubernetes terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// Whether the request targets an API resource (else e.g. `/healthz`,
    /// `/apis`, `/api/v1`).
    pub is_resource_request: bool,
    /// The decoded URL path.
    pub path: String,
    /// For resource requests one of `get list watch create update patch
    /// delete deletecollection proxy` (or `""` for other HTTP methods); for
    /// non-resource requests the lowercased HTTP method.
    pub verb: String,
    /// `api` or `apis` for resource requests.
    pub api_prefix: String,
    /// The API group (`""` for the core group).
    pub api_group: String,
    /// The API version.
    pub api_version: String,
    /// The namespace, `""` when cluster-wide or cluster-scoped.
    pub namespace: String,
    /// The resource, e.g. `pods`.
    pub resource: String,
    /// The subresource, e.g. `status`.
    pub subresource: String,
    /// The object name, from the path or from a `metadata.name=` field
    /// selector on a list or watch.
    pub name: String,
    /// The path segments from the resource on: `resource/name/subresource/...`.
    pub parts: Vec<String>,
    /// The raw `fieldSelector` of a list, watch or deletecollection (not set
    /// for the legacy `/watch/` paths), for selector-aware authorization.
    pub field_selector: String,
    /// The raw `labelSelector`, under the same conditions.
    pub label_selector: String,
}

/// Why a request could not be classified. Kubernetes answers these with
/// `500 InternalError` ("failed to create RequestInfo: ...").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestInfoError {
    /// A legacy verb prefix with nothing after it, e.g. `/api/v1/watch`.
    NoKindOrNamespace {
        /// The request URL as Kubernetes prints it (path and query).
        url: String,
        /// What could be determined before giving up.
        partial: Box<RequestInfo>,
    },
}

impl fmt::Display for RequestInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestInfoError::NoKindOrNamespace { url, .. } => {
                write!(f, "unable to determine kind and namespace from url, {url}")
            }
        }
    }
}

impl std::error::Error for RequestInfoError {}

/// Path segments that are namespace subresources rather than resources
/// nested in a namespace.
const NAMESPACE_SUBRESOURCES: &[&str] = &["status", "finalize"];

/// Classifies a request. `path` is the raw request path (a `?query` suffix
/// is ignored); `query` is the raw query string without `?`. On the rare
/// unclassifiable request (see [`RequestInfoError`]) the partial information
/// is returned, as Kubernetes does alongside its error.
pub fn resolve(method: &str, path: &str, query: &str) -> RequestInfo {
    match resolve_with(method, path, query, |_| true) {
        Ok(info) => info,
        Err(RequestInfoError::NoKindOrNamespace { partial, .. }) => *partial,
    }
}

/// [`resolve`] with errors reported, and with a label selector validity
/// check: Kubernetes only takes an object name from a `metadata.name=` field
/// selector when all list options decode, including the label selector.
pub fn resolve_with(
    method: &str,
    path: &str,
    query: &str,
    label_selector_valid: impl Fn(&str) -> bool,
) -> Result<RequestInfo, RequestInfoError> {
    let raw_path = path.split_once('?').map_or(path, |(p, _)| p);
    let mut info = RequestInfo {
        verb: method.to_lowercase(),
        ..RequestInfo::default()
    };
    // Go's HTTP server rejects undecodable paths before any handler runs;
    // here they simply stay non-resource requests.
    let Some(decoded) = decode_path(raw_path) else {
        info.path = raw_path.to_string();
        return Ok(info);
    };
    info.path = decoded;

    let segments = split_path(&info.path);
    let [prefix, after_prefix @ ..] = segments.as_slice() else {
        return Ok(info);
    };
    let mut rest: &[String] = after_prefix;
    if segments.len() < 3 || (prefix != "api" && prefix != "apis") {
        return Ok(info);
    }
    info.api_prefix = prefix.clone();
    if prefix == "apis" {
        // The prefix is consumed, so this asks "four segments in all?".
        let [group, tail @ ..] = rest else {
            return Ok(info);
        };
        if rest.len() < 3 {
            return Ok(info);
        }
        info.api_group = group.clone();
        rest = tail;
    }
    let [version, tail @ ..] = rest else {
        return Ok(info);
    };
    info.is_resource_request = true;
    info.api_version = version.clone();
    rest = tail;

    let first = rest.first().map(String::as_str).unwrap_or("");
    let verb_via_path_prefix = first == "watch" || first == "proxy";
    if verb_via_path_prefix {
        let [_, tail @ ..] = rest else {
            return Ok(info);
        };
        if tail.is_empty() {
            let url = if query.is_empty() {
                raw_path.to_string()
            } else {
                format!("{raw_path}?{query}")
            };
            return Err(RequestInfoError::NoKindOrNamespace {
                url,
                partial: Box::new(info),
            });
        }
        info.verb = first.to_string();
        rest = tail;
    } else {
        info.verb = match method {
            "POST" => "create",
            "GET" | "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        }
        .to_string();
    }

    if let [first, ns, tail @ ..] = rest {
        if first == "namespaces" {
            info.namespace = ns.clone();
            // A further segment that is not a namespace subresource starts
            // a namespaced resource in its own right.
            if tail
                .first()
                .is_some_and(|next| !NAMESPACE_SUBRESOURCES.contains(&next.as_str()))
            {
                rest = tail;
            }
        }
    }
    info.parts = rest.to_vec();

    // proxy never has subresources: the tail is the proxied path.
    if let (Some(sub), false) = (info.parts.get(2), info.verb == "proxy") {
        info.subresource = sub.clone();
    }
    if let Some(name) = info.parts.get(1) {
        info.name = name.clone();
    }
    if let Some(resource) = info.parts.first() {
        info.resource = resource.clone();
    }

    let params = parse_query(query);
    let first_value = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());

    // No name and GET: really a list or a watch.
    if info.name.is_empty() && info.verb == "get" {
        // Anything but "false" or "0" (any case) turns watching on.
        let watch = first_value("watch").is_some_and(|v| !matches!(v.to_lowercase().as_str(), "false" | "0"));
        info.verb = if watch { "watch" } else { "list" }.to_string();
        if list_options_decode(&first_value, &label_selector_valid) {
            let pinned = first_value("fieldSelector").and_then(exact_metadata_name);
            if let Some(Some(name)) = pinned {
                if is_valid_path_segment_name(&name) {
                    info.name = name;
                }
            }
        }
    }
    if info.name.is_empty() && info.verb == "delete" {
        info.verb = "deletecollection".to_string();
    }

    if !verb_via_path_prefix && matches!(info.verb.as_str(), "list" | "watch" | "deletecollection") {
        if let Some(v) = first_value("fieldSelector") {
            info.field_selector = v.to_string();
        }
        if let Some(v) = first_value("labelSelector") {
            info.label_selector = v.to_string();
        }
    }
    Ok(info)
}

/// Whether the list options in the query would decode: both selectors
/// parse and the integer parameters are integers. Boolean and string
/// options never fail.
fn list_options_decode<'q>(
    first_value: &impl Fn(&str) -> Option<&'q str>,
    label_selector_valid: &impl Fn(&str) -> bool,
) -> bool {
    let int_ok = |key: &str| first_value(key).is_none_or(|v| v.parse::<i64>().is_ok());
    int_ok("limit")
        && int_ok("timeoutSeconds")
        && first_value("labelSelector").is_none_or(label_selector_valid)
        && first_value("fieldSelector").is_none_or(|s| exact_metadata_name(s).is_some())
}

/// Parses a field selector just far enough to find its `metadata.name`
/// value: `None` when the selector is invalid, `Some(None)` when it does not
/// pin a name. Mirrors `fields.ParseSelector` + `RequiresExactMatch`.
fn exact_metadata_name(selector: &str) -> Option<Option<String>> {
    // Split on unescaped commas.
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in selector.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(selector.get(start..i).unwrap_or(""));
            start = i + 1;
        }
    }
    if !selector.is_empty() {
        terms.push(selector.get(start..).unwrap_or(""));
    }
    terms.sort_unstable();
    let mut found = None;
    for term in terms.into_iter().filter(|t| !t.is_empty()) {
        let (field, equals, raw) = split_term(term)?;
        let value = unescape(raw)?;
        if found.is_none() && equals && field == "metadata.name" {
            found = Some(value);
        }
    }
    Some(found)
}

/// Splits `field op value` at the first operator (`!=`, `==`, `=`); the bool
/// is true for equality.
fn split_term(term: &str) -> Option<(&str, bool, &str)> {
    term.char_indices().find_map(|(i, _)| {
        let rest = term.get(i..)?;
        let lhs = term.get(..i)?;
        if let Some(rhs) = rest.strip_prefix("!=") {
            Some((lhs, false, rhs))
        } else if let Some(rhs) = rest.strip_prefix("==") {
            Some((lhs, true, rhs))
        } else {
            rest.strip_prefix('=').map(|rhs| (lhs, true, rhs))
        }
    })
}

/// Field selector value unescaping; `None` on a bad escape or bare `,`/`=`.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut in_slash = false;
    for c in raw.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return None;
            }
            out.push(c);
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' || c == '=' {
            return None;
        } else {
            out.push(c);
        }
    }
    (!in_slash).then_some(out)
}

/// `path.IsValidPathSegmentName`: not `.` or `..`, no `/` or `%`.
fn is_valid_path_segment_name(name: &str) -> bool {
    name != "." && name != ".." && !name.contains('/') && !name.contains('%')
}

/// Trims slashes at both ends and splits on `/`; empty segments inside are
/// kept, as upstream does.
fn split_path(path: &str) -> Vec<String> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split('/').map(str::to_string).collect()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes; `plus_is_space` selects form encoding. `None` on a
/// malformed escape. Bytes that are not UTF-8 after decoding are replaced
/// with U+FFFD (no valid object name contains them).
fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    if !(s.contains('%') || plus_is_space && s.contains('+')) {
        return Some(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Decodes `%XX` escapes in a URL path (`+` stays `+`). `None` when an
/// escape is malformed, which Go's HTTP server answers with 400.
pub fn decode_path(path: &str) -> Option<String> {
    percent_decode(path, false)
}

/// Parses an `application/x-www-form-urlencoded` query string into ordered
/// pairs, like Go's `url.ParseQuery`: `&` separates pairs, `+` is a space,
/// `%XX` is decoded, a missing `=` gives an empty value, and pairs that
/// contain `;` or a malformed escape are skipped.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pair in query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (percent_decode(k, true), percent_decode(v, true)) else {
            continue;
        };
        out.push((k, v));
    }
    out
}

impl RequestInfo {
    /// What authorization is asked about this request.
    pub fn attributes(&self) -> crate::authz::Attributes<'_> {
        crate::authz::Attributes {
            verb: &self.verb,
            resource_request: self.is_resource_request,
            group: &self.api_group,
            resource: &self.resource,
            subresource: &self.subresource,
            namespace: &self.namespace,
            name: &self.name,
            path: &self.path,
            field_selector: &self.field_selector,
            api_version: &self.api_version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn url(u: &str) -> (&str, &str) {
        u.split_once('?').unwrap_or((u, ""))
    }

    #[rustfmt::skip]
    #[allow(clippy::type_complexity)]
    const RESOURCE_CASES: &[(&str, &str, &str, &str, &str, &str, &str, &str, &str, &str, &[&str])] = &[
        // method, url, verb, prefix, group, version, namespace, resource, subresource, name, parts
        ("GET", "/api/v1/namespaces", "list", "api", "", "v1", "", "namespaces", "", "", &["namespaces"]),
        ("GET", "/api/v1/namespaces/other", "get", "api", "", "v1", "other", "namespaces", "", "other", &["namespaces", "other"]),
        ("GET", "/api/v1/namespaces/other/pods", "list", "api", "", "v1", "other", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/namespaces/other/pods/foo", "get", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo"]),
        ("HEAD", "/api/v1/namespaces/other/pods/foo", "get", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo"]),
        ("GET", "/api/v1/pods", "list", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("HEAD", "/api/v1/pods", "list", "api", "", "v1", "", "pods", "", "", &["pods"]),
        // legacy verb prefixes
        ("GET", "/api/v1/proxy/namespaces/other/pods/foo", "proxy", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo"]),
        ("GET", "/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource", "proxy", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo", "subpath", "not", "a", "subresource"]),
        ("GET", "/api/v1/watch/pods", "watch", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/watch/namespaces/other/pods", "watch", "api", "", "v1", "other", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/watch/namespaces/other/pods/foo", "watch", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo"]),
        ("GET", "/apis/apps/v1/watch/namespaces/ns/deployments", "watch", "apis", "apps", "v1", "ns", "deployments", "", "", &["deployments"]),
        ("GET", "/api/v1/watch/namespaces", "watch", "api", "", "v1", "", "namespaces", "", "", &["namespaces"]),
        ("GET", "/api/v1/watch/namespaces/other", "watch", "api", "", "v1", "other", "namespaces", "", "other", &["namespaces", "other"]),
        // the watch query parameter
        ("GET", "/api/v1/pods?watch=true", "watch", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/pods?watch=false", "list", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/pods?watch=FALSE", "list", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/pods?watch=", "watch", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/pods?watch", "watch", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/pods?watch=0&watch=1", "list", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/namespaces/other/pods?watch=1", "watch", "api", "", "v1", "other", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/namespaces/other/pods?watch=0", "list", "api", "", "v1", "other", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/namespaces/other/pods/foo?watch=1", "get", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo"]),
        // subresources
        ("GET", "/api/v1/namespaces/other/pods/foo/status", "get", "api", "", "v1", "other", "pods", "status", "foo", &["pods", "foo", "status"]),
        ("GET", "/api/v1/namespaces/other/pods/foo/proxy/subpath", "get", "api", "", "v1", "other", "pods", "proxy", "foo", &["pods", "foo", "proxy", "subpath"]),
        ("PUT", "/api/v1/namespaces/other/finalize", "update", "api", "", "v1", "other", "namespaces", "finalize", "other", &["namespaces", "other", "finalize"]),
        ("PUT", "/api/v1/namespaces/other/status", "update", "api", "", "v1", "other", "namespaces", "status", "other", &["namespaces", "other", "status"]),
        ("GET", "/api/v1/nodes/n1/proxy/metrics", "get", "api", "", "v1", "", "nodes", "proxy", "n1", &["nodes", "n1", "proxy", "metrics"]),
        // verbs
        ("PATCH", "/api/v1/namespaces/other/pods/foo", "patch", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo"]),
        ("DELETE", "/api/v1/namespaces/other/pods/foo", "delete", "api", "", "v1", "other", "pods", "", "foo", &["pods", "foo"]),
        ("POST", "/api/v1/namespaces/other/pods", "create", "api", "", "v1", "other", "pods", "", "", &["pods"]),
        ("OPTIONS", "/api/v1/namespaces/other/pods", "", "api", "", "v1", "other", "pods", "", "", &["pods"]),
        ("get", "/api/v1/pods", "", "api", "", "v1", "", "pods", "", "", &["pods"]),
        // deletecollection
        ("DELETE", "/api/v1/nodes", "deletecollection", "api", "", "v1", "", "nodes", "", "", &["nodes"]),
        ("DELETE", "/api/v1/namespaces", "deletecollection", "api", "", "v1", "", "namespaces", "", "", &["namespaces"]),
        ("DELETE", "/api/v1/namespaces/other/pods", "deletecollection", "api", "", "v1", "other", "pods", "", "", &["pods"]),
        ("DELETE", "/apis/extensions/v1/namespaces/other/pods", "deletecollection", "apis", "extensions", "v1", "other", "pods", "", "", &["pods"]),
        // groups and versions
        ("POST", "/apis/extensions/v1/namespaces/other/pods", "create", "apis", "extensions", "v1", "other", "pods", "", "", &["pods"]),
        ("POST", "/apis/extensions/v1beta3/namespaces/other/pods", "create", "apis", "extensions", "v1beta3", "other", "pods", "", "", &["pods"]),
        ("GET", "/apis/batch/v1/job", "list", "apis", "batch", "v1", "", "job", "", "", &["job"]),
        ("GET", "/apis/batch/v1/job/foo/scale", "get", "apis", "batch", "v1", "", "job", "scale", "foo", &["job", "foo", "scale"]),
        // trailing and doubled slashes
        ("GET", "/api/v1/pods/", "list", "api", "", "v1", "", "pods", "", "", &["pods"]),
        ("GET", "//api/v1/namespaces/ns/pods//", "list", "api", "", "v1", "ns", "pods", "", "", &["pods"]),
        ("GET", "/api/v1/namespaces/ns/pods//status", "list", "api", "", "v1", "ns", "pods", "status", "", &["pods", "", "status"]),
        ("GET", "/api/v1/namespaces", "list", "api", "", "v1", "", "namespaces", "", "", &["namespaces"]),
        // percent-decoding happens before splitting
        ("GET", "/api/v1/namespaces/n%2Fs/pods", "get", "api", "", "v1", "n", "s", "", "pods", &["s", "pods"]),
        ("GET", "/api/v1/namespaces/ns/configmaps/a%20b", "get", "api", "", "v1", "ns", "configmaps", "", "a b", &["configmaps", "a b"]),
        ("GET", "/api/v1/namespaces/ns/configmaps/a+b", "get", "api", "", "v1", "ns", "configmaps", "", "a+b", &["configmaps", "a+b"]),
    ];

    #[test]
    fn resource_requests() {
        for &(method, u, verb, prefix, group, version, ns, resource, sub, name, parts) in RESOURCE_CASES {
            let (p, q) = url(u);
            let info = resolve(method, p, q);
            let want = RequestInfo {
                is_resource_request: true,
                path: decode_path(p).unwrap(),
                verb: verb.into(),
                api_prefix: prefix.into(),
                api_group: group.into(),
                api_version: version.into(),
                namespace: ns.into(),
                resource: resource.into(),
                subresource: sub.into(),
                name: name.into(),
                parts: parts.iter().map(|s| s.to_string()).collect(),
                field_selector: String::new(),
                label_selector: String::new(),
            };
            assert_eq!(info, want, "{method} {u}");
        }
    }

    #[test]
    fn non_resource_requests() {
        for u in [
            "/not-api/version/resource",
            "/apis/extensions/v1beta1",
            "/apis/extensions/v1beta1/",
            "/api/version",
            "/api/version/",
            "/apis/group/version/",
            "/api",
            "/apis",
            "/",
            "",
            "/healthz",
            "/version/resource",
            "/badprefix/version/resource",
            "/openapi/v2",
            "/api/v1/pods/%zz",
        ] {
            let info = resolve("GET", u, "");
            assert!(!info.is_resource_request, "{u}");
            assert_eq!(info.verb, "get");
            assert!(info.parts.is_empty());
        }
        assert_eq!(resolve("POST", "/healthz", "").verb, "post");
        assert_eq!(resolve("GET", "/a%2Fb", "").path, "/a/b");
        for u in [
            "/api/version/resource",
            "/apis/group/version/resource/name/subresource",
            "/api/version/resource/name/subresource",
        ] {
            assert!(resolve("GET", u, "").is_resource_request, "{u}");
        }
    }

    #[test]
    fn bare_verb_prefix_is_an_error() {
        let err = resolve_with("GET", "/api/v1/watch", "x=1", |_| true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unable to determine kind and namespace from url, /api/v1/watch?x=1"
        );
        let info = resolve("GET", "/apis/g/v/proxy", "");
        assert!(info.is_resource_request);
        assert_eq!(info.api_group, "g");
        assert_eq!(info.verb, "get");
        assert!(info.parts.is_empty());
    }

    #[test]
    fn field_selector_names() {
        let base = "/apis/group/version/resource";
        for (q, name, verb) in [
            ("", "", "list"),
            ("fieldSelector=metadata.name=name1", "name1", "list"),
            ("fieldSelector=metadata.name%3Dname1", "name1", "list"),
            ("watch=true&fieldSelector=metadata.name=name1", "name1", "watch"),
            ("fieldSelector=foo=bar", "", "list"),
            ("fieldSelector=metadata.name=name1,foo", "", "list"),
            ("fieldSelector=metadata.name=name1,foo&watch=true", "", "watch"),
            ("fieldSelector=metadata.name=name1,foo&watch=false", "", "list"),
            ("fieldSelector=metadata.name!=name1", "", "list"),
            ("fieldSelector=metadata.name==name1,a=b", "name1", "list"),
            ("fieldSelector=metadata.name=a%25b", "", "list"),
            ("fieldSelector=metadata.name=..", "", "list"),
            ("fieldSelector=metadata.name=name1&limit=abc", "", "list"),
            ("fieldSelector=metadata.name=name1&limit=500", "name1", "list"),
            (
                "fieldSelector=metadata.name=name1&timeoutSeconds=x&watch=1",
                "",
                "watch",
            ),
        ] {
            let info = resolve("GET", base, q);
            assert_eq!((info.name.as_str(), info.verb.as_str()), (name, verb), "{q}");
        }
        // A DELETE on a collection keeps no name from the selector.
        let info = resolve("DELETE", base, "fieldSelector=metadata.name=x");
        assert_eq!((info.name.as_str(), info.verb.as_str()), ("", "deletecollection"));
        // An invalid label selector spoils the whole decode.
        let info = resolve_with(
            "GET",
            base,
            "labelSelector=bad!!&fieldSelector=metadata.name=x",
            |s| s != "bad!!",
        )
        .unwrap();
        assert_eq!(info.name, "");
    }

    #[test]
    fn raw_selectors_for_authorization() {
        let info = resolve(
            "GET",
            "/api/v1/pods",
            "labelSelector=a%3Db&fieldSelector=spec.nodeName%3Dn1",
        );
        assert_eq!(info.label_selector, "a=b");
        assert_eq!(info.field_selector, "spec.nodeName=n1");
        let info = resolve("DELETE", "/api/v1/namespaces/x/pods", "labelSelector=a");
        assert_eq!(info.label_selector, "a");
        let info = resolve("GET", "/api/v1/watch/pods", "labelSelector=a");
        assert_eq!(info.label_selector, "");
        let info = resolve("GET", "/api/v1/namespaces/x/pods/p", "labelSelector=a");
        assert_eq!(info.label_selector, "");
    }

    #[test]
    fn query_parsing() {
        assert_eq!(
            parse_query("a=1&b=x+y&c=%41%2b&d&&e=&a=2"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "A+".into()),
                ("d".into(), "".into()),
                ("e".into(), "".into()),
                ("a".into(), "2".into()),
            ]
        );
        assert_eq!(parse_query(""), vec![]);
        assert_eq!(
            parse_query("a=%zz&b=1&c;d=2&k%3Dv=w=x"),
            vec![("b".into(), "1".into()), ("k=v".into(), "w=x".into()),]
        );
        assert_eq!(parse_query("a=%"), vec![]);
        assert_eq!(parse_query("a=%4"), vec![]);
        assert_eq!(parse_query("x=%ff")[0].1, "\u{fffd}");
    }

    fn segment() -> impl Strategy<Value = String> {
        "[a-z0-9][a-z0-9.-]{0,8}".prop_filter("not a reserved segment", |s| {
            !matches!(
                s.as_str(),
                "namespaces" | "watch" | "proxy" | "status" | "finalize"
            )
        })
    }

    proptest! {
        #[test]
        fn never_panics(method in "[A-Za-z]{0,7}", path in "\\PC{0,60}", query in "\\PC{0,60}") {
            let _ = resolve(&method, &path, &query);
            let _ = parse_query(&query);
        }

        #[test]
        fn never_panics_on_api_shaped_paths(
            path in "(/(api|apis|v1|namespaces|watch|proxy|status|x|%2F|%|)){0,8}/?",
            query in "(watch|fieldSelector|labelSelector|limit)=[a-z.=,%\\\\!0-9]{0,12}(&[a-z]{1,5}=[a-z=,]{0,5}){0,3}",
        ) {
            let _ = resolve("GET", &path, &query);
            let _ = resolve("DELETE", &path, &query);
        }

        #[test]
        fn resource_paths_round_trip(
            group in proptest::option::of(segment()),
            version in segment(),
            namespace in proptest::option::of(segment()),
            resource in segment(),
            name in proptest::option::of(segment()),
            sub in proptest::collection::vec(segment(), 0..3),
            method in prop_oneof![Just("GET"), Just("PUT"), Just("PATCH"), Just("DELETE"), Just("POST")],
        ) {
            let mut parts = vec![resource.clone()];
            if let Some(n) = &name {
                parts.push(n.clone());
                parts.extend(sub.iter().cloned());
            }
            let mut path = match &group {
                Some(g) => format!("/apis/{g}/{version}"),
                None => format!("/api/{version}"),
            };
            if let Some(ns) = &namespace {
                path.push_str(&format!("/namespaces/{ns}"));
            }
            for p in &parts {
                path.push('/');
                path.push_str(p);
            }
            let info = resolve(method, &path, "");
            prop_assert!(info.is_resource_request);
            prop_assert_eq!(&info.path, &path);
            prop_assert_eq!(&info.api_prefix, if group.is_some() { "apis" } else { "api" });
            prop_assert_eq!(info.api_group, group.unwrap_or_default());
            prop_assert_eq!(info.api_version, version);
            prop_assert_eq!(info.namespace, namespace.unwrap_or_default());
            prop_assert_eq!(info.resource, resource);
            prop_assert_eq!(info.name, name.clone().unwrap_or_default());
            prop_assert_eq!(info.subresource, if name.is_some() { sub.first().cloned().unwrap_or_default() } else { String::new() });
            prop_assert_eq!(&info.parts, &parts);
            let want_verb = match (method, name.is_some()) {
                ("GET", true) => "get",
                ("GET", false) => "list",
                ("DELETE", true) => "delete",
                ("DELETE", false) => "deletecollection",
                ("PUT", _) => "update",
                ("PATCH", _) => "patch",
                _ => "create",
            };
            prop_assert_eq!(info.verb, want_verb);
        }
    }
}
