//! Tokenizer encodings and the model -> encoding map.
//!
//! Counting uses `bpe-openai` for o200k_base and cl100k_base (linear time, faster than
//! tiktoken) and `tiktoken-rs` for the other encodings. All counts follow tiktoken's
//! `encode_ordinary`: special-token strings such as `<|endoftext|>` are plain text.
//!
//! Stable API used across the crate (other modules depend on these signatures):
//! [`Encoding::from_name`], [`Encoding::for_model`], [`Encoding::name`], [`Encoding::count`],
//! [`count_chat_request`], [`encoding_for_model_or_default`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

/// A BPE encoding known to tiktoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    O200kBase,
    O200kHarmony,
    Cl100kBase,
    P50kBase,
    P50kEdit,
    R50kBase,
}

impl Encoding {
    pub const ALL: [Encoding; 6] = [
        Encoding::O200kBase,
        Encoding::O200kHarmony,
        Encoding::Cl100kBase,
        Encoding::P50kBase,
        Encoding::P50kEdit,
        Encoding::R50kBase,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::P50kEdit => "p50k_edit",
            Encoding::R50kBase => "r50k_base",
        }
    }

    pub fn from_name(name: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The encoding OpenAI's `tiktoken` uses for `model`, or `None` for models with no local
    /// tokenizer (Claude, Gemini, ...). Provider prefixes (`openai/gpt-4o`) are ignored.
    pub fn for_model(model: &str) -> Option<Encoding> {
        let model = model.rsplit('/').next().unwrap_or(model);
        if let Some(e) = Encoding::from_name(model) {
            return Some(e);
        }
        // Exact names first, then prefixes, as in tiktoken/model.py.
        const EXACT: &[(&str, Encoding)] = &[
            ("gpt-3.5-turbo", Encoding::Cl100kBase),
            ("gpt-4", Encoding::Cl100kBase),
            ("text-embedding-ada-002", Encoding::Cl100kBase),
            ("text-embedding-3-small", Encoding::Cl100kBase),
            ("text-embedding-3-large", Encoding::Cl100kBase),
            ("davinci-002", Encoding::Cl100kBase),
            ("babbage-002", Encoding::Cl100kBase),
            ("text-davinci-003", Encoding::P50kBase),
            ("text-davinci-002", Encoding::P50kBase),
            ("code-davinci-002", Encoding::P50kBase),
            ("text-davinci-edit-001", Encoding::P50kEdit),
            ("code-davinci-edit-001", Encoding::P50kEdit),
            ("davinci", Encoding::R50kBase),
            ("curie", Encoding::R50kBase),
            ("babbage", Encoding::R50kBase),
            ("ada", Encoding::R50kBase),
        ];
        const PREFIX: &[(&str, Encoding)] = &[
            ("gpt-oss-", Encoding::O200kHarmony),
            ("o1", Encoding::O200kBase),
            ("o3", Encoding::O200kBase),
            ("o4", Encoding::O200kBase),
            ("chatgpt-4o-", Encoding::O200kBase),
            ("gpt-5", Encoding::O200kBase),
            ("gpt-4.5-", Encoding::O200kBase),
            ("gpt-4.1", Encoding::O200kBase),
            ("gpt-4o", Encoding::O200kBase),
            ("gpt-4-", Encoding::Cl100kBase),
            ("gpt-3.5-turbo-", Encoding::Cl100kBase),
            ("gpt-35-turbo", Encoding::Cl100kBase),
            ("ft:gpt-4o", Encoding::O200kBase),
            ("ft:gpt-4", Encoding::Cl100kBase),
            ("ft:gpt-3.5-turbo", Encoding::Cl100kBase),
            ("ft:davinci-002", Encoding::Cl100kBase),
            ("ft:babbage-002", Encoding::Cl100kBase),
        ];
        if let Some((_, e)) = EXACT.iter().find(|(m, _)| *m == model) {
            return Some(*e);
        }
        PREFIX.iter().find(|(p, _)| model.starts_with(p)).map(|(_, e)| *e)
    }

    /// Number of tokens in `text`, as tiktoken's `len(encode_ordinary(text))`.
    pub fn count(self, text: &str) -> usize {
        match self {
            Encoding::O200kBase => bpe_openai::o200k_base().count(text),
            Encoding::Cl100kBase => bpe_openai::cl100k_base().count(text),
            other => other.tiktoken().encode_ordinary(text).len(),
        }
    }

    fn tiktoken(self) -> &'static tiktoken_rs::CoreBPE {
        match self {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::O200kHarmony => tiktoken_rs::o200k_harmony_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            Encoding::P50kBase => tiktoken_rs::p50k_base_singleton(),
            Encoding::P50kEdit => tiktoken_rs::p50k_edit_singleton(),
            Encoding::R50kBase => tiktoken_rs::r50k_base_singleton(),
        }
    }
}

