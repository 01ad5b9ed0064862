//! Readers for everything `replay` can re-send: llmkit recordings, OpenAI Batch API input
//! files, and the two public trace formats that carry only arrival times and token counts
//! (the Azure LLM inference trace CSV and Mooncake JSONL).
//!
//! Every reader is an iterator of `Result<Item, BadLine>`: a corrupt or truncated line is
//! reported with its line number and the rest of the file is still replayed, because a
//! recording cut short by a crash is exactly the one people want to replay.

use std::collections::VecDeque;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::usage::LedgerLine;

/// What kind of file the input is (detected from the file name and its first lines unless
/// the user says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// llmkit `--record` output: `LedgerLine`s with request and response bodies.
    Recording,
    /// OpenAI Batch API input lines (or llmkit's shorthand lines). No timing.
    Batch,
    /// Azure LLM inference trace: CSV `TIMESTAMP,ContextTokens,GeneratedTokens`.
    Azure,
    /// Mooncake trace: JSONL `{"timestamp" (ms), "input_length", "output_length", "hash_ids"?}`.
    Mooncake,
}

impl InputFormat {
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Recording => "recording",
            InputFormat::Batch => "batch",
            InputFormat::Azure => "azure",
            InputFormat::Mooncake => "mooncake",
        }
    }
}

/// One request to re-send, as read from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// 1-based line number in the input file (CSV: counting the header line).
    pub line: usize,
    /// The recorded id or `custom_id`, when the input has one.
    pub id: Option<String>,
    /// When the request was sent, in ms since the first request of the original run.
    /// `None` when the input carries no timing (batch files).
    pub offset_ms: Option<f64>,
    /// The recorded or requested URL (`/v1/chat/completions`, a full URL, ...).
    pub url: Option<String>,
    pub payload: Payload,
    /// The recorded outcome (recordings only), with its bodies moved into `response` and
    /// `request` left out (it is in `payload`).
    pub recorded: Option<Box<LedgerLine>>,
}

/// The request itself, or what a prompt must be synthesized from.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A request body to send as it is (after `--set` and `-m`).
    Body(Value),
    /// A trace line: a prompt of `input_tokens` (chat-format prompt tokens) is synthesized
    /// and `max_tokens` is set to `output_tokens`. `hash_ids` name shared prompt blocks
    /// (Mooncake): requests that share a prefix of ids share that prefix of prompt text.
    Synthesize { input_tokens: u64, output_tokens: u64, hash_ids: Vec<u64> },
}

/// A line that could not be used, with the reason, for the report on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Lines of a text source with their 1-based numbers, with look-ahead for format detection.
/// A last line with no trailing newline is flagged so a parse error on it can be called
/// what it most likely is: a truncated write.
struct Lines<R> {
    reader: R,
    next_no: usize,
    peeked: VecDeque<RawLine>,
    done: bool,
}

#[derive(Debug, Clone)]
struct RawLine {
    no: usize,
    text: String,
    /// The line ended at end of file without a newline.
    unterminated: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Lines { reader, next_no: 1, peeked: VecDeque::new(), done: false }
    }

    fn read_one(&mut self) -> Option<Result<RawLine, BadLine>> {
        if self.done {
            return None;
        }
        let mut buf = Vec::new();
        let no = self.next_no;
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => {
                self.next_no += 1;
                let unterminated = buf.last() != Some(&b'\n');
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                match String::from_utf8(buf) {
                    Ok(text) => Some(Ok(RawLine { no, text, unterminated })),
                    Err(_) => Some(Err(BadLine { line: no, message: "not valid UTF-8".into() })),
                }
            }
            Err(e) => {
                self.done = true;
                Some(Err(BadLine { line: no, message: format!("read error: {e}") }))
            }
        }
    }

    /// Look at up to `n` upcoming lines without consuming them.
    fn peek_texts(&mut self, n: usize) -> Vec<String> {
        while self.peeked.len() < n {
            match self.read_one() {
                Some(Ok(l)) => self.peeked.push_back(l),
                Some(Err(_)) | None => break,
            }
        }
        self.peeked.iter().map(|l| l.text.clone()).collect()
    }

    fn next_line(&mut self) -> Option<Result<RawLine, BadLine>> {
        if let Some(l) = self.peeked.pop_front() {
            return Some(Ok(l));
        }
        self.read_one()
    }

    /// The next line that is not blank (JSON lines files may hold empty lines anywhere).
    fn next_nonblank(&mut self) -> Option<Result<RawLine, BadLine>> {
        loop {
            match self.next_line()? {
                Ok(raw) if raw.text.trim().is_empty() => continue,
                other => return Some(other),
            }
        }
    }
}

