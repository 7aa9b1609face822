//! `k8s.io/api/storage/v1` messages.

use super::super::descriptor::{b, i32f, i64f, map, msg, msgs, opt, s, ss, time, Message, Ty};
use super::meta::{LABEL_SELECTOR, OBJECT_META};
use super::persistent_volume::PERSISTENT_VOLUME_SPEC;

pub(crate) static STORAGE_CLASS: Message = Message {
    name: "StorageClass",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        s(2, "provisioner"),
        map(3, "parameters", Ty::String),
        s(4, "reclaimPolicy"),
        ss(5, "mountOptions"),
        b(6, "allowVolumeExpansion"),
        s(7, "volumeBindingMode"),
        msgs(8, "allowedTopologies", &TOPOLOGY_SELECTOR_TERM),
    ],
};

/// `k8s.io/api/core/v1` TopologySelectorTerm.
static TOPOLOGY_SELECTOR_TERM: Message = Message {
    name: "TopologySelectorTerm",
    fields: &[msgs(
        1,
        "matchLabelExpressions",
        &TOPOLOGY_SELECTOR_LABEL_REQUIREMENT,
    )],
};

static TOPOLOGY_SELECTOR_LABEL_REQUIREMENT: Message = Message {
    name: "TopologySelectorLabelRequirement",
    fields: &[s(1, "key"), ss(2, "values")],
};

pub(crate) static CSI_DRIVER: Message = Message {
    name: "CSIDriver",
    fields: &[msg(1, "metadata", &OBJECT_META), msg(2, "spec", &CSI_DRIVER_SPEC)],
};

static CSI_DRIVER_SPEC: Message = Message {
    name: "CSIDriverSpec",
    fields: &[
        b(1, "attachRequired"),
        b(2, "podInfoOnMount"),
        ss(3, "volumeLifecycleModes"),
        b(4, "storageCapacity"),
        s(5, "fsGroupPolicy"),
        msgs(6, "tokenRequests", &TOKEN_REQUEST),
        b(7, "requiresRepublish"),
        b(8, "seLinuxMount"),
        i64f(9, "nodeAllocatableUpdatePeriodSeconds"),
    ],
};

static TOKEN_REQUEST: Message = Message {
    name: "TokenRequest",
    fields: &[s(1, "audience"), i64f(2, "expirationSeconds")],
};

pub(crate) static CSI_NODE: Message = Message {
    name: "CSINode",
    fields: &[msg(1, "metadata", &OBJECT_META), msg(2, "spec", &CSI_NODE_SPEC)],
};

static CSI_NODE_SPEC: Message = Message {
    name: "CSINodeSpec",
    fields: &[msgs(1, "drivers", &CSI_NODE_DRIVER)],
};

static CSI_NODE_DRIVER: Message = Message {
    name: "CSINodeDriver",
    fields: &[
        s(1, "name"),
        s(2, "nodeID"),
        ss(3, "topologyKeys"),
        msg(4, "allocatable", &VOLUME_NODE_RESOURCES),
    ],
};

static VOLUME_NODE_RESOURCES: Message = Message {
    name: "VolumeNodeResources",
    fields: &[i32f(1, "count")],
};

pub(crate) static CSI_STORAGE_CAPACITY: Message = Message {
    name: "CSIStorageCapacity",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "nodeTopology", &LABEL_SELECTOR),
        s(3, "storageClassName"),
        opt(4, "capacity", Ty::Quantity),
        opt(5, "maximumVolumeSize", Ty::Quantity),
    ],
};

pub(crate) static VOLUME_ATTACHMENT: Message = Message {
    name: "VolumeAttachment",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &VOLUME_ATTACHMENT_SPEC),
        msg(3, "status", &VOLUME_ATTACHMENT_STATUS),
    ],
};

static VOLUME_ATTACHMENT_SPEC: Message = Message {
    name: "VolumeAttachmentSpec",
    fields: &[
        s(1, "attacher"),
        msg(2, "source", &VOLUME_ATTACHMENT_SOURCE),
        s(3, "nodeName"),
    ],
};

static VOLUME_ATTACHMENT_SOURCE: Message = Message {
    name: "VolumeAttachmentSource",
    fields: &[
        s(1, "persistentVolumeName"),
        msg(2, "inlineVolumeSpec", &PERSISTENT_VOLUME_SPEC),
    ],
};

static VOLUME_ATTACHMENT_STATUS: Message = Message {
    name: "VolumeAttachmentStatus",
    fields: &[
        b(1, "attached"),
        map(2, "attachmentMetadata", Ty::String),
        msg(3, "attachError", &VOLUME_ERROR),
        msg(4, "detachError", &VOLUME_ERROR),
    ],
};

static VOLUME_ERROR: Message = Message {
    name: "VolumeError",
    fields: &[time(1, "time"), s(2, "message"), i32f(3, "errorCode")],
};
