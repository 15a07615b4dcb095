//! Order-preserving work on a few threads, for CPU-bound steps over many independent items
//! (parsing files, writing documents, judging templates). Results come back in input order, so
//! output stays byte-for-byte deterministic.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Most threads we use: enough for a build machine, few enough for a sidecar that shares its node.
/// (`available_parallelism` already honours a container's CPU quota.)
const MAX_THREADS: usize = 16;
/// Lua and serde recursion run on the worker's stack: give it what the main thread has.
const STACK_BYTES: usize = 8 << 20;

/// Threads [`map`] uses on this machine.
pub fn threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(MAX_THREADS)
}

/// `items.iter().map(f).collect()`, on up to [`threads`] threads.
pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    map_on(threads(), items, f)
}

/// [`map`] on at most `threads` threads, the calling one included. Items are taken in small
/// blocks, so a few slow items still spread out; a thread that cannot be started only leaves
/// more for the others.
pub fn map_on<T, R, F>(threads: usize, items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let n = items.len();
    let threads = threads.min(n);
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let block = (n / (threads * 8)).max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(block, Ordering::Relaxed);
            if start >= n {
                return done;
            }
            for (i, item) in items[start..(start + block).min(n)].iter().enumerate() {
                done.push((start + i, f(item)));
            }
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(STACK_BYTES)
                    .spawn_scoped(s, work)
            })
            .collect();
        let mut all = work();
        for h in helpers.into_iter().flatten() {
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        all
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_input_order_on_any_number_of_threads() {
        let items: Vec<u64> = (0..10_000).collect();
        let want: Vec<u64> = items.iter().map(|n| n * 2).collect();
        for threads in [1, 2, 3, 7, 64] {
            assert_eq!(
                map_on(threads, &items, |n| n * 2),
                want,
                "{threads} threads"
            );
        }
        assert_eq!(map(&items, |n| n * 2), want);
    }

    #[test]
    fn empty_and_single() {
        assert!(map_on(4, &[] as &[u8], |b| *b).is_empty());
        assert_eq!(map_on(4, &[7], |n| n + 1), [8]);
    }

    #[test]
    fn uses_other_threads() {
        let items: Vec<u32> = (0..64).collect();
        let ids = map_on(4, &items, |_| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            std::thread::current().id()
        });
        let distinct: std::collections::HashSet<_> = ids.into_iter().collect();
        assert!(distinct.len() > 1, "all items ran on one thread");
    }
}
