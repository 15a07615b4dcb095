//! Argo CD's health-script VM (`util/lua/lua.go` on gopher-lua v1.1.2): without `useOpenLibs`
//! the base functions, `table`, `package` and the safe `os` as `require("os")` only; with it,
//! also `string`, `math`, `coroutine` and `os`. See `argo.lua`.

use std::io::Write;

use mlua::{IntoLuaMulti, Lua, MultiValue, StdLib};

use super::Profile;
use crate::lua::{convert, dialect, gofmt};

static DEFAULT: Profile = Profile {
    name: "argo",
    libraries: &[StdLib::TABLE],
    prelude: include_str!("argo.lua"),
    host: |lua| host(lua, false),
};

static OPEN_LIBS: Profile = Profile {
    name: "argo-open-libs",
    libraries: &[StdLib::TABLE, StdLib::STRING, StdLib::MATH, StdLib::OS],
    prelude: include_str!("argo.lua"),
    host: |lua| host(lua, true),
};

/// Argo CD's profile: its default sandbox, or with `useOpenLibs`.
pub fn argo(open_libs: bool) -> &'static Profile {
    if open_libs { &OPEN_LIBS } else { &DEFAULT }
}

/// The functions `argo.lua` receives: gopher-lua's number formatting and `tonumber`, Argo CD's
/// safe `os`, `print`'s output, `require`'s failure text, and the open-libs switch.
fn host(lua: &Lua, open_libs: bool) -> mlua::Result<MultiValue> {
    let gofmt = lua.create_function(|_, n: f64| Ok(gofmt::number(n)))?;
    let tonumber = lua.create_function(|_, (v, base): (mlua::Value, Option<mlua::Value>)| {
        let base = match base {
            None | Some(mlua::Value::Nil) => None,
            Some(mlua::Value::Integer(i)) => Some(i),
            Some(mlua::Value::Number(n)) => Some(n as i64),
            Some(other) => {
                return Err(mlua::Error::runtime(format!(
                    "bad argument #2 to tonumber (number expected, got {})",
                    convert::type_name(&other)
                )));
            }
        };
        Ok(dialect::tonumber(&v, base))
    })?;
    let os_time = lua.create_function(|_, t: Option<mlua::Value>| dialect::os_time(t))?;
    let os_date = lua.create_function(|lua, (f, t): (Option<String>, Option<f64>)| {
        dialect::os_date(lua, f, t)
    })?;
    let stderr_write = lua.create_function(|_, s: mlua::LuaString| {
        let _ = std::io::stderr().write_all(&s.as_bytes());
        Ok(())
    })?;
    let not_found = lua.create_function(|_, name: String| Ok(dialect::module_not_found(&name)))?;
    (
        gofmt,
        tonumber,
        os_time,
        os_date,
        stderr_write,
        not_found,
        open_libs,
    )
        .into_lua_multi(lua)
}
