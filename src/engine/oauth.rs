//! OAuth2 client-credentials tokens (RFC 6749 section 4.4), for endpoints that take no static
//! key: Azure OpenAI behind Microsoft Entra ID, Baidu Qianfan, corporate LLM gateways.
//!
//! Why this lives in the engine: a batch runs many workers against one endpoint, and a token
//! has to be shared by all of them. One [`TokenProvider`] per endpoint holds the current token
//! in memory (never on disk, never in a record or ledger, `Debug` redacted), refreshes it a
//! little before it expires (`min(60 s, 10% of its lifetime)` early), and makes sure that when
//! many workers find it stale at the same moment, or all get a 401 with it, the token endpoint
//! is called once, not once per worker (single flight: one async mutex plus counters).
//!
//! - A 401 refresh is keyed by the token's *generation*: a worker that was refused with
//!   generation `g` triggers a fetch only if the current token is still generation `g`; if
//!   someone already replaced it, it just takes the new one.
//! - A worker that arrives while a refresh is running keeps using the old token as long as it
//!   has not actually expired, so proactive refreshes never stall the run.
//! - A refusal of the client credentials (400/401 `invalid_client` and other 4xx) is final for
//!   the process: every later request fails at once with the same message instead of asking
//!   again. Transient failures (connection errors, 429, 5xx) are retried with the engine's
//!   retry policy; when retries run out the waiting workers share that failure, and a later
//!   request may try again.
//!
//! The fetch itself is a closure passed to [`TokenProvider::token`], so the caching and
//! single-flight rules are unit-tested without a network; the engine passes
//! [`TokenProvider::fetch_http`].

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex as StdMutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::keys::{Key, Secret};
use super::record::ErrorKind;
use super::retry::{self, RetryPolicy};
use crate::settings::{ClientAuth, OAuth2Settings};

/// The longest a token is refreshed before its expiry.
pub const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long before expiry a token with lifetime `ttl` is refreshed: 10% of it, at most 60 s.
pub fn refresh_margin(ttl: Duration) -> Duration {
    (ttl / 10).min(MAX_REFRESH_MARGIN)
}

/// An access token and what is known about it.
#[derive(Clone)]
pub struct Token {
    pub value: Secret,
    /// 1 for the first token of this provider, +1 per refresh.
    pub generation: u64,
    /// `token_type` as the server sent it (`Bearer` when it sent none).
    pub token_type: String,
    /// The lifetime the server announced (`expires_in`); `None` = unknown, refreshed on 401 only.
    pub lifetime: Option<Duration>,
    /// When the token request was sent (a conservative start of the lifetime).
    obtained: Instant,
}

impl Token {
    fn expires_at(&self) -> Option<Instant> {
        self.lifetime.map(|ttl| self.obtained + ttl)
    }

    fn refresh_at(&self) -> Option<Instant> {
        self.lifetime.map(|ttl| self.obtained + ttl - refresh_margin(ttl))
    }

    /// Before its refresh point: use it without asking anyone.
    fn fresh(&self, now: Instant) -> bool {
        self.refresh_at().is_none_or(|t| now < t)
    }

    /// Not yet expired: usable while someone else refreshes it.
    fn valid(&self, now: Instant) -> bool {
        self.expires_at().is_none_or(|t| now < t)
    }