/// Guess the format from the file name and the first lines. JSON lines are classified by
/// their keys; the first line that parses as a JSON object decides (a corrupt first line
/// does not make the whole file unreadable).
pub fn detect(file_name: Option<&str>, first_lines: &[String]) -> Option<InputFormat> {
    let is_csv_name = file_name.is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv"));
    let first = first_lines.iter().find(|l| !l.trim().is_empty());
    if let Some(header) = first {
        let h = header.trim_start_matches('\u{feff}').to_ascii_lowercase();
        if h.contains("contexttokens") && h.contains("generatedtokens") {
            return Some(InputFormat::Azure);
        }
    }
    if is_csv_name {
        return Some(InputFormat::Azure);
    }
    for line in first_lines {
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else { continue };
        if obj.contains_key("input_length") || obj.contains_key("output_length") {
            return Some(InputFormat::Mooncake);
        }
        if obj.contains_key("ts") || obj.contains_key("offset_ms") || obj.contains_key("request") {
            return Some(InputFormat::Recording);
        }
        if obj.contains_key("custom_id")
            || obj.contains_key("body")
            || obj.contains_key("messages")
            || obj.contains_key("prompt")
        {
            return Some(InputFormat::Batch);
        }
        return None;
    }
    None
}

/// An iterator over the items of an input, bad lines included as errors.
pub type ItemIter<'a> = Box<dyn Iterator<Item = Result<Item, BadLine>> + 'a>;

/// Open a reader for `format`, or for the detected format when `None`. Returns the format
/// actually used; an undetectable input is an error message the caller reports.
pub fn open<'a, R: BufRead + 'a>(
    reader: R,
    file_name: Option<&str>,
    format: Option<InputFormat>,
) -> Result<(InputFormat, ItemIter<'a>), String> {
    let mut lines = Lines::new(reader);
    let format = match format {
        Some(f) => f,
        None => {
            let head = lines.peek_texts(50);
            detect(file_name, &head).ok_or_else(|| {
                "cannot tell the input format from its first lines (expected an llmkit recording, \
                 a batch file, an Azure trace CSV or a Mooncake trace); pass --input-format"
                    .to_string()
            })?
        }
    };
    let iter: ItemIter<'a> = match format {
        InputFormat::Recording => Box::new(RecordingReader { lines, first_ts: None }),
        InputFormat::Batch => Box::new(JsonLines { lines, parse: parse_batch_line }),
        InputFormat::Mooncake => Box::new(JsonLines { lines, parse: parse_mooncake_line }),
        InputFormat::Azure => Box::new(AzureReader { lines, columns: None, first_ts_ns: None }),
    };
    Ok((format, iter))
}

/// Describe a serde_json error on one line, calling a cut-off line what it is.
fn json_error(e: &serde_json::Error, raw: &RawLine) -> String {
    if e.is_eof() && raw.unterminated {
        format!("truncated line (ends at column {} without a newline): {e}", raw.text.chars().count())
    } else if e.is_eof() {
        format!("incomplete JSON: {e}")
    } else {
        format!("invalid JSON: {e}")
    }
}

