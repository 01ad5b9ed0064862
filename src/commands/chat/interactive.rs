//! Interactive mode: what a line typed at the `llmkit chat` prompt means.
//!
//! [`parse`] and [`LineJoiner`] are the pure part, unit-tested without a terminal; [`run`] is
//! the loop (rustyline for editing and history, the [`Session`] for sending), tested through
//! tmux by `tests/chat-interactive.sh`.
//!
//! Multi-line input: end a line with `\` to continue on the next one, or open a block with a
//! line that is just `"""` and close it with another.

use rustyline::error::ReadlineError;

use super::message;
use super::session::{Session, TurnEnd};
use crate::error::ExitStatus;
use crate::output::Printer;

/// One complete input, after multi-line joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Text to send.
    Prompt(String),
    /// `/exit` or `/quit` (Ctrl-D too).
    Exit,
    /// `/reset`: forget the conversation (the system prompt stays).
    Reset,
    /// `/model NAME`: switch model for the next turns.
    Model(String),
    /// `/model` alone: show the current model.
    ShowModel,
    /// `/usage`: tokens and cost so far.
    Usage,
    /// `/help`.
    Help,
    /// Nothing typed.
    Empty,
    /// A `/word` that is not a command; the message says what is available.
    Unknown(String),
}

pub const HELP: &str = "commands: /exit  /reset  /model [NAME]  /usage  /help\n\
multi-line: end a line with \\ to continue it, or wrap text in lines of \"\"\"";

/// Interpret one complete input.
pub fn parse(text: &str) -> Input {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Input::Empty;
    }
    // `//text` sends `/text` literally.
    if let Some(rest) = trimmed.strip_prefix("//") {
        return Input::Prompt(format!("/{rest}"));
    }
    let Some(cmd) = trimmed.strip_prefix('/') else {
        return Input::Prompt(text.trim_end().to_string());
    };
    let (word, arg) = match cmd.split_once(char::is_whitespace) {
        Some((w, a)) => (w, a.trim()),
        None => (cmd, ""),
    };
    match (word, arg.is_empty()) {
        ("exit" | "quit" | "q", true) => Input::Exit,
        ("reset" | "clear", true) => Input::Reset,
        ("model", true) => Input::ShowModel,
        ("model", false) => Input::Model(arg.to_string()),
        ("usage", true) => Input::Usage,
        ("help" | "?", true) => Input::Help,
        _ => {
            Input::Unknown(format!("unknown command `/{word}` ({})", HELP.lines().next().unwrap_or_default()))
        }
    }
}

/// Collects physical lines into one logical input.
#[derive(Debug, Default)]
pub struct LineJoiner {
    buf: Vec<String>,
    in_block: bool,
    continued: bool,
}

impl LineJoiner {
    /// Feed one typed line; returns the complete input when it is finished.
    pub fn feed(&mut self, line: &str) -> Option<String> {
        if self.in_block {
            if line.trim() == "\"\"\"" {
                self.in_block = false;
                return Some(self.take());
            }
            self.buf.push(line.to_string());
            return None;
        }
        if !self.continued && self.buf.is_empty() && line.trim() == "\"\"\"" {
            self.in_block = true;
            return None;
        }
        if let Some(head) = line.strip_suffix('\\') {
            self.buf.push(head.to_string());
            self.continued = true;
            return None;
        }
        self.buf.push(line.to_string());
        self.continued = false;
        Some(self.take())
    }

    /// True while more lines are expected (the prompt shows `...`).
    pub fn pending(&self) -> bool {
        self.in_block || self.continued
    }

    /// Drop a half-typed input (Ctrl-C).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.in_block = false;
        self.continued = false;
    }

    fn take(&mut self) -> String {
        let text = self.buf.join("\n");
        self.buf.clear();
        text
    }
}

