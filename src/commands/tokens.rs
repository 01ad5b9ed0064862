//! `llmkit tokens`: count, encode, decode, truncate and chunk tokens, offline.
//!
//! Why it is built this way:
//! - Counting streams every input through [`TextChunks`], which cuts text only where the
//!   pre-tokenizer cannot join across, so a 1 GB file is counted in bounded memory and gives
//!   exactly the whole-text count; chunks of one file are counted in parallel, and so are files.
//! - One input prints a bare number (scriptable, like `ttok`); several print a table.
//! - Errors on one input (unreadable, not UTF-8) are reported with its path and do not stop the
//!   others; the run then exits 2. Binary files met while walking a directory are skipped and
//!   listed, as `rg` does; a file named on the command line is always read.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cli::{Format, TokensArgs};
use crate::error::{Error, ExitStatus};
use crate::output::{write_csv, write_json, Printer};
use crate::tokenize::{
    builtin_context_window, estimate_encoding_for_model, try_count_chat_request, ChatCount, Encoding,
    ReadTextError, TextChunks,
};

/// Chunk size for streaming: large enough that per-chunk overhead vanishes, small enough that
/// a batch of chunks per core stays a few MB.
const CHUNK_BYTES: usize = 256 * 1024;

/// Where text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    fn label(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::Path(p) => p.display().to_string(),
        }
    }

    fn open(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Input::Stdin => Box::new(std::io::stdin()),
            Input::Path(p) => Box::new(std::fs::File::open(p)?),
        })
    }
}

/// The tokenizer chosen by `-m`/`-e`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerChoice {
    pub encoding: Encoding,
    /// The model named with `-m`, if any.
    pub model: Option<String>,
    /// Set when the model has no local tokenizer: the family whose count is estimated.
    pub estimated_family: Option<&'static str>,
    /// `-m` or `-e` was given (else each chat request's own `model` picks its tokenizer).
    pub explicit: bool,
}

impl TokenizerChoice {
    pub fn approximate(&self) -> bool {
        self.estimated_family.is_some()
    }

    /// From `-m` / `-e`; no flag means o200k_base. Unknown names are usage errors.
    pub fn resolve(model: Option<&str>, encoding: Option<&str>) -> anyhow::Result<Self> {
        if let Some(name) = encoding {
            let encoding = Encoding::for_model(name).ok_or_else(|| {
                Error::usage(format!("unknown encoding `{name}` (known: {})", encoding_names()))
            })?;
            return Ok(TokenizerChoice { encoding, model: None, estimated_family: None, explicit: true });
        }
        let Some(model) = model else {
            return Ok(TokenizerChoice {
                encoding: Encoding::O200kBase,
                model: None,
                estimated_family: None,
                explicit: false,
            });
        };
        let named = |encoding, estimated_family| TokenizerChoice {
            encoding,
            model: Some(model.to_string()),
            estimated_family,
            explicit: true,
        };
        if let Some(encoding) = Encoding::for_model(model) {
            return Ok(named(encoding, None));
        }
        match estimate_encoding_for_model(model) {
            Some((encoding, family)) => Ok(named(encoding, Some(family))),
            None => Err(Error::usage(format!(
                "unknown model `{model}`: no tokenizer known for it; pick an encoding with -e ({})",
                encoding_names()
            ))
            .into()),
        }
    }
}

fn encoding_names() -> String {
    Encoding::ALL.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ")
}

/// What to do with the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Count,
    Encode,
    /// Ids given on the command line, else read from stdin.
    Decode(Option<Vec<u32>>),
    Truncate(u64),
    Chunk(u64),
    Messages,
}

/// Validated settings of one `tokens` run (no clap types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokensSettings {
    pub inputs: Vec<Input>,
    pub tokenizer: TokenizerChoice,
    pub mode: Mode,
    /// The context window to compare against (`--context`).
    pub context_window: Option<u64>,
    pub allow_special: bool,
    pub format: Format,
    pub hidden: bool,
    pub no_ignore: bool,
}

