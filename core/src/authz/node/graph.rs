//! The Node authorizer's graph: which objects each node's pods use, kept from the watch of
//! pods, PersistentVolumes and VolumeAttachments, as kube's node graph keeps it.
//!
//! Every edge in kube's graph points toward a node (secret → pod → node, pv → pvc → pod →
//! node), and a node may read an object when a path leads from it to the node. Here each
//! object a pod uses counts, per node, the pods on that node that use it, so asking
//! "does a path lead from this object to that node" is a map lookup. Only pods bound to a
//! node are in it; mirror pods reach their node and nothing else; a finished pod stays until
//! it is deleted, as in kube.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::api;
use crate::watch::{CacheEvent, EventType, WatchCaches};

/// The kinds of object a pod uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A Secret.
    Secret,
    /// A ConfigMap.
    ConfigMap,
    /// A PersistentVolumeClaim.
    Pvc,
    /// A ServiceAccount.
    ServiceAccount,
    /// A ResourceClaim.
    ResourceClaim,
}

/// A namespaced object: kind, namespace, name.
type Ref = (Kind, String, String);

/// What one bound pod uses.
#[derive(Clone, Debug, Default)]
struct Pod {
    node: String,
    uses: BTreeSet<Ref>,
}

/// What one PersistentVolume leads to: its claim and the secrets the kubelet reads for it.
#[derive(Clone, Debug, Default)]
struct Pv {
    claim: Option<(String, String)>,
    secrets: Vec<(String, String)>,
}

/// The graph of one replica.
#[derive(Debug, Default)]
pub struct Graph {
    pods: HashMap<(String, String), Pod>,
    /// For each object a pod uses: per node, how many of its pods use it.
    used: HashMap<Ref, HashMap<String, usize>>,
    pvs: HashMap<String, Pv>,
    /// For each secret, the PersistentVolumes that name it.
    pv_secrets: HashMap<(String, String), BTreeSet<String>>,
    /// VolumeAttachment name → node.
    attachments: HashMap<String, String>,
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, ptr: &str) -> impl Iterator<Item = &'a Value> {
    v.pointer(ptr).and_then(Value::as_array).into_iter().flatten()
}

/// What a pod uses, as kube's graph reads a pod: image pull secrets, every container's
/// `env` and `envFrom` references, the volumes' secrets, config maps and claims, the
/// service account and the resource claims.
fn pod_uses(pod: &Value) -> BTreeSet<Ref> {
    let ns = api::namespace(pod).to_string();
    let mut uses = BTreeSet::new();
    let mut add = |kind: Kind, name: &str| {
        uses.insert((kind, ns.clone(), name.to_string()));
    };
    let sa = s(pod, "/spec/serviceAccountName");
    if !sa.is_empty() {
        add(Kind::ServiceAccount, sa);
    }
    for p in list(pod, "/spec/imagePullSecrets") {
        add(Kind::Secret, s(p, "/name"));
    }
    for group in ["initContainers", "containers", "ephemeralContainers"] {
        for c in list(pod, &format!("/spec/{group}")) {
            for from in list(c, "/envFrom") {
                if from.get("secretRef").is_some() {
                    add(Kind::Secret, s(from, "/secretRef/name"));
                }
                if from.get("configMapRef").is_some() {
                    add(Kind::ConfigMap, s(from, "/configMapRef/name"));
                }
            }
            for e in list(c, "/env") {
                if e.pointer("/valueFrom/secretKeyRef").is_some() {
                    add(Kind::Secret, s(e, "/valueFrom/secretKeyRef/name"));
                }
                if e.pointer("/valueFrom/configMapKeyRef").is_some() {
                    add(Kind::ConfigMap, s(e, "/valueFrom/configMapKeyRef/name"));
                }
            }
        }
    }
    let pod_name = api::name(pod);
    for v in list(pod, "/spec/volumes") {
        for (ptr, kind) in [
            ("/secret/secretName", Kind::Secret),
            ("/azureFile/secretName", Kind::Secret),
            ("/cephfs/secretRef/name", Kind::Secret),
            ("/cinder/secretRef/name", Kind::Secret),
            ("/flexVolume/secretRef/name", Kind::Secret),
            ("/rbd/secretRef/name", Kind::Secret),
            ("/scaleIO/secretRef/name", Kind::Secret),
            ("/iscsi/secretRef/name", Kind::Secret),
            ("/storageos/secretRef/name", Kind::Secret),
            ("/csi/nodePublishSecretRef/name", Kind::Secret),
            ("/configMap/name", Kind::ConfigMap),
            ("/persistentVolumeClaim/claimName", Kind::Pvc),
        ] {
            if v.pointer(ptr).is_some() {
                add(kind, s(v, ptr));
            }
        }
        for source in list(v, "/projected/sources") {
            if source.get("secret").is_some() {
                add(Kind::Secret, s(source, "/secret/name"));
            }
            if source.get("configMap").is_some() {
                add(Kind::ConfigMap, s(source, "/configMap/name"));
            }
        }
        if v.get("ephemeral").is_some() {
            // The claim an ephemeral volume gets: `<pod>-<volume>`.
            add(Kind::Pvc, &format!("{pod_name}-{}", s(v, "/name")));
        }
    }
    for c in list(pod, "/spec/resourceClaims") {
        let name = match s(c, "/resourceClaimName") {
            "" if c.get("resourceClaimTemplateName").is_some() => {
                // The claim made from the template, once the pod's status names it.
                let entry = s(c, "/name");
                list(pod, "/status/resourceClaimStatuses")
                    .find(|st| s(st, "/name") == entry)
                    .map(|st| s(st, "/resourceClaimName"))
                    .unwrap_or("")
            }
            name => name,
        };
        if !name.is_empty() {
            add(Kind::ResourceClaim, name);
        }
    }
    uses
}

