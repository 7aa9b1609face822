//! `k8s.io/api/core/v1` PersistentVolume.

use super::super::descriptor::{inline, map, msg, s, ss, time, Message, Ty};
use super::core::{HOST_PATH_VOLUME_SOURCE, NFS_VOLUME_SOURCE, NODE_SELECTOR, OBJECT_REFERENCE};
use super::meta::OBJECT_META;
use super::volume_plugins as plugins;

pub(crate) static PERSISTENT_VOLUME: Message = Message {
    name: "PersistentVolume",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &PERSISTENT_VOLUME_SPEC),
        msg(3, "status", &PERSISTENT_VOLUME_STATUS),
    ],
};

/// Also the `inlineVolumeSpec` of a storage.k8s.io VolumeAttachment.
pub(crate) static PERSISTENT_VOLUME_SPEC: Message = Message {
    name: "PersistentVolumeSpec",
    fields: &[
        map(1, "capacity", Ty::Quantity),
        inline(2, "persistentVolumeSource", &PERSISTENT_VOLUME_SOURCE),
        ss(3, "accessModes"),
        msg(4, "claimRef", &OBJECT_REFERENCE),
        s(5, "persistentVolumeReclaimPolicy"),
        s(6, "storageClassName"),
        ss(7, "mountOptions"),
        s(8, "volumeMode"),
        msg(9, "nodeAffinity", &VOLUME_NODE_AFFINITY),
        s(10, "volumeAttributesClassName"),
    ],
};

static PERSISTENT_VOLUME_SOURCE: Message = Message {
    name: "PersistentVolumeSource",
    fields: &[
        msg(1, "gcePersistentDisk", &plugins::GCE_PERSISTENT_DISK),
        msg(2, "awsElasticBlockStore", &plugins::AWS_ELASTIC_BLOCK_STORE),
        msg(3, "hostPath", &HOST_PATH_VOLUME_SOURCE),
        msg(4, "glusterfs", &plugins::GLUSTERFS_PERSISTENT),
        msg(5, "nfs", &NFS_VOLUME_SOURCE),
        msg(6, "rbd", &plugins::RBD_PERSISTENT),
        msg(7, "iscsi", &plugins::ISCSI_PERSISTENT),
        msg(8, "cinder", &plugins::CINDER_PERSISTENT),
        msg(9, "cephfs", &plugins::CEPHFS_PERSISTENT),
        msg(10, "fc", &plugins::FC),
        msg(11, "flocker", &plugins::FLOCKER),
        msg(12, "flexVolume", &plugins::FLEX_PERSISTENT),
        msg(13, "azureFile", &plugins::AZURE_FILE_PERSISTENT),
        msg(14, "vsphereVolume", &plugins::VSPHERE_VIRTUAL_DISK),
        msg(15, "quobyte", &plugins::QUOBYTE),
        msg(16, "azureDisk", &plugins::AZURE_DISK),
        msg(17, "photonPersistentDisk", &plugins::PHOTON_PERSISTENT_DISK),
        msg(18, "portworxVolume", &plugins::PORTWORX),
        msg(19, "scaleIO", &plugins::SCALE_IO_PERSISTENT),
        msg(20, "local", &plugins::LOCAL),
        msg(21, "storageos", &plugins::STORAGE_OS_PERSISTENT),
        msg(22, "csi", &plugins::CSI_PERSISTENT),
    ],
};

static VOLUME_NODE_AFFINITY: Message = Message {
    name: "VolumeNodeAffinity",
    fields: &[msg(1, "required", &NODE_SELECTOR)],
};

static PERSISTENT_VOLUME_STATUS: Message = Message {
    name: "PersistentVolumeStatus",
    fields: &[
        s(1, "phase"),
        s(2, "message"),
        s(3, "reason"),
        time(4, "lastPhaseTransitionTime"),
    ],
};
