//! Exact resource quantities (`500m`, `1Gi`, `1e3`), as apimachinery's `resource.Quantity`:
//! parsed to an exact count of nano-units (kube rounds anything finer up to `1n`), added,
//! subtracted and compared without loss, and written back in kube's canonical form for the
//! format they were written in (quota's `used: requests.cpu=1500m` and LimitRanger's
//! `maximum cpu usage per Container is 1` read exactly as kube's).

use std::cmp::Ordering;
use std::fmt;

/// Nano-units per unit.
const NANO: i128 = 1_000_000_000;
/// kube caps binary quantities at the largest int64 number of units.
const MAX_BINARY_NANOS: i128 = i64::MAX as i128 * NANO;

/// How a quantity is written back, as kube's `resource.Format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Powers of ten with SI suffixes (`m`, `k`, `M`, ...).
    DecimalSI,
    /// Powers of two with IEC suffixes (`Ki`, `Mi`, ...).
    BinarySI,
    /// Powers of ten as `e<exponent>`.
    DecimalExponent,
}

/// Why a quantity does not parse, in kube's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityError {
    /// The text is not a quantity at all.
    Format,
    /// The suffix is not one kube knows.
    Suffix,
    /// The number does not fit.
    Numeric,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuantityError::Format => {
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            }
            QuantityError::Suffix => "unable to parse quantity's suffix",
            QuantityError::Numeric => "unable to parse quantity's numeric part",
        })
    }
}

impl std::error::Error for QuantityError {}

/// An exact quantity and the format it is written back in.
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

impl Default for Quantity {
    fn default() -> Self {
        Quantity::zero()
    }
}

impl PartialEq for Quantity {
    /// Quantities are equal when their amounts are, whatever their formats.
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

/// The pieces of a quantity's text, as kube's `parseQuantityString` splits it.
struct Parts<'a> {
    negative: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

fn split(s: &str) -> Result<Parts<'_>, QuantityError> {
    let b = s.as_bytes();
    let mut pos = 0;
    let mut negative = false;
    match b.first() {
        Some(b'-') => {
            negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let digits_from = |from: usize| {
        from + b
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let num_end = digits_from(pos);
    let num = s.get(pos..num_end).unwrap_or("");
    pos = num_end;
    let mut denom = "";
    if b.get(pos) == Some(&b'.') {
        let end = digits_from(pos + 1);
        denom = s.get(pos + 1..end).unwrap_or("");
        pos = end;
    }
    let suffix_start = pos;
    while b.get(pos).is_some_and(|c| b"eEinumkKMGTP".contains(c)) {
        pos += 1;
    }
    if matches!(b.get(pos), Some(b'-') | Some(b'+')) {
        pos += 1;
    }
    pos = digits_from(pos);
    if pos != b.len() {
        return Err(QuantityError::Format);
    }
    Ok(Parts {
        negative,
        num,
        denom,
        suffix: s.get(suffix_start..).unwrap_or(""),
    })
}

/// `(base, exponent, format)` of a suffix, as kube's suffixer reads it.
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
    let decimal = [
        ("n", -9),
        ("u", -6),
        ("m", -3),
        ("", 0),
        ("k", 3),
        ("M", 6),
        ("G", 9),
        ("T", 12),
        ("P", 15),
        ("E", 18),
    ];
    if let Some((_, e)) = decimal.iter().find(|(s, _)| *s == suffix) {
        return Some((10, *e, Format::DecimalSI));
    }
    let binary = [
        ("Ki", 10),
        ("Mi", 20),
        ("Gi", 30),
        ("Ti", 40),
        ("Pi", 50),
        ("Ei", 60),
    ];
    if let Some((_, e)) = binary.iter().find(|(s, _)| *s == suffix) {
        return Some((2, *e, Format::BinarySI));
    }
    let rest = suffix.strip_prefix(['e', 'E'])?;
    let exponent: i32 = rest.parse().ok()?;
    Some((10, exponent, Format::DecimalExponent))
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `ceil(n / d)` for non-negative `n` and positive `d`.
fn div_ceil(n: i128, d: i128) -> i128 {
    n / d + i128::from(n % d != 0)
}

impl Quantity {
    /// Zero, written `0`.
    pub const fn zero() -> Self {
        Quantity {
            nanos: 0,
            format: Format::DecimalSI,
        }
    }

    /// `units` whole units in `format` (kube's `NewQuantity`).
    pub fn from_units(units: i64, format: Format) -> Self {
        Quantity {
            nanos: i128::from(units) * NANO,
            format,
        }
    }

    /// `milli` thousandths in `format` (kube's `NewMilliQuantity`).
    pub fn from_milli(milli: i64, format: Format) -> Self {
        Quantity {
            nanos: i128::from(milli) * 1_000_000,
            format,
        }
    }

    /// Parses `s` as kube's `ParseQuantity` does (no surrounding spaces allowed).
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        if s.is_empty() {
            return Err(QuantityError::Format);
        }
        let parts = split(s)?;
        let (base, exponent, mut format) = interpret(parts.suffix).ok_or(QuantityError::Suffix)?;
        // Trailing zeros of the fraction and leading zeros change nothing.
        let denom = parts.denom.trim_end_matches('0');
        let digits = format!("{}{}", parts.num, denom);
        let digits = digits.trim_start_matches('0');
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| QuantityError::Numeric)?
        };
        let frac = u32::try_from(denom.len()).map_err(|_| QuantityError::Numeric)?;
        let mut nanos = if mantissa == 0 {
            0
        } else if base == 10 {
            // value = mantissa * 10^(exponent - frac); in nanos, 9 more.
            let shift = i64::from(exponent) - i64::from(frac) + 9;
            if shift >= 0 {
                let m = u32::try_from(shift)
                    .ok()
                    .and_then(pow10)
                    .ok_or(QuantityError::Numeric)?;
                mantissa.checked_mul(m).ok_or(QuantityError::Numeric)?
            } else {
                // Finer than a nano-unit: rounded up to the next one, as kube does.
                match u32::try_from(-shift).ok().and_then(pow10) {
                    Some(d) => div_ceil(mantissa, d),
                    None => 1,
                }
            }
        } else {
            let two = 1i128
                .checked_shl(exponent.unsigned_abs())
                .ok_or(QuantityError::Numeric)?;
            let d = pow10(frac).ok_or(QuantityError::Numeric)?;
            match mantissa.checked_mul(two).and_then(|v| v.checked_mul(NANO)) {
                Some(n) => div_ceil(n, d),
                None => MAX_BINARY_NANOS,
            }
        };
        if format == Format::BinarySI {
            nanos = nanos.min(MAX_BINARY_NANOS);
            if nanos > 0 && nanos < NANO {
                // Fractions of one are not written in powers of two.
                format = Format::DecimalSI;
            }
        }
        if parts.negative {
            nanos = -nanos;
        }
        Ok(Quantity { nanos, format })
    }

