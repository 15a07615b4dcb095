//! The Lua engine: runs a chunk, or a named function a chunk defines, under a [`Profile`] and
//! returns plain values.
//!
//! A profile fixes what a script sees and how values cross the boundary, as one Go host does it
//! on gopher-lua: the libraries and sandbox (a Lua prelude that builds a fresh global
//! environment per run), the limits (time, memory) and the conversions (JSON in, gopher-json's
//! encoding out). Profiles: [`profile::argo`] (Argo CD's `util/lua/lua.go`) and
//! [`profile::KARMADA`] (Karmada's `luavm/lua.go`). The hosts' own result rules (Argo CD's
//! `HealthStatus`, Karmada's per-operation conversions) sit on top, in their domains.
//!
//! One Lua state per thread and profile is reused; every run gets a fresh global environment, so
//! scripts cannot see each other's globals. Compiled chunks are cached per source text, as Argo
//! CD caches compiled prototypes. This module is a leaf: it knows no Argo CD or Karmada types.

mod convert;
mod dialect;
mod errors;
mod gofmt;
pub mod profile;
mod state;
mod watchdog;

use std::time::Duration;

use serde_json::Value;

pub use gofmt::number as format_number;
pub use profile::Profile;

/// Time and memory a run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time of the whole run (gopher-lua's context deadline).
    pub timeout: Duration,
    /// Bytes the run may allocate above the prepared state (gopher-lua has no such cap).
    pub memory: usize,
}

impl Default for Limits {
    /// 1 s, as both Argo CD and Karmada set; 64 MiB.
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(1),
            memory: 64 * 1024 * 1024,
        }
    }
}

/// What to run.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// The chunk itself; its return values are the result (gopher-lua `DoString`).
    Chunk,
    /// Run the chunk, then call the global function of this name with the arguments
    /// (gopher-lua `DoString`, `GetGlobal`, `CallByParam`).
    Function(&'a str, &'a [Arg<'a>]),
}

/// An argument of [`Entry::Function`]: JSON, or a list or object assembled from borrowed parts,
/// so a host can reshape its input (e.g. Karmada's `AggregatedStatusItem`) without copying it.
/// Every part converts as JSON does: null object fields and null list items are left out.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    Json(&'a Value),
    String(&'a str),
    Bool(bool),
    List(Vec<Arg<'a>>),
    /// Fields in this order (the order they are set in the Lua table).
    Object(Vec<(&'a str, Arg<'a>)>),
}

impl Arg<'_> {
    /// The argument as one JSON value (what a host that takes JSON, e.g. gopher-lua, is given).
    pub fn to_json(&self) -> Value {
        match self {
            Arg::Json(v) => (*v).clone(),
            Arg::String(s) => Value::String(s.to_string()),
            Arg::Bool(b) => Value::Bool(*b),
            Arg::List(items) => Value::Array(items.iter().map(Arg::to_json).collect()),
            Arg::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl<'a> From<&'a Value> for Arg<'a> {
    fn from(v: &'a Value) -> Arg<'a> {
        Arg::Json(v)
    }
}

/// One run: a script, what to run in it, and the globals it sees besides the profile's.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub source: &'a str,
    pub entry: Entry<'a>,
    /// Extra globals (e.g. Argo CD's `obj`), converted like arguments.
    pub globals: &'a [(&'a str, &'a Value)],
    pub limits: Limits,
}

/// A value a script returned, converted out of the VM.
#[derive(Debug, Clone, PartialEq)]
pub enum Returned {
    Nil,
    Boolean(bool),
    Number(f64),
    /// Invalid UTF-8 bytes become U+FFFD each, as Go's JSON encoder does.
    String(String),
    /// A table, encoded as gopher-json encodes it; `Err` holds gopher-json's error text.
    Table(Result<Value, String>),
    /// A value with no data form; the name is gopher-lua's type name (`function`, ...).
    Other(&'static str),
}

impl Returned {
    /// gopher-lua's name of the value's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Returned::Nil => "nil",
            Returned::Boolean(_) => "boolean",
            Returned::Number(_) => "number",
            Returned::String(_) => "string",
            Returned::Table(_) => "table",
            Returned::Other(t) => t,
        }
    }
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The script raised an error, did not compile, or hit a limit. The text is what the Go host
    /// would report (e.g. `<string>:3: attempt to index a non-table object(nil) with key 'x'`).
    Script(String),
    /// `Entry::Function` named a global that is not a function; the type name of what is there.
    NotAFunction(&'static str),
    /// The VM could not be set up.
    Engine(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Script(m) | Error::Engine(m) => f.write_str(m),
            Error::NotAFunction(t) => write!(f, "not a function: {t}"),
        }
    }
}

impl std::error::Error for Error {}

/// Runs `call` under `profile` on this thread's reused state for the profile.
pub fn run(profile: &'static Profile, call: &Call<'_>) -> Result<Vec<Returned>, Error> {
    state::with_state(profile, |s| s.run(call))
}

/// Like [`run`] but on a brand-new state with no compiled-chunk cache: what the Go hosts do per
/// evaluation. For benchmarks and isolation checks.
pub fn run_fresh_state(profile: &'static Profile, call: &Call<'_>) -> Result<Vec<Returned>, Error> {
    state::State::new(profile)
        .map_err(|e| Error::Engine(format!("cannot start the Lua VM: {e}")))?
        .run(call)
}

#[cfg(test)]
mod tests;
