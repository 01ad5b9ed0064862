//! The embedded OpenAI- and Anthropic-compatible server (`llmkit serve`, and `--mock`).
//!
//! Every network feature of llmkit has to run, and be tested, with no network and no API key;
//! this server is what the engine talks to then. It answers like the real services (same JSON,
//! same SSE events, same error shapes and rate-limit headers) with deterministic replies whose
//! token counts are exact, and it can misbehave on purpose: latency, rate limits, error
//! statuses, dropped connections, cut streams, hangs.
//!
//! Layout: this file holds the configuration, the shared request pipeline ([`MockState`]:
//! auth -> body -> rate limit -> fault -> reply plan) and the router; each API lives in its own
//! module that contributes a `routes()` router (`openai`, `anthropic`; the Batch API and replay
//! modules plug in the same way); `server` owns sockets and connections.
//!
//! Public API (notes/CONTRACTS.md): [`MockConfig`], [`start`], [`bind`], [`spawn_thread`],
//! [`MockServer`], [`ThreadedMock`].

mod anthropic;
mod batches;
mod body;
mod faults;
mod limits;
mod message_batches;
mod oauth;
mod openai;
pub mod replay;
mod reply;
mod request;
mod server;
mod timer;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use bytes::Bytes;

pub use faults::{FailKind, FaultPlan, WeightedKind};
pub use oauth::{MockStats, OAuthClient, DEFAULT_TOKEN_TTL};
pub use server::{bind, bind_router, spawn_thread, start, MockServer, ThreadedMock};

use crate::cli::MockArgs;
use crate::error::Error;
use crate::tokenize::Encoding;
use body::{Latency, Paced};
use faults::ConnControl;
use limits::Limiter;
use reply::Rng;
use wire::{json_response, Api, ApiError};

/// An early answer (401, 400, 429, injected failure) that ends a request. Boxed: a
/// `Response` is large and these travel in `Result`s.
pub(crate) type Reject = Box<Response>;

/// Largest request body accepted (a long prompt fits; an accident does not).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Longest `--ttft` / `--itl`: a mock that waits longer than this per token is a typo.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);

/// Largest `--reply-tokens`.
pub const MAX_REPLY_TOKENS: u32 = 100_000;

/// Validated knobs of the embedded server.
#[derive(Clone, PartialEq)]
pub struct MockConfig {
    /// Seed of replies, embeddings, jitter and fault draws.
    pub seed: u64,
    /// Natural reply length; `max_tokens` below it cuts the reply (finish reason `length`).
    pub reply_tokens: u32,
    pub ttft: Duration,
    pub itl: Duration,
    /// Extra latency, a uniform fraction in `[0, jitter)` of each delay (`0..=1`).
    pub jitter: f64,
    pub rpm: Option<u32>,
    pub tpm: Option<u32>,
    pub faults: FaultPlan,
    /// Answer 401 unless the request carries this key. Never printed (see `Debug`).
    pub require_key: Option<String>,
    /// Clients `POST /oauth/token` grants tokens to; when any is set, API routes require a
    /// token (see `oauth`). Secrets never printed.
    pub oauth_clients: Vec<OAuthClient>,
    /// Lifetime of issued tokens.
    pub token_ttl: Duration,
}

impl Default for MockConfig {
    /// Zero latency, no limits, no faults, seed 0, 16-token replies.
    fn default() -> Self {
        MockConfig {
            seed: 0,
            reply_tokens: 16,
            ttft: Duration::ZERO,
            itl: Duration::ZERO,
            jitter: 0.0,
            rpm: None,
            tpm: None,
            faults: FaultPlan::none(),
            require_key: None,
            oauth_clients: Vec::new(),
            token_ttl: DEFAULT_TOKEN_TTL,
        }
    }
}

