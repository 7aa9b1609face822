//! Errors raised while decoding or encoding Kubernetes protobuf bodies.

use std::fmt;

/// Why a `application/vnd.kubernetes.protobuf` body could not be decoded (or an object
/// could not be encoded).
///
/// Every variant describes a client mistake; its `Display` text is meant to be placed in
/// the `message` of a 400 BadRequest `Status`, except [`ProtobufError::UnknownKind`],
/// which a server may prefer to answer with 415 UnsupportedMediaType (the kind exists in
/// JSON but Gatehouse has no protobuf schema for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtobufError {
    /// The body does not start with the 4-byte `k8s\0` magic.
    MissingMagic,
    /// The input ended in the middle of a field.
    Truncated,
    /// A varint was longer than 10 bytes.
    VarintOverflow,
    /// A field key used field number 0 or a wire type that Kubernetes never emits
    /// (groups, or the reserved values 6 and 7).
    InvalidKey {
        /// Field number from the key (the bits above its low three).
        field_number: u64,
        /// Wire type from the key (its low three bits).
        wire_type: u8,
    },
    /// A known field arrived with a wire type that does not match its schema.
    WireTypeMismatch {
        /// Protobuf message the field belongs to, e.g. `ObjectMeta`.
        message: &'static str,
        /// JSON name of the field, e.g. `labels`.
        field: &'static str,
        /// Wire type the schema calls for.
        expected: u8,
        /// Wire type found in the body.
        actual: u8,
    },
    /// The `runtime.Unknown` envelope carried no apiVersion or kind.
    MissingTypeMeta,
    /// The envelope declared a content encoding or content type Gatehouse cannot read.
    UnsupportedEncoding(String),
    /// No protobuf schema is known for this apiVersion and kind.
    UnknownKind {
        /// `apiVersion` of the object, e.g. `apps/v1`.
        api_version: String,
        /// `kind` of the object, e.g. `Deployment`.
        kind: String,
    },
    /// A field value is out of range or malformed (bad timestamp, bad IntOrString type,
    /// embedded JSON that does not parse, a JSON value of the wrong type when encoding...).
    InvalidValue {
        /// Protobuf message the field belongs to, e.g. `ObjectMeta`.
        message: &'static str,
        /// JSON name of the field, e.g. `creationTimestamp`.
        field: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// Messages were nested deeper than Gatehouse accepts.
    TooDeep,
}

impl fmt::Display for ProtobufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingMagic => {
                f.write_str("protobuf body does not start with the Kubernetes magic prefix \"k8s\\x00\"")
            }
            Self::Truncated => f.write_str("protobuf body is truncated"),
            Self::VarintOverflow => f.write_str("protobuf body contains an overlong varint"),
            Self::InvalidKey {
                field_number,
                wire_type,
            } => write!(
                f,
                "protobuf body contains an invalid field key (field {field_number}, wire type {wire_type})"
            ),
            Self::WireTypeMismatch {
                message,
                field,
                expected,
                actual,
            } => write!(
                f,
                "protobuf field {message}.{field} has wire type {actual}, expected {expected}"
            ),
            Self::MissingTypeMeta => f.write_str("protobuf envelope does not carry an apiVersion and kind"),
            Self::UnsupportedEncoding(what) => {
                write!(f, "protobuf envelope uses an unsupported encoding: {what}")
            }
            Self::UnknownKind { api_version, kind } => write!(
                f,
                "no protobuf serialization is available for {kind} in {api_version}"
            ),
            Self::InvalidValue {
                message,
                field,
                reason,
            } => write!(f, "invalid value for {message}.{field}: {reason}"),
            Self::TooDeep => f.write_str("protobuf body is nested too deeply"),
        }
    }
}

impl std::error::Error for ProtobufError {}
