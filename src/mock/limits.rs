//! Rate-limit emulation: the request and token buckets of `--rpm` / `--tpm`, the 429 answer and
//! the `x-ratelimit-*` / `anthropic-ratelimit-*` headers.
//!
//! The semantics are a contract (notes/CONTRACTS.md) because the engine's client-side limiter
//! mirrors them: a client configured with the same limits must never see a 429 here.
//! - requests bucket: capacity `max(rpm/60, 1)`, refilled continuously at `rpm/60` per second;
//! - tokens bucket: capacity `tpm/60`, refilled at `tpm/60` per second;
//! - a request costs 1 request and its token estimate, charged at admission; a request costing
//!   more tokens than the capacity is admitted when the bucket is full (the level goes negative);
//! - a refused request costs nothing and learns when to come back (`retry-after`, rounded up
//!   to whole seconds, and `retry-after-ms`).
//!
//! The requests capacity is at least one request so that `--rpm` below 60 still admits
//! something (one request, then one every `60/rpm` seconds).
//!
//! Header values: `limit` is the per-minute limit (like OpenAI's), `remaining` what the bucket
//! holds right now (whole units, after this request), `reset` the time until the bucket is
//! full again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::wire::{Api, ApiError};

/// A continuously refilled bucket.
#[derive(Debug, Clone)]
struct Bucket {
    /// The configured per-minute limit, reported in headers.
    per_minute: u64,
    capacity: f64,
    /// Units per second.
    rate: f64,
    level: f64,
    updated: Instant,
}

impl Bucket {
    fn new(per_minute: u64, min_capacity: f64, now: Instant) -> Self {
        let rate = per_minute as f64 / 60.0;
        let capacity = rate.max(min_capacity);
        Bucket { per_minute, capacity, rate, level: capacity, updated: now }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.updated).as_secs_f64();
        self.level = (self.level + dt * self.rate).min(self.capacity);
        self.updated = now;
    }

    /// Can `cost` be taken now? (A cost above capacity needs a full bucket.)
    fn allows(&self, cost: f64) -> bool {
        self.level >= cost.min(self.capacity) - 1e-9
    }

    /// Time until [`Bucket::allows`] becomes true.
    fn wait_for(&self, cost: f64) -> Duration {
        let missing = cost.min(self.capacity) - self.level;
        if missing <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(missing / self.rate)
        }
    }

    fn state(&self) -> BucketState {
        let reset = if self.level >= self.capacity {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((self.capacity - self.level) / self.rate)
        };
        BucketState { limit: self.per_minute, remaining: self.level.max(0.0).floor() as u64, reset }
    }
}

/// What the headers report about one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketState {
    pub limit: u64,
    pub remaining: u64,
    pub reset: Duration,
}

/// Both buckets after a decision; `None` for a bucket that is not configured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub requests: Option<BucketState>,
    pub tokens: Option<BucketState>,
}

/// A refused request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refusal {
    pub retry_after: Duration,
    /// The bucket that refused (`requests` wins when both do).
    pub bucket: &'static str,
    /// The token cost of the refused request (for the message).
    pub cost: u64,
    pub snapshot: Snapshot,
}

/// The `--rpm` / `--tpm` emulation. Only built when at least one limit is set, so an
/// unlimited server never takes the lock.
#[derive(Debug)]
pub struct Limiter {
    inner: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
}

impl Limiter {
    /// `None` when neither limit is set.
    pub fn new(rpm: Option<u32>, tpm: Option<u32>) -> Option<Limiter> {
        Self::new_at(rpm, tpm, Instant::now())
    }

    fn new_at(rpm: Option<u32>, tpm: Option<u32>, now: Instant) -> Option<Limiter> {
        if rpm.is_none() && tpm.is_none() {
            return None;
        }
        Some(Limiter {
            inner: Mutex::new(Buckets {
                requests: rpm.map(|r| Bucket::new(u64::from(r), 1.0, now)),
                tokens: tpm.map(|t| Bucket::new(u64::from(t), 0.0, now)),
            }),
        })
    }

