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
pub mod session;
pub mod settings;
pub mod tools;

use std::io::Write;
use std::path::Path;

use conversation::Conversation;
use message::{is_system, Message};
use request::RequestSpec;
use schema::{OutputMode, Schema};
use session::{Session, SessionConfig, TurnEnd};
use settings::{Shape, Thread};

use crate::engine::{Engine, EngineOptions, LedgerMode};
use crate::error::{Error, ExitStatus};
use crate::output::Printer;
pub use settings::ChatSettings;

/// Run `llmkit chat` with resolved settings.
pub fn run(settings: ChatSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    if settings.list {
        return list(&settings, printer);
    }
    let stdin_tty = input::stdin_is_terminal();
    let messages_on_stdin = settings.messages.as_deref() == Some(Path::new("-"));
    let piped = if messages_on_stdin { None } else { input::read_piped_stdin()? };
    let prompt = input::assemble(piped.as_deref(), &settings.prompt);
    let interactive = prompt.is_none()
        && settings.messages.is_none()
        && stdin_tty
        && printer.stdout_tty
        && !settings.dry_run
        && !settings.raw;

    // Every file is read (and every input checked) before the engine exists.
    let file_messages = match &settings.messages {
        Some(path) => Some(load_messages(path)?),
        None => None,
    };
    let mode = match &settings.shape {
        Shape::Text => OutputMode::Text,
        Shape::Json => OutputMode::JsonObject,
        Shape::Schema(path) => OutputMode::Schema(Box::new(Schema::load(path)?)),
    };
    let defs = match &settings.tools_file {
        Some(path) => tools::load_definitions(path)?,
        None => Vec::new(),
    };
    let defs = tools::merge_definitions(defs, &settings.tool_commands);

    let (mut conv, continued) = open_conversation(&settings)?;
    if message::has_unanswered_calls(&conv.messages) {
        // The last run ended with exit 10: its tool calls were never answered.
        conv.messages.pop();
        printer.verbose("dropped the unanswered tool calls at the end of the conversation");
    }
    if continued {
        printer.verbose(format!("continuing conversation {} ({} messages)", conv.id, conv.messages.len()));
    }
    if let Some(msgs) = file_messages {
        conv.messages.extend(msgs);
    }
    if let Some(system) = &settings.system {
        conv.messages.retain(|m| !is_system(m));
        conv.messages.insert(0, message::system(system.clone()));
    }
    if let Some(p) = prompt {
        conv.messages.push(message::user(p));
    }
    if !interactive && !conv.messages.iter().any(|m| !is_system(m)) {
        return Err(Error::usage(
            "no prompt: give it as arguments, pipe it on stdin, or pass --messages FILE \
             (an interactive session needs a terminal on stdin and stdout)",
        )
        .into());
    }
    let model = settings.model_flag.clone().or_else(|| if continued { conv.model.clone() } else { None });
    let spec = RequestSpec {
        model,
        sampling: settings.sampling.clone(),
        response_format: mode.response_format(),
        tools: defs,
        cache_system: settings.cache_system,
        extra: settings.extra.clone(),
    };
    let cfg = SessionConfig {
        spec,
        mode,
        tool_commands: settings.tool_commands.clone(),
        max_tool_rounds: settings.max_tool_rounds,
        stream: settings.stream,
        raw: settings.raw,
        store: if settings.save && !settings.dry_run { settings.store.clone() } else { None },
        prices: settings.prices.clone(),
    };
    let ChatSettings { engine: engine_settings, dry_run, usage, shape, .. } = settings;

    crate::runtime()?.block_on(async move {
        let opts =
            EngineOptions { command: "chat", ledger: LedgerMode::Auto, printer, ..EngineOptions::default() };
        let engine = Engine::new(engine_settings, opts).await?;
        let mut session = Session::new(engine, printer, cfg, conv);
        if dry_run {
            let request = session.dry_run()?;
            let mut out = std::io::stdout().lock();
            crate::output::write_json(&mut out, &request, true)?;
            out.flush()?;
            return Ok(ExitStatus::Success);
        }
        if interactive {
            let status = interactive::run(&mut session, printer).await;
            session.flush().await;
            return status;
        }
        let result = session.turn().await;
        session.flush().await;
        let (end, totals) = result?;
        if usage {
            // Asked for explicitly, so shown even with -q.
            eprintln!("{}", totals.line());
        }
        Ok(match end {
            TurnEnd::Answered => ExitStatus::Success,
            TurnEnd::ToolCalls => ExitStatus::Code(tools::EXIT_TOOL_CALLS),
            TurnEnd::Violation(why) => {
                let what = match shape {
                    Shape::Schema(path) => format!("--schema {}", path.display()),
                    _ => "--json".to_string(),
                };
                eprintln!("llmkit: error: the reply does not match {what}: {why}");
                ExitStatus::Partial
            }
        })
    })
}

/// The conversation this run continues (or a new one), and whether it is a continuation.
fn open_conversation(settings: &ChatSettings) -> anyhow::Result<(Conversation, bool)> {
    let store = || {
        settings
            .store
            .as_ref()
            .ok_or_else(|| Error::usage("no data directory for conversations: set XDG_DATA_HOME or HOME"))
    };
    Ok(match &settings.thread {
        Thread::New => (Conversation::new(None), false),
        Thread::Last => (store()?.last()?, true),
        Thread::Id(id) => (store()?.load(id)?, true),
        Thread::Session(name) => {
            let conv = store()?.session(name)?;
            let continued = !conv.messages.is_empty();
            (conv, continued)
        }
    })
}

/// `--messages FILE` or `--messages -` (stdin).
fn load_messages(path: &Path) -> anyhow::Result<Vec<Message>> {
    let (text, origin) = if path == Path::new("-") {
        (input::read_all(std::io::stdin().lock(), "stdin")?, "--messages (stdin)".to_string())
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read --messages {}: {e}", path.display())))?;
        (text, path.display().to_string())
    };
    Ok(message::parse_messages(&text, &origin).map_err(Error::usage)?)
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
