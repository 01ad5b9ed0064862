//! The local runner: sends pending requests concurrently and writes each result the moment it
//! is known (or, with `--ordered`, the moment every earlier one is).
//!
//! Shape (workers -> channel -> consumer, as in oha):
//! - a reader thread parses pending lines into a small bounded channel (the input is never in
//!   memory);
//! - the dispatcher takes a concurrency permit (and, with `--ordered`, a reorder-window
//!   permit), checks the `--max-cost` budget, and spawns one task per request;
//! - each task asks the [`Executor`] (the engine, in production: limits, retries, fallback),
//!   settles the budget, and sends the outcome to the writer thread;
//! - the writer thread appends output lines, updates the counters and the progress bar, and
//!   gives back window permits as lines are written, which bounds the reorder buffer.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::ProgressBar;
use serde_json::Value;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};

use super::input::{PendingRequests, Request};
use super::output::{ErrorPart, IdGen, LineWriter, OutputLine, Reorder, ResponsePart};
use crate::usage::Usage;

/// The result of one request after retries and fallback.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// HTTP status of the final attempt; `None` when no response arrived.
    pub status: Option<u16>,
    /// The server's request id (`x-request-id`), when it sent one.
    pub request_id: Option<String>,
    /// The response body (success or error), untouched.
    pub body: Option<Value>,
    /// Why there is no response (connection error, timeout, cut stream, ...).
    pub error: Option<ErrorPart>,
    pub usage: Option<Usage>,
    /// `None` when the model has no known price.
    pub cost_usd: Option<f64>,
    pub retries: u32,
    /// Attempts answered 429.
    pub rate_limited: u32,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }

    fn into_line(self, id: String, custom_id: String) -> OutputLine {
        let response = self.status.map(|status_code| ResponsePart {
            status_code,
            request_id: self.request_id.clone().unwrap_or_else(|| id.clone()),
            body: self.body.unwrap_or(Value::Null),
        });
        let error = match (&response, self.error) {
            (_, Some(e)) => Some(e),
            (None, None) => Some(ErrorPart { code: "no_response".into(), message: "no response".into() }),
            (Some(_), None) => None,
        };
        OutputLine { id, custom_id: Some(custom_id), response, error, line: None }
    }
}

/// Sends one request. Production: the engine; tests: scripted fakes.
pub trait Executor: Send + Sync + 'static {
    fn execute(&self, req: &Request) -> impl Future<Output = Outcome> + Send;
}

/// Estimates a request's cost before it is sent, for `--max-cost`.
pub trait CostEstimator: Send + Sync + 'static {
    /// USD for this request, assuming `assumed_output` output tokens when the body sets no
    /// limit. `None` when the model has no price.
    fn estimate_usd(&self, req: &Request, assumed_output: u64) -> Option<f64>;
}

#[derive(Clone)]
pub struct RunOptions {
    pub concurrency: usize,
    pub ordered: bool,
    /// `--max-cost` and how to estimate a request.
    pub budget: Option<(f64, Arc<dyn CostEstimator>)>,
}

/// Counters of the sending phase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunStats {
    pub sent: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// Finished requests with no price (not in `cost_usd`).
    pub unpriced: u64,
    /// Requests not started because of the budget.
    pub not_started: u64,
    pub budget_stopped: bool,
    pub interrupted: bool,
}

/// Output tokens assumed for a request with no max_tokens before any request has finished.
pub const DEFAULT_ASSUMED_OUTPUT: u64 = 256;

struct Budget {
    max: f64,
    spent: f64,
    inflight: f64,
    inflight_n: u64,
    /// Output tokens seen so far, to guess the length of requests without max_tokens.
    out_tokens: u64,
    finished: u64,
}

impl Budget {
    fn assumed_output(&self) -> u64 {
        if self.finished == 0 {
            DEFAULT_ASSUMED_OUTPUT
        } else {
            // Mean so far, rounded up: the estimate should err on the high side.
            self.out_tokens.div_ceil(self.finished).max(1)
        }
    }
}

/// What a task hands the writer.
struct Finished {
    seq: u64,
    custom_id: String,
    outcome: Outcome,
    _window: Option<OwnedSemaphorePermit>,
}

