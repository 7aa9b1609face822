//! `k8s.io/kube-aggregator/pkg/apis/apiregistration/v1` messages.

use super::super::descriptor::{b, i32f, msg, msgs, opt, s, time, Message, Ty};
use super::meta::OBJECT_META;

pub(crate) static API_SERVICE: Message = Message {
    name: "APIService",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &API_SERVICE_SPEC),
        msg(3, "status", &API_SERVICE_STATUS),
    ],
};

static API_SERVICE_SPEC: Message = Message {
    name: "APIServiceSpec",
    fields: &[
        msg(1, "service", &SERVICE_REFERENCE),
        s(2, "group"),
        s(3, "version"),
        b(4, "insecureSkipTLSVerify"),
        opt(5, "caBundle", Ty::Bytes),
        i32f(7, "groupPriorityMinimum"),
        i32f(8, "versionPriority"),
    ],
};

static SERVICE_REFERENCE: Message = Message {
    name: "ServiceReference",
    fields: &[s(1, "namespace"), s(2, "name"), i32f(3, "port")],
};

static API_SERVICE_STATUS: Message = Message {
    name: "APIServiceStatus",
    fields: &[msgs(1, "conditions", &API_SERVICE_CONDITION)],
};

static API_SERVICE_CONDITION: Message = Message {
    name: "APIServiceCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastTransitionTime"),
        s(4, "reason"),
        s(5, "message"),
    ],
};
