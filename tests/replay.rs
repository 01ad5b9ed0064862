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

// ---------------------------------------------------------------------------------------------
// `llmkit replay` through the engine (assert_cmd)

use assert_cmd::Command as Cmd;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

fn llmkit() -> Cmd {
    // No user config, and ledgers (non-mock runs) written to a scratch place.
    let home = std::env::temp_dir().join("llmkit-replay-tests-home");
    let mut c = Cmd::cargo_bin("llmkit").unwrap();
    c.env_remove("LLMKIT_MODEL").env_remove("LLMKIT_PROFILE").env_remove("LLMKIT_CONFIG");
    c.env_remove("LLMKIT_LEDGER").env_remove("LLMKIT_PRICES").env_remove("OPENAI_BASE_URL");
    c.env("XDG_CONFIG_HOME", home.join("config")).env("XDG_DATA_HOME", home.join("data")).env("HOME", &home);
    c.env("LLMKIT_TEST_NO_BACKOFF", "1");
    c
}

fn batch_file(dir: &Path, n: usize) -> std::path::PathBuf {
    let path = dir.join("in.jsonl");
    let text: String = (0..n)
        .map(|i| {
            json!({"custom_id": format!("q{i}"), "body": ask(&format!("question number {i}"))}).to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// A recording made by the engine itself: the batch file replayed against the mock with
/// `--record` (chat/batch `--record` produce the same format through the same engine).
fn recording(dir: &Path, n: usize, extra: &[&str]) -> std::path::PathBuf {
    let input = batch_file(dir, n);
    let rec = dir.join("rec.jsonl");
    let mut cmd = llmkit();
    cmd.args(["replay", input.to_str().unwrap(), "--mock", "-q", "--format", "json", "--record"])
        .arg(&rec)
        .args(extra);
    cmd.assert().success();
    rec
}

fn replay_json(args: &[&str]) -> (i32, Value, String) {
    let out = llmkit().arg("replay").args(args).args(["--format", "json"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

#[test]
fn a_model_switch_between_two_mock_configurations_is_compared_and_gated() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path(), 6, &[]);
    let rec = rec.to_str().unwrap();

    // Same mock configuration: every output is equal, the gates pass.
    let (code, r, err) = replay_json(&[rec, "--mock", "--fail-on-change", "--fail-on-cost-increase", "0"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["outputs"]["compared"], 6);
    assert_eq!(r["outputs"]["equal_pct"], 100.0);
    assert_eq!(r["outputs"]["similarity"], 1.0);
    assert_eq!(r["old"]["output_tokens"], r["new"]["output_tokens"]);
    assert_eq!(r["cost_change_pct"], 0.0);

    // Another seed stands in for another model: outputs change.
    let (code, r, _) = replay_json(&[rec, "--mock", "--mock-seed", "7"]);
    assert_eq!(code, 0, "no gate, no failure");
    assert_eq!(r["outputs"]["equal_pct"], 0.0);
    assert!(r["outputs"]["similarity"].as_f64().unwrap() < 0.5);
    assert_eq!(r["changes"].as_array().unwrap().len(), 6);
    for key in ["mean", "p50", "p90", "p95", "p99", "max"] {
        assert!(r["new"]["e2e_ms"][key].is_number(), "{key}");
        assert!(r["old"]["e2e_ms"][key].is_number(), "{key}");
    }
    assert!(r["old"]["cost_usd"].is_number() && r["new"]["succeeded"] == 6);

    let (code, _, err) = replay_json(&[rec, "--mock", "--mock-seed", "7", "--fail-on-change"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("6 of 6 compared outputs changed"), "{err}");

    // Longer replies cost more: the cost gate trips; shorter ones pass it.
    let (code, r, err) =
        replay_json(&[rec, "--mock", "--mock-reply-tokens", "64", "--fail-on-cost-increase", "10"]);
    assert_eq!(code, 1, "{err}");
    assert!(r["cost_change_pct"].as_f64().unwrap() > 10.0);
    assert!(err.contains("cost went from"), "{err}");
    let (code, r, err) =
        replay_json(&[rec, "--mock", "--mock-reply-tokens", "4", "--fail-on-cost-increase", "10"]);
    assert_eq!(code, 0, "{err}");
    assert!(r["cost_change_pct"].as_f64().unwrap() < 0.0);

    // A model the price table does not know: the cost gate cannot decide (exit 2).
    let (code, _, err) =
        replay_json(&[rec, "--mock", "-m", "no-such-model-xyz", "--fail-on-cost-increase", "10"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-model-xyz"), "{err}");
}

#[test]
fn diffs_and_table_and_csv_reports() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path(), 2, &[]);
    let out = llmkit()
        .args(["replay", rec.to_str().unwrap(), "--mock", "--mock-seed", "3", "--diff", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("outputs equal") && text.contains("--- request 1 (line "), "{text}");
    assert!(text.contains("[-") && text.contains("{+"), "{text}");
    let out =
        llmkit().args(["replay", rec.to_str().unwrap(), "--mock", "--format", "csv", "-q"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("metric,old,new,change\n"), "{text}");
    assert!(text.contains("\noutputs equal,,100.0%,0 changed\n"), "{text}");
}

#[test]
fn corrupt_and_truncated_recordings_report_line_numbers_and_replay_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path(), 4, &[]);
    let mut text = std::fs::read_to_string(&rec).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = &lines[3][..lines[3].len() / 2];
    text = format!("{}\n{}\nthis is not json\n{}\n{cut}", lines[0], lines[1], lines[2]);
    std::fs::write(&rec, &text).unwrap();
    let (code, r, err) = replay_json(&[rec.to_str().unwrap(), "--mock"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("line 3: invalid JSON"), "{err}");
    assert!(err.contains("line 5: truncated line"), "{err}");
    assert_eq!(r["requests"], 3);
    assert_eq!(r["new"]["succeeded"], 3);
    assert_eq!(r["outputs"]["equal_pct"], 100.0);
    let skipped: Vec<u64> =
        r["skipped_lines"].as_array().unwrap().iter().map(|s| s["line"].as_u64().unwrap()).collect();
    assert_eq!(skipped, [3, 5]);
}

#[test]
fn timing_is_reproduced_and_scaled() {
    // 200 requests over 2 s (the benchmark does 1,000 over ~20 s with an outside observer).
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("timed.jsonl");
    let lines: Vec<LedgerLine> = (0..200)
        .map(|i| LedgerLine {
            ts: "2026-01-01T00:00:00Z".into(),
            offset_ms: Some(i as f64 * 10.0),
            provider: "openai".into(),
            url: "u".into(),
            model: "gpt-4o-mini".into(),
            status: Some(200),
            request: Some(ask(&format!("t{i}"))),
            ..LedgerLine::default()
        })
        .collect();
    write_recording(&rec, &lines);
    let rec = rec.to_str().unwrap();
    let (code, r, err) = replay_json(&[rec, "--mock", "-j", "256"]);
    assert_eq!(code, 0, "{err}");
    let wall = r["wall_s"].as_f64().unwrap();
    assert!((1.99..3.5).contains(&wall), "a 1.99 s recording replays in {wall} s");
    // Generous for a shared CI machine; benches/replay.md has the measured figures.
    let lag = r["schedule_lag_ms"]["p99"].as_f64().unwrap();
    assert!(lag < 25.0, "scheduler lag p99 {lag} ms");
    assert_eq!(r["speed"], 1.0);

    let (code, r, _) = replay_json(&[rec, "--mock", "-j", "256", "--speed", "10"]);
    assert_eq!(code, 0);
    let wall = r["wall_s"].as_f64().unwrap();
    // The upper bound only has to tell 10x from 1x (2 s) on a loaded machine.
    assert!((0.19..1.5).contains(&wall), "--speed 10: {wall} s");

    let (code, r, _) = replay_json(&[rec, "--mock", "-j", "256", "--fast", "--limit", "50"]);
    assert_eq!(code, 0);
    assert_eq!(r["requests"], 50);
    assert!(r["wall_s"].as_f64().unwrap() < 1.0);
    assert_eq!(r["speed"], "fast");
}

#[test]
fn traces_are_replayed_with_prompts_of_the_recorded_size() {
    let dir = tempfile::tempdir().unwrap();
    let azure = dir.path().join("AzureLLMInferenceTrace_conv.csv");
    std::fs::write(
        &azure,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n\
         2023-11-16 18:15:46.6805900,374,44\n\
         2023-11-16 18:15:46.7951690,396,109\n\
         2023-11-16 18:15:46.8224670,879,55\n",
    )
    .unwrap();
    let (code, r, err) =
        replay_json(&[azure.to_str().unwrap(), "--mock", "--mock-reply-tokens", "1000", "-m", "gpt-4o-mini"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["input_format"], "azure");
    // The mock counts prompts with the real tokenizer: the synthesized prompts are exact.
    assert_eq!(r["new"]["input_tokens"], 374 + 396 + 879);
    assert_eq!(r["new"]["output_tokens"], 44 + 109 + 55);
    assert_eq!(r["old"]["input_tokens"], r["new"]["input_tokens"]);
    assert!(r["new"]["ttft_ms"]["count"] == 3, "synthesized requests stream");

    let mooncake = dir.path().join("trace.jsonl");
    std::fs::write(
        &mooncake,
        "{\"timestamp\": 0, \"input_length\": 655, \"output_length\": 52, \"hash_ids\": [46, 47]}\n\
         {\"timestamp\": 30, \"input_length\": 672, \"output_length\": 26, \"hash_ids\": [46, 47]}\n",
    )
    .unwrap();
    let (code, r, err) = replay_json(&[
        mooncake.to_str().unwrap(),
        "--mock",
        "--mock-reply-tokens",
        "1000",
        "-m",
        "gpt-4o-mini",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["input_format"], "mooncake");
    assert_eq!(r["new"]["input_tokens"], 655 + 672);
    assert_eq!(r["new"]["output_tokens"], 52 + 26);

    // Traces carry no model.
    let (code, _, err) = replay_json(&[mooncake.to_str().unwrap(), "--mock"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("-m MODEL"), "{err}");
}

#[test]
fn bad_flags_and_inputs_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path(), 1, &[]);
    let rec = rec.to_str().unwrap();
    for args in [
        vec![rec, "--mock", "--speed", "0"],
        vec![rec, "--mock", "--limit", "0"],
        vec![rec, "--mock", "--filter", "model"],
        vec![rec, "--mock", "--set", "novalue"],
        vec!["/nonexistent/rec.jsonl", "--mock"],
        vec![rec, "--mock", "--filter", "model=nothing-matches"],
    ] {
        let (code, _, err) = replay_json(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
    // --mock-* knobs need --mock.
    llmkit().args(["replay", rec, "--mock-seed", "3"]).assert().code(2);
}

/// Stops the child on drop, whatever the test did.
struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `llmkit serve --replay` as a child process; returns it and its OpenAI base URL.
fn serve_child(rec: &Path, extra: &[&str]) -> (Killed, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("llmkit"))
        .args(["serve", "--addr", "127.0.0.1:0", "--replay"])
        .arg(rec)
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take();
    let guard = Killed(child);
    let mut stderr = BufReader::new(stderr.unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "serve exited before listening");
        if let Some(url) = line.trim().strip_prefix("llmkit serve: listening on ") {
            let url = format!("{url}/v1");
            // Keep draining stderr so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in stderr.lines() {});
            return (guard, url);
        }
    }
}

#[test]
fn round_trip_recorded_answers_are_served_back_identically_streaming_and_not() {
    let dir = tempfile::tempdir().unwrap();
    // Half the requests streamed, half not, recorded from the mock through the engine.
    let input = batch_file(dir.path(), 6);
    let text = std::fs::read_to_string(&input).unwrap();
    let mixed: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            if i % 2 == 0 {
                v["body"]["stream"] = json!(true);
                v["body"]["stream_options"] = json!({"include_usage": true});
            }
            v.to_string() + "\n"
        })
        .collect();
    std::fs::write(&input, mixed).unwrap();
    let rec = dir.path().join("rec.jsonl");
    llmkit()
        .args(["replay", input.to_str().unwrap(), "--mock", "-q", "--format", "json", "--record"])
        .arg(&rec)
        .assert()
        .success();

    let (_server, url) = serve_child(&rec, &["--replay-latency", "zero"]);
    let again = dir.path().join("again.jsonl");
    let (code, r, err) = replay_json(&[
        rec.to_str().unwrap(),
        "--base-url",
        &url,
        "--provider",
        "mock",
        "--record",
        again.to_str().unwrap(),
        "--fail-on-change",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["outputs"]["compared"], 6);
    assert_eq!(r["outputs"]["equal_pct"], 100.0);
    assert_eq!(r["old"]["input_tokens"], r["new"]["input_tokens"]);
    assert_eq!(r["old"]["output_tokens"], r["new"]["output_tokens"]);

    // Line by line: same content and the same usage, streamed or not.
    let read = |p: &Path| -> Vec<LedgerLine> {
        let mut v: Vec<LedgerLine> =
            std::fs::read_to_string(p).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    };
    let (a, b) = (read(&rec), read(&again));
    assert_eq!(a.len(), 6);
    assert_eq!(b.len(), 6);
    let mut streamed = 0;
    for (x, y) in a.iter().zip(&b) {
        let (rx, ry) = (x.response.as_ref().unwrap(), y.response.as_ref().unwrap());
        assert_eq!(rx["choices"][0]["message"]["content"], ry["choices"][0]["message"]["content"]);
        assert_eq!(rx["usage"], ry["usage"], "usage of {:?}", x.id);
        assert_eq!(x.usage, y.usage);
        if x.request.as_ref().unwrap()["stream"] == json!(true) {
            streamed += 1;
            assert_eq!(y.request.as_ref().unwrap()["stream"], json!(true));
        }
    }
    assert_eq!(streamed, 3);
}

#[test]
fn round_trip_chat_record_then_serve_replay_gives_the_same_answers_and_usage() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("chat.jsonl");
    let prompts = ["Say something about rivers.", "And about mountains?"];
    // One streamed chat and one not, recorded against the mock.
    let mut originals = Vec::new();
    for (i, prompt) in prompts.iter().enumerate() {
        let mut cmd = llmkit();
        cmd.args(["chat", "--mock", "-m", "gpt-4o-mini", "--record"]).arg(&rec).arg(prompt);
        if i == 1 {
            cmd.arg("--no-stream");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        originals.push(String::from_utf8(out.stdout).unwrap());
    }
    let (_server, url) = serve_child(&rec, &["--replay-latency", "zero"]);
    let again = dir.path().join("again.jsonl");
    for (i, prompt) in prompts.iter().enumerate() {
        // Served back: the same bytes on stdout, streamed (and not) either way round.
        for no_stream in [false, true] {
            let mut cmd = llmkit();
            cmd.args(["chat", "--base-url", &url, "--provider", "mock", "-m", "gpt-4o-mini", "--no-ledger"]);
            cmd.arg("--record").arg(&again).arg(prompt);
            if no_stream {
                cmd.arg("--no-stream");
            }
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                originals[i],
                "prompt {i}, no_stream {no_stream}"
            );
        }
    }
    let read = |p: &Path| -> Vec<LedgerLine> {
        std::fs::read_to_string(p).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let (first, second) = (read(&rec), read(&again));
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 4);
    for (i, orig) in first.iter().enumerate() {
        for replayed in &second[2 * i..2 * i + 2] {
            assert_eq!(replayed.usage, orig.usage, "usage of prompt {i}");
            let (a, b) = (orig.response.as_ref().unwrap(), replayed.response.as_ref().unwrap());
            assert_eq!(a["choices"][0]["message"]["content"], b["choices"][0]["message"]["content"]);
        }
    }
}

/// Events (name, data) of an Anthropic SSE stream.
fn anthropic_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            let (name, data) = b.split_once('\n').unwrap();
            let name = name.strip_prefix("event: ").unwrap().to_string();
            let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(data["type"], name.as_str());
            (name, data)
        })
        .collect()
}

#[test]
fn round_trip_anthropic_chat_record_then_serve_replay_gives_the_same_answers_and_usage() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("chat.jsonl");
    let prompts = ["Tell me about rivers.", "And about mountains?"];
    let chat = |extra: &[&str], prompt: &str, record: &Path| {
        let mut cmd = llmkit();
        cmd.args([
            "chat",
            "--provider",
            "anthropic",
            "-m",
            "claude-haiku-4-5",
            "-s",
            "Be brief.",
            "--no-ledger",
        ])
        .args(extra)
        .arg("--record")
        .arg(record)
        .arg(prompt)
        .env("ANTHROPIC_API_KEY", "sk-ant-test");
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let originals: Vec<String> = prompts
        .iter()
        .enumerate()
        .map(|(i, p)| chat(if i == 1 { &["--mock", "--no-stream"] } else { &["--mock"] }, p, &rec))
        .collect();
    let first: Vec<LedgerLine> =
        std::fs::read_to_string(&rec).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|l| l.provider == "anthropic" && l.url.ends_with("/v1/messages")));

    let (_server, url) = serve_child(&rec, &["--replay-latency", "zero"]);
    let again = dir.path().join("again.jsonl");
    for (i, prompt) in prompts.iter().enumerate() {
        for extra in [&["--base-url", url.as_str()][..], &["--base-url", url.as_str(), "--no-stream"][..]] {
            assert_eq!(chat(extra, prompt, &again), originals[i], "prompt {i} {extra:?}");
        }
    }
    let second: Vec<LedgerLine> =
        std::fs::read_to_string(&again).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(second.len(), 4);
    for (i, orig) in first.iter().enumerate() {
        for replayed in &second[2 * i..2 * i + 2] {
            assert!(replayed.usage.is_some());
            assert_eq!(replayed.usage, orig.usage, "usage of prompt {i}");
            let (a, b) = (orig.response.as_ref().unwrap(), replayed.response.as_ref().unwrap());
            assert_eq!(a["choices"], b["choices"], "prompt {i}");
            assert_eq!(a["usage"], b["usage"], "prompt {i}");
        }
    }
}

#[tokio::test]
async fn anthropic_messages_get_the_full_event_sequence_and_misses_anthropic_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let line = LedgerLine {
        ts: "2026-01-01T00:00:00Z".into(),
        provider: "anthropic".into(),
        url: "http://x/v1/messages".into(),
        model: "claude-x".into(),
        status: Some(200),
        request: Some(json!({"model": "claude-x", "max_tokens": 50, "stream": true,
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]})),
        response: Some(
            json!({"id": "msg_01", "object": "chat.completion", "created": 0, "model": "claude-x",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, friend."},
                "finish_reason": "length"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16,
                "prompt_tokens_details": {"cached_tokens": 2}}}),
        ),
        ..LedgerLine::default()
    };
    write_recording(&rec, &[line]);
    let server = serve(&rec, None, ReplayLatency::Zero, None).await;
    let url = format!("{}/v1/messages", server.anthropic_base_url());
    // An SDK-style body: content as a plain string, keys in another order.
    let body = json!({"messages": [{"content": "Hi", "role": "user"}], "system": "Be brief.",
        "max_tokens": 50, "model": "claude-x"});
    let send = |b: Value| {
        let url = url.clone();
        async move {
            let r = client().post(url).header("x-api-key", "k").json(&b).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, text) = send(body.clone()).await;
    assert_eq!(status, 200, "{text}");
    let msg: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(msg["type"], "message");
    assert_eq!(msg["content"], json!([{"type": "text", "text": "Hello there, friend."}]));
    assert_eq!(msg["stop_reason"], "max_tokens");
    assert_eq!(
        msg["usage"],
        json!({"input_tokens": 10, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2, "output_tokens": 4})
    );

    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let (status, text) = send(streamed).await;
    assert_eq!(status, 200, "{text}");
    let events = anthropic_events(&text);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..3], ["message_start", "content_block_start", "ping"]);
    assert_eq!(names[names.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| d["delta"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello there, friend.");
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 10);
    assert_eq!(events[0].1["message"]["usage"]["cache_read_input_tokens"], 2);
    let delta = &events[names.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(delta["usage"]["output_tokens"], 4);

    // A miss: Anthropic's error shape, naming the closest recorded request.
    let mut other = body.clone();
    other["messages"][0]["content"] = json!("Hi!");
    let (status, text) = send(other).await;
    assert_eq!(status, 404);
    let err: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(err["type"], "error");
    assert_eq!(err["error"]["type"], "not_found_error");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 1") && message.contains("messages"), "{message}");
}

/// Batch lines with different parameters, some asking to stream.
fn varied_batch(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("varied.jsonl");
    let bodies = [
        json!({"messages": [{"role": "user", "content": "first question"}]}),
        json!({"messages": [{"role": "user", "content": "second question"}], "stream": true}),
        json!({"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "third"}],
            "max_tokens": 5}),
        json!({"messages": [{"role": "user", "content": "fourth question"}], "temperature": 0.2,
            "stream": true, "max_tokens": 30}),
        json!({"messages": [{"role": "user", "content": "fifth"}], "top_p": 0.5, "stop": ["zz"]}),
    ];
    let text: String = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({"custom_id": format!("b{i}"), "method": "POST", "url": "/v1/chat/completions", "body": b})
                .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Output lines of a batch run by custom_id: (response body content, usage).
fn batch_results(path: &Path) -> Vec<(String, Value, Value)> {
    let mut v: Vec<(String, Value, Value)> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let body = &v["response"]["body"];
            (v["custom_id"].as_str().unwrap().to_string(), body["choices"].clone(), body["usage"].clone())
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn round_trip_batch_record_then_serve_replay_answers_byte_identically() {
    for (provider, model) in [("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5")] {
        let dir = tempfile::tempdir().unwrap();
        let input = varied_batch(dir.path());
        let rec = dir.path().join("rec.jsonl");
        let batch = |extra: &[&str], out: &Path, record: &Path| {
            let mut cmd = llmkit();
            cmd.args([
                "batch",
                input.to_str().unwrap(),
                "-q",
                "--no-ledger",
                "--provider",
                provider,
                "-m",
                model,
            ])
            .args(extra)
            .arg("-o")
            .arg(out)
            .arg("--record")
            .arg(record)
            .env("OPENAI_API_KEY", "sk-test")
            .env("ANTHROPIC_API_KEY", "sk-ant-test");
            let o = cmd.output().unwrap();
            assert!(o.status.success(), "{provider}: {}", String::from_utf8_lossy(&o.stderr));
        };
        let out1 = dir.path().join("out1.jsonl");
        batch(&["--mock"], &out1, &rec);
        let lines: Vec<LedgerLine> = std::fs::read_to_string(&rec)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5, "{provider}");
        assert!(lines.iter().all(|l| l.provider == provider), "{provider}");

        // The batch again, against the recording served back: same choices, same usage.
        let (server, url) = serve_child(&rec, &["--replay-latency", "zero"]);
        let out2 = dir.path().join("out2.jsonl");
        batch(&["--base-url", &url], &out2, &dir.path().join("rec2.jsonl"));
        let (a, b) = (batch_results(&out1), batch_results(&out2));
        assert_eq!(a.len(), 5);
        assert_eq!(a, b, "{provider}");
        drop(server);

        if provider != "openai" {
            continue;
        }
        // Each recorded request over HTTP, streamed and not: the JSON answer is the recorded
        // response byte for byte; the stream carries the same text and usage.
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let server = serve(&rec, None, ReplayLatency::Zero, None).await;
            for l in &lines {
                let mut req = l.request.clone().unwrap();
                let recorded = l.response.as_ref().unwrap();
                req.as_object_mut().unwrap().remove("stream");
                let (status, text) = post(&server, &req).await;
                assert_eq!(status, 200, "{text}");
                assert_eq!(text, serde_json::to_string(recorded).unwrap(), "{:?}", l.id);
                req["stream"] = json!(true);
                req["stream_options"] = json!({"include_usage": true});
                let (status, text) = post(&server, &req).await;
                assert_eq!(status, 200, "{text}");
                let (content, usage) = assemble_stream(&text);
                assert_eq!(content, recorded["choices"][0]["message"]["content"].as_str().unwrap());
                assert_eq!(usage.as_ref(), Some(&recorded["usage"]), "{:?}", l.id);
            }
        });
    }
}

#[tokio::test]
async fn concurrent_identical_misses_are_forwarded_and_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("cassette.jsonl");
    std::fs::write(&rec, "").unwrap();
    // A slow upstream, so the identical requests overlap for certain.
    let upstream = mock::start(MockConfig {
        require_key: Some("sk-concurrent-secret".into()),
        ttft: Duration::from_millis(150),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let server = serve(&rec, None, ReplayLatency::Recorded, Some(&upstream.openai_base_url())).await;
    let url = format!("{}/chat/completions", server.openai_base_url());
    let sends = (0..8).map(|i| {
        let url = url.clone();
        async move {
            let mut body = ask("the same question, eight times at once");
            if i % 2 == 0 {
                body["stream"] = json!(true);
                body["stream_options"] = json!({"include_usage": true});
            }
            let r = client()
                .post(url)
                .header("authorization", "Bearer sk-concurrent-secret")
                .json(&body)
                .send()
                .await
                .unwrap();
            (i, r.status().as_u16(), r.text().await.unwrap())
        }
    });
    let t = Instant::now();
    let answers = futures_util::future::join_all(sends).await;
    let elapsed = t.elapsed();
    let saved = std::fs::read_to_string(&rec).unwrap();
    assert_eq!(saved.lines().count(), 1, "one appended exchange for eight identical misses:\n{saved}");
    assert!(!saved.contains("sk-concurrent-secret"), "keys are never recorded");
    assert!(!saved.to_lowercase().contains("authorization"), "auth headers are never recorded");
    let line: LedgerLine = serde_json::from_str(saved.trim()).unwrap();
    let recorded = line.response.unwrap();
    let want = recorded["choices"][0]["message"]["content"].as_str().unwrap().to_string();
    for (i, status, text) in answers {
        assert_eq!(status, 200, "{text}");
        assert!(!text.contains("sk-concurrent-secret"));
        if i % 2 == 0 {
            let (content, usage) = assemble_stream(&text);
            assert_eq!(content, want);
            assert_eq!(usage.as_ref(), Some(&recorded["usage"]));
        } else {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v, recorded);
        }
    }
    // Waiters answer as soon as the first exchange is recorded, not after its latency again.
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");

    // Without the key the upstream refuses, and the refusal is passed on, not recorded.
    let r = client().post(&url).json(&ask("no key here")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(std::fs::read_to_string(&rec).unwrap().lines().count(), 1);
}

#[test]
fn jsonl_prints_one_line_per_request_then_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path(), 5, &[]);
    // Another seed: every output changes.
    for (seed, equal) in [("0", true), ("3", false)] {
        let out = llmkit()
            .args(["replay", rec.to_str().unwrap(), "--mock", "--mock-seed", seed, "--format", "jsonl", "-q"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(lines.len(), 6, "5 requests + summary");
        let (summary, requests) = lines.split_last().unwrap();
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["requests"], 5);
        assert_eq!(summary["outputs"]["equal"], if equal { 5 } else { 0 });
        let mut ids: Vec<&str> = requests.iter().map(|r| r["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["q0", "q1", "q2", "q3", "q4"]);
        let mut indexes: Vec<u64> = requests.iter().map(|r| r["index"].as_u64().unwrap()).collect();
        indexes.sort_unstable();
        assert_eq!(indexes, [0, 1, 2, 3, 4]);
        for r in requests {
            assert_eq!(r["type"], "request");
            assert_eq!(r["old"]["status"], 200);
            assert_eq!(r["new"]["status"], 200);
            assert_eq!(r["new"]["ok"], true);
            assert!(r["new"]["latency_ms"].as_f64().unwrap() >= 0.0);
            assert!(r["new"]["ttft_ms"].is_number() || r["new"]["ttft_ms"].is_null());
            assert!(r["new"]["input_tokens"].as_u64().unwrap() > 0);
            assert!(r["old"]["output_tokens"].as_u64().unwrap() > 0);
            assert!(r["new"].get("cost_usd").is_some());
            assert_eq!(r["equal"], equal);
            if equal {
                assert_eq!(r["similarity"], 1.0);
                assert!(r["change"].is_null());
            } else {
                assert!(r["similarity"].as_f64().unwrap() < 1.0);
                assert_eq!(r["change"], "changed");
            }
        }
    }
}

#[test]
fn serve_replay_reports_bad_lines_by_number_and_serves_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path(), 3, &[]);
    let text = std::fs::read_to_string(&rec).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = &lines[2][..lines[2].len() / 2];
    std::fs::write(&rec, format!("{}\nnot json at all\n{}\n{cut}", lines[0], lines[1])).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("llmkit"))
        .args(["serve", "--addr", "127.0.0.1:0", "--replay-latency", "zero", "--replay"])
        .arg(&rec)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _guard = Killed(child);
    let mut seen = Vec::new();
    let mut url = None;
    let mut reader = BufReader::new(stderr);
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        if let Some(u) = line.trim().strip_prefix("llmkit serve: listening on ") {
            url = Some(format!("{u}/v1"));
            break;
        }
        seen.push(std::mem::take(&mut line));
    }
    // Keep draining stderr so the child never dies on a closed pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    let seen = seen.concat();
    assert!(seen.contains("line 2: invalid JSON"), "{seen}");
    assert!(seen.contains("line 4: truncated line"), "{seen}");
    // The good lines are served.
    let url = url.unwrap();
    let first: LedgerLine = serde_json::from_str(lines[0]).unwrap();
    let mut body = first.request.clone().unwrap();
    body.as_object_mut().unwrap().remove("stream");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (status, text) = rt.block_on(async {
        let r = client().post(format!("{url}/chat/completions")).json(&body).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, serde_json::to_string(first.response.as_ref().unwrap()).unwrap());
}

