//! The OpenAI routes: `/v1/chat/completions` (plain and SSE), `/v1/models`, `/v1/embeddings`.
//!
//! The wire format follows OpenAI's exactly, because the point is that unmodified clients
//! (the official SDKs, and our own engine) cannot tell the difference: `chat.completion`
//! objects; streams of `chat.completion.chunk` objects where the first chunk carries the
//! `role`, each next one carries one token of content, the last one the `finish_reason`, then
//! (with `stream_options.include_usage`) a chunk with `choices: []` and the `usage`, with
//! `"usage": null` on all earlier chunks, and finally `data: [DONE]`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::body::{sse_data, Paced, PacedWriter, Template, PLACEHOLDER};
use super::reply::{self, Fnv, Rng};
use super::request::{check_min_tokens, missing, parse_body, Content};
use super::wire::{json_response, to_json, unix_now, Api, ApiError};
use super::{encoding_for, MockState, Planned};
use crate::tokenize::Encoding;

pub(crate) fn routes() -> Router<Arc<MockState>> {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/models", get(list_models))
        .route("/v1/models/{id}", get(get_model))
}

/// Models listed by `/v1/models`. Any model name is accepted in requests.
pub const MODELS: &[&str] = &[
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o4-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
];

const FINGERPRINT: &str = "fp_llmkit_mock";

// ---------------------------------------------------------------------------------------------
// Chat completions: request

#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    model: Option<String>,
    messages: Option<Vec<ChatMessage>>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    max_tokens: Option<i64>,
    max_completion_tokens: Option<i64>,
    n: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    include_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    role: Option<Role>,
    content: Option<Content>,
    name: Option<String>,
    tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    Function,
}

impl Role {
    /// Tokens of the role name. In the o200k and cl100k encodings (every current model) all
    /// roles but `developer` are one token (tested), which keeps the tokenizer off the hot path.
    fn tokens(self, enc: Encoding) -> u64 {
        let modern = matches!(enc, Encoding::O200kBase | Encoding::O200kHarmony | Encoding::Cl100kBase);
        if modern && self != Role::Developer {
            1
        } else {
            enc.count(self.as_str()) as u64
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Function => "function",
        }
    }
}

#[derive(Debug, Deserialize)]
struct ToolCall {
    function: Option<FunctionCall>,
}

#[derive(Debug, Deserialize)]
struct FunctionCall {
    name: Option<String>,
    arguments: Option<String>,
}

/// A validated chat request: what the reply depends on.
#[derive(Debug)]
pub struct Chat {
    pub model: String,
    messages: Vec<ChatMessage>,
    pub stream: bool,
    pub include_usage: bool,
    /// `max_completion_tokens`, else `max_tokens`.
    pub max_output: Option<u64>,
}

impl Chat {
    pub fn parse(body: &[u8]) -> Result<Chat, ApiError> {
        let req: ChatRequest = parse_body(body, Api::OpenAi)?;
        let ChatRequest { model, messages, stream, stream_options, max_tokens, max_completion_tokens, n } =
            req;
        check_n(n)?;
        let model = model.ok_or_else(|| missing("model".into()))?;
        let messages = messages.ok_or_else(|| missing("messages".into()))?;
        if messages.is_empty() {
            return Err(ApiError::invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty \
                 array instead.",
                Some("messages".into()),
                Some("empty_array"),
            ));
        }
        for (i, m) in messages.iter().enumerate() {
            let Some(role) = m.role else { return Err(missing(format!("messages[{i}].role"))) };
            match &m.content {
                Some(c) => c.check(|| format!("messages[{i}].content"), Api::OpenAi)?,
                None if role == Role::Assistant && m.tool_calls.is_some() => {}
                None => return Err(missing(format!("messages[{i}].content"))),
            }
        }
        let max_tokens = check_min_tokens(max_tokens, "max_tokens")?;
        let max_completion_tokens = check_min_tokens(max_completion_tokens, "max_completion_tokens")?;
        Ok(Chat {
            model,
            messages,
            stream: stream.unwrap_or(false),
            include_usage: stream_options.and_then(|o| o.include_usage).unwrap_or(false),
            max_output: max_completion_tokens.or(max_tokens),
        })
    }

    /// Prompt tokens in chat format, as OpenAI's cookbook counts them: 3 per message, the
    /// role and every string value, +1 per `name`, +3 to prime the reply.
    pub fn prompt_tokens(&self, enc: Encoding) -> u64 {
        let mut n = 3u64;
        for m in &self.messages {
            n += 3;
            if let Some(role) = m.role {
                n += role.tokens(enc);
            }
            if let Some(c) = &m.content {
                n += c.texts().map(|t| enc.count(t) as u64).sum::<u64>();
            }
            if let Some(name) = &m.name {
                n += enc.count(name) as u64 + 1;
            }
            for call in m.tool_calls.iter().flatten() {
                if let Some(f) = &call.function {
                    n += f.name.as_deref().map_or(0, |s| enc.count(s) as u64);
                    n += f.arguments.as_deref().map_or(0, |s| enc.count(s) as u64);
                }
            }
        }
        n
    }

    /// What decides the reply text: the model and the conversation (not `stream` or
    /// `max_tokens`, so a streamed reply and a cut reply are the same text as the plain one).
    pub fn fingerprint(&self) -> u64 {
        let mut h = Fnv::default();
        h.field(&self.model);
        for m in &self.messages {
            h.field(m.role.map_or("", Role::as_str));
            if let Some(c) = &m.content {
                for t in c.texts() {
                    h.field(t);
                }
            }
            h.field(m.name.as_deref().unwrap_or(""));
        }
        h.finish()
    }
}

