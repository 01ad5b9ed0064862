//! `llmkit replay`: re-send recorded traffic, with its timing, to another endpoint or model,
//! and compare the two runs.
//!
//! The pieces are kept apart so each is testable on its own: [`input`] reads recordings,
//! batch files and traces; [`plan`] turns them into requests with due times; [`schedule`]
//! sends them open-loop; [`compare`] builds the old-vs-new report and decides the gates;
//! [`normalize`] says when two requests are the same (shared with `serve --replay`);
//! [`synth`] writes prompts of exact token lengths for traces.

pub mod compare;
pub mod input;
pub mod normalize;
pub mod plan;
pub mod schedule;
pub mod synth;
pub mod target;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::{Format, ReplayArgs, ReplayInputFormat, ReplayMockArgs};
use crate::commands::bench::metrics::LatencySummary;
use crate::error::{Error, ExitStatus};
use crate::output::Printer;
use compare::{Comparison, Gates, Pricer, Report, RequestResult, Verdict};
use input::{BadLine, InputFormat};
use plan::{Filter, Pace, Plan, PlanOptions, SetField};
use schedule::{Stop, Target};

/// Validated settings of one replay (everything but the engine's).
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The input file; `-` reads stdin.
    pub input: PathBuf,
    /// Forced input format; `None` detects it.
    pub input_format: Option<InputFormat>,
    pub plan: PlanOptions,
    pub gates: Gates,
    pub diff: bool,
    pub format: Format,
    pub no_progress: bool,
}

impl ReplayOptions {
    /// The replay flags, validated. `default_model` is the engine profile's model (used for
    /// traces and bodies without one); `-m` (flag or `LLMKIT_MODEL`) replaces every model.
    pub fn resolve(args: &ReplayArgs, default_model: Option<String>) -> anyhow::Result<Self> {
        let ReplayArgs {
            input,
            input_format,
            speed,
            fast,
            limit,
            filter,
            set,
            diff,
            fail_on_change,
            fail_on_cost_increase,
            prices: _,
            mock_knobs: _,
            engine,
            output,
        } = args;
        let input_format = input_format.map(|f| match f {
            ReplayInputFormat::Recording => InputFormat::Recording,
            ReplayInputFormat::Batch => InputFormat::Batch,
            ReplayInputFormat::Azure => InputFormat::Azure,
            ReplayInputFormat::Mooncake => InputFormat::Mooncake,
        });
        let gates =
            Gates { fail_on_change: *fail_on_change, fail_on_cost_increase_pct: *fail_on_cost_increase };
        Self::new(
            input.clone(),
            input_format,
            *speed,
            *fast,
            *limit,
            filter,
            set,
            engine.model.clone(),
            default_model,
            gates,
            *diff,
            output.format,
            output.no_progress,
        )
    }

    /// Validate the replay flags. `default_model` is the engine profile's model.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        input: PathBuf,
        input_format: Option<InputFormat>,
        speed: f64,
        fast: bool,
        limit: Option<usize>,
        filters: &[String],
        set: &[String],
        model_override: Option<String>,
        default_model: Option<String>,
        gates: Gates,
        diff: bool,
        format: Format,
        no_progress: bool,
    ) -> anyhow::Result<Self> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(Error::usage(format!("--speed must be a positive number, got {speed}")).into());
        }
        if limit == Some(0) {
            return Err(Error::usage("--limit must be at least 1").into());
        }
        if let Some(p) = gates.fail_on_cost_increase_pct {
            if !(p.is_finite() && p >= 0.0) {
                return Err(Error::usage(format!(
                    "--fail-on-cost-increase must be a percentage >= 0, got {p}"
                ))
                .into());
            }
        }
        let filters =
            filters.iter().map(|f| Filter::parse(f)).collect::<Result<Vec<_>, _>>().map_err(Error::Usage)?;
        let set =
            set.iter().map(|s| SetField::parse(s)).collect::<Result<Vec<_>, _>>().map_err(Error::Usage)?;
        Ok(ReplayOptions {
            input,
            input_format,
            plan: PlanOptions {
                filters,
                limit,
                pace: if fast { Pace::Fast } else { Pace::Speed(speed) },
                model_override,
                default_model,
                set,
            },
            gates,
            diff,
            format,
            no_progress,
        })
    }
}

