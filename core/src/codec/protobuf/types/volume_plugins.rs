//! `k8s.io/api/core/v1` sources of the in-tree volume plugins.
//!
//! Most are deprecated (their operations are redirected to CSI drivers), yet the types are
//! still served in v1.32, both in pod volumes (`VolumeSource`) and in persistent volumes
//! (`PersistentVolumeSource`). The persistent variants differ only in referring to secrets
//! by `SecretReference` (name and namespace) instead of `LocalObjectReference`.

use super::super::descriptor::{b, i32f, map, msg, s, ss, Message, Ty};
use super::core::{LOCAL_OBJECT_REFERENCE, OBJECT_REFERENCE};

/// A secret in any namespace.
pub(crate) static SECRET_REFERENCE: Message = Message {
    name: "SecretReference",
    fields: &[s(1, "name"), s(2, "namespace")],
};

pub(crate) static GCE_PERSISTENT_DISK: Message = Message {
    name: "GCEPersistentDiskVolumeSource",
    fields: &[
        s(1, "pdName"),
        s(2, "fsType"),
        i32f(3, "partition"),
        b(4, "readOnly"),
    ],
};

pub(crate) static AWS_ELASTIC_BLOCK_STORE: Message = Message {
    name: "AWSElasticBlockStoreVolumeSource",
    fields: &[
        s(1, "volumeID"),
        s(2, "fsType"),
        i32f(3, "partition"),
        b(4, "readOnly"),
    ],
};

pub(crate) static GIT_REPO: Message = Message {
    name: "GitRepoVolumeSource",
    fields: &[s(1, "repository"), s(2, "revision"), s(3, "directory")],
};

pub(crate) static ISCSI: Message = Message {
    name: "ISCSIVolumeSource",
    fields: &[
        s(1, "targetPortal"),
        s(2, "iqn"),
        i32f(3, "lun"),
        s(4, "iscsiInterface"),
        s(5, "fsType"),
        b(6, "readOnly"),
        ss(7, "portals"),
        b(8, "chapAuthDiscovery"),
        b(11, "chapAuthSession"),
        msg(10, "secretRef", &LOCAL_OBJECT_REFERENCE),
        s(12, "initiatorName"),
    ],
};

pub(crate) static ISCSI_PERSISTENT: Message = Message {
    name: "ISCSIPersistentVolumeSource",
    fields: &[
        s(1, "targetPortal"),
        s(2, "iqn"),
        i32f(3, "lun"),
        s(4, "iscsiInterface"),
        s(5, "fsType"),
        b(6, "readOnly"),
        ss(7, "portals"),
        b(8, "chapAuthDiscovery"),
        b(11, "chapAuthSession"),
        msg(10, "secretRef", &SECRET_REFERENCE),
        s(12, "initiatorName"),
    ],
};

pub(crate) static GLUSTERFS: Message = Message {
    name: "GlusterfsVolumeSource",
    fields: &[s(1, "endpoints"), s(2, "path"), b(3, "readOnly")],
};

pub(crate) static GLUSTERFS_PERSISTENT: Message = Message {
    name: "GlusterfsPersistentVolumeSource",
    fields: &[
        s(1, "endpoints"),
        s(2, "path"),
        b(3, "readOnly"),
        s(4, "endpointsNamespace"),
    ],
};

pub(crate) static RBD: Message = Message {
    name: "RBDVolumeSource",
    fields: &[
        ss(1, "monitors"),
        s(2, "image"),
        s(3, "fsType"),
        s(4, "pool"),
        s(5, "user"),
        s(6, "keyring"),
        msg(7, "secretRef", &LOCAL_OBJECT_REFERENCE),
        b(8, "readOnly"),
    ],
};

pub(crate) static RBD_PERSISTENT: Message = Message {
    name: "RBDPersistentVolumeSource",
    fields: &[
        ss(1, "monitors"),
        s(2, "image"),
        s(3, "fsType"),
        s(4, "pool"),
        s(5, "user"),
        s(6, "keyring"),
        msg(7, "secretRef", &SECRET_REFERENCE),
        b(8, "readOnly"),
    ],
};

pub(crate) static FLEX: Message = Message {
    name: "FlexVolumeSource",
    fields: &[
        s(1, "driver"),
        s(2, "fsType"),
        msg(3, "secretRef", &LOCAL_OBJECT_REFERENCE),
        b(4, "readOnly"),
        map(5, "options", Ty::String),
    ],
};

pub(crate) static FLEX_PERSISTENT: Message = Message {
    name: "FlexPersistentVolumeSource",
    fields: &[
        s(1, "driver"),
        s(2, "fsType"),
        msg(3, "secretRef", &SECRET_REFERENCE),
        b(4, "readOnly"),
        map(5, "options", Ty::String),
    ],
};

pub(crate) static CINDER: Message = Message {
    name: "CinderVolumeSource",
    fields: &[
        s(1, "volumeID"),
        s(2, "fsType"),
        b(3, "readOnly"),
        msg(4, "secretRef", &LOCAL_OBJECT_REFERENCE),
    ],
};

pub(crate) static CINDER_PERSISTENT: Message = Message {
    name: "CinderPersistentVolumeSource",
    fields: &[
        s(1, "volumeID"),
        s(2, "fsType"),
        b(3, "readOnly"),
        msg(4, "secretRef", &SECRET_REFERENCE),
    ],
};

pub(crate) static CEPHFS: Message = Message {
    name: "CephFSVolumeSource",
    fields: &[
        ss(1, "monitors"),
        s(2, "path"),
        s(3, "user"),
        s(4, "secretFile"),
        msg(5, "secretRef", &LOCAL_OBJECT_REFERENCE),
        b(6, "readOnly"),
    ],
};

