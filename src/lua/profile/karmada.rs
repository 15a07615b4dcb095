//! Karmada's resource-interpreter VM (`pkg/resourceinterpreter/customized/declarative/luavm/
//! lua.go` on gopher-lua v1.1.1): safe `package` (preload only), base, `table`, safe `string`
//! (no `gsub`, `rep`, `dump`; `match` returns nothing on no match), `math`, safe `os` as a
//! global; `collectgarbage`, `getmetatable`, `rawget`, `setmetatable`, ... raise; `require("kube")`
//! gives the `kube` module. See `prelude.lua`.

use mlua::StdLib;

use super::{PRELUDE, Profile, kube, prelude_values};

pub static KARMADA: Profile = Profile {
    name: "karmada",
    libraries: &[StdLib::TABLE, StdLib::STRING, StdLib::MATH],
    prelude: PRELUDE,
    host: |lua| {
        let kube = kube::module(lua)?;
        prelude_values(lua, "karmada", mlua::Value::Table(kube))
    },
};
