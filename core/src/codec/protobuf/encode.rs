//! Descriptor-driven encoding of a JSON object into its Kubernetes protobuf form.
//!
//! The inverse of `decode`: for any value `decode` produces, decoding the encoding gives the
//! value back. JSON keys the schema does not know are dropped, as the Go structs would.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::decode::MAX_DEPTH;
use super::descriptor::{Field, Label, Message, Ty};
use super::error::ProtobufError;
use super::time::{parse_duration, parse_time};
use super::wire::{put_key, put_len, put_varint, FIXED64, VARINT};

fn invalid(m: &Message, f: &Field, reason: impl Into<String>) -> ProtobufError {
    ProtobufError::InvalidValue {
        message: m.name,
        field: f.json,
        reason: reason.into(),
    }
}

/// Encodes the fields of `obj` described by `m`.
pub(crate) fn encode_message(
    m: &'static Message,
    obj: &Map<String, Value>,
    depth: usize,
) -> Result<Vec<u8>, ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::TooDeep);
    }
    let mut out = Vec::new();
    for field in m.fields {
        if let (Label::Inline, Ty::Message(inner)) = (field.label, field.ty) {
            // Embedded structs are always present in Go, so they are always written.
            let bytes = encode_message(inner, obj, depth + 1)?;
            put_len(&mut out, field.number, &bytes);
            continue;
        }
        let value = match obj.get(field.json) {
            None => continue,
            Some(Value::Null) => {
                // A null Time is the zero time, written as an empty message.
                if matches!(field.label, Label::Optional) && matches!(field.ty, Ty::Time | Ty::MicroTime) {
                    put_len(&mut out, field.number, &[]);
                }
                continue;
            }
            Some(v) => v,
        };
        match field.label {
            Label::Optional | Label::Inline => {
                encode_value(&mut out, m, field, field.number, field.ty, value, depth)?;
            }
            Label::Repeated => {
                let items = value
                    .as_array()
                    .ok_or_else(|| invalid(m, field, "expected an array"))?;
                for item in items {
                    encode_value(&mut out, m, field, field.number, field.ty, item, depth)?;
                }
            }
            Label::Map => {
                let entries = value
                    .as_object()
                    .ok_or_else(|| invalid(m, field, "expected an object"))?;
                // Sorted keys make the encoding deterministic, as upstream's is.
                let mut keys: Vec<&String> = entries.keys().collect();
                keys.sort();
                for key in keys {
                    let mut entry = Vec::new();
                    put_len(&mut entry, 1, key.as_bytes());
                    match entries.get(key) {
                        None | Some(Value::Null) => {}
                        Some(v) => encode_value(&mut entry, m, field, 2, field.ty, v, depth)?,
                    }
                    put_len(&mut out, field.number, &entry);
                }
            }
        }
    }
    Ok(out)
}

/// Encodes one value of type `ty` as field `number`.
fn encode_value(
    out: &mut Vec<u8>,
    m: &'static Message,
    field: &'static Field,
    number: u32,
    ty: Ty,
    value: &Value,
    depth: usize,
) -> Result<(), ProtobufError> {
    let want_str = || {
        value
            .as_str()
            .ok_or_else(|| invalid(m, field, "expected a string"))
    };
    match ty {
        Ty::String => put_len(out, number, want_str()?.as_bytes()),
        Ty::Bytes => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(want_str()?)
                .map_err(|_| invalid(m, field, "expected a base64 string"))?;
            put_len(out, number, &bytes);
        }
        Ty::Int32 => {
            let v = value
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| invalid(m, field, "expected a 32-bit integer"))?;
            put_key(out, number, VARINT);
            put_varint(out, i64::from(v) as u64);
        }
        Ty::Int64 => {
            let v = value
                .as_i64()
                .ok_or_else(|| invalid(m, field, "expected a 64-bit integer"))?;
            put_key(out, number, VARINT);
            put_varint(out, v as u64);
        }
        Ty::Bool => {
            let v = value
                .as_bool()
                .ok_or_else(|| invalid(m, field, "expected a boolean"))?;
            put_key(out, number, VARINT);
            put_varint(out, u64::from(v));
        }
        Ty::Double => {
            let v = value
                .as_f64()
                .ok_or_else(|| invalid(m, field, "expected a number"))?;
            put_key(out, number, FIXED64);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Ty::Message(inner) => {
            let obj = value
                .as_object()
                .ok_or_else(|| invalid(m, field, "expected an object"))?;
            let bytes = encode_message(inner, obj, depth + 1)?;
            put_len(out, number, &bytes);
        }
        Ty::Time | Ty::MicroTime => {
            let (seconds, nanos) =
                parse_time(want_str()?).ok_or_else(|| invalid(m, field, "expected an RFC 3339 timestamp"))?;
            let mut inner = Vec::new();
            // Seconds are always written so that the epoch is not mistaken for the zero time.
            put_key(&mut inner, 1, VARINT);
            put_varint(&mut inner, seconds as u64);
            if nanos != 0 {
                put_key(&mut inner, 2, VARINT);
                put_varint(&mut inner, nanos as u64);
            }
            put_len(out, number, &inner);
        }
        Ty::Duration => {
            let nanos = parse_duration(want_str()?)
                .ok_or_else(|| invalid(m, field, "expected a duration such as \"1h30m\""))?;
            let mut inner = Vec::new();
            put_key(&mut inner, 1, VARINT);
            put_varint(&mut inner, nanos as u64);
            put_len(out, number, &inner);
        }
        Ty::Quantity => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(invalid(m, field, "expected a quantity")),
            };
            let mut inner = Vec::new();
            put_len(&mut inner, 1, text.as_bytes());
            put_len(out, number, &inner);
        }
        Ty::IntOrString => {
            let mut inner = Vec::new();
            match value {
                Value::String(s) => {
                    put_key(&mut inner, 1, VARINT);
                    put_varint(&mut inner, 1);
                    put_key(&mut inner, 2, VARINT);
                    put_varint(&mut inner, 0);
                    put_len(&mut inner, 3, s.as_bytes());
                }
                _ => {
                    let v = value
                        .as_i64()
                        .and_then(|v| i32::try_from(v).ok())
                        .ok_or_else(|| invalid(m, field, "expected an integer or a string"))?;
                    put_key(&mut inner, 1, VARINT);
                    put_varint(&mut inner, 0);
                    put_key(&mut inner, 2, VARINT);
                    put_varint(&mut inner, i64::from(v) as u64);
                    put_len(&mut inner, 3, &[]);
                }
            }
            put_len(out, number, &inner);
        }
        Ty::RawJson => {
            let raw =
                serde_json::to_vec(value).map_err(|e| invalid(m, field, format!("cannot serialize: {e}")))?;
            let mut inner = Vec::new();
            put_len(&mut inner, 1, &raw);
            put_len(out, number, &inner);
        }
        Ty::StringList => {
            let items = value
                .as_array()
                .ok_or_else(|| invalid(m, field, "expected an array of strings"))?;
            let mut inner = Vec::new();
            for item in items {
                let s = item
                    .as_str()
                    .ok_or_else(|| invalid(m, field, "expected an array of strings"))?;
                put_len(&mut inner, 1, s.as_bytes());
            }
            put_len(out, number, &inner);
        }
    }
    Ok(())
}
