//! `k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1` messages
//! (CustomResourceDefinition).
//!
//! `JSONSchemaProps` is recursive; decoding stays bounded by the codec's nesting limit.
//! Three of its fields are unions whose JSON form depends on which member is set
//! (`JSONSchemaPropsOrArray`, `JSONSchemaPropsOrBool`, `JSONSchemaPropsOrStringArray`).
//! The descriptor model has no union type, so only their schema-object form is
//! described (the embedded schema is inlined into the JSON object): the array form of
//! `items` (rejected by v1 structural schemas anyway), the boolean form of
//! `additionalProperties`/`additionalItems` and the string-array form of `dependencies`
//! fail to encode and are not recovered when decoding.

use super::super::descriptor::{b, i32f, i64f, inline, map, msg, msgs, opt, rep, s, ss, time, Message, Ty};
use super::meta::OBJECT_META;

pub(crate) static CUSTOM_RESOURCE_DEFINITION: Message = Message {
    name: "CustomResourceDefinition",
    fields: &[
        msg(1, "metadata", &OBJECT_META),
        msg(2, "spec", &CRD_SPEC),
        msg(3, "status", &CRD_STATUS),
    ],
};

static CRD_SPEC: Message = Message {
    name: "CustomResourceDefinitionSpec",
    fields: &[
        s(1, "group"),
        msg(3, "names", &CRD_NAMES),
        s(4, "scope"),
        msgs(7, "versions", &CRD_VERSION),
        msg(9, "conversion", &CUSTOM_RESOURCE_CONVERSION),
        b(10, "preserveUnknownFields"),
    ],
};

static CRD_NAMES: Message = Message {
    name: "CustomResourceDefinitionNames",
    fields: &[
        s(1, "plural"),
        s(2, "singular"),
        ss(3, "shortNames"),
        s(4, "kind"),
        s(5, "listKind"),
        ss(6, "categories"),
    ],
};

static CRD_VERSION: Message = Message {
    name: "CustomResourceDefinitionVersion",
    fields: &[
        s(1, "name"),
        b(2, "served"),
        b(3, "storage"),
        b(7, "deprecated"),
        s(8, "deprecationWarning"),
        msg(4, "schema", &CUSTOM_RESOURCE_VALIDATION),
        msg(5, "subresources", &CUSTOM_RESOURCE_SUBRESOURCES),
        msgs(6, "additionalPrinterColumns", &CUSTOM_RESOURCE_COLUMN_DEFINITION),
        msgs(9, "selectableFields", &SELECTABLE_FIELD),
    ],
};

static CUSTOM_RESOURCE_VALIDATION: Message = Message {
    name: "CustomResourceValidation",
    fields: &[msg(1, "openAPIV3Schema", &JSON_SCHEMA_PROPS)],
};

static CUSTOM_RESOURCE_SUBRESOURCES: Message = Message {
    name: "CustomResourceSubresources",
    fields: &[
        msg(1, "status", &CUSTOM_RESOURCE_SUBRESOURCE_STATUS),
        msg(2, "scale", &CUSTOM_RESOURCE_SUBRESOURCE_SCALE),
    ],
};

/// An empty message: its presence (`status: {}`) enables the subresource.
static CUSTOM_RESOURCE_SUBRESOURCE_STATUS: Message = Message {
    name: "CustomResourceSubresourceStatus",
    fields: &[],
};

static CUSTOM_RESOURCE_SUBRESOURCE_SCALE: Message = Message {
    name: "CustomResourceSubresourceScale",
    fields: &[
        s(1, "specReplicasPath"),
        s(2, "statusReplicasPath"),
        s(3, "labelSelectorPath"),
    ],
};

static CUSTOM_RESOURCE_COLUMN_DEFINITION: Message = Message {
    name: "CustomResourceColumnDefinition",
    fields: &[
        s(1, "name"),
        s(2, "type"),
        s(3, "format"),
        s(4, "description"),
        i32f(5, "priority"),
        s(6, "jsonPath"),
    ],
};

static SELECTABLE_FIELD: Message = Message {
    name: "SelectableField",
    fields: &[s(1, "jsonPath")],
};

static CUSTOM_RESOURCE_CONVERSION: Message = Message {
    name: "CustomResourceConversion",
    fields: &[s(1, "strategy"), msg(2, "webhook", &WEBHOOK_CONVERSION)],
};

static WEBHOOK_CONVERSION: Message = Message {
    name: "WebhookConversion",
    fields: &[
        msg(2, "clientConfig", &WEBHOOK_CLIENT_CONFIG),
        ss(3, "conversionReviewVersions"),
    ],
};

static WEBHOOK_CLIENT_CONFIG: Message = Message {
    name: "WebhookClientConfig",
    fields: &[
        s(3, "url"),
        msg(1, "service", &SERVICE_REFERENCE),
        opt(2, "caBundle", Ty::Bytes),
    ],
};

