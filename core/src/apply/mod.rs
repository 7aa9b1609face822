//! Server-side apply and `metadata.managedFields` tracking, as kube-apiserver does it.
//!
//! Every write records which manager owns which fields. Non-apply writes ([`update`]) give
//! the writer's Update entry the fields it changed and take them from everyone else.
//! Apply requests ([`apply`]) merge a partial configuration into the live object by the
//! schema's list and map semantics, refuse to change fields another manager owns unless
//! forced, remove fields the applier dropped from its configuration, and make the
//! applier's Apply entry exactly the configuration's fields.
//!
//! Objects are whole Kubernetes objects as `serde_json::Value`; their shape comes from
//! OpenAPI v3 definitions supplied through [`Schemas`].

mod compare;
mod conflict;
mod fieldpath;
mod fieldset;
mod fieldsv1;
mod managed;
mod merge;
mod remove;
mod schema;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

use std::fmt;

use serde_json::{Map, Value};

pub use conflict::{Conflict, Conflicts};
pub use fieldpath::{Path, PathElement, Set};
pub use fieldsv1::{decode as decode_fields_v1, encode as encode_fields_v1};
pub use managed::{Entry, ANCIENT_CHANGES, MAX_UPDATE_MANAGERS};

use fieldpath::set_of_fields;
use managed::Managed;
use schema::TypeRef;

/// Deepest nesting of objects, lists and field sets accepted; walks recurse along it.
pub const MAX_DEPTH: usize = 100;

/// Manager that takes over the fields of an object written before its first apply.
pub const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Fields never tracked: type and object identity metadata the server owns.
const STRIPPED: &[&[&str]] = &[
    &["apiVersion"],
    &["kind"],
    &["metadata"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "creationTimestamp"],
    &["metadata", "selfLink"],
    &["metadata", "uid"],
    &["metadata", "clusterName"],
    &["metadata", "generation"],
    &["metadata", "managedFields"],
    &["metadata", "resourceVersion"],
];

/// OpenAPI v3 definitions, keyed by definition name (`io.k8s.api.apps.v1.Deployment`).
pub trait Schemas {
    /// The schema object of a definition.
    fn definition(&self, name: &str) -> Option<&Value>;
}

impl<T: Schemas + ?Sized> Schemas for &T {
    fn definition(&self, name: &str) -> Option<&Value> {
        (**self).definition(name)
    }
}

/// Who writes, and when.
#[derive(Clone, Copy, Debug)]
pub struct Operation<'a> {
    /// The field manager (`fieldManager` parameter or derived from the User-Agent);
    /// `""` is recorded as `unknown`.
    pub manager: &'a str,
    /// The group/version the request was made in (`v1`, `apps/v1`).
    pub api_version: &'a str,
    /// The subresource written through (`""` for the main resource, `status`, `scale`).
    pub subresource: &'a str,
    /// The request time, RFC 3339 with second precision.
    pub time: &'a str,
}

impl Operation<'_> {
    fn manager(&self) -> &str {
        if self.manager.is_empty() {
            "unknown"
        } else {
            self.manager
        }
    }
}

/// Why an apply (or managedFields update) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyError {
    /// Fields owned by other managers would change (409 Conflict).
    Conflicts(Conflicts),
    /// The request is not acceptable as sent (400 BadRequest): managedFields in an apply
    /// configuration, or an apiVersion other than the endpoint's.
    BadRequest(String),
    /// The configuration or object cannot be tracked: a list item without its key, a
    /// repeated item, nesting too deep (kube-apiserver answers these with 500; a caller
    /// may prefer 422).
    Invalid(String),
    /// The stored managedFields cannot be decoded (500).
    Internal(String),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Conflicts(c) => write!(f, "{c}"),
            ApplyError::BadRequest(m) | ApplyError::Invalid(m) | ApplyError::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ApplyError {}

fn managed_fields_of(obj: &Value) -> Option<&Value> {
    obj.get("metadata")?.get("managedFields")
}

fn without_managed_fields(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    out
}

fn set_managed_fields(obj: &mut Value, managed: &Managed) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    match managed::encode(managed) {
        Some(list) => {
            let meta = root
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert("managedFields".to_string(), list);
            }
        }
        None => {
            if let Some(meta) = root.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
            }
        }
    }
}

