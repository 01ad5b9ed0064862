//! `batch --remote` with an Anthropic profile: Message Batches end to end against the embedded
//! emulation (through the library with a plain HTTP transport, and through the CLI), plus a
//! hand-written wiremock fixture of the real API, so the client is not only checked against
//! our own server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use clap::Parser;
use llmkit::cli::{Cli, Command as Sub};
use llmkit::commands::batch::estimate::Prices;
use llmkit::commands::batch::remote::{self, ApiCall, RemoteBatch, RemoteState, Transport};
use llmkit::commands::batch::{local, BatchSettings};
use llmkit::config::Config;
use llmkit::mock::{self, MockConfig, MockServer};
use llmkit::output::Printer;
use serde_json::{json, Value};

mod common;
use common::{expected, first_batch_id, ids, post_json, read_lines, run_json, write_input, Http};

/// The binary, with the key the mock's `--require-key` checks.
fn llmkit() -> Command {
    let mut cmd = common::llmkit();
    cmd.env("ANTHROPIC_API_KEY", "sk-ant-test");
    cmd
}

const MODEL: &str = "claude-haiku-4-5";

/// Calls the API root (paths carry `/v1`), as the engine does for Anthropic endpoints.
fn http(s: &MockServer) -> Http {
    Http::new(s.anthropic_base_url(), &[("anthropic-version", "2023-06-01")])
}

fn settings(args: &[&str]) -> BatchSettings {
    let mut argv = vec![
        "llmkit",
        "batch",
        "--provider",
        "anthropic",
        "-m",
        MODEL,
        "--poll-interval",
        "5ms",
        "--no-progress",
    ];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let Sub::Batch(args) = cli.command else { panic!("not batch") };
    BatchSettings::resolve_with(&args, &Config::default(), &|_| None).unwrap()
}