impl std::fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockConfig")
            .field("seed", &self.seed)
            .field("reply_tokens", &self.reply_tokens)
            .field("ttft", &self.ttft)
            .field("itl", &self.itl)
            .field("jitter", &self.jitter)
            .field("rpm", &self.rpm)
            .field("tpm", &self.tpm)
            .field("faults", &self.faults)
            .field("require_key", &self.require_key.as_ref().map(|_| "<redacted>"))
            .field("oauth_clients", &self.oauth_clients)
            .field("token_ttl", &self.token_ttl)
            .finish()
    }
}

impl MockConfig {
    /// Validate the `serve` / `--mock` flags. Errors are usage errors (exit 2) naming the flag.
    pub fn from_args(args: &MockArgs) -> anyhow::Result<MockConfig> {
        let MockArgs {
            seed,
            reply_tokens,
            ttft,
            itl,
            jitter,
            rpm,
            tpm,
            fail_rate,
            fail_kinds,
            require_key,
            oauth_client,
            token_ttl,
        } = args;
        let usage = |msg: String| anyhow::Error::new(Error::usage(msg));
        if !(1..=MAX_REPLY_TOKENS).contains(reply_tokens) {
            return Err(usage(format!(
                "--reply-tokens must be between 1 and {MAX_REPLY_TOKENS}, got {reply_tokens}"
            )));
        }
        if !(jitter.is_finite() && (0.0..=1.0).contains(jitter)) {
            return Err(usage(format!("--jitter must be a fraction between 0 and 1, got {jitter}")));
        }
        if !(fail_rate.is_finite() && (0.0..=1.0).contains(fail_rate)) {
            return Err(usage(format!("--fail-rate must be a probability between 0 and 1, got {fail_rate}")));
        }
        for (flag, delay) in [("--ttft", ttft), ("--itl", itl)] {
            if delay.is_some_and(|d| d > MAX_DELAY) {
                return Err(usage(format!("{flag} must be at most {}s", MAX_DELAY.as_secs())));
            }
        }
        if *rpm == Some(0) {
            return Err(usage("--rpm must be at least 1".to_string()));
        }
        if *tpm == Some(0) {
            return Err(usage("--tpm must be at least 1".to_string()));
        }
        let kinds = fail_kinds
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| k.parse::<WeightedKind>().map_err(|e| usage(format!("--fail-kinds: {e}"))))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if *fail_rate > 0.0 && kinds.is_empty() {
            return Err(usage("--fail-rate is set but --fail-kinds is empty".to_string()));
        }
        if require_key.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return Err(usage("--require-key must not be empty".to_string()));
        }
        let oauth_clients = oauth_client
            .iter()
            .map(|c| c.parse::<OAuthClient>().map_err(usage))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if require_key.is_some() && !oauth_clients.is_empty() {
            return Err(usage("--require-key and --oauth-client cannot be combined".to_string()));
        }
        let token_ttl = token_ttl.unwrap_or(DEFAULT_TOKEN_TTL);
        if token_ttl.is_zero() || token_ttl > oauth::MAX_TOKEN_TTL {
            return Err(usage(format!(
                "--token-ttl must be greater than zero and at most {} days",
                oauth::MAX_TOKEN_TTL.as_secs() / 86400
            )));
        }
        Ok(MockConfig {
            seed: *seed,
            reply_tokens: *reply_tokens,
            ttft: ttft.unwrap_or_default(),
            itl: itl.unwrap_or_default(),
            jitter: *jitter,
            rpm: *rpm,
            tpm: *tpm,
            faults: FaultPlan { rate: *fail_rate, kinds },
            require_key: require_key.clone(),
            oauth_clients,
            token_ttl,
        })
    }

    /// One line describing the active knobs, for the `serve` banner (the key is not shown).
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("seed {}", self.seed), format!("reply {} tokens", self.reply_tokens)];
        if !self.ttft.is_zero() {
            parts.push(format!("ttft {:?}", self.ttft));
        }
        if !self.itl.is_zero() {
            parts.push(format!("itl {:?}", self.itl));
        }
        if self.jitter > 0.0 {
            parts.push(format!("jitter {}", self.jitter));
        }
        if let Some(r) = self.rpm {
            parts.push(format!("rpm {r}"));
        }
        if let Some(t) = self.tpm {
            parts.push(format!("tpm {t}"));
        }
        if self.faults.rate > 0.0 {
            let kinds: Vec<String> =
                self.faults.kinds.iter().map(|k| format!("{}:{}", k.kind, k.weight)).collect();
            parts.push(format!("fail-rate {} ({})", self.faults.rate, kinds.join(",")));
        }
        if self.require_key.is_some() {
            parts.push("key required".to_string());
        }
        if !self.oauth_clients.is_empty() {
            parts.push(format!(
                "oauth2: {} client(s), token ttl {}, POST /oauth/token",
                self.oauth_clients.len(),
                humantime::format_duration(self.token_ttl)
            ));
        }
        parts.join(", ")
    }

    fn latency(&self) -> Latency {
        Latency { ttft: self.ttft, itl: self.itl, jitter: self.jitter }
    }
}

