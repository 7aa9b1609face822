//! The simulated clients' side of HTTP/1.1: request encoding and an incremental response
//! parser for `Content-Length` bodies and chunked streams (watches: one JSON event per line).

/// One request, as bytes on the wire.
pub fn request(method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: gatehouse\r\nAccept: application/json\r\nUser-Agent: gatehouse-sim\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// What the parser found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A complete response with a `Content-Length` body.
    Response { status: u16, body: Vec<u8> },
    /// The head of a chunked (streamed) response.
    StreamStart { status: u16 },
    /// One line of a streamed body, without its newline.
    StreamLine(Vec<u8>),
    /// The end of a streamed body.
    StreamEnd,
}

#[derive(Debug)]
enum State {
    Head,
    Body { status: u16, remaining: usize },
    ChunkSize,
    ChunkData { remaining: usize },
    ChunkEnd,
    Trailer,
}

/// Incremental response parser of one connection.
#[derive(Debug)]
pub struct ResponseParser {
    buf: Vec<u8>,
    state: State,
    line: Vec<u8>,
}

impl Default for ResponseParser {
    fn default() -> Self {
        ResponseParser {
            buf: Vec::new(),
            state: State::Head,
            line: Vec::new(),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl ResponseParser {
    /// Adds bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Whether the parser sits between responses with nothing buffered.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head) && self.buf.is_empty()
    }

    /// The next parsed item, `Ok(None)` when more bytes are needed.
    pub fn poll(&mut self) -> Result<Option<Parsed>, String> {
        loop {
            match self.state {
                State::Head => {
                    let Some(end) = find(&self.buf, b"\r\n\r\n") else {
                        if self.buf.len() > 64 * 1024 {
                            return Err("response head too long".into());
                        }
                        return Ok(None);
                    };
                    let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                    self.buf.drain(..end + 4);
                    let mut lines = head.split("\r\n");
                    let status_line = lines.next().unwrap_or("");
                    let mut parts = status_line.splitn(3, ' ');
                    if parts.next() != Some("HTTP/1.1") {
                        return Err(format!("bad status line {status_line:?}"));
                    }
                    let status: u16 = parts
                        .next()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
                    let mut length = None;
                    let mut chunked = false;
                    for l in lines {
                        let Some((n, v)) = l.split_once(':') else {
                            return Err(format!("bad header line {l:?}"));
                        };
                        let n = n.trim().to_ascii_lowercase();
                        let v = v.trim();
                        if n == "content-length" {
                            length = Some(
                                v.parse::<usize>()
                                    .map_err(|_| format!("bad Content-Length {v:?}"))?,
                            );
                        } else if n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                            chunked = true;
                        }
                    }
                    if status == 100 {
                        continue;
                    }
                    if chunked {
                        self.state = State::ChunkSize;
                        self.line.clear();
                        return Ok(Some(Parsed::StreamStart { status }));
                    }
                    let Some(remaining) = length else {
                        return Err(format!(
                            "response {status} has neither Content-Length nor chunked body"
                        ));
                    };
                    self.state = State::Body { status, remaining };
                }
                State::Body { status, remaining } => {
                    if self.buf.len() < remaining {
                        return Ok(None);
                    }
                    let body: Vec<u8> = self.buf.drain(..remaining).collect();
                    self.state = State::Head;
                    return Ok(Some(Parsed::Response { status, body }));
                }
                State::ChunkSize => {
                    let Some(end) = find(&self.buf, b"\r\n") else {
                        return Ok(None);
                    };
                    let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                    self.buf.drain(..end + 2);
                    let size = usize::from_str_radix(text.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| format!("bad chunk size {text:?}"))?;
                    self.state = if size == 0 {
                        State::Trailer
                    } else {
                        State::ChunkData { remaining: size }
                    };
                }
                State::ChunkData { remaining } => {
                    if self.buf.is_empty() {
                        return Ok(None);
                    }
                    let n = remaining.min(self.buf.len());
                    let data: Vec<u8> = self.buf.drain(..n).collect();
                    self.state = if n == remaining {
                        State::ChunkEnd
                    } else {
                        State::ChunkData {
                            remaining: remaining - n,
                        }
                    };
                    self.line.extend_from_slice(&data);
                    if let Some(pos) = self.line.iter().position(|b| *b == b'\n') {
                        let rest = self.line.split_off(pos + 1);
                        let mut line = std::mem::replace(&mut self.line, rest);
                        line.pop();
                        return Ok(Some(Parsed::StreamLine(line)));
                    }
                }
                State::ChunkEnd => {
                    if let Some(pos) = self.line.iter().position(|b| *b == b'\n') {
                        let rest = self.line.split_off(pos + 1);
                        let mut line = std::mem::replace(&mut self.line, rest);
                        line.pop();
                        return Ok(Some(Parsed::StreamLine(line)));
                    }
                    if self.buf.len() < 2 {
                        return Ok(None);
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err("chunk not followed by CRLF".into());
                    }
                    self.buf.drain(..2);
                    self.state = State::ChunkSize;
                }
                State::Trailer => {
                    if let Some(pos) = self.line.iter().position(|b| *b == b'\n') {
                        let rest = self.line.split_off(pos + 1);
                        let mut line = std::mem::replace(&mut self.line, rest);
                        line.pop();
                        return Ok(Some(Parsed::StreamLine(line)));
                    }
                    if self.buf.len() < 2 {
                        return Ok(None);
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err("trailers are not expected".into());
                    }
                    self.buf.drain(..2);
                    self.state = State::Head;
                    if !self.line.is_empty() {
                        return Err("stream ended inside a line".into());
                    }
                    return Ok(Some(Parsed::StreamEnd));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_responses_and_streams() {
        let mut p = ResponseParser::default();
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{a}\n\r\n3\r\n{b}\r\n1\r\n\n\r\n0\r\n\r\n";
        let mut got = Vec::new();
        for b in wire.iter() {
            p.push(&[*b]);
            while let Some(x) = p.poll().unwrap() {
                got.push(x);
            }
        }
        assert_eq!(
            got,
            vec![
                Parsed::Response {
                    status: 200,
                    body: b"{}".to_vec()
                },
                Parsed::StreamStart { status: 200 },
                Parsed::StreamLine(b"{a}".to_vec()),
                Parsed::StreamLine(b"{b}".to_vec()),
                Parsed::StreamEnd,
            ]
        );
        assert!(p.is_idle());
    }
}
