//! HTTP/1.1 over a byte stream: an incremental request parser and response encoding.
//!
//! The parser is push-style ([`Parser::push`], then [`Parser::poll`]), so the core parses
//! whatever bytes the runtime read, however they were split, and never blocks.

mod parser;
mod response;

pub use parser::{HttpError, Limits, Parsed, Parser, Request};
pub use response::{chunk, response_head, LAST_CHUNK};
