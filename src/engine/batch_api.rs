//! Plain authenticated calls to the primary endpoint's non-chat APIs, for `batch --remote`
//! (OpenAI `/v1/files` and `/v1/batches`; Anthropic `/v1/messages/batches`). Same client, key,
//! timeout and retry policy as chat requests, so commands still never touch the network
//! themselves; no rate limiting (these endpoints are not metered by RPM/TPM) and no ledger
//! (the results are priced when read).

use std::time::SystemTime;

use super::retry::{server_wait, status_is_transient};
use super::{error_chain, redact_secret, token_error, Engine, Placement};
use crate::error::Error;
use crate::provider::Wire;

impl Engine {
    /// `method path` relative to the primary endpoint's base URL (e.g. `POST /files`), with
    /// the endpoint's credential where its `auth` puts it (static key or OAuth2 token). For an Anthropic endpoint the path is relative to the API
    /// root instead (`/v1/messages/batches`: Anthropic base URLs may or may not end in `/v1`,
    /// and a batch's `results_url` is a full path) and the auth is `x-api-key` +
    /// `anthropic-version`, as for its chat calls. Transient failures (429, 5xx, connection
    /// errors, timeouts) are retried like chat requests; the last answer is returned whatever
    /// its status.
    pub async fn api_call(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let inner = &*self.inner;
        let ep = &inner.endpoints[0];
        let key = ep.key.get().await.map_err(Error::Usage)?;
        let url = match ep.wire {
            Wire::Anthropic => format!("{}{path}", crate::provider::anthropic::api_root(&ep.base_url)),
            _ => format!("{}{path}", ep.base_url.trim_end_matches('/')),
        };
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::usage(format!("bad HTTP method `{method}`")))?;
        let mut attempt = 0;
        let mut token_refreshed = false;
        loop {
            // The endpoint's credential: its static key, or its OAuth2 token (shared with
            // chat requests, refreshed once when the server refuses it).
            let credential = self.credential(ep, &key).await.map_err(anyhow::Error::from)?;
            let secret = credential.as_ref().map(|c| c.secret.expose().to_string());
            let mut rb = inner.client.request(method.clone(), &url).body(body.clone());
            if let Some(ct) = content_type {
                rb = rb.header("content-type", ct);
            }
            match (ep.placement, &secret) {
                (Some(Placement::Bearer), Some(s)) => rb = rb.bearer_auth(s),
                (Some(Placement::Header(name)), Some(s)) => rb = rb.header(name, s),
                (Some(Placement::Query), Some(s)) => rb = rb.query(&[("access_token", s)]),
                (None, Some(s)) => {
                    rb = match ep.wire {
                        Wire::Azure => rb.header("api-key", s),
                        Wire::Anthropic => rb,
                        Wire::OpenAi => rb.bearer_auth(s),
                    }
                }
                (_, None) => {}
            }
            if ep.wire == Wire::Anthropic {
                let provider_key = ep.provider_key(secret.as_deref());
                for (name, value) in crate::provider::anthropic::api_headers(provider_key) {
                    rb = rb.header(name, value);
                }
            }
            if let Some(v) = &ep.settings.api_version {
                rb = rb.query(&[("api-version", v)]);
            }
            let sent = async {
                let resp = rb.send().await?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let bytes = resp.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, bytes.to_vec()))
            };
            let result = tokio::time::timeout(inner.timeout, sent).await;
            let (retryable, wait, last) = match result {
                Ok(Ok((status, headers, bytes))) => {
                    let generation = credential.as_ref().and_then(|c| c.generation);
                    if let (Some(tp), Some(g), 401, false) = (&ep.oauth, generation, status, token_refreshed)
                    {
                        // An expired or revoked token: refresh it once and resend (not a retry).
                        token_refreshed = true;
                        tp.refresh_after_reject(g, || {
                            tp.fetch_http(&inner.client, &inner.policy, inner.timeout)
                        })
                        .await
                        .map_err(|e| anyhow::Error::from(token_error(e, &ep.settings.profile)))?;
                        continue;
                    }
                    if !status_is_transient(status, &headers) {
                        return Ok((status, bytes));
                    }
                    (true, server_wait(&headers, SystemTime::now()), Ok((status, bytes)))
                }
                Ok(Err(e)) => {
                    // A transport error may quote the URL, and with it a query-placed token.
                    let mut msg = error_chain(&e);
                    if let Some(s) = &secret {
                        redact_secret(&mut msg, s);
                    }
                    (true, None, Err(msg))
                }
                Err(_) => (true, None, Err(format!("no answer within {:?}", inner.timeout))),
            };
            if !retryable || attempt >= inner.policy.max_retries {
                return match last {
                    Ok(answer) => Ok(answer),
                    Err(msg) => Err(Error::Unavailable(format!("{} {url}: {msg}", method.as_str())).into()),
                };
            }
            tokio::time::sleep(inner.policy.wait(attempt, wait)).await;
            attempt += 1;
        }
    }
}
