//! Values across the VM boundary, as the Go hosts convert them: JSON into Lua (Argo CD's
//! `decodeValue`, gopher-json's `Decode` in Karmada: the same rules) and returned tables out
//! (`layeh.com/gopher-json` `Encode`).

use std::collections::HashSet;

use mlua::{Lua, MultiValue, Table, Value as LuaValue};
use serde_json::{Map, Value};

use super::{Arg, Returned};

/// Arguments as Argo CD's `decodeValue` builds JSON: null map values are absent keys, null array
/// items are dropped (later items shift down), every number is a float. Built through the C API
/// in one protected call: about 10x faster than one mlua call per value (measured,
/// benches/lua_vm.rs).
pub fn args_to_lua(lua: &Lua, args: &[Arg<'_>]) -> mlua::Result<MultiValue> {
    // SAFETY: `push_arg` only uses the Lua stack and borrows; it keeps no Rust values that need
    // dropping, so a Lua error (out of memory) unwinding through it leaks nothing. Stack space is
    // checked per nesting level.
    unsafe {
        lua.exec_raw::<MultiValue>((), |state| {
            mlua::ffi::luaL_checkstack(state, args.len() as _, c"too many arguments".as_ptr());
            for arg in args {
                push_arg(state, arg);
            }
        })
    }
}

/// One JSON value, converted as [`args_to_lua`] does.
pub fn to_lua(lua: &Lua, v: &Value) -> mlua::Result<LuaValue> {
    // SAFETY: as in `args_to_lua`.
    unsafe {
        lua.exec_raw::<LuaValue>((), |state| {
            push(state, v);
        })
    }
}

/// Sets `fields` (converted as [`to_lua`] does) in `table`, all in one protected call.
pub fn set_fields(lua: &Lua, table: &Table, fields: &[(&str, &Value)]) -> mlua::Result<()> {
    if fields.is_empty() {
        return Ok(());
    }
    // SAFETY: as in `args_to_lua`; the table is the closure's only argument (stack index 1), and the
    // stack is left empty.
    unsafe {
        lua.exec_raw::<()>(table, |state| {
            for (name, v) in fields {
                mlua::ffi::lua_pushlstring(state, name.as_ptr().cast(), name.len());
                push(state, v);
                mlua::ffi::lua_rawset(state, 1);
            }
            mlua::ffi::lua_settop(state, 0);
        })
    }
}

/// Whether a part converts to nil (and is then left out of its list or object).
fn is_nil(arg: &Arg<'_>) -> bool {
    matches!(arg, Arg::Json(Value::Null))
}

unsafe fn push_arg(state: *mut mlua::ffi::lua_State, arg: &Arg<'_>) {
    use mlua::ffi;
    unsafe {
        ffi::luaL_checkstack(state, 4, c"obj is nested too deeply".as_ptr());
        match arg {
            Arg::Json(v) => push(state, v),
            Arg::String(s) => {
                ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
            }
            Arg::Bool(b) => ffi::lua_pushboolean(state, *b as _),
            Arg::List(items) => {
                ffi::lua_createtable(state, items.len() as _, 0);
                let mut i = 0;
                for item in items.iter().filter(|i| !is_nil(i)) {
                    i += 1;
                    push_arg(state, item);
                    ffi::lua_rawseti(state, -2, i);
                }
            }
            Arg::Object(fields) => {
                ffi::lua_createtable(state, 0, fields.len() as _);
                for (k, item) in fields.iter().filter(|(_, i)| !is_nil(i)) {
                    ffi::lua_pushlstring(state, k.as_ptr().cast(), k.len());
                    push_arg(state, item);
                    ffi::lua_rawset(state, -3);
                }
            }
        }
    }
}

unsafe fn push(state: *mut mlua::ffi::lua_State, v: &Value) {
    use mlua::ffi;
    unsafe {
        ffi::luaL_checkstack(state, 4, c"obj is nested too deeply".as_ptr());
        match v {
            Value::Null => ffi::lua_pushnil(state),
            Value::Bool(b) => ffi::lua_pushboolean(state, *b as _),
            Value::Number(n) => ffi::lua_pushnumber(state, n.as_f64().unwrap_or(0.0)),
            Value::String(s) => {
                ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
            }
            Value::Array(items) => {
                ffi::lua_createtable(state, items.len() as _, 0);
                let mut i = 0;
                for item in items.iter().filter(|i| !i.is_null()) {
                    i += 1;
                    push(state, item);
                    ffi::lua_rawseti(state, -2, i);
                }
            }
            Value::Object(map) => {
                ffi::lua_createtable(state, 0, map.len() as _);
                for (k, item) in map.iter().filter(|(_, i)| !i.is_null()) {
                    ffi::lua_pushlstring(state, k.as_ptr().cast(), k.len());
                    push(state, item);
                    ffi::lua_rawset(state, -3);
                }
            }
        }
    }
}

/// A returned value out of the VM; tables are encoded as gopher-json does.
pub fn returned(v: &LuaValue) -> Returned {
    match v {
        LuaValue::Nil => Returned::Nil,
        LuaValue::Boolean(b) => Returned::Boolean(*b),
        LuaValue::Integer(i) => Returned::Number(*i as f64),
        LuaValue::Number(n) => Returned::Number(*n),
        LuaValue::String(s) => Returned::String(go_string(&s.as_bytes())),
        LuaValue::Table(t) => Returned::Table(encode_json(t)),
        other => Returned::Other(type_name(other)),
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

/// Deeper tables than this are refused rather than risking the native stack (Go's encoder would
/// go on; no health status needs it).
const MAX_DEPTH: usize = 200;

fn encode_value(v: &LuaValue, depth: usize, visited: &mut HashSet<usize>) -> Result<Value, EncErr> {
    Ok(match v {
        LuaValue::Nil => Value::Null,
        LuaValue::Boolean(b) => Value::Bool(*b),
        LuaValue::Integer(i) => number(*i as f64),
        LuaValue::Number(n) if n.is_finite() => number(*n),
        LuaValue::Number(n) => {
            let text = super::gofmt::number(*n);
            return Err((depth, format!("json: unsupported value: {text}")));
        }
        LuaValue::String(s) => Value::String(go_string(&s.as_bytes())),
        LuaValue::Table(t) => encode_table(t, depth, visited)?,
        other => {
            return Err((depth, format!("cannot encode {} to JSON", type_name(other))));
        }
    })
}

/// A finite number as Go's encoder writes a float64: integral values without a fraction.
fn number(n: f64) -> Value {
    // Below 2^53 every integral float is exact as an i64.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn encode_table(t: &Table, depth: usize, visited: &mut HashSet<usize>) -> Result<Value, EncErr> {
    if depth >= MAX_DEPTH {
        return Err((
            depth,
            format!("cannot encode tables nested deeper than {MAX_DEPTH} levels"),
        ));
    }
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

    #[test]
    fn invalid_utf8_is_replaced_per_byte() {
        assert_eq!(go_string(b"a\xE2\x82b"), "a\u{FFFD}\u{FFFD}b");
    }
}
