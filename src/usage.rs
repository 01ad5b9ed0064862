//! Token usage, normalized across providers, and the ledger / recording line format.
//!
//! Every part of llmkit that counts or prices tokens speaks [`Usage`]; every file that logs
//! requests (the usage ledger and `--record` recordings) is made of [`LedgerLine`]s. The
//! log-format readers used by `cost report` live here too.

pub mod logs;

use serde::{Deserialize, Serialize};

/// Token usage of one request (or a sum of requests), normalized so one formula prices every
/// provider:
///
/// - `input_tokens` is *all* prompt tokens, cached and cache-write ones included (OpenAI's
///   `prompt_tokens`; Anthropic's `input_tokens + cache_creation_input_tokens +
///   cache_read_input_tokens`).
/// - `cached_tokens` (cache reads) and `cache_write_tokens` are subsets of `input_tokens`.
/// - `reasoning_tokens` is a subset of `output_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Input tokens billed at the plain input price.
    pub fn uncached_input(&self) -> u64 {
        self.input_tokens.saturating_sub(self.cached_tokens).saturating_sub(self.cache_write_tokens)
    }

    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.cached_tokens += other.cached_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
    }
}

/// One line of the usage ledger or of a `--record` recording (DESIGN.md "Files").
/// The ledger leaves `request` and `response` out; recordings carry both. Never a key or an
/// auth header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LedgerLine {
    /// RFC 3339 UTC time the request was first sent.
    pub ts: String,
    /// Milliseconds since the first request of the run (replay timing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<f64>,
    /// `openai`, `anthropic`, `azure`, `mock`.
    pub provider: String,
    /// Profile that answered (after fallback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub url: String,
    /// The model that answered (the response's `model`, else the requested one).
    pub model: String,
    /// Subcommand that made the request (`chat`, `batch`, `replay`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Request id of ours (`custom_id` for batch lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// HTTP status of the final attempt; `None` when no response arrived.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<f64>,
    #[serde(default)]
    pub retries: u32,
    /// Error kind and the server's message, when the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The request body's `user` field (per-user metering).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Free-form project tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The *name* of the key's source (e.g. `OPENAI_API_KEY`), never the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// Answered from the local response cache (costs nothing).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cache_hit: bool,
    /// Priced at Batch API rates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch: bool,
    /// Request body (recordings only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// Response body; for streams the assembled non-stream equivalent (recordings only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncached_input_subtracts_both_cache_kinds() {
        let u = Usage { input_tokens: 100, cached_tokens: 30, cache_write_tokens: 20, ..Default::default() };
        assert_eq!(u.uncached_input(), 50);
    }

    #[test]
    fn ledger_lines_omit_bodies_when_absent() {
        let line = LedgerLine { ts: "2026-01-01T00:00:00Z".into(), model: "m".into(), ..Default::default() };
        let json = serde_json::to_string(&line).unwrap();
        assert!(!json.contains("request") && !json.contains("response"), "{json}");
        let back: LedgerLine = serde_json::from_str(&json).unwrap();
        assert_eq!(back, line);
    }
}
