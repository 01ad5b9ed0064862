//! Readers for every usage-log format `cost report` understands (DESIGN.md "Files"), detected
//! by content, per line for JSON Lines and per file for JSON documents and CSV:
//!
//! - the llmkit ledger and `--record` recordings ([`crate::usage::LedgerLine`]);
//! - OpenAI Batch API output lines (`batch_req_...` ids are provider batch traffic);
//! - raw OpenAI chat-completion / completion / embedding / Responses API responses and
//!   Anthropic message responses, as JSON Lines, one JSON document, or a JSON array;
//! - Anthropic Message Batches results (always batch traffic);
//! - OpenAI organization usage API pages (`/v1/organization/usage/completions`, buckets);
//! - the OpenAI usage dashboard CSV export, recognised by its header names;
//! - generic CSV with `model,input_tokens,output_tokens` and optional columns.
//!
//! Files are streamed: JSON Lines through one reused buffer and typed structs that borrow
//! from it, JSON arrays element by element, CSV record by record. Nothing holds a whole file.
//! A line that cannot be used is reported to the [`Sink`] with its location and the rest of
//! the file is still read.

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::Context;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::Usage;

/// One priced unit: a request, or an aggregate of `requests` requests (usage pages, CSV rows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    /// Unix seconds, UTC.
    pub ts: Option<i64>,
    pub model: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub user: Option<&'a str>,
    pub project: Option<&'a str>,
    /// API key id or the name of the key's source; never a key.
    pub key: Option<&'a str>,
    /// Billed at Batch API rates.
    pub batch: bool,
    /// Served from llmkit's response cache: costs nothing.
    pub cache_hit: bool,
    pub requests: u64,
    pub usage: Usage,
}

/// Where a skipped line was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loc {
    Line(u64),
    /// 1-based element of a top-level JSON array.
    Element(u64),
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loc::Line(n) => write!(f, "{n}"),
            Loc::Element(n) => write!(f, "element {n}"),
        }
    }
}

/// Receives what the readers find.
pub trait Sink {
    fn record(&mut self, rec: &Record<'_>);
    /// A line that could not be used (bad JSON, missing fields, negative tokens, unknown format).
    fn skip(&mut self, file: &str, loc: Loc, reason: &str);
    /// A well-formed line that bills nothing (a failed request, an errored batch item).
    fn no_usage(&mut self) {}
}

/// Read one file (`-` is stdin). I/O errors are errors; bad content is reported to the sink.
pub fn read_path<S: Sink>(path: &Path, sink: &mut S) -> anyhow::Result<()> {
    let name = path.display().to_string();
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        return read_stream(&name, std::io::BufReader::with_capacity(1 << 18, stdin.lock()), sink);
    }
    let file = std::fs::File::open(path).with_context(|| format!("opening {name}"))?;
    read_stream(&name, std::io::BufReader::with_capacity(1 << 18, file), sink)
}

/// Read one stream, detecting its format from its first bytes.
pub fn read_stream<R: BufRead, S: Sink>(name: &str, mut reader: R, sink: &mut S) -> anyhow::Result<()> {
    let first = loop {
        let buf = reader.fill_buf().with_context(|| format!("reading {name}"))?;
        if buf.is_empty() {
            return Ok(());
        }
        let skip =
            buf.iter().take_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF);
        let n = skip.count();
        if n < buf.len() {
            break buf[n];
        }
        let len = buf.len();
        reader.consume(len);
    };
    match first {
        b'[' => read_document(name, reader, sink),
        b'{' => read_json_lines(name, reader, sink),
        _ => read_csv(name, reader, sink),
    }
}

fn read_json_lines<R: BufRead, S: Sink>(name: &str, mut reader: R, sink: &mut S) -> anyhow::Result<()> {
    let ctx = || format!("reading {name}");
    // The first line decides between JSON Lines and a pretty-printed document.
    let mut carry: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut line_no = 0u64;
    loop {
        carry.clear();
        if reader.read_until(b'\n', &mut carry).with_context(ctx)? == 0 {
            return Ok(());
        }
        line_no += 1;
        let line = carry.trim_ascii();
        if line.is_empty() {
            continue;
        }
        if first_line_is_partial(line) {
            let rest = std::io::Cursor::new(std::mem::take(&mut carry)).chain(reader);
            return read_document(name, std::io::BufReader::new(rest), sink);
        }
        process_line(name, line_no, line, sink);
        break;
    }
    // Then whole lines are parsed where they lie in the reader's buffer; only a line split
    // across two fills is copied.
    carry.clear();
    loop {
        let buf = reader.fill_buf().with_context(ctx)?;
        if buf.is_empty() {
            let line = carry.trim_ascii();
            if !line.is_empty() {
                process_line(name, line_no + 1, line, sink);
            }
            return Ok(());
        }
        let len = buf.len();
        let mut start = 0;
        if !carry.is_empty() {
            match memchr::memchr(b'\n', buf) {
                None => {
                    carry.extend_from_slice(buf);
                    reader.consume(len);
                    continue;
                }
                Some(i) => {
                    carry.extend_from_slice(&buf[..i]);
                    line_no += 1;
                    let line = carry.trim_ascii();
                    if !line.is_empty() {
                        process_line(name, line_no, line, sink);
                    }
                    carry.clear();
                    start = i + 1;
                }
            }
        }
        let base = start;
        for i in memchr::memchr_iter(b'\n', &buf[base..]) {
            let end = base + i;
            line_no += 1;
            let line = buf[start..end].trim_ascii();
            if !line.is_empty() {
                process_line(name, line_no, line, sink);
            }
            start = end + 1;
        }
        carry.extend_from_slice(&buf[start..]);
        reader.consume(len);
    }
}

