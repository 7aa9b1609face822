//! Label and field selectors, as accepted by the `labelSelector` and
//! `fieldSelector` list/watch parameters and used inside objects
//! (`metav1.LabelSelector`).
//!
//! * [`label`]: the label selector language of `k8s.io/apimachinery/pkg/labels`
//!   (`a=b`, `a!=b`, `a in (b,c)`, `a notin (b)`, `a`, `!a`, `a>1`, `a<1`) and
//!   conversion from the structured `matchLabels`/`matchExpressions` form.
//! * [`field`]: the field selector language of `k8s.io/apimachinery/pkg/fields`
//!   (`f=v`, `f==v`, `f!=v`, with `\,` `\=` `\\` escapes).
//! * [`fields_of`]: which fields each built-in resource lets clients select
//!   on, and how their values are read out of an object.
//!
//! Every error message is the one Kubernetes returns (they reach clients
//! verbatim inside `400 BadRequest` statuses).

use std::fmt;

pub mod field;
pub mod fields_of;
pub mod label;
mod validation;

pub use field::{FieldOperator, FieldRequirement, FieldSelector};
pub use fields_of::{check_supported, field_value};
pub use label::{LabelSelector, Operator, Requirement};

/// Why a selector was rejected. Every variant is reported to clients as a
/// `400 BadRequest` whose message is this value's `Display` output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectorError {
    /// A `labelSelector` string that does not parse, or whose requirements
    /// are invalid. Carries the complete upstream message.
    LabelSyntax(String),
    /// A structured `metav1.LabelSelector` that cannot be turned into a
    /// selector. Carries the complete upstream message.
    InvalidLabelSelector(String),
    /// A `fieldSelector` term with no `=`, `==` or `!=` operator.
    FieldSyntax {
        /// The whole selector as sent.
        selector: String,
        /// The offending comma-separated term.
        term: String,
    },
    /// A field selector value with a backslash not followed by `\`, `,` or `=`
    /// (or a trailing backslash).
    InvalidEscape {
        /// The bad sequence, backslash included.
        sequence: String,
    },
    /// A field selector value containing a bare `,` or `=`.
    UnescapedCharacter(char),
    /// A field the resource does not support selecting on.
    UnsupportedField {
        /// The field as sent by the client.
        field: String,
        /// Which of Kubernetes' message formats applies to the resource.
        style: UnsupportedFieldStyle,
    },
}

/// Kubernetes words "unsupported field selector" differently depending on
/// which conversion function the resource registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsupportedFieldStyle {
    /// Resources without their own list: `"f" is not a known field selector:
    /// only "metadata.name", "metadata.namespace"`.
    Default,
    /// Core kinds, certificates and custom resources:
    /// `field label not supported: f`.
    NotSupported,
    /// `batch/v1` Jobs: `field label "f" not supported for batchv1.Job`.
    BatchJob,
    /// `resource.k8s.io/v1beta1` ResourceSlices.
    ResourceSlice,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectorError::LabelSyntax(msg) | SelectorError::InvalidLabelSelector(msg) => f.write_str(msg),
            SelectorError::FieldSyntax { selector, term } => {
                write!(f, "invalid selector: '{selector}'; can't understand '{term}'")
            }
            SelectorError::InvalidEscape { sequence } => {
                write!(f, "invalid field selector: invalid escape sequence: {sequence}")
            }
            // Go formats the rune with %v, i.e. as its code point number.
            SelectorError::UnescapedCharacter(c) => write!(
                f,
                "invalid field selector: unescaped character in value: {}",
                *c as u32
            ),
            SelectorError::UnsupportedField { field, style } => match style {
                UnsupportedFieldStyle::Default => write!(
                    f,
                    "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
                    validation::go_quote(field)
                ),
                UnsupportedFieldStyle::NotSupported => {
                    write!(f, "field label not supported: {field}")
                }
                UnsupportedFieldStyle::BatchJob => write!(
                    f,
                    "field label {} not supported for batchv1.Job",
                    validation::go_quote(field)
                ),
                UnsupportedFieldStyle::ResourceSlice => write!(
                    f,
                    "field label not supported for resource.k8s.io/v1beta1, Kind=ResourceSlice: {field}"
                ),
            },
        }
    }
}

impl std::error::Error for SelectorError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_field_messages() {
        let e = |style| SelectorError::UnsupportedField {
            field: "foo.bar".into(),
            style,
        };
        assert_eq!(
            e(UnsupportedFieldStyle::Default).to_string(),
            "\"foo.bar\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
        assert_eq!(
            e(UnsupportedFieldStyle::NotSupported).to_string(),
            "field label not supported: foo.bar"
        );
        assert_eq!(
            e(UnsupportedFieldStyle::BatchJob).to_string(),
            "field label \"foo.bar\" not supported for batchv1.Job"
        );
        assert_eq!(
            SelectorError::UnescapedCharacter('=').to_string(),
            "invalid field selector: unescaped character in value: 61"
        );
    }
}
