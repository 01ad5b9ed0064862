//! `llmkit cost estimate --batch-file`: what a batch input file will cost before it runs.
//!
//! Input tokens are exact: every request is counted with the model's tokenizer in chat
//! format ([`crate::tokenize::count_chat_request`]). Output tokens are known only as a bound:
//! each request's `max_tokens` / `max_completion_tokens` (else the model's output limit) gives
//! the upper bound, and `--assume-output N` an expected value. Each is priced at standard
//! (local run) and Batch API rates side by side. The file is streamed line by line.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use anyhow::Context;
use serde::Serialize;

use super::{fmt_int, fmt_usd, select_models, stdout_pretty};
use crate::cli::Format;
use crate::error::{Error, ExitStatus};
use crate::output::{write_report, Printer};
use crate::pricing::{ModelPrice, PriceTable};
use crate::settings::cost::BatchFileSettings;
use crate::tokenize::{encoding_for_model_or_default, try_count_chat_request, Encoding};
use crate::usage::Usage;

#[derive(Debug, Default, Clone, Serialize)]
struct Row {
    model: String,
    resolved: String,
    requests: u64,
    input_tokens: u64,
    /// The expected output when `--assume-output` is given, else the upper bound.
    output_tokens: u64,
    output_tokens_max: u64,
    local_usd_max: f64,
    batch_usd_max: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_tokens_expected: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_usd_expected: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_usd_expected: Option<f64>,
    /// Requests with no max_tokens: their bound is the model's output limit.
    requests_without_max_tokens: u64,
    tokenizer: &'static str,
    tokenizer_exact: bool,
}

#[derive(Serialize)]
struct Doc {
    file: String,
    rows: Vec<Row>,
    unpriced: Vec<Unpriced>,
    skipped_lines: u64,
}

#[derive(Serialize, Default)]
struct Unpriced {
    model: String,
    requests: u64,
    input_tokens: u64,
}

/// One target the file is priced for.
struct Target<'t> {
    name: String,
    key: &'t str,
    price: &'t ModelPrice,
    enc: Encoding,
    exact: bool,
}