/// A real API answers with a dated snapshot of the model asked for; the recording must keep
/// the model that was asked for, or the same request sent again would never match.
#[tokio::test(flavor = "multi_thread")]
async fn recordings_keep_the_requested_model_so_real_api_answers_replay() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer as Wire, ResponseTemplate};
    let upstream = Wire::start().await;
    let reply = json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": "Bonjour, monde."}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 20, "output_tokens": 4, "cache_read_input_tokens": 2000,
            "cache_creation_input_tokens": 7}
    });
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .mount(&upstream)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    // The model comes from the profile (not the body), as in everyday use.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[profiles.claude]\nprovider = \"anthropic\"\napi_key_env = \"ANTHROPIC_API_KEY\"\nmodel = \"claude-haiku-4-5\"\n",
    )
    .unwrap();
    let chat = move |base: String, record: std::path::PathBuf| {
        let mut cmd = llmkit();
        cmd.args(["chat", "--profile", "claude", "--base-url", &base])
            .arg("--config")
            .arg(&config)
            .args(["--no-stream", "--no-ledger", "-u", "-s", "Long rules.", "say hi", "--record"])
            .arg(record)
            .env("ANTHROPIC_API_KEY", "sk-ant-test");
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (c, r) = (chat.clone(), rec.clone());
    let uri = upstream.uri();
    let (first_out, first_err) = tokio::task::spawn_blocking(move || c(uri, r)).await.unwrap();
    let line: LedgerLine = serde_json::from_str(std::fs::read_to_string(&rec).unwrap().trim()).unwrap();
    assert_eq!(line.model, "claude-haiku-4-5-20251001", "the answering model, for pricing");
    assert_eq!(line.request.as_ref().unwrap()["model"], "claude-haiku-4-5", "the requested one");

    let (server, url) = serve_child(&rec, &["--replay-latency", "zero"]);
    let again = dir.path().join("again.jsonl");
    let a = again.clone();
    let (out, err) = tokio::task::spawn_blocking(move || chat(url, a)).await.unwrap();
    drop(server);
    assert_eq!(out, first_out);
    // Tokens and cost (latency is the replay's own).
    let usage = |e: &str| {
        e.lines().find(|l| l.contains("usage:")).and_then(|l| l.split(" latency=").next()).map(str::to_string)
    };
    assert_eq!(usage(&err), usage(&first_err), "{err}");
    let replayed: LedgerLine = serde_json::from_str(std::fs::read_to_string(&again).unwrap().trim()).unwrap();
    assert_eq!(replayed.usage, line.usage);
    assert_eq!(replayed.response.unwrap()["usage"], line.response.unwrap()["usage"]);
}

