//! The embedded server's Batch API emulation over real HTTP on 127.0.0.1: files (upload,
//! get, content, delete, list) and batches (create, lifecycle, request counts, output and
//! error files, cancel, validation failures, list).

use std::time::{Duration, Instant};

use llmkit::commands::batch::batch_api::multipart_upload;
use llmkit::mock::{self, FailKind, FaultPlan, MockConfig, MockServer, WeightedKind};
use serde_json::{json, Value};

mod common;
use common::{client, post_json};

fn lines(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let line = json!({"custom_id": format!("r{i}"), "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": format!("question {i}")}]}});
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

async fn upload(s: &MockServer, content: &[u8]) -> Value {
    let (ct, body) = multipart_upload("in.jsonl", content);
    let resp = client()
        .post(format!("{}/files", s.openai_base_url()))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn create(s: &MockServer, file_id: &str) -> Value {
    let body =
        json!({"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let resp = client().post(format!("{}/batches", s.openai_base_url())).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn get(s: &MockServer, path: &str) -> (u16, Vec<u8>) {
    let resp = client().get(format!("{}{path}", s.openai_base_url())).send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

async fn batch(s: &MockServer, id: &str) -> Value {
    let (status, body) = get(s, &format!("/batches/{id}")).await;
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

/// Poll until a terminal status; returns the final object and every status seen, in order.
async fn wait(s: &MockServer, id: &str) -> (Value, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let b = batch(s, id).await;
        let status = b["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if ["completed", "failed", "cancelled", "expired"].contains(&status.as_str()) {
            return (b, seen);
        }
        assert!(Instant::now() < deadline, "batch {id} stuck in {status}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn jsonl(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_batch_goes_through_the_whole_lifecycle() {
    let config = MockConfig { ttft: Duration::from_millis(40), ..MockConfig::default() };
    let s = mock::start(config).await.unwrap();
    let file = upload(&s, &lines(5)).await;
    assert_eq!(file["purpose"], "batch");
    let created = create(&s, file["id"].as_str().unwrap()).await;
    assert_eq!(created["status"], "validating");
    let id = created["id"].as_str().unwrap();
    let (done, seen) = wait(&s, id).await;
    assert_eq!(seen, ["validating", "in_progress", "finalizing", "completed"]);
    assert_eq!(done["request_counts"], json!({"total": 5, "completed": 5, "failed": 0}));
    assert!(done["error_file_id"].is_null());
    let (status, content) =
        get(&s, &format!("/files/{}/content", done["output_file_id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    let out = jsonl(&content);
    assert_eq!(out.len(), 5);
    for (i, line) in out.iter().enumerate() {
        assert_eq!(line["custom_id"], format!("r{i}"));
        assert!(line["id"].as_str().unwrap().starts_with("batch_req_"));
        assert_eq!(line["response"]["status_code"], 200);
        assert_eq!(line["response"]["body"]["object"], "chat.completion");
        assert!(line["error"].is_null());
    }
    // The same question on /v1/chat/completions gets the same answer.
    let direct = post_json(
        format!("{}/chat/completions", s.openai_base_url()),
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "question 0"}]}),
    )
    .await;
    assert_eq!(
        direct["choices"][0]["message"]["content"],
        out[0]["response"]["body"]["choices"][0]["message"]["content"]
    );
    assert_eq!(direct["usage"]["prompt_tokens"], out[0]["response"]["body"]["usage"]["prompt_tokens"]);

    let (status, list) = get(&s, "/batches?limit=10").await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_slice(&list).unwrap();
    assert_eq!(list["data"][0]["id"], id);
    // Files can be read and deleted.
    let fid = file["id"].as_str().unwrap();
    assert_eq!(get(&s, &format!("/files/{fid}")).await.0, 200);
    let del: Value = client()
        .delete(format!("{}/files/{fid}", s.openai_base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(del["deleted"], true);
    assert_eq!(get(&s, &format!("/files/{fid}")).await.0, 404);
}

#[tokio::test]
async fn failed_requests_go_to_the_error_file() {
    let config = MockConfig {
        faults: FaultPlan { rate: 0.5, kinds: vec![WeightedKind { kind: FailKind::Status(500), weight: 1 }] },
        ..MockConfig::default()
    };
    let s = mock::start(config).await.unwrap();
    let file = upload(&s, &lines(40)).await;
    let created = create(&s, file["id"].as_str().unwrap()).await;
    let (done, _) = wait(&s, created["id"].as_str().unwrap()).await;
    let counts = &done["request_counts"];
    let failed = counts["failed"].as_u64().unwrap();
    assert!(failed > 5 && failed < 35, "{counts}");
    assert_eq!(counts["completed"].as_u64().unwrap() + failed, 40);
    let (_, errors) = get(&s, &format!("/files/{}/content", done["error_file_id"].as_str().unwrap())).await;
    let errors = jsonl(&errors);
    assert_eq!(errors.len() as u64, failed);
    assert_eq!(errors[0]["response"]["status_code"], 500);
    assert!(errors[0]["response"]["body"]["error"]["message"].is_string());
}

#[tokio::test]
async fn bad_input_fails_the_batch_with_line_numbers() {
    let s = mock::start(MockConfig::default()).await.unwrap();
    let mut content = lines(2);
    content.extend_from_slice(
        b"{\"custom_id\":\"r0\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n",
    );
    let file = upload(&s, &content).await;
    let created = create(&s, file["id"].as_str().unwrap()).await;
    let (done, _) = wait(&s, created["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["errors"]["data"][0]["line"], 3);
    assert!(done["output_file_id"].is_null());
}

#[tokio::test]
async fn a_cancelled_batch_keeps_what_was_done() {
    let config = MockConfig { ttft: Duration::from_millis(20), ..MockConfig::default() };
    let s = mock::start(config).await.unwrap();
    let file = upload(&s, &lines(200)).await;
    let created = create(&s, file["id"].as_str().unwrap()).await;
    let id = created["id"].as_str().unwrap();
    loop {
        let b = batch(&s, id).await;
        if b["request_counts"]["completed"].as_u64().unwrap() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let resp = client().post(format!("{}/batches/{id}/cancel", s.openai_base_url())).send().await.unwrap();
    let cancelling: Value = resp.json().await.unwrap();
    assert_eq!(cancelling["status"], "cancelling");
    let (done, _) = wait(&s, id).await;
    assert_eq!(done["status"], "cancelled");
    let completed = done["request_counts"]["completed"].as_u64().unwrap();
    assert!((2..200).contains(&completed), "{done}");
    let (_, out) = get(&s, &format!("/files/{}/content", done["output_file_id"].as_str().unwrap())).await;
    assert_eq!(jsonl(&out).len() as u64, completed);
    // A finished batch cannot be cancelled.
    let resp = client().post(format!("{}/batches/{id}/cancel", s.openai_base_url())).send().await.unwrap();
    assert_eq!(resp.status(), 409);
}

#[tokio::test]
async fn requests_are_refused_like_openai() {
    let s = mock::start(MockConfig::default()).await.unwrap();
    let resp = client()
        .post(format!("{}/files", s.openai_base_url()))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body =
        json!({"input_file_id": "file-nope", "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let resp = client().post(format!("{}/batches", s.openai_base_url())).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let file = upload(&s, &lines(1)).await;
    let body = json!({"input_file_id": file["id"], "endpoint": "/v1/embeddings", "completion_window": "24h"});
    let resp = client().post(format!("{}/batches", s.openai_base_url())).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(get(&s, "/batches/batch_nope").await.0, 404);
}
