//! Connection handling: pipelining, 100-continue, size limits, slow and idle clients.

use super::harness::{statuses, Harness};

#[test]
fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let mut h = Harness::new();
    let c = h.connect(1);
    h.send(
        c,
        b"GET /healthz HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /version HTTP/1.1\r\n\r\n",
    );
    let out = h.take(c);
    // Anonymous may read health and version; any other path is forbidden to it.
    assert_eq!(statuses(&out), vec![200, 403, 200], "{out}");
    assert!(out.find("ok").unwrap() < out.find("gitVersion").unwrap());
    assert!(!h.closed.contains(&c), "keep-alive");
}

#[test]
fn expect_continue_then_body() {
    let mut h = Harness::new();
    let c = h.connect(1);
    h.send(c, b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
    assert_eq!(statuses(&h.take(c)), vec![100]);
    h.send(c, b"{}");
    // Anonymous may not create: the request was read whole and answered.
    assert_eq!(statuses(&h.take(c)), vec![403]);
}

#[test]
fn an_oversized_body_is_refused_before_it_is_read_and_the_connection_closes() {
    let mut h = Harness::new();
    let c = h.connect(1);
    h.send(c, b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4000000\r\n\r\n");
    let out = h.take(c);
    assert_eq!(statuses(&out), vec![413], "{out}");
    assert!(out.contains("Request entity too large: limit is 3145728"));
    assert!(h.closed.contains(&c));
}

#[test]
fn a_slowloris_client_is_closed_however_slowly_it_sends() {
    let mut h = Harness::new();
    let c = h.connect(1);
    h.send(c, b"GET /healthz HTTP/1.1\r\n");
    // One byte every 30 s keeps the connection active but never finishes the request.
    for _ in 0..3 {
        h.advance(30_000);
        if h.closed.contains(&c) {
            break;
        }
        h.send(c, b"X");
    }
    assert!(
        h.closed.contains(&c),
        "closed within the header timeout of the request's start"
    );
}

#[test]
fn idle_keep_alive_connections_are_closed_and_busy_ones_are_not() {
    let mut h = Harness::new();
    let idle = h.connect(1);
    h.send(idle, b"GET /healthz HTTP/1.1\r\n\r\n");
    h.advance(119_000);
    assert!(!h.closed.contains(&idle));
    h.advance(2_000);
    assert!(h.closed.contains(&idle));
}

#[test]
fn garbage_is_answered_with_400_and_closes() {
    let mut h = Harness::new();
    let c = h.connect(1);
    h.send(c, b"\x16\x03\x01 not http at all\r\n\r\n");
    assert_eq!(statuses(&h.take(c)), vec![400]);
    assert!(h.closed.contains(&c));
}
