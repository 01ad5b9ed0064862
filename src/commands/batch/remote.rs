//! `--remote`: run the job on the provider's Batch API: OpenAI `/v1/files` + `/v1/batches`, or
//! Anthropic's Message Batches (`/v1/messages/batches`) when the profile's provider is
//! `anthropic`.
//!
//! Flow: validate the input like a local run; cut the pending requests into batches within the
//! provider's limits (OpenAI: 50,000 requests, 200 MB per file; Anthropic: 100,000 requests,
//! 256 MB per batch); for each, upload it and create a batch (Anthropic: one create call with
//! the translated Messages params inline); then poll every batch with a progress bar and, as
//! each one ends, append its successes to `-o` and its failures to `--errors`. OpenAI lines are
//! written as downloaded, keeping their `batch_req_` ids; Anthropic results are converted into
//! the same output line shape (see `message_batches`) with `batch_req_` ids. Either way
//! `cost report` prices them at batch rates, and the summary does too.
//!
//! Resumable like a local run, by a state file `<output>.llmkit-remote.json` written
//! atomically after every batch is created and after every download: re-running the same
//! command re-attaches to the batches it lists instead of uploading again, and continues
//! uploading after the last input line they cover. `--remote-id ID[,ID]` attaches to batches
//! without a state file (created elsewhere, or from another machine). Requests that failed
//! remotely are in the errors file, not in the output, so a later run submits them again.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::batch_api::{
    self, BatchObject, BatchStatus, Chunk, CreateBatch, FileObject, ResultLine, Splitter,
};
use super::estimate::Prices;
use super::ids::IdSet;
use super::input::{DoneLookup, ErrorSink, LineError, PendingRequests, CHAT_URL};
use super::local::Prepared;
use super::message_batches::{self, MessageBatch, ProcessingStatus, BATCHES_PATH};
use super::output::{ErrorsFile, LineWriter};
use super::summary::Summary;
use super::BatchSettings;
use crate::error::{Error, ExitStatus};
use crate::output::Printer;

/// One HTTP call to the Batch API, relative to the endpoint's base URL (`/files`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub method: &'static str,
    pub path: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl ApiCall {
    pub fn get(path: impl Into<String>) -> Self {
        ApiCall { method: "GET", path: path.into(), content_type: None, body: Vec::new() }
    }

    pub fn post_json<T: Serialize>(path: impl Into<String>, body: &T) -> anyhow::Result<Self> {
        Ok(ApiCall {
            method: "POST",
            path: path.into(),
            content_type: Some("application/json".into()),
            body: serde_json::to_vec(body)?,
        })
    }
}

/// The answer to an [`ApiCall`].
#[derive(Debug, Clone, PartialEq)]
pub struct ApiReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends Batch API calls (authenticated, retried on transient failures). Production: the
/// engine; the tests use the embedded mock through the same engine.
pub trait Transport: Send + Sync {
    fn call(&self, call: ApiCall) -> impl Future<Output = anyhow::Result<ApiReply>> + Send;

    /// `GET path` with a successful body written to the file `to` rather than returned (result
    /// files can be larger than memory); a non-2xx answer's body is returned as by `call`.
    /// The default goes through `call` (enough for tests); the engine streams.
    fn download(&self, path: String, to: &Path) -> impl Future<Output = anyhow::Result<ApiReply>> + Send {
        async move {
            let reply = self.call(ApiCall::get(path)).await?;
            if (200..300).contains(&reply.status) {
                std::fs::write(to, &reply.body).with_context(|| format!("cannot write {}", to.display()))?;
                return Ok(ApiReply { status: reply.status, body: Vec::new() });
            }
            Ok(reply)
        }
    }
}

/// The production transport: the engine's client, endpoint and key (see `engine::batch_api`).
pub struct EngineTransport {
    pub engine: crate::engine::Engine,
}

impl Transport for EngineTransport {
    async fn call(&self, call: ApiCall) -> anyhow::Result<ApiReply> {
        let ApiCall { method, path, content_type, body } = call;
        let (status, body) = self.engine.api_call(method, &path, content_type.as_deref(), body).await?;
        Ok(ApiReply { status, body })
    }

