//! Anthropic's Messages API, translated from and to the canonical (OpenAI-shaped) types.
//!
//! Differences handled here, so no other part of llmkit has to know them:
//! - `system`/`developer` messages become the top-level `system` field.
//! - `max_tokens` is required: when the body sets neither `max_tokens` nor
//!   `max_completion_tokens`, [`DEFAULT_MAX_TOKENS`] is sent and a note is returned (shown
//!   with `-v`).
//! - `stop` -> `stop_sequences`; `user` -> `metadata.user_id`; `tool_choice` and
//!   `parallel_tool_calls` -> Anthropic's `tool_choice`.
//! - image parts: data URLs become base64 `source`s, other URLs `url` sources.
//! - assistant `tool_calls` -> `tool_use` blocks; `tool` messages -> `tool_result` blocks in a
//!   user turn; consecutive turns of one role are merged (Anthropic requires alternation).
//! - `response_format` (other than `text`) is refused with a clear error rather than
//!   emulated: a silent emulation through forced tool use changes what the model sees and how
//!   it stops, which would make replays and comparisons misleading.
//! - OpenAI-only parameters (`seed`, `n`, `logit_bias`, penalties, ...) are dropped with a
//!   note; Anthropic-only ones (`top_k`, `thinking`, `metadata`, `service_tier`) pass through.
//! - usage: `input_tokens + cache_creation_input_tokens + cache_read_input_tokens` is the
//!   prompt (see `crate::usage::Usage`); `stop_reason` maps to `finish_reason`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{
    ChatBody, ChatChunk, ChatResponse, Choice, ChunkChoice, CompletionDetails, Content, Delta, FunctionCall,
    FunctionDelta, HttpRequestSpec, Message, Prepared, PromptDetails, ProviderError, ResponseMessage,
    StreamItem, Target, ToolCall, ToolCallDelta, WireUsage,
};

pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Sent when the request sets no output limit (the API requires one).
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// Fields of a canonical body's `extra` that the Messages API understands.
const PASS_THROUGH: [&str; 5] = ["top_k", "thinking", "metadata", "service_tier", "container"];
/// OpenAI fields that have no Anthropic meaning and are dropped silently (beyond the note).
const IGNORED: [&str; 2] = ["parallel_tool_calls", "stream_options"];

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct MessagesRequest {
    pub model: String,
    pub max_tokens: u64,
    pub messages: Vec<AMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ATool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The top-level `system` field: a string, or text blocks when one of them carries
/// `cache_control` (prompt caching: the canonical body marks a system text part with
/// `"cache_control": {...}`, as `chat --cache-system` does).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum System {
    Text(String),
    Blocks(Vec<SystemBlock>),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SystemBlock {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AMessage {
    pub role: String,
    pub content: Vec<Block>,
}

/// A content block, request or response side.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
    },
    Image {
        source: ImageSource,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: String,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    /// Blocks we do not model (server tool results, redacted thinking, ...): kept as-is.
    #[serde(untagged)]
    Other(Value),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    Base64 { media_type: String, data: String },
    Url { url: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ATool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub input_schema: Value,
}

/// Anthropic usage. The three input fields are additive.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

impl AUsage {
    /// Later values (a `message_delta`'s cumulative counts) replace earlier ones.
    fn merge(&mut self, other: &AUsage) {
        self.input_tokens = other.input_tokens.or(self.input_tokens);
        self.output_tokens = other.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens =
            other.cache_creation_input_tokens.or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = other.cache_read_input_tokens.or(self.cache_read_input_tokens);
    }

    pub fn to_wire(self) -> WireUsage {
        let write = self.cache_creation_input_tokens.unwrap_or(0);
        let read = self.cache_read_input_tokens.unwrap_or(0);
        let prompt = self.input_tokens.unwrap_or(0) + write + read;
        let output = self.output_tokens.unwrap_or(0);
        WireUsage {
            prompt_tokens: prompt,
            completion_tokens: output,
            total_tokens: prompt + output,
            prompt_tokens_details: (read > 0 || write > 0)
                .then_some(PromptDetails { cached_tokens: read, cache_write_tokens: write }),
            completion_tokens_details: None::<CompletionDetails>,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct MessagesResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub content: Vec<Block>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: AUsage,
}

/// `stop_reason` -> OpenAI `finish_reason`.
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

/// Translate the canonical body into a Messages API request. Pure.
pub fn translate_request(
    body: &ChatBody,
    model: &str,
    stream: bool,
) -> Result<(MessagesRequest, Vec<String>), ProviderError> {
    let mut notes = Vec::new();
    if let Some(rf) = &body.response_format {
        let kind = rf.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "text" {
            return Err(ProviderError(format!(
                "response_format `{kind}` is not supported by Anthropic's Messages API; describe the JSON \
                 you want in the prompt, or define a tool and set tool_choice to it"
            )));
        }
    }
    let max_tokens = match body.max_output_tokens() {
        Some(n) => n,
        None => {
            notes.push(format!("max_tokens not set; sending {DEFAULT_MAX_TOKENS} (Anthropic requires it)"));
            DEFAULT_MAX_TOKENS
        }
    };
    let mut system: Vec<SystemBlock> = Vec::new();
    let mut messages: Vec<AMessage> = Vec::new();
    for (i, m) in body.messages.iter().enumerate() {
        let (role, blocks) = match m.role.as_str() {
            "system" | "developer" => {
                system.extend(system_blocks(m.content.as_ref()));
                continue;
            }
            "user" => ("user", user_blocks(m, i)?),
            "assistant" => ("assistant", assistant_blocks(m, i)?),
            "tool" => {
                let id = m.tool_call_id.clone().ok_or_else(|| {
                    ProviderError(format!("messages[{i}]: a `tool` message needs `tool_call_id`"))
                })?;
                let content = m.content.as_ref().map(Content::joined_text).unwrap_or_default();
                ("user", vec![Block::ToolResult { tool_use_id: id, content }])
            }
            other => {
                return Err(ProviderError(format!(
                    "messages[{i}]: role `{other}` has no Anthropic equivalent"
                )))
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => messages.push(AMessage { role: role.to_string(), content: blocks }),
        }
    }
    let tools = body.tools.as_ref().map(|ts| {
        ts.iter()
            .map(|t| ATool {
                name: t.function.name.clone(),
                description: t.function.description.clone(),
                input_schema: t.function.parameters.clone().unwrap_or_else(|| json!({"type": "object"})),
            })
            .collect::<Vec<_>>()
    });
    let no_parallel = body.extra.get("parallel_tool_calls") == Some(&Value::Bool(false));
    let tool_choice = match &body.tool_choice {
        None if no_parallel && tools.is_some() => {
            Some(json!({"type": "auto", "disable_parallel_tool_use": true}))
        }
        None => None,
        Some(tc) => Some(translate_tool_choice(tc, no_parallel)?),
    };
    let mut extra = Map::new();
    let mut dropped = Vec::new();
    for (k, v) in &body.extra {
        if PASS_THROUGH.contains(&k.as_str()) {
            extra.insert(k.clone(), v.clone());
        } else if !IGNORED.contains(&k.as_str()) {
            dropped.push(k.as_str());
        }
    }
    if body.seed.is_some() {
        dropped.push("seed");
    }
    if !dropped.is_empty() {
        notes.push(format!("not sent to Anthropic (no equivalent): {}", dropped.join(", ")));
    }
    if let Some(user) = &body.user {
        if !extra.contains_key("metadata") {
            extra.insert("metadata".into(), json!({ "user_id": user }));
        }
    }
    let req = MessagesRequest {
        model: model.to_string(),
        max_tokens,
        messages,
        system: join_system(system),
        stop_sequences: body.stop.as_ref().map(|s| s.to_vec()),
        temperature: body.temperature,
        top_p: body.top_p,
        stream: stream.then_some(true),
        tools,
        tool_choice,
        extra,
    };
    Ok((req, notes))
}

/// The system text of one message as blocks: one per text part when a part carries
/// `cache_control` (the marker stays on its block), else one block of the joined text.
fn system_blocks(content: Option<&Content>) -> Vec<SystemBlock> {
    let block =
        |text: String, cache_control: Option<Value>| SystemBlock { kind: "text".into(), text, cache_control };
    match content {
        None => Vec::new(),
        Some(Content::Parts(parts)) if parts.iter().any(|p| p.extra.contains_key("cache_control")) => parts
            .iter()
            .filter_map(|p| p.text.clone().map(|t| block(t, p.extra.get("cache_control").cloned())))
            .collect(),
        Some(c) => vec![block(c.joined_text(), None)],
    }
}

/// A plain string unless some block asks to be cached (then the blocks, so the marker stays
/// on the block it was put on).
fn join_system(blocks: Vec<SystemBlock>) -> Option<System> {
    if blocks.is_empty() {
        None
    } else if blocks.iter().any(|b| b.cache_control.is_some()) {
        Some(System::Blocks(blocks))
    } else {
        Some(System::Text(blocks.into_iter().map(|b| b.text).collect::<Vec<_>>().join("\n\n")))
    }
}

fn translate_tool_choice(tc: &Value, no_parallel: bool) -> Result<Value, ProviderError> {
    let mut out = match tc {
        Value::String(s) => match s.as_str() {
            "auto" => json!({"type": "auto"}),
            "required" => json!({"type": "any"}),
            "none" => json!({"type": "none"}),
            other => {
                return Err(ProviderError(format!("tool_choice `{other}` is not auto, required or none")))
            }
        },
        Value::Object(o) => {
            let name = o
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| ProviderError("tool_choice object needs function.name".into()))?;
            json!({"type": "tool", "name": name})
        }
        _ => return Err(ProviderError("tool_choice must be a string or an object".into())),
    };
    if no_parallel {
        if let Some(o) = out.as_object_mut() {
            if o.get("type") != Some(&json!("none")) {
                o.insert("disable_parallel_tool_use".into(), Value::Bool(true));
            }
        }
    }
    Ok(out)
}

fn user_blocks(m: &Message, i: usize) -> Result<Vec<Block>, ProviderError> {
    match &m.content {
        None => Ok(Vec::new()),
        Some(Content::Text(t)) => Ok(vec![Block::Text { text: t.clone() }]),
        Some(Content::Parts(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, p)| match p.kind.as_str() {
                "text" => Ok(Block::Text { text: p.text.clone().unwrap_or_default() }),
                "image_url" => {
                    let url = p.image_url.as_ref().map(|u| u.url.as_str()).unwrap_or("");
                    Ok(Block::Image { source: image_source(url) })
                }
                other => Err(ProviderError(format!(
                    "messages[{i}].content[{j}]: part type `{other}` is not supported by Anthropic"
                ))),
            })
            .collect(),
    }
}

fn image_source(url: &str) -> ImageSource {
    // data:image/png;base64,AAAA
    if let Some(rest) = url.strip_prefix("data:") {
        if let Some((meta, data)) = rest.split_once(',') {
            if let Some(media_type) = meta.strip_suffix(";base64") {
                return ImageSource::Base64 { media_type: media_type.to_string(), data: data.to_string() };
            }
        }
    }
    ImageSource::Url { url: url.to_string() }
}

fn assistant_blocks(m: &Message, i: usize) -> Result<Vec<Block>, ProviderError> {
    let mut blocks = Vec::new();
    if let Some(c) = &m.content {
        let text = c.joined_text();
        if !text.is_empty() {
            blocks.push(Block::Text { text });
        }
    }
    for (j, call) in m.tool_calls.iter().flatten().enumerate() {
        let input: Value = if call.function.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&call.function.arguments).map_err(|e| {
                ProviderError(format!("messages[{i}].tool_calls[{j}].function.arguments is not JSON: {e}"))
            })?
        };
        blocks.push(Block::ToolUse { id: call.id.clone(), name: call.function.name.clone(), input });
    }
    Ok(blocks)
}

/// Messages API base: accepts `https://api.anthropic.com` or the same with `/v1`.
fn base(target: &Target<'_>) -> String {
    api_root(target.base_url)
}

/// The API root of a base URL (`https://api.anthropic.com`, with or without `/v1`): every
/// Anthropic path (`/v1/messages`, `/v1/messages/batches`) is appended to it.
pub fn api_root(base_url: &str) -> String {
    let b = base_url.trim_end_matches('/');
    b.strip_suffix("/v1").unwrap_or(b).to_string()
}

fn auth_headers(target: &Target<'_>) -> Vec<(&'static str, String)> {
    api_headers(target.api_key)
}

/// `anthropic-version` and `x-api-key`: what every Anthropic call carries (chat, models, the
/// Message Batches API).
pub fn api_headers(api_key: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![("anthropic-version", ANTHROPIC_VERSION.to_string())];
    if let Some(key) = api_key {
        headers.push(("x-api-key", key.to_string()));
    }
    headers
}

/// Build the HTTP request. Pure.
pub fn prepare(body: &ChatBody, target: &Target<'_>, stream: bool) -> Result<Prepared, ProviderError> {
    let model = if body.model.is_empty() { target.model.unwrap_or_default() } else { body.model.as_str() };
    if model.is_empty() {
        return Err(ProviderError("no model: set --model, LLMKIT_MODEL or the profile's `model`".into()));
    }
    let (req, notes) = translate_request(body, model, stream)?;
    let mut headers = vec![("content-type", "application/json".to_string())];
    headers.extend(auth_headers(target));
    if stream {
        headers.push(("accept", "text/event-stream".to_string()));
    }
    let bytes =
        serde_json::to_vec(&req).map_err(|e| ProviderError(format!("cannot serialize request: {e}")))?;
    Ok(Prepared {
        spec: HttpRequestSpec {
            method: "POST",
            url: format!("{}/v1/messages", base(target)),
            headers,
            body: bytes,
        },
        notes,
    })
}

/// `GET /v1/models`.
pub fn models_request(target: &Target<'_>) -> HttpRequestSpec {
    HttpRequestSpec {
        method: "GET",
        url: format!("{}/v1/models", base(target)),
        headers: auth_headers(target),
        body: Vec::new(),
    }
}

/// Translate a Messages API response into the canonical response.
pub fn translate_response(r: MessagesResponse) -> ChatResponse {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut calls = Vec::new();
    for b in r.content {
        match b {
            Block::Text { text: t } => text.get_or_insert_with(String::new).push_str(&t),
            Block::Thinking { thinking, .. } => reasoning.get_or_insert_with(String::new).push_str(&thinking),
            Block::ToolUse { id, name, input } => calls.push(ToolCall {
                id,
                kind: "function".into(),
                function: FunctionCall { name, arguments: input.to_string() },
            }),
            Block::Image { .. } | Block::ToolResult { .. } | Block::Other(_) => {}
        }
    }
    ChatResponse {
        id: r.id,
        object: "chat.completion".into(),
        created: 0,
        model: r.model,
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: "assistant".into(),
                content: text,
                reasoning_content: reasoning,
                tool_calls: (!calls.is_empty()).then_some(calls),
                extra: Map::new(),
            },
            finish_reason: r.stop_reason.as_deref().map(|s| finish_reason(s).to_string()),
            extra: Map::new(),
        }],
        usage: Some(r.usage.to_wire()),
        extra: Map::new(),
    }
}

