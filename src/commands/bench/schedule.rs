//! When each request of an open-loop run is due, and the pacer that releases them on time.
//!
//! Open-loop load is what separates a load test from a loop of requests: arrivals follow the
//! clock, not the server, so a slow server faces a growing queue exactly as it would in
//! production, and latencies are measured from the *scheduled* time (no coordinated omission).
//! Two pieces live here:
//!
//! - [`Arrivals`]: the deterministic (seeded) sequence of arrival offsets for a rate and an
//!   arrival process (constant spacing, Poisson, or gamma with a burstiness factor).
//! - [`spawn_pacer`]: an OS thread that sleeps until `start + t_i` and hands out one [`Ticket`]
//!   per request. A thread rather than a tokio task because tokio's timer has a 1 ms
//!   granularity (every deadline is rounded up to the next millisecond tick), which alone would
//!   put the scheduler lag p99 near 1 ms; a parked OS thread wakes within tens of microseconds.
//!   It never spins: between arrivals it is blocked in the kernel.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

/// How inter-arrival gaps are drawn for an open loop at a given mean rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrival {
    /// Exactly `1/rate` apart.
    Constant,
    /// Exponential gaps (a Poisson process): the usual model of independent users.
    Poisson,
    /// Gamma-distributed gaps with shape `burstiness` and mean `1/rate`. Below 1 traffic is
    /// burstier than Poisson, above 1 smoother; 1 is Poisson.
    Gamma { burstiness: f64 },
}

impl Arrival {
    pub fn name(&self) -> &'static str {
        match self {
            Arrival::Constant => "constant",
            Arrival::Poisson => "poisson",
            Arrival::Gamma { .. } => "gamma",
        }
    }
}

/// Arrival offsets from the start of a run, in seconds: `0, t_1, t_2, ...` (the first request
/// leaves at once). Deterministic for a given seed, so two runs with the same flags send the
/// same traffic shape.
#[derive(Debug, Clone)]
pub struct Arrivals {
    rate: f64,
    arrival: Arrival,
    rng: StdRng,
    index: u64,
    /// Sum of the random gaps so far (seconds); unused for constant spacing, which is computed
    /// from the index so no rounding error accumulates.
    elapsed: f64,
}

impl Arrivals {
    /// `rate` must be finite and positive (validated with the flags).
    pub fn new(rate: f64, arrival: Arrival, seed: u64) -> Self {
        Arrivals { rate, arrival, rng: StdRng::seed_from_u64(seed), index: 0, elapsed: 0.0 }
    }

    fn gap(&mut self) -> f64 {
        match self.arrival {
            Arrival::Constant => 1.0 / self.rate,
            Arrival::Poisson => exponential(&mut self.rng) / self.rate,
            Arrival::Gamma { burstiness } => gamma(&mut self.rng, burstiness) / (burstiness * self.rate),
        }
    }
}

impl Iterator for Arrivals {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let i = self.index;
        self.index += 1;
        let t = match self.arrival {
            Arrival::Constant => i as f64 / self.rate,
            _ => {
                if i > 0 {
                    self.elapsed += self.gap();
                }
                self.elapsed
            }
        };
        Some(Duration::from_secs_f64(t))
    }
}

/// A uniform draw in (0, 1]: never 0, so `ln` stays finite.
fn unit_open(rng: &mut StdRng) -> f64 {
    1.0 - rng.random::<f64>()
}

/// Exponential with mean 1.
fn exponential(rng: &mut StdRng) -> f64 {
    -unit_open(rng).ln()
}

