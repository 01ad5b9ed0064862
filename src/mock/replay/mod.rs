//! `llmkit serve --replay REC.jsonl`: answer requests from a recording, like a VCR cassette.
//!
//! A CI job that records its LLM traffic once (`--record`) can then run offline, at no cost,
//! with the exact answers it got: every chat completion request is matched against the
//! recorded requests on its normalized body (`commands::replay::normalize`: key order,
//! whitespace and number spelling ignored, `stream` flags ignored, `--match-on` to choose
//! fields) and answered with the recorded response, as JSON or, when the request asks to
//! stream, as SSE chunks rebuilt from it (same text, same usage), with the recorded latency
//! or none. Identical requests recorded several times are answered in recorded order.
//!
//! Anthropic's `POST /v1/messages` is answered from the same recording (see [`anthropic`]):
//! recorded requests are translated to the Messages API body the engine sent, and recorded
//! answers back into Messages API JSON or its SSE event sequence.
//!
//! A miss is a 404 in the API's error shape naming the closest recorded request and the
//! fields that differ, or, with `--fallthrough URL`, the request is forwarded there and the
//! exchange appended to the recording (record once, replay forever). Concurrent identical
//! misses wait for the first one's answer, so each distinct request is appended once. Auth
//! headers are forwarded to the fallthrough endpoint but never recorded or echoed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::body::{sse_data, PacedWriter};
use super::wire::{json_response, unix_now, Api, ApiError};
use super::{openai, MAX_BODY_BYTES};

mod anthropic;
use crate::commands::replay::input::{self, BadLine, InputFormat, Payload};
use crate::commands::replay::normalize::{closest, differing_fields, word_bag, MatchOn};
use crate::usage::{LedgerLine, Usage};

/// How long replayed answers take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplayLatency {
    /// The recorded TTFT and latency (streams spread the rest evenly over the chunks).
    #[default]
    Recorded,
    /// Answer at once.
    Zero,
}

/// What `serve --replay` needs.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub recording: PathBuf,
    pub match_on: MatchOn,
    pub latency: ReplayLatency,
    /// Base URL (`https://api.openai.com/v1`) that unmatched requests are forwarded to.
    pub fallthrough: Option<String>,
}

impl ReplayConfig {
    /// Validate the `serve --replay` flags.
    pub fn new(
        recording: PathBuf,
        match_on: Option<&str>,
        latency: ReplayLatency,
        fallthrough: Option<&str>,
    ) -> anyhow::Result<Self> {
        let match_on = match match_on {
            Some(spec) => MatchOn::parse(spec).map_err(crate::error::Error::Usage)?,
            None => MatchOn::Body,
        };
        let fallthrough = match fallthrough {
            Some(url) => {
                let url = url.trim_end_matches('/');
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(crate::error::Error::usage(format!(
                        "--fallthrough `{url}` must start with http:// or https://"
                    ))
                    .into());
                }
                Some(url.to_string())
            }
            None => None,
        };
        Ok(ReplayConfig { recording, match_on, latency, fallthrough })
    }
}

/// A request as one API sees it: its `--match-on` projection and the word bag of its key
/// (for naming the closest request on a miss).
type View = (Value, HashMap<String, u32>);

/// One recorded exchange, indexed.
#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    id: Option<String>,
    /// The projected request (what `--match-on` compares), for naming differing fields.
    projected: Value,
    bag: HashMap<String, u32>,
    /// The same for the Messages API body of the request (`None`: not expressible there).
    anthropic: Option<View>,
    status: Option<u16>,
    response: Option<Value>,
    error: Option<String>,
    ttft_ms: Option<f64>,
    latency_ms: Option<f64>,
}

/// The loaded recording: entries, the match index, and how often each key was served.
#[derive(Debug, Default)]
struct Cassette {
    entries: Vec<Entry>,
    by_key: HashMap<String, Vec<usize>>,
    served: HashMap<String, usize>,
    /// Lines in the file so far (appended exchanges continue the numbering).
    lines: usize,
}

impl Cassette {
    /// Index `entry` under each of its keys (one per API it can answer).
    fn add(&mut self, keys: Vec<String>, entry: Entry) {
        for key in keys {
            self.by_key.entry(key).or_default().push(self.entries.len());
        }
        self.entries.push(entry);
    }