impl TokensSettings {
    pub fn resolve(args: TokensArgs) -> anyhow::Result<Self> {
        let TokensArgs {
            paths,
            model,
            encoding,
            encode,
            decode,
            truncate,
            chunk,
            messages,
            context,
            allow_special,
            hidden,
            no_ignore,
            format,
        } = args;
        let tokenizer = TokenizerChoice::resolve(model.as_deref(), encoding.as_deref())?;
        let mode = if encode {
            Mode::Encode
        } else if decode {
            Mode::Decode(if paths.is_empty() { None } else { Some(parse_id_args(&paths)?) })
        } else if let Some(n) = truncate {
            Mode::Truncate(n)
        } else if let Some(n) = chunk {
            Mode::Chunk(n)
        } else if messages {
            Mode::Messages
        } else {
            Mode::Count
        };
        let inputs: Vec<Input> = if matches!(mode, Mode::Decode(_)) || paths.is_empty() {
            vec![Input::Stdin]
        } else {
            paths
                .into_iter()
                .map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::Path(p) })
                .collect()
        };
        if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
            return Err(Error::usage("stdin (`-`) can be read only once").into());
        }
        if matches!(mode, Mode::Encode | Mode::Truncate(_) | Mode::Chunk(_)) && inputs.len() > 1 {
            return Err(Error::usage("--encode, --truncate and --chunk read one input").into());
        }
        let context_window = if context {
            if matches!(mode, Mode::Encode | Mode::Decode(_) | Mode::Truncate(_) | Mode::Chunk(_)) {
                return Err(Error::usage("--context goes with counting or --messages").into());
            }
            let model = tokenizer
                .model
                .as_deref()
                .ok_or_else(|| Error::usage("--context needs -m MODEL to know the context window"))?;
            Some(
                context_window_of(model)?
                    .ok_or_else(|| Error::usage(format!("no context window known for model `{model}`")))?,
            )
        } else {
            None
        };
        Ok(TokensSettings {
            inputs,
            tokenizer,
            mode,
            context_window,
            allow_special,
            format,
            hidden,
            no_ignore,
        })
    }
}

/// The model's context window: `max_input_tokens` from the price table (the embedded snapshot,
/// or `LLMKIT_PRICES` merged over it), else the small built-in table for models the price
/// table lacks.
fn context_window_of(model: &str) -> anyhow::Result<Option<u64>> {
    let prices = std::env::var_os("LLMKIT_PRICES").filter(|v| !v.is_empty()).map(PathBuf::from);
    let table = crate::pricing::PriceTable::load(prices.as_deref())?;
    let from_prices = table.resolve(model).and_then(|r| r.price.max_input_tokens);
    Ok(from_prices.or_else(|| builtin_context_window(model)))
}

/// Token ids given as arguments: `15339 1917`, `15339,1917` or `[15339, 1917]`.
fn parse_id_args(args: &[PathBuf]) -> anyhow::Result<Vec<u32>> {
    let text: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    parse_ids(&text.join(" ")).map_err(|e| Error::usage(format!("--decode arguments: {e}")).into())
}

/// Token ids separated by whitespace or commas, optionally in `[...]`, or the JSON printed by
/// `--encode --format json`.
fn parse_ids(text: &str) -> Result<Vec<u32>, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        #[derive(Deserialize)]
        struct Encoded {
            ids: Vec<u32>,
        }
        return serde_json::from_str::<Encoded>(trimmed).map(|e| e.ids).map_err(|e| e.to_string());
    }
    let inner = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(trimmed);
    inner
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().map_err(|_| format!("`{s}` is not a token id")))
        .collect()
}

/// Run `llmkit tokens`.
pub fn run(settings: TokensSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    if let Some(family) = settings.tokenizer.estimated_family {
        printer.warn(format!(
            "{} has no local tokenizer: counts are an approximation ({} count used as a {family} estimate)",
            settings.tokenizer.model.as_deref().unwrap_or(family),
            settings.tokenizer.encoding.name()
        ));
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let status = match settings.mode.clone() {
        Mode::Count => count_inputs(&settings, &mut out, printer),
        Mode::Encode => encode_input(&settings, &mut out),
        Mode::Decode(ids) => decode_ids(&settings, ids, &mut out, printer),
        Mode::Truncate(n) => truncate_input(&settings, n, &mut out),
        Mode::Chunk(n) => chunk_input(&settings, n, &mut out),
        Mode::Messages => count_messages(&settings, &mut out, printer),
    }?;
    out.flush()?;
    Ok(status)
}

/// One input line of the report.
#[derive(Debug, Clone, Serialize)]
struct FileCount {
    path: String,
    tokens: u64,
    bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
struct Skipped {
    path: String,
    reason: String,
}

#[derive(Debug, Clone, Serialize)]
struct Failed {
    path: String,
    error: String,
}

/// `--format json` of a count (DESIGN.md "Stable outputs": `encoding`, `files`, `total`).
#[derive(Debug, Serialize)]
struct CountReport<'a> {
    encoding: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    approximate: bool,
    files: &'a [FileCount],
    total: Total,
    skipped: &'a [Skipped],
    errors: &'a [Failed],
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<ContextReport>,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Total {
    tokens: u64,
    bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
struct ContextReport {
    model: String,
    context_window: u64,
    used_tokens: u64,
    used_pct: f64,
    remaining: i64,
    fits: bool,
}

impl ContextReport {
    fn new(model: &str, window: u64, used: u64) -> Self {
        ContextReport {
            model: model.to_string(),
            context_window: window,
            used_tokens: used,
            used_pct: (used as f64 / window as f64 * 1000.0).round() / 10.0,
            remaining: window as i64 - used as i64,
            fits: used <= window,
        }
    }

    fn rows(&self) -> Vec<Vec<String>> {
        vec![
            vec!["model".into(), self.model.clone()],
            vec!["tokens".into(), self.used_tokens.to_string()],
            vec!["context window".into(), self.context_window.to_string()],
            vec!["used".into(), format!("{:.1}%", self.used_pct)],
            vec!["remaining".into(), self.remaining.to_string()],
        ]
    }
}

/// A file to count and whether it was found by walking (binary files are then skipped).
struct Source {
    input: Input,
    walked: bool,
}

/// Expand directories into their files (respecting ignore files), keep other inputs as given.
fn collect_sources(settings: &TokensSettings, failed: &mut Vec<Failed>) -> (Vec<Source>, bool) {
    let mut sources = Vec::new();
    let mut any_dir = false;
    for input in &settings.inputs {
        let path = match input {
            Input::Stdin => {
                sources.push(Source { input: Input::Stdin, walked: false });
                continue;
            }
            Input::Path(p) => p,
        };
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                any_dir = true;
                let walker = ignore::WalkBuilder::new(path)
                    .hidden(!settings.hidden)
                    .ignore(!settings.no_ignore)
                    .git_ignore(!settings.no_ignore)
                    .git_global(!settings.no_ignore)
                    .git_exclude(!settings.no_ignore)
                    .parents(!settings.no_ignore)
                    .require_git(false)
                    .sort_by_file_name(|a, b| a.cmp(b))
                    .build();
                for entry in walker {
                    match entry {
                        Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                            sources.push(Source { input: Input::Path(e.into_path()), walked: true })
                        }
                        Ok(_) => {}
                        Err(err) => {
                            failed.push(Failed { path: path.display().to_string(), error: err.to_string() })
                        }
                    }
                }
            }
            Ok(_) => sources.push(Source { input: input.clone(), walked: false }),
            Err(err) => failed.push(Failed { path: path.display().to_string(), error: err.to_string() }),
        }
    }
    (sources, any_dir)
}

