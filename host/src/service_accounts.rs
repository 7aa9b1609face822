//! Service-account token keys: the signing key (`--service-account-signing-key-file`, or one
//! generated under the data directory for the zero-setup start), the verification keys
//! (`--service-account-key-file`), and a signer over `ring` for the core's TokenRequest.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gatehouse_core::authn::jwt::Signer;
use gatehouse_core::authn::keys::{
    public_key_of_block, public_keys_from_pem, sec1_to_pkcs8, KeyMaterial, PublicKey,
};
use gatehouse_core::authn::serviceaccount::Config;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};

use crate::error::HostError;
use crate::flags::{parse_duration_ms, Flags};

/// The issuer of the zero-setup start (kubeadm's).
pub const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// The longest `--service-account-max-token-expiration` kube accepts (2^32 s).
const MAX_EXPIRATION_LIMIT_SECS: i64 = 1 << 32;

fn invalid(what: &str, reason: impl Into<String>) -> HostError {
    HostError::Invalid {
        what: what.to_string(),
        reason: reason.into(),
    }
}

/// The service-account configuration the flags describe.
pub fn config(flags: &Flags, data_dir: &Path) -> Result<Config, HostError> {
    let issuers = if flags.service_account_issuer.is_empty() {
        vec![DEFAULT_ISSUER.to_string()]
    } else {
        flags.service_account_issuer.clone()
    };
    for issuer in &issuers {
        if issuer.is_empty() {
            return Err(invalid(
                "--service-account-issuer",
                "service-account-issuer should not be an empty string",
            ));
        }
    }
    let signing_path = match &flags.service_account_signing_key_file {
        Some(p) => p.clone(),
        None => generated_key(data_dir)?,
    };
    let signing_pem = std::fs::read(&signing_path).map_err(|e| HostError::io(&signing_path, e))?;
    let signer = KeySigner::from_pem(&signing_pem).map_err(|e| {
        invalid(
            "--service-account-signing-key-file",
            format!("{}: {e}", signing_path.display()),
        )
    })?;
    let keys = if flags.service_account_key_file.is_empty() {
        vec![signer.public.clone()]
    } else {
        let mut keys = Vec::new();
        for path in &flags.service_account_key_file {
            let pem = std::fs::read(path).map_err(|e| HostError::io(path, e))?;
            let found = public_keys_from_pem(&pem)
                .map_err(|e| invalid("--service-account-key-file", format!("{}: {e}", path.display())))?;
            keys.extend(found);
        }
        keys
    };
    let max_expiration_secs = parse_duration_ms(&flags.service_account_max_token_expiration)
        .map(|ms| (ms / 1000) as i64)
        .ok_or_else(|| {
            invalid(
                "--service-account-max-token-expiration",
                flags.service_account_max_token_expiration.clone(),
            )
        })?;
    if max_expiration_secs != 0 && !(3600..=MAX_EXPIRATION_LIMIT_SECS).contains(&max_expiration_secs) {
        return Err(invalid(
            "--service-account-max-token-expiration",
            "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds",
        ));
    }
    let api_audiences = if flags.api_audiences.is_empty() {
        issuers.clone()
    } else {
        flags.api_audiences.clone()
    };
    Ok(Config {
        issuers,
        api_audiences,
        keys,
        signer: Some(Arc::new(signer)),
        max_expiration_secs,
        extend_expiration: flags.service_account_extend_token_expiration,
        jwks_uri: flags.service_account_jwks_uri.clone(),
    })
}

/// `<data-dir>/pki/sa.key`, made (an ECDSA P-256 key) when it is not there yet.
fn generated_key(data_dir: &Path) -> Result<PathBuf, HostError> {
    let dir = data_dir.join("pki");
    let path = dir.join("sa.key");
    if path.exists() {
        return Ok(path);
    }
    crate::pki::create_private_dir(&dir)?;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| HostError::Generate(e.to_string()))?;
    crate::pki::write_key_file(&path, key.serialize_pem().as_bytes())?;
    Ok(path)
}