fn first_line_is_partial(line: &[u8]) -> bool {
    matches!(serde_json::from_slice::<IgnoredAny>(line), Err(e) if e.is_eof())
}

/// One JSON Lines line, trimmed and not empty.
fn process_line<S: Sink>(name: &str, line_no: u64, line: &[u8], sink: &mut S) {
    // Validating the whole line at once is cheaper than string by string.
    let Ok(line) = std::str::from_utf8(line) else {
        sink.skip(name, Loc::Line(line_no), "bad JSON: invalid UTF-8");
        return;
    };
    match serde_json::from_str::<Probe>(line) {
        Ok(probe) => {
            if let Err(reason) = emit(&probe, sink) {
                sink.skip(name, Loc::Line(line_no), &reason);
            }
        }
        Err(e) => sink.skip(name, Loc::Line(line_no), &format!("bad JSON: {e}")),
    }
}

/// Every line of a block of whole lines; `first_line` is the file line number of its first.
fn process_block<S: Sink>(name: &str, block: &[u8], first_line: u64, sink: &mut S) {
    let mut start = 0;
    let mut line_no = first_line;
    let mut ends = memchr::memchr_iter(b'\n', block);
    loop {
        let end = ends.next().unwrap_or(block.len());
        let line = block[start..end].trim_ascii();
        if !line.is_empty() {
            process_line(name, line_no, line, sink);
        }
        if end >= block.len() {
            return;
        }
        line_no += 1;
        start = end + 1;
    }
}

/// Size of the blocks [`read_jsonl_parallel`] hands to its workers.
const BLOCK: usize = 4 << 20;

/// Read a JSON Lines file on `threads` threads: this thread cuts the file into blocks of
/// whole lines, each worker parses blocks into a sink of its own (made by `make_sink`), and
/// the sinks come back for the caller to merge. Memory stays bounded: a few blocks in flight,
/// recycled. Returns `None`, having read nothing, when the file is not JSON Lines (a JSON
/// document or CSV): read those with [`read_path`].
pub fn read_jsonl_parallel<S, F>(path: &Path, threads: usize, make_sink: F) -> anyhow::Result<Option<Vec<S>>>
where
    S: Sink + Send,
    F: Fn() -> S + Sync,
{
    read_jsonl_blocks(path, threads, BLOCK, make_sink)
}

fn read_jsonl_blocks<S, F>(
    path: &Path,
    threads: usize,
    block: usize,
    make_sink: F,
) -> anyhow::Result<Option<Vec<S>>>
where
    S: Sink + Send,
    F: Fn() -> S + Sync,
{
    let name = path.display().to_string();
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {name}"))?;
    {
        // Sniff: JSON Lines start with an object that ends on its first line.
        let mut head = std::io::BufReader::new(&mut file);
        let mut first = Vec::new();
        loop {
            first.clear();
            if head.read_until(b'\n', &mut first).with_context(|| format!("reading {name}"))? == 0 {
                return Ok(None);
            }
            if !first.trim_ascii().is_empty() {
                break;
            }
        }
        let line = first.trim_ascii();
        if !line.starts_with(b"{") || first_line_is_partial(line) {
            return Ok(None);
        }
    }
    std::io::Seek::rewind(&mut file).with_context(|| format!("reading {name}"))?;

    let threads = threads.max(1);
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, u64)>(threads * 2);
    let work_rx = std::sync::Mutex::new(work_rx);
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let free_tx = free_tx.clone();
                let (work_rx, make_sink, name) = (&work_rx, &make_sink, &name);
                scope.spawn(move || {
                    let mut sink = make_sink();
                    loop {
                        let job = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok((block, first_line)) = job else { break };
                        process_block(name, &block, first_line, &mut sink);
                        let _ = free_tx.send(block);
                    }
                    sink
                })
            })
            .collect();
        let read = (|| -> anyhow::Result<()> {
            let mut carry: Vec<u8> = Vec::new();
            let mut next_line = 1u64;
            loop {
                let mut buf = free_rx.try_recv().unwrap_or_else(|_| Vec::with_capacity(block));
                buf.clear();
                buf.append(&mut carry);
                let start = buf.len();
                buf.resize(block.max(start + block.min(1 << 16)), 0);
                let mut filled = start;
                let eof = loop {
                    let n = file.read(&mut buf[filled..]).with_context(|| format!("reading {name}"))?;
                    if n == 0 {
                        break true;
                    }
                    filled += n;
                    if filled == buf.len() {
                        break false;
                    }
                };
                buf.truncate(filled);
                if !eof {
                    match memchr::memrchr(b'\n', &buf) {
                        Some(i) => carry.extend_from_slice(&buf[i + 1..]),
                        None => {
                            // One line longer than a block: read on.
                            carry = buf;
                            continue;
                        }
                    }
                    let keep = buf.len() - carry.len();
                    buf.truncate(keep);
                }
                let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                if !buf.is_empty() && work_tx.send((buf, next_line)).is_err() {
                    break;
                }
                next_line += lines;
                if eof {
                    break;
                }
            }
            Ok(())
        })();
        drop(work_tx);
        let mut sinks = Vec::with_capacity(threads);
        for w in workers {
            sinks.push(w.join().map_err(|_| anyhow::anyhow!("a worker reading {name} panicked"))?);
        }
        read.map(|()| Some(sinks))
    })
}

