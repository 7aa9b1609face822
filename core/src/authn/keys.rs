//! Public keys that verify JSON Web Signatures: read from PEM (public keys, certificates, or
//! the public half of RSA and EC private keys, as kube's `--service-account-key-file`
//! accepts), named by kube's key id (the unpadded base64url SHA-256 of the key's PKIX DER),
//! published as JWKs, and checked with `ring`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::{digest, signature};
use serde_json::{json, Value};

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

/// An elliptic curve a key may be on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (ES256).
    P256,
    /// NIST P-384 (ES384).
    P384,
}

impl Curve {
    fn oid(self) -> &'static [u8] {
        match self {
            Curve::P256 => OID_P256,
            Curve::P384 => OID_P384,
        }
    }

    fn from_oid(oid: &[u8]) -> Option<Curve> {
        match oid {
            OID_P256 => Some(Curve::P256),
            OID_P384 => Some(Curve::P384),
            _ => None,
        }
    }

    /// The JWS algorithm a key on this curve signs with.
    pub fn algorithm(self) -> &'static str {
        match self {
            Curve::P256 => "ES256",
            Curve::P384 => "ES384",
        }
    }

    fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }

    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
}

/// The key material of a public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    /// RSA.
    Rsa {
        /// The modulus, big-endian without leading zeros.
        n: Vec<u8>,
        /// The public exponent, likewise.
        e: Vec<u8>,
    },
    /// EC.
    Ec {
        /// The curve.
        curve: Curve,
        /// The uncompressed point (`04 || x || y`).
        point: Vec<u8>,
    },
}

/// A verification key and its kube key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// `kid`: unpadded base64url of the SHA-256 of the key's PKIX DER, as kube names keys.
    pub kid: String,
    /// The key.
    pub material: KeyMaterial,
}

impl PublicKey {
    /// A key from its material, named as kube names it.
    pub fn new(material: KeyMaterial) -> PublicKey {
        let der = pkix_der(&material);
        let kid = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &der));
        PublicKey { kid, material }
    }

    /// The JWS algorithm this key signs with (RS256 for RSA, as kube signs).
    pub fn algorithm(&self) -> &'static str {
        match &self.material {
            KeyMaterial::Rsa { .. } => "RS256",
            KeyMaterial::Ec { curve, .. } => curve.algorithm(),
        }
    }

    /// Whether `sig` is this key's signature of `message` under JWS algorithm `alg`. An
    /// algorithm that does not fit the key (or is not one of RS256/384/512, PS256/384/512,
    /// ES256/384) never verifies.
    pub fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            KeyMaterial::Rsa { n, e } => {
                let params: &signature::RsaParameters = match alg {
                    "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                    "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                    "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                    "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                    "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                    "PS512" => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => return false,
                };
                signature::RsaPublicKeyComponents { n, e }
                    .verify(params, message, sig)
                    .is_ok()
            }
            KeyMaterial::Ec { curve, point } => {
                let params: &signature::EcdsaVerificationAlgorithm = match (curve, alg) {
                    (Curve::P256, "ES256") => &signature::ECDSA_P256_SHA256_FIXED,
                    (Curve::P384, "ES384") => &signature::ECDSA_P384_SHA384_FIXED,
                    _ => return false,
                };
                signature::UnparsedPublicKey::new(params, point)
                    .verify(message, sig)
                    .is_ok()
            }
        }
    }

    /// The key as a JWK (`use: sig`), as kube's `/openid/v1/jwks` lists it.
    pub fn jwk(&self) -> Value {
        match &self.material {
            KeyMaterial::Rsa { n, e } => json!({
                "use": "sig",
                "kty": "RSA",
                "kid": self.kid,
                "alg": "RS256",
                "n": URL_SAFE_NO_PAD.encode(n),
                "e": URL_SAFE_NO_PAD.encode(e),
            }),
            KeyMaterial::Ec { curve, point } => {
                let len = curve.coordinate_len();
                let (x, y) = point[1..].split_at(len.min(point.len().saturating_sub(1)));
                json!({
                    "use": "sig",
                    "kty": "EC",
                    "kid": self.kid,
                    "crv": curve.jwk_name(),
                    "alg": curve.algorithm(),
                    "x": URL_SAFE_NO_PAD.encode(x),
                    "y": URL_SAFE_NO_PAD.encode(y),
                })
            }
        }
    }

    /// A key from a JWK (an OIDC issuer's JWKS entry); `None` for kinds it cannot verify.
    pub fn from_jwk(jwk: &Value) -> Option<PublicKey> {
        let b64 = |k: &str| {
            jwk.get(k)
                .and_then(Value::as_str)
                .and_then(|s| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok())
        };
        let material = match jwk.get("kty")?.as_str()? {
            "RSA" => KeyMaterial::Rsa {
                n: strip_zeros(&b64("n")?).to_vec(),
                e: strip_zeros(&b64("e")?).to_vec(),
            },
            "EC" => {
                let curve = match jwk.get("crv")?.as_str()? {
                    "P-256" => Curve::P256,
                    "P-384" => Curve::P384,
                    _ => return None,
                };
                let (x, y) = (b64("x")?, b64("y")?);
                let len = curve.coordinate_len();
                if x.len() != len || y.len() != len {
                    return None;
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                KeyMaterial::Ec { curve, point }
            }
            _ => return None,
        };
        let mut key = PublicKey::new(material);
        if let Some(kid) = jwk.get("kid").and_then(Value::as_str) {
            key.kid = kid.to_string();
        }
        Some(key)
    }
}

