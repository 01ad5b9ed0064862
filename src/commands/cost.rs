//! `llmkit cost`: what a model costs (`prices`), what planned traffic or a batch file will
//! cost (`estimate`), and what logged usage did cost (`report`). Offline: prices come from the
//! embedded table (see [`crate::pricing`]), loaded only here.

mod batch_file;
mod report;

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

use crate::cli::Format;
use crate::error::{Error, ExitStatus};
use crate::output::{write_report, Printer};
use crate::pricing::{ModelPrice, PriceTable};
use crate::settings::cost::{
    CostCommandSettings, CostSettings, EstimateSettings, Period, PricesSettings, PromptSize,
};
use crate::tokenize::Encoding;
use crate::usage::Usage;

/// Days in a month for per-day <-> per-month conversions of estimates.
pub const DAYS_PER_MONTH: f64 = 30.0;

pub fn run(settings: CostSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let CostSettings { prices, command } = settings;
    let table = PriceTable::load(prices.as_deref())?;
    printer.verbose(format!("prices: {} ({} models)", table.describe_source(), table.len()));
    match command {
        CostCommandSettings::Prices(s) => prices_cmd(&table, &s, printer),
        CostCommandSettings::Estimate(s) => estimate_cmd(&table, &s, printer),
        CostCommandSettings::BatchFile(s) => batch_file::run(&table, &s, printer),
        CostCommandSettings::Report(s) => report::run(&table, &s, printer),
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting shared by the three reports.

/// USD with enough digits to be useful at every scale: `$1234.57`, `$0.0070`, `$0.000013`.
pub fn fmt_usd(x: f64) -> String {
    format!("${}", fmt_amount(x))
}

/// An amount without a currency sign (same digits as [`fmt_usd`]).
pub fn fmt_amount(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if x.abs() >= 1.0 {
        return format!("{x:.2}");
    }
    let digits = (-x.abs().log10().floor()) as usize + 3;
    format!("{x:.prec$}", prec = digits.min(12))
}

/// USD per token as USD per 1M tokens, trimmed (`2.5`, `0.075`); `-` when absent.
fn per_million(x: Option<f64>) -> String {
    match x {
        None => "-".to_string(),
        Some(v) => {
            let s = format!("{:.6}", v * 1e6);
            let s = s.trim_end_matches('0').trim_end_matches('.');
            s.to_string()
        }
    }
}

/// USD per 1M tokens for JSON, rounded to 1e-6 so binary noise does not leak into scripts.
fn per_million_json(x: Option<f64>) -> Option<f64> {
    x.map(|v| (v * 1e12).round() / 1e6)
}

/// Group digits: `1234567` -> `1,234,567`.
pub fn fmt_int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A glob (`*`, `?`, `[`) or, failing that, a case-insensitive substring.
pub enum NameFilter {
    Glob(globset::GlobMatcher),
    Substring(String),
}

impl NameFilter {
    pub fn new(pattern: &str) -> anyhow::Result<NameFilter> {
        if pattern.contains(['*', '?', '[']) {
            let glob = globset::GlobBuilder::new(pattern)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| Error::usage(format!("bad pattern `{pattern}`: {e}")))?;
            Ok(NameFilter::Glob(glob.compile_matcher()))
        } else {
            Ok(NameFilter::Substring(pattern.to_ascii_lowercase()))
        }
    }

    pub fn is_glob(pattern: &str) -> bool {
        pattern.contains(['*', '?', '['])
    }

    pub fn matches(&self, name: &str) -> bool {
        match self {
            NameFilter::Glob(g) => g.is_match(name),
            NameFilter::Substring(s) => name.to_ascii_lowercase().contains(s.as_str()),
        }
    }
}

fn stdout_pretty(printer: &Printer) -> bool {
    printer.stdout_tty
}

// ---------------------------------------------------------------------------------------------
// cost prices

#[derive(Serialize)]
struct PricesDoc<'a> {
    source: PriceSource<'a>,
    unit: &'static str,
    models: Vec<PriceRow<'a>>,
}

#[derive(Serialize)]
struct PriceSource<'a> {
    litellm_version: &'a str,
    snapshot_date: &'a str,
    override_file: Option<String>,
}

