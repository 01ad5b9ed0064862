//! From input items to the list of requests to send, in send order, with their due times.
//!
//! This is all the replay logic that needs no network: `--filter` picks items, `--limit`
//! stops reading early (a week-long trace need not be read to replay its first minute),
//! prompts are synthesized for traces, `-m` and `--set` rewrite every body, and offsets are
//! scaled by `--speed` (or dropped by `--fast`). Keeping it pure makes every flag testable
//! without a server.

use serde_json::{Map, Value};

use super::input::{BadLine, Item, Payload};
use super::normalize::canonical_number;
use super::synth::Synthesizer;
use crate::usage::LedgerLine;

/// How recorded timing is reproduced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Send at `offset / factor` after the start (1 = original timing, 2 = twice as fast).
    Speed(f64),
    /// Send everything at once; only the engine's limits (concurrency, rpm, tpm) pace it.
    Fast,
}

impl Pace {
    /// The send time of a request recorded at `offset_ms`.
    pub fn due_ms(self, offset_ms: f64) -> f64 {
        match self {
            Pace::Speed(f) => offset_ms / f,
            Pace::Fast => 0.0,
        }
    }
}

/// `--filter KEY=GLOB` or `KEY!=GLOB`.
#[derive(Debug, Clone)]
pub struct Filter {
    key: String,
    negate: bool,
    pattern: globset::GlobMatcher,
    raw: String,
}

impl Filter {
    pub fn parse(spec: &str) -> Result<Filter, String> {
        let (key, negate, value) = if let Some((k, v)) = spec.split_once("!=") {
            (k, true, v)
        } else if let Some((k, v)) = spec.split_once('=') {
            (k, false, v)
        } else {
            return Err(format!("--filter `{spec}`: expected KEY=VALUE or KEY!=VALUE"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("--filter `{spec}`: empty field name"));
        }
        let pattern = globset::Glob::new(value)
            .map_err(|e| format!("--filter `{spec}`: bad pattern: {e}"))?
            .compile_matcher();
        Ok(Filter { key: key.to_string(), negate, pattern, raw: spec.to_string() })
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// True when the item passes. `model` matches the requested or the answering model;
    /// `status` is the recorded HTTP status (`none` when no response arrived); `ok` is
    /// `true`/`false` (2xx with no error); other names are recording fields (`id`,
    /// `provider`, `command`, `user`, `project`, `url`) or top-level body fields (`stream`,
    /// `temperature`, ...), non-strings compared as compact JSON.
    pub fn matches(&self, item: &Item) -> bool {
        let values = field_values(item, &self.key);
        let hit = values.iter().any(|v| self.pattern.is_match(v));
        hit != self.negate
    }
}

fn field_values(item: &Item, key: &str) -> Vec<String> {
    let body = match &item.payload {
        Payload::Body(b) => Some(b),
        Payload::Synthesize { .. } => None,
    };
    let rec: Option<&LedgerLine> = item.recorded.as_deref();
    let mut out = Vec::new();
    let body_field = |k: &str| body.and_then(|b| b.get(k)).map(value_text);
    match key {
        "model" => {
            out.extend(body_field("model"));
            out.extend(rec.map(|r| r.model.clone()).filter(|m| !m.is_empty()));
        }
        "id" => out.extend(item.id.clone()),
        "status" => out.push(rec.and_then(|r| r.status).map_or("none".to_string(), |s| s.to_string())),
        "ok" => out.extend(rec.map(|r| recorded_ok(r).to_string())),
        "provider" => out.extend(rec.map(|r| r.provider.clone())),
        "command" => out.extend(rec.and_then(|r| r.command.clone())),
        "user" => {
            out.extend(rec.and_then(|r| r.user.clone()));
            out.extend(body_field("user"));
        }
        "project" => out.extend(rec.and_then(|r| r.project.clone())),
        "url" => out.extend(item.url.clone()),
        other => out.extend(body_field(other)),
    }
    out
}

/// A recorded exchange succeeded: a 2xx status and no error.
pub fn recorded_ok(r: &LedgerLine) -> bool {
    r.error.is_none() && r.status.is_some_and(|s| (200..300).contains(&s))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => canonical_number(n),
        other => other.to_string(),
    }
}

/// `--set KEY=VALUE`: set a (dotted) field on every body. The value is JSON when it parses
/// as JSON (`0.2`, `true`, `{"type":"json_object"}`), else a string (`gpt-4o`).
#[derive(Debug, Clone, PartialEq)]
pub struct SetField {
    path: Vec<String>,
    value: Value,
}

impl SetField {
    pub fn parse(spec: &str) -> Result<SetField, String> {
        let (key, value) =
            spec.split_once('=').ok_or_else(|| format!("--set `{spec}`: expected KEY=VALUE"))?;
        let path: Vec<String> = key.trim().split('.').map(str::to_string).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("--set `{spec}`: `{key}` is not a field path"));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        Ok(SetField { path, value })
    }

