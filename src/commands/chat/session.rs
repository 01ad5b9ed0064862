//! One chat session: a conversation, the engine that answers it, and the stdout it is printed
//! to. A one-shot `llmkit chat "..."` is a session of one turn; interactive mode is a session
//! of many. A turn is: build the request (trimming history to the context window), send it
//! (streaming each chunk to stdout as it arrives), run the user's tool commands and go round
//! again if the model asked for them, then check the reply's shape and save the conversation.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::conversation::{trim_to_budget, Conversation, Store};
use super::message::{self, is_system, Message, ToolCall};
use super::report::Totals;
use super::request::RequestSpec;
use super::schema::OutputMode;
use super::tools::{self, CallLine, ToolCommand};
use crate::cli::ProviderKind;
use crate::engine::{ChatRequest, Engine, RequestRecord, StreamEvent};
use crate::error::Error;
use crate::output::Printer;
use crate::pricing::PriceTable;
use crate::provider::ChatResponse;
use crate::usage::Usage;

/// Output tokens kept free when trimming history and no `--max-tokens` is given.
pub const DEFAULT_OUTPUT_RESERVE: u64 = 1024;

/// How a turn ended (errors end it through `Err`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnEnd {
    /// The model answered.
    Answered,
    /// The model asked for tools that were not run; the calls are on stdout (exit 10).
    ToolCalls,
    /// The reply is not the JSON `--json`/`--schema` asked for (exit 1), and why.
    Violation(String),
}

/// Everything a session needs that does not change between turns.
pub struct SessionConfig {
    pub spec: RequestSpec,
    pub mode: OutputMode,
    pub tool_commands: Vec<ToolCommand>,
    pub max_tool_rounds: u32,
    pub stream: bool,
    pub raw: bool,
    /// Where the conversation is saved after each turn (`None`: not saved).
    pub store: Option<Store>,
    /// `--prices` / `LLMKIT_PRICES`.
    pub prices: Option<PathBuf>,
}

pub struct Session {
    engine: Engine,
    printer: Printer,
    cfg: SessionConfig,
    provider: ProviderKind,
    /// The endpoint's own model (used when no model is named).
    endpoint_model: Option<String>,
    prices: Option<Result<PriceTable, String>>,
    pub conv: Conversation,
    /// Totals over every turn (interactive `/usage`).
    pub totals: Totals,
    out: Out,
}

impl Session {
    pub fn new(engine: Engine, printer: Printer, cfg: SessionConfig, conv: Conversation) -> Session {
        let primary = engine.endpoints().into_iter().next();
        let provider = primary.as_ref().map_or(ProviderKind::Openai, |e| e.provider);
        let endpoint_model = primary.and_then(|e| e.model);
        Session {
            engine,
            printer,
            cfg,
            provider,
            endpoint_model,
            prices: None,
            conv,
            totals: Totals::default(),
            out: Out::new(printer.stdout_tty),
        }
    }

    /// The model requests name (`-m`, the conversation's, else the endpoint's).
    pub fn model(&self) -> Option<&str> {
        self.cfg.spec.model.as_deref().or(self.endpoint_model.as_deref())
    }

    pub fn set_model(&mut self, model: String) {
        self.cfg.spec.model = Some(model);
    }

    /// Forget the conversation (a new one starts; the system prompt stays).
    pub fn reset(&mut self) {
        let system: Vec<Message> = self.conv.messages.iter().filter(|m| is_system(m)).cloned().collect();
        let session_name = self.conv.name.clone();
        self.conv = Conversation::new(None);
        // A named session keeps its name: `/reset` empties it rather than forking a new file.
        if let Some(name) = session_name {
            self.conv = Conversation::new(Some(&name));
        }
        self.conv.messages = system;
    }

    /// Forget a turn that failed or was cancelled: the history goes back to `len` messages
    /// and a half-printed answer gets its newline.
    pub fn abandon_turn(&mut self, len: usize) -> std::io::Result<()> {
        self.conv.messages.truncate(len);
        self.out.end_answer()
    }

