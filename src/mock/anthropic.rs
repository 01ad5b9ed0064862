//! The Anthropic Messages API: `POST /v1/messages`, plain and streamed.
//!
//! Same pipeline as the OpenAI route (auth, rate limit, faults, deterministic reply), in
//! Anthropic's dialect: `max_tokens` is required, `system` is a top-level field, errors are
//! `{"type":"error","error":{"type":...,"message":...}}`, and a stream is the event sequence
//! `message_start`, `content_block_start`, `ping`, `content_block_delta` (one `text_delta` per
//! token), `content_block_stop`, `message_delta` (stop reason and output usage), `message_stop`.
//!
//! Token counts use o200k_base (Anthropic publishes no tokenizer): input = the system prompt
//! plus the messages in the same chat format as the OpenAI route; output = the reply, exact.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde::{Deserialize, Serialize};

use super::body::{sse_event, Paced, PacedWriter, Template, PLACEHOLDER};
use super::reply::{self, Fnv};
use super::request::{check_min_tokens, missing, parse_body, Content};
use super::wire::{to_json, Api, ApiError};
use super::{encoding_for, MockState, Planned};
use crate::tokenize::Encoding;

pub(crate) fn routes() -> Router<Arc<MockState>> {
    Router::new().route("/v1/messages", post(messages))
}

// ---------------------------------------------------------------------------------------------
// Models: `/v1/models` is shared with OpenAI; Anthropic's clients always send
// `anthropic-version`, which is how a request is recognized as theirs.

/// Models listed to Anthropic clients (any model is accepted in requests).
const MODELS: &[(&str, &str)] = &[
    ("claude-sonnet-4-5", "Claude Sonnet 4.5"),
    ("claude-haiku-4-5", "Claude Haiku 4.5"),
    ("claude-opus-4-5", "Claude Opus 4.5"),
];

/// A fixed date, so the listing is the same on every run.
const MODELS_CREATED_AT: &str = "2025-09-29T00:00:00Z";

pub(crate) fn is_anthropic(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("anthropic-version")
}

#[derive(Serialize)]
struct ModelInfo {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    display_name: String,
    created_at: &'static str,
    /// Required by current Anthropic SDKs (`active` | `deprecated` | `retired`).
    lifecycle: &'static str,
}

#[derive(Serialize)]
struct ModelPage {
    data: Vec<ModelInfo>,
    has_more: bool,
    first_id: Option<String>,
    last_id: Option<String>,
}

fn model_info(id: &str) -> ModelInfo {
    let display_name =
        MODELS.iter().find(|(m, _)| *m == id).map_or_else(|| id.to_string(), |(_, d)| d.to_string());
    ModelInfo {
        kind: "model",
        id: id.to_string(),
        display_name,
        created_at: MODELS_CREATED_AT,
        lifecycle: "active",
    }
}

/// `GET /v1/models` in Anthropic's shape (one page holds every model).
pub(crate) fn list_models(st: &MockState, headers: &axum::http::HeaderMap) -> Response {
    if let Err(resp) = st.authorize(headers, Api::Anthropic) {
        return *resp;
    }
    let data: Vec<ModelInfo> = MODELS.iter().map(|(id, _)| model_info(id)).collect();
    let page = ModelPage {
        first_id: data.first().map(|m| m.id.clone()),
        last_id: data.last().map(|m| m.id.clone()),
        has_more: false,
        data,
    };
    super::wire::json_response(axum::http::StatusCode::OK, serde_json::to_vec(&page).unwrap_or_default())
}

/// `GET /v1/models/{id}` in Anthropic's shape; like the OpenAI route, any model exists.
pub(crate) fn get_model(st: &MockState, headers: &axum::http::HeaderMap, id: String) -> Response {
    if let Err(resp) = st.authorize(headers, Api::Anthropic) {
        return *resp;
    }
    super::wire::json_response(
        axum::http::StatusCode::OK,
        serde_json::to_vec(&model_info(&id)).unwrap_or_default(),
    )
}

