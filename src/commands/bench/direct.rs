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
//! Streams, HTTPS, retries and rate limits always go through the engine.

use std::borrow::Cow;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, HOST};
use hyper::{Method, Request, Uri};
use serde::de::IgnoredAny;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::record::ErrorClass;
use super::runner::Exchange;
use super::target::class_of;
use crate::engine::{DirectPlan, ErrorKind};
use crate::provider::{Wire, WireUsage};
use crate::usage::Usage;

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
            let mut headers = HeaderMap::with_capacity(spec.headers.len() + 1);
            headers.insert(HOST, HeaderValue::from_str(authority.as_str()).ok()?);
            for (name, value) in &spec.headers {
                headers.append(
                    HeaderName::from_bytes(name.as_bytes()).ok()?,
                    HeaderValue::from_str(value).ok()?,
                );
            }
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
        match self.read(&bytes) {
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

    /// Usage and the first choice's text of a 2xx body. OpenAI's answers are read with a
    /// borrowing struct that skips what bench does not use (the engine's full parse buffers
    /// every unknown field); anything it cannot read goes to the engine's parser, so errors
    /// and edge cases are the engine's.
    fn read(&self, bytes: &[u8]) -> Result<(Option<Usage>, Option<String>), String> {
        if matches!(self.wire, Wire::OpenAi | Wire::Azure) {
            if let Ok(lean) = serde_json::from_slice::<LeanResponse<'_>>(bytes) {
                let text = lean.choices.into_iter().next().and_then(|c| c.message.content).map(String::from);
                return Ok((lean.usage.map(|u| u.to_usage()), text));
            }
        }
        let parsed = self.wire.parse_response(bytes).map_err(|e| e.0)?;
        let text = parsed.choices.first().and_then(|c| c.message.content.clone());
        Ok((parsed.usage.map(|u| u.to_usage()), text))
    }
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

/// An error and its sources on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
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
