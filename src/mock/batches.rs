//! OpenAI Batch API emulation: `/v1/files` and `/v1/batches`, so `llmkit batch --remote` (and
//! any Batch API client) can be tested end to end with no network.
//!
//! A batch goes through the real lifecycle: `validating` (the input file is checked line by
//! line; any bad line fails the whole batch with `errors`, as OpenAI does), `in_progress` (each
//! request is answered by the same chat logic as `/v1/chat/completions`: same text, same token
//! counts, same injected faults), `finalizing`, then `completed` with an output file (successes)
//! and an error file (failed requests). `cancel` moves it to `cancelling` then `cancelled`,
//! keeping what was done. The pace follows the latency knobs: validating and finalizing take
//! one `--ttft` each, every request takes as long as its non-streamed answer would; with the
//! default zero latency a batch finishes as soon as it is created, which keeps tests fast.
//!
//! Rate limits (`--rpm`/`--tpm`) do not apply: the real Batch API has its own queue limits.
//! Faults do: a drawn status becomes an error-file line with that status, and `drop`, `cut` and
//! `hang` (connection faults have no meaning inside a batch) become a 500.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::faults::FailKind;
use super::openai::Chat;
use super::reply::{self, Rng};
use super::wire::{ok_json, unix_now, Api, ApiError};
use super::{lock, page, Cancel, MockState};

/// Largest uploaded file (OpenAI's batch input limit).
pub const MAX_FILE_BYTES: usize = 200 * 1000 * 1000;
/// Most requests in one batch input file (OpenAI's limit).
pub const MAX_REQUESTS: usize = 50_000;
/// The one endpoint batches may target here.
pub const CHAT_ENDPOINT: &str = "/v1/chat/completions";

pub(crate) fn routes() -> Router<Arc<MockState>> {
    let store = Arc::new(Store::default());
    Router::new()
        .route("/v1/files", post(upload_file).get(list_files))
        .route("/v1/files/{id}", get(get_file).delete(delete_file))
        .route("/v1/files/{id}/content", get(file_content))
        .route("/v1/batches", post(create_batch).get(list_batches))
        .route("/v1/batches/{id}", get(get_batch))
        .route("/v1/batches/{id}/cancel", post(cancel_batch))
        .layer(Extension(store))
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Default)]
struct Store {
    next: AtomicU64,
    files: Mutex<HashMap<String, StoredFile>>,
    /// In creation order (listing is newest first).
    batches: Mutex<Vec<Arc<Job>>>,
}

impl Store {
    fn new_id(&self, prefix: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}{:016x}{n:04x}", reply::mix(0xBA7C_4000, n))
    }

    fn add_file(&self, filename: String, purpose: &str, content: Bytes) -> FileObject {
        let id = self.new_id("file-");
        let object = FileObject {
            id: id.clone(),
            object: "file",
            bytes: content.len() as u64,
            created_at: unix_now(),
            filename,
            purpose: purpose.to_string(),
            status: "processed",
        };
        lock(&self.files).insert(id, StoredFile { object: object.clone(), content });
        object
    }

    fn job(&self, id: &str) -> Option<Arc<Job>> {
        lock(&self.batches).iter().find(|j| j.id == id).cloned()
    }
}

struct StoredFile {
    object: FileObject,
    content: Bytes,
}

#[derive(Debug, Clone, Serialize)]
struct FileObject {
    id: String,
    object: &'static str,
    bytes: u64,
    created_at: u64,
    filename: String,
    purpose: String,
    status: &'static str,
}

