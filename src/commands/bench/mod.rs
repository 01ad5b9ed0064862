//! `llmkit bench`: load-test an LLM endpoint and report TTFT, TPOT, ITL, E2E, throughput and
//! errors, per load level; `llmkit bench report` merges record files from several runs.
//!
//! The pieces, from the clock to the page: `schedule` (when requests are due), `workload`
//! (what they carry), `runner` (send them, collect records), `record` (one request, the
//! `--out` line), `metrics` (records -> numbers), `report` (numbers -> table/JSON/CSV).

pub mod direct;
pub mod live;
pub mod metrics;
pub mod options;
pub mod record;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod target;
pub mod workload;

use std::io::Write;
use std::sync::Arc;

use crate::error::{Error, ExitStatus};
use crate::output::Printer;
use crate::tokenize::Encoding;
use metrics::{Gates, LevelStats};
use record::ErrorClass;
use runner::{Ending, LevelOutcome, Pacing, RunContext, Target};
use workload::Workload;

pub use options::{BenchSettings, ReportSettings};

/// `bench report FILE...`: merge record files and report them like one run.
pub fn report(settings: ReportSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let ReportSettings { files, gates, format } = settings;
    let levels = report::read_records(&files, gates.slo.as_ref())?;
    let summaries: Vec<_> = levels.iter().map(|l| l.summary(gates.slo.as_ref())).collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    report::write(&mut out, format, &summaries, printer.stdout_tty)?;
    out.flush()?;
    Ok(gate_status(&gates, &levels, &printer))
}

/// Exit 1 (with one warning per breach) when a gate failed.
fn gate_status(gates: &Gates, levels: &[LevelStats], printer: &Printer) -> ExitStatus {
    let breaches: Vec<String> = levels.iter().flat_map(|l| gates.breaches(l)).collect();
    for b in &breaches {
        printer.warn(b);
    }
    if breaches.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Partial
    }
}

/// The error for a run where nothing succeeded, classified like the first failure so the exit
/// code says what went wrong (3 auth, 4 rejected, 5 unavailable).
fn nothing_succeeded(stats: &LevelStats) -> anyhow::Error {
    let Some((_, _, class, status, message)) = &stats.first_error else {
        return Error::Unavailable("no request completed".into()).into();
    };
    let message = format!("no request succeeded ({} failed); first error: {message}", stats.errors);
    let err = match class {
        ErrorClass::Config => Error::Usage(message),
        ErrorClass::Auth => Error::Auth { status: status.unwrap_or(0), message },
        ErrorClass::Rejected => Error::Rejected { status: status.unwrap_or(0), message },
        _ => Error::Unavailable(message),
    };
    err.into()
}

/// The encoding that counts prompts and (without server usage) output for this model.
pub fn encoding_for(model: Option<&str>) -> Encoding {
    crate::tokenize::encoding_for_model_or_default(model).0
}

/// Build the workload the settings describe.
pub fn build_workload(settings: &BenchSettings, encoding: Encoding) -> anyhow::Result<Workload> {
    match &settings.workload {
        options::WorkloadSpec::Synthetic { prompt_tokens, stddev, max_tokens } => {
            let needed: u64 = settings
                .plans
                .iter()
                .map(|p| p.warmup + p.requests.unwrap_or(workload::MAX_POOL as u64))
                .sum();
            workload::Synthetic {
                prompt_tokens: *prompt_tokens,
                stddev: *stddev,
                max_tokens: Some(*max_tokens),
                seed: settings.seed,
                count: needed.min(workload::MAX_POOL as u64) as usize,
            }
            .build(encoding)
        }
        options::WorkloadSpec::Dataset { path, max_tokens } => {
            workload::load_dataset(path, encoding, *max_tokens)
        }
    }
}

/// Run the levels against `target`, write records and the report, and decide the exit
/// status. Shared by real endpoints and the embedded mock.
pub async fn execute<T: Target>(
    settings: &BenchSettings,
    target: Arc<T>,
    workload: Workload,
    encoding: Encoding,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let mut out = match &settings.out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Error::usage(format!("cannot write --out {}: {e}", path.display())))?,
        )),
        None => None,
    };
    let unix_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let ctx = RunContext {
        target,
        workload: Arc::new(workload),
        encoding,
        gates: settings.gates.clone(),
        slo: settings.gates.slo.clone(),
        anchor: (tokio::time::Instant::now(), unix_now),
        pacing: Pacing::Thread,
        handle_interrupt: true,
    };
    let mut live = live::Live::new(&printer, settings.no_progress);
    let mut current = String::new();
    let requests_of = |level: &str| settings.plans.iter().find(|p| p.label == level).and_then(|p| p.requests);
    let mut on_record = |r: &record::BenchRecord, stats: &LevelStats| -> anyhow::Result<()> {
        if let Some(w) = out.as_mut() {
            serde_json::to_writer(&mut *w, r)?;
            w.write_all(b"\n")?;
        }
        if !r.warmup {
            if current != r.level {
                current.clone_from(&r.level);
                live.start_level(&printer, settings.no_progress, &r.level, requests_of(&r.level));
            }
            live.update(stats);
        }
        Ok(())
    };
    let outcomes = runner::run(&ctx, &settings.plans, &mut on_record).await;
    live.finish();
    let outcomes = outcomes?;
    if let Some(mut w) = out {
        w.flush().map_err(|e| anyhow::anyhow!("writing --out: {e}"))?;
    }
    finish(settings, outcomes, &printer)
}