/// Reads llmkit recordings. Lines without a request body (ledger lines) cannot be re-sent.
struct RecordingReader<R> {
    lines: Lines<R>,
    first_ts: Option<jiff::Timestamp>,
}

impl<R: BufRead> Iterator for RecordingReader<R> {
    type Item = Result<Item, BadLine>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.lines.next_nonblank()?.and_then(|raw| self.parse(&raw)))
    }
}

impl<R> RecordingReader<R> {
    fn parse(&mut self, raw: &RawLine) -> Result<Item, BadLine> {
        let bad = |message: String| BadLine { line: raw.no, message };
        let mut rec: LedgerLine = serde_json::from_str(&raw.text).map_err(|e| bad(json_error(&e, raw)))?;
        let body = rec
            .request
            .take()
            .ok_or_else(|| bad("no `request` body (a ledger line? record with --record to replay)".into()))?;
        if !body.is_object() {
            return Err(bad("`request` is not a JSON object".into()));
        }
        let ts = rec.ts.parse::<jiff::Timestamp>().ok();
        let offset_ms = match (rec.offset_ms, ts) {
            (Some(o), _) if o.is_finite() => Some(o),
            (Some(_), _) => return Err(bad("`offset_ms` is not a finite number".into())),
            (None, Some(ts)) => {
                let first = *self.first_ts.get_or_insert(ts);
                Some(ts.duration_since(first).as_secs_f64() * 1000.0)
            }
            (None, None) => None,
        };
        if let Some(ts) = ts {
            self.first_ts.get_or_insert(ts);
        }
        Ok(Item {
            line: raw.no,
            id: rec.id.clone(),
            offset_ms,
            url: Some(rec.url.clone()).filter(|u| !u.is_empty()),
            payload: Payload::Body(body),
            recorded: Some(Box::new(rec)),
        })
    }
}

/// A JSONL reader with a per-line parser.
struct JsonLines<R> {
    lines: Lines<R>,
    parse: fn(&RawLine) -> Result<Item, BadLine>,
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<Item, BadLine>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.lines.next_nonblank()?.and_then(|raw| (self.parse)(&raw)))
    }
}

/// An OpenAI Batch API input line, or llmkit's shorthand (`messages` or `prompt` at the top,
/// any other request fields beside them).
#[derive(Debug, Deserialize)]
struct BatchLine {
    custom_id: Option<String>,
    method: Option<String>,
    url: Option<String>,
    body: Option<Map<String, Value>>,
    prompt: Option<String>,
    /// Everything else: request fields of a shorthand line (`messages`, `model`, ...).
    #[serde(flatten)]
    rest: Map<String, Value>,
}

fn parse_batch_line(raw: &RawLine) -> Result<Item, BadLine> {
    let bad = |message: String| BadLine { line: raw.no, message };
    let line: BatchLine = serde_json::from_str(&raw.text).map_err(|e| bad(json_error(&e, raw)))?;
    if let Some(m) = &line.method {
        if !m.eq_ignore_ascii_case("POST") {
            return Err(bad(format!("`method` is {m}; only POST requests can be replayed")));
        }
    }
    let body = match (line.body, line.prompt) {
        (Some(body), _) => body,
        (None, Some(prompt)) => {
            let mut body = line.rest;
            body.insert("messages".into(), serde_json::json!([{"role": "user", "content": prompt}]));
            body
        }
        (None, None) if line.rest.contains_key("messages") => line.rest,
        (None, None) => return Err(bad("no `body`, `messages` or `prompt`".into())),
    };
    Ok(Item {
        line: raw.no,
        id: line.custom_id,
        offset_ms: None,
        url: line.url,
        payload: Payload::Body(Value::Object(body)),
        recorded: None,
    })
}

/// One Mooncake trace line. `timestamp` is the arrival time in ms since the first request.
#[derive(Debug, Deserialize)]
struct MooncakeLine {
    timestamp: Option<f64>,
    input_length: u64,
    output_length: u64,
    #[serde(default)]
    hash_ids: Vec<u64>,
}