struct Job {
    id: String,
    record: Mutex<BatchObject>,
    cancel: Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Validating,
    Failed,
    InProgress,
    Finalizing,
    Completed,
    Cancelling,
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
struct BatchObject {
    id: String,
    object: &'static str,
    endpoint: String,
    errors: Option<ErrorList>,
    input_file_id: String,
    completion_window: String,
    status: Status,
    output_file_id: Option<String>,
    error_file_id: Option<String>,
    created_at: u64,
    in_progress_at: Option<u64>,
    expires_at: u64,
    finalizing_at: Option<u64>,
    completed_at: Option<u64>,
    failed_at: Option<u64>,
    expired_at: Option<u64>,
    cancelling_at: Option<u64>,
    cancelled_at: Option<u64>,
    request_counts: RequestCounts,
    metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
struct RequestCounts {
    total: u64,
    completed: u64,
    failed: u64,
}

#[derive(Debug, Clone, Serialize)]
struct ErrorList {
    object: &'static str,
    data: Vec<LineError>,
}

#[derive(Debug, Clone, Serialize)]
struct LineError {
    code: &'static str,
    message: String,
    param: Option<String>,
    line: Option<u64>,
}

#[derive(Serialize)]
struct List<T> {
    object: &'static str,
    data: Vec<T>,
    first_id: Option<String>,
    last_id: Option<String>,
    has_more: bool,
}

fn bad_request(message: impl Into<String>, param: Option<&str>) -> Response {
    ApiError::invalid(message, param.map(String::from), None).response(Api::OpenAi)
}

fn no_such(kind: &str, id: &str) -> Response {
    let mut e = ApiError::not_found("GET", "");
    e.message = format!("No such {kind}: '{id}'");
    e.response(Api::OpenAi)
}

// ---------------------------------------------------------------------------------------------
// Files

async fn upload_file(Extension(store): Extension<Arc<Store>>, req: Request) -> Response {
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let Some(boundary) = multipart_boundary(&content_type) else {
        return bad_request("Expected a multipart/form-data body with a boundary.", None);
    };
    let body = match axum::body::to_bytes(req.into_body(), MAX_FILE_BYTES + 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return ApiError::too_large(MAX_FILE_BYTES).response(Api::OpenAi),
    };
    let parts = match parse_multipart(&body, &boundary) {
        Ok(p) => p,
        Err(e) => return bad_request(e, None),
    };
    let purpose = parts
        .iter()
        .find(|p| p.name == "purpose")
        .map(|p| String::from_utf8_lossy(p.data).trim().to_string());
    let Some(purpose) = purpose else {
        return bad_request("Missing required parameter: 'purpose'.", Some("purpose"));
    };
    if !["batch", "fine-tune", "assistants", "vision", "user_data", "evals"].contains(&purpose.as_str()) {
        return bad_request(format!("Invalid value for 'purpose': '{purpose}'."), Some("purpose"));
    }
    let Some(file) = parts.into_iter().find(|p| p.name == "file") else {
        return bad_request("Missing required parameter: 'file'.", Some("file"));
    };
    if file.data.len() > MAX_FILE_BYTES {
        return ApiError::too_large(MAX_FILE_BYTES).response(Api::OpenAi);
    }
    let filename = file.filename.unwrap_or_else(|| "upload.jsonl".into());
    ok_json(&store.add_file(filename, &purpose, body.slice_ref(file.data)), Api::OpenAi)
}

async fn list_files(Extension(store): Extension<Arc<Store>>) -> Response {
    let mut data: Vec<FileObject> = lock(&store.files).values().map(|f| f.object.clone()).collect();
    data.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    ok_json(
        &List {
            object: "list",
            first_id: data.first().map(|f| f.id.clone()),
            last_id: data.last().map(|f| f.id.clone()),
            data,
            has_more: false,
        },
        Api::OpenAi,
    )
}

async fn get_file(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    match lock(&store.files).get(&id) {
        Some(f) => ok_json(&f.object, Api::OpenAi),
        None => no_such("File", &id),
    }
}

async fn file_content(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    let content = lock(&store.files).get(&id).map(|f| f.content.clone());
    match content {
        Some(bytes) => {
            let mut resp = Response::new(axum::body::Body::from(bytes));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/octet-stream"));
            resp
        }
        None => no_such("File", &id),
    }
}

#[derive(Serialize)]
struct Deleted {
    id: String,
    object: &'static str,
    deleted: bool,
}

async fn delete_file(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    match lock(&store.files).remove(&id) {
        Some(_) => ok_json(&Deleted { id, object: "file", deleted: true }, Api::OpenAi),
        None => no_such("File", &id),
    }
}

/// One part of a multipart body.
#[derive(Debug)]
struct Part<'a> {
    name: String,
    filename: Option<String>,
    data: &'a [u8],
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .split(';')
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim().eq_ignore_ascii_case("boundary")).then(|| v.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty())
}

