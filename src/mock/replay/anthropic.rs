//! `serve --replay` in Anthropic's dialect: `POST /v1/messages` answered from a recording.
//!
//! Recordings hold llmkit's canonical (OpenAI-shaped) request and response whatever the
//! provider was (`provider::anthropic` translates both ways when a request is sent), so an
//! Anthropic client cannot be matched on its raw body. Instead every recorded request is
//! translated forward with the same pure function the engine used to send it
//! (`provider::anthropic::translate_request`), and that wire body is the match key: a request
//! made by `chat --record` against an Anthropic endpoint is therefore matched by the very same
//! request sent again. The recorded canonical response is translated back into a Messages API
//! message (or its SSE event sequence) whose text, tool calls and usage give, after the
//! client's own translation, exactly the recorded content and usage.
//!
//! A miss forwarded by `--fallthrough` is recorded the other way round: the canonical body
//! whose translation is the client's body ([`recorded_request`]), or the Messages API body
//! itself when none is, which the loader then indexes as it is.
//!
//! What the canonical form does not keep cannot come back: `end_turn` and `stop_sequence` both
//! became `stop` (replayed as `end_turn`), and thinking signatures are gone.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::super::anthropic::{self, OutputUsage, StopDelta};
use super::super::body::{Paced, PacedWriter};
use super::pieces;
use crate::commands::replay::normalize::MatchOn;
use crate::provider::anthropic::{
    translate_request, Block as WireBlock, ImageSource, MessagesRequest, System,
};
use crate::provider::{
    ChatBody, Content, ContentPart, FunctionCall, FunctionDef, ImageUrl, Message as CanonicalMessage, Stop,
    Tool, ToolCall as CanonicalToolCall,
};

/// Prefix of Anthropic match keys in the shared index (canonical JSON never starts with it).
pub(super) const KEY_PREFIX: &str = "anthropic:";

/// The Messages API body the engine sent for a recorded canonical request (stream flag
/// aside), or `None` when the request cannot be expressed for Anthropic.
pub(super) fn wire_request(recorded: &Value) -> Option<Value> {
    let body: ChatBody = serde_json::from_value(recorded.clone()).ok()?;
    if body.model.is_empty() {
        return None;
    }
    let (req, _notes) = translate_request(&body, &body.model, false).ok()?;
    serde_json::to_value(req).ok()
}

/// The match key of an Anthropic wire body. A message's `content` given as a plain string
/// is the same as one text block (SDKs send the string, llmkit sends blocks).
pub(super) fn key(match_on: &MatchOn, wire: &Value) -> String {
    format!("{KEY_PREFIX}{}", match_on.key(&normalized(wire)))
}

/// A Messages API body with every message's string `content` written as one text block and
/// no `stream` flag: the form match keys are computed on and fallthrough records keep.
fn normalized(wire: &Value) -> Value {
    let mut wire = wire.clone();
    if let Value::Object(map) = &mut wire {
        map.remove("stream");
    }
    if let Some(Value::Array(messages)) = wire.get_mut("messages") {
        for m in messages {
            if let Some(content) = m.get_mut("content") {
                if let Some(text) = content.as_str().map(str::to_string) {
                    *content = serde_json::json!([{"type": "text", "text": text}]);
                }
            }
        }
    }
    wire
}

/// Whether a recorded request is itself a Messages API body (written by `--fallthrough` when
/// no canonical body translates to it; see [`recorded_request`]).
pub(super) fn is_wire_body(recorded: &Value) -> bool {
    serde_json::from_value::<MessagesRequest>(recorded.clone()).is_ok()
}

/// What `--fallthrough` records as the request of an Anthropic exchange: the canonical
/// (OpenAI-shaped) body whose translation is exactly `wire` (what `chat --record` would have
/// written), or, when no canonical body translates to it (thinking blocks in the history,
/// tool results made of blocks, fields the canonical form has no place for), the normalized
/// Messages API body itself, which the loader indexes as is for recordings of provider
/// `anthropic`. Either way the next identical request matches the appended line.
pub(super) fn recorded_request(wire: &Value, stream: bool) -> Value {
    let exact = inverse(wire).filter(|canonical| {
        wire_request(canonical).is_some_and(|back| key(&MatchOn::Body, &back) == key(&MatchOn::Body, wire))
    });
    let mut out = exact.unwrap_or_else(|| normalized(wire));
    if let (true, Value::Object(map)) = (stream, &mut out) {
        map.insert("stream".into(), Value::Bool(true));
    }
    out
}

