//! Error bodies and small response helpers shared by the OpenAI and Anthropic routes.
//!
//! Clients branch on the exact error shape (the OpenAI SDK reads `error.type`/`error.code`, the
//! Anthropic SDK reads `error.type` under a top-level `"type": "error"`), so one [`ApiError`]
//! value is rendered in the dialect of the route that produced it.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;

/// Which API dialect a route speaks: decides error shapes and rate-limit header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
}

/// An error answer, independent of dialect.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The request field at fault (OpenAI `param`; Anthropic puts it in the message).
    pub param: Option<String>,
    /// OpenAI `code` (e.g. `invalid_api_key`, `rate_limit_exceeded`).
    pub code: Option<&'static str>,
    /// OpenAI `type` (e.g. `invalid_request_error`, `requests`, `server_error`).
    pub openai_type: &'static str,
}

impl ApiError {
    /// A 400 naming the field at fault.
    pub fn invalid(message: impl Into<String>, param: Option<String>, code: Option<&'static str>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            param,
            code,
            openai_type: "invalid_request_error",
        }
    }

    /// The JSON body could not be parsed at all (OpenAI's own wording, minus the hint).
    pub fn unparsable_json(detail: &str) -> Self {
        ApiError::invalid(
            format!(
                "We could not parse the JSON body of your request. The API expects a JSON payload, but \
                 what was sent was not valid JSON: {detail}"
            ),
            None,
            None,
        )
    }

    /// 401: no key, or the wrong one. The message never repeats the key.
    pub fn unauthorized(missing: bool) -> Self {
        let message = if missing {
            "You didn't provide an API key. Provide it in the Authorization header (Bearer auth), \
             x-api-key or api-key."
        } else {
            "Incorrect API key provided."
        };
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: message.to_string(),
            param: None,
            code: Some("invalid_api_key"),
            openai_type: "invalid_request_error",
        }
    }

    /// 500: the mock itself failed (an answer it could not encode, a poisoned lock, a
    /// recording it cannot read).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            param: None,
            code: None,
            openai_type: "server_error",
        }
    }

    pub fn not_found(method: &str, path: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!("Invalid URL ({method} {path})"),
            param: None,
            code: None,
            openai_type: "invalid_request_error",
        }
    }

    pub fn too_large(limit: usize) -> Self {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("Request body too large: the limit is {limit} bytes."),
            param: None,
            code: None,
            openai_type: "invalid_request_error",
        }
    }

    /// A refused request of the rate-limit emulation; `bucket` is `requests` or `tokens`,
    /// which is also OpenAI's `type` for these errors.
    pub fn rate_limited(bucket: &'static str, message: String) -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message,
            param: None,
            code: Some("rate_limit_exceeded"),
            openai_type: bucket,
        }
    }

    /// An injected failure with `status` (see `faults`), worded like the real services.
    pub fn injected(status: StatusCode) -> Self {
        let (message, openai_type, code) = match status.as_u16() {
            429 => ("Rate limit reached (injected by the mock).", "requests", Some("rate_limit_exceeded")),
            500 => (
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
            ),
            502 => ("Bad gateway.", "server_error", None),
            503 => ("The engine is currently overloaded, please try again later.", "server_error", None),
            504 => ("Gateway timeout.", "server_error", None),
            529 => ("Overloaded.", "server_error", None),
            s if s >= 500 => ("The server had an error (injected by the mock).", "server_error", None),
            _ => ("The request was rejected (injected by the mock).", "invalid_request_error", None),
        };
        ApiError { status, message: message.to_string(), param: None, code, openai_type }
    }

    /// The Anthropic error `type` for this status.
    pub(crate) fn anthropic_type(&self) -> &'static str {
        match self.status.as_u16() {
            400 | 422 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            504 => "timeout_error",
            529 => "overloaded_error",
            _ => "api_error",
        }
    }

    /// The message in Anthropic's style, which names the field in it (`field.0.sub: ...`).
    pub(crate) fn anthropic_message(&self) -> String {
        match &self.param {
            Some(p) if !self.message.starts_with(p.as_str()) => format!("{p}: {}", self.message),
            _ => self.message.clone(),
        }
    }

    /// The error as a response in `api`'s dialect.
    pub fn response(&self, api: Api) -> Response {
        let body = match api {
            Api::OpenAi => serde_json::to_vec(&OpenAiErrorBody {
                error: OpenAiError {
                    message: &self.message,
                    kind: self.openai_type,
                    param: self.param.as_deref(),
                    code: self.code,
                },
            }),
            Api::Anthropic => {
                let message = self.anthropic_message();
                serde_json::to_vec(&AnthropicErrorBody {
                    kind: "error",
                    error: AnthropicError { kind: self.anthropic_type(), message: &message },
                })
            }
        };
        // Serializing these plain structs cannot fail; an empty body is the harmless fallback.
        json_response(self.status, body.unwrap_or_default())
    }
}

#[derive(Serialize)]
struct OpenAiErrorBody<'a> {
    error: OpenAiError<'a>,
}

#[derive(Serialize)]
struct OpenAiError<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

#[derive(Serialize)]
struct AnthropicErrorBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    error: AnthropicError<'a>,
}

#[derive(Serialize)]
struct AnthropicError<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    message: &'a str,
}

/// A JSON response with a known length.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A 200 JSON answer of `value`, or a 500 in `api`'s error shape if it cannot be encoded.
pub fn ok_json<T: Serialize>(value: &T, api: Api) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => ApiError::internal(format!("mock could not encode its answer: {e}")).response(api),
    }
}

/// Serialize into a buffer sized for the expected output (no regrowth on the hot path).
pub fn to_json<T: Serialize>(value: &T, expected_len: usize) -> serde_json::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(expected_len);
    serde_json::to_writer(&mut buf, value)?;
    Ok(buf)
}

/// Seconds since the Unix epoch, for `created` fields.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_json(resp: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn openai_errors_have_the_four_fields() {
        let err = ApiError::invalid("bad", Some("messages[0].role".into()), Some("invalid_value"));
        let resp = err.response(Api::OpenAi);
        assert_eq!(resp.status(), 400);
        let v = body_json(resp).await;
        assert_eq!(
            v,
            serde_json::json!({"error": {"message": "bad", "type": "invalid_request_error",
                "param": "messages[0].role", "code": "invalid_value"}})
        );
    }

    #[tokio::test]
    async fn anthropic_errors_are_typed_by_status_and_name_the_field() {
        let err = ApiError::invalid("Field required", Some("max_tokens".into()), None);
        let v = body_json(err.response(Api::Anthropic)).await;
        assert_eq!(
            v,
            serde_json::json!({"type": "error", "error": {"type": "invalid_request_error",
                "message": "max_tokens: Field required"}})
        );
        let v =
            body_json(ApiError::injected(StatusCode::from_u16(529).unwrap()).response(Api::Anthropic)).await;
        assert_eq!(v["error"]["type"], "overloaded_error");
        let v =
            body_json(ApiError::rate_limited("requests", "slow down".into()).response(Api::Anthropic)).await;
        assert_eq!(v["error"]["type"], "rate_limit_error");
    }

    #[tokio::test]
    async fn rate_limit_errors_look_like_openai() {
        let v = body_json(ApiError::rate_limited("tokens", "limit".into()).response(Api::OpenAi)).await;
        assert_eq!(v["error"]["type"], "tokens");
        assert_eq!(v["error"]["code"], "rate_limit_exceeded");
        assert!(v["error"]["param"].is_null());
    }
}
