//! Profiles: what a script sees, and under which limits, for each Go host we reproduce.

mod argo;
mod karmada;
mod kube;

use std::io::Write;

use mlua::{IntoLuaMulti, Lua, MultiValue, StdLib};

use super::{convert, dialect, gofmt};

pub use argo::argo;
pub use karmada::KARMADA;

/// The sandbox builder both hosts share (they embed the same gopher-lua).
const PRELUDE: &str = include_str!("prelude.lua");

/// A host's Lua set-up: the libraries opened in the state, the prelude that turns them into the
/// sandbox, and the host functions the prelude needs.
pub struct Profile {
    /// Names the profile in the state pool and in prelude errors.
    pub(super) name: &'static str,
    /// Standard libraries opened in the state (the prelude copies what scripts may see).
    pub(super) libraries: &'static [StdLib],
    /// Lua source run once per state with the values of `host`; returns a function that builds
    /// a fresh global environment for each run.
    pub(super) prelude: &'static str,
    pub(super) host: fn(&Lua) -> mlua::Result<MultiValue>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile").field("name", &self.name).finish()
    }
}

impl Profile {
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// The values `prelude.lua` receives: gopher-lua's number formatting and `tonumber`, the safe
/// `os` both hosts lift from Argo CD, `print`'s output, `require`'s failure text, the mode, and
/// Karmada's `kube` module (nil for Argo CD).
fn prelude_values(lua: &Lua, mode: &str, kube: mlua::Value) -> mlua::Result<MultiValue> {
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
        mode,
        kube,
    )
        .into_lua_multi(lua)
}
