//! The embedded server over real HTTP on 127.0.0.1: wire format, every knob, rate limits,
//! each fault kind, auth and bad requests; plus the `llmkit serve` binary itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use llmkit::mock::{self, FailKind, FaultPlan, MockConfig, MockServer, WeightedKind};
use llmkit::tokenize::Encoding;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn server(config: MockConfig) -> MockServer {
    mock::start(config).await.unwrap()
}

fn hello() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]})
}

async fn post(s: &MockServer, path: &str, body: &Value) -> reqwest::Response {
    client().post(format!("{}{path}", s.url())).json(body).send().await.unwrap()
}

async fn chat(s: &MockServer, body: &Value) -> (u16, Value) {
    let resp = post(s, "/v1/chat/completions", body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn content(v: &Value) -> String {
    v["choices"][0]["message"]["content"].as_str().unwrap().to_string()
}

/// SSE events as (event name, data) pairs.
fn sse_events(text: &str) -> Vec<(Option<String>, String)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = Some(e.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            (event, data)
        })
        .collect()
}

fn with(edit: impl FnOnce(&mut MockConfig)) -> MockConfig {
    let mut c = MockConfig::default();
    edit(&mut c);
    c
}

fn faulty(kind: FailKind) -> MockConfig {
    with(|c| c.faults = FaultPlan { rate: 1.0, kinds: vec![WeightedKind { kind, weight: 1 }] })
}

// ---------------------------------------------------------------------------------------------
// Wire format

#[tokio::test]
async fn completion_has_openai_shape_and_exact_usage() {
    let s = server(MockConfig::default()).await;
    let (status, v) = chat(&s, &hello()).await;
    assert_eq!(status, 200);
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(v["model"], "gpt-4o-mini");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let text = content(&v);
    assert_eq!(v["usage"]["completion_tokens"], 16);
    assert_eq!(Encoding::O200kBase.count(&text), 16, "{text}");
    // Cookbook count of one "Hello!" user message.
    assert_eq!(v["usage"]["prompt_tokens"], 9);
    assert_eq!(v["usage"]["total_tokens"], 25);
}

#[tokio::test]
async fn reply_length_follows_reply_tokens_and_max_tokens() {
    let s = server(with(|c| c.reply_tokens = 40)).await;
    let (_, v) = chat(&s, &hello()).await;
    assert_eq!(Encoding::O200kBase.count(&content(&v)), 40);
    assert_eq!(v["choices"][0]["finish_reason"], "stop");

    let mut body = hello();
    body["max_tokens"] = json!(5);
    let (_, cut) = chat(&s, &body).await;
    assert_eq!(cut["usage"]["completion_tokens"], 5);
    assert_eq!(Encoding::O200kBase.count(&content(&cut)), 5);
    assert_eq!(cut["choices"][0]["finish_reason"], "length");
    assert!(content(&v).starts_with(&content(&cut)), "a cut reply is a prefix of the whole one");

    body["max_completion_tokens"] = json!(3);
    let (_, v3) = chat(&s, &body).await;
    assert_eq!(v3["usage"]["completion_tokens"], 3);

    // max_tokens above the natural length does not lengthen the reply.
    body = hello();
    body["max_tokens"] = json!(1000);
    let (_, long) = chat(&s, &body).await;
    assert_eq!(long["usage"]["completion_tokens"], 40);
    assert_eq!(long["choices"][0]["finish_reason"], "stop");

    // A cl100k model: the counts are exact in its encoding too.
    body = hello();
    body["model"] = json!("gpt-4");
    let (_, v4) = chat(&s, &body).await;
    assert_eq!(Encoding::Cl100kBase.count(&content(&v4)), 40);
}

#[tokio::test]
async fn replies_are_deterministic_per_seed() {
    let a = server(with(|c| c.seed = 7)).await;
    let b = server(with(|c| c.seed = 7)).await;
    let other = server(with(|c| c.seed = 8)).await;
    let text_a = content(&chat(&a, &hello()).await.1);
    assert_eq!(text_a, content(&chat(&a, &hello()).await.1), "same server, same request");
    assert_eq!(text_a, content(&chat(&b, &hello()).await.1), "same seed, other server");
    assert_ne!(text_a, content(&chat(&other, &hello()).await.1), "other seed");
    let mut different = hello();
    different["messages"][0]["content"] = json!("Hello?");
    assert_ne!(text_a, content(&chat(&a, &different).await.1), "other prompt");
}

