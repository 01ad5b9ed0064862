//! What a benchmark sends: synthetic prompts of an exact token length, or a dataset file.
//!
//! Synthetic prompts are random sequences of common English words, each one token with a
//! leading space, so a prompt of `n` words is `n` tokens; every prompt is then counted with the
//! real tokenizer and adjusted until the *chat-format* count (the one the server reports as
//! `prompt_tokens`: message overhead and reply primer included) is exactly what was asked for.
//! Prompts are distinct (seeded) so a server's prefix cache does not make the run look faster
//! than real traffic.
//!
//! A dataset is either batch-input JSONL (OpenAI Batch API lines, or the shorthand
//! `{"messages": [...]}` / `{"prompt": "..."}`), or plain text with one prompt per line.

use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::Error;
use crate::tokenize::words::WordPool;
use crate::tokenize::Encoding;

/// The most distinct requests prepared up front; longer runs reuse them in order.
pub const MAX_POOL: usize = 1024;

/// One request to send: the chat-completions body (without `model`, which the endpoint's
/// settings decide) and its prompt size in tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub body: Value,
    /// Chat-format prompt tokens by our tokenizer (used when the server reports no usage).
    pub prompt_tokens: u64,
}

/// The requests of a run, used round-robin.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub items: Vec<WorkItem>,
}

impl Workload {
    /// Position of the `n`-th request's item (round robin). `items` is never empty: both
    /// constructors reject an empty workload.
    pub fn index(&self, n: u64) -> usize {
        (n % self.items.len().max(1) as u64) as usize
    }

    pub fn get(&self, n: u64) -> &WorkItem {
        &self.items[self.index(n)]
    }
}

/// How to build synthetic prompts.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    pub prompt_tokens: u64,
    pub stddev: f64,
    pub max_tokens: Option<u64>,
    pub seed: u64,
    /// How many distinct prompts to prepare (at most [`MAX_POOL`]).
    pub count: usize,
}

/// Chat-format tokens of a single user message around its content (message framing, the role,
/// the reply primer): the count of the same message with empty content.
pub fn chat_overhead(enc: Encoding) -> u64 {
    count_prompt(enc, &json!({"messages": [{"role": "user", "content": ""}]}))
}

/// The smallest `--prompt-tokens` a single-message prompt can have (one content token).
pub fn min_prompt_tokens(enc: Encoding) -> u64 {
    chat_overhead(enc) + 1
}

/// Content of exactly `tokens` tokens: random single-token words (`tokenize::words`).
fn content_of(words: &WordPool, tokens: u64, rng: &mut StdRng) -> String {
    words.text(usize::try_from(tokens).unwrap_or(usize::MAX), |_| rng.random())
}

impl Synthetic {
    /// Build the prompts. Fails (usage error) when the length cannot be met.
    pub fn build(&self, enc: Encoding) -> anyhow::Result<Workload> {
        let min = min_prompt_tokens(enc);
        if self.prompt_tokens < min {
            return Err(Error::usage(format!(
                "--prompt-tokens must be at least {min} (a chat message costs {} tokens of overhead)",
                chat_overhead(enc)
            ))
            .into());
        }
        let words = WordPool::new(enc).map_err(Error::usage)?;
        let mut rng = StdRng::seed_from_u64(self.seed);
        let overhead = chat_overhead(enc);
        let count = self.count.clamp(1, MAX_POOL);
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            let target = if self.stddev > 0.0 {
                let x = self.prompt_tokens as f64 + self.stddev * super::schedule::standard_normal(&mut rng);
                (x.round().max(min as f64)) as u64
            } else {
                self.prompt_tokens
            };
            let content = content_of(&words, target - overhead, &mut rng);
            let mut body = json!({"messages": [{"role": "user", "content": content}]});
            if let (Some(m), Some(obj)) = (self.max_tokens, body.as_object_mut()) {
                obj.insert("max_tokens".into(), json!(m));
            }
            let prompt_tokens = overhead + enc.count(&content) as u64;
            items.push(WorkItem { body, prompt_tokens });
        }
        Ok(Workload { items })
    }
}

/// A batch-input line: the Batch API shape or the shorthand. Unknown fields of the shorthand
/// are request parameters and pass through.
#[derive(Debug, Deserialize)]
struct BatchLine {
    #[serde(default)]
    body: Option<Map<String, Value>>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    messages: Option<Vec<Value>>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// Read `--dataset FILE`. `max_tokens` (when given) overrides every request's own.
pub fn load_dataset(path: &Path, enc: Encoding, max_tokens: Option<u64>) -> anyhow::Result<Workload> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read dataset {}: {e}", path.display())))?;
    parse_dataset(&text, &path.display().to_string(), enc, max_tokens)
}

fn parse_dataset(text: &str, name: &str, enc: Encoding, max_tokens: Option<u64>) -> anyhow::Result<Workload> {
    let jsonl = text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with('{'));
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut body = if jsonl {
            let parsed: BatchLine = serde_json::from_str(line)
                .map_err(|e| Error::usage(format!("{name}:{line_no}: not a batch input line: {e}")))?;
            body_of(parsed).map_err(|e| Error::usage(format!("{name}:{line_no}: {e}")))?
        } else {
            let mut m = Map::new();
            m.insert("messages".into(), json!([{"role": "user", "content": line}]));
            m
        };
        // The endpoint's settings choose the model; the benchmark decides streaming.
        body.remove("model");
        body.remove("stream");
        body.remove("stream_options");
        if let Some(m) = max_tokens {
            body.remove("max_completion_tokens");
            body.insert("max_tokens".into(), json!(m));
        }
        let body = Value::Object(body);
        let prompt_tokens = count_prompt(enc, &body);
        items.push(WorkItem { body, prompt_tokens });
    }
    if items.is_empty() {
        return Err(Error::usage(format!("{name}: no requests in the dataset")).into());
    }
    Ok(Workload { items })
}