/// Count one source by streaming it in chunks; the chunks of a batch are counted in parallel.
fn count_source(enc: Encoding, allow_special: bool, source: &Source) -> Result<(u64, u64), ReadTextError> {
    let reader = source.input.open().map_err(ReadTextError::Io)?;
    count_reader(enc, allow_special, reader, source.walked)
}

/// Count a reader's text exactly, holding at most a batch of chunks at a time.
pub fn count_reader(
    enc: Encoding,
    allow_special: bool,
    reader: impl Read,
    detect_binary: bool,
) -> Result<(u64, u64), ReadTextError> {
    let batch_len = rayon::current_num_threads().max(1) * 4;
    let mut chunks =
        TextChunks::new(reader, CHUNK_BYTES).detect_binary(detect_binary).avoid_special_tokens(allow_special);
    let mut tokens = 0u64;
    let mut batch: Vec<String> = Vec::with_capacity(batch_len);
    loop {
        batch.clear();
        while batch.len() < batch_len {
            match chunks.next_chunk()? {
                Some(c) => batch.push(c),
                None => break,
            }
        }
        match batch.len() {
            0 => break,
            1 => tokens += enc.count_text(&batch[0], allow_special) as u64,
            _ => tokens += batch.par_iter().map(|c| enc.count_text(c, allow_special) as u64).sum::<u64>(),
        }
        if batch.len() < batch_len {
            break;
        }
    }
    Ok((tokens, chunks.bytes_read()))
}

enum Outcome {
    Counted(FileCount),
    Skipped(Skipped),
    Failed(Failed),
}

fn count_inputs(
    settings: &TokensSettings,
    out: &mut dyn Write,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let enc = settings.tokenizer.encoding;
    let mut failed = Vec::new();
    let (sources, any_dir) = collect_sources(settings, &mut failed);
    let single = !any_dir && settings.inputs.len() == 1;
    let outcomes: Vec<Outcome> = sources
        .par_iter()
        .map(|source| {
            let path = source.input.label();
            match count_source(enc, settings.allow_special, source) {
                Ok((tokens, bytes)) => Outcome::Counted(FileCount { path, tokens, bytes }),
                Err(ReadTextError::Binary { .. } | ReadTextError::InvalidUtf8 { .. }) if source.walked => {
                    Outcome::Skipped(Skipped { path, reason: "binary".into() })
                }
                Err(err) => Outcome::Failed(Failed { path, error: err.to_string() }),
            }
        })
        .collect();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Counted(f) => files.push(f),
            Outcome::Skipped(s) => skipped.push(s),
            Outcome::Failed(f) => failed.push(f),
        }
    }
    for s in &skipped {
        printer.info(format!("skipped {} ({})", s.path, s.reason));
    }
    for f in &failed {
        report_error(&format!("{}: {}", f.path, f.error));
    }
    let total =
        Total { tokens: files.iter().map(|f| f.tokens).sum(), bytes: files.iter().map(|f| f.bytes).sum() };
    let context = settings.context_window.map(|w| {
        ContextReport::new(settings.tokenizer.model.as_deref().unwrap_or_default(), w, total.tokens)
    });
    if let Some(c) = context.as_ref().filter(|c| !c.fits) {
        printer.warn(format!("the input does not fit: {} tokens over the context window", -c.remaining));
    }
    let report = CountReport {
        encoding: enc.name(),
        model: settings.tokenizer.model.as_deref(),
        approximate: settings.tokenizer.approximate(),
        files: &files,
        total,
        skipped: &skipped,
        errors: &failed,
        context: context.clone(),
    };
    match settings.format {
        Format::Json | Format::Jsonl => {
            write_json(out, &report, settings.format == Format::Json && printer.stdout_tty)?
        }
        Format::Csv => {
            let rows: Vec<Vec<String>> = files
                .iter()
                .map(|f| vec![f.path.clone(), f.tokens.to_string(), f.bytes.to_string()])
                .collect();
            write_csv(out, &["path", "tokens", "bytes"], &rows)?;
        }
        Format::Table => match &context {
            Some(c) => {
                out.write_all(crate::output::table::render(&["", ""], &c.rows()).as_bytes())?;
                out.write_all(b"\n")?;
            }
            None if single && failed.is_empty() => writeln!(out, "{}", total.tokens)?,
            None if single => {}
            None => {
                let mut rows: Vec<Vec<String>> = files
                    .iter()
                    .map(|f| vec![f.path.clone(), f.tokens.to_string(), f.bytes.to_string()])
                    .collect();
                rows.push(vec![
                    format!("total ({} files)", files.len()),
                    total.tokens.to_string(),
                    total.bytes.to_string(),
                ]);
                out.write_all(crate::output::table::render(&["path", "tokens", "bytes"], &rows).as_bytes())?;
                out.write_all(b"\n")?;
            }
        },
    }
    if !failed.is_empty() {
        out.flush()?;
        return Err(Error::usage(format!(
            "{} of {} inputs could not be counted",
            failed.len(),
            failed.len() + files.len() + skipped.len()
        ))
        .into());
    }
    Ok(ExitStatus::Success)
}

