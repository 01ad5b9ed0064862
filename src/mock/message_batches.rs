//! Anthropic Message Batches emulation (`/v1/messages/batches`), so `llmkit batch --remote`
//! against an Anthropic profile (and any Message Batches client) is tested with no network.
//!
//! Shapes follow the real API: create takes `{"requests": [{custom_id, params}]}` (1 to
//! 100,000 requests, `custom_id` matching `^[a-zA-Z0-9_-]{1,64}$` and unique; a bad request
//! list refuses the whole batch with a 400), and answers a `message_batch` object that goes
//! `in_progress` -> (`canceling` ->) `ended`, with `request_counts` (`processing`,
//! `succeeded`, `errored`, `canceled`, `expired`) and, once ended, a `results_url` serving
//! JSONL `{custom_id, result: {type: succeeded|errored|canceled|expired, ...}}` lines.
//!
//! As with the real service, each request's `params` are validated when it is processed, not
//! at creation: params `/v1/messages` would refuse become `errored` results carrying the same
//! error. A valid request gets exactly the `/v1/messages` answer (same text, usage and id
//! scheme), so token counts are exact. Injected faults apply per request (a drawn status
//! becomes an `errored` result of that status; `drop`, `cut` and `hang` become `api_error`);
//! rate limits do not (batches have their own queue). Pace: the OpenAI batch emulation's
//! knobs, one `--ttft` before processing starts and one before it ends, and each request as
//! long as its non-streamed answer would take; zero latency (the default) ends a batch as soon
//! as it is created. Cancel stops processing; requests not yet processed are `canceled`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::faults::FailKind;
use super::reply::{self, Rng};
use super::wire::{ok_json, Api, ApiError};
use super::{lock, page, Cancel, MockState};

/// Most requests in one Message Batch.
pub const MAX_REQUESTS: usize = 100_000;
/// Largest create body (256 MB).
pub const MAX_BATCH_BYTES: usize = 256 * 1000 * 1000;

pub(crate) fn routes() -> Router<Arc<MockState>> {
    let store = Arc::new(Store::default());
    Router::new()
        .route("/v1/messages/batches", post(create).get(list))
        .route("/v1/messages/batches/{id}", get(retrieve).delete(delete))
        .route("/v1/messages/batches/{id}/results", get(results))
        .route("/v1/messages/batches/{id}/cancel", post(cancel))
        .layer(Extension(store))
}

#[derive(Default)]
struct Store {
    next: AtomicU64,
    /// In creation order (listing is newest first).
    jobs: Mutex<Vec<Arc<Job>>>,
}

impl Store {
    fn job(&self, id: &str) -> Option<Arc<Job>> {
        lock(&self.jobs).iter().find(|j| j.id == id).cloned()
    }
}

struct Job {
    id: String,
    record: Mutex<BatchRecord>,
    /// The results JSONL, complete once the batch has ended.
    results: Mutex<Vec<u8>>,
    cancel: Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    InProgress,
    Canceling,
    Ended,
}

