//! Reading the answer to one of the server's own outbound HTTP/1.1 requests (a webhook, an
//! OIDC document): where the final response's head ends, how its body is framed, and the
//! whole answer once it is in. The runtime reads the bytes; what they mean is decided here,
//! where it can be fuzzed.

use crate::server::HttpsResponse;

/// Whether `raw` holds a whole answer, as `framing` (from [`head_framing`]) frames it. A
/// chunked body is only walked when the buffer ends a line pair, where it can have ended.
pub fn is_complete(raw: &[u8], framing: Option<(usize, Framing)>) -> bool {
    match framing {
        Some((body, Framing::Length(len))) => raw.len() >= body.saturating_add(len),
        Some((body, Framing::Chunked)) => {
            raw.ends_with(b"\r\n\r\n") && raw.get(body..).and_then(dechunk).is_some()
        }
        Some((_, Framing::Close)) | None => false,
    }
}

/// How a response's body ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// After this many bytes.
    Length(usize),
    /// At the last chunk.
    Chunked,
    /// When the server closes.
    Close,
}

/// Where the final response's body starts in `raw` and how it is framed, once its head is
/// in; interim (1xx) responses before it are dropped from `raw`.
pub fn head_framing(raw: &mut Vec<u8>) -> Option<(usize, Framing)> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head) = resp.parse(raw).ok()? else {
            return None;
        };
        let code = resp.code?;
        if (100..200).contains(&code) {
            raw.drain(..head);
            continue;
        }
        let framing = if code == 204 || code == 304 {
            Framing::Length(0)
        } else if is_chunked(resp.headers) {
            Framing::Chunked
        } else {
            content_length(resp.headers).map_or(Framing::Close, Framing::Length)
        };
        return Some((head, framing));
    }
}

fn is_chunked(headers: &[httparse::Header<'_>]) -> bool {
    headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("transfer-encoding")
            && String::from_utf8_lossy(h.value)
                .to_ascii_lowercase()
                .contains("chunked")
    })
}

fn content_length(headers: &[httparse::Header<'_>]) -> Option<usize> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
}

/// The answer in `raw`: status, headers and the whole body.
pub fn parse_response(raw: &[u8]) -> Option<HttpsResponse> {
    let mut raw = raw.to_vec();
    let (body_at, framing) = head_framing(&mut raw)?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    resp.parse(&raw).ok()?;
    let rest = &raw[body_at..];
    let body = match framing {
        Framing::Chunked => dechunk(rest)?,
        Framing::Length(n) => rest.get(..n)?.to_vec(),
        Framing::Close => rest.to_vec(),
    };
    Some(HttpsResponse {
        status: resp.code?,
        headers: resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body,
    })
}

/// The body of a chunked transfer, once it has ended.
pub fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_by_length_by_chunks_or_to_the_end() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiXX").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hi"[..]));
        let chunked =
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap().body, b"abcde");
        let mut raw = chunked.to_vec();
        let framing = head_framing(&mut raw);
        assert!(is_complete(&raw, framing));
        assert!(!is_complete(&raw[..raw.len() - 2], framing));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab").is_none());
        // Interim answers are skipped; 204 has no body.
        let r = parse_response(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert_eq!((r.status, r.body.len()), (204, 0));
        let r = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\ngone").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"gone"[..]));
        assert!(parse_response(b"garbage").is_none());
        // A length no buffer can reach is never complete, and does not overflow.
        let mut huge = b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n".to_vec();
        let framing = head_framing(&mut huge);
        assert!(!is_complete(&huge, framing));
    }
}
