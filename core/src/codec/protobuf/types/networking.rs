//! `k8s.io/api/networking/v1` messages (Ingress, IngressClass, NetworkPolicy).

use super::super::descriptor::{i32f, inline, msg, msgs, opt, s, ss, Message, Ty};
use super::core::TYPED_LOCAL_OBJECT_REFERENCE;
use super::meta::{LABEL_SELECTOR, OBJECT_META};

pub(crate) static INGRESS: Message = Message {
    name: "Ingress",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &INGRESS_SPEC),
        msg(3, "status", &INGRESS_STATUS),
    ],
};

static INGRESS_SPEC: Message = Message {
    name: "IngressSpec",
    fields: &[
        s(4, "ingressClassName"),
        msg(1, "defaultBackend", &INGRESS_BACKEND),
        msgs(2, "tls", &INGRESS_TLS),
        msgs(3, "rules", &INGRESS_RULE),
    ],
};

static INGRESS_BACKEND: Message = Message {
    name: "IngressBackend",
    fields: &[
        msg(4, "service", &INGRESS_SERVICE_BACKEND),
        msg(3, "resource", &TYPED_LOCAL_OBJECT_REFERENCE),
    ],
};

static INGRESS_SERVICE_BACKEND: Message = Message {
    name: "IngressServiceBackend",
    fields: &[s(1, "name"), msg(2, "port", &SERVICE_BACKEND_PORT)],
};

static SERVICE_BACKEND_PORT: Message = Message {
    name: "ServiceBackendPort",
    fields: &[s(1, "name"), i32f(2, "number")],
};

static INGRESS_TLS: Message = Message {
    name: "IngressTLS",
    fields: &[ss(1, "hosts"), s(2, "secretName")],
};

static INGRESS_RULE: Message = Message {
    name: "IngressRule",
    fields: &[s(1, "host"), inline(2, "ingressRuleValue", &INGRESS_RULE_VALUE)],
};

static INGRESS_RULE_VALUE: Message = Message {
    name: "IngressRuleValue",
    fields: &[msg(1, "http", &HTTP_INGRESS_RULE_VALUE)],
};

static HTTP_INGRESS_RULE_VALUE: Message = Message {
    name: "HTTPIngressRuleValue",
    fields: &[msgs(1, "paths", &HTTP_INGRESS_PATH)],
};

static HTTP_INGRESS_PATH: Message = Message {
    name: "HTTPIngressPath",
    fields: &[
        s(1, "path"),
        s(3, "pathType"),
        msg(2, "backend", &INGRESS_BACKEND),
    ],
};

static INGRESS_STATUS: Message = Message {
    name: "IngressStatus",
    fields: &[msg(1, "loadBalancer", &INGRESS_LOAD_BALANCER_STATUS)],
};

static INGRESS_LOAD_BALANCER_STATUS: Message = Message {
    name: "IngressLoadBalancerStatus",
    fields: &[msgs(1, "ingress", &INGRESS_LOAD_BALANCER_INGRESS)],
};

static INGRESS_LOAD_BALANCER_INGRESS: Message = Message {
    name: "IngressLoadBalancerIngress",
    fields: &[
        s(1, "ip"),
        s(2, "hostname"),
        msgs(4, "ports", &INGRESS_PORT_STATUS),
    ],
};

static INGRESS_PORT_STATUS: Message = Message {
    name: "IngressPortStatus",
    fields: &[i32f(1, "port"), s(2, "protocol"), s(3, "error")],
};

// ---- IngressClass ----------------------------------------------------------------------

pub(crate) static INGRESS_CLASS: Message = Message {
    name: "IngressClass",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &INGRESS_CLASS_SPEC),
    ],
};

static INGRESS_CLASS_SPEC: Message = Message {
    name: "IngressClassSpec",
    fields: &[
        s(1, "controller"),
        msg(2, "parameters", &INGRESS_CLASS_PARAMETERS_REFERENCE),
    ],
};

static INGRESS_CLASS_PARAMETERS_REFERENCE: Message = Message {
    name: "IngressClassParametersReference",
    fields: &[
        s(1, "apiGroup"),
        s(2, "kind"),
        s(3, "name"),
        s(4, "scope"),
        s(5, "namespace"),
    ],
};

// ---- NetworkPolicy -----------------------------------------------------------------------

pub(crate) static NETWORK_POLICY: Message = Message {
    name: "NetworkPolicy",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &NETWORK_POLICY_SPEC),
    ],
};

static NETWORK_POLICY_SPEC: Message = Message {
    name: "NetworkPolicySpec",
    fields: &[
        msg(1, "podSelector", &LABEL_SELECTOR),
        msgs(2, "ingress", &NETWORK_POLICY_INGRESS_RULE),
        msgs(3, "egress", &NETWORK_POLICY_EGRESS_RULE),
        ss(4, "policyTypes"),
    ],
};

static NETWORK_POLICY_INGRESS_RULE: Message = Message {
    name: "NetworkPolicyIngressRule",
    fields: &[
        msgs(1, "ports", &NETWORK_POLICY_PORT),
        msgs(2, "from", &NETWORK_POLICY_PEER),
    ],
};

static NETWORK_POLICY_EGRESS_RULE: Message = Message {
    name: "NetworkPolicyEgressRule",
    fields: &[
        msgs(1, "ports", &NETWORK_POLICY_PORT),
        msgs(2, "to", &NETWORK_POLICY_PEER),
    ],
};

static NETWORK_POLICY_PORT: Message = Message {
    name: "NetworkPolicyPort",
    fields: &[
        s(1, "protocol"),
        opt(2, "port", Ty::IntOrString),
        i32f(3, "endPort"),
    ],
};

static NETWORK_POLICY_PEER: Message = Message {
    name: "NetworkPolicyPeer",
    fields: &[
        msg(1, "podSelector", &LABEL_SELECTOR),
        msg(2, "namespaceSelector", &LABEL_SELECTOR),
        msg(3, "ipBlock", &IP_BLOCK),
    ],
};

static IP_BLOCK: Message = Message {
    name: "IPBlock",
    fields: &[s(1, "cidr"), ss(2, "except")],
};
