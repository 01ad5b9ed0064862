//! One module per subcommand. Each takes resolved settings and a `Printer`, never the CLI.

pub mod batch;
pub mod bench;
pub mod chat;
pub mod check;
pub mod completions;
pub mod cost;
pub mod replay;
pub mod serve;
pub mod tokens;
