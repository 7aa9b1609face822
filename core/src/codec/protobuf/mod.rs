//! The Kubernetes protobuf wire encoding (`application/vnd.kubernetes.protobuf`).
//!
//! kubectl 1.32+ and client-go typed clients send request bodies for built-in kinds in this
//! encoding. A body is the 4-byte magic `k8s\0` followed by a protobuf `runtime.Unknown`:
//!
//! ```text
//! Unknown { 1: TypeMeta { 1: apiVersion, 2: kind }, 2: raw, 3: contentEncoding, 4: contentType }
//! ```
//!
//! where `raw` is the versioned object encoded per the upstream `generated.proto` files.
//! [`decode`] turns such a body into the same `serde_json::Value` the JSON encoding of the
//! object would be, so the rest of Gatehouse only ever handles JSON. [`encode`] is the
//! inverse, for serving protobuf responses.
//!
//! Both directions are driven by one static table of message descriptors (`types/`), so
//! supporting another kind means describing its messages once.

mod decode;
mod descriptor;
mod encode;
mod error;
pub(crate) mod time;
mod types;
mod wire;

use serde_json::{Map, Value};

pub use self::error::ProtobufError;
use self::wire::{Payload, Reader, LEN};

/// The prefix of every Kubernetes protobuf body.
pub const MAGIC: [u8; 4] = *b"k8s\0";

/// The media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// A decoded protobuf body.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// `apiVersion` from the envelope, e.g. `"v1"` or `"apps/v1"`.
    pub api_version: String,
    /// `kind` from the envelope, e.g. `"ConfigMap"`.
    pub kind: String,
    /// The object as JSON, with `kind` and `apiVersion` set.
    pub object: Value,
}

/// Decodes a protobuf request body (including the `k8s\0` magic) into JSON.
///
/// Fails with [`ProtobufError::UnknownKind`] when Gatehouse has no schema for the
/// envelope's apiVersion and kind, and with another variant when the bytes are malformed.
pub fn decode(body: &[u8]) -> Result<Decoded, ProtobufError> {
    let envelope = body.strip_prefix(&MAGIC[..]).ok_or(ProtobufError::MissingMagic)?;
    let unknown = read_unknown(envelope)?;
    if !unknown.content_encoding.is_empty() {
        return Err(ProtobufError::UnsupportedEncoding(format!(
            "contentEncoding {:?}",
            unknown.content_encoding
        )));
    }
    if !unknown.content_type.is_empty() && unknown.content_type != CONTENT_TYPE {
        return Err(ProtobufError::UnsupportedEncoding(format!(
            "contentType {:?}",
            unknown.content_type
        )));
    }
    if unknown.api_version.is_empty() || unknown.kind.is_empty() {
        return Err(ProtobufError::MissingTypeMeta);
    }
    let unknown_kind = || ProtobufError::UnknownKind {
        api_version: unknown.api_version.clone(),
        kind: unknown.kind.clone(),
    };
    let fields = match types::root_message(&unknown.api_version, &unknown.kind) {
        Some(root) => decode::decode_message(root, unknown.raw, 0)?,
        None => {
            let item = unknown
                .kind
                .strip_suffix("List")
                .and_then(|k| types::root_message(&unknown.api_version, k))
                .ok_or_else(unknown_kind)?;
            decode_list(item, unknown.raw)?
        }
    };
    let mut object = Map::new();
    object.insert("kind".to_owned(), Value::String(unknown.kind.clone()));
    object.insert(
        "apiVersion".to_owned(),
        Value::String(unknown.api_version.clone()),
    );
    object.extend(fields);
    Ok(Decoded {
        api_version: unknown.api_version,
        kind: unknown.kind,
        object: Value::Object(object),
    })
}

/// Encodes a JSON object (which must carry `apiVersion` and `kind`) as a protobuf body,
/// magic included. JSON fields the schema does not describe are dropped.
pub fn encode(object: &Value) -> Result<Vec<u8>, ProtobufError> {
    let obj = object.as_object().ok_or(ProtobufError::MissingTypeMeta)?;
    let text = |key: &str| obj.get(key).and_then(Value::as_str).unwrap_or_default();
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    if api_version.is_empty() || kind.is_empty() {
        return Err(ProtobufError::MissingTypeMeta);
    }
    let unknown = || ProtobufError::UnknownKind {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
    };
    let raw = match types::root_message(api_version, kind) {
        Some(root) => encode::encode_message(root, obj, 0)?,
        None => {
            // `<Kind>List`: ListMeta (1) and the items (2), each as its kind's message.
            let item = kind
                .strip_suffix("List")
                .and_then(|k| types::root_message(api_version, k))
                .ok_or_else(unknown)?;
            let mut raw = Vec::new();
            let empty = serde_json::Map::new();
            let meta = obj.get("metadata").and_then(Value::as_object).unwrap_or(&empty);
            wire::put_len(
                &mut raw,
                1,
                &encode::encode_message(&types::meta::LIST_META, meta, 0)?,
            );
            for it in obj.get("items").and_then(Value::as_array).into_iter().flatten() {
                let it = it.as_object().ok_or_else(unknown)?;
                wire::put_len(&mut raw, 2, &encode::encode_message(item, it, 0)?);
            }
            raw
        }
    };

    let mut type_meta = Vec::new();
    wire::put_len(&mut type_meta, 1, api_version.as_bytes());
    wire::put_len(&mut type_meta, 2, kind.as_bytes());
    let mut out = MAGIC.to_vec();
    wire::put_len(&mut out, 1, &type_meta);
    wire::put_len(&mut out, 2, &raw);
    // Upstream always writes the (empty) contentEncoding and contentType.
    wire::put_len(&mut out, 3, &[]);
    wire::put_len(&mut out, 4, &[]);
    Ok(out)
}

