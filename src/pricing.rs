//! The price table and the cost arithmetic.
//!
//! Prices come from a filtered snapshot of LiteLLM's `model_prices_and_context_window.json`
//! (`data/prices.json`, refreshed by `scripts/update-prices.py`), embedded in the binary and
//! parsed only when a command asks for prices. The snapshot keeps LiteLLM's key and field
//! names, so a user can drop in a newer LiteLLM file (`--prices FILE` / `LLMKIT_PRICES`), or a
//! small TOML file of overrides merged over the embedded table:
//!
//! ```toml
//! [models."my-finetune"]
//! input_cost_per_token = 0.0000003
//! output_cost_per_token = 0.0000012
//! litellm_provider = "openai"
//! ```
//!
//! The arithmetic follows DESIGN.md "Cost arithmetic" on the normalized [`Usage`], and equals
//! LiteLLM's `cost_per_token` on the same price file (checked by `scripts/litellm-compare.sh`);
//! the few places where LiteLLM's batch fallback gives a different answer are documented in
//! `docs/README-cost.md` and pinned by the tests below.
//!
//! Models that are not in the table are *unpriced*: [`PriceTable::resolve`] returns `None`
//! and callers report them as such, never as free.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Deserializer};

use crate::error::Error;
use crate::usage::Usage;

/// The embedded snapshot (LiteLLM field names).
static EMBEDDED_PRICES: &str = include_str!("../data/prices.json");
/// Version and date of the embedded snapshot.
static EMBEDDED_META: &str = include_str!("../data/prices.meta.json");

/// Where the embedded snapshot came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct SnapshotMeta {
    #[serde(default)]
    pub source: String,
    pub litellm_version: String,
    pub snapshot_date: String,
    #[serde(default)]
    pub models: usize,
}

/// All known model prices, keyed by LiteLLM model key.
#[derive(Debug, Clone)]
pub struct PriceTable {
    models: BTreeMap<String, ModelPrice>,
    /// The embedded snapshot's metadata.
    pub snapshot: SnapshotMeta,
    /// The user's price file merged over the snapshot, if any.
    pub override_file: Option<PathBuf>,
}

/// Long-context prices that apply when a request's prompt exceeds `above` tokens
/// (LiteLLM's `<rate>_above_<N>k_tokens` fields). Absent rates keep the lower tier's rate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Threshold {
    pub above: u64,
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
}

/// One row of LiteLLM's `tiered_pricing` (Qwen models): a request whose prompt size falls in
/// `(start, end]` pays this tier's rates for every token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tier {
    pub start: f64,
    pub end: f64,
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
    pub reasoning: Option<f64>,
}

/// The prices of one model, USD per token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelPrice {
    /// LiteLLM's `litellm_provider`.
    pub provider: Option<String>,
    /// LiteLLM's `mode` (`chat`, `completion`, `embedding`, `responses`).
    pub mode: Option<String>,
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
    pub reasoning: Option<f64>,
    pub input_batch: Option<f64>,
    pub output_batch: Option<f64>,
    pub cache_read_batch: Option<f64>,
    pub cache_write_batch: Option<f64>,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// Standard long-context prices, ascending by threshold.
    pub thresholds: Vec<Threshold>,
    /// Batch long-context prices (`..._above_<N>k_tokens_batches`), ascending by threshold.
    pub batch_thresholds: Vec<Threshold>,
    /// Prompt-size tiers (all-or-nothing), ascending by start.
    pub tiers: Vec<Tier>,
}

/// The per-token rates one request pays, after long-context tiers and batch discounts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    pub reasoning: f64,
}

impl Rates {
    /// USD for `usage` at these rates: uncached input, cache reads, cache writes, visible output
    /// and reasoning, each at its own rate.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let text_out = usage.output_tokens.saturating_sub(usage.reasoning_tokens);
        let prompt = usage.uncached_input() as f64 * self.input
            + usage.cached_tokens as f64 * self.cache_read
            + usage.cache_write_tokens as f64 * self.cache_write;
        let completion = text_out as f64 * self.output + usage.reasoning_tokens as f64 * self.reasoning;
        prompt + completion
    }
}

