//! Batch output: the OpenAI Batch API output line, the append-only writers of the output and
//! errors files, our own request ids, and the reorder buffer behind `--ordered`.
//!
//! Every line is serialized into a buffer and handed to the kernel in one `write` on a file
//! opened for appending, right when its result is known. A `kill -9` therefore loses nothing
//! that was written and can at worst leave one torn last line, which `resume` cuts off.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::input::LineError;

/// One line of an output or errors file, in the OpenAI Batch API output format. The errors
/// file adds `line` (the input line number) to lines that never ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputLine {
    pub id: String,
    pub custom_id: Option<String>,
    pub response: Option<ResponsePart>,
    pub error: Option<ErrorPart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// The HTTP answer of a request (success or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsePart {
    pub status_code: u16,
    pub request_id: String,
    /// The server's body, untouched.
    pub body: Value,
}

/// Why a request has no usable answer (no HTTP response at all, or a line that never ran).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorPart {
    pub code: String,
    pub message: String,
}

impl OutputLine {
    /// True when the line records a success: a 2xx response and no error.
    pub fn is_success(&self) -> bool {
        self.error.is_none() && self.response.as_ref().is_some_and(|r| (200..300).contains(&r.status_code))
    }

    /// The errors-file line for an input line that cannot run.
    pub fn invalid(id: String, err: &LineError) -> Self {
        OutputLine {
            id,
            custom_id: err.custom_id.clone(),
            response: None,
            error: Some(ErrorPart {
                code: "invalid_request_line".into(),
                message: format!("line {}: {}", err.line, err.reason),
            }),
            line: Some(err.line),
        }
    }
}

/// Ids of our own for local runs: `llmkit_<run>_<n>`, never `batch_req_` (those mark lines
/// a provider's Batch API answered, which `cost report` prices at batch rates).
#[derive(Debug)]
pub struct IdGen {
    run: String,
    next: std::sync::atomic::AtomicU64,
}

impl IdGen {
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let run = super::ids::fnv1a64(format!("{nanos}-{}", std::process::id()).as_bytes());
        IdGen { run: format!("{:012x}", run & 0xffff_ffff_ffff), next: 0.into() }
    }

    pub fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("llmkit_{}_{n}", self.run)
    }
}

impl Default for IdGen {
    fn default() -> Self {
        IdGen::new()
    }
}

/// An append-only JSONL file written one whole line per `write` call.
pub struct LineWriter {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
}

impl LineWriter {
    /// Open for appending (created if missing).
    pub fn append(path: &Path) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        Ok(LineWriter { path: path.to_path_buf(), file, buf: Vec::with_capacity(4096) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serialize and append one line with a single write.
    pub fn write<T: Serialize>(&mut self, line: &T) -> anyhow::Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, line)?;
        self.buf.push(b'\n');
        self.write_raw_line()
    }

    /// Append an already serialized line (a trailing newline is added when missing).
    pub fn write_raw(&mut self, raw: &[u8]) -> anyhow::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(raw);
        if self.buf.last() != Some(&b'\n') {
            self.buf.push(b'\n');
        }
        self.write_raw_line()
    }

    fn write_raw_line(&mut self) -> anyhow::Result<()> {
        self.file.write_all(&self.buf).with_context(|| format!("writing {}", self.path.display()))
    }

    /// Flush to disk (end of run; not needed for kill -9 safety, which the page cache gives).
    pub fn sync(&self) -> anyhow::Result<()> {
        self.file.sync_data().with_context(|| format!("syncing {}", self.path.display()))
    }
}

/// The errors file: validation errors (and, in --remote mode, the provider's error lines).
/// Created on the first error, so a clean run leaves no empty file behind.
pub struct ErrorsFile {
    path: PathBuf,
    writer: Option<LineWriter>,
    ids: std::sync::Arc<IdGen>,
    /// Errors written (also counted when the file is not written, in --dry-run).
    pub count: u64,
    /// The first few, for the terminal.
    pub first: Vec<LineError>,
    write: bool,
}

/// How many validation errors are repeated on stderr.
pub const ERRORS_SHOWN: usize = 5;

impl ErrorsFile {
    /// `write = false` (dry run) only counts and keeps the first few.
    pub fn new(path: &Path, ids: std::sync::Arc<IdGen>, write: bool) -> Self {
        ErrorsFile { path: path.to_path_buf(), writer: None, ids, count: 0, first: Vec::new(), write }
    }