/// Everything `replay` needs, validated before any I/O.
#[derive(Debug, Clone)]
pub struct ReplaySettings {
    pub options: ReplayOptions,
    pub engine: crate::settings::EngineSettings,
    /// Knobs of the embedded server for `--mock` runs.
    pub mock: Option<crate::mock::MockConfig>,
    /// `--prices` / `LLMKIT_PRICES`.
    pub prices: Option<PathBuf>,
}

impl ReplaySettings {
    pub fn resolve(args: &ReplayArgs, config: &crate::config::Config) -> anyhow::Result<Self> {
        let engine = crate::settings::EngineSettings::resolve(&args.engine, config)?;
        let default_model = engine.primary().model.clone();
        let options = ReplayOptions::resolve(args, default_model)?;
        let ReplayMockArgs { mock_seed, mock_reply_tokens, mock_ttft, mock_itl } = &args.mock_knobs;
        let mock = if engine.mock {
            let mut m = crate::mock::MockConfig::default();
            if let Some(seed) = mock_seed {
                m.seed = *seed;
            }
            if let Some(n) = mock_reply_tokens {
                if *n == 0 || *n > crate::mock::MAX_REPLY_TOKENS {
                    return Err(Error::usage(format!(
                        "--mock-reply-tokens must be between 1 and {}",
                        crate::mock::MAX_REPLY_TOKENS
                    ))
                    .into());
                }
                m.reply_tokens = *n;
            }
            if let Some(d) = mock_ttft {
                m.ttft = *d;
            }
            if let Some(d) = mock_itl {
                m.itl = *d;
            }
            Some(m)
        } else {
            None
        };
        Ok(ReplaySettings { options, engine, mock, prices: args.prices.clone() })
    }
}

