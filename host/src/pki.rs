//! The cluster PKI Gatehouse generates on its first start, like a kubeadm-style control plane.
//!
//! `<data-dir>/pki/` holds a cluster CA (`ca.crt`, `ca.key`), the API server's serving
//! certificate (`apiserver.crt`, `apiserver.key`) and the cluster administrator's client
//! certificate (`admin.crt`, `admin.key`: `CN=kubernetes-admin`, `O=system:masters`). Later starts
//! reuse these files. A missing or stale leaf (expired, issued by another CA, lacking a wanted
//! subject alternative name) is re-issued from the existing CA; a missing or expired CA makes
//! Gatehouse generate the whole set again. A CA that is present but unreadable is an error rather
//! than silently replaced, since clients may already trust it.
//!
//! Keys are ECDSA P-256. Key files are written with mode 0600, certificates with 0644, each through
//! a temporary file and a rename.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, SanType, SigningKey as _,
};
use rustls::pki_types::{CertificateDer, UnixTime};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::HostError;
use crate::kubeconfig::{write_file_atomically, Credential, Kubeconfig};
use gatehouse_core::authn::x509::{verify_client_chain, ClientIdentity};

/// Common name of the cluster CA Gatehouse generates.
pub const CA_COMMON_NAME: &str = "gatehouse-ca";
/// Common name of the serving certificate Gatehouse generates.
pub const SERVING_COMMON_NAME: &str = "kube-apiserver";
/// User name of the generated administrator certificate.
pub const ADMIN_USER: &str = "kubernetes-admin";
/// Group of the generated administrator certificate (bound to `cluster-admin`).
pub const ADMIN_GROUP: &str = "system:masters";
/// Cluster name written into the administrator kubeconfig.
pub const CLUSTER_NAME: &str = "gatehouse";
/// File name of the administrator kubeconfig inside the data folder.
pub const ADMIN_KUBECONFIG: &str = "admin.kubeconfig";

const DAY: u64 = 24 * 60 * 60;
const CA_LIFETIME: Duration = Duration::from_secs(3650 * DAY);
const LEAF_LIFETIME: Duration = Duration::from_secs(365 * DAY);
/// Certificates start this long before "now", so that clients with a slightly late clock
/// accept them at once.
const BACKDATE: Duration = Duration::from_secs(60 * 60);

const KEY_MODE: u32 = 0o600;
const CERT_MODE: u32 = 0o644;

/// A certificate and its private key, both PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertKeyPem {
    /// The certificate, PEM (`CERTIFICATE`).
    pub cert_pem: String,
    /// The private key, PEM (`PRIVATE KEY`, PKCS#8).
    pub key_pem: String,
}

/// The cluster PKI as found or generated in `<data-dir>/pki/`.
#[derive(Clone, Debug)]
pub struct Pki {
    /// The cluster CA; it signs the serving and the client certificates.
    pub ca: CertKeyPem,
    /// The API server's serving certificate.
    pub serving: CertKeyPem,
    /// The cluster administrator's client certificate.
    pub admin: CertKeyPem,
    /// The folder holding the files.
    pub dir: PathBuf,
}

/// Makes sure `<data_dir>/pki/` holds a usable cluster PKI and returns it.
///
/// `extra_sans` are added to the serving certificate's subject alternative names (IP addresses
/// become IP entries, anything else DNS entries) besides the defaults: `localhost`, `127.0.0.1`,
/// `::1`, the machine's host name and the `kubernetes.default.svc.cluster.local` family. An
/// existing serving certificate that lacks one of these names is re-issued.
pub fn ensure_pki(data_dir: &Path, extra_sans: &[String], now: SystemTime) -> Result<Pki, HostError> {
    let dir = data_dir.join("pki");
    create_private_dir(&dir)?;
    let sans = serving_sans(machine_hostname().as_deref(), extra_sans)?;
    let now_secs = unix_secs(now);

    let existing_ca = match load_pair(&dir, "ca")? {
        Some(pair) => {
            let signer = Signer::from_pem(&pair).map_err(|reason| HostError::Pki {
                path: dir.join("ca.crt"),
                reason,
            })?;
            (signer.not_after > now_secs).then_some((pair, signer))
        }
        None => None,
    };
    let (ca, signer, fresh_ca) = match existing_ca {
        Some((pair, signer)) => (pair, signer, false),
        None => {
            let pair = generate_ca(CA_COMMON_NAME, earlier(now, BACKDATE), later(now, CA_LIFETIME))?;
            let signer = Signer::from_pem(&pair).map_err(HostError::Generate)?;
            write_pair(&dir, "ca", &pair)?;
            (pair, signer, true)
        }
    };

    let serving = match load_pair(&dir, "apiserver")? {
        Some(pair) if !fresh_ca && serving_usable(&pair, &signer, &sans, now_secs) => pair,
        _ => {
            let pair = issue_serving_cert(&signer, &sans, now)?;
            write_pair(&dir, "apiserver", &pair)?;
            pair
        }
    };

    let admin = match load_pair(&dir, "admin")? {
        Some(pair) if !fresh_ca && admin_usable(&pair, &signer, now_secs) => pair,
        _ => {
            let pair = issue_with(
                &signer,
                ADMIN_USER,
                &[ADMIN_GROUP],
                earlier(now, BACKDATE),
                later(now, LEAF_LIFETIME),
            )?;
            write_pair(&dir, "admin", &pair)?;
            pair
        }
    };

    Ok(Pki {
        ca,
        serving,
        admin,
        dir,
    })
}

