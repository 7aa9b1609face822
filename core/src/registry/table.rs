//! The run-time registry of served resources: the built-in ones, and those added, changed and
//! removed while serving (custom resources, later). Request routing, discovery, the OpenAPI
//! listing, namespace deletion and the watch caches all ask it, never a static table.
//!
//! The registry is shared state of the hub. A request takes an `Arc` of its resource's
//! definition when it is routed and keeps it to the end, so a change while it is in flight
//! does not reach it, as kube-apiserver's handlers keep the storage they were routed to.

use std::sync::Arc;

use super::resources::{builtin, ResourceDef};

/// Where resources added at run time come from: objects kept in storage that define them
/// (CustomResourceDefinitions, APIServices). Every replica watches those objects, so a
/// definition written through any replica is served by all of them.
pub trait Source: Send + Sync {
    /// The storage path (under the storage prefix) of the defining objects, e.g.
    /// `apiextensions.k8s.io/customresourcedefinitions`.
    fn storage_path(&self) -> &str;

    /// The resources the defining objects (every one stored now) say to serve.
    fn resources(&self, objects: &mut dyn Iterator<Item = &serde_json::Value>) -> Vec<ResourceDef>;
}

/// What a change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changed {
    /// A resource not served before.
    Added,
    /// A served resource got a new definition.
    Replaced {
        /// Whether its storage path changed (its cache must be built again).
        storage_moved: bool,
    },
    /// Nothing: the definition was already served as given.
    Unchanged,
}

/// Why a change was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    /// Built-in resources are not changed or removed at run time.
    Builtin(String),
    /// Another resource of the group already has this kind or short name.
    Conflict(String),
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::Builtin(r) => write!(f, "{r} is built in"),
            RegistryError::Conflict(why) => f.write_str(why),
        }
    }
}

/// The served resources, in discovery order: built-in ones first, then those added at run
/// time in the order they were added.
#[derive(Clone, Debug)]
pub struct Resources {
    defs: Vec<Arc<ResourceDef>>,
    /// Moves on every change, so a replica can tell its discovery documents are stale.
    generation: u64,
}

impl Default for Resources {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Resources {
    /// The built-in resources only.
    pub fn builtin() -> Self {
        Resources {
            defs: builtin().iter().cloned().map(Arc::new).collect(),
            generation: 1,
        }
    }

    /// Every served resource, in discovery order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<ResourceDef>> + '_ {
        self.defs.iter()
    }

    /// The resource `group`/`version`/`resource`.
    pub fn find(&self, group: &str, version: &str, resource: &str) -> Option<&Arc<ResourceDef>> {
        self.defs
            .iter()
            .find(|r| r.group == group && r.version == version && r.resource == resource)
    }

    /// The first resource (in discovery order) of `group` with `kind`.
    pub fn find_kind(&self, group: &str, kind: &str) -> Option<&Arc<ResourceDef>> {
        self.defs.iter().find(|r| r.group == group && r.kind == kind)
    }

    /// The resource whose stored objects `def` serves: itself, or its storage version.
    pub fn storage_def(&self, def: &Arc<ResourceDef>) -> Arc<ResourceDef> {
        def.stored_as
            .and_then(|(g, v, r)| self.find(g, v, r))
            .unwrap_or(def)
            .clone()
    }

    /// Counts changes: equal generations mean the same resources.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Serves `def`, or replaces the definition of the resource it names.
    pub fn put(&mut self, def: ResourceDef) -> Result<Changed, RegistryError> {
        let name = display(&def);
        if let Some(other) = self.defs.iter().find(|d| {
            !d.same(&def)
                && d.group == def.group
                && d.version == def.version
                && (d.kind == def.kind || d.short_names.iter().any(|s| def.short_names.contains(s)))
        }) {
            return Err(RegistryError::Conflict(format!(
                "{name} has the kind or a short name of {}",
                display(other)
            )));
        }
        let Some(i) = self.defs.iter().position(|d| d.same(&def)) else {
            self.defs.push(Arc::new(ResourceDef {
                builtin: false,
                ..def
            }));
            self.generation += 1;
            return Ok(Changed::Added);
        };
        if self.defs[i].builtin {
            return Err(RegistryError::Builtin(name));
        }
        let def = ResourceDef {
            builtin: false,
            ..def
        };
        if *self.defs[i] == def {
            return Ok(Changed::Unchanged);
        }
        let storage_moved = self.defs[i].storage != def.storage;
        self.defs[i] = Arc::new(def);
        self.generation += 1;
        Ok(Changed::Replaced { storage_moved })
    }