/// `llmkit replay`: read, plan, send on schedule through the engine, compare, print.
pub fn run(settings: ReplaySettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let ReplaySettings { options, engine, mock, prices } = settings;
    let (format, plan) = load_plan(&options, &printer)?;
    warn_bad_lines(&printer, &options.input, &plan.bad_lines);
    if plan.requests.is_empty() {
        return Err(Error::usage(format!(
            "{}: nothing to replay ({} bad lines, {} filtered out)",
            options.input.display(),
            plan.bad_lines.len(),
            plan.filtered_out
        ))
        .into());
    }
    let table = crate::pricing::PriceTable::load(prices.as_deref())?;
    let total = plan.requests.len() as u64;
    let span_s = plan.requests.iter().map(|r| r.due_ms).fold(0.0, f64::max) / 1000.0;
    printer.info(format!(
        "replaying {total} requests from {} ({}) over {span_s:.1} s",
        options.input.display(),
        format.name()
    ));
    let bad = plan.bad_lines.clone();
    let filtered_out = plan.filtered_out;
    let rt = crate::runtime()?;
    let parts = rt.block_on(async {
        let engine = crate::engine::Engine::new(
            engine,
            crate::engine::EngineOptions {
                command: "replay",
                ledger: crate::engine::LedgerMode::Auto,
                printer,
                mock,
                ..crate::engine::EngineOptions::default()
            },
        )
        .await?;
        let bar = crate::output::progress::bar(
            &printer,
            options.no_progress,
            Some(total),
            "{spinner} replay [{bar:30}] {pos}/{len} {elapsed_precise}",
        );
        let stop = async {
            // Without a signal handler Ctrl-C kills the process; with one, the report of what
            // was sent so far is still printed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let target = Arc::new(target::EngineTarget { engine: engine.clone() });
        // `--format jsonl`: one line per request as it completes (a long replay shows results
        // as they come, and a consumer can stream them), the summary line at the end.
        let jsonl = options.format == Format::Jsonl;
        let mut lines_failed = None;
        let parts = execute(plan, target, &table, options.diff, stop, |result| {
            bar.inc(1);
            if jsonl && lines_failed.is_none() {
                if let Err(e) = write_result_line(&mut std::io::stdout().lock(), result) {
                    lines_failed = Some(e);
                }
            }
        })
        .await;
        if let Some(e) = lines_failed {
            return Err(anyhow::Error::new(e).context("cannot write to stdout"));
        }
        bar.finish_and_clear();
        engine.flush().await;
        anyhow::Ok(parts)
    })?;
    let report = assemble(&options, format, bad, filtered_out, parts);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_report(&mut out, &report, options.format, printer.stdout_tty)?;
    out.flush()?;
    exit_status(&report, &options.gates, &printer)
}

/// Read the input and build the plan. Bad lines are kept in the plan for the report.
pub fn load_plan(opts: &ReplayOptions, printer: &Printer) -> anyhow::Result<(InputFormat, Plan)> {
    let name = opts.input.to_string_lossy().to_string();
    let reader: Box<dyn std::io::BufRead> = if name == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(&opts.input)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", opts.input.display())))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let file_name = opts.input.file_name().map(|n| n.to_string_lossy().to_string());
    let (format, items) = input::open(reader, file_name.as_deref(), opts.input_format)
        .map_err(|e| Error::usage(format!("{}: {e}", opts.input.display())))?;
    let model_for_tokens = opts.plan.model_override.clone().or_else(|| opts.plan.default_model.clone());
    let plan = plan::build(items, &opts.plan, || {
        let (enc, exact) = crate::tokenize::encoding_for_model_or_default(model_for_tokens.as_deref());
        if !exact {
            printer.warn(format!(
                "no local tokenizer for `{}`: synthesized prompt lengths are counted in {}",
                model_for_tokens.as_deref().unwrap_or(""),
                enc.name()
            ));
        }
        synth::Synthesizer::new(enc, chat_overhead(enc))
    })?;
    Ok((format, plan))
}

/// Prompt tokens a one-message chat request costs beyond its content (per-message tokens,
/// the role, the reply primer), counted the way the server counts prompts.
fn chat_overhead(enc: crate::tokenize::Encoding) -> u64 {
    let empty = serde_json::json!({"messages": [{"role": "user", "content": ""}]});
    crate::tokenize::count_chat_request(enc, &empty).prompt_tokens
}

/// Print the bad input lines (always: they are data that was not replayed).
pub fn warn_bad_lines(printer: &Printer, input: &Path, bad: &[BadLine]) {
    const SHOWN: usize = 20;
    for b in bad.iter().take(SHOWN) {
        printer.warn(format!("{}: {b} (skipped)", input.display()));
    }
    if bad.len() > SHOWN {
        printer.warn(format!("{}: {} more bad lines skipped", input.display(), bad.len() - SHOWN));
    }
}

/// What a finished replay hands to the printer.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub input: String,
    pub input_format: &'static str,
    /// `1`, `10`, ... or `"fast"`.
    pub speed: serde_json::Value,
    #[serde(flatten)]
    pub report: Report,
    pub filtered_out: usize,
    pub skipped_lines: Vec<SkippedLine>,
    /// How late requests left relative to their due time (the scheduler's own error).
    pub schedule_lag_ms: LatencySummary,
    pub wall_s: f64,
    /// The replay was stopped by Ctrl-C before every request was sent.
    pub interrupted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedLine {
    pub line: usize,
    pub message: String,
}

/// One `--format jsonl` line, flushed at once.
pub fn write_result_line(out: &mut dyn Write, result: &RequestResult) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(result).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

/// The last `--format jsonl` line: the whole report, tagged.
#[derive(Serialize)]
struct SummaryLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    report: &'a ReplayReport,
}

/// Send the plan to `target` on its schedule and build the report. `progress` is called once
/// per reply with its result line; `stop` ends sending early (Ctrl-C).
pub async fn execute<T: Target>(
    plan: Plan,
    target: Arc<T>,
    pricer: &dyn Pricer,
    with_diff: bool,
    stop: impl std::future::Future<Output = ()>,
    mut progress: impl FnMut(&RequestResult),
) -> (Report, LatencySummary, f64, Stop) {
    let started = Instant::now();
    let mut cmp = Comparison::new(pricer, with_diff);
    let mut lag = LagStats::default();
    let stopped = schedule::run(plan.requests, target, stop, |done| {
        lag.record(done.lag);
        let result = cmp.add(&done.request, &done.outcome);
        progress(&result);
    })
    .await;
    (cmp.finish(), lag.summary(), started.elapsed().as_secs_f64(), stopped)
}

