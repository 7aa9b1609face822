//! X.509 client-certificate authentication, as the Kubernetes API server does it.
//!
//! Gatehouse requests client certificates during the TLS handshake but accepts any of them there
//! (see the `tls` module); the chain is judged here, per request, so that a certificate that is
//! expired or issued by an unknown authority gets `401 Unauthorized` from the HTTP layer instead of
//! a failed handshake. This is pure: DER bytes and the current time go in, no IO happens.
//!
//! The mapping follows the Kubernetes x509 authenticator: the chain must lead to one of the
//! client-CA certificates and be valid for client authentication (an end-entity certificate
//! without an extended-key-usage extension is valid for any purpose), then the user name is the
//! subject's common name and the groups are the subject's organization values, in order.

use std::fmt;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::AttributeTypeAndValue;

/// The identity carried by a verified client certificate.
///
/// Groups are exactly the subject's organization values; the caller adds
/// `system:authenticated` like for every other authenticated identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The subject's common name.
    pub user: String,
    /// The subject's organization values, in certificate order.
    pub groups: Vec<String>,
}

/// Why a presented client certificate chain was refused; the request gets `401 Unauthorized`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientCertError {
    /// A certificate of the chain is not well-formed DER X.509.
    Malformed,
    /// A client-CA certificate is not usable as a trust anchor.
    BadTrustAnchor,
    /// The chain does not lead to any client-CA certificate, or a signature does not verify.
    UnknownAuthority,
    /// A certificate of the chain is past its notAfter time.
    Expired,
    /// A certificate of the chain is before its notBefore time.
    NotYetValid,
    /// The certificate is not valid for client authentication (extended key usage).
    WrongUsage,
    /// The subject holds a common name or organization that is not a readable string.
    BadSubject,
    /// Any other reason the chain is invalid.
    Invalid(String),
}

impl fmt::Display for ClientCertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientCertError::Malformed => f.write_str("x509: malformed certificate"),
            ClientCertError::BadTrustAnchor => {
                f.write_str("x509: client CA certificate is not a usable trust anchor")
            }
            ClientCertError::UnknownAuthority => f.write_str("x509: certificate signed by unknown authority"),
            ClientCertError::Expired | ClientCertError::NotYetValid => {
                f.write_str("x509: certificate has expired or is not yet valid")
            }
            ClientCertError::WrongUsage => {
                f.write_str("x509: certificate specifies an incompatible key usage")
            }
            ClientCertError::BadSubject => f.write_str("x509: certificate subject holds an unreadable name"),
            ClientCertError::Invalid(reason) => write!(f, "x509: invalid certificate: {reason}"),
        }
    }
}

impl std::error::Error for ClientCertError {}

/// Verifies a client certificate chain against the client-CA certificates and maps it to an
/// identity.
///
/// `chain_der` is the chain as the client sent it: end-entity certificate first, then any
/// intermediates. `ca_der` holds the client-CA certificates (DER). `now_unix_secs` is the time the
/// validity periods are checked against.
///
/// Returns `Ok(None)` where the Kubernetes authenticator has no opinion and the request goes on to
/// the other authenticators (and possibly anonymous): no certificate was presented, no client CA is
/// configured, or the verified certificate has an empty common name. Returns `Err` when a
/// certificate was presented and is not acceptable: the request must be answered with 401.
pub fn verify_client_chain<C: AsRef<[u8]>, A: AsRef<[u8]>>(
    chain_der: &[C],
    ca_der: &[A],
    now_unix_secs: i64,
) -> Result<Option<ClientIdentity>, ClientCertError> {
    let Some((leaf, intermediates)) = chain_der.split_first() else {
        return Ok(None);
    };
    if ca_der.is_empty() {
        return Ok(None);
    }

    let ca_certs: Vec<CertificateDer<'_>> = ca_der
        .iter()
        .map(|der| CertificateDer::from(der.as_ref()))
        .collect();
    let anchors = ca_certs
        .iter()
        .map(|cert| webpki::anchor_from_trusted_cert(cert).map_err(|_| ClientCertError::BadTrustAnchor))
        .collect::<Result<Vec<_>, _>>()?;

    let leaf_der = CertificateDer::from(leaf.as_ref());
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|der| CertificateDer::from(der.as_ref()))
        .collect();
    let end_entity = webpki::EndEntityCert::try_from(&leaf_der).map_err(map_webpki_error)?;

    // Times before 1970 cannot be valid for any certificate; clamp instead of failing.
    let seconds = u64::try_from(now_unix_secs).unwrap_or(0);
    let now = UnixTime::since_unix_epoch(Duration::from_secs(seconds));
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediates,
            now,
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(map_webpki_error)?;

    identity_of(leaf.as_ref())
}

/// When the certificate `der` stops being valid (Unix seconds), if it parses.
pub fn not_after(der: &[u8]) -> Option<i64> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(cert.validity().not_after.timestamp())
}

/// The credential id kube 1.32 records for a client certificate: `X509SHA256=` and the
/// hex SHA-256 of its DER.
pub fn credential_id(leaf_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, leaf_der);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("X509SHA256={hex}")
}

/// Reads user and groups from a certificate whose chain was already verified.
fn identity_of(leaf_der: &[u8]) -> Result<Option<ClientIdentity>, ClientCertError> {
    let (_, cert) = X509Certificate::from_der(leaf_der).map_err(|_| ClientCertError::Malformed)?;
    let subject = cert.subject();

    // When several common names are present, the last one wins, as in Kubernetes.
    let mut user = String::new();
    for attribute in subject.iter_common_name() {
        user = attribute_string(attribute)?;
    }
    if user.is_empty() {
        return Ok(None);
    }
    let groups = subject
        .iter_organization()
        .map(attribute_string)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(ClientIdentity { user, groups }))
}

/// Decodes a directory-string attribute value.
fn attribute_string(attribute: &AttributeTypeAndValue<'_>) -> Result<String, ClientCertError> {
    if let Ok(text) = attribute.as_str() {
        return Ok(text.to_owned());
    }
    let value = attribute.attr_value();
    if value.header.tag() == Tag::BmpString {
        let units: Vec<u16> = value
            .data
            .chunks(2)
            .map(|pair| match pair {
                [high, low] => Ok(u16::from_be_bytes([*high, *low])),
                _ => Err(ClientCertError::BadSubject),
            })
            .collect::<Result<_, _>>()?;
        return String::from_utf16(&units).map_err(|_| ClientCertError::BadSubject);
    }
    Err(ClientCertError::BadSubject)
}

fn map_webpki_error(error: webpki::Error) -> ClientCertError {
    use webpki::Error as E;
    match error {
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::MalformedExtensions => ClientCertError::Malformed,
        E::UnknownIssuer
        | E::InvalidSignatureForPublicKey
        | E::SignatureAlgorithmMismatch
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => ClientCertError::UnknownAuthority,
        E::CertExpired { .. } => ClientCertError::Expired,
        E::CertNotValidYet { .. } => ClientCertError::NotYetValid,
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => ClientCertError::WrongUsage,
        other => ClientCertError::Invalid(format!("{other:?}")),
    }
}
