//! Resource quantities as kube-apiserver prints them: the canonical form of
//! `resource.Quantity.String()` ("1536Mi" for "1.5Gi", "1k" for "1000",
//! "500m" for "0.5").
//!
//! Printers see quantities as stored JSON strings. Canonicalizing here keeps
//! cells right even when an object still holds the form a client sent.
//! Anything that does not parse prints as written.

use serde_json::Value;

/// How a quantity was written, which decides how it is printed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Powers of 1024: Ki, Mi, Gi, Ti, Pi, Ei.
    BinarySi,
    /// Powers of 1000: n, u, m, (none), k, M, G, T, P, E.
    DecimalSi,
    /// `e<exp>` / `E<exp>` notation.
    DecimalExponent,
}

/// A decimal number `mant * 10^scale`, with its sign kept apart.
#[derive(Debug, Clone, Copy)]
struct Dec {
    negative: bool,
    mant: u128,
    scale: i32,
}

/// Most fractional digits a quantity keeps: values are rounded up to nanos.
const MIN_SCALE: i32 = -9;

/// Exponents beyond this are not worth representing; print as written.
const MAX_EXPONENT: i32 = 1000;

/// A quantity field that is a Go value type: absent reads as zero ("0").
pub(super) fn or_zero(v: Option<&Value>) -> String {
    text(v).map_or_else(|| "0".to_owned(), canonical)
}

/// A quantity field behind a Go pointer: absent prints as Go's nil, "<nil>".
pub(super) fn or_nil(v: Option<&Value>) -> String {
    text(v).map_or_else(|| "<nil>".to_owned(), canonical)
}

/// A quantity field, `None` when absent or null.
pub(super) fn opt(v: Option<&Value>) -> Option<String> {
    text(v).map(canonical)
}

/// The JSON text of a quantity (clients may send bare numbers).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The canonical spelling of `s`, or `s` itself if it does not parse.
pub(super) fn canonical(s: String) -> String {
    match parse(&s) {
        Some((dec, format)) => render(dec, format),
        None => s,
    }
}

fn parse(s: &str) -> Option<(Dec, Format)> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    let number_len = rest
        .bytes()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .count();
    let (number, suffix) = rest.split_at(number_len);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
        return None;
    }
    let mut mant: u128 = 0;
    for c in int_part.bytes().chain(frac_part.bytes()) {
        mant = mant.checked_mul(10)?.checked_add(u128::from(c - b'0'))?;
    }
    let mut scale = -i32::try_from(frac_part.len()).ok()?;

    let format = match suffix {
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = match suffix {
                "Ki" => 1,
                "Mi" => 2,
                "Gi" => 3,
                "Ti" => 4,
                "Pi" => 5,
                _ => 6,
            };
            mant = mant.checked_mul(1024u128.checked_pow(power)?)?;
            Format::BinarySi
        }
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => {
            scale += match suffix {
                "n" => -9,
                "u" => -6,
                "m" => -3,
                "k" => 3,
                "M" => 6,
                "G" => 9,
                "T" => 12,
                "P" => 15,
                "E" => 18,
                _ => 0,
            };
            Format::DecimalSi
        }
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let e: i32 = exp.parse().ok()?;
            if e.abs() > MAX_EXPONENT {
                return None;
            }
            scale += e;
            Format::DecimalExponent
        }
    };

    if mant != 0 && scale < MIN_SCALE {
        // Round away from zero so that a tiny request still asks for something.
        let shift = u32::try_from(MIN_SCALE - scale).ok()?;
        mant = match 10u128.checked_pow(shift) {
            Some(div) => mant / div + u128::from(!mant.is_multiple_of(div)),
            None => 1,
        };
        scale = MIN_SCALE;
    }
    let format = if format == Format::BinarySi && mant != 0 && below(mant, scale, 1) {
        Format::DecimalSi
    } else {
        format
    };
    Some((
        Dec {
            negative,
            mant,
            scale,
        },
        format,
    ))
}

