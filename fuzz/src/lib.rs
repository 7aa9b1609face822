//! Fuzz harnesses of gatehouse-core, one function per target.
//!
//! The libFuzzer entry points in `fuzz_targets/` call these, and `core/tests/fuzz_corpus.rs`
//! includes this file to replay `fuzz/corpus/**` and `fuzz/artifacts/**` as ordinary tests on
//! the stable toolchain. So this file depends on nothing but gatehouse-core and serde_json, and
//! refers to no other module of its crate.
//!
//! Every harness must not panic on any input; where a function promises more (a selector prints
//! as text that parses back to itself, a parser gives the same answers however its input is
//! split) the harness asserts that too.

use gatehouse_core::authn::jwt::Jwt;
use gatehouse_core::authn::keys::public_keys_from_pem;
use gatehouse_core::authn::request_header::RequestHeaderConfig;
use gatehouse_core::authn::token::Tokens;
use gatehouse_core::authn::token_file::TokenFile;
use gatehouse_core::authn::x509::verify_client_chain;
use gatehouse_core::authn::{bootstrap, serviceaccount};
use gatehouse_core::authz::rbac::{self, PolicyRule, Rbac};
use gatehouse_core::authz::Attributes;
use gatehouse_core::codec::protobuf;
use gatehouse_core::http::{Limits, Parsed, Parser, Request};
use gatehouse_core::patch::{self, PatchType};
use gatehouse_core::registry::list::Continue;
use gatehouse_core::request::info;
use gatehouse_core::selectors::{FieldSelector, LabelSelector};
use gatehouse_core::storage::{MemStore, StorageEvent, WatchId, WatchSet};
use gatehouse_core::validation;
use gatehouse_core::{
    Completion, Config, ConnId, Effect, EffectId, NetError, Now, Output, Peer, RelayEvent, Server,
};
use serde_json::Value;

/// The client CA of the `x509` and `server` targets (DER, ECDSA P-256, valid 2026-2126).
pub const CA_DER: &[u8] = include_bytes!("../x509/ca.der");
/// A client certificate issued by [`CA_DER`]: `CN=fuzz-admin, O=system:masters`.
pub const ADMIN_DER: &[u8] = include_bytes!("../x509/admin.der");
/// The wall-clock time certificates are checked against: 2030-01-01T00:00:00Z.
pub const WALL_SECS: i64 = 1_893_456_000;

/// A harness: takes one input, panics on a failure.
pub type Harness = fn(&[u8]);

/// Every target, by name, for the corpus replay.
pub const TARGETS: &[(&str, Harness)] = &[
    ("http_request", http_request),
    ("request_info", request_info),
    ("label_selector", label_selector),
    ("field_selector", field_selector),
    ("patch", patch),
    ("protobuf", protobuf),
    ("continue_token", continue_token),
    ("x509", x509),
    ("object_validation", object_validation),
    ("server", server),
    ("apply", apply),
    ("http_response", http_response),
    ("authentication", authentication),
    ("authorization", authorization),
    ("cel", cel),
];

// ---- http_request ----

/// What a parse produced, comparable across splits: requests whole, errors only as errors.
/// Which error comes first may depend on the split (a head that grows past the size limit
/// before its malformed byte arrives is refused as too large), but whether the stream is
/// refused, and every request before that, may not.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Continue,
    Request(Request),
    Error,
}

fn parse_in_chunks(limits: Limits, input: &[u8], mut next_len: impl FnMut() -> usize) -> Vec<Seen> {
    let mut parser = Parser::new(limits);
    let mut seen = Vec::new();
    let mut rest = input;
    let mut failed = false;
    while !rest.is_empty() {
        let n = next_len().clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        parser.push(chunk);
        let _ = parser.buffered();
        let _ = parser.is_mid_request();
        while let Some(p) = parser.poll() {
            assert!(!failed, "the parser produced {p:?} after an error");
            seen.push(match p {
                Parsed::Continue => Seen::Continue,
                Parsed::Request(r) => {
                    let _ = (r.path(), r.query(), r.header("host"));
                    Seen::Request(r)
                }
                Parsed::Error(e) => {
                    assert!(
                        matches!(e.status, 400 | 413 | 417 | 431 | 501 | 505),
                        "unexpected status {e}"
                    );
                    failed = true;
                    Seen::Error
                }
            });
        }
    }
    seen
}