/// Whether objects of this apiVersion and kind have a protobuf form.
pub fn supports(api_version: &str, kind: &str) -> bool {
    types::root_message(api_version, kind).is_some()
}

/// One event of a protobuf watch stream (`application/vnd.kubernetes.protobuf;stream=watch`):
/// a 4-byte big-endian length, then a bare `metav1.WatchEvent` (type 1, object 2 as a
/// RawExtension whose raw bytes (1) are the object's full protobuf body, magic included).
pub fn encode_watch_event(event_type: &str, object: &Value) -> Result<Vec<u8>, ProtobufError> {
    let mut raw_extension = Vec::new();
    wire::put_len(&mut raw_extension, 1, &encode(object)?);
    let mut event = Vec::new();
    wire::put_len(&mut event, 1, event_type.as_bytes());
    wire::put_len(&mut event, 2, &raw_extension);
    let len = u32::try_from(event.len()).map_err(|_| ProtobufError::InvalidValue {
        message: "WatchEvent",
        field: "object",
        reason: "larger than a frame can say".into(),
    })?;
    let mut out = Vec::with_capacity(4 + event.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&event);
    Ok(out)
}

/// Splits the first frame off a protobuf watch stream and decodes it: the event type and
/// its object, and the bytes after the frame. `Ok(None)` when no whole frame is there yet.
pub fn decode_watch_event(stream: &[u8]) -> Result<Option<(WatchEvent, &[u8])>, ProtobufError> {
    let Some((len, rest)) = stream.split_first_chunk::<4>() else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(*len) as usize;
    if rest.len() < len {
        return Ok(None);
    }
    let (event, after) = rest.split_at(len);
    let (mut event_type, mut object) = (String::new(), None);
    let mut reader = Reader::new(event);
    while !reader.is_empty() {
        match reader.field()? {
            (1, Payload::Len(b)) => event_type = String::from_utf8_lossy(b).into_owned(),
            (2, Payload::Len(raw_extension)) => {
                let mut inner = Reader::new(raw_extension);
                while !inner.is_empty() {
                    if let (1, Payload::Len(raw)) = inner.field()? {
                        object = Some(decode(raw)?);
                    }
                }
            }
            _ => {}
        }
    }
    let object = object.ok_or(ProtobufError::MissingTypeMeta)?;
    Ok(Some((WatchEvent { event_type, object }, after)))
}

/// One decoded event of a protobuf watch stream.
#[derive(Debug)]
pub struct WatchEvent {
    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
    pub event_type: String,
    /// The object the event carries (a `Status` for `ERROR`).
    pub object: Decoded,
}

/// The fields of a `<Kind>List`: ListMeta (1) and repeated items (2).
fn decode_list(item: &'static descriptor::Message, raw: &[u8]) -> Result<Map<String, Value>, ProtobufError> {
    let mut meta = Map::new();
    let mut items = Vec::new();
    let mut reader = Reader::new(raw);
    while !reader.is_empty() {
        match reader.field()? {
            (1, Payload::Len(b)) => meta = decode::decode_message(&types::meta::LIST_META, b, 0)?,
            (2, Payload::Len(b)) => items.push(Value::Object(decode::decode_message(item, b, 1)?)),
            // Unknown fields are skipped, as protobuf readers do.
            _ => {}
        }
    }
    let mut out = Map::new();
    out.insert("metadata".into(), Value::Object(meta));
    out.insert("items".into(), Value::Array(items));
    Ok(out)
}

/// The fields of the `runtime.Unknown` envelope.
struct Unknown<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
    content_encoding: String,
    content_type: String,
}

fn envelope_bytes<'a>(field: &'static str, payload: Payload<'a>) -> Result<&'a [u8], ProtobufError> {
    match payload {
        Payload::Len(bytes) => Ok(bytes),
        other => Err(ProtobufError::WireTypeMismatch {
            message: "Unknown",
            field,
            expected: LEN,
            actual: other.wire_type(),
        }),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_unknown(buf: &[u8]) -> Result<Unknown<'_>, ProtobufError> {
    let mut unknown = Unknown {
        api_version: String::new(),
        kind: String::new(),
        raw: &[],
        content_encoding: String::new(),
        content_type: String::new(),
    };
    let mut reader = Reader::new(buf);
    while !reader.is_empty() {
        match reader.field()? {
            (1, p) => {
                let mut tm = Reader::new(envelope_bytes("typeMeta", p)?);
                while !tm.is_empty() {
                    match tm.field()? {
                        (1, p) => unknown.api_version = lossy(envelope_bytes("apiVersion", p)?),
                        (2, p) => unknown.kind = lossy(envelope_bytes("kind", p)?),
                        _ => {}
                    }
                }
            }
            (2, p) => unknown.raw = envelope_bytes("raw", p)?,
            (3, p) => unknown.content_encoding = lossy(envelope_bytes("contentEncoding", p)?),
            (4, p) => unknown.content_type = lossy(envelope_bytes("contentType", p)?),
            _ => {}
        }
    }
    Ok(unknown)
}

#[cfg(test)]
mod tests;