    /// Time left before expiry (`None` when the lifetime is unknown).
    pub fn remaining(&self) -> Option<Duration> {
        self.expires_at().map(|t| t.saturating_duration_since(Instant::now()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("value", &self.value)
            .field("generation", &self.generation)
            .field("token_type", &self.token_type)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// What a token endpoint granted.
#[derive(Debug)]
pub struct Fetched {
    pub access_token: Secret,
    pub token_type: Option<String>,
    pub lifetime: Option<Duration>,
}

/// A token that could not be obtained. The message is the token server's own (`error` and
/// `error_description`) or ours for local failures, and never contains the client secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenError {
    /// `Auth` (credentials refused, exit 3), `Config` (no secret, exit 2), or a transient
    /// kind (`Connect`, `Timeout`, `Server`, `RateLimited`: exit 5).
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub message: String,
}

/// The outcome of the last fetch, shared with the workers that waited for it.
#[derive(Debug, Default)]
struct Flight {
    last_error: Option<TokenError>,
}

/// The token of one endpoint, shared by every worker. See the module docs for the rules.
#[derive(Debug)]
pub struct TokenProvider {
    settings: OAuth2Settings,
    secret: Key,
    current: StdMutex<Option<Token>>,
    flight: tokio::sync::Mutex<Flight>,
    /// Fetches finished (successful or not): tells a waiter that someone fetched meanwhile.
    finished: AtomicU64,
    /// Token requests actually started (for tests and `check`).
    fetches: AtomicU64,
    generation: AtomicU64,
    /// The credentials were refused: final for this process.
    refused: OnceLock<TokenError>,
}

impl TokenProvider {
    pub fn new(settings: OAuth2Settings, profile: &str) -> TokenProvider {
        TokenProvider {
            secret: Key::client_secret(settings.client_secret.clone(), profile),
            settings,
            current: StdMutex::new(None),
            flight: tokio::sync::Mutex::new(Flight::default()),
            finished: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            refused: OnceLock::new(),
        }
    }

    pub fn settings(&self) -> &OAuth2Settings {
        &self.settings
    }

    /// Where the client secret comes from (recorded in ledgers in place of a key name).
    pub fn secret_name(&self) -> Option<String> {
        self.secret.name()
    }

    /// Token requests started so far.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn cached(&self) -> Option<Token> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A token good for the next request: the cached one while it is fresh, else one fetch
    /// shared by everyone who needs it now.
    pub async fn token<F, Fut>(&self, fetch: F) -> Result<Token, TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, TokenError>>,
    {
        if let Some(e) = self.refused.get() {
            return Err(e.clone());
        }
        let now = Instant::now();
        let cached = self.cached();
        if let Some(t) = cached.as_ref().filter(|t| t.fresh(now)) {
            return Ok(t.clone());
        }
        let seen = self.finished.load(Ordering::Acquire);
        let guard = match self.flight.try_lock() {
            Ok(g) => g,
            Err(_) => {
                // A refresh is running: the old token serves until it really expires.
                if let Some(t) = cached.filter(|t| t.valid(now)) {
                    return Ok(t);
                }
                self.flight.lock().await
            }
        };
        self.fetch_locked(guard, seen, fetch, |t| t.fresh(Instant::now())).await
    }

    /// The server refused token generation `generation` (401): fetch a new one, unless that
    /// already happened (then the newer token is returned without a fetch).
    pub async fn refresh_after_reject<F, Fut>(&self, generation: u64, fetch: F) -> Result<Token, TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, TokenError>>,
    {
        if let Some(e) = self.refused.get() {
            return Err(e.clone());
        }
        let newer = |t: &Token| t.generation != generation && t.valid(Instant::now());
        if let Some(t) = self.cached().filter(newer) {
            return Ok(t);
        }
        let seen = self.finished.load(Ordering::Acquire);
        let guard = self.flight.lock().await;
        self.fetch_locked(guard, seen, fetch, newer).await
    }

    async fn fetch_locked<F, Fut>(
        &self,
        mut flight: tokio::sync::MutexGuard<'_, Flight>,
        seen: u64,
        fetch: F,
        usable: impl Fn(&Token) -> bool,
    ) -> Result<Token, TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, TokenError>>,
    {
        if let Some(t) = self.cached().filter(|t| usable(t)) {
            return Ok(t);
        }
        if self.finished.load(Ordering::Acquire) != seen {
            // A fetch finished while we waited and gave nothing usable: share its failure
            // rather than asking the token server again at once.
            if let Some(e) = &flight.last_error {
                return Err(e.clone());
            }
        }
        if let Some(e) = self.refused.get() {
            return Err(e.clone());
        }
        let started = Instant::now();
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let result = fetch().await;
        let outcome = match result {
            Ok(f) => {
                let token = Token {
                    value: f.access_token,
                    generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
                    token_type: f.token_type.unwrap_or_else(|| "Bearer".to_string()),
                    lifetime: f.lifetime,
                    obtained: started,
                };
                *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
                flight.last_error = None;
                Ok(token)
            }
            Err(e) => {
                if matches!(e.kind, ErrorKind::Auth | ErrorKind::Config) {
                    let _ = self.refused.set(e.clone());
                }
                flight.last_error = Some(e.clone());
                Err(e)
            }
        };
        self.finished.fetch_add(1, Ordering::Release);
        outcome
    }

    /// The token request over HTTP: a form-encoded client-credentials POST, retried like any
    /// transient failure (connection errors, timeouts, 429, 5xx) under `policy`.
    pub async fn fetch_http(
        &self,
        client: &reqwest::Client,
        policy: &RetryPolicy,
        timeout: Duration,
    ) -> Result<Fetched, TokenError> {
        let config = |message: String| TokenError { kind: ErrorKind::Config, status: None, message };
        let secret = self.secret.get().await.map_err(config)?.ok_or_else(|| {
            config("auth = \"oauth2\" needs client_secret_env or client_secret_cmd".to_string())
        })?;
        let s = &self.settings;
        let in_body = s.client_auth == ClientAuth::Post;
        let form = TokenForm {
            grant_type: "client_credentials",
            client_id: in_body.then_some(s.client_id.as_str()),
            client_secret: in_body.then_some(secret.expose()),
            scope: s.scope.as_deref(),
            audience: s.audience.as_deref(),
        };
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| config(format!("cannot encode the token request: {e}")))?;
        let basic = (!in_body).then(|| basic_authorization(&s.client_id, secret.expose()));
        let url = s.token_url.as_str();
        let mut attempt: u32 = 0;
        loop {
            let sent = async {
                let mut rb = client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("accept", "application/json");
                if let Some(b) = &basic {
                    rb = rb.header("authorization", b);
                }
                let resp = rb.body(body.clone()).send().await?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let bytes = resp.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, bytes))
            };
            let (failure, server_wait) = match tokio::time::timeout(timeout, sent).await {
                Ok(Ok((status, headers, bytes))) => {
                    if (200..300).contains(&status) {
                        return parse_grant(url, status, &bytes).map_err(|e| redact(e, &secret));
                    }
                    let failure = refusal(url, status, &bytes);
                    if !retry::status_is_transient(status, &headers) {
                        return Err(redact(failure, &secret));
                    }
                    (failure, retry::server_wait(&headers, SystemTime::now()))
                }
                Ok(Err(e)) => {
                    let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Connect };
                    let message = format!("token endpoint {url}: {}", super::error_chain(&e));
                    (TokenError { kind, status: None, message }, None)
                }
                Err(_) => {
                    let message = format!("token endpoint {url}: no answer within {timeout:?}");
                    (TokenError { kind: ErrorKind::Timeout, status: None, message }, None)
                }
            };
            let wait = policy.wait(attempt, server_wait);
            if attempt >= policy.max_retries || wait > retry::MAX_SERVER_WAIT {
                let mut failure = redact(failure, &secret);
                if attempt > 0 {
                    failure.message = format!("{} (after {attempt} retries)", failure.message);
                }
                return Err(failure);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// The form of a client-credentials request; the client's credentials are in it with
/// `client_auth = "post"` (RFC 6749 section 2.3.1).
#[derive(Serialize)]
struct TokenForm<'a> {
    grant_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<&'a str>,
}

/// `client_secret_basic`: `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749
/// section 2.3.1 form-encodes both parts before joining them).
fn basic_authorization(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    let enc = |v: &str| {
        serde_urlencoded::to_string([("", v)])
            .map(|s| s.trim_start_matches('=').to_string())
            .unwrap_or_default()
    };
    let pair = format!("{}:{}", enc(id), enc(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

/// A successful token response (RFC 6749 section 5.1).
#[derive(Deserialize)]
struct Grant {
    access_token: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<ExpiresIn>,
    /// Some servers (Baidu) answer 200 with an error body.
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// `expires_in`: seconds as a number (fractions accepted: the mock issues sub-second tokens)
/// or as a string (older Azure AD endpoints).
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiresIn {
    Number(f64),
    Text(String),
}

impl ExpiresIn {
    fn lifetime(&self) -> Option<Duration> {
        let secs = match self {
            ExpiresIn::Number(n) => *n,
            ExpiresIn::Text(s) => s.trim().parse::<f64>().ok()?,
        };
        (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)))
    }
}

/// An error response (RFC 6749 section 5.2).
#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

fn parse_grant(url: &str, status: u16, bytes: &[u8]) -> Result<Fetched, TokenError> {
    let grant: Grant = serde_json::from_slice(bytes).map_err(|e| TokenError {
        kind: ErrorKind::Server,
        status: Some(status),
        message: format!("token endpoint {url} answered {status} with no token response: {e}"),
    })?;
    if let Some(error) = grant.error {
        return Err(TokenError {
            kind: ErrorKind::Auth,
            status: Some(status),
            message: oauth_message(url, &error, grant.error_description.as_deref()),
        });
    }
    match grant.access_token.filter(|t| !t.trim().is_empty()) {
        Some(token) => Ok(Fetched {
            access_token: Secret::new(token.trim()),
            token_type: grant.token_type,
            lifetime: grant.expires_in.as_ref().and_then(ExpiresIn::lifetime),
        }),
        None => Err(TokenError {
            kind: ErrorKind::Server,
            status: Some(status),
            message: format!("token endpoint {url} answered {status} without an access_token"),
        }),
    }
}

/// A non-2xx answer: 4xx means the credentials (or scope, or grant) were refused.
fn refusal(url: &str, status: u16, bytes: &[u8]) -> TokenError {
    let message = match serde_json::from_slice::<OAuthError>(bytes) {
        Ok(e) => oauth_message(url, &e.error, e.error_description.as_deref()),
        Err(_) => {
            format!("token endpoint {url} refused the request: {}", crate::provider::error_message(bytes))
        }
    };
    let kind = match status {
        429 => ErrorKind::RateLimited,
        s if s >= 500 => ErrorKind::Server,
        _ => ErrorKind::Auth,
    };
    TokenError { kind, status: Some(status), message }
}

fn oauth_message(url: &str, error: &str, description: Option<&str>) -> String {
    match description.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => format!(
            "token endpoint {url} refused the client credentials: {error}: {}",
            crate::provider::truncate(d, 500)
        ),
        None => format!("token endpoint {url} refused the client credentials: {error}"),
    }
}

/// A server that echoes the secret must not make us print it.
fn redact(mut e: TokenError, secret: &Secret) -> TokenError {
    let s = secret.expose();
    if !s.is_empty() && e.message.contains(s) {
        e.message = e.message.replace(s, "[REDACTED]");
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{KeySource, TokenPlacement};
    use std::sync::Arc;

    fn provider() -> Arc<TokenProvider> {
        Arc::new(TokenProvider::new(
            OAuth2Settings {
                token_url: "http://127.0.0.1:9/token".into(),
                client_id: "app".into(),
                client_secret: KeySource::None,
                scope: None,
                audience: None,
                placement: TokenPlacement::Bearer,
                client_auth: ClientAuth::Post,
            },
            "p",
        ))
    }

    /// A fake token endpoint: counts calls, takes `delay`, grants `lifetime`.
    fn grant(
        calls: &Arc<AtomicU64>,
        delay: Duration,
        lifetime: Option<Duration>,
    ) -> impl Future<Output = Result<Fetched, TokenError>> {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            tokio::time::sleep(delay).await;
            Ok(Fetched { access_token: Secret::new(format!("tok-{n}")), token_type: None, lifetime })
        }
    }

    #[test]
    fn refresh_margin_is_ten_percent_capped_at_a_minute() {
        assert_eq!(refresh_margin(Duration::from_secs(3600)), Duration::from_secs(60));
        assert_eq!(refresh_margin(Duration::from_secs(100)), Duration::from_secs(10));
        assert_eq!(refresh_margin(Duration::from_millis(250)), Duration::from_millis(25));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_concurrent_getters_share_one_fetch() {
        let tp = provider();
        let calls = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let (tp, calls) = (tp.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                tp.token(|| grant(&calls, Duration::from_millis(30), Some(Duration::from_secs(60)))).await
            }));
        }
        for t in tasks {
            let token = t.await.unwrap().unwrap();
            assert_eq!(token.value.expose(), "tok-1");
            assert_eq!(token.generation, 1);
            assert_eq!(token.token_type, "Bearer");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(tp.fetch_count(), 1);
        // Cached afterwards: no more fetches.
        let t = tp.token(|| grant(&calls, Duration::ZERO, None)).await.unwrap();
        assert_eq!(t.generation, 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_401_seen_by_64_workers_refreshes_once() {
        let tp = provider();
        let calls = Arc::new(AtomicU64::new(0));
        let first = tp.token(|| grant(&calls, Duration::ZERO, None)).await.unwrap();
        assert_eq!(first.generation, 1);
        let barrier = Arc::new(tokio::sync::Barrier::new(64));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let (tp, calls, barrier) = (tp.clone(), calls.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                tp.refresh_after_reject(1, || grant(&calls, Duration::from_millis(20), None)).await
            }));
        }
        for t in tasks {
            let token = t.await.unwrap().unwrap();
            assert_eq!(token.generation, 2);
            assert_eq!(token.value.expose(), "tok-2");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2, "one initial fetch, one refresh");
        // A late 401 with the old generation does not fetch again.
        let t = tp.refresh_after_reject(1, || grant(&calls, Duration::ZERO, None)).await.unwrap();
        assert_eq!(t.generation, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A 401 with the current generation does.
        let t = tp.refresh_after_reject(2, || grant(&calls, Duration::ZERO, None)).await.unwrap();
        assert_eq!(t.generation, 3);
    }

    #[tokio::test]
    async fn tokens_refresh_before_expiry_and_old_ones_serve_during_a_refresh() {
        let tp = provider();
        let calls = Arc::new(AtomicU64::new(0));
        let ttl = Duration::from_millis(200);
        let t1 = tp.token(|| grant(&calls, Duration::ZERO, Some(ttl))).await.unwrap();
        // Past the refresh point (180 ms) but before expiry (200 ms).
        tokio::time::sleep(Duration::from_millis(185)).await;
        // Hold the flight lock as a running refresh would: the old token still serves.
        let held = tp.flight.lock().await;
        let during = tp.token(|| grant(&calls, Duration::ZERO, Some(ttl))).await.unwrap();
        assert_eq!(during.generation, t1.generation);
        drop(held);
        let t2 = tp.token(|| grant(&calls, Duration::ZERO, Some(ttl))).await.unwrap();
        assert_eq!(t2.generation, 2, "refreshed once the lock was free");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(t2.remaining().is_some_and(|r| r <= ttl));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn refusals_are_final_and_shared() {
        let tp = provider();
        let calls = Arc::new(AtomicU64::new(0));
        let refuse = |calls: &Arc<AtomicU64>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err(TokenError { kind: ErrorKind::Auth, status: Some(401), message: "invalid_client".into() })
            }
        };
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (tp, calls) = (tp.clone(), calls.clone());
            tasks.push(tokio::spawn(async move { tp.token(|| refuse(&calls)).await }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap_err().kind, ErrorKind::Auth);
        }
        assert!(tp.token(|| refuse(&calls)).await.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1, "refused credentials are asked for once");
    }

    #[tokio::test]
    async fn transient_failures_are_shared_by_waiters_then_retried_later() {
        let tp = provider();
        let calls = Arc::new(AtomicU64::new(0));
        let down = |calls: &Arc<AtomicU64>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(TokenError { kind: ErrorKind::Connect, status: None, message: "refused".into() }) }
        };
        assert_eq!(tp.token(|| down(&calls)).await.unwrap_err().kind, ErrorKind::Connect);
        let t = tp.token(|| grant(&calls, Duration::ZERO, None)).await.unwrap();
        assert_eq!(t.generation, 1, "a later request tries again");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn token_responses_parse_in_their_common_shapes() {
        let f = parse_grant("u", 200, br#"{"access_token":"a","token_type":"Bearer","expires_in":3599}"#)
            .unwrap();
        assert_eq!(f.lifetime, Some(Duration::from_secs(3599)));
        let f = parse_grant("u", 200, br#"{"access_token":"a","expires_in":"3600"}"#).unwrap();
        assert_eq!(f.lifetime, Some(Duration::from_secs(3600)));
        assert_eq!(f.token_type, None);
        let f = parse_grant("u", 200, br#"{"access_token":"a","expires_in":0.25}"#).unwrap();
        assert_eq!(f.lifetime, Some(Duration::from_millis(250)));
        let f = parse_grant("u", 200, br#"{"access_token":"a"}"#).unwrap();
        assert_eq!(f.lifetime, None);
        let e =
            parse_grant("u", 200, br#"{"error":"invalid_client","error_description":"unknown client id"}"#)
                .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("unknown client id"), "{}", e.message);
        assert_eq!(parse_grant("u", 200, b"<html>").unwrap_err().kind, ErrorKind::Server);

        let e = refusal("u", 401, br#"{"error":"invalid_client","error_description":"Bad secret"}"#);
        assert_eq!((e.kind, e.status), (ErrorKind::Auth, Some(401)));
        assert!(e.message.contains("invalid_client: Bad secret"), "{}", e.message);
        assert_eq!(refusal("u", 503, b"down").kind, ErrorKind::Server);
        assert_eq!(refusal("u", 429, b"slow").kind, ErrorKind::RateLimited);
        let e = redact(
            TokenError { kind: ErrorKind::Auth, status: None, message: "bad secret s3cr3t".into() },
            &Secret::new("s3cr3t"),
        );
        assert!(!e.message.contains("s3cr3t"));
    }

    #[test]
    fn basic_client_auth_form_encodes_then_base64s() {
        use base64::Engine as _;
        let h = basic_authorization("app id", "s:e+c");
        let raw =
            base64::engine::general_purpose::STANDARD.decode(h.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(String::from_utf8(raw).unwrap(), "app+id:s%3Ae%2Bc");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token {
            value: Secret::new("at-secret-1"),
            generation: 1,
            token_type: "Bearer".into(),
            lifetime: None,
            obtained: Instant::now(),
        };
        assert!(!format!("{t:?}").contains("at-secret"));
    }
}
