//! `bench` flags -> validated settings, before anything is sent.
//!
//! Everything a user can get wrong is caught here with a message naming the flag (exit 2):
//! conflicting load models, a sweep that cannot be parsed, rates and fractions out of range.
//! The engine's own flags are resolved by [`EngineSettings::resolve`], then bent to what a
//! benchmark needs (no retries unless asked, no client-side cap below the offered load).

use std::path::PathBuf;
use std::time::Duration;

use super::metrics::{Gates, Slo, DEFAULT_ATTAINMENT};
use super::runner::{LevelPlan, Load};
use super::schedule::Arrival;
use crate::cli::{ArrivalKind, BenchArgs, BenchGateArgs, BenchReportArgs, Format};
use crate::config::Config;
use crate::error::Error;
use crate::settings::EngineSettings;

/// Measured requests per level when neither `-n` nor `-d` is given.
pub const DEFAULT_REQUESTS: u64 = 100;
pub const DEFAULT_PROMPT_TOKENS: u64 = 256;
pub const DEFAULT_MAX_TOKENS: u64 = 128;
/// The engine's in-flight cap for open-loop runs without `-c`: high enough never to shape the
/// offered load, which is the point of an open loop.
pub const OPEN_LOOP_IN_FLIGHT: usize = 100_000;

/// What the requests carry.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkloadSpec {
    Synthetic { prompt_tokens: u64, stddev: f64, max_tokens: u64 },
    Dataset { path: PathBuf, max_tokens: Option<u64> },
}

/// Knobs of the embedded server for `--mock` runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MockKnobs {
    pub ttft: Option<Duration>,
    pub itl: Option<Duration>,
    pub jitter: f64,
    pub fail_rate: f64,
}

/// Everything `bench` needs, validated.
#[derive(Debug, Clone)]
pub struct BenchSettings {
    pub plans: Vec<LevelPlan>,
    pub workload: WorkloadSpec,
    pub seed: u64,
    pub gates: Gates,
    pub out: Option<PathBuf>,
    pub format: Format,
    pub no_progress: bool,
    /// `--via-engine`: no direct path.
    pub no_direct: bool,
    pub engine: EngineSettings,
    /// `Some` with `--mock`.
    pub mock: Option<MockKnobs>,
}

/// Everything `bench report` needs.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    pub files: Vec<PathBuf>,
    pub gates: Gates,
    pub format: Format,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    Error::usage(msg).into()
}

/// `--slo`, `--slo-attainment`, `--max-errors`, `--max-error-rate`.
pub fn resolve_gates(args: &BenchGateArgs) -> anyhow::Result<Gates> {
    let BenchGateArgs { slo, slo_attainment, max_errors, max_error_rate } = args;
    let slo = match slo {
        Some(spec) => Some(Slo::parse(spec, slo_attainment.unwrap_or(DEFAULT_ATTAINMENT)).map_err(usage)?),
        None => None,
    };
    if let Some(r) = max_error_rate {
        if !(0.0..=1.0).contains(r) {
            return Err(usage(format!("--max-error-rate must be a fraction between 0 and 1, got {r}")));
        }
    }
    Ok(Gates { slo, max_errors: *max_errors, max_error_rate: *max_error_rate })
}

impl ReportSettings {
    pub fn resolve(args: &BenchReportArgs) -> anyhow::Result<ReportSettings> {
        let BenchReportArgs { files, gates, output } = args;
        Ok(ReportSettings { files: files.clone(), gates: resolve_gates(gates)?, format: output.format })
    }
}

/// A parsed `--sweep`.
#[derive(Debug, Clone, PartialEq)]
enum Sweep {
    Concurrency(Vec<usize>),
    Rate(Vec<f64>),
}

