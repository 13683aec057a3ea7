//! Plain-scalar resolution as kubectl and Helm see it.
//!
//! kubectl, Helm and kustomize convert YAML to JSON with `sigs.k8s.io/yaml`, which resolves
//! plain scalars by go-yaml v2's YAML 1.1 rules (`resolve.go`): `yes`/`no`/`on`/`off`/`y`/`n`
//! are booleans, `0755` is octal, `1_000` is an integer and `2024-01-01` is a timestamp (a
//! string in JSON). kstor resolves the same way so that it judges the object the API server
//! will receive.

/// A resolved scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (the text itself).
    Str(&'a str),
}

use Scalar as Value;

/// Resolves a plain (unquoted) scalar to its typed value.
pub fn resolve_plain(text: &str) -> Scalar<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first == b'.' {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
        return Value::Str(text);
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Value::Str(text);
    }
    if is_timestamp(text) {
        return Value::Str(text);
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Value::Int(i);
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text)
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`, a leading `0`
/// (octal) or decimal digits. Values beyond i64 are returned as `None` (then read as float).
fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(rest) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, rest)
    } else if let Some(rest) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, rest)
    } else if let Some(rest) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, rest)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// go-yaml v2 timestamps: `YYYY-M-D` optionally followed by a time; they become JSON strings.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut parts = s[5..].splitn(2, '-');
    let month = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    let day: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let month_ok = (1..=2).contains(&month.len()) && month.chars().all(|c| c.is_ascii_digit());
    let day_ok = (1..=2).contains(&day.len());
    let tail = &rest[day.len()..];
    month_ok && day_ok && (tail.is_empty() || tail.starts_with(['T', 't', ' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value<'_> {
        resolve_plain(s)
    }

    #[test]
    fn yaml_1_1_booleans_and_nulls() {
        for t in ["yes", "Yes", "on", "ON", "y", "true", "True"] {
            assert_eq!(v(t), Value::Bool(true), "{t}");
        }
        for f in ["no", "off", "n", "N", "false", "FALSE"] {
            assert_eq!(v(f), Value::Bool(false), "{f}");
        }
        for n in ["~", "null", "Null"] {
            assert_eq!(v(n), Value::Null, "{n}");
        }
        assert_eq!(v("yEs"), Value::Str("yEs"));
    }

    #[test]
    fn integers_in_go_notation() {
        assert_eq!(v("3"), Value::Int(3));
        assert_eq!(v("-42"), Value::Int(-42));
        assert_eq!(v("+7"), Value::Int(7));
        assert_eq!(v("0755"), Value::Int(0o755));
        assert_eq!(v("0x1F"), Value::Int(31));
        assert_eq!(v("0b101"), Value::Int(5));
        assert_eq!(v("1_000"), Value::Int(1000));
        assert_eq!(v("0"), Value::Int(0));
        assert_eq!(v("99999999999999999999"), Value::Float(1e20));
    }

    #[test]
    fn floats_strings_and_timestamps() {
        assert_eq!(v("1.5"), Value::Float(1.5));
        assert_eq!(v(".5"), Value::Float(0.5));
        assert_eq!(v("1e3"), Value::Float(1000.0));
        assert_eq!(v("1."), Value::Float(1.0));
        assert_eq!(v("10Gi"), Value::Str("10Gi"));
        assert_eq!(v("25%"), Value::Str("25%"));
        assert_eq!(v("0789"), Value::Float(789.0));
        assert_eq!(v("2024-01-31"), Value::Str("2024-01-31"));
        assert_eq!(v("-"), Value::Str("-"));
        assert_eq!(v("1.2.3"), Value::Str("1.2.3"));
        assert!(matches!(v(".nan"), Value::Float(f) if f.is_nan()));
    }
}