/// The canonical body for a Messages API body, inverting `translate_request` block by
/// block. `None` when a block has no canonical form; the caller checks the round trip.
fn inverse(wire: &Value) -> Option<Value> {
    let req: MessagesRequest = serde_json::from_value(normalized(wire)).ok()?;
    let text_part = |text: String, extra: Map<String, Value>| ContentPart {
        kind: "text".into(),
        text: Some(text),
        image_url: None,
        extra,
    };
    let mut messages = Vec::new();
    match req.system {
        Some(System::Text(t)) => messages.push(CanonicalMessage::text("system", t)),
        Some(System::Blocks(blocks)) => {
            let parts = blocks
                .into_iter()
                .map(|b| {
                    let mut extra = Map::new();
                    if let Some(cc) = b.cache_control {
                        extra.insert("cache_control".into(), cc);
                    }
                    text_part(b.text, extra)
                })
                .collect();
            messages.push(CanonicalMessage {
                role: "system".into(),
                content: Some(Content::Parts(parts)),
                ..CanonicalMessage::default()
            });
        }
        None => {}
    }
    // A user turn's text and image parts, flushed as one user message before a tool result.
    fn flush(parts: &mut Vec<ContentPart>, messages: &mut Vec<CanonicalMessage>) {
        if parts.is_empty() {
            return;
        }
        // One text part is written as a plain string, as `chat` writes a prompt.
        let content = match parts.as_slice() {
            [ContentPart { kind, text: Some(t), image_url: None, extra }]
                if kind == "text" && extra.is_empty() =>
            {
                Content::Text(t.clone())
            }
            _ => Content::Parts(parts.clone()),
        };
        parts.clear();
        messages.push(CanonicalMessage {
            role: "user".into(),
            content: Some(content),
            ..CanonicalMessage::default()
        });
    }
    for m in req.messages {
        match m.role.as_str() {
            "user" => {
                let mut parts = Vec::new();
                for b in m.content {
                    match b {
                        WireBlock::Text { text } => parts.push(text_part(text, Map::new())),
                        WireBlock::Image { source } => {
                            let url = match source {
                                ImageSource::Base64 { media_type, data } => {
                                    format!("data:{media_type};base64,{data}")
                                }
                                ImageSource::Url { url } => url,
                            };
                            parts.push(ContentPart {
                                kind: "image_url".into(),
                                text: None,
                                image_url: Some(ImageUrl { url, detail: None, extra: Map::new() }),
                                extra: Map::new(),
                            });
                        }
                        WireBlock::ToolResult { tool_use_id, content } => {
                            flush(&mut parts, &mut messages);
                            messages.push(CanonicalMessage {
                                role: "tool".into(),
                                content: Some(Content::Text(content)),
                                tool_call_id: Some(tool_use_id),
                                ..CanonicalMessage::default()
                            });
                        }
                        WireBlock::ToolUse { .. } | WireBlock::Thinking { .. } | WireBlock::Other(_) => {
                            return None
                        }
                    }
                }
                flush(&mut parts, &mut messages);
            }
            "assistant" => {
                let mut text = String::new();
                let mut calls = Vec::new();
                for b in m.content {
                    match b {
                        WireBlock::Text { text: t } => text.push_str(&t),
                        WireBlock::ToolUse { id, name, input } => calls.push(CanonicalToolCall {
                            id,
                            kind: "function".into(),
                            function: FunctionCall { name, arguments: input.to_string() },
                        }),
                        _ => return None,
                    }
                }
                messages.push(CanonicalMessage {
                    role: "assistant".into(),
                    content: (!text.is_empty()).then_some(Content::Text(text)),
                    tool_calls: (!calls.is_empty()).then_some(calls),
                    ..CanonicalMessage::default()
                });
            }
            _ => return None,
        }
    }
    let mut extra = req.extra;
    let tool_choice = match req.tool_choice {
        None => None,
        Some(tc) => {
            let kind = tc.get("type").and_then(Value::as_str)?;
            if tc.get("disable_parallel_tool_use") == Some(&Value::Bool(true)) {
                extra.insert("parallel_tool_calls".into(), Value::Bool(false));
            }
            Some(match kind {
                "auto" => Value::from("auto"),
                "any" => Value::from("required"),
                "none" => Value::from("none"),
                "tool" => {
                    let name = tc.get("name").and_then(Value::as_str)?;
                    serde_json::json!({"type": "function", "function": {"name": name}})
                }
                _ => return None,
            })
        }
    };
    let tools = req.tools.map(|ts| {
        ts.into_iter()
            .map(|t| Tool {
                kind: "function".into(),
                function: FunctionDef {
                    name: t.name,
                    description: t.description,
                    parameters: Some(t.input_schema),
                    extra: Map::new(),
                },
                extra: Map::new(),
            })
            .collect()
    });
    let body = ChatBody {
        model: req.model,
        messages,
        max_tokens: Some(req.max_tokens),
        temperature: req.temperature,
        top_p: req.top_p,
        stop: req.stop_sequences.map(Stop::Many),
        tools,
        tool_choice,
        extra,
        ..ChatBody::default()
    };
    serde_json::to_value(body).ok()
}