/// The encoding to count `model`'s text with, and whether that count is exact.
///
/// Models tiktoken knows map to their encoding (`exact = true`). Any other model (Claude,
/// Gemini, Llama, a typo) is counted with o200k_base and `exact = false`: the number is an
/// estimate. No model at all means the default encoding, o200k_base, counted exactly.
pub fn encoding_for_model_or_default(model: Option<&str>) -> (Encoding, bool) {
    match model {
        None => (Encoding::O200kBase, true),
        Some(m) => match Encoding::for_model(m) {
            Some(e) => (e, true),
            None => (Encoding::O200kBase, false),
        },
    }
}

/// Prompt size and output budget of one chat request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChatCount {
    /// Tokens the prompt will cost, chat overhead and tool definitions included.
    pub prompt_tokens: u64,
    /// `max_completion_tokens`, else `max_tokens` (else `max_output_tokens`), when the request
    /// sets one.
    pub max_output_tokens: Option<u64>,
}

/// Tokens every message costs on top of its fields (`<|start|>{role}<|message|>...<|end|>`:
/// the role itself is counted as text).
pub const TOKENS_PER_MESSAGE: u64 = 3;
/// Extra token for a message that carries `name`.
pub const TOKENS_PER_NAME: u64 = 1;
/// Every reply is primed with `<|start|>assistant<|message|>`.
pub const REPLY_PRIMER_TOKENS: u64 = 3;
/// Estimate for one image part. The real cost depends on the image size, which a request that
/// only holds a URL does not tell: 85 is OpenAI's cost of a `detail: low` image, 765 the cost of
/// a 1024x1024 image at high detail (85 + 4 tiles of 170), used for `high`/`auto`.
pub const IMAGE_TOKENS_LOW: u64 = 85;
pub const IMAGE_TOKENS_HIGH: u64 = 765;

/// Count a chat request the way OpenAI's cookbook ("How to count tokens with tiktoken") does:
/// 3 tokens per message plus the text of every string field of it (role, content, name, ...),
/// 1 more per `name`, 3 for the reply primer; text parts of multi-part content; tool calls by
/// function name and arguments; tool definitions as described at [`count_tools`].
///
/// Accepts OpenAI chat bodies, Anthropic Messages bodies (`system`, content blocks), Responses
/// bodies (`instructions`, `input`) and the batch shorthand `{"prompt": "..."}` (one user
/// message). This function never fails: a body that does not have the shape of a request is
/// counted as its JSON text, which is what a server would at worst have to read. Use
/// [`try_count_chat_request`] to learn why a body is malformed.
pub fn count_chat_request(enc: Encoding, body: &serde_json::Value) -> ChatCount {
    match try_count_chat_request(enc, body) {
        Ok(count) => count,
        Err(_) => ChatCount { prompt_tokens: enc.count(&body.to_string()) as u64, max_output_tokens: None },
    }
}

