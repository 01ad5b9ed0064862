//! Token and cost estimates of requests not yet sent: the `--dry-run` report and the
//! `--max-cost` gate. Prompt tokens are counted with the real tokenizer in chat format (exact
//! for OpenAI models, o200k_base as a stated approximation for others); output tokens are the
//! request's own limit when it sets one, else an assumed length.

use std::collections::BTreeMap;

use serde_json::Value;

use super::input::Request;
use super::runner::CostEstimator;
use crate::tokenize::{count_chat_request, encoding_for_model_or_default};
use crate::usage::Usage;

/// Tokens of one request before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenEstimate {
    pub model: Option<String>,
    pub input_tokens: u64,
    /// The request's max_completion_tokens / max_tokens, else `assumed_output`.
    pub output_tokens: u64,
    /// True when `output_tokens` is the assumption, not the request's limit.
    pub output_guessed: bool,
    /// True when the model has no local tokenizer (counted with o200k_base).
    pub approximate: bool,
}

/// Count a chat-completions body.
pub fn tokens(body: &Value, assumed_output: u64) -> TokenEstimate {
    let model = body.get("model").and_then(Value::as_str).map(String::from);
    let (enc, exact) = encoding_for_model_or_default(model.as_deref());
    let count = count_chat_request(enc, body);
    TokenEstimate {
        model,
        input_tokens: count.prompt_tokens,
        output_tokens: count.max_output_tokens.unwrap_or(assumed_output),
        output_guessed: count.max_output_tokens.is_none(),
        approximate: !exact,
    }
}

/// Prices by model name. Implemented by the price table; a trait so the runner and the
/// estimates can be tested with fixed prices.
pub trait Prices: Send + Sync {
    /// USD for `usage` on `model`, at batch rates when `batch`. `None`: no known price.
    fn cost(&self, model: &str, usage: &Usage, batch: bool) -> Option<f64>;
}

impl Prices for crate::pricing::PriceTable {
    fn cost(&self, model: &str, usage: &Usage, batch: bool) -> Option<f64> {
        let resolved = self.resolve(model)?;
        resolved.price.is_priced().then(|| resolved.price.cost(usage, batch))
    }
}

/// Price the per-model token totals of a dry run: `None` when any model has no price (those
/// models are listed in `unpriced`).
pub fn price_totals(
    prices: Option<&dyn Prices>,
    models: &BTreeMap<String, ModelTotals>,
    batch: bool,
    unpriced: &mut Vec<String>,
) -> Option<f64> {
    let mut total = 0.0;
    for (model, t) in models {
        let usage =
            Usage { input_tokens: t.input_tokens, output_tokens: t.output_tokens, ..Usage::default() };
        match prices.and_then(|p| p.cost(model, &usage, batch)) {
            Some(c) => total += c,
            None => unpriced.push(if model.is_empty() { "(no model)".into() } else { model.clone() }),
        }
    }
    unpriced.is_empty().then_some(total)
}

/// Requests and tokens of one model in a dry run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ModelTotals {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The `--max-cost` estimator: tokenizer + prices.
pub struct BudgetEstimator {
    pub prices: std::sync::Arc<dyn Prices>,
    pub batch: bool,
}

impl CostEstimator for BudgetEstimator {
    fn estimate_usd(&self, req: &Request, assumed_output: u64) -> Option<f64> {
        let e = tokens(&req.body, assumed_output);
        let usage =
            Usage { input_tokens: e.input_tokens, output_tokens: e.output_tokens, ..Usage::default() };
        self.prices.cost(e.model.as_deref().unwrap_or(""), &usage, self.batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_prompt_and_takes_the_output_limit() {
        let body = json!({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello world"}],"max_tokens":7});
        let e = tokens(&body, 100);
        // 3 per message + role (1) + content (2) + 3 reply primer.
        assert_eq!(e.input_tokens, 9);
        assert_eq!((e.output_tokens, e.output_guessed, e.approximate), (7, false, false));
        let body = json!({"model":"claude-3-5-haiku","messages":[{"role":"user","content":"hello world"}]});
        let e = tokens(&body, 100);
        assert_eq!((e.output_tokens, e.output_guessed, e.approximate), (100, true, true));
    }

    struct Fixed;
    impl Prices for Fixed {
        fn cost(&self, model: &str, usage: &Usage, batch: bool) -> Option<f64> {
            let per = if batch { 0.5 } else { 1.0 };
            (model == "m").then(|| (usage.input_tokens + usage.output_tokens) as f64 * per)
        }
    }

    #[test]
    fn totals_are_priced_or_reported_unpriced() {
        let mut models = BTreeMap::new();
        models.insert("m".to_string(), ModelTotals { requests: 2, input_tokens: 10, output_tokens: 5 });
        let mut unpriced = Vec::new();
        assert_eq!(price_totals(Some(&Fixed), &models, false, &mut unpriced), Some(15.0));
        assert_eq!(price_totals(Some(&Fixed), &models, true, &mut unpriced), Some(7.5));
        models.insert("x".to_string(), ModelTotals::default());
        assert_eq!(price_totals(Some(&Fixed), &models, false, &mut unpriced), None);
        assert_eq!(unpriced, ["x"]);
    }

    #[test]
    fn budget_estimates_use_tokens_and_prices() {
        let est = BudgetEstimator { prices: std::sync::Arc::new(Fixed), batch: false };
        let req = Request {
            line: 1,
            custom_id: "a".into(),
            body: json!({"model":"m","messages":[{"role":"user","content":"hello world"}],"max_tokens":7}),
        };
        assert_eq!(est.estimate_usd(&req, 100), Some(16.0));
    }
}