/// A model name matched to a table entry.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The table key that priced the name (equal to the name when it matched exactly).
    pub key: String,
    pub price: &'a ModelPrice,
}

impl Resolved<'_> {
    /// `gpt-4o-2024-08-06 -> gpt-4o` when the name was mapped, else the bare name.
    pub fn describe(&self, asked: &str) -> String {
        if asked == self.key {
            asked.to_string()
        } else {
            format!("{asked} -> {}", self.key)
        }
    }
}

impl ModelPrice {
    /// True when the entry carries a token price at all.
    pub fn is_priced(&self) -> bool {
        self.input.is_some() || self.tiers.iter().any(|t| t.input.is_some())
    }

    /// USD for one request (or a sum of requests of the same prompt size) with this usage.
    pub fn cost(&self, usage: &Usage, batch: bool) -> f64 {
        self.rates(usage.input_tokens, batch).cost(usage)
    }

    /// The rates a request with `prompt_tokens` of prompt (cached ones included) pays.
    pub fn rates(&self, prompt_tokens: u64, batch: bool) -> Rates {
        let standard = self.standard_rates(prompt_tokens);
        if !batch {
            return standard;
        }
        // Batch: the `*_batches` price when the table has one; missing cache prices then bill
        // as batch input (what LiteLLM and the providers do). Without a batch input price
        // every input rate is half the standard one; likewise for output.
        let (input, cache_read, cache_write) =
            match self.batch_rate(self.input_batch, |t| t.input, prompt_tokens) {
                Some(ib) => (
                    ib,
                    self.batch_rate(self.cache_read_batch, |t| t.cache_read, prompt_tokens).unwrap_or(ib),
                    self.batch_rate(self.cache_write_batch, |t| t.cache_write, prompt_tokens).unwrap_or(ib),
                ),
                None => (standard.input / 2.0, standard.cache_read / 2.0, standard.cache_write / 2.0),
            };
        let (output, reasoning) = match self.batch_rate(self.output_batch, |t| t.output, prompt_tokens) {
            Some(ob) => (ob, ob),
            None => (standard.output / 2.0, standard.reasoning / 2.0),
        };
        Rates { input, output, cache_read, cache_write, reasoning }
    }

    fn standard_rates(&self, prompt_tokens: u64) -> Rates {
        if let Some(tier) = self.select_tier(prompt_tokens) {
            let input = tier.input.unwrap_or(0.0);
            let output = tier.output.or(self.output).unwrap_or(0.0);
            let reasoning = if tier.reasoning.is_some() || tier.output.is_some() {
                tier.reasoning.or(tier.output).unwrap_or(0.0)
            } else {
                self.reasoning.unwrap_or(output)
            };
            return Rates {
                input,
                output,
                cache_read: tier.cache_read.unwrap_or(input),
                cache_write: tier.cache_write.unwrap_or(input),
                reasoning,
            };
        }
        let mut input = self.input.unwrap_or(0.0);
        let mut output = self.output.unwrap_or(0.0);
        let mut cache_read = self.cache_read;
        let mut cache_write = self.cache_write;
        for t in self.thresholds.iter().filter(|t| prompt_tokens > t.above) {
            input = t.input.unwrap_or(input);
            output = t.output.unwrap_or(output);
            cache_read = t.cache_read.or(cache_read);
            cache_write = t.cache_write.or(cache_write);
        }
        Rates {
            input,
            output,
            cache_read: cache_read.unwrap_or(input),
            cache_write: cache_write.unwrap_or(input),
            reasoning: self.reasoning.unwrap_or(output),
        }
    }