/// Writes `<data_dir>/admin.kubeconfig` for the administrator certificate and returns its path.
///
/// The kubeconfig names cluster `gatehouse`, user `kubernetes-admin` and context
/// `kubernetes-admin@gatehouse` (the current context), with the CA, certificate and key inlined,
/// so `kubectl --kubeconfig <data_dir>/admin.kubeconfig` works as is.
pub fn write_admin_kubeconfig(data_dir: &Path, server_url: &str, pki: &Pki) -> Result<PathBuf, HostError> {
    let context = format!("{ADMIN_USER}@{CLUSTER_NAME}");
    let config = Kubeconfig {
        cluster_name: CLUSTER_NAME,
        user_name: ADMIN_USER,
        context_name: &context,
        server: server_url,
        ca_pem: Some(&pki.ca.cert_pem),
        credential: Credential::ClientCert {
            cert_pem: &pki.admin.cert_pem,
            key_pem: &pki.admin.key_pem,
        },
        namespace: None,
    };
    let path = data_dir.join(ADMIN_KUBECONFIG);
    config.write(&path)?;
    Ok(path)
}

/// Generates a new self-signed CA with the given common name, valid for ten years from now.
///
/// Besides Gatehouse's own CA this serves tests that need a foreign authority.
pub fn new_ca(cn: &str) -> Result<CertKeyPem, HostError> {
    let now = SystemTime::now();
    generate_ca(cn, earlier(now, BACKDATE), later(now, CA_LIFETIME))
}

/// Issues a client certificate signed by `ca`: subject `O=<group>...`, `CN=<cn>` (no CN
/// attribute when `cn` is empty), extended key usage clientAuth, valid from `not_before` to
/// `not_after`.
pub fn issue_client_cert(
    ca: &CertKeyPem,
    cn: &str,
    groups: &[&str],
    not_before: SystemTime,
    not_after: SystemTime,
) -> Result<CertKeyPem, HostError> {
    let signer = Signer::from_pem(ca).map_err(|reason| HostError::pem("CA certificate and key", reason))?;
    issue_with(&signer, cn, groups, not_before, not_after)
}

/// Issues a serving certificate signed by `ca` for `names` (IP addresses or DNS names), as
/// a kubelet or a webhook server presents one.
pub fn issue_serving_cert_for(ca: &CertKeyPem, names: &[&str]) -> Result<CertKeyPem, HostError> {
    let signer = Signer::from_pem(ca).map_err(|reason| HostError::pem("CA certificate and key", reason))?;
    let sans: Vec<San> = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => San::Ip(ip),
            Err(_) => San::Dns(n.to_ascii_lowercase()),
        })
        .collect();
    issue_serving_cert(&signer, &sans, SystemTime::now())
}

/// A subject alternative name wanted on the serving certificate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum San {
    Dns(String),
    Ip(IpAddr),
}

