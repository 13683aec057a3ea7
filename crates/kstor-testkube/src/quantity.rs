//! Storage quantities (`1Gi`, `500M`, `1073741824`) to bytes and back.

/// Bytes of a quantity; `None` for what is not a storage size.
pub fn parse(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let factor: u64 = match suffix {
        "" => 1,
        "k" => 1000,
        "M" => 1000u64.pow(2),
        "G" => 1000u64.pow(3),
        "T" => 1000u64.pow(4),
        "P" => 1000u64.pow(5),
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        _ => return None,
    };
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(factor);
    }
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * factor as f64).ceil() as u64)
}

/// A byte count as the API server canonicalises it: the largest binary suffix that divides it.
pub fn format(bytes: u64) -> String {
    for (suffix, shift) in [("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
        if bytes != 0 && bytes.is_multiple_of(1 << shift) {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(parse("1Gi"), Some(1 << 30));
        assert_eq!(parse("500M"), Some(500_000_000));
        assert_eq!(parse("1.5Gi"), Some(3 << 29));
        assert_eq!(parse("12"), Some(12));
        assert_eq!(parse("1Xi"), None);
        assert_eq!(parse("abc"), None);
        assert_eq!(format(2 << 30), "2Gi");
        assert_eq!(format(1536 << 20), "1536Mi");
        assert_eq!(format(1000), "1000");
    }
}
