//! The direct path: non-streamed requests sent on bare HTTP/1 connections, for when the
//! engine would add nothing but cost.
//!
//! Going through the engine costs a URL parse, a header map and a JSON serialization per
//! request, reqwest's pool, and the engine's bookkeeping; against a fast server that capped
//! `bench` at about 0.4x the requests/s of `oha`. When the engine says one plain attempt is
//! all it would do ([`Engine::direct_plan`]: one `http://` endpoint, no retries, no rate
//! limit, no cache), the exact requests it would send are prepared once, and each request
//! costs a clone of ready bytes on a kept-alive connection. Answers are read by the same
//! parser the engine uses, and failures are classified the same way, so the records (counts,
//! tokens, error classes) are the ones the engine path would give.
//!
//! Streams, HTTPS, proxies, retries and rate limits always go through the engine. One
//! behaviour differs on purpose: after a 429 the engine pauses every worker, this path keeps
//! offering the configured load (`--via-engine` restores the engine's behaviour).

use std::borrow::Cow;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, HOST, USER_AGENT};
use hyper::{Method, Request, Uri};
use serde::de::IgnoredAny;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::record::ErrorClass;
use super::runner::Exchange;
use super::target::class_of;
use crate::engine::{error_chain, DirectPlan, ErrorKind};
use crate::provider::{Wire, WireUsage};
use crate::usage::Usage;

const USER_AGENT_VALUE: &str = concat!("llmkit/", env!("CARGO_PKG_VERSION"));

