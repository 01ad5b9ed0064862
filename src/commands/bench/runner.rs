//! The load loop: closed loop (N workers, each sending its next request when the last one is
//! done) or open loop (a pacer releases requests on a schedule, whatever the server does).
//!
//! Workers send one [`BenchRecord`] per request over a channel; the collector here folds them
//! into [`LevelStats`], hands each to the caller (for `--out` and the live view), and stops the
//! run early when an error limit is already broken. The network side is behind the [`Target`]
//! trait, so this file is tested with a scripted target on tokio's paused clock.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use super::metrics::{Gates, LevelStats, Slo};
use super::record::{BenchRecord, ErrorClass, TokenSource};
use super::schedule::{Arrival, Arrivals, Limits, Ticket};
use super::workload::{WorkItem, Workload};
use crate::tokenize::Encoding;

/// What one exchange with the endpoint looked like, as the client saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The first response chunk of any kind.
    pub first_chunk: Option<Instant>,
    /// Arrival of each chunk that carried output (t1..tk).
    pub content: Vec<Instant>,
    /// Response complete, or the moment it failed.
    pub end: Instant,
    /// The server's counts, when it sent `usage`.
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The output text (counted with our tokenizer when the server sent no usage).
    pub output_text: String,
    pub status: Option<u16>,
    pub error: Option<(ErrorClass, String)>,
}

/// The endpoint under test. Implementations send the item and time what comes back; they
/// must not retry behind the benchmark's back unless asked to. `index` is the item's position
/// in the workload (targets may prepare requests per item up front).
pub trait Target: Send + Sync + 'static {
    fn send(&self, index: usize, item: &WorkItem, stream: bool) -> impl Future<Output = Exchange> + Send;
}

/// How load is generated at one level.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// `concurrency` workers, each sending as soon as its previous request is done.
    Closed { concurrency: usize },
    /// Requests released at `rate` per second; `max_in_flight` optionally caps outstanding
    /// requests (the wait then counts in the latency, since t0 is the scheduled time).
    Open { rate: f64, arrival: Arrival, max_in_flight: Option<usize> },
}

/// One load level (one report row).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelPlan {
    pub label: String,
    pub load: Load,
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    pub warmup: u64,
    pub stream: bool,
    pub seed: u64,
}

/// Which clock the open-loop pacer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// An OS thread (precise to tens of microseconds); the real thing.
    Thread,
    /// Tokio's timer: follows the paused clock in tests.
    #[cfg(test)]
    Tokio,
}

/// Everything a run needs besides the plan.
pub struct RunContext<T> {
    pub target: Arc<T>,
    pub workload: Arc<Workload>,
    /// Counts output when the server sends no usage.
    pub encoding: Encoding,
    pub gates: Gates,
    pub slo: Option<Slo>,
    /// Maps the monotonic clock to Unix time: (instant, Unix microseconds at that instant).
    pub anchor: (Instant, u64),
    pub pacing: Pacing,
    /// Stop (and report what finished) on Ctrl-C.
    pub handle_interrupt: bool,
}

/// Stop after this many failures in a row with no success at all: the endpoint is down or
/// refusing us, and hammering it for the whole run tells nothing more.
pub const FAIL_FAST_AFTER: u64 = 10;

/// Why a level ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// Ran to its request count or duration.
    Completed,
    /// `--max-errors` / `--max-error-rate` was already broken; the run stopped early.
    ErrorLimit,
    /// Every request so far failed ([`FAIL_FAST_AFTER`] of them).
    NothingWorks,
    /// Ctrl-C.
    Interrupted,
}

#[derive(Debug)]
pub struct LevelOutcome {
    pub stats: LevelStats,
    pub ending: Ending,
}

/// Called with every record (warmup ones too) and the level's statistics so far.
pub type OnRecord<'a> = dyn FnMut(&BenchRecord, &LevelStats) -> anyhow::Result<()> + Send + 'a;