/// A recorded canonical completion, as far as a Messages API answer needs it.
#[derive(Debug, Deserialize)]
pub(super) struct Recorded {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<CanonicalUsage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: Option<Message>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    content: Option<String>,
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
}

#[derive(Debug, Deserialize)]
struct ToolCall {
    #[serde(default)]
    id: String,
    function: Function,
}

#[derive(Debug, Deserialize)]
struct Function {
    #[serde(default)]
    name: String,
    #[serde(default)]
    arguments: String,
}

/// The canonical usage llmkit records (OpenAI names; Anthropic's cache writes in
/// `prompt_tokens_details.cache_write_tokens`).
#[derive(Debug, Default, Deserialize)]
struct CanonicalUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<Details>,
}

#[derive(Debug, Default, Deserialize)]
struct Details {
    #[serde(default)]
    cached_tokens: u64,
    #[serde(default)]
    cache_write_tokens: u64,
}

/// Anthropic usage: the three input counts are additive, so the recorded prompt total is
/// split back into them.
#[derive(Debug, Clone, Copy, Serialize)]
struct UsageOut {
    input_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    output_tokens: u64,
}

impl Recorded {
    fn usage(&self) -> UsageOut {
        let u = self.usage.as_ref();
        let d = u.and_then(|u| u.prompt_tokens_details.as_ref());
        let read = d.map_or(0, |d| d.cached_tokens);
        let write = d.map_or(0, |d| d.cache_write_tokens);
        UsageOut {
            input_tokens: u.map_or(0, |u| u.prompt_tokens).saturating_sub(read + write),
            cache_creation_input_tokens: write,
            cache_read_input_tokens: read,
            output_tokens: u.map_or(0, |u| u.completion_tokens),
        }
    }

    fn stop_reason(&self) -> &'static str {
        match self.choices.first().and_then(|c| c.finish_reason.as_deref()) {
            Some("length") => "max_tokens",
            Some("tool_calls") => "tool_use",
            Some("content_filter") => "refusal",
            _ => "end_turn",
        }
    }

    fn id(&self) -> String {
        if self.id.is_empty() {
            "msg_replay".to_string()
        } else {
            self.id.clone()
        }
    }

    /// Content blocks in the order the API emits them: thinking, text, tool uses.
    fn blocks(&self) -> Vec<Block<'_>> {
        let mut out = Vec::new();
        let Some(m) = self.choices.first().and_then(|c| c.message.as_ref()) else { return out };
        if let Some(t) = m.reasoning_content.as_deref().filter(|t| !t.is_empty()) {
            out.push(Block::Thinking { thinking: t });
        }
        if let Some(t) = m.content.as_deref() {
            out.push(Block::Text { text: t });
        }
        for call in &m.tool_calls {
            // The engine wrote `arguments` from the tool_use `input`, so it parses back.
            let input = serde_json::from_str(&call.function.arguments)
                .unwrap_or_else(|_| Value::Object(serde_json::Map::new()));
            out.push(Block::ToolUse {
                id: &call.id,
                name: &call.function.name,
                input,
                arguments: &call.function.arguments,
            });
        }
        out
    }
}