pub fn run(table: &PriceTable, s: &BatchFileSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let fixed: Vec<Target> = select_models(table, &s.models, &printer)?
        .into_iter()
        .filter_map(|(name, key)| {
            let price = table.get(key)?;
            let (enc, exact) = encoding_for_model_or_default(Some(key));
            Some(Target { name, key, price, enc, exact })
        })
        .collect();
    let name = s.path.display().to_string();
    let file = std::fs::File::open(&s.path)
        .with_context(|| format!("opening {name}"))
        .map_err(|e| Error::usage(format!("{e:#}")))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 18, file);

    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut unpriced: BTreeMap<String, Unpriced> = BTreeMap::new();
    let mut skipped = 0u64;
    let mut line = String::new();
    let mut line_no = 0u64;
    // Per line: the prompt count per encoding (several targets may share one).
    let mut counts: Vec<(Encoding, u64, Option<u64>)> = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).with_context(|| format!("reading {name}"))? == 0 {
            break;
        }
        line_no += 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let mut skip = |reason: String| {
            skipped += 1;
            printer.warn(format!("{name}:{line_no}: {reason}"));
        };
        // A user's request body passes through untouched, so it is read as a JSON value.
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                skip(format!("bad JSON: {e}"));
                continue;
            }
        };
        // Batch API lines wrap the request in `body`; shorthand lines are the request.
        let body = match value.get("body") {
            Some(b) if b.is_object() => b,
            _ => &value,
        };
        let line_model = body.get("model").and_then(|m| m.as_str());
        let own: Vec<Target>;
        let targets: &[Target] = if fixed.is_empty() {
            let Some(m) = line_model else {
                skip("no model in the request: pass -m MODEL".into());
                continue;
            };
            match table.lookup(m) {
                Some((key, price)) => {
                    let (enc, exact) = encoding_for_model_or_default(Some(key));
                    own = vec![Target { name: m.to_string(), key, price, enc, exact }];
                    &own
                }
                None => {
                    let (enc, _) = encoding_for_model_or_default(Some(m));
                    match try_count_chat_request(enc, body) {
                        Ok(c) => {
                            let u = unpriced.entry(m.to_string()).or_default();
                            u.model = m.to_string();
                            u.requests += 1;
                            u.input_tokens += c.prompt_tokens;
                        }
                        Err(e) => skip(e),
                    }
                    continue;
                }
            }
        } else {
            &fixed
        };
        counts.clear();
        let mut failed = None;
        for t in targets {
            if counts.iter().any(|(e, _, _)| *e == t.enc) {
                continue;
            }
            match try_count_chat_request(t.enc, body) {
                Ok(c) => counts.push((t.enc, c.prompt_tokens, c.max_output_tokens)),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            skip(e);
            continue;
        }
        for t in targets {
            let Some(&(_, input, max_tokens)) = counts.iter().find(|(e, _, _)| *e == t.enc) else { continue };
            let row = rows.entry((t.name.clone(), t.key.to_string())).or_insert_with(|| Row {
                model: t.name.clone(),
                resolved: t.key.to_string(),
                tokenizer: t.enc.name(),
                tokenizer_exact: t.exact,
                ..Default::default()
            });
            let max_out = match max_tokens {
                Some(m) => m,
                None => {
                    row.requests_without_max_tokens += 1;
                    t.price.max_output_tokens.unwrap_or(0)
                }
            };
            let max_usage = Usage { input_tokens: input, output_tokens: max_out, ..Default::default() };
            row.requests += 1;
            row.input_tokens += input;
            row.output_tokens_max += max_out;
            row.local_usd_max += t.price.cost(&max_usage, false);
            row.batch_usd_max += t.price.cost(&max_usage, true);
            if let Some(assumed) = s.assume_output {
                // Never more than the request allows.
                let out = max_tokens.map_or(assumed, |m| assumed.min(m));
                let u = Usage { input_tokens: input, output_tokens: out, ..Default::default() };
                *row.output_tokens_expected.get_or_insert(0) += out;
                *row.local_usd_expected.get_or_insert(0.0) += t.price.cost(&u, false);
                *row.batch_usd_expected.get_or_insert(0.0) += t.price.cost(&u, true);
            }
        }
    }

    let mut rows: Vec<Row> = rows.into_values().collect();
    for r in &mut rows {
        r.output_tokens = r.output_tokens_expected.unwrap_or(r.output_tokens_max);
    }
    let sort_key = |r: &Row| r.batch_usd_expected.unwrap_or(r.batch_usd_max);
    rows.sort_by(|a, b| sort_key(a).total_cmp(&sort_key(b)).then_with(|| a.model.cmp(&b.model)));
    if rows.is_empty() && unpriced.is_empty() {
        return Err(
            Error::usage(format!("{name}: no request could be read ({skipped} line(s) skipped)")).into()
        );
    }

    let expected = s.assume_output.is_some();
    let mut headers = vec!["model", "requests", "input", "output ≤", "local ≤", "batch API ≤"];
    if expected {
        headers.extend(["output ~", "local ~", "batch API ~"]);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut model = if r.model == r.resolved {
                r.model.clone()
            } else {
                format!("{} -> {}", r.model, r.resolved)
            };
            if !r.tokenizer_exact {
                model.push_str(" *");
            }
            let mut row = vec![
                model,
                fmt_int(r.requests),
                fmt_int(r.input_tokens),
                fmt_int(r.output_tokens_max),
                fmt_usd(r.local_usd_max),
                fmt_usd(r.batch_usd_max),
            ];
            if expected {
                row.extend([
                    fmt_int(r.output_tokens_expected.unwrap_or(0)),
                    fmt_usd(r.local_usd_expected.unwrap_or(0.0)),
                    fmt_usd(r.batch_usd_expected.unwrap_or(0.0)),
                ]);
            }
            row
        })
        .collect();
    let doc =
        Doc { file: name.clone(), rows, unpriced: unpriced.into_values().collect(), skipped_lines: skipped };
    let mut out = std::io::stdout().lock();
    write_report(&mut out, s.format, &headers, &cells, &doc, stdout_pretty(&printer))?;
    if s.format == Format::Table {
        writeln!(out, "≤ upper bound from each request's max_tokens (else the model's output limit); ~ with --assume-output.")?;
        if doc.rows.iter().any(|r| !r.tokenizer_exact) {
            writeln!(
                out,
                "* no local tokenizer for this model: prompts counted with o200k_base (approximate)."
            )?;
        }
        for u in &doc.unpriced {
            writeln!(
                out,
                "unpriced: {}: {} requests, {} input tokens",
                u.model,
                fmt_int(u.requests),
                fmt_int(u.input_tokens)
            )?;
        }
        writeln!(out, "Skipped lines: {skipped}.")?;
    }
    Ok(ExitStatus::Success)
}
