//! The comparison of a replay with the run it replays: success, latency, tokens, cost, and
//! how the outputs changed, plus the `--fail-on-*` gates that make it a CI check.
//!
//! Output similarity is defined on words: both outputs are split on whitespace, Myers' diff
//! (the `similar` crate) finds the longest common subsequence of words, and the similarity
//! is `2·matched / (words_old + words_new)` — the ratio of Python's `difflib` computed on
//! word lists. 1.0 means the same words in the same order (whitespace changes only), 0 means
//! no word in common; two empty outputs are 1.0. Words, not characters, because two
//! unrelated English answers share most of their letters and would look 60% alike; not
//! model tokens, because a model switch changes the tokenizer and the metric must not move
//! with it. It is what a reader perceives as "changed".

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::normalize::canonical;
use super::plan::{recorded_ok, Planned};
use crate::commands::bench::metrics::{Latency, LatencySummary};
use crate::usage::{LedgerLine, Usage};

/// Prices usage for a model (the price table once loaded); `None` for unknown models.
/// `batch` asks for Batch API rates.
pub trait Pricer {
    fn cost(&self, model: &str, usage: &Usage, batch: bool) -> Option<f64>;
}

/// No price table: only costs written in the records count.
pub struct NoPrices;

impl Pricer for NoPrices {
    fn cost(&self, _model: &str, _usage: &Usage, _batch: bool) -> Option<f64> {
        None
    }
}

impl Pricer for crate::pricing::PriceTable {
    fn cost(&self, model: &str, usage: &Usage, batch: bool) -> Option<f64> {
        self.resolve(model).map(|r| r.price.cost(usage, batch))
    }
}

/// One side's result for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    pub status: Option<u16>,
    pub latency_ms: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub model: Option<String>,
    /// The answer's text (tool calls appended as JSON), when there was an answer.
    pub output: Option<String>,
    pub error: Option<String>,
    /// Billed at Batch API rates.
    pub batch: bool,
    /// For a failure of the replay: the exit code of its class (2, 3, 4 or 5).
    pub exit_code: Option<u8>,
}

impl Outcome {
    /// The outcome written in a recording line.
    pub fn from_ledger(line: &LedgerLine) -> Outcome {
        let ok = recorded_ok(line);
        Outcome {
            ok,
            status: line.status,
            latency_ms: line.latency_ms,
            ttft_ms: line.ttft_ms,
            usage: line.usage,
            cost_usd: line.cost_usd,
            model: Some(line.model.clone()).filter(|m| !m.is_empty()),
            output: if ok { line.response.as_ref().and_then(output_text) } else { None },
            error: line.error.clone(),
            batch: line.batch,
            exit_code: None,
        }
    }

    /// The "old" side of a trace line: only sizes are known.
    pub fn from_trace(input_tokens: u64, output_tokens: u64) -> Outcome {
        Outcome {
            ok: true,
            usage: Some(Usage { input_tokens, output_tokens, ..Usage::default() }),
            ..Outcome::default()
        }
    }
}

/// A chat completion (OpenAI) or a message (Anthropic): only what the comparison reads.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ResponseBody {
    Chat { choices: Vec<ChatChoice> },
    Message { content: Vec<ContentBlock> },
}

#[derive(Debug, Deserialize)]
struct ChatChoice {
    #[serde(default)]
    index: u32,
    message: Option<ChatMessage>,
    /// Legacy completions.
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    content: Option<Content>,
    refusal: Option<String>,
    tool_calls: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<ContentBlock>),
}

#[derive(Debug, Deserialize)]
struct ContentBlock {
    #[serde(rename = "type", default)]
    kind: String,
    text: Option<String>,
    name: Option<String>,
    input: Option<Value>,
}

/// The text of a response body: every choice's content in index order (joined by newlines),
/// with tool calls appended as canonical JSON so a changed call counts as a change.
pub fn output_text(body: &Value) -> Option<String> {
    let parsed: ResponseBody = serde_json::from_value(body.clone()).ok()?;
    let mut parts: Vec<String> = Vec::new();
    match parsed {
        ResponseBody::Chat { mut choices } => {
            choices.sort_by_key(|c| c.index);
            for c in choices {
                if let Some(t) = c.text {
                    parts.push(t);
                }
                let Some(m) = c.message else { continue };
                match m.content {
                    Some(Content::Text(t)) => parts.push(t),
                    Some(Content::Parts(blocks)) => parts.extend(blocks.into_iter().filter_map(|b| b.text)),
                    None => {}
                }
                parts.extend(m.refusal);
                if let Some(calls) = m.tool_calls.filter(|c| !c.is_null()) {
                    parts.push(canonical(&calls));
                }
            }
        }
        ResponseBody::Message { content } => {
            for b in content {
                match b.kind.as_str() {
                    "tool_use" => {
                        parts.push(canonical(&serde_json::json!({"name": b.name, "input": b.input})))
                    }
                    _ => parts.extend(b.text),
                }
            }
        }
    }
    Some(parts.join("\n"))
}

