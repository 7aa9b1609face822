//! The incremental HTTP/1.1 request parser.

use std::fmt;

/// Bounds that keep one connection from holding unbounded memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request head (request line and headers), as Go's `MaxHeaderBytes` (1 MiB).
    pub max_head: usize,
    /// Largest request body; kube-apiserver refuses bodies over 3 MiB with 413.
    pub max_body: usize,
    /// Most headers in one request.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 1 << 20,
            max_body: 3 * 1024 * 1024,
            max_headers: 128,
        }
    }
}

/// One complete request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The request target: path and optional `?query`.
    pub target: String,
    /// Header names lower-cased, values as sent (non-UTF-8 bytes replaced).
    pub headers: Vec<(String, String)>,
    /// The whole body (de-chunked).
    pub body: Vec<u8>,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
}

#[cfg(test)]
impl Request {
    /// A GET of `target` with `headers` (names as given), for tests.
    pub(crate) fn get_with(target: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
            keep_alive: true,
        }
    }
}

impl Request {
    /// The first value of a header (`name` lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header (`name` lower-case), in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The raw query string (without `?`), or "".
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// A request that cannot be parsed; the connection answers it and closes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status to answer with (400, 413, 431, 501, 505).
    pub status: u16,
    /// A short explanation.
    pub message: String,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

/// What [`Parser::poll`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The client sent `Expect: 100-continue` and its body is acceptable: answer
    /// `100 Continue` now, the body follows.
    Continue,
    /// A whole request.
    Request(Request),
    /// The stream is broken; answer and close.
    Error(HttpError),
}

#[derive(Debug)]
enum State {
    Head,
    Body { req: Request, remaining: usize },
    Chunked { req: Request, chunk: Chunk },
    Failed,
}

#[derive(Debug, Clone, Copy)]
enum Chunk {
    Size,
    Data(usize),
    DataEnd,
    Trailers,
}

/// Parses requests from pushed bytes, one at a time.
#[derive(Debug)]
pub struct Parser {
    buf: Vec<u8>,
    state: State,
    limits: Limits,
}