/// One JSON document: an array is read element by element; an object as a whole.
fn read_document<R: Read, S: Sink>(name: &str, reader: R, sink: &mut S) -> anyhow::Result<()> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let seed = DocSeed { name, sink };
    let result = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = result {
        if e.is_io() {
            return Err(e).with_context(|| format!("reading {name}"));
        }
        sink.skip(name, Loc::Line(e.line() as u64), &format!("bad JSON: {e}"));
    }
    Ok(())
}

struct DocSeed<'n, 's, S> {
    name: &'n str,
    sink: &'s mut S,
}

impl<'de, S: Sink> DeserializeSeed<'de> for DocSeed<'_, '_, S> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for DocSeed<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0u64;
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            i += 1;
            emit_value(&value, self.name, Loc::Element(i), self.sink);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = serde_json::Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        emit_value(&value, self.name, Loc::Line(1), self.sink);
        Ok(())
    }
}

fn emit_value<S: Sink>(value: &serde_json::Value, name: &str, loc: Loc, sink: &mut S) {
    match Probe::deserialize(value) {
        Ok(probe) => {
            if let Err(reason) = emit(&probe, sink) {
                sink.skip(name, loc, &reason);
            }
        }
        Err(e) => sink.skip(name, loc, &format!("unexpected shape: {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON shapes. One probe struct covers every format's top level; `emit` decides which format a
// line is from the fields present. Strings borrow from the line buffer when they can.

#[derive(Debug, Default, Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    ts: Option<Text<'a>>,
    #[serde(borrow, default)]
    provider: Option<Text<'a>>,
    #[serde(borrow, default)]
    url: Option<Text<'a>>,
    #[serde(borrow, default)]
    model: Option<Text<'a>>,
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(borrow, default)]
    custom_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    object: Option<Text<'a>>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(borrow, default)]
    user: Option<Text<'a>>,
    #[serde(borrow, default)]
    project: Option<Text<'a>>,
    #[serde(borrow, default)]
    key_name: Option<Text<'a>>,
    #[serde(default)]
    created: Option<Num>,
    #[serde(default)]
    created_at: Option<Num>,
    #[serde(default)]
    usage: Option<UsageProbe>,
    #[serde(default)]
    batch: Option<bool>,
    #[serde(default)]
    cache_hit: Option<bool>,
    #[serde(borrow, default)]
    response: Option<ResponseProbe<'a>>,
    #[serde(default)]
    error: Option<IgnoredAny>,
    #[serde(borrow, default)]
    result: Option<AnthropicResult<'a>>,
    #[serde(borrow, default)]
    data: Option<Vec<Bucket<'a>>>,
    #[serde(borrow, default)]
    results: Option<Vec<OrgResult<'a>>>,
    #[serde(default)]
    start_time: Option<Num>,
}

/// A string that borrows from the line when it has no escapes. (serde borrows a bare
/// `Cow<str>` field, but not one inside an `Option`: that would allocate on every line.)
#[derive(Debug, Default)]
struct Text<'a>(Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(TextVisitor).map(Text)
    }
}

/// A number where a few producers put other things (`created_at` is a string in some APIs).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum Num {
    Int(i64),
    Float(f64),
    Other(IgnoredAny),
}

impl Num {
    fn secs(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(f) if f.is_finite() => Some(f as i64),
            _ => None,
        }
    }
}

/// Every usage shape: llmkit's normalized one, OpenAI chat/completions, the Responses API and
/// Anthropic messages. Counts are signed so negative ones can be reported, not mis-parsed.
#[derive(Debug, Default, Deserialize)]
struct UsageProbe {
    #[serde(default)]
    input_tokens: Option<i64>,
    #[serde(default)]
    output_tokens: Option<i64>,
    #[serde(default)]
    cached_tokens: Option<i64>,
    #[serde(default)]
    cache_write_tokens: Option<i64>,
    #[serde(default)]
    reasoning_tokens: Option<i64>,
    #[serde(default)]
    prompt_tokens: Option<i64>,
    #[serde(default)]
    completion_tokens: Option<i64>,
    #[serde(default)]
    prompt_tokens_details: Option<InputDetails>,
    #[serde(default)]
    completion_tokens_details: Option<OutputDetails>,
    #[serde(default)]
    input_tokens_details: Option<InputDetails>,
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
    #[serde(default)]
    cache_creation_input_tokens: Option<i64>,
    #[serde(default)]
    cache_read_input_tokens: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct InputDetails {
    #[serde(default)]
    cached_tokens: Option<i64>,
    #[serde(default)]
    cache_write_tokens: Option<i64>,
    #[serde(default)]
    cache_creation_tokens: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct OutputDetails {
    #[serde(default)]
    reasoning_tokens: Option<i64>,
}

/// `response` of an OpenAI batch output line (`{status_code, body}`); in a recording it is
/// the response body itself, whose fields are not needed (the line carries `usage`).
#[derive(Debug, Default, Deserialize)]
struct ResponseProbe<'a> {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(borrow, default)]
    body: Option<BodyProbe<'a>>,
}

/// A provider response body (OpenAI or Anthropic).
#[derive(Debug, Default, Deserialize)]
struct BodyProbe<'a> {
    #[serde(borrow, default)]
    model: Option<Text<'a>>,
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(default)]
    created: Option<Num>,
    #[serde(default)]
    created_at: Option<Num>,
    #[serde(default)]
    usage: Option<UsageProbe>,
}

/// `result` of an Anthropic Message Batches results line.
#[derive(Debug, Default, Deserialize)]
struct AnthropicResult<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(borrow, default)]
    message: Option<BodyProbe<'a>>,
}

