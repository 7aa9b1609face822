//! The TLS configuration of the Gatehouse API server.
//!
//! Like the Kubernetes API server, Gatehouse *requests* a client certificate during the handshake
//! but does not judge it there: any well-formed certificate is accepted (the client must still
//! prove it holds the key), and a client may send none at all so that bearer-token and anonymous
//! requests work. The chain is verified per request by [`gatehouse_core::authn::x509::verify_client_chain`],
//! so an expired certificate or one from an unknown authority gets `401 Unauthorized` from the
//! HTTP layer, not a handshake failure.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::HostError;

/// The only application protocol offered: Gatehouse speaks HTTP/1.1.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The crypto provider Gatehouse uses everywhere (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the API server's TLS configuration.
///
/// TLS 1.3 and 1.2, ALPN `http/1.1`. With `client_ca_pem`, client certificates are requested
/// (the client-CA subjects are sent as hints) and accepted whatever their issuer or validity;
/// verify them per request with [`gatehouse_core::authn::x509::verify_client_chain`]. Without it, no
/// client certificate is requested.
pub fn server_config(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: Option<&[u8]>,
) -> Result<Arc<ServerConfig>, HostError> {
    let chain = certs_from_pem(cert_chain_pem, "serving certificate")?;
    let key = key_from_pem(key_pem, "serving private key")?;
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let builder = match client_ca_pem {
        Some(pem) => {
            let verifier = RequestClientCert::new(pem, provider.signature_verification_algorithms)?;
            builder.with_client_cert_verifier(Arc::new(verifier))
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// The serving TLS configuration, rebuilt when the client CA changes: the CAs a server
/// names in its certificate request are how Go clients choose the certificate to offer, so
/// a CA added to `--client-ca-file` must be named from then on. Each handshake takes the
/// configuration current when it starts.
pub struct ServingTls {
    current: std::sync::RwLock<Arc<ServerConfig>>,
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    /// The front proxy's CA, named beside the client CA.
    proxy_ca_pem: Option<Vec<u8>>,
}

impl ServingTls {
    /// Serves `cert_pem` with `key_pem`, naming `client_ca_pem` and `proxy_ca_pem`.
    pub fn new(
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
        client_ca_pem: Option<&[u8]>,
        proxy_ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, HostError> {
        let config = Self::build(&cert_pem, &key_pem, client_ca_pem, proxy_ca_pem.as_deref())?;
        Ok(ServingTls {
            current: std::sync::RwLock::new(config),
            cert_pem,
            key_pem,
            proxy_ca_pem,
        })
    }

    fn build(
        cert: &[u8],
        key: &[u8],
        client_ca: Option<&[u8]>,
        proxy_ca: Option<&[u8]>,
    ) -> Result<Arc<ServerConfig>, HostError> {
        // Clients pick their certificate by the CAs the server names: both are named.
        let acceptable = match (client_ca, proxy_ca) {
            (Some(ca), Some(proxy)) => Some([ca, b"\n", proxy].concat()),
            (Some(ca), None) => Some(ca.to_vec()),
            (None, Some(proxy)) => Some(proxy.to_vec()),
            (None, None) => None,
        };
        server_config(cert, key, acceptable.as_deref())
    }

    /// The configuration for a handshake starting now.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Names the CAs of `client_ca_pem` from now on.
    pub fn set_client_ca(&self, client_ca_pem: &[u8]) -> Result<(), HostError> {
        let config = Self::build(
            &self.cert_pem,
            &self.key_pem,
            Some(client_ca_pem),
            self.proxy_ca_pem.as_deref(),
        )?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = config;
        Ok(())
    }
}

/// Builds a client configuration trusting `ca_pem`, optionally presenting a client certificate
/// (`(cert_chain_pem, key_pem)`); for in-process clients and tests of a Gatehouse server.
pub fn client_config(
    ca_pem: &[u8],
    client_cert: Option<(&[u8], &[u8])>,
) -> Result<Arc<ClientConfig>, HostError> {
    let mut roots = RootCertStore::empty();
    for cert in certs_from_pem(ca_pem, "CA certificate")? {
        roots.add(cert)?;
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_root_certificates(roots);
    let mut config = match client_cert {
        Some((cert_pem, key_pem)) => builder.with_client_auth_cert(
            certs_from_pem(cert_pem, "client certificate")?,
            key_from_pem(key_pem, "client private key")?,
        )?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// Reads a certificate file and a private-key file (both PEM) and returns their contents.
pub fn load_pem_files(cert: &Path, key: &Path) -> Result<(Vec<u8>, Vec<u8>), HostError> {
    let cert_pem = std::fs::read(cert).map_err(|e| HostError::io(cert, e))?;
    let key_pem = std::fs::read(key).map_err(|e| HostError::io(key, e))?;
    Ok((cert_pem, key_pem))
}

/// All certificates of a PEM document, in order; an error if there is none.
///
/// `what` names the document in error messages. Also turns a client-CA bundle into the DER list
/// that [`gatehouse_core::authn::x509::verify_client_chain`] takes.
pub fn certs_from_pem(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, HostError> {
    let mut reader = pem;
    let certs = rustls_pemfile::certs(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HostError::pem(what, e.to_string()))?;
    if certs.is_empty() {
        return Err(HostError::pem(what, "no CERTIFICATE block found"));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) of a PEM document.
pub fn key_from_pem(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, HostError> {
    let mut reader = pem;
    rustls_pemfile::private_key(&mut reader)
        .map_err(|e| HostError::pem(what, e.to_string()))?
        .ok_or_else(|| HostError::pem(what, "no PRIVATE KEY block found"))
}

/// Requests a client certificate and accepts any well-formed one; the chain is judged per
/// request, where a bad certificate becomes `401 Unauthorized`.
#[derive(Debug)]
struct RequestClientCert {
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl RequestClientCert {
    fn new(client_ca_pem: &[u8], algorithms: WebPkiSupportedAlgorithms) -> Result<Self, HostError> {
        let hints = certs_from_pem(client_ca_pem, "client CA")?
            .iter()
            .map(|der| {
                X509Certificate::from_der(der)
                    .map(|(_, cert)| DistinguishedName::from(cert.subject().as_raw().to_vec()))
                    .map_err(|e| HostError::pem("client CA", e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(RequestClientCert { hints, algorithms })
    }
}

impl ClientCertVerifier for RequestClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Certificates that do not even parse end the handshake, as in Kubernetes.
        let well_formed = std::iter::once(end_entity)
            .chain(intermediates)
            .all(|der| X509Certificate::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()));
        if !well_formed {
            return Err(rustls::Error::InvalidCertificate(CertificateError::BadEncoding));
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use rustls::pki_types::ServerName;
    use rustls::{ClientConnection, ServerConnection};

    use super::*;
    use crate::pki::{issue_client_cert, new_ca, CertKeyPem};
    use gatehouse_core::authn::x509::{verify_client_chain, ClientCertError, ClientIdentity};

    struct Fixture {
        ca: CertKeyPem,
        serving: CertKeyPem,
    }

    fn fixture() -> Fixture {
        let dir = std::env::temp_dir().join(format!(
            "gatehouse-tls-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let pki = crate::pki::ensure_pki(&dir, &[], SystemTime::now()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        Fixture {
            ca: pki.ca,
            serving: pki.serving,
        }
    }

    fn now_secs() -> i64 {
        i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
    }

    /// Moves TLS records between the two ends until both finished the handshake.
    fn handshake(client: &mut ClientConnection, server: &mut ServerConnection) -> Result<(), rustls::Error> {
        for _ in 0..20 {
            let mut buf = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut buf).unwrap();
            }
            if !buf.is_empty() {
                server.read_tls(&mut buf.as_slice()).unwrap();
                server.process_new_packets()?;
            }
            buf.clear();
            while server.wants_write() {
                server.write_tls(&mut buf).unwrap();
            }
            if !buf.is_empty() {
                client.read_tls(&mut buf.as_slice()).unwrap();
                client.process_new_packets()?;
            }
            if !client.is_handshaking() && !server.is_handshaking() && !client.wants_write() {
                return Ok(());
            }
        }
        panic!("handshake did not finish");
    }

    fn connect(
        server_config: Arc<ServerConfig>,
        client_config: Arc<ClientConfig>,
        name: &str,
    ) -> Result<(ClientConnection, ServerConnection), rustls::Error> {
        let name = ServerName::try_from(name.to_owned()).unwrap();
        let mut client = ClientConnection::new(client_config, name)?;
        let mut server = ServerConnection::new(server_config)?;
        handshake(&mut client, &mut server)?;
        Ok((client, server))
    }

    fn peer_chain(server: &ServerConnection) -> Vec<Vec<u8>> {
        server
            .peer_certificates()
            .map(|certs| certs.iter().map(|c| c.to_vec()).collect())
            .unwrap_or_default()
    }

    fn ca_ders(ca: &CertKeyPem) -> Vec<Vec<u8>> {
        certs_from_pem(ca.cert_pem.as_bytes(), "ca")
            .unwrap()
            .iter()
            .map(|c| c.to_vec())
            .collect()
    }

    #[test]
    fn anonymous_client_over_tls13_and_application_data() {
        let f = fixture();
        let server_config = server_config(
            f.serving.cert_pem.as_bytes(),
            f.serving.key_pem.as_bytes(),
            Some(f.ca.cert_pem.as_bytes()),
        )
        .unwrap();
        let client_config = client_config(f.ca.cert_pem.as_bytes(), None).unwrap();
        for name in ["localhost", "127.0.0.1", "kubernetes.default.svc"] {
            let (mut client, mut server) =
                connect(server_config.clone(), client_config.clone(), name).unwrap();
            assert_eq!(server.peer_certificates(), None);
            assert_eq!(server.alpn_protocol(), Some(ALPN_HTTP11));
            assert_eq!(server.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));

            client
                .writer()
                .write_all(b"GET /version HTTP/1.1\r\n\r\n")
                .unwrap();
            let mut buf = Vec::new();
            client.write_tls(&mut buf).unwrap();
            server.read_tls(&mut buf.as_slice()).unwrap();
            server.process_new_packets().unwrap();
            let mut received = [0u8; 25];
            server.reader().read_exact(&mut received).unwrap();
            assert_eq!(&received, b"GET /version HTTP/1.1\r\n\r\n");

            // Nothing to verify: the request goes on as anonymous or with a bearer token.
            assert_eq!(
                verify_client_chain(&peer_chain(&server), &ca_ders(&f.ca), now_secs()),
                Ok(None)
            );
        }
    }

    #[test]
    fn client_certificates_reach_the_server_and_are_judged_per_request() {
        let f = fixture();
        let server_config = server_config(
            f.serving.cert_pem.as_bytes(),
            f.serving.key_pem.as_bytes(),
            Some(f.ca.cert_pem.as_bytes()),
        )
        .unwrap();
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        let valid = issue_client_cert(&f.ca, "jane", &["devs", "ops"], now - day, now + day).unwrap();
        let expired = issue_client_cert(&f.ca, "jane", &[], now - 3 * day, now - day).unwrap();
        let other_ca = new_ca("other-ca").unwrap();
        let foreign = issue_client_cert(&other_ca, "jane", &[], now - day, now + day).unwrap();

        let cases: [(&CertKeyPem, Result<Option<ClientIdentity>, ClientCertError>); 3] = [
            (
                &valid,
                Ok(Some(ClientIdentity {
                    user: "jane".to_owned(),
                    groups: vec!["devs".to_owned(), "ops".to_owned()],
                })),
            ),
            (&expired, Err(ClientCertError::Expired)),
            (&foreign, Err(ClientCertError::UnknownAuthority)),
        ];
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            for (cert, expected) in &cases {
                let mut roots = RootCertStore::empty();
                for c in certs_from_pem(f.ca.cert_pem.as_bytes(), "ca").unwrap() {
                    roots.add(c).unwrap();
                }
                let mut config = ClientConfig::builder_with_provider(provider())
                    .with_protocol_versions(&[version])
                    .unwrap()
                    .with_root_certificates(roots)
                    .with_client_auth_cert(
                        certs_from_pem(cert.cert_pem.as_bytes(), "client").unwrap(),
                        key_from_pem(cert.key_pem.as_bytes(), "client key").unwrap(),
                    )
                    .unwrap();
                config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
                let (_, server) = connect(server_config.clone(), Arc::new(config), "localhost").unwrap();
                let chain = peer_chain(&server);
                assert_eq!(chain, ca_ders(cert), "server must see the client certificate");
                assert_eq!(
                    &verify_client_chain(&chain, &ca_ders(&f.ca), now_secs()),
                    expected
                );
            }
        }
    }

    #[test]
    fn no_client_ca_means_no_certificate_requested() {
        let f = fixture();
        let server_config =
            server_config(f.serving.cert_pem.as_bytes(), f.serving.key_pem.as_bytes(), None).unwrap();
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        let cert = issue_client_cert(&f.ca, "jane", &[], now - day, now + day).unwrap();
        let client_config = client_config(
            f.ca.cert_pem.as_bytes(),
            Some((cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())),
        )
        .unwrap();
        let (_, server) = connect(server_config, client_config, "localhost").unwrap();
        assert_eq!(server.peer_certificates(), None);
    }

    #[test]
    fn client_rejects_a_server_name_not_in_the_certificate() {
        let f = fixture();
        let server_config =
            server_config(f.serving.cert_pem.as_bytes(), f.serving.key_pem.as_bytes(), None).unwrap();
        let client_config = client_config(f.ca.cert_pem.as_bytes(), None).unwrap();
        assert!(connect(server_config, client_config, "elsewhere.example").is_err());
    }

    #[test]
    fn garbage_client_certificate_is_refused_in_the_handshake() {
        let f = fixture();
        let verifier = RequestClientCert::new(
            f.ca.cert_pem.as_bytes(),
            provider().signature_verification_algorithms,
        )
        .unwrap();
        assert_eq!(verifier.root_hint_subjects().len(), 1);
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let now = UnixTime::since_unix_epoch(Duration::from_secs(0));
        assert!(verifier.verify_client_cert(&garbage, &[], now).is_err());
        let good = certs_from_pem(f.ca.cert_pem.as_bytes(), "ca").unwrap();
        assert!(verifier.verify_client_cert(&good[0], &[], now).is_ok());
    }

    #[test]
    fn bad_pem_inputs_are_errors() {
        let f = fixture();
        let missing_key = server_config(f.serving.cert_pem.as_bytes(), b"", None).unwrap_err();
        assert!(matches!(missing_key, HostError::Pem { .. }), "{missing_key}");
        let missing_cert = server_config(b"nothing here", f.serving.key_pem.as_bytes(), None).unwrap_err();
        assert!(matches!(missing_cert, HostError::Pem { .. }), "{missing_cert}");
        let wrong_key =
            server_config(f.serving.cert_pem.as_bytes(), f.ca.key_pem.as_bytes(), None).unwrap_err();
        assert!(matches!(wrong_key, HostError::Tls(_)), "{wrong_key}");
        let bad_ca = server_config(
            f.serving.cert_pem.as_bytes(),
            f.serving.key_pem.as_bytes(),
            Some(b""),
        )
        .unwrap_err();
        assert!(matches!(bad_ca, HostError::Pem { .. }), "{bad_ca}");
        let err = load_pem_files(
            Path::new("/nonexistent/gatehouse.crt"),
            Path::new("/nonexistent/k"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/gatehouse.crt"));
    }
}
