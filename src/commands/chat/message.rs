//! Chat messages as they cross files: saved conversations and `--messages` input.
//!
//! The shape is OpenAI's chat-completions message, the canonical request format of the engine,
//! so a conversation file can be pasted into any OpenAI-compatible tool and back. Content stays
//! either a plain string or the provider's array of parts, passed through untouched.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

/// A message body: a string, or content parts (text, images, ...) kept as the user wrote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<serde_json::Value>),
}

/// A function call the model asked for, as OpenAI writes it in an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// The arguments as the model wrote them: a JSON document in a string.
    #[serde(default)]
    pub arguments: String,
}

fn function_kind() -> String {
    "function".to_string()
}

impl Message {
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    pub fn system(text: impl Into<String>) -> Self {
        Self::text(Role::System, text)
    }

    pub fn user(text: impl Into<String>) -> Self {
        Self::text(Role::User, text)
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self::text(Role::Assistant, text)
    }

    /// The answer of a local tool command to one call.
    pub fn tool_result(call_id: impl Into<String>, text: impl Into<String>) -> Self {
        Message { tool_call_id: Some(call_id.into()), ..Self::text(Role::Tool, text) }
    }

    /// The assistant turn that asked for tools (its text may be empty).
    pub fn assistant_tool_calls(text: &str, calls: Vec<ToolCall>) -> Self {
        let content = if text.is_empty() { None } else { Some(Content::Text(text.to_string())) };
        Message { role: Role::Assistant, content, name: None, tool_calls: calls, tool_call_id: None }
    }

    /// The text of the message: the string, or its text parts joined by newlines.
    pub fn plain_text(&self) -> String {
        match &self.content {
            None => String::new(),
            Some(Content::Text(t)) => t.clone(),
            Some(Content::Parts(parts)) => {
                let texts: Vec<&str> = parts.iter().filter_map(part_text).collect();
                texts.join("\n")
            }
        }
    }

    pub fn is_system(&self) -> bool {
        matches!(self.role, Role::System | Role::Developer)
    }
}

/// The text of a `{"type":"text","text":...}` part.
fn part_text(part: &serde_json::Value) -> Option<&str> {
    #[derive(Deserialize)]
    struct TextPart<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        text: &'a str,
    }
    let p = TextPart::deserialize(part).ok()?;
    (p.kind == "text").then_some(p.text)
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
    let doc: Doc = serde_json::from_str(text).map_err(|e| {
        // serde's untagged error hides the position; re-parse as Value to find bad JSON first.
        match serde_json::from_str::<serde_json::Value>(text) {
            Err(json) => format!("{origin}: line {}, column {}: {json}", json.line(), json.column()),
            Ok(_) => format!(
                "{origin}: expected a JSON array of messages ({{\"role\", \"content\"}}) or an object \
                 with a `messages` array ({e})"
            ),
        }
    })?;
    let messages = match doc {
        Doc::List(m) | Doc::Body { messages: m } => m,
    };
    if messages.is_empty() {
        return Err(format!("{origin}: the messages array is empty"));
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
            {"role":"tool","tool_call_id":"c1","content":"42"}]"#;
        let msgs = parse_messages(text, "m.json").unwrap();
        assert_eq!(msgs.len(), 4);
        assert!(msgs[0].is_system());
        assert_eq!(msgs[1].plain_text(), "a\nb");
        assert_eq!(msgs[2].tool_calls[0].function.name, "f");
        assert_eq!(msgs[3].tool_call_id.as_deref(), Some("c1"));
        let back: Vec<Message> = serde_json::from_str(&serde_json::to_string(&msgs).unwrap()).unwrap();
        assert_eq!(back, msgs);
        // Absent fields stay absent on the way out.
        let json = serde_json::to_string(&Message::user("hi")).unwrap();
        assert_eq!(json, r#"{"role":"user","content":"hi"}"#);
    }

    #[test]
    fn accepts_a_request_body() {
        let msgs =
            parse_messages(r#"{"model":"x","messages":[{"role":"user","content":"q"}]}"#, "b").unwrap();
        assert_eq!(msgs, vec![Message::user("q")]);
    }

    #[test]
    fn errors_name_the_file_and_position() {
        let err = parse_messages("[{\"role\":\"user\",}]", "in.json").unwrap_err();
        assert!(err.starts_with("in.json: line 1, column"), "{err}");
        let err = parse_messages(r#"[{"role":"wizard","content":"x"}]"#, "in.json").unwrap_err();
        assert!(err.contains("expected a JSON array of messages"), "{err}");
        let err = parse_messages("[]", "in.json").unwrap_err();
        assert!(err.contains("empty"), "{err}");
    }
}