/// The public keys in PEM text: `PUBLIC KEY`, `RSA PUBLIC KEY`, `CERTIFICATE`, and the
/// public half of `PRIVATE KEY`, `RSA PRIVATE KEY` and `EC PRIVATE KEY` blocks. An error
/// names the first block that cannot be read; text without any key is an error too.
pub fn public_keys_from_pem(pem: &[u8]) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| format!("reading PEM: {e}"))?;
        if !KEY_LABELS.contains(&block.label.as_str()) {
            continue;
        }
        let key = public_key_of_block(&block.label, &block.contents)
            .ok_or_else(|| format!("the {} block is not a supported key", block.label))?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Err("no public key found (PEM blocks PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE, PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)".into());
    }
    Ok(keys)
}

/// The PEM labels a key is read from.
const KEY_LABELS: &[&str] = &[
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
    "CERTIFICATE",
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
];

/// The public key of one PEM block's DER (`label` as in [`public_keys_from_pem`]); `None`
/// for a label or contents that are not a supported key.
pub fn public_key_of_block(label: &str, der: &[u8]) -> Option<PublicKey> {
    let material = match label {
        "PUBLIC KEY" => from_spki(der),
        "RSA PUBLIC KEY" => from_pkcs1_public(der),
        "CERTIFICATE" => from_certificate(der),
        "PRIVATE KEY" => from_pkcs8(der),
        "RSA PRIVATE KEY" => from_pkcs1_private(der),
        "EC PRIVATE KEY" => from_sec1(der, None),
        _ => None,
    }?;
    Some(PublicKey::new(material))
}

fn from_certificate(der: &[u8]) -> Option<KeyMaterial> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    from_spki(cert.tbs_certificate.subject_pki.raw)
}

/// SubjectPublicKeyInfo: `SEQUENCE { SEQUENCE { algorithm OID, params }, BIT STRING }`.
fn from_spki(der: &[u8]) -> Option<KeyMaterial> {
    let mut spki = Der::new(der).sequence()?;
    let mut alg = spki.sequence()?;
    let oid = alg.take(0x06)?;
    let bits = spki.take(0x03)?;
    let key = bits.strip_prefix(&[0])?;
    match oid {
        OID_RSA => from_pkcs1_public(key),
        OID_EC => {
            let curve = Curve::from_oid(alg.take(0x06)?)?;
            ec_point(curve, key)
        }
        _ => None,
    }
}

/// RSAPublicKey: `SEQUENCE { n INTEGER, e INTEGER }`.
fn from_pkcs1_public(der: &[u8]) -> Option<KeyMaterial> {
    let mut seq = Der::new(der).sequence()?;
    let n = strip_zeros(seq.take(0x02)?).to_vec();
    let e = strip_zeros(seq.take(0x02)?).to_vec();
    (!n.is_empty() && !e.is_empty()).then_some(KeyMaterial::Rsa { n, e })
}

/// RSAPrivateKey: `SEQUENCE { version, n, e, d, ... }`.
fn from_pkcs1_private(der: &[u8]) -> Option<KeyMaterial> {
    let mut seq = Der::new(der).sequence()?;
    seq.take(0x02)?;
    let n = strip_zeros(seq.take(0x02)?).to_vec();
    let e = strip_zeros(seq.take(0x02)?).to_vec();
    (!n.is_empty() && !e.is_empty()).then_some(KeyMaterial::Rsa { n, e })
}

/// PrivateKeyInfo: `SEQUENCE { version, SEQUENCE { OID, params }, OCTET STRING key, ... }`.
fn from_pkcs8(der: &[u8]) -> Option<KeyMaterial> {
    let mut seq = Der::new(der).sequence()?;
    seq.take(0x02)?;
    let mut alg = seq.sequence()?;
    let oid = alg.take(0x06)?;
    let key = seq.take(0x04)?;
    match oid {
        OID_RSA => from_pkcs1_private(key),
        OID_EC => {
            let curve = alg.take(0x06).and_then(Curve::from_oid);
            from_sec1(key, curve)
        }
        _ => None,
    }
}

