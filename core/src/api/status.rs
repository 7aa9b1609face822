//! Request outcomes as Kubernetes `Status` objects, with kube-apiserver's reasons and wording.

use serde_json::{json, Map, Value};

/// One entry of `details.causes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// Machine-readable reason, e.g. `FieldValueInvalid`.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
    /// The field path, e.g. `metadata.name`.
    pub field: String,
}

/// A failed request: always answered as a `Status` object, never a panic or a bare string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `Status.reason`.
    pub reason: &'static str,
    /// `Status.message`, used verbatim by kubectl.
    pub message: String,
    /// `details.name`.
    pub name: Option<String>,
    /// `details.group`.
    pub group: Option<String>,
    /// `details.kind`: the resource for most reasons, the Kind for `Invalid`.
    pub kind: Option<String>,
    /// `details.causes`.
    pub causes: Vec<Cause>,
    /// `details.retryAfterSeconds`, and the `Retry-After` header.
    pub retry_after: Option<u32>,
    /// `metadata.continue` (a fresh token handed back with an expired one).
    pub continue_token: Option<String>,
    /// Written as Go's `http.Error` writes it (the message as `text/plain`), where kube
    /// answers so rather than with a `Status`.
    pub plain_text: bool,
}

/// `resource.group`, or just `resource` in the core group, as kube names a GroupResource.
pub fn qualified(group: &str, name: &str) -> String {
    if group.is_empty() {
        name.to_string()
    } else {
        format!("{name}.{group}")
    }
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            name: None,
            group: None,
            kind: None,
            causes: Vec::new(),
            retry_after: None,
            continue_token: None,
            plain_text: false,
        }
    }

    fn with_details(mut self, group: &str, kind: &str, name: &str) -> Self {
        if !name.is_empty() {
            self.name = Some(name.to_string());
        }
        if !group.is_empty() {
            self.group = Some(group.to_string());
        }
        self.kind = Some(kind.to_string());
        self
    }

    /// 404 for a named object.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", qualified(group, resource), name),
        )
        .with_details(group, resource, name)
    }

    /// 404 for a path the server does not serve.
    pub fn path_not_found() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// 409 on create of an existing name.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", qualified(group, resource), name),
        )
        .with_details(group, resource, name)
    }

    /// 409 on a stale resourceVersion or failed precondition.
    pub fn conflict(group: &str, resource: &str, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": {}",
                qualified(group, resource),
                name,
                why
            ),
        )
        .with_details(group, resource, name)
    }

    /// The conflict kube-apiserver reports for a stale resourceVersion.
    pub fn stale(group: &str, resource: &str, name: &str) -> Self {
        Self::conflict(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// A refusal whose code, reason and message another party chose (an admission webhook's
    /// Status).
    pub fn with_status(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, reason, message)
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 422 with one cause per bad field. `kind` is the Kind, `message` the aggregate text.
    pub fn invalid(group: &str, kind: &str, name: &str, message: String, causes: Vec<Cause>) -> Self {
        let mut e = Self::new(422, "Invalid", message).with_details(group, kind, name);
        e.causes = causes;
        e
    }

    /// 403.
    pub fn forbidden(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let q = qualified(group, resource);
        let message = if name.is_empty() {
            format!("{q} is forbidden: {why}")
        } else {
            format!("{q} \"{name}\" is forbidden: {why}")
        };
        Self::new(403, "Forbidden", message).with_details(group, resource, name)
    }

    /// 403 for a non-resource path, as kube-apiserver words it.
    pub fn forbidden_path(why: &str) -> Self {
        Self::new(403, "Forbidden", format!("forbidden: {why}"))
    }

    /// 500 written as plain text, as kube's filters answer an internal error before a
    /// handler runs (`Internal Server Error: "<uri>": <why>`, HTML-escaped as kube's
    /// sanitizer escapes it).
    pub fn internal_text(uri: &str, why: &str) -> Self {
        let text = format!(
            "Internal Server Error: {}: {why}",
            crate::validation::go_quote(uri)
        );
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let mut e = Self::new(500, "InternalError", escaped);
        e.plain_text = true;
        e
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 401 saying why a credential was refused: for a TokenReview's `status.error` and the
    /// log. A request presenting the credential is answered [`ApiError::unauthorized`].
    pub fn unauthenticated(why: impl Into<String>) -> Self {
        Self::new(401, "Unauthorized", why)
    }

    /// 405.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// 406.
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    /// 415.
    pub fn unsupported_media_type(content_type: &str, supported: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                supported.join(", ")
            ),
        )
        .with_details("", content_type, "")
    }

    /// 410 with reason Expired.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 413.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: {}", message.into()),
        )
    }

    /// 500.
    pub fn internal(message: impl Into<String>) -> Self {
        let m = message.into();
        let mut e = Self::new(500, "InternalError", format!("Internal error occurred: {m}"));
        e.causes.push(Cause {
            reason: String::new(),
            message: m,
            field: String::new(),
        });
        e
    }

    /// 504, for a request that did not finish within the request timeout.
    pub fn timeout() -> Self {
        Self::new(
            504,
            "Timeout",
            "Timeout: request did not complete within requested timeout - context deadline exceeded",
        )
    }

    /// 504 for a resourceVersion newer than the store's, after waiting for it.
    pub fn too_large_resource_version(rv: i64, current: i64) -> Self {
        let mut e = Self::new(
            504,
            "Timeout",
            format!("Timeout: Too large resource version: {rv}, current: {current}"),
        );
        e.causes.push(Cause {
            reason: "ResourceVersionTooLarge".into(),
            message: "Too large resource version".into(),
            field: String::new(),
        });
        e.retry_after = Some(1);
        e
    }

    /// 500 with no reason, as kube-apiserver answers an error it has no status for (a storage
    /// failure, a kubelet it cannot dial): kubectl prints `Error from server: <message>`.
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(500, "", message)
    }

    /// A storage failure ([`ApiError::unknown`]).
    pub fn storage_failure(message: &str) -> Self {
        Self::unknown(message)
    }

    /// 429 with one cause, as an eviction refused by a disruption budget.
    pub fn too_many_requests(
        message: impl Into<String>,
        cause_reason: &str,
        cause: impl Into<String>,
    ) -> Self {
        let mut e = Self::new(429, "TooManyRequests", message);
        e.causes.push(Cause {
            reason: cause_reason.to_string(),
            message: cause.into(),
            field: String::new(),
        });
        e
    }

    /// 503.
    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut e = Self::new(503, "ServiceUnavailable", message);
        e.retry_after = Some(1);
        e
    }

    /// 503 without a retry hint, as Kubernetes' `NewServiceUnavailable` gives it.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "ServiceUnavailable", message)
    }

    /// 409 for a server-side apply whose fields other managers own: the message and one
    /// `FieldManagerConflict` cause per field, without details naming the object.
    pub fn apply_conflict(message: impl Into<String>, causes: Vec<Cause>) -> Self {
        let mut e = Self::new(409, "Conflict", message);
        e.causes = causes;
        e
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut details = Map::new();
        if let Some(n) = &self.name {
            details.insert("name".into(), json!(n));
        }
        if let Some(g) = &self.group {
            details.insert("group".into(), json!(g));
        }
        if let Some(k) = &self.kind {
            details.insert("kind".into(), json!(k));
        }
        if !self.causes.is_empty() {
            let causes: Vec<Value> = self
                .causes
                .iter()
                .map(|c| {
                    let mut m = Map::new();
                    if !c.reason.is_empty() {
                        m.insert("reason".into(), json!(c.reason));
                    }
                    m.insert("message".into(), json!(c.message));
                    if !c.field.is_empty() {
                        m.insert("field".into(), json!(c.field));
                    }
                    Value::Object(m)
                })
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        if let Some(r) = self.retry_after {
            details.insert("retryAfterSeconds".into(), json!(r));
        }
        let mut metadata = Map::new();
        if let Some(c) = &self.continue_token {
            metadata.insert("continue".into(), json!(c));
        }
        let mut status = Map::new();
        status.insert("kind".into(), json!("Status"));
        status.insert("apiVersion".into(), json!("v1"));
        status.insert("metadata".into(), Value::Object(metadata));
        status.insert("status".into(), json!("Failure"));
        status.insert("message".into(), json!(self.message));
        if !self.reason.is_empty() {
            status.insert("reason".into(), json!(self.reason));
        }
        if !details.is_empty() {
            status.insert("details".into(), Value::Object(details));
        }
        status.insert("code".into(), json!(self.code));
        Value::Object(status)
    }
}

/// `Kind.group`, or just `Kind` in the core group, as kube names a GroupKind.
pub fn qualified_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_matches_kube_wording() {
        let s = ApiError::not_found("apps", "deployments", "web").to_status();
        assert_eq!(s["message"], "deployments.apps \"web\" not found");
        assert_eq!(s["details"]["group"], "apps");
        assert_eq!(s["details"]["kind"], "deployments");
        assert_eq!(s["code"], 404);
        let s = ApiError::not_found("", "configmaps", "x").to_status();
        assert_eq!(s["message"], "configmaps \"x\" not found");
        assert!(s["details"].get("group").is_none());
    }

    #[test]
    fn stale_conflict() {
        let s = ApiError::stale("", "configmaps", "x").to_status();
        assert_eq!(
            s["message"],
            "Operation cannot be fulfilled on configmaps \"x\": the object has been modified; please apply your changes to the latest version and try again"
        );
        assert_eq!(s["reason"], "Conflict");
    }
}