async fn list_batches(s: &MockServer) -> Vec<Value> {
    let list: Value = reqwest::get(format!("{}/v1/messages/batches?limit=100", s.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_run_splits_translates_and_writes_openai_shaped_results_at_batch_prices() {
    let server =
        mock::start(MockConfig { ttft: Duration::from_millis(2), ..MockConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    let errors = dir.path().join("out.errors.jsonl");
    write_input(&input, 21);
    let mut text = std::fs::read_to_string(&input).unwrap();
    // The mock (like Anthropic) refuses max_tokens 0 when it processes the request: errored.
    text.push_str(r#"{"custom_id":"zero","messages":[{"role":"user","content":"q"}],"max_tokens":0}"#);
    text.push('\n');
    // Not a valid Message Batches custom_id: never sent, reported like an invalid line.
    text.push_str(r#"{"custom_id":"has.dot","prompt":"q"}"#);
    text.push('\n');
    std::fs::write(&input, text).unwrap();

    let s = settings(&[
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--remote",
        "--split-requests",
        "10",
    ]);
    let printer = Printer::silent();
    let prices: Arc<dyn Prices> = Arc::new(llmkit::pricing::PriceTable::load(None).unwrap());
    let prepared = local::prepare(&s, &printer).unwrap();
    let (summary, status) =
        remote::submit(&s, &http(&server), prepared, Some(prices.clone()), &printer, Instant::now())
            .await
            .unwrap();
    assert_eq!(status.code(), 1, "a failed request makes it partial: {summary:?}");
    assert_eq!((summary.succeeded, summary.failed, summary.invalid), (21, 1, 1), "{summary:?}");
    assert_eq!(ids(&out), expected(21));
    assert!(!remote::state_path(&out).exists(), "a finished job leaves no state file");

    // 22 requests sent in batches of 10 + 10 + 2.
    let mut sizes: Vec<u64> = list_batches(&server)
        .await
        .iter()
        .map(|b| {
            assert_eq!(b["processing_status"], "ended");
            b["request_counts"]["succeeded"].as_u64().unwrap()
                + b["request_counts"]["errored"].as_u64().unwrap()
        })
        .collect();
    sizes.sort();
    assert_eq!(sizes, [2, 10, 10]);

    // Output lines: OpenAI Batch API shape, chat.completion bodies, batch_req_ ids.
    let lines = read_lines(&out);
    let mut standard = 0.0;
    let mut batch = 0.0;
    for l in &lines {
        assert!(l["id"].as_str().unwrap().starts_with("batch_req_msg_"), "{l}");
        assert_eq!(l["response"]["status_code"], 200);
        assert!(l["error"].is_null());
        let body = &l["response"]["body"];
        assert_eq!(body["object"], "chat.completion");
        assert_eq!(body["model"], MODEL);
        let usage = llmkit::usage::Usage {
            input_tokens: body["usage"]["prompt_tokens"].as_u64().unwrap(),
            output_tokens: body["usage"]["completion_tokens"].as_u64().unwrap(),
            ..Default::default()
        };
        standard += prices.cost(MODEL, &usage, false).unwrap();
        batch += prices.cost(MODEL, &usage, true).unwrap();
    }
    let cost = summary.cost_usd.unwrap();
    assert!((cost - batch).abs() < 1e-12, "{cost} vs {batch}");
    assert!((batch - standard / 2.0).abs() < 1e-12, "Anthropic batch = half price");

    // The same request through /v1/messages gets the same text and token counts.
    let r3 = lines.iter().find(|l| l["custom_id"] == "r3").unwrap();
    let direct = post_json(
        format!("{}/v1/messages", server.url()),
        &json!({"model": MODEL, "max_tokens": 4096, "messages": [{"role": "user", "content": "question 3"}]}),
    )
    .await;
    let body = &r3["response"]["body"];
    assert_eq!(body["choices"][0]["message"]["content"], direct["content"][0]["text"]);
    assert_eq!(body["usage"]["prompt_tokens"], direct["usage"]["input_tokens"]);
    assert_eq!(body["usage"]["completion_tokens"], direct["usage"]["output_tokens"]);

    // Errors file: the rejected line (with its line number) and the errored request.
    let errs = read_lines(&errors);
    assert_eq!(errs.len(), 2, "{errs:?}");
    let dot = errs.iter().find(|l| l["custom_id"] == "has.dot").unwrap();
    assert_eq!(dot["line"], 23);
    assert!(dot["error"]["message"].as_str().unwrap().contains("custom_id"));
    let zero = errs.iter().find(|l| l["custom_id"] == "zero").unwrap();
    assert_eq!(zero["response"]["status_code"], 400);
    assert!(zero["response"]["body"]["error"]["message"].as_str().unwrap().contains("max_tokens"), "{zero}");

    // Re-running finds the successes done and resubmits only the failed request.
    let prepared = local::prepare(&s, &printer).unwrap();
    let (summary, _) =
        remote::submit(&s, &http(&server), prepared, None, &printer, Instant::now()).await.unwrap();
    assert_eq!((summary.skipped, summary.succeeded, summary.failed), (21, 0, 1), "{summary:?}");
    assert_eq!(ids(&out).len(), 21);
}

/// A run killed after creating its first batch: the next run re-attaches to it (state file)
/// instead of sending those requests again, then sends the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_remote_run_resumes_from_its_state_file() {
    let server = mock::start(MockConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    write_input(&input, 12);
    let requests: Vec<Value> = (0..5)
        .map(|i| {
            json!({"custom_id": format!("r{i}"), "params": {"model": MODEL, "max_tokens": 4096,
                "messages": [{"role": "user", "content": format!("question {i}")}]}})
        })
        .collect();
    let t = http(&server);
    let reply = t
        .call(ApiCall::post_json("/v1/messages/batches", &json!({"requests": requests})).unwrap())
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let batch: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(batch["processing_status"], "in_progress");
    let state = RemoteState {
        input: input.clone(),
        input_bytes: std::fs::metadata(&input).unwrap().len(),
        covered_through: 5,
        batches: vec![RemoteBatch {
            id: batch["id"].as_str().unwrap().to_string(),
            input_file_id: String::new(),
            requests: 5,
            first_line: 1,
            last_line: 5,
            downloaded: false,
        }],
        api: Some(remote::BatchApi::Anthropic),
    };
    std::fs::write(remote::state_path(&out), serde_json::to_vec(&state).unwrap()).unwrap();

    let s = settings(&[input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--remote"]);
    let printer = Printer::silent();
    let prepared = local::prepare(&s, &printer).unwrap();
    let (summary, status) = remote::submit(&s, &t, prepared, None, &printer, Instant::now()).await.unwrap();
    assert_eq!(status.code(), 0, "{summary:?}");
    assert_eq!(summary.succeeded, 12);
    assert_eq!(ids(&out), expected(12));
    assert_eq!(list_batches(&server).await.len(), 2, "one batch re-attached, one for lines 6-12");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_by_id_and_cancel_keep_partial_results_and_report_the_canceled() {
    let server =
        mock::start(MockConfig { ttft: Duration::from_millis(5), ..MockConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    write_input(&input, 300);
    let s = settings(&[input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--remote"]);
    let printer = Printer::silent();
    let prepared = local::prepare(&s, &printer).unwrap();
    let job = tokio::spawn({
        let s = s.clone();
        let t = http(&server);
        async move { remote::submit(&s, &t, prepared, None, &Printer::silent(), Instant::now()).await }
    });
    let state_file = remote::state_path(&out);
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        if let Ok(bytes) = std::fs::read(&state_file) {
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            if let Some(id) = v["batches"][0]["id"].as_str() {
                break id.to_string();
            }
        }
        assert!(Instant::now() < deadline, "no batch created");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert!(id.starts_with("msgbatch_"));
    let other = dir.path().join("other.jsonl");
    let s2 = settings(&["-o", other.to_str().unwrap(), "--remote-id", &id, "--cancel"]);
    let (summary, status) =
        remote::attach(&s2, &http(&server), std::slice::from_ref(&id), None, &printer, Instant::now())
            .await
            .unwrap();
    assert!(summary.succeeded < 300, "cancelled early: {summary:?}");
    assert_eq!(summary.succeeded + summary.failed, 300, "every request has a result: {summary:?}");
    assert_eq!(status.code(), 0, "a requested cancel is not a failure");
    let canceled = read_lines(&dir.path().join("other.errors.jsonl"));
    assert_eq!(canceled.len() as u64, summary.failed);
    assert!(canceled.iter().all(|l| l["error"]["code"] == "batch_cancelled"));
    let (first, _) = job.await.unwrap().unwrap();
    assert_eq!(first.succeeded, summary.succeeded, "both saw the same partial results");
    // Attaching again appends nothing new; cancelling an ended batch only warns.
    let (again, _) =
        remote::attach(&s2, &http(&server), &[id], None, &printer, Instant::now()).await.unwrap();
    assert_eq!((again.succeeded, again.failed), (0, 0));
    assert_eq!(ids(&other).len() as u64, summary.succeeded);
}

/// The CLI, with the engine's transport (x-api-key + anthropic-version, checked by the mock's
/// --require-key), split, then attach by id.
#[test]
fn cli_remote_mode_end_to_end_with_split_and_attach() {
    let m = mock::spawn_thread(MockConfig {
        ttft: Duration::from_millis(1),
        require_key: Some("sk-ant-test".into()),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    write_input(&input, 25);
    let (summary, stderr) = run_json(
        llmkit()
            .args(["batch", "--provider", "anthropic", "--base-url", &m.anthropic_base_url(), "-m", MODEL])
            .args(["--remote", "--split-requests", "10", "--poll-interval", "10ms", "--format", "json"])
            .arg(&input)
            .arg("-o")
            .arg(&out),
    );
    assert_eq!(summary["succeeded"], 25);
    assert!(summary["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(stderr.matches("created: ").count(), 3, "split in 10 + 10 + 5: {stderr}");
    assert!(!stderr.contains("sk-ant-test"), "the key is never printed");
    assert_eq!(ids(&out), expected(25));
    let id = first_batch_id(&stderr);
    assert!(id.starts_with("msgbatch_"), "{id}");
    let (summary, _) = run_json(
        llmkit()
            .args(["batch", "--provider", "anthropic", "--base-url", &m.anthropic_base_url()])
            .args(["--remote-id", &id, "--poll-interval", "10ms", "--format", "json", "-o"])
            .arg(&out),
    );
    assert_eq!(summary["succeeded"], 0, "nothing is written twice");
    assert_eq!(ids(&out), expected(25));

    // A wrong key is an authentication failure (exit 3), named as such.
    llmkit()
        .env("ANTHROPIC_API_KEY", "wrong")
        .args(["batch", "--provider", "anthropic", "--base-url", &m.anthropic_base_url()])
        .args(["--remote-id", &id, "--poll-interval", "10ms", "-o"])
        .arg(dir.path().join("x.jsonl"))
        .assert()
        .code(3);
}

#[test]
fn a_state_file_is_resumed_only_with_the_api_that_made_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    write_input(&input, 3);
    let state = RemoteState {
        input: input.clone(),
        input_bytes: std::fs::metadata(&input).unwrap().len(),
        covered_through: 3,
        batches: vec![RemoteBatch {
            id: "msgbatch_x".into(),
            input_file_id: String::new(),
            requests: 3,
            first_line: 1,
            last_line: 3,
            downloaded: false,
        }],
        api: Some(remote::BatchApi::Anthropic),
    };
    std::fs::write(remote::state_path(&out), serde_json::to_vec(&state).unwrap()).unwrap();
    let assert = llmkit()
        .args(["batch", "--mock", "--remote", "--poll-interval", "10ms"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(stderr.contains("Anthropic Message Batches") && stderr.contains("OpenAI Batch API"), "{stderr}");
    // State files of older versions (no `api`) are OpenAI's.
    let old: RemoteState =
        serde_json::from_str(r#"{"input":"x","input_bytes":1,"covered_through":0,"batches":[]}"#).unwrap();
    assert_eq!(old.api, None);
}

/// The client against hand-written answers in the shapes of Anthropic's API reference (not
/// our emulation): headers, create body, status polling, results_url, result conversion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_speaks_the_documented_message_batches_api() {
    use wiremock::matchers::{body_partial_json, header, method, path};
    use wiremock::{Mock, MockServer as Wire, ResponseTemplate};

    let server = Wire::start().await;
    let batch = |status: &str, counts: Value, results: Option<String>| {
        json!({
            "id": "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF",
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": if status == "ended" { json!("2024-08-20T18:37:24.100435Z") } else { Value::Null },
            "created_at": "2024-08-20T18:37:24.100435Z",
            "expires_at": "2024-08-21T18:37:24.100435Z",
            "archived_at": null,
            "cancel_initiated_at": null,
            "results_url": results,
        })
    };
    let counts = |p: u64, s: u64, e: u64, x: u64| json!({"processing": p, "succeeded": s, "errored": e, "canceled": 0, "expired": x});
    Mock::given(method("POST"))
        .and(path("/v1/messages/batches"))
        .and(header("x-api-key", "sk-ant-test"))
        .and(header("anthropic-version", "2023-06-01"))
        .and(body_partial_json(json!({"requests": [
            {"custom_id": "a", "params": {"model": MODEL, "max_tokens": 50, "system": "Be brief.",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}]}},
            {"custom_id": "b"}, {"custom_id": "c"}
        ]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(batch(
            "in_progress",
            counts(3, 0, 0, 0),
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let get = || path("/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF");
    Mock::given(method("GET"))
        .and(get())
        .respond_with(ResponseTemplate::new(200).set_body_json(batch(
            "in_progress",
            counts(2, 1, 0, 0),
            None,
        )))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let results_url =
        format!("{}/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF/results", server.uri());
    Mock::given(method("GET"))
        .and(get())
        .and(header("x-api-key", "sk-ant-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(batch(
            "ended",
            counts(0, 1, 1, 1),
            Some(results_url),
        )))
        .with_priority(2)
        .mount(&server)
        .await;
    let results = [
        json!({"custom_id": "b", "result": {"type": "errored", "error": {"type": "error",
            "error": {"type": "invalid_request_error", "message": "messages.0.content: Field required"}}}}),
        json!({"custom_id": "a", "result": {"type": "succeeded", "message": {
            "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant", "model": MODEL,
            "content": [{"type": "text", "text": "Hi! How can I help?"}], "stop_reason": "end_turn",
            "stop_sequence": null, "usage": {"input_tokens": 12, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 8, "output_tokens": 7}}}}),
        json!({"custom_id": "c", "result": {"type": "expired"}}),
    ];
    let jsonl: String = results.iter().map(|r| format!("{r}\n")).collect();
    Mock::given(method("GET"))
        .and(path("/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF/results"))
        .and(header("x-api-key", "sk-ant-test"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(jsonl, "application/binary"))
        .expect(1)
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    std::fs::write(
        &input,
        format!(
            "{}\n{}\n{}\n",
            json!({"custom_id": "a", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 50}),
            json!({"custom_id": "b", "prompt": "x", "max_tokens": 50}),
            json!({"custom_id": "c", "prompt": "y", "max_tokens": 50}),
        ),
    )
    .unwrap();
    // A base URL ending in /v1 (as for OpenAI) works too: Anthropic paths carry their own /v1.
    let base = format!("{}/v1", server.uri());
    let (o, i) = (out.clone(), input.clone());
    let output = tokio::task::spawn_blocking(move || {
        llmkit()
            .args([
                "batch",
                "--provider",
                "anthropic",
                "--base-url",
                &base,
                "-m",
                MODEL,
                "--system",
                "Be brief.",
            ])
            .args(["--remote", "--poll-interval", "5ms", "--format", "json"])
            .arg(&i)
            .arg("-o")
            .arg(&o)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "two requests failed: {stderr}");
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((summary["succeeded"].as_u64(), summary["failed"].as_u64()), (Some(1), Some(2)), "{summary}");
    assert_eq!((summary["input_tokens"].as_u64(), summary["output_tokens"].as_u64()), (Some(20), Some(7)));
    // Batch prices: 12 input at $0.5/M, 8 cache reads at $0.05/M, 7 output at $2.5/M.
    let cost = summary["cost_usd"].as_f64().unwrap();
    assert!((cost - (12.0 * 0.5 + 8.0 * 0.05 + 7.0 * 2.5) / 1e6).abs() < 1e-12, "{cost}");

    let ok = read_lines(&out);
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0]["id"], "batch_req_msg_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_eq!(ok[0]["response"]["request_id"], "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    let body = &ok[0]["response"]["body"];
    assert_eq!(body["choices"][0]["message"]["content"], "Hi! How can I help?");
    assert_eq!(body["usage"]["prompt_tokens"], 20);
    assert_eq!(body["usage"]["prompt_tokens_details"]["cached_tokens"], 8);
    let errs = read_lines(&dir.path().join("out.errors.jsonl"));
    let b = errs.iter().find(|l| l["custom_id"] == "b").unwrap();
    assert_eq!(b["response"]["status_code"], 400);
    let c = errs.iter().find(|l| l["custom_id"] == "c").unwrap();
    assert_eq!(c["error"]["code"], "batch_expired");
    // `cost report` reads the output as batch traffic at the same price.
    let report = tokio::task::spawn_blocking(move || {
        llmkit().args(["cost", "report", "--format", "json"]).arg(&out).output().unwrap()
    })
    .await
    .unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let reported = report["total"]["cost_usd"].as_f64().unwrap();
    assert!((reported - cost).abs() < 1e-12, "{reported} vs {cost}");
}

/// The emulation over HTTP: lifecycle at the pace of the latency knobs, results only once
/// ended, request-list validation, 404s and auth in Anthropic's error shape, list and delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_message_batches_lifecycle_over_http() {
    let server = mock::start(MockConfig {
        ttft: Duration::from_millis(40),
        require_key: Some("sk-ant-test".into()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = |p: &str| format!("{}/v1/messages/batches{p}", server.url());
    let params = |text: &str| json!({"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": text}]});
    let body = json!({"requests": [
        {"custom_id": "a", "params": params("one")},
        {"custom_id": "b", "params": params("two")},
        {"custom_id": "c", "params": {"model": MODEL, "messages": [{"role": "user", "content": "no max_tokens"}]}},
    ]});

    let resp = c.post(url("")).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 401, "the key is required");
    let err: Value = resp.json().await.unwrap();
    assert_eq!(
        (err["type"].as_str(), err["error"]["type"].as_str()),
        (Some("error"), Some("authentication_error"))
    );

    let post = |b: Value| c.post(url("")).header("x-api-key", "sk-ant-test").json(&b).send();
    let dup = json!({"requests": [{"custom_id": "a", "params": params("x")}, {"custom_id": "a", "params": params("y")}]});
    let resp = post(dup).await.unwrap();
    assert_eq!(resp.status(), 400, "duplicate custom_ids refuse the whole batch");
    let err: Value = resp.json().await.unwrap();
    assert!(err["error"]["message"].as_str().unwrap().starts_with("requests.1.custom_id"), "{err}");

    let created: Value = post(body).await.unwrap().json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("msgbatch_"));
    assert_eq!(created["type"], "message_batch");
    assert_eq!(created["processing_status"], "in_progress");
    assert_eq!(created["request_counts"]["processing"], 3);
    assert!(created["results_url"].is_null());
    let get = |p: String| c.get(url(&p)).header("x-api-key", "sk-ant-test").send();
    let early = get(format!("/{id}/results")).await.unwrap();
    assert_eq!(early.status(), 400, "no results before the batch has ended");

    let deadline = Instant::now() + Duration::from_secs(10);
    let ended = loop {
        let b: Value = get(format!("/{id}")).await.unwrap().json().await.unwrap();
        if b["processing_status"] == "ended" {
            break b;
        }
        assert_eq!(b["processing_status"], "in_progress");
        assert!(Instant::now() < deadline, "never ended");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(
        ended["request_counts"],
        json!({"processing": 0, "succeeded": 2, "errored": 1, "canceled": 0, "expired": 0})
    );
    assert!(ended["ended_at"].is_string());
    let results_url = ended["results_url"].as_str().unwrap();
    assert!(results_url.ends_with(&format!("/v1/messages/batches/{id}/results")), "{results_url}");
    let text =
        c.get(results_url).header("x-api-key", "sk-ant-test").send().await.unwrap().text().await.unwrap();
    let results: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(results.len(), 3);
    let c_result = results.iter().find(|r| r["custom_id"] == "c").unwrap();
    assert_eq!(c_result["result"]["type"], "errored");
    assert_eq!(c_result["result"]["error"]["error"]["type"], "invalid_request_error");
    let a_result = results.iter().find(|r| r["custom_id"] == "a").unwrap();
    assert_eq!(a_result["result"]["message"]["usage"]["output_tokens"], 8);

    // Cancelling an ended batch is refused; list shows it; delete removes it.
    let resp = c.post(url(&format!("/{id}/cancel"))).header("x-api-key", "sk-ant-test").send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let list: Value = get(String::new()).await.unwrap().json().await.unwrap();
    assert_eq!(list["data"][0]["id"], id.as_str());
    let deleted: Value = c
        .delete(url(&format!("/{id}")))
        .header("x-api-key", "sk-ant-test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["type"], "message_batch_deleted");
    let gone = get(format!("/{id}")).await.unwrap();
    assert_eq!(gone.status(), 404);
    let err: Value = gone.json().await.unwrap();
    assert_eq!(err["error"]["type"], "not_found_error");
}
