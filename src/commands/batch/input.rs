//! Batch input: streaming line reader, the line parser, and the validation scan.
//!
//! A batch file can hold millions of lines, so nothing here keeps the file in memory: lines are
//! read one at a time into a reused buffer, and the scan remembers ids only as 8-byte digests
//! (see `ids`). The same parser runs in the validation scan and again when requests are sent,
//! so both passes always agree on which lines are valid and what their `custom_id` is.
//!
//! Accepted lines (DESIGN.md "Files"):
//! - OpenAI Batch API: `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`
//! - shorthand: `{"custom_id"?, "messages": [...], ...}` or `{"custom_id"?, "prompt": "..."}`;
//!   every other key becomes a body field (`model`, `max_tokens`, `temperature`, ...)
//! - `--text`: each line is one prompt.
//!
//! Shorthand and text lines without a `custom_id` get `line-<N>` (N = 1-based physical line
//! number), stable as long as the file is unchanged, so resume works for them too.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use serde_json::{Map, Value};

use super::ids::{digest, IdSet, Shard};
use crate::error::Error;

/// The only endpoint a local batch line may target.
pub const CHAT_URL: &str = "/v1/chat/completions";

/// How input lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// JSON lines (Batch API or shorthand, mixed freely).
    Jsonl,
    /// One prompt per line (`--text`).
    Text,
}

/// What `-m` and `--system` fill in on lines that lack them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineDefaults {
    pub model: Option<String>,
    pub system: Option<String>,
}

/// One valid request: its line, its id and the chat-completions body to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub line: u64,
    pub custom_id: String,
    pub body: Value,
}

/// A line that cannot run, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    pub line: u64,
    pub custom_id: Option<String>,
    pub reason: String,
}

impl LineError {
    fn new(line: u64, custom_id: Option<String>, reason: impl Into<String>) -> Self {
        LineError { line, custom_id, reason: reason.into() }
    }

    /// The id the shard decision uses: the line's own, else the generated one.
    pub fn shard_key(&self) -> String {
        self.custom_id.clone().unwrap_or_else(|| generated_id(self.line))
    }
}

/// The id given to a shorthand or text line that has none.
pub fn generated_id(line: u64) -> String {
    format!("line-{line}")
}

/// Reads lines one at a time into a reused buffer, counting physical lines (1-based) and
/// stripping the line ending (`\n` or `\r\n`).
pub struct LineReader<R> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    line_no: u64,
}

impl LineReader<File> {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path)
            .with_context(|| format!("cannot open batch input {}", path.display()))
            .map_err(|e| Error::usage(format!("{e:#}")))?;
        Ok(LineReader::new(file))
    }
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader { inner: BufReader::with_capacity(256 * 1024, inner), buf: Vec::new(), line_no: 0 }
    }

    /// The next line and its number, or `None` at end of input.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        if self.inner.read_until(b'\n', &mut self.buf)? == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        Ok(Some((self.line_no, &self.buf[..end])))
    }
}

/// A JSON input line, typed as far as llmkit cares; everything else passes through.
#[derive(Deserialize)]
struct InputLine {
    #[serde(default)]
    custom_id: Option<Value>,
    #[serde(default)]
    method: Option<Value>,
    #[serde(default)]
    url: Option<Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    prompt: Option<Value>,
    /// Shorthand lines: `messages` and every body field; Batch API lines: ignored.
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// Parse one physical line. `Ok(None)` for blank lines, which are skipped without complaint.
pub fn parse_line(
    line: u64,
    raw: &[u8],
    format: InputFormat,
    defaults: &LineDefaults,
) -> Result<Option<Request>, LineError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let (custom_id, body) = match format {
        InputFormat::Text => {
            let prompt = std::str::from_utf8(raw)
                .map_err(|_| LineError::new(line, None, "line is not valid UTF-8"))?;
            (generated_id(line), prompt_body(prompt))
        }
        InputFormat::Jsonl => parse_json_line(line, raw)?,
    };
    let body = complete_body(line, &custom_id, body, defaults)?;
    Ok(Some(Request { line, custom_id, body }))
}