impl Parser {
    /// A parser with the given limits.
    pub fn new(limits: Limits) -> Self {
        Parser {
            buf: Vec::new(),
            state: State::Head,
            limits,
        }
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        if !matches!(self.state, State::Failed) {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Bytes held but not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
            + match &self.state {
                State::Body { req, .. } | State::Chunked { req, .. } => req.body.len(),
                _ => 0,
            }
    }

    /// Whether a request has begun but is not complete.
    pub fn is_mid_request(&self) -> bool {
        !self.buf.is_empty() || matches!(self.state, State::Body { .. } | State::Chunked { .. })
    }

    /// The next parse result, if the buffered bytes allow one.
    pub fn poll(&mut self) -> Option<Parsed> {
        loop {
            match std::mem::replace(&mut self.state, State::Failed) {
                State::Failed => return None,
                State::Head => match self.parse_head() {
                    Ok(None) => {
                        self.state = State::Head;
                        return None;
                    }
                    Ok(Some((req, body, expect))) => match body {
                        BodyKind::None => {
                            self.state = State::Head;
                            return Some(Parsed::Request(req));
                        }
                        BodyKind::Length(n) => {
                            self.state = State::Body { req, remaining: n };
                            if expect {
                                return Some(Parsed::Continue);
                            }
                        }
                        BodyKind::Chunked => {
                            self.state = State::Chunked {
                                req,
                                chunk: Chunk::Size,
                            };
                            if expect {
                                return Some(Parsed::Continue);
                            }
                        }
                    },
                    Err(e) => return Some(self.fail(e)),
                },
                State::Body { mut req, remaining } => {
                    let n = remaining.min(self.buf.len());
                    req.body.extend(self.buf.drain(..n));
                    if n == remaining {
                        self.state = State::Head;
                        return Some(Parsed::Request(req));
                    }
                    self.state = State::Body {
                        req,
                        remaining: remaining - n,
                    };
                    return None;
                }
                State::Chunked { req, chunk } => match self.parse_chunked(req, chunk) {
                    Ok(Some(req)) => {
                        self.state = State::Head;
                        return Some(Parsed::Request(req));
                    }
                    Ok(None) => return None,
                    Err(e) => return Some(self.fail(e)),
                },
            }
        }
    }

    fn fail(&mut self, e: HttpError) -> Parsed {
        self.state = State::Failed;
        self.buf = Vec::new();
        Parsed::Error(e)
    }

    fn parse_head(&mut self) -> Result<Option<(Request, BodyKind, bool)>, HttpError> {
        // Tolerate blank lines between pipelined requests, as RFC 9112 asks.
        while self.buf.starts_with(b"\r\n") {
            self.buf.drain(..2);
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        let mut headers = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        let mut parsed = httparse::Request::new(&mut headers);
        let status = match parsed.parse(&self.buf) {
            Ok(s) => s,
            Err(httparse::Error::TooManyHeaders) => {
                return Err(HttpError {
                    status: 431,
                    message: "too many headers".into(),
                })
            }
            Err(e) => return Err(bad(format!("malformed request: {e}"))),
        };
        let head_len = match status {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => {
                if self.buf.len() > self.limits.max_head {
                    return Err(HttpError {
                        status: 431,
                        message: "request header fields too large".into(),
                    });
                }
                return Ok(None);
            }
        };
        if head_len > self.limits.max_head {
            return Err(HttpError {
                status: 431,
                message: "request header fields too large".into(),
            });
        }
        let version = parsed.version.unwrap_or(1);
        let mut req = Request {
            method: parsed.method.unwrap_or_default().to_string(),
            target: parsed.path.unwrap_or_default().to_string(),
            headers: Vec::with_capacity(parsed.headers.len()),
            body: Vec::new(),
            keep_alive: version == 1,
        };
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut expect = false;
        for h in parsed.headers.iter() {
            let name = h.name.to_ascii_lowercase();
            let value = String::from_utf8_lossy(h.value).trim().to_string();
            match name.as_str() {
                "content-length" => {
                    let n: usize = value.parse().map_err(|_| bad("invalid Content-Length"))?;
                    if length.is_some_and(|m| m != n) {
                        return Err(bad("conflicting Content-Length"));
                    }
                    length = Some(n);
                }
                "transfer-encoding" => {
                    let last = value.rsplit(',').next().unwrap_or("").trim().to_ascii_lowercase();
                    if last != "chunked" {
                        return Err(HttpError {
                            status: 501,
                            message: "unsupported transfer encoding".into(),
                        });
                    }
                    chunked = true;
                }
                "connection" => {
                    let v = value.to_ascii_lowercase();
                    if v.split(',').any(|t| t.trim() == "close") {
                        req.keep_alive = false;
                    } else if v.split(',').any(|t| t.trim() == "keep-alive") {
                        req.keep_alive = true;
                    }
                }
                "expect" => {
                    if value.eq_ignore_ascii_case("100-continue") {
                        expect = version == 1;
                    } else {
                        return Err(HttpError {
                            status: 417,
                            message: "expectation failed".into(),
                        });
                    }
                }
                _ => {}
            }
            req.headers.push((name, value));
        }
        self.buf.drain(..head_len);
        if chunked && length.is_some() {
            // RFC 9112 §6.3: both present is a smuggling vector; refuse.
            return Err(bad("both Transfer-Encoding and Content-Length"));
        }
        let body = if chunked {
            BodyKind::Chunked
        } else {
            match length {
                Some(n) if n > self.limits.max_body => return Err(too_large(self.limits.max_body)),
                Some(0) | None => BodyKind::None,
                Some(n) => BodyKind::Length(n),
            }
        };
        let expect = expect && !matches!(body, BodyKind::None);
        Ok(Some((req, body, expect)))
    }

    fn parse_chunked(&mut self, mut req: Request, mut chunk: Chunk) -> Result<Option<Request>, HttpError> {
        loop {
            match chunk {
                Chunk::Size => {
                    let Some(end) = find_crlf(&self.buf) else {
                        // One more byte may be the CR of a line that is still short enough.
                        if self.buf.len() > MAX_CHUNK_LINE + 1 {
                            return Err(bad("chunk size line too long"));
                        }
                        self.state = State::Chunked { req, chunk };
                        return Ok(None);
                    };
                    // The same limit whether the line arrived whole or in pieces.
                    if end > MAX_CHUNK_LINE {
                        return Err(bad("chunk size line too long"));
                    }
                    let line = std::str::from_utf8(&self.buf[..end]).map_err(|_| bad("bad chunk size"))?;
                    let hex = line.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(hex, 16).map_err(|_| bad("bad chunk size"))?;
                    self.buf.drain(..end + 2);
                    if size == 0 {
                        chunk = Chunk::Trailers;
                    } else {
                        if req.body.len().saturating_add(size) > self.limits.max_body {
                            return Err(too_large(self.limits.max_body));
                        }
                        chunk = Chunk::Data(size);
                    }
                }
                Chunk::Data(remaining) => {
                    let n = remaining.min(self.buf.len());
                    req.body.extend(self.buf.drain(..n));
                    if n < remaining {
                        self.state = State::Chunked {
                            req,
                            chunk: Chunk::Data(remaining - n),
                        };
                        return Ok(None);
                    }
                    chunk = Chunk::DataEnd;
                }
                Chunk::DataEnd => {
                    if self.buf.len() < 2 {
                        self.state = State::Chunked { req, chunk };
                        return Ok(None);
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err(bad("missing CRLF after chunk"));
                    }
                    self.buf.drain(..2);
                    chunk = Chunk::Size;
                }
                Chunk::Trailers => {
                    // Trailer fields are read and dropped; an empty line ends the body.
                    let Some(end) = find_crlf(&self.buf) else {
                        if self.buf.len() > self.limits.max_head + 1 {
                            return Err(bad("trailers too large"));
                        }
                        self.state = State::Chunked { req, chunk };
                        return Ok(None);
                    };
                    if end > self.limits.max_head {
                        return Err(bad("trailers too large"));
                    }
                    self.buf.drain(..end + 2);
                    if end == 0 {
                        return Ok(Some(req));
                    }
                }
            }
        }
    }
}

enum BodyKind {
    None,
    Length(usize),
    Chunked,
}

/// Longest chunk-size line (size and extensions) accepted.
const MAX_CHUNK_LINE: usize = 1024;

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

fn bad(m: impl Into<String>) -> HttpError {
    HttpError {
        status: 400,
        message: m.into(),
    }
}

fn too_large(limit: usize) -> HttpError {
    HttpError {
        status: 413,
        message: format!("limit is {limit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(p: &mut Parser) -> Vec<Parsed> {
        std::iter::from_fn(|| p.poll()).collect()
    }

    #[test]
    fn pipelined_requests_split_anywhere() {
        let wire = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\n\r\n";
        for split in 0..wire.len() {
            let mut p = Parser::new(Limits::default());
            p.push(&wire[..split]);
            let mut got = parse_all(&mut p);
            p.push(&wire[split..]);
            got.extend(parse_all(&mut p));
            let targets: Vec<_> = got
                .iter()
                .map(|g| match g {
                    Parsed::Request(r) => (r.target.clone(), r.body.clone()),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(
                targets,
                vec![
                    ("/a".into(), vec![]),
                    ("/b".into(), b"abc".to_vec()),
                    ("/c".into(), vec![])
                ]
            );
        }
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let mut p = Parser::new(Limits::default());
        p.push(b"PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n");
        match p.poll() {
            Some(Parsed::Request(r)) => assert_eq!(r.body, b"abcde"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn expect_continue_is_announced_before_the_body() {
        let mut p = Parser::new(Limits::default());
        p.push(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        assert_eq!(p.poll(), Some(Parsed::Continue));
        assert_eq!(p.poll(), None);
        p.push(b"hi");
        assert!(matches!(p.poll(), Some(Parsed::Request(r)) if r.body == b"hi"));
    }

    #[test]
    fn oversized_bodies_are_refused_without_buffering() {
        let limits = Limits {
            max_body: 10,
            ..Limits::default()
        };
        let mut p = Parser::new(limits);
        p.push(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
        assert!(matches!(
            p.poll(),
            Some(Parsed::Error(HttpError { status: 413, .. }))
        ));
        let mut p = Parser::new(limits);
        p.push(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n");
        assert!(matches!(
            p.poll(),
            Some(Parsed::Error(HttpError { status: 413, .. }))
        ));
    }

    #[test]
    fn huge_heads_and_garbage_are_refused() {
        let mut p = Parser::new(Limits {
            max_head: 64,
            ..Limits::default()
        });
        p.push(b"GET / HTTP/1.1\r\nX: ");
        p.push(&[b'a'; 100]);
        assert!(matches!(
            p.poll(),
            Some(Parsed::Error(HttpError { status: 431, .. }))
        ));
        let mut p = Parser::new(Limits::default());
        p.push(b"\x00\x01garbage\r\n\r\n");
        assert!(matches!(
            p.poll(),
            Some(Parsed::Error(HttpError { status: 400, .. }))
        ));
        let mut p = Parser::new(Limits::default());
        p.push(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert!(matches!(
            p.poll(),
            Some(Parsed::Error(HttpError { status: 400, .. }))
        ));
    }

    #[test]
    fn connection_close_and_http10() {
        let mut p = Parser::new(Limits::default());
        p.push(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.0\r\n\r\n");
        assert!(matches!(p.poll(), Some(Parsed::Request(r)) if !r.keep_alive));
        assert!(matches!(p.poll(), Some(Parsed::Request(r)) if !r.keep_alive));
    }
}