/// Input: one control byte, then the bytes of the connection. Bit 0 of the control byte picks
/// small limits; the rest seeds the split into reads of 1 to 16 bytes. The bytes are parsed
/// in one read and in those splits, and both must give the same requests, and fail alike.
pub fn http_request(data: &[u8]) {
    let Some((&ctl, wire)) = data.split_first() else {
        return;
    };
    let limits = if ctl & 1 == 1 {
        Limits {
            max_head: 256,
            max_body: 64,
            max_headers: 8,
        }
    } else {
        Limits::default()
    };
    let whole = parse_in_chunks(limits, wire, || usize::MAX);
    let mut state = u32::from(ctl) | 0x9e37_0000;
    let split = parse_in_chunks(limits, wire, || {
        // xorshift32
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 16) as usize + 1
    });
    assert_eq!(whole, split, "parse results depend on how the bytes were split");
}

// ---- http_response ----

/// Input: one control byte, then the bytes a webhook or OIDC server answers with. They are
/// read as the host reads them, in reads of 1 to 16 bytes chosen by the control byte: the
/// framing is looked for as bytes arrive, and once it says the answer is whole, the answer
/// must parse, and must parse the same however the bytes were split.
pub fn http_response(data: &[u8]) {
    use gatehouse_core::http::client::{head_framing, is_complete, parse_response};
    let Some((&ctl, wire)) = data.split_first() else {
        return;
    };
    let _ = parse_response(wire);
    let mut state = u32::from(ctl) | 0x51ed_0000;
    let mut out = Vec::new();
    let mut framing = None;
    let mut rest = wire;
    while !rest.is_empty() {
        // xorshift32
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = ((state % 16) as usize + 1).min(rest.len());
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        if framing.is_none() {
            framing = head_framing(&mut out);
        }
        if is_complete(&out, framing) {
            let answer = parse_response(&out);
            assert!(answer.is_some(), "a complete answer does not parse");
            return;
        }
    }
}

// ---- request_info ----

/// Input: `METHOD\nPATH\nQUERY` (missing parts are empty; invalid UTF-8 is replaced).
pub fn request_info(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    let query = parts.next().unwrap_or("");
    let info = info::resolve(method, path, query);
    let _ = info::resolve_with(method, path, query, |s| LabelSelector::parse(s).is_ok());
    let _ = info::decode_path(path);
    let _ = info::parse_query(query);
    if info.is_resource_request {
        assert!(
            info.api_prefix == "api" || info.api_prefix == "apis",
            "resource request with prefix {:?}",
            info.api_prefix
        );
    }
}

// ---- selectors ----

/// Input: a label selector. A parsed selector prints as text that parses to the same selector.
pub fn label_selector(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sel) = LabelSelector::parse(text) {
        let printed = sel.to_string();
        match LabelSelector::parse(&printed) {
            Ok(again) => assert_eq!(again, sel, "{text:?} printed as {printed:?}"),
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e:?}"),
        }
        let _ = sel.matches(Some(&serde_json::json!({"app": "web", "tier": ""})));
    }
}

/// The terms of a field selector in a canonical order.
fn field_terms(sel: &FieldSelector) -> Vec<String> {
    let mut terms: Vec<String> = sel.requirements().iter().map(|r| format!("{r:?}")).collect();
    terms.sort();
    terms
}

/// Input: a field selector. A parsed selector prints as text that parses to the same terms.
///
/// Only the same terms: parsing orders terms by their raw text, as upstream does, and printing
/// spells `==` as `=`, so the printed text may sort its terms differently.
pub fn field_selector(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sel) = FieldSelector::parse(text) {
        let printed = sel.to_string();
        match FieldSelector::parse(&printed) {
            Ok(again) => assert_eq!(
                field_terms(&again),
                field_terms(&sel),
                "{text:?} printed as {printed:?}"
            ),
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e:?}"),
        }
        let _ = sel.matches(|f| (f == "metadata.name").then(|| "x".to_string()));
    }
}

// ---- patch ----