#[derive(Debug, Clone, Serialize)]
struct BatchRecord {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    processing_status: Status,
    request_counts: Counts,
    ended_at: Option<String>,
    created_at: String,
    expires_at: String,
    archived_at: Option<String>,
    cancel_initiated_at: Option<String>,
    results_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Counts {
    processing: u64,
    succeeded: u64,
    errored: u64,
    canceled: u64,
    expired: u64,
}

#[derive(Serialize)]
struct List {
    data: Vec<BatchRecord>,
    has_more: bool,
    first_id: Option<String>,
    last_id: Option<String>,
}

#[derive(Serialize)]
struct Deleted {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now().to_string()
}

fn no_such(id: &str) -> Response {
    let mut e = ApiError::not_found("GET", "");
    e.message = format!("No message batch with id '{id}'.");
    e.response(Api::Anthropic)
}

fn invalid(message: impl Into<String>, param: &str) -> Response {
    field_error(message, param).response(Api::Anthropic)
}

fn field_error(message: impl Into<String>, param: &str) -> ApiError {
    ApiError::invalid(message, Some(param.to_string()), None)
}

// ---------------------------------------------------------------------------------------------
// Create

#[derive(Deserialize)]
struct CreateBody {
    requests: Option<Vec<RawItem>>,
}

#[derive(Deserialize)]
struct RawItem {
    custom_id: Option<Value>,
    params: Option<Value>,
}

struct Item {
    custom_id: String,
    params: Vec<u8>,
}

fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Check the request list as the API does at creation (params are checked later, per request).
fn validate(body: &[u8]) -> Result<Vec<Item>, ApiError> {
    let parsed: CreateBody =
        serde_json::from_slice(body).map_err(|e| ApiError::unparsable_json(&e.to_string()))?;
    let Some(raw) = parsed.requests else { return Err(field_error("Field required", "requests")) };
    if raw.is_empty() || raw.len() > MAX_REQUESTS {
        return Err(field_error(
            format!("List should have between 1 and {MAX_REQUESTS} items, not {}", raw.len()),
            "requests",
        ));
    }
    let mut seen = HashSet::with_capacity(raw.len());
    let mut items = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let custom_id = match r.custom_id {
            Some(Value::String(s)) if valid_custom_id(&s) => s,
            Some(Value::String(_)) => {
                return Err(field_error(
                    "String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
                    &format!("requests.{i}.custom_id"),
                ))
            }
            _ => return Err(field_error("Field required", &format!("requests.{i}.custom_id"))),
        };
        if !seen.insert(custom_id.clone()) {
            return Err(field_error(
                format!("Duplicate custom_id '{custom_id}': each custom_id must be unique in a batch"),
                &format!("requests.{i}.custom_id"),
            ));
        }
        let params = match r.params {
            Some(p @ Value::Object(_)) => serde_json::to_vec(&p).unwrap_or_default(),
            Some(_) => return Err(field_error("Input should be an object", &format!("requests.{i}.params"))),
            None => return Err(field_error("Field required", &format!("requests.{i}.params"))),
        };
        items.push(Item { custom_id, params });
    }
    Ok(items)
}

/// `http://HOST/v1/messages/batches/{id}/results`, with the host the client used.
fn results_url(headers: &HeaderMap, id: &str) -> String {
    let path = format!("/v1/messages/batches/{id}/results");
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}{path}"),
        None => path,
    }
}

async fn create(
    State(st): State<Arc<MockState>>,
    Extension(store): Extension<Arc<Store>>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BATCH_BYTES).await {
        Ok(b) => b,
        Err(_) => return ApiError::too_large(MAX_BATCH_BYTES).response(Api::Anthropic),
    };
    let items = match validate(&body) {
        Ok(items) => items,
        Err(e) => return e.response(Api::Anthropic),
    };
    let n = store.next.fetch_add(1, Ordering::Relaxed);
    let id = format!("msgbatch_mock{:016x}{n:04x}", reply::mix(0xA11_BA7C, n));
    let now = jiff::Timestamp::now();
    let expires = now.checked_add(jiff::SignedDuration::from_hours(24)).unwrap_or(now);
    let record = BatchRecord {
        id: id.clone(),
        kind: "message_batch",
        processing_status: Status::InProgress,
        request_counts: Counts { processing: items.len() as u64, ..Counts::default() },
        ended_at: None,
        created_at: now.to_string(),
        expires_at: expires.to_string(),
        archived_at: None,
        cancel_initiated_at: None,
        results_url: None,
    };
    let job = Arc::new(Job {
        id,
        record: Mutex::new(record.clone()),
        results: Mutex::new(Vec::new()),
        cancel: Cancel::default(),
    });
    lock(&store.jobs).push(job.clone());
    let url = results_url(&parts.headers, &job.id);
    tokio::spawn(run_job(st, job, items, url));
    ok_json(&record, Api::Anthropic)
}

// ---------------------------------------------------------------------------------------------
// Read, list, cancel, delete