/// `n`: OpenAI accepts 1 to 128 choices. The mock answers one choice per request; asking for
/// more is refused rather than silently answered with one, so a test cannot pass by accident.
fn check_n(n: Option<i64>) -> Result<(), ApiError> {
    match n {
        None | Some(1) => Ok(()),
        Some(n) if n < 1 => Err(ApiError::invalid(
            format!("Invalid 'n': integer below minimum value. Expected a value >= 1, but got {n} instead."),
            Some("n".into()),
            Some("integer_below_min_value"),
        )),
        Some(n) => Err(ApiError::invalid(
            format!(
                "Invalid 'n': {n}. The llmkit embedded server answers one choice per request; n > 1 is not \
                 emulated."
            ),
            Some("n".into()),
            None,
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Chat completions: response

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [CompletionChoice<'a>; 1],
    usage: UsageOut,
    service_tier: &'static str,
    system_fingerprint: &'static str,
}

impl<'a> Completion<'a> {
    /// A finished completion (what `/v1/chat/completions` answers, and a Batch API output line
    /// carries).
    fn whole(
        id: &'a str,
        created: u64,
        model: &'a str,
        text: &'a str,
        finish: &'a str,
        usage: UsageOut,
        service_tier: &'static str,
    ) -> Self {
        Completion {
            id,
            object: "chat.completion",
            created,
            model,
            choices: [CompletionChoice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant",
                    content: text,
                    refusal: None,
                    annotations: [],
                },
                logprobs: None,
                finish_reason: finish,
            }],
            usage,
            service_tier,
            system_fingerprint: FINGERPRINT,
        }
    }
}

/// The id of completion number `n`: the same whether it is answered directly or in a batch.
fn completion_id(seed: u64, n: u64) -> String {
    format!("chatcmpl-{:016x}{n:08x}", reply::mix(seed ^ 0xC4A7, n))
}

/// The completion `/v1/chat/completions` gives a valid request numbered `n` (same text, usage
/// and id), with its reply length in tokens: what the Batch API emulation writes to its output
/// file. Admission and faults are the caller's.
pub(super) fn batch_answer(st: &MockState, chat: &Chat, n: u64) -> (serde_json::Value, usize) {
    let prompt_tokens = chat.prompt_tokens(encoding_for(&chat.model));
    let natural = st.config.reply_tokens as usize;
    let take = chat.max_output.map_or(natural, |m| natural.min(usize::try_from(m).unwrap_or(usize::MAX)));
    let pieces = reply::generate(reply::mix(st.config.seed, chat.fingerprint()), natural, take);
    let text = reply::join(&pieces);
    let id = completion_id(st.config.seed, n);
    let finish = if take < natural { "length" } else { "stop" };
    let usage = UsageOut::new(prompt_tokens, pieces.len() as u64);
    let doc = Completion::whole(&id, unix_now(), &chat.model, &text, finish, usage, "batch");
    (serde_json::to_value(&doc).unwrap_or(serde_json::Value::Null), pieces.len())
}

#[derive(Serialize)]
struct CompletionChoice<'a> {
    index: u32,
    message: AssistantMessage<'a>,
    logprobs: Option<()>,
    finish_reason: &'a str,
}

#[derive(Serialize)]
struct AssistantMessage<'a> {
    role: &'static str,
    content: &'a str,
    refusal: Option<()>,
    annotations: [(); 0],
}