/// The secrets the kubelet reads for a PersistentVolume (those for the controller are not
/// the node's to read), namespaced as kube resolves each source's default.
fn pv_secrets(pv: &Value, claim_ns: &str) -> Vec<(String, String)> {
    let spec = pv.get("spec").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    let mut add = |ns: &str, name: &str| {
        if !name.is_empty() {
            out.push((ns.to_string(), name.to_string()));
        }
    };
    if spec.get("azureFile").is_some() {
        let ns = match s(&spec, "/azureFile/secretNamespace") {
            "" => claim_ns,
            ns => ns,
        };
        add(ns, s(&spec, "/azureFile/secretName"));
    }
    for source in ["cephfs", "flexVolume", "rbd", "scaleIO", "iscsi"] {
        let r = format!("/{source}/secretRef");
        if spec.pointer(&r).is_some() {
            let ns = match s(&spec, &format!("{r}/namespace")) {
                "" => claim_ns,
                ns => ns,
            };
            add(ns, s(&spec, &format!("{r}/name")));
        }
    }
    for source in ["cinder", "storageos"] {
        let r = format!("/{source}/secretRef");
        add(
            s(&spec, &format!("{r}/namespace")),
            s(&spec, &format!("{r}/name")),
        );
    }
    for r in [
        "nodePublishSecretRef",
        "nodeStageSecretRef",
        "nodeExpandSecretRef",
    ] {
        let p = format!("/csi/{r}");
        add(
            s(&spec, &format!("{p}/namespace")),
            s(&spec, &format!("{p}/name")),
        );
    }
    out
}

