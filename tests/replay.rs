//! `llmkit replay` and `llmkit serve --replay`, over real HTTP on 127.0.0.1.
//!
//! Recordings here come from the embedded mock: either written by the engine itself
//! (`--record`), or, for the server-side tests, assembled in the recording format from the
//! mock's real answers.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use llmkit::mock::replay::{self, ReplayConfig, ReplayLatency};
use llmkit::mock::{self, MockConfig, MockServer};
use llmkit::usage::{LedgerLine, Usage};
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn ask(content: &str) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]})
}

/// Send `body` to the mock and write the exchange as a recording line.
async fn record_from_mock(mock: &MockServer, body: &Value, offset_ms: f64, latency_ms: f64) -> LedgerLine {
    let resp: Value = client()
        .post(format!("{}/chat/completions", mock.openai_base_url()))
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let usage = Usage {
        input_tokens: resp["usage"]["prompt_tokens"].as_u64().unwrap(),
        output_tokens: resp["usage"]["completion_tokens"].as_u64().unwrap(),
        ..Usage::default()
    };
    LedgerLine {
        ts: "2026-01-01T00:00:00.000Z".into(),
        offset_ms: Some(offset_ms),
        provider: "openai".into(),
        url: format!("{}/chat/completions", mock.openai_base_url()),
        model: "gpt-4o-mini".into(),
        status: Some(200),
        usage: Some(usage),
        latency_ms: Some(latency_ms),
        ttft_ms: Some(latency_ms / 2.0),
        request: Some(body.clone()),
        response: Some(resp),
        ..LedgerLine::default()
    }
}

fn write_recording(path: &Path, lines: &[LedgerLine]) {
    let text: String = lines.iter().map(|l| serde_json::to_string(l).unwrap() + "\n").collect();
    std::fs::write(path, text).unwrap();
}

async fn serve(
    path: &Path,
    match_on: Option<&str>,
    latency: ReplayLatency,
    fallthrough: Option<&str>,
) -> MockServer {
    let config = ReplayConfig::new(path.to_path_buf(), match_on, latency, fallthrough).unwrap();
    let (state, bad) = replay::load(config).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    mock::bind_router("127.0.0.1:0", replay::router(Arc::new(state))).await.unwrap()
}

async fn post(server: &MockServer, body: &Value) -> (u16, String) {
    let resp = client()
        .post(format!("{}/chat/completions", server.openai_base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Content and usage of an SSE stream of chat chunks.
fn assemble_stream(text: &str) -> (String, Option<Value>) {
    let mut content = String::new();
    let mut usage = None;
    let mut done = false;
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let data = block.strip_prefix("data: ").unwrap();
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let chunk: Value = serde_json::from_str(data).unwrap();
        if let Some(c) = chunk["choices"][0]["delta"]["content"].as_str() {
            content.push_str(c);
        }
        if chunk["usage"].is_object() {
            usage = Some(chunk["usage"].clone());
        }
    }
    assert!(done, "stream must end with [DONE]");
    (content, usage)
}

#[tokio::test]
async fn serve_replay_answers_recorded_requests_identically_streaming_and_not() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let upstream = mock::start(MockConfig::default()).await.unwrap();
    let a = record_from_mock(&upstream, &ask("first question"), 0.0, 3.0).await;
    let b = record_from_mock(&upstream, &ask("second question"), 10.0, 3.0).await;
    write_recording(&rec, &[a.clone(), b.clone()]);
    drop(upstream);

    let server = serve(&rec, None, ReplayLatency::Zero, None).await;
    // Non-streaming: the recorded body, byte for byte (serde_json keeps the recorded key order).
    let (status, text) = post(&server, &ask("second question")).await;
    assert_eq!(status, 200);
    assert_eq!(text, serde_json::to_string(b.response.as_ref().unwrap()).unwrap());

    // Key order and whitespace do not matter; the stream flags do not either.
    let reordered: Value = serde_json::from_str(
        r#"{ "messages": [ {"content": "first question", "role": "user"} ], "model": "gpt-4o-mini",
             "stream": true, "stream_options": {"include_usage": true} }"#,
    )
    .unwrap();
    let (status, text) = post(&server, &reordered).await;
    assert_eq!(status, 200);
    let (content, usage) = assemble_stream(&text);
    let recorded = a.response.as_ref().unwrap();
    assert_eq!(content, recorded["choices"][0]["message"]["content"].as_str().unwrap());
    assert_eq!(usage.as_ref(), Some(&recorded["usage"]));
}

#[tokio::test]
async fn a_miss_is_a_404_naming_the_closest_recorded_request() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let upstream = mock::start(MockConfig::default()).await.unwrap();
    let mut lines = Vec::new();
    for (i, q) in ["what is the capital of france", "write a haiku about the sea"].iter().enumerate() {
        let mut l = record_from_mock(&upstream, &ask(q), i as f64, 1.0).await;
        l.id = Some(format!("req-{i}"));
        lines.push(l);
    }
    write_recording(&rec, &lines);
    let server = serve(&rec, None, ReplayLatency::Zero, None).await;
    let mut miss = ask("what is the capital of spain");
    miss["temperature"] = json!(0.5);
    let (status, text) = post(&server, &miss).await;
    assert_eq!(status, 404);
    let err: Value = serde_json::from_str(&text).unwrap();
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("line 1 (id req-0)"), "{msg}");
    assert!(msg.contains("differs in: messages, temperature"), "{msg}");
    assert_eq!(err["error"]["code"], "replay_miss");
    assert_eq!(err["error"]["type"], "invalid_request_error");

    // --match-on model: any prompt of the recorded model matches, in recorded order.
    let narrow = serve(&rec, Some("model"), ReplayLatency::Zero, None).await;
    let (status, first) = post(&narrow, &ask("anything")).await;
    assert_eq!(status, 200);
    let (_, second) = post(&narrow, &ask("else")).await;
    let first: Value = serde_json::from_str(&first).unwrap();
    let second: Value = serde_json::from_str(&second).unwrap();
    assert_eq!(&first, lines[0].response.as_ref().unwrap());
    assert_eq!(&second, lines[1].response.as_ref().unwrap());
}

