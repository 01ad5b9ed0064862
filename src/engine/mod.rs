//! The request engine: the only code in llmkit that touches the network as a client, with one
//! deliberate exception: `bench`'s direct path (`commands/bench/direct.rs`) sends the requests
//! [`Engine::direct_plan`] prepared on its own connections when the engine would add nothing
//! to them (no retries, limits, cache, recording or OAuth2), because a load generator must not
//! be slower than the server it measures.
//!
//! Every network subcommand sends its requests through one shared [`Engine`] (it is `Clone`,
//! with an `Arc` inside), which owns the pieces that must be shared across workers to work at
//! all: one `reqwest::Client` (keep-alive pool, HTTP/2 where offered), the rate limiter
//! (RPM/TPM buckets, server-header adaptation, 429 cooldown, AIMD concurrency), a circuit
//! breaker per endpoint, the fallback chain, the response cache, and the ledger/recording
//! writer. Providers translate; the engine sends.
//!
//! # Using it
//!
//! ```no_run
//! use llmkit::engine::{ChatRequest, Engine, EngineOptions, LedgerMode, StreamEvent};
//! use llmkit::provider::ChatBody;
//! # async fn demo(settings: llmkit::settings::EngineSettings, printer: llmkit::output::Printer) -> anyhow::Result<()> {
//! let engine = Engine::new(settings, EngineOptions { command: "chat", ledger: LedgerMode::Auto, printer, ..EngineOptions::default() }).await?;
//!
//! // chat: stream deltas as they arrive, then read usage from the record.
//! let body = ChatBody::user_prompt("", "Say hi"); // empty model = the profile's model
//! let outcome = engine
//!     .stream(ChatRequest::new(body.clone()), |event| {
//!         if let StreamEvent::Chunk { chunk, .. } = event {
//!             if let Some(text) = chunk.text() {
//!                 print!("{text}");
//!             }
//!         }
//!         Ok(())
//!     })
//!     .await;
//! let usage = outcome.record.usage;
//! let response = outcome.into_result()?; // EngineError -> exit code 3/4/5 via anyhow
//!
//! // chat --dry-run: the exact request, key redacted, nothing sent.
//! let spec = engine.dry_run(&ChatRequest::new(body.clone()), true)?;
//! println!("{} {}", spec.method, spec.url);
//!
//! // batch: clone the engine into workers; bound the workers with -j (the engine also caps
//! // requests in flight). Records carry ids, timings, usage, retries and error kinds.
//! let e = engine.clone();
//! let task = tokio::spawn(async move { e.execute(ChatRequest::new(body).with_id("line-7")).await });
//! let outcome = task.await?;
//! println!("{} {:?} {:?}", outcome.record.id, outcome.record.usage, engine.totals());
//!
//! engine.flush().await; // ledger and recording lines are on disk
//! # Ok(()) }
//! ```
//!
//! - **bench**: pass the scheduled instant with [`ChatRequest::with_start`] (open loop: TTFT
//!   and latency are measured from it), use [`Engine::stream`] and take
//!   [`StreamEvent::Chunk`]`{at, chunk}`: `at` is the arrival instant of each chunk,
//!   [`ChatChunk::has_output`] marks chunks carrying output (TTFT, ITL). The record has
//!   `first_byte` and `first_output`. Build the engine with `LedgerMode::Off`; without a TPM
//!   limit no tokenizer work happens per request.
//! - **replay**: a recorded body deserializes into [`ChatBody`]; unknown fields pass through
//!   to OpenAI-compatible endpoints. Set `--record` to capture the new exchanges.
//!
//! # Behaviour
//!
//! Per request: response cache (opt-in) -> for each endpoint of the fallback chain whose
//! breaker allows it (breakers only route: with a single endpoint there is nowhere else to
//! go, so its breaker counts but never refuses; when every endpoint of a chain is open the
//! request fails at once with `breaker_open`, exit 5) -> up to `max_retries + 1` attempts: admission by the rate limiter, one
//! HTTP exchange bounded by `timeout` (for streams: until the headers, and between chunks).
//! Transient failures (see [`retry`]) are retried after the server's wait or a full-jitter
//! backoff. Fallback to the next profile happens when an endpoint stays unavailable, its
//! breaker is open, its key is missing or refused (401/403), it does not know the model (404),
//! or it cannot express the request; a 400/422 is the request's fault and fails at once.
//!
//! A stream that breaks before any output is restarted. One that breaks after output is
//! *continued*: the text so far is sent back as an assistant message (Anthropic: a prefill,
//! trailing whitespace trimmed as the API requires; OpenAI-compatible: followed by a user
//! message asking to continue without repeating), and the continuation is filtered so nothing
//! is delivered twice (leading whitespace already sent is dropped; a model that restarts from
//! the beginning is detected and the repeated prefix suppressed). Limits: a continuation is a
//! new generation, so wording can differ from what an unbroken stream would have said;
//! `max_tokens` applies again to the continuation; usage of the broken attempt is unknown
//! when the break came before its usage chunk; streams that broke inside tool-call output are
//! not continued (they fail).
//!
//! Keys are never logged, recorded or shown: see [`keys`] and [`crate::provider::SECRET_HEADERS`].
//! OAuth2 endpoints (`auth = "oauth2"`) get their token from one [`oauth::TokenProvider`] per
//! endpoint, shared by every worker; a 401 refreshes it once and resends the request once
//! (that resend is not counted as a retry).

pub mod batch_api;
pub mod breaker;
pub mod cache;
pub mod keys;
pub mod oauth;
pub mod probe;
pub mod ratelimit;
pub mod record;
pub mod retry;
pub mod sse;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use serde_json::Value;

pub use crate::provider::{ChatBody, ChatChunk, ChatResponse, HttpRequestSpec};
use crate::provider::{Message, ProviderError, StreamAssembler, StreamItem, Target, Wire};
use crate::settings::{Auth, EndpointSettings, EngineSettings, TokenPlacement};
use crate::usage::{LedgerLine, Usage};
use breaker::Breaker;
pub use breaker::{BreakerConfig, BreakerState};
use cache::ResponseCache;
use keys::Key;
use ratelimit::{Limits, RateLimiter};
use record::{json_line, RecordWriter};
pub use record::{ErrorKind, RequestRecord};
pub use retry::RetryPolicy;

/// Model named in `--mock` runs when none is configured.
pub const MOCK_MODEL: &str = "gpt-4o-mini";

/// Requests in flight when `-j` is not given.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// The user message that asks an OpenAI-compatible model to continue a broken answer.
pub const CONTINUE_PROMPT: &str =
    "Your previous answer was cut off. Continue exactly where it stopped, without repeating anything.";

/// Whether this run appends to the usage ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerMode {
    /// Append to `EngineSettings::ledger` (already `None` for `--no-ledger` and `--mock`).
    Auto,
    /// Never (bench, check, tests).
    Off,
}