/// The encoding used to count tokens for `model`: tiktoken's for OpenAI models, o200k_base for
/// everything else (Claude and open models have no public local tokenizer; o200k is a close,
/// documented approximation).
pub(crate) fn encoding_for(model: &str) -> Encoding {
    Encoding::for_model(model).unwrap_or(Encoding::O200kBase)
}

/// Shared state of one server.
#[derive(Debug)]
pub struct MockState {
    pub config: MockConfig,
    limiter: Option<Limiter>,
    /// Requests that passed admission: numbers request ids and fault draws.
    admitted: AtomicU64,
    /// Issued OAuth2 tokens (inactive without `--oauth-client`).
    oauth: oauth::OAuthState,
}

impl MockState {
    pub fn new(config: MockConfig) -> Self {
        let limiter = Limiter::new(config.rpm, config.tpm);
        let oauth = oauth::OAuthState::new(config.oauth_clients.clone(), config.token_ttl, config.seed);
        MockState { config, limiter, admitted: AtomicU64::new(0), oauth }
    }

    /// Check `--require-key` against `Authorization: Bearer`, `x-api-key` and `api-key`.
    pub(crate) fn authorize(&self, headers: &HeaderMap, api: Api) -> Result<(), Reject> {
        let Some(expected) = self.config.require_key.as_deref() else { return Ok(()) };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let x_api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let api_key = headers.get("api-key").and_then(|v| v.to_str().ok());
        let offered = [bearer, x_api_key, api_key];
        if offered.iter().flatten().any(|k| constant_time_eq(k.as_bytes(), expected.as_bytes())) {
            return Ok(());
        }
        let none_offered = offered.iter().all(Option::is_none);
        Err(Box::new(ApiError::unauthorized(none_offered).response(api)))
    }