/// ECPrivateKey: `SEQUENCE { version, OCTET STRING, [0] curve OID, [1] BIT STRING point }`;
/// the curve may come from the PKCS#8 wrapper instead.
fn from_sec1(der: &[u8], curve: Option<Curve>) -> Option<KeyMaterial> {
    let mut seq = Der::new(der).sequence()?;
    seq.take(0x02)?;
    seq.take(0x04)?;
    let mut curve = curve;
    let mut point = None;
    while let Some((tag, value)) = seq.next() {
        match tag {
            0xa0 => curve = Curve::from_oid(Der::new(value).take(0x06)?),
            0xa1 => point = Some(Der::new(value).take(0x03)?.strip_prefix(&[0])?.to_vec()),
            _ => {}
        }
    }
    let point = point?;
    // Without parameters, the point's size tells the curve.
    let curve = curve.or(match point.len() {
        65 => Some(Curve::P256),
        97 => Some(Curve::P384),
        _ => None,
    })?;
    ec_point(curve, &point)
}

fn ec_point(curve: Curve, point: &[u8]) -> Option<KeyMaterial> {
    let ok = point.len() == 1 + 2 * curve.coordinate_len() && point[0] == 4;
    ok.then(|| KeyMaterial::Ec {
        curve,
        point: point.to_vec(),
    })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// A SEC1 EC private key (`EC PRIVATE KEY`) on `curve` wrapped in PKCS#8 (`PRIVATE KEY`),
/// the form signing libraries read.
pub fn sec1_to_pkcs8(sec1: &[u8], curve: Curve) -> Vec<u8> {
    let alg = [tlv(0x06, OID_EC), tlv(0x06, curve.oid())].concat();
    tlv(
        0x30,
        &[tlv(0x02, &[0]), tlv(0x30, &alg), tlv(0x04, sec1)].concat(),
    )
}

/// The key's PKIX (SubjectPublicKeyInfo) DER, as Go's `x509.MarshalPKIXPublicKey` writes it.
fn pkix_der(material: &KeyMaterial) -> Vec<u8> {
    let (alg, key) = match material {
        KeyMaterial::Rsa { n, e } => {
            let alg = [tlv(0x06, OID_RSA), tlv(0x05, &[])].concat();
            let key = tlv(0x30, &[integer(n), integer(e)].concat());
            (alg, key)
        }
        KeyMaterial::Ec { curve, point } => {
            let alg = [tlv(0x06, OID_EC), tlv(0x06, curve.oid())].concat();
            (alg, point.clone())
        }
    };
    let bits = [&[0u8][..], &key].concat();
    tlv(0x30, &[tlv(0x30, &alg), tlv(0x03, &bits)].concat())
}

/// A DER INTEGER of a non-negative big-endian number.
fn integer(n: &[u8]) -> Vec<u8> {
    let n = strip_zeros(n);
    if n.first().is_none_or(|&b| b & 0x80 != 0) {
        tlv(0x02, &[&[0u8][..], n].concat())
    } else {
        tlv(0x02, n)
    }
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(value);
    out
}

/// A reader of consecutive DER elements.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Der { rest }
    }

    /// The next element's tag and contents.
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let len = rest[..count]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, &rest[count..])
        };
        if rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        self.rest = rest;
        Some((tag, value))
    }

    /// The next element's contents, which must have `tag`.
    fn take(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next()? {
            (t, v) if t == tag => Some(v),
            _ => None,
        }
    }

    /// A reader of the next element, a SEQUENCE.
    fn sequence(&mut self) -> Option<Der<'a>> {
        self.take(0x30).map(Der::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_keys_read_from_every_pem_form_agree() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let from_private = public_keys_from_pem(key.serialize_pem().as_bytes()).unwrap();
        let from_public = public_keys_from_pem(key.public_key_pem().as_bytes()).unwrap();
        assert_eq!(from_private, from_public);
        // kube's key id is the base64url SHA-256 of the PKIX DER.
        let der = rcgen::PublicKeyData::subject_public_key_info(&key);
        let want = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &der));
        assert_eq!(from_public[0].kid, want);
        assert_eq!(pkix_der(&from_public[0].material), der);
        let jwk = from_public[0].jwk();
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), from_public[0]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(public_keys_from_pem(b"").is_err());
        assert!(
            public_keys_from_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err()
        );
        for n in 0..64u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37) ^ n).collect();
            let _ = from_spki(&bytes);
            let _ = from_pkcs8(&bytes);
            let _ = from_sec1(&bytes, None);
            let _ = from_pkcs1_private(&bytes);
        }
        assert!(!PublicKey::new(KeyMaterial::Rsa {
            n: vec![1; 256],
            e: vec![1, 0, 1]
        })
        .verify("none", b"m", b""));
    }

    #[test]
    fn der_integers_are_minimal() {
        assert_eq!(integer(&[0, 0, 0x7f]), vec![2, 1, 0x7f]);
        assert_eq!(integer(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(tlv(4, &[0; 200])[..3], [4, 0x81, 200]);
    }
}
