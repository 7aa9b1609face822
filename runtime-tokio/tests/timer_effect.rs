//! The host runs a timer effect on the tokio runtime: a request whose admission waits on
//! `Effect::Timer` is answered once the timer is due, not before, and not never.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_core::admission::{Phase, Plugin, Request};
use gatehouse_core::api::ApiError;
use gatehouse_core::server::{Flow, Lookups};
use gatehouse_core::{ConnId, Effect, Peer};
use gatehouse_host::driver::{self, ConnCmd, Input};
use gatehouse_host::flags::Flags;
use gatehouse_host::launch;
use gatehouse_tokio::TokioNet;

use clap::Parser;

const WAIT_MS: u64 = 400;

/// Admits ConfigMap writes only after a timer.
struct Later;

impl Plugin for Later {
    fn name(&self) -> &'static str {
        "Later"
    }

    fn admit(&self, phase: Phase, request: Request, _cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Mutating || request.resource != "configmaps" {
            return Flow::Ready(Ok(request));
        }
        Flow::Wait(
            Effect::Timer { after_ms: WAIT_MS },
            Box::new(move |_, _| Flow::Ready(Ok(request))),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_waiting_on_a_timer_is_answered_when_it_is_due() {
    let dir = std::env::temp_dir().join(format!("gatehouse-timer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_string_lossy().into_owned();
    let flags = Flags::parse_from([
        "gatehouse",
        "--secure-port=0",
        "--bind-address=127.0.0.1",
        "--storage-backend=memory",
        "--data-dir",
        &data,
    ]);
    let prepared = launch::prepare(&flags).expect("prepared");
    let mut a = prepared
        .assemble("127.0.0.1:1".parse().expect("address"))
        .expect("assembled");
    a.server.add_admission_plugin(Arc::new(Later));
    let admin = a.pki.as_ref().expect("generated PKI").admin.cert_pem.clone();
    let chain = gatehouse_host::tls::certs_from_pem(admin.as_bytes(), "admin")
        .expect("admin certificate")
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    let done = tokio::spawn(driver::run(
        a.server,
        a.inputs_rx,
        a.store,
        a.ready_tx,
        a.relays,
        TokioNet::current(),
    ));
    let _ = a.ready_rx.recv().await;

    let conn = ConnId(1);
    let (tx, rx) = async_channel::unbounded::<ConnCmd>();
    let peer = Peer {
        remote: "127.0.0.1:9".into(),
        cert_chain: chain,
    };
    a.inputs
        .send(Input::Connected { conn, peer, tx })
        .await
        .expect("driver running");
    let body = r#"{"metadata":{"name":"later"}}"#;
    let request = format!(
        "POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let sent = Instant::now();
    a.inputs
        .send(Input::Bytes(conn, request.into_bytes()))
        .await
        .expect("driver running");
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        let mut got = Vec::new();
        while let Ok(ConnCmd::Write(bytes)) = rx.recv().await {
            got.extend(bytes);
            if got.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        got
    })
    .await
    .expect("an answer once the timer is due");
    let waited = sent.elapsed();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 201"), "{text}");
    assert!(
        waited >= Duration::from_millis(WAIT_MS),
        "answered after {waited:?}, before the timer was due"
    );
    let _ = a.inputs.send(Input::Shutdown).await;
    let _ = done.await;
    let _ = std::fs::remove_dir_all(&dir);
}