#[derive(Debug, Deserialize)]
struct MessagesRequest {
    model: Option<String>,
    max_tokens: Option<i64>,
    messages: Option<Vec<Message>>,
    system: Option<Content>,
    stream: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: Option<Role>,
    content: Option<Content>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Role {
    User,
    Assistant,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A validated Messages request.
#[derive(Debug)]
struct Messages {
    model: String,
    max_tokens: u64,
    system: Option<Content>,
    messages: Vec<(Role, Content)>,
    stream: bool,
}

impl Messages {
    fn parse(body: &[u8]) -> Result<Messages, ApiError> {
        let api = Api::Anthropic;
        let req: MessagesRequest = parse_body(body, api)?;
        let MessagesRequest { model, max_tokens, messages, system, stream } = req;
        let model = model.ok_or_else(|| field_required("model"))?;
        let max_tokens =
            check_min_tokens(max_tokens, "max_tokens")?.ok_or_else(|| field_required("max_tokens"))?;
        let raw = messages.ok_or_else(|| field_required("messages"))?;
        if raw.is_empty() {
            return Err(ApiError::invalid("at least one message is required", Some("messages".into()), None));
        }
        let mut messages = Vec::with_capacity(raw.len());
        for (i, m) in raw.into_iter().enumerate() {
            let role = m.role.ok_or_else(|| field_required(&format!("messages.{i}.role")))?;
            let content = m.content.ok_or_else(|| field_required(&format!("messages.{i}.content")))?;
            content.check(|| format!("messages.{i}.content"), api)?;
            messages.push((role, content));
        }
        if let Some(s) = &system {
            s.check(|| "system".into(), api)?;
        }
        Ok(Messages { model, max_tokens, system, messages, stream: stream.unwrap_or(false) })
    }

    fn input_tokens(&self, enc: Encoding) -> u64 {
        let mut n = 3u64;
        if let Some(s) = &self.system {
            n += 3 + s.texts().map(|t| enc.count(t) as u64).sum::<u64>();
        }
        for (role, content) in &self.messages {
            // 3 per message + the role; "user" / "assistant" are one token in the o200k and
            // cl100k encodings (tested in the OpenAI route).
            n += 3 + if matches!(enc, Encoding::O200kBase | Encoding::Cl100kBase) {
                1
            } else {
                enc.count(role.as_str()) as u64
            };
            n += content.texts().map(|t| enc.count(t) as u64).sum::<u64>();
        }
        n
    }

    fn fingerprint(&self) -> u64 {
        let mut h = Fnv::default();
        h.field(&self.model);
        if let Some(s) = &self.system {
            h.field("system");
            s.texts().for_each(|t| h.field(t));
        }
        for (role, content) in &self.messages {
            h.field(role.as_str());
            content.texts().for_each(|t| h.field(t));
        }
        h.finish()
    }
}

/// Anthropic's wording for a missing field (`max_tokens: Field required`).
fn field_required(path: &str) -> ApiError {
    let mut e = missing(path.to_string());
    e.message = "Field required".to_string();
    e
}

#[derive(Serialize)]
struct MessageOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: &'a [TextBlock<'a>],
    stop_reason: Option<&'a str>,
    stop_sequence: Option<()>,
    usage: UsageOut,
}

impl<'a> MessageOut<'a> {
    /// A finished message (what `/v1/messages` answers, and a Message Batch `succeeded` result
    /// carries).
    fn whole(
        id: &'a str,
        model: &'a str,
        content: &'a [TextBlock<'a>],
        stop_reason: &'a str,
        usage: UsageOut,
    ) -> Self {
        MessageOut {
            id,
            kind: "message",
            role: "assistant",
            model,
            content,
            stop_reason: Some(stop_reason),
            stop_sequence: None,
            usage,
        }
    }
}

/// The id of message number `n`: the same whether it is answered directly or in a batch.
fn message_id(seed: u64, n: u64) -> String {
    format!("msg_mock{:016x}{n:08x}", reply::mix(seed ^ 0xA27, n))
}

#[derive(Serialize)]
struct TextBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct UsageOut {
    input_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    output_tokens: u64,
}

impl UsageOut {
    /// The mock never caches prompts.
    fn new(input_tokens: u64, output_tokens: u64) -> Self {
        UsageOut { input_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens }
    }
}

/// One Messages API stream event. Generic over what it carries (message, content block,
/// delta) so the live route (text only) and replay (text, thinking, tool use) share one
/// envelope, one set of event names and one framing.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Event<'a, M, B, D> {
    MessageStart { message: M },
    ContentBlockStart { index: usize, content_block: B },
    Ping,
    ContentBlockDelta { index: usize, delta: D },
    ContentBlockStop { index: usize },
    MessageDelta { delta: StopDelta<'a>, usage: OutputUsage },
    MessageStop,
}

