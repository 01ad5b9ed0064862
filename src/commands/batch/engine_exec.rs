//! The production [`Executor`]: one request through the shared engine (limits, retries,
//! fallback, breakers, ledger), turned into a batch outcome.

use std::sync::Arc;

use serde::Serialize;

use super::estimate::Prices;
use super::input::Request;
use super::output::ErrorPart;
use super::runner::{Executor, Outcome};
use crate::engine::{ChatBody, ChatRequest, Engine};

pub struct EngineExecutor {
    pub engine: Engine,
    pub prices: Arc<dyn Prices>,
}

/// An error body for a failure that had an HTTP answer, in OpenAI's shape, with the server's
/// own message.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

impl Executor for EngineExecutor {
    async fn execute(&self, req: &Request) -> Outcome {
        let body: ChatBody = match serde_json::from_value(req.body.clone()) {
            Ok(b) => b,
            // The scan already checked this; a body that still does not fit fails alone.
            Err(e) => {
                return Outcome {
                    error: Some(ErrorPart { code: "invalid_request".into(), message: format!("body: {e}") }),
                    ..Outcome::default()
                }
            }
        };
        let outcome = self.engine.execute(ChatRequest::new(body).with_id(req.custom_id.clone())).await;
        let rec = outcome.record;
        let cost_usd = match (&rec.usage, rec.cost_usd) {
            (_, Some(c)) => Some(c),
            (Some(u), None) => self.prices.cost(&rec.model, u, false),
            (None, None) => None,
        };
        match outcome.result {
            Ok(resp) => Outcome {
                status: Some(rec.status.unwrap_or(200)),
                request_id: None,
                body: serde_json::to_value(&resp).ok(),
                error: None,
                usage: rec.usage,
                cost_usd,
                retries: rec.retries,
                rate_limited: rec.rate_limited,
            },
            Err(e) => {
                let kind = e.kind.as_str();
                let (body, error) = match e.status {
                    Some(_) => (
                        serde_json::to_value(ErrorBody { error: ErrorDetail { message: &e.message, kind } })
                            .ok(),
                        None,
                    ),
                    None => (None, Some(ErrorPart { code: kind.to_string(), message: e.message.clone() })),
                };
                Outcome {
                    status: e.status,
                    request_id: None,
                    body,
                    error,
                    usage: rec.usage,
                    cost_usd,
                    retries: rec.retries,
                    rate_limited: rec.rate_limited,
                }
            }
        }
    }
}
