//! HTTP/1.1 over a byte stream: an incremental request parser, response encoding, and the
//! reading of answers to the server's own outbound requests.
//!
//! The parser is push-style ([`Parser::push`], then [`Parser::poll`]), so the core parses
//! whatever bytes the runtime read, however they were split, and never blocks.

pub mod client;
mod parser;
mod response;

pub use parser::{HttpError, Limits, Parsed, Parser, Request};
pub use response::{chunk, response_head, LAST_CHUNK};
