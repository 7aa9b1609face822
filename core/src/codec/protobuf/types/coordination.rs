//! `k8s.io/api/coordination/v1` messages.

use super::super::descriptor::{i32f, msg, opt, s, Message, Ty};
use super::meta::OBJECT_META;

pub(crate) static LEASE: Message = Message {
    name: "Lease",
    fields: &[msg(1, "metadata", &OBJECT_META), msg(2, "spec", &LEASE_SPEC)],
};

static LEASE_SPEC: Message = Message {
    name: "LeaseSpec",
    fields: &[
        s(1, "holderIdentity"),
        i32f(2, "leaseDurationSeconds"),
        opt(3, "acquireTime", Ty::MicroTime),
        opt(4, "renewTime", Ty::MicroTime),
        i32f(5, "leaseTransitions"),
        s(6, "strategy"),
        s(7, "preferredHolder"),
    ],
};
