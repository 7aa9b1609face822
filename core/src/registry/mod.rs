//! The REST storage of resources: per-verb request machines, per-kind strategies, the
//! built-in resources and the run-time registry of everything served.

pub mod body;
pub mod list;
pub mod resources;
pub mod rest;
pub mod scale;
pub mod strategy;
pub mod table;

pub use resources::{builtin, find, find_kind, Name, Names, ResourceDef};
pub use rest::{Call, Env, Machine, Params, Reply, Step, WatchSpec};
pub use table::{Resources, Source};

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
