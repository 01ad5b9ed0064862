//! The open-loop scheduler: each request is sent at `start + due`, whatever happened to the
//! ones before it, the way the original traffic arrived.
//!
//! One producer sleeps until the next due time (a timer, not a polling loop) and spawns the
//! request; replies come back on a channel to one consumer that feeds the comparison and the
//! progress bar. A slow server therefore never delays later sends (no coordinated omission);
//! only the engine's own limits (concurrency, rpm, tpm) can, and that wait is part of the
//! request's measured latency. How late each send left relative to its due time is reported
//! as the scheduler's lag, which is what timing fidelity is judged by.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::compare::Outcome;
use super::plan::Planned;

/// Something that answers one planned request: the engine in production, a fake in tests.
/// `scheduled` is the request's due instant: latencies are measured from it (open loop).
pub trait Target: Send + Sync + 'static {
    fn send(&self, request: &Planned, scheduled: std::time::Instant) -> impl Future<Output = Outcome> + Send;
}

/// One finished request.
#[derive(Debug)]
pub struct Done {
    pub request: Planned,
    pub outcome: Outcome,
    /// When the request was handed to the target, since the start.
    pub sent_at: Duration,
    /// `sent_at - due`: how late the scheduler was (never negative: it never sends early).
    pub lag: Duration,
}

/// Why the schedule stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Completed,
    /// `stop` resolved: nothing more was sent; requests in flight were awaited.
    Interrupted,
}

/// Send every request at its due time and call `on_done` for each reply, in completion
/// order. Returns when all sent requests have answered. `stop` (e.g. Ctrl-C) ends sending
/// early; requests already in flight are still awaited and reported.
pub async fn run<T: Target>(
    requests: Vec<Planned>,
    target: Arc<T>,
    stop: impl Future<Output = ()>,
    mut on_done: impl FnMut(Done),
) -> Stop {
    let (tx, mut rx) = mpsc::channel::<Done>(1024);
    let start = tokio::time::Instant::now();
    let mut producer = tokio::spawn(async move {
        for request in requests {
            let due = Duration::from_secs_f64(request.due_ms.max(0.0) / 1000.0);
            let due_at = start + due;
            tokio::time::sleep_until(due_at).await;
            let sent_at = start.elapsed();
            let lag = sent_at.saturating_sub(due);
            let target = Arc::clone(&target);
            let tx = tx.clone();
            tokio::spawn(async move {
                let outcome = target.send(&request, due_at.into_std()).await;
                // The receiver outlives every sender; a send error means the run is being
                // torn down and the result has nowhere to go.
                let _ = tx.send(Done { request, outcome, sent_at, lag }).await;
            });
        }
        // `tx` drops here: the channel closes once the last request has answered.
    });
    tokio::pin!(stop);
    let mut stopped = Stop::Completed;
    let mut producing = true;
    loop {
        tokio::select! {
            biased;
            () = &mut stop, if producing => {
                stopped = Stop::Interrupted;
                producing = false;
                // Aborting drops the producer's sender; spawned requests keep theirs.
                producer.abort();
            }
            _ = &mut producer, if producing => producing = false,
            done = rx.recv() => match done {
                Some(done) => on_done(done),
                None => break,
            },
        }
    }
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Echo {
        delay: Duration,
    }

    impl Target for Echo {
        async fn send(&self, request: &Planned, _scheduled: std::time::Instant) -> Outcome {
            tokio::time::sleep(self.delay).await;
            Outcome { ok: true, output: Some(request.index.to_string()), ..Outcome::default() }
        }
    }

    fn planned(index: usize, due_ms: f64) -> Planned {
        Planned {
            index,
            line: index + 1,
            id: None,
            offset_ms: Some(due_ms),
            due_ms,
            url: None,
            body: json!({}),
            recorded: None,
            trace_tokens: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_leave_at_their_due_times_even_when_replies_are_slow() {
        let reqs: Vec<_> =
            [0.0, 100.0, 250.0, 1000.0].iter().enumerate().map(|(i, d)| planned(i, *d)).collect();
        let mut done = Vec::new();
        let stop = run(reqs, Arc::new(Echo { delay: Duration::from_secs(5) }), std::future::pending(), |d| {
            done.push((d.request.index, d.sent_at))
        })
        .await;
        assert_eq!(stop, Stop::Completed);
        assert_eq!(done.len(), 4);
        done.sort();
        // With the paused clock, time only moves by timers: sends are exact.
        let sent: Vec<u128> = done.iter().map(|(_, t)| t.as_millis()).collect();
        assert_eq!(sent, [0, 100, 250, 1000]);
    }

    #[tokio::test(start_paused = true)]
    async fn stop_ends_sending_but_awaits_requests_in_flight() {
        let reqs: Vec<_> = (0..10).map(|i| planned(i, i as f64 * 1000.0)).collect();
        let mut done = Vec::new();
        let stop = tokio::time::sleep(Duration::from_millis(2500));
        let result =
            run(reqs, Arc::new(Echo { delay: Duration::from_secs(3) }), stop, |d| done.push(d.request.index))
                .await;
        assert_eq!(result, Stop::Interrupted);
        done.sort();
        assert_eq!(done, [0, 1, 2], "sent before the stop, and all answered");
    }

    #[tokio::test]
    async fn real_clock_lag_is_small() {
        let reqs: Vec<_> = (0..20).map(|i| planned(i, i as f64 * 5.0)).collect();
        let mut lags = Vec::new();
        run(reqs, Arc::new(Echo { delay: Duration::ZERO }), std::future::pending(), |d| lags.push(d.lag))
            .await;
        assert_eq!(lags.len(), 20);
        // Generous bound: CI machines are shared; the benchmark measures the real figure.
        assert!(lags.iter().all(|l| *l < Duration::from_millis(100)), "{lags:?}");
    }
}