#[tokio::test]
async fn recorded_latency_is_reproduced_and_zero_latency_is_immediate() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let upstream = mock::start(MockConfig::default()).await.unwrap();
    let line = record_from_mock(&upstream, &ask("slow one"), 0.0, 300.0).await;
    write_recording(&rec, &[line]);
    let recorded = serve(&rec, None, ReplayLatency::Recorded, None).await;
    let t = Instant::now();
    let (status, _) = post(&recorded, &ask("slow one")).await;
    assert_eq!(status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300), "{:?}", t.elapsed());

    let mut streaming = ask("slow one");
    streaming["stream"] = json!(true);
    let t = Instant::now();
    let resp = client()
        .post(format!("{}/chat/completions", recorded.openai_base_url()))
        .json(&streaming)
        .send()
        .await
        .unwrap();
    let mut resp = resp;
    let mut first_content = None;
    while let Some(chunk) = resp.chunk().await.unwrap() {
        if first_content.is_none() && String::from_utf8_lossy(&chunk).contains("\"content\":\"") {
            let s = String::from_utf8_lossy(&chunk).to_string();
            if !s.contains("\"content\":\"\"") {
                first_content = Some(t.elapsed());
            }
        }
    }
    let total = t.elapsed();
    let ttft = first_content.unwrap();
    assert!(ttft >= Duration::from_millis(150), "recorded ttft is 150 ms: {ttft:?}");
    assert!(total >= Duration::from_millis(300), "{total:?}");

    let zero = serve(&rec, None, ReplayLatency::Zero, None).await;
    let t = Instant::now();
    post(&zero, &ask("slow one")).await;
    assert!(t.elapsed() < Duration::from_millis(250), "{:?}", t.elapsed());
}

#[tokio::test]
async fn fallthrough_forwards_records_once_and_never_writes_keys() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("cassette.jsonl");
    std::fs::write(&rec, "").unwrap();
    let upstream =
        mock::start(MockConfig { require_key: Some("sk-upstream-secret".into()), ..MockConfig::default() })
            .await
            .unwrap();
    let upstream_url = upstream.openai_base_url();
    let server = serve(&rec, None, ReplayLatency::Zero, Some(&upstream_url)).await;

    let mut body = ask("record me once");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let send = |body: Value| {
        let url = format!("{}/chat/completions", server.openai_base_url());
        async move {
            let resp = client()
                .post(url)
                .header("authorization", "Bearer sk-upstream-secret")
                .json(&body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (status, text) = send(body.clone()).await;
    assert_eq!(status, 200, "{text}");
    let (content, usage) = assemble_stream(&text);
    assert!(!content.is_empty());
    let saved = std::fs::read_to_string(&rec).unwrap();
    assert_eq!(saved.lines().count(), 1);
    assert!(!saved.contains("sk-upstream-secret"), "keys are never recorded");
    let line: LedgerLine = serde_json::from_str(saved.lines().next().unwrap()).unwrap();
    assert_eq!(line.response.as_ref().unwrap()["choices"][0]["message"]["content"], content.as_str());
    assert_eq!(line.response.as_ref().unwrap()["usage"], usage.unwrap());

    // The upstream is gone: the same request is now answered from the cassette.
    drop(upstream);
    let (status, again) = send(body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(assemble_stream(&again).0, content);
    assert_eq!(std::fs::read_to_string(&rec).unwrap().lines().count(), 1, "a hit appends nothing");

    // A restarted server loads the appended exchange.
    let reloaded = serve(&rec, None, ReplayLatency::Zero, None).await;
    let (status, _) = post(&reloaded, &ask("record me once")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn recorded_failures_are_replayed_and_corrupt_lines_reported() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let failed = LedgerLine {
        ts: "2026-01-01T00:00:00Z".into(),
        provider: "openai".into(),
        url: "u".into(),
        model: "gpt-4o-mini".into(),
        status: Some(429),
        error: Some("rate_limited: slow down".into()),
        request: Some(ask("limited")),
        ..LedgerLine::default()
    };
    let text = format!("{}\n{{\"truncated\": ", serde_json::to_string(&failed).unwrap());
    std::fs::write(&rec, text).unwrap();
    let config = ReplayConfig::new(rec.clone(), None, ReplayLatency::Zero, None).unwrap();
    let (state, bad) = replay::load(config).unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 2);
    let server = mock::bind_router("127.0.0.1:0", replay::router(Arc::new(state))).await.unwrap();
    let (status, text) = post(&server, &ask("limited")).await;
    assert_eq!(status, 429);
    assert!(text.contains("slow down"), "{text}");
}