/// A small RFC 7578 reader: enough for SDK and curl uploads (no nested multiparts).
fn parse_multipart<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delim = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(delim.as_bytes());
    let mut parts = Vec::new();
    let Some(first) = finder.find(body) else { return Err("multipart body has no boundary line".into()) };
    let mut pos = first + delim.len();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let rest = rest.strip_prefix(b"\r\n").ok_or("malformed multipart boundary line")?;
        let start = pos + (body[pos..].len() - rest.len());
        let head_end = memchr::memmem::find(rest, b"\r\n\r\n").ok_or("multipart part without headers")?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| "multipart headers are not UTF-8")?;
        let data_start = start + head_end + 4;
        let next = finder.find(&body[data_start..]).ok_or("multipart body is not terminated")?;
        let mut data_end = data_start + next;
        if body[..data_end].ends_with(b"\r\n") {
            data_end -= 2;
        }
        let mut name = None;
        let mut filename = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else { continue };
            if !k.trim().eq_ignore_ascii_case("content-disposition") {
                continue;
            }
            for param in v.split(';').skip(1) {
                if let Some((pk, pv)) = param.split_once('=') {
                    let pv = pv.trim().trim_matches('"').to_string();
                    match pk.trim() {
                        "name" => name = Some(pv),
                        "filename" => filename = Some(pv),
                        _ => {}
                    }
                }
            }
        }
        parts.push(Part {
            name: name.ok_or("multipart part without a name")?,
            filename,
            data: &body[data_start..data_end],
        });
        pos = data_start + next + delim.len();
    }
}

// ---------------------------------------------------------------------------------------------
// Batches

#[derive(Deserialize)]
struct CreateBatch {
    input_file_id: Option<String>,
    endpoint: Option<String>,
    completion_window: Option<String>,
    metadata: Option<Map<String, Value>>,
}

async fn create_batch(
    State(st): State<Arc<MockState>>,
    Extension(store): Extension<Arc<Store>>,
    req: Request,
) -> Response {
    let (_, body) = match st.receive(req, Api::OpenAi).await {
        Ok(x) => x,
        Err(resp) => return *resp,
    };
    let create: CreateBatch = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(format!("Invalid body: {e}"), None),
    };
    let Some(input_file_id) = create.input_file_id else {
        return bad_request("Missing required parameter: 'input_file_id'.", Some("input_file_id"));
    };
    let endpoint = create.endpoint.unwrap_or_default();
    if endpoint != CHAT_ENDPOINT {
        return bad_request(
            format!("Invalid value for 'endpoint': '{endpoint}'. The mock supports '{CHAT_ENDPOINT}'."),
            Some("endpoint"),
        );
    }
    let window = create.completion_window.unwrap_or_default();
    if window != "24h" {
        return bad_request(
            format!("Invalid value for 'completion_window': '{window}'. Expected '24h'."),
            Some("completion_window"),
        );
    }
    let input = lock(&store.files).get(&input_file_id).map(|f| f.content.clone());
    let Some(input) = input else {
        return bad_request(format!("No such File object: {input_file_id}"), Some("input_file_id"));
    };
    let now = unix_now();
    let record = BatchObject {
        id: store.new_id("batch_"),
        object: "batch",
        endpoint,
        errors: None,
        input_file_id,
        completion_window: window,
        status: Status::Validating,
        output_file_id: None,
        error_file_id: None,
        created_at: now,
        in_progress_at: None,
        expires_at: now + 24 * 3600,
        finalizing_at: None,
        completed_at: None,
        failed_at: None,
        expired_at: None,
        cancelling_at: None,
        cancelled_at: None,
        request_counts: RequestCounts::default(),
        metadata: create.metadata,
    };
    let job = Arc::new(Job {
        id: record.id.clone(),
        record: Mutex::new(record.clone()),
        cancel: Cancel::default(),
    });
    lock(&store.batches).push(job.clone());
    tokio::spawn(run_job(st, store, job, input));
    ok_json(&record, Api::OpenAi)
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<usize>,
    after: Option<String>,
}

