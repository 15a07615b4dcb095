//! Values across the VM boundary, as Argo CD converts them: `obj` into Lua (`decodeValue`) and the
//! returned table out (`layeh.com/gopher-json` `Encode`, then Go `json.Unmarshal` into
//! `HealthStatus`).

use std::collections::HashSet;

use mlua::{Lua, Table, Value as LuaValue};
use serde_json::{Map, Value};

use super::HealthStatus;

/// Health codes Argo CD accepts (exact case).
pub const VALID_STATUSES: [&str; 6] = [
    "Healthy",
    "Progressing",
    "Suspended",
    "Degraded",
    "Missing",
    "Unknown",
];

pub const INVALID_STATUS: &str = "Lua returned an invalid health status";

/// `obj` as Argo CD's `decodeValue` builds it: null map values are absent keys, null array items
/// are dropped (later items shift down), every number is a float.
pub fn to_lua(lua: &Lua, v: &Value) -> mlua::Result<LuaValue> {
    Ok(match v {
        Value::Null => LuaValue::Nil,
        Value::Bool(b) => LuaValue::Boolean(*b),
        Value::Number(n) => LuaValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => LuaValue::String(lua.create_string(s)?),
        Value::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for item in items.iter().filter(|i| !i.is_null()) {
                t.raw_push(to_lua(lua, item)?)?;
            }
            LuaValue::Table(t)
        }
        Value::Object(map) => {
            let t = lua.create_table_with_capacity(0, map.len())?;
            for (k, item) in map.iter().filter(|(_, i)| !i.is_null()) {
                t.raw_set(k.as_str(), to_lua(lua, item)?)?;
            }
            LuaValue::Table(t)
        }
    })
}

/// The script's last return value as Argo CD's `ExecuteHealthLua` turns it into a status.
pub fn health_from_lua(ret: &LuaValue) -> Result<HealthStatus, String> {
    match ret {
        LuaValue::Nil => Ok(HealthStatus::default()),
        LuaValue::Table(t) => {
            let json = encode_json(t)?;
            Ok(health_from_json(&json))
        }
        other => Err(format!(
            "expect table output from Lua script, not {}",
            type_name(other)
        )),
    }
}

