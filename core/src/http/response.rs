//! Response encoding.

use std::fmt::Write;

/// The terminating chunk of a chunked response.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Encodes a status line and headers. With `content_length` the body follows as is; without,
/// the response is chunked (watches and other streams).
pub fn response_head(status: u16, headers: &[(String, String)], content_length: Option<usize>) -> Vec<u8> {
    let mut s = String::with_capacity(256);
    let _ = write!(s, "HTTP/1.1 {} {}\r\n", status, reason(status));
    for (n, v) in headers {
        // Header values come from the core itself, but a CR or LF must never split a header.
        if v.contains(['\r', '\n']) || n.contains(['\r', '\n', ':']) {
            continue;
        }
        let _ = write!(s, "{n}: {v}\r\n");
    }
    match content_length {
        Some(n) => {
            let _ = write!(s, "Content-Length: {n}\r\n");
        }
        None => s.push_str("Transfer-Encoding: chunked\r\n"),
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Frames `data` as one chunk of a chunked body (empty data yields nothing, since an empty
/// chunk would end the stream).
pub fn chunk(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_chunks() {
        let h = response_head(
            200,
            &[("Content-Type".into(), "application/json".into())],
            Some(2),
        );
        assert_eq!(
            h,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"
        );
        assert_eq!(chunk(b"hello"), b"5\r\nhello\r\n");
        assert!(chunk(b"").is_empty());
    }
}
