//! The real target: requests go through the shared [`Engine`], configured so it measures
//! rather than manages (no ledger, no breaker trips, no adaptive concurrency), and the
//! engine's per-chunk arrival instants become the benchmark's t1..tk.

use std::time::Duration;

use tokio::time::Instant;

use super::direct::DirectTarget;
use super::record::ErrorClass;
use super::runner::{Exchange, Target};
use super::workload::{WorkItem, Workload};
use crate::engine::{ChatBody, ChatRequest, Engine, ErrorKind, Outcome, StreamEvent};
use crate::error::Error;

/// The engine plus the workload's bodies, converted once so a request costs one clone.
pub struct EngineTarget {
    engine: Engine,
    bodies: Vec<ChatBody>,
    /// Non-streamed requests skip the engine when it would add nothing (see [`super::direct`]).
    direct: Option<DirectTarget>,
}

impl EngineTarget {
    /// Convert every workload body to the engine's canonical request up front; a body the
    /// engine cannot read is a dataset error (exit 2) before anything is sent.
    pub fn new(engine: Engine, workload: &Workload) -> anyhow::Result<EngineTarget> {
        let bodies = workload
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value::<ChatBody>(item.body.clone()).map_err(|e| {
                    Error::usage(format!("request {} of the workload is not a chat request: {e}", i + 1))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EngineTarget { engine, bodies, direct: None })
    }

    /// Send non-streamed requests on the direct path when the engine allows it.
    pub async fn with_direct(mut self) -> EngineTarget {
        self.direct = match self.engine.direct_plan(&self.bodies, false).await {
            Some(plan) => DirectTarget::new(plan),
            None => None,
        };
        self
    }

    /// Whether non-streamed requests take the direct path.
    pub fn is_direct(&self) -> bool {
        self.direct.is_some()
    }
}

/// The benchmark's error class of an engine failure.
pub fn class_of(kind: ErrorKind, status: Option<u16>) -> ErrorClass {
    match kind {
        ErrorKind::Auth => ErrorClass::Auth,
        ErrorKind::RateLimited => ErrorClass::RateLimited,
        ErrorKind::Rejected => ErrorClass::Rejected,
        ErrorKind::Server => ErrorClass::Server,
        ErrorKind::Timeout => ErrorClass::Timeout,
        ErrorKind::Connect => ErrorClass::Connect,
        // An unreadable 2xx body is the endpoint answering something that is not the API.
        ErrorKind::Stream if status.is_some_and(|s| (200..300).contains(&s)) => ErrorClass::Protocol,
        ErrorKind::Stream => ErrorClass::Stream,
        ErrorKind::Config => ErrorClass::Config,
        ErrorKind::BreakerOpen | ErrorKind::Output => ErrorClass::Other,
    }
}

fn exchange(outcome: Outcome, content: Vec<Instant>) -> Exchange {
    let Outcome { record, result } = outcome;
    let std_to_tokio = Instant::from_std;
    let (output_text, error) = match result {
        Ok(resp) if record.usage.is_none() => (resp.text().to_string(), None),
        Ok(_) => (String::new(), None),
        Err(e) => (String::new(), Some((class_of(e.kind, e.status.or(record.status)), one_line(&e.message)))),
    };
    Exchange {
        first_chunk: record.first_byte.map(std_to_tokio),
        content,
        end: std_to_tokio(record.end),
        input_tokens: record.usage.map(|u| u.input_tokens),
        output_tokens: record.usage.map(|u| u.output_tokens),
        output_text,
        status: record.status,
        error,
    }
}

/// Server messages can span lines; a record's message is one line.
pub(crate) fn one_line(s: &str) -> String {
    let line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        line.chars().take(300).collect::<String>() + "..."
    } else {
        line
    }
}

impl Target for EngineTarget {
    async fn send(&self, index: usize, _item: &WorkItem, stream: bool) -> Exchange {
        if let (false, Some(direct)) = (stream, &self.direct) {
            return direct.send(index).await;
        }
        let body = self.bodies[index % self.bodies.len().max(1)].clone();
        let request = ChatRequest::new(body);
        if stream {
            let mut content: Vec<Instant> = Vec::with_capacity(64);
            let outcome = self
                .engine
                .stream(request, |event| {
                    if let StreamEvent::Chunk { at, chunk } = event {
                        if chunk.has_output() {
                            content.push(Instant::from_std(at));
                        }
                    }
                    Ok(())
                })
                .await;
            exchange(outcome, content)
        } else {
            let outcome = self.engine.execute(request).await;
            let content = match (&outcome.result, outcome.record.first_output) {
                (Ok(_), Some(at)) => vec![Instant::from_std(at)],
                _ => Vec::new(),
            };
            exchange(outcome, content)
        }
    }
}

/// Breaker settings that never open: a benchmark reports failures, it does not avoid them.
pub fn breaker_never_opens() -> crate::engine::BreakerConfig {
    crate::engine::BreakerConfig {
        window: Duration::from_secs(1),
        min_requests: u32::MAX,
        failure_ratio: 1.0,
        open_for: Duration::ZERO,
    }
}