#[tokio::test]
async fn stream_is_openai_sse_without_usage_by_default() {
    let s = server(MockConfig::default()).await;
    let mut body = hello();
    body["stream"] = json!(true);
    let resp = post(&s, "/v1/chat/completions", &body).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let text = resp.text().await.unwrap();
    let events = sse_events(&text);
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> =
        events[..events.len() - 1].iter().map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    assert_eq!(chunks.len(), 1 + 16 + 1, "role chunk, one chunk per token, finish chunk");
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert!(c.get("usage").is_none(), "no usage field without include_usage");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let pieces: Vec<&str> =
        chunks[1..17].iter().map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap()).collect();
    for p in &pieces {
        assert_eq!(Encoding::O200kBase.count(p), 1, "one token per chunk: {p:?}");
    }
    assert_eq!(chunks[17]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[17]["choices"][0]["delta"], json!({}));
    // The stream says the same as the plain answer.
    assert_eq!(pieces.concat(), content(&chat(&s, &hello()).await.1));
}

#[tokio::test]
async fn include_usage_adds_a_final_usage_chunk() {
    let s = server(MockConfig::default()).await;
    let mut body = hello();
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    body["max_tokens"] = json!(4);
    let text = post(&s, "/v1/chat/completions", &body).await.text().await.unwrap();
    let events = sse_events(&text);
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> =
        events[..events.len() - 1].iter().map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    let (usage_chunk, rest) = chunks.split_last().unwrap();
    for c in rest {
        assert!(c["usage"].is_null() && c.get("usage").is_some(), "usage: null on earlier chunks");
    }
    assert_eq!(rest.last().unwrap()["choices"][0]["finish_reason"], "length");
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["completion_tokens"], 4);
    assert_eq!(usage_chunk["usage"]["prompt_tokens"], 9);
}

