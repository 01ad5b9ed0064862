//! Client-side rate limiting, shared by every worker of a process.
//!
//! Why a client limiter at all: a batch of thousands of requests that relies on the server's
//! 429s wastes requests, time and (with some providers) money, and a 429 storm trips the
//! breaker. The limiter has four parts:
//!
//! - **Buckets** (RPM and TPM) with the same semantics as the embedded mock server (see
//!   CONTRACTS.md): capacity = one second's worth, continuous refill, a request costing more
//!   than the capacity is admitted from a full bucket. Admission is by *reservation*: each
//!   request books the earliest instant both buckets allow it and sleeps until then
//!   (`sleep_until`, no polling), so waiting workers are served in order and pacing is exact.
//!   A client configured with the server's limits therefore never sees a 429.
//! - **Server headers**: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (OpenAI; reset
//!   is a Go duration like `6m0s`) and `anthropic-ratelimit-{requests,tokens}-*` (reset is an
//!   RFC 3339 time) lower the buckets to what the server says is left. With no configured
//!   limit, a limit the server announces is learned once half of it is used, so the client
//!   slows down before the first 429 instead of after.
//! - **Cooldown**: a 429 pauses *every* worker until the server's `retry-after` has passed.
//! - **AIMD concurrency** when no limit is configured: start at one request in flight, double
//!   per window of successes until the first 429 (slow start), then halve on a 429 and add one
//!   per window of successes. A window is as many successes as the current limit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Sends are booked this much after the instant the bucket allows them, so that a server
/// running the same bucket never sees a request a hair too early (float rounding, loopback
/// jitter). In steady state this does not lower throughput: the bucket keeps the margin.
const SAFETY_MARGIN: Duration = Duration::from_millis(2);

/// How many of the first responses widen the margin (see [`RateLimiter::observe_rtt`]).
const RTT_SAMPLES: u32 = 16;

/// Initial guess of a reply's length when the request sets no output limit (then an EWMA of
/// real replies).
const INITIAL_OUTPUT_ESTIMATE: f64 = 256.0;

/// A token bucket with reservation: `level` is the level at instant `at`, which may lie in
/// the future when sends are already booked.
#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    /// Units per second.
    rate: f64,
    level: f64,
    at: Instant,
    /// Learned from server headers rather than configured.
    learned: bool,
}

impl Bucket {
    /// A bucket for a per-minute limit. `min_capacity` is 1 for requests: a limit under 60
    /// RPM still admits one whole request from a full bucket (as the mock server does).
    fn per_minute(limit: f64, min_capacity: f64, now: Instant, learned: bool) -> Bucket {
        let rate = limit / 60.0;
        let capacity = rate.max(min_capacity);
        Bucket { capacity, rate, level: capacity, at: now, learned }
    }

    fn level_at(&self, t: Instant) -> f64 {
        if t <= self.at {
            self.level
        } else {
            (self.level + self.rate * (t - self.at).as_secs_f64()).min(self.capacity)
        }
    }

    /// The earliest instant at or after `from` when the bucket holds `need` (capped at the
    /// capacity: oversize requests wait for a full bucket).
    fn ready_from(&self, need: f64, from: Instant, margin: Duration) -> Instant {
        let from = from.max(self.at);
        let need = need.min(self.capacity);
        let level = self.level_at(from);
        if level >= need {
            from
        } else {
            from + Duration::from_secs_f64((need - level) / self.rate) + margin
        }
    }

    fn take(&mut self, cost: f64, t: Instant) {
        let t = t.max(self.at);
        self.level = self.level_at(t) - cost;
        self.at = t;
    }

    /// Lower the level to what the server reports left (never raise it: the server's count
    /// lags behind requests still in flight). Skipped while sends are booked ahead.
    fn clamp(&mut self, remaining: f64, now: Instant) {
        if self.at <= now {
            let level = self.level_at(now).min(remaining);
            self.level = level;
            self.at = now;
        }
    }

    fn adjust(&mut self, delta: f64) {
        self.level = (self.level + delta).min(self.capacity);
    }
}