/// One prepared request.
struct Prepared {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// Sends prepared requests on a pool of HTTP/1 connections to one address.
pub struct DirectTarget {
    /// `host:port` to connect to.
    address: String,
    requests: Vec<Prepared>,
    wire: Wire,
    timeout: Duration,
    /// The engine's cap on requests in flight, kept so both paths offer the same load.
    slots: Semaphore,
    /// Idle kept-alive connections.
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

impl DirectTarget {
    /// `None` when a request of the plan cannot be expressed here (the engine path is used).
    pub fn new(plan: DirectPlan) -> Option<DirectTarget> {
        // The engine's client goes through a proxy named in the environment; this path
        // cannot, so it steps aside.
        let proxied = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        if proxied {
            return None;
        }
        let mut address = None;
        let mut requests = Vec::with_capacity(plan.requests.len());
        for spec in plan.requests {
            let full: Uri = spec.url.parse().ok()?;
            if full.scheme_str() != Some("http") {
                return None;
            }
            let authority = full.authority()?.clone();
            let here = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
            if address.get_or_insert_with(|| here.clone()) != &here {
                return None;
            }
            let uri = Uri::builder().path_and_query(full.path_and_query()?.clone()).build().ok()?;
            let mut headers = HeaderMap::with_capacity(spec.headers.len() + 3);
            headers.insert(HOST, HeaderValue::from_str(authority.as_str()).ok()?);
            for (name, value) in &spec.headers {
                headers.append(
                    HeaderName::from_bytes(name.as_bytes()).ok()?,
                    HeaderValue::from_str(value).ok()?,
                );
            }
            // What the engine's reqwest client adds to every request.
            headers.entry(USER_AGENT).or_insert(HeaderValue::from_static(USER_AGENT_VALUE));
            headers.entry(ACCEPT).or_insert(HeaderValue::from_static("*/*"));
            let method = Method::from_bytes(spec.method.as_bytes()).ok()?;
            requests.push(Prepared { method, uri, headers, body: Bytes::from(spec.body) });
        }
        Some(DirectTarget {
            address: address?,
            requests,
            wire: plan.wire,
            timeout: plan.timeout,
            slots: Semaphore::new(plan.max_in_flight.clamp(1, Semaphore::MAX_PERMITS)),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// An idle connection that still works, or a new one.
    async fn connection(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        loop {
            let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match pooled {
                Some(mut conn) => {
                    if conn.ready().await.is_ok() {
                        return Ok(conn);
                    }
                }
                None => break,
            }
        }
        let tcp = tokio::net::TcpStream::connect(&self.address)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", self.address))?;
        let _ = tcp.set_nodelay(true);
        let (conn, driver) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .map_err(|e| format!("HTTP handshake with {} failed: {e}", self.address))?;
        tokio::spawn(driver);
        Ok(conn)
    }

    /// One request, timed like the engine times a non-streamed one: the answer counts as
    /// arrived when its whole body is in.
    pub async fn send(&self, index: usize) -> Exchange {
        let Ok(_slot) = self.slots.acquire().await else {
            return failed(ErrorClass::Other, None, "the request slots were closed".into());
        };
        let Some(p) = self.requests.get(index % self.requests.len().max(1)) else {
            return failed(ErrorClass::Config, None, "no request prepared".into());
        };
        let deadline = Instant::now() + self.timeout;
        let timed_out =
            || failed(ErrorClass::Timeout, None, format!("no response within {:?}", self.timeout));
        let mut conn = match tokio::time::timeout_at(deadline, self.connection()).await {
            Err(_) => return timed_out(),
            Ok(Err(message)) => return failed(ErrorClass::Connect, None, message),
            Ok(Ok(c)) => c,
        };
        let mut req = Request::new(Full::new(p.body.clone()));
        *req.method_mut() = p.method.clone();
        *req.uri_mut() = p.uri.clone();
        *req.headers_mut() = p.headers.clone();
        let resp = match tokio::time::timeout_at(deadline, conn.send_request(req)).await {
            Err(_) => return timed_out(),
            Ok(Err(e)) => return failed(ErrorClass::Connect, None, error_chain(&e)),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let bytes = match tokio::time::timeout_at(deadline, resp.into_body().collect()).await {
            Err(_) => return failed(ErrorClass::Timeout, Some(status), "response body timed out".into()),
            Ok(Err(e)) => {
                return failed(class_of(ErrorKind::Stream, Some(status)), Some(status), error_chain(&e))
            }
            Ok(Ok(b)) => b.to_bytes(),
        };
        let now = Instant::now();
        if !conn.is_closed() {
            self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        }
        if !(200..300).contains(&status) {
            let kind = match status {
                401 | 403 => ErrorKind::Auth,
                429 => ErrorKind::RateLimited,
                s if s >= 500 => ErrorKind::Server,
                _ => ErrorKind::Rejected,
            };
            let mut ex =
                failed(class_of(kind, Some(status)), Some(status), crate::provider::error_message(&bytes));
            ex.end = now;
            return ex;
        }
        match read(self.wire, &bytes) {
            Err(message) => {
                let mut ex = failed(class_of(ErrorKind::Stream, Some(status)), Some(status), message);
                ex.end = now;
                ex
            }
            Ok((usage, text)) => Exchange {
                first_chunk: Some(now),
                content: if text.as_deref().is_some_and(|t| !t.is_empty()) { vec![now] } else { Vec::new() },
                end: now,
                input_tokens: usage.map(|u| u.input_tokens),
                output_tokens: usage.map(|u| u.output_tokens),
                output_text: match (usage, text) {
                    (None, Some(t)) => t,
                    _ => String::new(),
                },
                status: Some(status),
                error: None,
            },
        }
    }
}

/// Usage and the first choice's text of a 2xx body. OpenAI's answers are read with a
/// borrowing struct that skips what bench does not use (the engine's full parse buffers
/// every unknown field); anything it cannot read goes to the engine's parser, so errors
/// and edge cases are the engine's.
fn read(wire: Wire, bytes: &[u8]) -> Result<(Option<Usage>, Option<String>), String> {
    if matches!(wire, Wire::OpenAi | Wire::Azure) {
        if let Ok(lean) = serde_json::from_slice::<LeanResponse<'_>>(bytes) {
            let text = lean.choices.into_iter().next().and_then(|c| c.message.content).map(String::from);
            return Ok((lean.usage.map(|u| u.to_usage()), text));
        }
    }
    let parsed = wire.parse_response(bytes).map_err(|e| e.0)?;
    let text = parsed.choices.first().and_then(|c| c.message.content.clone());
    Ok((parsed.usage.map(|u| u.to_usage()), text))
}

/// The parts of a `chat.completion` bench reads. The fields it does not use are still
/// typed like the engine's `ChatResponse` types them, so a body one path accepts the other
/// accepts too.
#[derive(Deserialize)]
struct LeanResponse<'a> {
    #[serde(default, borrow)]
    #[allow(dead_code)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    #[allow(dead_code)]
    object: Cow<'a, str>,
    #[serde(default)]
    #[allow(dead_code)]
    created: u64,
    #[serde(default, borrow)]
    #[allow(dead_code)]
    model: Cow<'a, str>,
    #[serde(default, borrow)]
    choices: Vec<LeanChoice<'a>>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct LeanChoice<'a> {
    #[serde(default)]
    #[allow(dead_code)]
    index: u32,
    #[serde(borrow)]
    message: LeanMessage<'a>,
    #[serde(default, borrow)]
    #[allow(dead_code)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LeanMessage<'a> {
    #[serde(default, borrow)]
    #[allow(dead_code)]
    role: Cow<'a, str>,
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    #[allow(dead_code)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(default)]
    #[allow(dead_code)]
    tool_calls: Option<Vec<IgnoredAny>>,
}

fn failed(class: ErrorClass, status: Option<u16>, message: String) -> Exchange {
    Exchange {
        first_chunk: None,
        content: Vec::new(),
        end: Instant::now(),
        input_tokens: None,
        output_tokens: None,
        output_text: String::new(),
        status,
        error: Some((class, super::target::one_line(&message))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the engine path takes from the same body.
    fn via_engine(bytes: &[u8]) -> Result<(Option<Usage>, Option<String>), ()> {
        let parsed = Wire::OpenAi.parse_response(bytes).map_err(|_| ())?;
        Ok((
            parsed.usage.map(|u| u.to_usage()),
            parsed.choices.first().and_then(|c| c.message.content.clone()),
        ))
    }

    #[test]
    fn the_lean_read_agrees_with_the_engine_parser() {
        let bodies: [&str; 9] = [
            r#"{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":2,"total_tokens":21},"system_fingerprint":"x"}"#,
            r#"{"choices":[{"message":{"content":"esc \"q\" \n \u00e9"}}]}"#,
            r#"{"choices":[{"message":{"content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}}],"usage":{"prompt_tokens":3,"completion_tokens":7}}"#,
            r#"{"choices":[]}"#,
            r#"{}"#,
            r#"{"id":5,"choices":[]}"#,
            r#"{"choices":[{"index":0}]}"#,
            r#"<html>hello</html>"#,
            r#"[1,2]"#,
        ];
        for body in bodies {
            let lean = read(Wire::OpenAi, body.as_bytes()).map_err(|_| ());
            assert_eq!(lean, via_engine(body.as_bytes()), "{body}");
        }
        let (usage, text) = read(Wire::OpenAi, bodies[0].as_bytes()).unwrap();
        assert_eq!(usage.map(|u| (u.input_tokens, u.output_tokens)), Some((19, 2)));
        assert_eq!(text.as_deref(), Some("hi there"));
        assert_eq!(read(Wire::OpenAi, bodies[1].as_bytes()).unwrap().1.as_deref(), Some("esc \"q\" \n é"));
    }
}