/// A Deployment as kubectl shows it after creation, with lists of every merge strategy.
pub fn deployment() -> Value {
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "6f1c2c4e-2b1e-4a55-9d1a-1f0a3d0b7c11",
            "resourceVersion": "1042",
            "generation": 3,
            "creationTimestamp": "2026-01-05T10:00:00Z",
            "labels": {"app": "web", "tier": "frontend"},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
            "finalizers": ["example.com/keep"],
            "ownerReferences": [{
                "apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                "uid": "0c5b7f5e-0000-4000-8000-000000000001"
            }]
        },
        "spec": {
            "replicas": 3,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "frontend"}},
                "spec": {
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "imagePullSecrets": [{"name": "registry"}],
                    "initContainers": [{
                        "name": "init", "image": "busybox:1.36",
                        "command": ["sh", "-c", "true"]
                    }],
                    "containers": [{
                        "name": "nginx",
                        "image": "nginx:1.27",
                        "imagePullPolicy": "IfNotPresent",
                        "ports": [
                            {"containerPort": 80, "protocol": "TCP", "name": "http"},
                            {"containerPort": 443, "protocol": "TCP", "name": "https"}
                        ],
                        "env": [
                            {"name": "MODE", "value": "prod"},
                            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}
                        ],
                        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m"}},
                        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/nginx/conf.d"}],
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"
                    }, {
                        "name": "sidecar", "image": "envoy:1.30",
                        "args": ["--log-level", "info"]
                    }],
                    "volumes": [
                        {"name": "cfg", "configMap": {"name": "web-cfg", "defaultMode": 420}},
                        {"name": "tmp", "emptyDir": {}}
                    ],
                    "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
                }
            }
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 3,
            "readyReplicas": 3,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ]
        }
    })
}

/// Input: a patch body, applied to [`deployment`] as each patch flavour. A patched object is
/// always a JSON object.
pub fn patch(data: &[u8]) {
    let original = deployment();
    for pt in [PatchType::Json, PatchType::Merge, PatchType::Strategic] {
        if let Ok(v) = patch::apply(pt, "apps", "Deployment", &original, data) {
            assert!(v.is_object(), "{pt:?} patch gave a non-object: {v}");
        }
        // A kind without merge metadata takes the ObjectMeta-only path.
        let _ = patch::apply(pt, "example.com", "Widget", &original, data);
    }
}

// ---- apply ----

/// The schemas of the `apply` target, parsed once.
fn schemas() -> &'static gatehouse_core::openapi::OpenApi {
    static API: std::sync::OnceLock<gatehouse_core::openapi::OpenApi> = std::sync::OnceLock::new();
    API.get_or_init(gatehouse_core::openapi::OpenApi::load)
}

/// Input: a server-side apply configuration (JSON), applied by two managers to
/// [`deployment`], and the same bytes as the new object of an update. An apply that went
/// through gives an object, and the same manager applying the same configuration again
/// neither conflicts nor changes the object.
pub fn apply(data: &[u8]) {
    use gatehouse_core::apply::{self, ApplyError, Operation};
    let Ok(config) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let defs = schemas().definitions();
    let def = "io.k8s.api.apps.v1.Deployment";
    let op = |manager| Operation {
        manager,
        api_version: "apps/v1",
        subresource: "",
        time: "2026-01-05T10:00:00Z",
    };
    let reset: &[&[&str]] = &[&["status"]];
    let mut live = deployment();
    // A first owner, so that the fuzzed configuration may conflict with it.
    if apply::update(defs, def, None, &mut live, &op("creator"), reset).is_err() {
        return;
    }
    for force in [false, true] {
        match apply::apply(defs, def, Some(&live), &config, &op("fuzz"), force, reset) {
            Ok(merged) => {
                assert!(merged.is_object(), "apply gave a non-object: {merged}");
                match apply::apply(defs, def, Some(&merged), &config, &op("fuzz"), false, reset) {
                    Ok(again) => assert_eq!(again, merged, "re-applying changed the object"),
                    Err(ApplyError::Conflicts(c)) => panic!("re-applying conflicts: {c}"),
                    Err(e) => panic!("re-applying failed: {e}"),
                }
            }
            Err(ApplyError::Conflicts(c)) => assert!(!force, "a forced apply conflicts: {c}"),
            Err(_) => {}
        }
    }
    let mut new = config;
    let _ = apply::update(defs, def, Some(&live), &mut new, &op("fuzz"), reset);
    let _ = apply::decode_fields_v1(&new);
}