/// A bucket of an organization usage page (also matches other `data` arrays leniently).
#[derive(Debug, Default, Deserialize)]
struct Bucket<'a> {
    #[serde(default)]
    start_time: Option<Num>,
    #[serde(borrow, default)]
    results: Option<Vec<OrgResult<'a>>>,
}

/// `organization.usage.completions.result` (and the embeddings one).
#[derive(Debug, Default, Deserialize)]
struct OrgResult<'a> {
    #[serde(default)]
    input_tokens: Option<i64>,
    #[serde(default)]
    output_tokens: Option<i64>,
    #[serde(default)]
    input_cached_tokens: Option<i64>,
    #[serde(default)]
    num_model_requests: Option<i64>,
    #[serde(borrow, default)]
    project_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    user_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    api_key_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    model: Option<Text<'a>>,
    #[serde(default)]
    batch: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    /// llmkit's [`Usage`]: input includes cached and cache-write tokens.
    Normalized,
    /// OpenAI: `prompt_tokens` (or the Responses API's `input_tokens`) include cached tokens.
    OpenAi,
    /// Anthropic: `input_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens` add up.
    Anthropic,
}

fn count(v: Option<i64>, field: &str) -> Result<u64, String> {
    match v {
        None => Ok(0),
        Some(n) if n < 0 => Err(format!("negative token count in usage.{field} ({n})")),
        Some(n) => Ok(n as u64),
    }
}

fn normalize(u: &UsageProbe, style: Style) -> Result<Usage, String> {
    match style {
        Style::Normalized => Ok(Usage {
            input_tokens: count(u.input_tokens, "input_tokens")?,
            cached_tokens: count(u.cached_tokens, "cached_tokens")?,
            cache_write_tokens: count(u.cache_write_tokens, "cache_write_tokens")?,
            output_tokens: count(u.output_tokens, "output_tokens")?,
            reasoning_tokens: count(u.reasoning_tokens, "reasoning_tokens")?,
        }),
        Style::OpenAi => {
            let (input, field) = match (u.prompt_tokens, u.input_tokens) {
                (Some(p), _) => (p, "prompt_tokens"),
                (None, Some(i)) => (i, "input_tokens"),
                (None, None) => return Err("missing field usage.prompt_tokens".into()),
            };
            let details = u.prompt_tokens_details.as_ref().or(u.input_tokens_details.as_ref());
            let out_details = u.completion_tokens_details.as_ref().or(u.output_tokens_details.as_ref());
            Ok(Usage {
                input_tokens: count(Some(input), field)?,
                cached_tokens: count(
                    details.and_then(|d| d.cached_tokens),
                    "prompt_tokens_details.cached_tokens",
                )?,
                cache_write_tokens: count(
                    details.and_then(|d| d.cache_write_tokens.or(d.cache_creation_tokens)),
                    "prompt_tokens_details.cache_write_tokens",
                )?,
                output_tokens: count(u.completion_tokens.or(u.output_tokens), "completion_tokens")?,
                reasoning_tokens: count(
                    out_details.and_then(|d| d.reasoning_tokens),
                    "completion_tokens_details.reasoning_tokens",
                )?,
            })
        }
        Style::Anthropic => {
            let Some(plain) = u.input_tokens else {
                return Err("missing field usage.input_tokens".into());
            };
            let plain = count(Some(plain), "input_tokens")?;
            let write = count(u.cache_creation_input_tokens, "cache_creation_input_tokens")?;
            let read = count(u.cache_read_input_tokens, "cache_read_input_tokens")?;
            Ok(Usage {
                input_tokens: plain + write + read,
                cached_tokens: read,
                cache_write_tokens: write,
                output_tokens: count(u.output_tokens, "output_tokens")?,
                reasoning_tokens: 0,
            })
        }
    }
}

/// The usage style of a provider response.
fn response_style(u: &UsageProbe, kind: Option<&str>, id: Option<&str>) -> Style {
    if u.prompt_tokens.is_some() {
        Style::OpenAi
    } else if u.cache_creation_input_tokens.is_some()
        || u.cache_read_input_tokens.is_some()
        || kind == Some("message")
        || id.is_some_and(|i| i.starts_with("msg_"))
    {
        Style::Anthropic
    } else {
        Style::OpenAi
    }
}

fn provider_of(style: Style) -> &'static str {
    match style {
        Style::Anthropic => "anthropic",
        _ => "openai",
    }
}

