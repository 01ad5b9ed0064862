//! OAuth2 client-credentials emulation for the embedded server (`--oauth-client ID:SECRET`,
//! `--token-ttl`), so token fetching, caching, expiry in the middle of a batch and refused
//! credentials are all tested offline.
//!
//! - `POST /oauth/token` grants tokens (RFC 6749 section 4.4). Client credentials are read
//!   from the form body, the query string (Baidu Qianfan puts them there) or HTTP Basic.
//!   Wrong credentials get `401 {"error":"invalid_client","error_description":...}`.
//! - With at least one client configured, every API route requires a token it issued and
//!   that has not expired (expiry is exact: `--token-ttl` after issuance), as
//!   `Authorization: Bearer` or `?access_token=`; anything else gets an OpenAI-shaped 401.
//! - `GET /mock/stats` reports counters (tokens issued, refusals, requests admitted) as JSON,
//!   so tests and benchmarks can check how often a client asked for a token.
//!
//! Tokens are opaque strings holding a counter and a hash of the seed and the clock. They live
//! in memory only; expired ones are pruned whenever a new one is issued.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::wire::{json_response, Api, ApiError};
use super::{constant_time_eq, reply, MockState};

/// `--token-ttl` when not given.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Longest `--token-ttl`.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(366 * 24 * 3600);

/// A client the mock issues tokens to. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

impl std::str::FromStr for OAuthClient {
    type Err = String;

    /// `ID:SECRET` (the secret may contain `:`). Errors never repeat the secret.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some((id, secret)) if !id.trim().is_empty() && !secret.trim().is_empty() => {
                Ok(OAuthClient { id: id.trim().to_string(), secret: secret.trim().to_string() })
            }
            _ => Err("--oauth-client must be ID:SECRET with both parts non-empty".to_string()),
        }
    }
}

/// Counters of the server, served by `GET /mock/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockStats {
    /// Generation requests that passed admission (rate limits), faults included.
    pub requests_admitted: u64,
    /// Tokens granted by `POST /oauth/token`.
    pub oauth_tokens_issued: u64,
    /// Token requests refused (bad client credentials, bad grant).
    pub oauth_token_refusals: u64,
    /// API requests refused for a missing, unknown or expired token.
    pub oauth_token_rejections: u64,
}

/// Token state of one server.
#[derive(Debug)]
pub(crate) struct OAuthState {
    clients: Vec<OAuthClient>,
    ttl: Duration,
    seed: u64,
    /// Issued token -> its expiry.
    tokens: Mutex<HashMap<String, Instant>>,
    issued: AtomicU64,
    refusals: AtomicU64,
    rejections: AtomicU64,
}

impl OAuthState {
    pub fn new(clients: Vec<OAuthClient>, ttl: Duration, seed: u64) -> OAuthState {
        OAuthState {
            clients,
            ttl,
            seed,
            tokens: Mutex::new(HashMap::new()),
            issued: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
            rejections: AtomicU64::new(0),
        }
    }

    /// Tokens are required (some client is configured).
    pub fn active(&self) -> bool {
        !self.clients.is_empty()
    }

    fn issue(&self) -> (String, Instant) {
        let n = self.issued.fetch_add(1, Ordering::Relaxed) + 1;
        let clock =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let token = format!("mock-at-{n}-{:016x}{:016x}", reply::mix(self.seed, n), reply::mix(clock, n));
        let now = Instant::now();
        let expiry = now + self.ttl;
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.retain(|_, e| *e > now);
        tokens.insert(token.clone(), expiry);
        (token, expiry)
    }

    /// `Ok` for a token we issued that has not expired; else why not.
    fn check(&self, token: &str) -> Result<(), &'static str> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match tokens.get(token) {
            Some(expiry) if Instant::now() < *expiry => Ok(()),
            Some(_) => Err("The access token has expired. Request a new one from /oauth/token."),
            None => Err("Invalid access token."),
        }
    }
}

impl MockState {
    /// The server's counters.
    pub fn stats(&self) -> MockStats {
        let o = &self.oauth;
        MockStats {
            requests_admitted: self.admitted.load(Ordering::Relaxed),
            oauth_tokens_issued: o.issued.load(Ordering::Relaxed),
            oauth_token_refusals: o.refusals.load(Ordering::Relaxed),
            oauth_token_rejections: o.rejections.load(Ordering::Relaxed),
        }
    }
}

pub(crate) fn routes() -> Router<Arc<MockState>> {
    Router::new().route("/oauth/token", post(token)).route("/mock/stats", get(stats))
}

async fn stats(State(st): State<Arc<MockState>>) -> Response {
    json_response(StatusCode::OK, serde_json::to_vec(&st.stats()).unwrap_or_default())
}

/// Fields of a token request (form body or query string). Unknown fields are ignored, as
/// token servers do.
#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

#[derive(Serialize)]
struct Grant {
    access_token: String,
    token_type: &'static str,
    /// Whole seconds when the ttl is whole, else a fraction (sub-second test ttls).
    expires_in: serde_json::Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body =
        serde_json::to_vec(&OAuthErrorBody { error, error_description: description }).unwrap_or_default();
    let mut resp = json_response(status, body);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"llmkit-mock\""));
    }
    resp
}