#[derive(Serialize)]
struct PriceRow<'a> {
    model: &'a str,
    provider: Option<&'a str>,
    mode: Option<&'a str>,
    input_per_1m: Option<f64>,
    output_per_1m: Option<f64>,
    cached_per_1m: Option<f64>,
    cache_write_per_1m: Option<f64>,
    reasoning_per_1m: Option<f64>,
    batch_input_per_1m: Option<f64>,
    batch_output_per_1m: Option<f64>,
    max_input_tokens: Option<u64>,
    max_output_tokens: Option<u64>,
    /// Prompt size above which long-context prices apply, if any.
    long_context_above: Option<u64>,
    /// Priced by prompt-size tiers (the first tier's prices are shown).
    tiered: bool,
}

/// The price shown for a model: flat, or the first tier's for tiered models.
fn shown(p: &ModelPrice) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    match p.tiers.first().filter(|_| p.input.is_none()) {
        Some(t) => {
            (t.input, t.output.or(p.output), t.cache_read.or(p.cache_read), t.cache_write.or(p.cache_write))
        }
        None => (p.input, p.output, p.cache_read, p.cache_write),
    }
}

fn prices_cmd(table: &PriceTable, s: &PricesSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let filter = s.pattern.as_deref().map(NameFilter::new).transpose()?;
    let rows: Vec<PriceRow> = table
        .iter()
        .filter(|(k, _)| filter.as_ref().is_none_or(|f| f.matches(k)))
        .filter(|(_, p)| {
            s.provider.as_deref().is_none_or(|want| {
                p.provider
                    .as_deref()
                    .is_some_and(|have| have.eq_ignore_ascii_case(want) || have.starts_with(want))
            })
        })
        .map(|(k, p)| {
            let (input, output, cached, write) = shown(p);
            PriceRow {
                model: k,
                provider: p.provider.as_deref(),
                mode: p.mode.as_deref(),
                input_per_1m: per_million_json(input),
                output_per_1m: per_million_json(output),
                cached_per_1m: per_million_json(cached),
                cache_write_per_1m: per_million_json(write),
                reasoning_per_1m: per_million_json(p.reasoning),
                batch_input_per_1m: per_million_json(p.input_batch),
                batch_output_per_1m: per_million_json(p.output_batch),
                max_input_tokens: p.max_input_tokens,
                max_output_tokens: p.max_output_tokens,
                long_context_above: p.thresholds.first().map(|t| t.above),
                tiered: !p.tiers.is_empty(),
            }
        })
        .collect();
    if rows.is_empty() {
        let what = match (&s.pattern, &s.provider) {
            (Some(p), _) => format!("matches `{p}`"),
            (None, Some(p)) => format!("has provider `{p}`"),
            (None, None) => "is loaded".to_string(),
        };
        return Err(Error::usage(format!("no model in the price table {what}")).into());
    }
    let headers: &[&str] = if s.format == Format::Csv {
        &[
            "model",
            "provider",
            "input_per_1m",
            "output_per_1m",
            "cached_per_1m",
            "cache_write_per_1m",
            "batch_input_per_1m",
            "batch_output_per_1m",
            "max_input_tokens",
            "max_output_tokens",
        ]
    } else {
        &[
            "model",
            "provider",
            "input",
            "output",
            "cached",
            "cache write",
            "batch in",
            "batch out",
            "context",
            "max out",
        ]
    };
    let csv = s.format == Format::Csv;
    let int = |n: Option<u64>| match n {
        None => "-".to_string(),
        Some(n) if csv => n.to_string(),
        Some(n) => fmt_int(n),
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let model = match (csv, r.tiered, r.long_context_above) {
                (false, true, _) => format!("{} (tiered)", r.model),
                (false, false, Some(a)) => format!("{} (>{}k dearer)", r.model, a / 1000),
                _ => r.model.to_string(),
            };
            vec![
                model,
                r.provider.unwrap_or("-").to_string(),
                per_million(r.input_per_1m.map(|v| v / 1e6)),
                per_million(r.output_per_1m.map(|v| v / 1e6)),
                per_million(r.cached_per_1m.map(|v| v / 1e6)),
                per_million(r.cache_write_per_1m.map(|v| v / 1e6)),
                per_million(r.batch_input_per_1m.map(|v| v / 1e6)),
                per_million(r.batch_output_per_1m.map(|v| v / 1e6)),
                int(r.max_input_tokens),
                int(r.max_output_tokens),
            ]
        })
        .collect();
    let doc = PricesDoc {
        source: PriceSource {
            litellm_version: &table.snapshot.litellm_version,
            snapshot_date: &table.snapshot.snapshot_date,
            override_file: table.override_file.as_ref().map(|p| p.display().to_string()),
        },
        unit: "USD per 1M tokens",
        models: rows,
    };
    let mut out = std::io::stdout().lock();
    write_report(&mut out, s.format, headers, &cells, &doc, stdout_pretty(&printer))?;
    if s.format == Format::Table {
        writeln!(out, "USD per 1M tokens. Prices: {} ({} models).", table.describe_source(), table.len())?;
    }
    Ok(ExitStatus::Success)
}

