//! Aggregation of [`BenchRecord`]s into the numbers a benchmark reports.
//!
//! Everything here is a pure function of the set of records: histograms are added, counters
//! summed, spans taken as min/max. That is what makes `bench report a.jsonl b.jsonl` equal, to
//! the last digit, the report of one run that produced both files' requests, whatever the
//! order the records are read in.
//!
//! Latencies go into HDR histograms in integer microseconds with 4 significant digits (an
//! error of at most 0.01% per percentile; exact to the microsecond below 32 ms). Means come
//! from exact integer sums, not from the histogram.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::record::{BenchRecord, ErrorClass, TokenSource};

const SIGFIG: u8 = 4;

/// One latency metric: a histogram, plus the exact sum (for the mean) and extremes.
#[derive(Debug, Clone)]
pub struct Latency {
    hist: Histogram<u64>,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Latency {
    fn default() -> Self {
        // `new` auto-resizes, so no upper bound has to be guessed. It only fails for a
        // precision above 5 digits, and ours is a constant 4.
        let hist = Histogram::new(SIGFIG).expect("4 significant digits is within hdrhistogram's range");
        Latency { hist, sum: 0, min: u64::MAX, max: 0 }
    }
}

impl Latency {
    pub fn record(&mut self, us: u64) {
        // An auto-resizing histogram grows to fit; only a value beyond its absolute limit
        // (2^63) could fail, and clamping that is the best answer.
        if self.hist.record(us).is_err() {
            self.hist.saturating_record(us);
        }
        self.sum += u128::from(us);
        self.min = self.min.min(us);
        self.max = self.max.max(us);
    }

    /// Record a latency given in milliseconds (as ledger lines hold them); a negative or
    /// non-finite value is no measurement and is skipped.
    pub fn record_ms(&mut self, ms: f64) {
        if ms.is_finite() && ms >= 0.0 {
            self.record((ms * 1000.0).round() as u64);
        }
    }

    pub fn merge(&mut self, other: &Latency) {
        // Both sides auto-resize with the same precision, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Value at quantile `q` in microseconds: HDR's highest value equivalent to the recorded
    /// one (never an under-estimate), kept within the exact observed range.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        (self.count() > 0).then(|| self.hist.value_at_quantile(q).clamp(self.min, self.max))
    }

    pub fn summary(&self) -> LatencySummary {
        let n = self.count();
        let ms = |us: u64| us as f64 / 1000.0;
        let q = |q: f64| self.quantile_us(q).map(ms);
        LatencySummary {
            count: n,
            mean: (n > 0).then(|| self.sum as f64 / n as f64 / 1000.0),
            min: (n > 0).then(|| ms(self.min)),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p99_9: q(0.999),
            max: (n > 0).then(|| ms(self.max)),
        }
    }
}

/// A latency as printed: milliseconds. All `null` when nothing was measured. `replay` reports
/// its latencies in the same shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub p99_9: Option<f64>,
    pub max: Option<f64>,
}

/// Per-request service-level objectives. A request is *good* when it succeeded and met every
/// threshold given; goodput counts good requests per second. The run passes when at least
/// `attainment` of its requests were good.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Slo {
    pub ttft: Option<Duration>,
    pub tpot: Option<Duration>,
    /// Applies to the request's largest gap.
    pub itl: Option<Duration>,
    pub e2e: Option<Duration>,
    pub attainment: f64,
}

pub const DEFAULT_ATTAINMENT: f64 = 0.99;

impl Slo {
    /// Parse `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e; durations like `--timeout`).
    pub fn parse(spec: &str, attainment: f64) -> Result<Slo, String> {
        let mut slo = Slo { attainment, ..Slo::default() };
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("--slo: `{part}` is not KEY=DURATION (e.g. ttft=200ms)"))?;
            let d = crate::cli::parse_duration(value).map_err(|e| format!("--slo {key}: {e}"))?;
            if d.is_zero() {
                return Err(format!("--slo {key}: must be greater than zero"));
            }
            let slot = match key.trim() {
                "ttft" => &mut slo.ttft,
                "tpot" => &mut slo.tpot,
                "itl" => &mut slo.itl,
                "e2e" => &mut slo.e2e,
                other => return Err(format!("--slo: unknown metric `{other}` (use ttft, tpot, itl, e2e)")),
            };
            *slot = Some(d);
        }
        if slo.ttft.is_none() && slo.tpot.is_none() && slo.itl.is_none() && slo.e2e.is_none() {
            return Err("--slo: give at least one of ttft, tpot, itl, e2e".into());
        }
        if !(attainment > 0.0 && attainment <= 1.0) {
            return Err(format!("--slo-attainment must be in (0, 1], got {attainment}"));
        }
        Ok(slo)
    }

    /// True when the request succeeded and met every threshold. A metric a request does not
    /// have (TPOT of a one-token answer) does not fail it.
    pub fn met(&self, r: &BenchRecord) -> bool {
        let within = |limit: Option<Duration>, value: Option<u64>| match (limit, value) {
            (Some(l), Some(v)) => u128::from(v) <= l.as_micros(),
            _ => true,
        };
        r.ok()
            && within(self.ttft, r.ttft_us())
            && within(self.tpot, r.tpot_us())
            && within(self.itl, r.itl_us().max())
            && within(self.e2e, r.e2e_us())
    }

    fn describe(&self) -> BTreeMap<&'static str, f64> {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        [("ttft_ms", self.ttft), ("tpot_ms", self.tpot), ("itl_ms", self.itl), ("e2e_ms", self.e2e)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|d| (k, ms(d))))
            .collect()
    }
}

