//! Kubernetes resource quantities (`10Gi`, `512Mi`, `1.5G`, `500m`) and byte sizes given on the
//! command line (`64MiB`, `1GiB`), parsed with one suffix table; byte counts formatted for
//! people (`1.5 GiB`) and as quantities (`512Mi`).

const KI: f64 = 1024.0;

/// Bytes in a GiB.
pub const GIB: f64 = KI * KI * KI;

/// The Kubernetes suffixes of whole multiples: decimal (powers of 1000) and binary (powers of
/// 1024).
const SUFFIXES: [(&str, f64); 12] = [
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
    ("E", 1e18),
    ("Ki", KI),
    ("Mi", KI * KI),
    ("Gi", KI * KI * KI),
    ("Ti", KI * KI * KI * KI),
    ("Pi", KI * KI * KI * KI * KI),
    ("Ei", KI * KI * KI * KI * KI * KI),
];

/// Splits `12.5Gi` into `12.5` and `Gi`.
fn split(text: &str) -> Option<(f64, &str)> {
    let end =
        text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(end);
    Some((number.parse().ok()?, suffix))
}

/// Parses a quantity into its numeric value (bytes for storage and memory), with the exact
/// Kubernetes grammar: `k`, `M`, … `E`, `Ki` … `Ei`, `m` (milli) and exponents (`1e3`).
///
/// Returns `None` for text that is not a valid quantity.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let (number, suffix) = split(text.trim())?;
    let multiplier = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        s => match SUFFIXES.iter().find(|(name, _)| *name == s) {
            Some((_, multiplier)) => *multiplier,
            // `Ei` is a suffix (above), `E3` an exponent.
            None if s.starts_with(['e', 'E']) => 10f64.powi(s[1..].parse::<i32>().ok()?),
            None => return None,
        },
    };
    Some(number * multiplier)
}

/// Parses a byte size given by a person: a quantity suffix with an optional `B` (`64MiB`,
/// `1Gi`, `500M`, `10 GB`), or bare bytes (`4096`, `512B`). Units are case-insensitive (`m` is
/// mega here, there are no milli-bytes) and fractions are rounded to whole bytes (`1.5GiB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || format!("invalid size {text:?} (examples: 256MiB, 1GiB, 500M, 4096)");
    let (number, unit) = split(text.trim()).ok_or_else(bad)?;
    let unit = unit.trim();
    let unit = unit.strip_suffix(['B', 'b']).unwrap_or(unit);
    let multiplier = match unit {
        "" => 1.0,
        u => SUFFIXES.iter().find(|(name, _)| name.eq_ignore_ascii_case(u)).ok_or_else(bad)?.1,
    };
    let bytes = (number * multiplier).round();
    if bytes < 0.0 {
        return Err(bad());
    }
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("invalid size {text:?}: too large"));
    }
    Ok(bytes as u64)
}

/// `12` when within 0.05 of a whole number, else one decimal (`1.5`).
fn one_decimal(value: f64) -> String {
    if (value - value.round()).abs() < 0.05 { format!("{value:.0}") } else { format!("{value:.1}") }
}

/// Formats a byte count with binary units: `512 B`, `256 MiB`, `1.5 GiB`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= KI && unit < UNITS.len() - 1 {
        value /= KI;
        unit += 1;
    }
    format!("{} {}", one_decimal(value), UNITS[unit])
}

/// Formats a byte count in GiB, whatever its size, so that a column of them compares at a
/// glance: `100 GiB`, `0.5 GiB`.
pub fn format_gib(bytes: f64) -> String {
    format!("{} GiB", one_decimal(bytes / GIB))
}

/// Formats a byte count as a Kubernetes quantity with a binary suffix and up to two decimals:
/// `512Mi`, `1.5Gi`, `286.1Mi`, `1000`.
pub fn format_quantity(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["", "Ki", "Mi", "Gi", "Ti"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= KI && unit < UNITS.len() - 1 {
        value /= KI;
        unit += 1;
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubernetes_quantities() {
        assert_eq!(parse_quantity("10Gi"), Some(10.0 * GIB));
        assert_eq!(parse_quantity("512Mi"), Some(512.0 * KI * KI));
        assert_eq!(parse_quantity("1G"), Some(1e9));
        assert_eq!(parse_quantity("2k"), Some(2e3));
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("1.5Gi"), Some(1.5 * GIB));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("2E2"), Some(200.0));
        assert_eq!(parse_quantity("1E"), Some(1e18));
        assert_eq!(parse_quantity("128"), Some(128.0));
        assert_eq!(parse_quantity(" 1Ei "), Some(KI.powi(6)));
        // The strict grammar: no byte units, no upper-case kilo, no lower-case binary suffixes.
        for bad in ["10GB", "1GiB", "1K", "1gi", "1e", "lots", ""] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_sizes_from_people() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1Gi"), Ok(1 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("500M"), Ok(500_000_000));
        assert_eq!(parse_size("10M"), Ok(10_000_000));
        assert_eq!(parse_size("1TB"), Ok(1_000_000_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512B"), Ok(512));
        assert_eq!(parse_size("8 kib"), Ok(8192));
        assert_eq!(parse_size("2K"), Ok(2000));
        assert_eq!(parse_size("1EiB"), Ok(1 << 60));
        for bad in ["lots", "ten", "12XB", "", "B", "-1MiB", "1e3"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("99999999PiB").unwrap_err().contains("too large"));
    }

    #[test]
    fn formats_bytes() {
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(256.0 * KI * KI), "256 MiB");
        assert_eq!(format_bytes(1.5 * GIB), "1.5 GiB");
        assert_eq!(format_bytes(100.0 * GIB), "100 GiB");
        assert_eq!(format_bytes(1.02 * GIB), "1 GiB");
        assert_eq!(format_bytes(KI.powi(6)), "1 EiB");
        assert_eq!(format_gib(100.0 * GIB), "100 GiB");
        assert_eq!(format_gib(0.5 * GIB), "0.5 GiB");
        assert_eq!(format_gib(0.0), "0 GiB");
        assert_eq!(format_quantity(512.0 * KI * KI), "512Mi");
        assert_eq!(format_quantity(1.5 * GIB), "1.5Gi");
        assert_eq!(format_quantity(1000.0), "1000");
        assert_eq!(format_quantity(300e6), "286.1Mi");
    }

    #[test]
    fn formatted_quantities_parse_back() {
        for bytes in [1000.0, 512.0 * KI * KI, 1.5 * GIB, 3.0 * KI.powi(4)] {
            assert_eq!(parse_quantity(&format_quantity(bytes)), Some(bytes));
        }
    }
}
