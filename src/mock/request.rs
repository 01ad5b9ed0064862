//! Request parsing shared by the routes: typed bodies, and 400 answers that name the field.
//!
//! Clients learn from a mock only if it refuses what the real service refuses, and says where:
//! a bad body gets a 400 whose `param` (OpenAI) or message prefix (Anthropic) is the path of
//! the field at fault (`messages[0].content` / `messages.0.content`). Parsing is one plain
//! `serde_json` pass on the happy path; only a body that fails is parsed a second time with
//! `serde_path_to_error` to find the field, so errors cost nothing when there are none.
//! Unknown fields are ignored, as the real services do.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::wire::{Api, ApiError};

/// Parse a JSON body into `T`, or a 400 naming the field at fault in `api`'s path style.
pub fn parse_body<T: DeserializeOwned>(body: &[u8], api: Api) -> Result<T, ApiError> {
    match serde_json::from_slice::<T>(body) {
        Ok(v) => Ok(v),
        Err(e) if !e.is_data() => Err(ApiError::unparsable_json(&without_position(&e))),
        Err(e) if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') => Err(ApiError::invalid(
            format!("The request body must be a JSON object ({}).", without_position(&e)),
            None,
            None,
        )),
        Err(_) => {
            let de = &mut serde_json::Deserializer::from_slice(body);
            match serde_path_to_error::deserialize::<_, T>(de) {
                Ok(v) => Ok(v),
                Err(e) => Err(data_error(e.path(), e.inner(), api)),
            }
        }
    }
}

/// serde_json's message without the ` at line 1 column 7` suffix.
fn without_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(at) => msg[..at].to_string(),
        None => msg,
    }
}

/// Format a path the way `api` does: `messages[0].content` or `messages.0.content`.
pub fn format_path(path: &serde_path_to_error::Path, api: Api) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            serde_path_to_error::Segment::Seq { index } => match api {
                Api::OpenAi => out.push_str(&format!("[{index}]")),
                Api::Anthropic => push_key(&mut out, &index.to_string()),
            },
            serde_path_to_error::Segment::Map { key } => push_key(&mut out, key),
            serde_path_to_error::Segment::Enum { variant } => push_key(&mut out, variant),
            serde_path_to_error::Segment::Unknown => push_key(&mut out, "?"),
        }
    }
    out
}

fn push_key(out: &mut String, key: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
}

/// Join a parent path and a field name.
pub fn join_path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_string()
    } else {
        format!("{parent}.{field}")
    }
}

/// Turn a serde data error into an OpenAI-worded 400 naming the field.
fn data_error(path: &serde_path_to_error::Path, err: &serde_json::Error, api: Api) -> ApiError {
    let msg = humanize(&without_position(err).replace('`', "'"));
    let at = format_path(path, api);
    if let Some(rest) = msg.strip_prefix("missing field '") {
        let field = rest.trim_end_matches('\'');
        let param = join_path(&at, field);
        return ApiError::invalid(
            format!("Missing required parameter: '{param}'."),
            Some(param),
            Some("missing_required_parameter"),
        );
    }
    if at.is_empty() {
        return ApiError::invalid(format!("The request body must be a JSON object ({msg})."), None, None);
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        return ApiError::invalid(
            format!("Invalid type for '{at}': got {rest}."),
            Some(at),
            Some("invalid_type"),
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        return ApiError::invalid(
            format!("Invalid value for '{at}': {rest}."),
            Some(at),
            Some("invalid_value"),
        );
    }
    if msg.starts_with("data did not match any variant") {
        return ApiError::invalid(
            format!("Invalid type for '{at}': the value has none of the accepted types."),
            Some(at),
            Some("invalid_type"),
        );
    }
    ApiError::invalid(format!("Invalid value for '{at}': {msg}."), Some(at), Some("invalid_value"))
}

/// serde's type names in words a client understands (`struct ChatMessage` is "an object").
fn humanize(msg: &str) -> String {
    let mut out = msg.to_string();
    if let Some(at) = out.find("expected struct ") {
        out.replace_range(at.., "expected an object");
    }
    for (rust, words) in [
        ("expected i64", "expected an integer"),
        ("expected u64", "expected an integer"),
        ("expected u32", "expected an integer"),
        ("expected a sequence", "expected an array"),
        ("floating point", "number"),
    ] {
        out = out.replace(rust, words);
    }
    out
}

/// A required field that is missing (or null).
pub fn missing(param: String) -> ApiError {
    ApiError::invalid(
        format!("Missing required parameter: '{param}'."),
        Some(param),
        Some("missing_required_parameter"),
    )
}

/// A token limit must be at least 1.
pub fn check_min_tokens(value: Option<i64>, param: &str) -> Result<Option<u64>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if v >= 1 => Ok(Some(v as u64)),
        Some(v) => Err(ApiError::invalid(
            format!(
                "Invalid '{param}': integer below minimum value. Expected a value >= 1, but got {v} instead."
            ),
            Some(param.to_string()),
            Some("integer_below_min_value"),
        )),
    }
}