/// Read a successful non-stream response body.
pub fn parse_response(bytes: &[u8]) -> Result<ChatResponse, ProviderError> {
    let r: MessagesResponse = serde_json::from_slice(bytes).map_err(|e| {
        ProviderError(format!("response is not an Anthropic message ({e}): {}", super::error_message(bytes)))
    })?;
    Ok(translate_response(r))
}

/// Translation state of one Anthropic stream.
#[derive(Debug, Default)]
pub struct StreamState {
    id: String,
    model: String,
    usage: AUsage,
    /// Anthropic content-block index -> OpenAI tool-call index, for `tool_use` blocks.
    tool_index: Vec<(u32, u32)>,
    next_tool: u32,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u32,
        content_block: Block,
    },
    ContentBlockDelta {
        index: u32,
        delta: BlockDelta,
    },
    ContentBlockStop {},
    MessageDelta {
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: AUsage,
    },
    MessageStop {},
    Ping {},
    Error {
        error: ErrorBody,
    },
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    usage: AUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
}

impl StreamState {
    fn chunk(&self, delta: Delta, finish: Option<String>, usage: Option<WireUsage>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: 0,
            model: self.model.clone(),
            choices: vec![ChunkChoice { index: 0, delta, finish_reason: finish, extra: Map::new() }],
            usage,
            extra: Map::new(),
        }
    }

    /// Translate one SSE event. `event` is the `event:` name; the JSON `type` decides.
    pub fn decode(&mut self, _event: &str, data: &str) -> Result<StreamItem, ProviderError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(StreamItem::Skip);
        }
        let ev: Event = match serde_json::from_str(data) {
            Ok(ev) => ev,
            // Event types added to the API later are not errors.
            Err(_) if serde_json::from_str::<Value>(data).is_ok() => return Ok(StreamItem::Skip),
            Err(e) => {
                return Err(ProviderError(format!(
                    "stream event is not JSON ({e}): {}",
                    super::truncate(data, 200)
                )))
            }
        };
        Ok(match ev {
            Event::MessageStart { message } => {
                self.id = message.id;
                self.model = message.model;
                self.usage.merge(&message.usage);
                StreamItem::Chunk(self.chunk(
                    Delta { role: Some("assistant".into()), ..Delta::default() },
                    None,
                    None,
                ))
            }
            Event::ContentBlockStart { index, content_block: Block::ToolUse { id, name, .. } } => {
                let ti = self.next_tool;
                self.next_tool += 1;
                self.tool_index.push((index, ti));
                let delta = Delta {
                    tool_calls: Some(vec![ToolCallDelta {
                        index: ti,
                        id: Some(id),
                        kind: Some("function".into()),
                        function: Some(FunctionDelta { name: Some(name), arguments: Some(String::new()) }),
                    }]),
                    ..Delta::default()
                };
                StreamItem::Chunk(self.chunk(delta, None, None))
            }
            Event::ContentBlockStart { content_block: Block::Text { text }, .. } if !text.is_empty() => {
                StreamItem::Chunk(self.chunk(Delta { content: Some(text), ..Delta::default() }, None, None))
            }
            Event::ContentBlockStart { .. } | Event::ContentBlockStop {} | Event::Ping {} => StreamItem::Skip,
            Event::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::TextDelta { text } => StreamItem::Chunk(self.chunk(
                    Delta { content: Some(text), ..Delta::default() },
                    None,
                    None,
                )),
                BlockDelta::ThinkingDelta { thinking } => StreamItem::Chunk(self.chunk(
                    Delta { reasoning_content: Some(thinking), ..Delta::default() },
                    None,
                    None,
                )),
                BlockDelta::InputJsonDelta { partial_json } => {
                    let Some(&(_, ti)) = self.tool_index.iter().find(|(bi, _)| *bi == index) else {
                        return Ok(StreamItem::Skip);
                    };
                    let delta = Delta {
                        tool_calls: Some(vec![ToolCallDelta {
                            index: ti,
                            id: None,
                            kind: None,
                            function: Some(FunctionDelta { name: None, arguments: Some(partial_json) }),
                        }]),
                        ..Delta::default()
                    };
                    StreamItem::Chunk(self.chunk(delta, None, None))
                }
                BlockDelta::Other => StreamItem::Skip,
            },
            Event::MessageDelta { delta, usage } => {
                self.usage.merge(&usage);
                let finish = delta.stop_reason.as_deref().map(|s| finish_reason(s).to_string());
                StreamItem::Chunk(self.chunk(Delta::default(), finish, Some(self.usage.to_wire())))
            }
            Event::MessageStop {} => StreamItem::Done,
            Event::Error { error } => StreamItem::Error {
                overloaded: error.kind == "overloaded_error" || error.kind == "api_error",
                message: if error.message.is_empty() { error.kind } else { error.message },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(raw: &str) -> ChatBody {
        serde_json::from_str(raw).unwrap()
    }

    #[test]
    fn request_translation_covers_the_differences() {
        let b = body(
            r#"{"model":"claude-x","messages":[
                {"role":"system","content":"Be brief."},
                {"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
                {"role":"assistant","content":"Let me check.","tool_calls":[{"id":"t1","type":"function","function":{"name":"look","arguments":"{\"q\":1}"}}]},
                {"role":"tool","tool_call_id":"t1","content":"a cat"},
                {"role":"user","content":"thanks"}],
              "stop":"END","temperature":0,"user":"u1","seed":4,"top_k":5,"parallel_tool_calls":false,
              "tools":[{"type":"function","function":{"name":"look","description":"d","parameters":{"type":"object"}}}],
              "tool_choice":"required"}"#,
        );
        let (req, notes) = translate_request(&b, "claude-x", true).unwrap();
        let got = serde_json::to_value(&req).unwrap();
        let want = json!({
            "model": "claude-x",
            "max_tokens": DEFAULT_MAX_TOKENS,
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "t1", "name": "look", "input": {"q": 1}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "a cat"},
                    {"type": "text", "text": "thanks"}]}],
            "system": "Be brief.",
            "stop_sequences": ["END"],
            "temperature": 0.0,
            "stream": true,
            "tools": [{"name": "look", "description": "d", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
            "top_k": 5,
            "metadata": {"user_id": "u1"}
        });
        assert_eq!(got, want);
        assert!(notes.iter().any(|n| n.contains("max_tokens")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("seed")), "{notes:?}");
        // The translation reads back as the same typed request (round trip of the wire type).
        let back: MessagesRequest = serde_json::from_value(got).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn cache_control_on_a_system_part_becomes_a_cached_system_block() {
        let b = body(
            r#"{"model":"m","max_tokens":5,"messages":[
                {"role":"system","content":[{"type":"text","text":"Rules.","cache_control":{"type":"ephemeral"}}]},
                {"role":"user","content":"q"}]}"#,
        );
        let (req, _) = translate_request(&b, "m", false).unwrap();
        assert_eq!(
            serde_json::to_value(&req).unwrap()["system"],
            json!([{"type": "text", "text": "Rules.", "cache_control": {"type": "ephemeral"}}])
        );
        // Without a marker, parts are joined into the plain string as before.
        let b = body(
            r#"{"model":"m","max_tokens":5,"messages":[
                {"role":"system","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                {"role":"system","content":"c"},{"role":"user","content":"q"}]}"#,
        );
        let (req, _) = translate_request(&b, "m", false).unwrap();
        assert_eq!(req.system, Some(System::Text("ab\n\nc".into())));
    }

    #[test]
    fn response_format_is_refused_clearly() {
        let b = body(r#"{"model":"m","messages":[],"response_format":{"type":"json_object"}}"#);
        let err = translate_request(&b, "m", false).unwrap_err();
        assert!(err.0.contains("response_format `json_object`"), "{err}");
        let b = body(r#"{"model":"m","messages":[],"response_format":{"type":"text"},"max_tokens":5}"#);
        let (req, notes) = translate_request(&b, "m", false).unwrap();
        assert_eq!(req.max_tokens, 5);
        assert!(notes.is_empty());
    }

    #[test]
    fn prepare_sets_headers_and_url() {
        let t = Target {
            base_url: "https://api.anthropic.com/v1/",
            model: Some("c"),
            api_key: Some("k"),
            api_version: None,
        };
        let p = prepare(&ChatBody::user_prompt("", "hi"), &t, false).unwrap();
        assert_eq!(p.spec.url, "https://api.anthropic.com/v1/messages");
        assert!(p.spec.headers.contains(&("x-api-key", "k".to_string())));
        assert!(p.spec.headers.contains(&("anthropic-version", ANTHROPIC_VERSION.to_string())));
        assert!(!p.spec.headers.iter().any(|(h, _)| *h == "authorization"));
    }

    #[test]
    fn response_translation_maps_blocks_usage_and_stop() {
        let raw = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-x",
            "content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Hi"},
                       {"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}],
            "stop_reason":"tool_use","stop_sequence":null,
            "usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":3,"cache_read_input_tokens":7}}"#;
        let r = parse_response(raw).unwrap();
        assert_eq!(r.text(), "Hi");
        assert_eq!(r.finish_reason(), Some("tool_calls"));
        let m = &r.choices[0].message;
        assert_eq!(m.reasoning_content.as_deref(), Some("hmm"));
        let call = &m.tool_calls.as_ref().unwrap()[0];
        assert_eq!(
            (call.id.as_str(), call.function.name.as_str(), call.function.arguments.as_str()),
            ("toolu_1", "f", r#"{"a":1}"#)
        );
        let u = r.usage.unwrap().to_usage();
        assert_eq!(u.input_tokens, 20);
        assert_eq!(u.cached_tokens, 7);
        assert_eq!(u.cache_write_tokens, 3);
        assert_eq!(u.output_tokens, 5);
        assert_eq!(finish_reason("end_turn"), "stop");
        assert_eq!(finish_reason("max_tokens"), "length");
        assert_eq!(finish_reason("stop_sequence"), "stop");
    }

    #[test]
    fn stream_translation_yields_canonical_chunks() {
        let events = [
            (
                "message_start",
                r#"{"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":12,"output_tokens":1}}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            ("ping", r#"{"type":"ping"}"#),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}"#,
            ),
            ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_9","name":"f","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"2}"}}"#,
            ),
            ("content_block_stop", r#"{"type":"content_block_stop","index":1}"#),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ];
        let mut st = StreamState::default();
        let mut asm = super::super::StreamAssembler::default();
        let mut done = false;
        let mut outputs = 0;
        for (name, data) in events {
            match st.decode(name, data).unwrap() {
                StreamItem::Chunk(c) => {
                    outputs += usize::from(c.has_output());
                    asm.push(&c)
                }
                StreamItem::Done => done = true,
                StreamItem::Skip => {}
                StreamItem::Error { .. } => panic!("unexpected error"),
            }
        }
        assert!(done);
        assert_eq!(outputs, 5);
        let r = asm.finish();
        assert_eq!(r.id, "msg_1");
        assert_eq!(r.text(), "Hello");
        assert_eq!(r.finish_reason(), Some("tool_calls"));
        let call = &r.choices[0].message.tool_calls.as_ref().unwrap()[0];
        assert_eq!(call.function.arguments, r#"{"a":2}"#);
        let u = r.usage.unwrap().to_usage();
        assert_eq!((u.input_tokens, u.output_tokens), (12, 9));
    }

    #[test]
    fn stream_errors_are_reported() {
        let mut st = StreamState::default();
        match st
            .decode("error", r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
            .unwrap()
        {
            StreamItem::Error { message, overloaded } => {
                assert!(overloaded);
                assert_eq!(message, "Overloaded");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(st.decode("x", r#"{"type":"brand_new_event"}"#).unwrap(), StreamItem::Skip);
    }
}
