//! `EventRateLimit`: token buckets on the Events written, for the whole server, per
//! namespace, per user, or per event source and object, from its configuration
//! (`eventratelimit.admission.k8s.io/v1alpha1` `Configuration`). An Event over a limit is
//! kube's 429. The buckets fill with the time of the request ([`Lookups::now`]), never a
//! clock of their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};
use crate::validation::FieldError;

/// The configuration's API version.
pub const API_VERSION: &str = "eventratelimit.admission.k8s.io/v1alpha1";
/// How many keys a keyed limit remembers when its configuration does not say.
const DEFAULT_CACHE_SIZE: usize = 4096;

/// What a limit counts Events by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitType {
    /// All Events of the server.
    Server,
    /// Events of each namespace.
    Namespace,
    /// Events written by each user.
    User,
    /// Events of each source (component and host) about each object.
    SourceAndObject,
}

impl LimitType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Server" => LimitType::Server,
            "Namespace" => LimitType::Namespace,
            "User" => LimitType::User,
            "SourceAndObject" => LimitType::SourceAndObject,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            LimitType::Server => "Server",
            LimitType::Namespace => "Namespace",
            LimitType::User => "User",
            LimitType::SourceAndObject => "SourceAndObject",
        }
    }

    /// The bucket `request` draws from.
    fn key(self, request: &Request) -> String {
        match self {
            LimitType::Server => String::new(),
            LimitType::Namespace => request.namespace.clone(),
            LimitType::User => request.user.name.clone(),
            LimitType::SourceAndObject => {
                let Some(event) = request.object.as_ref() else {
                    return String::new();
                };
                let field = |p: &str| event.pointer(p).and_then(Value::as_str).unwrap_or("");
                [
                    "/source/component",
                    "/source/host",
                    "/involvedObject/kind",
                    "/involvedObject/namespace",
                    "/involvedObject/name",
                    "/involvedObject/uid",
                    "/involvedObject/apiVersion",
                ]
                .iter()
                .map(|p| field(p))
                .collect()
            }
        }
    }
}

/// One configured limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Limit {
    /// What it counts by.
    pub kind: LimitType,
    /// Events per second the bucket refills with.
    pub qps: i32,
    /// The bucket's size: how many Events may come at once.
    pub burst: i32,
    /// How many keys it remembers (the least recently used are forgotten).
    pub cache_size: usize,
}

/// A token bucket: `burst` tokens at first, refilled at `qps` a second up to `burst`.
#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    last_ms: u64,
}

impl Bucket {
    fn full(limit: &Limit, now_ms: u64) -> Self {
        Bucket {
            tokens: f64::from(limit.burst),
            last_ms: now_ms,
        }
    }