#[tokio::test]
async fn models_and_embeddings() {
    let s = server(MockConfig::default()).await;
    let v: Value =
        client().get(format!("{}/models", s.openai_base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["object"], "list");
    assert!(v["data"].as_array().unwrap().iter().any(|m| m["id"] == "gpt-4o-mini"));
    let one: Value = client()
        .get(format!("{}/models/my-model", s.openai_base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], "my-model");

    let body = json!({"model": "text-embedding-3-small", "input": ["hello world", "other"], "dimensions": 8});
    let v: Value = post(&s, "/v1/embeddings", &body).await.json().await.unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let floats: Vec<f32> =
        v["data"][0]["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
    assert_eq!(floats.len(), 8);
    assert_eq!(v["usage"]["prompt_tokens"], 3);
    // base64 carries the same little-endian f32 values.
    let mut b64 = body.clone();
    b64["encoding_format"] = json!("base64");
    let v: Value = post(&s, "/v1/embeddings", &b64).await.json().await.unwrap();
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = raw.chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(decoded, floats);
    let bad = post(&s, "/v1/embeddings", &json!({"model": "m", "input": []})).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn anthropic_clients_get_anthropic_model_listings() {
    let s = server(with(|c| c.require_key = Some("sk-ant-test".into()))).await;
    let get = |path: &str| {
        client()
            .get(format!("{}{path}", s.anthropic_base_url()))
            .header("x-api-key", "sk-ant-test")
            .header("anthropic-version", "2023-06-01")
            .send()
    };
    let page: Value = get("/v1/models").await.unwrap().json().await.unwrap();
    let data = page["data"].as_array().unwrap();
    assert!(data
        .iter()
        .all(|m| m["type"] == "model" && m["display_name"].is_string() && m["lifecycle"] == "active"));
    assert_eq!(page["has_more"], false);
    assert_eq!(page["first_id"], data[0]["id"]);
    assert_eq!(page["last_id"], data[data.len() - 1]["id"]);
    assert!(page.get("object").is_none(), "not the OpenAI shape: {page}");
    let one: Value = get("/v1/models/claude-anything").await.unwrap().json().await.unwrap();
    assert_eq!(one["id"], "claude-anything");
    assert_eq!(one["type"], "model");
    // A wrong key gets Anthropic's error shape.
    let bad = client()
        .get(format!("{}/v1/models", s.anthropic_base_url()))
        .header("x-api-key", "nope")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let err: Value = bad.json().await.unwrap();
    assert_eq!(err["type"], "error");
    assert_eq!(err["error"]["type"], "authentication_error");
}

#[tokio::test]
async fn n_other_than_one_is_refused_naming_the_field() {
    let s = server(MockConfig::default()).await;
    let mut body = hello();
    body["n"] = json!(1);
    assert_eq!(chat(&s, &body).await.0, 200);
    for n in [0, 3] {
        body["n"] = json!(n);
        let (status, v) = chat(&s, &body).await;
        assert_eq!(status, 400, "n={n}: {v}");
        assert_eq!(v["error"]["param"], "n");
    }
}

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let s = server(MockConfig::default()).await;
    let resp = client().get(format!("{}/v1/nothing", s.url())).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    let resp = client().get(format!("{}/v1/chat/completions", s.url())).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let v: Value = resp.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("GET"));
}

// ---------------------------------------------------------------------------------------------
// Anthropic

fn claude(max_tokens: u64, stream: bool) -> Value {
    json!({"model": "claude-sonnet-4", "max_tokens": max_tokens, "stream": stream,
           "system": "Be brief.", "messages": [{"role": "user", "content": "Hello!"}]})
}

#[tokio::test]
async fn anthropic_message_shape() {
    let s = server(MockConfig::default()).await;
    let resp = post(&s, "/v1/messages", &claude(1024, false)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("request-id"));
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["stop_reason"], "end_turn");
    let text = v["content"][0]["text"].as_str().unwrap();
    assert_eq!(v["content"][0]["type"], "text");
    assert_eq!(v["usage"]["output_tokens"], 16);
    assert_eq!(Encoding::O200kBase.count(text), 16);
    let short: Value = post(&s, "/v1/messages", &claude(3, false)).await.json().await.unwrap();
    assert_eq!(short["stop_reason"], "max_tokens");
    assert_eq!(short["usage"]["output_tokens"], 3);
}

#[tokio::test]
async fn anthropic_stream_event_order() {
    let s = server(MockConfig::default()).await;
    let text = post(&s, "/v1/messages", &claude(5, true)).await.text().await.unwrap();
    let events = sse_events(&text);
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_deref().unwrap()).collect();
    let mut expected = vec!["message_start", "content_block_start", "ping"];
    expected.extend(["content_block_delta"; 5]);
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, expected);
    let data: Vec<Value> = events.iter().map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    for ((name, _), d) in events.iter().zip(&data) {
        assert_eq!(d["type"].as_str(), name.as_deref(), "event name matches data type");
    }
    // 3 primer + system (3 + "Be brief.") + user message (3 + "user" 1 + "Hello!" 2).
    let input = 3 + 3 + Encoding::O200kBase.count("Be brief.") as u64 + 6;
    assert_eq!(data[0]["message"]["usage"]["input_tokens"], input);
    let streamed: String = data[3..8].iter().map(|d| d["delta"]["text"].as_str().unwrap()).collect();
    assert_eq!(data[3]["delta"]["type"], "text_delta");
    assert_eq!(data[9]["delta"]["stop_reason"], "max_tokens");
    assert_eq!(data[9]["usage"]["output_tokens"], 5);
    let plain: Value = post(&s, "/v1/messages", &claude(5, false)).await.json().await.unwrap();
    assert_eq!(streamed, plain["content"][0]["text"].as_str().unwrap());
}

#[tokio::test]
async fn anthropic_requires_max_tokens() {
    let s = server(MockConfig::default()).await;
    let resp =
        post(&s, "/v1/messages", &json!({"model": "c", "messages": [{"role": "user", "content": "x"}]}))
            .await;
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("max_tokens"));
}

// ---------------------------------------------------------------------------------------------
// Latency knobs