    /// A batch rate: the highest crossed `_above_N_tokens_batches` tier that sets it, else the
    /// flat `_batches` price.
    fn batch_rate(&self, flat: Option<f64>, pick: fn(&Threshold) -> Option<f64>, prompt: u64) -> Option<f64> {
        self.batch_thresholds
            .iter()
            .rev()
            .find(|t| prompt > t.above && pick(t).is_some())
            .and_then(pick)
            .or(flat)
    }

    fn select_tier(&self, prompt_tokens: u64) -> Option<&Tier> {
        if self.tiers.is_empty() || prompt_tokens == 0 {
            return None;
        }
        let n = prompt_tokens as f64;
        let tier = self.tiers.iter().find(|t| t.start < n && n <= t.end).or(self.tiers.last())?;
        tier.input.map(|_| tier)
    }
}

impl PriceTable {
    /// The embedded snapshot, with `override_path` (a LiteLLM JSON file or a TOML file of
    /// overrides) merged over it. The caller decides the path (`--prices` / `LLMKIT_PRICES`).
    pub fn load(override_path: Option<&Path>) -> anyhow::Result<PriceTable> {
        let snapshot: SnapshotMeta =
            serde_json::from_str(EMBEDDED_META).context("embedded prices.meta.json is invalid")?;
        let mut raw: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(EMBEDDED_PRICES).context("embedded prices.json is invalid")?;
        if let Some(path) = override_path {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading price file {}", path.display()))
                .map_err(|e| Error::usage(format!("{e:#}")))?;
            merge_override(&mut raw, &text, path)?;
        }
        let mut models = BTreeMap::new();
        for (key, value) in raw {
            // Entries that are not model prices (LiteLLM's `sample_spec`) are skipped.
            if let Ok(entry) = RawEntry::deserialize(&value) {
                let price = entry.into_price();
                if price.is_priced() {
                    models.insert(key, price);
                }
            }
        }
        Ok(PriceTable { models, snapshot, override_file: override_path.map(Path::to_path_buf) })
    }

    /// A table from a LiteLLM-format JSON text alone (tests and tools).
    pub fn from_litellm_json(text: &str) -> anyhow::Result<PriceTable> {
        let raw: BTreeMap<String, serde_json::Value> = serde_json::from_str(text)?;
        let models = raw
            .into_iter()
            .filter_map(|(k, v)| RawEntry::deserialize(&v).ok().map(|e| (k, e.into_price())))
            .filter(|(_, p)| p.is_priced())
            .collect();
        Ok(PriceTable { models, snapshot: SnapshotMeta::default(), override_file: None })
    }

    /// One line saying where the prices come from.
    pub fn describe_source(&self) -> String {
        let mut s = format!(
            "LiteLLM {} price snapshot of {}",
            self.snapshot.litellm_version, self.snapshot.snapshot_date
        );
        if let Some(p) = &self.override_file {
            s.push_str(&format!(", overridden by {}", p.display()));
        }
        s
    }

    pub fn len(&self) -> usize {
        self.models.len()
    }

    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Every entry, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ModelPrice)> {
        self.models.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The exact entry for a table key.
    pub fn get(&self, key: &str) -> Option<&ModelPrice> {
        self.models.get(key)
    }

    /// Price a model name as it appears in requests and logs. Tries, in order: the exact key;
    /// the name without routing prefixes (`openrouter/anthropic/claude-x` -> `claude-x`); a
    /// provider-prefixed key (`mistral-large-latest` -> `mistral/mistral-large-latest`); the
    /// undated base of a dated name (`gpt-4o-2024-08-06` -> `gpt-4o`, `...-20241022`,
    /// `...@20251001`, `...-0613`); and `-latest` aliases (`claude-sonnet-4-5-latest`).
    /// Fine-tuned names (`ft:BASE:org::id`) resolve only to a `ft:BASE` entry: a base model's
    /// price would be wrong for them. `None` means unpriced.
    pub fn resolve(&self, model: &str) -> Option<Resolved<'_>> {
        self.lookup(model).map(|(key, price)| Resolved { key: key.to_string(), price })
    }

    /// [`PriceTable::resolve`], borrowing the key from the table (for callers that cache it).
    pub fn lookup(&self, model: &str) -> Option<(&str, &ModelPrice)> {
        candidates(model)
            .into_iter()
            .find_map(|c| self.models.get_key_value(c.as_str()).map(|(k, price)| (k.as_str(), price)))
    }
}

