//! OpenAI chat completions and every endpoint that speaks it (vLLM, Ollama, OpenRouter, the
//! embedded mock), plus Azure OpenAI, which differs only in URL shape and auth header.
//!
//! The canonical request *is* this wire format, so translation is limited to what the call
//! mode requires: the model is filled from the endpoint when the body names none, `stream`
//! is set to match the call, and streams ask for `stream_options.include_usage` so usage is
//! known without counting tokens ourselves (the caller's own `stream_options` win).

use serde::Deserialize;

use super::{
    ChatBody, ChatChunk, ChatResponse, HttpRequestSpec, Prepared, ProviderError, StreamItem, StreamOptions,
    Target,
};

/// Azure's `api-version` when the profile names none (a GA version with `stream_options`).
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

/// Build the HTTP request. Pure: no I/O.
pub fn prepare(
    body: &ChatBody,
    target: &Target<'_>,
    stream: bool,
    azure: bool,
) -> Result<Prepared, ProviderError> {
    let mut body = body.clone();
    if body.model.is_empty() {
        match target.model {
            Some(m) => body.model = m.to_string(),
            None if azure => {}
            None => {
                return Err(ProviderError(
                    "no model: set --model, LLMKIT_MODEL or the profile's `model`".into(),
                ))
            }
        }
    }
    if stream {
        body.stream = Some(true);
        let opts = body.stream_options.get_or_insert_with(StreamOptions::default);
        if opts.include_usage.is_none() {
            opts.include_usage = Some(true);
        }
    } else {
        body.stream = None;
        body.stream_options = None;
    }
    let base = target.base_url.trim_end_matches('/');
    let mut headers = vec![("content-type", "application/json".to_string())];
    let url = if azure {
        let deployment =
            if body.model.is_empty() { target.model.unwrap_or_default() } else { body.model.as_str() };
        if deployment.is_empty() {
            return Err(ProviderError(
                "Azure needs a deployment name: set --model or the profile's `model`".into(),
            ));
        }
        if let Some(key) = target.api_key {
            headers.push(("api-key", key.to_string()));
        }
        format!(
            "{base}/openai/deployments/{deployment}/chat/completions?api-version={}",
            target.api_version.unwrap_or(DEFAULT_AZURE_API_VERSION)
        )
    } else {
        if let Some(key) = target.api_key {
            headers.push(("authorization", format!("Bearer {key}")));
        }
        format!("{base}/chat/completions")
    };
    if stream {
        headers.push(("accept", "text/event-stream".to_string()));
    }
    let bytes =
        serde_json::to_vec(&body).map_err(|e| ProviderError(format!("cannot serialize request: {e}")))?;
    Ok(Prepared { spec: HttpRequestSpec { method: "POST", url, headers, body: bytes }, notes: Vec::new() })
}

/// Read a `chat.completion` body.
pub fn parse_response(bytes: &[u8]) -> Result<ChatResponse, ProviderError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ProviderError(format!("response is not a chat completion ({e}): {}", super::error_message(bytes)))
    })
}

/// Translate one SSE `data:` payload.
pub fn decode_event(data: &str) -> Result<StreamItem, ProviderError> {
    let trimmed = data.trim();
    if trimmed == "[DONE]" {
        return Ok(StreamItem::Done);
    }
    if trimmed.is_empty() {
        return Ok(StreamItem::Skip);
    }
    let chunk: ChatChunk = serde_json::from_str(trimmed).map_err(|e| {
        ProviderError(format!("stream chunk is not JSON ({e}): {}", super::truncate(trimmed, 200)))
    })?;
    if chunk.extra.contains_key("error") {
        let message = super::error_message(trimmed.as_bytes());
        let overloaded = message.to_ascii_lowercase().contains("overload");
        return Ok(StreamItem::Error { message, overloaded });
    }
    Ok(StreamItem::Chunk(chunk))
}

/// `GET /models` (Azure: `/openai/models`).
pub fn models_request(target: &Target<'_>, azure: bool) -> HttpRequestSpec {
    let base = target.base_url.trim_end_matches('/');
    let mut headers = Vec::new();
    let url = if azure {
        if let Some(key) = target.api_key {
            headers.push(("api-key", key.to_string()));
        }
        format!(
            "{base}/openai/models?api-version={}",
            target.api_version.unwrap_or(DEFAULT_AZURE_API_VERSION)
        )
    } else {
        if let Some(key) = target.api_key {
            headers.push(("authorization", format!("Bearer {key}")));
        }
        format!("{base}/models")
    };
    HttpRequestSpec { method: "GET", url, headers, body: Vec::new() }
}

