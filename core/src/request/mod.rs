//! Classifying a request: what it asks of which resource.

pub mod info;