async fn list_batches(Extension(store): Extension<Arc<Store>>, Query(q): Query<ListQuery>) -> Response {
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let all: Vec<BatchObject> = lock(&store.batches).iter().rev().map(|j| lock(&j.record).clone()).collect();
    let (data, has_more) = page(&all, |b| &b.id, q.after.as_deref(), limit);
    ok_json(
        &List {
            object: "list",
            first_id: data.first().map(|b| b.id.clone()),
            last_id: data.last().map(|b| b.id.clone()),
            has_more,
            data,
        },
        Api::OpenAi,
    )
}

async fn get_batch(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    match store.job(&id) {
        Some(job) => ok_json(&*lock(&job.record), Api::OpenAi),
        None => no_such("batch", &id),
    }
}

async fn cancel_batch(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    let Some(job) = store.job(&id) else { return no_such("batch", &id) };
    let record = {
        let mut r = lock(&job.record);
        match r.status {
            Status::Validating | Status::InProgress | Status::Finalizing => {
                r.status = Status::Cancelling;
                r.cancelling_at = Some(unix_now());
                job.cancel.request();
            }
            // Asking again while it winds down is harmless.
            Status::Cancelling => {}
            other => {
                let status = serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                return ApiError {
                    status: StatusCode::CONFLICT,
                    message: format!("Cannot cancel a batch with status '{status}'."),
                    param: None,
                    code: None,
                    openai_type: "invalid_request_error",
                }
                .response(Api::OpenAi);
            }
        }
        r.clone()
    };
    ok_json(&record, Api::OpenAi)
}

// ---------------------------------------------------------------------------------------------
// The job

/// One line of a batch input file.
#[derive(Deserialize)]
struct InputLine {
    custom_id: Option<Value>,
    method: Option<Value>,
    url: Option<Value>,
    body: Option<Value>,
}

struct Item {
    custom_id: String,
    body: Vec<u8>,
}

/// Check every line as OpenAI's validation does; the first 100 problems are reported.
fn validate(input: &[u8], endpoint: &str) -> Result<Vec<Item>, Vec<LineError>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in input.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut err = |message: String, param: Option<&str>| {
            errors.push(LineError {
                code: "invalid_request",
                message,
                param: param.map(String::from),
                line: Some(line),
            })
        };
        let parsed: InputLine = match serde_json::from_slice(raw) {
            Ok(p) => p,
            Err(e) => {
                err(format!("Line {line} is not valid JSON: {e}"), None);
                continue;
            }
        };
        let custom_id = match parsed.custom_id {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => {
                err("Missing or invalid 'custom_id'.".into(), Some("custom_id"));
                continue;
            }
        };
        if parsed.method.as_ref().and_then(Value::as_str) != Some("POST") {
            err("The 'method' must be 'POST'.".into(), Some("method"));
            continue;
        }
        if parsed.url.as_ref().and_then(Value::as_str) != Some(endpoint) {
            err(format!("The 'url' must be '{endpoint}', the endpoint of the batch."), Some("url"));
            continue;
        }
        let Some(body @ Value::Object(_)) = parsed.body else {
            err("Missing or invalid 'body'.".into(), Some("body"));
            continue;
        };
        if !seen.insert(custom_id.clone()) {
            err(format!("Duplicate custom_id '{custom_id}'."), Some("custom_id"));
            continue;
        }
        items.push(Item { custom_id, body: serde_json::to_vec(&body).unwrap_or_default() });
    }
    if items.len() > MAX_REQUESTS {
        errors.push(LineError {
            code: "too_many_requests",
            message: format!("The input file has {} requests; the limit is {MAX_REQUESTS}.", items.len()),
            param: None,
            line: None,
        });
    }
    if items.is_empty() && errors.is_empty() {
        errors.push(LineError {
            code: "empty_file",
            message: "The input file has no requests.".into(),
            param: None,
            line: None,
        });
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        errors.truncate(100);
        Err(errors)
    }
}

