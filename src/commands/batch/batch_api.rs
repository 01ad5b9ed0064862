//! The OpenAI Files + Batches API as `llmkit batch --remote` uses it: typed request and
//! response bodies, the multipart upload body, and the splitter that keeps every uploaded file
//! under the provider's limits. Pure: no I/O here; `remote` sends what this builds.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::input::{Request, CHAT_URL};

/// Most requests OpenAI accepts in one batch input file.
pub const MAX_REQUESTS_PER_FILE: usize = 50_000;
/// Largest batch input file OpenAI accepts (200 MB).
pub const MAX_BYTES_PER_FILE: usize = 200 * 1000 * 1000;

/// A file object (`/v1/files`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FileObject {
    pub id: String,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub purpose: String,
}

/// `POST /v1/batches` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateBatch<'a> {
    pub input_file_id: &'a str,
    pub endpoint: &'a str,
    pub completion_window: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<std::collections::BTreeMap<String, String>>,
}

/// A batch object (`/v1/batches/{id}`), the fields llmkit reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchObject {
    pub id: String,
    pub status: BatchStatus,
    #[serde(default)]
    pub input_file_id: Option<String>,
    #[serde(default)]
    pub output_file_id: Option<String>,
    #[serde(default)]
    pub error_file_id: Option<String>,
    #[serde(default)]
    pub request_counts: Option<RequestCounts>,
    #[serde(default)]
    pub errors: Option<BatchErrors>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct RequestCounts {
    pub total: u64,
    pub completed: u64,
    pub failed: u64,
}

/// Why a batch failed validation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchErrors {
    #[serde(default)]
    pub data: Vec<BatchError>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub line: Option<u64>,
}

/// The lifecycle of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Validating,
    Failed,
    InProgress,
    Finalizing,
    Completed,
    Expired,
    Cancelling,
    Cancelled,
    /// A status this build does not know; treated as still running.
    #[serde(other)]
    Unknown,
}

impl BatchStatus {
    /// No further change will happen: results (if any) can be downloaded.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BatchStatus::Failed | BatchStatus::Completed | BatchStatus::Expired | BatchStatus::Cancelled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Validating => "validating",
            BatchStatus::Failed => "failed",
            BatchStatus::InProgress => "in_progress",
            BatchStatus::Finalizing => "finalizing",
            BatchStatus::Completed => "completed",
            BatchStatus::Expired => "expired",
            BatchStatus::Cancelling => "cancelling",
            BatchStatus::Cancelled => "cancelled",
            BatchStatus::Unknown => "unknown",
        }
    }
}

/// One line of an uploaded batch input file.
#[derive(Debug, Serialize)]
struct InputLine<'a> {
    custom_id: &'a str,
    method: &'static str,
    url: &'static str,
    body: &'a Value,
}

/// One uploaded file's worth of requests.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Chunk {
    /// Batch API input lines, newline-terminated.
    pub bytes: Vec<u8>,
    pub requests: usize,
    /// Input line numbers covered (first and last).
    pub first_line: u64,
    pub last_line: u64,
}

/// Cuts the request stream into files of at most `max_requests` requests and `max_bytes`
/// bytes. Push requests in input order; a full chunk comes back from `push`.
#[derive(Debug)]
pub struct Splitter {
    max_requests: usize,
    max_bytes: usize,
    current: Chunk,
    line: Vec<u8>,
}

impl Splitter {
    pub fn new(max_requests: usize, max_bytes: usize) -> Self {
        Splitter { max_requests: max_requests.max(1), max_bytes, current: Chunk::default(), line: Vec::new() }
    }

    /// Add a request; returns the previous chunk when this one did not fit in it. A single
    /// request larger than `max_bytes` is an error (the provider would refuse the file).
    pub fn push(&mut self, req: &Request) -> anyhow::Result<Option<Chunk>> {
        self.line.clear();
        let line = InputLine { custom_id: &req.custom_id, method: "POST", url: CHAT_URL, body: &req.body };
        serde_json::to_writer(&mut self.line, &line)?;
        self.line.push(b'\n');
        if self.line.len() > self.max_bytes {
            anyhow::bail!(
                "line {} (custom_id `{}`) is {} bytes, over the {}-byte file limit of the Batch API",
                req.line,
                req.custom_id,
                self.line.len(),
                self.max_bytes
            );
        }
        let full = self.current.requests >= self.max_requests
            || self.current.bytes.len() + self.line.len() > self.max_bytes;
        let done =
            if full && self.current.requests > 0 { Some(std::mem::take(&mut self.current)) } else { None };
        if self.current.requests == 0 {
            self.current.first_line = req.line;
        }
        self.current.bytes.extend_from_slice(&self.line);
        self.current.requests += 1;
        self.current.last_line = req.line;
        Ok(done)
    }

    /// The last, partial chunk (if any request is left).
    pub fn finish(self) -> Option<Chunk> {
        (self.current.requests > 0).then_some(self.current)
    }
}

