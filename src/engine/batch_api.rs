//! Plain authenticated calls to the primary endpoint's non-chat APIs, for `batch --remote`
//! (OpenAI `/v1/files` and `/v1/batches`; Anthropic `/v1/messages/batches`). Same client, key,
//! timeout and retry policy as chat requests, so commands still never touch the network
//! themselves; no rate limiting (these endpoints are not metered by RPM/TPM) and no ledger
//! (the results are priced when read).

use std::path::Path;
use std::time::SystemTime;

use tokio::io::AsyncWriteExt;

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
        self.api_exchange(method, path, content_type, body, None).await
    }

    /// `GET path` like [`Engine::api_call`], but a successful (2xx) body is streamed into the
    /// file `to` (created or truncated; rewritten from the start when a transient failure
    /// makes the download start over) instead of being held in memory: Batch API result files
    /// can be gigabytes. The timeout applies between chunks, not to the whole download.
    /// Returns the status, and the body of a non-2xx answer (its error message).
    pub async fn api_download(&self, path: &str, to: &Path) -> anyhow::Result<(u16, Vec<u8>)> {
        self.api_exchange("GET", path, None, Vec::new(), Some(to)).await
    }

    async fn api_exchange(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        to: Option<&Path>,
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
            let timeout = inner.timeout;
            let sent = async {
                let mut resp = tokio::time::timeout(timeout, rb.send())
                    .await
                    .map_err(|_| format!("no answer within {timeout:?}"))?
                    .map_err(|e| error_chain(&e))?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let mut bytes = Vec::new();
                let mut file = match to {
                    Some(path) if (200..300).contains(&status) => Some(
                        tokio::fs::File::create(path)
                            .await
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
                    ),
                    _ => None,
                };
                loop {
                    let chunk = tokio::time::timeout(timeout, resp.chunk())
                        .await
                        .map_err(|_| format!("the answer stalled for {timeout:?}"))?
                        .map_err(|e| error_chain(&e))?;
                    let Some(chunk) = chunk else { break };
                    match (&mut file, to) {
                        (Some(f), Some(path)) => f
                            .write_all(&chunk)
                            .await
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
                        _ => bytes.extend_from_slice(&chunk),
                    }
                }
                if let (Some(mut f), Some(path)) = (file, to) {
                    f.flush().await.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                }
                Ok::<_, String>((status, headers, bytes))
            };
            let result = sent.await;
            let (retryable, wait, last) = match result {
                Ok((status, headers, bytes)) => {
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
                Err(mut msg) => {
                    // A transport error may quote the URL, and with it a query-placed token.
                    if let Some(s) = &secret {
                        redact_secret(&mut msg, s);
                    }
                    (true, None, Err(msg))
                }
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
