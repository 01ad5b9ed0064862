//! Structured output: `--json` (JSON mode) and `--schema FILE` (a JSON Schema).
//!
//! Asking the provider for structured output is a request, not a guarantee (smaller models,
//! OpenAI-compatible servers and Anthropic ignore or bend it), so the reply is always checked
//! here with a real validator and a violation is reported with where and why it failed.

use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::Error;

/// What shape the reply must have.
#[derive(Debug)]
pub enum OutputMode {
    /// Free text.
    Text,
    /// Any JSON value (`response_format: json_object`).
    JsonObject,
    /// JSON valid against a schema.
    Schema(Box<Schema>),
}

/// A loaded `--schema` file.
#[derive(Debug)]
pub struct Schema {
    /// The name sent in `response_format.json_schema.name`.
    pub name: String,
    pub schema: Value,
    /// `strict` as the file asked for it (absent unless the wrapper form sets it).
    pub strict: Option<bool>,
    /// `description` of the wrapper form, sent along.
    pub description: Option<String>,
    validator: jsonschema::Validator,
}

/// The wrapper form OpenAI documents (`{"name", "schema", "strict"}`); anything else in the
/// file is taken as the schema itself.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapper {
    name: String,
    schema: Value,
    #[serde(default)]
    strict: Option<bool>,
    #[serde(default)]
    description: Option<String>,
}

impl Schema {
    /// Read and compile a schema file.
    pub fn load(path: &Path) -> anyhow::Result<Schema> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read --schema {}: {e}", path.display())))?;
        let default_name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("reply");
        Schema::parse(&text, &path.display().to_string(), default_name)
    }

    /// Parse a schema document; `origin` names it in errors, `default_name` is used when the
    /// document is a bare schema.
    pub fn parse(text: &str, origin: &str, default_name: &str) -> anyhow::Result<Schema> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| Error::usage(format!("{origin}: line {}, column {}: {e}", e.line(), e.column())))?;
        let (name, schema, strict, description) = match Wrapper::deserialize(&doc) {
            Ok(w) if w.schema.is_object() => (w.name, w.schema, w.strict, w.description),
            _ => (sanitize_name(default_name), doc, None, None),
        };
        if !schema.is_object() {
            return Err(Error::usage(format!("{origin}: a JSON Schema must be an object")).into());
        }
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| Error::usage(format!("{origin}: not a valid JSON Schema: {e}")))?;
        Ok(Schema { name, schema, strict, description, validator })
    }

    /// Why `reply` does not satisfy the schema, or `None` when it does.
    pub fn violation(&self, reply: &str) -> Option<String> {
        let value = match parse_reply(reply) {
            Ok(v) => v,
            Err(e) => return Some(e),
        };
        let errors: Vec<String> = self
            .validator
            .iter_errors(&value)
            .take(5)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("at {}: {e}", if at.is_empty() { "/" } else { at.as_str() })
            })
            .collect();
        (!errors.is_empty()).then(|| errors.join("; "))
    }
}

impl OutputMode {
    /// The `response_format` request field, if any.
    pub fn response_format(&self) -> Option<Value> {
        match self {
            OutputMode::Text => None,
            OutputMode::JsonObject => Some(json!({"type": "json_object"})),
            OutputMode::Schema(s) => {
                let mut inner = serde_json::Map::new();
                inner.insert("name".into(), Value::String(s.name.clone()));
                if let Some(d) = &s.description {
                    inner.insert("description".into(), Value::String(d.clone()));
                }
                inner.insert("schema".into(), s.schema.clone());
                if let Some(strict) = s.strict {
                    inner.insert("strict".into(), Value::Bool(strict));
                }
                Some(json!({"type": "json_schema", "json_schema": inner}))
            }
        }
    }

    /// Why the reply breaks the requested shape, or `None` when it fits.
    pub fn violation(&self, reply: &str) -> Option<String> {
        match self {
            OutputMode::Text => None,
            OutputMode::JsonObject => parse_reply(reply).err(),
            OutputMode::Schema(s) => s.violation(reply),
        }
    }
}