impl Graph {
    /// Takes in changes of pods, PersistentVolumes and VolumeAttachments.
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent]) {
        for ev in events {
            let gone = ev.kind == EventType::Deleted;
            self.put(prefix, &ev.key, &ev.object, gone);
        }
    }

    /// Loads the three kinds afresh from the caches.
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches) {
        *self = Graph::default();
        for collection in ["pods", "persistentvolumes", "volumeattachments"] {
            let p = format!("{prefix}/{collection}/");
            let cache = caches.for_key(p.as_bytes());
            let objects: Vec<_> = cache
                .list(p.as_bytes())
                .map(|(k, o)| (k.clone(), o.clone()))
                .collect();
            for (key, obj) in objects {
                self.put(prefix, &key, &obj, false);
            }
        }
    }

    fn put(&mut self, prefix: &str, key: &[u8], obj: &Value, gone: bool) {
        let Some(rest) = key.strip_prefix(prefix.as_bytes()) else {
            return;
        };
        if rest.starts_with(b"/pods/") {
            self.put_pod(obj, gone);
        } else if rest.starts_with(b"/persistentvolumes/") {
            self.put_pv(obj, gone);
        } else if rest.starts_with(b"/volumeattachments/") {
            let name = api::name(obj).to_string();
            let node = s(obj, "/spec/nodeName");
            if gone || node.is_empty() {
                self.attachments.remove(&name);
            } else {
                self.attachments.insert(name, node.to_string());
            }
        }
    }

    fn put_pod(&mut self, obj: &Value, gone: bool) {
        let key = (api::namespace(obj).to_string(), api::name(obj).to_string());
        if let Some(old) = self.pods.remove(&key) {
            for r in old.uses {
                let counts = self.used.entry(r.clone()).or_default();
                if let Some(n) = counts.get_mut(&old.node) {
                    *n -= 1;
                    if *n == 0 {
                        counts.remove(&old.node);
                    }
                }
                if counts.is_empty() {
                    self.used.remove(&r);
                }
            }
        }
        let node = s(obj, "/spec/nodeName");
        if gone || node.is_empty() {
            return;
        }
        let mirror = obj
            .pointer("/metadata/annotations")
            .and_then(|a| a.get("kubernetes.io/config.mirror"))
            .is_some();
        // A mirror pod reaches its node and nothing else.
        let uses = if mirror { BTreeSet::new() } else { pod_uses(obj) };
        for r in &uses {
            *self
                .used
                .entry(r.clone())
                .or_default()
                .entry(node.to_string())
                .or_default() += 1;
        }
        self.pods.insert(
            key,
            Pod {
                node: node.to_string(),
                uses,
            },
        );
    }

    fn put_pv(&mut self, obj: &Value, gone: bool) {
        let name = api::name(obj).to_string();
        if let Some(old) = self.pvs.remove(&name) {
            for secret in old.secrets {
                if let Some(set) = self.pv_secrets.get_mut(&secret) {
                    set.remove(&name);
                    if set.is_empty() {
                        self.pv_secrets.remove(&secret);
                    }
                }
            }
        }
        if gone || obj.pointer("/spec/claimRef").is_none() {
            return;
        }
        let claim = (
            s(obj, "/spec/claimRef/namespace").to_string(),
            s(obj, "/spec/claimRef/name").to_string(),
        );
        let secrets = pv_secrets(obj, &claim.0);
        for secret in &secrets {
            self.pv_secrets
                .entry(secret.clone())
                .or_default()
                .insert(name.clone());
        }
        self.pvs.insert(
            name,
            Pv {
                claim: Some(claim),
                secrets,
            },
        );
    }

    /// Whether a pod on `node` uses the object.
    pub fn used_on(&self, node: &str, kind: Kind, namespace: &str, name: &str) -> bool {
        self.used
            .get(&(kind, namespace.to_string(), name.to_string()))
            .is_some_and(|nodes| nodes.contains_key(node))
    }

    /// Whether a path leads from PersistentVolume `name` to `node` (through its claim).
    pub fn pv_on(&self, node: &str, name: &str) -> bool {
        self.pvs
            .get(name)
            .and_then(|pv| pv.claim.as_ref())
            .is_some_and(|(ns, claim)| self.used_on(node, Kind::Pvc, ns, claim))
    }

    /// Whether a path leads from Secret `namespace`/`name` to `node`: a pod on it uses the
    /// secret, or a volume of one of its pods' claims does.
    pub fn secret_on(&self, node: &str, namespace: &str, name: &str) -> bool {
        self.used_on(node, Kind::Secret, namespace, name)
            || self
                .pv_secrets
                .get(&(namespace.to_string(), name.to_string()))
                .is_some_and(|pvs| pvs.iter().any(|pv| self.pv_on(node, pv)))
    }

    /// Whether pod `namespace`/`name` is bound to `node`.
    pub fn pod_on(&self, node: &str, namespace: &str, name: &str) -> bool {
        self.pods
            .get(&(namespace.to_string(), name.to_string()))
            .is_some_and(|p| p.node == node)
    }

    /// Whether VolumeAttachment `name` is for `node`.
    pub fn attachment_on(&self, node: &str, name: &str) -> bool {
        self.attachments.get(name).is_some_and(|n| n == node)
    }
}