    /// Remove the errors file of an earlier run: validation runs again and rewrites it.
    pub fn reset(&self) -> anyhow::Result<()> {
        if !self.write {
            return Ok(());
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("removing stale {}", self.path.display())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&mut self) -> anyhow::Result<&mut LineWriter> {
        if self.writer.is_none() {
            self.writer = Some(LineWriter::append(&self.path)?);
        }
        match self.writer.as_mut() {
            Some(w) => Ok(w),
            None => anyhow::bail!("errors file {} is not open", self.path.display()),
        }
    }

    /// Append a raw line (a provider's error file line).
    pub fn write_raw(&mut self, raw: &[u8]) -> anyhow::Result<()> {
        self.count += 1;
        if self.write {
            self.writer()?.write_raw(raw)?;
        }
        Ok(())
    }
}

impl super::input::ErrorSink for ErrorsFile {
    fn line_error(&mut self, err: &LineError) -> anyhow::Result<()> {
        self.count += 1;
        if self.first.len() < ERRORS_SHOWN {
            self.first.push(err.clone());
        }
        if self.write {
            let line = OutputLine::invalid(self.ids.next_id(), err);
            self.writer()?.write(&line)?;
        }
        Ok(())
    }
}

/// Holds results that finished early until every earlier one is written (`--ordered`).
/// It is bounded by the runner, which starts request `s` only once `s - window` is written.
#[derive(Debug)]
pub struct Reorder<T> {
    next: u64,
    waiting: BTreeMap<u64, T>,
}

impl<T> Reorder<T> {
    pub fn new() -> Self {
        Reorder { next: 0, waiting: BTreeMap::new() }
    }

    /// Add result `seq`; returns the results now ready, in order.
    pub fn push(&mut self, seq: u64, item: T) -> Vec<T> {
        self.waiting.insert(seq, item);
        let mut ready = Vec::new();
        while let Some(item) = self.waiting.remove(&self.next) {
            ready.push(item);
            self.next += 1;
        }
        ready
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

impl<T> Default for Reorder<T> {
    fn default() -> Self {
        Reorder::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn output_lines_have_the_openai_shape() {
        let line = OutputLine {
            id: "llmkit_x_0".into(),
            custom_id: Some("a".into()),
            response: Some(ResponsePart { status_code: 200, request_id: "r1".into(), body: json!({"ok":1}) }),
            error: None,
            line: None,
        };
        let s = serde_json::to_string(&line).unwrap();
        assert_eq!(
            s,
            r#"{"id":"llmkit_x_0","custom_id":"a","response":{"status_code":200,"request_id":"r1","body":{"ok":1}},"error":null}"#
        );
        assert!(line.is_success());
        let failed = OutputLine {
            response: Some(ResponsePart { status_code: 500, request_id: "r".into(), body: json!({}) }),
            ..line.clone()
        };
        assert!(!failed.is_success());
        let dropped = OutputLine {
            response: None,
            error: Some(ErrorPart { code: "connection_error".into(), message: "reset".into() }),
            ..line
        };
        assert!(!dropped.is_success());
    }

    #[test]
    fn our_ids_are_not_batch_api_ids() {
        let ids = IdGen::new();
        let a = ids.next_id();
        let b = ids.next_id();
        assert!(a.starts_with("llmkit_") && !a.starts_with("batch_req_"));
        assert_ne!(a, b);
    }

    #[test]
    fn reorder_releases_in_sequence() {
        let mut r = Reorder::new();
        assert!(r.push(2, 'c').is_empty());
        assert!(r.push(1, 'b').is_empty());
        assert_eq!(r.waiting(), 2);
        assert_eq!(r.push(0, 'a'), ['a', 'b', 'c']);
        assert_eq!(r.push(3, 'd'), ['d']);
        assert_eq!(r.waiting(), 0);
    }

    #[test]
    fn writer_appends_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        std::fs::write(&p, "{\"old\":1}\n").unwrap();
        let mut w = LineWriter::append(&p).unwrap();
        w.write(&json!({"a":1})).unwrap();
        w.write_raw(b"{\"b\":2}").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"old\":1}\n{\"a\":1}\n{\"b\":2}\n");
    }

    #[test]
    fn errors_file_is_created_only_when_needed() {
        use crate::commands::batch::input::ErrorSink;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.jsonl");
        let ids = std::sync::Arc::new(IdGen::new());
        let mut e = ErrorsFile::new(&p, ids.clone(), true);
        assert!(!p.exists());
        e.line_error(&LineError { line: 4, custom_id: None, reason: "invalid JSON".into() }).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let back: OutputLine = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(back.line, Some(4));
        assert_eq!(back.error.unwrap().message, "line 4: invalid JSON");
        let mut dry = ErrorsFile::new(&dir.path().join("dry.jsonl"), ids, false);
        dry.line_error(&LineError { line: 1, custom_id: None, reason: "x".into() }).unwrap();
        assert_eq!(dry.count, 1);
        assert!(!dir.path().join("dry.jsonl").exists());
    }
}
