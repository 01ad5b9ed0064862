//! One request of a benchmark, as written by `--out` and read back by `bench report`.
//!
//! The record keeps raw moments, not derived metrics, so every metric can be recomputed
//! exactly from a file and files from several runs or machines can be merged into one report.
//! All times are integer microseconds: `t0_us` is absolute (Unix epoch) so runs on different
//! machines line up; the others are offsets from `t0`, which keeps them exact and small.
//!
//! `t0` is the scheduled time in an open loop and the send time in a closed loop (DESIGN.md
//! "Metrics"), so open-loop latencies include any queueing the generator imposed.

use serde::{Deserialize, Serialize};

/// Why a request failed. Reported as counts per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Could not connect (refused, DNS, TLS).
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// 401 / 403.
    Auth,
    /// 429.
    RateLimited,
    /// Any other 4xx.
    Rejected,
    /// 5xx.
    Server,
    /// The connection or stream broke after the request was sent.
    Stream,
    /// The endpoint answered something that is not the API's format.
    Protocol,
    /// Our side cannot send it: no API key, a request the endpoint's format cannot express.
    Config,
    /// Anything else.
    Other,
}

impl ErrorClass {
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Connect => "connect",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Auth => "auth",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Rejected => "rejected",
            ErrorClass::Server => "server",
            ErrorClass::Stream => "stream",
            ErrorClass::Protocol => "protocol",
            ErrorClass::Config => "config",
            ErrorClass::Other => "other",
        }
    }

    /// The class of a failed HTTP status.
    pub fn from_status(status: u16) -> ErrorClass {
        match status {
            401 | 403 => ErrorClass::Auth,
            408 => ErrorClass::Timeout,
            429 => ErrorClass::RateLimited,
            400..=499 => ErrorClass::Rejected,
            500..=599 => ErrorClass::Server,
            _ => ErrorClass::Protocol,
        }
    }
}

/// Where a record's output token count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The server's `usage`.
    #[default]
    Usage,
    /// Our tokenizer, because the server sent no usage.
    Tokenizer,
}