fn prompt_body(prompt: &str) -> Map<String, Value> {
    let mut msg = Map::new();
    msg.insert("role".into(), Value::String("user".into()));
    msg.insert("content".into(), Value::String(prompt.to_string()));
    let mut body = Map::new();
    body.insert("messages".into(), Value::Array(vec![Value::Object(msg)]));
    body
}

fn parse_json_line(line: u64, raw: &[u8]) -> Result<(String, Map<String, Value>), LineError> {
    let parsed: InputLine = match serde_json::from_slice(raw) {
        Ok(p) => p,
        Err(e) if e.is_data() => {
            // Valid JSON of the wrong shape (an array, a string, ...).
            return Err(LineError::new(line, None, format!("not a JSON object: {e}")));
        }
        Err(e) => return Err(LineError::new(line, None, format!("invalid JSON: {e}"))),
    };
    let InputLine { custom_id, method, url, body, prompt, mut rest } = parsed;
    let custom_id = match custom_id {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(_) => return Err(LineError::new(line, None, "custom_id must be a non-empty string")),
    };
    let err = |reason: String| LineError::new(line, custom_id.clone(), reason);
    let is_batch_line = body.is_some() || method.is_some() || url.is_some();
    if is_batch_line {
        if prompt.is_some() || rest.contains_key("messages") {
            return Err(err(
                "has both `body` and shorthand `messages`/`prompt`: use one form per line".into()
            ));
        }
        let Some(id) = custom_id.clone() else {
            return Err(err("missing custom_id (required on Batch API lines)".into()));
        };
        match method {
            Some(Value::String(m)) if m == "POST" => {}
            Some(Value::String(m)) => return Err(err(format!("method must be POST, got `{m}`"))),
            Some(_) => return Err(err("method must be the string \"POST\"".into())),
            None => return Err(err("missing method (expected \"POST\")".into())),
        }
        match url {
            Some(Value::String(u)) if u == CHAT_URL => {}
            Some(Value::String(u)) => {
                return Err(err(format!(
                    "url must be {CHAT_URL}, got `{u}` (only chat completions are supported)"
                )))
            }
            Some(_) => return Err(err(format!("url must be the string \"{CHAT_URL}\""))),
            None => return Err(err(format!("missing url (expected \"{CHAT_URL}\")"))),
        }
        return match body {
            Some(Value::Object(b)) => Ok((id, b)),
            Some(Value::Null) | None => Err(err("missing body".into())),
            Some(_) => Err(err("body must be a JSON object".into())),
        };
    }
    let id = custom_id.clone().unwrap_or_else(|| generated_id(line));
    match prompt {
        Some(_) if rest.contains_key("messages") => {
            Err(err("has both `messages` and `prompt`: give one".into()))
        }
        Some(Value::String(p)) => {
            let mut body = prompt_body(&p);
            for (k, v) in rest {
                body.insert(k, v);
            }
            Ok((id, body))
        }
        Some(_) => Err(err("prompt must be a string".into())),
        None if rest.contains_key("messages") => {
            // Keep `messages` first in the body, as people write it.
            let mut body = Map::new();
            if let Some(m) = rest.remove("messages") {
                body.insert("messages".into(), m);
            }
            body.extend(rest);
            Ok((id, body))
        }
        None => Err(err("missing body: give `messages`, `prompt`, or a Batch API `body`".into())),
    }
}

