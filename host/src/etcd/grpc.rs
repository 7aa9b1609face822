//! gRPC over HTTP/2, as much of it as the etcd client needs.
//!
//! A call is one HTTP/2 stream: `POST /package.Service/Method` with `content-type:
//! application/grpc` and `te: trailers`; each message travels in a frame of one flag byte
//! (compressed or not; Gatehouse never compresses and asks for no compression) and a big-endian
//! `u32` length. The outcome arrives as `grpc-status` (and `grpc-message`) in the trailers, or
//! in the headers of a response that carries no message at all.

use bytes::{Buf, Bytes, BytesMut};
use h2::client::{ResponseFuture, SendRequest};
use h2::{RecvStream, SendStream};
use prost::Message;

/// The largest message accepted from etcd.
const MAX_MESSAGE: usize = 512 << 20;

/// How a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The request never left this process: the connection was unusable. Safe to retry on
    /// another connection.
    NotSent(String),
    /// The connection or stream failed after the request was sent: whether etcd applied it is
    /// unknown.
    Lost(String),
    /// etcd answered with a gRPC error status.
    Status {
        /// The gRPC status code (e.g. 11 `OUT_OF_RANGE`, 14 `UNAVAILABLE`).
        code: u32,
        /// The status message (e.g. `etcdserver: mvcc: required revision has been compacted`).
        message: String,
    },
    /// The answer broke the protocol.
    Protocol(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::NotSent(m) => write!(f, "not sent: {m}"),
            CallError::Lost(m) => write!(f, "connection lost: {m}"),
            CallError::Status { code, message } => write!(f, "grpc status {code}: {message}"),
            CallError::Protocol(m) => write!(f, "protocol error: {m}"),
        }
    }
}

/// Where calls go: the scheme and authority of the connection's endpoint.
#[derive(Clone, Debug)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// `host:port`.
    pub authority: String,
}

/// Frames one message.
pub fn frame(msg: &impl Message) -> Bytes {
    let len = msg.encoded_len();
    let mut out = Vec::with_capacity(5 + len);
    out.push(0);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    msg.encode_raw(&mut out);
    Bytes::from(out)
}

/// Opens the stream of a call to `path` (e.g. `/etcdserverpb.KV/Range`).
pub async fn open(
    send: &SendRequest<Bytes>,
    target: &Target,
    path: &str,
) -> Result<(ResponseFuture, SendStream<Bytes>), CallError> {
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("{}://{}{path}", target.scheme, target.authority))
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(http::header::TE, "trailers")
        .header("grpc-accept-encoding", "identity")
        .header(http::header::USER_AGENT, "gatehouse")
        .body(())
        .map_err(|e| CallError::NotSent(e.to_string()))?;
    let mut ready = send
        .clone()
        .ready()
        .await
        .map_err(|e| CallError::NotSent(e.to_string()))?;
    ready
        .send_request(request, false)
        .map_err(|e| CallError::NotSent(e.to_string()))
}

/// Waits for the response headers of a call; a trailers-only error answer becomes its status.
pub async fn responses(fut: ResponseFuture) -> Result<Responses, CallError> {
    let resp = fut.await.map_err(stream_error)?;
    if resp.status() != http::StatusCode::OK {
        return Err(CallError::Protocol(format!("HTTP status {}", resp.status())));
    }
    if let Some(status) = status_of(resp.headers()) {
        status?;
    }
    Ok(Responses {
        body: resp.into_body(),
        buf: BytesMut::new(),
    })
}

/// One unary call: one request, one answer.
pub async fn unary<Req: Message, Resp: Message + Default>(
    send: &SendRequest<Bytes>,
    target: &Target,
    path: &str,
    req: &Req,
) -> Result<Resp, CallError> {
    let (fut, mut stream) = open(send, target, path).await?;
    stream
        .send_data(frame(req), true)
        .map_err(|e| CallError::Lost(e.to_string()))?;
    let mut rs = responses(fut).await?;
    let Some(msg) = rs.next::<Resp>().await? else {
        return Err(CallError::Protocol("the call ended without an answer".into()));
    };
    // Read to the end: the trailers carry the call's status.
    while rs.next::<Resp>().await?.is_some() {}
    Ok(msg)
}

/// The messages of a response stream.
pub struct Responses {
    body: RecvStream,
    buf: BytesMut,
}

impl Responses {
    /// The next message; `None` once the stream ended with status OK.
    pub async fn next<M: Message + Default>(&mut self) -> Result<Option<M>, CallError> {
        loop {
            if let Some(frame) = self.take_frame()? {
                return M::decode(frame)
                    .map(Some)
                    .map_err(|e| CallError::Protocol(e.to_string()));
            }
            match self.body.data().await {
                Some(Ok(chunk)) => {
                    let _ = self.body.flow_control().release_capacity(chunk.len());
                    self.buf.extend_from_slice(&chunk);
                }
                Some(Err(e)) => return Err(stream_error(e)),
                None => {
                    let trailers = self.body.trailers().await.map_err(stream_error)?;
                    match trailers.as_ref().and_then(status_of) {
                        Some(Err(e)) => return Err(e),
                        Some(Ok(())) => {}
                        None => return Err(CallError::Lost("the stream ended without a status".into())),
                    }
                    if !self.buf.is_empty() {
                        return Err(CallError::Protocol("truncated message".into()));
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn take_frame(&mut self) -> Result<Option<Bytes>, CallError> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        if self.buf[0] != 0 {
            return Err(CallError::Protocol(
                "compressed message (none was negotiated)".into(),
            ));
        }
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if len > MAX_MESSAGE {
            return Err(CallError::Protocol(format!(
                "message of {len} bytes is too large"
            )));
        }
        if self.buf.len() < 5 + len {
            self.buf.reserve(5 + len - self.buf.len());
            return Ok(None);
        }
        let mut frame = self.buf.split_to(5 + len);
        frame.advance(5);
        Ok(Some(frame.freeze()))
    }
}

fn stream_error(e: h2::Error) -> CallError {
    CallError::Lost(e.to_string())
}

/// `grpc-status` of a header block: `None` when absent, `Some(Ok)` for status 0.
fn status_of(headers: &http::HeaderMap) -> Option<Result<(), CallError>> {
    let code = headers.get("grpc-status")?;
    let code: u32 = match code.to_str().ok().and_then(|c| c.trim().parse().ok()) {
        Some(c) => c,
        None => return Some(Err(CallError::Protocol("invalid grpc-status".into()))),
    };
    if code == 0 {
        return Some(Ok(()));
    }
    let message = headers
        .get("grpc-message")
        .map(|m| percent_decode(m.as_bytes()))
        .unwrap_or_default();
    Some(Err(CallError::Status { code, message }))
}

/// Decodes the percent-encoding gRPC applies to `grpc-message`.
fn percent_decode(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_statuses() {
        let f = frame(&super::super::proto::CompactionRequest {
            revision: 5,
            physical: false,
        });
        assert_eq!(&f[..], &[0, 0, 0, 0, 2, 0x08, 0x05]);
        let mut h = http::HeaderMap::new();
        assert_eq!(status_of(&h), None);
        h.insert("grpc-status", "11".parse().unwrap());
        h.insert(
            "grpc-message",
            "etcdserver: mvcc: required revision has been compacted%21"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            status_of(&h),
            Some(Err(CallError::Status {
                code: 11,
                message: "etcdserver: mvcc: required revision has been compacted!".into()
            }))
        );
        assert_eq!(percent_decode(b"50%"), "50%");
    }
}
