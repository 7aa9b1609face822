//! Descriptor-driven decoding of protobuf messages into the JSON `Value` that the JSON
//! encoding of the same object would produce.
//!
//! proto2 presence is preserved: a field absent on the wire is absent from the JSON, a field
//! present with an empty value (`""`, `0`, `false`) is kept, repeated and map fields appear
//! only when they have at least one element. Unknown field numbers are skipped.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::descriptor::{Field, Label, Message, Ty};
use super::error::ProtobufError;
use super::time::{format_duration, format_time};
use super::wire::{Payload, Reader, FIXED64, LEN, VARINT};

/// Deepest message nesting accepted. The described kinds nest about a dozen levels
/// (Deployment → … → podAffinityTerm → labelSelector → matchExpressions); the bound keeps
/// recursion finite even if a recursive message is ever described.
pub(crate) const MAX_DEPTH: usize = 32;

/// Accumulated occurrences of one field while a message is being read.
enum Slot<'a> {
    Empty,
    One(Value),
    Many(Vec<Value>),
    Entries(Map<String, Value>),
    /// Occurrences of an embedded message; protobuf merges them, which is exactly what
    /// decoding their concatenation does.
    Chunks(Vec<&'a [u8]>),
}

/// The wire type a value of `ty` must arrive with.
pub(crate) fn wire_type_of(ty: Ty) -> u8 {
    match ty {
        Ty::Int32 | Ty::Int64 | Ty::Bool => VARINT,
        Ty::Double => FIXED64,
        _ => LEN,
    }
}

fn invalid(m: &Message, f: &Field, reason: impl Into<String>) -> ProtobufError {
    ProtobufError::InvalidValue {
        message: m.name,
        field: f.json,
        reason: reason.into(),
    }
}

fn mismatch(m: &Message, f: &Field, expected: u8, actual: u8) -> ProtobufError {
    ProtobufError::WireTypeMismatch {
        message: m.name,
        field: f.json,
        expected,
        actual,
    }
}