    /// The request the next turn would send, for `--dry-run`.
    pub fn dry_run(&mut self) -> anyhow::Result<Value> {
        let body = self.request_body()?;
        let spec = self.engine.dry_run(&ChatRequest::new(body), self.cfg.stream)?;
        let headers: serde_json::Map<String, Value> =
            spec.redacted_headers().into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
        let body: Value = serde_json::from_slice(&spec.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&spec.body).into_owned()));
        Ok(json!({"method": spec.method, "url": spec.url, "headers": headers, "body": body}))
    }

    /// Send the conversation (its last message is the new question), print the answer, run
    /// tools, save. Returns how the turn ended and what it cost.
    pub async fn turn(&mut self) -> anyhow::Result<(TurnEnd, Totals)> {
        let mut answer = Totals::default();
        let mut rounds = 0u32;
        loop {
            let body = self.request_body()?;
            let outcome = if self.cfg.stream {
                let out = &mut self.out;
                let printer = self.printer;
                self.engine
                    .stream(ChatRequest::new(body), |event| match event {
                        StreamEvent::Chunk { chunk, .. } => match chunk.text() {
                            Some(text) => out.text(text).map_err(Into::into),
                            None => Ok(()),
                        },
                        StreamEvent::Resumed { attempt, continued, .. } => {
                            printer.verbose(format!(
                                "stream broke; attempt {} {}",
                                attempt + 1,
                                if continued { "continues it" } else { "starts over" }
                            ));
                            Ok(())
                        }
                    })
                    .await
            } else {
                self.engine.execute(ChatRequest::new(body)).await
            };
            let measured = self.measure(&outcome.record);
            answer.add(&measured);
            self.totals.add(&measured);
            let response = match outcome.result {
                Ok(r) => r,
                Err(e) => {
                    self.out.end_answer()?;
                    return Err(e.into());
                }
            };
            if !outcome.record.model.is_empty() {
                self.conv.model = Some(outcome.record.model.clone());
            }
            self.conv.usage.add(&measured.usage);
            self.conv.requests += 1;
            let text = response.text().to_string();
            if self.cfg.raw {
                self.out.json(&response)?;
            } else if !self.cfg.stream {
                self.out.text(&text)?;
            }
            self.out.end_answer()?;
            let calls = tool_calls(&response);
            self.conv.messages.push(message::assistant_reply(&text, calls.clone()));
            if calls.is_empty() {
                self.save()?;
                let end = match self.cfg.mode.violation(&text) {
                    Some(why) => TurnEnd::Violation(why),
                    None => TurnEnd::Answered,
                };
                return Ok((end, answer));
            }
            let all_runnable = calls.iter().all(|c| self.command_for(&c.function.name).is_some());
            if !all_runnable || rounds >= self.cfg.max_tool_rounds {
                if all_runnable {
                    self.printer.warn(format!(
                        "the model still asks for tools after {} rounds (--max-tool-rounds); stopping",
                        self.cfg.max_tool_rounds
                    ));
                }
                if !self.cfg.raw {
                    for call in &calls {
                        self.out.line(&CallLine::new(call).to_line())?;
                    }
                }
                self.save()?;
                return Ok((TurnEnd::ToolCalls, answer));
            }
            rounds += 1;
            for call in &calls {
                let Some(cmd) = self.command_for(&call.function.name).cloned() else { continue };
                let result = tools::run(&cmd, call).await?;
                if result.failed {
                    self.printer.warn(format!("tool `{}`: {}", cmd.name, first_line(&result.content)));
                } else {
                    self.printer.verbose(format!(
                        "tool `{}` {} -> {} bytes",
                        cmd.name,
                        call.function.arguments,
                        result.content.len()
                    ));
                }
                self.conv.messages.push(message::tool_result(&call.id, result.content));
            }
        }
    }

    fn command_for(&self, name: &str) -> Option<&ToolCommand> {
        self.cfg.tool_commands.iter().find(|t| t.name == name)
    }

    fn save(&mut self) -> anyhow::Result<()> {
        self.conv.touch();
        if let Some(store) = &self.cfg.store {
            let path = store.save(&self.conv)?;
            self.printer.verbose(format!("saved conversation {} ({})", self.conv.id, path.display()));
        }
        Ok(())
    }

    /// The canonical body of the next request: the conversation trimmed to the model's
    /// context window, plus every flag.
    fn request_body(&mut self) -> anyhow::Result<crate::provider::ChatBody> {
        let mut messages = self.conv.messages.clone();
        if self.provider == ProviderKind::Anthropic {
            if let Some(instruction) = self.json_instruction() {
                add_to_system(&mut messages, &instruction);
            }
        }
        self.trim(&mut messages);
        let mut spec = self.cfg.spec.clone();
        if self.provider == ProviderKind::Anthropic {
            // The Messages API has no response_format; the instruction above asks instead and
            // the reply is validated all the same.
            spec.response_format = None;
        }
        Ok(spec.body(&messages, self.provider).map_err(Error::usage)?)
    }

    /// What to tell a model that has no `response_format` (Anthropic) about the JSON wanted.
    fn json_instruction(&self) -> Option<String> {
        match &self.cfg.mode {
            OutputMode::Text => None,
            OutputMode::JsonObject => Some("Reply with one JSON value and nothing else.".into()),
            OutputMode::Schema(s) => Some(format!(
                "Reply with one JSON value that validates against this JSON Schema, and nothing else:\n{}",
                s.schema
            )),
        }
    }

    /// Drop the oldest turns when the prompt would not fit the model's context window.
    fn trim(&mut self, messages: &mut Vec<Message>) {
        let Some(model) = self.model().map(str::to_string) else { return };
        let Some(window) =
            self.price_table().and_then(|t| t.resolve(&model)).and_then(|r| r.price.max_input_tokens)
        else {
            return;
        };
        let reserve = self.cfg.spec.sampling.max_tokens.map_or(DEFAULT_OUTPUT_RESERVE, u64::from);
        let (enc, exact) = crate::tokenize::encoding_for_model_or_default(Some(&model));
        let mut budget = window.saturating_sub(reserve);
        if !exact {
            // Another vendor's tokenizer: keep a 10% margin for the approximation.
            budget = budget / 10 * 9;
        }
        // Every token is at least one byte, so a prompt with fewer bytes than the budget fits
        // without running the tokenizer at all.
        let bytes: usize = serde_json::to_vec(&*messages).map_or(usize::MAX, |v| v.len())
            + serde_json::to_vec(&self.cfg.spec.tools).map_or(0, |v| v.len());
        if (bytes as u64).saturating_add(4 * messages.len() as u64 + 3) <= budget {
            return;
        }
        let tools = &self.cfg.spec.tools;
        let count = |m: &[Message]| {
            crate::tokenize::count_chat_request(enc, &json!({"messages": m, "tools": tools})).prompt_tokens
        };
        if let Some(t) = trim_to_budget(messages, budget, &count) {
            self.printer.verbose(format!(
                "trimmed {} old message(s) to fit {model}'s context window: {} -> {} prompt tokens (budget {budget})",
                t.dropped_messages, t.tokens_before, t.tokens_after
            ));
        }
    }

    /// The price table, loaded on first use; a broken override file is reported once.
    fn price_table(&mut self) -> Option<&PriceTable> {
        if self.prices.is_none() {
            let loaded = PriceTable::load(self.cfg.prices.as_deref()).map_err(|e| format!("{e:#}"));
            if let Err(e) = &loaded {
                self.printer.warn(format!("prices unavailable: {e}"));
            }
            self.prices = Some(loaded);
        }
        self.prices.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// Usage, cost and timings of one request.
    fn measure(&mut self, rec: &RequestRecord) -> Totals {
        let usage = rec.usage.unwrap_or_default();
        let model = if rec.model.is_empty() {
            self.model().unwrap_or_default().to_string()
        } else {
            rec.model.clone()
        };
        let (cost, saved) = match self.price_table().and_then(|t| t.resolve(&model)) {
            Some(r) => {
                let cost = rec.cost_usd.unwrap_or_else(|| r.price.cost(&usage, false));
                let uncached = Usage { cached_tokens: 0, cache_write_tokens: 0, ..usage };
                (Some(cost), Some(r.price.cost(&uncached, false) - r.price.cost(&usage, false)))
            }
            None => (rec.cost_usd, None),
        };
        Totals {
            usage,
            cost,
            saved,
            latency: rec.end.saturating_duration_since(rec.start),
            ttft: if rec.stream { rec.ttft() } else { None },
            retries: rec.retries,
            requests: 1,
        }
    }

    /// Wait for ledger and recording lines to reach the disk.
    pub async fn flush(&self) {
        self.engine.flush().await;
    }
}