enum Block<'a> {
    Thinking { thinking: &'a str },
    Text { text: &'a str },
    ToolUse { id: &'a str, name: &'a str, input: Value, arguments: &'a str },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockOut<'a> {
    Thinking { thinking: &'a str },
    Text { text: &'a str },
    ToolUse { id: &'a str, name: &'a str, input: &'a Value },
}

impl<'a> Block<'a> {
    fn full(&'a self) -> BlockOut<'a> {
        match self {
            Block::Thinking { thinking } => BlockOut::Thinking { thinking },
            Block::Text { text } => BlockOut::Text { text },
            Block::ToolUse { id, name, input, .. } => BlockOut::ToolUse { id, name, input },
        }
    }
}

#[derive(Serialize)]
struct MessageOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<BlockOut<'a>>,
    stop_reason: Option<&'a str>,
    stop_sequence: Option<()>,
    usage: UsageOut,
}

/// The non-streamed Messages API answer.
pub(super) fn message(r: &Recorded) -> Result<Vec<u8>, serde_json::Error> {
    let id = r.id();
    let blocks = r.blocks();
    serde_json::to_vec(&MessageOut {
        id: &id,
        kind: "message",
        role: "assistant",
        model: &r.model,
        content: blocks.iter().map(Block::full).collect(),
        stop_reason: Some(r.stop_reason()),
        stop_sequence: None,
        usage: r.usage(),
    })
}

/// Replay's stream events: any recorded block kind.
type Event<'a> = anthropic::Event<'a, MessageOut<'a>, BlockOut<'a>, DeltaOut<'a>>;

#[derive(Serialize)]
#[serde(tag = "type")]
enum DeltaOut<'a> {
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
}

fn put(w: &mut PacedWriter, e: &Event<'_>) -> Result<(), serde_json::Error> {
    e.put(w)
}

/// The SSE answer: `message_start` (input usage), per block `content_block_start`, deltas
/// (text and thinking split into word pieces, tool input as one `input_json_delta`),
/// `content_block_stop`, then `message_delta` (stop reason, output usage) and `message_stop`.
/// TTFT passes before the first delta; the rest of the latency is spread over the others.
pub(super) fn stream(r: &Recorded, ttft: Duration, rest: Duration) -> Result<Paced, serde_json::Error> {
    let id = r.id();
    let usage = r.usage();
    let blocks = r.blocks();
    let deltas: usize = blocks
        .iter()
        .map(|b| match b {
            Block::Thinking { thinking: t } | Block::Text { text: t } => pieces(t).len(),
            Block::ToolUse { .. } => 1,
        })
        .sum();
    let gap = if deltas > 1 { rest / (deltas as u32 - 1).max(1) } else { Duration::ZERO };
    let mut w = PacedWriter::with_capacity(1024);
    let empty_input = Value::Object(serde_json::Map::new());
    let start = MessageOut {
        id: &id,
        kind: "message",
        role: "assistant",
        model: &r.model,
        content: Vec::new(),
        stop_reason: None,
        stop_sequence: None,
        // The API reports a provisional output count here; the final one is in message_delta.
        usage: UsageOut { output_tokens: usage.output_tokens.min(1), ..usage },
    };
    put(&mut w, &Event::MessageStart { message: start })?;
    if blocks.is_empty() {
        put(&mut w, &Event::Ping)?;
    }
    let mut first = true;
    let mut pause = |w: &mut PacedWriter| {
        w.pause(if first { ttft } else { gap });
        first = false;
    };
    for (index, block) in blocks.iter().enumerate() {
        let empty = match block {
            Block::Thinking { .. } => BlockOut::Thinking { thinking: "" },
            Block::Text { .. } => BlockOut::Text { text: "" },
            Block::ToolUse { id, name, .. } => BlockOut::ToolUse { id, name, input: &empty_input },
        };
        put(&mut w, &Event::ContentBlockStart { index, content_block: empty })?;
        if index == 0 {
            put(&mut w, &Event::Ping)?;
        }
        match block {
            Block::Thinking { thinking } => {
                for p in pieces(thinking) {
                    pause(&mut w);
                    put(
                        &mut w,
                        &Event::ContentBlockDelta { index, delta: DeltaOut::Thinking { thinking: p } },
                    )?;
                }
            }
            Block::Text { text } => {
                for p in pieces(text) {
                    pause(&mut w);
                    put(&mut w, &Event::ContentBlockDelta { index, delta: DeltaOut::Text { text: p } })?;
                }
            }
            Block::ToolUse { arguments, .. } => {
                pause(&mut w);
                put(
                    &mut w,
                    &Event::ContentBlockDelta {
                        index,
                        delta: DeltaOut::InputJson { partial_json: arguments },
                    },
                )?;
            }
        }
        put(&mut w, &Event::ContentBlockStop { index })?;
    }
    if first {
        w.pause(ttft + rest);
    }
    put(
        &mut w,
        &Event::MessageDelta {
            delta: StopDelta { stop_reason: r.stop_reason(), stop_sequence: None },
            usage: OutputUsage { output_tokens: usage.output_tokens },
        },
    )?;
    put(&mut w, &Event::MessageStop)?;
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::anthropic::{parse_response, StreamState};
    use crate::provider::StreamItem;
    use serde_json::json;

    fn recorded() -> Value {
        json!({
            "id": "msg_1", "object": "chat.completion", "created": 0, "model": "claude-x",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there, you",
                "reasoning_content": "think first",
                "tool_calls": [{"id": "tu_1", "type": "function",
                    "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
                "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37,
                "prompt_tokens_details": {"cached_tokens": 10, "cache_write_tokens": 5}}
        })
    }

    /// The client's translation of the replayed answer gives back the recorded response.
    #[test]
    fn messages_translate_back_to_the_recorded_completion() {
        let rec: Recorded = serde_json::from_value(recorded()).unwrap();
        let bytes = message(&rec).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            doc["usage"],
            json!({"input_tokens": 15, "cache_creation_input_tokens": 5,
            "cache_read_input_tokens": 10, "output_tokens": 7})
        );
        assert_eq!(doc["stop_reason"], "tool_use");
        let back = serde_json::to_value(parse_response(&bytes).unwrap()).unwrap();
        let want = recorded();
        assert_eq!(back["choices"], want["choices"]);
        assert_eq!(back["usage"], want["usage"]);
    }

    #[test]
    fn streams_carry_the_full_event_sequence_and_decode_to_the_recording() {
        let rec: Recorded = serde_json::from_value(recorded()).unwrap();
        let paced = stream(&rec, Duration::ZERO, Duration::ZERO).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let bytes = rt.block_on(async { axum::body::to_bytes(paced.into_body(), usize::MAX).await.unwrap() });
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let mut names = Vec::new();
        let mut state = StreamState::default();
        let (mut content, mut reasoning, mut args, mut usage, mut finish) =
            (String::new(), String::new(), String::new(), None, None);
        for event in text.split("\n\n").filter(|e| !e.is_empty()) {
            let (name, data) = event.split_once('\n').unwrap();
            let name = name.strip_prefix("event: ").unwrap();
            let data = data.strip_prefix("data: ").unwrap();
            let v: Value = serde_json::from_str(data).unwrap();
            assert_eq!(v["type"], name);
            names.push(name.to_string());
            if let StreamItem::Chunk(c) = state.decode(name, data).unwrap() {
                let c = serde_json::to_value(c).unwrap();
                let d = &c["choices"][0]["delta"];
                content.push_str(d["content"].as_str().unwrap_or(""));
                reasoning.push_str(d["reasoning_content"].as_str().unwrap_or(""));
                if let Some(a) = d["tool_calls"][0]["function"]["arguments"].as_str() {
                    args.push_str(a);
                }
                if !c["usage"].is_null() {
                    usage = Some(c["usage"].clone());
                }
                if let Some(f) = c["choices"][0]["finish_reason"].as_str() {
                    finish = Some(f.to_string());
                }
            }
        }
        assert_eq!(names.first().map(String::as_str), Some("message_start"));
        assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
        for n in ["content_block_start", "ping", "content_block_delta", "content_block_stop"] {
            assert!(names.iter().any(|x| x == n), "{n} missing: {names:?}");
        }
        assert_eq!(content, "Hi there, you");
        assert_eq!(reasoning, "think first");
        assert_eq!(args, "{\"a\":1}");
        assert_eq!(finish.as_deref(), Some("tool_calls"));
        assert_eq!(usage, Some(recorded()["usage"].clone()));
    }

    /// What `--fallthrough` records for an Anthropic request translates back to the same key.
    #[test]
    fn fallthrough_records_a_canonical_request_that_translates_back_to_the_same_key() {
        let wire = json!({"model": "claude-x", "max_tokens": 64, "stream": true,
        "system": [{"type": "text", "text": "Long context", "cache_control": {"type": "ephemeral"}}],
        "temperature": 0.2, "top_k": 5, "stop_sequences": ["END"],
        "metadata": {"user_id": "u1"},
        "tools": [{"name": "f", "description": "d", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "Calling."},
                {"type": "tool_use", "id": "tu_1", "name": "f", "input": {"a": 1}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "42"},
                {"type": "text", "text": "And?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]}
        ]});
        let recorded = recorded_request(&wire, true);
        assert_eq!(recorded["stream"], true, "the client's stream flag is kept, as chat --record does");
        assert_eq!(recorded["messages"][0]["role"], "system", "canonical, not the wire body: {recorded}");
        assert_eq!(recorded["messages"][1]["content"], "Hi");
        assert_eq!(recorded["messages"][3]["role"], "tool");
        assert_eq!(recorded["tool_choice"], "required");
        assert_eq!(recorded["parallel_tool_calls"], false);
        let back = wire_request(&recorded).unwrap();
        assert_eq!(key(&MatchOn::Body, &back), key(&MatchOn::Body, &wire));
        // The plain case: a system string and one prompt.
        let simple = json!({"model": "claude-x", "max_tokens": 10, "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hi"}]});
        let recorded = recorded_request(&simple, false);
        assert_eq!(
            recorded,
            json!({"model": "claude-x", "max_tokens": 10,
                "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]})
        );
    }

    #[test]
    fn requests_without_a_canonical_form_are_recorded_as_wire_bodies() {
        // Thinking blocks in the history and tool results made of blocks have no canonical form.
        let wire = json!({"model": "claude-x", "max_tokens": 64,
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"},
                {"type": "text", "text": "Yes"}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                "content": [{"type": "text", "text": "x"}]}]}
        ]});
        let recorded = recorded_request(&wire, false);
        assert!(is_wire_body(&recorded));
        assert_eq!(recorded["messages"][0]["content"], json!([{"type": "text", "text": "Hi"}]));
        assert_eq!(key(&MatchOn::Body, &recorded), key(&MatchOn::Body, &wire));
        // So is a field the canonical form has no place for.
        let odd = json!({"model": "claude-x", "max_tokens": 5, "context_management": {"edits": []},
            "messages": [{"role": "user", "content": "Hi"}]});
        let recorded = recorded_request(&odd, false);
        assert!(recorded.get("context_management").is_some() && is_wire_body(&recorded));
        // Canonical requests as `chat --record` writes them are not wire bodies.
        assert!(!is_wire_body(&json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]})));
    }

    #[test]
    fn recorded_requests_translate_to_the_wire_body_the_engine_sent() {
        let canonical = json!({"model": "claude-x", "stream": true, "max_tokens": 20,
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]});
        let wire = wire_request(&canonical).unwrap();
        assert_eq!(wire["system"], "Be brief.");
        assert_eq!(wire["messages"][0]["content"][0]["text"], "Hi");
        assert!(wire.get("stream").is_none());
        // An incoming streamed request with the same content has the same key.
        let mut incoming = wire.clone();
        incoming["stream"] = json!(true);
        assert_eq!(key(&MatchOn::Body, &wire), key(&MatchOn::Body, &incoming));
        incoming["messages"][0]["content"] = json!("Hi");
        assert_eq!(key(&MatchOn::Body, &wire), key(&MatchOn::Body, &incoming), "string content = one block");
        incoming["messages"][0]["content"] = json!("Hi!");
        assert_ne!(key(&MatchOn::Body, &wire), key(&MatchOn::Body, &incoming));
        assert!(wire_request(&json!({"messages": []})).is_none(), "no model: not expressible");
    }
}