/// Word-level similarity of two outputs (see the module comment). At most 200 ms of diffing
/// per pair: past that the diff is approximate, never wrong by more than it says.
pub fn similarity(a: &str, b: &str) -> f64 {
    let wa: Vec<&str> = a.split_whitespace().collect();
    let wb: Vec<&str> = b.split_whitespace().collect();
    if wa.is_empty() && wb.is_empty() {
        return 1.0;
    }
    let deadline = Instant::now() + Duration::from_millis(200);
    let ops = similar::capture_diff_slices_deadline(similar::Algorithm::Myers, &wa, &wb, Some(deadline));
    f64::from(similar::get_diff_ratio(&ops, wa.len(), wb.len()))
}

/// A readable diff: a unified line diff when either side has several lines, else a word
/// diff in git's `--word-diff=plain` notation (`[-old-]{+new+}`).
pub fn render_diff(old: &str, new: &str) -> String {
    if old.contains('\n') || new.contains('\n') {
        let diff = similar::TextDiff::configure().timeout(Duration::from_millis(200)).diff_lines(old, new);
        let mut out = diff.unified_diff().context_radius(2).header("old", "new").to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        return out;
    }
    let diff = similar::TextDiff::configure().timeout(Duration::from_millis(200)).diff_words(old, new);
    let mut out = String::new();
    let mut last: Option<similar::ChangeTag> = None;
    for change in diff.iter_all_changes() {
        let tag = change.tag();
        if last != Some(tag) {
            match last {
                Some(similar::ChangeTag::Delete) => out.push_str("-]"),
                Some(similar::ChangeTag::Insert) => out.push_str("+}"),
                _ => {}
            }
            match tag {
                similar::ChangeTag::Delete => out.push_str("[-"),
                similar::ChangeTag::Insert => out.push_str("{+"),
                similar::ChangeTag::Equal => {}
            }
        }
        out.push_str(change.value());
        last = Some(tag);
    }
    match last {
        Some(similar::ChangeTag::Delete) => out.push_str("-]"),
        Some(similar::ChangeTag::Insert) => out.push_str("+}"),
        _ => {}
    }
    out.push('\n');
    out
}

/// True when `text` is a JSON object or array (what "the original was JSON" means: a bare
/// `42` or `"yes"` is not structured output).
pub fn is_json_document(text: &str) -> bool {
    matches!(serde_json::from_str::<Value>(text.trim()), Ok(Value::Object(_) | Value::Array(_)))
}

/// Totals for one side (the recording, or the replay).
#[derive(Debug, Default)]
struct SideAcc {
    requests: u64,
    succeeded: u64,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: f64,
    unpriced: BTreeSet<String>,
    unpriced_requests: u64,
    ttft: Latency,
    tpot: Latency,
    e2e: Latency,
}

impl SideAcc {
    fn add(&mut self, o: &Outcome, pricer: &dyn Pricer) {
        self.requests += 1;
        if o.ok {
            self.succeeded += 1;
            if let Some(ms) = o.latency_ms {
                self.e2e.record_ms(ms);
            }
            if let Some(ms) = o.ttft_ms {
                self.ttft.record_ms(ms);
            }
            // TPOT = (E2E - TTFT) / (N - 1), per request, as `bench` defines it.
            if let (Some(e2e), Some(ttft), Some(u)) = (o.latency_ms, o.ttft_ms, o.usage) {
                if u.output_tokens > 1 && e2e >= ttft {
                    self.tpot.record_ms((e2e - ttft) / (u.output_tokens - 1) as f64);
                }
            }
        }
        if let Some(u) = o.usage {
            self.input_tokens += u.input_tokens;
            self.output_tokens += u.output_tokens;
        }
        let priced = o.cost_usd.or_else(|| match (&o.model, &o.usage) {
            (Some(m), Some(u)) => pricer.cost(m, u, o.batch),
            _ => None,
        });
        match priced {
            Some(c) => self.cost_usd += c,
            // A request that used no tokens cost nothing, priced or not.
            None if o.usage.is_none_or(|u| u.total() == 0) => {}
            None => {
                self.unpriced_requests += 1;
                self.unpriced.insert(o.model.clone().unwrap_or_else(|| "(unknown model)".into()));
            }
        }
    }