    /// The format it is written back in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether it is zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// -1, 0 or 1.
    pub fn signum(&self) -> i32 {
        self.nanos.signum() as i32
    }

    /// Adds `other` (kube's `Add`: a zero takes the format of what is added to it).
    pub fn add(&mut self, other: &Quantity) {
        if self.nanos == 0 {
            self.format = other.format;
        }
        self.nanos = self.nanos.saturating_add(other.nanos);
    }

    /// Subtracts `other` (kube's `Sub`).
    pub fn sub(&mut self, other: &Quantity) {
        if self.nanos == 0 {
            self.format = other.format;
        }
        self.nanos = self.nanos.saturating_sub(other.nanos);
    }

    /// Rounded up to whole units, format kept (kube's `RoundUp(0)`).
    pub fn round_up_units(&self) -> Quantity {
        let units = if self.nanos >= 0 {
            div_ceil(self.nanos, NANO)
        } else {
            -div_ceil(-self.nanos, NANO)
        };
        Quantity {
            nanos: units.saturating_mul(NANO),
            format: self.format,
        }
    }

    /// Whole units, rounded up (kube's `Value`).
    pub fn value(&self) -> i64 {
        Self::scaled(self.nanos, NANO)
    }

    /// Thousandths, rounded up (kube's `MilliValue`).
    pub fn milli_value(&self) -> i64 {
        Self::scaled(self.nanos, 1_000_000)
    }

    fn scaled(nanos: i128, per: i128) -> i64 {
        let v = if nanos >= 0 {
            div_ceil(nanos, per)
        } else {
            -div_ceil(-nanos, per)
        };
        i64::try_from(v).unwrap_or(if v > 0 { i64::MAX } else { i64::MIN })
    }