/// The serving certificate's names: the defaults, the host name, then `extra`, without duplicates.
fn serving_sans(hostname: Option<&str>, extra: &[String]) -> Result<Vec<San>, HostError> {
    let mut sans = vec![
        San::Dns("localhost".to_owned()),
        San::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        San::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    if let Some(host) = hostname {
        sans.push(San::Dns(host.to_ascii_lowercase()));
    }
    for name in [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ] {
        sans.push(San::Dns(name.to_owned()));
    }
    for raw in extra {
        let value = raw.trim();
        if value.is_empty() {
            continue;
        }
        // Accept "[::1]" as well as "::1" for IPv6 addresses.
        let unbracketed = value.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            sans.push(San::Ip(ip));
        } else if is_dns_name(value) {
            sans.push(San::Dns(value.to_ascii_lowercase()));
        } else {
            return Err(HostError::Invalid {
                what: format!("subject alternative name {value:?}"),
                reason: "neither an IP address nor a DNS name".to_owned(),
            });
        }
    }
    let mut seen = HashSet::new();
    sans.retain(|san| seen.insert(san.clone()));
    Ok(sans)
}

/// Whether `name` can stand in a DNS subject alternative name (a leading `*.` wildcard is allowed).
fn is_dns_name(name: &str) -> bool {
    let body = name.strip_prefix("*.").unwrap_or(name);
    !body.is_empty()
        && body.len() <= 253
        && body.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The machine's host name, when it can be found and is usable as a DNS name.
fn machine_hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| text.trim().to_owned())
        .find(|name| is_dns_name(name))
}

/// A CA able to sign: its certificate (DER), raw subject, key identifier and private key.
struct Signer {
    cert_der: Vec<u8>,
    subject_der: Vec<u8>,
    key_id: Option<Vec<u8>>,
    key: KeyPair,
    not_after: i64,
}

impl Signer {
    /// Loads a CA from PEM, checking that it is a CA certificate and that the key belongs to it.
    fn from_pem(pair: &CertKeyPem) -> Result<Signer, String> {
        let cert_der = first_cert_der(pair.cert_pem.as_bytes()).ok_or("no certificate in PEM")?;
        let key = KeyPair::from_pem(&pair.key_pem).map_err(|e| format!("unusable private key: {e}"))?;
        let (_, cert) = X509Certificate::from_der(&cert_der).map_err(|e| format!("bad certificate: {e}"))?;
        if !cert.is_ca() {
            return Err("not a CA certificate".to_owned());
        }
        if cert.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err("private key does not belong to the certificate".to_owned());
        }
        let key_id = cert
            .iter_extensions()
            .find_map(|ext| match ext.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            });
        Ok(Signer {
            subject_der: cert.subject().as_raw().to_vec(),
            not_after: cert.validity().not_after.timestamp(),
            key_id,
            key,
            cert_der,
        })
    }

    /// Whether `cert_der` chains to this CA and is valid at `now` for the given usage.
    fn verifies(&self, cert_der: &[u8], now_secs: i64, usage: webpki::KeyUsage) -> bool {
        let ca = CertificateDer::from(self.cert_der.as_slice());
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&ca) else {
            return false;
        };
        let leaf = CertificateDer::from(cert_der);
        let Ok(end_entity) = webpki::EndEntityCert::try_from(&leaf) else {
            return false;
        };
        let now = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(now_secs).unwrap_or(0)));
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &[anchor],
                &[],
                now,
                usage,
                None,
                None,
            )
            .is_ok()
    }
}

fn serving_usable(pair: &CertKeyPem, signer: &Signer, sans: &[San], now_secs: i64) -> bool {
    let Some(der) = leaf_matching_key(pair) else {
        return false;
    };
    if !signer.verifies(&der, now_secs, webpki::KeyUsage::server_auth()) {
        return false;
    }
    let Ok((_, cert)) = X509Certificate::from_der(&der) else {
        return false;
    };
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return false;
    };
    let present: Vec<San> = ext
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(San::Dns(dns.to_ascii_lowercase())),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(San::Ip),
            _ => None,
        })
        .collect();
    sans.iter().all(|san| present.contains(san))
}

fn admin_usable(pair: &CertKeyPem, signer: &Signer, now_secs: i64) -> bool {
    let Some(der) = leaf_matching_key(pair) else {
        return false;
    };
    let expected = ClientIdentity {
        user: ADMIN_USER.to_owned(),
        groups: vec![ADMIN_GROUP.to_owned()],
    };
    verify_client_chain(&[der], &[&signer.cert_der], now_secs) == Ok(Some(expected))
}