/// Generation requests the mock has admitted (its `GET /mock/stats` counter).
async fn upstream_requests(upstream: &MockServer) -> u64 {
    let stats: mock::MockStats =
        client().get(format!("{}/mock/stats", upstream.url())).send().await.unwrap().json().await.unwrap();
    stats.requests_admitted
}

async fn send_messages(url: &str, key: Option<&str>, body: &Value) -> (u16, String) {
    let mut req = client().post(format!("{url}/v1/messages")).header("anthropic-version", "2023-06-01");
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    let r = req.json(body).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Text and the final output token count of an Anthropic SSE stream.
fn anthropic_stream_text(text: &str) -> (String, u64) {
    let events = anthropic_events(text);
    assert_eq!(events.last().map(|(n, _)| n.as_str()), Some("message_stop"), "{text}");
    let content = events
        .iter()
        .filter(|(n, d)| n == "content_block_delta" && d["delta"]["type"] == "text_delta")
        .map(|(_, d)| d["delta"]["text"].as_str().unwrap())
        .collect();
    let output = events.iter().find(|(n, _)| n == "message_delta").unwrap().1["usage"]["output_tokens"]
        .as_u64()
        .unwrap();
    (content, output)
}

fn saved_lines(path: &Path) -> Vec<LedgerLine> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn anthropic_misses_fall_through_once_and_are_served_from_the_recording_after() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("cassette.jsonl");
    std::fs::write(&rec, "").unwrap();
    let secret = "sk-ant-upstream-secret";
    let upstream =
        mock::start(MockConfig { require_key: Some(secret.into()), ..MockConfig::default() }).await.unwrap();
    // An Anthropic-style base URL (no `/v1`): the path is added under the API root.
    let server = serve(&rec, None, ReplayLatency::Zero, Some(&upstream.anthropic_base_url())).await;
    let url = server.anthropic_base_url();
    let body = json!({"model": "claude-haiku-4-5", "max_tokens": 40, "system": "Be brief.",
        "messages": [{"role": "user", "content": "Tell me about rivers."}]});

    // Non-streamed miss: forwarded, answered in Anthropic's shape, appended.
    let (status, text) = send_messages(&url, Some(secret), &body).await;
    assert_eq!(status, 200, "{text}");
    let first: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(first["type"], "message");
    let answer = first["content"][0]["text"].as_str().unwrap().to_string();
    assert!(!answer.is_empty());
    assert_eq!(upstream_requests(&upstream).await, 1);
    let saved = std::fs::read_to_string(&rec).unwrap();
    assert!(!saved.contains(secret), "keys are never recorded");
    assert!(!saved.to_lowercase().contains("x-api-key"), "auth headers are never recorded");
    let lines = saved_lines(&rec);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line.provider, "anthropic");
    assert!(line.url.ends_with("/v1/messages"), "{}", line.url);
    // Recorded as `chat --record` against Anthropic records: canonical request and answer.
    assert_eq!(
        line.request,
        Some(json!({"model": "claude-haiku-4-5", "max_tokens": 40, "messages": [
            {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about rivers."}]}))
    );
    let response = line.response.as_ref().unwrap();
    assert_eq!(response["object"], "chat.completion");
    assert_eq!(response["choices"][0]["message"]["content"], answer.as_str());
    let usage = line.usage.unwrap();
    assert_eq!(usage.output_tokens, first["usage"]["output_tokens"].as_u64().unwrap());
    assert!(usage.input_tokens > 0);

    // The same request again, streamed and not: hits, no upstream call, nothing appended.
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let (status, text) = send_messages(&url, Some(secret), &streamed).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(anthropic_stream_text(&text), (answer.clone(), usage.output_tokens));
    let (status, text) = send_messages(&url, None, &body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), first, "a hit answers what the miss answered");
    assert_eq!(upstream_requests(&upstream).await, 1, "hits never reach the upstream");
    assert_eq!(saved_lines(&rec).len(), 1, "a hit appends nothing");

    // A streamed miss: forwarded without streaming, recorded, answered as SSE.
    let other = json!({"model": "claude-haiku-4-5", "max_tokens": 30, "stream": true,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "And about mountains?"}]}]});
    let (status, text) = send_messages(&url, Some(secret), &other).await;
    assert_eq!(status, 200, "{text}");
    let (mountains, _) = anthropic_stream_text(&text);
    assert!(!mountains.is_empty());
    assert_eq!(upstream_requests(&upstream).await, 2);
    let lines = saved_lines(&rec);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].request.as_ref().unwrap()["stream"], true);
    assert_eq!(lines[1].response.as_ref().unwrap()["choices"][0]["message"]["content"], mountains.as_str());

    // No canonical body translates to this one (two text blocks in an assistant turn): the
    // Messages API body is recorded as it is, and still matches the next identical request.
    let odd = json!({"model": "claude-haiku-4-5", "max_tokens": 20, "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]},
        {"role": "user", "content": "Go on."}]});
    let (status, text) = send_messages(&url, Some(secret), &odd).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(upstream_requests(&upstream).await, 3);
    let lines = saved_lines(&rec);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2].request.as_ref().unwrap()["messages"][1]["content"][1]["text"], "lo");

    // The upstream refuses a request without a key: passed on, not recorded.
    let (status, text) = send_messages(
        &url,
        None,
        &json!({"model": "claude-haiku-4-5", "max_tokens": 5,
        "messages": [{"role": "user", "content": "no key"}]}),
    )
    .await;
    assert_eq!(status, 401, "{text}");
    assert_eq!(saved_lines(&rec).len(), 3);

    // The upstream is gone and the server restarted without --fallthrough: all three replay.
    drop(upstream);
    let reloaded = serve(&rec, None, ReplayLatency::Zero, None).await;
    let url = reloaded.anthropic_base_url();
    let (status, text) = send_messages(&url, None, &streamed).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(anthropic_stream_text(&text).0, answer);
    let mut again = other.clone();
    again.as_object_mut().unwrap().remove("stream");
    let (status, text) = send_messages(&url, None, &again).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["content"][0]["text"], mountains.as_str());
    let (status, text) = send_messages(&url, None, &odd).await;
    assert_eq!(status, 200, "{text}");
}