    /// The next answer for `key`: recorded answers in order, the last one repeated.
    fn take(&mut self, key: &str) -> Option<Entry> {
        let list = self.by_key.get(key)?;
        let n = self.served.entry(key.to_string()).or_insert(0);
        let idx = list[(*n).min(list.len() - 1)];
        *n += 1;
        self.entries.get(idx).cloned()
    }
}

/// Shared state of the replay server.
#[derive(Debug)]
pub struct ReplayState {
    config: ReplayConfig,
    cassette: Mutex<Cassette>,
    client: Option<reqwest::Client>,
    /// One lock per missed key being forwarded: identical concurrent misses queue behind the
    /// first and are then answered from what it recorded.
    inflight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    started: Instant,
}

/// The match keys of a recorded request, with its Anthropic view. A line recorded against
/// Anthropic (`anthropic_line`) may hold a Messages API body instead of a canonical one
/// (what `--fallthrough` writes when no canonical body translates to the client's request):
/// such a body is also indexed as it is.
fn index_keys(match_on: &MatchOn, body: &Value, anthropic_line: bool) -> (String, Vec<String>, Option<View>) {
    let key = match_on.key(body);
    let mut keys = vec![key.clone()];
    let raw = (anthropic_line && anthropic::is_wire_body(body)).then(|| body.clone());
    let mut view = None;
    for wire in [anthropic::wire_request(body), raw].into_iter().flatten() {
        let akey = anthropic::key(match_on, &wire);
        if !keys.contains(&akey) {
            // The last one wins: a recorded wire body is what the client sent.
            view = Some((match_on.project(&wire), word_bag(&akey)));
            keys.push(akey);
        }
    }
    (key, keys, view)
}

/// Load the recording. Bad lines are returned for the caller to report (the rest is served).
pub fn load(config: ReplayConfig) -> anyhow::Result<(ReplayState, Vec<BadLine>)> {
    let file = std::fs::File::open(&config.recording).map_err(|e| {
        crate::error::Error::usage(format!("cannot read recording {}: {e}", config.recording.display()))
    })?;
    let reader = std::io::BufReader::new(file);
    let (_, items) = input::open(reader, None, Some(InputFormat::Recording))
        .map_err(|e| crate::error::Error::usage(format!("{}: {e}", config.recording.display())))?;
    let mut cassette = Cassette::default();
    let mut bad = Vec::new();
    for item in items {
        match item {
            Ok(item) => {
                cassette.lines = cassette.lines.max(item.line);
                let Payload::Body(body) = item.payload else { continue };
                let Some(rec) = item.recorded else { continue };
                let projected = config.match_on.project(&body);
                let (key, keys, view) = index_keys(&config.match_on, &body, rec.provider == "anthropic");
                cassette.add(
                    keys,
                    Entry {
                        line: item.line,
                        id: item.id,
                        bag: word_bag(&key),
                        projected,
                        anthropic: view,
                        status: rec.status,
                        response: rec.response,
                        error: rec.error,
                        ttft_ms: rec.ttft_ms,
                        latency_ms: rec.latency_ms,
                    },
                );
            }
            Err(b) => {
                cassette.lines = cassette.lines.max(b.line);
                bad.push(b);
            }
        }
    }
    let client = match &config.fallthrough {
        Some(_) => Some(
            reqwest::Client::builder()
                .user_agent(concat!("llmkit/", env!("CARGO_PKG_VERSION"), " (serve --replay)"))
                .build()?,
        ),
        None => None,
    };
    let state = ReplayState {
        config,
        cassette: Mutex::new(cassette),
        client,
        inflight: Mutex::new(HashMap::new()),
        started: Instant::now(),
    };
    Ok((state, bad))
}

