//! Relays one request for the core to a kubelet or a proxy backend: connect (with TLS as the
//! core asks), send the request, and report the answer's bytes as they arrive and then its
//! end, as a task of the serving runtime.

use std::io::ErrorKind;
use std::path::Path;
use std::sync::Arc;

use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use gatehouse_core::server::{IoFailure, TlsFailure};
use gatehouse_core::{NetError, RelayEvent, RelayTls};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::HostError;
use crate::net::Net;
use crate::tls::{certs_from_pem, key_from_pem, provider};

/// TLS toward kubelets and `https` proxy backends.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    kubelet: Arc<ClientConfig>,
    insecure: Arc<ClientConfig>,
}

impl RelayConfig {
    /// The kubelet client of `--kubelet-client-certificate`/`--kubelet-client-key` (none when
    /// unset), checking kubelets against `--kubelet-certificate-authority` when set and, as
    /// kube-apiserver, not checking them otherwise.
    pub fn new(
        client_cert: Option<(&Path, &Path)>,
        kubelet_ca: Option<&Path>,
    ) -> Result<RelayConfig, HostError> {
        let read = |p: &Path| std::fs::read(p).map_err(|e| HostError::io(p, e));
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
        let builder = match kubelet_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in certs_from_pem(&read(ca)?, "kubelet certificate authority")? {
                    roots.add(cert)?;
                }
                builder.with_root_certificates(roots)
            }
            None => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification)),
        };
        let kubelet = match client_cert {
            Some((cert, key)) => builder.with_client_auth_cert(
                certs_from_pem(&read(cert)?, "kubelet client certificate")?,
                key_from_pem(&read(key)?, "kubelet client key")?,
            )?,
            None => builder.with_no_client_auth(),
        };
        let insecure = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification))
            .with_no_client_auth();
        Ok(RelayConfig {
            kubelet: Arc::new(kubelet),
            insecure: Arc::new(insecure),
        })
    }

    fn client(&self, tls: RelayTls) -> Option<Arc<ClientConfig>> {
        match tls {
            RelayTls::Plain => None,
            RelayTls::Insecure => Some(self.insecure.clone()),
            RelayTls::Kubelet => Some(self.kubelet.clone()),
        }
    }
}

/// Runs one relay to its end: connects, sends `request`, and hands each piece of the answer
/// to `report` as it arrives, then the end. `cancel` ends it early: when its sender is dropped
/// or closed, the relay stops and reports a clean end.
pub async fn run<N: Net>(
    net: &N,
    config: &RelayConfig,
    target: (&str, u16, RelayTls),
    request: &[u8],
    cancel: &async_channel::Receiver<()>,
    report: impl Fn(RelayEvent),
) {
    let stopped = async {
        let _ = cancel.recv().await;
        Ok(())
    };
    let end = futures_lite::future::or(relay(net, config, target, request, &report), stopped).await;
    report(RelayEvent::End(end));
}

async fn relay<N: Net>(
    net: &N,
    config: &RelayConfig,
    (host, port, tls): (&str, u16, RelayTls),
    request: &[u8],
    report: &impl Fn(RelayEvent),
) -> Result<(), NetError> {
    let tcp = crate::kubelet::connect(net, host, port).await?;
    let peer = format!("{host}:{port}");
    match config.client(tls) {
        None => exchange(tcp, &peer, request, report).await,
        Some(client) => {
            let name = ServerName::try_from(host.to_string())
                .map_err(|e| NetError::Tls(TlsFailure::InvalidName(format!("{host:?}: {e}"))))?;
            let stream = futures_rustls::TlsConnector::from(client)
                .connect(name, tcp)
                .await
                .map_err(|e| io_error("write", &peer, &e))?;
            exchange(stream, &peer, request, report).await
        }
    }
}

/// Writes the request and reports the answer until the backend closes.
async fn exchange(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    peer: &str,
    request: &[u8],
    report: &impl Fn(RelayEvent),
) -> Result<(), NetError> {
    stream
        .write_all(request)
        .await
        .map_err(|e| io_error("write", peer, &e))?;
    stream.flush().await.map_err(|e| io_error("write", peer, &e))?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return Ok(()),
            Ok(n) => report(RelayEvent::Data(buf[..n].to_vec())),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // A TLS backend that closes without close_notify has still said all it had.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(io_error("read", peer, &e)),
        }
    }
}

/// An I/O failure of an established connection (or the TLS failure inside it).
pub(crate) fn io_error(op: &'static str, peer: &str, e: &std::io::Error) -> NetError {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return NetError::Tls(tls_failure(tls));
    }
    let kind = match e.kind() {
        ErrorKind::ConnectionReset => IoFailure::Reset,
        ErrorKind::BrokenPipe => IoFailure::BrokenPipe,
        _ => IoFailure::Other(e.to_string()),
    };
    NetError::Io {
        op,
        peer: peer.to_string(),
        kind,
    }
}

/// What a TLS failure was, as Go's TLS client tells them apart.
fn tls_failure(e: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => TlsFailure::UnknownAuthority,
        rustls::Error::InvalidCertificate(
            C::Expired | C::NotValidYet | C::ExpiredContext { .. } | C::NotValidYetContext { .. },
        ) => TlsFailure::Expired,
        rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            TlsFailure::NameMismatch
        }
        rustls::Error::AlertReceived(alert) => TlsFailure::Alert(format!("{alert:?}")),
        other => TlsFailure::Other(other.to_string()),
    }
}

/// Accepts any server certificate: kube-apiserver does not check a kubelet's serving
/// certificate without `--kubelet-certificate-authority`, nor those of `https` proxy
/// backends. The handshake signatures are still checked.
#[derive(Debug)]
pub(crate) struct NoVerification;

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider().signature_verification_algorithms.supported_schemes()
    }
}