#[derive(Debug, Clone, Copy, Serialize)]
struct UsageOut {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: PromptDetails,
    completion_tokens_details: CompletionDetails,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct PromptDetails {
    cached_tokens: u64,
    audio_tokens: u64,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct CompletionDetails {
    reasoning_tokens: u64,
    audio_tokens: u64,
    accepted_prediction_tokens: u64,
    rejected_prediction_tokens: u64,
}

impl UsageOut {
    fn new(prompt: u64, completion: u64) -> Self {
        UsageOut {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            prompt_tokens_details: PromptDetails { cached_tokens: 0, audio_tokens: 0 },
            completion_tokens_details: CompletionDetails {
                reasoning_tokens: 0,
                audio_tokens: 0,
                accepted_prediction_tokens: 0,
                rejected_prediction_tokens: 0,
            },
        }
    }
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    system_fingerprint: &'static str,
    choices: &'a [ChunkChoice<'a>],
    /// Absent without `include_usage`; `null` on every chunk but the last with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<UsageOut>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'a str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<Option<()>>,
}

async fn chat_completions(State(st): State<Arc<MockState>>, req: Request) -> Response {
    let api = Api::OpenAi;
    let (parts, body) = match st.receive(req, api).await {
        Ok(x) => x,
        Err(resp) => return *resp,
    };
    let chat = match Chat::parse(&body) {
        Ok(c) => c,
        Err(e) => return st.reject(&e, api),
    };
    let enc = encoding_for(&chat.model);
    let prompt_tokens = chat.prompt_tokens(enc);
    let plan = st.plan(api, &parts, prompt_tokens, chat.max_output, chat.fingerprint());
    let mut planned = match plan.await {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let finish = if planned.truncated { "length" } else { "stop" };
    let id = completion_id(st.config.seed, planned.n);
    let created = unix_now();
    let usage = UsageOut::new(prompt_tokens, planned.pieces.len() as u64);
    if chat.stream {
        let (paced, cut_at) = stream_body(&chat, &id, created, finish, usage, &mut planned);
        planned.respond_stream(paced, cut_at)
    } else {
        planned.wait_whole().await;
        let text = reply::join(&planned.pieces);
        let doc = Completion::whole(&id, created, &chat.model, &text, finish, usage, "default");
        planned.respond_json(api, to_json(&doc, text.len() + chat.model.len() + 640))
    }
}

/// The SSE body of a streamed completion, paced by the latency plan, and the offset where a
/// `cut` fault breaks it (half-way through the content chunks).
fn stream_body(
    chat: &Chat,
    id: &str,
    created: u64,
    finish: &str,
    usage: UsageOut,
    planned: &mut Planned,
) -> (Paced, usize) {
    let usage_field = |u: Option<UsageOut>| if chat.include_usage { Some(u) } else { None };
    let chunk = |choices: &[ChunkChoice], usage: Option<Option<UsageOut>>| {
        serde_json::to_vec(&Chunk {
            id,
            object: "chat.completion.chunk",
            created,
            model: &chat.model,
            system_fingerprint: FINGERPRINT,
            choices,
            usage,
        })
        .unwrap_or_default()
    };
    let choice = |delta: Delta<'static>, finish_reason: Option<&'static str>| ChunkChoice {
        index: 0,
        delta,
        logprobs: None,
        finish_reason,
    };
    let token_json = chunk(
        &[ChunkChoice {
            index: 0,
            delta: Delta { content: Some(PLACEHOLDER), ..Delta::default() },
            logprobs: None,
            finish_reason: None,
        }],
        usage_field(None),
    );
    let template = Template::new(&token_json);
    let first = chunk(
        &[choice(Delta { role: Some("assistant"), content: Some(""), refusal: Some(None) }, None)],
        usage_field(None),
    );
    let finish_reason: &'static str = if finish == "length" { "length" } else { "stop" };
    let last = chunk(&[choice(Delta::default(), Some(finish_reason))], usage_field(None));

    let n = planned.pieces.len();
    let per_token = template.as_ref().map_or(256, |t| t.len() + 16);
    let mut w = PacedWriter::with_capacity(first.len() + last.len() + 512 + n * per_token);
    let mut rng = planned.latency_rng();
    w.pause(planned.latency.sample(planned.latency.ttft, &mut rng));
    sse_data(&mut w, &first);
    let mut cut_at = w.offset();
    for (i, piece) in planned.pieces.iter().enumerate() {
        if i > 0 {
            w.pause(planned.latency.sample(planned.latency.itl, &mut rng));
        }
        if i == n / 2 {
            cut_at = w.offset();
        }
        match &template {
            Some(t) => {
                w.put(b"data: ");
                t.put(&mut w, piece);
                w.put(b"\n\n");
            }
            None => {
                let json = chunk(
                    &[choice(Delta { content: Some(piece), ..Delta::default() }, None)],
                    usage_field(None),
                );
                sse_data(&mut w, &json);
            }
        }
    }
    if n <= 1 {
        cut_at = w.offset();
    }
    sse_data(&mut w, &last);
    if chat.include_usage {
        sse_data(&mut w, &chunk(&[], Some(Some(usage))));
    }
    w.put(b"data: [DONE]\n\n");
    (w.finish(), cut_at)
}

// ---------------------------------------------------------------------------------------------
// Models

#[derive(Serialize)]
struct ModelList {
    object: &'static str,
    data: Vec<ModelObject>,
}

#[derive(Serialize)]
struct ModelObject {
    id: String,
    object: &'static str,
    created: u64,
    owned_by: &'static str,
}

/// A fixed date, so the listing is the same on every run.
const MODELS_CREATED: u64 = 1_715_367_049;

async fn list_models(State(st): State<Arc<MockState>>, req: Request) -> Response {
    if super::anthropic::is_anthropic(req.headers()) {
        return super::anthropic::list_models(&st, req.headers());
    }
    let api = Api::OpenAi;
    if let Err(resp) = st.authorize(req.headers(), api) {
        return *resp;
    }
    let data = MODELS
        .iter()
        .map(|id| ModelObject {
            id: id.to_string(),
            object: "model",
            created: MODELS_CREATED,
            owned_by: "llmkit-mock",
        })
        .collect();
    json_response(StatusCode::OK, serde_json::to_vec(&ModelList { object: "list", data }).unwrap_or_default())
}

/// Any model exists: the mock answers for whatever model a client asks for.
async fn get_model(State(st): State<Arc<MockState>>, Path(id): Path<String>, req: Request) -> Response {
    if super::anthropic::is_anthropic(req.headers()) {
        return super::anthropic::get_model(&st, req.headers(), id);
    }
    let api = Api::OpenAi;
    if let Err(resp) = st.authorize(req.headers(), api) {
        return *resp;
    }
    let model = ModelObject { id, object: "model", created: MODELS_CREATED, owned_by: "llmkit-mock" };
    json_response(StatusCode::OK, serde_json::to_vec(&model).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// Embeddings

#[derive(Debug, Deserialize)]
struct EmbeddingsRequest {
    model: Option<String>,
    input: Option<EmbeddingInput>,
    dimensions: Option<i64>,
    encoding_format: Option<EncodingFormat>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum EmbeddingInput {
    One(String),
    Many(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum EncodingFormat {
    Float,
    Base64,
}

/// One input to embed: text, or token ids.
enum EmbedItem<'a> {
    Text(&'a str),
    Tokens(&'a [u32]),
}

#[derive(Serialize)]
struct EmbeddingList<'a> {
    object: &'static str,
    data: Vec<EmbeddingObject>,
    model: &'a str,
    usage: EmbeddingUsage,
}

#[derive(Serialize)]
struct EmbeddingObject {
    object: &'static str,
    index: usize,
    embedding: EmbeddingValue,
}

#[derive(Serialize)]
#[serde(untagged)]
enum EmbeddingValue {
    Floats(Vec<f32>),
    Base64(String),
}

#[derive(Serialize)]
struct EmbeddingUsage {
    prompt_tokens: u64,
    total_tokens: u64,
}

const MAX_DIMENSIONS: i64 = 8192;

/// A validated embeddings request.
struct Embeddings {
    model: String,
    input: EmbeddingInput,
    dims: usize,
    base64: bool,
}

impl Embeddings {
    fn parse(body: &[u8]) -> Result<Embeddings, ApiError> {
        let req: EmbeddingsRequest = parse_body(body, Api::OpenAi)?;
        let EmbeddingsRequest { model, input, dimensions, encoding_format } = req;
        let model = model.ok_or_else(|| missing("model".into()))?;
        let input = input.ok_or_else(|| missing("input".into()))?;
        let empty = match &input {
            EmbeddingInput::One(s) => s.is_empty(),
            EmbeddingInput::Many(v) => v.is_empty() || v.iter().any(String::is_empty),
            EmbeddingInput::Tokens(t) => t.is_empty(),
            EmbeddingInput::TokenLists(v) => v.is_empty() || v.iter().any(Vec::is_empty),
        };
        if empty {
            return Err(ApiError::invalid(
                "Invalid 'input': inputs must be non-empty.",
                Some("input".into()),
                Some("invalid_value"),
            ));
        }
        let dims = match dimensions {
            None if model.contains("large") => 3072,
            None => 1536,
            Some(d) if (1..=MAX_DIMENSIONS).contains(&d) => d as usize,
            Some(d) => {
                return Err(ApiError::invalid(
                    format!(
                        "Invalid 'dimensions': expected a value between 1 and {MAX_DIMENSIONS}, but got {d}."
                    ),
                    Some("dimensions".into()),
                    Some("invalid_value"),
                ))
            }
        };
        Ok(Embeddings { model, input, dims, base64: encoding_format == Some(EncodingFormat::Base64) })
    }

    fn items(&self) -> Vec<EmbedItem<'_>> {
        match &self.input {
            EmbeddingInput::One(s) => vec![EmbedItem::Text(s)],
            EmbeddingInput::Many(v) => v.iter().map(|s| EmbedItem::Text(s)).collect(),
            EmbeddingInput::Tokens(t) => vec![EmbedItem::Tokens(t)],
            EmbeddingInput::TokenLists(v) => v.iter().map(|t| EmbedItem::Tokens(t)).collect(),
        }
    }
}

async fn embeddings(State(st): State<Arc<MockState>>, req: Request) -> Response {
    let api = Api::OpenAi;
    let (parts, body) = match st.receive(req, api).await {
        Ok(x) => x,
        Err(resp) => return *resp,
    };
    let req = match Embeddings::parse(&body) {
        Ok(r) => r,
        Err(e) => return st.reject(&e, api),
    };
    let Embeddings { model, dims, base64, .. } = &req;
    let (model, dims, base64) = (model.as_str(), *dims, *base64);
    let items = req.items();
    let enc = encoding_for(model);
    let prompt_tokens: u64 = items
        .iter()
        .map(|i| match i {
            EmbedItem::Text(s) => enc.count(s) as u64,
            EmbedItem::Tokens(t) => t.len() as u64,
        })
        .sum();
    let planned = match st.plan_embedding(api, &parts, prompt_tokens).await {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    // An embedding is one forward pass: it takes the time of a first token.
    planned.wait_whole().await;
    let data = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let mut h = Fnv::default();
            h.field(model);
            match item {
                EmbedItem::Text(s) => h.field(s),
                EmbedItem::Tokens(t) => t.iter().for_each(|x| h.write(&x.to_le_bytes())),
            }
            let v = unit_vector(reply::mix(st.config.seed, h.finish()), dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                EmbeddingValue::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                EmbeddingValue::Floats(v)
            };
            EmbeddingObject { object: "embedding", index, embedding }
        })
        .collect();
    let doc = EmbeddingList {
        object: "list",
        data,
        model,
        usage: EmbeddingUsage { prompt_tokens, total_tokens: prompt_tokens },
    };
    planned.respond_json(api, serde_json::to_vec(&doc))
}

/// A deterministic vector of length 1 (embeddings are compared by cosine similarity).
fn unit_vector(seed: u64, dims: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut v: Vec<f64> = (0..dims).map(|_| rng.unit() * 2.0 - 1.0).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
    v.into_iter().map(|x| x as f32).collect()
}

/// The content type of an SSE response.
pub(crate) fn sse_content_type() -> HeaderValue {
    HeaderValue::from_static("text/event-stream; charset=utf-8")
}

/// Headers every SSE response carries.
pub(crate) fn sse_headers(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CONTENT_TYPE, sse_content_type());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Chat, ApiError> {
        Chat::parse(body.as_bytes())
    }

    #[test]
    fn valid_requests_parse_and_ignore_unknown_fields() {
        let chat = parse(
            r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},
            {"role":"user","content":[{"type":"text","text":"Hi"}],"name":"ann"}],
            "stream":true,"stream_options":{"include_usage":true},"max_tokens":7,"temperature":0.2,
            "some_future_field":{"x":1}}"#,
        )
        .unwrap();
        assert!(chat.stream && chat.include_usage);
        assert_eq!(chat.max_output, Some(7));
        assert_eq!(chat.model, "gpt-4o-mini");
    }

    #[test]
    fn max_completion_tokens_wins_over_max_tokens() {
        let chat = parse(
            r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":9,"max_completion_tokens":4}"#,
        )
        .unwrap();
        assert_eq!(chat.max_output, Some(4));
    }

    #[test]
    fn bad_requests_name_the_field() {
        let cases = [
            (r#"{"model":"m"}"#, "messages", "missing_required_parameter"),
            (r#"{"messages":[{"role":"user","content":"x"}]}"#, "model", "missing_required_parameter"),
            (r#"{"model":"m","messages":[]}"#, "messages", "empty_array"),
            (r#"{"model":"m","messages":"hi"}"#, "messages", "invalid_type"),
            (
                r#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#,
                "messages[0].role",
                "invalid_value",
            ),
            (
                r#"{"model":"m","messages":[{"content":"x"}]}"#,
                "messages[0].role",
                "missing_required_parameter",
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":5}]}"#,
                "messages[0].content",
                "invalid_type",
            ),
            (
                r#"{"model":"m","messages":[{"role":"user"}]}"#,
                "messages[0].content",
                "missing_required_parameter",
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-5}"#,
                "max_tokens",
                "integer_below_min_value",
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":"9"}"#,
                "max_tokens",
                "invalid_type",
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}"#,
                "stream",
                "invalid_type",
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}}"#,
                "stream_options.include_usage",
                "invalid_type",
            ),
            (r#"{"model":5,"messages":[{"role":"user","content":"x"}]}"#, "model", "invalid_type"),
        ];
        for (body, param, code) in cases {
            let e = parse(body).unwrap_err();
            assert_eq!(e.status, 400, "{body}");
            assert_eq!(e.param.as_deref(), Some(param), "{body}: {}", e.message);
            assert_eq!(e.code, Some(code), "{body}: {}", e.message);
        }
    }

    #[test]
    fn assistant_tool_calls_need_no_content() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"x"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
             "function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}"#;
        assert!(parse(body).is_ok());
    }

    #[test]
    fn prompt_tokens_follow_the_cookbook() {
        // tiktoken cookbook, gpt-4o family: "Hello!" as one user message is 9 tokens
        // (3 primer + 3 per message + "user" 1 + "Hello!" 2).
        let chat = parse(r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hello!"}]}"#).unwrap();
        assert_eq!(chat.prompt_tokens(Encoding::O200kBase), 9);
        let named =
            parse(r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hello!","name":"bob"}]}"#)
                .unwrap();
        assert_eq!(named.prompt_tokens(Encoding::O200kBase), 9 + 1 + 1);
    }

    #[test]
    fn role_names_are_one_token_everywhere() {
        let roles = [Role::System, Role::Developer, Role::User, Role::Assistant, Role::Tool, Role::Function];
        for enc in Encoding::ALL {
            for role in roles {
                assert_eq!(
                    role.tokens(enc),
                    enc.count(role.as_str()) as u64,
                    "{} in {}",
                    role.as_str(),
                    enc.name()
                );
            }
        }
    }

    #[test]
    fn fingerprint_ignores_stream_and_limits_but_not_content() {
        let a = parse(r#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#).unwrap();
        let b =
            parse(r#"{"model":"m","stream":true,"max_tokens":3,"messages":[{"role":"user","content":"x"}]}"#)
                .unwrap();
        let c = parse(r#"{"model":"m","messages":[{"role":"user","content":"y"}]}"#).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn vectors_are_unit_length_and_deterministic() {
        let v = unit_vector(5, 64);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        assert_eq!(v, unit_vector(5, 64));
        assert_ne!(v, unit_vector(6, 64));
    }
}