/// Providers whose LiteLLM keys carry their prefix (`mistral/...`), tried for bare names.
const PREFIXED_PROVIDERS: [&str; 5] = ["gemini", "mistral", "deepseek", "dashscope", "codestral"];

fn candidates(model: &str) -> Vec<String> {
    let model = model.trim();
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    if let Some(rest) = model.strip_prefix("ft:") {
        let base = rest.split(':').next().unwrap_or(rest);
        push(model.to_string());
        push(format!("ft:{base}"));
        return out;
    }
    // The full name, then each suffix after a `/` (routing prefixes stripped one by one).
    let mut names = vec![model.to_string()];
    let lower = model.to_ascii_lowercase();
    if lower != model {
        names.push(lower.clone());
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find('/') {
        rest = &rest[i + 1..];
        names.push(rest.to_string());
    }
    let bare = rest.to_string();
    let mut variants = Vec::new();
    for n in &names {
        variants.push(n.clone());
    }
    for p in PREFIXED_PROVIDERS {
        variants.push(format!("{p}/{bare}"));
    }
    for v in &variants {
        push(v.clone());
    }
    for v in &variants {
        if let Some(u) = undated(v) {
            push(u.to_string());
        }
        if let Some(u) = v.strip_suffix("-latest") {
            push(u.to_string());
        }
    }
    out
}

/// The name without a trailing date or snapshot stamp, if it has one.
fn undated(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let n = b.len();
    // -YYYY-MM-DD
    if n > 11 && b[n - 11] == b'-' && b[n - 6] == b'-' && b[n - 3] == b'-' {
        let (y, m, d) = (&b[n - 10..n - 6], &b[n - 5..n - 3], &b[n - 2..]);
        if digits(y) && digits(m) && digits(d) {
            return Some(&name[..n - 11]);
        }
    }
    // -YYYYMMDD or @YYYYMMDD
    if n > 9 && (b[n - 9] == b'-' || b[n - 9] == b'@') && digits(&b[n - 8..]) {
        return Some(&name[..n - 9]);
    }
    // -MMDD / -YYMM snapshot stamps (gpt-4-0613, mistral-small-2603)
    if n > 5 && b[n - 5] == b'-' && digits(&b[n - 4..]) {
        return Some(&name[..n - 5]);
    }
    None
}

/// Merge a user price file into the raw table: a JSON file (LiteLLM format) replaces whole
/// entries by key; a TOML file merges field by field over existing entries.
fn merge_override(
    raw: &mut BTreeMap<String, serde_json::Value>,
    text: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let is_json = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => true,
        Some(e) if e.eq_ignore_ascii_case("toml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    if is_json {
        let file: BTreeMap<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
            Error::usage(format!("{}:{}: not a LiteLLM price file: {e}", path.display(), e.line()))
        })?;
        for (k, v) in file {
            raw.insert(k, v);
        }
        return Ok(());
    }
    let file: OverrideFile =
        toml::from_str(text).map_err(|e| Error::usage(format!("{}: {}", path.display(), e.message())))?;
    for (model, fields) in file.models {
        let entry = raw.entry(model.clone()).or_insert_with(|| serde_json::Value::Object(Default::default()));
        let serde_json::Value::Object(obj) = entry else {
            *entry = serde_json::Value::Object(Default::default());
            continue;
        };
        for (field, value) in fields {
            if !is_known_field(&field) {
                return Err(Error::usage(format!(
                    "{}: models.\"{model}\": unknown price field `{field}` (use LiteLLM field names such as \
                     input_cost_per_token, output_cost_per_token, cache_read_input_token_cost)",
                    path.display()
                ))
                .into());
            }
            let v = serde_json::to_value(value).with_context(|| format!("models.\"{model}\".{field}"))?;
            obj.insert(field, v);
        }
    }
    Ok(())
}

