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
    // SAFETY: the writer only uses the Lua stack and borrows; it keeps no Rust values that need
    // dropping, so a Lua error (out of memory) unwinding through it leaks nothing. Stack space is
    // checked per table.
    unsafe {
        lua.exec_raw::<MultiValue>((), |state| {
            let mut w = Writer::new(state);
            mlua::ffi::luaL_checkstack(state, args.len() as _, c"too many arguments".as_ptr());
            for arg in args {
                w.push_arg(arg);
            }
            w.finish(args.len() as _);
        })
    }
}

/// One JSON value, converted as [`args_to_lua`] does.
pub fn to_lua(lua: &Lua, v: &Value) -> mlua::Result<LuaValue> {
    // SAFETY: as in `args_to_lua`.
    unsafe {
        lua.exec_raw::<LuaValue>((), |state| {
            let mut w = Writer::new(state);
            w.push(v);
            w.finish(1);
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
            let mut w = Writer::new(state);
            for (name, v) in fields {
                push_str(state, name);
                w.push(v);
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

/// LuaJIT's own `lua_pushlstring`: mlua-sys's wrapper of the same name also reads the string
/// back to return a pointer (Lua 5.4's signature), which cost 5% of converting a large argument.
unsafe fn push_str(state: *mut mlua::ffi::lua_State, s: &str) {
    // SAFETY: LuaJIT copies `s.len()` bytes from the pointer (none when empty).
    unsafe {
        mlua::ffi::lua_pushlstring_(state, s.as_ptr().cast(), s.len());
    }
}

/// Slots of the key cache (a power of two).
const KEY_SLOTS: usize = 64;

/// Pushes values onto the Lua stack. Object keys repeat in every item of a list; each is interned
/// by LuaJIT once and then copied from a cache on the stack, skipping the hashing and lookup of
/// its string table (a third of the cost of converting a list of status items, measured).
struct Writer<'a> {
    state: *mut mlua::ffi::lua_State,
    /// Stack index of the first cache slot; the values pushed start after the last one.
    base: i32,
    keys: [&'a str; KEY_SLOTS],
}

impl<'a> Writer<'a> {
    /// A writer whose cache takes the next `KEY_SLOTS` stack slots.
    unsafe fn new(state: *mut mlua::ffi::lua_State) -> Writer<'a> {
        use mlua::ffi;
        // SAFETY: stack room is checked before pushing.
        unsafe {
            ffi::luaL_checkstack(
                state,
                KEY_SLOTS as i32 + 3,
                c"no stack for arguments".as_ptr(),
            );
            let base = ffi::lua_gettop(state) + 1;
            // The new slots are nil.
            ffi::lua_settop(state, base + KEY_SLOTS as i32 - 1);
            Writer {
                state,
                base,
                keys: [""; KEY_SLOTS],
            }
        }
    }

    /// Moves the `n` values pushed last down over the cache, leaving only them.
    unsafe fn finish(&mut self, n: i32) {
        use mlua::ffi;
        // SAFETY: the `n` values and the cache are on the stack.
        unsafe {
            let first = ffi::lua_gettop(self.state) - n + 1;
            for i in 0..n {
                ffi::lua_pushvalue(self.state, first + i);
                ffi::lua_replace(self.state, self.base + i);
            }
            ffi::lua_settop(self.state, self.base + n - 1);
        }
    }

    /// Pushes an object key, from the cache when the same text was pushed before.
    unsafe fn push_key(&mut self, k: &'a str) {
        use mlua::ffi;
        let bytes = k.as_bytes();
        let slot = match bytes {
            [] => 0,
            [first, .., last] => k.len() * 7 + *first as usize * 3 + *last as usize,
            [only] => *only as usize,
        } & (KEY_SLOTS - 1);
        // SAFETY: the slot's stack index holds the string `keys[slot]` (nil while that is "",
        // which is never taken from the cache).
        unsafe {
            let index = self.base + slot as i32;
            if self.keys[slot] == k && !k.is_empty() {
                ffi::lua_pushvalue(self.state, index);
            } else {
                push_str(self.state, k);
                ffi::lua_pushvalue(self.state, -1);
                ffi::lua_replace(self.state, index);
                self.keys[slot] = k;
            }
        }
    }

    unsafe fn push_arg(&mut self, arg: &Arg<'a>) {
        use mlua::ffi;
        let state = self.state;
        unsafe {
            match arg {
                Arg::Json(v) => self.push(v),
                Arg::String(s) => push_str(state, s),
                Arg::Bool(b) => ffi::lua_pushboolean(state, *b as _),
                Arg::List(items) => {
                    reserve(state);
                    ffi::lua_createtable(state, items.len() as _, 0);
                    let mut i = 0;
                    for item in items.iter().filter(|i| !is_nil(i)) {
                        i += 1;
                        self.push_arg(item);
                        ffi::lua_rawseti_(state, -2, i);
                    }
                }
                Arg::Object(fields) => {
                    reserve(state);
                    ffi::lua_createtable(state, 0, fields.len() as _);
                    for (k, item) in fields.iter().filter(|(_, i)| !is_nil(i)) {
                        self.push_key(k);
                        self.push_arg(item);
                        ffi::lua_rawset(state, -3);
                    }
                }
            }
        }
    }

    unsafe fn push(&mut self, v: &'a Value) {
        use mlua::ffi;
        let state = self.state;
        unsafe {
            match v {
                Value::Null => ffi::lua_pushnil(state),
                Value::Bool(b) => ffi::lua_pushboolean(state, *b as _),
                Value::Number(n) => ffi::lua_pushnumber(state, n.as_f64().unwrap_or(0.0)),
                Value::String(s) => push_str(state, s),
                Value::Array(items) => {
                    reserve(state);
                    ffi::lua_createtable(state, items.len() as _, 0);
                    let mut i = 0;
                    for item in items.iter().filter(|i| !i.is_null()) {
                        i += 1;
                        self.push(item);
                        ffi::lua_rawseti_(state, -2, i);
                    }
                }
                Value::Object(map) => {
                    reserve(state);
                    ffi::lua_createtable(state, 0, map.len() as _);
                    for (k, item) in map.iter().filter(|(_, i)| !i.is_null()) {
                        self.push_key(k);
                        self.push(item);
                        ffi::lua_rawset(state, -3);
                    }
                }
            }
        }
    }
}

/// Stack room for a table and one key and value in it. Checked per table, not per value: a
/// scalar needs one slot, which its caller (a table, or the call with LUA_MINSTACK) has.
unsafe fn reserve(state: *mut mlua::ffi::lua_State) {
    // SAFETY: raises a Lua error (caught by the surrounding protected call) when the stack cannot
    // grow.
    unsafe {
        mlua::ffi::luaL_checkstack(state, 3, c"obj is nested too deeply".as_ptr());
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