/// Classify one top-level JSON value and hand its records to the sink.
fn emit<S: Sink>(p: &Probe<'_>, sink: &mut S) -> Result<(), String> {
    // Anthropic Message Batches results: {"custom_id", "result": {"type", "message"}}.
    if let Some(result) = &p.result {
        if result.kind.as_deref() != Some("succeeded") {
            sink.no_usage();
            return Ok(());
        }
        let msg = result.message.as_ref().ok_or("missing field result.message")?;
        let usage = msg.usage.as_ref().ok_or("missing field result.message.usage")?;
        let rec = Record {
            ts: None,
            model: Some(msg.model.as_deref().ok_or("missing field result.message.model")?),
            provider: Some("anthropic"),
            user: None,
            project: None,
            key: None,
            batch: true,
            cache_hit: false,
            requests: 1,
            usage: normalize(usage, Style::Anthropic)?,
        };
        sink.record(&rec);
        return Ok(());
    }
    // OpenAI Batch API output: {"id", "custom_id", "response": {"status_code", "body"}, "error"}.
    if p.custom_id.is_some() && (p.response.is_some() || p.error.is_some()) {
        let Some(body) = p.response.as_ref().and_then(|r| r.body.as_ref()) else {
            sink.no_usage();
            return Ok(());
        };
        let status_ok = p.response.as_ref().and_then(|r| r.status_code).is_none_or(|s| s < 400);
        let Some(usage) = body.usage.as_ref().filter(|_| status_ok) else {
            sink.no_usage();
            return Ok(());
        };
        let style = response_style(usage, body.kind.as_deref(), body.id.as_deref());
        let rec = Record {
            ts: body.created.or(body.created_at).and_then(Num::secs),
            model: Some(body.model.as_deref().ok_or("missing field response.body.model")?),
            provider: Some(provider_of(style)),
            user: None,
            project: None,
            key: None,
            batch: p.id.as_deref().is_some_and(|id| id.starts_with("batch_req_")),
            cache_hit: false,
            requests: 1,
            usage: normalize(usage, style)?,
        };
        sink.record(&rec);
        return Ok(());
    }
    // llmkit ledger / recording lines.
    if let Some(ts) = &p.ts {
        if p.url.is_some() || p.provider.is_some() {
            let model = p.model.as_deref().ok_or("missing field `model`")?;
            let Some(usage) = &p.usage else {
                sink.no_usage();
                return Ok(());
            };
            let secs = parse_timestamp(ts).ok_or_else(|| format!("invalid ts `{}`", &**ts))?;
            let rec = Record {
                ts: Some(secs),
                model: Some(model),
                provider: p.provider.as_deref(),
                user: p.user.as_deref(),
                project: p.project.as_deref(),
                key: p.key_name.as_deref(),
                batch: p.batch.unwrap_or(false),
                cache_hit: p.cache_hit.unwrap_or(false),
                requests: 1,
                usage: normalize(usage, Style::Normalized)?,
            };
            sink.record(&rec);
            return Ok(());
        }
    }
    // OpenAI organization usage: a page of buckets, or one bucket per line.
    match p.object.as_deref() {
        Some("page") => {
            for bucket in p.data.as_deref().unwrap_or_default() {
                let ts = bucket.start_time.and_then(Num::secs);
                for r in bucket.results.as_deref().unwrap_or_default() {
                    emit_org_result(r, ts, sink)?;
                }
            }
            return Ok(());
        }
        Some("bucket") => {
            let ts = p.start_time.and_then(Num::secs);
            for r in p.results.as_deref().unwrap_or_default() {
                emit_org_result(r, ts, sink)?;
            }
            return Ok(());
        }
        _ => {}
    }
    // A raw provider response.
    if let Some(usage) = &p.usage {
        let style = response_style(usage, p.kind.as_deref(), p.id.as_deref());
        let rec = Record {
            ts: p.created.or(p.created_at).and_then(Num::secs),
            model: Some(p.model.as_deref().ok_or("missing field `model`")?),
            provider: Some(provider_of(style)),
            user: p.user.as_deref(),
            project: None,
            key: None,
            batch: false,
            cache_hit: false,
            requests: 1,
            usage: normalize(usage, style)?,
        };
        sink.record(&rec);
        return Ok(());
    }
    if p.kind.as_deref() == Some("error") || p.error.is_some() {
        sink.no_usage();
        return Ok(());
    }
    if p.model.is_some() && (p.object.is_some() || p.id.is_some()) {
        return Err("missing field `usage`".into());
    }
    Err("unknown format (not a ledger line, batch output, API response or usage page)".into())
}