/// One request. See the module docs for the time base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchRecord {
    /// The load level this request belongs to (`concurrency=4`, `rate=100`): one report row.
    pub level: String,
    /// 0-based index within its level and phase.
    pub seq: u64,
    /// Warmup requests are written but never counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warmup: bool,
    pub stream: bool,
    /// t0, Unix epoch microseconds.
    pub t0_us: u64,
    /// Open loop only: scheduler lag, how late the pacer released the request after its
    /// scheduled time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_us: Option<u64>,
    /// When the request was handed to the client, from t0 (0 in a closed loop; in an open
    /// loop the scheduler lag plus the handoff to a worker and any wait for a free slot).
    pub send_us: u64,
    /// First response chunk of any kind (a role-only delta counts here, not for TTFT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_chunk_us: Option<u64>,
    /// Arrival of every chunk that carried output, from t0: t1..tk.
    #[serde(default)]
    pub content_us: Vec<u64>,
    /// When the exchange finished (response complete or failed), from t0.
    pub end_us: u64,
    /// N: output tokens.
    pub output_tokens: u64,
    #[serde(default)]
    pub output_tokens_from: TokenSource,
    pub input_tokens: u64,
    /// HTTP status of the response, when one arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Set when the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorClass>,
    /// The failure, one line, as the client or server put it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl BenchRecord {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// TTFT = t1 - t0, for a successful request that produced output.
    pub fn ttft_us(&self) -> Option<u64> {
        if self.ok() {
            self.content_us.first().copied()
        } else {
            None
        }
    }

    /// Time to the first chunk of any kind.
    pub fn ttfc_us(&self) -> Option<u64> {
        if self.ok() {
            self.first_chunk_us
        } else {
            None
        }
    }

    /// E2E = tk - t0; for a successful request without output, the end of the response.
    pub fn e2e_us(&self) -> Option<u64> {
        if self.ok() {
            Some(self.content_us.last().copied().unwrap_or(self.end_us))
        } else {
            None
        }
    }

    /// TPOT = (tk - t1) / (N - 1), rounded to the microsecond; only for streamed requests
    /// with N >= 2 (a non-streamed answer arrives at once and says nothing about decoding).
    pub fn tpot_us(&self) -> Option<u64> {
        if !self.ok() || !self.stream || self.output_tokens < 2 {
            return None;
        }
        let (first, last) = (self.content_us.first()?, self.content_us.last()?);
        let n1 = self.output_tokens - 1;
        Some((last.saturating_sub(*first) + n1 / 2) / n1)
    }

    /// ITL: the gaps t(i+1) - t(i) between output chunks.
    pub fn itl_us(&self) -> impl Iterator<Item = u64> + '_ {
        let gaps = if self.ok() && self.stream { self.content_us.windows(2) } else { [].windows(2) };
        gaps.map(|w| w[1].saturating_sub(w[0]))
    }

    /// Absolute end, Unix epoch microseconds.
    pub fn end_abs_us(&self) -> u64 {
        self.t0_us.saturating_add(self.end_us)
    }

    /// Check what `serde` cannot: offsets in order. `bench report` rejects broken records with
    /// the file and line rather than reporting nonsense.
    pub fn validate(&self) -> Result<(), String> {
        if self.content_us.windows(2).any(|w| w[1] < w[0]) {
            return Err("content_us is not in increasing order".into());
        }
        if self.content_us.last().is_some_and(|last| *last > self.end_us) {
            return Err("content_us ends after end_us".into());
        }
        if self.level.is_empty() {
            return Err("level is empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) fn sample(content: &[u64], n: u64) -> BenchRecord {
    BenchRecord {
        level: "concurrency=1".into(),
        seq: 0,
        warmup: false,
        stream: true,
        t0_us: 1_000_000,
        lag_us: None,
        send_us: 0,
        first_chunk_us: content.first().map(|c| c.saturating_sub(5)),
        content_us: content.to_vec(),
        end_us: content.last().copied().unwrap_or(0) + 100,
        output_tokens: n,
        output_tokens_from: TokenSource::Usage,
        input_tokens: 10,
        status: Some(200),
        error: None,
        message: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_follow_the_design_formulas() {
        // t1 = 150 ms, then 4 more chunks 10 ms apart, N = 5.
        let r = sample(&[150_000, 160_000, 170_000, 180_000, 190_000], 5);
        assert_eq!(r.ttft_us(), Some(150_000));
        assert_eq!(r.e2e_us(), Some(190_000));
        assert_eq!(r.tpot_us(), Some(10_000));
        assert_eq!(r.itl_us().collect::<Vec<_>>(), [10_000; 4]);
        assert_eq!(r.ttfc_us(), Some(149_995));
    }

    #[test]
    fn tpot_uses_tokens_not_chunks() {
        // Two chunks carrying 11 tokens: TPOT spreads the decode time over N - 1 tokens.
        let r = sample(&[100_000, 200_000], 11);
        assert_eq!(r.tpot_us(), Some(10_000));
        assert_eq!(r.itl_us().collect::<Vec<_>>(), [100_000]);
    }

    #[test]
    fn failures_and_single_token_answers_have_no_decode_metrics() {
        let mut r = sample(&[150_000], 1);
        assert_eq!(r.tpot_us(), None);
        r.error = Some(ErrorClass::Server);
        assert_eq!((r.ttft_us(), r.e2e_us()), (None, None));
        let mut r = sample(&[150_000, 160_000], 2);
        r.stream = false;
        assert_eq!(r.tpot_us(), None);
        assert_eq!(r.itl_us().count(), 0);
    }

    #[test]
    fn records_round_trip_through_json() {
        let r = sample(&[1, 2, 3], 3);
        let line = serde_json::to_string(&r).unwrap();
        assert!(!line.contains("warmup"), "{line}");
        assert_eq!(serde_json::from_str::<BenchRecord>(&line).unwrap(), r);
    }

    #[test]
    fn validation_catches_disordered_times() {
        let mut r = sample(&[3, 2], 2);
        assert!(r.validate().is_err());
        r.content_us = vec![1, 2];
        assert!(r.validate().is_ok());
        r.end_us = 1;
        assert!(r.validate().is_err());
    }

    #[test]
    fn statuses_map_to_classes() {
        assert_eq!(ErrorClass::from_status(401), ErrorClass::Auth);
        assert_eq!(ErrorClass::from_status(429), ErrorClass::RateLimited);
        assert_eq!(ErrorClass::from_status(404), ErrorClass::Rejected);
        assert_eq!(ErrorClass::from_status(503), ErrorClass::Server);
    }
}
