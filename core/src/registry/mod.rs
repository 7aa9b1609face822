//! The REST storage of built-in resources: per-verb request machines, per-kind strategies and
//! the resource table.

pub mod body;
pub mod list;
pub mod resources;
pub mod rest;
pub mod scale;
pub mod strategy;

pub use resources::{find, find_kind, ResourceDef, RESOURCES};
pub use rest::{Call, Env, Machine, Params, Reply, Step, WatchSpec};

/// The storage key of one object: `<prefix>/<storage>/<namespace>/<name>`.
pub fn object_key(prefix: &str, def: &ResourceDef, namespace: &str, name: &str) -> Vec<u8> {
    if def.namespaced {
        format!("{prefix}/{}/{namespace}/{name}", def.storage).into_bytes()
    } else {
        format!("{prefix}/{}/{name}", def.storage).into_bytes()
    }
}

/// The key prefix of a collection: one namespace, or all of them when `namespace` is "".
pub fn collection_prefix(prefix: &str, def: &ResourceDef, namespace: &str) -> Vec<u8> {
    if def.namespaced && !namespace.is_empty() {
        format!("{prefix}/{}/{namespace}/", def.storage).into_bytes()
    } else {
        format!("{prefix}/{}/", def.storage).into_bytes()
    }
}