    /// Set the field, creating objects on the way (a non-object on the path is replaced).
    pub fn apply(&self, body: &mut Value) {
        let mut cur = body;
        for part in &self.path[..self.path.len() - 1] {
            if !cur.is_object() {
                *cur = Value::Object(Map::new());
            }
            let Value::Object(map) = cur else { return };
            cur = map.entry(part.clone()).or_insert_with(|| Value::Object(Map::new()));
        }
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        if let (Value::Object(map), Some(last)) = (cur, self.path.last()) {
            map.insert(last.clone(), self.value.clone());
        }
    }
}

/// Everything that shapes the plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub filters: Vec<Filter>,
    pub limit: Option<usize>,
    pub pace: Pace,
    /// `-m`: replaces the model of every request.
    pub model_override: Option<String>,
    /// The profile's model: used for trace lines and bodies with no model of their own.
    pub default_model: Option<String>,
    pub set: Vec<SetField>,
}

/// One request to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Position in send order (0-based).
    pub index: usize,
    /// Line in the input file.
    pub line: usize,
    pub id: Option<String>,
    /// The original offset (ms since the first request), when the input had timing.
    pub offset_ms: Option<f64>,
    /// When to send it, in ms after the replay starts.
    pub due_ms: f64,
    pub url: Option<String>,
    pub body: Value,
    /// The recorded outcome, for the comparison.
    pub recorded: Option<Box<LedgerLine>>,
    /// Sizes from a trace line (prompt tokens, output tokens), the "old" side of a trace.
    pub trace_tokens: Option<(u64, u64)>,
}

/// The requests to send and what was left out.
#[derive(Debug, Default)]
pub struct Plan {
    pub requests: Vec<Planned>,
    pub bad_lines: Vec<BadLine>,
    /// Items `--filter` left out.
    pub filtered_out: usize,
}

