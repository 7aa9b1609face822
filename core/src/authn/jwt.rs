//! JSON Web Tokens in compact form (`header.claims.signature`, each unpadded base64url):
//! read without trusting them, verified against public keys, written with a signer that
//! the runtime provides (signing wants the system's randomness, which the core has not).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::keys::PublicKey;

/// The most bytes of token read; longer tokens are refused before any decoding.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// A token split and decoded, not yet verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Jwt {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// `header.claims` as sent: what the signature covers.
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// Splits and decodes `token`; `None` for anything that is not a compact JWS whose header
    /// and claims are JSON objects.
    pub fn parse(token: &str) -> Option<Jwt> {
        if token.len() > MAX_TOKEN_LEN || token.starts_with('{') {
            return None;
        }
        let mut parts = token.split('.');
        let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let object = |part: &str| -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
            match serde_json::from_slice(&bytes).ok()? {
                Value::Object(m) => Some(m),
                _ => None,
            }
        };
        Some(Jwt {
            header: object(h)?,
            claims: object(c)?,
            signing_input: format!("{h}.{c}"),
            signature: URL_SAFE_NO_PAD.decode(s).ok()?,
        })
    }

    /// The header's `alg`.
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    /// The header's `kid`, when it names one.
    pub fn kid(&self) -> Option<&str> {
        self.header
            .get("kid")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A numeric date claim (seconds), whole or fractional.
    pub fn claim_time(&self, name: &str) -> Option<i64> {
        let v = self.claims.get(name)?;
        v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
    }

    /// The `aud` claim as a list (a single string is a list of one).
    pub fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether one of `keys` signed this token: the keys named by its `kid` when it names
    /// one, else every key; `alg: none` and algorithms that do not fit the key never verify.
    pub fn verify(&self, keys: &[PublicKey]) -> bool {
        let alg = self.alg();
        let kid = self.kid();
        keys.iter()
            .filter(|k| kid.is_none_or(|kid| k.kid == kid))
            .any(|k| k.verify(alg, self.signing_input.as_bytes(), &self.signature))
    }
}

/// Signs JWS signing inputs with a private key held by the runtime.
pub trait Signer: Send + Sync {
    /// The public half, which names the key (`kid`) and its algorithm.
    fn public_key(&self) -> &PublicKey;

    /// The signature of `message` under the key's algorithm.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String>;
}

/// Writes `claims` as a token signed by `signer`, with kube's header (`alg` and `kid`).
pub fn encode(claims: &Value, signer: &dyn Signer) -> Result<String, String> {
    let key = signer.public_key();
    let header = json!({"alg": key.algorithm(), "kid": key.kid});
    let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).map_err(|e| e.to_string())?);
    let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(|e| e.to_string())?);
    let input = format!("{h}.{c}");
    let sig = signer.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

#[cfg(test)]
pub(crate) mod test_signer {
    //! A signer for tests: a fresh P-256 key, signing with ring.
    use super::*;
    use crate::authn::keys::public_keys_from_pem;

    /// An ES256 signer with a key generated for the test.
    pub struct TestSigner {
        key: ring::signature::EcdsaKeyPair,
        public: PublicKey,
    }

    impl TestSigner {
        /// A new key.
        pub fn new() -> TestSigner {
            let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let rng = ring::rand::SystemRandom::new();
            let key = ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &pair.serialize_der(),
                &rng,
            )
            .unwrap();
            let public = public_keys_from_pem(pair.public_key_pem().as_bytes())
                .unwrap()
                .remove(0);
            TestSigner { key, public }
        }
    }

    impl Signer for TestSigner {
        fn public_key(&self) -> &PublicKey {
            &self.public
        }

        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
            let rng = ring::rand::SystemRandom::new();
            self.key
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "signing failed".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_signer::TestSigner;
    use super::*;

    #[test]
    fn signed_tokens_verify_and_tampered_ones_do_not() {
        let signer = TestSigner::new();
        let token = encode(&json!({"sub": "me", "aud": "x"}), &signer).unwrap();
        let jwt = Jwt::parse(&token).unwrap();
        assert_eq!(jwt.alg(), "ES256");
        assert_eq!(jwt.kid(), Some(signer.public_key().kid.as_str()));
        assert_eq!(jwt.audiences(), vec!["x"]);
        let keys = [signer.public_key().clone()];
        assert!(jwt.verify(&keys));
        // Another key does not verify it.
        assert!(!jwt.verify(&[TestSigner::new().public_key().clone()]));
        // Changed claims under the same signature do not verify.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin","aud":"x"}"#);
        let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
        assert!(!Jwt::parse(&forged).unwrap().verify(&keys));
        // alg none, unsigned.
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert!(!Jwt::parse(&unsigned).unwrap().verify(&keys));
        // Algorithm swapped to one the key does not sign with.
        let hs = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        assert!(!Jwt::parse(&format!("{hs}.{}.{}", parts[1], parts[2]))
            .unwrap()
            .verify(&keys));
    }

    #[test]
    fn malformed_tokens_are_not_tokens() {
        for t in [
            "",
            "a",
            "a.b",
            "a.b.c.d",
            "{}.e30.",
            "e30.W10.",
            "!!.e30.",
            "e30.e30.!!",
        ] {
            assert!(Jwt::parse(t).is_none(), "{t}");
        }
        assert!(Jwt::parse("e30.e30.").is_some());
    }
}