fn parse_mooncake_line(raw: &RawLine) -> Result<Item, BadLine> {
    let bad = |message: String| BadLine { line: raw.no, message };
    let l: MooncakeLine = serde_json::from_str(&raw.text).map_err(|e| bad(json_error(&e, raw)))?;
    if let Some(t) = l.timestamp {
        if !(t.is_finite() && t >= 0.0) {
            return Err(bad(format!("`timestamp` must be a non-negative number of ms, got {t}")));
        }
    }
    Ok(Item {
        line: raw.no,
        id: None,
        offset_ms: l.timestamp,
        url: None,
        payload: Payload::Synthesize {
            input_tokens: l.input_length,
            output_tokens: l.output_length,
            hash_ids: l.hash_ids,
        },
        recorded: None,
    })
}

/// Column positions of the Azure trace, found by header name (case-insensitive), so extra
/// or reordered columns still read.
#[derive(Debug, Clone, Copy)]
struct AzureColumns {
    ts: usize,
    context: usize,
    generated: usize,
}

/// Reads the Azure LLM inference trace. Rows are simple (a datetime and two integers), so
/// each line is split on commas by hand; this keeps exact line numbers for bad rows.
struct AzureReader<R> {
    lines: Lines<R>,
    columns: Option<AzureColumns>,
    first_ts_ns: Option<i128>,
}

impl<R: BufRead> Iterator for AzureReader<R> {
    type Item = Result<Item, BadLine>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let raw = match self.lines.next_line()? {
                Ok(raw) => raw,
                Err(bad) => return Some(Err(bad)),
            };
            let text = raw.text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            let cells: Vec<&str> = text.split(',').map(|c| c.trim().trim_matches('"')).collect();
            let Some(cols) = self.columns else {
                match azure_header(&cells) {
                    Ok(cols) => {
                        self.columns = Some(cols);
                        continue;
                    }
                    Err(message) => {
                        // Without a header nothing else can be read: report it and stop.
                        self.lines.done = true;
                        self.lines.peeked.clear();
                        return Some(Err(BadLine { line: raw.no, message }));
                    }
                }
            };
            return Some(self.row(&raw, &cells, cols));
        }
    }
}

fn azure_header(cells: &[&str]) -> Result<AzureColumns, String> {
    let find = |name: &str| cells.iter().position(|c| c.eq_ignore_ascii_case(name));
    match (find("TIMESTAMP"), find("ContextTokens"), find("GeneratedTokens")) {
        (Some(ts), Some(context), Some(generated)) => Ok(AzureColumns { ts, context, generated }),
        _ => Err(format!(
            "expected the header TIMESTAMP,ContextTokens,GeneratedTokens, found `{}`",
            cells.join(",")
        )),
    }
}

impl<R> AzureReader<R> {
    fn row(&mut self, raw: &RawLine, cells: &[&str], cols: AzureColumns) -> Result<Item, BadLine> {
        let bad = |message: String| BadLine { line: raw.no, message };
        let cell = |i: usize, name: &str| {
            cells.get(i).copied().ok_or_else(|| {
                if raw.unterminated {
                    bad(format!("truncated row: no {name} column"))
                } else {
                    bad(format!("missing {name} column"))
                }
            })
        };
        let ts_ns =
            parse_trace_timestamp(cell(cols.ts, "TIMESTAMP")?).map_err(|e| bad(format!("TIMESTAMP: {e}")))?;
        let int = |i: usize, name: &str| -> Result<u64, BadLine> {
            let c = cell(i, name)?;
            c.parse::<u64>().map_err(|_| bad(format!("{name}: `{c}` is not a non-negative integer")))
        };
        let input_tokens = int(cols.context, "ContextTokens")?;
        let output_tokens = int(cols.generated, "GeneratedTokens")?;
        let first = *self.first_ts_ns.get_or_insert(ts_ns);
        let offset_ms = (ts_ns - first) as f64 / 1e6;
        Ok(Item {
            line: raw.no,
            id: None,
            offset_ms: Some(offset_ms),
            url: None,
            payload: Payload::Synthesize { input_tokens, output_tokens, hash_ids: Vec::new() },
            recorded: None,
        })
    }
}