/// Run the levels in order. Stops after a level that did not complete.
pub async fn run<T: Target>(
    ctx: &RunContext<T>,
    plans: &[LevelPlan],
    on_record: &mut OnRecord<'_>,
) -> anyhow::Result<Vec<LevelOutcome>> {
    let mut outcomes = Vec::new();
    let mut next_item = 0u64;
    for plan in plans {
        let outcome = run_level(ctx, plan, &mut next_item, on_record).await?;
        let done = outcome.ending != Ending::Completed;
        outcomes.push(outcome);
        if done {
            break;
        }
    }
    Ok(outcomes)
}

async fn run_level<T: Target>(
    ctx: &RunContext<T>,
    plan: &LevelPlan,
    next_item: &mut u64,
    on_record: &mut OnRecord<'_>,
) -> anyhow::Result<LevelOutcome> {
    let mut stats = LevelStats::new(plan.label.clone());
    if plan.warmup > 0 {
        let limits = Limits { requests: Some(plan.warmup), duration: None };
        let ending = phase(ctx, plan, true, limits, next_item, &mut stats, on_record).await?;
        if ending != Ending::Completed {
            return Ok(LevelOutcome { stats, ending });
        }
    }
    let limits = Limits { requests: plan.requests, duration: plan.duration };
    let ending = phase(ctx, plan, false, limits, next_item, &mut stats, on_record).await?;
    Ok(LevelOutcome { stats, ending })
}

/// Shared by the request tasks of one phase.
struct PhaseShared<T> {
    target: Arc<T>,
    workload: Arc<Workload>,
    encoding: Encoding,
    anchor: (Instant, u64),
    level: String,
    stream: bool,
    warmup: bool,
    item_base: u64,
}

impl<T: Target> PhaseShared<T> {
    /// Send request `seq` and turn what happened into a record. `t0` is the scheduled time
    /// (open loop) or `None` (closed loop: t0 is the send time).
    async fn request(&self, seq: u64, scheduled: Option<Instant>, lag: Option<Duration>) -> BenchRecord {
        let index = self.workload.index(self.item_base + seq);
        let item = &self.workload.items[index];
        let dispatch = Instant::now();
        let t0 = scheduled.unwrap_or(dispatch);
        let ex = self.target.send(index, item, self.stream).await;
        let us = |at: Instant| at.saturating_duration_since(t0).as_micros() as u64;
        let (output_tokens, source) = match ex.output_tokens {
            Some(n) => (n, TokenSource::Usage),
            None => (self.encoding.count(&ex.output_text) as u64, TokenSource::Tokenizer),
        };
        let (error, message) = match ex.error {
            Some((class, msg)) => (Some(class), Some(msg)),
            None => (None, None),
        };
        BenchRecord {
            level: self.level.clone(),
            seq,
            warmup: self.warmup,
            stream: self.stream,
            t0_us: self.anchor.1 + t0.saturating_duration_since(self.anchor.0).as_micros() as u64,
            lag_us: lag.map(|l| l.as_micros() as u64),
            send_us: us(dispatch),
            first_chunk_us: ex.first_chunk.map(us),
            content_us: ex.content.iter().map(|c| us(*c)).collect(),
            end_us: us(ex.end),
            output_tokens,
            output_tokens_from: source,
            input_tokens: ex.input_tokens.unwrap_or(item.prompt_tokens),
            status: ex.status,
            error,
            message,
        }
    }
}

