//! The AdmissionReview a webhook is sent, and the reading of its answer, as kube's
//! `CreateAdmissionObjects` and `VerifyAdmissionResponse` do: the first version of
//! `admissionReviewVersions` kube speaks (v1, v1beta1), a fresh uid the answer must repeat,
//! and for v1 an answer of the same apiVersion and kind whose patch comes with its type.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::matching::Invocation;
use crate::admission::Request;

/// The AdmissionReview versions kube speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `admission.k8s.io/v1`.
    V1,
    /// `admission.k8s.io/v1beta1`.
    V1beta1,
}

impl Version {
    /// The first of `accepted` kube speaks.
    pub fn pick(accepted: &[String]) -> Option<Version> {
        accepted.iter().find_map(|v| match v.as_str() {
            "v1" => Some(Version::V1),
            "v1beta1" => Some(Version::V1beta1),
            _ => None,
        })
    }

    fn api_version(self) -> &'static str {
        match self {
            Version::V1 => "admission.k8s.io/v1",
            Version::V1beta1 => "admission.k8s.io/v1beta1",
        }
    }
}

/// The AdmissionRequest for `request` as `invocation` names it, with `object` and
/// `old_object` already in the invocation's version. Match conditions see it as `request`.
pub fn admission_request(
    uid: &str,
    request: &Request,
    invocation: &Invocation,
    object: Option<&Value>,
    old_object: Option<&Value>,
) -> Value {
    let mut user = Map::new();
    let u = &request.user;
    if !u.name.is_empty() {
        user.insert("username".into(), json!(u.name));
    }
    if !u.uid.is_empty() {
        user.insert("uid".into(), json!(u.uid));
    }
    if !u.groups.is_empty() {
        user.insert("groups".into(), json!(u.groups));
    }
    if !u.extra.is_empty() {
        user.insert("extra".into(), json!(u.extra));
    }
    let mut r = Map::new();
    r.insert("uid".into(), json!(uid));
    r.insert(
        "kind".into(),
        json!({"group": invocation.group, "version": invocation.version, "kind": invocation.kind}),
    );
    r.insert(
        "resource".into(),
        json!({"group": invocation.group, "version": invocation.version, "resource": invocation.resource}),
    );
    if !invocation.subresource.is_empty() {
        r.insert("subResource".into(), json!(invocation.subresource));
    }
    r.insert(
        "requestKind".into(),
        json!({"group": request.group, "version": request.version, "kind": request.kind}),
    );
    r.insert(
        "requestResource".into(),
        json!({"group": request.group, "version": request.version, "resource": request.resource}),
    );
    if !request.subresource.is_empty() {
        r.insert("requestSubResource".into(), json!(request.subresource));
    }
    if !request.name.is_empty() {
        r.insert("name".into(), json!(request.name));
    }
    if !request.namespace.is_empty() {
        r.insert("namespace".into(), json!(request.namespace));
    }
    r.insert("operation".into(), json!(request.operation.as_str()));
    r.insert("userInfo".into(), Value::Object(user));
    r.insert("object".into(), object.cloned().unwrap_or(Value::Null));
    r.insert("oldObject".into(), old_object.cloned().unwrap_or(Value::Null));
    r.insert("dryRun".into(), json!(request.dry_run));
    r.insert("options".into(), request.options.clone());
    Value::Object(r)
}

/// The whole AdmissionReview sent.
pub fn review(version: Version, admission_request: Value) -> Value {
    json!({
        "kind": "AdmissionReview",
        "apiVersion": version.api_version(),
        "request": admission_request,
    })
}

/// A webhook's verified answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    /// Whether it admits the request.
    pub allowed: bool,
    /// The JSON Patch to apply (mutating webhooks), decoded from base64.
    pub patch: Vec<u8>,
    /// `JSONPatch`, or what else the webhook said.
    pub patch_type: String,
    /// `response.status`, when given.
    pub result: Option<Value>,
    /// Warnings for the client.
    pub warnings: Vec<String>,
}

/// Why an answer is not one: `Decode` when the body is no AdmissionReview at all (kube's
/// client fails to read it), `Invalid` when it does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// The body does not decode.
    Decode(String),
    /// The answer does not verify.
    Invalid(String),
}