/// The reply as JSON. A single Markdown code fence around it is tolerated because models that
/// ignore `response_format` tend to add one.
fn parse_reply(reply: &str) -> Result<Value, String> {
    let body = strip_fence(reply.trim());
    serde_json::from_str(body)
        .map_err(|e| format!("the reply is not JSON (line {}, column {}: {e})", e.line(), e.column()))
}

fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else { return text };
    let Some(body) = rest.strip_suffix("```") else { return text };
    // Drop the info string (`json`) on the opening line.
    match body.split_once('\n') {
        Some((_, inner)) => inner.trim(),
        None => text,
    }
}

/// OpenAI accepts `^[a-zA-Z0-9_-]{1,64}$` as a schema name.
fn sanitize_name(stem: &str) -> String {
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    if name.is_empty() {
        "reply".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSON: &str = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}},"required":["name","age"]}"#;

    #[test]
    fn a_bare_schema_is_named_after_its_file() {
        let s = Schema::parse(PERSON, "person.schema.json", "person.schema").unwrap();
        assert_eq!(s.name, "person_schema");
        let rf = OutputMode::Schema(Box::new(s)).response_format().unwrap();
        assert_eq!(rf["type"], "json_schema");
        assert_eq!(rf["json_schema"]["name"], "person_schema");
        assert_eq!(rf["json_schema"]["schema"]["required"][0], "name");
        assert!(rf["json_schema"].get("strict").is_none());
    }

    #[test]
    fn the_wrapper_form_keeps_name_and_strict() {
        let text = format!(r#"{{"name":"person","strict":true,"schema":{PERSON}}}"#);
        let s = Schema::parse(&text, "f", "f").unwrap();
        assert_eq!((s.name.as_str(), s.strict), ("person", Some(true)));
        let rf = OutputMode::Schema(Box::new(s)).response_format().unwrap();
        assert_eq!(rf["json_schema"]["strict"], true);
    }

    #[test]
    fn replies_are_validated_with_reasons() {
        let s = Schema::parse(PERSON, "p", "p").unwrap();
        assert_eq!(s.violation(r#"{"name":"Ada","age":36}"#), None);
        assert_eq!(s.violation("```json\n{\"name\":\"Ada\",\"age\":36}\n```"), None);
        let why = s.violation(r#"{"name":"Ada","age":-1}"#).unwrap();
        assert!(why.contains("at /age") && why.contains("minimum"), "{why}");
        let why = s.violation(r#"{"name":"Ada"}"#).unwrap();
        assert!(why.contains("\"age\" is a required property"), "{why}");
        let why = s.violation("Sure! Here is the JSON").unwrap();
        assert!(why.starts_with("the reply is not JSON"), "{why}");
    }

    #[test]
    fn json_mode_only_requires_json() {
        assert_eq!(OutputMode::JsonObject.violation("[1, 2]"), None);
        assert!(OutputMode::JsonObject.violation("{oops").is_some());
        assert_eq!(OutputMode::Text.violation("{oops"), None);
        assert_eq!(OutputMode::JsonObject.response_format(), Some(json!({"type": "json_object"})));
        assert_eq!(OutputMode::Text.response_format(), None);
    }

    #[test]
    fn broken_schemas_are_input_errors() {
        let err = Schema::parse("{\"type\": ", "s.json", "s").unwrap_err();
        assert!(err.to_string().starts_with("s.json: line 1"), "{err}");
        let err = Schema::parse(r#"{"type":"nonsense"}"#, "s.json", "s").unwrap_err();
        assert!(err.to_string().contains("not a valid JSON Schema"), "{err}");
        assert_eq!(crate::error::exit_code_for(&err), 2);
        let err = Schema::parse("[1]", "s.json", "s").unwrap_err();
        assert!(err.to_string().contains("must be an object"), "{err}");
    }
}