    fn summary(&self) -> SideSummary {
        SideSummary {
            requests: self.requests,
            succeeded: self.succeeded,
            errors: self.requests - self.succeeded,
            success_rate: (self.requests > 0).then(|| self.succeeded as f64 / self.requests as f64),
            ttft_ms: self.ttft.summary(),
            tpot_ms: self.tpot.summary(),
            e2e_ms: self.e2e.summary(),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_usd: (self.unpriced_requests == 0).then_some(self.cost_usd),
            priced_cost_usd: self.cost_usd,
            unpriced_requests: self.unpriced_requests,
            unpriced_models: self.unpriced.iter().cloned().collect(),
        }
    }
}

/// One side of the report (`old` or `new` in the JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideSummary {
    pub requests: u64,
    pub succeeded: u64,
    pub errors: u64,
    pub success_rate: Option<f64>,
    pub ttft_ms: LatencySummary,
    pub tpot_ms: LatencySummary,
    pub e2e_ms: LatencySummary,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Total cost; `null` when some request could not be priced.
    pub cost_usd: Option<f64>,
    /// The cost of the requests that could be priced.
    pub priced_cost_usd: f64,
    pub unpriced_requests: u64,
    pub unpriced_models: Vec<String>,
}

/// How outputs changed (the `outputs` key of the JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutputsSummary {
    /// Pairs where both runs produced an answer.
    pub compared: u64,
    pub equal: u64,
    pub equal_pct: Option<f64>,
    /// Mean word-level similarity over compared pairs, 0..1.
    pub similarity: Option<f64>,
    /// Compared pairs whose original output was a JSON object or array.
    pub json_original: u64,
    /// Of those, the share whose new output is also valid JSON (object or array).
    pub json_valid_pct: Option<f64>,
    /// Requests that succeeded before and fail now, and the reverse.
    pub regressed: u64,
    pub fixed: u64,
}

/// One request whose outcome changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub index: usize,
    pub line: usize,
    pub id: Option<String>,
    /// `changed` (both answered, differently), `regressed` (answered before, fails now) or
    /// `fixed` (failed before, answers now).
    pub kind: &'static str,
    pub similarity: Option<f64>,
    pub old_status: Option<u16>,
    pub new_status: Option<u16>,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// One replayed request, old and new side by side: a line of `--format jsonl`, written as
/// soon as the reply arrives (so lines come in completion order; `index` is the send order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestResult {
    /// Always `request` (the last line of the output is `summary`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub index: usize,
    pub line: usize,
    pub id: Option<String>,
    /// `null` when the input recorded no outcome (batch files).
    pub old: Option<SideResult>,
    pub new: SideResult,
    /// Both sides answered and the outputs are exactly equal; `null` when not comparable.
    pub equal: Option<bool>,
    /// Word-level similarity of the outputs (see the module comment), when comparable.
    pub similarity: Option<f64>,
    /// `changed`, `regressed`, `fixed` or `null` (same outcome).
    pub change: Option<&'static str>,
}

/// One side of a [`RequestResult`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideResult {
    pub ok: bool,
    pub status: Option<u16>,
    pub latency_ms: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Recorded or priced from the table; `null` when unpriced.
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SideResult {
    fn of(o: &Outcome, pricer: &dyn Pricer) -> SideResult {
        SideResult {
            ok: o.ok,
            status: o.status,
            latency_ms: o.latency_ms,
            ttft_ms: o.ttft_ms,
            input_tokens: o.usage.map(|u| u.input_tokens),
            output_tokens: o.usage.map(|u| u.output_tokens),
            cost_usd: o.cost_usd.or_else(|| match (&o.model, &o.usage) {
                (Some(m), Some(u)) => pricer.cost(m, u, o.batch),
                (_, Some(u)) if u.total() == 0 => Some(0.0),
                _ => None,
            }),
            error: o.error.clone(),
        }
    }
}

/// The first failed request of the replay (decides the exit code when all failed).
#[derive(Debug, Clone, PartialEq)]
pub struct FirstFailure {
    pub index: usize,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub exit_code: Option<u8>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub requests: u64,
    /// `null` when the input recorded no outcomes (batch files).
    pub old: Option<SideSummary>,
    pub new: SideSummary,
    pub outputs: OutputsSummary,
    /// New cost relative to old in percent (`+12.5` = 12.5% more), when both are known.
    pub cost_change_pct: Option<f64>,
    pub changes: Vec<Change>,
    #[serde(skip)]
    pub first_failure: Option<FirstFailure>,
}

/// Builds the report request by request as replies arrive.
pub struct Comparison<'p> {
    pricer: &'p dyn Pricer,
    with_diff: bool,
    old: SideAcc,
    any_old: bool,
    new: SideAcc,
    outputs: OutputsSummary,
    similarity_sum: f64,
    json_valid: u64,
    changes: Vec<Change>,
    first_failure: Option<FirstFailure>,
}

