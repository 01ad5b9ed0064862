//! `llmkit batch`: run a JSONL file of chat requests concurrently, rate-limited and resumable,
//! or hand it to a provider's Batch API (`--remote`).
//!
//! The parts: `input` (streaming parser and validation scan), `ids` (shard hash, compact id
//! sets), `resume` (what an earlier run left, repairs), `output` (Batch API output lines,
//! append-only writers, reorder buffer), `runner` (concurrent sending), `summary` (report),
//! `remote` with `batch_api` (OpenAI files + batches) and `message_batches` (Anthropic).

pub mod batch_api;
pub mod engine_exec;
pub mod estimate;
pub mod ids;
pub mod input;
pub mod local;
pub mod message_batches;
pub mod output;
pub mod remote;
pub mod resume;
pub mod runner;
pub mod summary;

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{BatchArgs, Format};
use crate::config::Config;
use crate::error::{Error, ExitStatus};
use crate::output::Printer;
use crate::settings::EngineSettings;

use self::ids::Shard;
use self::input::{InputFormat, LineDefaults};

/// Requests in flight when neither `-j` nor the profile says. Public APIs meter by RPM/TPM,
/// which the engine's limiter enforces; concurrency only has to cover latency: 16 in flight at
/// a typical 1-3 s per completion is 300-1000 requests per minute, the order of a tier-1
/// OpenAI or Anthropic limit, without opening more connections than a shared key should.
/// Raise it (`-j 64`) for fast or local endpoints.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Where the job runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Send the requests from here (the engine).
    Local,
    /// Upload the input to the provider's Batch API and wait for it.
    Remote,
    /// Attach to remote job(s) already created.
    Attach(Vec<String>),
}

/// Validated settings of `llmkit batch` (no clap types).
#[derive(Debug, Clone)]
pub struct BatchSettings {
    pub input: Option<PathBuf>,
    pub output: PathBuf,
    pub errors: PathBuf,
    pub format: InputFormat,
    pub defaults: LineDefaults,
    pub retry_failed: bool,
    pub max_cost: Option<f64>,
    pub shard: Option<Shard>,
    pub ordered: bool,
    pub dry_run: bool,
    pub mode: Mode,
    pub cancel: bool,
    pub poll_interval: Duration,
    /// Most requests per remote batch; `None`: the provider's own limit.
    pub split_requests: Option<usize>,
    pub ledger: bool,
    pub concurrency: usize,
    pub engine: EngineSettings,
    pub report: Format,
    pub no_progress: bool,
    /// `LLMKIT_PRICES`: a price file replacing the embedded table.
    pub prices: Option<PathBuf>,
    /// Knobs of the embedded server for `--mock` runs.
    pub mock: crate::mock::MockConfig,
}

impl BatchSettings {
    pub fn resolve(args: &BatchArgs, config: &Config) -> anyhow::Result<Self> {
        Self::resolve_with(args, config, &|k| std::env::var(k).ok())
    }