/// Build the plan from input items. `synth` builds prompts for trace lines (required only
/// when the input has them: `synth_for_traces` is called once, lazily, so recordings never
/// load a tokenizer).
pub fn build(
    items: impl Iterator<Item = Result<Item, BadLine>>,
    opts: &PlanOptions,
    mut synth_for_traces: impl FnMut() -> anyhow::Result<Synthesizer>,
) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    let mut synth: Option<Synthesizer> = None;
    let mut selected: Vec<Item> = Vec::new();
    for item in items {
        if opts.limit.is_some_and(|n| selected.len() >= n) {
            break;
        }
        match item {
            Err(bad) => plan.bad_lines.push(bad),
            Ok(item) if opts.filters.iter().all(|f| f.matches(&item)) => selected.push(item),
            Ok(_) => plan.filtered_out += 1,
        }
    }

    // Send order is recorded order; recordings are written as requests finish, so sort.
    selected.sort_by(|a, b| {
        let (x, y) = (a.offset_ms.unwrap_or(f64::NEG_INFINITY), b.offset_ms.unwrap_or(f64::NEG_INFINITY));
        x.total_cmp(&y).then(a.line.cmp(&b.line))
    });
    let origin = selected.iter().filter_map(|i| i.offset_ms).fold(f64::INFINITY, f64::min);
    let origin = if origin.is_finite() { origin } else { 0.0 };

    for (index, item) in selected.into_iter().enumerate() {
        let Item { line, id, offset_ms, url, payload, recorded } = item;
        let (mut body, trace_tokens) = match payload {
            Payload::Body(body) => (body, None),
            Payload::Synthesize { input_tokens, output_tokens, hash_ids } => {
                let model =
                    opts.model_override.as_ref().or(opts.default_model.as_ref()).ok_or_else(|| {
                        crate::error::Error::usage(
                            "trace files carry no model: pass -m MODEL (or use a profile with a model)",
                        )
                    })?;
                let s = match synth.take() {
                    Some(s) => s,
                    None => synth_for_traces()?,
                };
                let body = s.body(model, input_tokens, output_tokens, &hash_ids, line as u64);
                synth = Some(s);
                (body, Some((input_tokens, output_tokens)))
            }
        };
        if let Value::Object(map) = &mut body {
            if let Some(m) = &opts.model_override {
                map.insert("model".into(), Value::String(m.clone()));
            } else if !map.contains_key("model") {
                if let Some(m) = &opts.default_model {
                    map.insert("model".into(), Value::String(m.clone()));
                }
            }
        }
        for s in &opts.set {
            s.apply(&mut body);
        }
        let offset_ms = offset_ms.map(|o| o - origin);
        let due_ms = opts.pace.due_ms(offset_ms.unwrap_or(0.0));
        plan.requests.push(Planned { index, line, id, offset_ms, due_ms, url, body, recorded, trace_tokens });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::replay::input::open;
    use crate::tokenize::Encoding;
    use serde_json::json;

    fn opts() -> PlanOptions {
        PlanOptions {
            filters: vec![],
            limit: None,
            pace: Pace::Speed(1.0),
            model_override: None,
            default_model: None,
            set: vec![],
        }
    }

    fn rec(offset: f64, model: &str, status: u16, stream: bool) -> String {
        json!({
            "ts": "2026-01-01T00:00:00Z", "offset_ms": offset, "provider": "openai", "url": "u",
            "model": format!("{model}-2024"), "status": status, "id": format!("r{offset}"),
            "request": {"model": model, "stream": stream, "temperature": 0.0, "messages": []},
        })
        .to_string()
    }

    fn plan_of(text: &str, opts: &PlanOptions) -> Plan {
        let (_, items) = open(std::io::Cursor::new(text.as_bytes().to_vec()), None, None).unwrap();
        build(items, opts, || Synthesizer::new(Encoding::O200kBase, 7)).unwrap()
    }

    #[test]
    fn requests_are_sorted_by_offset_and_rebased_to_zero() {
        let text = [rec(300.0, "a", 200, false), rec(100.0, "b", 200, false), rec(200.0, "c", 500, false)]
            .join("\n");
        let p = plan_of(&text, &opts());
        let offs: Vec<_> = p.requests.iter().map(|r| r.offset_ms).collect();
        assert_eq!(offs, [Some(0.0), Some(100.0), Some(200.0)]);
        assert_eq!(p.requests.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 1]);
        assert_eq!(p.requests.iter().map(|r| r.index).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn speed_scales_and_fast_drops_timing() {
        let text = [rec(0.0, "a", 200, false), rec(1000.0, "a", 200, false)].join("\n");
        let p = plan_of(&text, &PlanOptions { pace: Pace::Speed(10.0), ..opts() });
        assert_eq!(p.requests[1].due_ms, 100.0);
        let p = plan_of(&text, &PlanOptions { pace: Pace::Speed(0.5), ..opts() });
        assert_eq!(p.requests[1].due_ms, 2000.0);
        let p = plan_of(&text, &PlanOptions { pace: Pace::Fast, ..opts() });
        assert_eq!(p.requests[1].due_ms, 0.0);
        assert_eq!(p.requests[1].offset_ms, Some(1000.0), "the original offset is kept for reports");
    }

    #[test]
    fn filters_match_models_status_and_body_fields() {
        let text = [
            rec(0.0, "gpt-4o", 200, true),
            rec(1.0, "gpt-4o-mini", 429, false),
            rec(2.0, "claude", 200, false),
        ]
        .join("\n");
        let ids = |filters: &[&str]| {
            let filters = filters.iter().map(|f| Filter::parse(f).unwrap()).collect();
            let p = plan_of(&text, &PlanOptions { filters, ..opts() });
            (p.requests.iter().map(|r| r.line).collect::<Vec<_>>(), p.filtered_out)
        };
        assert_eq!(ids(&["model=gpt-4o*"]), (vec![1, 2], 1));
        assert_eq!(ids(&["model=gpt-4o"]), (vec![1], 2));
        assert_eq!(ids(&["model=claude-2024"]), (vec![3], 2), "the answering model counts too");
        assert_eq!(ids(&["status=200"]), (vec![1, 3], 1));
        assert_eq!(ids(&["ok=false"]), (vec![2], 2));
        assert_eq!(ids(&["stream=true"]), (vec![1], 2));
        assert_eq!(ids(&["temperature=0"]), (vec![1, 2, 3], 0), "0.0 reads as 0");
        assert_eq!(ids(&["model!=gpt-*", "status=200"]), (vec![3], 2));
        assert_eq!(ids(&["nosuchfield=x"]), (vec![], 3));
        assert!(Filter::parse("model").is_err());
        assert!(Filter::parse("=x").is_err());
    }

    #[test]
    fn limit_counts_selected_items_in_file_order() {
        let text =
            [rec(5.0, "a", 200, false), rec(1.0, "b", 200, false), rec(0.0, "a", 200, false)].join("\n");
        let filters = vec![Filter::parse("model=a").unwrap()];
        let p = plan_of(&text, &PlanOptions { filters, limit: Some(1), ..opts() });
        assert_eq!(p.requests.len(), 1);
        assert_eq!(p.requests[0].line, 1);
    }

    #[test]
    fn model_override_and_set_rewrite_every_body() {
        let text = [rec(0.0, "a", 200, false), rec(1.0, "b", 200, false)].join("\n");
        let set = vec![
            SetField::parse("temperature=0.7").unwrap(),
            SetField::parse("response_format.type=json_object").unwrap(),
            SetField::parse("user=alice").unwrap(),
            SetField::parse("stop=[\"\\n\"]").unwrap(),
        ];
        let p = plan_of(&text, &PlanOptions { model_override: Some("new".into()), set, ..opts() });
        for r in &p.requests {
            assert_eq!(r.body["model"], "new");
            assert_eq!(r.body["temperature"], 0.7);
            assert_eq!(r.body["response_format"], json!({"type": "json_object"}));
            assert_eq!(r.body["user"], "alice");
            assert_eq!(r.body["stop"], json!(["\n"]));
        }
        assert!(SetField::parse("novalue").is_err());
        assert!(SetField::parse("a..b=1").is_err());
    }

    #[test]
    fn traces_get_synthesized_prompts_and_need_a_model() {
        let text = "{\"timestamp\": 0, \"input_length\": 57, \"output_length\": 9}\n\
                    {\"timestamp\": 40, \"input_length\": 20, \"output_length\": 3, \"hash_ids\": [1]}\n";
        let (_, items) = open(std::io::Cursor::new(text.as_bytes().to_vec()), None, None).unwrap();
        let err = build(items, &opts(), || Synthesizer::new(Encoding::O200kBase, 7)).unwrap_err();
        assert!(err.to_string().contains("-m MODEL"));
        assert_eq!(crate::error::exit_code_for(&err), 2);

        let p = plan_of(text, &PlanOptions { default_model: Some("gpt-4o-mini".into()), ..opts() });
        let r = &p.requests[0];
        assert_eq!(r.body["model"], "gpt-4o-mini");
        assert_eq!(r.body["max_tokens"], 9);
        assert_eq!(r.trace_tokens, Some((57, 9)));
        let content = r.body["messages"][0]["content"].as_str().unwrap();
        assert_eq!(Encoding::O200kBase.count(content), 50);
        let counted = crate::tokenize::count_chat_request(Encoding::O200kBase, &r.body);
        assert_eq!(counted.prompt_tokens, 57, "the server's prompt count is the trace's");
        assert_eq!(counted.max_output_tokens, Some(9));
        assert_eq!(p.requests[1].due_ms, 40.0);
    }

    #[test]
    fn recordings_never_build_a_synthesizer() {
        let text = rec(0.0, "a", 200, false);
        let (_, items) = open(std::io::Cursor::new(text.into_bytes()), None, None).unwrap();
        let p = build(items, &opts(), || anyhow::bail!("must not be called")).unwrap();
        assert_eq!(p.requests.len(), 1);
    }

    #[test]
    fn bad_lines_are_kept_for_the_report() {
        let text = format!("{}\nnot json\n{}", rec(0.0, "a", 200, false), rec(1.0, "a", 200, false));
        let p = plan_of(&text, &opts());
        assert_eq!(p.requests.len(), 2);
        assert_eq!(p.bad_lines.len(), 1);
        assert_eq!(p.bad_lines[0].line, 2);
    }
}