/// Print a per-item error the way `main` prints the final one, and keep going.
fn report_error(msg: &str) {
    eprintln!("llmkit: error: {msg}");
}

/// Read the single input as chunks, turning read errors into one line naming the input.
fn single_chunks(settings: &TokensSettings) -> anyhow::Result<(String, TextChunks<Box<dyn Read + Send>>)> {
    let input = settings.inputs.first().cloned().unwrap_or(Input::Stdin);
    let label = input.label();
    if let Input::Path(p) = &input {
        if p.is_dir() {
            return Err(Error::usage(format!("{label}: is a directory (this mode reads one file)")).into());
        }
    }
    let reader = input.open().map_err(|e| Error::usage(format!("{label}: {e}")))?;
    Ok((label, TextChunks::new(reader, CHUNK_BYTES).avoid_special_tokens(settings.allow_special)))
}

fn next_chunk(label: &str, chunks: &mut TextChunks<Box<dyn Read + Send>>) -> anyhow::Result<Option<String>> {
    chunks.next_chunk().map_err(|e| Error::usage(format!("{label}: {e}")).into())
}

fn encode_input(settings: &TokensSettings, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let enc = settings.tokenizer.encoding;
    let (label, mut chunks) = single_chunks(settings)?;
    let json = matches!(settings.format, Format::Json | Format::Jsonl);
    if json {
        // The JSON document needs the count first; ids of a big input are still written as
        // they come, the count goes last.
        write!(out, "{{\"encoding\":\"{}\",\"ids\":[", enc.name())?;
    }
    let mut n = 0u64;
    while let Some(chunk) = next_chunk(&label, &mut chunks)? {
        for id in enc.encode(&chunk, settings.allow_special) {
            let sep = if n == 0 {
                ""
            } else if json {
                ","
            } else {
                " "
            };
            write!(out, "{sep}{id}")?;
            n += 1;
        }
    }
    if json {
        writeln!(out, "],\"tokens\":{n}}}")?;
    } else {
        writeln!(out)?;
    }
    Ok(ExitStatus::Success)
}

fn decode_ids(
    settings: &TokensSettings,
    ids: Option<Vec<u32>>,
    out: &mut dyn Write,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let enc = settings.tokenizer.encoding;
    let ids = match ids {
        Some(ids) => ids,
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| Error::usage(format!("-: {e}")))?;
            parse_ids(&text).map_err(|e| Error::usage(format!("-: {e}")))?
        }
    };
    let bytes = enc.decode_bytes(&ids).map_err(Error::usage)?;
    let valid = std::str::from_utf8(&bytes).is_ok();
    match settings.format {
        Format::Json | Format::Jsonl => {
            #[derive(Serialize)]
            struct Decoded<'a> {
                encoding: &'static str,
                tokens: usize,
                text: &'a str,
                valid_utf8: bool,
            }
            let text = String::from_utf8_lossy(&bytes);
            write_json(
                out,
                &Decoded { encoding: enc.name(), tokens: ids.len(), text: &text, valid_utf8: valid },
                false,
            )?;
        }
        // The exact bytes, so that decoding consecutive pieces and concatenating them gives the
        // original text even when a piece ends inside a character.
        _ => out.write_all(&bytes)?,
    }
    if !valid {
        printer.warn("the decoded bytes are not valid UTF-8 (the ids cut a character in two)");
    }
    Ok(ExitStatus::Success)
}

