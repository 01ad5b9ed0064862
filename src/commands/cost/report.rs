//! `llmkit cost report`: price usage logs, grouped, with totals, unpriced models, skipped
//! lines and a monthly projection.
//!
//! The readers in [`crate::usage::logs`] stream records into an [`Aggregator`]; it prices
//! each record as it arrives (long-context prices depend on each request's prompt size, so a
//! sum cannot be priced afterwards), with the price lookup cached per distinct model name and
//! group keys interned, so the per-line work is a parse, a few hash lookups and some adds.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{fmt_amount, fmt_int, fmt_usd, stdout_pretty};
use crate::cli::Format;
use crate::error::{Error, ExitStatus};
use crate::output::{progress, write_report, Printer};
use crate::pricing::{ModelPrice, PriceTable};
use crate::settings::cost::{GroupBy, Projection, ReportSettings};
use crate::usage::logs::{
    civil_from_days, days_from_civil, read_jsonl_parallel, read_path, Loc, Record, Sink,
};

/// Most `--by` keys at once (every key).
const MAX_KEYS: usize = 9;
/// Skipped lines kept for `-v`; the count covers all of them.
const MAX_SKIPPED_KEPT: usize = 1000;
/// Interned id of a missing value.
const NONE_ID: u32 = 0;

/// Token and cost counters of a group (or of everything).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counters {
    pub requests: u64,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    pub cost_usd: f64,
    /// Requests of models with no price (their tokens are counted, their cost is not).
    pub unpriced_requests: u64,
    /// Requests answered from llmkit's response cache (no tokens billed).
    pub cache_hits: u64,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        self.requests += o.requests;
        self.input_tokens += o.input_tokens;
        self.cached_tokens += o.cached_tokens;
        self.cache_write_tokens += o.cache_write_tokens;
        self.output_tokens += o.output_tokens;
        self.reasoning_tokens += o.reasoning_tokens;
        self.cost_usd += o.cost_usd;
        self.unpriced_requests += o.unpriced_requests;
        self.cache_hits += o.cache_hits;
    }
}

#[derive(Default)]
struct Interner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    fn new() -> Self {
        let mut i = Interner::default();
        i.names.push("(none)".into());
        i
    }

    fn id(&mut self, s: Option<&str>) -> u32 {
        let Some(s) = s.filter(|s| !s.is_empty()) else { return NONE_ID };
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// A skipped line, for `-v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub file: String,
    pub loc: Loc,
    pub reason: String,
}

/// Streams records into groups. One per report.
pub struct Aggregator<'t> {
    table: &'t PriceTable,
    by: Vec<GroupBy>,
    since: Option<i64>,
    until: Option<i64>,
    strings: Interner,
    /// Price lookup per interned model name: `None` = not looked up yet.
    prices: Vec<Option<Option<(&'t str, &'t ModelPrice)>>>,
    groups: HashMap<[u32; MAX_KEYS], Counters>,
    unpriced: HashMap<u32, Counters>,
    /// Cost per UTC day number (for projections).
    daily: BTreeMap<i64, f64>,
    last_ts: Option<i64>,
    first_ts: Option<i64>,
    pub total: Counters,
    pub skipped_count: u64,
    pub skipped: Vec<Skipped>,
    pub no_usage: u64,
    pub out_of_range: u64,
    pub undated_excluded: u64,
    pub undated: u64,
}

impl<'t> Aggregator<'t> {
    pub fn new(table: &'t PriceTable, by: &[GroupBy], since: Option<i64>, until: Option<i64>) -> Self {
        Aggregator {
            table,
            by: by.iter().copied().take(MAX_KEYS).collect(),
            since,
            until,
            strings: Interner::new(),
            prices: vec![Some(None)],
            groups: HashMap::new(),
            unpriced: HashMap::new(),
            daily: BTreeMap::new(),
            last_ts: None,
            first_ts: None,
            total: Counters::default(),
            skipped_count: 0,
            skipped: Vec::new(),
            no_usage: 0,
            out_of_range: 0,
            undated_excluded: 0,
            undated: 0,
        }
    }

    fn price_of(&mut self, model_id: u32) -> Option<(&'t str, &'t ModelPrice)> {
        let idx = model_id as usize;
        if idx >= self.prices.len() {
            self.prices.resize(idx + 1, None);
        }
        if let Some(p) = self.prices[idx] {
            return p;
        }
        let table = self.table;
        let found = table.lookup(self.strings.name(model_id));
        self.prices[idx] = Some(found);
        found
    }

