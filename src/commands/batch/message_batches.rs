//! Anthropic's Message Batches API as `llmkit batch --remote` uses it when the profile's
//! provider is `anthropic`: typed bodies, the translation of each input line into the Messages
//! API params the engine would send, the splitter that keeps every batch under the API's
//! limits, and the conversion of each result back into the OpenAI Batch API output line that
//! local runs and OpenAI remote runs write, so `-o`/`--errors` look the same whoever ran the
//! job. Pure: no I/O here; `remote` sends what this builds.
//!
//! The API in short: `POST /v1/messages/batches` with `{"requests": [{custom_id, params}]}`
//! (at most 100,000 requests and 256 MB per batch; `custom_id` matches
//! `^[a-zA-Z0-9_-]{1,64}$`), `GET /v1/messages/batches/{id}` (`processing_status` is
//! `in_progress`, `canceling` or `ended`; `request_counts` has `processing`, `succeeded`,
//! `errored`, `canceled`, `expired`), the JSONL at `results_url` once ended (one
//! `{custom_id, result: {type: succeeded|errored|canceled|expired, message|error}}` per
//! request, in any order), and `POST /v1/messages/batches/{id}/cancel`.

use serde::{Deserialize, Serialize};

use super::batch_api::Chunk;
use super::input::Request;
use super::output::{ErrorPart, OutputLine, ResponsePart};
use crate::provider::anthropic::{translate_request, translate_response, MessagesRequest, MessagesResponse};
use crate::provider::ChatBody;
use crate::usage::Usage;

/// Most requests Anthropic accepts in one Message Batch.
pub const MAX_REQUESTS_PER_BATCH: usize = 100_000;
/// Largest Message Batch create request Anthropic accepts (256 MB).
pub const MAX_BYTES_PER_BATCH: usize = 256 * 1000 * 1000;
/// The collection path, from the API root.
pub const BATCHES_PATH: &str = "/v1/messages/batches";

/// The error code of output lines for requests a cancel stopped before they ran.
pub const CANCELED_CODE: &str = "batch_cancelled";

/// `{"requests":[` + `]}`: what a create body adds around the items.
const ENVELOPE_BYTES: usize = r#"{"requests":[]}"#.len();

/// The Messages API params of one input line, exactly as the engine's Anthropic provider
/// would build them (system field, required max_tokens, stop_sequences, tools...), with the
/// provider's notes on what it filled in or dropped (shown with `-v`, as for chat requests).
/// `Err` is the reason the line cannot go into a Message Batch, for the errors file.
pub fn params_for(req: &Request) -> Result<(MessagesRequest, Vec<String>), String> {
    if !valid_custom_id(&req.custom_id) {
        return Err(format!(
            "custom_id `{}` cannot be sent to Anthropic's Message Batches API, which allows 1-64 \
             letters, digits, `_` and `-`",
            req.custom_id
        ));
    }
    let body: ChatBody = serde_json::from_value(req.body.clone()).map_err(|e| format!("body: {e}"))?;
    if body.model.is_empty() {
        return Err("no model: set --model, LLMKIT_MODEL or the profile's `model`".into());
    }
    translate_request(&body, &body.model, false).map_err(|e| e.0)
}

/// Anthropic's `custom_id` rule: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Serialize)]
struct Item<'a> {
    custom_id: &'a str,
    params: &'a MessagesRequest,
}

/// Cuts the request stream into batches of at most `max_requests` requests and `max_bytes`
/// bytes of create body. A chunk's `bytes` are the serialized items joined by commas; wrap
/// them with [`create_body`].
#[derive(Debug)]
pub struct Splitter {
    max_requests: usize,
    max_bytes: usize,
    current: Chunk,
    item: Vec<u8>,
}

impl Splitter {
    pub fn new(max_requests: usize, max_bytes: usize) -> Self {
        Splitter { max_requests: max_requests.max(1), max_bytes, current: Chunk::default(), item: Vec::new() }
    }

