//! Protobuf wire format primitives: varints, field keys and length-delimited slices.

use super::error::ProtobufError;

/// Wire type of varint-encoded scalars (int32, int64, bool, enums).
pub(crate) const VARINT: u8 = 0;
/// Wire type of 8-byte little-endian scalars (double, fixed64).
pub(crate) const FIXED64: u8 = 1;
/// Wire type of strings, bytes, embedded messages and packed repeated scalars.
pub(crate) const LEN: u8 = 2;
/// Wire type of 4-byte little-endian scalars (float, fixed32).
pub(crate) const FIXED32: u8 = 5;

/// A cursor over an encoded message. Every read is bounds-checked, so malformed
/// input yields an error instead of a panic.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// The raw payload of one field occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Len(&'a [u8]),
}

impl Payload<'_> {
    pub(crate) fn wire_type(&self) -> u8 {
        match self {
            Payload::Varint(_) => VARINT,
            Payload::Fixed64(_) => FIXED64,
            Payload::Len(_) => LEN,
            Payload::Fixed32(_) => FIXED32,
        }
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value: u64 = 0;
        for i in 0..10u32 {
            let byte = *self.buf.get(self.pos).ok_or(ProtobufError::Truncated)?;
            self.pos += 1;
            // The tenth byte may only contribute the top bit of a u64.
            if i == 9 && byte > 1 {
                return Err(ProtobufError::VarintOverflow);
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtobufError::VarintOverflow)
    }

    /// Reads an 8-byte little-endian value (an element of a packed double list).
    pub(crate) fn fixed64(&mut self) -> Result<u64, ProtobufError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtobufError> {
        let end = self.pos.checked_add(n).ok_or(ProtobufError::Truncated)?;
        let out = self.buf.get(self.pos..end).ok_or(ProtobufError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    /// Reads the next field: its number and payload.
    pub(crate) fn field(&mut self) -> Result<(u32, Payload<'a>), ProtobufError> {
        let key = self.varint()?;
        let wire_type = (key & 7) as u8;
        let number = key >> 3;
        let invalid = ProtobufError::InvalidKey {
            field_number: number,
            wire_type,
        };
        // Field numbers are at most 2^29-1 in protobuf.
        let number = match u32::try_from(number) {
            Ok(n) if n != 0 && n < (1 << 29) => n,
            _ => return Err(invalid),
        };
        let payload = match wire_type {
            VARINT => Payload::Varint(self.varint()?),
            FIXED64 => Payload::Fixed64(self.fixed64()?),
            LEN => {
                let len = self.varint()?;
                let len = usize::try_from(len).map_err(|_| ProtobufError::Truncated)?;
                Payload::Len(self.take(len)?)
            }
            FIXED32 => {
                let b = self.take(4)?;
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                Payload::Fixed32(u32::from_le_bytes(a))
            }
            // Groups (3, 4) are never produced by Kubernetes; 6 and 7 are reserved.
            _ => return Err(invalid),
        };
        Ok((number, payload))
    }
}

/// Appends `value` as a varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a field key.
pub(crate) fn put_key(out: &mut Vec<u8>, number: u32, wire_type: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire_type));
}

/// Appends a length-delimited field.
pub(crate) fn put_len(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_key(out, number, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX, (-1i64) as u64] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.varint(), Ok(v));
            assert!(r.is_empty());
        }
    }

    #[test]
    fn overlong_varint_is_rejected() {
        let bytes = [0xffu8; 11];
        assert_eq!(Reader::new(&bytes).varint(), Err(ProtobufError::VarintOverflow));
        let ten = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Reader::new(&ten).varint(), Err(ProtobufError::VarintOverflow));
    }

    #[test]
    fn truncated_inputs_are_errors() {
        assert_eq!(Reader::new(&[0x80]).varint(), Err(ProtobufError::Truncated));
        // Length prefix longer than the remaining input.
        assert_eq!(
            Reader::new(&[0x0a, 0x05, b'a']).field(),
            Err(ProtobufError::Truncated)
        );
        assert_eq!(
            Reader::new(&[0x09, 1, 2, 3]).field(),
            Err(ProtobufError::Truncated)
        );
        // A huge length must not be trusted for allocation or slicing.
        let mut huge = vec![0x0a];
        put_varint(&mut huge, u64::MAX >> 1);
        assert_eq!(Reader::new(&huge).field(), Err(ProtobufError::Truncated));
    }

    #[test]
    fn invalid_keys_are_errors() {
        // Field number 0.
        assert!(matches!(
            Reader::new(&[0x02, 0x00]).field(),
            Err(ProtobufError::InvalidKey { .. })
        ));
        // Start-group wire type.
        assert!(matches!(
            Reader::new(&[0x0b]).field(),
            Err(ProtobufError::InvalidKey { .. })
        ));
    }

    #[test]
    fn reads_each_wire_type() {
        let mut buf = Vec::new();
        put_key(&mut buf, 1, VARINT);
        put_varint(&mut buf, 150);
        put_key(&mut buf, 2, FIXED64);
        buf.extend_from_slice(&1.5f64.to_le_bytes());
        put_len(&mut buf, 3, b"hi");
        put_key(&mut buf, 4, FIXED32);
        buf.extend_from_slice(&7u32.to_le_bytes());
        let mut r = Reader::new(&buf);
        assert_eq!(r.field(), Ok((1, Payload::Varint(150))));
        assert_eq!(r.field(), Ok((2, Payload::Fixed64(1.5f64.to_bits()))));
        assert_eq!(r.field(), Ok((3, Payload::Len(b"hi"))));
        assert_eq!(r.field(), Ok((4, Payload::Fixed32(7))));
        assert!(r.is_empty());
    }
}
