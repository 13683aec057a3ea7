//! Parsing and formatting of durations and latencies (`20s`, `4.21 ms`); sizes are
//! `kstor_text::quantity`'s, re-exported here.

use std::time::Duration;

pub use kstor_text::quantity::{format_bytes, parse_size};

/// Parses a duration such as `20s`, `500ms`, `1m` or `1m30s` (humantime syntax).
///
/// Zero is rejected: a benchmark needs time to measure anything.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("invalid duration {s:?}: {e} (examples: 20s, 500ms, 1m)"))?;
    if d.is_zero() {
        return Err(format!("invalid duration {s:?}: must be greater than zero"));
    }
    Ok(d)
}

/// Formats a latency in nanoseconds with three significant digits and an adapted unit:
/// `850 ns`, `12.3 µs`, `4.21 ms`, `1.20 s`.
pub fn format_ns(ns: u64) -> String {
    let (v, unit) = if ns < 1_000 {
        return format!("{ns} ns");
    } else if ns < 1_000_000 {
        (ns as f64 / 1e3, "µs")
    } else if ns < 1_000_000_000 {
        (ns as f64 / 1e6, "ms")
    } else {
        (ns as f64 / 1e9, "s")
    };
    format!("{} {unit}", sig3(v))
}

/// Formats a latency in nanoseconds as milliseconds with three significant digits:
/// `12.0 ms`, `2.41 ms`, `0.0230 ms`.
pub fn format_ms(ns: u64) -> String {
    format!("{} ms", sig3(ns as f64 / 1e6))
}

/// Three significant digits, without exponent notation.
fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else if v > 0.0 {
        let decimals = (2 - v.log10().floor() as i32).clamp(2, 9) as usize;
        format!("{v:.decimals$}")
    } else {
        "0".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn formatting() {
        assert_eq!(format_ns(850), "850 ns");
        assert_eq!(format_ns(12_345), "12.3 µs");
        assert_eq!(format_ns(4_210_000), "4.21 ms");
        assert_eq!(format_ns(1_200_000_000), "1.20 s");
        assert_eq!(format_ms(12_000_000), "12.0 ms");
        assert_eq!(format_ms(23_000), "0.0230 ms");
        assert_eq!(format_ms(450_000), "0.450 ms");
    }
}
