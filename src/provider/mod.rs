//! Pure translation between llmkit's canonical request/response types and each wire format.
//!
//! The canonical request is an OpenAI chat-completions body, because that is what most
//! endpoints speak and what users already have on disk (batch files, recordings). Every type
//! here is a typed serde struct with a `#[serde(flatten)] extra` map, so fields we do not know
//! (new OpenAI parameters, vLLM's `guided_json`, ...) pass through to OpenAI-compatible
//! endpoints untouched. Providers never do I/O: `prepare` builds an [`HttpRequestSpec`] and the
//! parse functions read bytes the engine received. That keeps them testable without a network
//! and lets `chat --dry-run` show the exact request.
//!
//! Pass-through caveats (documented for `replay`): key order of a re-serialized body follows
//! the struct (known fields first, then unknown ones in their original order), and an explicit
//! `null` on a known optional field is dropped.

pub mod anthropic;
pub mod openai;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cli::ProviderKind;
use crate::usage::Usage;

/// The canonical request: an OpenAI chat-completions body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatBody {
    /// May be empty in the input; the engine fills the endpoint's model.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// `"auto"`, `"none"`, `"required"` or `{"type":"function","function":{"name":..}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// Passed through to OpenAI-compatible endpoints; refused for Anthropic (see there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Every other field, in its original order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChatBody {
    /// A one-message request (tests, `check`, and simple callers).
    pub fn user_prompt(model: impl Into<String>, prompt: impl Into<String>) -> ChatBody {
        ChatBody { model: model.into(), messages: vec![Message::text("user", prompt)], ..ChatBody::default() }
    }

    /// The caller's limit on output tokens (`max_completion_tokens` wins over `max_tokens`).
    pub fn max_output_tokens(&self) -> Option<u64> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// Greedy or seeded: the same body should give the same answer, so caching it is sound.
    pub fn is_deterministic(&self) -> bool {
        self.temperature == Some(0.0) || self.seed.is_some()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stop` is a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl Stop {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Stop::One(s) => vec![s.clone()],
            Stop::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `developer`, `user`, `assistant`, `tool`.
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    pub fn text(role: impl Into<String>, text: impl Into<String>) -> Message {
        Message { role: role.into(), content: Some(Content::Text(text.into())), ..Message::default() }
    }
}

/// Message content: a plain string or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    /// The text of the content, parts joined (images and other parts skipped).
    pub fn joined_text(&self) -> String {
        match self {
            Content::Text(s) => s.clone(),
            Content::Parts(parts) => {
                parts.iter().filter_map(|p| p.text.as_deref()).collect::<Vec<_>>().join("")
            }
        }
    }
}

/// One part of a multi-part message (`text`, `image_url`, `input_audio`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<ImageUrl>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionDef,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn function_type() -> String {
    "function".to_string()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A complete tool call in an assistant message or a non-stream response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// JSON text, as the model produced it.
    #[serde(default)]
    pub arguments: String,
}

/// The canonical non-stream response: an OpenAI `chat.completion` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default = "completion_object")]
    pub object: String,
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<WireUsage>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn completion_object() -> String {
    "chat.completion".to_string()
}

impl ChatResponse {
    /// Text of the first choice (empty when the model answered only with tool calls).
    pub fn text(&self) -> &str {
        self.choices.first().and_then(|c| c.message.content.as_deref()).unwrap_or("")
    }

    pub fn finish_reason(&self) -> Option<&str> {
        self.choices.first().and_then(|c| c.finish_reason.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub index: u32,
    pub message: ResponseMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseMessage {
    #[serde(default = "assistant_role")]
    pub role: String,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn assistant_role() -> String {
    "assistant".to_string()
}

/// Usage as OpenAI reports it (`prompt_tokens`, `completion_tokens`, and details).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptDetails {
    #[serde(default)]
    pub cached_tokens: u64,
    /// Not an OpenAI field: where Anthropic's cache writes go after translation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_tokens: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionDetails {
    #[serde(default)]
    pub reasoning_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl WireUsage {
    pub fn to_usage(&self) -> Usage {
        let details = self.prompt_tokens_details.unwrap_or_default();
        Usage {
            input_tokens: self.prompt_tokens,
            cached_tokens: details.cached_tokens,
            cache_write_tokens: details.cache_write_tokens,
            output_tokens: self.completion_tokens,
            reasoning_tokens: self.completion_tokens_details.map(|d| d.reasoning_tokens).unwrap_or(0),
        }
    }

    pub fn from_usage(u: &Usage) -> WireUsage {
        WireUsage {
            prompt_tokens: u.input_tokens,
            completion_tokens: u.output_tokens,
            total_tokens: u.input_tokens + u.output_tokens,
            prompt_tokens_details: (u.cached_tokens > 0 || u.cache_write_tokens > 0).then_some(
                PromptDetails { cached_tokens: u.cached_tokens, cache_write_tokens: u.cache_write_tokens },
            ),
            completion_tokens_details: (u.reasoning_tokens > 0)
                .then_some(CompletionDetails { reasoning_tokens: u.reasoning_tokens }),
        }
    }
}

/// The canonical stream chunk: an OpenAI `chat.completion.chunk` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    #[serde(default)]
    pub id: String,
    #[serde(default = "chunk_object")]
    pub object: String,
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<WireUsage>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn chunk_object() -> String {
    "chat.completion.chunk".to_string()
}

impl ChatChunk {
    /// Text delta of the first choice, if any.
    pub fn text(&self) -> Option<&str> {
        self.choices.first().and_then(|c| c.delta.content.as_deref()).filter(|s| !s.is_empty())
    }

    /// True when the chunk carries model output (text, reasoning or tool-call arguments).
    /// Bench measures TTFT and ITL on these chunks only.
    pub fn has_output(&self) -> bool {
        self.choices.iter().any(|c| {
            c.delta.content.as_deref().is_some_and(|s| !s.is_empty())
                || c.delta.reasoning_content.as_deref().is_some_and(|s| !s.is_empty())
                || c.delta.tool_calls.as_ref().is_some_and(|t| !t.is_empty())
        })
    }

    pub fn finish_reason(&self) -> Option<&str> {
        self.choices.iter().find_map(|c| c.finish_reason.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub index: u32,
    #[serde(default)]
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A piece of a tool call in a stream: the first piece carries `id` and the name, later
/// pieces append to `arguments`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    #[serde(default)]
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDelta>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

/// Assembles stream chunks into the equivalent non-stream response (what recordings store,
/// and what `stream` returns at the end).
#[derive(Debug, Default)]
pub struct StreamAssembler {
    response: ChatResponse,
    usage: Option<WireUsage>,
}

impl StreamAssembler {
    pub fn push(&mut self, chunk: &ChatChunk) {
        let r = &mut self.response;
        if r.id.is_empty() {
            r.id.clone_from(&chunk.id);
        }
        if r.model.is_empty() {
            r.model.clone_from(&chunk.model);
        }
        if r.created == 0 {
            r.created = chunk.created;
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u);
        }
        for c in &chunk.choices {
            let idx = c.index as usize;
            while r.choices.len() <= idx {
                let index = r.choices.len() as u32;
                r.choices.push(Choice { index, ..Choice::default() });
            }
            let choice = &mut r.choices[idx];
            let msg = &mut choice.message;
            // The role comes once, in the first delta; without it a streamed answer would be
            // recorded (and replayed) with an empty role.
            if let Some(role) = c.delta.role.as_ref().filter(|_| msg.role.is_empty()) {
                msg.role.clone_from(role);
            }
            if let Some(t) = &c.delta.content {
                msg.content.get_or_insert_with(String::new).push_str(t);
            }
            if let Some(t) = &c.delta.reasoning_content {
                msg.reasoning_content.get_or_insert_with(String::new).push_str(t);
            }
            if let Some(calls) = &c.delta.tool_calls {
                let list = msg.tool_calls.get_or_insert_with(Vec::new);
                for d in calls {
                    let i = d.index as usize;
                    while list.len() <= i {
                        list.push(ToolCall { kind: function_type(), ..ToolCall::default() });
                    }
                    let call = &mut list[i];
                    if let Some(id) = &d.id {
                        call.id.clone_from(id);
                    }
                    if let Some(f) = &d.function {
                        if let Some(n) = &f.name {
                            call.function.name.push_str(n);
                        }
                        if let Some(a) = &f.arguments {
                            call.function.arguments.push_str(a);
                        }
                    }
                }
            }
            if c.finish_reason.is_some() {
                choice.finish_reason.clone_from(&c.finish_reason);
            }
        }
    }

    /// Text produced so far by the first choice.
    pub fn text(&self) -> &str {
        self.response.text()
    }

    /// True when some tool-call output has arrived (such a stream cannot be continued).
    pub fn has_tool_calls(&self) -> bool {
        self.response.choices.iter().any(|c| c.message.tool_calls.as_ref().is_some_and(|t| !t.is_empty()))
    }

    pub fn finished(&self) -> bool {
        self.response.choices.first().is_some_and(|c| c.finish_reason.is_some())
    }

    pub fn usage(&self) -> Option<WireUsage> {
        self.usage
    }

    pub fn finish(mut self) -> ChatResponse {
        self.response.object = completion_object();
        if self.response.choices.is_empty() {
            self.response.choices.push(Choice::default());
        }
        self.response.usage = self.usage;
        self.response
    }
}

/// Header names whose values are secrets. Compared case-insensitively.
pub const SECRET_HEADERS: [&str; 4] = ["authorization", "x-api-key", "api-key", "proxy-authorization"];

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// An HTTP request a provider built: everything the engine needs to send it, nothing it
/// needs to know about the provider. `Debug` and [`HttpRequestSpec::redacted`] never show
/// secret header values.
#[derive(Clone, PartialEq)]
pub struct HttpRequestSpec {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// Serialized JSON body (empty for GET).
    pub body: Vec<u8>,
}

impl HttpRequestSpec {
    /// Headers with secret values replaced by `[REDACTED]`.
    pub fn redacted_headers(&self) -> Vec<(&'static str, String)> {
        self.headers
            .iter()
            .map(|(k, v)| (*k, if is_secret_header(k) { "[REDACTED]".to_string() } else { v.clone() }))
            .collect()
    }

    /// A copy safe to print (`chat --dry-run`).
    pub fn redacted(&self) -> HttpRequestSpec {
        HttpRequestSpec { headers: self.redacted_headers(), url: redact_url(&self.url), ..self.clone() }
    }
}

/// Query parameters whose values are secrets (OAuth2 tokens placed on the URL).
pub const SECRET_QUERY_PARAMS: [&str; 1] = ["access_token"];

/// `url` with the values of [`SECRET_QUERY_PARAMS`] replaced by `[REDACTED]`.
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_string() };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_QUERY_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(k)) => {
                format!("{k}=[REDACTED]")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

impl fmt::Debug for HttpRequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequestSpec")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field("headers", &self.redacted_headers())
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Where a request goes: what a provider needs from the engine's endpoint settings.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub base_url: &'a str,
    /// The model the endpoint uses when the body names none.
    pub model: Option<&'a str>,
    pub api_key: Option<&'a str>,
    /// Azure `api-version`.
    pub api_version: Option<&'a str>,
}

impl fmt::Debug for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.map(|_| "[REDACTED]"))
            .field("api_version", &self.api_version)
            .finish()
    }
}

/// A request that cannot be expressed in the endpoint's wire format, or a response we cannot
/// read. The message names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError(pub String);

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProviderError {}

/// What one stream event means once translated. (Not boxed: chunks are moved straight to
/// the consumer, one allocation fewer per chunk.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A canonical chunk to deliver.
    Chunk(ChatChunk),
    /// Nothing to deliver (pings, block boundaries).
    Skip,
    /// The stream ended normally (`[DONE]`, `message_stop`).
    Done,
    /// The server reported an error inside the stream. `overloaded` marks errors worth a retry.
    Error { message: String, overloaded: bool },
}

/// The wire protocol of an endpoint (the mock speaks OpenAI's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Azure,
    Anthropic,
}

impl Wire {
    pub fn of(kind: ProviderKind) -> Wire {
        match kind {
            ProviderKind::Openai | ProviderKind::Mock => Wire::OpenAi,
            ProviderKind::Azure => Wire::Azure,
            ProviderKind::Anthropic => Wire::Anthropic,
        }
    }

    /// Build the HTTP request for a chat call.
    pub fn prepare(
        self,
        body: &ChatBody,
        target: &Target<'_>,
        stream: bool,
    ) -> Result<Prepared, ProviderError> {
        match self {
            Wire::OpenAi => openai::prepare(body, target, stream, false),
            Wire::Azure => openai::prepare(body, target, stream, true),
            Wire::Anthropic => anthropic::prepare(body, target, stream),
        }
    }

    /// Read a successful non-stream response body.
    pub fn parse_response(self, bytes: &[u8]) -> Result<ChatResponse, ProviderError> {
        match self {
            Wire::OpenAi | Wire::Azure => openai::parse_response(bytes),
            Wire::Anthropic => anthropic::parse_response(bytes),
        }
    }

    /// A fresh translator for one stream.
    pub fn stream_decoder(self) -> StreamDecoder {
        match self {
            Wire::OpenAi | Wire::Azure => StreamDecoder::OpenAi,
            Wire::Anthropic => StreamDecoder::Anthropic(anthropic::StreamState::default()),
        }
    }

    /// The request that lists models (`check`).
    pub fn models_request(self, target: &Target<'_>) -> HttpRequestSpec {
        match self {
            Wire::OpenAi | Wire::Azure => openai::models_request(target, self == Wire::Azure),
            Wire::Anthropic => anthropic::models_request(target),
        }
    }
}

/// What `prepare` produced: the request, plus notes for `-v` (defaults we filled in).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub spec: HttpRequestSpec,
    pub notes: Vec<String>,
}

/// Per-stream translation state.
#[derive(Debug)]
pub enum StreamDecoder {
    OpenAi,
    Anthropic(anthropic::StreamState),
}

impl StreamDecoder {
    /// Translate one SSE event (its `event:` name and `data:` payload).
    pub fn decode(&mut self, event: &str, data: &str) -> Result<StreamItem, ProviderError> {
        match self {
            StreamDecoder::OpenAi => openai::decode_event(data),
            StreamDecoder::Anthropic(state) => state.decode(event, data),
        }
    }
}

/// The server's own error message from an error body (`{"error":{"message":..}}`, as OpenAI
/// and Anthropic both send), else the raw body, truncated to a readable length.
pub fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Envelope {
        error: ErrorField,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ErrorField {
        Object {
            message: Option<String>,
            #[serde(rename = "type")]
            kind: Option<String>,
        },
        Text(String),
    }
    #[derive(Deserialize)]
    struct Plain {
        message: String,
    }
    if let Ok(env) = serde_json::from_slice::<Envelope>(body) {
        match env.error {
            ErrorField::Object { message: Some(m), .. } if !m.is_empty() => return m,
            ErrorField::Object { kind: Some(k), .. } => return k,
            ErrorField::Text(t) => return t,
            ErrorField::Object { .. } => {}
        }
    }
    if let Ok(p) = serde_json::from_slice::<Plain>(body) {
        return p.message;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_string();
    }
    truncate(text, 300)
}

/// At most `max` characters, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_pass_through() {
        let raw = r#"{"model":"m","messages":[{"role":"user","content":"hi","x_msg":1}],"guided_json":{"a":1},"logit_bias":{"5":1}}"#;
        let body: ChatBody = serde_json::from_str(raw).unwrap();
        assert_eq!(body.extra.get("guided_json"), Some(&serde_json::json!({"a":1})));
        let back: Value = serde_json::to_value(&body).unwrap();
        let orig: Value = serde_json::from_str(raw).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn content_parts_and_stop_forms_round_trip() {
        let raw = r#"{"model":"m","stop":["a","b"],"messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAA"}}]}]}"#;
        let body: ChatBody = serde_json::from_str(raw).unwrap();
        assert_eq!(body.stop, Some(Stop::Many(vec!["a".into(), "b".into()])));
        assert_eq!(serde_json::to_value(&body).unwrap(), serde_json::from_str::<Value>(raw).unwrap());
        let body: ChatBody = serde_json::from_str(r#"{"messages":[],"stop":"x"}"#).unwrap();
        assert_eq!(body.stop, Some(Stop::One("x".into())));
    }

    #[test]
    fn assembler_joins_text_and_tool_calls() {
        let chunks = [
            r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"He"}}]}"#,
            r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"llo"}}]}"#,
            r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}}]}"#,
            r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]}"#,
            r#"{"id":"c1","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#,
        ];
        let mut a = StreamAssembler::default();
        for c in chunks {
            a.push(&serde_json::from_str(c).unwrap());
        }
        assert!(a.has_tool_calls());
        let r = a.finish();
        assert_eq!(r.text(), "Hello");
        assert_eq!(r.choices[0].message.role, "assistant");
        let calls = r.choices[0].message.tool_calls.as_ref().unwrap();
        assert_eq!(calls[0].function.arguments, "{\"a\":1}");
        assert_eq!(calls[0].id, "t1");
        assert_eq!(r.finish_reason(), Some("tool_calls"));
        assert_eq!(r.usage.unwrap().to_usage().output_tokens, 4);
    }

    #[test]
    fn error_messages_come_from_the_body() {
        assert_eq!(error_message(br#"{"error":{"message":"bad key","type":"x"}}"#), "bad key");
        assert_eq!(
            error_message(br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
            "Overloaded"
        );
        assert_eq!(error_message(b"<html>502</html>"), "<html>502</html>");
        assert_eq!(error_message(b""), "(empty body)");
        let long = "x".repeat(1000);
        assert!(error_message(long.as_bytes()).chars().count() <= 301);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let spec = HttpRequestSpec {
            method: "POST",
            url: "http://x".into(),
            headers: vec![("authorization", "Bearer sk-secret".into()), ("x-api-key", "sk-secret".into())],
            body: b"{}".to_vec(),
        };
        let dbg = format!("{spec:?}");
        assert!(!dbg.contains("sk-secret"), "{dbg}");
        assert!(!format!("{:?}", spec.redacted()).contains("sk-secret"));
        let spec = HttpRequestSpec { url: "http://x/c?api-version=1&access_token=sk-secret".into(), ..spec };
        assert!(!format!("{spec:?}").contains("sk-secret"));
        assert_eq!(spec.redacted().url, "http://x/c?api-version=1&access_token=[REDACTED]");
        assert_eq!(redact_url("http://x/c"), "http://x/c");
        let t = Target { base_url: "u", model: None, api_key: Some("sk-secret"), api_version: None };
        assert!(!format!("{t:?}").contains("sk-secret"));
    }
}