/// Parse a trace datetime to nanoseconds since the Unix epoch. Accepts what the Azure traces
/// contain: `2023-11-16 18:15:46.6805900` (7 fractional digits, no zone: UTC), rows with no
/// fraction, `T` instead of the space, and an optional `Z` / `+00:00` offset (2024 trace).
/// Fractions longer than nanoseconds are truncated.
pub fn parse_trace_timestamp(s: &str) -> Result<i128, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty".into());
    }
    // Split off a zone suffix: `Z`, or `+HH:MM` / `-HH:MM` / `+HHMM` after the time part.
    let (body, offset_secs) = split_zone(s)?;
    let body = body.replacen('T', " ", 1);
    let (date, time) = body.split_once(' ').ok_or_else(|| format!("`{s}` is not `YYYY-MM-DD HH:MM:SS`"))?;
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, frac),
        None => (time, ""),
    };
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{s}`: bad fractional seconds"));
    }
    let mut frac9: String = frac.chars().take(9).collect();
    while frac9.len() < 9 {
        frac9.push('0');
    }
    let nanos: i32 = frac9.parse().map_err(|_| format!("`{s}`: bad fractional seconds"))?;
    let dt: jiff::civil::DateTime =
        format!("{date}T{hms}").parse().map_err(|e: jiff::Error| format!("`{s}` is not a datetime: {e}"))?;
    let dt = dt.with().subsec_nanosecond(nanos).build().map_err(|e| format!("`{s}`: {e}"))?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).map_err(|e| format!("`{s}`: {e}"))?.timestamp();
    Ok(ts.as_nanosecond() - i128::from(offset_secs) * 1_000_000_000)
}

fn split_zone(s: &str) -> Result<(&str, i64), String> {
    if let Some(body) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return Ok((body, 0));
    }
    // A zone sign can only appear after the time's `HH:MM:SS` (position > 10 skips the date).
    let Some(pos) = s.char_indices().skip(11).find(|(_, c)| *c == '+' || *c == '-').map(|(i, _)| i) else {
        return Ok((s, 0));
    };
    let (body, zone) = s.split_at(pos);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{s}`: bad UTC offset `{zone}`"));
    }
    let hours: i64 = digits[..2].parse().map_err(|_| format!("`{s}`: bad UTC offset"))?;
    let minutes: i64 = digits[2..].parse().map_err(|_| format!("`{s}`: bad UTC offset"))?;
    Ok((body, sign * (hours * 3600 + minutes * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        text: &str,
        name: Option<&str>,
        format: Option<InputFormat>,
    ) -> (InputFormat, Vec<Item>, Vec<BadLine>) {
        let (fmt, iter) = open(std::io::Cursor::new(text.as_bytes().to_vec()), name, format).unwrap();
        let mut items = Vec::new();
        let mut bad = Vec::new();
        for r in iter {
            match r {
                Ok(i) => items.push(i),
                Err(b) => bad.push(b),
            }
        }
        (fmt, items, bad)
    }

    fn rec_line(offset: f64, content: &str) -> String {
        serde_json::json!({
            "ts": "2026-01-01T00:00:00Z", "offset_ms": offset, "provider": "openai",
            "url": "http://127.0.0.1:1/v1/chat/completions", "model": "gpt-4o-mini", "status": 200,
            "usage": {"input_tokens": 9, "output_tokens": 2}, "latency_ms": 12.5, "retries": 0,
            "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]},
            "response": {"choices": [{"message": {"role": "assistant", "content": "ok"}}]}
        })
        .to_string()
    }

    #[test]
    fn recordings_keep_bodies_offsets_and_outcomes() {
        let text = format!("{}\n{}\n", rec_line(0.0, "a"), rec_line(250.0, "b"));
        let (fmt, items, bad) = read(&text, Some("rec.jsonl"), None);
        assert_eq!(fmt, InputFormat::Recording);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].offset_ms, Some(250.0));
        assert_eq!(items[1].line, 2);
        let Payload::Body(body) = &items[1].payload else { panic!("body expected") };
        assert_eq!(body["messages"][0]["content"], "b");
        let rec = items[1].recorded.as_ref().unwrap();
        assert_eq!(rec.status, Some(200));
        assert!(rec.request.is_none(), "the body lives in the payload only");
        assert!(rec.response.is_some());
    }

    #[test]
    fn corrupt_and_truncated_lines_are_reported_and_the_rest_is_read() {
        let good = rec_line(0.0, "a");
        let cut = &rec_line(10.0, "b")[..40];
        let text = format!("{good}\n{{not json}}\n\n{}\n{cut}", rec_line(5.0, "c"));
        let (_, items, bad) = read(&text, None, None);
        assert_eq!(items.iter().map(|i| i.line).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0].line, 2);
        assert!(bad[0].message.starts_with("invalid JSON"), "{}", bad[0]);
        assert_eq!(bad[1].line, 5);
        assert!(bad[1].message.starts_with("truncated line"), "{}", bad[1]);
    }

    #[test]
    fn ledger_lines_without_bodies_are_bad_lines() {
        let line = r#"{"ts":"2026-01-01T00:00:00Z","provider":"openai","url":"u","model":"m","status":200}"#;
        let (_, items, bad) = read(line, None, Some(InputFormat::Recording));
        assert!(items.is_empty());
        assert!(bad[0].message.contains("no `request` body"), "{}", bad[0]);
    }

    #[test]
    fn recordings_without_offsets_use_timestamps() {
        let a = r#"{"ts":"2026-01-01T00:00:01Z","provider":"openai","url":"u","model":"m","request":{"messages":[]}}"#;
        let b = r#"{"ts":"2026-01-01T00:00:01.250Z","provider":"openai","url":"u","model":"m","request":{"messages":[]}}"#;
        let (_, items, _) = read(&format!("{a}\n{b}\n"), None, Some(InputFormat::Recording));
        assert_eq!(items[0].offset_ms, Some(0.0));
        assert_eq!(items[1].offset_ms, Some(250.0));
    }

    #[test]
    fn batch_files_and_shorthand_lines() {
        let text = [
            r#"{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"hi"}]}}"#,
            r#"{"custom_id":"r2","messages":[{"role":"user","content":"yo"}],"max_tokens":5}"#,
            r#"{"prompt":"plain"}"#,
            r#"{"custom_id":"r4","method":"GET","url":"/v1/models"}"#,
            r#"{"custom_id":"r5"}"#,
        ]
        .join("\n");
        let (fmt, items, bad) = read(&text, Some("in.jsonl"), None);
        assert_eq!(fmt, InputFormat::Batch);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].id.as_deref(), Some("r1"));
        assert_eq!(items[0].offset_ms, None);
        let Payload::Body(b) = &items[1].payload else { panic!() };
        assert_eq!(b["max_tokens"], 5);
        assert!(b.get("custom_id").is_none());
        let Payload::Body(b) = &items[2].payload else { panic!() };
        assert_eq!(b["messages"][0]["content"], "plain");
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), [4, 5]);
    }

    #[test]
    fn azure_trace_rows_become_offsets_and_sizes() {
        let text = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
                    2023-11-16 18:15:46.6805900,374,44\n\
                    2023-11-16 18:15:50.9951690,396,109\n\
                    2023-11-16 18:15:51,879,55\n\
                    garbage,1,2\n\
                    2023-11-16 18:15:52.0000000,x,2\n\
                    2023-11-16 18:15:53.0000000,12";
        let (fmt, items, bad) = read(text, Some("AzureLLMInferenceTrace_conv.csv"), None);
        assert_eq!(fmt, InputFormat::Azure);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].offset_ms, Some(0.0));
        let o = items[1].offset_ms.unwrap();
        assert!((o - 4314.579).abs() < 1e-6, "{o}");
        assert!((items[2].offset_ms.unwrap() - 4319.4100).abs() < 1e-6);
        assert_eq!(
            items[1].payload,
            Payload::Synthesize { input_tokens: 396, output_tokens: 109, hash_ids: vec![] }
        );
        assert_eq!(items[1].line, 3);
        let lines: Vec<usize> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [5, 6, 7], "{bad:?}");
        assert!(bad[2].message.contains("truncated"), "{}", bad[2]);
    }

    #[test]
    fn azure_header_is_required() {
        let (_, items, bad) = read("a,b,c\n1,2,3\n", None, Some(InputFormat::Azure));
        assert!(items.is_empty());
        assert_eq!(bad.len(), 1);
        assert!(bad[0].message.contains("TIMESTAMP,ContextTokens,GeneratedTokens"));
    }

    #[test]
    fn trace_timestamps_in_every_seen_shape() {
        let base = parse_trace_timestamp("2024-05-10 00:00:00").unwrap();
        assert_eq!(parse_trace_timestamp("2024-05-10T00:00:00Z").unwrap(), base);
        assert_eq!(parse_trace_timestamp("2024-05-10 00:00:00+00:00").unwrap(), base);
        assert_eq!(parse_trace_timestamp("2024-05-10 02:00:00+02:00").unwrap(), base);
        assert_eq!(parse_trace_timestamp("2024-05-09 22:00:00-0200").unwrap(), base);
        assert_eq!(parse_trace_timestamp("2024-05-10 00:00:00.0099300+00:00").unwrap(), base + 9_930_000);
        assert_eq!(parse_trace_timestamp("2024-05-10 00:00:00.1234567891").unwrap(), base + 123_456_789);
        assert!(parse_trace_timestamp("2024-05-10").is_err());
        assert!(parse_trace_timestamp("2024-13-10 00:00:00").is_err());
        assert!(parse_trace_timestamp("2024-05-10 00:00:00.5x").is_err());
    }

    #[test]
    fn mooncake_lines() {
        let text = "{\"timestamp\": 0, \"input_length\": 655, \"output_length\": 52, \"hash_ids\": [46, 47]}\n\
                    {\"timestamp\": 10535, \"input_length\": 672, \"output_length\": 26, \"hash_ids\": [46, 47]}\n\
                    {\"timestamp\": -1, \"input_length\": 1, \"output_length\": 1}\n\
                    {\"timestamp\": 5, \"output_length\": 1}\n";
        let (fmt, items, bad) = read(text, Some("trace.jsonl"), None);
        assert_eq!(fmt, InputFormat::Mooncake);
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].offset_ms, Some(10535.0));
        assert_eq!(
            items[0].payload,
            Payload::Synthesize { input_tokens: 655, output_tokens: 52, hash_ids: vec![46, 47] }
        );
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), [3, 4]);
        assert!(bad[1].message.contains("input_length"), "{}", bad[1]);
    }

    #[test]
    fn detection_skips_a_corrupt_first_line_and_refuses_unknown_json() {
        let lines = vec!["{oops".to_string(), r#"{"input_length":1,"output_length":1}"#.to_string()];
        assert_eq!(detect(None, &lines), Some(InputFormat::Mooncake));
        assert_eq!(detect(None, &[r#"{"hello":1}"#.to_string()]), None);
        assert_eq!(detect(Some("x.CSV"), &[]), Some(InputFormat::Azure));
        let err = open(std::io::Cursor::new(b"{\"hello\":1}\n".to_vec()), None, None).err();
        assert!(err.unwrap().contains("--input-format"));
    }
}