impl ReplayState {
    /// Recorded exchanges available.
    pub fn len(&self) -> usize {
        self.cassette.lock().map(|c| c.entries.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Misses are forwarded (`--fallthrough`).
    pub fn falls_through(&self) -> bool {
        self.config.fallthrough.is_some()
    }

    /// One line for `serve`'s start-up message.
    pub fn summary(&self) -> String {
        let matching = match &self.config.match_on {
            MatchOn::Body => "the whole body (stream flags aside)".to_string(),
            MatchOn::Fields(f) => f.join(","),
        };
        let mut s = format!(
            "replaying {} recorded exchanges from {} · matching on {matching} · {} latency",
            self.len(),
            self.config.recording.display(),
            match self.config.latency {
                ReplayLatency::Recorded => "recorded",
                ReplayLatency::Zero => "zero",
            }
        );
        if let Some(url) = &self.config.fallthrough {
            s.push_str(&format!(" · misses go to {url} and are recorded"));
        }
        s
    }
}

/// The replay router: chat completions and Anthropic messages from the recording, a JSON
/// 404 for anything else.
pub fn router(state: Arc<ReplayState>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/chat/completions", post(chat_completions))
        .route("/v1/messages", post(messages))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(req: Request) -> Response {
    ApiError::not_found(req.method().as_str(), req.uri().path()).response(Api::OpenAi)
}

/// What the route reads of a request besides its key.
#[derive(Debug, Deserialize, Default)]
struct Delivery {
    #[serde(default)]
    stream: bool,
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, Deserialize, Default)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

async fn chat_completions(State(st): State<Arc<ReplayState>>, req: Request) -> Response {
    replay(st, req, Api::OpenAi).await
}

async fn messages(State(st): State<Arc<ReplayState>>, req: Request) -> Response {
    replay(st, req, Api::Anthropic).await
}

/// Both routes: parse, match, answer (or miss / fall through) in `api`'s dialect.
async fn replay(st: Arc<ReplayState>, req: Request, api: Api) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return ApiError::too_large(MAX_BODY_BYTES).response(api),
    };
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return ApiError::invalid("the request body must be a JSON object", None, None).response(api)
        }
        Err(e) => return ApiError::unparsable_json(&e.to_string()).response(api),
    };
    let delivery: Delivery = serde_json::from_value(body.clone()).unwrap_or_default();
    let include_usage = delivery.stream_options.is_some_and(|o| o.include_usage);
    let key = match api {
        Api::OpenAi => st.config.match_on.key(&body),
        Api::Anthropic => anthropic::key(&st.config.match_on, &body),
    };
    let hit = st.cassette.lock().ok().and_then(|mut c| c.take(&key));
    let entry = match hit {
        Some(e) => e,
        None => match &st.config.fallthrough {
            Some(url) => match forward_once(&st, url, &parts.headers, &body, &key, api).await {
                Ok(entry) => entry,
                Err(resp) => return resp,
            },
            None => return miss(&st, &body, api),
        },
    };
    answer(&entry, api, delivery.stream, include_usage, st.config.latency).await
}

/// 404 naming the closest recorded request and what differs.
fn miss(st: &ReplayState, body: &Value, api: Api) -> Response {
    let projected = st.config.match_on.project(body);
    let (bag, empty) = match api {
        Api::OpenAi => (word_bag(&st.config.match_on.key(body)), "the recording is empty"),
        Api::Anthropic => (
            word_bag(&anthropic::key(&st.config.match_on, body)),
            "no recorded request can be sent to the Messages API",
        ),
    };
    // Candidates in this API's view: (entry index, projection, bag).
    fn view(e: &Entry, api: Api) -> Option<(&Value, &HashMap<String, u32>)> {
        match api {
            Api::OpenAi => Some((&e.projected, &e.bag)),
            Api::Anthropic => e.anthropic.as_ref().map(|(p, b)| (p, b)),
        }
    }
    let hint = match st.cassette.lock() {
        Ok(c) => {
            let candidates: Vec<(&Entry, &Value, &HashMap<String, u32>)> =
                c.entries.iter().filter_map(|e| view(e, api).map(|(p, b)| (e, p, b))).collect();
            match closest(&bag, candidates.iter().map(|(_, _, b)| *b)) {
                Some((i, sim)) => {
                    let (e, e_projected, _) = candidates[i];
                    let id = e.id.as_deref().map(|id| format!(" (id {id})")).unwrap_or_default();
                    let fields = differing_fields(&projected, e_projected);
                    format!(
                        "closest recorded request: line {}{id}, {:.0}% similar, differs in: {}",
                        e.line,
                        sim * 100.0,
                        if fields.is_empty() { "nothing visible".to_string() } else { fields.join(", ") }
                    )
                }
                None => empty.to_string(),
            }
        }
        Err(_) => "the recording index is unavailable".to_string(),
    };
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!(
            "no recorded response matches this request in {}; {hint}",
            st.config.recording.display()
        ),
        param: None,
        code: Some("replay_miss"),
        openai_type: "invalid_request_error",
    }
    .response(api)
}

