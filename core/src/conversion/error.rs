//! Errors from converting an object between API versions.

use std::fmt;

/// Why an object could not be converted.
///
/// Conversions kube-apiserver performs never fail on well-typed input, so the only
/// failures are requests Gatehouse should never make: an unknown kind or version pair,
/// or a body that is not an object at all. Both are server faults (500).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConversionError {
    /// No conversion is known between these two group-versions for this kind.
    Unsupported {
        /// The kind asked for, e.g. `HorizontalPodAutoscaler`.
        kind: String,
        /// The source `apiVersion` (`v1`, `autoscaling/v2`, ...).
        from: String,
        /// The target `apiVersion`.
        to: String,
    },
    /// The object to convert is not a JSON object.
    NotAnObject,
}

impl ConversionError {
    /// HTTP status code kube-apiserver answers with when a conversion fails.
    pub fn http_status(&self) -> u16 {
        500
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Worded like runtime.Scheme's "converting (X) to (Y): unknown conversion".
            ConversionError::Unsupported { kind, from, to } => {
                write!(
                    f,
                    "converting ({from}.{kind}) to ({to}.{kind}): unknown conversion"
                )
            }
            ConversionError::NotAnObject => f.write_str("object to convert is not a JSON object"),
        }
    }
}

impl std::error::Error for ConversionError {}
