//! What happened to each request ([`RequestRecord`]), and the writers that append records to
//! the usage ledger and to `--record` recordings.
//!
//! Records are returned with every outcome; commands forward them to their own consumers
//! (progress bars, aggregators, output writers). The engine itself writes the ledger and the
//! recording through one writer thread fed by a bounded channel: a slow disk slows the
//! requests down instead of growing memory, and each line is one `write` on an `O_APPEND`
//! file, so concurrent llmkit processes never interleave partial lines.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use tokio::sync::{mpsc, oneshot};

use crate::cli::ProviderKind;
use crate::error::Error;
use crate::output::Printer;
use crate::usage::{LedgerLine, Usage};

/// Why a request failed. The string forms appear in records, ledgers and batch output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Missing key, bad `api_key_cmd`, a request the endpoint's format cannot express.
    Config,
    /// 401/403.
    Auth,
    /// Other 4xx, and 5xx that are not retryable.
    Rejected,
    /// 429 after all retries.
    RateLimited,
    /// Retryable 5xx after all retries.
    Server,
    Timeout,
    Connect,
    /// The stream broke and could not be resumed, or the response was unreadable.
    Stream,
    /// Every endpoint's breaker was open.
    BreakerOpen,
    /// The caller's stream sink failed (e.g. stdout closed).
    Output,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::Rejected => "rejected",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server_error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Stream => "stream",
            ErrorKind::BreakerOpen => "breaker_open",
            ErrorKind::Output => "output",
        }
    }

    /// Failures worth another attempt on the same endpoint.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::Timeout
                | ErrorKind::Connect
                | ErrorKind::Stream
        )
    }

    /// Failures that say the endpoint is unhealthy (counted by the breaker).
    pub fn counts_against_endpoint(self) -> bool {
        matches!(self, ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Connect | ErrorKind::Stream)
    }

    /// The exit code class of DESIGN.md (2 config, 3 auth, 4 rejected, 5 unavailable).
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Config | ErrorKind::Output => 2,
            ErrorKind::Auth => 3,
            ErrorKind::Rejected => 4,
            _ => 5,
        }
    }
}

/// Everything measured about one request (all attempts, all endpoints).
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The caller's id (batch `custom_id`) or one of ours (`req-N`).
    pub id: String,
    /// t0: the caller's scheduled instant, else when `execute`/`stream` was called.
    pub start: Instant,
    /// Wall-clock time of `start` (for ledgers).
    pub started_at: SystemTime,
    /// When the request left after rate limiting (first attempt).
    pub sent: Option<Instant>,
    /// First stream chunk of any kind (response started).
    pub first_byte: Option<Instant>,
    /// First chunk that carried output (TTFT is measured to here).
    pub first_output: Option<Instant>,
    pub end: Instant,
    /// HTTP status of the last attempt; `None` when no response arrived.
    pub status: Option<u16>,
    /// Attempts after the first, over all endpoints.
    pub retries: u32,
    /// 429 answers seen.
    pub rate_limited: u32,
    /// Streams resumed after a break (continuations).
    pub resumed: u32,
    pub usage: Option<Usage>,
    /// USD at standard rates from the price table; `None` for unpriced models; 0 for cache
    /// hits.
    pub cost_usd: Option<f64>,
    pub error: Option<ErrorKind>,
    pub error_message: Option<String>,
    /// The profile that answered (or the last one tried).
    pub profile: String,
    pub provider: ProviderKind,
    pub url: String,
    /// The model that answered (response's `model`), else the requested one.
    pub model: String,
    pub cache_hit: bool,
    pub stream: bool,
    /// Name of the key's source (env var or `api_key_cmd`), never the key.
    pub key_name: Option<String>,
    pub user: Option<String>,
}

impl RequestRecord {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// Time to first output token, from t0.
    pub fn ttft(&self) -> Option<Duration> {
        self.first_output.map(|t| t.saturating_duration_since(self.start))
    }