fn parse_sweep(spec: &str) -> anyhow::Result<Sweep> {
    let (kind, values) = spec
        .split_once('=')
        .ok_or_else(|| usage(format!("--sweep `{spec}`: expected concurrency=1,2,4 or rate=5,10,20")))?;
    let values: Vec<&str> = values.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return Err(usage(format!("--sweep `{spec}`: no values")));
    }
    match kind.trim() {
        "concurrency" | "c" => values
            .iter()
            .map(|v| match v.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(usage(format!("--sweep concurrency: `{v}` is not a whole number of at least 1"))),
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map(Sweep::Concurrency),
        "rate" => values
            .iter()
            .map(|v| crate::cli::parse_positive(v).map_err(|e| usage(format!("--sweep rate: `{v}`: {e}"))))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(Sweep::Rate),
        other => Err(usage(format!("--sweep: unknown kind `{other}` (use concurrency or rate)"))),
    }
}

/// `rate=2.5`, `rate=100`: the shortest exact decimal.
fn rate_label(rate: f64) -> String {
    format!("rate={rate}")
}

impl BenchSettings {
    pub fn resolve(args: &BenchArgs, config: &Config) -> anyhow::Result<BenchSettings> {
        let BenchArgs { command: _, load, workload, gates, mock, engine, output } = args;
        let crate::cli::BenchLoadArgs { rate, arrival, burstiness, requests, duration, warmup, sweep, seed } =
            load;
        let crate::cli::BenchWorkloadArgs {
            prompt_tokens,
            prompt_tokens_stddev,
            max_tokens,
            dataset,
            no_stream,
            via_engine,
            out,
        } = workload;

        let arrival_flag = arrival;
        let arrival = match (arrival.unwrap_or(ArrivalKind::Poisson), burstiness) {
            (ArrivalKind::Gamma, k) => Arrival::Gamma { burstiness: k.unwrap_or(1.0) },
            (_, Some(_)) => return Err(usage("--burstiness applies to --arrival gamma only")),
            (ArrivalKind::Constant, None) => Arrival::Constant,
            (ArrivalKind::Poisson, None) => Arrival::Poisson,
        };
        if duration.is_some_and(|d| d.is_zero()) {
            return Err(usage("--duration must be greater than zero"));
        }
        let requests = match (requests, duration) {
            (None, None) => Some(DEFAULT_REQUESTS),
            (n, _) => *n,
        };
        let concurrency = engine.concurrency;
        if concurrency == Some(0) {
            return Err(usage("--concurrency must be at least 1"));
        }
        let sweep = sweep.as_deref().map(parse_sweep).transpose()?;
        let loads: Vec<Load> = match (&sweep, rate) {
            (Some(Sweep::Concurrency(_)), Some(_)) => {
                return Err(usage("--sweep concurrency is a closed loop; it cannot be combined with --rate"))
            }
            (Some(Sweep::Concurrency(_)), None) if concurrency.is_some() => {
                return Err(usage("--sweep concurrency sets the concurrency; drop -c/--concurrency"))
            }
            (Some(Sweep::Rate(_)), Some(_)) => {
                return Err(usage("--sweep rate sets the rate; drop --rate"));
            }
            (Some(Sweep::Concurrency(levels)), None) => {
                levels.iter().map(|&c| Load::Closed { concurrency: c }).collect()
            }
            (Some(Sweep::Rate(levels)), None) => {
                levels.iter().map(|&r| Load::Open { rate: r, arrival, max_in_flight: concurrency }).collect()
            }
            (None, Some(r)) => vec![Load::Open { rate: *r, arrival, max_in_flight: concurrency }],
            (None, None) => vec![Load::Closed { concurrency: concurrency.unwrap_or(1) }],
        };
        if !matches!(loads[0], Load::Open { .. }) && (arrival_flag.is_some() || burstiness.is_some()) {
            return Err(usage("--arrival and --burstiness need an open loop (--rate or --sweep rate=...)"));
        }
        let stream = !no_stream;
        let plans = loads
            .into_iter()
            .map(|load| LevelPlan {
                label: match &load {
                    Load::Closed { concurrency } => format!("concurrency={concurrency}"),
                    Load::Open { rate, .. } => rate_label(*rate),
                },
                load,
                requests,
                duration: *duration,
                warmup: *warmup,
                stream,
                seed: *seed,
            })
            .collect();

        let workload = match dataset {
            Some(path) => WorkloadSpec::Dataset { path: path.clone(), max_tokens: *max_tokens },
            None => WorkloadSpec::Synthetic {
                prompt_tokens: prompt_tokens.unwrap_or(DEFAULT_PROMPT_TOKENS),
                stddev: prompt_tokens_stddev.unwrap_or(0.0),
                max_tokens: max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            },
        };

        let crate::cli::BenchMockArgs { mock_ttft, mock_itl, mock_jitter, mock_fail_rate } = mock;
        for (flag, v) in [("--mock-jitter", mock_jitter), ("--mock-fail-rate", mock_fail_rate)] {
            if let Some(v) = v {
                if !(v.is_finite() && (0.0..=1.0).contains(v)) {
                    return Err(usage(format!("{flag} must be a fraction between 0 and 1, got {v}")));
                }
            }
        }
        let mock = engine.mock.then(|| MockKnobs {
            ttft: *mock_ttft,
            itl: *mock_itl,
            jitter: mock_jitter.unwrap_or(0.0),
            fail_rate: mock_fail_rate.unwrap_or(0.0),
        });

        let mut engine_settings = EngineSettings::resolve(engine, config)?;
        // Retries would hide failures and stretch latencies: off unless asked for.
        if engine.max_retries.is_none() {
            engine_settings.max_retries = 0;
        }
        // A benchmark measures one endpoint: falling back to another would mix two servers.
        engine_settings.endpoints.truncate(1);
        // The engine's in-flight cap must never be what shapes the load.
        let plans_ref: &Vec<LevelPlan> = &plans;
        engine_settings.concurrency = Some(
            plans_ref
                .iter()
                .map(|p| match p.load {
                    Load::Closed { concurrency } => concurrency,
                    Load::Open { max_in_flight, .. } => max_in_flight.unwrap_or(OPEN_LOOP_IN_FLIGHT),
                })
                .max()
                .unwrap_or(1),
        );

        Ok(BenchSettings {
            plans,
            workload,
            seed: *seed,
            gates: resolve_gates(gates)?,
            out: out.clone(),
            format: output.format,
            no_progress: output.no_progress,
            no_direct: *via_engine,
            engine: engine_settings,
            mock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn resolve(argv: &[&str]) -> anyhow::Result<BenchSettings> {
        let mut full = vec!["llmkit", "bench"];
        full.extend_from_slice(argv);
        let cli = Cli::try_parse_from(full).map_err(|e| anyhow::anyhow!("{e}"))?;
        let Command::Bench(args) = cli.command else { anyhow::bail!("not bench") };
        BenchSettings::resolve(&args, &Config::default())
    }

    #[test]
    fn defaults_are_one_closed_worker_and_a_hundred_requests() {
        let s = resolve(&["--mock"]).unwrap();
        assert_eq!(s.plans.len(), 1);
        assert_eq!(s.plans[0].load, Load::Closed { concurrency: 1 });
        assert_eq!(s.plans[0].label, "concurrency=1");
        assert_eq!(s.plans[0].requests, Some(DEFAULT_REQUESTS));
        assert!(s.plans[0].stream);
        assert_eq!(s.engine.max_retries, 0);
        assert_eq!(s.workload, WorkloadSpec::Synthetic { prompt_tokens: 256, stddev: 0.0, max_tokens: 128 });
        assert!(s.mock.is_some());
    }

    #[test]
    fn rate_makes_an_open_loop_with_an_uncapped_engine() {
        let s =
            resolve(&["--mock", "--rate", "50", "--arrival", "gamma", "--burstiness", "0.5", "-d", "10s"])
                .unwrap();
        assert_eq!(
            s.plans[0].load,
            Load::Open { rate: 50.0, arrival: Arrival::Gamma { burstiness: 0.5 }, max_in_flight: None }
        );
        assert_eq!(s.plans[0].label, "rate=50");
        assert_eq!(s.plans[0].requests, None, "duration alone bounds the run");
        assert_eq!(s.engine.concurrency, Some(OPEN_LOOP_IN_FLIGHT));
        let s = resolve(&["--mock", "--rate", "2.5", "-c", "8"]).unwrap();
        assert_eq!(
            s.plans[0].load,
            Load::Open { rate: 2.5, arrival: Arrival::Poisson, max_in_flight: Some(8) }
        );
        assert_eq!(s.engine.concurrency, Some(8));
    }

    #[test]
    fn sweeps_expand_into_levels() {
        let s = resolve(&["--mock", "--sweep", "concurrency=1,2,4", "--warmup", "2"]).unwrap();
        let labels: Vec<&str> = s.plans.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["concurrency=1", "concurrency=2", "concurrency=4"]);
        assert!(s.plans.iter().all(|p| p.warmup == 2));
        assert_eq!(s.engine.concurrency, Some(4));
        let s = resolve(&["--mock", "--sweep", "rate=1,2.5", "--arrival", "constant"]).unwrap();
        assert_eq!(
            s.plans[1].load,
            Load::Open { rate: 2.5, arrival: Arrival::Constant, max_in_flight: None }
        );
    }

    #[test]
    fn bad_combinations_are_usage_errors() {
        for (argv, needle) in [
            (&["--sweep", "concurrency=1,2", "--rate", "3"][..], "cannot be combined with --rate"),
            (&["--sweep", "concurrency=1,x"], "`x` is not a whole number"),
            (&["--sweep", "rate=0"], "greater than 0"),
            (&["--sweep", "threads=1"], "unknown kind `threads`"),
            (&["--sweep", "rate"], "expected concurrency=1,2,4"),
            (&["--rate", "5", "--burstiness", "2"], "--arrival gamma only"),
            (&["--slo", "ttft=fast"], "--slo ttft"),
            (&["--max-error-rate", "2"], "between 0 and 1"),
            (&["-d", "0s"], "--duration must be greater than zero"),
            (&["--mock", "--mock-jitter", "3"], "--mock-jitter"),
            (&["--arrival", "constant"], "need an open loop"),
        ] {
            let err = resolve(argv).unwrap_err();
            assert!(err.to_string().contains(needle), "{argv:?}: {err}");
            assert_eq!(crate::error::exit_code_for(&err), 2, "{argv:?}");
        }
    }

    #[test]
    fn fallbacks_are_dropped() {
        let config = Config::parse("[profiles.a]\nfallback = [\"b\"]\n[profiles.b]\n").unwrap();
        let cli = Cli::try_parse_from(["llmkit", "bench", "--profile", "a"]).unwrap();
        let Command::Bench(args) = cli.command else { panic!("not bench") };
        let s = BenchSettings::resolve(&args, &config).unwrap();
        assert_eq!(s.engine.endpoints.len(), 1);
    }

    #[test]
    fn retries_stay_when_asked_for() {
        let s = resolve(&["--mock", "--max-retries", "3"]).unwrap();
        assert_eq!(s.engine.max_retries, 3);
    }

    #[test]
    fn datasets_keep_their_own_max_tokens_unless_told() {
        let s = resolve(&["--mock", "--dataset", "d.jsonl"]).unwrap();
        assert_eq!(s.workload, WorkloadSpec::Dataset { path: "d.jsonl".into(), max_tokens: None });
        assert!(resolve(&["--dataset", "d.jsonl", "--prompt-tokens", "10"]).is_err());
    }
}
