//! A local run from start to end: lock and repair the output, validate the input, send what is
//! left through an [`Executor`], and summarize. The engine-backed executor is plugged in by
//! `mod.rs`; everything here works with any executor, which is how it is tested.

use std::sync::Arc;
use std::time::Instant;

use super::input::{self, InputSpec, PendingRequests, ScanReport};
use super::output::{ErrorsFile, IdGen, LineWriter, ERRORS_SHOWN};
use super::resume::{self, Existing, OutputLock};
use super::runner::{self, CostEstimator, Executor, RunOptions, RunStats};
use super::summary::Summary;
use super::BatchSettings;
use crate::error::{Error, ExitStatus};
use crate::output::Printer;

/// The state after validation, before any request.
pub struct Prepared {
    pub spec: InputSpec,
    pub existing: Arc<Existing>,
    pub report: ScanReport,
    pub ids: Arc<IdGen>,
    /// Held until the run ends (None for a dry run, which writes nothing).
    pub lock: Option<OutputLock>,
}

/// Lock and repair the output, then validate the whole input (streaming). Nothing is sent.
pub fn prepare(s: &BatchSettings, printer: &Printer) -> anyhow::Result<Prepared> {
    let Some(path) = &s.input else {
        return Err(
            Error::usage("an INPUT file is required (or --remote-id to attach to a remote job)").into()
        );
    };
    let spec =
        InputSpec { path: path.clone(), format: s.format, defaults: s.defaults.clone(), shard: s.shard };
    let ids = Arc::new(IdGen::new());
    let (lock, existing) = if s.dry_run {
        (None, resume::inspect(&s.output, s.retry_failed)?)
    } else {
        let lock = resume::lock(&s.output)?;
        (Some(lock), resume::prepare(&s.output, s.retry_failed)?)
    };
    report_repairs(&existing, s, printer);
    let mut errors = ErrorsFile::new(&s.errors, ids.clone(), !s.dry_run);
    errors.reset()?;
    let report = input::scan(&spec, &existing, &mut errors)?;
    if report.invalid > 0 {
        for e in &errors.first {
            printer.warn(format!("{}:{}: {}", spec.path.display(), e.line, e.reason));
        }
        let more = report.invalid.saturating_sub(ERRORS_SHOWN as u64);
        let where_ = if s.dry_run { String::new() } else { format!(" (all in {})", s.errors.display()) };
        if more > 0 {
            printer.warn(format!("... and {more} more invalid lines{where_}"));
        } else if !s.dry_run {
            printer.info(format!("invalid lines written to {}", s.errors.display()));
        }
    }
    if report.valid == 0 && report.invalid == 0 {
        printer.warn(format!("{} has no requests{}", spec.path.display(), shard_note(s)));
    }
    Ok(Prepared { spec, existing: Arc::new(existing), report, ids, lock })
}

fn shard_note(s: &BatchSettings) -> String {
    s.shard.map(|sh| format!(" in shard {}/{}", sh.k, sh.n)).unwrap_or_default()
}

fn report_repairs(e: &Existing, s: &BatchSettings, printer: &Printer) {
    let out = s.output.display();
    if e.torn_bytes > 0 {
        printer
            .warn(format!("{out}: cut a torn last line ({} bytes) left by an interrupted run", e.torn_bytes));
    }
    if e.dropped_bad > 0 {
        printer.warn(format!("{out}: removed {} unreadable lines", e.dropped_bad));
    }
    if e.dropped_repeats > 0 {
        printer
            .warn(format!("{out}: removed {} extra lines for ids that had one already", e.dropped_repeats));
    }
    if e.dropped_failed > 0 {
        printer.info(format!("{out}: {} failed requests will be retried", e.dropped_failed));
    }
}

/// Send what is pending and summarize.
pub async fn send<E: Executor>(
    s: &BatchSettings,
    prepared: Prepared,
    exec: Arc<E>,
    estimator: Option<Arc<dyn CostEstimator>>,
    printer: &Printer,
    started: Instant,
) -> anyhow::Result<(Summary, ExitStatus)> {
    let Prepared { spec, existing, report, ids, lock } = prepared;
    let stats = if report.to_run == 0 {
        RunStats::default()
    } else {
        let done: Arc<dyn input::DoneLookup + Send + Sync> = existing.clone();
        let pending = PendingRequests::open(&spec, &report, done)?;
        let out = LineWriter::append(&s.output)?;
        let progress = crate::output::progress::bar(
            printer,
            s.no_progress,
            Some(report.to_run),
            "{bar:30} {pos}/{len} {per_sec} · {msg} · ETA {eta}",
        );
        let budget = match (s.max_cost, estimator) {
            (Some(max), Some(est)) => Some((max, est)),
            _ => None,
        };
        let opts = RunOptions { concurrency: s.concurrency, ordered: s.ordered, budget };
        let interrupt = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let stats = runner::run(exec, pending, out, ids, opts, progress.clone(), interrupt).await?;
        progress.finish_and_clear();
        stats
    };
    drop(lock);
    let summary = summarize(&report, &stats, started);
    let status = if stats.interrupted {
        printer.warn(format!("interrupted: re-run the same command to resume ({} done)", stats.sent));
        ExitStatus::Interrupted
    } else {
        if stats.budget_stopped {
            printer.warn(format!(
                "--max-cost reached: {} requests not started; re-run (with a higher --max-cost) to resume",
                stats.not_started
            ));
        }
        summary.exit_status()
    };
    Ok((summary, status))
}

/// The run's counters as the report shows them.
pub fn summarize(report: &ScanReport, stats: &RunStats, started: Instant) -> Summary {
    let wall_s = started.elapsed().as_secs_f64();
    Summary {
        total: report.valid,
        succeeded: stats.succeeded,
        failed: stats.failed,
        skipped: report.done + report.prev_failed,
        retries: stats.retries,
        rate_limited: stats.rate_limited,
        input_tokens: stats.input_tokens,
        output_tokens: stats.output_tokens,
        cost_usd: (stats.unpriced == 0 || stats.cost_usd > 0.0).then_some(stats.cost_usd),
        wall_s,
        invalid: report.invalid,
        previously_failed: report.prev_failed,
        not_started: stats.not_started,
        budget_stopped: stats.budget_stopped,
        request_rate: if wall_s > 0.0 { stats.sent as f64 / wall_s } else { 0.0 },
        unpriced_requests: stats.unpriced,
    }
}