    /// Authorize and read the body of a POST.
    pub(crate) async fn receive(&self, req: Request, api: Api) -> Result<(Parts, Bytes), Reject> {
        self.authorize(req.headers(), api)?;
        let (parts, body) = req.into_parts();
        match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Ok(bytes) => Ok((parts, bytes)),
            Err(_) => Err(Box::new(ApiError::too_large(MAX_BODY_BYTES).response(api))),
        }
    }

    /// A 400 for a request that was authorized but is malformed. On a rate-limited server it
    /// carries the rate-limit headers too (read without charging: refused requests cost
    /// nothing).
    pub(crate) fn reject(&self, err: &ApiError, api: Api) -> Response {
        let mut resp = err.response(api);
        if let Some(limiter) = &self.limiter {
            limits::snapshot_headers(resp.headers_mut(), api, &limiter.peek());
        }
        resp
    }

    /// Admission, fault and reply plan of a generation request with a valid body.
    ///
    /// `max_output` caps the natural reply length (`--reply-tokens`); the rate-limit cost is
    /// the prompt plus `max_output`, or plus the reply length when the request sets none.
    /// Statuses, drops and hangs are answered (or never answered) here; a `cut` comes back as
    /// [`Planned::cut`] for the route to apply to its body.
    pub(crate) async fn plan(
        &self,
        api: Api,
        parts: &Parts,
        prompt_tokens: u64,
        max_output: Option<u64>,
        fingerprint: u64,
    ) -> Result<Planned, Reject> {
        let natural = self.config.reply_tokens as usize;
        let take = max_output.map_or(natural, |m| natural.min(usize::try_from(m).unwrap_or(usize::MAX)));
        let cost = prompt_tokens.saturating_add(max_output.unwrap_or(take as u64));
        let mut planned = self.admit(api, parts, cost).await?;
        planned.pieces = reply::generate(reply::mix(self.config.seed, fingerprint), natural, take);
        planned.truncated = take < natural;
        Ok(planned)
    }

    /// Admission and fault of a request without a generated reply (embeddings).
    pub(crate) async fn plan_embedding(
        &self,
        api: Api,
        parts: &Parts,
        tokens: u64,
    ) -> Result<Planned, Reject> {
        self.admit(api, parts, tokens).await
    }

    async fn admit(&self, api: Api, parts: &Parts, cost: u64) -> Result<Planned, Reject> {
        let mut headers = HeaderMap::new();
        if let Some(limiter) = &self.limiter {
            match limiter.admit(cost) {
                Ok(snap) => limits::snapshot_headers(&mut headers, api, &snap),
                Err(refusal) => {
                    let mut resp = refusal.error().response(api);
                    limits::snapshot_headers(resp.headers_mut(), api, &refusal.snapshot);
                    limits::retry_headers(resp.headers_mut(), refusal.retry_after);
                    return Err(Box::new(resp));
                }
            }
        }
        let n = self.admitted.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("req_mock{:016x}{:08x}", reply::mix(self.config.seed, n), n);
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            let name = match api {
                Api::OpenAi => HeaderName::from_static("x-request-id"),
                Api::Anthropic => HeaderName::from_static("request-id"),
            };
            headers.insert(name, v);
        }
        let mut cut = false;
        match self.config.faults.draw(self.config.seed, n) {
            None => {}
            Some(FailKind::Cut) => cut = true,
            Some(FailKind::Status(code)) => {
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut resp = ApiError::injected(status).response(api);
                resp.headers_mut().extend(headers);
                if matches!(code, 429 | 503 | 529) {
                    limits::retry_headers(resp.headers_mut(), INJECTED_RETRY_AFTER);
                }
                return Err(Box::new(resp));
            }
            Some(FailKind::Drop) => {
                return Err(Box::new(drop_connection(parts).await));
            }
            Some(FailKind::Hang) => {
                return Err(std::future::pending::<Reject>().await);
            }
        }
        Ok(Planned {
            n,
            pieces: Vec::new(),
            truncated: false,
            latency: self.config.latency(),
            jitter_seed: reply::mix(self.config.seed ^ 0x5EED_1A7E, n),
            headers,
            cut,
        })
    }
}

/// The wait announced by injected 429/503/529 answers: short, so clients that honour it
/// (as they should) keep tests fast.
pub const INJECTED_RETRY_AFTER: Duration = Duration::from_millis(100);

