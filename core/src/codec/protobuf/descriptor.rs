//! Message descriptors: the static schema that maps protobuf field numbers to JSON names.
//!
//! One table drives both directions. Each [`Message`] lists its fields in the order of the
//! Go struct (which is also the JSON output order); each [`Field`] says how its JSON value is
//! represented on the wire. The tables themselves live in `types/`, one file per API group,
//! written from the upstream `generated.proto` files.

/// How a single value is represented, on the wire and in JSON.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    /// `string`; JSON string.
    String,
    /// `bytes`; JSON base64 string (standard alphabet, padded).
    Bytes,
    /// `int32` varint; JSON number.
    Int32,
    /// `int64` varint; JSON number.
    Int64,
    /// `bool` varint; JSON boolean.
    Bool,
    /// `double` fixed64; JSON number.
    // No kind described today has a double or a Duration; both stay so tables for other
    // groups (e.g. autoscaling, flowcontrol) can be added without touching the codec.
    #[allow(dead_code)]
    Double,
    /// An embedded message; JSON object.
    Message(&'static Message),
    /// `metav1.Time {seconds, nanos}`; RFC 3339 string with second precision, `null` when zero.
    Time,
    /// `metav1.MicroTime {seconds, nanos}`; RFC 3339 string with microseconds.
    MicroTime,
    /// `metav1.Duration {duration}` in nanoseconds; Go duration string.
    #[allow(dead_code)]
    Duration,
    /// `resource.Quantity {string}`; JSON string.
    Quantity,
    /// `intstr.IntOrString {type, intVal, strVal}`; JSON number or string.
    IntOrString,
    /// A message whose field 1 holds raw JSON bytes (`FieldsV1`, `runtime.RawExtension`);
    /// the JSON is embedded as is.
    RawJson,
    /// A message whose field 1 is `repeated string` (`ExtraValue`); JSON array of strings.
    StringList,
}

/// How many times a field may occur and how occurrences combine.
#[derive(Clone, Copy)]
pub(crate) enum Label {
    /// At most one value; the last occurrence wins (embedded messages merge).
    Optional,
    /// A JSON array; one wire occurrence per element (packed scalars also accepted).
    Repeated,
    /// `map<string, ty>`: repeated entries `{1: key, 2: value}`; a JSON object.
    Map,
    /// A Go embedded struct with `json:",inline"`: on the wire an embedded message, in JSON
    /// its fields sit directly in the parent object. `ty` must be [`Ty::Message`].
    Inline,
}

/// One field of a message.
pub(crate) struct Field {
    pub(crate) number: u32,
    /// JSON name; for `Inline` fields it is only used in error messages.
    pub(crate) json: &'static str,
    pub(crate) label: Label,
    pub(crate) ty: Ty,
}

/// A protobuf message type.
pub(crate) struct Message {
    /// Upstream message name, used in error messages.
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [Field],
}

impl Message {
    pub(crate) fn field(&self, number: u32) -> Option<(usize, &'static Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.number == number)
    }
}

/// An optional field.
pub(crate) const fn opt(number: u32, json: &'static str, ty: Ty) -> Field {
    Field {
        number,
        json,
        label: Label::Optional,
        ty,
    }
}

/// A repeated field.
pub(crate) const fn rep(number: u32, json: &'static str, ty: Ty) -> Field {
    Field {
        number,
        json,
        label: Label::Repeated,
        ty,
    }
}

/// A `map<string, value>` field.
pub(crate) const fn map(number: u32, json: &'static str, value: Ty) -> Field {
    Field {
        number,
        json,
        label: Label::Map,
        ty: value,
    }
}

/// An embedded struct whose fields are inlined into the parent JSON object.
pub(crate) const fn inline(number: u32, json: &'static str, message: &'static Message) -> Field {
    Field {
        number,
        json,
        label: Label::Inline,
        ty: Ty::Message(message),
    }
}

/// An optional embedded message.
pub(crate) const fn msg(number: u32, json: &'static str, message: &'static Message) -> Field {
    opt(number, json, Ty::Message(message))
}

/// A repeated embedded message.
pub(crate) const fn msgs(number: u32, json: &'static str, message: &'static Message) -> Field {
    rep(number, json, Ty::Message(message))
}

/// An optional string.
pub(crate) const fn s(number: u32, json: &'static str) -> Field {
    opt(number, json, Ty::String)
}

/// A repeated string.
pub(crate) const fn ss(number: u32, json: &'static str) -> Field {
    rep(number, json, Ty::String)
}

/// An optional int32.
pub(crate) const fn i32f(number: u32, json: &'static str) -> Field {
    opt(number, json, Ty::Int32)
}

/// An optional int64.
pub(crate) const fn i64f(number: u32, json: &'static str) -> Field {
    opt(number, json, Ty::Int64)
}

/// An optional bool.
pub(crate) const fn b(number: u32, json: &'static str) -> Field {
    opt(number, json, Ty::Bool)
}

/// An optional `metav1.Time`.
pub(crate) const fn time(number: u32, json: &'static str) -> Field {
    opt(number, json, Ty::Time)
}
