//! Time as an input. The core never reads a clock: every entry point takes a [`Now`].

/// The current time, handed in by the runtime on every input.
///
/// `mono_ms` drives timeouts and timers and must never go backwards; `wall_ms` (Unix epoch
/// milliseconds) stamps objects (`creationTimestamp`) and checks certificate validity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Now {
    /// Monotonic milliseconds since an arbitrary origin.
    pub mono_ms: u64,
    /// Wall-clock milliseconds since the Unix epoch.
    pub wall_ms: i64,
}

impl Now {
    /// Wall-clock seconds since the Unix epoch.
    pub fn wall_secs(&self) -> i64 {
        self.wall_ms.div_euclid(1000)
    }
}

/// Formats Unix seconds as RFC 3339 with second precision and `Z`, as Kubernetes stamps
/// `metav1.Time` values.
pub fn format_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        y,
        m,
        d,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A proleptic Gregorian date (month 1-12) to days since 1970-01-01.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_714_557_600), "2024-05-01T10:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(days_from_civil(2000, 2, 29), 951_782_400 / 86_400);
        assert_eq!(civil_from_days(days_from_civil(-44, 3, 15)), (-44, 3, 15));
    }
}