/// Run every pending request. Returns when all are written, the budget stops the run, or
/// `interrupt` resolves (in-flight requests are then abandoned; they run again on resume).
pub async fn run<E: Executor>(
    exec: Arc<E>,
    pending: PendingRequests,
    out: LineWriter,
    ids: Arc<IdGen>,
    opts: RunOptions,
    progress: ProgressBar,
    interrupt: impl Future<Output = ()>,
) -> anyhow::Result<RunStats> {
    let concurrency = opts.concurrency.max(1);
    let (req_tx, mut req_rx) = mpsc::channel::<Request>(1024);
    let reader = tokio::task::spawn_blocking(move || read_pending(pending, req_tx));

    let (done_tx, done_rx) = mpsc::channel::<Finished>(concurrency * 2);
    let writer = std::thread::spawn({
        let progress = progress.clone();
        let ordered = opts.ordered;
        move || write_results(done_rx, out, ids, ordered, progress)
    });

    let permits = Arc::new(Semaphore::new(concurrency));
    // The reorder buffer holds at most this many results (early finishers waiting for a slow
    // earlier request); a full window pauses dispatch until the slow one is written.
    let window = opts.ordered.then(|| Arc::new(Semaphore::new((concurrency * 8).max(1024))));
    let budget = opts.budget.as_ref().map(|(max, _)| {
        Arc::new(Mutex::new(Budget {
            max: *max,
            spent: 0.0,
            inflight: 0.0,
            inflight_n: 0,
            out_tokens: 0,
            finished: 0,
        }))
    });
    let settled = Arc::new(Notify::new());
    let mut seq = 0u64;
    let mut not_started = 0u64;
    let mut budget_stopped = false;
    let mut tasks = tokio::task::JoinSet::new();

    let dispatch = async {
        while let Some(req) = req_rx.recv().await {
            let window_permit = match &window {
                Some(w) => Some(w.clone().acquire_owned().await?),
                None => None,
            };
            let permit = permits.clone().acquire_owned().await?;
            let mut estimate = 0.0;
            if let (Some(budget), Some((_, estimator))) = (&budget, &opts.budget) {
                match reserve(budget, estimator.as_ref(), &req, &settled).await {
                    Some(est) => estimate = est,
                    None => {
                        budget_stopped = true;
                        not_started += 1;
                        break;
                    }
                }
            }
            let exec = exec.clone();
            let done_tx = done_tx.clone();
            let budget = budget.clone();
            let settled = settled.clone();
            let this_seq = seq;
            seq += 1;
            tasks.spawn(async move {
                let outcome = exec.execute(&req).await;
                if let Some(budget) = &budget {
                    let mut b = budget.lock().unwrap_or_else(|p| p.into_inner());
                    b.inflight -= estimate;
                    b.inflight_n -= 1;
                    b.spent += outcome.cost_usd.unwrap_or(estimate);
                    if let Some(u) = &outcome.usage {
                        b.out_tokens += u.output_tokens;
                        b.finished += 1;
                    }
                    drop(b);
                    settled.notify_waiters();
                }
                drop(permit);
                let finished =
                    Finished { seq: this_seq, custom_id: req.custom_id, outcome, _window: window_permit };
                // The writer only goes away on a write error, which `run` reports.
                let _ = done_tx.send(finished).await;
            });
            // Reap finished tasks so the set does not grow with the input.
            while tasks.try_join_next().is_some() {}
        }
        // Count what the budget left unsent (the reader keeps streaming; nothing is kept).
        if budget_stopped {
            while req_rx.recv().await.is_some() {
                not_started += 1;
            }
        }
        while tasks.join_next().await.is_some() {}
        anyhow::Ok(())
    };

    let interrupted = tokio::select! {
        r = dispatch => { r?; false }
        () = interrupt => true,
    };
    // Dropping the dispatcher dropped the receiver and every task's sender once they end.
    tasks.abort_all();
    drop(done_tx);
    drop(req_rx);
    let mut stats = tokio::task::spawn_blocking(move || writer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the batch output writer thread panicked"))??;
    // The reader ends on its own once the channel is closed; a read error is reported.
    match reader.await? {
        Ok(()) => {}
        Err(e) if interrupted || budget_stopped => drop(e),
        Err(e) => return Err(e),
    }
    stats.not_started = not_started;
    stats.budget_stopped = budget_stopped;
    stats.interrupted = interrupted;
    Ok(stats)
}

/// Reserve budget for `req`: waits while requests in flight may still free some (their real
/// cost is usually below the estimate); `None` when it cannot fit even with nothing in flight.
async fn reserve(
    budget: &Mutex<Budget>,
    estimator: &dyn CostEstimator,
    req: &Request,
    settled: &Notify,
) -> Option<f64> {
    loop {
        let notified = settled.notified();
        {
            let mut b = budget.lock().unwrap_or_else(|p| p.into_inner());
            let est = estimator.estimate_usd(req, b.assumed_output()).unwrap_or(0.0);
            if b.spent + b.inflight + est <= b.max {
                b.inflight += est;
                b.inflight_n += 1;
                return Some(est);
            }
            if b.inflight_n == 0 {
                return None;
            }
        }
        notified.await;
    }
}

fn read_pending(mut pending: PendingRequests, tx: mpsc::Sender<Request>) -> anyhow::Result<()> {
    while let Some(req) = pending.next_request()? {
        if tx.blocking_send(req).is_err() {
            break; // the dispatcher stopped (budget, interrupt)
        }
    }
    Ok(())
}

fn write_results(
    mut rx: mpsc::Receiver<Finished>,
    mut out: LineWriter,
    ids: Arc<IdGen>,
    ordered: bool,
    progress: ProgressBar,
) -> anyhow::Result<RunStats> {
    let mut stats = RunStats::default();
    let mut reorder: Reorder<Finished> = Reorder::new();
    let mut last_msg = Instant::now();
    while let Some(f) = rx.blocking_recv() {
        let ready = if ordered { reorder.push(f.seq, f) } else { vec![f] };
        for f in ready {
            let Finished { custom_id, outcome, _window, .. } = f;
            count(&mut stats, &outcome);
            out.write(&outcome.into_line(ids.next_id(), custom_id))?;
            progress.inc(1);
            // `_window` drops here: the line is written, the dispatcher may go one further.
        }
        if last_msg.elapsed().as_millis() >= 100 {
            last_msg = Instant::now();
            progress.set_message(progress_message(&stats));
        }
    }
    progress.set_message(progress_message(&stats));
    out.sync()?;
    Ok(stats)
}

fn count(stats: &mut RunStats, o: &Outcome) {
    stats.sent += 1;
    if o.succeeded() {
        stats.succeeded += 1;
    } else {
        stats.failed += 1;
    }
    stats.retries += u64::from(o.retries);
    stats.rate_limited += u64::from(o.rate_limited);
    if let Some(u) = &o.usage {
        stats.input_tokens += u.input_tokens;
        stats.output_tokens += u.output_tokens;
        match o.cost_usd {
            Some(c) => stats.cost_usd += c,
            None => stats.unpriced += 1,
        }
    }
}

fn progress_message(s: &RunStats) -> String {
    let tokens = s.input_tokens + s.output_tokens;
    let tok = if tokens >= 1_000_000 {
        format!("{:.1}M", tokens as f64 / 1e6)
    } else if tokens >= 1_000 {
        format!("{:.1}k", tokens as f64 / 1e3)
    } else {
        tokens.to_string()
    };
    format!("{tok} tok · ${:.4} · {} err · {} retries", s.cost_usd, s.failed, s.retries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::batch::input::{scan, DoneLookup, InputFormat, InputSpec, LineDefaults, LineError};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    struct Nothing;
    impl DoneLookup for Nothing {
        fn succeeded(&self, _: &str) -> bool {
            false
        }
        fn failed(&self, _: &str) -> bool {
            false
        }
    }

    /// Answers after a delay that shrinks with the line number (later lines finish first),
    /// fails ids ending in 7, and tracks the peak concurrency.
    struct Fake {
        inflight: AtomicUsize,
        peak: AtomicUsize,
    }

    impl Executor for Fake {
        async fn execute(&self, req: &Request) -> Outcome {
            let now = self.inflight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_micros(200 * (20 - req.line % 20))).await;
            self.inflight.fetch_sub(1, Ordering::SeqCst);
            let usage = Usage { input_tokens: 10, output_tokens: 5, ..Default::default() };
            if req.custom_id.ends_with('7') {
                Outcome {
                    status: Some(500),
                    body: Some(serde_json::json!({"error":{}})),
                    retries: 2,
                    ..Default::default()
                }
            } else {
                Outcome {
                    status: Some(200),
                    body: Some(serde_json::json!({"id": req.custom_id})),
                    usage: Some(usage),
                    cost_usd: Some(0.01),
                    retries: 1,
                    rate_limited: 1,
                    ..Default::default()
                }
            }
        }
    }

    struct Flat(f64);
    impl CostEstimator for Flat {
        fn estimate_usd(&self, _: &Request, _: u64) -> Option<f64> {
            Some(self.0)
        }
    }

    fn setup(n: usize) -> (tempfile::TempDir, InputSpec, PendingRequests) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        let text: String =
            (0..n).map(|i| format!("{{\"custom_id\":\"r{i}\",\"prompt\":\"p{i}\"}}\n")).collect();
        std::fs::write(&input, text).unwrap();
        let spec = InputSpec {
            path: input,
            format: InputFormat::Jsonl,
            defaults: LineDefaults { model: Some("m".into()), system: None },
            shard: None,
        };
        let mut errors: Vec<LineError> = Vec::new();
        let report = scan(&spec, &Nothing, &mut errors).unwrap();
        let pending = PendingRequests::open(&spec, &report, Arc::new(Nothing)).unwrap();
        (dir, spec, pending)
    }

    fn read_lines(path: &std::path::Path) -> Vec<OutputLine> {
        std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    async fn go(n: usize, opts: RunOptions) -> (RunStats, Vec<OutputLine>, usize) {
        let (dir, _spec, pending) = setup(n);
        let out_path = dir.path().join("out.jsonl");
        let out = LineWriter::append(&out_path).unwrap();
        let fake = Arc::new(Fake { inflight: 0.into(), peak: 0.into() });
        let stats = run(
            fake.clone(),
            pending,
            out,
            Arc::new(IdGen::new()),
            opts,
            ProgressBar::hidden(),
            std::future::pending(),
        )
        .await
        .unwrap();
        (stats, read_lines(&out_path), fake.peak.load(Ordering::SeqCst))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_request_is_written_once_within_the_concurrency_limit() {
        let (stats, lines, peak) = go(300, RunOptions { concurrency: 8, ordered: false, budget: None }).await;
        assert_eq!(lines.len(), 300);
        let mut ids: Vec<_> = lines.iter().map(|l| l.custom_id.clone().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 300);
        assert!((2..=8).contains(&peak), "peak concurrency {peak}");
        assert_eq!(stats.failed, 30);
        assert_eq!(stats.succeeded, 270);
        assert_eq!(stats.retries, 270 + 60);
        assert_eq!(stats.rate_limited, 270);
        assert_eq!((stats.input_tokens, stats.output_tokens), (2700, 1350));
        assert!((stats.cost_usd - 2.70).abs() < 1e-9);
        let failed = lines.iter().find(|l| l.custom_id.as_deref() == Some("r7")).unwrap();
        assert_eq!(failed.response.as_ref().unwrap().status_code, 500);
        assert!(!failed.is_success());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ordered_output_follows_the_input() {
        let (_, lines, _) = go(200, RunOptions { concurrency: 16, ordered: true, budget: None }).await;
        let ids: Vec<_> = lines.iter().map(|l| l.custom_id.clone().unwrap()).collect();
        let expected: Vec<_> = (0..200).map(|i| format!("r{i}")).collect();
        assert_eq!(ids, expected);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn budget_stops_starting_requests() {
        let opts = RunOptions { concurrency: 4, ordered: false, budget: Some((0.105, Arc::new(Flat(0.01)))) };
        let (stats, lines, _) = go(100, opts).await;
        assert!(stats.budget_stopped);
        // Spent + in flight never passes $0.105 at $0.01 each (failed ones count their estimate).
        assert_eq!(lines.len(), 10, "{stats:?}");
        assert_eq!(stats.not_started, 90);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn interrupt_abandons_in_flight_work_cleanly() {
        let (dir, _spec, pending) = setup(1000);
        let out_path = dir.path().join("out.jsonl");
        let stats = run(
            Arc::new(Fake { inflight: 0.into(), peak: 0.into() }),
            pending,
            LineWriter::append(&out_path).unwrap(),
            Arc::new(IdGen::new()),
            RunOptions { concurrency: 4, ordered: false, budget: None },
            ProgressBar::hidden(),
            tokio::time::sleep(Duration::from_millis(20)),
        )
        .await
        .unwrap();
        assert!(stats.interrupted);
        let lines = read_lines(&out_path);
        assert_eq!(lines.len() as u64, stats.sent);
        assert!(lines.len() < 1000);
    }

    #[test]
    fn outcomes_without_a_response_become_error_lines() {
        let o = Outcome {
            error: Some(ErrorPart { code: "timeout".into(), message: "after 60s".into() }),
            ..Default::default()
        };
        let line = o.into_line("llmkit_1".into(), "c".into());
        assert!(line.response.is_none());
        assert_eq!(line.error.unwrap().code, "timeout");
        let ok = Outcome { status: Some(200), body: Some(serde_json::json!({})), ..Default::default() };
        let line = ok.into_line("llmkit_2".into(), "c".into());
        assert_eq!(line.response.unwrap().request_id, "llmkit_2");
        assert!(line.error.is_none());
    }
}