static SERVICE_REFERENCE: Message = Message {
    name: "ServiceReference",
    fields: &[s(1, "namespace"), s(2, "name"), s(3, "path"), i32f(4, "port")],
};

static CRD_STATUS: Message = Message {
    name: "CustomResourceDefinitionStatus",
    fields: &[
        msgs(1, "conditions", &CRD_CONDITION),
        msg(2, "acceptedNames", &CRD_NAMES),
        ss(3, "storedVersions"),
    ],
};

static CRD_CONDITION: Message = Message {
    name: "CustomResourceDefinitionCondition",
    fields: &[
        s(1, "type"),
        s(2, "status"),
        time(3, "lastTransitionTime"),
        s(4, "reason"),
        s(5, "message"),
    ],
};

/// The JSON names are those of the Go struct tags (`$schema`, `x-kubernetes-...`), not the
/// proto field names.
static JSON_SCHEMA_PROPS: Message = Message {
    name: "JSONSchemaProps",
    fields: &[
        s(1, "id"),
        s(2, "$schema"),
        s(3, "$ref"),
        s(4, "description"),
        s(5, "type"),
        s(6, "format"),
        s(7, "title"),
        opt(8, "default", Ty::RawJson),
        opt(9, "maximum", Ty::Double),
        b(10, "exclusiveMaximum"),
        opt(11, "minimum", Ty::Double),
        b(12, "exclusiveMinimum"),
        i64f(13, "maxLength"),
        i64f(14, "minLength"),
        s(15, "pattern"),
        i64f(16, "maxItems"),
        i64f(17, "minItems"),
        b(18, "uniqueItems"),
        opt(19, "multipleOf", Ty::Double),
        rep(20, "enum", Ty::RawJson),
        i64f(21, "maxProperties"),
        i64f(22, "minProperties"),
        ss(23, "required"),
        msg(24, "items", &SCHEMA_OR_ARRAY),
        msgs(25, "allOf", &JSON_SCHEMA_PROPS),
        msgs(26, "oneOf", &JSON_SCHEMA_PROPS),
        msgs(27, "anyOf", &JSON_SCHEMA_PROPS),
        msg(28, "not", &JSON_SCHEMA_PROPS),
        map(29, "properties", Ty::Message(&JSON_SCHEMA_PROPS)),
        msg(30, "additionalProperties", &SCHEMA_OR_BOOL),
        map(31, "patternProperties", Ty::Message(&JSON_SCHEMA_PROPS)),
        map(32, "dependencies", Ty::Message(&SCHEMA_OR_STRING_ARRAY)),
        msg(33, "additionalItems", &SCHEMA_OR_BOOL),
        map(34, "definitions", Ty::Message(&JSON_SCHEMA_PROPS)),
        msg(35, "externalDocs", &EXTERNAL_DOCUMENTATION),
        opt(36, "example", Ty::RawJson),
        b(37, "nullable"),
        b(38, "x-kubernetes-preserve-unknown-fields"),
        b(39, "x-kubernetes-embedded-resource"),
        b(40, "x-kubernetes-int-or-string"),
        ss(41, "x-kubernetes-list-map-keys"),
        s(42, "x-kubernetes-list-type"),
        s(43, "x-kubernetes-map-type"),
        msgs(44, "x-kubernetes-validations", &VALIDATION_RULE),
    ],
};

/// `JSONSchemaPropsOrArray`, schema form only (`schema = 1`).
static SCHEMA_OR_ARRAY: Message = Message {
    name: "JSONSchemaPropsOrArray",
    fields: &[inline(1, "schema", &JSON_SCHEMA_PROPS)],
};

/// `JSONSchemaPropsOrBool`, schema form only (`schema = 2`; `allows = 1` is not kept).
static SCHEMA_OR_BOOL: Message = Message {
    name: "JSONSchemaPropsOrBool",
    fields: &[inline(2, "schema", &JSON_SCHEMA_PROPS)],
};

/// `JSONSchemaPropsOrStringArray`, schema form only (`schema = 1`).
static SCHEMA_OR_STRING_ARRAY: Message = Message {
    name: "JSONSchemaPropsOrStringArray",
    fields: &[inline(1, "schema", &JSON_SCHEMA_PROPS)],
};

static EXTERNAL_DOCUMENTATION: Message = Message {
    name: "ExternalDocumentation",
    fields: &[s(1, "description"), s(2, "url")],
};

static VALIDATION_RULE: Message = Message {
    name: "ValidationRule",
    fields: &[
        s(1, "rule"),
        s(2, "message"),
        s(3, "messageExpression"),
        s(4, "reason"),
        s(5, "fieldPath"),
        b(6, "optionalOldSelf"),
    ],
};