async fn phase<T: Target>(
    ctx: &RunContext<T>,
    plan: &LevelPlan,
    warmup: bool,
    limits: Limits,
    next_item: &mut u64,
    stats: &mut LevelStats,
    on_record: &mut OnRecord<'_>,
) -> anyhow::Result<Ending> {
    let shared = Arc::new(PhaseShared {
        target: ctx.target.clone(),
        workload: ctx.workload.clone(),
        encoding: ctx.encoding,
        anchor: ctx.anchor,
        level: plan.label.clone(),
        stream: plan.stream,
        warmup,
        item_base: *next_item,
    });
    let (tx, mut rx) = mpsc::unbounded_channel::<BenchRecord>();
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    // Dropping this wakes and stops the pacer thread.
    let mut pacer_stop: Option<std::sync::mpsc::Sender<()>> = None;
    let issued = Arc::new(AtomicU64::new(0));

    match &plan.load {
        Load::Closed { concurrency } => {
            let fail_fast = Arc::new(FailFast::default());
            for _ in 0..*concurrency {
                let (shared, tx, stop, issued) = (shared.clone(), tx.clone(), stop.clone(), issued.clone());
                let fail_fast = fail_fast.clone();
                tokio::spawn(async move {
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        if limits.duration.is_some_and(|d| start.elapsed() >= d) {
                            break;
                        }
                        let seq = issued.fetch_add(1, Ordering::Relaxed);
                        if limits.requests.is_some_and(|n| seq >= n) {
                            break;
                        }
                        let record = shared.request(seq, None, None).await;
                        if fail_fast.dead_after(record.ok()) {
                            stop.store(true, Ordering::Relaxed);
                        }
                        if tx.send(record).is_err() {
                            break;
                        }
                    }
                });
            }
        }
        Load::Open { rate, arrival, max_in_flight } => {
            let (ticket_tx, mut ticket_rx) = mpsc::unbounded_channel::<Ticket>();
            // Warmup and measurement get different (but reproducible) arrival sequences.
            let seed = plan.seed.wrapping_add(u64::from(!warmup));
            let arrivals = Arrivals::new(*rate, *arrival, seed);
            match ctx.pacing {
                Pacing::Thread => {
                    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
                    super::schedule::spawn_pacer(start, arrivals, limits, ticket_tx, stop_rx)
                        .map_err(|e| anyhow::anyhow!("cannot start the pacer thread: {e}"))?;
                    pacer_stop = Some(stop_tx);
                }
                #[cfg(test)]
                Pacing::Tokio => {
                    super::schedule::spawn_tokio_pacer(start, arrivals, limits, ticket_tx);
                }
            }
            let slots = max_in_flight.map(|n| Arc::new(Semaphore::new(n)));
            let (shared, tx, stop, issued) = (shared.clone(), tx.clone(), stop.clone(), issued.clone());
            tokio::spawn(async move {
                while let Some(ticket) = ticket_rx.recv().await {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // Scheduler lag: how late the pacer released the request. The rest of the
                    // way to the wire (handoff, a free slot) is in `send_us`.
                    let lag = ticket.released.saturating_duration_since(ticket.scheduled);
                    issued.fetch_add(1, Ordering::Relaxed);
                    let (shared, tx, slots, stop) = (shared.clone(), tx.clone(), slots.clone(), stop.clone());
                    // The wait for a slot happens in the request's own task, so a full
                    // in-flight cap never delays the pickup of the next tickets.
                    tokio::spawn(async move {
                        let permit = match slots {
                            Some(s) => match s.acquire_owned().await {
                                Ok(p) => Some(p),
                                Err(_) => return,
                            },
                            None => None,
                        };
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let record = shared.request(ticket.seq, Some(ticket.scheduled), Some(lag)).await;
                        drop(permit);
                        let _ = tx.send(record);
                    });
                }
            });
        }
    }
    drop(tx);

    let total = limits.requests;
    let (mut seen, mut failed) = (0u64, 0u64);
    let mut any_success = false;
    let mut ending = Ending::Completed;
    let interrupt = interrupt_signal(ctx.handle_interrupt);
    tokio::pin!(interrupt);
    loop {
        let record = tokio::select! {
            r = rx.recv() => match r {
                Some(r) => r,
                None => break,
            },
            () = &mut interrupt => {
                ending = Ending::Interrupted;
                break;
            }
        };
        seen += 1;
        if record.ok() {
            any_success = true;
        } else {
            failed += 1;
        }
        if !warmup {
            stats.add(&record, ctx.slo.as_ref());
        }
        on_record(&record, stats)?;
        if ending != Ending::Completed {
            continue;
        }
        let limit_hit = !warmup && ctx.gates.errors_exceeded(stats.errors, total);
        let dead = !any_success && failed >= FAIL_FAST_AFTER;
        if limit_hit || dead {
            ending = if limit_hit { Ending::ErrorLimit } else { Ending::NothingWorks };
            stop.store(true, Ordering::Relaxed);
            pacer_stop = None;
        }
    }
    drop(pacer_stop);
    stop.store(true, Ordering::Relaxed);
    *next_item += seen.max(issued.load(Ordering::Relaxed));
    Ok(ending)
}