    async fn download(&self, path: String, to: &Path) -> anyhow::Result<ApiReply> {
        let (status, body) = self.engine.api_download(&path, to).await?;
        Ok(ApiReply { status, body })
    }
}

/// Send and decode a JSON answer; a non-2xx is an error carrying the server's message.
async fn call_json<T: serde::de::DeserializeOwned, X: Transport>(t: &X, call: ApiCall) -> anyhow::Result<T> {
    let what = format!("{} {}", call.method, call.path);
    let reply = call_ok(t, call).await?;
    serde_json::from_slice(&reply.body).with_context(|| format!("{what}: unexpected answer"))
}

async fn call_ok<X: Transport>(t: &X, call: ApiCall) -> anyhow::Result<ApiReply> {
    let what = format!("{} {}", call.method, call.path);
    let reply = t.call(call).await.with_context(|| what.clone())?;
    ok_or_error(reply, &what)
}

/// Download `path` into a scratch file next to the output and hand back its lines; the file
/// is removed when the returned reader is dropped.
async fn download_lines<X: Transport>(t: &X, path: String, output: &Path) -> anyhow::Result<ResultLines> {
    let what = format!("GET {path}");
    let scratch = scratch_path(output);
    let reply = t.download(path, &scratch).await.with_context(|| what.clone())?;
    ok_or_error(reply, &what)?;
    let file = std::fs::File::open(&scratch).with_context(|| format!("cannot read {}", scratch.display()))?;
    Ok(ResultLines { reader: std::io::BufReader::new(file), path: scratch, buf: Vec::new() })
}

/// `<output>.llmkit-download`: where a results file is streamed before it is read.
fn scratch_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".llmkit-download");
    output.with_file_name(name)
}

/// The non-blank lines of a downloaded results file, read one at a time.
struct ResultLines {
    reader: std::io::BufReader<std::fs::File>,
    path: PathBuf,
    buf: Vec<u8>,
}

impl ResultLines {
    /// The next non-blank line (without its newline), or `None` at the end.
    fn next_line(&mut self) -> anyhow::Result<Option<&[u8]>> {
        use std::io::BufRead;
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .with_context(|| format!("cannot read {}", self.path.display()))?;
            if n == 0 {
                return Ok(None);
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                while self.buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    self.buf.pop();
                }
                return Ok(Some(&self.buf));
            }
        }
    }
}

impl Drop for ResultLines {
    fn drop(&mut self) {
        // A scratch file; if it cannot be removed the next download overwrites it.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn ok_or_error(reply: ApiReply, what: &str) -> anyhow::Result<ApiReply> {
    if (200..300).contains(&reply.status) {
        return Ok(reply);
    }
    let message = server_message(&reply.body);
    let err = match reply.status {
        401 | 403 => Error::Auth { status: reply.status, message },
        s if s == 429 || s >= 500 => Error::Unavailable(format!("{what} ({s}): {message}")),
        s => Error::Rejected { status: s, message: format!("{what}: {message}") },
    };
    Err(err.into())
}

/// `{"error":{"message":..}}`, else the body itself (shortened).
fn server_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        message: String,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(e) => e.error.message,
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
    }
}

/// Which Batch API the job runs on: the primary endpoint's provider decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchApi {
    /// OpenAI (and compatible) files + batches.
    OpenAi,
    /// Anthropic Message Batches.
    Anthropic,
}

impl BatchApi {
    pub fn of(s: &BatchSettings) -> BatchApi {
        match s.engine.primary().provider {
            crate::cli::ProviderKind::Anthropic => BatchApi::Anthropic,
            _ => BatchApi::OpenAi,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            BatchApi::OpenAi => "the OpenAI Batch API (provider openai or azure)",
            BatchApi::Anthropic => "Anthropic Message Batches (provider anthropic)",
        }
    }
}

/// What a remote run remembers between invocations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RemoteState {
    /// The input file the batches came from, and its size when they were created.
    pub input: PathBuf,
    pub input_bytes: u64,
    /// Every input line up to here is in one of `batches`.
    pub covered_through: u64,
    pub batches: Vec<RemoteBatch>,
    /// The API the batches live on (absent in state files of older versions: OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<BatchApi>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteBatch {
    pub id: String,
    pub input_file_id: String,
    pub requests: u64,
    pub first_line: u64,
    pub last_line: u64,
    /// Its results are in the output and errors files.
    pub downloaded: bool,
}