/// The longest prefix of `chunk` made of its first `n` tokens that is also valid text whose own
/// count is at most `n`.
fn prefix_of_tokens(
    enc: Encoding,
    chunk: &str,
    ids: &[u32],
    n: usize,
    allow_special: bool,
) -> Result<String, String> {
    let mut take = n.min(ids.len());
    loop {
        let bytes = enc.decode_bytes(&ids[..take])?;
        // Tokens can end inside a character: back off to the last character boundary.
        let mut end = bytes.len().min(chunk.len());
        while !chunk.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &chunk[..end];
        if take == 0 || enc.count_text(prefix, allow_special) <= n {
            return Ok(prefix.to_string());
        }
        take -= 1;
    }
}

fn truncate_input(settings: &TokensSettings, n: u64, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let enc = settings.tokenizer.encoding;
    let (label, mut chunks) = single_chunks(settings)?;
    let mut kept = String::new();
    let mut used = 0u64;
    let mut truncated = false;
    while let Some(chunk) = next_chunk(&label, &mut chunks)? {
        let count = enc.count_text(&chunk, settings.allow_special) as u64;
        if used + count <= n {
            kept.push_str(&chunk);
            used += count;
            continue;
        }
        let ids = enc.encode(&chunk, settings.allow_special);
        let room = (n - used) as usize;
        let prefix =
            prefix_of_tokens(enc, &chunk, &ids, room, settings.allow_special).map_err(Error::usage)?;
        used += enc.count_text(&prefix, settings.allow_special) as u64;
        kept.push_str(&prefix);
        truncated = true;
        break;
    }
    match settings.format {
        Format::Json | Format::Jsonl => {
            #[derive(Serialize)]
            struct Truncated<'a> {
                encoding: &'static str,
                tokens: u64,
                truncated: bool,
                text: &'a str,
            }
            write_json(
                out,
                &Truncated { encoding: enc.name(), tokens: used, truncated, text: &kept },
                false,
            )?;
        }
        _ => out.write_all(kept.as_bytes())?,
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
struct ChunkLine<'a> {
    index: u64,
    tokens: usize,
    text: &'a str,
}

/// Split into pieces of at most `n` tokens. A piece ends on a token boundary that is also a
/// character boundary (a piece is shorter when a character spans tokens, and longer only in the
/// degenerate case of one character needing more than `n` tokens); the pieces concatenate to
/// the input. `tokens` is the number of the input's tokens in the piece.
fn chunk_input(settings: &TokensSettings, n: u64, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let enc = settings.tokenizer.encoding;
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let (label, mut chunks) = single_chunks(settings)?;
    let mut pending_ids: Vec<u32> = Vec::new();
    let mut pending_bytes: Vec<u8> = Vec::new();
    let mut index = 0u64;
    let mut emit = |ids: &[u32], bytes: &[u8], out: &mut dyn Write| -> anyhow::Result<()> {
        let text = std::str::from_utf8(bytes).map_err(|e| Error::usage(format!("{label}: {e}")))?;
        write_json(out, &ChunkLine { index, tokens: ids.len(), text }, false)?;
        index += 1;
        Ok(())
    };
    while let Some(chunk) = next_chunk(&label, &mut chunks)? {
        pending_ids.extend(enc.encode(&chunk, settings.allow_special));
        pending_bytes.extend_from_slice(chunk.as_bytes());
        // Emit full pieces; keep the tail for the next chunk (its tokens are final: chunks end
        // at split points).
        while pending_ids.len() > n {
            let (take, len) = piece_end(enc, &pending_ids, &pending_bytes, n)?;
            emit(&pending_ids[..take], &pending_bytes[..len], out)?;
            pending_ids.drain(..take);
            pending_bytes.drain(..len);
        }
    }
    while !pending_ids.is_empty() {
        let (take, len) = piece_end(enc, &pending_ids, &pending_bytes, n)?;
        emit(&pending_ids[..take], &pending_bytes[..len], out)?;
        pending_ids.drain(..take);
        pending_bytes.drain(..len);
    }
    Ok(ExitStatus::Success)
}

/// How many of `ids` (at most `n`, fewer to end on a character boundary) form the next piece,
/// and its length in bytes.
fn piece_end(enc: Encoding, ids: &[u32], bytes: &[u8], n: usize) -> anyhow::Result<(usize, usize)> {
    let is_boundary = |len: usize| len == bytes.len() || (len < bytes.len() && (bytes[len] as i8) >= -0x40);
    let mut lens = Vec::with_capacity(n.min(ids.len()) + 1);
    let mut len = 0usize;
    lens.push(0);
    for id in &ids[..n.min(ids.len())] {
        len += enc.decode_bytes(std::slice::from_ref(id)).map_err(Error::usage)?.len();
        lens.push(len);
    }
    if let Some(take) = (1..lens.len()).rev().find(|&t| is_boundary(lens[t])) {
        return Ok((take, lens[take]));
    }
    // One character spans more than n tokens: extend to the first boundary.
    for (i, id) in ids.iter().enumerate().skip(n) {
        len += enc.decode_bytes(std::slice::from_ref(id)).map_err(Error::usage)?.len();
        if is_boundary(len) {
            return Ok((i + 1, len));
        }
    }
    Ok((ids.len(), bytes.len()))
}

