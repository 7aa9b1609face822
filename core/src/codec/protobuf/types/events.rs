//! `k8s.io/api/events/v1` messages (the same objects as core v1 Events, renamed).

use super::super::descriptor::{i32f, msg, opt, s, time, Message, Ty};
use super::core::{EVENT_SOURCE, OBJECT_REFERENCE};
use super::meta::OBJECT_META;

pub(crate) static EVENT: Message = Message {
    name: "Event",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        opt(2, "eventTime", Ty::MicroTime),
        msg(3, "series", &EVENT_SERIES),
        s(4, "reportingController"),
        s(5, "reportingInstance"),
        s(6, "action"),
        s(7, "reason"),
        msg(8, "regarding", &OBJECT_REFERENCE),
        msg(9, "related", &OBJECT_REFERENCE),
        s(10, "note"),
        s(11, "type"),
        msg(12, "deprecatedSource", &EVENT_SOURCE),
        time(13, "deprecatedFirstTimestamp"),
        time(14, "deprecatedLastTimestamp"),
        i32f(15, "deprecatedCount"),
    ],
};

static EVENT_SERIES: Message = Message {
    name: "EventSeries",
    fields: &[i32f(1, "count"), opt(2, "lastObservedTime", Ty::MicroTime)],
};
