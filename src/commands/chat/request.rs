//! The request body `chat` sends, in the engine's canonical form (an OpenAI chat-completions
//! body). Everything the user asked for by flag lands here in one place; `-o key=value` fields
//! are applied last so a user can override anything the flags set.

use serde_json::{Map, Value};

use super::message::{is_system, Content, ContentPart, Message};
use super::tools::ToolDef;
use crate::cli::ProviderKind;
use crate::provider::ChatBody;

/// Sampling flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampling {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    pub seed: Option<i64>,
}

impl Sampling {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(format!("--temperature must be between 0 and 2, got {t}"));
            }
        }
        if let Some(p) = self.top_p {
            if !(p > 0.0 && p <= 1.0) {
                return Err(format!("--top-p must be in (0, 1], got {p}"));
            }
        }
        if self.max_tokens == Some(0) {
            return Err("--max-tokens must be at least 1".into());
        }
        if self.stop.iter().any(String::is_empty) {
            return Err("--stop cannot be empty".into());
        }
        Ok(())
    }
}

/// Parse `-o key=value`: the value is JSON when it parses as JSON (`3`, `true`, `{"a":1}`,
/// `"quoted"`), else the literal string.
pub fn parse_option(spec: &str) -> Result<(String, Value), String> {
    let (key, value) = spec.split_once('=').ok_or_else(|| format!("-o `{spec}`: expected KEY=VALUE"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("-o `{spec}`: the key is empty"));
    }
    if matches!(key, "messages" | "stream") {
        return Err(format!("-o `{spec}`: `{key}` is set by llmkit (use --messages / --no-stream)"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((key.to_string(), value))
}

/// Everything but the messages.
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    pub model: Option<String>,
    pub sampling: Sampling,
    pub response_format: Option<Value>,
    pub tools: Vec<ToolDef>,
    /// Mark the system prompt cacheable (only Anthropic needs to be told).
    pub cache_system: bool,
    /// `-o` fields, applied last.
    pub extra: Vec<(String, Value)>,
}

impl RequestSpec {
    /// The body for `messages`. `provider` decides only provider-specific hints (Anthropic's
    /// `cache_control`); the engine's provider layer translates the rest. Fails when an `-o`
    /// value has the wrong type for a field the engine knows (`-o temperature=hot`).
    pub fn body(&self, messages: &[Message], provider: ProviderKind) -> Result<ChatBody, String> {
        let map = self.body_map(messages, provider);
        serde_json::from_value(Value::Object(map)).map_err(|e| format!("-o: {e}"))
    }

    fn body_map(&self, messages: &[Message], provider: ProviderKind) -> Map<String, Value> {
        let mut b = Map::new();
        if let Some(m) = &self.model {
            b.insert("model".into(), Value::String(m.clone()));
        }
        let mut msgs: Vec<Message> = messages.to_vec();
        if self.cache_system && provider == ProviderKind::Anthropic {
            mark_system_cacheable(&mut msgs);
        }
        b.insert("messages".into(), serde_json::to_value(&msgs).unwrap_or(Value::Array(Vec::new())));
        let s = &self.sampling;
        if let Some(t) = s.temperature {
            b.insert("temperature".into(), t.into());
        }
        if let Some(p) = s.top_p {
            b.insert("top_p".into(), p.into());
        }
        if let Some(n) = s.max_tokens {
            b.insert("max_tokens".into(), n.into());
        }
        if !s.stop.is_empty() {
            b.insert("stop".into(), s.stop.clone().into());
        }
        if let Some(seed) = s.seed {
            b.insert("seed".into(), seed.into());
        }
        if let Some(rf) = &self.response_format {
            b.insert("response_format".into(), rf.clone());
        }
        if !self.tools.is_empty() {
            b.insert("tools".into(), serde_json::to_value(&self.tools).unwrap_or(Value::Array(Vec::new())));
        }
        for (k, v) in &self.extra {
            b.insert(k.clone(), v.clone());
        }
        b
    }
}

/// Turn the last system message into a text part carrying `cache_control: ephemeral`
/// (Anthropic caches the prefix up to and including the marked block: tools, then system).
fn mark_system_cacheable(messages: &mut [Message]) {
    let Some(sys) = messages.iter_mut().rev().find(|m| is_system(m)) else { return };
    let mut parts = match sys.content.take() {
        Some(Content::Text(t)) => {
            vec![ContentPart { kind: "text".into(), text: Some(t), ..ContentPart::default() }]
        }
        Some(Content::Parts(p)) => p,
        None => Vec::new(),
    };
    if let Some(last) = parts.last_mut() {
        last.extra.insert("cache_control".into(), serde_json::json!({"type": "ephemeral"}));
    }
    sys.content = Some(Content::Parts(parts));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::chat::message::{system, user};
    use serde_json::json;

    #[test]
    fn options_are_json_when_they_parse_else_strings() {
        assert_eq!(parse_option("n=2").unwrap(), ("n".into(), json!(2)));
        assert_eq!(parse_option("logprobs=true").unwrap(), ("logprobs".into(), json!(true)));
        assert_eq!(
            parse_option(r#"reasoning={"effort":"low"}"#).unwrap(),
            ("reasoning".into(), json!({"effort": "low"}))
        );
        assert_eq!(parse_option("user=alice").unwrap(), ("user".into(), json!("alice")));
        assert_eq!(parse_option("user=\"42\"").unwrap(), ("user".into(), json!("42")));
        assert_eq!(parse_option("note=a=b").unwrap(), ("note".into(), json!("a=b")));
        assert!(parse_option("novalue").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_option("=1").unwrap_err().contains("key is empty"));
        assert!(parse_option("stream=false").unwrap_err().contains("--no-stream"));
    }

    #[test]
    fn sampling_ranges_are_checked() {
        assert!(Sampling { temperature: Some(2.5), ..Default::default() }
            .validate()
            .unwrap_err()
            .contains("--temperature"));
        assert!(Sampling { top_p: Some(0.0), ..Default::default() }
            .validate()
            .unwrap_err()
            .contains("--top-p"));
        assert!(Sampling { max_tokens: Some(0), ..Default::default() }.validate().is_err());
        assert!(Sampling { stop: vec![String::new()], ..Default::default() }.validate().is_err());
        assert!(Sampling { temperature: Some(0.0), top_p: Some(1.0), ..Default::default() }
            .validate()
            .is_ok());
    }

    #[test]
    fn body_carries_every_flag_and_options_win() {
        let spec = RequestSpec {
            model: Some("gpt-4o-mini".into()),
            sampling: Sampling {
                temperature: Some(0.5),
                top_p: Some(0.9),
                max_tokens: Some(64),
                stop: vec!["END".into(), "STOP".into()],
                seed: Some(7),
            },
            response_format: Some(json!({"type": "json_object"})),
            tools: Vec::new(),
            cache_system: false,
            extra: vec![("temperature".into(), json!(1)), ("user".into(), json!("u1"))],
        };
        let body = serde_json::to_value(spec.body(&[user("hi")], ProviderKind::Openai).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "temperature": 1.0,
                "top_p": 0.9,
                "max_tokens": 64,
                "stop": ["END", "STOP"],
                "seed": 7,
                "response_format": {"type": "json_object"},
                "user": "u1"
            })
        );
    }

    #[test]
    fn cache_system_marks_only_anthropic_requests() {
        let spec = RequestSpec { cache_system: true, ..Default::default() };
        let msgs = [system("long rules"), user("q")];
        let body = serde_json::to_value(spec.body(&msgs, ProviderKind::Anthropic).unwrap()).unwrap();
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": [{"type": "text", "text": "long rules", "cache_control": {"type": "ephemeral"}}]})
        );
        let body = serde_json::to_value(spec.body(&msgs, ProviderKind::Openai).unwrap()).unwrap();
        assert_eq!(body["messages"][0], json!({"role": "system", "content": "long rules"}));
    }

    #[test]
    fn options_of_the_wrong_type_for_known_fields_are_refused() {
        let spec = RequestSpec { extra: vec![("temperature".into(), json!("hot"))], ..Default::default() };
        let err = spec.body(&[user("q")], ProviderKind::Openai).unwrap_err();
        assert!(err.starts_with("-o: ") && err.contains("invalid type"), "{err}");
    }
}