/// Reads and verifies the answer `body` to a review of `version` with `uid`.
pub fn verify(version: Version, uid: &str, mutating: bool, body: &[u8]) -> Result<Answer, Unreadable> {
    let review: Value = serde_json::from_slice(body).map_err(|e| Unreadable::Decode(e.to_string()))?;
    if !review.is_object() {
        return Err(Unreadable::Decode(
            "couldn't get version/kind; json parse error: not an object".into(),
        ));
    }
    let invalid = |why: String| Err(Unreadable::Invalid(why));
    let Some(response) = review.get("response").filter(|r| r.is_object()) else {
        return invalid("webhook response was absent".into());
    };
    let field = |f: &str| response.get(f).and_then(Value::as_str).unwrap_or("");
    let patch_b64 = field("patch");
    let patch = STANDARD
        .decode(patch_b64)
        .map_err(|e| Unreadable::Decode(format!("illegal base64 data in response.patch: {e}")))?;
    let patch_type = response.get("patchType").and_then(Value::as_str);
    let warnings = response
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let result = response.get("status").filter(|s| s.is_object()).cloned();
    let allowed = response.get("allowed").and_then(Value::as_bool).unwrap_or(false);
    match version {
        Version::V1 => {
            let got_uid = field("uid");
            if got_uid != uid {
                return invalid(format!("expected response.uid={uid:?}, got {got_uid:?}"));
            }
            let api_version = review.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let kind = review.get("kind").and_then(Value::as_str).unwrap_or("");
            if api_version != "admission.k8s.io/v1" || kind != "AdmissionReview" {
                return invalid(format!(
                    "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {api_version}, Kind={kind}"
                ));
            }
            if mutating {
                match (patch.is_empty(), patch_type) {
                    (false, None) => {
                        return invalid("webhook returned response.patch but not response.patchType".into())
                    }
                    (true, Some(_)) => {
                        return invalid("webhook returned response.patchType but not response.patch".into())
                    }
                    (_, Some("")) => {
                        return invalid("webhook returned invalid response.patchType of \"\"".into())
                    }
                    _ => {}
                }
            } else {
                if !patch.is_empty() {
                    return invalid("validating webhook may not return response.patch".into());
                }
                if patch_type.is_some() {
                    return invalid("validating webhook may not return response.patchType".into());
                }
            }
            Ok(Answer {
                allowed,
                patch: if mutating { patch } else { Vec::new() },
                patch_type: patch_type.unwrap_or("").to_string(),
                result,
                warnings,
            })
        }
        // v1beta1 answers are taken as kube takes them: no uid check, a patch is a JSON Patch.
        Version::V1beta1 => {
            let patch = if mutating { patch } else { Vec::new() };
            let patch_type = if patch.is_empty() { "" } else { "JSONPatch" };
            Ok(Answer {
                allowed,
                patch,
                patch_type: patch_type.to_string(),
                result,
                warnings,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::Operation;
    use crate::authn::UserInfo;

    fn request() -> Request {
        Request {
            operation: Operation::Create,
            group: "".into(),
            version: "v1".into(),
            resource: "pods".into(),
            kind: "Pod".into(),
            namespaced: true,
            namespace: "ns".into(),
            name: "p".into(),
            subresource: String::new(),
            user: UserInfo {
                name: "jane".into(),
                groups: vec!["devs".into()],
                ..Default::default()
            },
            dry_run: false,
            object: Some(json!({"kind": "Pod"})),
            old_object: None,
            options: json!({"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}),
            warnings: Vec::new(),
            deadline_ms: None,
            seed: 0,
        }
    }

    #[test]
    fn requests_as_kube_builds_them() {
        let r = request();
        let inv = Invocation::of(&r);
        let ar = admission_request("u-1", &r, &inv, r.object.as_ref(), None);
        assert_eq!(
            ar,
            json!({
                "uid": "u-1",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
                "requestResource": {"group": "", "version": "v1", "resource": "pods"},
                "name": "p",
                "namespace": "ns",
                "operation": "CREATE",
                "userInfo": {"username": "jane", "groups": ["devs"]},
                "object": {"kind": "Pod"},
                "oldObject": null,
                "dryRun": false,
                "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
            })
        );
        let v1beta1 = review(Version::V1beta1, ar);
        assert_eq!(v1beta1["apiVersion"], "admission.k8s.io/v1beta1");
        assert_eq!(
            Version::pick(&["v2".into(), "v1beta1".into(), "v1".into()]),
            Some(Version::V1beta1)
        );
        assert_eq!(Version::pick(&["v2".into()]), None);
    }

    fn body(v: Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn answers_verified_as_kube_verifies_them() {
        let ok = |response: Value| {
            body(
                json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}),
            )
        };
        let a = verify(
            Version::V1,
            "u",
            true,
            &ok(json!({"uid": "u", "allowed": true, "patchType": "JSONPatch", "patch": "W10=", "warnings": ["w"]})),
        )
        .unwrap();
        assert_eq!(
            (a.allowed, a.patch.as_slice(), a.warnings.as_slice()),
            (true, &b"[]"[..], &["w".to_string()][..])
        );
        let inv = |v: Value, mutating: bool| match verify(Version::V1, "u", mutating, &ok(v)) {
            Err(Unreadable::Invalid(why)) => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            inv(json!({"uid": "x", "allowed": true}), true),
            "expected response.uid=\"u\", got \"x\""
        );
        assert_eq!(
            inv(json!({"uid": "u", "allowed": true, "patch": "W10="}), true),
            "webhook returned response.patch but not response.patchType"
        );
        assert_eq!(
            inv(
                json!({"uid": "u", "allowed": true, "patch": "W10=", "patchType": "JSONPatch"}),
                false
            ),
            "validating webhook may not return response.patch"
        );
        let wrong_kind = body(json!({"apiVersion": "v1", "kind": "Status", "response": {"uid": "u"}}));
        assert!(
            matches!(verify(Version::V1, "u", true, &wrong_kind), Err(Unreadable::Invalid(w)) if w.contains("Kind=Status"))
        );
        assert!(matches!(
            verify(Version::V1, "u", true, b"<html>"),
            Err(Unreadable::Decode(_))
        ));
        let absent = body(json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}));
        assert_eq!(
            verify(Version::V1, "u", true, &absent),
            Err(Unreadable::Invalid("webhook response was absent".into()))
        );
        // v1beta1: no uid check, the patch is a JSON Patch.
        let beta = body(json!({"response": {"allowed": true, "patch": "W10="}}));
        let a = verify(Version::V1beta1, "u", true, &beta).unwrap();
        assert_eq!(a.patch_type, "JSONPatch");
    }
}