/// The workers' own view of "nothing works": the collector decides how the level ended, but
/// it runs on the same runtime and can fall behind workers whose requests fail in
/// microseconds, so the workers stop themselves after [`FAIL_FAST_AFTER`] failures with no
/// success, instead of hammering a dead endpoint until the collector catches up.
#[derive(Default)]
struct FailFast {
    failures: AtomicU64,
    any_success: AtomicBool,
}

impl FailFast {
    /// Count one result; true when the endpoint looks dead.
    fn dead_after(&self, ok: bool) -> bool {
        if ok {
            self.any_success.store(true, Ordering::Relaxed);
            return false;
        }
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        failures >= FAIL_FAST_AFTER && !self.any_success.load(Ordering::Relaxed)
    }
}

/// Resolves on Ctrl-C when asked to listen; never otherwise.
async fn interrupt_signal(listen: bool) {
    if listen && tokio::signal::ctrl_c().await.is_ok() {
        return;
    }
    std::future::pending::<()>().await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::commands::bench::workload::Synthetic;
    use std::sync::Mutex;

    /// A scripted endpoint on tokio's clock: TTFT, then one token per ITL; every
    /// `fail_every`-th request fails with a 500 right away.
    pub(crate) struct Scripted {
        pub ttft: Duration,
        pub itl: Duration,
        pub tokens: u64,
        pub fail_every: Option<u64>,
        pub usage: bool,
        pub calls: AtomicU64,
        pub in_flight: AtomicU64,
        pub max_in_flight: AtomicU64,
    }

    impl Scripted {
        pub(crate) fn new(ttft_ms: u64, itl_ms: u64, tokens: u64) -> Self {
            Scripted {
                ttft: Duration::from_millis(ttft_ms),
                itl: Duration::from_millis(itl_ms),
                tokens,
                fail_every: None,
                usage: true,
                calls: AtomicU64::new(0),
                in_flight: AtomicU64::new(0),
                max_in_flight: AtomicU64::new(0),
            }
        }
    }

    impl Target for Scripted {
        async fn send(&self, _index: usize, item: &WorkItem, stream: bool) -> Exchange {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let now_in = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now_in, Ordering::SeqCst);
            let mut ex = Exchange {
                first_chunk: None,
                content: Vec::new(),
                end: Instant::now(),
                input_tokens: self.usage.then_some(item.prompt_tokens),
                output_tokens: None,
                output_text: String::new(),
                status: Some(200),
                error: None,
            };
            if self.fail_every.is_some_and(|k| n % k == 0) {
                ex.status = Some(500);
                ex.error = Some((ErrorClass::Server, "500 Internal Server Error".into()));
            } else {
                tokio::time::sleep(self.ttft).await;
                ex.first_chunk = Some(Instant::now());
                for i in 0..self.tokens {
                    if i > 0 {
                        tokio::time::sleep(self.itl).await;
                    }
                    if stream {
                        ex.content.push(Instant::now());
                    }
                    ex.output_text.push_str(" the");
                }
                if !stream {
                    ex.content.push(Instant::now());
                }
                ex.output_tokens = self.usage.then_some(self.tokens);
            }
            ex.end = Instant::now();
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            ex
        }
    }

    pub(crate) fn ctx(target: Scripted, gates: Gates) -> RunContext<Scripted> {
        let workload = Synthetic { prompt_tokens: 20, stddev: 0.0, max_tokens: Some(8), seed: 0, count: 4 }
            .build(Encoding::O200kBase)
            .unwrap();
        RunContext {
            target: Arc::new(target),
            workload: Arc::new(workload),
            encoding: Encoding::O200kBase,
            gates,
            slo: None,
            anchor: (Instant::now(), 1_700_000_000_000_000),
            pacing: Pacing::Tokio,
            handle_interrupt: false,
        }
    }

    pub(crate) fn plan(load: Load, requests: Option<u64>) -> LevelPlan {
        LevelPlan { label: "test".into(), load, requests, duration: None, warmup: 0, stream: true, seed: 1 }
    }

    async fn collect(
        ctx: &RunContext<Scripted>,
        plans: &[LevelPlan],
    ) -> (Vec<LevelOutcome>, Vec<BenchRecord>) {
        let records = Mutex::new(Vec::new());
        let outcomes = run(ctx, plans, &mut |r, _| {
            records.lock().unwrap().push(r.clone());
            Ok(())
        })
        .await
        .unwrap();
        (outcomes, records.into_inner().unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn closed_loop_measures_exact_latencies_at_its_concurrency() {
        let c = ctx(Scripted::new(150, 10, 11), Gates::default());
        let (out, records) = collect(&c, &[plan(Load::Closed { concurrency: 4 }, Some(40))]).await;
        let s = out[0].stats.summary(None);
        assert_eq!(out[0].ending, Ending::Completed);
        assert_eq!((s.requests, s.errors), (40, 0));
        assert_eq!(s.ttft_ms.p50, Some(150.0));
        assert_eq!(s.tpot_ms.p50, Some(10.0));
        assert_eq!(s.itl_ms.max, Some(10.0));
        assert_eq!(s.e2e_ms.mean, Some(250.0));
        assert_eq!(c.target.max_in_flight.load(Ordering::SeqCst), 4);
        // 40 requests, 4 at a time, 250 ms each: 10 rounds.
        assert_eq!(s.wall_s, 2.5);
        assert_eq!(s.request_throughput, 16.0);
        assert!(records.iter().all(|r| r.send_us == 0 && r.lag_us.is_none()));
        let mut seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
        seqs.sort();
        assert_eq!(seqs, (0..40).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn open_loop_latency_counts_from_the_scheduled_time() {
        // 100 req/s with at most one request in flight, each taking 250 ms: requests queue,
        // and the queueing shows up in TTFT because t0 is the scheduled time.
        let c = ctx(Scripted::new(150, 10, 11), Gates::default());
        let load = Load::Open { rate: 100.0, arrival: Arrival::Constant, max_in_flight: Some(1) };
        let (out, records) = collect(&c, &[plan(load, Some(4))]).await;
        let mut r = records;
        r.sort_by_key(|r| r.seq);
        let ttfts: Vec<u64> = r.iter().map(|r| r.ttft_us().unwrap()).collect();
        assert_eq!(ttfts, [150_000, 390_000, 630_000, 870_000]);
        assert_eq!(r[1].send_us, 240_000);
        assert!(r.iter().all(|r| r.lag_us == Some(0)));
        assert_eq!(out[0].stats.summary(None).sched_lag_ms.unwrap().max, Some(0.0));
        // Scheduled 10 ms apart on the Unix clock.
        assert_eq!(r[1].t0_us - r[0].t0_us, 10_000);
    }

    #[tokio::test(start_paused = true)]
    async fn open_loop_without_a_cap_overlaps_requests() {
        let c = ctx(Scripted::new(100, 10, 2), Gates::default());
        let load = Load::Open { rate: 100.0, arrival: Arrival::Poisson, max_in_flight: None };
        let (out, _) = collect(&c, &[plan(load, Some(200))]).await;
        let s = out[0].stats.summary(None);
        assert_eq!(s.requests, 200);
        // Tokio's timer (the test pacer) wakes on whole milliseconds, so the scheduler lag
        // is under 1 ms and TTFT (from the scheduled time) is 100 ms plus that lag.
        let lag_max = s.sched_lag_ms.unwrap().max.unwrap();
        assert!(lag_max < 1.0, "{lag_max}");
        assert!(s.ttft_ms.max.unwrap() <= 100.0 + lag_max, "no queueing without a cap");
        assert!(c.target.max_in_flight.load(Ordering::SeqCst) > 5);
        // Poisson at 100/s: about 2 s for 200 requests.
        assert!((1.5..2.6).contains(&s.wall_s), "{}", s.wall_s);
    }

    #[tokio::test(start_paused = true)]
    async fn duration_bounds_a_closed_loop() {
        let c = ctx(Scripted::new(100, 0, 1), Gates::default());
        let mut p = plan(Load::Closed { concurrency: 2 }, None);
        p.duration = Some(Duration::from_secs(1));
        let (out, _) = collect(&c, &[p]).await;
        // Requests start at 0, 100, ..., 900 ms on each worker.
        assert_eq!(out[0].stats.requests, 20);
    }

    #[tokio::test(start_paused = true)]
    async fn warmup_is_sent_but_not_counted() {
        let c = ctx(Scripted::new(10, 1, 2), Gates::default());
        let mut p = plan(Load::Closed { concurrency: 1 }, Some(5));
        p.warmup = 3;
        let (out, records) = collect(&c, &[p]).await;
        assert_eq!(records.iter().filter(|r| r.warmup).count(), 3);
        assert_eq!(out[0].stats.requests, 5);
        assert_eq!(c.target.calls.load(Ordering::SeqCst), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn sweeps_produce_one_stats_per_level() {
        let c = ctx(Scripted::new(10, 1, 2), Gates::default());
        let mut a = plan(Load::Closed { concurrency: 1 }, Some(3));
        a.label = "concurrency=1".into();
        let mut b = plan(Load::Closed { concurrency: 2 }, Some(4));
        b.label = "concurrency=2".into();
        let (out, records) = collect(&c, &[a, b]).await;
        assert_eq!(out.iter().map(|o| o.stats.requests).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(records.iter().filter(|r| r.level == "concurrency=2").count(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn max_errors_stops_the_run_early() {
        let mut t = Scripted::new(10, 1, 2);
        t.fail_every = Some(2);
        let gates = Gates { max_errors: Some(3), ..Gates::default() };
        let c = ctx(t, gates);
        let (out, _) = collect(&c, &[plan(Load::Closed { concurrency: 1 }, Some(1000))]).await;
        assert_eq!(out[0].ending, Ending::ErrorLimit);
        assert_eq!(out[0].stats.errors, 4);
        assert!(c.target.calls.load(Ordering::SeqCst) < 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dead_endpoint_stops_the_run_after_a_few_failures() {
        let mut t = Scripted::new(10, 1, 2);
        t.fail_every = Some(1);
        let c = ctx(t, Gates::default());
        let load = Load::Open { rate: 1000.0, arrival: Arrival::Constant, max_in_flight: None };
        let (out, _) = collect(&c, &[plan(load, Some(100_000))]).await;
        assert_eq!(out[0].ending, Ending::NothingWorks);
        assert!(out[0].stats.errors >= FAIL_FAST_AFTER);
        assert!(c.target.calls.load(Ordering::SeqCst) < 100);
        assert_eq!(out[0].stats.first_error.as_ref().map(|e| e.2), Some(ErrorClass::Server));
    }

    #[tokio::test(start_paused = true)]
    async fn without_usage_output_is_counted_with_the_tokenizer() {
        let mut t = Scripted::new(10, 1, 5);
        t.usage = false;
        let c = ctx(t, Gates::default());
        let (out, records) = collect(&c, &[plan(Load::Closed { concurrency: 1 }, Some(2))]).await;
        assert!(records
            .iter()
            .all(|r| r.output_tokens == 5 && r.output_tokens_from == TokenSource::Tokenizer));
        assert!(records.iter().all(|r| r.input_tokens == 20), "prompt estimate used");
        assert_eq!(out[0].stats.output_tokens_estimated, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn non_streamed_requests_have_ttft_equal_to_e2e() {
        let c = ctx(Scripted::new(50, 10, 3), Gates::default());
        let mut p = plan(Load::Closed { concurrency: 1 }, Some(2));
        p.stream = false;
        let (out, _) = collect(&c, &[p]).await;
        let s = out[0].stats.summary(None);
        assert_eq!(s.ttft_ms.p50, Some(70.0));
        assert_eq!(s.e2e_ms.p50, Some(70.0));
        assert_eq!(s.tpot_ms.count, 0);
        assert_eq!(s.itl_ms.count, 0);
    }
}
