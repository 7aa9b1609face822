//! The API's shared vocabulary: `Status` errors and object metadata accessors.

mod meta;
pub mod quantity;
mod status;

pub use meta::*;
pub use status::{qualified, qualified_kind, ApiError, Cause};