#[derive(Debug)]
struct State {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    /// Every worker waits until this instant (429 cooldown, exhausted server window).
    pause_until: Option<Instant>,
    output_estimate: f64,
    /// Added to every wait for a refill (see [`SAFETY_MARGIN`], [`RateLimiter::observe_rtt`]).
    margin: Duration,
}

/// Configured limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub rpm: Option<f64>,
    pub tpm: Option<f64>,
    /// Requests in flight at most (`-j`).
    pub max_concurrency: usize,
}

/// The shared limiter. Cheap to call when no limit is configured: one uncontended lock and a
/// semaphore permit per request.
#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<State>,
    concurrency: Concurrency,
    /// True when a token bucket exists (configured or learned): only then are prompts
    /// tokenized to estimate their cost.
    counts_tokens: AtomicBool,
    rtt_samples: std::sync::atomic::AtomicU32,
    /// Fixed mode ([`RateLimiter::fixed`]): the server's headers and 429s change nothing.
    fixed: bool,
}

/// Admission to send one request; dropping it frees the concurrency slot.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a RateLimiter,
    admitted_at: Instant,
    /// Tokens charged to the token bucket at admission.
    pub tokens: u64,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.concurrency.release();
    }
}

impl RateLimiter {
    pub fn new(limits: Limits) -> RateLimiter {
        let now = Instant::now();
        let adaptive = limits.rpm.is_none() && limits.tpm.is_none();
        RateLimiter {
            state: Mutex::new(State {
                requests: limits.rpm.map(|r| Bucket::per_minute(r, 1.0, now, false)),
                tokens: limits.tpm.map(|t| Bucket::per_minute(t, 0.0, now, false)),
                pause_until: None,
                output_estimate: INITIAL_OUTPUT_ESTIMATE,
                margin: SAFETY_MARGIN,
            }),
            concurrency: Concurrency::new(limits.max_concurrency.max(1), adaptive),
            counts_tokens: AtomicBool::new(limits.tpm.is_some()),
            rtt_samples: std::sync::atomic::AtomicU32::new(0),
            fixed: false,
        }
    }

    /// A limiter that only enforces what was configured (the RPM/TPM buckets and the
    /// concurrency cap) and never adapts: no AIMD, nothing learned from rate-limit headers,
    /// no shared pause after a 429. For `bench`, which must offer exactly the load it was
    /// asked for and report the server's refusals instead of avoiding them.
    pub fn fixed(limits: Limits) -> RateLimiter {
        let mut limiter = RateLimiter::new(limits);
        limiter.concurrency = Concurrency::new(limits.max_concurrency.max(1), false);
        limiter.fixed = true;
        limiter
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent in a way that
        // matters more than stopping all traffic would, so poisoning is ignored.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a request or token bucket is active (admission can wait).
    pub fn has_buckets(&self) -> bool {
        let st = self.state();
        st.requests.is_some() || st.tokens.is_some()
    }

    /// Whether callers should estimate token costs (a token bucket is active).
    pub fn counts_tokens(&self) -> bool {
        self.counts_tokens.load(Ordering::Relaxed)
    }

    /// Current guess of a reply's length for requests without an output limit.
    pub fn output_estimate(&self) -> u64 {
        self.state().output_estimate.round() as u64
    }

    /// Wait until one request costing `tokens` may be sent, then return its permit.
    pub async fn admit(&self, tokens: u64) -> Permit<'_> {
        let admitted_at = self.concurrency.acquire().await;
        let permit = Permit { limiter: self, admitted_at, tokens };
        let send_at = {
            let mut st = self.state();
            let now = Instant::now();
            let mut t = st.pause_until.map_or(now, |p| p.max(now));
            let margin = st.margin;
            if let Some(b) = &st.requests {
                t = b.ready_from(1.0, t, margin);
            }
            if let Some(b) = &st.tokens {
                t = b.ready_from(tokens as f64, t, margin);
            }
            if let Some(b) = &mut st.requests {
                b.take(1.0, t);
            }
            if let Some(b) = &mut st.tokens {
                b.take(tokens as f64, t);
            }
            t
        };
        // Only sleep for a real wait: tokio rounds every deadline up to its next millisecond
        // tick, so sleeping until "now" would add up to a millisecond to every request.
        if send_at > Instant::now() {
            tokio::time::sleep_until(send_at).await;
        }
        // A 429 that arrived while we slept pauses us too (the booking stays charged).
        loop {
            let pause = self.state().pause_until;
            match pause {
                Some(p) if p > Instant::now() => tokio::time::sleep_until(p).await,
                _ => break,
            }
        }
        permit
    }