/// The pair's certificate (DER) if its key belongs to it.
fn leaf_matching_key(pair: &CertKeyPem) -> Option<Vec<u8>> {
    let der = first_cert_der(pair.cert_pem.as_bytes())?;
    let key = KeyPair::from_pem(&pair.key_pem).ok()?;
    let (_, cert) = X509Certificate::from_der(&der).ok()?;
    let matches = cert.public_key().subject_public_key.data.as_ref() == key.public_key_raw();
    matches.then_some(der)
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn generate_ca(cn: &str, not_before: SystemTime, not_after: SystemTime) -> Result<CertKeyPem, HostError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, cn);
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    set_validity(&mut params, not_before, not_after);
    let cert = params.self_signed(&key)?;
    Ok(CertKeyPem {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn issue_serving_cert(signer: &Signer, sans: &[San], now: SystemTime) -> Result<CertKeyPem, HostError> {
    let mut params = leaf_params(earlier(now, BACKDATE), later(now, LEAF_LIFETIME));
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.subject_alt_names = sans
        .iter()
        .map(|san| match san {
            San::Dns(name) => name
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .map_err(HostError::from),
            San::Ip(ip) => Ok(SanType::IpAddress(*ip)),
        })
        .collect::<Result<_, _>>()?;
    issue(signer, &params, &encode_name(SERVING_COMMON_NAME, &[]))
}

fn issue_with(
    signer: &Signer,
    cn: &str,
    groups: &[&str],
    not_before: SystemTime,
    not_after: SystemTime,
) -> Result<CertKeyPem, HostError> {
    let mut params = leaf_params(not_before, not_after);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    issue(signer, &params, &encode_name(cn, groups))
}

fn leaf_params(not_before: SystemTime, not_after: SystemTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    set_validity(&mut params, not_before, not_after);
    params
}

/// Issues a leaf certificate with a fresh key.
///
/// The certificate is first built from `params`, then its issuer and subject names are replaced by
/// the CA's exact subject bytes and by `subject`, and the result is signed again. Copying the CA's
/// subject byte for byte keeps chain building exact whatever string types the CA uses, and
/// encoding the subject here allows repeated organization attributes (one per group).
fn issue(signer: &Signer, params: &CertificateParams, subject: &[u8]) -> Result<CertKeyPem, HostError> {
    let key = KeyPair::generate()?;
    let mut params = params.clone();
    params.use_authority_key_identifier_extension = signer.key_id.is_some();
    let mut issuer_params = CertificateParams::default();
    issuer_params.key_identifier_method = match &signer.key_id {
        Some(id) => KeyIdMethod::PreSpecified(id.clone()),
        None => KeyIdMethod::Sha256,
    };
    let issuer = Issuer::new(issuer_params, &signer.key);
    let draft = params.signed_by(&key, &issuer)?;
    let der = rename_and_resign(draft.der(), &signer.subject_der, subject, &signer.key)?;
    Ok(CertKeyPem {
        cert_pem: pem_encode("CERTIFICATE", &der),
        key_pem: key.serialize_pem(),
    })
}

/// Replaces the issuer and subject names of a DER certificate and signs it again with `key`.
fn rename_and_resign(
    cert: &[u8],
    issuer: &[u8],
    subject: &[u8],
    key: &KeyPair,
) -> Result<Vec<u8>, HostError> {
    let bad = || HostError::Generate("unexpected certificate encoding".to_owned());
    let outer = der::elements(der::content(cert, der::SEQUENCE).ok_or_else(bad)?).ok_or_else(bad)?;
    let [tbs, algorithm, _signature] = outer.as_slice() else {
        return Err(bad());
    };
    let mut fields = der::elements(der::content(tbs, der::SEQUENCE).ok_or_else(bad)?).ok_or_else(bad)?;
    // version [0], serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
    if fields.len() < 7 || fields.first().and_then(|f| f.first()) != Some(&0xa0) {
        return Err(bad());
    }
    fields[3] = issuer;
    fields[5] = subject;
    let new_tbs = der::tlv(der::SEQUENCE, &fields.concat());
    let signature = key.sign(&new_tbs)?;
    let mut bits = Vec::with_capacity(signature.len() + 1);
    bits.push(0); // no unused bits
    bits.extend_from_slice(&signature);
    let body = [new_tbs.as_slice(), *algorithm, &der::tlv(der::BIT_STRING, &bits)].concat();
    Ok(der::tlv(der::SEQUENCE, &body))
}

/// Encodes an X.509 name: one `O` attribute per group, then `CN` unless it is empty.
fn encode_name(cn: &str, groups: &[&str]) -> Vec<u8> {
    const ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];
    const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    let attribute = |oid: &[u8], value: &str| {
        let pair = [
            der::tlv(der::OID, oid),
            der::tlv(der::UTF8_STRING, value.as_bytes()),
        ]
        .concat();
        der::tlv(der::SET, &der::tlv(der::SEQUENCE, &pair))
    };
    let mut rdns: Vec<Vec<u8>> = groups
        .iter()
        .map(|group| attribute(ORGANIZATION, group))
        .collect();
    if !cn.is_empty() {
        rdns.push(attribute(COMMON_NAME, cn));
    }
    der::tlv(der::SEQUENCE, &rdns.concat())
}

/// The little DER needed to re-assemble a certificate.
mod der {
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    pub const OID: u8 = 0x06;
    pub const UTF8_STRING: u8 = 0x0c;
    pub const BIT_STRING: u8 = 0x03;

    /// Encodes one tag-length-value element.
    pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = value.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            let significant = bytes.get(skip..).unwrap_or_default();
            out.push(0x80 | significant.len() as u8);
            out.extend_from_slice(significant);
        }
        out.extend_from_slice(value);
        out
    }

    /// The content of the single element `input`, which must carry `tag`.
    pub fn content(input: &[u8], tag: u8) -> Option<&[u8]> {
        let (element, rest) = split(input)?;
        if !rest.is_empty() || element.first() != Some(&tag) {
            return None;
        }
        let header = header_len(element)?;
        element.get(header..)
    }

    /// The consecutive elements of `input`, each whole (tag and length included).
    pub fn elements(mut input: &[u8]) -> Option<Vec<&[u8]>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (element, rest) = split(input)?;
            out.push(element);
            input = rest;
        }
        Some(out)
    }

    fn split(input: &[u8]) -> Option<(&[u8], &[u8])> {
        let header = header_len(input)?;
        let len = value_len(input)?;
        let end = header.checked_add(len)?;
        (end <= input.len()).then(|| input.split_at(end))
    }

    fn header_len(input: &[u8]) -> Option<usize> {
        let first = *input.get(1)?;
        if first < 0x80 {
            Some(2)
        } else {
            Some(2 + usize::from(first & 0x7f))
        }
    }

    fn value_len(input: &[u8]) -> Option<usize> {
        let first = *input.get(1)?;
        if first < 0x80 {
            return Some(usize::from(first));
        }
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        input
            .get(2..2 + count)?
            .iter()
            .try_fold(0usize, |acc, b| acc.checked_mul(256).map(|v| v + usize::from(*b)))
    }
}