pub(crate) static CEPHFS_PERSISTENT: Message = Message {
    name: "CephFSPersistentVolumeSource",
    fields: &[
        ss(1, "monitors"),
        s(2, "path"),
        s(3, "user"),
        s(4, "secretFile"),
        msg(5, "secretRef", &SECRET_REFERENCE),
        b(6, "readOnly"),
    ],
};

pub(crate) static FLOCKER: Message = Message {
    name: "FlockerVolumeSource",
    fields: &[s(1, "datasetName"), s(2, "datasetUUID")],
};

pub(crate) static FC: Message = Message {
    name: "FCVolumeSource",
    fields: &[
        ss(1, "targetWWNs"),
        i32f(2, "lun"),
        s(3, "fsType"),
        b(4, "readOnly"),
        ss(5, "wwids"),
    ],
};

pub(crate) static AZURE_FILE: Message = Message {
    name: "AzureFileVolumeSource",
    fields: &[s(1, "secretName"), s(2, "shareName"), b(3, "readOnly")],
};

pub(crate) static AZURE_FILE_PERSISTENT: Message = Message {
    name: "AzureFilePersistentVolumeSource",
    fields: &[
        s(1, "secretName"),
        s(2, "shareName"),
        b(3, "readOnly"),
        s(4, "secretNamespace"),
    ],
};

pub(crate) static VSPHERE_VIRTUAL_DISK: Message = Message {
    name: "VsphereVirtualDiskVolumeSource",
    fields: &[
        s(1, "volumePath"),
        s(2, "fsType"),
        s(3, "storagePolicyName"),
        s(4, "storagePolicyID"),
    ],
};

pub(crate) static QUOBYTE: Message = Message {
    name: "QuobyteVolumeSource",
    fields: &[
        s(1, "registry"),
        s(2, "volume"),
        b(3, "readOnly"),
        s(4, "user"),
        s(5, "group"),
        s(6, "tenant"),
    ],
};

pub(crate) static AZURE_DISK: Message = Message {
    name: "AzureDiskVolumeSource",
    fields: &[
        s(1, "diskName"),
        s(2, "diskURI"),
        s(3, "cachingMode"),
        s(4, "fsType"),
        b(5, "readOnly"),
        s(6, "kind"),
    ],
};

pub(crate) static PHOTON_PERSISTENT_DISK: Message = Message {
    name: "PhotonPersistentDiskVolumeSource",
    fields: &[s(1, "pdID"), s(2, "fsType")],
};

pub(crate) static PORTWORX: Message = Message {
    name: "PortworxVolumeSource",
    fields: &[s(1, "volumeID"), s(2, "fsType"), b(3, "readOnly")],
};

pub(crate) static SCALE_IO: Message = Message {
    name: "ScaleIOVolumeSource",
    fields: &[
        s(1, "gateway"),
        s(2, "system"),
        msg(3, "secretRef", &LOCAL_OBJECT_REFERENCE),
        b(4, "sslEnabled"),
        s(5, "protectionDomain"),
        s(6, "storagePool"),
        s(7, "storageMode"),
        s(8, "volumeName"),
        s(9, "fsType"),
        b(10, "readOnly"),
    ],
};

pub(crate) static SCALE_IO_PERSISTENT: Message = Message {
    name: "ScaleIOPersistentVolumeSource",
    fields: &[
        s(1, "gateway"),
        s(2, "system"),
        msg(3, "secretRef", &SECRET_REFERENCE),
        b(4, "sslEnabled"),
        s(5, "protectionDomain"),
        s(6, "storagePool"),
        s(7, "storageMode"),
        s(8, "volumeName"),
        s(9, "fsType"),
        b(10, "readOnly"),
    ],
};

pub(crate) static STORAGE_OS: Message = Message {
    name: "StorageOSVolumeSource",
    fields: &[
        s(1, "volumeName"),
        s(2, "volumeNamespace"),
        s(3, "fsType"),
        b(4, "readOnly"),
        msg(5, "secretRef", &LOCAL_OBJECT_REFERENCE),
    ],
};

/// Unlike the other persistent sources, StorageOS refers to its secret by a full
/// `ObjectReference`.
pub(crate) static STORAGE_OS_PERSISTENT: Message = Message {
    name: "StorageOSPersistentVolumeSource",
    fields: &[
        s(1, "volumeName"),
        s(2, "volumeNamespace"),
        s(3, "fsType"),
        b(4, "readOnly"),
        msg(5, "secretRef", &OBJECT_REFERENCE),
    ],
};

pub(crate) static LOCAL: Message = Message {
    name: "LocalVolumeSource",
    fields: &[s(1, "path"), s(2, "fsType")],
};

pub(crate) static CSI_PERSISTENT: Message = Message {
    name: "CSIPersistentVolumeSource",
    fields: &[
        s(1, "driver"),
        s(2, "volumeHandle"),
        b(3, "readOnly"),
        s(4, "fsType"),
        map(5, "volumeAttributes", Ty::String),
        msg(6, "controllerPublishSecretRef", &SECRET_REFERENCE),
        msg(7, "nodeStageSecretRef", &SECRET_REFERENCE),
        msg(8, "nodePublishSecretRef", &SECRET_REFERENCE),
        msg(9, "controllerExpandSecretRef", &SECRET_REFERENCE),
        msg(10, "nodeExpandSecretRef", &SECRET_REFERENCE),
    ],
};