    /// Add a request; returns the previous chunk when this one did not fit in it. A single
    /// request too large for a batch on its own is an error (the API would refuse it).
    pub fn push(&mut self, req: &Request, params: &MessagesRequest) -> anyhow::Result<Option<Chunk>> {
        self.item.clear();
        serde_json::to_writer(&mut self.item, &Item { custom_id: &req.custom_id, params })?;
        if self.item.len() + ENVELOPE_BYTES > self.max_bytes {
            anyhow::bail!(
                "line {} (custom_id `{}`) is {} bytes, over the {}-byte limit of a Message Batch",
                req.line,
                req.custom_id,
                self.item.len(),
                self.max_bytes
            );
        }
        // One comma per item after the first.
        let size_with = ENVELOPE_BYTES + self.current.bytes.len() + 1 + self.item.len();
        let full = self.current.requests >= self.max_requests || size_with > self.max_bytes;
        let done =
            if full && self.current.requests > 0 { Some(std::mem::take(&mut self.current)) } else { None };
        if self.current.requests == 0 {
            self.current.first_line = req.line;
        } else {
            self.current.bytes.push(b',');
        }
        self.current.bytes.extend_from_slice(&self.item);
        self.current.requests += 1;
        self.current.last_line = req.line;
        Ok(done)
    }

    /// The last, partial chunk (if any request is left).
    pub fn finish(self) -> Option<Chunk> {
        (self.current.requests > 0).then_some(self.current)
    }
}

/// The `POST /v1/messages/batches` body of a chunk.
pub fn create_body(chunk: &Chunk) -> Vec<u8> {
    let mut body = Vec::with_capacity(chunk.bytes.len() + ENVELOPE_BYTES);
    body.extend_from_slice(br#"{"requests":["#);
    body.extend_from_slice(&chunk.bytes);
    body.extend_from_slice(b"]}");
    body
}

/// A Message Batch object, the fields llmkit reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MessageBatch {
    pub id: String,
    pub processing_status: ProcessingStatus,
    #[serde(default)]
    pub request_counts: RequestCounts,
    #[serde(default)]
    pub results_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStatus {
    InProgress,
    Canceling,
    Ended,
    /// A status this build does not know; treated as still running.
    #[serde(other)]
    Unknown,
}

impl ProcessingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingStatus::InProgress => "in_progress",
            ProcessingStatus::Canceling => "canceling",
            ProcessingStatus::Ended => "ended",
            ProcessingStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct RequestCounts {
    #[serde(default)]
    pub processing: u64,
    #[serde(default)]
    pub succeeded: u64,
    #[serde(default)]
    pub errored: u64,
    #[serde(default)]
    pub canceled: u64,
    #[serde(default)]
    pub expired: u64,
}

impl RequestCounts {
    pub fn total(&self) -> u64 {
        self.processing + self.finished()
    }

    /// Requests whose result is known.
    pub fn finished(&self) -> u64 {
        self.succeeded + self.errored + self.canceled + self.expired
    }
}

impl MessageBatch {
    /// The path (from the API root) of the results: `results_url`'s path, so the key is only
    /// ever sent to the configured endpoint. `None` until the batch has ended.
    pub fn results_path(&self) -> Option<String> {
        let url = self.results_url.as_deref()?;
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => url,
        };
        Some(if path.starts_with('/') { path.to_string() } else { format!("/{path}") })
    }
}

/// One line of a results file.
#[derive(Debug, Deserialize)]
pub struct ResultEntry {
    pub custom_id: String,
    pub result: BatchResult,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BatchResult {
    Succeeded {
        message: MessagesResponse,
    },
    Errored {
        #[serde(default)]
        error: Option<ErrorResponse>,
    },
    Canceled,
    Expired,
    /// A result type this build does not know: recorded as a failure.
    #[serde(other)]
    Unknown,
}

/// `{"type":"error","error":{"type","message"}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
}

/// The HTTP status an Anthropic error type stands for (what the same request would have got
/// from `/v1/messages`).
pub fn status_of(error_type: &str) -> u16 {
    match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorBodyDetail<'a>,
}

#[derive(Serialize)]
struct ErrorBodyDetail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// A result as an output line: successes carry the canonical chat completion (as a local run
/// with an Anthropic profile writes it) and are priced from its usage; everything else goes to
/// the errors file. Ids start with `batch_req_` so `cost report` prices them at batch rates.
#[derive(Debug)]
pub struct Converted {
    pub line: OutputLine,
    /// Model and normalized usage of a success.
    pub usage: Option<(String, Usage)>,
}

