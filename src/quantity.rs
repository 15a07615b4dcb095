//! Kubernetes resource quantities (`k8s.io/apimachinery/pkg/api/resource`): parsing, adding
//! and the canonical text (`Quantity.String`), held exactly in nano units.

use std::cmp::Ordering;

use serde_json::Value;

/// How a quantity prints (`resource.Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `e3` style.
    DecimalExponent,
    /// `Ki`, `Mi`, ... (powers of 1024).
    BinarySI,
    /// `m`, `k`, `M`, ... (powers of 1000).
    DecimalSI,
}

/// A quantity: `nanos` / 10^9, printed in `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    nanos: i128,
    /// `None` for the zero value (`resource.Quantity{}`), which takes the format of what is
    /// added to it.
    format: Option<Format>,
}

const BINARY: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const DECIMAL: [(&str, i32); 10] = [
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

impl Quantity {
    /// The zero value.
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: None,
    };

    /// `resource.ParseQuantity`; values finer than a nano round away from zero.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let bad = || {
            format!(
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text:?}"
            )
        };
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(split);
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
            return Err(bad());
        }
        let (format, base10, base2) = if let Some(i) = BINARY[1..].iter().position(|s| *s == suffix)
        {
            (Format::BinarySI, 0, 10 * (i as u32 + 1))
        } else if let Some((_, e)) = DECIMAL.iter().find(|(s, _)| *s == suffix) {
            (Format::DecimalSI, *e, 0)
        } else if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
            (
                Format::DecimalExponent,
                exp.parse::<i32>().map_err(|_| bad())?,
                0,
            )
        } else {
            return Err(bad());
        };
        // digits as an integer with `scale` decimal places
        let digits: String = format!("{int}{frac}");
        let digits = digits.trim_start_matches('0');
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let mut exp10 = base10 - frac.len() as i32 + 9; // to nanos
        let mut value = mantissa.checked_mul(1i128 << base2).ok_or_else(bad)?;
        while exp10 > 0 {
            value = value.checked_mul(10).ok_or_else(bad)?;
            exp10 -= 1;
        }
        // Finer than a nano: round up. Once at 0 or 1 nano the value stays there.
        while exp10 < 0 && value > 1 {
            let rounded_up = value % 10 != 0;
            value = value / 10 + rounded_up as i128;
            exp10 += 1;
        }
        Ok(Quantity {
            nanos: if negative { -value } else { value },
            format: Some(format),
        })
    }

    /// `Quantity.Add`: the zero value takes the other's format.
    pub fn add(&mut self, other: &Quantity) {
        if self.nanos == 0 {
            self.format = other.format;
        }
        self.nanos = self.nanos.saturating_add(other.nanos);
    }

    /// A quantity of `units` * 10^`exp10` (`resource.NewQuantity` is exp 0, `NewMilliQuantity`
    /// exp -3).
    pub fn new(units: i64, exp10: i32, format: Format) -> Quantity {
        let mut nanos = units as i128;
        for _ in 0..(exp10 + 9) {
            nanos *= 10;
        }
        Quantity {
            nanos,
            format: Some(format),
        }
    }

    /// `Quantity.ScaledValue(-3*k)`-style: the value in units of 10^`exp10`, rounded up.
    pub fn scaled(&self, exp10: i32) -> i64 {
        let div = 10i128.pow((exp10 + 9) as u32);
        let q = self.nanos.div_euclid(div) + (self.nanos.rem_euclid(div) != 0) as i128;
        q.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// `Quantity.AsApproximateFloat64`.
    pub fn as_f64(&self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// `Quantity.String`: the canonical text.
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".into();
        }
        let format = match self.format {
            Some(Format::BinarySI)
                if self.nanos.abs() >= 1024 * 1_000_000_000 && self.nanos % 1_000_000_000 == 0 =>
            {
                let mut units = self.nanos / 1_000_000_000;
                let mut k = 0;
                while units % 1024 == 0 && k < 6 {
                    units /= 1024;
                    k += 1;
                }
                return format!("{units}{}", BINARY[k]);
            }
            Some(Format::DecimalExponent) | None => Format::DecimalExponent,
            Some(_) => Format::DecimalSI,
        };
        let mut mantissa = self.nanos;
        let mut exp: i32 = -9;
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exp += 1;
        }
        while exp.rem_euclid(3) != 0 {
            mantissa *= 10;
            exp -= 1;
        }
        let suffix = match format {
            Format::DecimalSI => DECIMAL
                .iter()
                .find(|(_, e)| *e == exp)
                .map(|(s, _)| s.to_string())
                .unwrap_or_else(|| format!("e{exp}")),
            _ if exp == 0 => String::new(),
            _ => format!("e{exp}"),
        };
        format!("{mantissa}{suffix}")
    }

    pub fn cmp_value(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

/// A quantity from JSON (a string, or a number as the API server accepts it).
pub fn from_json(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

/// Two `ResourceList`s with the same names and equal quantities (`Quantity.Equal`).
pub fn same_resource_lists(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| v.is_null() || v.as_object().is_some_and(|m| m.is_empty());
    if empty(a) || empty(b) {
        return empty(a) && empty(b);
    }
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return false;
    };
    a.len() == b.len()
        && a.iter().all(
            |(k, x)| match (b.get(k).and_then(from_json), from_json(x)) {
                (Some(y), Some(x)) => x.cmp_value(&y) == Ordering::Equal,
                _ => false,
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Quantity::parse(s).unwrap().canonical()
    }

    #[test]
    fn canonical_text_matches_apimachinery() {
        // Expected values from apimachinery's quantity_test.go.
        for (input, want) in [
            ("0", "0"),
            ("2000", "2k"),
            ("1.5", "1500m"),
            ("100m", "100m"),
            ("0.1", "100m"),
            ("1Ki", "1Ki"),
            ("1024", "1024"),
            ("1536Mi", "1536Mi"),
            ("2048Mi", "2Gi"),
            ("1000Ki", "1000Ki"),
            ("512", "512"),
            ("0.5Ki", "512"),
            ("1e3", "1e3"),
            ("1E6", "1e6"),
            ("1.5Gi", "1536Mi"),
            ("1n", "1n"),
            ("0.1n", "1n"),
            ("-100m", "-100m"),
            ("12M", "12M"),
            ("1500k", "1500k"),
        ] {
            assert_eq!(canon(input), want, "{input}");
        }
        // extreme exponents end quickly
        assert_eq!(canon("1e-999999999"), "1e-9");
        assert!(Quantity::parse("1e999999999").is_err());
        for bad in ["", "abc", "1K", "1.2.3", "m", "1Kii"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn adding_keeps_the_first_format() {
        let mut total = Quantity::ZERO;
        for q in ["100m", "1", "250m"] {
            total.add(&Quantity::parse(q).unwrap());
        }
        assert_eq!(total.canonical(), "1350m");
        let mut mem = Quantity::ZERO;
        mem.add(&Quantity::parse("1Gi").unwrap());
        mem.add(&Quantity::parse("512Mi").unwrap());
        assert_eq!(mem.canonical(), "1536Mi");
        assert_eq!(Quantity::ZERO.canonical(), "0");
        assert_eq!(Quantity::parse("1500m").unwrap().as_f64(), 1.5);
    }
}