    /// End-to-end latency from t0.
    pub fn latency(&self) -> Duration {
        self.end.saturating_duration_since(self.start)
    }

    /// The ledger line for this record (no bodies).
    pub fn ledger_line(&self, command: &str, run_start: Instant) -> LedgerLine {
        LedgerLine {
            ts: rfc3339(self.started_at),
            offset_ms: Some(ms(self.start.saturating_duration_since(run_start))),
            provider: provider_name(self.provider).to_string(),
            profile: Some(self.profile.clone()),
            url: self.url.clone(),
            model: self.model.clone(),
            command: (!command.is_empty()).then(|| command.to_string()),
            id: Some(self.id.clone()),
            status: self.status,
            usage: self.usage,
            cost_usd: if self.cache_hit { Some(0.0) } else { self.cost_usd },
            latency_ms: Some(ms(self.latency())),
            ttft_ms: self.ttft().map(ms),
            retries: self.retries,
            error: self.error.map(|k| match &self.error_message {
                Some(m) => format!("{}: {m}", k.as_str()),
                None => k.as_str().to_string(),
            }),
            user: self.user.clone(),
            project: None,
            key_name: self.key_name.clone(),
            cache_hit: self.cache_hit,
            batch: false,
            request: None,
            response: None,
        }
    }
}

pub fn provider_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Openai => "openai",
        ProviderKind::Anthropic => "anthropic",
        ProviderKind::Azure => "azure",
        ProviderKind::Mock => "mock",
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// RFC 3339 UTC with millisecond precision.
pub fn rfc3339(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => format!("{:.3}", ts),
        Err(_) => String::new(),
    }
}

enum WriterMsg {
    Lines { ledger: Option<Vec<u8>>, recording: Option<Vec<u8>> },
    Flush(oneshot::Sender<()>),
}

/// The writer thread's handle. Cloned into the engine; the thread ends when every clone is
/// dropped. Call [`RecordWriter::flush`] before exiting so the last lines are on disk.
#[derive(Debug, Clone)]
pub struct RecordWriter {
    tx: mpsc::Sender<WriterMsg>,
    pub ledger: bool,
    pub recording: bool,
}

impl std::fmt::Debug for WriterMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterMsg")
    }
}

/// Lines waiting for the disk at most (back-pressure beyond this).
const QUEUE: usize = 1024;

impl RecordWriter {
    /// Open the files (creating parent directories) and start the writer thread. Returns
    /// `None` when there is nothing to write.
    pub fn start(
        ledger: Option<&Path>,
        recording: Option<&Path>,
        printer: Printer,
    ) -> anyhow::Result<Option<RecordWriter>> {
        if ledger.is_none() && recording.is_none() {
            return Ok(None);
        }
        let ledger_file = match ledger {
            Some(p) => Some((
                p.to_path_buf(),
                open_append(p).context("cannot open the usage ledger (set LLMKIT_LEDGER, or --no-ledger)")?,
            )),
            None => None,
        };
        let recording_file = match recording {
            Some(p) => Some((
                p.to_path_buf(),
                open_append(p).map_err(|e| Error::usage(format!("--record {}: {e:#}", p.display())))?,
            )),
            None => None,
        };
        let (tx, mut rx) = mpsc::channel::<WriterMsg>(QUEUE);
        let writer = RecordWriter { tx, ledger: ledger_file.is_some(), recording: recording_file.is_some() };
        std::thread::Builder::new().name("llmkit-records".into()).spawn(move || {
            let mut ledger_file = ledger_file;
            let mut recording_file = recording_file;
            while let Some(msg) = rx.blocking_recv() {
                match msg {
                    WriterMsg::Lines { ledger, recording } => {
                        write_line(&mut ledger_file, ledger, &printer);
                        write_line(&mut recording_file, recording, &printer);
                    }
                    WriterMsg::Flush(done) => {
                        let _ = done.send(());
                    }
                }
            }
        })?;
        Ok(Some(writer))
    }