/// The interactive loop: read a line, act on it, until `/exit` or Ctrl-D. Ctrl-C clears the
/// line being typed, or cancels the answer being streamed (the question is then forgotten).
pub async fn run(session: &mut Session, printer: Printer) -> anyhow::Result<ExitStatus> {
    let mut editor = rustyline::DefaultEditor::new()?;
    let mut joiner = LineJoiner::default();
    eprintln!(
        "llmkit chat: model {}. /help for commands, Ctrl-D to quit.",
        session.model().unwrap_or("(endpoint default)")
    );
    loop {
        let prompt = if joiner.pending() { "... " } else { "> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                joiner.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        let Some(text) = joiner.feed(&line) else { continue };
        if !text.trim().is_empty() {
            let _ = editor.add_history_entry(text.as_str());
        }
        match parse(&text) {
            Input::Exit => break,
            Input::Empty => {}
            Input::Help => eprintln!("{HELP}"),
            Input::Reset => {
                session.reset();
                eprintln!("(conversation reset; now {})", session.conv.id);
            }
            Input::Model(m) => {
                eprintln!("(model: {m})");
                session.set_model(m);
            }
            Input::ShowModel => eprintln!("(model: {})", session.model().unwrap_or("(endpoint default)")),
            Input::Usage => {
                if session.totals.requests == 0 {
                    eprintln!("(no requests yet)");
                } else {
                    eprintln!("{}", session.totals.line());
                }
            }
            Input::Unknown(msg) => printer.warn(msg),
            Input::Prompt(p) => {
                let before = session.conv.messages.len();
                session.conv.messages.push(message::user(p));
                let result = tokio::select! {
                    r = session.turn() => Some(r),
                    _ = tokio::signal::ctrl_c() => None,
                };
                match result {
                    Some(Ok((TurnEnd::Answered, _))) => {}
                    Some(Ok((TurnEnd::ToolCalls, _))) => {
                        eprintln!("(the model asked for tools; start with --tool NAME=COMMAND to run them)")
                    }
                    Some(Ok((TurnEnd::Violation(why), _))) => {
                        printer.warn(format!("the reply is not the JSON asked for: {why}"))
                    }
                    Some(Err(e)) => {
                        session.abandon_turn(before)?;
                        eprintln!("llmkit: error: {e:#}");
                    }
                    None => {
                        session.abandon_turn(before)?;
                        eprintln!("(cancelled)");
                    }
                }
            }
        }
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_recognized() {
        assert_eq!(parse("/exit"), Input::Exit);
        assert_eq!(parse("  /quit  "), Input::Exit);
        assert_eq!(parse("/reset"), Input::Reset);
        assert_eq!(parse("/model gpt-4o"), Input::Model("gpt-4o".into()));
        assert_eq!(parse("/model"), Input::ShowModel);
        assert_eq!(parse("/usage"), Input::Usage);
        assert_eq!(parse("/help"), Input::Help);
        assert_eq!(parse("   "), Input::Empty);
    }

    #[test]
    fn everything_else_is_a_prompt() {
        assert_eq!(parse("what is 2+2?"), Input::Prompt("what is 2+2?".into()));
        assert_eq!(parse("  indented code\n"), Input::Prompt("  indented code".into()));
        assert_eq!(parse("//etc/hosts is a path"), Input::Prompt("/etc/hosts is a path".into()));
        match parse("/exit now") {
            Input::Unknown(msg) => assert!(msg.contains("`/exit`") && msg.contains("/usage"), "{msg}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse("/frobnicate"), Input::Unknown(_)));
    }

    #[test]
    fn backslash_continues_a_line() {
        let mut j = LineJoiner::default();
        assert_eq!(j.feed("first \\"), None);
        assert!(j.pending());
        assert_eq!(j.feed("second\\"), None);
        assert_eq!(j.feed("third").as_deref(), Some("first \nsecond\nthird"));
        assert!(!j.pending());
        assert_eq!(j.feed("single").as_deref(), Some("single"));
    }

    #[test]
    fn triple_quotes_make_a_block() {
        let mut j = LineJoiner::default();
        assert_eq!(j.feed("\"\"\""), None);
        assert!(j.pending());
        assert_eq!(j.feed("line one\\"), None, "a backslash inside a block is text");
        assert_eq!(j.feed(""), None);
        assert_eq!(j.feed("/exit"), None, "commands inside a block are text");
        assert_eq!(j.feed("\"\"\"").as_deref(), Some("line one\\\n\n/exit"));
        assert!(!j.pending());
    }

    #[test]
    fn clear_drops_half_typed_input() {
        let mut j = LineJoiner::default();
        j.feed("\"\"\"");
        j.feed("abandoned");
        j.clear();
        assert!(!j.pending());
        assert_eq!(j.feed("fresh").as_deref(), Some("fresh"));
    }
}
