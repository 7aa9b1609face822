//! The storage transformer: the one pair of functions every value passes on its way into
//! storage and back out of it (writes, reads, the watch caches' start-up list and their
//! storage watches), as kube-apiserver's storage codec and value transformer.
//!
//! Objects are stored as JSON without their `resourceVersion` (storage's modify revision is
//! the resourceVersion) and without `selfLink`. Encryption at rest is a transformer of these
//! bytes keyed by the storage key: it belongs here and nowhere else.

use serde_json::Value;

use crate::storage::KeyValue;

/// How values are transformed between objects and storage bytes.
#[derive(Clone, Debug, Default)]
pub enum Transformer {
    /// Stored as JSON, unencrypted (kube's `identity` provider).
    #[default]
    Identity,
}

impl Transformer {
    /// The bytes to store for `object` under `key`.
    pub fn encode(&self, _key: &[u8], object: &Value) -> Vec<u8> {
        let mut v = object.clone();
        let m = crate::api::meta_mut(&mut v);
        m.shift_remove("resourceVersion");
        m.shift_remove("selfLink");
        match self {
            Transformer::Identity => serde_json::to_vec(&v).unwrap_or_default(),
        }
    }

    /// The object stored in `kv`, carrying its resourceVersion; `None` when the bytes are
    /// not an object this transformer wrote.
    pub fn decode(&self, kv: &KeyValue) -> Option<Value> {
        let mut v: Value = match self {
            Transformer::Identity => serde_json::from_slice(&kv.value).ok()?,
        };
        crate::api::set_meta(
            &mut v,
            "resourceVersion",
            Value::String(kv.mod_revision.to_string()),
        );
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_object_comes_back_as_it_went_in_with_its_revision() {
        let t = Transformer::default();
        let obj = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "9", "selfLink": "/x"}, "data": {"k": "v"}});
        let value = t.encode(b"/registry/configmaps/default/a", &obj);
        let stored: Value = serde_json::from_slice(&value).expect("JSON");
        assert_eq!(
            stored["metadata"],
            json!({"name": "a"}),
            "neither resourceVersion nor selfLink is stored"
        );
        let kv = KeyValue {
            key: b"/registry/configmaps/default/a".to_vec(),
            value,
            create_revision: 12,
            mod_revision: 12,
            version: 1,
        };
        let back = t.decode(&kv).expect("decodes");
        assert_eq!(back["metadata"]["resourceVersion"], "12");
        assert_eq!(back["data"], json!({"k": "v"}));
        assert!(t
            .decode(&KeyValue {
                value: b"not json".to_vec(),
                ..kv
            })
            .is_none());
    }
}