    pub fn resolve_with(
        args: &BatchArgs,
        config: &Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let BatchArgs {
            input,
            output_file,
            errors,
            text,
            system,
            retry_failed,
            max_cost,
            shard,
            ordered,
            dry_run,
            remote,
            remote_id,
            cancel,
            poll_interval,
            split_requests,
            mock_knobs,
            engine,
            output,
        } = args;
        let mock = mock_config(mock_knobs)?;
        let engine = EngineSettings::resolve_with(engine, config, env)?;
        if let Some(max) = max_cost {
            if !(max.is_finite() && *max > 0.0) {
                return Err(
                    Error::usage(format!("--max-cost must be a positive amount of USD, got {max}")).into()
                );
            }
        }
        let shard = shard.as_deref().map(Shard::parse).transpose().map_err(Error::usage)?;
        let mode = match (remote_id, remote) {
            (Some(ids), _) => {
                let ids: Vec<String> =
                    ids.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
                if ids.is_empty() {
                    return Err(Error::usage("--remote-id needs at least one batch id").into());
                }
                Mode::Attach(ids)
            }
            (None, true) => Mode::Remote,
            (None, false) => Mode::Local,
        };
        if *cancel && mode == Mode::Local {
            return Err(Error::usage("--cancel needs --remote-id ID (or --remote)").into());
        }
        if *split_requests == Some(0) {
            return Err(Error::usage("--split-requests must be at least 1").into());
        }
        if poll_interval.is_zero() {
            return Err(Error::usage("--poll-interval must be greater than zero").into());
        }
        if shard.is_some() && mode != Mode::Local && !*dry_run {
            return Err(
                Error::usage("--shard applies to local runs; a remote job runs the whole input").into()
            );
        }
        if let Some(input) = input {
            if same_file(input, output_file) {
                return Err(Error::usage(format!(
                    "the output {} is the input: results are appended to the output",
                    output_file.display()
                ))
                .into());
            }
        }
        let errors = errors.clone().unwrap_or_else(|| default_errors_path(output_file));
        if same_file(&errors, output_file) {
            return Err(Error::usage("--errors must differ from --output").into());
        }
        // `--mock` with no model: the engine's mock model, so lines need not name one.
        let model = engine
            .primary()
            .model
            .clone()
            .or_else(|| engine.mock.then(|| crate::engine::MOCK_MODEL.to_string()));
        let defaults = LineDefaults { model, system: system.clone() };
        let concurrency = engine.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        let ledger = engine.ledger.is_some() && !*dry_run;
        Ok(BatchSettings {
            input: input.clone(),
            output: output_file.clone(),
            errors,
            format: if *text { InputFormat::Text } else { InputFormat::Jsonl },
            defaults,
            retry_failed: *retry_failed,
            max_cost: *max_cost,
            shard,
            ordered: *ordered,
            dry_run: *dry_run,
            mode,
            cancel: *cancel,
            poll_interval: *poll_interval,
            split_requests: *split_requests,
            ledger,
            concurrency,
            engine,
            report: output.format,
            no_progress: output.no_progress,
            prices: env("LLMKIT_PRICES").filter(|p| !p.is_empty()).map(PathBuf::from),
            mock,
        })
    }
}

/// The embedded server's configuration from the `--mock-*` flags, validated by the mock's own
/// rules (so errors name the same limits as `llmkit serve`).
fn mock_config(knobs: &crate::cli::BatchMockArgs) -> anyhow::Result<crate::mock::MockConfig> {
    let crate::cli::BatchMockArgs { mock_ttft, mock_itl, mock_fail_rate, mock_rpm, mock_tpm, mock_seed } =
        knobs;
    let defaults = crate::cli::MockArgs::default();
    let args = crate::cli::MockArgs {
        seed: mock_seed.unwrap_or(defaults.seed),
        ttft: *mock_ttft,
        itl: *mock_itl,
        rpm: *mock_rpm,
        tpm: *mock_tpm,
        fail_rate: mock_fail_rate.unwrap_or(defaults.fail_rate),
        ..defaults
    };
    crate::mock::MockConfig::from_args(&args)
        .map_err(|e| Error::usage(format!("{e:#}").replace("--", "--mock-")).into())
}

