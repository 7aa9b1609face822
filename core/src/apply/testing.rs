//! The real Kubernetes schema document, for tests.

use std::sync::OnceLock;

use crate::openapi::Definitions;

/// The definitions Gatehouse serves, parsed once per test binary.
pub fn schemas() -> &'static Definitions {
    static SCHEMAS: OnceLock<Definitions> = OnceLock::new();
    SCHEMAS.get_or_init(|| Definitions::parse(include_bytes!("../openapi/schemas.json")))
}
