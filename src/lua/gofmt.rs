//! Number text as gopher-lua prints it (`LNumber.String()`): integral values through Go's int64
//! conversion, everything else with Go's `%v` (shortest digits, exponent form below 1e-4 and from
//! 1e6 on), so `tostring(3)` is `3`, `tostring(100/3)` is `33.333333333333336`, and
//! `tostring(1/0)` is `+Inf`.

/// Formats `n` like gopher-lua's `tostring`.
pub fn number(n: f64) -> String {
    // Go's float64 -> int64 conversion on amd64 yields i64::MIN for NaN and out-of-range values,
    // so gopher-lua treats exactly [-2^63, 2^63) as integers.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n.is_finite() && n.fract() == 0.0 && (-TWO_63..TWO_63).contains(&n) {
        return format!("{}", n as i64);
    }
    go_v(n)
}

/// Go's `fmt.Sprint(float64)`: `strconv.FormatFloat(f, 'g', -1, 64)` with a `%e` threshold of 6.
fn go_v(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Go: `d.ddddde<exp>`.
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if n.is_sign_negative() { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    // Decimal form: the point sits after `exp + 1` digits.
    let point = exp + 1;
    let text = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if (point as usize) >= digits.len() {
        format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn matches_go() {
        // Expected values printed by Go 1.19 `fmt.Println` / gopher-lua `tostring`.
        let cases: &[(f64, &str)] = &[
            (3.0, "3"),
            (-0.0, "0"),
            (1e15, "1000000000000000"),
            (1e20, "1e+20"),
            (2f64.powi(63), "9.223372036854776e+18"),
            (1234567.5, "1.2345675e+06"),
            (123456.7, "123456.7"),
            (1.5e20, "1.5e+20"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (1e100, "1e+100"),
            (100.0 / 3.0, "33.333333333333336"),
            (5e-7, "5e-07"),
            (-2.5, "-2.5"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
        ];
        for (n, want) in cases {
            assert_eq!(number(*n), *want, "{n}");
        }
    }
}