/// [`count_chat_request`] that says what is wrong with a malformed body (one line, for
/// reports such as `file:line: reason`).
pub fn try_count_chat_request(enc: Encoding, body: &serde_json::Value) -> Result<ChatCount, String> {
    if !body.is_object() {
        return Err("a request must be a JSON object".into());
    }
    let req: ChatRequestView<'_> = serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })?;
    // A message we build from a top-level field (Anthropic `system`, Responses `instructions`
    // and `input` text, the batch `prompt` shorthand) costs what the same message would.
    let synthetic = |role: &str, content: &ContentView<'_>| -> u64 {
        TOKENS_PER_MESSAGE + enc.count(role) as u64 + content.count(enc)
    };
    let mut n = 0u64;
    let mut messages = req.messages.len();
    if let Some(system) = &req.system {
        n += synthetic("system", system);
        messages += 1;
    }
    if let Some(instructions) = &req.instructions {
        n += synthetic("developer", &ContentView::Text(instructions.clone()));
        messages += 1;
    }
    n += req.messages.iter().map(|m| m.count(enc)).sum::<u64>();
    match &req.input {
        Some(InputView::Text(t)) => {
            n += synthetic("user", &ContentView::Text(t.clone()));
            messages += 1;
        }
        Some(InputView::Items(items)) => {
            n += items.iter().map(|m| m.count(enc)).sum::<u64>();
            messages += items.len();
        }
        None => {}
    }
    if req.messages.is_empty() && req.input.is_none() {
        let prompts: Vec<&Cow<'_, str>> = match &req.prompt {
            Some(PromptView::Text(t)) => vec![t],
            Some(PromptView::Many(ts)) => ts.iter().collect(),
            None => Vec::new(),
        };
        for t in prompts {
            n += synthetic("user", &ContentView::Text(t.clone()));
            messages += 1;
        }
    }
    if messages == 0 {
        return Err("no messages: expected `messages`, `input`, `prompt` or `system`".into());
    }
    n += REPLY_PRIMER_TOKENS;
    let mut functions: Vec<FunctionView<'_>> = Vec::new();
    for t in req.tools {
        match t {
            ToolView::OpenAi { function } => functions.push(function),
            ToolView::Bare(f) => functions.push(f),
        }
    }
    functions.extend(req.functions);
    n += count_tools(enc, &functions);
    let max_output_tokens = req.max_completion_tokens.or(req.max_tokens).or(req.max_output_tokens);
    Ok(ChatCount { prompt_tokens: n, max_output_tokens })
}

/// Tool (function) definitions, after the cookbook's `num_tokens_for_tools`, which OpenAI fitted
/// to what the API bills: per function `func_init` (7 for o200k models, 10 for cl100k ones) plus
/// the text `name:description` (a final `.` dropped); when it has properties, 3 more, and per
/// top-level property 3 plus `key:type:description`, an enum costing 3 per item plus the item
/// text minus 3 once; 12 at the end when there is any function.
///
/// Approximation beyond the cookbook (which ignores them): nested schemas (`properties` or
/// `items` inside a property) are counted as their compact JSON text, and a property whose type
/// is a list (`["string","null"]`) writes the types joined by `,`.
fn count_tools(enc: Encoding, functions: &[FunctionView<'_>]) -> u64 {
    const PROP_INIT: i64 = 3;
    const PROP_KEY: i64 = 3;
    const ENUM_INIT: i64 = -3;
    const ENUM_ITEM: i64 = 3;
    const FUNC_END: i64 = 12;
    if functions.iter().all(|f| f.name.is_none()) {
        return 0;
    }
    let func_init: i64 = match enc {
        Encoding::O200kBase | Encoding::O200kHarmony => 7,
        _ => 10,
    };
    let count = |s: &str| enc.count(s) as i64;
    let mut n: i64 = 0;
    for f in functions {
        let Some(name) = &f.name else { continue };
        n += func_init;
        let desc = f.description.as_deref().unwrap_or("");
        n += count(&format!("{name}:{}", desc.strip_suffix('.').unwrap_or(desc)));
        let props = f.parameters.as_ref().or(f.input_schema.as_ref()).map(|p| &p.properties);
        if let Some(props) = props.filter(|p| !p.is_empty()) {
            n += PROP_INIT;
            for (key, prop) in props {
                n += PROP_KEY;
                if let Some(items) = &prop.enum_values {
                    n += ENUM_INIT;
                    for item in items {
                        n += ENUM_ITEM;
                        n += match item {
                            serde_json::Value::String(s) => count(s),
                            other => count(&other.to_string()),
                        };
                    }
                }
                let ty = match &prop.ty {
                    Some(TypeView::One(t)) => t.to_string(),
                    Some(TypeView::Many(ts)) => ts.join(","),
                    None => String::new(),
                };
                let desc = prop.description.as_deref().unwrap_or("");
                n += count(&format!("{key}:{ty}:{}", desc.strip_suffix('.').unwrap_or(desc)));
                for nested in [&prop.properties, &prop.items].into_iter().flatten() {
                    n += count(&nested.to_string());
                }
            }
        }
    }
    n += FUNC_END;
    n.max(0) as u64
}

/// Read-only view of a chat request: only the fields that cost prompt tokens. Unknown fields
/// are ignored; strings are borrowed from the caller's JSON.
#[derive(Debug, Deserialize)]
struct ChatRequestView<'a> {
    #[serde(default, borrow)]
    messages: Vec<MessageView<'a>>,
    #[serde(default, borrow)]
    system: Option<ContentView<'a>>,
    #[serde(default, borrow)]
    instructions: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    input: Option<InputView<'a>>,
    #[serde(default, borrow)]
    prompt: Option<PromptView<'a>>,
    #[serde(default, borrow)]
    tools: Vec<ToolView<'a>>,
    #[serde(default, borrow)]
    functions: Vec<FunctionView<'a>>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum InputView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Items(#[serde(borrow)] Vec<MessageView<'a>>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PromptView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Many(#[serde(borrow)] Vec<Cow<'a, str>>),
}

/// One message. Every string field counts (the cookbook encodes every value of the message),
/// so fields we do not name are collected in `other` and the strings among them counted.
#[derive(Debug, Deserialize)]
struct MessageView<'a> {
    #[serde(default, borrow)]
    content: Option<ContentView<'a>>,
    #[serde(default, borrow)]
    tool_calls: Vec<ToolCallView<'a>>,
    #[serde(default, borrow)]
    function_call: Option<FunctionCallView<'a>>,
    #[serde(flatten, borrow)]
    other: BTreeMap<Cow<'a, str>, FieldView<'a>>,
}