    /// kube's canonical text: the number and suffix (`1Gi`, `1500m`, `1e3`).
    fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".into();
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.unsigned_abs();
        let mut format = self.format;
        if format == Format::BinarySI && (abs < 1024 * NANO as u128 || !abs.is_multiple_of(NANO as u128)) {
            // Small or fractional binary amounts read better (and exactly) in decimal.
            format = Format::DecimalSI;
        }
        if format == Format::BinarySI {
            let mut units = abs / NANO as u128;
            let mut exp = 0;
            while exp < 6 && units.is_multiple_of(1024) {
                units /= 1024;
                exp += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .get(exp)
                .copied()
                .unwrap_or("");
            return format!("{sign}{units}{suffix}");
        }
        let mut m = abs;
        let mut exp: i32 = -9;
        while m.is_multiple_of(10) {
            m /= 10;
            exp += 1;
        }
        // Down to a multiple of three, as kube writes it.
        let down = exp.rem_euclid(3);
        m *= 10u128.pow(down.unsigned_abs());
        exp -= down;
        let suffix = match (format, exp) {
            (_, 0) => String::new(),
            (Format::DecimalSI, -9) => "n".into(),
            (Format::DecimalSI, -6) => "u".into(),
            (Format::DecimalSI, -3) => "m".into(),
            (Format::DecimalSI, 3) => "k".into(),
            (Format::DecimalSI, 6) => "M".into(),
            (Format::DecimalSI, 9) => "G".into(),
            (Format::DecimalSI, 12) => "T".into(),
            (Format::DecimalSI, 15) => "P".into(),
            (Format::DecimalSI, 18) => "E".into(),
            (_, e) => format!("e{e}"),
        };
        format!("{sign}{m}{suffix}")
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl From<&Quantity> for serde_json::Value {
    fn from(q: &Quantity) -> Self {
        serde_json::Value::String(q.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// `nanos` of a quantity written `m`×10^`scale`.
    fn dec(m: i128, scale: i32) -> i128 {
        if scale >= -9 {
            m * 10i128.pow((scale + 9) as u32)
        } else {
            m / 10i128.pow((-9 - scale) as u32)
        }
    }

    #[test]
    fn parses_as_kube() {
        // apimachinery's TestQuantityParse: (input, value as m×10^scale, format).
        use Format::*;
        let table: &[(&str, i128, i32, Format)] = &[
            ("0", 0, 0, DecimalSI),
            ("0n", 0, 0, DecimalSI),
            ("0Ki", 0, 0, BinarySI),
            ("0Mi", 0, 0, BinarySI),
            ("1", 1, 0, DecimalSI),
            ("1Ki", 1024, 0, BinarySI),
            ("7Mi", 7 * 1024 * 1024, 0, BinarySI),
            ("3Ei", 3 << 60, 0, BinarySI),
            ("5n", 5, -9, DecimalSI),
            ("4u", 4, -6, DecimalSI),
            ("3m", 3, -3, DecimalSI),
            ("50k", 5, 4, DecimalSI),
            ("300T", 3, 14, DecimalSI),
            ("1E", 1, 18, DecimalSI),
            ("1E-3", 1, -3, DecimalExponent),
            ("1e3", 1, 3, DecimalExponent),
            ("1E18", 1, 18, DecimalExponent),
            ("100.035k", 100035, 0, DecimalSI),
            ("0.0005k", 5, -1, DecimalSI),
            ("0.50000", 5, -1, DecimalSI),
            ("0.5e-2", 5, -3, DecimalExponent),
            ("1.3E+6", 13, 5, DecimalExponent),
            ("6.987654321G", 6987654321, 0, DecimalSI),
            ("1.01E", 101, 16, DecimalSI),
            ("3.001n", 4, -9, DecimalSI),
            ("1.1E-9", 2, -9, DecimalExponent),
            ("0.0000000001", 1, -9, DecimalSI),
            ("0.00000000050", 1, -9, DecimalSI),
            ("0.9n", 1, -9, DecimalSI),
            ("0.00000012345", 124, -9, DecimalSI),
            ("12E", 12, 18, DecimalSI),
            ("100.035Ki", 10243584, -2, BinarySI),
            ("0.5Mi", 524288, 0, BinarySI),
            ("0.025Ti", 274877906944, -1, BinarySI),
            ("0.000000000001Ki", 2, -9, DecimalSI),
            (".001", 1, -3, DecimalSI),
            (".0001k", 100, -3, DecimalSI),
            ("1.", 1, 0, DecimalSI),
            ("1.G", 1, 9, DecimalSI),
        ];
        for (input, m, scale, format) in table {
            let got = q(input);
            assert_eq!(got.nanos, dec(*m, *scale), "{input}");
            assert_eq!(got.format, *format, "{input}");
        }
        assert_eq!(q("9Ei").nanos, MAX_BINARY_NANOS);
        assert_eq!(q("9223372036854775807Ki").nanos, MAX_BINARY_NANOS);
    }

    #[test]
    fn refuses_what_kube_refuses() {
        for bad in [
            "", "1.1.1", "x", "1Kib", "1e", "1ee3", "1 ", " 1", "1Q", "--1", "1e3.5",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Quantity::parse("1Q").unwrap_err(), QuantityError::Format);
        assert_eq!(Quantity::parse("1kk").unwrap_err(), QuantityError::Suffix);
        assert_eq!(
            QuantityError::Format.to_string(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    #[test]
    fn writes_the_canonical_form() {
        // apimachinery's TestQuantityString and TestQuantityParseEmit.
        use Format::*;
        let table: &[(i128, i32, Format, &str)] = &[
            (1024 * 1024 * 1024, 0, BinarySI, "1Gi"),
            (300 * 1024 * 1024, 0, BinarySI, "300Mi"),
            (6 * 1024, 0, BinarySI, "6Ki"),
            (1001 * 1024 * 1024 * 1024, 0, BinarySI, "1001Gi"),
            (5, 0, BinarySI, "5"),
            (500, -3, BinarySI, "500m"),
            (1, 9, DecimalSI, "1G"),
            (1000, 6, DecimalSI, "1G"),
            (1, -3, DecimalSI, "1m"),
            (1080, -3, DecimalSI, "1080m"),
            (108, -2, DecimalSI, "1080m"),
            (1234567, 6, DecimalSI, "1234567M"),
            (1234567, -3, BinarySI, "1234567m"),
            (1025, 0, BinarySI, "1025"),
            (0, 0, BinarySI, "0"),
            (1, 9, DecimalExponent, "1e9"),
            (1, -3, DecimalExponent, "1e-3"),
            (1, -9, DecimalExponent, "1e-9"),
            (80, -3, DecimalExponent, "80e-3"),
            (300, 6, DecimalExponent, "300e6"),
            (0, 0, DecimalExponent, "0"),
            (108, -8, DecimalSI, "1080n"),
            (1080, -6, DecimalSI, "1080u"),
        ];
        for (m, scale, format, want) in table {
            let got = Quantity {
                nanos: dec(*m, *scale),
                format: *format,
            };
            assert_eq!(got.to_string(), *want);
            if got.nanos != 0 {
                let neg = Quantity {
                    nanos: -got.nanos,
                    format: *format,
                };
                assert_eq!(neg.to_string(), format!("-{want}"));
            }
        }
        for (input, want) in [
            ("1024Mi", "1Gi"),
            ("1000M", "1G"),
            (".001Ki", "1024m"),
            (".000001Ki", "1024u"),
            (".000000000001Ki", "2n"),
            ("0.5", "500m"),
            ("1.08", "1080m"),
            ("0.001e0", "1e-3"),
            ("1000e-12", "1e-9"),
            ("-1Ki", "-1Ki"),
        ] {
            assert_eq!(q(input).to_string(), want, "{input}");
        }
    }

    #[test]
    fn adds_subtracts_and_compares_exactly() {
        let mut a = q("500m");
        a.add(&q("500m"));
        assert_eq!(a.to_string(), "1");
        a.add(&q("0.1"));
        assert_eq!(a.to_string(), "1100m");
        a.sub(&q("1100m"));
        assert!(a.is_zero());
        // A zero takes the format of what is added to it.
        let mut z = Quantity::zero();
        z.add(&q("1Gi"));
        assert_eq!(z.to_string(), "1Gi");
        let mut gi = q("1Gi");
        gi.add(&q("1Gi"));
        assert_eq!(gi.to_string(), "2Gi");
        gi.sub(&q("3Gi"));
        assert_eq!(gi.to_string(), "-1Gi");
        assert!(q("1") > q("999m"));
        assert!(q("1Ki") == q("1024"));
        assert!(q("1k") < q("1Ki"));
        assert_eq!(q("1.5").value(), 2);
        assert_eq!(q("1.5").milli_value(), 1500);
        assert_eq!(q("1n").milli_value(), 1);
        assert_eq!(Quantity::from_milli(2500, Format::DecimalSI).to_string(), "2500m");
        assert_eq!(Quantity::from_units(3, Format::DecimalSI).to_string(), "3");
    }
}
