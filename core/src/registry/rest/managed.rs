//! Field managers of writes: who the manager is, which fields its endpoint never tracks,
//! the managedFields bookkeeping of creates, updates and non-apply patches, and
//! server-side apply (`application/apply-patch+yaml`).

use super::*;
use crate::apply::{self, ApplyError, Operation};

/// The content type of a server-side apply.
pub(super) const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// The longest field manager name kube-apiserver accepts.
const MAX_MANAGER_LEN: usize = 128;

/// The field manager of a write: the `fieldManager` parameter, else the User-Agent up to
/// its first `/` (`kubectl/v1.32.4 (linux/amd64) …` is `kubectl`).
pub(super) fn manager(call: &Call) -> String {
    match call.params.get("fieldManager") {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => call.user_agent.split('/').next().unwrap_or("").to_string(),
    }
}

/// The write options kube-apiserver checks before anything else (its
/// `ValidateCreateOptions`, `ValidateUpdateOptions` and `ValidatePatchOptions`).
pub(super) fn check_write_options(call: &Call, apply: bool) -> Result<(), ApiError> {
    let kind = match call.verb.as_str() {
        "create" => "CreateOptions",
        "update" => "UpdateOptions",
        "patch" => "PatchOptions",
        _ => return Ok(()),
    };
    let given = call.params.get("fieldManager").unwrap_or("");
    let mut errs = Vec::new();
    if call.verb == "patch" {
        if !apply && call.params.get("force").is_some() {
            errs.push("force: Forbidden: may not be specified for non-apply patch".to_string());
        }
        if apply && given.is_empty() {
            errs.push("fieldManager: Required value: is required for apply patch".to_string());
        }
    }
    if given.len() > MAX_MANAGER_LEN {
        errs.push(format!(
            "fieldManager: Too long: may not be more than {MAX_MANAGER_LEN} bytes"
        ));
    }
    if given.chars().any(|c| c.is_control()) {
        errs.push(format!(
            "fieldManager: Invalid value: {given:?}: must only contain printable characters"
        ));
    }
    let msg = match errs.len() {
        0 => return Ok(()),
        1 => errs.remove(0),
        _ => format!("[{}]", errs.join(", ")),
    };
    Err(ApiError::invalid(
        "meta.k8s.io",
        kind,
        "",
        format!("{kind}.meta.k8s.io \"\" is invalid: {msg}"),
        vec![],
    ))
}

/// Fields a write through `subresource` never owns: the status of a kind whose status is a
/// subresource, written through the main resource, and the spec written through `status`.
fn reset_paths(def: &ResourceDef, subresource: &str) -> &'static [&'static [&'static str]] {
    match subresource {
        "" if def.has_status() => &[&["status"]],
        "status" => &[&["spec"]],
        _ => &[],
    }
}

/// Whether writes through `subresource` are tracked (binding and the like are the server's
/// own changes, which kube-apiserver does not record either).
fn tracked(subresource: &str) -> bool {
    matches!(
        subresource,
        "" | "status" | "scale" | "ephemeralcontainers" | "approval" | "finalize" | "resize"
    )
}

impl Machine {
    fn operation_time(env: &Env<'_>) -> String {
        format_rfc3339(env.now.wall_secs())
    }

    /// Records a non-apply write in `new`'s managedFields (`old` is the stored object,
    /// `None` on create). As kube-apiserver does, a failure to track never fails the write.
    pub(super) fn track_fields(&self, env: &Env<'_>, old: Option<&Value>, new: &mut Value) {
        let Some(openapi) = env.openapi else { return };
        if !tracked(&self.call.subresource) {
            return;
        }
        let manager = manager(&self.call);
        let time = Self::operation_time(env);
        let api_version = self.call.served.api_version();
        let op = Operation {
            manager: &manager,
            api_version: &api_version,
            subresource: &self.call.subresource,
            time: &time,
        };
        let reset = reset_paths(&self.call.def, &self.call.subresource);
        let _ = apply::update(
            openapi.definitions(),
            &self.call.def.definition,
            old,
            new,
            &op,
            reset,
        );
    }

