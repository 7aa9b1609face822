//! Wire encodings of objects other than JSON.

pub mod protobuf;