fn emit_org_result<S: Sink>(r: &OrgResult<'_>, ts: Option<i64>, sink: &mut S) -> Result<(), String> {
    let Some(input) = r.input_tokens else {
        // Results of other usage kinds (images, audio) carry no tokens.
        sink.no_usage();
        return Ok(());
    };
    let usage = Usage {
        input_tokens: count(Some(input), "input_tokens")?,
        cached_tokens: count(r.input_cached_tokens, "input_cached_tokens")?,
        cache_write_tokens: 0,
        output_tokens: count(r.output_tokens, "output_tokens")?,
        reasoning_tokens: 0,
    };
    let rec = Record {
        ts,
        model: r.model.as_deref(),
        provider: Some("openai"),
        user: r.user_id.as_deref(),
        project: r.project_id.as_deref(),
        key: r.api_key_id.as_deref(),
        batch: r.batch.unwrap_or(false),
        cache_hit: false,
        requests: count(r.num_model_requests, "num_model_requests")?,
        usage,
    };
    sink.record(&rec);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Column positions of a recognised CSV header.
#[derive(Debug, Default)]
struct CsvColumns {
    dashboard: bool,
    model: Option<usize>,
    input: Option<usize>,
    output: Option<usize>,
    cached: Option<usize>,
    reasoning: Option<usize>,
    cache_write: Option<usize>,
    timestamp: Option<usize>,
    user: Option<usize>,
    project: Option<usize>,
    key: Option<usize>,
    provider: Option<usize>,
    batch: Option<usize>,
    requests: Option<usize>,
}

impl CsvColumns {
    fn from_header(h: &csv::StringRecord) -> Option<CsvColumns> {
        let find = |names: &[&str]| {
            h.iter().position(|c| {
                names.iter().any(|n| c.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(n))
            })
        };
        // The OpenAI usage dashboard export (activity): bucketed like the usage API.
        if find(&["num_model_requests"]).is_some() && find(&["input_cached_tokens"]).is_some() {
            return Some(CsvColumns {
                dashboard: true,
                model: find(&["model"]),
                input: find(&["input_tokens"]),
                output: find(&["output_tokens"]),
                cached: find(&["input_cached_tokens"]),
                timestamp: find(&["start_time"]).or(find(&["start_time_iso"])),
                user: find(&["user_id"]),
                project: find(&["project_id"]),
                key: find(&["api_key_id"]),
                batch: find(&["batch"]),
                requests: find(&["num_model_requests"]),
                ..Default::default()
            });
        }
        let cols = CsvColumns {
            dashboard: false,
            model: find(&["model"]),
            input: find(&["input_tokens", "prompt_tokens"]),
            output: find(&["output_tokens", "completion_tokens"]),
            cached: find(&["cached_tokens"]),
            reasoning: find(&["reasoning_tokens"]),
            cache_write: find(&["cache_write_tokens"]),
            timestamp: find(&["timestamp", "ts", "time", "date"]),
            user: find(&["user"]),
            project: find(&["project"]),
            key: find(&["key", "key_name", "api_key_id"]),
            provider: find(&["provider"]),
            batch: find(&["batch"]),
            requests: find(&["requests"]),
        };
        (cols.model.is_some() && cols.input.is_some() && cols.output.is_some()).then_some(cols)
    }
}

fn read_csv<R: BufRead, S: Sink>(name: &str, mut reader: R, sink: &mut S) -> anyhow::Result<()> {
    // Tab-separated exports are accepted too: decide from the header line.
    let delimiter = {
        let buf = reader.fill_buf().with_context(|| format!("reading {name}"))?;
        let line = buf.split(|b| *b == b'\n').next().unwrap_or(buf);
        if line.contains(&b'\t') && !line.contains(&b',') {
            b'\t'
        } else {
            b','
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .has_headers(true)
        .from_reader(reader);
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            sink.skip(name, Loc::Line(1), &format!("unreadable CSV header: {e}"));
            return Ok(());
        }
    };
    let Some(cols) = CsvColumns::from_header(&header) else {
        sink.skip(
            name,
            Loc::Line(1),
            "unknown format: CSV without model,input_tokens,output_tokens columns \
             (and not an OpenAI usage export)",
        );
        return Ok(());
    };
    let mut row = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut row) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = row.position().map(|p| p.line()).unwrap_or(0);
                if let Err(reason) = emit_csv_row(&cols, &row, sink) {
                    sink.skip(name, Loc::Line(line), &reason);
                }
            }
            Err(e) => {
                if e.is_io_error() {
                    return Err(e).with_context(|| format!("reading {name}"));
                }
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                sink.skip(name, Loc::Line(line), &format!("bad CSV: {e}"));
            }
        }
    }
}

fn emit_csv_row<S: Sink>(cols: &CsvColumns, row: &csv::StringRecord, sink: &mut S) -> Result<(), String> {
    let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).filter(|s| !s.is_empty());
    let model = cell(cols.model);
    // Dashboard exports list empty buckets as rows of empty cells.
    if cols.dashboard && model.is_none() && cell(cols.input).is_none() {
        sink.no_usage();
        return Ok(());
    }
    let num = |i: Option<usize>, field: &str, required: bool| -> Result<u64, String> {
        match cell(i) {
            None if required => Err(format!("missing {field}")),
            None => Ok(0),
            Some(s) => parse_count(s).ok_or_else(|| {
                if s.starts_with('-') {
                    format!("negative token count in {field} ({s})")
                } else {
                    format!("invalid number in {field}: `{s}`")
                }
            }),
        }
    };
    let usage = Usage {
        input_tokens: num(cols.input, "input_tokens", true)?,
        cached_tokens: num(cols.cached, "cached_tokens", false)?,
        cache_write_tokens: num(cols.cache_write, "cache_write_tokens", false)?,
        output_tokens: num(cols.output, "output_tokens", !cols.dashboard)?,
        reasoning_tokens: num(cols.reasoning, "reasoning_tokens", false)?,
    };
    let requests = if cols.requests.is_some() { num(cols.requests, "requests", false)? } else { 1 };
    let ts = match cell(cols.timestamp) {
        None => None,
        Some(s) => Some(parse_timestamp(s).ok_or_else(|| format!("invalid timestamp `{s}`"))?),
    };
    let batch = match cell(cols.batch) {
        None => false,
        Some(s) => parse_bool(s).ok_or_else(|| format!("invalid batch value `{s}`"))?,
    };
    let rec = Record {
        ts,
        model: Some(model.ok_or("missing model")?),
        provider: if cols.dashboard { Some("openai") } else { cell(cols.provider) },
        user: cell(cols.user),
        project: cell(cols.project),
        key: cell(cols.key),
        batch,
        cache_hit: false,
        requests,
        usage,
    };
    sink.record(&rec);
    Ok(())
}

/// A non-negative whole count; `12.0` (as spreadsheets write it) is accepted.
fn parse_count(s: &str) -> Option<u64> {
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let f: f64 = s.parse().ok()?;
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0).then_some(f as u64)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "batch" => Some(true),
        "false" | "0" | "no" | "" | "standard" => Some(false),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Time

