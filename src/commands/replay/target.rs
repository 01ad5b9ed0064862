//! The request engine as a replay [`Target`]: recorded bodies go through the same engine as
//! every other command (limits, retries, fallback, `--record`), streamed when the recording
//! streamed, so TTFT is measured the same way it was the first time.

use crate::engine::{ChatBody, ChatRequest, Engine, Outcome as EngineOutcome};

use super::compare::{output_text, Outcome};
use super::plan::Planned;
use super::schedule::Target;

/// Sends planned requests through the engine.
pub struct EngineTarget {
    pub engine: Engine,
}

impl Target for EngineTarget {
    async fn send(&self, p: &Planned, scheduled: std::time::Instant) -> Outcome {
        let body: ChatBody = match serde_json::from_value(p.body.clone()) {
            Ok(b) => b,
            Err(e) => {
                return Outcome {
                    error: Some(format!("line {}: not a chat completions request: {e}", p.line)),
                    exit_code: Some(2),
                    ..Outcome::default()
                }
            }
        };
        let stream = body.stream == Some(true);
        let mut req = ChatRequest::new(body).with_start(scheduled);
        if let Some(id) = &p.id {
            req = req.with_id(id.clone());
        }
        let out = if stream {
            // Chunks are not needed: the engine assembles the answer and times the first one.
            self.engine.stream(req, |_| Ok(())).await
        } else {
            self.engine.execute(req).await
        };
        outcome_of(&out)
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The comparison's view of an engine outcome.
pub fn outcome_of(out: &EngineOutcome) -> Outcome {
    let rec = &out.record;
    let output = match &out.result {
        Ok(resp) => serde_json::to_value(resp).ok().and_then(|v| output_text(&v)),
        Err(_) => None,
    };
    let error = rec.error.map(|k| match &rec.error_message {
        Some(m) => format!("{}: {m}", k.as_str()),
        None => k.as_str().to_string(),
    });
    Outcome {
        ok: rec.succeeded(),
        status: rec.status,
        latency_ms: Some(ms(rec.latency())),
        ttft_ms: rec.ttft().map(ms),
        usage: rec.usage,
        cost_usd: if rec.cache_hit { Some(0.0) } else { rec.cost_usd },
        model: Some(rec.model.clone()).filter(|m| !m.is_empty()),
        output,
        error,
        batch: false,
        exit_code: out.result.as_ref().err().map(|e| e.exit_code()),
    }
}