/// `<output>.llmkit-remote.json`.
pub fn state_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".llmkit-remote.json");
    output.with_file_name(name)
}

impl RemoteState {
    fn load(path: &Path) -> anyhow::Result<Option<RemoteState>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(|e| {
                Error::usage(format!(
                    "{}: not a remote state file ({e}); remove it to start over",
                    path.display()
                ))
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Write via a temporary file and a rename, so a kill never leaves half a state file.
    fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }
}

/// Counters of a remote run.
#[derive(Debug, Default)]
struct Tally {
    succeeded: u64,
    failed: u64,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: f64,
    unpriced: u64,
    /// Of `failed`: requests a cancel stopped before they ran (Anthropic reports them).
    canceled: u64,
}

/// The whole `--remote` run: upload what is pending, then wait and download.
pub async fn submit<X: Transport>(
    s: &BatchSettings,
    t: &X,
    prepared: Prepared,
    prices: Option<Arc<dyn Prices>>,
    printer: &Printer,
    started: Instant,
) -> anyhow::Result<(Summary, ExitStatus)> {
    let Prepared { spec, existing, report, ids, lock } = prepared;
    let api = BatchApi::of(s);
    let state_file = state_path(&s.output);
    let input_bytes = std::fs::metadata(&spec.path).map(|m| m.len()).unwrap_or(0);
    let mut state = match RemoteState::load(&state_file)? {
        Some(st) if st.input != spec.path || st.input_bytes != input_bytes => {
            return Err(Error::usage(format!(
                "{} belongs to input {} ({} bytes), not {} ({input_bytes} bytes): finish that job \
                 (--remote-id) or remove the state file",
                state_file.display(),
                st.input.display(),
                st.input_bytes,
                spec.path.display()
            ))
            .into());
        }
        Some(st) if st.api.unwrap_or(BatchApi::OpenAi) != api => {
            return Err(Error::usage(format!(
                "{} holds batches of {}, but this profile uses {}: resume with the profile that \
                 created them",
                state_file.display(),
                st.api.unwrap_or(BatchApi::OpenAi).describe(),
                api.describe()
            ))
            .into());
        }
        Some(mut st) => {
            printer.info(format!(
                "resuming the remote job of {}: {} batches",
                state_file.display(),
                st.batches.len()
            ));
            // The errors file was rewritten by validation: fetch every batch's results again
            // (output lines already present are skipped, so nothing is written twice).
            for b in &mut st.batches {
                b.downloaded = false;
            }
            st
        }
        None => {
            RemoteState { input: spec.path.clone(), input_bytes, api: Some(api), ..RemoteState::default() }
        }
    };

    let mut errors = ErrorsFile::new(&s.errors, ids, true);
    // Lines the provider's Batch API cannot take (Anthropic: custom_id rules, bodies the
    // Messages API cannot express); they go to the errors file like invalid lines.
    let mut rejected = 0u64;
    if s.cancel {
        let ids: Vec<String> = state.batches.iter().filter(|b| !b.downloaded).map(|b| b.id.clone()).collect();
        if ids.is_empty() {
            return Err(Error::usage(format!("no remote batch to cancel for {}", s.output.display())).into());
        }
        for id in &ids {
            cancel(api, t, id, printer).await?;
        }
    } else if api == BatchApi::Anthropic {
        let done: Arc<dyn DoneLookup + Send + Sync> = existing.clone();
        let pending = PendingRequests::open(&spec, &report, done)?;
        rejected =
            upload_message_batches(s, t, pending, &mut state, &state_file, &mut errors, printer).await?;
    } else {
        // Upload what no batch covers yet.
        let done: Arc<dyn DoneLookup + Send + Sync> = existing.clone();
        let mut pending = PendingRequests::open(&spec, &report, done)?;
        let split = s.split_requests.unwrap_or(batch_api::MAX_REQUESTS_PER_FILE);
        let mut splitter = Splitter::new(split, batch_api::MAX_BYTES_PER_FILE);
        let mut uploaded = 0u64;
        loop {
            let next = pending.next_request()?;
            let chunk = match &next {
                Some(req) if req.line <= state.covered_through => continue,
                Some(req) => splitter.push(req)?,
                None => std::mem::replace(&mut splitter, Splitter::new(1, 1)).finish(),
            };
            if let Some(chunk) = chunk {
                uploaded += chunk.requests as u64;
                let batch = create(t, &chunk, state.batches.len() + 1, printer).await?;
                state.covered_through = chunk.last_line;
                state.batches.push(batch);
                state.save(&state_file)?;
            }
            if next.is_none() {
                break;
            }
        }
        if uploaded > 0 {
            let ids: Vec<&str> = state.batches.iter().map(|b| b.id.as_str()).collect();
            printer.info(format!(
                "submitted {uploaded} requests; batch ids: {} (attach later with --remote-id)",
                ids.join(",")
            ));
        }
    }

    let seen = existing;
    let mut results = Results {
        out: LineWriter::append(&s.output)?,
        errors: &mut errors,
        seen: &*seen,
        prices: prices.as_deref(),
        tally: Tally::default(),
        printer,
    };
    let outcome = wait_and_download(s, api, t, &mut state, Some(&state_file), &mut results).await?;
    let tally = results.tally;
    drop(lock);
    if outcome == Waited::AllDownloaded {
        // Finished: the next run starts fresh (and resubmits what failed).
        let _ = std::fs::remove_file(&state_file);
    }
    let mut counts = report_counts(&report);
    counts.invalid += rejected;
    finish(s, &counts, tally, outcome, printer, started)
}

/// Translate the pending requests into Messages API params, cut them into Message Batches
/// and create those no earlier run created (lines up to `covered_through`). Returns how many
/// lines were rejected (written to the errors file). Rejections are found again on a resumed
/// run, so the rewritten errors file still lists them.
async fn upload_message_batches<X: Transport>(
    s: &BatchSettings,
    t: &X,
    mut pending: PendingRequests,
    state: &mut RemoteState,
    state_file: &Path,
    errors: &mut ErrorsFile,
    printer: &Printer,
) -> anyhow::Result<u64> {
    let limit = message_batches::MAX_REQUESTS_PER_BATCH;
    let split = s.split_requests.unwrap_or(limit).min(limit);
    let mut splitter = message_batches::Splitter::new(split, message_batches::MAX_BYTES_PER_BATCH);
    let mut uploaded = 0u64;
    let mut rejected = 0u64;
    let mut notes_shown = std::collections::HashSet::new();
    loop {
        let next = pending.next_request()?;
        let chunk = match &next {
            Some(req) => match message_batches::params_for(req) {
                Err(reason) => {
                    rejected += 1;
                    if rejected <= super::output::ERRORS_SHOWN as u64 {
                        printer.warn(format!("line {}: {reason}", req.line));
                    }
                    let err = LineError { line: req.line, custom_id: Some(req.custom_id.clone()), reason };
                    errors.line_error(&err)?;
                    continue;
                }
                Ok(_) if req.line <= state.covered_through => continue,
                Ok((params, notes)) => {
                    for note in notes {
                        if printer.verbose > 0 && notes_shown.insert(note.clone()) {
                            printer.verbose(format!("{note} (first on line {})", req.line));
                        }
                    }
                    splitter.push(req, &params)?
                }
            },
            None => std::mem::replace(&mut splitter, message_batches::Splitter::new(1, 1)).finish(),
        };
        if let Some(chunk) = chunk {
            uploaded += chunk.requests as u64;
            let batch = create_message_batch(t, &chunk, printer).await?;
            state.covered_through = chunk.last_line;
            state.batches.push(batch);
            state.save(state_file)?;
        }
        if next.is_none() {
            break;
        }
    }
    if rejected > 0 {
        printer.warn(format!(
            "{rejected} lines cannot be sent to the Message Batches API (in {})",
            errors.path().display()
        ));
    }
    if uploaded > 0 {
        let ids: Vec<&str> = state.batches.iter().map(|b| b.id.as_str()).collect();
        printer.info(format!(
            "submitted {uploaded} requests; batch ids: {} (attach later with --remote-id)",
            ids.join(",")
        ));
    }
    Ok(rejected)
}

async fn create_message_batch<X: Transport>(
    t: &X,
    chunk: &Chunk,
    printer: &Printer,
) -> anyhow::Result<RemoteBatch> {
    let call = ApiCall {
        method: "POST",
        path: BATCHES_PATH.into(),
        content_type: Some("application/json".into()),
        body: message_batches::create_body(chunk),
    };
    let batch: MessageBatch = call_json(t, call).await.context("creating the message batch")?;
    printer.info(format!(
        "batch {} created: {} requests (lines {}-{})",
        batch.id, chunk.requests, chunk.first_line, chunk.last_line
    ));
    Ok(RemoteBatch {
        id: batch.id,
        input_file_id: String::new(),
        requests: chunk.requests as u64,
        first_line: chunk.first_line,
        last_line: chunk.last_line,
        downloaded: false,
    })
}

/// `--remote-id`: attach to existing batches (status, wait, download), or cancel them.
pub async fn attach<X: Transport>(
    s: &BatchSettings,
    t: &X,
    batch_ids: &[String],
    prices: Option<Arc<dyn Prices>>,
    printer: &Printer,
    started: Instant,
) -> anyhow::Result<(Summary, ExitStatus)> {
    let api = BatchApi::of(s);
    let lock = super::resume::lock(&s.output)?;
    let existing = super::resume::prepare(&s.output, false)?;
    if s.cancel {
        for id in batch_ids {
            cancel(api, t, id, printer).await?;
        }
    }
    let mut state = RemoteState {
        batches: batch_ids
            .iter()
            .map(|id| RemoteBatch {
                id: id.clone(),
                input_file_id: String::new(),
                requests: 0,
                first_line: 0,
                last_line: 0,
                downloaded: false,
            })
            .collect(),
        api: Some(api),
        ..RemoteState::default()
    };
    // Error lines already in the errors file are not appended twice on a second attach.
    let mut known_errors = IdSet::new();
    if s.errors.exists() {
        let mut reader = super::input::LineReader::open(&s.errors)?;
        while let Some((_, raw)) = reader.next_line()? {
            if let Ok(ResultLine { custom_id: Some(id), .. }) = serde_json::from_slice(raw) {
                known_errors.push(&id);
            }
        }
    }
    known_errors.seal();
    let seen = SeenIds { existing: &existing, errors: known_errors };
    let ids = Arc::new(super::output::IdGen::new());
    let mut errors = ErrorsFile::new(&s.errors, ids, true);
    let mut results = Results {
        out: LineWriter::append(&s.output)?,
        errors: &mut errors,
        seen: &seen,
        prices: prices.as_deref(),
        tally: Tally::default(),
        printer,
    };
    let outcome = wait_and_download(s, api, t, &mut state, None, &mut results).await?;
    let tally = results.tally;
    drop(lock);
    let counts = Counts { total: state.batches.iter().map(|b| b.requests).sum(), ..Counts::default() };
    finish(s, &counts, tally, outcome, printer, started)
}

struct SeenIds<'a> {
    existing: &'a super::resume::Existing,
    errors: IdSet,
}