fn body_of(line: BatchLine) -> Result<Map<String, Value>, String> {
    let BatchLine { body, prompt, messages, mut rest } = line;
    if let Some(body) = body {
        return Ok(body);
    }
    rest.remove("custom_id");
    rest.remove("method");
    rest.remove("url");
    match (messages, prompt) {
        (Some(m), _) if !m.is_empty() => {
            rest.insert("messages".into(), Value::Array(m));
        }
        (_, Some(p)) => {
            rest.insert("messages".into(), json!([{"role": "user", "content": p}]));
        }
        _ => return Err("expected `body`, `messages` or `prompt`".into()),
    }
    Ok(rest)
}

/// Chat-format prompt tokens of a body, as `tokenize` counts it (the OpenAI cookbook rule,
/// which is what OpenAI-compatible servers report as `prompt_tokens`).
pub fn count_prompt(enc: Encoding, body: &Value) -> u64 {
    crate::tokenize::count_chat_request(enc, body).prompt_tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synth(tokens: u64, stddev: f64, count: usize) -> Synthetic {
        Synthetic { prompt_tokens: tokens, stddev, max_tokens: Some(64), seed: 9, count }
    }

    #[test]
    fn synthetic_prompts_have_exactly_the_requested_length() {
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
            for tokens in [8, 9, 100, 1000] {
                let w = synth(tokens, 0.0, 5).build(enc).unwrap();
                for item in &w.items {
                    assert_eq!(item.prompt_tokens, tokens, "{}", enc.name());
                    assert_eq!(count_prompt(enc, &item.body), tokens, "{}", enc.name());
                    assert_eq!(item.body["max_tokens"], 64);
                }
                // Distinct prompts, so prefix caches do not flatter the server.
                assert_ne!(w.items[0].body, w.items[1].body);
            }
        }
    }

    #[test]
    fn the_content_count_is_checked_by_the_real_tokenizer() {
        let enc = Encoding::O200kBase;
        let w = synth(50, 0.0, 3).build(enc).unwrap();
        for item in &w.items {
            let content = item.body["messages"][0]["content"].as_str().unwrap();
            assert_eq!(enc.count(content) as u64 + chat_overhead(enc), 50);
        }
    }

    #[test]
    fn stddev_varies_lengths_around_the_mean_deterministically() {
        let enc = Encoding::O200kBase;
        let a = synth(200, 20.0, 400).build(enc).unwrap();
        let lens: Vec<u64> = a.items.iter().map(|i| i.prompt_tokens).collect();
        let mean = lens.iter().sum::<u64>() as f64 / lens.len() as f64;
        assert!((mean - 200.0).abs() < 4.0, "mean {mean}");
        assert!(lens.iter().any(|&l| l < 185) && lens.iter().any(|&l| l > 215));
        for item in &a.items {
            assert_eq!(count_prompt(enc, &item.body), item.prompt_tokens);
        }
        assert_eq!(a, synth(200, 20.0, 400).build(enc).unwrap());
    }

    #[test]
    fn too_short_prompts_are_refused() {
        let err = synth(3, 0.0, 1).build(Encoding::O200kBase).unwrap_err();
        assert!(err.to_string().contains("at least 8"), "{err}");
        assert_eq!(crate::error::exit_code_for(&err), 2);
    }

    #[test]
    fn datasets_accept_batch_lines_shorthand_and_plain_text() {
        let enc = Encoding::O200kBase;
        let jsonl = concat!(
            r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"x","messages":[{"role":"user","content":"hi"}],"max_tokens":5}}"#,
            "\n\n",
            r#"{"custom_id":"b","messages":[{"role":"user","content":"hello there"}],"temperature":0}"#,
            "\n",
            r#"{"prompt":"say hi"}"#,
            "\n"
        );
        let w = parse_dataset(jsonl, "d.jsonl", enc, Some(7)).unwrap();
        assert_eq!(w.items.len(), 3);
        assert_eq!(w.items[0].body, json!({"messages":[{"role":"user","content":"hi"}],"max_tokens":7}));
        assert_eq!(w.items[1].body["temperature"], 0);
        assert!(w.items[1].body.get("custom_id").is_none());
        assert_eq!(w.items[2].body["messages"][0]["content"], "say hi");
        assert_eq!(w.items[0].prompt_tokens, 3 + 3 + 1 + 1);

        let text = parse_dataset("first prompt\n\nsecond\n", "p.txt", enc, None).unwrap();
        assert_eq!(text.items.len(), 2);
        assert_eq!(text.items[1].body["messages"][0]["content"], "second");
        assert_eq!(text.get(3).body, text.items[1].body, "round robin");
    }

    #[test]
    fn bad_datasets_name_the_line() {
        let enc = Encoding::O200kBase;
        let err = parse_dataset("{\"prompt\":\"a\"}\n{oops\n", "d.jsonl", enc, None).unwrap_err();
        assert!(err.to_string().starts_with("d.jsonl:2: "), "{err}");
        let err = parse_dataset("{\"custom_id\":\"x\"}\n", "d.jsonl", enc, None).unwrap_err();
        assert!(err.to_string().contains("d.jsonl:1: expected `body`"), "{err}");
        let err = parse_dataset("\n\n", "e.txt", enc, None).unwrap_err();
        assert!(err.to_string().contains("no requests"), "{err}");
    }
}