/// Everything measured at one load level.
#[derive(Debug, Clone, Default)]
pub struct LevelStats {
    pub level: String,
    pub requests: u64,
    pub succeeded: u64,
    pub errors: u64,
    pub good: u64,
    pub errors_by_class: BTreeMap<ErrorClass, u64>,
    pub errors_by_status: BTreeMap<u16, u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Requests whose N came from our tokenizer (the server sent no usage).
    pub output_tokens_estimated: u64,
    /// Earliest t0 and latest end (Unix microseconds): the wall span.
    pub first_t0_us: Option<u64>,
    pub last_end_us: Option<u64>,
    pub ttft: Latency,
    pub ttfc: Latency,
    pub tpot: Latency,
    pub itl: Latency,
    pub e2e: Latency,
    pub lag: Latency,
    /// Open loop: scheduled time to the moment the client got the request.
    pub send_delay: Latency,
    /// The earliest failure (by t0, then seq), for the error message when nothing succeeded.
    pub first_error: Option<(u64, u64, ErrorClass, Option<u16>, String)>,
}

impl LevelStats {
    pub fn new(level: impl Into<String>) -> Self {
        LevelStats { level: level.into(), ..LevelStats::default() }
    }

    /// Count one measured request (callers skip warmup records).
    pub fn add(&mut self, r: &BenchRecord, slo: Option<&Slo>) {
        self.requests += 1;
        self.first_t0_us = Some(self.first_t0_us.map_or(r.t0_us, |t| t.min(r.t0_us)));
        self.last_end_us = Some(self.last_end_us.map_or(r.end_abs_us(), |t| t.max(r.end_abs_us())));
        if let Some(lag) = r.lag_us {
            self.lag.record(lag);
            self.send_delay.record(r.send_us);
        }
        if let Some(class) = r.error {
            self.errors += 1;
            *self.errors_by_class.entry(class).or_default() += 1;
            if let Some(status) = r.status {
                *self.errors_by_status.entry(status).or_default() += 1;
            }
            let key = (r.t0_us, r.seq);
            if self.first_error.as_ref().is_none_or(|(t, s, ..)| key < (*t, *s)) {
                let msg = r.message.clone().unwrap_or_else(|| class.name().to_string());
                self.first_error = Some((r.t0_us, r.seq, class, r.status, msg));
            }
            return;
        }
        self.succeeded += 1;
        self.input_tokens += r.input_tokens;
        self.output_tokens += r.output_tokens;
        if r.output_tokens_from == TokenSource::Tokenizer {
            self.output_tokens_estimated += 1;
        }
        if slo.is_some_and(|s| s.met(r)) {
            self.good += 1;
        }
        let pairs =
            [(&mut self.ttft, r.ttft_us()), (&mut self.ttfc, r.ttfc_us()), (&mut self.tpot, r.tpot_us())];
        for (hist, value) in pairs {
            if let Some(v) = value {
                hist.record(v);
            }
        }
        if let Some(v) = r.e2e_us() {
            self.e2e.record(v);
        }
        for gap in r.itl_us() {
            self.itl.record(gap);
        }
    }

