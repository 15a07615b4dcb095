//! Argo CD's health-script VM (`util/lua/lua.go` on gopher-lua v1.1.2): without `useOpenLibs`
//! the base functions, `table`, `package` and the safe `os` as `require("os")` only; with it,
//! also `string`, `math`, `coroutine` and `os`. See `prelude.lua`.

use mlua::StdLib;

use super::{PRELUDE, Profile, prelude_values};

static DEFAULT: Profile = Profile {
    name: "argo",
    libraries: &[StdLib::TABLE],
    prelude: PRELUDE,
    host: |lua| prelude_values(lua, "argo", mlua::Nil),
};

static OPEN_LIBS: Profile = Profile {
    name: "argo-open-libs",
    libraries: &[StdLib::TABLE, StdLib::STRING, StdLib::MATH, StdLib::OS],
    prelude: PRELUDE,
    host: |lua| prelude_values(lua, "argo-open-libs", mlua::Nil),
};

/// Argo CD's profile: its default sandbox, or with `useOpenLibs`.
pub fn argo(open_libs: bool) -> &'static Profile {
    if open_libs { &OPEN_LIBS } else { &DEFAULT }
}