impl<'p> Comparison<'p> {
    pub fn new(pricer: &'p dyn Pricer, with_diff: bool) -> Self {
        Comparison {
            pricer,
            with_diff,
            old: SideAcc::default(),
            any_old: false,
            new: SideAcc::default(),
            outputs: OutputsSummary::default(),
            similarity_sum: 0.0,
            json_valid: 0,
            changes: Vec::new(),
            first_failure: None,
        }
    }

    /// The recorded side of a planned request, if the input recorded one.
    pub fn old_outcome(p: &Planned) -> Option<Outcome> {
        match (&p.recorded, p.trace_tokens) {
            (Some(rec), _) => Some(Outcome::from_ledger(rec)),
            (None, Some((i, o))) => Some(Outcome::from_trace(i, o)),
            (None, None) => None,
        }
    }

    /// Count one reply; returns its line for `--format jsonl`.
    pub fn add(&mut self, p: &Planned, new: &Outcome) -> RequestResult {
        let mut result = RequestResult {
            kind: "request",
            index: p.index,
            line: p.line,
            id: p.id.clone(),
            old: None,
            new: SideResult::of(new, self.pricer),
            equal: None,
            similarity: None,
            change: None,
        };
        self.add_counts(p, new, &mut result);
        result
    }

    fn add_counts(&mut self, p: &Planned, new: &Outcome, result: &mut RequestResult) {
        self.new.add(new, self.pricer);
        if !new.ok && self.first_failure.as_ref().is_none_or(|f| f.index > p.index) {
            self.first_failure = Some(FirstFailure {
                index: p.index,
                status: new.status,
                error: new.error.clone(),
                exit_code: new.exit_code,
            });
        }
        let Some(old) = Self::old_outcome(p) else { return };
        result.old = Some(SideResult::of(&old, self.pricer));
        self.any_old = true;
        self.old.add(&old, self.pricer);
        let change = |kind: &'static str, similarity: Option<f64>, diff: Option<String>| Change {
            index: p.index,
            line: p.line,
            id: p.id.clone(),
            kind,
            similarity,
            old_status: old.status,
            new_status: new.status,
            error: new.error.clone(),
            diff,
        };
        match (old.ok, new.ok) {
            (true, false) => {
                self.outputs.regressed += 1;
                result.change = Some("regressed");
                self.changes.push(change("regressed", None, None));
            }
            (false, true) if p.recorded.is_some() => {
                self.outputs.fixed += 1;
                result.change = Some("fixed");
                self.changes.push(change("fixed", None, None));
            }
            _ => {}
        }
        let (Some(a), Some(b)) = (&old.output, &new.output) else { return };
        self.outputs.compared += 1;
        if is_json_document(a) {
            self.outputs.json_original += 1;
            if is_json_document(b) {
                self.json_valid += 1;
            }
        }
        if a == b {
            self.outputs.equal += 1;
            self.similarity_sum += 1.0;
            result.equal = Some(true);
            result.similarity = Some(1.0);
            return;
        }
        let sim = similarity(a, b);
        self.similarity_sum += sim;
        result.equal = Some(false);
        result.similarity = Some(sim);
        result.change = Some("changed");
        let diff = self.with_diff.then(|| render_diff(a, b));
        self.changes.push(change("changed", Some(sim), diff));
    }

    pub fn finish(mut self) -> Report {
        let o = &mut self.outputs;
        if o.compared > 0 {
            o.equal_pct = Some(100.0 * o.equal as f64 / o.compared as f64);
            o.similarity = Some(self.similarity_sum / o.compared as f64);
        }
        if o.json_original > 0 {
            o.json_valid_pct = Some(100.0 * self.json_valid as f64 / o.json_original as f64);
        }
        self.changes.sort_by_key(|c| c.index);
        let old = self.any_old.then(|| self.old.summary());
        let new = self.new.summary();
        let cost_change_pct = match (old.as_ref().and_then(|o| o.cost_usd), new.cost_usd) {
            (Some(a), Some(b)) if a > 0.0 => Some(100.0 * (b - a) / a),
            (Some(a), Some(b)) if a == 0.0 && b == 0.0 => Some(0.0),
            _ => None,
        };
        Report {
            requests: self.new.requests,
            old,
            new,
            outputs: self.outputs,
            cost_change_pct,
            changes: self.changes,
            first_failure: self.first_failure,
        }
    }
}

/// The regression gates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gates {
    /// Fail when any output changed or any request that succeeded now fails.
    pub fail_on_change: bool,
    /// Fail when the new cost exceeds the old by more than this many percent.
    pub fail_on_cost_increase_pct: Option<f64>,
}

/// What the gates decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// A gate was hit (exit 1); the reasons, one per line.
    Fail(Vec<String>),
    /// A gate could not be evaluated (exit 2): e.g. unpriced models or no recorded costs.
    Undecidable(String),
}