/// Convert one result of batch `batch_id`; `n` numbers results within the batch (ids of
/// lines whose message has no id); `created` (Unix seconds) dates a success's completion, since
/// Anthropic messages carry no timestamp (the time the results were read is the best bound).
pub fn convert(batch_id: &str, n: u64, created: u64, entry: ResultEntry) -> anyhow::Result<Converted> {
    let ResultEntry { custom_id, result } = entry;
    let fallback_id = || format!("batch_req_{batch_id}_{n}");
    let failed = |code: &str, message: &str| OutputLine {
        id: fallback_id(),
        custom_id: Some(custom_id.clone()),
        response: None,
        error: Some(ErrorPart { code: code.to_string(), message: message.to_string() }),
        line: None,
    };
    Ok(match result {
        BatchResult::Succeeded { message } => {
            let message_id = message.id.clone();
            let mut chat = translate_response(message);
            chat.created = created;
            let usage = chat.usage.as_ref().map(|u| (chat.model.clone(), u.to_usage()));
            let id = if message_id.is_empty() { fallback_id() } else { format!("batch_req_{message_id}") };
            Converted {
                line: OutputLine {
                    id,
                    custom_id: Some(custom_id.clone()),
                    response: Some(ResponsePart {
                        status_code: 200,
                        request_id: message_id,
                        body: serde_json::to_value(&chat)?,
                    }),
                    error: None,
                    line: None,
                },
                usage,
            }
        }
        BatchResult::Errored { error } => {
            let detail = error.and_then(|e| e.error);
            let (kind, message) = match &detail {
                Some(d) => (d.kind.as_str(), d.message.as_str()),
                None => ("api_error", "errored, with no error detail"),
            };
            let body = ErrorBody { error: ErrorBodyDetail { message, kind } };
            Converted {
                line: OutputLine {
                    id: fallback_id(),
                    custom_id: Some(custom_id.clone()),
                    response: Some(ResponsePart {
                        status_code: status_of(kind),
                        request_id: String::new(),
                        body: serde_json::to_value(&body)?,
                    }),
                    error: None,
                    line: None,
                },
                usage: None,
            }
        }
        BatchResult::Canceled => Converted {
            line: failed(CANCELED_CODE, "The batch was canceled before this request ran."),
            usage: None,
        },
        BatchResult::Expired => Converted {
            line: failed("batch_expired", "The batch expired (24 hours) before this request ran."),
            usage: None,
        },
        BatchResult::Unknown => Converted {
            line: failed("batch_unknown_result", "The result type is not known to llmkit."),
            usage: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn req(i: u64, body: Value) -> Request {
        Request { line: i, custom_id: format!("r{i}"), body }
    }

    fn chat(text: &str) -> Value {
        json!({"model":"claude-3-5-haiku-latest","messages":[
            {"role":"system","content":"Be brief."},{"role":"user","content":text}],"stop":"END"})
    }

    #[test]
    fn params_are_what_the_engine_sends() {
        let (p, notes) = params_for(&req(1, chat("hi"))).unwrap();
        assert!(notes[0].contains("max_tokens"), "{notes:?}");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["system"], "Be brief.");
        assert_eq!(v["max_tokens"], crate::provider::anthropic::DEFAULT_MAX_TOKENS);
        assert_eq!(v["stop_sequences"], json!(["END"]));
        assert_eq!(v["messages"][0]["role"], "user");
        assert!(v.get("stream").is_none());

        let bad = params_for(&req(
            2,
            json!({"model":"c","messages":[{"role":"user","content":"x"}],
            "response_format":{"type":"json_object"}}),
        ));
        assert!(bad.unwrap_err().contains("response_format"));
        let mut r = req(3, chat("x"));
        r.custom_id = "has space".into();
        assert!(params_for(&r).unwrap_err().contains("custom_id"));
        assert!(valid_custom_id("line-12_A") && !valid_custom_id("") && !valid_custom_id(&"a".repeat(65)));
    }

    #[test]
    fn splitter_respects_request_and_byte_limits() {
        let mut s = Splitter::new(2, usize::MAX);
        let mut chunks = Vec::new();
        for i in 1..=5 {
            let r = req(i, chat("hello"));
            if let Some(c) = s.push(&r, &params_for(&r).unwrap().0).unwrap() {
                chunks.push(c);
            }
        }
        chunks.extend(s.finish());
        assert_eq!(chunks.iter().map(|c| c.requests).collect::<Vec<_>>(), [2, 2, 1]);
        let body: Value = serde_json::from_slice(&create_body(&chunks[1])).unwrap();
        assert_eq!(body["requests"][0]["custom_id"], "r3");
        assert_eq!(body["requests"][1]["params"]["messages"][0]["content"][0]["text"], "hello");

        let one = {
            let r = req(1, chat("x"));
            let mut s = Splitter::new(10, usize::MAX);
            s.push(&r, &params_for(&r).unwrap().0).unwrap();
            create_body(&s.finish().unwrap()).len()
        };
        // Two items fit (one comma), a third does not.
        let limit = 2 * one - ENVELOPE_BYTES + 1;
        let mut s = Splitter::new(10, limit);
        let mut sizes = Vec::new();
        for i in 1..=3 {
            let r = req(i, chat("x"));
            if let Some(c) = s.push(&r, &params_for(&r).unwrap().0).unwrap() {
                assert!(create_body(&c).len() <= limit);
                sizes.push(c.requests);
            }
        }
        assert_eq!(sizes, [2]);
        let r = req(1, chat("x"));
        assert!(Splitter::new(10, 20).push(&r, &params_for(&r).unwrap().0).is_err());
    }

    #[test]
    fn batch_objects_and_results_urls() {
        let b: MessageBatch = serde_json::from_value(json!({
            "id":"msgbatch_1","type":"message_batch","processing_status":"ended",
            "request_counts":{"processing":0,"succeeded":3,"errored":1,"canceled":1,"expired":0},
            "results_url":"https://api.anthropic.com/v1/messages/batches/msgbatch_1/results",
            "created_at":"2024-08-20T18:37:24.100435Z"
        }))
        .unwrap();
        assert_eq!(b.processing_status, ProcessingStatus::Ended);
        assert_eq!((b.request_counts.total(), b.request_counts.finished()), (5, 5));
        assert_eq!(b.results_path().as_deref(), Some("/v1/messages/batches/msgbatch_1/results"));
        let b: MessageBatch =
            serde_json::from_value(json!({"id":"x","processing_status":"paused","results_url":null}))
                .unwrap();
        assert_eq!(b.processing_status, ProcessingStatus::Unknown);
        assert_eq!(b.results_path(), None);
    }

    #[test]
    fn results_become_output_lines() {
        let ok: ResultEntry = serde_json::from_value(json!({"custom_id":"a","result":{"type":"succeeded",
            "message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-latest",
            "content":[{"type":"text","text":"Hi."}],"stop_reason":"end_turn","stop_sequence":null,
            "usage":{"input_tokens":10,"cache_read_input_tokens":4,"output_tokens":3}}}}))
        .unwrap();
        let c = convert("msgbatch_1", 0, 1_700_000_000, ok).unwrap();
        assert!(c.line.is_success());
        assert_eq!(c.line.id, "batch_req_msg_1");
        let body = &c.line.response.as_ref().unwrap().body;
        assert_eq!(body["choices"][0]["message"]["content"], "Hi.");
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert_eq!(body["created"], 1_700_000_000);
        let (model, u) = c.usage.unwrap();
        assert_eq!(model, "claude-3-5-haiku-latest");
        assert_eq!((u.input_tokens, u.cached_tokens, u.output_tokens), (14, 4, 3));

        let err: ResultEntry = serde_json::from_value(json!({"custom_id":"b","result":{"type":"errored",
            "error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}}}))
        .unwrap();
        let c = convert("msgbatch_1", 1, 0, err).unwrap();
        assert!(!c.line.is_success());
        let resp = c.line.response.unwrap();
        assert_eq!(resp.status_code, 400);
        assert_eq!(resp.body["error"]["message"], "max_tokens: Field required");
        assert_eq!(c.line.id, "batch_req_msgbatch_1_1");

        for (kind, code) in [("canceled", "batch_cancelled"), ("expired", "batch_expired")] {
            let e: ResultEntry =
                serde_json::from_value(json!({"custom_id":"c","result":{"type":kind}})).unwrap();
            let c = convert("m", 2, 0, e).unwrap();
            assert_eq!(c.line.error.unwrap().code, code);
            assert!(c.line.response.is_none());
        }
        assert_eq!(status_of("overloaded_error"), 529);
        assert_eq!(status_of("something_new"), 500);
    }
}