/// Answer from an entry: the recorded error, the recorded body, or SSE rebuilt from it.
async fn answer(
    entry: &Entry,
    api: Api,
    stream: bool,
    include_usage: bool,
    latency: ReplayLatency,
) -> Response {
    let (ttft, total) = match latency {
        ReplayLatency::Zero => (Duration::ZERO, Duration::ZERO),
        ReplayLatency::Recorded => {
            let total = ms(entry.latency_ms.unwrap_or(0.0));
            (entry.ttft_ms.map(ms).unwrap_or(total).min(total), total)
        }
    };
    let ok = entry.status.is_some_and(|s| (200..300).contains(&s)) && entry.error.is_none();
    let Some(response) = entry.response.as_ref().filter(|_| ok) else {
        tokio::time::sleep(total).await;
        let status = entry
            .status
            .filter(|s| *s >= 400)
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::BAD_GATEWAY);
        let message = entry.error.clone().unwrap_or_else(|| "the recorded request failed".into());
        let openai_type = match status.as_u16() {
            429 => "requests",
            s if s >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        return ApiError {
            status,
            message: format!("(replayed) {message}"),
            param: None,
            code: None,
            openai_type,
        }
        .response(api);
    };
    if api == Api::Anthropic {
        return answer_anthropic(response, stream, ttft, total).await;
    }
    if !stream {
        tokio::time::sleep(total).await;
        return match serde_json::to_vec(response) {
            Ok(bytes) => json_response(StatusCode::OK, bytes),
            Err(e) => server_error(&format!("cannot encode the recorded response: {e}")),
        };
    }
    let completion: RecordedCompletion = match serde_json::from_value(response.clone()) {
        Ok(c) => c,
        Err(e) => return server_error(&format!("the recorded response is not a chat completion: {e}")),
    };
    let paced = match sse_from(&completion, include_usage, ttft, total.saturating_sub(ttft)) {
        Ok(p) => p,
        Err(e) => return server_error(&format!("cannot encode the stream: {e}")),
    };
    let mut resp = Response::new(paced.into_body());
    openai::sse_headers(resp.headers_mut());
    resp
}

/// A recorded answer in the Messages API's dialect.
async fn answer_anthropic(response: &Value, stream: bool, ttft: Duration, total: Duration) -> Response {
    let fail = |e: String| ApiError::internal(e).response(Api::Anthropic);
    let recorded: anthropic::Recorded = match serde_json::from_value(response.clone()) {
        Ok(r) => r,
        Err(e) => return fail(format!("the recorded response is not a chat completion: {e}")),
    };
    if !stream {
        tokio::time::sleep(total).await;
        return match anthropic::message(&recorded) {
            Ok(bytes) => json_response(StatusCode::OK, bytes),
            Err(e) => fail(format!("cannot encode the recorded response: {e}")),
        };
    }
    match anthropic::stream(&recorded, ttft, total.saturating_sub(ttft)) {
        Ok(paced) => {
            let mut resp = Response::new(paced.into_body());
            openai::sse_headers(resp.headers_mut());
            resp
        }
        Err(e) => fail(format!("cannot encode the stream: {e}")),
    }
}

fn server_error(message: &str) -> Response {
    ApiError::internal(message).response(Api::OpenAi)
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64((v.max(0.0)) / 1000.0)
}

