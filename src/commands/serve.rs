//! `llmkit serve`: run the embedded mock server in the foreground until Ctrl-C or SIGTERM.
//!
//! The server itself lives in `crate::mock`; this command only binds it, says where it listens
//! (stderr, so scripts can read the URL when they pass port 0) and stops it gracefully.

use crate::error::ExitStatus;
use crate::mock::replay::{self, ReplayConfig};
use crate::mock::{self, MockConfig};
use crate::output::Printer;

/// `serve --replay`: answer from a recording (see `crate::mock::replay`).
pub async fn run_replay(addr: &str, config: ReplayConfig, printer: Printer) -> anyhow::Result<ExitStatus> {
    let recording = config.recording.clone();
    let (state, bad) = tokio::task::spawn_blocking(move || replay::load(config)).await??;
    crate::commands::replay::warn_bad_lines(&printer, &recording, &bad);
    if state.is_empty() && !state.falls_through() {
        printer
            .warn(format!("{} holds no replayable exchange: every request will miss", recording.display()));
    }
    let summary = state.summary();
    let server = mock::bind_router(addr, replay::router(std::sync::Arc::new(state))).await?;
    // Always printed (even with -q): a script that asked for port 0 needs this line.
    eprintln!("llmkit serve: listening on {}", server.url());
    printer.info(format!("  OpenAI base URL {}", server.openai_base_url()));
    printer.info(format!("  {summary}"));
    printer.info("  Ctrl-C to stop");
    stop_signal().await?;
    printer.info("llmkit serve: stopping");
    server.shutdown().await;
    Ok(ExitStatus::Success)
}

pub async fn run(addr: &str, config: MockConfig, printer: Printer) -> anyhow::Result<ExitStatus> {
    let summary = config.summary();
    let server = mock::bind(addr, config).await?;
    // Always printed (even with -q): a script that asked for port 0 needs this line.
    eprintln!("llmkit serve: listening on {}", server.url());
    printer.info(format!(
        "  OpenAI base URL {}  ·  Anthropic base URL {}",
        server.openai_base_url(),
        server.anthropic_base_url()
    ));
    printer.info(format!("  {summary}"));
    printer.info("  Ctrl-C to stop");
    stop_signal().await?;
    printer.info("llmkit serve: stopping");
    server.shutdown().await;
    Ok(ExitStatus::Success)
}

/// Ctrl-C, or SIGTERM on Unix (how CI scripts and process managers stop a server).
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok(())
    }
}