    /// Fold another set of records of the same level into this one.
    pub fn merge(&mut self, o: &LevelStats) {
        self.requests += o.requests;
        self.succeeded += o.succeeded;
        self.errors += o.errors;
        self.good += o.good;
        for (k, v) in &o.errors_by_class {
            *self.errors_by_class.entry(*k).or_default() += v;
        }
        for (k, v) in &o.errors_by_status {
            *self.errors_by_status.entry(*k).or_default() += v;
        }
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.output_tokens_estimated += o.output_tokens_estimated;
        self.first_t0_us = min_opt(self.first_t0_us, o.first_t0_us);
        self.last_end_us = self.last_end_us.max(o.last_end_us);
        for (a, b) in [
            (&mut self.ttft, &o.ttft),
            (&mut self.ttfc, &o.ttfc),
            (&mut self.tpot, &o.tpot),
            (&mut self.itl, &o.itl),
            (&mut self.e2e, &o.e2e),
            (&mut self.lag, &o.lag),
            (&mut self.send_delay, &o.send_delay),
        ] {
            a.merge(b);
        }
        if let Some(e) = &o.first_error {
            if self.first_error.as_ref().is_none_or(|mine| (e.0, e.1) < (mine.0, mine.1)) {
                self.first_error = Some(e.clone());
            }
        }
    }

