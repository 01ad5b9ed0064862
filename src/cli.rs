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
    /// Run a JSONL batch of chat requests: concurrent, rate-limited, resumable; or submit it to
    /// a provider's Batch API with --remote.
    Batch(Box<BatchArgs>),
    /// Load-test an endpoint: TTFT, TPOT, ITL, percentiles, throughput, sweeps.
    Bench(Box<BenchArgs>),
    /// Count, encode, decode, truncate or chunk tokens of files, stdin or chat requests.
    Tokens(TokensArgs),
    /// Price requests, batch files and usage logs; project monthly spend (offline).
    #[command(subcommand_required = true)]
    Cost(CostArgs),
    /// Print shell completions to stdout.
    Completions(CompletionsArgs),
    /// Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C.
    Serve(Box<ServeArgs>),
    /// Re-send recorded requests (with their timing) to another endpoint or model and compare.
    Replay(Box<ReplayArgs>),
    /// Check every configured profile (or the chosen one): reachable, TLS, key, model,
    /// latency, rate-limit headers. Exit code = failure class of the first failing profile.
    Check(CheckArgs),
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
    /// Kill a --tool command that runs longer than this; the model is told it timed out.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", default_value = "60s")]
    pub tool_timeout: std::time::Duration,
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
    /// Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl).
    #[arg(long)]
    pub no_ledger: bool,
    /// Answer repeated requests from a local cache: deterministic ones only (temperature 0
    /// or a seed), or `all`.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "deterministic", value_name = "WHICH")]
    pub cache: Option<CacheMode>,
    /// How long cached responses stay valid (e.g. 7d, 12h).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub cache_ttl: Option<std::time::Duration>,
    /// Cache directory [default: $XDG_CACHE_HOME/llmkit/responses].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// Which requests `--cache` answers from the local cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacheMode {
    /// Only requests with temperature 0 or a seed.
    Deterministic,
    /// Every request, sampled or not.
    All,
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
pub struct CheckArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the URL is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8089", value_name = "HOST:PORT")]
    pub addr: String,
    /// Answer from this recording (`--record` output) instead of generating replies: chat
    /// completions and Anthropic messages, matched on their normalized body.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Replay",
        conflicts_with_all = ["seed", "reply_tokens", "ttft", "itl", "jitter", "rpm", "tpm", "fail_rate", "fail_kinds", "require_key", "oauth_client", "token_ttl"]
    )]
    pub replay: Option<PathBuf>,
    /// Fields that decide a match, comma-separated dotted paths (e.g. model,messages)
    /// [default: the whole body except stream and stream_options].
    #[arg(long, value_name = "FIELDS", requires = "replay", help_heading = "Replay")]
    pub match_on: Option<String>,
    /// Latency of replayed answers: the recorded one, or none.
    #[arg(long, value_enum, default_value_t = ReplayLatencyArg::Recorded, help_heading = "Replay")]
    pub replay_latency: ReplayLatencyArg,
    /// Forward requests the recording cannot answer to this base URL (e.g.
    /// https://api.openai.com/v1, or https://api.anthropic.com for /v1/messages) and append
    /// the exchanges to the recording (once each).
    #[arg(long, value_name = "URL", requires = "replay", help_heading = "Replay")]
    pub fallthrough: Option<String>,
    #[command(flatten)]
    pub mock: MockArgs,
}

/// Latency of `serve --replay` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayLatencyArg {
    /// The recorded TTFT and total latency.
    Recorded,
    /// Answer at once.
    Zero,
}

/// Knobs of the embedded server, shared by `serve` and by `--mock` runs.
#[derive(Debug, Args, Clone)]
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
    /// Grant OAuth2 client-credentials tokens to this client at POST /oauth/token, and require
    /// a valid, unexpired token (Bearer or ?access_token=) on every API route. Repeatable.
    #[arg(long, value_name = "ID:SECRET", conflicts_with = "require_key")]
    pub oauth_client: Vec<String>,
    /// Lifetime of tokens issued by /oauth/token (e.g. 2s, 15m) [default: 1h].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub token_ttl: Option<std::time::Duration>,
}