// ---- protobuf ----

/// Input: a protobuf request body (`k8s\0` + `runtime.Unknown`). A decoded object must encode
/// again, and decoding that encoding must give the same object.
pub fn protobuf(data: &[u8]) {
    let Ok(decoded) = protobuf::decode(data) else {
        return;
    };
    let encoded = protobuf::encode(&decoded.object).expect("a decoded object encodes");
    let again = protobuf::decode(&encoded).expect("an encoded object decodes");
    assert_eq!(again.object, decoded.object, "decode(encode(decoded)) differs");
}

// ---- continue_token ----

/// Input: a continue token. A decoded token encodes to one that decodes to the same.
pub fn continue_token(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    if let Ok(c) = Continue::decode(&token) {
        let again = Continue::decode(&c.encode()).expect("an encoded token decodes");
        assert_eq!(again, c);
    }
}

// ---- x509 ----

/// Input: a leaf certificate (DER), verified against [`CA_DER`]; then the input as the client
/// CA, with [`ADMIN_DER`] as the leaf.
pub fn x509(data: &[u8]) {
    let now = WALL_SECS;
    if let Ok(Some(id)) = verify_client_chain(&[data], &[CA_DER], now) {
        assert!(!id.user.is_empty(), "an identity without a user name");
    }
    let _ = verify_client_chain(&[data, CA_DER], &[CA_DER], now);
    let _ = verify_client_chain(&[ADMIN_DER], &[data], now);
}

// ---- object_validation ----

/// The built-in kinds with validation, and one without.
pub const KINDS: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("", "Service"),
    ("", "Endpoints"),
    ("", "Pod"),
    ("", "Node"),
    ("", "Event"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("coordination.k8s.io", "Lease"),
    ("rbac.authorization.k8s.io", "Role"),
];

/// Input: a JSON document, defaulted and validated as each kind (create, and update against
/// itself).
pub fn object_validation(data: &[u8]) {
    let Ok(obj) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for (group, kind) in KINDS {
        let mut defaulted = obj.clone();
        validation::default_object(group, kind, &mut defaulted);
        let errs = validation::validate_create(group, kind, &defaulted);
        let _ = validation::aggregate_message(kind, "x", &errs);
        let _ = validation::validate_update(group, kind, &defaulted, &obj);
    }
}

// ---- server ----

/// What the fuzzed world hands the server once its outputs are drained.
enum Input {
    Done(EffectId, Completion),
    Events(WatchId, Vec<StorageEvent>),
    WatchFailed(WatchId),
}

/// Runs every output of `server` until it has none, answering storage from `store`; what
/// comes of an output is handed in after the drain, as a runtime must.
fn drive(server: &mut Server, store: &mut MemStore, watches: &mut WatchSet, closed: &mut bool, now: Now) {
    let mut later: Vec<Input> = Vec::new();
    loop {
        while let Some(out) = server.poll_output() {
            match out {
                Output::Effect {
                    id,
                    effect: Effect::Storage(request),
                } => {
                    let result = store.execute(&request);
                    store.take_wal();
                    let events = store.take_events();
                    // Events of a write reach the server no later than the write's answer.
                    for (watch, evs) in watches.split(&events) {
                        later.push(Input::Events(watch, evs));
                    }
                    later.push(Input::Done(id, Completion::Storage(result)));
                }
                Output::StartWatch {
                    watch,
                    prefix,
                    from_revision,
                } => match store.events_after(from_revision) {
                    Ok(events) => {
                        let events = WatchSet::under(&prefix, &events);
                        watches.start(watch, prefix);
                        if !events.is_empty() {
                            later.push(Input::Events(watch, events));
                        }
                    }
                    Err(_) => later.push(Input::WatchFailed(watch)),
                },
                Output::Close { .. } => *closed = true,
                // Nothing listens outside: every dial and relay is refused.
                Output::Effect { id, effect } => {
                    let refused = NetError::Refused {
                        addr: "10.0.0.1:10250".into(),
                    };
                    let completion = match effect {
                        Effect::Relay { .. } => Completion::Relay(RelayEvent::End(Err(refused))),
                        Effect::Https(_) => Completion::Https(Err(refused)),
                        // Time is not simulated here: a timer is due at once.
                        Effect::Timer { .. } => Completion::Timer,
                        _ => Completion::Dial(Err(refused)),
                    };
                    later.push(Input::Done(id, completion));
                }
                Output::Cancel { .. } | Output::Write { .. } | Output::Log(_) => {}
            }
        }
        if later.is_empty() {
            return;
        }
        for input in std::mem::take(&mut later) {
            match input {
                Input::Done(id, completion) => server.handle_effect(now, id, completion),
                Input::Events(watch, events) => server.handle_watch_events(now, watch, events),
                Input::WatchFailed(watch) => server.handle_watch_failed(now, watch, true),
            }
        }
    }
}

