//! gopher-lua behaviour that a script can observe and that the host Lua does differently:
//! `tonumber`, Argo CD's safe `os` (`util/lua/oslib_safe.go`), and the `require` failure text.

use std::time::{SystemTime, UNIX_EPOCH};

use mlua::{Lua, Table, Value as LuaValue};

/// gopher-lua's `tonumber(v [, base])`.
pub fn tonumber(v: &LuaValue, base: Option<i64>) -> Option<f64> {
    match v {
        LuaValue::Integer(i) => Some(*i as f64),
        LuaValue::Number(n) => Some(*n),
        LuaValue::String(s) => {
            let text = s.to_str().ok()?;
            let text = text.trim_matches([' ', '\n', '\t']);
            if text.contains('.') {
                let f: f64 = go_parse_float(text)?;
                return Some(f);
            }
            let (radix, digits) = match base {
                None if text.len() >= 2 && text[..2].eq_ignore_ascii_case("0x") => (16, &text[2..]),
                None => (10, text),
                Some(b) => (b, text),
            };
            go_parse_int(digits, radix).map(|i| i as f64)
        }
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, base, 64)` for an explicit base (no underscores, no prefixes).
fn go_parse_int(s: &str, base: i64) -> Option<i64> {
    if !(2..=36).contains(&base) {
        return None;
    }
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(base as u32)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, base as u32).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text: out-of-range values are an error.
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.trim_start_matches(['+', '-']);
    if !body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// The error gopher-lua's `require` raises when no loader finds a module (Argo's VM has no module
/// files; the harness never reads any).
pub fn module_not_found(name: &str) -> String {
    let file = name.replace('.', "/");
    let mut msg = format!("module {name} not found:\n\tno field package.preload['{name}']");
    for dir in ["./", "/usr/local/share/lua/5.1/"] {
        msg.push_str(&format!(
            "\n\tstat {dir}{file}.lua: no such file or directory"
        ));
    }
    msg.push_str(&format!(
        "\n\tstat /usr/local/share/lua/5.1/{file}/init.lua: no such file or directory, "
    ));
    msg
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Go's `time.Date(...).Unix()` in UTC (out-of-range fields normalise, as in Go).
fn go_unix(year: i64, month: i64, day: i64, hour: i64, min: i64, sec: i64) -> i64 {
    let m0 = month - 1;
    let y = year + m0.div_euclid(12);
    let m = m0.rem_euclid(12) + 1;
    (days_from_civil(y, m, 1) + day - 1) * 86_400 + hour * 3600 + min * 60 + sec
}

/// A broken-down UTC time.
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    weekday: i64, // 0 = Sunday
}

fn civil(t: i64) -> Civil {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: secs / 3600,
        min: secs % 3600 / 60,
        sec: secs % 60,
        weekday: (days + 4).rem_euclid(7),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Argo CD's strftime: a fixed table of Go layouts, quirks included (`%a` prints `mon`, `%x` is
/// the time), unknown directives kept verbatim. The controller runs in UTC.
fn strftime(c: &Civil, format: &str) -> String {
    let h12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
    let pm = if c.hour >= 12 { "PM" } else { "AM" };
    let month = MONTHS[(c.month - 1) as usize];
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('%');
            break;
        };
        let piece = match d {
            '%' => "%".to_string(),
            'a' => "mon".to_string(),
            'A' => WEEKDAYS[c.weekday as usize].to_string(),
            'b' => month[..3].to_string(),
            'B' => month.to_string(),
            'c' => format!(
                "{:02} {} {:02} {:02}:{:02} UTC",
                c.day,
                &month[..3],
                c.year.rem_euclid(100),
                c.hour,
                c.min
            ),
            'd' => format!("{:02}", c.day),
            'F' => format!("{:04}-{:02}-{:02}", c.year, c.month, c.day),
            'H' => format!("{:02}", c.hour),
            'I' => format!("{h12:02}"),
            'm' => format!("{:02}", c.month),
            'M' => format!("{:02}", c.min),
            'p' => pm.to_string(),
            'P' => pm.to_lowercase(),
            'S' => format!("{:02}", c.sec),
            'x' | 'X' => format!("{:02}:{:02}:{:02}", c.hour, c.min, c.sec)
                .replace(':', if d == 'x' { "/" } else { ":" }),
            'y' => format!("{:02}", c.year.rem_euclid(100)),
            'Y' => format!("{:04}", c.year),
            'z' => "+0000".to_string(),
            'Z' => "UTC".to_string(),
            'w' => c.weekday.to_string(),
            other => format!("%{other}"),
        };
        out.push_str(&piece);
    }
    out
}

/// Safe `os.time([table])`: numeric fields only (strings are ignored), Go defaults
/// (`hour` 12, missing date fields -1), `isdst` ignored.
pub fn os_time(arg: Option<LuaValue>) -> mlua::Result<f64> {
    let Some(arg) = arg else {
        return Ok(now() as f64);
    };
    let LuaValue::Table(t) = arg else {
        return Err(mlua::Error::runtime(format!(
            "bad argument #1 to time (table expected, got {})",
            super::convert::type_name(&arg)
        )));
    };
    let field = |name: &str, def: i64| -> i64 {
        match t.raw_get::<LuaValue>(name) {
            Ok(LuaValue::Integer(i)) => i,
            Ok(LuaValue::Number(n)) => n as i64,
            _ => def,
        }
    };
    Ok(go_unix(
        field("year", -1),
        field("month", -1),
        field("day", -1),
        field("hour", 12),
        field("min", 0),
        field("sec", 0),
    ) as f64)
}

/// Safe `os.date([format [, time]])`.
pub fn os_date(lua: &Lua, format: Option<String>, time: Option<f64>) -> mlua::Result<LuaValue> {
    let format = format.unwrap_or_else(|| "%c".into());
    let format = format.trim_start_matches('!');
    let t = time.map(|t| t as i64).unwrap_or_else(now);
    let c = civil(t);
    if format.starts_with("*t") {
        let tbl: Table = lua.create_table()?;
        tbl.raw_set("year", c.year)?;
        tbl.raw_set("month", c.month)?;
        tbl.raw_set("day", c.day)?;
        tbl.raw_set("hour", c.hour)?;
        tbl.raw_set("min", c.min)?;
        tbl.raw_set("sec", c.sec)?;
        tbl.raw_set("wday", c.weekday + 1)?;
        tbl.raw_set("yday", 0)?;
        tbl.raw_set("isdst", false)?;
        return Ok(LuaValue::Table(tbl));
    }
    Ok(LuaValue::String(lua.create_string(strftime(&c, format))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        // 2026-11-25T19:28:10Z
        let t = go_unix(2026, 11, 25, 19, 28, 10);
        assert_eq!(t, 1_795_634_890);
        let c = civil(t);
        assert_eq!((c.year, c.month, c.day, c.weekday), (2026, 11, 25, 3));
        assert_eq!(
            strftime(&c, "%Y-%m-%dT%H:%M:%SZ %a %b %p %x %q"),
            "2026-11-25T19:28:10Z mon Nov PM 19/28/10 %q"
        );
        // month 13 normalises into the next year, as Go's time.Date does
        assert_eq!(go_unix(2025, 13, 1, 0, 0, 0), go_unix(2026, 1, 1, 0, 0, 0));
    }

    #[test]
    fn go_parsing() {
        assert_eq!(go_parse_int("42", 10), Some(42));
        assert_eq!(go_parse_int("5e2", 10), None);
        assert_eq!(go_parse_int("99999999999999999999", 10), None);
        assert_eq!(go_parse_int("-ff", 16), Some(-255));
        assert_eq!(go_parse_float("1.5e3"), Some(1500.0));
        assert_eq!(go_parse_float("1.5e400"), None);
    }
}
