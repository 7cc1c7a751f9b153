//! Index-parallel work on threads with the native stack engines need, for
//! jobs without progress lines or deadlines (conformance, sweep); campaigns
//! keep their own loop.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use wasmgate_runners::limits;

/// `work(state, i)` for every `i` in `0..n`, on `jobs` threads pulling indices
/// from a shared counter; each thread makes its own `state` first. Results
/// come back in index order.
pub fn map_indexed<S, T: Send>(
    n: usize,
    jobs: usize,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> T + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            std::thread::Builder::new()
                .stack_size(limits::THREAD_STACK_BYTES)
                .spawn_scoped(scope, || {
                    let mut state = state();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let r = work(&mut state, i);
                        *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                    }
                })
                .expect("cannot start a worker thread");
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("every index ran")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_index_order() {
        let squares = super::map_indexed(
            100,
            3,
            || 0u32,
            |calls, i| {
                *calls += 1;
                i * i
            },
        );
        assert_eq!(squares, (0..100).map(|i| i * i).collect::<Vec<_>>());
    }
}