/// Decodes `buf` as message `m` into a JSON object.
pub(crate) fn decode_message(
    m: &'static Message,
    buf: &[u8],
    depth: usize,
) -> Result<Map<String, Value>, ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::TooDeep);
    }
    let mut slots: Vec<Slot<'_>> = m.fields.iter().map(|_| Slot::Empty).collect();
    let mut reader = Reader::new(buf);
    while !reader.is_empty() {
        let (number, payload) = reader.field()?;
        let Some((index, field)) = m.field(number) else {
            continue; // Forward compatibility: fields from newer servers are ignored.
        };
        let Some(slot) = slots.get_mut(index) else {
            continue;
        };
        accumulate(m, field, payload, slot, depth)?;
    }

    let mut out = Map::new();
    for (field, slot) in m.fields.iter().zip(slots) {
        match slot {
            // An empty packed list is as absent as no list at all.
            Slot::Empty => {}
            Slot::Many(items) if items.is_empty() => {}
            // ObjectMeta.generation is a plain int64 with `omitempty`: gogo writes the zero,
            // Go's JSON leaves it out.
            Slot::One(v) if m.name == "ObjectMeta" && field.json == "generation" && v == 0 => {}
            // gogo-protobuf writes every string, empty ones too; Go's JSON form omits them
            // (`omitempty`), and so do we, so a protobuf body stores the same object as its
            // JSON twin.
            Slot::One(Value::String(s)) if s.is_empty() && matches!(field.ty, Ty::String) => {}
            Slot::One(v) => {
                out.insert(field.json.to_owned(), v);
            }
            Slot::Many(items) => {
                out.insert(field.json.to_owned(), Value::Array(items));
            }
            Slot::Entries(entries) => {
                out.insert(field.json.to_owned(), Value::Object(entries));
            }
            Slot::Chunks(chunks) => {
                let bytes: Cow<'_, [u8]> = match chunks.as_slice() {
                    [one] => Cow::Borrowed(one),
                    many => Cow::Owned(many.concat()),
                };
                match (field.label, field.ty) {
                    (Label::Inline, Ty::Message(inner)) => {
                        out.extend(decode_message(inner, &bytes, depth + 1)?);
                    }
                    _ => {
                        let v = decode_value(m, field, field.ty, Payload::Len(&bytes), depth)?;
                        out.insert(field.json.to_owned(), v);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Folds one occurrence of `field` into its slot.
fn accumulate<'a>(
    m: &'static Message,
    field: &'static Field,
    payload: Payload<'a>,
    slot: &mut Slot<'a>,
    depth: usize,
) -> Result<(), ProtobufError> {
    let expected = wire_type_of(field.ty);
    match field.label {
        Label::Optional | Label::Inline if expected == LEN && !is_plain_bytes(field.ty) => {
            let Payload::Len(bytes) = payload else {
                return Err(mismatch(m, field, LEN, payload.wire_type()));
            };
            match slot {
                Slot::Chunks(chunks) => chunks.push(bytes),
                _ => *slot = Slot::Chunks(vec![bytes]),
            }
        }
        Label::Optional | Label::Inline => {
            *slot = Slot::One(decode_value(m, field, field.ty, payload, depth)?);
        }
        Label::Repeated => {
            if !matches!(slot, Slot::Many(_)) {
                *slot = Slot::Many(Vec::new());
            }
            let Slot::Many(items) = slot else {
                return Ok(());
            };
            match payload {
                // Packed encoding of a repeated scalar.
                Payload::Len(bytes) if expected != LEN => {
                    let mut packed = Reader::new(bytes);
                    while !packed.is_empty() {
                        let element = if expected == VARINT {
                            Payload::Varint(packed.varint()?)
                        } else {
                            Payload::Fixed64(packed.fixed64()?)
                        };
                        items.push(decode_value(m, field, field.ty, element, depth)?);
                    }
                }
                _ => items.push(decode_value(m, field, field.ty, payload, depth)?),
            }
        }
        Label::Map => {
            let Payload::Len(entry) = payload else {
                return Err(mismatch(m, field, LEN, payload.wire_type()));
            };
            let (key, value) = decode_entry(m, field, entry, depth)?;
            match slot {
                Slot::Entries(entries) => {
                    entries.insert(key, value);
                }
                _ => {
                    let mut entries = Map::new();
                    entries.insert(key, value);
                    *slot = Slot::Entries(entries);
                }
            }
        }
    }
    Ok(())
}

/// Strings and bytes are length-delimited but never merged: the last occurrence wins.
fn is_plain_bytes(ty: Ty) -> bool {
    matches!(ty, Ty::String | Ty::Bytes)
}

/// Decodes one `map<string, V>` entry `{1: key, 2: value}`.
fn decode_entry(
    m: &'static Message,
    field: &'static Field,
    entry: &[u8],
    depth: usize,
) -> Result<(String, Value), ProtobufError> {
    let mut key = String::new();
    let mut value = None;
    let mut reader = Reader::new(entry);
    while !reader.is_empty() {
        match reader.field()? {
            (1, Payload::Len(k)) => key = String::from_utf8_lossy(k).into_owned(),
            (1, other) => return Err(mismatch(m, field, LEN, other.wire_type())),
            (2, payload) => {
                let expected = wire_type_of(field.ty);
                if payload.wire_type() != expected {
                    return Err(mismatch(m, field, expected, payload.wire_type()));
                }
                value = Some(decode_value(m, field, field.ty, payload, depth)?);
            }
            _ => {}
        }
    }
    let value = match value {
        Some(v) => v,
        // An entry without a value holds the type's zero value.
        None => decode_value(m, field, field.ty, zero_payload(field.ty), depth)?,
    };
    Ok((key, value))
}

fn zero_payload(ty: Ty) -> Payload<'static> {
    match wire_type_of(ty) {
        VARINT => Payload::Varint(0),
        FIXED64 => Payload::Fixed64(0),
        _ => Payload::Len(&[]),
    }
}

/// Decodes a single value of type `ty`.
fn decode_value(
    m: &'static Message,
    field: &'static Field,
    ty: Ty,
    payload: Payload<'_>,
    depth: usize,
) -> Result<Value, ProtobufError> {
    let expected = wire_type_of(ty);
    if payload.wire_type() != expected {
        return Err(mismatch(m, field, expected, payload.wire_type()));
    }
    let bytes = match payload {
        // Truncation to 32 bits is protobuf's int32 semantics.
        Payload::Varint(v) => {
            return Ok(match ty {
                Ty::Int32 => Value::from(v as i32),
                Ty::Bool => Value::Bool(v != 0),
                _ => Value::from(v as i64),
            })
        }
        Payload::Fixed64(bits) => {
            return Number::from_f64(f64::from_bits(bits))
                .map(Value::Number)
                .ok_or_else(|| invalid(m, field, "not a finite number"));
        }
        Payload::Fixed32(_) => return Err(mismatch(m, field, expected, payload.wire_type())),
        Payload::Len(bytes) => bytes,
    };
    match ty {
        Ty::String => Ok(Value::String(String::from_utf8_lossy(bytes).into_owned())),
        Ty::Bytes => Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        )),
        Ty::Message(inner) => Ok(Value::Object(decode_message(inner, bytes, depth + 1)?)),
        Ty::Time | Ty::MicroTime => {
            let (seconds, nanos) = small_message(m, field, bytes, |n| n <= 2)?;
            if seconds.is_none() && nanos.is_none() {
                return Ok(Value::Null);
            }
            let seconds = seconds.map_or(0, |v| v as i64);
            let nanos = nanos.map_or(0, |v| i64::from(v as i32));
            let text = format_time(seconds, nanos, matches!(ty, Ty::MicroTime))
                .map_err(|reason| invalid(m, field, reason))?;
            Ok(text.map_or(Value::Null, Value::String))
        }
        Ty::Duration => {
            let (nanos, _) = small_message(m, field, bytes, |n| n == 1)?;
            Ok(Value::String(format_duration(nanos.map_or(0, |v| v as i64))))
        }
        Ty::Quantity => {
            let text = last_string(m, field, bytes)?;
            Ok(Value::String(text.unwrap_or_else(|| "0".to_owned())))
        }
        Ty::IntOrString => decode_int_or_string(m, field, bytes),
        Ty::RawJson => match last_bytes(m, field, bytes)? {
            None | Some([]) => Ok(Value::Null),
            Some(raw) => serde_json::from_slice(raw)
                .map_err(|e| invalid(m, field, format!("embedded JSON does not parse: {e}"))),
        },
        Ty::StringList => {
            let mut items = Vec::new();
            let mut reader = Reader::new(bytes);
            while !reader.is_empty() {
                match reader.field()? {
                    (1, Payload::Len(s)) => {
                        items.push(Value::String(String::from_utf8_lossy(s).into_owned()))
                    }
                    (1, other) => return Err(mismatch(m, field, LEN, other.wire_type())),
                    _ => {}
                }
            }
            Ok(Value::Array(items))
        }
        Ty::Int32 | Ty::Int64 | Ty::Bool | Ty::Double => Err(mismatch(m, field, expected, LEN)),
    }
}