/// The live route's events: one text block.
type TextEvent<'a> = Event<'a, MessageOut<'a>, TextBlock<'a>, TextDelta<'a>>;

#[derive(Serialize)]
struct TextDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
pub(super) struct StopDelta<'a> {
    pub(super) stop_reason: &'a str,
    pub(super) stop_sequence: Option<()>,
}

#[derive(Serialize)]
pub(super) struct OutputUsage {
    pub(super) output_tokens: u64,
}

impl<M: Serialize, B: Serialize, D: Serialize> Event<'_, M, B, D> {
    fn name(&self) -> &'static str {
        match self {
            Event::MessageStart { .. } => "message_start",
            Event::ContentBlockStart { .. } => "content_block_start",
            Event::Ping => "ping",
            Event::ContentBlockDelta { .. } => "content_block_delta",
            Event::ContentBlockStop { .. } => "content_block_stop",
            Event::MessageDelta { .. } => "message_delta",
            Event::MessageStop => "message_stop",
        }
    }

    /// Write the event as one SSE `event:`/`data:` frame.
    pub(super) fn put(&self, w: &mut PacedWriter) -> Result<(), serde_json::Error> {
        sse_event(w, self.name(), &serde_json::to_vec(self)?);
        Ok(())
    }
}

fn put_event(w: &mut PacedWriter, event: &TextEvent) {
    sse_event(w, event.name(), &serde_json::to_vec(event).unwrap_or_default());
}