/// Starts `server` on `store` and connects one client (with the admin certificate when
/// `admin`), whose connection id it returns.
fn start_and_connect(
    server: &mut Server,
    store: &mut MemStore,
    watches: &mut WatchSet,
    now: Now,
    admin: bool,
) -> ConnId {
    let mut closed = false;
    server.start(now);
    drive(server, store, watches, &mut closed, now);
    assert!(server.is_ready(), "start-up did not finish");
    let conn = ConnId(1);
    let peer = Peer {
        remote: "127.0.0.1:50000".into(),
        cert_chain: if admin {
            vec![ADMIN_DER.to_vec()]
        } else {
            Vec::new()
        },
    };
    server.handle_connect(now, conn, peer);
    drive(server, store, watches, &mut closed, now);
    conn
}

/// Input: one control byte, then the bytes a client sends on one connection. Bit 0 of the
/// control byte connects as the `system:masters` admin (else anonymous); bit 1 loads and
/// serves the OpenAPI documents (as the binary does; off, a run is about ten times faster);
/// bits 2-7 choose the read size (0: one read). A whole [`Server`] runs its start-up against a
/// [`MemStore`] first; then, after the bytes, time passes so that requests and watches time
/// out.
pub fn server(data: &[u8]) {
    let Some((&ctl, wire)) = data.split_first() else {
        return;
    };
    let cfg = Config {
        client_ca_der: Some(vec![CA_DER.to_vec()]),
        serve_openapi: ctl & 2 == 2,
        ..Config::default()
    };
    let mut now = Now {
        mono_ms: 1_000,
        wall_ms: WALL_SECS * 1000,
    };
    let mut server = Server::new(cfg);
    let (mut store, mut watches, mut closed) = (MemStore::new(), WatchSet::default(), false);
    let conn = start_and_connect(&mut server, &mut store, &mut watches, now, ctl & 1 == 1);
    let read = match usize::from(ctl >> 2) {
        0 => usize::MAX,
        n => n,
    };
    for chunk in wire.chunks(read.min(wire.len().max(1))) {
        if closed {
            break;
        }
        now.mono_ms += 1;
        now.wall_ms += 1;
        server.handle_bytes(now, conn, chunk);
        drive(&mut server, &mut store, &mut watches, &mut closed, now);
    }
    // Past the request timeout, then past any watch's end.
    for step_ms in [61_000, 2 * 3600 * 1000] {
        now.mono_ms += step_ms;
        now.wall_ms += step_ms as i64;
        let _ = server.poll_timeout();
        server.handle_timeout(now);
        drive(&mut server, &mut store, &mut watches, &mut closed, now);
    }
    server.handle_closed(now, conn);
    drive(&mut server, &mut store, &mut watches, &mut closed, now);
}

// ---- authentication ----

/// The service-account verification key of the `authentication` target (P-256).
const SA_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZsoQfpiE0Tc9gI7RAdh5mQiRGzZf
H7qCSf+iDiSaUVv2lQQQ1Fsy70iU4qU/dYjuDdRnHFY7Va7Rrt/jtl1oOQ==
-----END PUBLIC KEY-----
";

