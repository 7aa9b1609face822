//! JSON forms of `metav1.Time`, `metav1.MicroTime` and `metav1.Duration`.
//!
//! On the wire Time and MicroTime are `{seconds, nanos}` since the Unix epoch; in JSON they
//! are RFC 3339 strings in UTC: second precision for Time, exactly six fractional digits for
//! MicroTime. The zero time (an empty message) is JSON `null`. Duration is nanoseconds on
//! the wire and Go's `time.Duration` string (`1h2m3.5s`) in JSON.

use crate::time::{civil_from_days, days_from_civil};

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch: the Go zero time.
const GO_ZERO_SECONDS: i64 = -62_135_596_800;
/// 0000-01-01T00:00:00Z.
const MIN_SECONDS: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// Formats a timestamp. `micros` selects MicroTime's six fractional digits.
/// Returns `Ok(None)` for the zero time, which Kubernetes writes as JSON `null`.
pub(crate) fn format_time(seconds: i64, nanos: i64, micros: bool) -> Result<Option<String>, &'static str> {
    if !(0..1_000_000_000).contains(&nanos) {
        return Err("nanos out of range");
    }
    if seconds == GO_ZERO_SECONDS && nanos == 0 {
        return Ok(None);
    }
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return Err("year outside of range [0,9999]");
    }
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    Ok(Some(if micros {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}Z", nanos / 1000)
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }))
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    })
}