impl Gates {
    pub fn check(&self, r: &Report) -> Verdict {
        let mut reasons = Vec::new();
        if self.fail_on_change {
            let changed = r.changes.iter().filter(|c| c.kind == "changed").count();
            if changed > 0 {
                reasons.push(format!("{changed} of {} compared outputs changed", r.outputs.compared));
            }
            if r.outputs.regressed > 0 {
                reasons.push(format!("{} requests that succeeded before now fail", r.outputs.regressed));
            }
        }
        if let Some(limit) = self.fail_on_cost_increase_pct {
            let Some(old) = &r.old else {
                return Verdict::Undecidable(
                    "--fail-on-cost-increase needs an input with recorded outcomes (a recording)".into(),
                );
            };
            let unpriced: Vec<&str> = old
                .unpriced_models
                .iter()
                .chain(r.new.unpriced_models.iter())
                .map(String::as_str)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !unpriced.is_empty() {
                return Verdict::Undecidable(format!(
                    "--fail-on-cost-increase: cannot price model(s) {} (add them with --prices FILE)",
                    unpriced.join(", ")
                ));
            }
            let (a, b) = (old.priced_cost_usd, r.new.priced_cost_usd);
            let over = if a > 0.0 { b > a * (1.0 + limit / 100.0) } else { b > 0.0 };
            if over {
                let pct = r.cost_change_pct.map_or("from $0".to_string(), |p| format!("{p:+.1}%"));
                reasons.push(format!("cost went from ${a:.6} to ${b:.6} ({pct}), over the {limit}% allowed"));
            }
        }
        if reasons.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(reasons)
        }
    }
}

/// Rows for the table and CSV forms: metric, old, new, change.
pub fn rows(r: &Report) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let old = r.old.as_ref();
    let num = |v: u64| v.to_string();
    let ms = |v: Option<f64>| match v {
        Some(v) if v < 10.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.1}"),
        None => "-".to_string(),
    };
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}%"));
    let delta_pct = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if a > 0.0 => format!("{:+.1}%", 100.0 * (b - a) / a),
        _ => String::new(),
    };
    let mut push = |metric: &str, o: String, n: String, change: String| {
        rows.push(vec![metric.to_string(), o, n, change])
    };

    push("requests", old.map_or("-".into(), |o| num(o.requests)), num(r.new.requests), String::new());
    let rate = |s: &SideSummary| pct(s.success_rate.map(|x| 100.0 * x));
    push(
        "succeeded",
        old.map_or("-".into(), |o| format!("{} ({})", o.succeeded, rate(o))),
        format!("{} ({})", r.new.succeeded, rate(&r.new)),
        old.map_or(String::new(), |o| format!("{:+}", r.new.succeeded as i64 - o.succeeded as i64)),
    );
    for (name, get) in [
        ("ttft ms", (|s: &SideSummary| s.ttft_ms.clone()) as fn(&SideSummary) -> LatencySummary),
        ("e2e ms", |s: &SideSummary| s.e2e_ms.clone()),
        ("tpot ms", |s: &SideSummary| s.tpot_ms.clone()),
    ] {
        let n = get(&r.new);
        let o = old.map(get).unwrap_or_default();
        if n.count == 0 && o.count == 0 {
            continue;
        }
        for (q, ov, nv) in [("p50", o.p50, n.p50), ("p90", o.p90, n.p90), ("p99", o.p99, n.p99)] {
            push(&format!("{name} {q}"), ms(ov), ms(nv), delta_pct(ov, nv));
        }
    }
    for (name, ov, nv) in [
        ("input tokens", old.map(|o| o.input_tokens), r.new.input_tokens),
        ("output tokens", old.map(|o| o.output_tokens), r.new.output_tokens),
    ] {
        push(name, ov.map_or("-".into(), num), num(nv), delta_pct(ov.map(|v| v as f64), Some(nv as f64)));
    }
    let cost = |s: &SideSummary| match s.cost_usd {
        Some(c) => format!("${c:.6}"),
        None if s.priced_cost_usd > 0.0 => format!("${:.6}+?", s.priced_cost_usd),
        None => "unpriced".to_string(),
    };
    push(
        "cost",
        old.map_or("-".into(), cost),
        cost(&r.new),
        r.cost_change_pct.map_or(String::new(), |p| format!("{p:+.1}%")),
    );
    let o = &r.outputs;
    if r.old.is_some() {
        push("outputs compared", String::new(), num(o.compared), String::new());
        push("outputs equal", String::new(), pct(o.equal_pct), format!("{} changed", o.compared - o.equal));
        push(
            "output similarity",
            String::new(),
            o.similarity.map_or("-".into(), |s| format!("{s:.3}")),
            String::new(),
        );
        if o.json_original > 0 {
            push(
                "JSON still valid",
                String::new(),
                pct(o.json_valid_pct),
                format!("of {} JSON", o.json_original),
            );
        }
        if o.regressed > 0 || o.fixed > 0 {
            push(
                "now failing / fixed",
                String::new(),
                format!("{} / {}", o.regressed, o.fixed),
                String::new(),
            );
        }
    }
    rows
}

