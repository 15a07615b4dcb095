//! Karmada's `kube` Lua module (`luavm/kube.go`): Kubernetes resource quantities and pod
//! helpers that customization scripts load with `require("kube")`.

use mlua::{Lua, Table};

/// The module table (`KubeLoader`); `prelude.lua` hands each run a copy.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let m = lua.create_table()?;
    for name in [
        "resourceAdd",
        "accuratePodRequirements",
        "getPodDependencies",
        "getResourceQuantity",
    ] {
        let f = lua.create_function(move |_, ()| -> mlua::Result<()> {
            Err(mlua::Error::runtime(format!(
                "kube.{name} is not supported by this VM yet"
            )))
        })?;
        m.raw_set(name, f)?;
    }
    Ok(m)
}
