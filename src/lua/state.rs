//! A prepared Lua state for one profile: the host VM, the profile's environment factory and the
//! compiled-chunk cache; and the per-thread pool of them.

use std::cell::RefCell;
use std::collections::HashMap;

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table};

use super::profile::Profile;
use super::{Call, Entry, Error, Returned, convert, errors, watchdog};

/// Chunks kept per state; Argo CD keeps 1,024 compiled prototypes.
const CHUNK_CACHE: usize = 1024;
/// Garbage above the prepared state that triggers a full collection after a run.
const COLLECT_ABOVE: usize = 16 * 1024 * 1024;

thread_local! {
    static POOL: RefCell<Vec<(&'static str, State)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's state for `profile`, creating it on first use.
pub fn with_state<T>(
    profile: &'static Profile,
    f: impl FnOnce(&mut State) -> Result<T, Error>,
) -> Result<T, Error> {
    POOL.with(|cell| {
        let mut pool = cell.borrow_mut();
        let i = match pool.iter().position(|(name, _)| *name == profile.name) {
            Some(i) => i,
            None => {
                let state = State::new(profile)
                    .map_err(|e| Error::Engine(format!("cannot start the Lua VM: {e}")))?;
                pool.push((profile.name, state));
                pool.len() - 1
            }
        };
        f(&mut pool[i].1)
    })
}

pub struct State {
    lua: Lua,
    new_env: Function,
    chunks: HashMap<String, Function>,
    /// The main Lua thread, for the time limit's hook.
    raw: *mut mlua::ffi::lua_State,
    baseline_memory: usize,
}

impl State {
    pub fn new(profile: &Profile) -> mlua::Result<State> {
        // The debug library is only for the prelude (e.g. to give nil, booleans and numbers
        // gopher-lua's error texts); scripts run in environments the prelude builds without it.
        // SAFETY: no C modules are loaded and scripts never see `debug`.
        let libraries = profile
            .libraries
            .iter()
            .fold(StdLib::DEBUG, |all, lib| all | *lib);
        let lua = unsafe { Lua::unsafe_new_with(libraries, LuaOptions::default()) };
        let host = (profile.host)(&lua)?;
        let new_env: Function = lua
            .load(profile.prelude)
            .set_name(format!("={}", profile.name))
            .call(host)?;
        lua.globals().raw_set("debug", mlua::Nil)?;
        lua.gc_collect()?;
        let baseline_memory = lua.used_memory();
        let raw = lua.exec_raw_lua(|raw| raw.state());
        Ok(State {
            lua,
            new_env,
            chunks: HashMap::new(),
            raw,
            baseline_memory,
        })
    }

    pub fn run(&mut self, call: &Call<'_>) -> Result<Vec<Returned>, Error> {
        let _ = self
            .lua
            .set_memory_limit(self.baseline_memory.saturating_add(call.limits.memory));
        let armed = watchdog::arm(self.raw, call.limits.timeout);
        let result = self.execute(call);
        let fired = armed.fired();
        drop(armed);
        let _ = self.lua.set_memory_limit(0);
        let result = match result {
            Ok(Ok(values)) => Ok(values.iter().map(convert::returned).collect()),
            Ok(Err(type_name)) => Err(Error::NotAFunction(type_name)),
            Err(e) => Err(Error::Script(match fired {
                Some(Some(line)) => format!("<string>:{line}: context deadline exceeded"),
                Some(None) => "context deadline exceeded".into(),
                None => errors::text(&e),
            })),
        };
        // Garbage from this run must not count against the next one.
        if self.lua.used_memory() > self.baseline_memory + COLLECT_ABOVE {
            let _ = self.lua.gc_collect();
        }
        result
    }

    /// The returned values, or the type name of a non-function `Entry::Function` global.
    fn execute(&mut self, call: &Call<'_>) -> mlua::Result<Result<MultiValue, &'static str>> {
        // Building values allocates only live data: collecting meanwhile is wasted work.
        self.lua.gc_stop();
        let env = self.environment(call);
        self.resume_gc(call.limits.memory);
        let env = env?;
        let chunk = self.chunk(call.source)?;
        match call.entry {
            Entry::Chunk => {
                chunk.set_environment(env)?;
                Ok(Ok(chunk.call(())?))
            }
            Entry::Function(name, args) => {
                chunk.set_environment(env.clone())?;
                chunk.call::<()>(())?;
                self.lua.gc_stop();
                let args = convert::args_to_lua(&self.lua, args);
                self.resume_gc(call.limits.memory);
                let args = args?;
                match env.get::<mlua::Value>(name)? {
                    mlua::Value::Function(f) => Ok(Ok(f.call(args)?)),
                    other => Ok(Err(convert::type_name(&other))),
                }
            }
        }
    }

    /// Restarts the collector after building a run's values. They stay live for the whole run,
    /// so a cycle started at once would only mark them again: as Lua does after a cycle, the
    /// next one waits until memory has grown by the pause (LuaJIT's `LUA_GCRESTART` with -1,
    /// `lj_api.c`), unless that wait could let the run reach its memory limit first.
    fn resume_gc(&self, limit: usize) {
        let waits_below = self.baseline_memory.saturating_add(limit / 2);
        if self.lua.used_memory().saturating_mul(2) > waits_below {
            self.lua.gc_restart();
            return;
        }
        // SAFETY: `lua_gc` with LUA_GCRESTART only sets the collector's threshold; it cannot
        // raise an error or touch the stack.
        let restarted = unsafe {
            self.lua.exec_raw::<()>((), |state| {
                mlua::ffi::lua_gc(state, mlua::ffi::LUA_GCRESTART, -1);
            })
        };
        if restarted.is_err() {
            self.lua.gc_restart();
        }
    }

    fn environment(&self, call: &Call<'_>) -> mlua::Result<Table> {
        let env: Table = self.new_env.call(())?;
        convert::set_fields(&self.lua, &env, call.globals)?;
        Ok(env)
    }

    fn chunk(&mut self, source: &str) -> mlua::Result<Function> {
        if let Some(f) = self.chunks.get(source) {
            return Ok(f.clone());
        }
        let f = self
            .lua
            .load(source)
            .set_name("=<string>")
            .into_function()?;
        if self.chunks.len() >= CHUNK_CACHE {
            self.chunks.clear();
        }
        self.chunks.insert(source.to_string(), f.clone());
        Ok(f)
    }
}