/// Check the body's messages and model, and fill `-m` / `--system` where the line lacks them.
fn complete_body(
    line: u64,
    custom_id: &str,
    mut body: Map<String, Value>,
    defaults: &LineDefaults,
) -> Result<Value, LineError> {
    let err = |reason: String| LineError::new(line, Some(custom_id.to_string()), reason);
    let messages = match body.get_mut("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(_) => return Err(err("messages must be a non-empty array".into())),
        None => return Err(err("body has no messages".into())),
    };
    for (i, m) in messages.iter().enumerate() {
        let has_role = m.as_object().and_then(|o| o.get("role")).is_some_and(Value::is_string);
        if !has_role {
            return Err(err(format!("messages[{i}] must be an object with a string `role`")));
        }
    }
    if let Some(system) = &defaults.system {
        let first_role = messages.first().and_then(|m| m.get("role")).and_then(Value::as_str);
        if !matches!(first_role, Some("system" | "developer")) {
            let mut msg = Map::new();
            msg.insert("role".into(), Value::String("system".into()));
            msg.insert("content".into(), Value::String(system.clone()));
            messages.insert(0, Value::Object(msg));
        }
    }
    match body.get("model") {
        Some(Value::String(m)) if !m.is_empty() => {}
        Some(Value::Null) | None => match &defaults.model {
            Some(m) => {
                body.insert("model".into(), Value::String(m.clone()));
            }
            None => {
                return Err(err(
                    "no model: the line sets none and no -m/--model or profile model is set".into()
                ))
            }
        },
        Some(_) => return Err(err("model must be a non-empty string".into())),
    }
    let body = Value::Object(body);
    // The engine sends typed bodies: a field of the wrong type (`"max_tokens": "ten"`) is
    // caught here, before any request, rather than failing that one request later.
    if let Err(e) = crate::provider::ChatBody::deserialize(&body) {
        return Err(err(format!("body: {e}")));
    }
    Ok(body)
}

/// What the scan learned, before any request is sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// Non-blank lines read (all shards).
    pub lines: u64,
    /// Valid requests of this shard (duplicates excluded).
    pub valid: u64,
    /// Lines of this shard that cannot run (written to the errors file).
    pub invalid: u64,
    /// Valid requests already answered with a success in the output (skipped).
    pub done: u64,
    /// Valid requests whose earlier failure is in the output and is kept (no --retry-failed).
    pub prev_failed: u64,
    /// Valid requests to send now.
    pub to_run: u64,
    /// Lines left to other shards.
    pub other_shards: u64,
    /// Line numbers of duplicate `custom_id`s (ascending); the first occurrence runs.
    pub duplicate_lines: Vec<u64>,
}

/// What is already in the output, by id.
pub trait DoneLookup {
    fn succeeded(&self, id: &str) -> bool;
    fn failed(&self, id: &str) -> bool;
}

/// Where validation errors go.
pub trait ErrorSink {
    fn line_error(&mut self, err: &LineError) -> anyhow::Result<()>;
}

impl ErrorSink for Vec<LineError> {
    fn line_error(&mut self, err: &LineError) -> anyhow::Result<()> {
        self.push(err.clone());
        Ok(())
    }
}

/// The settings both passes over the input share.
#[derive(Debug, Clone)]
pub struct InputSpec {
    pub path: std::path::PathBuf,
    pub format: InputFormat,
    pub defaults: LineDefaults,
    pub shard: Option<Shard>,
}

impl InputSpec {
    fn in_shard(&self, id: &str) -> bool {
        self.shard.is_none_or(|s| s.contains(id))
    }
}

/// Validate the whole input (streaming): every bad line of this shard goes to `errors` with its
/// line number and reason; counts what will run. Duplicates are found from digests and
/// confirmed by comparing the ids themselves in a second, targeted pass (only when some digest
/// repeats), so memory stays at 8 bytes per id.
pub fn scan(
    spec: &InputSpec,
    done: &dyn DoneLookup,
    errors: &mut dyn ErrorSink,
) -> anyhow::Result<ScanReport> {
    let mut report = ScanReport::default();
    let mut ids = IdSet::new();
    let mut reader = LineReader::open(&spec.path)?;
    while let Some((line, raw)) = reader.next_line().with_context(|| read_ctx(&spec.path))? {
        match parse_line(line, raw, spec.format, &spec.defaults) {
            Ok(None) => {}
            Ok(Some(req)) => {
                report.lines += 1;
                if !spec.in_shard(&req.custom_id) {
                    report.other_shards += 1;
                    continue;
                }
                ids.push(&req.custom_id);
                report.valid += 1;
                count_state(&mut report, done, &req.custom_id, 1);
            }
            Err(e) => {
                report.lines += 1;
                if !spec.in_shard(&e.shard_key()) {
                    report.other_shards += 1;
                    continue;
                }
                report.invalid += 1;
                errors.line_error(&e)?;
            }
        }
    }
    let repeats = ids.seal_returning_repeats();
    drop(ids);
    if !repeats.is_empty() {
        confirm_duplicates(spec, &repeats, done, errors, &mut report)?;
    }
    Ok(report)
}

