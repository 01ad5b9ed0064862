//! Health probes of configured endpoints, for `llmkit check`: is it reachable, over TLS,
//! does it accept the key, does it list the model, how long does a one-token answer take, and
//! does it send rate-limit headers. Lives in the engine because it is network I/O.

use std::time::{Duration, Instant, SystemTime};

use super::{Endpoint, Engine, EngineError, ErrorKind, ReqState, RequestRecord};
use crate::cli::ProviderKind;
use crate::provider::ChatBody;

/// What a probe found. Fields are `None` when the probe stopped before learning them.
#[derive(Debug)]
pub struct ProbeReport {
    pub profile: String,
    pub provider: ProviderKind,
    pub base_url: String,
    pub model: Option<String>,
    /// The base URL is `https://`.
    pub tls: bool,
    /// Something answered HTTP.
    pub reachable: bool,
    /// `Some(false)` when the server refused the key (401/403).
    pub key_accepted: Option<bool>,
    /// Whether the model list names the model (`None`: no list, or no model configured).
    pub model_listed: Option<bool>,
    /// Round trip of a one-token, non-stream request.
    pub latency: Option<Duration>,
    /// `x-ratelimit-*` or `anthropic-ratelimit-*` headers were seen.
    pub rate_headers: bool,
    /// The endpoint authenticates with OAuth2 (`token` says whether a token was obtained).
    pub oauth: bool,
    /// OAuth2 endpoints: the token that was obtained (never its value).
    pub token: Option<TokenStep>,
    /// The first failure; decides the exit code of `check`.
    pub error: Option<EngineError>,
}

/// The token step of an OAuth2 endpoint's probe.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenStep {
    /// Time left on the token when the probe got it (`None`: the server gave no `expires_in`).
    pub expires_in: Option<Duration>,
    pub token_type: String,
    /// The token endpoint that granted it.
    pub token_url: String,
}

impl ProbeReport {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

impl Engine {
    /// Probe endpoint `index` of the chain (0 = the primary). Never falls back: the point is
    /// to learn about this endpoint.
    pub async fn probe(&self, index: usize) -> Option<ProbeReport> {
        let ep = self.inner.endpoints.get(index)?;
        let profile = ep.settings.profile.clone();
        let mut report = ProbeReport {
            profile: profile.clone(),
            provider: ep.settings.provider,
            base_url: ep.base_url.clone(),
            model: ep.settings.model.clone(),
            tls: ep.base_url.starts_with("https://"),
            reachable: false,
            key_accepted: None,
            model_listed: None,
            latency: None,
            rate_headers: false,
            oauth: ep.oauth.is_some(),
            token: None,
            error: None,
        };
        let key = match ep.key.get().await {
            Ok(k) => k,
            Err(msg) => {
                report.error = Some(EngineError::new(ErrorKind::Config, None, msg, &profile));
                return Some(report);
            }
        };
        // 0. OAuth2: the token step (the server's own message when the credentials are refused).
        let credential = match &ep.oauth {
            Some(tp) => {
                let inner = &*self.inner;
                match tp.token(|| tp.fetch_http(&inner.client, &inner.policy, inner.timeout)).await {
                    Ok(t) => {
                        report.token = Some(TokenStep {
                            expires_in: t.remaining(),
                            token_type: t.token_type.clone(),
                            token_url: tp.settings().token_url.clone(),
                        });
                        Some(t.value)
                    }
                    Err(e) => {
                        if e.kind == ErrorKind::Auth {
                            report.key_accepted = Some(false);
                        }
                        report.error = Some(super::token_error(e, &profile));
                        return Some(report);
                    }
                }
            }
            None => key.clone(),
        };
        // 1. The model list: reachability, key, model.
        let mut spec =
            ep.wire.models_request(&super::target(ep, ep.provider_key(key.as_ref().map(|k| k.expose()))));
        if let (Some(p), Some(c)) = (ep.placement, &credential) {
            p.apply(&mut spec, c.expose());
        }
        match self.get(spec).await {
            Err(mut msg) => {
                if let Some(c) = &credential {
                    super::redact_secret(&mut msg, c.expose());
                }
                report.error = Some(EngineError::new(ErrorKind::Connect, None, msg, &profile));
                return Some(report);
            }
            Ok((status, headers, body)) => {
                report.reachable = true;
                report.rate_headers |=
                    !super::ratelimit::parse_rate_headers(&headers, SystemTime::now()).is_empty();
                match status {
                    401 | 403 => {
                        report.key_accepted = Some(false);
                        let msg = crate::provider::error_message(&body);
                        report.error = Some(EngineError::new(ErrorKind::Auth, Some(status), msg, &profile));
                        return Some(report);
                    }
                    200..=299 => {
                        report.key_accepted = credential.as_ref().map(|_| true);
                        if let (Ok(ids), Some(model)) =
                            (crate::provider::openai::parse_model_ids(&body), &ep.settings.model)
                        {
                            report.model_listed = Some(ids.iter().any(|id| id == model));
                        }
                    }
                    // Many OpenAI-compatible servers have no model list: not a failure.
                    _ => {}
                }
            }
        }
        // 2. A one-token request through the normal path (rate limiter, retries).
        let mut body = ChatBody::user_prompt("", "Reply with one word.");
        body.max_tokens = Some(1);
        let started = Instant::now();
        match self.single(ep, body).await {
            (Ok(()), state) => {
                report.latency = Some(started.elapsed());
                report.rate_headers |= state.rate_headers_seen;
                if credential.is_some() {
                    report.key_accepted = Some(true);
                }
            }
            (Err(e), state) => {
                report.rate_headers |= state.rate_headers_seen;
                if e.kind == ErrorKind::Auth {
                    report.key_accepted = Some(false);
                }
                report.error = Some(e);
            }
        }
        Some(report)
    }

    /// One request on one endpoint (retries, no fallback, no ledger).
    async fn single(&self, ep: &Endpoint, body: ChatBody) -> (Result<(), EngineError>, ReqState) {
        let now = Instant::now();
        let mut rec = RequestRecord {
            id: "check".into(),
            start: now,
            started_at: SystemTime::now(),
            sent: None,
            first_byte: None,
            first_output: None,
            end: now,
            status: None,
            retries: 0,
            rate_limited: 0,
            resumed: 0,
            usage: None,
            cost_usd: None,
            error: None,
            error_message: None,
            profile: ep.settings.profile.clone(),
            provider: ep.settings.provider,
            url: String::new(),
            model: ep.model_for(&body).to_string(),
            cache_hit: false,
            stream: false,
            key_name: ep.key_name(),
            user: None,
        };
        let mut state = ReqState::default();
        let result = self.on_endpoint(ep, &body, &mut rec, &mut state, &mut None, 0).await;
        let result = match result {
            Ok(_) => Ok(()),
            Err(super::EndpointError::Fallback(e) | super::EndpointError::Final(e)) => Err(e),
        };
        (result, state)
    }

    /// A plain GET with the engine's client and timeout: status, headers, body.
    async fn get(
        &self,
        spec: crate::provider::HttpRequestSpec,
    ) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), String> {
        let mut rb = self.inner.client.get(&spec.url);
        for (k, v) in &spec.headers {
            rb = rb.header(*k, v);
        }
        let fut = async {
            let resp = rb.send().await.map_err(|e| super::error_chain(&e))?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| super::error_chain(&e))?;
            Ok((status, headers, body.to_vec()))
        };
        match tokio::time::timeout(self.inner.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {:?}", self.inner.timeout)),
        }
    }
}
