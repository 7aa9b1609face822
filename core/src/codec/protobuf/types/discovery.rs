//! `k8s.io/api/discovery/v1` messages.

use super::super::descriptor::{b, i32f, map, msg, msgs, s, ss, Message, Ty};
use super::core::OBJECT_REFERENCE;
use super::meta::OBJECT_META;

pub(crate) static ENDPOINT_SLICE: Message = Message {
    name: "EndpointSlice",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        s(4, "addressType"),
        msgs(2, "endpoints", &ENDPOINT),
        msgs(3, "ports", &ENDPOINT_PORT),
    ],
};

static ENDPOINT: Message = Message {
    name: "Endpoint",
    fields: &[
        ss(1, "addresses"),
        msg(2, "conditions", &ENDPOINT_CONDITIONS),
        s(3, "hostname"),
        msg(4, "targetRef", &OBJECT_REFERENCE),
        map(5, "deprecatedTopology", Ty::String),
        s(6, "nodeName"),
        s(7, "zone"),
        msg(8, "hints", &ENDPOINT_HINTS),
    ],
};

static ENDPOINT_CONDITIONS: Message = Message {
    name: "EndpointConditions",
    fields: &[b(1, "ready"), b(2, "serving"), b(3, "terminating")],
};

static ENDPOINT_HINTS: Message = Message {
    name: "EndpointHints",
    fields: &[msgs(1, "forZones", &NAMED), msgs(2, "forNodes", &NAMED)],
};

/// `ForZone` and `ForNode`.
static NAMED: Message = Message {
    name: "ForZone",
    fields: &[s(1, "name")],
};

static ENDPOINT_PORT: Message = Message {
    name: "EndpointPort",
    fields: &[
        s(1, "name"),
        s(2, "protocol"),
        i32f(3, "port"),
        s(4, "appProtocol"),
    ],
};