/// Arrival time of each content-carrying chunk of a streamed completion.
async fn content_arrivals(s: &MockServer, tokens: u64) -> (Duration, Vec<Duration>) {
    let mut body = hello();
    body["stream"] = json!(true);
    body["max_tokens"] = json!(tokens);
    let t0 = Instant::now();
    let mut resp = post(s, "/v1/chat/completions", &body).await;
    let headers_at = t0.elapsed();
    let mut arrivals = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        let at = t0.elapsed();
        let n = String::from_utf8_lossy(&chunk).matches("\"content\":\"").count();
        // The role chunk carries `"content":""`: not output.
        let empty = String::from_utf8_lossy(&chunk).matches("\"content\":\"\"").count();
        for _ in 0..(n - empty) {
            arrivals.push(at);
        }
    }
    (headers_at, arrivals)
}

#[tokio::test]
async fn ttft_and_itl_pace_the_stream() {
    let s = server(with(|c| {
        c.ttft = Duration::from_millis(60);
        c.itl = Duration::from_millis(20);
    }))
    .await;
    // A loaded machine can only make things late, never early. So the lower bounds (which
    // catch a mock that ignores its knobs) hold on every attempt, while the upper bounds and
    // the one-by-one check (which catch a burst or drift) must hold on one of three attempts:
    // a scheduling stall three times in a row would be a broken mock, not bad luck.
    let mut last = String::new();
    let mut paced = false;
    for _ in 0..3 {
        let (headers_at, arrivals) = content_arrivals(&s, 5).await;
        assert_eq!(arrivals.len(), 5);
        // Token i is due at ttft + i * itl from the start (absolute deadlines: a late token
        // does not push the later ones back), and never earlier.
        for (i, at) in arrivals.iter().enumerate() {
            let due = Duration::from_millis(60 + 20 * i as u64);
            assert!(*at >= due, "token {i} at {at:?}, due {due:?}");
        }
        let on_time =
            arrivals.iter().enumerate().all(|(i, at)| *at < Duration::from_millis(60 + 20 * i as u64 + 50));
        // One by one, not in one burst at the end.
        let spread = arrivals[4] - arrivals[0] >= Duration::from_millis(60);
        if headers_at < Duration::from_millis(50) && on_time && spread {
            paced = true;
            break;
        }
        last = format!("headers at {headers_at:?}, tokens at {arrivals:?}");
    }
    assert!(paced, "three attempts late or bunched; the last: {last}");

    // Not streamed: the answer comes after the whole generation time (never before it).
    let mut body = hello();
    body["max_tokens"] = json!(5);
    let whole = Duration::from_millis(60 + 4 * 20);
    let mut took = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let (status, _) = chat(&s, &body).await;
        assert_eq!(status, 200);
        let t = t0.elapsed();
        assert!(t >= whole, "{t:?}");
        took.push(t);
        if t < whole + Duration::from_millis(50) {
            break;
        }
    }
    assert!(took.iter().any(|t| *t < whole + Duration::from_millis(50)), "{took:?}");
}

#[tokio::test]
async fn jitter_stays_within_its_fraction() {
    let s = server(with(|c| {
        c.ttft = Duration::from_millis(40);
        c.jitter = 0.5;
        c.reply_tokens = 1;
    }))
    .await;
    let mut took = Vec::new();
    for _ in 0..8 {
        let t0 = Instant::now();
        let (status, _) = chat(&s, &hello()).await;
        assert_eq!(status, 200);
        took.push(t0.elapsed());
    }
    for t in &took {
        assert!(*t >= Duration::from_millis(40), "{t:?}");
        assert!(*t < Duration::from_millis(60 + 100), "{t:?}");
    }
    // Uniform extra in [0, 20ms): eight draws all under 1ms would mean no jitter at all.
    assert!(took.iter().any(|t| *t > Duration::from_millis(41)), "{took:?}");
}

