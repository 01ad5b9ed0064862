//! Chat messages as `chat` handles them: the engine's canonical (OpenAI-shaped) message type,
//! plus the few helpers a conversation needs, and the `--messages` file reader.
//!
//! Conversations are stored in exactly the canonical shape, so a conversation file can be
//! pasted into any OpenAI-compatible tool and back, and unknown fields survive a round trip.

use serde::Deserialize;

pub use crate::provider::{Content, ContentPart, FunctionCall, Message, ToolCall};

/// Roles OpenAI's chat-completions API accepts.
pub const ROLES: [&str; 5] = ["system", "developer", "user", "assistant", "tool"];

pub fn system(text: impl Into<String>) -> Message {
    Message::text("system", text)
}

pub fn user(text: impl Into<String>) -> Message {
    Message::text("user", text)
}

pub fn assistant(text: impl Into<String>) -> Message {
    Message::text("assistant", text)
}

/// The answer of a local tool command to one call.
pub fn tool_result(call_id: impl Into<String>, text: impl Into<String>) -> Message {
    Message { tool_call_id: Some(call_id.into()), ..Message::text("tool", text) }
}

/// The assistant turn of a reply: its text (absent when empty and there are tool calls, as
/// OpenAI writes it) and its tool calls.
pub fn assistant_reply(text: &str, calls: Vec<ToolCall>) -> Message {
    let content =
        if text.is_empty() && !calls.is_empty() { None } else { Some(Content::Text(text.to_string())) };
    Message {
        role: "assistant".into(),
        content,
        tool_calls: (!calls.is_empty()).then_some(calls),
        ..Message::default()
    }
}

/// The text of a message: the string, or its text parts joined.
pub fn plain_text(m: &Message) -> String {
    m.content.as_ref().map(Content::joined_text).unwrap_or_default()
}

pub fn is_system(m: &Message) -> bool {
    matches!(m.role.as_str(), "system" | "developer")
}

pub fn is_user(m: &Message) -> bool {
    m.role == "user"
}

/// Tool calls of an assistant message that no later `tool` message answers. A conversation
/// saved after exit code 10 ends like this; OpenAI refuses such a history, so it is cut
/// before the next question.
pub fn has_unanswered_calls(messages: &[Message]) -> bool {
    let Some(last) = messages.last() else { return false };
    last.role == "assistant" && last.tool_calls.as_ref().is_some_and(|c| !c.is_empty())
}

/// Parse a `--messages` document: a JSON array of messages, or an object with a `messages`
/// array (a whole request body works too). `origin` names the file in errors.
pub fn parse_messages(text: &str, origin: &str) -> Result<Vec<Message>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Doc {
        List(Vec<Message>),
        Body { messages: Vec<Message> },
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{origin}: line {}, column {}: {e}", e.line(), e.column()))?;
    let doc = Doc::deserialize(&value).map_err(|e| {
        format!(
            "{origin}: expected a JSON array of messages ({{\"role\", \"content\"}}) or an object with a \
             `messages` array ({e})"
        )
    })?;
    let (Doc::List(messages) | Doc::Body { messages }) = doc;
    if messages.is_empty() {
        return Err(format!("{origin}: the messages array is empty"));
    }
    for (i, m) in messages.iter().enumerate() {
        if !ROLES.contains(&m.role.as_str()) {
            return Err(format!(
                "{origin}: message #{}: unknown role `{}` (expected one of {})",
                i + 1,
                m.role,
                ROLES.join(", ")
            ));
        }
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_the_openai_shape() {
        let text = r#"[{"role":"system","content":"be brief"},
            {"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"b"}]},
            {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"42","x_custom":1}]"#;
        let msgs = parse_messages(text, "m.json").unwrap();
        assert_eq!(msgs.len(), 4);
        assert!(is_system(&msgs[0]));
        assert_eq!(plain_text(&msgs[1]), "ab");
        assert!(has_unanswered_calls(&msgs[..3]));
        assert!(!has_unanswered_calls(&msgs));
        assert_eq!(msgs[3].tool_call_id.as_deref(), Some("c1"));
        let back: Vec<Message> = serde_json::from_str(&serde_json::to_string(&msgs).unwrap()).unwrap();
        assert_eq!(back, msgs, "unknown fields survive");
        let json = serde_json::to_string(&user("hi")).unwrap();
        assert_eq!(json, r#"{"role":"user","content":"hi"}"#);
    }

    #[test]
    fn accepts_a_request_body() {
        let msgs =
            parse_messages(r#"{"model":"x","messages":[{"role":"user","content":"q"}]}"#, "b").unwrap();
        assert_eq!(msgs, vec![user("q")]);
    }

    #[test]
    fn replies_with_tool_calls_have_no_empty_text() {
        let call = ToolCall { id: "c".into(), kind: "function".into(), function: FunctionCall::default() };
        let m = assistant_reply("", vec![call]);
        assert_eq!(m.content, None);
        assert_eq!(assistant_reply("hi", Vec::new()), assistant("hi"));
    }

    #[test]
    fn errors_name_the_file_and_position() {
        let err = parse_messages("[{\"role\":\"user\",}]", "in.json").unwrap_err();
        assert!(err.starts_with("in.json: line 1, column"), "{err}");
        let err =
            parse_messages(r#"[{"role":"user","content":"x"},{"role":"wizard","content":"x"}]"#, "in.json")
                .unwrap_err();
        assert!(err.contains("message #2: unknown role `wizard`"), "{err}");
        let err = parse_messages(r#"{"nope":1}"#, "in.json").unwrap_err();
        assert!(err.contains("expected a JSON array of messages"), "{err}");
        let err = parse_messages("[]", "in.json").unwrap_err();
        assert!(err.contains("empty"), "{err}");
    }
}