/// Model ids from a `/models` listing (OpenAI and Anthropic both use `{"data":[{"id":..}]}`).
pub fn parse_model_ids(bytes: &[u8]) -> Result<Vec<String>, ProviderError> {
    #[derive(Deserialize)]
    struct List {
        data: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        id: String,
    }
    let list: List = serde_json::from_slice(bytes)
        .map_err(|e| ProviderError(format!("model list is not `{{\"data\":[...]}}`: {e}")))?;
    Ok(list.data.into_iter().map(|e| e.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn target<'a>(key: Option<&'a str>) -> Target<'a> {
        Target {
            base_url: "https://api.example/v1/",
            model: Some("gpt-4o-mini"),
            api_key: key,
            api_version: None,
        }
    }

    #[test]
    fn fills_model_and_stream_flags() {
        let body: ChatBody =
            serde_json::from_str(r#"{"messages":[{"role":"user","content":"hi"}],"stream":true,"top_k":3}"#)
                .unwrap();
        let p = prepare(&body, &target(Some("sk-1")), false, false).unwrap();
        assert_eq!(p.spec.url, "https://api.example/v1/chat/completions");
        let sent: Value = serde_json::from_slice(&p.spec.body).unwrap();
        assert_eq!(sent["model"], "gpt-4o-mini");
        assert_eq!(sent.get("stream"), None);
        assert_eq!(sent["top_k"], 3, "unknown fields pass through");
        assert!(p.spec.headers.contains(&("authorization", "Bearer sk-1".to_string())));

        let p = prepare(&body, &target(None), true, false).unwrap();
        let sent: Value = serde_json::from_slice(&p.spec.body).unwrap();
        assert_eq!(sent["stream"], true);
        assert_eq!(sent["stream_options"]["include_usage"], true);
        assert!(!p.spec.headers.iter().any(|(k, _)| *k == "authorization"));
    }

    #[test]
    fn callers_stream_options_win() {
        let body: ChatBody =
            serde_json::from_str(r#"{"model":"x","messages":[],"stream_options":{"include_usage":false}}"#)
                .unwrap();
        let p = prepare(&body, &target(None), true, false).unwrap();
        let sent: Value = serde_json::from_slice(&p.spec.body).unwrap();
        assert_eq!(sent["stream_options"]["include_usage"], false);
        assert_eq!(sent["model"], "x");
    }

    #[test]
    fn azure_uses_deployment_urls_and_api_key() {
        let t = Target {
            base_url: "https://r.openai.azure.com",
            model: Some("dep1"),
            api_key: Some("k"),
            api_version: Some("2025-01-01"),
        };
        let p = prepare(&ChatBody::default(), &t, false, true).unwrap();
        assert_eq!(
            p.spec.url,
            "https://r.openai.azure.com/openai/deployments/dep1/chat/completions?api-version=2025-01-01"
        );
        assert!(p.spec.headers.contains(&("api-key", "k".to_string())));
        let m = models_request(&t, true);
        assert!(m.url.ends_with("/openai/models?api-version=2025-01-01"), "{}", m.url);
    }

    #[test]
    fn missing_model_is_a_clear_error() {
        let t = Target { model: None, ..target(None) };
        let err = prepare(&ChatBody::default(), &t, false, false).unwrap_err();
        assert!(err.0.contains("--model"));
    }

    #[test]
    fn stream_events_decode() {
        assert_eq!(decode_event("[DONE]").unwrap(), StreamItem::Done);
        match decode_event(r#"{"id":"a","choices":[{"index":0,"delta":{"content":"x"}}]}"#).unwrap() {
            StreamItem::Chunk(c) => assert_eq!(c.text(), Some("x")),
            other => panic!("{other:?}"),
        }
        match decode_event(r#"{"error":{"message":"Overloaded, try later"}}"#).unwrap() {
            StreamItem::Error { message, overloaded } => {
                assert!(overloaded);
                assert!(message.contains("Overloaded"));
            }
            other => panic!("{other:?}"),
        }
        assert!(decode_event("{nope").is_err());
    }

    #[test]
    fn model_lists_parse() {
        let ids =
            parse_model_ids(br#"{"object":"list","data":[{"id":"a","object":"model"},{"id":"b"}]}"#).unwrap();
        assert_eq!(ids, ["a", "b"]);
    }
}
