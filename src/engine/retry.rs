//! Which failures are worth another attempt, and how long to wait before it.
//!
//! Classification follows DESIGN.md exactly: 408, 409, 429, 500, 502, 503, 504 and 529,
//! connection and read errors, timeouts, and streams that break before their first byte are
//! transient; every other status fails at once with the server's own message. A server's
//! `x-should-retry: true|false` overrides the status. Waits are full-jitter exponential
//! backoff (`random(0, min(cap, base * 2^n))`), except that a wait the server names
//! (`retry-after-ms`, `retry-after` in seconds or as an HTTP date) always wins.
//!
//! `LLMKIT_TEST_NO_BACKOFF=1` zeroes our own backoff (server-named waits are still honoured),
//! so tests of retry paths run in milliseconds.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::HeaderMap;

/// Statuses retried by default.
pub const TRANSIENT_STATUSES: [u16; 8] = [408, 409, 429, 500, 502, 503, 504, 529];

/// The longest server-named wait we sit through; longer ones fail the attempt at once.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(300);

/// How retries are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Backoff base (first retry waits up to this).
    pub base: Duration,
    /// Backoff ceiling.
    pub cap: Duration,
}

impl RetryPolicy {
    pub const DEFAULT_BASE: Duration = Duration::from_millis(500);
    pub const DEFAULT_CAP: Duration = Duration::from_secs(30);

    /// The default policy, with backoff zeroed when `LLMKIT_TEST_NO_BACKOFF=1`.
    pub fn new(max_retries: u32) -> RetryPolicy {
        let no_backoff = std::env::var("LLMKIT_TEST_NO_BACKOFF").is_ok_and(|v| v == "1");
        RetryPolicy::with_backoff(max_retries, !no_backoff)
    }

    pub fn with_backoff(max_retries: u32, backoff: bool) -> RetryPolicy {
        if backoff {
            RetryPolicy { max_retries, base: Self::DEFAULT_BASE, cap: Self::DEFAULT_CAP }
        } else {
            RetryPolicy { max_retries, base: Duration::ZERO, cap: Duration::ZERO }
        }
    }

    /// Full-jitter backoff before retry number `attempt` (0-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << attempt.min(20)).min(self.cap);
        if ceiling.is_zero() {
            return Duration::ZERO;
        }
        ceiling.mul_f64(rand::rng().random::<f64>())
    }

    /// The wait before the next attempt: the server's when it named one, else ours.
    pub fn wait(&self, attempt: u32, server: Option<Duration>) -> Duration {
        server.unwrap_or_else(|| self.backoff(attempt))
    }
}

/// Is this status worth retrying? `x-should-retry` (as OpenAI and Anthropic send it) wins.
pub fn status_is_transient(status: u16, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        _ => TRANSIENT_STATUSES.contains(&status),
    }
}

/// The wait a response names: `retry-after-ms`, else `retry-after` as seconds (fractions
/// allowed) or an HTTP date. `now` is passed in so dates are testable.
pub fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = headers.get("retry-after-ms").and_then(|v| v.to_str().ok()) {
        if let Ok(ms) = ms.trim().parse::<f64>() {
            if ms.is_finite() && ms >= 0.0 {
                return Some(Duration::from_secs_f64(ms / 1000.0));
            }
        }
    }
    let ra = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = ra.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(ra).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn statuses_classify_as_designed() {
        let none = HeaderMap::new();
        for s in TRANSIENT_STATUSES {
            assert!(status_is_transient(s, &none), "{s}");
        }
        for s in [400, 401, 403, 404, 422, 418, 501] {
            assert!(!status_is_transient(s, &none), "{s}");
        }
        assert!(status_is_transient(400, &headers(&[("x-should-retry", "true")])));
        assert!(!status_is_transient(503, &headers(&[("x-should-retry", "false")])));
    }

    #[test]
    fn server_waits_in_every_form() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(server_wait(&headers(&[("retry-after", "3")]), now), Some(Duration::from_secs(3)));
        assert_eq!(server_wait(&headers(&[("retry-after", "0.5")]), now), Some(Duration::from_millis(500)));
        assert_eq!(
            server_wait(&headers(&[("retry-after-ms", "250"), ("retry-after", "9")]), now),
            Some(Duration::from_millis(250)),
            "ms wins"
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(server_wait(&headers(&[("retry-after", &date)]), now), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(server_wait(&headers(&[("retry-after", &past)]), now), Some(Duration::ZERO));
        assert_eq!(server_wait(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(server_wait(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_is_jittered_capped_and_can_be_zeroed() {
        let p =
            RetryPolicy { max_retries: 5, base: Duration::from_millis(100), cap: Duration::from_millis(800) };
        for attempt in 0..10 {
            let ceiling = Duration::from_millis(100 * (1 << attempt.min(3)));
            for _ in 0..50 {
                assert!(p.backoff(attempt) <= ceiling.min(p.cap));
            }
        }
        assert!(
            (0..50).map(|_| p.backoff(3)).collect::<std::collections::HashSet<_>>().len() > 1,
            "jitter varies"
        );
        assert_eq!(RetryPolicy::with_backoff(3, false).backoff(4), Duration::ZERO);
        assert_eq!(p.wait(0, Some(Duration::from_secs(2))), Duration::from_secs(2), "server wins");
    }
}