impl DoneLookup for SeenIds<'_> {
    fn succeeded(&self, id: &str) -> bool {
        self.existing.succeeded(id)
    }
    fn failed(&self, id: &str) -> bool {
        self.existing.failed(id) || self.errors.contains(id)
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: u64,
    skipped: u64,
    invalid: u64,
    previously_failed: u64,
}

fn report_counts(r: &super::input::ScanReport) -> Counts {
    Counts {
        total: r.valid,
        skipped: r.done + r.prev_failed,
        invalid: r.invalid,
        previously_failed: r.prev_failed,
    }
}

async fn create<X: Transport>(
    t: &X,
    chunk: &Chunk,
    part: usize,
    printer: &Printer,
) -> anyhow::Result<RemoteBatch> {
    let filename = format!("llmkit-batch-part-{part}.jsonl");
    let (content_type, body) = batch_api::multipart_upload(&filename, &chunk.bytes);
    let file: FileObject = call_json(
        t,
        ApiCall { method: "POST", path: "/files".into(), content_type: Some(content_type), body },
    )
    .await
    .context("uploading the batch input")?;
    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert("created_by".to_string(), "llmkit".to_string());
    metadata.insert("lines".to_string(), format!("{}-{}", chunk.first_line, chunk.last_line));
    let create = CreateBatch {
        input_file_id: &file.id,
        endpoint: CHAT_URL,
        completion_window: "24h",
        metadata: Some(metadata),
    };
    let batch: BatchObject =
        call_json(t, ApiCall::post_json("/batches", &create)?).await.context("creating the batch")?;
    printer.info(format!(
        "batch {} created: {} requests (lines {}-{}), file {}",
        batch.id, chunk.requests, chunk.first_line, chunk.last_line, file.id
    ));
    Ok(RemoteBatch {
        id: batch.id,
        input_file_id: file.id,
        requests: chunk.requests as u64,
        first_line: chunk.first_line,
        last_line: chunk.last_line,
        downloaded: false,
    })
}

