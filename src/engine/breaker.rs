//! A circuit breaker per endpoint, so a dead endpoint costs one timeout per cool-down instead
//! of one per request, and the fallback chain takes over at once.
//!
//! States: **closed** (requests flow; outcomes are counted over a sliding window), **open**
//! (the error rate over the window reached the threshold with enough samples: requests skip
//! this endpoint until the cool-down ends), **half-open** (after the cool-down one probe is let
//! through: success closes the breaker, failure opens it again). Only failures that say the
//! endpoint is unhealthy count: 5xx, timeouts, connection errors, broken streams. 429s are the
//! rate limiter's business and 4xx are the request's fault.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Breaker tuning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    /// Outcomes older than this are forgotten.
    pub window: Duration,
    /// No decision before this many outcomes in the window.
    pub min_requests: u32,
    /// Open at this failure ratio (0..1).
    pub failure_ratio: f64,
    /// How long an open breaker rejects before letting a probe through.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            window: Duration::from_secs(10),
            min_requests: 10,
            failure_ratio: 0.5,
            open_for: Duration::from_secs(15),
        }
    }
}

/// The state as seen from outside (for `-v` messages and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

const SLOTS: usize = 10;

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    /// Counts per slot of `window / SLOTS`: (slot start, successes, failures).
    slots: [(Option<Instant>, u32, u32); SLOTS],
    opened_at: Instant,
    probe_started: Option<Instant>,
}

#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker {
            config,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                slots: [(None, 0, 0); SLOTS],
                opened_at: Instant::now(),
                probe_started: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> BreakerState {
        let mut inner = self.lock();
        self.advance(&mut inner, Instant::now());
        inner.state
    }

    /// May a request go to this endpoint now? In half-open state only one probe at a time
    /// (a probe whose outcome never arrives is replaced after another cool-down).
    pub fn allow(&self) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        self.advance(&mut inner, now);
        match inner.state {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => match inner.probe_started {
                Some(t) if now - t < self.config.open_for => false,
                _ => {
                    inner.probe_started = Some(now);
                    true
                }
            },
        }
    }

    pub fn record_success(&self) {
        let now = Instant::now();
        let mut inner = self.lock();
        match inner.state {
            BreakerState::HalfOpen => {
                inner.state = BreakerState::Closed;
                inner.slots = [(None, 0, 0); SLOTS];
                inner.probe_started = None;
            }
            _ => self.count(&mut inner, now, true),
        }
    }

    pub fn record_failure(&self) {
        let now = Instant::now();
        let mut inner = self.lock();
        match inner.state {
            BreakerState::HalfOpen => self.open(&mut inner, now),
            BreakerState::Open => {}
            BreakerState::Closed => {
                self.count(&mut inner, now, false);
                let (ok, failed) = self.totals(&inner, now);
                let n = ok + failed;
                if n >= self.config.min_requests
                    && f64::from(failed) / f64::from(n) >= self.config.failure_ratio
                {
                    self.open(&mut inner, now);
                }
            }
        }
    }

    fn open(&self, inner: &mut Inner, now: Instant) {
        inner.state = BreakerState::Open;
        inner.opened_at = now;
        inner.probe_started = None;
    }

    fn advance(&self, inner: &mut Inner, now: Instant) {
        if inner.state == BreakerState::Open && now - inner.opened_at >= self.config.open_for {
            inner.state = BreakerState::HalfOpen;
        }
    }

    fn slot_len(&self) -> Duration {
        (self.config.window / SLOTS as u32).max(Duration::from_millis(1))
    }

    fn count(&self, inner: &mut Inner, now: Instant, ok: bool) {
        let len = self.slot_len();
        let i = slot_index(now, len);
        let slot = &mut inner.slots[i % SLOTS];
        let current = slot.0.is_some_and(|start| now - start < len);
        if !current {
            *slot = (Some(now), 0, 0);
        }
        if ok {
            slot.1 += 1;
        } else {
            slot.2 += 1;
        }
    }

    fn totals(&self, inner: &Inner, now: Instant) -> (u32, u32) {
        inner
            .slots
            .iter()
            .filter(|(start, _, _)| start.is_some_and(|s| now - s < self.config.window))
            .fold((0, 0), |(a, b), (_, ok, failed)| (a + ok, b + failed))
    }
}

/// Slot number of an instant: instants are opaque, so measure from a process-wide origin.
fn slot_index(now: Instant, len: Duration) -> usize {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let origin = Instant::from_std(*ORIGIN.get_or_init(std::time::Instant::now));
    let since = now.saturating_duration_since(origin);
    (since.as_nanos() / len.as_nanos().max(1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            window: Duration::from_secs(10),
            min_requests: 4,
            failure_ratio: 0.5,
            open_for: Duration::from_secs(5),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_on_error_rate_then_half_opens_and_closes() {
        let b = Breaker::new(config());
        b.record_success();
        b.record_failure();
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Closed, "too few samples");
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(!b.allow());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.allow(), "one probe");
        assert!(!b.allow(), "only one probe at a time");
        b.record_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.allow());
    }

    #[tokio::test(start_paused = true)]
    async fn failed_probe_reopens() {
        let b = Breaker::new(config());
        for _ in 0..4 {
            b.record_failure();
        }
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(b.allow());
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Open);
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(!b.allow(), "a full cool-down again");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(b.allow());
    }

    #[tokio::test(start_paused = true)]
    async fn old_failures_leave_the_window() {
        let b = Breaker::new(config());
        for _ in 0..3 {
            b.record_failure();
        }
        tokio::time::advance(Duration::from_secs(11)).await;
        for _ in 0..3 {
            b.record_success();
        }
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Closed, "1 failure in 4 within the window");
    }

    #[tokio::test(start_paused = true)]
    async fn lost_probe_is_replaced_after_a_cool_down() {
        let b = Breaker::new(config());
        for _ in 0..4 {
            b.record_failure();
        }
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(b.allow());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(b.allow(), "the first probe never reported");
    }
}
