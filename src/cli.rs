//! Command-line types (clap derive) and nothing else: no I/O, no validation beyond what clap
//! does. `settings.rs` turns these into validated settings before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// One binary for LLM HTTP APIs: chat, tokens, cost, batch, bench, replay, and an embedded mock
/// server that makes all of it run with no network and no API key.
#[derive(Debug, Parser)]
#[command(name = "llmkit", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More detail on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml].
    #[arg(long, global = true, env = "LLMKIT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a prompt (arguments and/or stdin) and stream the answer to stdout.
    Chat(Box<ChatArgs>),
    /// Print shell completions to stdout.
    Completions(CompletionsArgs),
    /// Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C.
    Serve(ServeArgs),
    /// Write completions/ and man/ (for maintainers; the output is committed).
    #[command(hide = true)]
    GenerateDocs(GenerateDocsArgs),
}

/// `llmkit chat`: flags of one chat request (or an interactive session).
#[derive(Debug, Args, Clone, Default)]
#[command(after_help = "Piped stdin comes first, then a blank line, then the PROMPT arguments. \
With neither (and a terminal on both ends) an interactive session starts.\n\n\
Exit codes: 0 answered, 1 reply broke --schema/--json, 2 usage/input, 3 auth, 4 rejected, \
5 unavailable, 10 the model asked for tools that were not run (calls printed as JSON lines).")]
pub struct ChatArgs {
    /// The prompt (words are joined with spaces). Piped stdin is placed before it.
    pub prompt: Vec<String>,
    /// System prompt.
    #[arg(short = 's', long)]
    pub system: Option<String>,
    /// Sampling temperature (0..2).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Nucleus sampling probability mass (0..1).
    #[arg(long)]
    pub top_p: Option<f64>,
    /// Upper bound on output tokens.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Stop sequence (repeatable).
    #[arg(long = "stop", value_name = "TEXT")]
    pub stop: Vec<String>,
    /// Seed for (best-effort) deterministic sampling.
    #[arg(long)]
    pub seed: Option<i64>,
    /// Extra request-body field, `key=value` (repeatable); a JSON value is sent as JSON, anything
    /// else as a string.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// A JSON file holding the whole messages array (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub messages: Option<PathBuf>,
    /// JSON mode: ask for a JSON object and check the reply parses.
    #[arg(long, conflicts_with = "schema")]
    pub json: bool,
    /// Structured output: a JSON Schema file; the reply is validated against it.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Function definitions (JSON array); tool calls are printed as JSON lines, exit 10.
    #[arg(long, value_name = "FILE")]
    pub tools: Option<PathBuf>,
    /// Run this local command for tool NAME (repeatable): the call's arguments go to its stdin
    /// as JSON, its stdout goes back to the model.
    #[arg(long = "tool", value_name = "NAME=COMMAND")]
    pub tool: Vec<String>,
    /// Most model/tool round trips before giving up (with --tool).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_tool_rounds: u32,
    /// Continue the most recent conversation.
    #[arg(short = 'c', long = "continue", conflicts_with_all = ["cid", "session"])]
    pub continue_last: bool,
    /// Continue the conversation with this id.
    #[arg(long, value_name = "ID", conflicts_with = "session")]
    pub cid: Option<String>,
    /// Continue (or start) the conversation with this name.
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// Do not save this exchange as a conversation.
    #[arg(long)]
    pub no_save: bool,
    /// List saved conversations and exit.
    #[arg(long, conflicts_with_all = ["prompt", "messages", "continue_last", "cid", "session"])]
    pub list: bool,
    /// After the answer, one usage line on stderr: tokens, cost, latency, TTFT, retries.
    #[arg(short = 'u', long)]
    pub usage: bool,
    /// Print the provider's full response JSON instead of the text.
    #[arg(long)]
    pub raw: bool,
    /// Print the request that would be sent (key redacted) and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait for the whole answer instead of streaming it.
    #[arg(long)]
    pub no_stream: bool,
    /// Mark the system prompt cacheable (Anthropic cache_control; OpenAI caches by itself).
    #[arg(long)]
    pub cache_system: bool,
    /// Do not append this request to the usage ledger.
    #[arg(long)]
    pub no_ledger: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Flags shared by every subcommand that talks to an endpoint.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Endpoint")]
pub struct EngineArgs {
    /// Profile from the config file [env: LLMKIT_PROFILE].
    #[arg(long, env = "LLMKIT_PROFILE")]
    pub profile: Option<String>,
    /// Base URL of the API (e.g. http://localhost:8000/v1).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Wire protocol of the endpoint.
    #[arg(long, value_enum)]
    pub provider: Option<ProviderKind>,
    /// Model to request [env: LLMKIT_MODEL].
    #[arg(short = 'm', long, env = "LLMKIT_MODEL")]
    pub model: Option<String>,
    /// Name of the environment variable that holds the API key.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Requests per minute the client allows itself.
    #[arg(long)]
    pub rpm: Option<f64>,
    /// Tokens per minute the client allows itself.
    #[arg(long)]
    pub tpm: Option<f64>,
    /// Requests in flight at once.
    #[arg(short = 'j', long)]
    pub concurrency: Option<usize>,
    /// Retries per request for transient failures.
    #[arg(long)]
    pub max_retries: Option<u32>,
    /// Per-request timeout (e.g. 60s, 2m).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<std::time::Duration>,
    /// Profiles to fall back to, in order, when this one fails or its breaker is open.
    #[arg(long = "fallback", value_name = "PROFILE")]
    pub fallback: Vec<String>,
    /// Run against the embedded mock server (no network, no key).
    #[arg(long)]
    pub mock: bool,
    /// Append every exchange to this recording (JSONL).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

/// Flags of every subcommand that prints a report.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI and any OpenAI-compatible endpoint (vLLM, Ollama, OpenRouter, ...).
    Openai,
    /// Anthropic Messages API.
    Anthropic,
    /// Azure OpenAI (deployment URLs, api-version, api-key header).
    Azure,
    /// The embedded mock server.
    Mock,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the URL is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8089", value_name = "HOST:PORT")]
    pub addr: String,
    #[command(flatten)]
    pub mock: MockArgs,
}

/// Knobs of the embedded server, shared by `serve` and by `--mock` runs.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Mock server")]
pub struct MockArgs {
    /// Seed for deterministic replies, embeddings, jitter and fault draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Natural reply length in tokens; a smaller max_tokens cuts it (finish_reason "length").
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub reply_tokens: u32,
    /// Delay before the first token (e.g. 150ms).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub ttft: Option<std::time::Duration>,
    /// Delay between streamed tokens (e.g. 10ms).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub itl: Option<std::time::Duration>,
    /// Random extra latency: each delay grows by up to this fraction (0..1).
    #[arg(long, default_value_t = 0.0, value_name = "FRACTION")]
    pub jitter: f64,
    /// Requests per minute the server accepts before answering 429.
    #[arg(long)]
    pub rpm: Option<u32>,
    /// Tokens per minute the server accepts before answering 429.
    #[arg(long)]
    pub tpm: Option<u32>,
    /// Fraction of requests that fail (0..1), drawn from --seed; see --fail-kinds.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub fail_rate: f64,
    /// Failure mix, KIND[:WEIGHT] comma-separated: an HTTP status (429, 500, 503, 529, ...),
    /// `drop` (close the connection unanswered), `cut` (break the body half-way), `hang`
    /// (never answer).
    #[arg(long, value_delimiter = ',', default_value = "429,500,503,drop,cut", value_name = "KINDS")]
    pub fail_kinds: Vec<String>,
    /// Answer 401 unless the request carries this key (Bearer, x-api-key or api-key).
    #[arg(long, value_name = "KEY")]
    pub require_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct GenerateDocsArgs {
    /// Directory that receives completions/ and man/.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

/// Parse a human duration: `150ms`, `2s`, `1m30s`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(std::time::Duration::from_secs_f64(secs));
        }
        return Err(format!("invalid duration `{s}`: must be a non-negative number"));
    }
    humantime::parse_duration(s).map_err(|e| format!("invalid duration `{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_accept_units_and_bare_seconds() {
        assert_eq!(parse_duration("150ms"), Ok(Duration::from_millis(150)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