pub const HEADERS: [&str; 4] = ["metric", "old", "new", "change"];

/// The `--diff` section printed after the table.
pub fn diff_section(r: &Report) -> String {
    let mut out = String::new();
    for c in r.changes.iter().filter(|c| c.diff.is_some()) {
        let id = c.id.as_deref().map(|i| format!(", id {i}")).unwrap_or_default();
        let sim = c.similarity.map(|s| format!(", similarity {s:.3}")).unwrap_or_default();
        out.push_str(&format!("--- request {} (line {}{id}){sim}\n", c.index + 1, c.line));
        if let Some(d) = &c.diff {
            out.push_str(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chat(content: &str) -> Value {
        json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
    }

    fn planned(index: usize, rec: Option<LedgerLine>) -> Planned {
        Planned {
            index,
            line: index + 1,
            id: Some(format!("r{index}")),
            offset_ms: Some(0.0),
            due_ms: 0.0,
            url: None,
            body: json!({}),
            recorded: rec.map(Box::new),
            trace_tokens: None,
        }
    }

    fn recorded(content: &str, latency: f64, cost: Option<f64>) -> LedgerLine {
        LedgerLine {
            model: "m-old".into(),
            status: Some(200),
            latency_ms: Some(latency),
            ttft_ms: Some(latency / 2.0),
            usage: Some(Usage { input_tokens: 10, output_tokens: 5, ..Usage::default() }),
            cost_usd: cost,
            response: Some(chat(content)),
            ..LedgerLine::default()
        }
    }

    fn new_outcome(content: &str, latency: f64, cost: Option<f64>) -> Outcome {
        Outcome {
            ok: true,
            status: Some(200),
            latency_ms: Some(latency),
            ttft_ms: Some(latency / 4.0),
            usage: Some(Usage { input_tokens: 10, output_tokens: 7, ..Usage::default() }),
            cost_usd: cost,
            model: Some("m-new".into()),
            output: Some(content.into()),
            error: None,
            batch: false,
            exit_code: None,
        }
    }

    #[test]
    fn outputs_are_read_from_openai_and_anthropic_bodies() {
        assert_eq!(output_text(&chat("hi")).as_deref(), Some("hi"));
        let two = json!({"choices": [
            {"index": 1, "message": {"content": "b"}},
            {"index": 0, "message": {"content": null, "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}}
        ]});
        assert_eq!(
            output_text(&two).as_deref(),
            Some("[{\"function\":{\"arguments\":\"{}\",\"name\":\"f\"}}]\nb")
        );
        let anthropic = json!({"type": "message", "content": [
            {"type": "text", "text": "a"}, {"type": "tool_use", "name": "t", "input": {"x": 1}}]});
        assert_eq!(output_text(&anthropic).as_deref(), Some("a\n{\"input\":{\"x\":1},\"name\":\"t\"}"));
        let parts = json!({"choices": [{"message": {"content": [{"type": "text", "text": "p"}]}}]});
        assert_eq!(output_text(&parts).as_deref(), Some("p"));
        assert_eq!(output_text(&json!({"error": {"message": "x"}})), None);
    }

    #[test]
    fn similarity_is_word_level_dice_of_the_lcs() {
        assert_eq!(similarity("a b c d", "a b c d"), 1.0);
        assert_eq!(similarity("a  b\nc", "a b c"), 1.0, "whitespace alone is no change");
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("a b", ""), 0.0);
        // LCS of [a b c d] and [a x c d] is 3 words: 2*3/8.
        assert!((similarity("a b c d", "a x c d") - 0.75).abs() < 1e-6);
        assert_eq!(similarity("one two", "three four"), 0.0);
    }

    #[test]
    fn diffs_are_word_diffs_for_one_line_and_unified_for_many() {
        assert_eq!(render_diff("the cat sat", "the dog sat"), "the [-cat-]{+dog+} sat\n");
        let d = render_diff("a\nb\nc\n", "a\nB\nc\n");
        assert!(d.contains("-b\n") && d.contains("+B\n") && d.contains("--- old"), "{d}");
    }

    #[test]
    fn json_documents_are_objects_or_arrays() {
        assert!(is_json_document(" {\"a\": 1}\n"));
        assert!(is_json_document("[1]"));
        assert!(!is_json_document("42"));
        assert!(!is_json_document("{\"a\": "));
    }

    #[test]
    fn each_request_yields_its_own_result_line() {
        let mut cmp = Comparison::new(&NoPrices, false);
        let same = cmp.add(
            &planned(0, Some(recorded("same answer", 100.0, Some(0.001)))),
            &new_outcome("same answer", 50.0, Some(0.002)),
        );
        assert_eq!((same.index, same.line, same.id.as_deref()), (0, 1, Some("r0")));
        assert_eq!((same.equal, same.similarity, same.change), (Some(true), Some(1.0), None));
        let old = same.old.as_ref().unwrap();
        assert_eq!(
            (old.latency_ms, old.ttft_ms, old.output_tokens, old.cost_usd),
            (Some(100.0), Some(50.0), Some(5), Some(0.001))
        );
        assert_eq!(
            (same.new.latency_ms, same.new.output_tokens, same.new.cost_usd),
            (Some(50.0), Some(7), Some(0.002))
        );
        let changed =
            cmp.add(&planned(1, Some(recorded("a b c d", 100.0, None))), &new_outcome("a x c d", 50.0, None));
        assert_eq!((changed.equal, changed.change), (Some(false), Some("changed")));
        assert!((changed.similarity.unwrap() - 0.75).abs() < 1e-9);
        assert_eq!(changed.new.cost_usd, None, "unpriced");
        let failed =
            Outcome { ok: false, status: Some(500), error: Some("server".into()), ..Outcome::default() };
        let regressed = cmp.add(&planned(2, Some(recorded("x", 1.0, None))), &failed);
        assert_eq!((regressed.equal, regressed.change), (None, Some("regressed")));
        assert_eq!(regressed.new.error.as_deref(), Some("server"));
        let fresh = cmp.add(&planned(3, None), &new_outcome("y", 1.0, None));
        assert!(fresh.old.is_none() && fresh.equal.is_none());
        let line = serde_json::to_value(&fresh).unwrap();
        assert_eq!(line["type"], "request");
    }

    #[test]
    fn report_counts_successes_latencies_tokens_costs_and_changes() {
        let mut cmp = Comparison::new(&NoPrices, true);
        cmp.add(
            &planned(0, Some(recorded("same answer", 100.0, Some(0.001)))),
            &new_outcome("same answer", 50.0, Some(0.002)),
        );
        cmp.add(
            &planned(1, Some(recorded("{\"a\": 1}", 200.0, Some(0.001)))),
            &new_outcome("{\"a\": 2}", 60.0, Some(0.002)),
        );
        cmp.add(
            &planned(2, Some(recorded("{\"b\": 1}", 300.0, Some(0.001)))),
            &new_outcome("not json", 70.0, Some(0.002)),
        );
        let failed =
            Outcome { ok: false, status: Some(500), error: Some("server".into()), ..Outcome::default() };
        cmp.add(&planned(3, Some(recorded("x", 400.0, Some(0.001)))), &failed);
        let r = cmp.finish();
        let old = r.old.as_ref().unwrap();
        assert_eq!((old.requests, old.succeeded), (4, 4));
        assert_eq!((r.new.requests, r.new.succeeded, r.new.errors), (4, 3, 1));
        assert_eq!(old.e2e_ms.max, Some(400.0));
        assert!((r.new.e2e_ms.p50.unwrap() - 60.0).abs() < 0.1, "HDR: within 0.1%");
        assert_eq!(r.new.ttft_ms.count, 3);
        // tpot = (e2e - ttft) / (7 - 1) for 50 ms: (50 - 12.5) / 6.
        assert_eq!(r.new.tpot_ms.min, Some(6.25));
        assert_eq!(old.output_tokens, 20);
        assert_eq!(r.new.output_tokens, 21);
        assert!((old.cost_usd.unwrap() - 0.004).abs() < 1e-12);
        assert!((r.new.cost_usd.unwrap() - 0.006).abs() < 1e-12);
        assert!((r.cost_change_pct.unwrap() - 50.0).abs() < 1e-9);
        let o = &r.outputs;
        assert_eq!((o.compared, o.equal, o.json_original, o.regressed), (3, 1, 2, 1));
        assert!((o.equal_pct.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(o.json_valid_pct, Some(50.0));
        let kinds: Vec<_> = r.changes.iter().map(|c| (c.index, c.kind)).collect();
        assert_eq!(kinds, [(1, "changed"), (2, "changed"), (3, "regressed")]);
        assert!(r.changes[0].diff.as_deref().unwrap().contains("[-1}-]{+2}+}"), "{:?}", r.changes[0].diff);
        let json = serde_json::to_value(&r).unwrap();
        for key in ["mean", "p50", "p90", "p95", "p99", "max"] {
            assert!(json["new"]["e2e_ms"].get(key).is_some(), "{key}");
        }
        assert!(json["outputs"]["similarity"].is_number());
        assert!(json["old"]["cost_usd"].is_number() && json["new"]["succeeded"] == 3);
    }

    #[test]
    fn gates_fail_on_change_and_on_cost_increase() {
        let mut cmp = Comparison::new(&NoPrices, false);
        cmp.add(&planned(0, Some(recorded("a", 1.0, Some(1.0)))), &new_outcome("a", 1.0, Some(1.2)));
        let same = cmp.finish();
        let change_gate = Gates { fail_on_change: true, ..Gates::default() };
        assert_eq!(change_gate.check(&same), Verdict::Pass);
        assert_eq!(
            Gates { fail_on_cost_increase_pct: Some(25.0), ..Gates::default() }.check(&same),
            Verdict::Pass
        );
        let Verdict::Fail(why) =
            Gates { fail_on_cost_increase_pct: Some(10.0), ..Gates::default() }.check(&same)
        else {
            panic!("a 20% increase must fail a 10% gate")
        };
        assert!(why[0].contains("+20.0%"), "{why:?}");

        let mut cmp = Comparison::new(&NoPrices, false);
        cmp.add(&planned(0, Some(recorded("a", 1.0, Some(1.0)))), &new_outcome("b", 1.0, Some(1.0)));
        let changed = cmp.finish();
        assert!(matches!(change_gate.check(&changed), Verdict::Fail(_)));
        assert_eq!(Gates::default().check(&changed), Verdict::Pass);
    }

    #[test]
    fn cost_gate_is_undecidable_without_prices_or_recordings() {
        let gate = Gates { fail_on_cost_increase_pct: Some(5.0), ..Gates::default() };
        let mut cmp = Comparison::new(&NoPrices, false);
        cmp.add(&planned(0, Some(recorded("a", 1.0, None))), &new_outcome("a", 1.0, None));
        let r = cmp.finish();
        assert_eq!(r.new.cost_usd, None);
        assert_eq!(r.new.unpriced_models, ["m-new"]);
        let Verdict::Undecidable(msg) = gate.check(&r) else { panic!() };
        assert!(msg.contains("m-new") && msg.contains("m-old"), "{msg}");

        let mut cmp = Comparison::new(&NoPrices, false);
        cmp.add(&planned(0, None), &new_outcome("a", 1.0, Some(1.0)));
        let r = cmp.finish();
        assert!(r.old.is_none());
        assert!(matches!(gate.check(&r), Verdict::Undecidable(_)));
    }

    struct FlatPrice;
    impl Pricer for FlatPrice {
        fn cost(&self, model: &str, usage: &Usage, _batch: bool) -> Option<f64> {
            (model == "m-new" || model == "m-old").then(|| usage.total() as f64 * 0.001)
        }
    }

    #[test]
    fn the_price_table_prices_known_models_only() {
        let table = crate::pricing::PriceTable::load(None).unwrap();
        let u = Usage { input_tokens: 1_000_000, output_tokens: 1_000_000, ..Usage::default() };
        let c = Pricer::cost(&table, "gpt-4o-mini", &u, false).unwrap();
        assert!(c > 0.0);
        let b = Pricer::cost(&table, "gpt-4o-mini", &u, true).unwrap();
        assert!(b < c, "batch rates are lower");
        assert_eq!(Pricer::cost(&table, "no-such-model-xyz", &u, false), None);
    }

    #[test]
    fn the_pricer_fills_in_missing_costs() {
        let mut cmp = Comparison::new(&FlatPrice, false);
        cmp.add(&planned(0, Some(recorded("a", 1.0, None))), &new_outcome("a", 1.0, None));
        let r = cmp.finish();
        assert!((r.old.unwrap().cost_usd.unwrap() - 0.015).abs() < 1e-12);
        assert!((r.new.cost_usd.unwrap() - 0.017).abs() < 1e-12);
    }

    #[test]
    fn table_rows_show_both_sides() {
        let mut cmp = Comparison::new(&NoPrices, true);
        cmp.add(&planned(0, Some(recorded("a b", 100.0, Some(0.5)))), &new_outcome("a c", 50.0, Some(0.25)));
        let r = cmp.finish();
        let rows = rows(&r);
        let find = |m: &str| rows.iter().find(|r| r[0] == m).cloned().unwrap();
        assert_eq!(find("succeeded")[1], "1 (100.0%)");
        assert_eq!(find("e2e ms p50")[3], "-50.0%");
        assert_eq!(find("cost")[3], "-50.0%");
        assert_eq!(find("outputs equal")[2], "0.0%");
        let d = diff_section(&r);
        assert!(d.starts_with("--- request 1 (line 1, id r0), similarity 0.500\n"), "{d}");
        assert!(d.contains("a [-b-]{+c+}"), "{d}");
    }
}