    /// Stops serving `group`/`version`/`resource`; the removed definition, or `None` when it
    /// was not served.
    pub fn remove(
        &mut self,
        group: &str,
        version: &str,
        resource: &str,
    ) -> Result<Option<Arc<ResourceDef>>, RegistryError> {
        let Some(i) = self
            .defs
            .iter()
            .position(|r| r.group == group && r.version == version && r.resource == resource)
        else {
            return Ok(None);
        };
        if self.defs[i].builtin {
            return Err(RegistryError::Builtin(display(&self.defs[i])));
        }
        self.generation += 1;
        Ok(Some(self.defs.remove(i)))
    }

    /// Whether some other served resource keeps its objects under `storage`.
    pub fn stores_under(&self, storage: &str) -> bool {
        self.defs.iter().any(|d| d.storage == storage)
    }
}

fn display(def: &ResourceDef) -> String {
    if def.group.is_empty() {
        format!("{}/{}", def.version, def.resource)
    } else {
        format!("{}/{}/{}", def.group, def.version, def.resource)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::registry::resources::Names;

    /// A resource as a custom resource definition would give it (`example.com`'s widgets).
    pub(crate) fn widgets(version: &str) -> ResourceDef {
        ResourceDef {
            group: "example.com".into(),
            version: version.to_string().into(),
            resource: "widgets".into(),
            singular: "widget".into(),
            kind: "Widget".into(),
            namespaced: true,
            short_names: Names::Owned(vec!["wd".into()]),
            categories: Names::Owned(vec!["all".into()]),
            verbs: crate::registry::find("", "v1", "configmaps")
                .expect("configmaps")
                .verbs
                .clone(),
            subresources: Cow::Owned(Vec::new()),
            storage: "example.com/widgets".into(),
            tracks_generation: true,
            create_on_update: false,
            returns_deleted_object: false,
            definition: "com.example.v1.Widget".into(),
            stored_as: None,
            builtin: false,
            schema: None,
            columns: None,
        }
    }

    #[test]
    fn resources_come_and_go() {
        let mut r = Resources::builtin();
        let g0 = r.generation();
        assert!(r.find("example.com", "v1", "widgets").is_none());
        assert_eq!(r.put(widgets("v1")), Ok(Changed::Added));
        assert!(r.generation() > g0);
        let w = r.find("example.com", "v1", "widgets").expect("served").clone();
        assert!(!w.builtin);
        assert_eq!(
            r.find_kind("example.com", "Widget").map(|d| d.resource.clone()),
            Some(Cow::from("widgets"))
        );
        let g1 = r.generation();
        assert_eq!(r.put(widgets("v1")), Ok(Changed::Unchanged));
        assert_eq!(r.generation(), g1);
        let mut moved = widgets("v1");
        moved.storage = "example.com/gadgets".into();
        assert_eq!(r.put(moved), Ok(Changed::Replaced { storage_moved: true }));
        assert_eq!(
            r.find("example.com", "v1", "widgets").map(|d| d.storage.clone()),
            Some(Cow::from("example.com/gadgets"))
        );
        // A request routed before the change keeps the definition it was routed to.
        assert_eq!(w.storage, "example.com/widgets");
        assert!(r
            .remove("example.com", "v1", "widgets")
            .expect("removable")
            .is_some());
        assert!(r.find("example.com", "v1", "widgets").is_none());
        assert_eq!(r.remove("example.com", "v1", "widgets"), Ok(None));
    }

    #[test]
    fn built_in_resources_stay() {
        let mut r = Resources::builtin();
        let cm = r
            .find("", "v1", "configmaps")
            .expect("configmaps")
            .as_ref()
            .clone();
        assert!(matches!(r.put(cm), Err(RegistryError::Builtin(_))));
        assert!(matches!(
            r.remove("", "v1", "pods"),
            Err(RegistryError::Builtin(_))
        ));
        assert!(r.find("", "v1", "pods").is_some());
    }

    #[test]
    fn a_kind_or_short_name_is_served_once_per_group_version() {
        let mut r = Resources::builtin();
        r.put(widgets("v1")).expect("added");
        let mut twin = widgets("v1");
        twin.resource = "widgetz".into();
        assert!(matches!(r.put(twin), Err(RegistryError::Conflict(_))));
        let mut short = widgets("v1");
        short.resource = "gizmos".into();
        short.kind = "Gizmo".into();
        assert!(matches!(r.put(short), Err(RegistryError::Conflict(_))));
        assert_eq!(
            r.put(widgets("v2")),
            Ok(Changed::Added),
            "another version may repeat them"
        );
    }
}