/// Reads varint fields 1 and 2 of a small well-known message (Time, Duration).
fn small_message(
    m: &'static Message,
    field: &'static Field,
    bytes: &[u8],
    known: impl Fn(u32) -> bool,
) -> Result<(Option<u64>, Option<u64>), ProtobufError> {
    let (mut first, mut second) = (None, None);
    let mut reader = Reader::new(bytes);
    while !reader.is_empty() {
        let (number, payload) = reader.field()?;
        if !known(number) {
            continue;
        }
        let Payload::Varint(v) = payload else {
            return Err(mismatch(m, field, VARINT, payload.wire_type()));
        };
        if number == 1 {
            first = Some(v);
        } else {
            second = Some(v);
        }
    }
    Ok((first, second))
}

/// The last occurrence of length-delimited field 1.
fn last_bytes<'a>(
    m: &'static Message,
    field: &'static Field,
    bytes: &'a [u8],
) -> Result<Option<&'a [u8]>, ProtobufError> {
    let mut found = None;
    let mut reader = Reader::new(bytes);
    while !reader.is_empty() {
        match reader.field()? {
            (1, Payload::Len(b)) => found = Some(b),
            (1, other) => return Err(mismatch(m, field, LEN, other.wire_type())),
            _ => {}
        }
    }
    Ok(found)
}

fn last_string(
    m: &'static Message,
    field: &'static Field,
    bytes: &[u8],
) -> Result<Option<String>, ProtobufError> {
    Ok(last_bytes(m, field, bytes)?.map(|b| String::from_utf8_lossy(b).into_owned()))
}

/// `IntOrString {type = 1, intVal = 2, strVal = 3}` becomes a JSON number or string.
fn decode_int_or_string(
    m: &'static Message,
    field: &'static Field,
    bytes: &[u8],
) -> Result<Value, ProtobufError> {
    let (mut kind, mut int_val, mut str_val) = (0u64, 0i32, String::new());
    let mut reader = Reader::new(bytes);
    while !reader.is_empty() {
        match reader.field()? {
            (1, Payload::Varint(v)) => kind = v,
            (2, Payload::Varint(v)) => int_val = v as i32,
            (3, Payload::Len(s)) => str_val = String::from_utf8_lossy(s).into_owned(),
            (1 | 2, other) => return Err(mismatch(m, field, VARINT, other.wire_type())),
            (3, other) => return Err(mismatch(m, field, LEN, other.wire_type())),
            _ => {}
        }
    }
    match kind {
        0 => Ok(Value::from(int_val)),
        1 => Ok(Value::String(str_val)),
        other => Err(invalid(
            m,
            field,
            format!("IntOrString type {other} is not 0 or 1"),
        )),
    }
}