    /// Takes a token if there is one.
    fn try_take(&mut self, limit: &Limit, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * f64::from(limit.qps)).min(f64::from(limit.burst));
        self.last_ms = self.last_ms.max(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The buckets of one limit: one for the server, else one per key, least recently used
/// forgotten past the cache size.
#[derive(Debug)]
struct Enforcer {
    limit: Limit,
    buckets: HashMap<String, (Bucket, u64)>,
    uses: u64,
}

impl Enforcer {
    fn accept(&mut self, key: String, now_ms: u64) -> bool {
        self.uses += 1;
        let stamp = self.uses;
        let capacity = if self.limit.kind == LimitType::Server {
            1
        } else {
            self.limit.cache_size
        };
        if !self.buckets.contains_key(&key) && self.buckets.len() >= capacity {
            let oldest = self
                .buckets
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.buckets.remove(&oldest);
            }
        }
        let limit = &self.limit;
        let (bucket, used) = self
            .buckets
            .entry(key)
            .or_insert_with(|| (Bucket::full(limit, now_ms), stamp));
        *used = stamp;
        bucket.try_take(limit, now_ms)
    }
}

/// kube-apiserver's `EventRateLimit` (validating).
#[derive(Debug)]
pub struct EventRateLimit {
    enforcers: Mutex<Vec<Enforcer>>,
}

/// Builds the plugin from its configuration; refused as kube refuses it (none, or an
/// invalid one).
pub fn build(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    let limits = parse(config)?;
    let enforcers = limits
        .into_iter()
        .map(|limit| Enforcer {
            limit,
            buckets: HashMap::new(),
            uses: 0,
        })
        .collect();
    Ok(Arc::new(EventRateLimit {
        enforcers: Mutex::new(enforcers),
    }))
}

/// The limits of a configuration, validated as kube validates them (every error, in
/// kube's aggregate).
pub fn parse(config: &Value) -> Result<Vec<Limit>, String> {
    let empty = Vec::new();
    let raw = match config {
        Value::Null => &empty,
        Value::Object(top) => {
            let api_version = top.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let kind = top.get("kind").and_then(Value::as_str).unwrap_or("");
            if api_version != API_VERSION || kind != "Configuration" {
                return Err(format!(
                    "no kind {:?} is registered for version {:?} in scheme \"k8s.io/kubernetes/plugin/pkg/admission/eventratelimit/config.go\"",
                    kind, api_version
                ));
            }
            match top.get("limits") {
                None | Some(Value::Null) => &empty,
                Some(Value::Array(l)) => l,
                Some(_) => return Err("limits: expected an array".into()),
            }
        }
        _ => return Err("couldn't get version/kind; json parse error: not an object".into()),
    };
    let mut errors: Vec<FieldError> = Vec::new();
    if raw.is_empty() {
        let shown = if matches!(config.get("limits"), Some(Value::Array(_))) {
            "[]eventratelimit.Limit{}"
        } else {
            "[]eventratelimit.Limit(nil)"
        };
        errors.push(FieldError::invalid_rendered(
            "limits",
            shown.into(),
            "must not be empty",
        ));
    }
    let mut limits = Vec::new();
    for (i, entry) in raw.iter().enumerate() {
        let path = format!("limits[{i}]");
        let int = |f: &str| -> Result<i64, String> {
            match entry.get(f) {
                None | Some(Value::Null) => Ok(0),
                Some(v) => v
                    .as_i64()
                    .filter(|n| i32::try_from(*n).is_ok())
                    .ok_or_else(|| format!("{path}.{f}: cannot decode {v} into an int32")),
            }
        };
        let type_ = entry.get("type").and_then(Value::as_str).unwrap_or("");
        let (qps, burst, cache_size) = (int("qps")?, int("burst")?, int("cacheSize")?);
        let kind = LimitType::parse(type_);
        if kind.is_none() {
            errors.push(FieldError::not_supported(
                &format!("{path}.type"),
                type_,
                &["Namespace", "Server", "SourceAndObject", "User"],
            ));
        }
        if burst <= 0 {
            errors.push(FieldError::invalid(
                &format!("{path}.burst"),
                burst,
                "must be positive",
            ));
        }
        if qps <= 0 {
            errors.push(FieldError::invalid(
                &format!("{path}.qps"),
                qps,
                "must be positive",
            ));
        }
        if kind != Some(LimitType::Server) && cache_size < 0 {
            errors.push(FieldError::invalid(
                &format!("{path}.cacheSize"),
                cache_size,
                "must not be negative",
            ));
        }
        if let Some(kind) = kind {
            limits.push(Limit {
                kind,
                qps: qps as i32,
                burst: burst as i32,
                cache_size: match usize::try_from(cache_size) {
                    Ok(0) | Err(_) => DEFAULT_CACHE_SIZE,
                    Ok(n) => n,
                },
            });
        }
    }
    if !errors.is_empty() {
        let messages: Vec<String> = errors.iter().map(FieldError::message).collect();
        return Err(crate::authz::aggregate(&messages));
    }
    Ok(limits)
}

impl Plugin for EventRateLimit {
    fn name(&self) -> &'static str {
        "EventRateLimit"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let is_event = request.group.is_empty() && request.kind == "Event";
        let writes = matches!(request.operation, Operation::Create | Operation::Update);
        // A dry run stores nothing, so it spends nothing.
        if phase != Phase::Validating || !is_event || !writes || request.dry_run {
            return Flow::Ready(Ok(request));
        }
        let now_ms = cx.now.mono_ms;
        let mut reached = Vec::new();
        {
            let mut enforcers = match self.enforcers.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            // Every limit takes its token, even past one that refuses, as kube's do.
            for enforcer in enforcers.iter_mut() {
                let key = enforcer.limit.kind.key(&request);
                if !enforcer.accept(key.clone(), now_ms) {
                    reached.push(format!(
                        "limit reached on type {} for key {key}",
                        enforcer.limit.kind.as_str()
                    ));
                }
            }
        }
        if reached.is_empty() {
            return Flow::Ready(Ok(request));
        }
        let mut e = ApiError::too_many_requests(
            format!("Too many requests: {}", crate::authz::aggregate(&reached)),
            "",
            "",
        );
        // kube's TooManyRequests error carries no causes.
        e.causes.clear();
        Flow::Ready(Err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{request, user, Fixture};
    use serde_json::json;

    fn config(limits: Value) -> Value {
        json!({"apiVersion": API_VERSION, "kind": "Configuration", "limits": limits})
    }

    fn event(ns: &str, who: &str, component: &str) -> Request {
        let obj = json!({"metadata": {"name": "e", "namespace": ns}, "source": {"component": component},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": ns}});
        request(
            Operation::Create,
            "",
            "events",
            "",
            ns,
            "e",
            user(who, &[]),
            Some(obj),
            None,
        )
    }

    #[test]
    fn the_server_limit_refuses_after_the_burst_and_refills_with_time() {
        let plugin = build(&config(json!([{"type": "Server", "qps": 1, "burst": 2}]))).unwrap();
        let mut f = Fixture::new(vec![]);
        assert!(f.admit(&*plugin, event("a", "u", "c")).is_ok());
        assert!(f.admit(&*plugin, event("b", "v", "c")).is_ok());
        let e = f.admit(&*plugin, event("a", "u", "c")).unwrap_err();
        assert_eq!(e.code, 429);
        assert_eq!(e.reason, "TooManyRequests");
        assert_eq!(
            e.message,
            "Too many requests: limit reached on type Server for key "
        );
        assert!(e.causes.is_empty());
        f.now.mono_ms += 1000;
        assert!(f.admit(&*plugin, event("a", "u", "c")).is_ok());
        assert!(f.admit(&*plugin, event("a", "u", "c")).is_err());
    }

    #[test]
    fn keyed_limits_count_each_key_and_all_refusals_are_named() {
        let plugin = build(&config(json!([
            {"type": "Namespace", "qps": 1, "burst": 1},
            {"type": "User", "qps": 1, "burst": 1},
        ])))
        .unwrap();
        let f = Fixture::new(vec![]);
        assert!(f.admit(&*plugin, event("a", "u", "c")).is_ok());
        assert!(f.admit(&*plugin, event("b", "v", "c")).is_ok());
        let e = f.admit(&*plugin, event("b", "v", "c")).unwrap_err();
        assert_eq!(
            e.message,
            "Too many requests: [limit reached on type Namespace for key b, limit reached on type User for key v]"
        );
        let e = f.admit(&*plugin, event("c", "u", "c")).unwrap_err();
        assert_eq!(
            e.message,
            "Too many requests: limit reached on type User for key u"
        );
    }

    #[test]
    fn source_and_object_and_the_lru_forgets() {
        let plugin = build(&config(
            json!([{"type": "SourceAndObject", "qps": 1, "burst": 1, "cacheSize": 1}]),
        ))
        .unwrap();
        let f = Fixture::new(vec![]);
        assert!(f.admit(&*plugin, event("a", "u", "kubelet")).is_ok());
        let e = f.admit(&*plugin, event("a", "u", "kubelet")).unwrap_err();
        assert_eq!(
            e.message,
            "Too many requests: limit reached on type SourceAndObject for key kubeletPodap"
        );
        // Another source pushes the first out of a one-key cache: it starts full again.
        assert!(f.admit(&*plugin, event("a", "u", "sched")).is_ok());
        assert!(f.admit(&*plugin, event("a", "u", "kubelet")).is_ok());
    }

    #[test]
    fn other_writes_dry_runs_and_other_kinds_pass() {
        let plugin = build(&config(json!([{"type": "Server", "qps": 1, "burst": 1}]))).unwrap();
        let f = Fixture::new(vec![]);
        assert!(f.admit(&*plugin, event("a", "u", "c")).is_ok());
        let mut dry = event("a", "u", "c");
        dry.dry_run = true;
        assert!(f.admit(&*plugin, dry).is_ok());
        let cm = request(
            Operation::Create,
            "",
            "configmaps",
            "",
            "a",
            "x",
            user("u", &[]),
            Some(json!({})),
            None,
        );
        assert!(f.admit(&*plugin, cm).is_ok());
        let mut delete = event("a", "u", "c");
        delete.operation = Operation::Delete;
        assert!(f.admit(&*plugin, delete).is_ok());
    }

    #[test]
    fn configurations_are_refused_as_kube_refuses_them() {
        let err = |v: Value| build(&v).err().unwrap_or_default();
        assert_eq!(
            err(Value::Null),
            "limits: Invalid value: []eventratelimit.Limit(nil): must not be empty"
        );
        assert_eq!(
            err(config(json!([]))),
            "limits: Invalid value: []eventratelimit.Limit{}: must not be empty"
        );
        assert_eq!(
            err(config(json!([{"type": "Pod", "qps": 0, "burst": 1, "cacheSize": -1}]))),
            "[limits[0].type: Unsupported value: \"Pod\": supported values: \"Namespace\", \"Server\", \"SourceAndObject\", \"User\", limits[0].qps: Invalid value: 0: must be positive, limits[0].cacheSize: Invalid value: -1: must not be negative]"
        );
        assert!(err(json!({"apiVersion": "v1", "kind": "Configuration"})).contains("no kind"));
        assert!(build(&config(
            json!([{"type": "Server", "qps": 5, "burst": 10, "cacheSize": -1}])
        ))
        .is_ok());
    }
}