    /// The buckets now, without charging anything.
    pub fn peek(&self) -> Snapshot {
        let now = Instant::now();
        let mut b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = b.requests.as_mut() {
            r.refill(now);
        }
        if let Some(t) = b.tokens.as_mut() {
            t.refill(now);
        }
        b.snapshot()
    }

    /// Admit (and charge) a request costing `tokens`, or say how long to wait.
    pub fn admit(&self, tokens: u64) -> Result<Snapshot, Refusal> {
        self.admit_at(tokens, Instant::now())
    }

    fn admit_at(&self, tokens: u64, now: Instant) -> Result<Snapshot, Refusal> {
        // A poisoned lock only means another request panicked mid-update; the buckets are
        // plain numbers and still usable.
        let mut b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let cost = tokens as f64;
        if let Some(r) = b.requests.as_mut() {
            r.refill(now);
        }
        if let Some(t) = b.tokens.as_mut() {
            t.refill(now);
        }
        let req_wait = b.requests.as_ref().map_or(Duration::ZERO, |r| r.wait_for(1.0));
        let tok_wait = b.tokens.as_ref().map_or(Duration::ZERO, |t| t.wait_for(cost));
        let req_ok = b.requests.as_ref().is_none_or(|r| r.allows(1.0));
        let tok_ok = b.tokens.as_ref().is_none_or(|t| t.allows(cost));
        if req_ok && tok_ok {
            if let Some(r) = b.requests.as_mut() {
                r.level -= 1.0;
            }
            if let Some(t) = b.tokens.as_mut() {
                t.level -= cost;
            }
            Ok(b.snapshot())
        } else {
            Err(Refusal {
                retry_after: req_wait.max(tok_wait).max(Duration::from_millis(1)),
                bucket: if req_ok { "tokens" } else { "requests" },
                cost: tokens,
                snapshot: b.snapshot(),
            })
        }
    }
}

impl Buckets {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            requests: self.requests.as_ref().map(Bucket::state),
            tokens: self.tokens.as_ref().map(Bucket::state),
        }
    }
}

impl Refusal {
    /// The 429 body, worded like OpenAI's.
    pub fn error(&self) -> ApiError {
        let (unit, limit, requested) = if self.bucket == "requests" {
            ("requests per min (RPM)", self.snapshot.requests.map_or(0, |s| s.limit), 1)
        } else {
            ("tokens per min (TPM)", self.snapshot.tokens.map_or(0, |s| s.limit), self.cost)
        };
        ApiError::rate_limited(
            self.bucket,
            format!(
                "Rate limit reached for the mock server on {unit}: Limit {limit}, Requested {requested}. \
                 Please try again in {}.",
                go_duration(self.retry_after)
            ),
        )
    }
}

/// `retry-after` (whole seconds, rounded up) and `retry-after-ms`.
pub fn retry_headers(headers: &mut HeaderMap, wait: Duration) {
    let ms = wait.as_nanos().div_ceil(1_000_000) as u64;
    let secs = wait.as_nanos().div_ceil(1_000_000_000) as u64;
    headers.insert(HeaderName::from_static("retry-after"), HeaderValue::from(secs.max(1)));
    headers.insert(HeaderName::from_static("retry-after-ms"), HeaderValue::from(ms.max(1)));
}

