//! The real Kubernetes schema document, for tests.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::Schemas;

/// Definitions from the embedded `schemas.json`.
pub struct TestSchemas(HashMap<String, Value>);

impl Schemas for TestSchemas {
    fn definition(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

impl Schemas for &TestSchemas {
    fn definition(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

/// Loaded once per test binary.
pub fn schemas() -> &'static TestSchemas {
    static SCHEMAS: OnceLock<TestSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let map: HashMap<String, Value> =
            serde_json::from_slice(include_bytes!("../openapi/schemas.json")).unwrap_or_default();
        TestSchemas(map)
    })
}