    /// Queue one exchange. `ledger` and `recording` are complete JSON lines (with `\n`).
    pub async fn write(&self, ledger: Option<Vec<u8>>, recording: Option<Vec<u8>>) {
        // The thread only stops when every sender is gone, so a send cannot fail while we
        // hold one; if it did, losing a ledger line beats failing the request.
        let _ = self.tx.send(WriterMsg::Lines { ledger, recording }).await;
    }

    /// Wait until everything queued so far is written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(WriterMsg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

fn open_append(path: &Path) -> anyhow::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} for appending", path.display()))
}

fn write_line(file: &mut Option<(PathBuf, File)>, line: Option<Vec<u8>>, printer: &Printer) {
    let (Some((path, f)), Some(line)) = (file.as_mut(), line) else { return };
    // One write call per line: O_APPEND makes it land whole after any other writer's line.
    if let Err(e) = f.write_all(&line) {
        printer.warn(format!("cannot append to {}: {e}; further lines are dropped", path.display()));
        *file = None;
    }
}

/// Serialize a line followed by `\n`.
pub fn json_line<T: serde::Serialize>(value: &T) -> Option<Vec<u8>> {
    let mut buf = serde_json::to_vec(value).ok()?;
    buf.push(b'\n');
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RequestRecord {
        let now = Instant::now();
        RequestRecord {
            id: "r1".into(),
            start: now,
            started_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            sent: Some(now),
            first_byte: None,
            first_output: Some(now + Duration::from_millis(20)),
            end: now + Duration::from_millis(50),
            status: Some(200),
            retries: 1,
            rate_limited: 0,
            resumed: 0,
            usage: Some(Usage { input_tokens: 3, output_tokens: 4, ..Usage::default() }),
            cost_usd: None,
            error: None,
            error_message: None,
            profile: "p".into(),
            provider: ProviderKind::Openai,
            url: "http://x/v1/chat/completions".into(),
            model: "m".into(),
            cache_hit: false,
            stream: true,
            key_name: Some("OPENAI_API_KEY".into()),
            user: None,
        }
    }

    #[test]
    fn ledger_lines_carry_timings_and_no_bodies() {
        let r = record();
        let line = r.ledger_line("chat", r.start);
        assert_eq!(line.ts, "2023-11-14T22:13:20.000Z");
        assert_eq!(line.latency_ms, Some(50.0));
        assert_eq!(line.ttft_ms, Some(20.0));
        assert_eq!(line.offset_ms, Some(0.0));
        assert_eq!(line.command.as_deref(), Some("chat"));
        assert!(line.request.is_none() && line.response.is_none());
        let mut hit = r.clone();
        hit.cache_hit = true;
        assert_eq!(hit.ledger_line("chat", r.start).cost_usd, Some(0.0), "cache hits cost nothing");
    }

    #[test]
    fn error_kinds_map_to_exit_classes() {
        assert_eq!(ErrorKind::Auth.exit_code(), 3);
        assert_eq!(ErrorKind::Rejected.exit_code(), 4);
        assert_eq!(ErrorKind::RateLimited.exit_code(), 5);
        assert_eq!(ErrorKind::Config.exit_code(), 2);
        assert!(ErrorKind::Timeout.is_transient() && !ErrorKind::Auth.is_transient());
        assert!(!ErrorKind::RateLimited.counts_against_endpoint());
    }

    #[tokio::test]
    async fn writer_appends_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("sub/usage.jsonl");
        let w = RecordWriter::start(Some(&ledger), None, Printer::silent()).unwrap().unwrap();
        for i in 0..100 {
            w.write(json_line(&serde_json::json!({ "i": i })), None).await;
        }
        w.flush().await;
        let text = std::fs::read_to_string(&ledger).unwrap();
        assert_eq!(text.lines().count(), 100);
        assert!(text.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    }
}
