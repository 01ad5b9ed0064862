//! `llmkit chat`: pipe a prompt in, stream the answer out.
//!
//! The command is built from small parts that each do one job and are tested alone:
//! [`input`] (where the prompt comes from), [`request`] (the body), [`schema`] (structured
//! output), [`tools`] (function calling), [`conversation`] (saved threads and trimming),
//! [`report`] (the usage line) and [`interactive`] (the line-editor session).

pub mod conversation;
pub mod input;
pub mod interactive;
pub mod message;
pub mod report;
pub mod request;
pub mod schema;
pub mod settings;
pub mod tools;

use std::io::Write;

use crate::error::{Error, ExitStatus};
use crate::output::Printer;
pub use settings::ChatSettings;

/// Run `llmkit chat` with resolved settings.
pub fn run(settings: ChatSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    if settings.list {
        return list(&settings, printer);
    }
    Err(Error::usage("chat requests need the request engine, which is not part of this build yet").into())
}

/// `llmkit chat --list`: saved conversations, newest first.
fn list(settings: &ChatSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let Some(store) = &settings.store else {
        return Err(Error::usage("no data directory: set XDG_DATA_HOME or HOME").into());
    };
    let (convs, broken) = store.list()?;
    for reason in &broken {
        printer.warn(format!("skipped {reason}"));
    }
    let rows: Vec<Vec<String>> = convs
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.updated.clone(),
                c.model.clone().unwrap_or_default(),
                c.turns().to_string(),
                c.preview(48),
            ]
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if rows.is_empty() {
        printer.info(format!("no conversations in {}", store.dir().display()));
        return Ok(ExitStatus::Success);
    }
    if printer.stdout_tty {
        out.write_all(
            crate::output::table::render(&["id", "updated", "model", "turns", "first prompt"], &rows)
                .as_bytes(),
        )?;
        out.write_all(b"\n")?;
    } else {
        // Tab-separated for scripts (`cut -f1` gives the ids).
        for row in rows {
            writeln!(out, "{}", row.join("\t"))?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}