#[tokio::test]
async fn zero_knobs_answer_at_once() {
    let s = server(MockConfig::default()).await;
    let c = client();
    let url = format!("{}/v1/chat/completions", s.url());
    // Warm the connection, then time a few requests.
    c.post(&url).json(&hello()).send().await.unwrap().bytes().await.unwrap();
    let t0 = Instant::now();
    for _ in 0..20 {
        c.post(&url).json(&hello()).send().await.unwrap().bytes().await.unwrap();
    }
    assert!(t0.elapsed() < Duration::from_millis(500), "{:?}", t0.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Rate limits

#[tokio::test]
async fn rpm_600_refuses_the_eleventh_request_in_the_same_second() {
    let s = server(with(|c| c.rpm = Some(600))).await;
    let c = client();
    let url = format!("{}/v1/chat/completions", s.url());
    let t0 = Instant::now();
    for i in 0..10u64 {
        let resp = c.post(&url).json(&hello()).send().await.unwrap();
        assert_eq!(resp.status(), 200, "request {}", i + 1);
        let h = resp.headers();
        assert_eq!(h["x-ratelimit-limit-requests"], "600");
        let remaining: u64 = h["x-ratelimit-remaining-requests"].to_str().unwrap().parse().unwrap();
        assert!(remaining <= 9 - i + 1, "request {}: remaining {remaining}", i + 1);
        assert!(h.contains_key("x-ratelimit-reset-requests"));
        assert!(!h.contains_key("x-ratelimit-limit-tokens"), "no token limit configured");
    }
    let resp = c.post(&url).json(&hello()).send().await.unwrap();
    let elapsed = t0.elapsed();
    assert!(elapsed < Duration::from_secs(1), "the test must run within one second: {elapsed:?}");
    assert_eq!(resp.status(), 429);
    let h = resp.headers().clone();
    assert_eq!(h["retry-after"], "1");
    let ms: u64 = h["retry-after-ms"].to_str().unwrap().parse().unwrap();
    assert!((1..=100).contains(&ms), "one request refills in 100ms: {ms}");
    assert_eq!(h["x-ratelimit-remaining-requests"], "0");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "requests");
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
    assert!(v["error"]["param"].is_null());
    // Waiting as told is enough.
    tokio::time::sleep(Duration::from_millis(ms)).await;
    assert_eq!(c.post(&url).json(&hello()).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn tpm_bucket_charges_prompt_plus_max_tokens() {
    // 6000 TPM: a 100-token bucket. Each request: 9 prompt + 40 max_tokens = 49.
    let s = server(with(|c| c.tpm = Some(6000))).await;
    let mut body = hello();
    body["max_tokens"] = json!(40);
    let first = post(&s, "/v1/chat/completions", &body).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-limit-tokens"], "6000");
    let remaining: u64 = first.headers()["x-ratelimit-remaining-tokens"].to_str().unwrap().parse().unwrap();
    assert!((51..=53).contains(&remaining), "{remaining}");
    assert_eq!(post(&s, "/v1/chat/completions", &body).await.status(), 200);
    let third = post(&s, "/v1/chat/completions", &body).await;
    assert_eq!(third.status(), 429);
    let ms: u64 = third.headers()["retry-after-ms"].to_str().unwrap().parse().unwrap();
    assert!((400..=480).contains(&ms), "47 tokens missing at 100/s: {ms}");
    let v: Value = third.json().await.unwrap();
    assert_eq!(v["error"]["type"], "tokens");
    // A malformed request is refused with 400 before admission, still with the headers.
    let bad = post(&s, "/v1/chat/completions", &json!({"model": "m"})).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["x-ratelimit-limit-tokens"], "6000");
}

#[tokio::test]
async fn anthropic_rate_limits_use_anthropic_headers_and_errors() {
    let s = server(with(|c| {
        c.rpm = Some(60);
        c.tpm = Some(600_000);
    }))
    .await;
    let ok = post(&s, "/v1/messages", &claude(10, false)).await;
    assert_eq!(ok.status(), 200);
    let h = ok.headers();
    assert_eq!(h["anthropic-ratelimit-requests-limit"], "60");
    assert_eq!(h["anthropic-ratelimit-requests-remaining"], "0");
    assert_eq!(h["anthropic-ratelimit-tokens-limit"], "600000");
    let reset = h["anthropic-ratelimit-requests-reset"].to_str().unwrap();
    assert!(reset.ends_with('Z') && reset.contains('T'), "RFC 3339: {reset}");
    let refused = post(&s, "/v1/messages", &claude(10, false)).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    let v: Value = refused.json().await.unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "rate_limit_error");
}

// ---------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn injected_statuses_carry_real_error_bodies() {
    for code in [500u16, 502, 504] {
        let s = server(faulty(FailKind::Status(code))).await;
        let resp = post(&s, "/v1/chat/completions", &hello()).await;
        assert_eq!(resp.status().as_u16(), code);
        assert!(!resp.headers().contains_key("retry-after"));
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["type"], "server_error");
    }
    for code in [429u16, 503] {
        let s = server(faulty(FailKind::Status(code))).await;
        let resp = post(&s, "/v1/chat/completions", &hello()).await;
        assert_eq!(resp.status().as_u16(), code);
        assert_eq!(resp.headers()["retry-after"], "1");
        assert_eq!(resp.headers()["retry-after-ms"], "100");
    }
    let s = server(faulty(FailKind::Status(529))).await;
    let resp = post(&s, "/v1/messages", &claude(5, false)).await;
    assert_eq!(resp.status().as_u16(), 529);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let s = server(faulty(FailKind::Drop)).await;
    let err =
        client().post(format!("{}/v1/chat/completions", s.url())).json(&hello()).send().await.unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    assert!(err.status().is_none(), "no HTTP status was received: {err:?}");
    // And on a raw socket: the connection ends with zero bytes.
    let addr = s.addr();
    let got = tokio::task::spawn_blocking(move || {
        let mut sock = std::net::TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let body = r#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#;
        write!(
            sock,
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut buf = Vec::new();
        let r = sock.read_to_end(&mut buf);
        (r.is_ok() || r.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset), buf.len())
    })
    .await
    .unwrap();
    assert_eq!(got, (true, 0));
}