fn count_state(report: &mut ScanReport, done: &dyn DoneLookup, id: &str, delta: i64) {
    let slot = if done.succeeded(id) {
        &mut report.done
    } else if done.failed(id) {
        &mut report.prev_failed
    } else {
        &mut report.to_run
    };
    *slot = slot.saturating_add_signed(delta);
}

fn confirm_duplicates(
    spec: &InputSpec,
    repeats: &[u64],
    done: &dyn DoneLookup,
    errors: &mut dyn ErrorSink,
    report: &mut ScanReport,
) -> anyhow::Result<()> {
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut reader = LineReader::open(&spec.path)?;
    while let Some((line, raw)) = reader.next_line().with_context(|| read_ctx(&spec.path))? {
        let Ok(Some(req)) = parse_line(line, raw, spec.format, &spec.defaults) else { continue };
        if repeats.binary_search(&digest(&req.custom_id)).is_err() || !spec.in_shard(&req.custom_id) {
            continue;
        }
        match first_line.get(&req.custom_id) {
            Some(first) => {
                let reason = format!("duplicate custom_id `{}` (first on line {first})", req.custom_id);
                errors.line_error(&LineError::new(line, Some(req.custom_id.clone()), reason))?;
                report.duplicate_lines.push(line);
                report.valid -= 1;
                report.invalid += 1;
                count_state(report, done, &req.custom_id, -1);
            }
            None => {
                first_line.insert(req.custom_id, line);
            }
        }
    }
    Ok(())
}

fn read_ctx(path: &Path) -> String {
    format!("reading batch input {}", path.display())
}

/// The requests to send, in input order: valid, in this shard, not a duplicate, and not
/// already in the output. Parses each line again with the same parser as [`scan`], so the two
/// passes agree. Owns what it needs so it can run on its own thread.
pub struct PendingRequests {
    spec: InputSpec,
    reader: LineReader<File>,
    duplicate_lines: Vec<u64>,
    done: std::sync::Arc<dyn DoneLookup + Send + Sync>,
}

impl PendingRequests {
    pub fn open(
        spec: &InputSpec,
        report: &ScanReport,
        done: std::sync::Arc<dyn DoneLookup + Send + Sync>,
    ) -> anyhow::Result<Self> {
        Ok(PendingRequests {
            spec: spec.clone(),
            reader: LineReader::open(&spec.path)?,
            duplicate_lines: report.duplicate_lines.clone(),
            done,
        })
    }

    /// The next request to send, or `None` at the end.
    pub fn next_request(&mut self) -> anyhow::Result<Option<Request>> {
        loop {
            let Some((line, raw)) = self.reader.next_line().with_context(|| read_ctx(&self.spec.path))?
            else {
                return Ok(None);
            };
            let Ok(Some(req)) = parse_line(line, raw, self.spec.format, &self.spec.defaults) else {
                continue;
            };
            if !self.spec.in_shard(&req.custom_id)
                || self.duplicate_lines.binary_search(&line).is_ok()
                || self.done.succeeded(&req.custom_id)
                || self.done.failed(&req.custom_id)
            {
                continue;
            }
            return Ok(Some(req));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> LineDefaults {
        LineDefaults { model: Some("gpt-4o-mini".into()), system: None }
    }

    fn parse(raw: &str) -> Result<Option<Request>, LineError> {
        parse_line(7, raw.as_bytes(), InputFormat::Jsonl, &defaults())
    }

    fn reason(raw: &str) -> String {
        parse(raw).unwrap_err().reason
    }

    #[test]
    fn batch_api_lines_pass_through_untouched() {
        let raw = r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.2}}"#;
        let req = parse(raw).unwrap().unwrap();
        assert_eq!(req.custom_id, "a");
        assert_eq!(req.line, 7);
        assert_eq!(
            req.body,
            json!({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.2})
        );
    }

