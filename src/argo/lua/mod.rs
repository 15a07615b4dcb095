//! An Argo CD-faithful Lua VM for health scripts (`util/lua/lua.go` semantics).
//!
//! One Lua state per thread and library set is reused; every evaluation gets a fresh global
//! environment (see `prelude.lua`), so scripts cannot see each other's globals. Compiled chunks
//! are cached per source text, as Argo CD caches compiled prototypes.

mod convert;
mod dialect;
mod gofmt;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, VmState};
use serde_json::Value;

pub use convert::{INVALID_STATUS, VALID_STATUSES, encode_json, health_from_json};
pub use gofmt::number as format_number;

/// What a health script returned, after Argo CD's conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HealthStatus {
    pub status: String,
    pub message: String,
}

/// How to run a script.
#[derive(Debug, Clone)]
pub struct VmOptions {
    /// Argo CD's `useOpenLibs`.
    pub open_libs: bool,
    pub timeout: Duration,
    pub memory_limit: usize,
}

impl Default for VmOptions {
    fn default() -> Self {
        VmOptions {
            open_libs: false,
            timeout: Duration::from_secs(1),
            memory_limit: 64 * 1024 * 1024,
        }
    }
}

/// Runs a health script on `obj` and converts the result as Argo CD does. The error text is
/// what Argo CD would report for the script (e.g. `<string>:3: attempt to ...`).
pub fn evaluate_health(script: &str, obj: &Value, opts: &VmOptions) -> Result<HealthStatus> {
    with_vm(opts.open_libs, |vm| vm.evaluate(script, obj, opts))
        .and_then(|r| r)
        .map_err(|e| anyhow!(e))
}

/// Chunks kept per state; Argo CD keeps 1,024 compiled prototypes.
const CHUNK_CACHE: usize = 1024;
/// How often the time limit is checked (VM instructions).
const HOOK_EVERY: u32 = 1000;

thread_local! {
    static VMS: RefCell<[Option<Vm>; 2]> = const { RefCell::new([None, None]) };
}

fn with_vm<T>(open_libs: bool, f: impl FnOnce(&mut Vm) -> T) -> std::result::Result<T, String> {
    VMS.with(|cell| {
        let mut vms = cell.borrow_mut();
        let slot = &mut vms[open_libs as usize];
        if slot.is_none() {
            *slot = Some(Vm::new(open_libs).map_err(|e| format!("cannot start the Lua VM: {e}"))?);
        }
        Ok(f(slot.as_mut().expect("just set")))
    })
}

/// The deadline the instruction hook checks, and where it fired.
#[derive(Default)]
struct Limits {
    deadline: Cell<Option<Instant>>,
    timed_out_at: Cell<Option<Option<usize>>>,
}

struct Vm {
    lua: Lua,
    new_env: Function,
    chunks: HashMap<String, Function>,
    limits: Rc<Limits>,
    baseline_memory: usize,
}

impl Vm {
    fn new(open_libs: bool) -> mlua::Result<Vm> {
        let libs = if open_libs {
            StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::OS
        } else {
            StdLib::TABLE
        };
        let lua = Lua::new_with(libs, LuaOptions::default())?;
        let limits = Rc::new(Limits::default());
        let hook_limits = limits.clone();
        lua.set_global_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_lua, debug| {
                let expired = hook_limits
                    .deadline
                    .get()
                    .is_some_and(|d| Instant::now() >= d);
                if expired {
                    if hook_limits.timed_out_at.get().is_none() {
                        hook_limits.timed_out_at.set(Some(debug.current_line()));
                    }
                    return Err(mlua::Error::runtime("context deadline exceeded"));
                }
                Ok(VmState::Continue)
            },
        )?;
        let gofmt = lua.create_function(|_, n: f64| Ok(gofmt::number(n)))?;
        let tonumber =
            lua.create_function(|_, (v, base): (mlua::Value, Option<mlua::Value>)| {
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
        let not_found =
            lua.create_function(|_, name: String| Ok(dialect::module_not_found(&name)))?;
        let new_env: Function = lua
            .load(include_str!("prelude.lua"))
            .set_name("=prelude")
            .call((
                gofmt,
                tonumber,
                os_time,
                os_date,
                stderr_write,
                not_found,
                open_libs,
            ))?;
        lua.gc_collect()?;
        let baseline_memory = lua.used_memory();
        Ok(Vm {
            lua,
            new_env,
            chunks: HashMap::new(),
            limits,
            baseline_memory,
        })
    }

    fn evaluate(
        &mut self,
        script: &str,
        obj: &Value,
        opts: &VmOptions,
    ) -> std::result::Result<HealthStatus, String> {
        self.limits
            .deadline
            .set(Some(Instant::now() + opts.timeout));
        self.limits.timed_out_at.set(None);
        let _ = self
            .lua
            .set_memory_limit(self.baseline_memory.saturating_add(opts.memory_limit));
        let result = self.run(script, obj);
        self.limits.deadline.set(None);
        let _ = self.lua.set_memory_limit(0);
        let result = result.map_err(|e| {
            if let Some(line) = self.limits.timed_out_at.get() {
                return match line {
                    Some(l) => format!("<string>:{l}: context deadline exceeded"),
                    None => "context deadline exceeded".into(),
                };
            }
            error_text(&e)
        });
        // Garbage from this run must not count against the next one.
        if self.lua.used_memory() > self.baseline_memory + 16 * 1024 * 1024 {
            let _ = self.lua.gc_collect();
        }
        result
    }

    fn run(&mut self, script: &str, obj: &Value) -> mlua::Result<HealthStatus> {
        let lua_obj = convert::to_lua(&self.lua, obj)?;
        let env: Table = self.new_env.call(lua_obj)?;
        let chunk = self.chunk(script)?;
        chunk.set_environment(env)?;
        let rets: MultiValue = chunk.call(())?;
        let last = rets.into_iter().last().unwrap_or(mlua::Value::Nil);
        convert::health_from_lua(&last).map_err(mlua::Error::runtime)
    }

    fn chunk(&mut self, script: &str) -> mlua::Result<Function> {
        if let Some(f) = self.chunks.get(script) {
            return Ok(f.clone());
        }
        let f = self
            .lua
            .load(script)
            .set_name("=<string>")
            .into_function()?;
        if self.chunks.len() >= CHUNK_CACHE {
            self.chunks.clear();
        }
        self.chunks.insert(script.to_string(), f.clone());
        Ok(f)
    }
}

/// The message of an mlua error without mlua's wrapping or Lua tracebacks (Argo CD strips them).
fn error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::RuntimeError(m) => match m.rfind("\nstack traceback:\n") {
            Some(i) => m[..i].to_string(),
            None => m.clone(),
        },
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::MemoryError(_) => "not enough memory".into(),
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        mlua::Error::WithContext { cause, .. } => error_text(cause),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