#[tokio::test]
async fn cut_streams_stop_before_done() {
    let s = server(with(|c| {
        c.reply_tokens = 20;
        c.faults = FaultPlan { rate: 1.0, kinds: vec![WeightedKind { kind: FailKind::Cut, weight: 1 }] };
    }))
    .await;
    let mut body = hello();
    body["stream"] = json!(true);
    let mut resp = post(&s, "/v1/chat/completions", &body).await;
    assert_eq!(resp.status(), 200);
    let mut received = Vec::new();
    let err = loop {
        match resp.chunk().await {
            Ok(Some(c)) => received.extend_from_slice(&c),
            Ok(None) => panic!("the stream ended cleanly: {}", String::from_utf8_lossy(&received)),
            Err(e) => break e,
        }
    };
    assert!(err.is_body() || err.is_decode() || err.is_request(), "{err:?}");
    let text = String::from_utf8_lossy(&received);
    assert!(!text.contains("[DONE]"));
    let tokens = text.matches("\"content\":\"").count() - 1;
    assert!((5..=15).contains(&tokens), "about half the tokens arrived: {tokens}");
}

#[tokio::test]
async fn cut_bodies_are_truncated() {
    let s = server(faulty(FailKind::Cut)).await;
    let resp = post(&s, "/v1/chat/completions", &hello()).await;
    assert_eq!(resp.status(), 200);
    let announced: usize = resp.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(announced > 100);
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_body() || err.is_decode() || err.is_request(), "{err:?}");
    // Anthropic streams are cut too.
    let resp = post(&s, "/v1/messages", &claude(20, true)).await;
    assert!(resp.text().await.is_err());
}

#[tokio::test]
async fn hang_never_answers_so_the_client_times_out() {
    let s = server(faulty(FailKind::Hang)).await;
    let c = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(200)).build().unwrap();
    let t0 = Instant::now();
    let err = c.post(format!("{}/v1/chat/completions", s.url())).json(&hello()).send().await.unwrap_err();
    let took = t0.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(took >= Duration::from_millis(200) && took < Duration::from_millis(600), "{took:?}");
    // The server itself still answers other routes, and stops promptly despite the hang.
    let models = client().get(format!("{}/v1/models", s.url())).send().await.unwrap();
    assert_eq!(models.status(), 200);
    let t0 = Instant::now();
    drop(s);
    assert!(t0.elapsed() < Duration::from_millis(100));
}