/// A recorded chat completion: what a stream is rebuilt from. Usage passes through as it
/// was recorded, so the streamed usage is byte for byte the recorded one.
#[derive(Debug, Deserialize)]
struct RecordedCompletion {
    #[serde(default)]
    id: String,
    #[serde(default)]
    created: u64,
    #[serde(default)]
    model: String,
    #[serde(default)]
    system_fingerprint: Option<String>,
    #[serde(default)]
    choices: Vec<RecordedChoice>,
    #[serde(default)]
    usage: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RecordedChoice {
    #[serde(default)]
    index: u32,
    message: Option<RecordedMessage>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RecordedMessage {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<Value>,
    refusal: Option<String>,
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a str>,
    choices: Vec<ChunkChoice<'a>>,
    /// Present (as `null` until the last chunk) only with `include_usage`, as OpenAI does.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<&'a Value>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    finish_reason: Option<&'a str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<Value>>,
}

/// Split text into stream pieces: each piece is a run of whitespace and the word after it,
/// so the pieces concatenate to the text exactly.
pub(super) fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_ws = true;
    for (i, c) in text.char_indices() {
        let ws = c.is_whitespace();
        if ws && !prev_ws && i > start {
            out.push(&text[start..i]);
            start = i;
        }
        prev_ws = ws;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The SSE body of a recorded completion: a role chunk, content pieces (TTFT before the
/// first, the rest of the latency spread over the others), tool calls, the finish chunk,
/// the usage chunk when asked for, `[DONE]`.
fn sse_from(
    c: &RecordedCompletion,
    include_usage: bool,
    ttft: Duration,
    rest: Duration,
) -> Result<super::body::Paced, serde_json::Error> {
    let usage_field =
        |last: bool| if include_usage { Some(if last { c.usage.as_ref() } else { None }) } else { None };
    let chunk = |choices: Vec<ChunkChoice<'_>>, last: bool| -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Chunk {
            id: &c.id,
            object: "chat.completion.chunk",
            created: if c.created == 0 { unix_now() } else { c.created },
            model: &c.model,
            system_fingerprint: c.system_fingerprint.as_deref(),
            choices,
            usage: usage_field(last),
        })
    };
    let mut w = PacedWriter::with_capacity(1024);
    let mut choices: Vec<&RecordedChoice> = c.choices.iter().collect();
    choices.sort_by_key(|ch| ch.index);
    let total_pieces: usize = choices
        .iter()
        .filter_map(|ch| ch.message.as_ref())
        .map(|m| m.content.as_deref().map_or(0, |t| pieces(t).len()))
        .sum();
    let gap = if total_pieces > 1 { rest / (total_pieces as u32 - 1).max(1) } else { Duration::ZERO };
    let mut first_output = true;
    for ch in &choices {
        let role = Delta { role: Some("assistant"), content: Some(""), ..Delta::default() };
        sse_data(
            &mut w,
            &chunk(vec![ChunkChoice { index: ch.index, delta: role, finish_reason: None }], false)?,
        );
        let Some(m) = &ch.message else { continue };
        for piece in m.content.as_deref().map(pieces).unwrap_or_default() {
            w.pause(if first_output { ttft } else { gap });
            first_output = false;
            let delta = Delta { content: Some(piece), ..Delta::default() };
            sse_data(
                &mut w,
                &chunk(vec![ChunkChoice { index: ch.index, delta, finish_reason: None }], false)?,
            );
        }
        if let Some(refusal) = &m.refusal {
            let delta = Delta { refusal: Some(refusal), ..Delta::default() };
            sse_data(
                &mut w,
                &chunk(vec![ChunkChoice { index: ch.index, delta, finish_reason: None }], false)?,
            );
        }
        if !m.tool_calls.is_empty() {
            if first_output {
                w.pause(ttft);
                first_output = false;
            }
            let calls: Vec<Value> = m
                .tool_calls
                .iter()
                .enumerate()
                .map(|(i, call)| {
                    let mut call = call.clone();
                    if let Value::Object(map) = &mut call {
                        map.entry("index").or_insert(Value::from(i));
                    }
                    call
                })
                .collect();
            let delta = Delta { tool_calls: Some(calls), ..Delta::default() };
            sse_data(
                &mut w,
                &chunk(vec![ChunkChoice { index: ch.index, delta, finish_reason: None }], false)?,
            );
        }
        let finish = ChunkChoice {
            index: ch.index,
            delta: Delta::default(),
            finish_reason: ch.finish_reason.as_deref(),
        };
        sse_data(&mut w, &chunk(vec![finish], false)?);
    }
    if first_output {
        w.pause(ttft + rest);
    }
    if include_usage {
        sse_data(&mut w, &chunk(Vec::new(), true)?);
    }
    w.put(b"data: [DONE]\n\n");
    Ok(w.finish())
}

/// Forward a miss unless an identical request is already being forwarded; then wait for it
/// and answer from what it recorded, so concurrent identical misses append one line.
async fn forward_once(
    st: &ReplayState,
    base_url: &str,
    headers: &HeaderMap,
    body: &Value,
    key: &str,
    api: Api,
) -> Result<Entry, Response> {
    let gate = {
        let mut map = st.inflight.lock().map_err(|_| server_error("fallthrough lock poisoned"))?;
        map.entry(key.to_string()).or_default().clone()
    };
    let _turn = gate.lock().await;
    let recorded_meanwhile = st.cassette.lock().ok().and_then(|mut c| c.take(key));
    let result = match recorded_meanwhile {
        // It waited for the real exchange already: no recorded latency on top.
        Some(entry) => Ok(Entry { latency_ms: None, ttft_ms: None, ..entry }),
        None => fall_through(st, base_url, headers, body, key, api).await,
    };
    if let Ok(mut map) = st.inflight.lock() {
        // The last one out removes the gate (the map holds one reference, `gate` another).
        if Arc::strong_count(&gate) <= 2 {
            map.remove(key);
        }
    }
    result
}

/// Forward a miss to the fallthrough endpoint (non-streaming, so the whole answer can be
/// recorded), append the exchange to the recording, and index it.
///
/// Anthropic requests go to `/v1/messages` under the URL's API root, and are recorded like
/// `chat --record` against Anthropic records them: the canonical request (see
/// `anthropic::recorded_request`) and the answer translated by the provider's own
/// Messages API -> canonical translation.
async fn fall_through(
    st: &ReplayState,
    base_url: &str,
    headers: &HeaderMap,
    body: &Value,
    key: &str,
    api: Api,
) -> Result<Entry, Response> {
    let fail = |message: String| ApiError::internal(message).response(api);
    let Some(client) = &st.client else { return Err(fail("fallthrough client missing".into())) };
    let mut upstream = body.clone();
    if let Value::Object(map) = &mut upstream {
        map.remove("stream");
        map.remove("stream_options");
    }
    let (url, auth_headers): (String, &[&str]) = match api {
        Api::OpenAi => (
            format!("{}/chat/completions", base_url.trim_end_matches('/')),
            &["authorization", "x-api-key", "api-key", "openai-organization", "openai-project"],
        ),
        Api::Anthropic => (
            format!("{}/v1/messages", crate::provider::anthropic::api_root(base_url)),
            &["x-api-key", "authorization", "anthropic-version", "anthropic-beta"],
        ),
    };
    let mut req = client.post(&url).json(&upstream);
    // Credentials go to the upstream and nowhere else: never into the recording or a reply.
    for name in auth_headers {
        if let Some(v) = headers.get(*name) {
            req = req.header(*name, v.clone());
        }
    }
    let sent = Instant::now();
    let started_wall = std::time::SystemTime::now();
    let resp = req.send().await.map_err(|e| {
        ApiError {
            status: StatusCode::BAD_GATEWAY,
            message: format!("fallthrough to {url} failed: {}", without_url(&e)),
            param: None,
            code: None,
            openai_type: "server_error",
        }
        .response(api)
    })?;
    let status = resp.status();
    let content_type = resp.headers().get("content-type").cloned();
    let bytes: Bytes = resp
        .bytes()
        .await
        .map_err(|e| fail(format!("fallthrough to {url}: reading the answer failed: {}", without_url(&e))))?;
    let latency_ms = sent.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        // Not recorded: a transient upstream error must not be replayed forever.
        let mut out = Response::new(axum::body::Body::from(bytes));
        *out.status_mut() = status;
        out.headers_mut().insert(
            "content-type",
            content_type.unwrap_or_else(|| HeaderValue::from_static("application/json")),
        );
        return Err(out);
    }
    let (provider, request, response, usage) = match api {
        Api::OpenAi => {
            let response: Value = serde_json::from_slice(&bytes)
                .map_err(|e| fail(format!("fallthrough to {url}: the answer is not JSON: {e}")))?;
            let usage =
                serde_json::from_value::<WireUsage>(response.get("usage").cloned().unwrap_or(Value::Null))
                    .ok()
                    .map(|u| u.to_usage());
            ("openai", body.clone(), response, usage)
        }
        Api::Anthropic => {
            let parsed = crate::provider::anthropic::parse_response(&bytes)
                .map_err(|e| fail(format!("fallthrough to {url}: {}", e.0)))?;
            let usage = parsed.usage.map(|u| u.to_usage());
            let response = serde_json::to_value(&parsed)
                .map_err(|e| fail(format!("fallthrough to {url}: cannot encode the answer: {e}")))?;
            let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
            ("anthropic", anthropic::recorded_request(body, stream), response, usage)
        }
    };
    let model = response
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .or_else(|| body.get("model").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    let line = LedgerLine {
        ts: format!("{:.3}", jiff::Timestamp::try_from(started_wall).unwrap_or(jiff::Timestamp::UNIX_EPOCH)),
        offset_ms: Some(st.started.elapsed().as_secs_f64() * 1000.0 - latency_ms),
        provider: provider.into(),
        url: url.clone(),
        model,
        command: Some("serve".into()),
        status: Some(status.as_u16()),
        usage,
        latency_ms: Some(latency_ms),
        request: Some(request.clone()),
        response: Some(response.clone()),
        ..LedgerLine::default()
    };
    let entry = {
        let mut c = st.cassette.lock().map_err(|_| fail("recording index poisoned".into()))?;
        append_line(&st.config.recording, &line)
            .map_err(|e| fail(format!("cannot append to {}: {e}", st.config.recording.display())))?;
        c.lines += 1;
        // Indexed exactly as a reload would index the line, so the next identical request
        // hits now and after a restart.
        let (canonical_key, mut keys, view) =
            index_keys(&st.config.match_on, &request, provider == "anthropic");
        if !keys.iter().any(|k| k == key) {
            // Only reachable if the recorded form lost something the key sees; still serve
            // this session's repeats from memory.
            keys.push(key.to_string());
        }
        let entry = Entry {
            line: c.lines,
            id: None,
            projected: st.config.match_on.project(&request),
            bag: word_bag(&canonical_key),
            anthropic: view,
            status: line.status,
            response: Some(response),
            error: None,
            ttft_ms: None,
            latency_ms: Some(latency_ms),
        };
        c.add(keys, entry.clone());
        // This request consumed the new answer.
        *c.served.entry(key.to_string()).or_insert(0) += 1;
        entry
    };
    // The client did not wait for a recorded latency: it already waited for the real one.
    Ok(Entry { latency_ms: None, ttft_ms: None, ..entry })
}

/// reqwest errors name the URL; ours already did, and a URL may carry a key in its query.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "<url>");
    }
    s
}

