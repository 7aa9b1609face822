//! A small parser for Kubernetes resource quantities (`100m`, `1Gi`, `1e3`,
//! `0.5`), enough to check syntax, sign and ordering between requests and
//! limits.

use std::cmp::Ordering;

/// The error text Kubernetes gives for a quantity that does not parse.
pub const QUANTITY_FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// A parsed quantity, kept as a float approximation plus its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    value: f64,
    text: String,
}

impl Quantity {
    /// Parse a quantity string; `Err` carries Kubernetes' error text.
    pub fn parse(s: &str) -> Result<Quantity, &'static str> {
        let s = s.trim();
        if s.is_empty() {
            return Err(QUANTITY_FORMAT_ERROR);
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        if matches!(bytes.first(), Some(b'+') | Some(b'-')) {
            i = 1;
        }
        let mut dots = 0;
        let mut digits = 0;
        while let Some(&c) = bytes.get(i) {
            if c.is_ascii_digit() {
                digits += 1;
            } else if c == b'.' {
                dots += 1;
            } else {
                break;
            }
            i += 1;
        }
        if digits == 0 || dots > 1 {
            return Err(QUANTITY_FORMAT_ERROR);
        }
        let number: f64 = s
            .get(..i)
            .and_then(|n| n.parse().ok())
            .ok_or(QUANTITY_FORMAT_ERROR)?;
        let suffix = s.get(i..).unwrap_or("");
        let multiplier = suffix_multiplier(suffix).ok_or("unable to parse quantity's suffix")?;
        let value = number * multiplier;
        if !value.is_finite() {
            return Err(QUANTITY_FORMAT_ERROR);
        }
        Ok(Quantity {
            value,
            text: s.to_string(),
        })
    }

    /// The quantity as a float.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The text it was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when the quantity is below zero.
    pub fn is_negative(&self) -> bool {
        self.value < 0.0
    }

    /// Numeric ordering (quantities are always finite).
    pub fn cmp_value(&self, other: &Quantity) -> Ordering {
        self.value.partial_cmp(&other.value).unwrap_or(Ordering::Equal)
    }
}

fn suffix_multiplier(suffix: &str) -> Option<f64> {
    let m = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => {
            let exp = suffix.strip_prefix('e').or_else(|| suffix.strip_prefix('E'))?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) || digits.len() > 4 {
                return None;
            }
            let e: i32 = exp.parse().ok()?;
            10f64.powi(e)
        }
    };
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(Quantity::parse("100m").map(|q| q.value()), Ok(0.1));
        assert_eq!(Quantity::parse("1Gi").map(|q| q.value()), Ok(1073741824.0));
        assert_eq!(Quantity::parse("1e3").map(|q| q.value()), Ok(1000.0));
        assert_eq!(Quantity::parse("0.5").map(|q| q.value()), Ok(0.5));
        assert_eq!(Quantity::parse("-1").map(|q| q.is_negative()), Ok(true));
        assert_eq!(Quantity::parse("2E").map(|q| q.value()), Ok(2e18));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Quantity::parse("abc"), Err(QUANTITY_FORMAT_ERROR));
        assert_eq!(Quantity::parse("1.2.3"), Err(QUANTITY_FORMAT_ERROR));
        assert!(Quantity::parse("1Xi").is_err());
        assert!(Quantity::parse("").is_err());
        assert!(Quantity::parse("1e99999").is_err());
    }

    #[test]
    fn ordering() {
        let a = Quantity::parse("500m").unwrap_or_else(|_| unreachable!());
        let b = Quantity::parse("1").unwrap_or_else(|_| unreachable!());
        assert_eq!(a.cmp_value(&b), Ordering::Less);
    }
}
