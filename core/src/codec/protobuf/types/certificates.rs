//! `k8s.io/api/certificates/v1` messages.

use super::super::descriptor::{i32f, map, msg, msgs, opt, s, ss, time, Message, Ty};
use super::meta::OBJECT_META;

pub(crate) static CERTIFICATE_SIGNING_REQUEST: Message = Message {
    name: "CertificateSigningRequest",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &CSR_SPEC),
        msg(3, "status", &CSR_STATUS),
    ],
};

static CSR_SPEC: Message = Message {
    name: "CertificateSigningRequestSpec",
    fields: &[
        opt(1, "request", Ty::Bytes),
        s(7, "signerName"),
        i32f(8, "expirationSeconds"),
        ss(5, "usages"),
        s(2, "username"),
        s(3, "uid"),
        ss(4, "groups"),
        map(6, "extra", Ty::StringList),
    ],
};

static CSR_STATUS: Message = Message {
    name: "CertificateSigningRequestStatus",
    fields: &[
        msgs(1, "conditions", &CSR_CONDITION),
        opt(2, "certificate", Ty::Bytes),
    ],
};

static CSR_CONDITION: Message = Message {
    name: "CertificateSigningRequestCondition",
    fields: &[
        s(1, "type"),
        s(6, "status"),
        s(2, "reason"),
        s(3, "message"),
        time(4, "lastUpdateTime"),
        time(5, "lastTransitionTime"),
    ],
};