impl MessageView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        let mut n = TOKENS_PER_MESSAGE;
        n += self.content.as_ref().map_or(0, |c| c.count(enc));
        for call in &self.tool_calls {
            if let Some(f) = &call.function {
                n += f.count(enc);
            }
        }
        if let Some(f) = &self.function_call {
            n += f.count(enc);
        }
        for (key, value) in &self.other {
            if let FieldView::Text(s) = value {
                n += enc.count(s) as u64;
                if key == "name" {
                    n += TOKENS_PER_NAME;
                }
            }
        }
        n
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FieldView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Other(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ContentView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Parts(#[serde(borrow)] Vec<PartView<'a>>),
}

impl ContentView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        match self {
            ContentView::Text(t) => enc.count(t) as u64,
            ContentView::Parts(parts) => parts.iter().map(|p| p.count(enc)).sum(),
        }
    }
}

/// A content part: OpenAI (`text`, `input_text`, `output_text`, `image_url`, `input_image`)
/// and Anthropic (`text`, `image`, `tool_use`, `tool_result`) blocks. Parts with no text that we
/// cannot size (audio, files) count 0.
#[derive(Debug, Deserialize)]
struct PartView<'a> {
    #[serde(default, rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    image_url: Option<ImageUrlView<'a>>,
    #[serde(default, borrow)]
    detail: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    input: Option<serde_json::Value>,
    #[serde(default, borrow)]
    content: Option<ContentView<'a>>,
}

impl PartView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        let mut n = self.text.as_ref().map_or(0, |t| enc.count(t) as u64);
        match self.kind.as_deref() {
            Some("image_url" | "input_image" | "image") => {
                let detail = match &self.image_url {
                    Some(ImageUrlView::Object { detail, .. }) => detail.as_deref(),
                    _ => self.detail.as_deref(),
                };
                n += if detail == Some("low") { IMAGE_TOKENS_LOW } else { IMAGE_TOKENS_HIGH };
            }
            Some("tool_use") => {
                n += self.name.as_ref().map_or(0, |s| enc.count(s) as u64);
                n += self.input.as_ref().map_or(0, |v| enc.count(&v.to_string()) as u64);
            }
            _ => {}
        }
        n + self.content.as_ref().map_or(0, |c| c.count(enc))
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ImageUrlView<'a> {
    Object {
        #[serde(default, borrow)]
        detail: Option<Cow<'a, str>>,
    },
    Url(#[allow(dead_code)] serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
struct ToolCallView<'a> {
    #[serde(default, borrow)]
    function: Option<FunctionCallView<'a>>,
}

#[derive(Debug, Deserialize)]
struct FunctionCallView<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arguments: Option<Cow<'a, str>>,
}

impl FunctionCallView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        [&self.name, &self.arguments].into_iter().flatten().map(|s| enc.count(s) as u64).sum()
    }
}

/// `{"type": "function", "function": {...}}` (OpenAI) or a bare function (Anthropic tools,
/// Responses tools, legacy `functions`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ToolView<'a> {
    OpenAi {
        #[serde(borrow)]
        function: FunctionView<'a>,
    },
    Bare(#[serde(borrow)] FunctionView<'a>),
}