/// Input: one control byte, then text. The text goes through each credential parser on its
/// own (a JWT, a token file, PEM keys), then its lines become the headers of one request to
/// a server with every authenticator configured (a token file, service-account and bootstrap
/// tokens, a front proxy whose CA signed the admin certificate, impersonation): the request
/// gets an answer, whatever it presents, and nothing panics. Bit 0 of the control byte
/// presents the admin certificate; bit 1 allows anonymous requests.
pub fn authentication(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let keys = public_keys_from_pem(SA_PUBLIC_PEM.as_bytes()).expect("the fuzz key");
    if let Some(jwt) = Jwt::parse(text.trim()) {
        let _ = (jwt.alg(), jwt.kid(), jwt.audiences(), jwt.claim_time("exp"));
        assert!(!jwt.verify(&keys), "a token nobody signed verified");
    }
    let _ = TokenFile::parse("fuzz.csv", &text);
    let _ = public_keys_from_pem(rest);

    let request_header = RequestHeaderConfig {
        ca_der: vec![CA_DER.to_vec()],
        allowed_names: if ctl & 4 == 4 {
            vec!["fuzz-admin".into()]
        } else {
            Vec::new()
        },
        username_headers: vec!["X-Remote-User".into()],
        uid_headers: vec!["X-Remote-Uid".into()],
        group_headers: vec!["X-Remote-Group".into()],
        extra_prefixes: vec!["X-Remote-Extra-".into()],
    };
    let cfg = Config {
        client_ca_der: Some(vec![CA_DER.to_vec()]),
        anonymous_auth: ctl & 2 == 2,
        request_header: Some(request_header),
        serve_openapi: false,
        ..Config::default()
    };
    let mut now = Now {
        mono_ms: 1_000,
        wall_ms: WALL_SECS * 1000,
    };
    let mut server = Server::new(cfg);
    let sa = std::sync::Arc::new(serviceaccount::Config {
        issuers: vec!["https://kubernetes.default.svc.cluster.local".into()],
        api_audiences: vec!["https://kubernetes.default.svc.cluster.local".into()],
        keys,
        ..serviceaccount::Config::default()
    });
    let mut tokens = Tokens::default();
    tokens.set_audiences(sa.api_audiences.clone());
    let (file, _) =
        TokenFile::parse("t.csv", "admin-token,admin,1,system:masters\n").expect("the token file");
    tokens.push(std::sync::Arc::new(file));
    tokens.push(std::sync::Arc::new(serviceaccount::BoundTokens::new(sa.clone())));
    tokens.push(std::sync::Arc::new(bootstrap::BootstrapTokens));
    server.set_tokens(tokens);
    server.set_service_accounts(sa);
    let (mut store, mut watches, mut closed) = (MemStore::new(), WatchSet::default(), false);
    let conn = start_and_connect(&mut server, &mut store, &mut watches, now, ctl & 1 == 1);
    let mut head = String::from("POST /apis/authentication.k8s.io/v1/selfsubjectreviews HTTP/1.1\r\n");
    for line in text.lines() {
        let line: String = line.chars().filter(|c| *c != '\r').collect();
        if line.contains(':') {
            head.push_str(&line);
            head.push_str("\r\n");
        }
    }
    let body = br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#;
    head.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    let mut wire = head.into_bytes();
    wire.extend_from_slice(body);
    now.mono_ms += 1;
    server.handle_bytes(now, conn, &wire);
    drive(&mut server, &mut store, &mut watches, &mut closed, now);
    now.mono_ms += 61_000;
    now.wall_ms += 61_000;
    server.handle_timeout(now);
    drive(&mut server, &mut store, &mut watches, &mut closed, now);
    server.handle_closed(now, conn);
    drive(&mut server, &mut store, &mut watches, &mut closed, now);
}

// ---- authorization ----