    #[test]
    fn shorthand_lines_become_bodies_and_get_stable_ids() {
        let req = parse(r#"{"prompt":"hello","max_tokens":5}"#).unwrap().unwrap();
        assert_eq!(req.custom_id, "line-7");
        assert_eq!(
            req.body,
            json!({"messages":[{"role":"user","content":"hello"}],"max_tokens":5,"model":"gpt-4o-mini"})
        );
        let req = parse(r#"{"custom_id":"x","messages":[{"role":"user","content":"q"}],"model":"m2"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(req.custom_id, "x");
        assert_eq!(req.body, json!({"messages":[{"role":"user","content":"q"}],"model":"m2"}));
    }

    #[test]
    fn text_lines_are_prompts() {
        let d = defaults();
        let req = parse_line(3, b"what is 2+2?", InputFormat::Text, &d).unwrap().unwrap();
        assert_eq!(req.custom_id, "line-3");
        assert_eq!(req.body["messages"][0]["content"], "what is 2+2?");
        // A JSON-looking line is still just text.
        let req = parse_line(4, br#"{"a":1}"#, InputFormat::Text, &d).unwrap().unwrap();
        assert_eq!(req.body["messages"][0]["content"], r#"{"a":1}"#);
        assert_eq!(parse_line(5, b"   ", InputFormat::Text, &d), Ok(None));
        assert!(parse_line(6, b"\xff\xfe", InputFormat::Text, &d).is_err());
    }

    #[test]
    fn system_and_model_fill_only_what_is_missing() {
        let d = LineDefaults { model: Some("dflt".into()), system: Some("be brief".into()) };
        let req = parse_line(1, br#"{"prompt":"p"}"#, InputFormat::Jsonl, &d).unwrap().unwrap();
        assert_eq!(req.body["messages"][0], json!({"role":"system","content":"be brief"}));
        assert_eq!(req.body["model"], "dflt");
        let raw = br#"{"model":"mine","messages":[{"role":"system","content":"own"},{"role":"user","content":"u"}]}"#;
        let req = parse_line(1, raw, InputFormat::Jsonl, &d).unwrap().unwrap();
        assert_eq!(req.body["messages"].as_array().unwrap().len(), 2);
        assert_eq!(req.body["model"], "mine");
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(reason("{not json").starts_with("invalid JSON"));
        assert!(reason("[1,2]").starts_with("not a JSON object"));
        let base = r#""method":"POST","url":"/v1/chat/completions""#;
        assert!(reason(&format!(r#"{{"custom_id":"a",{base}}}"#)).contains("missing body"));
        assert!(reason(&format!(r#"{{"custom_id":"a",{base},"body":3}}"#)).contains("JSON object"));
        assert!(reason(&format!(r#"{{{base},"body":{{}}}}"#)).contains("missing custom_id"));
        assert!(reason(r#"{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{}}"#)
            .contains("method must be POST, got `GET`"));
        assert!(reason(r#"{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{}}"#)
            .contains("url must be /v1/chat/completions"));
        assert!(
            reason(r#"{"custom_id":"a","url":"/v1/chat/completions","body":{}}"#).contains("missing method")
        );
        assert!(reason(r#"{"custom_id":1,"prompt":"x"}"#).contains("custom_id must be"));
        assert!(reason(r#"{"prompt":3}"#).contains("prompt must be a string"));
        assert!(reason(r#"{"prompt":"a","messages":[]}"#).contains("both"));
        assert!(reason(r#"{"temperature":1}"#).contains("missing body"));
        assert!(reason(r#"{"messages":[]}"#).contains("non-empty array"));
        assert!(reason(r#"{"messages":["hi"]}"#).contains("messages[0]"));
        assert!(reason(r#"{"prompt":"x","model":5}"#).contains("model must be"));
        assert!(reason(r#"{"prompt":"x","max_tokens":"ten"}"#).starts_with("body: invalid type"));
        let no_model = parse_line(1, br#"{"prompt":"x"}"#, InputFormat::Jsonl, &LineDefaults::default());
        assert!(no_model.unwrap_err().reason.contains("no model"));
        assert_eq!(parse(""), Ok(None));
    }

    #[test]
    fn errors_keep_the_id_when_known() {
        let e =
            parse(r#"{"custom_id":"k","method":"GET","url":"/v1/chat/completions","body":{}}"#).unwrap_err();
        assert_eq!(e.custom_id.as_deref(), Some("k"));
        assert_eq!(e.line, 7);
        let e = parse("{oops").unwrap_err();
        assert_eq!(e.custom_id, None);
        assert_eq!(e.shard_key(), "line-7");
    }

    #[test]
    fn reader_counts_lines_and_strips_endings() {
        let mut r = LineReader::new(&b"a\r\nb\n\nc"[..]);
        let mut got = Vec::new();
        while let Some((n, l)) = r.next_line().unwrap() {
            got.push((n, String::from_utf8(l.to_vec()).unwrap()));
        }
        assert_eq!(got, [(1, "a".into()), (2, "b".into()), (3, "".into()), (4, "c".into())]);
    }

    struct Done(Vec<&'static str>, Vec<&'static str>);
    impl DoneLookup for Done {
        fn succeeded(&self, id: &str) -> bool {
            self.0.contains(&id)
        }
        fn failed(&self, id: &str) -> bool {
            self.1.contains(&id)
        }
    }

    fn write_input(lines: &[&str]) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        f
    }

    fn spec(path: &Path) -> InputSpec {
        InputSpec { path: path.to_path_buf(), format: InputFormat::Jsonl, defaults: defaults(), shard: None }
    }

    #[test]
    fn scan_reports_bad_lines_and_duplicates_and_the_rest_runs() {
        let f = write_input(&[
            r#"{"custom_id":"a","prompt":"1"}"#,
            r#"{"custom_id":"b","prompt":"2"}"#,
            "{bad",
            r#"{"custom_id":"a","prompt":"again"}"#,
            "",
            r#"{"custom_id":"c","prompt":"3"}"#,
            r#"{"custom_id":"d","prompt":"4"}"#,
            r#"{"custom_id":"a","prompt":"third"}"#,
        ]);
        let s = spec(f.path());
        let done = Done(vec!["b"], vec!["c"]);
        let done_ref: &dyn DoneLookup = &done;
        let mut errors: Vec<LineError> = Vec::new();
        let report = scan(&s, done_ref, &mut errors).unwrap();
        assert_eq!(report.lines, 7);
        assert_eq!(report.valid, 4);
        assert_eq!(report.invalid, 3);
        assert_eq!((report.done, report.prev_failed, report.to_run), (1, 1, 2));
        assert_eq!(report.duplicate_lines, [4, 8]);
        assert_eq!(errors[0].line, 3);
        assert_eq!(errors[1].reason, "duplicate custom_id `a` (first on line 1)");
        assert_eq!(errors[2].line, 8);
        let mut pending = PendingRequests::open(&s, &report, std::sync::Arc::new(done)).unwrap();
        let mut ids = Vec::new();
        while let Some(r) = pending.next_request().unwrap() {
            ids.push(r.custom_id);
        }
        assert_eq!(ids, ["a", "d"]);
        assert_eq!(report.to_run, ids.len() as u64);
    }

    #[test]
    fn shards_split_valid_and_bad_lines_without_overlap() {
        let mut lines: Vec<String> =
            (0..200).map(|i| format!(r#"{{"custom_id":"r{i}","prompt":"p"}}"#)).collect();
        lines.push("{bad".into());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let f = write_input(&refs);
        let none = Done(vec![], vec![]);
        let mut total_valid = 0;
        let mut total_invalid = 0;
        for k in 1..=3 {
            let s = InputSpec { shard: Some(Shard { k, n: 3 }), ..spec(f.path()) };
            let mut errors: Vec<LineError> = Vec::new();
            let r = scan(&s, &none, &mut errors).unwrap();
            assert_eq!(r.valid + r.invalid + r.other_shards, 201);
            total_valid += r.valid;
            total_invalid += r.invalid;
        }
        assert_eq!((total_valid, total_invalid), (200, 1));
    }
}