// ---------------------------------------------------------------------------------------------
// cost estimate

#[derive(Serialize)]
struct EstimateDoc {
    rows: Vec<EstimateRow>,
    requests: u64,
    per: &'static str,
    batch: bool,
    days_per_month: f64,
}

#[derive(Serialize)]
struct EstimateRow {
    model: String,
    /// The price-table key that priced `model`.
    resolved: String,
    input_tokens: u64,
    output_tokens: u64,
    cached_tokens: u64,
    cache_write_tokens: u64,
    reasoning_tokens: u64,
    per_request_usd: f64,
    per_day_usd: f64,
    per_month_usd: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    tokenizer: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tokenizer_exact: Option<bool>,
}

/// The (name, table key) pairs `-m` selects: globs expand over the table, names resolve.
pub fn select_models<'t>(
    table: &'t PriceTable,
    specs: &[String],
    printer: &Printer,
) -> anyhow::Result<Vec<(String, &'t str)>> {
    let mut out: Vec<(String, &str)> = Vec::new();
    for spec in specs {
        if NameFilter::is_glob(spec) {
            let f = NameFilter::new(spec)?;
            let before = out.len();
            for (k, _) in table.iter().filter(|(k, _)| f.matches(k)) {
                if !out.iter().any(|(_, key)| *key == k) {
                    out.push((k.to_string(), k));
                }
            }
            if out.len() == before {
                return Err(Error::usage(format!("no model in the price table matches `{spec}`")).into());
            }
        } else {
            let (key, _) = table.lookup(spec).ok_or_else(|| {
                Error::usage(format!(
                    "no price for model `{spec}` (see `llmkit cost prices`; add one with --prices FILE)"
                ))
            })?;
            if key != spec {
                printer.verbose(format!("price: {spec} -> {key}"));
            }
            if !out.iter().any(|(name, k)| name == spec && *k == key) {
                out.push((spec.clone(), key));
            }
        }
    }
    Ok(out)
}

/// Per-request, per-day and per-month amounts for `requests` per `per`.
pub fn spread(per_request: f64, requests: u64, per: Period) -> (f64, f64) {
    match per {
        Period::Day => {
            let day = per_request * requests as f64;
            (day, day * DAYS_PER_MONTH)
        }
        Period::Month => {
            let month = per_request * requests as f64;
            (month / DAYS_PER_MONTH, month)
        }
    }
}

/// Tokens of `text` sent as one user message, counted like any chat request.
fn prompt_file_tokens(enc: Encoding, text: &str) -> u64 {
    let body = serde_json::json!({"messages": [{"role": "user", "content": text}]});
    crate::tokenize::count_chat_request(enc, &body).prompt_tokens
}