/// The TOML override file: `[models."name"] field = value`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideFile {
    #[serde(default)]
    models: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

const KNOWN_FIELDS: [&str; 15] = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
    "input_cost_per_token_batches",
    "output_cost_per_token_batches",
    "cache_read_input_token_cost_batches",
    "cache_creation_input_token_cost_batches",
    "max_input_tokens",
    "max_output_tokens",
    "max_tokens",
    "litellm_provider",
    "mode",
    "tiered_pricing",
];

fn is_known_field(field: &str) -> bool {
    KNOWN_FIELDS.contains(&field) || parse_threshold_field(field).is_some()
}

/// `input_cost_per_token_above_200k_tokens[_batches]` -> (rate, 200000, batch).
fn parse_threshold_field(field: &str) -> Option<(RateKind, u64, bool)> {
    let (field, batch) = match field.strip_suffix("_batches") {
        Some(f) => (f, true),
        None => (field, false),
    };
    let (prefix, rest) = field.split_once("_above_")?;
    let kind = match prefix {
        "input_cost_per_token" => RateKind::Input,
        "output_cost_per_token" => RateKind::Output,
        "cache_read_input_token_cost" => RateKind::CacheRead,
        "cache_creation_input_token_cost" => RateKind::CacheWrite,
        _ => return None,
    };
    let n = rest.strip_suffix("_tokens")?;
    let (digits, mult) = match n.strip_suffix('k') {
        Some(d) => (d, 1000),
        None => (n, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind, digits.parse::<u64>().ok()? * mult, batch))
}

#[derive(Debug, Clone, Copy)]
enum RateKind {
    Input,
    Output,
    CacheRead,
    CacheWrite,
}