/// `Authorization: Basic base64(id:secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    // Both parts are form-encoded before encoding (RFC 6749 section 2.3.1).
    let dec = |v: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={v}")).ok()?.pop().map(|(_, v)| v)
    };
    Some((dec(id)?, dec(secret)?))
}

async fn token(State(st): State<Arc<MockState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let o = &st.oauth;
    let refuse = |status, error: &str, description: &str| {
        o.refusals.fetch_add(1, Ordering::Relaxed);
        oauth_error(status, error, description)
    };
    if !o.active() {
        return refuse(
            StatusCode::NOT_FOUND,
            "invalid_client",
            "this mock issues no tokens: start it with --oauth-client ID:SECRET",
        );
    }
    let from_query: TokenRequest =
        uri.query().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let from_body: TokenRequest = match serde_urlencoded::from_bytes(&body) {
        Ok(r) => r,
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "invalid_request", "the body is not form-encoded"),
    };
    let field = |a: Option<String>, b: Option<String>| a.or(b).filter(|v| !v.is_empty());
    let grant_type = field(from_body.grant_type, from_query.grant_type);
    let scope = field(from_body.scope, from_query.scope);
    let (id, secret) = match basic_credentials(&headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            field(from_body.client_id, from_query.client_id),
            field(from_body.client_secret, from_query.client_secret),
        ),
    };
    match grant_type.as_deref() {
        Some("client_credentials") => {}
        None => return refuse(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is missing"),
        Some(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "this server only supports grant_type=client_credentials",
            )
        }
    }
    let (Some(id), Some(secret)) = (id, secret) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id and client_secret are required",
        );
    };
    let known =
        o.clients.iter().any(|c| c.id == id && constant_time_eq(c.secret.as_bytes(), secret.as_bytes()));
    if !known {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed: unknown client_id or wrong client_secret.",
        );
    }
    let (access_token, _) = o.issue();
    let expires_in = if o.ttl.subsec_nanos() == 0 {
        serde_json::Number::from(o.ttl.as_secs())
    } else {
        serde_json::Number::from_f64(o.ttl.as_secs_f64()).unwrap_or_else(|| serde_json::Number::from(0))
    };
    let grant = Grant { access_token, token_type: "Bearer", expires_in, scope };
    let mut resp = json_response(StatusCode::OK, serde_json::to_vec(&grant).unwrap_or_default());
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Middleware on the API routes: with clients configured, a valid token is required.
pub(crate) async fn require_token(State(st): State<Arc<MockState>>, req: Request, next: Next) -> Response {
    let o = &st.oauth;
    if !o.active() {
        return next.run(req).await;
    }
    let api = if req.uri().path().starts_with("/v1/messages") { Api::Anthropic } else { Api::OpenAi };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    let offered = bearer.or_else(|| {
        #[derive(Deserialize)]
        struct AccessToken {
            access_token: String,
        }
        let q = req.uri().query()?;
        serde_urlencoded::from_str::<AccessToken>(q).ok().map(|a| a.access_token)
    });
    let problem = match offered.as_deref() {
        None => {
            "You didn't provide an access token. Get one from /oauth/token and send it as \
                 Authorization: Bearer TOKEN or ?access_token=TOKEN."
        }
        Some(t) => match o.check(t) {
            Ok(()) => return next.run(req).await,
            Err(why) => why,
        },
    };
    o.rejections.fetch_add(1, Ordering::Relaxed);
    let err = ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: problem.to_string(),
        param: None,
        code: Some("invalid_token"),
        openai_type: "invalid_request_error",
    };
    let mut resp = err.response(api);
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_parse_without_echoing_secrets() {
        let c: OAuthClient = "app:s3:cret".parse().unwrap();
        assert_eq!((c.id.as_str(), c.secret.as_str()), ("app", "s3:cret"));
        assert!(!format!("{c:?}").contains("s3:cret"));
        for bad in ["app", "app:", ":secret-x"] {
            let err = bad.parse::<OAuthClient>().unwrap_err();
            assert!(!err.contains("secret-x") && err.contains("--oauth-client"), "{err}");
        }
    }

    #[test]
    fn tokens_expire_exactly_at_ttl_and_unknown_ones_are_refused() {
        let o = OAuthState::new(vec!["a:b".parse().unwrap()], Duration::from_millis(30), 1);
        let (t1, expiry) = o.issue();
        let (t2, _) = o.issue();
        assert_ne!(t1, t2);
        assert!(t1.starts_with("mock-at-1-") && t2.starts_with("mock-at-2-"));
        assert_eq!(o.check(&t1), Ok(()));
        assert!(o.check("mock-at-9-nope").unwrap_err().contains("Invalid"));
        std::thread::sleep(expiry.saturating_duration_since(Instant::now()) + Duration::from_millis(1));
        assert!(o.check(&t1).unwrap_err().contains("expired"));
        assert_eq!(o.issued.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn basic_credentials_decode() {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("id1:sec1"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&v).unwrap());
        assert_eq!(basic_credentials(&h), Some(("id1".into(), "sec1".into())));
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
    }
}