/// The tool calls of the first choice.
fn tool_calls(response: &ChatResponse) -> Vec<ToolCall> {
    response.choices.first().and_then(|c| c.message.tool_calls.clone()).unwrap_or_default()
}

/// Append `text` to the (first) system message, or add one.
fn add_to_system(messages: &mut Vec<Message>, text: &str) {
    match messages.iter_mut().find(|m| is_system(m)) {
        Some(sys) => {
            let joined = format!("{}\n\n{text}", message::plain_text(sys));
            sys.content = Some(message::Content::Text(joined));
        }
        None => messages.insert(0, message::system(text)),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// Stdout for answers. Every chunk is written and flushed at once (no buffering between the
/// network and the reader). On a terminal, control characters from the model are dropped so
/// a reply cannot drive the terminal with escape sequences; through a pipe the text is
/// written exactly as received, and llmkit itself never adds colour or cursor codes.
#[derive(Debug)]
pub struct Out {
    tty: bool,
    /// Something was written since the last `end_answer`.
    wrote: bool,
    at_line_start: bool,
}

impl Out {
    pub fn new(tty: bool) -> Out {
        Out { tty, wrote: false, at_line_start: true }
    }

    pub fn text(&mut self, text: &str) -> std::io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        if self.tty {
            out.write_all(sanitize(text).as_bytes())?;
        } else {
            out.write_all(text.as_bytes())?;
        }
        out.flush()?;
        self.wrote = true;
        self.at_line_start = text.ends_with('\n');
        Ok(())
    }

    /// One full line (tool-call JSON lines).
    pub fn line(&mut self, line: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    pub fn json<T: serde::Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        crate::output::write_json(&mut out, value, self.tty)?;
        out.flush()?;
        Ok(())
    }

    /// End the answer with a newline unless it already ended with one.
    pub fn end_answer(&mut self) -> std::io::Result<()> {
        if self.wrote && !self.at_line_start {
            let mut out = std::io::stdout().lock();
            out.write_all(b"\n")?;
            out.flush()?;
        }
        self.wrote = false;
        self.at_line_start = true;
        Ok(())
    }
}

/// Drop C0/C1 control characters except newline and tab.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}';
    if text.chars().any(bad) {
        std::borrow::Cow::Owned(text.chars().filter(|c| !bad(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_output_loses_control_characters() {
        assert_eq!(sanitize("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(sanitize("\x1b]0;pwned\x07red\x1b[31m!\r\u{9b}"), "]0;pwnedred[31m!");
        assert!(matches!(sanitize("no change"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn json_instruction_goes_into_the_system_prompt() {
        let mut m = vec![message::system("be brief"), message::user("q")];
        add_to_system(&mut m, "JSON only");
        assert_eq!(message::plain_text(&m[0]), "be brief\n\nJSON only");
        let mut m = vec![message::user("q")];
        add_to_system(&mut m, "JSON only");
        assert_eq!(m[0], message::system("JSON only"));
        assert_eq!(m.len(), 2);
    }
}