impl Default for MockArgs {
    /// What `llmkit serve` runs with when given no flags, read from the definitions above so
    /// that `--mock` runs (which set a few knobs and take the rest from here) cannot drift.
    fn default() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            mock: MockArgs,
        }
        // No arguments: only the declared defaults apply, and they are valid.
        Defaults::try_parse_from(["llmkit"]).map(|d| d.mock).expect("MockArgs defaults parse")
    }
}

/// `llmkit batch INPUT -o OUTPUT`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Input JSONL: OpenAI Batch API lines, or shorthand lines (`{"messages": [...]}`,
    /// `{"prompt": "..."}`); with --text, one prompt per line. Optional with --remote-id.
    #[arg(value_name = "INPUT", required_unless_present = "remote_id")]
    pub input: Option<PathBuf>,
    /// Output JSONL (OpenAI Batch API output lines); results are appended, so re-running the
    /// same command resumes.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output_file: PathBuf,
    /// Lines that could not run (bad JSON, missing body, duplicate custom_id, ...)
    /// [default: <OUTPUT>.errors.jsonl].
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,
    /// Treat every input line as one prompt (blank lines are skipped).
    #[arg(long)]
    pub text: bool,
    /// System prompt for lines that have none.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// Redo the requests that failed in an earlier run (successes are still skipped).
    #[arg(long)]
    pub retry_failed: bool,
    /// Stop starting requests when the spend so far plus the estimate of those in flight would
    /// pass this many US dollars (exit 6; re-run to resume).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Process only shard K of N (1-based), chosen by a stable hash of custom_id
    /// (FNV-1a 64 mod N), so N machines can split one input.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Write output lines in input order (a bounded reorder buffer holds early finishers).
    #[arg(long)]
    pub ordered: bool,
    /// Validate and estimate tokens and cost; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run the job on the provider's Batch API (upload, create, poll, download) at batch prices.
    #[arg(long, conflicts_with_all = ["ordered", "max_cost", "retry_failed"])]
    pub remote: bool,
    /// Attach to a remote batch job by id (or a comma-separated list of ids): status, wait,
    /// download.
    #[arg(long, value_name = "ID", conflicts_with_all = ["ordered", "max_cost", "retry_failed", "dry_run"])]
    pub remote_id: Option<String>,
    /// Cancel the remote job(s) named by --remote-id (or recorded in the state file).
    #[arg(long)]
    pub cancel: bool,
    /// How often to poll a remote job.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", default_value = "10s")]
    pub poll_interval: std::time::Duration,
    /// Most requests per remote batch in --remote mode (default: the provider's limit,
    /// 50,000 for OpenAI, 100,000 for Anthropic).
    #[arg(long, value_name = "N", hide_short_help = true)]
    pub split_requests: Option<usize>,
    #[command(flatten)]
    pub mock_knobs: BatchMockArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Knobs of the embedded server for `batch --mock` (the full set is on `llmkit serve`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Mock server (with --mock)")]
pub struct BatchMockArgs {
    /// Mock delay before the first token (also the pace of --remote jobs), e.g. 150ms.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "mock")]
    pub mock_ttft: Option<std::time::Duration>,
    /// Mock delay between tokens, e.g. 5ms.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "mock")]
    pub mock_itl: Option<std::time::Duration>,
    /// Fraction of mock requests that fail (429, 500, 503, dropped, cut).
    #[arg(long, value_name = "P", requires = "mock")]
    pub mock_fail_rate: Option<f64>,
    /// Requests per minute the mock accepts before answering 429.
    #[arg(long, value_name = "N", requires = "mock")]
    pub mock_rpm: Option<u32>,
    /// Tokens per minute the mock accepts before answering 429.
    #[arg(long, value_name = "N", requires = "mock")]
    pub mock_tpm: Option<u32>,
    /// Seed of the mock's replies and fault draws.
    #[arg(long, value_name = "N", requires = "mock")]
    pub mock_seed: Option<u64>,
}

/// How `bench` defines what it measures (DESIGN.md "Metrics"), shown by `bench --help`.
pub const BENCH_METRICS_HELP: &str = "\
Metrics, by formula:
  t0      scheduled send time (open loop, --rate) or send time (closed loop, -c)
  t1..tk  arrival of the response chunks that carry output; N = output tokens
          (the server's usage, else our tokenizer's count of the output)
  TTFT    = t1 - t0            (a role-only first chunk does not count; it is 'first chunk')
  E2E     = tk - t0
  TPOT    = (tk - t1) / (N - 1) (streamed requests with N >= 2)
  ITL     = every gap t(i+1) - t(i), pooled over all requests
  output throughput  = sum N / wall      request throughput = succeeded / wall
  wall    = latest end - earliest t0 over the measured requests (warmup excluded)
  goodput = requests that met every --slo threshold, per second of wall
Open-loop latencies count from the scheduled time, so queueing is never hidden (no
coordinated omission). The pacer's own lateness (release - scheduled) is 'sched lag'; 'send
delay' (scheduled -> handed to the HTTP client) adds the handoff and any wait for a -c slot.
Percentiles come from an HDR histogram (microseconds, 4 significant digits); means are exact.

Exit codes: 0 ok; 1 an --slo, --max-errors or --max-error-rate gate failed; 2 bad flags or
input, or nothing could be sent (no API key); 3/4/5 when no request succeeded (auth refused /
request rejected / endpoint unavailable or answering garbage), the class of the first failure;
130 interrupted (the report covers what finished).

Examples:
  llmkit bench --mock --mock-ttft 150ms --mock-itl 10ms -c 8 -n 200
  llmkit bench --base-url http://localhost:8000/v1 -m llama --rate 20 -d 60s --slo ttft=500ms
  llmkit bench --base-url http://localhost:8000/v1 -m llama --sweep concurrency=1,4,16,64 -n 200
  llmkit bench report run-a.jsonl run-b.jsonl --format json";

/// `bench`: the run's flags, or the `report` subcommand (never both).
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_long_help = BENCH_METRICS_HELP,
    mut_arg("concurrency", |a| a
        .visible_short_alias('c')
        .help("Closed loop: requests in flight at once (workers); with --rate: the most in flight")),
)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    #[command(flatten)]
    pub load: BenchLoadArgs,
    #[command(flatten)]
    pub workload: BenchWorkloadArgs,
    #[command(flatten)]
    pub gates: BenchGateArgs,
    #[command(flatten)]
    pub mock: BenchMockArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Merge record files written by `bench --out` (several runs or machines) into one report.
    #[command(after_long_help = BENCH_METRICS_HELP)]
    Report(BenchReportArgs),
}