/// A private key that signs tokens.
pub struct KeySigner {
    key: Key,
    public: PublicKey,
    rng: SystemRandom,
}

enum Key {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl KeySigner {
    /// The first private key in `pem`: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or
    /// SEC1 (`EC PRIVATE KEY`), RSA or ECDSA P-256/P-384.
    pub fn from_pem(pem: &[u8]) -> Result<KeySigner, String> {
        let rng = SystemRandom::new();
        for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
            let block = block.map_err(|e| format!("reading PEM: {e}"))?;
            let der = block.contents.as_slice();
            if !matches!(
                block.label.as_str(),
                "RSA PRIVATE KEY" | "PRIVATE KEY" | "EC PRIVATE KEY"
            ) {
                continue;
            }
            let public = public_key_of_block(&block.label, der)
                .ok_or_else(|| format!("the {} block is not a supported key", block.label))?;
            let key = match &public.material {
                KeyMaterial::Rsa { .. } if block.label == "RSA PRIVATE KEY" => {
                    RsaKeyPair::from_der(der).map(Key::Rsa)
                }
                KeyMaterial::Rsa { .. } => RsaKeyPair::from_pkcs8(der).map(Key::Rsa),
                KeyMaterial::Ec { curve, .. } => {
                    let alg = match curve.algorithm() {
                        "ES384" => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                        _ => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    };
                    let pkcs8 = if block.label == "EC PRIVATE KEY" {
                        sec1_to_pkcs8(der, *curve)
                    } else {
                        der.to_vec()
                    };
                    EcdsaKeyPair::from_pkcs8(alg, &pkcs8, &rng).map(Key::Ec)
                }
            }
            .map_err(|e| e.to_string())?;
            return Ok(KeySigner { key, public, rng });
        }
        Err("no private key found (PEM blocks PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)".into())
    }
}

impl Signer for KeySigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        match &self.key {
            Key::Rsa(k) => {
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| "RSA signing failed".to_string())?;
                Ok(sig)
            }
            Key::Ec(k) => k
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "ECDSA signing failed".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::authn::jwt::{encode, Jwt};

    #[test]
    fn generated_and_sec1_keys_sign_tokens_their_public_keys_verify() {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let pkcs8 = pair.serialize_pem();
        let signer = KeySigner::from_pem(pkcs8.as_bytes()).unwrap();
        let token = encode(&serde_json::json!({"sub": "x"}), &signer).unwrap();
        let keys = public_keys_from_pem(pair.public_key_pem().as_bytes()).unwrap();
        assert!(Jwt::parse(&token).unwrap().verify(&keys));

        // The same key as SEC1 (`EC PRIVATE KEY`): the private key inside PKCS#8's OCTET STRING.
        let der = pair.serialize_der();
        let sec1 = inner_octets(&der);
        let signer = KeySigner::from_pem(pem_block("EC PRIVATE KEY", &sec1).as_bytes()).unwrap();
        assert_eq!(signer.public_key(), &keys[0]);
        let token = encode(&serde_json::json!({"sub": "y"}), &signer).unwrap();
        assert!(Jwt::parse(&token).unwrap().verify(&keys));
    }

    #[test]
    fn not_a_private_key_is_refused() {
        assert!(KeySigner::from_pem(b"").is_err());
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        assert!(KeySigner::from_pem(pair.public_key_pem().as_bytes()).is_err());
    }

    fn pem_block(label: &str, der: &[u8]) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str(&format!("-----END {label}-----\n"));
        out
    }

    /// The OCTET STRING of a PKCS#8 PrivateKeyInfo (version, algorithm, then the key).
    fn inner_octets(der: &[u8]) -> Vec<u8> {
        let mut i = 2; // SEQUENCE header (short form for a P-256 key)
        for _ in 0..2 {
            let len = der[i + 1] as usize;
            i += 2 + len;
        }
        assert_eq!(der[i], 0x04);
        let len = der[i + 1] as usize;
        der[i + 2..i + 2 + len].to_vec()
    }
}
