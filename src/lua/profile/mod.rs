//! Profiles: what a script sees, and under which limits, for each Go host we reproduce.

mod argo;

use mlua::{Lua, MultiValue, StdLib};

pub use argo::argo;

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