/// RBAC over whatever arrives as roles and bindings (each line of the input that is JSON is
/// stored as one of the four kinds, in turn), asked requests made from the input's bytes:
/// nothing panics, a rule set covers itself, and a request is allowed exactly when a rule
/// of the user's rules review allows it.
pub fn authorization(data: &[u8]) {
    const COLLECTIONS: [&str; 4] = ["clusterroles", "roles", "clusterrolebindings", "rolebindings"];
    let text = String::from_utf8_lossy(data);
    let mut rbac = Rbac::default();
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Ok(obj) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let collection = COLLECTIONS[i % 4];
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("");
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let key = format!("/registry/{collection}/{ns}/{name}");
        let event = gatehouse_core::watch::CacheEvent {
            revision: i as i64 + 1,
            key: std::sync::Arc::from(key.into_bytes()),
            kind: gatehouse_core::watch::EventType::Added,
            object: std::sync::Arc::new(obj.clone()),
            prev: None,
        };
        rbac.observe("/registry", &[event]);
        let rules = PolicyRule::all_of(&obj);
        // A rule covers itself, except a non-resource rule that also names resources: its
        // URL pieces carry no names, and a rule with names covers no piece without them
        // (kube's escalation check compares them the same way).
        let comparable: Vec<PolicyRule> = rules
            .iter()
            .filter(|r| r.non_resource_urls.is_empty() || r.resource_names.is_empty())
            .cloned()
            .collect();
        assert!(
            rbac::covers::uncovered(&comparable, &comparable).is_empty(),
            "rules that do not cover themselves"
        );
        let _ = rbac::covers::compact(rbac::covers::uncovered(&[], &rules));
        let _ = rules.iter().map(ToString::to_string).count();
        objects.push(obj);
    }
    // What a request sends reaches match conditions as data (expressions come from the
    // configuration file): judged without a panic.
    let conditions = gatehouse_core::authz::match_conditions::MatchConditions::compile(
        &[
            "has(request.resourceAttributes) && request.resourceAttributes.namespace.startsWith('kube-')"
                .into(),
            "!('system:masters' in request.groups) && request.user.size() < 64".into(),
        ],
        "fuzz",
    )
    .expect("the fuzz conditions compile");
    let lines: Vec<&str> = text.lines().collect();
    let line = |i: usize| lines.get(i).copied().unwrap_or("");
    let request = serde_json::json!({"user": line(0), "groups": [line(1)], "extra": {line(2): [line(3)]}, "uid": "",
        "resourceAttributes": {"namespace": line(4), "verb": "get", "group": "", "version": "v1",
                               "resource": "pods", "subresource": "", "name": line(5)}});
    let _ = conditions.matches(&request);
    if let Some(first) = objects.first() {
        let all: Vec<&Value> = objects.iter().collect();
        let _ = rbac::aggregation::aggregated_rules(first, &all);
        let _ = rbac::bootstrap::reconcile(|_, _, _| Some(first.clone()));
    }
    const WORDS: [&str; 8] = [
        "",
        "*",
        "get",
        "pods",
        "log",
        "a",
        "system:authenticated",
        "/healthz",
    ];
    let word = |b: u8| WORDS[usize::from(b) % WORDS.len()];
    for chunk in data.chunks(8) {
        let b = |i: usize| chunk.get(i).copied().unwrap_or(0);
        let user = gatehouse_core::authn::UserInfo {
            name: word(b(0)).into(),
            groups: vec![word(b(1)).into()],
            ..Default::default()
        };
        let attrs = Attributes {
            verb: word(b(2)),
            resource_request: b(3) & 1 == 0,
            group: word(b(4)),
            resource: word(b(5)),
            subresource: word(b(6)),
            namespace: word(b(7)),
            name: word(b(3) >> 1),
            path: word(b(3) >> 4),
            field_selector: "",
            api_version: "",
        };
        let allowed = rbac.authorize(&user, &attrs).is_ok();
        let (rules, _) = rbac.rules_for(&user, attrs.namespace, false);
        assert_eq!(
            allowed,
            rules.iter().any(|r| r.allows(&attrs)),
            "the decision and the rules review disagree"
        );
    }
}

// ---- cel ----

/// A CEL expression (the first line: a policy's or webhook's expression, written by anyone
/// who may create one) compiled and run over an object (the rest, as JSON, else a Deployment)
/// with the variables admission gives: nothing panics, and what converts to CEL converts
/// back to the same JSON.
pub fn cel(data: &[u8]) {
    use gatehouse_core::cel;
    let text = String::from_utf8_lossy(data);
    let (expr, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let object = serde_json::from_str::<Value>(rest).unwrap_or_else(|_| deployment());
    let converted = cel::value(&object);
    assert_eq!(
        cel::to_json(&converted).as_ref(),
        Some(&object),
        "JSON through CEL and back"
    );
    let Ok(program) = cel::compile(expr) else {
        return;
    };
    let _ = cel::variables(&program);
    let mut context = cel::context();
    context.add_variable_from_value("object", converted);
    context.add_variable_from_value("oldObject", cel::Value::Null);
    context.add_variable_from_value("params", cel::value(&serde_json::json!({"data": {"max": "3"}})));
    if let Ok(v) = cel::execute(&program, &context) {
        let _ = cel::type_name(&v);
        let _ = cel::to_json(&v);
    }
}