    /// The server answered 429: pause everyone for `wait`, drain the buckets, and (without
    /// configured limits) halve the concurrency.
    pub fn on_rate_limited(&self, permit: &Permit<'_>, wait: Duration) {
        if self.fixed {
            return;
        }
        let now = Instant::now();
        {
            let mut st = self.state();
            let until = now + wait;
            st.pause_until = Some(st.pause_until.map_or(until, |p| p.max(until)));
            if let Some(b) = &mut st.requests {
                b.clamp(0.0, now);
            }
        }
        self.concurrency.decrease(permit.admitted_at);
    }

    /// The time from a send to its response headers. The server's bucket starts refilling
    /// when the first requests *arrive*, ours when they were booked; the first requests are
    /// the slow ones (connection set-up, TLS), so the server runs behind our model by up to
    /// their round trip. Waiting that much longer for each refill shifts the schedule once
    /// and costs no throughput (the bucket keeps the margin), so the largest round trip of the
    /// first responses (capped at 10 s) becomes the margin.
    pub fn observe_rtt(&self, rtt: Duration) {
        if self.rtt_samples.load(Ordering::Relaxed) >= RTT_SAMPLES {
            return;
        }
        self.rtt_samples.fetch_add(1, Ordering::Relaxed);
        let mut st = self.state();
        st.margin = st.margin.max(rtt.min(Duration::from_secs(10)));
    }

    /// A request succeeded (grows the concurrency window).
    pub fn on_success(&self) {
        self.concurrency.success();
    }

    /// Correct the token bucket once real usage is known: `charged` at admission, `actual`
    /// is what the server counts (prompt + output limit, or prompt + reply without a limit).
    pub fn reconcile(&self, charged: u64, actual: u64, observed_output: Option<u64>) {
        let mut st = self.state();
        if let Some(b) = &mut st.tokens {
            b.adjust(charged as f64 - actual as f64);
        }
        if let Some(out) = observed_output {
            st.output_estimate = 0.8 * st.output_estimate + 0.2 * out as f64;
        }
    }

    /// Read the server's rate-limit headers and slow down before it says no.
    pub fn observe(&self, headers: &RateHeaders) {
        if self.fixed {
            return;
        }
        let now = Instant::now();
        let mut st = self.state();
        for (window, is_tokens) in [(&headers.requests, false), (&headers.tokens, true)] {
            let Some(w) = window else { continue };
            let Some(remaining) = w.remaining else { continue };
            let slot = if is_tokens { &mut st.tokens } else { &mut st.requests };
            match slot {
                Some(b) => {
                    if b.learned {
                        if let Some(limit) = w.limit.filter(|l| *l > 0.0) {
                            b.rate = limit / 60.0;
                            b.capacity = if is_tokens { b.rate } else { b.rate.max(1.0) };
                        }
                    }
                    b.clamp(remaining, now);
                }
                None => match w.limit.filter(|l| *l > 0.0) {
                    // Learn the server's window once half of it is used.
                    Some(limit) if remaining < limit / 2.0 => {
                        let mut b = Bucket::per_minute(limit, if is_tokens { 0.0 } else { 1.0 }, now, true);
                        b.clamp(remaining, now);
                        *slot = Some(b);
                        if is_tokens {
                            self.counts_tokens.store(true, Ordering::Relaxed);
                        }
                    }
                    Some(_) => {}
                    None if remaining <= 0.0 => {
                        // No limit to pace by: wait for the window to reset.
                        if let Some(reset) = w.reset {
                            let until = now + reset.min(Duration::from_secs(60));
                            st.pause_until = Some(st.pause_until.map_or(until, |p| p.max(until)));
                        }
                    }
                    None => {}
                },
            }
        }
    }

    /// Current concurrency limit (AIMD target), for progress displays and tests.
    pub fn concurrency_limit(&self) -> usize {
        self.concurrency.target()
    }
}

