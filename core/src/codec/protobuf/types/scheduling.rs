//! `k8s.io/api/scheduling/v1` messages.

use super::super::descriptor::{b, i32f, msg, s, Message};
use super::meta::OBJECT_META;

pub(crate) static PRIORITY_CLASS: Message = Message {
    name: "PriorityClass",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        i32f(2, "value"),
        b(3, "globalDefault"),
        s(4, "description"),
        s(5, "preemptionPolicy"),
    ],
};