/// Records a non-apply write (create, update, or non-apply patch) by `op.manager`,
/// rewriting `new.metadata.managedFields`. `old` is the stored object (`None` on create).
///
/// `reset` lists the paths the endpoint resets (`status` on a main resource whose status
/// is a subresource; `spec`, … on `/status`): they are never tracked.
///
/// A client may replace managedFields by sending a valid list, or clear them with `[]`
/// or `[{}]`; an invalid list is ignored in favour of the stored one. An object that
/// exists without managedFields stays untracked until its first apply. On error `new`
/// keeps the stored managedFields, as kube-apiserver does.
pub fn update(
    schemas: &dyn Schemas,
    definition: &str,
    old: Option<&Value>,
    new: &mut Value,
    op: &Operation,
    reset: &[&[&str]],
) -> Result<(), ApplyError> {
    let result = update_inner(schemas, definition, old, new, op, reset);
    if result.is_err() {
        let live = old.and_then(managed_fields_of).cloned();
        if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
            match live {
                Some(list) => meta.insert("managedFields".to_string(), list),
                None => meta.remove("managedFields"),
            };
        }
    }
    result
}

fn update_inner(
    schemas: &dyn Schemas,
    definition: &str,
    old: Option<&Value>,
    new: &mut Value,
    op: &Operation,
    reset: &[&[&str]],
) -> Result<(), ApplyError> {
    let live_fields = old.and_then(managed_fields_of);
    let sent = managed_fields_of(new);
    let mut managed = if !op.subresource.is_empty() {
        // Subresource writes cannot touch managedFields.
        managed::decode(live_fields).unwrap_or_default()
    } else if managed::is_reset(sent) {
        Managed::new()
    } else {
        match managed::decode(sent) {
            Ok(m) if !m.is_empty() => m,
            _ => managed::decode(live_fields).unwrap_or_default(),
        }
    };
    if managed.is_empty() && old.is_some() {
        set_managed_fields(new, &managed);
        return Ok(());
    }
    // The comparison skips managedFields, so neither object is copied without them.
    let empty = Value::Object(Map::new());
    let old_obj = old.unwrap_or(&empty);
    let ty = TypeRef::definition(schemas, definition);
    let ignored = set_of_fields(reset);
    record_update(
        schemas,
        ty,
        old_obj,
        new,
        &mut managed,
        op.manager(),
        op,
        &ignored,
    )
    .map_err(ApplyError::Invalid)?;
    managed::cap_update_managers(&mut managed);
    set_managed_fields(new, &managed);
    Ok(())
}

/// Gives `manager`'s Update entry the fields that changed from `old` to `new` and takes
/// them (and removed fields) from every other entry.
#[allow(clippy::too_many_arguments)]
fn record_update(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    old: &Value,
    new: &Value,
    managed: &mut Managed,
    manager: &str,
    op: &Operation,
    ignored: &Set,
) -> Result<(), String> {
    let mut cmp = compare::compare(schemas, ty, old, new)?;
    cmp.filter(ignored);
    let taken = cmp.modified.union(&cmp.added);
    for entry in managed.values_mut() {
        entry.fields = entry.fields.difference(&taken).difference(&cmp.removed);
    }
    managed.retain(|_, e| !e.fields.is_empty());
    let own = taken
        .difference(&cmp.removed)
        .difference(&set_of_fields(STRIPPED));
    if own.is_empty() {
        return Ok(());
    }
    let id = managed::identifier(manager, false, op.api_version, op.subresource);
    let entry = managed.entry(id).or_insert_with(|| Entry {
        manager: manager.to_string(),
        apply: false,
        api_version: op.api_version.to_string(),
        subresource: op.subresource.to_string(),
        time: None,
        fields: Set::new(),
    });
    entry.fields = own.union(&entry.fields);
    entry.api_version = op.api_version.to_string();
    entry.time = Some(op.time.to_string());
    Ok(())
}

/// Drops the configuration's values under the reset paths; the live values stay.
fn drop_reset_paths(config: &mut Value, reset: &[&[&str]]) {
    for path in reset {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut node = Some(&mut *config);
        for p in parents {
            node = node.and_then(|n| n.get_mut(*p));
        }
        if let Some(map) = node.and_then(Value::as_object_mut) {
            map.remove(*last);
        }
    }
}

