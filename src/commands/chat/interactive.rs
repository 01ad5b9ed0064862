//! Interactive mode: what a line typed at the `llmkit chat` prompt means.
//!
//! The loop itself (rustyline, sending, printing) lives in `session.rs`; this module is the
//! pure part so every command and the multi-line rules are unit-tested without a terminal.
//!
//! Multi-line input: end a line with `\` to continue on the next one, or open a block with a
//! line that is just `"""` and close it with another.

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