/// gopher-lua's type names (Lua's, plus `channel`, which mlua cannot produce).
pub fn type_name(v: &LuaValue) -> &'static str {
    match v {
        LuaValue::Nil => "nil",
        LuaValue::Boolean(_) => "boolean",
        LuaValue::Integer(_) | LuaValue::Number(_) => "number",
        LuaValue::String(_) => "string",
        LuaValue::Table(_) => "table",
        LuaValue::Function(_) => "function",
        LuaValue::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// Go `json.Unmarshal` of the encoded table into `HealthStatus{Status, Message}`: keys match
/// case-insensitively (the last match wins, in the encoder's sorted key order), null leaves a
/// field empty, any other non-string value (or a top-level array) is an `UnmarshalTypeError`,
/// which Argo CD turns into an empty status. A status outside the valid codes is `Unknown`.
pub fn health_from_json(json: &Value) -> HealthStatus {
    let Value::Object(map) = json else {
        return HealthStatus::default();
    };
    let mut hs = HealthStatus::default();
    for (key, value) in map {
        let field = if go_fold_eq(key, "status") {
            &mut hs.status
        } else if go_fold_eq(key, "message") {
            &mut hs.message
        } else {
            continue;
        };
        match value {
            Value::String(s) => *field = s.clone(),
            Value::Null => {}
            _ => return HealthStatus::default(),
        }
    }
    if !VALID_STATUSES.contains(&hs.status.as_str()) {
        return HealthStatus {
            status: "Unknown".into(),
            message: INVALID_STATUS.into(),
        };
    }
    hs
}

/// Go `encoding/json` field-name folding, restricted to what can match an ASCII field name:
/// ASCII case, plus U+017F (long s) ~ `s` and U+212A (Kelvin sign) ~ `k`.
fn go_fold_eq(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17F}' => 'S',
        '\u{212A}' => 'K',
        c => c.to_ascii_uppercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

const MARSHAL_PREFIX: &str = "json: error calling MarshalJSON for type json.jsonValue: ";

/// gopher-json `Encode`: empty table -> `[]`; numeric keys must be exactly 1..n; string keys ->
/// object (sorted keys, as Go marshals maps); a table met twice anywhere fails; functions and
/// other non-data values fail. Errors carry Go's nested MarshalJSON prefix once per depth + 1.
pub fn encode_json(t: &Table) -> Result<Value, String> {
    let mut visited = HashSet::new();
    encode_table(t, 0, &mut visited)
        .map_err(|(depth, msg)| format!("{}{msg}", MARSHAL_PREFIX.repeat(depth + 1)))
}

type EncErr = (usize, String);

fn encode_value(v: &LuaValue, depth: usize, visited: &mut HashSet<usize>) -> Result<Value, EncErr> {
    Ok(match v {
        LuaValue::Nil => Value::Null,
        LuaValue::Boolean(b) => Value::Bool(*b),
        LuaValue::Integer(i) => Value::from(*i as f64),
        LuaValue::Number(n) => match serde_json::Number::from_f64(*n) {
            Some(n) => Value::Number(n),
            None => {
                let text = super::gofmt::number(*n);
                return Err((depth, format!("json: unsupported value: {text}")));
            }
        },
        LuaValue::String(s) => Value::String(go_string(&s.as_bytes())),
        LuaValue::Table(t) => encode_table(t, depth, visited)?,
        other => {
            return Err((depth, format!("cannot encode {} to JSON", type_name(other))));
        }
    })
}

fn encode_table(t: &Table, depth: usize, visited: &mut HashSet<usize>) -> Result<Value, EncErr> {
    if !visited.insert(t.to_pointer() as usize) {
        return Err((
            depth,
            "cannot encode recursively nested tables to JSON".into(),
        ));
    }
    let mut numbers: Vec<(f64, LuaValue)> = Vec::new();
    let mut strings: Vec<(Vec<u8>, LuaValue)> = Vec::new();
    let mut mixed = false;
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair.map_err(|e| (depth, e.to_string()))?;
        match k {
            LuaValue::Integer(i) => numbers.push((i as f64, v)),
            LuaValue::Number(n) => numbers.push((n, v)),
            LuaValue::String(s) => strings.push((s.as_bytes().to_vec(), v)),
            _ => mixed = true,
        }
    }
    if mixed || (!numbers.is_empty() && !strings.is_empty()) {
        return Err((depth, "cannot encode mixed or invalid key types".into()));
    }
    if strings.is_empty() {
        // gopher-lua iterates the array part in order; a Lua hash part has no insertion order,
        // so a dense 1..n key set is taken in numeric order.
        numbers.sort_by(|a, b| a.0.total_cmp(&b.0));
        if numbers
            .iter()
            .enumerate()
            .any(|(i, (k, _))| *k != (i + 1) as f64)
        {
            return Err((depth, "cannot encode sparse array".into()));
        }
        let mut items = Vec::with_capacity(numbers.len());
        for (_, v) in &numbers {
            items.push(encode_value(v, depth + 1, visited)?);
        }
        return Ok(Value::Array(items));
    }
    strings.sort_by(|a, b| a.0.cmp(&b.0));
    let mut map = Map::new();
    for (k, v) in &strings {
        let value = encode_value(v, depth + 1, visited)?;
        map.insert(go_string(k), value);
    }
    Ok(Value::Object(map))
}

/// A Lua byte string as Go's JSON encoder sees it: each byte of invalid UTF-8 becomes U+FFFD.
fn go_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push('\u{FFFD}');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_conversion() {
        let hs = health_from_json(&json!({"STATUS": "Healthy", "Message": "ok", "x": 1}));
        assert_eq!(hs.status, "Healthy");
        assert_eq!(hs.message, "ok");
        assert_eq!(health_from_json(&json!([])), HealthStatus::default());
        assert_eq!(
            health_from_json(&json!({"status": "Healthy", "message": 3})),
            HealthStatus::default()
        );
        assert_eq!(
            health_from_json(&json!({"status": "healthy"})).message,
            INVALID_STATUS
        );
        assert_eq!(
            health_from_json(&json!({"\u{17F}tatus": "Degraded"})).status,
            "Degraded"
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_per_byte() {
        assert_eq!(go_string(b"a\xE2\x82b"), "a\u{FFFD}\u{FFFD}b");
    }
}
