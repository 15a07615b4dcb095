//! The time limit of a run, without slowing the run down.
//!
//! A count hook would check the clock every N instructions, but LuaJIT then sends every
//! instruction through its hook dispatcher (`lj_vm_inshook`), which cost 17% of a long
//! aggregation script (measured). Instead a watchdog thread looks at the armed deadlines a few
//! times per timeout and signals a thread whose run is late; the signal handler installs the hook
//! there, as LuaJIT's own `luajit.c` does on SIGINT. From then on the hook raises an error at
//! every instruction until the run ends, so a script that catches the error with `pcall` still
//! stops, like gopher-lua, which checks its context at every instruction.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use mlua::ffi;

/// Ignored by default, so a signal that arrives after its run never harms a process.
const SIGNAL: libc::c_int = libc::SIGURG;
/// How often the watchdog looks while a run is armed: how late a timed-out run may stop.
const POLL: Duration = Duration::from_millis(5);
/// Idle looks before the watchdog sleeps until the next run is armed.
const IDLE_POLLS: u32 = 200;

thread_local! {
    // Read in the signal handler: const-initialised and without destructors, so reading them
    // there needs no lazy setup.
    static ACTIVE: AtomicPtr<ffi::lua_State> = const { AtomicPtr::new(std::ptr::null_mut()) };
    static DEADLINE: AtomicU64 = const { AtomicU64::new(0) };
    /// Where the hook first fired: `Some(line)` once fired (`None` inside a C function).
    static FIRED: Cell<Option<Option<usize>>> = const { Cell::new(None) };
    static SLOT: Registration = Registration::new();
}

/// A run's armed deadline; disarms on drop.
pub struct Armed {
    state: *mut ffi::lua_State,
}

/// Arms the time limit for a run of `state` (any thread of the Lua state: LuaJIT's hooks are
/// global) on this thread.
pub fn arm(state: *mut ffi::lua_State, timeout: Duration) -> Armed {
    let watchdog = watchdog();
    let deadline = now_ns().saturating_add(timeout.as_nanos().try_into().unwrap_or(u64::MAX));
    FIRED.set(None);
    DEADLINE.with(|d| d.store(deadline, Ordering::Relaxed));
    ACTIVE.with(|a| a.store(state, Ordering::Relaxed));
    SLOT.with(|s| s.0.deadline.store(deadline, Ordering::SeqCst));
    if watchdog.parked.load(Ordering::SeqCst) {
        let _slots = watchdog.slots.lock().unwrap_or_else(|e| e.into_inner());
        watchdog.parked.store(false, Ordering::SeqCst);
        watchdog.wake.notify_one();
    }
    Armed { state }
}

impl Armed {
    /// Whether the deadline passed and the hook stopped the run: `Some(line)` where it fired.
    pub fn fired(&self) -> Option<Option<usize>> {
        FIRED.get()
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        SLOT.with(|s| s.0.deadline.store(0, Ordering::SeqCst));
        // The handler checks ACTIVE first: once it is null, no signal sets the hook again.
        ACTIVE.with(|a| a.store(std::ptr::null_mut(), Ordering::Relaxed));
        DEADLINE.with(|d| d.store(0, Ordering::Relaxed));
        // SAFETY: `state` belongs to the Lua state the caller still holds; clearing the hook only
        // writes the global state's hook fields.
        unsafe {
            ffi::lua_sethook(self.state, None, 0, 0);
        }
    }
}

/// This thread's entry in the watchdog's list, removed when the thread ends (so the watchdog
/// never signals a thread that is gone: it signals only while holding the list).
struct Registration(Arc<Slot>);

struct Slot {
    thread: libc::pthread_t,
    /// Monotonic nanoseconds; 0 while no run is armed.
    deadline: AtomicU64,
}