/// How load is generated.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Load")]
pub struct BenchLoadArgs {
    /// Open loop: requests per second, whatever the server does (default: closed loop, -c).
    #[arg(long, value_name = "R", value_parser = parse_positive, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Open-loop arrival process [default: poisson].
    #[arg(long, value_enum)]
    pub arrival: Option<ArrivalKind>,
    /// Gamma shape for --arrival gamma: below 1 burstier than Poisson, above 1 smoother.
    #[arg(long, value_name = "K", value_parser = parse_positive, allow_negative_numbers = true)]
    pub burstiness: Option<f64>,
    /// Measured requests per level [default: 100 when no --duration].
    #[arg(short = 'n', long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub requests: Option<u64>,
    /// Run each level this long (e.g. 30s, 5m); with -n, whichever comes first.
    #[arg(short = 'd', long, value_parser = parse_duration, value_name = "DURATION")]
    pub duration: Option<std::time::Duration>,
    /// Requests sent before each level and left out of its statistics.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_count0, allow_negative_numbers = true)]
    pub warmup: u64,
    /// One report row per level: `concurrency=1,2,4,8` or `rate=5,10,20`.
    #[arg(long, value_name = "KIND=V,V,...")]
    pub sweep: Option<String>,
    /// Seed of arrivals and synthetic prompts (same seed, same traffic).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArrivalKind {
    /// Evenly spaced.
    Constant,
    /// Exponential gaps (independent users).
    Poisson,
    /// Gamma gaps with shape --burstiness.
    Gamma,
}