/// A function definition, as far as its cost goes.
#[derive(Debug, Deserialize)]
struct FunctionView<'a> {
    /// Built-in tools (`{"type": "web_search"}`) have no name and cost nothing here.
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    parameters: Option<SchemaView<'a>>,
    #[serde(default, borrow)]
    input_schema: Option<SchemaView<'a>>,
}

#[derive(Debug, Deserialize)]
struct SchemaView<'a> {
    #[serde(default, borrow)]
    properties: BTreeMap<Cow<'a, str>, PropertyView<'a>>,
}

#[derive(Debug, Deserialize)]
struct PropertyView<'a> {
    #[serde(default, rename = "type", borrow)]
    ty: Option<TypeView<'a>>,
    #[serde(default, borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(default, rename = "enum")]
    enum_values: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    properties: Option<serde_json::Value>,
    #[serde(default)]
    items: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TypeView<'a> {
    One(#[serde(borrow)] Cow<'a, str>),
    Many(#[serde(borrow)] Vec<Cow<'a, str>>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_map_like_tiktoken() {
        assert_eq!(Encoding::for_model("gpt-4o-mini"), Some(Encoding::O200kBase));
        assert_eq!(Encoding::for_model("gpt-4-0613"), Some(Encoding::Cl100kBase));
        assert_eq!(Encoding::for_model("gpt-oss-120b"), Some(Encoding::O200kHarmony));
        assert_eq!(Encoding::for_model("openai/gpt-4.1"), Some(Encoding::O200kBase));
        assert_eq!(Encoding::for_model("cl100k_base"), Some(Encoding::Cl100kBase));
        assert_eq!(Encoding::for_model("claude-3-5-sonnet"), None);
    }

    #[test]
    fn counts_are_plain_text_counts() {
        assert_eq!(Encoding::O200kBase.count("hello world"), 2);
        assert_eq!(Encoding::Cl100kBase.count("hello world"), 2);
        // encode_ordinary: the special token is text, several tokens.
        assert!(Encoding::O200kBase.count("<|endoftext|>") > 1);
    }

    /// The cookbook's example conversation: its numbers (124 for gpt-4o, 129 for gpt-4) are
    /// the ones the API billed when the cookbook was written.
    fn cookbook_messages() -> serde_json::Value {
        serde_json::json!({"model": "gpt-4o", "messages": [
            {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
            {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
            {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
            {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
            {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
            {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
        ]})
    }

    #[test]
    fn chat_overhead_matches_the_cookbook() {
        let body = cookbook_messages();
        assert_eq!(count_chat_request(Encoding::O200kBase, &body).prompt_tokens, 124);
        assert_eq!(count_chat_request(Encoding::Cl100kBase, &body).prompt_tokens, 129);
    }

    #[test]
    fn overhead_rules_one_by_one() {
        let enc = Encoding::O200kBase;
        let one = serde_json::json!({"messages": [{"role": "user", "content": "hello world"}]});
        // 3 per message + "user" (1) + "hello world" (2) + 3 primer.
        assert_eq!(count_chat_request(enc, &one).prompt_tokens, 3 + 1 + 2 + 3);
        let named =
            serde_json::json!({"messages": [{"role": "user", "name": "bob", "content": "hello world"}]});
        assert_eq!(
            count_chat_request(enc, &named).prompt_tokens,
            3 + 1 + 2 + 3 + enc.count("bob") as u64 + TOKENS_PER_NAME
        );
        let parts = serde_json::json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "hello"}, {"type": "text", "text": " world"}]}]});
        assert_eq!(count_chat_request(enc, &parts).prompt_tokens, 3 + 1 + 2 + 3);
    }

    #[test]
    fn tools_match_the_cookbook() {
        let body = serde_json::json!({
            "messages": [
                {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
                {"role": "user", "content": "What's the weather like in San Francisco?"}
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {"type": "object", "properties": {
                    "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                    "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}
                }, "required": ["location"]}
            }}]
        });
        // The cookbook's published counts for gpt-4o (101) and gpt-4 (105).
        assert_eq!(count_chat_request(Encoding::O200kBase, &body).prompt_tokens, 101);
        assert_eq!(count_chat_request(Encoding::Cl100kBase, &body).prompt_tokens, 105);
        // Legacy `functions` cost the same as the same function under `tools`.
        let mut legacy = body.clone();
        if let Some(obj) = legacy.as_object_mut() {
            let f = obj.remove("tools").map(|t| t[0]["function"].clone()).unwrap();
            obj.insert("functions".into(), serde_json::json!([f]));
        }
        assert_eq!(count_chat_request(Encoding::O200kBase, &legacy).prompt_tokens, 101);
        // A built-in tool (no name, no schema) neither fails the request nor costs anything.
        let mut builtin = body.clone();
        if let Some(tools) = builtin.get_mut("tools").and_then(|t| t.as_array_mut()) {
            tools.push(serde_json::json!({"type": "web_search"}));
        }
        assert_eq!(try_count_chat_request(Encoding::O200kBase, &builtin).map(|c| c.prompt_tokens), Ok(101));
    }

    #[test]
    fn max_output_tokens_prefers_max_completion_tokens() {
        let enc = Encoding::O200kBase;
        let m = serde_json::json!([{"role": "user", "content": "hi"}]);
        let both = serde_json::json!({"messages": m, "max_tokens": 10, "max_completion_tokens": 20});
        assert_eq!(count_chat_request(enc, &both).max_output_tokens, Some(20));
        let old = serde_json::json!({"messages": m, "max_tokens": 10});
        assert_eq!(count_chat_request(enc, &old).max_output_tokens, Some(10));
        let none = serde_json::json!({"messages": m});
        assert_eq!(count_chat_request(enc, &none).max_output_tokens, None);
    }

    #[test]
    fn other_request_shapes_count_as_messages() {
        let enc = Encoding::O200kBase;
        let user_hi =
            count_chat_request(enc, &serde_json::json!({"messages": [{"role": "user", "content": "hi"}]}));
        let prompt = count_chat_request(enc, &serde_json::json!({"prompt": "hi"}));
        assert_eq!(prompt, user_hi);
        let responses = count_chat_request(enc, &serde_json::json!({"input": "hi"}));
        assert_eq!(responses, user_hi);
        // Anthropic: top-level system is one more message; content blocks count their text.
        let anthropic = serde_json::json!({"system": "be brief", "max_tokens": 64, "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"}]}]});
        let c = count_chat_request(enc, &anthropic);
        assert_eq!(c.prompt_tokens, user_hi.prompt_tokens + 3 + 1 + enc.count("be brief") as u64);
        assert_eq!(c.max_output_tokens, Some(64));
    }

    #[test]
    fn tool_calls_images_and_extra_fields_count() {
        let enc = Encoding::O200kBase;
        let body = serde_json::json!({"messages": [
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}}]}
        ]});
        let expected = 3 * 3
            + enc.count("assistant") as u64
            + enc.count("get_weather") as u64
            + enc.count("{\"city\":\"Paris\"}") as u64
            + enc.count("tool") as u64
            + enc.count("call_1") as u64
            + enc.count("sunny") as u64
            + enc.count("user") as u64
            + IMAGE_TOKENS_LOW
            + REPLY_PRIMER_TOKENS;
        assert_eq!(count_chat_request(enc, &body).prompt_tokens, expected);
    }

    #[test]
    fn malformed_requests_say_where() {
        let enc = Encoding::O200kBase;
        let err =
            try_count_chat_request(enc, &serde_json::json!({"messages": [{"role": "user", "content": 5}]}))
                .unwrap_err();
        assert!(err.contains("messages[0]"), "{err}");
        let err = try_count_chat_request(enc, &serde_json::json!({"model": "gpt-4o"})).unwrap_err();
        assert!(err.contains("no messages"), "{err}");
        assert!(try_count_chat_request(enc, &serde_json::json!([1, 2])).is_err());
        // The infallible form still gives a usable number.
        let body = serde_json::json!({"messages": "not a list"});
        assert_eq!(count_chat_request(enc, &body).prompt_tokens, enc.count(&body.to_string()) as u64);
    }

    #[test]
    fn unknown_models_fall_back_to_o200k_as_an_estimate() {
        assert_eq!(encoding_for_model_or_default(None), (Encoding::O200kBase, true));
        assert_eq!(encoding_for_model_or_default(Some("gpt-4")), (Encoding::Cl100kBase, true));
        assert_eq!(encoding_for_model_or_default(Some("claude-sonnet-4")), (Encoding::O200kBase, false));
    }
}