#[tokio::test]
async fn fail_rate_draws_the_same_failures_for_the_same_seed() {
    let config = with(|c| {
        c.seed = 3;
        c.faults = FaultPlan {
            rate: 0.5,
            kinds: vec![
                WeightedKind { kind: FailKind::Status(500), weight: 1 },
                WeightedKind { kind: FailKind::Status(503), weight: 1 },
            ],
        };
    });
    let mut runs = Vec::new();
    for _ in 0..2 {
        let s = server(config.clone()).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(post(&s, "/v1/chat/completions", &hello()).await.status().as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    let failed = runs[0].iter().filter(|s| **s != 200).count();
    assert!((5..=25).contains(&failed), "{:?}", runs[0]);
    assert!(runs[0].contains(&500) && runs[0].contains(&503), "{:?}", runs[0]);
}

// ---------------------------------------------------------------------------------------------
// Auth and bad requests

#[tokio::test]
async fn require_key_accepts_three_headers_and_refuses_the_rest() {
    let s = server(with(|c| c.require_key = Some("sk-test-1".into()))).await;
    let url = format!("{}/v1/chat/completions", s.url());
    let c = client();
    for (name, value) in
        [("authorization", "Bearer sk-test-1"), ("x-api-key", "sk-test-1"), ("api-key", "sk-test-1")]
    {
        let resp = c.post(&url).header(name, value).json(&hello()).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{name}");
    }
    let resp = c.post(&url).json(&hello()).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert_eq!(v["error"]["code"], "invalid_api_key");
    let resp = c.post(&url).bearer_auth("sk-wrong").json(&hello()).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let text = resp.text().await.unwrap();
    assert!(!text.contains("sk-wrong") && !text.contains("sk-test-1"), "keys are never echoed: {text}");
    let resp = c.get(format!("{}/v1/models", s.url())).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = c.post(format!("{}/v1/messages", s.url())).json(&claude(5, false)).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "authentication_error");
}

#[tokio::test]
async fn bad_requests_get_400_naming_the_field() {
    let s = server(MockConfig::default()).await;
    let url = format!("{}/v1/chat/completions", s.url());
    let c = client();
    let cases: [(&str, Option<&str>); 9] = [
        ("{not json", None),
        ("", None),
        (r#"{"model":"m"}"#, Some("messages")),
        (r#"{"model":"m","messages":[]}"#, Some("messages")),
        (r#"{"model":"m","messages":"hi"}"#, Some("messages")),
        (r#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, Some("messages[0].role")),
        (r#"{"model":"m","messages":[{"role":"user","content":{"a":1}}]}"#, Some("messages[0].content")),
        (r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-1}"#, Some("max_tokens")),
        (r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}"#, Some("max_tokens")),
    ];
    for (body, param) in cases {
        let resp = c.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(v["error"]["param"].as_str(), param, "{body}: {}", v["error"]["message"]);
    }
    // Unknown fields are accepted, as the real API does.
    let mut extra = hello();
    extra["frobnicate"] = json!({"level": 11});
    extra["messages"][0]["weird"] = json!(true);
    assert_eq!(chat(&s, &extra).await.0, 200);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

#[tokio::test]
async fn shutdown_stops_listening() {
    let s = server(MockConfig::default()).await;
    let addr = s.addr();
    assert_eq!(chat(&s, &hello()).await.0, 200);
    s.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn threaded_mock_serves_synchronous_callers() {
    let m = mock::spawn_thread(MockConfig::default()).unwrap();
    assert!(m.openai_base_url().ends_with("/v1"));
    assert_eq!(m.anthropic_base_url(), m.url());
    let response = http_get(m.addr(), "/v1/models");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let addr = m.addr();
    drop(m);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(sock, "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    sock.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_binary_starts_answers_and_stops_on_sigterm() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("llmkit"))
        .args(["serve", "--addr", "127.0.0.1:0", "--seed", "4"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    assert!(http_get(addr, "/v1/models").starts_with("HTTP/1.1 200"));
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn serve_rejects_bad_knobs_with_exit_2() {
    for args in
        [&["--fail-rate", "2"][..], &["--jitter", "3"], &["--fail-kinds", "teapot"], &["--ttft", "soon"]]
    {
        assert_cmd::Command::cargo_bin("llmkit")
            .unwrap()
            .arg("serve")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(args[0]));
    }
}