/// How a command wants the engine to behave (as opposed to what the user configured).
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Subcommand name, written into ledger lines.
    pub command: &'static str,
    pub ledger: LedgerMode,
    pub printer: crate::output::Printer,
    /// Retry pacing; `None` = defaults for `settings.max_retries` (honours
    /// `LLMKIT_TEST_NO_BACKOFF`).
    pub retry: Option<RetryPolicy>,
    pub breaker: BreakerConfig,
    /// Knobs of the embedded server for `--mock` runs (from the command's `MockArgs`);
    /// `None` = `MockConfig::default()` (zero latency, no limits, no faults).
    pub mock: Option<crate::mock::MockConfig>,
    /// Adapt to the server (AIMD concurrency, limits learned from headers, a shared pause
    /// after a 429). `false` = a fixed limiter ([`ratelimit::RateLimiter::fixed`]), for bench.
    pub adaptive: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            command: "",
            ledger: LedgerMode::Off,
            printer: crate::output::Printer::silent(),
            retry: None,
            breaker: BreakerConfig::default(),
            mock: None,
            adaptive: true,
        }
    }
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// Caller's id (batch `custom_id`); the engine numbers requests without one.
    pub id: Option<String>,
    /// The canonical body. An empty `model` means the endpoint's model.
    pub body: ChatBody,
    /// t0 for timings (bench's scheduled send time); default: when the call starts.
    pub start: Option<Instant>,
}

impl ChatRequest {
    pub fn new(body: ChatBody) -> ChatRequest {
        ChatRequest { id: None, body, start: None }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> ChatRequest {
        self.id = Some(id.into());
        self
    }

    pub fn with_start(mut self, start: Instant) -> ChatRequest {
        self.start = Some(start);
        self
    }
}

/// What a stream sink receives.
#[derive(Debug)]
pub enum StreamEvent<'a> {
    /// A canonical chunk (text, reasoning or tool-call deltas, finish reason, usage), with its
    /// arrival instant.
    Chunk { at: Instant, chunk: &'a ChatChunk },
    /// The stream broke and a new attempt starts. `continued` is true when output had been
    /// delivered: the chunks that follow continue it (nothing is repeated); false when nothing
    /// had been delivered (a restart).
    Resumed { at: Instant, attempt: u32, continued: bool },
}

/// The result of one request, and its record (always present, success or not).
#[derive(Debug)]
pub struct Outcome {
    pub record: RequestRecord,
    pub result: Result<ChatResponse, EngineError>,
}

impl Outcome {
    pub fn into_result(self) -> Result<ChatResponse, EngineError> {
        self.result
    }
}

/// A failed request: the failure class, the HTTP status, and the server's own message. As an
/// `anyhow` error its chain carries the classified [`crate::error::Error`], so `main` exits
/// with 2 (config), 3 (auth), 4 (rejected) or 5 (unavailable).
#[derive(Debug)]
pub struct EngineError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// The server's message (or ours for local failures). Never contains a key.
    pub message: String,
    /// Profile the failure belongs to.
    pub profile: String,
    class: crate::error::Error,
    output: Option<anyhow::Error>,
}

impl EngineError {
    pub fn new(
        kind: ErrorKind,
        status: Option<u16>,
        message: impl Into<String>,
        profile: &str,
    ) -> EngineError {
        let message = message.into();
        let class = match kind.exit_code() {
            2 => crate::error::Error::Usage(message.clone()),
            3 => crate::error::Error::Auth { status: status.unwrap_or(0), message: message.clone() },
            4 => crate::error::Error::Rejected { status: status.unwrap_or(0), message: message.clone() },
            _ => crate::error::Error::Unavailable(match status {
                Some(s) => format!("{} ({s}): {message}", kind.as_str()),
                None => format!("{}: {message}", kind.as_str()),
            }),
        };
        EngineError { kind, status, message, profile: profile.to_string(), class, output: None }
    }

    fn output(err: anyhow::Error, profile: &str) -> EngineError {
        let mut e = EngineError::new(ErrorKind::Output, None, format!("{err:#}"), profile);
        e.output = Some(err);
        e
    }

    /// The exit code this failure maps to.
    pub fn exit_code(&self) -> u8 {
        match &self.output {
            Some(e) => crate::error::exit_code_for(e),
            None => self.class.exit_code(),
        }
    }

    fn with_message(mut self, message: String) -> EngineError {
        let fresh = EngineError::new(self.kind, self.status, message, &self.profile);
        self.class = fresh.class;
        self.message = fresh.message;
        self
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile `{}`", self.profile)
    }
}

impl std::error::Error for EngineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.output {
            Some(e) => Some(e.as_ref()),
            None => Some(&self.class),
        }
    }
}

/// Running totals over every request of this engine, for progress lines and summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub requests: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub cache_hits: u64,
    pub usage: Usage,
    /// Sum of priced requests (cache hits cost nothing); `None` when nothing was priced.
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    cache_hits: AtomicU64,
    input: AtomicU64,
    cached: AtomicU64,
    cache_write: AtomicU64,
    output: AtomicU64,
    reasoning: AtomicU64,
}

/// One endpoint of the fallback chain.
#[derive(Debug)]
struct Endpoint {
    settings: EndpointSettings,
    wire: Wire,
    base_url: String,
    key: Key,
    breaker: Breaker,
    /// Where the engine puts the credential; `None` = the provider places the key itself.
    placement: Option<Placement>,
    /// The token of an `auth = "oauth2"` endpoint.
    oauth: Option<oauth::TokenProvider>,
}

/// Where the engine (rather than the provider) puts a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// `Authorization: Bearer SECRET`.
    Bearer,
    /// `NAME: SECRET`.
    Header(&'static str),
    /// `?access_token=SECRET` (never in `RequestRecord::url`: it is added after the URL is
    /// recorded).
    Query,
}

impl Placement {
    fn of(auth: &Auth, wire: Wire) -> Option<Placement> {
        match auth {
            Auth::Provider => None,
            Auth::Bearer => Some(Placement::Bearer),
            Auth::ApiKey => {
                Some(Placement::Header(if wire == Wire::Anthropic { "x-api-key" } else { "api-key" }))
            }
            Auth::OAuth2(o) => Some(match o.placement {
                TokenPlacement::Bearer => Placement::Bearer,
                TokenPlacement::Query => Placement::Query,
            }),
        }
    }

    /// Put `secret` on the request. [`REDACTED`] is placed verbatim (for `--dry-run`).
    fn apply(self, spec: &mut HttpRequestSpec, secret: &str) {
        match self {
            Placement::Bearer => spec.headers.push(("authorization", format!("Bearer {secret}"))),
            Placement::Header(name) => spec.headers.push((name, secret.to_string())),
            Placement::Query => {
                let pair = if secret == REDACTED {
                    format!("access_token={REDACTED}")
                } else {
                    serde_urlencoded::to_string([("access_token", secret)])
                        .unwrap_or_else(|_| format!("access_token={secret}"))
                };
                spec.url.push(if spec.url.contains('?') { '&' } else { '?' });
                spec.url.push_str(&pair);
            }
        }
    }
}

/// What dry runs and redacted messages show in place of a secret.
const REDACTED: &str = "[REDACTED]";

/// Remove a secret (as sent, and URL-encoded as in a query string) from a message.
fn redact_secret(message: &mut String, secret: &str) {
    if secret.is_empty() {
        return;
    }
    if message.contains(secret) {
        *message = message.replace(secret, REDACTED);
    }
    if let Ok(encoded) = serde_urlencoded::to_string([("", secret)]) {
        let encoded = encoded.trim_start_matches('=');
        if !encoded.is_empty() && message.contains(encoded) {
            *message = message.replace(encoded, REDACTED);
        }
    }
}

/// The credential of one attempt: the static key or the current OAuth2 token.
struct Credential {
    secret: keys::Secret,
    /// The token generation (OAuth2 only), for the single-flight 401 refresh.
    generation: Option<u64>,
}

fn token_error(e: oauth::TokenError, profile: &str) -> EngineError {
    EngineError::new(e.kind, e.status, e.message, profile)
}