/// True if `mant * 10^scale < limit`.
fn below(mant: u128, scale: i32, limit: u128) -> bool {
    if scale >= 0 {
        let factor = u32::try_from(scale).ok().and_then(|s| 10u128.checked_pow(s));
        factor
            .and_then(|f| mant.checked_mul(f))
            .is_some_and(|v| v < limit)
    } else {
        let shift = u32::try_from(-scale).unwrap_or(u32::MAX);
        match 10u128.checked_pow(shift) {
            Some(div) => mant / div < limit,
            None => true,
        }
    }
}

fn render(dec: Dec, format: Format) -> String {
    if dec.mant == 0 {
        return "0".to_owned();
    }
    let sign = if dec.negative { "-" } else { "" };
    if format == Format::BinarySi && !below(dec.mant, dec.scale, 1024) {
        if let Some(whole) = exact_integer(dec.mant, dec.scale) {
            let (mut amount, mut power) = (whole, 0usize);
            while amount % 1024 == 0 && power < 6 {
                amount /= 1024;
                power += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .get(power)
                .copied()
                .unwrap_or("");
            return format!("{sign}{amount}{suffix}");
        }
        // Not a whole number of bytes: print in decimal rather than round.
    }

    let (mut mant, mut scale) = (dec.mant, dec.scale);
    while mant % 10 == 0 {
        mant /= 10;
        scale += 1;
    }
    // Exponents are multiples of three, so the mantissa grows instead.
    let r = scale.rem_euclid(3);
    match mant.checked_mul(10u128.pow(r.unsigned_abs())) {
        Some(m) => {
            mant = m;
            scale -= r;
        }
        None => return format!("{sign}{mant}e{scale}"),
    }
    let suffix = match format {
        Format::DecimalExponent if scale == 0 => String::new(),
        Format::DecimalExponent => format!("e{scale}"),
        _ => match scale {
            -9 => "n".to_owned(),
            -6 => "u".to_owned(),
            -3 => "m".to_owned(),
            0 => String::new(),
            3 => "k".to_owned(),
            6 => "M".to_owned(),
            9 => "G".to_owned(),
            12 => "T".to_owned(),
            15 => "P".to_owned(),
            18 => "E".to_owned(),
            _ => format!("e{scale}"),
        },
    };
    format!("{sign}{mant}{suffix}")
}

/// `mant * 10^scale` as an integer, if it is one and fits.
fn exact_integer(mant: u128, scale: i32) -> Option<u128> {
    if scale >= 0 {
        mant.checked_mul(10u128.checked_pow(u32::try_from(scale).ok()?)?)
    } else {
        let div = 10u128.checked_pow(u32::try_from(-scale).ok()?)?;
        mant.is_multiple_of(div).then_some(mant / div)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(s: &str) -> String {
        canonical(s.to_owned())
    }

    #[test]
    fn canonical_forms() {
        for (input, want) in [
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("1000Mi", "1000Mi"),
            ("1536", "1536"),
            ("0.5Ki", "512"),
            ("1000", "1k"),
            ("1500", "1500"),
            ("2000m", "2"),
            ("0.5", "500m"),
            ("100m", "100m"),
            ("0.1", "100m"),
            ("1e3", "1e3"),
            ("1.5e3", "1500"),
            ("1E", "1E"),
            ("12e6", "12e6"),
            ("-5", "-5"),
            ("+5Mi", "5Mi"),
            ("0", "0"),
            ("0Gi", "0"),
            ("0.0000000001", "1n"),
            ("10G", "10G"),
            ("5000000k", "5G"),
        ] {
            assert_eq!(c(input), want, "{input}");
        }
    }

    #[test]
    fn unparseable_prints_as_written() {
        for bad in ["", "abc", "1.2.3", "1Zi", "1e", "1e+", "Gi", "-", "1e99999"] {
            assert_eq!(c(bad), bad);
        }
    }

    #[test]
    fn field_helpers() {
        assert_eq!(or_zero(None), "0");
        assert_eq!(or_nil(Some(&Value::Null)), "<nil>");
        assert_eq!(or_zero(Some(&json!(2048))), "2048");
        assert_eq!(opt(Some(&json!("2Ki"))), Some("2Ki".to_owned()));
        assert_eq!(opt(Some(&json!(true))), None);
    }
}