async fn retrieve(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    match store.job(&id) {
        Some(job) => ok_json(&*lock(&job.record), Api::Anthropic),
        None => no_such(&id),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<usize>,
    after_id: Option<String>,
}

async fn list(Extension(store): Extension<Arc<Store>>, Query(q): Query<ListQuery>) -> Response {
    let limit = q.limit.unwrap_or(20).clamp(1, 1000);
    let all: Vec<BatchRecord> = lock(&store.jobs).iter().rev().map(|j| lock(&j.record).clone()).collect();
    let (data, has_more) = page(&all, |b| &b.id, q.after_id.as_deref(), limit);
    ok_json(
        &List {
            first_id: data.first().map(|b| b.id.clone()),
            last_id: data.last().map(|b| b.id.clone()),
            has_more,
            data,
        },
        Api::Anthropic,
    )
}

async fn results(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    let Some(job) = store.job(&id) else { return no_such(&id) };
    if lock(&job.record).processing_status != Status::Ended {
        return invalid(
            format!("Message batch '{id}' has not ended yet; its results are available once it has."),
            "message_batch_id",
        );
    }
    let body = lock(&job.results).clone();
    let mut resp = Response::new(axum::body::Body::from(body));
    resp.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/x-jsonl"));
    resp
}

async fn cancel(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    let Some(job) = store.job(&id) else { return no_such(&id) };
    let record = {
        let mut r = lock(&job.record);
        match r.processing_status {
            Status::InProgress => {
                r.processing_status = Status::Canceling;
                r.cancel_initiated_at = Some(now_rfc3339());
                job.cancel.request();
            }
            // Asking again while it winds down is harmless.
            Status::Canceling => {}
            Status::Ended => {
                return invalid(
                    format!("Message batch '{id}' has already ended and cannot be canceled."),
                    "message_batch_id",
                )
            }
        }
        r.clone()
    };
    ok_json(&record, Api::Anthropic)
}

async fn delete(Extension(store): Extension<Arc<Store>>, Path(id): Path<String>) -> Response {
    let Some(job) = store.job(&id) else { return no_such(&id) };
    if lock(&job.record).processing_status != Status::Ended {
        return invalid(
            format!("Message batch '{id}' is still processing; cancel it first, then delete it once it has ended."),
            "message_batch_id",
        );
    }
    lock(&store.jobs).retain(|j| j.id != id);
    ok_json(&Deleted { id, kind: "message_batch_deleted" }, Api::Anthropic)
}

// ---------------------------------------------------------------------------------------------
// Processing

#[derive(Serialize)]
struct ResultLine<'a> {
    custom_id: &'a str,
    result: Outcome,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Outcome {
    Succeeded { message: Value },
    Errored { error: ErrorResponse },
    Canceled,
}

#[derive(Serialize)]
struct ErrorResponse {
    #[serde(rename = "type")]
    kind: &'static str,
    error: ErrorDetail,
}

#[derive(Serialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: &'static str,
    message: String,
}

fn errored(e: &ApiError) -> Outcome {
    Outcome::Errored {
        error: ErrorResponse {
            kind: "error",
            error: ErrorDetail { kind: e.anthropic_type(), message: e.anthropic_message() },
        },
    }
}

/// The result of request `n`, and its reply length in tokens (for pacing).
fn process(st: &MockState, params: &[u8], n: u64) -> (Outcome, usize) {
    let (message, tokens) = match super::anthropic::batch_answer(st, params, n) {
        Ok(x) => x,
        Err(e) => return (errored(&e), 0),
    };
    match st.config.faults.draw(st.config.seed, n) {
        None => (Outcome::Succeeded { message }, tokens),
        Some(FailKind::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (errored(&ApiError::injected(status)), 0)
        }
        Some(FailKind::Cut | FailKind::Drop | FailKind::Hang) => {
            (errored(&ApiError::injected(StatusCode::INTERNAL_SERVER_ERROR)), 0)
        }
    }
}

fn append(out: &mut Vec<u8>, custom_id: &str, result: Outcome) {
    if serde_json::to_writer(&mut *out, &ResultLine { custom_id, result }).is_ok() {
        out.push(b'\n');
    }
}