/// Applies `config` (a partial object) for `op.manager`, returning the merged object with
/// its managedFields. `live` is the stored object, `None` to create.
///
/// Without `force`, changing a field another manager owns (an Update entry, or another
/// applier) fails with [`ApplyError::Conflicts`]; with it, ownership moves to the applier.
/// Values under `reset` paths in the configuration are ignored.
pub fn apply(
    schemas: &dyn Schemas,
    definition: &str,
    live: Option<&Value>,
    config: &Value,
    op: &Operation,
    force: bool,
    reset: &[&[&str]],
) -> Result<Value, ApplyError> {
    if !config.is_object() {
        return Err(ApplyError::BadRequest(
            "apply configuration must be a JSON object".to_string(),
        ));
    }
    if managed_fields_of(config).is_some_and(|v| !v.is_null()) {
        return Err(ApplyError::BadRequest(
            "metadata.managedFields must be nil".to_string(),
        ));
    }
    if let Some(version) = config.get("apiVersion").and_then(Value::as_str) {
        if version != op.api_version {
            return Err(ApplyError::BadRequest(format!(
                "Incorrect version specified in apply patch. Specified patch version: {version}, \
                 expected: {}",
                op.api_version
            )));
        }
    }
    let ty = TypeRef::definition(schemas, definition);
    let ignored = set_of_fields(reset);
    let mut managed = match live {
        Some(obj) => managed::decode(managed_fields_of(obj))
            .map_err(|e| ApplyError::Internal(format!("failed to decode managed fields: {e}")))?,
        None => Managed::new(),
    };
    let live_obj = live
        .map(without_managed_fields)
        .unwrap_or_else(|| Value::Object(Map::new()));
    if managed.is_empty() && live.is_some() {
        // The first apply to an object written without tracking: someone owns its fields.
        record_update(
            schemas,
            ty,
            &Value::Object(Map::new()),
            &live_obj,
            &mut managed,
            BEFORE_FIRST_APPLY,
            op,
            &ignored,
        )
        .map_err(ApplyError::Invalid)?;
    }
    let mut config = config.clone();
    drop_reset_paths(&mut config, reset);

    let merged = merge::merge(schemas, ty, &live_obj, &config).map_err(ApplyError::Invalid)?;
    let applier = managed::identifier(op.manager(), true, "", op.subresource);
    let last = managed.get(&applier).map(|e| e.fields.clone());
    let previous_time = managed.get(&applier).and_then(|e| e.time.clone());
    let applied = fieldset::to_field_set(schemas, ty, &config, true)
        .map_err(ApplyError::Invalid)?
        .recursive_difference(&ignored);
    managed.insert(
        applier.clone(),
        Entry {
            manager: op.manager().to_string(),
            apply: true,
            api_version: op.api_version.to_string(),
            subresource: op.subresource.to_string(),
            time: previous_time,
            fields: applied,
        },
    );
    let merged = match last {
        Some(last) if !last.is_empty() => {
            prune(schemas, ty, &merged, &managed, &last).map_err(ApplyError::Invalid)?
        }
        _ => merged,
    };

    let mut cmp = compare::compare(schemas, ty, &live_obj, &merged).map_err(ApplyError::Invalid)?;
    cmp.filter(&ignored);
    let taken = cmp.modified.union(&cmp.added);
    let mut conflicts = Vec::new();
    for (id, entry) in managed.iter().filter(|(id, _)| **id != applier) {
        for path in entry.fields.intersection(&taken).paths() {
            conflicts.push(Conflict {
                manager: entry.describe(),
                identifier: id.clone(),
                path,
            });
        }
    }
    if !force && !conflicts.is_empty() {
        return Err(ApplyError::Conflicts(Conflicts(conflicts)));
    }
    for (id, entry) in managed.iter_mut() {
        if *id != applier {
            entry.fields = entry.fields.difference(&taken).difference(&cmp.removed);
        }
    }
    let unchanged = live.is_some() && schema::values_equal(&merged, &live_obj);
    if let Some(entry) = managed.get_mut(&applier) {
        entry.fields = entry.fields.difference(&set_of_fields(STRIPPED));
        // A no-op apply leaves the object, and so the entry's time, as it was.
        if !unchanged {
            entry.time = Some(op.time.to_string());
        }
    }
    managed.retain(|_, e| !e.fields.is_empty());

    let mut out = merged;
    set_managed_fields(&mut out, &managed);
    Ok(out)
}

/// Removes what the applier applied last time but no longer does, unless a manager still
/// owns it: another applier, an Update entry (as kube-apiserver adds back every manager's
/// fields), or the new configuration.
fn prune(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    merged: &Value,
    managed: &Managed,
    last: &Set,
) -> Result<Value, String> {
    let pruned = remove::remove_items(schemas, ty, merged, last)?;
    let claimed = managed.values().fold(Set::new(), |acc, e| acc.union(&e.fields));
    let merged_set = fieldset::to_field_set(schemas, ty, merged, false)?;
    let pruned_set = fieldset::to_field_set(schemas, ty, &pruned, false)?;
    let restore = merged_set.difference(&pruned_set.union(&claimed));
    let pruned = remove::remove_items(schemas, ty, merged, &restore)?;
    let pruned_set = fieldset::to_field_set(schemas, ty, &pruned, false)?;
    // Only what this applier owned may go; anything else removed above comes back.
    let gone = merged_set.difference(&pruned_set).intersection(last);
    remove::remove_items(schemas, ty, merged, &gone)
}