/// `drop`: ask the connection task to close the connection; this request is never answered.
/// Outside our accept loop (a router served some other way) the fallback is a response whose
/// body fails at once, which also makes hyper abort the connection.
async fn drop_connection(parts: &Parts) -> Response {
    match parts.extensions.get::<ConnControl>() {
        Some(conn) => {
            conn.kill();
            std::future::pending::<Response>().await
        }
        None => {
            let mut resp = Response::new(Paced::immediate(Bytes::new()).into_cut_body(0));
            *resp.status_mut() = StatusCode::OK;
            resp
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An admitted request: its number, reply, latency and the headers to send.
#[derive(Debug)]
pub(crate) struct Planned {
    pub n: u64,
    /// The reply, one token per piece.
    pub pieces: Vec<&'static str>,
    /// The reply was cut by `max_tokens`.
    pub truncated: bool,
    pub latency: Latency,
    jitter_seed: u64,
    /// Rate-limit and request-id headers.
    headers: HeaderMap,
    /// Break the body half-way (`cut` fault).
    pub cut: bool,
}

impl Planned {
    /// The jitter generator of this request.
    pub fn latency_rng(&self) -> Rng {
        Rng::new(self.jitter_seed)
    }

    /// Wait as long as generating the whole reply would take (non-streamed answers).
    pub async fn wait_whole(&self) {
        if self.latency.is_zero() {
            return;
        }
        let delay = self.latency.total(self.pieces.len(), &mut self.latency_rng());
        if !delay.is_zero() {
            timer::sleep(delay).await;
        }
    }

    /// A 200 JSON answer (cut half-way for a `cut` fault).
    pub fn respond_json(self, api: Api, body: Result<Vec<u8>, serde_json::Error>) -> Response {
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                return ApiError::internal(format!("mock could not encode its answer: {e}")).response(api)
            }
        };
        if self.cut {
            let len = body.len();
            let mut resp = Response::new(Paced::immediate(Bytes::from(body)).into_cut_body(len / 2));
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            // Announce the full length so the client knows the body is short.
            resp.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            resp.headers_mut().extend(self.headers);
            return resp;
        }
        let mut resp = json_response(StatusCode::OK, body);
        resp.headers_mut().extend(self.headers);
        resp
    }

    /// A 200 SSE answer (cut at `cut_at` for a `cut` fault).
    pub fn respond_stream(self, paced: Paced, cut_at: usize) -> Response {
        let body = if self.cut { paced.into_cut_body(cut_at) } else { paced.into_body() };
        let mut resp = Response::new(body);
        openai::sse_headers(resp.headers_mut());
        resp.headers_mut().extend(self.headers);
        resp
    }
}

/// The whole router: every API module's routes, a JSON 404 for anything else.
pub fn router(state: Arc<MockState>) -> Router {
    Router::new()
        .merge(openai::routes())
        .merge(anthropic::routes())
        .merge(keyed(batches::routes(), &state, Api::OpenAi))
        .merge(keyed(message_batches::routes(), &state, Api::Anthropic))
        // Every route above needs a token when OAuth clients are configured; the token
        // endpoint itself (merged after the layer) does not.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), oauth::require_token))
        .merge(oauth::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// `--require-key` in front of every route of `routes`, whose errors speak `api`: for routes
/// that check the key before anything else, so each handler need not repeat the check.
fn keyed(routes: Router<Arc<MockState>>, state: &Arc<MockState>, api: Api) -> Router<Arc<MockState>> {
    let check = move |State(st): State<Arc<MockState>>, req: Request, next: Next| async move {
        match st.authorize(req.headers(), api) {
            Ok(()) => next.run(req).await,
            Err(resp) => *resp,
        }
    };
    routes.route_layer(axum::middleware::from_fn_with_state(state.clone(), check))
}

/// Cancellation of a running batch: a flag its worker checks between requests, and a wake-up
/// for the pause it may be in.
#[derive(Default)]
pub(crate) struct Cancel {
    requested: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
}

impl Cancel {
    pub(crate) fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    pub(crate) fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Sleep for `d`, but wake up early on cancel.
    pub(crate) async fn pause(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.wake.notified() => {}
        }
    }
}

/// One page of a listing: the items after the one whose id is `after` (none when that id is
/// unknown, as the real APIs answer), at most `limit`, and whether more follow.
pub(crate) fn page<T: Clone>(
    all: &[T],
    id: impl Fn(&T) -> &str,
    after: Option<&str>,
    limit: usize,
) -> (Vec<T>, bool) {
    let start = match after {
        Some(after) => all.iter().position(|x| id(x) == after).map_or(all.len(), |i| i + 1),
        None => 0,
    };
    let data: Vec<T> = all.iter().skip(start).take(limit).cloned().collect();
    let has_more = start + data.len() < all.len();
    (data, has_more)
}

/// A poisoned lock only means another handler panicked mid-update; the data is still usable
/// for an emulator, and refusing every later request would be worse.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn method_not_allowed(req: Request) -> Response {
    let api = if req.uri().path().starts_with("/v1/messages") { Api::Anthropic } else { Api::OpenAi };
    let mut err = ApiError::not_found(req.method().as_str(), req.uri().path());
    err.status = StatusCode::METHOD_NOT_ALLOWED;
    err.message = format!("Method {} is not allowed on {}.", req.method(), req.uri().path());
    err.response(api)
}

async fn not_found(req: Request) -> Response {
    let api = if req.uri().path().starts_with("/v1/messages") { Api::Anthropic } else { Api::OpenAi };
    ApiError::not_found(req.method().as_str(), req.uri().path()).response(api)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> MockArgs {
        MockArgs {
            seed: 0,
            reply_tokens: 16,
            ttft: None,
            itl: None,
            jitter: 0.0,
            rpm: None,
            tpm: None,
            fail_rate: 0.0,
            fail_kinds: vec!["429".into(), "500".into(), "drop".into()],
            require_key: None,
            oauth_client: Vec::new(),
            token_ttl: None,
        }
    }

    #[test]
    fn default_args_give_the_default_config() {
        let mut expected = MockConfig::default();
        expected.faults.kinds = vec![
            WeightedKind { kind: FailKind::Status(429), weight: 1 },
            WeightedKind { kind: FailKind::Status(500), weight: 1 },
            WeightedKind { kind: FailKind::Drop, weight: 1 },
        ];
        assert_eq!(MockConfig::from_args(&args()).unwrap(), expected);
    }

    #[test]
    fn bad_knobs_are_usage_errors_naming_the_flag() {
        type Edit = fn(&mut MockArgs);
        let cases: [(Edit, &str); 12] = [
            (|a| a.itl = Some(Duration::from_secs(7200)), "--itl"),
            (|a| a.fail_rate = 2.0, "--fail-rate"),
            (|a| a.fail_rate = f64::NAN, "--fail-rate"),
            (|a| a.jitter = -0.1, "--jitter"),
            (|a| a.reply_tokens = 0, "--reply-tokens"),
            (|a| a.rpm = Some(0), "--rpm"),
            (|a| a.fail_kinds = vec!["418x".into()], "--fail-kinds"),
            (
                |a| {
                    a.fail_rate = 0.5;
                    a.fail_kinds = vec![];
                },
                "--fail-kinds",
            ),
            (|a| a.require_key = Some(" ".into()), "--require-key"),
            (|a| a.oauth_client = vec!["no-colon".into()], "--oauth-client"),
            (
                |a| {
                    a.oauth_client = vec!["a:b".into()];
                    a.require_key = Some("k".into());
                },
                "--oauth-client",
            ),
            (|a| a.token_ttl = Some(Duration::ZERO), "--token-ttl"),
        ];
        for (edit, flag) in cases {
            let mut a = args();
            edit(&mut a);
            let err = MockConfig::from_args(&a).unwrap_err();
            assert_eq!(crate::error::exit_code_for(&err), 2);
            assert!(err.to_string().contains(flag), "{err}");
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let mut a = args();
        a.require_key = Some("sk-secret-123".into());
        let config = MockConfig::from_args(&a).unwrap();
        assert!(!format!("{config:?}").contains("sk-secret"));
        assert!(!config.summary().contains("sk-secret"));
        a.require_key = None;
        a.oauth_client = vec!["app:sk-secret-456".into()];
        let config = MockConfig::from_args(&a).unwrap();
        assert_eq!(config.token_ttl, DEFAULT_TOKEN_TTL);
        assert!(!format!("{config:?}").contains("sk-secret"));
        assert!(!config.summary().contains("sk-secret"));
    }

    /// The batch emulations check `--require-key` in one layer: every route refuses a request
    /// without the key in its API's error shape, and lets it through with the key.
    #[tokio::test]
    async fn batch_routes_require_the_key() {
        use tower::ServiceExt;
        let config = MockConfig { require_key: Some("k1".into()), ..MockConfig::default() };
        let app = router(Arc::new(MockState::new(config)));
        let routes = [
            ("POST", "/v1/files", Api::OpenAi),
            ("GET", "/v1/files", Api::OpenAi),
            ("GET", "/v1/files/f", Api::OpenAi),
            ("DELETE", "/v1/files/f", Api::OpenAi),
            ("GET", "/v1/files/f/content", Api::OpenAi),
            ("POST", "/v1/batches", Api::OpenAi),
            ("GET", "/v1/batches", Api::OpenAi),
            ("GET", "/v1/batches/b", Api::OpenAi),
            ("POST", "/v1/batches/b/cancel", Api::OpenAi),
            ("POST", "/v1/messages/batches", Api::Anthropic),
            ("GET", "/v1/messages/batches", Api::Anthropic),
            ("GET", "/v1/messages/batches/b", Api::Anthropic),
            ("DELETE", "/v1/messages/batches/b", Api::Anthropic),
            ("GET", "/v1/messages/batches/b/results", Api::Anthropic),
            ("POST", "/v1/messages/batches/b/cancel", Api::Anthropic),
        ];
        for (method, path, api) in routes {
            let request = |key: Option<&str>| {
                let mut b = Request::builder().method(method).uri(path);
                if let Some(k) = key {
                    b = b.header("x-api-key", k);
                }
                b.body(axum::body::Body::empty()).unwrap()
            };
            let resp = app.clone().oneshot(request(None)).await.unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let shape = if v["type"] == "error" { Api::Anthropic } else { Api::OpenAi };
            assert_eq!(shape, api, "{method} {path}: {v}");
            let resp = app.clone().oneshot(request(Some("k1"))).await.unwrap();
            assert_ne!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path} with the key");
        }
    }

    #[test]
    fn pages_follow_the_after_cursor() {
        let all: Vec<String> = ["a", "b", "c", "d"].map(String::from).into();
        let ids = |(data, more): (Vec<String>, bool)| (data.join(","), more);
        assert_eq!(ids(page(&all, String::as_str, None, 2)), ("a,b".into(), true));
        assert_eq!(ids(page(&all, String::as_str, Some("b"), 2)), ("c,d".into(), false));
        assert_eq!(ids(page(&all, String::as_str, Some("d"), 2)), (String::new(), false));
        assert_eq!(ids(page(&all, String::as_str, Some("zz"), 2)), (String::new(), false), "unknown cursor");
    }

    #[test]
    fn keys_are_accepted_from_three_headers() {
        let st = MockState::new(MockConfig { require_key: Some("k1".into()), ..MockConfig::default() });
        let with = |name: &'static str, value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            h
        };
        assert!(st.authorize(&with("authorization", "Bearer k1"), Api::OpenAi).is_ok());
        assert!(st.authorize(&with("x-api-key", "k1"), Api::Anthropic).is_ok());
        assert!(st.authorize(&with("api-key", "k1"), Api::OpenAi).is_ok());
        assert!(st.authorize(&with("authorization", "Bearer k2"), Api::OpenAi).is_err());
        assert!(st.authorize(&HeaderMap::new(), Api::OpenAi).is_err());
        assert!(
            constant_time_eq(b"abc", b"abc")
                && !constant_time_eq(b"abc", b"abd")
                && !constant_time_eq(b"a", b"ab")
        );
    }
}