async fn run_job(st: Arc<MockState>, job: Arc<Job>, items: Vec<Item>, results_url: String) {
    let latency = st.config.latency();
    let stage = latency.ttft;
    job.cancel.pause(stage).await;
    let mut out = Vec::new();
    let mut done = 0;
    for item in &items {
        if job.cancel.requested() {
            break;
        }
        let n = st.admitted.fetch_add(1, Ordering::Relaxed);
        let (outcome, tokens) = process(&st, &item.params, n);
        let mut rng = Rng::new(reply::mix(st.config.seed ^ 0xA11B, n));
        job.cancel.pause(latency.total(tokens, &mut rng)).await;
        let ok = matches!(outcome, Outcome::Succeeded { .. });
        append(&mut out, &item.custom_id, outcome);
        done += 1;
        let mut r = lock(&job.record);
        r.request_counts.processing -= 1;
        if ok {
            r.request_counts.succeeded += 1;
        } else {
            r.request_counts.errored += 1;
        }
    }
    for item in &items[done..] {
        append(&mut out, &item.custom_id, Outcome::Canceled);
    }
    {
        let mut r = lock(&job.record);
        let canceled = (items.len() - done) as u64;
        r.request_counts.processing -= canceled;
        r.request_counts.canceled += canceled;
    }
    if !job.cancel.requested() {
        job.cancel.pause(stage).await;
    }
    *lock(&job.results) = out;
    let mut r = lock(&job.record);
    r.processing_status = Status::Ended;
    r.ended_at = Some(now_rfc3339());
    r.results_url = Some(results_url);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockConfig;

    #[test]
    fn the_request_list_is_checked_at_creation() {
        let ok =
            br#"{"requests":[{"custom_id":"a-1","params":{"model":"c"}},{"custom_id":"b_2","params":{}}]}"#;
        assert_eq!(validate(ok).ok().map(|v| v.len()), Some(2));
        for bad in [
            &br#"{"requests":[]}"#[..],
            br#"{}"#,
            br#"{"requests":[{"custom_id":"a","params":{}},{"custom_id":"a","params":{}}]}"#,
            br#"{"requests":[{"custom_id":"a.b","params":{}}]}"#,
            br#"{"requests":[{"custom_id":"a","params":[]}]}"#,
            br#"{"requests":[{"params":{}}]}"#,
            b"nope",
        ] {
            let e = validate(bad).err().unwrap();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn results_match_messages_and_bad_params_error() {
        let st = MockState::new(MockConfig::default());
        let params = br#"{"model":"claude-3-5-haiku-latest","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}"#;
        let (outcome, tokens) = process(&st, params, 0);
        assert_eq!(tokens, 4);
        let Outcome::Succeeded { message } = outcome else { panic!("not a success") };
        assert_eq!(message["stop_reason"], "max_tokens");
        assert_eq!(message["usage"]["output_tokens"], 4);
        assert!(message["id"].as_str().unwrap().starts_with("msg_mock"));

        let (outcome, _) = process(&st, br#"{"model":"c","messages":[{"role":"user","content":"x"}]}"#, 1);
        let mut line = Vec::new();
        append(&mut line, "r1", outcome);
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["result"]["type"], "errored");
        assert_eq!(v["result"]["error"]["type"], "error");
        assert_eq!(v["result"]["error"]["error"]["type"], "invalid_request_error");
        assert_eq!(v["result"]["error"]["error"]["message"], "max_tokens: Field required");

        let config = MockConfig {
            faults: crate::mock::FaultPlan {
                rate: 1.0,
                kinds: vec![crate::mock::WeightedKind { kind: FailKind::Status(529), weight: 1 }],
            },
            ..MockConfig::default()
        };
        let (outcome, _) = process(&MockState::new(config), params, 0);
        let mut line = Vec::new();
        append(&mut line, "r1", outcome);
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["result"]["error"]["error"]["type"], "overloaded_error");
    }
}