/// The rate-limit headers of `api`'s dialect for a snapshot.
pub fn snapshot_headers(headers: &mut HeaderMap, api: Api, snap: &Snapshot) {
    let buckets = [("requests", snap.requests), ("tokens", snap.tokens)];
    match api {
        Api::OpenAi => {
            for (name, state) in buckets {
                let Some(s) = state else { continue };
                let [limit, remaining, reset] = &OPENAI_NAMES[usize::from(name == "tokens")];
                headers.insert(limit.clone(), HeaderValue::from(s.limit));
                headers.insert(remaining.clone(), HeaderValue::from(s.remaining));
                if let Ok(v) = HeaderValue::from_str(&go_duration(s.reset)) {
                    headers.insert(reset.clone(), v);
                }
            }
        }
        Api::Anthropic => {
            let now = jiff::Timestamp::now();
            for (name, state) in buckets {
                let Some(s) = state else { continue };
                let [limit, remaining, reset] = &ANTHROPIC_NAMES[usize::from(name == "tokens")];
                headers.insert(limit.clone(), HeaderValue::from(s.limit));
                headers.insert(remaining.clone(), HeaderValue::from(s.remaining));
                if let Ok(v) = HeaderValue::from_str(&rfc3339_after(now, s.reset)) {
                    headers.insert(reset.clone(), v);
                }
            }
        }
    }
}

const OPENAI_NAMES: [[HeaderName; 3]; 2] = [
    [
        HeaderName::from_static("x-ratelimit-limit-requests"),
        HeaderName::from_static("x-ratelimit-remaining-requests"),
        HeaderName::from_static("x-ratelimit-reset-requests"),
    ],
    [
        HeaderName::from_static("x-ratelimit-limit-tokens"),
        HeaderName::from_static("x-ratelimit-remaining-tokens"),
        HeaderName::from_static("x-ratelimit-reset-tokens"),
    ],
];

const ANTHROPIC_NAMES: [[HeaderName; 3]; 2] = [
    [
        HeaderName::from_static("anthropic-ratelimit-requests-limit"),
        HeaderName::from_static("anthropic-ratelimit-requests-remaining"),
        HeaderName::from_static("anthropic-ratelimit-requests-reset"),
    ],
    [
        HeaderName::from_static("anthropic-ratelimit-tokens-limit"),
        HeaderName::from_static("anthropic-ratelimit-tokens-remaining"),
        HeaderName::from_static("anthropic-ratelimit-tokens-reset"),
    ],
];

/// `now + d` as RFC 3339 with whole seconds, rounded up (Anthropic's reset headers).
fn rfc3339_after(now: jiff::Timestamp, d: Duration) -> String {
    let secs = now.as_second().saturating_add(d.as_nanos().div_ceil(1_000_000_000) as i64);
    match jiff::Timestamp::from_second(secs) {
        Ok(ts) => ts.to_string(),
        Err(_) => now.to_string(),
    }
}

