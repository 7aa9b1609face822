//! `k8s.io/api/node/v1` messages.

use super::super::descriptor::{map, msg, msgs, s, Message, Ty};
use super::core::TOLERATION;
use super::meta::OBJECT_META;

pub(crate) static RUNTIME_CLASS: Message = Message {
    name: "RuntimeClass",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        s(2, "handler"),
        msg(3, "overhead", &OVERHEAD),
        msg(4, "scheduling", &SCHEDULING),
    ],
};

static OVERHEAD: Message = Message {
    name: "Overhead",
    fields: &[map(1, "podFixed", Ty::Quantity)],
};

static SCHEDULING: Message = Message {
    name: "Scheduling",
    fields: &[
        map(1, "nodeSelector", Ty::String),
        msgs(2, "tolerations", &TOLERATION),
    ],
};
