//! Kubernetes' human-readable durations (the AGE column).
//!
//! Mirrors `HumanDuration` of k8s.io/apimachinery/pkg/util/duration: about
//! two to three significant figures, coarser as the duration grows.

/// Renders a duration in whole seconds the way `kubectl get` shows ages:
/// "45s", "2m3s", "10m", "3h4m", "20h", "2d3h", "8d", "2y3d", "9y".
///
/// A duration of -1s still renders as "0s" (clock skew between machines);
/// anything further in the future is `"<invalid>"`.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".to_owned();
    }
    if secs < 0 {
        return "0s".to_owned();
    }
    if secs < 60 * 2 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        let dy = days % 365;
        return if dy == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{dy}d")
        };
    }
    format!("{years}y")
}

#[cfg(test)]
mod tests {
    use super::human_duration as h;

    const MIN: i64 = 60;
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;

    #[test]
    fn future_and_skew() {
        assert_eq!(h(-2), "<invalid>");
        assert_eq!(h(-1000), "<invalid>");
        assert_eq!(h(-1), "0s");
        assert_eq!(h(0), "0s");
    }

    #[test]
    fn seconds_up_to_two_minutes() {
        assert_eq!(h(1), "1s");
        assert_eq!(h(59), "59s");
        assert_eq!(h(60), "60s");
        assert_eq!(h(119), "119s");
    }

    #[test]
    fn minutes_and_seconds_below_ten_minutes() {
        assert_eq!(h(120), "2m");
        assert_eq!(h(123), "2m3s");
        assert_eq!(h(10 * MIN - 1), "9m59s");
        assert_eq!(h(10 * MIN), "10m");
        assert_eq!(h(10 * MIN + 59), "10m");
        assert_eq!(h(3 * HOUR - 1), "179m");
    }

    #[test]
    fn hours_and_minutes_below_eight_hours() {
        assert_eq!(h(3 * HOUR), "3h");
        assert_eq!(h(3 * HOUR + 4 * MIN), "3h4m");
        assert_eq!(h(3 * HOUR + 4 * MIN + 59), "3h4m");
        assert_eq!(h(8 * HOUR - 1), "7h59m");
        assert_eq!(h(8 * HOUR), "8h");
        assert_eq!(h(48 * HOUR - 1), "47h");
    }

    #[test]
    fn days() {
        assert_eq!(h(2 * DAY), "2d");
        assert_eq!(h(2 * DAY + 3 * HOUR), "2d3h");
        assert_eq!(h(8 * DAY - 1), "7d23h");
        assert_eq!(h(8 * DAY), "8d");
        assert_eq!(h(2 * YEAR - 1), "729d");
    }

    #[test]
    fn years() {
        assert_eq!(h(2 * YEAR), "2y");
        assert_eq!(h(2 * YEAR + 3 * DAY), "2y3d");
        assert_eq!(h(8 * YEAR - 1), "7y364d");
        assert_eq!(h(8 * YEAR), "8y");
        assert_eq!(h(100 * YEAR + 5 * DAY), "100y");
        assert!(!h(i64::MAX).is_empty());
    }
}