impl Endpoint {
    /// The key for the provider to place, when the provider places it.
    fn provider_key<'a>(&self, key: Option<&'a str>) -> Option<&'a str> {
        if self.placement.is_none() {
            key
        } else {
            None
        }
    }

    /// Where the credential comes from, as recorded in ledgers (never the credential).
    fn key_name(&self) -> Option<String> {
        match &self.oauth {
            Some(tp) => tp.secret_name(),
            None => self.key.name(),
        }
    }

    fn model_for<'a>(&'a self, body: &'a ChatBody) -> &'a str {
        if body.model.is_empty() {
            self.settings.model.as_deref().unwrap_or("")
        } else {
            &body.model
        }
    }
}

/// Facts about a configured endpoint (for `check` and messages).
#[derive(Debug, Clone)]
pub struct EndpointInfo {
    pub profile: String,
    pub provider: crate::cli::ProviderKind,
    pub base_url: String,
    pub model: Option<String>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    endpoints: Vec<Endpoint>,
    limiter: RateLimiter,
    policy: RetryPolicy,
    timeout: Duration,
    writer: Option<RecordWriter>,
    cache: Option<ResponseCache>,
    command: &'static str,
    printer: crate::output::Printer,
    run_start: Instant,
    next_id: AtomicU64,
    counters: Counters,
    notes_shown: AtomicBool,
    /// The embedded server of a `--mock` run (dropping it stops it).
    _mock: Option<crate::mock::MockServer>,
    prices: crate::pricing::PriceTable,
    /// Model name -> its price (`None`: unpriced), so resolution runs once per model.
    price_cache: std::sync::Mutex<std::collections::HashMap<String, Option<crate::pricing::ModelPrice>>>,
    /// Sum of priced costs, in billionths of a dollar.
    cost_nano_usd: AtomicU64,
    /// At least one response was priced (else `Totals::cost_usd` is `None`).
    priced: AtomicBool,
}

/// See [`Engine::direct_plan`]. Holds the API key in its headers: never print it.
pub struct DirectPlan {
    pub requests: Vec<HttpRequestSpec>,
    pub wire: crate::provider::Wire,
    pub timeout: Duration,
    pub max_in_flight: usize,
}

/// The shared request engine. Clone it freely: clones share everything.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Per-request state that survives retries and fallbacks.
#[derive(Default)]
struct ReqState {
    /// Everything delivered so far, assembled.
    assembler: StreamAssembler,
    /// Usage summed over attempts that reported one.
    usage: Option<Usage>,
    /// Filter for the current continuation attempt.
    filter: Option<ContinuationFilter>,
    rate_headers_seen: bool,
}

impl ReqState {
    fn add_usage(&mut self, u: Usage) {
        self.usage.get_or_insert_with(Usage::default).add(&u);
    }
}

/// Why an attempt failed, and whether another attempt may help.
struct Failure {
    kind: ErrorKind,
    status: Option<u16>,
    message: String,
    retryable: bool,
    server_wait: Option<Duration>,
    /// The sink's own error, for [`ErrorKind::Output`] (kept whole for the error chain).
    output: Option<anyhow::Error>,
}

impl Failure {
    fn new(kind: ErrorKind, status: Option<u16>, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            status,
            message: message.into(),
            retryable: kind.is_transient(),
            server_wait: None,
            output: None,
        }
    }
}

enum EndpointError {
    /// Try the next endpoint.
    Fallback(EngineError),
    /// Stop here.
    Final(EngineError),
}