/// Sets a certificate's validity period, clamped to what X.509 times can express.
fn set_validity(params: &mut CertificateParams, not_before: SystemTime, not_after: SystemTime) {
    // 9999-12-31T23:59:59Z, the last instant a GeneralizedTime can hold.
    const MAX_SECS: i64 = 253_402_300_799;
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let clamp = |t: SystemTime| Duration::from_secs(unix_secs(t).clamp(0, MAX_SECS).unsigned_abs());
    params.not_before = epoch + clamp(not_before);
    params.not_after = epoch + clamp(not_after);
}

/// `t` moved back by `d`, or `t` itself where that is not representable.
fn earlier(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_sub(d).unwrap_or(t)
}

/// `t` moved forward by `d`, or `t` itself where that is not representable.
fn later(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d).unwrap_or(t)
}

/// Seconds since the Unix epoch; negative before it.
fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The DER of the first certificate in a PEM document.
fn first_cert_der(pem: &[u8]) -> Option<Vec<u8>> {
    let mut reader = pem;
    let first = rustls_pemfile::certs(&mut reader).next();
    first.and_then(Result::ok).map(|der| der.to_vec())
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 64);
    let _ = writeln!(out, "-----BEGIN {label}-----");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

/// Reads `<name>.crt` and `<name>.key`; `None` when either is missing.
fn load_pair(dir: &Path, name: &str) -> Result<Option<CertKeyPem>, HostError> {
    let cert = read_optional(&dir.join(format!("{name}.crt")))?;
    let key = read_optional(&dir.join(format!("{name}.key")))?;
    Ok(cert
        .zip(key)
        .map(|(cert_pem, key_pem)| CertKeyPem { cert_pem, key_pem }))
}

fn read_optional(path: &Path) -> Result<Option<String>, HostError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HostError::io(path, e)),
    }
}