impl Registration {
    fn new() -> Registration {
        let slot = Arc::new(Slot {
            // SAFETY: pthread_self has no preconditions.
            thread: unsafe { libc::pthread_self() },
            deadline: AtomicU64::new(0),
        });
        lock(&watchdog().slots).push(slot.clone());
        Registration(slot)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&watchdog().slots).retain(|s| !Arc::ptr_eq(s, &self.0));
    }
}

struct Watchdog {
    slots: Mutex<Vec<Arc<Slot>>>,
    wake: Condvar,
    parked: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        install_handler();
        let w: &'static Watchdog = Box::leak(Box::new(Watchdog {
            slots: Mutex::new(Vec::new()),
            wake: Condvar::new(),
            parked: AtomicBool::new(false),
        }));
        std::thread::Builder::new()
            .name("lua-watchdog".into())
            .spawn(move || watch(w))
            .expect("cannot start the Lua watchdog thread");
        w
    })
}

fn watch(w: &'static Watchdog) {
    let mut idle = 0;
    loop {
        let mut slots = lock(&w.slots);
        if signal_late(&slots) {
            idle = 0;
        } else {
            idle += 1;
        }
        if idle >= IDLE_POLLS {
            w.parked.store(true, Ordering::SeqCst);
            // A run armed after the look above sees `parked` and wakes us through the lock.
            while w.parked.load(Ordering::SeqCst) && !signal_late(&slots) {
                slots = w.wake.wait(slots).unwrap_or_else(|e| e.into_inner());
            }
            w.parked.store(false, Ordering::SeqCst);
            idle = 0;
            continue;
        }
        drop(slots);
        std::thread::sleep(POLL);
    }
}

/// Signals every thread whose run is past its deadline; whether any run is armed.
fn signal_late(slots: &[Arc<Slot>]) -> bool {
    let now = now_ns();
    let mut armed = false;
    for s in slots {
        let deadline = s.deadline.load(Ordering::SeqCst);
        if deadline != 0 {
            armed = true;
            if now >= deadline {
                // SAFETY: the thread is alive: it is still in the list, which we hold.
                unsafe {
                    libc::pthread_kill(s.thread, SIGNAL);
                }
            }
        }
    }
    armed
}

fn install_handler() {
    // SAFETY: a zeroed sigaction is valid; the handler only reads atomics and sets the hook.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(SIGNAL, &action, std::ptr::null_mut());
    }
}

extern "C" fn on_signal(_: libc::c_int) {
    let state = ACTIVE.with(|a| a.load(Ordering::Relaxed));
    let deadline = DEADLINE.with(|d| d.load(Ordering::Relaxed));
    // A signal meant for an earlier run finds no run, or one whose deadline has not passed.
    if state.is_null() || deadline == 0 || now_ns() < deadline {
        return;
    }
    // SAFETY: `state` is the running Lua state of this thread (ACTIVE is cleared before its run
    // ends); lua_sethook may be called asynchronously (LuaJIT's luajit.c does it on SIGINT).
    unsafe {
        ffi::lua_sethook(state, Some(deadline_hook), ffi::LUA_MASKCOUNT, 1);
    }
}

unsafe extern "C-unwind" fn deadline_hook(state: *mut ffi::lua_State, ar: *mut ffi::lua_Debug) {
    // SAFETY: called by LuaJIT with its own state and debug record; the error unwinds to the
    // run's protected call, and this frame holds nothing to drop.
    unsafe {
        if FIRED.get().is_none() {
            let line = (ffi::lua_getinfo(state, c"l".as_ptr(), ar) != 0)
                .then(|| usize::try_from((*ar).currentline).ok())
                .flatten();
            FIRED.set(Some(line));
        }
        let msg = "context deadline exceeded";
        ffi::lua_pushlstring(state, msg.as_ptr().cast(), msg.len());
        ffi::lua_error(state);
    }
}

/// CLOCK_MONOTONIC in nanoseconds (async-signal-safe, unlike `Instant` in principle).
fn now_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into.
    unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t);
    }
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}