#[derive(Serialize)]
struct OutputLine<'a> {
    id: String,
    custom_id: &'a str,
    response: OutputResponse,
    error: Option<()>,
}

#[derive(Serialize)]
struct OutputResponse {
    status_code: u16,
    request_id: String,
    body: Value,
}

async fn run_job(st: Arc<MockState>, store: Arc<Store>, job: Arc<Job>, input: Bytes) {
    let latency = st.config.latency();
    let stage = latency.ttft;
    let endpoint = lock(&job.record).endpoint.clone();
    job.cancel.pause(stage).await;
    let items = match validate(&input, &endpoint) {
        Ok(items) => items,
        Err(errors) => {
            let mut r = lock(&job.record);
            r.status = Status::Failed;
            r.failed_at = Some(unix_now());
            r.errors = Some(ErrorList { object: "list", data: errors });
            return;
        }
    };
    {
        let mut r = lock(&job.record);
        if r.status == Status::Validating {
            r.status = Status::InProgress;
            r.in_progress_at = Some(unix_now());
        }
        r.request_counts.total = items.len() as u64;
    }
    let mut output = Vec::new();
    let mut errors = Vec::new();
    for item in &items {
        if job.cancel.requested() {
            break;
        }
        let n = st.admitted.fetch_add(1, Ordering::Relaxed);
        let (status_code, body, tokens) = answer(&st, &item.body, n);
        let mut rng = Rng::new(reply::mix(st.config.seed ^ 0xBA7C, n));
        job.cancel.pause(latency.total(tokens, &mut rng)).await;
        let line = OutputLine {
            id: format!("batch_req_{:016x}{n:08x}", reply::mix(st.config.seed ^ 0xB47C, n)),
            custom_id: &item.custom_id,
            response: OutputResponse {
                status_code,
                request_id: format!("req_mock{:016x}{n:08x}", reply::mix(st.config.seed, n)),
                body,
            },
            error: None,
        };
        let target = if status_code == 200 { &mut output } else { &mut errors };
        if serde_json::to_writer(&mut *target, &line).is_ok() {
            target.push(b'\n');
        }
        let mut r = lock(&job.record);
        if status_code == 200 {
            r.request_counts.completed += 1;
        } else {
            r.request_counts.failed += 1;
        }
    }
    let cancelled = job.cancel.requested();
    if !cancelled {
        let mut r = lock(&job.record);
        r.status = Status::Finalizing;
        r.finalizing_at = Some(unix_now());
    }
    job.cancel.pause(stage).await;
    let output_id = (!output.is_empty())
        .then(|| store.add_file(format!("{}_output.jsonl", job.id), "batch_output", Bytes::from(output)).id);
    let error_id = (!errors.is_empty())
        .then(|| store.add_file(format!("{}_error.jsonl", job.id), "batch_output", Bytes::from(errors)).id);
    let mut r = lock(&job.record);
    r.output_file_id = output_id;
    r.error_file_id = error_id;
    let now = Some(unix_now());
    if job.cancel.requested() {
        r.status = Status::Cancelled;
        r.cancelled_at = now;
    } else {
        r.status = Status::Completed;
        r.completed_at = now;
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize)]
struct ErrorDetail {
    message: String,
    #[serde(rename = "type")]
    kind: &'static str,
    param: Option<String>,
    code: Option<&'static str>,
}

