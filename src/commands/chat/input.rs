//! Where the prompt comes from: the arguments, piped stdin, or both.
//!
//! `git diff | llmkit chat "write a commit message"` is the shape this serves: the piped data
//! first, then a blank line, then the instruction, so the instruction is the last thing the
//! model reads. Stdin is read only when it is not a terminal, so a bare `llmkit chat` in a
//! shell never blocks waiting for input nobody will type.

use std::io::{IsTerminal, Read};

use crate::error::Error;

/// The user prompt from piped text and the words given as arguments, or `None` when both are
/// empty. Arguments are joined with single spaces (as a shell would have passed them quoted);
/// trailing whitespace of the piped text is dropped before the blank-line separator.
pub fn assemble(piped: Option<&str>, args: &[String]) -> Option<String> {
    let arg = args.join(" ");
    let arg = arg.trim();
    let piped = piped.map(str::trim_end).filter(|p| !p.trim().is_empty());
    match (piped, arg.is_empty()) {
        (None, true) => None,
        (None, false) => Some(arg.to_string()),
        (Some(p), true) => Some(p.to_string()),
        (Some(p), false) => Some(format!("{p}\n\n{arg}")),
    }
}

/// True when stdin is a terminal (nothing is piped in).
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// All of stdin as UTF-8 text, or `None` when stdin is a terminal.
pub fn read_piped_stdin() -> anyhow::Result<Option<String>> {
    if stdin_is_terminal() {
        return Ok(None);
    }
    read_all(std::io::stdin().lock(), "stdin").map(Some)
}

/// Read a whole stream as UTF-8; `origin` names it in the error.
pub fn read_all(mut reader: impl Read, origin: &str) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| Error::usage(format!("cannot read {origin}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::usage(format!(
            "{origin} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn piped_text_comes_first_then_a_blank_line_then_the_argument() {
        assert_eq!(
            assemble(Some("diff --git a b\n+line\n"), &args(&["write", "a", "message"])).as_deref(),
            Some("diff --git a b\n+line\n\nwrite a message")
        );
    }

    #[test]
    fn either_source_alone_is_the_prompt() {
        assert_eq!(assemble(Some("hi\n"), &[]).as_deref(), Some("hi"));
        assert_eq!(assemble(None, &args(&["hello", "there"])).as_deref(), Some("hello there"));
        // Leading indentation of piped text is content (code), so it is kept.
        assert_eq!(assemble(Some("  indented\n"), &[]).as_deref(), Some("  indented"));
    }

    #[test]
    fn empty_sources_count_as_absent() {
        assert_eq!(assemble(None, &[]), None);
        assert_eq!(assemble(Some("\n \n"), &[]), None);
        assert_eq!(assemble(Some(""), &args(&["q"])).as_deref(), Some("q"));
        assert_eq!(assemble(None, &args(&["", " "])), None);
    }

    #[test]
    fn non_utf8_input_is_an_input_error() {
        let err = read_all(&b"ok\xff"[..], "stdin").unwrap_err();
        assert!(err.to_string().contains("stdin is not UTF-8 text (invalid byte at offset 2)"), "{err}");
        assert_eq!(crate::error::exit_code_for(&err), 2);
        assert_eq!(read_all(&b"fine"[..], "stdin").unwrap(), "fine");
    }
}