fn estimate_cmd(table: &PriceTable, s: &EstimateSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let models = select_models(table, &s.models, &printer)?;
    let prompt_text = match &s.input {
        PromptSize::File(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("reading {}", p.display()))
                .map_err(|e| Error::usage(format!("{e:#}")))?,
        ),
        PromptSize::Tokens(_) => None,
    };
    let mut rows = Vec::new();
    for (name, key) in &models {
        let Some(price) = table.get(key) else { continue };
        let (input, tokenizer) = match (&s.input, &prompt_text) {
            (PromptSize::Tokens(n), _) => (*n, None),
            (_, Some(text)) => {
                let (enc, exact) = crate::tokenize::encoding_for_model_or_default(Some(key));
                (prompt_file_tokens(enc, text), Some((enc.name(), exact)))
            }
            (PromptSize::File(_), None) => continue,
        };
        if s.cached + s.cache_write > input {
            return Err(Error::usage(format!(
                "--cached + --cache-write ({}) exceed the prompt of {name} ({input} tokens)",
                s.cached + s.cache_write
            ))
            .into());
        }
        if let Some(max) = price.max_input_tokens.filter(|m| input > *m) {
            printer.warn(format!("{name}: a {input}-token prompt exceeds its context window of {max}"));
        }
        if let Some(max) = price.max_output_tokens.filter(|m| s.output > *m) {
            printer.warn(format!("{name}: {} output tokens exceed its limit of {max}", s.output));
        }
        let usage = Usage {
            input_tokens: input,
            cached_tokens: s.cached,
            cache_write_tokens: s.cache_write,
            output_tokens: s.output,
            reasoning_tokens: s.reasoning,
        };
        let per_request = price.cost(&usage, s.batch);
        let (per_day, per_month) = spread(per_request, s.requests, s.per);
        rows.push(EstimateRow {
            model: name.clone(),
            resolved: key.to_string(),
            input_tokens: input,
            output_tokens: s.output,
            cached_tokens: s.cached,
            cache_write_tokens: s.cache_write,
            reasoning_tokens: s.reasoning,
            per_request_usd: per_request,
            per_day_usd: per_day,
            per_month_usd: per_month,
            tokenizer: tokenizer.map(|t| t.0),
            tokenizer_exact: tokenizer.map(|t| t.1),
        });
    }
    rows.sort_by(|a, b| a.per_request_usd.total_cmp(&b.per_request_usd).then_with(|| a.model.cmp(&b.model)));

    let csv = s.format == Format::Csv;
    let headers: &[&str] = if csv {
        &["model", "resolved", "input", "output", "per_request_usd", "per_day_usd", "per_month_usd"]
    } else {
        &["model", "input", "output", "per request", "per day", "per month"]
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            if csv {
                return vec![
                    r.model.clone(),
                    r.resolved.clone(),
                    r.input_tokens.to_string(),
                    r.output_tokens.to_string(),
                    r.per_request_usd.to_string(),
                    r.per_day_usd.to_string(),
                    r.per_month_usd.to_string(),
                ];
            }
            let mut model = if r.model == r.resolved {
                r.model.clone()
            } else {
                format!("{} -> {}", r.model, r.resolved)
            };
            if r.tokenizer_exact == Some(false) {
                model.push_str(" *");
            }
            vec![
                model,
                fmt_int(r.input_tokens),
                fmt_int(r.output_tokens),
                fmt_usd(r.per_request_usd),
                fmt_usd(r.per_day_usd),
                fmt_usd(r.per_month_usd),
            ]
        })
        .collect();
    let per = match s.per {
        Period::Day => "day",
        Period::Month => "month",
    };
    let doc = EstimateDoc { rows, requests: s.requests, per, batch: s.batch, days_per_month: DAYS_PER_MONTH };
    let mut out = std::io::stdout().lock();
    write_report(&mut out, s.format, headers, &cells, &doc, stdout_pretty(&printer))?;
    if s.format == Format::Table {
        let mut note = format!(
            "{} request(s) per {per}, {} rates; a month is {DAYS_PER_MONTH} days.",
            s.requests,
            if s.batch { "Batch API" } else { "standard" }
        );
        if doc.rows.iter().any(|r| r.tokenizer_exact == Some(false)) {
            note.push_str(" * no local tokenizer: prompt counted with o200k_base (approximate).");
        }
        writeln!(out, "{note}")?;
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_significant_digits() {
        assert_eq!(fmt_usd(0.0), "$0");
        assert_eq!(fmt_usd(1234.567), "$1234.57");
        assert_eq!(fmt_usd(0.007), "$0.007000");
        assert_eq!(fmt_usd(0.0000125), "$0.00001250");
        assert_eq!(fmt_int(1_234_567), "1,234,567");
        assert_eq!(fmt_int(12), "12");
    }

    #[test]
    fn per_million_is_trimmed() {
        assert_eq!(per_million(Some(2.5e-6)), "2.5");
        assert_eq!(per_million(Some(7.5e-8)), "0.075");
        assert_eq!(per_million(None), "-");
        assert_eq!(per_million_json(Some(2.5e-6)), Some(2.5));
    }

    #[test]
    fn filters_are_globs_or_substrings() {
        let g = NameFilter::new("gpt-4o*").unwrap();
        assert!(g.matches("gpt-4o-mini") && !g.matches("o1"));
        let s = NameFilter::new("Sonnet").unwrap();
        assert!(s.matches("claude-sonnet-4-5") && !s.matches("claude-haiku-4-5"));
    }

    #[test]
    fn spread_converts_between_periods() {
        assert_eq!(spread(0.5, 10, Period::Day), (5.0, 150.0));
        assert_eq!(spread(0.5, 60, Period::Month), (1.0, 30.0));
    }
}