/// OpenAI's usage object (what the fallthrough records as normalized usage).
#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    prompt_tokens_details: Option<PromptDetails>,
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: u64,
}

#[derive(Debug, Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: u64,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        Usage {
            input_tokens: self.prompt_tokens,
            cached_tokens: self.prompt_tokens_details.as_ref().map_or(0, |d| d.cached_tokens),
            cache_write_tokens: 0,
            output_tokens: self.completion_tokens,
            reasoning_tokens: self.completion_tokens_details.as_ref().map_or(0, |d| d.reasoning_tokens),
        }
    }
}

/// Append one line; the file is opened per append so a crash leaves whole lines behind.
fn append_line(path: &Path, line: &LedgerLine) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(line).map_err(std::io::Error::other)?;
    text.push(b'\n');
    let mut f = std::fs::OpenOptions::new().append(true).create(true).open(path)?;
    // A recording cut mid-line by a crash gets its own line for the new exchange.
    let needs_newline = f.metadata().map(|m| m.len() > 0).unwrap_or(false) && !ends_with_newline(path);
    if needs_newline {
        f.write_all(b"\n")?;
    }
    f.write_all(&text)?;
    f.flush()
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return true };
    if f.seek(SeekFrom::End(-1)).is_err() {
        return true;
    }
    let mut b = [0u8; 1];
    f.read_exact(&mut b).map(|_| b[0] == b'\n').unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pieces_concatenate_to_the_text() {
        for text in
            ["", "one", "Hello, world! How are you?", "  lead and trail  ", "a\n\nb\tc", "naïve café ☕ ok"]
        {
            let p = pieces(text);
            assert_eq!(p.concat(), text);
            assert!(p.iter().all(|x| !x.is_empty()));
        }
        assert_eq!(pieces("a b  c"), ["a", " b", "  c"]);
    }

    fn entry(line: usize) -> Entry {
        Entry {
            line,
            id: None,
            projected: json!({}),
            bag: HashMap::new(),
            anthropic: None,
            status: Some(200),
            response: None,
            error: None,
            ttft_ms: None,
            latency_ms: None,
        }
    }

    #[test]
    fn identical_requests_get_recorded_answers_in_order_then_the_last_again() {
        let mut c = Cassette::default();
        c.add(vec!["k".into()], entry(1));
        c.add(vec!["other".into()], entry(2));
        c.add(vec!["k".into(), "k2".into()], entry(3));
        let lines: Vec<usize> = (0..4).map(|_| c.take("k").unwrap().line).collect();
        assert_eq!(lines, [1, 3, 3, 3]);
        assert!(c.take("missing").is_none());
        assert_eq!(c.take("k2").unwrap().line, 3, "one entry under several keys");
    }

    #[test]
    fn streams_rebuild_text_tool_calls_and_usage() {
        let c: RecordedCompletion = serde_json::from_value(json!({
            "id": "chatcmpl-1", "created": 5, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there you",
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
        }))
        .unwrap();
        let paced = sse_from(&c, true, Duration::ZERO, Duration::ZERO).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let bytes = rt.block_on(async { axum::body::to_bytes(paced.into_body(), usize::MAX).await.unwrap() });
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let datas: Vec<&str> = text.split("\n\n").filter_map(|b| b.strip_prefix("data: ")).collect();
        assert_eq!(datas.last(), Some(&"[DONE]"));
        let chunks: Vec<Value> =
            datas[..datas.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
        let content: String =
            chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
        assert_eq!(content, "Hi there you");
        let usage = chunks.last().unwrap();
        assert_eq!(usage["choices"], json!([]));
        assert_eq!(usage["usage"]["total_tokens"], 6);
        assert!(chunks[..chunks.len() - 1].iter().all(|c| c["usage"].is_null()));
        let calls = chunks.iter().find_map(|c| c["choices"][0]["delta"].get("tool_calls")).unwrap();
        assert_eq!(calls[0]["index"], 0);
        assert_eq!(calls[0]["function"]["name"], "f");
        let finish: Vec<&str> =
            chunks.iter().filter_map(|c| c["choices"][0]["finish_reason"].as_str()).collect();
        assert_eq!(finish, ["tool_calls"]);
        assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk" && c["id"] == "chatcmpl-1"));
        // Without include_usage there is no usage key at all.
        let paced = sse_from(&c, false, Duration::ZERO, Duration::ZERO).unwrap();
        let bytes = rt.block_on(async { axum::body::to_bytes(paced.into_body(), usize::MAX).await.unwrap() });
        assert!(!String::from_utf8_lossy(&bytes).contains("usage"));
    }

    #[test]
    fn fallthrough_urls_are_checked() {
        let err = ReplayConfig::new("r".into(), None, ReplayLatency::Zero, Some("ftp://x")).unwrap_err();
        assert_eq!(crate::error::exit_code_for(&err), 2);
        let ok =
            ReplayConfig::new("r".into(), Some("model,messages"), ReplayLatency::Zero, Some("http://h/v1/"));
        let ok = ok.unwrap();
        assert_eq!(ok.fallthrough.as_deref(), Some("http://h/v1"));
        assert_eq!(ok.match_on, MatchOn::Fields(vec!["model".into(), "messages".into()]));
    }
}
