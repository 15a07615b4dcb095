//! Order-preserving work on a few threads, for CPU-bound steps over many independent items
//! (parsing files, writing documents). Results come back in input order, so output stays
//! byte-for-byte deterministic.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Most threads we start: parsing and writing scale to a few cores, and the sidecar shares its
/// node with the repo-server.
const MAX_THREADS: usize = 4;

/// `items.iter().map(f).collect()`, on up to [`MAX_THREADS`] threads (one when the machine has
/// one core or there is little to do).
pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(MAX_THREADS).min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(mine) => mine,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_input_order() {
        let items: Vec<u64> = (0..10_000).collect();
        let out = map(&items, |n| n * 2);
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn empty_and_single() {
        assert!(map(&[] as &[u8], |b| *b).is_empty());
        assert_eq!(map(&[7], |n| n + 1), [8]);
    }
}