/// Scheduler lag distribution (microsecond resolution).
#[derive(Default)]
struct LagStats {
    samples_us: Vec<u64>,
}

impl LagStats {
    fn record(&mut self, d: Duration) {
        self.samples_us.push(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    fn summary(&self) -> LatencySummary {
        let mut v = self.samples_us.clone();
        if v.is_empty() {
            return LatencySummary::default();
        }
        v.sort_unstable();
        let ms = |us: u64| us as f64 / 1000.0;
        // Nearest-rank percentiles: exact, and there are at most as many samples as requests.
        let q = |q: f64| {
            let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
            Some(ms(v[rank - 1]))
        };
        LatencySummary {
            count: v.len() as u64,
            mean: Some(v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64 / 1000.0),
            min: Some(ms(v[0])),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p99_9: q(0.999),
            max: Some(ms(v[v.len() - 1])),
        }
    }
}

/// Write the report to `out` in the chosen format.
pub fn write_report(
    out: &mut dyn Write,
    r: &ReplayReport,
    format: Format,
    pretty: bool,
) -> anyhow::Result<()> {
    if format == Format::Jsonl {
        // The request lines went out as the replies came (`run`); this closes the stream.
        crate::output::write_json(out, &SummaryLine { kind: "summary", report: r }, false)?;
        return Ok(());
    }
    let rows = compare::rows(&r.report);
    crate::output::write_report(out, format, &compare::HEADERS, &rows, r, pretty)?;
    if format == Format::Table {
        let diffs = compare::diff_section(&r.report);
        if !diffs.is_empty() {
            out.write_all(b"\n")?;
            out.write_all(diffs.as_bytes())?;
        }
    }
    Ok(())
}

/// The exit status after the report is printed: the gates first (exit 1, or 2 when a gate
/// cannot be evaluated), then failures of the replayed requests (exit 1 when some failed;
/// when every request failed, the failure class of the first: 3, 4 or 5).
pub fn exit_status(r: &ReplayReport, gates: &Gates, printer: &Printer) -> anyhow::Result<ExitStatus> {
    if r.interrupted {
        return Ok(ExitStatus::Interrupted);
    }
    match gates.check(&r.report) {
        Verdict::Pass => {}
        Verdict::Fail(reasons) => {
            for reason in reasons {
                printer.warn(format!("gate: {reason}"));
            }
            return Ok(ExitStatus::Partial);
        }
        Verdict::Undecidable(msg) => return Err(Error::usage(msg).into()),
    }
    let new = &r.report.new;
    if new.requests > 0 && new.succeeded == 0 {
        if let Some(f) = &r.report.first_failure {
            return Err(failure_class(f).into());
        }
    }
    if new.errors > 0 {
        printer.warn(format!("{} of {} replayed requests failed", new.errors, new.requests));
        return Ok(ExitStatus::Partial);
    }
    Ok(ExitStatus::Success)
}

/// The error class of a failed request: its own exit code when the engine classified it,
/// else from its HTTP status (DESIGN.md exit codes).
fn failure_class(f: &compare::FirstFailure) -> Error {
    let message = f.error.clone().unwrap_or_else(|| "request failed".to_string());
    let status = f.status.unwrap_or(0);
    match (f.exit_code, f.status) {
        (Some(2), _) => Error::Usage(message),
        (Some(3), _) | (None, Some(401 | 403)) => Error::Auth { status, message },
        (Some(4), _) => Error::Rejected { status, message },
        (None, Some(s)) if (400..500).contains(&s) && !matches!(s, 408 | 409 | 429) => {
            Error::Rejected { status, message }
        }
        _ => Error::Unavailable(message),
    }
}

/// `ReplayReport` from the parts.
pub fn assemble(
    opts: &ReplayOptions,
    format: InputFormat,
    plan_bad: Vec<BadLine>,
    filtered_out: usize,
    parts: (Report, LatencySummary, f64, Stop),
) -> ReplayReport {
    let (report, schedule_lag_ms, wall_s, stop) = parts;
    ReplayReport {
        input: opts.input.display().to_string(),
        input_format: format.name(),
        speed: match opts.plan.pace {
            Pace::Fast => serde_json::Value::String("fast".into()),
            Pace::Speed(s) => serde_json::json!(s),
        },
        report,
        filtered_out,
        skipped_lines: plan_bad
            .into_iter()
            .map(|b| SkippedLine { line: b.line, message: b.message })
            .collect(),
        schedule_lag_ms,
        wall_s,
        interrupted: stop == Stop::Interrupted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Usage;
    use compare::{NoPrices, Outcome};
    use plan::Planned;

    /// A target that answers like a different model: the same text for even requests, a
    /// changed one for odd requests, failures where asked.
    struct FakeModel {
        fail_every: Option<usize>,
        status: u16,
    }

    impl Target for FakeModel {
        async fn send(&self, p: &Planned, _scheduled: std::time::Instant) -> Outcome {
            if self.fail_every.is_some_and(|n| p.index % n == 0) {
                return Outcome {
                    ok: false,
                    status: Some(self.status),
                    error: Some(format!("HTTP {}", self.status)),
                    ..Outcome::default()
                };
            }
            let recorded =
                p.recorded.as_ref().and_then(|r| r.response.as_ref()).and_then(compare::output_text);
            let text = match (recorded, p.index % 2) {
                (Some(t), 0) => t,
                (Some(t), _) => format!("{t} changed"),
                (None, _) => "fresh".into(),
            };
            Outcome {
                ok: true,
                status: Some(200),
                latency_ms: Some(5.0),
                ttft_ms: Some(1.0),
                usage: Some(Usage { input_tokens: 10, output_tokens: 3, ..Usage::default() }),
                cost_usd: Some(0.002),
                model: Some("new".into()),
                output: Some(text),
                error: None,
                batch: false,
                exit_code: None,
            }
        }
    }

    fn recording(n: usize) -> String {
        (0..n)
            .map(|i| {
                serde_json::json!({
                    "ts": "2026-01-01T00:00:00Z", "offset_ms": i as f64 * 10.0, "provider": "openai",
                    "url": "u", "model": "old", "status": 200, "cost_usd": 0.001, "latency_ms": 9.0,
                    "usage": {"input_tokens": 10, "output_tokens": 2},
                    "request": {"model": "old", "messages": [{"role": "user", "content": format!("q{i}")}]},
                    "response": {"choices": [{"message": {"role": "assistant", "content": format!("answer {i}")}}]}
                })
                .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn options(path: &Path, gates: Gates) -> ReplayOptions {
        ReplayOptions::new(
            path.to_path_buf(),
            None,
            1000.0,
            false,
            None,
            &[],
            &[],
            Some("new".into()),
            None,
            gates,
            true,
            Format::Json,
            true,
        )
        .unwrap()
    }

    async fn replay(
        text: &str,
        gates: Gates,
        target: FakeModel,
    ) -> (ReplayReport, anyhow::Result<ExitStatus>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.jsonl");
        std::fs::write(&path, text).unwrap();
        let opts = options(&path, gates);
        let (format, plan) = load_plan(&opts, &Printer::silent()).unwrap();
        for r in &plan.requests {
            assert_eq!(r.body["model"], "new", "-m rewrites every body");
        }
        let bad = plan.bad_lines.clone();
        let filtered = plan.filtered_out;
        let parts = execute(plan, Arc::new(target), &NoPrices, true, std::future::pending(), |_| {}).await;
        let report = assemble(&opts, format, bad, filtered, parts);
        let status = exit_status(&report, &opts.gates, &Printer::silent());
        (report, status)
    }

    #[tokio::test]
    async fn a_model_switch_is_compared_and_gated() {
        let ok = FakeModel { fail_every: None, status: 200 };
        let (r, status) = replay(&recording(6), Gates::default(), ok).await;
        assert_eq!(status.unwrap(), ExitStatus::Success);
        assert_eq!(r.report.outputs.compared, 6);
        assert_eq!(r.report.outputs.equal, 3);
        assert_eq!(r.report.changes.len(), 3);
        assert!(r.report.changes[0].diff.as_deref().unwrap().contains("changed+}"));
        assert!((r.report.cost_change_pct.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(r.schedule_lag_ms.count, 6);

        let gate = Gates { fail_on_change: true, ..Gates::default() };
        let (_, status) = replay(&recording(6), gate, FakeModel { fail_every: None, status: 200 }).await;
        assert_eq!(status.unwrap(), ExitStatus::Partial);

        let cost = Gates { fail_on_cost_increase_pct: Some(150.0), ..Gates::default() };
        let (_, status) = replay(&recording(2), cost, FakeModel { fail_every: None, status: 200 }).await;
        assert_eq!(status.unwrap(), ExitStatus::Success, "+100% is within 150%");
        let cost = Gates { fail_on_cost_increase_pct: Some(50.0), ..Gates::default() };
        let (_, status) = replay(&recording(2), cost, FakeModel { fail_every: None, status: 200 }).await;
        assert_eq!(status.unwrap(), ExitStatus::Partial);
    }

    #[tokio::test]
    async fn failures_exit_partial_or_with_their_class() {
        let (r, status) =
            replay(&recording(4), Gates::default(), FakeModel { fail_every: Some(2), status: 500 }).await;
        assert_eq!(r.report.new.errors, 2);
        assert_eq!(status.unwrap(), ExitStatus::Partial);
        let (_, status) =
            replay(&recording(3), Gates::default(), FakeModel { fail_every: Some(1), status: 401 }).await;
        assert_eq!(crate::error::exit_code_for(&status.unwrap_err()), 3);
        let (_, status) =
            replay(&recording(3), Gates::default(), FakeModel { fail_every: Some(1), status: 400 }).await;
        assert_eq!(crate::error::exit_code_for(&status.unwrap_err()), 4);
        let (_, status) =
            replay(&recording(3), Gates::default(), FakeModel { fail_every: Some(1), status: 503 }).await;
        assert_eq!(crate::error::exit_code_for(&status.unwrap_err()), 5);
    }

    #[tokio::test]
    async fn corrupt_lines_are_reported_and_the_rest_replayed() {
        let mut text = recording(3);
        text.insert_str(0, "{\"broken\n");
        text.push_str("\n{\"ts\":\"2026-01-01T00:00:00Z\",\"offs");
        let (r, status) = replay(&text, Gates::default(), FakeModel { fail_every: None, status: 200 }).await;
        assert_eq!(status.unwrap(), ExitStatus::Success);
        assert_eq!(r.report.requests, 3);
        let lines: Vec<usize> = r.skipped_lines.iter().map(|s| s.line).collect();
        assert_eq!(lines, [1, 5]);
        assert!(r.skipped_lines[1].message.contains("truncated"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["skipped_lines"][0]["line"], 1);
        assert!(json["old"]["e2e_ms"]["p99"].is_number());
        assert!(json["outputs"]["equal_pct"].is_number());
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        let mk = |speed: f64, limit: Option<usize>, filter: &[String]| {
            ReplayOptions::new(
                "x".into(),
                None,
                speed,
                false,
                limit,
                filter,
                &[],
                None,
                None,
                Gates::default(),
                false,
                Format::Table,
                true,
            )
        };
        for err in
            [mk(0.0, None, &[]), mk(f64::NAN, None, &[]), mk(1.0, Some(0), &[]), mk(1.0, None, &["x".into()])]
        {
            assert_eq!(crate::error::exit_code_for(&err.unwrap_err()), 2);
        }
    }

    #[test]
    fn report_formats() {
        let report = assemble(
            &options(Path::new("r.jsonl"), Gates::default()),
            InputFormat::Recording,
            vec![],
            0,
            (Comparison::new(&NoPrices, false).finish(), LatencySummary::default(), 0.5, Stop::Completed),
        );
        for format in [Format::Table, Format::Csv, Format::Json] {
            let mut out = Vec::new();
            write_report(&mut out, &report, format, false).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("requests"), "{format:?}: {text}");
        }
        let mut out = Vec::new();
        write_report(&mut out, &report, Format::Csv, false).unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with("metric,old,new,change\n"));
    }
}