/// Standard normal (Box-Muller; one of the pair is discarded, which keeps the state simple).
pub(crate) fn standard_normal(rng: &mut StdRng) -> f64 {
    let u1 = unit_open(rng);
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Gamma with the given shape and scale 1 (Marsaglia and Tsang, 2000). For shape < 1 the
/// usual boost: `Gamma(k) = Gamma(k + 1) * U^(1/k)`.
fn gamma(rng: &mut StdRng, shape: f64) -> f64 {
    if shape < 1.0 {
        let boost = unit_open(rng).powf(1.0 / shape);
        return gamma(rng, shape + 1.0) * boost;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = unit_open(rng);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// Permission to send one request, released by the pacer at (or just after) its scheduled time.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    /// 0-based index of the request within its phase.
    pub seq: u64,
    /// When the request was due: `start + t_seq`. Open-loop latencies count from here.
    pub scheduled: Instant,
    /// When the pacer handed it out; `released - scheduled` is the scheduler lag.
    pub released: Instant,
}

/// Where the pacer stops handing out tickets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Stop after this many tickets.
    pub requests: Option<u64>,
    /// Stop at the first arrival at or after this offset from the start.
    pub duration: Option<Duration>,
}

impl Limits {
    fn allows(&self, seq: u64, offset: Duration) -> bool {
        self.requests.is_none_or(|n| seq < n) && self.duration.is_none_or(|d| offset < d)
    }
}

/// Start the pacer thread. It sends one ticket per arrival in `arrivals` until `limits` are
/// reached, the receiver of `tickets` is gone, or `stop` is signalled or dropped (which also
/// wakes it from a long sleep at once). Between tickets it is blocked, never spinning.
pub fn spawn_pacer(
    start: Instant,
    arrivals: Arrivals,
    limits: Limits,
    tickets: UnboundedSender<Ticket>,
    stop: Receiver<()>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("bench-pacer".into()).spawn(move || {
        let start = start.into_std();
        for (seq, offset) in (0u64..).zip(arrivals) {
            if !limits.allows(seq, offset) {
                return;
            }
            let due = start + offset;
            let now = std::time::Instant::now();
            if due > now {
                match stop.recv_timeout(due - now) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            } else if !matches!(stop.try_recv(), Err(std::sync::mpsc::TryRecvError::Empty)) {
                return;
            }
            let ticket = Ticket { seq, scheduled: Instant::from_std(due), released: Instant::now() };
            if tickets.send(ticket).is_err() {
                return;
            }
        }
    })
}

/// The same pacing as [`spawn_pacer`] on tokio's clock, for tests that run with paused time
/// (where an OS thread's sleep would not follow the virtual clock).
#[cfg(test)]
pub fn spawn_tokio_pacer(
    start: Instant,
    arrivals: Arrivals,
    limits: Limits,
    tickets: UnboundedSender<Ticket>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for (seq, offset) in (0u64..).zip(arrivals) {
            if !limits.allows(seq, offset) {
                return;
            }
            let due = start + offset;
            tokio::time::sleep_until(due).await;
            if tickets.send(Ticket { seq, scheduled: due, released: Instant::now() }).is_err() {
                return;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(arrival: Arrival, rate: f64, n: usize, seed: u64) -> Vec<f64> {
        let t: Vec<f64> = Arrivals::new(rate, arrival, seed).take(n + 1).map(|d| d.as_secs_f64()).collect();
        t.windows(2).map(|w| w[1] - w[0]).collect()
    }

    fn mean_cv(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt() / mean)
    }

    #[test]
    fn constant_spacing_is_exact_and_starts_at_zero() {
        let t: Vec<Duration> = Arrivals::new(4.0, Arrival::Constant, 0).take(5).collect();
        let ms: Vec<u128> = t.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 250, 500, 750, 1000]);
        // No accumulated error after a million arrivals.
        let last = Arrivals::new(1000.0, Arrival::Constant, 0).nth(1_000_000).unwrap();
        assert_eq!(last, Duration::from_secs(1000));
    }

    #[test]
    fn poisson_gaps_have_the_right_mean_and_unit_cv() {
        let (mean, cv) = mean_cv(&gaps(Arrival::Poisson, 50.0, 200_000, 7));
        assert!((mean - 0.02).abs() < 0.02 * 0.01, "mean {mean}");
        assert!((cv - 1.0).abs() < 0.01, "cv {cv}");
    }

    #[test]
    fn gamma_burstiness_sets_the_cv() {
        for k in [0.25, 0.5, 2.0, 8.0] {
            let (mean, cv) = mean_cv(&gaps(Arrival::Gamma { burstiness: k }, 10.0, 200_000, 3));
            assert!((mean - 0.1).abs() < 0.1 * 0.015, "k={k} mean {mean}");
            let want = 1.0 / f64::sqrt(k);
            assert!((cv - want).abs() < want * 0.02, "k={k} cv {cv} want {want}");
        }
    }

    #[test]
    fn seeds_make_schedules_reproducible() {
        let a: Vec<Duration> = Arrivals::new(10.0, Arrival::Poisson, 1).take(100).collect();
        let b: Vec<Duration> = Arrivals::new(10.0, Arrival::Poisson, 1).take(100).collect();
        let c: Vec<Duration> = Arrivals::new(10.0, Arrival::Poisson, 2).take(100).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn limits_stop_on_count_or_duration() {
        let l = Limits { requests: Some(3), duration: None };
        assert!(l.allows(2, Duration::from_secs(100)) && !l.allows(3, Duration::ZERO));
        let l = Limits { requests: None, duration: Some(Duration::from_secs(1)) };
        assert!(l.allows(99, Duration::from_millis(999)) && !l.allows(0, Duration::from_secs(1)));
    }

    #[tokio::test]
    async fn pacer_thread_releases_tickets_in_order_and_close_to_schedule() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (_stop_tx, stop_rx) = std::sync::mpsc::channel();
        let start = Instant::now();
        let limits = Limits { requests: Some(20), duration: None };
        let handle =
            spawn_pacer(start, Arrivals::new(1000.0, Arrival::Constant, 0), limits, tx, stop_rx).unwrap();
        let mut seqs = Vec::new();
        while let Some(t) = rx.recv().await {
            let lag = Instant::now().saturating_duration_since(t.scheduled);
            assert_eq!(t.scheduled, start + Duration::from_millis(t.seq));
            // Generous bound: this only proves the ticket is not released early or very late.
            assert!(Instant::now() >= t.scheduled && lag < Duration::from_millis(200), "lag {lag:?}");
            seqs.push(t.seq);
        }
        handle.join().unwrap();
        assert_eq!(seqs, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn dropping_the_stop_handle_wakes_a_sleeping_pacer() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        // One request per hour: the second ticket is an hour away.
        let handle = spawn_pacer(
            Instant::now(),
            Arrivals::new(1.0 / 3600.0, Arrival::Constant, 0),
            Limits::default(),
            tx,
            stop_rx,
        )
        .unwrap();
        let begun = std::time::Instant::now();
        drop(stop_tx);
        handle.join().unwrap();
        assert!(begun.elapsed() < Duration::from_secs(5));
    }
}
