//! Client-certificate verification against certificates minted by the PKI module.

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use crate::pki::{issue_client_cert, new_ca, CertKeyPem};
    use gatehouse_core::authn::x509::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn der(pem: &CertKeyPem) -> Vec<u8> {
        let mut reader = pem.cert_pem.as_bytes();
        let first = rustls_pemfile::certs(&mut reader).next();
        first.unwrap().unwrap().to_vec()
    }

    fn secs(t: SystemTime) -> i64 {
        i64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
    }

    #[test]
    fn accepts_a_certificate_from_the_client_ca() {
        let ca = new_ca("client-ca").unwrap();
        let now = SystemTime::now();
        let cert =
            issue_client_cert(&ca, "kubernetes-admin", &["system:masters"], now - DAY, now + DAY).unwrap();
        let identity = verify_client_chain(&[der(&cert)], &[der(&ca)], secs(now)).unwrap();
        assert_eq!(
            identity,
            Some(ClientIdentity {
                user: "kubernetes-admin".to_owned(),
                groups: vec!["system:masters".to_owned()],
            })
        );
        // Any of several client CAs will do.
        let other = new_ca("other").unwrap();
        let identity = verify_client_chain(&[der(&cert)], &[der(&other), der(&ca)], secs(now)).unwrap();
        assert!(identity.is_some());
    }

    #[test]
    fn refuses_another_authority_expired_and_not_yet_valid() {
        let ca = new_ca("client-ca").unwrap();
        let foreign_ca = new_ca("client-ca").unwrap();
        let now = SystemTime::now();
        let foreign = issue_client_cert(&foreign_ca, "eve", &[], now - DAY, now + DAY).unwrap();
        assert_eq!(
            verify_client_chain(&[der(&foreign)], &[der(&ca)], secs(now)),
            Err(ClientCertError::UnknownAuthority)
        );

        let cert = issue_client_cert(&ca, "bob", &[], now - DAY, now + DAY).unwrap();
        assert_eq!(
            verify_client_chain(&[der(&cert)], &[der(&ca)], secs(now + 2 * DAY)),
            Err(ClientCertError::Expired)
        );
        assert_eq!(
            verify_client_chain(&[der(&cert)], &[der(&ca)], secs(now - 2 * DAY)),
            Err(ClientCertError::NotYetValid)
        );
        assert_eq!(
            ClientCertError::Expired.to_string(),
            "x509: certificate has expired or is not yet valid"
        );
    }

    #[test]
    fn refuses_garbage_and_ca_certificates_as_clients() {
        let ca = new_ca("client-ca").unwrap();
        let now = secs(SystemTime::now());
        for garbage in [vec![], vec![0u8; 10], vec![0x30, 0x82, 0xff, 0xff, 0x00]] {
            assert_eq!(
                verify_client_chain(&[garbage], &[der(&ca)], now),
                Err(ClientCertError::Malformed)
            );
        }
        assert!(verify_client_chain(&[der(&ca)], &[der(&ca)], now).is_err());
        assert_eq!(
            verify_client_chain(&[der(&ca)], &[vec![1u8, 2, 3]], now),
            Err(ClientCertError::BadTrustAnchor)
        );
    }

    #[test]
    fn no_opinion_without_certificate_ca_or_common_name() {
        let ca = new_ca("client-ca").unwrap();
        let now = SystemTime::now();
        let no_chain: [Vec<u8>; 0] = [];
        assert_eq!(verify_client_chain(&no_chain, &[der(&ca)], secs(now)), Ok(None));
        let cert = issue_client_cert(&ca, "bob", &[], now - DAY, now + DAY).unwrap();
        let no_ca: [Vec<u8>; 0] = [];
        assert_eq!(verify_client_chain(&[der(&cert)], &no_ca, secs(now)), Ok(None));
        let nameless = issue_client_cert(&ca, "", &["g"], now - DAY, now + DAY).unwrap();
        assert_eq!(
            verify_client_chain(&[der(&nameless)], &[der(&ca)], secs(now)),
            Ok(None)
        );
        // A negative clock is clamped, and then nothing is valid yet.
        assert_eq!(
            verify_client_chain(&[der(&cert)], &[der(&ca)], -5),
            Err(ClientCertError::NotYetValid)
        );
    }
}
