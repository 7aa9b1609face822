//! The error type of the Gatehouse host glue.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a host operation (files, certificates, TLS setup) failed.
#[derive(Debug)]
pub enum HostError {
    /// Reading or writing a file or folder failed.
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying OS error.
        error: io::Error,
    },
    /// A PEM document held no usable certificate or private key.
    Pem {
        /// What the document was supposed to hold (e.g. "serving certificate").
        what: String,
        /// What was wrong with it.
        reason: String,
    },
    /// An existing PKI file cannot be used and Gatehouse refuses to overwrite it.
    Pki {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// A setting (e.g. an extra subject alternative name) is invalid.
    Invalid {
        /// The setting concerned.
        what: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Generating or signing a certificate failed.
    Generate(String),
    /// The TLS library refused the serving configuration.
    Tls(rustls::Error),
}

impl HostError {
    pub fn io(path: impl Into<PathBuf>, error: io::Error) -> Self {
        HostError::Io {
            path: path.into(),
            error,
        }
    }

    pub(crate) fn pem(what: impl Into<String>, reason: impl Into<String>) -> Self {
        HostError::Pem {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            HostError::Pem { what, reason } => write!(f, "invalid {what}: {reason}"),
            HostError::Pki { path, reason } => write!(
                f,
                "{}: {reason} (remove the file to let Gatehouse generate a new one)",
                path.display()
            ),
            HostError::Invalid { what, reason } => write!(f, "invalid {what}: {reason}"),
            HostError::Generate(reason) => write!(f, "generating a certificate failed: {reason}"),
            HostError::Tls(error) => write!(f, "TLS configuration rejected: {error}"),
        }
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HostError::Io { error, .. } => Some(error),
            HostError::Tls(error) => Some(error),
            _ => None,
        }
    }
}

impl From<rustls::Error> for HostError {
    fn from(error: rustls::Error) -> Self {
        HostError::Tls(error)
    }
}

impl From<rcgen::Error> for HostError {
    fn from(error: rcgen::Error) -> Self {
        HostError::Generate(error.to_string())
    }
}