/// What each request carries.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Workload")]
pub struct BenchWorkloadArgs {
    /// Synthetic prompts of exactly N tokens (chat format, as the server counts them)
    /// [default: 256].
    #[arg(long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true, conflicts_with = "dataset")]
    pub prompt_tokens: Option<u64>,
    /// Vary synthetic prompt lengths (normal distribution with this standard deviation).
    #[arg(long, value_name = "N", value_parser = parse_non_negative, allow_negative_numbers = true, conflicts_with = "dataset")]
    pub prompt_tokens_stddev: Option<f64>,
    /// Output tokens requested (max_tokens) [default: 128; a dataset keeps its own unless set].
    #[arg(long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub max_tokens: Option<u64>,
    /// Requests from a file: batch-input JSONL, or plain text with one prompt per line.
    #[arg(long, value_name = "FILE")]
    pub dataset: Option<PathBuf>,
    /// Do not stream: measure plain request latency (TTFT = E2E; no TPOT or ITL).
    #[arg(long)]
    pub no_stream: bool,
    /// Send non-streamed requests through the full request engine too. By default they go
    /// on bare kept-alive HTTP/1 connections when the engine would add nothing (one plain
    /// http:// endpoint, no retries, no rate limit, no cache): same records, less overhead.
    #[arg(long)]
    pub via_engine: bool,
    /// Write every request's record here (JSONL), for `bench report` and your own analysis.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Conditions that fail the run (exit 1), shared by `bench` and `bench report`.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Gates")]
pub struct BenchGateArgs {
    /// Per-request objectives, e.g. `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e).
    /// Goodput counts requests that met all of them.
    #[arg(long, value_name = "SPEC")]
    pub slo: Option<String>,
    /// Fraction of requests that must meet --slo, else exit 1 (0.99 = "p99 within SLO").
    #[arg(long, value_name = "F", requires = "slo", value_parser = parse_positive, allow_negative_numbers = true)]
    pub slo_attainment: Option<f64>,
    /// Stop and exit 1 once more than N requests failed.
    #[arg(long, value_name = "N", value_parser = parse_count0, allow_negative_numbers = true)]
    pub max_errors: Option<u64>,
    /// Exit 1 when more than this fraction of requests failed (e.g. 0.01).
    #[arg(long, value_name = "F", value_parser = parse_non_negative, allow_negative_numbers = true)]
    pub max_error_rate: Option<f64>,
}

/// Knobs of the embedded server for `bench --mock`.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Mock server (with --mock)")]
pub struct BenchMockArgs {
    /// Mock delay before the first token (e.g. 150ms).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "mock")]
    pub mock_ttft: Option<std::time::Duration>,
    /// Mock delay between tokens (e.g. 10ms).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "mock")]
    pub mock_itl: Option<std::time::Duration>,
    /// Mock random extra latency, a fraction (0..1) of each delay.
    #[arg(long, value_name = "FRACTION", requires = "mock")]
    pub mock_jitter: Option<f64>,
    /// Fraction of mock requests that fail (0..1).
    #[arg(long, value_name = "P", requires = "mock")]
    pub mock_fail_rate: Option<f64>,
}

#[derive(Debug, Args)]
pub struct BenchReportArgs {
    /// Record files written by `bench --out`.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub gates: BenchGateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `llmkit tokens`: offline, so no engine flags.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").args(["encode", "decode", "truncate", "chunk", "messages"])))]
pub struct TokensArgs {
    /// Files or directories to read (stdin when none, or `-`). With --decode: token ids.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Model whose tokenizer to use (gpt-4o, gpt-4, gpt-oss-120b, ...). Models with no local
    /// tokenizer (claude-*, gemini-*, ...) get an estimate, labelled approximate.
    #[arg(short = 'm', long, conflicts_with = "encoding")]
    pub model: Option<String>,
    /// Encoding to use directly [default: o200k_base].
    #[arg(short = 'e', long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Print the token ids instead of counting.
    #[arg(long)]
    pub encode: bool,
    /// Turn token ids (from the arguments or stdin) back into text.
    #[arg(long)]
    pub decode: bool,
    /// Print the text of the first N tokens (a prefix of the input).
    #[arg(long, value_name = "N")]
    pub truncate: Option<u64>,
    /// Split the input into pieces of at most N tokens, printed as JSONL.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub chunk: Option<u64>,
    /// Read chat requests (JSON request, messages array, or batch JSONL) and count the prompt
    /// tokens each will cost, with the chat overhead and tool definitions.
    #[arg(long)]
    pub messages: bool,
    /// Show how much of the model's context window the input uses (needs -m).
    #[arg(long)]
    pub context: bool,
    /// Treat special-token strings such as `<|endoftext|>` as special tokens (default: text).
    #[arg(long)]
    pub allow_special: bool,
    /// Walk hidden files and directories too.
    #[arg(long)]
    pub hidden: bool,
    /// Do not respect .gitignore, .ignore and similar files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table, help_heading = "Output")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of
    /// overrides (`[models."name"] input_cost_per_token = ...`).
    #[arg(long, global = true, env = "LLMKIT_PRICES", value_name = "FILE")]
    pub prices: Option<PathBuf>,
    #[command(subcommand)]
    pub command: CostCommand,
}

#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// List model prices (USD per 1M tokens) and context windows.
    Prices(CostPricesArgs),
    /// What traffic will cost, per request / day / month; several models side by side.
    Estimate(CostEstimateArgs),
    /// Price usage logs (ledger, recordings, batch outputs, API responses, usage exports).
    Report(CostReportArgs),
}

#[derive(Debug, Args)]
pub struct CostPricesArgs {
    /// Only models matching this glob (`gpt-4o*`) or substring (`sonnet`).
    pub pattern: Option<String>,
    /// Only this LiteLLM provider (openai, anthropic, gemini, mistral, deepseek, dashscope, ...).
    #[arg(long)]
    pub provider: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CostEstimateArgs {
    /// Model to price (repeatable; a glob such as `claude-*` compares every match).
    #[arg(short = 'm', long = "model", value_name = "MODEL")]
    pub models: Vec<String>,
    /// Prompt tokens per request (cached and cache-write tokens included).
    #[arg(long, value_name = "N")]
    pub input: Option<u64>,
    /// Count the prompt tokens of this file (sent as one user message) with the tokenizer.
    #[arg(long, value_name = "FILE", conflicts_with = "input")]
    pub prompt_file: Option<PathBuf>,
    /// Output tokens per request (reasoning tokens included).
    #[arg(long, value_name = "N")]
    pub output: Option<u64>,
    /// Of the input, tokens read from the provider's prompt cache.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub cached: u64,
    /// Of the input, tokens written to the prompt cache (Anthropic cache_creation).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub cache_write: u64,
    /// Of the output, reasoning tokens.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub reasoning: u64,
    /// Requests per --per period.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub requests: u64,
    /// The period --requests counts.
    #[arg(long, value_enum, default_value_t = CostPer::Day)]
    pub per: CostPer,
    /// Price at Batch API rates.
    #[arg(long)]
    pub batch: bool,
    /// Price a batch input file (JSONL) before running it: local vs Batch API rates.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with_all = ["input", "prompt_file", "output"])]
    pub batch_file: Option<PathBuf>,
    /// With --batch-file: expected output tokens per request (the upper bound is max_tokens).
    #[arg(long, value_name = "N", requires = "batch_file")]
    pub assume_output: Option<u64>,
    #[command(flatten)]
    pub format: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostPer {
    Day,
    Month,
}

#[derive(Debug, Args)]
pub struct CostReportArgs {
    /// Usage logs in any mix of formats (`-` is stdin) [default: $LLMKIT_LEDGER or
    /// $XDG_DATA_HOME/llmkit/usage.jsonl].
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Group rows by these keys (repeatable or comma-separated) [default: model].
    #[arg(long = "by", value_enum, value_delimiter = ',', value_name = "KEY")]
    pub by: Vec<CostGroupBy>,
    /// Only usage at or after this date or RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only usage up to this date (inclusive) or RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Project monthly spend: `month-to-date` (calendar extrapolation, the default) or
    /// `trailing-Nd` (average of the last N days, e.g. trailing-7d).
    #[arg(long, value_name = "METHOD", num_args = 0..=1, require_equals = true,
          default_missing_value = "month-to-date")]
    pub project: Option<String>,
    /// Exit 1 when the projected monthly spend exceeds this many USD (implies --project).
    #[arg(long, value_name = "USD")]
    pub budget: Option<f64>,
    /// Add a converted cost column, e.g. `--fx CNY=7.2` (repeatable).
    #[arg(long, value_name = "CUR=RATE")]
    pub fx: Vec<String>,
    /// Exit 1 if any line was skipped.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum CostGroupBy {
    Model,
    Provider,
    Day,
    Week,
    Month,
    User,
    Project,
    Key,
    Batch,
}

fn parse_number(s: &str) -> Result<f64, String> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("`{s}` is not a number"))
}