/// Parses an RFC 3339 timestamp into `(seconds, nanos)` since the Unix epoch.
pub(crate) fn parse_time(text: &str) -> Option<(i64, i64)> {
    let b = text.as_bytes();
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't')) || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let year = digits(b.get(0..4)?)?;
    let month = u32::try_from(digits(b.get(5..7)?)?).ok()?;
    let day = u32::try_from(digits(b.get(8..10)?)?).ok()?;
    let (h, mi, s) = (
        digits(b.get(11..13)?)?,
        digits(b.get(14..16)?)?,
        digits(b.get(17..19)?)?,
    );
    if !(1..=12).contains(&month) || day == 0 || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day > *month_days.get(month as usize - 1)? {
        return None;
    }
    let mut rest = b.get(19..)?;
    let mut nanos = 0i64;
    if rest.first() == Some(&b'.') {
        let frac_len = rest.iter().skip(1).take_while(|c| c.is_ascii_digit()).count();
        if frac_len == 0 || frac_len > 9 {
            return None;
        }
        let frac = digits(rest.get(1..=frac_len)?)?;
        nanos = frac * 10i64.pow(9 - frac_len as u32);
        rest = rest.get(1 + frac_len..)?;
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let oh = digits(&[*oh1, *oh2])?;
            let om = digits(&[*om1, *om2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + s - offset;
    Some((seconds, nanos))
}

/// Formats nanoseconds the way Go's `time.Duration.String` does.
pub(crate) fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second values use the largest unit that keeps an integer part.
        let (unit, prec) = match u {
            0..=999 => ("ns", 0),
            1_000..=999_999 => ("µs", 3),
            _ => ("ms", 6),
        };
        let (frac, int) = fraction(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = fraction(u, 9);
        u = secs;
        let mut parts = format!("{}{}s", u % 60, frac);
        u /= 60;
        if u > 0 {
            parts = format!("{}m{}", u % 60, parts);
            u /= 60;
            if u > 0 {
                parts = format!("{u}h{parts}");
            }
        }
        out.push_str(&parts);
    }
    if nanos < 0 {
        out.insert(0, '-');
    }
    out
}

/// Splits `v` into `v / 10^prec` and its fractional digits, trailing zeros removed.
fn fraction(v: u64, prec: u32) -> (String, u64) {
    let scale = 10u64.pow(prec);
    let frac = v % scale;
    if frac == 0 {
        return (String::new(), v / scale);
    }
    let s = format!("{frac:0width$}", width = prec as usize);
    (format!(".{}", s.trim_end_matches('0')), v / scale)
}

/// Parses a Go duration string (`300ms`, `-1.5h`, `2h45m`) into nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let (neg, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.bytes().take_while(u8::is_ascii_digit).count();
                a.split_at(n)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(i, _)| i);
        let (unit, after) = after.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let int: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        let mut value = int.checked_mul(scale)?;
        let mut frac_scale = scale;
        for d in frac_part.bytes().take(18) {
            frac_scale /= 10;
            value = value.checked_add(i128::from(d - b'0') * frac_scale)?;
        }
        total = total.checked_add(value)?;
        if total > i128::from(i64::MAX) + 1 {
            return None;
        }
        rest = after;
    }
    let total = if neg { -total } else { total };
    i64::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_time_with_second_precision() {
        assert_eq!(format_time(0, 0, false), Ok(Some("1970-01-01T00:00:00Z".into())));
        assert_eq!(
            format_time(1_700_000_000, 999_999_999, false),
            Ok(Some("2023-11-14T22:13:20Z".into()))
        );
        assert_eq!(
            format_time(951_782_400, 0, false),
            Ok(Some("2000-02-29T00:00:00Z".into()))
        );
        assert_eq!(format_time(-1, 0, false), Ok(Some("1969-12-31T23:59:59Z".into())));
    }

    #[test]
    fn formats_micro_time_with_six_digits() {
        assert_eq!(
            format_time(1_700_000_000, 123_456_789, true),
            Ok(Some("2023-11-14T22:13:20.123456Z".into()))
        );
        assert_eq!(
            format_time(1_700_000_000, 0, true),
            Ok(Some("2023-11-14T22:13:20.000000Z".into()))
        );
    }

    #[test]
    fn zero_time_is_null_and_out_of_range_is_error() {
        assert_eq!(format_time(GO_ZERO_SECONDS, 0, false), Ok(None));
        assert!(format_time(MAX_SECONDS + 1, 0, false).is_err());
        assert!(format_time(i64::MIN, 0, false).is_err());
        assert!(format_time(0, -1, false).is_err());
        assert!(format_time(0, 1_000_000_000, true).is_err());
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_time("2023-11-14T22:13:20.123456Z"),
            Some((1_700_000_000, 123_456_000))
        );
        assert_eq!(parse_time("2023-11-15T00:13:20+02:00"), Some((1_700_000_000, 0)));
        assert_eq!(parse_time("0001-01-01T00:00:00Z"), Some((GO_ZERO_SECONDS, 0)));
        for bad in [
            "",
            "2023-13-01T00:00:00Z",
            "2023-02-30T00:00:00Z",
            "2023-01-01 00:00:00Z",
            "2023-01-01T00:00:00",
            "2023-01-01T00:00:00.Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_round_trips() {
        for s in [
            -62_135_596_799i64,
            -86_401,
            0,
            1,
            951_868_799,
            1_700_000_000,
            MAX_SECONDS,
        ] {
            let text = format_time(s, 0, false).unwrap().unwrap();
            assert_eq!(parse_time(&text), Some((s, 0)), "{text}");
        }
    }

    #[test]
    fn formats_durations_like_go() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(1), "1ns");
        assert_eq!(format_duration(1_500), "1.5µs");
        assert_eq!(format_duration(100_000_000), "100ms");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(90_000_000_000), "1m30s");
        assert_eq!(format_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_duration(-3_723_000_000_000), "-1h2m3s");
        assert_eq!(format_duration(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("1h0m0s"), Some(3_600_000_000_000));
        assert_eq!(parse_duration("1.5µs"), Some(1_500));
        assert_eq!(parse_duration("-1m30s"), Some(-90_000_000_000));
        assert_eq!(parse_duration("300ms"), Some(300_000_000));
        assert_eq!(parse_duration(".5s"), Some(500_000_000));
        for bad in [
            "",
            "1",
            "h",
            "1x",
            "-",
            "99999999999999h",
            "47261156347870048352681254707.9999h",
            "170141183460469231731687303715884105727ns",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        for n in [
            0i64,
            1,
            1_500,
            1_500_000_000,
            90_000_000_000,
            -3_723_000_000_000,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(parse_duration(&format_duration(n)), Some(n), "{n}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,40}", digits in "[0-9.+:TZ-]{0,40}") {
            let _ = parse_time(&text);
            let _ = parse_time(&digits);
            let _ = parse_duration(&text);
            let _ = parse_duration(&digits);
        }

        #[test]
        fn formatting_never_panics(seconds: i64, nanos: i64, micros: bool) {
            let _ = format_time(seconds, nanos, micros);
            let _ = format_duration(seconds);
        }
    }
}