type Sink<'s> = Option<&'s mut (dyn FnMut(StreamEvent<'_>) -> anyhow::Result<()> + Send)>;

impl Engine {
    /// Build the engine: HTTP client, limiter, breakers, writers (files are opened here, so a
    /// bad `--record` path fails before any request). Keys are resolved on first use.
    pub async fn new(settings: EngineSettings, opts: EngineOptions) -> anyhow::Result<Engine> {
        let EngineSettings {
            endpoints,
            rpm,
            tpm,
            concurrency,
            max_retries,
            timeout,
            mock,
            record,
            ledger,
            cache,
            prices,
        } = settings;
        let prices = crate::pricing::PriceTable::load(prices.as_deref())?;
        let mut endpoints = endpoints;
        // `--mock`: the embedded server, in-process on an ephemeral loopback port, answers for
        // the primary endpoint; it lives as long as the engine.
        let mock_server = if mock {
            let server = crate::mock::start(opts.mock.clone().unwrap_or_default()).await?;
            if let Some(primary) = endpoints.first_mut() {
                primary.base_url = Some(match primary.provider {
                    crate::cli::ProviderKind::Anthropic => server.anthropic_base_url(),
                    _ => server.openai_base_url(),
                });
                if primary.model.is_none() {
                    primary.model = Some(MOCK_MODEL.to_string());
                }
            }
            Some(server)
        } else {
            None
        };
        let mut eps = Vec::with_capacity(endpoints.len());
        for ep in endpoints {
            let base_url = ep.base_url.clone().ok_or_else(|| {
                crate::error::Error::usage(format!(
                    "profile `{}` has no base_url (set --base-url or the profile's base_url)",
                    ep.profile
                ))
            })?;
            let wire = Wire::of(ep.provider);
            eps.push(Endpoint {
                wire,
                key: Key::new(ep.key.clone(), &ep.profile),
                breaker: Breaker::new(opts.breaker),
                placement: Placement::of(&ep.auth, wire),
                oauth: match &ep.auth {
                    Auth::OAuth2(o) => Some(oauth::TokenProvider::new(o.clone(), &ep.profile)),
                    _ => None,
                },
                base_url,
                settings: ep,
            });
        }
        if eps.is_empty() {
            return Err(crate::error::Error::usage("no endpoint configured").into());
        }
        let max_concurrency = concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        let client = reqwest::Client::builder()
            .user_agent(concat!("llmkit/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(max_concurrency.max(64) * 2)
            .connect_timeout(timeout.min(Duration::from_secs(30)))
            .build()?;
        let ledger = match opts.ledger {
            LedgerMode::Auto => ledger,
            LedgerMode::Off => None,
        };
        let writer = RecordWriter::start(ledger.as_deref(), record.as_deref(), opts.printer)?;
        Ok(Engine {
            inner: Arc::new(Inner {
                client,
                endpoints: eps,
                limiter: if opts.adaptive {
                    RateLimiter::new(Limits { rpm, tpm, max_concurrency })
                } else {
                    RateLimiter::fixed(Limits { rpm, tpm, max_concurrency })
                },
                policy: opts.retry.unwrap_or_else(|| RetryPolicy::new(max_retries)),
                timeout,
                writer,
                cache: cache.map(ResponseCache::new),
                command: opts.command,
                printer: opts.printer,
                run_start: Instant::now(),
                next_id: AtomicU64::new(1),
                counters: Counters::default(),
                notes_shown: AtomicBool::new(false),
                _mock: mock_server,
                prices,
                price_cache: std::sync::Mutex::new(std::collections::HashMap::new()),
                cost_nano_usd: AtomicU64::new(0),
                priced: AtomicBool::new(false),
            }),
        })
    }

    /// Send a request and wait for the whole (non-stream) response.
    pub async fn execute(&self, req: ChatRequest) -> Outcome {
        self.run(req, None).await
    }

    /// Send a streaming request; `on_event` gets every chunk as it arrives. The returned
    /// outcome holds the assembled response (what a non-stream call would have returned).
    /// An error from `on_event` (e.g. stdout closed) stops the stream and fails the request
    /// with [`ErrorKind::Output`].
    pub async fn stream<F>(&self, req: ChatRequest, mut on_event: F) -> Outcome
    where
        F: FnMut(StreamEvent<'_>) -> anyhow::Result<()> + Send,
    {
        self.run(req, Some(&mut on_event)).await
    }

    /// The exact HTTP request the primary endpoint would receive, with secret headers
    /// redacted. Nothing is sent and no key is read.
    pub fn dry_run(&self, req: &ChatRequest, stream: bool) -> Result<HttpRequestSpec, EngineError> {
        let ep = &self.inner.endpoints[0];
        let placeholder = ep.key.name().map(|_| REDACTED);
        let prepared = ep
            .wire
            .prepare(&req.body, &target(ep, ep.provider_key(placeholder)), stream)
            .map_err(|e| EngineError::new(ErrorKind::Config, None, e.0, &ep.settings.profile))?;
        let mut spec = prepared.spec;
        if let Some(p) = ep.placement {
            if ep.oauth.is_some() || placeholder.is_some() {
                p.apply(&mut spec, REDACTED);
            }
        }
        Ok(spec.redacted())
    }

    /// Token requests sent so far for endpoint `index` (`None` unless it uses OAuth2).
    pub fn token_fetches(&self, index: usize) -> Option<u64> {
        self.inner.endpoints.get(index)?.oauth.as_ref().map(|tp| tp.fetch_count())
    }

    /// The credential for the next attempt on `ep`.
    async fn credential(
        &self,
        ep: &Endpoint,
        key: &Option<keys::Secret>,
    ) -> Result<Option<Credential>, EngineError> {
        let inner = &*self.inner;
        match &ep.oauth {
            Some(tp) => {
                let token = tp
                    .token(|| tp.fetch_http(&inner.client, &inner.policy, inner.timeout))
                    .await
                    .map_err(|e| token_error(e, &ep.settings.profile))?;
                Ok(Some(Credential { secret: token.value, generation: Some(token.generation) }))
            }
            None => Ok(key.clone().map(|secret| Credential { secret, generation: None })),
        }
    }

    /// For a load generator that sends requests itself (`bench`'s direct path): the exact
    /// HTTP request one attempt would send for each body, key included, when sending it
    /// directly is all the engine would do: one endpoint over plain `http://`, no retries, no
    /// rate limit, no cache, no recording, no OAuth2. `None` otherwise, or when a request cannot be
    /// prepared (the engine path then reports the error per request as usual).
    pub async fn direct_plan(&self, bodies: &[ChatBody], stream: bool) -> Option<DirectPlan> {
        let inner = &*self.inner;
        let [ep] = inner.endpoints.as_slice() else { return None };
        let plain = inner.policy.max_retries == 0
            && !inner.limiter.has_buckets()
            && inner.cache.is_none()
            && inner.writer.is_none()
            && ep.base_url.starts_with("http://");
        if !plain {
            return None;
        }
        // OAuth2 tokens expire and are refreshed on 401: only the engine's path does that.
        if ep.oauth.is_some() {
            return None;
        }
        let key = ep.key.get().await.ok()?;
        let secret = key.as_ref().map(|k| k.expose());
        let target = target(ep, ep.provider_key(secret));
        let requests = bodies
            .iter()
            .map(|b| {
                let mut spec = ep.wire.prepare(b, &target, stream).ok()?.spec;
                if let (Some(p), Some(s)) = (ep.placement, secret) {
                    p.apply(&mut spec, s);
                }
                Some(spec)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(DirectPlan {
            requests,
            wire: ep.wire,
            timeout: inner.timeout,
            max_in_flight: inner.limiter.concurrency_limit(),
        })
    }

    /// Totals over every request so far.
    pub fn totals(&self) -> Totals {
        let c = &self.inner.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Totals {
            requests: l(&c.requests),
            succeeded: l(&c.succeeded),
            failed: l(&c.failed),
            retries: l(&c.retries),
            rate_limited: l(&c.rate_limited),
            cache_hits: l(&c.cache_hits),
            usage: Usage {
                input_tokens: l(&c.input),
                cached_tokens: l(&c.cached),
                cache_write_tokens: l(&c.cache_write),
                output_tokens: l(&c.output),
                reasoning_tokens: l(&c.reasoning),
            },
            cost_usd: self
                .inner
                .priced
                .load(Ordering::Relaxed)
                .then(|| self.inner.cost_nano_usd.load(Ordering::Relaxed) as f64 / 1e9),
        }
    }

    /// USD for `usage` on `model` at standard rates; `None` for models the price table does
    /// not know (never a silent 0).
    pub fn price(&self, model: &str, usage: &Usage) -> Option<f64> {
        let mut cache = self.inner.price_cache.lock().unwrap_or_else(|p| p.into_inner());
        let price = cache
            .entry(model.to_string())
            .or_insert_with(|| self.inner.prices.resolve(model).map(|r| r.price.clone()));
        price.as_ref().map(|p| p.cost(usage, false))
    }

    /// The fallback chain, primary first.
    pub fn endpoints(&self) -> Vec<EndpointInfo> {
        self.inner
            .endpoints
            .iter()
            .map(|e| EndpointInfo {
                profile: e.settings.profile.clone(),
                provider: e.settings.provider,
                base_url: e.base_url.clone(),
                model: e.settings.model.clone(),
            })
            .collect()
    }

    /// Breaker state of endpoint `index` of the chain.
    pub fn breaker_state(&self, index: usize) -> Option<BreakerState> {
        self.inner.endpoints.get(index).map(|e| e.breaker.state())
    }

    /// Current concurrency limit (AIMD-adjusted when no rate limit is configured).
    pub fn concurrency_limit(&self) -> usize {
        self.inner.limiter.concurrency_limit()
    }

    /// Wait until every ledger and recording line queued so far is on disk. Call before
    /// exiting.
    pub async fn flush(&self) {
        if let Some(w) = &self.inner.writer {
            w.flush().await;
        }
    }

    async fn run(&self, req: ChatRequest, mut sink: Sink<'_>) -> Outcome {
        let inner = &*self.inner;
        let ChatRequest { id, body, start } = req;
        let start = start.unwrap_or_else(Instant::now);
        let stream = sink.is_some();
        let id = id.unwrap_or_else(|| format!("req-{}", inner.next_id.fetch_add(1, Ordering::Relaxed)));
        let primary = &inner.endpoints[0];
        let mut rec = RequestRecord {
            id,
            start,
            started_at: SystemTime::now() - start.elapsed(),
            sent: None,
            first_byte: None,
            first_output: None,
            end: start,
            status: None,
            retries: 0,
            rate_limited: 0,
            resumed: 0,
            usage: None,
            cost_usd: None,
            error: None,
            error_message: None,
            profile: primary.settings.profile.clone(),
            provider: primary.settings.provider,
            url: String::new(),
            model: primary.model_for(&body).to_string(),
            cache_hit: false,
            stream,
            key_name: primary.key_name(),
            user: body.user.clone(),
        };
        inner.counters.requests.fetch_add(1, Ordering::Relaxed);

        let cache_on = inner.cache.as_ref().is_some_and(|c| c.applies(&body));
        if cache_on {
            if let Some(hit) = self.cache_lookup(&body, &mut rec, &mut sink).await {
                return self.finish(rec, &body, hit).await;
            }
        }

        let tokens = self.estimate_cost(&body);
        let mut state = ReqState::default();
        let mut errors: Vec<EngineError> = Vec::new();
        // Breakers route around sick endpoints; with nowhere else to go they only count.
        let routing = inner.endpoints.len() > 1;
        for ep in &inner.endpoints {
            if routing && !ep.breaker.allow() {
                errors.push(EngineError::new(
                    ErrorKind::BreakerOpen,
                    None,
                    "circuit breaker open after repeated failures",
                    &ep.settings.profile,
                ));
                continue;
            }
            rec.profile.clone_from(&ep.settings.profile);
            rec.provider = ep.settings.provider;
            rec.model = ep.model_for(&body).to_string();
            rec.key_name = ep.key_name();
            match self.on_endpoint(ep, &body, &mut rec, &mut state, &mut sink, tokens).await {
                Ok(resp) => {
                    if cache_on {
                        self.cache_store(ep, &body, &resp).await;
                    }
                    return self.finish(rec, &body, Ok(resp)).await;
                }
                Err(EndpointError::Fallback(e)) => errors.push(e),
                Err(EndpointError::Final(e)) => {
                    errors.push(e);
                    break;
                }
            }
        }
        let err = combine(errors, &primary.settings.profile);
        self.finish(rec, &body, Err(err)).await
    }

    async fn cache_lookup(
        &self,
        body: &ChatBody,
        rec: &mut RequestRecord,
        sink: &mut Sink<'_>,
    ) -> Option<Result<ChatResponse, EngineError>> {
        let cache = self.inner.cache.as_ref()?;
        for ep in &self.inner.endpoints {
            let url = target_url(ep);
            let key = ResponseCache::key(body, &url, ep.model_for(body));
            let Some(resp) = cache.get(&key).await else { continue };
            let now = Instant::now();
            rec.cache_hit = true;
            rec.profile.clone_from(&ep.settings.profile);
            rec.provider = ep.settings.provider;
            rec.url = url;
            rec.status = Some(200);
            rec.first_byte = Some(now);
            rec.first_output = Some(now);
            if let Some(sink) = sink.as_deref_mut() {
                // A hit replays as one chunk carrying the whole answer.
                let chunk = response_as_chunk(&resp);
                if let Err(e) = sink(StreamEvent::Chunk { at: now, chunk: &chunk }) {
                    return Some(Err(EngineError::output(e, &ep.settings.profile)));
                }
            }
            self.inner.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Some(Ok(resp));
        }
        None
    }

    async fn cache_store(&self, ep: &Endpoint, body: &ChatBody, resp: &ChatResponse) {
        let Some(cache) = &self.inner.cache else { return };
        let key = ResponseCache::key(body, &target_url(ep), ep.model_for(body));
        if let Err(e) = cache.put(&key, resp).await {
            self.inner.printer.warn(format!("response cache: cannot store an entry: {e}"));
        }
    }

    /// All attempts on one endpoint.
    async fn on_endpoint(
        &self,
        ep: &Endpoint,
        body: &ChatBody,
        rec: &mut RequestRecord,
        state: &mut ReqState,
        sink: &mut Sink<'_>,
        tokens: u64,
    ) -> Result<ChatResponse, EndpointError> {
        let inner = &*self.inner;
        let profile = ep.settings.profile.as_str();
        let key = match ep.key.get().await {
            Ok(k) => k,
            Err(msg) => {
                return Err(EndpointError::Fallback(EngineError::new(ErrorKind::Config, None, msg, profile)))
            }
        };
        let stream = sink.is_some();
        let mut attempt: u32 = 0;
        let mut token_refreshed = false;
        loop {
            let continuing = !state.assembler.text().is_empty();
            let sent_body =
                if continuing { continuation_body(body, state.assembler.text(), ep.wire) } else { None };
            let prepared = match ep.wire.prepare(
                sent_body.as_ref().unwrap_or(body),
                &target(ep, ep.provider_key(key.as_ref().map(|k| k.expose()))),
                stream,
            ) {
                Ok(p) => p,
                Err(ProviderError(msg)) => {
                    return Err(EndpointError::Fallback(EngineError::new(
                        ErrorKind::Config,
                        None,
                        msg,
                        profile,
                    )))
                }
            };
            if !prepared.notes.is_empty() && !inner.notes_shown.swap(true, Ordering::Relaxed) {
                for n in &prepared.notes {
                    inner.printer.verbose(format!("profile `{profile}`: {n}"));
                }
            }
            state.filter = continuing.then(|| ContinuationFilter::new(state.assembler.text(), ep.wire));
            rec.url.clone_from(&prepared.spec.url);
            let mut spec = prepared.spec;
            let credential = self.credential(ep, &key).await.map_err(EndpointError::Fallback)?;
            if let (Some(p), Some(c)) = (ep.placement, &credential) {
                p.apply(&mut spec, c.secret.expose());
            }

            let permit = inner.limiter.admit(tokens).await;
            if rec.sent.is_none() {
                rec.sent = Some(Instant::now());
            }
            let result = self.attempt(ep, spec, rec, state, sink).await;
            match result {
                Ok(resp) => {
                    inner.limiter.on_success();
                    ep.breaker.record_success();
                    if tokens > 0 {
                        let u = state.usage.unwrap_or_default();
                        let actual = u.input_tokens + body.max_output_tokens().unwrap_or(u.output_tokens);
                        inner.limiter.reconcile(tokens, actual, Some(u.output_tokens));
                    }
                    return Ok(resp);
                }
                Err(mut f) => {
                    if let Some(e) = f.output.take() {
                        return Err(EndpointError::Final(EngineError::output(e, profile)));
                    }
                    // An expired or revoked OAuth2 token: refresh it (once for every worker
                    // refused with the same token) and resend once; not a retry.
                    let generation = credential.as_ref().and_then(|c| c.generation);
                    if let (Some(tp), Some(g), Some(401), false) =
                        (&ep.oauth, generation, f.status, token_refreshed)
                    {
                        token_refreshed = true;
                        drop(permit);
                        inner
                            .printer
                            .verbose(format!("profile `{profile}`: token refused (401); refreshing it"));
                        tp.refresh_after_reject(g, || {
                            tp.fetch_http(&inner.client, &inner.policy, inner.timeout)
                        })
                        .await
                        .map_err(|e| EndpointError::Fallback(token_error(e, profile)))?;
                        continue;
                    }
                    if f.kind.counts_against_endpoint() {
                        ep.breaker.record_failure();
                    }
                    let wait = inner.policy.wait(attempt, f.server_wait);
                    if f.kind == ErrorKind::RateLimited {
                        rec.rate_limited += 1;
                        inner.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                        inner.limiter.on_rate_limited(&permit, wait);
                    }
                    drop(permit);
                    // A server that echoes the key (or a transport error quoting a URL with the
                    // token) must not make us print it.
                    if let Some(k) = &key {
                        redact_secret(&mut f.message, k.expose());
                    }
                    if let Some(c) = &credential {
                        redact_secret(&mut f.message, c.secret.expose());
                    }
                    let err = EngineError::new(f.kind, f.status, f.message.clone(), profile);
                    let broke_in_tools = state.assembler.has_tool_calls();
                    let exhausted = attempt >= inner.policy.max_retries;
                    if !f.retryable || exhausted || broke_in_tools || wait > retry::MAX_SERVER_WAIT {
                        let err = if broke_in_tools {
                            err.with_message(format!(
                                "{} (the stream broke inside tool-call output, which cannot be continued)",
                                f.message
                            ))
                        } else if exhausted && f.retryable {
                            err.with_message(format!("{} (after {} retries)", f.message, attempt))
                        } else {
                            err
                        };
                        return Err(if falls_back(&err) {
                            EndpointError::Fallback(err)
                        } else {
                            EndpointError::Final(err)
                        });
                    }
                    if inner.endpoints.len() > 1 && ep.breaker.state() == BreakerState::Open {
                        return Err(EndpointError::Fallback(err));
                    }
                    attempt += 1;
                    rec.retries += 1;
                    inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                    inner.printer.verbose(format!(
                        "profile `{profile}`: {} {}: {}; retry {attempt} in {:.1?}",
                        f.kind.as_str(),
                        f.status.map(|s| s.to_string()).unwrap_or_default(),
                        crate::provider::truncate(&f.message, 200),
                        wait
                    ));
                    // A 429's wait is served by the limiter's shared pause.
                    if f.kind != ErrorKind::RateLimited && !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    if let Some(sink) = sink.as_deref_mut() {
                        if rec.first_byte.is_some() {
                            let continued = !state.assembler.text().is_empty();
                            if continued {
                                rec.resumed += 1;
                            }
                            let ev = StreamEvent::Resumed { at: Instant::now(), attempt, continued };
                            if let Err(e) = sink(ev) {
                                return Err(EndpointError::Final(EngineError::output(e, profile)));
                            }
                        }
                    }
                }
            }
        }
    }

    /// One HTTP exchange.
    async fn attempt(
        &self,
        ep: &Endpoint,
        spec: HttpRequestSpec,
        rec: &mut RequestRecord,
        state: &mut ReqState,
        sink: &mut Sink<'_>,
    ) -> Result<ChatResponse, Failure> {
        let inner = &*self.inner;
        let method = if spec.method == "GET" { reqwest::Method::GET } else { reqwest::Method::POST };
        let mut rb = inner.client.request(method, &spec.url);
        for (k, v) in &spec.headers {
            rb = rb.header(*k, v);
        }
        let sent_at = tokio::time::Instant::now();
        let deadline = sent_at + inner.timeout;
        let resp = match tokio::time::timeout_at(deadline, rb.body(spec.body).send()).await {
            Err(_) => {
                return Err(Failure::new(
                    ErrorKind::Timeout,
                    None,
                    format!("no response within {:?}", inner.timeout),
                ))
            }
            Ok(Err(e)) => return Err(transport_failure(&e)),
            Ok(Ok(r)) => r,
        };
        inner.limiter.observe_rtt(sent_at.elapsed());
        let status = resp.status().as_u16();
        rec.status = Some(status);
        let rate = ratelimit::parse_rate_headers(resp.headers(), SystemTime::now());
        if !rate.is_empty() {
            state.rate_headers_seen = true;
            inner.limiter.observe(&rate);
        }
        if !resp.status().is_success() {
            let retryable = retry::status_is_transient(status, resp.headers());
            let server_wait = retry::server_wait(resp.headers(), SystemTime::now());
            let body = match tokio::time::timeout_at(deadline, resp.bytes()).await {
                Ok(Ok(b)) => b.to_vec(),
                _ => Vec::new(),
            };
            let kind = match status {
                401 | 403 => ErrorKind::Auth,
                429 => ErrorKind::RateLimited,
                s if s >= 500 => ErrorKind::Server,
                _ => ErrorKind::Rejected,
            };
            let message = crate::provider::error_message(&body);
            return Err(Failure {
                kind,
                status: Some(status),
                message,
                retryable,
                server_wait,
                output: None,
            });
        }
        let stream = sink.is_some();
        if !stream {
            let bytes = match tokio::time::timeout_at(deadline, resp.bytes()).await {
                Err(_) => {
                    return Err(Failure::new(ErrorKind::Timeout, Some(status), "response body timed out"))
                }
                Ok(Err(e)) => return Err(transport_failure(&e)),
                Ok(Ok(b)) => b,
            };
            let now = Instant::now();
            rec.first_byte = Some(now);
            let parsed = ep.wire.parse_response(&bytes).map_err(|e| {
                let mut f = Failure::new(ErrorKind::Stream, Some(status), e.0);
                f.retryable = false;
                f
            })?;
            if let Some(u) = parsed.usage {
                state.add_usage(u.to_usage());
            }
            if parsed
                .choices
                .first()
                .is_some_and(|c| c.message.content.as_deref().is_some_and(|t| !t.is_empty()))
            {
                rec.first_output = Some(now);
            }
            return Ok(parsed);
        }
        self.read_stream(ep, resp, rec, state, sink).await
    }

    async fn read_stream(
        &self,
        ep: &Endpoint,
        resp: reqwest::Response,
        rec: &mut RequestRecord,
        state: &mut ReqState,
        sink: &mut Sink<'_>,
    ) -> Result<ChatResponse, Failure> {
        let status = rec.status;
        let idle = self.inner.timeout;
        let mut body = resp.bytes_stream();
        let mut parser = sse::SseParser::new();
        let mut decoder = ep.wire.stream_decoder();
        let mut events = Vec::new();
        let mut attempt_usage: Option<Usage> = None;
        let mut done = false;
        let broken = |msg: String| Failure::new(ErrorKind::Stream, status, msg);
        let result: Result<(), Failure> = 'read: loop {
            let next = match tokio::time::timeout(idle, body.next()).await {
                Err(_) => {
                    break 'read Err(Failure::new(
                        ErrorKind::Timeout,
                        status,
                        format!("stream stalled for {idle:?}"),
                    ))
                }
                Ok(n) => n,
            };
            let bytes = match next {
                None => break 'read Ok(()),
                Some(Err(e)) => break 'read Err(broken(format!("stream broke: {}", error_chain(&e)))),
                Some(Ok(b)) => b,
            };
            parser.feed(&bytes, &mut events);
            for ev in events.drain(..) {
                let item = match decoder.decode(&ev.event, &ev.data) {
                    Ok(i) => i,
                    Err(e) => break 'read Err(broken(e.0)),
                };
                match item {
                    StreamItem::Chunk(mut chunk) => {
                        let at = Instant::now();
                        rec.first_byte.get_or_insert(at);
                        if let Some(f) = &mut state.filter {
                            f.apply(&mut chunk);
                        }
                        if chunk.has_output() {
                            rec.first_output.get_or_insert(at);
                        }
                        if let Some(u) = chunk.usage {
                            attempt_usage = Some(u.to_usage());
                        }
                        state.assembler.push(&chunk);
                        if let Some(sink) = sink.as_deref_mut() {
                            if let Err(e) = sink(StreamEvent::Chunk { at, chunk: &chunk }) {
                                let mut f = Failure::new(ErrorKind::Output, status, format!("{e:#}"));
                                f.retryable = false;
                                f.output = Some(e);
                                return Err(f);
                            }
                        }
                    }
                    StreamItem::Skip => {}
                    StreamItem::Done => done = true,
                    StreamItem::Error { message, overloaded } => {
                        let mut f = Failure::new(
                            if overloaded { ErrorKind::Server } else { ErrorKind::Stream },
                            status,
                            message,
                        );
                        f.retryable = overloaded;
                        break 'read Err(f);
                    }
                }
            }
            if done {
                break 'read Ok(());
            }
        };
        if let Some(u) = attempt_usage {
            state.add_usage(u);
        }
        result?;
        if !done && !state.assembler.finished() {
            return Err(broken("stream ended before it was complete".into()));
        }
        if let Some(f) = &mut state.filter {
            f.flush_into(&mut state.assembler);
        }
        let mut assembled = std::mem::take(&mut state.assembler).finish();
        assembled.usage = state.usage.map(|u| crate::provider::WireUsage::from_usage(&u));
        Ok(assembled)
    }

    /// Complete the record, account for it, write ledger/recording lines.
    async fn finish(
        &self,
        mut rec: RequestRecord,
        body: &ChatBody,
        result: Result<ChatResponse, EngineError>,
    ) -> Outcome {
        let inner = &*self.inner;
        // The model that was asked for (the answer's may be a dated snapshot of it): what a
        // recording must hold for `serve --replay` to match the same request sent again.
        let requested_model = rec.model.clone();
        rec.end = Instant::now();
        let c = &inner.counters;
        match &result {
            Ok(resp) => {
                c.succeeded.fetch_add(1, Ordering::Relaxed);
                if !resp.model.is_empty() {
                    rec.model.clone_from(&resp.model);
                }
                rec.usage = resp.usage.map(|u| u.to_usage());
                if let Some(u) = rec.usage {
                    rec.cost_usd = if rec.cache_hit { Some(0.0) } else { self.price(&rec.model, &u) };
                    if let Some(c) = rec.cost_usd.filter(|_| !rec.cache_hit) {
                        c_add_cost(inner, c);
                    }
                }
                if let Some(u) = rec.usage.filter(|_| !rec.cache_hit) {
                    c.input.fetch_add(u.input_tokens, Ordering::Relaxed);
                    c.cached.fetch_add(u.cached_tokens, Ordering::Relaxed);
                    c.cache_write.fetch_add(u.cache_write_tokens, Ordering::Relaxed);
                    c.output.fetch_add(u.output_tokens, Ordering::Relaxed);
                    c.reasoning.fetch_add(u.reasoning_tokens, Ordering::Relaxed);
                }
            }
            Err(e) => {
                c.failed.fetch_add(1, Ordering::Relaxed);
                rec.error = Some(e.kind);
                rec.error_message = Some(e.message.clone());
                if rec.status.is_none() {
                    rec.status = e.status;
                }
            }
        }
        if let Some(w) = &inner.writer {
            let mut line = rec.ledger_line(inner.command, inner.run_start);
            let ledger = if w.ledger { json_line(&line) } else { None };
            let recording = if w.recording {
                line.request = Some(recorded_request(body, &rec, &requested_model));
                line.response = result.as_ref().ok().and_then(|r| serde_json::to_value(r).ok());
                json_line::<LedgerLine>(&line)
            } else {
                None
            };
            w.write(ledger, recording).await;
        }
        Outcome { record: rec, result }
    }

    /// Token cost for the TPM bucket: zero (no tokenizer work) unless a token bucket exists.
    fn estimate_cost(&self, body: &ChatBody) -> u64 {
        let limiter = &self.inner.limiter;
        if !limiter.counts_tokens() {
            return 0;
        }
        let model = self.inner.endpoints[0].model_for(body);
        let (enc, _) = crate::tokenize::encoding_for_model_or_default(Some(model).filter(|m| !m.is_empty()));
        estimate_prompt_tokens(enc, body)
            + body.max_output_tokens().unwrap_or_else(|| limiter.output_estimate())
    }
}

fn c_add_cost(inner: &Inner, usd: f64) {
    inner.cost_nano_usd.fetch_add((usd * 1e9).round() as u64, Ordering::Relaxed);
    inner.priced.store(true, Ordering::Relaxed);
}

/// Prompt tokens of a chat request, counted exactly as the embedded mock server counts them
/// (`tokenize::count_chat_request`), so a client with the server's limits gets no 429.
fn estimate_prompt_tokens(enc: crate::tokenize::Encoding, body: &ChatBody) -> u64 {
    match serde_json::to_value(body) {
        Ok(v) => crate::tokenize::count_chat_request(enc, &v).prompt_tokens,
        Err(_) => 0,
    }
}

fn target<'a>(ep: &'a Endpoint, api_key: Option<&'a str>) -> Target<'a> {
    Target {
        base_url: &ep.base_url,
        model: ep.settings.model.as_deref(),
        api_key,
        api_version: ep.settings.api_version.as_deref(),
    }
}

/// The chat URL of an endpoint (for cache keys and records).
fn target_url(ep: &Endpoint) -> String {
    let probe =
        ChatBody { model: ep.settings.model.clone().unwrap_or_else(|| "m".into()), ..ChatBody::default() };
    match ep.wire.prepare(&probe, &target(ep, None), false) {
        Ok(p) => p.spec.url,
        Err(_) => ep.base_url.clone(),
    }
}

fn transport_failure(e: &reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_body() || e.is_decode() {
        ErrorKind::Stream
    } else {
        ErrorKind::Connect
    };
    Failure::new(kind, None, error_chain(e))
}

/// An error and its sources on one line (reqwest's top-level message alone says little).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let m = inner.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = inner.source();
    }
    s
}

/// Whether a failure should move on to the next endpoint of the chain.
fn falls_back(e: &EngineError) -> bool {
    match e.kind {
        ErrorKind::Rejected => e.status == Some(404),
        ErrorKind::Output => false,
        _ => true,
    }
}

/// One error for the whole chain: the primary's class, every endpoint's message.
fn combine(mut errors: Vec<EngineError>, primary: &str) -> EngineError {
    if errors.is_empty() {
        return EngineError::new(ErrorKind::Config, None, "no endpoint could be tried", primary);
    }
    let first = errors.remove(0);
    if errors.is_empty() {
        return first;
    }
    let rest: Vec<String> =
        errors.iter().map(|e| format!("fallback `{}`: {}", e.profile, e.message)).collect();
    let message = format!("{}; {}", first.message, rest.join("; "));
    let output = first.output;
    let mut combined = EngineError::new(first.kind, first.status, message, &first.profile);
    combined.output = output;
    combined
}

/// The body of a continuation attempt: the partial answer as an assistant turn.
fn continuation_body(body: &ChatBody, partial: &str, wire: Wire) -> Option<ChatBody> {
    let mut b = body.clone();
    match wire {
        Wire::Anthropic => {
            // Anthropic continues an assistant prefill directly; it refuses trailing spaces.
            b.messages.push(Message::text("assistant", partial.trim_end()));
        }
        Wire::OpenAi | Wire::Azure => {
            b.messages.push(Message::text("assistant", partial));
            b.messages.push(Message::text("user", CONTINUE_PROMPT));
        }
    }
    Some(b)
}

/// Removes from a continuation what was already delivered: leading whitespace the prefill
/// had to drop, and a restart of the whole answer.
#[derive(Debug)]
struct ContinuationFilter {
    emitted: String,
    /// Continuation text held back while it still matches the start of `emitted`.
    held: String,
    strip_leading_ws: bool,
    passing: bool,
}

impl ContinuationFilter {
    fn new(emitted: &str, wire: Wire) -> ContinuationFilter {
        let trailing_ws = emitted.len() != emitted.trim_end().len();
        ContinuationFilter {
            emitted: emitted.to_string(),
            held: String::new(),
            strip_leading_ws: wire == Wire::Anthropic && trailing_ws,
            passing: false,
        }
    }

    /// Filter one piece of continuation text; returns what may be delivered now.
    fn filter(&mut self, text: &str) -> String {
        if self.passing {
            return text.to_string();
        }
        self.held.push_str(text);
        if self.strip_leading_ws {
            let trimmed = self.held.trim_start();
            if trimmed.is_empty() {
                self.held.clear();
                return String::new();
            }
            self.held = trimmed.to_string();
            self.strip_leading_ws = false;
        }
        if self.emitted.starts_with(&self.held) && self.held.len() < self.emitted.len() {
            return String::new();
        }
        self.passing = true;
        let held = std::mem::take(&mut self.held);
        match held.strip_prefix(&self.emitted) {
            Some(rest) => rest.to_string(),
            None => held,
        }
    }

    fn apply(&mut self, chunk: &mut ChatChunk) {
        if let Some(choice) = chunk.choices.first_mut() {
            if let Some(text) = choice.delta.content.take() {
                let out = self.filter(&text);
                choice.delta.content = (!out.is_empty()).then_some(out);
            }
        }
    }

    /// At the end of the stream, text still held is a repeat of what was delivered; it is
    /// dropped (see the module docs' limits).
    fn flush_into(&mut self, _assembler: &mut StreamAssembler) {
        self.held.clear();
    }
}

/// A cached (or any complete) response as one stream chunk.
fn response_as_chunk(resp: &ChatResponse) -> ChatChunk {
    use crate::provider::{ChunkChoice, Delta, FunctionDelta, ToolCallDelta};
    ChatChunk {
        id: resp.id.clone(),
        object: "chat.completion.chunk".into(),
        created: resp.created,
        model: resp.model.clone(),
        choices: resp
            .choices
            .iter()
            .map(|c| ChunkChoice {
                index: c.index,
                delta: Delta {
                    role: Some("assistant".into()),
                    content: c.message.content.clone(),
                    reasoning_content: c.message.reasoning_content.clone(),
                    tool_calls: c.message.tool_calls.as_ref().map(|calls| {
                        calls
                            .iter()
                            .enumerate()
                            .map(|(i, t)| ToolCallDelta {
                                index: i as u32,
                                id: Some(t.id.clone()),
                                kind: Some("function".into()),
                                function: Some(FunctionDelta {
                                    name: Some(t.function.name.clone()),
                                    arguments: Some(t.function.arguments.clone()),
                                }),
                            })
                            .collect()
                    }),
                    extra: Default::default(),
                },
                finish_reason: c.finish_reason.clone(),
                extra: Default::default(),
            })
            .collect(),
        usage: resp.usage,
        extra: Default::default(),
    }
}

/// The request as recorded: the canonical body with the model that was used.
fn recorded_request(body: &ChatBody, rec: &RequestRecord, requested_model: &str) -> Value {
    let mut v = serde_json::to_value(body).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        if body.model.is_empty() {
            map.insert("model".into(), Value::String(requested_model.to_string()));
        }
        if rec.stream {
            map.insert("stream".into(), Value::Bool(true));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Content;

    #[test]
    fn continuation_filter_drops_restarts_and_prefill_whitespace() {
        let mut f = ContinuationFilter::new("Hello wor", Wire::OpenAi);
        // The model restarts from the beginning: the repeat is suppressed.
        assert_eq!(f.filter("Hel"), "");
        assert_eq!(f.filter("lo w"), "");
        assert_eq!(f.filter("orld!"), "ld!");
        assert_eq!(f.filter(" More"), " More");

        let mut f = ContinuationFilter::new("Hello wor", Wire::OpenAi);
        assert_eq!(f.filter("ld"), "ld", "a true continuation passes at once");

        let mut f = ContinuationFilter::new("Hello ", Wire::Anthropic);
        assert_eq!(f.filter(" "), "");
        assert_eq!(f.filter(" world"), "world");
    }

    #[test]
    fn placements_put_the_secret_where_the_profile_says() {
        use crate::settings::{ClientAuth, KeySource, OAuth2Settings};
        let spec = || HttpRequestSpec {
            method: "POST",
            url: "http://x/v1/chat/completions".into(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let oauth = |placement| {
            Auth::OAuth2(OAuth2Settings {
                token_url: "http://t".into(),
                client_id: "c".into(),
                client_secret: KeySource::None,
                scope: None,
                audience: None,
                placement,
                client_auth: ClientAuth::Post,
            })
        };
        assert_eq!(Placement::of(&Auth::Provider, Wire::OpenAi), None);
        let cases = [
            (Auth::Bearer, Wire::Anthropic, ("authorization", "Bearer k+/1")),
            (Auth::ApiKey, Wire::Anthropic, ("x-api-key", "k+/1")),
            (Auth::ApiKey, Wire::OpenAi, ("api-key", "k+/1")),
            (oauth(TokenPlacement::Bearer), Wire::Azure, ("authorization", "Bearer k+/1")),
        ];
        for (auth, wire, header) in cases {
            let mut s = spec();
            Placement::of(&auth, wire).unwrap().apply(&mut s, "k+/1");
            assert_eq!(s.headers, vec![(header.0, header.1.to_string())], "{auth:?}");
        }
        let mut s = spec();
        s.url.push_str("?api-version=1");
        Placement::of(&oauth(TokenPlacement::Query), Wire::OpenAi).unwrap().apply(&mut s, "k+/1");
        assert_eq!(s.url, "http://x/v1/chat/completions?api-version=1&access_token=k%2B%2F1");
        assert!(s.headers.is_empty());

        let mut msg = "error sending request for url (http://x/?access_token=k%2B%2F1): k+/1".to_string();
        redact_secret(&mut msg, "k+/1");
        assert_eq!(msg, "error sending request for url (http://x/?access_token=[REDACTED]): [REDACTED]");
    }

    #[test]
    fn continuation_bodies_per_wire() {
        let body = ChatBody::user_prompt("m", "q");
        let b = continuation_body(&body, "part ", Wire::Anthropic).unwrap();
        assert_eq!(b.messages.len(), 2);
        assert_eq!(b.messages[1].content, Some(Content::Text("part".into())));
        let b = continuation_body(&body, "part ", Wire::OpenAi).unwrap();
        assert_eq!(b.messages.len(), 3);
        assert_eq!(b.messages[1].content, Some(Content::Text("part ".into())));
        assert_eq!(b.messages[2].role, "user");
    }

    #[test]
    fn engine_errors_classify_for_exit_codes() {
        let e = EngineError::new(ErrorKind::Auth, Some(401), "Incorrect API key", "p");
        let any = anyhow::Error::new(e);
        assert_eq!(crate::error::exit_code_for(&any), 3);
        assert_eq!(format!("{any:#}"), "profile `p`: authentication failed (401): Incorrect API key");
        let any = anyhow::Error::new(EngineError::new(ErrorKind::Server, Some(503), "down", "p"));
        assert_eq!(crate::error::exit_code_for(&any), 5);
        let any = anyhow::Error::new(EngineError::new(ErrorKind::Rejected, Some(400), "bad", "p"));
        assert_eq!(crate::error::exit_code_for(&any), 4);
        let any = anyhow::Error::new(EngineError::new(ErrorKind::Config, None, "no key", "p"));
        assert_eq!(crate::error::exit_code_for(&any), 2);
        let pipe = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe");
        let any = anyhow::Error::new(EngineError::output(anyhow::Error::new(pipe), "p"));
        assert!(crate::error::is_broken_pipe(&any));
    }

    #[test]
    fn prompt_estimates_count_messages_and_overhead() {
        let enc = crate::tokenize::Encoding::O200kBase;
        let body = ChatBody::user_prompt("m", "hello world");
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            estimate_prompt_tokens(enc, &body),
            crate::tokenize::count_chat_request(enc, &v).prompt_tokens
        );
        assert!(estimate_prompt_tokens(enc, &body) >= 3 + 3 + 2);
    }
}