#[tokio::test]
async fn concurrent_identical_anthropic_misses_are_forwarded_and_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("cassette.jsonl");
    std::fs::write(&rec, "").unwrap();
    let upstream =
        mock::start(MockConfig { ttft: Duration::from_millis(150), ..MockConfig::default() }).await.unwrap();
    let server = serve(&rec, None, ReplayLatency::Recorded, Some(&upstream.url())).await;
    let url = server.anthropic_base_url();
    let sends = (0..6).map(|i| {
        let url = url.clone();
        async move {
            let mut body = json!({"model": "claude-haiku-4-5", "max_tokens": 30,
                "messages": [{"role": "user", "content": "the same question, six times at once"}]});
            if i % 2 == 0 {
                body["stream"] = json!(true);
            }
            let (status, text) = send_messages(&url, Some("k"), &body).await;
            (i, status, text)
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    assert_eq!(upstream_requests(&upstream).await, 1, "one upstream call for six identical misses");
    let lines = saved_lines(&rec);
    assert_eq!(lines.len(), 1, "one appended exchange");
    let want =
        lines[0].response.as_ref().unwrap()["choices"][0]["message"]["content"].as_str().unwrap().to_string();
    for (i, status, text) in answers {
        assert_eq!(status, 200, "{text}");
        if i % 2 == 0 {
            assert_eq!(anthropic_stream_text(&text).0, want);
        } else {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["content"][0]["text"], want.as_str());
        }
    }
}
