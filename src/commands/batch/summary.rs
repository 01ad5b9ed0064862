//! The end-of-run summary: counters the runner fills, rendered as a table for people or as
//! the stable JSON document for CI (DESIGN.md "Stable outputs": the `batch` keys).

use serde::Serialize;

use crate::cli::Format;
use crate::error::ExitStatus;

/// Counters of one run. The first ten fields are the stable script interface; the rest are
/// extra detail.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Valid requests of this shard in the input.
    pub total: u64,
    /// Requests that succeeded in this run.
    pub succeeded: u64,
    /// Requests that failed in this run (after retries and fallback).
    pub failed: u64,
    /// Requests not sent because the output already has their result.
    pub skipped: u64,
    /// Retries spent (all requests).
    pub retries: u64,
    /// Attempts answered 429.
    pub rate_limited: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Spend of this run, at the rates that apply (standard locally, batch for --remote).
    /// `null` when a model has no known price.
    pub cost_usd: Option<f64>,
    pub wall_s: f64,
    /// Input lines that cannot run (in the errors file).
    pub invalid: u64,
    /// Skipped requests whose earlier failure is still in the output (see --retry-failed).
    pub previously_failed: u64,
    /// Requests not started because --max-cost was reached.
    pub not_started: u64,
    pub budget_stopped: bool,
    /// Requests per second over the wall time.
    pub request_rate: f64,
    /// Finished requests whose model has no known price (not in cost_usd).
    pub unpriced_requests: u64,
}

impl Summary {
    /// The exit status: a budget stop wins (6), then any failure, invalid line, or kept earlier
    /// failure (1), else success.
    pub fn exit_status(&self) -> ExitStatus {
        if self.budget_stopped {
            ExitStatus::BudgetStop
        } else if self.failed > 0 || self.invalid > 0 || self.previously_failed > 0 {
            ExitStatus::Partial
        } else {
            ExitStatus::Success
        }
    }

    fn rows(&self) -> Vec<Vec<String>> {
        let cost = match (self.cost_usd, self.unpriced_requests) {
            (Some(c), 0) => format!("${c:.4}"),
            (Some(c), n) => format!("${c:.4} + {n} unpriced"),
            (None, _) => "unpriced".to_string(),
        };
        let mut rows = vec![
            vec!["requests".into(), self.total.to_string()],
            vec!["succeeded".into(), self.succeeded.to_string()],
            vec!["failed".into(), self.failed.to_string()],
            vec!["skipped (already done)".into(), self.skipped.to_string()],
        ];
        if self.previously_failed > 0 {
            rows.push(vec!["  of which failed earlier".into(), self.previously_failed.to_string()]);
        }
        if self.invalid > 0 {
            rows.push(vec!["invalid lines".into(), self.invalid.to_string()]);
        }
        if self.not_started > 0 {
            rows.push(vec!["not started (budget)".into(), self.not_started.to_string()]);
        }
        rows.extend([
            vec!["retries".into(), self.retries.to_string()],
            vec!["rate limited (429)".into(), self.rate_limited.to_string()],
            vec!["input tokens".into(), self.input_tokens.to_string()],
            vec!["output tokens".into(), self.output_tokens.to_string()],
            vec!["cost".into(), cost],
            vec!["wall time".into(), format!("{:.2}s", self.wall_s)],
            vec!["requests/s".into(), format!("{:.1}", self.request_rate)],
        ]);
        rows
    }

    /// Print the summary to `out` in `format`.
    pub fn write(&self, out: &mut dyn std::io::Write, format: Format, pretty: bool) -> anyhow::Result<()> {
        let rows = self.rows();
        crate::output::write_key_values(out, format, &rows, self, pretty)
    }
}

/// The `--dry-run` report: what would run and what it would cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DryRun {
    pub total: u64,
    pub to_run: u64,
    pub skipped: u64,
    pub previously_failed: u64,
    pub invalid: u64,
    pub input_tokens: u64,
    /// Output tokens assumed (each request's max_tokens, else the default guess).
    pub output_tokens: u64,
    /// Requests whose output length is a guess (no max_tokens / max_completion_tokens).
    pub output_guessed: u64,
    /// `null` when some model has no known price.
    pub cost_usd: Option<f64>,
    /// Models without a price (their requests are not in cost_usd).
    pub unpriced_models: Vec<String>,
    /// Requests counted with an approximate tokenizer (models with no local encoding).
    pub approximate_tokens: u64,
}

impl DryRun {
    pub fn write(&self, out: &mut dyn std::io::Write, format: Format, pretty: bool) -> anyhow::Result<()> {
        let cost = match self.cost_usd {
            Some(c) => format!("${c:.4}"),
            None => "unpriced".into(),
        };
        let mut rows = vec![
            vec!["requests".into(), self.total.to_string()],
            vec!["to run".into(), self.to_run.to_string()],
            vec!["skipped (already done)".into(), self.skipped.to_string()],
            vec!["invalid lines".into(), self.invalid.to_string()],
            vec!["input tokens".into(), self.input_tokens.to_string()],
            vec!["output tokens (at most)".into(), self.output_tokens.to_string()],
            vec!["estimated cost".into(), cost],
        ];
        if self.output_guessed > 0 {
            rows.push(vec!["requests without max_tokens".into(), self.output_guessed.to_string()]);
        }
        if !self.unpriced_models.is_empty() {
            rows.push(vec!["unpriced models".into(), self.unpriced_models.join(", ")]);
        }
        crate::output::write_key_values(out, format, &rows, self, pretty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_stable_keys() {
        let s = Summary { total: 3, succeeded: 2, failed: 1, cost_usd: Some(0.5), ..Default::default() };
        let mut buf = Vec::new();
        s.write(&mut buf, Format::Json, false).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        for key in [
            "total",
            "succeeded",
            "failed",
            "skipped",
            "retries",
            "rate_limited",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "wall_s",
        ] {
            assert!(v.get(key).is_some(), "missing {key}: {v}");
        }
        assert_eq!(v["failed"], 1);
    }

    #[test]
    fn exit_status_follows_the_table() {
        assert_eq!(Summary::default().exit_status(), ExitStatus::Success);
        assert_eq!(Summary { failed: 1, ..Default::default() }.exit_status(), ExitStatus::Partial);
        assert_eq!(Summary { invalid: 1, ..Default::default() }.exit_status(), ExitStatus::Partial);
        assert_eq!(Summary { previously_failed: 1, ..Default::default() }.exit_status(), ExitStatus::Partial);
        let budget = Summary { failed: 1, budget_stopped: true, ..Default::default() };
        assert_eq!(budget.exit_status(), ExitStatus::BudgetStop);
    }

    #[test]
    fn table_names_the_counters() {
        let s = Summary { total: 10, succeeded: 9, failed: 1, cost_usd: None, ..Default::default() };
        let mut buf = Vec::new();
        s.write(&mut buf, Format::Table, false).unwrap();
        let t = String::from_utf8(buf).unwrap();
        assert!(t.contains("succeeded") && t.contains("unpriced"), "{t}");
    }
}
