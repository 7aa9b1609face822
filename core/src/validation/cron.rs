//! CronJob schedule parsing with the error texts of the standard 5-field
//! cron parser Kubernetes uses (minute hour day-of-month month day-of-week,
//! plus `@hourly`-style descriptors).

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// Check a schedule; `Err` carries the parser's error text.
pub fn parse_schedule(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("empty spec string".to_string());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        // The location name is not checked against a time-zone database here.
        let Some(space) = spec.find(' ') else {
            return Err(format!("provided bad location {spec}: unknown time zone"));
        };
        spec = spec.get(space..).unwrap_or("").trim();
    }
    if let Some(desc) = spec.strip_prefix('@') {
        return parse_descriptor(desc, spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    let bounds = [&MINUTES, &HOURS, &DOM, &MONTHS, &DOW];
    for (field, b) in fields.iter().zip(bounds) {
        for expr in field.split(',').filter(|e| !e.is_empty()) {
            parse_range(expr, b)?;
        }
    }
    Ok(())
}

fn parse_descriptor(desc: &str, spec: &str) -> Result<(), String> {
    match desc {
        "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => Ok(()),
        _ => {
            if let Some(d) = spec.strip_prefix("@every ") {
                if parse_go_duration(d) {
                    return Ok(());
                }
                return Err(format!(
                    "failed to parse duration {spec}: time: invalid duration {}",
                    go_quote_plain(d)
                ));
            }
            Err(format!("unrecognized descriptor: {spec}"))
        }
    }
}

fn go_quote_plain(s: &str) -> String {
    format!("\"{s}\"")
}

/// Accepts Go duration syntax such as `1h30m`, `90s`, `1.5h`.
fn parse_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|c| c.is_ascii_digit() || *c == b'.')
            .count();
        if num_len == 0 {
            return false;
        }
        rest = rest.get(num_len..).unwrap_or("");
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = rest.get(u.len()..).unwrap_or(""),
            None => return false,
        }
    }
    true
}

fn atoi(expr: &str) -> Result<u32, String> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": invalid syntax"
        ));
    }
    let n: i64 = match expr.parse() {
        Ok(n) => n,
        Err(_) => {
            return Err(format!(
                "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": value out of range"
            ))
        }
    };
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    u32::try_from(n).map_err(|_| format!("end of range ({n}) above maximum: {expr}"))
}

fn int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    atoi(expr)
}

fn parse_range(expr: &str, b: &Bounds) -> Result<(), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let first = range_and_step.first().copied().unwrap_or("");
    let low_high: Vec<&str> = first.split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end) = match low_high.as_slice() {
        ["*"] | ["?"] => (b.min, b.max),
        [one] => {
            let v = int_or_name(one, b)?;
            (v, v)
        }
        [lo, hi] if *lo != "*" && *lo != "?" => (int_or_name(lo, b)?, int_or_name(hi, b)?),
        [lo, _] => (int_or_name(lo, b)?, 0),
        _ => {
            if low_high.first().is_some_and(|l| *l == "*" || *l == "?") {
                (b.min, b.max)
            } else {
                int_or_name(low_high.first().copied().unwrap_or(""), b)?;
                return Err(format!("too many hyphens: {expr}"));
            }
        }
    };
    let step = match range_and_step.as_slice() {
        [_] => 1,
        [_, s] => {
            let step = atoi(s)?;
            if single {
                end = b.max;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_schedules() {
        for s in [
            "*/5 * * * *",
            "0 0 * * 0",
            "@hourly",
            "@every 1h30m",
            "0 9-17 * JAN-mar mon-fri",
            "15,45 */2 1 1 *",
            "TZ=UTC 0 0 * * *",
        ] {
            assert_eq!(parse_schedule(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn invalid_schedules() {
        assert_eq!(
            parse_schedule("foo"),
            Err("expected exactly 5 fields, found 1: [foo]".to_string())
        );
        assert_eq!(
            parse_schedule("x * * * *"),
            Err("failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax".to_string())
        );
        assert_eq!(
            parse_schedule("0-70 * * * *"),
            Err("end of range (70) above maximum (59): 0-70".to_string())
        );
        assert_eq!(
            parse_schedule("* * 0 * *"),
            Err("beginning of range (0) below minimum (1): 0".to_string())
        );
        assert_eq!(
            parse_schedule("@sometimes"),
            Err("unrecognized descriptor: @sometimes".to_string())
        );
        assert_eq!(
            parse_schedule("*/0 * * * *"),
            Err("step of range should be a positive number: */0".to_string())
        );
        assert_eq!(
            parse_schedule("5-1 * * * *"),
            Err("beginning of range (5) beyond end of range (1): 5-1".to_string())
        );
    }
}