    /// Fold in an aggregator that read other parts of the input (another thread's blocks).
    pub fn merge(&mut self, other: Aggregator<'t>) {
        let remap: Vec<u32> = (0..other.strings.names.len() as u32)
            .map(|id| if id == NONE_ID { NONE_ID } else { self.strings.id(Some(other.strings.name(id))) })
            .collect();
        for (id, p) in other.prices.iter().enumerate() {
            if let Some(found) = p {
                let mine = remap[id] as usize;
                if mine >= self.prices.len() {
                    self.prices.resize(mine + 1, None);
                }
                self.prices[mine].get_or_insert(*found);
            }
        }
        for (mut key, c) in other.groups {
            for (slot, dim) in key.iter_mut().zip(self.by.iter()) {
                if matches!(
                    dim,
                    GroupBy::Model | GroupBy::Provider | GroupBy::User | GroupBy::Project | GroupBy::Key
                ) {
                    *slot = remap[*slot as usize];
                }
            }
            self.groups.entry(key).or_default().add(&c);
        }
        for (id, c) in other.unpriced {
            self.unpriced.entry(remap[id as usize]).or_default().add(&c);
        }
        for (day, cost) in other.daily {
            *self.daily.entry(day).or_default() += cost;
        }
        self.first_ts = match (self.first_ts, other.first_ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ts = self.last_ts.max(other.last_ts);
        self.total.add(&other.total);
        self.skipped_count += other.skipped_count;
        let room = MAX_SKIPPED_KEPT.saturating_sub(self.skipped.len());
        self.skipped.extend(other.skipped.into_iter().take(room));
        self.no_usage += other.no_usage;
        self.out_of_range += other.out_of_range;
        self.undated_excluded += other.undated_excluded;
        self.undated += other.undated;
    }

    /// (asked name, table key) of every model name that was mapped to another key.
    pub fn resolutions(&self) -> Vec<(String, String)> {
        self.prices
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let (key, _) = (*p)??;
                let name = self.strings.name(i as u32);
                (key != name).then(|| (name.to_string(), key.to_string()))
            })
            .collect()
    }
}

impl Sink for Aggregator<'_> {
    fn record(&mut self, r: &Record<'_>) {
        if self.since.is_some() || self.until.is_some() {
            let Some(ts) = r.ts else {
                self.undated_excluded += r.requests;
                return;
            };
            if self.since.is_some_and(|s| ts < s) || self.until.is_some_and(|u| ts > u) {
                self.out_of_range += r.requests;
                return;
            }
        }
        let model_id = self.strings.id(r.model);
        let priced = self.price_of(model_id);
        let mut c = Counters { requests: r.requests, ..Default::default() };
        if r.cache_hit {
            c.cache_hits = r.requests;
        } else {
            c.input_tokens = r.usage.input_tokens;
            c.cached_tokens = r.usage.cached_tokens;
            c.cache_write_tokens = r.usage.cache_write_tokens;
            c.output_tokens = r.usage.output_tokens;
            c.reasoning_tokens = r.usage.reasoning_tokens;
            match priced {
                Some((_, price)) => {
                    // Aggregated records (usage pages, CSV rows) pick long-context prices by
                    // their average prompt size.
                    let prompt = r.usage.input_tokens / r.requests.max(1);
                    c.cost_usd = price.rates(prompt, r.batch).cost(&r.usage);
                }
                None => {
                    c.unpriced_requests = r.requests;
                    self.unpriced.entry(model_id).or_default().add(&c);
                }
            }
        }
        match r.ts {
            Some(ts) => {
                *self.daily.entry(ts.div_euclid(86_400)).or_default() += c.cost_usd;
                self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
                self.first_ts = Some(self.first_ts.map_or(ts, |f| f.min(ts)));
            }
            None => self.undated += r.requests,
        }
        let mut key = [0u32; MAX_KEYS];
        for (slot, dim) in key.iter_mut().zip(self.by.iter()) {
            *slot = match dim {
                GroupBy::Model => model_id,
                GroupBy::Provider => {
                    let provider = r.provider.or(priced.and_then(|(_, p)| p.provider.as_deref()));
                    self.strings.id(provider)
                }
                GroupBy::Day => r.ts.map_or(u32::MAX, |t| t.div_euclid(86_400) as u32),
                GroupBy::Week => r.ts.map_or(u32::MAX, |t| {
                    let day = t.div_euclid(86_400);
                    // 1970-01-01 was a Thursday: Monday of the ISO week.
                    (day - (day + 3).rem_euclid(7)) as u32
                }),
                GroupBy::Month => r.ts.map_or(u32::MAX, |t| {
                    let (y, m, _) = civil_from_days(t.div_euclid(86_400));
                    (y * 12 + m as i64 - 1) as u32
                }),
                GroupBy::User => self.strings.id(r.user),
                GroupBy::Project => self.strings.id(r.project),
                GroupBy::Key => self.strings.id(r.key),
                GroupBy::Batch => u32::from(r.batch),
            };
        }
        self.groups.entry(key).or_default().add(&c);
        self.total.add(&c);
    }

    fn skip(&mut self, file: &str, loc: Loc, reason: &str) {
        self.skipped_count += 1;
        if self.skipped.len() < MAX_SKIPPED_KEPT {
            self.skipped.push(Skipped { file: file.to_string(), loc, reason: reason.to_string() });
        }
    }

    fn no_usage(&mut self) {
        self.no_usage += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Projection

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionOut {
    /// `month-to-date` or `trailing-Nd`.
    pub method: String,
    pub monthly_usd: f64,
    /// What the projection was computed from.
    pub basis_usd: f64,
    pub basis_days: u32,
    pub days_in_month: u32,
    /// The last day counted (UTC), `YYYY-MM-DD`.
    pub through: String,
    pub explanation: String,
}

fn days_in_month(y: i64, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm as i64, 1) - days_from_civil(y, m as i64, 1)) as u32
}