/// A finite number above zero.
pub fn parse_positive(s: &str) -> Result<f64, String> {
    let v = parse_number(s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be greater than 0, got {s}"))
    }
}

/// A finite number of zero or more.
pub fn parse_non_negative(s: &str) -> Result<f64, String> {
    let v = parse_number(s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("must not be negative, got {s}"))
    }
}

/// A whole number of at least 1.
pub fn parse_count(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= 1 && v <= i128::from(u64::MAX) => Ok(v as u64),
        Ok(_) => Err(format!("must be a whole number of at least 1, got {s}")),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

/// A whole number of zero or more.
pub fn parse_count0(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= 0 && v <= i128::from(u64::MAX) => Ok(v as u64),
        Ok(_) => Err(format!("must not be negative, got {s}")),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

/// `llmkit replay`: re-send recorded requests with their timing and compare old vs new.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Recording (`--record` output), batch file, Azure trace CSV or Mooncake trace (`-` = stdin).
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Input format [default: detected from the file name and first lines].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<ReplayInputFormat>,
    /// Replay speed: 2 = twice as fast as recorded, 0.5 = half as fast.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub speed: f64,
    /// Ignore recorded timing: send everything as fast as the engine's limits allow.
    #[arg(long, conflicts_with = "speed")]
    pub fast: bool,
    /// Replay only the first N requests (after --filter), in file order.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Replay only requests whose field matches (KEY=GLOB or KEY!=GLOB; repeat: all must hold).
    /// Keys: model, id, status, ok, provider, command, user, project, url, or any body field.
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Set a body field on every request (dotted path; the value is JSON if it parses, else a
    /// string; repeatable): --set temperature=0 --set response_format.type=json_object.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Show a diff of every changed output.
    #[arg(long)]
    pub diff: bool,
    /// Exit 1 when any output changed or a request that succeeded before now fails.
    #[arg(long)]
    pub fail_on_change: bool,
    /// Exit 1 when the replay costs more than PCT percent over the recording.
    #[arg(long, value_name = "PCT")]
    pub fail_on_cost_increase: Option<f64>,
    /// Price file (LiteLLM JSON or TOML overrides) for costs the recording does not carry.
    #[arg(long, env = "LLMKIT_PRICES", value_name = "FILE")]
    pub prices: Option<PathBuf>,
    #[command(flatten)]
    pub mock_knobs: ReplayMockArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Knobs of the embedded server for `replay --mock` (the full set is on `llmkit serve`):
/// enough to stand in for "another model" in a rehearsal of a model switch.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Mock server (with --mock)")]
pub struct ReplayMockArgs {
    /// Seed of the mock's replies (another seed answers differently).
    #[arg(long, value_name = "N", requires = "mock")]
    pub mock_seed: Option<u64>,
    /// Mock reply length in tokens when a request sets no max_tokens.
    #[arg(long, value_name = "N", requires = "mock")]
    pub mock_reply_tokens: Option<u32>,
    /// Mock delay before the first token, e.g. 150ms.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "mock")]
    pub mock_ttft: Option<std::time::Duration>,
    /// Mock delay between tokens, e.g. 5ms.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "mock")]
    pub mock_itl: Option<std::time::Duration>,
}

/// Input formats `replay` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayInputFormat {
    /// llmkit recording (`--record` output).
    Recording,
    /// OpenAI Batch API input (or llmkit shorthand lines); no timing.
    Batch,
    /// Azure LLM inference trace CSV: TIMESTAMP,ContextTokens,GeneratedTokens.
    Azure,
    /// Mooncake trace JSONL: timestamp (ms), input_length, output_length, hash_ids.
    Mooncake,
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
            // try_: a huge number of seconds is an error, not a panic.
            return std::time::Duration::try_from_secs_f64(secs)
                .map_err(|_| format!("invalid duration `{s}`: too large"));
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
    fn mock_args_default_to_what_serve_runs_with() {
        let d = MockArgs::default();
        assert_eq!((d.seed, d.reply_tokens, d.jitter, d.fail_rate), (0, 16, 0.0, 0.0));
        assert_eq!(d.fail_kinds, ["429", "500", "503", "drop", "cut"]);
        assert!(d.ttft.is_none() && d.rpm.is_none() && d.require_key.is_none() && d.oauth_client.is_empty());
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bench_number_flags_explain_what_is_wrong() {
        assert_eq!(parse_positive("2.5"), Ok(2.5));
        assert!(parse_positive("0").unwrap_err().contains("greater than 0"));
        assert!(parse_positive("inf").is_err());
        assert!(parse_count("-5").unwrap_err().contains("at least 1"));
        assert!(parse_count("1.5").unwrap_err().contains("not a whole number"));
        assert_eq!(parse_count0("0"), Ok(0));
        assert!(parse_non_negative("-0.1").is_err());
    }

    #[test]
    fn bench_run_flags_and_report_subcommand_parse() {
        let cli = Cli::try_parse_from(["llmkit", "bench", "-c", "4", "--mock", "-n", "10"]).unwrap();
        let Command::Bench(b) = cli.command else { panic!("not bench") };
        assert_eq!(b.engine.concurrency, Some(4));
        assert!(b.command.is_none());
        let cli = Cli::try_parse_from(["llmkit", "bench", "report", "a.jsonl", "b.jsonl"]).unwrap();
        let Command::Bench(b) = cli.command else { panic!("not bench") };
        let Some(BenchCommand::Report(r)) = b.command else { panic!("not report") };
        assert_eq!(r.files.len(), 2);
        assert!(Cli::try_parse_from(["llmkit", "bench", "-n", "5", "report", "a"]).is_err());
        assert!(Cli::try_parse_from(["llmkit", "bench", "--rate", "0"]).is_err());
        assert!(Cli::try_parse_from(["llmkit", "bench", "--rate", "1", "--arrival", "zipf"]).is_err());
    }

    #[test]
    fn durations_accept_units_and_bare_seconds() {
        assert_eq!(parse_duration("150ms"), Ok(Duration::from_millis(150)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1e30").is_err());
    }
}