async fn cancel<X: Transport>(api: BatchApi, t: &X, id: &str, printer: &Printer) -> anyhow::Result<()> {
    let path = match api {
        BatchApi::OpenAi => format!("/batches/{id}/cancel"),
        BatchApi::Anthropic => format!("{BATCHES_PATH}/{id}/cancel"),
    };
    let call = ApiCall { method: "POST", path, content_type: None, body: Vec::new() };
    let answer = match api {
        BatchApi::OpenAi => call_json::<BatchObject, X>(t, call).await.map(|b| b.status.as_str()),
        BatchApi::Anthropic => {
            call_json::<MessageBatch, X>(t, call).await.map(|b| b.processing_status.as_str())
        }
    };
    match answer {
        Ok(status) => {
            printer.info(format!("batch {id}: {status}"));
            Ok(())
        }
        // A batch that already ended cannot be cancelled: not an error for us, its results
        // are still downloaded.
        Err(e) if matches!(e.downcast_ref::<Error>(), Some(Error::Rejected { status: 400 | 409, .. })) => {
            printer.warn(format!("batch {id} was not cancelled: {e:#}"));
            Ok(())
        }
        Err(e) => Err(e.context(format!("cancelling batch {id}"))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waited {
    AllDownloaded,
    Interrupted,
}

async fn wait_and_download<X: Transport>(
    s: &BatchSettings,
    api: BatchApi,
    t: &X,
    state: &mut RemoteState,
    state_file: Option<&Path>,
    results: &mut Results<'_>,
) -> anyhow::Result<Waited> {
    let printer = results.printer;
    let progress = crate::output::progress::bar(
        printer,
        s.no_progress,
        None,
        "{spinner} {pos}/{len} requests done · {msg} · {elapsed}",
    );
    let mut interrupt = std::pin::pin!(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    });
    let mut last_status: Vec<Option<&'static str>> = vec![None; state.batches.len()];
    loop {
        let mut total = 0;
        let mut finished = 0;
        let mut statuses = Vec::new();
        for (i, b) in state.batches.iter_mut().enumerate() {
            if b.downloaded {
                total += b.requests;
                finished += b.requests;
                continue;
            }
            let polled = poll(api, t, &b.id).await.with_context(|| format!("reading batch {}", b.id))?;
            let (status, terminal, batch_total, batch_finished) = polled.progress();
            if batch_total > 0 {
                b.requests = batch_total;
            }
            total += b.requests;
            finished += batch_finished;
            if last_status[i] != Some(status) {
                printer.verbose(format!("batch {}: {status}", b.id));
                last_status[i] = Some(status);
            }
            statuses.push(status);
            if terminal {
                match polled {
                    Polled::OpenAi(obj) => {
                        results.download_openai(t, &obj).await?;
                        if obj.status == BatchStatus::Failed {
                            results.tally.failed += b.requests.saturating_sub(batch_finished);
                        }
                    }
                    Polled::Anthropic(batch) => results.download_anthropic(t, &batch).await?,
                }
                b.downloaded = true;
            }
        }
        if let Some(path) = state_file {
            state.save(path)?;
        }
        progress.set_length(total);
        progress.set_position(finished);
        statuses.sort_unstable();
        statuses.dedup();
        progress.set_message(if statuses.is_empty() {
            "downloading".to_string()
        } else {
            statuses.join(", ")
        });
        if state.batches.iter().all(|b| b.downloaded) {
            progress.finish_and_clear();
            return Ok(Waited::AllDownloaded);
        }
        tokio::select! {
            () = tokio::time::sleep(s.poll_interval) => {}
            () = &mut interrupt => {
                progress.finish_and_clear();
                let ids: Vec<&str> = state.batches.iter().filter(|b| !b.downloaded).map(|b| b.id.as_str()).collect();
                printer.warn(format!(
                    "stopped waiting; the job keeps running. Re-run the same command, or attach with --remote-id {}",
                    ids.join(",")
                ));
                return Ok(Waited::Interrupted);
            }
        }
    }
}

/// A batch's state as its API reports it.
enum Polled {
    OpenAi(BatchObject),
    Anthropic(MessageBatch),
}

impl Polled {
    /// (status, no further change will happen, requests, requests with a result).
    fn progress(&self) -> (&'static str, bool, u64, u64) {
        match self {
            Polled::OpenAi(obj) => {
                let c = obj.request_counts.unwrap_or_default();
                (obj.status.as_str(), obj.status.is_terminal(), c.total, c.completed + c.failed)
            }
            Polled::Anthropic(b) => {
                let c = &b.request_counts;
                (
                    b.processing_status.as_str(),
                    b.processing_status == ProcessingStatus::Ended,
                    c.total(),
                    c.finished(),
                )
            }
        }
    }
}

async fn poll<X: Transport>(api: BatchApi, t: &X, id: &str) -> anyhow::Result<Polled> {
    Ok(match api {
        BatchApi::OpenAi => Polled::OpenAi(call_json(t, ApiCall::get(format!("/batches/{id}"))).await?),
        BatchApi::Anthropic => {
            Polled::Anthropic(call_json(t, ApiCall::get(format!("{BATCHES_PATH}/{id}"))).await?)
        }
    })
}

/// Where downloaded results go: successes to the output, everything else to the errors file,
/// each skipped when an earlier run already wrote its id; counted and priced as they pass.
struct Results<'a> {
    out: LineWriter,
    errors: &'a mut ErrorsFile,
    seen: &'a (dyn DoneLookup + Sync),
    prices: Option<&'a dyn Prices>,
    tally: Tally,
    printer: &'a Printer,
}

impl Results<'_> {
    /// A successful result line (`usage` to count and price at batch rates).
    fn success(
        &mut self,
        id: &str,
        raw: &[u8],
        usage: Option<(&str, &crate::usage::Usage)>,
    ) -> anyhow::Result<()> {
        if self.seen.succeeded(id) {
            return Ok(());
        }
        self.out.write_raw(raw)?;
        self.tally.succeeded += 1;
        if let Some((model, usage)) = usage {
            self.tally.input_tokens += usage.input_tokens;
            self.tally.output_tokens += usage.output_tokens;
            match self.prices.and_then(|p| p.cost(model, usage, true)) {
                Some(c) => self.tally.cost_usd += c,
                None => self.tally.unpriced += 1,
            }
        }
        Ok(())
    }

    /// A failed result line; returns whether it was new (written).
    fn failure(&mut self, id: Option<&str>, raw: &[u8]) -> anyhow::Result<bool> {
        if id.is_some_and(|id| self.seen.failed(id) || self.seen.succeeded(id)) {
            return Ok(false);
        }
        self.errors.write_raw(raw)?;
        self.tally.failed += 1;
        Ok(true)
    }

    /// An ended Message Batch's results, converted to output lines (errored, canceled and
    /// expired requests are failures).
    async fn download_anthropic<X: Transport>(&mut self, t: &X, batch: &MessageBatch) -> anyhow::Result<()> {
        let Some(path) = batch.results_path() else {
            self.printer.warn(format!("batch {} ended without a results_url; nothing to download", batch.id));
            self.tally.failed += batch.request_counts.total();
            return Ok(());
        };
        let mut lines = download_lines(t, path.to_string(), self.out.path())
            .await
            .with_context(|| format!("downloading the results of batch {}", batch.id))?;
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut buf = Vec::new();
        let mut index = 0u64;
        while let Some(raw) = lines.next_line()? {
            let n = index;
            index += 1;
            let Ok(entry) = serde_json::from_slice::<message_batches::ResultEntry>(raw) else {
                self.printer.warn(format!("batch {}: skipped an unreadable result line", batch.id));
                continue;
            };
            let id = entry.custom_id.clone();
            let converted = message_batches::convert(&batch.id, n, created, entry)?;
            buf.clear();
            serde_json::to_writer(&mut buf, &converted.line)?;
            if converted.line.is_success() {
                let usage = converted.usage.as_ref().map(|(model, usage)| (model.as_str(), usage));
                self.success(&id, &buf, usage)?;
            } else if self.failure(Some(&id), &buf)?
                && converted.line.error.as_ref().is_some_and(|e| e.code == message_batches::CANCELED_CODE)
            {
                self.tally.canceled += 1;
            }
        }
        Ok(())
    }

    /// A finished OpenAI batch's output and error files.
    async fn download_openai<X: Transport>(&mut self, t: &X, obj: &BatchObject) -> anyhow::Result<()> {
        if let Some(list) = obj.errors.as_ref().filter(|e| !e.data.is_empty()) {
            self.printer.warn(format!("batch {} failed validation ({} problems):", obj.id, list.data.len()));
            for e in list.data.iter().take(5) {
                let line = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                self.printer.warn(format!("  {line}{}", e.message.as_deref().unwrap_or("(no message)")));
            }
        }
        for file in [&obj.output_file_id, &obj.error_file_id].into_iter().flatten() {
            let mut lines = download_lines(t, format!("/files/{file}/content"), self.out.path())
                .await
                .with_context(|| format!("downloading file {file}"))?;
            while let Some(raw) = lines.next_line()? {
                let Ok(line) = serde_json::from_slice::<ResultLine>(raw) else {
                    self.printer.warn(format!("batch {}: skipped an unreadable result line", obj.id));
                    continue;
                };
                let id = line.custom_id.as_deref();
                match id {
                    Some(id) if line.is_success() => {
                        let body = line.response.as_ref().and_then(|r| r.body.as_ref());
                        let usage = body.and_then(|b| b.usage.as_ref()).map(|u| u.to_usage());
                        let model = body.and_then(|b| b.model.as_deref()).unwrap_or("");
                        self.success(id, raw, usage.as_ref().map(|u| (model, u)))?;
                    }
                    _ => {
                        self.failure(id, raw)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn finish(
    s: &BatchSettings,
    counts: &Counts,
    tally: Tally,
    waited: Waited,
    printer: &Printer,
    started: Instant,
) -> anyhow::Result<(Summary, ExitStatus)> {
    let wall_s = started.elapsed().as_secs_f64();
    let tally_canceled = tally.canceled;
    let summary = Summary {
        total: counts.total.max(tally.succeeded + tally.failed),
        succeeded: tally.succeeded,
        failed: tally.failed,
        skipped: counts.skipped,
        retries: 0,
        rate_limited: 0,
        input_tokens: tally.input_tokens,
        output_tokens: tally.output_tokens,
        cost_usd: (tally.unpriced == 0 || tally.cost_usd > 0.0).then_some(tally.cost_usd),
        wall_s,
        invalid: counts.invalid,
        previously_failed: counts.previously_failed,
        not_started: 0,
        budget_stopped: false,
        request_rate: if wall_s > 0.0 { (tally.succeeded + tally.failed) as f64 / wall_s } else { 0.0 },
        unpriced_requests: tally.unpriced,
    };
    let status = match waited {
        Waited::Interrupted => ExitStatus::Interrupted,
        // Requests the asked-for cancel stopped are not failures of this run.
        Waited::AllDownloaded if s.cancel && summary.failed <= tally_canceled && summary.invalid == 0 => {
            ExitStatus::Success
        }
        Waited::AllDownloaded => summary.exit_status(),
    };
    if tally.failed > 0 {
        printer.info(format!(
            "{} failed requests are in {}; re-run the same command to submit them again",
            tally.failed,
            s.errors.display()
        ));
    }
    Ok((summary, status))
}
