//! Error kinds and the exit-code table.
//!
//! Every failure that reaches `main` is classified here, so the exit code a script sees is
//! decided in one place. The table is documented in the README and must stay in sync with it:
//!
//! | code | meaning |
//! |-----:|---------|
//! | 0    | success (also: a broken pipe on stdout) |
//! | 1    | partial failure: some batch items failed, an SLO / error limit / `--fail-on-*` gate hit |
//! | 2    | usage, config or input error |
//! | 3    | authentication or permission refused (401/403) |
//! | 4    | request rejected (any other 4xx) |
//! | 5    | upstream unavailable after retries (429, 5xx, timeouts, connection errors) |
//! | 6    | budget stop (`--max-cost`) |
//! | 10   | `chat`: the model asked for tools that were not run (calls printed as JSON lines) |
//! | 130  | interrupted (Ctrl-C) |

use std::process::ExitCode;

/// How a run ended when it did not end in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Success,
    /// The command ran to the end but some items failed or a gate was hit (exit 1).
    Partial,
    /// A `--max-cost` budget stopped the run (exit 6); the work is resumable.
    BudgetStop,
    /// The user interrupted the run (exit 130).
    Interrupted,
    /// Any other explicit code (used by commands that map a failure class to the exit code
    /// without turning it into an error, e.g. `check`).
    Code(u8),
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Partial => 1,
            ExitStatus::BudgetStop => 6,
            ExitStatus::Interrupted => 130,
            ExitStatus::Code(c) => c,
        }
    }
}

/// A classified error. Anything not wrapped in one of these is treated as a usage/input
/// error (exit 2), because that is what unexpected `anyhow` errors from parsing and file
/// handling almost always are.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags, config or input (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The server refused our credentials (exit 3). The message is the server's own.
    #[error("authentication failed ({status}): {message}")]
    Auth { status: u16, message: String },
    /// The server rejected the request (exit 4). The message is the server's own.
    #[error("request rejected ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The server stayed unavailable after all retries (exit 5).
    #[error("upstream unavailable: {0}")]
    Unavailable(String),
    /// A `--max-cost` budget was reached (exit 6).
    #[error("budget reached: {0}")]
    Budget(String),
    /// Interrupted by the user (exit 130).
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }

    /// The exit code of this error kind.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Auth { .. } => 3,
            Error::Rejected { .. } => 4,
            Error::Unavailable(_) => 5,
            Error::Budget(_) => 6,
            Error::Interrupted => 130,
        }
    }
}

/// The exit code for an error chain: the first classified [`Error`] in the chain decides;
/// unclassified errors are usage/input errors (2).
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    err.chain().find_map(|e| e.downcast_ref::<Error>()).map(Error::exit_code).unwrap_or(2)
}

/// True when the chain contains a broken pipe: the reader went away, which is not a failure
/// (`llmkit tokens big/ | head -1` must exit 0).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classified_errors_map_to_the_documented_codes() {
        let cases: [(Error, u8); 6] = [
            (Error::usage("x"), 2),
            (Error::Auth { status: 401, message: "no".into() }, 3),
            (Error::Rejected { status: 400, message: "bad".into() }, 4),
            (Error::Unavailable("down".into()), 5),
            (Error::Budget("$1".into()), 6),
            (Error::Interrupted, 130),
        ];
        for (err, code) in cases {
            assert_eq!(exit_code_for(&anyhow::Error::new(err)), code);
        }
    }

    #[test]
    fn context_does_not_hide_the_class() {
        let err = anyhow::Error::new(Error::Auth { status: 403, message: "denied".into() })
            .context("calling profile openai");
        assert_eq!(exit_code_for(&err), 3);
        assert_eq!(exit_code_for(&anyhow::anyhow!("plain")), 2);
    }

    #[test]
    fn broken_pipe_is_detected_through_context() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe");
        let err = anyhow::Error::new(io).context("writing stdout");
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
