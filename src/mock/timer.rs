//! Sleeps precise to tens of microseconds, for the mock's `--ttft` / `--itl` pacing.
//!
//! tokio's timer wheel has a 1 ms resolution and rounds every deadline up to the next tick,
//! and its driver sleeps in whole milliseconds too: a 150 ms TTFT came out as 151-152 ms,
//! which makes the mock useless as a reference for measuring a client's accuracy. Spinning
//! for the last millisecond would fix it at the cost of a core per stream. Instead one OS
//! thread keeps a heap of deadlines and sleeps on a condition variable with a nanosecond
//! timeout (a futex: the kernel's high-resolution timers, ~50 us of slack), then wakes the
//! tasks whose deadline passed. The bulk of a long wait still goes to tokio's cheap timer;
//! only the last few milliseconds are handed to the thread, so the heap stays small.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// What is left of a wait when tokio's timer hands it to the precise thread. tokio may wake
/// up to ~2 ms late, so anything above that margin is safe to leave to it.
const HANDOFF: Duration = Duration::from_millis(3);

/// Sleep until `deadline` on the tokio clock's reading of real time, accurate to the kernel's
/// timer slack rather than to tokio's millisecond.
pub async fn sleep_until(deadline: tokio::time::Instant) {
    // Convert once to the std clock: the precise part runs on real time.
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    if left.is_zero() {
        return;
    }
    let real = Instant::now() + left;
    if left > HANDOFF {
        tokio::time::sleep_until(deadline - HANDOFF).await;
    }
    match wheel() {
        Some(w) => Precise { deadline: real, wheel: w }.await,
        // No timer thread (it could not be started): tokio's timer, late by up to 2 ms.
        None => tokio::time::sleep_until(deadline).await,
    }
}

/// Sleep for `delay` (see [`sleep_until`]).
pub async fn sleep(delay: Duration) {
    sleep_until(tokio::time::Instant::now() + delay).await;
}

struct Entry {
    deadline: Instant,
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed: the heap's top is the earliest deadline.
    fn cmp(&self, other: &Self) -> Ordering {
        other.deadline.cmp(&self.deadline)
    }
}

struct Wheel {
    heap: Mutex<BinaryHeap<Entry>>,
    changed: Condvar,
}

impl Wheel {
    fn lock(&self) -> MutexGuard<'_, BinaryHeap<Entry>> {
        self.heap.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self, deadline: Instant, waker: Waker) {
        let mut heap = self.lock();
        let earliest = heap.peek().is_none_or(|top| deadline < top.deadline);
        heap.push(Entry { deadline, waker });
        drop(heap);
        if earliest {
            self.changed.notify_one();
        }
    }

    /// The timer thread: wake what is due, sleep until the next deadline or a new earlier one.
    fn run(&self) {
        let mut due: Vec<Waker> = Vec::new();
        let mut heap = self.lock();
        loop {
            let now = Instant::now();
            while heap.peek().is_some_and(|top| top.deadline <= now) {
                if let Some(e) = heap.pop() {
                    due.push(e.waker);
                }
            }
            if !due.is_empty() {
                drop(heap);
                due.drain(..).for_each(Waker::wake);
                heap = self.lock();
                continue;
            }
            heap = match heap.peek().map(|top| top.deadline - now) {
                None => self.changed.wait(heap).unwrap_or_else(|p| p.into_inner()),
                Some(left) => self.changed.wait_timeout(heap, left).unwrap_or_else(|p| p.into_inner()).0,
            };
        }
    }
}

/// The process-wide timer thread, started on first use; `None` when it cannot be started.
fn wheel() -> Option<&'static Wheel> {
    static WHEEL: OnceLock<Option<&'static Wheel>> = OnceLock::new();
    *WHEEL.get_or_init(|| {
        let wheel: &'static Wheel =
            Box::leak(Box::new(Wheel { heap: Mutex::new(BinaryHeap::new()), changed: Condvar::new() }));
        std::thread::Builder::new()
            .name("llmkit-mock-timer".into())
            .spawn(move || wheel.run())
            .ok()
            .map(|_| wheel)
    })
}

struct Precise {
    deadline: Instant,
    wheel: &'static Wheel,
}

impl Future for Precise {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // Each pending poll registers its waker; a stale entry only causes a spurious wake.
        self.wheel.add(self.deadline, cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sleeps_end_within_a_fraction_of_a_millisecond() {
        // Real time, so only the lower bound is strict; the upper bound is generous enough
        // for a loaded machine yet below tokio's own 1-2 ms overshoot on a quiet one.
        let mut late = Vec::new();
        for ms in [1u64, 2, 5, 7] {
            let start = tokio::time::Instant::now();
            let deadline = start + Duration::from_millis(ms);
            sleep_until(deadline).await;
            let now = tokio::time::Instant::now();
            assert!(now >= deadline, "woke early for {ms} ms");
            late.push(now - deadline);
        }
        late.sort();
        // The median of four, so one scheduling hiccup does not fail the test.
        assert!(late[1] < Duration::from_millis(20), "{late:?}");
    }

    #[tokio::test]
    async fn concurrent_sleeps_wake_in_order() {
        let start = tokio::time::Instant::now();
        let tasks: Vec<_> = [9u64, 3, 6, 1]
            .into_iter()
            .map(|ms| {
                tokio::spawn(async move {
                    sleep_until(start + Duration::from_millis(ms)).await;
                    (ms, tokio::time::Instant::now() - start)
                })
            })
            .collect();
        for t in tasks {
            let (ms, took) = t.await.unwrap();
            assert!(took >= Duration::from_millis(ms), "{ms} ms took {took:?}");
        }
        sleep(Duration::ZERO).await;
    }
}
