//! The `llmkit` binary: parse, run, map the result to an exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = llmkit::cli::Cli::parse();
    match llmkit::run(cli) {
        Ok(status) => status.into(),
        Err(err) if llmkit::error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("llmkit: error: {err:#}");
            ExitCode::from(llmkit::error::exit_code_for(&err))
        }
    }
}