/// AIMD-controlled concurrency on top of a semaphore: permits are retired lazily on release
/// when the target shrinks, and added when it grows.
#[derive(Debug)]
struct Concurrency {
    sem: Semaphore,
    max: usize,
    adaptive: bool,
    aimd: Mutex<Aimd>,
}

#[derive(Debug)]
struct Aimd {
    target: usize,
    /// Permits in existence (in the semaphore or held).
    total: usize,
    /// Slow start ends here (the first 429 sets it).
    ssthresh: usize,
    successes: usize,
    last_decrease: Option<Instant>,
}

impl Concurrency {
    fn new(max: usize, adaptive: bool) -> Concurrency {
        let start = if adaptive { 1 } else { max };
        Concurrency {
            sem: Semaphore::new(start),
            max,
            adaptive,
            aimd: Mutex::new(Aimd {
                target: start,
                total: start,
                ssthresh: max,
                successes: 0,
                last_decrease: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Aimd> {
        self.aimd.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn acquire(&self) -> Instant {
        // The semaphore is never closed, so acquire cannot fail; if it ever did, running
        // without the slot is safer than panicking.
        if let Ok(p) = self.sem.acquire().await {
            p.forget();
        }
        Instant::now()
    }

    fn release(&self) {
        if !self.adaptive {
            self.sem.add_permits(1);
            return;
        }
        let mut a = self.lock();
        if a.total > a.target {
            a.total -= 1;
        } else {
            self.sem.add_permits(1);
        }
    }

    fn success(&self) {
        if !self.adaptive {
            return;
        }
        let mut a = self.lock();
        a.successes += 1;
        if a.successes < a.target {
            return;
        }
        a.successes = 0;
        let next = if a.target < a.ssthresh { a.target * 2 } else { a.target + 1 };
        let next = next.min(self.max);
        if next > a.total {
            self.sem.add_permits(next - a.total);
            a.total = next;
        }
        a.target = next;
    }

    /// Halve, once per round: 429s of requests admitted before the last decrease are echoes
    /// of the same overload.
    fn decrease(&self, admitted_at: Instant) {
        if !self.adaptive {
            return;
        }
        let mut a = self.lock();
        if a.last_decrease.is_some_and(|d| admitted_at <= d) {
            return;
        }
        a.target = (a.target / 2).max(1);
        a.ssthresh = a.target;
        a.successes = 0;
        a.last_decrease = Some(Instant::now());
    }

    fn target(&self) -> usize {
        self.lock().target
    }
}

/// One rate-limit window as the server reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Window {
    pub limit: Option<f64>,
    pub remaining: Option<f64>,
    /// Time until the window is full again.
    pub reset: Option<Duration>,
}

/// The rate-limit headers of one response.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateHeaders {
    pub requests: Option<Window>,
    pub tokens: Option<Window>,
}

impl RateHeaders {
    pub fn is_empty(&self) -> bool {
        self.requests.is_none() && self.tokens.is_none()
    }
}

/// Header names of one window: OpenAI's (limit, remaining, reset) and Anthropic's.
struct WindowNames {
    openai: [&'static str; 3],
    anthropic: [&'static str; 3],
}

const REQUESTS: WindowNames = WindowNames {
    openai: ["x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"],
    anthropic: [
        "anthropic-ratelimit-requests-limit",
        "anthropic-ratelimit-requests-remaining",
        "anthropic-ratelimit-requests-reset",
    ],
};

const TOKENS: WindowNames = WindowNames {
    openai: ["x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"],
    anthropic: [
        "anthropic-ratelimit-tokens-limit",
        "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-tokens-reset",
    ],
};

/// Read OpenAI- and Anthropic-style rate-limit headers. `now` dates Anthropic's resets.
pub fn parse_rate_headers(h: &HeaderMap, now: SystemTime) -> RateHeaders {
    let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let num = |name: &str| text(name).and_then(|s| s.parse::<f64>().ok());
    let window = |names: &WindowNames| -> Option<Window> {
        let [limit, remaining, reset] = names.openai;
        let openai = Window {
            limit: num(limit),
            remaining: num(remaining),
            reset: text(reset).and_then(parse_go_duration),
        };
        if openai.remaining.is_some() || openai.limit.is_some() {
            return Some(openai);
        }
        let [limit, remaining, reset] = names.anthropic;
        let anthropic = Window {
            limit: num(limit),
            remaining: num(remaining),
            reset: text(reset).and_then(|s| until_rfc3339(s, now)),
        };
        (anthropic.remaining.is_some() || anthropic.limit.is_some()).then_some(anthropic)
    };
    RateHeaders { requests: window(&REQUESTS), tokens: window(&TOKENS) }
}

/// Parse a Go `time.Duration` string (`6m0s`, `1s`, `120ms`, `1h2m3.5s`, `250us`).
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = 0.0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let value: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" | "μs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * factor;
        rest = &rest[unit_end..];
    }
    total.is_finite().then(|| Duration::from_secs_f64(total))
}

fn until_rfc3339(s: &str, now: SystemTime) -> Option<Duration> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    let at = SystemTime::from(ts);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::sync::Arc;

    fn limiter(rpm: Option<f64>, tpm: Option<f64>, j: usize) -> Arc<RateLimiter> {
        Arc::new(RateLimiter::new(Limits { rpm, tpm, max_concurrency: j }))
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_go_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_go_duration("120ms"), Some(Duration::from_millis(120)));
        assert_eq!(parse_go_duration("1h2m3.5s"), Some(Duration::from_secs_f64(3723.5)));
        assert_eq!(parse_go_duration("250us"), Some(Duration::from_micros(250)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("soon"), None);
        assert_eq!(parse_go_duration("5"), None);
    }

    #[test]
    fn headers_of_both_providers() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit-requests", HeaderValue::from_static("600"));
        h.insert("x-ratelimit-remaining-requests", HeaderValue::from_static("599"));
        h.insert("x-ratelimit-reset-requests", HeaderValue::from_static("100ms"));
        h.insert("x-ratelimit-remaining-tokens", HeaderValue::from_static("1000"));
        let r = parse_rate_headers(&h, now);
        assert_eq!(
            r.requests,
            Some(Window {
                limit: Some(600.0),
                remaining: Some(599.0),
                reset: Some(Duration::from_millis(100))
            })
        );
        assert_eq!(r.tokens.unwrap().remaining, Some(1000.0));

        let mut h = HeaderMap::new();
        let reset = jiff::Timestamp::try_from(now + Duration::from_secs(2)).unwrap().to_string();
        h.insert("anthropic-ratelimit-requests-limit", HeaderValue::from_static("50"));
        h.insert("anthropic-ratelimit-requests-remaining", HeaderValue::from_static("0"));
        h.insert("anthropic-ratelimit-requests-reset", HeaderValue::from_str(&reset).unwrap());
        let r = parse_rate_headers(&h, now);
        assert_eq!(r.requests.unwrap().reset, Some(Duration::from_secs(2)));
        assert_eq!(r.requests.unwrap().remaining, Some(0.0));
        assert!(r.tokens.is_none());
        assert!(parse_rate_headers(&HeaderMap::new(), now).is_empty());
    }

    /// Admission instants of `n` requests of `tokens` each, relative to the start.
    async fn admissions(l: &Arc<RateLimiter>, n: usize, tokens: u64) -> Vec<f64> {
        let start = Instant::now();
        let mut out = Vec::new();
        for _ in 0..n {
            let p = l.admit(tokens).await;
            out.push((Instant::now() - start).as_secs_f64());
            drop(p);
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn rpm_bucket_bursts_its_capacity_then_paces() {
        let l = limiter(Some(1200.0), None, 8);
        let t = admissions(&l, 60, 0).await;
        // Capacity 20 go at once, then one every 50 ms (+ the safety margin once).
        assert!(t[19] < 0.001, "{:?}", &t[..21]);
        for w in t[20..].windows(2) {
            let gap = w[1] - w[0];
            assert!((0.049..0.0531).contains(&gap), "gap {gap}");
        }
        // 40 more requests after the burst take ~2 s.
        assert!((1.99..2.1).contains(&t[59]), "{}", t[59]);
    }

    #[tokio::test(start_paused = true)]
    async fn oversize_token_requests_wait_for_a_full_bucket() {
        // tpm 600 -> capacity 10 tokens, refill 10/s.
        let l = limiter(None, Some(600.0), 4);
        let t = admissions(&l, 3, 25).await;
        assert!(t[0] < 0.001, "first from the full bucket");
        // The bucket is at -15: full again after 2.5 s.
        assert!((2.5..2.51).contains(&(t[1] - t[0])), "{t:?}");
        assert!((2.5..2.51).contains(&(t[2] - t[1])), "{t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_pauses_every_worker() {
        let l = limiter(None, None, 8);
        let p = l.admit(0).await;
        l.on_rate_limited(&p, Duration::from_secs(3));
        drop(p);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move {
                let _p = l.admit(0).await;
                Instant::now()
            }));
        }
        for t in tasks {
            let at = t.await.unwrap();
            assert!(at - start >= Duration::from_secs(3));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn server_headers_slow_the_client_down() {
        let l = limiter(Some(6000.0), None, 8);
        // The server says nothing is left: the next send waits for one request's refill.
        l.observe(&RateHeaders {
            requests: Some(Window { limit: Some(6000.0), remaining: Some(0.0), reset: None }),
            tokens: None,
        });
        let t = admissions(&l, 1, 0).await;
        assert!((0.01..0.013).contains(&t[0]), "{t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn server_limits_are_learned_once_half_used() {
        let l = limiter(None, None, 8);
        let w = |rem| RateHeaders {
            requests: Some(Window { limit: Some(600.0), remaining: Some(rem), reset: None }),
            tokens: None,
        };
        l.observe(&w(400.0));
        assert!(admissions(&l, 3, 0).await[2] < 0.001, "not learned while plenty is left");
        l.observe(&w(1.0));
        let t = admissions(&l, 3, 0).await;
        assert!(t[0] < 0.001 && (0.1..0.11).contains(&t[1]), "{t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_fixed_limiter_never_adapts() {
        let l = Arc::new(RateLimiter::fixed(Limits { rpm: None, tpm: None, max_concurrency: 64 }));
        assert_eq!(l.concurrency_limit(), 64, "no slow start");
        let p = l.admit(0).await;
        l.on_rate_limited(&p, Duration::from_secs(30));
        drop(p);
        assert_eq!(l.concurrency_limit(), 64, "no halving");
        l.observe(&RateHeaders {
            requests: Some(Window { limit: Some(600.0), remaining: Some(0.0), reset: None }),
            tokens: None,
        });
        let t = admissions(&l, 3, 0).await;
        assert!(t[2] < 0.001, "no pause after a 429, nothing learned from headers: {t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn aimd_slow_starts_halves_and_grows_back() {
        let l = limiter(None, None, 64);
        assert_eq!(l.concurrency_limit(), 1);
        for _ in 0..7 {
            let p = l.admit(0).await;
            drop(p);
            l.on_success();
        }
        // 1 + 2 + 4 successes: 1 -> 2 -> 4 -> 8.
        assert_eq!(l.concurrency_limit(), 8);
        let p = l.admit(0).await;
        let echo = l.admit(0).await;
        l.on_rate_limited(&p, Duration::ZERO);
        l.on_rate_limited(&echo, Duration::ZERO);
        assert_eq!(l.concurrency_limit(), 4, "one halving per round");
        drop((p, echo));
        for _ in 0..4 {
            l.on_success();
        }
        assert_eq!(l.concurrency_limit(), 5, "additive increase after the first 429");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_limit_bounds_in_flight_requests() {
        let l = limiter(Some(1e9), None, 2);
        let a = l.admit(0).await;
        let _b = l.admit(0).await;
        let l2 = l.clone();
        let waiter = tokio::spawn(async move {
            let _c = l2.admit(0).await;
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished(), "a third request waits for a slot");
        drop(a);
        waiter.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn reconcile_refunds_and_charges() {
        let l = limiter(None, Some(6000.0), 4); // capacity 100
        let _ = admissions(&l, 1, 100).await;
        l.reconcile(100, 40, Some(10));
        // 60 refunded: a 60-token request goes at once.
        let t = admissions(&l, 1, 60).await;
        assert!(t[0] < 0.001, "{t:?}");
        assert!(l.output_estimate() < INITIAL_OUTPUT_ESTIMATE as u64);
    }
}