/// Print the report and turn the outcomes into an exit status.
fn finish(
    settings: &BenchSettings,
    outcomes: Vec<LevelOutcome>,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let gates = &settings.gates;
    let endings: Vec<Ending> = outcomes.iter().map(|o| o.ending.clone()).collect();
    let levels: Vec<LevelStats> = outcomes.into_iter().map(|o| o.stats).filter(|s| s.requests > 0).collect();
    if !levels.is_empty() {
        let summaries: Vec<_> = levels.iter().map(|l| l.summary(gates.slo.as_ref())).collect();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        report::write(&mut out, settings.format, &summaries, printer.stdout_tty)?;
        out.flush()?;
    }
    if endings.contains(&Ending::Interrupted) {
        printer.warn("interrupted: the report covers the requests that finished");
        return Ok(ExitStatus::Interrupted);
    }
    if let Some(dead) = levels.iter().find(|l| l.succeeded == 0) {
        return Err(nothing_succeeded(dead));
    }
    if endings.contains(&Ending::NothingWorks) {
        // The warmup failed before any measured request: nothing to report.
        return Err(Error::Unavailable(format!(
            "the first {} requests (warmup) all failed; stopped",
            runner::FAIL_FAST_AFTER
        ))
        .into());
    }
    if endings.contains(&Ending::ErrorLimit) {
        printer.warn("stopped early: an error limit was exceeded");
    }
    let status = gate_status(gates, &levels, printer);
    if endings.contains(&Ending::ErrorLimit) {
        return Ok(ExitStatus::Partial);
    }
    Ok(status)
}

/// `bench`: run the levels against the configured endpoint (or the embedded mock).
pub fn run(settings: BenchSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let model = settings.engine.primary().model.clone();
    let encoding =
        encoding_for(model.as_deref().or(settings.mock.as_ref().map(|_| crate::engine::MOCK_MODEL)));
    // Prompts are built (and a dataset read) before any connection is made.
    let workload = build_workload(&settings, encoding)?;
    let mock = match &settings.mock {
        Some(knobs) => Some(mock_config(knobs, &settings)?),
        None => None,
    };
    let options = crate::engine::EngineOptions {
        command: "bench",
        ledger: crate::engine::LedgerMode::Off,
        printer,
        retry: None,
        breaker: target::breaker_never_opens(),
        mock,
        adaptive: false,
    };
    crate::runtime()?.block_on(async {
        let engine = crate::engine::Engine::new(settings.engine.clone(), options).await?;
        let target = target::EngineTarget::new(engine, &workload)?;
        let target = Arc::new(if settings.no_direct { target } else { target.with_direct().await });
        // The collector runs on the runtime's workers, not on this thread: handing each
        // record to a parked thread costs a futex wake-up per request, which at tens of
        // thousands of requests per second is a large share of the generator's CPU.
        tokio::spawn(async move { execute(&settings, target, workload, encoding, printer).await })
            .await
            .map_err(|e| anyhow::anyhow!("the benchmark task failed: {e}"))?
    })
}

/// The embedded server for `--mock`: the knobs given, and replies as long as the requests
/// allow (`--max-tokens`), so N is what was asked for.
fn mock_config(
    knobs: &options::MockKnobs,
    settings: &BenchSettings,
) -> anyhow::Result<crate::mock::MockConfig> {
    let reply = match &settings.workload {
        options::WorkloadSpec::Synthetic { max_tokens, .. } => Some(*max_tokens),
        options::WorkloadSpec::Dataset { max_tokens, .. } => *max_tokens,
    }
    .unwrap_or(options::DEFAULT_MAX_TOKENS);
    let args = crate::cli::MockArgs {
        seed: settings.seed,
        reply_tokens: reply.clamp(1, u64::from(crate::mock::MAX_REPLY_TOKENS)) as u32,
        ttft: knobs.ttft,
        itl: knobs.itl,
        jitter: knobs.jitter,
        fail_rate: knobs.fail_rate,
        ..crate::cli::MockArgs::default()
    };
    crate::mock::MockConfig::from_args(&args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code_for;

    fn failed(class: ErrorClass, status: Option<u16>) -> LevelStats {
        let mut s = LevelStats::new("x");
        let mut r = record::sample(&[], 0);
        r.error = Some(class);
        r.status = status;
        r.message = Some("the server's words".into());
        s.add(&r, None);
        s
    }

    #[test]
    fn a_dead_level_exits_with_the_class_of_its_first_failure() {
        for (class, status, code) in [
            (ErrorClass::Auth, Some(401), 3),
            (ErrorClass::Rejected, Some(404), 4),
            (ErrorClass::Connect, None, 5),
            (ErrorClass::Protocol, Some(200), 5),
            (ErrorClass::Server, Some(503), 5),
            (ErrorClass::Config, None, 2),
        ] {
            let err = nothing_succeeded(&failed(class, status));
            assert_eq!(exit_code_for(&err), code, "{class:?}");
            assert!(err.to_string().contains("the server's words"), "{err}");
        }
    }

    #[test]
    fn gates_decide_between_0_and_1() {
        let s = failed(ErrorClass::Server, Some(500));
        let p = Printer::silent();
        assert_eq!(gate_status(&Gates::default(), std::slice::from_ref(&s), &p), ExitStatus::Success);
        let gates = Gates { max_errors: Some(0), ..Gates::default() };
        assert_eq!(gate_status(&gates, &[s], &p), ExitStatus::Partial);
    }
}