/// `<output>.errors.jsonl` (the `.jsonl` of the output is replaced, not doubled).
pub fn default_errors_path(output: &std::path::Path) -> PathBuf {
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
    output.with_file_name(format!("{stem}.errors.jsonl"))
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Run `llmkit batch` with resolved settings.
pub fn run(settings: BatchSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let started = std::time::Instant::now();
    let s = &settings;
    // Local and remote runs read and validate the input first (and stop there on --dry-run);
    // attaching to running batches has no input.
    enum Job<'a> {
        Local(local::Prepared),
        Remote(local::Prepared),
        Attach(&'a [String]),
    }
    let job = match &s.mode {
        Mode::Attach(ids) => Job::Attach(ids),
        mode => {
            let prepared = local::prepare(s, &printer)?;
            if s.dry_run {
                return dry_run(s, prepared, &printer);
            }
            match mode {
                Mode::Local => Job::Local(prepared),
                _ => Job::Remote(prepared),
            }
        }
    };
    let prices = load_prices(s)?;
    crate::runtime()?.block_on(async {
        let engine = build_engine(s, printer).await?;
        let t = remote::EngineTransport { engine: engine.clone() };
        let (summary, status) = match job {
            Job::Local(prepared) => {
                let estimator: Option<std::sync::Arc<dyn runner::CostEstimator>> = s.max_cost.map(|_| {
                    std::sync::Arc::new(estimate::BudgetEstimator { prices: prices.clone(), batch: false })
                        as std::sync::Arc<dyn runner::CostEstimator>
                });
                let exec =
                    std::sync::Arc::new(engine_exec::EngineExecutor { engine: engine.clone(), prices });
                let result = local::send(s, prepared, exec, estimator, &printer, started).await;
                engine.flush().await;
                result?
            }
            Job::Remote(prepared) => remote::submit(s, &t, prepared, Some(prices), &printer, started).await?,
            Job::Attach(ids) => remote::attach(s, &t, ids, Some(prices), &printer, started).await?,
        };
        print_summary(s, &summary, &printer)?;
        Ok(status)
    })
}

async fn build_engine(s: &BatchSettings, printer: Printer) -> anyhow::Result<crate::engine::Engine> {
    let opts = crate::engine::EngineOptions {
        command: "batch",
        ledger: if s.ledger { crate::engine::LedgerMode::Auto } else { crate::engine::LedgerMode::Off },
        printer,
        mock: Some(s.mock.clone()),
        ..crate::engine::EngineOptions::default()
    };
    let mut engine_settings = s.engine.clone();
    engine_settings.concurrency = Some(s.concurrency);
    crate::engine::Engine::new(engine_settings, opts).await
}

fn print_summary(s: &BatchSettings, summary: &summary::Summary, printer: &Printer) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    summary.write(&mut out, s.report, printer.stdout_tty)?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

fn dry_run(s: &BatchSettings, prepared: local::Prepared, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let local::Prepared { spec, existing, report: r, .. } = prepared;
    let mut report = summary::DryRun {
        total: r.valid,
        to_run: r.to_run,
        skipped: r.done + r.prev_failed,
        previously_failed: r.prev_failed,
        invalid: r.invalid,
        ..Default::default()
    };
    let done: std::sync::Arc<dyn input::DoneLookup + Send + Sync> = existing;
    let mut pending = input::PendingRequests::open(&spec, &r, done)?;
    let mut models: std::collections::BTreeMap<String, estimate::ModelTotals> = Default::default();
    while let Some(req) = pending.next_request()? {
        let e = estimate::tokens(&req.body, runner::DEFAULT_ASSUMED_OUTPUT);
        report.input_tokens += e.input_tokens;
        report.output_tokens += e.output_tokens;
        report.output_guessed += u64::from(e.output_guessed);
        report.approximate_tokens += u64::from(e.approximate);
        let m = models.entry(e.model.unwrap_or_default()).or_default();
        m.requests += 1;
        m.input_tokens += e.input_tokens;
        m.output_tokens += e.output_tokens;
    }
    let prices = load_prices(s)?;
    report.cost_usd = estimate::price_totals(
        Some(prices.as_ref()),
        &models,
        s.mode != Mode::Local,
        &mut report.unpriced_models,
    );
    if report.output_guessed > 0 {
        printer.info(format!(
            "{} requests set no max_tokens: assumed {} output tokens each",
            report.output_guessed,
            runner::DEFAULT_ASSUMED_OUTPUT
        ));
    }
    let mut out = std::io::stdout().lock();
    report.write(&mut out, s.report, printer.stdout_tty)?;
    Ok(if r.invalid > 0 { ExitStatus::Partial } else { ExitStatus::Success })
}

/// The price table (embedded, or `LLMKIT_PRICES`).
fn load_prices(s: &BatchSettings) -> anyhow::Result<std::sync::Arc<dyn estimate::Prices>> {
    Ok(std::sync::Arc::new(crate::pricing::PriceTable::load(s.prices.as_deref())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn resolve(argv: &[&str]) -> anyhow::Result<BatchSettings> {
        let mut full = vec!["llmkit", "batch"];
        full.extend_from_slice(argv);
        let cli = Cli::try_parse_from(full)?;
        let Command::Batch(args) = cli.command else { anyhow::bail!("not batch") };
        BatchSettings::resolve_with(&args, &Config::default(), &|k| {
            (k == "HOME").then(|| "/home/t".to_string())
        })
    }

    #[test]
    fn defaults_are_local_sixteen_wide_with_a_derived_errors_file() {
        let s = resolve(&["in.jsonl", "-o", "dir/out.jsonl"]).unwrap();
        assert_eq!(s.mode, Mode::Local);
        assert_eq!(s.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(s.errors, PathBuf::from("dir/out.errors.jsonl"));
        assert_eq!(s.format, InputFormat::Jsonl);
        assert!(s.ledger);
        assert_eq!(
            default_errors_path(std::path::Path::new("res.txt")),
            PathBuf::from("res.txt.errors.jsonl")
        );
    }

    #[test]
    fn flags_map_to_settings() {
        let s = resolve(&[
            "in.txt",
            "-o",
            "o.jsonl",
            "--text",
            "--system",
            "S",
            "-m",
            "gpt-4o",
            "-j",
            "4",
            "--shard",
            "2/3",
            "--max-cost",
            "1.5",
            "--ordered",
            "--retry-failed",
        ])
        .unwrap();
        assert_eq!(s.format, InputFormat::Text);
        assert_eq!(s.defaults, LineDefaults { model: Some("gpt-4o".into()), system: Some("S".into()) });
        assert_eq!(s.concurrency, 4);
        assert_eq!(s.shard, Some(Shard { k: 2, n: 3 }));
        assert_eq!(s.max_cost, Some(1.5));
        assert!(s.ordered && s.retry_failed);
        let s = resolve(&["-o", "o.jsonl", "--remote-id", "batch_a, batch_b", "--cancel"]).unwrap();
        assert_eq!(s.mode, Mode::Attach(vec!["batch_a".into(), "batch_b".into()]));
        assert!(s.cancel);
        let s = resolve(&["in.jsonl", "-o", "o.jsonl", "--mock", "--mock-fail-rate", "0.2"]).unwrap();
        assert!(!s.ledger, "--mock runs keep no ledger");
        assert_eq!(s.defaults.model.as_deref(), Some(crate::engine::MOCK_MODEL), "lines need no model");
        assert_eq!(s.mock.faults.rate, 0.2);
    }

    #[test]
    fn contradictions_are_usage_errors() {
        for argv in [
            &["in.jsonl", "-o", "in.jsonl"][..],
            &["in.jsonl", "-o", "o.jsonl", "--errors", "o.jsonl"],
            &["in.jsonl", "-o", "o.jsonl", "--remote", "--shard", "1/2"],
            &["in.jsonl", "-o", "o.jsonl", "--split-requests", "0"],
            &["in.jsonl", "-o", "o.jsonl", "--mock", "--mock-fail-rate", "3"],
        ] {
            let err = resolve(argv).unwrap_err();
            assert_eq!(crate::error::exit_code_for(&err), 2, "{argv:?}: {err}");
        }
        assert!(resolve(&["in.jsonl", "-o", "o.jsonl", "--remote", "--ordered"]).is_err(), "clap conflict");
        assert!(resolve(&["-o", "o.jsonl"]).is_err(), "INPUT is required without --remote-id");
    }
}