/// One LiteLLM entry as stored. Numbers are read leniently (LiteLLM files occasionally carry
/// numeric strings); anything unreadable counts as absent.
#[derive(Debug, Deserialize)]
struct RawEntry {
    #[serde(default, deserialize_with = "lenient_string")]
    litellm_provider: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    mode: Option<String>,
    #[serde(default, deserialize_with = "lenient_f64")]
    input_cost_per_token: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    output_cost_per_token: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    cache_read_input_token_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    cache_creation_input_token_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    output_cost_per_reasoning_token: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    input_cost_per_token_batches: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    output_cost_per_token_batches: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    cache_read_input_token_cost_batches: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    cache_creation_input_token_cost_batches: Option<f64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    max_input_tokens: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    max_output_tokens: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    max_tokens: Option<u64>,
    #[serde(default)]
    tiered_pricing: Option<Vec<RawTier>>,
    /// Everything else; the long-context `_above_` fields are read from here.
    #[serde(flatten)]
    extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct RawTier {
    #[serde(default)]
    range: Option<Vec<f64>>,
    #[serde(default, deserialize_with = "lenient_f64")]
    input_cost_per_token: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    output_cost_per_token: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    cache_read_input_token_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    cache_creation_input_token_cost: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    output_cost_per_reasoning_token: Option<f64>,
}

impl RawEntry {
    fn into_price(self) -> ModelPrice {
        let mut standard: BTreeMap<u64, Threshold> = BTreeMap::new();
        let mut batch: BTreeMap<u64, Threshold> = BTreeMap::new();
        for (field, value) in &self.extra {
            let Some((kind, above, is_batch)) = parse_threshold_field(field) else { continue };
            let Some(v) = value_f64(value) else { continue };
            let map = if is_batch { &mut batch } else { &mut standard };
            let t = map.entry(above).or_insert_with(|| Threshold { above, ..Default::default() });
            match kind {
                RateKind::Input => t.input = Some(v),
                RateKind::Output => t.output = Some(v),
                RateKind::CacheRead => t.cache_read = Some(v),
                RateKind::CacheWrite => t.cache_write = Some(v),
            }
        }
        let mut tiers: Vec<Tier> = self
            .tiered_pricing
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| {
                let range = t.range?;
                let (start, end) = (*range.first()?, *range.get(1)?);
                Some(Tier {
                    start,
                    end,
                    input: t.input_cost_per_token,
                    output: t.output_cost_per_token,
                    cache_read: t.cache_read_input_token_cost,
                    cache_write: t.cache_creation_input_token_cost,
                    reasoning: t.output_cost_per_reasoning_token,
                })
            })
            .collect();
        tiers.sort_by(|a, b| a.start.total_cmp(&b.start));
        ModelPrice {
            provider: self.litellm_provider,
            mode: self.mode,
            input: self.input_cost_per_token,
            output: self.output_cost_per_token,
            cache_read: self.cache_read_input_token_cost,
            cache_write: self.cache_creation_input_token_cost,
            reasoning: self.output_cost_per_reasoning_token,
            input_batch: self.input_cost_per_token_batches,
            output_batch: self.output_cost_per_token_batches,
            cache_read_batch: self.cache_read_input_token_cost_batches,
            cache_write_batch: self.cache_creation_input_token_cost_batches,
            max_input_tokens: self.max_input_tokens.or(self.max_tokens),
            max_output_tokens: self.max_output_tokens,
            thresholds: standard.into_values().collect(),
            batch_thresholds: batch.into_values().collect(),
            tiers,
        }
    }
}