    /// Wall time: from the earliest t0 to the latest end among the measured requests.
    pub fn wall(&self) -> Duration {
        match (self.first_t0_us, self.last_end_us) {
            (Some(a), Some(b)) => Duration::from_micros(b.saturating_sub(a)),
            _ => Duration::ZERO,
        }
    }

    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    pub fn summary(&self, slo: Option<&Slo>) -> LevelSummary {
        let wall_s = self.wall().as_secs_f64();
        let per_s = |x: u64| if wall_s > 0.0 { x as f64 / wall_s } else { 0.0 };
        let attainment = |s: &Slo| {
            let a = if self.requests == 0 { 0.0 } else { self.good as f64 / self.requests as f64 };
            SloSummary {
                thresholds: s.describe(),
                target: s.attainment,
                attainment: a,
                met: a >= s.attainment,
            }
        };
        LevelSummary {
            level: self.level.clone(),
            requests: self.requests,
            succeeded: self.succeeded,
            errors: self.errors,
            error_rate: self.error_rate(),
            wall_s,
            request_throughput: per_s(self.succeeded),
            output_token_throughput: per_s(self.output_tokens),
            input_token_throughput: per_s(self.input_tokens),
            goodput: slo.map(|_| per_s(self.good)),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            output_tokens_estimated: self.output_tokens_estimated,
            ttft_ms: self.ttft.summary(),
            tpot_ms: self.tpot.summary(),
            itl_ms: self.itl.summary(),
            e2e_ms: self.e2e.summary(),
            ttfc_ms: self.ttfc.summary(),
            sched_lag_ms: (self.lag.count() > 0).then(|| self.lag.summary()),
            send_delay_ms: (self.send_delay.count() > 0).then(|| self.send_delay.summary()),
            errors_by_class: self.errors_by_class.iter().map(|(k, v)| (k.name().to_string(), *v)).collect(),
            errors_by_status: self.errors_by_status.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            slo: slo.map(attainment),
        }
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The report of one level: the stable JSON of DESIGN.md ("bench") plus more keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelSummary {
    pub level: String,
    pub requests: u64,
    pub succeeded: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub wall_s: f64,
    /// Successful requests per second of wall time.
    pub request_throughput: f64,
    /// Output tokens (of successful requests) per second of wall time.
    pub output_token_throughput: f64,
    pub input_token_throughput: f64,
    /// Requests that met every SLO, per second (only with `--slo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goodput: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub output_tokens_estimated: u64,
    pub ttft_ms: LatencySummary,
    pub tpot_ms: LatencySummary,
    pub itl_ms: LatencySummary,
    pub e2e_ms: LatencySummary,
    /// Time to the first chunk of any kind (a role-only chunk counts here, not in TTFT).
    pub ttfc_ms: LatencySummary,
    /// Open loop only: how late the pacer released requests (scheduler lag).
    pub sched_lag_ms: Option<LatencySummary>,
    /// Open loop only: scheduled time to the client getting the request (lag, handoff to a
    /// worker, and the wait for a free slot under `-c`).
    pub send_delay_ms: Option<LatencySummary>,
    pub errors_by_class: BTreeMap<String, u64>,
    pub errors_by_status: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo: Option<SloSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloSummary {
    pub thresholds: BTreeMap<&'static str, f64>,
    pub target: f64,
    /// Fraction of requests that were good.
    pub attainment: f64,
    pub met: bool,
}

/// Conditions that turn a finished run into exit 1 (for CI gates).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    pub slo: Option<Slo>,
    pub max_errors: Option<u64>,
    pub max_error_rate: Option<f64>,
}

impl Gates {
    /// One line per breached gate; empty when the level passed.
    pub fn breaches(&self, s: &LevelStats) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(max) = self.max_errors {
            if s.errors > max {
                out.push(format!("{}: {} errors, more than --max-errors {max}", s.level, s.errors));
            }
        }
        if let Some(max) = self.max_error_rate {
            if s.error_rate() > max {
                out.push(format!(
                    "{}: error rate {:.2}% over --max-error-rate {:.2}%",
                    s.level,
                    s.error_rate() * 100.0,
                    max * 100.0
                ));
            }
        }
        if let Some(slo) = &self.slo {
            let a = if s.requests == 0 { 0.0 } else { s.good as f64 / s.requests as f64 };
            if a < slo.attainment {
                out.push(format!(
                    "{}: {:.2}% of requests met the SLO, below the {:.2}% target",
                    s.level,
                    a * 100.0,
                    slo.attainment * 100.0
                ));
            }
        }
        out
    }

    /// True when the errors seen so far already break a limit, so the run can stop early.
    /// With a known total, a rate limit is broken once the errors exceed `rate * total`.
    pub fn errors_exceeded(&self, errors: u64, total: Option<u64>) -> bool {
        self.max_errors.is_some_and(|m| errors > m)
            || matches!((self.max_error_rate, total), (Some(r), Some(n)) if errors as f64 > r * n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::record::sample;

    fn rec(t0: u64, ttft: u64, itl: u64, n: u64) -> BenchRecord {
        let content: Vec<u64> = (0..n).map(|i| ttft + i * itl).collect();
        BenchRecord { t0_us: t0, ..sample(&content, n) }
    }

    #[test]
    fn long_latencies_are_not_clamped() {
        // 45 s, 2 h and 3 days: far above any fixed histogram range one might have guessed.
        for us in [45_000_000u64, 7_200_000_000, 259_200_000_000] {
            let mut l = Latency::default();
            l.record(1_000);
            l.record(us);
            l.record(us);
            let p50 = l.quantile_us(0.5).unwrap();
            let rel = (p50 as f64 - us as f64).abs() / us as f64;
            assert!(rel <= 1e-4, "{us} us came back as {p50} us");
            assert_eq!(l.quantile_us(1.0), Some(us));
            assert_eq!(l.summary().max, Some(us as f64 / 1000.0));
            // Merging (bench report) keeps them too.
            let mut merged = Latency::default();
            merged.merge(&l);
            assert_eq!(merged.quantile_us(0.99), Some(us));
            assert_eq!(merged.count(), 3);
        }
    }

    #[test]
    fn summary_reports_design_metrics() {
        let mut s = LevelStats::new("concurrency=1");
        for i in 0..100 {
            s.add(&rec(1_000_000 + i * 300_000, 150_000, 10_000, 11), None);
        }
        let sum = s.summary(None);
        assert_eq!(sum.requests, 100);
        assert_eq!(sum.ttft_ms.p50, Some(150.0));
        assert_eq!(sum.ttft_ms.mean, Some(150.0));
        assert_eq!(sum.tpot_ms.p99, Some(10.0));
        assert_eq!(sum.itl_ms.count, 1000);
        assert_eq!(sum.e2e_ms.max, Some(250.0));
        // Wall: first t0 to the last end (250 ms of output + 100 us of tail).
        assert_eq!(s.wall(), Duration::from_micros(99 * 300_000 + 250_100));
        let wall = s.wall().as_secs_f64();
        assert!((sum.request_throughput - 100.0 / wall).abs() < 1e-9);
        assert!((sum.output_token_throughput - 1100.0 / wall).abs() < 1e-9);
    }

    #[test]
    fn percentiles_come_from_the_distribution() {
        let mut s = LevelStats::new("x");
        for ms in 1..=1000u64 {
            s.add(&rec(0, ms * 1000, 1000, 2), None);
        }
        let t = s.summary(None).ttft_ms;
        // 4 significant digits: within 0.01% of the exact order statistic.
        for (got, want) in [(t.p50, 500.0), (t.p90, 900.0), (t.p99, 990.0), (t.p99_9, 999.0), (t.max, 1000.0)]
        {
            let got = got.unwrap();
            assert!((got - want).abs() <= want * 1e-4, "{got} vs {want}");
        }
        assert_eq!(t.mean, Some(500.5));
    }

    #[test]
    fn errors_are_counted_by_class_and_status_and_excluded_from_latency() {
        let mut s = LevelStats::new("x");
        s.add(&rec(0, 100, 10, 3), None);
        let mut bad = rec(5, 100, 10, 3);
        bad.error = Some(ErrorClass::Server);
        bad.status = Some(503);
        s.add(&bad, None);
        let mut refused = rec(1, 0, 0, 0);
        refused.error = Some(ErrorClass::Connect);
        refused.status = None;
        refused.message = Some("connection refused".into());
        s.add(&refused, None);
        let sum = s.summary(None);
        assert_eq!((sum.requests, sum.succeeded, sum.errors), (3, 1, 2));
        assert_eq!(sum.errors_by_class.get("server"), Some(&1));
        assert_eq!(sum.errors_by_class.get("connect"), Some(&1));
        assert_eq!(sum.errors_by_status.get("503"), Some(&1));
        assert_eq!(sum.ttft_ms.count, 1);
        // The earliest failure by t0 is kept for the error message.
        assert_eq!(s.first_error.as_ref().map(|e| e.4.as_str()), Some("connection refused"));
    }

    #[test]
    fn merging_equals_adding_everything_to_one() {
        let records: Vec<BenchRecord> = (0..500)
            .map(|i| rec(i * 7919 % 100_000, 1000 + (i * 37) % 5000, 50 + i % 13, 1 + i % 9))
            .collect();
        let slo = Slo::parse("ttft=4ms,tpot=60us", 0.5).unwrap();
        let mut all = LevelStats::new("x");
        records.iter().for_each(|r| all.add(r, Some(&slo)));
        let (mut a, mut b) = (LevelStats::new("x"), LevelStats::new("x"));
        for (i, r) in records.iter().enumerate().rev() {
            if i % 3 == 0 {
                a.add(r, Some(&slo))
            } else {
                b.add(r, Some(&slo))
            }
        }
        b.merge(&a);
        assert_eq!(b.summary(Some(&slo)), all.summary(Some(&slo)));
        assert_eq!(b.first_error, all.first_error);
    }

    #[test]
    fn slo_parsing_and_goodput() {
        let slo = Slo::parse("ttft=200ms, tpot=50ms", DEFAULT_ATTAINMENT).unwrap();
        assert_eq!(slo.ttft, Some(Duration::from_millis(200)));
        assert_eq!(slo.tpot, Some(Duration::from_millis(50)));
        assert!(Slo::parse("ttft", 0.9).unwrap_err().contains("KEY=DURATION"));
        assert!(Slo::parse("latency=1s", 0.9).unwrap_err().contains("unknown metric `latency`"));
        assert!(Slo::parse("ttft=0ms", 0.9).is_err());
        assert!(Slo::parse("ttft=1s", 1.5).unwrap_err().contains("--slo-attainment"));
        assert!(Slo::parse("", 0.9).is_err());

        let mut s = LevelStats::new("x");
        s.add(&rec(0, 150_000, 10_000, 5), Some(&slo)); // good
        s.add(&rec(0, 250_000, 10_000, 5), Some(&slo)); // TTFT too slow
        s.add(&rec(0, 150_000, 60_000, 5), Some(&slo)); // TPOT too slow
        s.add(&rec(0, 150_000, 0, 1), Some(&slo)); // one token: TPOT does not apply
        let sum = s.summary(Some(&slo));
        assert_eq!(s.good, 2);
        let slo_sum = sum.slo.unwrap();
        assert_eq!(slo_sum.attainment, 0.5);
        assert!(!slo_sum.met);
        assert!(sum.goodput.unwrap() > 0.0);
    }

    #[test]
    fn gates_report_each_breach() {
        let mut s = LevelStats::new("rate=10");
        s.add(&rec(0, 100, 10, 3), None);
        let mut bad = rec(0, 100, 10, 3);
        bad.error = Some(ErrorClass::Timeout);
        s.add(&bad, None);
        let gates = Gates { slo: None, max_errors: Some(0), max_error_rate: Some(0.25) };
        let b = gates.breaches(&s);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].contains("--max-errors 0") && b[1].contains("50.00%"));
        assert!(Gates::default().breaches(&s).is_empty());
        assert!(gates.errors_exceeded(1, None));
        let rate_only = Gates { max_error_rate: Some(0.1), ..Gates::default() };
        assert!(!rate_only.errors_exceeded(5, None));
        assert!(!rate_only.errors_exceeded(10, Some(100)));
        assert!(rate_only.errors_exceeded(11, Some(100)));
    }

    #[test]
    fn empty_levels_report_nulls_not_panics() {
        let sum = LevelStats::new("x").summary(None);
        assert_eq!(sum.wall_s, 0.0);
        assert_eq!(sum.request_throughput, 0.0);
        assert_eq!(sum.ttft_ms.p50, None);
        assert!(sum.sched_lag_ms.is_none());
    }
}
