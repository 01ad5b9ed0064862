//! llmkit: one binary for LLM HTTP APIs.
//!
//! `run` is the whole program once arguments are parsed: it resolves settings, builds what the
//! chosen command needs (a runtime only for commands that do I/O concurrently) and dispatches
//! in one `match`. Every arm has the same shape: settings -> `commands::name(...)`.

pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod error;
pub mod mock;
pub mod output;
pub mod pricing;
pub mod provider;
pub mod settings;
pub mod tokenize;
pub mod usage;

use cli::{Cli, Command};
use error::ExitStatus;
use output::Printer;

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let Cli { global, command } = cli;
    let printer = Printer::from_global(&global);
    match command {
        Command::Chat(args) => {
            let config = config::Config::load(global.config.as_deref())?;
            let settings = commands::chat::ChatSettings::resolve(*args, &config)?;
            commands::chat::run(settings, printer)
        }
        Command::Batch(args) => {
            let config = config::Config::load(global.config.as_deref())?;
            let settings = commands::batch::BatchSettings::resolve(&args, &config)?;
            commands::batch::run(settings, printer)
        }
        Command::Tokens(args) => {
            commands::tokens::run(commands::tokens::TokensSettings::resolve(args)?, printer)
        }
        Command::Cost(args) => commands::cost::run(settings::cost::CostSettings::resolve(&args)?, printer),
        Command::Completions(args) => commands::completions::print(args.shell),
        Command::Bench(args) => match &args.command {
            Some(cli::BenchCommand::Report(report)) => {
                let settings = commands::bench::ReportSettings::resolve(report)?;
                commands::bench::report(settings, printer)
            }
            None => {
                let config = config::Config::load(global.config.as_deref())?;
                let settings = commands::bench::BenchSettings::resolve(&args, &config)?;
                commands::bench::run(settings, printer)
            }
        },
        Command::GenerateDocs(args) => commands::completions::generate_docs(&args.out, printer),
        Command::Check(args) => {
            let config = config::Config::load(global.config.as_deref())?;
            let targets = commands::check::targets(&args, &config)?;
            runtime()?.block_on(commands::check::run(targets, args.output, printer))
        }
        Command::Replay(args) => {
            let config = config::Config::load(global.config.as_deref())?;
            commands::replay::run(commands::replay::ReplaySettings::resolve(&args, &config)?, printer)
        }
        Command::Serve(args) => match &args.replay {
            Some(recording) => {
                let latency = match args.replay_latency {
                    cli::ReplayLatencyArg::Recorded => mock::replay::ReplayLatency::Recorded,
                    cli::ReplayLatencyArg::Zero => mock::replay::ReplayLatency::Zero,
                };
                let config = mock::replay::ReplayConfig::new(
                    recording.clone(),
                    args.match_on.as_deref(),
                    latency,
                    args.fallthrough.as_deref(),
                )?;
                runtime()?.block_on(commands::serve::run_replay(&args.addr, config, printer))
            }
            None => {
                let config = mock::MockConfig::from_args(&args.mock)?;
                runtime()?.block_on(commands::serve::run(&args.addr, config, printer))
            }
        },
    }
}

/// A multi-threaded tokio runtime for commands that do network or concurrent file I/O.
/// Built per command, after settings are validated, so `--version`, `--help` and offline
/// commands never pay for it.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