/// One line of a batch file (OpenAI Batch API) or shorthand line (`{"messages": ...}`).
#[derive(Debug, Deserialize)]
struct BatchLine {
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

/// The cost of one request of a `--messages` input.
#[derive(Debug, Clone, Serialize)]
struct RequestCount {
    /// `file:line` for JSONL, the file for a single request.
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    encoding: &'static str,
    approximate: bool,
    prompt_tokens: u64,
    max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<ContextReport>,
}

#[derive(Debug, Serialize)]
struct MessagesReport<'a> {
    requests: &'a [RequestCount],
    total: MessagesTotal,
    errors: &'a [LineError],
}

#[derive(Debug, Clone, Copy, Serialize)]
struct MessagesTotal {
    requests: usize,
    prompt_tokens: u64,
    /// Sum of `max_tokens` over the requests that set it.
    max_tokens: u64,
    /// Requests without `max_tokens`: their output is bounded only by the model.
    without_max_tokens: usize,
    /// prompt_tokens + max_tokens: the most the batch can consume.
    max_total_tokens: u64,
}

#[derive(Debug, Clone, Serialize)]
struct LineError {
    source: String,
    error: String,
}

/// How a request is counted, from the Batch API `url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Chat,
    /// Legacy completions: the prompt is plain text, no chat overhead.
    Completions,
    /// Embeddings: the input texts, no overhead, no output.
    Embeddings,
}

impl Endpoint {
    fn from_url(url: Option<&str>) -> Endpoint {
        match url {
            Some(u) if u.contains("embeddings") => Endpoint::Embeddings,
            Some(u) if u.contains("completions") && !u.contains("chat") => Endpoint::Completions,
            _ => Endpoint::Chat,
        }
    }
}

/// Plain-text fields of completions and embeddings bodies.
#[derive(Debug, Deserialize)]
struct TextRequest {
    #[serde(default)]
    prompt: Option<Texts>,
    #[serde(default)]
    input: Option<Texts>,
    #[serde(default)]
    max_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Texts {
    One(String),
    Many(Vec<String>),
    /// Pre-tokenized input: already a number of tokens.
    Ids(Vec<u32>),
    ManyIds(Vec<Vec<u32>>),
}

impl Texts {
    fn count(&self, enc: Encoding) -> u64 {
        match self {
            Texts::One(t) => enc.count(t) as u64,
            Texts::Many(ts) => ts.iter().map(|t| enc.count(t) as u64).sum(),
            Texts::Ids(ids) => ids.len() as u64,
            Texts::ManyIds(ids) => ids.iter().map(|i| i.len() as u64).sum(),
        }
    }
}

/// Count one request body with the tokenizer of `-m`/`-e`, else of the body's own `model`.
fn count_request(
    settings: &TokensSettings,
    endpoint: Endpoint,
    body: &serde_json::Value,
) -> Result<(ChatCount, Option<String>, Encoding, bool), String> {
    #[derive(Deserialize)]
    struct ModelField {
        #[serde(default)]
        model: Option<String>,
    }
    let body_model = ModelField::deserialize(body).ok().and_then(|m| m.model);
    let tk = &settings.tokenizer;
    let (enc, approximate, model) = match body_model {
        // A model named in the request picks its tokenizer unless -m/-e chose one.
        Some(m) if !tk.explicit => match Encoding::for_model(&m) {
            Some(e) => (e, false, Some(m)),
            None => (estimate_encoding_for_model(&m).map_or(Encoding::O200kBase, |(e, _)| e), true, Some(m)),
        },
        body_model => (tk.encoding, tk.approximate(), tk.model.clone().or(body_model)),
    };
    let count = match endpoint {
        Endpoint::Chat => try_count_chat_request(enc, body)?,
        Endpoint::Completions | Endpoint::Embeddings => {
            let req: TextRequest = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
            let texts = req.prompt.as_ref().or(req.input.as_ref()).ok_or("no `prompt` or `input`")?;
            let max = if endpoint == Endpoint::Completions { req.max_tokens } else { Some(0) };
            ChatCount { prompt_tokens: texts.count(enc), max_output_tokens: max }
        }
    };
    Ok((count, model, enc, approximate))
}

/// What a `--messages` input holds.
enum RequestsInput {
    /// One JSON document: a request or a messages array.
    Single(serde_json::Value),
    /// JSON Lines.
    Lines(String),
}

fn parse_requests_input(text: String) -> Result<RequestsInput, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            return Ok(RequestsInput::Single(match value {
                serde_json::Value::Array(messages) => serde_json::json!({ "messages": messages }),
                other => other,
            }));
        }
    }
    if trimmed.is_empty() {
        return Err("empty input".into());
    }
    Ok(RequestsInput::Lines(text))
}