/// A duration the way Go prints one (`1s`, `6m0s`, `1.5s`, `120ms`, `0s`), which is how
/// OpenAI writes `x-ratelimit-reset-*`. Rounded up to whole milliseconds.
pub fn go_duration(d: Duration) -> String {
    let ms = d.as_nanos().div_ceil(1_000_000) as u64;
    if ms == 0 {
        return "0s".to_string();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let h = ms / 3_600_000;
    let m = (ms / 60_000) % 60;
    let s = (ms / 1000) % 60;
    let frac = ms % 1000;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if frac == 0 {
        out.push_str(&format!("{s}s"));
    } else {
        let f = format!("{frac:03}");
        out.push_str(&format!("{s}.{}s", f.trim_end_matches('0')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_match_go() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_micros(1)), "1ms");
        assert_eq!(go_duration(Duration::from_millis(120)), "120ms");
        assert_eq!(go_duration(Duration::from_secs(1)), "1s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_secs(360)), "6m0s");
        assert_eq!(go_duration(Duration::from_millis(61_250)), "1m1.25s");
        assert_eq!(go_duration(Duration::from_secs(7322)), "2h2m2s");
    }

    #[test]
    fn rpm_600_admits_ten_then_refuses_with_a_100ms_wait() {
        let t0 = Instant::now();
        let lim = Limiter::new_at(Some(600), None, t0).unwrap();
        for i in 0..10 {
            let snap = lim.admit_at(0, t0).unwrap();
            let r = snap.requests.unwrap();
            assert_eq!(r.limit, 600);
            assert_eq!(r.remaining, 9 - i);
        }
        let refusal = lim.admit_at(0, t0).unwrap_err();
        assert_eq!(refusal.bucket, "requests");
        assert_eq!(refusal.retry_after, Duration::from_millis(100));
        // Refused requests cost nothing: 100ms later exactly one more fits.
        assert!(lim.admit_at(0, t0 + Duration::from_millis(100)).is_ok());
        assert!(lim.admit_at(0, t0 + Duration::from_millis(100)).is_err());
    }

    #[test]
    fn slow_rpm_still_admits_one_request() {
        let t0 = Instant::now();
        let lim = Limiter::new_at(Some(30), None, t0).unwrap();
        assert!(lim.admit_at(0, t0).is_ok());
        let refusal = lim.admit_at(0, t0).unwrap_err();
        assert_eq!(refusal.retry_after, Duration::from_secs(2));
    }

    #[test]
    fn token_bucket_charges_cost_and_admits_oversized_requests_when_full() {
        let t0 = Instant::now();
        // 6000 TPM: capacity 100 tokens, 100 tokens/s.
        let lim = Limiter::new_at(None, Some(6000), t0).unwrap();
        let snap = lim.admit_at(60, t0).unwrap();
        assert_eq!(snap.tokens.unwrap().remaining, 40);
        assert!(snap.requests.is_none());
        let refusal = lim.admit_at(60, t0).unwrap_err();
        assert_eq!(refusal.bucket, "tokens");
        assert_eq!(refusal.retry_after, Duration::from_millis(200));
        // An oversized request waits for a full bucket (600ms from 40), then goes negative.
        let refusal = lim.admit_at(500, t0).unwrap_err();
        assert_eq!(refusal.retry_after, Duration::from_millis(600));
        let t1 = t0 + Duration::from_millis(600);
        let snap = lim.admit_at(500, t1).unwrap();
        assert_eq!(snap.tokens.unwrap().remaining, 0);
        assert_eq!(snap.tokens.unwrap().reset, Duration::from_secs(5));
        assert!(lim.admit_at(1, t1 + Duration::from_secs(4)).is_err());
    }

    #[test]
    fn peeking_charges_nothing() {
        let lim = Limiter::new(Some(120), Some(6000)).unwrap();
        for _ in 0..5 {
            assert_eq!(lim.peek().requests.unwrap().remaining, 2);
        }
        assert_eq!(lim.admit(10).unwrap().tokens.unwrap().remaining, 90);
        assert_eq!(lim.peek().requests.unwrap().remaining, 1);
    }

    #[test]
    fn no_limits_no_limiter() {
        assert!(Limiter::new(None, None).is_none());
    }

    #[test]
    fn headers_in_both_dialects() {
        let snap = Snapshot {
            requests: Some(BucketState { limit: 600, remaining: 3, reset: Duration::from_millis(700) }),
            tokens: Some(BucketState { limit: 60000, remaining: 900, reset: Duration::from_secs(90) }),
        };
        let mut h = HeaderMap::new();
        snapshot_headers(&mut h, Api::OpenAi, &snap);
        assert_eq!(h["x-ratelimit-limit-requests"], "600");
        assert_eq!(h["x-ratelimit-remaining-requests"], "3");
        assert_eq!(h["x-ratelimit-reset-requests"], "700ms");
        assert_eq!(h["x-ratelimit-reset-tokens"], "1m30s");
        let mut h = HeaderMap::new();
        snapshot_headers(&mut h, Api::Anthropic, &snap);
        assert_eq!(h["anthropic-ratelimit-requests-limit"], "600");
        assert_eq!(h["anthropic-ratelimit-tokens-remaining"], "900");
        let reset = h["anthropic-ratelimit-tokens-reset"].to_str().unwrap();
        assert!(reset.parse::<jiff::Timestamp>().is_ok(), "{reset}");
        let mut h = HeaderMap::new();
        retry_headers(&mut h, Duration::from_millis(1200));
        assert_eq!(h["retry-after"], "2");
        assert_eq!(h["retry-after-ms"], "1200");
    }
}