/// Message content: a string, or an array of parts of which the text parts count. `null` is
/// `None` at the `Option` around it.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

/// One content part (`{"type": "text", "text": "..."}`); other part types (images, tool
/// results with nested content) are accepted and contribute their `text` if they have one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

impl Content {
    /// Each text segment, in order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Content::Text(t) => (Some(t.as_str()), None),
            Content::Parts(p) => (None, Some(p.iter().filter_map(|p| p.text.as_deref()))),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// Parts of type `text` must carry their text. `path` builds the content's path, only
    /// when there is an error to report.
    pub fn check(&self, path: impl Fn() -> String, api: Api) -> Result<(), ApiError> {
        if let Content::Parts(parts) = self {
            for (i, part) in parts.iter().enumerate() {
                if part.kind == "text" && part.text.is_none() {
                    let path = path();
                    let p = match api {
                        Api::OpenAi => format!("{path}[{i}].text"),
                        Api::Anthropic => format!("{path}.{i}.text"),
                    };
                    return Err(missing(p));
                }
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ContentVisitor;

        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = Content;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of content parts")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Content, E> {
                Ok(Content::Text(v.to_string()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Content, E> {
                Ok(Content::Text(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(p) = seq.next_element::<Part>()? {
                    parts.push(p);
                }
                Ok(Content::Parts(parts))
            }
        }

        d.deserialize_any(ContentVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
        count: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        content: Option<Content>,
        role: Option<Kind>,
        id: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        User,
    }

    fn err(body: &str, api: Api) -> ApiError {
        parse_body::<Doc>(body.as_bytes(), api).unwrap_err()
    }

    #[test]
    fn syntax_errors_have_no_param() {
        let e = err("{not json", Api::OpenAi);
        assert_eq!(e.status, 400);
        assert!(e.param.is_none());
        assert!(e.message.contains("could not parse the JSON body"), "{}", e.message);
        assert!(!e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn type_errors_name_the_field_in_each_style() {
        let body = r#"{"items":[{"id":1},{"id":2,"content":5}]}"#;
        let e = err(body, Api::OpenAi);
        assert_eq!(e.param.as_deref(), Some("items[1].content"));
        assert_eq!(e.code, Some("invalid_type"));
        assert!(e.message.contains("a string or an array of content parts"), "{}", e.message);
        assert_eq!(err(body, Api::Anthropic).param.as_deref(), Some("items.1.content"));
        let e = err(r#"{"items":[],"count":-3}"#, Api::OpenAi);
        assert_eq!(e.param.as_deref(), Some("count"));
    }

    #[test]
    fn missing_fields_and_bad_variants_name_the_field() {
        let e = err(r#"{"items":[{"content":"x"}]}"#, Api::OpenAi);
        assert_eq!(e.param.as_deref(), Some("items[0].id"));
        assert_eq!(e.code, Some("missing_required_parameter"));
        let e = err(r#"{"count":1}"#, Api::OpenAi);
        assert_eq!(e.param.as_deref(), Some("items"));
        let e = err(r#"{"items":[{"id":1,"role":"robot"}]}"#, Api::OpenAi);
        assert_eq!(e.param.as_deref(), Some("items[0].role"));
        assert_eq!(e.code, Some("invalid_value"));
        assert!(e.message.contains("'robot'"), "{}", e.message);
        let e = err("[1,2]", Api::OpenAi);
        assert!(e.param.is_none());
        assert!(e.message.contains("JSON object"), "{}", e.message);
    }

    #[test]
    fn messages_speak_json_not_rust() {
        let e = err(r#"{"items":[null]}"#, Api::OpenAi);
        assert!(e.message.ends_with("expected an object."), "{}", e.message);
        let e = err(r#"{"items":[{"id":1.5}]}"#, Api::OpenAi);
        assert!(e.message.contains("number") && e.message.contains("an integer"), "{}", e.message);
        let e = err(r#"{"items":5}"#, Api::OpenAi);
        assert!(e.message.contains("expected an array"), "{}", e.message);
    }

    #[test]
    fn content_is_text_or_parts() {
        let c: Content = serde_json::from_str(r#""hi""#).unwrap();
        assert_eq!(c.texts().collect::<Vec<_>>(), ["hi"]);
        let c: Content = serde_json::from_str(
            r#"[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"b"}]"#,
        )
        .unwrap();
        assert_eq!(c.texts().collect::<Vec<_>>(), ["a", "b"]);
        assert!(c.check(|| "messages[0].content".into(), Api::OpenAi).is_ok());
        let c: Content = serde_json::from_str(r#"[{"type":"text"}]"#).unwrap();
        let e = c.check(|| "messages[0].content".into(), Api::OpenAi).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages[0].content[0].text"));
    }

    #[test]
    fn token_limits_must_be_positive() {
        assert_eq!(check_min_tokens(Some(5), "max_tokens").unwrap(), Some(5));
        assert_eq!(check_min_tokens(None, "max_tokens").unwrap(), None);
        let e = check_min_tokens(Some(-1), "max_tokens").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("max_tokens"));
        assert!(e.message.contains("-1"));
    }
}