/// Writes `<name>.key` then `<name>.crt`.
///
/// The old certificate is removed first: if Gatehouse stops half-way, the pair is found
/// incomplete (and regenerated) rather than mismatched.
fn write_pair(dir: &Path, name: &str, pair: &CertKeyPem) -> Result<(), HostError> {
    let cert_path = dir.join(format!("{name}.crt"));
    match std::fs::remove_file(&cert_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(HostError::io(&cert_path, e)),
    }
    write_file_atomically(
        &dir.join(format!("{name}.key")),
        pair.key_pem.as_bytes(),
        KEY_MODE,
    )?;
    write_file_atomically(&cert_path, pair.cert_pem.as_bytes(), CERT_MODE)
}

/// Writes a private key file (owner-only), atomically.
pub(crate) fn write_key_file(path: &Path, pem: &[u8]) -> Result<(), HostError> {
    write_file_atomically(path, pem, KEY_MODE)
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<(), HostError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| HostError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let path = std::env::temp_dir().join(format!("gatehouse-pki-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn der_of(pem: &str) -> Vec<u8> {
        first_cert_der(pem.as_bytes()).unwrap()
    }

    fn now_secs() -> i64 {
        unix_secs(SystemTime::now())
    }

    fn sans_of(pem: &str) -> Vec<String> {
        let der = der_of(pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let ext = cert.subject_alternative_name().unwrap().unwrap();
        ext.value
            .general_names
            .iter()
            .map(|name| match name {
                GeneralName::DNSName(dns) => dns.to_string(),
                GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).unwrap().to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn first_start_generates_and_second_start_reuses() {
        let dir = TempDir::new("reuse");
        let now = SystemTime::now();
        let first = ensure_pki(&dir.0, &[], now).unwrap();
        for file in [
            "ca.crt",
            "ca.key",
            "apiserver.crt",
            "apiserver.key",
            "admin.crt",
            "admin.key",
        ] {
            assert!(dir.0.join("pki").join(file).is_file(), "{file} missing");
        }
        let second = ensure_pki(&dir.0, &[], now + Duration::from_secs(60)).unwrap();
        assert_eq!(first.ca, second.ca);
        assert_eq!(first.serving, second.serving);
        assert_eq!(first.admin, second.admin);
        assert_eq!(second.dir, dir.0.join("pki"));
        assert_eq!(
            std::fs::read_to_string(dir.0.join("pki/ca.crt")).unwrap(),
            first.ca.cert_pem
        );
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = TempDir::new("modes");
        ensure_pki(&dir.0, &[], SystemTime::now()).unwrap();
        let mode = |name: &str| {
            std::fs::metadata(dir.0.join("pki").join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        for key in ["ca.key", "apiserver.key", "admin.key"] {
            assert_eq!(mode(key), 0o600, "{key}");
        }
        assert_eq!(mode("ca.crt"), 0o644);
    }

    #[test]
    fn serving_certificate_names_and_chain() {
        let dir = TempDir::new("sans");
        let extra = vec![
            "10.0.0.1".to_owned(),
            "api.example.test".to_owned(),
            "[fd00::1]".to_owned(),
        ];
        let pki = ensure_pki(&dir.0, &extra, SystemTime::now()).unwrap();
        let sans = sans_of(&pki.serving.cert_pem);
        for want in [
            "localhost",
            "127.0.0.1",
            "::1",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
            "10.0.0.1",
            "api.example.test",
            "fd00::1",
        ] {
            assert!(sans.contains(&want.to_owned()), "{want} not in {sans:?}");
        }
        if let Some(host) = machine_hostname() {
            assert!(
                sans.contains(&host.to_ascii_lowercase()),
                "{host} not in {sans:?}"
            );
        }
        let signer = Signer::from_pem(&pki.ca).unwrap();
        assert!(signer.verifies(
            &der_of(&pki.serving.cert_pem),
            now_secs(),
            webpki::KeyUsage::server_auth()
        ));
        // A serving certificate is not a client certificate.
        assert!(!signer.verifies(
            &der_of(&pki.serving.cert_pem),
            now_secs(),
            webpki::KeyUsage::client_auth()
        ));

        let der = der_of(&pki.ca.cert_pem);
        let (_, ca) = X509Certificate::from_der(&der).unwrap();
        assert!(ca.is_ca());
        assert_eq!(ca.subject().to_string(), "CN=gatehouse-ca");
        let lifetime = ca.validity().not_after.timestamp() - ca.validity().not_before.timestamp();
        assert_eq!(lifetime, (CA_LIFETIME + BACKDATE).as_secs() as i64);
    }

    #[test]
    fn admin_certificate_identity() {
        let dir = TempDir::new("admin");
        let pki = ensure_pki(&dir.0, &[], SystemTime::now()).unwrap();
        let der = der_of(&pki.admin.cert_pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(
            cert.subject().to_string(),
            "O=system:masters, CN=kubernetes-admin"
        );
        assert_eq!(cert.issuer().to_string(), "CN=gatehouse-ca");
        let eku = cert.extended_key_usage().unwrap().unwrap();
        assert!(eku.value.client_auth && !eku.value.server_auth);
        let lifetime = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
        assert_eq!(lifetime, (LEAF_LIFETIME + BACKDATE).as_secs() as i64);

        let identity = verify_client_chain(&[der], &[der_of(&pki.ca.cert_pem)], now_secs()).unwrap();
        assert_eq!(
            identity,
            Some(ClientIdentity {
                user: "kubernetes-admin".to_owned(),
                groups: vec!["system:masters".to_owned()],
            })
        );
    }

    #[test]
    fn missing_leaf_is_reissued_from_existing_ca() {
        let dir = TempDir::new("leaf");
        let now = SystemTime::now();
        let first = ensure_pki(&dir.0, &[], now).unwrap();
        std::fs::remove_file(dir.0.join("pki/admin.key")).unwrap();
        let second = ensure_pki(&dir.0, &[], now).unwrap();
        assert_eq!(first.ca, second.ca);
        assert_eq!(first.serving, second.serving);
        assert_ne!(first.admin, second.admin);
        assert!(admin_usable(
            &second.admin,
            &Signer::from_pem(&second.ca).unwrap(),
            now_secs()
        ));
    }

    #[test]
    fn new_extra_san_reissues_serving_certificate_only() {
        let dir = TempDir::new("newsan");
        let now = SystemTime::now();
        let first = ensure_pki(&dir.0, &[], now).unwrap();
        let second = ensure_pki(&dir.0, &["192.0.2.7".to_owned()], now).unwrap();
        assert_eq!(first.ca, second.ca);
        assert_eq!(first.admin, second.admin);
        assert_ne!(first.serving, second.serving);
        assert!(sans_of(&second.serving.cert_pem).contains(&"192.0.2.7".to_owned()));
    }

    #[test]
    fn missing_ca_regenerates_everything() {
        let dir = TempDir::new("ca");
        let now = SystemTime::now();
        let first = ensure_pki(&dir.0, &[], now).unwrap();
        std::fs::remove_file(dir.0.join("pki/ca.key")).unwrap();
        let second = ensure_pki(&dir.0, &[], now).unwrap();
        assert_ne!(first.ca, second.ca);
        assert_ne!(first.serving, second.serving);
        assert_ne!(first.admin, second.admin);
        let signer = Signer::from_pem(&second.ca).unwrap();
        assert!(admin_usable(&second.admin, &signer, now_secs()));
    }

    #[test]
    fn leaves_from_a_replaced_ca_are_reissued() {
        let dir = TempDir::new("replaced");
        let now = SystemTime::now();
        let first = ensure_pki(&dir.0, &[], now).unwrap();
        // Same subject name, different key: only a signature check can tell.
        let other = new_ca(CA_COMMON_NAME).unwrap();
        write_pair(&dir.0.join("pki"), "ca", &other).unwrap();
        let second = ensure_pki(&dir.0, &[], now).unwrap();
        assert_eq!(second.ca, other);
        assert_ne!(first.serving, second.serving);
        assert_ne!(first.admin, second.admin);
    }

    #[test]
    fn corrupt_ca_is_an_error_not_overwritten() {
        let dir = TempDir::new("corrupt");
        let now = SystemTime::now();
        let first = ensure_pki(&dir.0, &[], now).unwrap();
        let other = new_ca("someone-else").unwrap();
        std::fs::write(dir.0.join("pki/ca.key"), &other.key_pem).unwrap();
        let err = ensure_pki(&dir.0, &[], now).unwrap_err();
        assert!(matches!(err, HostError::Pki { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.0.join("pki/ca.crt")).unwrap(),
            first.ca.cert_pem
        );
    }

    #[test]
    fn expired_ca_regenerates_everything() {
        let dir = TempDir::new("expired");
        let now = SystemTime::now();
        let first = ensure_pki(&dir.0, &[], now).unwrap();
        let later = now + CA_LIFETIME + Duration::from_secs(DAY);
        let second = ensure_pki(&dir.0, &[], later).unwrap();
        assert_ne!(first.ca, second.ca);
        assert_ne!(first.admin, second.admin);
    }

    #[test]
    fn invalid_extra_san_is_rejected() {
        let err = serving_sans(None, &["not a name".to_owned()]).unwrap_err();
        assert!(matches!(err, HostError::Invalid { .. }));
        let sans = serving_sans(Some("Node-1"), &["LOCALHOST".to_owned(), " ".to_owned()]).unwrap();
        assert_eq!(
            sans.iter()
                .filter(|s| **s == San::Dns("localhost".to_owned()))
                .count(),
            1
        );
        assert!(sans.contains(&San::Dns("node-1".to_owned())));
    }

    #[test]
    fn admin_kubeconfig_has_inline_credentials() {
        let dir = TempDir::new("kubeconfig");
        let pki = ensure_pki(&dir.0, &[], SystemTime::now()).unwrap();
        let path = write_admin_kubeconfig(&dir.0, "https://127.0.0.1:6443", &pki).unwrap();
        assert_eq!(path, dir.0.join("admin.kubeconfig"));
        let text = std::fs::read_to_string(&path).unwrap();
        let field = |key: &str| {
            text.lines()
                .find_map(|line| line.trim_start().strip_prefix(key)?.strip_prefix(": "))
                .unwrap_or_else(|| panic!("{key} missing"))
                .to_owned()
        };
        let decoded = |key: &str| String::from_utf8(STANDARD.decode(field(key)).unwrap()).unwrap();
        assert_eq!(field("server"), "https://127.0.0.1:6443");
        assert_eq!(field("current-context"), "kubernetes-admin@gatehouse");
        assert_eq!(field("cluster"), "gatehouse");
        assert_eq!(field("user"), "kubernetes-admin");
        assert_eq!(field("- name"), "kubernetes-admin");
        assert_eq!(decoded("certificate-authority-data"), pki.ca.cert_pem);
        assert_eq!(decoded("client-certificate-data"), pki.admin.cert_pem);
        assert_eq!(decoded("client-key-data"), pki.admin.key_pem);
    }

    #[test]
    fn client_certificates_with_many_groups_and_foreign_or_expired() {
        let ca = new_ca("test-ca").unwrap();
        let ca_der = der_of(&ca.cert_pem);
        let now = SystemTime::now();
        let day = Duration::from_secs(DAY);

        let alice = issue_client_cert(&ca, "alice", &["dev", "ops", "qa"], now - day, now + day).unwrap();
        let identity = verify_client_chain(&[der_of(&alice.cert_pem)], &[&ca_der], now_secs()).unwrap();
        assert_eq!(
            identity,
            Some(ClientIdentity {
                user: "alice".to_owned(),
                groups: vec!["dev".to_owned(), "ops".to_owned(), "qa".to_owned()],
            })
        );

        let expired = issue_client_cert(&ca, "bob", &[], now - 2 * day, now - day).unwrap();
        assert!(verify_client_chain(&[der_of(&expired.cert_pem)], &[&ca_der], now_secs()).is_err());

        let foreign_ca = new_ca("test-ca").unwrap();
        let foreign = issue_client_cert(&foreign_ca, "mallory", &[], now - day, now + day).unwrap();
        assert!(verify_client_chain(&[der_of(&foreign.cert_pem)], &[&ca_der], now_secs()).is_err());

        // A verified certificate without a common name authenticates nobody.
        let nameless = issue_client_cert(&ca, "", &["dev"], now - day, now + day).unwrap();
        assert_eq!(
            verify_client_chain(&[der_of(&nameless.cert_pem)], &[&ca_der], now_secs()),
            Ok(None)
        );
    }

    #[test]
    fn der_helpers_round_trip_long_lengths() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let value = vec![7u8; len];
            let encoded = der::tlv(der::SEQUENCE, &value);
            assert_eq!(der::content(&encoded, der::SEQUENCE), Some(value.as_slice()));
            assert_eq!(der::elements(&encoded).map(|e| e.len()), Some(1));
        }
        assert_eq!(der::content(&[0x30, 0x05, 0x01], der::SEQUENCE), None);
        assert_eq!(der::content(&[0x30, 0x80], der::SEQUENCE), None);
        assert_eq!(der::elements(&[0x30]), None);
    }
}