fn count_messages(
    settings: &TokensSettings,
    out: &mut dyn Write,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let mut requests: Vec<RequestCount> = Vec::new();
    let mut errors: Vec<LineError> = Vec::new();
    let mut single = settings.inputs.len() == 1;
    for input in &settings.inputs {
        let label = input.label();
        let mut text = String::new();
        let read = input.open().and_then(|mut r| r.read_to_string(&mut text));
        if let Err(e) = read {
            let e = if e.kind() == std::io::ErrorKind::InvalidData {
                "not valid UTF-8".to_string()
            } else {
                e.to_string()
            };
            errors.push(LineError { source: label, error: e });
            single = false;
            continue;
        }
        match parse_requests_input(text) {
            Err(e) => errors.push(LineError { source: label, error: e }),
            Ok(RequestsInput::Single(body)) => {
                let (endpoint, body, custom_id) = match serde_json::from_value::<BatchLine>(body.clone()) {
                    Ok(BatchLine { body: Some(inner), url, custom_id }) => {
                        (Endpoint::from_url(url.as_deref()), inner, custom_id)
                    }
                    _ => (Endpoint::Chat, body, None),
                };
                match count_request(settings, endpoint, &body) {
                    Ok((c, model, enc, approximate)) => requests.push(RequestCount {
                        source: label,
                        line: None,
                        custom_id,
                        model,
                        encoding: enc.name(),
                        approximate,
                        prompt_tokens: c.prompt_tokens,
                        max_tokens: c.max_output_tokens,
                        context: None,
                    }),
                    Err(e) => errors.push(LineError { source: label, error: e }),
                }
            }
            Ok(RequestsInput::Lines(text)) => {
                single = false;
                let lines: Vec<(usize, &str)> = text
                    .lines()
                    .enumerate()
                    .map(|(i, l)| (i + 1, l))
                    .filter(|(_, l)| !l.trim().is_empty())
                    .collect();
                let results: Vec<Result<RequestCount, LineError>> =
                    lines.par_iter().map(|(n, line)| count_line(settings, &label, *n, line)).collect();
                for r in results {
                    match r {
                        Ok(c) => requests.push(c),
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
    }
    if let Some(window) = settings.context_window {
        let model = settings.tokenizer.model.clone().unwrap_or_default();
        for r in &mut requests {
            let c = ContextReport::new(&model, window, r.prompt_tokens + r.max_tokens.unwrap_or(0));
            if !c.fits {
                printer.warn(format!(
                    "{}: prompt + max_tokens exceed the context window by {}",
                    r.source, -c.remaining
                ));
            }
            r.context = Some(c);
        }
    }
    for e in &errors {
        report_error(&format!("{}: {}", e.source, e.error));
    }
    if requests.iter().any(|r| r.approximate) && settings.tokenizer.estimated_family.is_none() {
        printer.warn("some requests name models with no local tokenizer: their counts are approximate");
    }
    let total = MessagesTotal {
        requests: requests.len(),
        prompt_tokens: requests.iter().map(|r| r.prompt_tokens).sum(),
        max_tokens: requests.iter().filter_map(|r| r.max_tokens).sum(),
        without_max_tokens: requests.iter().filter(|r| r.max_tokens.is_none()).count(),
        max_total_tokens: requests.iter().map(|r| r.prompt_tokens + r.max_tokens.unwrap_or(0)).sum(),
    };
    let single = single && requests.len() == 1 && errors.is_empty();
    write_messages_report(settings, out, &requests, &total, &errors, single)?;
    if total.without_max_tokens > 0 && !single {
        printer.info(format!(
            "{} of {} requests set no max_tokens: their output is bounded only by the model",
            total.without_max_tokens, total.requests
        ));
    }
    if !errors.is_empty() {
        out.flush()?;
        return Err(Error::usage(format!("{} requests could not be counted", errors.len())).into());
    }
    Ok(ExitStatus::Success)
}

fn count_line(
    settings: &TokensSettings,
    label: &str,
    n: usize,
    line: &str,
) -> Result<RequestCount, LineError> {
    let source = format!("{label}:{n}");
    let fail = |e: String| LineError { source: source.clone(), error: e };
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| fail(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(fail("expected a JSON object".into()));
    }
    let meta: BatchLine = serde_json::from_value(value.clone()).map_err(|e| fail(e.to_string()))?;
    let (endpoint, body, field) = match meta.body {
        Some(body) => (Endpoint::from_url(meta.url.as_deref()), body, "body."),
        None => (Endpoint::Chat, value, ""),
    };
    let (c, model, enc, approximate) = count_request(settings, endpoint, &body).map_err(|e| {
        // `messages[0].content: ...` becomes `body.messages[0].content: ...` for Batch API lines.
        let has_path = e.split_once(": ").is_some_and(|(path, _)| !path.contains(' '));
        match field {
            "" => fail(e),
            _ if has_path => fail(format!("{field}{e}")),
            _ => fail(format!("body: {e}")),
        }
    })?;
    Ok(RequestCount {
        source: source.clone(),
        line: Some(n),
        custom_id: meta.custom_id,
        model,
        encoding: enc.name(),
        approximate,
        prompt_tokens: c.prompt_tokens,
        max_tokens: c.max_output_tokens,
        context: None,
    })
}

fn write_messages_report(
    settings: &TokensSettings,
    out: &mut dyn Write,
    requests: &[RequestCount],
    total: &MessagesTotal,
    errors: &[LineError],
    single: bool,
) -> anyhow::Result<()> {
    let with_context = settings.context_window.is_some();
    let mut headers = vec!["request", "model", "prompt_tokens", "max_tokens"];
    if with_context {
        headers.push("context_used");
    }
    let row = |r: &RequestCount| {
        let mut row = vec![
            r.custom_id.clone().unwrap_or_else(|| r.source.clone()),
            format!(
                "{}{}",
                r.model.as_deref().unwrap_or(r.encoding),
                if r.approximate { " (approx.)" } else { "" }
            ),
            r.prompt_tokens.to_string(),
            r.max_tokens.map_or("-".to_string(), |m| m.to_string()),
        ];
        if let Some(c) = &r.context {
            row.push(format!("{:.1}%", c.used_pct));
        }
        row
    };
    match settings.format {
        Format::Json | Format::Jsonl => {
            write_json(out, &MessagesReport { requests, total: *total, errors }, false)?
        }
        Format::Csv => write_csv(out, &headers, &requests.iter().map(row).collect::<Vec<_>>())?,
        Format::Table if single && !with_context => writeln!(out, "{}", total.prompt_tokens)?,
        Format::Table => {
            let mut rows: Vec<Vec<String>> = requests.iter().map(row).collect();
            let mut last = vec![
                format!("total ({} requests)", total.requests),
                String::new(),
                total.prompt_tokens.to_string(),
                total.max_tokens.to_string(),
            ];
            if with_context {
                last.push(String::new());
            }
            rows.push(last);
            out.write_all(crate::output::table::render(&headers, &rows).as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_in_every_accepted_shape() {
        assert_eq!(parse_ids("1 2 3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_ids("[1, 2,3]\n"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_ids("{\"encoding\":\"o200k_base\",\"ids\":[4,5],\"tokens\":2}"), Ok(vec![4, 5]));
        assert!(parse_ids("1 x").unwrap_err().contains("`x`"));
        assert_eq!(parse_ids(""), Ok(vec![]));
    }

    #[test]
    fn tokenizer_choice_names_what_it_does_not_know() {
        assert_eq!(TokenizerChoice::resolve(None, None).unwrap().encoding, Encoding::O200kBase);
        let gpt4 = TokenizerChoice::resolve(Some("gpt-4"), None).unwrap();
        assert_eq!((gpt4.encoding, gpt4.approximate()), (Encoding::Cl100kBase, false));
        let claude = TokenizerChoice::resolve(Some("claude-opus-4"), None).unwrap();
        assert!(claude.approximate());
        let err = TokenizerChoice::resolve(Some("nonsense-model"), None).unwrap_err();
        assert!(err.to_string().contains("unknown model `nonsense-model`"), "{err}");
        let err = TokenizerChoice::resolve(None, Some("o300k")).unwrap_err();
        assert!(err.to_string().contains("unknown encoding `o300k`"), "{err}");
        assert_eq!(crate::error::exit_code_for(&err), 2);
    }

    #[test]
    fn truncation_is_a_prefix_within_the_budget() {
        let enc = Encoding::O200kBase;
        let text = "naïve café 😀😀 日本語のテキスト and more words here";
        let ids = enc.encode(text, false);
        for n in 0..=ids.len() {
            let prefix = prefix_of_tokens(enc, text, &ids, n, false).unwrap();
            assert!(text.starts_with(&prefix));
            assert!(enc.count(&prefix) <= n, "{n}: {prefix:?}");
        }
        assert_eq!(prefix_of_tokens(enc, text, &ids, ids.len(), false).unwrap(), text);
    }

    #[test]
    fn pieces_end_on_character_boundaries() {
        let enc = Encoding::O200kBase;
        let text = "😀😀😀 abc";
        let ids = enc.encode(text, false);
        let (take, len) = piece_end(enc, &ids, text.as_bytes(), 1).unwrap();
        assert!(take >= 1 && text.is_char_boundary(len));
    }

    #[test]
    fn endpoints_come_from_the_batch_url() {
        assert_eq!(Endpoint::from_url(Some("/v1/chat/completions")), Endpoint::Chat);
        assert_eq!(Endpoint::from_url(Some("/v1/completions")), Endpoint::Completions);
        assert_eq!(Endpoint::from_url(Some("/v1/embeddings")), Endpoint::Embeddings);
        assert_eq!(Endpoint::from_url(Some("/v1/responses")), Endpoint::Chat);
        assert_eq!(Endpoint::from_url(None), Endpoint::Chat);
    }
}
