//! List options: selectors, paging with continue tokens, and resourceVersion semantics.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::selectors::{FieldSelector, LabelSelector};

use super::rest::Params;
use super::ResourceDef;

/// How a read's resourceVersion constrains what it may return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RvMatch {
    /// Unset: the latest state (a consistent read).
    Latest,
    /// "0": any state, possibly stale.
    Any,
    /// N with NotOlderThan: at least as new as N.
    NotOlderThan(i64),
    /// N with Exact: the state at exactly N.
    Exact(i64),
}

/// A decoded continue token: the snapshot revision and the next key, relative to the
/// collection prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Continue {
    /// Revision of the first page; -1 after an expired token: continue at the latest revision.
    pub rv: i64,
    /// The key to start at, relative to the collection prefix.
    pub start: String,
}

impl Continue {
    /// The opaque token, in kube-apiserver's format (URL-safe base64 of a small JSON object).
    pub fn encode(&self) -> String {
        let v = json!({"v": "meta.k8s.io/v1", "rv": self.rv, "start": self.start});
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    /// Parses a token; errors are 400 BadRequest as kube words them.
    pub fn decode(token: &str) -> Result<Continue, ApiError> {
        let bad = |why: &str| ApiError::bad_request(format!("continue key is not valid: {why}"));
        let raw = URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|_| bad("illegal base64 data"))?;
        let v: Value = serde_json::from_slice(&raw).map_err(|_| bad("invalid json"))?;
        if v.get("v").and_then(Value::as_str) != Some("meta.k8s.io/v1") {
            return Err(bad(
                "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            ));
        }
        let rv = v.get("rv").and_then(Value::as_i64).unwrap_or(0);
        let start = v.get("start").and_then(Value::as_str).unwrap_or("").to_string();
        if start.is_empty() || rv == 0 {
            return Err(bad(
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            ));
        }
        // A relative key must not climb out of the collection.
        if start.starts_with('/') || start.split('/').any(|s| s == "..") {
            return Err(bad("continue key is not valid: path traversal"));
        }
        Ok(Continue { rv, start })
    }
}

/// Options of a list or watch.
#[derive(Clone, Debug)]
pub struct ListOptions {
    /// labelSelector.
    pub labels: LabelSelector,
    /// fieldSelector.
    pub fields: FieldSelector,
    /// limit (0: none).
    pub limit: i64,
    /// continue.
    pub cont: Option<Continue>,
    /// resourceVersion and resourceVersionMatch.
    pub rv: RvMatch,
    /// The raw resourceVersion ("" when unset), for watches.
    pub rv_raw: String,
    /// allowWatchBookmarks.
    pub bookmarks: bool,
    /// timeoutSeconds.
    pub timeout_secs: Option<u64>,
    /// sendInitialEvents.
    pub send_initial_events: Option<bool>,
}

/// A boolean query parameter as Go's `strconv.ParseBool` reads it (true values only).
pub(crate) fn parse_bool(v: &str) -> bool {
    matches!(v, "true" | "1" | "True" | "TRUE" | "t" | "T")
}

impl ListOptions {
    /// Parses list options from the query of a list (`watch` false) or a watch, checking
    /// field selectors against what `def` supports and the options as kube-apiserver's
    /// ValidateListOptions does.
    pub fn parse(def: &ResourceDef, params: &Params, watch: bool) -> Result<ListOptions, ApiError> {
        let labels = LabelSelector::parse(params.get("labelSelector").unwrap_or(""))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let fields = FieldSelector::parse(params.get("fieldSelector").unwrap_or(""))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        for req in fields.requirements() {
            crate::selectors::check_supported(&def.group, &def.resource, &req.field)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
        }
        let limit = match params.get("limit") {
            None | Some("") => 0,
            Some(s) => s
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit: {s}")))?
                .max(0),
        };
        let rv_raw = params.get("resourceVersion").unwrap_or("").to_string();
        let rv_match = params.get("resourceVersionMatch").unwrap_or("");
        let cont = match params.get("continue") {
            None | Some("") => None,
            Some(t) => Some(Continue::decode(t)?),
        };
        if cont.is_some() && !rv_raw.is_empty() && rv_raw != "0" {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let parsed_rv = |s: &str| -> Result<i64, ApiError> {
            s.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::bad_request(format!("invalid resource version: {s}")))
        };
        let send_initial_events = params.get("sendInitialEvents").map(parse_bool);
        let bookmarks = params.get("allowWatchBookmarks").is_some_and(parse_bool);
        check_watch_list(watch, rv_match, send_initial_events, bookmarks, cont.is_some())?;
        let rv = match (rv_raw.as_str(), rv_match) {
            ("", "") => RvMatch::Latest,
            // A watch list from "now": a consistent initial state.
            ("", "NotOlderThan") if watch => RvMatch::Latest,
            ("", m) => {
                return Err(invalid_list_options(&format!(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided (got {m})"
                )))
            }
            ("0", "") | ("0", "NotOlderThan") => RvMatch::Any,
            ("0", "Exact") => {
                return Err(invalid_list_options(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                ))
            }
            (s, "") | (s, "NotOlderThan") => RvMatch::NotOlderThan(parsed_rv(s)?),
            (s, "Exact") => RvMatch::Exact(parsed_rv(s)?),
            (_, m) => {
                return Err(invalid_list_options(&format!(
                    "resourceVersionMatch: Unsupported value: \"{m}\": supported values: \"Exact\", \"NotOlderThan\""
                )))
            }
        };
        let timeout_secs = match params.get("timeoutSeconds") {
            None | Some("") => None,
            Some(s) => Some(
                s.parse::<u64>()
                    .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds: {s}")))?,
            ),
        };
        Ok(ListOptions {
            labels,
            fields,
            limit,
            cont,
            rv,
            rv_raw,
            bookmarks,
            timeout_secs,
            send_initial_events,
        })
    }

    /// Whether `obj` passes both selectors.
    pub fn matches(&self, def: &ResourceDef, obj: &Value) -> bool {
        matches_selectors(&self.labels, &self.fields, def, obj)
    }

    /// Whether any selector is set (then remainingItemCount is unknown).
    pub fn has_selectors(&self) -> bool {
        !self.labels.is_empty() || !self.fields.is_empty()
    }
}

/// Whether `obj` passes a label and a field selector.
pub fn matches_selectors(
    labels: &LabelSelector,
    fields: &FieldSelector,
    def: &ResourceDef,
    obj: &Value,
) -> bool {
    let obj_labels = crate::api::labels(obj);
    labels.matches_map(&obj_labels)
        && fields
            .matches(|f| crate::selectors::field_value(&def.group, &def.resource, def.namespaced, obj, f))
}

/// The rules of `sendInitialEvents` and `resourceVersionMatch` that depend on whether the
/// request is a watch.
fn check_watch_list(
    watch: bool,
    rv_match: &str,
    send_initial_events: Option<bool>,
    bookmarks: bool,
    has_continue: bool,
) -> Result<(), ApiError> {
    let mut errs: Vec<String> = Vec::new();
    if !watch {
        if send_initial_events.is_some() {
            errs.push("sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list".into());
        }
    } else {
        if send_initial_events.is_some() && rv_match != "NotOlderThan" {
            errs.push(
                "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"
                    .into(),
            );
        }
        if send_initial_events.is_some() && !bookmarks {
            errs.push(
                "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true".into(),
            );
        }
        if !rv_match.is_empty() {
            if send_initial_events.is_none() {
                errs.push(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
                        .into(),
                );
            }
            if rv_match != "NotOlderThan" {
                errs.push(format!(
                    "resourceVersionMatch: Unsupported value: \"{rv_match}\": supported values: \"NotOlderThan\""
                ));
            }
            if has_continue {
                errs.push("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided".into());
            }
        }
    }
    match errs.len() {
        0 => Ok(()),
        1 => Err(invalid_list_options(&errs[0])),
        _ => Err(invalid_list_options(&format!("[{}]", errs.join(", ")))),
    }
}

fn invalid_list_options(msg: &str) -> ApiError {
    ApiError::invalid(
        "meta.k8s.io",
        "ListOptions",
        "",
        format!("ListOptions.meta.k8s.io \"\" is invalid: {msg}"),
        vec![],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(query: &str, watch: bool) -> Result<ListOptions, ApiError> {
        let def = crate::registry::find("", "v1", "configmaps").expect("configmaps");
        ListOptions::parse(def, &Params::parse(query), watch)
    }

    #[test]
    fn watch_list_options_follow_kube_rules() {
        // What client-go's watch list sends, from "now" and from a known revision.
        let ok = "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan";
        assert_eq!(opts(ok, true).unwrap().rv, RvMatch::Latest);
        let at = opts(&format!("{ok}&resourceVersion=12"), true).unwrap();
        assert_eq!(at.rv, RvMatch::NotOlderThan(12));
        let msg = |q: &str, watch: bool| opts(q, watch).unwrap_err().message;
        assert!(msg("sendInitialEvents=true&allowWatchBookmarks=true", true)
            .contains("sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
        assert!(
            msg("sendInitialEvents=true&resourceVersionMatch=NotOlderThan", true)
                .contains("sendInitialEvents requires setting allowWatchBookmarks to true")
        );
        assert!(msg("resourceVersion=5&resourceVersionMatch=NotOlderThan", true)
            .contains("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
        assert!(msg("sendInitialEvents=true", false).contains("sendInitialEvents is forbidden for list"));
        assert_eq!(opts("sendInitialEvents=true", false).unwrap_err().code, 422);
    }

    #[test]
    fn continue_round_trip_and_refusals() {
        let c = Continue {
            rv: 42,
            start: "default/x\u{0}".into(),
        };
        assert_eq!(Continue::decode(&c.encode()).unwrap(), c);
        assert_eq!(Continue::decode("!!!").unwrap_err().code, 400);
        let evil = Continue {
            rv: 1,
            start: "../secrets/x".into(),
        };
        assert_eq!(Continue::decode(&evil.encode()).unwrap_err().code, 400);
    }
}