fn day_label(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Project monthly spend from daily costs, as of `reference` (unix seconds).
pub fn project(daily: &BTreeMap<i64, f64>, reference: i64, method: Projection) -> ProjectionOut {
    let ref_day = reference.div_euclid(86_400);
    let (y, m, d) = civil_from_days(ref_day);
    let dim = days_in_month(y, m);
    let sum = |from: i64| daily.range(from..=ref_day).map(|(_, c)| c).sum::<f64>();
    match method {
        Projection::MonthToDate => {
            let first = ref_day - (d as i64 - 1);
            let basis = sum(first);
            let monthly = basis / d as f64 * dim as f64;
            ProjectionOut {
                method: "month-to-date".into(),
                monthly_usd: monthly,
                basis_usd: basis,
                basis_days: d,
                days_in_month: dim,
                through: day_label(ref_day),
                explanation: format!(
                    "{} spent in the first {d} day(s) of {} {y}, extrapolated to {dim} days",
                    fmt_usd(basis),
                    MONTHS[(m - 1) as usize]
                ),
            }
        }
        Projection::Trailing(n) => {
            let basis = sum(ref_day - (n as i64 - 1));
            let monthly = basis / n as f64 * dim as f64;
            ProjectionOut {
                method: format!("trailing-{n}d"),
                monthly_usd: monthly,
                basis_usd: basis,
                basis_days: n,
                days_in_month: dim,
                through: day_label(ref_day),
                explanation: format!(
                    "{} spent in the {n} day(s) through {}, averaged and multiplied by {dim} days",
                    fmt_usd(basis),
                    day_label(ref_day)
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Output

#[derive(Serialize)]
struct ReportDoc {
    rows: Vec<Map<String, Value>>,
    total: Map<String, Value>,
    unpriced: Vec<UnpricedRow>,
    projection: Option<Map<String, Value>>,
    skipped_lines: u64,
    /// Well-formed lines that bill nothing (failed requests, errored batch items).
    no_usage_lines: u64,
    /// Requests outside --since/--until, and requests without a time when a range was given.
    excluded_requests: u64,
    period: Option<Period>,
    prices: String,
}

#[derive(Serialize)]
struct Period {
    first: String,
    last: String,
}

#[derive(Serialize)]
struct UnpricedRow {
    model: String,
    requests: u64,
    input_tokens: u64,
    output_tokens: u64,
}

fn counters_json(c: &Counters, fx: &[crate::settings::cost::Fx]) -> Map<String, Value> {
    let mut m = match serde_json::to_value(c) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for f in fx {
        m.insert(format!("cost_{}", f.currency.to_ascii_lowercase()), Value::from(c.cost_usd * f.rate));
    }
    m
}

fn label(agg: &Aggregator<'_>, dim: GroupBy, v: u32) -> String {
    let dated =
        |v: u32, f: &dyn Fn(i64) -> String| if v == u32::MAX { "(none)".to_string() } else { f(v as i64) };
    match dim {
        GroupBy::Day => dated(v, &|d| day_label(d)),
        GroupBy::Week => dated(v, &|monday| {
            // ISO week: the week's Thursday decides the year.
            let thursday = monday + 3;
            let (y, _, _) = civil_from_days(thursday);
            let jan1 = days_from_civil(y, 1, 1);
            let week = (thursday - jan1) / 7 + 1;
            format!("{y:04}-W{week:02}")
        }),
        GroupBy::Month => dated(v, &|ym| format!("{:04}-{:02}", ym.div_euclid(12), ym.rem_euclid(12) + 1)),
        GroupBy::Batch => if v == 1 { "batch" } else { "standard" }.to_string(),
        _ => agg.strings.name(v).to_string(),
    }
}

/// JSON Lines files at least this large are parsed on every core.
const PARALLEL_MIN_BYTES: u64 = 16 << 20;

/// Parser threads: the cores, or `LLMKIT_COST_THREADS` (benchmarks compare 1 and N).
fn parser_threads() -> usize {
    std::env::var("LLMKIT_COST_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

pub fn run(table: &PriceTable, s: &ReportSettings, printer: Printer) -> anyhow::Result<ExitStatus> {
    let threads = parser_threads();
    let mut agg = Aggregator::new(table, &s.by, s.since, s.until);
    let total_bytes: u64 = s
        .files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let bar = progress::bar(
        &printer,
        s.no_progress,
        Some(total_bytes),
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec}",
    );
    for path in &s.files {
        if s.default_ledger && !path.exists() {
            return Err(Error::usage(format!(
                "no usage ledger at {} yet (llmkit chat/batch write it; or pass log files)",
                path.display()
            ))
            .into());
        }
        if path.as_os_str() != "-" && !path.exists() {
            return Err(Error::usage(format!("{}: no such file", path.display())).into());
        }
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let parallel = if threads > 1 && size >= PARALLEL_MIN_BYTES {
            read_jsonl_parallel(path, threads, || Aggregator::new(table, &s.by, s.since, s.until))?
        } else {
            None
        };
        match parallel {
            Some(parts) => parts.into_iter().for_each(|part| agg.merge(part)),
            None => read_path(path, &mut agg)?,
        }
        bar.inc(size);
    }
    bar.finish_and_clear();

    agg.skipped.sort_by(|a, b| (&a.file, a.loc).cmp(&(&b.file, b.loc)));
    for (name, key) in agg.resolutions() {
        printer.verbose(format!("price: {name} -> {key}"));
    }
    for sk in &agg.skipped {
        printer.verbose(format!("skipped {}:{}: {}", sk.file, sk.loc, sk.reason));
    }
    if agg.skipped_count > agg.skipped.len() as u64 {
        printer
            .verbose(format!("... and {} more skipped lines", agg.skipped_count - agg.skipped.len() as u64));
    }

    // Rows, most expensive first.
    let mut groups: Vec<(&[u32; MAX_KEYS], &Counters)> = agg.groups.iter().collect();
    groups.sort_by(|a, b| {
        b.1.cost_usd
            .total_cmp(&a.1.cost_usd)
            .then_with(|| b.1.requests.cmp(&a.1.requests))
            .then_with(|| a.0.cmp(b.0))
    });
    // Time keys read best in time order.
    if s.by.first().is_some_and(|d| matches!(d, GroupBy::Day | GroupBy::Week | GroupBy::Month)) {
        groups.sort_by(|a, b| {
            a.0[0].cmp(&b.0[0]).then_with(|| b.1.cost_usd.total_cmp(&a.1.cost_usd)).then_with(|| a.0.cmp(b.0))
        });
    }
    let rows_labels: Vec<Vec<String>> = groups
        .iter()
        .map(|(k, _)| s.by.iter().enumerate().map(|(i, d)| label(&agg, *d, k[i])).collect())
        .collect();

    let reference = s.until.or(agg.last_ts);
    let projection = match (s.projection, reference) {
        (Some(method), Some(r)) => Some(project(&agg.daily, r, method)),
        (Some(_), None) => {
            if s.budget.is_some() {
                return Err(Error::usage("cannot project monthly spend: no usage with a timestamp").into());
            }
            printer.warn("no projection: no usage with a timestamp");
            None
        }
        _ => None,
    };

    let mut unpriced: Vec<UnpricedRow> = agg
        .unpriced
        .iter()
        .map(|(id, c)| UnpricedRow {
            model: agg.strings.name(*id).to_string(),
            requests: c.requests,
            input_tokens: c.input_tokens,
            output_tokens: c.output_tokens,
        })
        .collect();
    unpriced.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.model.cmp(&b.model)));

    let mut out = std::io::stdout().lock();
    match s.format {
        Format::Table | Format::Csv => {
            let mut headers: Vec<String> = s.by.iter().map(|d| d.name().to_string()).collect();
            if s.format == Format::Csv {
                headers.extend(
                    [
                        "requests",
                        "input_tokens",
                        "cached_tokens",
                        "output_tokens",
                        "reasoning_tokens",
                        "cost_usd",
                    ]
                    .map(String::from),
                );
                headers.extend(s.fx.iter().map(|f| format!("cost_{}", f.currency.to_ascii_lowercase())));
            } else {
                headers.extend(
                    ["requests", "input", "cached", "output", "reasoning", "cost USD"].map(String::from),
                );
                headers.extend(s.fx.iter().map(|f| format!("cost {}", f.currency)));
            }
            let num = |n: u64| if s.format == Format::Csv { n.to_string() } else { fmt_int(n) };
            let money = |x: f64| if s.format == Format::Csv { format!("{x}") } else { fmt_amount(x) };
            let line = |labels: Vec<String>, c: &Counters| {
                let mut row = labels;
                let mark = if c.unpriced_requests > 0 && s.format == Format::Table { " *" } else { "" };
                row.extend([
                    num(c.requests),
                    num(c.input_tokens),
                    num(c.cached_tokens),
                    num(c.output_tokens),
                    num(c.reasoning_tokens),
                    format!("{}{mark}", money(c.cost_usd)),
                ]);
                row.extend(s.fx.iter().map(|f| money(c.cost_usd * f.rate)));
                row
            };
            let mut cells: Vec<Vec<String>> =
                groups.iter().zip(rows_labels).map(|((_, c), labels)| line(labels, c)).collect();
            if s.format == Format::Table {
                let mut labels = vec!["TOTAL".to_string()];
                labels.resize(s.by.len(), String::new());
                cells.push(line(labels, &agg.total));
            }
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            write_report(&mut out, s.format, &headers, &cells, &Value::Null, false)?;
            if s.format == Format::Table {
                write_table_notes(&mut out, &agg, &unpriced, projection.as_ref(), s, table)?;
            } else {
                summary_to_stderr(&printer, &agg, &unpriced, projection.as_ref());
            }
        }
        Format::Json | Format::Jsonl => {
            let rows = groups
                .iter()
                .zip(rows_labels)
                .map(|((_, c), labels)| {
                    let mut m = Map::new();
                    for (d, l) in s.by.iter().zip(labels) {
                        m.insert(d.name().to_string(), Value::String(l));
                    }
                    m.extend(counters_json(c, &s.fx));
                    m
                })
                .collect();
            let projection = projection.as_ref().map(|p| {
                let mut m = match serde_json::to_value(p) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                for f in &s.fx {
                    m.insert(
                        format!("monthly_{}", f.currency.to_ascii_lowercase()),
                        Value::from(p.monthly_usd * f.rate),
                    );
                }
                m
            });
            let doc = ReportDoc {
                rows,
                total: counters_json(&agg.total, &s.fx),
                unpriced,
                projection,
                skipped_lines: agg.skipped_count,
                no_usage_lines: agg.no_usage,
                excluded_requests: agg.out_of_range + agg.undated_excluded,
                period: agg.first_ts.zip(agg.last_ts).map(|(f, l)| Period {
                    first: day_label(f.div_euclid(86_400)),
                    last: day_label(l.div_euclid(86_400)),
                }),
                prices: table.describe_source(),
            };
            crate::output::write_json(&mut out, &doc, stdout_pretty(&printer) && s.format == Format::Json)?;
            if agg.skipped_count > 0 {
                printer.warn(format!("skipped {} line(s) (-v lists them)", agg.skipped_count));
            }
        }
    }
    out.flush()?;
    drop(out);

    let mut status = ExitStatus::Success;
    if let (Some(budget), Some(p)) = (s.budget, projection.as_ref()) {
        if p.monthly_usd > budget {
            printer.warn(format!(
                "projected {}/month ({}) exceeds the budget of {}",
                fmt_usd(p.monthly_usd),
                p.method,
                fmt_usd(budget)
            ));
            status = ExitStatus::Partial;
        }
    }
    if s.strict && agg.skipped_count > 0 {
        printer.warn(format!("--strict: {} line(s) were skipped", agg.skipped_count));
        status = ExitStatus::Partial;
    }
    Ok(status)
}

fn write_table_notes(
    out: &mut dyn Write,
    agg: &Aggregator<'_>,
    unpriced: &[UnpricedRow],
    projection: Option<&ProjectionOut>,
    s: &ReportSettings,
    table: &PriceTable,
) -> anyhow::Result<()> {
    if !unpriced.is_empty() {
        writeln!(out, "* includes unpriced models (not in the price table; add them with --prices):")?;
        for u in unpriced {
            writeln!(
                out,
                "    {}: {} requests, {} input / {} output tokens",
                u.model,
                fmt_int(u.requests),
                fmt_int(u.input_tokens),
                fmt_int(u.output_tokens)
            )?;
        }
    }
    if let Some(p) = projection {
        writeln!(out, "Projection ({}): {}/month: {}.", p.method, fmt_usd(p.monthly_usd), p.explanation)?;
        for f in &s.fx {
            writeln!(out, "    = {} {}/month", fmt_amount(p.monthly_usd * f.rate), f.currency)?;
        }
    }
    let excluded = agg.out_of_range + agg.undated_excluded;
    if excluded > 0 {
        writeln!(out, "Excluded by --since/--until: {} request(s).", fmt_int(excluded))?;
    }
    writeln!(
        out,
        "Skipped lines: {}{}. Lines without billable usage: {}. Prices: {}.",
        agg.skipped_count,
        if agg.skipped_count > 0 { " (-v lists them)" } else { "" },
        agg.no_usage,
        table.describe_source()
    )?;
    Ok(())
}

fn summary_to_stderr(
    printer: &Printer,
    agg: &Aggregator<'_>,
    unpriced: &[UnpricedRow],
    projection: Option<&ProjectionOut>,
) {
    for u in unpriced {
        printer.warn(format!("unpriced model {}: {} requests", u.model, u.requests));
    }
    if let Some(p) = projection {
        printer.info(format!(
            "projection ({}): {}/month: {}",
            p.method,
            fmt_usd(p.monthly_usd),
            p.explanation
        ));
    }
    if agg.skipped_count > 0 {
        printer.warn(format!("skipped {} line(s) (-v lists them)", agg.skipped_count));
    } else {
        printer.info("skipped 0 lines");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Usage;

    fn rec<'a>(model: &'a str, ts: i64, input: u64, output: u64) -> Record<'a> {
        Record {
            ts: Some(ts),
            model: Some(model),
            provider: Some("openai"),
            user: None,
            project: None,
            key: None,
            batch: false,
            cache_hit: false,
            requests: 1,
            usage: Usage { input_tokens: input, output_tokens: output, ..Default::default() },
        }
    }

    #[test]
    fn aggregates_price_each_record_and_list_unpriced_models() {
        let table = PriceTable::load(None).unwrap();
        let mut agg = Aggregator::new(&table, &[GroupBy::Model], None, None);
        agg.record(&rec("gpt-4o", 0, 1000, 100));
        agg.record(&rec("gpt-4o", 10, 1000, 100));
        agg.record(&rec("my-llama", 20, 50, 5));
        let mut cached = rec("gpt-4o", 30, 1000, 100);
        cached.cache_hit = true;
        agg.record(&cached);
        assert_eq!(agg.total.requests, 4);
        assert_eq!(agg.total.cache_hits, 1);
        assert_eq!(agg.total.input_tokens, 2050);
        assert!((agg.total.cost_usd - 2.0 * (1000.0 * 2.5e-6 + 100.0 * 1e-5)).abs() < 1e-12);
        assert_eq!(agg.unpriced.len(), 1);
        assert_eq!(agg.total.unpriced_requests, 1);
    }

    #[test]
    fn merged_aggregators_equal_one() {
        let table = PriceTable::load(None).unwrap();
        let by = [GroupBy::User, GroupBy::Model, GroupBy::Day];
        let recs: Vec<Record> = (0..40)
            .map(|i| {
                let mut r = rec(
                    ["gpt-4o", "my-llama", "claude-haiku-4-5"][i % 3],
                    (i as i64) * 40_000,
                    100 + i as u64,
                    7,
                );
                r.user = [Some("a"), None, Some("b"), Some("c")][i % 4];
                r
            })
            .collect();
        let mut one = Aggregator::new(&table, &by, None, None);
        recs.iter().for_each(|r| one.record(r));
        let mut a = Aggregator::new(&table, &by, None, None);
        let mut b = Aggregator::new(&table, &by, None, None);
        recs.iter().enumerate().for_each(|(i, r)| if i % 2 == 0 { b.record(r) } else { a.record(r) });
        b.skip("f", Loc::Line(3), "bad");
        a.merge(b);
        let labelled = |agg: &Aggregator| {
            let mut v: Vec<(Vec<String>, u64, u64)> = agg
                .groups
                .iter()
                .map(|(k, c)| {
                    let labels = by.iter().enumerate().map(|(i, d)| label(agg, *d, k[i])).collect();
                    (labels, c.requests, c.input_tokens)
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(labelled(&a), labelled(&one));
        assert!((a.total.cost_usd - one.total.cost_usd).abs() < 1e-12);
        assert_eq!((a.first_ts, a.last_ts), (one.first_ts, one.last_ts));
        assert_eq!(a.daily, one.daily);
        assert_eq!(a.skipped_count, 1);
        let unpriced: Vec<&str> = a.unpriced.keys().map(|id| a.strings.name(*id)).collect();
        assert_eq!(unpriced, vec!["my-llama"]);
    }

    #[test]
    fn ranges_exclude_by_time() {
        let table = PriceTable::load(None).unwrap();
        let mut agg = Aggregator::new(&table, &[GroupBy::Day], Some(100), Some(200));
        agg.record(&rec("gpt-4o", 50, 1, 1));
        agg.record(&rec("gpt-4o", 150, 1, 1));
        let mut undated = rec("gpt-4o", 0, 1, 1);
        undated.ts = None;
        agg.record(&undated);
        assert_eq!((agg.total.requests, agg.out_of_range, agg.undated_excluded), (1, 1, 1));
    }

    #[test]
    fn projections_state_their_method() {
        // 2026-11-01 .. 2026-11-10, $1 per day.
        let nov1 = days_from_civil(2026, 11, 1);
        let daily: BTreeMap<i64, f64> = (0..10).map(|i| (nov1 + i, 1.0)).collect();
        let reference = (nov1 + 9) * 86_400 + 3600;
        let p = project(&daily, reference, Projection::MonthToDate);
        assert_eq!((p.basis_days, p.days_in_month), (10, 30));
        assert!((p.monthly_usd - 30.0).abs() < 1e-9);
        assert!(p.explanation.contains("November 2026"), "{}", p.explanation);
        let p = project(&daily, reference, Projection::Trailing(5));
        assert!((p.monthly_usd - 30.0).abs() < 1e-9);
        let p = project(&daily, reference, Projection::Trailing(20));
        assert!((p.monthly_usd - 15.0).abs() < 1e-9, "{}", p.monthly_usd);
        assert_eq!(p.method, "trailing-20d");
        assert_eq!(days_in_month(2028, 2), 29);
    }

    #[test]
    fn week_labels_follow_iso_8601() {
        let table = PriceTable::load(None).unwrap();
        let agg = Aggregator::new(&table, &[GroupBy::Week], None, None);
        // 2021-01-03 (Sunday) belongs to 2020-W53; 2021-01-04 starts 2021-W01.
        let monday = |d: i64| d - (d + 3).rem_euclid(7);
        assert_eq!(label(&agg, GroupBy::Week, monday(days_from_civil(2021, 1, 3)) as u32), "2020-W53");
        assert_eq!(label(&agg, GroupBy::Week, monday(days_from_civil(2021, 1, 4)) as u32), "2021-W01");
        assert_eq!(label(&agg, GroupBy::Month, (2026 * 12 + 10) as u32), "2026-11");
    }
}
