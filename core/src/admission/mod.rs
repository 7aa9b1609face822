//! Admission: built-in plugins that may refuse a write after authorization.

pub mod namespace_lifecycle;