fn value_f64(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite() && *x >= 0.0)
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(value_f64(&serde_json::Value::deserialize(d)?))
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(value_f64(&serde_json::Value::deserialize(d)?).map(|x| x as u64))
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PriceTable {
        PriceTable::load(None).unwrap()
    }

    fn usage(input: u64, cached: u64, write: u64, output: u64, reasoning: u64) -> Usage {
        Usage {
            input_tokens: input,
            cached_tokens: cached,
            cache_write_tokens: write,
            output_tokens: output,
            reasoning_tokens: reasoning,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn embedded_snapshot_covers_the_required_providers() {
        let t = table();
        assert!(t.len() > 200, "{}", t.len());
        for key in [
            "gpt-4o",
            "gpt-4o-mini",
            "o1",
            "claude-sonnet-4-5",
            "gemini/gemini-2.5-pro",
            "gemini-2.5-pro",
            "mistral/mistral-large-latest",
            "deepseek/deepseek-chat",
            "dashscope/qwen-max",
            "text-embedding-3-small",
        ] {
            assert!(t.get(key).is_some(), "{key} missing");
        }
        assert!(!t.snapshot.litellm_version.is_empty() && !t.snapshot.snapshot_date.is_empty());
        let p = t.get("gpt-4o").unwrap();
        assert_eq!(p.max_input_tokens, Some(128_000));
        assert_eq!(p.provider.as_deref(), Some("openai"));
    }

    #[test]
    fn names_resolve_through_prefixes_dates_and_aliases() {
        let t = table();
        let key = |m: &str| t.resolve(m).map(|r| r.key);
        assert_eq!(key("gpt-4o").as_deref(), Some("gpt-4o"));
        // Dated name present in the table: exact.
        assert_eq!(key("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o-2024-08-06"));
        // Dated name absent: the undated base.
        assert_eq!(key("gpt-4o-2031-01-01").as_deref(), Some("gpt-4o"));
        assert_eq!(key("claude-sonnet-4-5-20991231").as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(key("claude-haiku-4-5@20251001").as_deref(), Some("claude-haiku-4-5"));
        assert_eq!(key("claude-sonnet-4-5-latest").as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(key("openai/gpt-4o").as_deref(), Some("gpt-4o"));
        assert_eq!(key("openrouter/anthropic/claude-sonnet-4-5").as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(key("gemini/gemini-2.5-pro").as_deref(), Some("gemini/gemini-2.5-pro"));
        assert_eq!(key("mistral-large-latest").as_deref(), Some("mistral/mistral-large-latest"));
        assert_eq!(key("GPT-4o").as_deref(), Some("gpt-4o"));
        assert_eq!(key("my-local-llama"), None);
        assert_eq!(key("ft:gpt-4o-mini-2099-01-01:acme::abc"), None, "fine-tunes never take base prices");
        let r = t.resolve("gpt-4o-2031-01-01").unwrap();
        assert_eq!(r.describe("gpt-4o-2031-01-01"), "gpt-4o-2031-01-01 -> gpt-4o");
        assert_eq!(t.resolve("gpt-4o").unwrap().describe("gpt-4o"), "gpt-4o");
    }

    #[test]
    fn undated_recognises_the_stamp_styles() {
        assert_eq!(undated("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(undated("claude-3-5-sonnet-20241022"), Some("claude-3-5-sonnet"));
        assert_eq!(undated("claude-haiku-4-5@20251001"), Some("claude-haiku-4-5"));
        assert_eq!(undated("gpt-4-0613"), Some("gpt-4"));
        assert_eq!(undated("gpt-4o"), None);
        assert_eq!(undated("o1"), None);
    }

    /// Expected values worked out by hand from the snapshot prices (and equal to LiteLLM's
    /// `cost_per_token` on the same file; see scripts/litellm-compare.py).
    #[test]
    fn openai_usage_with_cached_and_reasoning_tokens() {
        let t = table();
        let p = t.get("gpt-4o").unwrap();
        // 600 uncached * 2.5e-6 + 400 cached * 1.25e-6 + 500 output * 1e-5
        close(p.cost(&usage(1000, 400, 0, 500, 0), false), 0.007);
        // o1: reasoning tokens are output tokens at the output price (no separate price).
        let o1 = t.get("o1").unwrap();
        close(
            o1.cost(&usage(2000, 1000, 0, 3000, 2500), false),
            1000.0 * 15e-6 + 1000.0 * 7.5e-6 + 3000.0 * 60e-6,
        );
    }

    #[test]
    fn anthropic_usage_with_cache_writes_and_reads() {
        let t = table();
        let p = t.get("claude-sonnet-4-5").unwrap();
        // normalized: input 1000 = 500 plain + 300 written + 200 read
        let u = usage(1000, 200, 300, 400, 0);
        close(p.cost(&u, false), 500.0 * 3e-6 + 200.0 * 3e-7 + 300.0 * 3.75e-6 + 400.0 * 1.5e-5);
        // batch: every rate has a *_batches price
        close(p.cost(&u, true), 500.0 * 1.5e-6 + 200.0 * 1.5e-7 + 300.0 * 1.875e-6 + 400.0 * 7.5e-6);
    }

    #[test]
    fn batch_uses_batch_prices_else_half() {
        let t = table();
        // gpt-4o has input/output batch prices but no cached batch price: cached tokens bill
        // as batch input.
        let p = t.get("gpt-4o").unwrap();
        close(p.cost(&usage(1000, 400, 0, 500, 0), true), 1000.0 * 1.25e-6 + 500.0 * 5e-6);
        // A model with no batch prices at all: half of every standard rate.
        let m = PriceTable::from_litellm_json(
            r#"{"m": {"input_cost_per_token": 2e-6, "output_cost_per_token": 8e-6,
                     "output_cost_per_reasoning_token": 1e-5}}"#,
        )
        .unwrap();
        let p = m.get("m").unwrap();
        let u = usage(1000, 400, 0, 500, 100);
        // cached has no price: it bills as input (half of it in batch), never as free.
        close(p.cost(&u, false), 1000.0 * 2e-6 + 400.0 * 8e-6 + 100.0 * 1e-5);
        close(p.cost(&u, true), (1000.0 * 2e-6 + 400.0 * 8e-6 + 100.0 * 1e-5) / 2.0);
    }

    #[test]
    fn long_context_thresholds_apply_to_the_whole_request() {
        let t = table();
        let p = t.get("gemini-2.5-pro").unwrap();
        let small = usage(200_000, 0, 0, 1000, 0);
        close(p.cost(&small, false), 200_000.0 * 1.25e-6 + 1000.0 * 1e-5);
        let big = usage(200_001, 1, 0, 1000, 0);
        close(p.cost(&big, false), 200_000.0 * 2.5e-6 + 1.0 * 2.5e-7 + 1000.0 * 1.5e-5);
        // batch tiers: input/output have _above_200k_tokens_batches prices
        close(p.cost(&big, true), 200_001.0 * 1.25e-6 + 1000.0 * 7.5e-6);
    }

    #[test]
    fn tiered_pricing_picks_one_tier_by_prompt_size() {
        let m = PriceTable::from_litellm_json(
            r#"{"q": {"tiered_pricing": [
                {"range": [0, 32000], "input_cost_per_token": 1e-6, "output_cost_per_token": 5e-6},
                {"range": [32000, 128000], "input_cost_per_token": 2e-6, "output_cost_per_token": 9e-6,
                 "output_cost_per_reasoning_token": 2e-5}]}}"#,
        )
        .unwrap();
        let p = m.get("q").unwrap();
        close(p.cost(&usage(32_000, 0, 0, 10, 0), false), 32_000.0 * 1e-6 + 10.0 * 5e-6);
        close(p.cost(&usage(32_001, 0, 0, 10, 4), false), 32_001.0 * 2e-6 + 6.0 * 9e-6 + 4.0 * 2e-5);
        // above the last range: the last tier
        close(p.cost(&usage(500_000, 0, 0, 0, 0), false), 500_000.0 * 2e-6);
    }

    #[test]
    fn toml_overrides_merge_over_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.toml");
        std::fs::write(
            &path,
            "[models.\"my-model\"]\ninput_cost_per_token = 1e-6\noutput_cost_per_token = 2e-6\n\
             [models.\"gpt-4o\"]\noutput_cost_per_token = 2e-5\n",
        )
        .unwrap();
        let t = PriceTable::load(Some(&path)).unwrap();
        close(t.get("my-model").unwrap().cost(&usage(10, 0, 0, 10, 0), false), 10.0 * 1e-6 + 10.0 * 2e-6);
        let p = t.get("gpt-4o").unwrap();
        assert_eq!(p.output, Some(2e-5));
        assert_eq!(p.input, Some(2.5e-6), "unmentioned fields keep the snapshot value");
        assert!(t.describe_source().contains("prices.toml"));

        std::fs::write(&path, "[models.\"x\"]\ninput_cost_per_tokens = 1\n").unwrap();
        let err = PriceTable::load(Some(&path)).unwrap_err();
        assert!(err.to_string().contains("input_cost_per_tokens"), "{err}");
        assert_eq!(crate::error::exit_code_for(&err), 2);
    }

    #[test]
    fn json_override_replaces_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, r#"{"gpt-4o": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6}}"#)
            .unwrap();
        let t = PriceTable::load(Some(&path)).unwrap();
        let p = t.get("gpt-4o").unwrap();
        assert_eq!(p.input_batch, None, "a JSON entry replaces the whole snapshot entry");
        assert!(t.get("gpt-4o-mini").is_some());
        assert!(PriceTable::load(Some(&dir.path().join("missing.json"))).is_err());
    }
}