async fn messages(State(st): State<Arc<MockState>>, req: Request) -> Response {
    let api = Api::Anthropic;
    let (parts, body) = match st.receive(req, api).await {
        Ok(x) => x,
        Err(resp) => return *resp,
    };
    let msg = match Messages::parse(&body) {
        Ok(m) => m,
        Err(e) => return st.reject(&e, api),
    };
    let input_tokens = msg.input_tokens(encoding_for(&msg.model));
    let mut planned = match st.plan(api, &parts, input_tokens, Some(msg.max_tokens), msg.fingerprint()).await
    {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let stop_reason = if planned.truncated { "max_tokens" } else { "end_turn" };
    let id = message_id(st.config.seed, planned.n);
    let usage = UsageOut::new(input_tokens, planned.pieces.len() as u64);
    if msg.stream {
        let (paced, cut_at) = stream_body(&msg, &id, stop_reason, usage, &mut planned);
        planned.respond_stream(paced, cut_at)
    } else {
        planned.wait_whole().await;
        let text = reply::join(&planned.pieces);
        let content = [TextBlock { kind: "text", text: &text }];
        let doc = MessageOut::whole(&id, &msg.model, &content, stop_reason, usage);
        planned.respond_json(api, to_json(&doc, text.len() + msg.model.len() + 320))
    }
}

/// The non-stream answer `/v1/messages` gives a valid request numbered `n` (same text, usage
/// and id), with its reply length in tokens: what the Message Batches emulation returns as a
/// `succeeded` result. Admission and faults are the caller's.
pub(super) fn batch_answer(
    st: &MockState,
    body: &[u8],
    n: u64,
) -> Result<(serde_json::Value, usize), ApiError> {
    let msg = Messages::parse(body)?;
    if msg.stream {
        return Err(ApiError::invalid(
            "streaming is not supported in a Message Batch",
            Some("stream".into()),
            None,
        ));
    }
    let input_tokens = msg.input_tokens(encoding_for(&msg.model));
    let natural = st.config.reply_tokens as usize;
    let take = natural.min(usize::try_from(msg.max_tokens).unwrap_or(usize::MAX));
    let pieces = reply::generate(reply::mix(st.config.seed, msg.fingerprint()), natural, take);
    let text = reply::join(&pieces);
    let id = message_id(st.config.seed, n);
    let content = [TextBlock { kind: "text", text: &text }];
    let stop_reason = if take < natural { "max_tokens" } else { "end_turn" };
    let usage = UsageOut::new(input_tokens, pieces.len() as u64);
    let doc = MessageOut::whole(&id, &msg.model, &content, stop_reason, usage);
    let value = serde_json::to_value(&doc)
        .map_err(|e| ApiError::invalid(format!("mock could not encode its answer: {e}"), None, None))?;
    Ok((value, pieces.len()))
}

fn stream_body(
    msg: &Messages,
    id: &str,
    stop_reason: &str,
    usage: UsageOut,
    planned: &mut Planned,
) -> (Paced, usize) {
    let n = planned.pieces.len();
    let delta: TextEvent =
        Event::ContentBlockDelta { index: 0, delta: TextDelta { kind: "text_delta", text: PLACEHOLDER } };
    let mut delta_event = Vec::new();
    delta_event.extend_from_slice(b"event: content_block_delta\ndata: ");
    delta_event.extend_from_slice(&serde_json::to_vec(&delta).unwrap_or_default());
    delta_event.extend_from_slice(b"\n\n");
    let template = Template::new(&delta_event);
    let per_token = template.as_ref().map_or(160, Template::len);
    let mut w = PacedWriter::with_capacity(1024 + n * (per_token + 8));
    let mut rng = planned.latency_rng();

    // message_start goes out at once (the request was accepted), like the real API; the first
    // text arrives after TTFT.
    let start_usage = UsageOut { output_tokens: 1, ..usage };
    let start = MessageOut {
        id,
        kind: "message",
        role: "assistant",
        model: &msg.model,
        content: &[],
        stop_reason: None,
        stop_sequence: None,
        usage: start_usage,
    };
    put_event(&mut w, &Event::MessageStart { message: start });
    put_event(
        &mut w,
        &Event::ContentBlockStart { index: 0, content_block: TextBlock { kind: "text", text: "" } },
    );
    put_event(&mut w, &Event::Ping);
    w.pause(planned.latency.sample(planned.latency.ttft, &mut rng));
    let mut cut_at = w.offset();
    for (i, piece) in planned.pieces.iter().enumerate() {
        if i > 0 {
            w.pause(planned.latency.sample(planned.latency.itl, &mut rng));
        }
        if i == n / 2 {
            cut_at = w.offset();
        }
        match &template {
            Some(t) => t.put(&mut w, piece),
            None => put_event(
                &mut w,
                &Event::ContentBlockDelta { index: 0, delta: TextDelta { kind: "text_delta", text: piece } },
            ),
        }
    }
    if n <= 1 {
        cut_at = w.offset();
    }
    put_event(&mut w, &Event::ContentBlockStop { index: 0 });
    put_event(
        &mut w,
        &Event::MessageDelta {
            delta: StopDelta { stop_reason, stop_sequence: None },
            usage: OutputUsage { output_tokens: usage.output_tokens },
        },
    );
    put_event(&mut w, &Event::MessageStop);
    (w.finish(), cut_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> ApiError {
        Messages::parse(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn max_tokens_is_required() {
        let e = err(r#"{"model":"claude","messages":[{"role":"user","content":"hi"}]}"#);
        assert_eq!(e.status, 400);
        assert_eq!(e.param.as_deref(), Some("max_tokens"));
        assert_eq!(e.message, "Field required");
    }

    #[test]
    fn fields_are_named_in_anthropic_style() {
        let e = err(r#"{"model":"c","max_tokens":5,"messages":[{"role":"system","content":"x"}]}"#);
        assert_eq!(e.param.as_deref(), Some("messages.0.role"));
        let e =
            err(r#"{"model":"c","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text"}]}]}"#);
        assert_eq!(e.param.as_deref(), Some("messages.0.content.0.text"));
        let e = err(r#"{"model":"c","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#);
        assert_eq!(e.param.as_deref(), Some("max_tokens"));
        let e = err(r#"{"model":"c","max_tokens":5,"messages":[]}"#);
        assert_eq!(e.param.as_deref(), Some("messages"));
    }

    #[test]
    fn system_and_blocks_count_and_fingerprint() {
        let a = Messages::parse(
            br#"{"model":"c","max_tokens":5,"system":[{"type":"text","text":"Be brief."}],
                "messages":[{"role":"user","content":[{"type":"text","text":"Hello!"}]}]}"#,
        )
        .unwrap();
        let b = Messages::parse(
            br#"{"model":"c","max_tokens":9,"messages":[{"role":"user","content":"Hello!"}]}"#,
        )
        .unwrap();
        // b: 3 primer + 3 per message + "user" 1 + "Hello!" 2.
        assert_eq!(b.input_tokens(Encoding::O200kBase), 9);
        assert_eq!(
            a.input_tokens(Encoding::O200kBase),
            9 + 3 + Encoding::O200kBase.count("Be brief.") as u64
        );
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