/// A `multipart/form-data` body for `POST /v1/files` (`purpose=batch`, `file=@name`).
/// Returns (content type, body).
pub fn multipart_upload(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    // The boundary must not occur in the content; JSONL never contains this run of dashes
    // followed by our marker, and we check anyway.
    let mut boundary = String::from("----llmkit-batch-boundary-7MA4YWxkTrZu0gW");
    while memchr::memmem::find(content, boundary.as_bytes()).is_some() {
        boundary.push('x');
    }
    let mut body = Vec::with_capacity(content.len() + 512);
    let safe_name = filename.replace(['"', '\r', '\n'], "_");
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(b"Content-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n");
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\n").as_bytes(),
    );
    body.extend_from_slice(b"Content-Type: application/jsonl\r\n\r\n");
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Just enough of a downloaded output line to count it and price it.
#[derive(Debug, Deserialize)]
pub struct ResultLine {
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub response: Option<ResultResponse>,
    #[serde(default)]
    pub error: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
pub struct ResultResponse {
    pub status_code: u16,
    #[serde(default)]
    pub body: Option<ResultBody>,
}

#[derive(Debug, Deserialize)]
pub struct ResultBody {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub usage: Option<ResultUsage>,
}

/// OpenAI usage, as a chat completion reports it.
#[derive(Debug, Default, Deserialize)]
pub struct ResultUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PromptDetails {
    #[serde(default)]
    pub cached_tokens: u64,
}

#[derive(Debug, Default, Deserialize)]
pub struct CompletionDetails {
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl ResultUsage {
    pub fn to_usage(&self) -> crate::usage::Usage {
        crate::usage::Usage {
            input_tokens: self.prompt_tokens,
            cached_tokens: self.prompt_tokens_details.as_ref().map_or(0, |d| d.cached_tokens),
            cache_write_tokens: 0,
            output_tokens: self.completion_tokens,
            reasoning_tokens: self.completion_tokens_details.as_ref().map_or(0, |d| d.reasoning_tokens),
        }
    }
}

impl ResultLine {
    pub fn is_success(&self) -> bool {
        self.error.is_none() && self.response.as_ref().is_some_and(|r| (200..300).contains(&r.status_code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(i: u64, text: &str) -> Request {
        Request {
            line: i,
            custom_id: format!("r{i}"),
            body: json!({"model":"m","messages":[{"role":"user","content":text}]}),
        }
    }

    #[test]
    fn splitter_respects_request_and_byte_limits() {
        let mut s = Splitter::new(3, 10_000);
        let mut chunks = Vec::new();
        for i in 1..=7 {
            if let Some(c) = s.push(&req(i, "hi")).unwrap() {
                chunks.push(c);
            }
        }
        chunks.extend(s.finish());
        let sizes: Vec<usize> = chunks.iter().map(|c| c.requests).collect();
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!((chunks[1].first_line, chunks[1].last_line), (4, 6));
        let line: Value =
            serde_json::from_slice(chunks[0].bytes.split(|b| *b == b'\n').next().unwrap()).unwrap();
        assert_eq!(line["url"], "/v1/chat/completions");
        assert_eq!(line["method"], "POST");
        assert_eq!(line["custom_id"], "r1");

        let one_line = {
            let mut s = Splitter::new(100, usize::MAX);
            s.push(&req(1, "x")).unwrap();
            s.finish().unwrap().bytes.len()
        };
        let mut s = Splitter::new(100, one_line * 2 + 1);
        let mut n = 0;
        for i in 1..=5 {
            if let Some(c) = s.push(&req(i, "x")).unwrap() {
                assert!(c.bytes.len() <= one_line * 2 + 1);
                n += 1;
            }
        }
        assert_eq!(n, 2);
        assert!(Splitter::new(10, 20).push(&req(1, "a long prompt that does not fit")).is_err());
    }

    #[test]
    fn multipart_body_has_both_parts() {
        let (ct, body) = multipart_upload("part-1.jsonl", b"{\"a\":1}\n");
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"purpose\"\r\n\r\nbatch\r\n"));
        assert!(text.contains("filename=\"part-1.jsonl\""));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    }

    #[test]
    fn batch_objects_parse_with_unknown_statuses() {
        let b: BatchObject = serde_json::from_value(json!({
            "id":"batch_1","object":"batch","status":"in_progress","input_file_id":"file-1",
            "request_counts":{"total":10,"completed":4,"failed":1},"metadata":null
        }))
        .unwrap();
        assert_eq!(b.status, BatchStatus::InProgress);
        assert!(!b.status.is_terminal());
        assert_eq!(b.request_counts.unwrap().completed, 4);
        let b: BatchObject = serde_json::from_value(json!({"id":"b","status":"paused"})).unwrap();
        assert_eq!(b.status, BatchStatus::Unknown);
    }

    #[test]
    fn result_lines_give_usage() {
        let l: ResultLine = serde_json::from_value(json!({
            "id":"batch_req_1","custom_id":"a","response":{"status_code":200,"request_id":"r","body":{
                "model":"gpt-4o-mini","usage":{"prompt_tokens":10,"completion_tokens":3,
                "prompt_tokens_details":{"cached_tokens":4}}}},"error":null
        }))
        .unwrap();
        assert!(l.is_success());
        let u = l.response.unwrap().body.unwrap().usage.unwrap().to_usage();
        assert_eq!((u.input_tokens, u.cached_tokens, u.output_tokens), (10, 4, 3));
    }
}
