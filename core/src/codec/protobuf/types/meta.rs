//! `k8s.io/apimachinery/pkg/apis/meta/v1` messages.

use super::super::descriptor::{b, i32f, i64f, map, msg, msgs, opt, s, ss, time, Message, Ty};

pub(crate) static OBJECT_META: Message = Message {
    name: "ObjectMeta",
    fields: &[
        s(1, "name"),
        s(2, "generateName"),
        s(3, "namespace"),
        s(4, "selfLink"),
        s(5, "uid"),
        s(6, "resourceVersion"),
        i64f(7, "generation"),
        time(8, "creationTimestamp"),
        time(9, "deletionTimestamp"),
        i64f(10, "deletionGracePeriodSeconds"),
        map(11, "labels", Ty::String),
        map(12, "annotations", Ty::String),
        msgs(13, "ownerReferences", &OWNER_REFERENCE),
        ss(14, "finalizers"),
        msgs(17, "managedFields", &MANAGED_FIELDS_ENTRY),
    ],
};

/// `metav1.ListMeta`: the metadata of every `<Kind>List`.
pub(crate) static LIST_META: Message = Message {
    name: "ListMeta",
    fields: &[
        s(1, "selfLink"),
        s(2, "resourceVersion"),
        s(3, "continue"),
        i64f(4, "remainingItemCount"),
    ],
};

pub(crate) static OWNER_REFERENCE: Message = Message {
    name: "OwnerReference",
    fields: &[
        s(5, "apiVersion"),
        s(1, "kind"),
        s(3, "name"),
        s(4, "uid"),
        b(6, "controller"),
        b(7, "blockOwnerDeletion"),
    ],
};

pub(crate) static MANAGED_FIELDS_ENTRY: Message = Message {
    name: "ManagedFieldsEntry",
    fields: &[
        s(1, "manager"),
        s(2, "operation"),
        s(3, "apiVersion"),
        time(4, "time"),
        s(6, "fieldsType"),
        opt(7, "fieldsV1", Ty::RawJson),
        s(8, "subresource"),
    ],
};

pub(crate) static LABEL_SELECTOR: Message = Message {
    name: "LabelSelector",
    fields: &[
        map(1, "matchLabels", Ty::String),
        msgs(2, "matchExpressions", &LABEL_SELECTOR_REQUIREMENT),
    ],
};

pub(crate) static LABEL_SELECTOR_REQUIREMENT: Message = Message {
    name: "LabelSelectorRequirement",
    fields: &[s(1, "key"), s(2, "operator"), ss(3, "values")],
};

pub(crate) static CONDITION: Message = Message {
    name: "Condition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        i64f(3, "observedGeneration"),
        time(4, "lastTransitionTime"),
        s(5, "reason"),
        s(6, "message"),
    ],
};

pub(crate) static DELETE_OPTIONS: Message = Message {
    name: "DeleteOptions",
    fields: &[
        i64f(1, "gracePeriodSeconds"),
        msg(2, "preconditions", &PRECONDITIONS),
        b(3, "orphanDependents"),
        s(4, "propagationPolicy"),
        ss(5, "dryRun"),
        b(6, "ignoreStoreReadErrorWithClusterBreakingPotential"),
    ],
};

/// `metav1.Status`: errors, and the object of a watch's ERROR event.
pub(crate) static STATUS: Message = Message {
    name: "Status",
    fields: &[
        msg(1, "metadata", &LIST_META),
        s(2, "status"),
        s(3, "message"),
        s(4, "reason"),
        msg(5, "details", &STATUS_DETAILS),
        i32f(6, "code"),
    ],
};

pub(crate) static STATUS_DETAILS: Message = Message {
    name: "StatusDetails",
    fields: &[
        s(1, "name"),
        s(2, "group"),
        s(3, "kind"),
        msgs(4, "causes", &STATUS_CAUSE),
        i32f(5, "retryAfterSeconds"),
        s(6, "uid"),
    ],
};

/// `metav1.StatusCause`; its Go field `Type` is `reason` in JSON.
pub(crate) static STATUS_CAUSE: Message = Message {
    name: "StatusCause",
    fields: &[s(1, "reason"), s(2, "message"), s(3, "field")],
};

pub(crate) static PRECONDITIONS: Message = Message {
    name: "Preconditions",
    fields: &[s(1, "uid"), s(2, "resourceVersion")],
};

/// `metav1.PartialObjectMetadata`: an object's metadata alone (both meta.k8s.io versions).
pub(crate) static PARTIAL_OBJECT_METADATA: Message = Message {
    name: "PartialObjectMetadata",
    fields: &[msg(1, "metadata", &OBJECT_META)],
};

/// `metav1.PartialObjectMetadataList`.
pub(crate) static PARTIAL_OBJECT_METADATA_LIST: Message = Message {
    name: "PartialObjectMetadataList",
    fields: &[
        msg(1, "metadata", &LIST_META),
        msgs(2, "items", &PARTIAL_OBJECT_METADATA),
    ],
};

/// `metav1beta1.PartialObjectMetadataList`, whose field numbers are the other way round.
pub(crate) static PARTIAL_OBJECT_METADATA_LIST_V1BETA1: Message = Message {
    name: "PartialObjectMetadataList",
    fields: &[
        msgs(1, "items", &PARTIAL_OBJECT_METADATA),
        msg(2, "metadata", &LIST_META),
    ],
};
