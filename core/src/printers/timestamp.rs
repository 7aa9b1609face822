//! RFC 3339 timestamps as Kubernetes serializes them (`metav1.Time` and
//! `metav1.MicroTime`), and the "how long ago" cells built from them.

use serde_json::Value;

use super::duration::human_duration;
use crate::time::{days_from_civil, format_rfc3339};

/// Unix seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z), which
/// Kubernetes treats as "not set".
const ZERO_TIME: i64 = -62_135_596_800;

const SECS_PER_DAY: i64 = 86_400;

/// Parses an RFC 3339 timestamp ("2024-05-01T10:00:00Z",
/// "2024-05-01T10:00:00.123456Z", "2024-05-01T12:00:00+02:00") into unix
/// seconds, rounding fractional seconds down. `None` if malformed.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    Time::parse(s).map(|t| t.secs)
}

/// An instant with the sub-second precision of `metav1.MicroTime`, so that
/// durations truncate toward zero exactly as Go's `int(d.Seconds())` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Time {
    secs: i64,
    nanos: u32,
}

impl Time {
    /// A whole-second instant (the caller's "now").
    pub(super) fn from_secs(secs: i64) -> Self {
        Self { secs, nanos: 0 }
    }

    /// Whole seconds from `self` to `later`, truncated toward zero.
    pub(super) fn secs_until(self, later: Time) -> i64 {
        let ns = |t: Time| i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos);
        let secs = (ns(later) - ns(self)) / 1_000_000_000;
        i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX })
    }

    fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 {
            return None;
        }
        let year = digits(b, 0, 4)?;
        let month = digits(b, 5, 2)?;
        let day = digits(b, 8, 2)?;
        let hour = digits(b, 11, 2)?;
        let minute = digits(b, 14, 2)?;
        let second = digits(b, 17, 2)?;
        let separators_ok = b.get(4) == Some(&b'-')
            && b.get(7) == Some(&b'-')
            && matches!(b.get(10), Some(b'T' | b't'))
            && b.get(13) == Some(&b':')
            && b.get(16) == Some(&b':');
        if !separators_ok
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }

        let mut rest = b.get(19..)?;
        let mut nanos = 0u32;
        if let Some((b'.', frac)) = rest.split_first() {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            // Digits past nanoseconds are dropped.
            for i in 0..9 {
                let d = frac.get(i).filter(|_| i < n).map_or(0, |c| u32::from(c - b'0'));
                nanos = nanos * 10 + d;
            }
            rest = frac.get(n..)?;
        }
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let oh = digits(&[*h1, *h2], 0, 2)?;
                let om = digits(&[*m1, *m2], 0, 2)?;
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

        // Month and day were checked against the calendar above.
        let days = days_from_civil(year, month as u32, day as u32);
        let secs = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
        Some(Self { secs, nanos })
    }
}

/// A timestamp field; `None` when absent, unparseable or Go's zero time (all
/// of which Kubernetes prints as unknown).
pub(super) fn time_of(v: Option<&Value>) -> Option<Time> {
    v.and_then(Value::as_str)
        .and_then(Time::parse)
        .filter(|t| *t != Time::from_secs(ZERO_TIME))
}

/// The human duration from `t` to `now`.
pub(super) fn ago(t: Time, now: i64) -> String {
    human_duration(t.secs_until(Time::from_secs(now)))
}

/// `translateTimestampSince`: the human duration from `ts` to `now`, or
/// `"<unknown>"` when the timestamp is not set.
pub(super) fn since(ts: Option<&Value>, now: i64) -> String {
    match time_of(ts) {
        Some(t) => ago(t, now),
        None => "<unknown>".to_owned(),
    }
}

/// The "Created At" cell of the default printer: RFC 3339 in UTC, Go's zero
/// time when unset.
pub(super) fn created_at(ts: Option<&Value>) -> String {
    format_rfc3339(time_of(ts).map_or(ZERO_TIME, |t| t.secs))
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let s = b.get(start..start.checked_add(len)?)?;
    s.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_utc_fraction_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-05-01T10:00:00Z"), Some(1_714_557_600));
        assert_eq!(parse_rfc3339("2024-05-01T10:00:00.999999Z"), Some(1_714_557_600));
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00+02:00"), Some(1_714_557_600));
        assert_eq!(parse_rfc3339("2024-05-01T05:30:00.5-04:30"), Some(1_714_557_600));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(ZERO_TIME));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
    }

    #[test]
    fn keeps_nanoseconds() {
        let t = |s| Time::parse(s).map(|t| (t.secs, t.nanos));
        assert_eq!(t("1970-01-01T00:00:01.5Z"), Some((1, 500_000_000)));
        assert_eq!(t("1970-01-01T00:00:01.123456789123Z"), Some((1, 123_456_789)));
        assert_eq!(t("1969-12-31T23:59:59.25Z"), Some((-1, 250_000_000)));
        let a = Time::from_secs(0);
        let b = Time { secs: 2, nanos: 1 };
        assert_eq!((a.secs_until(b), b.secs_until(a)), (2, -2));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T10:00:00",
            "2024-05-01 10:00:00Z",
            "2024-13-01T10:00:00Z",
            "2023-02-29T10:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:00:60Z",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+0200",
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00Zjunk",
            "２024-05-01T10:00:00Z",
            "+024-05-01T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-05-01T10:00:00Z",
            "2000-02-29T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "1900-03-01T01:02:03Z",
            "9999-12-31T23:59:59Z",
        ] {
            let t = parse_rfc3339(s).unwrap_or(i64::MIN);
            assert_eq!(format_rfc3339(t), s);
        }
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn since_and_created_at() {
        let now = parse_rfc3339("2024-05-01T10:05:00Z").unwrap_or(0);
        assert_eq!(since(Some(&json!("2024-05-01T10:00:00Z")), now), "5m");
        assert_eq!(since(None, now), "<unknown>");
        assert_eq!(since(Some(&json!("garbage")), now), "<unknown>");
        assert_eq!(since(Some(&json!(12)), now), "<unknown>");
        assert_eq!(since(Some(&json!("0001-01-01T00:00:00Z")), now), "<unknown>");
        assert_eq!(since(Some(&json!("2024-05-01T11:00:00Z")), now), "<invalid>");
        assert_eq!(
            created_at(Some(&json!("2024-05-01T12:00:00+02:00"))),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(created_at(None), "0001-01-01T00:00:00Z");
    }
}