    /// Server-side apply of the request's configuration onto `live` (stored form; `None`
    /// when the object does not exist yet): the merged object in stored form, its
    /// managedFields updated, and the configuration's resourceVersion (a precondition, as
    /// in any patch; empty when it has none).
    pub(super) fn apply_config(&self, env: &Env<'_>, live: Option<&Value>) -> Result<Value, ApiError> {
        let served = &*self.call.served;
        let mut config: Value = serde_yaml::from_slice(&self.call.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
        if !config.is_object() {
            return Err(ApiError::bad_request(
                "error decoding YAML: the apply configuration must be an object",
            ));
        }
        let Some(openapi) = env.openapi else {
            return Err(ApiError::internal("server-side apply needs the OpenAPI schemas"));
        };
        // Fields the kind does not have: kube-apiserver cannot type the configuration.
        let raw = serde_json::to_vec(&config).unwrap_or_default();
        let problems = openapi.strict_problems(&served.definition, &raw);
        if let Some(unknown) = problems.iter().find_map(|p| unknown_field(p)) {
            return Err(ApiError::unknown(format!(
                "failed to create typed patch object ({}, Kind={}): .{unknown}: field not declared in schema",
                group_version(served),
                served.kind
            )));
        }
        let meta = api::meta_mut(&mut config);
        if !meta.contains_key("name") {
            meta.insert("name".into(), json!(self.call.name));
        }
        if served.namespaced && !meta.contains_key("namespace") {
            meta.insert("namespace".into(), json!(self.call.namespace));
        }
        if api::name(&config) != self.call.name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({})",
                api::name(&config),
                self.call.name
            )));
        }
        let asked_rv = api::meta_str(&config, "resourceVersion").to_string();
        let live = live.map(|l| to_served(served, l.clone())).transpose()?;
        let manager = manager(&self.call);
        let time = Self::operation_time(env);
        let api_version = served.api_version();
        let op = Operation {
            manager: &manager,
            api_version: &api_version,
            subresource: &self.call.subresource,
            time: &time,
        };
        let force = self.call.params.get("force").is_some_and(parse_bool);
        let reset = reset_paths(&self.call.def, &self.call.subresource);
        let merged = apply::apply(
            openapi.definitions(),
            &served.definition,
            live.as_ref(),
            &config,
            &op,
            force,
            reset,
        )
        .map_err(|e| apply_error(served, e))?;
        body::check_type_meta(served, &merged)?;
        let mut stored = to_stored(served, &merged)?;
        api::set_meta(&mut stored, "resourceVersion", json!(asked_rv));
        Ok(stored)
    }
}

/// The field of a strict decoding problem about an unknown field.
fn unknown_field(problem: &str) -> Option<&str> {
    problem.strip_prefix("unknown field \"")?.strip_suffix('"')
}

/// The `<group>/<version>` of a kind as Go prints a GroupVersion (`/v1` for the core group).
fn group_version(def: &ResourceDef) -> String {
    format!("{}/{}", def.group, def.version)
}

/// kube-apiserver's answers to a failed apply.
fn apply_error(def: &ResourceDef, e: ApplyError) -> ApiError {
    match e {
        ApplyError::Conflicts(c) => {
            let causes = c
                .causes()
                .into_iter()
                .map(|(message, field)| api::Cause {
                    reason: "FieldManagerConflict".into(),
                    message,
                    field,
                })
                .collect();
            ApiError::apply_conflict(c.message(), causes)
        }
        ApplyError::BadRequest(m) => ApiError::bad_request(m),
        // Go errors without a status: 500 with no reason.
        ApplyError::Invalid(m) => ApiError::unknown(format!(
            "failed to create typed patch object ({}, Kind={}): {m}",
            group_version(def),
            def.kind
        )),
        ApplyError::Internal(m) => ApiError::internal(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(verb: &str, query: &str, agent: &str) -> Call {
        let def = std::sync::Arc::new(find("", "v1", "configmaps").expect("configmaps").clone());
        Call {
            def: def.clone(),
            served: def,
            verb: verb.into(),
            namespace: "default".into(),
            name: "x".into(),
            subresource: String::new(),
            params: Params::parse(query),
            content_type: String::new(),
            body: Vec::new(),
            user: crate::authn::UserInfo::apiserver(),
            user_agent: agent.into(),
        }
    }

    #[test]
    fn managers_come_from_the_parameter_or_the_user_agent() {
        let agent = "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07";
        assert_eq!(manager(&call("update", "fieldManager=helm", agent)), "helm");
        assert_eq!(manager(&call("update", "", agent)), "kubectl");
        assert_eq!(manager(&call("update", "", "")), "");
    }

    #[test]
    fn write_options_are_checked_as_kube_apiserver_checks_them() {
        assert!(check_write_options(&call("patch", "fieldManager=m", ""), true).is_ok());
        let e = check_write_options(&call("patch", "", ""), true).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
        );
        let e = check_write_options(&call("patch", "force=true", ""), false).unwrap_err();
        assert_eq!(
            e.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"
        );
        let long = format!("fieldManager={}", "m".repeat(129));
        let e = check_write_options(&call("create", &long, ""), false).unwrap_err();
        assert_eq!(
            e.message,
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"
        );
    }
}
