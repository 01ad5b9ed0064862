//! `batch --remote` logic against the embedded Batch API emulation, driven through the
//! library with a plain HTTP transport (the CLI tests in tests/batch.rs use the engine's).

use std::time::{Duration, Instant};

use clap::Parser;
use llmkit::cli::{Cli, Command};
use llmkit::commands::batch::remote::{self, ApiCall, RemoteBatch, RemoteState, Transport};
use llmkit::commands::batch::{local, BatchSettings};
use llmkit::config::Config;
use llmkit::mock::{self, MockConfig, MockServer};
use llmkit::output::Printer;
use serde_json::Value;

mod common;
use common::{expected, ids, write_input, Http};

fn http(s: &MockServer) -> Http {
    Http::new(s.openai_base_url(), &[])
}

fn settings(args: &[&str]) -> BatchSettings {
    let mut argv = vec!["llmkit", "batch", "-m", "gpt-4o-mini", "--poll-interval", "5ms", "--no-progress"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let Command::Batch(args) = cli.command else { panic!("not batch") };
    BatchSettings::resolve_with(&args, &Config::default(), &|_| None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_run_splits_uploads_waits_and_downloads() {
    let server =
        mock::start(MockConfig { ttft: Duration::from_millis(2), ..MockConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    write_input(&input, 23);
    let s = settings(&[
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--remote",
        "--split-requests",
        "10",
    ]);
    let printer = Printer::silent();
    let prepared = local::prepare(&s, &printer).unwrap();
    let (summary, status) =
        remote::submit(&s, &http(&server), prepared, None, &printer, Instant::now()).await.unwrap();
    assert_eq!(status.code(), 0, "{summary:?}");
    assert_eq!((summary.total, summary.succeeded, summary.failed), (23, 23, 0));
    assert!(summary.input_tokens > 0 && summary.output_tokens > 0);
    assert_eq!(ids(&out), expected(23));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().all(|l| l.contains("\"id\":\"batch_req_")), "provider ids are kept");
    assert!(!remote::state_path(&out).exists(), "a finished job leaves no state file");
    // Three batches were created (10 + 10 + 3 requests).
    let list: Value =
        reqwest::get(format!("{}/batches", server.openai_base_url())).await.unwrap().json().await.unwrap();
    let mut sizes: Vec<u64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["request_counts"]["total"].as_u64().unwrap())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [3, 10, 10]);

    // Re-running finds everything done and uploads nothing.
    let prepared = local::prepare(&s, &printer).unwrap();
    let (summary, _) =
        remote::submit(&s, &http(&server), prepared, None, &printer, Instant::now()).await.unwrap();
    assert_eq!((summary.skipped, summary.succeeded), (23, 0));
    assert_eq!(ids(&out).len(), 23);
}

/// A job whose state file says batches were created (the previous run was killed after
/// creating them): the next run re-attaches instead of uploading again, then finishes the
/// rest of the input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_remote_run_resumes_from_its_state_file() {
    let server = mock::start(MockConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    write_input(&input, 12);
    // Create the first batch by hand from lines 1-5, as the killed run would have.
    let part: String = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .take(5)
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{{\"custom_id\":{},\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":{}}}]}}}}\n",
                v["custom_id"], v["prompt"]
            )
        })
        .collect();
    let t = http(&server);
    let (ct, body) = llmkit::commands::batch::batch_api::multipart_upload("p.jsonl", part.as_bytes());
    let file: Value = serde_json::from_slice(
        &t.call(ApiCall { method: "POST", path: "/files".into(), content_type: Some(ct), body })
            .await
            .unwrap()
            .body,
    )
    .unwrap();
    let create = serde_json::json!({"input_file_id": file["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let batch: Value =
        serde_json::from_slice(&t.call(ApiCall::post_json("/batches", &create).unwrap()).await.unwrap().body)
            .unwrap();
    let state = RemoteState {
        input: input.clone(),
        input_bytes: std::fs::metadata(&input).unwrap().len(),
        covered_through: 5,
        batches: vec![RemoteBatch {
            id: batch["id"].as_str().unwrap().to_string(),
            input_file_id: file["id"].as_str().unwrap().to_string(),
            requests: 5,
            first_line: 1,
            last_line: 5,
            downloaded: false,
        }],
        // As written by versions before `api` was recorded: read as OpenAI's.
        api: None,
    };
    std::fs::write(remote::state_path(&out), serde_json::to_vec(&state_json(&state)).unwrap()).unwrap();

    let s = settings(&[input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--remote"]);
    let printer = Printer::silent();
    let prepared = local::prepare(&s, &printer).unwrap();
    let (summary, status) = remote::submit(&s, &t, prepared, None, &printer, Instant::now()).await.unwrap();
    assert_eq!(status.code(), 0);
    assert_eq!(summary.succeeded, 12);
    assert_eq!(ids(&out), expected(12));
    let list: Value =
        reqwest::get(format!("{}/batches", server.openai_base_url())).await.unwrap().json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "one batch re-attached, one for lines 6-12");
}

fn state_json(s: &RemoteState) -> Value {
    serde_json::json!({
        "input": s.input, "input_bytes": s.input_bytes, "covered_through": s.covered_through,
        "batches": s.batches.iter().map(|b| serde_json::json!({
            "id": b.id, "input_file_id": b.input_file_id, "requests": b.requests,
            "first_line": b.first_line, "last_line": b.last_line, "downloaded": b.downloaded,
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_by_id_downloads_once_and_cancel_keeps_partial_results() {
    let server =
        mock::start(MockConfig { ttft: Duration::from_millis(5), ..MockConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    write_input(&input, 300);
    let t = http(&server);
    // Submit without waiting: create the batch through a run that is cancelled at once.
    let s = settings(&[input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--remote", "--cancel"]);
    let printer = Printer::silent();
    // No state file yet: cancel has nothing to cancel.
    let prepared = local::prepare(&s, &printer).unwrap();
    assert!(remote::submit(&s, &t, prepared, None, &printer, Instant::now()).await.is_err());

    let s = settings(&[input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--remote"]);
    let prepared = local::prepare(&s, &printer).unwrap();
    let job = tokio::spawn({
        let s = s.clone();
        async move {
            let t = t.clone();
            remote::submit(&s, &t, prepared, None, &Printer::silent(), Instant::now()).await
        }
    });
    // Wait until the state file names the batch, then cancel it by id from "another terminal".
    let state_file = remote::state_path(&out);
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        if let Ok(bytes) = std::fs::read(&state_file) {
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            if let Some(id) = v["batches"][0]["id"].as_str() {
                break id.to_string();
            }
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let other_out = dir.path().join("other.jsonl");
    let s2 = settings(&["-o", other_out.to_str().unwrap(), "--remote-id", &id, "--cancel"]);
    let (summary, _) =
        remote::attach(&s2, &http(&server), std::slice::from_ref(&id), None, &printer, Instant::now())
            .await
            .unwrap();
    assert!(summary.succeeded < 300, "cancelled early: {summary:?}");
    let (first, _) = job.await.unwrap().unwrap();
    assert_eq!(first.succeeded, summary.succeeded, "both saw the same partial results");
    // Attaching again appends nothing new.
    let (again, _) =
        remote::attach(&s2, &http(&server), &[id], None, &printer, Instant::now()).await.unwrap();
    assert_eq!(again.succeeded, 0);
    assert_eq!(ids(&other_out).len() as u64, summary.succeeded);
}