fn error_body(e: ApiError) -> Value {
    serde_json::to_value(ErrorBody {
        error: ErrorDetail { message: e.message, kind: e.openai_type, param: e.param, code: e.code },
    })
    .unwrap_or(Value::Null)
}

/// The answer `/v1/chat/completions` would give (same reply text and usage), as
/// (status, body, reply tokens).
fn answer(st: &MockState, body: &[u8], n: u64) -> (u16, Value, usize) {
    let chat = match Chat::parse(body) {
        Ok(c) => c,
        Err(e) => return (e.status.as_u16(), error_body(e), 0),
    };
    match st.config.faults.draw(st.config.seed, n) {
        None => {}
        Some(FailKind::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status.as_u16(), error_body(ApiError::injected(status)), 0);
        }
        Some(FailKind::Cut | FailKind::Drop | FailKind::Hang) => {
            return (500, error_body(ApiError::injected(StatusCode::INTERNAL_SERVER_ERROR)), 0);
        }
    }
    let (completion, tokens) = super::openai::batch_answer(st, &chat, n);
    (200, completion, tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockConfig;

    #[test]
    fn multipart_bodies_are_read() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n\
{\"a\":1}\n{\"b\":2}\n\r\n--XyZ--\r\n";
        let parts = parse_multipart(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data), ("purpose", &b"batch"[..]));
        assert_eq!(parts[1].filename.as_deref(), Some("in.jsonl"));
        assert_eq!(parts[1].data, b"{\"a\":1}\n{\"b\":2}\n");
        assert!(parse_multipart(b"--XyZ\r\nno headers end", "XyZ").is_err());
        assert_eq!(multipart_boundary("multipart/form-data; boundary=\"abc\""), Some("abc".into()));
        assert_eq!(multipart_boundary("application/json"), None);
    }

    #[test]
    fn validation_reports_every_bad_line_like_openai() {
        let input =
            b"{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n\
{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n\
{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n\
{\"custom_id\":\"c\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n\
{\"custom_id\":\"d\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}}\n\
nope\n\n";
        let errors = validate(input, CHAT_ENDPOINT).err().unwrap();
        let lines: Vec<u64> = errors.iter().filter_map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6]);
        assert!(errors[0].message.contains("Duplicate"));
        let ok = validate(&input[..input.iter().position(|b| *b == b'\n').unwrap() + 1], CHAT_ENDPOINT);
        assert_eq!(ok.map(|i| i.len()).ok(), Some(1));
        assert!(validate(b"\n", CHAT_ENDPOINT).is_err(), "an empty file fails");
    }

    #[test]
    fn answers_match_the_chat_endpoint_and_faults_become_statuses() {
        let st = MockState::new(MockConfig::default());
        let body = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":4}"#;
        let (status, doc, tokens) = answer(&st, body, 0);
        assert_eq!(status, 200);
        assert_eq!(tokens, 4);
        assert_eq!(doc["choices"][0]["finish_reason"], "length");
        assert_eq!(doc["usage"]["completion_tokens"], 4);
        let (status, doc, _) = answer(&st, br#"{"messages":[]}"#, 1);
        assert_eq!(status, 400);
        assert!(doc["error"]["message"].is_string());
        let config = MockConfig {
            faults: crate::mock::FaultPlan {
                rate: 1.0,
                kinds: vec![crate::mock::WeightedKind { kind: FailKind::Status(503), weight: 1 }],
            },
            ..MockConfig::default()
        };
        let (status, _, _) = answer(&MockState::new(config), body, 0);
        assert_eq!(status, 503);
    }
}