/// Unix seconds (UTC) from RFC 3339 (`2026-01-02T03:04:05.678Z`, `+02:00` offsets, a space
/// instead of `T`), a bare date (midnight UTC), or unix seconds. The common RFC 3339 shape is
/// parsed by hand because the ledger has one per line.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(secs) = parse_rfc3339_fast(s.as_bytes()) {
        return Some(secs);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let f: f64 = s.parse().ok()?;
        // Milliseconds since the epoch are common too.
        return Some(if f > 1e11 { (f / 1000.0) as i64 } else { f as i64 });
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        let days = days_from_civil(dt.year() as i64, dt.month() as i64, dt.day() as i64);
        return Some(days * 86_400 + dt.hour() as i64 * 3600 + dt.minute() as i64 * 60 + dt.second() as i64);
    }
    if let Ok(date) = s.parse::<jiff::civil::Date>() {
        return Some(days_from_civil(date.year() as i64, date.month() as i64, date.day() as i64) * 86_400);
    }
    None
}

fn parse_rfc3339_fast(b: &[u8]) -> Option<i64> {
    if b.len() < 10 {
        return None;
    }
    let d = |i: usize| -> Option<i64> { b.get(i).filter(|c| c.is_ascii_digit()).map(|c| (c - b'0') as i64) };
    let num = |from: usize, len: usize| -> Option<i64> {
        (from..from + len).try_fold(0, |acc, i| Some(acc * 10 + d(i)?))
    };
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some(days * 86_400);
    }
    if !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, m, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        // No offset: taken as UTC (spreadsheet exports write local-less times).
        None => 0,
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let off = num(i + 1, 2)? * 3600 + num(i + 4, 2)? * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    Some(days * 86_400 + h * 3600 + m * 60 + sec - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's civil-days formula).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (model, usage, batch, requests, ts) of a record.
    type Seen = (Option<String>, Usage, bool, u64, Option<i64>);

    #[derive(Default)]
    struct Collect {
        records: Vec<Seen>,
        skipped: Vec<(String, Loc, String)>,
        no_usage: u64,
    }

    impl Sink for Collect {
        fn record(&mut self, r: &Record<'_>) {
            self.records.push((r.model.map(str::to_string), r.usage, r.batch, r.requests, r.ts));
        }
        fn skip(&mut self, file: &str, loc: Loc, reason: &str) {
            self.skipped.push((file.to_string(), loc, reason.to_string()));
        }
        fn no_usage(&mut self) {
            self.no_usage += 1;
        }
    }

    fn read(text: &str) -> Collect {
        let mut c = Collect::default();
        read_stream("t", text.as_bytes(), &mut c).unwrap();
        c
    }

    fn u(input: u64, cached: u64, write: u64, output: u64, reasoning: u64) -> Usage {
        Usage {
            input_tokens: input,
            cached_tokens: cached,
            cache_write_tokens: write,
            output_tokens: output,
            reasoning_tokens: reasoning,
        }
    }

    #[test]
    fn timestamps_parse_fast_and_slow_paths_alike() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2026-11-22T18:44:13.123Z"), Some(1_795_373_053));
        assert_eq!(parse_timestamp("2026-11-22T20:44:13+02:00"), Some(1_795_373_053));
        assert_eq!(parse_timestamp("2026-11-22 18:44:13"), Some(1_795_373_053));
        assert_eq!(parse_timestamp("2026-11-22"), Some(1_795_305_600));
        assert_eq!(parse_timestamp("1795373053"), Some(1_795_373_053));
        assert_eq!(parse_timestamp("yesterday"), None);
        for day in [-1000, 0, 59, 60, 365, 20_000, 20_779] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m as i64, d as i64), day);
        }
    }

    #[test]
    fn each_json_shape_is_detected_and_normalized() {
        let c = read(concat!(
            r#"{"ts":"2026-01-01T00:00:00Z","provider":"openai","url":"u","model":"gpt-4o","usage":{"input_tokens":10,"cached_tokens":4,"output_tokens":5,"reasoning_tokens":2},"batch":true}"#,
            "\n",
            r#"{"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"body":{"model":"gpt-4o-mini","created":100,"usage":{"prompt_tokens":7,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":2}}}},"error":null}"#,
            "\n",
            r#"{"id":"msg_1","type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":5,"cache_creation_input_tokens":3,"cache_read_input_tokens":2,"output_tokens":4}}"#,
            "\n",
            r#"{"custom_id":"b","result":{"type":"succeeded","message":{"model":"claude-haiku-4-5","usage":{"input_tokens":1,"output_tokens":1}}}}"#,
            "\n",
            r#"{"custom_id":"c","result":{"type":"errored","error":{"type":"x"}}}"#,
            "\n",
            r#"{"object":"response","model":"o3","usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":1},"output_tokens":8,"output_tokens_details":{"reasoning_tokens":6}}}"#,
            "\n",
        ));
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        assert_eq!(c.no_usage, 1);
        let got: Vec<_> = c.records.iter().map(|r| (r.0.clone().unwrap(), r.1, r.2)).collect();
        assert_eq!(
            got,
            vec![
                ("gpt-4o".into(), u(10, 4, 0, 5, 2), true),
                ("gpt-4o-mini".into(), u(7, 2, 0, 3, 0), true),
                ("claude-sonnet-4-5".into(), u(10, 2, 3, 4, 0), false),
                ("claude-haiku-4-5".into(), u(1, 0, 0, 1, 0), true),
                ("o3".into(), u(9, 1, 0, 8, 6), false),
            ]
        );
        assert_eq!(c.records[1].4, Some(100));
    }

    #[test]
    fn escaped_strings_are_read_too() {
        let c = read(
            r#"{"ts":"2026-01-01T00:00:00Z","provider":"openai","model":"gpt\u002d4o","user":"a\"b","usage":{"input_tokens":1}}"#,
        );
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        assert_eq!(c.records[0].0.as_deref(), Some("gpt-4o"));
    }

    #[test]
    fn broken_lines_are_reported_with_their_line_and_the_rest_is_read() {
        let c = read(concat!(
            "{not json}\n",
            "\n",
            r#"{"ts":"2026-01-01T00:00:00Z","provider":"openai","url":"u","usage":{"input_tokens":1}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:00Z","provider":"openai","url":"u","model":"m","usage":{"input_tokens":-1}}"#,
            "\n",
            r#"{"hello":"world"}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:00Z","provider":"openai","url":"u","model":"m","usage":{"input_tokens":1}}"#,
            "\n",
        ));
        let locs: Vec<_> = c.skipped.iter().map(|s| s.1).collect();
        assert_eq!(locs, vec![Loc::Line(1), Loc::Line(3), Loc::Line(4), Loc::Line(5)]);
        assert!(c.skipped[0].2.contains("bad JSON"));
        assert!(c.skipped[1].2.contains("model"));
        assert!(c.skipped[2].2.contains("negative"));
        assert!(c.skipped[3].2.contains("unknown format"));
        assert_eq!(c.records.len(), 1);
    }

    #[test]
    fn pretty_documents_and_arrays_stream() {
        let page = r#"{
  "object": "page",
  "data": [{"object": "bucket", "start_time": 1730419200, "results": [
     {"object": "organization.usage.completions.result", "input_tokens": 1000, "output_tokens": 500,
      "input_cached_tokens": 800, "num_model_requests": 5, "model": "gpt-4o-mini", "batch": null,
      "project_id": "proj_1", "user_id": null, "api_key_id": null}]}],
  "has_more": false
}"#;
        let c = read(page);
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        assert_eq!(c.records.len(), 1);
        assert_eq!(c.records[0].1, u(1000, 800, 0, 500, 0));
        assert_eq!(c.records[0].3, 5);
        assert_eq!(c.records[0].4, Some(1_730_419_200));

        let arr = r#"[{"model":"gpt-4o","object":"chat.completion","usage":{"prompt_tokens":3,"completion_tokens":1}},
                      {"model":"gpt-4o"}]"#;
        let c = read(arr);
        assert_eq!(c.records.len(), 1);
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].1, Loc::Element(2));
    }

    #[test]
    fn parallel_blocks_read_like_one_stream() {
        let mut text = String::new();
        for i in 0..500 {
            match i % 7 {
                0 => text.push_str("{broken\n"),
                1 => text.push('\n'),
                _ => text.push_str(&format!(
                    "{{\"ts\":\"2026-01-01T00:00:00Z\",\"provider\":\"openai\",\"model\":\"m{}\",\"usage\":{{\"input_tokens\":{i},\"output_tokens\":1}},\"pad\":\"{}\"}}\n",
                    i % 3,
                    "x".repeat(i % 150)
                )),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        std::fs::write(&path, &text).unwrap();
        let seq = read(&text);
        // Lines split across small buffer fills, and a last line without a newline.
        for cap in [7, 16, 333] {
            let mut small = Collect::default();
            let trimmed = text.trim_end();
            read_stream("t", std::io::BufReader::with_capacity(cap, trimmed.as_bytes()), &mut small).unwrap();
            assert_eq!(small.records, seq.records, "capacity {cap}");
            assert_eq!(small.skipped, seq.skipped, "capacity {cap}");
        }
        // Blocks far smaller than some lines exercise the carry-over.
        let parts = read_jsonl_blocks(&path, 3, 100, Collect::default).unwrap().unwrap();
        let mut records: Vec<Seen> = parts.iter().flat_map(|c| c.records.clone()).collect();
        let mut skipped: Vec<Loc> = parts.iter().flat_map(|c| c.skipped.iter().map(|s| s.1)).collect();
        records.sort_by_key(|r| r.1.input_tokens);
        skipped.sort();
        assert_eq!(records, seq.records);
        assert_eq!(skipped, seq.skipped.iter().map(|s| s.1).collect::<Vec<_>>());
        assert!(skipped.contains(&Loc::Line(498)));
        // Not JSON Lines: left to the sequential readers.
        std::fs::write(&path, "model,input_tokens,output_tokens\n").unwrap();
        assert!(read_jsonl_blocks(&path, 2, 100, Collect::default).unwrap().is_none());
        std::fs::write(&path, "{\n  \"object\": \"page\"\n}\n").unwrap();
        assert!(read_jsonl_blocks(&path, 2, 100, Collect::default).unwrap().is_none());
    }

    #[test]
    fn csv_generic_and_dashboard_exports() {
        let c = read("model,input_tokens,output_tokens,cached_tokens,timestamp,batch\ngpt-4o,10,5,2,2026-01-02,true\ngpt-4o,x,1,,,\n");
        assert_eq!(c.records.len(), 1);
        assert_eq!(c.records[0].1, u(10, 2, 0, 5, 0));
        assert!(c.records[0].2);
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].1, Loc::Line(3));

        let dash = "start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens\n\
                    1759622400,1759708800,x,y,proj_1,10.0,user-1,key_1,gpt-4o-2024-08-06,FALSE,default,59200.0,10646.0,5760.0\n\
                    1759881600,1759968000,x,y,,,,,,,,,,\n";
        let c = read(dash);
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        assert_eq!(c.no_usage, 1);
        assert_eq!(c.records[0].1, u(59200, 5760, 0, 10646, 0));
        assert_eq!(c.records[0].3, 10);

        let c = read("a,b\n1,2\n");
        assert_eq!(c.skipped.len(), 1);
        assert!(c.skipped[0].2.contains("unknown format"));
    }
}
